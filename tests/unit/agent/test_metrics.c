// SPDX-License-Identifier: GPL-2.0
/* Metrics rendering: families, labels and values from a typed snapshot,
 * label escaping, backends without checks, the reasons split without
 * duplicates, promtool's verdict, and metrics_listen "" meaning off. */
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "agent/health.h"
#include "agent/metrics.h"
#include "agent/snapshot.h"
#include "model/config.h"

/* A snapshot as the "stats" command renders, with awkward names. */
static struct snap_backend web_backends[] = {
	{ .address = "192.0.2.11", .id = 1, .weight = 100,
	  .weights = { .weight = 80 }, .state = SNAP_BE_UP, .flows = 7,
	  .new_flows = 12, .counter = { .packets = 100, .bytes = 8000 },
	  .check = HC_HTTP, .checked = true,
	  .health = { .state = HC_UP, .last_result = HC_R_OK,
		      .last_reason = "200", .consec_fail = 0, .probes = 50,
		      .failures = 2, .transitions = 1,
		      .latency_ewma_ns = 1500000, .latency_p50_ns = 1200000,
		      .latency_p99_ns = 250000000, .success_ratio = 0.96,
		      .downs = 1,
		      .results = { [HC_R_OK] = 48, [HC_R_TIMEOUT] = 2 },
		      .latency_buckets = { 2, 10, 20, 10, 4, 1, 0, 0, 1 },
		      .latency_sum_ns = 120500000, .latency_count = 48 } },
	{ .address = "192.0.2.12", .id = 2, .weight = 5,
	  .state = SNAP_BE_DRAINED,
	  .counter = { .packets = 20, .bytes = 1000 }, .check = HC_NONE },
};

static struct snap_backend weird_backends[] = {
	{ .address = "2001:db8::11", .id = 3, .weight = 1,
	  .weights = { .weight = 1 }, .state = SNAP_BE_DRAINING,
	  .check = HC_TCP },
};

static struct snap_vip vips[] = {
	{ .name = "web", .address = "203.0.113.10", .port = 80,
	  .proto = IPPROTO_TCP, .table_size = 65537, .rebuilds = 3,
	  .counter = { .packets = 120, .bytes = 9000 },
	  .rebuild_ns_total = 12500000, .last_rebuild_ns = 4000000,
	  .weights = { .prefer_zone = true },
	  .zone = { .health = 0.5, .local_share = 0.714 },
	  .backends = web_backends, .n_backends = 2 },
	{ .name = "we\"ird\\na\nme", .address = "2001:db8::1", .port = 0,
	  .proto = IPPROTO_UDP, .table_size = 251, .rebuilds = 1,
	  .backends = weird_backends, .n_backends = 1 },
};

static struct snap_bgp_vip bgp_vips[] = {
	{ .name = "web", .address = "203.0.113.10" },
	{ .name = "dns", .address = "203.0.113.53",
	  .why_not = "no backend up" },
};

static void fill(struct snapshot *s)
{
	memset(s, 0, sizeof(*s));
	s->vips = vips;
	s->n_vips = 2;
	s->has_reasons = true;
	s->reasons[XLB_FWD_TX] = 100;
	s->reasons[XLB_FWD_REDIRECT] = 20;
	s->reasons[XLB_PASS_NOT_VIP] = 5;
	s->reasons[XLB_DROP_MALFORMED] = 1;
	s->reasons[XLB_ICMP_TOO_BIG_SENT] = 2;
	s->reasons[XLB_FLOW_HIT] = 90;
	s->reasons[XLB_FLOW_MISS] = 30;
	s->sweep = (struct sweep_status){
		.sweeps = 4,
		.last = { .entries = 1200, .active = 7, .idle = 9, .drift = 1 },
		.drift_total = 3,
		.duration_ns = 1500000,
	};
	s->has_bgp = true;
	s->bgp = (struct snap_bgp){ .enabled = true, .speaker = true,
				    .status = { .running = true },
				    .vips = bgp_vips, .n_vips = 2 };
}

