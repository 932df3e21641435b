/* SPDX-License-Identifier: GPL-2.0 */
/* Client side of the xlb CLI: commands that talk to the agent. */
#ifndef XLB_CLI_H
#define XLB_CLI_H

#include <stdarg.h>
#include <stdbool.h>
#include <json-c/json.h>

struct cli_opts {
	bool json;		/* -j */
	const char *socket;	/* -s PATH */
};

extern struct cli_opts cli;

/* Prints one error line (or {"error": ...} with -j); returns -EINVAL. */
int cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

int do_show(int argc, char **argv);
int do_stats(int argc, char **argv);
int do_reload(int argc, char **argv);
int do_vip_add(int argc, char **argv);
int do_vip_del(int argc, char **argv);
int do_vip_list(int argc, char **argv);
int do_backend_verb(const char *verb, int argc, char **argv);
int do_top(int argc, char **argv);
int do_table(int argc, char **argv);
int do_bgp(int argc, char **argv);

/* Sends req (consumed) to the agent; on success *resp holds the answer,
 * else the error is printed. */
int cli_call(json_object *req, json_object **resp);
/* xlb stats --interval: rates every interval seconds, count times (0:
 * until killed); for one VIP when vip is set. */
int stats_rates(const char *vip, double interval, long count);

#endif /* XLB_CLI_H */
