// SPDX-License-Identifier: GPL-2.0
/* HTTP(S) and gRPC health checkers: libcurl's multi interface driven by our
 * loop. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <curl/curl.h>

#include "core/addr.h"
#include "agent/health_priv.h"
#include "core/log.h"
#include "core/loop.h"

/* Bodies past this abort the probe: health endpoints are small. */
#define HTTP_BODY_MAX (1 << 20)

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

/*
 * libcurl before 8.0.0 (Debian 12 has 7.88.1) breaks a cleartext HTTP/2
 * connection made with prior knowledge when a later transfer reuses it
 * with prior knowledge still asked for ("Error in the HTTP2 framing
 * layer", curl issue 10634), while asking for plain HTTP/2 reuses it
 * fine. With such a libcurl each h2c probe first tries to reuse a
 * connection asking for HTTP/2 and refusing new sockets; if curl wants a
 * new connection, the probe starts again at once with prior knowledge and
 * a fresh connection, which later probes then reuse.
 */
#define CURL_H2C_REUSE_FIXED 0x080000

/*
 * A context is a multi handle shared by up to HTTP_CTX_TARGETS targets of
 * one loop, all HTTP(S) or all gRPC: a connection cache (each target
 * keeps its kept-alive connection there) and a timer. libcurl walks the
 * whole cache on some calls, so one multi handle for thousands of targets
 * costs more CPU than several small ones; each costs a socketpair. Every socket curl opens
 * goes through open_socket()/close_socket(), so we know each one for its
 * whole life and can watch it between transfers.
 */
#define HTTP_CTX_TARGETS 16

struct http_ctx;

struct http_sock {
	struct http_ctx *ctx;
	int fd;
	bool ours;			/* from open_socket(): freed on close */
	unsigned int curl_events;	/* what curl waits for; 0 = nothing */
	unsigned int loop_events;	/* registered with the loop; 0 = not */
	struct health_target *idle;	/* target watching it between probes */
};

struct http_ctx {
	struct loop *loop;
	CURLM *multi;
	bool grpc;			/* gRPC targets only: HTTP/2 connections
					 * never serve an HTTP/1.1 check */
	uint64_t timer_id;
	unsigned int refs;		/* targets */
	unsigned int busy;		/* inside curl: do not free */
	bool dying;
	struct http_ctx *next;
};

static struct http_ctx *contexts;
/* Every socket curl opened or asked us to watch, by fd, all contexts. */
static struct http_sock **socks;
static size_t nsocks;

struct http_check {
	struct http_ctx *ctx;
	CURL *easy;
	struct curl_slist *connect_to;
	bool active;			/* added to the multi handle */
	int idle_fd;			/* watched kept-alive connection, -1 */
	char errbuf[CURL_ERROR_SIZE];
	bool grpc;
	bool h2c_quirk;			/* see CURL_H2C_REUSE_FIXED */
	bool reuse_only;		/* this attempt may not connect */
	bool wanted_new;		/* ... and curl wanted to */
	/* gRPC: the framed request, headers, and what came back */
	struct curl_slist *headers;
	unsigned char req[GRPC_PREFIX + 3 + HC_HOST_LEN];
	size_t req_len;
	int grpc_status;		/* grpc-status; -1 = none seen */
	size_t resp_len;
	unsigned char resp[GRPC_RESP_MAX];
	/* streaming substring match of p.body */
	size_t needle_len;
	size_t body_seen;
	bool found;
	size_t tail_len;
	char tail[HC_BODY_LEN];
};

/* Sockets */

static struct http_sock *sock_get(struct http_ctx *c, int fd, bool create)
{
	struct http_sock *hs;

	if (fd < 0)
		return NULL;
	if ((size_t)fd < nsocks && socks[fd])
		return socks[fd]->ctx == c ? socks[fd] : NULL;
	if (!create)
		return NULL;
	if ((size_t)fd >= nsocks) {
		size_t n = nsocks ? nsocks : 64;
		struct http_sock **s;

		while (n <= (size_t)fd)
			n *= 2;
		s = realloc(socks, n * sizeof(*s));
		if (!s)
			return NULL;
		memset(s + nsocks, 0, (n - nsocks) * sizeof(*s));
		socks = s;
		nsocks = n;
	}
	hs = calloc(1, sizeof(*hs));
	if (!hs)
		return NULL;
	hs->ctx = c;
	hs->fd = fd;
	socks[fd] = hs;
	return hs;
}

