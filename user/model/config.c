// SPDX-License-Identifier: GPL-2.0
/* The config file: YAML loaded with libyaml's document API (so every node
 * knows its line), checked against the schema and turned into struct
 * xlb_cfg; the YAML walk is in config_yaml.c, typed values in
 * config_get.c, vips: in config_vip.c, health_check: in config_hc.c.
 * Every error is one line: "FILE:LINE: FIELD: message". Pure. */
#include <ctype.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/addr.h"
#include "model/config_priv.h"

#define MIN_FLOW_TABLE_SIZE 1024

static const char *const xdp_mode_names[] = { "auto", "native", "generic" };
static const char *const log_level_names[] = { "warn", "info", "debug",
					       "warning" };

static const char *const top_keys[] = {
	"interfaces", "xdp_mode", "control_socket", "metrics_listen",
	"flow_table_size", "hash_seed", "log_level", "gateway_mac",
	"encap_source4", "encap_source6", "vips", "zone", "bgp", NULL,
};

static const char *const bgp_keys[] = {
	"local_as", "router_id", "hold_time", "bfd", "bfd_interval",
	"bfd_multiplier", "med", "communities", "vips", "neighbors", "bird",
	"run_dir", NULL,
};

static const char *const bgp_neighbor_keys[] = {
	"address", "as", "port", "password", NULL,
};

/* ---- top level ---- */

static bool ifname_ok(const char *s)
{
	size_t len = strlen(s);

	if (!len || len >= IFNAMSIZ || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (; *s; s++)
		if (*s == '/' || *s == ':' || isspace((unsigned char)*s) ||
		    iscntrl((unsigned char)*s))
			return false;
	return true;
}

static int parse_interfaces(struct ctx *c, yaml_node_t *n,
			    struct xlb_cfg *cfg)
{
	char f[FIELD_LEN];
	yaml_node_item_t *items = NULL;
	size_t count = 0;
	int err = cfg_get_list(c, n, "interfaces", &items, &count);

	if (err)
		return err;
	if (!count)
		return fail(c, n, "interfaces", "must name at least one "
			    "device, e.g. [eth0]");
	cfg->interfaces = calloc(count, sizeof(*cfg->interfaces));
	if (!cfg->interfaces)
		return fail_nomem(c);
	cfg->n_interfaces = count;
	for (size_t i = 0; i < count; i++) {
		yaml_node_t *in = node_of(c, items[i]);

		cfg_field(f, "interfaces[%zu]", i);
		err = cfg_get_string(c, in, f, &cfg->interfaces[i]);
		if (err)
			return err;
		if (!ifname_ok(cfg->interfaces[i]))
			return fail(c, in, f, "not a device name: %s",
				    cfg_describe(c, in));
		for (size_t j = 0; j < i; j++)
			if (!strcmp(cfg->interfaces[j], cfg->interfaces[i]))
				return fail(c, in, f, "'%s' is already "
					    "interfaces[%zu]",
					    cfg->interfaces[i], j);
	}
	return 0;
}

/* "127.0.0.1:9469", "[::1]:9469", ":9469" (every address). */
static int parse_listen(struct ctx *c, yaml_node_t *n, const char *field,
			struct xlb_cfg *cfg)
{
	char host[64];
	const char *s = sval(n), *colon;
	bool bracket = s[0] == '[', neg;
	unsigned long long port;
	size_t hlen;

	if (bracket) {
		const char *end = strchr(s, ']');

		if (!end || end[1] != ':')
			goto bad;
		s++;
		hlen = (size_t)(end - s);
		colon = end + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon || memchr(s, ':', (size_t)(colon - s)))
			goto bad;
		hlen = (size_t)(colon - s);
	}
	if (hlen >= sizeof(host) || cfg_parse_int(colon + 1, &neg, &port) ||
	    neg || !port || port > 65535 || !isdigit((unsigned char)colon[1]))
		goto bad;
	memcpy(host, s, hlen);
	host[hlen] = '\0';
	memset(&cfg->metrics_addr, 0, sizeof(cfg->metrics_addr));
	cfg->metrics_family = 0;
	if (hlen && strcmp(host, "*") &&
	    xlb_addr_parse(host, &cfg->metrics_addr, &cfg->metrics_family))
		goto bad;
	if (bracket && cfg->metrics_family != XLB_FAMILY_V6)
		goto bad;
	cfg->metrics_port = (__u16)port;
	return 0;
bad:
	return fail(c, n, field, "must be ADDRESS:PORT, like 127.0.0.1:9469, "
		    "[::1]:9469 or :9469 (every address); got %s",
		    cfg_describe(c, n));
}

