/* SPDX-License-Identifier: GPL-2.0 */
/* The balancer's maps: loaded, pinned or adopted, read and written. The
 * only code (with attach.c and decap.c beside it) that uses libbpf. */
#ifndef XLB_DP_MAPS_H
#define XLB_DP_MAPS_H

#include <stdbool.h>
#include <stddef.h>
#include "xlb_abi.h"

struct dataplane;

struct dataplane_opts {
	__u32 flow_entries;	/* connection table size; 0 = default */
	const char *pin_dir;	/* pin maps here and adopt the pinned ones
				 * a previous agent left; NULL = no pins */
};

/* Opens and loads the balancer (maps created or adopted, nothing
 * attached). NULL with errno set on failure. */
struct dataplane *dataplane_open(const struct dataplane_opts *opts);
void dataplane_close(struct dataplane *dp);
int dataplane_prog_fd(const struct dataplane *dp);

int dataplane_set_config(struct dataplane *dp, const struct xlb_config *cfg);
/* The flow hash and its secret key (alg XLB_HASH_JHASH: no key). */
int dataplane_set_hash_key(struct dataplane *dp,
			   const struct xlb_hash_key *key);
/* A map's fd by its name in the object, for tests and tools that look at
 * a map this API has no call for; -ENOENT if there is none. */
int dataplane_map_fd(const struct dataplane *dp, const char *name);
int dataplane_set_vip(struct dataplane *dp, const struct xlb_vip_key *key,
		      const struct xlb_vip_info *info);
int dataplane_del_vip(struct dataplane *dp, const struct xlb_vip_key *key);
int dataplane_set_backend(struct dataplane *dp, __u32 id,
			  const struct xlb_backend *be);
/* One map write: the data path avoids (or uses again) the backend. */
int dataplane_set_backend_down(struct dataplane *dp, __u32 id, bool down);
/* Fills a new inner table with slots[0..n-1] and swaps it in whole. */
int dataplane_set_table(struct dataplane *dp, __u32 vip_id,
			const __u32 *slots, __u32 n);
int dataplane_add_tx_port(struct dataplane *dp, __u32 ifindex);
/* The data path's hints: fn(ctx, hint) for each, from
 * dataplane_hints_consume() when dataplane_hints_fd() is readable. NULL
 * with errno on failure. */
struct dataplane_hints;
typedef void (*dataplane_hint_fn)(void *ctx, const struct xlb_hint *hint);
struct dataplane_hints *dataplane_hints_open(struct dataplane *dp,
					     dataplane_hint_fn fn, void *ctx);
int dataplane_hints_fd(const struct dataplane_hints *h);
int dataplane_hints_consume(struct dataplane_hints *h);
/* NULL is a no-op. */
void dataplane_hints_close(struct dataplane_hints *h);

/* Counters summed over CPUs. */
int dataplane_read_reasons(struct dataplane *dp, __u64 out[XLB_REASON_MAX]);
int dataplane_read_vip_stats(struct dataplane *dp, __u32 vip_id,
			     struct xlb_counter *out);
int dataplane_read_backend_stats(struct dataplane *dp, __u32 id,
				 struct xlb_counter *out);
int dataplane_lookup_flow(struct dataplane *dp, const struct xlb_flow_key *key,
			  struct xlb_flow *out);
/* Deletes one flow entry, as an LRU eviction would: its backend's active
 * count is left for the sweep to correct. */
int dataplane_del_flow(struct dataplane *dp, const struct xlb_flow_key *key);
/* Empties the flow and fragment tables and zeroes the active counts. */
int dataplane_clear_flows(struct dataplane *dp);
/* Active flows per backend id (open, less those idle at the last sweep),
 * as the data path counts them, into counts[0..n-1]; a count below 0 (put
 * right by the next sweep) reads as 0. Reads shared memory: no syscall,
 * cheap at any table size. */
