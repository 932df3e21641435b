// SPDX-License-Identifier: GPL-2.0
/* The world the packet cases run in (packet_test.h): VIPs and backends in
 * the real maps, our copy of their Maglev tables, the flows of the cases
 * and the model of the balancer's choice, the builders of inputs and
 * expected outputs, and the flows most case files use. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "lib/hash.h"
#include "model/maglev.h"
#include "packet_test.h"

/* ---- the world: VIPs, backends, their tables ---- */

const __u8 mac_router[6] = { 0x02, 0, 0, 0, 0, 0x01 };
const __u8 mac_lb[6] = { 0x02, 0, 0, 0, 0, 0x02 };
const __u8 mac_gw[6] = { 0x02, 0, 0, 0, 0, 0xfe };
const __u8 mac_backend[6] = { 0x02, 0, 0, 0, 0, 0xbe };
#define SRC4_BASE "192.0.2.240"
#define SRC6_BASE "2001:db8:ff::"

struct tvip vips[NVIPS] = {
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

struct dataplane *dp;
struct decap *dc;

/* What the data path should know, mirrored: down flags, current tables. */
bool be_down[XLB_MAX_BACKENDS];
const __u32 *cur_table[NVIPS];

/* Set by expect_encap() for a packet that must be forwarded. */
int exp_vip = -1, exp_be = -1;
/* The device packets arrive on in BPF_PROG_TEST_RUN; 0: lo. */
int run_ingress;
/* Cleared when building an input or expectation found the test wrong. */
bool model_ok;

__u8 addr(const char *s, union xlb_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, s, &a->v4) == 1)
		return XLB_FAMILY_V4;
	if (inet_pton(AF_INET6, s, a->v6) == 1)
		return XLB_FAMILY_V6;
	fprintf(stderr, "bad address in a test: %s\n", s);
	exit(2);
}

__be32 ip4(const char *s)
{
	union xlb_addr a;

	addr(s, &a);
	return a.v4;
}

__u32 be_id(int vip, int k)
{
	return (__u32)(vip * 10 + k + 1);
}

/* Backend k of a VIP: 192.0.2.<id> or 2001:db8:b::<id>. */
__u8 be_addr(__u32 id, __u8 family, union xlb_addr *a)
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

bool build_tables(void)
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

void base_config(struct xlb_config *cfg)
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

/* Every CPU's budget of too-big replies: full (as if never used), or
 * empty as of now (the data path's coarse clock). */
bool set_icmp_budget(bool empty)
{
	int fd = dataplane_map_fd(dp, "icmp_budget");
	int ncpu = libbpf_num_possible_cpus();
	struct xlb_icmp_budget *b;
	struct timespec ts;
	__u32 zero = 0;
	bool ok;

	if (!ASSERT_TRUE(fd >= 0 && ncpu > 0, "icmp_budget map"))
		return false;
	b = calloc((size_t)ncpu, sizeof(*b));
	if (!b)
		return false;
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	for (int c = 0; c < ncpu && empty; c++)
		b[c].last_ns = (__u64)ts.tv_sec * 1000000000ULL +
			       (__u64)ts.tv_nsec;
	ok = ASSERT_OK(bpf_map_update_elem(fd, &zero, b, BPF_ANY) ? -errno
								   : 0,
		       "icmp_budget update");
	free(b);
	return ok;
}

/* Every case starts from here: no flows, every backend up, first tables,
 * no hash key (jhash with SEED), a full ICMP budget. */
