/* SPDX-License-Identifier: GPL-2.0 */
/* Weighted Maglev table population (Eisenbud et al., NSDI 2016). Pure. */
#ifndef XLB_MAGLEV_H
#define XLB_MAGLEV_H

#include <stddef.h>
#include <linux/types.h>

#include "xlb_abi.h"

struct maglev_backend {
	__u32 id;	/* what the table slots hold */
	__u32 weight;	/* relative; 0 = no slots */
	__u64 key;	/* stable identity (from the address): decides the
			 * permutation, and the order ties are broken in */
};

/* Fills table[0..size-1] with backend ids. size must be prime. The result
 * depends only on (seed, set of backends with their keys and weights), not
 * on their order. Returns 0, or -EINVAL (size not prime, duplicate keys),
 * -ENOENT (no backend with weight), -ENOMEM. With -ENOENT the table is
 * all zeros. */
int maglev_build(const struct maglev_backend *backends, size_t n, __u32 seed,
		 __u32 *table, __u32 size);
/* The same with the flow hash of the data path: keyed with hk (its alg
 * XLB_HASH_SIPHASH13), or, hk NULL or of alg XLB_HASH_JHASH, jhash with
 * seed, which is maglev_build(). The result depends on the key too. */
int maglev_build_keyed(const struct maglev_backend *backends, size_t n,
		       const struct xlb_hash_key *hk, __u32 seed,
		       __u32 *table, __u32 size);

int maglev_is_prime(__u32 n);

/* The same fill, with permutations of its own, where a backend may not take
 * a slot where exclude[] holds its id (the second layer of a paired table:
 * pairs.h). Slots no backend may take stay 0: with one backend only. */
int maglev_build_excluding(const struct maglev_backend *backends, size_t n,
			   const struct xlb_hash_key *hk, __u32 seed,
			   const __u32 *exclude, __u32 *table, __u32 size);

#endif /* XLB_MAGLEV_H */
