// SPDX-License-Identifier: GPL-2.0
/* Config parser: the sample file, defaults, every validation error (file,
 * line, field), durations, integers, IPv6, all-ports VIPs, overrides. */
#include <arpa/inet.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "model/config.h"

#define HEAD "interfaces: [eth0]\nvips:\n"
/* One VIP in block style at lines 3..7; backends follow from line 8. */
#define WEB                                                                  \
	HEAD "  - name: web\n"                                               \
	     "    address: 203.0.113.10\n"                                   \
	     "    port: 80\n"                                                \
	     "    protocol: tcp\n"                                           \
	     "    backends:\n"

static struct xlb_cfg *parse_ok(const char *yaml)
{
	struct xlb_cfg *cfg = NULL;
	char err[512] = "";
	int ret = config_parse_string(yaml, "t.yaml", &cfg, err, sizeof(err));

	if (ret)
		print_error("unexpected error %d: %s\n", ret, err);
	assert_int_equal(ret, 0);
	assert_non_null(cfg);
	return cfg;
}

/* ---- the sample ---- */

static int sample_path(char *buf, size_t len)
{
	char exe[PATH_MAX];
	ssize_t n;

	snprintf(buf, len, "etc/xlb.yaml");
	if (!access(buf, R_OK))
		return 0;
	/* BUILD/tests/unit/model/test_config -> the tree BUILD is in */
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n < 0)
		return -1;
	exe[n] = '\0';
	snprintf(buf, len, "%s/../../../../etc/xlb.yaml", dirname(exe));
	return access(buf, R_OK);
}

static void test_sample(void **state)
{
	const struct xlb_cfg_vip *web, *tls, *dns, *all, *api;
	const struct xlb_cfg_backend *b;
	struct xlb_cfg *cfg = NULL;
	char path[PATH_MAX], err[512];
	int ret;

	(void)state;
	assert_int_equal(sample_path(path, sizeof(path)), 0);
	ret = config_load(path, &cfg, err, sizeof(err));
	if (ret)
		print_error("%s\n", err);
	assert_int_equal(ret, 0);

	assert_int_equal(cfg->n_interfaces, 1);
	assert_string_equal(cfg->interfaces[0], "eth0");
	assert_string_equal(cfg->xdp_mode, "auto");
	assert_string_equal(cfg->control_socket, "/run/xlb/xlb.sock");
	assert_string_equal(cfg->metrics_listen, "127.0.0.1:9469");
	assert_int_equal(cfg->metrics_port, 9469);
	assert_int_equal(cfg->flow_table_size, 1000000);
	assert_int_equal(cfg->hash_seed, 0x5eed);
	assert_string_equal(cfg->log_level, "info");
	assert_false(cfg->has_gateway_mac);
	assert_true(cfg->has_encap_source4);
	assert_true(cfg->has_encap_source6);
	assert_int_equal(cfg->encap_source4.v4, htonl(0xc0000201));
	assert_int_equal(cfg->n_vips, 5);

	web = config_vip_find(cfg, "web");
	tls = config_vip_find(cfg, "web-tls");
	dns = config_vip_find(cfg, "dns");
	all = config_vip_find(cfg, "all-ports");
	api = config_vip_find(cfg, "api6");
	assert_non_null(web);
	assert_non_null(tls);
	assert_non_null(dns);
	assert_non_null(all);
	assert_non_null(api);
	assert_null(config_vip_find(cfg, "nope"));

	assert_int_equal(web->port, 80);
	assert_int_equal(web->protocol, IPPROTO_TCP);
	assert_int_equal(web->health_check.type, CFG_HC_HTTP);
	assert_string_equal(web->health_check.path, "/healthz");
	assert_string_equal(web->health_check.host, "www.example.com");
	assert_string_equal(web->health_check.body, "ok");
	assert_int_equal(web->n_backends, 3);
	assert_int_equal(web->backends[1].weight, 50);
	b = &web->backends[2];
	assert_true(b->hc_override);
	assert_string_equal(b->health_check.path, "/status");
	assert_int_equal(b->health_check.interval_ms, 200);
	assert_int_equal(b->health_check.timeout_ms, 500);

	/* merged from the anchor, then overridden */
	assert_int_equal(tls->health_check.type, CFG_HC_HTTPS);
	assert_int_equal(tls->health_check.port, 443);
	assert_string_equal(tls->health_check.path, "/healthz");
	assert_false(tls->health_check.tls_verify);
	assert_int_equal(tls->backends[0].weight, 100);
	assert_int_equal(tls->weighting, CFG_WEIGHTING_LEAST_CONN);
	assert_true(tls->weights.prefer_zone);
	assert_true(tls->weights.zone_min_healthy == 0.70);
	assert_string_equal(tls->backends[1].zone, "eu-west-1b");
	assert_string_equal(cfg->zone, "eu-west-1a");
	assert_false(web->weights.prefer_zone);
	assert_string_equal(web->backends[2].zone, "eu-west-1b");

	assert_int_equal(dns->protocol, IPPROTO_UDP);
	assert_int_equal(dns->affinity, CFG_AFFINITY_SOURCE_IP);
	assert_int_equal(dns->when_all_down, CFG_ALL_DOWN_PASS);
	assert_int_equal(dns->weighting, CFG_WEIGHTING_STATIC);
	assert_int_equal(dns->weights.mode, WEIGHTS_STATIC);
	assert_int_equal(dns->weights.slow_start_window_ms, 0);
	assert_int_equal(web->weights.mode, WEIGHTS_DYNAMIC);
	assert_true(web->weights.floor == 0.10);
	assert_true(web->weights.cap == 2.0);
	assert_int_equal(web->weights.slow_start_window_ms, 60000);
	assert_int_equal(web->weights.min_rebuild_interval_ms, 1000);
	assert_int_equal(dns->table_size, 251);
	assert_int_equal(config_vip_flags(dns),
			 XLB_VIP_SRC_AFFINITY | XLB_VIP_PASS_ALL_DOWN);
	assert_int_equal(dns->backends[0].health_check.interval_ms, 100);
	assert_int_equal(dns->backends[0].health_check.timeout_ms, 50);

	assert_int_equal(all->port, 0);
	assert_int_equal(all->backends[0].health_check.port, 22);

	assert_int_equal(api->family, XLB_FAMILY_V6);
	assert_int_equal(api->health_check.type, CFG_HC_GRPC);
	assert_string_equal(api->health_check.service, "xlb.example.Api");
	assert_int_equal(api->backends[0].family, XLB_FAMILY_V6);
	assert_int_equal(api->backends[2].family, XLB_FAMILY_V4);
	assert_int_equal(api->backends[3].weight, 0);
	assert_int_equal(api->backends[3].health_check.type, CFG_HC_NONE);
	config_free(cfg);
}

/* ---- defaults ---- */