static int parse_mac(struct ctx *c, yaml_node_t *n, const char *field,
		     __u8 mac[6])
{
	const char *s = sval(n);
	unsigned int b[6];
	int used = 0, zero = 1;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%n", &b[0], &b[1], &b[2], &b[3],
		   &b[4], &b[5], &used) != 6 || used != 17 || s[used])
		return fail(c, n, field, "must be a MAC address like "
			    "02:00:5e:10:00:01, got %s", cfg_describe(c, n));
	for (int i = 0; i < 6; i++) {
		mac[i] = (__u8)b[i];
		zero &= !b[i];
	}
	if (zero || (mac[0] & 1))
		return fail(c, n, field, "%s is not a unicast MAC address", s);
	return 0;
}

/* ---- bgp ---- */

static int get_password(struct ctx *c, yaml_node_t *n, const char *field,
			char **out)
{
	int err = cfg_get_string(c, n, field, out);

	if (!err && (strpbrk(*out, "\"\\") || cfg_has_space_or_ctl(*out) ||
		     !(*out)[0] || strlen(*out) > 80))
		err = fail(c, n, field, "must be 1..80 characters without "
			   "spaces, quotes or backslashes");
	return err;
}

static int parse_neighbor(struct ctx *c, yaml_node_t *n, const char *base,
			  struct xlb_cfg_bgp_neighbor *nb)
{
	char f[FIELD_LEN];
	struct map m = {};
	struct kv *kv;
	int err;

	nb->line = (unsigned int)line_of(n);
	nb->port = 179;
	err = cfg_map_collect(c, n, base, &m);
	if (!err)
		err = cfg_check_keys(c, &m, base, bgp_neighbor_keys);
	if (err)
		goto out;
	cfg_join(f, base, "address");
	kv = cfg_map_get(&m, "address");
	err = kv ? cfg_get_addr(c, kv->val, f, 0, &nb->addr, &nb->family)
		 : fail(c, n, f, "required: the router's address");
	cfg_join(f, base, "as");
	kv = cfg_map_get(&m, "as");
	if (!err)
		err = kv ? cfg_get_u32(c, kv->val, f, 1, UINT32_MAX, &nb->as)
			 : fail(c, n, f, "required: the router's AS number");
	cfg_join(f, base, "port");
	if (!err && (kv = cfg_map_get(&m, "port")))
		err = cfg_get_u16(c, kv->val, f, 1, 65535, &nb->port);
	cfg_join(f, base, "password");
	if (!err && (kv = cfg_map_get(&m, "password")))
		err = get_password(c, kv->val, f, &nb->password);
out:
	cfg_map_free(&m);
	return err;
}

static int parse_neighbors(struct ctx *c, yaml_node_t *n,
			   struct xlb_cfg_bgp *bgp)
{
	char f[FIELD_LEN], a[XLB_ADDR_STRLEN];
	yaml_node_item_t *items = NULL;
	size_t count = 0;
	int err = cfg_get_list(c, n, "bgp.neighbors", &items, &count);

