// SPDX-License-Identifier: GPL-2.0
/* Effective weights: scores, floor and cap, degrade and recovery, slow
 * start, drain, static and least-connections modes, rebuild decisions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "model/weights.h"

#define MAXB 8
/* A monotonic clock long after boot, as the agent's is. */
#define T0 1000000ULL
#define NS_MS 1000000ULL

struct vip {
	struct weights_params p;
	struct weights_input in[MAXB];
	struct weights_state st[MAXB];
	struct weights_output out[MAXB];
	struct weights_vip v;
	size_t n;
};

static bool near(double a, double b, double eps)
{
	return a - b <= eps && b - a <= eps;
}

#define assert_near(a, b, eps)                                               \
	do {                                                                 \
		double a_ = (a), b_ = (b);                                   \
		if (!near(a_, b_, eps))                                      \
			fail_msg("%s = %.6f, want %.6f +- %g", #a, a_, b_,   \
				 (double)(eps));                             \
	} while (0)

/* n up backends, base weights and EWMA latencies (ms; 0 = none), P99 at
 * twice the EWMA, no errors, present since long ago. */
static void setup(struct vip *t, size_t n, const __u32 *base,
		  const double *lat_ms)
{
	memset(t, 0, sizeof(*t));
	weights_params_init(&t->p);
	/* scores as measured; test_smoothing has the EWMA */
	t->p.score_smoothing_ms = 0;
	t->n = n;
	for (size_t i = 0; i < n; i++) {
		t->in[i].base = base[i];
		t->in[i].up = true;
		t->in[i].latency_ewma_ns = (__u64)(lat_ms[i] * NS_MS);
		t->in[i].latency_p99_ns = 2 * t->in[i].latency_ewma_ns;
	}
}

static void run(struct vip *t, __u64 now)
{
	weights_compute(&t->p, t->in, t->st, t->out, t->n, now);
}

static double total_weight(const struct vip *t)
{
	double sum = 0;

	for (size_t i = 0; i < t->n; i++)
		sum += t->out[i].weight;
	return sum;
}

static double total_base(const struct vip *t)
{
	double sum = 0;

	for (size_t i = 0; i < t->n; i++)
		if (t->in[i].up && !t->in[i].draining)
			sum += t->in[i].base;
	return sum;
}

/* ---- the weight function as a table ---- */

struct weight_case {
	const char *desc;
	size_t n;
	__u32 base[MAXB];
	double lat_ms[MAXB];
	double errors[MAXB];
	__u32 expect[MAXB];	/* Maglev weights, +-1 */
	enum weights_reason reason[MAXB];
};

#define SC WEIGHTS_R_SCORED
#define FL WEIGHTS_R_FLOOR
#define CP WEIGHTS_R_CAP

static const struct weight_case cases[] = {
	{ "equal latencies: base", 3, { 100, 100, 100 }, { 10, 10, 10 }, {},
	  { 100000, 100000, 100000 }, { SC, SC, SC } },
	{ "equal latencies, mixed bases", 3, { 100, 50, 1 }, { 7, 7, 7 }, {},
	  { 100000, 50000, 1000 }, { SC, SC, SC } },
	{ "2x slower: half the weight of the other", 2, { 100, 100 },
	  { 10, 20 }, {}, { 133333, 66667 }, { SC, SC } },
	{ "2x slower among four", 4, { 100, 100, 100, 100 },
	  { 10, 10, 10, 20 }, {}, { 114286, 114286, 114286, 57143 },
	  { SC, SC, SC, SC } },
	{ "all slow alike: base", 3, { 100, 100, 100 }, { 2000, 2000, 2000 },
	  {}, { 100000, 100000, 100000 }, { SC, SC, SC } },
	{ "under 1ms counts as 1ms", 2, { 100, 100 }, { 0.05, 0.5 }, {},
	  { 100000, 100000 }, { SC, SC } },
	{ "errors divide the score by 1 + ratio", 2, { 100, 100 }, { 10, 10 },
	  { 0, 0.5 }, { 120000, 80000 }, { SC, SC } },
	{ "one backend with 100% errors", 2, { 100, 100 }, { 10, 10 },
	  { 0, 1 }, { 133333, 66667 }, { SC, SC } },
	{ "missing latency: the mean of the others'", 3, { 100, 100, 100 },
	  { 10, 20, 0 }, {}, { 133333, 66667, 100000 }, { SC, SC, SC } },
	{ "no latency at all: base", 2, { 100, 60 }, { 0, 0 }, { 0, 0 },
	  { 100000, 60000 }, { SC, SC } },
	{ "no latency, errors still count", 2, { 100, 100 }, { 0, 0 },
	  { 0, 1 }, { 133333, 66667 }, { SC, SC } },
	{ "floor holds, the rest goes to the other", 2, { 100, 100 },
	  { 1, 1000 }, {}, { 190000, 10000 }, { SC, FL } },
	{ "cap holds, the rest shared", 4, { 100, 100, 100, 100 },
	  { 1, 100, 100, 100 }, {}, { 200000, 66667, 66667, 66667 },
	  { CP, SC, SC, SC } },
	{ "floor and cap at once", 3, { 100, 100, 100 }, { 1, 10, 1000 }, {},
	  { 200000, 90000, 10000 }, { CP, SC, FL } },
	{ "floor of a small base", 2, { 1000, 1 }, { 1, 1000 }, {},
	  { 1000900, 100 }, { SC, FL } },
};

