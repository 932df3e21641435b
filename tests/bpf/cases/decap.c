// SPDX-License-Identifier: GPL-2.0
/* The decap program on a backend: tunnels to a local address handed
 * to the stack, everything else passed; round trips through balancer and
 * decap. */
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "packet_test.h"

/* decap, on a backend */
static void tunnel(struct pkt *p, int vlans, const char *outer_dst,
		   const struct tflow *inner, int be_fam)
{
	union xlb_addr d;

	pkt_init(p);
	pkt_eth(p, mac_backend, mac_gw);
	for (int i = 0; i < vlans; i++)
		pkt_vlan(p, PKT_ETH_P_8021Q, 100 + i);
	if (addr(outer_dst, &d) != be_fam)
		exit(2);
	if (be_fam == XLB_FAMILY_V4) {
		pkt_ipv4(p, &(struct pkt_ip4){ .src = ip4("192.0.2.241"),
					       .dst = d.v4,
					       .df = true });
	} else {
		struct pkt_ip6 o = { .flow = 0xabcde };
		union xlb_addr s;

		addr("2001:db8:ff::1", &s);
		memcpy(o.src, s.v6, 16);
		memcpy(o.dst, d.v6, 16);
		pkt_ipv6(p, &o);
	}
	push_flow(p, inner, NULL);
	pkt_finish(p);
}

static void in_dc_ipip(struct pkt *p)
{
	tunnel(p, 0, "192.0.2.1", &f4_tcp, XLB_FAMILY_V4);
}

static void in_dc_ip6ip6(struct pkt *p)
{
	tunnel(p, 0, "2001:db8:b::15", &f6_tcp, XLB_FAMILY_V6);
}

static void in_dc_4in6(struct pkt *p)
{
	tunnel(p, 0, "2001:db8:b::29", &f4_in_6, XLB_FAMILY_V6);
}

static void in_dc_6in4(struct pkt *p)
{
	tunnel(p, 0, "192.0.2.51", &f6_in_4, XLB_FAMILY_V4);
}

static void in_dc_vlan(struct pkt *p)
{
	tunnel(p, 1, "192.0.2.1", &f4_tcp, XLB_FAMILY_V4);
}

static void in_dc_vlan2_6in4(struct pkt *p)
{
	tunnel(p, 2, "192.0.2.51", &f6_in_4, XLB_FAMILY_V4);
}

static void in_dc_nonlocal(struct pkt *p)
{
	tunnel(p, 0, "192.0.2.99", &f4_tcp, XLB_FAMILY_V4);
}

static void in_dc_nonlocal6(struct pkt *p)
{
	tunnel(p, 0, "2001:db8:b::99", &f6_tcp, XLB_FAMILY_V6);
}

static void in_dc_plain(struct pkt *p)
{
	build(p, &f4_tcp, NULL);
}

static void in_dc_short(struct pkt *p)
{
	tunnel(p, 0, "192.0.2.1", &f4_tcp, XLB_FAMILY_V4);
	p->len = 14 + 20 + 10;		/* 10 bytes of inner header */
	pkt_put16(p->buf + 14 + 2, 30);
	fix_ip4_csum(p);
}

/* The balancer's output for in, as the backend receives it. */
static void roundtrip(struct pkt *p, void (*input)(struct pkt *p))
{
	static struct pkt orig;
	__u32 len = 0, ret;

	input(&orig);
	pkt_init(p);
	if (!run_prog(dataplane_prog_fd(dp), &orig, p->buf, &len, &ret) ||
	    !ASSERT_EQ(ret, XDP_TX, "balancer verdict")) {
		model_ok = false;
		len = 0;
	}
	p->len = len;
}

static void in_rt4(struct pkt *p)
{
	roundtrip(p, in_v4_tcp);
}

static void in_rt6(struct pkt *p)
{
	roundtrip(p, in_vlan1_v6);
}

static void in_rt4in6(struct pkt *p)
{
	roundtrip(p, in_4in6);
}

/* What the backend's stack gets back: the client's packet, behind the
 * L2 header the balancer wrote. */
static void ex_roundtrip(struct pkt *out, void (*input)(struct pkt *p))
{
	static struct pkt orig;
	size_t l3;

	input(&orig);
	l3 = pkt_l3(&orig);
	pkt_init(out);
	push_l2_as(out, &orig, mac_gw, mac_lb);
	pkt_raw_ip(out, orig.buf + l3, orig.len - l3);
	pkt_finish(out);
}

static void ex_rt4(const struct pkt *in, struct pkt *out)
{
	(void)in;
	ex_roundtrip(out, in_v4_tcp);
}

static void ex_rt6(const struct pkt *in, struct pkt *out)
{
	(void)in;
	ex_roundtrip(out, in_vlan1_v6);
}

