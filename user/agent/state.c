// SPDX-License-Identifier: GPL-2.0
/* Runtime model of VIPs and backends and the control API over it. Every
 * change ends in map writes through dataplane.c, in an order the data path
 * can never trip over: backends, then the VIP's table, then the VIP. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/ctl.h"
#include "agent/state_priv.h"
#include "agent/sweep.h"
#include "core/addr.h"
#include "core/log.h"
#include "dp/maps.h"
#include "model/maglev.h"

#define NSEC_PER_SEC 1000000000ULL
#define DRAIN_CHECK_NS NSEC_PER_SEC
#define DEFAULT_DRAIN_TIMEOUT_MS 30000

static const char *const state_names[] = {
	[BE_UP] = "up", [BE_DOWN] = "down", [BE_DRAINING] = "draining",
};

/* What a previous agent left in the pinned maps. */
struct adopted_vip {
	struct xlb_vip_key key;
	__u32 id;
};

struct adopted_backend {
	__u32 id;
	struct xlb_backend be;
};

struct state *state_new(struct dataplane *dp, struct loop *loop)
{
	struct state *st = calloc(1, sizeof(*st));

	if (!st)
		return NULL;
	st->dp = dp;
	st->loop = loop;
	st->next_backend = 1;
	st->sweep = sweep_start(dp, loop);
	if (!st->sweep) {
		free(st);
		return NULL;
	}
	table_weights_start(st);
	return st;
}

static void vip_free(struct vip *v)
{
	for (size_t i = 0; i < v->n_backends; i++) {
		health_stop(v->backends[i]->hc);
		free(v->backends[i]);
	}
	free(v->backends);
	free(v);
}

void state_free(struct state *st)
{
	if (!st)
		return;
	if (st->drain_timer)
		loop_del_timer(st->loop, st->drain_timer);
	if (st->weights_timer)
		loop_del_timer(st->loop, st->weights_timer);
	sweep_stop(st->sweep);
	for (size_t i = 0; i < st->n_vips; i++)
		vip_free(st->vips[i]);
	free(st->vips);
	free(st->adopted_vips);
	free(st->adopted_backends);
	free(st->scratch);
	free(st);
}

static int adopt_vip(const struct xlb_vip_key *key,
		     const struct xlb_vip_info *info, void *arg)
{
	struct state *st = arg;
	struct adopted_vip *a;

	if (info->vip_id >= XLB_MAX_VIPS)
		return 0;
	a = realloc(st->adopted_vips,
		    (st->n_adopted_vips + 1) * sizeof(*a));
	if (!a)
		return -ENOMEM;
	st->adopted_vips = a;
	a[st->n_adopted_vips++] = (struct adopted_vip){ *key, info->vip_id };
	st->vip_used[info->vip_id] = 1;
	return 0;
}

static int adopt_backend(__u32 id, const struct xlb_backend *be, void *arg)
{
	struct state *st = arg;
	struct adopted_backend *a;

	a = realloc(st->adopted_backends,
		    (st->n_adopted_backends + 1) * sizeof(*a));
	if (!a)
		return -ENOMEM;
	st->adopted_backends = a;
	a[st->n_adopted_backends++] = (struct adopted_backend){ id, *be };
	st->backend_used[id] = 1;
	if (id >= st->next_backend)
		st->next_backend = id + 1 < XLB_MAX_BACKENDS ? id + 1 : 1;
	return 0;
}

int state_adopt(struct state *st)
{
	int err = dataplane_for_each_vip(st->dp, adopt_vip, st);

	if (!err)
		err = dataplane_for_each_backend(st->dp, adopt_backend, st);
	if (!err && (st->n_adopted_vips || st->n_adopted_backends))
		pr_info("adopted %zu VIPs and %zu backends from the pinned "
			"maps\n", st->n_adopted_vips, st->n_adopted_backends);
	return err;
}

static bool addr_eq(const union xlb_addr *a, const union xlb_addr *b)
{
	return !memcmp(a, b, sizeof(*a));
}

static bool vip_key_eq(const struct xlb_vip_key *a,
		       const struct xlb_vip_key *b)
{
	return addr_eq(&a->addr, &b->addr) && a->port == b->port &&
	       a->proto == b->proto && a->family == b->family;
}

static __u32 alloc_vip_id(struct state *st, const struct xlb_vip_key *key)
{
	for (size_t i = 0; i < st->n_adopted_vips; i++)
		if (vip_key_eq(&st->adopted_vips[i].key, key))
			return st->adopted_vips[i].id;
	for (__u32 id = 0; id < XLB_MAX_VIPS; id++) {
		if (!st->vip_used[id]) {
			st->vip_used[id] = 1;
			return id;
		}
	}
	return XLB_MAX_VIPS;
}

/* An id for a backend: the one a previous agent used for it (then
 * *adopted is set, with its flags), else a free one. */
static __u32 alloc_backend_id(struct state *st, __u32 vip_id,
			      const union xlb_addr *addr, __u8 family,
			      __u8 *adopted_flags, bool *adopted)
{
	for (size_t i = 0; i < st->n_adopted_backends; i++) {
		struct adopted_backend *a = &st->adopted_backends[i];

		if (a->be.vip_id == vip_id && a->be.family == family &&
		    addr_eq(&a->be.addr, addr)) {
			*adopted_flags = a->be.flags;
			*adopted = true;
			return a->id;
		}
	}
	for (__u32 n = 1; n < XLB_MAX_BACKENDS; n++) {
		__u32 id = st->next_backend;

		st->next_backend = id + 1 < XLB_MAX_BACKENDS ? id + 1 : 1;
		if (!st->backend_used[id]) {
			st->backend_used[id] = 1;
			return id;
		}
	}
	return 0;
}

