/* SPDX-License-Identifier: GPL-2.0 */
/* Effective backend weights: latency and error scores, floor and cap,
 * degrade, slow start, drain, and when to rebuild the table. Pure. */
#ifndef XLB_WEIGHTS_H
#define XLB_WEIGHTS_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

/*
 * How the effective weight of each backend of a VIP is found, on every
 * recompute (the agent's period, 1 s by default):
 *
 * 1. Members. A backend that is down, draining, or has base weight 0 gets
 *    weight 0 and takes no part in what follows. The others are the VIP's
 *    members, and T is the sum of their base weights.
 *
 * 2. Score (weighting: dynamic). For each member
 *        score = 1 / (max(latency, 1 ms) x (1 + error_ratio))
 *    where latency is the health checks' EWMA and error_ratio is
 *    1 - their success ratio over the window. Latencies under 1 ms count
 *    as 1 ms, because a difference of microseconds is noise, not load. A
 *    member with no latency yet gets the mean latency part (1 / latency)
 *    of the members that have one, times its own error factor. Scores
 *    then go through an EWMA with a 5 s time constant (alpha = dt /
 *    (5 s + dt)), which starts over when a backend becomes a member, so
 *    that probe noise does not become table churn.
 *    (weighting: least_connections: score = 1 / (1 + load), where load is
 *    the member's share of the VIP's active flows divided by its share of
 *    T, so 1 means its fair share.)
 *
 * 3. Normalise and clamp. Each member wants base x score. One factor k,
 *    the same for every member, is chosen so that
 *        sum of clamp(k x base x score, lo, hi) over the members = T
 *    with lo = floor x base and hi = cap x base (floor 10 %, cap 2.0).
 *    So the effective weights add up to the base weights, no member
 *    leaves [floor, cap] x base, and what a clamped member cannot take
 *    or give is shared among the others in proportion to what they want
 *    (water-filling, solved by bisection on k). Equal scores give every
 *    member exactly its base weight. When the bounds cannot add up to T
 *    (say most members are degraded), every member sits at a bound.
 *
 * 4. Degrade (dynamic and least_connections). A member whose latency P99
 *    > degrade_latency (500 ms) and whose error ratio > degrade_errors
 *    (5 %) is degraded: lo = hi = floor x base (so no new flows at all
 *    with a floor of 0). It leaves that state only once both are at or
 *    below degrade_exit (80 %) of their thresholds (hysteresis: one that
 *    hovers around a threshold does not flap). Then it recovers: its hi
 *    starts at floor x base and rises linearly by (1 - floor) x base per
 *    degrade_recovery (20 s), up to cap x base, so its traffic comes back
 *    in steps rather than all at once.
 *
 * 5. Slow start (every mode). A member added or risen from down t ms
 *    ago, with t < window (60 s), has its weight from step 3 multiplied
 *    by
 *        initial + (1 - initial) x t / window        (initial 10 %)
 *    A linear ramp. (Envoy's, max(min_weight_percent, (t / window) ^
 *    (1 / aggression)), is linear too with aggression 1.0 but stays at
 *    its minimum until the ramp passes it; this one rises at once.) It
 *    applies after the clamps, so it may take a member below the floor
 *    and the total below T. When every member starts together, the
 *    shares do not change.
 *
 * 6. Zones (prefer_zone, every mode). The balancer host is in a zone and
 *    so may be each backend (in[].local_zone: in the balancer's zone). The
 *    local zone's health h is the base weight of its members over the base
 *    weight of all its backends, whatever their state (down and draining
 *    ones count against it). With zone_min_healthy m (70 %), the local
 *    zone's members get the share
 *        L = 1                  if h >= m
 *        L = h / m              below
 *    of the VIP's new flows, and the members of the other zones the rest,
 *    1 - L, in proportion to their weights from step 5 (so, per zone, in
 *    proportion to what it offers). Within each side, weights keep their
 *    ratios; the total stays what step 5 gave. It is Envoy's priority
 *    spillover with an overprovisioning factor of 1 / m (1.4 for 70 %):
 *    the local zone is assumed able to carry its full load until fewer
 *    than m of its capacity is up, and then sheds load smoothly, not in a
 *    step: one local backend of three down (h = 67 %) spills 4.8 %, two
 *    down 52 %, all down 100 %. When no other zone has a member, the
 *    local zone keeps everything; when the local zone has no member (or
 *    they all weigh 0), everything goes to the others. With L = 1 the
 *    other zones' members get weight 0 (reason other_zone).
 *
 * weighting: static skips steps 2 to 4: each member gets its base weight.
 * Steps 1, 5 and 6 still apply.
 *
 * The Maglev weight is round(weight x WEIGHTS_SCALE), and at least 1 for
 * any weight above 0. Maglev only reads weights relative to each other.
 */

