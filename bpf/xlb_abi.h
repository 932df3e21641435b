/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The ABI between the XDP programs and userspace: every map key and value,
 * size, flag and counter index. The one and only copy; both sides include it.
 */
#ifndef XLB_ABI_H
#define XLB_ABI_H

#ifdef __BPF__
/* BPF side: types come from vmlinux.h, included before this header. */
#else
#include <linux/types.h>
#endif

/* Bump when a map layout changes; pinned maps are versioned by name. */
#define XLB_ABI_VERSION 1

#define XLB_MAX_VIPS 1024		/* VIP ids are 0 .. XLB_MAX_VIPS-1 */
#define XLB_MAX_BACKENDS 8192		/* backend id 0 means "none" */
#define XLB_DEFAULT_FLOW_ENTRIES 1000000
#define XLB_FRAG_ENTRIES 65536
#define XLB_DEFAULT_TABLE_SIZE 65537	/* Maglev slots, prime */
#define XLB_MAX_TABLE_SIZE 1048573	/* largest prime below 2^20 */
/* Slots probed after the hashed one when that backend is flagged down. */
#define XLB_DOWN_PROBES 16
/* A backend is hinted to the agent at most this often per CPU (ns, on
 * the coarse clock: the gap may come out up to one tick short). */
#define XLB_HINT_GAP_NS 10000000ULL
/* last_seen in a flow entry is refreshed at most this often (ns). */
#define XLB_FLOW_TOUCH_NS 1000000000ULL

/* Address family tags used in keys (not AF_* so both sides agree). */
#define XLB_FAMILY_V4 4
#define XLB_FAMILY_V6 6

/* Encapsulation overhead added to the IP packet. */
#define XLB_IPIP_OVERHEAD 20	/* IPv4 outer header */
#define XLB_IP6IP6_OVERHEAD 40	/* IPv6 outer header, v4 or v6 inside */
#define XLB_IPV6_MIN_MTU 1280

/*
 * GUE (draft-ietf-intarea-gue, variant 0) with the candidates in its
 * private data, as docs/connection-integrity.md 3 lays it out:
 *
 *   outer IPv4 or IPv6	src: the balancer, dst: candidate[next]
 *   UDP		sport XLB_GUE_SPORT_BASE | (flow hash & XLB_GUE_SPORT_MASK),
 *			dport gue_port (settings; default 6080), checksum 0
 *   struct xlb_gue_hdr	hlen: 32-bit words of private data (0 or 1 + count
 *			words of addresses), proto 4 (IPv4) or 41 (IPv6)
 *   struct xlb_gue_priv	only with 2+ candidates
 *   count addresses	of the family, 4 or 16 bytes each
 *   inner IP packet	unchanged
 */
#define XLB_GUE_PORT_DEFAULT 6080
#define XLB_GUE_SPORT_BASE 0xc000
#define XLB_GUE_SPORT_MASK 0x3fff
#define XLB_GUE_MAGIC 0x78		/* 'x' */
#define XLB_GUE_MAX_CANDIDATES 4
/* Outer IP + UDP + GUE header, without private data. */
#define XLB_GUE4_OVERHEAD (20 + 8 + 4)
#define XLB_GUE6_OVERHEAD (40 + 8 + 4)

/* GUE header: byte 0 is version (2 bits, 0), C (1 bit, 0: data) and hlen
 * (5 bits), so with version 0 and C 0 it is hlen itself. */
struct xlb_gue_hdr {
	__u8 hlen;		/* words of private data after this header */
	__u8 proto;		/* inner: IPPROTO_IPIP (4) or IPPROTO_IPV6 (41) */
	__be16 flags;		/* 0: no optional fields */
};
_Static_assert(sizeof(struct xlb_gue_hdr) == 4, "xlb_gue_hdr size");

/* GUE private data: the candidates the connection may be on, in order;
 * the packet is addressed to candidate[next]. count addresses follow. */
