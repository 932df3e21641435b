// SPDX-License-Identifier: GPL-2.0
/* Egress other than ingress: redirect to a gateway device, next hops
 * from the FIB (route MTU, the next-hop cache), with veth devices, routes
 * and neighbours made in the test's own namespace. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>

#include "packet_test.h"

/* egress other than ingress: redirect, with a next hop from the FIB */
static int if_out;		/* veth device, in tx_ports, FIB routes */
static int if_noport;		/* veth device missing from tx_ports */
static bool netns_ok;		/* those devices are there */
static const __u8 mac_out[6] = { 0x02, 0, 0, 0, 0, 0x0a };

/* The neighbour entry the namespace holds for backend id. */
static void neigh_mac(__u32 id, __u8 *mac)
{
	static const __u8 base[6] = { 0x02, 0, 0, 0, 0x01, 0 };

	memcpy(mac, base, 6);
	mac[5] = (__u8)id;
}

static bool set_cfg(__u32 flags, int gw_ifindex)
{
	struct xlb_config cfg;

	if (!ASSERT_TRUE(netns_ok, "namespace devices and routes"))
		return false;
	base_config(&cfg);
	cfg.flags = flags;
	cfg.gw_ifindex = (__u32)gw_ifindex;
	return ASSERT_OK(dataplane_set_config(dp, &cfg), "set_config");
}

static bool su_gw_redirect(void)
{
	return set_cfg(XLB_CFG_NO_FIB, if_out);
}

static bool su_gw_noport(void)
{
	return set_cfg(XLB_CFG_NO_FIB, if_noport);
}

static bool su_fib(void)
{
	return set_cfg(0, 0);
}

static void ex_fib(const struct pkt *in, struct pkt *out, int vip,
		   const struct tflow *f)
{
	__u32 be = model_backend(vip, f);
	__u8 dmac[6];

	neigh_mac(be, dmac);
	expect_encap_via(in, out, vip, be, vip_hash(vip, f), dmac, mac_out);
}

static void ex_fib4(const struct pkt *in, struct pkt *out)
{
	ex_fib(in, out, V4_TCP, &f4_tcp);
}

static void ex_fib6(const struct pkt *in, struct pkt *out)
{
	ex_fib(in, out, V6_TCP, &f6_tcp);
}

/* The route to the EXACT VIP's backends has MTU 1400. */
static void in_fib_big(struct pkt *p)
{
	build(p, &f_exact, &(struct shape){ .ip_len = 1400 });
}

static void ex_fib_big(const struct pkt *in, struct pkt *out)
{
	expect_too_big(in, out, 1400 - XLB_IPIP_OVERHEAD);
}

static void in_fib_fits(struct pkt *p)
{
	build(p, &f_exact,
	      &(struct shape){ .ip_len = 1400 - XLB_IPIP_OVERHEAD });
}

static void ex_fib_fits(const struct pkt *in, struct pkt *out)
{
	ex_fib(in, out, EXACT, &f_exact);
}

static bool sh(const char *cmd)
{
	int rc = system(cmd);

	if (rc)
		printf("    `%s` failed (%d)\n", cmd, rc);
	return rc == 0;
}

/* The MAC a moved neighbour takes. */
static void moved_mac(__u32 id, __u8 *mac)
{
	neigh_mac(id, mac);
	mac[4] = 0x02;
}

