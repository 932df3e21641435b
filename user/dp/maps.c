// SPDX-License-Identifier: GPL-2.0
/* The balancer's skeleton: loaded, its maps pinned or adopted, and every
 * read and write of those maps (the agent is their single writer). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <netinet/in.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>

#include "balancer.skel.h"
#include "dp/maps.h"
#include "dp/map_io.h"
#include "core/log.h"

struct dataplane {
	struct xlb_balancer *skel;
	struct xlb_backend_flows *flows; /* the backend_flows map, mmapped */
	size_t flows_len;
	__u64 idle_applied[XLB_MAX_BACKENDS];	/* idle flows the last sweep
						 * took out of the counts */
};

static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	enum log_level ours = level == LIBBPF_WARN ? LOG_LVL_WARN
			    : level == LIBBPF_INFO ? LOG_LVL_INFO
						   : LOG_LVL_DEBUG;

	log_vprint(ours, fmt, ap);
	return 0;
}

/* libbpf's own messages go through our log (and its level) in every
 * program that links the data-path layer, from before main(). */
__attribute__((constructor)) static void route_libbpf_log(void)
{
	libbpf_set_print(libbpf_print);
}

static const char *const reason_names[XLB_REASON_MAX] = {
	[XLB_FWD_TX] = "fwd_tx",
	[XLB_FWD_REDIRECT] = "fwd_redirect",
	[XLB_PASS_NOT_IP] = "pass_not_ip",
	[XLB_PASS_NOT_VIP] = "pass_not_vip",
	[XLB_PASS_UNPARSED] = "pass_unparsed",
	[XLB_PASS_FRAG_UNTRACKED] = "pass_frag_untracked",
	[XLB_PASS_ALL_DOWN] = "pass_all_down",
	[XLB_DROP_MALFORMED] = "drop_malformed",
	[XLB_DROP_ALL_DOWN] = "drop_all_down",
	[XLB_DROP_NO_TABLE] = "drop_no_table",
	[XLB_DROP_OVERSIZE] = "drop_oversize",
	[XLB_DROP_NO_ROUTE] = "drop_no_route",
	[XLB_DROP_ENCAP] = "drop_encap",
	[XLB_DROP_NO_TX_PORT] = "drop_no_tx_port",
	[XLB_ICMP_TOO_BIG_SENT] = "icmp_too_big_sent",
	[XLB_ICMP_TO_FLOW] = "icmp_to_flow",
	[XLB_FLOW_HIT] = "flow_hit",
	[XLB_FLOW_MISS] = "flow_miss",
	[XLB_FLOW_RESCHEDULE] = "flow_reschedule",
	[XLB_FLOW_NOT_INSERTED] = "flow_not_inserted",
	[XLB_FLOW_INSERT_FAIL] = "flow_insert_fail",
	[XLB_FRAG_FIRST] = "frag_first",
	[XLB_FRAG_FOLLOWED] = "frag_followed",
	[XLB_FLOW_SYN_RETRY] = "flow_syn_retry",
	[XLB_DROP_ICMP_RATE] = "drop_icmp_rate",
	[XLB_DROP_ICMP_NO_FLOW] = "drop_icmp_no_flow",
};

const char *xlb_reason_name(unsigned int reason)
{
	if (reason >= XLB_REASON_MAX || !reason_names[reason])
		return "unknown";
	return reason_names[reason];
}

/* Flags a pinned map may differ in from the object's and still be
 * reused: libbpf only reuses a pinned map whose flags equal the object's,
 * so take these over. The kernel adds BPF_F_RDONLY_PROG to devmaps it
 * creates; a flow table pinned by an xlb that used per-CPU LRU lists keeps
 * them (the program works with either, and keeping the map keeps the
 * flows across the upgrade). */
#define ADOPTABLE_FLAGS (BPF_F_RDONLY_PROG | BPF_F_NO_COMMON_LRU)

static void adopt_kernel_flags(struct bpf_map *map, const char *path)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	int fd = bpf_obj_get(path);

	if (fd < 0)
		return;
	if (!bpf_obj_get_info_by_fd(fd, &info, &len) &&
	    info.type == bpf_map__type(map) &&
	    (info.map_flags & ~ADOPTABLE_FLAGS) ==
		    (bpf_map__map_flags(map) & ~ADOPTABLE_FLAGS))
		bpf_map__set_map_flags(map, info.map_flags);
	close(fd);
}

