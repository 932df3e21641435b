/* SPDX-License-Identifier: GPL-2.0 */
/* What the checkers that run on libcurl (HTTP(S), gRPC) share: a transfer
 * per probe in a multi handle driven by our loop, the kept-alive
 * connection watched between probes, and the verdicts on transport
 * errors. Each checker adds its request and its verdict on the answer. */
#ifndef XLB_HEALTH_CURL_H
#define XLB_HEALTH_CURL_H

#include <curl/curl.h>

#include "agent/health_priv.h"

struct hcurl_ctx;
struct hcurl_proto;

/* The start of each checker's per-target state (t->priv). */
struct hcurl_check {
	const struct hcurl_proto *proto;
	struct hcurl_ctx *ctx;
	CURL *easy;
	struct curl_slist *connect_to;
	bool active;			/* added to the multi handle */
	int idle_fd;			/* watched kept-alive connection, -1 */
	char errbuf[CURL_ERROR_SIZE];
	bool h2c_quirk;			/* see CURL_H2C_REUSE_FIXED */
	bool reuse_only;		/* this attempt may not connect */
	bool wanted_new;		/* ... and curl wanted to */
};

/* What differs between the checkers. */
struct hcurl_proto {
	size_t size;		/* of the state, which begins with a
				 * struct hcurl_check */
	bool http2;		/* HTTP/2 only: prior knowledge in cleartext,
				 * ALPN over TLS; a multi handle of its own */
	const char *too_large;	/* the reason when write refused the answer */
	/* Before the handle exists (may be NULL); 0 or -errno. */
	int (*prepare)(struct health_target *t);
	/* Its own options on the handle (after the shared ones). */
	void (*setup)(struct health_target *t, CURL *easy);
	/* Clears what one probe gathers, before each transfer. */
	void (*reset)(struct health_target *t);
	/* The verdict on a transfer complete at the HTTP level. */
	enum hc_result (*verdict)(struct health_target *t, long status,
				  long version, char *reason, size_t len);
	/* Frees what prepare made (may be NULL). */
	void (*fini)(struct health_target *t);
};

/* hc_ops.init for a checker of proto that asks for path. */
int hcurl_init(struct health_target *t, const struct hcurl_proto *proto,
	       const char *path);
/* hc_ops.fini and hc_ops.start of every libcurl checker. */
void hcurl_fini(struct health_target *t);
void hcurl_start(struct health_target *t);

#endif /* XLB_HEALTH_CURL_H */
