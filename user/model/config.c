// SPDX-License-Identifier: GPL-2.0
/* The config file: YAML loaded with libyaml's document API (so every node
 * knows its line), checked against the schema and turned into struct
 * xlb_cfg. Every error is one line: "FILE:LINE: FIELD: message". Pure. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <unistd.h>

#include <yaml.h>

#include "core/addr.h"
#include "core/keyfile.h"
#include "model/config.h"
#include "model/maglev.h"

/* Field paths ("vips[3].backends[12].health_check.port") fit easily. */
#define FIELD_LEN 128
/* Merge keys ("<<: *defaults") may nest this deep, and merge this many
 * mappings in all (aliases make the work grow fast otherwise). */
#define MERGE_DEPTH 8
#define MERGE_MAX 10000
#define MIN_FLOW_TABLE_SIZE 1024
#define MAX_RISE_FALL 1000

struct ctx {
	yaml_document_t *doc;
	const char *name;	/* file name for messages */
	char *err;
	size_t errlen;
	char desc[96];		/* describe()'s buffer */
	const char *zone;	/* the top-level zone, parsed before vips */
	unsigned int merges;	/* mappings merged so far */
};

/* One key of a mapping, after merge keys are resolved. */
struct kv {
	const char *key;
	yaml_node_t *knode;
	yaml_node_t *val;
};

struct map {
	struct kv *kv;
	size_t n, cap;
};

static const char *const hc_type_names[] = {
	[CFG_HC_NONE] = "none", [CFG_HC_TCP] = "tcp", [CFG_HC_HTTP] = "http",
	[CFG_HC_HTTPS] = "https", [CFG_HC_GRPC] = "grpc",
};
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
static const char *const xdp_mode_names[] = { "auto", "native", "generic" };
static const char *const log_level_names[] = { "warn", "info", "debug",
					       "warning" };

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const char *name_of(const char *const *names, size_t n, unsigned int i)
{
	return i < n && names[i] ? names[i] : "?";
}

const char *config_hc_type_name(enum cfg_hc_type type)
{
	return name_of(hc_type_names, ARRAY_SIZE(hc_type_names), type);
}

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

/* ---- errors ---- */

static unsigned long line_of(const yaml_node_t *n)
{
	return n ? (unsigned long)n->start_mark.line + 1 : 1;
}

/* Writes "FILE:LINE: FIELD: message"; see fail(). */
__attribute__((format(printf, 4, 5))) static void
report(struct ctx *c, const yaml_node_t *n, const char *field,
       const char *fmt, ...)
{
	char msg[384];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (c->err && c->errlen)
		snprintf(c->err, c->errlen, "%s:%lu: %s%s%s", c->name,
			 line_of(n), field ? field : "",
			 field && *field ? ": " : "", msg);
}

/* Reports and evaluates to -EINVAL (a macro, so that static analysers see
 * the value: they do not follow variadic functions). */
#define fail(c, n, field, ...) (report(c, n, field, __VA_ARGS__), -EINVAL)

static void report_nomem(struct ctx *c)
{
	if (c->err && c->errlen)
		snprintf(c->err, c->errlen, "%s: out of memory", c->name);
}

#define fail_nomem(c) (report_nomem(c), -ENOMEM)

/* Formats a field path into buf (FIELD_LEN bytes). */
__attribute__((format(printf, 2, 3))) static void
field_fmt(char *buf, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, FIELD_LEN, fmt, ap);
	va_end(ap);
}

static void join(char *buf, const char *base, const char *key)
{
	field_fmt(buf, "%s%s%s", base, *base ? "." : "", key);
}

/* ---- nodes ---- */

static yaml_node_t *node_of(struct ctx *c, int id)
{
	return yaml_document_get_node(c->doc, id);
}

static const char *sval(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

static bool is_plain(const yaml_node_t *n)
{
	return n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE ||
	       n->data.scalar.style == YAML_ANY_SCALAR_STYLE;
}

static bool is_null(const yaml_node_t *n)
{
	const char *s;

	if (n->type != YAML_SCALAR_NODE || !is_plain(n))
		return false;
	s = sval(n);
	return !*s || !strcmp(s, "~") || !strcmp(s, "null") ||
	       !strcmp(s, "Null") || !strcmp(s, "NULL");
}

/* What a node is, for "must be X, got Y". */
static const char *describe(struct ctx *c, const yaml_node_t *n)
{
	const char *s;
	bool cut;

	switch (n->type) {
	case YAML_MAPPING_NODE:
		return "a mapping";
	case YAML_SEQUENCE_NODE:
		return "a list";
	case YAML_SCALAR_NODE:
		if (is_null(n))
			return "nothing";
		s = sval(n);
		cut = n->data.scalar.length > 40;
		if (is_plain(n))
			snprintf(c->desc, sizeof(c->desc), "'%.40s%s'", s,
				 cut ? "..." : "");
		else
			snprintf(c->desc, sizeof(c->desc), "string \"%.40s%s\"",
				 s, cut ? "..." : "");
		return c->desc;
	default:
		return "nothing";
	}
}

static void map_free(struct map *m)
{
	free(m->kv);
	memset(m, 0, sizeof(*m));
}

static struct kv *map_get(const struct map *m, const char *key)
{
	for (size_t i = 0; i < m->n; i++)
		if (!strcmp(m->kv[i].key, key))
			return &m->kv[i];
	return NULL;
}

static int map_add(struct ctx *c, struct map *m, const char *key,
		   yaml_node_t *knode, yaml_node_t *val)
{
	if (m->n == m->cap) {
		size_t cap = m->cap ? 2 * m->cap : 16;
		struct kv *kv = realloc(m->kv, cap * sizeof(*kv));

		if (!kv)
			return fail_nomem(c);
		m->kv = kv;
		m->cap = cap;
	}
	m->kv[m->n++] = (struct kv){ key, knode, val };
	return 0;
}

static int map_collect_depth(struct ctx *c, yaml_node_t *node,
			     const char *field, struct map *m, int depth);

/* Adds the keys of a merged mapping that m does not have yet. */
static int map_merge(struct ctx *c, yaml_node_t *src, const char *field,
		     struct map *m, int depth)
{
	struct map sub = {};
	int err;

	if (src->type != YAML_MAPPING_NODE)
		return fail(c, src, field,
			    "'<<' must merge a mapping (like *defaults), "
			    "got %s", describe(c, src));
	if (++c->merges > MERGE_MAX)
		return fail(c, src, field, "more than %d merges ('<<')",
			    MERGE_MAX);
	err = map_collect_depth(c, src, field, &sub, depth + 1);
	for (size_t i = 0; !err && i < sub.n; i++)
		if (!map_get(m, sub.kv[i].key))
			err = map_add(c, m, sub.kv[i].key, sub.kv[i].knode,
				      sub.kv[i].val);
	map_free(&sub);
	return err;
}

static int map_collect_depth(struct ctx *c, yaml_node_t *node,
			     const char *field, struct map *m, int depth)
{
	yaml_node_pair_t *p;
	int err;

	if (depth > MERGE_DEPTH)
		return fail(c, node, field, "merge keys ('<<') nested too "
			    "deep");
	if (node->type != YAML_MAPPING_NODE)
		return fail(c, node, field, "must be a mapping, got %s",
			    describe(c, node));
	for (p = node->data.mapping.pairs.start;
	     p < node->data.mapping.pairs.top; p++) {
		yaml_node_t *k = node_of(c, p->key), *v = node_of(c, p->value);
		struct kv *prev;

		if (!k || !v)
			return fail(c, node, field, "broken mapping");
		if (k->type != YAML_SCALAR_NODE || is_null(k))
			return fail(c, k, field, "keys must be names, got %s",
				    describe(c, k));
		if (is_plain(k) && !strcmp(sval(k), "<<"))
			continue;	/* merged below, after explicit keys */
		if (strlen(sval(k)) != k->data.scalar.length)
			return fail(c, k, field, "key with a NUL byte");
		prev = map_get(m, sval(k));
		if (prev)
			return fail(c, k, field,
				    "duplicate key '%s' (first on line %lu)",
				    sval(k), line_of(prev->knode));
		err = map_add(c, m, sval(k), k, v);
		if (err)
			return err;
	}
	/* "<<: *a" or "<<: [*a, *b]": explicit keys win, then earlier
	 * mappings over later ones (YAML's merge key). */
	for (p = node->data.mapping.pairs.start;
	     p < node->data.mapping.pairs.top; p++) {
		yaml_node_t *k = node_of(c, p->key), *v = node_of(c, p->value);

		if (!is_plain(k) || strcmp(sval(k), "<<"))
			continue;
		if (v->type == YAML_SEQUENCE_NODE) {
			yaml_node_item_t *it;

			for (it = v->data.sequence.items.start;
			     it < v->data.sequence.items.top; it++) {
				err = map_merge(c, node_of(c, *it), field, m,
						depth);
				if (err)
					return err;
			}
			continue;
		}
		err = map_merge(c, v, field, m, depth);
		if (err)
			return err;
	}
	return 0;
}

static int map_collect(struct ctx *c, yaml_node_t *node, const char *field,
		       struct map *m)
{
	return map_collect_depth(c, node, field, m, 0);
}

/* Edit distance, for "did you mean". Short strings only. */
static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), row[33], prev, tmp;

	if (la > 32 || lb > 32)
		return SIZE_MAX;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t best = prev + (a[i - 1] != b[j - 1]);

			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			tmp = row[j];
			row[j] = best;
			prev = tmp;
		}
	}
	return row[lb];
}

