/* SPDX-License-Identifier: GPL-2.0 */
/* Paired Maglev tables (design/integrity.md 1-2): two backends per slot
 * from the config alone, each host's pick between them, history. Pure. */
#ifndef XLB_PAIRS_H
#define XLB_PAIRS_H

#include <stddef.h>
#include <linux/types.h>

#include "model/maglev.h"

/*
 * What the agent does with a VIP's table:
 *
 *   on a config change (backends, base weights, seed, size):
 *	pairs_build(base weights)		-> pairs[], kept per VIP
 *   on every rebuild (effective weights moved, config changed):
 *	pairs_assign(pairs, effective weights)	-> next[]: pick, partner
 *	pairs_history_update(&h, next, now)	-> h.slots, written whole
 *   when pairs_history_next_expiry(&h) comes:
 *	pairs_history_update(&h, h.slots, now)	   (drops what expired)
 *
 * Every host with the same config computes the same pairs, whatever its
 * weights and health view; weights only choose which of the two is the
 * pick. So a flow picked by any host is on one of the two backends any
 * other host lists for that slot.
 */

/* The data path's slot value (to move to bpf/xlb_abi.h as is). */
struct pair_slot {
	__u16 owner[4];	/* backend ids, 0 = none: [0] the pick, for new
			 * flows; [1] its partner, the second candidate;
			 * [2], [3] history: backends the slot's pair had
			 * before a config change, newest first */
};
_Static_assert(sizeof(struct pair_slot) == 8, "pair_slot size");

/* A slot's two backends, from the config alone. */
struct pair {
	__u16 first;	/* layer 1: today's weighted Maglev */
	__u16 second;	/* layer 2, never first; 0 with one backend */
};

/*
 * Fills pairs[0..size-1] from the backends with base weight > 0 (up, down
 * or draining alike). Layer 1 is maglev_build(); layer 2 the same fill
 * with permutations of its own, where a backend may not take a slot it
 * holds in layer 1. Each layer shares the slots by base weight, so a
 * backend is in about 2 x its base share of the pairs (less above a
 * share of 1/2: it cannot be its own partner). Depends only on (seed,
 * size, the set of backends with keys and weights), not on their order.
 * Ids must be 1 .. XLB_MAX_BACKENDS - 1. Returns 0, -EINVAL (size not
 * prime, duplicate keys, an id out of range), -ENOENT (no backend with a
 * weight: pairs all 0) or -ENOMEM.
 */
int pairs_build(const struct maglev_backend *backends, size_t n, __u32 seed,
		struct pair *pairs, __u32 size);
/* The same with the data path's keyed flow hash (maglev_build_keyed()):
 * hosts sharing the key share the pairs. */
int pairs_build_keyed(const struct maglev_backend *backends, size_t n,
		      const struct xlb_hash_key *hk, __u32 seed,
		      struct pair *pairs, __u32 size);

/* How close pairs_assign() came to the targets. */
struct pairs_fit {
	__u32 off;		/* |picks - target| summed over the backends
				 * with a target, in slots; 0: exact */
	__u32 worst;		/* the largest |picks - target| of one */
	__u32 uncovered;	/* slots whose two backends both have target
				 * 0: their pick cannot take new flows */
};

/*
 * Chooses each slot's pick from target[].weight (the effective weights,
 * any scale; .id as in pairs_build(), .key the same stable key). Writes
 * owner[0] (pick) and owner[1] (partner) of slots[0..size-1] and zeroes
 * owner[2..3]. Each backend's share of picks is as close to its share of
 * the targets as the pairs allow:
 *  - the slots some backend with a target is in are shared by target
 *    (integer numbers of slots, largest remainders first); a slot whose
 *    two backends both have target 0 keeps its first as the pick;
 *  - a backend with target 0 (or not in target[]) gets no pick whose
 *    partner has a target above 0;
 *  - a backend can reach 0 .. the slots it is in (about 2 x its base
 *    share); above that it gets all of them and the others share the
 *    rest by their targets. Where targets cannot all be met (several
 *    backends near that bound, sharing slots), the result is best effort:
 *    as many picks as can be placed are, and slots between backends
 *    that all want more stay as layer 1 has them;
 *  - targets in proportion to the base weights give layer 1 (today's
 *    Maglev table), to the rounding of Maglev's shares;
 *  - of the orientations that meet the targets it is the one that flips
 *    the fewest from layer 1, counting each slot's flip by a fixed hash
 *    of the slot: the result depends on the arguments only, and a change
 *    of the targets by k slots moves about k picks (more where the two
 *    backends share no pair: a path of them moves).
 * Work: O(size) per step, at most 48 steps (make bench has the times:
 * a few ms, tens when every target is far from its base, at 65537
 * slots). fit (may be NULL) says how close it came. Returns 0, -EINVAL
 * (an id out of range or twice), -ENOMEM, or -ENOENT when no backend in
 * the pairs has a target above 0 (the slots are written all the same,
 * each picking its first).
 */
int pairs_assign(const struct pair *pairs, __u32 size,
		 const struct maglev_backend *target, size_t n,
		 struct pair_slot *slots, struct pairs_fit *fit);

/* What the agent keeps per VIP between rebuilds. */
struct pairs_history {
	__u32 size;
	struct pair_slot *slots;	/* as last written to the data path */
	__u32 *added;			/* [2 x size]: when owner[2 + i] of
					 * slot s was added, added[2s + i], in
					 * s on the caller's clock, rounded up */
	__u64 expiry_ms;		/* history kept this long: the TCP
					 * idle timeout (default 300 s); 0
					 * keeps none */
};

/* Allocates an empty history (no slot written yet). -ENOMEM. A new table
 * size starts a new one: slots of two sizes do not map. */
int pairs_history_init(struct pairs_history *h, __u32 size, __u64 expiry_ms);
void pairs_history_free(struct pairs_history *h);

/*
 * Moves h->slots to next[] (from pairs_assign(); may be h->slots itself),
 * as of now_ms: owner[0..1] from next; owner[2..3] the backends of the
 * slot's previous pair, then of its previous history, that are not in
 * the new pair, newest first, at most two. An entry is dropped once it
 * is expiry_ms old, or when its id is in freed[0..n_freed-1] (ids the
 * agent frees: no flow names them any more). A change of pick within
 * the same pair adds nothing.
 */
void pairs_history_update(struct pairs_history *h,
			  const struct pair_slot *next, __u64 now_ms,
			  const __u16 *freed, size_t n_freed);

/* A restarted agent's start: slots read back from the data path, whose
 * history times are unknown and taken as now_ms. */
void pairs_history_adopt(struct pairs_history *h,
			 const struct pair_slot *slots, __u64 now_ms);

/* When the next history entry expires (ms on the caller's clock), or 0
 * when there is none: the agent rewrites the table then. */
__u64 pairs_history_next_expiry(const struct pairs_history *h);

#endif /* XLB_PAIRS_H */
