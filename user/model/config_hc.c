// SPDX-License-Identifier: GPL-2.0
/* The health_check: section (of a VIP or of a backend): its keys, their
 * defaults, and which check types each key means something for. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/config_priv.h"

#define MAX_RISE_FALL 1000

#define HC_T(t) (1u << CFG_HC_##t)
#define HC_PROBING (HC_T(TCP) | HC_T(HTTP) | HC_T(HTTPS) | HC_T(GRPC))
#define HC_WEB (HC_T(HTTP) | HC_T(HTTPS))
#define HC_ANY (HC_T(NONE) | HC_PROBING)
#define HC(f) offsetof(struct xlb_cfg_hc, f)

static const char *const hc_type_names[] = {
	[CFG_HC_NONE] = "none", [CFG_HC_TCP] = "tcp", [CFG_HC_HTTP] = "http",
	[CFG_HC_HTTPS] = "https", [CFG_HC_GRPC] = "grpc",
};

const char *config_hc_type_name(enum cfg_hc_type type)
{
	return name_of(hc_type_names, ARRAY_SIZE(hc_type_names), type);
}

/* The keys a health_check may hold (unknown ones are matched against
 * them, in this order, for "did you mean"). */
static const char *const hc_keys[] = {
	"type", "port", "path", "host", "expect_status", "body", "tls",
	"tls_verify", "service", "interval", "timeout", "rise", "fall", NULL,
};

static int hc_check_path(struct ctx *c, yaml_node_t *n, const char *field,
			 void *obj)
{
	const struct xlb_cfg_hc *hc = obj;

	if (hc->path[0] != '/' || cfg_has_space_or_ctl(hc->path))
		return fail(c, n, field, "must start with '/' and hold no "
			    "spaces, got %s", cfg_describe(c, n));
	return 0;
}

static int hc_check_host(struct ctx *c, yaml_node_t *n, const char *field,
			 void *obj)
{
	const struct xlb_cfg_hc *hc = obj;

	if (cfg_has_space_or_ctl(hc->host))
		return fail(c, n, field, "must hold no spaces");
	return 0;
}

/* expect_status: 200, "200" or "200-399". */
static int hc_status(struct ctx *c, yaml_node_t *n, const char *field,
		     void *obj)
{
	struct xlb_cfg_hc *hc = obj;
	unsigned int lo, hi;
	int used = 0, err = cfg_want_scalar(c, n, field, "a status or range");

	if (err)
		return err;
	if (sscanf(sval(n), "%3u%n", &lo, &used) == 1 && !sval(n)[used] &&
	    used == 3) {
		hi = lo;
	} else if (sscanf(sval(n), "%3u-%3u%n", &lo, &hi, &used) == 2 &&
		   !sval(n)[used] && used == 7) {
	} else {
		return fail(c, n, field, "must be a status like 200 or a "
			    "range like \"200-399\", got %s",
			    cfg_describe(c, n));
	}
	if (lo < 100 || hi > 599 || lo > hi)
		return fail(c, n, field, "statuses must be 100..599, low to "
			    "high; got %s", cfg_describe(c, n));
	hc->status_min = (__u16)lo;
	hc->status_max = (__u16)hi;
	return 0;
}

/* Each key: how it is read, the CFG_HC_SET_* bit it sets when written,
 * and the check types it means something for. Read in this order. */
static const struct hc_key {
	struct cfg_key key;
	unsigned int bit;
	unsigned int types;
} hc_table[] = {
	{ KEY("type", KEY_ENUM, HC(type), KEY_NAMES(hc_type_names)),
	  CFG_HC_SET_TYPE, HC_ANY },
	{ KEY("port", KEY_U16, HC(port), .min = 1, .max = 65535),
	  CFG_HC_SET_PORT, HC_PROBING },
	{ KEY("path", KEY_STR, HC(path), .fn = hc_check_path),
	  CFG_HC_SET_PATH, HC_WEB },
	{ KEY("host", KEY_STR, HC(host), .fn = hc_check_host),
	  CFG_HC_SET_HOST, HC_WEB | HC_T(GRPC) },
	{ FN_KEY("expect_status", hc_status), CFG_HC_SET_STATUS, HC_WEB },
	{ KEY("body", KEY_STR, HC(body)), CFG_HC_SET_BODY, HC_WEB },
	{ KEY("tls", KEY_BOOL, HC(tls)), CFG_HC_SET_TLS, HC_T(GRPC) },
	{ KEY("tls_verify", KEY_BOOL, HC(tls_verify)), CFG_HC_SET_TLS_VERIFY,
	  HC_T(HTTPS) | HC_T(GRPC) },
	{ KEY("service", KEY_STR, HC(service)), CFG_HC_SET_SERVICE,
	  HC_T(GRPC) },
	{ KEY("interval", KEY_MS, HC(interval_ms)), CFG_HC_SET_INTERVAL,
	  HC_PROBING },
	{ KEY("timeout", KEY_MS, HC(timeout_ms)), CFG_HC_SET_TIMEOUT,
	  HC_PROBING },
	{ KEY("rise", KEY_U32, HC(rise), .min = 1, .max = MAX_RISE_FALL),
	  CFG_HC_SET_RISE, HC_PROBING },
	{ KEY("fall", KEY_U32, HC(fall), .min = 1, .max = MAX_RISE_FALL),
	  CFG_HC_SET_FALL, HC_PROBING },
};

