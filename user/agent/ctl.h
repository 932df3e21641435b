/* SPDX-License-Identifier: GPL-2.0 */
/* Control API, the agent's side: JSON requests over a root-only Unix
 * socket, one request and one response (each a single line) per
 * connection. The CLI's side is cli/client.c. */
#ifndef XLB_CTL_H
#define XLB_CTL_H

#include <stddef.h>
#include <json-c/json.h>

#include "core/loop.h"

struct ctl_server;

/* Handles one request; returns the response (ownership passes to the
 * caller), {"error": "..."} style on failure. */
typedef json_object *(*ctl_handler_fn)(json_object *request, void *arg);

/* Listens on path (replacing a stale socket), mode 0600; requests from
 * peers that are not root are refused. NULL with errno set on failure. */
struct ctl_server *ctl_listen(struct loop *loop, const char *path,
			      ctl_handler_fn fn, void *arg);
void ctl_close(struct ctl_server *srv);

/* {"error": msg} */
json_object *ctl_error(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

#endif /* XLB_CTL_H */