/* The reason counters grow with the ABI (reasons are appended): a pinned
 * copy of another size cannot be reused, and would fail the load. Its pin
 * is removed, so a new map is made: the counters start again (a counter
 * reset, which Prometheus expects), nothing else is lost. */
static void replace_resized_counters(struct bpf_map *map, const char *path)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	int fd;

	if (strcmp(bpf_map__name(map), "reasons"))
		return;
	fd = bpf_obj_get(path);
	if (fd < 0)
		return;
	if (!bpf_obj_get_info_by_fd(fd, &info, &len) &&
	    info.max_entries != bpf_map__max_entries(map)) {
		pr_info("map reasons: pinned with %u counters, now %u: "
			"counting again from 0\n", info.max_entries,
			bpf_map__max_entries(map));
		unlink(path);
	}
	close(fd);
}

/* Every map gets a pin path: libbpf then reuses a compatible pinned map
 * (keeping flows and tables across restarts) or creates and pins it. */
static int set_pin_paths(struct bpf_object *obj, const char *dir)
{
	char path[PATH_MAX];
	struct bpf_map *map;
	int err;

	bpf_object__for_each_map(map, obj) {
		if (snprintf(path, sizeof(path), "%s/%s", dir,
			     bpf_map__name(map)) >= (int)sizeof(path))
			return -ENAMETOOLONG;
		err = bpf_map__set_pin_path(map, path);
		if (err)
			return err;
		adopt_kernel_flags(map, path);
		replace_resized_counters(map, path);
	}
	return 0;
}

int dataplane_repin(struct dataplane *dp)
{
	struct bpf_map *map;

	bpf_object__for_each_map(map, dp->skel->obj) {
		const char *path = bpf_map__pin_path(map);

		if (!path || !access(path, F_OK))
			continue;
		if (bpf_obj_pin(bpf_map__fd(map), path))
			return -errno;
		pr_info("map %s pinned again at %s\n", bpf_map__name(map),
			path);
	}
	return 0;
}

__u32 dataplane_pinned_flow_entries(const char *pin_dir)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/flows", pin_dir);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return 0;
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		info.max_entries = 0;
	close(fd);
	return info.max_entries;
}

/* The active counts are read and added to in place: both sides use
 * atomics on the same words. */
static int map_backend_flows(struct dataplane *dp)
{
	struct bpf_map *map = dp->skel->maps.backend_flows;
	size_t page = (size_t)getpagesize();
	void *mem;

	dp->flows_len = ((size_t)bpf_map__max_entries(map) *
				 sizeof(struct xlb_backend_flows) +
			 page - 1) &
			~(page - 1);
	mem = mmap(NULL, dp->flows_len, PROT_READ | PROT_WRITE, MAP_SHARED,
		   bpf_map__fd(map), 0);
	if (mem == MAP_FAILED) {
		dp->flows_len = 0;
		return -errno;
	}
	dp->flows = mem;
	return 0;
}

struct dataplane *dataplane_open(const struct dataplane_opts *opts)
{
	struct dataplane *dp;
	int err;

	dp = calloc(1, sizeof(*dp));
	if (!dp)
		return NULL;
	dp->skel = xlb_balancer__open();
	if (!dp->skel) {
		err = -errno;
		goto err;
	}
	if (opts && opts->flow_entries) {
		err = bpf_map__set_max_entries(dp->skel->maps.flows,
					       opts->flow_entries);
		if (err)
			goto err;
	}
	if (opts && opts->pin_dir) {
		err = set_pin_paths(dp->skel->obj, opts->pin_dir);
		if (err)
			goto err;
	}
	err = xlb_balancer__load(dp->skel);
	if (err) {
		pr_warn("loading the balancer program failed: %s\n",
			strerror(-err));
		goto err;
	}
	err = map_backend_flows(dp);
	if (err)
		goto err;
	return dp;
err:
	dataplane_close(dp);
	errno = -err;
	return NULL;
}

void dataplane_close(struct dataplane *dp)
{
	if (!dp)
		return;
	if (dp->flows)
		munmap(dp->flows, dp->flows_len);
	xlb_balancer__destroy(dp->skel);
	free(dp);
}

int dataplane_prog_fd(const struct dataplane *dp)
{
	return bpf_program__fd(dp->skel->progs.xlb_balancer);
}

