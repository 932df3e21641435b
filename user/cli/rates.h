/* SPDX-License-Identifier: GPL-2.0 */
/* Rates per second between two "stats" answers: xlb stats --interval, and
 * what xlb top draws. */
#ifndef XLB_CLI_RATES_H
#define XLB_CLI_RATES_H

#include <json-c/json.h>

/* CLOCK_MONOTONIC in seconds. */
double monotonic_s(void);

/* One "stats" answer (for one VIP when vip is set) and when it came;
 * 0 or an error already printed. */
int rates_sample(const char *vip, json_object **resp, double *when);

/* Per-second rates between two answers taken secs apart (prev may be
 * NULL), as xlb -j stats --interval prints them. */
json_object *rates_json(json_object *prev, json_object *cur, double secs);

/* Emits one line of at most width columns (0: no limit). */
typedef void (*line_fn)(const char *line, int width);

/* The table of rates per VIP and backend, a line at a time. */
void rates_print(json_object *r, line_fn out, int width);

/* xlb stats --interval: rates every interval seconds, count times (0:
 * until killed); for one VIP when vip is set. */
int stats_rates(const char *vip, double interval, long count);

#endif /* XLB_CLI_RATES_H */
