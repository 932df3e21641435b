/* SPDX-License-Identifier: GPL-2.0 */
/* The agent's sweep of the flow table: idle flows out of the active
 * counts, and the counts' drift corrected, a batch at a time. */
#ifndef XLB_SWEEP_H
#define XLB_SWEEP_H

#include "dp/maps.h"

struct loop;
struct sweep;

/* What the sweeps found: the last complete one, and totals. */
struct sweep_status {
	__u64 sweeps;		/* complete sweeps */
	struct flow_sweep_stats last;	/* the last complete one */
	__u64 drift_total;	/* over all sweeps */
	__u64 duration_ns;	/* the last one's, from start to end */
};

/* Sweeps the flow table every period from the loop, the first soon after
 * start (for flows a previous agent left). NULL with errno set. */
struct sweep *sweep_start(struct dataplane *dp, struct loop *loop);
/* NULL is a no-op. */
void sweep_stop(struct sweep *s);
void sweep_get_status(const struct sweep *s, struct sweep_status *out);

#endif /* XLB_SWEEP_H */
