/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The next hop toward a backend: bpf_fib_lookup, its answers cached per CPU
 * and per backend for a bounded time. */
#ifndef XLB_NEXTHOP_H
#define XLB_NEXTHOP_H

#include "consts.h"
#include "maps.h"

#define AF_INET 2
#define AF_INET6 10

/* Where to send an encapsulated packet. */
struct nh_answer {
	__u32 ifindex;		/* egress device */
	__u32 mtu;		/* BPF_FIB_LKUP_RET_FRAG_NEEDED: the MTU */
	__u8 dmac[ETH_ALEN];
	__u8 smac[ETH_ALEN];
};

static __always_inline int nexthop_fresh(const struct xlb_nexthop *c,
					 const struct xlb_backend *be,
					 __u32 ingress, __u32 tot_len,
					 __u64 now)
{
	return c->expires_ns > now && c->ingress == ingress &&
	       tot_len <= c->max_len && c->family == be->family &&
	       c->dst.v6[0] == be->addr.v6[0] &&
	       c->dst.v6[1] == be->addr.v6[1] &&
	       c->dst.v6[2] == be->addr.v6[2] &&
	       c->dst.v6[3] == be->addr.v6[3];
}

/* bpf_fib_lookup costs more than the rest of a flow-table hit (300 ns for
 * IPv6 on a VM), so a successful answer is kept per CPU and per backend
 * and reused, under one rule: an entry serves for XLB_NEXTHOP_TTL_NS at
 * most (so route and neighbour changes are followed within that, plus one
 * tick of the coarse clock), for the same backend address and ingress
 * device, and for packets no longer than the longest one the FIB accepted
 * (a longer one asks the FIB, which checks it against the route MTU).
 * Failures and "fragmentation needed" are never cached. The outer source's
 * flow-hash bits are taken not to change the route: no source policy
 * routing within the configured source block. Returns the BPF_FIB_LKUP_RET_*
 * code; nh is filled on success and on FRAG_NEEDED (mtu). */
static __always_inline int nexthop_lookup(struct xdp_md *ctx, __u32 be_id,
					  const struct xlb_backend *be,
					  const union xlb_addr *src,
					  __u32 tot_len, __u64 now,
					  struct nh_answer *nh)
{
	__u32 ingress = ctx->ingress_ifindex;
	struct bpf_fib_lookup fib = {};
	struct xlb_nexthop *c;
	int rc;

	c = bpf_map_lookup_elem(&nexthops, &be_id);
	if (c && nexthop_fresh(c, be, ingress, tot_len, now)) {
		nh->ifindex = c->egress;
		__builtin_memcpy(nh->dmac, c->dmac, ETH_ALEN);
		__builtin_memcpy(nh->smac, c->smac, ETH_ALEN);
		return BPF_FIB_LKUP_RET_SUCCESS;
	}

	fib.ifindex = ingress;
	fib.tot_len = tot_len;
	if (be->family == XLB_FAMILY_V4) {
		fib.family = AF_INET;
		fib.ipv4_src = src->v4;
		fib.ipv4_dst = be->addr.v4;
	} else {
		fib.family = AF_INET6;
		__builtin_memcpy(fib.ipv6_src, src->v6, 16);
		__builtin_memcpy(fib.ipv6_dst, be->addr.v6, 16);
	}
	rc = bpf_fib_lookup(ctx, &fib, sizeof(fib), 0);
	if (rc == BPF_FIB_LKUP_RET_FRAG_NEEDED)
		nh->mtu = fib.mtu_result;
	if (rc != BPF_FIB_LKUP_RET_SUCCESS)
		return rc;
	nh->ifindex = fib.ifindex;
	__builtin_memcpy(nh->dmac, fib.dmac, ETH_ALEN);
	__builtin_memcpy(nh->smac, fib.smac, ETH_ALEN);
	if (c) {
		/* Only ever asked again for a longer packet, or once the
		 * entry is stale or another's: max_len only grows while
		 * the entry stays valid. */
		c->dst = be->addr;
		c->family = be->family;
		c->ingress = ingress;
		c->egress = fib.ifindex;
		c->max_len = tot_len;
		__builtin_memcpy(c->dmac, fib.dmac, ETH_ALEN);
		__builtin_memcpy(c->smac, fib.smac, ETH_ALEN);
		c->expires_ns = now + XLB_NEXTHOP_TTL_NS;
	}
	return rc;
}

#endif /* XLB_NEXTHOP_H */
