// SPDX-License-Identifier: GPL-2.0
/* Rates from two "stats" snapshots: "xlb stats --interval" and the live
 * full-screen "xlb top" (plain ANSI escapes, raw terminal via termios). */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/client.h"
#include "cli/top.h"
#include "cli/usage.h"

/*
 * Rates are per second over the measured interval. Per backend, new
 * flows/s is the rise of its "new_flows" counter (flows opened on it:
 * new, moved to it, reopened), per VIP their sum; the
 * total over all VIPs is the data path's flow_miss counter per second
 * ("new_flows_per_s" at the top level). "flows" is the active flows now.
 */

static json_object *get(json_object *o, const char *key)
{
	json_object *v;

	return o && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

static long long geti(json_object *o, const char *key)
{
	json_object *v = get(o, key);

	return v ? json_object_get_int64(v) : 0;
}

static const char *gets(json_object *o, const char *key)
{
	json_object *v = get(o, key);

	return v ? json_object_get_string(v) : "";
}

static double getd(json_object *o, const char *key)
{
	json_object *v = get(o, key);

	return v ? json_object_get_double(v) : 0;
}

/* The element of array arr whose key equals val, or NULL. */
static json_object *find(json_object *arr, const char *key, const char *val)
{
	for (size_t i = 0; arr && i < json_object_array_length(arr); i++) {
		json_object *e = json_object_array_get_idx(arr, i);

		if (!strcmp(gets(e, key), val))
			return e;
	}
	return NULL;
}

/* A counter's rise per second; 0 when it went backwards (agent restart,
 * VIP re-added). */
static double rate(json_object *prev, json_object *cur, const char *key,
		   double secs)
{
	long long a = geti(prev, key), b = geti(cur, key);

	return prev && b >= a && secs > 0 ? (b - a) / secs : 0;
}

static void add_d(json_object *o, const char *key, double v)
{
	/* one decimal: rates are not that precise */
	json_object_object_add(
		o, key,
		json_object_new_double((long long)(v * 10 + 0.5) / 10.0));
}

static void add_rates(json_object *o, json_object *prev, json_object *cur,
		      long long flows, long long opened, long long prev_opened,
		      double secs)
{
	add_d(o, "packets_per_s", rate(prev, cur, "packets", secs));
	add_d(o, "bits_per_s", 8 * rate(prev, cur, "bytes", secs));
	add_d(o, "new_flows_per_s",
	      prev && opened >= prev_opened && secs > 0
		      ? (opened - prev_opened) / secs
		      : 0);
	json_object_object_add(o, "flows", json_object_new_int64(flows));
}

static json_object *backend_rates(json_object *pb, json_object *b, double secs)
{
	json_object *o = json_object_new_object(), *h = get(b, "health");

	json_object_object_add(o, "address",
			       json_object_new_string(gets(b, "address")));
	json_object_object_add(o, "state",
			       json_object_new_string(gets(b, "state")));
	json_object_object_add(o, "weight",
			       json_object_new_int64(geti(b, "weight")));
	add_d(o, "effective_weight", getd(b, "effective_weight"));
	add_rates(o, pb, b, geti(b, "flows"), geti(b, "new_flows"),
		  geti(pb, "new_flows"), secs);
	json_object_object_add(
		o, "latency_p50_us",
		json_object_new_int64(geti(h, "latency_p50_us")));
	json_object_object_add(
		o, "latency_p99_us",
		json_object_new_int64(geti(h, "latency_p99_us")));
	return o;
}

static long long sum_of(json_object *bes, const char *key)
{
	long long n = 0;

	for (size_t i = 0; bes && i < json_object_array_length(bes); i++)
		n += geti(json_object_array_get_idx(bes, i), key);
	return n;
}

static json_object *vip_rates(json_object *pv, json_object *v, double secs)
{
	json_object *o = json_object_new_object(), *arr, *bes, *pbes;

	json_object_object_add(o, "name",
			       json_object_new_string(gets(v, "name")));
	json_object_object_add(o, "address",
			       json_object_new_string(gets(v, "address")));
	json_object_object_add(o, "port",
			       json_object_new_int64(geti(v, "port")));
	json_object_object_add(o, "protocol",
			       json_object_new_string(gets(v, "protocol")));
	bes = get(v, "backends");
	pbes = get(pv, "backends");
	add_rates(o, pv, v, sum_of(bes, "flows"), sum_of(bes, "new_flows"),
		  sum_of(pbes, "new_flows"), secs);
	arr = json_object_new_array();
	for (size_t i = 0; bes && i < json_object_array_length(bes); i++) {
		json_object *b = json_object_array_get_idx(bes, i);

		json_object_array_add(
			arr,
			backend_rates(find(pbes, "address", gets(b, "address")),
				      b, secs));
	}
	json_object_object_add(o, "backends", arr);
	return o;
}

/* Per-second rates between two "stats" answers taken secs apart. */
static json_object *rates_json(json_object *prev, json_object *cur, double secs)
{
	json_object *o = json_object_new_object(), *arr, *vips, *reasons;
	json_object *r = json_object_new_object();

	add_d(o, "interval_s", secs);
	add_d(o, "new_flows_per_s",
	      rate(get(prev, "reasons"), get(cur, "reasons"), "flow_miss",
		   secs));
	vips = get(cur, "vips");
	arr = json_object_new_array();
	for (size_t i = 0; vips && i < json_object_array_length(vips); i++) {
		json_object *v = json_object_array_get_idx(vips, i);

		json_object_array_add(arr,
				      vip_rates(find(get(prev, "vips"), "name",
						     gets(v, "name")),
						v, secs));
	}
	json_object_object_add(o, "vips", arr);
	reasons = get(cur, "reasons");
	if (reasons) {
		json_object_object_foreach (reasons, key, val) {
			(void)val;
			add_d(r, key,
			      rate(get(prev, "reasons"), reasons, key, secs));
		}
	}
	json_object_object_add(o, "reasons_per_s", r);
	return o;
}

/* 1234567 -> "1.23M": a rate in at most 7 characters. */
static const char *si(double v, char *buf, size_t len)
{
	static const char units[] = " kMGTP";
	unsigned int u = 0;

	while (v >= 999.5 && u < sizeof(units) - 2) {
		v /= 1000;
		u++;
	}
	if (!u)
		snprintf(buf, len, "%.*f", v < 100 && v != (long long)v ? 1 : 0,
			 v);
	else
		snprintf(buf, len, "%.*f%c",
			 v < 10	   ? 2
			 : v < 100 ? 1
				   : 0,
			 v, units[u]);
	return buf;
}

static double monotonic_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* One "stats" answer (for one VIP when vip is set) and when it came. */
static int sample(const char *vip, json_object **resp, double *when)
{
	json_object *req = json_object_new_object();

	json_object_object_add(req, "cmd", json_object_new_string("stats"));
	if (vip)
		json_object_object_add(req, "vip", json_object_new_string(vip));
	*when = monotonic_s();
	return cli_call(req, resp);
}

/* ---- sorting and the table both commands print ---- */

enum sort_key {
	SORT_PACKETS,
	SORT_BITS,
	SORT_NEW,
	SORT_FLOWS,
	SORT_NAME,
	SORT_MAX
};

static const char *const sort_names[SORT_MAX] = {
	"packets/s", "bits/s", "new flows/s", "flows", "name",
};
static const char *const sort_fields[SORT_MAX] = {
	"packets_per_s", "bits_per_s", "new_flows_per_s", "flows", NULL,
};
static enum sort_key sort_by;

static const char *label(json_object *o)
{
	const char *n = gets(o, "name");

	return *n ? n : gets(o, "address");
}

/* Highest first; by name (then address) on ties and for SORT_NAME. */
static int cmp_rows(const void *a, const void *b)
{
	json_object *x = *(json_object *const *)a;
	json_object *y = *(json_object *const *)b;

	if (sort_fields[sort_by]) {
		double dx = getd(x, sort_fields[sort_by]);
		double dy = getd(y, sort_fields[sort_by]);

		if (dx != dy)
			return dx < dy ? 1 : -1;
	}
	return strcmp(label(x), label(y));
}

static void sort_rates(json_object *r)
{
	json_object *vips = get(r, "vips");

	if (!vips)
		return;
	json_object_array_sort(vips, cmp_rows);
	for (size_t i = 0; i < json_object_array_length(vips); i++) {
		json_object *bes =
			get(json_object_array_get_idx(vips, i), "backends");

		if (bes)
			json_object_array_sort(bes, cmp_rows);
	}
}

/* Emits one line of at most width columns (0: no limit). */
typedef void (*line_fn)(const char *line, int width);

static void row(line_fn out, int width, const char *name, const char *state,
		const char *eff, json_object *o, json_object *h)
{
	char line[512], p[16], b[16], n[16], l50[16] = "-", l99[16] = "-";

	if (h) {
		snprintf(l50, sizeof(l50), "%.1f",
			 geti(h, "latency_p50_us") / 1e3);
		snprintf(l99, sizeof(l99), "%.1f",
			 geti(h, "latency_p99_us") / 1e3);
	}
	snprintf(line, sizeof(line), "%-30s %-9s %6s %9s %9s %8s %8lld %8s %8s",
		 name, state, eff, si(getd(o, "packets_per_s"), p, sizeof(p)),
		 si(getd(o, "bits_per_s"), b, sizeof(b)),
		 si(getd(o, "new_flows_per_s"), n, sizeof(n)), geti(o, "flows"),
		 l50, l99);
	out(line, width);
}

static void print_rates(json_object *r, line_fn out, int width)
{
	json_object *vips = get(r, "vips");
	char line[512], eff[16], name[64], buf[16];

	snprintf(line, sizeof(line), "%-30s %-9s %6s %9s %9s %8s %8s %8s %8s",
		 "VIP / backend", "state", "eff.w", "pkts/s", "bits/s",
		 "newfl/s", "flows", "p50 ms", "p99 ms");
	out(line, width);
	for (size_t i = 0; vips && i < json_object_array_length(vips); i++) {
		json_object *v = json_object_array_get_idx(vips, i);
		json_object *bes = get(v, "backends");

		snprintf(name, sizeof(name), "%s %s:%lld/%s", gets(v, "name"),
			 gets(v, "address"), geti(v, "port"),
			 gets(v, "protocol"));
		row(out, width, name, "", "", v, NULL);
		for (size_t j = 0; bes && j < json_object_array_length(bes);
		     j++) {
			json_object *b = json_object_array_get_idx(bes, j);

			snprintf(name, sizeof(name), "  %s",
				 gets(b, "address"));
			snprintf(eff, sizeof(eff), "%.1f",
				 getd(b, "effective_weight"));
			row(out, width, name, gets(b, "state"), eff, b, b);
		}
	}
	snprintf(line, sizeof(line), "new flows/s (data path, all VIPs): %s",
		 si(getd(r, "new_flows_per_s"), buf, sizeof(buf)));
	out(line, width);
}

static void plain_line(const char *line, int width)
{
	(void)width;
	printf("%s\n", line);
}

/* ---- xlb stats --interval ---- */

int stats_rates(const char *vip, double interval, long count)
{
	json_object *prev, *cur, *r;
	double t0, t1;
	int err;

	err = sample(vip, &prev, &t0);
	if (err)
		return err;
	for (long n = 0; !count || n < count; n++) {
		struct timespec ts = {
			.tv_sec = (time_t)interval,
			.tv_nsec = (long)((interval - (time_t)interval) * 1e9)};

		nanosleep(&ts, NULL);
		err = sample(vip, &cur, &t1);
		if (err)
			break;
		r = rates_json(prev, cur, t1 - t0);
		if (cli.json) {
			printf("%s\n",
			       json_object_to_json_string_ext(
				       r,
				       JSON_C_TO_STRING_PLAIN |
					       JSON_C_TO_STRING_NOSLASHESCAPE));
		} else {
			json_object *reasons = get(r, "reasons_per_s");

			printf("rates per second over %.1f s\n",
			       getd(r, "interval_s"));
			print_rates(r, plain_line, 0);
			printf("data path counters per second\n");
			json_object_object_foreach (reasons, key, val)
				if (json_object_get_double(val) > 0)
					printf("  %-22s %.1f\n", key,
					       json_object_get_double(val));
		}
		fflush(stdout);
		json_object_put(r);
		json_object_put(prev);
		prev = cur;
		t0 = t1;
	}
	json_object_put(prev);
	return err;
}

/* ---- xlb top ---- */

static struct termios saved_tio;
static bool raw_mode, ansi;
static volatile sig_atomic_t stop_sig, resized;

static void term_restore(void)
{
	if (ansi) {
		/* cursor back, leave the alternate screen */
		fputs("\033[?25h\033[?1049l", stdout);
		fflush(stdout);
		ansi = false;
	}
	if (raw_mode) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_tio);
		raw_mode = false;
	}
}

