// SPDX-License-Identifier: GPL-2.0
/* Packet tests: the real balancer and decap objects, maps filled through
 * user/dp/dataplane.c, each case run once with BPF_PROG_TEST_RUN and checked
 * for verdict, exact output bytes and counters. */
#include <errno.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "xlb_abi.h"
#include "lib/hash.h"
#include "dp/maps.h"
#include "dp/decap.h"
#include "core/log.h"
#include "model/maglev.h"
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

static const char *xdp_name(long long v)
{
	static const char *const names[] = { "XDP_ABORTED", "XDP_DROP",
					     "XDP_PASS", "XDP_TX",
					     "XDP_REDIRECT" };

	return v >= 0 && v < 5 ? names[v] : "?";
}

static void hexline(const char *tag, const __u8 *b, size_t len, size_t off,
		    const __u8 *other, size_t olen)
{
	printf("    %s %04zx:", tag, off);
	for (size_t i = off; i < off + 16; i++) {
		if (i >= len)
			printf("   ");
		else if (i >= olen || b[i] != other[i])
			printf(" %02x*", b[i]);
		else
			printf(" %02x ", b[i]);
	}
	printf("\n");
}

/* Compares two frames; on a difference, a hex dump of the lines that
 * differ, bytes that differ marked with '*'. */
static bool assert_pkt(const __u8 *got, size_t glen, const __u8 *exp,
		       size_t elen, const char *name)
{
	size_t max = glen > elen ? glen : elen, first = max, shown = 0;

	for (size_t i = 0; i < max; i++) {
		if (i >= glen || i >= elen || got[i] != exp[i]) {
			first = i;
			break;
		}
	}
	if (glen == elen && first == max)
		return true;
	printf("    %s: %zu bytes, expected %zu; first difference at %#zx\n",
	       name, glen, elen, first);
	for (size_t off = first & ~(size_t)15; off < max && shown < 24;
	     off += 16) {
		size_t end = off + 16 < max ? off + 16 : max;
		bool same = end <= glen && end <= elen &&
			    !memcmp(got + off, exp + off, end - off);

		if (same)
			continue;
		hexline("got", got, glen, off, exp, elen);
		hexline("exp", exp, elen, off, got, glen);
		shown++;
	}
	return false;
}

/* ---- the world: VIPs, backends, their tables ---- */

static const __u8 mac_router[6] = { 0x02, 0, 0, 0, 0, 0x01 };
static const __u8 mac_lb[6] = { 0x02, 0, 0, 0, 0, 0x02 };
static const __u8 mac_gw[6] = { 0x02, 0, 0, 0, 0, 0xfe };
static const __u8 mac_backend[6] = { 0x02, 0, 0, 0, 0, 0xbe };
#define SRC4_BASE "192.0.2.240"
#define SRC6_BASE "2001:db8:ff::"

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

static struct tvip vips[NVIPS] = {
	[V4_TCP] = { "203.0.113.10", 80, IPPROTO_TCP, 0, XLB_FAMILY_V4, 3 },
	[V4_UDP] = { "203.0.113.10", 53, IPPROTO_UDP, 0, XLB_FAMILY_V4, 3 },
	[V6_TCP] = { "2001:db8:100::10", 80, IPPROTO_TCP, 0, XLB_FAMILY_V6, 3 },
	[V6_UDP] = { "2001:db8:100::10", 53, IPPROTO_UDP, 0, XLB_FAMILY_V6, 3 },
	[V4_IN_V6] = { "203.0.113.20", 443, IPPROTO_TCP, 0, XLB_FAMILY_V6, 3 },
	[V6_IN_V4] = { "2001:db8:100::20", 443, IPPROTO_TCP, 0, XLB_FAMILY_V4,
		       3 },
	[ALLPORTS] = { "203.0.113.30", 0, IPPROTO_TCP, 0, XLB_FAMILY_V4, 3 },
	[EXACT] = { "203.0.113.30", 80, IPPROTO_TCP, 0, XLB_FAMILY_V4, 2 },
	[AFFINITY] = { "203.0.113.40", 80, IPPROTO_TCP, XLB_VIP_SRC_AFFINITY,
		       XLB_FAMILY_V4, 3 },
	[FAILOPEN] = { "203.0.113.50", 80, IPPROTO_TCP, XLB_VIP_PASS_ALL_DOWN,
		       XLB_FAMILY_V4, 2 },
	[NOTABLE] = { "203.0.113.60", 80, IPPROTO_TCP, 0, XLB_FAMILY_V4, 0 },
};

static struct dataplane *dp;
static struct decap *dc;

/* What the data path should know, mirrored: down flags, current tables. */
static bool be_down[XLB_MAX_BACKENDS];
static const __u32 *cur_table[NVIPS];

/* Set by expect_encap() for a packet that must be forwarded. */
static int exp_vip = -1, exp_be = -1;
/* Cleared when building an input or expectation found the test wrong. */
static bool model_ok;

static __u8 addr(const char *s, union xlb_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, s, &a->v4) == 1)
		return XLB_FAMILY_V4;
	if (inet_pton(AF_INET6, s, a->v6) == 1)
		return XLB_FAMILY_V6;
	fprintf(stderr, "bad address in a test: %s\n", s);
	exit(2);
}

static __be32 ip4(const char *s)
{
	union xlb_addr a;

	addr(s, &a);
	return a.v4;
}

static __u32 be_id(int vip, int k)
{
	return (__u32)(vip * 10 + k + 1);
}

/* Backend k of a VIP: 192.0.2.<id> or 2001:db8:b::<id>. */
static __u8 be_addr(__u32 id, __u8 family, union xlb_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (family == XLB_FAMILY_V4) {
		a->v4 = htonl(0xc0000200 | id);
		return family;
	}
	a->v6[0] = htonl(0x20010db8);
	a->v6[1] = htonl(0x000b0000);
	a->v6[3] = htonl(id);
	return family;
}

static bool build_tables(void)
{
	for (int v = 0; v < NVIPS; v++) {
		struct maglev_backend mb[MAX_BE];
		struct tvip *t = &vips[v];
		int err;

		if (!t->nbe)
			continue;
		for (int k = 0; k < MAX_BE; k++) {
			union xlb_addr a;

			be_addr(be_id(v, k), t->be_family, &a);
			mb[k].id = be_id(v, k);
			mb[k].weight = 1;
			mb[k].key = (__u64)t->be_family << 40 |
				    ntohl(t->be_family == XLB_FAMILY_V4 ? a.v4
									: a.v6[3]);
		}
		t->table = calloc(TSIZE, sizeof(__u32));
		t->table_more = calloc(TSIZE, sizeof(__u32));
		if (!t->table || !t->table_more)
			return false;
		err = maglev_build(mb, t->nbe, SEED, t->table, TSIZE);
		if (!ASSERT_OK(err, "maglev_build"))
			return false;
		err = maglev_build(mb, t->nbe + 1, SEED, t->table_more, TSIZE);
		if (!ASSERT_OK(err, "maglev_build (one more)"))
			return false;
	}
	return true;
}

static void base_config(struct xlb_config *cfg)
{
	union xlb_addr a;

	memset(cfg, 0, sizeof(*cfg));
	cfg->hash_seed = SEED;
	cfg->flags = XLB_CFG_NO_FIB;
	memcpy(cfg->gw_mac, mac_gw, 6);
	cfg->mtu = MTU;
	cfg->src_hostbits = HOSTBITS;
	cfg->src4 = ip4(SRC4_BASE);
	addr(SRC6_BASE, &a);
	memcpy(cfg->src6, a.v6, 16);
}

/* Every case starts from here: no flows, every backend up, first tables. */
static bool reset_world(void)
{
	static bool tables_set;
	struct xlb_config cfg;
	bool ok = true;

	base_config(&cfg);
	ok &= ASSERT_OK(dataplane_clear_flows(dp), "clear_flows");
	ok &= ASSERT_OK(dataplane_set_config(dp, &cfg), "set_config");
	for (int v = 0; v < NVIPS && ok; v++) {
		struct tvip *t = &vips[v];
		struct xlb_vip_info info = { .vip_id = v, .flags = t->flags };
		struct xlb_vip_key key = { .port = htons(t->port),
					   .proto = t->proto };

		key.family = addr(t->addr, &key.addr);
		ok &= ASSERT_OK(dataplane_set_vip(dp, &key, &info), "set_vip");
		for (int k = 0; k < MAX_BE && t->nbe; k++) {
			struct xlb_backend be = { .vip_id = v };
			__u32 id = be_id(v, k);

			be.family = be_addr(id, t->be_family, &be.addr);
			ok &= ASSERT_OK(dataplane_set_backend(dp, id, &be),
					"set_backend");
			be_down[id] = false;
		}
		/* A table swap costs an RCU grace period or so: only
		 * put back what a case changed. */
		if (t->nbe && (!tables_set || cur_table[v] != t->table)) {
			ok &= ASSERT_OK(dataplane_set_table(dp, v, t->table,
							    TSIZE),
					"set_table");
			cur_table[v] = t->table;
		} else if (!t->nbe) {
			ok &= ASSERT_OK(dataplane_del_table(dp, v),
					"del_table");
			cur_table[v] = NULL;
		}
	}
	tables_set = ok;
	return ok;
}

static bool set_down(__u32 id, bool down)
{
	be_down[id] = down;
	return ASSERT_OK(dataplane_set_backend_down(dp, id, down),
			 "set_backend_down");
}

static bool swap_table(int vip)
{
	cur_table[vip] = vips[vip].table_more;
	return ASSERT_OK(dataplane_set_table(dp, vip, vips[vip].table_more,
					     TSIZE),
			 "set_table");
}

/* ---- flows and the model of the balancer's choice ---- */

struct tflow {
	const char *src, *dst;
	__u16 sport, dport;
	__u8 proto;
};

static void flow_key(const struct tflow *f, struct xlb_flow_key *k)
{
	memset(k, 0, sizeof(*k));
	k->family = addr(f->src, &k->src);
	addr(f->dst, &k->dst);
	k->sport = htons(f->sport);
	k->dport = htons(f->dport);
	k->proto = f->proto;
}

static __u32 flow_hash(const struct tflow *f, bool src_only)
{
	struct xlb_flow_key k;

	flow_key(f, &k);
	return xlb_flow_hash(&k, src_only, SEED);
}

static __u32 vip_hash(int vip, const struct tflow *f)
{
	return flow_hash(f, vips[vip].flags & XLB_VIP_SRC_AFFINITY);
}

/* Maglev lookup as DESIGN.md states it: the hashed slot, or when its
 * backend is down the next slots (XLB_DOWN_PROBES of them). */
static __u32 pick(const __u32 *table, __u32 hash)
{
	__u32 slot = hash % TSIZE;

	for (int i = 0; i <= XLB_DOWN_PROBES; i++) {
		__u32 id = table[slot];

		if (id && !be_down[id])
			return id;
		slot = (slot + 1) % TSIZE;
	}
	return 0;
}

static __u32 model_backend(int vip, const struct tflow *f)
{
	return pick(cur_table[vip], vip_hash(vip, f));
}

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

static void push_l2(struct pkt *p, int vlans)
{
	pkt_eth(p, mac_lb, mac_router);
	for (int i = 0; i < vlans; i++)
		pkt_vlan(p, i == 0 && vlans > 1 ? PKT_ETH_P_8021AD
						: PKT_ETH_P_8021Q,
			 100 + i);
}

/* IP header, extension headers, TCP/UDP and payload of a flow. */
static void push_flow(struct pkt *p, const struct tflow *f,
		      const struct shape *s)
{
	static const struct shape none;
	union xlb_addr src, dst;
	size_t l3 = p->len;

	if (!s)
		s = &none;
	addr(f->dst, &dst);
	if (addr(f->src, &src) == XLB_FAMILY_V4) {
		pkt_ipv4(p, &(struct pkt_ip4){ .src = src.v4,
					       .dst = dst.v4,
					       .tos = s->tos,
					       .id = 0x1234,
					       .df = !s->no_df,
					       .opts = s->opts,
					       .optlen = s->optlen });
	} else {
		struct pkt_ip6 ip = { .tc = s->tos, .flow = 0x12345 };

		memcpy(ip.src, src.v6, 16);
		memcpy(ip.dst, dst.v6, 16);
		pkt_ipv6(p, &ip);
		for (int i = 0; s->ext[i]; i++) {
			if (s->ext[i] == PKT_L_FRAG)
				pkt_ip6_frag(p, 0, false, 0xf00d, 0);
			else
				pkt_ip6_ext(p, s->ext[i],
					    s->ext[i] == PKT_L_DSTOPTS ? 16 : 8);
		}
	}
	if (f->proto == IPPROTO_TCP)
		pkt_tcp(p, f->sport, f->dport,
			s->tcp_flags ? s->tcp_flags
				     : PKT_TCP_PSH | PKT_TCP_ACK);
	else
		pkt_udp(p, f->sport, f->dport);
	if (s->ip_len)
		pkt_payload(p, s->ip_len - (p->len - l3));
	else
		pkt_payload(p, s->payload ? s->payload : PAYLOAD);
}

static void build(struct pkt *p, const struct tflow *f, const struct shape *s)
{
	pkt_init(p);
	push_l2(p, s ? s->vlans : 0);
	push_flow(p, f, s);
	pkt_finish(p);
}

