// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The xlb balancer: parse, match a VIP, keep or pick a backend (flow table,
 * then weighted Maglev), encapsulate and send to it for direct return. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "xlb_abi.h"
#include "lib/consts.h"
#include "lib/parse.h"
#include "lib/hash.h"
#include "lib/maps.h"
#include "lib/encap.h"
#include "lib/track.h"
#include "lib/nexthop.h"
#include "lib/ratelimit.h"

/* parse_packet's answer when the packet may belong to a VIP. */
#define XLB_CANDIDATE XLB_REASON_MAX

/* What kind of VIP-bound packet this is. */
enum packet_kind {
	PKT_FLOW,		/* ordinary TCP/UDP packet */
	PKT_FRAG_FIRST,		/* first fragment: schedule and remember */
	PKT_FRAG_LATER,		/* later fragment: follow the first */
	PKT_ICMP_ERROR,		/* too-big error about a VIP flow */
};

struct packet {
	struct xlb_flow_key key;	/* the flow as the client sends it */
	__u32 l2_len;		/* bytes before the IP header */
	__u32 ip_len;		/* IP header + payload, from the header */
	__u32 frag_id;
	__u8 kind;		/* enum packet_kind */
	__u8 tos;		/* TOS / traffic class, copied outward */
	__u8 tcp_flags;
	__u8 df;		/* IPv4 don't-fragment (IPv6: always) */
	__u8 src_only;		/* hash the source address alone (affinity) */
	__u8 hashed;		/* hash below is computed */
	__u32 seed;		/* jhash seed, from the config (no key) */
	__u32 hash;		/* flow hash, see packet_hash() */
	__u64 now;		/* coarse clock, read once a VIP matched */
};

/* The flow hash, computed on first use: a miss needs it for Maglev, the
 * outer header for its source bits and IPv6 flow label; a flow-table hit
 * to an IPv4 backend with no source bits configured never pays for it.
 * Keyed (SipHash-1-3) when the fleet has a secret key, else jhash with
 * the seed (lib/hash.h). */
static __always_inline __u32 packet_hash(struct packet *pkt)
{
	__u32 zero = 0;

	if (!pkt->hashed) {
		pkt->hash = xlb_flow_hash_with(&pkt->key, pkt->src_only,
					       bpf_map_lookup_elem(&hash_key,
								   &zero),
					       pkt->seed);
		pkt->hashed = 1;
	}
	return pkt->hash;
}

/* The hash the outer header takes bits from, 0 when it takes none. Asked
 * once per packet, in forward(): every test of pkt->hashed is a branch the
 * verifier walks both ways. */
static __always_inline __u32 outer_hash(struct packet *pkt,
					const struct xlb_config *cfg,
					const struct xlb_backend *be)
{
	if (be->family == XLB_FAMILY_V6 || cfg->src_hostbits)
		return packet_hash(pkt);
	return 0;
}

/* The clock the data path stamps flows with. The coarse one (CLOCK_MONOTONIC
 * as of the last tick, at most one tick behind) costs a few loads, where
 * bpf_ktime_get_ns reads the TSC: about 30 ns a packet on a VM. Nothing
 * needs better: flows are touched once a second, hints spaced by 10 ms. */
static __always_inline __u64 coarse_now(void)
{
	return bpf_ktime_get_coarse_ns();
}

static __always_inline int verdict(__u32 reason)
{
	count_reason(reason);
	switch (reason) {
	case XLB_PASS_NOT_IP:
	case XLB_PASS_NOT_VIP:
	case XLB_PASS_UNPARSED:
	case XLB_PASS_FRAG_UNTRACKED:
	case XLB_PASS_ALL_DOWN:
		return XDP_PASS;
	case XLB_FWD_TX:
	case XLB_ICMP_TOO_BIG_SENT:
		return XDP_TX;
	}
	return XDP_DROP;
}

