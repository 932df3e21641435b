// SPDX-License-Identifier: GPL-2.0
/* Parsing: header variants (IPv4 options, VLAN tags, IPv6 extension
 * headers, padding) and truncated or inconsistent headers, dropped and
 * never forwarded. */
#include <string.h>

#include "packet_test.h"

/* header variants */
static void in_opts(struct pkt *p)
{
	build(p, &f4_tcp, &(struct shape){ .opts = ip4_opts, .optlen = 8 });
}

static void in_vlan1(struct pkt *p)
{
	build(p, &f4_tcp, &(struct shape){ .vlans = 1 });
}

static void in_vlan2(struct pkt *p)
{
	build(p, &f4_tcp, &(struct shape){ .vlans = 2 });
}

static void in_vlan2_4in6(struct pkt *p)
{
	build(p, &f4_in_6, &(struct shape){ .vlans = 2 });
}

static void in_vlan3(struct pkt *p)
{
	build(p, &f4_tcp, &(struct shape){ .vlans = 3 });
}

static void in_ext_hbh(struct pkt *p)
{
	build(p, &f6_tcp, &(struct shape){ .ext = { PKT_L_HOPOPTS } });
}

static void in_ext_dst(struct pkt *p)
{
	build(p, &f6_tcp, &(struct shape){ .ext = { PKT_L_DSTOPTS } });
}

static void in_ext_rt(struct pkt *p)
{
	build(p, &f6_tcp, &(struct shape){ .ext = { PKT_L_ROUTING } });
}

static void in_ext_frag(struct pkt *p)
{
	build(p, &f6_tcp, &(struct shape){ .ext = { PKT_L_FRAG } });
}

static void in_ext_four(struct pkt *p)
{
	build(p, &f6_udp,
	      &(struct shape){ .ext = { PKT_L_HOPOPTS, PKT_L_DSTOPTS,
					PKT_L_ROUTING, PKT_L_FRAG } });
}

static void in_ext_five(struct pkt *p)
{
	build(p, &f6_udp,
	      &(struct shape){ .ext = { PKT_L_HOPOPTS, PKT_L_DSTOPTS,
					PKT_L_ROUTING, PKT_L_DSTOPTS,
					PKT_L_FRAG } });
}

static void in_padded(struct pkt *p)
{
	build(p, &f4_udp, &(struct shape){ .payload = 4 });
	pkt_pad(p, 60);
}

/* truncated or inconsistent: dropped, never forwarded */
static void in_tr_ip_empty(struct pkt *p)
{
	pkt_init(p);
	pkt_eth_type(p, mac_lb, mac_router, PKT_ETH_P_IP);
	pkt_finish(p);
}

static void in_tr_vlan(struct pkt *p)
{
	static const __u8 half[2] = { 0x00, 0x64 };

	pkt_init(p);
	pkt_eth_type(p, mac_lb, mac_router, PKT_ETH_P_8021Q);
	pkt_raw(p, half, 2);
	pkt_finish(p);
}

static void in_tr_vlan2(struct pkt *p)
{
	static const __u8 half[2] = { 0x00, 0x65 };

	pkt_init(p);
	pkt_eth(p, mac_lb, mac_router);
	pkt_vlan(p, PKT_ETH_P_8021AD, 100);
	pkt_raw(p, half, 2);
	pkt_finish(p);
	pkt_put16(p->buf + 16, PKT_ETH_P_8021Q);	/* a second tag follows */
}

static void in_tr_ip_hdr(struct pkt *p)
{
	build(p, &f4_tcp, NULL);
	p->len = 14 + 12;
}

static void in_tr_ip_ihl(struct pkt *p)
{
	build(p, &f4_tcp, &(struct shape){ .payload = 1 });
	p->buf[14] = 0x4f;	/* 60-byte header, 41 bytes of IP */
	fix_ip4_csum(p);
}

static void in_tr_ip_totlen(struct pkt *p)
{
	build(p, &f4_tcp, NULL);
	p->len -= 10;	/* total length now says 10 bytes more */
}