	if (err)
		return err;
	if (!count)
		return fail(c, n, "bgp.neighbors", "must name at least one "
			    "router, e.g. [{ address: 192.0.2.1, as: 65000 }]");
	bgp->neighbors = calloc(count, sizeof(*bgp->neighbors));
	if (!bgp->neighbors)
		return fail_nomem(c);
	bgp->n_neighbors = count;
	for (size_t i = 0; i < count; i++) {
		struct xlb_cfg_bgp_neighbor *nb = &bgp->neighbors[i];
		yaml_node_t *in = node_of(c, items[i]);

		cfg_field(f, "bgp.neighbors[%zu]", i);
		err = parse_neighbor(c, in, f, nb);
		if (err)
			return err;
		for (size_t j = 0; j < i; j++)
			if (addr_eq(&nb->addr, nb->family,
				    &bgp->neighbors[j].addr,
				    bgp->neighbors[j].family))
				return fail(c, in, f, "%s is already "
					    "bgp.neighbors[%zu] (line %u)",
					    xlb_addr_str(&nb->addr, nb->family,
							 a, sizeof(a)),
					    j, bgp->neighbors[j].line);
	}
	return 0;
}

/* "65001:100": a standard community, both halves 0..65535. */
static int parse_communities(struct ctx *c, yaml_node_t *n,
			     struct xlb_cfg_bgp *bgp)
{
	char f[FIELD_LEN];
	yaml_node_item_t *items = NULL;
	size_t count = 0;
	int err = cfg_get_list(c, n, "bgp.communities", &items, &count);

	if (err || !count)
		return err;
	bgp->communities = calloc(count, sizeof(*bgp->communities));
	if (!bgp->communities)
		return fail_nomem(c);
	bgp->n_communities = count;
	for (size_t i = 0; i < count; i++) {
		yaml_node_t *in = node_of(c, items[i]);
		unsigned long long hi, lo;
		const char *s, *colon;
		char half[16];
		bool neg;

		cfg_field(f, "bgp.communities[%zu]", i);
		err = cfg_want_scalar(c, in, f, "a community like 65001:100");
		if (err)
			return err;
		s = sval(in);
		colon = strchr(s, ':');
		if (!colon || (size_t)(colon - s) >= sizeof(half))
			goto bad;
		memcpy(half, s, (size_t)(colon - s));
		half[colon - s] = '\0';
		if (cfg_parse_int(half, &neg, &hi) || neg || hi > 65535 ||
		    cfg_parse_int(colon + 1, &neg, &lo) || neg || lo > 65535 ||
		    !isdigit((unsigned char)s[0]) ||
		    !isdigit((unsigned char)colon[1]))
			goto bad;
		bgp->communities[i] = (__u32)(hi << 16 | lo);
		continue;
bad:
		return fail(c, in, f, "must be ASN:VALUE, both 0..65535, "
			    "like 65001:100; got %s", cfg_describe(c, in));
	}
	return 0;
}

/* bgp.vips: names of VIPs of this file; no list means every VIP. */
static int parse_bgp_vips(struct ctx *c, yaml_node_t *n,
			  const struct xlb_cfg *cfg, struct xlb_cfg_bgp *bgp)
{
	char f[FIELD_LEN];
	yaml_node_item_t *items = NULL;
	size_t count = 0;
	int err = cfg_get_list(c, n, "bgp.vips", &items, &count);

	if (err || !count)
		return err;
	bgp->vips = calloc(count, sizeof(*bgp->vips));
	if (!bgp->vips)
		return fail_nomem(c);
	bgp->n_vips = count;
	for (size_t i = 0; i < count; i++) {
		yaml_node_t *in = node_of(c, items[i]);

		cfg_field(f, "bgp.vips[%zu]", i);
		err = cfg_get_string(c, in, f, &bgp->vips[i]);
		if (err)
			return err;
		if (!config_vip_find(cfg, bgp->vips[i]))
			return fail(c, in, f, "no VIP named '%s' in vips:",
				    bgp->vips[i]);
		for (size_t j = 0; j < i; j++)
			if (!strcmp(bgp->vips[j], bgp->vips[i]))
				return fail(c, in, f, "'%s' is already "
					    "bgp.vips[%zu]", bgp->vips[i], j);
	}
	return 0;
}

