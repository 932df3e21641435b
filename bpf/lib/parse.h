/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Header parsers in the hdr_cursor style: each checks its bounds, advances
 * the cursor and returns the next protocol, or a negative XLB_PARSE_* code.
 */
#ifndef XLB_PARSE_H
#define XLB_PARSE_H

#include "consts.h"

/* Parsing errors: malformed means drop, unparsed means pass untouched. */
#define XLB_PARSE_MALFORMED (-1)
#define XLB_PARSE_UNPARSED (-2)

struct hdr_cursor {
	void *pos;
};

/* Ethernet plus up to two VLAN tags (802.1Q or 802.1ad). Returns the
 * ethertype in network order. */
static __always_inline int parse_ethhdr(struct hdr_cursor *nh, void *data_end,
					struct ethhdr **ethhdr)
{
	struct ethhdr *eth = nh->pos;
	struct vlan_hdr *vlh;
	__u16 h_proto;
	int i;

	if ((void *)(eth + 1) > data_end)
		return XLB_PARSE_MALFORMED;
	nh->pos = eth + 1;
	*ethhdr = eth;
	h_proto = eth->h_proto;

#pragma unroll
	for (i = 0; i < XLB_MAX_VLAN_TAGS; i++) {
		if (h_proto != bpf_htons(ETH_P_8021Q) &&
		    h_proto != bpf_htons(ETH_P_8021AD))
			break;
		vlh = nh->pos;
		if ((void *)(vlh + 1) > data_end)
			return XLB_PARSE_MALFORMED;
		h_proto = vlh->h_vlan_encapsulated_proto;
		nh->pos = vlh + 1;
	}
	if (h_proto == bpf_htons(ETH_P_8021Q) ||
	    h_proto == bpf_htons(ETH_P_8021AD))
		return XLB_PARSE_UNPARSED;	/* a third tag: not ours */
	return h_proto;
}

/* IPv4 with any IHL. Checks version, IHL and that the stated length fits
 * in the frame. Returns the L4 protocol. */
static __always_inline int parse_iphdr(struct hdr_cursor *nh, void *data_end,
				       struct iphdr **iphdr)
{
	struct iphdr *iph = nh->pos;
	__u32 hdrsize;

	if ((void *)(iph + 1) > data_end)
		return XLB_PARSE_MALFORMED;
	if (iph->version != 4 || iph->ihl < 5)
		return XLB_PARSE_MALFORMED;
	hdrsize = iph->ihl * 4;
	/* Variable offset: bound it against data_end before moving on. */
	if (nh->pos + hdrsize > data_end)
		return XLB_PARSE_MALFORMED;
	if (bpf_ntohs(iph->tot_len) < hdrsize ||
	    nh->pos + bpf_ntohs(iph->tot_len) > data_end)
		return XLB_PARSE_MALFORMED;
	nh->pos += hdrsize;
	*iphdr = iph;
	return iph->protocol;
}

/* What the IPv6 extension-header walk found about fragmentation. */
struct ipv6_frag_info {
	__u32 id;		/* host order */
	__u16 offset;		/* fragment offset in 8-byte units */
	__u8 fragmented;	/* a fragment header was present */
	__u8 more;		/* M flag */
};

/* IPv6 plus hop-by-hop, routing, destination-options and fragment headers
 * (at most XLB_MAX_IPV6_EXT of them), each of which must end within the
 * packet as payload_len has it (the frame may run on: padding). Returns
 * the upper-layer protocol, or XLB_PARSE_UNPARSED for a longer chain. A
 * non-first fragment stops the walk and returns the protocol named in its
 * fragment header. */
static __always_inline int parse_ip6hdr(struct hdr_cursor *nh, void *data_end,
					struct ipv6hdr **ip6hdr,
					struct ipv6_frag_info *frag)
{
	struct ipv6hdr *ip6h = nh->pos;
	struct ipv6_opt_hdr *opt;
	struct frag_hdr *fh;
	void *ip_end;
	__u8 nexthdr;
	int i;

