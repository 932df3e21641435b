// SPDX-License-Identifier: GPL-2.0
/* What every CLI command shares: the global options, the one-line error
 * (or {"error": ...} with -j), and calling the agent over its socket. */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cli/client.h"
#include "core/addr.h"
#include "core/paths.h"

static json_object *error_object(const char *msg)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "error", json_object_new_string(msg));
	return o;
}

struct cli_opts cli = { .socket = XLB_CFG_DEFAULT_CONTROL_SOCKET };

#define CTL_TIMEOUT_MS 5000

int cli_error(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (cli.json) {
		json_object *o = error_object(msg);

		printf("%s\n", json_object_to_json_string_ext(
			o, JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(o);
	} else {
		fprintf(stderr, "xlb: %s\n", msg);
	}
	return -EINVAL;
}

int cli_call(json_object *req, json_object **resp)
{
	json_object *e;
	char err[512];
	int ret;

	ret = ctl_call(cli.socket, req, resp, CTL_TIMEOUT_MS, err,
		       sizeof(err));
	json_object_put(req);
	if (ret)
		return cli_error("%s", err);
	if (json_object_object_get_ex(*resp, "error", &e)) {
		cli_error("%s", json_object_get_string(e));
		json_object_put(*resp);
		return -EINVAL;
	}
	return 0;
}

/* A socket connected to the agent at path, or -errno with the reason. */
static int ctl_connect(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sun;
	int fd, ret = unix_addr(path, &sun);

	if (ret) {
		snprintf(err, errlen, "socket path too long: %s", path);
		return ret;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && !connect(fd, (struct sockaddr *)&sun, sizeof(sun)))
		return fd;
	ret = -errno;
	snprintf(err, errlen, "cannot reach the agent at %s: %s "
		 "(is 'xlb agent' running?)", path, strerror(-ret));
	if (fd >= 0)
		close(fd);
	return ret;
}

/* The answer, read until the agent closes the connection: in *text (the
 * caller frees it), or -errno with the reason. */
static int ctl_read(int fd, int timeout_ms, char **text, char *err,
		    size_t errlen)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap);

	for (;;) {
		ssize_t n;

		if (!buf) {
			snprintf(err, errlen, "out of memory");
			return -ENOMEM;
		}
		if (poll(&pfd, 1, timeout_ms) <= 0) {
			free(buf);
			snprintf(err, errlen, "the agent did not answer in "
				 "%d ms", timeout_ms);
			return -ETIMEDOUT;
		}
		n = recv(fd, buf + len, cap - 1 - len, 0);
		if (n <= 0)
			break;
		len += (size_t)n;
		if (len == cap - 1) {
			char *bigger = realloc(buf, cap * 2);

			if (!bigger)
				free(buf);
			buf = bigger;
			cap *= 2;
		}
	}
	buf[len] = '\0';
	*text = buf;
	return 0;
}

int ctl_call(const char *path, json_object *request, json_object **response,
	     int timeout_ms, char *err, size_t errlen)
{
	const char *text =
		json_object_to_json_string_ext(request, JSON_C_TO_STRING_PLAIN);
	int fd, ret, send_errno = 0;
	char *answer;

	fd = ctl_connect(path, err, errlen);
	if (fd < 0)
		return fd;
	/* A refusal may already wait for us: a failed send is only an
	 * error when there is no answer to read either. */
	if (send(fd, text, strlen(text), MSG_NOSIGNAL) < 0 ||
	    send(fd, "\n", 1, MSG_NOSIGNAL) < 0)
		send_errno = errno;
	ret = ctl_read(fd, timeout_ms, &answer, err, errlen);
	close(fd);
	if (ret)
		return ret;
	*response = json_tokener_parse(answer);
	free(answer);
	if (*response)
		return 0;
	if (send_errno) {
		snprintf(err, errlen, "sending to the agent: %s",
			 strerror(send_errno));
		return -send_errno;
	}
	snprintf(err, errlen, "the agent's answer is not JSON (closed the "
		 "connection? see agent log)");
	return -EPROTO;
}
