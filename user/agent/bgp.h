/* SPDX-License-Identifier: GPL-2.0 */
/* VIP announcements over BGP through a BIRD 2 speaker the agent runs. */
#ifndef XLB_BGP_H
#define XLB_BGP_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/un.h>

#include "core/addr.h"
#include "xlb_abi.h"

struct loop;
struct xlb_cfg_bgp;

/* A prefix to announce: a VIP address as a /32 or /128. */
struct bgp_route {
	union xlb_addr addr;
	__u8 family;
};

/* A route as BIRD and xlb bgp write it: "203.0.113.10/32". */
#define BGP_PREFIX_STRLEN (XLB_ADDR_STRLEN + 8)
const char *bgp_prefix_str(const struct bgp_route *r, char *buf, size_t len);

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

/* A BGP session as BIRD's "show protocols" tells it. */
struct bgp_session {
	char neighbor[XLB_ADDR_STRLEN];
	__u32 as;
	char protocol[64];	/* BIRD's name for it: xlb_peerN */
	char state[16];		/* "up", "start", ... */
	char since[40];		/* "2026-12-01 18:50:23" */
	char info[128];		/* "Established", "Connect", ... */
};

struct bgp_status {
	bool running;		/* the speaker's process */
	int pid;		/* 0 when not running */
	char config[PATH_MAX];	/* "" before the first config */
	char socket[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct bgp_route *announced;	/* while running */
	size_t n_announced;
	bool has_sessions;	/* asked for: sessions[] is filled */
	struct bgp_session *sessions;
	size_t n_sessions;
};

/* The speaker's process, config, announced routes and, with sessions,
 * each session's state from BIRD's control socket (a blocking query of
 * up to 300 ms: for xlb bgp, not for every scrape). Returns 0 or -errno;
 * free with bgp_status_free(). */
int bgp_status(struct bgp *b, bool sessions, struct bgp_status *out);
void bgp_status_free(struct bgp_status *s);

#endif /* XLB_BGP_H */
