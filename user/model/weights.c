// SPDX-License-Identifier: GPL-2.0
/* Effective weights: the steps described in weights.h, and the rebuild
 * decision. Pure: no I/O, no clock, no allocation. */
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "model/weights.h"

#define NSEC_PER_MSEC 1000000ULL
/* Bisection steps on k: far more than a double's 53 bits need. */
#define FILL_ITERS 200

static const char *const mode_names[] = {
	[WEIGHTS_DYNAMIC] = "dynamic",
	[WEIGHTS_STATIC] = "static",
	[WEIGHTS_LEAST_CONN] = "least_connections",
};

static const char *const reason_names[] = {
	[WEIGHTS_R_DOWN] = "down",
	[WEIGHTS_R_DRAINING] = "draining",
	[WEIGHTS_R_ZERO] = "zero",
	[WEIGHTS_R_STATIC] = "static",
	[WEIGHTS_R_SCORED] = "scored",
	[WEIGHTS_R_FLOOR] = "floor",
	[WEIGHTS_R_CAP] = "cap",
	[WEIGHTS_R_DEGRADED] = "degraded",
	[WEIGHTS_R_RECOVERING] = "recovering",
	[WEIGHTS_R_OTHER_ZONE] = "other_zone",
};

const char *weights_mode_name(enum weights_mode m)
{
	if ((size_t)m < sizeof(mode_names) / sizeof(mode_names[0]))
		return mode_names[m];
	return "?";
}

const char *weights_reason_name(enum weights_reason r)
{
	if ((size_t)r < sizeof(reason_names) / sizeof(reason_names[0]))
		return reason_names[r];
	return "?";
}

void weights_params_init(struct weights_params *p)
{
	memset(p, 0, sizeof(*p));
	p->mode = WEIGHTS_DYNAMIC;
	p->floor = 0.10;
	p->cap = 2.0;
	p->latency_floor_ns = NSEC_PER_MSEC;
	p->degrade_latency_ns = 500 * NSEC_PER_MSEC;
	p->degrade_errors = 0.05;
	p->degrade_exit = 0.8;
	p->degrade_recovery_ms = 20000;
	p->slow_start_initial = 0.10;
	p->slow_start_window_ms = 60000;
	p->rebuild_threshold = 0.05;
	p->min_rebuild_interval_ms = 1000;
	p->rebuild_confirm = 2;
	p->score_smoothing_ms = 5000;
	p->prefer_zone = false;
	p->zone_min_healthy = 0.70;
}

/* x within [lo, hi]; NaN becomes dflt. */
static double range(double x, double lo, double hi, double dflt)
{
	if (isnan(x))
		return dflt;
	return x < lo ? lo : x > hi ? hi : x;
}

static double bound(double x, double lo, double hi)
{
	return x < lo ? lo : x > hi ? hi : x;
}

/* The caller's parameters, each within its range. */
static void sanitise(const struct weights_params *in, struct weights_params *p)
{
	*p = *in;
	p->floor = range(p->floor, 0, 1, 0.10);
	p->cap = range(p->cap, 1, WEIGHTS_MAX_CAP, 2.0);
	p->degrade_errors = range(p->degrade_errors, 0, 1, 0.05);
	p->degrade_exit = range(p->degrade_exit, 0, 1, 0.8);
	p->slow_start_initial = range(p->slow_start_initial, 0, 1, 0.10);
	p->rebuild_threshold = range(p->rebuild_threshold, 0, 1e9, 0.05);
	p->zone_min_healthy = range(p->zone_min_healthy, 0, 1, 0.70);
	if (!p->rebuild_confirm)
		p->rebuild_confirm = 1;
}

static bool is_member(const struct weights_input *in)
{
	return in->up && !in->draining && in->base;
}

static double error_ratio(const struct weights_input *in)
{
	return range(in->error_ratio, 0, 1, 0);
}

/* ---- degrade and recovery ---- */

/* hi after degrade, in units of base: floor, rising by 1 - floor per
 * degrade_recovery (by cap - floor with a floor of 100 %), up to cap. */
