/* SPDX-License-Identifier: GPL-2.0 */
/* Backend side: the decap program, its local addresses, settings, the
 * devices it may send on, and its counters; loaded here, or the one a
 * device already runs. */
#ifndef XLB_DP_DECAP_H
#define XLB_DP_DECAP_H

#include "xlb_abi.h"

struct decap;
/* Loads the program, settings at their defaults (GUE on XLB_GUE_PORT_DEFAULT, no
 * gateway). NULL with errno set. */
struct decap *decap_open(void);
/* The xlb_decap program ifindex runs, through its maps (for show and
 * stats). NULL with errno: ENOENT when the device runs no xlb_decap. */
struct decap *decap_adopt(int ifindex);
/* The same for a loaded program (any build of xlb_decap: a benchmark's
 * "before"); prog_fd stays the caller's. */
struct decap *decap_from_prog(int prog_fd);
void decap_close(struct decap *d);
int decap_prog_fd(const struct decap *d);
/* The program's id, 0 if unknown. */
__u32 decap_prog_id(const struct decap *d);
int decap_add_addr(struct decap *d, const union xlb_addr *addr, __u8 family);
/* The local addresses, at most max of them: their number or -errno. */
int decap_list_addrs(struct decap *d, struct xlb_decap_key *out, int max);
int decap_set_config(struct decap *d, const struct xlb_decap_config *cfg);
/* -ENOENT: a program older than the settings (IPIP only). */
int decap_get_config(struct decap *d, struct xlb_decap_config *cfg);
/* A device second chance may redirect to (besides the ingress one). */
int decap_add_tx_port(struct decap *d, __u32 ifindex);
/* The devices it may redirect to, at most max: their number or -errno. */
int decap_list_tx_ports(struct decap *d, __u32 *out, int max);
/* Every counter, summed over the CPUs; those an older program lacks
 * read 0. */
int decap_read_stats(struct decap *d, __u64 out[XLB_DECAP_MAX]);
/* A counter's name: "done", "fwd_no_socket", ... */
const char *xlb_decap_reason_name(unsigned int reason);

#endif /* XLB_DP_DECAP_H */