/* Length of the IP packet at l3, from its header. */
static size_t ip_len_of(const __u8 *ip)
{
	if (ip[0] >> 4 == 4)
		return pkt_get16(ip + 2);
	return 40 + (size_t)pkt_get16(ip + 4);
}

static __u8 tos_of(const __u8 *ip)
{
	if (ip[0] >> 4 == 4)
		return ip[1];
	return (__u8)(ip[0] << 4 | ip[1] >> 4);
}

/* The L2 header of in (tags kept) with other MAC addresses. */
static void push_l2_as(struct pkt *out, const struct pkt *in, const __u8 *dst,
		       const __u8 *src)
{
	for (int i = 0; i < in->n; i++) {
		const struct pkt_layer *l = &in->l[i];

		if (l->type == PKT_L_ETH)
			pkt_eth(out, dst, src);
		else if (l->type == PKT_L_VLAN)
			pkt_vlan(out, l->tpid, pkt_get16(in->buf + l->off));
		else
			break;
	}
}

/* What the balancer must send for in: an L2 header from smac to dmac,
 * an outer header from the flow's source to backend be, TTL 64, TOS
 * copied, then in's IP packet as is. */
static void expect_encap_via(const struct pkt *in, struct pkt *out, int vip,
			     __u32 be, __u32 hash, const __u8 *dmac,
			     const __u8 *smac)
{
	size_t l3 = pkt_l3(in);
	const __u8 *ip = in->buf + l3;
	size_t inner = ip_len_of(ip);
	__u32 host = hash & ((1U << HOSTBITS) - 1);
	union xlb_addr dst, src;

	model_ok &= ASSERT_TRUE(be != 0, "the model found a backend");
	pkt_init(out);
	push_l2_as(out, in, dmac, smac);
	if (be_addr(be, vips[vip].be_family, &dst) == XLB_FAMILY_V4) {
		src.v4 = ip4(SRC4_BASE) | htonl(host);
		pkt_ipv4(out, &(struct pkt_ip4){ .src = src.v4,
						 .dst = dst.v4,
						 .tos = tos_of(ip),
						 .ttl = 64,
						 .df = true,
						 .tot_len = inner + 20 });
	} else {
		struct pkt_ip6 o = { .tc = tos_of(ip),
				     .flow = hash & 0xfffff,
				     .hlim = 64,
				     .payload_len = inner };

		addr(SRC6_BASE, &src);
		src.v6[3] |= htonl(host);
		memcpy(o.src, src.v6, 16);
		memcpy(o.dst, dst.v6, 16);
		pkt_ipv6(out, &o);
	}
	pkt_raw_ip(out, ip, in->len - l3);
	pkt_finish(out);
	exp_vip = vip;
	exp_be = (int)be;
}

/* Without a FIB answer: to the gateway, from the MAC the frame was sent
 * to. */
static void expect_encap(const struct pkt *in, struct pkt *out, int vip,
			 __u32 be, __u32 hash)
{
	expect_encap_via(in, out, vip, be, hash, mac_gw, in->buf);
}

/* in, forwarded to the backend the model picks for flow f. */
static void expect_fwd(const struct pkt *in, struct pkt *out, int vip,
		       const struct tflow *f)
{
	expect_encap(in, out, vip, model_backend(vip, f), vip_hash(vip, f));
}

/* ICMP frag-needed / packet-too-big back to the sender of in, from the
 * address it wrote to, carrying mtu: the IPv4 header and 8 bytes, or the
 * first 128 bytes of the IPv6 packet. */
static void expect_too_big(const struct pkt *in, struct pkt *out, __u32 mtu)
{
	const __u8 *ip = in->buf + pkt_l3(in);

	pkt_init(out);
	push_l2_as(out, in, in->buf + 6, in->buf);
	if (ip[0] >> 4 == 4) {
		struct pkt_ip4 h = { 0 };

		memcpy(&h.src, ip + 16, 4);
		memcpy(&h.dst, ip + 12, 4);
		pkt_ipv4(out, &h);
		pkt_icmp(out, 3, 4, mtu);
		pkt_raw(out, ip, (ip[0] & 0xf) * 4 + 8);
	} else {
		struct pkt_ip6 h = { 0 };

		memcpy(h.src, ip + 24, 16);
		memcpy(h.dst, ip + 8, 16);
		pkt_ipv6(out, &h);
		pkt_icmp6(out, 2, 0, mtu);
		pkt_raw(out, ip, 128);
	}
	pkt_finish(out);
}

/* The output of a dropped packet is not looked at. */
static void expect_any(const struct pkt *in, struct pkt *out)
{
	(void)in;
	(void)out;
}

/* What the decap program must hand to the stack: in's L2 header, the
 * ethertype of the inner packet, the inner packet. */
static void expect_decap(const struct pkt *in, struct pkt *out)
{
	int ips = 0;

	pkt_init(out);
	push_l2_as(out, in, in->buf, in->buf + 6);
	for (int i = 0; i < in->n; i++) {
		const struct pkt_layer *l = &in->l[i];

		if ((l->type == PKT_L_IPV4 || l->type == PKT_L_IPV6) &&
		    ips++ == 1) {
			pkt_raw_ip(out, in->buf + l->off, in->len - l->off);
			break;
		}
	}
	pkt_finish(out);
}

/* ---- running programs ---- */

static bool run_prog(int fd, const struct pkt *in, __u8 *out, __u32 *out_len,
		     __u32 *retval)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = in->buf,
		    .data_size_in = (__u32)in->len, .data_out = out,
		    .data_size_out = PKT_MAX, .repeat = 1);
	int err = bpf_prog_test_run_opts(fd, &opts);

	if (!ASSERT_OK(err ? -errno : 0, "bpf_prog_test_run_opts"))
		return false;
	*out_len = opts.data_size_out;
	*retval = opts.retval;
	return true;
}

/* Runs a packet through the balancer, as a setup step: it must be sent. */
static bool prime(void (*input)(struct pkt *p))
{
	static struct pkt in;
	static __u8 out[PKT_MAX];
	__u32 len, ret;

	input(&in);
	if (!run_prog(dataplane_prog_fd(dp), &in, out, &len, &ret))
		return false;
	return ASSERT_EQ(ret, XDP_TX, "priming packet verdict");
}

static bool lookup_flow(const struct tflow *f, struct xlb_flow *out)
{
	struct xlb_flow_key k;

	flow_key(f, &k);
	return dataplane_lookup_flow(dp, &k, out) == 0;
}

/* Every backend's active count is want, except be (want_be): checks the
 * whole map, so a count left on the wrong backend is caught too. */
static bool counts_are(__u32 be, __u64 want_be, __u32 be2, __u64 want_be2)
{
	static __u64 c[XLB_MAX_BACKENDS];
	bool ok = ASSERT_OK(dataplane_read_active_flows(dp, c,
							XLB_MAX_BACKENDS),
			    "read_active_flows");

	for (__u32 id = 1; ok && id < XLB_MAX_BACKENDS; id++) {
		__u64 want = id == be ? want_be : id == be2 ? want_be2 : 0;

		if (!ASSERT_EQ(c[id], want, "active flows"))
			printf("    (backend %u)\n", id);
		ok &= c[id] == want;
	}
	return ok;
}

static bool flow_flags_are(const struct tflow *f, __u32 be, __u8 flags)
{
	struct xlb_flow fl;

	return ASSERT_TRUE(lookup_flow(f, &fl), "flow entry") &&
	       ASSERT_EQ(fl.backend_id, be, "flow backend") &&
	       ASSERT_EQ(fl.flags, flags, "flow flags");
}

/* ---- flows used by the cases; some found at start ---- */

static const struct tflow f4_tcp = { "198.51.100.1", "203.0.113.10", 40001,
				     80, IPPROTO_TCP };
static struct tflow f4_tcp_2;		/* lands on another backend */
static const struct tflow f4_udp = { "198.51.100.2", "203.0.113.10", 33000,
				     53, IPPROTO_UDP };
static const struct tflow f6_tcp = { "2001:db8:c::1", "2001:db8:100::10",
				     40001, 80, IPPROTO_TCP };
static struct tflow f6_tcp_2;
static const struct tflow f6_udp = { "2001:db8:c::2", "2001:db8:100::10",
				     33000, 53, IPPROTO_UDP };
static const struct tflow f4_in_6 = { "198.51.100.3", "203.0.113.20", 40003,
				      443, IPPROTO_TCP };
static const struct tflow f6_in_4 = { "2001:db8:c::3", "2001:db8:100::20",
				      40003, 443, IPPROTO_TCP };
static const struct tflow f4_other = { "198.51.100.4", "203.0.113.99", 40004,
				       80, IPPROTO_TCP };
static const struct tflow f6_other = { "2001:db8:c::4", "2001:db8:100::99",
				       40004, 53, IPPROTO_UDP };
static const struct tflow f4_port = { "198.51.100.1", "203.0.113.10", 40001,
				      8080, IPPROTO_TCP };
static const struct tflow f4_proto = { "198.51.100.1", "203.0.113.10", 40001,
				       80, IPPROTO_UDP };
static const struct tflow f6_port = { "2001:db8:c::1", "2001:db8:100::10",
				      40001, 8080, IPPROTO_TCP };
static const struct tflow f_all = { "198.51.100.5", "203.0.113.30", 40005,
				    8443, IPPROTO_TCP };
static const struct tflow f_all_udp = { "198.51.100.5", "203.0.113.30",
					40005, 8443, IPPROTO_UDP };
static const struct tflow f_exact = { "198.51.100.5", "203.0.113.30", 40005,
				      80, IPPROTO_TCP };
static const struct tflow f_aff_a = { "198.51.100.6", "203.0.113.40", 40006,
				      80, IPPROTO_TCP };
static struct tflow f_aff_b;		/* 5-tuple hash would differ */
static const struct tflow f_open = { "198.51.100.7", "203.0.113.50", 40007,
				     80, IPPROTO_TCP };
static const struct tflow f_notable = { "198.51.100.7", "203.0.113.60",
					40007, 80, IPPROTO_TCP };
static struct tflow f_victim;		/* hashes onto f4_tcp's backend */
static struct tflow f_swap;		/* its slot goes to the new backend */
static const struct tflow f4_frag = { "198.51.100.8", "203.0.113.10", 33008,
				      53, IPPROTO_UDP };
static const struct tflow f6_frag = { "2001:db8:c::8", "2001:db8:100::10",
				      33008, 53, IPPROTO_UDP };
static __u32 victim;			/* f4_tcp's first backend */
static __u32 resched;			/* where f4_tcp goes without it */

/* Picks a client port for base so that ok() holds. */
static bool find_flow(struct tflow *f, const struct tflow *base, __u16 from,
		      bool (*ok)(const struct tflow *f))
{
	*f = *base;
	for (__u32 port = from; port < 65536; port++) {
		f->sport = (__u16)port;
		if (ok(f))
			return true;
	}
	printf("    no client port fits for %s\n", base->src);
	return false;
}

static bool other_backend4(const struct tflow *f)
{
	return model_backend(V4_TCP, f) != model_backend(V4_TCP, &f4_tcp);
}

static bool other_backend6(const struct tflow *f)
{
	return model_backend(V6_TCP, f) != model_backend(V6_TCP, &f6_tcp);
}

static bool hits_victim(const struct tflow *f)
{
	return vips[V4_TCP].table[vip_hash(V4_TCP, f) % TSIZE] == victim;
}

static bool aff_differs(const struct tflow *f)
{
	return pick(vips[AFFINITY].table, flow_hash(f, false)) !=
	       model_backend(AFFINITY, &f_aff_a);
}

static bool goes_to_new(const struct tflow *f)
{
	return vips[V4_TCP].table_more[vip_hash(V4_TCP, f) % TSIZE] ==
	       be_id(V4_TCP, vips[V4_TCP].nbe);
}

static bool find_flows(void)
{
	bool ok = true;

	for (int v = 0; v < NVIPS; v++)
		cur_table[v] = vips[v].table;
	victim = model_backend(V4_TCP, &f4_tcp);
	be_down[victim] = true;
	resched = model_backend(V4_TCP, &f4_tcp);
	be_down[victim] = false;
	ok &= ASSERT_TRUE(resched && resched != victim, "a second backend");
	ok &= find_flow(&f4_tcp_2, &f4_tcp, 40002, other_backend4);
	ok &= find_flow(&f6_tcp_2, &f6_tcp, 40002, other_backend6);
	ok &= find_flow(&f_victim, &f4_tcp, 41000, hits_victim);
	ok &= find_flow(&f_aff_b, &f_aff_a, 41000, aff_differs);
	ok &= find_flow(&f_swap, &f4_tcp, 42000, goes_to_new);
	return ok;
}

/* ---- the cases: inputs, expectations, setups, checks ---- */

/* IPv4 and IPv6, TCP and UDP, to a VIP */
static void in_v4_tcp(struct pkt *p)
{
	build(p, &f4_tcp, &(struct shape){ .tos = 0x28 });
}

static void ex_v4_tcp(const struct pkt *in, struct pkt *out)
{
	expect_fwd(in, out, V4_TCP, &f4_tcp);
}

static bool chk_v4_tcp_flow(void)
{
	struct xlb_flow fl;

	return ASSERT_TRUE(lookup_flow(&f4_tcp, &fl), "flow entry") &&
	       ASSERT_EQ(fl.backend_id, model_backend(V4_TCP, &f4_tcp),
			 "flow backend") &&
	       ASSERT_EQ(fl.vip_id, V4_TCP, "flow vip");
}

