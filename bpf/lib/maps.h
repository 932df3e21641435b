/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The balancer's maps. Keys and values are defined in xlb_abi.h. */
#ifndef XLB_MAPS_H
#define XLB_MAPS_H

#include "../xlb_abi.h"

/* VIP (address, port, protocol) -> id and flags; port 0 = all ports. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XLB_MAX_VIPS);
	__type(key, struct xlb_vip_key);
	__type(value, struct xlb_vip_info);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} vips SEC(".maps");

/* One VIP's Maglev table: slot 0 = slot count n, slots 1..n = backend ids.
 * Inner tables of any size (BPF_F_INNER_MAP), mmapable so the agent fills
 * a new one with memcpy before swapping it in. */
struct maglev_table {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XLB_TABLE_HDR + XLB_DEFAULT_TABLE_SIZE);
	__type(key, __u32);
	__type(value, __u32);
	__uint(map_flags, BPF_F_INNER_MAP | BPF_F_MMAPABLE);
};

/* vip id -> its current Maglev table, swapped whole by one update. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, XLB_MAX_VIPS);
	__type(key, __u32);
	__array(values, struct maglev_table);
} maglev_tables SEC(".maps");

/* backend id -> address and up/down flag. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XLB_MAX_BACKENDS);
	__type(key, __u32);
	__type(value, struct xlb_backend);
} backends SEC(".maps");

/* Connection table: 5-tuple -> backend. Sized at load time. One LRU for
 * all CPUs: per-CPU lists (BPF_F_NO_COMMON_LRU) give each possible CPU a
 * fixed 1/N of the entries, so an uneven RSS spread or CPUs that are
 * possible but offline shrink the table; and measured side by side a miss
 * cost no less with them, even with two CPUs inserting at once. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, XLB_DEFAULT_FLOW_ENTRIES);
	__type(key, struct xlb_flow_key);
	__type(value, struct xlb_flow);
} flows SEC(".maps");

/* backend id -> its active flows (struct xlb_backend_flows): shared, not
 * per CPU, so the agent can add to it too, and only touched when a flow
 * opens, closes or moves, never per packet. Mmapable: the agent reads
 * every backend's count without a syscall. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XLB_MAX_BACKENDS);
	__type(key, __u32);
	__type(value, struct xlb_backend_flows);
	__uint(map_flags, BPF_F_MMAPABLE);
} backend_flows SEC(".maps");

/* Fragmented datagrams: first fragment's choice, followed by the rest. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, XLB_FRAG_ENTRIES);
	__type(key, struct xlb_frag_key);
	__type(value, struct xlb_flow);
} frags SEC(".maps");

/* Data-path wide settings (struct xlb_config), one entry. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xlb_config);
} settings SEC(".maps");

/* The flow hash and its secret key (struct xlb_hash_key), one entry. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xlb_hash_key);
} hash_key SEC(".maps");

/* Too-big replies still allowed (per CPU, a token bucket: ratelimit.h). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xlb_icmp_budget);
} icmp_budget SEC(".maps");

/* backend id -> its next hop from the FIB (per CPU, a cache: nexthop.h). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XLB_MAX_BACKENDS);
	__type(key, __u32);
	__type(value, struct xlb_nexthop);
} nexthops SEC(".maps");

/* ifindex -> device, for redirecting to an egress other than ingress. */
struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u32);
} tx_ports SEC(".maps");

/* Hints for the agent's health checker (struct xlb_hint records). */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} hints SEC(".maps");

/* backend id -> when it was last hinted (per CPU): bounds the hints a
 * client repeating SYNs can cause. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XLB_MAX_BACKENDS);
	__type(key, __u32);
	__type(value, __u64);
} hint_last SEC(".maps");

/* Counters: per VIP, per backend, per reason. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XLB_MAX_VIPS);
	__type(key, __u32);
	__type(value, struct xlb_counter);
} vip_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XLB_MAX_BACKENDS);
	__type(key, __u32);
	__type(value, struct xlb_counter);
} backend_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XLB_REASON_MAX);
	__type(key, __u32);
	__type(value, __u64);
} reasons SEC(".maps");

static __always_inline void count_reason(__u32 reason)
{
	__u64 *cnt = bpf_map_lookup_elem(&reasons, &reason);

	if (cnt)
		*cnt += 1;
}

static __always_inline void count_bytes(void *map, __u32 idx, __u64 bytes)
{
	struct xlb_counter *c = bpf_map_lookup_elem(map, &idx);

	if (c) {
		c->packets += 1;
		c->bytes += bytes;
	}
}

#endif /* XLB_MAPS_H */