/* ICMP frag-needed about a packet the VIP sent (a backend's reply): the
 * quoted header runs VIP -> client, so the client's flow is its reverse.
 * It is about a VIP flow only if sent to the address the quoted packet
 * came from (pkt->key.dst, the outer destination, still holds it). The
 * quoted IP header and ports must lie within the IP packet (ip_end), and
 * the quoted packet be no later fragment (whose first bytes are no
 * ports); only the first 8 bytes of the quoted L4 header are promised.
 * Each bound is checked against data_end too: ip_end is within it, but
 * the verifier only takes data_end for a bound it may read up to. */
static __always_inline __u32 parse_icmp4_error(struct hdr_cursor *nh,
					       void *data_end, void *ip_end,
					       struct packet *pkt)
{
	struct icmphdr *icmp = nh->pos;
	struct iphdr *inner;
	__be16 *ports;

	if ((void *)(icmp + 1) > data_end || (void *)(icmp + 1) > ip_end)
		return XLB_DROP_MALFORMED;
	if (icmp->type != ICMP_DEST_UNREACH || icmp->code != ICMP_FRAG_NEEDED)
		return XLB_PASS_NOT_VIP;
	inner = (void *)(icmp + 1);
	if ((void *)(inner + 1) > data_end || (void *)(inner + 1) > ip_end ||
	    inner->version != 4 || inner->ihl < 5)
		return XLB_PASS_UNPARSED;
	ports = (void *)inner + inner->ihl * 4;
	if ((void *)(ports + 2) > data_end || (void *)(ports + 2) > ip_end ||
	    (inner->frag_off & bpf_htons(IP_OFFSET)))
		return XLB_PASS_UNPARSED;
	if (inner->protocol != IPPROTO_TCP && inner->protocol != IPPROTO_UDP)
		return XLB_PASS_NOT_VIP;
	if (inner->saddr != pkt->key.dst.v4)
		return XLB_PASS_NOT_VIP;
	pkt->key.src.v4 = inner->daddr;
	pkt->key.dst.v4 = inner->saddr;
	pkt->key.sport = ports[1];
	pkt->key.dport = ports[0];
	pkt->key.proto = inner->protocol;
	pkt->kind = PKT_ICMP_ERROR;
	return XLB_CANDIDATE;
}

/* The IPv6 twin: packet-too-big quoting VIP -> client (no extension
 * headers in the quote; anything else is passed on). */
static __always_inline __u32 parse_icmp6_error(struct hdr_cursor *nh,
					       void *data_end, void *ip_end,
					       struct packet *pkt)
{
	struct icmp6hdr *icmp6 = nh->pos;
	struct ipv6hdr *inner;
	__be16 *ports;

	if ((void *)(icmp6 + 1) > data_end || (void *)(icmp6 + 1) > ip_end)
		return XLB_DROP_MALFORMED;
	if (icmp6->icmp6_type != ICMPV6_PKT_TOOBIG)
		return XLB_PASS_NOT_VIP;
	inner = (void *)(icmp6 + 1);
	ports = (void *)(inner + 1);
	if ((void *)(ports + 2) > data_end || (void *)(ports + 2) > ip_end ||
	    inner->version != 6)
		return XLB_PASS_UNPARSED;
	if (inner->nexthdr != IPPROTO_TCP && inner->nexthdr != IPPROTO_UDP)
		return XLB_PASS_NOT_VIP;
	if (inner->saddr.in6_u.u6_addr32[0] != pkt->key.dst.v6[0] ||
	    inner->saddr.in6_u.u6_addr32[1] != pkt->key.dst.v6[1] ||
	    inner->saddr.in6_u.u6_addr32[2] != pkt->key.dst.v6[2] ||
	    inner->saddr.in6_u.u6_addr32[3] != pkt->key.dst.v6[3])
		return XLB_PASS_NOT_VIP;
	__builtin_memcpy(pkt->key.src.v6, &inner->daddr, 16);
	__builtin_memcpy(pkt->key.dst.v6, &inner->saddr, 16);
	pkt->key.sport = ports[1];
	pkt->key.dport = ports[0];
	pkt->key.proto = inner->nexthdr;
	pkt->kind = PKT_ICMP_ERROR;
	return XLB_CANDIDATE;
}

