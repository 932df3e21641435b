/* SPDX-License-Identifier: GPL-2.0 */
/* Packet builder for the packet tests: push layers outermost first, then
 * pkt_finish() fills next-protocol fields, lengths and checksums. */
#ifndef XLB_PKTGEN_H
#define XLB_PKTGEN_H

#include <ctype.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <linux/types.h>

#define PKT_MAX 4096
#define PKT_MAX_LAYERS 24

#define PKT_ETH_P_IP 0x0800
#define PKT_ETH_P_ARP 0x0806
#define PKT_ETH_P_IPV6 0x86DD
#define PKT_ETH_P_8021Q 0x8100
#define PKT_ETH_P_8021AD 0x88A8

#define PKT_PROTO_HOPOPTS 0
#define PKT_PROTO_ICMP 1
#define PKT_PROTO_IPIP 4
#define PKT_PROTO_TCP 6
#define PKT_PROTO_UDP 17
#define PKT_PROTO_IPV6 41
#define PKT_PROTO_ROUTING 43
#define PKT_PROTO_FRAGMENT 44
#define PKT_PROTO_ICMPV6 58
#define PKT_PROTO_NONE 59
#define PKT_PROTO_DSTOPTS 60

#define PKT_TCP_FIN 0x01
#define PKT_TCP_SYN 0x02
#define PKT_TCP_RST 0x04
#define PKT_TCP_PSH 0x08
#define PKT_TCP_ACK 0x10

enum pkt_type {
	PKT_L_ETH,
	PKT_L_VLAN,
	PKT_L_ARP,
	PKT_L_IPV4,
	PKT_L_IPV6,
	PKT_L_HOPOPTS,
	PKT_L_ROUTING,
	PKT_L_DSTOPTS,
	PKT_L_FRAG,
	PKT_L_TCP,
	PKT_L_UDP,
	PKT_L_ICMP,
	PKT_L_ICMP6,
	PKT_L_GUE,
	PKT_L_RAW,
};

struct pkt_layer {
	enum pkt_type type;
	size_t off;
	size_t len;
	bool auto_next;		/* fill the next-protocol field */
	bool auto_len;		/* fill the length field */
	bool no_csum;		/* UDP: checksum 0 */
	__u16 tpid;		/* VLAN: the ethertype that announces it */
	enum pkt_type as;	/* raw bytes: the header type they start with */
};

struct pkt {
	__u8 buf[PKT_MAX];
	size_t len;
	int n;
	struct pkt_layer l[PKT_MAX_LAYERS];
};

/* IPv4 header fields; zero means the default (ttl 64, the rest derived). */
struct pkt_ip4 {
	__be32 src, dst;
	__u8 tos;
	__u8 ttl;
	__u16 id;
	bool df, mf;
	__u16 frag_off;		/* in bytes, multiple of 8 */
	__u8 proto;		/* 0: from the next layer */
	__u16 tot_len;		/* 0: to the end of the packet */
	const __u8 *opts;	/* options, optlen a multiple of 4 */
	size_t optlen;
};

struct pkt_ip6 {
	__u8 src[16], dst[16];
	__u8 tc;
	__u32 flow;
	__u8 hlim;		/* 0 = 64 */
	__u8 next;		/* 0: from the next layer */
	__u16 payload_len;	/* 0: to the end of the packet */
};

static inline void pkt_init(struct pkt *p)
{
	p->len = 0;
	p->n = 0;
}

static inline void *pkt_push(struct pkt *p, enum pkt_type type, size_t len)
{
	struct pkt_layer *l;
	void *pos;

	if (p->n >= PKT_MAX_LAYERS || p->len + len > PKT_MAX)
		__builtin_trap();	/* a test bug, not a data-path one */
	l = &p->l[p->n++];
	memset(l, 0, sizeof(*l));
	l->type = type;
	l->off = p->len;
	l->len = len;
	l->auto_next = true;
	l->auto_len = true;
	l->as = PKT_L_RAW;
	pos = p->buf + p->len;
	memset(pos, 0, len);
	p->len += len;
	return pos;
}

