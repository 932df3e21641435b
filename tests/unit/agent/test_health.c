// SPDX-License-Identifier: GPL-2.0
/* Health checks against real servers (health_servers.h), in the same
 * event loop or a child. What every checker does is one test, run once per
 * checker (tcp, http, grpc; https and grpc over TLS): "behaviour/checker"
 * in the output. What one protocol alone does follows. The state machine:
 * test_health_fsm.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "agent/health.h"
#include "core/log.h"
#include "core/loop.h"
#include "health_servers.h"

/* Parameters, and the checker that never probes */

static void test_params(void **state)
{
	union xlb_addr a = { .v4 = htonl(INADDR_LOOPBACK) };
	struct loop *loop = loop_new();
	struct hc_params p;
	enum hc_type type;
	struct health_target *t;
	struct health_stats s;

	(void)state;
	health_params_init(&p);
	assert_int_equal(p.rise, 2);
	assert_int_equal(p.fall, 3);
	assert_int_equal(p.interval_ms, 1000);
	assert_int_equal(p.timeout_ms, 500);
	assert_string_equal(p.path, "/");
	assert_true(p.tls_verify);
	assert_int_equal(health_type_parse("https", &type), 0);
	assert_int_equal(type, HC_HTTPS);
	assert_int_equal(health_type_parse("grpc", &type), 0);
	assert_int_equal(type, HC_GRPC);
	assert_int_equal(health_type_parse("icmp", &type), -EINVAL);
	assert_string_equal(health_type_name(HC_NONE), "none");
	assert_string_equal(health_type_name(HC_GRPC), "grpc");

	/* port 0, rise 0, a path without its slash: refused */
	errno = 0;
	assert_null(health_start(loop, &p, &a, XLB_FAMILY_V4, NULL, NULL));
	assert_int_equal(errno, EINVAL);
	p.port = 80;
	p.rise = 0;
	assert_null(health_start(loop, &p, &a, XLB_FAMILY_V4, NULL, NULL));
	p.rise = 2;
	p.type = HC_HTTP;
	strcpy(p.path, "health");
	assert_null(health_start(loop, &p, &a, XLB_FAMILY_V4, NULL, NULL));
	assert_null(health_start(loop, &p, &a, 0, NULL, NULL));

	/* none: up, never probes */
	p.type = HC_NONE;
	t = health_start(loop, &p, &a, XLB_FAMILY_V4, NULL, NULL);
	assert_non_null(t);
	health_get_stats(t, &s);
	assert_int_equal(s.state, HC_UP);
	assert_int_equal(s.last_result, HC_R_NONE);
	assert_true(s.success_ratio == 1.0);
	health_stop(t);
	health_stop(NULL);
	loop_free(loop);
}

/* Behaviours of every checker: each test runs once per checker that has
 * the behaviour, with a struct hc_test as its state. */

/* A backend that answers: up, no change, every statistic of a success. */
static void test_up(void **state)
{
	struct hc_test *x = *state;
	struct health_stats s;

	backend_start(&x->b, x->c, hc_loop(x), ANSWER_OK);
	hc_params(x, 20, 500);
	if (x->c->srv == SRV_HTTP) {
		strcpy(x->p.path, "/healthz?full=1");
		strcpy(x->p.host, "backend.example");
		strcpy(x->p.body, "all good");
	}
	hc_start(x, false);
	assert_true(wait_probes(x->loop, x->t, 5, x->c->wait_ms));
	s = hc_stats(x);
	assert_int_equal(s.state, HC_UP);
	assert_int_equal(x->ch.n, 0);
	assert_int_equal(s.last_result, HC_R_OK);
	assert_string_equal(s.last_reason, "ok");
	assert_int_equal(s.consec_fail, 0);
	assert_true(s.consec_ok >= 5);
	assert_int_equal(s.failures, 0);
	assert_true(s.latency_ewma_ns > 0);
	assert_true(s.latency_p50_ns > 0);
	assert_true(s.latency_p50_ns <= s.latency_p99_ns);
	assert_int_equal(s.window_len, s.probes);
	assert_int_equal(s.window_ok, s.probes);
	assert_true(s.success_ratio == 1.0);
	if (x->c->srv == SRV_TCP) {
		/* each probe's connection replaces the one held before */
		assert_true(x->b.srv.accepts >= 5);
		assert_true(srv_open_conns(&x->b.srv) <= 2);
	} else if (x->c->srv == SRV_HTTP) {
		assert_string_equal(x->b.srv.last_path, "/healthz?full=1");
		assert_true(!strncmp(x->b.srv.last_host, "backend.example",
				     15));
		/* one kept-alive connection served every probe */
		assert_int_equal(x->b.srv.accepts, 1);
		assert_true(x->b.srv.requests >= 5);
	}
}

