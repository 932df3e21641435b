// SPDX-License-Identifier: GPL-2.0
/* Health checks: the rise/fall state machine, and each checker against
 * real servers on 127.0.0.1 run in the same event loop (or a child). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "agent/health.h"
#include "core/log.h"
#include "core/loop.h"

#define MS 1000000ULL

/* State machine: table */

struct fsm_case {
	const char *desc;
	enum hc_state init;
	__u32 rise, fall;
	const char *results;	/* s = success, f = failure */
	const char *states;	/* U or D after each result */
	const char *trans;	/* . none, u to up, d to down */
};

static const struct fsm_case fsm_cases[] = {
	{ "up stays up on successes", HC_UP, 2, 3, "ssss", "UUUU", "...." },
	{ "fall 3: third failure downs", HC_UP, 2, 3, "fff", "UUD", "..d" },
	{ "fall 3: a success resets the run", HC_UP, 2, 3, "ffsfff",
	  "UUUUUD", ".....d" },
	{ "fall 3: alternating never downs", HC_UP, 2, 3, "fsfsfsfs",
	  "UUUUUUUU", "........" },
	{ "down: failures keep it down", HC_UP, 2, 3, "fffff", "UUDDD",
	  "..d.." },
	{ "rise 2 after down", HC_UP, 2, 3, "fffss", "UUDDU", "..d.u" },
	{ "rise 2: a failure resets the run", HC_UP, 2, 3, "fffsfss",
	  "UUDDDDU", "..d...u" },
	{ "init down: rise 2", HC_DOWN, 2, 3, "ss", "DU", ".u" },
	{ "init down: failures stay down, no transition", HC_DOWN, 2, 3,
	  "fff", "DDD", "..." },
	{ "init down: one success is not enough", HC_DOWN, 2, 3, "sfs",
	  "DDD", "..." },
	{ "rise 1 fall 1: every result decides", HC_UP, 1, 1, "fsfs",
	  "DUDU", "dudu" },
	{ "rise 1 fall 1: repeats are not transitions", HC_UP, 1, 1,
	  "ffss", "DDUU", "d.u." },
	{ "rise 1 fall 3", HC_UP, 1, 3, "fffsf", "UUDUU", "..du." },
	{ "rise 3 fall 1", HC_UP, 3, 1, "fssfsss", "DDDDDDU", "d.....u" },
	{ "rise 5 fall 5: full cycle", HC_UP, 5, 5, "fffffsssss",
	  "UUUUDDDDDU", "....d....u" },
	{ "rise 5 fall 5: four failures are not enough", HC_UP, 5, 5,
	  "ffffsffff", "UUUUUUUUU", "........." },
	{ "flapping backend with rise 2 fall 2", HC_UP, 2, 2, "ffsfssff",
	  "UDDDDUUD", ".d...u.d" },
};

static void test_fsm_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(fsm_cases) / sizeof(fsm_cases[0]); i++) {
		const struct fsm_case *c = &fsm_cases[i];
		struct hc_fsm fsm;

		health_fsm_init(&fsm, c->init, c->rise, c->fall);
		for (size_t k = 0; c->results[k]; k++) {
			enum hc_transition tr =
				health_fsm_step(&fsm, c->results[k] == 's');
			char st = fsm.state == HC_UP ? 'U' : 'D';
			char t = tr == HC_T_UP	   ? 'u'
				 : tr == HC_T_DOWN ? 'd'
						   : '.';

			if (st != c->states[k] || t != c->trans[k])
				fail_msg("%s: step %zu: got %c%c, want %c%c",
					 c->desc, k, st, t, c->states[k],
					 c->trans[k]);
		}
	}
}

/* An independent model: the state after a sequence is decided by the last
 * run of rise successes or fall failures that crossed its threshold. */
static enum hc_state model(enum hc_state init, __u32 rise, __u32 fall,
			   unsigned int bits, unsigned int len)
{
	enum hc_state st = init;
	unsigned int run = 0;

	for (unsigned int k = 0; k < len; k++) {
		bool ok = bits >> k & 1;
		bool prev = k && (bits >> (k - 1) & 1);

		run = k && ok == prev ? run + 1 : 1;
		if (ok && run >= rise)
			st = HC_UP;
		else if (!ok && run >= fall)
			st = HC_DOWN;
	}
	return st;
}

/* Steps one sequence (bit k = result k) through the state machine and
 * checks state, transition and run counters after each step. */
static void check_sequence(enum hc_state init, __u32 rise, __u32 fall,
			   unsigned int bits, unsigned int len)
{
	enum hc_state before = init;
	unsigned int ok_run = 0, fail_run = 0;
	struct hc_fsm fsm;

	health_fsm_init(&fsm, init, rise, fall);
	for (unsigned int k = 0; k < len; k++) {
		bool ok = bits >> k & 1;
		enum hc_transition tr = health_fsm_step(&fsm, ok);
		enum hc_state want = model(init, rise, fall, bits, k + 1);
		enum hc_transition want_tr = want == before ? HC_T_NONE
					     : want == HC_UP ? HC_T_UP
							     : HC_T_DOWN;

		ok_run = ok ? ok_run + 1 : 0;
		fail_run = ok ? 0 : fail_run + 1;
		assert_int_equal(fsm.state, want);
		assert_int_equal(tr, want_tr);
		assert_int_equal(fsm.ok_run, ok_run);
		assert_int_equal(fsm.fail_run, fail_run);
		before = want;
	}
}

/* Every sequence up to 12 results, rise and fall 1..5, both initial
 * states, against the model. */
static void test_fsm_exhaustive(void **state)
{
	unsigned long checked = 0;

	(void)state;
	for (int init = HC_DOWN; init <= HC_UP; init++) {
		for (__u32 rise = 1; rise <= 5; rise++) {
			for (__u32 fall = 1; fall <= 5; fall++) {
				for (unsigned int len = 1; len <= 12; len++) {
					for (unsigned int b = 0; b < 1u << len;
					     b++)
						check_sequence(init, rise, fall,
							       b, len);
					checked += 1u << len;
				}
			}
		}
	}
	assert_int_equal(checked, 2 * 5 * 5 * ((1u << 13) - 2));
}

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

/* Running the loop with a deadline */

struct runner {
	struct loop *loop;
	bool (*pred)(void *arg);
	void *arg;
	bool met;
	uint64_t poll_id, deadline_id;
};

static void runner_poll(struct loop *loop, void *arg)
{
	struct runner *r = arg;

	r->poll_id = 0;
	if (r->pred && r->pred(r->arg)) {
		r->met = true;
		loop_stop(loop);
		return;
	}
	r->poll_id = loop_add_timer(loop, MS, runner_poll, r);
}

static void runner_deadline(struct loop *loop, void *arg)
{
	struct runner *r = arg;

	r->deadline_id = 0;
	loop_stop(loop);
}

