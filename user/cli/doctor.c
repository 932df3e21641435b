// SPDX-License-Identifier: GPL-2.0
/* xlb doctor: checks a host's setup and says what is wrong, one line each. */
#include <errno.h>
#include <getopt.h>
#include <ifaddrs.h>
#include <limits.h>
#include <stdarg.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/un.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/if_link.h>
#include <linux/magic.h>
#include <json-c/json.h>

#include "core/addr.h"
#include "core/paths.h"
#include "cli/client.h"
#include "model/config.h"
#include "cli/cli.h"
#include "cli/usage.h"
#include "dp/attach.h"

#define DOCTOR_MAX_VIPS 32
#define FULL_FRAME_MTU 1500

enum verdict { V_OK, V_WARN, V_FAIL };

static const char *const verdict_name[] = { "OK", "WARN", "FAIL" };

struct doctor {
	json_object *checks;	/* -j: the checks, printed at the end */
	unsigned int warned, failed;
};

/* Reports one check: what, its verdict, why, and how to fix it (or NULL). */
static void __attribute__((format(printf, 5, 6)))
report(struct doctor *d, enum verdict v, const char *what, const char *fix,
       const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (v == V_WARN)
		d->warned++;
	else if (v == V_FAIL)
		d->failed++;
	if (cli.json) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "check",
				       json_object_new_string(what));
		json_object_object_add(o, "status",
				       json_object_new_string(verdict_name[v]));
		json_object_object_add(o, "message",
				       json_object_new_string(msg));
		if (fix)
			json_object_object_add(o, "fix",
					       json_object_new_string(fix));
		json_object_array_add(d->checks, o);
		return;
	}
	printf("%-4s %-22s %s%s%s\n", verdict_name[v], what, msg,
	       fix ? "; fix: " : "", fix ? fix : "");
}

/* ---- host ---- */

static void check_btf(struct doctor *d)
{
	if (!access("/sys/kernel/btf/vmlinux", R_OK))
		report(d, V_OK, "kernel BTF", NULL,
		       "/sys/kernel/btf/vmlinux is present");
	else
		report(d, V_FAIL, "kernel BTF",
		       "run a kernel built with CONFIG_DEBUG_INFO_BTF=y",
		       "/sys/kernel/btf/vmlinux is missing (%s): the BPF "
		       "programs cannot be loaded", strerror(errno));
}

static bool on_bpffs(const char *path)
{
	struct statfs st;

	return !statfs(path, &st) && st.f_type == BPF_FS_MAGIC;
}

static void check_bpffs(struct doctor *d, const char *pin_root)
{
	char parent[PATH_MAX], *slash;

	if (on_bpffs(pin_root)) {
		report(d, V_OK, "bpffs", NULL, "%s is on a bpf filesystem",
		       pin_root);
		return;
	}
	snprintf(parent, sizeof(parent), "%s", pin_root);
	slash = strrchr(parent, '/');
	if (slash && slash != parent)
		*slash = '\0';
	if (on_bpffs(parent)) {
		report(d, V_OK, "bpffs", NULL,
		       "%s is a bpf filesystem (%s is made when the agent "
		       "starts)", parent, pin_root);
	} else if (!strcmp(parent, "/sys/fs/bpf")) {
		report(d, V_WARN, "bpffs", "mount -t bpf bpf /sys/fs/bpf",
		       "/sys/fs/bpf is not mounted; the agent mounts it when "
		       "it starts, but pins are lost if it is unmounted");
	} else {
		report(d, V_FAIL, "bpffs", "mount -t bpf bpf DIR, or pick "
		       "another --pin-dir", "%s is not on a bpf filesystem: "
		       "the agent refuses to start", pin_root);
	}
}

/* ---- XDP ---- */