static void test_defaults(void **state)
{
	struct xlb_cfg *cfg = parse_ok(
		HEAD "  - { address: 203.0.113.10, port: 80, protocol: tcp,\n"
		     "      backends: [ { address: 192.0.2.11 } ] }\n");
	const struct xlb_cfg_vip *v = &cfg->vips[0];
	const struct xlb_cfg_hc *hc = &v->backends[0].health_check;
	struct xlb_config dp;

	(void)state;
	assert_string_equal(cfg->source, "t.yaml");
	assert_string_equal(cfg->xdp_mode, "auto");
	assert_string_equal(cfg->control_socket, "/run/xlb/xlb.sock");
	assert_string_equal(cfg->metrics_listen, "127.0.0.1:9469");
	assert_int_equal(cfg->metrics_family, XLB_FAMILY_V4);
	assert_int_equal(cfg->metrics_addr.v4, htonl(INADDR_LOOPBACK));
	assert_int_equal(cfg->metrics_port, 9469);
	assert_int_equal(cfg->flow_table_size, XLB_DEFAULT_FLOW_ENTRIES);
	assert_int_equal(cfg->hash_seed, 0);
	assert_null(cfg->hash_secret_file);
	assert_int_equal(cfg->icmp_rate, XLB_ICMP_RATE_DEFAULT);
	assert_string_equal(cfg->log_level, "info");
	assert_false(cfg->has_gateway_mac);
	assert_false(cfg->has_encap_source4);
	assert_false(cfg->has_encap_source6);

	assert_string_equal(v->name, "203.0.113.10:80/tcp");
	assert_int_equal(v->line, 3);
	assert_int_equal(v->family, XLB_FAMILY_V4);
	assert_int_equal(v->forwarding, CFG_FWD_IPIP);
	assert_int_equal(v->affinity, CFG_AFFINITY_NONE);
	assert_int_equal(v->when_all_down, CFG_ALL_DOWN_DROP);
	assert_int_equal(v->weighting, CFG_WEIGHTING_DYNAMIC);
	assert_int_equal(v->weights.mode, WEIGHTS_DYNAMIC);
	assert_true(v->weights.floor == 0.10);
	assert_true(v->weights.cap == 2.0);
	assert_true(v->weights.degrade_latency_ns == 500000000ULL);
	assert_true(v->weights.degrade_errors == 0.05);
	assert_int_equal(v->weights.degrade_recovery_ms, 20000);
	assert_true(v->weights.slow_start_initial == 0.10);
	assert_int_equal(v->weights.slow_start_window_ms, 60000);
	assert_true(v->weights.rebuild_threshold == 0.05);
	assert_int_equal(v->weights.min_rebuild_interval_ms, 1000);
	assert_int_equal(v->table_size, 65537);
	assert_int_equal(config_vip_flags(v), 0);

	assert_int_equal(v->n_backends, 1);
	assert_int_equal(v->backends[0].weight, 100);
	assert_int_equal(v->backends[0].port, 0);
	assert_int_equal(v->backends[0].line, 4);
	assert_false(v->backends[0].hc_override);
	assert_int_equal(hc->type, CFG_HC_TCP);
	assert_int_equal(hc->port, 80);
	assert_string_equal(hc->path, "/");
	assert_null(hc->host);
	assert_null(hc->body);
	assert_null(hc->service);
	assert_int_equal(hc->status_min, 200);
	assert_int_equal(hc->status_max, 399);
	assert_true(hc->tls_verify);
	assert_false(hc->tls);
	assert_int_equal(hc->interval_ms, 1000);
	assert_int_equal(hc->timeout_ms, 500);
	assert_int_equal(hc->rise, 2);
	assert_int_equal(hc->fall, 3);
	assert_int_equal(hc->set, 0);

	memset(&dp, 0xaa, sizeof(dp));
	config_dp_settings(cfg, &dp);
	assert_int_equal(dp.hash_seed, 0);
	assert_int_equal(dp.icmp_rate, XLB_ICMP_RATE_DEFAULT);
	assert_int_equal(dp.gw_mac[0] | dp.gw_mac[5], 0);
	/* not given: left for the agent's defaults */
	assert_int_equal(dp.src4, 0xaaaaaaaa);
	assert_int_equal(dp.src6[0], 0xaaaaaaaa);
	assert_int_equal(dp.mtu, 0xaaaa);	/* not the config's */
	config_free(cfg);

	/* no VIPs at all is fine: they can come from the CLI */
	cfg = parse_ok("interfaces: [eth0]\n");
	assert_int_equal(cfg->n_vips, 0);
	config_free(cfg);
	cfg = parse_ok("interfaces: [eth0]\nvips:\n");
	assert_int_equal(cfg->n_vips, 0);
	config_free(cfg);
}

/* ---- errors ---- */

struct bad_case {
	const char *yaml;
	const char *want;	/* substring of the error line */
};

