/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Second chance's question on a backend: does this host's stack own the
 * connection of a TCP segment? One socket lookup on the segment's tuple. */
#ifndef XLB_SKLOOKUP_H
#define XLB_SKLOOKUP_H

#include "consts.h"
#include "../xlb_abi.h"

/* The answer for a segment that is not a bare SYN, as an xlb_decap_reason:
 * XLB_DECAP_LOCAL_* (an established or closing socket, time-wait, a request
 * socket, or a listener and an ACK carrying a SYN cookie it accepts) or
 * XLB_DECAP_FWD_* (a listener only, nothing). iph is the inner IPv4 or IPv6
 * header (v6 tells which), th its TCP header: both checked against
 * data_end for their fixed size. The reference the lookup takes is dropped
 * before returning, on every path. */
static __always_inline __u32 sk_owner(struct xdp_md *ctx, void *iph,
				      struct tcphdr *th, bool v6)
{
	struct bpf_sock_tuple tup = {};
	struct bpf_sock *sk;
	__u32 reason, size;
	long cookie = -1;

	if (v6) {
		struct ipv6hdr *ip6h = iph;

		__builtin_memcpy(tup.ipv6.saddr, &ip6h->saddr, 16);
		__builtin_memcpy(tup.ipv6.daddr, &ip6h->daddr, 16);
		tup.ipv6.sport = th->source;
		tup.ipv6.dport = th->dest;
		size = sizeof(tup.ipv6);
	} else {
		struct iphdr *ip4h = iph;

		tup.ipv4.saddr = ip4h->saddr;
		tup.ipv4.daddr = ip4h->daddr;
		tup.ipv4.sport = th->source;
		tup.ipv4.dport = th->dest;
		size = sizeof(tup.ipv4);
	}
	/* Any socket of the namespace the packet arrived in: the listening
	 * and established tables, time-wait and request sockets included
	 * (bpf_sk_lookup_tcp would hide the last two). */
	sk = bpf_skc_lookup_tcp(ctx, &tup, size, BPF_F_CURRENT_NETNS, 0);
	if (!sk)
		return XLB_DECAP_FWD_NO_SOCKET;

	switch (sk->state) {
	case TCP_LISTEN:
		/* The handshake may have ended here with a SYN cookie: the
		 * helper says so for an ACK (not SYN, not RST) whose
		 * acknowledgement is a cookie this listener issued. Fixed
		 * header sizes: the helper reads no further. */
		if (v6)
			cookie = bpf_tcp_check_syncookie(
				sk, iph, sizeof(struct ipv6hdr), th,
				sizeof(struct tcphdr));
		else
			cookie = bpf_tcp_check_syncookie(
				sk, iph, sizeof(struct iphdr), th,
				sizeof(struct tcphdr));
		reason = cookie ? XLB_DECAP_FWD_LISTENER
				: XLB_DECAP_LOCAL_COOKIE;
		break;
	case TCP_TIME_WAIT:
		reason = XLB_DECAP_LOCAL_TIME_WAIT;
		break;
	case TCP_NEW_SYN_RECV:
		reason = XLB_DECAP_LOCAL_REQUEST;
		break;
	default:
		reason = XLB_DECAP_LOCAL_SOCKET;
		break;
	}
	bpf_sk_release(sk);
	return reason;
}

#endif /* XLB_SKLOOKUP_H */
