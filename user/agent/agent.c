// SPDX-License-Identifier: GPL-2.0
/* The agent: loads or adopts the data path, applies the config as a
 * difference against what runs, attaches through pinned links, and serves
 * the control socket. The single writer of the maps. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <linux/magic.h>

#include "core/addr.h"
#include "agent/agent.h"
#include "agent/api.h"
#include "agent/bgp.h"
#include "agent/state.h"
#include "model/config.h"
#include "agent/ctl.h"
#include "dp/maps.h"
#include "dp/attach.h"
#include "core/log.h"
#include "core/loop.h"
#include "agent/metrics.h"
#include "agent/snapshot.h"

struct agent {
	struct loop *loop;
	struct dataplane *dp;
	struct ctl_server *ctl;
	struct api api;		/* what ctl answers from */
	struct state *state;
	struct dataplane_hints *hints;
	struct metrics *metrics;	/* NULL when off or not listening */
	struct bgp *bgp;	/* NULL until a config has a bgp: section */
	struct bgp_route *routes;	/* scratch: what to announce */
	size_t n_routes;
	bool attached;		/* every interface runs the data path */
	__u8 *if_watch;		/* per interface: enum if_watch */
	struct xlb_cfg *cfg;	/* the file config in force */
	const char *config_path;
	char pin_root[PATH_MAX];
	char map_dir[PATH_MAX];
	enum xdp_mode mode;
	int sigfd;
	int exit_code;
};

/* The pin directory must be on a bpf filesystem; the default one is
 * mounted when missing. (Under "ip netns exec" /sys is the namespace's own,
 * so tests pass a --pin-dir on a bpffs mounted outside.) */
static int ensure_bpffs(const char *pin_root)
{
	struct statfs st;

	if (!strncmp(pin_root, "/sys/fs/bpf/", 12) &&
	    (statfs("/sys/fs/bpf", &st) || st.f_type != BPF_FS_MAGIC) &&
	    mount("bpf", "/sys/fs/bpf", "bpf", 0, NULL)) {
		pr_warn("cannot mount bpffs on /sys/fs/bpf: %s\n",
			strerror(errno));
		return -errno;
	}
	if (mkdir(pin_root, 0700) && errno != EEXIST)
		return -errno;
	if (statfs(pin_root, &st) || st.f_type != BPF_FS_MAGIC) {
		pr_warn("%s is not on a bpf filesystem\n", pin_root);
		return -ENOTSUP;
	}
	return 0;
}

static void link_path(const struct agent *a, const char *ifname, char *buf,
		      size_t len)
{
	if (snprintf(buf, len, "%s/link-%s", a->pin_root, ifname) >= (int)len)
		buf[0] = '\0';	/* pin_root is short; cannot happen */
}

static enum xdp_mode mode_of(const char *s)
{
	if (s && !strcmp(s, "native"))
		return XDP_MODE_NATIVE;
	if (s && !strcmp(s, "generic"))
		return XDP_MODE_GENERIC;
	return XDP_MODE_AUTO;
}

/* Every device of this namespace may be the way to a backend: all are
 * redirect targets (a device added later joins on the next reload). */
static void add_tx_ports(struct agent *a)
{
	struct if_nameindex *ifs = if_nameindex(), *i;

	for (i = ifs; i && i->if_index; i++)
		if (dataplane_add_tx_port(a->dp, i->if_index))
			pr_debug("%s: not a redirect target\n", i->if_name);
	if_freenameindex(ifs);
}

static bool has_interface(const struct xlb_cfg *cfg, const char *ifname)
{
	for (size_t i = 0; i < cfg->n_interfaces; i++)
		if (!strcmp(cfg->interfaces[i], ifname))
			return true;
	return false;
}

/* Attaches (or upgrades in place) every configured interface, and
 * detaches interfaces a previous config had but this one does not. */
static int apply_interfaces(struct agent *a, const struct xlb_cfg *cfg)
{
	char path[PATH_MAX];
	int err, failed = 0;

	for (size_t i = 0; i < cfg->n_interfaces; i++) {
		const char *ifname = cfg->interfaces[i];
		unsigned int ifindex = if_nametoindex(ifname);
		bool upgraded;

		if (a->cfg && has_interface(a->cfg, ifname))
			continue;	/* attached by this agent already */
		if (!ifindex) {
			pr_warn("interface %s: no such device\n", ifname);
			failed = -ENODEV;
			continue;
		}
		link_path(a, ifname, path, sizeof(path));
		err = xdp_link_attach((int)ifindex,
				      dataplane_prog_fd(a->dp),
				      mode_of(cfg->xdp_mode), path, &upgraded);
		if (err) {
			pr_warn("interface %s: attach failed: %s\n", ifname,
				strerror(-err));
			failed = err;
			continue;
		}
		pr_info("interface %s: %s\n", ifname,
			upgraded ? "program replaced in place" : "attached");
	}
	add_tx_ports(a);
	if (a->cfg) {
		for (size_t i = 0; i < a->cfg->n_interfaces; i++) {
			const char *old = a->cfg->interfaces[i];

			if (has_interface(cfg, old))
				continue;
			link_path(a, old, path, sizeof(path));
			err = xdp_link_detach(path);
			pr_info("interface %s: detached (%s)\n", old,
				err ? strerror(-err) : "removed from config");
		}
	}
	return failed;
}

