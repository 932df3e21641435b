// SPDX-License-Identifier: GPL-2.0
/* xlb-fuzz: random and mutated frames through the real balancer with
 * BPF_PROG_TEST_RUN, each judged by the reference parser (ref.c) and the
 * invariants below: a frame no VIP's leaves untouched (XDP_PASS) or is
 * dropped as malformed by rule; a forwarded frame is the input's IP
 * packet behind a valid outer header to a backend of its VIP (its flow's
 * or its datagram's, when the tables hold one); every ICMP error the
 * data path makes is valid (checksums, quote, addresses); and every frame
 * is counted under exactly one verdict reason, the one the rules name.
 *
 *   xlb-fuzz [-t SECONDS] [-s SEED] [-d SEEDS_DIR] [-o OUT_DIR] [--smoke]
 *
 * --smoke replays every seed frame, then fuzzes for SECONDS (3) from a
 * fixed seed, and ends with "N passed, N failed" as a test suite does.
 * A frame that breaks a rule is printed in hex and kept in OUT_DIR. */
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "core/log.h"
#include "dp/maps.h"
#include "model/maglev.h"
#include "fuzz.h"

#define TSIZE 251		/* Maglev slots: small, as cheap to swap */
#define FLOW_ENTRIES 16384
#define RESHUFFLE 20000		/* frames between changes of the world */

/* ---- the world ---- */

const __u8 fz_mac_lb[6] = { 0x02, 0, 0, 0, 0, 0x02 };
const __u8 fz_mac_router[6] = { 0x02, 0, 0, 0, 0, 0x01 };
const __u8 fz_mac_gw[6] = { 0x02, 0, 0, 0, 0, 0xfe };
union xlb_addr fz_src4, fz_src6;

/* The VIPs of the packet tests, of every kind: the frames are
 * about 203.0.113.10. */
#define VIP(a, p, pr, bef, ...)                                                \
	{ .addr = (a), .port = (p), .proto = (pr), .be_family = (bef),         \
	  __VA_ARGS__ }

struct fz_vip fz_vips[] = {
	VIP("203.0.113.10", 80, IPPROTO_TCP, XLB_FAMILY_V4),
	VIP("203.0.113.10", 53, IPPROTO_UDP, XLB_FAMILY_V4),
	VIP("2001:db8:100::10", 80, IPPROTO_TCP, XLB_FAMILY_V6),
	VIP("2001:db8:100::10", 53, IPPROTO_UDP, XLB_FAMILY_V6),
	VIP("203.0.113.20", 443, IPPROTO_TCP, XLB_FAMILY_V6),	/* 4 in 6 */
	VIP("2001:db8:100::20", 443, IPPROTO_TCP, XLB_FAMILY_V4),
	VIP("203.0.113.30", 0, IPPROTO_TCP, XLB_FAMILY_V4),	/* all ports */
	VIP("203.0.113.30", 80, IPPROTO_TCP, XLB_FAMILY_V4),
	VIP("2001:db8:100::30", 0, IPPROTO_UDP, XLB_FAMILY_V6),
	VIP("203.0.113.40", 80, IPPROTO_TCP, XLB_FAMILY_V4,
	    .flags = XLB_VIP_SRC_AFFINITY),
	VIP("203.0.113.50", 80, IPPROTO_TCP, XLB_FAMILY_V4,
	    .flags = XLB_VIP_PASS_ALL_DOWN, .all_down = true),
	VIP("203.0.113.51", 80, IPPROTO_TCP, XLB_FAMILY_V4, .all_down = true),
	VIP("203.0.113.60", 80, IPPROTO_TCP, XLB_FAMILY_V4, .no_table = true),
};
const size_t fz_nvips = sizeof(fz_vips) / sizeof(fz_vips[0]);

__u32 fz_be_id(size_t vip, int k)
{
	return (__u32)(vip * 10 + (size_t)k + 1);
}

