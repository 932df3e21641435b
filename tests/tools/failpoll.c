// SPDX-License-Identifier: GPL-2.0
/* xlb-failpoll: times a failover for the benchmark. Injects a fault, polls
 * a backend's packet counter in the pinned maps and reports when the last
 * packet was forwarded to it; "stamp" timestamps the agent's log lines. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "xlb_abi.h"

#define NSEC_PER_USEC 1000ULL
#define NSEC_PER_MSEC 1000000ULL
#define LOG_BUF 65536

static void usage(void)
{
	fprintf(stderr,
		"Usage: xlb-failpoll stamp\n"
		"       xlb-failpoll watch -m STATS_MAP -b ID [-B BACKENDS_MAP]\n"
		"                          [-l STAMPED_LOG -p TEXT] [-i POLL_US]\n"
		"                          [-q QUIET_MS] [-t TIMEOUT_MS] "
		"[-w WAIT_MS] FAULT\n"
		"FAULT: kill PID | link-down NETNS IFNAME\n"
		"stamp copies stdin to stdout, each line prefixed with the\n"
		"CLOCK_MONOTONIC nanoseconds at which it was read. watch waits\n"
		"for traffic to reach backend ID, injects the fault, then polls\n"
		"the backend's packet counter every POLL_US (default 200) until\n"
		"the decision (the earlier of the first new log line containing\n"
		"TEXT and the first poll that sees the down flag in\n"
		"BACKENDS_MAP; both are awaited when both are given) is followed\n"
		"by QUIET_MS (default 300) without a packet to it; prints one\n"
		"JSON line of times.\n");
}

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + (__u64)ts.tv_nsec;
}

/* ---- stamp ---- */

static int do_stamp(void)
{
	static char buf[LOG_BUF];
	size_t len = 0;
	bool line_start = true;

	for (;;) {
		ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
		__u64 t = now_ns();
		char *p, *nl;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len = (size_t)n;
		for (p = buf; p < buf + len; p = nl + 1) {
			nl = memchr(p, '\n', buf + len - p);
			if (line_start)
				printf("%llu ", (unsigned long long)t);
			if (!nl) {
				fwrite(p, 1, buf + len - p, stdout);
				line_start = false;
				break;
			}
			fwrite(p, 1, nl + 1 - p, stdout);
			line_start = true;
		}
		fflush(stdout);
	}
	return 0;
}

/* ---- watch ---- */

struct watch {
	int stats_fd;
	int backends_fd; /* -1: not watched */
	__u32 id;
	int ncpu;
	struct xlb_counter *vals;
	int log_fd; /* -1: no log */
	const char *pattern;
	char logbuf[LOG_BUF];
	size_t loglen;
	__u64 poll_ns, quiet_ns, timeout_ns, wait_ns;
	/* the fault */
	pid_t kill_pid;
	int if_sock; /* a socket in the backend's namespace */
	struct ifreq ifr;
};

static int read_packets(struct watch *w, __u64 *packets)
{
	__u64 sum = 0;

	if (bpf_map_lookup_elem(w->stats_fd, &w->id, w->vals))
		return -errno;
	for (int c = 0; c < w->ncpu; c++)
		sum += w->vals[c].packets;
	*packets = sum;
	return 0;
}

/* 1: flagged down, 0: usable, -errno on error. */
static int backend_down(struct watch *w)
{
	struct xlb_backend be;

	if (w->backends_fd < 0)
		return 0;
	if (bpf_map_lookup_elem(w->backends_fd, &w->id, &be))
		return -errno;
	return !be.family || (be.flags & XLB_BACKEND_DOWN);
}

/* Reads what the stamped log gained; returns the stamp of the first line
 * containing the pattern, 0 if none yet. */
