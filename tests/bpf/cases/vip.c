// SPDX-License-Identifier: GPL-2.0
/* Which packets a VIP takes: IPv4 and IPv6, TCP and UDP, 4-in-6 and
 * 6-in-4 encapsulation; what is not for a VIP passes untouched; the
 * all-ports VIP. */
#include <string.h>

#include "packet_test.h"

static bool chk_v6_tcp_flow(void)
{
	struct xlb_flow fl;

	return ASSERT_TRUE(lookup_flow(&f6_tcp, &fl), "flow entry") &&
	       ASSERT_EQ(fl.backend_id, model_backend(V6_TCP, &f6_tcp),
			 "flow backend");
}

static void in_v6_tcp_2(struct pkt *p)
{
	build(p, &f6_tcp_2, NULL);
}

static void ex_v6_tcp_2(const struct pkt *in, struct pkt *out)
{
	expect_fwd(in, out, V6_TCP, &f6_tcp_2);
}

static void in_6in4(struct pkt *p)
{
	build(p, &f6_in_4, &(struct shape){ .tos = 0x10 });
}

static void ex_6in4(const struct pkt *in, struct pkt *out)
{
	expect_fwd(in, out, V6_IN_V4, &f6_in_4);
}

/* not for a VIP: passed untouched */
static void in_other4(struct pkt *p)
{
	build(p, &f4_other, NULL);
}

static void in_other6(struct pkt *p)
{
	build(p, &f6_other, NULL);
}

static void in_arp(struct pkt *p)
{
	static const __u8 bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

	pkt_init(p);
	pkt_eth(p, bcast, mac_router);
	pkt_arp(p, mac_router, ip4("198.51.100.254"), ip4("203.0.113.10"));
	pkt_finish(p);
}

static void in_port(struct pkt *p)
{
	build(p, &f4_port, NULL);
}

static void in_proto(struct pkt *p)
{
	build(p, &f4_proto, NULL);
}

static void in_port6(struct pkt *p)
{
	build(p, &f6_port, NULL);
}

static void in_echo(struct pkt *p)
{
	pkt_init(p);
	push_l2(p, 0);
	pkt_ipv4(p, &(struct pkt_ip4){ .src = ip4(f4_tcp.src),
				       .dst = ip4(f4_tcp.dst) });
	pkt_icmp(p, 8, 0, 0x00010001);
	pkt_payload(p, 32);
	pkt_finish(p);
}

/* all-ports VIP */
static void in_all(struct pkt *p)
{
	build(p, &f_all, NULL);
}

static void ex_all(const struct pkt *in, struct pkt *out)
{
	expect_fwd(in, out, ALLPORTS, &f_all);
}

static void in_all_udp(struct pkt *p)
{
	build(p, &f_all_udp, NULL);
}

static void in_exact(struct pkt *p)
{
	build(p, &f_exact, NULL);
}

static void ex_exact(const struct pkt *in, struct pkt *out)
{
	expect_fwd(in, out, EXACT, &f_exact);
}

static const struct test_case cases[] = {
	/* IPv4 and IPv6, TCP and UDP */
	CASE("ipv4 tcp: new flow, IPIP to its Maglev backend, entry added",
	     NULL, in_v4_tcp, XDP_TX, ex_v4_tcp, chk_v4_tcp_flow, FWD_NEW),
	CASE("ipv4 tcp: same flow again hits the table",
	     su_v4_tcp, in_v4_tcp, XDP_TX, ex_v4_tcp, chk_v4_tcp_flow, FWD_HIT),
	CASE("ipv4 tcp: second flow lands on another backend per the table",
	     su_v4_tcp, in_v4_tcp_2, XDP_TX, ex_v4_tcp_2, NULL, FWD_NEW),
	CASE("ipv4 udp: new flow", NULL, in_v4_udp, XDP_TX, ex_v4_udp, NULL,
	     FWD_NEW),
	CASE("ipv4 udp: same flow hits", su_v4_udp, in_v4_udp, XDP_TX,
	     ex_v4_udp, NULL, FWD_HIT),
	CASE("ipv6 tcp: new flow, IP6IP6, traffic class copied", NULL,
	     in_v6_tcp, XDP_TX, ex_v6_tcp, chk_v6_tcp_flow, FWD_NEW),
	CASE("ipv6 tcp: same flow hits", su_v6_tcp, in_v6_tcp, XDP_TX,
	     ex_v6_tcp, NULL, FWD_HIT),
	CASE("ipv6 tcp: second flow lands on another backend per the table",
	     su_v6_tcp, in_v6_tcp_2, XDP_TX, ex_v6_tcp_2, NULL, FWD_NEW),
	CASE("ipv6 udp: new flow", NULL, in_v6_udp, XDP_TX, ex_v6_udp, NULL,
	     FWD_NEW),
	CASE("ipv6 udp: same flow hits", su_v6_udp, in_v6_udp, XDP_TX,
	     ex_v6_udp, NULL, FWD_HIT),
	CASE("4-in-6: ipv4 VIP to an ipv6 backend", NULL, in_4in6, XDP_TX,
	     ex_4in6, NULL, FWD_NEW),
	CASE("6-in-4: ipv6 VIP to an ipv4 backend", NULL, in_6in4, XDP_TX,
	     ex_6in4, NULL, FWD_NEW),

	/* not for a VIP: untouched */
	CASE("ipv4 not to a VIP passes unchanged", NULL, in_other4, XDP_PASS,
	     NULL, NULL, NOT_VIP),
	CASE("ipv6 not to a VIP passes unchanged", NULL, in_other6, XDP_PASS,
	     NULL, NULL, NOT_VIP),
	CASE("arp passes unchanged", NULL, in_arp, XDP_PASS, NULL, NULL,
	     { XLB_PASS_NOT_IP, 1 }),
	CASE("VIP address, wrong port: passes", NULL, in_port, XDP_PASS, NULL,
	     NULL, NOT_VIP),
	CASE("VIP address, wrong protocol: passes", NULL, in_proto, XDP_PASS,
	     NULL, NULL, NOT_VIP),
	CASE("ipv6 VIP address, wrong port: passes", NULL, in_port6, XDP_PASS,
	     NULL, NULL, NOT_VIP),
	CASE("ICMP echo to a VIP address passes", NULL, in_echo, XDP_PASS,
	     NULL, NULL, NOT_VIP),

	/* all-ports VIP */
	CASE("all-ports VIP takes any TCP port", NULL, in_all, XDP_TX, ex_all,
	     NULL, FWD_NEW),
	CASE("all-ports VIP: other protocol passes", NULL, in_all_udp,
	     XDP_PASS, NULL, NULL, NOT_VIP),
	CASE("exact VIP wins over the all-ports VIP", NULL, in_exact, XDP_TX,
	     ex_exact, NULL, FWD_NEW),
};
CASES(cases, NULL);
