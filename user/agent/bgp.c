// SPDX-License-Identifier: GPL-2.0
/* VIP announcements over BGP. The agent runs its own BIRD 2 as a child
 * process: it writes BIRD's whole config from the bgp: section and the
 * routes to announce, and has BIRD re-read it on every change ("configure"
 * on its control socket, without blocking the agent's loop). BIRD dies
 * with the agent (PR_SET_PDEATHSIG), so its sessions close and the routers
 * withdraw this host's routes at once; a host that freezes or loses power
 * is caught by the BGP hold time, or BFD when enabled. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/addr.h"
#include "agent/bgp.h"
#include "model/config.h"
#include "core/log.h"
#include "core/loop.h"

/* A speaker that exits is started again after this, doubling up to the
 * cap while it keeps failing. */
#define RESTART_MIN_NS (1000000000ULL)
#define RESTART_MAX_NS (30000000000ULL)
/* Running this long counts as a good start: the backoff resets. */
#define STABLE_NS (30000000000ULL)
#define STOP_WAIT_MS 3000
/* xlb bgp asks BIRD for its sessions, waiting this long at most. */
#define QUERY_TIMEOUT_MS 300
/* A "configure" that gets no answer in this time is given up (BIRD is
 * stuck or frozen) and tried again on the next bgp_apply(). */
#define CONFIGURE_TIMEOUT_NS (2000000000ULL)