static int parse_bgp(struct ctx *c, yaml_node_t *n, struct xlb_cfg *cfg)
{
	struct xlb_cfg_bgp *bgp = &cfg->bgp;
	struct map m = {};
	struct kv *kv;
	__u32 ms;
	__u8 fam;
	int err;

	bgp->hold_time_s = XLB_CFG_BGP_HOLD_TIME_S;
	bgp->bfd_interval_ms = XLB_CFG_BFD_INTERVAL_MS;
	bgp->bfd_multiplier = XLB_CFG_BFD_MULTIPLIER;
	err = cfg_map_collect(c, n, "bgp", &m);
	if (!err)
		err = cfg_check_keys(c, &m, "bgp", bgp_keys);
	if (err)
		goto out;
	bgp->enabled = true;
	kv = cfg_map_get(&m, "local_as");
	err = kv ? cfg_get_u32(c, kv->val, "bgp.local_as", 1, UINT32_MAX,
			   &bgp->local_as)
		 : fail(c, n, "bgp.local_as", "required: this host's AS "
			"number");
	if (!err && (kv = cfg_map_get(&m, "router_id"))) {
		err = cfg_get_addr(c, kv->val, "bgp.router_id", XLB_FAMILY_V4,
			       &bgp->router_id, &fam);
		bgp->has_router_id = !err;
	}
	if (!err && (kv = cfg_map_get(&m, "hold_time"))) {
		err = cfg_get_duration(c, kv->val, "bgp.hold_time", &ms);
		if (!err && (ms % 1000 || ms < 3000 || ms > 65535000))
			err = fail(c, kv->val, "bgp.hold_time", "must be whole "
				   "seconds, 3s..65535s (BGP's range), got %s",
				   cfg_describe(c, kv->val));
		bgp->hold_time_s = ms / 1000;
	}
	if (!err && (kv = cfg_map_get(&m, "bfd")))
		err = cfg_get_bool(c, kv->val, "bgp.bfd", &bgp->bfd);
	if (!err && (kv = cfg_map_get(&m, "bfd_interval"))) {
		err = cfg_get_duration(c, kv->val, "bgp.bfd_interval",
				   &bgp->bfd_interval_ms);
		if (!err && (bgp->bfd_interval_ms < 10 ||
			     bgp->bfd_interval_ms > 60000))
			err = fail(c, kv->val, "bgp.bfd_interval", "must be "
				   "10ms..60s, got %s",
				   cfg_describe(c, kv->val));
	}
	if (!err && (kv = cfg_map_get(&m, "bfd_multiplier")))
		err = cfg_get_u32(c, kv->val, "bgp.bfd_multiplier", 1, 255,
			      &bgp->bfd_multiplier);
	if (!err && (kv = cfg_map_get(&m, "med"))) {
		err = cfg_get_u32(c, kv->val, "bgp.med", 0, UINT32_MAX,
				  &bgp->med);
		bgp->has_med = !err;
	}
	if (!err && (kv = cfg_map_get(&m, "communities")))
		err = parse_communities(c, kv->val, bgp);
	if (!err && (kv = cfg_map_get(&m, "vips")))
		err = parse_bgp_vips(c, kv->val, cfg, bgp);
	if (!err) {
		kv = cfg_map_get(&m, "neighbors");
		err = kv ? parse_neighbors(c, kv->val, bgp)
			 : fail(c, n, "bgp.neighbors", "required: the routers "
				"to announce to");
	}
	/* The run directory holds BIRD's control socket: a socket path
	 * must fit sun_path with "/bird.ctl" after it. */
	if (!err && (kv = cfg_map_get(&m, "run_dir")))
		err = cfg_get_path(c, kv->val, "bgp.run_dir",
			       sizeof(((struct sockaddr_un *)0)->sun_path) - 10,
			       &bgp->run_dir);
	if (!err && (kv = cfg_map_get(&m, "bird")))
		err = cfg_get_path(c, kv->val, "bgp.bird", PATH_MAX,
				   &bgp->bird);
	if (!err)
		err = cfg_set_default(c, &bgp->run_dir,
				      XLB_CFG_DEFAULT_BGP_RUN_DIR);
	if (!err)
		err = cfg_set_default(c, &bgp->bird, XLB_CFG_DEFAULT_BIRD);
out:
	cfg_map_free(&m);
	return err;
}

