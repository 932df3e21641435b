// SPDX-License-Identifier: GPL-2.0
/* Typed values of the config (strings, integers, booleans, shares,
 * durations, names, addresses, zones, paths), each with its one-line
 * error, and the key tables the sections are read with. */
#include <ctype.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/addr.h"
#include "model/config_priv.h"

/* ---- scalars ---- */

int cfg_want_scalar(struct ctx *c, yaml_node_t *n, const char *field,
		    const char *what)
{
	if (n->type == YAML_SCALAR_NODE && !cfg_is_null(n))
		return 0;
	return fail(c, n, field, "must be %s, got %s", what,
		    cfg_describe(c, n));
}

int cfg_get_string(struct ctx *c, yaml_node_t *n, const char *field,
		   char **out)
{
	char *s;
	int err = cfg_want_scalar(c, n, field, "a string");

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

int cfg_parse_int(const char *s, bool *neg, unsigned long long *v)
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

int cfg_get_uint(struct ctx *c, yaml_node_t *n, const char *field,
		 unsigned long long min, unsigned long long max,
		 unsigned long long *out)
{
	unsigned long long v;
	bool neg;
	int err = cfg_want_scalar(c, n, field, "an integer");

	if (err)
		return err;
	if (!is_plain(n))
		return fail(c, n, field, "must be an integer, got %s",
			    cfg_describe(c, n));
	err = cfg_parse_int(sval(n), &neg, &v);
	if (err == -EINVAL)
		return fail(c, n, field, "must be an integer, got %s",
			    cfg_describe(c, n));
	if (err || (neg && v) || v < min || v > max)
		return fail(c, n, field, "must be %llu..%llu, got %.40s", min,
			    max, sval(n));
	*out = v;
	return 0;
}

int cfg_bool_of(const yaml_node_t *n, bool *out)
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
	int err = cfg_want_scalar(c, n, field, "true or false");

	if (err)
		return err;
	if (!cfg_bool_of(n, out))
		return 0;
	return fail(c, n, field, "must be true or false, got %s",
		    cfg_describe(c, n));
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
	int err = cfg_want_scalar(c, n, field, "a percentage (like 10%)");

	if (err)
		return err;
	if (parse_decimal(sval(n), &v) == -EINVAL)
		return fail(c, n, field, "must be a percentage like 10%% or a "
			    "fraction like 0.1, got %s", cfg_describe(c, n));
	if (v > 1 || (!zero_ok && !v))
		return fail(c, n, field, "must be %s100%% (0..1), got %s",
			    zero_ok ? "0%.." : "above 0% and at most ",
			    cfg_describe(c, n));
	*out = v;
	return 0;
}

int cfg_get_decimal(struct ctx *c, yaml_node_t *n, const char *field,
		    double min, double max, double *out)
{
	double v = 0;
	int err = cfg_want_scalar(c, n, field, "a number");

	if (err)
		return err;
	err = parse_decimal(sval(n), &v);
	if (err == -EINVAL)
		return fail(c, n, field, "must be a number like 2 or 1.5, got "
			    "%s", cfg_describe(c, n));
	if (err || v < min || v > max)
		return fail(c, n, field, "must be %g..%g, got %s", min, max,
			    cfg_describe(c, n));
	*out = v;
	return 0;
}

