// SPDX-License-Identifier: GPL-2.0
/* Slot history: the backends a slot's pair had before a config change,
 * kept for the idle timeout so that their flows can still be found. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "model/pairs.h"

#define HISTORY 2	/* owner[2], owner[3] */

/* Times are kept in s, rounded up: an entry may live up to 1 s longer,
 * never shorter, and a table's times take 8 bytes a slot, not 16. */
static __u32 to_s(__u64 ms)
{
	return (__u32)((ms + 999) / 1000);
}

int pairs_history_init(struct pairs_history *h, __u32 size, __u64 expiry_ms)
{
	*h = (struct pairs_history){ .size = size, .expiry_ms = expiry_ms };
	h->slots = calloc(size ? size : 1, sizeof(*h->slots));
	h->added = calloc((size_t)(size ? size : 1) * HISTORY,
			  sizeof(*h->added));
	if (!h->slots || !h->added) {
		pairs_history_free(h);
		return -ENOMEM;
	}
	return 0;
}

void pairs_history_free(struct pairs_history *h)
{
	free(h->slots);
	free(h->added);
	h->slots = NULL;
	h->added = NULL;
}

static bool alive(const struct pairs_history *h, __u32 added, __u64 now_ms)
{
	return h->expiry_ms && (__u64)added * 1000 + h->expiry_ms > now_ms;
}

/* One bit per possible id (owner[] is __u16). */
struct id_set {
	__u64 bit[65536 / 64];
};

static bool in_set(const struct id_set *set, __u16 id)
{
	return set->bit[id / 64] >> (id % 64) & 1;
}

void pairs_history_update(struct pairs_history *h,
			  const struct pair_slot *next, __u64 now_ms,
			  const __u16 *freed, size_t n_freed)
{
	struct id_set gone = { 0 };
	__u32 now_s = to_s(now_ms);

	for (size_t i = 0; i < n_freed; i++)
		gone.bit[freed[i] / 64] |= 1ULL << (freed[i] % 64);
	for (__u32 s = 0; s < h->size; s++) {
		const struct pair_slot old = h->slots[s];
		/* newest first: the old pick, its partner, the history */
		const __u32 when[4] = { now_s, now_s, h->added[2 * s],
					h->added[2 * s + 1] };
		struct pair_slot cur = { .owner = { next[s].owner[0],
						    next[s].owner[1] } };
		__u32 *added = &h->added[2 * s];
		int kept = 0;

		for (int i = 0; i < 4 && kept < HISTORY; i++) {
			__u16 id = old.owner[i];

			if (!id || id == cur.owner[0] || id == cur.owner[1] ||
			    (kept && id == cur.owner[2]) || in_set(&gone, id) ||
			    !alive(h, when[i], now_ms))
				continue;
			cur.owner[2 + kept] = id;
			added[kept++] = when[i];
		}
		for (int i = kept; i < HISTORY; i++)
			added[i] = 0;
		h->slots[s] = cur;
	}
}

void pairs_history_adopt(struct pairs_history *h,
			 const struct pair_slot *slots, __u64 now_ms)
{
	for (__u32 s = 0; s < h->size; s++) {
		h->slots[s] = slots[s];
		for (int i = 0; i < HISTORY; i++)
			h->added[2 * s + i] =
				slots[s].owner[2 + i] ? to_s(now_ms) : 0;
	}
}

__u64 pairs_history_next_expiry(const struct pairs_history *h)
{
	__u64 next = 0;

	for (__u32 s = 0; s < h->size; s++) {
		for (int i = 0; i < HISTORY; i++) {
			__u64 at = (__u64)h->added[2 * s + i] * 1000 +
				   h->expiry_ms;

			if (h->slots[s].owner[2 + i] && (!next || at < next))
				next = at;
		}
	}
	return next;
}
