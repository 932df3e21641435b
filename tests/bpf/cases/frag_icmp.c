// SPDX-License-Identifier: GPL-2.0
/* Fragments (one datagram, one backend), ICMP errors about a VIP flow
 * (to the flow's backend), and packets too big once encapsulated (ICMP
 * back to the client). */
#include <string.h>

#include "packet_test.h"

/* fragments */
static void in_frag4_first(struct pkt *p)
{
	union xlb_addr s, d;

	addr(f4_frag.src, &s);
	addr(f4_frag.dst, &d);
	pkt_init(p);
	push_l2(p, 0);
	pkt_ipv4(p, &(struct pkt_ip4){ .src = s.v4, .dst = d.v4,
				       .id = 0x4242, .mf = true });
	pkt_udp(p, f4_frag.sport, f4_frag.dport);
	pkt_payload(p, 64);
	pkt_finish(p);
}

static void ex_frag4_first(const struct pkt *in, struct pkt *out)
{
	expect_fwd(in, out, V4_UDP, &f4_frag);
}

/* A later fragment of f4_frag's datagram id: at offset off (bytes), with
 * DF as asked, len bytes of it. */
static void frag4_later_as(struct pkt *p, __u16 id, __u16 off, bool df,
			   size_t len)
{
	union xlb_addr s, d;

	addr(f4_frag.src, &s);
	addr(f4_frag.dst, &d);
	pkt_init(p);
	push_l2(p, 0);
	pkt_ipv4(p, &(struct pkt_ip4){ .src = s.v4, .dst = d.v4, .id = id,
				       .df = df, .frag_off = off,
				       .proto = IPPROTO_UDP });
	pkt_payload(p, len);
	pkt_finish(p);
}

static void frag4_later(struct pkt *p, __u16 id)
{
	frag4_later_as(p, id, 72, false, 40);
}

static void in_frag4_later(struct pkt *p)
{
	frag4_later(p, 0x4242);
}

static void in_frag4_unknown(struct pkt *p)
{
	frag4_later(p, 0x4343);
}

static bool su_frag4(void)
{
	return prime(in_frag4_first);
}

/* A later fragment: the first fragment's backend; its outer source comes
 * from what the fragment carries (addresses and protocol, no ports). */
static void ex_frag_later(const struct pkt *in, struct pkt *out, int vip,
			  const struct tflow *first)
{
	struct tflow noports = *first;

	noports.sport = 0;
	noports.dport = 0;
	expect_encap(in, out, vip, model_backend(vip, first),
		     flow_hash(&noports, false));
}

static void ex_frag4_later(const struct pkt *in, struct pkt *out)
{
	ex_frag_later(in, out, V4_UDP, &f4_frag);
}

static void frag6(struct pkt *p, bool first)
{
	union xlb_addr s, d;
	struct pkt_ip6 ip = { 0 };

	addr(f6_frag.src, &s);
	addr(f6_frag.dst, &d);
	memcpy(ip.src, s.v6, 16);
	memcpy(ip.dst, d.v6, 16);
	pkt_init(p);
	push_l2(p, 0);
	pkt_ipv6(p, &ip);
	if (first) {
		pkt_ip6_frag(p, 0, true, 0x99, 0);
		pkt_udp(p, f6_frag.sport, f6_frag.dport);
		pkt_payload(p, 64);
	} else {
		pkt_ip6_frag(p, 72, false, 0x99, IPPROTO_UDP);
		pkt_payload(p, 40);
	}
	pkt_finish(p);
}

static void in_frag6_first(struct pkt *p)
{
	frag6(p, true);
}

static void in_frag6_later(struct pkt *p)
{
	frag6(p, false);
}

static void ex_frag6_first(const struct pkt *in, struct pkt *out)
{
	expect_fwd(in, out, V6_UDP, &f6_frag);
}

static void ex_frag6_later(const struct pkt *in, struct pkt *out)
{
	ex_frag_later(in, out, V6_UDP, &f6_frag);
}

static bool su_frag6(void)
{
	return prime(in_frag6_first);
}

static void in_frag4_middle(struct pkt *p)
{
	frag4_later(p, 0x4242);
	p->buf[14 + 6] |= 0x20;		/* more fragments follow */
	fix_ip4_csum(p);
}

/* ICMP errors about a VIP flow */
static void in_icmp4(struct pkt *p)
{
	icmp4_about(p, &f4_tcp);
}