struct bgp {
	struct loop *loop;
	char *run_dir;		/* of the running speaker */
	char *bird;
	char conf[PATH_MAX];
	char ctl[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char pidfile[PATH_MAX];
	pid_t pid;		/* 0: not running */
	__u64 started_ns;
	__u64 next_start_ns;	/* no start before this (backoff) */
	__u64 backoff_ns;
	bool start_failed;	/* logged once until a start succeeds */
	char *text;		/* the config in the file */
	struct bgp_route *routes;	/* announced, as in text */
	size_t n_routes;
	/* "configure" over the control socket: generations of the file
	 * written, asked for, taken and refused by BIRD */
	__u64 gen, sent_gen, applied_gen, refused_gen;
	int cfd;		/* control connection; -1 when none */
	bool greeted;		/* BIRD said "0001 ... ready." */
	char reply[1024];
	size_t reply_len;
	uint64_t cfg_timer;
	/* neighbours of the config in force, for status */
	struct xlb_cfg_bgp_neighbor *neighbors;
	size_t n_neighbors;
};

/* ---- the config text ---- */

const char *bgp_prefix_str(const struct bgp_route *r, char *buf, size_t len)
{
	char a[XLB_ADDR_STRLEN];

	snprintf(buf, len, "%s/%d",
		 xlb_addr_str(&r->addr, r->family, a, sizeof(a)),
		 r->family == XLB_FAMILY_V4 ? 32 : 128);
	return buf;
}

static void render_static(FILE *f, const char *name, __u8 family,
			  const struct bgp_route *routes, size_t n)
{
	char p[BGP_PREFIX_STRLEN];

	fprintf(f, "protocol static %s {\n\t%s;\n", name,
		family == XLB_FAMILY_V4 ? "ipv4" : "ipv6");
	for (size_t i = 0; i < n; i++)
		if (routes[i].family == family)
			fprintf(f, "\troute %s blackhole;\n",
				bgp_prefix_str(&routes[i], p, sizeof(p)));
	fputs("}\n\n", f);
}

/* A session with the i-th neighbour, exporting the VIPs only. */
static void render_neighbor(FILE *f, const struct xlb_cfg_bgp *cfg, size_t i)
{
	const struct xlb_cfg_bgp_neighbor *nb = &cfg->neighbors[i];
	__u32 keepalive = cfg->hold_time_s / 3;
	char a[XLB_ADDR_STRLEN];

	/* Short connect and error waits: a session that dropped comes back
	 * within a second or two, not BIRD's minutes. No graceful restart:
	 * a router must never keep routes of a speaker that went away. */
	fprintf(f, "\nprotocol bgp xlb_peer%zu {\n"
		"\tlocal as %u;\n"
		"\tneighbor %s port %u as %u;\n"
		"\thold time %u;\n"
		"\tkeepalive time %u;\n"
		"\tconnect delay time 1;\n"
		"\tconnect retry time 1;\n"
		"\terror wait time 1, 10;\n"
		"\tgraceful restart off;\n",
		i, cfg->local_as,
		xlb_addr_str(&nb->addr, nb->family, a, sizeof(a)), nb->port,
		nb->as, cfg->hold_time_s, keepalive ? keepalive : 1);
	if (nb->password)
		fprintf(f, "\tpassword \"%s\";\n", nb->password);
	if (cfg->bfd)
		fputs("\tbfd on;\n", f);
	fprintf(f, "\t%s {\n\t\timport none;\n"
		"\t\texport filter xlb_export;\n"
		"\t\tnext hop self;\n\t};\n}\n",
		nb->family == XLB_FAMILY_V4 ? "ipv4" : "ipv6");
}

char *bgp_render(const struct xlb_cfg_bgp *cfg, const struct bgp_route *routes,
		 size_t n)
{
	char a[XLB_ADDR_STRLEN];
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return NULL;
	fputs("# Written by the xlb agent from its bgp: section; rewritten on "
	      "every change.\n\n", f);
	fputs("log stderr { info, remote, warning, error, auth, fatal, bug };\n",
	      f);
	fputs("timeformat protocol iso long;\n", f);
	if (cfg->has_router_id)
		fprintf(f, "router id %s;\n",
			xlb_addr_str(&cfg->router_id, XLB_FAMILY_V4, a,
				     sizeof(a)));
	fputs("\nprotocol device {\n\tscan time 10;\n}\n\n", f);
	if (cfg->bfd)
		fprintf(f, "protocol bfd xlb_bfd {\n\tinterface \"*\" {\n"
			"\t\tinterval %u ms;\n\t\tmultiplier %u;\n\t};\n}\n\n",
			cfg->bfd_interval_ms, cfg->bfd_multiplier);
	/* The VIPs as routes of BIRD's own: BIRD exports them to BGP only
	 * (no kernel protocol), so the host's routing table is untouched. */
	render_static(f, "xlb_vips4", XLB_FAMILY_V4, routes, n);
	render_static(f, "xlb_vips6", XLB_FAMILY_V6, routes, n);
	fputs("filter xlb_export {\n\tif proto != \"xlb_vips4\" && "
	      "proto != \"xlb_vips6\" then reject;\n", f);
	for (size_t i = 0; i < cfg->n_communities; i++)
		fprintf(f, "\tbgp_community.add((%u, %u));\n",
			cfg->communities[i] >> 16, cfg->communities[i] & 0xffff);
	if (cfg->has_med)
		fprintf(f, "\tbgp_med = %u;\n", cfg->med);
	fputs("\taccept;\n}\n", f);
	for (size_t i = 0; i < cfg->n_neighbors; i++)
		render_neighbor(f, cfg, i);
	if (fclose(f)) {
		free(text);
		return NULL;
	}
	return text;
}

/* ---- the speaker process ---- */

struct bgp *bgp_new(struct loop *loop)
{
	struct bgp *b = calloc(1, sizeof(*b));