static double recovery_ceiling(const struct weights_params *p,
			       const struct weights_state *st, __u64 now_ms)
{
	double t, c, slope = p->floor < 1 ? 1 - p->floor : p->cap - p->floor;

	if (!p->degrade_recovery_ms || slope <= 0)
		return p->cap;
	t = now_ms > st->changed_ms ? (double)(now_ms - st->changed_ms) : 0;
	c = p->floor + slope * t / p->degrade_recovery_ms;
	return c < p->cap ? c : p->cap;
}

static void update_degrade(const struct weights_params *p,
			   const struct weights_input *in,
			   struct weights_state *st, struct weights_output *o,
			   __u64 now_ms)
{
	double err = error_ratio(in), p99 = (double)in->latency_p99_ns;

	if (!st->degraded) {
		if (in->latency_p99_ns > p->degrade_latency_ns &&
		    err > p->degrade_errors) {
			st->degraded = true;
			st->recovering = false;
			st->changed_ms = now_ms;
			o->event = WEIGHTS_EV_DEGRADED;
		}
	} else if (p99 <= p->degrade_exit * (double)p->degrade_latency_ns &&
		   err <= p->degrade_exit * p->degrade_errors) {
		st->degraded = false;
		st->recovering = true;
		st->changed_ms = now_ms;
		o->event = WEIGHTS_EV_RECOVERED;
	}
	if (st->recovering && recovery_ceiling(p, st, now_ms) >= p->cap)
		st->recovering = false;
}

/* Step 3's bounds for a member, in base units. */
static void member_bounds(const struct weights_params *p,
			  const struct weights_input *in,
			  const struct weights_state *st, __u64 now_ms,
			  struct weights_output *o)
{
	double base = in->base;

	o->lo = p->floor * base;
	o->hi = p->cap * base;
	if (p->mode == WEIGHTS_STATIC) {
		o->lo = o->hi = base;
	} else if (st->degraded) {
		o->hi = o->lo;
	} else if (st->recovering) {
		double c = recovery_ceiling(p, st, now_ms);

		o->recovery = p->cap > p->floor
				      ? (c - p->floor) / (p->cap - p->floor)
				      : 1;
		if (c * base < o->hi)
			o->hi = c * base;
	}
}

/* ---- slow start ---- */

static double slow_start_progress(const struct weights_params *p,
				  const struct weights_input *in, __u64 now_ms)
{
	__u64 t;

	if (!p->slow_start_window_ms || !in->since_ms)
		return 1;
	t = now_ms > in->since_ms ? now_ms - in->since_ms : 0;
	if (t >= p->slow_start_window_ms)
		return 1;
	return (double)t / p->slow_start_window_ms;
}

/* ---- scores ---- */

/* 1 / latency for members that have one (0 for the rest); returns the
 * mean over those, 1 if none. */
static double latency_parts(const struct weights_params *p,
			    const struct weights_input *in,
			    struct weights_output *out, size_t n)
{
	double sum = 0;
	size_t count = 0;

	for (size_t i = 0; i < n; i++) {
		__u64 lat = in[i].latency_ewma_ns;

		out[i].score = 0;
		if (!is_member(&in[i]) || !lat)
			continue;
		if (lat < p->latency_floor_ns)
			lat = p->latency_floor_ns;
		out[i].score = 1 / (double)lat;
		sum += out[i].score;
		count++;
	}
	return count ? sum / (double)count : 1;
}

/* Leaves each member's score (absolute, > 0) in out[].score. */
static void scores(const struct weights_params *p,
		   const struct weights_input *in, struct weights_output *out,
		   size_t n, double total_base)
{
	double flows = 0, mean;

	if (p->mode == WEIGHTS_STATIC) {
		for (size_t i = 0; i < n; i++)
			out[i].score = is_member(&in[i]) ? 1 : 0;
		return;
	}
	if (p->mode == WEIGHTS_LEAST_CONN) {
		for (size_t i = 0; i < n; i++)
			if (is_member(&in[i]))
				flows += (double)in[i].active_flows;
		for (size_t i = 0; i < n; i++) {
			double load = 0;

			out[i].score = 0;
			if (!is_member(&in[i]))
				continue;
			if (flows > 0)
				load = (double)in[i].active_flows / flows /
				       (in[i].base / total_base);
			out[i].score = 1 / (1 + load);
		}
		return;
	}
	mean = latency_parts(p, in, out, n);
	for (size_t i = 0; i < n; i++) {
		if (!is_member(&in[i]))
			continue;
		if (!out[i].score)
			out[i].score = mean;
		out[i].score /= 1 + error_ratio(&in[i]);
	}
}