static void test_table(void **state)
{
	struct vip t;

	(void)state;
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		const struct weight_case *k = &cases[c];

		setup(&t, k->n, k->base, k->lat_ms);
		for (size_t i = 0; i < k->n; i++)
			t.in[i].error_ratio = k->errors[i];
		run(&t, T0);
		for (size_t i = 0; i < k->n; i++) {
			if (!near(t.out[i].effective, k->expect[i], 1) ||
			    t.out[i].reason != k->reason[i])
				fail_msg("%s: backend %zu: %u (%s, \"%s\"), "
					 "want %u (%s)", k->desc, i,
					 t.out[i].effective,
					 weights_reason_name(t.out[i].reason),
					 t.out[i].why, k->expect[i],
					 weights_reason_name(k->reason[i]));
			assert_near(t.out[i].factor,
				    t.out[i].weight / k->base[i], 1e-12);
			assert_false(t.out[i].degraded);
			assert_int_equal(t.out[i].event, WEIGHTS_EV_NONE);
		}
		/* the total of the base weights is preserved */
		if (!near(total_weight(&t), total_base(&t), 1e-6))
			fail_msg("%s: total %f, want %f", k->desc,
				 total_weight(&t), total_base(&t));
	}
}

static void test_why(void **state)
{
	static const __u32 base[] = { 100, 100, 100, 100 };
	static const double lat[] = { 1, 12.34, 1000, 0 };
	struct vip t;

	(void)state;
	setup(&t, 4, base, lat);
	t.in[1].error_ratio = 0.25;
	run(&t, T0);
	assert_string_equal(t.out[0].why, "cap: latency 1ms x1.00 errors -> "
					  "2.00 of base");
	assert_string_equal(t.out[1].why, "latency 12.3ms x1.25 errors -> "
					  "0.29 of base");
	assert_string_equal(t.out[2].why, "floor: latency 1000ms x1.00 "
					  "errors -> 0.10 of base");
	assert_string_equal(t.out[3].why, "no latency x1.00 errors -> 1.61 "
					  "of base");
	assert_string_equal(weights_reason_name(t.out[0].reason), "cap");
	assert_string_equal(weights_mode_name(WEIGHTS_LEAST_CONN),
			    "least_connections");
	/* relative scores average to 1 by base weight */
	assert_near((t.out[0].score + t.out[1].score + t.out[2].score +
		     t.out[3].score) / 4,
		    1, 1e-9);
}

/* ---- degrade ---- */

static void set_health(struct vip *t, size_t i, double p99_ms, double err)
{
	t->in[i].latency_p99_ns = (__u64)(p99_ms * NS_MS);
	t->in[i].error_ratio = err;
}

static void test_degrade_needs_both(void **state)
{
	static const __u32 base[] = { 100, 100, 100 };
	static const double lat[] = { 10, 10, 10 };
	struct vip t;

	(void)state;
	setup(&t, 3, base, lat);
	/* slow P99 alone, errors alone, exactly at the thresholds: no */
	set_health(&t, 2, 800, 0.01);
	run(&t, T0);
	assert_false(t.out[2].degraded);
	set_health(&t, 2, 100, 0.5);
	run(&t, T0 + 1000);
	assert_false(t.out[2].degraded);
	set_health(&t, 2, 500, 0.05);
	run(&t, T0 + 2000);
	assert_false(t.out[2].degraded);
	assert_int_equal(t.out[2].event, WEIGHTS_EV_NONE);

	/* both: to the floor, with an event once */
	set_health(&t, 2, 800, 0.12);
	run(&t, T0 + 3000);
	assert_true(t.out[2].degraded);
	assert_int_equal(t.out[2].event, WEIGHTS_EV_DEGRADED);
	assert_int_equal(t.out[2].reason, WEIGHTS_R_DEGRADED);
	assert_int_equal(t.out[2].effective, 10000);
	assert_string_equal(t.out[2].why, "degraded: p99 800ms > 500ms and "
					  "errors 12% > 5% -> 0.10 of base");
	/* the others take the rest of the total */
	assert_near(t.out[0].weight, 145, 1e-9);
	assert_near(total_weight(&t), 300, 1e-9);
	run(&t, T0 + 4000);
	assert_int_equal(t.out[2].event, WEIGHTS_EV_NONE);
	assert_true(t.out[2].degraded);
}

static void test_degrade_recovery(void **state)
{
	static const __u32 base[] = { 100, 100, 100 };
	static const double lat[] = { 10, 10, 10 };
	__u64 left;
	double prev;
	struct vip t;

	(void)state;
	setup(&t, 3, base, lat);
	set_health(&t, 2, 900, 0.2);
	run(&t, T0);
	assert_true(t.out[2].degraded);

	/* hysteresis: under both thresholds, but not by 20 %: stays */
	set_health(&t, 2, 450, 0.045);
	run(&t, T0 + 1000);
	assert_true(t.out[2].degraded);
	set_health(&t, 2, 390, 0.045);
	run(&t, T0 + 2000);
	assert_true(t.out[2].degraded);
	/* and back over one threshold does not count as a new entry */
	set_health(&t, 2, 900, 0.2);
	run(&t, T0 + 3000);
	assert_int_equal(t.out[2].event, WEIGHTS_EV_NONE);

	/* well under both: recovery starts at the floor */
	set_health(&t, 2, 100, 0);
	left = T0 + 4000;
	run(&t, left);
	assert_false(t.out[2].degraded);
	assert_int_equal(t.out[2].event, WEIGHTS_EV_RECOVERED);
	assert_int_equal(t.out[2].reason, WEIGHTS_R_RECOVERING);
	assert_int_equal(t.out[2].effective, 10000);
	assert_near(t.out[2].recovery, 0, 1e-12);

	/* then rises linearly, (1 - floor) x base per 20 s: no jump */
	prev = t.out[2].weight;
	for (__u64 s = 1; s <= 20; s++) {
		run(&t, left + s * 1000);
		assert_true(t.out[2].weight > prev);
		assert_true(t.out[2].weight - prev <= 4.5 + 1e-9);
		assert_near(t.out[2].weight, 10 + 90 * (double)s / 20, 1e-9);
		prev = t.out[2].weight;
	}
	assert_int_equal(t.out[2].effective, 100000);
	assert_string_equal(t.out[2].why, "recovering 47%: latency 10ms x1.00 "
					  "errors -> 1.00 of base");
	/* done once the ceiling passes the cap */
	run(&t, left + 42300);
	assert_int_equal(t.out[2].reason, WEIGHTS_R_SCORED);
	assert_near(t.out[2].recovery, 1, 1e-12);

	/* degraded again while recovering: back to the floor at once */
	set_health(&t, 2, 900, 0.2);
	run(&t, left + 50000);
	set_health(&t, 2, 100, 0);
	run(&t, left + 51000);
	run(&t, left + 56000);
	assert_near(t.out[2].weight, 32.5, 1e-9);
	set_health(&t, 2, 900, 0.2);
	run(&t, left + 57000);
	assert_int_equal(t.out[2].effective, 10000);
	assert_int_equal(t.out[2].event, WEIGHTS_EV_DEGRADED);
}