/* Without encap_source4/6 in the config, tunnels leave from the first
 * interface's own addresses (global IPv6 only). */
static void default_encap_sources(struct agent *a, const struct xlb_cfg *cfg)
{
	union xlb_addr src4 = {}, src6 = {};
	bool have4 = false, have6 = false;
	struct ifaddrs *ifa, *i;

	if (!cfg->n_interfaces || getifaddrs(&ifa))
		return;
	for (i = ifa; i; i = i->ifa_next) {
		if (!i->ifa_addr || strcmp(i->ifa_name, cfg->interfaces[0]))
			continue;
		if (i->ifa_addr->sa_family == AF_INET && !have4) {
			src4.v4 = ((struct sockaddr_in *)i->ifa_addr)
					  ->sin_addr.s_addr;
			have4 = true;
		} else if (i->ifa_addr->sa_family == AF_INET6 && !have6) {
			struct in6_addr *a6 =
				&((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr;

			if (IN6_IS_ADDR_LINKLOCAL(a6))
				continue;
			memcpy(src6.v6, a6, sizeof(src6.v6));
			have6 = true;
		}
	}
	freeifaddrs(ifa);
	state_set_encap_sources(a->state,
				have4 && !cfg->has_encap_source4 ? &src4 : NULL,
				have6 && !cfg->has_encap_source6 ? &src6
								 : NULL);
}

/* How often interfaces are checked and the announcements brought in
 * line with the backends' health. */
#define WATCH_PERIOD_NS (100ULL * 1000000ULL)

/* What the watch knows of an interface (reset by every config). */
enum if_watch {
	IF_NEW,		/* not seen attached yet: attach when it can */
	IF_ATTACHED,
	IF_GONE,	/* its device went away: attach when it is back */
	IF_DETACHED,	/* its pin was removed ('xlb agent --detach'):
			 * left alone until the next reload */
};

/* Whether every configured interface runs the data path. An interface
 * whose device came back (or was made again under the same name, with a
 * new ifindex) is attached again. */
static bool watch_interfaces(struct agent *a)
{
	char path[PATH_MAX];
	bool all = true;

	for (size_t i = 0; i < a->cfg->n_interfaces; i++) {
		const char *ifname = a->cfg->interfaces[i];
		unsigned int ifindex = if_nametoindex(ifname);
		__u8 *st = &a->if_watch[i];
		bool upgraded;
		int on;

		link_path(a, ifname, path, sizeof(path));
		on = xdp_link_ifindex(path);
		if (ifindex && on == (int)ifindex) {
			*st = IF_ATTACHED;
			continue;
		}
		if (on == -ENOENT && *st == IF_ATTACHED) {
			pr_warn("interface %s: detached from outside the "
				"agent; 'xlb reload' attaches it again\n",
				ifname);
			*st = IF_DETACHED;
		}
		/* after a detach, the pins go back first (the directories
		 * too), so the next agent adopts this one's maps */
		if (*st != IF_DETACHED && ifindex &&
		    (mkdir(a->pin_root, 0700) || errno == EEXIST) &&
		    (mkdir(a->map_dir, 0700) || errno == EEXIST) &&
		    !dataplane_repin(a->dp) &&
		    !xdp_link_attach((int)ifindex, dataplane_prog_fd(a->dp),
				     mode_of(a->cfg->xdp_mode), path,
				     &upgraded)) {
			pr_info("interface %s: attached (ifindex %u)\n",
				ifname, ifindex);
			*st = IF_ATTACHED;
			continue;
		}
		all = false;
		if (*st == IF_ATTACHED) {
			pr_warn("interface %s: the data path is gone (%s)\n",
				ifname,
				ifindex ? "cannot attach again"
					: "no such device");
			*st = IF_GONE;
		}
	}
	return all;
}

static int route_cmp(const void *x, const void *y)
{
	const struct bgp_route *a = x, *b = y;

	if (a->family != b->family)
		return a->family - b->family;
	return memcmp(&a->addr, &b->addr, sizeof(a->addr));
}

/* Why a VIP is announced or not; NULL when it is. */
static const char *not_announced(const struct agent *a, const char *name,
				 size_t healthy)
{
	if (!config_bgp_announces(a->cfg, name))
		return "not in bgp.vips";
	if (!a->attached)
		return "the data path is not attached";
	if (!healthy)
		return "no backend up";
	return NULL;
}

static void add_route(const char *name, const struct xlb_vip_key *key,
		      size_t healthy, size_t total, void *arg)
{
	struct agent *a = arg;
	struct bgp_route r = { .addr = key->addr, .family = key->family };

	(void)total;
	if (not_announced(a, name, healthy))
		return;
	for (size_t i = 0; i < a->n_routes; i++)
		if (!route_cmp(&a->routes[i], &r))
			return;	/* another port of the same address */
	if (a->n_routes < XLB_MAX_VIPS)
		a->routes[a->n_routes++] = r;
}

/* Announces each VIP address while one of its VIPs has a backend up and
 * the data path is attached; withdraws it otherwise. */
static void bgp_sync(struct agent *a)
{
	if (!a->cfg->bgp.enabled) {
		if (a->bgp)
			bgp_apply(a->bgp, NULL, NULL, 0);
		return;
	}
	if (!a->bgp)
		a->bgp = bgp_new(a->loop);
	if (!a->routes)
		a->routes = calloc(XLB_MAX_VIPS, sizeof(*a->routes));
	if (!a->bgp || !a->routes)
		return;
	a->n_routes = 0;
	state_for_each_vip(a->state, add_route, a);
	qsort(a->routes, a->n_routes, sizeof(*a->routes), route_cmp);
	bgp_apply(a->bgp, &a->cfg->bgp, a->routes, a->n_routes);
}

static void watch_tick(struct loop *loop, void *arg)
{
	struct agent *a = arg;

	loop_add_timer(loop, WATCH_PERIOD_NS, watch_tick, a);
	a->attached = watch_interfaces(a);
	bgp_sync(a);
}

static int apply_config(struct agent *a, struct xlb_cfg *cfg)
{
	int err;

	default_encap_sources(a, cfg);
	err = state_apply_config(a->state, cfg);
	if (err)
		return err;
	err = apply_interfaces(a, cfg);
	free(a->if_watch);
	a->if_watch = calloc(cfg->n_interfaces, sizeof(*a->if_watch));
	if (!a->if_watch)
		err = -ENOMEM;
	config_free(a->cfg);
	a->cfg = cfg;
	return err;
}

static int do_reload(void *arg, char *err, size_t errlen)
{
	struct agent *a = arg;
	struct xlb_cfg *cfg;
	int ret;

	ret = config_load(a->config_path, &cfg, err, errlen);
	if (!ret) {
		ret = config_read_hash_key(cfg, err, errlen);
		if (ret)
			config_free(cfg);
	}
	if (ret) {
		pr_warn("reload rejected, running config stays: %s\n", err);
		return ret;
	}
	ret = apply_config(a, cfg);
	if (ret) {
		snprintf(err, errlen, "config applied with errors: %s",
			 strerror(-ret));
		return ret;
	}
	pr_info("config %s applied\n", a->config_path);
	return 0;
}

struct bgp_vips {
	const struct agent *a;
	struct snap_bgp *out;
	int err;
};

static void add_vip_status(const char *name, const struct xlb_vip_key *key,
			   size_t healthy, size_t total, void *arg)
{
	struct bgp_vips *bv = arg;
	struct snap_bgp *s = bv->out;
	struct snap_bgp_vip *v = realloc(s->vips, (s->n_vips + 1) * sizeof(*v));

	if (!v) {
		bv->err = -ENOMEM;
		return;
	}
	s->vips = v;
	v = &v[s->n_vips++];
	snprintf(v->name, sizeof(v->name), "%s", name);
	xlb_addr_str(&key->addr, key->family, v->address, sizeof(v->address));
	v->healthy = healthy;
	v->total = total;
	v->why_not = not_announced(bv->a, name, healthy);
}

/* The speaker (with its sessions, when asked) and each VIP's
 * announcement. */
static int bgp_snapshot(void *arg, bool sessions, struct snap_bgp *out)
{
	struct agent *a = arg;
	struct bgp_vips bv = { .a = a, .out = out };
	int err;

	memset(out, 0, sizeof(*out));
	out->enabled = a->cfg->bgp.enabled;
	if (!out->enabled)
		return 0;
	if (a->bgp) {
		err = bgp_status(a->bgp, sessions, &out->status);
		if (err)
			return err;
		out->speaker = true;
	}
	state_for_each_vip(a->state, add_vip_status, &bv);
	return bv.err;
}

static void signal_ready(struct loop *loop, int fd, unsigned int events,
			 void *arg)
{
	struct agent *a = arg;
	struct signalfd_siginfo si;
	char err[512];

	(void)events;
	if (read(fd, &si, sizeof(si)) != sizeof(si))
		return;
	if (si.ssi_signo == SIGHUP) {
		pr_info("SIGHUP: reloading %s\n", a->config_path);
		do_reload(a, err, sizeof(err));
		return;
	}
	pr_info("signal %u: stopping; the data path stays attached%s\n",
		si.ssi_signo,
		a->bgp ? ", its VIPs are withdrawn from BGP" : "");
	loop_stop(loop);
}

static void hint_received(void *ctx, const struct xlb_hint *hint)
{
	struct agent *a = ctx;

	state_hint(a->state, hint->backend_id);
}

static void hints_ready(struct loop *loop, int fd, unsigned int events,
			void *arg)
{
	struct agent *a = arg;

	(void)loop;
	(void)fd;
	(void)events;
	dataplane_hints_consume(a->hints);
}

/* Retried SYNs seen by the data path make the checker probe at once. */
static int setup_hints(struct agent *a)
{
	a->hints = dataplane_hints_open(a->dp, hint_received, a);
	if (!a->hints)
		return -errno;
	return loop_add_fd(a->loop, dataplane_hints_fd(a->hints), LOOP_READ,
			   hints_ready, a);
}

static int setup_signals(struct agent *a)
{
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &mask, NULL))
		return -errno;
	a->sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (a->sigfd < 0)
		return -errno;
	signal(SIGPIPE, SIG_IGN);
	return loop_add_fd(a->loop, a->sigfd, LOOP_READ, signal_ready, a);
}

