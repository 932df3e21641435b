// SPDX-License-Identifier: GPL-2.0
/* Paired tables: valid pairs, order independence, evenness, disruption;
 * picks against targets, stability; hosts with different weights agree
 * on every slot's pair; slot history as tables of before and after. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "model/pairs.h"

#define SIZE 65537
#define SEED 0x5eed
#define MAXN 1000

struct table {
	struct pair pairs[SIZE];
	struct pair_slot slots[SIZE];
	size_t picks[MAXN + 2];	/* by id */
	size_t in[MAXN + 2];	/* slots each id is in */
};

static struct table *t_new(void)
{
	struct table *t = calloc(1, sizeof(*t));

	assert_non_null(t);
	return t;
}

/* ids 1..n, keys like addresses, base weight w (not 0..n, not ordered) */
static void make_backends(struct maglev_backend *b, size_t n, __u32 w)
{
	for (size_t i = 0; i < n; i++) {
		b[i].id = (__u32)i + 1;
		b[i].weight = w;
		b[i].key = 0xc0000200ULL + i * 7919;
	}
}

/* The same backends in another order. */
static void shuffle(struct maglev_backend *b, size_t n, unsigned int seed)
{
	srand(seed);
	for (size_t i = n - 1; i > 0; i--) {
		size_t j = (size_t)rand() % (i + 1);
		struct maglev_backend x = b[i];

		b[i] = b[j];
		b[j] = x;
	}
}

static void count(struct table *t)
{
	memset(t->picks, 0, sizeof(t->picks));
	memset(t->in, 0, sizeof(t->in));
	for (__u32 s = 0; s < SIZE; s++) {
		t->picks[t->slots[s].owner[0]]++;
		t->in[t->pairs[s].first]++;
		t->in[t->pairs[s].second]++;
	}
}

/* max over backends of |share of picks - share of target weight| */
static double accuracy(struct table *t, const struct maglev_backend *b,
		       size_t n)
{
	double total = 0, worst = 0;

	count(t);
	for (size_t i = 0; i < n; i++)
		total += b[i].weight;
	for (size_t i = 0; i < n; i++) {
		double d = (double)t->picks[b[i].id] / SIZE -
			   b[i].weight / total;

		worst = d < 0 ? (-d > worst ? -d : worst) : (d > worst ? d : worst);
	}
	return worst;
}

static int same_set(struct pair a, struct pair b)
{
	return (a.first == b.first && a.second == b.second) ||
	       (a.first == b.second && a.second == b.first);
}

static double ms_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1e3 +
	       (t1.tv_nsec - t0->tv_nsec) / 1e6;
}

static void test_bad_input(void **state)
{
	struct maglev_backend b[3];
	struct pair p[251];
	struct pair_slot s[251];

	(void)state;
	make_backends(b, 3, 1);
	assert_int_equal(pairs_build(b, 3, SEED, p, 250), -EINVAL);
	b[1].id = 0;
	assert_int_equal(pairs_build(b, 3, SEED, p, 251), -EINVAL);
	b[1].id = 8192;
	assert_int_equal(pairs_build(b, 3, SEED, p, 251), -EINVAL);
	make_backends(b, 3, 1);
	b[2].key = b[0].key;
	assert_int_equal(pairs_build(b, 3, SEED, p, 251), -EINVAL);
	make_backends(b, 3, 0);
	assert_int_equal(pairs_build(b, 3, SEED, p, 251), -ENOENT);
	for (int i = 0; i < 251; i++)
		assert_true(!p[i].first && !p[i].second);

	make_backends(b, 3, 1);
	assert_int_equal(pairs_build(b, 3, SEED, p, 251), 0);
	b[2].id = 1;
	assert_int_equal(pairs_assign(p, 251, b, 3, s, NULL), -EINVAL);
	/* nobody with a target: every slot picks its first */
	make_backends(b, 3, 0);
	assert_int_equal(pairs_assign(p, 251, b, 3, s, NULL), -ENOENT);
	for (int i = 0; i < 251; i++) {
		assert_int_equal(s[i].owner[0], p[i].first);
		assert_int_equal(s[i].owner[1], p[i].second);
	}
}

