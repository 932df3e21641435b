// SPDX-License-Identifier: GPL-2.0
/* gRPC health checker: grpc.health.v1.Health/Check over HTTP/2 (on
 * health_curl.c). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "agent/health_curl.h"

/*
 * gRPC: grpc.health.v1.Health/Check, a unary call over HTTP/2 (prior
 * knowledge in cleartext, ALPN over TLS). The request and the answer are
 * length-prefixed messages (a flag byte, 0 for uncompressed, and a 32-bit
 * big-endian length) holding a HealthCheckRequest { string service = 1; }
 * and a HealthCheckResponse { ServingStatus status = 1; }; the call's
 * outcome is the grpc-status header (a trailers-only answer) or trailer.
 */
#define GRPC_PATH "/grpc.health.v1.Health/Check"
#define GRPC_PREFIX 5
/* A HealthCheckResponse is 2 bytes; room for fields added later. */
#define GRPC_RESP_MAX 1024
#define GRPC_SERVING 1

struct grpc_check {
	struct hcurl_check c;
	/* the framed request, headers, and what came back */
	struct curl_slist *headers;
	unsigned char req[GRPC_PREFIX + 3 + HC_HOST_LEN];
	size_t req_len;
	int grpc_status;		/* grpc-status; -1 = none seen */
	size_t resp_len;
	unsigned char resp[GRPC_RESP_MAX];
};

/* Keeps the answer's message, which is small (else the probe fails). */
static size_t grpc_write_cb(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct health_target *t = arg;
	struct grpc_check *h = t->priv;
	size_t len = size * nmemb;

	if (len > sizeof(h->resp) - h->resp_len)
		return 0;	/* CURLE_WRITE_ERROR */
	memcpy(h->resp + h->resp_len, ptr, len);
	h->resp_len += len;
	return len;
}

/* Sees the headers and, over HTTP/2, the trailers: finds grpc-status. */
static size_t grpc_header_cb(char *buf, size_t size, size_t nitems, void *arg)
{
	static const char name[] = "grpc-status:";
	struct health_target *t = arg;
	struct grpc_check *h = t->priv;
	size_t len = size * nitems, i = sizeof(name) - 1;
	int v = 0, digits = 0;

	if (len < i || strncasecmp(buf, name, i))
		return len;
	while (i < len && (buf[i] == ' ' || buf[i] == '\t'))
		i++;
	for (; i < len && buf[i] >= '0' && buf[i] <= '9' && v < 100000; i++) {
		v = v * 10 + (buf[i] - '0');
		digits++;
	}
	/* a malformed value is an error status (UNKNOWN) */
	h->grpc_status = digits ? v : 2;
	return len;
}

static bool read_varint(const unsigned char **p, const unsigned char *end,
			uint64_t *v)
{
	*v = 0;
	for (unsigned int shift = 0; shift < 64 && *p < end; shift += 7) {
		unsigned char b = *(*p)++;

		*v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			return true;
	}
	return false;
}

/* The serving status out of a HealthCheckResponse, unknown fields
 * skipped; proto3 leaves out a zero (UNKNOWN). -1 when malformed. */
static long long grpc_serving_status(const unsigned char *p, size_t len)
{
	const unsigned char *end = p + len;
	uint64_t key, v, status = 0;

	while (p < end) {
		if (!read_varint(&p, end, &key))
			return -1;
		switch (key & 7) {
		case 0:	/* varint */
			if (!read_varint(&p, end, &v))
				return -1;
			if (key >> 3 == 1)
				status = v;
			continue;
		case 1:	/* 64-bit */
			v = 8;
			break;
		case 2:	/* length-delimited */
			if (!read_varint(&p, end, &v))
				return -1;
			break;
		case 5:	/* 32-bit */
			v = 4;
			break;
		default:
			return -1;
		}
		if (v > (uint64_t)(end - p))
			return -1;
		p += v;
	}
	return status > INT32_MAX ? INT32_MAX : (long long)status;
}

static const char *grpc_code_name(int code)
{
	static const char *const names[] = {
		"OK",		     "CANCELLED",	  "UNKNOWN",
		"INVALID_ARGUMENT",  "DEADLINE_EXCEEDED", "NOT_FOUND",
		"ALREADY_EXISTS",    "PERMISSION_DENIED", "RESOURCE_EXHAUSTED",
		"FAILED_PRECONDITION", "ABORTED",	  "OUT_OF_RANGE",
		"UNIMPLEMENTED",     "INTERNAL",	  "UNAVAILABLE",
		"DATA_LOSS",	     "UNAUTHENTICATED",
	};

	return code >= 0 && (size_t)code < sizeof(names) / sizeof(names[0])
		       ? names[code]
		       : NULL;
}