static bool su_v4_tcp(void)
{
	return prime(in_v4_tcp);
}

static void in_v4_tcp_2(struct pkt *p)
{
	build(p, &f4_tcp_2, NULL);
}

static void ex_v4_tcp_2(const struct pkt *in, struct pkt *out)
{
	expect_fwd(in, out, V4_TCP, &f4_tcp_2);
}

static void in_v4_udp(struct pkt *p)
{
	build(p, &f4_udp, &(struct shape){ .tos = 0xb8 });
}

static void ex_v4_udp(const struct pkt *in, struct pkt *out)
{
	expect_fwd(in, out, V4_UDP, &f4_udp);
}

static bool su_v4_udp(void)
{
	return prime(in_v4_udp);
}

static void in_v6_tcp(struct pkt *p)
{
	build(p, &f6_tcp, &(struct shape){ .tos = 0x28 });
}

static void ex_v6_tcp(const struct pkt *in, struct pkt *out)
{
	expect_fwd(in, out, V6_TCP, &f6_tcp);
}

static bool su_v6_tcp(void)
{
	return prime(in_v6_tcp);
}

static bool chk_v6_tcp_flow(void)
{
	struct xlb_flow fl;

	return ASSERT_TRUE(lookup_flow(&f6_tcp, &fl), "flow entry") &&
	       ASSERT_EQ(fl.backend_id, model_backend(V6_TCP, &f6_tcp),
			 "flow backend");
}

static void in_v6_tcp_2(struct pkt *p)
{
	build(p, &f6_tcp_2, NULL);
}

static void ex_v6_tcp_2(const struct pkt *in, struct pkt *out)
{
	expect_fwd(in, out, V6_TCP, &f6_tcp_2);
}

static void in_v6_udp(struct pkt *p)
{
	build(p, &f6_udp, NULL);
}

static void ex_v6_udp(const struct pkt *in, struct pkt *out)
{
	expect_fwd(in, out, V6_UDP, &f6_udp);
}

static bool su_v6_udp(void)
{
	return prime(in_v6_udp);
}

static void in_4in6(struct pkt *p)
{
	build(p, &f4_in_6, &(struct shape){ .tos = 0x10 });
}

static void ex_4in6(const struct pkt *in, struct pkt *out)
{
	expect_fwd(in, out, V4_IN_V6, &f4_in_6);
}

static void in_6in4(struct pkt *p)
{
	build(p, &f6_in_4, &(struct shape){ .tos = 0x10 });
}

static void ex_6in4(const struct pkt *in, struct pkt *out)
{
	expect_fwd(in, out, V6_IN_V4, &f6_in_4);
}

/* not for a VIP: passed untouched */
static void in_other4(struct pkt *p)
{
	build(p, &f4_other, NULL);
}

static void in_other6(struct pkt *p)
{
	build(p, &f6_other, NULL);
}

static void in_arp(struct pkt *p)
{
	static const __u8 bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

	pkt_init(p);
	pkt_eth(p, bcast, mac_router);
	pkt_arp(p, mac_router, ip4("198.51.100.254"), ip4("203.0.113.10"));
	pkt_finish(p);
}

static void in_port(struct pkt *p)
{
	build(p, &f4_port, NULL);
}

static void in_proto(struct pkt *p)
{
	build(p, &f4_proto, NULL);
}

static void in_port6(struct pkt *p)
{
	build(p, &f6_port, NULL);
}

static void in_echo(struct pkt *p)
{
	pkt_init(p);
	push_l2(p, 0);
	pkt_ipv4(p, &(struct pkt_ip4){ .src = ip4(f4_tcp.src),
				       .dst = ip4(f4_tcp.dst) });
	pkt_icmp(p, 8, 0, 0x00010001);
	pkt_payload(p, 32);
	pkt_finish(p);
}

/* all-ports VIP */
static void in_all(struct pkt *p)
{
	build(p, &f_all, NULL);
}

static void ex_all(const struct pkt *in, struct pkt *out)
{
	expect_fwd(in, out, ALLPORTS, &f_all);
}

static void in_all_udp(struct pkt *p)
{
	build(p, &f_all_udp, NULL);
}

static void in_exact(struct pkt *p)
{
	build(p, &f_exact, NULL);
}

static void ex_exact(const struct pkt *in, struct pkt *out)
{
	expect_fwd(in, out, EXACT, &f_exact);
}

/* header variants */
static const __u8 ip4_opts[8] = { 0x94, 0x04, 0x00, 0x00,	/* router alert */
				  0x01, 0x01, 0x01, 0x00 };	/* NOPs, EOL */

static void in_opts(struct pkt *p)
{
	build(p, &f4_tcp, &(struct shape){ .opts = ip4_opts, .optlen = 8 });
}

static void in_vlan1(struct pkt *p)
{
	build(p, &f4_tcp, &(struct shape){ .vlans = 1 });
}

static void in_vlan2(struct pkt *p)
{
	build(p, &f4_tcp, &(struct shape){ .vlans = 2 });
}

static void in_vlan2_4in6(struct pkt *p)
{
	build(p, &f4_in_6, &(struct shape){ .vlans = 2 });
}

static void in_vlan1_v6(struct pkt *p)
{
	build(p, &f6_tcp, &(struct shape){ .vlans = 1 });
}

static void in_vlan3(struct pkt *p)
{
	build(p, &f4_tcp, &(struct shape){ .vlans = 3 });
}

static void in_ext_hbh(struct pkt *p)
{
	build(p, &f6_tcp, &(struct shape){ .ext = { PKT_L_HOPOPTS } });
}

static void in_ext_dst(struct pkt *p)
{
	build(p, &f6_tcp, &(struct shape){ .ext = { PKT_L_DSTOPTS } });
}

static void in_ext_rt(struct pkt *p)
{
	build(p, &f6_tcp, &(struct shape){ .ext = { PKT_L_ROUTING } });
}

static void in_ext_frag(struct pkt *p)
{
	build(p, &f6_tcp, &(struct shape){ .ext = { PKT_L_FRAG } });
}

static void in_ext_four(struct pkt *p)
{
	build(p, &f6_udp,
	      &(struct shape){ .ext = { PKT_L_HOPOPTS, PKT_L_DSTOPTS,
					PKT_L_ROUTING, PKT_L_FRAG } });
}

static void in_ext_five(struct pkt *p)
{
	build(p, &f6_udp,
	      &(struct shape){ .ext = { PKT_L_HOPOPTS, PKT_L_DSTOPTS,
					PKT_L_ROUTING, PKT_L_DSTOPTS,
					PKT_L_FRAG } });
}

static void in_padded(struct pkt *p)
{
	build(p, &f4_udp, &(struct shape){ .payload = 4 });
	pkt_pad(p, 60);
}

/* truncated or inconsistent: dropped, never forwarded */
static void fix_ip4_csum(struct pkt *p)
{
	__u8 *ip = p->buf + pkt_l3(p);

	pkt_put16(ip + 10, 0);
	pkt_put16(ip + 10, pkt_csum_fold(pkt_csum_add(0, ip, (ip[0] & 15) * 4)));
}

static void in_tr_ip_empty(struct pkt *p)
{
	pkt_init(p);
	pkt_eth_type(p, mac_lb, mac_router, PKT_ETH_P_IP);
	pkt_finish(p);
}

static void in_tr_vlan(struct pkt *p)
{
	static const __u8 half[2] = { 0x00, 0x64 };

	pkt_init(p);
	pkt_eth_type(p, mac_lb, mac_router, PKT_ETH_P_8021Q);
	pkt_raw(p, half, 2);
	pkt_finish(p);
}

static void in_tr_vlan2(struct pkt *p)
{
	static const __u8 half[2] = { 0x00, 0x65 };

	pkt_init(p);
	pkt_eth(p, mac_lb, mac_router);
	pkt_vlan(p, PKT_ETH_P_8021AD, 100);
	pkt_raw(p, half, 2);
	pkt_finish(p);
	pkt_put16(p->buf + 16, PKT_ETH_P_8021Q);	/* a second tag follows */
}

static void in_tr_ip_hdr(struct pkt *p)
{
	build(p, &f4_tcp, NULL);
	p->len = 14 + 12;
}

static void in_tr_ip_ihl(struct pkt *p)
{
	build(p, &f4_tcp, &(struct shape){ .payload = 1 });
	p->buf[14] = 0x4f;	/* 60-byte header, 41 bytes of IP */
	fix_ip4_csum(p);
}

static void in_tr_ip_totlen(struct pkt *p)
{
	build(p, &f4_tcp, NULL);
	p->len -= 10;	/* total length now says 10 bytes more */
}

static void in_tr_ip_ihl4(struct pkt *p)
{
	build(p, &f4_tcp, NULL);
	p->buf[14] = 0x44;
}

static void in_tr_ip_version(struct pkt *p)
{
	build(p, &f4_tcp, NULL);
	p->buf[14] = 0x65;	/* version 6 under the IPv4 ethertype */
	fix_ip4_csum(p);
}

static void in_tr_ip_short_totlen(struct pkt *p)
{
	build(p, &f4_tcp, NULL);
	pkt_put16(p->buf + 14 + 2, 16);	/* less than its own header */
	fix_ip4_csum(p);
}

static void in_tr_ip6_version(struct pkt *p)
{
	build(p, &f6_tcp, NULL);
	p->buf[14] = (__u8)(0x40 | (p->buf[14] & 0x0f));
}

static void in_tr_ip6_hdr(struct pkt *p)
{
	build(p, &f6_tcp, NULL);
	p->len = 14 + 30;
}

static void in_tr_ip6_plen(struct pkt *p)
{
	build(p, &f6_tcp, NULL);
	p->len -= 10;
}

static void in_tr_ip6_ext(struct pkt *p)
{
	build(p, &f6_tcp, &(struct shape){ .ext = { PKT_L_DSTOPTS } });
	p->len = 14 + 40 + 8;		/* 16-byte header, 8 bytes there */
	pkt_put16(p->buf + 14 + 4, 8);
}

static void in_tr_ip6_frag(struct pkt *p)
{
	build(p, &f6_tcp, &(struct shape){ .ext = { PKT_L_FRAG } });
	p->len = 14 + 40 + 4;
	pkt_put16(p->buf + 14 + 4, 4);
}

/* TCP cut after its flags (14 bytes), IP total length saying so. */
static void in_tr_tcp(struct pkt *p)
{
	build(p, &f4_tcp, NULL);
	p->len = 14 + 20 + 14;
	pkt_put16(p->buf + 14 + 2, 34);
	fix_ip4_csum(p);
}

static void in_tr_tcp_padded(struct pkt *p)
{
	in_tr_tcp(p);
	pkt_pad(p, 60);		/* Ethernet padding fills the frame */
}

static void in_tr_tcp_doff(struct pkt *p)
{
	build(p, &f4_tcp, NULL);
	p->buf[14 + 20 + 12] = 4 << 4;
}

static void in_tr_udp(struct pkt *p)
{
	build(p, &f4_udp, NULL);
	p->len = 14 + 20 + 4;
	pkt_put16(p->buf + 14 + 2, 24);
	fix_ip4_csum(p);
}

static void in_tr_udp_padded(struct pkt *p)
{
	in_tr_udp(p);
	pkt_pad(p, 60);
}

static void in_tr_tcp6(struct pkt *p)
{
	build(p, &f6_tcp, NULL);
	p->len = 14 + 40 + 10;
	pkt_put16(p->buf + 14 + 4, 10);
}

/* fragments */
static void in_frag4_first(struct pkt *p)
{
	union xlb_addr s, d;

	addr(f4_frag.src, &s);
	addr(f4_frag.dst, &d);
	pkt_init(p);
	push_l2(p, 0);
	pkt_ipv4(p, &(struct pkt_ip4){ .src = s.v4, .dst = d.v4,
				       .id = 0x4242, .mf = true });
	pkt_udp(p, f4_frag.sport, f4_frag.dport);
	pkt_payload(p, 64);
	pkt_finish(p);
}

static void ex_frag4_first(const struct pkt *in, struct pkt *out)
{
	expect_fwd(in, out, V4_UDP, &f4_frag);
}

static void frag4_later(struct pkt *p, __u16 id)
{
	union xlb_addr s, d;

	addr(f4_frag.src, &s);
	addr(f4_frag.dst, &d);
	pkt_init(p);
	push_l2(p, 0);
	pkt_ipv4(p, &(struct pkt_ip4){ .src = s.v4, .dst = d.v4, .id = id,
				       .frag_off = 72,
				       .proto = IPPROTO_UDP });
	pkt_payload(p, 40);
	pkt_finish(p);
}

static void in_frag4_later(struct pkt *p)
{
	frag4_later(p, 0x4242);
}

static void in_frag4_unknown(struct pkt *p)
{
	frag4_later(p, 0x4343);
}

static bool su_frag4(void)
{
	return prime(in_frag4_first);
}

/* A later fragment: the first fragment's backend; its outer source comes
 * from what the fragment carries (addresses and protocol, no ports). */
static void ex_frag_later(const struct pkt *in, struct pkt *out, int vip,
			  const struct tflow *first)
{
	struct tflow noports = *first;

	noports.sport = 0;
	noports.dport = 0;
	expect_encap(in, out, vip, model_backend(vip, first),
		     flow_hash(&noports, false));
}

