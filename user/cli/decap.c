// SPDX-License-Identifier: GPL-2.0
/* xlb decap attach|detach|show: the backend side's program on interfaces,
 * its settings and counters. */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/client.h"
#include "cli/msg.h"
#include "cli/usage.h"
#include "core/addr.h"
#include "dp/attach.h"
#include "dp/decap.h"

static int parse_mode(const char *s, enum xdp_mode *mode)
{
	if (!strcmp(s, "native"))
		*mode = XDP_MODE_NATIVE;
	else if (!strcmp(s, "generic"))
		*mode = XDP_MODE_GENERIC;
	else if (!strcmp(s, "auto"))
		*mode = XDP_MODE_AUTO;
	else
		return cli_error("unknown XDP mode '%s' "
				   "(native, generic or auto)", s);
	return 0;
}

static int parse_mac(const char *s, __u8 mac[6])
{
	char end;

	if (sscanf(s, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx%c", &mac[0], &mac[1],
		   &mac[2], &mac[3], &mac[4], &mac[5], &end) != 6)
		return cli_error("bad MAC address '%s'", s);
	return 0;
}

static int parse_port(const char *s, __u16 *port)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (!*s || *end || !v || v > 65535)
		return cli_error("bad port '%s' (1-65535)", s);
	*port = (__u16)v;
	return 0;
}

#define MAX_DECAP_ADDRS 16
#define MAX_DECAP_DEVS 8

struct attach_args {
	struct {
		union xlb_addr addr;
		__u8 family;
	} addrs[MAX_DECAP_ADDRS];
	unsigned int ifindex[MAX_DECAP_DEVS];
	unsigned int naddrs, ndevs;
	enum xdp_mode mode;
	struct xlb_decap_config cfg;
};

static int parse_attach(int argc, char **argv, struct attach_args *a)
{
	__u16 port = XLB_GUE_PORT_DEFAULT;
	int err = 0;

	for (int i = 0; i < argc && !err; i += 2) {
		const char *v = argv[i + 1];

		if (i + 1 >= argc)
			return cli_error("'%s' needs a value", argv[i]);
		if (!strcmp(argv[i], "dev")) {
			if (a->ndevs == MAX_DECAP_DEVS)
				return cli_error("at most %d devices",
						 MAX_DECAP_DEVS);
			a->ifindex[a->ndevs] = if_nametoindex(v);
			if (!a->ifindex[a->ndevs++])
				return cli_error("no such device '%s'", v);
		} else if (!strcmp(argv[i], "addr")) {
			if (a->naddrs == MAX_DECAP_ADDRS)
				return cli_error("at most %d addresses",
						 MAX_DECAP_ADDRS);
			if (xlb_addr_parse(v, &a->addrs[a->naddrs].addr,
					   &a->addrs[a->naddrs].family))
				return cli_error("bad address '%s'", v);
			a->naddrs++;
		} else if (!strcmp(argv[i], "gue-port")) {
			err = parse_port(v, &port);
		} else if (!strcmp(argv[i], "gw-mac")) {
			err = parse_mac(v, a->cfg.gw_mac);
		} else if (!strcmp(argv[i], "mode")) {
			err = parse_mode(v, &a->mode);
		} else {
			return cli_error("unknown argument '%s'", argv[i]);
		}
	}
	if (err)
		return err;
	if (!a->ndevs || !a->naddrs)
		return cli_error("decap attach needs dev IF and addr ADDR%s",
				 "");
	a->cfg.gue_port = htons(port);
	return 0;
}

/* One program for every device named: second chance may redirect from
 * one to another. */
