// SPDX-License-Identifier: GPL-2.0
/* xlb help SUBCOMMAND: the usage of each subcommand (see also xlb(8)). */
#include <errno.h>
#include <stdio.h>

#include "cli/cli.h"
#include "cli/client.h"
#include "cli/usage.h"

struct help {
	const char *name;
	const char *text;
};

static const struct help helps[] = {
	{ "agent",
	  "Usage: xlb agent " USAGE_AGENT "\n"
	  "                 " USAGE_AGENT_MORE "\n"
	  "Runs the agent: loads the balancer, attaches it to the config's\n"
	  "interfaces through pinned links, health-checks the backends and\n"
	  "serves the control socket and /metrics. Adopts pinned maps left\n"
	  "by a previous agent, so a restart drops no flow. SIGHUP reloads.\n"
	  "  -c FILE            config (default /etc/xlb/xlb.yaml)\n"
	  "  --foreground       accepted; the agent never forks\n"
	  "  --log-level LEVEL  warn | info | debug (overrides log_level)\n"
	  "  --pin-dir DIR      pins under DIR (on a bpffs; default\n"
	  "                     /sys/fs/bpf/xlb)\n"
	  "  --detach           detach every interface, remove the pins,\n"
	  "                     exit\n" },
	{ "backend",
	  "Usage: xlb backend add VIP ADDR " USAGE_BACKEND_OPTS "\n"
	  "       xlb backend del VIP ADDR\n"
	  "       xlb backend set VIP ADDR " USAGE_BACKEND_OPTS "\n"
	  "       xlb backend drain VIP ADDR [--timeout 30s] [--remove]\n"
	  "       xlb backend undrain VIP ADDR\n"
	  "Changes a VIP's backends in the running agent until the next\n"
	  "reload or restart. drain stops new flows (established ones stay);\n"
	  "--remove deletes the backend once its active flows are gone (the\n"
	  "data path counts them) or after --timeout. zone labels the\n"
	  "backend for VIPs with prefer_zone.\n" },
	{ "bgp",
	  "Usage: xlb bgp\n"
	  "With a bgp: section in the config the agent runs a BIRD 2 speaker\n"
	  "that announces each VIP address while one of its VIPs has a\n"
	  "backend up and the data path is attached. Shows the speaker, each\n"
	  "session's state (from BIRD's control socket) and, per VIP,\n"
	  "whether it is announced and why not.\n" },
	{ "decap",
	  "Usage: xlb decap attach " USAGE_DECAP_ATTACH "\n"
	  "                        " USAGE_DECAP_OPTS "\n"
	  "       xlb decap detach " USAGE_DECAP_DETACH "\n"
	  "       xlb decap show " USAGE_DECAP_SHOW "\n"
	  "On a backend: attaches xlb_decap to each IF (one program, so it\n"
	  "may send from one to another); it strips IPIP, IP6IP6 and GUE\n"
	  "(UDP to gue-port, default 6080) whose outer destination is one of\n"
	  "the ADDRs (at most 16) and passes the inner packet to the stack,\n"
	  "which must own the VIP. Second chance: a GUE packet that lists\n"
	  "other candidates, carrying a TCP segment (not a SYN) this host has\n"
	  "no connection for, goes on to the next candidate, by the kernel's\n"
	  "next hop (forwarding on in IF), else gw-mac, else back to the MAC\n"
	  "it came from. show: settings and counters of each IF's program.\n" },
	{ "doctor",
	  "Usage: xlb doctor " USAGE_DOCTOR "\n"
	  "                  " USAGE_DOCTOR_BACKEND " [VIP]...\n"
	  "Checks this host's setup, one line per check: OK, WARN or FAIL,\n"
	  "why, and how to fix it. Exit status 1 when a FAIL blocks traffic.\n"
	  "Always: kernel BTF, bpffs. A balancer (the config's interfaces):\n"
	  "each interface exists and is up, the XDP program and its mode\n"
	  "(with nothing attached, a pass-all test program is attached\n"
	  "natively, then generically, and removed; --no-probe skips that),\n"
	  "MTU room for the tunnel header, the agent's socket.\n"
	  "A backend (--backend VIP): the VIP is local (on lo), xlb_decap\n"
	  "is attached, rp_filter is not strict, arp_ignore >= 1 and\n"
	  "arp_announce = 2. With --backend and no -c, the balancer checks\n"
	  "are skipped.\n" },
	{ "help",
	  "Usage: xlb help [SUBCOMMAND]\n"
	  "Lists every subcommand, or details one. See also man 8 xlb.\n" },
	{ "reload",
	  "Usage: xlb reload\n"
	  "Makes the agent re-read its config file and apply the difference\n"
	  "(as SIGHUP does). Unchanged VIPs and backends keep their flows;\n"
	  "an invalid file is refused and the running config stays.\n" },
	{ "show",
	  "Usage: xlb show [VIP]\n"
	  "VIPs and backends: zone, weight, effective weight, state, active\n"
	  "flows, packets, last check; for a VIP with prefer_zone, how much\n"
	  "of its local zone is up and whether new flows spill. With a VIP:\n"
	  "that one, with the reason for each backend's effective weight.\n"
	  "-j prints JSON.\n" },
	{ "stats",
	  "Usage: xlb stats " USAGE_STATS "\n"
	  "What show prints plus packet and byte counters per VIP and every\n"
	  "data path counter by reason (forward, pass, drop). -j: JSON.\n"
	  "With --interval: rates per second over each interval instead of\n"
	  "totals, every interval (0.1 to 3600 s), N times or until ^C.\n" },
	{ "table",
	  "Usage: xlb table " USAGE_TABLE "\n"
	  "Reads the VIP's Maglev table from the data path: slots per backend\n"
	  "and a digest of the backend address in every slot. Balancers with\n"
	  "the same hash key (hash_secret_file) or, without one, hash_seed,\n"
	  "and the same backends print the same digest (so any of them sends\n"
	  "a flow to the same backend). slots lists every slot.\n" },
	{ "top",
	  "Usage: xlb top " USAGE_TOP "\n"
	  "A live full-screen view refreshed every SECONDS (default 1): per\n"
	  "VIP and backend packets/s, bits/s, new flows/s, active flows,\n"
	  "state, effective weight, check latency P50/P99. -o sorts; keys:\n"
	  "s changes the sort, q quits. -n stops after COUNT frames.\n" },
	{ "version",
	  "Usage: xlb version\n"
	  "Prints the version and the BPF map ABI version.\n" },
	{ "vip",
	  "Usage: xlb vip add " USAGE_VIP_ADD "\n"
	  "                " USAGE_VIP_AFFINITY "\n"
	  "                " USAGE_VIP_WHEN_ALL_DOWN "\n"
	  "                " USAGE_VIP_TABLE_SIZE "\n"
	  "       xlb vip del NAME\n"
	  "       xlb vip list\n"
	  "Adds, removes or lists VIPs in the running agent; changes last\n"
	  "until the next reload or restart.\n" },
	{ NULL, NULL },
};