static struct dataplane *dp;
static int frags_fd;
static __u32 table[TSIZE];
static const struct xlb_hash_key fz_key = { .k0 = 0x5eed0123456789abULL,
					    .k1 = 0x0fedcba987654321ULL,
					    .alg = XLB_HASH_SIPHASH13 };

static int parse(const char *s, union xlb_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, s, a) == 1)
		return XLB_FAMILY_V4;
	if (inet_pton(AF_INET6, s, a) == 1)
		return XLB_FAMILY_V6;
	fprintf(stderr, "bad address %s\n", s);
	exit(2);
}

/* Maglev tables and the hash, keyed or not: the world changes its hash
 * now and then, so both paths are fuzzed. */
static int set_hash(bool keyed)
{
	static const struct xlb_hash_key none = { .alg = XLB_HASH_JHASH };
	const struct xlb_hash_key *hk = keyed ? &fz_key : &none;
	int err = dataplane_set_hash_key(dp, hk);

	for (size_t v = 0; v < fz_nvips && !err; v++) {
		struct maglev_backend mb[FZ_MAX_BE];

		if (fz_vips[v].no_table)
			continue;
		for (int k = 0; k < FZ_MAX_BE; k++)
			mb[k] = (struct maglev_backend){
				.id = fz_be_id(v, k), .weight = 1,
				.key = fz_be_id(v, k) * 7919ULL };
		err = maglev_build_keyed(mb, FZ_MAX_BE, hk, 0x5eed, table,
					 TSIZE);
		if (!err)
			err = dataplane_set_table(dp, (__u32)v, table, TSIZE);
	}
	return err;
}

static int world_setup(void)
{
	struct xlb_config cfg = { .hash_seed = 0x5eed,
				  .flags = XLB_CFG_NO_FIB,
				  .mtu = FZ_MTU,
				  .src_hostbits = FZ_HOSTBITS };
	int err;

	parse("192.0.2.240", &fz_src4);
	parse("2001:db8:ff::", &fz_src6);
	memcpy(cfg.gw_mac, fz_mac_gw, 6);
	cfg.src4 = fz_src4.v4;
	memcpy(cfg.src6, fz_src6.v6, 16);
	err = dataplane_set_config(dp, &cfg);
	for (size_t v = 0; v < fz_nvips && !err; v++) {
		struct fz_vip *fv = &fz_vips[v];
		struct xlb_vip_info info = { .vip_id = (__u32)v,
					     .flags = fv->flags };
		struct xlb_vip_key key = { .port = htons(fv->port),
					   .proto = fv->proto };

		key.family = (__u8)parse(fv->addr, &key.addr);
		fv->family = key.family;
		fv->vaddr = key.addr;
		err = dataplane_set_vip(dp, &key, &info);
		for (int k = 0; k < FZ_MAX_BE && !err; k++) {
			struct xlb_backend be = { .vip_id = (__u16)v,
						  .family = fv->be_family };
			__u32 id = fz_be_id(v, k);

			if (fv->be_family == XLB_FAMILY_V4) {
				be.addr.v4 = htonl(0xc0000200 | id);
			} else {
				be.addr.v6[0] = htonl(0x20010db8);
				be.addr.v6[1] = htonl(0x000b0000);
				be.addr.v6[3] = htonl(id);
			}
			fv->be[k] = be.addr;
			err = dataplane_set_backend(dp, id, &be);
			if (!err && fv->all_down)
				err = dataplane_set_backend_down(dp, id, true);
		}
	}
	if (!err)
		err = set_hash(false);
	frags_fd = dataplane_map_fd(dp, "frags");
	return err ? err : frags_fd < 0 ? frags_fd : 0;
}

/* ---- one frame ---- */

struct run {
	const __u8 *in;
	size_t in_len;
	__u8 out[FZ_FRAME_MAX + 64];
	size_t out_len;
	__u32 verdict;
	int reason;		/* the one verdict reason counted */
	struct ref ref;
	char violation[256];
};

