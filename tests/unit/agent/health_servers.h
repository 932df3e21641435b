/* SPDX-License-Identifier: GPL-2.0 */
/* What the health-check tests run their checks against, on 127.0.0.1 (or
 * ::1): the loop run to a deadline or a condition, TCP and HTTP/1.1
 * servers in the test's loop or in a child, a blackholed port, openssl
 * s_server for HTTPS and grpc_health_server.py for gRPC. Static
 * functions, for test_health.c alone. */
#ifndef XLB_TEST_HEALTH_SERVERS_H
#define XLB_TEST_HEALTH_SERVERS_H

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
#include "core/loop.h"

#define MS 1000000ULL

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

/* `openssl s_server -www` (HTTP/1.0, then close) with cert and key on an
 * ephemeral port of 127.0.0.1, in a child; its pid, or 0 when it did not
 * listen within 2 s. */
static pid_t https_srv_start(const char *cert, const char *key, __u16 *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	char portarg[32];
	pid_t pid;
	int fd, up = 0;

	fd = bound_socket(false, port);
	close(fd);
	snprintf(portarg, sizeof(portarg), "127.0.0.1:%u", *port);
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
	a.sin_port = htons(*port);
	for (int i = 0; i < 200 && !up; i++) {
		fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		up = !connect(fd, (struct sockaddr *)&a, sizeof(a));
		close(fd);
		if (!up)
			usleep(10000);
	}
	if (!up) {
		srv_fork_kill(pid);
		return 0;
	}
	return pid;
}

/* gRPC against a real grpcio server (grpc_health_server.py) */

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

/* Checker variants: the tests of what every checker does run once per
 * variant, as their state. */

enum srv_kind {
	SRV_TCP,	/* struct srv, plain TCP */
	SRV_HTTP,	/* struct srv, HTTP/1.1 with keep-alive */
	SRV_GRPC,	/* grpc_health_server.py, a child */
	SRV_HTTPS,	/* openssl s_server, a child */
};

struct checker {
	const char *name;
	enum hc_type type;
	enum srv_kind srv;
	bool tls;		/* gRPC over TLS */
	const char *bad;	/* the reason a backend answering badly gives */
	unsigned int wait_ms;	/* for first probes (a child is slower) */
};

static const struct checker tcp = {
	.name = "tcp", .type = HC_TCP, .srv = SRV_TCP,
	.bad = "refused", .wait_ms = 2000,
};
static const struct checker http = {
	.name = "http", .type = HC_HTTP, .srv = SRV_HTTP,
	.bad = "bad status 500", .wait_ms = 2000,
};
static const struct checker grpc = {
	.name = "grpc", .type = HC_GRPC, .srv = SRV_GRPC,
	.bad = "grpc NOT_SERVING", .wait_ms = 5000,
};
static const struct checker https = {
	.name = "https", .type = HC_HTTPS, .srv = SRV_HTTPS, .wait_ms = 5000,
};
static const struct checker grpcs = {
	.name = "grpc-tls", .type = HC_GRPC, .srv = SRV_GRPC, .tls = true,
	.bad = "grpc NOT_SERVING", .wait_ms = 5000,
};

/* The server one test probes, of its checker's kind. */
enum answer {
	ANSWER_OK,		/* every probe succeeds */
	ANSWER_BAD,		/* HTTP status 500, gRPC NOT_SERVING; TCP:
				 * refused */
	ANSWER_REFUSED,		/* a port that is bound, not listening */
	ANSWER_BLACKHOLE,	/* SYNs dropped: connects never complete */
	ANSWER_SILENT,		/* HTTP, gRPC: connects, the request never
				 * answered; TCP: a blackhole */
};

struct backend {
	const struct checker *c;
	struct srv srv;		/* SRV_TCP, SRV_HTTP: in the loop */
	struct grpc_srv g;	/* SRV_GRPC */
	pid_t pid;		/* a child: srv_fork(), openssl s_server */
	int fd;			/* a port that refuses, or blackholed */
	int filler;		/* what fills the blackholed port's queue */
	char dir[23], cert[64], key[64];	/* TLS: from make_cert() */
	__u16 port;
};

static void backend_init(struct backend *b, const struct checker *c)
{
	memset(b, 0, sizeof(*b));
	b->c = c;
	b->fd = -1;
	b->filler = -1;
	b->srv.lfd = -1;
}

/* Starts a backend answering as asked. TCP and HTTP run in the test's
 * loop, gRPC in a child (started before any check, so it holds none of
 * their sockets); skips the test without grpcio. */
static void backend_start(struct backend *b, const struct checker *c,
			  struct loop *loop, enum answer answer)
{
	static const char *const serving[] = { "=SERVING", NULL };
	static const char *const not_serving[] = { "=NOT_SERVING", NULL };
	bool http = c->srv == SRV_HTTP;

