// SPDX-License-Identifier: GPL-2.0
/* The BIRD config the agent writes: exact text for a full bgp: section,
 * the parts each option adds, and BIRD's own parser (bird -p) accepting
 * every variant. */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/addr.h"
#include "agent/bgp.h"
#include "model/config.h"

static struct xlb_cfg *parse(const char *yaml)
{
	struct xlb_cfg *cfg = NULL;
	char err[512] = "";
	int ret = config_parse_string(yaml, "t.yaml", &cfg, err, sizeof(err));

	if (ret)
		print_error("%s\n", err);
	assert_int_equal(ret, 0);
	return cfg;
}

static struct bgp_route route(const char *s)
{
	struct bgp_route r = {};

	assert_int_equal(xlb_addr_parse(s, &r.addr, &r.family), 0);
	return r;
}

#define VIPS                                                                 \
	"interfaces: [eth0]\n"                                               \
	"vips:\n"                                                            \
	"  - { name: web, address: 203.0.113.10, port: 80, protocol: tcp }\n"

static const char full_yaml[] =
	VIPS "bgp:\n"
	     "  local_as: 65001\n"
	     "  router_id: 192.0.2.2\n"
	     "  hold_time: 9s\n"
	     "  bfd: true\n"
	     "  communities: [\"65001:80\", \"65001:443\"]\n"
	     "  med: 10\n"
	     "  neighbors:\n"
	     "    - { address: 192.0.2.1, as: 65000, password: s3cret }\n"
	     "    - { address: \"2001:db8:192::1\", as: 65000, port: 1179 }\n";

static const char full_text[] =
	"# Written by the xlb agent from its bgp: section; rewritten on every "
	"change.\n"
	"\n"
	"log stderr { info, remote, warning, error, auth, fatal, bug };\n"
	"timeformat protocol iso long;\n"
	"router id 192.0.2.2;\n"
	"\n"
	"protocol device {\n"
	"\tscan time 10;\n"
	"}\n"
	"\n"
	"protocol bfd xlb_bfd {\n"
	"\tinterface \"*\" {\n"
	"\t\tinterval 100 ms;\n"
	"\t\tmultiplier 3;\n"
	"\t};\n"
	"}\n"
	"\n"
	"protocol static xlb_vips4 {\n"
	"\tipv4;\n"
	"\troute 203.0.113.10/32 blackhole;\n"
	"\troute 203.0.113.11/32 blackhole;\n"
	"}\n"
	"\n"
	"protocol static xlb_vips6 {\n"
	"\tipv6;\n"
	"\troute 2001:db8:203::10/128 blackhole;\n"
	"}\n"
	"\n"
	"filter xlb_export {\n"
	"\tif proto != \"xlb_vips4\" && proto != \"xlb_vips6\" then reject;\n"
	"\tbgp_community.add((65001, 80));\n"
	"\tbgp_community.add((65001, 443));\n"
	"\tbgp_med = 10;\n"
	"\taccept;\n"
	"}\n"
	"\n"
	"protocol bgp xlb_peer0 {\n"
	"\tlocal as 65001;\n"
	"\tneighbor 192.0.2.1 port 179 as 65000;\n"
	"\thold time 9;\n"
	"\tkeepalive time 3;\n"
	"\tconnect delay time 1;\n"
	"\tconnect retry time 1;\n"
	"\terror wait time 1, 10;\n"
	"\tgraceful restart off;\n"
	"\tpassword \"s3cret\";\n"
	"\tbfd on;\n"
	"\tipv4 {\n"
	"\t\timport none;\n"
	"\t\texport filter xlb_export;\n"
	"\t\tnext hop self;\n"
	"\t};\n"
	"}\n"
	"\n"
	"protocol bgp xlb_peer1 {\n"
	"\tlocal as 65001;\n"
	"\tneighbor 2001:db8:192::1 port 1179 as 65000;\n"
	"\thold time 9;\n"
	"\tkeepalive time 3;\n"
	"\tconnect delay time 1;\n"
	"\tconnect retry time 1;\n"
	"\terror wait time 1, 10;\n"
	"\tgraceful restart off;\n"
	"\tbfd on;\n"
	"\tipv6 {\n"
	"\t\timport none;\n"
	"\t\texport filter xlb_export;\n"
	"\t\tnext hop self;\n"
	"\t};\n"
	"}\n";

/* BIRD's own parser on text: 0 when it accepts it, 1 when it does not,
 * -1 when bird is not installed. */
