// SPDX-License-Identifier: GPL-2.0
/* The control API: each command parses and checks its request, calls the
 * model's typed functions, and renders a typed snapshot as its reply. The
 * keys and values written here are the API the CLI and scripts rely on:
 * change none of them. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/api.h"
#include "agent/ctl.h"
#include "agent/snapshot.h"
#include "agent/state.h"
#include "model/maglev.h"

/* backend-drain without a timeout_ms */
#define DEFAULT_DRAIN_TIMEOUT_MS 30000
#define MAX_DRAIN_TIMEOUT_MS (24LL * 3600 * 1000)

/* ---- requests ---- */

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

static bool req_bool(json_object *req, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(req, key, &v) &&
	       json_object_get_boolean(v);
}

/* ---- replies ---- */

static void put_int(json_object *o, const char *key, int64_t v)
{
	json_object_object_add(o, key, json_object_new_int64(v));
}

static void put_double(json_object *o, const char *key, double v)
{
	json_object_object_add(o, key, json_object_new_double(v));
}

static void put_str(json_object *o, const char *key, const char *v)
{
	json_object_object_add(o, key, json_object_new_string(v));
}

static void put_bool(json_object *o, const char *key, bool v)
{
	json_object_object_add(o, key, json_object_new_boolean(v));
}

/* A string, or null when it is empty. */
static void put_str_or_null(json_object *o, const char *key, const char *v)
{
	json_object_object_add(o, key, v[0] ? json_object_new_string(v) : NULL);
}

static json_object *ok_reply(void)
{
	json_object *o = json_object_new_object();

	put_bool(o, "ok", true);
	return o;
}

/* The checker's view of a backend: last result, latency, ratios. */
static json_object *health_json(const struct snap_backend *b)
{
	const struct health_stats *hs = &b->health;
	json_object *o = json_object_new_object(), *arr;

	put_str(o, "check", health_type_name(b->check));
	if (!b->checked)
		return o;
	put_str(o, "state", health_state_name(hs->state));
	put_str(o, "last_result", health_result_name(hs->last_result));
	put_str(o, "last_reason", hs->last_reason);
	put_int(o, "consecutive_failures", hs->consec_fail);
	put_int(o, "probes", (int64_t)hs->probes);
	put_int(o, "failures", (int64_t)hs->failures);
	put_int(o, "transitions", (int64_t)hs->transitions);
	put_int(o, "latency_ewma_us", (int64_t)(hs->latency_ewma_ns / 1000));
	put_int(o, "latency_p50_us", (int64_t)(hs->latency_p50_ns / 1000));
	put_int(o, "latency_p99_us", (int64_t)(hs->latency_p99_ns / 1000));
	put_double(o, "success_ratio", hs->success_ratio);
	put_int(o, "failovers", (int64_t)hs->downs);
	arr = json_object_new_object();
	for (unsigned int r = HC_R_OK; r < HC_R_COUNT; r++)
		put_int(arr, health_result_name(r), (int64_t)hs->results[r]);
	json_object_object_add(o, "results", arr);
	arr = json_object_new_array();
	for (unsigned int i = 0; i <= HC_LATENCY_BUCKETS; i++)
		json_object_array_add(arr, json_object_new_int64(
					(int64_t)hs->latency_buckets[i]));
	json_object_object_add(o, "latency_buckets", arr);
	put_int(o, "latency_sum_us", (int64_t)(hs->latency_sum_ns / 1000));
	put_int(o, "latency_count", (int64_t)hs->latency_count);
	return o;
}

static json_object *backend_json(const struct snap_backend *b)
{
	json_object *o = json_object_new_object();

	put_str(o, "address", b->address);
	put_int(o, "id", b->id);
	put_str_or_null(o, "zone", b->zone);
	put_int(o, "weight", b->weight);
	put_double(o, "effective_weight", b->weights.weight);
	put_str(o, "weight_why", b->weights.why);
	put_double(o, "slow_start", b->weights.slow_start);
	put_str(o, "state", snap_backend_state_name(b->state));
	put_int(o, "flows", (int64_t)b->flows);
	put_int(o, "new_flows", (int64_t)b->new_flows);
	put_int(o, "packets", (int64_t)b->counter.packets);
	put_int(o, "bytes", (int64_t)b->counter.bytes);
	json_object_object_add(o, "health", health_json(b));
	return o;
}