	backend_init(b, c);
	if (answer == ANSWER_BAD && c->srv == SRV_TCP)
		answer = ANSWER_REFUSED;
	if (answer == ANSWER_SILENT && c->srv == SRV_TCP)
		answer = ANSWER_BLACKHOLE;
	switch (answer) {
	case ANSWER_REFUSED:
		b->fd = bound_socket(false, &b->port);
		assert_true(b->fd >= 0);
		return;
	case ANSWER_BLACKHOLE:
		b->fd = blackhole(&b->port, &b->filler);
		return;
	case ANSWER_SILENT:	/* an HTTP/1.1 server that reads, only */
		assert_true(srv_start(&b->srv, loop, true, false));
		b->srv.silent = true;
		b->port = b->srv.port;
		return;
	case ANSWER_OK:
	case ANSWER_BAD:
		break;
	}
	if (c->srv == SRV_GRPC) {
		grpc_srv_start(&b->g, NULL, NULL,
			       answer == ANSWER_OK ? serving : not_serving);
		b->port = b->g.port;
		return;
	}
	assert_true(c->srv == SRV_TCP || c->srv == SRV_HTTP);
	assert_true(srv_start(&b->srv, loop, http, false));
	b->srv.status = answer == ANSWER_OK ? 200 : 500;
	b->port = b->srv.port;
}

/* A backend that answers well, in a process of its own for kill -9:
 * before the test's loop and any check. */
static void backend_fork(struct backend *b, const struct checker *c)
{
	if (c->srv == SRV_GRPC) {
		backend_start(b, c, NULL, ANSWER_OK);
		return;
	}
	backend_init(b, c);
	b->pid = srv_fork(c->srv == SRV_HTTP, &b->port);
}

/* A TLS backend with a new self-signed certificate for CN=localhost:
 * openssl s_server, or gRPC serving "" and NOT_SERVING "db". Skips the
 * test without openssl or grpcio. */
static void backend_start_tls(struct backend *b, const struct checker *c)
{
	static const char *const statuses[] = { "=SERVING", "db=NOT_SERVING",
						NULL };

	backend_init(b, c);
	if ((c->srv == SRV_GRPC && !grpc_python()) ||
	    !make_cert(b->dir, b->cert, b->key))
		skip();
	if (c->srv == SRV_GRPC) {
		grpc_srv_start(&b->g, b->cert, b->key, statuses);
		b->port = b->g.port;
	} else if (!(b->pid = https_srv_start(b->cert, b->key, &b->port))) {
		skip();
	}
}

/* From now on, answer well or badly. */
static void backend_answer(struct backend *b, bool ok)
{
	if (b->c->srv == SRV_GRPC)
		grpc_srv_set(&b->g, ok ? "=SERVING" : "=NOT_SERVING");
	else
		b->srv.status = ok ? 200 : 500;
}

/* As a dying process: every socket closed at once. */
static void backend_kill(struct backend *b)
{
	if (b->pid > 0)
		srv_fork_kill(b->pid);
	b->pid = 0;
	grpc_srv_kill(&b->g);
	if (b->srv.loop)
		srv_kill(&b->srv);
	if (b->filler >= 0)
		close(b->filler);
	if (b->fd >= 0)
		close(b->fd);
	b->filler = b->fd = -1;
	if (b->dir[0])
		remove_cert(b->dir, b->cert, b->key);
	b->dir[0] = '\0';
}

/* One test of a checker variant: its world, set up by hc_setup() from the
 * variant (the test's initial state) and torn down by hc_teardown()
 * whatever the test's outcome. */
struct hc_test {
	const struct checker *c;
	struct loop *loop;
	struct backend b;
	struct hc_params p;
	struct changes ch;		/* what the check reported */
	struct health_target *t;	/* the check */
};

static int hc_setup(void **state)
{
	struct hc_test *x = calloc(1, sizeof(*x));

	if (!x)
		return -1;
	x->c = *state;
	backend_init(&x->b, x->c);
	*state = x;
	return 0;
}

static int hc_teardown(void **state)
{
	struct hc_test *x = *state;

	health_stop(x->t);
	backend_kill(&x->b);
	if (x->loop)
		loop_free(x->loop);
	free(x);
	return 0;
}

/* The test's loop, made on first use (after any child is forked). */
static struct loop *hc_loop(struct hc_test *x)
{
	if (!x->loop)
		x->loop = loop_new();
	assert_non_null(x->loop);
	return x->loop;
}

/* The check's parameters against the backend, to change before
 * hc_start(). */
static struct hc_params *hc_params(struct hc_test *x, __u32 interval_ms,
				   __u32 timeout_ms)
{
	params(&x->p, x->c->type, x->b.port, interval_ms, timeout_ms);
	x->p.tls = x->c->tls;
	return &x->p;
}

/* Starts the check (stopping any before), reporting to a fresh x->ch. */
static struct health_target *hc_start(struct hc_test *x, bool v6)
{
	health_stop(x->t);
	memset(&x->ch, 0, sizeof(x->ch));
	x->t = start(hc_loop(x), &x->p, v6, &x->ch);
	return x->t;
}

static struct health_stats hc_stats(const struct hc_test *x)
{
	struct health_stats s;

	health_get_stats(x->t, &s);
	return s;
}

#endif /* XLB_TEST_HEALTH_SERVERS_H */