static inline void pkt_put16(__u8 *b, __u16 v)
{
	b[0] = v >> 8;
	b[1] = v & 0xff;
}

static inline void pkt_put32(__u8 *b, __u32 v)
{
	pkt_put16(b, v >> 16);
	pkt_put16(b + 2, v & 0xffff);
}

static inline __u16 pkt_get16(const __u8 *b)
{
	return (__u16)(b[0] << 8 | b[1]);
}

/* Ethernet header; the ethertype comes from the next layer. */
static inline void pkt_eth(struct pkt *p, const __u8 *dst, const __u8 *src)
{
	__u8 *b = pkt_push(p, PKT_L_ETH, 14);

	memcpy(b, dst, 6);
	memcpy(b + 6, src, 6);
}

/* Ethernet header with a fixed ethertype. */
static inline void pkt_eth_type(struct pkt *p, const __u8 *dst,
				const __u8 *src, __u16 type)
{
	__u8 *b = pkt_push(p, PKT_L_ETH, 14);

	memcpy(b, dst, 6);
	memcpy(b + 6, src, 6);
	pkt_put16(b + 12, type);
	p->l[p->n - 1].auto_next = false;
}

/* A VLAN tag; tpid (0x8100 or 0x88a8) goes into the previous layer. */
static inline void pkt_vlan(struct pkt *p, __u16 tpid, __u16 vid)
{
	__u8 *b = pkt_push(p, PKT_L_VLAN, 4);

	pkt_put16(b, vid & 0x0fff);
	p->l[p->n - 1].tpid = tpid;
}

/* ARP request: who has tpa, tell spa (sha). */
static inline void pkt_arp(struct pkt *p, const __u8 *sha, __be32 spa,
			   __be32 tpa)
{
	__u8 *b = pkt_push(p, PKT_L_ARP, 28);

	pkt_put16(b, 1);		/* Ethernet */
	pkt_put16(b + 2, PKT_ETH_P_IP);
	b[4] = 6;
	b[5] = 4;
	pkt_put16(b + 6, 1);		/* request */
	memcpy(b + 8, sha, 6);
	memcpy(b + 14, &spa, 4);
	memcpy(b + 24, &tpa, 4);
}

static inline void pkt_ipv4(struct pkt *p, const struct pkt_ip4 *ip)
{
	size_t hlen = 20 + ip->optlen;
	__u8 *b = pkt_push(p, PKT_L_IPV4, hlen);
	struct pkt_layer *l = &p->l[p->n - 1];
	__u16 frag = ip->frag_off / 8;

	b[0] = 0x40 | (hlen / 4);
	b[1] = ip->tos;
	pkt_put16(b + 4, ip->id);
	if (ip->df)
		frag |= 0x4000;
	if (ip->mf)
		frag |= 0x2000;
	pkt_put16(b + 6, frag);
	b[8] = ip->ttl ? ip->ttl : 64;
	b[9] = ip->proto;
	memcpy(b + 12, &ip->src, 4);
	memcpy(b + 16, &ip->dst, 4);
	if (ip->optlen)
		memcpy(b + 20, ip->opts, ip->optlen);
	if (ip->proto)
		l->auto_next = false;
	if (ip->tot_len) {
		pkt_put16(b + 2, ip->tot_len);
		l->auto_len = false;
	}
}

static inline void pkt_ipv6(struct pkt *p, const struct pkt_ip6 *ip)
{
	__u8 *b = pkt_push(p, PKT_L_IPV6, 40);
	struct pkt_layer *l = &p->l[p->n - 1];

	pkt_put32(b, 6U << 28 | (__u32)ip->tc << 20 | (ip->flow & 0xfffff));
	b[6] = ip->next;
	b[7] = ip->hlim ? ip->hlim : 64;
	memcpy(b + 8, ip->src, 16);
	memcpy(b + 24, ip->dst, 16);
	if (ip->next)
		l->auto_next = false;
	if (ip->payload_len) {
		pkt_put16(b + 4, ip->payload_len);
		l->auto_len = false;
	}
}

