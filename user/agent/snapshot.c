// SPDX-License-Identifier: GPL-2.0
/* Typed snapshots of the model and the data path's counters, for the
 * control API and /metrics: copies, so that rendering them touches no
 * map and no live state. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/snapshot.h"
#include "agent/state_priv.h"
#include "dp/maps.h"

static const char *const backend_state_names[SNAP_BE_STATES] = {
	[SNAP_BE_UP] = "up",
	[SNAP_BE_DOWN] = "down",
	[SNAP_BE_DRAINING] = "draining",
	[SNAP_BE_DRAINED] = "drained",
};

const char *snap_backend_state_name(enum snap_backend_state s)
{
	return s < SNAP_BE_STATES ? backend_state_names[s] : "unknown";
}

static enum snap_backend_state backend_state(const struct backend *b)
{
	switch (b->state) {
	case BE_DOWN:
		return SNAP_BE_DOWN;
	case BE_DRAINING:
		return b->drained ? SNAP_BE_DRAINED : SNAP_BE_DRAINING;
	default:
		return SNAP_BE_UP;
	}
}

static void fill_backend(struct state *st, const struct backend *b,
			 const __u64 *flows, struct snap_backend *out)
{
	xlb_addr_str(&b->addr, b->family, out->address, sizeof(out->address));
	out->id = b->id;
	snprintf(out->zone, sizeof(out->zone), "%s", b->zone);
	out->weight = b->weight;
	out->weights = b->wout;
	out->state = backend_state(b);
	out->flows = flows[b->id];
	out->new_flows = dataplane_opened_flows(st->dp, b->id);
	dataplane_read_backend_stats(st->dp, b->id, &out->counter);
	out->check = b->hcp.type;
	out->checked = b->hc != NULL;
	if (b->hc)
		health_get_stats(b->hc, &out->health);
}

/* flows: active flows by backend id; NULL leaves the backends out. */
static int fill_vip(struct state *st, const struct vip *v, const __u64 *flows,
		    struct snap_vip *out)
{
	snprintf(out->name, sizeof(out->name), "%s", v->name);
	out->id = v->id;
	xlb_addr_str(&v->key.addr, v->key.family, out->address,
		     sizeof(out->address));
	out->port = ntohs(v->key.port);
	out->proto = v->key.proto;
	out->flags = v->flags;
	out->table_size = v->table_size;
	out->weights = v->wp;
	out->zone = v->zone;
	out->rebuilds = v->rebuilds;
	out->rebuild_ns_total = v->rebuild_ns_total;
	out->last_rebuild_ns = v->last_rebuild_ns;
	dataplane_read_vip_stats(st->dp, v->id, &out->counter);
	if (!flows || !v->n_backends)
		return 0;
	out->backends = calloc(v->n_backends, sizeof(*out->backends));
	if (!out->backends)
		return -ENOMEM;
	out->n_backends = v->n_backends;
	for (size_t i = 0; i < v->n_backends; i++)
		fill_backend(st, v->backends[i], flows, &out->backends[i]);
	return 0;
}

static void fill_datapath(struct state *st, struct snapshot *out)
{
	out->has_reasons = !dataplane_read_reasons(st->dp, out->reasons);
	sweep_get_status(st->sweep, &out->sweep);
}

int state_snapshot(struct state *st, const char *vip, unsigned int what,
		   struct snapshot *out)
{
	__u64 *flows = NULL;
	int err = 0;

