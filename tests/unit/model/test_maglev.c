// SPDX-License-Identifier: GPL-2.0
/* Maglev properties: validity, order independence, evenness with and
 * without weights, disruption when a backend leaves, the fill with
 * exclusions, build time. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "model/maglev.h"

#define SIZE 65537
#define SEED 0x5eed

static void make_backends(struct maglev_backend *b, size_t n, __u32 weight)
{
	for (size_t i = 0; i < n; i++) {
		b[i].id = (__u32)i + 1;
		b[i].weight = weight;
		/* like an address: 192.0.2.x style keys, not 0..n */
		b[i].key = 0xc0000200ULL + i * 7919;
	}
}

static void count_slots(const __u32 *table, __u32 size, size_t *counts,
			size_t n)
{
	memset(counts, 0, (n + 1) * sizeof(*counts));
	for (__u32 s = 0; s < size; s++) {
		assert_true(table[s] >= 1 && table[s] <= n);
		counts[table[s]]++;
	}
}

static void test_prime(void **state)
{
	(void)state;
	assert_true(maglev_is_prime(65537));
	assert_true(maglev_is_prime(251));
	assert_false(maglev_is_prime(65536));
	assert_false(maglev_is_prime(1));
	assert_false(maglev_is_prime(0));
}

static void test_bad_input(void **state)
{
	struct maglev_backend b[2];
	__u32 table[251];

	(void)state;
	make_backends(b, 2, 1);
	assert_int_equal(maglev_build(b, 2, SEED, table, 250), -EINVAL);
	b[1].key = b[0].key;
	assert_int_equal(maglev_build(b, 2, SEED, table, 251), -EINVAL);
	make_backends(b, 2, 0);
	assert_int_equal(maglev_build(b, 2, SEED, table, 251), -ENOENT);
	assert_int_equal(maglev_build(NULL, 0, SEED, table, 251), -ENOENT);
}

static void test_order_independent(void **state)
{
	struct maglev_backend b[50], r[50];
	__u32 *t1 = malloc(SIZE * sizeof(__u32));
	__u32 *t2 = malloc(SIZE * sizeof(__u32));

	(void)state;
	make_backends(b, 50, 1);
	b[3].weight = 5;
	for (size_t i = 0; i < 50; i++)
		r[i] = b[49 - i];
	assert_int_equal(maglev_build(b, 50, SEED, t1, SIZE), 0);
	assert_int_equal(maglev_build(r, 50, SEED, t2, SIZE), 0);
	assert_memory_equal(t1, t2, SIZE * sizeof(__u32));
	/* a different seed gives a different table */
	assert_int_equal(maglev_build(b, 50, SEED + 1, t2, SIZE), 0);
	assert_memory_not_equal(t1, t2, SIZE * sizeof(__u32));
	free(t1);
	free(t2);
}

/* With the fleet's key the permutations are keyed too: the same table for
 * the same key in any order, another for another key or for none, and as
 * even as with jhash. */
static void test_keyed(void **state)
{
	struct xlb_hash_key k1 = { .k0 = 0x0706050403020100ULL,
				   .k1 = 0x0f0e0d0c0b0a0908ULL,
				   .alg = XLB_HASH_SIPHASH13 };
	struct xlb_hash_key k2 = k1, none = { .alg = XLB_HASH_JHASH };
	struct maglev_backend b[100], r[100];
	__u32 *t1 = malloc(SIZE * sizeof(__u32));
	__u32 *t2 = malloc(SIZE * sizeof(__u32));
	size_t counts[101], lo = SIZE, hi = 0;

	(void)state;
	k2.k0 ^= 1;
	make_backends(b, 100, 1);
	for (size_t i = 0; i < 100; i++)
		r[i] = b[99 - i];
	assert_int_equal(maglev_build_keyed(b, 100, &k1, SEED, t1, SIZE), 0);
	assert_int_equal(maglev_build_keyed(r, 100, &k1, SEED, t2, SIZE), 0);
	assert_memory_equal(t1, t2, SIZE * sizeof(__u32));
	count_slots(t1, SIZE, counts, 100);
	for (size_t i = 1; i <= 100; i++) {
		lo = counts[i] < lo ? counts[i] : lo;
		hi = counts[i] > hi ? counts[i] : hi;
	}
	printf("evenness, 100 equal backends, keyed: largest/smallest = "
	       "%.4f\n", (double)hi / (double)lo);
	assert_true((double)hi / (double)lo <= 1.02);
	assert_int_equal(maglev_build_keyed(b, 100, &k2, SEED, t2, SIZE), 0);
	assert_memory_not_equal(t1, t2, SIZE * sizeof(__u32));
	/* no key: jhash with the seed, maglev_build()'s table */
	assert_int_equal(maglev_build_keyed(b, 100, &none, SEED, t1, SIZE), 0);
	assert_int_equal(maglev_build(b, 100, SEED, t2, SIZE), 0);
	assert_memory_equal(t1, t2, SIZE * sizeof(__u32));
	assert_int_equal(maglev_build_keyed(b, 100, NULL, SEED, t1, SIZE), 0);
	assert_memory_equal(t1, t2, SIZE * sizeof(__u32));
	free(t1);
	free(t2);
}