/* Hop-by-hop or destination options (PadN filled), or a routing header
 * (type 0, no segments left); len in bytes, a multiple of 8. */
static inline void pkt_ip6_ext(struct pkt *p, enum pkt_type type, size_t len)
{
	__u8 *b = pkt_push(p, type, len);

	b[1] = len / 8 - 1;
	if (type == PKT_L_ROUTING)
		return;		/* type 0, segments left 0, reserved */
	b[2] = 1;		/* PadN covering the rest */
	b[3] = len - 4;
}

/* Fragment header; offset in bytes. next 0: from the next layer. */
static inline void pkt_ip6_frag(struct pkt *p, __u16 offset, bool more,
				__u32 id, __u8 next)
{
	__u8 *b = pkt_push(p, PKT_L_FRAG, 8);

	b[0] = next;
	pkt_put16(b + 2, (offset & ~7) | (more ? 1 : 0));
	pkt_put32(b + 4, id);
	if (next)
		p->l[p->n - 1].auto_next = false;
}

static inline void pkt_tcp(struct pkt *p, __u16 sport, __u16 dport,
			   __u8 flags)
{
	__u8 *b = pkt_push(p, PKT_L_TCP, 20);

	pkt_put16(b, sport);
	pkt_put16(b + 2, dport);
	pkt_put32(b + 4, 0x01020304);		/* seq */
	if (flags & PKT_TCP_ACK)
		pkt_put32(b + 8, 0x0a0b0c0d);
	b[12] = 5 << 4;
	b[13] = flags;
	pkt_put16(b + 14, 64240);
}

static inline void pkt_udp(struct pkt *p, __u16 sport, __u16 dport)
{
	__u8 *b = pkt_push(p, PKT_L_UDP, 8);

	pkt_put16(b, sport);
	pkt_put16(b + 2, dport);
}

/* UDP with checksum 0, as GUE goes. */
static inline void pkt_udp_nocsum(struct pkt *p, __u16 sport, __u16 dport)
{
	pkt_udp(p, sport, dport);
	p->l[p->n - 1].no_csum = true;
}

/* GUE (variant 0, data): hlen from the private data's length (a multiple
 * of 4), proto from the next layer, flags 0. */
static inline void pkt_gue(struct pkt *p, const void *priv, size_t len)
{
	__u8 *b = pkt_push(p, PKT_L_GUE, 4 + len);

	b[0] = (__u8)(len / 4);
	memcpy(b + 4, priv, len);
}

/* xlb's private data: magic, next, count, family, then count addresses
 * of 4 (family 4) or 16 bytes. Returns its length. */
static inline size_t pkt_gue_cands(__u8 *out, __u8 next, __u8 count,
				   __u8 family, const void *addrs)
{
	size_t alen = family == 4 ? 4 : 16;

	out[0] = 0x78;
	out[1] = next;
	out[2] = count;
	out[3] = family;
	memcpy(out + 4, addrs, count * alen);
	return 4 + count * alen;
}

/* ICMP header; rest is the second 32-bit word (frag-needed: the MTU). */
static inline void pkt_icmp(struct pkt *p, __u8 type, __u8 code, __u32 rest)
{
	__u8 *b = pkt_push(p, PKT_L_ICMP, 8);

	b[0] = type;
	b[1] = code;
	pkt_put32(b + 4, rest);
}

static inline void pkt_icmp6(struct pkt *p, __u8 type, __u8 code, __u32 rest)
{
	__u8 *b = pkt_push(p, PKT_L_ICMP6, 8);

	b[0] = type;
	b[1] = code;
	pkt_put32(b + 4, rest);
}

static inline void pkt_raw(struct pkt *p, const void *data, size_t len)
{
	memcpy(pkt_push(p, PKT_L_RAW, len), data, len);
}