static struct vip *vip_by_key(struct state *st, const struct xlb_vip_key *k)
{
	for (size_t i = 0; i < st->n_vips; i++)
		if (vip_key_eq(&st->vips[i]->key, k))
			return st->vips[i];
	return NULL;
}

static struct vip *vip_by_name(struct state *st, const char *name)
{
	for (size_t i = 0; i < st->n_vips; i++)
		if (!strcmp(st->vips[i]->name, name))
			return st->vips[i];
	return NULL;
}

static struct backend *backend_find(struct vip *v, const union xlb_addr *a,
				    __u8 family)
{
	for (size_t i = 0; i < v->n_backends; i++)
		if (v->backends[i]->family == family &&
		    addr_eq(&v->backends[i]->addr, a))
			return v->backends[i];
	return NULL;
}

static int write_backend(struct state *st, const struct backend *b)
{
	struct xlb_backend be = {
		.addr = b->addr,
		.family = b->family,
		.flags = b->state == BE_DOWN ? XLB_BACKEND_DOWN : 0,
		.vip_id = (__u16)b->vip->id,
	};

	return dataplane_set_backend(st->dp, b->id, &be);
}

static int write_vip(struct state *st, const struct vip *v)
{
	struct xlb_vip_info info = { .vip_id = v->id, .flags = v->flags };

	return dataplane_set_vip(st->dp, &v->key, &info);
}

static struct vip *vip_upsert(struct state *st, const struct vip_spec *s)
{
	struct vip *v = vip_by_key(st, &s->key), **vips;

	if (!v) {
		v = calloc(1, sizeof(*v));
		vips = realloc(st->vips, (st->n_vips + 1) * sizeof(*vips));
		if (!v || !vips) {
			free(v);
			if (vips)
				st->vips = vips;
			return NULL;
		}
		st->vips = vips;
		v->key = s->key;
		v->id = alloc_vip_id(st, &s->key);
		if (v->id >= XLB_MAX_VIPS) {
			free(v);
			errno = ENOSPC;
			return NULL;
		}
		st->vips[st->n_vips++] = v;
		v->st = st;
		weights_params_init(&v->wp);
		health_params_init(&v->hcp);
		v->hcp.type = HC_NONE;
		pr_info("vip %s: added (id %u)\n", s->name, v->id);
	}
	snprintf(v->name, sizeof(v->name), "%s", s->name);
	v->flags = s->flags;
	v->table_size = s->table_size ? s->table_size : XLB_DEFAULT_TABLE_SIZE;
	return v;
}

static void backend_release(struct state *st, struct backend *b)
{
	struct xlb_backend gone = {};

	/* family 0: flows still pinned to it are rescheduled */
	dataplane_set_backend(st->dp, b->id, &gone);
	st->backend_used[b->id] = 0;
}

static void vip_remove(struct state *st, struct vip *v)
{
	dataplane_del_vip(st->dp, &v->key);
	dataplane_del_table(st->dp, v->id);
	for (size_t i = 0; i < v->n_backends; i++)
		backend_release(st, v->backends[i]);
	st->vip_used[v->id] = 0;
	for (size_t i = 0; i < st->n_vips; i++) {
		if (st->vips[i] == v) {
			st->vips[i] = st->vips[--st->n_vips];
			break;
		}
	}
	pr_info("vip %s: removed\n", v->name);
	vip_free(v);
}

static void backend_refresh(struct state *st, struct backend *b);

static void backend_health_changed(void *arg, enum hc_state hs,
				   const char *reason, __u64 latency_ns)
{
	struct backend *b = arg;
	char buf[XLB_ADDR_STRLEN];

	if (hs == HC_UP && !b->healthy)
		b->since_ms = now_ms();	/* risen: slow start again */
	b->healthy = hs == HC_UP;
	/* the maps first: logging may block on syslog */
	backend_refresh(b->vip->st, b);
	pr_info("vip %s: backend %s is %s (%s, %.1f ms)\n", b->vip->name,
		xlb_addr_str(&b->addr, b->family, buf, sizeof(buf)),
		b->healthy ? "up" : "down", reason, latency_ns / 1e6);
}

/* (Re)starts the health checker when its parameters changed. */
static int backend_watch(struct state *st, struct backend *b,
			 const struct hc_params *p)
{
	struct hc_params want = *p;

	want.init_down = b->hcp.init_down;
	if (b->hc && !memcmp(&want, &b->hcp, sizeof(want)))
		return 0;
	want.init_down = !b->healthy;
	health_stop(b->hc);
	b->hc = NULL;
	b->hcp = want;
	if (want.type == HC_NONE) {
		b->healthy = true;
		backend_refresh(st, b);
		return 0;
	}
	b->hc = health_start(st->loop, &b->hcp, &b->addr, b->family,
			     backend_health_changed, b);
	return b->hc ? 0 : -errno;
}