	if (b) {
		b->loop = loop;
		b->backoff_ns = RESTART_MIN_NS;
		b->cfd = -1;
	}
	return b;
}

static bool same_str(const char *a, const char *b)
{
	return a && b && !strcmp(a, b);
}

/* ---- "configure" on BIRD's control socket, in the agent's loop ---- */

static void configure_close(struct bgp *b)
{
	if (b->cfd < 0)
		return;
	loop_del_fd(b->loop, b->cfd);
	close(b->cfd);
	b->cfd = -1;
	if (b->cfg_timer)
		loop_del_timer(b->loop, b->cfg_timer);
	b->cfg_timer = 0;
}

/* The last complete line of BIRD's reply when it ends the reply ("DDDD "
 * with a final code: 0xxx done, 8xxx/9xxx errors), else NULL. */
static const char *final_line(char *buf, size_t len)
{
	char *last;

	if (len < 6 || buf[len - 1] != '\n')
		return NULL;
	buf[len - 1] = '\0';
	last = strrchr(buf, '\n');
	last = last ? last + 1 : buf;
	buf[len - 1] = '\n';
	if (strlen(last) >= 5 && last[4] == ' ' &&
	    (last[0] == '0' || last[0] == '8' || last[0] == '9'))
		return last;
	return NULL;
}

static void configure_ready(struct loop *loop, int fd, unsigned int events,
			    void *arg)
{
	struct bgp *b = arg;
	const char *last;
	ssize_t r;

	(void)loop;
	(void)events;
	r = read(fd, b->reply + b->reply_len,
		 sizeof(b->reply) - b->reply_len - 1);
	if (r <= 0) {
		if (r < 0 && errno == EAGAIN)
			return;
		configure_close(b);	/* tried again on the next apply */
		return;
	}
	b->reply_len += (size_t)r;
	b->reply[b->reply_len] = '\0';
	if (!b->greeted) {	/* "0001 BIRD 2.0.12 ready." */
		if (!strchr(b->reply, '\n'))
			return;
		b->greeted = true;
		b->reply_len = 0;
		b->sent_gen = b->gen;
		if (write(fd, "configure\n", 10) != 10)
			configure_close(b);
		return;
	}
	last = final_line(b->reply, b->reply_len);
	if (!last) {
		if (b->reply_len + 1 >= sizeof(b->reply))
			b->reply_len = 0;	/* long chatter: keep the end */
		return;
	}
	if (last[0] == '0') {
		b->applied_gen = b->sent_gen;
		pr_debug("bgp: speaker reconfigured (%.*s)\n",
			 (int)strcspn(last, "\n"), last);
	} else {
		b->refused_gen = b->sent_gen;
		pr_warn("bgp: speaker refused %s: %.*s\n", b->conf,
			(int)strcspn(last, "\n"), last);
	}
	configure_close(b);
}

static void configure_timeout(struct loop *loop, void *arg)
{
	struct bgp *b = arg;

	(void)loop;
	b->cfg_timer = 0;
	pr_warn("bgp: speaker did not answer 'configure' in %llu ms; "
		"trying again\n", CONFIGURE_TIMEOUT_NS / 1000000ULL);
	configure_close(b);
}

/* Asks the running speaker to re-read the file when it has not taken the
 * latest one yet. A speaker that refused a generation is not asked again
 * until the next one. */
static void configure_kick(struct bgp *b)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };

	if (b->cfd >= 0 || b->applied_gen == b->gen ||
	    b->refused_gen == b->gen)
		return;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", b->ctl);
	b->cfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (b->cfd < 0)
		return;
	/* connect() on a Unix socket is done at once or fails (not yet
	 * listening: BIRD is starting; the next apply tries again) */
	if (connect(b->cfd, (struct sockaddr *)&sun, sizeof(sun)) ||
	    loop_add_fd(b->loop, b->cfd, LOOP_READ, configure_ready, b)) {
		close(b->cfd);
		b->cfd = -1;
		return;
	}
	b->greeted = false;
	b->reply_len = 0;
	b->cfg_timer = loop_add_timer(b->loop, CONFIGURE_TIMEOUT_NS,
				      configure_timeout, b);
}

/* Reaps the speaker if it exited; false when it is not running. */
static bool speaker_alive(struct bgp *b)
{
	int status;
	pid_t r;

	if (!b->pid)
		return false;
	r = waitpid(b->pid, &status, WNOHANG);
	if (r == 0)
		return true;
	if (r == b->pid && WIFEXITED(status))
		pr_warn("bgp: speaker (pid %d) exited with status %d: its "
			"routes are withdrawn; starting it again\n", b->pid,
			WEXITSTATUS(status));
	else if (r == b->pid && WIFSIGNALED(status))
		pr_warn("bgp: speaker (pid %d) killed by signal %d: its routes "
			"are withdrawn; starting it again\n", b->pid,
			WTERMSIG(status));
	if (loop_now_ns() - b->started_ns >= STABLE_NS)
		b->backoff_ns = RESTART_MIN_NS;
	b->next_start_ns = loop_now_ns() + b->backoff_ns;
	if (b->backoff_ns < RESTART_MAX_NS)
		b->backoff_ns *= 2;
	b->pid = 0;
	free(b->text);	/* a new speaker reads the config afresh */
	b->text = NULL;
	configure_close(b);
	return false;
}

/* A BIRD a previous agent left running on our config (it should have died
 * with that agent; this covers one started by hand): stopped, so that its
 * sessions do not fight ours. */