/* A whole IP packet as raw bytes (an inner packet, a quote): announced
 * by the layer before it as IPv4 or IPv6, from its version nibble. */
static inline void pkt_raw_ip(struct pkt *p, const void *data, size_t len)
{
	pkt_raw(p, data, len);
	p->l[p->n - 1].as = (((const __u8 *)data)[0] >> 4) == 6 ? PKT_L_IPV6
							       : PKT_L_IPV4;
}

/* A whole frame from hex digits (spaces and newlines skipped), as an
 * issue or the fuzzer quotes one: one raw layer. */
static inline void pkt_hex(struct pkt *p, const char *hex)
{
	size_t n = 0;
	__u8 *b;

	for (const char *c = hex; *c; c++)
		n += isxdigit((unsigned char)*c) != 0;
	if (n % 2)
		__builtin_trap();	/* a test bug */
	pkt_init(p);
	b = pkt_push(p, PKT_L_RAW, n / 2);
	for (size_t i = 0; *hex; hex++) {
		int v = *hex <= '9' ? *hex - '0' : (*hex | 0x20) - 'a' + 10;

		if (!isxdigit((unsigned char)*hex))
			continue;
		b[i / 2] = (__u8)(i % 2 ? b[i / 2] | v : v << 4);
		i++;
	}
}

/* Zero bytes after everything, outside any layer (Ethernet padding):
 * call after pkt_finish(). */
static inline void pkt_pad(struct pkt *p, size_t to)
{
	if (to > PKT_MAX)
		__builtin_trap();
	if (p->len < to) {
		memset(p->buf + p->len, 0, to - p->len);
		p->len = to;
	}
}

/* len bytes of a recognisable pattern. */
static inline void pkt_payload(struct pkt *p, size_t len)
{
	__u8 *b = pkt_push(p, PKT_L_RAW, len);

	for (size_t i = 0; i < len; i++)
		b[i] = (__u8)(0x30 + i % 64);
}

/* Offset of the first IP header (the end of the L2 header). */
static inline size_t pkt_l3(const struct pkt *p)
{
	for (int i = 0; i < p->n; i++)
		if (p->l[i].type != PKT_L_ETH && p->l[i].type != PKT_L_VLAN)
			return p->l[i].off;
	return p->len;
}

/* Ones' complement sum of big-endian 16-bit words. */
static inline __u32 pkt_csum_add(__u32 sum, const __u8 *b, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += pkt_get16(b + i);
	if (len & 1)
		sum += (__u32)b[len - 1] << 8;
	return sum;
}

