// SPDX-License-Identifier: GPL-2.0
/* The bgp: section: this host's AS and session settings, the routers to
 * announce the VIPs to, which VIPs, and with what attributes. */
#include <ctype.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/addr.h"
#include "model/config_priv.h"

#define BGP(f) offsetof(struct xlb_cfg, bgp.f)
#define NB(f) offsetof(struct xlb_cfg_bgp_neighbor, f)

/* The keys bgp: and each of its neighbors may hold (unknown ones are
 * matched against them, in this order, for "did you mean"). */
static const char *const bgp_keys[] = {
	"local_as", "router_id", "hold_time", "bfd", "bfd_interval",
	"bfd_multiplier", "med", "communities", "vips", "neighbors", "bird",
	"run_dir", NULL,
};

static const char *const bgp_neighbor_keys[] = {
	"address", "as", "port", "password", NULL,
};

/* ---- neighbors ---- */

static int neighbor_address(struct ctx *c, yaml_node_t *n, const char *field,
			    void *obj)
{
	struct xlb_cfg_bgp_neighbor *nb = obj;

	return cfg_get_addr(c, n, field, 0, &nb->addr, &nb->family);
}

/* A secret BIRD's config holds in double quotes. */
static int neighbor_check_password(struct ctx *c, yaml_node_t *n,
				   const char *field, void *obj)
{
	const char *pw = ((struct xlb_cfg_bgp_neighbor *)obj)->password;

	if (strpbrk(pw, "\"\\") || cfg_has_space_or_ctl(pw) || !pw[0] ||
	    strlen(pw) > 80)
		return fail(c, n, field, "must be 1..80 characters without "
			    "spaces, quotes or backslashes");
	return 0;
}

static const struct cfg_key neighbor_table[] = {
	FN_KEY("address", neighbor_address,
	       .required = "required: the router's address"),
	KEY("as", KEY_U32, NB(as), .min = 1, .max = UINT32_MAX,
	    .required = "required: the router's AS number"),
	KEY("port", KEY_U16, NB(port), .min = 1, .max = 65535),
	KEY("password", KEY_STR, NB(password), .fn = neighbor_check_password),
};

static int neighbor_item(struct ctx *c, yaml_node_t *n, const char *field,
			 size_t i, void *obj)
{
	struct xlb_cfg_bgp *bgp = &((struct xlb_cfg *)obj)->bgp;
	struct xlb_cfg_bgp_neighbor *nbs = bgp->neighbors, *nb = &nbs[i];
	char a[XLB_ADDR_STRLEN];
	int err;

	nb->line = (unsigned int)line_of(n);
	nb->port = 179;
	err = cfg_get_section(c, n, field, bgp_neighbor_keys, neighbor_table,
			      ARRAY_SIZE(neighbor_table), nb);
	for (size_t j = 0; !err && j < i; j++)
		if (addr_eq(&nb->addr, nb->family, &nbs[j].addr,
			    nbs[j].family))
			err = fail(c, n, field, "%s is already "
				   "bgp.neighbors[%zu] (line %u)",
				   xlb_addr_str(&nb->addr, nb->family, a,
						sizeof(a)),
				   j, nbs[j].line);
	return err;
}

static const struct cfg_list neighbors_list = {
	sizeof(struct xlb_cfg_bgp_neighbor),
	"must name at least one router, e.g. [{ address: 192.0.2.1, as: "
	"65000 }]",
	NULL, neighbor_item,
};

static int parse_neighbors(struct ctx *c, yaml_node_t *n, const char *field,
			   void *obj)
{
	struct xlb_cfg_bgp *bgp = &((struct xlb_cfg *)obj)->bgp;

	return cfg_get_array(c, n, field, &neighbors_list, &bgp->neighbors,
			     &bgp->n_neighbors, obj);
}

/* ---- announcements ---- */

/* "65001:100": a standard community, both halves 0..65535. */
static int community_item(struct ctx *c, yaml_node_t *n, const char *field,
			  size_t i, void *obj)
{
	struct xlb_cfg_bgp *bgp = &((struct xlb_cfg *)obj)->bgp;
	unsigned long long hi, lo;
	const char *s, *colon;
	char half[16];
	bool neg;
	int err = cfg_want_scalar(c, n, field, "a community like 65001:100");

	if (err)
		return err;
	s = sval(n);
	colon = strchr(s, ':');
	if (!colon || (size_t)(colon - s) >= sizeof(half))
		goto bad;
	memcpy(half, s, (size_t)(colon - s));
	half[colon - s] = '\0';
	if (cfg_parse_int(half, &neg, &hi) || neg || hi > 65535 ||
	    cfg_parse_int(colon + 1, &neg, &lo) || neg || lo > 65535 ||
	    !isdigit((unsigned char)s[0]) || !isdigit((unsigned char)colon[1]))
		goto bad;
	bgp->communities[i] = (__u32)(hi << 16 | lo);
	return 0;
bad:
	return fail(c, n, field, "must be ASN:VALUE, both 0..65535, like "
		    "65001:100; got %s", cfg_describe(c, n));
}

static const struct cfg_list communities_list = {
	sizeof(__u32), NULL, NULL, community_item,
};

static int parse_communities(struct ctx *c, yaml_node_t *n, const char *field,
			     void *obj)
{
	struct xlb_cfg_bgp *bgp = &((struct xlb_cfg *)obj)->bgp;

	return cfg_get_array(c, n, field, &communities_list, &bgp->communities,
			     &bgp->n_communities, obj);
}

