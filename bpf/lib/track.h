/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Active-flow accounting: a flow entry's flags after a packet from the
 * client, and the per-backend counts in backend_flows that follow them. */
#ifndef XLB_TRACK_H
#define XLB_TRACK_H

#include "consts.h"
#include "maps.h"

static __always_inline bool flow_active(__u8 flags)
{
	return !(flags & XLB_FLOW_F_CLOSED);
}

/* For TCP a FIN or RST from the client closes the flow and a bare SYN (a
 * new connection on a reused tuple) reopens it. Only the client's half is
 * seen (replies go direct): close enough. Idleness is the agent's: its
 * sweep takes flows idle past their timeout out of the counts, and puts
 * them back when they move again. */
static __always_inline __u8 flow_flags_after(__u8 flags, __u8 proto,
					     __u8 tcp_flags)
{
	if (proto != IPPROTO_TCP)
		return flags;
	if ((tcp_flags & (TCP_FLAG_SYN | TCP_FLAG_ACK)) == TCP_FLAG_SYN)
		flags &= ~XLB_FLOW_F_CLOSED;
	if (tcp_flags & (TCP_FLAG_FIN | TCP_FLAG_RST))
		flags |= XLB_FLOW_F_CLOSED;
	return flags;
}

/* One flow more (+1) or less (-1) active on the backend. */
static __always_inline void count_active(__u32 backend_id, int delta)
{
	struct xlb_backend_flows *f;

	f = bpf_map_lookup_elem(&backend_flows, &backend_id);
	if (!f)
		return;
	__sync_fetch_and_add(&f->active, (__u64)(__s64)delta);
	if (delta > 0)
		__sync_fetch_and_add(&f->opened, 1);
}

/* A packet of a known flow that keeps its backend. Not atomic with
 * another CPU's packet of the same flow (RSS makes that rare); the
 * agent's sweep corrects what such a race miscounts. */
static __always_inline void track_hit(struct xlb_flow *flow, __u8 proto,
				      __u8 tcp_flags)
{
	__u8 old = flow->flags, now = flow_flags_after(old, proto, tcp_flags);

	if (now == old)
		return;
	flow->flags = now;
	if (flow_active(now) != flow_active(old))
		count_active(flow->backend_id, flow_active(now) ? 1 : -1);
}

/* A flow entry written for backend id with flags, replacing one whose
 * backend was old_id (0: a new flow) and flags old_flags. */
static __always_inline void track_insert(__u32 id, __u8 flags, __u32 old_id,
					 __u8 old_flags)
{
	if (old_id && flow_active(old_flags))
		count_active(old_id, -1);
	if (flow_active(flags))
		count_active(id, 1);
}

#endif /* XLB_TRACK_H */