/* Maglev weights are in 1/WEIGHTS_SCALE of a base unit, so base weights
 * as small as 1 still have room for 10 % floors and slow-start steps. */
#define WEIGHTS_SCALE 1000
/* Upper limit on cap: 65535 x 10 x WEIGHTS_SCALE fits in a __u32. */
#define WEIGHTS_MAX_CAP 10.0
#define WEIGHTS_WHY_LEN 160

enum weights_mode {
	WEIGHTS_DYNAMIC,	/* latency and errors (steps 2-4) */
	WEIGHTS_STATIC,		/* base weights (steps 1 and 5 only) */
	WEIGHTS_LEAST_CONN,	/* active flows per unit of base weight */
};

/* Per VIP. Fill with weights_params_init(), then change as needed.
 * Values outside their range are clamped into it. */
struct weights_params {
	enum weights_mode mode;		/* default dynamic */
	double floor;			/* of base, 0..1, default 0.10 */
	double cap;			/* x base, 1..10, default 2.0 */
	__u64 latency_floor_ns;		/* smaller latencies count as this,
					 * default 1 ms */
	__u64 degrade_latency_ns;	/* P99 above: default 500 ms */
	double degrade_errors;		/* error ratio above: default 0.05 */
	double degrade_exit;		/* both at or below this fraction of
					 * their thresholds to leave, 0..1,
					 * default 0.8 */
	__u32 degrade_recovery_ms;	/* floor to base after degrade,
					 * default 20 s; 0 = at once */
	double slow_start_initial;	/* 0..1, default 0.10 */
	__u32 slow_start_window_ms;	/* default 60 s; 0 = no slow start */
	double rebuild_threshold;	/* relative share change, default
					 * 0.05 */
	__u32 min_rebuild_interval_ms;	/* default 1 s */
	__u32 rebuild_confirm;		/* checks in a row a move must be
					 * seen in, default 2; 1 = at once */
	__u32 score_smoothing_ms;	/* time constant of the scores' EWMA,
					 * default 5 s; 0 = none */
	bool prefer_zone;		/* step 6, default off */
	double zone_min_healthy;	/* 0..1, default 0.70 */
};

void weights_params_init(struct weights_params *p);

/* What is known about one backend. */
struct weights_input {
	__u32 base;		/* configured weight; 0 = no new flows */
	bool up;		/* the health checker's verdict */
	bool draining;		/* operator: no new flows */
	__u64 latency_ewma_ns;	/* health_stats.latency_ewma_ns; 0 = none */
	__u64 latency_p99_ns;	/* health_stats.latency_p99_ns; 0 = none */
	double error_ratio;	/* 1 - health_stats.success_ratio, 0..1 */
	__u64 since_ms;		/* when it was added or last rose from down,
				 * on the now_ms clock: slow start runs from
				 * there. Use 0 for "long ago" */
	__u64 active_flows;	/* least_connections only */
	bool local_zone;	/* in the balancer's zone (prefer_zone) */
};

/* Kept per backend between calls, zeroed for a new backend. Keep it in
 * the same order as the inputs. */
struct weights_state {
	bool degraded;
	bool recovering;	/* left degrade, hi still ramping up */
	__u64 changed_ms;	/* when it entered or left degrade */
	__u32 applied;		/* Maglev weight in the table: see
				 * weights_applied() */
	double score;		/* smoothed score; 0 = start afresh */
	__u64 score_ms;		/* when it was last updated */
	enum weights_mode score_mode;	/* the mode it was computed in */
};

/* Kept per VIP between calls, zeroed at first. */
struct weights_vip {
	bool built;		/* weights_applied() was called */
	__u64 last_rebuild_ms;
	__u32 pending;		/* checks in a row that saw a move */
};