static __u64 reasons_before[XLB_REASON_MAX];
static __u64 reasons_total[XLB_REASON_MAX];	/* over the whole run */
static bool verdict_reason[XLB_REASON_MAX];

static bool fail(struct run *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static bool fail(struct run *r, const char *fmt, ...)
{
	va_list ap;

	if (r->violation[0])
		return false;	/* the first one says it */
	va_start(ap, fmt);
	vsnprintf(r->violation, sizeof(r->violation), fmt, ap);
	va_end(ap);
	return false;
}

static __u16 get16(const __u8 *b)
{
	return (__u16)(b[0] << 8 | b[1]);
}

static __u16 csum(__u32 sum, const __u8 *b, size_t len)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += get16(b + i);
	if (len & 1)
		sum += (__u32)b[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)sum;	/* 0xffff when the sum checks */
}

static bool be_of(const struct fz_vip *v, const __u8 *addr, __u8 family)
{
	if (v->be_family != family)
		return false;
	for (int k = 0; k < FZ_MAX_BE; k++)
		if (!memcmp(&v->be[k], addr, family == XLB_FAMILY_V4 ? 4 : 16))
			return true;
	return false;
}

static const struct fz_vip *vip_of_backend(__u32 id)
{
	size_t v = (id - 1) / 10;

	return id && v < fz_nvips ? &fz_vips[v] : NULL;
}

static const union xlb_addr *addr_of_backend(__u32 id)
{
	const struct fz_vip *v = vip_of_backend(id);

	return v ? &v->be[(id - 1) % 10] : NULL;
}

/* The L2 header of out: in's tags, the MACs given, ethertype type. */
static bool check_l2(struct run *r, const __u8 *dmac, const __u8 *smac,
		     __u16 type)
{
	size_t l2 = r->ref.l2_len;

	if (r->out_len < l2)
		return fail(r, "output shorter than its L2 header");
	if (memcmp(r->out, dmac, 6) || memcmp(r->out + 6, smac, 6))
		return fail(r, "output MAC addresses");
	if (memcmp(r->out + 12, r->in + 12, l2 - 14))
		return fail(r, "output VLAN tags differ from the input's");
	if (get16(r->out + l2 - 2) != type)
		return fail(r, "output ethertype %#x, want %#x",
			    get16(r->out + l2 - 2), type);
	return true;
}

/* Forwarded: the input's IP packet (and whatever followed it) behind an
 * outer header to backend want (0: any backend of vip). */