static void fd_event(struct loop *loop, int fd, unsigned int events, void *arg);

/* Registers with the loop what curl and an idle watch need together. */
static void sock_sync(struct http_ctx *c, struct http_sock *hs)
{
	unsigned int want = hs->curl_events | (hs->idle ? LOOP_READ : 0);
	int err = 0;

	if (want == hs->loop_events)
		return;
	if (!want)
		loop_del_fd(c->loop, hs->fd);
	else if (!hs->loop_events)
		err = loop_add_fd(c->loop, hs->fd, want, fd_event, c);
	else
		err = loop_mod_fd(c->loop, hs->fd, want);
	if (err) {
		pr_warn("health: cannot watch socket %d: %s\n", hs->fd,
			strerror(-err));
		return;
	}
	hs->loop_events = want;
}

static void idle_clear(struct http_sock *hs)
{
	struct http_check *h;

	if (!hs->idle)
		return;
	h = hs->idle->priv;
	h->idle_fd = -1;
	hs->idle = NULL;
}

static void sock_free(struct http_ctx *c, struct http_sock *hs)
{
	idle_clear(hs);
	if (hs->loop_events)
		loop_del_fd(c->loop, hs->fd);
	socks[hs->fd] = NULL;
	free(hs);
}

/* Called for the transfer of the target in clientp, never later. */
static curl_socket_t open_socket(void *clientp, curlsocktype purpose,
				 struct curl_sockaddr *a)
{
	struct health_target *t = clientp;
	struct http_check *h = t->priv;
	struct http_ctx *c = h->ctx;
	int fd;

	(void)purpose;
	if (h->reuse_only) {
		h->wanted_new = true;
		return CURL_SOCKET_BAD;
	}
	fd = socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
	if (fd < 0)
		return CURL_SOCKET_BAD;
	if (!sock_get(c, fd, true)) {
		close(fd);
		return CURL_SOCKET_BAD;
	}
	socks[fd]->ours = true;
	return fd;
}

static int close_socket(void *clientp, curl_socket_t fd)
{
	struct http_ctx *c = clientp;
	struct http_sock *hs = sock_get(c, fd, false);

	/* off the loop before the number can be reused */
	if (hs)
		sock_free(c, hs);
	return close(fd);
}

/* CURLMOPT_SOCKETFUNCTION: what curl wants to wait for on s. */
static int socket_cb(CURL *easy, curl_socket_t s, int what, void *userp,
		     void *socketp)
{
	static const unsigned int events[] = {
		[CURL_POLL_IN] = LOOP_READ,
		[CURL_POLL_OUT] = LOOP_WRITE,
		[CURL_POLL_INOUT] = LOOP_READ | LOOP_WRITE,
	};
	struct http_ctx *c = userp;
	struct http_sock *hs;

	(void)easy;
	(void)socketp;
	hs = sock_get(c, s, what != CURL_POLL_REMOVE);
	if (!hs) {
		if (what != CURL_POLL_REMOVE)
			pr_warn("health: out of memory watching socket %d\n",
				s);
		return 0;
	}
	if (what == CURL_POLL_REMOVE) {
		hs->curl_events = 0;
		if (!hs->ours) {
			sock_free(c, hs);
			return 0;
		}
	} else {
		hs->curl_events =
			what >= CURL_POLL_IN && what <= CURL_POLL_INOUT
				? events[what]
				: 0;
		/* a transfer uses the connection: it is no longer idle */
		idle_clear(hs);
	}
	sock_sync(c, hs);
	return 0;
}

/* Context */