static void ex_frag4_later(const struct pkt *in, struct pkt *out)
{
	ex_frag_later(in, out, V4_UDP, &f4_frag);
}

static void frag6(struct pkt *p, bool first)
{
	union xlb_addr s, d;
	struct pkt_ip6 ip = { 0 };

	addr(f6_frag.src, &s);
	addr(f6_frag.dst, &d);
	memcpy(ip.src, s.v6, 16);
	memcpy(ip.dst, d.v6, 16);
	pkt_init(p);
	push_l2(p, 0);
	pkt_ipv6(p, &ip);
	if (first) {
		pkt_ip6_frag(p, 0, true, 0x99, 0);
		pkt_udp(p, f6_frag.sport, f6_frag.dport);
		pkt_payload(p, 64);
	} else {
		pkt_ip6_frag(p, 72, false, 0x99, IPPROTO_UDP);
		pkt_payload(p, 40);
	}
	pkt_finish(p);
}

static void in_frag6_first(struct pkt *p)
{
	frag6(p, true);
}

static void in_frag6_later(struct pkt *p)
{
	frag6(p, false);
}

static void ex_frag6_first(const struct pkt *in, struct pkt *out)
{
	expect_fwd(in, out, V6_UDP, &f6_frag);
}

static void ex_frag6_later(const struct pkt *in, struct pkt *out)
{
	ex_frag_later(in, out, V6_UDP, &f6_frag);
}

static bool su_frag6(void)
{
	return prime(in_frag6_first);
}

/* ICMP errors about a VIP flow: a router between backend and client could
 * not pass the reply VIP -> client and tells the VIP. */
static void icmp4_quoting(struct pkt *p, const struct tflow *f,
			  size_t more, bool df)
{
	__u8 l4[8];

	pkt_put16(l4, f->dport);
	pkt_put16(l4 + 2, f->sport);
	pkt_put32(l4 + 4, 0xa0b0c0d0);
	pkt_init(p);
	push_l2(p, 0);
	pkt_ipv4(p, &(struct pkt_ip4){ .src = ip4("198.51.100.254"),
				       .dst = ip4(f->dst), .df = df });
	pkt_icmp(p, 3, 4, 1400);
	pkt_ipv4(p, &(struct pkt_ip4){ .src = ip4(f->dst), .dst = ip4(f->src),
				       .df = true, .proto = f->proto,
				       .tot_len = 1500 });
	pkt_raw(p, l4, 8);
	if (more)
		pkt_payload(p, more);	/* more of the quoted packet */
	pkt_finish(p);
}

static void icmp4_about(struct pkt *p, const struct tflow *f)
{
	icmp4_quoting(p, f, 0, false);
}

static void in_icmp4(struct pkt *p)
{
	icmp4_about(p, &f4_tcp);
}

static void ex_icmp4(const struct pkt *in, struct pkt *out)
{
	expect_fwd(in, out, V4_TCP, &f4_tcp);
}

static void in_icmp4_other(struct pkt *p)
{
	icmp4_about(p, &f4_other);
}

static bool chk_no_v4_tcp_flow(void)
{
	struct xlb_flow fl;

	return ASSERT_TRUE(!lookup_flow(&f4_tcp, &fl), "no flow entry");
}

/* An ICMP header cut short, the IP length saying so. */
static void in_icmp4_short(struct pkt *p)
{
	icmp4_about(p, &f4_tcp);
	p->len = 14 + 20 + 4;
	pkt_put16(p->buf + 14 + 2, 24);
	fix_ip4_csum(p);
}

/* A whole ICMP header quoting less than an IP header: not ours to judge. */
static void in_icmp4_short_quote(struct pkt *p)
{
	icmp4_about(p, &f4_tcp);
	p->len = 14 + 20 + 8 + 12;
	pkt_put16(p->buf + 14 + 2, 40);
	fix_ip4_csum(p);
}

/* An ICMP error about a VIP flow, itself too big once encapsulated: never
 * answered with another ICMP error. */
static void in_icmp4_big(struct pkt *p)
{
	icmp4_quoting(p, &f4_tcp, MTU - (20 + 8 + 20 + 8), true);
}

static void in_icmp6(struct pkt *p)
{
	struct pkt_ip6 outer = { 0 }, quoted = { .next = IPPROTO_TCP,
						 .payload_len = 1400 };
	union xlb_addr c, v, r;
	__u8 l4[8];

	addr(f6_tcp.src, &c);
	addr(f6_tcp.dst, &v);
	addr("2001:db8:ffff::1", &r);
	memcpy(outer.src, r.v6, 16);
	memcpy(outer.dst, v.v6, 16);
	memcpy(quoted.src, v.v6, 16);
	memcpy(quoted.dst, c.v6, 16);
	pkt_put16(l4, f6_tcp.dport);
	pkt_put16(l4 + 2, f6_tcp.sport);
	pkt_put32(l4 + 4, 0xa0b0c0d0);
	pkt_init(p);
	push_l2(p, 0);
	pkt_ipv6(p, &outer);
	pkt_icmp6(p, 2, 0, 1280);
	pkt_ipv6(p, &quoted);
	pkt_raw(p, l4, 8);
	pkt_finish(p);
}

static void ex_icmp6(const struct pkt *in, struct pkt *out)
{
	expect_fwd(in, out, V6_TCP, &f6_tcp);
}

/* oversize after encapsulation */
static void in_big4(struct pkt *p)
{
	build(p, &f4_tcp, &(struct shape){ .ip_len = MTU });
}

static void ex_big4(const struct pkt *in, struct pkt *out)
{
	expect_too_big(in, out, MTU - XLB_IPIP_OVERHEAD);
}

static void in_fits4(struct pkt *p)
{
	build(p, &f4_tcp, &(struct shape){ .ip_len = MTU - XLB_IPIP_OVERHEAD });
}

static void in_big4_nodf(struct pkt *p)
{
	build(p, &f4_tcp, &(struct shape){ .ip_len = MTU, .no_df = true });
}

static void in_big4_opts(struct pkt *p)
{
	build(p, &f4_tcp, &(struct shape){ .ip_len = MTU, .opts = ip4_opts,
					   .optlen = 8 });
}

static void in_big4_vlan(struct pkt *p)
{
	build(p, &f4_tcp, &(struct shape){ .ip_len = MTU, .vlans = 1 });
}

static void in_big4in6(struct pkt *p)
{
	build(p, &f4_in_6, &(struct shape){ .ip_len = 1481 });
}

static void ex_big4in6(const struct pkt *in, struct pkt *out)
{
	expect_too_big(in, out, MTU - XLB_IP6IP6_OVERHEAD);
}

static void in_big6(struct pkt *p)
{
	build(p, &f6_tcp, &(struct shape){ .ip_len = 1461 });
}

static void ex_big6(const struct pkt *in, struct pkt *out)
{
	expect_too_big(in, out, MTU - XLB_IP6IP6_OVERHEAD);
}

static void in_fits6(struct pkt *p)
{
	build(p, &f6_tcp,
	      &(struct shape){ .ip_len = MTU - XLB_IP6IP6_OVERHEAD });
}

/* source affinity */
static void in_aff_a(struct pkt *p)
{
	build(p, &f_aff_a, NULL);
}

static void in_aff_b(struct pkt *p)
{
	build(p, &f_aff_b, NULL);
}

static bool su_aff(void)
{
	return prime(in_aff_a);
}

static void ex_aff_b(const struct pkt *in, struct pkt *out)
{
	expect_fwd(in, out, AFFINITY, &f_aff_b);
}

static bool chk_aff(void)
{
	struct xlb_flow a, b;

	return ASSERT_TRUE(lookup_flow(&f_aff_a, &a), "first flow entry") &&
	       ASSERT_TRUE(lookup_flow(&f_aff_b, &b), "second flow entry") &&
	       ASSERT_EQ(b.backend_id, a.backend_id, "same backend");
}

/* backends flagged down */
static void in_victim(struct pkt *p)
{
	build(p, &f_victim, NULL);
}

static bool su_victim_down(void)
{
	return set_down(victim, true);
}

static void ex_victim(const struct pkt *in, struct pkt *out)
{
	expect_fwd(in, out, V4_TCP, &f_victim);
	model_ok &= ASSERT_TRUE(exp_be != (int)victim,
				"model avoids the down backend");
}

static bool su_resched(void)
{
	return prime(in_v4_tcp) && set_down(victim, true);
}

static void ex_resched(const struct pkt *in, struct pkt *out)
{
	expect_encap(in, out, V4_TCP, resched, vip_hash(V4_TCP, &f4_tcp));
}

static bool chk_resched(void)
{
	struct xlb_flow fl;

	return ASSERT_TRUE(lookup_flow(&f4_tcp, &fl), "flow entry") &&
	       ASSERT_EQ(fl.backend_id, resched, "entry rewritten") &&
	       counts_are(resched, 1, 0, 0) &&	/* the count moved too */
	       ASSERT_EQ(dataplane_opened_flows(dp, resched), 1, "opened");
}

static bool su_back_up(void)
{
	return su_resched() && prime(in_v4_tcp) && set_down(victim, false);
}

static bool su_all_down(void)
{
	bool ok = true;

	for (int k = 0; k < vips[V4_TCP].nbe; k++)
		ok &= set_down(be_id(V4_TCP, k), true);
	return ok;
}

static bool su_all_down_flow(void)
{
	return prime(in_v4_tcp) && su_all_down();
}

static void in_open(struct pkt *p)
{
	build(p, &f_open, NULL);
}

static bool su_open_down(void)
{
	bool ok = true;

	for (int k = 0; k < vips[FAILOPEN].nbe; k++)
		ok &= set_down(be_id(FAILOPEN, k), true);
	return ok;
}

static void ex_open(const struct pkt *in, struct pkt *out)
{
	expect_fwd(in, out, FAILOPEN, &f_open);
}

static void in_notable(struct pkt *p)
{
	build(p, &f_notable, NULL);
}

/* A TCP segment of flow f with these flags and one byte of data. */
static void build_tcp(struct pkt *p, const struct tflow *f, __u8 flags)
{
	build(p, f, &(struct shape){ .tcp_flags = flags, .payload = 1 });
}

/* TCP RST */
static void in_rst(struct pkt *p)
{
	build_tcp(p, &f4_tcp, PKT_TCP_RST | PKT_TCP_ACK);
}

/* TCP SYN: a SYN on a flow already sent is a client retrying */
static void in_syn(struct pkt *p)
{
	build_tcp(p, &f4_tcp, PKT_TCP_SYN);
}

static bool su_syn(void)
{
	return prime(in_syn);
}

/* ---- active flows: counted per backend by the data path ---- */

static void in_fin(struct pkt *p)
{
	build_tcp(p, &f4_tcp, PKT_TCP_FIN | PKT_TCP_ACK);
}

static bool chk_counted(void)
{
	return flow_flags_are(&f4_tcp, victim, 0) && counts_are(victim, 1, 0, 0);
}

/* ... and opened once: a hit is no new flow */
static bool chk_counted_once(void)
{
	return chk_counted() &&
	       ASSERT_EQ(dataplane_opened_flows(dp, victim), 1, "opened");
}

static bool chk_closed(void)
{
	return flow_flags_are(&f4_tcp, victim, XLB_FLOW_F_CLOSED) &&
	       counts_are(0, 0, 0, 0);
}

static bool chk_udp_counted(void)
{
	return counts_are(model_backend(V4_UDP, &f4_udp), 1, 0, 0);
}

static bool su_fin(void)
{
	return prime(in_v4_tcp) && prime(in_fin);
}

static bool su_rst(void)
{
	return prime(in_v4_tcp) && prime(in_rst);
}

static bool su_fin_resched(void)
{
	return su_fin() && set_down(victim, true);
}

static bool chk_resched_closed(void)
{
	return flow_flags_are(&f4_tcp, resched, XLB_FLOW_F_CLOSED) &&
	       counts_are(0, 0, 0, 0);
}

/* The agent's sweep, run to the end in steps of budget entries. */
static bool sweep(__u64 now, __u64 tcp_idle, __u64 udp_idle, bool correct,
		  __u32 budget, struct flow_sweep_stats *st)
{
	struct flow_sweep_opts o = { .now_ns = now, .tcp_idle_ns = tcp_idle,
				     .udp_idle_ns = udp_idle,
				     .correct = correct };
	struct flow_sweep *sw = dataplane_sweep_start(dp, &o);
	int rc = 0, steps = 0;

	if (!ASSERT_TRUE(sw, "sweep_start"))
		return false;
	while (rc == 0 && steps++ < 100000)
		rc = dataplane_sweep_step(sw, budget, st);
	dataplane_sweep_free(sw);
	return ASSERT_EQ(rc, 1, "sweep ran to the end");
}

#define IDLE_NS (300ULL * 1000000000ULL)

static __u64 last_seen(const struct tflow *f)
{
	struct xlb_flow fl;

	return lookup_flow(f, &fl) ? fl.last_seen_ns : 0;
}

/* f4_tcp idle for the TCP timeout: the sweep takes it out of the count,
 * writing nothing to the flow table. */