/* prefer_zone: the local zone's health and the share kept in it. */
static void put_zone(json_object *o, const struct snap_vip *v)
{
	put_double(o, "zone_min_healthy", v->weights.zone_min_healthy);
	put_double(o, "zone_health", v->zone.health);
	put_double(o, "zone_local_share", v->zone.local_share);
	put_bool(o, "zone_spilling", v->zone.spilling);
}

static json_object *vip_json(const struct snap_vip *v)
{
	json_object *o = json_object_new_object(), *arr;

	put_str(o, "name", v->name);
	put_int(o, "id", v->id);
	put_str(o, "address", v->address);
	put_int(o, "port", v->port);
	put_str(o, "protocol", v->proto == 17 ? "udp" : "tcp");
	put_str(o, "affinity",
		v->flags & XLB_VIP_SRC_AFFINITY ? "source-ip" : "none");
	put_str(o, "when_all_down",
		v->flags & XLB_VIP_PASS_ALL_DOWN ? "pass" : "drop");
	put_int(o, "table_size", v->table_size);
	put_str(o, "weighting", weights_mode_name(v->weights.mode));
	put_bool(o, "prefer_zone", v->weights.prefer_zone);
	if (v->weights.prefer_zone)
		put_zone(o, v);
	put_int(o, "rebuilds", (int64_t)v->rebuilds);
	put_double(o, "rebuild_seconds_total", v->rebuild_ns_total / 1e9);
	put_double(o, "last_rebuild_seconds", v->last_rebuild_ns / 1e9);
	put_int(o, "packets", (int64_t)v->counter.packets);
	put_int(o, "bytes", (int64_t)v->counter.bytes);
	arr = json_object_new_array();
	for (size_t i = 0; i < v->n_backends; i++)
		json_object_array_add(arr, backend_json(&v->backends[i]));
	json_object_object_add(o, "backends", arr);
	return o;
}

static json_object *reasons_json(const struct snapshot *s)
{
	json_object *o = json_object_new_object();

	for (unsigned int r = 0; s->has_reasons && r < XLB_REASON_MAX; r++)
		put_int(o, xlb_reason_name(r), (int64_t)s->reasons[r]);
	return o;
}

/* The last complete sweep of the flow table. */
static json_object *sweep_json(const struct sweep_status *s)
{
	json_object *o = json_object_new_object();

	put_int(o, "sweeps", (int64_t)s->sweeps);
	put_int(o, "entries", (int64_t)s->last.entries);
	put_int(o, "active", (int64_t)s->last.active);
	put_int(o, "idle", (int64_t)s->last.idle);
	put_int(o, "drift", (int64_t)s->last.drift);
	put_int(o, "drift_total", (int64_t)s->drift_total);
	put_double(o, "duration_ms", s->duration_ns / 1e6);
	return o;
}

/* ---- show, stats, vip-list ---- */

/* The reply of show (what: SNAP_BACKENDS), stats (SNAP_DATAPATH too) or
 * vip-list (0: the VIPs alone). */
static json_object *snapshot_json(const struct snapshot *s, unsigned int what)
{
	json_object *o = json_object_new_object(), *arr;

	arr = json_object_new_array();
	for (size_t i = 0; i < s->n_vips; i++)
		json_object_array_add(arr, vip_json(&s->vips[i]));
	json_object_object_add(o, "vips", arr);
	if (!what)
		return o;
	put_str_or_null(o, "zone", s->zone);
	if (what & SNAP_DATAPATH) {
		json_object_object_add(o, "reasons", reasons_json(s));
		json_object_object_add(o, "flow_sweep", sweep_json(&s->sweep));
	}
	return o;
}