/* Every key must be one of known (NULL-terminated). */
static int check_keys(struct ctx *c, const struct map *m, const char *field,
		      const char *const *known)
{
	char f[FIELD_LEN];

	for (size_t i = 0; i < m->n; i++) {
		const char *key = m->kv[i].key, *best = NULL;
		size_t best_d = 3, j;

		for (j = 0; known[j] && strcmp(known[j], key); j++) {
			size_t d = distance(known[j], key);

			if (d < best_d) {
				best_d = d;
				best = known[j];
			}
		}
		if (known[j])
			continue;
		join(f, field, key);
		if (best)
			return fail(c, m->kv[i].knode, f,
				    "unknown key (did you mean '%s'?)", best);
		return fail(c, m->kv[i].knode, f, "unknown key");
	}
	return 0;
}

/* ---- scalars ---- */

static int want_scalar(struct ctx *c, yaml_node_t *n, const char *field,
		       const char *what)
{
	if (n->type == YAML_SCALAR_NODE && !is_null(n))
		return 0;
	return fail(c, n, field, "must be %s, got %s", what, describe(c, n));
}

/* A string without NUL bytes; *out (owned) is replaced. */
static int get_string(struct ctx *c, yaml_node_t *n, const char *field,
		      char **out)
{
	char *s;
	int err = want_scalar(c, n, field, "a string");

	if (err)
		return err;
	if (strlen(sval(n)) != n->data.scalar.length)
		return fail(c, n, field, "must not contain NUL bytes");
	s = strdup(sval(n));
	if (!s)
		return fail_nomem(c);
	free(*out);
	*out = s;
	return 0;
}

/* A YAML integer: decimal or 0x hex, '_' allowed between digits. */
static int parse_int(const char *s, bool *neg, unsigned long long *v)
{
	unsigned long long n = 0;
	unsigned int base = 10, digits = 0;

	*neg = false;
	if (*s == '-' || *s == '+')
		*neg = *s++ == '-';
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	for (; *s; s++) {
		unsigned int d;

		if (*s == '_' && digits)
			continue;
		if (isdigit((unsigned char)*s))
			d = (unsigned int)(*s - '0');
		else if (base == 16 && isxdigit((unsigned char)*s))
			d = (unsigned int)(tolower((unsigned char)*s) - 'a' +
					   10);
		else
			return -EINVAL;
		if (n > (ULLONG_MAX - d) / base)
			return -ERANGE;
		n = n * base + d;
		digits++;
	}
	if (!digits || s[-1] == '_')
		return -EINVAL;
	*v = n;
	return 0;
}

static int get_uint(struct ctx *c, yaml_node_t *n, const char *field,
		    unsigned long long min, unsigned long long max,
		    unsigned long long *out)
{
	unsigned long long v;
	bool neg;
	int err = want_scalar(c, n, field, "an integer");

	if (err)
		return err;
	if (!is_plain(n))
		return fail(c, n, field, "must be an integer, got %s",
			    describe(c, n));
	err = parse_int(sval(n), &neg, &v);
	if (err == -EINVAL)
		return fail(c, n, field, "must be an integer, got %s",
			    describe(c, n));
	if (err || (neg && v) || v < min || v > max)
		return fail(c, n, field, "must be %llu..%llu, got %.40s", min,
			    max, sval(n));
	*out = v;
	return 0;
}

static int get_u32(struct ctx *c, yaml_node_t *n, const char *field,
		   __u32 min, __u32 max, __u32 *out)
{
	unsigned long long v;
	int err = get_uint(c, n, field, min, max, &v);

	if (!err)
		*out = (__u32)v;
	return err;
}

static int get_u16(struct ctx *c, yaml_node_t *n, const char *field,
		   __u16 min, __u16 max, __u16 *out)
{
	unsigned long long v;
	int err = get_uint(c, n, field, min, max, &v);

	if (!err)
		*out = (__u16)v;
	return err;
}

/* A YAML boolean (true, yes, on, ...) into *out; -EINVAL, silently, for
 * anything else. */
static int bool_of(const yaml_node_t *n, bool *out)
{
	static const char *const yes[] = { "true", "True", "TRUE", "yes",
					   "Yes", "YES", "on", "On", "ON" };
	static const char *const no[] = { "false", "False", "FALSE", "no",
					  "No", "NO", "off", "Off", "OFF" };

	if (n->type != YAML_SCALAR_NODE || !is_plain(n))
		return -EINVAL;
	for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
		if (!strcmp(sval(n), yes[i]) || !strcmp(sval(n), no[i])) {
			*out = !strcmp(sval(n), yes[i]);
			return 0;
		}
	}
	return -EINVAL;
}

static int get_bool(struct ctx *c, yaml_node_t *n, const char *field,
		    bool *out)
{
	int err = want_scalar(c, n, field, "true or false");

	if (err)
		return err;
	if (!bool_of(n, out))
		return 0;
	return fail(c, n, field, "must be true or false, got %s",
		    describe(c, n));
}

/* "10%", "12.5%", "0.1", "2": a decimal without sign or exponent, with
 * an optional '%' (which divides it by 100). */
