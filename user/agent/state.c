// SPDX-License-Identifier: GPL-2.0
/* The runtime model of VIPs and backends: ids (a previous agent's, or
 * new ones), the config applied as a difference, changes one at a time,
 * health verdicts and drains. Every change ends in map writes through
 * dp/, in an order the data path can never trip over: backends, then the
 * VIP's table, then the VIP. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/state_priv.h"
#include "agent/sweep.h"
#include "core/addr.h"
#include "core/log.h"
#include "dp/maps.h"

#define NSEC_PER_SEC 1000000000ULL
#define DRAIN_CHECK_NS NSEC_PER_SEC

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

struct vip *state_vip_by_key(struct state *st, const struct xlb_vip_key *k)
{
	for (size_t i = 0; i < st->n_vips; i++)
		if (vip_key_eq(&st->vips[i]->key, k))
			return st->vips[i];
	return NULL;
}

struct vip *state_vip_by_name(struct state *st, const char *name)
{
	for (size_t i = 0; i < st->n_vips; i++)
		if (!strcmp(st->vips[i]->name, name))
			return st->vips[i];
	return NULL;
}

struct backend *state_backend_find(struct vip *v, const union xlb_addr *a,
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

struct vip *state_vip_upsert(struct state *st, const struct vip_spec *s)
{
	struct vip *v = state_vip_by_key(st, &s->key), **vips;

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

void state_vip_remove(struct state *st, struct vip *v)
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

struct backend *state_backend_upsert(struct state *st, struct vip *v,
				      const struct backend_spec *s)
{
	struct backend *b = state_backend_find(v, &s->addr, s->family), **arr;
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

void state_backend_remove(struct state *st, struct backend *b)
{
	struct vip *v = b->vip;
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
int state_vip_publish(struct state *st, struct vip *v)
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

/* ---- drain ---- */

static void drain_schedule(struct state *st);

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
	if (!flows || dataplane_read_active_flows(st->dp, flows,
							 XLB_MAX_BACKENDS)) {
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
				state_backend_remove(st, b);
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

/* ---- typed operations (the control API's) ---- */

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

void state_backend_set(struct backend *b, const __u32 *weight,
		       const char *zone)
{
	if (weight)
		b->weight = *weight;
	if (zone)
		snprintf(b->zone, sizeof(b->zone), "%s", zone);
}

void state_backend_drain(struct state *st, struct backend *b,
			 __u64 timeout_ms, bool remove)
{
	b->draining = true;
	b->drained = false;
	b->drain_remove = remove;
	b->drain_deadline_ns = loop_now_ns() + timeout_ms * 1000000ULL;
	backend_refresh(st, b);
	drain_schedule(st);
}

void state_backend_undrain(struct state *st, struct backend *b)
{
	b->draining = b->drained = b->drain_remove = false;
	backend_refresh(st, b);
}

/* Forgets what a previous agent left and this config does not name: such
 * VIPs are unpublished, such backends made unusable (flows to them are
 * rescheduled). Runs once, after the first config. */
static void drop_unclaimed_adoptions(struct state *st)
{
	for (size_t i = 0; i < st->n_adopted_vips; i++) {
		struct adopted_vip *a = &st->adopted_vips[i];

		if (state_vip_by_key(st, &a->key))
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
	v = state_vip_upsert(st, &s);
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
		b = state_backend_upsert(st, v, &bs);

		if (!b)
			return -errno;
		b->seen = true;
	}
	for (size_t i = v->n_backends; i-- > 0;)
		if (!v->backends[i]->seen)
			state_backend_remove(st, v->backends[i]);
	return state_vip_publish(st, v);
}

int state_apply_config(struct state *st, const struct xlb_cfg *cfg)
{
	int err, failed = 0;

	config_dp_settings(cfg, &st->dpcfg);
	st->hkey = cfg->hash_key;
	snprintf(st->zone, sizeof(st->zone), "%s", cfg->zone ? cfg->zone : "");
	err = dataplane_set_hash_key(st->dp, &st->hkey);
	if (!err)
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
			state_vip_remove(st, st->vips[i]);
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