static void ex_icmp4(const struct pkt *in, struct pkt *out)
{
	expect_fwd(in, out, V4_TCP, &f4_tcp);
}

static void in_icmp4_other(struct pkt *p)
{
	icmp4_about(p, &f4_other);
}

/* An ICMP header cut short, the IP length saying so. */
static void in_icmp4_short(struct pkt *p)
{
	icmp4_about(p, &f4_tcp);
	p->len = 14 + 20 + 4;
	pkt_put16(p->buf + 14 + 2, 24);
	fix_ip4_csum(p);
}

/* A whole ICMP header quoting less than an IP header: not ours to judge. */
static void in_icmp4_short_quote(struct pkt *p)
{
	icmp4_about(p, &f4_tcp);
	p->len = 14 + 20 + 8 + 12;
	pkt_put16(p->buf + 14 + 2, 40);
	fix_ip4_csum(p);
}

/* An ICMP error about a VIP flow, itself too big once encapsulated: never
 * answered with another ICMP error. */
static void in_icmp4_big(struct pkt *p)
{
	icmp4_quoting(p, &f4_tcp, MTU - (20 + 8 + 20 + 8), true);
}

/* ICMPv6 packet-too-big from a router, to outer_dst, quoting f's reply
 * (the VIP to the client). */
static void icmp6_about(struct pkt *p, const struct tflow *f,
			const char *outer_dst)
{
	struct pkt_ip6 outer = { 0 }, quoted = { .next = IPPROTO_TCP,
						 .payload_len = 1400 };
	union xlb_addr c, v, r, o;
	__u8 l4[8];

	addr(f->src, &c);
	addr(f->dst, &v);
	addr("2001:db8:ffff::1", &r);
	addr(outer_dst ? outer_dst : f->dst, &o);
	memcpy(outer.src, r.v6, 16);
	memcpy(outer.dst, o.v6, 16);
	memcpy(quoted.src, v.v6, 16);
	memcpy(quoted.dst, c.v6, 16);
	quoted.next = f->proto;
	pkt_put16(l4, f->dport);
	pkt_put16(l4 + 2, f->sport);
	pkt_put32(l4 + 4, 0xa0b0c0d0);
	pkt_init(p);
	push_l2(p, 0);
	pkt_ipv6(p, &outer);
	pkt_icmp6(p, 2, 0, 1280);
	pkt_ipv6(p, &quoted);
	pkt_raw(p, l4, 8);
	pkt_finish(p);
}

static void in_icmp6(struct pkt *p)
{
	icmp6_about(p, &f6_tcp, NULL);
}

static void ex_icmp6(const struct pkt *in, struct pkt *out)
{
	expect_fwd(in, out, V6_TCP, &f6_tcp);
}

/* Issue 14: ICMP errors checked against what they quote. */

/* The quoted IP header fits, its ports lie past the outer IP length (the
 * frame runs on): the ports are not there. */
static void in_icmp4_quote_past(struct pkt *p)
{
	icmp4_about(p, &f4_tcp);
	pkt_put16(p->buf + 14 + 2, 20 + 8 + 20);
	fix_ip4_csum(p);
}

/* The ICMP header itself past the IP length, the frame padded. */
static void in_icmp4_hdr_past(struct pkt *p)
{
	icmp4_about(p, &f4_tcp);
	pkt_put16(p->buf + 14 + 2, 20 + 4);
	fix_ip4_csum(p);
}

/* Issue 14, found by a fuzzer: frag-needed to 112.40.22.240, no VIP,
 * quoting 203.0.113.10:53 -> 198.51.100.7:40053/udp (with IP options):
 * it was encapsulated to that flow's backend. */
static void in_icmp4_not_to_vip(struct pkt *p)
{
	pkt_hex(p, "0200000000020200000000010800451c00401003000040"
		   "01b854c63364fe702816f00304000000000578476c05dc"
		   "100b400040110000cb00710ac6336407010101010101"
		   "01010035 9c75 00000000");
}

static const struct tflow f_issue = { "198.51.100.7", "203.0.113.10", 40053,
				      53, IPPROTO_UDP };

static void in_issue_flow(struct pkt *p)
{
	build(p, &f_issue, NULL);
}

static bool su_issue_flow(void)
{
	return prime(in_issue_flow);
}

static void in_icmp6_not_to_vip(struct pkt *p)
{
	icmp6_about(p, &f6_tcp, "2001:db8:100::99");
}