static void on_signal(int sig)
{
	if (sig == SIGWINCH)
		resized = 1;
	else
		stop_sig = sig;
}

static void term_setup(void)
{
	struct termios tio;

	if (isatty(STDIN_FILENO) && !tcgetattr(STDIN_FILENO, &saved_tio)) {
		tio = saved_tio;
		tio.c_lflag &= ~(ICANON | ECHO);
		tio.c_cc[VMIN] = 0;
		tio.c_cc[VTIME] = 0;
		if (!tcsetattr(STDIN_FILENO, TCSAFLUSH, &tio))
			raw_mode = true;
	}
	if (isatty(STDOUT_FILENO)) {
		/* alternate screen, cursor hidden */
		fputs("\033[?1049h\033[?25l", stdout);
		ansi = true;
	}
	atexit(term_restore);
}

static int term_size(int *rows)
{
	struct winsize ws;

	if (ansi && !ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) && ws.ws_col) {
		*rows = ws.ws_row;
		return ws.ws_col;
	}
	*rows = 0;
	return 0;
}

static int lines_left;

/* A screen line: cut at the width, erased to its end, none past the
 * last row. */
static void screen_line(const char *line, int width)
{
	if (!ansi) {
		printf("%s\n", line);
		return;
	}
	if (lines_left <= 0)
		return;
	lines_left--;
	printf("%.*s\033[K%s", width, line, lines_left ? "\r\n" : "");
}

