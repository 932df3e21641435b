// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The flow hash alone (lib/hash.h), for xlb-bench: each program hashes
 * XLB_BENCH_HASHES flow keys in a chain (each key takes the hash before
 * it), so a run's duration over that count is one hash's latency. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "xlb_abi.h"
#include "lib/hash.h"

#define XLB_BENCH_HASHES 64

static const struct xlb_hash_key key = { .k0 = 0x0706050403020100ULL,
					 .k1 = 0x0f0e0d0c0b0a0908ULL,
					 .alg = XLB_HASH_SIPHASH13 };

/* The sum of the hashes goes out, so nothing is optimized away. */
__u32 sink;

#define HASH_PROG(name, fam, expr)                                             \
	SEC("xdp")                                                             \
	int name(struct xdp_md *ctx)                                           \
	{                                                                      \
		struct xlb_flow_key k = { .family = (fam),                     \
					  .proto = IPPROTO_TCP,                \
					  .dport = 80 };                       \
		__u32 h = ctx->ingress_ifindex;                                \
		int i;                                                         \
                                                                               \
		for (i = 0; i < XLB_BENCH_HASHES; i++) {                       \
			k.src.v6[0] = h;                                       \
			k.sport = (__be16)i;                                   \
			h = (expr);                                            \
		}                                                              \
		sink += h;                                                     \
		return XDP_DROP;                                               \
	}

/* the loop and the key alone: subtracted from the others */
HASH_PROG(xlb_bench_hash_none, XLB_FAMILY_V4, h + k.sport)
HASH_PROG(xlb_bench_jhash_v4, XLB_FAMILY_V4, xlb_flow_hash(&k, 0, 0x5eed))
HASH_PROG(xlb_bench_jhash_v6, XLB_FAMILY_V6, xlb_flow_hash(&k, 0, 0x5eed))
HASH_PROG(xlb_bench_sip13_v4, XLB_FAMILY_V4, xlb_flow_siphash(&k, 0, &key))
HASH_PROG(xlb_bench_sip13_v6, XLB_FAMILY_V6, xlb_flow_siphash(&k, 0, &key))
HASH_PROG(xlb_bench_sip24_v4, XLB_FAMILY_V4,
	  xlb_flow_siphash_cd(&k, 0, &key, 2, 4))
HASH_PROG(xlb_bench_sip24_v6, XLB_FAMILY_V6,
	  xlb_flow_siphash_cd(&k, 0, &key, 2, 4))

char LICENSE[] SEC("license") = "Dual BSD/GPL";