static void in_tr_ip_ihl4(struct pkt *p)
{
	build(p, &f4_tcp, NULL);
	p->buf[14] = 0x44;
}

static void in_tr_ip_version(struct pkt *p)
{
	build(p, &f4_tcp, NULL);
	p->buf[14] = 0x65;	/* version 6 under the IPv4 ethertype */
	fix_ip4_csum(p);
}

static void in_tr_ip_short_totlen(struct pkt *p)
{
	build(p, &f4_tcp, NULL);
	pkt_put16(p->buf + 14 + 2, 16);	/* less than its own header */
	fix_ip4_csum(p);
}

static void in_tr_ip6_version(struct pkt *p)
{
	build(p, &f6_tcp, NULL);
	p->buf[14] = (__u8)(0x40 | (p->buf[14] & 0x0f));
}

static void in_tr_ip6_hdr(struct pkt *p)
{
	build(p, &f6_tcp, NULL);
	p->len = 14 + 30;
}

static void in_tr_ip6_plen(struct pkt *p)
{
	build(p, &f6_tcp, NULL);
	p->len -= 10;
}

static void in_tr_ip6_ext(struct pkt *p)
{
	build(p, &f6_tcp, &(struct shape){ .ext = { PKT_L_DSTOPTS } });
	p->len = 14 + 40 + 8;		/* 16-byte header, 8 bytes there */
	pkt_put16(p->buf + 14 + 4, 8);
}

static void in_tr_ip6_frag(struct pkt *p)
{
	build(p, &f6_tcp, &(struct shape){ .ext = { PKT_L_FRAG } });
	p->len = 14 + 40 + 4;
	pkt_put16(p->buf + 14 + 4, 4);
}

/* TCP cut after its flags (14 bytes), IP total length saying so. */
static void in_tr_tcp(struct pkt *p)
{
	build(p, &f4_tcp, NULL);
	p->len = 14 + 20 + 14;
	pkt_put16(p->buf + 14 + 2, 34);
	fix_ip4_csum(p);
}

static void in_tr_tcp_padded(struct pkt *p)
{
	in_tr_tcp(p);
	pkt_pad(p, 60);		/* Ethernet padding fills the frame */
}

static void in_tr_tcp_doff(struct pkt *p)
{
	build(p, &f4_tcp, NULL);
	p->buf[14 + 20 + 12] = 4 << 4;
}

static void in_tr_udp(struct pkt *p)
{
	build(p, &f4_udp, NULL);
	p->len = 14 + 20 + 4;
	pkt_put16(p->buf + 14 + 2, 24);
	fix_ip4_csum(p);
}

static void in_tr_udp_padded(struct pkt *p)
{
	in_tr_udp(p);
	pkt_pad(p, 60);
}

static void in_tr_tcp6(struct pkt *p)
{
	build(p, &f6_tcp, NULL);
	p->len = 14 + 40 + 10;
	pkt_put16(p->buf + 14 + 4, 10);
}

/* Issue 14, found by a fuzzer: a SYN to 203.0.113.10:80 whose data
 * offset (11: 44 bytes of header) runs 20 bytes past its 24 bytes of
 * TCP; it was forwarded. */
static void in_doff_past(struct pkt *p)
{
	pkt_hex(p, "020000000002020000000001080045380"
		   "02c1005000040060419c6336438cb0071"
		   "0abd9800500000000000000000bd02fff"
		   "f00000000b2c7d235");
}

/* IPv6: data offset 15 (60 bytes) in 44 bytes of TCP, the frame padded
 * well past it. */
static void in_doff_past6(struct pkt *p)
{
	build(p, &f6_tcp, NULL);
	p->buf[14 + 40 + 12] = 15 << 4;
	pkt_pad(p, p->len + 64);
}

/* Data offset 8: 12 bytes of options (the payload read as NOPs), inside
 * the packet. */
