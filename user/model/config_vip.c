// SPDX-License-Identifier: GPL-2.0
/* The vips: section: each VIP (address, scheduling, dynamic weights, its
 * health check) and its backends, validated against each other; and the
 * helpers the agent reads VIPs with. */
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/addr.h"
#include "model/config_priv.h"
#include "model/maglev.h"

#define VIP(f) offsetof(struct xlb_cfg_vip, f)
#define BE(f) offsetof(struct xlb_cfg_backend, f)

static const char *const forwarding_names[] = { [CFG_FWD_IPIP] = "ipip" };
static const char *const affinity_names[] = {
	[CFG_AFFINITY_NONE] = "none", [CFG_AFFINITY_SOURCE_IP] = "source-ip",
};
static const char *const all_down_names[] = {
	[CFG_ALL_DOWN_DROP] = "drop", [CFG_ALL_DOWN_PASS] = "pass",
};
static const char *const weighting_names[] = {
	[CFG_WEIGHTING_DYNAMIC] = "dynamic", [CFG_WEIGHTING_STATIC] = "static",
	[CFG_WEIGHTING_LEAST_CONN] = "least_connections",
};
static const char *const protocol_names[] = { "tcp", "udp" };

const char *config_forwarding_name(enum cfg_forwarding f)
{
	return name_of(forwarding_names, ARRAY_SIZE(forwarding_names), f);
}

const char *config_affinity_name(enum cfg_affinity a)
{
	return name_of(affinity_names, ARRAY_SIZE(affinity_names), a);
}

const char *config_when_all_down_name(enum cfg_when_all_down w)
{
	return name_of(all_down_names, ARRAY_SIZE(all_down_names), w);
}

const char *config_weighting_name(enum cfg_weighting w)
{
	return name_of(weighting_names, ARRAY_SIZE(weighting_names), w);
}

/* The keys a VIP, its slow_start and a backend may hold (unknown ones are
 * matched against them, in this order, for "did you mean"). */
static const char *const vip_keys[] = {
	"name", "address", "port", "protocol", "forwarding", "affinity",
	"when_all_down", "table_size", "weighting", "weight_floor",
	"weight_cap", "degrade_latency", "degrade_errors", "degrade_recovery",
	"slow_start", "rebuild_threshold", "min_rebuild_interval",
	"prefer_zone", "zone_min_healthy",
	"health_check", "backends", NULL,
};

static const char *const slow_start_keys[] = { "initial", "window", NULL };

static const char *const backend_keys[] = {
	"address", "weight", "port", "health_check", "zone", NULL,
};

/* ---- backends ---- */

static int backend_address(struct ctx *c, yaml_node_t *n, const char *field,
			   void *obj)
{
	struct xlb_cfg_backend *b = obj;

	return cfg_get_addr(c, n, field, 0, &b->addr, &b->family);
}

static int backend_hc(struct ctx *c, yaml_node_t *n, const char *field,
		      void *obj)
{
	struct xlb_cfg_backend *b = obj;

	b->hc_override = true;
	return cfg_parse_hc(c, n, field, &b->health_check);
}

static const struct cfg_key backend_table[] = {
	FN_KEY("address", backend_address, .required = "required"),
	KEY("weight", KEY_U32, BE(weight), .max = XLB_CFG_MAX_WEIGHT),
	KEY("port", KEY_U16, BE(port), .min = 1, .max = 65535),
	KEY("zone", KEY_ZONE, BE(zone)),
	FN_KEY("health_check", backend_hc),
};

/* Port to probe: health_check.port (the backend's, then the VIP's), else
 * the backend's port, else the VIP's. */
static int backend_hc_port(struct ctx *c, yaml_node_t *n, const char *base,
			   const struct xlb_cfg_vip *vip,
			   struct xlb_cfg_backend *b)
{
	char f[FIELD_LEN];

