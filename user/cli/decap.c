// SPDX-License-Identifier: GPL-2.0
/* xlb decap attach|detach: the backend side's program on an interface. */
#include <errno.h>
#include <net/if.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/client.h"
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
			return cli_error("'%s' needs a value", argv[i]);
		if (!strcmp(argv[i], "dev")) {
			ifindex = if_nametoindex(argv[i + 1]);
			if (!ifindex)
				return cli_error("no such device '%s'",
						   argv[i + 1]);
		} else if (!strcmp(argv[i], "addr")) {
			if (naddrs == MAX_DECAP_ADDRS)
				return cli_error("at most 16 addresses%s",
						   "");
			if (xlb_addr_parse(argv[i + 1], &addrs[naddrs].addr,
					   &addrs[naddrs].family))
				return cli_error("bad address '%s'",
						   argv[i + 1]);
			naddrs++;
		} else if (!strcmp(argv[i], "mode")) {
			err = parse_mode(argv[i + 1], &mode);
			if (err)
				return err;
		} else {
			return cli_error("unknown argument '%s'", argv[i]);
		}
	}
	if (!ifindex || !naddrs)
		return cli_error("decap attach needs dev IF and addr ADDR%s",
				   "");

	d = decap_open();
	if (!d)
		return cli_error("cannot load the decap program: %s",
				   strerror(errno));
	for (unsigned int i = 0; i < naddrs && !err; i++)
		err = decap_add_addr(d, &addrs[i].addr, addrs[i].family);
	if (!err)
		err = xdp_attach(ifindex, decap_prog_fd(d), mode);
	if (err)
		cli_error("decap attach failed: %s", strerror(-err));
	/* The attached program keeps itself and its map alive. */
	decap_close(d);
	return err;
}

static int do_decap_detach(int argc, char **argv)
{
	unsigned int ifindex;
	int err;

	if (argc != 2 || strcmp(argv[0], "dev"))
		return cli_error("usage: xlb decap detach "
				 USAGE_DECAP_DETACH);
	ifindex = if_nametoindex(argv[1]);
	if (!ifindex)
		return cli_error("no such device '%s'", argv[1]);
	err = xdp_detach(ifindex);
	if (err)
		cli_error("detach failed: %s", strerror(-err));
	return err;
}

int do_decap(int argc, char **argv)
{
	static const struct cmd cmds[] = {
		{ "attach", do_decap_attach },
		{ "detach", do_decap_detach },
		{ NULL, NULL },
	};

	return cmd_select(cmds, argc, argv, "decap verb");
}
