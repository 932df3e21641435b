/* SPDX-License-Identifier: GPL-2.0 */
/* What a packet-test case file sees: the world the cases run in (VIPs,
 * backends, their tables, the flows of the cases, the model of the
 * balancer's choice; world.c), builders of inputs and expected outputs,
 * and the case table. A case file in tests/bpf/cases/ holds the inputs,
 * expectations, setups and checks of one concern and its table:
 *
 *	static const struct test_case cases[] = {
 *		CASE("ipv4 tcp: new flow", NULL, in_v4_tcp, XDP_TX, ex_v4_tcp,
 *		     NULL, FWD_NEW),
 *	};
 *	CASES(cases, NULL);
 *
 * packet_test.c runs every registered table: no list to edit. */
#ifndef XLB_PACKET_TEST_H
#define XLB_PACKET_TEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <netinet/in.h>

#include <linux/bpf.h>

#include "xlb_abi.h"
#include "dp/maps.h"
#include "dp/decap.h"
#include "pktgen.h"

#define SEED 0x5eed1234U
#define HOSTBITS 4		/* outer source: low 4 bits from the flow hash */
#define FLOW_ENTRIES 4096
#define TSIZE XLB_DEFAULT_TABLE_SIZE
#define MAX_BE 4		/* per VIP: 3 in the first table, 1 more later */
#define PAYLOAD 24		/* default bytes after the L4 header */
#define MTU 1500

/* ---- assertions, in the style of the kernel's test_progs.h ---- */

#define ASSERT_EQ(actual, expected, name)                                      \
	({                                                                     \
		long long ___a = (long long)(actual);                          \
		long long ___e = (long long)(expected);                        \
		bool ___ok = ___a == ___e;                                     \
		if (!___ok)                                                    \
			printf("    %s:%d %s: got %lld (%#llx), expected %lld "   \
			       "(%#llx)\n",                                    \
			       __func__, __LINE__, (name), ___a, ___a, ___e,   \
			       ___e);                                          \
		___ok;                                                         \
	})

#define ASSERT_OK(err, name) ASSERT_EQ((err), 0, (name))

#define ASSERT_TRUE(cond, name)                                                \
	({                                                                     \
		bool ___ok = !!(cond);                                         \
		if (!___ok)                                                    \
			printf("    %s:%d %s: not true\n", __func__, __LINE__,    \
			       (name));                                        \
		___ok;                                                         \
	})

/* ---- the world: VIPs, backends, their tables (world.c) ---- */

extern const __u8 mac_router[6], mac_lb[6], mac_gw[6], mac_backend[6];

enum {
	V4_TCP,		/* 203.0.113.10:80/tcp, IPv4 backends */
	V4_UDP,		/* 203.0.113.10:53/udp */
	V6_TCP,		/* [2001:db8:100::10]:80/tcp, IPv6 backends */
	V6_UDP,		/* [2001:db8:100::10]:53/udp */
	V4_IN_V6,	/* IPv4 VIP, IPv6 backends */
	V6_IN_V4,	/* IPv6 VIP, IPv4 backends */
	ALLPORTS,	/* 203.0.113.30, every TCP port */
	EXACT,		/* 203.0.113.30:80, beats the all-ports VIP */
	AFFINITY,	/* source-address affinity */
	FAILOPEN,	/* passes to the kernel when every backend is down */
	NOTABLE,	/* no Maglev table yet */
	NVIPS,
};

struct tvip {
	const char *addr;
	__u16 port;
	__u8 proto;
	__u32 flags;
	__u8 be_family;
	int nbe;		/* backends in the first table */
	__u32 *table;		/* our copy of the first table */
	__u32 *table_more;	/* with backend nbe+1 added */
};

extern struct tvip vips[NVIPS];
extern struct dataplane *dp;
extern struct decap *dc;

/* What the data path should know, mirrored: down flags, current tables. */
extern bool be_down[XLB_MAX_BACKENDS];
extern const __u32 *cur_table[NVIPS];

/* Set by expect_encap() for a packet that must be forwarded. */
extern int exp_vip, exp_be;
/* Cleared when building an input or expectation found the test wrong. */
extern bool model_ok;
/* The device packets arrive on in BPF_PROG_TEST_RUN (0: the namespace's
 * lo); a setup sets it, every case starts from 0. */
extern int run_ingress;

__u8 addr(const char *s, union xlb_addr *a);
__be32 ip4(const char *s);
__u32 be_id(int vip, int k);
/* Backend k of a VIP: 192.0.2.<id> or 2001:db8:b::<id>. */
__u8 be_addr(__u32 id, __u8 family, union xlb_addr *a);
bool build_tables(void);
void base_config(struct xlb_config *cfg);
/* Every case starts from here: no flows, every backend up, first tables. */
bool reset_world(void);
bool set_down(__u32 id, bool down);
/* Every CPU's budget of too-big replies: full, or empty as of now. */
bool set_icmp_budget(bool empty);
bool swap_table(int vip);

/* ---- flows and the model of the balancer's choice ---- */

