// SPDX-License-Identifier: GPL-2.0
/* xlb vip add|del|list: the running agent's VIPs. */
#include <errno.h>

#include "cli/cli.h"
#include "cli/client.h"
#include "cli/msg.h"
#include "cli/show.h"
#include "cli/usage.h"

static int do_vip_add(int argc, char **argv)
{
	static const char *const keys[] = { "address", "protocol", "affinity",
					    "when_all_down", NULL };
	static const char *const ints[] = { "port", "table_size", NULL };
	json_object *req;

	if (argc < 1)
		return cli_error("usage: xlb vip add " USAGE_VIP_ADD
				 " " USAGE_VIP_AFFINITY
				 " " USAGE_VIP_WHEN_ALL_DOWN
				 " " USAGE_VIP_TABLE_SIZE);
	req = req_new("vip-add");
	json_object_object_add(req, "name", json_object_new_string(argv[0]));
	if (req_add_pairs(req, argc - 1, argv + 1, keys, ints)) {
		json_object_put(req);
		return -EINVAL;
	}
	return call_ok(req);
}

static int do_vip_del(int argc, char **argv)
{
	json_object *req;

	if (argc != 1)
		return cli_error("usage: xlb vip del NAME");
	req = req_new("vip-del");
	json_object_object_add(req, "name", json_object_new_string(argv[0]));
	return call_ok(req);
}

static int do_vip_list(int argc, char **argv)
{
	static const struct vips_view view = {};

	(void)argv;
	if (argc)
		return cli_error("usage: xlb vip list");
	return call_print(req_new("vip-list"), print_vips, &view);
}

int do_vip(int argc, char **argv)
{
	static const struct cmd cmds[] = {
		{ "add", do_vip_add },
		{ "del", do_vip_del },
		{ "list", do_vip_list },
		{ NULL, NULL },
	};

	return cmd_select(cmds, argc, argv, "vip verb");
}
