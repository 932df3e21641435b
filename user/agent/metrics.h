/* SPDX-License-Identifier: GPL-2.0 */
/* Prometheus metrics: GET /metrics over HTTP (libmicrohttpd, driven by
 * the agent's loop), rendered from a typed stats snapshot. */
#ifndef XLB_METRICS_H
#define XLB_METRICS_H

#include <stdio.h>

#include "xlb_abi.h"

struct loop;
struct metrics;
struct snapshot;

/* Fills a stats snapshot: the VIPs with their backends, the data path's
 * counters and, with BGP on, the announcements. Returns 0 or -errno; the
 * caller frees it with snapshot_free() either way. */
typedef int (*metrics_snapshot_fn)(void *arg, struct snapshot *out);

/* What xlb_agent_info says about the agent. */
struct metrics_info {
	const char *version;
	const char *xdp_mode;	/* configured attach mode */
	__u32 prog_id;		/* the balancer program, 0 = unknown */
	__u64 start_time;	/* unix seconds */
};

struct metrics_opts {
	__u8 family;		/* XLB_FAMILY_V4/V6, 0 = every address */
	union xlb_addr addr;
	__u16 port;		/* host order */
	metrics_snapshot_fn snapshot;
	void *arg;
	struct metrics_info info;
};

/* Listens on the address and serves from the loop (no thread of its
 * own). On failure logs one warning naming the address and the reason,
 * and returns NULL with errno set. */
struct metrics *metrics_start(struct loop *loop,
			      const struct metrics_opts *opts);
void metrics_stop(struct metrics *m);

/* Writes the exposition text (format 0.0.4) for one snapshot. Pure:
 * the unit tests call it directly. Returns 0 or -errno. */
int metrics_render(const struct snapshot *snap,
		   const struct metrics_info *info, FILE *out);

#endif /* XLB_METRICS_H */