/* Runs until pred holds or ms pass; returns whether pred held. */
static bool run_until(struct loop *loop, unsigned int ms,
		      bool (*pred)(void *), void *arg)
{
	struct runner r = { .loop = loop, .pred = pred, .arg = arg };

	r.poll_id = loop_add_timer(loop, 0, runner_poll, &r);
	r.deadline_id = loop_add_timer(loop, ms * MS, runner_deadline, &r);
	assert_int_equal(loop_run(loop), 0);
	if (r.poll_id)
		loop_del_timer(loop, r.poll_id);
	if (r.deadline_id)
		loop_del_timer(loop, r.deadline_id);
	return r.met || (pred && pred(arg));
}

static void run_for(struct loop *loop, unsigned int ms)
{
	run_until(loop, ms, NULL, NULL);
}

/* What the change callback saw. */
struct changes {
	int n;
	enum hc_state state[16];
	char reason[16][HC_REASON_LEN];
	struct health_target *stop_self;	/* stop it from the callback */
	struct health_target **stopped;
};

static void on_change(void *arg, enum hc_state st, const char *reason,
		      __u64 latency_ns)
{
	struct changes *c = arg;

	assert_true(latency_ns > 0);
	if (c->n < 16) {
		c->state[c->n] = st;
		snprintf(c->reason[c->n], HC_REASON_LEN, "%s", reason);
	}
	c->n++;
	if (c->stop_self) {
		health_stop(c->stop_self);
		*c->stopped = NULL;
		c->stop_self = NULL;
	}
}

struct cond {
	struct health_target *t;
	__u64 probes;		/* at least this many probes */
	struct changes *ch;
	int changes;		/* at least this many state changes */
};

static bool cond_met(void *arg)
{
	struct cond *c = arg;
	struct health_stats s;

	if (c->ch && c->ch->n < c->changes)
		return false;
	if (c->probes) {
		health_get_stats(c->t, &s);
		if (s.probes < c->probes)
			return false;
	}
	return true;
}

static bool wait_probes(struct loop *loop, struct health_target *t,
			__u64 n, unsigned int ms)
{
	struct cond c = { .t = t, .probes = n };

	return run_until(loop, ms, cond_met, &c);
}

static bool wait_changes(struct loop *loop, struct changes *ch, int n,
			 unsigned int ms)
{
	struct cond c = { .ch = ch, .changes = n };

	return run_until(loop, ms, cond_met, &c);
}

static __u64 probes_of(struct health_target *t)
{
	struct health_stats s;

	health_get_stats(t, &s);
	return s.probes;
}

/* Test servers: TCP or HTTP/1.1 with keep-alive, in the test's loop */

#define MAX_CONNS 256

struct srv;

struct conn {
	struct srv *s;
	int fd;
	char buf[4096];
	size_t len;
	uint64_t timer_id;	/* a delayed answer, or the second half */
	const char *rest;	/* the second half of a split answer */
};

struct srv {
	struct loop *loop;
	int lfd;
	__u16 port;
	bool http;
	/* behaviour */
	int status;
	char body[256];
	unsigned int delay_ms;	/* answer this late */
	bool silent;		/* never answer */
	bool split;		/* answer in two writes, 20 ms apart */
	bool close_on_accept;
	const char *banner;	/* TCP: sent on accept */
	/* what it saw */
	unsigned int accepts, requests;
	char last_host[128], last_path[128];
	struct conn *conns[MAX_CONNS];
};

static void conn_close(struct conn *c)
{
	struct srv *s = c->s;

	for (int i = 0; i < MAX_CONNS; i++)
		if (s->conns[i] == c)
			s->conns[i] = NULL;
	if (c->timer_id)
		loop_del_timer(s->loop, c->timer_id);
	loop_del_fd(s->loop, c->fd);
	close(c->fd);
	free(c);
}

static void send_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

static void rest_timer(struct loop *loop, void *arg)
{
	struct conn *c = arg;

	(void)loop;
	c->timer_id = 0;
	send_all(c->fd, c->rest, strlen(c->rest));
}

static void answer(struct conn *c)
{
	struct srv *s = c->s;
	char out[1024];
	size_t blen = strlen(s->body);
	int n;

	n = snprintf(out, sizeof(out),
		     "HTTP/1.1 %d X\r\nContent-Type: text/plain\r\n"
		     "Content-Length: %zu\r\n\r\n%s",
		     s->status, blen, s->body);
	if (!s->split) {
		send_all(c->fd, out, (size_t)n);
		return;
	}
	/* headers and half the body now, the rest later */
	send_all(c->fd, out, (size_t)n - blen + blen / 2);
	c->rest = s->body + blen / 2;
	c->timer_id = loop_add_timer(s->loop, 20 * MS, rest_timer, c);
}

static void delay_timer(struct loop *loop, void *arg)
{
	struct conn *c = arg;

	(void)loop;
	c->timer_id = 0;
	answer(c);
}

static void header_value(const char *req, const char *name, char *out,
			 size_t len)
{
	const char *p = strcasestr(req, name);
	size_t n;

	out[0] = '\0';
	if (!p)
		return;
	p += strlen(name);
	while (*p == ' ')
		p++;
	n = strcspn(p, "\r\n");
	snprintf(out, len, "%.*s", (int)n, p);
}

static void conn_event(struct loop *loop, int fd, unsigned int events,
		       void *arg)
{
	struct conn *c = arg;
	struct srv *s = c->s;
	ssize_t n;
	char *end;

	(void)loop;
	(void)events;
	n = recv(fd, c->buf + c->len, sizeof(c->buf) - 1 - c->len, 0);
	if (n <= 0) {
		if (n < 0 && errno == EAGAIN)
			return;
		conn_close(c);
		return;
	}
	if (!s->http)
		return;
	c->len += (size_t)n;
	c->buf[c->len] = '\0';
	while ((end = strstr(c->buf, "\r\n\r\n"))) {
		size_t used = (size_t)(end + 4 - c->buf);

		s->requests++;
		sscanf(c->buf, "GET %127s", s->last_path);
		header_value(c->buf, "\r\nHost:", s->last_host,
			     sizeof(s->last_host));
		memmove(c->buf, c->buf + used, c->len - used + 1);
		c->len -= used;
		if (s->silent)
			continue;
		if (s->delay_ms)
			c->timer_id = loop_add_timer(s->loop,
						     s->delay_ms * MS,
						     delay_timer, c);
		else
			answer(c);
	}
}