static const struct metrics_info info = {
	.version = "0.1.0", .xdp_mode = "native", .prog_id = 42,
	.start_time = 1700000000,
};

static char *render(void)
{
	struct snapshot snap;
	char *buf = NULL;
	size_t len = 0;
	FILE *out;

	fill(&snap);
	out = open_memstream(&buf, &len);
	assert_non_null(out);
	assert_int_equal(metrics_render(&snap, &info, out), 0);
	fclose(out);
	return buf;
}

/* The text has this exact line. */
static void has_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	const char *p = text;

	while ((p = strstr(p, line))) {
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return;
		p++;
	}
	print_error("missing line: %s\n", line);
	fail();
}

static int count_prefix(const char *text, const char *prefix)
{
	size_t n = strlen(prefix);
	int count = 0;

	for (const char *p = text; p; p = strchr(p, '\n')) {
		if (*p == '\n')
			p++;
		count += !strncmp(p, prefix, n);
	}
	return count;
}

static void test_families(void **state)
{
	char *t = render();

	(void)state;
	has_line(t, "# TYPE xlb_vip_packets_total counter");
	has_line(t, "xlb_vip_packets_total{vip=\"web\"} 120");
	has_line(t, "xlb_vip_bytes_total{vip=\"web\"} 9000");
	has_line(t, "xlb_vip_table_rebuilds_total{vip=\"web\"} 3");
	has_line(t, "xlb_vip_zone_health{vip=\"web\"} 0.5");
	has_line(t, "xlb_vip_zone_local_share{vip=\"web\"} 0.714");
	/* only VIPs with prefer_zone have the zone series */
	assert_int_equal(count_prefix(t, "xlb_vip_zone_health{"), 1);
	has_line(t, "xlb_vip_info{vip=\"web\",address=\"203.0.113.10\","
		    "port=\"80\",protocol=\"tcp\"} 1");
	has_line(t, "# TYPE xlb_backend_packets_total counter");
	has_line(t, "xlb_backend_packets_total{vip=\"web\","
		    "backend=\"192.0.2.11\"} 100");
	has_line(t, "xlb_backend_bytes_total{vip=\"web\","
		    "backend=\"192.0.2.12\"} 1000");
	has_line(t, "xlb_backend_flows{vip=\"web\",backend=\"192.0.2.11\"} 7");
	has_line(t, "# TYPE xlb_backend_flows gauge");
	has_line(t, "xlb_backend_new_flows_total{vip=\"web\","
		    "backend=\"192.0.2.11\"} 12");
	has_line(t, "xlb_backend_weight{vip=\"web\",backend=\"192.0.2.11\"} "
		    "100");
	has_line(t, "xlb_backend_effective_weight{vip=\"web\","
		    "backend=\"192.0.2.11\"} 80");
	has_line(t, "xlb_backend_state{vip=\"web\",backend=\"192.0.2.11\","
		    "state=\"up\"} 1");
	has_line(t, "xlb_backend_state{vip=\"web\",backend=\"192.0.2.11\","
		    "state=\"down\"} 0");
	has_line(t, "xlb_backend_state{vip=\"web\",backend=\"192.0.2.12\","
		    "state=\"drained\"} 1");
	has_line(t, "xlb_backend_check_probes_total{vip=\"web\","
		    "backend=\"192.0.2.11\"} 50");
	has_line(t, "xlb_backend_check_failures_total{vip=\"web\","
		    "backend=\"192.0.2.11\"} 2");
	has_line(t, "xlb_backend_state_transitions_total{vip=\"web\","
		    "backend=\"192.0.2.11\"} 1");
	has_line(t, "xlb_backend_check_up{vip=\"web\","
		    "backend=\"192.0.2.11\"} 1");
	has_line(t, "xlb_backend_check_last_result{vip=\"web\","
		    "backend=\"192.0.2.11\",check=\"http\",result=\"ok\"} 1");
	has_line(t, "xlb_backend_check_success_ratio{vip=\"web\","
		    "backend=\"192.0.2.11\"} 0.96");
	has_line(t, "# TYPE xlb_backend_check_latency_seconds histogram");
	/* cumulative: 2, 2+10, ... up to +Inf = the count */
	has_line(t, "xlb_backend_check_latency_seconds_bucket{vip=\"web\","
		    "backend=\"192.0.2.11\",le=\"0.0005\"} 2");
	has_line(t, "xlb_backend_check_latency_seconds_bucket{vip=\"web\","
		    "backend=\"192.0.2.11\",le=\"0.001\"} 12");
	has_line(t, "xlb_backend_check_latency_seconds_bucket{vip=\"web\","
		    "backend=\"192.0.2.11\",le=\"0.025\"} 47");
	has_line(t, "xlb_backend_check_latency_seconds_bucket{vip=\"web\","
		    "backend=\"192.0.2.11\",le=\"0.1\"} 47");
	has_line(t, "xlb_backend_check_latency_seconds_bucket{vip=\"web\","
		    "backend=\"192.0.2.11\",le=\"0.25\"} 48");
	has_line(t, "xlb_backend_check_latency_seconds_bucket{vip=\"web\","
		    "backend=\"192.0.2.11\",le=\"5\"} 48");
	has_line(t, "xlb_backend_check_latency_seconds_bucket{vip=\"web\","
		    "backend=\"192.0.2.11\",le=\"+Inf\"} 48");
	has_line(t, "xlb_backend_check_latency_seconds_sum{vip=\"web\","
		    "backend=\"192.0.2.11\"} 0.1205");
	has_line(t, "xlb_backend_check_latency_seconds_count{vip=\"web\","
		    "backend=\"192.0.2.11\"} 48");
	has_line(t, "# TYPE xlb_backend_check_results_total counter");
	has_line(t, "xlb_backend_check_results_total{vip=\"web\","
		    "backend=\"192.0.2.11\",outcome=\"ok\"} 48");
	has_line(t, "xlb_backend_check_results_total{vip=\"web\","
		    "backend=\"192.0.2.11\",outcome=\"timeout\"} 2");
	has_line(t, "xlb_backend_check_results_total{vip=\"web\","
		    "backend=\"192.0.2.11\",outcome=\"bad status\"} 0");
	has_line(t, "xlb_backend_failovers_total{vip=\"web\","
		    "backend=\"192.0.2.11\"} 1");
	has_line(t, "xlb_vip_table_rebuild_seconds_total{vip=\"web\"} 0.0125");
	has_line(t, "xlb_vip_table_last_rebuild_seconds{vip=\"web\"} 0.004");
	has_line(t, "xlb_backend_check_latency_ewma_seconds{vip=\"web\","
		    "backend=\"192.0.2.11\"} 0.0015");
	has_line(t, "xlb_agent_info{version=\"0.1.0\",program_id=\"42\","
		    "xdp_mode=\"native\"} 1");
	has_line(t, "xlb_agent_start_time_seconds 1700000000");
	has_line(t, "# TYPE xlb_flow_table_entries gauge");
	has_line(t, "xlb_flow_table_entries 1200");
	has_line(t, "# TYPE xlb_flow_table_idle gauge");
	has_line(t, "xlb_flow_table_idle 9");
	has_line(t, "# TYPE xlb_flow_sweep_corrected_total counter");
	has_line(t, "xlb_flow_sweep_corrected_total 3");
	/* a backend without a checker has no check series */
	assert_int_equal(count_prefix(t, "xlb_backend_check_probes_total{"), 1);
	assert_int_equal(count_prefix(t, "xlb_backend_check_latency_seconds_"
					 "bucket{"), HC_LATENCY_BUCKETS + 1);
	assert_int_equal(count_prefix(t, "xlb_backend_check_latency_seconds{"),
			 0);
	free(t);
}

