// SPDX-License-Identifier: GPL-2.0
/* xlb doctor: checks a host's setup and says what is wrong, one line each:
 * the command, and the checks every host gets. The balancer's checks are
 * in doctor_balancer.c, the backend's in doctor_backend.c. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/statfs.h>
#include <unistd.h>
#include <linux/magic.h>

#include "cli/cli.h"
#include "cli/client.h"
#include "cli/doctor.h"
#include "cli/msg.h"
#include "cli/usage.h"
#include "core/paths.h"
#include "model/config.h"

#define DOCTOR_MAX_VIPS 32

/* ---- every host ---- */

static void check_btf(struct doctor *d)
{
	if (!access("/sys/kernel/btf/vmlinux", R_OK))
		report(d, V_OK, "kernel BTF", NULL,
		       "/sys/kernel/btf/vmlinux is present");
	else
		report(d, V_FAIL, "kernel BTF",
		       "run a kernel built with CONFIG_DEBUG_INFO_BTF=y",
		       "/sys/kernel/btf/vmlinux is missing (%s): the BPF "
		       "programs cannot be loaded", strerror(errno));
}

static bool on_bpffs(const char *path)
{
	struct statfs st;

	return !statfs(path, &st) && st.f_type == BPF_FS_MAGIC;
}

static void check_bpffs(struct doctor *d, const char *pin_root)
{
	char parent[PATH_MAX], *slash;

	if (on_bpffs(pin_root)) {
		report(d, V_OK, "bpffs", NULL, "%s is on a bpf filesystem",
		       pin_root);
		return;
	}
	snprintf(parent, sizeof(parent), "%s", pin_root);
	slash = strrchr(parent, '/');
	if (slash && slash != parent)
		*slash = '\0';
	if (on_bpffs(parent)) {
		report(d, V_OK, "bpffs", NULL,
		       "%s is a bpf filesystem (%s is made when the agent "
		       "starts)", parent, pin_root);
	} else if (!strcmp(parent, "/sys/fs/bpf")) {
		report(d, V_WARN, "bpffs", "mount -t bpf bpf /sys/fs/bpf",
		       "/sys/fs/bpf is not mounted; the agent mounts it when "
		       "it starts, but pins are lost if it is unmounted");
	} else {
		report(d, V_FAIL, "bpffs", "mount -t bpf bpf DIR, or pick "
		       "another --pin-dir", "%s is not on a bpf filesystem: "
		       "the agent refuses to start", pin_root);
	}
}

/* ---- the command ---- */

struct doctor_opts {
	const char *config;		/* -c FILE, or NULL */
	const char *pin_root;		/* --pin-dir DIR */
	bool probe;			/* not --no-probe */
	char *vips[DOCTOR_MAX_VIPS];	/* --backend VIP... */
	int nvips;
};

static int usage(void)
{
	return cli_error("usage: xlb doctor " USAGE_DOCTOR
			 " " USAGE_DOCTOR_BACKEND);
}

static int doctor_args(struct doctor_opts *o, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "backend", required_argument, NULL, 'b' },
		{ "pin-dir", required_argument, NULL, 'p' },
		{ "no-probe", no_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	optind = 0;	/* argv[0] is the first argument after "doctor" */
	while ((c = getopt_long(argc + 1, argv - 1, "c:b:p:n", longopts,
				NULL)) != -1) {
		switch (c) {
		case 'c':
			o->config = optarg;
			break;
		case 'b':
			if (o->nvips == DOCTOR_MAX_VIPS)
				return cli_error("at most %d VIPs",
						 DOCTOR_MAX_VIPS);
			o->vips[o->nvips++] = optarg;
			break;
		case 'p':
			o->pin_root = optarg;
			break;
		case 'n':
			o->probe = false;
			break;
		default:
			return usage();
		}
	}
	/* "--backend A B C": the words after the options are VIPs too */
	for (int i = optind - 1; i < argc; i++) {
		if (!o->nvips || o->nvips == DOCTOR_MAX_VIPS)
			return usage();
		o->vips[o->nvips++] = argv[i];
	}
	return 0;
}

/* The config, then the balancer it describes. */
static void check_config(struct doctor *d, const struct doctor_opts *o)
{
	const char *path = o->config ? o->config : XLB_DEFAULT_CONFIG;
	struct xlb_cfg *cfg = NULL;
	char err[256];

	if (config_load(path, &cfg, err, sizeof(err)))
		report(d, V_FAIL, "config", "fix the file, or pass -c FILE "
		       "(--backend VIP on a backend)", "%s", err);
	else
		report(d, V_OK, "config", NULL, "%s is valid", path);
	if (cfg)
		check_balancer(d, cfg, o->probe, o->pin_root);
	config_free(cfg);
}

/* The checks as JSON with -j (made by report()), else the count. */
static void print_summary(struct doctor *d)
{
	json_object *o;

	if (!cli.json) {
		json_object_put(d->checks);
		printf("%u failed, %u warnings%s\n", d->failed, d->warned,
		       d->failed ? ": traffic is blocked until the FAIL lines "
		       "are fixed" : "");
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "checks", d->checks);
	json_object_object_add(o, "failed", json_object_new_int(d->failed));
	json_object_object_add(o, "warnings", json_object_new_int(d->warned));
	print_json(o);
	json_object_put(o);
}

int do_doctor(int argc, char **argv)
{
	struct doctor_opts o = { .pin_root = XLB_PIN_ROOT, .probe = true };
	struct doctor d = {};
	int err = doctor_args(&o, argc, argv);

	if (err)
		return err;
	d.checks = json_object_new_array();
	check_btf(&d);
	check_bpffs(&d, o.pin_root);
	/* The balancer's checks need its config: given, or the default
	 * when this is not a backend-only run. */
	if (o.config || !o.nvips)
		check_config(&d, &o);
	if (o.nvips)
		check_backend(&d, o.vips, o.nvips);
	print_summary(&d);
	return d.failed ? -EINVAL : 0;
}