static int bird_parses(const char *text)
{
	char path[] = "/tmp/xlb-test-bird.XXXXXX", cmd[256];
	FILE *f;
	int fd, rc;

	if (access(XLB_CFG_DEFAULT_BIRD, X_OK))
		return -1;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "%s -p -c %s 2>&1", XLB_CFG_DEFAULT_BIRD,
		 path);
	rc = system(cmd);
	unlink(path);
	return rc ? 1 : 0;
}

static void test_render_full(void **state)
{
	struct xlb_cfg *cfg = parse(full_yaml);
	const struct bgp_route routes[] = { route("203.0.113.10"),
					    route("203.0.113.11"),
					    route("2001:db8:203::10") };
	char *text;

	(void)state;
	text = bgp_render(&cfg->bgp, routes, 3);
	assert_non_null(text);
	if (strcmp(text, full_text))
		print_error("--- got:\n%s---\n", text);
	assert_string_equal(text, full_text);
	assert_int_not_equal(bird_parses(text), 1);
	free(text);
	config_free(cfg);
}

/* Nothing to announce, no options: empty static protocols, no BFD, no
 * router id (BIRD picks one), a filter that only accepts. */
static void test_render_minimal(void **state)
{
	struct xlb_cfg *cfg = parse(VIPS "bgp:\n  local_as: 65001\n"
				    "  neighbors: [{ address: 192.0.2.1, "
				    "as: 65000 }]\n");
	char *text;

	(void)state;
	text = bgp_render(&cfg->bgp, NULL, 0);
	assert_non_null(text);
	assert_null(strstr(text, "router id"));
	assert_null(strstr(text, "bfd"));
	assert_null(strstr(text, "route "));
	assert_null(strstr(text, "bgp_community"));
	assert_null(strstr(text, "bgp_med"));
	assert_null(strstr(text, "password"));
	assert_non_null(strstr(text, "protocol static xlb_vips4 {\n\tipv4;\n}"));
	assert_non_null(strstr(text, "\thold time 3;\n\tkeepalive time 1;\n"));
	assert_non_null(strstr(text, "protocol bgp xlb_peer0 {"));
	assert_null(strstr(text, "xlb_peer1"));
	assert_int_not_equal(bird_parses(text), 1);
	free(text);
	config_free(cfg);
}

/* The same inputs give the same text; other routes, other text. */
static void test_render_deterministic(void **state)
{
	struct xlb_cfg *cfg = parse(full_yaml);
	const struct bgp_route a[] = { route("203.0.113.10") };
	const struct bgp_route b[] = { route("203.0.113.12") };
	char *t1 = bgp_render(&cfg->bgp, a, 1), *t2 = bgp_render(&cfg->bgp, a, 1);
	char *t3 = bgp_render(&cfg->bgp, b, 1);

	(void)state;
	assert_string_equal(t1, t2);
	assert_string_not_equal(t1, t3);
	assert_non_null(strstr(t3, "\troute 203.0.113.12/32 blackhole;\n"));
	free(t1);
	free(t2);
	free(t3);
	config_free(cfg);
}

/* The sample config's bgp: block (commented out) is valid once
 * uncommented, and so is what it renders. Run from the tree's top. */
static void test_sample_block(void **state)
{
	FILE *f = fopen("etc/xlb.yaml", "r");
	struct xlb_cfg *cfg;
	char line[512], *yaml = NULL, *text;
	size_t len = 0;
	bool on = false;
	FILE *out = open_memstream(&yaml, &len);

	(void)state;
	assert_non_null(f);
	assert_non_null(out);
	while (fgets(line, sizeof(line), f)) {
		on |= !strncmp(line, "#bgp:", 5);
		fputs(on && line[0] == '#' ? line + 1 : line, out);
	}
	fclose(f);
	fclose(out);
	assert_true(on);
	cfg = parse(yaml);
	assert_true(cfg->bgp.enabled);
	assert_int_equal(cfg->bgp.n_neighbors, 2);
	text = bgp_render(&cfg->bgp, NULL, 0);
	assert_non_null(text);
	assert_int_not_equal(bird_parses(text), 1);
	free(text);
	free(yaml);
	config_free(cfg);
}

/* The parser check can fail: BIRD refuses a broken config. */
static void test_bird_refuses_garbage(void **state)
{
	(void)state;
	if (bird_parses("protocol bgp {") < 0)
		skip();
	assert_int_equal(bird_parses("protocol bgp x { local as ; }\n"), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_render_full),
		cmocka_unit_test(test_render_minimal),
		cmocka_unit_test(test_render_deterministic),
		cmocka_unit_test(test_sample_block),
		cmocka_unit_test(test_bird_refuses_garbage),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