static const struct bad_case bad_cases[] = {
	/* file level */
	{ "", "t.yaml:1: the config is empty" },
	{ "- eth0\n", "t.yaml:1: the config must be a mapping" },
	{ "interfaces: [eth0\n", "t.yaml:2: YAML syntax: while parsing a flow "
	  "sequence, did not find expected ',' or ']'" },
	{ "interfaces: [eth0]\n  bad: indent\n", "t.yaml:2: YAML syntax: "
	  "while parsing a block mapping, did not find expected key" },
	{ "interfaces: [eth0]\nvips:\n  - name: a\n    address 1\n",
	  "t.yaml:4: YAML syntax: while scanning a simple key, could not "
	  "find expected ':'" },
	{ "interfaces: [eth0]\nvips: \x01\n",
	  "t.yaml:2: YAML syntax: control characters are not allowed" },
	{ "interfaces: [eth0]\n---\nvips: []\n",
	  "t.yaml:3: a second YAML document" },
	{ "interfaces: [eth0]\ninterfaces: [eth1]\n",
	  "t.yaml:2: duplicate key 'interfaces' (first on line 1)" },
	{ "interfaces: [eth0]\nbogus: 1\n", "t.yaml:2: bogus: unknown key" },
	{ "interfaces: [eth0]\nhash_sed: 1\n",
	  "t.yaml:2: hash_sed: unknown key (did you mean 'hash_seed'?)" },
	/* top-level keys */
	{ "xdp_mode: auto\n", "t.yaml:1: interfaces: required" },
	{ "interfaces: []\n", "t.yaml:1: interfaces: must name at least one" },
	{ "interfaces: eth0\n", "t.yaml:1: interfaces: must be a list, got "
	  "'eth0'" },
	{ "interfaces:\n  - eth0\n  - eth0\n",
	  "t.yaml:3: interfaces[1]: 'eth0' is already interfaces[0]" },
	{ "interfaces: [averyveryverylongname0]\n",
	  "t.yaml:1: interfaces[0]: not a device name" },
	{ "interfaces: [eth0]\nxdp_mode: offload\n",
	  "t.yaml:2: xdp_mode: must be auto, native or generic, got "
	  "'offload'" },
	{ "interfaces: [eth0]\ncontrol_socket: xlb.sock\n",
	  "t.yaml:2: control_socket: must be an absolute path" },
	{ "interfaces: [eth0]\nmetrics_listen: localhost\n",
	  "t.yaml:2: metrics_listen: must be ADDRESS:PORT" },
	{ "interfaces: [eth0]\nmetrics_listen: \"[::1]:0\"\n",
	  "t.yaml:2: metrics_listen: must be ADDRESS:PORT" },
	{ "interfaces: [eth0]\nflow_table_size: lots\n",
	  "t.yaml:2: flow_table_size: must be an integer, got 'lots'" },
	{ "interfaces: [eth0]\nflow_table_size: 10\n",
	  "t.yaml:2: flow_table_size: must be 1024..4294967295, got 10" },
	{ "interfaces: [eth0]\nicmp_rate: 0/s\n",
	  "t.yaml:2: icmp_rate: must be 1/s..1000000/s, got '0/s'" },
	{ "interfaces: [eth0]\nicmp_rate: lots\n",
	  "t.yaml:2: icmp_rate: must be a rate such as 1000/s, got 'lots'" },
	{ "interfaces: [eth0]\nicmp_rate: 10/m\n",
	  "t.yaml:2: icmp_rate: must be a rate such as 1000/s, got '10/m'" },
	{ "interfaces: [eth0]\nhash_secret_file: hash.key\n",
	  "t.yaml:2: hash_secret_file: must be an absolute path" },
	{ "interfaces: [eth0]\nhash_seed: 0x1_0000_0000\n",
	  "t.yaml:2: hash_seed: must be 0..4294967295, got 0x1_0000_0000" },
	{ "interfaces: [eth0]\nhash_seed: \"0x5eed\"\n",
	  "t.yaml:2: hash_seed: must be an integer, got string \"0x5eed\"" },
	{ "interfaces: [eth0]\nhash_seed: [1]\n",
	  "t.yaml:2: hash_seed: must be an integer, got a list" },
	{ "interfaces: [eth0]\nlog_level: loud\n",
	  "t.yaml:2: log_level: must be warn, info, debug or warning" },
	{ "interfaces: [eth0]\ngateway_mac: 02:00:5e:10:00\n",
	  "t.yaml:2: gateway_mac: must be a MAC address" },
	{ "interfaces: [eth0]\ngateway_mac: 01:00:5e:10:00:01\n",
	  "t.yaml:2: gateway_mac: 01:00:5e:10:00:01 is not a unicast MAC" },
	{ "interfaces: [eth0]\nencap_source4: 2001:db8::1\n",
	  "t.yaml:2: encap_source4: must be an IPv4 address, got "
	  "'2001:db8::1'" },
	{ "interfaces: [eth0]\nencap_source6: 192.0.2.1\n",
	  "t.yaml:2: encap_source6: must be an IPv6 address" },
	{ "interfaces: [eth0]\nvips: {web: 1}\n",
	  "t.yaml:2: vips: must be a list, got a mapping" },
	/* VIPs */
	{ HEAD "  - { port: 80, protocol: tcp }\n",
	  "t.yaml:3: vips[0].address: required" },
	{ HEAD "  - { address: 203.0.113.10, protocol: tcp }\n",
	  "t.yaml:3: vips[0].port: required" },
	{ HEAD "  - { address: 203.0.113.10, port: 80 }\n",
	  "t.yaml:3: vips[0].protocol: required" },
	{ HEAD "  - { address: 203.0.113.10, port: 80, protocol: sctp }\n",
	  "t.yaml:3: vips[0].protocol: must be tcp or udp, got 'sctp'" },
	{ HEAD "  - { address: 203.0.113.300, port: 80, protocol: tcp }\n",
	  "t.yaml:3: vips[0].address: not an IPv4 or IPv6 address" },
	{ HEAD "  - { address: 0.0.0.0, port: 80, protocol: tcp }\n",
	  "t.yaml:3: vips[0].address: 0.0.0.0 is the unspecified address" },
	{ HEAD "  - { address: \"ff02::1\", port: 80, protocol: tcp }\n",
	  "t.yaml:3: vips[0].address: ff02::1 is a multicast address" },
	{ HEAD "  - { address: 203.0.113.10, port: 65536, protocol: tcp }\n",
	  "t.yaml:3: vips[0].port: must be 0..65535, got 65536" },
	{ HEAD "  - { address: 203.0.113.10, port: -1, protocol: tcp }\n",
	  "t.yaml:3: vips[0].port: must be 0..65535, got -1" },
	{ HEAD "  - { address: 203.0.113.10, port: \"80\", protocol: tcp }\n",
	  "t.yaml:3: vips[0].port: must be an integer, got string \"80\"" },
	{ HEAD "  - { address: 203.0.113.10, port: 8.5, protocol: tcp }\n",
	  "t.yaml:3: vips[0].port: must be an integer, got '8.5'" },
	{ WEB "      []\n    table_size: 65536\n",
	  "t.yaml:9: vips[0].table_size: must be a prime number" },
	{ WEB "      []\n    table_size: 2000003\n",
	  "t.yaml:9: vips[0].table_size: must be 2..1048573, got 2000003" },
	{ WEB "      - { address: 192.0.2.11 }\n"
	      "      - { address: 192.0.2.12 }\n"
	      "    table_size: 2\n",
	  "t.yaml:10: vips[0].table_size: 2 slots cannot hold 2 backends" },
	{ WEB "      []\n    affinity: sticky\n",
	  "t.yaml:9: vips[0].affinity: must be none or source-ip, got "
	  "'sticky'" },
	{ WEB "      []\n    when_all_down: reject\n",
	  "t.yaml:9: vips[0].when_all_down: must be drop or pass" },
	{ WEB "      []\n    forwarding: gre\n",
	  "t.yaml:9: vips[0].forwarding: must be ipip, got 'gre'" },
	{ WEB "      []\n    weighting: magic\n",
	  "t.yaml:9: vips[0].weighting: must be dynamic, static or "
	  "least_connections" },
	/* zones */
	{ "zone: a b\n" HEAD, "t.yaml:1: zone: must be 1..63 letters, "
	  "digits, '.', '-' or '_', got 'a b'" },
	{ "zone: \"\"\n" HEAD, "t.yaml:1: zone: must be 1..63 letters" },
	{ "zone: [a]\n" HEAD, "t.yaml:1: zone: must be a string, got a list" },
	{ WEB "      - { address: 192.0.2.1, zone: eu/west }\n",
	  "t.yaml:8: vips[0].backends[0].zone: must be 1..63 letters" },
	{ WEB "      []\n    prefer_zone: true\n",
	  "t.yaml:9: vips[0].prefer_zone: needs the balancer's own zone: set "
	  "the top-level key zone: NAME" },
	{ "zone: a\n" WEB "      []\n    prefer_zone: maybe\n",
	  "t.yaml:10: vips[0].prefer_zone: must be true or false" },
	{ "zone: a\n" WEB "      - { address: 192.0.2.1, zone: b }\n"
	  "      - { address: 192.0.2.2, zone: c }\n"
	  "      - { address: 192.0.2.3 }\n"
	  "    prefer_zone: true\n",
	  "t.yaml:12: vips[0].prefer_zone: no backend is in zone 'a' (the "
	  "balancer's); backends are in b, c" },
	{ "zone: a\n" WEB "      - { address: 192.0.2.1 }\n"
	  "    prefer_zone: true\n",
	  "t.yaml:10: vips[0].prefer_zone: no backend is in zone 'a' (the "
	  "balancer's); backends are in no zone" },
	{ "zone: a\n" WEB "      []\n    zone_min_healthy: 120%\n",
	  "t.yaml:10: vips[0].zone_min_healthy: must be 0%..100% (0..1), got "
	  "'120%'" },
	{ WEB "      []\n    zone: a\n",
	  "t.yaml:9: vips[0].zone: unknown key" },
	{ WEB "      []\n    protocl: tcp\n",
	  "t.yaml:9: vips[0].protocl: unknown key (did you mean "
	  "'protocol'?)" },
	{ HEAD "  - { name: web site, address: 203.0.113.10, port: 80,"
	       " protocol: tcp }\n",
	  "t.yaml:3: vips[0].name: must be 1..63 characters without spaces" },
	{ HEAD "  - { name: web, address: 203.0.113.10, port: 80,"
	       " protocol: tcp }\n"
	       "  - { name: web, address: 203.0.113.11, port: 80,"
	       " protocol: tcp }\n",
	  "t.yaml:4: vips[1].name: 'web' is already the name of vips[0] "
	  "(line 3)" },
	{ HEAD "  - { name: a, address: 203.0.113.10, port: 80,"
	       " protocol: tcp }\n"
	       "  - { name: b, address: 203.0.113.10, port: 80,"
	       " protocol: tcp }\n",
	  "t.yaml:4: vips[1]: 203.0.113.10 port 80 tcp is already vips[0] "
	  "'a' (line 3)" },
	/* backends */
	{ WEB "      - { address: 192.0.2.11 }\n"
	      "      - { address: 192.0.2.12, weight: 70000 }\n",
	  "t.yaml:9: vips[0].backends[1].weight: must be 0..65535, got 70000" },
	{ WEB "      - { address: 192.0.2.11 }\n"
	      "      - { weight: 7 }\n",
	  "t.yaml:9: vips[0].backends[1].address: required" },
	{ WEB "      - { address: 192.0.2.11 }\n"
	      "      - { address: 192.0.2.11, weight: 5 }\n",
	  "t.yaml:9: vips[0].backends[1].address: 192.0.2.11 is already "
	  "backends[0] (line 8)" },
	{ WEB "      - { address: 192.0.2.11, port: 0 }\n",
	  "t.yaml:8: vips[0].backends[0].port: must be 1..65535, got 0" },
	{ WEB "      - { address: 192.0.2.11, wieght: 5 }\n",
	  "t.yaml:8: vips[0].backends[0].wieght: unknown key (did you mean "
	  "'weight'?)" },
	{ WEB "      - { address: 224.0.0.1 }\n",
	  "t.yaml:8: vips[0].backends[0].address: 224.0.0.1 is a multicast" },
	{ WEB "      - { address: 127.0.0.1 }\n",
	  "t.yaml:8: vips[0].backends[0].address: 127.0.0.1 is a loopback" },
	{ WEB "      192.0.2.11\n",
	  "t.yaml:8: vips[0].backends: must be a list, got '192.0.2.11'" },
	{ WEB "      - 192.0.2.11\n",
	  "t.yaml:8: vips[0].backends[0]: must be a mapping, got "
	  "'192.0.2.11'" },
	/* health checks */
	{ WEB "      []\n    health_check: http\n",
	  "t.yaml:9: vips[0].health_check: must be a mapping, got 'http'" },
	{ WEB "      []\n    health_check: { type: icmp }\n",
	  "t.yaml:9: vips[0].health_check.type: must be none, tcp, http, "
	  "https or grpc, got 'icmp'" },
	{ WEB "      []\n    health_check: { intervall: 1s }\n",
	  "t.yaml:9: vips[0].health_check.intervall: unknown key (did you "
	  "mean 'interval'?)" },
	{ WEB "      []\n    health_check: { interval: 5 }\n",
	  "t.yaml:9: vips[0].health_check.interval: must be a duration with "
	  "a unit" },
	{ WEB "      []\n    health_check: { interval: 1 sec }\n",
	  "t.yaml:9: vips[0].health_check.interval: must be a duration" },
	{ WEB "      []\n    health_check: { timeout: 0ms }\n",
	  "t.yaml:9: vips[0].health_check.timeout: must be at least 1ms" },
	{ WEB "      []\n    health_check: { timeout: 0.5ms }\n",
	  "t.yaml:9: vips[0].health_check.timeout: must be a whole number of "
	  "milliseconds" },
	{ WEB "      []\n    health_check: { interval: 1200h }\n",
	  "t.yaml:9: vips[0].health_check.interval: must be at most "
	  "4294967295ms, got '1200h'" },
	{ WEB "      []\n    health_check: { rise: 0 }\n",
	  "t.yaml:9: vips[0].health_check.rise: must be 1..1000, got 0" },
	{ WEB "      []\n    health_check: { port: 0 }\n",
	  "t.yaml:9: vips[0].health_check.port: must be 1..65535, got 0" },
	{ WEB "      []\n    health_check: { path: /x }\n",
	  "t.yaml:9: vips[0].health_check.path: does not apply to type tcp "
	  "(only to http, https)" },
	{ WEB "      []\n    health_check: { type: none, interval: 1s }\n",
	  "t.yaml:9: vips[0].health_check.interval: does not apply to type "
	  "none" },
	{ WEB "      []\n    health_check: { type: http, path: healthz }\n",
	  "t.yaml:9: vips[0].health_check.path: must start with '/'" },
	{ WEB "      []\n    health_check: { type: http, expect_status: 700 }\n",
	  "t.yaml:9: vips[0].health_check.expect_status: statuses must be "
	  "100..599" },
	{ WEB "      []\n    health_check:\n      type: http\n"
	      "      expect_status: 2xx\n",
	  "t.yaml:11: vips[0].health_check.expect_status: must be a status "
	  "like 200" },
	{ WEB "      []\n    health_check: { type: https, tls_verify: maybe }\n",
	  "t.yaml:9: vips[0].health_check.tls_verify: must be true or false, "
	  "got 'maybe'" },
	{ WEB "      []\n    health_check: { type: grpc, service: }\n",
	  "t.yaml:9: vips[0].health_check.service: must be a string, got "
	  "nothing" },
	{ WEB "      - address: 192.0.2.11\n"
	      "        health_check: { fall: 0 }\n",
	  "t.yaml:9: vips[0].backends[0].health_check.fall: must be 1..1000" },
	{ WEB "      - address: 192.0.2.11\n"
	      "        health_check: { type: tcp, body: ok }\n",
	  "t.yaml:9: vips[0].backends[0].health_check.body: does not apply "
	  "to type tcp" },
	{ HEAD "  - address: 203.0.113.20\n"
	       "    port: 0\n"
	       "    protocol: tcp\n"
	       "    backends:\n"
	       "      - { address: 192.0.2.31, port: 22 }\n"
	       "      - { address: 192.0.2.32 }\n",
	  "t.yaml:8: vips[0].backends[1].health_check.port: required: the "
	  "VIP serves every port" },
	/* dynamic weights */
	{ WEB "      []\n    weight_floor: 150%\n",
	  "t.yaml:9: vips[0].weight_floor: must be 0%..100% (0..1), got "
	  "'150%'" },
	{ WEB "      []\n    weight_floor: 10\n",
	  "t.yaml:9: vips[0].weight_floor: must be 0%..100% (0..1), got "
	  "'10'" },
	{ WEB "      []\n    weight_floor: ten%\n",
	  "t.yaml:9: vips[0].weight_floor: must be a percentage like 10% or "
	  "a fraction like 0.1, got 'ten%'" },
	{ WEB "      []\n    weight_flor: 5%\n",
	  "t.yaml:9: vips[0].weight_flor: unknown key (did you mean "
	  "'weight_floor'?)" },
	{ WEB "      []\n    weight_cap: 0.5\n",
	  "t.yaml:9: vips[0].weight_cap: must be 1..10, got '0.5'" },
	{ WEB "      []\n    weight_cap: 1e3\n",
	  "t.yaml:9: vips[0].weight_cap: must be a number like 2 or 1.5, got "
	  "'1e3'" },
	{ WEB "      []\n    degrade_latency: 500\n",
	  "t.yaml:9: vips[0].degrade_latency: must be a duration with a unit" },
	{ WEB "      []\n    degrade_errors: -5%\n",
	  "t.yaml:9: vips[0].degrade_errors: must be a percentage like 10%" },
	{ WEB "      []\n    degrade_errors:\n",
	  "t.yaml:9: vips[0].degrade_errors: must be a percentage (like 10%), "
	  "got nothing" },
	{ WEB "      []\n    degrade_recovery: 0s\n",
	  "t.yaml:9: vips[0].degrade_recovery: must be at least 1ms" },
	{ WEB "      []\n    slow_start: { initial: 0% }\n",
	  "t.yaml:9: vips[0].slow_start.initial: must be above 0% and at most "
	  "100% (0..1), got '0%'" },
	{ WEB "      []\n    slow_start:\n      window: 1 minute\n",
	  "t.yaml:10: vips[0].slow_start.window: must be a duration" },
	{ WEB "      []\n    slow_start: { windw: 30s }\n",
	  "t.yaml:9: vips[0].slow_start.windw: unknown key (did you mean "
	  "'window'?)" },
	{ WEB "      []\n    slow_start: 30s\n",
	  "t.yaml:9: vips[0].slow_start: must be a mapping like { initial: "
	  "10%, window: 60s }, or off; got '30s'" },
	{ WEB "      []\n    slow_start: [10%, 60s]\n",
	  "t.yaml:9: vips[0].slow_start: must be a mapping, got a list" },
	{ WEB "      []\n    rebuild_threshold: 5 %\n",
	  "t.yaml:9: vips[0].rebuild_threshold: must be a percentage" },
	{ WEB "      []\n    min_rebuild_interval: 0ms\n",
	  "t.yaml:9: vips[0].min_rebuild_interval: must be at least 1ms" },
	/* bgp: lines 3..7 hold vip web (no backends), bgp: starts at 9 */
#define BGP WEB "      []\nbgp:\n"
#define NB "  neighbors: [{ address: 192.0.2.1, as: 65000 }]\n"
	{ BGP "  neighbors: [{ address: 192.0.2.1, as: 65000 }]\n",
	  "t.yaml:10: bgp.local_as: required: this host's AS number" },
	{ BGP "  local_as: 0\n" NB,
	  "t.yaml:10: bgp.local_as: must be 1..4294967295, got 0" },
	{ BGP "  local_as: 65001\n",
	  "t.yaml:10: bgp.neighbors: required: the routers to announce to" },
	{ BGP "  local_as: 65001\n  neighbors: []\n",
	  "t.yaml:11: bgp.neighbors: must name at least one router" },
	{ BGP "  local_as: 65001\n  neighbors: [{ as: 65000 }]\n",
	  "t.yaml:11: bgp.neighbors[0].address: required: the router's "
	  "address" },
	{ BGP "  local_as: 65001\n  neighbors: [{ address: 192.0.2.1 }]\n",
	  "t.yaml:11: bgp.neighbors[0].as: required: the router's AS number" },
	{ BGP "  local_as: 65001\n  neighbors:\n"
	  "    - { address: 192.0.2.1, as: 65000 }\n"
	  "    - { address: 192.0.2.1, as: 65002 }\n",
	  "t.yaml:13: bgp.neighbors[1]: 192.0.2.1 is already bgp.neighbors[0] "
	  "(line 12)" },
	{ BGP "  local_as: 65001\n  neighbors: [{ address: 192.0.2.1, as: 1, "
	  "port: 0 }]\n",
	  "t.yaml:11: bgp.neighbors[0].port: must be 1..65535, got 0" },
	{ BGP "  local_as: 65001\n  neighbors: [{ address: 192.0.2.1, as: 1, "
	  "password: \"a b\" }]\n",
	  "t.yaml:11: bgp.neighbors[0].password: must be 1..80 characters "
	  "without spaces, quotes or backslashes" },
	{ BGP "  local_as: 65001\n  neighbors: [{ address: 192.0.2.1, as: 1, "
	  "hold: 3 }]\n",
	  "t.yaml:11: bgp.neighbors[0].hold: unknown key" },
	{ BGP "  local_as: 65001\n  hold_time: 2s\n" NB,
	  "t.yaml:11: bgp.hold_time: must be whole seconds, 3s..65535s" },
	{ BGP "  local_as: 65001\n  hold_time: 3500ms\n" NB,
	  "t.yaml:11: bgp.hold_time: must be whole seconds" },
	{ BGP "  local_as: 65001\n  router_id: 2001:db8::1\n" NB,
	  "t.yaml:11: bgp.router_id: must be an IPv4 address" },
	{ BGP "  local_as: 65001\n  bfd: maybe\n" NB,
	  "t.yaml:11: bgp.bfd: must be true or false" },
	{ BGP "  local_as: 65001\n  bfd_interval: 5ms\n" NB,
	  "t.yaml:11: bgp.bfd_interval: must be 10ms..60s" },
	{ BGP "  local_as: 65001\n  bfd_multiplier: 0\n" NB,
	  "t.yaml:11: bgp.bfd_multiplier: must be 1..255, got 0" },
	{ BGP "  local_as: 65001\n  communities: [\"65001\"]\n" NB,
	  "t.yaml:11: bgp.communities[0]: must be ASN:VALUE, both 0..65535" },
	{ BGP "  local_as: 65001\n  communities: [\"65001:70000\"]\n" NB,
	  "t.yaml:11: bgp.communities[0]: must be ASN:VALUE" },
	{ BGP "  local_as: 65001\n  vips: [api]\n" NB,
	  "t.yaml:11: bgp.vips[0]: no VIP named 'api' in vips:" },
	{ BGP "  local_as: 65001\n  vips: [web, web]\n" NB,
	  "t.yaml:11: bgp.vips[1]: 'web' is already bgp.vips[0]" },
	{ BGP "  local_as: 65001\n  run_dir: bird\n" NB,
	  "t.yaml:11: bgp.run_dir: must be an absolute path" },
	{ BGP "  local_as: 65001\n  bird: bird\n" NB,
	  "t.yaml:11: bgp.bird: must be an absolute path" },
	{ BGP "  local_as: 65001\n  neighbours: []\n",
	  "t.yaml:11: bgp.neighbours: unknown key (did you mean "
	  "'neighbors'?)" },
	{ BGP "  - 65001\n", "t.yaml:10: bgp: must be a mapping" },
#undef NB
#undef BGP
	/* merge keys */
	{ WEB "      []\n    health_check: { <<: 5 }\n",
	  "t.yaml:9: vips[0].health_check: '<<' must merge a mapping" },
	{ WEB "      []\n    health_check: &a { <<: *a }\n",
	  "vips[0].health_check: merge keys ('<<') nested too deep" },
};