static bool check_encap(struct run *r, const struct fz_vip *vip, __u32 want)
{
	const struct ref *f = &r->ref;
	size_t l2 = f->l2_len, over;
	const __u8 *o = r->out + l2;
	const union xlb_addr *wa = want ? addr_of_backend(want) : NULL;
	__u8 bf = want ? vip_of_backend(want)->be_family : vip->be_family;
	__u8 inner = f->family == XLB_FAMILY_V4 ? IPPROTO_IPIP : IPPROTO_IPV6;

	over = bf == XLB_FAMILY_V4 ? XLB_IPIP_OVERHEAD : XLB_IP6IP6_OVERHEAD;
	if (f->ip_len + over > FZ_MTU)
		return fail(r, "forwarded %zu bytes over the MTU",
			    f->ip_len + over);
	if (!check_l2(r, fz_mac_gw, r->in,
		      bf == XLB_FAMILY_V4 ? 0x0800 : 0x86dd))
		return false;
	if (r->out_len != r->in_len + over)
		return fail(r, "output %zu bytes, want the input's %zu + %zu",
			    r->out_len, r->in_len, over);
	if (memcmp(o + over, r->in + l2, r->in_len - l2))
		return fail(r, "inner packet is not the input's");
	if (bf == XLB_FAMILY_V4) {
		if (o[0] != 0x45 || o[1] != f->tos ||
		    get16(o + 2) != f->ip_len + 20 || get16(o + 4) != 0 ||
		    get16(o + 6) != 0x4000 || o[8] != 64 || o[9] != inner)
			return fail(r, "outer ipv4 header fields");
		if (csum(0, o, 20) != 0xffff)
			return fail(r, "outer ipv4 checksum");
		if (((o[12] << 24 | o[13] << 16 | o[14] << 8 | o[15]) &
		     ~((1U << FZ_HOSTBITS) - 1)) != ntohl(fz_src4.v4))
			return fail(r, "outer ipv4 source outside its block");
		if (wa ? memcmp(o + 16, wa, 4) : !be_of(vip, o + 16, bf))
			return fail(r, "outer destination is not %s",
				    want ? "the flow's backend"
					 : "a backend of the VIP");
		return true;
	}
	if (o[0] >> 4 != 6 || (__u8)(o[0] << 4 | o[1] >> 4) != f->tos ||
	    get16(o + 4) != f->ip_len || o[6] != inner || o[7] != 64)
		return fail(r, "outer ipv6 header fields");
	if (memcmp(o + 8, &fz_src6, 15) ||
	    (o[23] & ~((1U << FZ_HOSTBITS) - 1)) != ((__u8 *)&fz_src6)[15])
		return fail(r, "outer ipv6 source outside its block");
	if (wa ? memcmp(o + 24, wa, 16) : !be_of(vip, o + 24, bf))
		return fail(r, "outer destination is not %s",
			    want ? "the flow's backend" : "a backend of the VIP");
	return true;
}

/* An ICMP too-big error back to the input's source: addresses swapped,
 * checksums right, the MTU less the overhead, the quote the input's. */
static bool check_too_big(struct run *r, size_t over)
{
	const struct ref *f = &r->ref;
	size_t l2 = f->l2_len, q;
	const __u8 *o = r->out + l2, *in = r->in + l2;

	if (!ref_unicast(&f->key.src, f->family))
		return fail(r, "icmp error to a non-unicast source");
	if (f->family == XLB_FAMILY_V4) {
		q = (size_t)(in[0] & 15) * 4 + 8;
		if (!check_l2(r, r->in + 6, r->in, 0x0800))
			return false;
		if (r->out_len != l2 + 28 + q)
			return fail(r, "icmp error length %zu", r->out_len);
		if (o[0] != 0x45 || get16(o + 2) != 28 + q || o[9] != 1 ||
		    csum(0, o, 20) != 0xffff)
			return fail(r, "icmp error's ipv4 header");
		if (memcmp(o + 12, in + 16, 4) || memcmp(o + 16, in + 12, 4))
			return fail(r, "icmp error's addresses");
		if (o[20] != 3 || o[21] != 4 ||
		    get16(o + 26) != (FZ_MTU - over > 68 ? FZ_MTU - over : 68))
			return fail(r, "icmp frag-needed type, code or MTU");
		if (csum(0, o + 20, 8 + q) != 0xffff)
			return fail(r, "icmp checksum");
		if (memcmp(o + 28, in, q))
			return fail(r, "icmp quote is not the input's header");
		return true;
	}
	q = f->ip_len < 128 ? f->ip_len & ~1UL : 128;
	if (!check_l2(r, r->in + 6, r->in, 0x86dd))
		return false;
	if (r->out_len != l2 + 48 + q)
		return fail(r, "icmpv6 error length %zu", r->out_len);
	if (o[0] >> 4 != 6 || get16(o + 4) != 8 + q || o[6] != 58)
		return fail(r, "icmpv6 error's ipv6 header");
	if (memcmp(o + 8, in + 24, 16) || memcmp(o + 24, in + 8, 16))
		return fail(r, "icmpv6 error's addresses");
	if (o[40] != 2 || o[41] != 0 ||
	    (o[44] << 24 | o[45] << 16 | o[46] << 8 | o[47]) !=
		    (int)(FZ_MTU - over > 1280 ? FZ_MTU - over : 1280))
		return fail(r, "icmpv6 packet-too-big type, code or MTU");
	if (csum(csum(58 + 8 + (__u32)q, o + 8, 32), o + 40, 8 + q) != 0xffff)
		return fail(r, "icmpv6 checksum");
	if (memcmp(o + 48, in, q))
		return fail(r, "icmpv6 quote is not the input's packet");
	return true;
}