static int parse_decimal(const char *s, double *v)
{
	double whole = 0, frac = 0, scale = 1;
	const char *p = s;
	int digits = 0;

	for (; isdigit((unsigned char)*p); p++) {
		if (++digits > 9)
			return -ERANGE;
		whole = whole * 10 + (*p - '0');
	}
	if (!digits)
		return -EINVAL;
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return -EINVAL;
		for (; isdigit((unsigned char)*p); p++) {
			if (scale >= 1e9)
				return -EINVAL;
			frac = frac * 10 + (*p - '0');
			scale *= 10;
		}
	}
	*v = whole + frac / scale;
	if (*p == '%') {
		*v /= 100;
		p++;
	}
	return *p ? -EINVAL : 0;
}

/* A share: "10%" or 0.1, within 0..1 (above 0 unless zero_ok). */
static int get_fraction(struct ctx *c, yaml_node_t *n, const char *field,
			bool zero_ok, double *out)
{
	double v;
	int err = want_scalar(c, n, field, "a percentage (like 10%)");

	if (err)
		return err;
	if (parse_decimal(sval(n), &v) == -EINVAL)
		return fail(c, n, field, "must be a percentage like 10%% or a "
			    "fraction like 0.1, got %s", describe(c, n));
	if (v > 1 || (!zero_ok && !v))
		return fail(c, n, field, "must be %s100%% (0..1), got %s",
			    zero_ok ? "0%.." : "above 0% and at most ",
			    describe(c, n));
	*out = v;
	return 0;
}

/* A number (a multiple: "2", "1.5", "150%"), within min..max. */
static int get_decimal(struct ctx *c, yaml_node_t *n, const char *field,
		       double min, double max, double *out)
{
	double v = 0;
	int err = want_scalar(c, n, field, "a number");

	if (err)
		return err;
	err = parse_decimal(sval(n), &v);
	if (err == -EINVAL)
		return fail(c, n, field, "must be a number like 2 or 1.5, got "
			    "%s", describe(c, n));
	if (err || v < min || v > max)
		return fail(c, n, field, "must be %g..%g, got %s", min, max,
			    describe(c, n));
	*out = v;
	return 0;
}

/* One of names[0..n-1]; writes the index. */
static int get_enum(struct ctx *c, yaml_node_t *n, const char *field,
		    const char *const *names, size_t count, unsigned int *out)
{
	char list[160] = "";
	size_t len = 0;
	int err = want_scalar(c, n, field, "a name");

	if (err)
		return err;
	for (size_t i = 0; i < count; i++) {
		if (!strcmp(sval(n), names[i])) {
			*out = (unsigned int)i;
			return 0;
		}
	}
	for (size_t i = 0; i < count && len < sizeof(list); i++)
		len += (size_t)snprintf(list + len, sizeof(list) - len,
					"%s%s", i ? (i + 1 == count ? " or " :
							", ") : "",
					names[i]);
	return fail(c, n, field, "must be %s, got %s", list, describe(c, n));
}

/* "10ms", "500ms", "1s", "1.5s", "2m", "1h" in milliseconds. */
static int parse_duration(const char *s, unsigned long long *ms)
{
	static const struct {
		const char *unit;
		unsigned long long ms;
	} units[] = { { "ms", 1 }, { "s", 1000 }, { "m", 60000 },
		      { "h", 3600000 } };
	unsigned long long whole = 0, frac = 0, scale = 1, mult = 0;
	const char *p = s;

	if (!isdigit((unsigned char)*p))
		return -EINVAL;
	for (; isdigit((unsigned char)*p); p++) {
		whole = whole * 10 + (unsigned long long)(*p - '0');
		if (whole > UINT32_MAX)
			return -ERANGE;
	}
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return -EINVAL;
		for (; isdigit((unsigned char)*p); p++) {
			if (scale >= 1000000000ULL)
				return -EINVAL;
			frac = frac * 10 + (unsigned long long)(*p - '0');
			scale *= 10;
		}
	}
	for (size_t i = 0; i < ARRAY_SIZE(units); i++)
		if (!strcmp(p, units[i].unit))
			mult = units[i].ms;
	if (!mult)
		return -EINVAL;
	if (frac * mult % scale)
		return -EDOM;	/* not a whole number of milliseconds */
	*ms = whole * mult + frac * mult / scale;
	return *ms > UINT32_MAX ? -ERANGE : 0;
}

static int get_duration(struct ctx *c, yaml_node_t *n, const char *field,
			__u32 *out)
{
	unsigned long long ms;
	int err = want_scalar(c, n, field, "a duration (e.g. 500ms, 1s)");

	if (err)
		return err;
	err = parse_duration(sval(n), &ms);
	if (err == -EDOM)
		return fail(c, n, field, "must be a whole number of "
			    "milliseconds, got %s", describe(c, n));
	if (err == -ERANGE)
		return fail(c, n, field, "must be at most %ums, got %s",
			    UINT32_MAX, describe(c, n));
	if (err)
		return fail(c, n, field, "must be a duration with a unit "
			    "(ms, s, m, h), like 10ms, 500ms, 1s or 2m; got %s",
			    describe(c, n));
	if (!ms)
		return fail(c, n, field, "must be at least 1ms");
	*out = (__u32)ms;
	return 0;
}

/* Why an address cannot be a VIP, backend or tunnel source; NULL if it
 * can. */
static const char *addr_unusable(const union xlb_addr *a, __u8 family)
{
	static const __u8 zero[16];
	const __u8 *b = (const __u8 *)a;

	if (family == XLB_FAMILY_V4) {
		if (!b[0] && !b[1] && !b[2] && !b[3])
			return "the unspecified address";
		if (b[0] == 127)
			return "a loopback address";
		if (b[0] >= 224 && b[0] <= 239)
			return "a multicast address";
		if (b[0] == 255 && b[1] == 255 && b[2] == 255 && b[3] == 255)
			return "the broadcast address";
		return NULL;
	}
	if (!memcmp(b, zero, 16))
		return "the unspecified address";
	if (!memcmp(b, zero, 15) && b[15] == 1)
		return "the loopback address";
	if (b[0] == 0xff)
		return "a multicast address";
	return NULL;
}

/* family 0: either. */
static int get_addr(struct ctx *c, yaml_node_t *n, const char *field,
		    __u8 want, union xlb_addr *addr, __u8 *family)
{
	const char *why;
	int err = want_scalar(c, n, field, "an IP address");

	if (err)
		return err;
	if (xlb_addr_parse(sval(n), addr, family))
		return fail(c, n, field, "not an IPv4 or IPv6 address: %s",
			    describe(c, n));
	if (want && *family != want)
		return fail(c, n, field, "must be an IPv%u address, got %s",
			    want, describe(c, n));
	why = addr_unusable(addr, *family);
	if (why)
		return fail(c, n, field, "%s is %s", sval(n), why);
	return 0;
}

/* ---- health checks ---- */

#define HC_T(t) (1u << CFG_HC_##t)
#define HC_PROBING (HC_T(TCP) | HC_T(HTTP) | HC_T(HTTPS) | HC_T(GRPC))
#define HC_WEB (HC_T(HTTP) | HC_T(HTTPS))

static const char *const hc_keys[] = {
	"type", "port", "path", "host", "expect_status", "body", "tls",
	"tls_verify", "service", "interval", "timeout", "rise", "fall", NULL,
};