/* vip: only the VIP of that name; NULL: every VIP. */
static json_object *snapshot_reply(struct api *api, const char *vip,
				   unsigned int what)
{
	struct snapshot s;
	json_object *o;
	int err = state_snapshot(api->state, vip, what, &s);

	if (err == -ENOENT)
		o = ctl_error("no VIP named '%s'", vip);
	else if (err)
		o = ctl_error("out of memory");
	else
		o = snapshot_json(&s, what);
	snapshot_free(&s);
	return o;
}

static json_object *cmd_show(struct api *api, json_object *req)
{
	return snapshot_reply(api, req_string(req, "vip"), SNAP_BACKENDS);
}

static json_object *cmd_stats(struct api *api, json_object *req)
{
	return snapshot_reply(api, req_string(req, "vip"),
			      SNAP_BACKENDS | SNAP_DATAPATH);
}

static json_object *cmd_vip_list(struct api *api, json_object *req)
{
	(void)req;
	return snapshot_reply(api, NULL, 0);
}

/* ---- vip-add, vip-del ---- */

/* Parses {name, address, port, protocol, ...} of a vip-add request. */
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
	if (!s->name || !*s->name || strlen(s->name) > XLB_CFG_NAME_MAX)
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
		return ctl_error("protocol must be tcp or udp, not '%s'",
				 proto);
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

static json_object *cmd_vip_add(struct api *api, json_object *req)
{
	struct vip_spec s;
	json_object *err = parse_vip_spec(req, &s);
	struct vip *v;
	int ret;

	if (err)
		return err;
	if (state_vip_by_name(api->state, s.name))
		return ctl_error("a VIP named '%s' exists", s.name);
	if (state_vip_by_key(api->state, &s.key))
		return ctl_error("a VIP with that address, port and protocol "
				 "exists");
	v = state_vip_upsert(api->state, &s);
	if (!v)
		return ctl_error("cannot add VIP: %s", strerror(errno));
	ret = state_vip_publish(api->state, v);
	if (ret)
		return ctl_error("cannot publish VIP: %s", strerror(-ret));
	return ok_reply();
}

static json_object *cmd_vip_del(struct api *api, json_object *req)
{
	const char *name = req_string(req, "name");
	struct vip *v = name ? state_vip_by_name(api->state, name) : NULL;

	if (!v)
		return ctl_error("no VIP named '%s'", name ? name : "");
	state_vip_remove(api->state, v);
	return ok_reply();
}

/* ---- backend-add, -del, -set, -drain, -undrain ---- */

/* What a backend-* request names and asks for. */
struct backend_req {
	struct state *st;
	json_object *req;
	const char *vip;
	struct vip *v;
	struct backend_spec spec;	/* address */
	struct backend *b;		/* NULL: not in the VIP */
	long long weight;
	const char *zone;
};

static json_object *parse_backend_req(struct backend_req *r)
{
	const char *addr = req_string(r->req, "address");

	r->vip = req_string(r->req, "vip");
	r->v = r->vip ? state_vip_by_name(r->st, r->vip) : NULL;
	if (!r->v)
		return ctl_error("no VIP named '%s'", r->vip ? r->vip : "");
	if (!addr || xlb_addr_parse(addr, &r->spec.addr, &r->spec.family))
		return ctl_error("bad backend address '%s'",
				 addr ? addr : "");
	r->b = state_backend_find(r->v, &r->spec.addr, r->spec.family);
	r->weight = req_uint(r->req, "weight", XLB_CFG_DEFAULT_WEIGHT,
			     XLB_CFG_MAX_WEIGHT);
	if (r->weight < 0)
		return ctl_error("weight must be 0..65535");
	r->zone = req_string(r->req, "zone");
	if (r->zone && !config_zone_name_ok(r->zone))
		return ctl_error("zone must be 1..%d letters, digits, '.', '-' "
				 "or '_'", XLB_CFG_ZONE_MAX);
	return NULL;
}

/* The change reaches the table. */
static json_object *rebuilt(struct backend_req *r)
{
	int ret = state_vip_rebuild(r->st, r->v);

	if (ret)
		return ctl_error("map update failed: %s", strerror(-ret));
	return ok_reply();
}

