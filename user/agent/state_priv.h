/* SPDX-License-Identifier: GPL-2.0 */
/* The model's insides, for the files that make it: state.c (VIPs and
 * backends, ids, config), table.c (weights and Maglev tables) and
 * snapshot.c (what the control API and /metrics report). */
#ifndef XLB_STATE_PRIV_H
#define XLB_STATE_PRIV_H

#include <stdbool.h>

#include "agent/health.h"
#include "agent/state.h"
#include "core/loop.h"
#include "model/config.h"
#include "model/weights.h"
#include "xlb_abi.h"

enum backend_state { BE_UP, BE_DOWN, BE_DRAINING };

struct backend {
	struct vip *vip;
	__u32 id;
	union xlb_addr addr;
	__u8 family;
	__u32 weight;		/* configured */
	enum backend_state state;	/* derived: see backend_refresh() */
	bool healthy;		/* the health checker's verdict */
	bool draining;		/* operator: no new flows */
	bool drained;		/* draining, and no active flow left (or the
				 * drain timed out) */
	bool drain_remove;	/* remove once drained */
	__u64 drain_deadline_ns;	/* loop_now_ns() when drained anyway */
	__u64 since_ms;		/* added or risen (slow start); 0 = long ago */
	struct weights_state wst;	/* dynamic weights' memory */
	struct weights_output wout;	/* the last computed weight and why */
	struct health_target *hc;
	struct hc_params hcp;	/* what hc runs with */
	char zone[XLB_CFG_ZONE_MAX + 1];	/* "" = none */
	bool seen;		/* marked while applying a config */
};

struct vip {
	struct state *st;
	struct hc_params hcp;	/* for backends added at run time */
	struct weights_params wp;
	struct weights_vip wv;
	struct weights_zone zone;	/* prefer_zone: as last weighed */
	char name[XLB_CFG_NAME_MAX + 1];
	__u32 id;
	struct xlb_vip_key key;
	__u32 flags;
	__u32 table_size;
	struct backend **backends;
	size_t n_backends;
	__u64 rebuilds;
	__u64 rebuild_ns_total;	/* time spent building and swapping */
	__u64 last_rebuild_ns;
	bool seen;
};

struct adopted_vip;
struct adopted_backend;

struct state {
	struct dataplane *dp;
	struct loop *loop;
	struct xlb_config dpcfg;
	struct xlb_hash_key hkey;	/* the flow hash (a secret) */
	char zone[XLB_CFG_ZONE_MAX + 1];	/* this host's; "" = none */
	struct vip **vips;
	size_t n_vips;
	__u8 vip_used[XLB_MAX_VIPS];
	__u8 backend_used[XLB_MAX_BACKENDS];
	__u32 next_backend;	/* ids are handed out round-robin so a freed
				 * id is not reused at once */
	struct adopted_vip *adopted_vips;
	size_t n_adopted_vips;
	struct adopted_backend *adopted_backends;
	size_t n_adopted_backends;
	uint64_t drain_timer;	/* runs while a backend drains */
	uint64_t weights_timer;	/* recomputes effective weights */
	struct sweep *sweep;	/* the flow table's */
	__u32 *scratch;		/* table being built */
	__u32 scratch_size;
};

static inline __u64 now_ms(void)
{
	return loop_now_ns() / 1000000ULL;
}

/* table.c: recomputes the effective weights once a period, and rebuilds
 * a table when they moved enough. */
void table_weights_start(struct state *st);

#endif /* XLB_STATE_PRIV_H */