/* ---- slow start ---- */

static void test_slow_start(void **state)
{
	static const __u32 base[] = { 100, 100, 100 };
	static const double lat[] = { 10, 10, 0 };
	static const double progress[] = { 0, 0.25, 0.5, 0.75, 1 };
	struct vip t;
	__u64 added = T0 + 5000;

	(void)state;
	setup(&t, 3, base, lat);
	t.in[2].since_ms = added;
	for (size_t s = 0; s < 5; s++) {
		run(&t, added + s * 15000);
		assert_near(t.out[2].slow_start, progress[s], 1e-12);
		assert_near(t.out[2].weight, 100 * (0.1 + 0.9 * progress[s]),
			    1e-9);
		/* the others keep their weights */
		assert_int_equal(t.out[0].effective, 100000);
		assert_int_equal(t.out[1].effective, 100000);
	}
	assert_string_equal(t.out[2].why, "no latency x1.00 errors -> 1.00 of "
					  "base");
	run(&t, added + 24000);
	assert_string_equal(t.out[2].why, "no latency x1.00 errors, slow start "
					  "40% -> 0.46 of base");
	assert_int_equal(t.out[2].reason, WEIGHTS_R_SCORED);
	/* a clock behind since_ms is the start of the ramp */
	run(&t, added - 100);
	assert_near(t.out[2].slow_start, 0, 1e-12);

	/* the ramp applies to the effective weight, after the clamps */
	t.in[2].latency_ewma_ns = 1000 * NS_MS;
	run(&t, added);
	assert_int_equal(t.out[2].effective, 1000);	/* 10 % of 10 % */

	/* window 0: none */
	t.p.slow_start_window_ms = 0;
	t.in[2].latency_ewma_ns = 10 * NS_MS;
	run(&t, added);
	assert_int_equal(t.out[2].effective, 100000);
	assert_near(t.out[2].slow_start, 1, 0);
}

/* ---- drain, down, static ---- */

static void test_drain_down_zero(void **state)
{
	static const __u32 base[] = { 100, 100, 100, 0 };
	static const double lat[] = { 10, 10, 10, 10 };
	struct vip t;

	(void)state;
	setup(&t, 4, base, lat);
	t.in[1].draining = true;
	t.in[2].up = false;
	run(&t, T0);
	assert_int_equal(t.out[0].effective, 100000);
	assert_int_equal(t.out[1].effective, 0);
	assert_int_equal(t.out[2].effective, 0);
	assert_int_equal(t.out[3].effective, 0);
	assert_int_equal(t.out[1].reason, WEIGHTS_R_DRAINING);
	assert_int_equal(t.out[2].reason, WEIGHTS_R_DOWN);
	assert_int_equal(t.out[3].reason, WEIGHTS_R_ZERO);
	assert_string_equal(t.out[1].why, "draining");
	assert_string_equal(t.out[2].why, "down");
	assert_string_equal(t.out[3].why, "weight 0");
	assert_near(t.out[1].weight, 0, 0);

	/* a draining backend stays at 0 in every mode, whatever it scores */
	t.in[1].latency_ewma_ns = NS_MS / 10;
	t.p.mode = WEIGHTS_STATIC;
	run(&t, T0);
	assert_int_equal(t.out[1].effective, 0);
	t.p.mode = WEIGHTS_LEAST_CONN;
	run(&t, T0);
	assert_int_equal(t.out[1].effective, 0);

	/* nobody up: all zero, no crash */
	for (size_t i = 0; i < 4; i++)
		t.in[i].up = false;
	run(&t, T0);
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(t.out[i].effective, 0);
	run(&t, T0);
	weights_compute(&t.p, t.in, t.st, t.out, 0, T0);
}

static void test_static(void **state)
{
	static const __u32 base[] = { 100, 50, 100 };
	static const double lat[] = { 1, 1000, 10 };
	struct vip t;

	(void)state;
	setup(&t, 3, base, lat);
	t.p.mode = WEIGHTS_STATIC;
	set_health(&t, 1, 2000, 0.5);
	run(&t, T0);
	assert_int_equal(t.out[0].effective, 100000);
	assert_int_equal(t.out[1].effective, 50000);
	assert_int_equal(t.out[2].effective, 100000);
	assert_false(t.out[1].degraded);
	assert_int_equal(t.out[1].reason, WEIGHTS_R_STATIC);
	assert_string_equal(t.out[1].why, "static -> 1.00 of base");

	/* slow start applies in static mode too */
	t.in[2].since_ms = T0;
	run(&t, T0 + 30000);
	assert_int_equal(t.out[2].effective, 55000);
	assert_string_equal(t.out[2].why, "static, slow start 50% -> 0.55 of "
					  "base");

	/* switching to static clears a degrade */
	t.p.mode = WEIGHTS_DYNAMIC;
	run(&t, T0 + 60000);
	assert_true(t.out[1].degraded);
	t.p.mode = WEIGHTS_STATIC;
	run(&t, T0 + 61000);
	assert_false(t.out[1].degraded);
	assert_false(t.st[1].degraded);
}