static void test_one_backend(void **state)
{
	struct maglev_backend b[2];
	struct pair p[251];
	struct pair_slot s[251];

	(void)state;
	make_backends(b, 2, 1);
	b[1].weight = 0;
	assert_int_equal(pairs_build(b, 2, SEED, p, 251), 0);
	b[1].weight = 1;
	assert_int_equal(pairs_assign(p, 251, b, 2, s, NULL), 0);
	for (int i = 0; i < 251; i++) {
		assert_int_equal(p[i].first, 1);
		assert_int_equal(p[i].second, 0);
		assert_memory_equal(s[i].owner, ((__u16[4]){ 1, 0, 0, 0 }),
				    sizeof(s[i].owner));
	}
}

/* Every slot: two distinct backends of the config; weight 0 in none. */
static void test_valid(void **state)
{
	static const size_t ns[] = { 2, 3, 10, 100, 1000 };
	struct maglev_backend b[MAXN];
	struct table *t = t_new();

	(void)state;
	for (size_t k = 0; k < 5; k++) {
		make_backends(b, ns[k], 1);
		for (size_t i = 0; i < ns[k]; i++)
			b[i].weight = 1 + (__u32)(i % 4);
		b[0].weight = 0;
		assert_int_equal(pairs_build(b, ns[k], SEED, t->pairs, SIZE),
				 0);
		for (__u32 s = 0; s < SIZE; s++) {
			struct pair p = t->pairs[s];

			assert_true(p.first > 1 && p.first <= ns[k]);
			if (ns[k] == 2) {
				assert_int_equal(p.second, 0);
				continue;
			}
			assert_true(p.second > 1 && p.second <= ns[k]);
			assert_int_not_equal(p.first, p.second);
		}
	}
	free(t);
}

static void test_order_independent(void **state)
{
	struct maglev_backend b[100], r[100];
	struct table *t = t_new(), *u = t_new();

	(void)state;
	make_backends(b, 100, 1000);
	for (size_t i = 0; i < 100; i++)
		b[i].weight = 1000 + (__u32)(i % 7) * 300;
	memcpy(r, b, sizeof(b));
	shuffle(r, 100, 1);
	assert_int_equal(pairs_build(b, 100, SEED, t->pairs, SIZE), 0);
	assert_int_equal(pairs_build(r, 100, SEED, u->pairs, SIZE), 0);
	assert_memory_equal(t->pairs, u->pairs, sizeof(t->pairs));
	/* targets in another order: the same picks */
	for (size_t i = 0; i < 100; i++)
		b[i].weight = 100 + (__u32)(i * 37 % 1900);
	b[5].weight = 0;
	memcpy(r, b, sizeof(b));
	shuffle(r, 100, 2);
	assert_int_equal(pairs_assign(t->pairs, SIZE, b, 100, t->slots, NULL),
			 0);
	assert_int_equal(pairs_assign(t->pairs, SIZE, r, 100, u->slots, NULL),
			 0);
	assert_memory_equal(t->slots, u->slots, sizeof(t->slots));
	/* another seed, other pairs */
	assert_int_equal(pairs_build(b, 100, SEED + 1, u->pairs, SIZE), 0);
	assert_memory_not_equal(t->pairs, u->pairs, sizeof(t->pairs));
	free(t);
	free(u);
}

/* Layer 2 shares the slots by weight as layer 1 does, but for a backend
 * above a share of 1/2, which has less than the other half to take from
 * (the others then get more). Bounds: measured, with a margin. */
static void test_evenness(void **state)
{
	static const size_t ns[] = { 10, 100, 1000 };
	struct maglev_backend b[MAXN];
	struct table *t = t_new();
	size_t l2[MAXN + 1];

	(void)state;
	for (size_t k = 0; k < 3; k++) {
		size_t n = ns[k];
		double lo = 1e9, hi = 0;

		make_backends(b, n, 1);
		assert_int_equal(pairs_build(b, n, SEED, t->pairs, SIZE), 0);
		memset(l2, 0, sizeof(l2));
		for (__u32 s = 0; s < SIZE; s++)
			l2[t->pairs[s].second]++;
		for (size_t i = 1; i <= n; i++) {
			double r = (double)l2[i] * (double)n / SIZE;

			lo = r < lo ? r : lo;
			hi = r > hi ? r : hi;
		}
		printf("layer 2, %zu equal backends: share / want %.4f .. "
		       "%.4f, largest/smallest %.4f\n", n, lo, hi, hi / lo);
		assert_true(hi / lo <= (n < 1000 ? 1.01 : 1.03));
	}
	/* 1:2:3: a share of 1/2 cannot be had from the other half */
	make_backends(b, 3, 1);
	for (int i = 0; i < 3; i++)
		b[i].weight = (__u32)i + 1;
	assert_int_equal(pairs_build(b, 3, SEED, t->pairs, SIZE), 0);
	memset(l2, 0, sizeof(l2));
	for (__u32 s = 0; s < SIZE; s++)
		l2[t->pairs[s].second]++;
	count(t);
	for (int i = 1; i <= 3; i++) {
		double want = i / 6.0, got = (double)l2[i] / SIZE;

		printf("layer 2, weight %d: share %.4f (want %.4f), in %.4f of "
		       "the pairs (2 x base %.4f)\n", i, got, want,
		       (double)t->in[i] / SIZE, 2 * want);
		assert_true(got > want * 0.75 && got < want * 1.25);
	}
	free(t);
}