static bool set_neigh(__u32 id, const __u8 *mac)
{
	char cmd[160], a[INET_ADDRSTRLEN];
	union xlb_addr ba;

	be_addr(id, XLB_FAMILY_V4, &ba);
	inet_ntop(AF_INET, &ba, a, sizeof(a));
	snprintf(cmd, sizeof(cmd),
		 "ip neigh replace %s dev xlbt0 nud permanent "
		 "lladdr %02x:%02x:%02x:%02x:%02x:%02x",
		 a, mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
	return sh(cmd);
}

/* The backend's neighbour entry changes after its next hop was cached:
 * once the cache's time is up (plus two ticks), packets go to the new
 * MAC. */
static bool su_fib_moved(void)
{
	__u32 be = model_backend(V4_TCP, &f4_tcp);
	__u8 mac[6];

	moved_mac(be, mac);
	if (!su_fib() || !prime_verdict(in_v4_tcp, XDP_REDIRECT) ||
	    !set_neigh(be, mac))
		return false;
	usleep(XLB_NEXTHOP_TTL_NS / 1000 + 20000);
	return true;
}

static void ex_fib_moved(const struct pkt *in, struct pkt *out)
{
	__u32 be = model_backend(V4_TCP, &f4_tcp);
	__u8 dmac[6];

	moved_mac(be, dmac);
	expect_encap_via(in, out, V4_TCP, be, vip_hash(V4_TCP, &f4_tcp), dmac,
			 mac_out);
}

static bool chk_neigh_back(void)
{
	__u32 be = model_backend(V4_TCP, &f4_tcp);
	__u8 mac[6];

	neigh_mac(be, mac);
	return ASSERT_TRUE(set_neigh(be, mac), "neighbour entry restored");
}

/* A packet that fits is sent (and its next hop cached); a longer one on
 * the same flow is still checked against the route MTU. */
static bool su_fib_fits_cached(void)
{
	return su_fib() && prime_verdict(in_fib_fits, XDP_REDIRECT);
}

/* Devices, routes and neighbours in our own namespace, for the cases
 * that redirect or ask the FIB. */
static bool setup_netns(void)
{
	char cmd[256];
	bool ok = true;

	ok &= sh("ip link set lo up");
	ok &= sh("ip link add xlbt0 address 02:00:00:00:00:0a type veth "
		 "peer name xlbt0p");
	ok &= sh("ip link add xlbt1 type veth peer name xlbt1p");
	ok &= sh("for d in xlbt0 xlbt0p xlbt1 xlbt1p; do "
		 "ip link set $d up || exit 1; done");
	ok &= sh("ip addr add 192.0.2.254/24 dev xlbt0");
	ok &= sh("ip -6 addr add 2001:db8:b::fe/64 dev xlbt0 nodad");
	/* the EXACT VIP's backends, 192.0.2.71-74, sit behind MTU 1400
	 * (locked: the FIB reports a route MTU only then, or with
	 * ip_forward_use_pmtu) */
	ok &= sh("ip route add 192.0.2.64/26 dev xlbt0 mtu lock 1400");
	ok &= sh("sysctl -qw net.ipv4.conf.all.forwarding=1 "
		 "net.ipv6.conf.all.forwarding=1");
	for (int v = 0; v < NVIPS; v++) {
		for (int k = 0; k < MAX_BE && vips[v].nbe; k++) {
			__u32 id = be_id(v, k);
			char a[INET6_ADDRSTRLEN];
			union xlb_addr ba;
			__u8 mac[6];
			int af = be_addr(id, vips[v].be_family, &ba) ==
						 XLB_FAMILY_V4
					 ? AF_INET
					 : AF_INET6;

			neigh_mac(id, mac);
			inet_ntop(af, &ba, a, sizeof(a));
			snprintf(cmd, sizeof(cmd),
				 "ip neigh replace %s dev xlbt0 nud permanent "
				 "lladdr 02:00:00:00:01:%02x",
				 a, mac[5]);
			ok &= sh(cmd);
		}
	}
	if_out = (int)if_nametoindex("xlbt0");
	if_noport = (int)if_nametoindex("xlbt1");
	ok &= ASSERT_TRUE(if_out > 0 && if_noport > 0, "veth devices");
	ok &= ASSERT_OK(dataplane_add_tx_port(dp, (__u32)if_out),
			"add_tx_port");
	return ok;
}

static void egress_init(void)
{
	netns_ok = setup_netns();
}

static const struct test_case cases[] = {
	/* egress other than ingress */
	CASE("gateway on another device: redirected", su_gw_redirect,
	     in_v4_tcp, XDP_REDIRECT, ex_v4_tcp, NULL, { XLB_FLOW_MISS, 1 },
	     { XLB_FWD_REDIRECT, 1 }),
	CASE("egress device not in tx_ports: dropped", su_gw_noport,
	     in_v4_tcp, XDP_DROP, expect_any, NULL, { XLB_FLOW_MISS, 1 },
	     { XLB_DROP_NO_TX_PORT, 1 }),
	CASE("fib: ipv4 next hop from the neighbour table, redirected",
	     su_fib, in_v4_tcp, XDP_REDIRECT, ex_fib4, NULL,
	     { XLB_FLOW_MISS, 1 }, { XLB_FWD_REDIRECT, 1 }),
	CASE("fib: ipv6 next hop from the neighbour table, redirected",
	     su_fib, in_v6_tcp, XDP_REDIRECT, ex_fib6, NULL,
	     { XLB_FLOW_MISS, 1 }, { XLB_FWD_REDIRECT, 1 }),
	CASE("fib: route MTU 1400, oversize answered with that MTU", su_fib,
	     in_fib_big, XDP_TX, ex_fib_big, NULL, TOO_BIG),
	CASE("fib: route MTU 1400, a packet that fits is sent", su_fib,
	     in_fib_fits, XDP_REDIRECT, ex_fib_fits, NULL,
	     { XLB_FLOW_MISS, 1 }, { XLB_FWD_REDIRECT, 1 }),
	CASE("fib: next hop cached, then a longer packet: still too big",
	     su_fib_fits_cached, in_fib_big, XDP_TX, ex_fib_big, NULL,
	     { XLB_FLOW_HIT, 1 }, { XLB_ICMP_TOO_BIG_SENT, 1 }),
	CASE("fib: cached next hop, neighbour moved: followed within the TTL",
	     su_fib_moved, in_v4_tcp, XDP_REDIRECT, ex_fib_moved,
	     chk_neigh_back, { XLB_FLOW_HIT, 1 }, { XLB_FWD_REDIRECT, 1 }),
};
CASES(cases, egress_init);