void cfg_hc_free(struct xlb_cfg_hc *hc)
{
	free(hc->path);
	free(hc->host);
	free(hc->body);
	free(hc->service);
	memset(hc, 0, sizeof(*hc));
}

static int dup_opt(const char *s, char **out)
{
	*out = NULL;
	if (s && !(*out = strdup(s)))
		return -ENOMEM;
	return 0;
}

int cfg_hc_copy(struct ctx *c, struct xlb_cfg_hc *dst,
		const struct xlb_cfg_hc *src)
{
	*dst = *src;
	dst->path = dst->host = dst->body = dst->service = NULL;
	if (dup_opt(src->path, &dst->path) || dup_opt(src->host, &dst->host) ||
	    dup_opt(src->body, &dst->body) ||
	    dup_opt(src->service, &dst->service))
		return fail_nomem(c);
	return 0;
}

int cfg_hc_defaults(struct ctx *c, struct xlb_cfg_hc *hc)
{
	memset(hc, 0, sizeof(*hc));
	hc->type = CFG_HC_TCP;
	hc->status_min = 200;
	hc->status_max = 399;
	hc->tls_verify = true;
	hc->interval_ms = XLB_CFG_HC_INTERVAL_MS;
	hc->timeout_ms = XLB_CFG_HC_TIMEOUT_MS;
	hc->rise = XLB_CFG_HC_RISE;
	hc->fall = XLB_CFG_HC_FALL;
	hc->path = strdup("/");
	return hc->path ? 0 : fail_nomem(c);
}

/* Reads the keys m holds over *hc; *written gets their bits. */
static int hc_get_keys(struct ctx *c, const struct map *m, const char *base,
		       struct xlb_cfg_hc *hc, unsigned int *written)
{
	char f[FIELD_LEN];
	int err = 0;

	for (size_t i = 0; !err && i < ARRAY_SIZE(hc_table); i++) {
		const struct hc_key *k = &hc_table[i];
		struct kv *kv = cfg_map_get(m, k->key.name);

		if (!kv)
			continue;
		cfg_join(f, base, k->key.name);
		err = cfg_get_key(c, kv->val, f, &k->key, hc);
		*written |= k->bit;
	}
	return err;
}

/* "http, https": the names of the check types in the mask. */
static void hc_types_str(unsigned int types, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (unsigned int t = 0; t < ARRAY_SIZE(hc_type_names); t++)
		if (types & (1u << t) && off < len)
			off += (size_t)snprintf(buf + off, len - off, "%s%s",
						off ? ", " : "",
						hc_type_names[t]);
}

/* Keys written here must mean something for the resulting type;
 * inherited ones a type change makes moot are simply unused. */
static int hc_check_types(struct ctx *c, const struct map *m,
			  const char *base, unsigned int written,
			  const struct xlb_cfg_hc *hc)
{
	char f[FIELD_LEN], types[64];

	for (size_t i = 0; i < ARRAY_SIZE(hc_table); i++) {
		const struct hc_key *k = &hc_table[i];

		if (!(written & k->bit) || (k->types & (1u << hc->type)))
			continue;
		cfg_join(f, base, k->key.name);
		hc_types_str(k->types, types, sizeof(types));
		return fail(c, cfg_map_get(m, k->key.name)->val, f,
			    "does not apply to type %s (only to %s)",
			    config_hc_type_name(hc->type), types);
	}
	return 0;
}

/* Applies the health_check mapping n over *hc (which holds the defaults
 * or the VIP's check). */
int cfg_parse_hc(struct ctx *c, yaml_node_t *n, const char *base,
		 struct xlb_cfg_hc *hc)
{
	unsigned int written = 0;
	struct map m = {};
	int err;

	err = cfg_map_collect(c, n, base, &m);
	if (!err)
		err = cfg_check_keys(c, &m, base, hc_keys);
	if (!err)
		err = hc_get_keys(c, &m, base, hc, &written);
	if (!err)
		err = hc_check_types(c, &m, base, written, hc);
	if (!err)
		hc->set |= written;
	cfg_map_free(&m);
	return err;
}