static __u64 log_scan(struct watch *w)
{
	char *p, *nl;
	ssize_t n;
	__u64 found = 0;

	if (w->log_fd < 0)
		return 0;
	for (;;) {
		if (w->loglen == sizeof(w->logbuf) - 1)
			w->loglen = 0; /* an absurd line: drop it */
		n = read(w->log_fd, w->logbuf + w->loglen,
			 sizeof(w->logbuf) - 1 - w->loglen);
		if (n <= 0)
			break;
		w->loglen += (size_t)n;
	}
	w->logbuf[w->loglen] = '\0';
	p = w->logbuf;
	while (!found && (nl = strchr(p, '\n'))) {
		*nl = '\0';
		if (strstr(p, w->pattern))
			found = strtoull(p, NULL, 10);
		p = nl + 1;
	}
	if (found) {
		w->loglen = 0;
		return found;
	}
	w->loglen -= (size_t)(p - w->logbuf);
	memmove(w->logbuf, p, w->loglen);
	return 0;
}

/* A socket in the backend's network namespace: SIOCSIFFLAGS on it acts
 * on that namespace's devices. */
static int prepare_link_down(struct watch *w, const char *netns,
			     const char *ifname)
{
	char path[PATH_MAX];
	int self, target, err = 0;

	if (strchr(netns, '/'))
		snprintf(path, sizeof(path), "%s", netns);
	else
		snprintf(path, sizeof(path), "/run/netns/%s", netns);
	self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	target = open(path, O_RDONLY | O_CLOEXEC);
	if (self < 0 || target < 0) {
		err = -errno;
		goto out;
	}
	if (setns(target, CLONE_NEWNET)) {
		err = -errno;
		goto out;
	}
	w->if_sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (w->if_sock < 0)
		err = -errno;
	if (setns(self, CLONE_NEWNET) && !err)
		err = -errno;
	if (err)
		goto out;
	snprintf(w->ifr.ifr_name, sizeof(w->ifr.ifr_name), "%s", ifname);
	if (ioctl(w->if_sock, SIOCGIFFLAGS, &w->ifr))
		err = -errno;
out:
	if (self >= 0)
		close(self);
	if (target >= 0)
		close(target);
	return err;
}

/* Injects the fault; returns its time (just before the call that makes
 * it) or 0, and the call's duration in *call_ns. */
static __u64 inject(struct watch *w, __u64 *call_ns)
{
	__u64 t = now_ns();

	if (w->kill_pid) {
		if (kill(w->kill_pid, SIGKILL))
			return 0;
	} else {
		w->ifr.ifr_flags &= ~IFF_UP;
		if (ioctl(w->if_sock, SIOCSIFFLAGS, &w->ifr))
			return 0;
	}
	*call_ns = now_ns() - t;
	return t;
}

static void sleep_until(__u64 t)
{
	struct timespec ts = {.tv_sec = (time_t)(t / 1000000000ULL),
			      .tv_nsec = (long)(t % 1000000000ULL)};

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) ==
	       EINTR)
		;
}

static double ms(__u64 a, __u64 b)
{
	return ((double)a - (double)b) / 1e6;
}

/* When the backend's packet count changed after the fault, and to what. */
struct change {
	__u64 t, packets;
};

struct history {
	struct change *c;
	size_t n, cap;
};

static int history_add(struct history *h, __u64 t, __u64 packets)
{
	if (h->n == h->cap) {
		size_t cap = h->cap ? 2 * h->cap : 4096;
		struct change *c = realloc(h->c, cap * sizeof(*c));

		if (!c)
			return -ENOMEM;
		h->c = c;
		h->cap = cap;
	}
	h->c[h->n++] = (struct change){t, packets};
	return 0;
}

/* The count as it stood at time t. */
static __u64 history_at(const struct history *h, __u64 t, __u64 initial)
{
	__u64 v = initial;

	for (size_t i = 0; i < h->n && h->c[i].t <= t; i++)
		v = h->c[i].packets;
	return v;
}

/* Waits until traffic reaches the backend, checks it is up and that no
 * decision is pending in the log. */
