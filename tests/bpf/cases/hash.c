// SPDX-License-Identifier: GPL-2.0
/* The flow hash: keyed SipHash-1-3 with a known key, checked against
 * values from an independent implementation (the reference algorithm in
 * Python, itself checked against the SipHash paper's vectors and Python's
 * own siphash13), and jhash with hash_seed when no key is set, as before.
 * An IPv6 outer header carries 20 bits of the hash as its flow label and
 * every outer source 4 (HOSTBITS): the output bytes show the hash. */
#include "packet_test.h"

/* The key 00 01 02 ... 0f. */
static const struct xlb_hash_key key = {
	.k0 = 0x0706050403020100ULL,
	.k1 = 0x0f0e0d0c0b0a0908ULL,
	.alg = XLB_HASH_SIPHASH13,
};

/* SipHash-1-3 under that key, low 32 bits, of the message struct
 * xlb_flow_key's fields make (bpf/lib/hash.h): */
#define H_F6_TCP 0xaec44bf9U	/* f6_tcp, 40 bytes */
#define H_F4_TCP 0x47e206b3U	/* f4_tcp, 16 bytes */
#define H_AFF 0x42ae796cU	/* f_aff_a, source address only */
/* jhash of f4_tcp with SEED: what xlb chose before keyed hashing. */
#define J_F4_TCP 0x94a08f65U

static bool su_key(void)
{
	return ASSERT_OK(dataplane_set_hash_key(dp, &key), "set_hash_key");
}

static void ex_keyed(const struct pkt *in, struct pkt *out, int vip,
		     __u32 hash)
{
	expect_encap(in, out, vip, pick(cur_table[vip], hash), hash);
}

static void ex_keyed_v6(const struct pkt *in, struct pkt *out)
{
	ex_keyed(in, out, V6_TCP, H_F6_TCP);
}

static void ex_keyed_v4(const struct pkt *in, struct pkt *out)
{
	ex_keyed(in, out, V4_TCP, H_F4_TCP);
}

static void in_aff_a(struct pkt *p)
{
	build(p, &f_aff_a, NULL);
}

static void in_aff_b(struct pkt *p)
{
	build(p, &f_aff_b, NULL);
}

static void ex_keyed_aff(const struct pkt *in, struct pkt *out)
{
	ex_keyed(in, out, AFFINITY, H_AFF);
}

static void ex_legacy_v4(const struct pkt *in, struct pkt *out)
{
	ex_keyed(in, out, V4_TCP, J_F4_TCP);
}

/* The model's hash is jhash with SEED: the pinned value must agree. */
static bool chk_legacy_model(void)
{
	return ASSERT_EQ(flow_hash(&f4_tcp, false), J_F4_TCP,
			 "jhash of f4_tcp");
}

static const struct test_case cases[] = {
	CASE("keyed hash: ipv6 flow label is SipHash-1-3 of the tuple", su_key,
	     in_v6_tcp, XDP_TX, ex_keyed_v6, NULL, FWD_NEW),
	CASE("keyed hash: ipv4 backend and outer source bits from SipHash-1-3",
	     su_key, in_v4_tcp, XDP_TX, ex_keyed_v4, NULL, FWD_NEW),
	CASE("keyed hash: source affinity hashes the client address alone",
	     su_key, in_aff_a, XDP_TX, ex_keyed_aff, NULL, FWD_NEW),
	CASE("keyed hash: another port of the client, the same hash", su_key,
	     in_aff_b, XDP_TX, ex_keyed_aff, NULL, FWD_NEW),
	CASE("no key: jhash with hash_seed, the choice of before", NULL,
	     in_v4_tcp, XDP_TX, ex_legacy_v4, chk_legacy_model, FWD_NEW),
};
CASES(cases, NULL);