struct xlb_gue_priv {
	__u8 magic;		/* XLB_GUE_MAGIC */
	__u8 next;		/* index of the candidate this copy is sent to */
	__u8 count;		/* 2..XLB_GUE_MAX_CANDIDATES */
	__u8 family;		/* XLB_FAMILY_V4 or XLB_FAMILY_V6 */
};
_Static_assert(sizeof(struct xlb_gue_priv) == 4, "xlb_gue_priv size");

/* An IP address of either family: IPv4 lives in addr[0], the rest zero. */
union xlb_addr {
	__be32 v4;
	__be32 v6[4];
};

/* vips map key: what a packet must match to be balanced. */
struct xlb_vip_key {
	union xlb_addr addr;	/* destination address, network order */
	__be16 port;		/* destination port, network order; 0 = any */
	__u8 proto;		/* IPPROTO_TCP or IPPROTO_UDP */
	__u8 family;		/* XLB_FAMILY_V4 or XLB_FAMILY_V6 */
};
_Static_assert(sizeof(struct xlb_vip_key) == 20, "xlb_vip_key size");

/* Per-VIP flags. */
enum {
	XLB_VIP_SRC_AFFINITY = 1 << 0,	/* hash the source address only */
	XLB_VIP_PASS_ALL_DOWN = 1 << 1,	/* no backend up: XDP_PASS, not drop */
};

/* vips map value. */
struct xlb_vip_info {
	__u32 vip_id;	/* index into maglev_tables and vip_stats */
	__u32 flags;	/* XLB_VIP_* */
};
_Static_assert(sizeof(struct xlb_vip_info) == 8, "xlb_vip_info size");

/* Per-backend flags, written by the agent. */
enum {
	XLB_BACKEND_DOWN = 1 << 0,	/* not usable: avoid for new flows and
					 * reschedule flows pinned to it */
};

/* backends map value, indexed by backend id. */
struct xlb_backend {
	union xlb_addr addr;	/* where to encapsulate to, network order */
	__u8 family;		/* XLB_FAMILY_*; 0 = slot unused */
	__u8 flags;		/* XLB_BACKEND_* */
	__u16 vip_id;		/* owning VIP: lets a restarted agent map
				 * backends back to their ids */
};
_Static_assert(sizeof(struct xlb_backend) == 20, "xlb_backend size");

/* Maglev inner table layout: slot 0 holds the number of slots that follow
 * (so table and size are swapped together), slots 1..n hold backend ids. */
#define XLB_TABLE_HDR 1

/* flows map key: one connection as the client sent it. */
struct xlb_flow_key {
	union xlb_addr src;	/* client address */
	union xlb_addr dst;	/* VIP address */
	__be16 sport;		/* client port (0 for portless protocols) */
	__be16 dport;		/* VIP port */
	__u8 proto;
	__u8 family;
	__u16 pad;		/* zero */
};
_Static_assert(sizeof(struct xlb_flow_key) == 40, "xlb_flow_key size");

/* Flow entry flags. */
enum {
	XLB_FLOW_F_CLOSED = 1 << 0,	/* TCP FIN or RST seen from the client:
					 * no longer counted in backend_flows;
					 * a SYN without ACK reopens it */
};

/* flows map value. Was {u32 backend_id, u32 vip_id, u64 last_seen_ns}:
 * vip_id < XLB_MAX_VIPS fits 16 bits, so on a little-endian host an entry
 * written by an older program reads as vip_id with flags 0 (active), and
 * pinned flow tables stay adoptable. */
struct xlb_flow {
	__u32 backend_id;
	__u16 vip_id;
	__u8 flags;		/* XLB_FLOW_F_* */
	__u8 pad;		/* zero */
	__u64 last_seen_ns;	/* CLOCK_MONOTONIC of a recent packet, as the
				 * coarse clock has it (up to one tick
				 * behind: bpf_ktime_get_coarse_ns) */
};
_Static_assert(sizeof(struct xlb_flow) == 16, "xlb_flow size");
_Static_assert(XLB_MAX_VIPS <= 65536, "vip_id fits xlb_flow.vip_id");

