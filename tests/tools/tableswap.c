// SPDX-License-Identifier: GPL-2.0
/* Benchmark of a VIP table change: Maglev build time for 10, 100 and 1000
 * backends, the paired tables' build and assignment, and writing +
 * swapping the table into the data path (wall time and the agent's CPU
 * time), at 65537 and 655373 slots; then the tables' evenness and
 * disruption next to the ideal. */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#include "dp/maps.h"
#include "model/maglev.h"
#include "model/pairs.h"

#define ROUNDS 20
#define MAX_BACKENDS 1000

static const __u32 slot_sizes[] = { XLB_DEFAULT_TABLE_SIZE, 655373 };
static const size_t backend_counts[] = { 10, 100, 1000 };

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static double cpu_ms(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Sorts v and prints median, p99 (the largest of 20) and min. */
static void report(const char *what, double *v)
{
	qsort(v, ROUNDS, sizeof(*v), cmp);
	printf("| %s | %.3f | %.3f | %.3f |\n", what, v[ROUNDS / 2],
	       v[ROUNDS - 1], v[0]);
}

/* Equal weights: the largest over the smallest share (ideal 1), and
 * the share of slots that move when backend 0 leaves (ideal 1/n) with the
 * part of it that is not backend 0's own. */
static int quality(struct maglev_backend *b, size_t n, __u32 slots,
		   void *before_, void *after_)
{
	__u32 *before = before_, *after = after_;
	__u32 *count = calloc(MAX_BACKENDS + 1, sizeof(*count)), lo = ~0U;
	__u32 hi = 0, moved = 0, own = 0;

	if (!count)
		return -1;
	for (size_t i = 0; i < n; i++)
		b[i].weight = 1;
	if (maglev_build(b, n, 0x5eed, before, slots) ||
	    maglev_build(b + 1, n - 1, 0x5eed, after, slots)) {
		free(count);
		return -1;
	}
	for (__u32 i = 0; i < slots; i++) {
		count[before[i]]++;
		moved += before[i] != after[i];
		own += before[i] == b[0].id;
	}
	for (size_t i = 0; i < n; i++) {
		lo = count[b[i].id] < lo ? count[b[i].id] : lo;
		hi = count[b[i].id] > hi ? count[b[i].id] : hi;
	}
	printf("| %u | %zu | %.4f | 1.0000 | %.4f | %.4f | %.4f |\n", slots, n,
	       (double)hi / lo, (double)moved / slots, 1.0 / (double)n,
	       (double)(moved - own) / slots);
	free(count);
	return 0;
}

/* Targets for pairs_assign(): base x (1 +- 20 %), or spread 0.1 .. 2 x
 * base (every backend far from its base share: the slowest case). */
static void targets(struct maglev_backend *t, const struct maglev_backend *b,
		    size_t n, int spread, unsigned int seed)
{
	srand(seed);
	for (size_t i = 0; i < n; i++) {
		t[i] = b[i];
		t[i].weight = b[i].weight * (spread ? 100 + rand() % 1901 :
						      800 + rand() % 401);
	}
}

/* pairs_build() and pairs_assign() times for n backends. */
static int pairs_times(const struct maglev_backend *b, size_t n, __u32 slots,
		       struct pair *pairs, struct pair_slot *out,
		       struct maglev_backend *t, double *wall)
{
	char what[96];

	for (int r = 0; r < ROUNDS; r++) {
		double t0 = now_ms();

		if (pairs_build(b, n, 0x5eed, pairs, slots))
			return -1;
		wall[r] = now_ms() - t0;
	}
	snprintf(what, sizeof(what), "pairs_build, %zu backends, %u slots", n,
		 slots);
	report(what, wall);
	for (int spread = 0; spread < 2; spread++) {
		for (int r = 0; r < ROUNDS; r++) {
			double t0;

			targets(t, b, n, spread, (unsigned int)r);
			t0 = now_ms();
			if (pairs_assign(pairs, slots, t, n, out, NULL))
				return -1;
			wall[r] = now_ms() - t0;
		}
		snprintf(what, sizeof(what),
			 "pairs_assign, %zu backends, %u slots, targets %s", n,
			 slots, spread ? "0.1-2 x base" : "base +-20 %");
		report(what, wall);
	}
	return 0;
}

/* Equal weights: the share of slots whose pair set changes when backend
 * 0 leaves (ideal 2/n: those it is in), and the extra. */
static int pairs_quality(struct maglev_backend *b, size_t n, __u32 slots,
			 void *before_, void *after_)
{
	struct pair *before = before_, *after = after_;
	__u32 changed = 0, own = 0;

	for (size_t i = 0; i < n; i++)
		b[i].weight = 1;
	if (pairs_build(b, n, 0x5eed, before, slots) ||
	    pairs_build(b + 1, n - 1, 0x5eed, after, slots))
		return -1;
	for (__u32 i = 0; i < slots; i++) {
		struct pair x = before[i], y = after[i];

		changed += !((x.first == y.first && x.second == y.second) ||
			     (x.first == y.second && x.second == y.first));
		own += x.first == b[0].id || x.second == b[0].id;
	}
	printf("| %u | %zu | %.4f | %.4f | %.4f |\n", slots, n,
	       (double)changed / slots, 2.0 / (double)n,
	       (double)(changed - own) / slots);
	return 0;
}

/* A quality table: what it says, its head, and one row per table size
 * and backend count. */
static int quality_table(const char *intro, const char *head,
			 int (*row)(struct maglev_backend *, size_t, __u32,
				    void *, void *),
			 struct maglev_backend *b, void *x, void *y)
{
	printf("\n%s\n\n%s\n", intro, head);
	for (size_t z = 0; z < sizeof(slot_sizes) / sizeof(*slot_sizes); z++)
		for (size_t k = 0; k < 3; k++)
			if (row(b, backend_counts[k], slot_sizes[z], x, y))
				return -1;
	return 0;
}

int main(void)
{
	struct dataplane_opts o = { .flow_entries = 4096 };
	double wall[ROUNDS], cpu[ROUNDS];
	__u32 *table, *other, max = 655373;
	struct maglev_backend *b, *t;
	struct pair *pairs, *pairs2;
	struct pair_slot *slot_out;
	struct dataplane *dp;
	char what[96];

	if (unshare(CLONE_NEWNET)) {
		perror("unshare");
		return 1;
	}
	dp = dataplane_open(&o);
	table = malloc(max * sizeof(*table));
	other = malloc(max * sizeof(*other));
	b = calloc(MAX_BACKENDS, sizeof(*b));
	t = calloc(MAX_BACKENDS, sizeof(*t));
	pairs = malloc(max * sizeof(*pairs));
	pairs2 = malloc(max * sizeof(*pairs2));
	slot_out = malloc(max * sizeof(*slot_out));
	if (!dp || !table || !other || !b || !t || !pairs || !pairs2 ||
	    !slot_out) {
		perror("setup");
		return 1;
	}
	for (size_t i = 0; i < MAX_BACKENDS; i++)
		b[i] = (struct maglev_backend){ .id = (__u32)i + 1,
						.weight = 1 + i % 3,
						.key = 0xc0000200ULL + i * 7919 };

	printf("%d rounds each; weights 1:2:3 repeating; ms: median | max | "
	       "min\n\n", ROUNDS);
	printf("| step | median ms | max ms | min ms |\n|---|--:|--:|--:|\n");
	for (size_t z = 0; z < sizeof(slot_sizes) / sizeof(*slot_sizes); z++) {
		__u32 slots = slot_sizes[z];

		for (size_t k = 0; k < 3; k++) {
			for (int r = 0; r < ROUNDS; r++) {
				double t0 = now_ms();

				if (maglev_build(b, backend_counts[k], 0x5eed,
						 table, slots))
					return 1;
				wall[r] = now_ms() - t0;
			}
			snprintf(what, sizeof(what),
				 "maglev_build, %zu backends, %u slots",
				 backend_counts[k], slots);
			report(what, wall);
		}
		for (size_t k = 0; k < 3; k++)
			if (pairs_times(b, backend_counts[k], slots, pairs,
					slot_out, t, wall))
				return 1;
		for (int r = 0; r < ROUNDS; r++) {
			double t0 = now_ms(), c0 = cpu_ms();

			if (dataplane_set_table(dp, 0, table, slots))
				return 1;
			wall[r] = now_ms() - t0;
			cpu[r] = cpu_ms() - c0;
		}
		snprintf(what, sizeof(what), "table write + swap, %u slots, wall "
			 "(the kernel waits an RCU grace period)", slots);
		report(what, wall);
		snprintf(what, sizeof(what),
			 "table write + swap, %u slots, agent CPU", slots);
		report(what, cpu);
	}

	if (quality_table("Evenness and disruption, equal weights: largest / "
			  "smallest share of slots, and the share of slots "
			  "that move when one backend of n leaves (ideal 1/n: "
			  "only its own), with the extra that moves between "
			  "the others.",
			  "| slots | backends | largest / smallest | ideal | "
			  "moved when one leaves | ideal | extra |\n"
			  "|--:|--:|--:|--:|--:|--:|--:|",
			  quality, b, table, other) ||
	    quality_table("Paired tables, equal weights: the share of slots "
			  "whose pair of backends changes when one backend of "
			  "n leaves (ideal 2/n: the slots it is in), with the "
			  "extra.",
			  "| slots | backends | pair changed when one leaves | "
			  "ideal | extra |\n|--:|--:|--:|--:|--:|",
			  pairs_quality, b, pairs, pairs2))
		return 1;
	dataplane_close(dp);
	free(table);
	free(other);
	free(b);
	free(t);
	free(pairs);
	free(pairs2);
	free(slot_out);
	return 0;
}
