// SPDX-License-Identifier: GPL-2.0
/* What the HTTP(S) and gRPC checkers share: libcurl's multi interface
 * driven by our loop, a transfer per probe, the kept-alive connection
 * watched between probes, and the verdicts on transport errors. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agent/health_curl.h"
#include "core/addr.h"
#include "core/log.h"
#include "core/loop.h"

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
 * A context is a multi handle shared by up to HCURL_CTX_TARGETS targets
 * of one loop and one checker (HTTP(S), or gRPC): a connection cache
 * (each target keeps its kept-alive connection there) and a timer.
 * libcurl walks the whole cache on some calls, so one multi handle for
 * thousands of targets costs more CPU than several small ones; each
 * costs a socketpair. Every socket curl opens goes through
 * open_socket()/close_socket(), so we know each one for its whole life
 * and can watch it between transfers.
 */
#define HCURL_CTX_TARGETS 16

struct hcurl_ctx;

struct hcurl_sock {
	struct hcurl_ctx *ctx;
	int fd;
	bool ours;			/* from open_socket(): freed on close */
	unsigned int curl_events;	/* what curl waits for; 0 = nothing */
	unsigned int loop_events;	/* registered with the loop; 0 = not */
	struct health_target *idle;	/* target watching it between probes */
};

struct hcurl_ctx {
	struct loop *loop;
	CURLM *multi;
	const struct hcurl_proto *proto;	/* its targets' checker: HTTP/2
						 * connections never serve an
						 * HTTP/1.1 check */
	uint64_t timer_id;
	unsigned int refs;		/* targets */
	unsigned int busy;		/* inside curl: do not free */
	bool dying;
	struct hcurl_ctx *next;
};

static struct hcurl_ctx *contexts;
/* Every socket curl opened or asked us to watch, by fd, all contexts. */
static struct hcurl_sock **socks;
static size_t nsocks;

/* Sockets */

static struct hcurl_sock *sock_get(struct hcurl_ctx *c, int fd, bool create)
{
	struct hcurl_sock *hs;

