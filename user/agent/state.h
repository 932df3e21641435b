/* SPDX-License-Identifier: GPL-2.0 */
/* What runs: VIPs and backends with their ids, states and weights, kept in
 * step with the maps. Config reloads and CLI changes are differences
 * applied here. */
#ifndef XLB_STATE_H
#define XLB_STATE_H

#include <stdbool.h>
#include <stddef.h>

#include "xlb_abi.h"

struct backend;
struct dataplane;
struct hc_params;
struct loop;
struct state;
struct vip;
struct xlb_cfg;

/* Inputs for creating or updating a VIP or a backend. */
struct vip_spec {
	const char *name;
	struct xlb_vip_key key;
	__u32 flags;
	__u32 table_size;
};

struct backend_spec {
	union xlb_addr addr;
	__u8 family;
	__u32 weight;
	const char *zone;		/* NULL: none */
	const struct hc_params *hcp;	/* NULL: the VIP's */
};

struct state *state_new(struct dataplane *dp, struct loop *loop);
void state_free(struct state *st);

/* Reads the ids a previous agent left in the pinned maps, so the same
 * VIPs and backends keep their ids and no flow moves. */
int state_adopt(struct state *st);

/* Makes what runs match cfg: adds, updates and removes VIPs and backends,
 * rebuilds tables. Established flows stay where they are. */
int state_apply_config(struct state *st, const struct xlb_cfg *cfg);

/* Outer source addresses to use when the config names none (the agent
 * takes them from the interface). Applied with the next config. */
void state_set_encap_sources(struct state *st, const union xlb_addr *src4,
			     const union xlb_addr *src6);

/* The data path hints that a backend may be failing: probe it now. */
void state_hint(struct state *st, __u32 backend_id);

/* Calls fn for every VIP with how many of its backends pass their
 * health checks (up or draining). */
typedef void (*state_vip_fn)(const char *name, const struct xlb_vip_key *key,
			     size_t healthy, size_t total, void *arg);
void state_for_each_vip(struct state *st, state_vip_fn fn, void *arg);

/*
 * The changes the control API makes, one VIP or backend at a time. The
 * handles (struct vip, struct backend) are valid until the next change.
 */
struct vip *state_vip_by_name(struct state *st, const char *name);
struct vip *state_vip_by_key(struct state *st, const struct xlb_vip_key *key);
struct backend *state_backend_find(struct vip *v, const union xlb_addr *addr,
				   __u8 family);

/* Adds the VIP, or updates the one with that key; NULL with errno set.
 * It carries no traffic until published. */
struct vip *state_vip_upsert(struct state *st, const struct vip_spec *s);
/* Rebuilds the VIP's table and (re)publishes the VIP: 0 or -errno. */
int state_vip_publish(struct state *st, struct vip *v);
/* Unpublishes the VIP, releases its backends and frees it. */
void state_vip_remove(struct state *st, struct vip *v);

/* Adds the backend, or updates the one with that address (weight, zone,
 * checks); NULL with errno set. The table follows at the next rebuild. */
struct backend *state_backend_upsert(struct state *st, struct vip *v,
				     const struct backend_spec *s);
/* Releases the backend (flows still on it are rescheduled) and frees it. */
void state_backend_remove(struct state *st, struct backend *b);
/* A new weight and/or zone (NULL: unchanged); the table follows at the
 * next rebuild. */
void state_backend_set(struct backend *b, const __u32 *weight,
		       const char *zone);
/* No new flows for the backend; drained once its active flows are gone,
 * or after timeout_ms, and then removed if asked. */
void state_backend_drain(struct state *st, struct backend *b,
			 __u64 timeout_ms, bool remove);
void state_backend_undrain(struct state *st, struct backend *b);

/* A change that must reach the table now: weighs the VIP's backends, then
 * builds its table and swaps it in. Returns 0 or -errno. */
int state_vip_rebuild(struct state *st, struct vip *v);

#endif /* XLB_STATE_H */
