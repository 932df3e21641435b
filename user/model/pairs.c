// SPDX-License-Identifier: GPL-2.0
/* Paired tables: two Maglev layers give each slot its pair, and a
 * min-cost flow orients the pairs so picks follow the target weights. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "xlb_abi.h"
#include "model/pairs.h"

int pairs_build(const struct maglev_backend *backends, size_t n, __u32 seed,
		struct pair *pairs, __u32 size)
{
	return pairs_build_keyed(backends, n, NULL, seed, pairs, size);
}

int pairs_build_keyed(const struct maglev_backend *backends, size_t n,
		      const struct xlb_hash_key *hk, __u32 seed,
		      struct pair *pairs, __u32 size)
{
	__u32 *l1 = NULL, *l2 = NULL;
	int err;

	for (size_t i = 0; i < n; i++)
		if (!backends[i].id || backends[i].id >= XLB_MAX_BACKENDS)
			return -EINVAL;
	if (!maglev_is_prime(size))
		return -EINVAL;
	l1 = malloc((size_t)size * sizeof(*l1));
	l2 = calloc(size, sizeof(*l2));
	if (!l1 || !l2) {
		err = -ENOMEM;
		goto out;
	}
	err = maglev_build_keyed(backends, n, hk, seed, l1, size);
	if (!err)
		err = maglev_build_excluding(backends, n, hk, seed, l1, l2,
					     size);
	if (err && err != -ENOENT)
		goto out;
	for (__u32 s = 0; s < size; s++)
		pairs[s] = (struct pair){ .first = (__u16)l1[s],
					  .second = (__u16)l2[s] };
out:
	free(l1);
	free(l2);
	return err;
}

/*
 * Orientation. Flipping slot s (its second takes the pick) costs c(s), a
 * fixed hash of s in (0, 1). pairs_assign() looks for the orientation
 * that gives every backend its integer target with the least total cost:
 * a min-cost flow over the pairs graph (backends are nodes, each slot an
 * arc that can carry one pick across), whose optimum is unique as the
 * costs are in general position. So where the targets are met the
 * result is that optimum whatever way led there; a change of targets by
 * k slots moves picks along k short paths (min-cost flows move little
 * when supplies do); within a pair kind the cheapest slots flip first,
 * the per-slot order the cost gives; and with targets as layer 1 has
 * them nothing flips at all.
 *
 * The flow's dual gives each backend a potential pi, and an orientation
 * where
 *	slot s flips  iff  pi[second] - pi[first] > c(s)
 * is optimal for the picks it gives. First, coordinate ascent: each
 * backend in turn sets its own pi so that, the others fixed, it gets its
 * target (its slots switch at pi[other] -+ c(s): a selection among
 * them). That gets near in a few sweeps, then creeps. The last picks
 * are moved by successive shortest paths (Dijkstra on reduced costs, from
 * the backends above target to those below), which keeps the
 * orientation optimal for the picks it gives, and ends exact, or where
 * no path is left (targets no orientation meets), or at MAX_ROUNDS:
 * best effort, still a function of the arguments.
 */
#define POT_BOX 4.0	/* the ascent keeps pi in [-POT_BOX, POT_BOX] */
/* Bounds on the work, each step O(slots): measured at 65537 slots, a few
 * sweeps and up to about 30 rounds meet targets that can be met. */
#define MAX_SWEEPS 16
#define MAX_ROUNDS 32
#define NO_PRED 0xffffffffu

struct node {
	__u64 key;
	__u32 id;
	__u32 weight;	/* target; 0: no pick against a partner above 0 */
	__u32 want;	/* integer target: picks */
	__u32 fixed;	/* picks no potential decides: partner at 0 */
	__u32 need;	/* what want leaves for its free slots */
	__u32 got;	/* picks among its free slots */
	__u32 start;	/* its free slots: edges[start .. start + len) */
	__u32 len;
	bool present;	/* in some pair */
	double pi;
};

/* One end of a free slot (both backends above 0). */
struct edge {
	__u32 other;	/* the partner's node */
	__u32 f : 31;	/* the free slot: index of flipped[] */
	__u32 first : 1; /* this end is the slot's first */
	double cost;	/* c(s) */
};