static int before_fault(struct watch *w)
{
	__u64 pkts, first, start, t;
	int err, down;

	err = read_packets(w, &first);
	if (err)
		return err;
	pkts = first;
	start = now_ns();
	for (t = start; pkts == first && t - start < w->wait_ns; t = now_ns()) {
		sleep_until(t + w->poll_ns);
		err = read_packets(w, &pkts);
		if (err)
			return err;
	}
	if (pkts == first) {
		fprintf(stderr, "xlb-failpoll: no traffic reaches backend %u\n",
			w->id);
		return -ENODATA;
	}
	down = backend_down(w);
	if (down) {
		fprintf(stderr, "xlb-failpoll: backend %u is down already\n",
			w->id);
		return down < 0 ? down : -EALREADY;
	}
	if (log_scan(w)) { /* lines before the fault do not count */
		fprintf(stderr, "xlb-failpoll: decision before the fault\n");
		return -EALREADY;
	}
	return 0;
}

/*
 * The decision is the earlier of the log line's stamp and the first poll
 * that saw the down flag: the agent logs, then writes the map, so both
 * come after the decision itself, and either may lag (the stamper's or
 * our wake-up). Both are awaited when both are watched.
 */
static int run_watch(struct watch *w)
{
	__u64 pkts, last_pkts, t, next, fault, call_ns = 0, decision = 0;
	__u64 log_t = 0, flag_t = 0, last = 0, last_prev = 0, prev;
	__u64 at_fault, at_decision;
	struct history h = {};
	int err;

	err = before_fault(w);
	if (!err)
		err = read_packets(w, &at_fault);
	if (err)
		return err;
	fault = inject(w, &call_ns);
	if (!fault) {
		err = -errno;
		fprintf(stderr, "xlb-failpoll: fault: %s\n", strerror(-err));
		return err;
	}
	last_pkts = at_fault;
	prev = fault;
	for (next = fault + w->poll_ns;; next += w->poll_ns) {
		sleep_until(next);
		if (!log_t && w->log_fd >= 0)
			log_t = log_scan(w);
		t = now_ns();
		if (!flag_t && backend_down(w) > 0)
			flag_t = t;
		err = read_packets(w, &pkts);
		if (err)
			goto out;
		if (pkts != last_pkts) {
			err = history_add(&h, t, pkts);
			if (err)
				goto out;
			last = t;
			last_prev = prev;
			last_pkts = pkts;
		}
		prev = t;
		if ((w->log_fd < 0 || log_t) &&
		    (w->backends_fd < 0 || flag_t)) {
			decision = !log_t	    ? flag_t
				   : !flag_t	    ? log_t
				   : log_t < flag_t ? log_t
						    : flag_t;
			if (t - (last > decision ? last : decision) >=
			    w->quiet_ns)
				break;
		}
		if (t - fault >= w->timeout_ns) {
			fprintf(stderr,
				"xlb-failpoll: no decision within %llu "
				"ms\n",
				(unsigned long long)(w->timeout_ns /
						     NSEC_PER_MSEC));
			err = -ETIMEDOUT;
			goto out;
		}
	}
	if (!last) { /* nothing at all after the fault */
		last = fault;
		last_prev = fault;
	}
	at_decision = history_at(&h, decision, at_fault);
	printf("{\"fault_ns\": %llu, \"fault_call_us\": %.1f, "
	       "\"log_ns\": %llu, \"flag_ns\": %llu, \"decision_ns\": %llu, "
	       "\"last_ns\": %llu, \"detect_ms\": %.3f, \"e2e_ms\": %.3f, "
	       "\"after_decision_ms\": %.3f, \"last_uncertainty_ms\": %.3f, "
	       "\"pkts_fault_to_decision\": %llu, "
	       "\"pkts_after_decision\": %llu, \"poll_us\": %llu}\n",
	       (unsigned long long)fault, call_ns / 1e3,
	       (unsigned long long)log_t, (unsigned long long)flag_t,
	       (unsigned long long)decision, (unsigned long long)last,
	       ms(decision, fault), ms(last, fault), ms(last, decision),
	       ms(last, last_prev),
	       (unsigned long long)(at_decision - at_fault),
	       (unsigned long long)(last_pkts - at_decision),
	       (unsigned long long)(w->poll_ns / NSEC_PER_USEC));
out:
	free(h.c);
	return err;
}