/* Share of slots whose pair set changes when one of n leaves or joins,
 * against the slots that hold it (2/n: the ideal). */
static void disruption(size_t n, struct table *t, struct table *u)
{
	struct maglev_backend b[MAXN + 1];
	size_t gone = n / 2, leave = 0, join = 0, own_l = 0, own_j = 0;

	make_backends(b, n + 1, 1);
	assert_int_equal(pairs_build(b, n, SEED, t->pairs, SIZE), 0);
	b[gone].weight = 0;
	assert_int_equal(pairs_build(b, n, SEED, u->pairs, SIZE), 0);
	b[gone].weight = 1;
	for (__u32 s = 0; s < SIZE; s++) {
		own_l += t->pairs[s].first == b[gone].id ||
			 t->pairs[s].second == b[gone].id;
		leave += !same_set(t->pairs[s], u->pairs[s]);
	}
	assert_int_equal(pairs_build(b, n + 1, SEED, u->pairs, SIZE), 0);
	for (__u32 s = 0; s < SIZE; s++) {
		own_j += u->pairs[s].first == n + 1 ||
			 u->pairs[s].second == n + 1;
		join += !same_set(t->pairs[s], u->pairs[s]);
	}
	printf("pair sets changed, 1 of %zu leaves: %.4f (its own %.4f, "
	       "ideal 2/n %.4f); 1 joins: %.4f (its own %.4f)\n", n,
	       (double)leave / SIZE, (double)own_l / SIZE, 2.0 / (double)n,
	       (double)join / SIZE, (double)own_j / SIZE);
	/* measured: 0.4-1.2 % beyond its own; bound 2 % */
	assert_true(leave - own_l <= SIZE / 50);
	assert_true(join - own_j <= SIZE / 50);
}

static void test_disruption(void **state)
{
	struct table *t = t_new(), *u = t_new();

	(void)state;
	disruption(10, t, u);
	disruption(100, t, u);
	disruption(1000, t, u);
	free(t);
	free(u);
}

/* Targets as the base weights: the picks are layer 1 (today's Maglev
 * table) but for the slots that rounding to integer targets moves. */
static void test_base_is_layer1(void **state)
{
	struct maglev_backend b[100];
	struct table *t = t_new();
	struct pairs_fit fit;
	size_t flipped = 0;

	(void)state;
	make_backends(b, 100, 1);
	for (size_t i = 0; i < 100; i++)
		b[i].weight = 1 + (__u32)(i % 3);
	assert_int_equal(pairs_build(b, 100, SEED, t->pairs, SIZE), 0);
	assert_int_equal(pairs_assign(t->pairs, SIZE, b, 100, t->slots, &fit),
			 0);
	for (__u32 s = 0; s < SIZE; s++)
		flipped += t->slots[s].owner[0] != t->pairs[s].first;
	printf("base targets, 100 backends 1:2:3: %zu slots differ from "
	       "layer 1\n", flipped);
	assert_int_equal(fit.off, 0);
	assert_true(flipped <= 200);
	/* equal weights: Maglev's own rounding is the targets' */
	make_backends(b, 100, 7);
	assert_int_equal(pairs_build(b, 100, SEED, t->pairs, SIZE), 0);
	assert_int_equal(pairs_assign(t->pairs, SIZE, b, 100, t->slots, &fit),
			 0);
	for (__u32 s = 0; s < SIZE; s++)
		assert_int_equal(t->slots[s].owner[0], t->pairs[s].first);
	free(t);
}