static void ctx_maybe_free(struct http_ctx *c)
{
	struct http_ctx **pp;

	if (c->refs || c->busy || c->dying)
		return;
	c->dying = true;
	for (pp = &contexts; *pp != c; pp = &(*pp)->next)
		;
	*pp = c->next;
	if (c->timer_id)
		loop_del_timer(c->loop, c->timer_id);
	/* closes the cached connections through close_socket() */
	curl_multi_cleanup(c->multi);
	for (size_t i = 0; i < nsocks; i++)
		if (socks[i] && socks[i]->ctx == c)
			sock_free(c, socks[i]);
	if (!contexts) {
		free(socks);
		socks = NULL;
		nsocks = 0;
	}
	free(c);
	curl_global_cleanup();
}

static void finish(struct health_target *t, CURLcode res);
static CURLMcode transfer_start(struct health_target *t, bool reuse_only);

/* Lets curl act on a socket or its timeout, then collects ended probes. */
static void action(struct http_ctx *c, curl_socket_t s, int mask)
{
	CURLMsg *msg;
	int running, left;

	c->busy++;
	curl_multi_socket_action(c->multi, s, mask, &running);
	while ((msg = curl_multi_info_read(c->multi, &left))) {
		struct health_target *t = NULL;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &t);
		/* may stop targets, removing their messages from the queue */
		finish(t, msg->data.result);
	}
	c->busy--;
	ctx_maybe_free(c);
}

static void fd_event(struct loop *loop, int fd, unsigned int events, void *arg)
{
	struct http_ctx *c = arg;
	struct http_sock *hs = sock_get(c, fd, false);
	struct health_target *t;
	char b;
	ssize_t n;

	(void)loop;
	if (!hs)
		return;
	if (hs->curl_events) {
		action(c, fd,
		       (events & LOOP_READ ? CURL_CSELECT_IN : 0) |
			       (events & LOOP_WRITE ? CURL_CSELECT_OUT : 0));
		return;
	}
	if (!hs->idle)
		return;
	/* an idle kept-alive connection turned readable: closed, reset, or
	 * an unasked-for answer (a 408); curl will not reuse it */
	t = hs->idle;
	idle_clear(hs);
	sock_sync(c, hs);
	n = recv(fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
	hc_held_closed(t, n == 0  ? "closed"
			  : n > 0 ? "sent data"
				  : health_result_name(hc_errno_result(errno)));
}

static void timer_fire(struct loop *loop, void *arg)
{
	struct http_ctx *c = arg;

	(void)loop;
	c->timer_id = 0;
	action(c, CURL_SOCKET_TIMEOUT, 0);
}

/* CURLMOPT_TIMERFUNCTION: one timer for the whole multi handle. */
static int timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
	struct http_ctx *c = userp;

	(void)multi;
	if (c->timer_id) {
		loop_del_timer(c->loop, c->timer_id);
		c->timer_id = 0;
	}
	if (timeout_ms >= 0 && !c->dying) {
		c->timer_id = loop_add_timer(c->loop,
					     (uint64_t)timeout_ms * 1000000ULL,
					     timer_fire, c);
		if (!c->timer_id)
			return -1;
	}
	return 0;
}

static void ctx_set_maxconnects(struct http_ctx *c)
{
	/* curl's default, 4 per handle added, counts only handles with a
	 * probe in flight and would close the idle ones we watch */
	curl_multi_setopt(c->multi, CURLMOPT_MAXCONNECTS,
			  (long)c->refs * 2 + 16);
}

static struct http_ctx *ctx_get(struct loop *loop, bool grpc)
{
	struct http_ctx *c;

	for (c = contexts; c; c = c->next) {
		if (c->loop == loop && c->grpc == grpc &&
		    c->refs < HTTP_CTX_TARGETS) {
			c->refs++;
			ctx_set_maxconnects(c);
			return c;
		}
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT))
		return NULL;
	c = calloc(1, sizeof(*c));
	if (!c || !(c->multi = curl_multi_init())) {
		free(c);
		curl_global_cleanup();
		return NULL;
	}
	c->loop = loop;
	c->grpc = grpc;
	c->refs = 1;
	curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, socket_cb);
	curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
	curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
	curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
	ctx_set_maxconnects(c);
	c->next = contexts;
	contexts = c;
	return c;
}