	if ((void *)(ip6h + 1) > data_end)
		return XLB_PARSE_MALFORMED;
	if (ip6h->version != 6)
		return XLB_PARSE_MALFORMED;
	ip_end = (void *)(ip6h + 1) + bpf_ntohs(ip6h->payload_len);
	if (ip_end > data_end)
		return XLB_PARSE_MALFORMED;
	nh->pos = ip6h + 1;
	*ip6hdr = ip6h;
	nexthdr = ip6h->nexthdr;

	/* Each header is checked against data_end for the verifier (it
	 * reads through that pointer) and against ip_end for the rule. */
#pragma unroll
	for (i = 0; i < XLB_MAX_IPV6_EXT; i++) {
		switch (nexthdr) {
		case IPPROTO_HOPOPTS:
		case IPPROTO_ROUTING:
		case IPPROTO_DSTOPTS:
			opt = nh->pos;
			if ((void *)(opt + 1) > data_end)
				return XLB_PARSE_MALFORMED;
			nexthdr = opt->nexthdr;
			/* hdrlen counts 8-byte units after the first 8. */
			nh->pos += (opt->hdrlen + 1) * 8;
			if (nh->pos > data_end || nh->pos > ip_end)
				return XLB_PARSE_MALFORMED;
			break;
		case IPPROTO_FRAGMENT:
			fh = nh->pos;
			if ((void *)(fh + 1) > data_end ||
			    (void *)(fh + 1) > ip_end)
				return XLB_PARSE_MALFORMED;
			frag->fragmented = 1;
			frag->id = bpf_ntohl(fh->identification);
			frag->offset = bpf_ntohs(fh->frag_off) >> 3;
			frag->more = bpf_ntohs(fh->frag_off) & 1;
			nexthdr = fh->nexthdr;
			nh->pos = fh + 1;
			if (frag->offset)
				return nexthdr;
			break;
		default:
			return nexthdr;
		}
	}
	switch (nexthdr) {
	case IPPROTO_HOPOPTS:
	case IPPROTO_ROUTING:
	case IPPROTO_DSTOPTS:
	case IPPROTO_FRAGMENT:
		return XLB_PARSE_UNPARSED;
	}
	return nexthdr;
}

/* TCP or UDP ports (and TCP flags). Returns 0 or XLB_PARSE_MALFORMED. The
 * header must end within the IP packet (ip_end; the frame may run on):
 * TCP with its options (data offset 5 or more), and UDP with a length of
 * at least 8 that does not run past the packet. A UDP length short of it
 * leaves a surplus area (UDP options use it; the receiving stack ignores
 * it): forwarded. In a first fragment the UDP length counts the whole
 * datagram, so only its lower bound holds. */
static __always_inline int parse_ports(struct hdr_cursor *nh, void *data_end,
				       void *ip_end, bool first_frag,
				       __u8 proto, __be16 *sport,
				       __be16 *dport, __u8 *tcp_flags)
{
	struct tcphdr *th;
	struct udphdr *uh;
	__u16 len;

	if (proto == IPPROTO_TCP) {
		th = nh->pos;
		if ((void *)(th + 1) > data_end || th->doff < 5)
			return XLB_PARSE_MALFORMED;
		if ((void *)th + th->doff * 4 > ip_end)
			return XLB_PARSE_MALFORMED;
		*sport = th->source;
		*dport = th->dest;
		/* flags live in byte 13 of the TCP header */
		*tcp_flags = ((__u8 *)th)[13];
		nh->pos = th + 1;
		return 0;
	}
	uh = nh->pos;
	if ((void *)(uh + 1) > data_end || (void *)(uh + 1) > ip_end)
		return XLB_PARSE_MALFORMED;
	len = bpf_ntohs(uh->len);
	if (len < sizeof(*uh) || (!first_frag && (void *)uh + len > ip_end))
		return XLB_PARSE_MALFORMED;
	*sport = uh->source;
	*dport = uh->dest;
	nh->pos = uh + 1;
	return 0;
}

#endif /* XLB_PARSE_H */
