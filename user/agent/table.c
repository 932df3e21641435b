// SPDX-License-Identifier: GPL-2.0
/* A VIP's effective weights (weights.c, from what the health checks
 * measured) and its Maglev table, built and swapped in whole; and the
 * timer that follows the weights and rebuilds when they moved enough. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "agent/state_priv.h"
#include "core/addr.h"
#include "core/log.h"
#include "dp/maps.h"
#include "lib/hash.h"
#include "model/maglev.h"

#define WEIGHTS_PERIOD_NS (1000000000ULL)

/* Maglev key of a backend: its address, so tables do not depend on ids or
 * the order backends were added, and every host computes the same one. */
static __u64 backend_key(const struct backend *b)
{
	__u32 w[12] = { b->addr.v6[0], b->addr.v6[1], b->addr.v6[2],
			b->addr.v6[3], b->family };
	__u32 lo = xlb_jhash_12words(w, 0), hi = xlb_jhash_12words(w, 1);

	return ((__u64)hi << 32) | lo;
}

/* Copies of the backends' weights memory and last weights, in their
 * order, as weights.c takes them (room for one at least); the caller
 * frees both. */
static int weights_copy(const struct vip *v, struct weights_state **wst,
			struct weights_output **out)
{
	size_t n = v->n_backends ? v->n_backends : 1;

	*wst = calloc(n, sizeof(**wst));
	*out = calloc(n, sizeof(**out));
	if (!*wst || !*out) {
		free(*wst);
		free(*out);
		return -ENOMEM;
	}
	for (size_t i = 0; i < v->n_backends; i++) {
		(*wst)[i] = v->backends[i]->wst;
		(*out)[i] = v->backends[i]->wout;
	}
	return 0;
}

/* What weights.c weighs a backend by: its base weight, state and what its
 * health checks measured. */
static void weights_in(const struct vip *v, const struct backend *b,
		       struct weights_input *in)
{
	struct health_stats hs = { .success_ratio = 1 };

	if (b->hc)
		health_get_stats(b->hc, &hs);
	*in = (struct weights_input){
		.base = b->weight,
		.up = b->healthy,
		.draining = b->draining,
		.latency_ewma_ns = hs.latency_ewma_ns,
		.latency_p99_ns = hs.latency_p99_ns,
		.error_ratio = 1 - hs.success_ratio,
		.since_ms = b->since_ms,
		.active_flows = dataplane_active_flows(v->st->dp, b->id),
		.local_zone = v->st->zone[0] && !strcmp(b->zone, v->st->zone),
	};
}

/* Says when a backend's weight degraded or recovers. */
static void log_event(const struct vip *v, const struct backend *b)
{
	char buf[XLB_ADDR_STRLEN];

	if (b->wout.event == WEIGHTS_EV_DEGRADED)
		pr_warn("vip %s: backend %s degraded: %s\n", v->name,
			xlb_addr_str(&b->addr, b->family, buf, sizeof(buf)),
			b->wout.why);
	else if (b->wout.event == WEIGHTS_EV_RECOVERED)
		pr_info("vip %s: backend %s recovering: %s\n", v->name,
			xlb_addr_str(&b->addr, b->family, buf, sizeof(buf)),
			b->wout.why);
}

/* Computes every backend's effective weight (weights.c). */
static int vip_weigh(struct vip *v, __u64 now)
{
	struct weights_input *in = calloc(v->n_backends ? v->n_backends : 1,
					  sizeof(*in));
	struct weights_output *out;
	struct weights_state *wst;

	if (!in || weights_copy(v, &wst, &out)) {
		free(in);
		return -ENOMEM;
	}
	for (size_t i = 0; i < v->n_backends; i++)
		weights_in(v, v->backends[i], &in[i]);
	weights_compute(&v->wp, in, wst, out, v->n_backends, now);
	weights_zone_status(&v->wp, in, out, v->n_backends, &v->zone);
	for (size_t i = 0; i < v->n_backends; i++) {
		struct backend *b = v->backends[i];

		b->wst = wst[i];
		b->wout = out[i];
		log_event(v, b);
	}
	free(in);
	free(wst);
	free(out);
	return 0;
}

/* Builds the VIP's Maglev table from the effective weights last computed
 * and swaps it in. */
static int vip_build(struct state *st, struct vip *v, __u64 now)
{
	struct weights_output *out = NULL;
	struct weights_state *wst = NULL;
	struct maglev_backend *mb;
	__u64 start_ns;
	int err;

	if (st->scratch_size < v->table_size) {
		__u32 *t = realloc(st->scratch, v->table_size * sizeof(*t));

		if (!t)
			return -ENOMEM;
		st->scratch = t;
		st->scratch_size = v->table_size;
	}
	mb = calloc(v->n_backends ? v->n_backends : 1, sizeof(*mb));
	if (!mb || weights_copy(v, &wst, &out)) {
		err = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < v->n_backends; i++) {
		struct backend *b = v->backends[i];

		mb[i] = (struct maglev_backend){ .id = b->id,
						 .weight = b->wout.effective,
						 .key = backend_key(b) };
	}
	start_ns = loop_now_ns();
	err = maglev_build_keyed(mb, v->n_backends, &st->hkey,
				 st->dpcfg.hash_seed, st->scratch,
				 v->table_size);
	if (err && err != -ENOENT)
		goto out;
	if (err == -ENOENT)
		pr_warn("vip %s: no backend up\n", v->name);
	err = dataplane_set_table(st->dp, v->id, st->scratch, v->table_size);
	if (err)
		goto out;
	v->rebuilds++;
	v->last_rebuild_ns = loop_now_ns() - start_ns;
	v->rebuild_ns_total += v->last_rebuild_ns;
	weights_applied(&v->wv, wst, out, v->n_backends, now);
	for (size_t i = 0; i < v->n_backends; i++)
		v->backends[i]->wst = wst[i];
out:
	free(mb);
	free(wst);
	free(out);
	return err;
}

int state_vip_rebuild(struct state *st, struct vip *v)
{
	__u64 now = now_ms();
	int err = vip_weigh(v, now);

	return err ? err : vip_build(st, v, now);
}

/* Whether the weights just computed moved enough to rebuild (why says
 * how). */
static bool vip_should_rebuild(struct vip *v, __u64 now, char *why,
			       size_t len)
{
	struct weights_output *out;
	struct weights_state *wst;
	bool rebuild;

	if (weights_copy(v, &wst, &out))
		return false;
	rebuild = weights_should_rebuild(&v->wp, &v->wv, wst, out,
					 v->n_backends, now, why, len);
	free(wst);
	free(out);
	return rebuild;
}

/* Once a period: effective weights follow latency and errors, and the
 * table is rebuilt only when weights_should_rebuild() says a share moved
 * enough, for long enough, and not too soon after the last rebuild. */
static void weights_tick(struct loop *loop, void *arg)
{
	struct state *st = arg;
	__u64 now = now_ms();
	char why[128];

	(void)loop;
	table_weights_start(st);
	for (size_t i = 0; i < st->n_vips; i++) {
		struct vip *v = st->vips[i];

		if (vip_weigh(v, now) ||
		    !vip_should_rebuild(v, now, why, sizeof(why)))
			continue;
		pr_debug("vip %s: weights moved (%s): rebuilding\n", v->name,
			 why);
		if (vip_build(st, v, now))
			pr_warn("vip %s: table rebuild failed\n", v->name);
	}
}

void table_weights_start(struct state *st)
{
	st->weights_timer = loop_add_timer(st->loop, WEIGHTS_PERIOD_NS,
					   weights_tick, st);
}
