/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* GUE on a backend: the base header and the candidate list checked, and
 * the packet readdressed to the next candidate (second chance). The wire
 * format is xlb_abi.h's. */
#ifndef XLB_CANDIDATES_H
#define XLB_CANDIDATES_H

#include "consts.h"
#include "csum.h"
#include "../xlb_abi.h"

/* GUE's hlen (words of private data) for count candidates of family. */
#define GUE_HLEN(count, family) \
	(1 + (count) * ((family) == XLB_FAMILY_V4 ? 1 : 4))

/* What the GUE headers of a packet say. */
struct gue_pkt {
	struct udphdr *uh;
	struct xlb_gue_priv *c;	/* NULL: one candidate, no list */
	void *inner;			/* the inner IP header */
	__u32 hdr_len;			/* UDP + GUE + private data */
	__u8 inner_proto;		/* IPPROTO_IPIP or IPPROTO_IPV6 */
};

/* Checks the GUE header after g->uh and its candidate list: udp_len is
 * the UDP datagram's length (the outer IP payload, the caller has checked
 * the frame holds it), family the outer header's. Returns 0 with g filled,
 * or the xlb_decap_reason to drop with: XLB_DECAP_MALFORMED (cut short,
 * not version 0 data, flags, another inner protocol) or
 * XLB_DECAP_BAD_LIST (magic, family, count, next, hlen). */
static __always_inline __u32 gue_parse(void *data_end, __u32 udp_len,
				       __u8 family, struct gue_pkt *g)
{
	struct xlb_gue_hdr *gh = (void *)(g->uh + 1);
	struct xlb_gue_priv *c = (void *)(gh + 1);
	__u32 hlen;

	if ((void *)(gh + 1) > data_end)
		return XLB_DECAP_MALFORMED;
	/* byte 0's top three bits: version 0, C 0 (data, not control) */
	if ((gh->hlen & 0xe0) || gh->flags ||
	    (gh->proto != IPPROTO_IPIP && gh->proto != IPPROTO_IPV6))
		return XLB_DECAP_MALFORMED;
	hlen = gh->hlen;
	g->hdr_len = sizeof(struct udphdr) + sizeof(*gh) + hlen * 4;
	g->inner_proto = gh->proto;
	g->inner = (void *)g->uh + g->hdr_len;
	/* the inner packet whole, and at least an IP header */
	if (udp_len < g->hdr_len + (gh->proto == IPPROTO_IPIP ? 20 : 40))
		return XLB_DECAP_MALFORMED;
	if (!hlen)
		return 0;
	if ((void *)(c + 1) > data_end)
		return XLB_DECAP_MALFORMED;
	if (c->magic != XLB_GUE_MAGIC || c->family != family ||
	    c->count < 2 || c->count > XLB_GUE_MAX_CANDIDATES ||
	    c->next >= c->count || hlen != GUE_HLEN(c->count, c->family))
		return XLB_DECAP_BAD_LIST;
	g->c = c;
	return 0;
}

/* This host is the list's last candidate: nowhere further to go. */
static __always_inline bool cands_last(const struct gue_pkt *g)
{
	return g->c->next + 1 >= g->c->count;
}

/* Readdresses the packet to candidate[next + 1], from the address it was
 * sent to (ours), and moves next on; l3 is the outer IP header, checked
 * against data_end for its fixed size. The caller has checked this host
 * is not the last candidate. Returns 0 or -1. */
static __always_inline int cands_advance(void *l3, void *data_end,
					 struct gue_pkt *g, __u8 family)
{
	struct xlb_gue_priv *c = g->c;
	__u32 idx = c->next + 1;
	void *cand;

	/* bounds the offset below for the verifier (gue_parse and the
	 * caller already keep idx < count <= XLB_GUE_MAX_CANDIDATES) */
	if (idx >= XLB_GUE_MAX_CANDIDATES)
		return -1;
	if (family == XLB_FAMILY_V4) {
		struct iphdr *iph = l3;
		__be32 dst;

		cand = (void *)(c + 1) + idx * 4;
		if (cand + 4 > data_end)
			return -1;
		dst = *(__be32 *)cand;
		/* the source takes the old destination's value, so the sum
		 * moves only by old source -> new destination */
		iph->check = csum_replace4(iph->check, iph->saddr, dst);
		iph->saddr = iph->daddr;
		iph->daddr = dst;
	} else {
		struct ipv6hdr *ip6h = l3;

		cand = (void *)(c + 1) + idx * 16;
		if (cand + 16 > data_end)
			return -1;
		__builtin_memcpy(&ip6h->saddr, &ip6h->daddr, 16);
		__builtin_memcpy(&ip6h->daddr, cand, 16);
	}
	c->next = idx;
	/* GUE goes with a zero UDP checksum; one a sender set anyway no
	 * longer holds for the new addresses and next */
	g->uh->check = 0;
	return 0;
}

#endif /* XLB_CANDIDATES_H */
