// SPDX-License-Identifier: GPL-2.0
/* xlb show and xlb stats: the VIPs and backends as the agent sees them
 * (rates over an interval are in rates.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/client.h"
#include "cli/msg.h"
#include "cli/rates.h"
#include "cli/show.h"
#include "cli/usage.h"

/* "  prefer zone a (min 70%): 67% up, spilling 4.8% of new flows". */
static void print_zone(json_object *resp, json_object *v)
{
	if (!jbool(v, "prefer_zone"))
		return;
	printf("  prefer zone %s (min %.0f%%): %.1f%% of its weight up, ",
	       jstr(resp, "zone"), 100 * jdbl(v, "zone_min_healthy"),
	       100 * jdbl(v, "zone_health"));
	if (jbool(v, "zone_spilling"))
		printf("spilling %.1f%% of new flows to other zones\n",
		       100 * (1 - jdbl(v, "zone_local_share")));
	else if (jdbl(v, "zone_local_share") > 0)
		printf("every new flow local\n");
	else
		printf("no backend up\n");
}

/* One backend's row; detail adds why it has its effective weight. */
static void print_backend(json_object *b, bool detail)
{
	json_object *h = jget(b, "health");
	char check[96] = "";

	if (h)
		snprintf(check, sizeof(check), "%s %s, p99 %.1f ms",
			 jstr(h, "check"), jstr(h, "last_reason"),
			 jnum(h, "latency_p99_us") / 1e3);
	printf("  %-28s %-10s %6lld %9.1f %-9s %8lld %12lld  %s\n",
	       jstr(b, "address"), *jstr(b, "zone") ? jstr(b, "zone") : "-",
	       jnum(b, "weight"), jdbl(b, "effective_weight"),
	       jstr(b, "state"), jnum(b, "flows"), jnum(b, "packets"), check);
	if (!detail)
		return;
	printf("  %-28s weight: %s\n", "", jstr(b, "weight_why"));
	if (h && *jstr(h, "last_result"))
		printf("  %-28s last check: %s (%s), %lld failing in a row, "
		       "p50 %.1f ms, success %.0f%%\n",
		       "", jstr(h, "last_result"), jstr(h, "last_reason"),
		       jnum(h, "consecutive_failures"),
		       jnum(h, "latency_p50_us") / 1e3,
		       100 * jdbl(h, "success_ratio"));
}

static void print_vip(json_object *resp, json_object *v,
		      const struct vips_view *view)
{
	json_object *bes = jget(v, "backends");

	printf("vip %s %s port %lld %s affinity %s when-all-down %s "
	       "table %lld weighting %s\n",
	       jstr(v, "name"), jstr(v, "address"), jnum(v, "port"),
	       jstr(v, "protocol"), jstr(v, "affinity"),
	       jstr(v, "when_all_down"), jnum(v, "table_size"),
	       jstr(v, "weighting"));
	print_zone(resp, v);
	if (view->stats)
		printf("  packets %lld bytes %lld\n", jnum(v, "packets"),
		       jnum(v, "bytes"));
	if (!bes)
		return;
	printf("  %-28s %-10s %6s %9s %-9s %8s %12s  %s\n", "backend", "zone",
	       "weight", "effective", "state", "flows", "packets",
	       "last check");
	for (size_t i = 0; i < json_object_array_length(bes); i++)
		print_backend(json_object_array_get_idx(bes, i), view->detail);
}

void print_vips(json_object *resp, const void *arg)
{
	const struct vips_view *view = arg;
	json_object *vips = jget(resp, "vips"), *reasons;

	if (!vips)
		return;
	for (size_t i = 0; i < json_object_array_length(vips); i++)
		print_vip(resp, json_object_array_get_idx(vips, i), view);
	reasons = jget(resp, "reasons");
	if (view->stats && reasons) {
		printf("data path counters\n");
		json_object_object_foreach(reasons, key, val)
			printf("  %-22s %lld\n", key,
			       (long long)json_object_get_int64(val));
	}
}

static int show_or_stats(const char *cmd, int argc, char **argv)
{
	struct vips_view view = {
		.stats = !strcmp(cmd, "stats"),
		.detail = argc == 1,
	};
	json_object *req;

	if (argc > 1)
		return cli_error("usage: xlb %s [VIP]", cmd);
	req = req_new(cmd);
	if (argc == 1)
		json_object_object_add(req, "vip",
				       json_object_new_string(argv[0]));
	return call_print(req, print_vips, &view);
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