/* backend_flows map value, indexed by backend id. Both sides add to it
 * atomically: the data path as flows open, close and move, the agent as
 * its sweep of the flow table takes idle flows out and corrects drift.
 * The agent never writes flow entries (an LRU update from userspace takes
 * a node from its CPU's list and, the table full, evicts another flow). */
struct xlb_backend_flows {
	__u64 active;		/* active flows on the backend: open (not
				 * closed), less those idle at the last sweep.
				 * Two's complement: read it as signed, it may
				 * dip below 0 until the next sweep */
	__u64 opened;		/* times a flow opened on it: new, moved to
				 * it, or reopened */
};
_Static_assert(sizeof(struct xlb_backend_flows) == 16,
	       "xlb_backend_flows size");

/* frags map key: one fragmented datagram (IPv4 id or IPv6 fragment id). */
struct xlb_frag_key {
	union xlb_addr src;
	union xlb_addr dst;
	__u32 id;		/* host order */
	__u8 proto;
	__u8 family;
	__u16 pad;		/* zero */
};
_Static_assert(sizeof(struct xlb_frag_key) == 40, "xlb_frag_key size");

/* nexthops map value (per CPU, indexed by backend id): the FIB's answer
 * for a backend, cached by the data path alone (userspace never writes it).
 * Used for at most XLB_NEXTHOP_TTL_NS after the lookup that filled it. */
struct xlb_nexthop {
	union xlb_addr dst;	/* backend address it was looked up for */
	__u64 expires_ns;	/* coarse clock; 0 = empty */
	__u32 ingress;		/* ifindex the lookup was made from */
	__u32 egress;		/* ifindex the FIB answered */
	__u32 max_len;		/* longest outer packet the FIB accepted */
	__u8 dmac[6];		/* next hop's MAC */
	__u8 smac[6];		/* egress device's MAC */
	__u8 family;		/* of dst */
	__u8 pad[5];		/* zero */
};
_Static_assert(sizeof(struct xlb_nexthop) == 56, "xlb_nexthop size");

/* A cached next hop is asked of the FIB again after this long (ns): route
 * and neighbour changes reach the data path within it (plus a tick). */
#define XLB_NEXTHOP_TTL_NS 50000000ULL

/* config map flags. */
enum {
	XLB_CFG_NO_FIB = 1 << 0,	/* skip bpf_fib_lookup, use gw_mac */
};

/* config map value (one entry, index 0): data-path wide settings. */
struct xlb_config {
	__u32 hash_seed;	/* same on every balancer host => same choices
				 * (XLB_HASH_JHASH only: see xlb_hash_key) */
	__u32 flags;		/* XLB_CFG_* */
	__u8 gw_mac[6];		/* next hop when the FIB has no answer; 0 = none */
	__u16 mtu;		/* egress MTU when the FIB gives none; 0 = 1500 */
	__u32 gw_ifindex;	/* egress for gw_mac; 0 = ingress device */
	__u32 src_hostbits;	/* low bits of the outer source taken from the
				 * flow hash, so backends spread flows over
				 * their receive queues (0..16) */
	__be32 src4;		/* outer IPv4 source base, network order */
	__be32 src6[4];		/* outer IPv6 source base, network order */
	__u32 icmp_rate;	/* too-big replies a second, per CPU; 0 =
				 * XLB_ICMP_RATE_DEFAULT (was pad: zero) */
};
_Static_assert(sizeof(struct xlb_config) == 48, "xlb_config size");

/* Too-big replies: the default rate per CPU, and how many may go out at
 * once after a quiet spell (Linux's icmp_msgs_per_sec, icmp_msgs_burst). */
