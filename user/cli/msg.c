// SPDX-License-Identifier: GPL-2.0
/* The JSON the CLI exchanges with the agent: requests built from a
 * command's words, an answer's fields, and the answer printed. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/client.h"
#include "cli/msg.h"

json_object *req_new(const char *cmd)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "cmd", json_object_new_string(cmd));
	return o;
}

static bool listed(const char *key, const char *const *keys)
{
	for (const char *const *k = keys; *k; k++)
		if (!strcmp(key, *k))
			return true;
	return false;
}

int req_add_pairs(json_object *req, int argc, char **argv,
		  const char *const *keys, const char *const *int_keys)
{
	for (int i = 0; i < argc; i += 2) {
		bool is_int = listed(argv[i], int_keys);
		json_object *val;
		long long n;
		char *end;

		if (!is_int && !listed(argv[i], keys))
			return cli_error("unknown argument '%s'", argv[i]);
		if (i + 1 >= argc)
			return cli_error("'%s' needs a value", argv[i]);
		if (is_int) {
			n = strtoll(argv[i + 1], &end, 0);
			if (*end || end == argv[i + 1] || n < 0)
				return cli_error("%s: '%s' is not a number",
						 argv[i], argv[i + 1]);
			val = json_object_new_int64(n);
		} else {
			val = json_object_new_string(argv[i + 1]);
		}
		json_object_object_add(req, argv[i], val);
	}
	return 0;
}

json_object *jget(json_object *o, const char *key)
{
	json_object *v;

	return o && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

const char *jstr(json_object *o, const char *key)
{
	json_object *v = jget(o, key);

	return v ? json_object_get_string(v) : "";
}

long long jnum(json_object *o, const char *key)
{
	json_object *v = jget(o, key);

	return v ? json_object_get_int64(v) : 0;
}

double jdbl(json_object *o, const char *key)
{
	json_object *v = jget(o, key);

	return v ? json_object_get_double(v) : 0;
}

bool jbool(json_object *o, const char *key)
{
	json_object *v = jget(o, key);

	return v && json_object_get_boolean(v);
}

json_object *jfind(json_object *arr, const char *key, const char *val)
{
	for (size_t i = 0; arr && i < json_object_array_length(arr); i++) {
		json_object *e = json_object_array_get_idx(arr, i);

		if (!strcmp(jstr(e, key), val))
			return e;
	}
	return NULL;
}

void print_json(json_object *o)
{
	printf("%s\n", json_object_to_json_string_ext(
			       o, JSON_C_TO_STRING_PRETTY |
					  JSON_C_TO_STRING_NOSLASHESCAPE));
}

int call_print(json_object *req, print_fn text, const void *arg)
{
	json_object *resp;
	int err = cli_call(req, &resp);

	if (err)
		return err;
	if (cli.json)
		print_json(resp);
	else if (text)
		text(resp, arg);
	json_object_put(resp);
	return 0;
}

int call_ok(json_object *req)
{
	return call_print(req, NULL, NULL);
}