struct heap_item {
	double dist;
	__u32 node;
};

struct orient {
	struct node *nd;
	size_t nn;
	__u16 *index;		/* id -> node + 1, 0: none */
	struct edge *edges;
	__u8 *flipped;		/* per free slot: its second picks */
	double *x;		/* scratch: a node's switch points */
	double *dist;		/* Dijkstra, per node: < 0 not reached */
	__u32 *pred;		/* the edge it was reached by, or NO_PRED */
	__u32 *from;		/* the node it was reached from */
	__u32 *order;		/* nodes as Dijkstra settled them */
	struct heap_item *heap;
	size_t heap_len;
};

/* c(s): splitmix64 of the slot, to (0, 1). */
static double slot_cost(__u32 s)
{
	__u64 z = s + 0x9e3779b97f4a7c15ULL;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	z ^= z >> 31;
	return ((double)(z >> 11) + 0.5) / 9007199254740992.0;
}

/* Whether v's end of edge e holds the pick now. */
static bool holds(const struct orient *o, const struct edge *e)
{
	return e->first ? !o->flipped[e->f] : o->flipped[e->f];
}

/* Sets v's pi and re-orients its slots by the rule, keeping got. */
static void set_pi(struct orient *o, struct node *v, double pi)
{
	const struct edge *e = &o->edges[v->start];

	v->pi = pi < -POT_BOX ? -POT_BOX : pi > POT_BOX ? POT_BOX : pi;
	for (__u32 j = 0; j < v->len; j++) {
		struct node *w = &o->nd[e[j].other];
		bool flip = e[j].first ? w->pi - v->pi > e[j].cost :
					 v->pi - w->pi > e[j].cost;

		if (flip == o->flipped[e[j].f])
			continue;
		o->flipped[e[j].f] = flip;
		if (holds(o, &e[j])) {
			v->got++;
			w->got--;
		} else {
			v->got--;
			w->got++;
		}
	}
}

/* The k-th smallest of a[0..n-1] (k < n), leaving the smaller ones
 * before it and the others after (Wirth's selection). */
static double select_kth(double *a, size_t n, size_t k)
{
	long l = 0, m = (long)n - 1, kk = (long)k;

	while (l < m) {
		double pivot = a[kk];
		long i = l, j = m;

		do {
			while (a[i] < pivot)
				i++;
			while (pivot < a[j])
				j--;
			if (i <= j) {
				double t = a[i];

				a[i++] = a[j];
				a[j--] = t;
			}
		} while (i <= j);
		if (j < kk)
			l = i;
		if (kk < i)
			m = j;
	}
	return a[kk];
}

/* One step of the ascent for v: the pi that gives it exactly its need,
 * the others fixed. Its end of a slot picks iff pi >= pi[other] - c
 * (first) or pi > pi[other] + c (second): between the need-th and the
 * next of those points. Wanting none or all, it goes to the bound: where
 * two such backends meet, neither flips (layer 1 decides). */
static void ascend(struct orient *o, struct node *v)
{
	const struct edge *e = &o->edges[v->start];
	size_t m = v->len, k = v->need;
	double *x = o->x, lo, hi;

	if (v->got == k)
		return;
	if (!k || k == m) {
		set_pi(o, v, k ? POT_BOX : -POT_BOX);
		return;
	}
	for (size_t j = 0; j < m; j++)
		x[j] = o->nd[e[j].other].pi +
		       (e[j].first ? -e[j].cost : e[j].cost);
	lo = select_kth(x, m, k - 1);
	hi = x[k];
	for (size_t j = k + 1; j < m; j++)
		hi = x[j] < hi ? x[j] : hi;
	set_pi(o, v, (lo + hi) / 2);
}

/* Picks away from need, summed over the nodes. */
static __u64 off_need(const struct orient *o)
{
	__u64 off = 0;

	for (size_t v = 0; v < o->nn; v++)
		off += o->nd[v].got > o->nd[v].need ?
			       o->nd[v].got - o->nd[v].need :
			       o->nd[v].need - o->nd[v].got;
	return off;
}

static bool heap_less(const struct heap_item *a, const struct heap_item *b)
{
	return a->dist < b->dist || (a->dist == b->dist && a->node < b->node);
}

