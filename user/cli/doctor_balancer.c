// SPDX-License-Identifier: GPL-2.0
/* xlb doctor on a balancer: the config's interfaces (up, XDP, forwarding,
 * MTU), the agent and BGP. */
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <linux/if_link.h>

#include "cli/client.h"
#include "cli/doctor.h"
#include "cli/msg.h"
#include "dp/attach.h"
#include "model/config.h"

#define FULL_FRAME_MTU 1500

/* Whether a backend of some VIP has this address family. */
static bool any_backend(const struct xlb_cfg *cfg, __u8 family)
{
	for (size_t i = 0; i < cfg->n_vips; i++)
		for (size_t j = 0; j < cfg->vips[i].n_backends; j++)
			if (cfg->vips[i].backends[j].family == family)
				return true;
	return false;
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

static void check_mtu(struct doctor *d, const char *ifname, int mtu,
		      unsigned int overhead)
{
	char what[64], fix[128];

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
	if (any_backend(cfg, XLB_FAMILY_V4))
		check_forwarding(d, cfg, ifname, "ipv4");
	if (any_backend(cfg, XLB_FAMILY_V6))
		check_forwarding(d, cfg, ifname, "ipv6");
	check_mtu(d, ifname, mtu, overhead);
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

/* Each session up, from the agent's answer to "bgp". */
static void check_bgp_sessions(struct doctor *d, json_object *arr)
{
	char what[96];

	for (size_t i = 0; arr && i < json_object_array_length(arr); i++) {
		json_object *s = json_object_array_get_idx(arr, i);
		const char *state = jstr(s, "state");

		snprintf(what, sizeof(what), "bgp session %s",
			 jstr(s, "neighbor"));
		if (!strcmp(state, "up"))
			report(d, V_OK, what, NULL, "%s", jstr(s, "info"));
		else
			report(d, V_WARN, what, "check the neighbour's address "
			       "and AS on both sides, and that TCP port 179 is "
			       "open", "%s %s: nothing is announced to it",
			       state, jstr(s, "info"));
	}
}

/* Each VIP announced, or why not. */
static void check_bgp_vips(struct doctor *d, json_object *arr)
{
	char what[96];

	for (size_t i = 0; arr && i < json_object_array_length(arr); i++) {
		json_object *v = json_object_array_get_idx(arr, i);
		const char *why = jstr(v, "why");

		snprintf(what, sizeof(what), "bgp vip %s", jstr(v, "name"));
		if (!*why)
			report(d, V_OK, what, NULL, "announced");
		else
			report(d, V_WARN, what, "xlb show", "not announced: %s",
			       why);
	}
}

/* With a bgp: section: BIRD can run, and (from the agent) each session
 * is up and each VIP announced. */
static void check_bgp(struct doctor *d, const struct xlb_cfg *cfg)
{
	json_object *req, *resp = NULL;
	char err[256];
	int ret;

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
	req = req_new("bgp");
	ret = ctl_call(cfg->control_socket, req, &resp, 2000, err, sizeof(err));
	json_object_put(req);
	if (ret)
		return;	/* check_agent_socket says it */
	check_bgp_sessions(d, jget(resp, "sessions"));
	check_bgp_vips(d, jget(resp, "vips"));
	json_object_put(resp);
}

void check_balancer(struct doctor *d, const struct xlb_cfg *cfg, bool probe,
		    const char *pin_root)
{
	unsigned int overhead = any_backend(cfg, XLB_FAMILY_V6)
					? XLB_IP6IP6_OVERHEAD
					: XLB_IPIP_OVERHEAD;

	for (size_t i = 0; i < cfg->n_interfaces; i++)
		check_interface(d, cfg, cfg->interfaces[i], overhead, probe,
				pin_root);
	check_agent_socket(d, cfg->control_socket);
	check_bgp(d, cfg);
}