static int parse_root(struct ctx *c, yaml_node_t *root, struct xlb_cfg *cfg)
{
	struct map m = {};
	unsigned long long u = 0;
	unsigned int e = 0;
	struct kv *kv;
	int err;

	if (root->type != YAML_MAPPING_NODE) {
		err = fail(c, root, "", "the config must be a mapping of keys "
			   "(interfaces:, vips:, ...), got %s",
			   cfg_describe(c, root));
		goto out;
	}
	err = cfg_map_collect(c, root, "", &m);
	if (!err)
		err = cfg_check_keys(c, &m, "", top_keys);
	if (err)
		goto out;
	cfg->flow_table_size = XLB_DEFAULT_FLOW_ENTRIES;

	kv = cfg_map_get(&m, "interfaces");
	err = kv ? parse_interfaces(c, kv->val, cfg)
		 : fail(c, root, "interfaces", "required: the devices to "
			"attach to, e.g. [eth0]");
	if (!err && (kv = cfg_map_get(&m, "xdp_mode"))) {
		err = cfg_get_enum(c, kv->val, "xdp_mode", xdp_mode_names,
			       ARRAY_SIZE(xdp_mode_names), &e);
		if (!err)
			err = cfg_set_default(c, &cfg->xdp_mode,
					      xdp_mode_names[e]);
	}
	if (!err && (kv = cfg_map_get(&m, "control_socket"))) {
		err = cfg_get_string(c, kv->val, "control_socket",
				 &cfg->control_socket);
		if (!err && (cfg->control_socket[0] != '/' ||
			     strlen(cfg->control_socket) >=
				     sizeof(((struct sockaddr_un *)0)->sun_path)))
			err = fail(c, kv->val, "control_socket",
				   "must be an absolute path shorter than "
				   "%zu bytes, got %s",
				   sizeof(((struct sockaddr_un *)0)->sun_path),
				   cfg_describe(c, kv->val));
	}
	if (!err && (kv = cfg_map_get(&m, "metrics_listen"))) {
		err = cfg_get_string(c, kv->val, "metrics_listen",
				 &cfg->metrics_listen);
		if (!err && cfg->metrics_listen[0])	/* "" = no metrics */
			err = parse_listen(c, kv->val, "metrics_listen", cfg);
	}
	if (!err && (kv = cfg_map_get(&m, "flow_table_size")))
		err = cfg_get_u32(c, kv->val, "flow_table_size",
			      MIN_FLOW_TABLE_SIZE, UINT32_MAX,
			      &cfg->flow_table_size);
	if (!err && (kv = cfg_map_get(&m, "hash_seed"))) {
		err = cfg_get_uint(c, kv->val, "hash_seed", 0, UINT32_MAX, &u);
		cfg->hash_seed = (__u32)u;
	}
	if (!err && (kv = cfg_map_get(&m, "log_level"))) {
		err = cfg_get_enum(c, kv->val, "log_level", log_level_names,
			       ARRAY_SIZE(log_level_names), &e);
		if (e == 3)
			e = 0;	/* "warning" is "warn" */
		if (!err)
			err = cfg_set_default(c, &cfg->log_level,
					  log_level_names[e]);
	}
	if (!err && (kv = cfg_map_get(&m, "gateway_mac"))) {
		err = cfg_want_scalar(c, kv->val, "gateway_mac",
				      "a MAC address");
		if (!err)
			err = parse_mac(c, kv->val, "gateway_mac",
					cfg->gateway_mac);
		cfg->has_gateway_mac = !err;
	}
	if (!err && (kv = cfg_map_get(&m, "encap_source4"))) {
		__u8 fam;

		err = cfg_get_addr(c, kv->val, "encap_source4", XLB_FAMILY_V4,
			       &cfg->encap_source4, &fam);
		cfg->has_encap_source4 = !err;
	}
	if (!err && (kv = cfg_map_get(&m, "encap_source6"))) {
		__u8 fam;

		err = cfg_get_addr(c, kv->val, "encap_source6", XLB_FAMILY_V6,
			       &cfg->encap_source6, &fam);
		cfg->has_encap_source6 = !err;
	}
	if (!err && (kv = cfg_map_get(&m, "zone"))) {
		err = cfg_get_zone(c, kv->val, "zone", &cfg->zone);
		c->zone = cfg->zone;
	}
	if (!err && (kv = cfg_map_get(&m, "vips")))
		err = cfg_parse_vips(c, kv->val, "vips", cfg);
	if (!err && (kv = cfg_map_get(&m, "bgp")) && !cfg_is_null(kv->val))
		err = parse_bgp(c, kv->val, cfg);
	if (err)
		goto out;
	err = cfg_set_default(c, &cfg->xdp_mode, "auto");
	if (!err)
		err = cfg_set_default(c, &cfg->control_socket,
				  XLB_CFG_DEFAULT_CONTROL_SOCKET);
	if (!err)
		err = cfg_set_default(c, &cfg->log_level, "info");
	if (!err && !cfg->metrics_listen) {
		err = cfg_set_default(c, &cfg->metrics_listen,
				  XLB_CFG_DEFAULT_METRICS_LISTEN);
		cfg->metrics_family = XLB_FAMILY_V4;
		cfg->metrics_addr.v4 = htonl(INADDR_LOOPBACK);
		cfg->metrics_port = 9469;
	}
out:
	cfg_map_free(&m);
	return err;
}