static void test_even_100(void **state)
{
	struct maglev_backend b[100];
	size_t counts[101], lo = SIZE, hi = 0;
	__u32 *t = malloc(SIZE * sizeof(__u32));

	(void)state;
	make_backends(b, 100, 1);
	assert_int_equal(maglev_build(b, 100, SEED, t, SIZE), 0);
	count_slots(t, SIZE, counts, 100);
	for (size_t i = 1; i <= 100; i++) {
		lo = counts[i] < lo ? counts[i] : lo;
		hi = counts[i] > hi ? counts[i] : hi;
	}
	printf("evenness, 100 equal backends: largest/smallest = %.4f\n",
	       (double)hi / (double)lo);
	assert_true((double)hi / (double)lo <= 1.02);
	free(t);
}

static void test_weights_123(void **state)
{
	struct maglev_backend b[3];
	size_t counts[4];
	__u32 *t = malloc(SIZE * sizeof(__u32));

	(void)state;
	make_backends(b, 3, 0);
	for (int i = 0; i < 3; i++)
		b[i].weight = i + 1;
	assert_int_equal(maglev_build(b, 3, SEED, t, SIZE), 0);
	count_slots(t, SIZE, counts, 3);
	for (int i = 1; i <= 3; i++) {
		double share = (double)counts[i] / SIZE, want = i / 6.0;

		printf("weight %d: share %.4f (want %.4f)\n", i, share, want);
		assert_true(share > want * 0.98 && share < want * 1.02);
	}
	free(t);
}

static void test_weight_zero_gets_nothing(void **state)
{
	struct maglev_backend b[4];
	size_t counts[5];
	__u32 t[251];

	(void)state;
	make_backends(b, 4, 3);
	b[2].weight = 0;
	assert_int_equal(maglev_build(b, 4, SEED, t, 251), 0);
	count_slots(t, 251, counts, 4);
	assert_int_equal(counts[3], 0);
}

/* Removing one of n backends must move its own slots and few others.
 * Returns the share of all slots that moved but did not belong to it. */
static double extra_disruption(size_t n)
{
	struct maglev_backend *b = calloc(n, sizeof(*b));
	__u32 *before = malloc(SIZE * sizeof(__u32));
	__u32 *after = malloc(SIZE * sizeof(__u32));
	size_t gone = n / 2, extra = 0, own = 0;
	double share;

	make_backends(b, n, 1);
	assert_int_equal(maglev_build(b, n, SEED, before, SIZE), 0);
	b[gone].weight = 0;
	assert_int_equal(maglev_build(b, n, SEED, after, SIZE), 0);
	for (__u32 s = 0; s < SIZE; s++) {
		if (before[s] == b[gone].id)
			own++;
		else if (before[s] != after[s])
			extra++;
	}
	share = (double)extra / SIZE;
	printf("disruption, 1 of %zu leaves: own %.4f (ideal %.4f), "
	       "extra %.4f\n", n, (double)own / SIZE, 1.0 / (double)n, share);
	free(b);
	free(before);
	free(after);
	return share;
}

/* Bound asserted: slots that move without belonging to the departing
 * backend stay under 1% of the table (measured: 0.2-0.6%). */
static void test_disruption(void **state)
{
	(void)state;
	assert_true(extra_disruption(10) <= 0.01);
	assert_true(extra_disruption(100) <= 0.01);
	assert_true(extra_disruption(1000) <= 0.01);
}

/* The second fill never gives a backend a slot the first gave it, fills
 * every slot from two backends up, and leaves all 0 with one. */
static void test_excluding(void **state)
{
	struct maglev_backend b[3];
	__u32 t1[251], t2[251];

	(void)state;
	make_backends(b, 3, 1);
	b[2].weight = 5;
	assert_int_equal(maglev_build(b, 3, SEED, t1, 251), 0);
	assert_int_equal(maglev_build_excluding(b, 3, NULL, SEED, t1, t2, 251), 0);
	for (int s = 0; s < 251; s++) {
		assert_int_not_equal(t2[s], 0);
		assert_int_not_equal(t2[s], t1[s]);
	}
	assert_int_equal(maglev_build(b, 1, SEED, t1, 251), 0);
	assert_int_equal(maglev_build_excluding(b, 1, NULL, SEED, t1, t2, 251), 0);
	for (int s = 0; s < 251; s++)
		assert_int_equal(t2[s], 0);
}

static void test_build_time(void **state)
{
	static const size_t sizes[] = { 10, 100, 1000 };
	__u32 *t = malloc(SIZE * sizeof(__u32));

	(void)state;
	for (size_t k = 0; k < 3; k++) {
		struct maglev_backend *b = calloc(sizes[k], sizeof(*b));
		struct timespec t0, t1;

		make_backends(b, sizes[k], 1);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		assert_int_equal(maglev_build(b, sizes[k], SEED, t, SIZE), 0);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		printf("build time, %zu backends, %d slots: %.2f ms "
		       "(sanitizer build)\n", sizes[k], SIZE,
		       (t1.tv_sec - t0.tv_sec) * 1e3 +
			       (t1.tv_nsec - t0.tv_nsec) / 1e6);
		free(b);
	}
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prime),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_order_independent),
		cmocka_unit_test(test_keyed),
		cmocka_unit_test(test_even_100),
		cmocka_unit_test(test_weights_123),
		cmocka_unit_test(test_weight_zero_gets_nothing),
		cmocka_unit_test(test_disruption),
		cmocka_unit_test(test_excluding),
		cmocka_unit_test(test_build_time),
	};

	return cmocka_run_group_tests_name("maglev", tests, NULL, NULL);
}