static void ex_rt4in6(const struct pkt *in, struct pkt *out)
{
	(void)in;
	ex_roundtrip(out, in_4in6);
}

static void in_dc_opts(struct pkt *p)
{
	union xlb_addr d;

	addr("192.0.2.1", &d);
	pkt_init(p);
	pkt_eth(p, mac_backend, mac_gw);
	pkt_ipv4(p, &(struct pkt_ip4){ .src = ip4("192.0.2.241"),
				       .dst = d.v4, .opts = ip4_opts,
				       .optlen = 8 });
	push_flow(p, &f4_tcp, NULL);
	pkt_finish(p);
}

static void in_dc_frag(struct pkt *p)
{
	in_dc_ipip(p);
	p->buf[14 + 6] |= 0x20;		/* MF: the stack reassembles */
	fix_ip4_csum(p);
}

/* GUE: the candidate list's own checks (second_chance.c has the
 * decisions). This host is 192.0.2.1 and 2001:db8:b::15. */
#define GUE_OFF4 (14 + 20 + 8)		/* GUE header, outer IPv4 */
#define CANDS_OFF4 (GUE_OFF4 + 4)	/* its private data */

static void gue(struct pkt *p, const struct gue_spec *g, int vlans,
		const struct tflow *inner)
{
	pkt_init(p);
	push_gue(p, g);
	if (vlans) {	/* a tag between the MACs and the outer header */
		struct pkt t;

		pkt_init(&t);
		pkt_eth(&t, mac_backend, mac_gw);
		pkt_vlan(&t, PKT_ETH_P_8021Q, 100);
		memmove(p->buf + 18, p->buf + 14, p->len - 14);
		memcpy(p->buf, t.buf, 18);
		p->len += 4;
		memmove(&p->l[2], &p->l[1],
			(size_t)(p->n - 1) * sizeof(p->l[0]));
		p->n++;
		p->l[1] = t.l[1];
		for (int i = 2; i < p->n; i++)
			p->l[i].off += 4;
	}
	push_flow(p, inner, NULL);
	pkt_finish(p);
}

static const struct gue_spec gue_one4 = { .src = "192.0.2.241",
					  .cands = { "192.0.2.1" } };
static const struct gue_spec gue_list4 = {
	.src = "192.0.2.241", .cands = { "192.0.2.2", "192.0.2.1" },
	.count = 2, .next = 1 };

static void in_gue_one(struct pkt *p)
{
	gue(p, &gue_one4, 0, &f4_tcp);
}

static void in_gue_one_4in6(struct pkt *p)
{
	gue(p, &(struct gue_spec){ .src = "2001:db8:ff::1",
				   .cands = { "2001:db8:b::15" } },
	    0, &f4_in_6);
}

static void in_gue_one_6in4(struct pkt *p)
{
	gue(p, &gue_one4, 0, &f6_in_4);
}

static void in_gue_last_vlan(struct pkt *p)
{
	gue(p, &gue_list4, 1, &f4_tcp);
}

static void in_gue_otherport(struct pkt *p)
{
	gue(p, &(struct gue_spec){ .src = "192.0.2.241",
				   .cands = { "192.0.2.1" }, .port = 6081 },
	    0, &f4_tcp);
}

static void in_gue_nonlocal(struct pkt *p)
{
	gue(p, &(struct gue_spec){ .src = "192.0.2.241",
				   .cands = { "192.0.2.99" } },
	    0, &f4_tcp);
}

static void in_gue_port7000(struct pkt *p)
{
	gue(p, &(struct gue_spec){ .src = "192.0.2.241",
				   .cands = { "192.0.2.1" }, .port = 7000 },
	    0, &f4_tcp);
}

static bool su_port7000(void)
{
	struct xlb_decap_config cfg = { .gue_port = htons(7000) };

	return ASSERT_OK(decap_set_config(dc, &cfg), "decap_set_config");
}

/* The list of gue_list4 with one byte of the GUE header or private data
 * changed. */
static void bad_byte(struct pkt *p, size_t off, __u8 val)
{
	gue(p, &gue_list4, 0, &f4_tcp);
	p->buf[off] = val;
}

static void in_bad_magic(struct pkt *p)
{
	bad_byte(p, CANDS_OFF4, 0x79);
}

static void in_bad_family(struct pkt *p)
{
	bad_byte(p, CANDS_OFF4 + 3, XLB_FAMILY_V6);
}

static void in_bad_family5(struct pkt *p)
{
	bad_byte(p, CANDS_OFF4 + 3, 5);
}

static void in_bad_count1(struct pkt *p)
{
	gue(p, &gue_list4, 0, &f4_tcp);
	p->buf[CANDS_OFF4 + 1] = 0;	/* next */
	p->buf[CANDS_OFF4 + 2] = 1;	/* count */
}