/* To [::1]; HTTP's Host header is the address in brackets, or the name
 * given. */
static void test_v6(void **state)
{
	struct hc_test *x = *state;
	struct srv *srv = &x->b.srv;
	struct health_stats s;

	if (!srv_start(srv, hc_loop(x), x->c->srv == SRV_HTTP, true))
		skip();
	x->b.port = srv->port;
	hc_params(x, 20, 500);
	hc_start(x, true);
	assert_true(wait_probes(x->loop, x->t, 2, 2000));
	s = hc_stats(x);
	assert_int_equal(s.last_result, HC_R_OK);
	assert_string_equal(s.last_reason, "ok");
	assert_int_equal(s.state, HC_UP);
	assert_int_equal(x->ch.n, 0);
	if (x->c->srv != SRV_HTTP)
		return;
	assert_true(!strncmp(srv->last_host, "[::1]", 5));
	strcpy(x->p.host, "v6.example");
	hc_start(x, true);
	assert_true(wait_probes(x->loop, x->t, 2, 2000));
	s = hc_stats(x);
	assert_string_equal(s.last_reason, "ok");
	assert_true(!strncmp(srv->last_host, "v6.example", 10));
	assert_int_equal(x->ch.n, 0);
}

/* A closed port while up: three refusals back to back, not three
 * intervals; then nothing more until the next interval. */
static void test_refused_fast(void **state)
{
	struct hc_test *x = *state;
	struct health_stats s;

	backend_start(&x->b, x->c, hc_loop(x), ANSWER_REFUSED);
	hc_params(x, 10000, 500);
	hc_start(x, false);
	assert_true(wait_changes(x->loop, &x->ch, 1, 2000));
	assert_int_equal(x->ch.state[0], HC_DOWN);
	assert_string_equal(x->ch.reason[0], "refused");
	run_for(x->loop, 50);
	s = hc_stats(x);
	assert_int_equal(s.probes, 3);
	assert_int_equal(s.consec_fail, 3);
	assert_int_equal(s.last_result, HC_R_REFUSED);
	assert_true(s.success_ratio == 0.0);
	assert_int_equal(s.latency_ewma_ns, 0);	/* successes only */
}

/* Refused, then the port listens: up again after rise successes. */
static void test_recover(void **state)
{
	struct hc_test *x = *state;
	struct health_stats s;

	backend_start(&x->b, x->c, hc_loop(x), ANSWER_REFUSED);
	hc_params(x, 20, 500)->rise = 3;
	hc_start(x, false);
	assert_true(wait_changes(x->loop, &x->ch, 1, 2000));
	assert_int_equal(x->ch.state[0], HC_DOWN);
	srv_init(&x->b.srv, x->loop, x->c->srv == SRV_HTTP);
	srv_listen_fd(&x->b.srv, x->b.fd);
	x->b.fd = -1;	/* the server's now */
	assert_true(wait_changes(x->loop, &x->ch, 2, 2000));
	assert_int_equal(x->ch.state[1], HC_UP);
	assert_string_equal(x->ch.reason[1], "ok");
	s = hc_stats(x);
	assert_int_equal(s.consec_ok, 3);
	assert_int_equal(s.transitions, 2);
}