/* Fills pkt; returns XLB_CANDIDATE or the reason to pass/drop. */
static __always_inline __u32 parse_packet(struct xdp_md *ctx,
					  struct packet *pkt)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct hdr_cursor nh = { .pos = data };
	struct ipv6_frag_info frag = {};
	struct ipv6hdr *ip6h;
	struct ethhdr *eth;
	struct iphdr *iph;
	int eth_type, proto;
	__u16 frag_off;
	void *ip_end;

	eth_type = parse_ethhdr(&nh, data_end, &eth);
	if (eth_type == XLB_PARSE_MALFORMED)
		return XLB_DROP_MALFORMED;
	if (eth_type == XLB_PARSE_UNPARSED)
		return XLB_PASS_UNPARSED;
	pkt->l2_len = nh.pos - data;

	if (eth_type == bpf_htons(ETH_P_IP)) {
		proto = parse_iphdr(&nh, data_end, &iph);
		if (proto < 0)
			return XLB_DROP_MALFORMED;
		pkt->key.family = XLB_FAMILY_V4;
		pkt->key.src.v4 = iph->saddr;
		pkt->key.dst.v4 = iph->daddr;
		pkt->key.proto = proto;
		pkt->ip_len = bpf_ntohs(iph->tot_len);
		ip_end = (void *)iph + pkt->ip_len;
		pkt->tos = iph->tos;
		frag_off = bpf_ntohs(iph->frag_off);
		pkt->df = !!(frag_off & IP_DF);
		pkt->frag_id = bpf_ntohs(iph->id);
		if (frag_off & IP_OFFSET) {
			pkt->kind = PKT_FRAG_LATER;
			return XLB_CANDIDATE;
		}
		if (frag_off & IP_MF)
			pkt->kind = PKT_FRAG_FIRST;
		if (proto == IPPROTO_ICMP)
			return parse_icmp4_error(&nh, data_end, ip_end, pkt);
	} else if (eth_type == bpf_htons(ETH_P_IPV6)) {
		proto = parse_ip6hdr(&nh, data_end, &ip6h, &frag);
		if (proto == XLB_PARSE_UNPARSED)
			return XLB_PASS_UNPARSED;
		if (proto < 0)
			return XLB_DROP_MALFORMED;
		pkt->key.family = XLB_FAMILY_V6;
		__builtin_memcpy(pkt->key.src.v6, &ip6h->saddr, 16);
		__builtin_memcpy(pkt->key.dst.v6, &ip6h->daddr, 16);
		pkt->key.proto = proto;
		pkt->ip_len = sizeof(*ip6h) + bpf_ntohs(ip6h->payload_len);
		ip_end = (void *)ip6h + pkt->ip_len;
		pkt->tos = (ip6h->priority << 4) | (ip6h->flow_lbl[0] >> 4);
		pkt->df = 1;
		pkt->frag_id = frag.id;
		if (frag.offset) {
			pkt->kind = PKT_FRAG_LATER;
			return XLB_CANDIDATE;
		}
		if (frag.more)
			pkt->kind = PKT_FRAG_FIRST;
		if (proto == IPPROTO_ICMPV6)
			return parse_icmp6_error(&nh, data_end, ip_end, pkt);
	} else {
		return XLB_PASS_NOT_IP;
	}

	if (proto != IPPROTO_TCP && proto != IPPROTO_UDP)
		return XLB_PASS_NOT_VIP;
	if (parse_ports(&nh, data_end, ip_end, pkt->kind == PKT_FRAG_FIRST,
			proto, &pkt->key.sport, &pkt->key.dport,
			&pkt->tcp_flags))
		return XLB_DROP_MALFORMED;
	return XLB_CANDIDATE;
}

/* Exact (address, port, protocol) first, then the all-ports VIP. */
static __always_inline struct xlb_vip_info *
lookup_vip(const struct xlb_flow_key *flow)
{
	struct xlb_vip_key key = {
		.addr = flow->dst,
		.port = flow->dport,
		.proto = flow->proto,
		.family = flow->family,
	};
	struct xlb_vip_info *vip;

	vip = bpf_map_lookup_elem(&vips, &key);
	if (vip)
		return vip;
	key.port = 0;
	return bpf_map_lookup_elem(&vips, &key);
}