	if (!(b->health_check.set & CFG_HC_SET_PORT))
		b->health_check.port = b->port ? b->port : vip->port;
	if (b->health_check.port || b->health_check.type == CFG_HC_NONE)
		return 0;
	cfg_join(f, base, "health_check.port");
	return fail(c, n, f, "required: the VIP serves every port (port 0), "
		    "so give the port to probe (or the backend's port, or "
		    "health_check type none)");
}

static int backend_item(struct ctx *c, yaml_node_t *n, const char *field,
			size_t i, void *obj)
{
	const struct xlb_cfg_vip *vip = obj;
	struct xlb_cfg_backend *b = &vip->backends[i];
	char f[FIELD_LEN], a[XLB_ADDR_STRLEN];
	int err;

	b->line = (unsigned int)line_of(n);
	b->weight = XLB_CFG_DEFAULT_WEIGHT;
	err = cfg_hc_copy(c, &b->health_check, &vip->health_check);
	if (!err)
		err = cfg_get_section(c, n, field, backend_keys, backend_table,
				      ARRAY_SIZE(backend_table), b);
	if (!err)
		err = backend_hc_port(c, n, field, vip, b);
	for (size_t j = 0; !err && j < i; j++) {
		const struct xlb_cfg_backend *o = &vip->backends[j];

		if (!addr_eq(&b->addr, b->family, &o->addr, o->family))
			continue;
		cfg_join(f, field, "address");
		err = fail(c, n, f, "%s is already backends[%zu] (line %u)",
			   xlb_addr_str(&b->addr, b->family, a, sizeof(a)), j,
			   o->line);
	}
	return err;
}

/* Backends count against the data path's room across every VIP. */
static int backends_check(struct ctx *c, yaml_node_t *n, const char *field,
			  size_t count)
{
	c->backends += count;
	if (c->backends > XLB_MAX_BACKENDS - 1)
		return fail(c, n, field, "too many backends: the data path "
			    "holds %d in all", XLB_MAX_BACKENDS - 1);
	return 0;
}

static const struct cfg_list backends_list = {
	sizeof(struct xlb_cfg_backend), NULL, backends_check, backend_item,
};

/* ---- a VIP: what it is ---- */

static int vip_address(struct ctx *c, yaml_node_t *n, const char *field,
		       void *obj)
{
	struct xlb_cfg_vip *v = obj;

	return cfg_get_addr(c, n, field, 0, &v->addr, &v->family);
}

static int vip_protocol(struct ctx *c, yaml_node_t *n, const char *field,
			void *obj)
{
	struct xlb_cfg_vip *v = obj;
	unsigned int e = 0;
	int err = cfg_get_enum(c, n, field, protocol_names,
			       ARRAY_SIZE(protocol_names), &e);

	v->protocol = e ? IPPROTO_UDP : IPPROTO_TCP;
	return err;
}

static int vip_check_name(struct ctx *c, yaml_node_t *n, const char *field,
			  void *obj)
{
	const char *name = ((struct xlb_cfg_vip *)obj)->name;

	if (!*name || strlen(name) > XLB_CFG_NAME_MAX ||
	    cfg_has_space_or_ctl(name))
		return fail(c, n, field, "must be 1..%d characters without "
			    "spaces, got %s", XLB_CFG_NAME_MAX,
			    cfg_describe(c, n));
	return 0;
}

/* Read first: the default name is made of them. */
static const struct cfg_key vip_id_table[] = {
	FN_KEY("address", vip_address, .required = "required"),
	KEY("port", KEY_U16, VIP(port), .max = 65535,
	    .required = "required (0 = every port)"),
	FN_KEY("protocol", vip_protocol, .required = "required (tcp or udp)"),
	KEY("name", KEY_STR, VIP(name), .fn = vip_check_name),
};

/* "ADDRESS:PORT/PROTOCOL", "[ADDRESS]:PORT/PROTOCOL" for IPv6. */
static int default_name(struct ctx *c, struct xlb_cfg_vip *v)
{
	char a[XLB_ADDR_STRLEN];
	const char *proto = v->protocol == IPPROTO_UDP ? "udp" : "tcp";
	int len;

	xlb_addr_str(&v->addr, v->family, a, sizeof(a));
	len = v->family == XLB_FAMILY_V6
		      ? asprintf(&v->name, "[%s]:%u/%s", a, v->port, proto)
		      : asprintf(&v->name, "%s:%u/%s", a, v->port, proto);
	if (len < 0) {
		v->name = NULL;
		return fail_nomem(c);
	}
	return 0;
}

