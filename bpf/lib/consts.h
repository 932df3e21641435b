/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Constants the BPF side needs that vmlinux.h (enums only) does not carry. */
#ifndef XLB_CONSTS_H
#define XLB_CONSTS_H

#define ETH_ALEN 6
#define ETH_HLEN 14
#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD
#define ETH_P_8021Q 0x8100
#define ETH_P_8021AD 0x88A8

#define IPPROTO_HOPOPTS 0
#define IPPROTO_ROUTING 43
#define IPPROTO_FRAGMENT 44
#define IPPROTO_ICMPV6 58
#define IPPROTO_DSTOPTS 60

#define IP_DF 0x4000
#define IP_MF 0x2000
#define IP_OFFSET 0x1FFF

#define ICMP_DEST_UNREACH 3
#define ICMP_FRAG_NEEDED 4
#define ICMPV6_PKT_TOOBIG 2

#define TCP_FLAG_FIN 0x01
#define TCP_FLAG_RST 0x04
#define TCP_FLAG_SYN 0x02
#define TCP_FLAG_ACK 0x10

#define XLB_MAX_VLAN_TAGS 2
#define XLB_MAX_IPV6_EXT 4
#define XLB_MAX_L2_LEN (ETH_HLEN + 4 * XLB_MAX_VLAN_TAGS)
#define XLB_OUTER_TTL 64
#define XLB_ICMP4_MIN_MTU 68
/* Bytes of the offending IPv6 packet quoted in a packet-too-big. */
#define XLB_ICMP6_QUOTE 128

#endif /* XLB_CONSTS_H */