static __always_inline struct xlb_backend *usable_backend(__u32 id)
{
	struct xlb_backend *be;

	if (!id)
		return NULL;
	be = bpf_map_lookup_elem(&backends, &id);
	if (!be || !be->family || (be->flags & XLB_BACKEND_DOWN))
		return NULL;
	return be;
}

/* Maglev lookup. A slot whose backend is flagged down is skipped for the
 * next slots, so one map write takes a backend out before any rebuild.
 * Returns the backend id, 0 when none is usable (reason says why). */
static __always_inline __u32 maglev_pick(__u32 vip_id, __u32 hash,
					 __u32 *reason)
{
	__u32 zero = 0, slot, idx, n, i;
	__u32 *size, *id;
	void *table;

	table = bpf_map_lookup_elem(&maglev_tables, &vip_id);
	if (!table) {
		*reason = XLB_DROP_NO_TABLE;
		return 0;
	}
	size = bpf_map_lookup_elem(table, &zero);
	if (!size || !*size) {
		*reason = XLB_DROP_NO_TABLE;
		return 0;
	}
	n = *size;
	slot = hash % n;
	for (i = 0; i <= XLB_DOWN_PROBES; i++) {
		idx = XLB_TABLE_HDR + slot;
		id = bpf_map_lookup_elem(table, &idx);
		if (!id)
			break;
		if (usable_backend(*id))
			return *id;
		if (++slot >= n)
			slot = 0;
	}
	*reason = XLB_DROP_ALL_DOWN;
	return 0;
}

/* A SYN for a flow we already sent on: the client did not get an answer
 * and retries. Counted, and the agent is told so it probes the backend
 * now instead of at its next interval. */
static __always_inline void hint_syn_retry(__u32 backend_id, __u64 now)
{
	struct xlb_hint hint = { .backend_id = backend_id,
				 .reason = XLB_FLOW_SYN_RETRY };
	__u64 *last = bpf_map_lookup_elem(&hint_last, &backend_id);

	count_reason(XLB_FLOW_SYN_RETRY);
	if (!last || now - *last < XLB_HINT_GAP_NS)
		return;
	*last = now;
	bpf_ringbuf_output(&hints, &hint, sizeof(hint), 0);
}

/* Keeps a flow on its backend, or schedules it and remembers the choice.
 * Returns the backend id, or 0 with reason set. */
static __always_inline __u32 select_backend(struct packet *pkt,
					    const struct xlb_vip_info *vip,
					    __u32 *reason)
{
	struct xlb_flow *flow, entry = {};
	__u64 now = pkt->now;
	__u32 id, old_id = 0;
	__u8 old_flags = 0;
	bool reopen;

	flow = bpf_map_lookup_elem(&flows, &pkt->key);
	/* A bare SYN on a closed flow is a new connection on a reused tuple:
	 * scheduled afresh, so it follows the weights of now (as on any
	 * other balancer host), not those of the connection before. */
	reopen = flow && pkt->key.proto == IPPROTO_TCP &&
		 (flow->flags & XLB_FLOW_F_CLOSED) &&
		 (pkt->tcp_flags & (TCP_FLAG_SYN | TCP_FLAG_ACK)) ==
			 TCP_FLAG_SYN;
	if (flow && !reopen && usable_backend(flow->backend_id)) {
		if (pkt->kind != PKT_ICMP_ERROR) {
			if (now - flow->last_seen_ns > XLB_FLOW_TOUCH_NS)
				flow->last_seen_ns = now;
			track_hit(flow, pkt->key.proto, pkt->tcp_flags);
		}
		count_reason(XLB_FLOW_HIT);
		if (pkt->key.proto == IPPROTO_TCP &&
		    (pkt->tcp_flags & (TCP_FLAG_SYN | TCP_FLAG_ACK)) ==
			    TCP_FLAG_SYN)
			hint_syn_retry(flow->backend_id, now);
		return flow->backend_id;
	}
	/* read before the update below replaces the entry */
	if (flow) {
		old_id = flow->backend_id;
		old_flags = flow->flags;
	}

	id = maglev_pick(vip->vip_id, packet_hash(pkt), reason);
	if (!id)
		return 0;
	/* An ICMP error is steered, never the start of a flow. */
	if (pkt->kind == PKT_ICMP_ERROR)
		return id;
	count_reason(flow && !reopen ? XLB_FLOW_RESCHEDULE : XLB_FLOW_MISS);
	if (!flow && pkt->key.proto == IPPROTO_TCP &&
	    (pkt->tcp_flags & TCP_FLAG_RST)) {
		count_reason(XLB_FLOW_NOT_INSERTED);
		return id;
	}
	entry.backend_id = id;
	entry.vip_id = (__u16)vip->vip_id;
	entry.flags = flow_flags_after(old_flags, pkt->key.proto,
				       pkt->tcp_flags);
	entry.last_seen_ns = now;
	if (bpf_map_update_elem(&flows, &pkt->key, &entry, BPF_ANY))
		count_reason(XLB_FLOW_INSERT_FAIL);
	else
		track_insert(id, entry.flags, old_id, old_flags);
	return id;
}