static void check_xdp_probe(struct doctor *d, const char *ifname,
			    int ifindex, const char *want)
{
	bool native = false, generic = false;
	char what[64];
	int fd = xdp_probe_modes(ifindex, &native, &generic);

	snprintf(what, sizeof(what), "xdp mode %s", ifname);
	if (fd < 0)
		report(d, V_FAIL, what, "run as root; check dmesg",
		       "cannot load a test XDP program: %s", strerror(-fd));
	else if (native)
		report(d, V_OK, what, NULL, "native XDP attaches (tested with "
		       "a pass-all program, removed again)");
	else if (generic && !strcmp(want, "native"))
		report(d, V_FAIL, what, "set xdp_mode: auto or generic, or "
		       "use a NIC whose driver supports XDP",
		       "the driver has no native XDP and xdp_mode is native: "
		       "the agent cannot attach");
	else if (generic)
		report(d, V_WARN, what, !strcmp(want, "generic") ? NULL :
		       "use a NIC whose driver supports XDP for full speed",
		       "only generic XDP attaches: it works, but every packet "
		       "costs an skb (much slower than native)");
	else
		report(d, V_FAIL, what, "check dmesg and the interface's "
		       "features (ethtool -k)",
		       "no XDP program attaches in either mode");
}

/* The balancer's program on ifname: attached and in which mode. */
static void check_balancer_xdp(struct doctor *d, const char *ifname,
			       int ifindex, const char *want, bool probe,
			       const char *pin_root)
{
	char what[64], pin[PATH_MAX];
	struct xdp_state st;
	bool pinned;
	int err;

	snprintf(what, sizeof(what), "xdp program %s", ifname);
	snprintf(pin, sizeof(pin), "%s/link-%s", pin_root, ifname);
	pinned = !access(pin, F_OK);
	err = xdp_query(ifindex, &st);
	if (err) {
		report(d, V_FAIL, what, "run as root",
		       "cannot query XDP on %s: %s", ifname, strerror(-err));
		return;
	}
	if (!st.prog_id) {
		if (probe)
			check_xdp_probe(d, ifname, ifindex, want);
		report(d, V_FAIL, what, "start the agent: systemctl start xlb "
		       "(or xlb agent -c FILE)",
		       "no XDP program on %s: nothing balances its traffic%s",
		       ifname, pinned ? " (yet a stale link pin exists)" : "");
		return;
	}
	if (strcmp(st.name, "xlb_balancer")) {
		snprintf(pin, sizeof(pin), "ip link set dev %s xdp off, if "
			 "it is not needed", ifname);
		report(d, V_FAIL, what, pin,
		       "another XDP program (%s, id %u, %s) holds %s: the "
		       "agent cannot attach", st.name[0] ? st.name : "?",
		       st.prog_id, xdp_attached_name(st.mode), ifname);
		return;
	}
	if (st.mode == XDP_ATTACHED_SKB && strcmp(want, "generic"))
		report(d, V_WARN, what, "use a NIC whose driver supports XDP",
		       "xlb_balancer (id %u) runs in generic mode: it works, "
		       "but slower than native", st.prog_id);
	else
		report(d, V_OK, what, NULL, "xlb_balancer (id %u) attached in "
		       "%s mode%s", st.prog_id, xdp_attached_name(st.mode),
		       pinned ? ", link pinned" : "");
}

/* ---- interfaces ---- */

/* An interface's sysctl value under net/FAMILY/conf ("ipv4", "ipv6");
 * -1 when unreadable. */
static int conf_value(const char *family, const char *ifname, const char *key)
{
	char path[128];
	FILE *f;
	int v = -1;

	snprintf(path, sizeof(path), "/proc/sys/net/%s/conf/%s/%s", family,
		 ifname, key);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%d", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

static int if_flags_mtu(const char *ifname, short *flags, int *mtu)
{
	struct ifreq ifr = {};
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), err = 0;

	if (s < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(s, SIOCGIFFLAGS, &ifr))
		err = -errno;
	*flags = ifr.ifr_flags;
	if (!err && ioctl(s, SIOCGIFMTU, &ifr))
		err = -errno;
	*mtu = ifr.ifr_mtu;
	close(s);
	return err;
}

/* bpf_fib_lookup routes nothing that arrives on a device with forwarding
 * off: the tunnels' next hop must then come from gateway_mac. */
