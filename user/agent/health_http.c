// SPDX-License-Identifier: GPL-2.0
/* HTTP(S) health checker: a GET whose status must fall in a range and
 * whose body may have to hold a string (on health_curl.c). */
#include <stdio.h>
#include <string.h>

#include "agent/health_curl.h"

/* Bodies past this abort the probe: health endpoints are small. */
#define HTTP_BODY_MAX (1 << 20)

struct http_check {
	struct hcurl_check c;
	/* streaming substring match of p.body */
	size_t needle_len;
	size_t body_seen;
	bool found;
	size_t tail_len;
	char tail[HC_BODY_LEN];
};

/* Finds p.body in the stream without keeping it: each chunk is searched,
 * and so is the seam between the last needle_len-1 bytes and the next. */
static size_t write_cb(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct health_target *t = arg;
	struct http_check *h = t->priv;
	size_t len = size * nmemb, k = h->needle_len - 1, add, keep;
	char seam[2 * HC_BODY_LEN];

	h->body_seen += len;
	if (h->body_seen > HTTP_BODY_MAX)
		return 0;	/* CURLE_WRITE_ERROR */
	if (!h->needle_len || h->found)
		return len;
	add = len < k ? len : k;
	memcpy(seam, h->tail, h->tail_len);
	memcpy(seam + h->tail_len, ptr, add);
	if (memmem(seam, h->tail_len + add, t->p.body, h->needle_len) ||
	    memmem(ptr, len, t->p.body, h->needle_len)) {
		h->found = true;
		return len;
	}
	if (len >= k) {
		memcpy(h->tail, ptr + len - k, k);
		h->tail_len = k;
	} else {
		keep = h->tail_len < k - len ? h->tail_len : k - len;
		memmove(h->tail, h->tail + h->tail_len - keep, keep);
		memcpy(h->tail + keep, ptr, len);
		h->tail_len = keep + len;
	}
	return len;
}

static int http_prepare(struct health_target *t)
{
	struct http_check *h = t->priv;

	h->needle_len = strlen(t->p.body);
	return 0;
}

static void http_setup(struct health_target *t, CURL *easy)
{
	(void)t;
	curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, write_cb);
}

static void http_reset(struct health_target *t)
{
	struct http_check *h = t->priv;

	h->body_seen = 0;
	h->found = false;
	h->tail_len = 0;
}

static enum hc_result http_verdict(struct health_target *t, long status,
				   long version, char *reason, size_t len)
{
	struct http_check *h = t->priv;

	(void)version;
	if (status < t->p.status_min || status > t->p.status_max) {
		snprintf(reason, len, "bad status %ld", status);
		return HC_R_BAD_STATUS;
	}
	if (h->needle_len && !h->found) {
		snprintf(reason, len, "body mismatch");
		return HC_R_BODY_MISMATCH;
	}
	snprintf(reason, len, "ok");
	return HC_R_OK;
}

static const struct hcurl_proto http_proto = {
	.size = sizeof(struct http_check),
	.too_large = "body too large",
	.prepare = http_prepare,
	.setup = http_setup,
	.reset = http_reset,
	.verdict = http_verdict,
};

static int http_init(struct health_target *t)
{
	return hcurl_init(t, &http_proto, t->p.path);
}

const struct hc_ops hc_http_ops = {
	.name = "http",
	.init = http_init,
	.fini = hcurl_fini,
	.start = hcurl_start,
};