	if (fd < 0)
		return NULL;
	if ((size_t)fd < nsocks && socks[fd])
		return socks[fd]->ctx == c ? socks[fd] : NULL;
	if (!create)
		return NULL;
	if ((size_t)fd >= nsocks) {
		size_t n = nsocks ? nsocks : 64;
		struct hcurl_sock **s;

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
static void sock_sync(struct hcurl_ctx *c, struct hcurl_sock *hs)
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

static void idle_clear(struct hcurl_sock *hs)
{
	struct hcurl_check *h;

	if (!hs->idle)
		return;
	h = hs->idle->priv;
	h->idle_fd = -1;
	hs->idle = NULL;
}

static void sock_free(struct hcurl_ctx *c, struct hcurl_sock *hs)
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
	struct hcurl_check *h = t->priv;
	struct hcurl_ctx *c = h->ctx;
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
	struct hcurl_ctx *c = clientp;
	struct hcurl_sock *hs = sock_get(c, fd, false);

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
	struct hcurl_ctx *c = userp;
	struct hcurl_sock *hs;

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

static void ctx_maybe_free(struct hcurl_ctx *c)
{
	struct hcurl_ctx **pp;

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
static void action(struct hcurl_ctx *c, curl_socket_t s, int mask)
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
	struct hcurl_ctx *c = arg;
	struct hcurl_sock *hs = sock_get(c, fd, false);
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
	struct hcurl_ctx *c = arg;

	(void)loop;
	c->timer_id = 0;
	action(c, CURL_SOCKET_TIMEOUT, 0);
}

/* CURLMOPT_TIMERFUNCTION: one timer for the whole multi handle. */
static int timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
	struct hcurl_ctx *c = userp;

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

static void ctx_set_maxconnects(struct hcurl_ctx *c)
{
	/* curl's default, 4 per handle added, counts only handles with a
	 * probe in flight and would close the idle ones we watch */
	curl_multi_setopt(c->multi, CURLMOPT_MAXCONNECTS,
			  (long)c->refs * 2 + 16);
}

static struct hcurl_ctx *ctx_get(struct loop *loop,
				 const struct hcurl_proto *proto)
{
	struct hcurl_ctx *c;

	for (c = contexts; c; c = c->next) {
		if (c->loop == loop && c->proto == proto &&
		    c->refs < HCURL_CTX_TARGETS) {
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
	c->proto = proto;
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

static void ctx_put(struct hcurl_ctx *c)
{
	c->refs--;
	ctx_set_maxconnects(c);
	ctx_maybe_free(c);
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

/* Verdicts */

static enum hc_result classify(struct health_target *t, CURLcode res,
			       long status, long version, long oserr,
			       char *reason, size_t len)
{
	struct hcurl_check *h = t->priv;
	enum hc_result r;

	switch (res) {
	case CURLE_OK:
		return h->proto->verdict(t, status, version, reason, len);
	case CURLE_OPERATION_TIMEDOUT:
		snprintf(reason, len, "timeout");
		return HC_R_TIMEOUT;
	case CURLE_GOT_NOTHING:
		snprintf(reason, len, "closed");
		return HC_R_CLOSED;
	case CURLE_WRITE_ERROR:
		snprintf(reason, len, "%s", h->proto->too_large);
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
	struct hcurl_check *h = t->priv;
	struct hcurl_ctx *c = h->ctx;
	curl_socket_t sock = CURL_SOCKET_BAD;
	char reason[HC_REASON_LEN];
	long status = 0, version = 0, oserr = 0;
	struct hcurl_sock *hs;
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
	struct hcurl_check *h = t->priv;
	struct hcurl_sock *hs = sock_get(h->ctx, h->idle_fd, false);

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
	struct hcurl_check *h = t->priv;
	CURLMcode mc;

	h->proto->reset(t);
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

void hcurl_start(struct health_target *t)
{
	struct hcurl_check *h = t->priv;
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
static int build_url(struct health_target *t, struct hcurl_check *h,
		     const char *path, char *url, size_t len)
{
	const char *scheme = uses_tls(&t->p) ? "https" : "http";
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

/* The state of a new target's checker, in a context of its loop. */
static struct hcurl_check *check_new(struct health_target *t,
				     const struct hcurl_proto *proto)
{
	struct hcurl_check *h = calloc(1, proto->size);

	if (!h)
		return NULL;
	h->proto = proto;
	h->idle_fd = -1;
	h->ctx = ctx_get(t->loop, proto);
	if (!h->ctx) {
		free(h);
		return NULL;
	}
	t->priv = h;
	return h;
}

static long http_version(const struct health_target *t)
{
	struct hcurl_check *h = t->priv;

	if (!h->proto->http2)
		return CURL_HTTP_VERSION_1_1;
	return t->p.tls ? CURL_HTTP_VERSION_2TLS
			: CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE;
}

/* The options every probe of t has; the checker adds its own. */
static void easy_setup(struct health_target *t, CURL *e, const char *url)
{
	struct hcurl_check *h = t->priv;

	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_PRIVATE, t);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, h->errbuf);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_PROXY, "");	/* ignore *_proxy */
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_HTTP_VERSION, http_version(t));
	curl_easy_setopt(e, CURLOPT_PATH_AS_IS, 1L);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "xlb-health/1");
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)t->p.timeout_ms);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)t->p.timeout_ms);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, t);
	curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, open_socket);
	curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, t);
	curl_easy_setopt(e, CURLOPT_CLOSESOCKETFUNCTION, close_socket);
	curl_easy_setopt(e, CURLOPT_CLOSESOCKETDATA, h->ctx);
	if (h->connect_to)
		curl_easy_setopt(e, CURLOPT_CONNECT_TO, h->connect_to);
	if (uses_tls(&t->p)) {
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER,
				 t->p.tls_verify ? 1L : 0L);
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST,
				 t->p.tls_verify ? 2L : 0L);
	}
}

int hcurl_init(struct health_target *t, const struct hcurl_proto *proto,
	       const char *path)
{
	const curl_version_info_data *cv = curl_version_info(CURLVERSION_NOW);
	char url[HC_HOST_LEN + HC_PATH_LEN + 64];
	struct hcurl_check *h = check_new(t, proto);
	int err;

	if (!h)
		return -ENOMEM;
	err = build_url(t, h, path, url, sizeof(url));
	if (!err && proto->prepare)
		err = proto->prepare(t);
	if (!err && proto->http2 && !(cv->features & CURL_VERSION_HTTP2))
		err = -EOPNOTSUPP;	/* libcurl without nghttp2 */
	if (err)
		goto fail;
	h->easy = curl_easy_init();
	if (!h->easy) {
		err = -ENOMEM;
		goto fail;
	}
	h->h2c_quirk = proto->http2 && !t->p.tls &&
		       cv->version_num < CURL_H2C_REUSE_FIXED;
	easy_setup(t, h->easy, url);
	proto->setup(t, h->easy);
	return 0;
fail:
	hcurl_fini(t);
	return err;
}

void hcurl_fini(struct health_target *t)
{
	struct hcurl_check *h = t->priv;
	struct hcurl_ctx *c;

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
	if (h->proto->fini)
		h->proto->fini(t);
	free(h);
	t->priv = NULL;
	ctx_put(c);
}
