/* SPDX-License-Identifier: GPL-2.0 */
/* The JSON the CLI exchanges with the agent: requests built from a
 * command's words, an answer's fields, and the answer printed. */
#ifndef XLB_CLI_MSG_H
#define XLB_CLI_MSG_H

#include <stdbool.h>
#include <json-c/json.h>

/* {"cmd": cmd}. */
json_object *req_new(const char *cmd);

/* Adds "key value" pairs from argv to req: strings, or integers for the
 * keys listed in int_keys (both lists end with NULL). Returns 0 or
 * -EINVAL after printing the error. */
int req_add_pairs(json_object *req, int argc, char **argv,
		  const char *const *keys, const char *const *int_keys);

/* An answer's fields: absent and null read as "", 0 and false; o may be
 * NULL. */
json_object *jget(json_object *o, const char *key);
const char *jstr(json_object *o, const char *key);
long long jnum(json_object *o, const char *key);
double jdbl(json_object *o, const char *key);
bool jbool(json_object *o, const char *key);
/* The element of array arr whose field key equals val, or NULL. */
json_object *jfind(json_object *arr, const char *key, const char *val);

/* Pretty, as -j prints every answer. */
void print_json(json_object *o);

/* Prints an answer as text; arg is the command's (what to include). */
typedef void (*print_fn)(json_object *resp, const void *arg);

/* Sends req (consumed) to the agent and prints the answer: as JSON with
 * -j, else through text (NULL: nothing). Returns 0 or an error already
 * printed. */
int call_print(json_object *req, print_fn text, const void *arg);

/* The same for changes, whose answer is "ok": printed with -j only. */
int call_ok(json_object *req);

#endif /* XLB_CLI_MSG_H */
