// SPDX-License-Identifier: GPL-2.0
/* TCP health checker: a non-blocking connect, then the socket held open. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agent/health_priv.h"
#include "core/loop.h"

struct tcp_check {
	int fd;			/* connect in flight, or -1 */
	int held;		/* connection of the last success, or -1 */
	uint64_t timeout_id;
};

/* Closes with an RST rather than a FIN, as HAProxy's checks do: the
 * checker's side keeps no TIME_WAIT per probe. */
static void close_rst(int fd)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
}

static void drop_fd(struct health_target *t, int *fd)
{
	if (*fd < 0)
		return;
	loop_del_fd(t->loop, *fd);
	close_rst(*fd);
	*fd = -1;
}

static void fail_reason(char *buf, size_t len, enum hc_result r, int err)
{
	if (r == HC_R_ERROR)
		snprintf(buf, len, "error: %s", strerror(err));
	else
		snprintf(buf, len, "%s", health_result_name(r));
}

/* Readable held socket: data (a banner) is drained; EOF or an error means
 * the server closed or died. */
static void held_event(struct loop *loop, int fd, unsigned int events,
		       void *arg)
{
	struct health_target *t = arg;
	struct tcp_check *c = t->priv;
	char buf[512];
	ssize_t n;

	(void)loop;
	(void)events;
	n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (n > 0 || (n < 0 && (errno == EAGAIN || errno == EINTR)))
		return;
	drop_fd(t, &c->held);
	hc_held_closed(t, n == 0 ? "closed"
				 : health_result_name(hc_errno_result(errno)));
}

static void connect_event(struct loop *loop, int fd, unsigned int events,
			  void *arg)
{
	struct health_target *t = arg;
	struct tcp_check *c = t->priv;
	struct sockaddr_storage peer;
	socklen_t len = sizeof(int);
	char reason[HC_REASON_LEN];
	enum hc_result r;
	int err = 0;

	(void)events;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len))
		err = errno;
	if (!err) {
		len = sizeof(peer);
		if (getpeername(fd, (struct sockaddr *)&peer, &len)) {
			if (errno == ENOTCONN)
				return;	/* not done yet: a stale event */
			err = errno;
		}
	}
	loop_del_timer(loop, c->timeout_id);
	c->timeout_id = 0;
	if (err) {
		drop_fd(t, &c->fd);
		r = hc_errno_result(err);
		fail_reason(reason, sizeof(reason), r, err);
		hc_probe_done(t, r, reason);
		return;
	}
	/* hold the new connection in place of the previous one */
	drop_fd(t, &c->held);
	loop_del_fd(loop, fd);
	c->fd = -1;
	if (!loop_add_fd(loop, fd, LOOP_READ, held_event, t))
		c->held = fd;
	else
		close_rst(fd);
	hc_probe_done(t, HC_R_OK, NULL);
}

static void timeout_timer(struct loop *loop, void *arg)
{
	struct health_target *t = arg;
	struct tcp_check *c = t->priv;

	(void)loop;
	c->timeout_id = 0;
	drop_fd(t, &c->fd);
	hc_probe_done(t, HC_R_TIMEOUT, NULL);
}

static void tcp_start(struct health_target *t)
{
	struct tcp_check *c = t->priv;
	char reason[HC_REASON_LEN];
	enum hc_result r;
	int fd, err;

	fd = socket(t->sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    0);
	if (fd < 0) {
		err = errno;
		goto fail;
	}
	if (connect(fd, (struct sockaddr *)&t->sa, t->salen) &&
	    errno != EINPROGRESS) {
		err = errno;
		close_rst(fd);
		goto fail;
	}
	err = -loop_add_fd(t->loop, fd, LOOP_WRITE, connect_event, t);
	if (err) {
		close_rst(fd);
		goto fail;
	}
	c->fd = fd;
	c->timeout_id = loop_add_timer(t->loop, t->p.timeout_ms * 1000000ULL,
				       timeout_timer, t);
	if (!c->timeout_id) {
		drop_fd(t, &c->fd);
		err = ENOMEM;
		goto fail;
	}
	return;
fail:
	r = hc_errno_result(err);
	fail_reason(reason, sizeof(reason), r, err);
	hc_probe_done_soon(t, r, reason);
}

static int tcp_init(struct health_target *t)
{
	struct tcp_check *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	c->fd = -1;
	c->held = -1;
	t->priv = c;
	return 0;
}

static void tcp_fini(struct health_target *t)
{
	struct tcp_check *c = t->priv;

	if (!c)
		return;
	if (c->timeout_id)
		loop_del_timer(t->loop, c->timeout_id);
	drop_fd(t, &c->fd);
	drop_fd(t, &c->held);
	free(c);
	t->priv = NULL;
}

const struct hc_ops hc_tcp_ops = {
	.name = "tcp",
	.init = tcp_init,
	.fini = tcp_fini,
	.start = tcp_start,
};