static int do_decap_attach(int argc, char **argv)
{
	struct attach_args a = { .mode = XDP_MODE_AUTO };
	unsigned int i;
	struct decap *d;
	int err;

	err = parse_attach(argc, argv, &a);
	if (err)
		return err;
	d = decap_open();
	if (!d)
		return cli_error("cannot load the decap program: %s",
				 strerror(errno));
	err = decap_set_config(d, &a.cfg);
	for (i = 0; i < a.naddrs && !err; i++)
		err = decap_add_addr(d, &a.addrs[i].addr, a.addrs[i].family);
	for (i = 0; i < a.ndevs && !err; i++)
		err = decap_add_tx_port(d, a.ifindex[i]);
	for (i = 0; i < a.ndevs && !err; i++)
		err = xdp_attach((int)a.ifindex[i], decap_prog_fd(d), a.mode);
	if (err)
		cli_error("decap attach failed: %s", strerror(-err));
	/* The attached program keeps itself and its maps alive. */
	decap_close(d);
	return err;
}

static int do_decap_detach(int argc, char **argv)
{
	unsigned int ifindex;
	int err = 0;

	if (!argc || argc % 2)
		return cli_error("usage: xlb decap detach "
				 USAGE_DECAP_DETACH);
	for (int i = 0; i < argc && !err; i += 2) {
		if (strcmp(argv[i], "dev"))
			return cli_error("usage: xlb decap detach "
					 USAGE_DECAP_DETACH);
		ifindex = if_nametoindex(argv[i + 1]);
		if (!ifindex)
			return cli_error("no such device '%s'", argv[i + 1]);
		err = xdp_detach((int)ifindex);
		if (err)
			cli_error("detach failed: %s", strerror(-err));
	}
	return err;
}

/* One program as JSON (the devices that run it are added by the caller):
 * the same fields the text shows. */
static json_object *decap_json(struct decap *d, const struct xdp_state *st)
{
	json_object *o = json_object_new_object(), *arr, *cnt;
	struct xlb_decap_key keys[256];
	struct xlb_decap_config cfg;
	__u64 stats[XLB_DECAP_MAX];
	__u32 ports[64];
	char buf[XLB_ADDR_STRLEN], mac[18];
	int n;

	json_object_object_add(o, "devs", json_object_new_array());
	json_object_object_add(o, "prog_id",
			       json_object_new_int64(st->prog_id));
	json_object_object_add(o, "mode", json_object_new_string(
		xdp_attached_name(st->mode)));
	if (!decap_get_config(d, &cfg)) {
		json_object_object_add(o, "gue_port", json_object_new_int(
			ntohs(cfg.gue_port)));
		snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x",
			 cfg.gw_mac[0], cfg.gw_mac[1], cfg.gw_mac[2],
			 cfg.gw_mac[3], cfg.gw_mac[4], cfg.gw_mac[5]);
		json_object_object_add(o, "gw_mac",
				       (cfg.gw_mac[0] | cfg.gw_mac[1] |
					cfg.gw_mac[2] | cfg.gw_mac[3] |
					cfg.gw_mac[4] | cfg.gw_mac[5])
					       ? json_object_new_string(mac)
					       : NULL);
	} else {
		/* a program older than GUE */
		json_object_object_add(o, "gue_port", NULL);
	}
	arr = json_object_new_array();
	n = decap_list_addrs(d, keys, 256);
	for (int i = 0; i < n; i++)
		json_object_array_add(arr, json_object_new_string(
			xlb_addr_str(&keys[i].addr, (__u8)keys[i].family, buf,
				     sizeof(buf))));
	json_object_object_add(o, "addresses", arr);
	arr = json_object_new_array();
	n = decap_list_tx_ports(d, ports, 64);
	for (int i = 0; i < n; i++) {
		char name[IF_NAMESIZE];

		json_object_array_add(arr, json_object_new_string(
			if_indextoname(ports[i], name) ? name : "?"));
	}
	json_object_object_add(o, "tx_devs", arr);
	cnt = json_object_new_object();
	if (!decap_read_stats(d, stats))
		for (int r = 0; r < XLB_DECAP_MAX; r++)
			json_object_object_add(cnt, xlb_decap_reason_name(r),
					       json_object_new_int64(
						       (int64_t)stats[r]));
	json_object_object_add(o, "counters", cnt);
	return o;
}

