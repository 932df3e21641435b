// SPDX-License-Identifier: GPL-2.0
/* Backend side: the decap program's skeleton, its local addresses and
 * counters. */
#include <errno.h>
#include <stdlib.h>

#include <bpf/libbpf.h>

#include "decap.skel.h"
#include "dp/decap.h"
#include "dp/map_io.h"

struct decap {
	struct xlb_decap *skel;
};

struct decap *decap_open(void)
{
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
	return d;
}

void decap_close(struct decap *d)
{
	if (!d)
		return;
	xlb_decap__destroy(d->skel);
	free(d);
}

int decap_prog_fd(const struct decap *d)
{
	return bpf_program__fd(d->skel->progs.xlb_decap);
}

int decap_add_addr(struct decap *d, const union xlb_addr *addr, __u8 family)
{
	struct xlb_decap_key key = { .addr = *addr, .family = family };
	__u32 one = 1;

	return dp_map_update(d->skel->maps.decap_addrs, &key, &one);
}

int decap_read_stats(struct decap *d, __u64 out[XLB_DECAP_MAX])
{
	for (__u32 r = 0; r < XLB_DECAP_MAX; r++) {
		int err = dp_read_percpu(d->skel->maps.decap_stats, r, &out[r], 1);

		if (err)
			return err;
	}
	return 0;
}