static int open_dataplane(struct agent *a, const struct xlb_cfg *cfg)
{
	struct dataplane_opts dopts = { .flow_entries = cfg->flow_table_size,
					.pin_dir = a->map_dir };
	__u32 pinned = dataplane_pinned_flow_entries(a->map_dir);

	if (mkdir(a->map_dir, 0700) && errno != EEXIST)
		return -errno;
	if (pinned && pinned != dopts.flow_entries) {
		pr_warn("flow_table_size %u differs from the pinned table "
			"(%u entries); keeping the pinned one so no flow is "
			"lost (run 'xlb agent --detach' to resize)\n",
			dopts.flow_entries, pinned);
		dopts.flow_entries = pinned;
	}
	a->dp = dataplane_open(&dopts);
	if (!a->dp)
		return -errno;
	if (pinned)
		pr_info("adopted the pinned maps in %s\n", a->map_dir);
	return 0;
}

static enum log_level level_of(const char *s, enum log_level dflt)
{
	if (!s)
		return dflt;
	if (!strcmp(s, "debug"))
		return LOG_LVL_DEBUG;
	if (!strcmp(s, "info"))
		return LOG_LVL_INFO;
	if (!strcmp(s, "warn") || !strcmp(s, "warning"))
		return LOG_LVL_WARN;
	return dflt;
}