static struct backend *backend_upsert(struct state *st, struct vip *v,
				      const struct backend_spec *s)
{
	struct backend *b = backend_find(v, &s->addr, s->family), **arr;
	char buf[XLB_ADDR_STRLEN];
	bool adopted = false;
	__u8 flags = 0;
	int err;

	if (b) {
		b->weight = s->weight;
		snprintf(b->zone, sizeof(b->zone), "%s", s->zone ? s->zone : "");
		goto watch;
	}
	b = calloc(1, sizeof(*b));
	arr = realloc(v->backends, (v->n_backends + 1) * sizeof(*arr));
	if (!b || !arr) {
		free(b);
		if (arr)
			v->backends = arr;
		errno = ENOMEM;
		return NULL;
	}
	v->backends = arr;
	b->vip = v;
	b->addr = s->addr;
	b->family = s->family;
	b->weight = s->weight;
	snprintf(b->zone, sizeof(b->zone), "%s", s->zone ? s->zone : "");
	b->id = alloc_backend_id(st, v->id, &s->addr, s->family, &flags,
				 &adopted);
	if (!b->id) {
		free(b);
		errno = ENOSPC;
		return NULL;
	}
	/* A backend a previous agent had down stays down until it rises;
	 * one it had up is established: no slow start for it. */
	b->healthy = !(flags & XLB_BACKEND_DOWN);
	b->since_ms = adopted ? 0 : now_ms();
	b->state = b->healthy ? BE_UP : BE_DOWN;
	v->backends[v->n_backends++] = b;
	write_backend(st, b);
	pr_info("vip %s: backend %s added (id %u, weight %u)\n", v->name,
		xlb_addr_str(&b->addr, b->family, buf, sizeof(buf)), b->id,
		b->weight);
watch:
	err = backend_watch(st, b, s->hcp ? s->hcp : &v->hcp);
	if (err)
		pr_warn("vip %s: backend %s: health check not started: %s\n",
			v->name,
			xlb_addr_str(&b->addr, b->family, buf, sizeof(buf)),
			strerror(-err));
	return b;
}

static void backend_remove(struct state *st, struct vip *v,
			   struct backend *b)
{
	char buf[XLB_ADDR_STRLEN];

	for (size_t i = 0; i < v->n_backends; i++) {
		if (v->backends[i] == b) {
			v->backends[i] = v->backends[--v->n_backends];
			break;
		}
	}
	pr_info("vip %s: backend %s removed\n", v->name,
		xlb_addr_str(&b->addr, b->family, buf, sizeof(buf)));
	health_stop(b->hc);
	backend_release(st, b);
	free(b);
}

/* Rebuilds the VIP's table and (re)publishes the VIP. */
static int vip_publish(struct state *st, struct vip *v)
{
	int err = state_vip_rebuild(st, v);

	return err ? err : write_vip(st, v);
}

/* A backend's health or drain state changed: one map write first (the
 * data path avoids a down backend at once, rescheduling its flows), then
 * the table rebuilt without it. A draining backend keeps its flows. */
static void backend_refresh(struct state *st, struct backend *b)
{
	enum backend_state s = !b->healthy ? BE_DOWN
			     : b->draining ? BE_DRAINING
					   : BE_UP;
	int err;

	if (b->state == s)
		return;
	b->state = s;
	err = write_backend(st, b);
	if (!err)
		err = state_vip_rebuild(st, b->vip);
	if (err)
		pr_warn("vip %s: map update failed: %s\n", b->vip->name,
			strerror(-err));
}

/* ---- control API ---- */

static json_object *ok_reply(void)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "ok", json_object_new_boolean(1));
	return o;
}