/* Starting down: up after rise probes. */
static void test_init_down(void **state)
{
	struct hc_test *x = *state;

	backend_start(&x->b, x->c, hc_loop(x), ANSWER_OK);
	hc_params(x, 20, 500)->init_down = true;
	hc_start(x, false);
	assert_true(wait_changes(x->loop, &x->ch, 1, x->c->wait_ms));
	assert_int_equal(x->ch.state[0], HC_UP);
	assert_int_equal(probes_of(x->t), 2);	/* rise */
}

/* A blackholed port: each probe times out, one interval apart. */
static void test_timeout(void **state)
{
	struct hc_test *x = *state;
	struct health_stats s;

	backend_start(&x->b, x->c, hc_loop(x), ANSWER_BLACKHOLE);
	hc_params(x, 20, 30)->fall = 2;
	hc_start(x, false);
	assert_true(wait_changes(x->loop, &x->ch, 1, 2000));
	assert_int_equal(x->ch.state[0], HC_DOWN);
	assert_string_equal(x->ch.reason[0], "timeout");
	s = hc_stats(x);
	assert_int_equal(s.probes, 2);
	assert_int_equal(s.last_result, HC_R_TIMEOUT);
	assert_true(s.last_latency_ns >= 30 * MS);
}

/* The fast path: the server dies, the held connection closes, three
 * refusals follow at once: down long before the 10 s interval. A hint
 * probe just before does not mute it. */
static void kill_fast(struct hc_test *x, bool hint)
{
	__u64 held = hint ? 2 : 1;
	struct health_stats s;
	uint64_t t0;

	backend_start(&x->b, x->c, hc_loop(x), ANSWER_OK);
	hc_params(x, 10000, 1000);
	hc_start(x, false);
	assert_true(wait_probes(x->loop, x->t, 1, 2000));
	if (hint) {
		health_probe_now(x->t);
		assert_true(wait_probes(x->loop, x->t, 2, 2000));
	}
	/* the server accepts the held connection */
	run_for(x->loop, 20);
	assert_int_equal(probes_of(x->t), held);
	assert_int_equal(srv_open_conns(&x->b.srv), 1);
	t0 = loop_now_ns();
	backend_kill(&x->b);
	assert_true(wait_changes(x->loop, &x->ch, 1, 2000));
	printf("kill_fast%s/%s: down %.2f ms after the kill (interval 10 s)\n",
	       hint ? "_after_hint" : "", x->c->name,
	       (loop_now_ns() - t0) / 1e6);
	assert_int_equal(x->ch.state[0], HC_DOWN);
	assert_string_equal(x->ch.reason[0], "refused");
	s = hc_stats(x);
	assert_int_equal(s.probes, held + 3);	/* ok, then fall refused */
	assert_int_equal(s.failures, 3);
}

static void test_kill_fast(void **state)
{
	kill_fast(*state, false);
}

static void test_kill_fast_after_hint(void **state)
{
	kill_fast(*state, true);
}

/* The same with a real process killed by SIGKILL; nothing on the idle
 * held connection wakes the checker before. */
static void test_kill_process(void **state)
{
	struct hc_test *x = *state;
	struct health_stats s;
	uint64_t t0;

	backend_fork(&x->b, x->c);
	hc_params(x, 10000, 1000);
	hc_start(x, false);
	assert_true(wait_probes(x->loop, x->t, 1, x->c->wait_ms));
	run_for(x->loop, 200);
	assert_int_equal(probes_of(x->t), 1);
	assert_int_equal(x->ch.n, 0);
	t0 = loop_now_ns();
	backend_kill(&x->b);
	assert_true(wait_changes(x->loop, &x->ch, 1, 2000));
	printf("kill_process/%s: down %.2f ms after the kill (interval 10 s)\n",
	       x->c->name, (loop_now_ns() - t0) / 1e6);
	assert_int_equal(x->ch.state[0], HC_DOWN);
	assert_string_equal(x->ch.reason[0], "refused");
	s = hc_stats(x);
	assert_int_equal(s.probes, 4);
	assert_int_equal(s.failures, 3);
}

/* Hints: each probes at once, until two successful hint probes; a third
 * waits for the next regular probe. */
