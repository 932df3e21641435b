// SPDX-License-Identifier: GPL-2.0
/* Control socket, the agent's side: accept, check the peer is root
 * (SO_PEERCRED), read one JSON line, answer with one JSON line, close. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "agent/ctl.h"
#include "core/addr.h"
#include "core/log.h"

#define CTL_MAX_REQUEST (64 * 1024)
#define CTL_CLIENT_TIMEOUT_NS (2ULL * 1000000000ULL)

struct ctl_server {
	struct loop *loop;
	int fd;
	char *path;
	ctl_handler_fn fn;
	void *arg;
};

struct ctl_client {
	struct ctl_server *srv;
	int fd;
	uint64_t timer;
	size_t len;
	char buf[CTL_MAX_REQUEST];
};

json_object *ctl_error(const char *fmt, ...)
{
	json_object *o = json_object_new_object();
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_object_object_add(o, "error", json_object_new_string(msg));
	return o;
}

/* /run/xlb may not exist yet (tmpfs after boot): create it, root only. */
static void make_parent_dir(const char *path)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return;
	*slash = '\0';
	if (mkdir(dir, 0700) && errno != EEXIST)
		pr_warn("control: cannot create %s: %s\n", dir,
			strerror(errno));
}

static void client_close(struct ctl_client *c)
{
	loop_del_fd(c->srv->loop, c->fd);
	if (c->timer)
		loop_del_timer(c->srv->loop, c->timer);
	close(c->fd);
	free(c);
}

static void client_reply(struct ctl_client *c, json_object *resp)
{
	const char *text = json_object_to_json_string_ext(resp,
							  JSON_C_TO_STRING_PLAIN);
	size_t len = strlen(text), off = 0;
	struct pollfd pfd = { .fd = c->fd, .events = POLLOUT };

	/* Responses are small; a bounded wait for a slow reader is fine. */
	while (off < len) {
		ssize_t n = send(c->fd, text + off, len - off, MSG_NOSIGNAL);

		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EAGAIN && poll(&pfd, 1, 1000) > 0)
			continue;
		break;
	}
	(void)!send(c->fd, "\n", 1, MSG_NOSIGNAL);
	json_object_put(resp);
}

static void client_timeout(struct loop *loop, void *arg)
{
	struct ctl_client *c = arg;

	(void)loop;
	c->timer = 0;
	client_close(c);
}

static void client_readable(struct loop *loop, int fd, unsigned int events,
			    void *arg)
{
	struct ctl_client *c = arg;
	json_object *req, *resp;
	char *nl;
	ssize_t n;

	(void)loop;
	(void)events;
	n = recv(fd, c->buf + c->len, sizeof(c->buf) - 1 - c->len, 0);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n > 0)
		c->len += (size_t)n;
	c->buf[c->len] = '\0';
	nl = strchr(c->buf, '\n');
	if (!nl && n > 0 && c->len < sizeof(c->buf) - 1)
		return;	/* wait for the rest of the line */
	if (nl)
		*nl = '\0';
	req = json_tokener_parse(c->buf);
	if (!req || !json_object_is_type(req, json_type_object))
		resp = ctl_error("request is not a JSON object");
	else
		resp = c->srv->fn(req, c->srv->arg);
	json_object_put(req);
	client_reply(c, resp);
	client_close(c);
}

static void accept_ready(struct loop *loop, int fd, unsigned int events,
			 void *arg)
{
	struct ctl_server *srv = arg;
	struct ucred cred;
	socklen_t len = sizeof(cred);
	struct ctl_client *c;
	int cfd;

	(void)events;
	cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (cfd < 0)
		return;
	if (getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &cred, &len) ||
	    cred.uid != 0) {
		static const char refusal[] =
			"{\"error\": \"permission denied: root only\"}\n";

		pr_warn("control: refused a request from uid %u\n",
			(unsigned int)cred.uid);
		(void)!send(cfd, refusal, sizeof(refusal) - 1, MSG_NOSIGNAL);
		close(cfd);
		return;
	}
	c = calloc(1, sizeof(*c));
	if (!c || loop_add_fd(loop, cfd, LOOP_READ, client_readable, c)) {
		free(c);
		close(cfd);
		return;
	}
	c->srv = srv;
	c->fd = cfd;
	c->timer = loop_add_timer(loop, CTL_CLIENT_TIMEOUT_NS, client_timeout,
				  c);
}

struct ctl_server *ctl_listen(struct loop *loop, const char *path,
			      ctl_handler_fn fn, void *arg)
{
	struct ctl_server *srv = calloc(1, sizeof(*srv));
	struct sockaddr_un sun;
	mode_t old_mask;
	int err;

	if (!srv)
		return NULL;
	srv->fd = -1;
	err = unix_addr(path, &sun);
	if (err)
		goto err;
	srv->path = strdup(path);
	srv->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
			 0);
	if (!srv->path || srv->fd < 0) {
		err = -errno;
		goto err;
	}
	make_parent_dir(path);
	unlink(path);	/* a stale socket from an agent that died */
	old_mask = umask(0177);	/* created 0600: root only */
	err = bind(srv->fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(old_mask);
	if (err || listen(srv->fd, 64)) {
		err = -errno;
		goto err;
	}
	srv->loop = loop;
	srv->fn = fn;
	srv->arg = arg;
	err = loop_add_fd(loop, srv->fd, LOOP_READ, accept_ready, srv);
	if (err)
		goto err;
	return srv;
err:
	if (srv->fd >= 0)
		close(srv->fd);
	free(srv->path);
	free(srv);
	errno = -err;
	return NULL;
}

void ctl_close(struct ctl_server *srv)
{
	if (!srv)
		return;
	loop_del_fd(srv->loop, srv->fd);
	close(srv->fd);
	unlink(srv->path);
	free(srv->path);
	free(srv);
}
