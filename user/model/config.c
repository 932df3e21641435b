// SPDX-License-Identifier: GPL-2.0
/* The config file: read, loaded as one YAML document with libyaml's
 * document API (so every node knows its line), and its top-level keys;
 * the sections are in config_vip.c, config_hc.c and config_bgp.c. Every
 * error is one line: "FILE:LINE: FIELD: message". Pure. */
#include <ctype.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/addr.h"
#include "core/keyfile.h"
#include "model/config_priv.h"

#define MIN_FLOW_TABLE_SIZE 1024
#define TOP(f) offsetof(struct xlb_cfg, f)

static const char *const xdp_mode_names[] = { "auto", "native", "generic" };
static const char *const log_level_names[] = { "warn", "info", "debug",
					       "warning" };

/* The top-level keys (unknown ones are matched against them, in this
 * order, for "did you mean"). */
static const char *const top_keys[] = {
	"interfaces", "xdp_mode", "control_socket", "metrics_listen",
	"flow_table_size", "hash_seed", "log_level", "gateway_mac",
	"encap_source4", "encap_source6", "vips", "zone", "bgp",
	"hash_secret_file", "icmp_rate", NULL,
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

static int interface_item(struct ctx *c, yaml_node_t *n, const char *field,
			  size_t i, void *obj)
{
	char **ifs = ((struct xlb_cfg *)obj)->interfaces;
	int err = cfg_get_string(c, n, field, &ifs[i]);

	if (err)
		return err;
	if (!ifname_ok(ifs[i]))
		return fail(c, n, field, "not a device name: %s",
			    cfg_describe(c, n));
	for (size_t j = 0; j < i; j++)
		if (!strcmp(ifs[j], ifs[i]))
			return fail(c, n, field, "'%s' is already "
				    "interfaces[%zu]", ifs[i], j);
	return 0;
}

static const struct cfg_list interfaces_list = {
	sizeof(char *), "must name at least one device, e.g. [eth0]", NULL,
	interface_item,
};

static int parse_interfaces(struct ctx *c, yaml_node_t *n, const char *field,
			    void *obj)
{
	struct xlb_cfg *cfg = obj;

	return cfg_get_array(c, n, field, &interfaces_list, &cfg->interfaces,
			     &cfg->n_interfaces, cfg);
}

/* metrics_listen: "127.0.0.1:9469", "[::1]:9469", ":9469" (every
 * address), or "" for no metrics. */
static int parse_listen(struct ctx *c, yaml_node_t *n, const char *field,
			void *obj)
{
	struct xlb_cfg *cfg = obj;
	char host[64];
	const char *s = sval(n), *colon;
	bool bracket = s[0] == '[', neg;
	unsigned long long port;
	size_t hlen;

	if (!*s)
		return 0;
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

static int top_xdp_mode(struct ctx *c, yaml_node_t *n, const char *field,
			void *obj)
{
	struct xlb_cfg *cfg = obj;
	unsigned int e = 0;
	int err = cfg_get_enum(c, n, field, xdp_mode_names,
			       ARRAY_SIZE(xdp_mode_names), &e);

	return err ? err : cfg_set_default(c, &cfg->xdp_mode,
					   xdp_mode_names[e]);
}

static int top_log_level(struct ctx *c, yaml_node_t *n, const char *field,
			 void *obj)
{
	struct xlb_cfg *cfg = obj;
	unsigned int e = 0;
	int err = cfg_get_enum(c, n, field, log_level_names,
			       ARRAY_SIZE(log_level_names), &e);

	if (e == 3)
		e = 0;	/* "warning" is "warn" */
	return err ? err : cfg_set_default(c, &cfg->log_level,
					   log_level_names[e]);
}

static int top_gateway_mac(struct ctx *c, yaml_node_t *n, const char *field,
			   void *obj)
{
	struct xlb_cfg *cfg = obj;
	int err = cfg_want_scalar(c, n, field, "a MAC address");

	if (!err)
		err = parse_mac(c, n, field, cfg->gateway_mac);
	cfg->has_gateway_mac = !err;
	return err;
}

static int top_encap_source4(struct ctx *c, yaml_node_t *n, const char *field,
			     void *obj)
{
	struct xlb_cfg *cfg = obj;

	return cfg_get_has_addr(c, n, field, XLB_FAMILY_V4,
				&cfg->encap_source4, &cfg->has_encap_source4);
}

static int top_encap_source6(struct ctx *c, yaml_node_t *n, const char *field,
			     void *obj)
{
	struct xlb_cfg *cfg = obj;

	return cfg_get_has_addr(c, n, field, XLB_FAMILY_V6,
				&cfg->encap_source6, &cfg->has_encap_source6);
}

/* The balancer's zone, which vips: (read after it) may prefer. */
static int top_zone(struct ctx *c, yaml_node_t *n, const char *field,
		    void *obj)
{
	struct xlb_cfg *cfg = obj;
	int err = cfg_get_zone(c, n, field, &cfg->zone);

	c->zone = cfg->zone;
	return err;
}

/* A rate a second: "1000/s", or the bare number. */
static int top_icmp_rate(struct ctx *c, yaml_node_t *n, const char *field,
			 void *obj)
{
	struct xlb_cfg *cfg = obj;
	int err = cfg_want_scalar(c, n, field, "a rate such as 1000/s");
	const char *s;
	unsigned long long v;
	size_t len;
	char num[32];
	bool neg;

	if (err)
		return err;
	s = sval(n);
	len = strlen(s);
	if (len > 2 && !strcmp(s + len - 2, "/s"))
		len -= 2;
	if (len >= sizeof(num))
		return fail(c, n, field, "must be a rate such as 1000/s, got %s",
			    cfg_describe(c, n));
	memcpy(num, s, len);
	num[len] = '\0';
	err = cfg_parse_int(num, &neg, &v);
	if (err == -EINVAL)
		return fail(c, n, field, "must be a rate such as 1000/s, got %s",
			    cfg_describe(c, n));
	if (err || neg || v < 1 || v > XLB_ICMP_RATE_MAX)
		return fail(c, n, field, "must be %u/s..%u/s, got %s", 1U,
			    XLB_ICMP_RATE_MAX, cfg_describe(c, n));
	cfg->icmp_rate = (__u32)v;
	return 0;
}

/* Read in this order: zone before vips. */
static const struct cfg_key top_table[] = {
	FN_KEY("interfaces", parse_interfaces,
	       .required = "required: the devices to attach to, e.g. [eth0]"),
	FN_KEY("xdp_mode", top_xdp_mode),
	KEY("control_socket", KEY_PATH, TOP(control_socket),
	    .max = SUN_PATH_LEN),
	KEY("metrics_listen", KEY_STR, TOP(metrics_listen), .fn = parse_listen),
	KEY("flow_table_size", KEY_U32, TOP(flow_table_size),
	    .min = MIN_FLOW_TABLE_SIZE, .max = UINT32_MAX),
	KEY("hash_seed", KEY_U32, TOP(hash_seed), .max = UINT32_MAX),
	KEY("hash_secret_file", KEY_PATH, TOP(hash_secret_file),
	    .max = PATH_MAX),
	FN_KEY("icmp_rate", top_icmp_rate),
	FN_KEY("log_level", top_log_level),
	FN_KEY("gateway_mac", top_gateway_mac),
	FN_KEY("encap_source4", top_encap_source4),
	FN_KEY("encap_source6", top_encap_source6),
	FN_KEY("zone", top_zone),
	FN_KEY("vips", cfg_parse_vips),
	FN_KEY("bgp", cfg_parse_bgp),
};

/* The defaults of the keys the file left out. */
static int top_defaults(struct ctx *c, struct xlb_cfg *cfg)
{
	int err = cfg_set_default(c, &cfg->xdp_mode, "auto");

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
	return err;
}

static int parse_root(struct ctx *c, yaml_node_t *root, struct xlb_cfg *cfg)
{
	int err;

	if (root->type != YAML_MAPPING_NODE)
		return fail(c, root, "", "the config must be a mapping of keys "
			    "(interfaces:, vips:, ...), got %s",
			    cfg_describe(c, root));
	cfg->flow_table_size = XLB_DEFAULT_FLOW_ENTRIES;
	cfg->icmp_rate = XLB_ICMP_RATE_DEFAULT;
	err = cfg_get_section(c, root, "", top_keys, top_table,
			      ARRAY_SIZE(top_table), cfg);
	return err ? err : top_defaults(c, cfg);
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

/* One document only: a second one is most likely a paste error. */
static int check_one_document(struct ctx *c, yaml_parser_t *p,
			      const char *buf, size_t len)
{
	yaml_document_t extra;
	yaml_node_t *root;
	int ret = 0;

	if (!yaml_parser_load(p, &extra))
		return yaml_fail(c, p, buf, len);
	root = yaml_document_get_root_node(&extra);
	if (root)
		ret = fail(c, root, "", "a second YAML document; the config is "
			   "one");
	yaml_document_delete(&extra);
	return ret;
}

static int parse_buf(const char *buf, size_t len, const char *name,
		     struct xlb_cfg **out, char *err, size_t errlen)
{
	struct ctx c = { .name = name, .err = err, .errlen = errlen };
	struct xlb_cfg *cfg = NULL;
	yaml_document_t doc;
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
	ret = check_one_document(&c, &parser, buf, len);
	if (ret)
		goto out;
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
	free(cfg->hash_secret_file);
	explicit_bzero(&cfg->hash_key, sizeof(cfg->hash_key));
	free(cfg);
}

int config_read_hash_key(struct xlb_cfg *cfg, char *err, size_t errlen)
{
	__u8 key[16];
	int ret;

	memset(&cfg->hash_key, 0, sizeof(cfg->hash_key));
	cfg->hash_key.alg = XLB_HASH_JHASH;
	if (!cfg->hash_secret_file)
		return 0;
	ret = keyfile_read(cfg->hash_secret_file, key, sizeof(key), err,
			   errlen);
	if (ret)
		return ret;
	for (int i = 7; i >= 0; i--) {	/* little-endian words */
		cfg->hash_key.k0 = cfg->hash_key.k0 << 8 | key[i];
		cfg->hash_key.k1 = cfg->hash_key.k1 << 8 | key[8 + i];
	}
	cfg->hash_key.alg = XLB_HASH_SIPHASH13;
	explicit_bzero(key, sizeof(key));
	return 0;
}

void config_dp_settings(const struct xlb_cfg *cfg, struct xlb_config *dp)
{
	dp->hash_seed = cfg->hash_seed;
	dp->icmp_rate = cfg->icmp_rate;
	memset(dp->gw_mac, 0, sizeof(dp->gw_mac));
	if (cfg->has_gateway_mac)
		memcpy(dp->gw_mac, cfg->gateway_mac, sizeof(dp->gw_mac));
	if (cfg->has_encap_source4)
		dp->src4 = cfg->encap_source4.v4;
	if (cfg->has_encap_source6)
		memcpy(dp->src6, cfg->encap_source6.v6, sizeof(dp->src6));
}