enum scenario { EQUAL, W123, FLOOR, CAP, NR_SCENARIOS };

static const char *const scenario_name[] = { "equal", "1:2:3",
					     "one at floor 10%",
					     "one at cap 2x" };

/* Targets on equal base weights as weights_compute() gives them: they
 * sum to the base total (a base unit here is 1000 x (n - 1), so that
 * the others' share of what one backend leaves is whole). */
static void targets(struct maglev_backend *b, size_t n, enum scenario sc)
{
	__u32 unit = 1000 * (__u32)(n - 1), one = 0, rest = unit;

	if (sc == FLOOR)
		one = unit / 10;
	if (sc == CAP)
		one = 2 * unit;
	if (one)
		rest = ((__u32)n * unit - one) / (__u32)(n - 1);
	for (size_t i = 0; i < n; i++)
		b[i].weight = sc == W123 ? unit * (__u32)(1 + i % 3) : rest;
	if (one)
		b[n / 2].weight = one;
}

/* Accuracy: max |share - target share| over backends, for each
 * scenario on equal base weights; and build + assign times. */
static void test_accuracy(void **state)
{
	static const size_t ns[] = { 3, 10, 100, 1000 };
	struct maglev_backend b[MAXN];
	struct table *t = t_new();

	(void)state;
	for (size_t k = 0; k < 4; k++) {
		size_t n = ns[k];

		make_backends(b, n, 1);
		assert_int_equal(pairs_build(b, n, SEED, t->pairs, SIZE), 0);
		for (int sc = 0; sc < NR_SCENARIOS; sc++) {
			struct pairs_fit fit;
			struct timespec t0;
			double acc, ms;

			targets(b, n, sc);
			clock_gettime(CLOCK_MONOTONIC, &t0);
			assert_int_equal(pairs_assign(t->pairs, SIZE, b, n,
						      t->slots, &fit),
					 0);
			ms = ms_since(&t0);
			acc = accuracy(t, b, n);
			printf("n %4zu %-16s: max |share - target| %.7f "
			       "(%.1f slots), off %u, %.1f ms\n", n,
			       scenario_name[sc], acc, acc * SIZE, fit.off,
			       ms);
			/* at cap 2x the pairs hold its target or a few
			 * slots less; otherwise exact */
			assert_true(fit.worst <= (sc == CAP ? 8 : 0));
			assert_true(acc * SIZE < fit.worst + 1.0);
		}
	}
	free(t);
}

/* Pairs of 10 equal backends, and targets for them. */
static struct table *ten(struct maglev_backend *b, enum scenario sc)
{
	struct table *t = t_new();

	make_backends(b, 10, 1);
	assert_int_equal(pairs_build(b, 10, SEED, t->pairs, SIZE), 0);
	targets(b, 10, sc);
	return t;
}

/* A backend at target 0 gets no pick whose partner has a target; one not
 * in the targets is the same. Between two such, the first keeps it. */
static void test_zero_target(void **state)
{
	struct maglev_backend b[10];
	struct table *t = ten(b, W123);
	struct pairs_fit fit;
	__u32 uncovered = 0;

	(void)state;
	b[3].weight = 0;
	/* backend 10 left out of the targets */
	assert_int_equal(pairs_assign(t->pairs, SIZE, b, 9, t->slots, &fit),
			 0);
	for (__u32 s = 0; s < SIZE; s++) {
		__u16 p = t->slots[s].owner[0], q = t->slots[s].owner[1];
		int zero_p = p == 4 || p == 10, zero_q = q == 4 || q == 10;

		assert_true(same_set(t->pairs[s], (struct pair){ p, q }));
		assert_true(!zero_p || zero_q);
		if (zero_p && zero_q) {
			assert_int_equal(p, t->pairs[s].first);
			uncovered++;
		}
	}
	printf("targets 0 for 2 of 10: %u slots have both\n", uncovered);
	assert_int_equal(fit.uncovered, uncovered);
	assert_int_equal(fit.worst, 0);
	free(t);
}