/* Too big once encapsulated with overhead over: an ICMP error where one
 * may go, over the rate a drop; a drop where none may. */
static bool check_oversize(struct run *r, size_t over, bool icmp_ok)
{
	if (!icmp_ok || !ref_unicast(&r->ref.key.src, r->ref.family))
		return r->reason == XLB_DROP_OVERSIZE ||
		       fail(r, "too big, no icmp allowed: want drop_oversize");
	if (r->reason == XLB_DROP_ICMP_RATE)
		return true;
	if (r->reason != XLB_ICMP_TOO_BIG_SENT)
		return fail(r, "too big: want an icmp error or drop_icmp_rate");
	return check_too_big(r, over);
}

static size_t overhead(__u8 be_family)
{
	return be_family == XLB_FAMILY_V4 ? XLB_IPIP_OVERHEAD
					  : XLB_IP6IP6_OVERHEAD;
}

static bool want_reason(struct run *r, int reason)
{
	if (r->reason == reason)
		return true;
	return fail(r, "counted %s, want %s", xlb_reason_name(r->reason),
		    xlb_reason_name(reason));
}

static bool check_vip(struct run *r)
{
	const struct fz_vip *v = r->ref.vip;
	struct xlb_flow fl;
	size_t over = overhead(v->be_family);

	if (v->no_table)
		return want_reason(r, XLB_DROP_NO_TABLE);
	if (v->all_down && (v->flags & XLB_VIP_PASS_ALL_DOWN))
		return want_reason(r, XLB_PASS_ALL_DOWN);
	if (v->all_down)
		return want_reason(r, XLB_DROP_ALL_DOWN);
	if (r->ref.ip_len + over > FZ_MTU)
		return check_oversize(r, over, r->ref.df);
	if (!want_reason(r, XLB_FWD_TX))
		return false;
	/* a flow the table holds went to its backend */
	if (!dataplane_lookup_flow(dp, &r->ref.key, &fl))
		return check_encap(r, v, fl.backend_id);
	return check_encap(r, v, 0);
}

/* An ICMP error about a VIP flow: to the flow's backend if the table
 * holds the flow, dropped if not; never answered with ICMP. */
static bool check_icmp_error(struct run *r)
{
	struct xlb_flow fl;

	if (dataplane_lookup_flow(dp, &r->ref.key, &fl))
		return want_reason(r, XLB_DROP_ICMP_NO_FLOW);
	if (r->ref.ip_len + overhead(vip_of_backend(fl.backend_id)->be_family) >
	    FZ_MTU)
		return want_reason(r, XLB_DROP_OVERSIZE);
	return want_reason(r, XLB_FWD_TX) &&
	       check_encap(r, r->ref.vip, fl.backend_id);
}

/* A later fragment: where its datagram's first fragment went, or passed
 * when none was seen. */
static bool check_frag_later(struct run *r)
{
	struct xlb_frag_key k = { .src = r->ref.key.src,
				  .dst = r->ref.key.dst,
				  .id = r->ref.frag_id,
				  .proto = r->ref.key.proto,
				  .family = r->ref.key.family };
	const struct fz_vip *v;
	struct xlb_flow first;

	if (bpf_map_lookup_elem(frags_fd, &k, &first))
		return want_reason(r, XLB_PASS_FRAG_UNTRACKED);
	v = vip_of_backend(first.backend_id);
	if (!v)
		return fail(r, "the datagram's backend %u is none of ours",
			    first.backend_id);
	if (r->ref.ip_len + overhead(v->be_family) > FZ_MTU)
		return check_oversize(r, overhead(v->be_family),
				      r->ref.family == XLB_FAMILY_V6);
	return want_reason(r, XLB_FWD_TX) &&
	       check_encap(r, v, first.backend_id);
}