static void test_least_connections(void **state)
{
	static const __u32 base[] = { 100, 100, 100 };
	static const double lat[] = { 10, 100, 1000 };
	struct vip t;

	(void)state;
	setup(&t, 3, base, lat);
	t.p.mode = WEIGHTS_LEAST_CONN;
	/* no flows anywhere: base weights, latency unused */
	run(&t, T0);
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(t.out[i].effective, 100000);
	/* loads 0, 0.75, 2.25 of the fair share: scores 1, 1/1.75, 1/3.25 */
	t.in[1].active_flows = 100;
	t.in[2].active_flows = 300;
	run(&t, T0);
	assert_true(t.out[0].weight > t.out[1].weight);
	assert_true(t.out[1].weight > t.out[2].weight);
	assert_near(t.out[1].weight / t.out[0].weight, 1 / 1.75, 1e-9);
	assert_near(t.out[2].weight / t.out[0].weight, 1 / 3.25, 1e-9);
	assert_near(total_weight(&t), 300, 1e-9);
	assert_non_null(strstr(t.out[2].why, "flows 300"));
	/* per unit of base: twice the flows on twice the base is fair */
	t.in[0].base = 200;
	t.in[0].active_flows = 200;
	t.in[1].active_flows = 100;
	t.in[2].active_flows = 100;
	run(&t, T0);
	assert_int_equal(t.out[0].effective, 200000);
	assert_int_equal(t.out[1].effective, 100000);
}

/* least_connections as a table: flows per base unit decide */
struct lc_case {
	const char *desc;
	size_t n;
	__u32 base[MAXB];
	__u64 flows[MAXB];
	__u32 expect[MAXB];	/* Maglev weights, +-1 */
};

static const struct lc_case lc_cases[] = {
	{ "no flows: base", 3, { 100, 100, 100 }, { 0, 0, 0 },
	  { 100000, 100000, 100000 } },
	{ "even flows: base", 3, { 100, 100, 100 }, { 50, 50, 50 },
	  { 100000, 100000, 100000 } },
	/* loads 3, 0, 0: scores 1/4, 1, 1 -> 300 x (1/4, 1, 1) / 2.25 */
	{ "all flows on one: it gets the least", 3, { 100, 100, 100 },
	  { 90, 0, 0 }, { 33333, 133333, 133333 } },
	/* loads are shares: any pile on one of two is load 2, score 1/3 */
	{ "every flow on one of two: a third of the other's", 2, { 100, 100 },
	  { 1000, 0 }, { 50000, 150000 } },
	/* per unit of base weight: 2:1 flows on 2:1 bases is fair */
	{ "fair per base unit: base", 2, { 200, 100 }, { 20, 10 },
	  { 200000, 100000 } },
	/* loads 1.5, 0.5: scores 0.4, 0.667 -> 200 x (.375, .625) */
	{ "two backends, 3:1 flows", 2, { 100, 100 }, { 30, 10 },
	  { 75000, 125000 } },
};

static void test_least_connections_table(void **state)
{
	static const double lat[MAXB] = { 10, 20, 30, 40 };
	struct vip t;

	(void)state;
	for (size_t c = 0; c < sizeof(lc_cases) / sizeof(lc_cases[0]); c++) {
		const struct lc_case *k = &lc_cases[c];

		setup(&t, k->n, k->base, lat);
		t.p.mode = WEIGHTS_LEAST_CONN;
		for (size_t i = 0; i < k->n; i++)
			t.in[i].active_flows = k->flows[i];
		run(&t, T0);
		for (size_t i = 0; i < k->n; i++)
			if (!near(t.out[i].effective, k->expect[i], 1))
				fail_msg("%s: backend %zu: %u (\"%s\"), want %u",
					 k->desc, i, t.out[i].effective,
					 t.out[i].why, k->expect[i]);
		if (!near(total_weight(&t), total_base(&t), 1e-6))
			fail_msg("%s: total %f", k->desc, total_weight(&t));
	}
}

/* ---- zones ---- */

#define A 1	/* in the local zone */
#define B 0	/* another zone (or none) */
#define DN 1	/* down */
#define DR 2	/* draining */
#define OZ WEIGHTS_R_OTHER_ZONE
#define ST WEIGHTS_R_STATIC
#define XX WEIGHTS_R_DOWN
#define DG WEIGHTS_R_DRAINING

struct zone_case {
	const char *desc;
	double min_healthy;
	size_t n;
	__u32 base[MAXB];
	int local[MAXB];
	int state[MAXB];	/* 0 up, DN, DR */
	__u32 expect[MAXB];	/* Maglev weights, +-1 */
	enum weights_reason reason[MAXB];
	double health, local_share;
	bool spilling;
};