/* xlb help SUBCOMMAND (a unique prefix works). */
static int help_subcommand(const char *name)
{
	const struct help *h = cmd_find(helps, sizeof(*helps), name);

	if (!h && errno == EEXIST)
		return cli_error("'%s' is ambiguous", name);
	if (!h)
		return cli_error("no help for '%s', see 'xlb help'", name);
	fputs(h->text, stdout);
	return 0;
}

int do_help(int argc, char **argv)
{
	if (argc > 0)	/* xlb help SUBCOMMAND */
		return help_subcommand(argv[0]);
	printf("Usage: xlb [-j] [-s SOCKET] [-d] OBJECT VERB [ARGS]\n"
	       "  xlb agent " USAGE_AGENT "\n"
	       "            " USAGE_AGENT_MORE "\n"
	       "  xlb show [VIP]                 VIPs, backends, weights, "
	       "states, flows\n"
	       "  xlb stats [VIP]                data path counters\n"
	       "  xlb stats --interval SECONDS [--count N] [VIP]\n"
	       "                                 rates per second\n"
	       "  xlb top " USAGE_TOP "\n"
	       "                                 live view (s: sort, q: quit)\n"
	       "  xlb vip add " USAGE_VIP_ADD "\n"
	       "              " USAGE_VIP_AFFINITY " " USAGE_VIP_WHEN_ALL_DOWN
	       " " USAGE_VIP_TABLE_SIZE "\n"
	       "  xlb vip del NAME | xlb vip list\n"
	       "  xlb backend add VIP ADDR " USAGE_BACKEND_OPTS "\n"
	       "  xlb backend del|undrain VIP ADDR\n"
	       "  xlb backend drain VIP ADDR [--timeout 30s] [--remove]\n"
	       "  xlb backend set VIP ADDR " USAGE_BACKEND_OPTS "\n"
	       "  xlb table VIP [slots]          the VIP's Maglev table: slots "
	       "per backend, digest\n"
	       "  xlb bgp                        BGP speaker, sessions, "
	       "announced VIPs\n"
	       "  xlb reload                     re-read the config file\n"
	       "  xlb decap attach " USAGE_DECAP_ATTACH " "
	       USAGE_DECAP_OPTS "\n"
	       "  xlb decap detach " USAGE_DECAP_DETACH "\n"
	       "  xlb decap show " USAGE_DECAP_SHOW
	       "            the backend's program: settings, counters\n"
	       "  xlb doctor [-c FILE] [--no-probe] [--backend VIP]...\n"
	       "                                 check this host's setup\n"
	       "  xlb version | xlb help [SUBCOMMAND]\n"
	       "Any unique prefix of a word works (xlb b a = xlb backend add). "
	       "Run-time changes last until the next reload or restart.\n");
	return 0;
}