/* ---- a VIP: how it schedules ---- */

static int vip_check_table_size(struct ctx *c, yaml_node_t *n,
				const char *field, void *obj)
{
	const struct xlb_cfg_vip *v = obj;

	if (!maglev_is_prime(v->table_size))
		return fail(c, n, field, "must be a prime number (e.g. 65537, "
			    "131071, 1048573), got %u", v->table_size);
	return 0;
}

static int vip_weight_cap(struct ctx *c, yaml_node_t *n, const char *field,
			  void *obj)
{
	struct xlb_cfg_vip *v = obj;

	return cfg_get_decimal(c, n, field, 1, WEIGHTS_MAX_CAP,
			       &v->weights.cap);
}

static int vip_degrade_latency(struct ctx *c, yaml_node_t *n,
			       const char *field, void *obj)
{
	struct xlb_cfg_vip *v = obj;
	__u32 ms;
	int err = cfg_get_duration(c, n, field, &ms);

	if (!err)
		v->weights.degrade_latency_ns = (__u64)ms * 1000000;
	return err;
}

static const struct cfg_key slow_start_table[] = {
	KEY("initial", KEY_SHARE, VIP(weights.slow_start_initial), .min = 1),
	KEY("window", KEY_MS, VIP(weights.slow_start_window_ms)),
};

/* slow_start: { initial: 10%, window: 60s }, or on/off. */
static int vip_slow_start(struct ctx *c, yaml_node_t *n, const char *field,
			  void *obj)
{
	struct xlb_cfg_vip *v = obj;
	bool on;

	if (n->type != YAML_SCALAR_NODE)
		return cfg_get_section(c, n, field, slow_start_keys,
				       slow_start_table,
				       ARRAY_SIZE(slow_start_table), v);
	if (cfg_bool_of(n, &on))
		return fail(c, n, field, "must be a mapping like "
			    "{ initial: 10%%, window: 60s }, or off; got %s",
			    cfg_describe(c, n));
	if (!on)
		v->weights.slow_start_window_ms = 0;
	return 0;
}

static int vip_check_prefer_zone(struct ctx *c, yaml_node_t *n,
				 const char *field, void *obj)
{
	const struct xlb_cfg_vip *v = obj;

	if (v->weights.prefer_zone && !c->zone)
		return fail(c, n, field, "needs the balancer's own zone: set "
			    "the top-level key zone: NAME");
	return 0;
}

static int vip_hc(struct ctx *c, yaml_node_t *n, const char *field,
		  void *obj)
{
	struct xlb_cfg_vip *v = obj;

	return cfg_parse_hc(c, n, field, &v->health_check);
}

/* The rest of a VIP's keys but its backends, in the order they are read;
 * weight_floor to zone_min_healthy go to the weights' parameters. */
static const struct cfg_key vip_table[] = {
	KEY("forwarding", KEY_ENUM, VIP(forwarding),
	    KEY_NAMES(forwarding_names)),
	KEY("affinity", KEY_ENUM, VIP(affinity), KEY_NAMES(affinity_names)),
	KEY("when_all_down", KEY_ENUM, VIP(when_all_down),
	    KEY_NAMES(all_down_names)),
	KEY("table_size", KEY_U32, VIP(table_size), .min = 2,
	    .max = XLB_MAX_TABLE_SIZE, .fn = vip_check_table_size),
	KEY("weighting", KEY_ENUM, VIP(weighting), KEY_NAMES(weighting_names)),
	KEY("weight_floor", KEY_SHARE, VIP(weights.floor)),
	FN_KEY("weight_cap", vip_weight_cap),
	FN_KEY("degrade_latency", vip_degrade_latency),
	KEY("degrade_errors", KEY_SHARE, VIP(weights.degrade_errors)),
	KEY("degrade_recovery", KEY_MS, VIP(weights.degrade_recovery_ms)),
	FN_KEY("slow_start", vip_slow_start),
	KEY("rebuild_threshold", KEY_SHARE, VIP(weights.rebuild_threshold)),
	KEY("min_rebuild_interval", KEY_MS,
	    VIP(weights.min_rebuild_interval_ms)),
	KEY("prefer_zone", KEY_BOOL, VIP(weights.prefer_zone),
	    .fn = vip_check_prefer_zone),
	KEY("zone_min_healthy", KEY_SHARE, VIP(weights.zone_min_healthy)),
	FN_KEY("health_check", vip_hc),
};

