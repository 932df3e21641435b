/* SPDX-License-Identifier: GPL-2.0 */
/* The table of VIPs and backends that xlb show, stats and vip list print. */
#ifndef XLB_CLI_SHOW_H
#define XLB_CLI_SHOW_H

#include <stdbool.h>
#include <json-c/json.h>

struct vips_view {
	bool stats;	/* packet and byte counters, data path counters */
	bool detail;	/* why each backend has its weight, its last check */
};

/* A print_fn for a "show" or "stats" answer; arg is a struct vips_view. */
void print_vips(json_object *resp, const void *arg);

#endif /* XLB_CLI_SHOW_H */