/* The verdict and the one verdict reason agree. */
static bool check_verdict(struct run *r)
{
	const char *name = xlb_reason_name(r->reason);
	__u32 want = !strncmp(name, "pass_", 5) ? XDP_PASS
		     : !strncmp(name, "drop_", 5) ? XDP_DROP
						  : XDP_TX;

	if (r->verdict != want)
		return fail(r, "verdict %u, counted as %s", r->verdict, name);
	if (r->verdict == XDP_PASS &&
	    (r->out_len != r->in_len || memcmp(r->out, r->in, r->in_len)))
		return fail(r, "passed, but changed");
	return true;
}

static bool judge(struct run *r)
{
	switch (r->ref.cls) {
	case REF_PASS:
	case REF_MALFORMED:
		return want_reason(r, r->ref.reason) && check_verdict(r);
	case REF_VIP:
		return check_verdict(r) && check_vip(r);
	case REF_ICMP_ERR:
		return check_verdict(r) && check_icmp_error(r);
	case REF_FRAG_LATER:
		return check_verdict(r) && check_frag_later(r);
	}
	return fail(r, "no rule");
}

static __u64 executions;

/* Runs a frame and judges it; false on a violation (in r->violation). */
static bool run_frame(struct run *r, const __u8 *in, size_t len)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = in,
		    .data_size_in = (__u32)len, .data_out = r->out,
		    .data_size_out = sizeof(r->out), .repeat = 1);
	__u64 after[XLB_REASON_MAX];
	int moved = 0;

	r->in = in;
	r->in_len = len;
	r->violation[0] = '\0';
	r->reason = -1;
	ref_parse(in, len, &r->ref);
	if (bpf_prog_test_run_opts(dataplane_prog_fd(dp), &o))
		return fail(r, "BPF_PROG_TEST_RUN: %s", strerror(errno));
	executions++;
	r->verdict = o.retval;
	r->out_len = o.data_size_out;
	if (dataplane_read_reasons(dp, after))
		return fail(r, "reading the counters");
	for (int i = 0; i < XLB_REASON_MAX; i++) {
		reasons_total[i] += after[i] - reasons_before[i];
		if (verdict_reason[i] && after[i] != reasons_before[i]) {
			moved += (int)(after[i] - reasons_before[i]);
			r->reason = i;
		}
		reasons_before[i] = after[i];
	}
	if (moved != 1)
		return fail(r, "%d verdict reasons counted, want 1", moved);
	if (!judge(r))
		return false;
	fz_remember(&r->ref);
	return true;
}

/* ---- reporting ---- */

static const char *out_dir = "build/fuzz";
static unsigned long violations;

/* Shown in full and kept: the first violations; the rest are counted by
 * what they broke. */
#define SHOWN 20
#define KINDS 64

static struct {
	char what[128];
	unsigned long n;
} kinds[KINDS];

static void tally(const char *what)
{
	for (int i = 0; i < KINDS; i++) {
		if (!kinds[i].n)
			snprintf(kinds[i].what, sizeof(kinds[i].what), "%.120s",
				 what);
		if (!strncmp(kinds[i].what, what, sizeof(kinds[i].what) - 1)) {
			kinds[i].n++;
			return;
		}
	}
}

static void hex(FILE *f, const __u8 *b, size_t len)
{
	for (size_t i = 0; i < len; i++)
		fprintf(f, "%02x", b[i]);
	fprintf(f, "\n");
}

