/* SPDX-License-Identifier: GPL-2.0 */
/* Typed snapshots of what runs: VIPs, backends, counters, the flow sweep,
 * BGP and a VIP's table as the data path holds it. The control API
 * (api.c) renders them as JSON and /metrics (metrics.c) as Prometheus
 * text, so a number cannot be in one view and missing in the other. */
#ifndef XLB_SNAPSHOT_H
#define XLB_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>

#include "agent/bgp.h"
#include "agent/health.h"
#include "agent/sweep.h"
#include "core/addr.h"
#include "model/config.h"
#include "model/weights.h"
#include "xlb_abi.h"

struct state;
struct vip;

/* "drained": draining, and no active flow left (or the drain timed out). */
enum snap_backend_state {
	SNAP_BE_UP,
	SNAP_BE_DOWN,
	SNAP_BE_DRAINING,
	SNAP_BE_DRAINED,
	SNAP_BE_STATES,
};

/* "up", "down", "draining", "drained". */
const char *snap_backend_state_name(enum snap_backend_state s);

struct snap_backend {
	char address[XLB_ADDR_STRLEN];
	__u32 id;
	char zone[XLB_CFG_ZONE_MAX + 1];	/* "" = none */
	__u32 weight;			/* configured */
	struct weights_output weights;	/* in force, and why */
	enum snap_backend_state state;
	__u64 flows;			/* active (the data path counts) */
	__u64 new_flows;		/* opened on it: a counter */
	struct xlb_counter counter;	/* forwarded to it */
	enum hc_type check;
	bool checked;			/* a checker runs: health is set */
	struct health_stats health;
};

struct snap_vip {
	char name[XLB_CFG_NAME_MAX + 1];
	__u32 id;
	char address[XLB_ADDR_STRLEN];
	__u16 port;			/* host order; 0 = every port */
	__u8 proto;			/* IPPROTO_TCP or IPPROTO_UDP */
	__u32 flags;			/* XLB_VIP_* */
	__u32 table_size;
	struct weights_params weights;	/* mode, prefer_zone, ... */
	struct weights_zone zone;	/* prefer_zone: as last weighed */
	__u64 rebuilds;
	__u64 rebuild_ns_total;		/* building, swapping tables */
	__u64 last_rebuild_ns;
	struct xlb_counter counter;	/* forwarded for it */
	struct snap_backend *backends;	/* with SNAP_BACKENDS */
	size_t n_backends;
};

/* A VIP's BGP announcement. */
struct snap_bgp_vip {
	char name[XLB_CFG_NAME_MAX + 1];
	char address[XLB_ADDR_STRLEN];
	size_t healthy, total;		/* backends */
	const char *why_not;		/* NULL: announced */
};

struct snap_bgp {
	bool enabled;			/* the config has a bgp: section */
	bool speaker;			/* one was set up: status is set */
	struct bgp_status status;
	struct snap_bgp_vip *vips;
	size_t n_vips;
};

struct snapshot {
	char zone[XLB_CFG_ZONE_MAX + 1];	/* this host's; "" = none */
	struct snap_vip *vips;
	size_t n_vips;
	/* with SNAP_DATAPATH */
	bool has_reasons;		/* read: reasons[] is filled */
	__u64 reasons[XLB_REASON_MAX];	/* by enum xlb_reason */
	struct sweep_status sweep;
	/* filled by the agent, for /metrics */
	bool has_bgp;
	struct snap_bgp bgp;
};

/* What state_snapshot() fills besides the VIPs. */
#define SNAP_BACKENDS (1u << 0)	/* each VIP's backends */
#define SNAP_DATAPATH (1u << 1)	/* the reasons counters and the sweep */

/* Every VIP, or only the one named vip (-ENOENT when there is none).
 * Returns 0 or -errno; free with snapshot_free() either way. */
int state_snapshot(struct state *st, const char *vip, unsigned int what,
		   struct snapshot *out);
void snapshot_free(struct snapshot *s);
/* NULL-safe on a zeroed one. */
void snap_bgp_free(struct snap_bgp *b);

/* A VIP's Maglev table as the data path holds it, by backend address
 * (ids differ between hosts; addresses do not). */
struct snap_table_backend {
	char address[XLB_ADDR_STRLEN];
	__u32 slots;
};

struct snap_table {
	__u32 size;
	__u64 digest;		/* of the address in every slot: equal on
				 * every host with the same key (or seed) and
				 * backends */
	__u32 hash_seed;	/* the jhash seed, without a key */
	bool hash_keyed;	/* the fleet's key (SipHash-1-3) in use */
	struct snap_table_backend *backends;
	size_t n_backends;
	/* with slots asked for: each slot's backend, an index into
	 * backends[], or -1 for none */
	int *slot_backend;
};

/* Reads v's table back from the map. Returns 0 or -errno; free with
 * snap_table_free() either way. */
int state_table_snapshot(struct state *st, struct vip *v, bool slots,
			 struct snap_table *out);
void snap_table_free(struct snap_table *t);

#endif /* XLB_SNAPSHOT_H */
