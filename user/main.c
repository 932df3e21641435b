// SPDX-License-Identifier: GPL-2.0
/* xlb: argument parsing and the command table, bpftool style
 * ("xlb OBJECT VERB ARGS", any unique prefix of a word works). */
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "agent.h"
#include "cli.h"
#include "dataplane.h"
#include "doctor.h"
#include "help.h"
#include "log.h"

struct cmd {
	const char *name;
	int (*handler)(int argc, char **argv);
};

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
		return cli_error("missing %s, see 'xlb help'", what);
	for (const struct cmd *c = cmds; c->name; c++) {
		if (!strcmp(argv[0], c->name))
			return c->handler(argc - 1, argv + 1);
		if (is_prefix(argv[0], c->name)) {
			if (found)
				return cli_error("'%s' is ambiguous",
						   argv[0]);
			found = c;
		}
	}
	if (!found)
		return cli_error("unknown command '%s', see 'xlb help'",
				   argv[0]);
	return found->handler(argc - 1, argv + 1);
}

static int do_help(int argc, char **argv)
{
	if (argc > 0)	/* xlb help SUBCOMMAND */
		return help_subcommand(argv[0]);
	printf("Usage: xlb [-j] [-s SOCKET] [-d] OBJECT VERB [ARGS]\n"
	       "  xlb agent [-c FILE] [--foreground] [--log-level LEVEL]\n"
	       "            [--pin-dir DIR] [--detach]\n"
	       "  xlb show [VIP]                 VIPs, backends, weights, "
	       "states, flows\n"
	       "  xlb stats [VIP]                data path counters\n"
	       "  xlb stats --interval SECONDS [--count N] [VIP]\n"
	       "                                 rates per second\n"
	       "  xlb top [-i SECONDS] [-n COUNT] [-o packets|bits|new|flows|"
	       "name] [VIP]\n"
	       "                                 live view (s: sort, q: quit)\n"
	       "  xlb vip add NAME address ADDR port PORT [protocol tcp|udp]\n"
	       "              [affinity none|source-ip] "
	       "[when_all_down drop|pass] [table_size PRIME]\n"
	       "  xlb vip del NAME | xlb vip list\n"
	       "  xlb backend add VIP ADDR [weight N] [zone NAME]\n"
	       "  xlb backend del|undrain VIP ADDR\n"
	       "  xlb backend drain VIP ADDR [--timeout 30s] [--remove]\n"
	       "  xlb backend set VIP ADDR [weight N] [zone NAME]\n"
	       "  xlb table VIP [slots]          the VIP's Maglev table: slots "
	       "per backend, digest\n"
	       "  xlb bgp                        BGP speaker, sessions, "
	       "announced VIPs\n"
	       "  xlb reload                     re-read the config file\n"
	       "  xlb decap attach dev IF addr ADDR [addr ADDR]... "
	       "[mode native|generic|auto]\n"
	       "  xlb decap detach dev IF\n"
	       "  xlb doctor [-c FILE] [--no-probe] [--backend VIP]...\n"
	       "                                 check this host's setup\n"
	       "  xlb version | xlb help [SUBCOMMAND]\n"
	       "Any unique prefix of a word works (xlb b a = xlb backend add). "
	       "Run-time changes last until the next reload or restart.\n");
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
		return cli_error("usage: xlb decap detach dev IF%s", "");
	ifindex = if_nametoindex(argv[1]);
	if (!ifindex)
		return cli_error("no such device '%s'", argv[1]);
	err = xdp_detach(ifindex);
	if (err)
		cli_error("detach failed: %s", strerror(-err));
	return err;
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
			return cli_error("usage: xlb agent [-c FILE] "
					 "[--foreground] [--log-level LEVEL] "
					 "[--pin-dir DIR] [--detach]");
		}
	}
	if (optind < argc + 1)
		return cli_error("unexpected argument '%s'", argv[optind - 1]);
	if (detach)
		return agent_detach_all(opts.pin_root);
	return agent_run(&opts) ? -EIO : 0;
}

static int do_vip(int argc, char **argv)
{
	static const struct cmd cmds[] = {
		{ "add", do_vip_add },
		{ "del", do_vip_del },
		{ "list", do_vip_list },
		{ NULL, NULL },
	};

	return run_cmd(cmds, argc, argv, "vip verb");
}

#define BACKEND_VERB(verb)                                                    \
	static int do_backend_##verb(int argc, char **argv)                   \
	{                                                                     \
		return do_backend_verb(#verb, argc, argv);                    \
	}
BACKEND_VERB(add)
BACKEND_VERB(del)
BACKEND_VERB(set)
BACKEND_VERB(drain)
BACKEND_VERB(undrain)

static int do_backend(int argc, char **argv)
{
	static const struct cmd cmds[] = {
		{ "add", do_backend_add },
		{ "del", do_backend_del },
		{ "set", do_backend_set },
		{ "drain", do_backend_drain },
		{ "undrain", do_backend_undrain },
		{ NULL, NULL },
	};

	return run_cmd(cmds, argc, argv, "backend verb");
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
	return run_cmd(cmds, argc - i, argv + i, "command") ? 1 : 0;
}