/* Which check types a key means something for. */
static const struct {
	unsigned int bit;
	const char *key;
	unsigned int types;
	const char *types_str;
} hc_rules[] = {
	{ CFG_HC_SET_PORT, "port", HC_PROBING, "tcp, http, https, grpc" },
	{ CFG_HC_SET_PATH, "path", HC_WEB, "http, https" },
	{ CFG_HC_SET_HOST, "host", HC_WEB | HC_T(GRPC), "http, https, grpc" },
	{ CFG_HC_SET_STATUS, "expect_status", HC_WEB, "http, https" },
	{ CFG_HC_SET_BODY, "body", HC_WEB, "http, https" },
	{ CFG_HC_SET_TLS, "tls", HC_T(GRPC), "grpc" },
	{ CFG_HC_SET_TLS_VERIFY, "tls_verify", HC_T(HTTPS) | HC_T(GRPC),
	  "https, grpc" },
	{ CFG_HC_SET_SERVICE, "service", HC_T(GRPC), "grpc" },
	{ CFG_HC_SET_INTERVAL, "interval", HC_PROBING, "tcp, http, https, grpc" },
	{ CFG_HC_SET_TIMEOUT, "timeout", HC_PROBING, "tcp, http, https, grpc" },
	{ CFG_HC_SET_RISE, "rise", HC_PROBING, "tcp, http, https, grpc" },
	{ CFG_HC_SET_FALL, "fall", HC_PROBING, "tcp, http, https, grpc" },
};

static void hc_free(struct xlb_cfg_hc *hc)
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

static int hc_copy(struct ctx *c, struct xlb_cfg_hc *dst,
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

static int hc_defaults(struct ctx *c, struct xlb_cfg_hc *hc)
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

static bool has_space_or_ctl(const char *s)
{
	for (; *s; s++)
		if (isspace((unsigned char)*s) || iscntrl((unsigned char)*s))
			return true;
	return false;
}

/* 200, "200" or "200-399". */
static int get_status(struct ctx *c, yaml_node_t *n, const char *field,
		      __u16 *min, __u16 *max)
{
	unsigned int lo, hi;
	int used = 0, err = want_scalar(c, n, field, "a status or range");

	if (err)
		return err;
	if (sscanf(sval(n), "%3u%n", &lo, &used) == 1 && !sval(n)[used] &&
	    used == 3) {
		hi = lo;
	} else if (sscanf(sval(n), "%3u-%3u%n", &lo, &hi, &used) == 2 &&
		   !sval(n)[used] && used == 7) {
	} else {
		return fail(c, n, field, "must be a status like 200 or a "
			    "range like \"200-399\", got %s", describe(c, n));
	}
	if (lo < 100 || hi > 599 || lo > hi)
		return fail(c, n, field, "statuses must be 100..599, low to "
			    "high; got %s", describe(c, n));
	*min = (__u16)lo;
	*max = (__u16)hi;
	return 0;
}

/* Applies the health_check mapping n over *hc (which holds the defaults
 * or the VIP's check). */
static int parse_hc(struct ctx *c, yaml_node_t *n, const char *base,
		    struct xlb_cfg_hc *hc)
{
	char f[FIELD_LEN];
	unsigned int written = 0, type = 0;
	struct map m = {};
	struct kv *kv;
	int err;

	err = map_collect(c, n, base, &m);
	if (!err)
		err = check_keys(c, &m, base, hc_keys);
	if (err)
		goto out;

#define HC_FIELD(k) (join(f, base, k), (kv = map_get(&m, k)) != NULL)
	if (HC_FIELD("type")) {
		err = get_enum(c, kv->val, f, hc_type_names,
			       ARRAY_SIZE(hc_type_names), &type);
		if (err)
			goto out;
		hc->type = type;
		written |= CFG_HC_SET_TYPE;
	}
	if (HC_FIELD("port")) {
		err = get_u16(c, kv->val, f, 1, 65535, &hc->port);
		written |= CFG_HC_SET_PORT;
	}
	if (!err && HC_FIELD("path")) {
		err = get_string(c, kv->val, f, &hc->path);
		if (!err && (hc->path[0] != '/' || has_space_or_ctl(hc->path)))
			err = fail(c, kv->val, f, "must start with '/' and "
				   "hold no spaces, got %s",
				   describe(c, kv->val));
		written |= CFG_HC_SET_PATH;
	}
	if (!err && HC_FIELD("host")) {
		err = get_string(c, kv->val, f, &hc->host);
		if (!err && has_space_or_ctl(hc->host))
			err = fail(c, kv->val, f, "must hold no spaces");
		written |= CFG_HC_SET_HOST;
	}
	if (!err && HC_FIELD("expect_status")) {
		err = get_status(c, kv->val, f, &hc->status_min,
				 &hc->status_max);
		written |= CFG_HC_SET_STATUS;
	}
	if (!err && HC_FIELD("body")) {
		err = get_string(c, kv->val, f, &hc->body);
		written |= CFG_HC_SET_BODY;
	}
	if (!err && HC_FIELD("tls")) {
		err = get_bool(c, kv->val, f, &hc->tls);
		written |= CFG_HC_SET_TLS;
	}
	if (!err && HC_FIELD("tls_verify")) {
		err = get_bool(c, kv->val, f, &hc->tls_verify);
		written |= CFG_HC_SET_TLS_VERIFY;
	}
	if (!err && HC_FIELD("service")) {
		err = get_string(c, kv->val, f, &hc->service);
		written |= CFG_HC_SET_SERVICE;
	}
	if (!err && HC_FIELD("interval")) {
		err = get_duration(c, kv->val, f, &hc->interval_ms);
		written |= CFG_HC_SET_INTERVAL;
	}
	if (!err && HC_FIELD("timeout")) {
		err = get_duration(c, kv->val, f, &hc->timeout_ms);
		written |= CFG_HC_SET_TIMEOUT;
	}
	if (!err && HC_FIELD("rise")) {
		err = get_u32(c, kv->val, f, 1, MAX_RISE_FALL, &hc->rise);
		written |= CFG_HC_SET_RISE;
	}
	if (!err && HC_FIELD("fall")) {
		err = get_u32(c, kv->val, f, 1, MAX_RISE_FALL, &hc->fall);
		written |= CFG_HC_SET_FALL;
	}
#undef HC_FIELD
	if (err)
		goto out;
	/* Keys written here must mean something for the resulting type;
	 * inherited ones a type change makes moot are simply unused. */
	for (size_t i = 0; i < ARRAY_SIZE(hc_rules); i++) {
		if (!(written & hc_rules[i].bit) ||
		    (hc_rules[i].types & (1u << hc->type)))
			continue;
		join(f, base, hc_rules[i].key);
		err = fail(c, map_get(&m, hc_rules[i].key)->val, f,
			   "does not apply to type %s (only to %s)",
			   config_hc_type_name(hc->type),
			   hc_rules[i].types_str);
		goto out;
	}
	hc->set |= written;
out:
	map_free(&m);
	return err;
}

/* ---- VIPs and backends ---- */

bool config_zone_name_ok(const char *s)
{
	size_t len = strlen(s);

	if (!len || len > XLB_CFG_ZONE_MAX)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr(".-_", *s))
			return false;
	return true;
}

/* A zone name into *out (owned). */
static int get_zone(struct ctx *c, yaml_node_t *n, const char *field,
		    char **out)
{
	int err = get_string(c, n, field, out);

	if (err)
		return err;
	if (!config_zone_name_ok(*out))
		return fail(c, n, field, "must be 1..%d letters, digits, '.', "
			    "'-' or '_', got %s", XLB_CFG_ZONE_MAX,
			    describe(c, n));
	return 0;
}

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

static const char *const top_keys[] = {
	"interfaces", "xdp_mode", "control_socket", "metrics_listen",
	"flow_table_size", "hash_seed", "log_level", "gateway_mac",
	"encap_source4", "encap_source6", "vips", "zone", "bgp",
	"hash_secret_file", "icmp_rate", NULL,
};