/* count 5 with hlen to match: five addresses, a consistent header */
static void in_bad_count5(struct pkt *p)
{
	const char *five[] = { "192.0.2.1", "192.0.2.2", "192.0.2.3",
			       "192.0.2.4", "192.0.2.5" };
	__u8 priv[4 + 5 * 4], addrs[5 * 4];

	for (int i = 0; i < 5; i++)
		addr(five[i], (union xlb_addr *)(addrs + 4 * i));
	pkt_init(p);
	pkt_eth(p, mac_backend, mac_gw);
	pkt_ipv4(p, &(struct pkt_ip4){ .src = ip4("192.0.2.241"),
				       .dst = ip4("192.0.2.1"), .df = true });
	pkt_udp_nocsum(p, XLB_GUE_SPORT_BASE | 0x123, XLB_GUE_PORT_DEFAULT);
	pkt_gue(p, priv, pkt_gue_cands(priv, 0, 5, XLB_FAMILY_V4, addrs));
	push_flow(p, &f4_tcp, NULL);
	pkt_finish(p);
}

static void in_bad_next(struct pkt *p)
{
	bad_byte(p, CANDS_OFF4 + 1, 2);	/* next == count */
}

static void in_bad_hlen(struct pkt *p)
{
	bad_byte(p, GUE_OFF4, 4);	/* 2 IPv4 candidates make 3 words */
}

static void in_bad_version(struct pkt *p)
{
	bad_byte(p, GUE_OFF4, 0x40 | 3);	/* version 1 */
}

static void in_bad_control(struct pkt *p)
{
	bad_byte(p, GUE_OFF4, 0x20 | 3);	/* C: a control message */
}

static void in_bad_flags(struct pkt *p)
{
	bad_byte(p, GUE_OFF4 + 3, 0x01);
}

static void in_bad_proto(struct pkt *p)
{
	bad_byte(p, GUE_OFF4 + 1, IPPROTO_UDP);
}

static void in_bad_udplen(struct pkt *p)
{
	gue(p, &gue_list4, 0, &f4_tcp);
	pkt_put16(p->buf + 14 + 20 + 4, pkt_get16(p->buf + 14 + 20 + 4) - 1);
}

/* Four IPv6 candidates announced, the frame ends after two of them
 * (lengths consistent with what is there). */
static void in_cut_list(struct pkt *p)
{
	gue(p, &(struct gue_spec){ .src = "2001:db8:ff::1",
				   .cands = { "2001:db8:b::15",
					      "2001:db8:b::16",
					      "2001:db8:b::17",
					      "2001:db8:b::18" },
				   .count = 4, .next = 0 },
	    0, &f6_tcp);
	p->len = 14 + 40 + 8 + 4 + 4 + 2 * 16;
	pkt_put16(p->buf + 14 + 4, (__u16)(p->len - 14 - 40));
	pkt_put16(p->buf + 14 + 40 + 4, (__u16)(p->len - 14 - 40));
}

/* The inner packet is 10 bytes of an IPv4 header. */
static void in_gue_inner_short(struct pkt *p)
{
	gue(p, &gue_list4, 0, &f4_tcp);
	p->len = CANDS_OFF4 + 12 + 10;
	pkt_put16(p->buf + 14 + 2, (__u16)(p->len - 14));
	pkt_put16(p->buf + 14 + 20 + 4, (__u16)(p->len - 14 - 20));
	fix_ip4_csum(p);
}

#define BAD_LIST { XLB_DECAP_BAD_LIST, 1 }
#define GUE_MALFORMED { XLB_DECAP_MALFORMED, 1 }