/* What follows from the keys: the weights' mode, the port to probe. */
static void vip_settle(struct xlb_cfg_vip *v)
{
	v->weights.mode = v->weighting == CFG_WEIGHTING_STATIC
				  ? WEIGHTS_STATIC
			  : v->weighting == CFG_WEIGHTING_LEAST_CONN
				  ? WEIGHTS_LEAST_CONN
				  : WEIGHTS_DYNAMIC;
	if (!(v->health_check.set & CFG_HC_SET_PORT))
		v->health_check.port = v->port;
}

/* ---- a VIP: checks across its keys ---- */

/* prefer_zone with backends none of which is in the local zone is a typo
 * in a zone name, most likely: nothing would be preferred. */
static int check_prefer_zone(struct ctx *c, const struct map *m,
			     const char *base, const struct xlb_cfg_vip *v)
{
	char f[FIELD_LEN], seen[128] = "";
	struct kv *kv = cfg_map_get(m, "prefer_zone");
	size_t len = 0;

	if (!v->weights.prefer_zone || !v->n_backends)
		return 0;
	for (size_t i = 0; i < v->n_backends; i++) {
		const char *z = v->backends[i].zone;

		if (z && !strcmp(z, c->zone))
			return 0;
		if (z && len < sizeof(seen) && !strstr(seen, z))
			len += (size_t)snprintf(seen + len, sizeof(seen) - len,
						"%s%s", len ? ", " : "", z);
	}
	cfg_join(f, base, "prefer_zone");
	return fail(c, kv->val, f, "no backend is in zone '%s' (the "
		    "balancer's); backends are in %s", c->zone,
		    len ? seen : "no zone");
}

static int check_table_size(struct ctx *c, yaml_node_t *n, const struct map *m,
			    const char *base, const struct xlb_cfg_vip *v)
{
	char f[FIELD_LEN];
	struct kv *kv = cfg_map_get(m, "table_size");

	if (v->n_backends < v->table_size)
		return 0;
	cfg_join(f, base, "table_size");
	return fail(c, kv ? kv->val : n, f, "%u slots cannot hold %zu "
		    "backends; Maglev wants about 100 slots per backend",
		    v->table_size, v->n_backends);
}

static int parse_vip(struct ctx *c, yaml_node_t *n, const char *base,
		     struct xlb_cfg_vip *v)
{
	char f[FIELD_LEN];
	struct map m = {};
	struct kv *kv;
	int err;

	v->line = (unsigned int)line_of(n);
	v->table_size = XLB_DEFAULT_TABLE_SIZE;
	weights_params_init(&v->weights);
	err = cfg_hc_defaults(c, &v->health_check);
	if (!err)
		err = cfg_map_collect(c, n, base, &m);
	if (!err)
		err = cfg_check_keys(c, &m, base, vip_keys);
	if (!err)
		err = cfg_get_keys(c, n, base, &m, vip_id_table,
				   ARRAY_SIZE(vip_id_table), v);
	if (!err && !v->name)
		err = default_name(c, v);
	if (!err)
		err = cfg_get_keys(c, n, base, &m, vip_table,
				   ARRAY_SIZE(vip_table), v);
	if (err)
		goto out;
	vip_settle(v);
	cfg_join(f, base, "backends");
	kv = cfg_map_get(&m, "backends");
	if (kv)
		err = cfg_get_array(c, kv->val, f, &backends_list,
				    &v->backends, &v->n_backends, v);
	if (!err)
		err = check_prefer_zone(c, &m, base, v);
	if (!err)
		err = check_table_size(c, n, &m, base, v);
out:
	cfg_map_free(&m);
	return err;
}