static const char *const bgp_keys[] = {
	"local_as", "router_id", "hold_time", "bfd", "bfd_interval",
	"bfd_multiplier", "med", "communities", "vips", "neighbors", "bird",
	"run_dir", NULL,
};

static const char *const bgp_neighbor_keys[] = {
	"address", "as", "port", "password", NULL,
};

static bool addr_eq(const union xlb_addr *a, __u8 fa, const union xlb_addr *b,
		    __u8 fb)
{
	return fa == fb && !memcmp(a, b, sizeof(*a));
}

/* A list, or nothing (null) for an empty one. */
static int get_list(struct ctx *c, yaml_node_t *n, const char *field,
		    yaml_node_item_t **items, size_t *count)
{
	if (is_null(n)) {
		*items = NULL;
		*count = 0;
		return 0;
	}
	if (n->type != YAML_SEQUENCE_NODE)
		return fail(c, n, field, "must be a list, got %s",
			    describe(c, n));
	*items = n->data.sequence.items.start;
	*count = (size_t)(n->data.sequence.items.top -
			  n->data.sequence.items.start);
	return 0;
}

static int parse_backend(struct ctx *c, yaml_node_t *n, const char *base,
			 const struct xlb_cfg_vip *vip,
			 struct xlb_cfg_backend *b)
{
	char f[FIELD_LEN];
	struct map m = {};
	struct kv *kv;
	int err;

	b->line = (unsigned int)line_of(n);
	b->weight = XLB_CFG_DEFAULT_WEIGHT;
	err = hc_copy(c, &b->health_check, &vip->health_check);
	if (!err)
		err = map_collect(c, n, base, &m);
	if (!err)
		err = check_keys(c, &m, base, backend_keys);
	if (err)
		goto out;
	join(f, base, "address");
	kv = map_get(&m, "address");
	err = kv ? get_addr(c, kv->val, f, 0, &b->addr, &b->family)
		 : fail(c, n, f, "required");
	if (err)
		goto out;
	join(f, base, "weight");
	kv = map_get(&m, "weight");
	if (kv)
		err = get_u32(c, kv->val, f, 0, XLB_CFG_MAX_WEIGHT, &b->weight);
	join(f, base, "port");
	kv = map_get(&m, "port");
	if (!err && kv)
		err = get_u16(c, kv->val, f, 1, 65535, &b->port);
	join(f, base, "zone");
	kv = map_get(&m, "zone");
	if (!err && kv)
		err = get_zone(c, kv->val, f, &b->zone);
	join(f, base, "health_check");
	kv = map_get(&m, "health_check");
	if (!err && kv) {
		err = parse_hc(c, kv->val, f, &b->health_check);
		b->hc_override = true;
	}
	if (err)
		goto out;
	/* Port to probe: health_check.port (the backend's, then the
	 * VIP's), else the backend's port, else the VIP's. */
	if (!(b->health_check.set & CFG_HC_SET_PORT))
		b->health_check.port = b->port ? b->port : vip->port;
	if (!b->health_check.port && b->health_check.type != CFG_HC_NONE) {
		join(f, base, "health_check.port");
		err = fail(c, n, f, "required: the VIP serves every port "
			   "(port 0), so give the port to probe (or the "
			   "backend's port, or health_check type none)");
	}
out:
	map_free(&m);
	return err;
}

static int parse_backends(struct ctx *c, yaml_node_t *n, const char *base,
			  struct xlb_cfg_vip *vip, size_t *total)
{
	char f[FIELD_LEN];
	yaml_node_item_t *items = NULL;
	size_t count = 0;
	int err = get_list(c, n, base, &items, &count);

	if (err || !count)
		return err;
	*total += count;
	if (*total > XLB_MAX_BACKENDS - 1)
		return fail(c, n, base, "too many backends: the data path "
			    "holds %d in all", XLB_MAX_BACKENDS - 1);
	vip->backends = calloc(count, sizeof(*vip->backends));
	if (!vip->backends)
		return fail_nomem(c);
	vip->n_backends = count;
	for (size_t i = 0; i < count; i++) {
		struct xlb_cfg_backend *b = &vip->backends[i];
		yaml_node_t *bn = node_of(c, items[i]);

		field_fmt(f, "%s[%zu]", base, i);
		err = parse_backend(c, bn, f, vip, b);
		if (err)
			return err;
		for (size_t j = 0; j < i; j++) {
			char a[XLB_ADDR_STRLEN];

			if (!addr_eq(&b->addr, b->family, &vip->backends[j].addr,
				     vip->backends[j].family))
				continue;
			field_fmt(f, "%s[%zu].address", base, i);
			return fail(c, bn, f, "%s is already backends[%zu] "
				    "(line %u)",
				    xlb_addr_str(&b->addr, b->family, a,
						 sizeof(a)),
				    j, vip->backends[j].line);
		}
	}
	return 0;
}

static int check_name(struct ctx *c, yaml_node_t *n, const char *field,
		      const char *name)
{
	if (!*name || strlen(name) > XLB_CFG_NAME_MAX || has_space_or_ctl(name))
		return fail(c, n, field, "must be 1..%d characters without "
			    "spaces, got %s", XLB_CFG_NAME_MAX,
			    describe(c, n));
	return 0;
}

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

/* slow_start: { initial: 10%, window: 60s }, or on/off. */
static int parse_slow_start(struct ctx *c, yaml_node_t *n, const char *base,
			    struct weights_params *w)
{
	char f[FIELD_LEN];
	struct map m = {};
	struct kv *kv;
	bool on;
	int err;

	if (n->type == YAML_SCALAR_NODE) {
		if (bool_of(n, &on))
			return fail(c, n, base, "must be a mapping like "
				    "{ initial: 10%%, window: 60s }, or off; "
				    "got %s", describe(c, n));
		if (!on)
			w->slow_start_window_ms = 0;
		return 0;
	}
	err = map_collect(c, n, base, &m);
	if (!err)
		err = check_keys(c, &m, base, slow_start_keys);
	join(f, base, "initial");
	if (!err && (kv = map_get(&m, "initial")))
		err = get_fraction(c, kv->val, f, false,
				   &w->slow_start_initial);
	join(f, base, "window");
	if (!err && (kv = map_get(&m, "window")))
		err = get_duration(c, kv->val, f, &w->slow_start_window_ms);
	map_free(&m);
	return err;
}