/* Where an ICMP error about a VIP flow goes: where the flow goes, and only
 * for a flow the table holds. A lookup, never an insert: an error quoting
 * a tuple is no evidence of a flow (anyone can quote any tuple), so it
 * neither starts nor refreshes one. A flow whose backend is no longer
 * usable: where its next packet will be rescheduled to. Returns the
 * backend id, or 0 with reason set. */
static __always_inline __u32 icmp_error_backend(struct packet *pkt,
						const struct xlb_vip_info *vip,
						__u32 *reason)
{
	struct xlb_flow *flow = bpf_map_lookup_elem(&flows, &pkt->key);

	if (!flow) {
		*reason = XLB_DROP_ICMP_NO_FLOW;
		return 0;
	}
	if (usable_backend(flow->backend_id))
		return flow->backend_id;
	return maglev_pick(vip->vip_id, packet_hash(pkt), reason);
}

static __always_inline void frag_key(const struct packet *pkt,
				     struct xlb_frag_key *fk)
{
	fk->src = pkt->key.src;
	fk->dst = pkt->key.dst;
	fk->id = pkt->frag_id;
	fk->proto = pkt->key.proto;
	fk->family = pkt->key.family;
}

/* Outer source: configured base, low bits from the flow hash. */
static __always_inline void outer_source(const struct xlb_config *cfg,
					 __u8 family, __u32 hash,
					 union xlb_addr *src)
{
	__u32 bits = cfg->src_hostbits > 16 ? 16 : cfg->src_hostbits;
	__u32 mask = (1U << bits) - 1;

	if (family == XLB_FAMILY_V4) {
		src->v4 = cfg->src4 | bpf_htonl(hash & mask);
		return;
	}
	__builtin_memcpy(src->v6, cfg->src6, 16);
	src->v6[3] |= bpf_htonl(hash & mask);
}

static __always_inline int mac_is_zero(const __u8 *mac)
{
	return !(mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]);
}

/* Whether an ICMP error may go to the packet's source: not to the
 * unspecified, loopback, multicast or broadcast addresses (RFC 1812
 * 4.3.2.7, RFC 4443 2.4 (e)), which no one who could take it sends from. */
static __always_inline bool unicast_source(const struct xlb_flow_key *key)
{
	__u32 w0 = bpf_ntohl(key->src.v6[0]);

	if (key->family == XLB_FAMILY_V4)
		return (w0 >> 24) != 0 && (w0 >> 24) != 127 &&
		       (w0 >> 24) < 224;
	if ((w0 >> 24) == 0xff)
		return false;
	return w0 || key->src.v6[1] || key->src.v6[2] ||
	       bpf_ntohl(key->src.v6[3]) > 1;
}

/* Answers an oversize packet with ICMP, or drops it when ICMP is not
 * allowed (IPv4 without DF, the packet is itself an ICMP error or an IPv4
 * fragment other than the first, its source could not take it) or over
 * the rate (per CPU, cfg->icmp_rate a second). */