static void heap_push(struct orient *o, double dist, __u32 node)
{
	struct heap_item *h = o->heap, it = { dist, node };
	size_t i = o->heap_len++;

	while (i && heap_less(&it, &h[(i - 1) / 2])) {
		h[i] = h[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	h[i] = it;
}

static struct heap_item heap_pop(struct orient *o)
{
	struct heap_item *h = o->heap, top = h[0], last = h[--o->heap_len];
	size_t i = 0, n = o->heap_len;

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= n)
			break;
		if (c + 1 < n && heap_less(&h[c + 1], &h[c]))
			c++;
		if (!heap_less(&h[c], &last))
			break;
		h[i] = h[c];
		i = c;
	}
	h[i] = last;
	return top;
}

/* Dijkstra on reduced costs from every node above its need, until every
 * node below it is settled (the nodes in settle order in o->order).
 * Returns how many were settled; *far is the last distance. */
static size_t shortest_paths(struct orient *o, double *far)
{
	struct node *nd = o->nd;
	size_t settled = 0, below = 0;

	o->heap_len = 0;
	for (size_t v = 0; v < o->nn; v++) {
		o->dist[v] = nd[v].got > nd[v].need ? 0 : -1;
		o->pred[v] = NO_PRED;
		if (!o->dist[v])
			heap_push(o, 0, (__u32)v);
		below += nd[v].got < nd[v].need;
	}
	*far = 0;
	while (o->heap_len && below) {
		struct heap_item it = heap_pop(o);
		struct node *u = &nd[it.node];

		if (it.dist > o->dist[it.node])
			continue;
		o->order[settled++] = it.node;
		*far = it.dist;
		below -= u->got < u->need;
		for (__u32 j = u->start; j < u->start + u->len; j++) {
			const struct edge *e = &o->edges[j];
			double rc, d;

			if (!holds(o, e))
				continue;
			/* flipping costs c, flipping back gives it back;
			 * >= 0 but for rounding */
			rc = (e->first ? e->cost : -e->cost) + u->pi -
			     nd[e->other].pi;
			d = it.dist + (rc > 0 ? rc : 0);
			if (o->dist[e->other] < 0 || d < o->dist[e->other]) {
				o->dist[e->other] = d;
				o->pred[e->other] = j;
				o->from[e->other] = it.node;
				heap_push(o, d, e->other);
			}
		}
	}
	return settled;
}

/* Whether the path to t (pred, from) can still move a pick: each arc
 * held by its tail as when the tree was grown, and its root above need.
 * Returns the root, or NO_PRED. */
static __u32 path_root(const struct orient *o, __u32 t)
{
	__u32 v = t;

	while (o->pred[v] != NO_PRED) {
		if (!holds(o, &o->edges[o->pred[v]]))
			return NO_PRED;
		v = o->from[v];
	}
	return o->nd[v].got > o->nd[v].need ? v : NO_PRED;
}

/*
 * One round of successive shortest paths. Adding each node's distance
 * (capped at the last settled one) to its potential keeps every reduced
 * cost >= 0 and makes the tree's arcs cost 0, so a pick moved along any
 * tree path keeps the orientation optimal. Then, nearest first, every
 * node below its need gets one pick along its path, unless a path before
 * it in the round used an arc of it. Returns the picks moved.
 */
static __u32 augment(struct orient *o)
{
	struct node *nd = o->nd;
	__u32 moved = 0;
	double far;
	size_t settled = shortest_paths(o, &far);

	for (size_t v = 0; v < o->nn; v++)
		nd[v].pi += o->dist[v] >= 0 && o->dist[v] < far ? o->dist[v] :
								   far;
	for (size_t i = 0; i < settled; i++) {
		__u32 t = o->order[i], root;

		if (nd[t].got >= nd[t].need)
			continue;
		root = path_root(o, t);
		if (root == NO_PRED)
			continue;
		for (__u32 v = t; v != root; v = o->from[v])
			o->flipped[o->edges[o->pred[v]].f] ^= 1;
		nd[t].got++;
		nd[root].got--;
		moved++;
	}
	return moved;
}