static void in_icmp6_no_flow(struct pkt *p)
{
	icmp6_about(p, &f6_udp, NULL);
}

/* The quoted packet is a later fragment: no ports in its first bytes. */
static void in_icmp4_quote_frag(struct pkt *p)
{
	__u8 *icmp = p->buf + 14 + 20, *q = icmp + 8;

	icmp4_about(p, &f4_tcp);
	pkt_put16(q + 6, pkt_get16(q + 6) | 185);	/* offset 1480 */
	pkt_put16(q + 10, 0);
	pkt_put16(q + 10, pkt_csum_fold(pkt_csum_add(0, q, 20)));
	pkt_put16(icmp + 2, 0);
	pkt_put16(icmp + 2, pkt_csum_fold(pkt_csum_add(0, icmp, 8 + 28)));
}

static bool su_v4_tcp_down(void)
{
	return su_v4_tcp() && set_down(victim, true);
}

/* Looked up, not touched: still on the backend that went down. */
static bool chk_flow_on_victim(void)
{
	return flow_flags_are(&f4_tcp, victim, 0);
}

/* Later fragment of the tracked datagram whose fragment header lies past
 * payload_len (4 bytes of payload), the frame running on. */
static void in_frag6_hdr_past(struct pkt *p)
{
	frag6(p, false);
	pkt_put16(p->buf + 14 + 4, 4);
}

/* oversize after encapsulation */
static void in_big4(struct pkt *p)
{
	build(p, &f4_tcp, &(struct shape){ .ip_len = MTU });
}

static void ex_big4(const struct pkt *in, struct pkt *out)
{
	expect_too_big(in, out, MTU - XLB_IPIP_OVERHEAD);
}

static void in_fits4(struct pkt *p)
{
	build(p, &f4_tcp, &(struct shape){ .ip_len = MTU - XLB_IPIP_OVERHEAD });
}

static void in_big4_nodf(struct pkt *p)
{
	build(p, &f4_tcp, &(struct shape){ .ip_len = MTU, .no_df = true });
}

static void in_big4_opts(struct pkt *p)
{
	build(p, &f4_tcp, &(struct shape){ .ip_len = MTU, .opts = ip4_opts,
					   .optlen = 8 });
}

static void in_big4_vlan(struct pkt *p)
{
	build(p, &f4_tcp, &(struct shape){ .ip_len = MTU, .vlans = 1 });
}

static void in_big4in6(struct pkt *p)
{
	build(p, &f4_in_6, &(struct shape){ .ip_len = 1481 });
}

static void ex_big4in6(const struct pkt *in, struct pkt *out)
{
	expect_too_big(in, out, MTU - XLB_IP6IP6_OVERHEAD);
}

static void in_big6(struct pkt *p)
{
	build(p, &f6_tcp, &(struct shape){ .ip_len = 1461 });
}

static void ex_big6(const struct pkt *in, struct pkt *out)
{
	expect_too_big(in, out, MTU - XLB_IP6IP6_OVERHEAD);
}

static void in_fits6(struct pkt *p)
{
	build(p, &f6_tcp,
	      &(struct shape){ .ip_len = MTU - XLB_IP6IP6_OVERHEAD });
}

/* The budget of too-big replies: empty, at 1 a second. */
static bool su_icmp_rate_empty(void)
{
	struct xlb_config cfg;

	base_config(&cfg);
	cfg.icmp_rate = 1;
	return ASSERT_OK(dataplane_set_config(dp, &cfg), "set_config") &&
	       set_icmp_budget(true);
}

/* A full budget at 1 a second, spent by a burst of XLB_ICMP_BURST. */
static bool su_icmp_burst(void)
{
	struct xlb_config cfg;
	bool ok;

	base_config(&cfg);
	cfg.icmp_rate = 1;
	ok = ASSERT_OK(dataplane_set_config(dp, &cfg), "set_config");
	for (int i = 0; ok && i < XLB_ICMP_BURST; i++)
		ok = prime(in_big4);
	return ok;
}

/* Oversize from sources no ICMP error may go to. */
static const struct tflow f4_mcast = { "224.0.0.5", "203.0.113.10", 40001,
				       80, IPPROTO_TCP };
static const struct tflow f6_mcast = { "ff02::1", "2001:db8:100::10", 40001,
				       80, IPPROTO_TCP };

static void in_big4_mcast(struct pkt *p)
{
	build(p, &f4_mcast, &(struct shape){ .ip_len = MTU });
}

