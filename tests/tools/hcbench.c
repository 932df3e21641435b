// SPDX-License-Identifier: GPL-2.0
/* Health checks at scale: N local targets probed at a fixed rate; agent CPU,
 * probe rate and drift from the schedule. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/sysinfo.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agent/health.h"
#include "core/log.h"
#include "core/loop.h"

#define NSEC_PER_SEC 1000000000ULL
#define NSEC_PER_MSEC 1000000ULL

/*
 * What the server child saw: one event per TCP connection accepted, or per
 * HTTP request read, in the order they happened (one writer, the child; the
 * parent reads after the child is gone).
 */
struct srv_event {
	__u32 target;
	__u32 accept; /* a connection accepted, not a request (HTTP) */
	__u64 ns; /* loop_now_ns() */
};

struct srv_shm {
	__u64 nev, cap, dropped;
	struct srv_event ev[];
};

struct run_cfg {
	enum hc_type type;
	unsigned int n;
	unsigned int interval_ms;
	unsigned int timeout_ms;
	unsigned int warmup_s, window_s;
	bool stagger; /* start target i at i * interval / n, not all at once */
	bool verbose; /* keep the checkers' warnings (thousands when late) */
};

struct run_res {
	double agent_cpu, server_cpu; /* % of one core over the window */
	double rate, rate_expected; /* probes/s */
	double per_min, per_med, per_max, per_expected;
	__u64 failures;
	double late_p50, late_p99, late_max; /* ms */
	double drift_max; /* ms, lateness growth in window */
	unsigned int late_targets; /* with lateness > one interval */
	double conns; /* connections accepted per second */
	double load; /* 1-minute load average at the end */
};

/* Server child */

static const char http_resp[] = "HTTP/1.1 200 OK\r\n"
				"Content-Length: 3\r\n"
				"Connection: keep-alive\r\n"
				"\r\n"
				"ok\n";

struct srv_fd {
	__u32 target;
	__u8 listener;
	__u8 match; /* bytes of "\r\n\r\n" matched so far */
};

static void srv_record(struct srv_shm *shm, __u32 target, bool accept)
{
	if (shm->nev >= shm->cap) {
		shm->dropped++;
		return;
	}
	shm->ev[shm->nev].target = target;
	shm->ev[shm->nev].accept = accept;
	shm->ev[shm->nev].ns = loop_now_ns();
	shm->nev++;
}

/* Counts the requests ending in buf ("\r\n\r\n"; curl's GETs have no body)
 * and answers each. */
static int srv_http(int fd, struct srv_fd *f, const char *buf, ssize_t len,
		    struct srv_shm *shm)
{
	static const char end[] = "\r\n\r\n";
	ssize_t i;

	for (i = 0; i < len; i++) {
		if (buf[i] == end[f->match])
			f->match++;
		else
			f->match = buf[i] == '\r';
		if (f->match < 4)
			continue;
		f->match = 0;
		srv_record(shm, f->target, false);
		if (write(fd, http_resp, sizeof(http_resp) - 1) < 0)
			return -1;
	}
	return 0;
}

static void srv_conn(int ep, int fd, struct srv_fd *fds, bool http,
		     struct srv_shm *shm)
{
	char buf[4096];
	ssize_t len;

	for (;;) {
		len = read(fd, buf, sizeof(buf));
		if (len < 0 && errno == EAGAIN)
			return;
		if (len <= 0 ||
		    (http && srv_http(fd, &fds[fd], buf, len, shm) < 0))
			break;
	}
	epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
	close(fd);
}

static void srv_accept(int ep, int lfd, struct srv_fd *fds, int nfds, bool http,
		       struct srv_shm *shm)
{
	struct epoll_event e = {.events = EPOLLIN};
	int fd;

	while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
		/* a TCP probe is its connection */
		srv_record(shm, fds[lfd].target, http);
		if (fd >= nfds) {
			close(fd);
			continue;
		}
		fds[fd] = (struct srv_fd){.target = fds[lfd].target};
		e.data.fd = fd;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e))
			close(fd);
	}
}

/* Accepts on every listener and holds the connections until the peer
 * closes them (TCP probes hold theirs until the next one replaces it);
 * for HTTP, answers each request with a kept-alive 200. */