static const struct zone_case zone_cases[] = {
	{ "local zone healthy: every new flow local", 0.7, 4,
	  { 100, 100, 100, 100 }, { A, A, B, B }, {},
	  { 200000, 200000, 0, 0 }, { ST, ST, OZ, OZ }, 1, 1, false },
	{ "weights within the local zone keep their ratio", 0.7, 3,
	  { 100, 50, 100 }, { A, A, B }, {}, { 166667, 83333, 0 },
	  { ST, ST, OZ }, 1, 1, false },
	/* h = 2/3 < 0.7: L = 0.952, 4.8 % to the other zone */
	{ "one of three local down (67% < 70%): 4.8% spills", 0.7, 5,
	  { 100, 100, 100, 100, 100 }, { A, A, A, B, B }, { 0, 0, DN },
	  { 190476, 190476, 0, 9524, 9524 }, { ST, ST, XX, ST, ST },
	  2.0 / 3, 2.0 / 3 / 0.7, true },
	{ "a draining local backend counts as not up", 0.7, 5,
	  { 100, 100, 100, 100, 100 }, { A, A, A, B, B }, { 0, 0, DR },
	  { 190476, 190476, 0, 9524, 9524 }, { ST, ST, DG, ST, ST },
	  2.0 / 3, 2.0 / 3 / 0.7, true },
	/* h = 1/3: L = 0.476 */
	{ "two of three local down: about half spills", 0.7, 5,
	  { 100, 100, 100, 100, 100 }, { A, A, A, B, B }, { 0, DN, DN },
	  { 142857, 0, 0, 78571, 78571 }, { ST, XX, XX, ST, ST }, 1.0 / 3,
	  1.0 / 3 / 0.7, true },
	{ "exactly at the threshold: no spill", 0.5, 3, { 100, 100, 100 },
	  { A, A, B }, { 0, DN }, { 200000, 0, 0 }, { ST, XX, OZ }, 0.5, 1,
	  false },
	{ "health by base weight, not count", 0.7, 4, { 300, 100, 100, 100 },
	  { A, A, B, B }, { 0, DN }, { 500000, 0, 0, 0 }, { ST, XX, OZ, OZ },
	  0.75, 1, false },
	{ "local zone all down: everything to the others", 0.7, 4,
	  { 100, 100, 100, 100 }, { A, A, B, B }, { DN, DN },
	  { 0, 0, 100000, 100000 }, { XX, XX, ST, ST }, 0, 0, true },
	{ "no other zone up: the local zone keeps all, below the threshold",
	  0.7, 3, { 100, 100, 100 }, { A, A, B }, { 0, DN, DN },
	  { 100000, 0, 0 }, { ST, XX, XX }, 0.5, 1, false },
	/* L = (1/3) / 0.7; the rest, 0.524 x 500, split 100:300 */
	{ "the spill goes to the other zones by their weights", 0.7, 5,
	  { 100, 100, 100, 100, 300 }, { A, A, A, B, B }, { 0, DN, DN },
	  { 238095, 0, 0, 65476, 196429 }, { ST, XX, XX, ST, ST }, 1.0 / 3,
	  1.0 / 3 / 0.7, true },
	{ "zone_min_healthy 0: no spill while a local backend is up", 0, 4,
	  { 100, 100, 100, 100 }, { A, A, A, B }, { 0, DN, DN },
	  { 200000, 0, 0, 0 }, { ST, XX, XX, OZ }, 1.0 / 3, 1, false },
	{ "zone_min_healthy 100%: a local backend down spills its share", 1,
	  3, { 100, 100, 100 }, { A, A, B }, { 0, DN }, { 100000, 0, 100000 },
	  { ST, XX, ST }, 0.5, 0.5, true },
	{ "no local backend at all: everything to the others", 0.7, 2,
	  { 100, 100 }, { B, B }, {}, { 100000, 100000 }, { ST, ST }, 0, 0,
	  true },
};

static void zone_setup(struct vip *t, const struct zone_case *k)
{
	static const double lat[MAXB] = { 10, 10, 10, 10, 10, 10, 10, 10 };

	setup(t, k->n, k->base, lat);
	t->p.mode = WEIGHTS_STATIC;
	t->p.prefer_zone = true;
	t->p.zone_min_healthy = k->min_healthy;
	for (size_t i = 0; i < k->n; i++) {
		t->in[i].local_zone = k->local[i] == A;
		t->in[i].up = k->state[i] != DN;
		t->in[i].draining = k->state[i] == DR;
	}
}

static void test_zones_table(void **state)
{
	struct weights_zone z;
	struct vip t;

	(void)state;
	for (size_t c = 0; c < sizeof(zone_cases) / sizeof(zone_cases[0]);
	     c++) {
		const struct zone_case *k = &zone_cases[c];
		double total = 0;

		zone_setup(&t, k);
		run(&t, T0);
		for (size_t i = 0; i < k->n; i++) {
			if (!near(t.out[i].effective, k->expect[i], 1) ||
			    t.out[i].reason != k->reason[i])
				fail_msg("%s: backend %zu: %u (%s, \"%s\"), "
					 "want %u (%s)", k->desc, i,
					 t.out[i].effective,
					 weights_reason_name(t.out[i].reason),
					 t.out[i].why, k->expect[i],
					 weights_reason_name(k->reason[i]));
			total += t.out[i].weight;
		}
		weights_zone_status(&t.p, t.in, t.out, t.n, &z);
		if (!z.prefer || !near(z.health, k->health, 1e-9) ||
		    !near(z.local_share, k->local_share, 1e-9) ||
		    z.spilling != k->spilling)
			fail_msg("%s: health %f share %f spilling %d, want "
				 "%f %f %d", k->desc, z.health, z.local_share,
				 z.spilling, k->health, k->local_share,
				 k->spilling);
		/* zones move weight between sides, never change the total */
		if (!near(total, total_base(&t), 1e-6))
			fail_msg("%s: total %f, want %f", k->desc, total,
				 total_base(&t));
	}
}

static void test_zones_why(void **state)
{
	struct weights_zone z;
	struct vip t;

	(void)state;
	zone_setup(&t, &zone_cases[0]);
	run(&t, T0);
	assert_string_equal(t.out[2].why, "other zone: local zone 100% up "
					  "(min 70%) -> 0.00 of base");
	assert_string_equal(weights_reason_name(t.out[2].reason),
			    "other_zone");
	assert_string_equal(t.out[0].why, "static -> 2.00 of base");
	zone_setup(&t, &zone_cases[2]);
	run(&t, T0);
	assert_string_equal(t.out[0].why, "static, local zone 66.7% up: 95.2% "
					  "of new flows here -> 1.90 of base");
	assert_string_equal(t.out[3].why, "static, other zone, local 66.7% up: "
					  "4.8% of new flows spill -> 0.10 of "
					  "base");
	/* prefer_zone off: zones are labels only */
	t.p.prefer_zone = false;
	run(&t, T0);
	for (size_t i = 0; i < t.n; i++)
		if (i != 2)
			assert_int_equal(t.out[i].effective, 100000);
	weights_zone_status(&t.p, t.in, t.out, t.n, &z);
	assert_false(z.prefer);
	assert_false(z.spilling);
}

