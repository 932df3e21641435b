// SPDX-License-Identifier: GPL-2.0
/* Client commands: each builds one JSON request for the agent and prints
 * the answer as a table, or as JSON with -j. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/client.h"
#include "cli/top.h"
#include "cli/usage.h"

static json_object *request(const char *cmd)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "cmd", json_object_new_string(cmd));
	return o;
}

/* "" when absent or null ("zone": null). */
static const char *str(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !v)
		return "";
	return json_object_get_string(v);
}

static long long num(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_int64(v)
						     : 0;
}

static double dbl(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_double(v)
						     : 0;
}

static void print_json(json_object *o)
{
	printf("%s\n", json_object_to_json_string_ext(
			       o, JSON_C_TO_STRING_PRETTY |
					  JSON_C_TO_STRING_NOSLASHESCAPE));
}

static bool boolean(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) &&
	       json_object_get_boolean(v);
}

/* "  prefer zone a (min 70%): 67% up, spilling 4.8% of new flows". */
static void print_zone(json_object *resp, json_object *v)
{
	if (!boolean(v, "prefer_zone"))
		return;
	printf("  prefer zone %s (min %.0f%%): %.1f%% of its weight up, ",
	       str(resp, "zone"), 100 * dbl(v, "zone_min_healthy"),
	       100 * dbl(v, "zone_health"));
	if (boolean(v, "zone_spilling"))
		printf("spilling %.1f%% of new flows to other zones\n",
		       100 * (1 - dbl(v, "zone_local_share")));
	else if (dbl(v, "zone_local_share") > 0)
		printf("every new flow local\n");
	else
		printf("no backend up\n");
}

/* The table of VIPs and backends; detail adds why each backend has its
 * effective weight. */
static void print_vips(json_object *resp, bool with_stats, bool detail)
{
	json_object *vips, *reasons;

	if (!json_object_object_get_ex(resp, "vips", &vips))
		return;
	for (size_t i = 0; i < json_object_array_length(vips); i++) {
		json_object *v = json_object_array_get_idx(vips, i), *bes;

		printf("vip %s %s port %lld %s affinity %s when-all-down %s "
		       "table %lld weighting %s\n",
		       str(v, "name"), str(v, "address"), num(v, "port"),
		       str(v, "protocol"), str(v, "affinity"),
		       str(v, "when_all_down"), num(v, "table_size"),
		       str(v, "weighting"));
		print_zone(resp, v);
		if (with_stats)
			printf("  packets %lld bytes %lld\n", num(v, "packets"),
			       num(v, "bytes"));
		if (!json_object_object_get_ex(v, "backends", &bes))
			continue;
		printf("  %-28s %-10s %6s %9s %-9s %8s %12s  %s\n", "backend",
		       "zone", "weight", "effective", "state", "flows",
		       "packets", "last check");
		for (size_t j = 0; j < json_object_array_length(bes); j++) {
			json_object *b = json_object_array_get_idx(bes, j), *h;
			char check[96] = "";

			if (json_object_object_get_ex(b, "health", &h))
				snprintf(check, sizeof(check),
					 "%s %s, p99 %.1f ms", str(h, "check"),
					 str(h, "last_reason"),
					 num(h, "latency_p99_us") / 1e3);
			printf("  %-28s %-10s %6lld %9.1f %-9s %8lld %12lld  "
			       "%s\n",
			       str(b, "address"),
			       *str(b, "zone") ? str(b, "zone") : "-",
			       num(b, "weight"), dbl(b, "effective_weight"),
			       str(b, "state"), num(b, "flows"),
			       num(b, "packets"), check);
			if (detail)
				printf("  %-28s weight: %s\n", "",
				       str(b, "weight_why"));
			if (detail &&
			    json_object_object_get_ex(b, "health", &h) &&
			    *str(h, "last_result"))
				printf("  %-28s last check: %s (%s), %lld "
				       "failing in a row, p50 %.1f ms, "
				       "success %.0f%%\n",
				       "", str(h, "last_result"),
				       str(h, "last_reason"),
				       num(h, "consecutive_failures"),
				       num(h, "latency_p50_us") / 1e3,
				       100 * dbl(h, "success_ratio"));
		}
	}
	if (with_stats && json_object_object_get_ex(resp, "reasons", &reasons)) {
		printf("data path counters\n");
		json_object_object_foreach(reasons, key, val)
			printf("  %-22s %lld\n", key,
			       (long long)json_object_get_int64(val));
	}
}

