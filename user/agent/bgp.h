/* SPDX-License-Identifier: GPL-2.0 */
/* VIP announcements over BGP through a BIRD 2 speaker the agent runs. */
#ifndef XLB_BGP_H
#define XLB_BGP_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "xlb_abi.h"

struct loop;
struct xlb_cfg_bgp;

/* A prefix to announce: a VIP address as a /32 or /128. */
struct bgp_route {
	union xlb_addr addr;
	__u8 family;
};

/*
 * Renders the BIRD config for cfg announcing routes[0..n-1] (sorted, no
 * duplicates). Pure: the text only depends on its inputs. Returns a
 * malloc'd string, or NULL with errno set.
 */
char *bgp_render(const struct xlb_cfg_bgp *cfg, const struct bgp_route *routes,
		 size_t n);

struct bgp;

struct bgp *bgp_new(struct loop *loop);
/* Stops the speaker (its sessions close, so every route is withdrawn) and
 * frees b. NULL is a no-op. */
void bgp_free(struct bgp *b);

/*
 * Makes the speaker announce exactly routes[0..n-1] with cfg: writes its
 * config and starts BIRD, or has the running one re-read it (SIGHUP; BIRD
 * keeps sessions whose settings did not change). Nothing happens when
 * neither changed. cfg NULL (no bgp: section) stops the speaker. Returns
 * 0 or -errno; a speaker that cannot start is retried by the agent's
 * next call.
 */
int bgp_apply(struct bgp *b, const struct xlb_cfg_bgp *cfg,
	      const struct bgp_route *routes, size_t n);

/* The speaker's process, config, announced routes and, with sessions,
 * each session's state from BIRD's control socket (a blocking query of
 * up to 300 ms: for xlb bgp, not for every scrape). */
json_object *bgp_status(struct bgp *b, bool sessions);

#endif /* XLB_BGP_H */
