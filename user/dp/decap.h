/* SPDX-License-Identifier: GPL-2.0 */
/* Backend side: the decap program and its local addresses. */
#ifndef XLB_DP_DECAP_H
#define XLB_DP_DECAP_H

#include "xlb_abi.h"

struct decap;
struct decap *decap_open(void);
void decap_close(struct decap *d);
int decap_prog_fd(const struct decap *d);
int decap_add_addr(struct decap *d, const union xlb_addr *addr, __u8 family);
int decap_read_stats(struct decap *d, __u64 out[XLB_DECAP_MAX]);

#endif /* XLB_DP_DECAP_H */