static bool su_idle(void)
{
	struct flow_sweep_stats st;

	return prime(in_v4_tcp) &&
	       sweep(last_seen(&f4_tcp) + IDLE_NS, IDLE_NS, IDLE_NS, true, 64,
		     &st) &&
	       ASSERT_EQ(st.entries, 1, "sweep: entries") &&
	       ASSERT_EQ(st.idle, 1, "sweep: idle") &&
	       ASSERT_EQ(st.active, 0, "sweep: active") &&
	       ASSERT_EQ(st.drift, 0, "sweep: drift") &&
	       flow_flags_are(&f4_tcp, victim, 0) && counts_are(0, 0, 0, 0);
}

/* The flow moved again: the data path alone does not know it was taken
 * out; the next sweep counts it again. */
static bool chk_idle_back(void)
{
	struct flow_sweep_stats st;

	return counts_are(0, 0, 0, 0) &&
	       sweep(last_seen(&f4_tcp), IDLE_NS, IDLE_NS, true, 64, &st) &&
	       ASSERT_EQ(st.active, 1, "sweep: active") && chk_counted();
}

/* Its FIN took the count below 0 (read as 0): the next sweep puts it at
 * 0 (the check after every case would see a -1 left behind). */
static bool chk_idle_fin(void)
{
	struct flow_sweep_stats st;

	return flow_flags_are(&f4_tcp, victim, XLB_FLOW_F_CLOSED) &&
	       counts_are(0, 0, 0, 0) &&
	       sweep(last_seen(&f4_tcp), IDLE_NS, IDLE_NS, true, 64, &st) &&
	       ASSERT_EQ(st.drift, 0, "sweep: drift") &&
	       ASSERT_EQ(st.idle, 0, "sweep: idle") && counts_are(0, 0, 0, 0);
}

/* Just short of the timeout: left alone. */
static bool su_not_idle(void)
{
	struct flow_sweep_stats st;

	return prime(in_v4_tcp) &&
	       sweep(last_seen(&f4_tcp) + IDLE_NS - 1, IDLE_NS, IDLE_NS, true,
		     64, &st) &&
	       ASSERT_EQ(st.idle, 0, "sweep: idle") &&
	       ASSERT_EQ(st.active, 1, "sweep: active") && chk_counted();
}

/* UDP has its own, shorter timeout: the UDP flow is idle, the TCP one
 * seen at the same time is not. */
static bool su_idle_udp(void)
{
	struct flow_sweep_stats st;
	__u32 ube = model_backend(V4_UDP, &f4_udp);

	return prime(in_v4_tcp) && prime(in_v4_udp) &&
	       sweep(last_seen(&f4_udp) + 30000000000ULL, IDLE_NS,
		     30000000000ULL, true, 64, &st) &&
	       ASSERT_EQ(st.entries, 2, "sweep: entries") &&
	       ASSERT_EQ(st.idle, 1, "sweep: idle") &&
	       ASSERT_EQ(st.active, 1, "sweep: active") &&
	       flow_flags_are(&f4_udp, ube, 0) &&
	       counts_are(victim, 1, 0, 0);
}

/* An entry lost as an LRU eviction loses one: its count stays until the
 * sweep finds it gone and corrects it. */
static bool su_drift(void)
{
	struct flow_sweep_stats st;
	struct xlb_flow_key k;
	__u32 be2 = model_backend(V4_TCP, &f4_tcp_2);

	flow_key(&f4_tcp, &k);
	return prime(in_v4_tcp) && prime(in_v4_tcp_2) &&
	       ASSERT_OK(dataplane_del_flow(dp, &k), "del_flow") &&
	       counts_are(victim, 1, be2, 1) &&
	       sweep(last_seen(&f4_tcp_2), IDLE_NS, IDLE_NS, true, 64, &st) &&
	       ASSERT_EQ(st.drift, 1, "sweep: drift") &&
	       counts_are(0, 0, be2, 1);
}

static bool chk_drift(void)
{
	return counts_are(model_backend(V4_TCP, &f4_tcp_2), 1, 0, 0);
}

/* A sweep in one-entry steps walks every entry once. */
static bool su_steps(void)
{
	struct flow_sweep_stats st;
	__u64 found[XLB_MAX_BACKENDS], sum = 0;
	struct flow_sweep_opts o = { 0 };
	struct flow_sweep *sw;
	int rc = 0, steps = 0;
	bool ok;

	ok = prime(in_v4_tcp) && prime(in_v4_tcp_2) && prime(in_v4_udp) &&
	     prime(in_v6_tcp) && prime(in_v6_udp);
	sw = ok ? dataplane_sweep_start(dp, &o) : NULL;
	if (!ASSERT_TRUE(sw, "sweep_start"))
		return false;
	while (rc == 0 && steps++ < 1000)
		rc = dataplane_sweep_step(sw, 1, &st);
	dataplane_sweep_found(sw, found, XLB_MAX_BACKENDS);
	dataplane_sweep_free(sw);
	for (__u32 i = 0; i < XLB_MAX_BACKENDS; i++)
		sum += found[i];
	return ASSERT_EQ(rc, 1, "sweep ran to the end") &&
	       ASSERT_EQ(st.entries, 5, "sweep: entries") &&
	       ASSERT_EQ(st.active, 5, "sweep: active") &&
	       ASSERT_EQ(sum, 5, "sweep: found") &&
	       ASSERT_TRUE(steps >= 5, "sweep: steps") &&
	       ASSERT_EQ(found[victim], victim == model_backend(V4_TCP,
								&f4_tcp_2)
						? 2
						: 1,
			 "sweep: found on f4_tcp's backend");
}

static bool chk_five(void)
{
	static __u64 c[XLB_MAX_BACKENDS];
	__u64 sum = 0;

	dataplane_read_active_flows(dp, c, XLB_MAX_BACKENDS);
	for (__u32 i = 0; i < XLB_MAX_BACKENDS; i++)
		sum += c[i];
	return ASSERT_EQ(sum, 5, "active flows in all");
}

/* table swap */
static void in_swap(struct pkt *p)
{
	build(p, &f_swap, NULL);
}

static bool su_swap_flow(void)
{
	return prime(in_swap) && swap_table(V4_TCP);
}

static bool su_swap(void)
{
	return swap_table(V4_TCP);
}

/* f_swap closed by a FIN, then the table swapped: a new connection on its
 * tuple (a bare SYN) is scheduled by the new table. */
static void in_swap_fin(struct pkt *p)
{
	build_tcp(p, &f_swap, PKT_TCP_FIN | PKT_TCP_ACK);
}

static void in_swap_syn(struct pkt *p)
{
	build_tcp(p, &f_swap, PKT_TCP_SYN);
}

static bool su_swap_closed(void)
{
	return prime(in_swap) && prime(in_swap_fin) && swap_table(V4_TCP);
}

/* counted once, on the new backend; the old one had it closed already */
static bool chk_swap_reopened(void)
{
	return flow_flags_are(&f_swap, be_id(V4_TCP, 3), 0) &&
	       counts_are(be_id(V4_TCP, 3), 1, 0, 0);
}

static void ex_swap_new(const struct pkt *in, struct pkt *out)
{
	expect_fwd(in, out, V4_TCP, &f_swap);
	model_ok &= ASSERT_EQ(exp_be, be_id(V4_TCP, 3), "new backend");
}

/* An ICMP error about a flow whose slot now names another backend. */
static void in_icmp4_swap(struct pkt *p)
{
	icmp4_about(p, &f_swap);
}

/* A packet of f_swap, whatever it is, to the backend f_swap was pinned to
 * by the first table. */
static void ex_swap_flow(const struct pkt *in, struct pkt *out)
{
	__u32 old = pick(vips[V4_TCP].table, vip_hash(V4_TCP, &f_swap));

	model_ok &= ASSERT_TRUE(old != model_backend(V4_TCP, &f_swap),
				"the new table moves the flow");
	expect_encap(in, out, V4_TCP, old, vip_hash(V4_TCP, &f_swap));
}

/* decap, on a backend */
static void tunnel(struct pkt *p, int vlans, const char *outer_dst,
		   const struct tflow *inner, int be_fam)
{
	union xlb_addr d;

	pkt_init(p);
	pkt_eth(p, mac_backend, mac_gw);
	for (int i = 0; i < vlans; i++)
		pkt_vlan(p, PKT_ETH_P_8021Q, 100 + i);
	if (addr(outer_dst, &d) != be_fam)
		exit(2);
	if (be_fam == XLB_FAMILY_V4) {
		pkt_ipv4(p, &(struct pkt_ip4){ .src = ip4("192.0.2.241"),
					       .dst = d.v4,
					       .df = true });
	} else {
		struct pkt_ip6 o = { .flow = 0xabcde };
		union xlb_addr s;

		addr("2001:db8:ff::1", &s);
		memcpy(o.src, s.v6, 16);
		memcpy(o.dst, d.v6, 16);
		pkt_ipv6(p, &o);
	}
	push_flow(p, inner, NULL);
	pkt_finish(p);
}

static void in_dc_ipip(struct pkt *p)
{
	tunnel(p, 0, "192.0.2.1", &f4_tcp, XLB_FAMILY_V4);
}

static void in_dc_ip6ip6(struct pkt *p)
{
	tunnel(p, 0, "2001:db8:b::15", &f6_tcp, XLB_FAMILY_V6);
}

static void in_dc_4in6(struct pkt *p)
{
	tunnel(p, 0, "2001:db8:b::29", &f4_in_6, XLB_FAMILY_V6);
}

static void in_dc_6in4(struct pkt *p)
{
	tunnel(p, 0, "192.0.2.51", &f6_in_4, XLB_FAMILY_V4);
}

static void in_dc_vlan(struct pkt *p)
{
	tunnel(p, 1, "192.0.2.1", &f4_tcp, XLB_FAMILY_V4);
}

static void in_dc_vlan2_6in4(struct pkt *p)
{
	tunnel(p, 2, "192.0.2.51", &f6_in_4, XLB_FAMILY_V4);
}

static void in_dc_nonlocal(struct pkt *p)
{
	tunnel(p, 0, "192.0.2.99", &f4_tcp, XLB_FAMILY_V4);
}

static void in_dc_nonlocal6(struct pkt *p)
{
	tunnel(p, 0, "2001:db8:b::99", &f6_tcp, XLB_FAMILY_V6);
}

static void in_dc_plain(struct pkt *p)
{
	build(p, &f4_tcp, NULL);
}

static void in_dc_short(struct pkt *p)
{
	tunnel(p, 0, "192.0.2.1", &f4_tcp, XLB_FAMILY_V4);
	p->len = 14 + 20 + 10;		/* 10 bytes of inner header */
	pkt_put16(p->buf + 14 + 2, 30);
	fix_ip4_csum(p);
}

/* The balancer's output for in, as the backend receives it. */
static void roundtrip(struct pkt *p, void (*input)(struct pkt *p))
{
	static struct pkt orig;
	__u32 len = 0, ret;

	input(&orig);
	pkt_init(p);
	if (!run_prog(dataplane_prog_fd(dp), &orig, p->buf, &len, &ret) ||
	    !ASSERT_EQ(ret, XDP_TX, "balancer verdict")) {
		model_ok = false;
		len = 0;
	}
	p->len = len;
}

static void in_rt4(struct pkt *p)
{
	roundtrip(p, in_v4_tcp);
}

static void in_rt6(struct pkt *p)
{
	roundtrip(p, in_vlan1_v6);
}

static void in_rt4in6(struct pkt *p)
{
	roundtrip(p, in_4in6);
}

/* What the backend's stack gets back: the client's packet, behind the
 * L2 header the balancer wrote. */
static void ex_roundtrip(struct pkt *out, void (*input)(struct pkt *p))
{
	static struct pkt orig;
	size_t l3;

	input(&orig);
	l3 = pkt_l3(&orig);
	pkt_init(out);
	push_l2_as(out, &orig, mac_gw, mac_lb);
	pkt_raw_ip(out, orig.buf + l3, orig.len - l3);
	pkt_finish(out);
}

static void ex_rt4(const struct pkt *in, struct pkt *out)
{
	(void)in;
	ex_roundtrip(out, in_v4_tcp);
}

static void ex_rt6(const struct pkt *in, struct pkt *out)
{
	(void)in;
	ex_roundtrip(out, in_vlan1_v6);
}

static void ex_rt4in6(const struct pkt *in, struct pkt *out)
{
	(void)in;
	ex_roundtrip(out, in_4in6);
}

/* egress other than ingress: redirect, with a next hop from the FIB */
static int if_out;		/* veth device, in tx_ports, FIB routes */
static int if_noport;		/* veth device missing from tx_ports */
static bool netns_ok;		/* those devices are there */
static const __u8 mac_out[6] = { 0x02, 0, 0, 0, 0, 0x0a };

/* The neighbour entry the namespace holds for backend id. */
static void neigh_mac(__u32 id, __u8 *mac)
{
	static const __u8 base[6] = { 0x02, 0, 0, 0, 0x01, 0 };

	memcpy(mac, base, 6);
	mac[5] = (__u8)id;
}

static bool set_cfg(__u32 flags, int gw_ifindex)
{
	struct xlb_config cfg;

	if (!ASSERT_TRUE(netns_ok, "namespace devices and routes"))
		return false;
	base_config(&cfg);
	cfg.flags = flags;
	cfg.gw_ifindex = (__u32)gw_ifindex;
	return ASSERT_OK(dataplane_set_config(dp, &cfg), "set_config");
}

