/* SPDX-License-Identifier: GPL-2.0 */
/* XDP on interfaces: attach, detach, pinned links, what a device runs. */
#ifndef XLB_DP_ATTACH_H
#define XLB_DP_ATTACH_H

#include <stdbool.h>
#include "xlb_abi.h"

/* XDP attach modes for xdp_attach(). */
enum xdp_mode { XDP_MODE_NATIVE, XDP_MODE_GENERIC, XDP_MODE_AUTO };
int xdp_attach(int ifindex, int prog_fd, enum xdp_mode mode);
int xdp_detach(int ifindex);

/* Attaches through a bpf_link pinned at link_path. When the pin exists the
 * link is updated to prog_fd in one step (restart, upgrade): the interface
 * is never without a program. Returns 0 or -errno; *upgraded tells which. */
int xdp_link_attach(int ifindex, int prog_fd, enum xdp_mode mode,
		    const char *link_path, bool *upgraded);
/* The ifindex the pinned XDP link runs on (0: its device is gone), or
 * -errno (-ENOENT: no pin). */
int xdp_link_ifindex(const char *link_path);
/* Detaches the pinned link and removes the pin. */
int xdp_link_detach(const char *link_path);
/* What XDP program a device runs. */
struct xdp_state {
	__u8 mode;		/* XDP_ATTACHED_* of linux/if_link.h */
	__u32 prog_id;		/* 0: none */
	char name[16];		/* the program's name */
};
/* Fills st for ifindex; 0 or -errno. */
int xdp_query(int ifindex, struct xdp_state *st);
/* "native", "generic", "offload", "several modes" or "none". */
const char *xdp_attached_name(__u8 mode);
/* The id of the program behind prog_fd, 0 if unknown. */
__u32 xdp_prog_id(int prog_fd);
/* Which modes a pass-all program attaches in on ifindex: tried natively,
 * then generically, never over a program already there, and taken off
 * again at once. 0 with *native / *generic set, or -errno when the probe
 * program does not load. */
int xdp_probe_modes(int ifindex, bool *native, bool *generic);

#endif /* XLB_DP_ATTACH_H */