static void kill_stale(const struct bgp *b)
{
	char path[64], buf[PATH_MAX + 64];
	FILE *f = fopen(b->pidfile, "r");
	size_t len;
	int pid = 0, fd;

	if (!f)
		return;
	if (fscanf(f, "%d", &pid) != 1)
		pid = 0;
	fclose(f);
	if (pid <= 1 || pid == getpid())
		return;
	snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	len = (size_t)read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (len == (size_t)-1)
		return;
	for (size_t i = 0; i < len; i++)
		buf[i] = buf[i] ? buf[i] : ' ';
	buf[len] = '\0';
	if (!strstr(buf, "bird") || !strstr(buf, b->conf))
		return;
	pr_warn("bgp: stopping a speaker left running on %s (pid %d)\n",
		b->conf, pid);
	kill(pid, SIGKILL);
	for (int i = 0; i < 100 && !kill(pid, 0); i++)
		usleep(10000);
}

static int speaker_start(struct bgp *b)
{
	pid_t parent = getpid(), pid;
	int err;

	if (loop_now_ns() < b->next_start_ns)
		return -EAGAIN;
	if (access(b->bird, X_OK)) {
		err = -errno;
		if (!b->start_failed)
			pr_warn("bgp: cannot run %s: %s (BIRD 2 is Debian's "
				"bird2 package); VIPs are not announced\n",
				b->bird, strerror(errno));
		b->start_failed = true;
		b->next_start_ns = loop_now_ns() + RESTART_MIN_NS;
		return err;
	}
	kill_stale(b);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid) {
		sigset_t none;
		int null = open("/dev/null", O_RDONLY);

		/* The agent blocks the signals it reads through a signalfd
		 * and ignores SIGPIPE: BIRD needs them as usual. */
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		/* Dies with the agent: its sessions close, the routers
		 * withdraw the routes. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(127);
		if (null >= 0)
			dup2(null, STDIN_FILENO);
		close_range(3, ~0U, 0);
		execl(b->bird, "bird", "-f", "-c", b->conf, "-s", b->ctl, "-P",
		      b->pidfile, (char *)NULL);
		fprintf(stderr, "bgp: exec %s: %s\n", b->bird, strerror(errno));
		_exit(127);
	}
	b->pid = pid;
	b->started_ns = loop_now_ns();
	b->start_failed = false;
	pr_info("bgp: speaker started: %s -c %s (pid %d)\n", b->bird, b->conf,
		pid);
	return 0;
}

/* SIGTERM: BIRD closes its sessions with a Cease notification, so the
 * routers withdraw at once; SIGKILL if it does not exit in time. */
static void speaker_stop(struct bgp *b)
{
	int status;

	if (!speaker_alive(b))
		return;
	kill(b->pid, SIGTERM);
	for (int i = 0; i < STOP_WAIT_MS / 10; i++) {
		if (waitpid(b->pid, &status, WNOHANG) == b->pid)
			goto gone;
		usleep(10000);
	}
	kill(b->pid, SIGKILL);
	waitpid(b->pid, &status, 0);
gone:
	pr_info("bgp: speaker stopped (pid %d): every route withdrawn\n",
		b->pid);
	b->pid = 0;
	free(b->text);
	b->text = NULL;
	configure_close(b);
}

static int write_file(const char *path, const char *text)
{
	char tmp[PATH_MAX + 8];
	size_t len = strlen(text);
	int fd, err = 0;

	snprintf(tmp, sizeof(tmp), "%s.new", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	if (write(fd, text, len) != (ssize_t)len)
		err = errno ? -errno : -EIO;
	if (close(fd) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		unlink(tmp);
	return err;
}

/* Points the paths at cfg's run directory, stopping a speaker that runs
 * from another one (or another binary). */
static int use_dirs(struct bgp *b, const struct xlb_cfg_bgp *cfg)
{
	if (same_str(b->run_dir, cfg->run_dir) && same_str(b->bird, cfg->bird))
		return 0;
	speaker_stop(b);
	free(b->run_dir);
	free(b->bird);
	b->run_dir = strdup(cfg->run_dir);
	b->bird = strdup(cfg->bird);
	if (!b->run_dir || !b->bird)
		return -ENOMEM;
	snprintf(b->conf, sizeof(b->conf), "%s/bird.conf", b->run_dir);
	snprintf(b->ctl, sizeof(b->ctl), "%s/bird.ctl", b->run_dir);
	snprintf(b->pidfile, sizeof(b->pidfile), "%s/bird.pid", b->run_dir);
	if (mkdir(b->run_dir, 0700) && errno != EEXIST)
		return -errno;
	return 0;
}

static bool route_eq(const struct bgp_route *a, const struct bgp_route *b)
{
	return a->family == b->family && !memcmp(&a->addr, &b->addr,
						 sizeof(a->addr));
}

static bool has_route(const struct bgp_route *routes, size_t n,
		      const struct bgp_route *r)
{
	for (size_t i = 0; i < n; i++)
		if (route_eq(&routes[i], r))
			return true;
	return false;
}

/* One line per route that comes or goes. */
static void log_changes(const struct bgp *b, const struct bgp_route *routes,
			size_t n)
{
	char p[BGP_PREFIX_STRLEN];

	for (size_t i = 0; i < n; i++)
		if (!has_route(b->routes, b->n_routes, &routes[i]))
			pr_info("bgp: announcing %s\n",
				bgp_prefix_str(&routes[i], p, sizeof(p)));
	for (size_t i = 0; i < b->n_routes; i++)
		if (!has_route(routes, n, &b->routes[i]))
			pr_info("bgp: withdrawing %s\n",
				bgp_prefix_str(&b->routes[i], p, sizeof(p)));
}

static int keep_neighbors(struct bgp *b, const struct xlb_cfg_bgp *cfg)
{
	struct xlb_cfg_bgp_neighbor *nb = NULL;

	if (cfg->n_neighbors) {
		nb = calloc(cfg->n_neighbors, sizeof(*nb));
		if (!nb)
			return -ENOMEM;
		for (size_t i = 0; i < cfg->n_neighbors; i++) {
			nb[i] = cfg->neighbors[i];
			nb[i].password = NULL;	/* not shown */
		}
	}
	free(b->neighbors);
	b->neighbors = nb;
	b->n_neighbors = cfg->n_neighbors;
	return 0;
}

/* A copy of routes[0..n-1] (n > 0); NULL with errno set. */
static struct bgp_route *routes_dup(const struct bgp_route *routes, size_t n)
{
	struct bgp_route *copy = calloc(n, sizeof(*copy));

	if (copy)
		memcpy(copy, routes, n * sizeof(*copy));
	return copy;
}

int bgp_apply(struct bgp *b, const struct xlb_cfg_bgp *cfg,
	      const struct bgp_route *routes, size_t n)
{
	struct bgp_route *copy = NULL;
	bool alive;
	char *text;
	int err;

	if (!cfg || !cfg->enabled) {
		speaker_stop(b);
		b->n_routes = 0;
		return 0;
	}
	err = use_dirs(b, cfg);
	if (err)
		return err;
	alive = speaker_alive(b);
	text = bgp_render(cfg, routes, n);
	if (!text)
		return -errno;
	if (alive && same_str(text, b->text)) {
		free(text);
		configure_kick(b);	/* a "configure" still owed */
		return 0;
	}
	if (n && !(copy = routes_dup(routes, n))) {
		free(text);
		return -ENOMEM;
	}
	err = write_file(b->conf, text);
	if (!err)
		err = keep_neighbors(b, cfg);
	if (err) {
		pr_warn("bgp: cannot write %s: %s\n", b->conf, strerror(-err));
		goto out;
	}
	/* A new speaker reads the file as it starts; a running one is
	 * asked to re-read it, and redoes only what changed: sessions stay
	 * up while routes come and go. */
	if (!alive) {
		err = speaker_start(b);
		if (err)
			goto out;
	}
	b->gen++;
	if (!alive)
		b->applied_gen = b->gen;
	configure_kick(b);
	log_changes(b, routes, n);
	free(b->text);
	free(b->routes);
	b->text = text;
	b->routes = copy;
	b->n_routes = n;
	return 0;
out:
	free(text);
	free(copy);
	return err;
}

void bgp_free(struct bgp *b)
{
	if (!b)
		return;
	speaker_stop(b);
	free(b->text);
	free(b->routes);
	free(b->neighbors);
	free(b->run_dir);
	free(b->bird);
	free(b);
}

/* ---- status, from BIRD's control socket ---- */

/* Sends cmd and reads BIRD's reply up to its last line ("0000 " or an
 * error code followed by a space), within QUERY_TIMEOUT_MS. */
static int bird_query(const char *ctl, const char *cmd, char *buf, size_t len)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	size_t used = 0;
	bool sent = false;
	__u64 deadline = loop_now_ns() + QUERY_TIMEOUT_MS * 1000000ULL;
	int fd, err = -ETIMEDOUT;

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", ctl);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun))) {
		err = -errno;
		goto out;
	}
	while (loop_now_ns() < deadline && used + 1 < len) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		const char *last;
		ssize_t r;

		if (poll(&p, 1, 50) <= 0)
			continue;
		r = read(fd, buf + used, len - used - 1);
		if (r <= 0) {
			err = r ? -errno : -ECONNRESET;
			goto out;
		}
		used += (size_t)r;
		buf[used] = '\0';
		if (!sent) {	/* the greeting: "0001 BIRD 2.0.12 ready." */
			if (!strchr(buf, '\n'))
				continue;
			used = 0;
			if (write(fd, cmd, strlen(cmd)) < 0) {
				err = -errno;
				goto out;
			}
			sent = true;
			continue;
		}
		last = final_line(buf, used);
		if (last) {
			err = last[0] == '0' ? 0 : -EPROTO;
			goto out;
		}
	}
out:
	close(fd);
	return err;
}