static bool su_gw_redirect(void)
{
	return set_cfg(XLB_CFG_NO_FIB, if_out);
}

static bool su_gw_noport(void)
{
	return set_cfg(XLB_CFG_NO_FIB, if_noport);
}

static bool su_fib(void)
{
	return set_cfg(0, 0);
}

static void ex_fib(const struct pkt *in, struct pkt *out, int vip,
		   const struct tflow *f)
{
	__u32 be = model_backend(vip, f);
	__u8 dmac[6];

	neigh_mac(be, dmac);
	expect_encap_via(in, out, vip, be, vip_hash(vip, f), dmac, mac_out);
}

static void ex_fib4(const struct pkt *in, struct pkt *out)
{
	ex_fib(in, out, V4_TCP, &f4_tcp);
}

static void ex_fib6(const struct pkt *in, struct pkt *out)
{
	ex_fib(in, out, V6_TCP, &f6_tcp);
}

/* The route to the EXACT VIP's backends has MTU 1400. */
static void in_fib_big(struct pkt *p)
{
	build(p, &f_exact, &(struct shape){ .ip_len = 1400 });
}

static void ex_fib_big(const struct pkt *in, struct pkt *out)
{
	expect_too_big(in, out, 1400 - XLB_IPIP_OVERHEAD);
}

static void in_fib_fits(struct pkt *p)
{
	build(p, &f_exact,
	      &(struct shape){ .ip_len = 1400 - XLB_IPIP_OVERHEAD });
}

static void ex_fib_fits(const struct pkt *in, struct pkt *out)
{
	ex_fib(in, out, EXACT, &f_exact);
}

static bool sh(const char *cmd)
{
	int rc = system(cmd);

	if (rc)
		printf("    `%s` failed (%d)\n", cmd, rc);
	return rc == 0;
}

/* The next-hop cache (bpf/lib/nexthop.h). A setup runs the flow once so
 * the CPU (the test is pinned to one) holds the FIB's answer. */
static bool prime_verdict(void (*input)(struct pkt *p), __u32 verdict)
{
	static struct pkt in;
	static __u8 out[PKT_MAX];
	__u32 len, ret;

	input(&in);
	if (!run_prog(dataplane_prog_fd(dp), &in, out, &len, &ret))
		return false;
	return ASSERT_EQ(ret, verdict, "priming packet verdict");
}

/* The MAC a moved neighbour takes. */
static void moved_mac(__u32 id, __u8 *mac)
{
	neigh_mac(id, mac);
	mac[4] = 0x02;
}