static void draw(json_object *r, const char *vip, double interval)
{
	int rows, width = term_size(&rows);
	char line[256];

	lines_left = rows ? rows : 1 << 30;
	if (!width)
		width = 1 << 30;
	if (ansi)
		fputs("\033[H", stdout);
	else
		printf("\n");
	snprintf(line, sizeof(line),
		 "xlb top  %s%severy %.1f s  sorted by %s  "
		 "(s: sort, q: quit)",
		 vip ? vip : "", vip ? "  " : "", interval,
		 sort_names[sort_by]);
	screen_line(line, width);
	if (r) {
		sort_rates(r);
		print_rates(r, screen_line, width);
	} else {
		screen_line("measuring...", width);
	}
	if (ansi)
		fputs("\033[J", stdout); /* clear below */
	fflush(stdout);
}

/* Reads the keys pressed; false when 'q' was. */
static bool read_keys(bool *redraw)
{
	char c[32];
	ssize_t n = read(STDIN_FILENO, c, sizeof(c));

	for (ssize_t i = 0; i < n; i++) {
		if (c[i] == 'q' || c[i] == 'Q')
			return false;
		if (c[i] == 's' || c[i] == 'S') {
			sort_by = (sort_by + 1) % SORT_MAX;
			*redraw = true;
		}
	}
	return true;
}