static const char *req_string(json_object *req, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(req, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* Integer field: def when absent, -1 when present but not an integer in
 * [0, max]. */
static long long req_uint(json_object *req, const char *key, long long def,
			  long long max)
{
	json_object *v;
	long long n;

	if (!json_object_object_get_ex(req, key, &v))
		return def;
	if (!json_object_is_type(v, json_type_int))
		return -1;
	n = json_object_get_int64(v);
	return n < 0 || n > max ? -1 : n;
}

static const char *proto_name(__u8 proto)
{
	return proto == 17 ? "udp" : "tcp";
}

/* The checker's view of a backend: last result, latency, ratios. */
static json_object *health_json(const struct backend *b)
{
	json_object *o = json_object_new_object(), *arr;
	struct health_stats hs;

	json_object_object_add(o, "check",
			       json_object_new_string(
				       health_type_name(b->hcp.type)));
	if (!b->hc)
		return o;
	health_get_stats(b->hc, &hs);
	json_object_object_add(o, "state", json_object_new_string(
					   health_state_name(hs.state)));
	json_object_object_add(o, "last_result",
			       json_object_new_string(
				       health_result_name(hs.last_result)));
	json_object_object_add(o, "last_reason",
			       json_object_new_string(hs.last_reason));
	json_object_object_add(o, "consecutive_failures",
			       json_object_new_int64(hs.consec_fail));
	json_object_object_add(o, "probes", json_object_new_int64(
						    (int64_t)hs.probes));
	json_object_object_add(o, "failures", json_object_new_int64(
						      (int64_t)hs.failures));
	json_object_object_add(o, "transitions",
			       json_object_new_int64((int64_t)hs.transitions));
	json_object_object_add(o, "latency_ewma_us",
			       json_object_new_int64(
				       (int64_t)(hs.latency_ewma_ns / 1000)));
	json_object_object_add(o, "latency_p50_us",
			       json_object_new_int64(
				       (int64_t)(hs.latency_p50_ns / 1000)));
	json_object_object_add(o, "latency_p99_us",
			       json_object_new_int64(
				       (int64_t)(hs.latency_p99_ns / 1000)));
	json_object_object_add(o, "success_ratio",
			       json_object_new_double(hs.success_ratio));
	json_object_object_add(o, "failovers",
			       json_object_new_int64((int64_t)hs.downs));
	arr = json_object_new_object();
	for (unsigned int r = HC_R_OK; r < HC_R_COUNT; r++)
		json_object_object_add(arr, health_result_name(r),
				       json_object_new_int64(
					       (int64_t)hs.results[r]));
	json_object_object_add(o, "results", arr);
	arr = json_object_new_array();
	for (unsigned int i = 0; i <= HC_LATENCY_BUCKETS; i++)
		json_object_array_add(arr, json_object_new_int64((int64_t)
					hs.latency_buckets[i]));
	json_object_object_add(o, "latency_buckets", arr);
	json_object_object_add(o, "latency_sum_us",
			       json_object_new_int64(
				       (int64_t)(hs.latency_sum_ns / 1000)));
	json_object_object_add(o, "latency_count",
			       json_object_new_int64((int64_t)hs.latency_count));
	return o;
}

static json_object *backend_json(struct state *st, const struct backend *b,
				 const __u64 *flows)
{
	json_object *o = json_object_new_object();
	char buf[XLB_ADDR_STRLEN];
	struct xlb_counter c = {};

	dataplane_read_backend_stats(st->dp, b->id, &c);
	json_object_object_add(o, "address",
			       json_object_new_string(xlb_addr_str(
				       &b->addr, b->family, buf, sizeof(buf))));
	json_object_object_add(o, "id", json_object_new_int64(b->id));
	json_object_object_add(o, "zone",
			       b->zone[0] ? json_object_new_string(b->zone)
					  : NULL);
	json_object_object_add(o, "weight", json_object_new_int64(b->weight));
	json_object_object_add(o, "effective_weight",
			       json_object_new_double(b->wout.weight));
	json_object_object_add(o, "weight_why",
			       json_object_new_string(b->wout.why));
	json_object_object_add(o, "slow_start",
			       json_object_new_double(b->wout.slow_start));
	json_object_object_add(o, "state",
			       json_object_new_string(
				       b->drained && b->state == BE_DRAINING
					       ? "drained"
					       : state_names[b->state]));
	json_object_object_add(o, "flows",
			       json_object_new_int64((int64_t)flows[b->id]));
	json_object_object_add(o, "new_flows",
			       json_object_new_int64((int64_t)
				       dataplane_opened_flows(st->dp, b->id)));
	json_object_object_add(o, "packets",
			       json_object_new_int64((int64_t)c.packets));
	json_object_object_add(o, "bytes",
			       json_object_new_int64((int64_t)c.bytes));
	json_object_object_add(o, "health", health_json(b));
	return o;
}

static json_object *vip_json(struct state *st, const struct vip *v,
			     const __u64 *flows)
{
	json_object *o = json_object_new_object(), *arr;
	char buf[XLB_ADDR_STRLEN];
	struct xlb_counter c = {};

	dataplane_read_vip_stats(st->dp, v->id, &c);
	json_object_object_add(o, "name", json_object_new_string(v->name));
	json_object_object_add(o, "id", json_object_new_int64(v->id));
	json_object_object_add(o, "address",
			       json_object_new_string(xlb_addr_str(
				       &v->key.addr, v->key.family, buf,
				       sizeof(buf))));
	json_object_object_add(o, "port",
			       json_object_new_int(ntohs(v->key.port)));
	json_object_object_add(o, "protocol",
			       json_object_new_string(proto_name(v->key.proto)));
	json_object_object_add(o, "affinity",
			       json_object_new_string(
				       v->flags & XLB_VIP_SRC_AFFINITY
					       ? "source-ip"
					       : "none"));
	json_object_object_add(o, "when_all_down",
			       json_object_new_string(
				       v->flags & XLB_VIP_PASS_ALL_DOWN
					       ? "pass"
					       : "drop"));
	json_object_object_add(o, "table_size",
			       json_object_new_int64(v->table_size));
	json_object_object_add(o, "weighting",
			       json_object_new_string(
				       weights_mode_name(v->wp.mode)));
	json_object_object_add(o, "prefer_zone",
			       json_object_new_boolean(v->wp.prefer_zone));
	if (v->wp.prefer_zone) {
		json_object_object_add(o, "zone_min_healthy",
				       json_object_new_double(
					       v->wp.zone_min_healthy));
		json_object_object_add(o, "zone_health",
				       json_object_new_double(v->zone.health));
		json_object_object_add(o, "zone_local_share",
				       json_object_new_double(
					       v->zone.local_share));
		json_object_object_add(o, "zone_spilling",
				       json_object_new_boolean(
					       v->zone.spilling));
	}
	json_object_object_add(o, "rebuilds",
			       json_object_new_int64((int64_t)v->rebuilds));
	json_object_object_add(o, "rebuild_seconds_total",
			       json_object_new_double(v->rebuild_ns_total / 1e9));
	json_object_object_add(o, "last_rebuild_seconds",
			       json_object_new_double(v->last_rebuild_ns / 1e9));
	json_object_object_add(o, "packets",
			       json_object_new_int64((int64_t)c.packets));
	json_object_object_add(o, "bytes",
			       json_object_new_int64((int64_t)c.bytes));
	arr = json_object_new_array();
	for (size_t i = 0; flows && i < v->n_backends; i++)
		json_object_array_add(arr, backend_json(st, v->backends[i],
							flows));
	json_object_object_add(o, "backends", arr);
	return o;
}

static void drain_schedule(struct state *st);

static int count_active_flows(struct state *st, __u64 *flows)
{
	return dataplane_read_active_flows(st->dp, flows, XLB_MAX_BACKENDS);
}

static json_object *cmd_show(struct state *st, json_object *req)
{
	const char *only = req_string(req, "vip");
	json_object *o = json_object_new_object(), *arr;
	__u64 *flows = calloc(XLB_MAX_BACKENDS, sizeof(*flows));

	if (!flows)
		return ctl_error("out of memory");
	if (only && !vip_by_name(st, only)) {
		free(flows);
		json_object_put(o);
		return ctl_error("no VIP named '%s'", only);
	}
	count_active_flows(st, flows);
	arr = json_object_new_array();
	for (size_t i = 0; i < st->n_vips; i++)
		if (!only || !strcmp(only, st->vips[i]->name))
			json_object_array_add(arr,
					      vip_json(st, st->vips[i], flows));
	json_object_object_add(o, "vips", arr);
	json_object_object_add(o, "zone",
			       st->zone[0] ? json_object_new_string(st->zone)
					   : NULL);
	free(flows);
	return o;
}

/* The last complete sweep of the flow table. */
static json_object *sweep_json(const struct state *st)
{
	json_object *o = json_object_new_object();
	struct sweep_status ss;
	const struct flow_sweep_stats *s = &ss.last;

	sweep_get_status(st->sweep, &ss);
	json_object_object_add(o, "sweeps",
			       json_object_new_int64((int64_t)ss.sweeps));
	json_object_object_add(o, "entries",
			       json_object_new_int64((int64_t)s->entries));
	json_object_object_add(o, "active",
			       json_object_new_int64((int64_t)s->active));
	json_object_object_add(o, "idle",
			       json_object_new_int64((int64_t)s->idle));
	json_object_object_add(o, "drift",
			       json_object_new_int64((int64_t)s->drift));
	json_object_object_add(o, "drift_total",
			       json_object_new_int64((int64_t)ss.drift_total));
	json_object_object_add(o, "duration_ms",
			       json_object_new_double(ss.duration_ns / 1e6));
	return o;
}

static json_object *cmd_stats(struct state *st, json_object *req)
{
	json_object *o = cmd_show(st, req), *reasons;
	__u64 counts[XLB_REASON_MAX];

	if (json_object_object_get_ex(o, "error", NULL))
		return o;
	reasons = json_object_new_object();
	if (!dataplane_read_reasons(st->dp, counts))
		for (unsigned int r = 0; r < XLB_REASON_MAX; r++)
			json_object_object_add(reasons, xlb_reason_name(r),
					       json_object_new_int64(
						       (int64_t)counts[r]));
	json_object_object_add(o, "reasons", reasons);
	json_object_object_add(o, "flow_sweep", sweep_json(st));
	return o;
}

static json_object *cmd_vip_list(struct state *st, json_object *req)
{
	json_object *o = json_object_new_object(), *arr;

	(void)req;
	arr = json_object_new_array();
	for (size_t i = 0; i < st->n_vips; i++)
		json_object_array_add(arr, vip_json(st, st->vips[i], NULL));
	json_object_object_add(o, "vips", arr);
	return o;
}

/* Parses {address, port, protocol, ...} of a vip-add request. */
static json_object *parse_vip_spec(json_object *req, struct vip_spec *s)
{
	const char *addr = req_string(req, "address");
	const char *proto = req_string(req, "protocol");
	const char *aff = req_string(req, "affinity");
	const char *down = req_string(req, "when_all_down");
	long long port = req_uint(req, "port", -1, 65535);
	long long size = req_uint(req, "table_size", XLB_DEFAULT_TABLE_SIZE,
				  XLB_MAX_TABLE_SIZE);

	memset(s, 0, sizeof(*s));
	s->name = req_string(req, "name");
	if (!s->name || !*s->name || strlen(s->name) >= 64)
		return ctl_error("vip needs a name (1..63 characters)");
	if (!addr || xlb_addr_parse(addr, &s->key.addr, &s->key.family))
		return ctl_error("vip needs an IPv4 or IPv6 address");
	if (port < 0)
		return ctl_error("vip needs a port 0..65535 (0 = all ports)");
	s->key.port = htons((__u16)port);
	if (!proto || !strcmp(proto, "tcp"))
		s->key.proto = 6;
	else if (!strcmp(proto, "udp"))
		s->key.proto = 17;
	else
		return ctl_error("protocol must be tcp or udp, not '%s'", proto);
	if (aff && !strcmp(aff, "source-ip"))
		s->flags |= XLB_VIP_SRC_AFFINITY;
	else if (aff && strcmp(aff, "none"))
		return ctl_error("affinity must be none or source-ip");
	if (down && !strcmp(down, "pass"))
		s->flags |= XLB_VIP_PASS_ALL_DOWN;
	else if (down && strcmp(down, "drop"))
		return ctl_error("when_all_down must be drop or pass");
	if (size < 0 || !maglev_is_prime((__u32)size))
		return ctl_error("table_size must be a prime up to %d",
				 XLB_MAX_TABLE_SIZE);
	s->table_size = (__u32)size;
	return NULL;
}

static json_object *cmd_vip_add(struct state *st, json_object *req)
{
	struct vip_spec s;
	json_object *err = parse_vip_spec(req, &s);
	struct vip *v;
	int ret;

	if (err)
		return err;
	if (vip_by_name(st, s.name))
		return ctl_error("a VIP named '%s' exists", s.name);
	if (vip_by_key(st, &s.key))
		return ctl_error("a VIP with that address, port and protocol "
				 "exists");
	v = vip_upsert(st, &s);
	if (!v)
		return ctl_error("cannot add VIP: %s", strerror(errno));
	ret = vip_publish(st, v);
	if (ret)
		return ctl_error("cannot publish VIP: %s", strerror(-ret));
	return ok_reply();
}

static json_object *cmd_vip_del(struct state *st, json_object *req)
{
	const char *name = req_string(req, "name");
	struct vip *v = name ? vip_by_name(st, name) : NULL;

	if (!v)
		return ctl_error("no VIP named '%s'", name ? name : "");
	vip_remove(st, v);
	return ok_reply();
}

/* Once a second while something drains: a draining backend with no
 * active flow left, or past its deadline, is drained (and removed if the
 * drain asked for it). */
static void drain_tick(struct loop *loop, void *arg)
{
	struct state *st = arg;
	__u64 now = loop_now_ns(), *flows;
	char buf[XLB_ADDR_STRLEN];
	bool pending = false;

	(void)loop;
	st->drain_timer = 0;
	flows = calloc(XLB_MAX_BACKENDS, sizeof(*flows));
	if (!flows || count_active_flows(st, flows)) {
		free(flows);
		drain_schedule(st);
		return;
	}
	for (size_t i = 0; i < st->n_vips; i++) {
		struct vip *v = st->vips[i];

		for (size_t j = v->n_backends; j-- > 0;) {
			struct backend *b = v->backends[j];

			if (!b->draining || b->drained)
				continue;
			if (flows[b->id] && now < b->drain_deadline_ns) {
				pending = true;
				continue;
			}
			b->drained = true;
			pr_info("vip %s: backend %s drained (%s)\n", v->name,
				xlb_addr_str(&b->addr, b->family, buf,
					     sizeof(buf)),
				flows[b->id] ? "timeout" : "no active flow");
			if (b->drain_remove) {
				backend_remove(st, v, b);
				state_vip_rebuild(st, v);
			}
		}
	}
	free(flows);
	if (pending)
		drain_schedule(st);
}

static void drain_schedule(struct state *st)
{
	if (!st->drain_timer)
		st->drain_timer = loop_add_timer(st->loop, DRAIN_CHECK_NS,
						 drain_tick, st);
}

/* Finds the VIP and backend a backend-* request names. */
static json_object *req_backend(struct state *st, json_object *req,
				struct vip **v, struct backend_spec *s,
				struct backend **b)
{
	const char *name = req_string(req, "vip");
	const char *addr = req_string(req, "address");

	*v = name ? vip_by_name(st, name) : NULL;
	if (!*v)
		return ctl_error("no VIP named '%s'", name ? name : "");
	memset(s, 0, sizeof(*s));
	if (!addr || xlb_addr_parse(addr, &s->addr, &s->family))
		return ctl_error("bad backend address '%s'",
				 addr ? addr : "");
	*b = backend_find(*v, &s->addr, s->family);
	return NULL;
}

static json_object *cmd_backend(struct state *st, const char *verb,
				json_object *req)
{
	long long weight = req_uint(req, "weight", 100, 65535);
	const char *zone = req_string(req, "zone");
	struct backend_spec s;
	struct backend *b = NULL;
	struct vip *v;
	json_object *err = req_backend(st, req, &v, &s, &b);
	int ret = 0;

	if (err)
		return err;
	if (weight < 0)
		return ctl_error("weight must be 0..65535");
	if (zone && !config_zone_name_ok(zone))
		return ctl_error("zone must be 1..%d letters, digits, '.', '-' "
				 "or '_'", XLB_CFG_ZONE_MAX);
	if (!strcmp(verb, "add")) {
		if (b)
			return ctl_error("backend exists in VIP '%s'", v->name);
		s.weight = (__u32)weight;
		s.zone = zone;
		if (!backend_upsert(st, v, &s))
			return ctl_error("cannot add backend: %s",
					 strerror(errno));
		ret = state_vip_rebuild(st, v);
	} else if (!b) {
		return ctl_error("no such backend in VIP '%s'", v->name);
	} else if (!strcmp(verb, "del")) {
		backend_remove(st, v, b);
		ret = state_vip_rebuild(st, v);
	} else if (!strcmp(verb, "set")) {
		bool has_weight = req_uint(req, "weight", -2, 65535) != -2;

		if (!has_weight && !zone)
			return ctl_error("backend set needs a weight or a "
					 "zone");
		if (has_weight)
			b->weight = (__u32)weight;
		if (zone)
			snprintf(b->zone, sizeof(b->zone), "%s", zone);
		ret = state_vip_rebuild(st, v);
	} else if (!strcmp(verb, "drain")) {
		long long timeout = req_uint(req, "timeout_ms",
					     DEFAULT_DRAIN_TIMEOUT_MS,
					     24LL * 3600 * 1000);
		json_object *rm;

		if (timeout < 0)
			return ctl_error("drain timeout must be 0..24h");
		b->draining = true;
		b->drained = false;
		b->drain_remove = json_object_object_get_ex(req, "remove", &rm) &&
				  json_object_get_boolean(rm);
		b->drain_deadline_ns = loop_now_ns() +
				       (__u64)timeout * 1000000ULL;
		backend_refresh(st, b);
		drain_schedule(st);
	} else if (!strcmp(verb, "undrain")) {
		b->draining = b->drained = b->drain_remove = false;
		backend_refresh(st, b);
	} else {
		return ctl_error("unknown backend verb '%s'", verb);
	}
	if (ret)
		return ctl_error("map update failed: %s", strerror(-ret));
	return ok_reply();
}

/* FNV-1a, 64 bits: a digest of a table that two hosts can compare. */
static __u64 fnv1a(__u64 h, const void *data, size_t len)
{
	const __u8 *p = data;

	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return h;
}

/* The VIP's Maglev table as the data path holds it, by backend address
 * (ids differ between hosts; addresses do not): slots per backend and a
 * digest of the address in every slot, equal on every host that has the
 * same seed and backends. "slots": true lists every slot. */
static json_object *cmd_table(struct state *st, json_object *req)
{
	const char *name = req_string(req, "vip");
	struct vip *v = name ? vip_by_name(st, name) : NULL;
	const struct backend **by_id = NULL;
	json_object *o = NULL, *arr, *all = NULL, *want;
	char buf[XLB_ADDR_STRLEN], hex[20];
	__u64 digest = 0xcbf29ce484222325ULL;
	__u32 *slots = NULL, *count = NULL, n = 0;
	int err;

	if (!v)
		return ctl_error("no VIP named '%s'", name ? name : "");
	slots = malloc(XLB_MAX_TABLE_SIZE * sizeof(*slots));
	count = calloc(XLB_MAX_BACKENDS, sizeof(*count));
	by_id = calloc(XLB_MAX_BACKENDS, sizeof(*by_id));
	if (!slots || !count || !by_id) {
		o = ctl_error("out of memory");
		goto out;
	}
	err = dataplane_read_table(st->dp, v->id, slots, XLB_MAX_TABLE_SIZE,
				   &n);
	if (err) {
		o = ctl_error("vip %s: cannot read its table: %s", v->name,
			      strerror(-err));
		goto out;
	}
	for (size_t i = 0; i < v->n_backends; i++)
		by_id[v->backends[i]->id] = v->backends[i];
	if (json_object_object_get_ex(req, "slots", &want) &&
	    json_object_get_boolean(want))
		all = json_object_new_array();
	for (__u32 i = 0; i < n; i++) {
		const struct backend *b =
			slots[i] < XLB_MAX_BACKENDS ? by_id[slots[i]] : NULL;
		__u8 rec[sizeof(union xlb_addr) + 1] = {};

		if (b) {
			memcpy(rec, &b->addr, sizeof(b->addr));
			rec[sizeof(b->addr)] = b->family;
			count[b->id]++;
		}
		digest = fnv1a(digest, rec, sizeof(rec));
		if (all)
			json_object_array_add(
				all, json_object_new_string(
					     b ? xlb_addr_str(&b->addr,
							      b->family, buf,
							      sizeof(buf))
					       : "none"));
	}
	o = json_object_new_object();
	json_object_object_add(o, "vip", json_object_new_string(v->name));
	json_object_object_add(o, "size", json_object_new_int64(n));
	snprintf(hex, sizeof(hex), "%016llx", (unsigned long long)digest);
	json_object_object_add(o, "digest", json_object_new_string(hex));
	json_object_object_add(o, "hash_seed",
			       json_object_new_int64(st->dpcfg.hash_seed));
	arr = json_object_new_array();
	for (size_t i = 0; i < v->n_backends; i++) {
		const struct backend *b = v->backends[i];
		json_object *e = json_object_new_object();

		json_object_object_add(
			e, "address",
			json_object_new_string(xlb_addr_str(
				&b->addr, b->family, buf, sizeof(buf))));
		json_object_object_add(e, "slots",
				       json_object_new_int64(count[b->id]));
		json_object_array_add(arr, e);
	}
	json_object_object_add(o, "backends", arr);
	if (all)
		json_object_object_add(o, "slots", all);
out:
	free(slots);
	free(count);
	free(by_id);
	return o;
}

void state_for_each_vip(struct state *st, state_vip_fn fn, void *arg)
{
	for (size_t i = 0; i < st->n_vips; i++) {
		const struct vip *v = st->vips[i];
		size_t healthy = 0;

		for (size_t j = 0; j < v->n_backends; j++)
			healthy += v->backends[j]->healthy;
		fn(v->name, &v->key, healthy, v->n_backends, arg);
	}
}

json_object *state_handle_request(struct state *st, const char *cmd,
				  json_object *req)
{
	if (!strcmp(cmd, "table"))
		return cmd_table(st, req);
	if (!strcmp(cmd, "show"))
		return cmd_show(st, req);
	if (!strcmp(cmd, "stats"))
		return cmd_stats(st, req);
	if (!strcmp(cmd, "vip-list"))
		return cmd_vip_list(st, req);
	if (!strcmp(cmd, "vip-add"))
		return cmd_vip_add(st, req);
	if (!strcmp(cmd, "vip-del"))
		return cmd_vip_del(st, req);
	if (!strncmp(cmd, "backend-", 8))
		return cmd_backend(st, cmd + 8, req);
	return ctl_error("unknown command '%s'", cmd);
}

/* Forgets what a previous agent left and this config does not name: such
 * VIPs are unpublished, such backends made unusable (flows to them are
 * rescheduled). Runs once, after the first config. */
static void drop_unclaimed_adoptions(struct state *st)
{
	for (size_t i = 0; i < st->n_adopted_vips; i++) {
		struct adopted_vip *a = &st->adopted_vips[i];

		if (vip_by_key(st, &a->key))
			continue;
		dataplane_del_vip(st->dp, &a->key);
		dataplane_del_table(st->dp, a->id);
		st->vip_used[a->id] = 0;
	}
	for (size_t i = 0; i < st->n_adopted_backends; i++) {
		struct adopted_backend *a = &st->adopted_backends[i];
		struct xlb_backend gone = {};
		bool claimed = false;

		for (size_t j = 0; j < st->n_vips && !claimed; j++)
			for (size_t k = 0; k < st->vips[j]->n_backends; k++)
				claimed |= st->vips[j]->backends[k]->id ==
					   a->id;
		if (claimed)
			continue;
		dataplane_set_backend(st->dp, a->id, &gone);
		st->backend_used[a->id] = 0;
	}
	free(st->adopted_vips);
	free(st->adopted_backends);
	st->adopted_vips = NULL;
	st->adopted_backends = NULL;
	st->n_adopted_vips = st->n_adopted_backends = 0;
}

static void hc_from_config(const struct xlb_cfg_hc *c, struct hc_params *p)
{
	health_params_init(p);
	switch (c->type) {
	case CFG_HC_NONE:
		p->type = HC_NONE;
		break;
	case CFG_HC_HTTP:
		p->type = HC_HTTP;
		break;
	case CFG_HC_HTTPS:
		p->type = HC_HTTPS;
		break;
	case CFG_HC_GRPC:
		p->type = HC_GRPC;
		break;
	default:	/* tcp */
		p->type = HC_TCP;
		break;
	}
	p->port = c->port;
	snprintf(p->path, sizeof(p->path), "%s", c->path ? c->path : "/");
	snprintf(p->host, sizeof(p->host), "%s", c->host ? c->host : "");
	snprintf(p->body, sizeof(p->body), "%s", c->body ? c->body : "");
	snprintf(p->service, sizeof(p->service), "%s",
		 c->service ? c->service : "");
	p->tls = c->tls;
	p->status_min = c->status_min;
	p->status_max = c->status_max;
	p->tls_verify = c->tls_verify;
	p->interval_ms = c->interval_ms;
	p->timeout_ms = c->timeout_ms;
	p->rise = c->rise;
	p->fall = c->fall;
}

static int apply_vip(struct state *st, const struct xlb_cfg_vip *cv)
{
	struct hc_params hcp;
	struct vip_spec s = { .name = cv->name,
			      .flags = config_vip_flags(cv),
			      .table_size = cv->table_size };
	struct vip *v;

	config_vip_key(cv, &s.key);
	v = vip_upsert(st, &s);
	if (!v)
		return -errno;
	v->seen = true;
	v->wp = cv->weights;
	hc_from_config(&cv->health_check, &v->hcp);
	if (!v->hcp.port)
		v->hcp.port = cv->port;
	for (size_t i = 0; i < v->n_backends; i++)
		v->backends[i]->seen = false;
	for (size_t i = 0; i < cv->n_backends; i++) {
		const struct xlb_cfg_backend *cb = &cv->backends[i];
		struct backend_spec bs = { .addr = cb->addr,
					   .family = cb->family,
					   .weight = cb->weight,
					   .zone = cb->zone,
					   .hcp = &hcp };
		struct backend *b;

		hc_from_config(&cb->health_check, &hcp);
		b = backend_upsert(st, v, &bs);

		if (!b)
			return -errno;
		b->seen = true;
	}
	for (size_t i = v->n_backends; i-- > 0;)
		if (!v->backends[i]->seen)
			backend_remove(st, v, v->backends[i]);
	return vip_publish(st, v);
}

int state_apply_config(struct state *st, const struct xlb_cfg *cfg)
{
	int err, failed = 0;

	config_dp_settings(cfg, &st->dpcfg);
	snprintf(st->zone, sizeof(st->zone), "%s", cfg->zone ? cfg->zone : "");
	err = dataplane_set_config(st->dp, &st->dpcfg);
	if (err)
		return err;
	for (size_t i = 0; i < st->n_vips; i++)
		st->vips[i]->seen = false;
	for (size_t i = 0; i < cfg->n_vips; i++) {
		err = apply_vip(st, &cfg->vips[i]);
		if (err) {
			pr_warn("vip %s: %s\n", cfg->vips[i].name,
				strerror(-err));
			failed = err;
		}
	}
	for (size_t i = st->n_vips; i-- > 0;)
		if (!st->vips[i]->seen)
			vip_remove(st, st->vips[i]);
	drop_unclaimed_adoptions(st);
	return failed;
}

void state_hint(struct state *st, __u32 backend_id)
{
	for (size_t i = 0; i < st->n_vips; i++)
		for (size_t j = 0; j < st->vips[i]->n_backends; j++)
			if (st->vips[i]->backends[j]->id == backend_id &&
			    st->vips[i]->backends[j]->hc)
				health_probe_now(st->vips[i]->backends[j]->hc);
}

void state_set_encap_sources(struct state *st, const union xlb_addr *src4,
			     const union xlb_addr *src6)
{
	if (src4)
		st->dpcfg.src4 = src4->v4;
	if (src6)
		memcpy(st->dpcfg.src6, src6->v6, sizeof(st->dpcfg.src6));
}