int cfg_get_enum(struct ctx *c, yaml_node_t *n, const char *field,
		 const char *const *names, size_t count, unsigned int *out)
{
	char list[160] = "";
	size_t len = 0;
	int err = cfg_want_scalar(c, n, field, "a name");

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
	return fail(c, n, field, "must be %s, got %s", list,
		    cfg_describe(c, n));
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

int cfg_get_duration(struct ctx *c, yaml_node_t *n, const char *field,
		     __u32 *out)
{
	unsigned long long ms;
	int err = cfg_want_scalar(c, n, field, "a duration (e.g. 500ms, 1s)");

	if (err)
		return err;
	err = parse_duration(sval(n), &ms);
	if (err == -EDOM)
		return fail(c, n, field, "must be a whole number of "
			    "milliseconds, got %s", cfg_describe(c, n));
	if (err == -ERANGE)
		return fail(c, n, field, "must be at most %ums, got %s",
			    UINT32_MAX, cfg_describe(c, n));
	if (err)
		return fail(c, n, field, "must be a duration with a unit "
			    "(ms, s, m, h), like 10ms, 500ms, 1s or 2m; got %s",
			    cfg_describe(c, n));
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

int cfg_get_addr(struct ctx *c, yaml_node_t *n, const char *field,
		 __u8 want, union xlb_addr *addr, __u8 *family)
{
	const char *why;
	int err = cfg_want_scalar(c, n, field, "an IP address");

	if (err)
		return err;
	if (xlb_addr_parse(sval(n), addr, family))
		return fail(c, n, field, "not an IPv4 or IPv6 address: %s",
			    cfg_describe(c, n));
	if (want && *family != want)
		return fail(c, n, field, "must be an IPv%u address, got %s",
			    want, cfg_describe(c, n));
	why = addr_unusable(addr, *family);
	if (why)
		return fail(c, n, field, "%s is %s", sval(n), why);
	return 0;
}

bool cfg_has_space_or_ctl(const char *s)
{
	for (; *s; s++)
		if (isspace((unsigned char)*s) || iscntrl((unsigned char)*s))
			return true;
	return false;
}

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

int cfg_get_zone(struct ctx *c, yaml_node_t *n, const char *field,
		 char **out)
{
	int err = cfg_get_string(c, n, field, out);

	if (err)
		return err;
	if (!config_zone_name_ok(*out))
		return fail(c, n, field, "must be 1..%d letters, digits, '.', "
			    "'-' or '_', got %s", XLB_CFG_ZONE_MAX,
			    cfg_describe(c, n));
	return 0;
}

int cfg_set_default(struct ctx *c, char **s, const char *v)
{
	if (*s)
		return 0;
	*s = strdup(v);
	return *s ? 0 : fail_nomem(c);
}

/* An absolute path shorter than max bytes into *out (owned). */
static int get_path(struct ctx *c, yaml_node_t *n, const char *field,
		    size_t max, char **out)
{
	int err = cfg_get_string(c, n, field, out);

	if (!err && ((*out)[0] != '/' || strlen(*out) >= max))
		err = fail(c, n, field, "must be an absolute path shorter "
			   "than %zu bytes, got %s", max, cfg_describe(c, n));
	return err;
}


int cfg_get_has_addr(struct ctx *c, yaml_node_t *n, const char *field,
		     __u8 want, union xlb_addr *addr, bool *has)
{
	__u8 family;
	int err = cfg_get_addr(c, n, field, want, addr, &family);

	*has = !err;
	return err;
}

/* ---- key tables ---- */

/* A KEY_ENUM is written as an unsigned int: what GCC and Clang make of an
 * enum without negative values. */
#define ENUM_OK(e) __builtin_types_compatible_p(enum e, unsigned int)
_Static_assert(ENUM_OK(cfg_hc_type) && ENUM_OK(cfg_forwarding) &&
		       ENUM_OK(cfg_affinity) && ENUM_OK(cfg_when_all_down) &&
		       ENUM_OK(cfg_weighting),
	       "KEY_ENUM targets are unsigned int");

int cfg_get_key(struct ctx *c, yaml_node_t *n, const char *field,
		const struct cfg_key *k, void *obj)
{
	void *p = (char *)obj + k->off;
	unsigned long long u;
	int err = 0;

	switch (k->kind) {
	case KEY_FN:
		return k->fn(c, n, field, obj);
	case KEY_STR:
		err = cfg_get_string(c, n, field, p);
		break;
	case KEY_PATH:
		err = get_path(c, n, field, (size_t)k->max, p);
		break;
	case KEY_ZONE:
		err = cfg_get_zone(c, n, field, p);
		break;
	case KEY_BOOL:
		err = get_bool(c, n, field, p);
		break;
	case KEY_U16:
		err = cfg_get_uint(c, n, field, k->min, k->max, &u);
		if (!err)
			*(__u16 *)p = (__u16)u;
		break;
	case KEY_U32:
		err = cfg_get_uint(c, n, field, k->min, k->max, &u);
		if (!err)
			*(__u32 *)p = (__u32)u;
		break;
	case KEY_MS:
		err = cfg_get_duration(c, n, field, p);
		break;
	case KEY_SHARE:
		err = get_fraction(c, n, field, !k->min, p);
		break;
	case KEY_ENUM:
		err = cfg_get_enum(c, n, field, k->names, k->n_names, p);
		break;
	}
	if (!err && k->fn)
		err = k->fn(c, n, field, obj);
	return err;
}

int cfg_get_keys(struct ctx *c, yaml_node_t *n, const char *base,
		 const struct map *m, const struct cfg_key *keys, size_t count,
		 void *obj)
{
	char f[FIELD_LEN];
	int err = 0;

	for (size_t i = 0; !err && i < count; i++) {
		const struct cfg_key *k = &keys[i];
		struct kv *kv = cfg_map_get(m, k->name);

		cfg_join(f, base, k->name);
		if (kv)
			err = cfg_get_key(c, kv->val, f, k, obj);
		else if (k->required)
			err = fail(c, n, f, "%s", k->required);
	}
	return err;
}

int cfg_get_section(struct ctx *c, yaml_node_t *n, const char *base,
		    const char *const *known, const struct cfg_key *keys,
		    size_t count, void *obj)
{
	struct map m = {};
	int err = cfg_map_collect(c, n, base, &m);

	if (!err)
		err = cfg_check_keys(c, &m, base, known);
	if (!err)
		err = cfg_get_keys(c, n, base, &m, keys, count, obj);
	cfg_map_free(&m);
	return err;
}