static void ctx_put(struct http_ctx *c)
{
	c->refs--;
	ctx_set_maxconnects(c);
	ctx_maybe_free(c);
}

/* Probes */

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

/* prefix + msg, cut to len: curl's messages can be long. */
static void join_reason(char *buf, size_t len, const char *prefix,
			const char *msg)
{
	size_t n = strnlen(prefix, len - 1), m = strnlen(msg, len - 1 - n);

	memcpy(buf, prefix, n);
	memcpy(buf + n, msg, m);
	buf[n + m] = '\0';
}

/* gRPC */

/* Keeps the answer's message, which is small (else the probe fails). */
static size_t grpc_write_cb(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct health_target *t = arg;
	struct http_check *h = t->priv;
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
	struct http_check *h = t->priv;
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
	struct http_check *h = t->priv;
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
static int grpc_prepare(struct health_target *t, struct http_check *h)
{
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

/* Verdicts */

static enum hc_result classify(struct health_target *t, CURLcode res,
			       long status, long version, long oserr,
			       char *reason, size_t len)
{
	struct http_check *h = t->priv;
	enum hc_result r;

	switch (res) {
	case CURLE_OK:
		if (h->grpc)
			return grpc_classify(t, status, version, reason, len);
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
	case CURLE_OPERATION_TIMEDOUT:
		snprintf(reason, len, "timeout");
		return HC_R_TIMEOUT;
	case CURLE_GOT_NOTHING:
		snprintf(reason, len, "closed");
		return HC_R_CLOSED;
	case CURLE_WRITE_ERROR:
		snprintf(reason, len, "%s",
			 h->grpc ? "grpc: response too large"
				 : "body too large");
		return HC_R_ERROR;
	case CURLE_COULDNT_CONNECT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_SSL_CONNECT_ERROR:
		r = oserr ? hc_errno_result((int)oserr) : HC_R_ERROR;
		if (r == HC_R_ERROR && res == CURLE_RECV_ERROR)
			r = HC_R_RESET;
		if (r != HC_R_ERROR) {
			snprintf(reason, len, "%s", health_result_name(r));
			return r;
		}
		break;
	default:
		break;
	}
	if (res == CURLE_SSL_CONNECT_ERROR ||
	    res == CURLE_PEER_FAILED_VERIFICATION ||
	    res == CURLE_SSL_CERTPROBLEM || res == CURLE_SSL_CACERT_BADFILE ||
	    res == CURLE_SSL_PINNEDPUBKEYNOTMATCH) {
		join_reason(reason, len, "tls: ",
			    h->errbuf[0] ? h->errbuf : curl_easy_strerror(res));
		return HC_R_TLS;
	}
	join_reason(reason, len, "error: ",
		    h->errbuf[0] ? h->errbuf : curl_easy_strerror(res));
	return HC_R_ERROR;
}

static void finish(struct health_target *t, CURLcode res)
{
	struct http_check *h = t->priv;
	struct http_ctx *c = h->ctx;
	curl_socket_t sock = CURL_SOCKET_BAD;
	char reason[HC_REASON_LEN];
	long status = 0, version = 0, oserr = 0;
	struct http_sock *hs;
	enum hc_result r;

	curl_easy_getinfo(h->easy, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(h->easy, CURLINFO_HTTP_VERSION, &version);
	curl_easy_getinfo(h->easy, CURLINFO_OS_ERRNO, &oserr);
	/* the connection curl kept alive, if any, still in its cache */
	if (curl_easy_getinfo(h->easy, CURLINFO_ACTIVESOCKET, &sock))
		sock = CURL_SOCKET_BAD;
	curl_multi_remove_handle(c->multi, h->easy);
	h->active = false;
	if (h->reuse_only && h->wanted_new) {
		/* no connection to reuse: again, with a new one */
		CURLMcode mc = transfer_start(t, false);

		if (!mc)
			return;
		snprintf(reason, sizeof(reason), "error: %s",
			 curl_multi_strerror(mc));
		hc_probe_done(t, HC_R_ERROR, reason);
		return;
	}
	h->reuse_only = false;
	r = classify(t, res, status, version, oserr, reason, sizeof(reason));
	hs = sock == CURL_SOCKET_BAD ? NULL : sock_get(c, sock, false);
	if (hs && !hs->curl_events && !hs->idle) {
		hs->idle = t;
		h->idle_fd = sock;
		sock_sync(c, hs);
	}
	hc_probe_done(t, r, reason);
}

/* Stops watching the kept-alive connection; close_it also ends it (the
 * socket stays curl's, which closes it once it finds it dead), so that a
 * removed backend does not keep an idle connection from us. */
static void idle_stop(struct health_target *t, bool close_it)
{
	struct http_check *h = t->priv;
	struct http_sock *hs = sock_get(h->ctx, h->idle_fd, false);

	if (hs && hs->idle == t) {
		if (close_it && !hs->curl_events)
			shutdown(hs->fd, SHUT_RDWR);
		idle_clear(hs);
		sock_sync(h->ctx, hs);
	}
	h->idle_fd = -1;
}

/* Starts a transfer; reuse_only for the first attempt of an h2c probe
 * with the libcurl quirk (see CURL_H2C_REUSE_FIXED). */
static CURLMcode transfer_start(struct health_target *t, bool reuse_only)
{
	struct http_check *h = t->priv;
	CURLMcode mc;

	h->body_seen = 0;
	h->found = false;
	h->tail_len = 0;
	h->grpc_status = -1;
	h->resp_len = 0;
	h->errbuf[0] = '\0';
	if (h->h2c_quirk) {
		h->reuse_only = reuse_only;
		h->wanted_new = false;
		curl_easy_setopt(h->easy, CURLOPT_HTTP_VERSION,
				 reuse_only
					 ? CURL_HTTP_VERSION_2_0
					 : CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE);
		curl_easy_setopt(h->easy, CURLOPT_FRESH_CONNECT,
				 reuse_only ? 0L : 1L);
	}
	mc = curl_multi_add_handle(h->ctx->multi, h->easy);
	h->active = !mc;
	return mc;
}

static void http_start(struct health_target *t)
{
	struct http_check *h = t->priv;
	CURLMcode mc;

	idle_stop(t, false);
	mc = transfer_start(t, h->h2c_quirk);
	if (mc) {
		char reason[HC_REASON_LEN];

		snprintf(reason, sizeof(reason), "error: %s",
			 curl_multi_strerror(mc));
		hc_probe_done_soon(t, HC_R_ERROR, reason);
	}
}

static bool uses_tls(const struct hc_params *p)
{
	return p->type == HC_HTTPS || (p->type == HC_GRPC && p->tls);
}

/* "http://192.0.2.1:80/path", or with a host name and a CONNECT_TO entry
 * sending it to the address, so that Host, SNI and the certificate check
 * all use the name. */
static int build_url(struct health_target *t, struct http_check *h, char *url,
		     size_t len)
{
	const char *scheme = uses_tls(&t->p) ? "https" : "http";
	const char *path = h->grpc ? GRPC_PATH : t->p.path;
	char addr[INET6_ADDRSTRLEN + 2], buf[INET6_ADDRSTRLEN], entry[600];
	union xlb_addr a = { 0 };
	__u8 family;
	CURLU *u;
	int n;

	if (t->sa.ss_family == AF_INET6) {
		memcpy(a.v6, &((struct sockaddr_in6 *)&t->sa)->sin6_addr, 16);
		family = XLB_FAMILY_V6;
	} else {
		a.v4 = ((struct sockaddr_in *)&t->sa)->sin_addr.s_addr;
		family = XLB_FAMILY_V4;
	}
	xlb_addr_str(&a, family, buf, sizeof(buf));
	snprintf(addr, sizeof(addr), family == XLB_FAMILY_V6 ? "[%s]" : "%s",
		 buf);
	n = snprintf(url, len, "%s://%s:%u%s", scheme,
		     t->p.host[0] ? t->p.host : addr, t->p.port, path);
	if (n < 0 || (size_t)n >= len)
		return -EINVAL;
	/* reject what curl would only reject at the first probe */
	u = curl_url();
	if (!u)
		return -ENOMEM;
	n = curl_url_set(u, CURLUPART_URL, url, 0);
	curl_url_cleanup(u);
	if (n)
		return -EINVAL;
	if (t->p.host[0]) {
		snprintf(entry, sizeof(entry), "%s:%u:%s:%u", t->p.host,
			 t->p.port, addr, t->p.port);
		h->connect_to = curl_slist_append(NULL, entry);
		if (!h->connect_to)
			return -ENOMEM;
	}
	return 0;
}

static void http_fini(struct health_target *t);

static int http_init(struct health_target *t)
{
	const curl_version_info_data *cv = curl_version_info(CURLVERSION_NOW);
	char url[HC_HOST_LEN + HC_PATH_LEN + 64];
	struct http_check *h = calloc(1, sizeof(*h));
	CURL *e;
	int err;

	if (!h)
		return -ENOMEM;
	t->priv = h;
	h->idle_fd = -1;
	h->grpc = t->p.type == HC_GRPC;
	h->needle_len = h->grpc ? 0 : strlen(t->p.body);
	h->ctx = ctx_get(t->loop, h->grpc);
	if (!h->ctx) {
		free(h);
		t->priv = NULL;
		return -ENOMEM;
	}
	err = build_url(t, h, url, sizeof(url));
	if (!err && h->grpc)
		err = grpc_prepare(t, h);
	if (!err && h->grpc && !(cv->features & CURL_VERSION_HTTP2))
		err = -EOPNOTSUPP;	/* libcurl without nghttp2 */
	if (err)
		goto fail;
	e = h->easy = curl_easy_init();
	if (!e) {
		err = -ENOMEM;
		goto fail;
	}
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_PRIVATE, t);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, h->errbuf);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_PROXY, "");	/* ignore *_proxy */
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1);
	curl_easy_setopt(e, CURLOPT_PATH_AS_IS, 1L);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "xlb-health/1");
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)t->p.timeout_ms);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)t->p.timeout_ms);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, t);
	curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, open_socket);
	curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, t);
	curl_easy_setopt(e, CURLOPT_CLOSESOCKETFUNCTION, close_socket);
	curl_easy_setopt(e, CURLOPT_CLOSESOCKETDATA, h->ctx);
	if (h->connect_to)
		curl_easy_setopt(e, CURLOPT_CONNECT_TO, h->connect_to);
	if (h->grpc) {
		h->h2c_quirk = !t->p.tls &&
			       cv->version_num < CURL_H2C_REUSE_FIXED;
		curl_easy_setopt(e, CURLOPT_HTTP_VERSION,
				 t->p.tls ? CURL_HTTP_VERSION_2TLS
					  : CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE);
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, h->req);
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)h->req_len);
		curl_easy_setopt(e, CURLOPT_HTTPHEADER, h->headers);
		curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, grpc_write_cb);
		curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, grpc_header_cb);
		curl_easy_setopt(e, CURLOPT_HEADERDATA, t);
	}
	if (uses_tls(&t->p)) {
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER,
				 t->p.tls_verify ? 1L : 0L);
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST,
				 t->p.tls_verify ? 2L : 0L);
	}
	return 0;
fail:
	http_fini(t);
	return err;
}

static void http_fini(struct health_target *t)
{
	struct http_check *h = t->priv;
	struct http_ctx *c;

	if (!h)
		return;
	c = h->ctx;
	idle_stop(t, true);
	if (h->easy) {
		if (h->active)
			curl_multi_remove_handle(c->multi, h->easy);
		curl_easy_cleanup(h->easy);
	}
	curl_slist_free_all(h->connect_to);
	curl_slist_free_all(h->headers);
	free(h);
	t->priv = NULL;
	ctx_put(c);
}

const struct hc_ops hc_http_ops = {
	.name = "http",
	.init = http_init,
	.fini = http_fini,
	.start = http_start,
};

/* The same machinery, in multi handles of their own (see struct http_ctx). */
const struct hc_ops hc_grpc_ops = {
	.name = "grpc",
	.init = http_init,
	.fini = http_fini,
	.start = http_start,
};