int dp_map_update(struct bpf_map *map, const void *key, const void *val)
{
	int err = bpf_map_update_elem(bpf_map__fd(map), key, val, BPF_ANY);

	return err ? -errno : 0;
}

int dataplane_set_config(struct dataplane *dp, const struct xlb_config *cfg)
{
	__u32 zero = 0;

	return dp_map_update(dp->skel->maps.settings, &zero, cfg);
}

int dataplane_set_hash_key(struct dataplane *dp,
			   const struct xlb_hash_key *key)
{
	__u32 zero = 0;

	return dp_map_update(dp->skel->maps.hash_key, &zero, key);
}

int dataplane_map_fd(const struct dataplane *dp, const char *name)
{
	struct bpf_map *map;

	map = bpf_object__find_map_by_name(dp->skel->obj, name);
	return map ? bpf_map__fd(map) : -ENOENT;
}

int dataplane_set_vip(struct dataplane *dp, const struct xlb_vip_key *key,
		      const struct xlb_vip_info *info)
{
	if (info->vip_id >= XLB_MAX_VIPS)
		return -ERANGE;
	return dp_map_update(dp->skel->maps.vips, key, info);
}

int dataplane_del_vip(struct dataplane *dp, const struct xlb_vip_key *key)
{
	if (bpf_map_delete_elem(bpf_map__fd(dp->skel->maps.vips), key))
		return -errno;
	return 0;
}

int dataplane_set_backend(struct dataplane *dp, __u32 id,
			  const struct xlb_backend *be)
{
	if (!id || id >= XLB_MAX_BACKENDS)
		return -ERANGE;
	return dp_map_update(dp->skel->maps.backends, &id, be);
}

int dataplane_set_backend_down(struct dataplane *dp, __u32 id, bool down)
{
	struct xlb_backend be;
	int fd = bpf_map__fd(dp->skel->maps.backends);

	if (!id || id >= XLB_MAX_BACKENDS)
		return -ERANGE;
	if (bpf_map_lookup_elem(fd, &id, &be))
		return -errno;
	if (down)
		be.flags |= XLB_BACKEND_DOWN;
	else
		be.flags &= ~XLB_BACKEND_DOWN;
	return dp_map_update(dp->skel->maps.backends, &id, &be);
}

/* A new inner table is written through mmap (no syscall per slot) and
 * becomes visible to the data path with a single outer update. The kernel
 * rounds an array's elements up to 8 bytes, in the mmapped view as well:
 * slot i lives at byte 8 * i, not 4 * i. */
int dataplane_set_table(struct dataplane *dp, __u32 vip_id,
			const __u32 *slots, __u32 n)
{
	LIBBPF_OPTS(bpf_map_create_opts, copts,
		    .map_flags = BPF_F_INNER_MAP | BPF_F_MMAPABLE);
	const size_t stride = 8 / sizeof(__u32);	/* words per element */
	__u32 entries = XLB_TABLE_HDR + n;
	size_t len;
	__u32 *mem;
	int fd, err;

	if (vip_id >= XLB_MAX_VIPS || !n || n > XLB_MAX_TABLE_SIZE)
		return -ERANGE;
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "xlb_maglev", sizeof(__u32),
			    sizeof(__u32), entries, &copts);
	if (fd < 0)
		return -errno;
	len = ((size_t)entries * 8 + getpagesize() - 1) &
	      ~((size_t)getpagesize() - 1);
	mem = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (mem == MAP_FAILED) {
		err = -errno;
		goto out;
	}
	mem[0] = n;
	for (__u32 i = 0; i < n; i++)
		mem[(XLB_TABLE_HDR + i) * stride] = slots[i];
	munmap(mem, len);
	err = bpf_map_update_elem(bpf_map__fd(dp->skel->maps.maglev_tables),
				  &vip_id, &fd, BPF_ANY);
	if (err)
		err = -errno;
out:
	close(fd);
	return err;
}