static int open_map(const char *path)
{
	int fd = bpf_obj_get(path);

	if (fd < 0)
		fprintf(stderr, "xlb-failpoll: %s: %s\n", path,
			strerror(errno));
	return fd;
}

static int do_watch(int argc, char **argv)
{
	static struct watch w = {
		.stats_fd = -1, .backends_fd = -1, .log_fd = -1, .if_sock = -1};
	const char *stats = NULL, *backends = NULL, *log = NULL;
	char *end;
	int c, err;

	w.poll_ns = 200 * NSEC_PER_USEC;
	w.quiet_ns = 300 * NSEC_PER_MSEC;
	w.timeout_ns = 20000 * NSEC_PER_MSEC;
	w.wait_ns = 2000 * NSEC_PER_MSEC;
	w.id = 0;
	while ((c = getopt(argc, argv, "m:B:b:l:p:i:q:t:w:")) != -1) {
		unsigned long long v = 0;

		if (strchr("biqtw", c)) {
			errno = 0;
			v = strtoull(optarg, &end, 10);
			if (errno || *end || !v) {
				usage();
				return 2;
			}
		}
		switch (c) {
		case 'm':
			stats = optarg;
			break;
		case 'B':
			backends = optarg;
			break;
		case 'b':
			w.id = (__u32)v;
			break;
		case 'l':
			log = optarg;
			break;
		case 'p':
			w.pattern = optarg;
			break;
		case 'i':
			w.poll_ns = v * NSEC_PER_USEC;
			break;
		case 'q':
			w.quiet_ns = v * NSEC_PER_MSEC;
			break;
		case 't':
			w.timeout_ns = v * NSEC_PER_MSEC;
			break;
		case 'w':
			w.wait_ns = v * NSEC_PER_MSEC;
			break;
		default:
			usage();
			return 2;
		}
	}
	argc -= optind;
	argv += optind;
	if (!stats || !w.id || w.id >= XLB_MAX_BACKENDS ||
	    !!log != !!w.pattern || (!log && !backends) || argc < 1) {
		usage();
		return 2;
	}
	if (!strcmp(argv[0], "kill") && argc == 2) {
		w.kill_pid = (pid_t)strtol(argv[1], &end, 10);
		if (*end || w.kill_pid <= 0) {
			usage();
			return 2;
		}
	} else if (!strcmp(argv[0], "link-down") && argc == 3) {
		err = prepare_link_down(&w, argv[1], argv[2]);
		if (err) {
			fprintf(stderr, "xlb-failpoll: %s %s: %s\n", argv[1],
				argv[2], strerror(-err));
			return 1;
		}
	} else {
		usage();
		return 2;
	}

	w.ncpu = libbpf_num_possible_cpus();
	if (w.ncpu <= 0)
		return 1;
	w.vals = calloc((size_t)w.ncpu, sizeof(*w.vals));
	if (!w.vals)
		return 1;
	w.stats_fd = open_map(stats);
	if (w.stats_fd < 0)
		return 1;
	if (backends) {
		w.backends_fd = open_map(backends);
		if (w.backends_fd < 0)
			return 1;
	}
	if (log) {
		w.log_fd = open(log, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		if (w.log_fd < 0 || lseek(w.log_fd, 0, SEEK_END) < 0) {
			fprintf(stderr, "xlb-failpoll: %s: %s\n", log,
				strerror(errno));
			return 1;
		}
	}
	err = run_watch(&w);
	free(w.vals);
	return err ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "stamp") && argc == 2)
		return do_stamp();
	if (argc >= 2 && !strcmp(argv[1], "watch"))
		return do_watch(argc - 1, argv + 1);
	usage();
	return 2;
}