/* ---- entry points ---- */

static int yaml_fail(struct ctx *c, const yaml_parser_t *p, const char *buf,
		     size_t len)
{
	/* A scanner's context ("while scanning a simple key") marks the
	 * line at fault; a parser's context may start far above it. */
	const yaml_mark_t *mark = p->error == YAML_SCANNER_ERROR && p->context
					  ? &p->context_mark
					  : &p->problem_mark;
	unsigned long line = (unsigned long)mark->line + 1;

	if (p->error == YAML_MEMORY_ERROR)
		return fail_nomem(c);
	/* The reader (encoding, control characters) only knows the offset. */
	if (p->error == YAML_READER_ERROR) {
		line = 1;
		for (size_t i = 0; i < p->problem_offset && i < len; i++)
			line += buf[i] == '\n';
	}
	if (c->err && c->errlen)
		snprintf(c->err, c->errlen, "%s:%lu: YAML syntax: %s%s%s",
			 c->name, line,
			 p->context ? p->context : "", p->context ? ", " : "",
			 p->problem ? p->problem : "parse error");
	return -EINVAL;
}

static int parse_buf(const char *buf, size_t len, const char *name,
		     struct xlb_cfg **out, char *err, size_t errlen)
{
	struct ctx c = { .name = name, .err = err, .errlen = errlen };
	yaml_document_t doc, extra;
	struct xlb_cfg *cfg = NULL;
	yaml_parser_t parser;
	yaml_node_t *root;
	int ret;

	if (!yaml_parser_initialize(&parser))
		return fail_nomem(&c);
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	if (!yaml_parser_load(&parser, &doc)) {
		ret = yaml_fail(&c, &parser, buf, len);
		yaml_parser_delete(&parser);
		return ret;
	}
	c.doc = &doc;
	root = yaml_document_get_root_node(&doc);
	if (!root) {
		ret = fail(&c, NULL, "", "the config is empty; it needs at "
			   "least interfaces:");
		goto out;
	}
	/* One document only: a second one is most likely a paste error. */
	if (!yaml_parser_load(&parser, &extra)) {
		ret = yaml_fail(&c, &parser, buf, len);
		goto out;
	}
	if (yaml_document_get_root_node(&extra)) {
		ret = fail(&c, yaml_document_get_root_node(&extra), "",
			   "a second YAML document; the config is one");
		yaml_document_delete(&extra);
		goto out;
	}
	yaml_document_delete(&extra);