static void check_forwarding(struct doctor *d, const struct xlb_cfg *cfg,
			     const char *ifname, const char *family)
{
	int on = conf_value(family, ifname, "forwarding");
	char what[64], fix[128];

	snprintf(what, sizeof(what), "forwarding %s %s", family, ifname);
	snprintf(fix, sizeof(fix), "sysctl -w net.%s.conf.%s.forwarding=1",
		 family, ifname);
	if (on > 0)
		report(d, V_OK, what, NULL, "on: the data path looks up the "
		       "backends' next hop in the routing table");
	else if (cfg->has_gateway_mac)
		report(d, V_WARN, what, fix, "off: the routing table answers "
		       "no lookup from the data path, so every tunnel goes "
		       "to gateway_mac, whatever the routes say");
	else
		report(d, V_FAIL, what, fix, "off: the routing table answers "
		       "no lookup from the data path and there is no "
		       "gateway_mac, so every packet to a VIP is dropped "
		       "(drop_no_route)");
}

static void check_interface(struct doctor *d, const struct xlb_cfg *cfg,
			    const char *ifname, unsigned int overhead,
			    bool probe, const char *pin_root)
{
	int ifindex = if_nametoindex(ifname), mtu = 0;
	char what[64], fix[128];
	short flags = 0;

	snprintf(what, sizeof(what), "interface %s", ifname);
	if (!ifindex) {
		report(d, V_FAIL, what, "correct interfaces: in the config",
		       "no such interface: the agent cannot start");
		return;
	}
	if (if_flags_mtu(ifname, &flags, &mtu)) {
		report(d, V_FAIL, what, "run as root", "cannot read its state");
		return;
	}
	snprintf(fix, sizeof(fix), "ip link set %s up", ifname);
	if (!(flags & IFF_UP))
		report(d, V_FAIL, what, fix, "is down: no traffic");
	else if (!(flags & IFF_RUNNING))
		report(d, V_FAIL, what, "check the cable or the peer",
		       "is up but has no carrier: no traffic");
	else
		report(d, V_OK, what, NULL, "exists and is up");

	check_balancer_xdp(d, ifname, ifindex, cfg->xdp_mode, probe, pin_root);
	for (int fam = 0; fam < 2; fam++) {
		bool used = false;

		for (size_t i = 0; i < cfg->n_vips; i++)
			for (size_t j = 0; j < cfg->vips[i].n_backends; j++)
				used |= cfg->vips[i].backends[j].family ==
					(fam ? XLB_FAMILY_V6 : XLB_FAMILY_V4);
		if (used)
			check_forwarding(d, cfg, ifname, fam ? "ipv6" : "ipv4");
	}

	snprintf(what, sizeof(what), "mtu %s", ifname);
	snprintf(fix, sizeof(fix), "ip link set %s mtu %u (and the same on "
		 "the path to the backends), or clamp the clients' MSS",
		 ifname, FULL_FRAME_MTU + overhead);
	if (mtu >= (int)(FULL_FRAME_MTU + overhead))
		report(d, V_OK, what, NULL, "MTU %d leaves room for the "
		       "%u-byte tunnel header around 1500-byte packets", mtu,
		       overhead);
	else
		report(d, V_WARN, what, fix, "MTU %d: a client packet over %d "
		       "bytes does not fit once encapsulated (+%u); it is "
		       "answered with ICMP too-big, which clients behind "
		       "filtering firewalls never see", mtu,
		       mtu - (int)overhead, overhead);
}

static void check_agent_socket(struct doctor *d, const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), err;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	err = s < 0 || connect(s, (struct sockaddr *)&sa, sizeof(sa));
	if (s >= 0)
		close(s);
	if (!err)
		report(d, V_OK, "agent", NULL, "answers on %s", path);
	else
		report(d, V_WARN, "agent", "systemctl start xlb",
		       "no agent on %s: the data path keeps forwarding, but "
		       "no health checks run and the CLI cannot change "
		       "anything", path);
}

/* With a bgp: section: BIRD can run, and (from the agent) each session
 * is up and each VIP announced. */