static void test_reasons(void **state)
{
	char *t = render();

	(void)state;
	has_line(t, "xlb_packets_total{action=\"forward\",reason=\"fwd_tx\"} "
		    "100");
	has_line(t, "xlb_packets_total{action=\"pass\","
		    "reason=\"pass_not_vip\"} 5");
	has_line(t, "xlb_packets_total{action=\"drop\","
		    "reason=\"drop_malformed\"} 1");
	has_line(t, "xlb_packets_total{action=\"reply\","
		    "reason=\"icmp_too_big_sent\"} 2");
	has_line(t, "xlb_flow_events_total{event=\"hit\"} 90");
	has_line(t, "xlb_flow_events_total{event=\"miss\"} 30");
	has_line(t, "xlb_flow_events_total{event=\"reschedule\"} 0");
	has_line(t, "xlb_datapath_events_total{event=\"icmp_to_flow\"} 0");
	has_line(t, "xlb_datapath_events_total{event=\"frag_first\"} 0");
	/* each reason in exactly one family: verdicts sum to packets */
	assert_int_equal(count_prefix(t, "xlb_packets_total{") +
				 count_prefix(t, "xlb_flow_events_total{") +
				 count_prefix(t, "xlb_datapath_events_total{"),
			 XLB_REASON_MAX);
	free(t);
}