static inline __u16 pkt_csum_fold(__u32 sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

/* The ethertype (l2) or IP protocol that announces layer next; -1 for an
 * ethertype we cannot tell. */
static inline int pkt_next_value(const struct pkt_layer *next, bool l2)
{
	if (!next)
		return l2 ? -1 : PKT_PROTO_NONE;
	switch (next->type == PKT_L_RAW ? next->as : next->type) {
	case PKT_L_VLAN:
		return next->tpid;
	case PKT_L_ARP:
		return PKT_ETH_P_ARP;
	case PKT_L_IPV4:
		return l2 ? PKT_ETH_P_IP : PKT_PROTO_IPIP;
	case PKT_L_IPV6:
		return l2 ? PKT_ETH_P_IPV6 : PKT_PROTO_IPV6;
	case PKT_L_HOPOPTS:
		return PKT_PROTO_HOPOPTS;
	case PKT_L_ROUTING:
		return PKT_PROTO_ROUTING;
	case PKT_L_DSTOPTS:
		return PKT_PROTO_DSTOPTS;
	case PKT_L_FRAG:
		return PKT_PROTO_FRAGMENT;
	case PKT_L_TCP:
		return PKT_PROTO_TCP;
	case PKT_L_UDP:
		return PKT_PROTO_UDP;
	case PKT_L_ICMP:
		return PKT_PROTO_ICMP;
	case PKT_L_ICMP6:
		return PKT_PROTO_ICMPV6;
	default:
		return l2 ? -1 : PKT_PROTO_NONE;
	}
}

/* Pseudo-header sum for an upper layer at layer index i: the nearest IP
 * header before it, upper-layer length to the end of the packet. */
static inline __u32 pkt_pseudo(const struct pkt *p, int i, __u8 proto)
{
	size_t ulen = p->len - p->l[i].off;
	__u32 sum = 0;

	for (int j = i - 1; j >= 0; j--) {
		const __u8 *ip = p->buf + p->l[j].off;

		if (p->l[j].type == PKT_L_IPV4) {
			sum = pkt_csum_add(0, ip + 12, 8);
			break;
		}
		if (p->l[j].type == PKT_L_IPV6) {
			sum = pkt_csum_add(0, ip + 8, 32);
			break;
		}
	}
	sum += proto;
	sum += (__u32)(ulen & 0xffff) + (__u32)(ulen >> 16);
	return sum;
}

/* Fills the derived fields, innermost layer first, so that a checksum
 * over inner bytes (ICMP quoting a packet) sees them final. */
static inline void pkt_finish(struct pkt *p)
{
	for (int i = p->n - 1; i >= 0; i--) {
		struct pkt_layer *l = &p->l[i];
		const struct pkt_layer *next = i + 1 < p->n ? &p->l[i + 1]
							    : NULL;
		__u8 *b = p->buf + l->off;
		size_t rest = p->len - l->off;
		__u16 sum;
		int nv;

		switch (l->type) {
		case PKT_L_ETH:
		case PKT_L_VLAN:
			nv = pkt_next_value(next, true);
			if (l->auto_next && nv >= 0)
				pkt_put16(b + (l->type == PKT_L_ETH ? 12 : 2),
					  (__u16)nv);
			break;
		case PKT_L_IPV4:
			if (l->auto_next)
				b[9] = (__u8)pkt_next_value(next, false);
			if (l->auto_len)
				pkt_put16(b + 2, (__u16)rest);
			pkt_put16(b + 10, 0);
			pkt_put16(b + 10, pkt_csum_fold(pkt_csum_add(0, b,
								     l->len)));
			break;
		case PKT_L_IPV6:
			if (l->auto_next)
				b[6] = (__u8)pkt_next_value(next, false);
			if (l->auto_len)
				pkt_put16(b + 4, (__u16)(rest - 40));
			break;
		case PKT_L_HOPOPTS:
		case PKT_L_ROUTING:
		case PKT_L_DSTOPTS:
		case PKT_L_FRAG:
			if (l->auto_next)
				b[0] = (__u8)pkt_next_value(next, false);
			break;
		case PKT_L_TCP:
			pkt_put16(b + 16, 0);
			sum = pkt_csum_fold(pkt_csum_add(
				pkt_pseudo(p, i, PKT_PROTO_TCP), b, rest));
			pkt_put16(b + 16, sum);
			break;
		case PKT_L_UDP:
			pkt_put16(b + 4, (__u16)rest);
			pkt_put16(b + 6, 0);
			if (l->no_csum)
				break;
			sum = pkt_csum_fold(pkt_csum_add(
				pkt_pseudo(p, i, PKT_PROTO_UDP), b, rest));
			pkt_put16(b + 6, sum ? sum : 0xffff);
			break;
		case PKT_L_ICMP:
			pkt_put16(b + 2, 0);
			pkt_put16(b + 2, pkt_csum_fold(pkt_csum_add(0, b, rest)));
			break;
		case PKT_L_ICMP6:
			pkt_put16(b + 2, 0);
			sum = pkt_csum_fold(pkt_csum_add(
				pkt_pseudo(p, i, PKT_PROTO_ICMPV6), b, rest));
			pkt_put16(b + 2, sum);
			break;
		case PKT_L_GUE:
			if (l->auto_next)
				b[1] = (__u8)pkt_next_value(next, false);
			break;
		case PKT_L_ARP:
		case PKT_L_RAW:
			break;
		}
	}
}

#endif /* XLB_PKTGEN_H */
