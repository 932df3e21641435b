/* SPDX-License-Identifier: GPL-2.0 */
/* The synopses that a usage error, "xlb help" and "xlb help COMMAND" all
 * print, as bpftool's HELP_SPEC_*: one fragment a line's worth, so that
 * each place still wraps them where it does. */
#ifndef XLB_CLI_USAGE_H
#define XLB_CLI_USAGE_H

#define USAGE_AGENT "[-c FILE] [--foreground] [--log-level LEVEL]"
#define USAGE_AGENT_MORE "[--pin-dir DIR] [--detach]"

#define USAGE_VIP_ADD "NAME address ADDR port PORT [protocol tcp|udp]"
#define USAGE_VIP_AFFINITY "[affinity none|source-ip]"
#define USAGE_VIP_WHEN_ALL_DOWN "[when_all_down drop|pass]"
#define USAGE_VIP_TABLE_SIZE "[table_size PRIME]"

#define USAGE_BACKEND_OPTS "[weight N] [zone NAME]"

#define USAGE_STATS "[--interval SECONDS [--count N]] [VIP]"
#define USAGE_TOP \
	"[-i SECONDS] [-n COUNT] [-o packets|bits|new|flows|name] [VIP]"
#define USAGE_TABLE "VIP [slots]"

#define USAGE_DECAP_ATTACH "dev IF [dev IF]... addr ADDR [addr ADDR]..."
#define USAGE_DECAP_OPTS "[gue-port N] [gw-mac MAC] [mode native|generic|auto]"
#define USAGE_DECAP_DETACH "dev IF [dev IF]..."
#define USAGE_DECAP_SHOW "[dev IF]"

#define USAGE_DOCTOR "[-c FILE] [--pin-dir DIR] [--no-probe]"
#define USAGE_DOCTOR_BACKEND "[--backend VIP]..."

#endif /* XLB_CLI_USAGE_H */