/* Targets no orientation meets: best effort, as documented. */
static void test_infeasible(void **state)
{
	struct maglev_backend b[10];
	struct table *t = ten(b, EQUAL);
	struct pairs_fit fit;
	size_t uncovered = 0;

	(void)state;
	/* one at 3x its base share: it gets every slot it is in */
	b[0].weight = 3 * b[1].weight;
	assert_int_equal(pairs_assign(t->pairs, SIZE, b, 10, t->slots, &fit),
			 0);
	count(t);
	printf("one of 10 at 3x: picks %zu of the %zu slots it is in "
	       "(target %.0f), worst off %u\n", t->picks[1], t->in[1],
	       SIZE * 3.0 / 12, fit.worst);
	assert_int_equal(t->picks[1], t->in[1]);
	/* only one with a target: its slots, and the others stay layer 1 */
	for (size_t i = 1; i < 10; i++)
		b[i].weight = 0;
	assert_int_equal(pairs_assign(t->pairs, SIZE, b, 10, t->slots, &fit),
			 0);
	count(t);
	for (__u32 s = 0; s < SIZE; s++) {
		int has = t->pairs[s].first == 1 || t->pairs[s].second == 1;

		uncovered += !has;
		assert_int_equal(t->slots[s].owner[0],
				 has ? 1 : t->pairs[s].first);
	}
	printf("one of 10 left with a target: it picks %zu slots, %u have "
	       "no backend with a target\n", t->picks[1], fit.uncovered);
	assert_int_equal(fit.uncovered, uncovered);
	free(t);
}

/* Moving k slots of target from one backend to another moves few
 * picks. Bounds: measured, with a margin. */
static void test_stable(void **state)
{
	static const size_t ns[] = { 3, 10, 100, 1000 };
	struct maglev_backend b[MAXN];
	struct table *t = t_new(), *u = t_new();

	(void)state;
	for (size_t k = 0; k < 4; k++) {
		size_t n = ns[k], moves[] = { 10, 100, 1000 };

		make_backends(b, n, 1);
		assert_int_equal(pairs_build(b, n, SEED, t->pairs, SIZE), 0);
		memcpy(u->pairs, t->pairs, sizeof(t->pairs));
		for (size_t m = 0; m < 3 && moves[m] * 4 * n <= SIZE; m++) {
			__u64 total = 0, d;
			size_t flips = 0;

			srand(7);
			for (size_t i = 0; i < n; i++)
				total += b[i].weight =
					800000 + (__u32)(rand() % 400000);
			assert_int_equal(pairs_assign(t->pairs, SIZE, b, n,
						      t->slots, NULL),
					 0);
			d = total * moves[m] / SIZE;
			b[0].weight -= (__u32)d;
			b[n - 1].weight += (__u32)d;
			assert_int_equal(pairs_assign(u->pairs, SIZE, b, n,
						      u->slots, NULL),
					 0);
			for (__u32 s = 0; s < SIZE; s++)
				flips += t->slots[s].owner[0] !=
					 u->slots[s].owner[0];
			printf("n %4zu, targets +-20%%, %4zu slots of target "
			       "move: %5zu picks move\n", n, moves[m], flips);
			assert_true(flips <= moves[m] * (n < 1000 ? 6 : 24));
		}
	}
	free(t);
	free(u);
}

/* The key property: two hosts, the same config, different targets
 * (dynamic weights; a backend down on one only; one in slow start on
 * one), built from inputs in different orders: slot by slot the same
 * pair, so any host's pick is one of the other host's two candidates. */
static void test_hosts_agree(void **state)
{
	static const size_t ns[] = { 3, 10, 100, 1000 };
	struct maglev_backend a[MAXN], b[MAXN];
	struct table *ta = t_new(), *tb = t_new();

	(void)state;
	for (size_t k = 0; k < 4; k++) {
		size_t n = ns[k], differ = 0;

		make_backends(a, n, 1);
		for (size_t i = 0; i < n; i++)
			a[i].weight = 1 + (__u32)(i % 3);
		memcpy(b, a, n * sizeof(*a));
		shuffle(b, n, (unsigned int)n);
		assert_int_equal(pairs_build(a, n, SEED, ta->pairs, SIZE), 0);
		assert_int_equal(pairs_build(b, n, SEED, tb->pairs, SIZE), 0);
		srand((unsigned int)n);
		for (size_t i = 0; i < n; i++) {
			a[i].weight *= 100 + (__u32)(rand() % 1900);
			b[i].weight *= 100 + (__u32)(rand() % 1900);
		}
		b[0].weight = 0;	/* down on host b only */
		b[1].weight /= 10;	/* slow start on b */
		assert_int_equal(pairs_assign(ta->pairs, SIZE, a, n,
					      ta->slots, NULL),
				 0);
		assert_int_equal(pairs_assign(tb->pairs, SIZE, b, n,
					      tb->slots, NULL),
				 0);
		for (__u32 s = 0; s < SIZE; s++) {
			const __u16 *x = ta->slots[s].owner,
				    *y = tb->slots[s].owner;

			assert_true(same_set(ta->pairs[s], tb->pairs[s]));
			assert_true(x[0] == y[0] || x[0] == y[1]);
			assert_true(y[0] == x[0] || y[0] == x[1]);
			differ += x[0] != y[0];
		}
		printf("hosts, %4zu backends: picks differ in %.1f %% of "
		       "slots, each the other's partner\n", n,
		       100.0 * (double)differ / SIZE);
	}
	free(ta);
	free(tb);
}

