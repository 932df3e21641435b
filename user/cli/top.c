// SPDX-License-Identifier: GPL-2.0
/* xlb top: the rates of rates.c as a live full-screen view, sorted by a
 * key the user picks (plain ANSI escapes, raw terminal via termios). */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/client.h"
#include "cli/msg.h"
#include "cli/rates.h"
#include "cli/usage.h"

/* ---- sorting ---- */

enum sort_key {
	SORT_PACKETS,
	SORT_BITS,
	SORT_NEW,
	SORT_FLOWS,
	SORT_NAME,
	SORT_MAX
};

static const char *const sort_keys[SORT_MAX] = {
	"packets", "bits", "new", "flows", "name",
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
	const char *n = jstr(o, "name");

	return *n ? n : jstr(o, "address");
}

/* Highest first; by name (then address) on ties and for SORT_NAME. */
static int cmp_rows(const void *a, const void *b)
{
	json_object *x = *(json_object *const *)a;
	json_object *y = *(json_object *const *)b;

	if (sort_fields[sort_by]) {
		double dx = jdbl(x, sort_fields[sort_by]);
		double dy = jdbl(y, sort_fields[sort_by]);

		if (dx != dy)
			return dx < dy ? 1 : -1;
	}
	return strcmp(label(x), label(y));
}

static void sort_rates(json_object *r)
{
	json_object *vips = jget(r, "vips");

	if (!vips)
		return;
	json_object_array_sort(vips, cmp_rows);
	for (size_t i = 0; i < json_object_array_length(vips); i++) {
		json_object *bes =
			jget(json_object_array_get_idx(vips, i), "backends");

		if (bes)
			json_object_array_sort(bes, cmp_rows);
	}
}

/* ---- the terminal ---- */

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
	struct sigaction sa = { .sa_handler = on_signal };
	struct termios tio;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGWINCH, &sa, NULL);
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

/* ---- xlb top ---- */

struct top {
	const char *vip;	/* one VIP, or NULL for all */
	double interval;	/* seconds between frames */
	long count;		/* frames to draw; 0: until q or a signal */
	json_object *prev;	/* the last "stats" answer */
	double t0;		/* when it came */
	json_object *r;		/* the rates drawn; NULL before the first */
};

static void draw(const struct top *top)
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
		 top->vip ? top->vip : "", top->vip ? "  " : "", top->interval,
		 sort_names[sort_by]);
	screen_line(line, width);
	if (top->r) {
		sort_rates(top->r);
		rates_print(top->r, screen_line, width);
	} else {
		screen_line("measuring...", width);
	}
	if (ansi)
		fputs("\033[J", stdout); /* clear below */
	fflush(stdout);
}

static int top_usage(void)
{
	return cli_error("usage: xlb top " USAGE_TOP);
}

/* xlb top [-i SECONDS] [-n COUNT] [-o KEY] [VIP] */
static int top_args(struct top *top, int argc, char **argv)
{
	for (int i = 0; i < argc; i++) {
		char *end;

		if (!strcmp(argv[i], "-i") && i + 1 < argc) {
			top->interval = strtod(argv[++i], &end);
			if (*end || top->interval < 0.1 ||
			    top->interval > 3600)
				return cli_error("-i: seconds from 0.1 to "
						 "3600, not '%s'", argv[i]);
		} else if (!strcmp(argv[i], "-n") && i + 1 < argc) {
			top->count = strtol(argv[++i], &end, 10);
			if (*end || top->count < 1)
				return cli_error("-n: a count of at least 1, "
						 "not '%s'", argv[i]);
		} else if (!strcmp(argv[i], "-o") && i + 1 < argc) {
			unsigned int k = 0;

			while (k < SORT_MAX &&
			       strcmp(argv[i + 1], sort_keys[k]))
				k++;
			if (k == SORT_MAX)
				return top_usage();
			sort_by = k;
			i++;
		} else if (argv[i][0] != '-' && !top->vip) {
			top->vip = argv[i];
		} else {
			return top_usage();
		}
	}
	return 0;
}

/* A new answer, and its rates drawn. */
static int top_frame(struct top *top)
{
	json_object *cur;
	double t1;
	int err = rates_sample(top->vip, &cur, &t1);

	if (err)
		return err;
	json_object_put(top->r);
	top->r = rates_json(top->prev, cur, t1 - top->t0);
	json_object_put(top->prev);
	top->prev = cur;
	top->t0 = t1;
	draw(top);
	return 0;
}

/* A frame every interval, keys in between; until q, a signal, count
 * frames or an agent that stops answering. */
static int top_loop(struct top *top)
{
	double next = top->t0 + top->interval;
	bool running = true;
	long frames = 0;
	int err = 0;

	while (running && !stop_sig) {
		struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };
		double now = monotonic_s();
		bool redraw = false;

		if (now >= next) {
			err = top_frame(top);
			if (err)
				break;
			next = top->t0 + top->interval;
			if (top->count && ++frames >= top->count)
				break;
			continue;
		}
		if (poll(&pfd, raw_mode ? 1 : 0,
			 (int)((next - now) * 1000) + 1) > 0) {
			if (pfd.revents & (POLLHUP | POLLERR))
				raw_mode = false; /* stdin gone */
			else if (pfd.revents & POLLIN)
				running = read_keys(&redraw);
		}
		if ((redraw || resized) && running) {
			resized = 0;
			draw(top);
		}
	}
	return err;
}

int do_top(int argc, char **argv)
{
	struct top top = { .interval = 1 };
	bool was_ansi;
	int err;

	err = top_args(&top, argc, argv);
	if (err)
		return err;
	if (cli.json)
		return cli_error("xlb top has no JSON output: "
				 "use xlb -j stats --interval N");
	err = rates_sample(top.vip, &top.prev, &top.t0);
	if (err)
		return err;
	term_setup();
	draw(&top);
	err = top_loop(&top);
	was_ansi = ansi;
	term_restore();
	if (err && was_ansi)	/* said on the screen just left */
		cli_error("top: the agent stopped answering%s", "");
	json_object_put(top.r);
	json_object_put(top.prev);
	if (stop_sig) {
		signal(stop_sig, SIG_DFL);
		raise(stop_sig);
	}
	return err;
}