static void in_doff_opts(struct pkt *p)
{
	build(p, &f4_tcp, NULL);
	p->buf[14 + 20 + 12] = 8 << 4;
	memset(p->buf + 14 + 40, 1, 12);
}

/* UDP length against the IP payload (32 bytes: header and 24 of data). */
static void udp_len(struct pkt *p, const struct tflow *f, __u16 len)
{
	build(p, f, NULL);
	pkt_put16(p->buf + pkt_l3(p) + (f == &f4_udp ? 20 : 40) + 4, len);
}

static void in_udp_len_past(struct pkt *p)
{
	udp_len(p, &f4_udp, 8 + PAYLOAD + 1);
}

static void in_udp_len_short(struct pkt *p)
{
	udp_len(p, &f4_udp, 4);
}

static void in_udp_surplus(struct pkt *p)
{
	udp_len(p, &f4_udp, 8 + 16);	/* 8 bytes of surplus: UDP options */
}

static void in_udp6_len0(struct pkt *p)
{
	udp_len(p, &f6_udp, 0);
}

static void in_udp6_len_past(struct pkt *p)
{
	udp_len(p, &f6_udp, 8 + PAYLOAD + 8);
	pkt_pad(p, p->len + 8);		/* the bytes it claims are there */
}

static const struct test_case cases[] = {
	/* header variants */
	CASE("ipv4 with options: forwarded with them", NULL, in_opts, XDP_TX,
	     ex_v4_tcp, NULL, FWD_NEW),
	CASE("one 802.1Q tag: kept", NULL, in_vlan1, XDP_TX, ex_v4_tcp, NULL,
	     FWD_NEW),
	CASE("802.1ad + 802.1Q tags: kept", NULL, in_vlan2, XDP_TX, ex_v4_tcp,
	     NULL, FWD_NEW),
	CASE("two tags, 4-in-6: inner ethertype becomes ipv6", NULL,
	     in_vlan2_4in6, XDP_TX, ex_4in6, NULL, FWD_NEW),
	CASE("one tag, ipv6 VIP", NULL, in_vlan1_v6, XDP_TX, ex_v6_tcp, NULL,
	     FWD_NEW),
	CASE("three tags: not parsed, passes unchanged", NULL, in_vlan3,
	     XDP_PASS, NULL, NULL, UNPARSED),
	CASE("ipv6 hop-by-hop header", NULL, in_ext_hbh, XDP_TX, ex_v6_tcp,
	     NULL, FWD_NEW),
	CASE("ipv6 destination options header", NULL, in_ext_dst, XDP_TX,
	     ex_v6_tcp, NULL, FWD_NEW),
	CASE("ipv6 routing header", NULL, in_ext_rt, XDP_TX, ex_v6_tcp, NULL,
	     FWD_NEW),
	CASE("ipv6 atomic fragment header", NULL, in_ext_frag, XDP_TX,
	     ex_v6_tcp, NULL, FWD_NEW),
	CASE("ipv6 four extension headers", NULL, in_ext_four, XDP_TX,
	     ex_v6_udp, NULL, FWD_NEW),
	CASE("ipv6 five extension headers: passes unchanged", NULL,
	     in_ext_five, XDP_PASS, NULL, NULL, UNPARSED),
	CASE("padded short frame: outer length from the IP header", NULL,
	     in_padded, XDP_TX, ex_v4_udp, NULL, FWD_NEW),

	/* truncated or inconsistent: dropped, never forwarded */
	CASE("truncated: frame ends after the Ethernet header", NULL,
	     in_tr_ip_empty, XDP_DROP, NULL, NULL, MALFORMED),
	CASE("truncated: VLAN tag", NULL, in_tr_vlan, XDP_DROP, NULL, NULL,
	     MALFORMED),
	CASE("truncated: second VLAN tag", NULL, in_tr_vlan2, XDP_DROP, NULL,
	     NULL, MALFORMED),
	CASE("truncated: ipv4 header", NULL, in_tr_ip_hdr, XDP_DROP, NULL,
	     NULL, MALFORMED),
	CASE("truncated: ipv4 IHL beyond the frame", NULL, in_tr_ip_ihl,
	     XDP_DROP, NULL, NULL, MALFORMED),
	CASE("truncated: ipv4 total length beyond the frame", NULL,
	     in_tr_ip_totlen, XDP_DROP, NULL, NULL, MALFORMED),
	CASE("malformed: ipv4 IHL below 5", NULL, in_tr_ip_ihl4, XDP_DROP,
	     NULL, NULL, MALFORMED),
	CASE("malformed: ipv4 version 6 under the ipv4 ethertype", NULL,
	     in_tr_ip_version, XDP_DROP, NULL, NULL, MALFORMED),
	CASE("malformed: ipv4 total length below the header", NULL,
	     in_tr_ip_short_totlen, XDP_DROP, NULL, NULL, MALFORMED),
	CASE("malformed: ipv6 version 4 under the ipv6 ethertype", NULL,
	     in_tr_ip6_version, XDP_DROP, NULL, NULL, MALFORMED),
	CASE("truncated: ipv6 header", NULL, in_tr_ip6_hdr, XDP_DROP, NULL,
	     NULL, MALFORMED),
	CASE("truncated: ipv6 payload length beyond the frame", NULL,
	     in_tr_ip6_plen, XDP_DROP, NULL, NULL, MALFORMED),
	CASE("truncated: ipv6 extension header", NULL, in_tr_ip6_ext,
	     XDP_DROP, NULL, NULL, MALFORMED),
	CASE("truncated: ipv6 fragment header", NULL, in_tr_ip6_frag,
	     XDP_DROP, NULL, NULL, MALFORMED),
	CASE("truncated: tcp header", NULL, in_tr_tcp, XDP_DROP, NULL, NULL,
	     MALFORMED),
	CASE("truncated: tcp header inside the IP length, frame padded", NULL,
	     in_tr_tcp_padded, XDP_DROP, NULL, NULL, MALFORMED),
	CASE("malformed: tcp data offset below 5", NULL, in_tr_tcp_doff,
	     XDP_DROP, NULL, NULL, MALFORMED),
	CASE("truncated: udp header", NULL, in_tr_udp, XDP_DROP, NULL, NULL,
	     MALFORMED),
	CASE("truncated: udp header inside the IP length, frame padded", NULL,
	     in_tr_udp_padded, XDP_DROP, NULL, NULL, MALFORMED),
	CASE("truncated: tcp header after ipv6", NULL, in_tr_tcp6, XDP_DROP,
	     NULL, NULL, MALFORMED),
	CASE("malformed: tcp data offset past the packet (issue 14 frame)",
	     NULL, in_doff_past, XDP_DROP, NULL, NULL, MALFORMED),
	CASE("malformed: ipv6 tcp data offset past the packet, frame padded",
	     NULL, in_doff_past6, XDP_DROP, NULL, NULL, MALFORMED),
	CASE("tcp options within the packet: forwarded", NULL, in_doff_opts,
	     XDP_TX, ex_v4_tcp, NULL, FWD_NEW),
	CASE("malformed: udp length past the IP payload", NULL,
	     in_udp_len_past, XDP_DROP, NULL, NULL, MALFORMED),
	CASE("malformed: udp length below its header", NULL, in_udp_len_short,
	     XDP_DROP, NULL, NULL, MALFORMED),
	CASE("udp length short of the IP payload (a surplus area): forwarded",
	     NULL, in_udp_surplus, XDP_TX, ex_v4_udp, NULL, FWD_NEW),
	CASE("malformed: ipv6 udp length 0 (no jumbogram)", NULL,
	     in_udp6_len0, XDP_DROP, NULL, NULL, MALFORMED),
	CASE("malformed: ipv6 udp length past payload_len, frame padded", NULL,
	     in_udp6_len_past, XDP_DROP, NULL, NULL, MALFORMED),
};
CASES(cases, NULL);
