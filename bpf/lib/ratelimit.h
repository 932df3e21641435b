/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The rate limit on ICMP replies the data path makes: a token bucket per
 * CPU, so replies cost no shared cache line. */
#ifndef XLB_RATELIMIT_H
#define XLB_RATELIMIT_H

#include "maps.h"

#define XLB_NSEC_PER_SEC 1000000000ULL

/* Takes one reply from this CPU's bucket: rate replies a second (0: the
 * default), at most XLB_ICMP_BURST at once. Returns false when none is
 * left. Tokens are counted in billionths of a reply, so that a refill is
 * elapsed ns x rate, with no division; elapsed time is capped at a full
 * bucket's worth first, which keeps the product within 64 bits. */
static __always_inline bool icmp_budget_take(__u32 rate, __u64 now)
{
	const __u64 full = XLB_ICMP_BURST * XLB_NSEC_PER_SEC;
	struct xlb_icmp_budget *b;
	__u32 zero = 0;
	__u64 elapsed;

	b = bpf_map_lookup_elem(&icmp_budget, &zero);
	if (!b)
		return false;
	if (!rate || rate > XLB_ICMP_RATE_MAX)
		rate = XLB_ICMP_RATE_DEFAULT;
	/* a clock behind the stamp (another CPU's coarse tick, a stamp
	 * written from userspace) refills nothing */
	elapsed = now > b->last_ns ? now - b->last_ns : 0;
	/* at the lowest rate, 1 a second, a bucket fills in
	 * XLB_ICMP_BURST s: a longer gap (or none yet) refills no more */
	if (!b->last_ns || elapsed > full)
		elapsed = full;
	b->last_ns = now;
	b->tokens += elapsed * rate;
	if (b->tokens > full)
		b->tokens = full;
	if (b->tokens < XLB_NSEC_PER_SEC)
		return false;
	b->tokens -= XLB_NSEC_PER_SEC;
	return true;
}

#endif /* XLB_RATELIMIT_H */