/* The dynamic weight keys of a VIP, into v->weights. */
static int parse_weights(struct ctx *c, const struct map *m, const char *base,
			 struct xlb_cfg_vip *v)
{
	struct weights_params *w = &v->weights;
	char f[FIELD_LEN];
	struct kv *kv;
	__u32 ms;
	int err = 0;

#define W_FIELD(k) (join(f, base, k), (kv = map_get(m, k)) != NULL)
	if (W_FIELD("weight_floor"))
		err = get_fraction(c, kv->val, f, true, &w->floor);
	if (!err && W_FIELD("weight_cap"))
		err = get_decimal(c, kv->val, f, 1, WEIGHTS_MAX_CAP, &w->cap);
	if (!err && W_FIELD("degrade_latency")) {
		err = get_duration(c, kv->val, f, &ms);
		if (!err)
			w->degrade_latency_ns = (__u64)ms * 1000000;
	}
	if (!err && W_FIELD("degrade_errors"))
		err = get_fraction(c, kv->val, f, true, &w->degrade_errors);
	if (!err && W_FIELD("degrade_recovery"))
		err = get_duration(c, kv->val, f, &w->degrade_recovery_ms);
	if (!err && W_FIELD("slow_start"))
		err = parse_slow_start(c, kv->val, f, w);
	if (!err && W_FIELD("rebuild_threshold"))
		err = get_fraction(c, kv->val, f, true, &w->rebuild_threshold);
	if (!err && W_FIELD("min_rebuild_interval"))
		err = get_duration(c, kv->val, f, &w->min_rebuild_interval_ms);
	if (!err && W_FIELD("prefer_zone")) {
		err = get_bool(c, kv->val, f, &w->prefer_zone);
		if (!err && w->prefer_zone && !c->zone)
			err = fail(c, kv->val, f, "needs the balancer's own "
				   "zone: set the top-level key zone: NAME");
	}
	if (!err && W_FIELD("zone_min_healthy"))
		err = get_fraction(c, kv->val, f, true, &w->zone_min_healthy);
#undef W_FIELD
	w->mode = v->weighting == CFG_WEIGHTING_STATIC	   ? WEIGHTS_STATIC
		  : v->weighting == CFG_WEIGHTING_LEAST_CONN ? WEIGHTS_LEAST_CONN
							     : WEIGHTS_DYNAMIC;
	return err;
}

/* prefer_zone with backends none of which is in the local zone is a typo
 * in a zone name, most likely: nothing would be preferred. */
static int check_prefer_zone(struct ctx *c, const struct map *m,
			     const char *base, const struct xlb_cfg_vip *v)
{
	char f[FIELD_LEN], seen[128] = "";
	struct kv *kv = map_get(m, "prefer_zone");
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
	join(f, base, "prefer_zone");
	return fail(c, kv->val, f, "no backend is in zone '%s' (the "
		    "balancer's); backends are in %s", c->zone,
		    len ? seen : "no zone");
}

static int parse_vip(struct ctx *c, yaml_node_t *n, const char *base,
		     struct xlb_cfg_vip *v, size_t *total_backends)
{
	char f[FIELD_LEN];
	yaml_node_t *size_node = NULL;
	struct map m = {};
	unsigned int e = 0;
	struct kv *kv;
	int err;

	v->line = (unsigned int)line_of(n);
	v->table_size = XLB_DEFAULT_TABLE_SIZE;
	weights_params_init(&v->weights);
	err = hc_defaults(c, &v->health_check);
	if (!err)
		err = map_collect(c, n, base, &m);
	if (!err)
		err = check_keys(c, &m, base, vip_keys);
	if (err)
		goto out;

#define VIP_FIELD(k) (join(f, base, k), (kv = map_get(&m, k)) != NULL)
	if (VIP_FIELD("address"))
		err = get_addr(c, kv->val, f, 0, &v->addr, &v->family);
	else
		err = fail(c, n, f, "required");
	if (err)
		goto out;
	if (VIP_FIELD("port"))
		err = get_u16(c, kv->val, f, 0, 65535, &v->port);
	else
		err = fail(c, n, f, "required (0 = every port)");
	if (err)
		goto out;
	if (VIP_FIELD("protocol"))
		err = get_enum(c, kv->val, f, protocol_names,
			       ARRAY_SIZE(protocol_names), &e);
	else
		err = fail(c, n, f, "required (tcp or udp)");
	if (err)
		goto out;
	v->protocol = e ? IPPROTO_UDP : IPPROTO_TCP;
	if (VIP_FIELD("name")) {
		err = get_string(c, kv->val, f, &v->name);
		if (!err)
			err = check_name(c, kv->val, f, v->name);
	} else {
		err = default_name(c, v);
	}
	if (!err && VIP_FIELD("forwarding")) {
		err = get_enum(c, kv->val, f, forwarding_names,
			       ARRAY_SIZE(forwarding_names), &e);
		v->forwarding = e;
	}
	if (!err && VIP_FIELD("affinity")) {
		err = get_enum(c, kv->val, f, affinity_names,
			       ARRAY_SIZE(affinity_names), &e);
		v->affinity = e;
	}
	if (!err && VIP_FIELD("when_all_down")) {
		err = get_enum(c, kv->val, f, all_down_names,
			       ARRAY_SIZE(all_down_names), &e);
		v->when_all_down = e;
	}
	if (!err && VIP_FIELD("table_size")) {
		size_node = kv->val;
		err = get_u32(c, kv->val, f, 2, XLB_MAX_TABLE_SIZE,
			      &v->table_size);
		if (!err && !maglev_is_prime(v->table_size))
			err = fail(c, kv->val, f, "must be a prime number "
				   "(e.g. 65537, 131071, 1048573), got %u",
				   v->table_size);
	}
	if (!err && VIP_FIELD("weighting")) {
		err = get_enum(c, kv->val, f, weighting_names,
			       ARRAY_SIZE(weighting_names), &e);
		v->weighting = e;
	}
	if (!err)
		err = parse_weights(c, &m, base, v);
	if (!err && VIP_FIELD("health_check"))
		err = parse_hc(c, kv->val, f, &v->health_check);
	if (err)
		goto out;
	if (!(v->health_check.set & CFG_HC_SET_PORT))
		v->health_check.port = v->port;
	if (VIP_FIELD("backends"))
		err = parse_backends(c, kv->val, f, v, total_backends);
	if (!err)
		err = check_prefer_zone(c, &m, base, v);
	if (!err && v->n_backends >= v->table_size) {
		join(f, base, "table_size");
		err = fail(c, size_node ? size_node : n, f,
			   "%u slots cannot hold %zu backends; Maglev wants "
			   "about 100 slots per backend", v->table_size,
			   v->n_backends);
	}
#undef VIP_FIELD
out:
	map_free(&m);
	return err;
}

static int parse_vips(struct ctx *c, yaml_node_t *n, struct xlb_cfg *cfg)
{
	char f[FIELD_LEN], a[XLB_ADDR_STRLEN];
	yaml_node_item_t *items = NULL;
	size_t count = 0, total_backends = 0;
	int err = get_list(c, n, "vips", &items, &count);

	if (err || !count)
		return err;
	if (count > XLB_MAX_VIPS)
		return fail(c, n, "vips", "too many VIPs: %zu, the data path "
			    "holds %d", count, XLB_MAX_VIPS);
	cfg->vips = calloc(count, sizeof(*cfg->vips));
	if (!cfg->vips)
		return fail_nomem(c);
	cfg->n_vips = count;
	for (size_t i = 0; i < count; i++) {
		struct xlb_cfg_vip *v = &cfg->vips[i];
		yaml_node_t *vn = node_of(c, items[i]);

		field_fmt(f, "vips[%zu]", i);
		err = parse_vip(c, vn, f, v, &total_backends);
		if (err)
			return err;
		for (size_t j = 0; j < i; j++) {
			const struct xlb_cfg_vip *o = &cfg->vips[j];

			if (!strcmp(o->name, v->name)) {
				field_fmt(f, "vips[%zu].name", i);
				return fail(c, vn, f, "'%s' is already the "
					    "name of vips[%zu] (line %u)",
					    v->name, j, o->line);
			}
			if (addr_eq(&o->addr, o->family, &v->addr, v->family) &&
			    o->port == v->port && o->protocol == v->protocol)
				return fail(c, vn, f, "%s port %u %s is already "
					    "vips[%zu] '%s' (line %u)",
					    xlb_addr_str(&v->addr, v->family,
							 a, sizeof(a)),
					    v->port,
					    v->protocol == IPPROTO_UDP ? "udp"
								       : "tcp",
					    j, o->name, o->line);
		}
	}
	return 0;
}

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
	int err = get_list(c, n, "interfaces", &items, &count);

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

		field_fmt(f, "interfaces[%zu]", i);
		err = get_string(c, in, f, &cfg->interfaces[i]);
		if (err)
			return err;
		if (!ifname_ok(cfg->interfaces[i]))
			return fail(c, in, f, "not a device name: %s",
				    describe(c, in));
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
	if (hlen >= sizeof(host) || parse_int(colon + 1, &neg, &port) ||
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
		    describe(c, n));
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
			    "02:00:5e:10:00:01, got %s", describe(c, n));
	for (int i = 0; i < 6; i++) {
		mac[i] = (__u8)b[i];
		zero &= !b[i];
	}
	if (zero || (mac[0] & 1))
		return fail(c, n, field, "%s is not a unicast MAC address", s);
	return 0;
}