/* A name of a VIP of this file, once. */
static int bgp_vip_item(struct ctx *c, yaml_node_t *n, const char *field,
			size_t i, void *obj)
{
	const struct xlb_cfg *cfg = obj;
	char **vips = cfg->bgp.vips;
	int err = cfg_get_string(c, n, field, &vips[i]);

	if (err)
		return err;
	if (!config_vip_find(cfg, vips[i]))
		return fail(c, n, field, "no VIP named '%s' in vips:",
			    vips[i]);
	for (size_t j = 0; j < i; j++)
		if (!strcmp(vips[j], vips[i]))
			return fail(c, n, field, "'%s' is already "
				    "bgp.vips[%zu]", vips[i], j);
	return 0;
}

static const struct cfg_list bgp_vips_list = {
	sizeof(char *), NULL, NULL, bgp_vip_item,
};

/* bgp.vips: the VIPs to announce; no list means every VIP. */
static int parse_bgp_vips(struct ctx *c, yaml_node_t *n, const char *field,
			  void *obj)
{
	struct xlb_cfg_bgp *bgp = &((struct xlb_cfg *)obj)->bgp;

	return cfg_get_array(c, n, field, &bgp_vips_list, &bgp->vips,
			     &bgp->n_vips, obj);
}

/* ---- bgp: ---- */

static int bgp_router_id(struct ctx *c, yaml_node_t *n, const char *field,
			 void *obj)
{
	struct xlb_cfg_bgp *bgp = &((struct xlb_cfg *)obj)->bgp;

	return cfg_get_has_addr(c, n, field, XLB_FAMILY_V4, &bgp->router_id,
				&bgp->has_router_id);
}

static int bgp_hold_time(struct ctx *c, yaml_node_t *n, const char *field,
			 void *obj)
{
	struct xlb_cfg_bgp *bgp = &((struct xlb_cfg *)obj)->bgp;
	__u32 ms;
	int err = cfg_get_duration(c, n, field, &ms);

	if (err)
		return err;
	if (ms % 1000 || ms < 3000 || ms > 65535000)
		return fail(c, n, field, "must be whole seconds, 3s..65535s "
			    "(BGP's range), got %s", cfg_describe(c, n));
	bgp->hold_time_s = ms / 1000;
	return 0;
}

static int bgp_check_bfd_interval(struct ctx *c, yaml_node_t *n,
				  const char *field, void *obj)
{
	const struct xlb_cfg_bgp *bgp = &((struct xlb_cfg *)obj)->bgp;

	if (bgp->bfd_interval_ms < 10 || bgp->bfd_interval_ms > 60000)
		return fail(c, n, field, "must be 10ms..60s, got %s",
			    cfg_describe(c, n));
	return 0;
}

static int bgp_med(struct ctx *c, yaml_node_t *n, const char *field,
		   void *obj)
{
	struct xlb_cfg_bgp *bgp = &((struct xlb_cfg *)obj)->bgp;
	unsigned long long med = 0;
	int err = cfg_get_uint(c, n, field, 0, UINT32_MAX, &med);

	bgp->med = (__u32)med;
	bgp->has_med = !err;
	return err;
}

/* Read in this order into the struct xlb_cfg (bgp.vips needs its VIPs).
 * The run directory holds BIRD's control socket: a socket path must fit
 * sun_path with "/bird.ctl" after it. */
static const struct cfg_key bgp_table[] = {
	KEY("local_as", KEY_U32, BGP(local_as), .min = 1, .max = UINT32_MAX,
	    .required = "required: this host's AS number"),
	FN_KEY("router_id", bgp_router_id),
	FN_KEY("hold_time", bgp_hold_time),
	KEY("bfd", KEY_BOOL, BGP(bfd)),
	KEY("bfd_interval", KEY_MS, BGP(bfd_interval_ms),
	    .fn = bgp_check_bfd_interval),
	KEY("bfd_multiplier", KEY_U32, BGP(bfd_multiplier), .min = 1,
	    .max = 255),
	FN_KEY("med", bgp_med),
	FN_KEY("communities", parse_communities),
	FN_KEY("vips", parse_bgp_vips),
	FN_KEY("neighbors", parse_neighbors,
	       .required = "required: the routers to announce to"),
	KEY("run_dir", KEY_PATH, BGP(run_dir), .max = SUN_PATH_LEN - 10),
	KEY("bird", KEY_PATH, BGP(bird), .max = PATH_MAX),
};

int cfg_parse_bgp(struct ctx *c, yaml_node_t *n, const char *field,
		  void *obj)
{
	struct xlb_cfg_bgp *bgp = &((struct xlb_cfg *)obj)->bgp;
	int err;

	if (cfg_is_null(n))	/* "bgp:" alone: no BGP */
		return 0;
	bgp->enabled = true;
	bgp->hold_time_s = XLB_CFG_BGP_HOLD_TIME_S;
	bgp->bfd_interval_ms = XLB_CFG_BFD_INTERVAL_MS;
	bgp->bfd_multiplier = XLB_CFG_BFD_MULTIPLIER;
	err = cfg_get_section(c, n, field, bgp_keys, bgp_table,
			      ARRAY_SIZE(bgp_table), obj);
	if (!err)
		err = cfg_set_default(c, &bgp->run_dir,
				      XLB_CFG_DEFAULT_BGP_RUN_DIR);
	if (!err)
		err = cfg_set_default(c, &bgp->bird, XLB_CFG_DEFAULT_BIRD);
	return err;
}

void cfg_bgp_free(struct xlb_cfg_bgp *bgp)
{
	for (size_t i = 0; i < bgp->n_neighbors; i++)
		free(bgp->neighbors[i].password);
	free(bgp->neighbors);
	for (size_t i = 0; i < bgp->n_vips; i++)
		free(bgp->vips[i]);
	free(bgp->vips);
	free(bgp->communities);
	free(bgp->bird);
	free(bgp->run_dir);
}

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