static void in_big6_mcast(struct pkt *p)
{
	build(p, &f6_mcast, &(struct shape){ .ip_len = 1461 });
}

/* An IPv4 later fragment of a tracked datagram, too big with DF: no ICMP
 * error about a fragment other than the first (RFC 1812 4.3.2.7). */
static void in_frag4_later_big(struct pkt *p)
{
	frag4_later_as(p, 0x4242, 1480, true, MTU - 20);
}

static const struct test_case cases[] = {
	/* fragments: one datagram, one backend */
	CASE("ipv4 first fragment: scheduled, datagram recorded", NULL,
	     in_frag4_first, XDP_TX, ex_frag4_first, NULL, FWD_NEW,
	     { XLB_FRAG_FIRST, 1 }),
	CASE("ipv4 later fragment follows the first to its backend", su_frag4,
	     in_frag4_later, XDP_TX, ex_frag4_later, NULL,
	     { XLB_FRAG_FOLLOWED, 1 }, { XLB_FWD_TX, 1 }),
	CASE("ipv4 middle fragment follows the first", su_frag4,
	     in_frag4_middle, XDP_TX, ex_frag4_later, NULL,
	     { XLB_FRAG_FOLLOWED, 1 }, { XLB_FWD_TX, 1 }),
	CASE("ipv4 later fragment of an unknown datagram passes", su_frag4,
	     in_frag4_unknown, XDP_PASS, NULL, NULL,
	     { XLB_PASS_FRAG_UNTRACKED, 1 }),
	CASE("ipv6 first fragment: scheduled, datagram recorded", NULL,
	     in_frag6_first, XDP_TX, ex_frag6_first, NULL, FWD_NEW,
	     { XLB_FRAG_FIRST, 1 }),
	CASE("ipv6 later fragment follows the first", su_frag6,
	     in_frag6_later, XDP_TX, ex_frag6_later, NULL,
	     { XLB_FRAG_FOLLOWED, 1 }, { XLB_FWD_TX, 1 }),
	CASE("ipv6 later fragment of an unknown datagram passes", NULL,
	     in_frag6_later, XDP_PASS, NULL, NULL,
	     { XLB_PASS_FRAG_UNTRACKED, 1 }),
	CASE("malformed: ipv6 later fragment, its header past payload_len",
	     su_frag6, in_frag6_hdr_past, XDP_DROP, NULL, NULL, MALFORMED),

	/* ICMP errors about a VIP flow */
	CASE("icmp frag-needed quoting a VIP flow goes to its backend",
	     su_v4_tcp, in_icmp4, XDP_TX, ex_icmp4, NULL,
	     { XLB_ICMP_TO_FLOW, 1 }, { XLB_FWD_TX, 1 }),
	CASE("icmp frag-needed without a flow entry: dropped, no entry", NULL,
	     in_icmp4, XDP_DROP, NULL, chk_no_v4_tcp_flow,
	     { XLB_DROP_ICMP_NO_FLOW, 1 }),
	CASE("icmp frag-needed, the flow's backend down: where it moves next",
	     su_v4_tcp_down, in_icmp4, XDP_TX, ex_icmp4, chk_flow_on_victim,
	     { XLB_ICMP_TO_FLOW, 1 }, { XLB_FWD_TX, 1 }),
	CASE("icmp frag-needed about a non-VIP flow passes", NULL,
	     in_icmp4_other, XDP_PASS, NULL, NULL, NOT_VIP),
	CASE("icmp header cut short: dropped", NULL, in_icmp4_short, XDP_DROP,
	     NULL, NULL, MALFORMED),
	CASE("icmp frag-needed quoting too little: passed to the kernel", NULL,
	     in_icmp4_short_quote, XDP_PASS, NULL, NULL, UNPARSED),
	CASE("oversize icmp error about a VIP flow: dropped, no icmp back",
	     su_v4_tcp, in_icmp4_big, XDP_DROP, NULL, NULL,
	     { XLB_ICMP_TO_FLOW, 1 }, { XLB_DROP_OVERSIZE, 1 }),
	CASE("icmpv6 packet-too-big quoting a VIP flow goes to its backend",
	     su_v6_tcp, in_icmp6, XDP_TX, ex_icmp6, NULL,
	     { XLB_ICMP_TO_FLOW, 1 }, { XLB_FWD_TX, 1 }),
	CASE("icmpv6 packet-too-big without a flow entry: dropped", NULL,
	     in_icmp6_no_flow, XDP_DROP, NULL, NULL,
	     { XLB_DROP_ICMP_NO_FLOW, 1 }),
	CASE("icmp frag-needed to a non-VIP quoting a VIP flow (issue 14 "
	     "frame): passes", su_issue_flow, in_icmp4_not_to_vip, XDP_PASS,
	     NULL, NULL, NOT_VIP),
	CASE("icmpv6 packet-too-big to a non-VIP quoting a VIP flow: passes",
	     su_v6_tcp, in_icmp6_not_to_vip, XDP_PASS, NULL, NULL, NOT_VIP),
	CASE("icmp frag-needed whose quoted ports lie past the IP length: "
	     "passes", su_v4_tcp, in_icmp4_quote_past, XDP_PASS, NULL, NULL,
	     UNPARSED),
	CASE("malformed: icmp header past the IP length, frame runs on",
	     su_v4_tcp, in_icmp4_hdr_past, XDP_DROP, NULL, NULL, MALFORMED),
	CASE("icmp frag-needed quoting a later fragment: passes (no ports)",
	     su_v4_tcp, in_icmp4_quote_frag, XDP_PASS, NULL, NULL, UNPARSED),

	/* too big once encapsulated */
	CASE("oversize ipv4 with DF: icmp frag-needed back to the client",
	     NULL, in_big4, XDP_TX, ex_big4, NULL, TOO_BIG),
	CASE("ipv4 that just fits the MTU once encapsulated is sent", NULL,
	     in_fits4, XDP_TX, ex_v4_tcp, NULL, FWD_NEW),
	CASE("oversize ipv4 without DF: dropped", NULL, in_big4_nodf,
	     XDP_DROP, NULL, NULL, { XLB_FLOW_MISS, 1 },
	     { XLB_DROP_OVERSIZE, 1 }),
	CASE("oversize ipv4 with options: the quote carries them", NULL,
	     in_big4_opts, XDP_TX, ex_big4, NULL, TOO_BIG),
	CASE("oversize ipv4 behind a VLAN tag: the reply keeps it", NULL,
	     in_big4_vlan, XDP_TX, ex_big4, NULL, TOO_BIG),
	CASE("oversize 4-in-6: MTU less the ipv6 header", NULL, in_big4in6,
	     XDP_TX, ex_big4in6, NULL, TOO_BIG),
	CASE("oversize ipv6: icmpv6 packet-too-big back to the client", NULL,
	     in_big6, XDP_TX, ex_big6, NULL, TOO_BIG),
	CASE("ipv6 that just fits the MTU once encapsulated is sent", NULL,
	     in_fits6, XDP_TX, ex_v6_tcp, NULL, FWD_NEW),

	/* too-big replies: rate-limited, only to unicast sources */
	CASE("oversize, the too-big budget spent: dropped, counted",
	     su_icmp_rate_empty, in_big4, XDP_DROP, NULL, NULL,
	     { XLB_FLOW_MISS, 1 }, { XLB_DROP_ICMP_RATE, 1 }),
	CASE("oversize after a burst of 50 replies at 1/s: dropped",
	     su_icmp_burst, in_big4, XDP_DROP, NULL, NULL,
	     { XLB_FLOW_HIT, 1 }, { XLB_DROP_ICMP_RATE, 1 }),
	CASE("oversize ipv6, the too-big budget spent: dropped",
	     su_icmp_rate_empty, in_big6, XDP_DROP, NULL, NULL,
	     { XLB_FLOW_MISS, 1 }, { XLB_DROP_ICMP_RATE, 1 }),
	CASE("oversize from a multicast source: no icmp, dropped", NULL,
	     in_big4_mcast, XDP_DROP, NULL, NULL, { XLB_FLOW_MISS, 1 },
	     { XLB_DROP_OVERSIZE, 1 }),
	CASE("oversize ipv6 from a multicast source: no icmp, dropped", NULL,
	     in_big6_mcast, XDP_DROP, NULL, NULL, { XLB_FLOW_MISS, 1 },
	     { XLB_DROP_OVERSIZE, 1 }),
	CASE("oversize ipv4 later fragment with DF: no icmp, dropped",
	     su_frag4, in_frag4_later_big, XDP_DROP, NULL, NULL,
	     { XLB_FRAG_FOLLOWED, 1 }, { XLB_DROP_OVERSIZE, 1 }),
};
CASES(cases, NULL);