static void test_escaping(void **state)
{
	char *t = render();

	(void)state;
	/* the name is: we"ird\na<newline>me */
	has_line(t, "xlb_vip_packets_total{vip=\"we\\\"ird\\\\na\\nme\"} 0");
	/* one state is 1, the others 0 */
	has_line(t, "xlb_backend_state{vip=\"we\\\"ird\\\\na\\nme\","
		    "backend=\"2001:db8::11\",state=\"draining\"} 1");
	has_line(t, "xlb_backend_state{vip=\"we\\\"ird\\\\na\\nme\","
		    "backend=\"2001:db8::11\",state=\"up\"} 0");
	assert_int_equal(count_prefix(t, "# TYPE xlb_backend_state "), 1);
	assert_int_equal(count_prefix(t, "# HELP xlb_backend_state "), 1);
	free(t);
}

static void test_bgp(void **state)
{
	char *t = render();

	(void)state;
	has_line(t, "# TYPE xlb_bgp_speaker_up gauge");
	has_line(t, "xlb_bgp_speaker_up 1");
	has_line(t, "xlb_bgp_vip_announced{vip=\"web\",address=\"203.0.113.10\"} 1");
	has_line(t, "xlb_bgp_vip_announced{vip=\"dns\",address=\"203.0.113.53\"} 0");
	free(t);
}

/* promtool (Debian's prometheus) parses and lints the page: silent and
 * 0 when everything is right. */
static void test_promtool(void **state)
{
	char cmd[] = "promtool check metrics >/dev/null 2>&1";
	char *t;
	FILE *p;

	(void)state;
	if (system("command -v promtool >/dev/null 2>&1")) {
		print_message("promtool not installed: not checked\n");
		skip();
	}
	t = render();
	p = popen(cmd, "w");
	assert_non_null(p);
	fputs(t, p);
	assert_int_equal(pclose(p), 0);
	free(t);
}

static void test_listen_off(void **state)
{
	struct xlb_cfg *cfg = NULL;
	char err[512] = "";

	(void)state;
	assert_int_equal(config_parse_string("interfaces: [eth0]\n"
					     "metrics_listen: \"\"\n",
					     "t.yaml", &cfg, err, sizeof(err)),
			 0);
	assert_string_equal(cfg->metrics_listen, "");
	config_free(cfg);
	cfg = NULL;
	assert_int_equal(config_parse_string("interfaces: [eth0]\n"
					     "metrics_listen: \"[::1]:9469\"\n",
					     "t.yaml", &cfg, err, sizeof(err)),
			 0);
	assert_int_equal(cfg->metrics_family, XLB_FAMILY_V6);
	assert_int_equal(cfg->metrics_port, 9469);
	config_free(cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_families),
		cmocka_unit_test(test_reasons),
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_bgp),
		cmocka_unit_test(test_promtool),
		cmocka_unit_test(test_listen_off),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