static void srv_accept(struct loop *loop, int fd, unsigned int events,
		       void *arg)
{
	struct srv *s = arg;
	struct conn *c;
	int cfd;

	(void)events;
	cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (cfd < 0)
		return;
	s->accepts++;
	if (s->close_on_accept) {
		close(cfd);
		return;
	}
	if (s->banner)
		send_all(cfd, s->banner, strlen(s->banner));
	c = calloc(1, sizeof(*c));
	assert_non_null(c);
	c->s = s;
	c->fd = cfd;
	for (int i = 0; i < MAX_CONNS; i++) {
		if (!s->conns[i]) {
			s->conns[i] = c;
			break;
		}
	}
	assert_int_equal(loop_add_fd(loop, cfd, LOOP_READ, conn_event, c), 0);
}

/* A socket bound to an ephemeral port of 127.0.0.1 (or ::1), not yet
 * listening: connections to it are refused. */
static int bound_socket(bool v6, __u16 *port)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t len;
	int fd, one = 1;

	fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (v6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		a->sin6_family = AF_INET6;
		a->sin6_addr = in6addr_loopback;
		len = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		a->sin_family = AF_INET;
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		len = sizeof(*a);
	}
	if (bind(fd, (struct sockaddr *)&ss, len)) {
		close(fd);
		return -1;
	}
	assert_int_equal(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
	*port = ntohs(v6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
			 : ((struct sockaddr_in *)&ss)->sin_port);
	return fd;
}

static void srv_listen_fd(struct srv *s, int fd)
{
	s->lfd = fd;
	assert_int_equal(listen(fd, 128), 0);
	assert_int_equal(loop_add_fd(s->loop, fd, LOOP_READ, srv_accept, s),
			 0);
}

static void srv_init(struct srv *s, struct loop *loop, bool http)
{
	memset(s, 0, sizeof(*s));
	s->loop = loop;
	s->http = http;
	s->status = 200;
	strcpy(s->body, "OK all good");
	s->lfd = -1;
}

static bool srv_start(struct srv *s, struct loop *loop, bool http, bool v6)
{
	int fd;

	srv_init(s, loop, http);
	fd = bound_socket(v6, &s->port);
	if (fd < 0)
		return false;
	srv_listen_fd(s, fd);
	return true;
}

/* As a dying process: every socket closed at once. */
static void srv_kill(struct srv *s)
{
	if (s->lfd >= 0) {
		loop_del_fd(s->loop, s->lfd);
		close(s->lfd);
		s->lfd = -1;
	}
	for (int i = 0; i < MAX_CONNS; i++)
		if (s->conns[i])
			conn_close(s->conns[i]);
}

static unsigned int srv_open_conns(const struct srv *s)
{
	unsigned int n = 0;

	for (int i = 0; i < MAX_CONNS; i++)
		n += !!s->conns[i];
	return n;
}

/* The server in a child process, killed with SIGKILL by the test. Forked
 * before the test starts any check, so it holds none of their sockets. */
static pid_t srv_fork(bool http, __u16 *port)
{
	__u16 p;
	int fd = bound_socket(false, &p);
	pid_t pid;

	assert_true(fd >= 0);
	assert_int_equal(listen(fd, 128), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		struct loop *loop = loop_new();
		struct srv s;

		alarm(20);	/* bounded even if the test dies */
		srv_init(&s, loop, http);
		s.lfd = fd;
		loop_add_fd(loop, fd, LOOP_READ, srv_accept, &s);
		loop_run(loop);
		_exit(0);
	}
	close(fd);
	*port = p;
	return pid;
}

static void srv_fork_kill(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static struct health_target *start(struct loop *loop, struct hc_params *p,
				   bool v6, struct changes *ch)
{
	union xlb_addr a = { 0 };
	struct health_target *t;

	if (v6)
		memcpy(a.v6, &in6addr_loopback, 16);
	else
		a.v4 = htonl(INADDR_LOOPBACK);
	t = health_start(loop, p, &a, v6 ? XLB_FAMILY_V6 : XLB_FAMILY_V4,
			 on_change, ch);
	assert_non_null(t);
	return t;
}

static void params(struct hc_params *p, enum hc_type type, __u16 port,
		   __u32 interval_ms, __u32 timeout_ms)
{
	health_params_init(p);
	p->type = type;
	p->port = port;
	p->interval_ms = interval_ms;
	p->timeout_ms = timeout_ms;
}

/* TCP */

static void test_tcp_up(void **state)
{
	struct loop *loop = loop_new();
	struct changes ch = { 0 };
	struct health_target *t;
	struct health_stats s;
	struct hc_params p;
	struct srv srv;

	(void)state;
	assert_true(srv_start(&srv, loop, false, false));
	params(&p, HC_TCP, srv.port, 20, 500);
	t = start(loop, &p, false, &ch);
	assert_true(wait_probes(loop, t, 5, 2000));
	health_get_stats(t, &s);
	assert_int_equal(s.state, HC_UP);
	assert_int_equal(ch.n, 0);
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
	/* each probe's connection replaces the one held before */
	assert_true(srv.accepts >= 5);
	assert_true(srv_open_conns(&srv) <= 2);
	health_stop(t);
	srv_kill(&srv);
	loop_free(loop);
}

static void test_v6(void **state)
{
	struct loop *loop = loop_new();
	struct changes ch = { 0 };
	struct health_target *t;
	struct health_stats s;
	struct hc_params p;
	struct srv srv;

	(void)state;
	if (!srv_start(&srv, loop, false, true)) {
		loop_free(loop);
		skip();
	}
	params(&p, HC_TCP, srv.port, 20, 500);
	t = start(loop, &p, true, &ch);
	assert_true(wait_probes(loop, t, 2, 2000));
	health_get_stats(t, &s);
	assert_int_equal(s.last_result, HC_R_OK);
	assert_int_equal(s.state, HC_UP);
	health_stop(t);

	/* HTTP to [::1], without and with a host name */
	srv.http = true;
	p.type = HC_HTTP;
	t = start(loop, &p, true, &ch);
	assert_true(wait_probes(loop, t, 2, 2000));
	health_get_stats(t, &s);
	assert_string_equal(s.last_reason, "ok");
	assert_true(!strncmp(srv.last_host, "[::1]", 5));
	health_stop(t);
	strcpy(p.host, "v6.example");
	t = start(loop, &p, true, &ch);
	assert_true(wait_probes(loop, t, 2, 2000));
	health_get_stats(t, &s);
	assert_string_equal(s.last_reason, "ok");
	assert_true(!strncmp(srv.last_host, "v6.example", 10));
	assert_int_equal(ch.n, 0);
	health_stop(t);
	srv_kill(&srv);
	loop_free(loop);
}

/* A closed port while up: three refusals back to back, not three
 * intervals; then nothing more until the next interval. */
static void test_tcp_refused_fast(void **state)
{
	struct loop *loop = loop_new();
	struct changes ch = { 0 };
	struct health_target *t;
	struct health_stats s;
	struct hc_params p;
	__u16 port;
	int fd = bound_socket(false, &port);

	(void)state;
	params(&p, HC_TCP, port, 10000, 500);
	t = start(loop, &p, false, &ch);
	assert_true(wait_changes(loop, &ch, 1, 2000));
	assert_int_equal(ch.state[0], HC_DOWN);
	assert_string_equal(ch.reason[0], "refused");
	run_for(loop, 50);
	health_get_stats(t, &s);
	assert_int_equal(s.probes, 3);
	assert_int_equal(s.consec_fail, 3);
	assert_int_equal(s.last_result, HC_R_REFUSED);
	assert_true(s.success_ratio == 0.0);
	assert_int_equal(s.latency_ewma_ns, 0);	/* successes only */
	health_stop(t);
	close(fd);
	loop_free(loop);
}

/* Refused, then the port listens: up again after rise successes. */
static void test_tcp_recover(void **state)
{
	struct loop *loop = loop_new();
	struct changes ch = { 0 };
	struct health_target *t;
	struct health_stats s;
	struct hc_params p;
	struct srv srv;
	__u16 port;
	int fd = bound_socket(false, &port);

	(void)state;
	params(&p, HC_TCP, port, 20, 500);
	p.rise = 3;
	t = start(loop, &p, false, &ch);
	assert_true(wait_changes(loop, &ch, 1, 2000));
	assert_int_equal(ch.state[0], HC_DOWN);
	srv_init(&srv, loop, false);
	srv_listen_fd(&srv, fd);
	assert_true(wait_changes(loop, &ch, 2, 2000));
	assert_int_equal(ch.state[1], HC_UP);
	assert_string_equal(ch.reason[1], "ok");
	health_get_stats(t, &s);
	assert_int_equal(s.consec_ok, 3);
	assert_int_equal(s.transitions, 2);
	health_stop(t);
	srv_kill(&srv);
	loop_free(loop);
}

static void test_tcp_init_down(void **state)
{
	struct loop *loop = loop_new();
	struct changes ch = { 0 };
	struct health_target *t;
	struct hc_params p;
	struct srv srv;

	(void)state;
	assert_true(srv_start(&srv, loop, false, false));
	params(&p, HC_TCP, srv.port, 20, 500);
	p.init_down = true;
	t = start(loop, &p, false, &ch);
	assert_true(wait_changes(loop, &ch, 1, 2000));
	assert_int_equal(ch.state[0], HC_UP);
	assert_int_equal(probes_of(t), 2);	/* rise */
	health_stop(t);
	srv_kill(&srv);
	loop_free(loop);
}

/*
 * A blackholed address: the listener's accept queue is full, so the
 * kernel drops our SYNs and the connect never completes. (192.0.2.1 is
 * no good here: on some test hosts it is the real gateway.)
 */
static int blackhole(__u16 *port, int *filler)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = bound_socket(false, port);

	assert_int_equal(listen(fd, 0), 0);
	a.sin_port = htons(*port);
	*filler = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_int_equal(connect(*filler, (struct sockaddr *)&a, sizeof(a)),
			 0);
	return fd;
}

