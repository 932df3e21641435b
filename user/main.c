// SPDX-License-Identifier: GPL-2.0
/* xlb: argument parsing and the command table, bpftool style
 * ("xlb OBJECT VERB ARGS", any unique prefix of a word works). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "agent/agent.h"
#include "cli/cli.h"
#include "cli/client.h"
#include "cli/usage.h"
#include "core/log.h"
#include "core/paths.h"

static int do_version(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("xlb %s (abi %d)\n", XLB_VERSION, XLB_ABI_VERSION);
	return 0;
}

static int do_agent(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "detach", no_argument, NULL, 'D' },
		{ "pin-dir", required_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 },
	};
	struct agent_opts opts = {};
	bool detach = false;
	int c;

	optind = 0;	/* argv[0] is the first argument after "agent" */
	while ((c = getopt_long(argc + 1, argv - 1, "c:fl:Dp:", longopts,
				NULL)) != -1) {
		switch (c) {
		case 'c':
			opts.config_path = optarg;
			break;
		case 'f':	/* the agent always runs in the foreground */
			break;
		case 'l':
			opts.log_level = optarg;
			break;
		case 'D':
			detach = true;
			break;
		case 'p':
			opts.pin_root = optarg;
			break;
		default:
			return cli_error("usage: xlb agent " USAGE_AGENT
					 " " USAGE_AGENT_MORE);
		}
	}
	if (optind < argc + 1)
		return cli_error("unexpected argument '%s'", argv[optind - 1]);
	if (detach)
		return agent_detach_all(opts.pin_root);
	return agent_run(&opts) ? -EIO : 0;
}

int main(int argc, char **argv)
{
	static const struct cmd cmds[] = {
		{ "agent", do_agent },
		{ "backend", do_backend },
		{ "bgp", do_bgp },
		{ "decap", do_decap },
		{ "doctor", do_doctor },
		{ "help", do_help },
		{ "reload", do_reload },
		{ "show", do_show },
		{ "stats", do_stats },
		{ "table", do_table },
		{ "top", do_top },
		{ "version", do_version },
		{ "vip", do_vip },
		{ NULL, NULL },
	};
	enum log_level level = LOG_LVL_WARN;
	int i;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "-j") || !strcmp(argv[i], "--json")) {
			cli.json = true;
		} else if (!strcmp(argv[i], "-d")) {
			level = LOG_LVL_DEBUG;
		} else if (!strcmp(argv[i], "-s") && i + 1 < argc) {
			cli.socket = argv[++i];
		} else if (!strcmp(argv[i], "-h") ||
			   !strcmp(argv[i], "--help")) {
			return do_help(0, NULL);
		} else {
			cli_error("unknown option '%s', see 'xlb help'",
				  argv[i]);
			return 1;
		}
	}
	log_init(level);
	return cmd_select(cmds, argc - i, argv + i, "command") ? 1 : 0;
}
