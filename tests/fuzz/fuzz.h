/* SPDX-License-Identifier: GPL-2.0 */
/* The packet fuzzer's parts: the world the balancer runs in (VIPs and
 * backends, as the reference sees them), the reference parser, the frame
 * generator and the invariants. */
#ifndef XLB_FUZZ_H
#define XLB_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "xlb_abi.h"

#define FZ_FRAME_MAX 2048	/* generated frames; outputs get 64 more */
#define FZ_MTU 1500
#define FZ_MAX_BE 3
#define FZ_HOSTBITS 4

/* ---- the world (fuzz.c sets it up in the maps) ---- */

struct fz_vip {
	const char *addr;
	__u16 port;		/* 0: every port */
	__u8 proto;
	__u8 family;		/* of addr */
	__u8 be_family;
	__u32 flags;		/* XLB_VIP_* */
	bool all_down;		/* every backend flagged down */
	bool no_table;
	union xlb_addr vaddr;	/* addr, parsed */
	union xlb_addr be[FZ_MAX_BE];
};

extern struct fz_vip fz_vips[];
extern const size_t fz_nvips;
extern const __u8 fz_mac_lb[6], fz_mac_router[6], fz_mac_gw[6];
extern union xlb_addr fz_src4, fz_src6;	/* outer source bases */

__u32 fz_be_id(size_t vip, int k);

/* ---- the reference parser (ref.c): what the rules say of a frame ---- */

enum ref_class {
	REF_PASS,	/* passed untouched, for reason */
	REF_MALFORMED,	/* dropped as malformed */
	REF_VIP,	/* TCP/UDP (or a first fragment) for a VIP */
	REF_ICMP_ERR,	/* frag-needed / packet-too-big about a VIP flow */
	REF_FRAG_LATER,	/* a later fragment: its datagram decides */
};

struct ref {
	enum ref_class cls;
	int reason;		/* REF_PASS: the xlb_reason */
	const char *why;	/* the rule, in words */
	const struct fz_vip *vip;	/* REF_VIP, REF_ICMP_ERR */
	size_t l2_len;		/* Ethernet and tags */
	size_t ip_len;		/* the IP packet, as its header says */
	__u8 family;		/* of the IP packet */
	__u8 tos;
	bool df;		/* IPv4 DF; IPv6 always */
	bool frag_first;	/* a first fragment (more follow) */
	__u32 frag_id;		/* host order, as the frags map has it */
	__u8 tcp_flags;
	/* the flow (REF_VIP), the quoted flow as the client sends it
	 * (REF_ICMP_ERR), addresses and protocol (REF_FRAG_LATER) */
	struct xlb_flow_key key;
};

const struct fz_vip *ref_vip_lookup(const struct xlb_flow_key *k);
void ref_parse(const __u8 *f, size_t len, struct ref *r);
/* An address an ICMP error may go to (not ::, ::1, 0/8, 127/8,
 * multicast, broadcast or reserved). */
bool ref_unicast(const union xlb_addr *a, __u8 family);

/* ---- the generator (gen.c) ---- */

struct fz_rng {
	__u64 s;
};

__u64 fz_rand(struct fz_rng *r);
/* 0 .. n-1 */
__u32 fz_below(struct fz_rng *r, __u32 n);

/* Seed frames, from tests/fuzz/seeds/ (hex, '#' comments). */
struct fz_seed {
	char name[64];
	__u8 data[FZ_FRAME_MAX];
	size_t len;
};

int fz_load_seeds(const char *dir, struct fz_seed **out, size_t *n);
/* A new frame into f (at most FZ_FRAME_MAX bytes), its length; what it
 * was made as in kind (for the report). */
size_t fz_generate(struct fz_rng *r, const struct fz_seed *seeds,
		   size_t nseeds, __u8 *f, const char **kind);
/* Remembers a frame the balancer forwarded, to quote it in ICMP errors
 * and to follow first fragments with later ones. */
void fz_remember(const struct ref *ref);

#endif /* XLB_FUZZ_H */