/* Each member's score through an EWMA of time constant score_smoothing_ms
 * (alpha = dt / (tau + dt)), started afresh when it becomes a member or
 * the mode changes (the scores of two modes do not mix). */
static void smooth(const struct weights_params *p,
		   const struct weights_input *in, struct weights_state *st,
		   struct weights_output *out, size_t n, __u64 now_ms)
{
	for (size_t i = 0; i < n; i++) {
		double dt, alpha = 1;

		if (!is_member(&in[i]) || p->mode == WEIGHTS_STATIC) {
			st[i].score = 0;
			continue;
		}
		/* No latency yet: its stand-in score (the others' mean, or
		 * 1 when no member has one) is used as is, not smoothed, so
		 * the EWMA starts from the first measurement rather than
		 * from a placeholder of another scale. */
		if (p->mode == WEIGHTS_DYNAMIC && !in[i].latency_ewma_ns) {
			st[i].score = 0;
			continue;
		}
		if (st[i].score > 0 && st[i].score_mode == p->mode &&
		    p->score_smoothing_ms) {
			dt = now_ms > st[i].score_ms
				     ? (double)(now_ms - st[i].score_ms)
				     : 0;
			alpha = dt / (p->score_smoothing_ms + dt);
		}
		st[i].score += alpha * (out[i].score - st[i].score);
		st[i].score_ms = now_ms;
		st[i].score_mode = p->mode;
		out[i].score = st[i].score;
	}
}

/* ---- normalise and clamp ---- */

static double want(const struct weights_input *in,
		   const struct weights_output *o)
{
	return in->base * o->score;
}

static double fill(const struct weights_input *in,
		   const struct weights_output *out, size_t n, double k)
{
	double sum = 0;

	for (size_t i = 0; i < n; i++)
		if (is_member(&in[i]))
			sum += bound(k * want(&in[i], &out[i]), out[i].lo,
				     out[i].hi);
	return sum;
}

/* Sets out[].weight of the members: the water-filling of step 3. */
static void normalise(const struct weights_input *in,
		      struct weights_output *out, size_t n, double total)
{
	double sum_lo = 0, sum_hi = 0, sum_want = 0, k, kmax = 0;
	double fixed = 0, free_want = 0;
	bool clamped = false;

	for (size_t i = 0; i < n; i++) {
		if (!is_member(&in[i]))
			continue;
		sum_lo += out[i].lo;
		sum_hi += out[i].hi;
		sum_want += want(&in[i], &out[i]);
	}
	if (total >= sum_hi || total <= sum_lo || sum_want <= 0) {
		for (size_t i = 0; i < n; i++)
			if (is_member(&in[i]))
				out[i].weight =
					total >= sum_hi ? out[i].hi : out[i].lo;
		return;
	}
	k = total / sum_want;
	for (size_t i = 0; i < n; i++) {
		double w, x;

		if (!is_member(&in[i]))
			continue;
		w = want(&in[i], &out[i]);
		x = k * w;
		if (x < out[i].lo || x > out[i].hi)
			clamped = true;
		if (w > 0 && out[i].hi / w > kmax)
			kmax = out[i].hi / w;
	}
	if (clamped) {
		/* fill() rises with k from sum_lo (k = 0) to sum_hi
		 * (k = kmax): find where it crosses total. */
		double klo = 0, khi = kmax;

		for (int it = 0; it < FILL_ITERS; it++) {
			double mid = klo + (khi - klo) / 2;

			if (mid <= klo || mid >= khi)
				break;
			if (fill(in, out, n, mid) < total)
				klo = mid;
			else
				khi = mid;
		}
		k = khi;
	}
	/* Exact total: members at a bound stay there, the free ones share
	 * the rest in proportion to what they want. */
	for (size_t i = 0; i < n; i++) {
		double x;

		if (!is_member(&in[i]))
			continue;
		x = k * want(&in[i], &out[i]);
		if (x <= out[i].lo || x >= out[i].hi)
			fixed += bound(x, out[i].lo, out[i].hi);
		else
			free_want += want(&in[i], &out[i]);
	}
	if (free_want > 0 && total > fixed)
		k = (total - fixed) / free_want;
	for (size_t i = 0; i < n; i++) {
		double x;

		if (!is_member(&in[i]))
			continue;
		x = k * want(&in[i], &out[i]);
		out[i].weight = bound(x, out[i].lo, out[i].hi);
	}
}

