// SPDX-License-Identifier: GPL-2.0
/* xlb backend add|del|set|drain|undrain: a VIP's backends in the running
 * agent. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/client.h"
#include "cli/msg.h"
#include "cli/usage.h"

/* The request "backend-VERB" for VIP ADDRESS, the first two words; NULL
 * after the usage error (which ends with more) when they are missing. */
static json_object *backend_req(const char *verb, const char *more, int argc,
				char **argv)
{
	json_object *req;
	char cmd[32];

	if (argc < 2) {
		cli_error("usage: xlb backend %s VIP ADDRESS%s", verb, more);
		return NULL;
	}
	snprintf(cmd, sizeof(cmd), "backend-%s", verb);
	req = req_new(cmd);
	json_object_object_add(req, "vip", json_object_new_string(argv[0]));
	json_object_object_add(req, "address",
			       json_object_new_string(argv[1]));
	return req;
}

/* xlb backend VERB VIP ADDRESS, with [weight N] [zone NAME] for add and
 * set. */
static int backend_call(const char *verb, bool with_opts, int argc,
			char **argv)
{
	static const char *const none[] = { NULL };
	static const char *const keys[] = { "zone", NULL };
	static const char *const ints[] = { "weight", NULL };
	json_object *req;

	req = backend_req(verb, with_opts ? " " USAGE_BACKEND_OPTS : "", argc,
			  argv);
	if (!req)
		return -EINVAL;
	if (req_add_pairs(req, argc - 2, argv + 2, with_opts ? keys : none,
			  with_opts ? ints : none)) {
		json_object_put(req);
		return -EINVAL;
	}
	return call_ok(req);
}

static int do_backend_add(int argc, char **argv)
{
	return backend_call("add", true, argc, argv);
}

static int do_backend_del(int argc, char **argv)
{
	return backend_call("del", false, argc, argv);
}

static int do_backend_set(int argc, char **argv)
{
	return backend_call("set", true, argc, argv);
}

static int do_backend_undrain(int argc, char **argv)
{
	return backend_call("undrain", false, argc, argv);
}

/* "30s", "500ms", "2m", "1h" or plain seconds; -1 when not a duration. */
static long long parse_duration_ms(const char *s)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s || v < 0)
		return -1;
	if (!strcmp(end, "ms"))
		return (long long)v;
	if (!*end || !strcmp(end, "s"))
		return (long long)(v * 1000);
	if (!strcmp(end, "m"))
		return (long long)(v * 60000);
	if (!strcmp(end, "h"))
		return (long long)(v * 3600000);
	return -1;
}

/* [--timeout DUR] [--remove] */
static int drain_args(json_object *req, int argc, char **argv)
{
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--remove")) {
			json_object_object_add(req, "remove",
					       json_object_new_boolean(1));
		} else if (!strcmp(argv[i], "--timeout") && i + 1 < argc) {
			long long ms = parse_duration_ms(argv[++i]);

			if (ms < 0)
				return cli_error("--timeout: '%s' is not a "
						 "duration (30s, 500ms, 2m)",
						 argv[i]);
			json_object_object_add(req, "timeout_ms",
					       json_object_new_int64(ms));
		} else {
			return cli_error("usage: xlb backend drain VIP ADDRESS "
					 "[--timeout DURATION] [--remove]");
		}
	}
	return 0;
}

/* xlb backend drain VIP ADDRESS [--timeout DUR] [--remove] */
static int do_backend_drain(int argc, char **argv)
{
	json_object *req = backend_req("drain", "", argc, argv);

	if (!req)
		return -EINVAL;
	if (drain_args(req, argc - 2, argv + 2)) {
		json_object_put(req);
		return -EINVAL;
	}
	return call_ok(req);
}

int do_backend(int argc, char **argv)
{
	static const struct cmd cmds[] = {
		{ "add", do_backend_add },
		{ "del", do_backend_del },
		{ "set", do_backend_set },
		{ "drain", do_backend_drain },
		{ "undrain", do_backend_undrain },
		{ NULL, NULL },
	};

	return cmd_select(cmds, argc, argv, "backend verb");
}
