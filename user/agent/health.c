// SPDX-License-Identifier: GPL-2.0
/* Health checks: state machine, probe scheduling, fast paths and stats. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/addr.h"
#include "agent/health_priv.h"
#include "core/log.h"
#include "core/loop.h"

#define NSEC_PER_MSEC 1000000ULL
/* Latency EWMA weight of a new sample: 1/2^EWMA_SHIFT (as TCP's srtt). */
#define EWMA_SHIFT 3
/* A warning is logged when the consecutive failures reach this. */
#define FAIL_WARN 3

static const struct hc_ops hc_none_ops = { .name = "none" };

static const struct hc_ops *const checkers[] = {
	[HC_NONE] = &hc_none_ops,
	[HC_TCP] = &hc_tcp_ops,
	[HC_HTTP] = &hc_http_ops,
	[HC_HTTPS] = &hc_http_ops,
	[HC_GRPC] = &hc_grpc_ops,
};

static const char *const type_names[] = {
	[HC_NONE] = "none",
	[HC_TCP] = "tcp",
	[HC_HTTP] = "http",
	[HC_HTTPS] = "https",
	[HC_GRPC] = "grpc",
};

static const char *const result_names[] = {
	[HC_R_NONE] = "none",
	[HC_R_OK] = "ok",
	[HC_R_REFUSED] = "refused",
	[HC_R_RESET] = "reset",
	[HC_R_CLOSED] = "closed",
	[HC_R_UNREACHABLE] = "unreachable",
	[HC_R_TIMEOUT] = "timeout",
	[HC_R_BAD_STATUS] = "bad status",
	[HC_R_BODY_MISMATCH] = "body mismatch",
	[HC_R_TLS] = "tls error",
	[HC_R_ERROR] = "error",
};

void health_params_init(struct hc_params *p)
{
	memset(p, 0, sizeof(*p));
	p->type = HC_TCP;
	strcpy(p->path, "/");
	p->status_min = 200;
	p->status_max = 399;
	p->tls_verify = true;
	p->interval_ms = 1000;
	p->timeout_ms = 500;
	p->rise = 2;
	p->fall = 3;
}

const char *health_type_name(enum hc_type type)
{
	return (unsigned int)type < sizeof(type_names) / sizeof(type_names[0])
		       ? type_names[type]
		       : "?";
}