bool reset_world(void)
{
	static const struct xlb_hash_key no_key = { .alg = XLB_HASH_JHASH };
	static bool tables_set;
	struct xlb_config cfg;
	bool ok = true;

	struct xlb_decap_config dcfg = { .gue_port = htons(XLB_GUE_PORT_DEFAULT) };

	base_config(&cfg);
	run_ingress = 0;
	ok &= ASSERT_OK(decap_set_config(dc, &dcfg), "decap_set_config");
	ok &= ASSERT_OK(dataplane_clear_flows(dp), "clear_flows");
	ok &= ASSERT_OK(dataplane_set_config(dp, &cfg), "set_config");
	ok &= ASSERT_OK(dataplane_set_hash_key(dp, &no_key), "set_hash_key");
	ok &= set_icmp_budget(false);
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

bool set_down(__u32 id, bool down)
{
	be_down[id] = down;
	return ASSERT_OK(dataplane_set_backend_down(dp, id, down),
			 "set_backend_down");
}

bool swap_table(int vip)
{
	cur_table[vip] = vips[vip].table_more;
	return ASSERT_OK(dataplane_set_table(dp, vip, vips[vip].table_more,
					     TSIZE),
			 "set_table");
}

/* ---- flows and the model of the balancer's choice ---- */

void flow_key(const struct tflow *f, struct xlb_flow_key *k)
{
	memset(k, 0, sizeof(*k));
	k->family = addr(f->src, &k->src);
	addr(f->dst, &k->dst);
	k->sport = htons(f->sport);
	k->dport = htons(f->dport);
	k->proto = f->proto;
}

__u32 flow_hash(const struct tflow *f, bool src_only)
{
	struct xlb_flow_key k;

	flow_key(f, &k);
	return xlb_flow_hash(&k, src_only, SEED);
}

__u32 vip_hash(int vip, const struct tflow *f)
{
	return flow_hash(f, vips[vip].flags & XLB_VIP_SRC_AFFINITY);
}

/* Maglev lookup as DESIGN.md states it: the hashed slot, or when its
 * backend is down the next slots (XLB_DOWN_PROBES of them). */
__u32 pick(const __u32 *table, __u32 hash)
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

__u32 model_backend(int vip, const struct tflow *f)
{
	return pick(cur_table[vip], vip_hash(vip, f));
}

/* ---- building packets ---- */

void push_l2(struct pkt *p, int vlans)
{
	pkt_eth(p, mac_lb, mac_router);
	for (int i = 0; i < vlans; i++)
		pkt_vlan(p, i == 0 && vlans > 1 ? PKT_ETH_P_8021AD
						: PKT_ETH_P_8021Q,
			 100 + i);
}

/* IP header, extension headers, TCP/UDP and payload of a flow. */
void push_flow(struct pkt *p, const struct tflow *f,
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

void build(struct pkt *p, const struct tflow *f, const struct shape *s)
{
	pkt_init(p);
	push_l2(p, s ? s->vlans : 0);
	push_flow(p, f, s);
	pkt_finish(p);
}

/* Ethernet, outer IP, UDP (checksum 0) and GUE with g's candidates, as a
 * balancer sends them to candidate[next]; the caller pushes the inner
 * packet and finishes. */
void push_gue(struct pkt *p, const struct gue_spec *g)
{
	__u8 priv[4 + XLB_GUE_MAX_CANDIDATES * 16];
	__u8 addrs[XLB_GUE_MAX_CANDIDATES * 16];
	union xlb_addr src, dst, a;
	size_t alen, plen = 0;
	__u8 fam;

	fam = addr(g->cands[g->count ? g->next : 0], &dst);
	if (addr(g->src, &src) != fam)
		exit(2);
	alen = fam == XLB_FAMILY_V4 ? 4 : 16;
	for (int i = 0; i < g->count; i++) {
		if (addr(g->cands[i], &a) != fam)
			exit(2);
		memcpy(addrs + i * alen, &a, alen);
	}
	if (g->count)
		plen = pkt_gue_cands(priv, g->next, g->count, fam, addrs);
	pkt_eth(p, g->dmac ? g->dmac : mac_backend, g->smac ? g->smac : mac_gw);
	if (fam == XLB_FAMILY_V4) {
		pkt_ipv4(p, &(struct pkt_ip4){ .src = src.v4, .dst = dst.v4,
					       .df = true });
	} else {
		struct pkt_ip6 o = { .flow = 0x1c0de };

		memcpy(o.src, src.v6, 16);
		memcpy(o.dst, dst.v6, 16);
		pkt_ipv6(p, &o);
	}
	pkt_udp_nocsum(p, g->sport ? g->sport : XLB_GUE_SPORT_BASE | 0x123,
		       g->port ? g->port : XLB_GUE_PORT_DEFAULT);
	pkt_gue(p, priv, plen);
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
void push_l2_as(struct pkt *out, const struct pkt *in, const __u8 *dst,
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
void expect_encap_via(const struct pkt *in, struct pkt *out, int vip,
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
void expect_encap(const struct pkt *in, struct pkt *out, int vip,
		  __u32 be, __u32 hash)
{
	expect_encap_via(in, out, vip, be, hash, mac_gw, in->buf);
}

/* in, forwarded to the backend the model picks for flow f. */
void expect_fwd(const struct pkt *in, struct pkt *out, int vip,
		const struct tflow *f)
{
	expect_encap(in, out, vip, model_backend(vip, f), vip_hash(vip, f));
}

/* ICMP frag-needed / packet-too-big back to the sender of in, from the
 * address it wrote to, carrying mtu: the IPv4 header and 8 bytes, or the
 * first 128 bytes of the IPv6 packet. */
void expect_too_big(const struct pkt *in, struct pkt *out, __u32 mtu)
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
void expect_any(const struct pkt *in, struct pkt *out)
{
	(void)in;
	(void)out;
}

/* What the decap program must hand to the stack: in's L2 header, the
 * ethertype of the inner packet, the inner packet. */
void expect_decap(const struct pkt *in, struct pkt *out)
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

bool run_prog(int fd, const struct pkt *in, __u8 *out, __u32 *out_len,
	      __u32 *retval)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = in->buf,
		    .data_size_in = (__u32)in->len, .data_out = out,
		    .data_size_out = PKT_MAX, .repeat = 1);
	struct xdp_md md = { .data_end = (__u32)in->len,
			     .ingress_ifindex = (__u32)run_ingress };
	int err;

	if (run_ingress) {
		opts.ctx_in = &md;
		opts.ctx_size_in = sizeof(md);
	}
	err = bpf_prog_test_run_opts(fd, &opts);

	if (!ASSERT_OK(err ? -errno : 0, "bpf_prog_test_run_opts"))
		return false;
	*out_len = opts.data_size_out;
	*retval = opts.retval;
	return true;
}

/* Runs a packet through the balancer, as a setup step: it must get the
 * verdict given. (With the FIB, it leaves the next hop in the cache of
 * bpf/lib/nexthop.h, on the one CPU the test is pinned to.) */
bool prime_verdict(void (*input)(struct pkt *p), __u32 verdict)
{
	static struct pkt in;
	static __u8 out[PKT_MAX];
	__u32 len, ret;

	input(&in);
	if (!run_prog(dataplane_prog_fd(dp), &in, out, &len, &ret))
		return false;
	return ASSERT_EQ(ret, verdict, "priming packet verdict");
}

/* ... and it must be sent. */
bool prime(void (*input)(struct pkt *p))
{
	return prime_verdict(input, XDP_TX);
}

bool lookup_flow(const struct tflow *f, struct xlb_flow *out)
{
	struct xlb_flow_key k;

	flow_key(f, &k);
	return dataplane_lookup_flow(dp, &k, out) == 0;
}

/* Every backend's active count is want, except be (want_be): checks the
 * whole map, so a count left on the wrong backend is caught too. */
bool counts_are(__u32 be, __u64 want_be, __u32 be2, __u64 want_be2)
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

bool flow_flags_are(const struct tflow *f, __u32 be, __u8 flags)
{
	struct xlb_flow fl;

	return ASSERT_TRUE(lookup_flow(f, &fl), "flow entry") &&
	       ASSERT_EQ(fl.backend_id, be, "flow backend") &&
	       ASSERT_EQ(fl.flags, flags, "flow flags");
}

/* ---- flows used by the cases; some found at start ---- */

const struct tflow f4_tcp = { "198.51.100.1", "203.0.113.10", 40001,
				     80, IPPROTO_TCP };
struct tflow f4_tcp_2;		/* lands on another backend */
const struct tflow f4_udp = { "198.51.100.2", "203.0.113.10", 33000,
				     53, IPPROTO_UDP };
const struct tflow f6_tcp = { "2001:db8:c::1", "2001:db8:100::10",
				     40001, 80, IPPROTO_TCP };
struct tflow f6_tcp_2;
const struct tflow f6_udp = { "2001:db8:c::2", "2001:db8:100::10",
				     33000, 53, IPPROTO_UDP };
const struct tflow f4_in_6 = { "198.51.100.3", "203.0.113.20", 40003,
				      443, IPPROTO_TCP };
const struct tflow f6_in_4 = { "2001:db8:c::3", "2001:db8:100::20",
				      40003, 443, IPPROTO_TCP };
const struct tflow f4_other = { "198.51.100.4", "203.0.113.99", 40004,
				       80, IPPROTO_TCP };
const struct tflow f6_other = { "2001:db8:c::4", "2001:db8:100::99",
				       40004, 53, IPPROTO_UDP };
const struct tflow f4_port = { "198.51.100.1", "203.0.113.10", 40001,
				      8080, IPPROTO_TCP };
const struct tflow f4_proto = { "198.51.100.1", "203.0.113.10", 40001,
				       80, IPPROTO_UDP };
const struct tflow f6_port = { "2001:db8:c::1", "2001:db8:100::10",
				      40001, 8080, IPPROTO_TCP };
const struct tflow f_all = { "198.51.100.5", "203.0.113.30", 40005,
				    8443, IPPROTO_TCP };
const struct tflow f_all_udp = { "198.51.100.5", "203.0.113.30",
					40005, 8443, IPPROTO_UDP };
const struct tflow f_exact = { "198.51.100.5", "203.0.113.30", 40005,
				      80, IPPROTO_TCP };
const struct tflow f_aff_a = { "198.51.100.6", "203.0.113.40", 40006,
				      80, IPPROTO_TCP };
struct tflow f_aff_b;		/* 5-tuple hash would differ */
const struct tflow f_open = { "198.51.100.7", "203.0.113.50", 40007,
				     80, IPPROTO_TCP };
const struct tflow f_notable = { "198.51.100.7", "203.0.113.60",
					40007, 80, IPPROTO_TCP };
struct tflow f_victim;		/* hashes onto f4_tcp's backend */
struct tflow f_swap;		/* its slot goes to the new backend */
const struct tflow f4_frag = { "198.51.100.8", "203.0.113.10", 33008,
				      53, IPPROTO_UDP };
const struct tflow f6_frag = { "2001:db8:c::8", "2001:db8:100::10",
				      33008, 53, IPPROTO_UDP };
__u32 victim;			/* f4_tcp's first backend */
__u32 resched;			/* where f4_tcp goes without it */

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

bool find_flows(void)
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

/* ---- the flows most cases use ---- */

void in_v4_tcp(struct pkt *p)
{
	build(p, &f4_tcp, &(struct shape){ .tos = 0x28 });
}

void ex_v4_tcp(const struct pkt *in, struct pkt *out)
{
	expect_fwd(in, out, V4_TCP, &f4_tcp);
}

bool chk_v4_tcp_flow(void)
{
	struct xlb_flow fl;

	return ASSERT_TRUE(lookup_flow(&f4_tcp, &fl), "flow entry") &&
	       ASSERT_EQ(fl.backend_id, model_backend(V4_TCP, &f4_tcp),
			 "flow backend") &&
	       ASSERT_EQ(fl.vip_id, V4_TCP, "flow vip");
}

bool su_v4_tcp(void)
{
	return prime(in_v4_tcp);
}

void in_v4_tcp_2(struct pkt *p)
{
	build(p, &f4_tcp_2, NULL);
}

void ex_v4_tcp_2(const struct pkt *in, struct pkt *out)
{
	expect_fwd(in, out, V4_TCP, &f4_tcp_2);
}

void in_v4_udp(struct pkt *p)
{
	build(p, &f4_udp, &(struct shape){ .tos = 0xb8 });
}

void ex_v4_udp(const struct pkt *in, struct pkt *out)
{
	expect_fwd(in, out, V4_UDP, &f4_udp);
}

bool su_v4_udp(void)
{
	return prime(in_v4_udp);
}

void in_v6_tcp(struct pkt *p)
{
	build(p, &f6_tcp, &(struct shape){ .tos = 0x28 });
}

void ex_v6_tcp(const struct pkt *in, struct pkt *out)
{
	expect_fwd(in, out, V6_TCP, &f6_tcp);
}

bool su_v6_tcp(void)
{
	return prime(in_v6_tcp);
}

void in_v6_udp(struct pkt *p)
{
	build(p, &f6_udp, NULL);
}

void ex_v6_udp(const struct pkt *in, struct pkt *out)
{
	expect_fwd(in, out, V6_UDP, &f6_udp);
}

bool su_v6_udp(void)
{
	return prime(in_v6_udp);
}

void in_4in6(struct pkt *p)
{
	build(p, &f4_in_6, &(struct shape){ .tos = 0x10 });
}

void ex_4in6(const struct pkt *in, struct pkt *out)
{
	expect_fwd(in, out, V4_IN_V6, &f4_in_6);
}

/* IPv4 options: router alert, NOPs, EOL */
const __u8 ip4_opts[8] = { 0x94, 0x04, 0x00, 0x00,	/* router alert */
				  0x01, 0x01, 0x01, 0x00 };	/* NOPs, EOL */

void in_vlan1_v6(struct pkt *p)
{
	build(p, &f6_tcp, &(struct shape){ .vlans = 1 });
}

void fix_ip4_csum(struct pkt *p)
{
	__u8 *ip = p->buf + pkt_l3(p);

	pkt_put16(ip + 10, 0);
	pkt_put16(ip + 10, pkt_csum_fold(pkt_csum_add(0, ip, (ip[0] & 15) * 4)));
}

/* ICMP errors about a VIP flow: a router between backend and client could
 * not pass the reply VIP -> client and tells the VIP. */
void icmp4_quoting(struct pkt *p, const struct tflow *f, size_t more,
		   bool df)
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

void icmp4_about(struct pkt *p, const struct tflow *f)
{
	icmp4_quoting(p, f, 0, false);
}

bool chk_no_v4_tcp_flow(void)
{
	struct xlb_flow fl;

	return ASSERT_TRUE(!lookup_flow(&f4_tcp, &fl), "no flow entry");
}

/* A TCP segment of flow f with these flags and one byte of data. */
void build_tcp(struct pkt *p, const struct tflow *f, __u8 flags)
{
	build(p, f, &(struct shape){ .tcp_flags = flags, .payload = 1 });
}

/* The agent's sweep, run to the end in steps of budget entries. */
bool sweep(__u64 now, __u64 tcp_idle, __u64 udp_idle, bool correct,
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