static void hints(struct hc_test *x)
{
	hc_params(x, 10000, 1000);
	hc_start(x, false);
	assert_true(wait_probes(x->loop, x->t, 1, x->c->wait_ms));
	health_probe_now(x->t);
	assert_true(wait_probes(x->loop, x->t, 2, x->c->wait_ms));
	health_probe_now(x->t);
	assert_true(wait_probes(x->loop, x->t, 3, x->c->wait_ms));
	health_probe_now(x->t);	/* over the hints' budget: no probe */
	run_for(x->loop, 50);
	assert_int_equal(probes_of(x->t), 3);
}

static void test_probe_now(void **state)
{
	struct hc_test *x = *state;

	backend_start(&x->b, x->c, hc_loop(x), ANSWER_OK);
	hints(x);
}

/* Retried SYNs spent the hints' budget just before the server died: the
 * held connection's close is still probed at once (it has a budget of
 * its own), not at the next regular probe 10 s away. */
static void test_held_close_after_hints(void **state)
{
	struct hc_test *x = *state;
	uint64_t t0;

	backend_fork(&x->b, x->c);
	hints(x);
	t0 = loop_now_ns();
	backend_kill(&x->b);
	assert_true(wait_changes(x->loop, &x->ch, 1, 2000));
	printf("held_close_after_hints/%s: down %.2f ms after the kill "
	       "(interval 10 s, hint budget spent)\n", x->c->name,
	       (loop_now_ns() - t0) / 1e6);
	assert_int_equal(x->ch.state[0], HC_DOWN);
	assert_int_equal(probes_of(x->t), 6);	/* 3 ok, fall refused */
}

/* A backend answering badly (not a connection-level failure: one
 * interval between two failures), then well again. */
static void test_bad_answer(void **state)
{
	struct hc_test *x = *state;
	struct health_stats s;

	backend_start(&x->b, x->c, hc_loop(x), ANSWER_BAD);
	hc_params(x, 20, 500)->fall = 2;
	hc_start(x, false);
	assert_true(wait_changes(x->loop, &x->ch, 1, x->c->wait_ms));
	assert_int_equal(x->ch.state[0], HC_DOWN);
	assert_string_equal(x->ch.reason[0], x->c->bad);
	s = hc_stats(x);
	assert_int_equal(s.last_result, HC_R_BAD_STATUS);
	assert_int_equal(s.probes, 2);
	/* back to a good answer: up after rise */
	backend_answer(&x->b, true);
	assert_true(wait_changes(x->loop, &x->ch, 2, x->c->wait_ms));
	assert_int_equal(x->ch.state[1], HC_UP);
}

/* The callback stops its own target, the last of its kind (for HTTP and
 * gRPC, of its transfer context), on a bad answer (ASan watches). */
static void test_stop_in_callback(void **state)
{
	struct hc_test *x = *state;

	backend_start(&x->b, x->c, hc_loop(x), ANSWER_BAD);
	hc_params(x, 10000, 500)->fall = 1;
	hc_start(x, false);
	x->ch.stop_self = x->t;
	x->ch.stopped = &x->t;
	assert_true(wait_changes(x->loop, &x->ch, 1, x->c->wait_ms));
	assert_null(x->t);
	assert_string_equal(x->ch.reason[0], x->c->bad);
	run_for(x->loop, 20);
	assert_int_equal(x->ch.n, 1);
}

/* Stopping with a probe in flight (ASan watches). */
static void test_stop_in_flight(void **state)
{
	struct hc_test *x = *state;

	backend_start(&x->b, x->c, hc_loop(x), ANSWER_SILENT);
	hc_params(x, 1000, 1000);
	hc_start(x, false);
	run_for(x->loop, 30);
	assert_int_equal(probes_of(x->t), 0);
	if (x->c->srv != SRV_TCP)	/* connected, request sent */
		assert_int_equal(x->b.srv.accepts, 1);
	if (x->c->srv == SRV_HTTP)
		assert_int_equal(x->b.srv.requests, 1);
	health_stop(x->t);
	x->t = NULL;
	run_for(x->loop, 20);
	assert_int_equal(x->ch.n, 0);
}

/* Over TLS: up without verification; verifying a self-signed certificate
 * fails. */