static __always_inline __u32 too_big(struct xdp_md *ctx, struct packet *pkt,
				     const struct xlb_config *cfg,
				     struct l2_saved *l2, __u32 mtu,
				     __u32 overhead)
{
	__u32 report = mtu > overhead ? mtu - overhead : 0;

	if (!pkt->df || pkt->kind == PKT_ICMP_ERROR ||
	    (pkt->kind == PKT_FRAG_LATER &&
	     pkt->key.family == XLB_FAMILY_V4) ||
	    !unicast_source(&pkt->key))
		return XLB_DROP_OVERSIZE;
	if (!icmp_budget_take(cfg->icmp_rate, pkt->now))
		return XLB_DROP_ICMP_RATE;
	if (pkt->key.family == XLB_FAMILY_V4) {
		if (report < XLB_ICMP4_MIN_MTU)
			report = XLB_ICMP4_MIN_MTU;
		if (icmp4_too_big(ctx, l2, report))
			return XLB_DROP_OVERSIZE;
	} else {
		if (report < XLB_IPV6_MIN_MTU)
			report = XLB_IPV6_MIN_MTU;
		if (icmp6_too_big(ctx, l2, report))
			return XLB_DROP_OVERSIZE;
	}
	return XLB_ICMP_TOO_BIG_SENT;
}

/* Encapsulates toward the backend and picks the way out. */
static __always_inline __u32 encap_and_send(struct xdp_md *ctx,
					    struct packet *pkt,
					    const struct xlb_config *cfg,
					    const struct xlb_backend *be,
					    __u32 be_id, __u32 hash,
					    __u32 *egress)
{
	struct outer_hdr o = {};
	struct nh_answer nh;
	struct l2_saved l2;
	__u32 overhead, mtu;
	int rc = -1;

	if (l2_save(ctx, &l2, pkt->l2_len))
		return XLB_DROP_MALFORMED;

	o.family = be->family;
	o.dst = be->addr;
	o.inner_len = pkt->ip_len;
	o.inner_proto = pkt->key.family == XLB_FAMILY_V4 ? IPPROTO_IPIP
							 : IPPROTO_IPV6;
	o.tos = pkt->tos;
	o.flow_label = hash;
	outer_source(cfg, be->family, hash, &o.src);
	overhead = be->family == XLB_FAMILY_V4 ? XLB_IPIP_OVERHEAD
					       : XLB_IP6IP6_OVERHEAD;

	if (!(cfg->flags & XLB_CFG_NO_FIB))
		rc = nexthop_lookup(ctx, be_id, be, &o.src,
				    pkt->ip_len + overhead, pkt->now, &nh);
	if (rc == BPF_FIB_LKUP_RET_FRAG_NEEDED)
		return too_big(ctx, pkt, cfg, &l2, nh.mtu, overhead);
	if (rc != BPF_FIB_LKUP_RET_SUCCESS) {
		/* No FIB answer: the configured gateway, if any. */
		if (mac_is_zero(cfg->gw_mac))
			return XLB_DROP_NO_ROUTE;
		mtu = cfg->mtu ? cfg->mtu : 1500;
		if (pkt->ip_len + overhead > mtu)
			return too_big(ctx, pkt, cfg, &l2, mtu, overhead);
		nh.ifindex = cfg->gw_ifindex ? cfg->gw_ifindex
					     : ctx->ingress_ifindex;
		__builtin_memcpy(nh.dmac, cfg->gw_mac, ETH_ALEN);
		/* our own MAC is the one the frame was sent to */
		__builtin_memcpy(nh.smac, l2.bytes, ETH_ALEN);
	}

	if (encap_push(ctx, &l2, &o, nh.dmac, nh.smac))
		return XLB_DROP_ENCAP;
	*egress = nh.ifindex;
	if (nh.ifindex == ctx->ingress_ifindex)
		return XLB_FWD_TX;
	return XLB_FWD_REDIRECT;
}

