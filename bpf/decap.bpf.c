// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Backend side: strips the tunnels sent to one of this host's addresses
 * (IPIP, IP6IP6, 4-in-6, 6-in-4, and GUE to the GUE port) and hands the
 * inner packet to the stack. A GUE packet that lists candidates gets a
 * second chance (docs/connection-integrity.md, section 3): a TCP segment,
 * not a bare SYN, that this host's stack has no connection for goes on to
 * the next candidate instead of being reset here. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "xlb_abi.h"
#include "lib/consts.h"
#include "lib/parse.h"
#include "lib/l2.h"
#include "lib/candidates.h"
#include "lib/sklookup.h"

#ifndef AF_INET
#define AF_INET 2
#define AF_INET6 10
#endif

/* Local addresses tunnels may be sent to. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, struct xlb_decap_key);
	__type(value, __u32);
} decap_addrs SEC(".maps");

/* Counters, one per xlb_decap_reason. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XLB_DECAP_MAX);
	__type(key, __u32);
	__type(value, __u64);
} decap_stats SEC(".maps");

/* Settings (struct xlb_decap_config), one entry, written at attach. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xlb_decap_config);
} decap_settings SEC(".maps");

/* ifindex -> device: where second chance may redirect to when the FIB's
 * next hop is not on the ingress device. */
struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u32);
} decap_tx_ports SEC(".maps");

static __always_inline void count(__u32 reason)
{
	__u64 *cnt = bpf_map_lookup_elem(&decap_stats, &reason);

	if (cnt)
		*cnt += 1;
}

static __always_inline int decap_verdict(__u32 reason)
{
	count(reason);
	if (reason == XLB_DECAP_MALFORMED || reason == XLB_DECAP_BAD_LIST ||
	    reason == XLB_DECAP_DROP_NO_ROUTE)
		return XDP_DROP;
	return XDP_PASS;
}

/* What the outer headers of a packet say. */
struct tunnel {
	void *l3;		/* the outer IP header */
	__u32 l2_len;
	__u32 ip_hlen;		/* outer IP header length */
	__u32 payload;		/* outer IP payload length */
	__u8 family;		/* outer, XLB_FAMILY_* */
	__u8 proto;		/* IPPROTO_IPIP, _IPV6 or _UDP */
};

/* The outer IP header: a tunnel's protocol, not fragmented. Fills t and
 * the local-address key. Returns 0, or the reason to pass or drop. */
static __always_inline __u32 outer_parse(struct tunnel *t, void *data_end,
					 int eth_type,
					 struct xlb_decap_key *key)
{
	struct ipv6hdr *ip6h = t->l3;
	struct iphdr *iph = t->l3;

