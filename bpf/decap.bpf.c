// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Backend side: strips IPIP, IP6IP6, 4-in-6 and 6-in-4 sent to one of this
 * host's tunnel addresses and hands the inner packet to the stack. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "xlb_abi.h"
#include "lib/consts.h"
#include "lib/parse.h"
#include "lib/l2.h"

/* Local addresses tunnels may be sent to. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, struct xlb_decap_key);
	__type(value, __u32);
} decap_addrs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XLB_DECAP_MAX);
	__type(key, __u32);
	__type(value, __u64);
} decap_stats SEC(".maps");

static __always_inline int decap_verdict(__u32 reason)
{
	__u64 *cnt = bpf_map_lookup_elem(&decap_stats, &reason);

	if (cnt)
		*cnt += 1;
	if (reason == XLB_DECAP_MALFORMED)
		return XDP_DROP;
	return XDP_PASS;
}

/* Removes outer_len bytes after the L2 header and sets the ethertype. */
static __always_inline int strip_outer(struct xdp_md *ctx, __u32 l2_len,
				       __u32 outer_len, __be16 inner_type)
{
	struct l2_saved l2;

	if (l2_save(ctx, &l2, l2_len) ||
	    bpf_xdp_adjust_head(ctx, (int)outer_len))
		return -1;
	return l2_restore(ctx, &l2, NULL, NULL, inner_type);
}

SEC("xdp")
int xlb_decap(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct hdr_cursor nh = { .pos = data };
	struct xlb_decap_key key = {};
	struct ipv6hdr *ip6h;
	struct ethhdr *eth;
	struct iphdr *iph;
	__u32 l2_len, outer_len, inner_len;
	int eth_type;
	__u8 proto;

	eth_type = parse_ethhdr(&nh, data_end, &eth);
	if (eth_type < 0)
		return decap_verdict(XLB_DECAP_PASS);
	l2_len = nh.pos - data;

	if (eth_type == bpf_htons(ETH_P_IP)) {
		iph = nh.pos;
		if ((void *)(iph + 1) > data_end || iph->version != 4 ||
		    iph->ihl < 5)
			return decap_verdict(XLB_DECAP_PASS);
		proto = iph->protocol;
		if (proto != IPPROTO_IPIP && proto != IPPROTO_IPV6)
			return decap_verdict(XLB_DECAP_PASS);
		/* fragmented tunnels are the stack's job */
		if (iph->frag_off & bpf_htons(IP_MF | IP_OFFSET))
			return decap_verdict(XLB_DECAP_PASS);
		key.family = XLB_FAMILY_V4;
		key.addr.v4 = iph->daddr;
		outer_len = iph->ihl * 4;
		inner_len = bpf_ntohs(iph->tot_len);
		if (inner_len < outer_len)
			return decap_verdict(XLB_DECAP_MALFORMED);
		inner_len -= outer_len;
	} else if (eth_type == bpf_htons(ETH_P_IPV6)) {
		ip6h = nh.pos;
		if ((void *)(ip6h + 1) > data_end || ip6h->version != 6)
			return decap_verdict(XLB_DECAP_PASS);
		proto = ip6h->nexthdr;
		if (proto != IPPROTO_IPIP && proto != IPPROTO_IPV6)
			return decap_verdict(XLB_DECAP_PASS);
		key.family = XLB_FAMILY_V6;
		__builtin_memcpy(key.addr.v6, &ip6h->daddr, 16);
		outer_len = sizeof(*ip6h);
		inner_len = bpf_ntohs(ip6h->payload_len);
	} else {
		return decap_verdict(XLB_DECAP_PASS);
	}

	if (!bpf_map_lookup_elem(&decap_addrs, &key))
		return decap_verdict(XLB_DECAP_PASS);
	/* the inner packet must be whole, and at least an IP header */
	if (nh.pos + outer_len + inner_len > data_end ||
	    inner_len < (proto == IPPROTO_IPIP ? 20 : 40))
		return decap_verdict(XLB_DECAP_MALFORMED);
	if (strip_outer(ctx, l2_len, outer_len,
			bpf_htons(proto == IPPROTO_IPIP ? ETH_P_IP
							: ETH_P_IPV6)))
		return decap_verdict(XLB_DECAP_MALFORMED);
	return decap_verdict(XLB_DECAP_DONE);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
