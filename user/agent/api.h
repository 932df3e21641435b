/* SPDX-License-Identifier: GPL-2.0 */
/* The control API: a JSON request checked and turned into typed calls on
 * the model, and typed snapshots rendered as the JSON reply. The socket
 * is ctl.c's; the CLI's side is cli/client.c. */
#ifndef XLB_API_H
#define XLB_API_H

#include <stdbool.h>
#include <stddef.h>
#include <json-c/json.h>

struct snap_bgp;
struct state;

/* What the API answers from: the model, and the agent for what only it
 * knows (the config file, BGP). */
struct api {
	struct state *state;
	/* Reloads the config file: 0, or -errno with err saying why. */
	int (*reload)(void *arg, char *err, size_t errlen);
	/* Fills the BGP snapshot (sessions: ask the speaker): 0 or -errno. */
	int (*bgp)(void *arg, bool sessions, struct snap_bgp *out);
	void *arg;
};

/* Answers one request: a ctl_handler_fn whose arg is a struct api. */
json_object *api_handle(json_object *req, void *arg);

#endif /* XLB_API_H */