/* Dynamic scores and slow start act within each side. */
static void test_zones_dynamic(void **state)
{
	static const __u32 base[] = { 100, 100, 100, 100 };
	static const double lat[] = { 10, 20, 10, 10 };
	struct vip t;

	(void)state;
	setup(&t, 4, base, lat);
	t.p.prefer_zone = true;
	t.in[0].local_zone = t.in[1].local_zone = true;
	run(&t, T0);
	assert_near(t.out[0].weight / t.out[1].weight, 2, 1e-9);
	assert_near(t.out[0].weight + t.out[1].weight, 400, 1e-6);
	assert_int_equal(t.out[2].effective, 0);
	assert_int_equal(t.out[3].effective, 0);
	/* a local backend rising: slow start, the local zone takes all */
	t.in[1].since_ms = T0;
	run(&t, T0 + 30000);
	assert_near(t.out[1].slow_start, 0.5, 1e-9);
	assert_int_equal(t.out[2].effective, 0);
	assert_true(t.out[0].weight > 2 * t.out[1].weight);
	/* least_connections: the flows decide within the local zone */
	t.in[1].since_ms = 0;
	t.p.mode = WEIGHTS_LEAST_CONN;
	t.in[0].active_flows = 100;
	run(&t, T0 + 60000);
	assert_true(t.out[1].weight > t.out[0].weight);
	assert_int_equal(t.out[3].effective, 0);
}

/* ---- rebuilds ---- */

static bool check(struct vip *t, __u64 now, int *rebuilds)
{
	char why[96];

	run(t, now);
	if (!weights_should_rebuild(&t->p, &t->v, t->st, t->out, t->n, now,
				    why, sizeof(why)))
		return false;
	assert_true(why[0]);
	weights_applied(&t->v, t->st, t->out, t->n, now);
	if (rebuilds)
		(*rebuilds)++;
	return true;
}

static void test_rebuild_threshold(void **state)
{
	static const __u32 base[] = { 100, 100, 100, 100 };
	static const double lat[] = { 10, 10, 10, 10 };
	char why[96];
	struct vip t;
	__u64 now = T0;

	(void)state;
	setup(&t, 4, base, lat);
	run(&t, now);
	assert_true(weights_should_rebuild(&t.p, &t.v, t.st, t.out, 4, now,
					   why, sizeof(why)));
	assert_string_equal(why, "first set");
	weights_applied(&t.v, t.st, t.out, 4, now);
	assert_int_equal(t.st[3].applied, 100000);
	assert_false(check(&t, now += 1000, NULL));

	/* a share 4 % lower: not enough, however long it lasts */
	t.in[3].latency_ewma_ns = 10 * NS_MS * 100 / 95;
	for (int i = 0; i < 10; i++)
		assert_false(check(&t, now += 1000, NULL));
	/* 6 % lower: once seen in two checks in a row */
	t.in[3].latency_ewma_ns = 10 * NS_MS * 100 / 92;
	assert_false(check(&t, now += 1000, NULL));
	run(&t, now += 1000);
	assert_true(weights_should_rebuild(&t.p, &t.v, t.st, t.out, 4, now,
					   why, sizeof(why)));
	assert_non_null(strstr(why, "backend 3 share 0.250 -> 0.2"));
	weights_applied(&t.v, t.st, t.out, 4, now);
	assert_false(check(&t, now += 1000, NULL));

	/* rate limit: big moves every 200 ms, one rebuild per second */
	int rebuilds = 0;

	for (int i = 0; i < 50; i++) {
		__u64 last = t.v.last_rebuild_ms;

		t.in[i % 4].latency_ewma_ns = ((i / 4) % 2 ? 5 : 30) * NS_MS;
		if (check(&t, now += 200, &rebuilds))
			assert_true(now - last >= 1000);
	}
	assert_true(rebuilds >= 5 && rebuilds <= 10);

	/* going down, being drained, or coming back: at once */
	for (int i = 0; i < 4; i++)
		t.in[i].latency_ewma_ns = 10 * NS_MS;
	check(&t, now += 5000, NULL);
	check(&t, now += 1000, NULL);
	t.in[1].up = false;
	run(&t, now += 1);
	assert_true(weights_should_rebuild(&t.p, &t.v, t.st, t.out, 4, now,
					   why, sizeof(why)));
	assert_string_equal(why, "backend 1 takes no new flows");
	weights_applied(&t.v, t.st, t.out, 4, now);
	t.in[2].draining = true;
	assert_true(check(&t, now += 1, NULL));
	t.in[1].up = true;
	t.in[1].since_ms = ++now;
	assert_true(check(&t, now, NULL));
	assert_int_equal(t.st[1].applied, 10000);
	/* NULL why is fine */
	t.in[1].up = false;
	run(&t, now += 1);
	assert_true(weights_should_rebuild(&t.p, &t.v, t.st, t.out, 4, now,
					   NULL, 0));
}

/* A backend whose latency flips between two values each period, with
 * shares 6 % apart: each value alone is over the threshold, but it never
 * lasts two checks. */