static void check_bgp(struct doctor *d, const struct xlb_cfg *cfg)
{
	json_object *req, *resp = NULL, *arr;
	char err[256], what[96];

	if (!cfg->bgp.enabled)
		return;
	if (access(cfg->bgp.bird, X_OK)) {
		report(d, V_FAIL, "bgp speaker", "apt-get install bird2, or "
		       "set bgp.bird", "cannot run %s (%s): no VIP is "
		       "announced, so the routers send this host nothing",
		       cfg->bgp.bird, strerror(errno));
		return;
	}
	report(d, V_OK, "bgp speaker", NULL, "%s can run", cfg->bgp.bird);
	req = json_object_new_object();
	json_object_object_add(req, "cmd", json_object_new_string("bgp"));
	if (ctl_call(cfg->control_socket, req, &resp, 2000, err, sizeof(err))) {
		json_object_put(req);
		return;	/* check_agent_socket says it */
	}
	json_object_put(req);
	if (json_object_object_get_ex(resp, "sessions", &arr))
		for (size_t i = 0; i < json_object_array_length(arr); i++) {
			json_object *s = json_object_array_get_idx(arr, i), *v;
			const char *nb = "", *state = "", *info = "";

			if (json_object_object_get_ex(s, "neighbor", &v))
				nb = json_object_get_string(v);
			if (json_object_object_get_ex(s, "state", &v))
				state = json_object_get_string(v);
			if (json_object_object_get_ex(s, "info", &v))
				info = json_object_get_string(v);
			snprintf(what, sizeof(what), "bgp session %s", nb);
			if (!strcmp(state, "up"))
				report(d, V_OK, what, NULL, "%s", info);
			else
				report(d, V_WARN, what, "check the neighbour's "
				       "address and AS on both sides, and "
				       "that TCP port 179 is open",
				       "%s %s: nothing is announced to it",
				       state, info);
		}
	if (json_object_object_get_ex(resp, "vips", &arr))
		for (size_t i = 0; i < json_object_array_length(arr); i++) {
			json_object *v = json_object_array_get_idx(arr, i), *f;
			const char *name = "", *why = "";

			if (json_object_object_get_ex(v, "name", &f))
				name = json_object_get_string(f);
			if (json_object_object_get_ex(v, "why", &f))
				why = json_object_get_string(f);
			snprintf(what, sizeof(what), "bgp vip %s", name);
			if (!*why)
				report(d, V_OK, what, NULL, "announced");
			else
				report(d, V_WARN, what, "xlb show", "not "
				       "announced: %s", why);
		}
	json_object_put(resp);
}

static void check_balancer(struct doctor *d, const struct xlb_cfg *cfg,
			   bool probe, const char *pin_root)
{
	unsigned int overhead = XLB_IPIP_OVERHEAD;

	for (size_t i = 0; i < cfg->n_vips; i++)
		for (size_t j = 0; j < cfg->vips[i].n_backends; j++)
			if (cfg->vips[i].backends[j].family == XLB_FAMILY_V6)
				overhead = XLB_IP6IP6_OVERHEAD;
	for (size_t i = 0; i < cfg->n_interfaces; i++)
		check_interface(d, cfg, cfg->interfaces[i], overhead, probe,
				pin_root);
	check_agent_socket(d, cfg->control_socket);
	check_bgp(d, cfg);
}

/* ---- backend ---- */

static bool addr_equal(const struct sockaddr *sa, const union xlb_addr *a,
		       __u8 family)
{
	if (family == XLB_FAMILY_V4 && sa->sa_family == AF_INET)
		return ((const struct sockaddr_in *)sa)->sin_addr.s_addr ==
		       a->v4;
	if (family == XLB_FAMILY_V6 && sa->sa_family == AF_INET6)
		return !memcmp(&((const struct sockaddr_in6 *)sa)->sin6_addr,
			       a->v6, 16);
	return false;
}

/* Names of the interfaces running xlb_decap, space separated. */
static void find_decap(const struct if_nameindex *ifs, char *on, size_t len,
		       char *modes, size_t mlen)
{
	on[0] = modes[0] = '\0';
	for (const struct if_nameindex *i = ifs; i->if_index; i++) {
		struct xdp_state st;

		if (xdp_query(i->if_index, &st) || strcmp(st.name, "xlb_decap"))
			continue;
		snprintf(on + strlen(on), len - strlen(on), "%s%s",
			 on[0] ? " " : "", i->if_name);
		snprintf(modes + strlen(modes), mlen - strlen(modes),
			 "%s%s %s id %u", modes[0] ? ", " : "", i->if_name,
			 xdp_attached_name(st.mode), st.prog_id);
	}
}

static bool word_in(const char *word, const char *list)
{
	size_t n = strlen(word);

	for (const char *p = list; (p = strstr(p, word)); p += n)
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || !p[n]))
			return true;
	return false;
}

