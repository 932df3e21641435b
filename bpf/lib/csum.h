/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Internet checksums over headers we write. Sums are taken over network-
 * order 16-bit words, which the ones' complement sum does not mind. */
#ifndef XLB_CSUM_H
#define XLB_CSUM_H

static __always_inline __u16 csum_fold(__u32 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

/* A checksum after one 32-bit word it covers went from "from" to "to"
 * (RFC 1624, eqn. 3: HC' = ~(~HC + ~m + m')). */
static __always_inline __u16 csum_replace4(__u16 check, __be32 from,
					   __be32 to)
{
	__u32 sum = (__u16)~check;

	sum += (~from & 0xffff) + (~from >> 16) + (to & 0xffff) + (to >> 16);
	return csum_fold(sum);
}

/* Checksum of a 20-byte IPv4 header whose check field is zero. */
static __always_inline __u16 ipv4_hdr_csum(const struct iphdr *iph)
{
	const __u16 *w = (const __u16 *)iph;
	__u32 sum = 0;
	int i;

#pragma unroll
	for (i = 0; i < 10; i++)
		sum += w[i];
	return csum_fold(sum);
}

/* Adds nwords 16-bit words of packet data at pos to sum; stops at
 * data_end. max_words bounds the loop for the verifier. */
static __always_inline __u32 csum_packet_words(__u32 sum, void *pos,
					       void *data_end, __u32 nwords,
					       const __u32 max_words)
{
	__u16 *w = pos;
	__u32 i;

	for (i = 0; i < max_words; i++) {
		if (i >= nwords)
			break;
		/* keep clang from folding the check into a hoisted offset:
		 * the verifier needs it on the very pointer we read through */
		asm volatile("" : "+r"(w));
		if ((void *)(w + 1) > data_end)
			break;
		sum += *w;
		w++;
	}
	return sum;
}

#endif /* XLB_CSUM_H */