#define XLB_ICMP_RATE_DEFAULT 1000
#define XLB_ICMP_RATE_MAX 1000000
#define XLB_ICMP_BURST 50

/* icmp_budget map value (per CPU): a token bucket for too-big replies. */
struct xlb_icmp_budget {
	__u64 tokens;		/* in 1e-9 of a reply: a reply costs 1e9; at
				 * most XLB_ICMP_BURST replies' worth */
	__u64 last_ns;		/* coarse clock when last refilled; 0 = never
				 * (the bucket starts full) */
};
_Static_assert(sizeof(struct xlb_icmp_budget) == 16,
	       "xlb_icmp_budget size");

/* Flow hash algorithms (xlb_hash_key.alg). */
enum {
	XLB_HASH_JHASH = 0,	/* jhash seeded with xlb_config.hash_seed: no
				 * secret (the choice before keyed hashing) */
	XLB_HASH_SIPHASH13 = 1,	/* SipHash-1-3 with the fleet's secret key */
};

/* hash_key map value (one entry, index 0): the flow hash and its key.
 * Apart from the settings so that nothing that shows the settings shows
 * the key, and so that the settings' layout stays as pinned. */
struct xlb_hash_key {
	__u64 k0;		/* key bytes 0-7, read as a little-endian word */
	__u64 k1;		/* key bytes 8-15 */
	__u32 alg;		/* XLB_HASH_* */
	__u32 pad;		/* zero */
};
_Static_assert(sizeof(struct xlb_hash_key) == 24, "xlb_hash_key size");

/* Packet and byte counters (per-CPU; userspace sums). */
struct xlb_counter {
	__u64 packets;
	__u64 bytes;
};
_Static_assert(sizeof(struct xlb_counter) == 16, "xlb_counter size");

/* Index into the reasons map: why a packet was passed, dropped or
 * forwarded, plus flow-table events. Append only; names in xlb_reason_name. */
enum xlb_reason {
	XLB_FWD_TX,		/* encapsulated, sent back out the ingress */
	XLB_FWD_REDIRECT,	/* encapsulated, redirected to another device */
	XLB_PASS_NOT_IP,	/* not IPv4/IPv6 (ARP, LLDP, ...) */
	XLB_PASS_NOT_VIP,	/* IP, but no VIP matches */
	XLB_PASS_UNPARSED,	/* valid but beyond what we parse (ext headers) */
	XLB_PASS_FRAG_UNTRACKED, /* later fragment with no first fragment seen */
	XLB_PASS_ALL_DOWN,	/* VIP with no usable backend, policy pass */
	XLB_DROP_MALFORMED,	/* truncated or inconsistent headers */
	XLB_DROP_ALL_DOWN,	/* VIP with no usable backend, policy drop */
	XLB_DROP_NO_TABLE,	/* VIP without a Maglev table yet */
	XLB_DROP_OVERSIZE,	/* too big after encapsulation, no ICMP sent */
	XLB_DROP_NO_ROUTE,	/* no FIB answer and no gateway configured */
	XLB_DROP_ENCAP,		/* could not grow the packet headroom */
	XLB_DROP_NO_TX_PORT,	/* egress device missing from tx_ports */
	XLB_ICMP_TOO_BIG_SENT,	/* answered with frag-needed/packet-too-big */
	XLB_ICMP_TO_FLOW,	/* ICMP error steered to its flow's backend */
	XLB_FLOW_HIT,		/* flow table hit, backend kept */
	XLB_FLOW_MISS,		/* new flow scheduled by Maglev */
	XLB_FLOW_RESCHEDULE,	/* hit whose backend was down: moved */
	XLB_FLOW_NOT_INSERTED,	/* TCP RST or non-first fragment: no entry */
	XLB_FLOW_INSERT_FAIL,	/* map update failed (should not happen) */
	XLB_FRAG_FIRST,		/* first fragment, datagram tracked */
	XLB_FRAG_FOLLOWED,	/* later fragment sent to its datagram's backend */
	XLB_FLOW_SYN_RETRY,	/* TCP SYN on an existing flow: the client is
				 * retrying, its backend may not answer */
	XLB_DROP_ICMP_RATE,	/* too big, the ICMP reply over the rate */
	XLB_DROP_ICMP_NO_FLOW,	/* ICMP error quoting a VIP flow the flow
				 * table does not hold */
	XLB_REASON_MAX,
};