/* ---- zones ---- */

/* The local zone's health h (its members' base weight over all its
 * backends') into z, and the weights of the local and other members. */
static void zone_sums(const struct weights_input *in,
		      const struct weights_output *out, size_t n,
		      struct weights_zone *z, double *w_local, double *w_other)
{
	double zone_base = 0, up_base = 0;

	*w_local = *w_other = 0;
	for (size_t i = 0; i < n; i++) {
		if (in[i].local_zone)
			zone_base += in[i].base;
		if (!is_member(&in[i]))
			continue;
		if (in[i].local_zone) {
			up_base += in[i].base;
			*w_local += out[i].weight;
		} else {
			*w_other += out[i].weight;
		}
	}
	z->health = zone_base > 0 ? up_base / zone_base : 0;
}

/* Step 6: h, L, and the members' weights moved between the sides. */
static void zones(const struct weights_params *p,
		  const struct weights_input *in, struct weights_output *out,
		  size_t n, struct weights_zone *z)
{
	double w_local, w_other, total, to_local, to_other;

	memset(z, 0, sizeof(*z));
	z->prefer = p->prefer_zone;
	if (!p->prefer_zone)
		return;
	zone_sums(in, out, n, z, &w_local, &w_other);
	total = w_local + w_other;
	if (!(total > 0))
		return;
	if (!(w_local > 0))
		z->local_share = 0;
	else if (!(w_other > 0) || z->health + 1e-9 >= p->zone_min_healthy)
		z->local_share = 1;
	else
		z->local_share = z->health / p->zone_min_healthy;
	z->spilling = z->local_share < 1 && w_other > 0;
	to_local = w_local > 0 ? z->local_share * total / w_local : 0;
	to_other = w_other > 0 ? (1 - z->local_share) * total / w_other : 0;
	for (size_t i = 0; i < n; i++) {
		if (!is_member(&in[i]))
			continue;
		out[i].weight *= in[i].local_zone ? to_local : to_other;
		if (!in[i].local_zone && !z->spilling)
			out[i].reason = WEIGHTS_R_OTHER_ZONE;
	}
}

void weights_zone_status(const struct weights_params *p,
			 const struct weights_input *in,
			 const struct weights_output *out, size_t n,
			 struct weights_zone *z)
{
	double w_local, w_other;

	memset(z, 0, sizeof(*z));
	z->prefer = p->prefer_zone;
	if (!p->prefer_zone)
		return;
	zone_sums(in, out, n, z, &w_local, &w_other);
	if (w_local + w_other > 0)
		z->local_share = w_local / (w_local + w_other);
	z->spilling = w_other > 0 && z->local_share < 1 - 1e-9;
}

/* ---- why ---- */

struct sbuf {
	char *p;
	size_t len, off;
};

__attribute__((format(printf, 2, 3))) static void put(struct sbuf *b,
						      const char *fmt, ...)
{
	va_list ap;
	int r;

	if (b->off >= b->len)
		return;
	va_start(ap, fmt);
	r = vsnprintf(b->p + b->off, b->len - b->off, fmt, ap);
	va_end(ap);
	if (r > 0)
		b->off += (size_t)r;
}

/* "12.3ms", "800ms". */
static void put_ms(struct sbuf *b, __u64 ns)
{
	double ms = (double)ns / NSEC_PER_MSEC;

	if (!(ns % NSEC_PER_MSEC) || ms >= 100)
		put(b, "%.0fms", ms);
	else
		put(b, "%.1fms", ms);
}

/* "5%", "12.5%". */
static void put_pct(struct sbuf *b, double ratio)
{
	double v = ratio * 100, whole = (double)(long long)(v + 0.5);

	if (v - whole < 0.05 && whole - v < 0.05)
		put(b, "%.0f%%", whole);
	else
		put(b, "%.1f%%", v);
}

/* Progress in whole percent, rounded down (0.35 is 35, not 34). */
static int percent(double progress)
{
	return (int)(progress * 100 + 1e-6);
}

