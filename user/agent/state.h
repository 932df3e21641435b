/* SPDX-License-Identifier: GPL-2.0 */
/* What runs: VIPs and backends with their ids, states and weights, kept in
 * step with the maps. Config reloads and CLI changes are differences
 * applied here. */
#ifndef XLB_STATE_H
#define XLB_STATE_H

#include <json-c/json.h>

#include "xlb_abi.h"

struct dataplane;
struct hc_params;
struct loop;
struct xlb_cfg;
struct state;

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

struct vip;

/* A change that must reach the table now: weighs the VIP's backends, then
 * builds its table and swaps it in. Returns 0 or -errno. */
int state_vip_rebuild(struct state *st, struct vip *v);

/* The data path hints that a backend may be failing: probe it now. */
void state_hint(struct state *st, __u32 backend_id);

/* Calls fn for every VIP with how many of its backends pass their
 * health checks (up or draining). */
typedef void (*state_vip_fn)(const char *name, const struct xlb_vip_key *key,
			     size_t healthy, size_t total, void *arg);
void state_for_each_vip(struct state *st, state_vip_fn fn, void *arg);

/* Control API commands other than reload. */
json_object *state_handle_request(struct state *st, const char *cmd,
				  json_object *req);

#endif /* XLB_STATE_H */