static json_object *backend_add(struct backend_req *r)
{
	if (r->b)
		return ctl_error("backend exists in VIP '%s'", r->vip);
	r->spec.weight = (__u32)r->weight;
	r->spec.zone = r->zone;
	if (!state_backend_upsert(r->st, r->v, &r->spec))
		return ctl_error("cannot add backend: %s", strerror(errno));
	return rebuilt(r);
}

static json_object *backend_del(struct backend_req *r)
{
	state_backend_remove(r->st, r->b);
	return rebuilt(r);
}

static json_object *backend_set(struct backend_req *r)
{
	bool has_weight = json_object_object_get_ex(r->req, "weight", NULL);
	__u32 weight = (__u32)r->weight;

	if (!has_weight && !r->zone)
		return ctl_error("backend set needs a weight or a zone");
	state_backend_set(r->b, has_weight ? &weight : NULL, r->zone);
	return rebuilt(r);
}

static json_object *backend_drain(struct backend_req *r)
{
	long long timeout = req_uint(r->req, "timeout_ms",
				     DEFAULT_DRAIN_TIMEOUT_MS,
				     MAX_DRAIN_TIMEOUT_MS);

	if (timeout < 0)
		return ctl_error("drain timeout must be 0..24h");
	state_backend_drain(r->st, r->b, (__u64)timeout,
			    req_bool(r->req, "remove"));
	return ok_reply();
}

static json_object *backend_undrain(struct backend_req *r)
{
	state_backend_undrain(r->st, r->b);
	return ok_reply();
}

static json_object *cmd_backend(struct api *api, const char *verb,
				json_object *req)
{
	struct backend_req r = { .st = api->state, .req = req };
	json_object *err = parse_backend_req(&r);

	if (err)
		return err;
	if (!strcmp(verb, "add"))
		return backend_add(&r);
	if (!r.b)
		return ctl_error("no such backend in VIP '%s'", r.vip);
	if (!strcmp(verb, "del"))
		return backend_del(&r);
	if (!strcmp(verb, "set"))
		return backend_set(&r);
	if (!strcmp(verb, "drain"))
		return backend_drain(&r);
	if (!strcmp(verb, "undrain"))
		return backend_undrain(&r);
	return ctl_error("unknown backend verb '%s'", verb);
}

/* ---- table ---- */

static json_object *table_json(const char *vip, const struct snap_table *t)
{
	json_object *o = json_object_new_object(), *arr;
	char hex[20];

	put_str(o, "vip", vip);
	put_int(o, "size", t->size);
	snprintf(hex, sizeof(hex), "%016llx", (unsigned long long)t->digest);
	put_str(o, "digest", hex);
	put_str(o, "hash", t->hash_keyed ? "siphash-1-3" : "jhash");
	if (!t->hash_keyed)
		put_int(o, "hash_seed", t->hash_seed);
	arr = json_object_new_array();
	for (size_t i = 0; i < t->n_backends; i++) {
		json_object *e = json_object_new_object();

		put_str(e, "address", t->backends[i].address);
		put_int(e, "slots", t->backends[i].slots);
		json_object_array_add(arr, e);
	}
	json_object_object_add(o, "backends", arr);
	if (!t->slot_backend)
		return o;
	arr = json_object_new_array();
	for (__u32 i = 0; i < t->size; i++) {
		int k = t->slot_backend[i];

		json_object_array_add(arr, json_object_new_string(
				k >= 0 ? t->backends[k].address : "none"));
	}
	json_object_object_add(o, "slots", arr);
	return o;
}

/* The VIP's Maglev table as the data path holds it: slots per backend and
 * a digest, equal on every host that has the same key (or seed) and
 * backends.
 * "slots": true lists every slot. */
static json_object *cmd_table(struct api *api, json_object *req)
{
	const char *name = req_string(req, "vip");
	struct vip *v = name ? state_vip_by_name(api->state, name) : NULL;
	struct snap_table t;
	json_object *o;
	int err;

	if (!v)
		return ctl_error("no VIP named '%s'", name ? name : "");
	err = state_table_snapshot(api->state, v, req_bool(req, "slots"), &t);
	if (err == -ENOMEM)
		o = ctl_error("out of memory");
	else if (err)
		o = ctl_error("vip %s: cannot read its table: %s", name,
			      strerror(-err));
	else
		o = table_json(name, &t);
	snap_table_free(&t);
	return o;
}

