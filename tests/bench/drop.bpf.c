// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The benchmark floor: an XDP program that only drops, run next to xlb. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xlb_bench_drop(struct xdp_md *ctx)
{
	(void)ctx;
	return XDP_DROP;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
