// SPDX-License-Identifier: GPL-2.0
/* Backend side: the decap program's skeleton, its local addresses,
 * settings, devices and counters; or the maps of the one a device runs,
 * opened by id. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "decap.skel.h"
#include "dp/attach.h"
#include "dp/decap.h"
#include "dp/map_io.h"

struct decap {
	struct xlb_decap *skel;	/* NULL when adopted */
	int prog_fd;
	int addrs_fd;
	int stats_fd;
	int settings_fd;	/* -1: a program older than the settings */
	int tx_ports_fd;	/* -1: likewise */
	__u32 nstats;		/* counters the program has */
	bool own_fds;		/* adopted: the fds are ours to close */
};

static const char *const reason_names[XLB_DECAP_MAX] = {
	[XLB_DECAP_DONE] = "done",
	[XLB_DECAP_PASS] = "pass",
	[XLB_DECAP_MALFORMED] = "malformed",
	[XLB_DECAP_GUE_ONE] = "gue_one",
	[XLB_DECAP_LOCAL_NOT_TCP] = "local_not_tcp",
	[XLB_DECAP_LOCAL_SYN] = "local_syn",
	[XLB_DECAP_LOCAL_LAST] = "local_last",
	[XLB_DECAP_LOCAL_SOCKET] = "local_socket",
	[XLB_DECAP_LOCAL_TIME_WAIT] = "local_time_wait",
	[XLB_DECAP_LOCAL_REQUEST] = "local_request",
	[XLB_DECAP_LOCAL_COOKIE] = "local_cookie",
	[XLB_DECAP_FWD_NO_SOCKET] = "fwd_no_socket",
	[XLB_DECAP_FWD_LISTENER] = "fwd_listener",
	[XLB_DECAP_TX] = "tx",
	[XLB_DECAP_REDIRECT] = "redirect",
	[XLB_DECAP_TX_FALLBACK] = "tx_fallback",
	[XLB_DECAP_DROP_NO_ROUTE] = "drop_no_route",
	[XLB_DECAP_BAD_LIST] = "bad_list",
};

const char *xlb_decap_reason_name(unsigned int reason)
{
	if (reason >= XLB_DECAP_MAX || !reason_names[reason])
		return "unknown";
	return reason_names[reason];
}

struct decap *decap_open(void)
{
	struct xlb_decap_config cfg = { .gue_port = htons(XLB_GUE_PORT_DEFAULT) };
	struct decap *d = calloc(1, sizeof(*d));
	int err;

	if (!d)
		return NULL;
	d->skel = xlb_decap__open_and_load();
	if (!d->skel) {
		err = errno;
		free(d);
		errno = err;
		return NULL;
	}
	d->prog_fd = bpf_program__fd(d->skel->progs.xlb_decap);
	d->addrs_fd = bpf_map__fd(d->skel->maps.decap_addrs);
	d->stats_fd = bpf_map__fd(d->skel->maps.decap_stats);
	d->settings_fd = bpf_map__fd(d->skel->maps.decap_settings);
	d->tx_ports_fd = bpf_map__fd(d->skel->maps.decap_tx_ports);
	d->nstats = XLB_DECAP_MAX;
	err = decap_set_config(d, &cfg);
	if (err) {
		decap_close(d);
		errno = -err;
		return NULL;
	}
	return d;
}

/* Takes the fd of the program's map with this name. */
static void adopt_map(struct decap *d, int fd, const struct bpf_map_info *mi)
{
	static const struct {
		const char *name;
		size_t off;
	} maps[] = {
		{ "decap_addrs", offsetof(struct decap, addrs_fd) },
		{ "decap_stats", offsetof(struct decap, stats_fd) },
		{ "decap_settings", offsetof(struct decap, settings_fd) },
		{ "decap_tx_ports", offsetof(struct decap, tx_ports_fd) },
	};

	for (size_t i = 0; i < sizeof(maps) / sizeof(maps[0]); i++) {
		int *slot = (int *)((char *)d + maps[i].off);

		if (strcmp(mi->name, maps[i].name) || *slot >= 0)
			continue;
		*slot = fd;
		if (slot == &d->stats_fd)
			d->nstats = mi->max_entries < XLB_DECAP_MAX
					    ? mi->max_entries
					    : XLB_DECAP_MAX;
		return;
	}
	close(fd);
}