static void test_tcp_timeout(void **state)
{
	struct loop *loop = loop_new();
	struct changes ch = { 0 };
	struct health_target *t;
	struct health_stats s;
	struct hc_params p;
	__u16 port;
	int filler, fd = blackhole(&port, &filler);

	(void)state;
	params(&p, HC_TCP, port, 20, 30);
	p.fall = 2;
	t = start(loop, &p, false, &ch);
	assert_true(wait_changes(loop, &ch, 1, 2000));
	assert_int_equal(ch.state[0], HC_DOWN);
	assert_string_equal(ch.reason[0], "timeout");
	health_get_stats(t, &s);
	assert_int_equal(s.probes, 2);
	assert_int_equal(s.last_result, HC_R_TIMEOUT);
	assert_true(s.last_latency_ns >= 30 * MS);
	health_stop(t);
	close(filler);
	close(fd);
	loop_free(loop);
}

/* The fast path: the server dies, the held connection closes, three
 * refusals follow at once: down long before the 10 s interval. A hint
 * probe just before does not mute it. */
static void test_tcp_kill_fast(void **state)
{
	struct loop *loop = loop_new();
	struct changes ch = { 0 };
	struct health_target *t;
	struct health_stats s;
	uint64_t t0;
	struct hc_params p;
	struct srv srv;

	(void)state;
	assert_true(srv_start(&srv, loop, false, false));
	params(&p, HC_TCP, srv.port, 10000, 1000);
	t = start(loop, &p, false, &ch);
	assert_true(wait_probes(loop, t, 1, 2000));
	health_probe_now(t);
	assert_true(wait_probes(loop, t, 2, 2000));
	run_for(loop, 20);	/* the server accepts the held connection */
	assert_int_equal(probes_of(t), 2);
	assert_int_equal(srv_open_conns(&srv), 1);
	t0 = loop_now_ns();
	srv_kill(&srv);
	assert_true(wait_changes(loop, &ch, 1, 2000));
	printf("%s: down %.2f ms after the kill (interval 10 s)\n",
	       __func__, (loop_now_ns() - t0) / 1e6);
	assert_int_equal(ch.state[0], HC_DOWN);
	assert_string_equal(ch.reason[0], "refused");
	health_get_stats(t, &s);
	assert_int_equal(s.probes, 5);	/* 2 ok, then fall refusals */
	assert_int_equal(s.failures, 3);
	health_stop(t);
	loop_free(loop);
}

/* The same with a real process killed by SIGKILL. */
static void test_tcp_kill_process(void **state)
{
	struct loop *loop;
	struct changes ch = { 0 };
	struct health_target *t;
	uint64_t t0;
	struct hc_params p;
	__u16 port;
	pid_t pid = srv_fork(false, &port);

	(void)state;
	loop = loop_new();
	params(&p, HC_TCP, port, 10000, 1000);
	t = start(loop, &p, false, &ch);
	assert_true(wait_probes(loop, t, 1, 2000));
	run_for(loop, 20);
	t0 = loop_now_ns();
	srv_fork_kill(pid);
	assert_true(wait_changes(loop, &ch, 1, 2000));
	printf("%s: down %.2f ms after the kill (interval 10 s)\n",
	       __func__, (loop_now_ns() - t0) / 1e6);
	assert_int_equal(ch.state[0], HC_DOWN);
	assert_int_equal(probes_of(t), 4);
	health_stop(t);
	loop_free(loop);
}

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

/* The in-band hint: probe at once; after two successful hint probes, a
 * third hint waits for the next regular probe. */
static void test_probe_now(void **state)
{
	struct loop *loop = loop_new();
	struct changes ch = { 0 };
	struct health_target *t;
	struct hc_params p;
	struct srv srv;

	(void)state;
	assert_true(srv_start(&srv, loop, false, false));
	params(&p, HC_TCP, srv.port, 10000, 500);
	t = start(loop, &p, false, &ch);
	assert_true(wait_probes(loop, t, 1, 2000));
	health_probe_now(t);
	assert_true(wait_probes(loop, t, 2, 2000));
	health_probe_now(t);
	assert_true(wait_probes(loop, t, 3, 2000));
	health_probe_now(t);
	run_for(loop, 50);
	assert_int_equal(probes_of(t), 3);
	health_stop(t);
	srv_kill(&srv);
	loop_free(loop);
}