	if (eth_type == bpf_htons(ETH_P_IP)) {
		if ((void *)(iph + 1) > data_end || iph->version != 4 ||
		    iph->ihl < 5)
			return XLB_DECAP_PASS;
		t->proto = iph->protocol;
		/* fragmented tunnels are the stack's job */
		if (iph->frag_off & bpf_htons(IP_MF | IP_OFFSET))
			return XLB_DECAP_PASS;
		t->family = XLB_FAMILY_V4;
		key->addr.v4 = iph->daddr;
		t->ip_hlen = iph->ihl * 4;
		t->payload = bpf_ntohs(iph->tot_len);
		/* shorter than its header: an empty payload, which a tunnel
		 * to us is dropped for below */
		if (t->payload < t->ip_hlen)
			t->payload = t->ip_hlen;
		t->payload -= t->ip_hlen;
	} else if (eth_type == bpf_htons(ETH_P_IPV6)) {
		if ((void *)(ip6h + 1) > data_end || ip6h->version != 6)
			return XLB_DECAP_PASS;
		t->proto = ip6h->nexthdr;
		t->family = XLB_FAMILY_V6;
		__builtin_memcpy(key->addr.v6, &ip6h->daddr, 16);
		t->ip_hlen = sizeof(*ip6h);
		t->payload = bpf_ntohs(ip6h->payload_len);
	} else {
		return XLB_DECAP_PASS;
	}
	key->family = t->family;
	if (t->proto != IPPROTO_IPIP && t->proto != IPPROTO_IPV6 &&
	    t->proto != IPPROTO_UDP)
		return XLB_DECAP_PASS;
	return 0;
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

/* Strips the outer headers and passes the inner packet to the stack,
 * counted as reason. */
static __always_inline int to_stack(struct xdp_md *ctx,
				    const struct tunnel *t, __u32 outer_len,
				    __u8 inner_proto, __u32 reason)
{
	if (strip_outer(ctx, t->l2_len, outer_len,
			bpf_htons(inner_proto == IPPROTO_IPIP ? ETH_P_IP
							      : ETH_P_IPV6)))
		return decap_verdict(XLB_DECAP_MALFORMED);
	return decap_verdict(reason);
}

/* Whether the inner TCP segment is this host's to take: an
 * xlb_decap_reason, XLB_DECAP_LOCAL_* or XLB_DECAP_FWD_* (or
 * XLB_DECAP_MALFORMED). */
static __always_inline __u32 decide(struct xdp_md *ctx, void *data_end,
				    const struct gue_pkt *g)
{
	struct hdr_cursor nh = { .pos = g->inner };
	struct ipv6_frag_info frag = {};
	struct ipv6hdr *ip6h;
	struct tcphdr *th;
	struct iphdr *iph;
	void *ip;
	int proto;

	if (g->inner_proto == IPPROTO_IPIP) {
		proto = parse_iphdr(&nh, data_end, &iph);
		if (proto < 0)
			return XLB_DECAP_MALFORMED;
		/* a fragment's first part has ports but its others do not:
		 * all of a datagram stay together, here */
		if (iph->frag_off & bpf_htons(IP_MF | IP_OFFSET))
			return XLB_DECAP_LOCAL_NOT_TCP;
		ip = iph;
	} else {
		proto = parse_ip6hdr(&nh, data_end, &ip6h, &frag);
		if (proto == XLB_PARSE_MALFORMED)
			return XLB_DECAP_MALFORMED;
		if (frag.fragmented)
			return XLB_DECAP_LOCAL_NOT_TCP;
		ip = ip6h;
	}
	if (proto != IPPROTO_TCP)
		return XLB_DECAP_LOCAL_NOT_TCP;
	th = nh.pos;
	if ((void *)(th + 1) > data_end || th->doff < 5)
		return XLB_DECAP_MALFORMED;
	/* a SYN is accepted where it lands */
	if ((((__u8 *)th)[13] & (TCP_FLAG_SYN | TCP_FLAG_ACK)) == TCP_FLAG_SYN)
		return XLB_DECAP_LOCAL_SYN;
	if (cands_last(g))
		return XLB_DECAP_LOCAL_LAST;
	return sk_owner(ctx, ip, th, g->inner_proto == IPPROTO_IPV6);
}

/* Sends a readdressed packet on: the FIB's next hop (same device, or
 * another one in decap_tx_ports), else the configured gateway, else back
 * to the MAC the frame came from. Returns the XDP action; *reason says
 * how it went. */
static __always_inline int send_on(struct xdp_md *ctx, void *data,
				   void *data_end, const struct tunnel *t,
				   const struct udphdr *uh,
				   const struct xlb_decap_config *cfg,
				   __u32 *reason)
{
	__u32 ingress = ctx->ingress_ifindex;
	struct bpf_fib_lookup fib = {};
	struct ipv6hdr *ip6h = t->l3;
	struct iphdr *iph = t->l3;
	struct ethhdr *eth = data;
	__u8 macs[2 * ETH_ALEN];
	int rc, action;

	if ((void *)(eth + 1) > data_end)
		return XDP_DROP;	/* checked at the start: never */
	__builtin_memcpy(macs, eth, sizeof(macs));

	fib.ifindex = ingress;
	fib.l4_protocol = IPPROTO_UDP;
	fib.sport = uh->source;
	fib.dport = uh->dest;
	fib.tot_len = t->ip_hlen + t->payload;
	if (t->family == XLB_FAMILY_V4) {
		if ((void *)(iph + 1) > data_end)
			return XDP_DROP;	/* checked before: never */
		fib.family = AF_INET;
		fib.tos = iph->tos;
		fib.ipv4_src = iph->saddr;
		fib.ipv4_dst = iph->daddr;
	} else {
		if ((void *)(ip6h + 1) > data_end)
			return XDP_DROP;	/* checked before: never */
		fib.family = AF_INET6;
		__builtin_memcpy(fib.ipv6_src, &ip6h->saddr, 16);
		__builtin_memcpy(fib.ipv6_dst, &ip6h->daddr, 16);
	}
	rc = bpf_fib_lookup(ctx, &fib, sizeof(fib), 0);
	if (rc == BPF_FIB_LKUP_RET_SUCCESS) {
		__builtin_memcpy(eth->h_dest, fib.dmac, ETH_ALEN);
		__builtin_memcpy(eth->h_source, fib.smac, ETH_ALEN);
		*reason = XLB_DECAP_TX;
		if (fib.ifindex == ingress)
			return XDP_TX;
		/* a device missing from decap_tx_ports: the fallback */
		action = bpf_redirect_map(&decap_tx_ports, fib.ifindex,
					  XDP_PASS);
		*reason = XLB_DECAP_REDIRECT;
		if (action == XDP_REDIRECT)
			return action;
	} else if (rc == BPF_FIB_LKUP_RET_BLACKHOLE ||
		   rc == BPF_FIB_LKUP_RET_UNREACHABLE ||
		   rc == BPF_FIB_LKUP_RET_PROHIBIT) {
		*reason = XLB_DECAP_DROP_NO_ROUTE;
		return XDP_DROP;
	}
	/* No usable answer (forwarding off on the device, no neighbour
	 * yet, ...): the gateway, or the hop the frame came from, which
	 * reached us and so reaches the balancers' other backends. Our MAC
	 * is the one the frame was sent to. */
	if (cfg->gw_mac[0] | cfg->gw_mac[1] | cfg->gw_mac[2] |
	    cfg->gw_mac[3] | cfg->gw_mac[4] | cfg->gw_mac[5])
		__builtin_memcpy(eth->h_dest, cfg->gw_mac, ETH_ALEN);
	else
		__builtin_memcpy(eth->h_dest, macs + ETH_ALEN, ETH_ALEN);
	__builtin_memcpy(eth->h_source, macs, ETH_ALEN);
	*reason = XLB_DECAP_TX_FALLBACK;
	return XDP_TX;
}

/* What to do with a packet the decap takes. */
struct verdict {
	__u32 reason;		/* xlb_decap_reason */
	int action;		/* sent on: the XDP action */
	__u32 outer_len;	/* to the stack: the bytes to strip */
	__u8 inner_proto;	/* ... and what is inside */
};

/* GUE: the list checked; the packet for the stack (v->outer_len set), to
 * drop (v->reason says why), or sent on (v->action, counted here). */
static __always_inline void gue_decap(struct xdp_md *ctx, void *data,
				      void *data_end, struct tunnel *t,
				      struct udphdr *uh,
				      const struct xlb_decap_config *cfg,
				      struct verdict *v)
{
	struct gue_pkt g = { .uh = uh };
	__u32 how;