struct tflow {
	const char *src, *dst;
	__u16 sport, dport;
	__u8 proto;
};

extern const struct tflow f4_tcp, f4_udp, f6_tcp, f6_udp, f4_in_6, f6_in_4,
	f4_other, f6_other, f4_port, f4_proto, f6_port, f_all, f_all_udp,
	f_exact, f_aff_a, f_open, f_notable, f4_frag, f6_frag;
/* Found at start (find_flows()). */
extern struct tflow f4_tcp_2;	/* lands on another backend than f4_tcp */
extern struct tflow f6_tcp_2;	/* the same for f6_tcp */
extern struct tflow f_aff_b;	/* 5-tuple hash would differ from f_aff_a */
extern struct tflow f_victim;	/* hashes onto f4_tcp's backend */
extern struct tflow f_swap;	/* its slot goes to the new backend */
extern __u32 victim;		/* f4_tcp's first backend */
extern __u32 resched;		/* where f4_tcp goes without it */
bool find_flows(void);

void flow_key(const struct tflow *f, struct xlb_flow_key *k);
__u32 flow_hash(const struct tflow *f, bool src_only);
__u32 vip_hash(int vip, const struct tflow *f);
/* Maglev lookup as DESIGN.md states it: the hashed slot, or when its
 * backend is down the next slots (XLB_DOWN_PROBES of them). */
__u32 pick(const __u32 *table, __u32 hash);
__u32 model_backend(int vip, const struct tflow *f);

/* ---- building packets ---- */

struct shape {
	int vlans;		/* tags: 1 = 802.1Q, 2+ = 802.1ad then 802.1Q */
	__u8 tos;		/* TOS / traffic class */
	bool no_df;
	__u8 tcp_flags;		/* 0 = PSH|ACK */
	size_t payload;		/* 0 = PAYLOAD bytes */
	size_t ip_len;		/* pad the payload to this IP length */
	const __u8 *opts;	/* IPv4 options */
	size_t optlen;
	enum pkt_type ext[6];	/* IPv6 extension headers, 0-terminated */
};

/* Router to balancer, with tags. */
void push_l2(struct pkt *p, int vlans);
/* IP header, extension headers, TCP/UDP and payload of a flow. */
void push_flow(struct pkt *p, const struct tflow *f, const struct shape *s);
/* A frame of flow f (s may be NULL). */
void build(struct pkt *p, const struct tflow *f, const struct shape *s);
/* A TCP segment of flow f with these flags and one byte of data. */
void build_tcp(struct pkt *p, const struct tflow *f, __u8 flags);
/* The L2 header of in (tags kept) with other MAC addresses. */
void push_l2_as(struct pkt *out, const struct pkt *in, const __u8 *dst,
		const __u8 *src);
/* GUE as a balancer sends it (push_gue). */
struct gue_spec {
	const char *src;	/* outer source */
	const char *cands[XLB_GUE_MAX_CANDIDATES]; /* with count 0: [0] only */
	__u8 count;		/* 0: one candidate, no private data */
	__u8 next;		/* the candidate it is sent to */
	__u16 port;		/* 0: XLB_GUE_PORT_DEFAULT */
	__u16 sport;		/* 0: XLB_GUE_SPORT_BASE | 0x123 */
	const __u8 *dmac, *smac; /* NULL: mac_backend, mac_gw */
};
/* Ethernet, outer IP to candidate[next], UDP (checksum 0), GUE and its
 * private data; the inner packet comes next. */
void push_gue(struct pkt *p, const struct gue_spec *g);
/* Recomputes the IPv4 header checksum after a header was edited. */
void fix_ip4_csum(struct pkt *p);
/* IPv4 options: router alert, NOPs, EOL. */
extern const __u8 ip4_opts[8];
/* ICMP frag-needed to f's VIP quoting its reply, with more bytes of the
 * quoted packet and DF on the outer header as asked. */
void icmp4_quoting(struct pkt *p, const struct tflow *f, size_t more,
		   bool df);
void icmp4_about(struct pkt *p, const struct tflow *f);

/* ---- expected outputs ---- */

/* What the balancer must send for in: an L2 header from smac to dmac,
 * an outer header from the flow's source to backend be, TTL 64, TOS
 * copied, then in's IP packet as is. */
void expect_encap_via(const struct pkt *in, struct pkt *out, int vip,
		      __u32 be, __u32 hash, const __u8 *dmac,
		      const __u8 *smac);
/* Without a FIB answer: to the gateway, from the MAC the frame was sent
 * to. */
void expect_encap(const struct pkt *in, struct pkt *out, int vip, __u32 be,
		  __u32 hash);
/* in, forwarded to the backend the model picks for flow f. */
void expect_fwd(const struct pkt *in, struct pkt *out, int vip,
		const struct tflow *f);
/* ICMP frag-needed / packet-too-big back to the sender of in. */
void expect_too_big(const struct pkt *in, struct pkt *out, __u32 mtu);
/* The output of a dropped packet is not looked at. */
void expect_any(const struct pkt *in, struct pkt *out);
/* What the decap program must hand to the stack. */
void expect_decap(const struct pkt *in, struct pkt *out);