static void srv_run(const int *lfds, unsigned int n, bool http,
		    struct srv_shm *shm)
{
	struct epoll_event evs[256], e = {.events = EPOLLIN};
	struct rlimit rl;
	struct srv_fd *fds;
	unsigned int i;
	int ep, nfds, k, cnt;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	getrlimit(RLIMIT_NOFILE, &rl);
	nfds = rl.rlim_cur;
	fds = calloc(nfds, sizeof(*fds));
	ep = epoll_create1(0);
	if (!fds || ep < 0)
		_exit(1);
	for (i = 0; i < n; i++) {
		fds[lfds[i]] = (struct srv_fd){.target = i, .listener = 1};
		e.data.fd = lfds[i];
		if (epoll_ctl(ep, EPOLL_CTL_ADD, lfds[i], &e))
			_exit(1);
	}
	for (;;) {
		cnt = epoll_wait(ep, evs, 256, -1);
		if (cnt < 0 && errno != EINTR)
			_exit(1);
		for (k = 0; k < cnt; k++) {
			int fd = evs[k].data.fd;

			if (fds[fd].listener)
				srv_accept(ep, fd, fds, nfds, http, shm);
			else
				srv_conn(ep, fd, fds, http, shm);
		}
	}
}

static int listen_local(__u16 *port)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	socklen_t len = sizeof(sin);
	int fd;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) ||
	    listen(fd, 4096) ||
	    getsockname(fd, (struct sockaddr *)&sin, &len)) {
		close(fd);
		return -1;
	}
	*port = ntohs(sin.sin_port);
	return fd;
}

/* Parent: the agent's side */

struct bench {
	struct loop *loop;
	const struct run_cfg *cfg;
	struct health_target **t;
	__u64 *probes0, *fails0, *probes1, *fails1;
	__u64 w0_ns, w1_ns;
	double cpu0, cpu1;
	__u64 srv_cpu0, srv_cpu1;
	clockid_t srv_clock;
	/* starting the targets */
	struct hc_params p;
	const __u16 *ports;
	__u64 *start, t0_ns;
	unsigned int started;
	int err;
};

static int start_one(struct bench *b)
{
	union xlb_addr addr = {.v4 = htonl(INADDR_LOOPBACK)};
	unsigned int i = b->started;

	b->p.port = b->ports[i];
	b->start[i] = loop_now_ns();
	b->t[i] =
		health_start(b->loop, &b->p, &addr, XLB_FAMILY_V4, NULL, NULL);
	if (!b->t[i]) {
		perror("hcbench: health_start");
		return -1;
	}
	b->started++;
	return 0;
}

/* Staggered starts: those whose offset has come, then a timer for the
 * next. */
static void start_timer(struct loop *loop, void *arg)
{
	struct bench *b = arg;
	__u64 iv = b->cfg->interval_ms * NSEC_PER_MSEC, due, now;

	for (;;) {
		if (b->started == b->cfg->n)
			return;
		due = b->t0_ns + iv * b->started / b->cfg->n;
		now = loop_now_ns();
		if (due > now)
			break;
		if (start_one(b))
			goto fail;
	}
	if (loop_add_timer(loop, due - now, start_timer, b))
		return;
	fprintf(stderr, "hcbench: out of memory\n");
fail:
	b->err = -1;
	loop_stop(loop);
}

static double self_cpu_ns(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e9 +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e3;
}