int dataplane_read_active_flows(struct dataplane *dp, __u64 *counts, __u32 n);
/* One backend's, the same way. */
__u64 dataplane_active_flows(struct dataplane *dp, __u32 id);
/* Times a flow opened on the backend (a counter: new flows, moved to it,
 * reopened). */
__u64 dataplane_opened_flows(struct dataplane *dp, __u32 id);

/*
 * The agent's sweep of the flow table, in steps so that a table of a
 * million flows never holds up the event loop; each step reads up to
 * `budget` entries. It writes no entry. An open TCP flow whose last packet
 * is older than tcp_idle_ns (UDP: udp_idle_ns) is idle. With correct set,
 * the last step makes each backend's count the open flows the walk found
 * less the idle ones (plus what the data path counted meanwhile): that
 * takes idle flows out, puts back those that moved again, and undoes the
 * drift of flows lost to LRU eviction and of races between CPUs. A flow
 * taken out as idle that then closes or moves again is off by one until
 * the next sweep.
 */
struct flow_sweep_opts {
	__u64 now_ns;		/* bpf_ktime_get_ns() clock */
	__u64 tcp_idle_ns;	/* 0 = never idle */
	__u64 udp_idle_ns;	/* 0 = never idle */
	bool correct;
};

struct flow_sweep_stats {
	__u64 entries;		/* flow entries walked */
	__u64 active;		/* open and not idle */
	__u64 idle;		/* open but idle past the timeout */
	__u64 drift;		/* sum over backends of |open found - open
				 * counted| */
};

struct flow_sweep;
/* NULL with errno set on failure. */
struct flow_sweep *dataplane_sweep_start(struct dataplane *dp,
					 const struct flow_sweep_opts *opts);
/* 0: more to walk; 1: done (counts corrected if asked, stats final);
 * -errno. stats (may be NULL) gets the totals so far. */
int dataplane_sweep_step(struct flow_sweep *sw, __u32 budget,
			 struct flow_sweep_stats *stats);
/* After the last step: the active (open, not idle) flows the walk found
 * per backend id, into found[0..n-1]. */
void dataplane_sweep_found(const struct flow_sweep *sw, __u64 *found,
			   __u32 n);
/* NULL is a no-op. */
void dataplane_sweep_free(struct flow_sweep *sw);
/* Adds the number of flow entries per backend id into counts[0..n-1],
 * counting only entries seen at or after seen_since_ns (bpf_ktime_get_ns
 * clock; 0 = every entry). */
int dataplane_count_flows(struct dataplane *dp, __u64 *counts, __u32 n,
			  __u64 seen_since_ns);
int dataplane_clear_stats(struct dataplane *dp);

const char *xlb_reason_name(unsigned int reason);

/* Pins again the maps whose pins were removed (xlb agent --detach under a
 * running agent), so that the next agent adopts them. */
int dataplane_repin(struct dataplane *dp);
/* Flow-table size of the maps pinned in pin_dir, 0 if none. */
__u32 dataplane_pinned_flow_entries(const char *pin_dir);
/* Walks the pinned state a previous agent left: every VIP, then every
 * backend in use (family != 0). */
int dataplane_for_each_vip(struct dataplane *dp,
			   int (*fn)(const struct xlb_vip_key *key,
				     const struct xlb_vip_info *info,
				     void *arg),
			   void *arg);
int dataplane_for_each_backend(struct dataplane *dp,
			       int (*fn)(__u32 id, const struct xlb_backend *be,
					 void *arg),
			       void *arg);
int dataplane_del_table(struct dataplane *dp, __u32 vip_id);
/* Reads the VIP's table as the data path sees it: *n slots into
 * slots[0..cap-1]. -ENOENT when it has none, -ERANGE when cap is short. */
int dataplane_read_table(struct dataplane *dp, __u32 vip_id, __u32 *slots,
			 __u32 cap, __u32 *n);

#endif /* XLB_DP_MAPS_H */