/* What the control API's stats reports, and BGP's announcements. */
static int metrics_snapshot(void *arg, struct snapshot *out)
{
	struct agent *a = arg;
	int err = state_snapshot(a->state, NULL,
				 SNAP_BACKENDS | SNAP_DATAPATH, out);

	if (!err && a->cfg->bgp.enabled) {
		out->has_bgp = true;
		err = bgp_snapshot(a, false, &out->bgp);
	}
	return err;
}

/* /metrics on metrics_listen (read at start); failing to listen is not
 * fatal: the data path matters more than its numbers. */
static void start_metrics(struct agent *a)
{
	struct metrics_opts mo = {
		.family = a->cfg->metrics_family,
		.addr = a->cfg->metrics_addr,
		.port = a->cfg->metrics_port,
		.snapshot = metrics_snapshot,
		.arg = a,
		.info = { .version = XLB_VERSION,
			  .xdp_mode = a->cfg->xdp_mode,
			  .start_time = (__u64)time(NULL) },
	};

	if (!a->cfg->metrics_listen[0])
		return;
	mo.info.prog_id = xdp_prog_id(dataplane_prog_fd(a->dp));
	a->metrics = metrics_start(a->loop, &mo);
}

/* What the agent answers besides its timers: signals, the data path's
 * hints, and the control socket (api.c answers it). */