/* ---- bgp ---- */

static json_object *sessions_json(const struct bgp_status *s)
{
	json_object *arr = json_object_new_array();

	for (size_t i = 0; i < s->n_sessions; i++) {
		const struct bgp_session *ss = &s->sessions[i];
		json_object *o = json_object_new_object();

		put_str(o, "neighbor", ss->neighbor);
		put_int(o, "as", ss->as);
		put_str(o, "protocol", ss->protocol);
		put_str(o, "state", ss->state);
		put_str(o, "since", ss->since);
		put_str(o, "info", ss->info);
		json_object_array_add(arr, o);
	}
	return arr;
}

/* The speaker: process, config, announced routes, sessions if asked. */
static json_object *speaker_json(const struct bgp_status *s)
{
	json_object *o = json_object_new_object(), *routes;
	char p[BGP_PREFIX_STRLEN];

	put_bool(o, "running", s->running);
	put_int(o, "pid", s->pid);
	put_str(o, "config", s->config);
	put_str(o, "socket", s->socket);
	routes = json_object_new_array();
	for (size_t i = 0; i < s->n_announced; i++) {
		bgp_prefix_str(&s->announced[i], p, sizeof(p));
		json_object_array_add(routes, json_object_new_string(p));
	}
	json_object_object_add(o, "announced", routes);
	if (s->has_sessions)
		json_object_object_add(o, "sessions", sessions_json(s));
	return o;
}

static json_object *bgp_json(const struct snap_bgp *b)
{
	json_object *o = b->speaker ? speaker_json(&b->status)
				    : json_object_new_object();
	json_object *arr = json_object_new_array();

	put_bool(o, "enabled", b->enabled);
	for (size_t i = 0; i < b->n_vips; i++) {
		const struct snap_bgp_vip *v = &b->vips[i];
		json_object *e = json_object_new_object();

		put_str(e, "name", v->name);
		put_str(e, "address", v->address);
		put_int(e, "healthy_backends", (int64_t)v->healthy);
		put_int(e, "backends", (int64_t)v->total);
		put_bool(e, "announced", !v->why_not);
		put_str(e, "why", v->why_not ? v->why_not : "");
		json_object_array_add(arr, e);
	}
	json_object_object_add(o, "vips", arr);
	return o;
}

/* xlb bgp: the speaker, its sessions, and each VIP's announcement. */
static json_object *cmd_bgp(struct api *api, json_object *req)
{
	struct snap_bgp b = {};
	json_object *o;
	int err = api->bgp(api->arg, true, &b);

	(void)req;
	o = err ? ctl_error("cannot read the BGP status: %s", strerror(-err))
		: bgp_json(&b);
	snap_bgp_free(&b);
	return o;
}

/* ---- reload, and the commands ---- */

static json_object *cmd_reload(struct api *api, json_object *req)
{
	char err[512];

	(void)req;
	if (api->reload(api->arg, err, sizeof(err)))
		return ctl_error("%s", err);
	return ok_reply();
}

static const struct api_cmd {
	const char *name;
	json_object *(*fn)(struct api *api, json_object *req);
} cmds[] = {
	{ "reload", cmd_reload },
	{ "bgp", cmd_bgp },
	{ "table", cmd_table },
	{ "show", cmd_show },
	{ "stats", cmd_stats },
	{ "vip-list", cmd_vip_list },
	{ "vip-add", cmd_vip_add },
	{ "vip-del", cmd_vip_del },
};

json_object *api_handle(json_object *req, void *arg)
{
	struct api *api = arg;
	json_object *cmd;
	const char *name;

	if (!json_object_object_get_ex(req, "cmd", &cmd) ||
	    !json_object_is_type(cmd, json_type_string))
		return ctl_error("request has no \"cmd\"");
	name = json_object_get_string(cmd);
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(name, cmds[i].name))
			return cmds[i].fn(api, req);
	if (!strncmp(name, "backend-", 8))
		return cmd_backend(api, name + 8, req);
	return ctl_error("unknown command '%s'", name);
}