static void report(const struct run *r, const char *kind)
{
	static const char *const cls[] = { "pass", "malformed", "vip",
					   "icmp error", "later fragment" };
	char path[512];
	FILE *f;

	violations++;
	tally(r->violation);
	if (violations > SHOWN)
		return;
	printf("VIOLATION: %s\n  frame (%s, %zu bytes): ", r->violation, kind,
	       r->in_len);
	hex(stdout, r->in, r->in_len < 160 ? r->in_len : 160);
	printf("  reference: %s (%s); balancer: verdict %u, %s, %zu bytes\n",
	       cls[r->ref.cls], r->ref.why, r->verdict,
	       r->reason >= 0 ? xlb_reason_name((unsigned int)r->reason)
			      : "no reason", r->out_len);
	if (r->out_len) {
		printf("  output: ");
		hex(stdout, r->out, r->out_len < 160 ? r->out_len : 160);
	}
	mkdir(out_dir, 0755);
	snprintf(path, sizeof(path), "%s/violation-%lu.hex", out_dir,
		 violations);
	f = fopen(path, "w");
	if (f) {
		fprintf(f, "# %s\n# reference: %s\n", r->violation,
			r->ref.why);
		hex(f, r->in, r->in_len);
		fclose(f);
		printf("  kept in %s\n", path);
	}
}

/* ---- main ---- */

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The world changes now and then: the flow and fragment tables emptied,
 * the hash keyed or not. */
static int reshuffle(struct fz_rng *rng)
{
	int err = dataplane_clear_flows(dp);

	if (!err)
		err = set_hash(fz_below(rng, 2));
	return err;
}

/* Fuzzes until seconds pass (or a signal); counts in *frames. */
static int fuzz(__u64 seed, double seconds, const struct fz_seed *seeds,
		size_t nseeds, __u64 *frames, unsigned long *bad)
{
	static __u8 buf[FZ_FRAME_MAX];
	static struct run r;
	struct fz_rng rng = { .s = seed ? seed : 1 };
	double start = now_s(), last = start, t;
	const char *kind;
	__u64 last_n = 0;
	int err;

	*frames = 0;
	*bad = 0;
	while (!stop) {
		if (!(*frames % 1024)) {
			t = now_s();
			if (t - start >= seconds)
				break;
			if (t - last >= 60) {
				fprintf(stderr, "  %.0f s: %llu frames, %.0f/s, "
					"%lu violations\n", t - start,
					(unsigned long long)*frames,
					(*frames - last_n) / (t - last), *bad);
				last = t;
				last_n = *frames;
			}
		}
		if (*frames && !(*frames % RESHUFFLE)) {
			err = reshuffle(&rng);
			if (err)
				return err;
		}
		size_t len = fz_generate(&rng, seeds, nseeds, buf, &kind);

		++*frames;
		if (len < 14)	/* BPF_PROG_TEST_RUN takes no less */
			continue;
		if (!run_frame(&r, buf, len)) {
			++*bad;
			report(&r, kind);
		}
	}
	return 0;
}

/* What a suite says when it cannot even start. */
static int cannot_start(const char *what, int err)
{
	printf("%s: %s (xlb-fuzz needs root)\n0 passed, 1 failed\n", what,
	       strerror(err));
	return 1;
}