static bool set_neigh(__u32 id, const __u8 *mac)
{
	char cmd[160], a[INET_ADDRSTRLEN];
	union xlb_addr ba;

	be_addr(id, XLB_FAMILY_V4, &ba);
	inet_ntop(AF_INET, &ba, a, sizeof(a));
	snprintf(cmd, sizeof(cmd),
		 "ip neigh replace %s dev xlbt0 nud permanent "
		 "lladdr %02x:%02x:%02x:%02x:%02x:%02x",
		 a, mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
	return sh(cmd);
}

/* The backend's neighbour entry changes after its next hop was cached:
 * once the cache's time is up (plus two ticks), packets go to the new
 * MAC. */
static bool su_fib_moved(void)
{
	__u32 be = model_backend(V4_TCP, &f4_tcp);
	__u8 mac[6];

	moved_mac(be, mac);
	if (!su_fib() || !prime_verdict(in_v4_tcp, XDP_REDIRECT) ||
	    !set_neigh(be, mac))
		return false;
	usleep(XLB_NEXTHOP_TTL_NS / 1000 + 20000);
	return true;
}

static void ex_fib_moved(const struct pkt *in, struct pkt *out)
{
	__u32 be = model_backend(V4_TCP, &f4_tcp);
	__u8 dmac[6];

	moved_mac(be, dmac);
	expect_encap_via(in, out, V4_TCP, be, vip_hash(V4_TCP, &f4_tcp), dmac,
			 mac_out);
}

static bool chk_neigh_back(void)
{
	__u32 be = model_backend(V4_TCP, &f4_tcp);
	__u8 mac[6];

	neigh_mac(be, mac);
	return ASSERT_TRUE(set_neigh(be, mac), "neighbour entry restored");
}

/* A packet that fits is sent (and its next hop cached); a longer one on
 * the same flow is still checked against the route MTU. */
static bool su_fib_fits_cached(void)
{
	return su_fib() && prime_verdict(in_fib_fits, XDP_REDIRECT);
}

static void in_frag4_middle(struct pkt *p)
{
	frag4_later(p, 0x4242);
	p->buf[14 + 6] |= 0x20;		/* more fragments follow */
	fix_ip4_csum(p);
}

static void in_dc_opts(struct pkt *p)
{
	union xlb_addr d;

	addr("192.0.2.1", &d);
	pkt_init(p);
	pkt_eth(p, mac_backend, mac_gw);
	pkt_ipv4(p, &(struct pkt_ip4){ .src = ip4("192.0.2.241"),
				       .dst = d.v4, .opts = ip4_opts,
				       .optlen = 8 });
	push_flow(p, &f4_tcp, NULL);
	pkt_finish(p);
}

static void in_dc_frag(struct pkt *p)
{
	in_dc_ipip(p);
	p->buf[14 + 6] |= 0x20;		/* MF: the stack reassembles */
	fix_ip4_csum(p);
}

/* ---- the table ---- */

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

#define FWD_NEW { XLB_FLOW_MISS, 1 }, { XLB_FWD_TX, 1 }
#define FWD_HIT { XLB_FLOW_HIT, 1 }, { XLB_FWD_TX, 1 }
#define TOO_BIG { XLB_FLOW_MISS, 1 }, { XLB_ICMP_TOO_BIG_SENT, 1 }
#define MALFORMED { XLB_DROP_MALFORMED, 1 }
#define NOT_VIP { XLB_PASS_NOT_VIP, 1 }
#define UNPARSED { XLB_PASS_UNPARSED, 1 }
#define DECAPPED { XLB_DECAP_DONE, 1 }

static const struct test_case cases[] = {
	/* IPv4 and IPv6, TCP and UDP */
	CASE("ipv4 tcp: new flow, IPIP to its Maglev backend, entry added",
	     NULL, in_v4_tcp, XDP_TX, ex_v4_tcp, chk_v4_tcp_flow, FWD_NEW),
	CASE("ipv4 tcp: same flow again hits the table",
	     su_v4_tcp, in_v4_tcp, XDP_TX, ex_v4_tcp, chk_v4_tcp_flow, FWD_HIT),
	CASE("ipv4 tcp: second flow lands on another backend per the table",
	     su_v4_tcp, in_v4_tcp_2, XDP_TX, ex_v4_tcp_2, NULL, FWD_NEW),
	CASE("ipv4 udp: new flow", NULL, in_v4_udp, XDP_TX, ex_v4_udp, NULL,
	     FWD_NEW),
	CASE("ipv4 udp: same flow hits", su_v4_udp, in_v4_udp, XDP_TX,
	     ex_v4_udp, NULL, FWD_HIT),
	CASE("ipv6 tcp: new flow, IP6IP6, traffic class copied", NULL,
	     in_v6_tcp, XDP_TX, ex_v6_tcp, chk_v6_tcp_flow, FWD_NEW),
	CASE("ipv6 tcp: same flow hits", su_v6_tcp, in_v6_tcp, XDP_TX,
	     ex_v6_tcp, NULL, FWD_HIT),
	CASE("ipv6 tcp: second flow lands on another backend per the table",
	     su_v6_tcp, in_v6_tcp_2, XDP_TX, ex_v6_tcp_2, NULL, FWD_NEW),
	CASE("ipv6 udp: new flow", NULL, in_v6_udp, XDP_TX, ex_v6_udp, NULL,
	     FWD_NEW),
	CASE("ipv6 udp: same flow hits", su_v6_udp, in_v6_udp, XDP_TX,
	     ex_v6_udp, NULL, FWD_HIT),
	CASE("4-in-6: ipv4 VIP to an ipv6 backend", NULL, in_4in6, XDP_TX,
	     ex_4in6, NULL, FWD_NEW),
	CASE("6-in-4: ipv6 VIP to an ipv4 backend", NULL, in_6in4, XDP_TX,
	     ex_6in4, NULL, FWD_NEW),

	/* not for a VIP: untouched */
	CASE("ipv4 not to a VIP passes unchanged", NULL, in_other4, XDP_PASS,
	     NULL, NULL, NOT_VIP),
	CASE("ipv6 not to a VIP passes unchanged", NULL, in_other6, XDP_PASS,
	     NULL, NULL, NOT_VIP),
	CASE("arp passes unchanged", NULL, in_arp, XDP_PASS, NULL, NULL,
	     { XLB_PASS_NOT_IP, 1 }),
	CASE("VIP address, wrong port: passes", NULL, in_port, XDP_PASS, NULL,
	     NULL, NOT_VIP),
	CASE("VIP address, wrong protocol: passes", NULL, in_proto, XDP_PASS,
	     NULL, NULL, NOT_VIP),
	CASE("ipv6 VIP address, wrong port: passes", NULL, in_port6, XDP_PASS,
	     NULL, NULL, NOT_VIP),
	CASE("ICMP echo to a VIP address passes", NULL, in_echo, XDP_PASS,
	     NULL, NULL, NOT_VIP),

	/* all-ports VIP */
	CASE("all-ports VIP takes any TCP port", NULL, in_all, XDP_TX, ex_all,
	     NULL, FWD_NEW),
	CASE("all-ports VIP: other protocol passes", NULL, in_all_udp,
	     XDP_PASS, NULL, NULL, NOT_VIP),
	CASE("exact VIP wins over the all-ports VIP", NULL, in_exact, XDP_TX,
	     ex_exact, NULL, FWD_NEW),

	/* header variants */
	CASE("ipv4 with options: forwarded with them", NULL, in_opts, XDP_TX,
	     ex_v4_tcp, NULL, FWD_NEW),
	CASE("one 802.1Q tag: kept", NULL, in_vlan1, XDP_TX, ex_v4_tcp, NULL,
	     FWD_NEW),
	CASE("802.1ad + 802.1Q tags: kept", NULL, in_vlan2, XDP_TX, ex_v4_tcp,
	     NULL, FWD_NEW),
	CASE("two tags, 4-in-6: inner ethertype becomes ipv6", NULL,
	     in_vlan2_4in6, XDP_TX, ex_4in6, NULL, FWD_NEW),
	CASE("one tag, ipv6 VIP", NULL, in_vlan1_v6, XDP_TX, ex_v6_tcp, NULL,
	     FWD_NEW),
	CASE("three tags: not parsed, passes unchanged", NULL, in_vlan3,
	     XDP_PASS, NULL, NULL, UNPARSED),
	CASE("ipv6 hop-by-hop header", NULL, in_ext_hbh, XDP_TX, ex_v6_tcp,
	     NULL, FWD_NEW),
	CASE("ipv6 destination options header", NULL, in_ext_dst, XDP_TX,
	     ex_v6_tcp, NULL, FWD_NEW),
	CASE("ipv6 routing header", NULL, in_ext_rt, XDP_TX, ex_v6_tcp, NULL,
	     FWD_NEW),
	CASE("ipv6 atomic fragment header", NULL, in_ext_frag, XDP_TX,
	     ex_v6_tcp, NULL, FWD_NEW),
	CASE("ipv6 four extension headers", NULL, in_ext_four, XDP_TX,
	     ex_v6_udp, NULL, FWD_NEW),
	CASE("ipv6 five extension headers: passes unchanged", NULL,
	     in_ext_five, XDP_PASS, NULL, NULL, UNPARSED),
	CASE("padded short frame: outer length from the IP header", NULL,
	     in_padded, XDP_TX, ex_v4_udp, NULL, FWD_NEW),

	/* truncated or inconsistent: dropped, never forwarded */
	CASE("truncated: frame ends after the Ethernet header", NULL,
	     in_tr_ip_empty, XDP_DROP, NULL, NULL, MALFORMED),
	CASE("truncated: VLAN tag", NULL, in_tr_vlan, XDP_DROP, NULL, NULL,
	     MALFORMED),
	CASE("truncated: second VLAN tag", NULL, in_tr_vlan2, XDP_DROP, NULL,
	     NULL, MALFORMED),
	CASE("truncated: ipv4 header", NULL, in_tr_ip_hdr, XDP_DROP, NULL,
	     NULL, MALFORMED),
	CASE("truncated: ipv4 IHL beyond the frame", NULL, in_tr_ip_ihl,
	     XDP_DROP, NULL, NULL, MALFORMED),
	CASE("truncated: ipv4 total length beyond the frame", NULL,
	     in_tr_ip_totlen, XDP_DROP, NULL, NULL, MALFORMED),
	CASE("malformed: ipv4 IHL below 5", NULL, in_tr_ip_ihl4, XDP_DROP,
	     NULL, NULL, MALFORMED),
	CASE("malformed: ipv4 version 6 under the ipv4 ethertype", NULL,
	     in_tr_ip_version, XDP_DROP, NULL, NULL, MALFORMED),
	CASE("malformed: ipv4 total length below the header", NULL,
	     in_tr_ip_short_totlen, XDP_DROP, NULL, NULL, MALFORMED),
	CASE("malformed: ipv6 version 4 under the ipv6 ethertype", NULL,
	     in_tr_ip6_version, XDP_DROP, NULL, NULL, MALFORMED),
	CASE("truncated: ipv6 header", NULL, in_tr_ip6_hdr, XDP_DROP, NULL,
	     NULL, MALFORMED),
	CASE("truncated: ipv6 payload length beyond the frame", NULL,
	     in_tr_ip6_plen, XDP_DROP, NULL, NULL, MALFORMED),
	CASE("truncated: ipv6 extension header", NULL, in_tr_ip6_ext,
	     XDP_DROP, NULL, NULL, MALFORMED),
	CASE("truncated: ipv6 fragment header", NULL, in_tr_ip6_frag,
	     XDP_DROP, NULL, NULL, MALFORMED),
	CASE("truncated: tcp header", NULL, in_tr_tcp, XDP_DROP, NULL, NULL,
	     MALFORMED),
	CASE("truncated: tcp header inside the IP length, frame padded", NULL,
	     in_tr_tcp_padded, XDP_DROP, NULL, NULL, MALFORMED),
	CASE("malformed: tcp data offset below 5", NULL, in_tr_tcp_doff,
	     XDP_DROP, NULL, NULL, MALFORMED),
	CASE("truncated: udp header", NULL, in_tr_udp, XDP_DROP, NULL, NULL,
	     MALFORMED),
	CASE("truncated: udp header inside the IP length, frame padded", NULL,
	     in_tr_udp_padded, XDP_DROP, NULL, NULL, MALFORMED),
	CASE("truncated: tcp header after ipv6", NULL, in_tr_tcp6, XDP_DROP,
	     NULL, NULL, MALFORMED),

	/* fragments: one datagram, one backend */
	CASE("ipv4 first fragment: scheduled, datagram recorded", NULL,
	     in_frag4_first, XDP_TX, ex_frag4_first, NULL, FWD_NEW,
	     { XLB_FRAG_FIRST, 1 }),
	CASE("ipv4 later fragment follows the first to its backend", su_frag4,
	     in_frag4_later, XDP_TX, ex_frag4_later, NULL,
	     { XLB_FRAG_FOLLOWED, 1 }, { XLB_FWD_TX, 1 }),
	CASE("ipv4 middle fragment follows the first", su_frag4,
	     in_frag4_middle, XDP_TX, ex_frag4_later, NULL,
	     { XLB_FRAG_FOLLOWED, 1 }, { XLB_FWD_TX, 1 }),
	CASE("ipv4 later fragment of an unknown datagram passes", su_frag4,
	     in_frag4_unknown, XDP_PASS, NULL, NULL,
	     { XLB_PASS_FRAG_UNTRACKED, 1 }),
	CASE("ipv6 first fragment: scheduled, datagram recorded", NULL,
	     in_frag6_first, XDP_TX, ex_frag6_first, NULL, FWD_NEW,
	     { XLB_FRAG_FIRST, 1 }),
	CASE("ipv6 later fragment follows the first", su_frag6,
	     in_frag6_later, XDP_TX, ex_frag6_later, NULL,
	     { XLB_FRAG_FOLLOWED, 1 }, { XLB_FWD_TX, 1 }),
	CASE("ipv6 later fragment of an unknown datagram passes", NULL,
	     in_frag6_later, XDP_PASS, NULL, NULL,
	     { XLB_PASS_FRAG_UNTRACKED, 1 }),

	/* ICMP errors about a VIP flow */
	CASE("icmp frag-needed quoting a VIP flow goes to its backend",
	     su_v4_tcp, in_icmp4, XDP_TX, ex_icmp4, NULL, FWD_HIT,
	     { XLB_ICMP_TO_FLOW, 1 }),
	CASE("icmp frag-needed without a flow entry: Maglev's pick, no entry",
	     NULL, in_icmp4, XDP_TX, ex_icmp4, chk_no_v4_tcp_flow,
	     { XLB_ICMP_TO_FLOW, 1 }, { XLB_FWD_TX, 1 }),
	CASE("icmp frag-needed about a non-VIP flow passes", NULL,
	     in_icmp4_other, XDP_PASS, NULL, NULL, NOT_VIP),
	CASE("icmp header cut short: dropped", NULL, in_icmp4_short, XDP_DROP,
	     NULL, NULL, MALFORMED),
	CASE("icmp frag-needed quoting too little: passed to the kernel", NULL,
	     in_icmp4_short_quote, XDP_PASS, NULL, NULL, UNPARSED),
	CASE("oversize icmp error about a VIP flow: dropped, no icmp back",
	     su_v4_tcp, in_icmp4_big, XDP_DROP, NULL, NULL,
	     { XLB_FLOW_HIT, 1 }, { XLB_ICMP_TO_FLOW, 1 },
	     { XLB_DROP_OVERSIZE, 1 }),
	CASE("icmpv6 packet-too-big quoting a VIP flow goes to its backend",
	     su_v6_tcp, in_icmp6, XDP_TX, ex_icmp6, NULL, FWD_HIT,
	     { XLB_ICMP_TO_FLOW, 1 }),

	/* too big once encapsulated */
	CASE("oversize ipv4 with DF: icmp frag-needed back to the client",
	     NULL, in_big4, XDP_TX, ex_big4, NULL, TOO_BIG),
	CASE("ipv4 that just fits the MTU once encapsulated is sent", NULL,
	     in_fits4, XDP_TX, ex_v4_tcp, NULL, FWD_NEW),
	CASE("oversize ipv4 without DF: dropped", NULL, in_big4_nodf,
	     XDP_DROP, NULL, NULL, { XLB_FLOW_MISS, 1 },
	     { XLB_DROP_OVERSIZE, 1 }),
	CASE("oversize ipv4 with options: the quote carries them", NULL,
	     in_big4_opts, XDP_TX, ex_big4, NULL, TOO_BIG),
	CASE("oversize ipv4 behind a VLAN tag: the reply keeps it", NULL,
	     in_big4_vlan, XDP_TX, ex_big4, NULL, TOO_BIG),
	CASE("oversize 4-in-6: MTU less the ipv6 header", NULL, in_big4in6,
	     XDP_TX, ex_big4in6, NULL, TOO_BIG),
	CASE("oversize ipv6: icmpv6 packet-too-big back to the client", NULL,
	     in_big6, XDP_TX, ex_big6, NULL, TOO_BIG),
	CASE("ipv6 that just fits the MTU once encapsulated is sent", NULL,
	     in_fits6, XDP_TX, ex_v6_tcp, NULL, FWD_NEW),

	/* source affinity */
	CASE("source affinity: another port of the client, same backend",
	     su_aff, in_aff_b, XDP_TX, ex_aff_b, chk_aff, FWD_NEW),

	/* backends down */
	CASE("backend down: a new flow hashed onto it takes the next slot",
	     su_victim_down, in_victim, XDP_TX, ex_victim, NULL, FWD_NEW),
	CASE("backend down: its flow is rescheduled, entry rewritten",
	     su_resched, in_v4_tcp, XDP_TX, ex_resched, chk_resched,
	     { XLB_FLOW_RESCHEDULE, 1 }, { XLB_FWD_TX, 1 }),
	CASE("backend up again: the rescheduled flow stays put", su_back_up,
	     in_v4_tcp, XDP_TX, ex_resched, chk_resched, FWD_HIT),
	CASE("all backends down, drop policy: dropped", su_all_down,
	     in_v4_tcp, XDP_DROP, NULL, NULL, { XLB_DROP_ALL_DOWN, 1 }),
	CASE("all backends down, an existing flow: dropped", su_all_down_flow,
	     in_v4_tcp, XDP_DROP, NULL, NULL, { XLB_DROP_ALL_DOWN, 1 }),
	CASE("all backends down, pass policy: passed unchanged", su_open_down,
	     in_open, XDP_PASS, NULL, NULL, { XLB_PASS_ALL_DOWN, 1 }),
	CASE("pass-policy VIP with backends up forwards", NULL, in_open,
	     XDP_TX, ex_open, NULL, FWD_NEW),
	CASE("VIP without a table yet: dropped", NULL, in_notable, XDP_DROP,
	     NULL, NULL, { XLB_DROP_NO_TABLE, 1 }),

	/* TCP RST */
	CASE("tcp RST of an unknown flow: forwarded, no entry", NULL, in_rst,
	     XDP_TX, ex_v4_tcp, chk_no_v4_tcp_flow, FWD_NEW,
	     { XLB_FLOW_NOT_INSERTED, 1 }),
	CASE("tcp RST of a known flow: to its backend", su_v4_tcp, in_rst,
	     XDP_TX, ex_v4_tcp, NULL, FWD_HIT),

	/* active flows: counted per backend, FIN/RST once, idle by sweep */
	CASE("active flows: a new tcp flow counts 1 on its backend", NULL,
	     in_v4_tcp, XDP_TX, ex_v4_tcp, chk_counted_once, FWD_NEW),
	CASE("active flows: a hit does not count it again", su_v4_tcp,
	     in_v4_tcp, XDP_TX, ex_v4_tcp, chk_counted_once, FWD_HIT),
	CASE("active flows: a udp flow counts too", NULL, in_v4_udp, XDP_TX,
	     ex_v4_udp, chk_udp_counted, FWD_NEW),
	CASE("active flows: FIN from the client uncounts, entry kept closed",
	     su_v4_tcp, in_fin, XDP_TX, ex_v4_tcp, chk_closed, FWD_HIT),
	CASE("active flows: RST from the client uncounts", su_v4_tcp, in_rst,
	     XDP_TX, ex_v4_tcp, chk_closed, FWD_HIT),
	CASE("active flows: FIN retransmitted, no second decrement", su_fin,
	     in_fin, XDP_TX, ex_v4_tcp, chk_closed, FWD_HIT),
	CASE("active flows: RST after FIN, no second decrement", su_fin,
	     in_rst, XDP_TX, ex_v4_tcp, chk_closed, FWD_HIT),
	CASE("active flows: ACK after RST leaves it closed", su_rst, in_v4_tcp,
	     XDP_TX, ex_v4_tcp, chk_closed, FWD_HIT),
	CASE("active flows: FIN of an unknown flow, entry closed, no count",
	     NULL, in_fin, XDP_TX, ex_v4_tcp, chk_closed, FWD_NEW),
	CASE("active flows: SYN on a closed flow is a new flow, counted, no "
	     "retry hint", su_fin, in_syn, XDP_TX, ex_v4_tcp, chk_counted,
	     FWD_NEW),
	CASE("table swap: SYN on a closed flow follows the new table",
	     su_swap_closed, in_swap_syn, XDP_TX, ex_swap_new,
	     chk_swap_reopened, FWD_NEW),
	CASE("table swap: ACK on a closed flow stays where it was",
	     su_swap_closed, in_swap, XDP_TX, ex_swap_flow, NULL, FWD_HIT),
	CASE("active flows: reschedule of a closed flow counts nowhere",
	     su_fin_resched, in_v4_tcp, XDP_TX, ex_resched,
	     chk_resched_closed, { XLB_FLOW_RESCHEDULE, 1 }, { XLB_FWD_TX, 1 }),
	CASE("active flows: a FIN that reschedules uncounts the old backend",
	     su_resched, in_fin, XDP_TX, ex_resched, chk_resched_closed,
	     { XLB_FLOW_RESCHEDULE, 1 }, { XLB_FWD_TX, 1 }),
	CASE("sweep: idle tcp flow uncounted; moving again, counted again",
	     su_idle, in_v4_tcp, XDP_TX, ex_v4_tcp, chk_idle_back, FWD_HIT),
	CASE("sweep: FIN on an idle flow, the count stays at 0", su_idle,
	     in_fin, XDP_TX, ex_v4_tcp, chk_idle_fin, FWD_HIT),
	CASE("sweep: a flow short of the timeout stays counted", su_not_idle,
	     in_v4_tcp, XDP_TX, ex_v4_tcp, chk_counted, FWD_HIT),
	CASE("sweep: udp's own timeout, the tcp flow stays counted",
	     su_idle_udp, in_v4_tcp, XDP_TX, ex_v4_tcp, chk_counted, FWD_HIT),
	CASE("sweep: a count left by a lost entry is corrected", su_drift,
	     in_v4_tcp_2, XDP_TX, ex_v4_tcp_2, chk_drift, FWD_HIT),
	CASE("sweep: one-entry steps walk every entry once", su_steps,
	     in_v4_tcp, XDP_TX, ex_v4_tcp, chk_five, FWD_HIT),

	/* TCP SYN retried: the agent's in-band hint */
	CASE("tcp SYN of a new flow: no retry hint", NULL, in_syn, XDP_TX,
	     ex_v4_tcp, chk_v4_tcp_flow, FWD_NEW),
	CASE("tcp SYN again on that flow: forwarded, retry counted",
	     su_syn, in_syn, XDP_TX, ex_v4_tcp, NULL, FWD_HIT,
	     { XLB_FLOW_SYN_RETRY, 1 }),

	/* table swap */
	CASE("table swap adding a backend: existing flow stays", su_swap_flow,
	     in_swap, XDP_TX, ex_swap_flow, NULL, FWD_HIT),
	CASE("table swap adding a backend: new flow follows the new table",
	     su_swap, in_swap, XDP_TX, ex_swap_new, NULL, FWD_NEW),
	CASE("table swap: icmp frag-needed still follows the flow entry",
	     su_swap_flow, in_icmp4_swap, XDP_TX, ex_swap_flow, NULL, FWD_HIT,
	     { XLB_ICMP_TO_FLOW, 1 }),

	/* egress other than ingress */
	CASE("gateway on another device: redirected", su_gw_redirect,
	     in_v4_tcp, XDP_REDIRECT, ex_v4_tcp, NULL, { XLB_FLOW_MISS, 1 },
	     { XLB_FWD_REDIRECT, 1 }),
	CASE("egress device not in tx_ports: dropped", su_gw_noport,
	     in_v4_tcp, XDP_DROP, expect_any, NULL, { XLB_FLOW_MISS, 1 },
	     { XLB_DROP_NO_TX_PORT, 1 }),
	CASE("fib: ipv4 next hop from the neighbour table, redirected",
	     su_fib, in_v4_tcp, XDP_REDIRECT, ex_fib4, NULL,
	     { XLB_FLOW_MISS, 1 }, { XLB_FWD_REDIRECT, 1 }),
	CASE("fib: ipv6 next hop from the neighbour table, redirected",
	     su_fib, in_v6_tcp, XDP_REDIRECT, ex_fib6, NULL,
	     { XLB_FLOW_MISS, 1 }, { XLB_FWD_REDIRECT, 1 }),
	CASE("fib: route MTU 1400, oversize answered with that MTU", su_fib,
	     in_fib_big, XDP_TX, ex_fib_big, NULL, TOO_BIG),
	CASE("fib: route MTU 1400, a packet that fits is sent", su_fib,
	     in_fib_fits, XDP_REDIRECT, ex_fib_fits, NULL,
	     { XLB_FLOW_MISS, 1 }, { XLB_FWD_REDIRECT, 1 }),
	CASE("fib: next hop cached, then a longer packet: still too big",
	     su_fib_fits_cached, in_fib_big, XDP_TX, ex_fib_big, NULL,
	     { XLB_FLOW_HIT, 1 }, { XLB_ICMP_TOO_BIG_SENT, 1 }),
	CASE("fib: cached next hop, neighbour moved: followed within the TTL",
	     su_fib_moved, in_v4_tcp, XDP_REDIRECT, ex_fib_moved,
	     chk_neigh_back, { XLB_FLOW_HIT, 1 }, { XLB_FWD_REDIRECT, 1 }),

	/* decap on a backend */
	DECAP("decap IPIP: inner ipv4 to the stack", in_dc_ipip, XDP_PASS,
	      expect_decap, DECAPPED),
	DECAP("decap IP6IP6: inner ipv6 to the stack", in_dc_ip6ip6, XDP_PASS,
	      expect_decap, DECAPPED),
	DECAP("decap 4-in-6: ethertype becomes ipv4", in_dc_4in6, XDP_PASS,
	      expect_decap, DECAPPED),
	DECAP("decap 6-in-4: ethertype becomes ipv6", in_dc_6in4, XDP_PASS,
	      expect_decap, DECAPPED),
	DECAP("decap IPIP behind a VLAN tag: tag kept", in_dc_vlan, XDP_PASS,
	      expect_decap, DECAPPED),
	DECAP("decap 6-in-4 behind two tags", in_dc_vlan2_6in4, XDP_PASS,
	      expect_decap, DECAPPED),
	DECAP("decap: IPIP to a non-local address passes unchanged",
	      in_dc_nonlocal, XDP_PASS, NULL, { XLB_DECAP_PASS, 1 }),
	DECAP("decap: IP6IP6 to a non-local address passes unchanged",
	      in_dc_nonlocal6, XDP_PASS, NULL, { XLB_DECAP_PASS, 1 }),
	DECAP("decap: plain tcp passes unchanged", in_dc_plain, XDP_PASS, NULL,
	      { XLB_DECAP_PASS, 1 }),
	DECAP("decap IPIP with outer ipv4 options", in_dc_opts, XDP_PASS,
	      expect_decap, DECAPPED),
	DECAP("decap: fragmented tunnel packet left to the stack", in_dc_frag,
	      XDP_PASS, NULL, { XLB_DECAP_PASS, 1 }),
	DECAP("decap: inner header cut short is dropped", in_dc_short,
	      XDP_DROP, NULL, { XLB_DECAP_MALFORMED, 1 }),
	DECAP("round trip ipv4: balancer then decap gives the client's packet",
	      in_rt4, XDP_PASS, ex_rt4, DECAPPED),
	DECAP("round trip ipv6 behind a tag", in_rt6, XDP_PASS, ex_rt6,
	      DECAPPED),
	DECAP("round trip 4-in-6", in_rt4in6, XDP_PASS, ex_rt4in6, DECAPPED),
};

/* ---- the runner ---- */

static __u64 expected_count(const struct test_case *tc, int idx)
{
	__u64 n = 0;

	for (size_t i = 0; i < sizeof(tc->counters) / sizeof(tc->counters[0]);
	     i++) {
		if (!tc->counters[i].n)
			break;
		if (tc->counters[i].idx == idx)
			n += tc->counters[i].n;
	}
	return n;
}

/* Per-VIP and per-backend packet and byte counters: only the expected
 * VIP and backend moved, by one packet of len bytes. */
static bool check_traffic_stats(size_t len)
{
	bool ok = true;

	for (int v = 0; v < NVIPS; v++) {
		struct xlb_counter c;
		bool mine = v == exp_vip;

		ok &= ASSERT_OK(dataplane_read_vip_stats(dp, v, &c),
				"read_vip_stats");
		ok &= ASSERT_EQ(c.packets, mine, "vip packets");
		ok &= ASSERT_EQ(c.bytes, mine ? len : 0, "vip bytes");
		for (int k = 0; k < MAX_BE; k++) {
			__u32 id = be_id(v, k);

			mine = (int)id == exp_be;
			ok &= ASSERT_OK(dataplane_read_backend_stats(dp, id,
								     &c),
					"read_backend_stats");
			ok &= ASSERT_EQ(c.packets, mine, "backend packets");
			ok &= ASSERT_EQ(c.bytes, mine ? len : 0,
					"backend bytes");
		}
	}
	return ok;
}

/* After every balancer case: each backend's active count is what a walk
 * of the flow table finds (no drift), none below zero. */
static bool counts_match_table(void)
{
	struct flow_sweep_stats st = { 0 };

	return sweep(0, 0, 0, false, 4096, &st) &&
	       ASSERT_EQ(st.drift, 0, "active counts match the flow table");
}

static bool run_case(const struct test_case *tc)
{
	static struct pkt in, exp;
	static __u8 out[PKT_MAX];
	__u64 before[XLB_DECAP_MAX], after[XLB_DECAP_MAX];
	__u64 reasons[XLB_REASON_MAX];
	__u32 out_len = 0, ret = 0;
	bool ok;
	int fd;

	ok = reset_world();
	if (ok && tc->setup)
		ok = tc->setup();
	ok = ok && ASSERT_OK(dataplane_clear_stats(dp), "clear_stats");
	ok = ok && ASSERT_OK(decap_read_stats(dc, before), "decap_read_stats");
	if (!ok)
		return false;
	exp_vip = exp_be = -1;
	model_ok = true;
	tc->input(&in);
	if (tc->expect)
		tc->expect(&in, &exp);
	else
		exp = in;

	fd = tc->decap ? decap_prog_fd(dc) : dataplane_prog_fd(dp);
	if (!run_prog(fd, &in, out, &out_len, &ret))
		return false;
	if (!ASSERT_EQ(ret, tc->verdict, "verdict"))
		printf("    verdict: got %s, expected %s\n", xdp_name(ret),
		       xdp_name(tc->verdict));
	ok &= model_ok && ret == (__u32)tc->verdict;
	if (tc->expect != expect_any)
		ok &= assert_pkt(out, out_len, exp.buf, exp.len, "output");

	if (tc->decap) {
		ok &= ASSERT_OK(decap_read_stats(dc, after), "decap_read_stats");
		for (int r = 0; r < XLB_DECAP_MAX; r++)
			ok &= ASSERT_EQ(after[r] - before[r],
					expected_count(tc, r), "decap counter");
	} else {
		ok &= ASSERT_OK(dataplane_read_reasons(dp, reasons),
				"read_reasons");
		for (int r = 0; r < XLB_REASON_MAX; r++)
			ok &= ASSERT_EQ(reasons[r], expected_count(tc, r),
					xlb_reason_name(r));
		ok &= check_traffic_stats(in.len);
	}
	if (tc->check)
		ok &= tc->check();
	if (!tc->decap)
		ok &= counts_match_table();
	return ok;
}

/* Devices, routes and neighbours in our own namespace, for the cases
 * that redirect or ask the FIB. */
static bool setup_netns(void)
{
	char cmd[256];
	bool ok = true;

	ok &= sh("ip link set lo up");
	ok &= sh("ip link add xlbt0 address 02:00:00:00:00:0a type veth "
		 "peer name xlbt0p");
	ok &= sh("ip link add xlbt1 type veth peer name xlbt1p");
	ok &= sh("for d in xlbt0 xlbt0p xlbt1 xlbt1p; do "
		 "ip link set $d up || exit 1; done");
	ok &= sh("ip addr add 192.0.2.254/24 dev xlbt0");
	ok &= sh("ip -6 addr add 2001:db8:b::fe/64 dev xlbt0 nodad");
	/* the EXACT VIP's backends, 192.0.2.71-74, sit behind MTU 1400
	 * (locked: the FIB reports a route MTU only then, or with
	 * ip_forward_use_pmtu) */
	ok &= sh("ip route add 192.0.2.64/26 dev xlbt0 mtu lock 1400");
	ok &= sh("sysctl -qw net.ipv4.conf.all.forwarding=1 "
		 "net.ipv6.conf.all.forwarding=1");
	for (int v = 0; v < NVIPS; v++) {
		for (int k = 0; k < MAX_BE && vips[v].nbe; k++) {
			__u32 id = be_id(v, k);
			char a[INET6_ADDRSTRLEN];
			union xlb_addr ba;
			__u8 mac[6];
			int af = be_addr(id, vips[v].be_family, &ba) ==
						 XLB_FAMILY_V4
					 ? AF_INET
					 : AF_INET6;

			neigh_mac(id, mac);
			inet_ntop(af, &ba, a, sizeof(a));
			snprintf(cmd, sizeof(cmd),
				 "ip neigh replace %s dev xlbt0 nud permanent "
				 "lladdr 02:00:00:00:01:%02x",
				 a, mac[5]);
			ok &= sh(cmd);
		}
	}
	if_out = (int)if_nametoindex("xlbt0");
	if_noport = (int)if_nametoindex("xlbt1");
	ok &= ASSERT_TRUE(if_out > 0 && if_noport > 0, "veth devices");
	ok &= ASSERT_OK(dataplane_add_tx_port(dp, (__u32)if_out),
			"add_tx_port");
	return ok;
}

static int pin_here(void)
{
	int cpu = sched_getcpu();
	cpu_set_t set;

	if (cpu < 0)
		return -1;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set);
}

