// SPDX-License-Identifier: GPL-2.0
/* The decap program on a backend: tunnels to a local address handed
 * to the stack, everything else passed; round trips through balancer and
 * decap. */
#include <stdlib.h>
#include <string.h>

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
};
CASES(cases, NULL);