static void test_hysteresis_flip(void **state)
{
	static const __u32 base[] = { 100, 100, 100 };
	static const double lat[] = { 10, 10, 10 };
	struct vip t;
	int rebuilds = 0, eager = 0;
	__u64 now = T0;

	(void)state;
	setup(&t, 3, base, lat);
	check(&t, now, &rebuilds);
	for (int i = 0; i < 120; i++) {
		t.in[1].latency_ewma_ns = (i % 2 ? 10 : 11) * NS_MS;
		check(&t, now += 1000, &rebuilds);
	}
	assert_int_equal(rebuilds, 1);

	/* without the confirmation it would flap every period */
	setup(&t, 3, base, lat);
	t.p.rebuild_confirm = 1;
	now = T0;
	check(&t, now, &eager);
	for (int i = 0; i < 120; i++) {
		t.in[1].latency_ewma_ns = (i % 2 ? 10 : 11) * NS_MS;
		check(&t, now += 1000, &eager);
	}
	assert_true(eager > 100);

	/* a lasting step is followed, once */
	setup(&t, 3, base, lat);
	now = T0;
	rebuilds = 0;
	check(&t, now, &rebuilds);
	t.in[1].latency_ewma_ns = 20 * NS_MS;
	for (int i = 0; i < 60; i++)
		check(&t, now += 1000, &rebuilds);
	assert_int_equal(rebuilds, 2);
	assert_int_equal(t.st[1].applied, t.out[1].effective);
}

/* Probe latencies with +-30 % uniform noise around three levels, through
 * the health checker's EWMA (1/8), one probe and one recompute a second,
 * with the default parameters; and a degrade hovering at its thresholds.
 * Returns the rebuilds in 10 minutes. */
static int noisy_run(unsigned int smoothing_ms, int *events)
{
	static const __u32 base[] = { 100, 100, 100, 100 };
	static const double level[] = { 10, 15, 20, 10 };
	double ewma[4];
	unsigned int rng = 12345;
	int rebuilds = 0;
	struct vip t;
	__u64 now = T0;

	setup(&t, 4, base, level);
	t.p.score_smoothing_ms = smoothing_ms;
	memcpy(ewma, level, sizeof(ewma));
	check(&t, now, &rebuilds);
	for (int i = 0; i < 600; i++) {
		for (size_t b = 0; b < 4; b++) {
			double noise;

			rng = rng * 1103515245u + 12345u;
			noise = ((rng >> 8) % 60001) / 100000.0 - 0.3;
			ewma[b] += (level[b] * (1 + noise) - ewma[b]) / 8;
			t.in[b].latency_ewma_ns = (__u64)(ewma[b] * NS_MS);
		}
		/* backend 3: P99 and errors around the degrade thresholds */
		set_health(&t, 3, i % 2 ? 520 : 480, i % 3 ? 0.06 : 0.045);
		check(&t, now += 1000, &rebuilds);
		for (size_t b = 0; b < 4; b++)
			*events += t.out[b].event != WEIGHTS_EV_NONE;
	}
	assert_true(t.out[3].degraded);
	return rebuilds;
}

static void test_hysteresis_noise(void **state)
{
	int events = 0, raw, smoothed;

	(void)state;
	raw = noisy_run(0, &events);
	/* entered once, never left: it never got 20 % under */
	assert_int_equal(events, 1);
	events = 0;
	smoothed = noisy_run(5000, &events);
	assert_int_equal(events, 1);
	print_message("noisy latency: %d rebuilds in 10 minutes, %d without "
		      "score smoothing\n", smoothed, raw);
	assert_true(smoothed <= 30);
	assert_true(smoothed * 2 < raw);
}

/* The score EWMA: a step is followed gradually, a returning backend
 * starts from its own measurement. */
static void test_smoothing(void **state)
{
	static const __u32 base[] = { 100, 100 };
	static const double lat[] = { 10, 10 };
	double prev;
	struct vip t;
	__u64 now = T0;

	(void)state;
	setup(&t, 2, base, lat);
	t.p.score_smoothing_ms = 5000;
	run(&t, now);
	assert_int_equal(t.out[1].effective, 100000);
	/* 2x slower: 66.7 at the end, 1/6 of the way per second */
	t.in[1].latency_ewma_ns = 20 * NS_MS;
	prev = 100;
	for (int s = 1; s <= 60; s++) {
		run(&t, now += 1000);
		assert_true(t.out[1].weight < prev || s > 40);
		assert_true(t.out[1].weight >= 66.666);
		prev = t.out[1].weight;
		if (s == 1)
			assert_near(t.out[1].weight, 200 * (1 - 1.0 / 12) /
						      (2 - 1.0 / 12), 1e-9);
	}
	assert_near(t.out[1].weight, 200.0 / 3, 0.01);
	/* no time passed: no change */
	t.in[1].latency_ewma_ns = 10 * NS_MS;
	run(&t, now);
	assert_near(t.out[1].weight, 200.0 / 3, 0.01);
	/* down and back: its first score is its measurement */
	t.in[1].up = false;
	run(&t, now += 1000);
	assert_near(t.st[1].score, 0, 0);
	t.in[1].up = true;
	run(&t, now += 1000);
	assert_int_equal(t.out[1].effective, 100000);
}

/* A VIP whose checks have not answered yet (the agent just started): the
 * stand-in scores are not smoothed, so the first latencies count in full
 * at once instead of fading in from a placeholder of another scale. */
static void test_smoothing_first_measurement(void **state)
{
	static const __u32 base[] = { 100, 100, 100 };
	static const double lat[] = { 0, 0, 0 };
	struct vip t;
	__u64 now = T0;

	(void)state;
	setup(&t, 3, base, lat);
	t.p.score_smoothing_ms = 5000;
	run(&t, now);
	assert_int_equal(t.out[2].effective, 100000);
	assert_near(t.st[2].score, 0, 0);
	t.in[0].latency_ewma_ns = 1 * NS_MS;
	t.in[1].latency_ewma_ns = 1 * NS_MS;
	t.in[2].latency_ewma_ns = 200 * NS_MS;
	run(&t, now += 1000);
	assert_near(t.out[2].weight, 10, 1e-6);	/* the floor */
	assert_near(t.out[0].weight, 145, 1e-6);
}