/* What decided a backend's weight (the first that applies). */
enum weights_reason {
	WEIGHTS_R_DOWN,
	WEIGHTS_R_DRAINING,
	WEIGHTS_R_ZERO,		/* base weight 0 */
	WEIGHTS_R_STATIC,
	WEIGHTS_R_SCORED,	/* inside its bounds */
	WEIGHTS_R_FLOOR,
	WEIGHTS_R_CAP,
	WEIGHTS_R_DEGRADED,
	WEIGHTS_R_RECOVERING,
	WEIGHTS_R_OTHER_ZONE,	/* prefer_zone, the local zone healthy */
};

enum weights_event {
	WEIGHTS_EV_NONE,
	WEIGHTS_EV_DEGRADED,	/* entered degrade: worth a warning */
	WEIGHTS_EV_RECOVERED,	/* left degrade: recovery starts */
};

struct weights_output {
	__u32 effective;	/* Maglev weight, WEIGHTS_SCALE per base unit */
	double weight;		/* the same in base units (for display) */
	double factor;		/* weight / base; 0 when base is 0 */
	double score;		/* relative score: 1 = the VIP's average, by
				 * base weight; 0 for non-members */
	double lo, hi;		/* bounds of step 3, in base units */
	double slow_start;	/* ramp progress 0..1; 1 = done or none */
	double recovery;	/* after degrade: hi's way from floor to cap,
				 * 0..1; 1 = not recovering */
	enum weights_reason reason;
	enum weights_event event;	/* what this call changed */
	bool degraded;
	char why[WEIGHTS_WHY_LEN];	/* "latency 12.3ms x1.00 errors ->
					 * 0.82 of base", ... */
};

/* Step 6 for a VIP, as weights_compute() found it. */
struct weights_zone {
	bool prefer;		/* prefer_zone */
	double health;		/* h: the local zone's up share of its base
				 * weight, 0..1 (0 without local backends) */
	double local_share;	/* L: of the new flows, to the local zone */
	bool spilling;		/* 0 < 1 - L: the other zones get some */
};

/* Fills out[0..n-1] from in[0..n-1] and moves st[0..n-1] on, as of
 * now_ms (a monotonic clock in ms, the same as in[].since_ms). The
 * result depends only on the arguments. */
void weights_compute(const struct weights_params *p,
		     const struct weights_input *in, struct weights_state *st,
		     struct weights_output *out, size_t n, __u64 now_ms);

/*
 * Whether the table should be rebuilt from out[] now. Call it once per
 * recompute, after weights_compute(), and call weights_applied() after a
 * successful rebuild. Compares each backend's share of the VIP's total
 * Maglev weight with its share in the last set applied:
 *  - the first set, or a backend whose weight went to 0 or came from 0
 *    (down, drain, added, risen): true at once, with no rate limit;
 *  - otherwise true when some share moved by more than rebuild_threshold
 *    (relative) in rebuild_confirm checks in a row, and the last rebuild
 *    was at least min_rebuild_interval_ms ago. Comparing against the set
 *    in the table, not the last computed one, and asking for the move to
 *    last, means a value wobbling around the threshold does not rebuild
 *    each period.
 * Adding or removing backends changes the arrays: the caller rebuilds
 * then anyway, and keeps st[] in the order of in[]. why (may be NULL)
 * gets a short reason when the answer is true, such as "backend 2 share
 * 0.250 -> 0.310".
 */
bool weights_should_rebuild(const struct weights_params *p,
			    struct weights_vip *vip,
			    const struct weights_state *st,
			    const struct weights_output *out, size_t n,
			    __u64 now_ms, char *why, size_t whylen);

/* Records out[] as the set in the table, as of now_ms. */
void weights_applied(struct weights_vip *vip, struct weights_state *st,
		     const struct weights_output *out, size_t n,
		     __u64 now_ms);

/* Step 6's numbers (z->prefer false and the rest 0 without prefer_zone),
 * from the inputs and out[] of the last weights_compute(). */
void weights_zone_status(const struct weights_params *p,
			 const struct weights_input *in,
			 const struct weights_output *out, size_t n,
			 struct weights_zone *z);

const char *weights_mode_name(enum weights_mode m);
/* "down", "draining", "zero", "static", "scored", "floor", "cap",
 * "degraded", "recovering", "other_zone". */
const char *weights_reason_name(enum weights_reason r);

#endif /* XLB_WEIGHTS_H */