struct hist_case {
	const char *what;
	__u16 before[4];
	__u32 added_before[2];	/* s */
	__u16 next[2];
	__u64 now_ms;
	__u16 freed[2];
	__u16 after[4];
	__u32 added_after[2];
};

/* Expiry 300 s throughout. */
static const struct hist_case hist_cases[] = {
	{ "first write", { 0 }, { 0 }, { 1, 2 }, 1000, { 0 },
	  { 1, 2, 0, 0 }, { 0 } },
	{ "pick moves within the pair", { 1, 2 }, { 0 }, { 2, 1 }, 1000,
	  { 0 }, { 2, 1, 0, 0 }, { 0 } },
	{ "partner replaced", { 1, 2 }, { 0 }, { 1, 3 }, 10000, { 0 },
	  { 1, 3, 2, 0 }, { 10, 0 } },
	{ "pick replaced", { 1, 2 }, { 0 }, { 3, 2 }, 10000, { 0 },
	  { 3, 2, 1, 0 }, { 10, 0 } },
	{ "both replaced: old pick first", { 1, 2 }, { 0 }, { 3, 4 }, 10000,
	  { 0 }, { 3, 4, 1, 2 }, { 10, 10 } },
	{ "newest first, the oldest drops", { 3, 4, 1, 2 }, { 10, 10 },
	  { 5, 3 }, 20000, { 0 }, { 5, 3, 4, 1 }, { 20, 10 } },
	{ "back in the pair: out of history", { 1, 3, 2 }, { 10 }, { 2, 3 },
	  20000, { 0 }, { 2, 3, 1, 0 }, { 20, 0 } },
	{ "history kept while the pair stays", { 1, 3, 2 }, { 10 }, { 3, 1 },
	  20000, { 0 }, { 3, 1, 2, 0 }, { 10, 0 } },
	{ "kept until 300 s old", { 1, 3, 2 }, { 10 }, { 1, 3 }, 309999,
	  { 0 }, { 1, 3, 2, 0 }, { 10, 0 } },
	{ "expired at 300 s", { 1, 3, 2 }, { 10 }, { 1, 3 }, 310000, { 0 },
	  { 1, 3, 0, 0 }, { 0 } },
	{ "expired one, the other kept", { 5, 3, 4, 1 }, { 20, 10 },
	  { 5, 3 }, 315000, { 0 }, { 5, 3, 4, 0 }, { 20, 0 } },
	{ "freed id dropped", { 5, 3, 4, 1 }, { 20, 10 }, { 5, 3 }, 30000,
	  { 4 }, { 5, 3, 1, 0 }, { 10, 0 } },
	{ "freed old pair member not kept", { 1, 2 }, { 0 }, { 1, 3 }, 10000,
	  { 2 }, { 1, 3, 0, 0 }, { 0 } },
	{ "time rounded up to the second", { 1, 2 }, { 0 }, { 1, 3 }, 10001,
	  { 0 }, { 1, 3, 2, 0 }, { 11, 0 } },
	{ "from one backend", { 1 }, { 0 }, { 2, 1 }, 10000, { 0 },
	  { 2, 1, 0, 0 }, { 0 } },
	{ "to one backend", { 1, 2 }, { 0 }, { 1, 0 }, 10000, { 0 },
	  { 1, 0, 2, 0 }, { 10, 0 } },
};

