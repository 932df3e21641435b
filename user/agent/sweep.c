// SPDX-License-Identifier: GPL-2.0
/* The flow table's sweep on the agent's loop: a walk every period, in
 * batches a few ms apart so that the loop serves checks in between. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "agent/sweep.h"
#include "core/log.h"
#include "core/loop.h"

#define NSEC_PER_SEC 1000000000ULL
/* Active flows are counted by the data path (xlb_abi.h); the sweep walks
 * the flow table every period (1M flows: about 250 batches), takes flows
 * idle past their protocol's timeout out of the counts and corrects their
 * drift. The first sweep runs soon after start, for adopted flows. */
#define SWEEP_PERIOD_NS (10 * NSEC_PER_SEC)
#define SWEEP_FIRST_NS NSEC_PER_SEC
#define SWEEP_STEP_NS 1000000ULL
#define SWEEP_BATCH 4096
#define TCP_IDLE_NS (300 * NSEC_PER_SEC)
#define UDP_IDLE_NS (30 * NSEC_PER_SEC)

struct sweep {
	struct dataplane *dp;
	struct loop *loop;
	uint64_t timer;		/* next batch or next sweep */
	struct flow_sweep *walk;	/* the sweep under way, if any */
	__u64 began_ns;		/* its start */
	struct sweep_status status;
};

static void sweep_tick(struct loop *loop, void *arg);

struct sweep *sweep_start(struct dataplane *dp, struct loop *loop)
{
	struct sweep *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->dp = dp;
	s->loop = loop;
	s->timer = loop_add_timer(loop, SWEEP_FIRST_NS, sweep_tick, s);
	return s;
}

void sweep_stop(struct sweep *s)
{
	if (!s)
		return;
	if (s->timer)
		loop_del_timer(s->loop, s->timer);
	dataplane_sweep_free(s->walk);
	free(s);
}

void sweep_get_status(const struct sweep *s, struct sweep_status *out)
{
	*out = s->status;
}

/* A complete walk: its numbers kept, and any drift said. */
static void sweep_done(struct sweep *s, const struct flow_sweep_stats *ss)
{
	s->status.last = *ss;
	s->status.sweeps++;
	s->status.drift_total += ss->drift;
	s->status.duration_ns = loop_now_ns() - s->began_ns;
	if (ss->drift)
		pr_debug("flow sweep: %llu entries, %llu active, %llu idle, "
			 "counts off by %llu corrected\n",
			 (unsigned long long)ss->entries,
			 (unsigned long long)ss->active,
			 (unsigned long long)ss->idle,
			 (unsigned long long)ss->drift);
}

/* One batch of the walk; the next batch, or the next sweep, on a timer. */
static void sweep_tick(struct loop *loop, void *arg)
{
	struct sweep *s = arg;
	struct flow_sweep_opts o = { .now_ns = loop_now_ns(),
				     .tcp_idle_ns = TCP_IDLE_NS,
				     .udp_idle_ns = UDP_IDLE_NS,
				     .correct = true };
	struct flow_sweep_stats ss;
	__u64 next = SWEEP_PERIOD_NS;
	int rc;

	s->timer = 0;
	if (!s->walk) {
		s->walk = dataplane_sweep_start(s->dp, &o);
		s->began_ns = o.now_ns;
		if (!s->walk) {
			pr_warn("flow sweep: %s\n", strerror(errno));
			goto out;
		}
	}
	rc = dataplane_sweep_step(s->walk, SWEEP_BATCH, &ss);
	if (!rc) {
		next = SWEEP_STEP_NS;
		goto out;
	}
	if (rc < 0)
		pr_warn("flow sweep: %s\n", strerror(-rc));
	else
		sweep_done(s, &ss);
	dataplane_sweep_free(s->walk);
	s->walk = NULL;
out:
	s->timer = loop_add_timer(loop, next, sweep_tick, s);
}
