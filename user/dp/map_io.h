/* SPDX-License-Identifier: GPL-2.0 */
/* Map reads and writes that maps.c and decap.c share (inside dp/ only). */
#ifndef XLB_DP_MAP_IO_H
#define XLB_DP_MAP_IO_H

#include <stddef.h>
#include <bpf/libbpf.h>

/* One element, BPF_ANY; 0 or -errno. */
int dp_map_update(struct bpf_map *map, const void *key, const void *val);
/* Sums one per-CPU entry of nwords 64-bit words over the CPUs. */
int dp_read_percpu(struct bpf_map *map, __u32 idx, __u64 *sum,
		   size_t nwords);
/* Through a map's fd (a map opened by id): entries idx..idx+n-1 (n > 1:
 * idx 0, in one batch where the kernel has it) into sum[0..n*nwords-1]. */
int dp_read_percpu_fd(int fd, __u32 idx, __u32 n, __u64 *sum,
		      size_t nwords);

#endif /* XLB_DP_MAP_IO_H */
