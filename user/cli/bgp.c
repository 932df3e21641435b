// SPDX-License-Identifier: GPL-2.0
/* xlb bgp: the speaker, its sessions and what each VIP announces. */
#include <stdio.h>

#include "cli/cli.h"
#include "cli/client.h"
#include "cli/msg.h"

static void print_sessions(json_object *arr)
{
	for (size_t i = 0; arr && i < json_object_array_length(arr); i++) {
		json_object *s = json_object_array_get_idx(arr, i);

		printf("  neighbor %-24s AS%-10lld %-6s %-12s since %s\n",
		       jstr(s, "neighbor"), jnum(s, "as"), jstr(s, "state"),
		       jstr(s, "info"), jstr(s, "since"));
	}
}

static void print_announced(json_object *arr)
{
	for (size_t i = 0; arr && i < json_object_array_length(arr); i++) {
		json_object *v = json_object_array_get_idx(arr, i);

		printf("vip %s %s: %s (%lld of %lld backends up)%s%s\n",
		       jstr(v, "name"), jstr(v, "address"),
		       jnum(v, "announced") ? "announced" : "not announced",
		       jnum(v, "healthy_backends"), jnum(v, "backends"),
		       *jstr(v, "why") ? ": " : "", jstr(v, "why"));
	}
}

static void print_bgp(json_object *resp, const void *arg)
{
	(void)arg;
	if (!jnum(resp, "enabled")) {
		printf("bgp: off (no bgp: section in the config)\n");
		return;
	}
	if (jnum(resp, "running"))
		printf("speaker: BIRD pid %lld, config %s, socket %s\n",
		       jnum(resp, "pid"), jstr(resp, "config"),
		       jstr(resp, "socket"));
	else
		printf("speaker: not running (see the agent's log)\n");
	print_sessions(jget(resp, "sessions"));
	print_announced(jget(resp, "vips"));
}

int do_bgp(int argc, char **argv)
{
	(void)argv;
	if (argc)
		return cli_error("usage: xlb bgp");
	return call_print(req_new("bgp"), print_bgp, NULL);
}