static void check_backend(struct doctor *d, char **vips, int nvips)
{
	struct if_nameindex *ifs = if_nameindex();
	char decap_on[256], modes[512], what[96], fix[256];
	struct ifaddrs *ifa = NULL;
	bool any_v4 = false;

	if (!ifs || getifaddrs(&ifa)) {
		report(d, V_FAIL, "interfaces", NULL, "cannot list them: %s",
		       strerror(errno));
		if (ifs)
			if_freenameindex(ifs);
		return;
	}

	/* Each VIP must be a local address, best on lo. */
	for (int v = 0; v < nvips; v++) {
		const char *on = NULL;
		union xlb_addr a;
		__u8 fam;

		snprintf(what, sizeof(what), "vip %s", vips[v]);
		if (xlb_addr_parse(vips[v], &a, &fam)) {
			report(d, V_FAIL, what, NULL, "not an IP address");
			continue;
		}
		any_v4 |= fam == XLB_FAMILY_V4;
		for (struct ifaddrs *i = ifa; i && !on; i = i->ifa_next)
			if (i->ifa_addr && addr_equal(i->ifa_addr, &a, fam))
				on = i->ifa_name;
		snprintf(fix, sizeof(fix), "ip addr add %s/%d dev lo", vips[v],
			 fam == XLB_FAMILY_V4 ? 32 : 128);
		if (!on)
			report(d, V_FAIL, what, fix, "VIP %s is not a local "
			       "address: the stack drops the decapsulated "
			       "packets", vips[v]);
		else if (strcmp(on, "lo") && fam == XLB_FAMILY_V4)
			report(d, V_FAIL, what, fix, "VIP %s is on %s: this "
			       "host answers ARP for it there (whatever "
			       "arp_ignore) and steals the VIP from the "
			       "balancer; put it on lo instead", vips[v], on);
		else
			report(d, V_OK, what, NULL, "VIP %s is local (on %s)",
			       vips[v], on);
	}

	/* The decap program on some interface. */
	find_decap(ifs, decap_on, sizeof(decap_on), modes, sizeof(modes));
	if (decap_on[0])
		report(d, V_OK, "decap", NULL, "xlb_decap attached (%s)",
		       modes);
	else
		report(d, V_FAIL, "decap", "xlb decap attach dev IF addr "
		       "THIS_BACKENDS_ADDRESS",
		       "no interface runs xlb_decap: tunnelled packets from "
		       "the balancer are not unwrapped");

	/* rp_filter and ARP, per interface that carries traffic. */
	for (const struct if_nameindex *i = ifs; i->if_index && any_v4; i++) {
		int all, own, eff, ign, ann;
		short flags;
		int mtu;

		if (!strcmp(i->if_name, "lo") ||
		    if_flags_mtu(i->if_name, &flags, &mtu) ||
		    !(flags & IFF_UP) || (flags & IFF_LOOPBACK))
			continue;
		/* rp_filter: only where decapsulated packets come in (every
		 * interface if no decap is attached yet) */
		if (!decap_on[0] || word_in(i->if_name, decap_on)) {
			all = conf_value("ipv4", "all", "rp_filter");
			own = conf_value("ipv4", i->if_name, "rp_filter");
			eff = all > own ? all : own;
			snprintf(what, sizeof(what), "rp_filter %s",
				 i->if_name);
			snprintf(fix, sizeof(fix), "sysctl -w "
				 "net.ipv4.conf.all.rp_filter=%d "
				 "net.ipv4.conf.%s.rp_filter=%d (0 = off, "
				 "2 = loose)", all == 1 ? 2 : all,
				 i->if_name, own == 1 ? 2 : own);
			if (eff == 1)
				report(d, V_FAIL, what, fix, "strict reverse "
				       "path filter (all=%d, %s=%d): "
				       "decapsulated packets from clients "
				       "whose route does not go out %s are "
				       "dropped", all, i->if_name, own,
				       i->if_name);
			else
				report(d, V_OK, what, NULL, "%d (all=%d, "
				       "%s=%d): decapsulated packets pass",
				       eff, all, i->if_name, own);
		}
		if (flags & IFF_NOARP)
			continue;
		all = conf_value("ipv4", "all", "arp_ignore");
		own = conf_value("ipv4", i->if_name, "arp_ignore");
		ign = all > own ? all : own;
		snprintf(what, sizeof(what), "arp_ignore %s", i->if_name);
		snprintf(fix, sizeof(fix), "sysctl -w "
			 "net.ipv4.conf.all.arp_ignore=1");
		if (ign >= 1)
			report(d, V_OK, what, NULL, "%d: ARP for the VIP on lo "
			       "is not answered on %s", ign, i->if_name);
		else
			report(d, V_FAIL, what, fix, "0 (all=%d, %s=%d): this "
			       "host answers ARP for the VIP on %s and "
			       "steals its traffic from the balancer", all,
			       i->if_name, own, i->if_name);
		all = conf_value("ipv4", "all", "arp_announce");
		own = conf_value("ipv4", i->if_name, "arp_announce");
		ann = all > own ? all : own;
		snprintf(what, sizeof(what), "arp_announce %s", i->if_name);
		snprintf(fix, sizeof(fix), "sysctl -w "
			 "net.ipv4.conf.all.arp_announce=2");
		if (ann >= 2)
			report(d, V_OK, what, NULL, "%d: ARP requests from %s "
			       "never carry the VIP as sender", ann,
			       i->if_name);
		else
			report(d, V_FAIL, what, fix, "%d (all=%d, %s=%d): ARP "
			       "requests from %s may carry the VIP as sender "
			       "and teach neighbours the wrong MAC for it",
			       ann, all, i->if_name, own, i->if_name);
	}
	freeifaddrs(ifa);
	if_freenameindex(ifs);
}