/* Retried SYNs spent the hints' budget just before the server died: the
 * held connection's close is still probed at once (it has a budget of
 * its own), not at the next regular probe 10 s away. */
static void test_held_close_after_hints(void **state)
{
	struct loop *loop;
	struct changes ch = { 0 };
	struct health_target *t;
	struct hc_params p;
	uint64_t t0;
	__u16 port;
	pid_t pid = srv_fork(false, &port);

	(void)state;
	loop = loop_new();
	params(&p, HC_TCP, port, 10000, 1000);
	t = start(loop, &p, false, &ch);
	assert_true(wait_probes(loop, t, 1, 2000));
	health_probe_now(t);
	assert_true(wait_probes(loop, t, 2, 2000));
	health_probe_now(t);
	assert_true(wait_probes(loop, t, 3, 2000));
	health_probe_now(t);	/* over the hints' budget: no probe */
	run_for(loop, 20);
	assert_int_equal(probes_of(t), 3);
	t0 = loop_now_ns();
	srv_fork_kill(pid);
	assert_true(wait_changes(loop, &ch, 1, 2000));
	printf("%s: down %.2f ms after the kill (interval 10 s, hint budget "
	       "spent)\n", __func__, (loop_now_ns() - t0) / 1e6);
	assert_int_equal(ch.state[0], HC_DOWN);
	assert_int_equal(probes_of(t), 6);	/* 3 ok, then fall refusals */
	health_stop(t);
	loop_free(loop);
}

/* The callback stops its own target (and ASan watches). */
static void test_stop_in_callback(void **state)
{
	struct loop *loop = loop_new();
	struct changes ch = { 0 };
	struct health_target *t;
	struct hc_params p;
	__u16 port;
	int fd = bound_socket(false, &port);

	(void)state;
	params(&p, HC_TCP, port, 10000, 500);
	p.fall = 1;
	t = start(loop, &p, false, &ch);
	ch.stop_self = t;
	ch.stopped = &t;
	assert_true(wait_changes(loop, &ch, 1, 2000));
	assert_null(t);
	run_for(loop, 20);
	assert_int_equal(ch.n, 1);
	close(fd);
	loop_free(loop);
}

/* Stopping with probes in flight, and stopping the last HTTP target of
 * its context from inside the change callback (ASan watches). */
static void test_stop_in_flight(void **state)
{
	struct loop *loop = loop_new();
	struct changes ch = { 0 };
	struct health_target *t1, *t2, *t3;
	struct hc_params p;
	struct srv silent, bad;
	__u16 port;
	int filler, fd = blackhole(&port, &filler);

	(void)state;
	assert_true(srv_start(&silent, loop, true, false));
	silent.silent = true;
	params(&p, HC_TCP, port, 1000, 1000);
	t1 = start(loop, &p, false, &ch);
	p.type = HC_HTTP;
	p.port = silent.port;
	t2 = start(loop, &p, false, &ch);
	run_for(loop, 30);
	assert_int_equal(probes_of(t1), 0);
	assert_int_equal(probes_of(t2), 0);
	assert_int_equal(silent.requests, 1);
	health_stop(t1);
	health_stop(t2);
	run_for(loop, 20);

	assert_true(srv_start(&bad, loop, true, false));
	bad.status = 503;
	p.port = bad.port;
	p.fall = 1;
	t3 = start(loop, &p, false, &ch);
	ch.stop_self = t3;
	ch.stopped = &t3;
	assert_true(wait_changes(loop, &ch, 1, 2000));
	assert_null(t3);
	run_for(loop, 20);
	assert_int_equal(ch.n, 1);
	srv_kill(&silent);
	srv_kill(&bad);
	close(filler);
	close(fd);
	loop_free(loop);
}

/* HTTP */

static void test_http_up_keepalive(void **state)
{
	struct loop *loop = loop_new();
	struct changes ch = { 0 };
	struct health_target *t;
	struct health_stats s;
	struct hc_params p;
	struct srv srv;

	(void)state;
	assert_true(srv_start(&srv, loop, true, false));
	params(&p, HC_HTTP, srv.port, 20, 500);
	strcpy(p.path, "/healthz?full=1");
	strcpy(p.host, "backend.example");
	strcpy(p.body, "all good");
	t = start(loop, &p, false, &ch);
	assert_true(wait_probes(loop, t, 5, 2000));
	health_get_stats(t, &s);
	assert_int_equal(s.state, HC_UP);
	assert_int_equal(s.last_result, HC_R_OK);
	assert_int_equal(s.failures, 0);
	assert_true(s.latency_p50_ns > 0);
	assert_int_equal(ch.n, 0);
	assert_string_equal(srv.last_path, "/healthz?full=1");
	assert_true(!strncmp(srv.last_host, "backend.example", 15));
	/* one kept-alive connection served every probe */
	assert_int_equal(srv.accepts, 1);
	assert_true(srv.requests >= 5);
	health_stop(t);
	srv_kill(&srv);
	loop_free(loop);
}

static void test_http_bad_status(void **state)
{
	struct loop *loop = loop_new();
	struct changes ch = { 0 };
	struct health_target *t;
	struct health_stats s;
	struct hc_params p;
	struct srv srv;

	(void)state;
	assert_true(srv_start(&srv, loop, true, false));
	srv.status = 500;
	params(&p, HC_HTTP, srv.port, 20, 500);
	p.fall = 2;
	t = start(loop, &p, false, &ch);
	assert_true(wait_changes(loop, &ch, 1, 2000));
	assert_int_equal(ch.state[0], HC_DOWN);
	assert_string_equal(ch.reason[0], "bad status 500");
	health_get_stats(t, &s);
	assert_int_equal(s.last_result, HC_R_BAD_STATUS);
	/* not connection-level: one interval between the two failures */
	assert_int_equal(s.probes, 2);
	/* 500 back to 200 after rise; a wider range accepts 503 */
	srv.status = 200;
	assert_true(wait_changes(loop, &ch, 2, 2000));
	assert_int_equal(ch.state[1], HC_UP);
	health_stop(t);

	srv.status = 503;
	p.status_max = 503;
	memset(&ch, 0, sizeof(ch));
	t = start(loop, &p, false, &ch);
	assert_true(wait_probes(loop, t, 3, 2000));
	assert_int_equal(ch.n, 0);
	health_stop(t);
	srv_kill(&srv);
	loop_free(loop);
}

