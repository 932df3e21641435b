// SPDX-License-Identifier: GPL-2.0
/* The config file: YAML loaded with libyaml's document API (so every node
 * knows its line), checked against the schema and turned into struct
 * xlb_cfg; the YAML walk is in config_yaml.c, typed values in
 * config_get.c, vips: in config_vip.c, health_check: in config_hc.c,
 * bgp: in config_bgp.c. Every error is one line: "FILE:LINE: FIELD:
 * message". Pure. */
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
	if (!err && (kv = cfg_map_get(&m, "bgp")))
		err = cfg_parse_bgp(c, kv->val, "bgp", cfg);
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
	cfg_bgp_free(&cfg->bgp);
	free(cfg->source);
	free(cfg->xdp_mode);
	free(cfg->control_socket);
	free(cfg->metrics_listen);
	free(cfg->log_level);
	free(cfg->zone);
	free(cfg);
}

/* ---- helpers for the agent ---- */

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