	cfg = calloc(1, sizeof(*cfg));
	if (!cfg || !(cfg->source = strdup(name))) {
		ret = fail_nomem(&c);
		goto out;
	}
	ret = parse_root(&c, root, cfg);
	if (!ret) {
		*out = cfg;
		cfg = NULL;
		if (err && errlen)
			err[0] = '\0';
	}
out:
	config_free(cfg);
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	return ret;
}

int config_parse_string(const char *yaml, const char *name,
			struct xlb_cfg **out, char *err, size_t errlen)
{
	return parse_buf(yaml, strlen(yaml), name ? name : "<string>", out,
			 err, errlen);
}

int config_load(const char *path, struct xlb_cfg **out, char *err,
		size_t errlen)
{
	size_t len = 0, cap = 0;
	char *buf = NULL, *nb;
	ssize_t n;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		goto sys_err;
	for (;;) {
		if (cap - len < 4096) {
			cap = cap ? 2 * cap : 16384;
			nb = realloc(buf, cap);
			if (!nb) {
				errno = ENOMEM;
				goto sys_err;
			}
			buf = nb;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto sys_err;
		if (!n)
			break;
		len += (size_t)n;
	}
	close(fd);
	ret = parse_buf(buf, len, path, out, err, errlen);
	free(buf);
	return ret;
sys_err:
	ret = -errno;
	if (err && errlen)
		snprintf(err, errlen, "%s: cannot read: %s", path,
			 strerror(errno));
	if (fd >= 0)
		close(fd);
	free(buf);
	return ret;
}

void config_free(struct xlb_cfg *cfg)
{
	if (!cfg)
		return;
	for (size_t i = 0; i < cfg->n_interfaces; i++)
		free(cfg->interfaces[i]);
	free(cfg->interfaces);
	cfg_vips_free(cfg);
	for (size_t i = 0; i < cfg->bgp.n_neighbors; i++)
		free(cfg->bgp.neighbors[i].password);
	free(cfg->bgp.neighbors);
	for (size_t i = 0; i < cfg->bgp.n_vips; i++)
		free(cfg->bgp.vips[i]);
	free(cfg->bgp.vips);
	free(cfg->bgp.communities);
	free(cfg->bgp.bird);
	free(cfg->bgp.run_dir);
	free(cfg->source);
	free(cfg->xdp_mode);
	free(cfg->control_socket);
	free(cfg->metrics_listen);
	free(cfg->log_level);
	free(cfg->zone);
	free(cfg);
}

/* ---- helpers for the agent ---- */

bool config_bgp_announces(const struct xlb_cfg *cfg, const char *vip_name)
{
	if (!cfg->bgp.enabled)
		return false;
	if (!cfg->bgp.n_vips)
		return true;
	for (size_t i = 0; i < cfg->bgp.n_vips; i++)
		if (!strcmp(cfg->bgp.vips[i], vip_name))
			return true;
	return false;
}

void config_dp_settings(const struct xlb_cfg *cfg, struct xlb_config *dp)
{
	dp->hash_seed = cfg->hash_seed;
	memset(dp->gw_mac, 0, sizeof(dp->gw_mac));
	if (cfg->has_gateway_mac)
		memcpy(dp->gw_mac, cfg->gateway_mac, sizeof(dp->gw_mac));
	if (cfg->has_encap_source4)
		dp->src4 = cfg->encap_source4.v4;
	if (cfg->has_encap_source6)
		memcpy(dp->src6, cfg->encap_source6.v6, sizeof(dp->src6));
}