static const struct test_case cases[] = {
	/* decap on a backend */
	DECAP("decap IPIP: inner ipv4 to the stack", in_dc_ipip, XDP_PASS,
	      expect_decap, DECAPPED),
	DECAP("decap IP6IP6: inner ipv6 to the stack", in_dc_ip6ip6, XDP_PASS,
	      expect_decap, DECAPPED),
	DECAP("decap 4-in-6: ethertype becomes ipv4", in_dc_4in6, XDP_PASS,
	      expect_decap, DECAPPED),
	DECAP("decap 6-in-4: ethertype becomes ipv6", in_dc_6in4, XDP_PASS,
	      expect_decap, DECAPPED),
	DECAP("decap IPIP behind a VLAN tag: tag kept", in_dc_vlan, XDP_PASS,
	      expect_decap, DECAPPED),
	DECAP("decap 6-in-4 behind two tags", in_dc_vlan2_6in4, XDP_PASS,
	      expect_decap, DECAPPED),
	DECAP("decap: IPIP to a non-local address passes unchanged",
	      in_dc_nonlocal, XDP_PASS, NULL, { XLB_DECAP_PASS, 1 }),
	DECAP("decap: IP6IP6 to a non-local address passes unchanged",
	      in_dc_nonlocal6, XDP_PASS, NULL, { XLB_DECAP_PASS, 1 }),
	DECAP("decap: plain tcp passes unchanged", in_dc_plain, XDP_PASS, NULL,
	      { XLB_DECAP_PASS, 1 }),
	DECAP("decap IPIP with outer ipv4 options", in_dc_opts, XDP_PASS,
	      expect_decap, DECAPPED),
	DECAP("decap: fragmented tunnel packet left to the stack", in_dc_frag,
	      XDP_PASS, NULL, { XLB_DECAP_PASS, 1 }),
	DECAP("decap: inner header cut short is dropped", in_dc_short,
	      XDP_DROP, NULL, { XLB_DECAP_MALFORMED, 1 }),
	DECAP("round trip ipv4: balancer then decap gives the client's packet",
	      in_rt4, XDP_PASS, ex_rt4, DECAPPED),
	DECAP("round trip ipv6 behind a tag", in_rt6, XDP_PASS, ex_rt6,
	      DECAPPED),
	DECAP("round trip 4-in-6", in_rt4in6, XDP_PASS, ex_rt4in6, DECAPPED),
	/* GUE */
	DECAP("decap GUE, one candidate: inner ipv4 to the stack", in_gue_one,
	      XDP_PASS, expect_decap, { XLB_DECAP_GUE_ONE, 1 }),
	DECAP("decap GUE over ipv6, one candidate, ipv4 inside",
	      in_gue_one_4in6, XDP_PASS, expect_decap,
	      { XLB_DECAP_GUE_ONE, 1 }),
	DECAP("decap GUE over ipv4, one candidate, ipv6 inside",
	      in_gue_one_6in4, XDP_PASS, expect_decap,
	      { XLB_DECAP_GUE_ONE, 1 }),
	DECAP("decap GUE behind a VLAN tag, last of two candidates",
	      in_gue_last_vlan, XDP_PASS, expect_decap,
	      { XLB_DECAP_LOCAL_LAST, 1 }),
	DECAP("decap: UDP to another port than GUE's passes unchanged",
	      in_gue_otherport, XDP_PASS, NULL, { XLB_DECAP_PASS, 1 }),
	DECAP("decap: GUE to a non-local address passes unchanged",
	      in_gue_nonlocal, XDP_PASS, NULL, { XLB_DECAP_PASS, 1 }),
	DECAP_SU("decap GUE on the port set at attach (7000)", su_port7000,
		 in_gue_port7000, XDP_PASS, expect_decap, NULL,
		 { XLB_DECAP_GUE_ONE, 1 }),
	DECAP_SU("decap: GUE port 7000 set, 6080 is any UDP", su_port7000,
		 in_gue_one, XDP_PASS, NULL, NULL, { XLB_DECAP_PASS, 1 }),
	DECAP("decap GUE: bad magic, dropped", in_bad_magic, XDP_DROP,
	      expect_any, BAD_LIST),
	DECAP("decap GUE: list of ipv6 in an ipv4 header, dropped",
	      in_bad_family, XDP_DROP, expect_any, BAD_LIST),
	DECAP("decap GUE: family 5, dropped", in_bad_family5, XDP_DROP,
	      expect_any, BAD_LIST),
	DECAP("decap GUE: count 1, dropped", in_bad_count1, XDP_DROP,
	      expect_any, BAD_LIST),
	DECAP("decap GUE: count 5, dropped", in_bad_count5, XDP_DROP,
	      expect_any, BAD_LIST),
	DECAP("decap GUE: next == count, dropped", in_bad_next, XDP_DROP,
	      expect_any, BAD_LIST),
	DECAP("decap GUE: hlen not the list's, dropped", in_bad_hlen, XDP_DROP,
	      expect_any, BAD_LIST),
	DECAP("decap GUE: version 1, dropped", in_bad_version, XDP_DROP,
	      expect_any, GUE_MALFORMED),
	DECAP("decap GUE: a control message, dropped", in_bad_control,
	      XDP_DROP, expect_any, GUE_MALFORMED),
	DECAP("decap GUE: flags set, dropped", in_bad_flags, XDP_DROP,
	      expect_any, GUE_MALFORMED),
	DECAP("decap GUE: inner protocol udp, dropped", in_bad_proto, XDP_DROP,
	      expect_any, GUE_MALFORMED),
	DECAP("decap GUE: UDP length not the IP payload's, dropped",
	      in_bad_udplen, XDP_DROP, expect_any, GUE_MALFORMED),
	DECAP("decap GUE: candidate list cut short, dropped", in_cut_list,
	      XDP_DROP, expect_any, GUE_MALFORMED),
	DECAP("decap GUE: inner header cut short, dropped", in_gue_inner_short,
	      XDP_DROP, expect_any, GUE_MALFORMED),
};
CASES(cases, NULL);
