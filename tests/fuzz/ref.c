// SPDX-License-Identifier: GPL-2.0
/* The fuzzer's reference parser: the README's frame rules written again,
 * byte by byte over a plain buffer, apart from bpf/lib/parse.h (nothing
 * shared but the ABI's constants), so that the two can disagree. */
#include <string.h>
#include <netinet/in.h>

#include "fuzz.h"

#define ETH_IP 0x0800
#define ETH_IPV6 0x86dd
#define ETH_VLAN 0x8100
#define ETH_QINQ 0x88a8

static __u16 be16(const __u8 *b)
{
	return (__u16)(b[0] << 8 | b[1]);
}

static void set(struct ref *r, enum ref_class cls, int reason,
		const char *why)
{
	r->cls = cls;
	r->reason = reason;
	r->why = why;
}

static void pass(struct ref *r, int reason, const char *why)
{
	set(r, REF_PASS, reason, why);
}

static void malformed(struct ref *r, const char *why)
{
	set(r, REF_MALFORMED, XLB_DROP_MALFORMED, why);
}

const struct fz_vip *ref_vip_lookup(const struct xlb_flow_key *k)
{
	const struct fz_vip *any = NULL;

	for (size_t i = 0; i < fz_nvips; i++) {
		const struct fz_vip *v = &fz_vips[i];

		if (v->family != k->family || v->proto != k->proto ||
		    memcmp(&v->vaddr, &k->dst, sizeof(v->vaddr)))
			continue;
		if (v->port == ntohs(k->dport))
			return v;
		if (!v->port)
			any = v;
	}
	return any;
}

bool ref_unicast(const union xlb_addr *a, __u8 family)
{
	const __u8 *b = (const __u8 *)a;
	static const __u8 zero[16], one[16] = { [15] = 1 };

	if (family == XLB_FAMILY_V4)
		return b[0] != 0 && b[0] != 127 && b[0] < 224;
	return b[0] != 0xff && memcmp(b, zero, 16) && memcmp(b, one, 16);
}

/* TCP or UDP at pos; the packet ends at ip_end, the frame at len. */
static void ref_l4(const __u8 *f, size_t len, size_t pos, size_t ip_end,
		   struct ref *r)
{
	const struct fz_vip *v;
	size_t ulen;

	if (r->key.proto == IPPROTO_TCP) {
		if (pos + 20 > len)
			return malformed(r, "tcp header past the frame");
		if (f[pos + 12] >> 4 < 5)
			return malformed(r, "tcp data offset below 5");
		if (pos + (size_t)(f[pos + 12] >> 4) * 4 > ip_end)
			return malformed(r, "tcp data offset past the packet");
		r->tcp_flags = f[pos + 13];
	} else {
		if (pos + 8 > len || pos + 8 > ip_end)
			return malformed(r, "udp header past the packet");
		ulen = be16(f + pos + 4);
		if (ulen < 8)
			return malformed(r, "udp length below 8");
		if (!r->frag_first && pos + ulen > ip_end)
			return malformed(r, "udp length past the packet");
	}
	memcpy(&r->key.sport, f + pos, 2);
	memcpy(&r->key.dport, f + pos + 2, 2);
	v = ref_vip_lookup(&r->key);
	if (!v)
		return pass(r, XLB_PASS_NOT_VIP, "tcp/udp, no VIP");
	r->vip = v;
	set(r, REF_VIP, -1, "tcp/udp for a VIP");
}

/* The quoted packet of an ICMP error at q (its ports at qp, its source
 * at qsrc, protocol qproto): about a VIP flow, or passed. */