/* ---- vips: ---- */

/* A VIP, with a name and an address, port and protocol of its own. */
static int vip_item(struct ctx *c, yaml_node_t *n, const char *field,
		    size_t i, void *obj)
{
	const struct xlb_cfg *cfg = obj;
	struct xlb_cfg_vip *v = &cfg->vips[i];
	char f[FIELD_LEN], a[XLB_ADDR_STRLEN];
	int err = parse_vip(c, n, field, v);

	for (size_t j = 0; !err && j < i; j++) {
		const struct xlb_cfg_vip *o = &cfg->vips[j];

		if (!strcmp(o->name, v->name)) {
			cfg_join(f, field, "name");
			return fail(c, n, f, "'%s' is already the name of "
				    "vips[%zu] (line %u)", v->name, j,
				    o->line);
		}
		if (addr_eq(&o->addr, o->family, &v->addr, v->family) &&
		    o->port == v->port && o->protocol == v->protocol)
			return fail(c, n, field, "%s port %u %s is already "
				    "vips[%zu] '%s' (line %u)",
				    xlb_addr_str(&v->addr, v->family, a,
						 sizeof(a)),
				    v->port,
				    v->protocol == IPPROTO_UDP ? "udp" : "tcp",
				    j, o->name, o->line);
	}
	return err;
}

static int vips_check(struct ctx *c, yaml_node_t *n, const char *field,
		      size_t count)
{
	if (count > XLB_MAX_VIPS)
		return fail(c, n, field, "too many VIPs: %zu, the data path "
			    "holds %d", count, XLB_MAX_VIPS);
	return 0;
}

static const struct cfg_list vips_list = {
	sizeof(struct xlb_cfg_vip), NULL, vips_check, vip_item,
};

int cfg_parse_vips(struct ctx *c, yaml_node_t *n, const char *field,
		   void *obj)
{
	struct xlb_cfg *cfg = obj;

	return cfg_get_array(c, n, field, &vips_list, &cfg->vips,
			     &cfg->n_vips, cfg);
}

void cfg_vips_free(struct xlb_cfg *cfg)
{
	for (size_t i = 0; i < cfg->n_vips; i++) {
		struct xlb_cfg_vip *v = &cfg->vips[i];

		for (size_t j = 0; j < v->n_backends; j++) {
			cfg_hc_free(&v->backends[j].health_check);
			free(v->backends[j].zone);
		}
		free(v->backends);
		cfg_hc_free(&v->health_check);
		free(v->name);
	}
	free(cfg->vips);
}

/* ---- helpers for the agent ---- */

const struct xlb_cfg_vip *config_vip_find(const struct xlb_cfg *cfg,
					  const char *name)
{
	for (size_t i = 0; cfg && name && i < cfg->n_vips; i++)
		if (!strcmp(cfg->vips[i].name, name))
			return &cfg->vips[i];
	return NULL;
}

void config_vip_key(const struct xlb_cfg_vip *vip, struct xlb_vip_key *key)
{
	memset(key, 0, sizeof(*key));
	key->addr = vip->addr;
	key->port = htons(vip->port);
	key->proto = vip->protocol;
	key->family = vip->family;
}

__u32 config_vip_flags(const struct xlb_cfg_vip *vip)
{
	__u32 flags = 0;

	if (vip->affinity == CFG_AFFINITY_SOURCE_IP)
		flags |= XLB_VIP_SRC_AFFINITY;
	if (vip->when_all_down == CFG_ALL_DOWN_PASS)
		flags |= XLB_VIP_PASS_ALL_DOWN;
	return flags;
}