static void test_tls(void **state)
{
	struct hc_test *x = *state;
	struct health_stats s;

	backend_start_tls(&x->b, x->c);
	hc_params(x, 50, 2000)->tls_verify = false;
	hc_start(x, false);
	assert_true(wait_probes(x->loop, x->t, 3, 5000));
	s = hc_stats(x);
	assert_string_equal(s.last_reason, "ok");
	assert_int_equal(s.failures, 0);
	assert_int_equal(x->ch.n, 0);

	if (x->c->srv == SRV_GRPC) {
		/* a service's status over TLS */
		strcpy(x->p.service, "db");
		x->p.fall = 2;
		hc_start(x, false);
		assert_true(wait_changes(x->loop, &x->ch, 1, 5000));
		assert_string_equal(x->ch.reason[0], "grpc NOT_SERVING");
		x->p.service[0] = '\0';
	}

	x->p.tls_verify = true;
	strcpy(x->p.host, "localhost");
	x->p.fall = 1;
	hc_start(x, false);
	assert_true(wait_changes(x->loop, &x->ch, 1, 5000));
	assert_int_equal(x->ch.state[0], HC_DOWN);
	assert_true(!strncmp(x->ch.reason[0], "tls", 3));
	s = hc_stats(x);
	assert_int_equal(s.last_result, HC_R_TLS);
}

/* TCP alone */

/* A server that sends a banner, and one that closes every connection at
 * once: no false alarm and no probe storm, at most two hint probes per
 * regular one. */
static void test_tcp_banner_and_closer(void **state)
{
	struct loop *loop = loop_new();
	struct changes ch = { 0 };
	struct health_target *t1, *t2;
	struct health_stats s;
	struct hc_params p;
	struct srv banner, closer;

	(void)state;
	assert_true(srv_start(&banner, loop, false, false));
	banner.banner = "220 hello\r\n";
	assert_true(srv_start(&closer, loop, false, false));
	closer.close_on_accept = true;
	params(&p, HC_TCP, banner.port, 50, 500);
	t1 = start(loop, &p, false, &ch);
	p.port = closer.port;
	t2 = start(loop, &p, false, &ch);
	run_for(loop, 500);
	assert_int_equal(ch.n, 0);
	health_get_stats(t1, &s);
	assert_int_equal(s.state, HC_UP);
	assert_true(s.probes >= 5 && s.probes <= 12);
	health_get_stats(t2, &s);
	assert_int_equal(s.state, HC_UP);
	assert_int_equal(s.failures, 0);
	assert_true(s.probes >= 5 && s.probes <= 36);
	health_stop(t1);
	health_stop(t2);
	srv_kill(&banner);
	srv_kill(&closer);
	loop_free(loop);
}

/* HTTP alone */

/* Statuses in status_min..status_max are healthy: 503 with a range up
 * to 503. */
static void test_http_status_range(void **state)
{
	struct hc_test *x = *state;

	backend_start(&x->b, x->c, hc_loop(x), ANSWER_OK);
	x->b.srv.status = 503;
	hc_params(x, 20, 500)->fall = 2;
	x->p.status_max = 503;
	hc_start(x, false);
	assert_true(wait_probes(x->loop, x->t, 3, 2000));
	assert_int_equal(x->ch.n, 0);
}

static void test_http_body_mismatch(void **state)
{
	struct hc_test *x = *state;

	backend_start(&x->b, x->c, hc_loop(x), ANSWER_OK);
	strcpy(x->b.srv.body, "status: degraded");
	hc_params(x, 20, 500)->fall = 2;
	strcpy(x->p.body, "status: ok");
	hc_start(x, false);
	assert_true(wait_changes(x->loop, &x->ch, 1, 2000));
	assert_int_equal(x->ch.state[0], HC_DOWN);
	assert_string_equal(x->ch.reason[0], "body mismatch");
}