/* "1002-xlb_peer0  BGP  ---  up  2026-12-01 18:50:23  Established" and
 * its continuation lines (" xlb_peer1 ..."): one session each, into
 * out->sessions (room for every neighbour). */
static void add_sessions(const struct bgp *b, const char *reply,
			 struct bgp_status *out)
{
	const char *line = reply;

	while (line && *line) {
		char name[64], proto[16], table[16], state[16], day[16], hms[16];
		char info[128] = "";
		const char *s = line, *end = strchr(line, '\n');
		const struct xlb_cfg_bgp_neighbor *nb;
		struct bgp_session *o;
		size_t idx;

		if (!strncmp(s, "1002-", 5))
			s += 5;
		else if (*s == ' ')
			s++;
		else
			goto next;
		if (sscanf(s, "%63s %15s %15s %15s %15s %15s %127[^\n]", name,
			   proto, table, state, day, hms, info) < 6 ||
		    strcmp(proto, "BGP") ||
		    sscanf(name, "xlb_peer%zu", &idx) != 1 ||
		    idx >= b->n_neighbors || out->n_sessions >= b->n_neighbors)
			goto next;
		nb = &b->neighbors[idx];
		o = &out->sessions[out->n_sessions++];
		xlb_addr_str(&nb->addr, nb->family, o->neighbor,
			     sizeof(o->neighbor));
		o->as = nb->as;
		snprintf(o->protocol, sizeof(o->protocol), "%s", name);
		snprintf(o->state, sizeof(o->state), "%s", state);
		snprintf(o->since, sizeof(o->since), "%s %s", day, hms);
		snprintf(o->info, sizeof(o->info), "%s", info);
next:
		line = end ? end + 1 : NULL;
	}
}