int health_type_parse(const char *s, enum hc_type *type)
{
	for (unsigned int i = 0; i < sizeof(type_names) / sizeof(type_names[0]);
	     i++) {
		if (!strcmp(s, type_names[i])) {
			*type = (enum hc_type)i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *health_state_name(enum hc_state state)
{
	return state == HC_UP ? "up" : "down";
}

const char *health_result_name(enum hc_result r)
{
	return (unsigned int)r < sizeof(result_names) / sizeof(result_names[0])
		       ? result_names[r]
		       : "?";
}

bool health_result_is_fast(enum hc_result r)
{
	return r == HC_R_REFUSED || r == HC_R_RESET || r == HC_R_CLOSED ||
	       r == HC_R_UNREACHABLE;
}

enum hc_result hc_errno_result(int err)
{
	switch (err) {
	case ECONNREFUSED:
		return HC_R_REFUSED;
	case ECONNRESET:
	case ECONNABORTED:
	case EPIPE:
		return HC_R_RESET;
	case ENETUNREACH:
	case EHOSTUNREACH:
	case ENETDOWN:
	case EHOSTDOWN:
		return HC_R_UNREACHABLE;
	case ETIMEDOUT:
		return HC_R_TIMEOUT;
	default:
		return HC_R_ERROR;
	}
}

/* State machine */

void health_fsm_init(struct hc_fsm *fsm, enum hc_state initial, __u32 rise,
		     __u32 fall)
{
	*fsm = (struct hc_fsm){
		.state = initial,
		.rise = rise ? rise : 1,
		.fall = fall ? fall : 1,
	};
}

enum hc_transition health_fsm_step(struct hc_fsm *fsm, bool success)
{
	if (success) {
		fsm->fail_run = 0;
		if (fsm->ok_run < UINT32_MAX)
			fsm->ok_run++;
		if (fsm->state == HC_DOWN && fsm->ok_run >= fsm->rise) {
			fsm->state = HC_UP;
			return HC_T_UP;
		}
	} else {
		fsm->ok_run = 0;
		if (fsm->fail_run < UINT32_MAX)
			fsm->fail_run++;
		if (fsm->state == HC_UP && fsm->fail_run >= fsm->fall) {
			fsm->state = HC_DOWN;
			return HC_T_DOWN;
		}
	}
	return HC_T_NONE;
}

/* Scheduling */

static void probe_timer(struct loop *loop, void *arg);

static void arm(struct health_target *t, uint64_t when_ns,
		enum hc_probe_kind kind)
{
	uint64_t now = loop_now_ns();

	if (t->timer_id)
		loop_del_timer(t->loop, t->timer_id);
	t->timer_kind = kind;
	t->timer_id = loop_add_timer(t->loop, when_ns > now ? when_ns - now : 0,
				     probe_timer, t);
	if (!t->timer_id)
		pr_warn("health %s: out of memory arming a probe\n", t->name);
}

static void probe_timer(struct loop *loop, void *arg)
{
	struct health_target *t = arg;
	uint64_t now = loop_now_ns();

	(void)loop;
	t->timer_id = 0;
	if (t->probing)
		return;	/* re-armed when the probe in flight ends */
	t->probe_kind = t->timer_kind;
	if (t->probe_kind == HC_PROBE_REGULAR) {
		/* fixed rate: the next slot counts from this one's, not from
		 * when it ran; after a stall, restart from now */
		t->next_due_ns += t->p.interval_ms * NSEC_PER_MSEC;
		if (t->next_due_ns <= now)
			t->next_due_ns = now + t->p.interval_ms * NSEC_PER_MSEC;
	}
	t->probing = true;
	t->probe_start_ns = now;
	t->ops->start(t);
}

/* A hint probe now, unless one is in flight or the budget of successful
 * ones since the last regular probe is spent (see health_start()). */
static bool probe_hint(struct health_target *t)
{
	if (!t->ops->start || t->probing || t->hint_ok >= HC_HINT_BUDGET)
		return false;
	arm(t, 0, HC_PROBE_HINT);
	return true;
}

void health_probe_now(struct health_target *t)
{
	if (probe_hint(t))
		pr_debug("health %s: probing now\n", t->name);
}

/* The held connection closing is the server's own word: probed at once
 * with a budget of its own, so retried SYNs that spent the hints' budget
 * do not delay it to the next regular probe (a server that closes every
 * connection still gets no more than the budget between two regular
 * probes). A probe in flight sees the same server. */
void hc_held_closed(struct health_target *t, const char *why)
{
	bool now = t->ops->start && !t->probing &&
		   t->held_ok < HC_HINT_BUDGET;

	if (now)
		arm(t, 0, HC_PROBE_HELD);
	pr_debug("health %s: held connection %s, %s\n", t->name, why,
		 now ? "probing now" : "probe pending");
}

const __u32 hc_latency_bounds_us[HC_LATENCY_BUCKETS] = {
	500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000,
	1000000, 2500000, 5000000,
};

/* The histogram's bucket of a latency: the first bound it does not
 * exceed. */
static unsigned int latency_bucket(__u64 latency_ns)
{
	unsigned int i = 0;

	while (i < HC_LATENCY_BUCKETS &&
	       latency_ns > (__u64)hc_latency_bounds_us[i] * 1000)
		i++;
	return i;
}

static void record(struct health_target *t, bool ok, __u64 latency)
{
	t->win[t->win_head] =
		(struct hc_sample){ .latency_ns = latency, .ok = ok };
	t->win_head = (t->win_head + 1) % HC_WINDOW;
	if (t->win_len < HC_WINDOW)
		t->win_len++;
	t->probes++;
	if (!ok) {
		t->failures++;
		return;
	}
	t->lat_buckets[latency_bucket(latency)]++;
	t->lat_sum_ns += latency;
	t->lat_count++;
	if (!t->latency_ewma_ns)
		t->latency_ewma_ns = latency ? latency : 1;
	else
		t->latency_ewma_ns = t->latency_ewma_ns -
				     (t->latency_ewma_ns >> EWMA_SHIFT) +
				     (latency >> EWMA_SHIFT);
}

void hc_probe_done(struct health_target *t, enum hc_result r,
		   const char *reason)
{
	uint64_t now = loop_now_ns();
	__u64 latency = now - t->probe_start_ns;
	bool ok = r == HC_R_OK;
	enum hc_transition tr;

	t->probing = false;
	if (t->probe_kind == HC_PROBE_REGULAR)
		t->hint_ok = t->held_ok = 0;
	else if (t->probe_kind == HC_PROBE_HINT && ok)
		t->hint_ok++;
	else if (t->probe_kind == HC_PROBE_HELD && ok)
		t->held_ok++;
	t->last_result = r;
	snprintf(t->last_reason, sizeof(t->last_reason), "%s",
		 reason ? reason : health_result_name(r));
	t->last_latency_ns = latency;
	t->last_probe_ns = now;
	record(t, ok, latency);
	if ((unsigned int)r < HC_R_COUNT)
		t->results[r]++;
	tr = health_fsm_step(&t->fsm, ok);
	pr_debug("health %s: %s in %llu us, %s\n", t->name, t->last_reason,
		 (unsigned long long)latency / 1000,
		 health_state_name(t->fsm.state));
	if (!ok && t->fsm.fail_run == FAIL_WARN)
		pr_warn("health %s: %u consecutive failures, last %s\n",
			t->name, FAIL_WARN, t->last_reason);

	/* Immediate evidence while up: look again at once, every look
	 * counts, so fall of them take a few round trips. */
	if (!ok && health_result_is_fast(r) && t->fsm.state == HC_UP)
		arm(t, 0, HC_PROBE_CHAIN);
	else
		arm(t, t->next_due_ns, HC_PROBE_REGULAR);

	if (tr != HC_T_NONE) {
		t->transitions++;
		t->downs += tr == HC_T_DOWN;
		if (t->cb)
			t->cb(t->arg, t->fsm.state, t->last_reason, latency);
	}
}

static void soon_timer(struct loop *loop, void *arg)
{
	struct health_target *t = arg;

	(void)loop;
	t->soon_id = 0;
	hc_probe_done(t, t->soon_result, t->soon_reason);
}

void hc_probe_done_soon(struct health_target *t, enum hc_result r,
			const char *reason)
{
	t->soon_result = r;
	snprintf(t->soon_reason, sizeof(t->soon_reason), "%s",
		 reason ? reason : health_result_name(r));
	t->soon_id = loop_add_timer(t->loop, 0, soon_timer, t);
	if (!t->soon_id) {
		/* cannot defer: the next regular probe will retry */
		t->probing = false;
		arm(t, t->next_due_ns, HC_PROBE_REGULAR);
	}
}

/* Targets */

static int set_sockaddr(struct health_target *t, const union xlb_addr *addr,
			__u8 family)
{
	char buf[INET6_ADDRSTRLEN];

	memset(&t->sa, 0, sizeof(t->sa));
	if (family == XLB_FAMILY_V4) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&t->sa;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(t->p.port);
		sin->sin_addr.s_addr = addr->v4;
		t->salen = sizeof(*sin);
		snprintf(t->name, sizeof(t->name), "%s:%u",
			 xlb_addr_str(addr, family, buf, sizeof(buf)),
			 t->p.port);
	} else if (family == XLB_FAMILY_V6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&t->sa;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(t->p.port);
		memcpy(&sin6->sin6_addr, addr->v6, sizeof(sin6->sin6_addr));
		t->salen = sizeof(*sin6);
		snprintf(t->name, sizeof(t->name), "[%s]:%u",
			 xlb_addr_str(addr, family, buf, sizeof(buf)),
			 t->p.port);
	} else {
		return -EINVAL;
	}
	return 0;
}

static bool params_valid(const struct hc_params *p)
{
	if ((unsigned int)p->type >= sizeof(checkers) / sizeof(checkers[0]))
		return false;
	if (p->type == HC_NONE)
		return true;
	if (!p->port || !p->interval_ms || !p->timeout_ms || !p->rise ||
	    !p->fall)
		return false;
	if (p->type == HC_HTTP || p->type == HC_HTTPS) {
		if (p->path[0] != '/' || p->status_min > p->status_max ||
		    !memchr(p->path, 0, sizeof(p->path)) ||
		    !memchr(p->host, 0, sizeof(p->host)) ||
		    !memchr(p->body, 0, sizeof(p->body)))
			return false;
	}
	if (p->type == HC_GRPC && (!memchr(p->host, 0, sizeof(p->host)) ||
				   !memchr(p->service, 0, sizeof(p->service))))
		return false;
	return true;
}

struct health_target *health_start(struct loop *loop,
				   const struct hc_params *params,
				   const union xlb_addr *addr, __u8 family,
				   health_change_fn cb, void *arg)
{
	struct health_target *t;
	int err;

	if (!loop || !params || !addr || !params_valid(params)) {
		errno = EINVAL;
		return NULL;
	}
	t = calloc(1, sizeof(*t));
	if (!t) {
		errno = ENOMEM;
		return NULL;
	}
	t->loop = loop;
	t->p = *params;
	t->ops = checkers[params->type];
	t->cb = cb;
	t->arg = arg;
	strcpy(t->last_reason, health_result_name(HC_R_NONE));
	health_fsm_init(&t->fsm, params->init_down ? HC_DOWN : HC_UP,
			params->rise, params->fall);
	err = set_sockaddr(t, addr, family);
	if (!err && t->ops->init)
		err = t->ops->init(t);
	if (err) {
		free(t);
		errno = -err;
		return NULL;
	}
	if (t->ops->start) {
		t->next_due_ns = loop_now_ns();
		arm(t, t->next_due_ns, HC_PROBE_REGULAR);
		if (!t->timer_id) {
			health_stop(t);
			errno = ENOMEM;
			return NULL;
		}
	}
	return t;
}

void health_stop(struct health_target *t)
{
	if (!t)
		return;
	if (t->timer_id)
		loop_del_timer(t->loop, t->timer_id);
	if (t->soon_id)
		loop_del_timer(t->loop, t->soon_id);
	if (t->ops->fini)
		t->ops->fini(t);
	free(t);
}

/* Stats */

static void sort_u64(__u64 *a, unsigned int n)
{
	for (unsigned int i = 1; i < n; i++) {
		__u64 v = a[i];
		unsigned int j = i;

		for (; j && a[j - 1] > v; j--)
			a[j] = a[j - 1];
		a[j] = v;
	}
}

/* Nearest rank: the smallest value with at least pct% of samples <= it. */
static __u64 percentile(const __u64 *sorted, unsigned int n, unsigned int pct)
{
	unsigned int rank = (n * pct + 99) / 100;

	return n ? sorted[rank ? rank - 1 : 0] : 0;
}

void health_get_stats(const struct health_target *t, struct health_stats *s)
{
	__u64 lat[HC_WINDOW];
	unsigned int n = 0;

	memset(s, 0, sizeof(*s));
	s->state = t->fsm.state;
	s->last_result = t->last_result;
	snprintf(s->last_reason, sizeof(s->last_reason), "%s", t->last_reason);
	s->last_latency_ns = t->last_latency_ns;
	s->last_probe_ns = t->last_probe_ns;
	s->consec_ok = t->fsm.ok_run;
	s->consec_fail = t->fsm.fail_run;
	s->probes = t->probes;
	s->failures = t->failures;
	s->transitions = t->transitions;
	s->downs = t->downs;
	memcpy(s->results, t->results, sizeof(s->results));
	memcpy(s->latency_buckets, t->lat_buckets, sizeof(s->latency_buckets));
	s->latency_sum_ns = t->lat_sum_ns;
	s->latency_count = t->lat_count;
	s->latency_ewma_ns = t->latency_ewma_ns;
	for (unsigned int i = 0; i < t->win_len; i++) {
		const struct hc_sample *sm = &t->win[i];

		if (sm->ok)
			lat[n++] = sm->latency_ns;
	}
	sort_u64(lat, n);
	s->latency_p50_ns = percentile(lat, n, 50);
	s->latency_p99_ns = percentile(lat, n, 99);
	s->window_len = t->win_len;
	s->window_ok = n;
	s->success_ratio = t->win_len ? (double)n / t->win_len : 1.0;
}
