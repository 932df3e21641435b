// SPDX-License-Identifier: GPL-2.0
/* Benchmark of a VIP table change: Maglev build time for 10, 100 and 1000
 * backends, and writing + swapping a 65537-slot table into the data path,
 * as wall time and as the CPU time the agent spends on it. */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#include "dataplane.h"
#include "maglev.h"

#define SLOTS XLB_DEFAULT_TABLE_SIZE
#define ROUNDS 20

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

int main(void)
{
	static const size_t sizes[] = { 10, 100, 1000 };
	struct dataplane_opts o = { .flow_entries = 4096 };
	double wall[ROUNDS], cpu[ROUNDS];
	struct maglev_backend *b;
	struct dataplane *dp;
	__u32 *table;
	char what[64];

	if (unshare(CLONE_NEWNET)) {
		perror("unshare");
		return 1;
	}
	dp = dataplane_open(&o);
	table = malloc(SLOTS * sizeof(*table));
	b = calloc(1000, sizeof(*b));
	if (!dp || !table || !b) {
		perror("setup");
		return 1;
	}
	for (size_t i = 0; i < 1000; i++)
		b[i] = (struct maglev_backend){ .id = (__u32)i + 1,
						.weight = 1 + i % 3,
						.key = 0xc0000200ULL + i * 7919 };

	printf("%d rounds each; ms: median | max | min\n\n", ROUNDS);
	printf("| step | median ms | max ms | min ms |\n|---|--:|--:|--:|\n");
	for (size_t k = 0; k < 3; k++) {
		for (int r = 0; r < ROUNDS; r++) {
			double t0 = now_ms();

			if (maglev_build(b, sizes[k], 0x5eed, table, SLOTS))
				return 1;
			wall[r] = now_ms() - t0;
		}
		snprintf(what, sizeof(what), "maglev_build, %zu backends",
			 sizes[k]);
		report(what, wall);
	}
	for (int r = 0; r < ROUNDS; r++) {
		double t0 = now_ms(), c0 = cpu_ms();

		if (dataplane_set_table(dp, 0, table, SLOTS))
			return 1;
		wall[r] = now_ms() - t0;
		cpu[r] = cpu_ms() - c0;
	}
	report("table write + swap, wall (kernel waits an RCU grace period)",
	       wall);
	report("table write + swap, agent CPU", cpu);
	dataplane_close(dp);
	free(table);
	free(b);
	return 0;
}
