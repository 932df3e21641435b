/* SPDX-License-Identifier: GPL-2.0 */
/* Backend health checks: rise/fall state machine, TCP, HTTP(S) and gRPC
 * probes. */
#ifndef XLB_HEALTH_H
#define XLB_HEALTH_H

#include <stdbool.h>
#include <stdint.h>

#include "xlb_abi.h"

struct loop;
struct health_target;

/* In the order of enum cfg_hc_type (config.h). */
enum hc_type {
	HC_NONE,	/* no checks: always up */
	HC_TCP,		/* connect succeeds */
	HC_HTTP,	/* GET path, status in range, optional body substring */
	HC_HTTPS,	/* the same over TLS */
	HC_GRPC,	/* grpc.health.v1.Health/Check over HTTP/2 (cleartext
			 * with prior knowledge, or TLS): up on SERVING */
};

enum hc_state {
	HC_DOWN,
	HC_UP,
};

/* The outcome of one probe. The connection-level failures (refused, reset,
 * closed, unreachable) are immediate evidence: see health_result_is_fast(). */
enum hc_result {
	HC_R_NONE,		/* no probe finished yet */
	HC_R_OK,
	HC_R_REFUSED,		/* RST in answer to our SYN */
	HC_R_RESET,		/* RST on an established connection */
	HC_R_CLOSED,		/* peer closed without an answer */
	HC_R_UNREACHABLE,	/* ICMP net/host unreachable */
	HC_R_TIMEOUT,		/* no answer within timeout_ms */
	HC_R_BAD_STATUS,	/* HTTP status outside status_min..status_max;
				 * gRPC: grpc-status not OK, or not SERVING */
	HC_R_BODY_MISMATCH,	/* body does not contain params.body */
	HC_R_TLS,		/* handshake or certificate failure */
	HC_R_ERROR,		/* anything else (socket errors, protocol) */
	HC_R_COUNT,
};

#define HC_PATH_LEN 256
#define HC_HOST_LEN 256
#define HC_BODY_LEN 128
#define HC_REASON_LEN 96
/* Results kept for the percentiles and the success ratio. */
#define HC_WINDOW 64

struct hc_params {
	enum hc_type type;
	__u16 port;			/* host order; required but for none */
	char path[HC_PATH_LEN];		/* HTTP: request path, default "/" */
	char host[HC_HOST_LEN];		/* HTTP: Host header (gRPC: :authority)
					 * and TLS SNI/verify name; empty = the
					 * address */
	int status_min, status_max;	/* HTTP: healthy statuses, 200..399 */
	char body[HC_BODY_LEN];		/* HTTP: substring required; "" = any */
	bool tls_verify;		/* HTTPS, gRPC over TLS: verify the
					 * certificate (true) */
	char service[HC_HOST_LEN];	/* gRPC: service asked about; "" = the
					 * server as a whole */
	bool tls;			/* gRPC: over TLS rather than h2c */
	bool init_down;			/* start DOWN, needing rise successes */
	__u32 interval_ms;		/* between regular probes, default 1000 */
	__u32 timeout_ms;		/* per probe, default 500 */
	__u32 rise;			/* successes to go up, default 2 */
	__u32 fall;			/* failures to go down, default 3 */
};

/* Fills p with the defaults above (type HC_TCP, port 0). */
void health_params_init(struct hc_params *p);

const char *health_type_name(enum hc_type type);
/* "none", "tcp", "http", "https", "grpc"; returns 0 or -EINVAL. */
int health_type_parse(const char *s, enum hc_type *type);
const char *health_state_name(enum hc_state state);
const char *health_result_name(enum hc_result r);
/* Refused, reset, closed, unreachable: evidence that needs no waiting. */
bool health_result_is_fast(enum hc_result r);

/* The rise/fall state machine, pure. Counters hold consecutive results of
 * one kind; the state flips when the run reaching the threshold is of the
 * opposite kind. Runs keep counting past the threshold (consec_fail keeps
 * growing while down), which the stats report. */
struct hc_fsm {
	enum hc_state state;
	__u32 rise, fall;	/* >= 1 */
	__u32 ok_run;		/* consecutive successes */
	__u32 fail_run;		/* consecutive failures */
};

