// SPDX-License-Identifier: GPL-2.0
/* xlb reload: the agent re-reads its config file, as on SIGHUP. */
#include "cli/cli.h"
#include "cli/client.h"
#include "cli/msg.h"

int do_reload(int argc, char **argv)
{
	(void)argv;
	if (argc)
		return cli_error("usage: xlb reload");
	return call_ok(req_new("reload"));
}