/* packet_test [WORD]: runs every case, or those whose name holds WORD. */
int main(int argc, char **argv)
{
	int pass = 0, fail = 0, n = sizeof(cases) / sizeof(cases[0]);
	const char *only = argc > 1 ? argv[1] : NULL;
	struct dataplane_opts opts = { .flow_entries = FLOW_ENTRIES };

	setvbuf(stdout, NULL, _IOLBF, 0);
	log_init(LOG_LVL_WARN);
	/* Own network namespace: nothing here can touch the host's. */
	if (unshare(CLONE_NEWNET)) {
		printf("unshare(CLONE_NEWNET): %s (needs root)\n",
		       strerror(errno));
		printf("0 passed, 1 failed\n");
		return 1;
	}
	/* One CPU throughout: a per-CPU cache filled by a setup step is the
	 * one the case then reads. */
	if (pin_here()) {
		printf("sched_setaffinity: %s\n", strerror(errno));
		printf("0 passed, 1 failed\n");
		return 1;
	}
	dp = dataplane_open(&opts);
	dc = decap_open();
	if (!dp || !dc) {
		printf("loading the BPF objects failed: %s\n", strerror(errno));
		printf("0 passed, 1 failed\n");
		return 1;
	}
	netns_ok = setup_netns();
	if (!build_tables() || !find_flows()) {
		printf("0 passed, 1 failed\n");
		return 1;
	}
	for (int v = 0; v < NVIPS; v++) {
		for (int k = 0; k < MAX_BE && vips[v].nbe; k++) {
			union xlb_addr a;
			__u8 fam = be_addr(be_id(v, k), vips[v].be_family, &a);

			if (decap_add_addr(dc, &a, fam)) {
				printf("decap_add_addr failed\n");
				printf("0 passed, 1 failed\n");
				return 1;
			}
		}
	}

	for (int i = 0; i < n; i++) {
		bool ok;

		if (only && !strstr(cases[i].name, only))
			continue;
		ok = run_case(&cases[i]);
		printf("%s %d - %s\n", ok ? "ok" : "not ok", i + 1,
		       cases[i].name);
		if (ok)
			pass++;
		else
			fail++;
	}
	decap_close(dc);
	dataplane_close(dp);
	printf("%d passed, %d failed\n", pass, fail);
	return fail ? 1 : 0;
}
