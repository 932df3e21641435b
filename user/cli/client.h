/* SPDX-License-Identifier: GPL-2.0 */
/* What every CLI command shares: the global options, the one-line error,
 * and calling the agent over its control socket. */
#ifndef XLB_CLI_CLIENT_H
#define XLB_CLI_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <json-c/json.h>

struct cli_opts {
	bool json;		/* -j */
	const char *socket;	/* -s PATH */
};

extern struct cli_opts cli;

/* Prints one error line (or {"error": ...} with -j); returns -EINVAL. */
int cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Sends req (consumed) to the agent at cli.socket; on success *resp holds
 * the answer, else the error is printed. */
int cli_call(json_object *req, json_object **resp);

/* Sends request to the agent at path and waits for the response
 * (timeout_ms). Returns 0 or -errno with a one-line reason in err. */
int ctl_call(const char *path, json_object *request, json_object **response,
	     int timeout_ms, char *err, size_t errlen);

#endif /* XLB_CLI_CLIENT_H */
