/* SPDX-License-Identifier: GPL-2.0 */
/* Inside the config parser, for its files only (others use config.h):
 *   config.c       the file, the document, the top-level keys, config_free
 *   config_yaml.c  the YAML walk: errors, mappings and merge keys, lists
 *   config_get.c   typed values, and the key tables sections are read with
 *   config_vip.c   vips: and their backends
 *   config_hc.c    health_check: of a VIP or a backend
 *   config_bgp.c   bgp:
 * A section has a list of the keys it knows, whose order "did you mean"
 * follows, and a table of how to read them, in the order they are read
 * (which decides the error a file with several gets). */
#ifndef XLB_CONFIG_PRIV_H
#define XLB_CONFIG_PRIV_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <sys/un.h>

#include <yaml.h>

#include "model/config.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
/* Field paths ("vips[3].backends[12].health_check.port") fit easily. */
#define FIELD_LEN 128
/* The longest Unix socket path, with its NUL. */
#define SUN_PATH_LEN sizeof(((struct sockaddr_un *)0)->sun_path)

struct ctx {
	yaml_document_t *doc;
	const char *name;	/* file name for messages */
	char *err;
	size_t errlen;
	char desc[96];		/* cfg_describe()'s buffer */
	const char *zone;	/* the top-level zone, parsed before vips */
	size_t backends;	/* of every VIP so far */
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

/* ---- nodes ---- */

static inline yaml_node_t *node_of(struct ctx *c, int id)
{
	return yaml_document_get_node(c->doc, id);
}

static inline const char *sval(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

static inline bool is_plain(const yaml_node_t *n)
{
	return n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE ||
	       n->data.scalar.style == YAML_ANY_SCALAR_STYLE;
}

static inline unsigned long line_of(const yaml_node_t *n)
{
	return n ? (unsigned long)n->start_mark.line + 1 : 1;
}

/* names[i], or "?" past the end or in a hole. */
static inline const char *name_of(const char *const *names, size_t n,
				  unsigned int i)
{
	return i < n && names[i] ? names[i] : "?";
}

static inline bool addr_eq(const union xlb_addr *a, __u8 fa,
			   const union xlb_addr *b, __u8 fb)
{
	return fa == fb && !memcmp(a, b, sizeof(*a));
}

/* ---- the YAML walk (config_yaml.c) ---- */

/* Writes "FILE:LINE: FIELD: message"; see fail(). */
__attribute__((format(printf, 4, 5))) void
cfg_report(struct ctx *c, const yaml_node_t *n, const char *field,
	   const char *fmt, ...);
/* Reports and evaluates to -EINVAL (a macro, so that static analysers see
 * the value: they do not follow variadic functions). */
#define fail(c, n, field, ...) (cfg_report(c, n, field, __VA_ARGS__), -EINVAL)
void cfg_report_nomem(struct ctx *c);
#define fail_nomem(c) (cfg_report_nomem(c), -ENOMEM)

/* Formats a field path into buf (FIELD_LEN bytes). */
__attribute__((format(printf, 2, 3))) void cfg_field(char *buf,
						      const char *fmt, ...);
/* base.key into buf (FIELD_LEN bytes); key alone when base is "". */
void cfg_join(char *buf, const char *base, const char *key);

/* A null scalar: "", "~", "null". */
bool cfg_is_null(const yaml_node_t *n);
/* What a node is, for "must be X, got Y" (valid until the next call). */
const char *cfg_describe(struct ctx *c, const yaml_node_t *n);

/* The keys of the mapping node into m (merge keys resolved); free it with
 * cfg_map_free() whatever this returns. */
int cfg_map_collect(struct ctx *c, yaml_node_t *node, const char *field,
		    struct map *m);
struct kv *cfg_map_get(const struct map *m, const char *key);
void cfg_map_free(struct map *m);
/* Every key must be one of known (NULL-terminated); else "unknown key",
 * with the nearest known one as a suggestion. */
int cfg_check_keys(struct ctx *c, const struct map *m, const char *field,
		   const char *const *known);
/* A list, or nothing (null) for an empty one. */
int cfg_get_list(struct ctx *c, yaml_node_t *n, const char *field,
		 yaml_node_item_t **items, size_t *count);

/* How a list is read into a new array of its items. */
struct cfg_list {
	size_t size;		/* of an element */
	const char *empty;	/* the error for an empty list; NULL: none */
	/* Checks the count before anything is allocated; NULL: any. */
	int (*check)(struct ctx *c, yaml_node_t *n, const char *field,
		     size_t count);
	/* Reads item i (at field "LIST[i]") into element i of the array. */
	int (*item)(struct ctx *c, yaml_node_t *n, const char *field,
		    size_t i, void *obj);
};

/* Reads the list n (or nothing): l->empty, l->check, then a zeroed
 * array of count elements, stored at arrp (the address of the caller's
 * typed pointer) with count at *len, then the items one by one with
 * l->item(..., obj): config_free() finds whatever they got. */
int cfg_get_array(struct ctx *c, yaml_node_t *n, const char *field,
		  const struct cfg_list *l, void *arrp, size_t *len, void *obj);

/* ---- typed values (config_get.c) ---- */

int cfg_want_scalar(struct ctx *c, yaml_node_t *n, const char *field,
		    const char *what);
/* A string without NUL bytes; *out (owned) is replaced. */
int cfg_get_string(struct ctx *c, yaml_node_t *n, const char *field,
		   char **out);
/* An integer within min..max (KEY_U16 and KEY_U32 narrow it). */
int cfg_get_uint(struct ctx *c, yaml_node_t *n, const char *field,
		 unsigned long long min, unsigned long long max,
		 unsigned long long *out);
/* A number (a multiple: "2", "1.5", "150%"), within min..max. */
int cfg_get_decimal(struct ctx *c, yaml_node_t *n, const char *field,
		    double min, double max, double *out);
/* One of names[0..count-1]; writes the index. */
int cfg_get_enum(struct ctx *c, yaml_node_t *n, const char *field,
		 const char *const *names, size_t count, unsigned int *out);
/* "10ms", "1.5s", "2m", "1h" into milliseconds, at least 1. */
int cfg_get_duration(struct ctx *c, yaml_node_t *n, const char *field,
		     __u32 *out);
/* An address usable for a VIP, backend or tunnel source; of family want
 * (0: either). */
int cfg_get_addr(struct ctx *c, yaml_node_t *n, const char *field, __u8 want,
		 union xlb_addr *addr, __u8 *family);
/* The same for an optional key of one family: *has tells it was given. */
int cfg_get_has_addr(struct ctx *c, yaml_node_t *n, const char *field,
		     __u8 want, union xlb_addr *addr, bool *has);
/* A zone name into *out (owned). */
int cfg_get_zone(struct ctx *c, yaml_node_t *n, const char *field,
		 char **out);

/* A YAML integer: decimal or 0x hex, '_' between digits; -EINVAL or
 * -ERANGE, silently. */
int cfg_parse_int(const char *s, bool *neg, unsigned long long *v);
/* A YAML boolean (true, yes, on, ...) into *out; -EINVAL, silently, for
 * anything else. */
int cfg_bool_of(const yaml_node_t *n, bool *out);
bool cfg_has_space_or_ctl(const char *s);
/* *s = strdup(v) unless *s is set already. */
int cfg_set_default(struct ctx *c, char **s, const char *v);

/* ---- key tables (config_get.c) ---- */

/* How a key is read, and where its value goes: at off in the section's
 * struct (obj), in the manner of the kernel's ctl_table. */
enum cfg_kind {
	KEY_FN,		/* fn reads it, and nothing else */
	KEY_STR,	/* char *, owned */
	KEY_PATH,	/* char *, an absolute path shorter than max */
	KEY_ZONE,	/* char *, a zone name */
	KEY_BOOL,	/* bool */
	KEY_U16,	/* __u16 within min..max */
	KEY_U32,	/* __u32 within min..max */
	KEY_MS,		/* __u32: a duration in milliseconds */
	KEY_SHARE,	/* double: a share of 0..1; min 1: above 0 */
	KEY_ENUM,	/* an enum (unsigned int): the index in names */
};

typedef int cfg_fn(struct ctx *c, yaml_node_t *n, const char *field,
		   void *obj);

struct cfg_key {
	const char *name;
	enum cfg_kind kind;
	size_t off;
	unsigned long long min, max;
	const char *const *names;	/* KEY_ENUM */
	size_t n_names;
	cfg_fn *fn;		/* KEY_FN: reads the key; others: checks the
				 * value once read */
	const char *required;	/* the message when it is missing;
				 * NULL: optional */
};

/* A table entry: name, kind, place, then what the kind needs of .min,
 * .max, .fn, .required and KEY_NAMES(). */
#define KEY(n, k, o, ...) { .name = (n), .kind = (k), .off = (o), __VA_ARGS__ }
/* An entry fn reads. */
#define FN_KEY(n, f, ...) KEY(n, KEY_FN, 0, .fn = (f), __VA_ARGS__)
#define KEY_NAMES(a) .names = (a), .n_names = ARRAY_SIZE(a)

/* Reads one key's value n into obj. */
int cfg_get_key(struct ctx *c, yaml_node_t *n, const char *field,
		const struct cfg_key *k, void *obj);
/* Reads the keys of the table, in its order, from m (the mapping n at
 * base) into obj: the first error stops. */
int cfg_get_keys(struct ctx *c, yaml_node_t *n, const char *base,
		 const struct map *m, const struct cfg_key *keys, size_t count,
		 void *obj);
/* A whole section: the mapping n at base, its keys checked against known,
 * then read with the table. */
int cfg_get_section(struct ctx *c, yaml_node_t *n, const char *base,
		    const char *const *known, const struct cfg_key *keys,
		    size_t count, void *obj);

/* ---- sections ---- */

/* config_hc.c: a health_check mapping applied over *hc. */
int cfg_hc_defaults(struct ctx *c, struct xlb_cfg_hc *hc);
int cfg_hc_copy(struct ctx *c, struct xlb_cfg_hc *dst,
		const struct xlb_cfg_hc *src);
void cfg_hc_free(struct xlb_cfg_hc *hc);
int cfg_parse_hc(struct ctx *c, yaml_node_t *n, const char *base,
		 struct xlb_cfg_hc *hc);

/* config_vip.c: vips: (obj is the struct xlb_cfg). */
int cfg_parse_vips(struct ctx *c, yaml_node_t *n, const char *field,
		   void *obj);
void cfg_vips_free(struct xlb_cfg *cfg);

/* config_bgp.c: bgp: (obj is the struct xlb_cfg). */
int cfg_parse_bgp(struct ctx *c, yaml_node_t *n, const char *field,
		  void *obj);
void cfg_bgp_free(struct xlb_cfg_bgp *bgp);

#endif /* XLB_CONFIG_PRIV_H */