struct decap *decap_from_prog(int prog_fd)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info), ids[16];
	struct decap *d;
	int err;

	d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->own_fds = true;
	d->addrs_fd = d->stats_fd = d->settings_fd = d->tx_ports_fd = -1;
	d->prog_fd = fcntl(prog_fd, F_DUPFD_CLOEXEC, 0);
	if (d->prog_fd < 0)
		goto fail;
	info.nr_map_ids = sizeof(ids) / sizeof(ids[0]);
	info.map_ids = (__u64)(unsigned long)ids;
	if (bpf_obj_get_info_by_fd(d->prog_fd, &info, &len))
		goto fail;
	for (__u32 i = 0; i < info.nr_map_ids && i < 16; i++) {
		struct bpf_map_info mi = {};
		__u32 mlen = sizeof(mi);
		int fd = bpf_map_get_fd_by_id(ids[i]);

		if (fd < 0)
			goto fail;
		if (bpf_obj_get_info_by_fd(fd, &mi, &mlen)) {
			close(fd);
			goto fail;
		}
		adopt_map(d, fd, &mi);
	}
	if (d->addrs_fd < 0 || d->stats_fd < 0) {
		errno = ENOENT;
		goto fail;
	}
	return d;
fail:
	err = errno;
	decap_close(d);
	errno = err;
	return NULL;
}

struct decap *decap_adopt(int ifindex)
{
	struct xdp_state st;
	struct decap *d;
	int err, fd;

	err = xdp_query(ifindex, &st);
	if (err) {
		errno = -err;
		return NULL;
	}
	if (!st.prog_id || strcmp(st.name, "xlb_decap")) {
		errno = ENOENT;
		return NULL;
	}
	fd = bpf_prog_get_fd_by_id(st.prog_id);
	if (fd < 0)
		return NULL;
	d = decap_from_prog(fd);
	err = errno;
	close(fd);
	errno = err;
	return d;
}

void decap_close(struct decap *d)
{
	if (!d)
		return;
	if (d->own_fds) {
		int fds[] = { d->prog_fd, d->addrs_fd, d->stats_fd,
			      d->settings_fd, d->tx_ports_fd };

		for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
			if (fds[i] >= 0)
				close(fds[i]);
	}
	xlb_decap__destroy(d->skel);
	free(d);
}

int decap_prog_fd(const struct decap *d)
{
	return d->prog_fd;
}

__u32 decap_prog_id(const struct decap *d)
{
	return xdp_prog_id(d->prog_fd);
}

static int update(int fd, const void *key, const void *val)
{
	if (fd < 0)
		return -ENOENT;
	return bpf_map_update_elem(fd, key, val, BPF_ANY) ? -errno : 0;
}

int decap_add_addr(struct decap *d, const union xlb_addr *addr, __u8 family)
{
	struct xlb_decap_key key = { .addr = *addr, .family = family };
	__u32 one = 1;

	return update(d->addrs_fd, &key, &one);
}

/* The keys of a hash map, at most max of size ksize each. */
static int list_keys(int fd, void *out, size_t ksize, int max)
{
	char prev[sizeof(struct xlb_decap_key)], key[sizeof(prev)];
	void *cur = NULL;
	int n = 0;

	if (fd < 0)
		return -ENOENT;
	if (ksize > sizeof(key))
		return -EINVAL;
	while (n < max && !bpf_map_get_next_key(fd, cur, key)) {
		memcpy((char *)out + (size_t)n * ksize, key, ksize);
		memcpy(prev, key, ksize);
		cur = prev;
		n++;
	}
	if (n < max && errno != ENOENT)
		return -errno;
	return n;
}

int decap_list_addrs(struct decap *d, struct xlb_decap_key *out, int max)
{
	return list_keys(d->addrs_fd, out, sizeof(*out), max);
}

int decap_set_config(struct decap *d, const struct xlb_decap_config *cfg)
{
	__u32 zero = 0;

	return update(d->settings_fd, &zero, cfg);
}

int decap_get_config(struct decap *d, struct xlb_decap_config *cfg)
{
	__u32 zero = 0;

	if (d->settings_fd < 0)
		return -ENOENT;
	return bpf_map_lookup_elem(d->settings_fd, &zero, cfg) ? -errno : 0;
}

int decap_add_tx_port(struct decap *d, __u32 ifindex)
{
	return update(d->tx_ports_fd, &ifindex, &ifindex);
}

int decap_list_tx_ports(struct decap *d, __u32 *out, int max)
{
	return list_keys(d->tx_ports_fd, out, sizeof(*out), max);
}

int decap_read_stats(struct decap *d, __u64 out[XLB_DECAP_MAX])
{
	memset(out, 0, XLB_DECAP_MAX * sizeof(out[0]));
	/* an older program has fewer: the rest read 0 */
	return dp_read_percpu_fd(d->stats_fd, 0, d->nstats, out, 1);
}
