/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Growing a packet for the outer IP header (IPIP, IP6IP6, 4-in-6, 6-in-4),
 * and turning an oversize packet into ICMP frag-needed / packet-too-big. */
#ifndef XLB_ENCAP_H
#define XLB_ENCAP_H

#include "consts.h"
#include "csum.h"
#include "l2.h"

/* Outer header fields the caller has decided on. */
struct outer_hdr {
	union xlb_addr src;
	union xlb_addr dst;
	__u32 inner_len;	/* inner IP packet length */
	__u32 flow_label;	/* IPv6 outer: low 20 bits */
	__u8 family;		/* outer family */
	__u8 inner_proto;	/* IPPROTO_IPIP or IPPROTO_IPV6 */
	__u8 tos;		/* copied from the inner header */
};

/* Writes a 20-byte outer IPv4 header (DF, TTL 64, id 0) as five 32-bit
 * words, summed for the checksum as they are made: summing the header
 * back from the packet made each load wait on the narrower stores just
 * before it (no store-to-load forwarding), 13 % of a flow hit. */
static __always_inline void ipv4_outer(struct iphdr *iph, __u8 tos,
				       __u16 tot_len, __u8 proto,
				       __be32 saddr, __be32 daddr)
{
	__u32 *w = (__u32 *)iph;
	__u32 w0 = bpf_htonl(0x45000000U | (__u32)tos << 16 | tot_len);
	__u32 w1 = bpf_htonl(IP_DF);	/* id 0, DF, offset 0 */
	__u32 w2 = bpf_htonl((__u32)XLB_OUTER_TTL << 24 | (__u32)proto << 16);
	__u64 sum = (__u64)w0 + w1 + w2 + saddr + daddr;

	/* ones' complement sum of the 16-bit words, from 32-bit ones */
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffffffff) + (sum >> 32);
	w[0] = w0;
	w[1] = w1;
	w[2] = w2;
	w[3] = saddr;
	w[4] = daddr;
	iph->check = csum_fold((__u32)sum);
}

/* Grows the headroom by the outer header and writes L2 + outer IP. */
static __always_inline int encap_push(struct xdp_md *ctx, struct l2_saved *l2,
				      const struct outer_hdr *o,
				      const __u8 *dmac, const __u8 *smac)
{
	__u32 overhead = o->family == XLB_FAMILY_V6 ? XLB_IP6IP6_OVERHEAD
						    : XLB_IPIP_OVERHEAD;
	struct ipv6hdr *ip6h;
	struct iphdr *iph;
	void *data, *data_end;

	if (bpf_xdp_adjust_head(ctx, -(int)overhead))
		return -1;
	if (l2_restore(ctx, l2, dmac, smac,
		       bpf_htons(o->family == XLB_FAMILY_V6 ? ETH_P_IPV6
							    : ETH_P_IP)))
		return -1;
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;

	if (o->family == XLB_FAMILY_V4) {
		iph = data + (l2->len & 0x1f);	/* bound for the verifier */
		if ((void *)(iph + 1) > data_end)
			return -1;
		ipv4_outer(iph, o->tos, o->inner_len + XLB_IPIP_OVERHEAD,
			   o->inner_proto, o->src.v4, o->dst.v4);
		return 0;
	}
	ip6h = data + (l2->len & 0x1f);
	if ((void *)(ip6h + 1) > data_end)
		return -1;
	*(__be32 *)ip6h = bpf_htonl((6U << 28) | ((__u32)o->tos << 20) |
				    (o->flow_label & 0xfffff));
	ip6h->payload_len = bpf_htons(o->inner_len);
	ip6h->nexthdr = o->inner_proto;
	ip6h->hop_limit = XLB_OUTER_TTL;
	__builtin_memcpy(&ip6h->saddr, o->src.v6, 16);
	__builtin_memcpy(&ip6h->daddr, o->dst.v6, 16);
	return 0;
}

/* Swaps the two MAC addresses held in a saved L2 header. */
static __always_inline void l2_swap_macs(struct l2_saved *l2, __u8 *dmac,
					 __u8 *smac)
{
	__builtin_memcpy(dmac, l2->bytes + ETH_ALEN, ETH_ALEN);
	__builtin_memcpy(smac, l2->bytes, ETH_ALEN);
}

/* Rewrites an IPv4 packet (DF set, header at l2->len) into ICMP
 * fragmentation-needed addressed to its sender, quoting its IP header and
 * 8 bytes, to go back out the ingress. */