static void usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s [-t SECONDS] [-s SEED] [-d SEEDS_DIR] [-o OUT_DIR] "
		"[--smoke]\n"
		"  -t  how long to fuzz (default 600; --smoke: 3)\n"
		"  -s  the generator's seed (default: from the clock; "
		"--smoke: 1)\n"
		"  -d  seed frames, one hex file each (tests/fuzz/seeds)\n"
		"  -o  where frames that break a rule are kept (build/fuzz)\n",
		prog);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "smoke", no_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 },
	};
	struct dataplane_opts dopts = { .flow_entries = FLOW_ENTRIES };
	const char *seeds_dir = "tests/fuzz/seeds";
	double seconds = -1, t0, secs;
	struct fz_seed *seeds = NULL;
	__u64 seed = 0, frames = 0;
	unsigned long bad = 0;
	int pass = 0, nfail = 0, opt, err;
	size_t nseeds = 0;
	bool smoke = false;

	while ((opt = getopt_long(argc, argv, "t:s:d:o:h", longopts, NULL)) !=
	       -1) {
		switch (opt) {
		case 't':
			seconds = atof(optarg);
			break;
		case 's':
			seed = strtoull(optarg, NULL, 0);
			break;
		case 'd':
			seeds_dir = optarg;
			break;
		case 'o':
			out_dir = optarg;
			break;
		case 'S':
			smoke = true;
			break;
		default:
			usage(argv[0]);
			return 2;
		}
	}
	if (seconds < 0)
		seconds = smoke ? 3 : 600;
	if (!seed)
		seed = smoke ? 1 : (__u64)time(NULL);
	setvbuf(stdout, NULL, _IOLBF, 0);
	log_init(LOG_LVL_WARN);
	/* a network namespace of its own: nothing here touches the host's */
	if (unshare(CLONE_NEWNET))
		return cannot_start("unshare(CLONE_NEWNET)", errno);
	err = fz_load_seeds(seeds_dir, &seeds, &nseeds);
	if (err)
		fprintf(stderr, "seeds in %s: %s\n", seeds_dir, strerror(-err));
	dp = dataplane_open(&dopts);
	if (!dp)
		return cannot_start("loading the balancer", errno);
	err = world_setup();
	if (err)
		return cannot_start("setting up its maps", -err);
	for (int i = 0; i < XLB_REASON_MAX; i++) {
		const char *n = xlb_reason_name((unsigned int)i);

		verdict_reason[i] = !strncmp(n, "fwd_", 4) ||
				    !strncmp(n, "pass_", 5) ||
				    !strncmp(n, "drop_", 5) ||
				    !strcmp(n, "icmp_too_big_sent");
	}
	dataplane_read_reasons(dp, reasons_before);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	/* every seed frame as it is, each a test */
	for (size_t i = 0; i < nseeds; i++) {
		static struct run r;
		bool ok = run_frame(&r, seeds[i].data, seeds[i].len);

		if (!ok)
			report(&r, "seed");
		printf("%s %zu - seed %s: %s\n", ok ? "ok" : "not ok", i + 1,
		       seeds[i].name, r.ref.why);
		ok ? pass++ : nfail++;
	}

	printf("fuzzing %.0f s from seed %llu (xlb-fuzz -s %llu to "
	       "repeat)\n", seconds, (unsigned long long)seed,
	       (unsigned long long)seed);
	t0 = now_s();
	err = fuzz(seed, seconds, seeds, nseeds, &frames, &bad);
	secs = now_s() - t0;
	printf("%llu frames in %.1f s: %.0f frames/s, %llu executions "
	       "(BPF_PROG_TEST_RUN), %lu violations\n",
	       (unsigned long long)frames, secs, frames / secs,
	       (unsigned long long)executions, bad);
	for (int i = 0; i < KINDS && kinds[i].n; i++)
		printf("  %lu x %s\n", kinds[i].n, kinds[i].what);
	printf("counted:");
	for (int i = 0; i < XLB_REASON_MAX; i++)
		if (reasons_total[i])
			printf(" %s %llu", xlb_reason_name((unsigned int)i),
			       (unsigned long long)reasons_total[i]);
	printf("\n");
	if (err)
		printf("fuzzing stopped: %s\n", strerror(-err));
	printf("%s %zu - %llu frames, %lu violations\n",
	       !err && !bad ? "ok" : "not ok", nseeds + 1,
	       (unsigned long long)frames, bad);
	!err && !bad ? pass++ : nfail++;
	dataplane_close(dp);
	free(seeds);
	printf("%d passed, %d failed\n", pass, nfail);
	return nfail ? 1 : 0;
}