static void test_errors(void **state)
{
	size_t failed = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *bc = &bad_cases[i];
		struct xlb_cfg *cfg = (struct xlb_cfg *)&failed;	/* sentinel */
		char err[512] = "";
		int ret;

		ret = config_parse_string(bc->yaml, "t.yaml", &cfg, err,
					  sizeof(err));
		if (ret != -EINVAL || !strstr(err, bc->want) ||
		    cfg != (struct xlb_cfg *)&failed || strchr(err, '\n')) {
			print_error("case %zu: ret %d\n  want: %s\n  got:  %s\n"
				    "--- yaml:\n%s---\n", i, ret, bc->want,
				    err, bc->yaml);
			failed++;
			if (!ret && cfg != (struct xlb_cfg *)&failed)
				config_free(cfg);
		}
	}
	assert_int_equal(failed, 0);
	assert_true(sizeof(bad_cases) / sizeof(bad_cases[0]) >= 20);
}

/* A tiny err buffer still gets a terminated (cut) line. */
static void test_error_truncated(void **state)
{
	struct xlb_cfg *cfg = NULL;
	char err[8];

	(void)state;
	assert_int_equal(config_parse_string("vips: 1\n", "t.yaml", &cfg, err,
					     sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "t.yaml:");
	assert_null(cfg);
	assert_int_equal(config_parse_string("vips: 1\n", "t.yaml", &cfg, NULL,
					     0),
			 -EINVAL);
}

/* ---- files ---- */

static void test_load_errors(void **state)
{
	char path[] = "/tmp/xlb-test-config-XXXXXX", err[512];
	struct xlb_cfg *cfg = NULL;
	const char *bad = "interfaces: [eth0]\nvips:\n  - nope\n";
	FILE *f;
	int fd;

	(void)state;
	assert_int_equal(config_load("/nonexistent/xlb.yaml", &cfg, err,
				     sizeof(err)),
			 -ENOENT);
	assert_string_equal(err, "/nonexistent/xlb.yaml: cannot read: "
				 "No such file or directory");
	assert_int_equal(config_load("/tmp", &cfg, err, sizeof(err)), -EISDIR);
	assert_null(cfg);

	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fputs(bad, f);
	fclose(f);
	assert_int_equal(config_load(path, &cfg, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, ":3: vips[0]: must be a mapping, got "
				    "'nope'"));
	assert_null(cfg);
	unlink(path);
}

/* ---- values ---- */

static __u32 interval_of(const char *d)
{
	char yaml[256];
	struct xlb_cfg *cfg;
	__u32 ms;

	snprintf(yaml, sizeof(yaml),
		 HEAD "  - { address: 203.0.113.10, port: 80, protocol: tcp,\n"
		      "      health_check: { interval: %s } }\n", d);
	cfg = parse_ok(yaml);
	ms = cfg->vips[0].health_check.interval_ms;
	assert_true(cfg->vips[0].health_check.set & CFG_HC_SET_INTERVAL);
	config_free(cfg);
	return ms;
}

static void test_durations(void **state)
{
	(void)state;
	assert_int_equal(interval_of("10ms"), 10);
	assert_int_equal(interval_of("500ms"), 500);
	assert_int_equal(interval_of("1s"), 1000);
	assert_int_equal(interval_of("1.5s"), 1500);
	assert_int_equal(interval_of("0.25s"), 250);
	assert_int_equal(interval_of("2m"), 120000);
	assert_int_equal(interval_of("1h"), 3600000);
	assert_int_equal(interval_of("\"20ms\""), 20);
	assert_int_equal(interval_of("1ms"), 1);
}

static void test_integers(void **state)
{
	struct xlb_cfg *cfg;

	(void)state;
	cfg = parse_ok("interfaces: [eth0]\nhash_seed: 0x5eed\n"
		       "flow_table_size: 1_000_000\n");
	assert_int_equal(cfg->hash_seed, 0x5eed);
	assert_int_equal(cfg->flow_table_size, 1000000);
	config_free(cfg);
	cfg = parse_ok("interfaces: [eth0]\nhash_seed: 0xFFFFFFFF\n");
	assert_int_equal(cfg->hash_seed, 0xffffffffu);
	config_free(cfg);
	cfg = parse_ok("interfaces: [eth0]\nhash_seed: 24301\n");
	assert_int_equal(cfg->hash_seed, 0x5eed);
	config_free(cfg);
}

static void test_top_level(void **state)
{
	struct xlb_cfg *cfg;
	struct xlb_config dp = {};

	(void)state;
	cfg = parse_ok("interfaces: [eth0, eth1.100]\n"
		       "xdp_mode: native\n"
		       "control_socket: /run/xlb/other.sock\n"
		       "metrics_listen: \"[2001:db8::1]:9100\"\n"
		       "log_level: warning\n"
		       "gateway_mac: 02:00:5E:10:00:01\n"
		       "encap_source4: 192.0.2.1\n"
		       "encap_source6: 2001:db8:1::1\n"
		       "hash_secret_file: /etc/xlb/hash.key\n"
		       "icmp_rate: 2500/s\n");
	assert_int_equal(cfg->n_interfaces, 2);
	assert_string_equal(cfg->hash_secret_file, "/etc/xlb/hash.key");
	assert_int_equal(cfg->icmp_rate, 2500);
	assert_string_equal(cfg->interfaces[1], "eth1.100");
	assert_string_equal(cfg->xdp_mode, "native");
	assert_string_equal(cfg->control_socket, "/run/xlb/other.sock");
	assert_int_equal(cfg->metrics_family, XLB_FAMILY_V6);
	assert_int_equal(cfg->metrics_port, 9100);
	assert_string_equal(cfg->log_level, "warn");
	assert_true(cfg->has_gateway_mac);
	assert_int_equal(cfg->gateway_mac[2], 0x5e);
	config_dp_settings(cfg, &dp);
	assert_memory_equal(dp.gw_mac, cfg->gateway_mac, 6);
	assert_int_equal(dp.src4, htonl(0xc0000201));
	assert_int_equal(dp.src6[0], htonl(0x20010db8));
	assert_int_equal(dp.src6[3], htonl(1));
	assert_int_equal(dp.icmp_rate, 2500);
	config_free(cfg);

	cfg = parse_ok("interfaces: [eth0]\nicmp_rate: 10\n");
	assert_int_equal(cfg->icmp_rate, 10);
	config_free(cfg);

	cfg = parse_ok("interfaces: [eth0]\nmetrics_listen: \":9469\"\n");
	assert_int_equal(cfg->metrics_family, 0);
	assert_int_equal(cfg->metrics_port, 9469);
	config_free(cfg);
}

static void test_ipv6_vip(void **state)
{
	struct xlb_cfg *cfg = parse_ok(
		HEAD "  - address: 2001:db8::10\n"
		     "    port: 443\n"
		     "    protocol: tcp\n"
		     "    backends:\n"
		     "      - { address: \"2001:db8:2::11\" }\n"
		     "      - { address: 2001:db8:2::12 }\n"
		     "      - { address: 192.0.2.13 }\n");
	const struct xlb_cfg_vip *v = &cfg->vips[0];
	struct xlb_vip_key key;

	(void)state;
	assert_int_equal(v->family, XLB_FAMILY_V6);
	assert_string_equal(v->name, "[2001:db8::10]:443/tcp");
	config_vip_key(v, &key);
	assert_int_equal(key.family, XLB_FAMILY_V6);
	assert_int_equal(key.proto, IPPROTO_TCP);
	assert_int_equal(key.port, htons(443));
	assert_int_equal(key.addr.v6[0], htonl(0x20010db8));
	assert_int_equal(key.addr.v6[3], htonl(0x10));
	assert_int_equal(v->n_backends, 3);
	assert_int_equal(v->backends[0].family, XLB_FAMILY_V6);
	assert_int_equal(v->backends[1].family, XLB_FAMILY_V6);
	/* 4-in-6: an IPv4 backend behind an IPv6 VIP */
	assert_int_equal(v->backends[2].family, XLB_FAMILY_V4);
	assert_int_equal(v->backends[2].health_check.port, 443);
	config_free(cfg);
}

static void test_all_ports_vip(void **state)
{
	struct xlb_cfg *cfg = parse_ok(
		HEAD "  - name: any\n"
		     "    address: 203.0.113.20\n"
		     "    port: 0\n"
		     "    protocol: udp\n"
		     "    backends:\n"
		     "      - { address: 192.0.2.31, port: 53 }\n"
		     "      - address: 192.0.2.32\n"
		     "        health_check: { port: 5353 }\n"
		     "      - address: 192.0.2.33\n"
		     "        health_check: { type: none }\n"
		     "  - name: checked\n"
		     "    address: 203.0.113.20\n"
		     "    port: 0\n"
		     "    protocol: tcp\n"
		     "    health_check: { port: 8080 }\n"
		     "    backends: [ { address: 192.0.2.31, port: 22 } ]\n");
	const struct xlb_cfg_vip *v = &cfg->vips[0];
	struct xlb_vip_key key;

	(void)state;
	assert_int_equal(v->port, 0);
	config_vip_key(v, &key);
	assert_int_equal(key.port, 0);
	assert_int_equal(key.proto, IPPROTO_UDP);
	assert_int_equal(v->health_check.port, 0);
	assert_int_equal(v->backends[0].health_check.port, 53);
	assert_int_equal(v->backends[1].health_check.port, 5353);
	assert_int_equal(v->backends[2].health_check.type, CFG_HC_NONE);
	/* the same address and port 0, but TCP: a different VIP */
	v = &cfg->vips[1];
	assert_int_equal(v->health_check.port, 8080);
	/* the check's own port beats the backend's service port */
	assert_int_equal(v->backends[0].port, 22);
	assert_int_equal(v->backends[0].health_check.port, 8080);
	config_free(cfg);
}

static void test_backend_override(void **state)
{
	struct xlb_cfg *cfg = parse_ok(
		HEAD "  - name: web\n"
		     "    address: 203.0.113.10\n"
		     "    port: 80\n"
		     "    protocol: tcp\n"
		     "    health_check:\n"
		     "      type: http\n"
		     "      path: /healthz\n"
		     "      expect_status: \"200-299\"\n"
		     "      rise: 3\n"
		     "    backends:\n"
		     "      - { address: 192.0.2.11 }\n"
		     "      - address: 192.0.2.12\n"
		     "        port: 8000\n"
		     "        health_check: { interval: 100ms, body: alive }\n"
		     "      - address: 192.0.2.13\n"
		     "        health_check: { type: tcp, port: 9000 }\n"
		     "      - address: 192.0.2.14\n"
		     "        health_check:\n"
		     "          type: https\n"
		     "          tls_verify: no\n"
		     "          expect_status: 204\n");
	const struct xlb_cfg_vip *v = &cfg->vips[0];
	const struct xlb_cfg_hc *h0 = &v->backends[0].health_check;
	const struct xlb_cfg_hc *h1 = &v->backends[1].health_check;
	const struct xlb_cfg_hc *h2 = &v->backends[2].health_check;
	const struct xlb_cfg_hc *h3 = &v->backends[3].health_check;

	(void)state;
	assert_false(v->backends[0].hc_override);
	assert_int_equal(h0->type, CFG_HC_HTTP);
	assert_int_equal(h0->port, 80);
	assert_string_equal(h0->path, "/healthz");
	assert_int_equal(h0->status_min, 200);
	assert_int_equal(h0->status_max, 299);
	assert_int_equal(h0->rise, 3);

	/* overrides two keys, inherits the rest; port from the backend */
	assert_true(v->backends[1].hc_override);
	assert_int_equal(h1->type, CFG_HC_HTTP);
	assert_int_equal(h1->interval_ms, 100);
	assert_string_equal(h1->body, "alive");
	assert_string_equal(h1->path, "/healthz");
	assert_int_equal(h1->rise, 3);
	assert_int_equal(h1->port, 8000);
	assert_true(h1->set & CFG_HC_SET_BODY);
	assert_true(h1->set & CFG_HC_SET_PATH);	/* inherited */
	assert_null(v->health_check.body);	/* the VIP's is untouched */

	/* a type change: the http keys it inherits are moot, not errors */
	assert_int_equal(h2->type, CFG_HC_TCP);
	assert_int_equal(h2->port, 9000);
	assert_int_equal(h2->interval_ms, 1000);

	assert_int_equal(h3->type, CFG_HC_HTTPS);
	assert_false(h3->tls_verify);
	assert_int_equal(h3->status_min, 204);
	assert_int_equal(h3->status_max, 204);
	config_free(cfg);
}

/* The dynamic weight keys, both spellings of shares. */
static void test_weights_keys(void **state)
{
	struct xlb_cfg *cfg = parse_ok(
		HEAD "  - name: a\n"
		     "    address: 203.0.113.10\n"
		     "    port: 80\n"
		     "    protocol: tcp\n"
		     "    weight_floor: 5%\n"
		     "    weight_cap: 1.5\n"
		     "    degrade_latency: 300ms\n"
		     "    degrade_errors: 0.1\n"
		     "    degrade_recovery: 1m\n"
		     "    slow_start: { initial: 12.5%, window: 2m }\n"
		     "    rebuild_threshold: 0.025\n"
		     "    min_rebuild_interval: 2.5s\n"
		     "  - name: b\n"
		     "    address: 203.0.113.11\n"
		     "    port: 80\n"
		     "    protocol: tcp\n"
		     "    weighting: static\n"
		     "    weight_floor: 0\n"
		     "    weight_cap: 10\n"
		     "    degrade_errors: 100%\n"
		     "    slow_start: on\n"
		     "  - name: c\n"
		     "    address: 203.0.113.12\n"
		     "    port: 80\n"
		     "    protocol: tcp\n"
		     "    slow_start: { window: 5s }\n");
	const struct weights_params *a = &config_vip_find(cfg, "a")->weights;
	const struct weights_params *b = &config_vip_find(cfg, "b")->weights;
	const struct weights_params *c = &config_vip_find(cfg, "c")->weights;

	(void)state;
	assert_int_equal(a->mode, WEIGHTS_DYNAMIC);
	assert_true(a->floor == 0.05);
	assert_true(a->cap == 1.5);
	assert_true(a->degrade_latency_ns == 300000000ULL);
	assert_true(a->degrade_errors == 0.1);
	assert_int_equal(a->degrade_recovery_ms, 60000);
	assert_true(a->slow_start_initial == 0.125);
	assert_int_equal(a->slow_start_window_ms, 120000);
	assert_true(a->rebuild_threshold == 0.025);
	assert_int_equal(a->min_rebuild_interval_ms, 2500);

	/* kept with static weighting, where only slow start is used */
	assert_int_equal(b->mode, WEIGHTS_STATIC);
	assert_true(b->floor == 0);
	assert_true(b->cap == 10);
	assert_true(b->degrade_errors == 1);
	assert_int_equal(b->slow_start_window_ms, 60000);
	assert_true(b->slow_start_initial == 0.10);

	/* one key of the mapping: the other keeps its default */
	assert_true(c->slow_start_initial == 0.10);
	assert_int_equal(c->slow_start_window_ms, 5000);
	config_free(cfg);
}

/* weighting: least_connections, zones: the host's, the backends', the
 * VIP's preference and threshold. */
static void test_zones_and_least_connections(void **state)
{
	struct xlb_cfg *cfg = parse_ok(
		"zone: eu-west-1a\n"
		HEAD "  - name: a\n"
		     "    address: 203.0.113.10\n"
		     "    port: 80\n"
		     "    protocol: tcp\n"
		     "    weighting: least_connections\n"
		     "    prefer_zone: true\n"
		     "    zone_min_healthy: 50%\n"
		     "    backends:\n"
		     "      - { address: 192.0.2.1, zone: eu-west-1a }\n"
		     "      - { address: 192.0.2.2, zone: eu-west-1b }\n"
		     "      - { address: 192.0.2.3 }\n"
		     "  - name: b\n"
		     "    address: 203.0.113.11\n"
		     "    port: 80\n"
		     "    protocol: tcp\n"
		     "    backends:\n"
		     "      - { address: 192.0.2.1, zone: rack_7.b }\n");
	const struct xlb_cfg_vip *a = config_vip_find(cfg, "a");
	const struct xlb_cfg_vip *b = config_vip_find(cfg, "b");

	(void)state;
	assert_string_equal(cfg->zone, "eu-west-1a");
	assert_int_equal(a->weighting, CFG_WEIGHTING_LEAST_CONN);
	assert_string_equal(config_weighting_name(a->weighting),
			    "least_connections");
	assert_int_equal(a->weights.mode, WEIGHTS_LEAST_CONN);
	assert_true(a->weights.prefer_zone);
	assert_true(a->weights.zone_min_healthy == 0.5);
	assert_string_equal(a->backends[0].zone, "eu-west-1a");
	assert_string_equal(a->backends[1].zone, "eu-west-1b");
	assert_null(a->backends[2].zone);
	/* defaults: no preference, 70 % */
	assert_false(b->weights.prefer_zone);
	assert_true(b->weights.zone_min_healthy == 0.70);
	assert_int_equal(b->weights.mode, WEIGHTS_DYNAMIC);
	assert_string_equal(b->backends[0].zone, "rack_7.b");
	config_free(cfg);

	/* no zone anywhere: NULL */
	cfg = parse_ok(WEB "      - { address: 192.0.2.1 }\n");
	assert_null(cfg->zone);
	assert_null(cfg->vips[0].backends[0].zone);
	config_free(cfg);
}

static void test_merge_keys(void **state)
{
	struct xlb_cfg *cfg = parse_ok(
		HEAD "  - name: a\n"
		     "    address: 203.0.113.10\n"
		     "    port: 80\n"
		     "    protocol: tcp\n"
		     "    health_check: &hc { type: http, path: /a, rise: 5 }\n"
		     "  - name: b\n"
		     "    address: 203.0.113.11\n"
		     "    port: 80\n"
		     "    protocol: tcp\n"
		     "    health_check: { <<: *hc, path: /b }\n"
		     "  - &c\n"
		     "    name: c\n"
		     "    address: 203.0.113.12\n"
		     "    port: 80\n"
		     "    protocol: tcp\n"
		     "  - <<: *c\n"
		     "    name: d\n"
		     "    port: 81\n");
	const struct xlb_cfg_vip *b = config_vip_find(cfg, "b");
	const struct xlb_cfg_vip *d = config_vip_find(cfg, "d");

	(void)state;
	assert_non_null(b);
	assert_non_null(d);
	assert_int_equal(b->health_check.type, CFG_HC_HTTP);
	assert_string_equal(b->health_check.path, "/b");
	assert_int_equal(b->health_check.rise, 5);
	assert_int_equal(d->port, 81);
	assert_int_equal(d->addr.v4, htonl(0xcb00710c));
	config_free(cfg);
}

/* Merges of merges through aliases: the work is capped, not exponential. */
static void test_merge_bomb(void **state)
{
	struct xlb_cfg *cfg = NULL;
	char *yaml = malloc(8192), err[512];
	size_t len;

	(void)state;
	assert_non_null(yaml);
	len = (size_t)snprintf(yaml, 8192, WEB "      []\n    health_check:\n"
			       "      <<:\n        - &l0 { rise: 1 }\n");
	for (int lvl = 1; lvl <= 6; lvl++) {
		len += (size_t)snprintf(yaml + len, 8192 - len,
					"        - &l%d { <<: [", lvl);
		for (int i = 0; i < 10; i++)
			len += (size_t)snprintf(yaml + len, 8192 - len,
						"%s*l%d", i ? ", " : "",
						lvl - 1);
		len += (size_t)snprintf(yaml + len, 8192 - len, "] }\n");
	}
	assert_true(len < 8192);
	assert_int_equal(config_parse_string(yaml, "t.yaml", &cfg, err,
					     sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "vips[0].health_check: more than 10000 "
				    "merges"));
	assert_null(cfg);
	free(yaml);
}

/* ---- limits and whole lines ---- */

/* n VIPs of per backends each, in flow style, after HEAD. */
static char *many(size_t n, size_t per)
{
	size_t cap = 128 + n * (96 + per * 40), len = 0;
	char *yaml = malloc(cap);

	assert_non_null(yaml);
	len += (size_t)snprintf(yaml + len, cap - len, HEAD);
	for (size_t i = 0; i < n; i++) {
		len += (size_t)snprintf(yaml + len, cap - len,
					"  - { address: 203.0.%zu.%zu, port: 80, "
					"protocol: tcp, backends: [", i / 250,
					i % 250 + 1);
		for (size_t j = 0; j < per; j++)
			len += (size_t)snprintf(yaml + len, cap - len,
						"%s{ address: 10.%zu.%zu.%zu }",
						j ? ", " : "", i, j / 250,
						j % 250 + 1);
		len += (size_t)snprintf(yaml + len, cap - len, "] }\n");
	}
	assert_true(len < cap);
	return yaml;
}

/* The error of yaml, whole. */
static void assert_error(const char *yaml, const char *want)
{
	struct xlb_cfg *cfg = NULL;
	char err[512] = "";

	assert_int_equal(config_parse_string(yaml, "t.yaml", &cfg, err,
					     sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, want);
	assert_null(cfg);
}

/* What the data path holds, and the messages whose parts are computed
 * (the check types a key applies to), line for line. */
static void test_limits_and_lines(void **state)
{
	struct xlb_cfg *cfg;
	char *yaml;

	(void)state;
	yaml = many(XLB_MAX_VIPS, 0);
	cfg = parse_ok(yaml);
	assert_int_equal(cfg->n_vips, XLB_MAX_VIPS);
	config_free(cfg);
	free(yaml);
	yaml = many(XLB_MAX_VIPS + 1, 0);
	assert_error(yaml, "t.yaml:3: vips: too many VIPs: 1025, the data "
		     "path holds 1024");
	free(yaml);

	/* backends count across VIPs */
	yaml = many(2, (XLB_MAX_BACKENDS - 1) / 2);
	cfg = parse_ok(yaml);
	assert_int_equal(cfg->vips[0].n_backends + cfg->vips[1].n_backends,
			 XLB_MAX_BACKENDS - 2);
	config_free(cfg);
	free(yaml);
	yaml = many(2, XLB_MAX_BACKENDS / 2);
	assert_error(yaml, "t.yaml:4: vips[1].backends: too many backends: "
		     "the data path holds 8191 in all");
	free(yaml);

	assert_error(WEB "      []\n    health_check: { type: none, "
		     "interval: 1s }\n",
		     "t.yaml:9: vips[0].health_check.interval: does not apply "
		     "to type none (only to tcp, http, https, grpc)");
	assert_error(WEB "      []\n    health_check: { host: h }\n",
		     "t.yaml:9: vips[0].health_check.host: does not apply to "
		     "type tcp (only to http, https, grpc)");
	assert_error(WEB "      []\n    health_check: { type: http, "
		     "tls_verify: no }\n",
		     "t.yaml:9: vips[0].health_check.tls_verify: does not "
		     "apply to type http (only to https, grpc)");
	assert_error(WEB "      []\n    health_check: { type: https, "
		     "tls: true }\n",
		     "t.yaml:9: vips[0].health_check.tls: does not apply to "
		     "type https (only to grpc)");
	/* the first of two errors in one mapping, in the order keys are
	 * read: address, port, protocol, then name */
	assert_error(HEAD "  - { name: a b, port: 80, protocol: tcp }\n",
		     "t.yaml:3: vips[0].address: required");
	/* "did you mean" prefers the key listed first */
	assert_error(WEB "      []\n    nart: 1\n",
		     "t.yaml:9: vips[0].nart: unknown key (did you mean "
		     "'name'?)");
}

/* ---- bgp ---- */

static void test_bgp(void **state)
{
	struct xlb_cfg *cfg;
	const struct xlb_cfg_bgp *b;

	(void)state;
	cfg = parse_ok(WEB "      []\n"
		       "  - name: api\n    address: 203.0.113.11\n"
		       "    port: 443\n    protocol: tcp\n    backends: []\n"
		       "bgp:\n"
		       "  local_as: 4200000001\n"
		       "  router_id: 192.0.2.2\n"
		       "  hold_time: 9s\n"
		       "  bfd: true\n"
		       "  bfd_interval: 50ms\n"
		       "  bfd_multiplier: 5\n"
		       "  med: 20\n"
		       "  communities: [\"65001:80\", \"0:0\"]\n"
		       "  vips: [api]\n"
		       "  run_dir: /run/xlb/bird-a\n"
		       "  bird: /opt/bird/sbin/bird\n"
		       "  neighbors:\n"
		       "    - { address: 192.0.2.1, as: 65000, port: 1179, "
		       "password: s3cret }\n"
		       "    - { address: \"2001:db8::1\", as: 65000 }\n");
	b = &cfg->bgp;
	assert_true(b->enabled);
	assert_int_equal(b->local_as, 4200000001u);
	assert_true(b->has_router_id);
	assert_int_equal(b->router_id.v4, htonl(0xc0000202));
	assert_int_equal(b->hold_time_s, 9);
	assert_true(b->bfd);
	assert_int_equal(b->bfd_interval_ms, 50);
	assert_int_equal(b->bfd_multiplier, 5);
	assert_true(b->has_med);
	assert_int_equal(b->med, 20);
	assert_int_equal(b->n_communities, 2);
	assert_int_equal(b->communities[0], (65001u << 16) | 80);
	assert_int_equal(b->communities[1], 0);
	assert_int_equal(b->n_vips, 1);
	assert_string_equal(b->vips[0], "api");
	assert_false(config_bgp_announces(cfg, "web"));
	assert_true(config_bgp_announces(cfg, "api"));
	assert_string_equal(b->run_dir, "/run/xlb/bird-a");
	assert_string_equal(b->bird, "/opt/bird/sbin/bird");
	assert_int_equal(b->n_neighbors, 2);
	assert_int_equal(b->neighbors[0].family, XLB_FAMILY_V4);
	assert_int_equal(b->neighbors[0].as, 65000);
	assert_int_equal(b->neighbors[0].port, 1179);
	assert_string_equal(b->neighbors[0].password, "s3cret");
	assert_int_equal(b->neighbors[1].family, XLB_FAMILY_V6);
	assert_int_equal(b->neighbors[1].port, 179);
	assert_null(b->neighbors[1].password);
	config_free(cfg);

	/* defaults; every VIP announced without a list */
	cfg = parse_ok(WEB "      []\nbgp:\n  local_as: 65001\n"
		       "  neighbors: [{ address: 192.0.2.1, as: 65000 }]\n");
	b = &cfg->bgp;
	assert_true(b->enabled);
	assert_false(b->has_router_id);
	assert_int_equal(b->hold_time_s, XLB_CFG_BGP_HOLD_TIME_S);
	assert_false(b->bfd);
	assert_int_equal(b->bfd_interval_ms, XLB_CFG_BFD_INTERVAL_MS);
	assert_int_equal(b->bfd_multiplier, XLB_CFG_BFD_MULTIPLIER);
	assert_false(b->has_med);
	assert_int_equal(b->n_communities, 0);
	assert_string_equal(b->run_dir, XLB_CFG_DEFAULT_BGP_RUN_DIR);
	assert_string_equal(b->bird, XLB_CFG_DEFAULT_BIRD);
	assert_true(config_bgp_announces(cfg, "web"));
	assert_true(config_bgp_announces(cfg, "added-at-run-time"));
	config_free(cfg);

	/* no section, or an empty one: off */
	cfg = parse_ok(WEB "      []\n");
	assert_false(cfg->bgp.enabled);
	assert_false(config_bgp_announces(cfg, "web"));
	config_free(cfg);
	cfg = parse_ok(WEB "      []\nbgp:\n");
	assert_false(cfg->bgp.enabled);
	config_free(cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sample),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_error_truncated),
		cmocka_unit_test(test_load_errors),
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_integers),
		cmocka_unit_test(test_top_level),
		cmocka_unit_test(test_ipv6_vip),
		cmocka_unit_test(test_all_ports_vip),
		cmocka_unit_test(test_backend_override),
		cmocka_unit_test(test_weights_keys),
		cmocka_unit_test(test_zones_and_least_connections),
		cmocka_unit_test(test_merge_keys),
		cmocka_unit_test(test_merge_bomb),
		cmocka_unit_test(test_limits_and_lines),
		cmocka_unit_test(test_bgp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