static int start_control(struct agent *a)
{
	int err = setup_signals(a);

	if (!err)
		err = setup_hints(a);
	if (err)
		return err;
	a->api = (struct api){ .state = a->state, .reload = do_reload,
			       .bgp = bgp_snapshot, .arg = a };
	a->ctl = ctl_listen(a->loop, a->cfg->control_socket, api_handle,
			    &a->api);
	if (!a->ctl) {
		err = -errno;
		pr_warn("control socket %s: %s\n", a->cfg->control_socket,
			strerror(-err));
	}
	return err;
}

/* Lets go of everything but the data path (its pins and links keep it);
 * BGP's sessions close, so its routes are withdrawn. */
static void agent_close(struct agent *a)
{
	bgp_free(a->bgp);
	free(a->routes);
	free(a->if_watch);
	metrics_stop(a->metrics);
	ctl_close(a->ctl);
	if (a->hints) {
		loop_del_fd(a->loop, dataplane_hints_fd(a->hints));
		dataplane_hints_close(a->hints);
	}
	state_free(a->state);
	if (a->sigfd >= 0)
		close(a->sigfd);
	loop_free(a->loop);
	dataplane_close(a->dp);
	config_free(a->cfg);
}

int agent_run(const struct agent_opts *opts)
{
	struct agent a = { .sigfd = -1, .exit_code = 1 };
	struct xlb_cfg *cfg = NULL;
	char err[512];
	int ret;

	a.config_path = opts->config_path ? opts->config_path
					  : XLB_DEFAULT_CONFIG;
	snprintf(a.pin_root, sizeof(a.pin_root), "%s",
		 opts->pin_root ? opts->pin_root : XLB_PIN_ROOT);
	if (snprintf(a.map_dir, sizeof(a.map_dir), "%s/maps-v%d", a.pin_root,
		     XLB_ABI_VERSION) >= (int)sizeof(a.map_dir)) {
		fprintf(stderr, "xlb agent: pin path too long\n");
		return 1;
	}
	ret = config_load(a.config_path, &cfg, err, sizeof(err));
	if (!ret)
		ret = config_read_hash_key(cfg, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "xlb agent: %s\n", err);
		config_free(cfg);
		return 1;
	}
	log_init(level_of(opts->log_level,
			  level_of(cfg->log_level, LOG_LVL_INFO)));
	log_use_syslog(true);

	ret = ensure_bpffs(a.pin_root);
	if (!ret)
		ret = open_dataplane(&a, cfg);
	if (ret) {
		pr_warn("cannot set up the data path: %s\n", strerror(-ret));
		goto out;
	}
	a.loop = loop_new();
	a.state = a.loop ? state_new(a.dp, a.loop) : NULL;
	if (!a.state) {
		ret = -ENOMEM;
		goto out;
	}
	ret = state_adopt(a.state);
	if (ret)
		pr_warn("could not read the pinned state: %s\n",
			strerror(-ret));
	ret = apply_config(&a, cfg);
	cfg = NULL;	/* owned by the agent now */
	if (ret)
		pr_warn("config applied with errors: %s\n", strerror(-ret));
	ret = start_control(&a);
	if (ret)
		goto out;
	start_metrics(&a);
	watch_tick(a.loop, &a);
	pr_info("agent ready: %zu VIPs, control socket %s\n",
		a.cfg->n_vips, a.cfg->control_socket);
	ret = loop_run(a.loop);
	a.exit_code = ret ? 1 : 0;
out:
	agent_close(&a);
	config_free(cfg);
	return ret ? 1 : a.exit_code;
}

int agent_detach_all(const char *pin_root)
{
	char path[PATH_MAX], dir[PATH_MAX];
	int failed = 0;
	struct dirent *de;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s", pin_root ? pin_root : XLB_PIN_ROOT);
	d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) >=
		    (int)sizeof(path))
			continue;
		if (!strncmp(de->d_name, "link-", 5)) {
			int err = xdp_link_detach(path);

			printf("detached %s%s%s\n", de->d_name + 5,
			       err ? ": " : "", err ? strerror(-err) : "");
			failed |= err;
		} else if (!strncmp(de->d_name, "maps-", 5)) {
			DIR *md = opendir(path);
			struct dirent *me;
			char mpath[PATH_MAX + 256];

			while (md && (me = readdir(md)))
				if (me->d_name[0] != '.') {
					snprintf(mpath, sizeof(mpath), "%s/%s",
						 path, me->d_name);
					unlink(mpath);
				}
			if (md)
				closedir(md);
			rmdir(path);
		}
	}
	closedir(d);
	rmdir(dir);
	return failed;
}