static void put_signals(struct sbuf *b, const struct weights_params *p,
			const struct weights_input *in,
			const struct weights_output *o)
{
	if (p->mode == WEIGHTS_LEAST_CONN) {
		put(b, "flows %llu, score %.2f",
		    (unsigned long long)in->active_flows, o->score);
		return;
	}
	if (in->latency_ewma_ns) {
		put(b, "latency ");
		put_ms(b, in->latency_ewma_ns);
	} else {
		put(b, "no latency");
	}
	put(b, " x%.2f errors", 1 + error_ratio(in));
}

/* ", local zone 60% up: 86% of new flows here" and the like. */
static void put_zone(struct sbuf *b, const struct weights_input *in,
		     const struct weights_zone *z)
{
	if (!z || !z->prefer || !z->spilling)
		return;
	if (in->local_zone)
		put(b, ", local zone ");
	else
		put(b, ", other zone, local ");
	put_pct(b, z->health);
	put(b, " up: ");
	put_pct(b, in->local_zone ? z->local_share : 1 - z->local_share);
	put(b, " of new flows %s", in->local_zone ? "here" : "spill");
}

static void explain(const struct weights_params *p,
		    const struct weights_input *in, const struct weights_zone *z,
		    struct weights_output *o)
{
	struct sbuf b = { o->why, sizeof(o->why), 0 };

	o->why[0] = '\0';
	switch (o->reason) {
	case WEIGHTS_R_DOWN:
		put(&b, "down");
		return;
	case WEIGHTS_R_DRAINING:
		put(&b, "draining");
		return;
	case WEIGHTS_R_ZERO:
		put(&b, "weight 0");
		return;
	case WEIGHTS_R_STATIC:
		put(&b, "static");
		break;
	case WEIGHTS_R_DEGRADED:
		put(&b, "degraded: p99 ");
		put_ms(&b, in->latency_p99_ns);
		put(&b, " > ");
		put_ms(&b, p->degrade_latency_ns);
		put(&b, " and errors ");
		put_pct(&b, error_ratio(in));
		put(&b, " > ");
		put_pct(&b, p->degrade_errors);
		break;
	case WEIGHTS_R_RECOVERING:
		put(&b, "recovering %d%%: ", percent(o->recovery));
		put_signals(&b, p, in, o);
		break;
	case WEIGHTS_R_FLOOR:
	case WEIGHTS_R_CAP:
		put(&b, "%s: ", weights_reason_name(o->reason));
		put_signals(&b, p, in, o);
		break;
	case WEIGHTS_R_SCORED:
		put_signals(&b, p, in, o);
		break;
	case WEIGHTS_R_OTHER_ZONE:
		put(&b, "other zone: local zone ");
		put_pct(&b, z->health);
		put(&b, " up (min ");
		put_pct(&b, p->zone_min_healthy);
		put(&b, ")");
		break;
	}
	if (o->slow_start < 1)
		put(&b, ", slow start %d%%", percent(o->slow_start));
	put_zone(&b, in, z);
	put(&b, " -> %.2f of base", o->factor);
}

/* ---- compute ---- */

static __u32 to_maglev(double w)
{
	double x = w * WEIGHTS_SCALE + 0.5;

	if (!(w > 0))
		return 0;
	if (x >= (double)UINT32_MAX)
		return UINT32_MAX;
	return x < 1 ? 1 : (__u32)x;
}

void weights_compute(const struct weights_params *params,
		     const struct weights_input *in, struct weights_state *st,
		     struct weights_output *out, size_t n, __u64 now_ms)
{
	struct weights_params p;
	struct weights_zone z;
	double total = 0, mean = 0;