static __u64 clock_ns(clockid_t clk)
{
	struct timespec ts;

	if (clock_gettime(clk, &ts))
		return 0;
	return ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

static void snapshot(struct bench *b, __u64 *probes, __u64 *fails)
{
	struct health_stats st;
	unsigned int i;

	for (i = 0; i < b->cfg->n; i++) {
		health_get_stats(b->t[i], &st);
		probes[i] = st.probes;
		fails[i] = st.failures;
	}
}

static void window_end(struct loop *loop, void *arg)
{
	struct bench *b = arg;

	b->w1_ns = loop_now_ns();
	b->cpu1 = self_cpu_ns();
	b->srv_cpu1 = clock_ns(b->srv_clock);
	snapshot(b, b->probes1, b->fails1);
	loop_stop(loop);
}

static void warmup_end(struct loop *loop, void *arg)
{
	struct bench *b = arg;

	b->w0_ns = loop_now_ns();
	b->cpu0 = self_cpu_ns();
	b->srv_cpu0 = clock_ns(b->srv_clock);
	snapshot(b, b->probes0, b->fails0);
	if (!loop_add_timer(loop, b->cfg->window_s * NSEC_PER_SEC, window_end,
			    b)) {
		fprintf(stderr, "hcbench: out of memory\n");
		loop_stop(loop);
	}
}

/* Runs the loop with stderr sent to /dev/null when quiet. */
static int run_quiet(struct loop *loop, bool quiet)
{
	int saved = -1, null, err;

	fflush(stderr);
	null = quiet ? open("/dev/null", O_WRONLY) : -1;
	if (null >= 0) {
		saved = dup(STDERR_FILENO);
		dup2(null, STDERR_FILENO);
		close(null);
	}
	err = loop_run(loop);
	fflush(stderr);
	if (saved >= 0) {
		dup2(saved, STDERR_FILENO);
		close(saved);
	}
	return err;
}

static double loadavg(void)
{
	double l = 0;
	FILE *f = fopen("/proc/loadavg", "r");

	if (f) {
		if (fscanf(f, "%lf", &l) != 1)
			l = 0;
		fclose(f);
	}
	return l;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double pct(const double *v, size_t n, double p)
{
	size_t k;

	if (!n)
		return 0;
	k = (size_t)(p * n + 0.999999);
	if (k < 1)
		k = 1;
	return v[(k > n ? n : k) - 1];
}

/*
 * Drift from the server's side: the k-th probe target i sends is due at
 * start_i + k * interval (the first is sent at once, fixed rate after).
 * Its lateness is when it arrived minus when it was due. On a fixed-rate
 * schedule it stays bounded; a target that falls behind, or whose schedule
 * restarts after a stall, shows a lateness that grows by whole slots.
 * Drift: a target's mean lateness in the second half of the window minus
 * that in the first half. Only probes arriving within the window count.
 */
struct tgt_late {
	double sum[2], max;
	unsigned int cnt[2], seq;
};

static void drift(const struct bench *b, const __u64 *start,
		  const struct srv_shm *shm, struct run_res *r)
{
	const struct run_cfg *c = b->cfg;
	__u64 iv = c->interval_ms * NSEC_PER_MSEC;
	__u64 mid = b->w0_ns + (b->w1_ns - b->w0_ns) / 2;
	double *late, lat, d;
	struct tgt_late *tl, *x;
	size_t nl = 0, k;
	unsigned int i;

	late = calloc(shm->nev + 1, sizeof(*late));
	tl = calloc(c->n, sizeof(*tl));
	if (!late || !tl) {
		fprintf(stderr, "hcbench: out of memory\n");
		exit(1);
	}
	r->conns = 0;
	for (k = 0; k < shm->nev; k++) {
		const struct srv_event *e = &shm->ev[k];
		bool in = e->ns >= b->w0_ns && e->ns < b->w1_ns;

		if (in && (e->accept || c->type == HC_TCP))
			r->conns++;
		if (e->accept)
			continue;
		x = &tl[e->target];
		lat = ((double)e->ns -
		       (double)(start[e->target] + x->seq++ * iv)) /
		      1e6;
		if (!in)
			continue;
		late[nl++] = lat;
		x->sum[e->ns >= mid] += lat;
		x->cnt[e->ns >= mid]++;
		if (lat > x->max)
			x->max = lat;
	}
	r->conns /= (b->w1_ns - b->w0_ns) / 1e9;
	r->drift_max = 0;
	r->late_targets = 0;
	for (i = 0; i < c->n; i++) {
		x = &tl[i];
		if (x->cnt[0] && x->cnt[1]) {
			d = x->sum[1] / x->cnt[1] - x->sum[0] / x->cnt[0];
			if (d > r->drift_max)
				r->drift_max = d;
		}
		if (x->max > c->interval_ms)
			r->late_targets++;
	}
	qsort(late, nl, sizeof(*late), cmp_double);
	r->late_p50 = pct(late, nl, 0.50);
	r->late_p99 = pct(late, nl, 0.99);
	r->late_max = nl ? late[nl - 1] : 0;
	free(late);
	free(tl);
}

static int run(const struct run_cfg *c, struct run_res *r)
{
	__u64 total_ns = (c->warmup_s + c->window_s + 1) * NSEC_PER_SEC;
	struct bench b = {.cfg = c};
	struct srv_shm *shm;
	double *per;
	__u64 *start, sum = 0;
	size_t shm_len, cap;
	__u16 *ports;
	int *lfds, status, err;
	unsigned int i;
	pid_t pid;

	/* room for every probe of the run, hint probes and a margin */
	cap = (size_t)c->n * (total_ns / (c->interval_ms * NSEC_PER_MSEC) + 4) *
	      2;
	shm_len = sizeof(*shm) + cap * sizeof(struct srv_event);
	shm = mmap(NULL, shm_len, PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	lfds = calloc(c->n, sizeof(*lfds));
	ports = calloc(c->n, sizeof(*ports));
	start = calloc(c->n, sizeof(*start));
	b.t = calloc(c->n, sizeof(*b.t));
	b.probes0 = calloc(c->n, sizeof(__u64));
	b.probes1 = calloc(c->n, sizeof(__u64));
	b.fails0 = calloc(c->n, sizeof(__u64));
	b.fails1 = calloc(c->n, sizeof(__u64));
	per = calloc(c->n, sizeof(*per));
	if (shm == MAP_FAILED || !lfds || !ports || !start || !b.t ||
	    !b.probes0 || !b.probes1 || !b.fails0 || !b.fails1 || !per) {
		fprintf(stderr, "hcbench: out of memory\n");
		return -1;
	}
	shm->cap = cap;

	for (i = 0; i < c->n; i++) {
		lfds[i] = listen_local(&ports[i]);
		if (lfds[i] < 0) {
			perror("hcbench: listen");
			return -1;
		}
	}
	pid = fork();
	if (pid < 0) {
		perror("hcbench: fork");
		return -1;
	}
	if (!pid)
		srv_run(lfds, c->n, c->type == HC_HTTP, shm);
	for (i = 0; i < c->n; i++)
		close(lfds[i]);
	if (clock_getcpuclockid(pid, &b.srv_clock)) {
		fprintf(stderr, "hcbench: no CPU clock for the server\n");
		kill(pid, SIGKILL);
		return -1;
	}

	b.loop = loop_new();
	if (!b.loop) {
		fprintf(stderr, "hcbench: out of memory\n");
		return -1;
	}
	health_params_init(&b.p);
	b.p.type = c->type;
	b.p.interval_ms = c->interval_ms;
	b.p.timeout_ms = c->timeout_ms;
	b.ports = ports;
	b.start = start;
	b.t0_ns = loop_now_ns();
	/* by default all at once, as the agent starts a configuration's
	 * backends */
	while (!c->stagger && b.started < c->n) {
		if (start_one(&b)) {
			kill(pid, SIGKILL);
			return -1;
		}
	}
	if ((c->stagger && !loop_add_timer(b.loop, 0, start_timer, &b)) ||
	    !loop_add_timer(b.loop, c->warmup_s * NSEC_PER_SEC, warmup_end,
			    &b)) {
		fprintf(stderr, "hcbench: out of memory\n");
		kill(pid, SIGKILL);
		return -1;
	}
	err = run_quiet(b.loop, !c->verbose);
	if (err < 0 || b.err || !b.w1_ns) {
		fprintf(stderr, "hcbench: loop failed\n");
		kill(pid, SIGKILL);
		return -1;
	}
	if (waitpid(pid, &status, WNOHANG) == pid) {
		fprintf(stderr, "hcbench: the server died (status %#x)\n",
			status);
		return -1;
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	for (i = 0; i < b.started; i++)
		health_stop(b.t[i]);
	loop_free(b.loop);

	{
		double wall = (double)(b.w1_ns - b.w0_ns);
		__u64 fails = 0;

		r->load = loadavg();
		r->agent_cpu = 100.0 * (b.cpu1 - b.cpu0) / wall;
		r->server_cpu =
			100.0 * (double)(b.srv_cpu1 - b.srv_cpu0) / wall;
		for (i = 0; i < c->n; i++) {
			per[i] = (double)(b.probes1[i] - b.probes0[i]);
			sum += b.probes1[i] - b.probes0[i];
			fails += b.fails1[i] - b.fails0[i];
		}
		r->failures = fails;
		r->rate = sum / (wall / 1e9);
		r->rate_expected = c->n * 1000.0 / c->interval_ms;
		r->per_expected = wall / 1e6 / c->interval_ms;
		qsort(per, c->n, sizeof(*per), cmp_double);
		r->per_min = per[0];
		r->per_med = per[c->n / 2];
		r->per_max = per[c->n - 1];
	}
	if (shm->dropped)
		fprintf(stderr, "hcbench: %llu server events not kept\n",
			(unsigned long long)shm->dropped);
	drift(&b, start, shm, r);

	munmap(shm, shm_len);
	free(lfds);
	free(ports);
	free(start);
	free(b.t);
	free(b.probes0);
	free(b.probes1);
	free(b.fails0);
	free(b.fails1);
	free(per);
	return 0;
}

static void print_header(void)
{
	printf("| targets | check | interval / timeout | probes/s (expected) | probes per target in window: min / median / max (expected) | failures | lateness p50 / p99 / max | drift max | late targets | connections/s | agent CPU | server CPU | load |\n");
	printf("|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
}

static void print_row(const struct run_cfg *c, const struct run_res *r)
{
	printf("| %u | %s%s | %u ms / %u ms | %.0f (%.0f) | %.0f / %.0f / %.0f (%.1f) | %llu | %.2f / %.2f / %.2f ms | %.2f ms | %u | %.0f | %.1f %% | %.1f %% | %.1f |\n",
	       c->n, health_type_name(c->type), c->stagger ? ", staggered" : "",
	       c->interval_ms, c->timeout_ms, r->rate, r->rate_expected,
	       r->per_min, r->per_med, r->per_max, r->per_expected,
	       (unsigned long long)r->failures, r->late_p50, r->late_p99,
	       r->late_max, r->drift_max, r->late_targets, r->conns,
	       r->agent_cpu, r->server_cpu, r->load);
	fflush(stdout);
}

static int lo_up(void)
{
	struct ifreq ifr = {0};
	int fd = socket(AF_INET, SOCK_DGRAM, 0), err = 0;

	if (fd < 0)
		return -1;
	strcpy(ifr.ifr_name, "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		err = -1;
	ifr.ifr_flags |= IFF_UP;
	if (!err && ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
		err = -1;
	close(fd);
	return err;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: xlb-hcbench [-t tcp|http] [-n targets] [-i interval_ms] [-T timeout_ms]\n"
		"                   [-w window_s] [-W warmup_s] [-s] [-v]\n"
		"-s: start the targets spread over one interval\n"
		"-v: show the checkers' warnings\n"
		"Without -t: 1000 tcp and 1000 http at 100 ms, 3000 tcp at 1 s.\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct run_cfg one = {
		.n = 1000, .interval_ms = 100, .warmup_s = 2, .window_s = 10};
	struct run_cfg cfgs[3];
	unsigned int ncfg = 3, i;
	bool custom = false;
	struct rlimit rl;
	struct run_res r;
	int opt;

	while ((opt = getopt(argc, argv, "t:n:i:T:w:W:svh")) != -1) {
		switch (opt) {
		case 'v':
			one.verbose = true;
			break;
		case 's':
			one.stagger = true;
			break;
		case 't':
			if (health_type_parse(optarg, &one.type) ||
			    (one.type != HC_TCP && one.type != HC_HTTP))
				usage();
			custom = true;
			break;
		case 'n':
			one.n = strtoul(optarg, NULL, 0);
			break;
		case 'i':
			one.interval_ms = strtoul(optarg, NULL, 0);
			break;
		case 'T':
			one.timeout_ms = strtoul(optarg, NULL, 0);
			break;
		case 'w':
			one.window_s = strtoul(optarg, NULL, 0);
			break;
		case 'W':
			one.warmup_s = strtoul(optarg, NULL, 0);
			break;
		default:
			usage();
		}
	}
	if (!one.n || !one.interval_ms || !one.window_s || optind != argc ||
	    one.interval_ms > 60000)
		usage();
	if (custom) {
		if (!one.timeout_ms)
			one.timeout_ms =
				one.interval_ms < 500 ? one.interval_ms : 500;
		cfgs[0] = one;
		ncfg = 1;
	} else {
		for (i = 0; i < 3; i++) {
			cfgs[i] = one;
			cfgs[i].type = i == 1 ? HC_HTTP : HC_TCP;
			cfgs[i].timeout_ms = 100;
		}
		cfgs[2].n = 3000;
		cfgs[2].interval_ms = 1000;
		cfgs[2].timeout_ms = 500;
	}

	log_init(LOG_LVL_WARN);
	if (unshare(CLONE_NEWNET)) {
		perror("unshare");
		return 1;
	}
	if (lo_up()) {
		perror("lo up");
		return 1;
	}
	/* a listener, a held connection and a probe per target, both sides */
	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	signal(SIGPIPE, SIG_IGN);

	print_header();
	for (i = 0; i < ncfg; i++) {
		if (run(&cfgs[i], &r))
			return 1;
		print_row(&cfgs[i], &r);
	}
	printf("\nTargets started %s; a warm-up of %u s, then a %u s window. "
	       "Lateness: when a probe reached the server (accept for tcp, "
	       "request read for http) minus when it was due on its target's "
	       "fixed-rate schedule (start + k x interval). Drift: a target's "
	       "mean lateness in the second half of the window minus the first "
	       "half, the largest over targets. Late targets: with a probe more "
	       "than one interval late (a slot lost). Connections/s: accepted by "
	       "the server (http keeps them alive). CPU: user + system time "
	       "over wall time, %% of one core; agent = this process running "
	       "xlb's loop and checkers (its share includes the kernel's "
	       "loopback work done in its context), server = the local child "
	       "answering. Load: the machine's 1-minute load average at the "
	       "end, %d CPUs online (other work on the machine competes for "
	       "them).\n",
	       cfgs[0].stagger ? "spread over one interval (-s)"
			       : "at once, as the agent starts them",
	       cfgs[0].warmup_s, cfgs[0].window_s, get_nprocs());
	return 0;
}