int dataplane_read_table(struct dataplane *dp, __u32 vip_id, __u32 *slots,
			 __u32 cap, __u32 *n)
{
	const size_t stride = 8 / sizeof(__u32);	/* as in set_table */
	struct bpf_map_info info = {};
	__u32 id, len = sizeof(info);
	size_t maplen;
	__u32 *mem;
	int fd, err = 0;

	if (bpf_map_lookup_elem(bpf_map__fd(dp->skel->maps.maglev_tables),
				&vip_id, &id))
		return -errno;
	fd = bpf_map_get_fd_by_id(id);
	if (fd < 0)
		return -errno;
	if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
		err = -errno;
		goto out;
	}
	maplen = ((size_t)info.max_entries * 8 + getpagesize() - 1) &
		 ~((size_t)getpagesize() - 1);
	mem = mmap(NULL, maplen, PROT_READ, MAP_SHARED, fd, 0);
	if (mem == MAP_FAILED) {
		err = -errno;
		goto out;
	}
	*n = mem[0];
	if (*n > cap || *n + XLB_TABLE_HDR > info.max_entries)
		err = -ERANGE;
	for (__u32 i = 0; !err && i < *n; i++)
		slots[i] = mem[(XLB_TABLE_HDR + i) * stride];
	munmap(mem, maplen);
out:
	close(fd);
	return err;
}

int dataplane_del_table(struct dataplane *dp, __u32 vip_id)
{
	int fd = bpf_map__fd(dp->skel->maps.maglev_tables);

	if (bpf_map_delete_elem(fd, &vip_id) && errno != ENOENT)
		return -errno;
	return 0;
}

int dataplane_for_each_vip(struct dataplane *dp,
			   int (*fn)(const struct xlb_vip_key *key,
				     const struct xlb_vip_info *info,
				     void *arg),
			   void *arg)
{
	int fd = bpf_map__fd(dp->skel->maps.vips);
	struct xlb_vip_key key, next, *prev = NULL;
	struct xlb_vip_info info;
	int err;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &info))
			continue;	/* deleted meanwhile */
		err = fn(&key, &info, arg);
		if (err)
			return err;
	}
	return 0;
}

int dataplane_for_each_backend(struct dataplane *dp,
			       int (*fn)(__u32 id, const struct xlb_backend *be,
					 void *arg),
			       void *arg)
{
	int fd = bpf_map__fd(dp->skel->maps.backends);
	struct xlb_backend be;
	int err;

	for (__u32 id = 1; id < XLB_MAX_BACKENDS; id++) {
		if (bpf_map_lookup_elem(fd, &id, &be))
			return -errno;
		if (!be.family)
			continue;
		err = fn(id, &be, arg);
		if (err)
			return err;
	}
	return 0;
}

struct dataplane_hints {
	struct ring_buffer *rb;
	dataplane_hint_fn fn;
	void *ctx;
};

static int hint_sample(void *ctx, void *data, size_t size)
{
	struct dataplane_hints *h = ctx;

	if (size < sizeof(struct xlb_hint))
		return 0;
	h->fn(h->ctx, data);
	return 0;
}

struct dataplane_hints *dataplane_hints_open(struct dataplane *dp,
					     dataplane_hint_fn fn, void *ctx)
{
	struct dataplane_hints *h = calloc(1, sizeof(*h));
	int err;

	if (!h)
		return NULL;
	h->fn = fn;
	h->ctx = ctx;
	h->rb = ring_buffer__new(bpf_map__fd(dp->skel->maps.hints),
				 hint_sample, h, NULL);
	if (!h->rb) {
		err = errno;
		free(h);
		errno = err;
		return NULL;
	}
	return h;
}

int dataplane_hints_fd(const struct dataplane_hints *h)
{
	return ring_buffer__epoll_fd(h->rb);
}

int dataplane_hints_consume(struct dataplane_hints *h)
{
	return ring_buffer__consume(h->rb);
}

void dataplane_hints_close(struct dataplane_hints *h)
{
	if (!h)
		return;
	ring_buffer__free(h->rb);
	free(h);
}

int dataplane_add_tx_port(struct dataplane *dp, __u32 ifindex)
{
	return dp_map_update(dp->skel->maps.tx_ports, &ifindex, &ifindex);
}

/* Sums one per-CPU entry of nwords 64-bit words. */
/* Entries 0..n-1 of a per-CPU array into vals (an entry's CPUs in a
 * row): in one batch lookup, or one lookup an entry where the kernel has
 * no batch lookup for arrays. */
static int lookup_percpu_all(int fd, __u32 n, __u64 *vals, size_t stride)
{
	__u32 *keys = calloc(n, sizeof(*keys)), count = n, next;
	int err = 0;

	if (!keys)
		return -ENOMEM;
	if (bpf_map_lookup_batch(fd, NULL, &next, keys, vals, &count, NULL) &&
	    errno != ENOENT)
		count = 0;
	for (__u32 i = 0; i < count && !err; i++)
		if (keys[i] != i)	/* an array's keys come in order */
			err = -EIO;
	for (__u32 i = count; i < n && !err; i++)
		if (bpf_map_lookup_elem(fd, &i, vals + (size_t)i * stride))
			err = -errno;
	free(keys);
	return err;
}