static void solve(struct orient *o)
{
	__u64 off = off_need(o), was;

	/* until a sweep gains less than a quarter */
	for (int sweep = 0; sweep < MAX_SWEEPS && off; sweep++) {
		for (size_t v = 0; v < o->nn; v++)
			ascend(o, &o->nd[v]);
		was = off;
		off = off_need(o);
		if (off * 4 > was * 3)
			break;
	}
	for (__u32 i = 0; i < MAX_ROUNDS && augment(o); i++)
		;
}

struct by_rest {
	__u64 rest;
	size_t i;
};

static int by_rest(const void *a, const void *b)
{
	const struct by_rest *x = a, *y = b;

	if (x->rest != y->rest)
		return (x->rest < y->rest) - (x->rest > y->rest);
	return (x->i > y->i) - (x->i < y->i);
}

static bool active(const struct node *n)
{
	return n && n->weight;
}

/* Integer targets: the avail slots shared by weight among the active
 * backends in the pairs, largest remainders first, ties in key order;
 * need is what is left of it for the free slots. */
static int set_needs(struct orient *o, __u64 avail)
{
	struct node *nd = o->nd;
	struct by_rest *r = calloc(o->nn ? o->nn : 1, sizeof(*r));
	__u64 total = 0, given = 0;

	if (!r)
		return -ENOMEM;
	for (size_t i = 0; i < o->nn; i++)
		total += nd[i].present ? nd[i].weight : 0;
	for (size_t i = 0; i < o->nn; i++) {
		__u64 w = nd[i].present ? nd[i].weight : 0;

		/* < 2^32 slots x < 2^32 weight: no overflow */
		nd[i].need = total ? (__u32)(avail * w / total) : 0;
		r[i] = (struct by_rest){ .rest = total ? avail * w % total : 0,
					 .i = i };
		given += nd[i].need;
	}
	qsort(r, o->nn, sizeof(*r), by_rest);
	for (size_t i = 0; given < avail && i < o->nn; i++, given++)
		nd[r[i].i].need++;
	for (size_t i = 0; i < o->nn; i++) {
		__u32 want = nd[i].need;

		nd[i].want = want;
		want = want > nd[i].fixed ? want - nd[i].fixed : 0;
		nd[i].need = want < nd[i].len ? want : nd[i].len;
	}
	free(r);
	return 0;
}

static int by_key(const void *a, const void *b)
{
	const struct node *x = a, *y = b;

	if (x->key != y->key)
		return (x->key > y->key) - (x->key < y->key);
	return (x->id > y->id) - (x->id < y->id);
}

/* The node of an id, or NULL. */
static struct node *node_of(const struct orient *o, __u16 id)
{
	return id < XLB_MAX_BACKENDS && o->index[id] ?
		       &o->nd[o->index[id] - 1] :
		       NULL;
}

static void orient_free(struct orient *o)
{
	free(o->nd);
	free(o->index);
	free(o->edges);
	free(o->flipped);
	free(o->x);
	free(o->dist);
	free(o->pred);
	free(o->from);
	free(o->order);
	free(o->heap);
}

/* The nodes, in key order: the ascent's and the ties' order, whatever
 * target[]'s. */
static int orient_nodes(struct orient *o, const struct maglev_backend *target,
			size_t n)
{
	o->nn = n;
	o->nd = calloc(n ? n : 1, sizeof(*o->nd));
	o->index = calloc(XLB_MAX_BACKENDS, sizeof(*o->index));
	if (!o->nd || !o->index)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		o->nd[i] = (struct node){ .key = target[i].key,
					  .id = target[i].id,
					  .weight = target[i].weight };
	qsort(o->nd, n, sizeof(*o->nd), by_key);
	for (size_t i = 0; i < n; i++) {
		if (!o->nd[i].id || o->nd[i].id >= XLB_MAX_BACKENDS ||
		    o->index[o->nd[i].id])
			return -EINVAL;
		o->index[o->nd[i].id] = (__u16)(i + 1);
	}
	return 0;
}

/* Counts each node's free and fixed slots; returns the slots some active
 * backend is in, and the free ones in *nfree. */