static __always_inline int forward(struct xdp_md *ctx, struct packet *pkt,
				   const struct xlb_config *cfg, __u32 vip_id,
				   __u32 backend_id)
{
	__u64 bytes = ctx->data_end - ctx->data;
	struct xlb_backend *be;
	__u32 reason, egress = 0;
	int action = XDP_REDIRECT;

	be = bpf_map_lookup_elem(&backends, &backend_id);
	if (!be || !be->family)
		return verdict(XLB_DROP_ALL_DOWN);
	reason = encap_and_send(ctx, pkt, cfg, be, backend_id,
				outer_hash(pkt, cfg, be), &egress);
	if (reason != XLB_FWD_TX && reason != XLB_FWD_REDIRECT)
		return verdict(reason);
	if (reason == XLB_FWD_REDIRECT) {
		/* A device missing from tx_ports makes the helper answer
		 * the action in its flags: no lookup of our own first. */
		action = bpf_redirect_map(&tx_ports, egress, XDP_DROP);
		if (action != XDP_REDIRECT)
			return verdict(XLB_DROP_NO_TX_PORT);
	}
	count_bytes(&vip_stats, vip_id, bytes);
	count_bytes(&backend_stats, backend_id, bytes);
	if (reason == XLB_FWD_TX)
		return verdict(reason);
	count_reason(reason);
	return action;
}

/* A later fragment has no ports: it follows its datagram's first one. */
static __always_inline int forward_later_fragment(struct xdp_md *ctx,
						  struct packet *pkt,
						  const struct xlb_config *cfg)
{
	struct xlb_frag_key fk = {};
	struct xlb_flow *first;

	frag_key(pkt, &fk);
	first = bpf_map_lookup_elem(&frags, &fk);
	if (!first)
		return verdict(XLB_PASS_FRAG_UNTRACKED);
	count_reason(XLB_FRAG_FOLLOWED);
	pkt->now = coarse_now();	/* the next-hop cache's clock */
	return forward(ctx, pkt, cfg, first->vip_id, first->backend_id);
}

SEC("xdp")
int xlb_balancer(struct xdp_md *ctx)
{
	struct xlb_config *cfg;
	struct xlb_vip_info *vip;
	struct packet pkt = {};
	__u32 reason, id, zero = 0;

	reason = parse_packet(ctx, &pkt);
	if (reason != XLB_CANDIDATE)
		return verdict(reason);
	cfg = bpf_map_lookup_elem(&settings, &zero);
	if (!cfg)
		return verdict(XLB_PASS_NOT_VIP);
	pkt.seed = cfg->hash_seed;
	if (pkt.kind == PKT_FRAG_LATER)
		return forward_later_fragment(ctx, &pkt, cfg);

	vip = lookup_vip(&pkt.key);
	if (!vip)
		return verdict(XLB_PASS_NOT_VIP);
	pkt.now = coarse_now();

	pkt.src_only = !!(vip->flags & XLB_VIP_SRC_AFFINITY);
	/* A TCP SYN is nearly always a new flow: with its hash made before
	 * the flow lookup, the CPU runs ahead into the Maglev pick while the
	 * lookup waits on memory (50-100 ns off a miss, measured). Other
	 * packets, mostly hits, hash only if they must. */
	if (pkt.key.proto == IPPROTO_TCP &&
	    (pkt.tcp_flags & (TCP_FLAG_SYN | TCP_FLAG_ACK)) == TCP_FLAG_SYN)
		packet_hash(&pkt);
	if (pkt.kind == PKT_ICMP_ERROR)
		id = icmp_error_backend(&pkt, vip, &reason);
	else
		id = select_backend(&pkt, vip, &reason);
	if (!id) {
		if (reason == XLB_DROP_ALL_DOWN &&
		    (vip->flags & XLB_VIP_PASS_ALL_DOWN))
			reason = XLB_PASS_ALL_DOWN;
		return verdict(reason);
	}
	if (pkt.kind == PKT_ICMP_ERROR)
		count_reason(XLB_ICMP_TO_FLOW);
	if (pkt.kind == PKT_FRAG_FIRST) {
		/* only here: not zeroed for every packet */
		struct xlb_frag_key fk = {};
		struct xlb_flow first = {};

		frag_key(&pkt, &fk);
		first.backend_id = id;
		first.vip_id = (__u16)vip->vip_id;
		first.last_seen_ns = pkt.now;
		bpf_map_update_elem(&frags, &fk, &first, BPF_ANY);
		count_reason(XLB_FRAG_FIRST);
	}
	return forward(ctx, &pkt, cfg, vip->vip_id, id);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