/* hints ring buffer record: the data path saw evidence a backend may be
 * failing (a retried SYN); the agent probes it at once. */
struct xlb_hint {
	__u32 backend_id;
	__u32 reason;		/* XLB_FLOW_SYN_RETRY */
};
_Static_assert(sizeof(struct xlb_hint) == 8, "xlb_hint size");

/* Decap program counters (per-CPU array index). Append only; names in
 * xlb_decap_reason_name. A packet second chance sends on counts twice:
 * why (XLB_DECAP_FWD_*) and how it left (XLB_DECAP_TX ...). */
enum xlb_decap_reason {
	XLB_DECAP_DONE,		/* IPIP/IP6IP6: outer header stripped, inner
				 * passed on */
	XLB_DECAP_PASS,		/* not a tunnel to a local address */
	XLB_DECAP_MALFORMED,	/* a tunnel to us, truncated or not GUE as
				 * we send it: dropped */
	XLB_DECAP_GUE_ONE,	/* GUE, one candidate: stripped, passed */
	XLB_DECAP_LOCAL_NOT_TCP, /* GUE list, inner UDP, ICMP or a later
				  * fragment: no socket to look up, passed */
	XLB_DECAP_LOCAL_SYN,	/* GUE list, a bare SYN: accepted here */
	XLB_DECAP_LOCAL_LAST,	/* GUE list, this host is the last candidate:
				 * passed without a lookup (hop limit) */
	XLB_DECAP_LOCAL_SOCKET,	/* an established (or closing) socket */
	XLB_DECAP_LOCAL_TIME_WAIT, /* a time-wait socket */
	XLB_DECAP_LOCAL_REQUEST, /* a request socket (SYN received) */
	XLB_DECAP_LOCAL_COOKIE,	/* a listener only, and an ACK its SYN cookie
				 * check accepts */
	XLB_DECAP_FWD_NO_SOCKET, /* no socket: to the next candidate */
	XLB_DECAP_FWD_LISTENER,	/* a listener only, not a cookie ACK: to the
				 * next candidate */
	XLB_DECAP_TX,		/* sent on: the FIB's next hop, same device */
	XLB_DECAP_REDIRECT,	/* sent on: the FIB's next hop, another device
				 * (in decap_tx_ports) */
	XLB_DECAP_TX_FALLBACK,	/* sent on, no usable FIB answer: to the
				 * configured gateway, else back to the MAC
				 * the frame came from, same device */
	XLB_DECAP_DROP_NO_ROUTE, /* the FIB says no route (blackhole,
				  * unreachable, prohibit): dropped */
	XLB_DECAP_BAD_LIST,	/* malformed candidate list (magic, family,
				 * count, next, hlen): dropped */
	XLB_DECAP_MAX,
};

/* decap_settings map value (one entry, index 0). */
struct xlb_decap_config {
	__be16 gue_port;	/* UDP port GUE arrives on, network order */
	__u8 gw_mac[6];		/* second chance's next hop when the FIB has
				 * no answer; 0 = the MAC the frame came
				 * from */
};
_Static_assert(sizeof(struct xlb_decap_config) == 8,
	       "xlb_decap_config size");

/* decap_addrs map key: a local address tunnels may be sent to. */
struct xlb_decap_key {
	union xlb_addr addr;
	__u32 family;
};
_Static_assert(sizeof(struct xlb_decap_key) == 20, "xlb_decap_key size");

#endif /* XLB_ABI_H */
