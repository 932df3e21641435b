// SPDX-License-Identifier: GPL-2.0
/* xlb: argument parsing and the command table, bpftool style
 * ("xlb OBJECT VERB ARGS", any unique prefix of a word works). */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "dataplane.h"
#include "log.h"

#define XLB_VERSION "0.1.0"

struct cmd {
	const char *name;
	int (*handler)(int argc, char **argv);
};

static const char *prog_name = "xlb";

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "%s: ", prog_name);
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	return -EINVAL;
}

static bool is_prefix(const char *word, const char *full)
{
	return *word && !strncmp(word, full, strlen(word));
}

/* Runs the one command argv[0] names (a unique prefix is enough). */
static int run_cmd(const struct cmd *cmds, int argc, char **argv,
		   const char *what)
{
	const struct cmd *found = NULL;

	if (argc < 1)
		return usage_error("missing %s, see 'xlb help'", what);
	for (const struct cmd *c = cmds; c->name; c++) {
		if (!strcmp(argv[0], c->name))
			return c->handler(argc - 1, argv + 1);
		if (is_prefix(argv[0], c->name)) {
			if (found)
				return usage_error("'%s' is ambiguous",
						   argv[0]);
			found = c;
		}
	}
	if (!found)
		return usage_error("unknown command '%s', see 'xlb help'",
				   argv[0]);
	return found->handler(argc - 1, argv + 1);
}

static int do_help(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("Usage: xlb [-d] OBJECT VERB [ARGS]\n"
	       "  xlb version\n"
	       "  xlb decap attach dev IF addr ADDR [addr ADDR]... "
	       "[mode native|generic|auto]\n"
	       "  xlb decap detach dev IF\n"
	       "  xlb help\n");
	return 0;
}

static int do_version(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("xlb %s (abi %d)\n", XLB_VERSION, XLB_ABI_VERSION);
	return 0;
}

static int parse_mode(const char *s, enum xdp_mode *mode)
{
	if (!strcmp(s, "native"))
		*mode = XDP_MODE_NATIVE;
	else if (!strcmp(s, "generic"))
		*mode = XDP_MODE_GENERIC;
	else if (!strcmp(s, "auto"))
		*mode = XDP_MODE_AUTO;
	else
		return usage_error("unknown XDP mode '%s' "
				   "(native, generic or auto)", s);
	return 0;
}

#define MAX_DECAP_ADDRS 16

static int do_decap_attach(int argc, char **argv)
{
	struct {
		union xlb_addr addr;
		__u8 family;
	} addrs[MAX_DECAP_ADDRS];
	enum xdp_mode mode = XDP_MODE_AUTO;
	unsigned int ifindex = 0, naddrs = 0;
	struct decap *d;
	int err = 0;

	for (int i = 0; i < argc; i += 2) {
		if (i + 1 >= argc)
			return usage_error("'%s' needs a value", argv[i]);
		if (!strcmp(argv[i], "dev")) {
			ifindex = if_nametoindex(argv[i + 1]);
			if (!ifindex)
				return usage_error("no such device '%s'",
						   argv[i + 1]);
		} else if (!strcmp(argv[i], "addr")) {
			if (naddrs == MAX_DECAP_ADDRS)
				return usage_error("at most 16 addresses%s",
						   "");
			if (xlb_addr_parse(argv[i + 1], &addrs[naddrs].addr,
					   &addrs[naddrs].family))
				return usage_error("bad address '%s'",
						   argv[i + 1]);
			naddrs++;
		} else if (!strcmp(argv[i], "mode")) {
			err = parse_mode(argv[i + 1], &mode);
			if (err)
				return err;
		} else {
			return usage_error("unknown argument '%s'", argv[i]);
		}
	}
	if (!ifindex || !naddrs)
		return usage_error("decap attach needs dev IF and addr ADDR%s",
				   "");

	d = decap_open();
	if (!d)
		return usage_error("cannot load the decap program: %s",
				   strerror(errno));
	for (unsigned int i = 0; i < naddrs && !err; i++)
		err = decap_add_addr(d, &addrs[i].addr, addrs[i].family);
	if (!err)
		err = xdp_attach(ifindex, decap_prog_fd(d), mode);
	if (err)
		usage_error("decap attach failed: %s", strerror(-err));
	/* The attached program keeps itself and its map alive. */
	decap_close(d);
	return err;
}

static int do_decap_detach(int argc, char **argv)
{
	unsigned int ifindex;
	int err;

	if (argc != 2 || strcmp(argv[0], "dev"))
		return usage_error("usage: xlb decap detach dev IF%s", "");
	ifindex = if_nametoindex(argv[1]);
	if (!ifindex)
		return usage_error("no such device '%s'", argv[1]);
	err = xdp_detach(ifindex);
	if (err)
		usage_error("detach failed: %s", strerror(-err));
	return err;
}

static int do_decap(int argc, char **argv)
{
	static const struct cmd cmds[] = {
		{ "attach", do_decap_attach },
		{ "detach", do_decap_detach },
		{ NULL, NULL },
	};

	return run_cmd(cmds, argc, argv, "decap verb");
}

int main(int argc, char **argv)
{
	static const struct cmd cmds[] = {
		{ "decap", do_decap },
		{ "help", do_help },
		{ "version", do_version },
		{ NULL, NULL },
	};
	enum log_level level = LOG_LVL_WARN;

	if (argc > 1 && !strcmp(argv[1], "-d")) {
		level = LOG_LVL_DEBUG;
		argc--;
		argv++;
	}
	log_init(level);
	return run_cmd(cmds, argc - 1, argv + 1, "command") ? 1 : 0;
}
