// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The veth throughput floor: a bare forwarder in the balancer's place. It
 * parses Ethernet, IPv4 and UDP as far as it needs, picks an output port by
 * the UDP source port (no flow table, no Maglev, no encapsulation),
 * rewrites both MACs and redirects through a devmap. */
#include "vmlinux.h"
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#define FWD_MAX_PORTS 16
#define ETH_P_IP 0x0800

struct fwd_port {
	__u8 src[6];
	__u8 dst[6];
};

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__uint(max_entries, FWD_MAX_PORTS);
	__type(key, __u32);
	__type(value, __u32);
} fwd_tx SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, FWD_MAX_PORTS);
	__type(key, __u32);
	__type(value, struct fwd_port);
} fwd_mac SEC(".maps");

const volatile __u32 fwd_nports = 1;

SEC("xdp")
int xlb_bench_fwd(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct udphdr *udp = (void *)(ip + 1);
	struct fwd_port *p;
	__u32 idx;

	if ((void *)(udp + 1) > end)
		return XDP_PASS;
	if (eth->h_proto != bpf_htons(ETH_P_IP) || ip->ihl != 5 ||
	    ip->protocol != IPPROTO_UDP)
		return XDP_PASS;
	idx = bpf_ntohs(udp->source) % (fwd_nports ? fwd_nports : 1);
	p = bpf_map_lookup_elem(&fwd_mac, &idx);
	if (!p)
		return XDP_ABORTED;
	__builtin_memcpy(eth->h_source, p->src, 6);
	__builtin_memcpy(eth->h_dest, p->dst, 6);
	return bpf_redirect_map(&fwd_tx, idx, 0);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