static void test_http_body_mismatch(void **state)
{
	struct loop *loop = loop_new();
	struct changes ch = { 0 };
	struct health_target *t;
	struct hc_params p;
	struct srv srv;

	(void)state;
	assert_true(srv_start(&srv, loop, true, false));
	strcpy(srv.body, "status: degraded");
	params(&p, HC_HTTP, srv.port, 20, 500);
	strcpy(p.body, "status: ok");
	p.fall = 2;
	t = start(loop, &p, false, &ch);
	assert_true(wait_changes(loop, &ch, 1, 2000));
	assert_int_equal(ch.state[0], HC_DOWN);
	assert_string_equal(ch.reason[0], "body mismatch");
	health_stop(t);
	srv_kill(&srv);
	loop_free(loop);
}

/* The wanted substring straddles two writes 20 ms apart. */
static void test_http_body_split(void **state)
{
	struct loop *loop = loop_new();
	struct changes ch = { 0 };
	struct health_target *t;
	struct health_stats s;
	struct hc_params p;
	struct srv srv;

	(void)state;
	assert_true(srv_start(&srv, loop, true, false));
	strcpy(srv.body, "xxxxxxxxxxxxxxxxxxxxSERVING-OK-yyyyyyyyyyyyyyyyy");
	srv.split = true;
	params(&p, HC_HTTP, srv.port, 100, 500);
	strcpy(p.body, "SERVING-OK");
	t = start(loop, &p, false, &ch);
	assert_true(wait_probes(loop, t, 2, 2000));
	health_get_stats(t, &s);
	assert_int_equal(s.failures, 0);
	assert_true(s.last_latency_ns >= 20 * MS);
	health_stop(t);
	srv_kill(&srv);
	loop_free(loop);
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

static void test_http_blackhole(void **state)
{
	struct loop *loop = loop_new();
	struct changes ch = { 0 };
	struct health_target *t;
	struct hc_params p;
	__u16 port;
	int filler, fd = blackhole(&port, &filler);

	(void)state;
	params(&p, HC_HTTP, port, 20, 40);
	p.fall = 1;
	t = start(loop, &p, false, &ch);
	assert_true(wait_changes(loop, &ch, 1, 2000));
	assert_string_equal(ch.reason[0], "timeout");
	health_stop(t);
	close(filler);
	close(fd);
	loop_free(loop);
}

static void test_http_refused_fast(void **state)
{
	struct loop *loop = loop_new();
	struct changes ch = { 0 };
	struct health_target *t;
	struct hc_params p;
	__u16 port;
	int fd = bound_socket(false, &port);

	(void)state;
	params(&p, HC_HTTP, port, 10000, 500);
	t = start(loop, &p, false, &ch);
	assert_true(wait_changes(loop, &ch, 1, 2000));
	assert_int_equal(ch.state[0], HC_DOWN);
	assert_string_equal(ch.reason[0], "refused");
	run_for(loop, 50);
	assert_int_equal(probes_of(t), 3);
	health_stop(t);
	close(fd);
	loop_free(loop);
}

/* Kept-alive connection closed by a dying server: down at once. */
static void test_http_kill_fast(void **state)
{
	struct loop *loop = loop_new();
	struct changes ch = { 0 };
	struct health_target *t;
	struct health_stats s;
	uint64_t t0;
	struct hc_params p;
	struct srv srv;

	(void)state;
	assert_true(srv_start(&srv, loop, true, false));
	params(&p, HC_HTTP, srv.port, 10000, 1000);
	t = start(loop, &p, false, &ch);
	assert_true(wait_probes(loop, t, 1, 2000));
	run_for(loop, 20);
	assert_int_equal(probes_of(t), 1);
	assert_int_equal(srv_open_conns(&srv), 1);
	t0 = loop_now_ns();
	srv_kill(&srv);
	assert_true(wait_changes(loop, &ch, 1, 2000));
	printf("%s: down %.2f ms after the kill (interval 10 s)\n",
	       __func__, (loop_now_ns() - t0) / 1e6);
	assert_int_equal(ch.state[0], HC_DOWN);
	assert_string_equal(ch.reason[0], "refused");
	health_get_stats(t, &s);
	assert_int_equal(s.probes, 4);
	health_stop(t);
	loop_free(loop);
}

static void test_http_kill_process(void **state)
{
	struct loop *loop;
	struct changes ch = { 0 };
	struct health_target *t;
	uint64_t t0;
	struct hc_params p;
	__u16 port;
	pid_t pid = srv_fork(true, &port);

	(void)state;
	loop = loop_new();
	params(&p, HC_HTTP, port, 10000, 1000);
	t = start(loop, &p, false, &ch);
	assert_true(wait_probes(loop, t, 1, 2000));
	run_for(loop, 20);
	assert_int_equal(probes_of(t), 1);
	t0 = loop_now_ns();
	srv_fork_kill(pid);
	assert_true(wait_changes(loop, &ch, 1, 2000));
	printf("%s: down %.2f ms after the kill (interval 10 s)\n",
	       __func__, (loop_now_ns() - t0) / 1e6);
	assert_int_equal(ch.state[0], HC_DOWN);
	assert_int_equal(probes_of(t), 4);
	health_stop(t);
	loop_free(loop);
}

/* Stats over a mix: 4 successes, then 2 bad statuses. */
static void test_http_stats_window(void **state)
{
	struct loop *loop = loop_new();
	struct changes ch = { 0 };
	struct health_target *t;
	struct health_stats s;
	struct hc_params p;
	struct srv srv;

	(void)state;
	assert_true(srv_start(&srv, loop, true, false));
	params(&p, HC_HTTP, srv.port, 20, 500);
	t = start(loop, &p, false, &ch);
	assert_true(wait_probes(loop, t, 4, 2000));
	srv.status = 404;
	assert_true(wait_probes(loop, t, 6, 2000));
	health_get_stats(t, &s);
	assert_int_equal(s.probes, 6);
	assert_int_equal(s.window_len, 6);
	assert_int_equal(s.window_ok, 4);
	assert_true(s.success_ratio > 0.66 && s.success_ratio < 0.67);
	assert_int_equal(s.consec_fail, 2);
	assert_int_equal(s.consec_ok, 0);
	assert_int_equal(s.state, HC_UP);
	assert_string_equal(s.last_reason, "bad status 404");
	assert_true(s.latency_p50_ns <= s.latency_p99_ns);
	health_stop(t);
	srv_kill(&srv);
	loop_free(loop);
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

/* A self-signed certificate for CN=localhost in a new directory under
 * /tmp; false (and nothing left behind) without openssl. */
static bool make_cert(char dir[static 23], char cert[static 64],
		      char key[static 64])
{
	char cmd[512];

	if (system("command -v openssl >/dev/null 2>&1"))
		return false;
	strcpy(dir, "/tmp/xlb-health-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(cert, 64, "%s/c.pem", dir);
	snprintf(key, 64, "%s/k.pem", dir);
	snprintf(cmd, sizeof(cmd),
		 "openssl req -x509 -newkey ec -pkeyopt "
		 "ec_paramgen_curve:prime256v1 -nodes -subj /CN=localhost "
		 "-days 1 -keyout %s -out %s >/dev/null 2>&1",
		 key, cert);
	assert_int_equal(system(cmd), 0);
	return true;
}

static void remove_cert(const char *dir, const char *cert, const char *key)
{
	unlink(cert);
	unlink(key);
	rmdir(dir);
}

/* HTTPS against `openssl s_server -www` (HTTP/1.0, then close). */
static void test_https(void **state)
{
	char dir[23], cert[64], key[64];
	char portarg[32];
	struct loop *loop;
	struct changes ch = { 0 };
	struct health_target *t;
	struct health_stats s;
	struct hc_params p;
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	__u16 port;
	pid_t pid;
	int fd, up = 0;

	(void)state;
	if (!make_cert(dir, cert, key))
		skip();
	fd = bound_socket(false, &port);
	close(fd);
	snprintf(portarg, sizeof(portarg), "127.0.0.1:%u", port);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		int null = open("/dev/null", O_RDWR);

		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		alarm(20);
		execlp("openssl", "openssl", "s_server", "-accept", portarg,
		       "-cert", cert, "-key", key, "-www", "-quiet",
		       (char *)NULL);
		_exit(127);
	}
	/* wait until it listens, bounded */
	a.sin_port = htons(port);
	for (int i = 0; i < 200 && !up; i++) {
		fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		up = !connect(fd, (struct sockaddr *)&a, sizeof(a));
		close(fd);
		if (!up)
			usleep(10000);
	}
	if (!up) {
		srv_fork_kill(pid);
		remove_cert(dir, cert, key);
		skip();
	}

	loop = loop_new();
	params(&p, HC_HTTPS, port, 50, 2000);
	p.tls_verify = false;
	t = start(loop, &p, false, &ch);
	assert_true(wait_probes(loop, t, 2, 5000));
	health_get_stats(t, &s);
	assert_string_equal(s.last_reason, "ok");
	assert_int_equal(s.failures, 0);
	health_stop(t);

	/* verifying a self-signed certificate fails */
	p.tls_verify = true;
	strcpy(p.host, "localhost");
	p.fall = 1;
	t = start(loop, &p, false, &ch);
	assert_true(wait_changes(loop, &ch, 1, 5000));
	assert_int_equal(ch.state[0], HC_DOWN);
	assert_true(!strncmp(ch.reason[0], "tls", 3));
	health_get_stats(t, &s);
	assert_int_equal(s.last_result, HC_R_TLS);
	health_stop(t);
	loop_free(loop);

	srv_fork_kill(pid);
	remove_cert(dir, cert, key);
}

/* gRPC against a real grpcio server (tests/unit/grpc_health_server.py) */

struct grpc_srv {
	pid_t pid;
	int in, out;		/* its stdin and stdout */
	__u16 port;
};

/* A python3 that imports grpc (Debian's: a python3 earlier in PATH may
 * not see its packages), or NULL. */
static const char *grpc_python(void)
{
	static const char *const cands[] = { "/usr/bin/python3", "python3" };
	static int found = -2;
	char cmd[128];

	if (found == -2) {
		found = -1;
		for (int i = 0; i < 2 && found < 0; i++) {
			snprintf(cmd, sizeof(cmd),
				 "%s -c 'import grpc' >/dev/null 2>&1",
				 cands[i]);
			if (!system(cmd))
				found = i;
		}
	}
	return found >= 0 ? cands[found] : NULL;
}

/* Reads one line from fd within ms; false on EOF or timeout. */
static bool read_line(int fd, char *buf, size_t len, int ms)
{
	uint64_t end = loop_now_ns() + (uint64_t)ms * MS;
	size_t n = 0;

	while (n + 1 < len) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		uint64_t now = loop_now_ns();

		if (now >= end ||
		    poll(&pfd, 1, (int)((end - now) / MS) + 1) <= 0)
			return false;
		if (read(fd, buf + n, 1) != 1)
			return false;
		if (buf[n] == '\n')
			break;
		n++;
	}
	buf[n] = '\0';
	return true;
}

/* Starts the server with SERVICE=STATUS arguments (NULL-terminated) on
 * an ephemeral port of 127.0.0.1, over TLS when cert is set. Skips the
 * test without grpcio. Forked before the test starts any check. */
static void grpc_srv_start(struct grpc_srv *g, const char *cert,
			   const char *key, const char *const *statuses)
{
	char dir[256], script[512], line[64];
	const char *argv[24];
	const char *py = grpc_python();
	int in[2], out[2], n = 0;
	unsigned int port;

	if (!py) {
		print_message("python3 grpc missing: apt-get install "
			      "python3-grpcio (scripts/install-deps.sh)\n");
		skip();
	}
	snprintf(dir, sizeof(dir), "%s", __FILE__);
	snprintf(script, sizeof(script), "%s/grpc_health_server.py",
		 dirname(dir));
	assert_int_equal(access(script, R_OK), 0);
	argv[n++] = py;
	argv[n++] = script;
	argv[n++] = "0";
	if (cert) {
		argv[n++] = "--tls";
		argv[n++] = cert;
		argv[n++] = key;
	}
	for (int i = 0; statuses[i] && n < 23; i++)
		argv[n++] = statuses[i];
	argv[n] = NULL;
	assert_int_equal(pipe2(in, O_CLOEXEC), 0);
	assert_int_equal(pipe2(out, O_CLOEXEC), 0);
	g->pid = fork();
	assert_true(g->pid >= 0);
	if (!g->pid) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		if (!getenv("XLB_DEBUG")) {
			int null = open("/dev/null", O_WRONLY);

			dup2(null, 2);
		}
		alarm(60);	/* bounded even if the test dies */
		execvp(py, (char *const *)argv);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	g->in = in[1];
	g->out = out[0];
	if (!read_line(g->out, line, sizeof(line), 20000) ||
	    sscanf(line, "PORT %u", &port) != 1)
		fail_msg("grpc server did not start");
	g->port = (__u16)port;
}

/* "SERVICE=STATUS" or "-SERVICE", applied when this returns. */
static void grpc_srv_set(struct grpc_srv *g, const char *cmd)
{
	char line[16];

	assert_int_equal(write(g->in, cmd, strlen(cmd)), (ssize_t)strlen(cmd));
	assert_int_equal(write(g->in, "\n", 1), 1);
	assert_true(read_line(g->out, line, sizeof(line), 5000));
	assert_string_equal(line, "OK");
}

static void grpc_srv_kill(struct grpc_srv *g)
{
	if (g->pid <= 0)
		return;
	kill(g->pid, SIGKILL);
	waitpid(g->pid, NULL, 0);
	close(g->in);
	close(g->out);
	g->pid = 0;
}

static void grpc_params(struct hc_params *p, __u16 port, const char *service,
			__u32 interval_ms, __u32 timeout_ms)
{
	params(p, HC_GRPC, port, interval_ms, timeout_ms);
	snprintf(p->service, sizeof(p->service), "%s", service);
}

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
static void test_grpc_kill_process(void **state)
{
	static const char *const statuses[] = { "=SERVING", NULL };
	struct changes ch = { 0 };
	struct health_target *t;
	struct health_stats s;
	struct hc_params p;
	struct grpc_srv g;
	struct loop *loop;
	uint64_t t0;

	(void)state;
	grpc_srv_start(&g, NULL, NULL, statuses);
	loop = loop_new();
	grpc_params(&p, g.port, "", 10000, 1000);
	t = start(loop, &p, false, &ch);
	assert_true(wait_probes(loop, t, 1, 5000));
	run_for(loop, 200);	/* nothing on the idle connection wakes us */
	assert_int_equal(probes_of(t), 1);
	assert_int_equal(ch.n, 0);
	t0 = loop_now_ns();
	grpc_srv_kill(&g);
	assert_true(wait_changes(loop, &ch, 1, 2000));
	printf("%s: down %.2f ms after the kill (interval 10 s)\n",
	       __func__, (loop_now_ns() - t0) / 1e6);
	assert_int_equal(ch.state[0], HC_DOWN);
	assert_string_equal(ch.reason[0], "refused");
	health_get_stats(t, &s);
	assert_int_equal(s.probes, 4);
	assert_int_equal(s.failures, 3);
	health_stop(t);
	loop_free(loop);
}

/* Not a gRPC server: an HTTP/1.1 one, and a closed port. */
static void test_grpc_wrong_server(void **state)
{
	struct loop *loop = loop_new();
	struct changes ch1 = { 0 }, ch2 = { 0 };
	struct health_target *t1, *t2;
	struct health_stats s;
	struct hc_params p;
	struct srv srv;
	__u16 port;
	int fd = bound_socket(false, &port);

	(void)state;
	assert_true(srv_start(&srv, loop, true, false));
	grpc_params(&p, srv.port, "", 20, 500);
	p.fall = 1;
	t1 = start(loop, &p, false, &ch1);
	grpc_params(&p, port, "", 10000, 500);
	t2 = start(loop, &p, false, &ch2);
	assert_true(wait_changes(loop, &ch1, 1, 2000));
	assert_true(wait_changes(loop, &ch2, 1, 2000));
	assert_int_equal(ch1.state[0], HC_DOWN);
	health_get_stats(t1, &s);
	assert_true(s.last_result != HC_R_OK);
	assert_int_equal(ch2.state[0], HC_DOWN);
	assert_string_equal(ch2.reason[0], "refused");
	assert_int_equal(probes_of(t2), 3);
	health_stop(t1);
	health_stop(t2);
	srv_kill(&srv);
	close(fd);
	loop_free(loop);
}

/* gRPC over TLS (ALPN h2), without and with certificate verification. */
static void test_grpc_tls(void **state)
{
	static const char *const statuses[] = { "=SERVING", "db=NOT_SERVING",
						NULL };
	char dir[23], cert[64], key[64];
	struct changes ch = { 0 }, ch2 = { 0 };
	struct health_target *t;
	struct health_stats s;
	struct hc_params p;
	struct grpc_srv g;
	struct loop *loop;

	(void)state;
	if (!grpc_python() || !make_cert(dir, cert, key))
		skip();
	grpc_srv_start(&g, cert, key, statuses);
	loop = loop_new();
	grpc_params(&p, g.port, "", 20, 2000);
	p.tls = true;
	p.tls_verify = false;
	t = start(loop, &p, false, &ch);
	assert_true(wait_probes(loop, t, 3, 5000));
	health_get_stats(t, &s);
	assert_string_equal(s.last_reason, "ok");
	assert_int_equal(s.failures, 0);
	assert_int_equal(ch.n, 0);
	health_stop(t);

	strcpy(p.service, "db");
	p.fall = 2;
	t = start(loop, &p, false, &ch2);
	assert_true(wait_changes(loop, &ch2, 1, 5000));
	assert_string_equal(ch2.reason[0], "grpc NOT_SERVING");
	health_stop(t);

	/* verifying a self-signed certificate fails */
	p.service[0] = '\0';
	p.tls_verify = true;
	strcpy(p.host, "localhost");
	p.fall = 1;
	t = start(loop, &p, false, &ch);
	assert_true(wait_changes(loop, &ch, 1, 5000));
	assert_int_equal(ch.state[0], HC_DOWN);
	assert_true(!strncmp(ch.reason[0], "tls", 3));
	health_get_stats(t, &s);
	assert_int_equal(s.last_result, HC_R_TLS);
	health_stop(t);
	loop_free(loop);
	grpc_srv_kill(&g);
	remove_cert(dir, cert, key);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fsm_table),
		cmocka_unit_test(test_fsm_exhaustive),
		cmocka_unit_test(test_params),
		cmocka_unit_test(test_tcp_up),
		cmocka_unit_test(test_v6),
		cmocka_unit_test(test_tcp_refused_fast),
		cmocka_unit_test(test_tcp_recover),
		cmocka_unit_test(test_tcp_init_down),
		cmocka_unit_test(test_tcp_timeout),
		cmocka_unit_test(test_tcp_kill_fast),
		cmocka_unit_test(test_tcp_kill_process),
		cmocka_unit_test(test_tcp_banner_and_closer),
		cmocka_unit_test(test_probe_now),
		cmocka_unit_test(test_held_close_after_hints),
		cmocka_unit_test(test_stop_in_callback),
		cmocka_unit_test(test_stop_in_flight),
		cmocka_unit_test(test_http_up_keepalive),
		cmocka_unit_test(test_http_bad_status),
		cmocka_unit_test(test_http_body_mismatch),
		cmocka_unit_test(test_http_body_split),
		cmocka_unit_test(test_http_slow_and_silent),
		cmocka_unit_test(test_http_blackhole),
		cmocka_unit_test(test_http_refused_fast),
		cmocka_unit_test(test_http_kill_fast),
		cmocka_unit_test(test_http_kill_process),
		cmocka_unit_test(test_http_stats_window),
		cmocka_unit_test(test_http_many),
		cmocka_unit_test(test_https),
		cmocka_unit_test(test_grpc_statuses),
		cmocka_unit_test(test_grpc_kill_process),
		cmocka_unit_test(test_grpc_wrong_server),
		cmocka_unit_test(test_grpc_tls),
	};

	signal(SIGPIPE, SIG_IGN);
	if (getenv("XLB_DEBUG"))
		log_level = LOG_LVL_DEBUG;
	return cmocka_run_group_tests_name("health", tests, NULL, NULL);
}
