// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The veth throughput sink: counts and drops every frame (per CPU). */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} sink_count SEC(".maps");

SEC("xdp")
int xlb_bench_sink(struct xdp_md *ctx)
{
	__u32 k = 0;
	__u64 *c = bpf_map_lookup_elem(&sink_count, &k);

	(void)ctx;
	if (c)
		(*c)++;
	return XDP_DROP;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
