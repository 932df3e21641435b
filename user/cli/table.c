// SPDX-License-Identifier: GPL-2.0
/* xlb table VIP [slots]: a VIP's Maglev table as the data path holds it. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/client.h"
#include "cli/msg.h"
#include "cli/usage.h"

static void print_table(json_object *resp, const void *arg)
{
	json_object *bes = jget(resp, "backends"), *slots = jget(resp, "slots");

	(void)arg;
	printf("vip %s table %lld slots ", jstr(resp, "vip"),
	       jnum(resp, "size"));
	if (jget(resp, "hash_seed"))
		printf("hash_seed %lld", jnum(resp, "hash_seed"));
	else
		printf("hash %s", jstr(resp, "hash"));	/* keyed */
	printf(" digest %s\n", jstr(resp, "digest"));
	for (size_t i = 0; bes && i < json_object_array_length(bes); i++) {
		json_object *b = json_object_array_get_idx(bes, i);

		printf("  %-28s %8lld slots\n", jstr(b, "address"),
		       jnum(b, "slots"));
	}
	for (size_t i = 0; slots && i < json_object_array_length(slots); i++)
		printf("%zu %s\n", i,
		       json_object_get_string(
			       json_object_array_get_idx(slots, i)));
}

int do_table(int argc, char **argv)
{
	bool all = argc == 2 && !strcmp(argv[1], "slots");
	json_object *req;

	if (argc < 1 || argc > 2 || (argc == 2 && !all))
		return cli_error("usage: xlb table " USAGE_TABLE);
	req = req_new("table");
	json_object_object_add(req, "vip", json_object_new_string(argv[0]));
	json_object_object_add(req, "slots", json_object_new_boolean(all));
	return call_print(req, print_table, NULL);
}