	memset(out, 0, sizeof(*out));
	if (vip && !state_vip_by_name(st, vip))
		return -ENOENT;
	snprintf(out->zone, sizeof(out->zone), "%s", st->zone);
	if (what & SNAP_BACKENDS) {
		flows = calloc(XLB_MAX_BACKENDS, sizeof(*flows));
		if (!flows)
			return -ENOMEM;
		dataplane_read_active_flows(st->dp, flows, XLB_MAX_BACKENDS);
	}
	out->vips = calloc(st->n_vips ? st->n_vips : 1, sizeof(*out->vips));
	if (!out->vips)
		err = -ENOMEM;
	for (size_t i = 0; !err && i < st->n_vips; i++)
		if (!vip || !strcmp(vip, st->vips[i]->name))
			err = fill_vip(st, st->vips[i], flows,
				       &out->vips[out->n_vips++]);
	if (what & SNAP_DATAPATH)
		fill_datapath(st, out);
	free(flows);
	return err;
}

void snap_bgp_free(struct snap_bgp *b)
{
	bgp_status_free(&b->status);
	free(b->vips);
	b->vips = NULL;
	b->n_vips = 0;
}

void snapshot_free(struct snapshot *s)
{
	for (size_t i = 0; i < s->n_vips; i++)
		free(s->vips[i].backends);
	free(s->vips);
	s->vips = NULL;
	s->n_vips = 0;
	snap_bgp_free(&s->bgp);
}

/* FNV-1a, 64 bits: a digest of a table that two hosts can compare. */
static __u64 fnv1a(__u64 h, const void *data, size_t len)
{
	const __u8 *p = data;

	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return h;
}

/* Counts each backend's slots and digests the address in every slot. */
static void count_slots(const struct vip *v, const __u32 *slots, __u32 n,
			const int *by_id, struct snap_table *out)
{
	out->digest = 0xcbf29ce484222325ULL;
	for (__u32 i = 0; i < n; i++) {
		int k = slots[i] < XLB_MAX_BACKENDS ? by_id[slots[i]] : -1;
		const struct backend *b = k >= 0 ? v->backends[k] : NULL;
		__u8 rec[sizeof(union xlb_addr) + 1] = {};

		if (b) {
			memcpy(rec, &b->addr, sizeof(b->addr));
			rec[sizeof(b->addr)] = b->family;
			out->backends[k].slots++;
		}
		out->digest = fnv1a(out->digest, rec, sizeof(rec));
		if (out->slot_backend)
			out->slot_backend[i] = k;
	}
}

int state_table_snapshot(struct state *st, struct vip *v, bool slots,
			 struct snap_table *out)
{
	__u32 *table = malloc(XLB_MAX_TABLE_SIZE * sizeof(*table));
	int *by_id = malloc(XLB_MAX_BACKENDS * sizeof(*by_id));
	int err = -ENOMEM;

	memset(out, 0, sizeof(*out));
	out->hash_seed = st->dpcfg.hash_seed;
	out->hash_keyed = st->hkey.alg == XLB_HASH_SIPHASH13;
	out->backends = calloc(v->n_backends ? v->n_backends : 1,
			       sizeof(*out->backends));
	if (!table || !by_id || !out->backends)
		goto out;
	err = dataplane_read_table(st->dp, v->id, table, XLB_MAX_TABLE_SIZE,
				   &out->size);
	if (err)
		goto out;
	if (slots) {
		out->slot_backend = calloc(out->size ? out->size : 1,
					   sizeof(*out->slot_backend));
		if (!out->slot_backend) {
			err = -ENOMEM;
			goto out;
		}
	}
	memset(by_id, 0xff, XLB_MAX_BACKENDS * sizeof(*by_id));	/* -1 */
	out->n_backends = v->n_backends;
	for (size_t i = 0; i < v->n_backends; i++) {
		const struct backend *b = v->backends[i];

		xlb_addr_str(&b->addr, b->family, out->backends[i].address,
			     sizeof(out->backends[i].address));
		by_id[b->id] = (int)i;
	}
	count_slots(v, table, out->size, by_id, out);
out:
	free(table);
	free(by_id);
	return err;
}

void snap_table_free(struct snap_table *t)
{
	free(t->backends);
	free(t->slot_backend);
	t->backends = NULL;
	t->slot_backend = NULL;
}