static __u64 orient_count(struct orient *o, const struct pair *pairs,
			  __u32 size, __u32 *nfree)
{
	__u64 avail = 0;

	*nfree = 0;
	for (__u32 s = 0; s < size; s++) {
		struct node *a = node_of(o, pairs[s].first);
		struct node *b = node_of(o, pairs[s].second);

		if (a)
			a->present = true;
		if (b)
			b->present = true;
		if (active(a) && active(b)) {
			a->len++;
			b->len++;
			++*nfree;
		} else if (active(a) || active(b)) {
			(active(a) ? a : b)->fixed++;
		}
		avail += active(a) || active(b);
	}
	return avail;
}

/* The free slots' two ends, grouped by node; every first holds. */
static int orient_edges(struct orient *o, const struct pair *pairs,
			__u32 size, __u32 nfree)
{
	struct node *nd = o->nd;
	__u32 f = 0, maxlen = 0, at = 0;
	size_t nn = o->nn ? o->nn : 1;

	for (size_t v = 0; v < o->nn; v++) {
		nd[v].start = at;
		at += nd[v].len;
		maxlen = nd[v].len > maxlen ? nd[v].len : maxlen;
		nd[v].len = 0;
	}
	o->edges = calloc(at ? at : 1, sizeof(*o->edges));
	o->flipped = calloc(nfree ? nfree : 1, 1);
	o->x = calloc(maxlen ? maxlen : 1, sizeof(*o->x));
	o->dist = calloc(nn, sizeof(*o->dist));
	o->pred = calloc(nn, sizeof(*o->pred));
	o->from = calloc(nn, sizeof(*o->from));
	o->order = calloc(nn, sizeof(*o->order));
	/* a push per arc relaxed, and the sources */
	o->heap = calloc((size_t)at + nn, sizeof(*o->heap));
	if (!o->edges || !o->flipped || !o->x || !o->dist || !o->pred ||
	    !o->from || !o->order || !o->heap)
		return -ENOMEM;
	for (__u32 s = 0; s < size; s++) {
		struct node *a = node_of(o, pairs[s].first);
		struct node *b = node_of(o, pairs[s].second);
		double c = slot_cost(s);

		if (!active(a) || !active(b))
			continue;
		o->edges[a->start + a->len++] = (struct edge){
			.other = (__u32)(b - nd), .f = f, .first = 1,
			.cost = c };
		o->edges[b->start + b->len++] = (struct edge){
			.other = (__u32)(a - nd), .f = f, .first = 0,
			.cost = c };
		a->got++;
		f++;
	}
	return 0;
}

/* What the nodes got against their integer targets. */
static void orient_fit(const struct orient *o, __u32 uncovered,
		       struct pairs_fit *fit)
{
	*fit = (struct pairs_fit){ .uncovered = uncovered };
	for (size_t v = 0; v < o->nn; v++) {
		const struct node *n = &o->nd[v];
		__u32 got = n->fixed + n->got;
		__u32 d = got > n->want ? got - n->want : n->want - got;

		fit->off += d;
		fit->worst = d > fit->worst ? d : fit->worst;
	}
}

int pairs_assign(const struct pair *pairs, __u32 size,
		 const struct maglev_backend *target, size_t n,
		 struct pair_slot *slots, struct pairs_fit *fit)
{
	struct orient o = { 0 };
	__u32 nfree = 0, f = 0;
	__u64 avail = 0;
	int err;

	err = orient_nodes(&o, target, n);
	if (err)
		goto out;
	avail = orient_count(&o, pairs, size, &nfree);
	err = orient_edges(&o, pairs, size, nfree);
	if (!err)
		err = set_needs(&o, avail);
	if (err)
		goto out;
	solve(&o);
	for (__u32 s = 0; s < size; s++) {
		struct node *a = node_of(&o, pairs[s].first);
		struct node *b = node_of(&o, pairs[s].second);
		bool flip;

		if (active(a) && active(b))
			flip = o.flipped[f++];
		else
			flip = !active(a) && active(b);
		slots[s] = (struct pair_slot){ .owner = {
			flip ? pairs[s].second : pairs[s].first,
			flip ? pairs[s].first : pairs[s].second } };
	}
	if (fit)
		orient_fit(&o, (__u32)(size - avail), fit);
	err = avail ? 0 : -ENOENT;
out:
	orient_free(&o);
	return err;
}