static int set_default(struct ctx *c, char **s, const char *v)
{
	if (*s)
		return 0;
	*s = strdup(v);
	return *s ? 0 : fail_nomem(c);
}

/* ---- bgp ---- */

static int get_path(struct ctx *c, yaml_node_t *n, const char *field,
		    size_t max, char **out)
{
	int err = get_string(c, n, field, out);

	if (!err && ((*out)[0] != '/' || strlen(*out) >= max))
		err = fail(c, n, field, "must be an absolute path shorter "
			   "than %zu bytes, got %s", max, describe(c, n));
	return err;
}

/* A secret BIRD's config holds in double quotes. */
static int get_password(struct ctx *c, yaml_node_t *n, const char *field,
			char **out)
{
	int err = get_string(c, n, field, out);

	if (!err && (strpbrk(*out, "\"\\") || has_space_or_ctl(*out) ||
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
	err = map_collect(c, n, base, &m);
	if (!err)
		err = check_keys(c, &m, base, bgp_neighbor_keys);
	if (err)
		goto out;
	join(f, base, "address");
	kv = map_get(&m, "address");
	err = kv ? get_addr(c, kv->val, f, 0, &nb->addr, &nb->family)
		 : fail(c, n, f, "required: the router's address");
	join(f, base, "as");
	kv = map_get(&m, "as");
	if (!err)
		err = kv ? get_u32(c, kv->val, f, 1, UINT32_MAX, &nb->as)
			 : fail(c, n, f, "required: the router's AS number");
	join(f, base, "port");
	if (!err && (kv = map_get(&m, "port")))
		err = get_u16(c, kv->val, f, 1, 65535, &nb->port);
	join(f, base, "password");
	if (!err && (kv = map_get(&m, "password")))
		err = get_password(c, kv->val, f, &nb->password);
out:
	map_free(&m);
	return err;
}

static int parse_neighbors(struct ctx *c, yaml_node_t *n,
			   struct xlb_cfg_bgp *bgp)
{
	char f[FIELD_LEN], a[XLB_ADDR_STRLEN];
	yaml_node_item_t *items = NULL;
	size_t count = 0;
	int err = get_list(c, n, "bgp.neighbors", &items, &count);

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

		field_fmt(f, "bgp.neighbors[%zu]", i);
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
	int err = get_list(c, n, "bgp.communities", &items, &count);

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

		field_fmt(f, "bgp.communities[%zu]", i);
		err = want_scalar(c, in, f, "a community like 65001:100");
		if (err)
			return err;
		s = sval(in);
		colon = strchr(s, ':');
		if (!colon || (size_t)(colon - s) >= sizeof(half))
			goto bad;
		memcpy(half, s, (size_t)(colon - s));
		half[colon - s] = '\0';
		if (parse_int(half, &neg, &hi) || neg || hi > 65535 ||
		    parse_int(colon + 1, &neg, &lo) || neg || lo > 65535 ||
		    !isdigit((unsigned char)s[0]) ||
		    !isdigit((unsigned char)colon[1]))
			goto bad;
		bgp->communities[i] = (__u32)(hi << 16 | lo);
		continue;
bad:
		return fail(c, in, f, "must be ASN:VALUE, both 0..65535, "
			    "like 65001:100; got %s", describe(c, in));
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
	int err = get_list(c, n, "bgp.vips", &items, &count);

	if (err || !count)
		return err;
	bgp->vips = calloc(count, sizeof(*bgp->vips));
	if (!bgp->vips)
		return fail_nomem(c);
	bgp->n_vips = count;
	for (size_t i = 0; i < count; i++) {
		yaml_node_t *in = node_of(c, items[i]);

		field_fmt(f, "bgp.vips[%zu]", i);
		err = get_string(c, in, f, &bgp->vips[i]);
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
	err = map_collect(c, n, "bgp", &m);
	if (!err)
		err = check_keys(c, &m, "bgp", bgp_keys);
	if (err)
		goto out;
	bgp->enabled = true;
	kv = map_get(&m, "local_as");
	err = kv ? get_u32(c, kv->val, "bgp.local_as", 1, UINT32_MAX,
			   &bgp->local_as)
		 : fail(c, n, "bgp.local_as", "required: this host's AS "
			"number");
	if (!err && (kv = map_get(&m, "router_id"))) {
		err = get_addr(c, kv->val, "bgp.router_id", XLB_FAMILY_V4,
			       &bgp->router_id, &fam);
		bgp->has_router_id = !err;
	}
	if (!err && (kv = map_get(&m, "hold_time"))) {
		err = get_duration(c, kv->val, "bgp.hold_time", &ms);
		if (!err && (ms % 1000 || ms < 3000 || ms > 65535000))
			err = fail(c, kv->val, "bgp.hold_time", "must be whole "
				   "seconds, 3s..65535s (BGP's range), got %s",
				   describe(c, kv->val));
		bgp->hold_time_s = ms / 1000;
	}
	if (!err && (kv = map_get(&m, "bfd")))
		err = get_bool(c, kv->val, "bgp.bfd", &bgp->bfd);
	if (!err && (kv = map_get(&m, "bfd_interval"))) {
		err = get_duration(c, kv->val, "bgp.bfd_interval",
				   &bgp->bfd_interval_ms);
		if (!err && (bgp->bfd_interval_ms < 10 ||
			     bgp->bfd_interval_ms > 60000))
			err = fail(c, kv->val, "bgp.bfd_interval", "must be "
				   "10ms..60s, got %s", describe(c, kv->val));
	}
	if (!err && (kv = map_get(&m, "bfd_multiplier")))
		err = get_u32(c, kv->val, "bgp.bfd_multiplier", 1, 255,
			      &bgp->bfd_multiplier);
	if (!err && (kv = map_get(&m, "med"))) {
		err = get_u32(c, kv->val, "bgp.med", 0, UINT32_MAX, &bgp->med);
		bgp->has_med = !err;
	}
	if (!err && (kv = map_get(&m, "communities")))
		err = parse_communities(c, kv->val, bgp);
	if (!err && (kv = map_get(&m, "vips")))
		err = parse_bgp_vips(c, kv->val, cfg, bgp);
	if (!err) {
		kv = map_get(&m, "neighbors");
		err = kv ? parse_neighbors(c, kv->val, bgp)
			 : fail(c, n, "bgp.neighbors", "required: the routers "
				"to announce to");
	}
	/* The run directory holds BIRD's control socket: a socket path
	 * must fit sun_path with "/bird.ctl" after it. */
	if (!err && (kv = map_get(&m, "run_dir")))
		err = get_path(c, kv->val, "bgp.run_dir",
			       sizeof(((struct sockaddr_un *)0)->sun_path) - 10,
			       &bgp->run_dir);
	if (!err && (kv = map_get(&m, "bird")))
		err = get_path(c, kv->val, "bgp.bird", PATH_MAX, &bgp->bird);
	if (!err)
		err = set_default(c, &bgp->run_dir, XLB_CFG_DEFAULT_BGP_RUN_DIR);
	if (!err)
		err = set_default(c, &bgp->bird, XLB_CFG_DEFAULT_BIRD);
out:
	map_free(&m);
	return err;
}

/* A rate a second: "1000/s", or the bare number. */
static int get_rate(struct ctx *c, yaml_node_t *n, const char *field,
		    __u32 min, __u32 max, __u32 *out)
{
	int err = want_scalar(c, n, field, "a rate such as 1000/s");
	char num[32];
	size_t len;
	bool neg;
	unsigned long long v;

	if (err)
		return err;
	len = strlen(sval(n));
	if (len > 2 && !strcmp(sval(n) + len - 2, "/s"))
		len -= 2;
	if (len >= sizeof(num))
		return fail(c, n, field, "must be a rate such as 1000/s, got %s",
			    describe(c, n));
	memcpy(num, sval(n), len);
	num[len] = '\0';
	err = parse_int(num, &neg, &v);
	if (err == -EINVAL)
		return fail(c, n, field, "must be a rate such as 1000/s, got %s",
			    describe(c, n));
	if (err || neg || v < min || v > max)
		return fail(c, n, field, "must be %u/s..%u/s, got %s", min, max,
			    describe(c, n));
	*out = (__u32)v;
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
			   describe(c, root));
		goto out;
	}
	err = map_collect(c, root, "", &m);
	if (!err)
		err = check_keys(c, &m, "", top_keys);
	if (err)
		goto out;
	cfg->flow_table_size = XLB_DEFAULT_FLOW_ENTRIES;
	cfg->icmp_rate = XLB_ICMP_RATE_DEFAULT;

	kv = map_get(&m, "interfaces");
	err = kv ? parse_interfaces(c, kv->val, cfg)
		 : fail(c, root, "interfaces", "required: the devices to "
			"attach to, e.g. [eth0]");
	if (!err && (kv = map_get(&m, "xdp_mode"))) {
		err = get_enum(c, kv->val, "xdp_mode", xdp_mode_names,
			       ARRAY_SIZE(xdp_mode_names), &e);
		if (!err)
			err = set_default(c, &cfg->xdp_mode, xdp_mode_names[e]);
	}
	if (!err && (kv = map_get(&m, "control_socket"))) {
		err = get_string(c, kv->val, "control_socket",
				 &cfg->control_socket);
		if (!err && (cfg->control_socket[0] != '/' ||
			     strlen(cfg->control_socket) >=
				     sizeof(((struct sockaddr_un *)0)->sun_path)))
			err = fail(c, kv->val, "control_socket",
				   "must be an absolute path shorter than "
				   "%zu bytes, got %s",
				   sizeof(((struct sockaddr_un *)0)->sun_path),
				   describe(c, kv->val));
	}
	if (!err && (kv = map_get(&m, "metrics_listen"))) {
		err = get_string(c, kv->val, "metrics_listen",
				 &cfg->metrics_listen);
		if (!err && cfg->metrics_listen[0])	/* "" = no metrics */
			err = parse_listen(c, kv->val, "metrics_listen", cfg);
	}
	if (!err && (kv = map_get(&m, "flow_table_size")))
		err = get_u32(c, kv->val, "flow_table_size",
			      MIN_FLOW_TABLE_SIZE, UINT32_MAX,
			      &cfg->flow_table_size);
	if (!err && (kv = map_get(&m, "hash_seed"))) {
		err = get_uint(c, kv->val, "hash_seed", 0, UINT32_MAX, &u);
		cfg->hash_seed = (__u32)u;
	}
	if (!err && (kv = map_get(&m, "hash_secret_file")))
		err = get_path(c, kv->val, "hash_secret_file", PATH_MAX,
			       &cfg->hash_secret_file);
	if (!err && (kv = map_get(&m, "icmp_rate")))
		err = get_rate(c, kv->val, "icmp_rate", 1, XLB_ICMP_RATE_MAX,
			       &cfg->icmp_rate);
	if (!err && (kv = map_get(&m, "log_level"))) {
		err = get_enum(c, kv->val, "log_level", log_level_names,
			       ARRAY_SIZE(log_level_names), &e);
		if (e == 3)
			e = 0;	/* "warning" is "warn" */
		if (!err)
			err = set_default(c, &cfg->log_level,
					  log_level_names[e]);
	}
	if (!err && (kv = map_get(&m, "gateway_mac"))) {
		err = want_scalar(c, kv->val, "gateway_mac", "a MAC address");
		if (!err)
			err = parse_mac(c, kv->val, "gateway_mac",
					cfg->gateway_mac);
		cfg->has_gateway_mac = !err;
	}
	if (!err && (kv = map_get(&m, "encap_source4"))) {
		__u8 fam;

		err = get_addr(c, kv->val, "encap_source4", XLB_FAMILY_V4,
			       &cfg->encap_source4, &fam);
		cfg->has_encap_source4 = !err;
	}
	if (!err && (kv = map_get(&m, "encap_source6"))) {
		__u8 fam;

		err = get_addr(c, kv->val, "encap_source6", XLB_FAMILY_V6,
			       &cfg->encap_source6, &fam);
		cfg->has_encap_source6 = !err;
	}
	if (!err && (kv = map_get(&m, "zone"))) {
		err = get_zone(c, kv->val, "zone", &cfg->zone);
		c->zone = cfg->zone;
	}
	if (!err && (kv = map_get(&m, "vips")))
		err = parse_vips(c, kv->val, cfg);
	if (!err && (kv = map_get(&m, "bgp")) && !is_null(kv->val))
		err = parse_bgp(c, kv->val, cfg);
	if (err)
		goto out;
	err = set_default(c, &cfg->xdp_mode, "auto");
	if (!err)
		err = set_default(c, &cfg->control_socket,
				  XLB_CFG_DEFAULT_CONTROL_SOCKET);
	if (!err)
		err = set_default(c, &cfg->log_level, "info");
	if (!err && !cfg->metrics_listen) {
		err = set_default(c, &cfg->metrics_listen,
				  XLB_CFG_DEFAULT_METRICS_LISTEN);
		cfg->metrics_family = XLB_FAMILY_V4;
		cfg->metrics_addr.v4 = htonl(INADDR_LOOPBACK);
		cfg->metrics_port = 9469;
	}
out:
	map_free(&m);
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
	for (size_t i = 0; i < cfg->n_vips; i++) {
		struct xlb_cfg_vip *v = &cfg->vips[i];

		for (size_t j = 0; j < v->n_backends; j++) {
			hc_free(&v->backends[j].health_check);
			free(v->backends[j].zone);
		}
		free(v->backends);
		hc_free(&v->health_check);
		free(v->name);
	}
	free(cfg->vips);
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

__u32 config_vip_flags(const struct xlb_cfg_vip *vip)
{
	__u32 flags = 0;

	if (vip->affinity == CFG_AFFINITY_SOURCE_IP)
		flags |= XLB_VIP_SRC_AFFINITY;
	if (vip->when_all_down == CFG_ALL_DOWN_PASS)
		flags |= XLB_VIP_PASS_ALL_DOWN;
	return flags;
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