static int show_or_stats(const char *cmd, int argc, char **argv)
{
	json_object *req = request(cmd), *resp;
	int err;

	if (argc > 1) {
		json_object_put(req);
		return cli_error("usage: xlb %s [VIP]", cmd);
	}
	if (argc == 1)
		json_object_object_add(req, "vip",
				       json_object_new_string(argv[0]));
	err = cli_call(req, &resp);
	if (err)
		return err;
	if (cli.json)
		print_json(resp);
	else
		print_vips(resp, !strcmp(cmd, "stats"), argc == 1);
	json_object_put(resp);
	return 0;
}

int do_show(int argc, char **argv)
{
	return show_or_stats("show", argc, argv);
}

/* xlb stats [--interval SECONDS [--count N]] [VIP] */
int do_stats(int argc, char **argv)
{
	double interval = 0;
	const char *vip = NULL;
	long count = 0;
	char *end;

	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--interval") && i + 1 < argc) {
			interval = strtod(argv[++i], &end);
			if (*end || interval < 0.1 || interval > 3600)
				return cli_error("--interval: seconds from 0.1 "
						 "to 3600, not '%s'", argv[i]);
		} else if (!strcmp(argv[i], "--count") && i + 1 < argc) {
			count = strtol(argv[++i], &end, 10);
			if (*end || count < 1)
				return cli_error("--count: at least 1, not "
						 "'%s'", argv[i]);
		} else if (argv[i][0] != '-' && !vip) {
			vip = argv[i];
		} else {
			return cli_error("usage: xlb stats " USAGE_STATS);
		}
	}
	if (!interval && count)
		return cli_error("--count needs --interval%s", "");
	if (interval)
		return stats_rates(vip, interval, count);
	return show_or_stats("stats", argc, argv);
}

/* Sends a request and prints "ok" (or {"ok": true}). */
static int call_ok(json_object *req)
{
	json_object *resp;
	int err = cli_call(req, &resp);

	if (err)
		return err;
	if (cli.json)
		print_json(resp);
	json_object_put(resp);
	return 0;
}

int do_reload(int argc, char **argv)
{
	(void)argv;
	if (argc)
		return cli_error("usage: xlb reload");
	return call_ok(request("reload"));
}

/* Adds "key value" pairs from argv to req: strings, or integers for the
 * keys listed in int_keys. Returns 0 or an error already printed. */
static int add_pairs(json_object *req, int argc, char **argv,
		     const char *const *keys, const char *const *int_keys)
{
	for (int i = 0; i < argc; i += 2) {
		bool known = false, is_int = false;
		char *end;

		for (const char *const *k = keys; *k; k++)
			known |= !strcmp(argv[i], *k);
		for (const char *const *k = int_keys; *k; k++)
			is_int |= !strcmp(argv[i], *k);
		if (!known && !is_int)
			return cli_error("unknown argument '%s'", argv[i]);
		if (i + 1 >= argc)
			return cli_error("'%s' needs a value", argv[i]);
		if (is_int) {
			long long n = strtoll(argv[i + 1], &end, 0);

			if (*end || end == argv[i + 1] || n < 0)
				return cli_error("%s: '%s' is not a number",
						 argv[i], argv[i + 1]);
			json_object_object_add(req, argv[i],
					       json_object_new_int64(n));
		} else {
			json_object_object_add(
				req, argv[i], json_object_new_string(argv[i + 1]));
		}
	}
	return 0;
}

int do_vip_add(int argc, char **argv)
{
	static const char *const keys[] = { "address", "protocol", "affinity",
					    "when_all_down", NULL };
	static const char *const ints[] = { "port", "table_size", NULL };
	json_object *req;

	if (argc < 1)
		return cli_error("usage: xlb vip add " USAGE_VIP_ADD
				 " " USAGE_VIP_AFFINITY
				 " " USAGE_VIP_WHEN_ALL_DOWN
				 " " USAGE_VIP_TABLE_SIZE);
	req = request("vip-add");
	json_object_object_add(req, "name", json_object_new_string(argv[0]));
	if (add_pairs(req, argc - 1, argv + 1, keys, ints)) {
		json_object_put(req);
		return -EINVAL;
	}
	return call_ok(req);
}

int do_vip_del(int argc, char **argv)
{
	json_object *req;

	if (argc != 1)
		return cli_error("usage: xlb vip del NAME");
	req = request("vip-del");
	json_object_object_add(req, "name", json_object_new_string(argv[0]));
	return call_ok(req);
}