/* The wanted substring straddles two writes 20 ms apart. */
static void test_http_body_split(void **state)
{
	struct hc_test *x = *state;
	struct health_stats s;

	backend_start(&x->b, x->c, hc_loop(x), ANSWER_OK);
	strcpy(x->b.srv.body,
	       "xxxxxxxxxxxxxxxxxxxxSERVING-OK-yyyyyyyyyyyyyyyyy");
	x->b.srv.split = true;
	hc_params(x, 100, 500);
	strcpy(x->p.body, "SERVING-OK");
	hc_start(x, false);
	assert_true(wait_probes(x->loop, x->t, 2, 2000));
	s = hc_stats(x);
	assert_int_equal(s.failures, 0);
	assert_true(s.last_latency_ns >= 20 * MS);
}

static void test_http_slow_and_silent(void **state)
{
	struct loop *loop = loop_new();
	struct changes ch1 = { 0 }, ch2 = { 0 };
	struct health_target *t1, *t2;
	struct health_stats s;
	struct hc_params p;
	struct srv slow, silent;

	(void)state;
	assert_true(srv_start(&slow, loop, true, false));
	slow.delay_ms = 300;
	assert_true(srv_start(&silent, loop, true, false));
	silent.silent = true;
	params(&p, HC_HTTP, slow.port, 20, 50);
	p.fall = 2;
	t1 = start(loop, &p, false, &ch1);
	p.port = silent.port;
	t2 = start(loop, &p, false, &ch2);
	assert_true(wait_changes(loop, &ch1, 1, 2000));
	assert_true(wait_changes(loop, &ch2, 1, 2000));
	assert_string_equal(ch1.reason[0], "timeout");
	assert_string_equal(ch2.reason[0], "timeout");
	health_get_stats(t1, &s);
	assert_int_equal(s.last_result, HC_R_TIMEOUT);
	assert_true(s.last_latency_ns >= 50 * MS);
	assert_true(s.last_latency_ns < 300 * MS);
	health_stop(t1);
	health_stop(t2);
	srv_kill(&slow);
	srv_kill(&silent);
	loop_free(loop);
}

/* Stats over a mix: 4 successes, then 2 bad statuses. */
static void test_http_stats_window(void **state)
{
	struct hc_test *x = *state;
	struct health_stats s;

	backend_start(&x->b, x->c, hc_loop(x), ANSWER_OK);
	hc_params(x, 20, 500);
	hc_start(x, false);
	assert_true(wait_probes(x->loop, x->t, 4, 2000));
	x->b.srv.status = 404;
	assert_true(wait_probes(x->loop, x->t, 6, 2000));
	s = hc_stats(x);
	assert_int_equal(s.probes, 6);
	assert_int_equal(s.window_len, 6);
	assert_int_equal(s.window_ok, 4);
	assert_true(s.success_ratio > 0.66 && s.success_ratio < 0.67);
	assert_int_equal(s.consec_fail, 2);
	assert_int_equal(s.consec_ok, 0);
	assert_int_equal(s.state, HC_UP);
	assert_string_equal(s.last_reason, "bad status 404");
	assert_true(s.latency_p50_ns <= s.latency_p99_ns);
}

#define N_MANY 50

static bool evens_closed(void *arg)
{
	struct srv *srv = arg;

	for (int i = 0; i < N_MANY; i += 2)
		if (srv_open_conns(&srv[i]))
			return false;
	return true;
}

/* Many targets over several multi handles, each against its own server:
 * each keeps one connection alive, and closes it when stopped. */
static void test_http_many(void **state)
{
	struct loop *loop = loop_new();
	struct changes ch = { 0 };
	struct health_target *t[N_MANY];
	static struct srv srv[N_MANY];
	unsigned int accepts = 0, requests = 0;
	struct hc_params p;

	(void)state;
	for (int i = 0; i < N_MANY; i++) {
		assert_true(srv_start(&srv[i], loop, true, false));
		params(&p, HC_HTTP, srv[i].port, 50, 1000);
		t[i] = start(loop, &p, false, &ch);
	}
	for (int i = 0; i < N_MANY; i++)
		assert_true(wait_probes(loop, t[i], 3, 3000));
	assert_int_equal(ch.n, 0);
	for (int i = 0; i < N_MANY; i++) {
		accepts += srv[i].accepts;
		requests += srv[i].requests;
	}
	assert_true(requests >= 3 * N_MANY);
	assert_true(accepts < requests / 2);
	/* stop half, the rest keep going */
	for (int i = 0; i < N_MANY; i += 2)
		health_stop(t[i]);
	assert_true(run_until(loop, 2000, evens_closed, srv));
	assert_true(wait_probes(loop, t[1], probes_of(t[1]) + 2, 2000));
	for (int i = 1; i < N_MANY; i += 2)
		health_stop(t[i]);
	for (int i = 0; i < N_MANY; i++)
		srv_kill(&srv[i]);
	loop_free(loop);
}