static int usage(void)
{
	return cli_error("usage: xlb doctor " USAGE_DOCTOR
			 " " USAGE_DOCTOR_BACKEND);
}

int do_doctor(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "backend", required_argument, NULL, 'b' },
		{ "pin-dir", required_argument, NULL, 'p' },
		{ "no-probe", no_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config = NULL, *pin_root = XLB_PIN_ROOT;
	struct doctor d = {};
	char *vips[DOCTOR_MAX_VIPS];
	bool probe = true;
	int nvips = 0, c;

	optind = 0;	/* argv[0] is the first argument after "doctor" */
	while ((c = getopt_long(argc + 1, argv - 1, "c:b:p:n", longopts,
				NULL)) != -1) {
		switch (c) {
		case 'c':
			config = optarg;
			break;
		case 'b':
			if (nvips == DOCTOR_MAX_VIPS)
				return cli_error("at most %d VIPs",
						 DOCTOR_MAX_VIPS);
			vips[nvips++] = optarg;
			break;
		case 'p':
			pin_root = optarg;
			break;
		case 'n':
			probe = false;
			break;
		default:
			return usage();
		}
	}
	/* "--backend A B C": the words after the options are VIPs too */
	for (int i = optind - 1; i < argc; i++) {
		if (!nvips || nvips == DOCTOR_MAX_VIPS)
			return usage();
		vips[nvips++] = argv[i];
	}

	d.checks = json_object_new_array();
	check_btf(&d);
	check_bpffs(&d, pin_root);
	/* The balancer's checks need its config: given, or the default
	 * when this is not a backend-only run. */
	if (config || !nvips) {
		struct xlb_cfg *cfg = NULL;
		char err[256];
		const char *path = config ? config : XLB_DEFAULT_CONFIG;
		int e = config_load(path, &cfg, err, sizeof(err));

		if (e)
			report(&d, V_FAIL, "config", "fix the file, or pass "
			       "-c FILE (--backend VIP on a backend)", "%s",
			       err);
		else
			report(&d, V_OK, "config", NULL, "%s is valid", path);
		if (cfg)
			check_balancer(&d, cfg, probe, pin_root);
		config_free(cfg);
	}
	if (nvips)
		check_backend(&d, vips, nvips);

	if (cli.json) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "checks", d.checks);
		json_object_object_add(o, "failed",
				       json_object_new_int(d.failed));
		json_object_object_add(o, "warnings",
				       json_object_new_int(d.warned));
		printf("%s\n", json_object_to_json_string_ext(
				       o, JSON_C_TO_STRING_PRETTY |
				       JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(o);
	} else {
		json_object_put(d.checks);
		printf("%u failed, %u warnings%s\n", d.failed, d.warned,
		       d.failed ? ": traffic is blocked until the FAIL lines "
		       "are fixed" : "");
	}
	return d.failed ? -EINVAL : 0;
}