/* The verdict on a gRPC call that completed at the HTTP level. */
static enum hc_result grpc_classify(struct health_target *t, long status,
				    long version, char *reason, size_t len)
{
	static const char *const serving[] = { "UNKNOWN", "SERVING",
					       "NOT_SERVING", "SERVICE_UNKNOWN" };
	struct grpc_check *h = t->priv;
	const char *name;
	uint32_t mlen;
	long long st;

	if (version != CURL_HTTP_VERSION_2_0) {
		snprintf(reason, len, "grpc: server does not speak HTTP/2");
		return HC_R_ERROR;
	}
	if (status != 200) {
		snprintf(reason, len, "bad status %ld", status);
		return HC_R_BAD_STATUS;
	}
	if (h->grpc_status < 0) {
		snprintf(reason, len, "grpc: no grpc-status");
		return HC_R_ERROR;
	}
	if (h->grpc_status) {
		name = grpc_code_name(h->grpc_status);
		if (name)
			snprintf(reason, len, "grpc status %d (%s)",
				 h->grpc_status, name);
		else
			snprintf(reason, len, "grpc status %d", h->grpc_status);
		return HC_R_BAD_STATUS;
	}
	if (h->resp_len < GRPC_PREFIX) {
		snprintf(reason, len, "grpc: no response message");
		return HC_R_ERROR;
	}
	if (h->resp[0]) {
		snprintf(reason, len, "grpc: compressed response");
		return HC_R_ERROR;
	}
	mlen = (uint32_t)h->resp[1] << 24 | (uint32_t)h->resp[2] << 16 |
	       (uint32_t)h->resp[3] << 8 | h->resp[4];
	st = mlen == h->resp_len - GRPC_PREFIX
		     ? grpc_serving_status(h->resp + GRPC_PREFIX, mlen)
		     : -1;
	if (st < 0) {
		snprintf(reason, len, "grpc: malformed response");
		return HC_R_ERROR;
	}
	if (st != GRPC_SERVING) {
		if ((size_t)st < sizeof(serving) / sizeof(serving[0]))
			snprintf(reason, len, "grpc %s", serving[st]);
		else
			snprintf(reason, len, "grpc serving status %lld", st);
		return HC_R_BAD_STATUS;
	}
	snprintf(reason, len, "ok");
	return HC_R_OK;
}

/* The framed HealthCheckRequest, and the headers of the call. */
static int grpc_prepare(struct health_target *t)
{
	struct grpc_check *h = t->priv;
	size_t slen = strlen(t->p.service), n = 0;
	unsigned char *m = h->req + GRPC_PREFIX;
	char timeout[32];
	const char *const headers[] = {
		"Content-Type: application/grpc",
		"TE: trailers",
		"Accept:",	/* curl's default, not gRPC's */
		timeout,
	};

	if (slen) {
		m[n++] = 0x0a;	/* field 1, length-delimited */
		if (slen >= 0x80) {
			m[n++] = (unsigned char)(slen | 0x80);
			m[n++] = (unsigned char)(slen >> 7);
		} else {
			m[n++] = (unsigned char)slen;
		}
		memcpy(m + n, t->p.service, slen);
		n += slen;
	}
	h->req[0] = 0;
	h->req[1] = (unsigned char)(n >> 24);
	h->req[2] = (unsigned char)(n >> 16);
	h->req[3] = (unsigned char)(n >> 8);
	h->req[4] = (unsigned char)n;
	h->req_len = GRPC_PREFIX + n;

	/* the server may give up when we do (at most 8 digits) */
	if (t->p.timeout_ms <= 99999999)
		snprintf(timeout, sizeof(timeout), "grpc-timeout: %um",
			 t->p.timeout_ms);
	else
		snprintf(timeout, sizeof(timeout), "grpc-timeout: %uS",
			 (t->p.timeout_ms + 999) / 1000);
	for (size_t i = 0; i < sizeof(headers) / sizeof(headers[0]); i++) {
		struct curl_slist *l = curl_slist_append(h->headers, headers[i]);

		if (!l)
			return -ENOMEM;
		h->headers = l;
	}
	return 0;
}

static void grpc_setup(struct health_target *t, CURL *e)
{
	struct grpc_check *h = t->priv;

	curl_easy_setopt(e, CURLOPT_POSTFIELDS, h->req);
	curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)h->req_len);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, h->headers);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, grpc_write_cb);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, grpc_header_cb);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, t);
}

static void grpc_reset(struct health_target *t)
{
	struct grpc_check *h = t->priv;

	h->grpc_status = -1;
	h->resp_len = 0;
}

static void grpc_fini(struct health_target *t)
{
	struct grpc_check *h = t->priv;

	curl_slist_free_all(h->headers);
}

static const struct hcurl_proto grpc_proto = {
	.size = sizeof(struct grpc_check),
	.http2 = true,
	.too_large = "grpc: response too large",
	.prepare = grpc_prepare,
	.setup = grpc_setup,
	.reset = grpc_reset,
	.verdict = grpc_classify,
	.fini = grpc_fini,
};

static int grpc_init(struct health_target *t)
{
	return hcurl_init(t, &grpc_proto, GRPC_PATH);
}

/* The same machinery as HTTP(S), in multi handles of their own (see
 * struct hcurl_ctx). */
const struct hc_ops hc_grpc_ops = {
	.name = "grpc",
	.init = grpc_init,
	.fini = hcurl_fini,
	.start = hcurl_start,
};