static void test_history(void **state)
{
	size_t n = sizeof(hist_cases) / sizeof(hist_cases[0]);
	struct pairs_history h;
	struct pair_slot next[1];

	(void)state;
	assert_int_equal(pairs_history_init(&h, 1, 300000), 0);
	for (size_t i = 0; i < n; i++) {
		const struct hist_case *c = &hist_cases[i];

		memcpy(h.slots[0].owner, c->before, sizeof(c->before));
		memcpy(&h.added[0], c->added_before, sizeof(c->added_before));
		memset(next, 0, sizeof(next));
		memcpy(next[0].owner, c->next, sizeof(c->next));
		pairs_history_update(&h, next, c->now_ms, c->freed,
				     c->freed[0] ? 1 : 0);
		if (memcmp(h.slots[0].owner, c->after, sizeof(c->after)) ||
		    memcmp(&h.added[0], c->added_after,
			   sizeof(c->added_after)))
			fail_msg("%s: got {%u %u %u %u} added {%u %u}", c->what,
				 h.slots[0].owner[0], h.slots[0].owner[1],
				 h.slots[0].owner[2], h.slots[0].owner[3],
				 h.added[0], h.added[1]);
	}
	pairs_history_free(&h);
}

static void test_history_table(void **state)
{
	struct pairs_history h;
	struct pair_slot next[3] = { { { 1, 2 } }, { { 2, 3 } },
				     { { 3, 1 } } };
	struct pair_slot pinned[3] = { { { 1, 2, 4, 0 } }, { { 2, 3 } },
				       { { 3, 1, 5, 4 } } };

	(void)state;
	assert_int_equal(pairs_history_init(&h, 3, 300000), 0);
	assert_int_equal(pairs_history_next_expiry(&h), 0);
	pairs_history_update(&h, next, 1000, NULL, 0);
	assert_int_equal(pairs_history_next_expiry(&h), 0);
	/* backend 1 leaves: slots 0 and 2 remember it from t = 50 s */
	next[0] = (struct pair_slot){ { 2, 4 } };
	next[2] = (struct pair_slot){ { 3, 4 } };
	pairs_history_update(&h, next, 50000, NULL, 0);
	assert_int_equal(h.slots[0].owner[2], 1);
	assert_int_equal(h.slots[1].owner[2], 0);
	assert_int_equal(h.slots[2].owner[2], 1);
	assert_int_equal(pairs_history_next_expiry(&h), 350000);
	/* a rewrite in place before then keeps it; at 350 s it goes */
	pairs_history_update(&h, h.slots, 349000, NULL, 0);
	assert_int_equal(h.slots[2].owner[2], 1);
	pairs_history_update(&h, h.slots, 350000, NULL, 0);
	assert_int_equal(h.slots[0].owner[2], 0);
	assert_int_equal(h.slots[2].owner[2], 0);
	assert_int_equal(pairs_history_next_expiry(&h), 0);
	/* a restarted agent: times unknown, taken as now */
	pairs_history_adopt(&h, pinned, 7500);
	assert_memory_equal(h.slots, pinned, sizeof(pinned));
	assert_int_equal(h.added[0], 8);
	assert_int_equal(h.added[1], 0);
	assert_int_equal(h.added[2], 0);
	assert_int_equal(h.added[4], 8);
	assert_int_equal(h.added[5], 8);
	assert_int_equal(pairs_history_next_expiry(&h), 308000);
	pairs_history_free(&h);
	/* expiry 0 keeps nothing */
	assert_int_equal(pairs_history_init(&h, 3, 0), 0);
	pairs_history_update(&h, pinned, 1000, NULL, 0);
	pairs_history_update(&h, next, 1000, NULL, 0);
	assert_int_equal(pairs_history_next_expiry(&h), 0);
	pairs_history_free(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_one_backend),
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_order_independent),
		cmocka_unit_test(test_evenness),
		cmocka_unit_test(test_disruption),
		cmocka_unit_test(test_base_is_layer1),
		cmocka_unit_test(test_accuracy),
		cmocka_unit_test(test_zero_target),
		cmocka_unit_test(test_infeasible),
		cmocka_unit_test(test_stable),
		cmocka_unit_test(test_hosts_agree),
		cmocka_unit_test(test_history),
		cmocka_unit_test(test_history_table),
	};

	return cmocka_run_group_tests_name("pairs", tests, NULL, NULL);
}
