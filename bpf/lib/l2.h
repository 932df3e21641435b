/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Keeping the Ethernet header and its VLAN tags across a change of the
 * packet's headroom (encapsulation, decapsulation, ICMP replies). */
#ifndef XLB_L2_H
#define XLB_L2_H

#include "consts.h"

/* The Ethernet header and VLAN tags, kept across bpf_xdp_adjust_head. */
struct l2_saved {
	__u8 bytes[XLB_MAX_L2_LEN];
	__u32 len;	/* ETH_HLEN + 4 per VLAN tag */
};

static __always_inline int l2_save(struct xdp_md *ctx, struct l2_saved *l2,
				   __u32 len)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;

	/* constant sizes for the verifier: one branch per tag count */
	if (len == ETH_HLEN) {
		if (data + ETH_HLEN > data_end)
			return -1;
		__builtin_memcpy(l2->bytes, data, ETH_HLEN);
	} else if (len == ETH_HLEN + 4) {
		if (data + ETH_HLEN + 4 > data_end)
			return -1;
		__builtin_memcpy(l2->bytes, data, ETH_HLEN + 4);
	} else {
		if (data + XLB_MAX_L2_LEN > data_end)
			return -1;
		__builtin_memcpy(l2->bytes, data, XLB_MAX_L2_LEN);
	}
	l2->len = len;
	return 0;
}

/* Writes the saved L2 header at the packet start with new MACs (NULL:
 * the saved ones) and the given ethertype (network order) in its last
 * two bytes. The saved copy is left as it was. */
static __always_inline int l2_restore(struct xdp_md *ctx,
				      struct l2_saved *l2, const __u8 *dmac,
				      const __u8 *smac, __be16 ethertype)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__be16 *type;

	/* The saved header goes out as it was saved and the new MACs are
	 * written over it in the packet: patching the saved copy first
	 * made the copy's wide loads wait on the narrow MAC stores (no
	 * store-to-load forwarding across them), 10 % of a flow hit. */
	if (l2->len == ETH_HLEN) {
		if (data + ETH_HLEN > data_end)
			return -1;
		__builtin_memcpy(data, l2->bytes, ETH_HLEN);
	} else if (l2->len == ETH_HLEN + 4) {
		if (data + ETH_HLEN + 4 > data_end)
			return -1;
		__builtin_memcpy(data, l2->bytes, ETH_HLEN + 4);
	} else {
		if (data + XLB_MAX_L2_LEN > data_end)
			return -1;
		__builtin_memcpy(data, l2->bytes, XLB_MAX_L2_LEN);
	}
	if (dmac)
		__builtin_memcpy(data, dmac, ETH_ALEN);
	if (smac)
		__builtin_memcpy(data + ETH_ALEN, smac, ETH_ALEN);
	type = data + ((l2->len - 2) & 0x1f);	/* bounded, non-negative */
	if ((void *)(type + 1) > data_end)
		return -1;
	*type = ethertype;
	return 0;
}

#endif /* XLB_L2_H */