/* ---- running programs, reading maps ---- */

bool run_prog(int fd, const struct pkt *in, __u8 *out, __u32 *out_len,
	      __u32 *retval);
/* Runs a packet through the balancer, as a setup step: it must be sent
 * (XDP_TX), or get the verdict given. */
bool prime(void (*input)(struct pkt *p));
bool prime_verdict(void (*input)(struct pkt *p), __u32 verdict);
bool lookup_flow(const struct tflow *f, struct xlb_flow *out);
/* Every backend's active count is 0, except be (want_be) and be2
 * (want_be2): checks the whole map, so a count left on the wrong backend
 * is caught too. */
bool counts_are(__u32 be, __u64 want_be, __u32 be2, __u64 want_be2);
bool flow_flags_are(const struct tflow *f, __u32 be, __u8 flags);
/* The agent's sweep, run to the end in steps of budget entries. */
bool sweep(__u64 now, __u64 tcp_idle, __u64 udp_idle, bool correct,
	   __u32 budget, struct flow_sweep_stats *st);

/* ---- the flows most cases use: input, expectation, setup, check ---- */

void in_v4_tcp(struct pkt *p);
void ex_v4_tcp(const struct pkt *in, struct pkt *out);
bool su_v4_tcp(void);
bool chk_v4_tcp_flow(void);
bool chk_no_v4_tcp_flow(void);
void in_v4_tcp_2(struct pkt *p);
void ex_v4_tcp_2(const struct pkt *in, struct pkt *out);
void in_v4_udp(struct pkt *p);
void ex_v4_udp(const struct pkt *in, struct pkt *out);
bool su_v4_udp(void);
void in_v6_tcp(struct pkt *p);
void ex_v6_tcp(const struct pkt *in, struct pkt *out);
bool su_v6_tcp(void);
void in_v6_udp(struct pkt *p);
void ex_v6_udp(const struct pkt *in, struct pkt *out);
bool su_v6_udp(void);
void in_4in6(struct pkt *p);
void ex_4in6(const struct pkt *in, struct pkt *out);
void in_vlan1_v6(struct pkt *p);

/* ---- the case tables ---- */

struct cnt {
	int idx;	/* xlb_reason, or xlb_decap_reason for decap cases */
	__u64 n;	/* 0 ends the list */
};

struct test_case {
	const char *name;
	bool (*setup)(void);
	void (*input)(struct pkt *p);
	int verdict;
	/* NULL: the output must equal the input */
	void (*expect)(const struct pkt *in, struct pkt *out);
	struct cnt counters[6];	/* every other counter must stay 0 */
	bool (*check)(void);
	bool decap;		/* run the decap program */
};

/* A balancer case: name, setup, input, verdict, expected output (NULL:
 * the input unchanged), extra check, then the counters that must move. */
#define CASE(n, s, i, v, e, c, ...)                                            \
	{ .name = (n), .setup = (s), .input = (i), .verdict = (v),             \
	  .expect = (e), .check = (c), .counters = { __VA_ARGS__ } }
/* A decap case: its own counters. */
#define DECAP(n, i, v, e, ...)                                                 \
	{ .name = (n), .input = (i), .verdict = (v), .expect = (e),            \
	  .decap = true, .counters = { __VA_ARGS__ } }
/* ... with a setup and a check. */
#define DECAP_SU(n, s, i, v, e, c, ...)                                        \
	{ .name = (n), .setup = (s), .input = (i), .verdict = (v),             \
	  .expect = (e), .check = (c), .decap = true,                          \
	  .counters = { __VA_ARGS__ } }

#define FWD_NEW { XLB_FLOW_MISS, 1 }, { XLB_FWD_TX, 1 }
#define FWD_HIT { XLB_FLOW_HIT, 1 }, { XLB_FWD_TX, 1 }
#define TOO_BIG { XLB_FLOW_MISS, 1 }, { XLB_ICMP_TOO_BIG_SENT, 1 }
#define MALFORMED { XLB_DROP_MALFORMED, 1 }
#define NOT_VIP { XLB_PASS_NOT_VIP, 1 }
#define UNPARSED { XLB_PASS_UNPARSED, 1 }
#define DECAPPED { XLB_DECAP_DONE, 1 }

/* One case file's table. init, if set, runs once before any case: for
 * what the file's cases need of the namespace the test runs in. */
struct case_table {
	const char *file;
	const struct test_case *cases;
	size_t n;
	void (*init)(void);
};

void cases_register(const struct case_table *t);

/* Registers the table arr (of this file) with the runner, before main(). */
#define CASES(arr, init_fn)                                                    \
	static const struct case_table arr##_table = {                        \
		.file = __FILE__,                                              \
		.cases = (arr),                                                \
		.n = sizeof(arr) / sizeof((arr)[0]),                           \
		.init = (init_fn),                                             \
	};                                                                     \
	__attribute__((constructor)) static void register_##arr(void)          \
	{                                                                      \
		cases_register(&arr##_table);                                  \
	}

#endif /* XLB_PACKET_TEST_H */