/* gRPC alone */

/* Each answer a server can give, and a service's status flipping. */
static void test_grpc_statuses(void **state)
{
	static const char *const statuses[] = {
		"=SERVING",	 "api=SERVING", "db=NOT_SERVING",
		"old=UNKNOWN", "w=SERVICE_UNKNOWN", NULL,
	};
	static const struct {
		const char *service;
		const char *reason;	/* NULL: stays up */
	} cases[] = {
		{ "", NULL },
		{ "api", NULL },
		{ "db", "grpc NOT_SERVING" },
		{ "nosuch", "grpc status 5 (NOT_FOUND)" },
		{ "old", "grpc UNKNOWN" },
		{ "w", "grpc SERVICE_UNKNOWN" },
	};
#define N_GRPC_CASES (sizeof(cases) / sizeof(cases[0]))
	struct changes ch[N_GRPC_CASES] = { 0 };
	struct health_target *t[N_GRPC_CASES];
	struct grpc_srv g;
	struct health_stats s;
	struct hc_params p;
	struct loop *loop;

	(void)state;
	grpc_srv_start(&g, NULL, NULL, statuses);
	loop = loop_new();
	for (size_t i = 0; i < N_GRPC_CASES; i++) {
		grpc_params(&p, g.port, cases[i].service, 20, 1000);
		p.fall = 2;
		t[i] = start(loop, &p, false, &ch[i]);
	}
	for (size_t i = 0; i < N_GRPC_CASES; i++) {
		if (cases[i].reason)
			assert_true(wait_changes(loop, &ch[i], 1, 5000));
		else
			assert_true(wait_probes(loop, t[i], 5, 5000));
	}
	for (size_t i = 0; i < N_GRPC_CASES; i++) {
		health_get_stats(t[i], &s);
		if (!cases[i].reason) {
			assert_int_equal(ch[i].n, 0);
			assert_int_equal(s.state, HC_UP);
			assert_int_equal(s.failures, 0);
			assert_string_equal(s.last_reason, "ok");
			assert_true(s.latency_p50_ns > 0);
			continue;
		}
		assert_int_equal(ch[i].n, 1);
		assert_int_equal(ch[i].state[0], HC_DOWN);
		assert_string_equal(ch[i].reason[0], cases[i].reason);
		assert_int_equal(s.last_result, HC_R_BAD_STATUS);
		assert_int_equal(s.failures, s.probes);
	}

	/* db recovers, api goes down, the whole server stays up */
	grpc_srv_set(&g, "db=SERVING");
	grpc_srv_set(&g, "api=NOT_SERVING");
	assert_true(wait_changes(loop, &ch[2], 2, 5000));
	assert_int_equal(ch[2].state[1], HC_UP);
	assert_string_equal(ch[2].reason[1], "ok");
	assert_true(wait_changes(loop, &ch[1], 1, 5000));
	assert_string_equal(ch[1].reason[0], "grpc NOT_SERVING");
	assert_int_equal(ch[0].n, 0);
	for (size_t i = 0; i < N_GRPC_CASES; i++)
		health_stop(t[i]);
	loop_free(loop);
	grpc_srv_kill(&g);
#undef N_GRPC_CASES
}

/* The server process dies: the held HTTP/2 connection closes, and the
 * refusals that follow take the backend down long before the interval. */

/* Not a gRPC server: an HTTP/1.1 one. (A closed port: refused_fast.) */
static void test_grpc_wrong_server(void **state)
{
	struct hc_test *x = *state;

	assert_true(srv_start(&x->b.srv, hc_loop(x), true, false));
	x->b.port = x->b.srv.port;
	hc_params(x, 20, 500)->fall = 1;
	hc_start(x, false);
	assert_true(wait_changes(x->loop, &x->ch, 1, 2000));
	assert_int_equal(x->ch.state[0], HC_DOWN);
	assert_true(hc_stats(x).last_result != HC_R_OK);
}