static int top_usage(void)
{
	return cli_error("usage: xlb top " USAGE_TOP);
}

int do_top(int argc, char **argv)
{
	const char *vip = NULL;
	double interval = 1, t0, t1, next;
	json_object *prev = NULL, *cur, *r = NULL;
	struct sigaction sa = {.sa_handler = on_signal};
	long count = 0, frames = 0;
	bool running = true, was_ansi;
	int err = 0;

	for (int i = 0; i < argc; i++) {
		char *end;

		if (!strcmp(argv[i], "-i") && i + 1 < argc) {
			interval = strtod(argv[++i], &end);
			if (*end || interval < 0.1 || interval > 3600)
				return cli_error("-i: seconds from 0.1 to "
						 "3600, not '%s'",
						 argv[i]);
		} else if (!strcmp(argv[i], "-n") && i + 1 < argc) {
			count = strtol(argv[++i], &end, 10);
			if (*end || count < 1)
				return cli_error("-n: a count of at least 1, "
						 "not '%s'",
						 argv[i]);
		} else if (!strcmp(argv[i], "-o") && i + 1 < argc) {
			static const char *const keys[SORT_MAX] = {
				"packets", "bits", "new", "flows", "name"};
			unsigned int k;

			for (k = 0; k < SORT_MAX; k++)
				if (!strcmp(argv[i + 1], keys[k]))
					break;
			if (k == SORT_MAX)
				return top_usage();
			sort_by = k;
			i++;
		} else if (argv[i][0] != '-' && !vip) {
			vip = argv[i];
		} else {
			return top_usage();
		}
	}
	if (cli.json)
		return cli_error("xlb top has no JSON output: "
				 "use xlb -j stats --interval N");
	err = sample(vip, &prev, &t0);
	if (err)
		return err;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGWINCH, &sa, NULL);
	term_setup();
	draw(NULL, vip, interval);
	next = t0 + interval;
	while (running && !stop_sig) {
		double now = monotonic_s();
		bool redraw = false;
		struct pollfd pfd = {.fd = STDIN_FILENO, .events = POLLIN};

		if (now >= next) {
			err = sample(vip, &cur, &t1);
			if (err)
				break;
			json_object_put(r);
			r = rates_json(prev, cur, t1 - t0);
			json_object_put(prev);
			prev = cur;
			t0 = t1;
			next = t1 + interval;
			draw(r, vip, interval);
			if (count && ++frames >= count)
				break;
			continue;
		}
		if (poll(&pfd, raw_mode ? 1 : 0,
			 (int)((next - now) * 1000) + 1) > 0) {
			if (pfd.revents & (POLLHUP | POLLERR)) {
				raw_mode = false; /* stdin gone */
			} else if (pfd.revents & POLLIN) {
				running = read_keys(&redraw);
			}
		}
		if ((redraw || resized) && running) {
			resized = 0;
			draw(r, vip, interval);
		}
	}
	was_ansi = ansi;
	term_restore();
	if (err && was_ansi)	/* said on the screen just left */
		cli_error("top: the agent stopped answering%s", "");
	json_object_put(r);
	json_object_put(prev);
	if (stop_sig) {
		signal(stop_sig, SIG_DFL);
		raise(stop_sig);
	}
	return err;
}