int bgp_status(struct bgp *b, bool sessions, struct bgp_status *out)
{
	char reply[16384];

	memset(out, 0, sizeof(*out));
	out->running = speaker_alive(b);
	out->pid = out->running ? b->pid : 0;
	if (b->run_dir) {
		snprintf(out->config, sizeof(out->config), "%s", b->conf);
		snprintf(out->socket, sizeof(out->socket), "%s", b->ctl);
	}
	if (out->running && b->n_routes) {
		out->announced = routes_dup(b->routes, b->n_routes);
		if (!out->announced)
			return -ENOMEM;
		out->n_announced = b->n_routes;
	}
	out->has_sessions = sessions;
	if (!sessions || !out->running || !b->n_neighbors)
		return 0;
	out->sessions = calloc(b->n_neighbors, sizeof(*out->sessions));
	if (!out->sessions) {
		bgp_status_free(out);
		return -ENOMEM;
	}
	if (!bird_query(b->ctl, "show protocols\n", reply, sizeof(reply)))
		add_sessions(b, reply, out);
	return 0;
}

void bgp_status_free(struct bgp_status *s)
{
	free(s->announced);
	free(s->sessions);
	s->announced = NULL;
	s->sessions = NULL;
	s->n_announced = s->n_sessions = 0;
}
