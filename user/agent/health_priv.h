/* SPDX-License-Identifier: GPL-2.0 */
/* Health checks inside: the target, and the table each checker fills. */
#ifndef XLB_HEALTH_PRIV_H
#define XLB_HEALTH_PRIV_H

#include <netinet/in.h>
#include <sys/socket.h>

#include "agent/health.h"

/*
 * One checker per protocol, as keepalived's check_api. A checker never
 * reports from inside start(): it finishes through hc_probe_done() from a
 * loop callback, or hc_probe_done_soon() for errors known at once.
 */
struct hc_ops {
	const char *name;
	/* Per-target setup and teardown; fini cancels a probe in flight and
	 * closes any held connection. Either may be NULL. */
	int (*init)(struct health_target *t);
	void (*fini)(struct health_target *t);
	/* Begins one probe. NULL: never probe (HC_NONE). */
	void (*start)(struct health_target *t);
};

extern const struct hc_ops hc_tcp_ops;
extern const struct hc_ops hc_http_ops;
extern const struct hc_ops hc_grpc_ops;

/* Why a probe runs. */
enum hc_probe_kind {
	HC_PROBE_REGULAR,	/* on the interval */
	HC_PROBE_CHAIN,		/* re-probe after immediate evidence */
	HC_PROBE_HELD,		/* the held connection closed */
	HC_PROBE_HINT,		/* health_probe_now() (retried SYNs) */
};

/* Successful hint probes, and held-connection probes, allowed between
 * two regular ones (each kind its own budget). */
#define HC_HINT_BUDGET 2

struct hc_sample {
	__u64 latency_ns;
	bool ok;
};

struct health_target {
	struct loop *loop;
	const struct hc_ops *ops;
	struct hc_params p;
	struct sockaddr_storage sa;	/* addr:port, ready for connect() */
	socklen_t salen;
	char name[64];			/* "192.0.2.1:80", "[2001:db8::1]:80" */
	health_change_fn cb;
	void *arg;
	struct hc_fsm fsm;

	/* scheduling */
	uint64_t timer_id;		/* next probe; 0 = none armed */
	enum hc_probe_kind timer_kind;	/* of that probe */
	uint64_t next_due_ns;		/* next regular probe */
	bool probing;
	enum hc_probe_kind probe_kind;	/* of the probe in flight */
	uint64_t probe_start_ns;
	unsigned int hint_ok;		/* successful hint probes since the
					 * last regular one */
	unsigned int held_ok;		/* successful held-connection probes
					 * since the last regular one */
	uint64_t soon_id;		/* hc_probe_done_soon() timer */
	enum hc_result soon_result;
	char soon_reason[HC_REASON_LEN];

	/* results */
	enum hc_result last_result;
	char last_reason[HC_REASON_LEN];
	__u64 last_latency_ns, last_probe_ns;
	__u64 probes, failures, transitions;
	__u64 latency_ewma_ns;
	__u64 downs;
	__u64 results[HC_R_COUNT];	/* probes by outcome */
	__u64 lat_buckets[HC_LATENCY_BUCKETS + 1];
	__u64 lat_sum_ns, lat_count;
	struct hc_sample win[HC_WINDOW];	/* ring, newest at win_head - 1 */
	unsigned int win_head, win_len;

	void *priv;			/* the checker's */
};

/* Ends the probe in flight. reason NULL means health_result_name(r). May
 * free t (the change callback may stop it): touch nothing after. */
void hc_probe_done(struct health_target *t, enum hc_result r,
		   const char *reason);
/* The same from a zero-delay timer, for results known inside start(). */
void hc_probe_done_soon(struct health_target *t, enum hc_result r,
			const char *reason);
/* The held connection closed: probe at once (see health_start()). */
void hc_held_closed(struct health_target *t, const char *why);
/* Maps a connect/recv errno to a result. */
enum hc_result hc_errno_result(int err);

#endif /* XLB_HEALTH_PRIV_H */