static __always_inline int icmp4_too_big(struct xdp_md *ctx,
					 struct l2_saved *l2, __u16 mtu)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u8 dmac[ETH_ALEN], smac[ETH_ALEN];
	struct iphdr *orig, *iph;
	struct icmphdr *icmp;
	__be32 client, vip;
	__u32 quote, len;
	__u32 sum;

	orig = data + (l2->len & 0x1f);
	if ((void *)(orig + 1) > data_end)
		return -1;
	client = orig->saddr;
	vip = orig->daddr;
	quote = orig->ihl * 4 + 8;
	len = l2->len + sizeof(*iph) + sizeof(*icmp) + quote;

	l2_swap_macs(l2, dmac, smac);
	if (bpf_xdp_adjust_head(ctx, -(int)(sizeof(*iph) + sizeof(*icmp))))
		return -1;
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	if (bpf_xdp_adjust_tail(ctx, (int)len - (int)(data_end - data)))
		return -1;
	if (l2_restore(ctx, l2, dmac, smac, bpf_htons(ETH_P_IP)))
		return -1;
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;

	iph = data + (l2->len & 0x1f);
	icmp = (void *)(iph + 1);
	if ((void *)(icmp + 1) > data_end)
		return -1;
	iph->version = 4;
	iph->ihl = 5;
	iph->tos = 0;
	iph->tot_len = bpf_htons(sizeof(*iph) + sizeof(*icmp) + quote);
	iph->id = 0;
	iph->frag_off = 0;
	iph->ttl = XLB_OUTER_TTL;
	iph->protocol = IPPROTO_ICMP;
	iph->check = 0;
	iph->saddr = vip;
	iph->daddr = client;
	iph->check = ipv4_hdr_csum(iph);

	icmp->type = ICMP_DEST_UNREACH;
	icmp->code = ICMP_FRAG_NEEDED;
	icmp->checksum = 0;
	icmp->un.frag.__unused = 0;
	icmp->un.frag.mtu = bpf_htons(mtu);
	/* quote is at most 60 + 8 bytes */
	sum = csum_packet_words(0, icmp, data_end,
				(sizeof(*icmp) + quote) / 2, (8 + 68) / 2);
	icmp->checksum = csum_fold(sum);
	return 0;
}

/* The IPv6 twin: packet-too-big quoting up to XLB_ICMP6_QUOTE bytes. */
static __always_inline int icmp6_too_big(struct xdp_md *ctx,
					 struct l2_saved *l2, __u32 mtu)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u8 dmac[ETH_ALEN], smac[ETH_ALEN];
	struct ipv6hdr *orig, *ip6h;
	struct icmp6hdr *icmp6;
	struct in6_addr client, vip;
	__u32 quote, len, sum = 0;
	int i;

	orig = data + (l2->len & 0x1f);
	if ((void *)(orig + 1) > data_end)
		return -1;
	client = orig->saddr;
	vip = orig->daddr;
	quote = sizeof(*orig) + bpf_ntohs(orig->payload_len);
	if (quote > XLB_ICMP6_QUOTE)
		quote = XLB_ICMP6_QUOTE;
	quote &= ~1U;	/* whole 16-bit words for the checksum */
	len = l2->len + sizeof(*ip6h) + sizeof(*icmp6) + quote;

	l2_swap_macs(l2, dmac, smac);
	if (bpf_xdp_adjust_head(ctx, -(int)(sizeof(*ip6h) + sizeof(*icmp6))))
		return -1;
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	if (bpf_xdp_adjust_tail(ctx, (int)len - (int)(data_end - data)))
		return -1;
	if (l2_restore(ctx, l2, dmac, smac, bpf_htons(ETH_P_IPV6)))
		return -1;
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;

	ip6h = data + (l2->len & 0x1f);
	icmp6 = (void *)(ip6h + 1);
	if ((void *)(icmp6 + 1) > data_end)
		return -1;
	*(__be32 *)ip6h = bpf_htonl(6U << 28);
	ip6h->payload_len = bpf_htons(sizeof(*icmp6) + quote);
	ip6h->nexthdr = IPPROTO_ICMPV6;
	ip6h->hop_limit = XLB_OUTER_TTL;
	ip6h->saddr = vip;
	ip6h->daddr = client;

	icmp6->icmp6_type = ICMPV6_PKT_TOOBIG;
	icmp6->icmp6_code = 0;
	icmp6->icmp6_cksum = 0;
	icmp6->icmp6_dataun.un_data32[0] = bpf_htonl(mtu);

	/* pseudo header: addresses, upper-layer length, next header */
#pragma unroll
	for (i = 0; i < 8; i++) {
		sum += ((__u16 *)&vip)[i];
		sum += ((__u16 *)&client)[i];
	}
	sum += bpf_htons(sizeof(*icmp6) + quote);
	sum += bpf_htons(IPPROTO_ICMPV6);
	sum = csum_packet_words(sum, icmp6, data_end,
				(sizeof(*icmp6) + quote) / 2,
				(8 + XLB_ICMP6_QUOTE) / 2);
	icmp6->icmp6_cksum = csum_fold(sum);
	return 0;
}

#endif /* XLB_ENCAP_H */