/* Random VIPs: bounds hold, the total is kept, and a better score never
 * gets a smaller share of its base weight. */
static void test_random_properties(void **state)
{
	unsigned int rng = 4242;
	struct vip t;

	(void)state;
	for (int round = 0; round < 2000; round++) {
		double lo = 0, hi = 0, total = 0;
		__u32 base[MAXB];
		double lat[MAXB];
		size_t n;

		rng = rng * 1103515245u + 12345u;
		n = 1 + (rng >> 8) % MAXB;
		for (size_t i = 0; i < n; i++) {
			rng = rng * 1103515245u + 12345u;
			base[i] = (rng >> 4) % 1000;
			lat[i] = (rng >> 14) % 7 ? ((rng >> 8) % 20000) / 10.0
						 : 0;
		}
		setup(&t, n, base, lat);
		for (size_t i = 0; i < n; i++) {
			rng = rng * 1103515245u + 12345u;
			t.in[i].error_ratio =
				(rng >> 8) % 4 ? 0 : ((rng >> 12) % 101) / 100.0;
			t.in[i].up = (rng >> 20) % 9;
			t.in[i].draining = !((rng >> 24) % 11);
		}
		t.p.floor = (round % 5) / 10.0;
		t.p.cap = 1 + (round % 7) / 2.0;
		run(&t, T0);
		for (size_t i = 0; i < n; i++) {
			const struct weights_output *o = &t.out[i];

			if (!t.in[i].up || t.in[i].draining || !t.in[i].base) {
				assert_int_equal(o->effective, 0);
				continue;
			}
			/* 0 only when degraded with a floor of 0 */
			assert_true(o->effective > 0 ||
				    (o->degraded && !t.p.floor));
			assert_true(o->weight >= o->lo * (1 - 1e-9));
			assert_true(o->weight <= o->hi * (1 + 1e-9));
			lo += o->lo;
			hi += o->hi;
			total += t.in[i].base;
			for (size_t j = 0; j < n; j++)
				if (t.out[j].effective && !o->degraded &&
				    !t.out[j].degraded &&
				    o->score > t.out[j].score)
					assert_true(o->factor >=
						    t.out[j].factor - 1e-9);
		}
		if (lo <= total && total <= hi)
			assert_near(total_weight(&t), total, total * 1e-9);
	}
}

/* The same calls give the same results, byte for byte. */
static void test_determinism(void **state)
{
	static const __u32 base[] = { 100, 50, 100, 7, 100 };
	static const double lat[] = { 3, 40, 0, 900, 12 };
	static struct weights_output first[200][5];
	struct vip t;

	(void)state;
	for (int pass = 0; pass < 2; pass++) {
		unsigned int rng = 777;
		__u64 now = T0;

		setup(&t, 5, base, lat);
		t.p.score_smoothing_ms = 5000;
		t.in[4].since_ms = T0 + 10000;
		for (int i = 0; i < 200; i++) {
			rng = rng * 1103515245u + 12345u;
			t.in[rng % 5].latency_ewma_ns = (rng >> 8) % 50000000;
			set_health(&t, 3, (rng >> 4) % 1000, (rng % 100) / 100.0);
			t.in[1].up = (rng >> 12) % 7;
			check(&t, now += 700, NULL);
			if (!pass)
				memcpy(first[i], t.out, sizeof(first[i]));
			else
				assert_memory_equal(first[i], t.out,
						    sizeof(first[i]));
		}
	}
}

static void test_params(void **state)
{
	static const __u32 base[] = { 65535, 1 };
	static const double lat[] = { 1, 10000 };
	struct weights_params p;
	struct vip t;

	(void)state;
	weights_params_init(&p);
	assert_int_equal(p.mode, WEIGHTS_DYNAMIC);
	assert_near(p.floor, 0.10, 0);
	assert_near(p.cap, 2.0, 0);
	assert_true(p.degrade_latency_ns == 500 * NS_MS);
	assert_near(p.degrade_errors, 0.05, 0);
	assert_near(p.slow_start_initial, 0.10, 0);
	assert_int_equal(p.slow_start_window_ms, 60000);
	assert_near(p.rebuild_threshold, 0.05, 0);
	assert_int_equal(p.min_rebuild_interval_ms, 1000);

	/* out-of-range values are clamped: cap 10 at most, floor 0..1 */
	setup(&t, 2, base, lat);
	t.p.cap = 1e9;
	t.p.floor = -1;
	run(&t, T0);
	assert_true(t.out[0].effective <= 65535u * 10 * WEIGHTS_SCALE);
	assert_int_equal(t.out[1].effective, 1);	/* never 0 when up */
	t.p.floor = 0.5;
	t.p.cap = 1.5;
	run(&t, T0);
	assert_int_equal(t.out[1].effective, 500);
	assert_int_equal(t.out[0].effective, 65535500);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_why),
		cmocka_unit_test(test_degrade_needs_both),
		cmocka_unit_test(test_degrade_recovery),
		cmocka_unit_test(test_slow_start),
		cmocka_unit_test(test_drain_down_zero),
		cmocka_unit_test(test_static),
		cmocka_unit_test(test_least_connections),
		cmocka_unit_test(test_least_connections_table),
		cmocka_unit_test(test_zones_table),
		cmocka_unit_test(test_zones_why),
		cmocka_unit_test(test_zones_dynamic),
		cmocka_unit_test(test_rebuild_threshold),
		cmocka_unit_test(test_hysteresis_flip),
		cmocka_unit_test(test_hysteresis_noise),
		cmocka_unit_test(test_smoothing),
		cmocka_unit_test(test_smoothing_first_measurement),
		cmocka_unit_test(test_random_properties),
		cmocka_unit_test(test_determinism),
		cmocka_unit_test(test_params),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