static void ref_quote(const __u8 *qsrc, const __u8 *qdst, size_t alen,
		      const __u8 *qp, __u8 qproto, struct ref *r)
{
	const struct fz_vip *v;

	if (qproto != IPPROTO_TCP && qproto != IPPROTO_UDP)
		return pass(r, XLB_PASS_NOT_VIP, "quote: not tcp/udp");
	if (memcmp(qsrc, &r->key.dst, alen))
		return pass(r, XLB_PASS_NOT_VIP,
			    "error not sent to the quoted packet's source");
	memset(&r->key.src, 0, sizeof(r->key.src));
	memset(&r->key.dst, 0, sizeof(r->key.dst));
	memcpy(&r->key.src, qdst, alen);	/* the client */
	memcpy(&r->key.dst, qsrc, alen);	/* the VIP */
	memcpy(&r->key.sport, qp + 2, 2);
	memcpy(&r->key.dport, qp, 2);
	r->key.proto = qproto;
	v = ref_vip_lookup(&r->key);
	if (!v)
		return pass(r, XLB_PASS_NOT_VIP, "quote: no VIP flow");
	r->vip = v;
	set(r, REF_ICMP_ERR, -1, "icmp error about a VIP flow");
}

static void ref_icmp4(const __u8 *f, size_t len, size_t pos, size_t ip_end,
		      struct ref *r)
{
	size_t q = pos + 8, qp;

	if (pos + 8 > len || pos + 8 > ip_end)
		return malformed(r, "icmp header past the packet");
	if (f[pos] != 3 || f[pos + 1] != 4)
		return pass(r, XLB_PASS_NOT_VIP, "icmp, not frag-needed");
	if (q + 20 > len || q + 20 > ip_end || f[q] >> 4 != 4 ||
	    (f[q] & 15) < 5)
		return pass(r, XLB_PASS_UNPARSED, "quote: no ipv4 header");
	qp = q + (size_t)(f[q] & 15) * 4;
	if (qp + 4 > len || qp + 4 > ip_end)
		return pass(r, XLB_PASS_UNPARSED, "quote: ports past it");
	if (be16(f + q + 6) & 0x1fff)
		return pass(r, XLB_PASS_UNPARSED, "quote: a later fragment");
	ref_quote(f + q + 12, f + q + 16, 4, f + qp, f[q + 9], r);
}

static void ref_icmp6(const __u8 *f, size_t len, size_t pos, size_t ip_end,
		      struct ref *r)
{
	size_t q = pos + 8, qp = q + 40;

	if (pos + 8 > len || pos + 8 > ip_end)
		return malformed(r, "icmpv6 header past the packet");
	if (f[pos] != 2)
		return pass(r, XLB_PASS_NOT_VIP, "icmpv6, not packet-too-big");
	if (qp + 4 > len || qp + 4 > ip_end || f[q] >> 4 != 6)
		return pass(r, XLB_PASS_UNPARSED, "quote: no ipv6 and ports");
	ref_quote(f + q + 8, f + q + 24, 16, f + qp, f[q + 6], r);
}

static void ref_ipv4(const __u8 *f, size_t len, struct ref *r)
{
	size_t l3 = r->l2_len, hl, ip_end;
	__u16 frag;

	if (l3 + 20 > len)
		return malformed(r, "ipv4 header past the frame");
	hl = (size_t)(f[l3] & 15) * 4;
	if (f[l3] >> 4 != 4 || hl < 20)
		return malformed(r, "ipv4 version or IHL");
	if (l3 + hl > len)
		return malformed(r, "ipv4 IHL past the frame");
	r->ip_len = be16(f + l3 + 2);
	if (r->ip_len < hl || l3 + r->ip_len > len)
		return malformed(r, "ipv4 total length");
	ip_end = l3 + r->ip_len;
	r->family = XLB_FAMILY_V4;
	r->tos = f[l3 + 1];
	frag = be16(f + l3 + 6);
	r->df = frag & 0x4000;
	r->frag_id = be16(f + l3 + 4);
	r->key.family = XLB_FAMILY_V4;
	r->key.proto = f[l3 + 9];
	memcpy(&r->key.src, f + l3 + 12, 4);
	memcpy(&r->key.dst, f + l3 + 16, 4);
	if (frag & 0x1fff)
		return set(r, REF_FRAG_LATER, -1, "ipv4 later fragment");
	r->frag_first = frag & 0x2000;
	if (r->key.proto == IPPROTO_ICMP)
		return ref_icmp4(f, len, l3 + hl, ip_end, r);
	if (r->key.proto != IPPROTO_TCP && r->key.proto != IPPROTO_UDP)
		return pass(r, XLB_PASS_NOT_VIP, "ipv4, not tcp/udp/icmp");
	ref_l4(f, len, l3 + hl, ip_end, r);
}