	sanitise(params, &p);
	/* Step 1, and the degrade state of the members. */
	for (size_t i = 0; i < n; i++) {
		struct weights_output *o = &out[i];

		memset(o, 0, sizeof(*o));
		o->slow_start = 1;
		o->recovery = 1;
		if (!in[i].up)
			o->reason = WEIGHTS_R_DOWN;
		else if (in[i].draining)
			o->reason = WEIGHTS_R_DRAINING;
		else if (!in[i].base)
			o->reason = WEIGHTS_R_ZERO;
		if (p.mode == WEIGHTS_STATIC) {
			st[i].degraded = st[i].recovering = false;
		} else if (is_member(&in[i])) {
			update_degrade(&p, &in[i], &st[i], o, now_ms);
		}
		o->degraded = st[i].degraded;
		if (!is_member(&in[i])) {
			explain(&p, &in[i], NULL, o);
			continue;
		}
		total += in[i].base;
		member_bounds(&p, &in[i], &st[i], now_ms, o);
		o->slow_start = slow_start_progress(&p, &in[i], now_ms);
	}
	if (!total)
		return;
	/* Steps 2 to 4. */
	scores(&p, in, out, n, total);
	smooth(&p, in, st, out, n, now_ms);
	normalise(in, out, n, total);
	for (size_t i = 0; i < n; i++)
		if (is_member(&in[i]))
			mean += want(&in[i], &out[i]) / total;
	/* Step 5 and reasons. */
	for (size_t i = 0; i < n; i++) {
		struct weights_output *o = &out[i];
		double base = in[i].base, eps = base * 1e-9;

		if (!is_member(&in[i]))
			continue;
		if (p.mode == WEIGHTS_STATIC)
			o->reason = WEIGHTS_R_STATIC;
		else if (st[i].degraded)
			o->reason = WEIGHTS_R_DEGRADED;
		else if (st[i].recovering)
			o->reason = WEIGHTS_R_RECOVERING;
		else if (o->weight <= o->lo + eps)
			o->reason = WEIGHTS_R_FLOOR;
		else if (o->weight >= o->hi - eps)
			o->reason = WEIGHTS_R_CAP;
		else
			o->reason = WEIGHTS_R_SCORED;
		o->score = mean > 0 ? o->score / mean : 1;
		o->weight *= p.slow_start_initial +
			     (1 - p.slow_start_initial) * o->slow_start;
	}
	/* Step 6, then the Maglev weights. */
	zones(&p, in, out, n, &z);
	for (size_t i = 0; i < n; i++) {
		struct weights_output *o = &out[i];

		if (!is_member(&in[i]))
			continue;
		o->factor = o->weight / in[i].base;
		o->effective = to_maglev(o->weight);
		explain(&p, &in[i], &z, o);
	}
}

/* ---- rebuild decision ---- */

bool weights_should_rebuild(const struct weights_params *params,
			    struct weights_vip *vip,
			    const struct weights_state *st,
			    const struct weights_output *out, size_t n,
			    __u64 now_ms, char *why, size_t whylen)
{
	struct sbuf b = { why, why ? whylen : 0, 0 };
	double sum_out = 0, sum_app = 0, worst = 0, from = 0, to = 0;
	struct weights_params p;
	size_t worst_i = 0;

	sanitise(params, &p);
	if (why && whylen)
		why[0] = '\0';
	if (!vip->built) {
		put(&b, "first set");
		return true;
	}
	for (size_t i = 0; i < n; i++) {
		if (!out[i].effective != !st[i].applied) {
			put(&b, "backend %zu %s", i,
			    out[i].effective ? "takes new flows"
					     : "takes no new flows");
			return true;
		}
		sum_out += out[i].effective;
		sum_app += st[i].applied;
	}
	for (size_t i = 0; sum_out > 0 && sum_app > 0 && i < n; i++) {
		double so = out[i].effective / sum_out;
		double sa = st[i].applied / sum_app, d;

		if (!st[i].applied)
			continue;
		d = so > sa ? so - sa : sa - so;
		if (d / sa > worst) {
			worst = d / sa;
			worst_i = i;
			from = sa;
			to = so;
		}
	}
	if (!(worst > p.rebuild_threshold)) {
		vip->pending = 0;
		return false;
	}
	if (vip->pending < UINT32_MAX)
		vip->pending++;
	if (vip->pending < p.rebuild_confirm)
		return false;
	if (now_ms >= vip->last_rebuild_ms &&
	    now_ms - vip->last_rebuild_ms < p.min_rebuild_interval_ms)
		return false;
	put(&b, "backend %zu share %.3f -> %.3f", worst_i, from, to);
	return true;
}

void weights_applied(struct weights_vip *vip, struct weights_state *st,
		     const struct weights_output *out, size_t n, __u64 now_ms)
{
	for (size_t i = 0; i < n; i++)
		st[i].applied = out[i].effective;
	vip->built = true;
	vip->last_rebuild_ms = now_ms;
	vip->pending = 0;
}