static void print_decap(json_object *o)
{
	json_object *arr = jget(o, "devs"), *cnt = jget(o, "counters");
	size_t n = json_object_array_length(arr);

	for (size_t i = 0; i < n; i++)
		printf("%s%s", i ? " " : "", json_object_get_string(
			json_object_array_get_idx(arr, i)));
	printf(": xlb_decap id %lld, %s", jnum(o, "prog_id"),
	       jstr(o, "mode"));
	arr = jget(o, "addresses");
	if (jnum(o, "gue_port"))
		printf(", GUE port %lld, gateway %s\n", jnum(o, "gue_port"),
		       *jstr(o, "gw_mac") ? jstr(o, "gw_mac")
					  : "none (back to the sender)");
	else
		printf(", IPIP only (an older program)\n");
	printf("  addresses:");
	n = arr ? json_object_array_length(arr) : 0;
	for (size_t i = 0; i < n; i++)
		printf(" %s", json_object_get_string(
				      json_object_array_get_idx(arr, i)));
	printf("\n  sends on:");
	arr = jget(o, "tx_devs");
	n = arr ? json_object_array_length(arr) : 0;
	for (size_t i = 0; i < n; i++)
		printf(" %s", json_object_get_string(
				      json_object_array_get_idx(arr, i)));
	printf("%s\n", n ? "" : " the ingress device only");
	json_object_object_foreach(cnt, k, v)
		printf("  %-16s %14lld\n", k,
		       (long long)json_object_get_int64(v));
}

/* The entry of all for program id, or NULL. */
static json_object *find_prog(json_object *all, __u32 id)
{
	for (size_t k = 0; k < json_object_array_length(all); k++) {
		json_object *o = json_object_array_get_idx(all, k);

		if (jnum(o, "prog_id") == id)
			return o;
	}
	return NULL;
}

/* xlb decap show [dev IF]: every program xlb_decap that a device runs
 * (one, attached to several, shows once), or the one IF runs. */
static int do_decap_show(int argc, char **argv)
{
	struct if_nameindex *ifs, *i;
	json_object *all;
	const char *only = NULL;
	int found = 0, err = 0;

	if (argc == 2 && !strcmp(argv[0], "dev"))
		only = argv[1];
	else if (argc)
		return cli_error("usage: xlb decap show " USAGE_DECAP_SHOW);
	if (only && !if_nametoindex(only))
		return cli_error("no such device '%s'", only);
	ifs = if_nameindex();
	if (!ifs)
		return cli_error("cannot list interfaces: %s",
				 strerror(errno));
	all = json_object_new_array();
	for (i = ifs; i->if_index; i++) {
		struct xdp_state st;
		struct decap *d;
		json_object *o;

		if (only && strcmp(only, i->if_name))
			continue;
		if (xdp_query((int)i->if_index, &st) ||
		    strcmp(st.name, "xlb_decap"))
			continue;
		o = find_prog(all, st.prog_id);
		if (!o) {
			d = decap_adopt((int)i->if_index);
			if (!d) {
				err = cli_error("%s: cannot read xlb_decap: %s",
						i->if_name, strerror(errno));
				break;
			}
			o = decap_json(d, &st);
			decap_close(d);
			json_object_array_add(all, o);
		}
		json_object_array_add(jget(o, "devs"),
				      json_object_new_string(i->if_name));
		found++;
	}
	if_freenameindex(ifs);
	if (!err && !found)
		err = only ? cli_error("%s runs no xlb_decap", only)
			   : cli_error("no interface runs xlb_decap%s", "");
	if (!err) {
		if (cli.json)
			print_json(all);
		else
			for (size_t k = 0; k < json_object_array_length(all);
			     k++)
				print_decap(json_object_array_get_idx(all, k));
	}
	json_object_put(all);
	return err;
}

int do_decap(int argc, char **argv)
{
	static const struct cmd cmds[] = {
		{ "attach", do_decap_attach },
		{ "detach", do_decap_detach },
		{ "show", do_decap_show },
		{ NULL, NULL },
	};

	return cmd_select(cmds, argc, argv, "decap verb");
}
