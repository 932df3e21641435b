/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Seeded flow hashing, shared by the data path and userspace so that both
 * (and every balancer host with the same seed) make the same choice.
 * Bob Jenkins' lookup3 mixing, as used for Linux's jhash.
 */
#ifndef XLB_HASH_H
#define XLB_HASH_H

#include "../xlb_abi.h"

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

static __always_inline __u32 xlb_rol32(__u32 word, unsigned int shift)
{
	return (word << shift) | (word >> ((-shift) & 31));
}

#define XLB_JHASH_MIX(a, b, c)                                                 \
	do {                                                                   \
		a -= c; a ^= xlb_rol32(c, 4); c += b;                          \
		b -= a; b ^= xlb_rol32(a, 6); a += c;                          \
		c -= b; c ^= xlb_rol32(b, 8); b += a;                          \
		a -= c; a ^= xlb_rol32(c, 16); c += b;                         \
		b -= a; b ^= xlb_rol32(a, 19); a += c;                         \
		c -= b; c ^= xlb_rol32(b, 4); b += a;                          \
	} while (0)

#define XLB_JHASH_FINAL(a, b, c)                                               \
	do {                                                                   \
		c ^= b; c -= xlb_rol32(b, 14);                                 \
		a ^= c; a -= xlb_rol32(c, 11);                                 \
		b ^= a; b -= xlb_rol32(a, 25);                                 \
		c ^= b; c -= xlb_rol32(b, 16);                                 \
		a ^= c; a -= xlb_rol32(c, 4);                                  \
		b ^= a; b -= xlb_rol32(a, 14);                                 \
		c ^= b; c -= xlb_rol32(b, 24);                                 \
	} while (0)

#define XLB_JHASH_INIT 0xdeadbeef

/* jhash2 over 12 words (three rounds, fully unrolled for the verifier). */
static __always_inline __u32 xlb_jhash_12words(const __u32 *k, __u32 seed)
{
	__u32 a, b, c;

	a = b = c = XLB_JHASH_INIT + (12 << 2) + seed;
	a += k[0]; b += k[1]; c += k[2];
	XLB_JHASH_MIX(a, b, c);
	a += k[3]; b += k[4]; c += k[5];
	XLB_JHASH_MIX(a, b, c);
	a += k[6]; b += k[7]; c += k[8];
	XLB_JHASH_MIX(a, b, c);
	a += k[9]; b += k[10]; c += k[11];
	XLB_JHASH_FINAL(a, b, c);
	return c;
}

/* Hash of a flow for Maglev: the whole 5-tuple, or for source affinity the
 * client address alone (so every connection of a client lands together). */
static __always_inline __u32 xlb_flow_hash(const struct xlb_flow_key *key,
					   int src_only, __u32 seed)
{
	__u32 w[12] = {};

	w[0] = key->src.v6[0];
	w[1] = key->src.v6[1];
	w[2] = key->src.v6[2];
	w[3] = key->src.v6[3];
	w[11] = key->family;
	if (!src_only) {
		w[4] = key->dst.v6[0];
		w[5] = key->dst.v6[1];
		w[6] = key->dst.v6[2];
		w[7] = key->dst.v6[3];
		w[8] = ((__u32)key->sport << 16) | key->dport;
		w[9] = key->proto;
	}
	return xlb_jhash_12words(w, seed);
}

#endif /* XLB_HASH_H */