/* Sums over the CPUs nwords 64-bit words of per-CPU entries idx..idx+n-1
 * (all: idx 0) of the map behind fd into sum[0..n*nwords-1]. */
static int read_percpu_fd(int fd, __u32 idx, __u32 n, __u64 *sum,
			  size_t nwords)
{
	int ncpu = libbpf_num_possible_cpus();
	size_t stride;
	__u64 *vals;
	int err = 0;

	if (ncpu < 0)
		return ncpu;
	stride = (size_t)ncpu * nwords;
	vals = calloc(stride * n, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	if (n > 1)
		err = idx ? -EINVAL : lookup_percpu_all(fd, n, vals, stride);
	else if (bpf_map_lookup_elem(fd, &idx, vals))
		err = -errno;
	memset(sum, 0, n * nwords * sizeof(*sum));
	for (size_t e = 0; e < n && !err; e++)
		for (size_t c = 0; c < (size_t)ncpu; c++)
			for (size_t w = 0; w < nwords; w++)
				sum[e * nwords + w] +=
					vals[e * stride + c * nwords + w];
	free(vals);
	return err;
}

static int read_percpu(struct bpf_map *map, __u32 idx, __u32 n, __u64 *sum,
		       size_t nwords)
{
	return read_percpu_fd(bpf_map__fd(map), idx, n, sum, nwords);
}

int dp_read_percpu(struct bpf_map *map, __u32 idx, __u64 *sum,
		   size_t nwords)
{
	return read_percpu(map, idx, 1, sum, nwords);
}

int dp_read_percpu_fd(int fd, __u32 idx, __u32 n, __u64 *sum,
		      size_t nwords)
{
	return read_percpu_fd(fd, idx, n, sum, nwords);
}

/* Every reason in one syscall: the fuzzer reads them after each frame. */
int dataplane_read_reasons(struct dataplane *dp, __u64 out[XLB_REASON_MAX])
{
	return read_percpu(dp->skel->maps.reasons, 0, XLB_REASON_MAX, out, 1);
}

int dataplane_read_vip_stats(struct dataplane *dp, __u32 vip_id,
			     struct xlb_counter *out)
{
	return dp_read_percpu(dp->skel->maps.vip_stats, vip_id, (__u64 *)out, 2);
}

int dataplane_read_backend_stats(struct dataplane *dp, __u32 id,
				 struct xlb_counter *out)
{
	return dp_read_percpu(dp->skel->maps.backend_stats, id, (__u64 *)out, 2);
}

int dataplane_lookup_flow(struct dataplane *dp, const struct xlb_flow_key *key,
			  struct xlb_flow *out)
{
	if (bpf_map_lookup_elem(bpf_map__fd(dp->skel->maps.flows), key, out))
		return -errno;
	return 0;
}

int dataplane_count_flows(struct dataplane *dp, __u64 *counts, __u32 n,
			  __u64 seen_since_ns)
{
	enum { BATCH = 4096 };
	int fd = bpf_map__fd(dp->skel->maps.flows);
	struct xlb_flow_key *keys = calloc(BATCH, sizeof(*keys));
	struct xlb_flow *vals = calloc(BATCH, sizeof(*vals));
	struct xlb_flow_key in, out;
	void *cursor = NULL;
	int err = 0;

	if (!keys || !vals) {
		err = -ENOMEM;
		goto out;
	}
	for (;;) {
		__u32 count = BATCH;

		err = bpf_map_lookup_batch(fd, cursor, &out, keys, vals,
					   &count, NULL);
		if (err)
			err = -errno;
		for (__u32 i = 0; i < count; i++)
			if (vals[i].backend_id < n &&
			    vals[i].last_seen_ns >= seen_since_ns)
				counts[vals[i].backend_id]++;
		if (err)
			break;
		in = out;
		cursor = &in;
	}
	if (err == -ENOENT)
		err = 0;	/* walked the whole table */
out:
	free(keys);
	free(vals);
	return err;
}

static int clear_hash(struct bpf_map *map, size_t key_size)
{
	int fd = bpf_map__fd(map);
	char key[64];

	if (key_size > sizeof(key))
		return -EINVAL;
	/* Delete the first key until none is left: safe while deleting. */
	while (!bpf_map_get_next_key(fd, NULL, key))
		if (bpf_map_delete_elem(fd, key))
			return -errno;
	return 0;
}

int dataplane_del_flow(struct dataplane *dp, const struct xlb_flow_key *key)
{
	if (bpf_map_delete_elem(bpf_map__fd(dp->skel->maps.flows), key))
		return -errno;
	return 0;
}

int dataplane_clear_flows(struct dataplane *dp)
{
	int err = clear_hash(dp->skel->maps.flows, sizeof(struct xlb_flow_key));

	if (!err)
		err = clear_hash(dp->skel->maps.frags,
				 sizeof(struct xlb_frag_key));
	for (__u32 i = 0; !err && i < XLB_MAX_BACKENDS; i++) {
		__atomic_store_n(&dp->flows[i].active, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&dp->flows[i].opened, 0, __ATOMIC_RELAXED);
		dp->idle_applied[i] = 0;
	}
	return err;
}

/* ---- active flows and the sweep ---- */

static __s64 active_count(const struct dataplane *dp, __u32 id)
{
	return (__s64)__atomic_load_n(&dp->flows[id].active, __ATOMIC_RELAXED);
}

static void active_add(struct dataplane *dp, __u32 id, __s64 delta)
{
	__atomic_fetch_add(&dp->flows[id].active, (__u64)delta,
			   __ATOMIC_RELAXED);
}

int dataplane_read_active_flows(struct dataplane *dp, __u64 *counts, __u32 n)
{
	for (__u32 i = 0; i < n; i++) {
		__s64 c = i < XLB_MAX_BACKENDS ? active_count(dp, i) : 0;

		counts[i] = c > 0 ? (__u64)c : 0;
	}
	return 0;
}

__u64 dataplane_opened_flows(struct dataplane *dp, __u32 id)
{
	if (id >= XLB_MAX_BACKENDS)
		return 0;
	return __atomic_load_n(&dp->flows[id].opened, __ATOMIC_RELAXED);
}

__u64 dataplane_active_flows(struct dataplane *dp, __u32 id)
{
	__s64 c = id < XLB_MAX_BACKENDS ? active_count(dp, id) : 0;

	return c > 0 ? (__u64)c : 0;
}

#define SWEEP_BATCH 4096

struct flow_sweep {
	struct dataplane *dp;
	struct flow_sweep_opts opts;
	struct xlb_flow_key *keys;
	struct xlb_flow *vals;
	struct xlb_flow_key cursor;	/* where the next batch starts */
	bool started, done;
	__s64 *start;		/* each backend's count as the walk began */
	__u64 *open;		/* open (not closed) entries found */
	__u64 *idle;		/* of which idle past their timeout */
	struct flow_sweep_stats stats;
};

void dataplane_sweep_free(struct flow_sweep *sw)
{
	if (!sw)
		return;
	free(sw->keys);
	free(sw->vals);
	free(sw->start);
	free(sw->open);
	free(sw->idle);
	free(sw);
}

struct flow_sweep *dataplane_sweep_start(struct dataplane *dp,
					 const struct flow_sweep_opts *opts)
{
	struct flow_sweep *sw = calloc(1, sizeof(*sw));

	if (!sw)
		return NULL;
	sw->dp = dp;
	sw->opts = *opts;
	sw->keys = calloc(SWEEP_BATCH, sizeof(*sw->keys));
	sw->vals = calloc(SWEEP_BATCH, sizeof(*sw->vals));
	sw->start = calloc(XLB_MAX_BACKENDS, sizeof(*sw->start));
	sw->open = calloc(XLB_MAX_BACKENDS, sizeof(*sw->open));
	sw->idle = calloc(XLB_MAX_BACKENDS, sizeof(*sw->idle));
	if (!sw->keys || !sw->vals || !sw->start || !sw->open || !sw->idle) {
		dataplane_sweep_free(sw);
		errno = ENOMEM;
		return NULL;
	}
	for (__u32 i = 0; i < XLB_MAX_BACKENDS; i++)
		sw->start[i] = active_count(dp, i);
	return sw;
}

static void sweep_entry(struct flow_sweep *sw, const struct xlb_flow_key *k,
			const struct xlb_flow *v)
{
	__u64 idle = k->proto == IPPROTO_TCP ? sw->opts.tcp_idle_ns
					     : sw->opts.udp_idle_ns;
	__u64 now = sw->opts.now_ns;
	__u32 id = v->backend_id;

	sw->stats.entries++;
	if (id >= XLB_MAX_BACKENDS || v->flags & XLB_FLOW_F_CLOSED)
		return;
	sw->open[id]++;
	if (idle && v->last_seen_ns <= now && now - v->last_seen_ns >= idle) {
		sw->idle[id]++;
		sw->stats.idle++;
	} else {
		sw->stats.active++;
	}
}

/*
 * The count should be open - idle. When the walk began it was start, and
 * the data path kept it as open - idle_applied (the idle flows the last
 * sweep took out) up to drift: open flows lost to LRU eviction, races
 * between CPUs, FINs of flows already taken out as idle, idle flows that
 * moved again. Adding (open - idle) - start makes it what the walk found,
 * plus what the data path did meanwhile.
 */
static void sweep_finish(struct flow_sweep *sw)
{
	__u64 *applied = sw->dp->idle_applied;

	for (__u32 i = 1; i < XLB_MAX_BACKENDS; i++) {
		__s64 want = (__s64)sw->open[i] - (__s64)sw->idle[i];
		__s64 drift = (__s64)sw->open[i] -
			      (sw->start[i] + (__s64)applied[i]);

		sw->stats.drift += (__u64)(drift < 0 ? -drift : drift);
		if (!sw->opts.correct)
			continue;
		if (want != sw->start[i])
			active_add(sw->dp, i, want - sw->start[i]);
		applied[i] = sw->idle[i];
	}
	sw->done = true;
}

int dataplane_sweep_step(struct flow_sweep *sw, __u32 budget,
			 struct flow_sweep_stats *stats)
{
	int fd = bpf_map__fd(sw->dp->skel->maps.flows);
	struct xlb_flow_key next;
	__u32 count = budget < SWEEP_BATCH ? budget : SWEEP_BATCH;
	int err = 0;

	if (sw->done)
		goto out;
	if (!count)
		count = 1;
	if (bpf_map_lookup_batch(fd, sw->started ? &sw->cursor : NULL, &next,
				 sw->keys, sw->vals, &count, NULL))
		err = -errno;
	if (err == -ENOSPC && count < SWEEP_BATCH) {
		/* a hash bucket holds more than count: take a bigger bite */
		count = SWEEP_BATCH;
		err = bpf_map_lookup_batch(fd, sw->started ? &sw->cursor : NULL,
					   &next, sw->keys, sw->vals, &count,
					   NULL)
			      ? -errno
			      : 0;
	}
	if (err && err != -ENOENT)
		return err;
	for (__u32 i = 0; i < count; i++)
		sweep_entry(sw, &sw->keys[i], &sw->vals[i]);
	sw->cursor = next;
	sw->started = true;
	if (err == -ENOENT)
		sweep_finish(sw);	/* walked the whole table */
out:
	if (stats)
		*stats = sw->stats;
	return sw->done ? 1 : 0;
}

void dataplane_sweep_found(const struct flow_sweep *sw, __u64 *found,
			   __u32 n)
{
	for (__u32 i = 0; i < n; i++)
		found[i] = i < XLB_MAX_BACKENDS ? sw->open[i] - sw->idle[i] : 0;
}

/* Zeroes every CPU's slot of every entry of a per-CPU array. */
static int clear_percpu(struct bpf_map *map)
{
	int ncpu = libbpf_num_possible_cpus();
	size_t sz = bpf_map__value_size(map);
	void *zeros;
	int err = 0;

	if (ncpu < 0)
		return ncpu;
	zeros = calloc((size_t)ncpu, (sz + 7) & ~7UL);
	if (!zeros)
		return -ENOMEM;
	for (__u32 i = 0; i < bpf_map__max_entries(map) && !err; i++)
		if (bpf_map_update_elem(bpf_map__fd(map), &i, zeros, BPF_ANY))
			err = -errno;
	free(zeros);
	return err;
}

int dataplane_clear_stats(struct dataplane *dp)
{
	int err = clear_percpu(dp->skel->maps.reasons);

	if (!err)
		err = clear_percpu(dp->skel->maps.vip_stats);
	if (!err)
		err = clear_percpu(dp->skel->maps.backend_stats);
	return err;
}