	v->reason = XLB_DECAP_MALFORMED;
	if (bpf_ntohs(uh->len) != t->payload)
		return;
	v->reason = gue_parse(data_end, t->payload, t->family, &g);
	if (v->reason)
		return;
	v->reason = g.c ? decide(ctx, data_end, &g) : XLB_DECAP_GUE_ONE;
	if (v->reason == XLB_DECAP_MALFORMED)
		return;
	if (v->reason != XLB_DECAP_FWD_NO_SOCKET &&
	    v->reason != XLB_DECAP_FWD_LISTENER) {
		v->outer_len = t->ip_hlen + g.hdr_len;
		v->inner_proto = g.inner_proto;
		return;
	}
	count(v->reason);
	if (cands_advance(t->l3, data_end, &g, t->family)) {
		v->reason = XLB_DECAP_MALFORMED;
		return;
	}
	v->action = send_on(ctx, data, data_end, t, uh, cfg, &how);
	v->reason = how;
}

SEC("xdp")
int xlb_decap(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct hdr_cursor nh = { .pos = data };
	const struct xlb_decap_config *cfg;
	struct xlb_decap_key key = {};
	struct verdict v = {};
	struct tunnel t = {};
	struct udphdr *uh = NULL;
	struct ethhdr *eth;
	__u32 reason, zero = 0;
	int eth_type;

	eth_type = parse_ethhdr(&nh, data_end, &eth);
	if (eth_type < 0)
		return decap_verdict(XLB_DECAP_PASS);
	t.l2_len = nh.pos - data;
	t.l3 = nh.pos;
	reason = outer_parse(&t, data_end, eth_type, &key);
	if (reason)
		return decap_verdict(reason);

	cfg = bpf_map_lookup_elem(&decap_settings, &zero);
	if (!cfg)
		return decap_verdict(XLB_DECAP_PASS);
	if (t.proto == IPPROTO_UDP) {
		/* GUE is UDP to our port; any other UDP is the stack's */
		/* & 0x3f: bounds the offset for the verifier */
		uh = t.l3 + (t.ip_hlen & 0x3f);
		if ((void *)(uh + 1) > data_end || uh->dest != cfg->gue_port)
			return decap_verdict(XLB_DECAP_PASS);
	}
	if (!bpf_map_lookup_elem(&decap_addrs, &key))
		return decap_verdict(XLB_DECAP_PASS);

	/* A tunnel to one of our addresses. Issue 14's check of the tunnel's
	 * source (only the balancers may send them) goes here, before
	 * anything else is decided about the packet: t.l3 holds the outer
	 * header. */

	/* the outer packet whole, and at least an IP header inside */
	if (t.l3 + t.ip_hlen + t.payload > data_end ||
	    t.payload < (t.proto == IPPROTO_IPV6 ? 40 : 20))
		return decap_verdict(XLB_DECAP_MALFORMED);
	if (uh) {
		gue_decap(ctx, data, data_end, &t, uh, cfg, &v);
		if (v.action) {		/* sent on (or dropped on the way) */
			count(v.reason);
			return v.action;
		}
		if (!v.outer_len)
			return decap_verdict(v.reason);
	} else {
		v.reason = XLB_DECAP_DONE;
		v.outer_len = t.ip_hlen;
		v.inner_proto = t.proto;
	}
	/* one way to the stack for every tunnel (one copy of the L2 code) */
	return to_stack(ctx, &t, v.outer_len, v.inner_proto, v.reason);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