enum hc_transition {
	HC_T_NONE,
	HC_T_UP,	/* was down, now up */
	HC_T_DOWN,	/* was up, now down */
};

void health_fsm_init(struct hc_fsm *fsm, enum hc_state initial, __u32 rise,
		     __u32 fall);
enum hc_transition health_fsm_step(struct hc_fsm *fsm, bool success);

/* Called on every state change, with what the deciding probe saw ("ok",
 * "refused", "timeout", "bad status 500", "body mismatch", ...) and its
 * latency. The callback may call health_stop() on any target, this one too. */
typedef void (*health_change_fn)(void *arg, enum hc_state state,
				 const char *reason, __u64 latency_ns);

/*
 * Starts checking addr:params->port from the agent's namespace, with no
 * particular source address. A target starts UP (as HAProxy's
 * "init-state fully-up") unless params->init_down: traffic configured for a
 * backend flows at once, and fall failures take it down, which the fast
 * paths below make a matter of milliseconds for a refused connection. The
 * callback is not called for the initial state.
 *
 * Probes run every interval_ms on a fixed-rate schedule (no drift), the
 * first at once. Besides:
 *  - a connection-level failure (health_result_is_fast()) while UP is
 *    re-probed at once, and each re-probe that fails counts, so a dead
 *    process is down after fall round trips rather than fall intervals;
 *  - the connection of the last probe is held open and watched, and a FIN
 *    or RST on it starts a probe at once. TCP holds the probe's own socket
 *    until the next success replaces it (closed with an RST, as HAProxy
 *    does, so no TIME_WAIT piles up here); HTTP(S) and gRPC watch
 *    libcurl's kept-alive connection between transfers, when the server
 *    keeps it;
 *  - health_probe_now() starts a probe at once for outside hints (the data
 *    path seeing a client retransmit its SYN).
 * These hint probes never overlap one in flight, and after two successful
 * ones further hints wait for the next regular probe: a server that closes
 * idle connections at once, or a stream of false hints, costs at most two
 * extra probes per interval.
 *
 * Returns NULL with errno set (EINVAL for bad params, ENOMEM).
 */
struct health_target *health_start(struct loop *loop,
				   const struct hc_params *params,
				   const union xlb_addr *addr, __u8 family,
				   health_change_fn cb, void *arg);
/* Stops probing, closes every socket and frees t. NULL is a no-op. */
void health_stop(struct health_target *t);
/* Probes at once unless a probe is in flight (see health_start()). */
void health_probe_now(struct health_target *t);

/* The check-latency histogram: upper bounds of its buckets in
 * microseconds (500 us to 5 s); one more bucket holds the rest. */
#define HC_LATENCY_BUCKETS 13
extern const __u32 hc_latency_bounds_us[HC_LATENCY_BUCKETS];

struct health_stats {
	enum hc_state state;
	enum hc_result last_result;	/* HC_R_NONE before the first probe */
	char last_reason[HC_REASON_LEN];	/* "ok", "bad status 500", ... */
	__u64 last_latency_ns;		/* of the last probe, whatever result */
	__u64 last_probe_ns;		/* loop_now_ns() it finished; 0 = never */
	__u32 consec_ok, consec_fail;
	__u64 probes, failures;		/* totals */
	__u64 transitions;		/* state changes */
	__u64 downs;			/* of which up -> down (failovers) */
	__u64 results[HC_R_COUNT];	/* probes by outcome */
	/* Every successful probe's latency since the start, by bucket
	 * (not cumulative), with their sum and number. */
	__u64 latency_buckets[HC_LATENCY_BUCKETS + 1];
	__u64 latency_sum_ns, latency_count;
	/* Latency of successful probes only (failures have the success
	 * ratio): EWMA with weight 1/8, and nearest-rank percentiles over the
	 * successes among the last window_len results; 0 when none. */
	__u64 latency_ewma_ns;
	__u64 latency_p50_ns, latency_p99_ns;
	__u32 window_len, window_ok;	/* results in the window, successes */
	double success_ratio;		/* window_ok / window_len; 1 if empty */
};

void health_get_stats(const struct health_target *t,
		      struct health_stats *stats);

#endif /* XLB_HEALTH_H */