int do_vip_list(int argc, char **argv)
{
	json_object *resp;
	int err;

	(void)argv;
	if (argc)
		return cli_error("usage: xlb vip list");
	err = cli_call(request("vip-list"), &resp);
	if (err)
		return err;
	if (cli.json)
		print_json(resp);
	else
		print_vips(resp, false, false);
	json_object_put(resp);
	return 0;
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

/* xlb backend drain VIP ADDR [--timeout DUR] [--remove] */
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

/* xlb backend VERB VIP ADDR [weight N] [zone NAME] */
int do_backend_verb(const char *verb, int argc, char **argv)
{
	static const char *const none[] = { NULL };
	static const char *const keys[] = { "zone", NULL };
	static const char *const ints[] = { "weight", NULL };
	bool add_or_set = !strcmp(verb, "add") || !strcmp(verb, "set");
	char cmd[32];
	json_object *req;

	if (argc < 2)
		return cli_error("usage: xlb backend %s VIP ADDRESS%s", verb,
				 add_or_set ? " " USAGE_BACKEND_OPTS : "");
	snprintf(cmd, sizeof(cmd), "backend-%s", verb);
	req = request(cmd);
	json_object_object_add(req, "vip", json_object_new_string(argv[0]));
	json_object_object_add(req, "address",
			       json_object_new_string(argv[1]));
	if (!strcmp(verb, "drain") ? drain_args(req, argc - 2, argv + 2)
				   : add_pairs(req, argc - 2, argv + 2,
					       add_or_set ? keys : none,
					       add_or_set ? ints : none)) {
		json_object_put(req);
		return -EINVAL;
	}
	return call_ok(req);
}

/* xlb table VIP [slots]: the VIP's table as the data path holds it. */
int do_table(int argc, char **argv)
{
	json_object *req, *resp, *bes, *slots;
	bool all = argc == 2 && !strcmp(argv[1], "slots");
	int err;

	if (argc < 1 || argc > 2 || (argc == 2 && !all))
		return cli_error("usage: xlb table " USAGE_TABLE);
	req = request("table");
	json_object_object_add(req, "vip", json_object_new_string(argv[0]));
	json_object_object_add(req, "slots", json_object_new_boolean(all));
	err = cli_call(req, &resp);
	if (err)
		return err;
	if (cli.json) {
		print_json(resp);
		goto out;
	}
	printf("vip %s table %lld slots hash_seed %lld digest %s\n",
	       str(resp, "vip"), num(resp, "size"), num(resp, "hash_seed"),
	       str(resp, "digest"));
	if (json_object_object_get_ex(resp, "backends", &bes))
		for (size_t i = 0; i < json_object_array_length(bes); i++) {
			json_object *b = json_object_array_get_idx(bes, i);

			printf("  %-28s %8lld slots\n", str(b, "address"),
			       num(b, "slots"));
		}
	if (json_object_object_get_ex(resp, "slots", &slots))
		for (size_t i = 0; i < json_object_array_length(slots); i++)
			printf("%zu %s\n", i,
			       json_object_get_string(
				       json_object_array_get_idx(slots, i)));
out:
	json_object_put(resp);
	return 0;
}

/* xlb bgp: the speaker, its sessions and what each VIP announces. */
int do_bgp(int argc, char **argv)
{
	json_object *resp, *arr;
	int err;

	(void)argv;
	if (argc)
		return cli_error("usage: xlb bgp");
	err = cli_call(request("bgp"), &resp);
	if (err)
		return err;
	if (cli.json) {
		print_json(resp);
		goto out;
	}
	if (!num(resp, "enabled")) {
		printf("bgp: off (no bgp: section in the config)\n");
		goto out;
	}
	if (num(resp, "running"))
		printf("speaker: BIRD pid %lld, config %s, socket %s\n",
		       num(resp, "pid"), str(resp, "config"),
		       str(resp, "socket"));
	else
		printf("speaker: not running (see the agent's log)\n");
	if (json_object_object_get_ex(resp, "sessions", &arr))
		for (size_t i = 0; i < json_object_array_length(arr); i++) {
			json_object *s = json_object_array_get_idx(arr, i);

			printf("  neighbor %-24s AS%-10lld %-6s %-12s since "
			       "%s\n",
			       str(s, "neighbor"), num(s, "as"), str(s, "state"),
			       str(s, "info"), str(s, "since"));
		}
	if (json_object_object_get_ex(resp, "vips", &arr))
		for (size_t i = 0; i < json_object_array_length(arr); i++) {
			json_object *v = json_object_array_get_idx(arr, i);

			printf("vip %s %s: %s (%lld of %lld backends up)%s%s\n",
			       str(v, "name"), str(v, "address"),
			       num(v, "announced") ? "announced"
						   : "not announced",
			       num(v, "healthy_backends"), num(v, "backends"),
			       *str(v, "why") ? ": " : "", str(v, "why"));
		}
out:
	json_object_put(resp);
	return 0;
}