static bool ext_header(__u8 nh)
{
	return nh == 0 || nh == 43 || nh == 60 || nh == 44;
}

static void ref_ipv6(const __u8 *f, size_t len, struct ref *r)
{
	size_t l3 = r->l2_len, pos = l3 + 40, ip_end;
	bool more = false;
	__u8 nh;

	if (l3 + 40 > len)
		return malformed(r, "ipv6 header past the frame");
	if (f[l3] >> 4 != 6)
		return malformed(r, "ipv6 version");
	r->ip_len = 40 + (size_t)be16(f + l3 + 4);
	ip_end = l3 + r->ip_len;
	if (ip_end > len)
		return malformed(r, "ipv6 payload length past the frame");
	r->family = XLB_FAMILY_V6;
	r->tos = (__u8)(f[l3] << 4 | f[l3 + 1] >> 4);
	r->df = true;
	r->key.family = XLB_FAMILY_V6;
	memcpy(&r->key.src, f + l3 + 8, 16);
	memcpy(&r->key.dst, f + l3 + 24, 16);
	nh = f[l3 + 6];
	/* at most four extension headers, each within payload_len */
	for (int i = 0; i < 4 && ext_header(nh); i++) {
		if (nh == 44) {
			if (pos + 8 > len || pos + 8 > ip_end)
				return malformed(r, "fragment header past "
						 "payload_len");
			r->frag_id = (__u32)be16(f + pos + 4) << 16 |
				     be16(f + pos + 6);
			more = f[pos + 3] & 1;
			nh = f[pos];
			r->key.proto = nh;
			if (be16(f + pos + 2) >> 3)
				return set(r, REF_FRAG_LATER, -1,
					   "ipv6 later fragment");
			pos += 8;
			continue;
		}
		if (pos + 2 > len)
			return malformed(r, "extension header past the frame");
		nh = f[pos];
		pos += ((size_t)f[pos + 1] + 1) * 8;
		if (pos > len || pos > ip_end)
			return malformed(r, "extension header past "
					 "payload_len");
	}
	if (ext_header(nh))
		return pass(r, XLB_PASS_UNPARSED, "five extension headers");
	r->frag_first = more;
	r->key.proto = nh;
	if (nh == IPPROTO_ICMPV6)
		return ref_icmp6(f, len, pos, ip_end, r);
	if (nh != IPPROTO_TCP && nh != IPPROTO_UDP)
		return pass(r, XLB_PASS_NOT_VIP, "ipv6, not tcp/udp/icmpv6");
	ref_l4(f, len, pos, ip_end, r);
}

void ref_parse(const __u8 *f, size_t len, struct ref *r)
{
	size_t pos = 14;
	__u16 type;

	memset(r, 0, sizeof(*r));
	if (len < 14)
		return malformed(r, "no Ethernet header");
	type = be16(f + 12);
	for (int i = 0; i < 2 && (type == ETH_VLAN || type == ETH_QINQ); i++) {
		if (pos + 4 > len)
			return malformed(r, "VLAN tag past the frame");
		type = be16(f + pos + 2);
		pos += 4;
	}
	if (type == ETH_VLAN || type == ETH_QINQ)
		return pass(r, XLB_PASS_UNPARSED, "a third VLAN tag");
	r->l2_len = pos;
	if (type == ETH_IP)
		return ref_ipv4(f, len, r);
	if (type == ETH_IPV6)
		return ref_ipv6(f, len, r);
	pass(r, XLB_PASS_NOT_IP, "not IP");
}