/* Each behaviour above, for the checkers that have it. */
#define CHECKERS(...) ((const struct checker *const[]){ __VA_ARGS__, NULL })

static const struct {
	const char *name;
	CMUnitTestFunction fn;
	const struct checker *const *checkers;
} behaviours[] = {
	{ "up", test_up, CHECKERS(&tcp, &http, &grpc) },
	{ "v6", test_v6, CHECKERS(&tcp, &http) },
	{ "refused_fast", test_refused_fast, CHECKERS(&tcp, &http, &grpc) },
	{ "recover", test_recover, CHECKERS(&tcp, &http) },
	{ "init_down", test_init_down, CHECKERS(&tcp, &http, &grpc) },
	{ "timeout", test_timeout, CHECKERS(&tcp, &http, &grpc) },
	{ "kill_fast", test_kill_fast, CHECKERS(&tcp, &http) },
	{ "kill_fast_after_hint", test_kill_fast_after_hint,
	  CHECKERS(&tcp, &http) },
	{ "kill_process", test_kill_process, CHECKERS(&tcp, &http, &grpc) },
	{ "probe_now", test_probe_now, CHECKERS(&tcp, &http, &grpc) },
	{ "held_close_after_hints", test_held_close_after_hints,
	  CHECKERS(&tcp, &http, &grpc) },
	{ "bad_answer", test_bad_answer, CHECKERS(&http, &grpc) },
	{ "stop_in_callback", test_stop_in_callback,
	  CHECKERS(&tcp, &http, &grpc) },
	{ "stop_in_flight", test_stop_in_flight, CHECKERS(&tcp, &http, &grpc) },
	{ "tls", test_tls, CHECKERS(&https, &grpcs) },
};

/* A test with the hc_test fixture for one checker. */
#define HC_TEST(f, checker)                                                    \
	cmocka_unit_test_prestate_setup_teardown(f, hc_setup, hc_teardown,     \
						 (void *)&(checker))

#define N_BEHAVIOURS (sizeof(behaviours) / sizeof(behaviours[0]))
#define MAX_TESTS 96

int main(void)
{
	static const struct CMUnitTest singles[] = {
		cmocka_unit_test(test_params),
		cmocka_unit_test(test_tcp_banner_and_closer),
		HC_TEST(test_http_status_range, http),
		HC_TEST(test_http_body_mismatch, http),
		HC_TEST(test_http_body_split, http),
		cmocka_unit_test(test_http_slow_and_silent),
		HC_TEST(test_http_stats_window, http),
		cmocka_unit_test(test_http_many),
		cmocka_unit_test(test_grpc_statuses),
		HC_TEST(test_grpc_wrong_server, grpc),
	};
	static struct CMUnitTest tests[MAX_TESTS];
	static char names[MAX_TESTS][48];
	size_t n = 0;

	for (size_t i = 0; i < sizeof(singles) / sizeof(singles[0]); i++)
		tests[n++] = singles[i];
	/* "behaviour/checker", the checker as the initial state */
	for (size_t i = 0; i < N_BEHAVIOURS; i++) {
		for (const struct checker *const *c = behaviours[i].checkers;
		     *c; c++) {
			assert_true(n < MAX_TESTS);
			snprintf(names[n], sizeof(names[n]), "%s/%s",
				 behaviours[i].name, (*c)->name);
			tests[n] = (struct CMUnitTest){
				.name = names[n],
				.test_func = behaviours[i].fn,
				.setup_func = hc_setup,
				.teardown_func = hc_teardown,
				.initial_state = (void *)*c,
			};
			n++;
		}
	}

	signal(SIGPIPE, SIG_IGN);
	if (getenv("XLB_DEBUG"))
		log_level = LOG_LVL_DEBUG;
	return _cmocka_run_group_tests("health", tests, n, NULL, NULL);
}
