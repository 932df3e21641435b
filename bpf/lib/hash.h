/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Flow hashing, shared by the data path and userspace so that both (and
 * every balancer host with the same key or seed) make the same choice:
 * SipHash-1-3 keyed with the fleet's secret, or, with no key, Bob
 * Jenkins' lookup3 (Linux's jhash) with a seed that is no secret.
 */
#ifndef XLB_HASH_H
#define XLB_HASH_H

#include "../xlb_abi.h"

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

/* Loops unrolled whole: the BPF verifier is to see none; gcc builds the
 * userspace side. */
#ifdef __clang__
#define XLB_UNROLL _Pragma("unroll")
#else
#define XLB_UNROLL _Pragma("GCC unroll 16")
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

/* ---- SipHash (Aumasson and Bernstein, 2012) ---- */

static __always_inline __u64 xlb_rol64(__u64 word, unsigned int shift)
{
	return (word << shift) | (word >> (64 - shift));
}

#define XLB_SIPROUND(v0, v1, v2, v3)                                           \
	do {                                                                   \
		v0 += v1; v1 = xlb_rol64(v1, 13); v1 ^= v0;                    \
		v0 = xlb_rol64(v0, 32);                                        \
		v2 += v3; v3 = xlb_rol64(v3, 16); v3 ^= v2;                    \
		v0 += v3; v3 = xlb_rol64(v3, 21); v3 ^= v0;                    \
		v2 += v1; v1 = xlb_rol64(v1, 17); v1 ^= v2;                    \
		v2 = xlb_rol64(v2, 32);                                        \
	} while (0)

/* SipHash-c-d of a message of n whole 64-bit words, each the
 * little-endian reading of 8 message bytes: the reference algorithm for
 * messages of 8n bytes. n, c and d are constants at every call, so the
 * loops unroll (the verifier sees no loop). */
static __always_inline __u64 xlb_siphash(const __u64 *m, const int n,
					 __u64 k0, __u64 k1, const int c,
					 const int d)
{
	__u64 v0 = k0 ^ 0x736f6d6570736575ULL;
	__u64 v1 = k1 ^ 0x646f72616e646f6dULL;
	__u64 v2 = k0 ^ 0x6c7967656e657261ULL;
	__u64 v3 = k1 ^ 0x7465646279746573ULL;
	__u64 b = (__u64)(8 * n) << 56;	/* last block: the length */
	int i, r;

XLB_UNROLL
	for (i = 0; i < n; i++) {
		v3 ^= m[i];
XLB_UNROLL
		for (r = 0; r < c; r++)
			XLB_SIPROUND(v0, v1, v2, v3);
		v0 ^= m[i];
	}
	v3 ^= b;
XLB_UNROLL
	for (r = 0; r < c; r++)
		XLB_SIPROUND(v0, v1, v2, v3);
	v0 ^= b;
	v2 ^= 0xff;
XLB_UNROLL
	for (r = 0; r < d; r++)
		XLB_SIPROUND(v0, v1, v2, v3);
	return v0 ^ v1 ^ v2 ^ v3;
}

/* The keyed flow hash: SipHash of the key's fields as bytes, in the
 * order and byte order of struct xlb_flow_key: source and destination
 * address (4 bytes each for IPv4, 16 for IPv6), then source and
 * destination port (network order), protocol, family and two zero bytes.
 * For source affinity destination, ports and protocol are zero. 16 bytes
 * for IPv4, 40 for IPv6; the low 32 bits of the result. (Words are read
 * as the host has them: xlb runs on little-endian hosts.) c and d: the
 * rounds, 1 and 3 in use (xlb_flow_siphash); others for comparison. */
static __always_inline __u32 xlb_flow_siphash_cd(const struct xlb_flow_key *key,
						 int src_only,
						 const struct xlb_hash_key *hk,
						 const int c, const int d)
{
	__u64 w[5], tail = (__u64)key->family << 40;

	if (!src_only)
		tail |= (__u64)key->sport | (__u64)key->dport << 16 |
			(__u64)key->proto << 32;
	if (key->family == XLB_FAMILY_V4) {
		w[0] = key->src.v4;
		if (!src_only)
			w[0] |= (__u64)key->dst.v4 << 32;
		w[1] = tail;
		return (__u32)xlb_siphash(w, 2, hk->k0, hk->k1, c, d);
	}
	w[0] = key->src.v6[0] | (__u64)key->src.v6[1] << 32;
	w[1] = key->src.v6[2] | (__u64)key->src.v6[3] << 32;
	w[2] = 0;
	w[3] = 0;
	if (!src_only) {
		w[2] = key->dst.v6[0] | (__u64)key->dst.v6[1] << 32;
		w[3] = key->dst.v6[2] | (__u64)key->dst.v6[3] << 32;
	}
	w[4] = tail;
	return (__u32)xlb_siphash(w, 5, hk->k0, hk->k1, c, d);
}

/* SipHash-1-3: as fast as jhash over a 5-tuple or faster (fewer words
 * for IPv4), and the rounds Linux (hsiphash on 64-bit), Python and Rust
 * use against hash flooding; docs/bench.md has the figures. */
static __always_inline __u32 xlb_flow_siphash(const struct xlb_flow_key *key,
					      int src_only,
					      const struct xlb_hash_key *hk)
{
	return xlb_flow_siphash_cd(key, src_only, hk, 1, 3);
}

/* The flow hash in use: keyed when the fleet has a key (hk->alg), else
 * jhash with the seed, as before keyed hashing (hk NULL: the same). */
static __always_inline __u32 xlb_flow_hash_with(const struct xlb_flow_key *key,
						int src_only,
						const struct xlb_hash_key *hk,
						__u32 seed)
{
	if (hk && hk->alg == XLB_HASH_SIPHASH13)
		return xlb_flow_siphash(key, src_only, hk);
	return xlb_flow_hash(key, src_only, seed);
}

#endif /* XLB_HASH_H */
