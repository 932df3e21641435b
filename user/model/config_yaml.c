// SPDX-License-Identifier: GPL-2.0
/* The YAML walk of the config parser: errors as "FILE:LINE: FIELD:
 * message", what a node is, mappings with their merge keys ("<<: *a")
 * resolved, unknown keys with a "did you mean", lists. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/config_priv.h"

/* Merge keys ("<<: *defaults") may nest this deep, and merge this many
 * mappings in all (aliases make the work grow fast otherwise). */
#define MERGE_DEPTH 8
#define MERGE_MAX 10000

/* ---- errors ---- */

void cfg_report(struct ctx *c, const yaml_node_t *n, const char *field,
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

void cfg_report_nomem(struct ctx *c)
{
	if (c->err && c->errlen)
		snprintf(c->err, c->errlen, "%s: out of memory", c->name);
}

void cfg_field(char *buf, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, FIELD_LEN, fmt, ap);
	va_end(ap);
}

void cfg_join(char *buf, const char *base, const char *key)
{
	cfg_field(buf, "%s%s%s", base, *base ? "." : "", key);
}

bool cfg_is_null(const yaml_node_t *n)
{
	const char *s;

	if (n->type != YAML_SCALAR_NODE || !is_plain(n))
		return false;
	s = sval(n);
	return !*s || !strcmp(s, "~") || !strcmp(s, "null") ||
	       !strcmp(s, "Null") || !strcmp(s, "NULL");
}

const char *cfg_describe(struct ctx *c, const yaml_node_t *n)
{
	const char *s;
	bool cut;

	switch (n->type) {
	case YAML_MAPPING_NODE:
		return "a mapping";
	case YAML_SEQUENCE_NODE:
		return "a list";
	case YAML_SCALAR_NODE:
		if (cfg_is_null(n))
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

void cfg_map_free(struct map *m)
{
	free(m->kv);
	memset(m, 0, sizeof(*m));
}

struct kv *cfg_map_get(const struct map *m, const char *key)
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
			    "got %s", cfg_describe(c, src));
	if (++c->merges > MERGE_MAX)
		return fail(c, src, field, "more than %d merges ('<<')",
			    MERGE_MAX);
	err = map_collect_depth(c, src, field, &sub, depth + 1);
	for (size_t i = 0; !err && i < sub.n; i++)
		if (!cfg_map_get(m, sub.kv[i].key))
			err = map_add(c, m, sub.kv[i].key, sub.kv[i].knode,
				      sub.kv[i].val);
	cfg_map_free(&sub);
	return err;
}

/* The mapping's own keys, merge keys aside: each once. */
static int map_own_keys(struct ctx *c, yaml_node_t *node, const char *field,
			struct map *m)
{
	yaml_node_pair_t *p;
	int err;

	for (p = node->data.mapping.pairs.start;
	     p < node->data.mapping.pairs.top; p++) {
		yaml_node_t *k = node_of(c, p->key), *v = node_of(c, p->value);
		struct kv *prev;

		if (!k || !v)
			return fail(c, node, field, "broken mapping");
		if (k->type != YAML_SCALAR_NODE || cfg_is_null(k))
			return fail(c, k, field, "keys must be names, got %s",
				    cfg_describe(c, k));
		if (is_plain(k) && !strcmp(sval(k), "<<"))
			continue;	/* merged after explicit keys */
		if (strlen(sval(k)) != k->data.scalar.length)
			return fail(c, k, field, "key with a NUL byte");
		prev = cfg_map_get(m, sval(k));
		if (prev)
			return fail(c, k, field,
				    "duplicate key '%s' (first on line %lu)",
				    sval(k), line_of(prev->knode));
		err = map_add(c, m, sval(k), k, v);
		if (err)
			return err;
	}
	return 0;
}

/* "<<: *a" or "<<: [*a, *b]": explicit keys win, then earlier mappings
 * over later ones (YAML's merge key). */
static int map_merge_keys(struct ctx *c, yaml_node_t *node, const char *field,
			  struct map *m, int depth)
{
	yaml_node_pair_t *p;
	int err = 0;

	for (p = node->data.mapping.pairs.start;
	     !err && p < node->data.mapping.pairs.top; p++) {
		yaml_node_t *k = node_of(c, p->key), *v = node_of(c, p->value);
		yaml_node_item_t *it;

		if (!is_plain(k) || strcmp(sval(k), "<<"))
			continue;
		if (v->type != YAML_SEQUENCE_NODE) {
			err = map_merge(c, v, field, m, depth);
			continue;
		}
		for (it = v->data.sequence.items.start;
		     !err && it < v->data.sequence.items.top; it++)
			err = map_merge(c, node_of(c, *it), field, m, depth);
	}
	return err;
}

static int map_collect_depth(struct ctx *c, yaml_node_t *node,
			     const char *field, struct map *m, int depth)
{
	int err;

	if (depth > MERGE_DEPTH)
		return fail(c, node, field, "merge keys ('<<') nested too "
			    "deep");
	if (node->type != YAML_MAPPING_NODE)
		return fail(c, node, field, "must be a mapping, got %s",
			    cfg_describe(c, node));
	err = map_own_keys(c, node, field, m);
	return err ? err : map_merge_keys(c, node, field, m, depth);
}

int cfg_map_collect(struct ctx *c, yaml_node_t *node, const char *field,
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

int cfg_check_keys(struct ctx *c, const struct map *m, const char *field,
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
		cfg_join(f, field, key);
		if (best)
			return fail(c, m->kv[i].knode, f,
				    "unknown key (did you mean '%s'?)", best);
		return fail(c, m->kv[i].knode, f, "unknown key");
	}
	return 0;
}

int cfg_get_list(struct ctx *c, yaml_node_t *n, const char *field,
		 yaml_node_item_t **items, size_t *count)
{
	if (cfg_is_null(n)) {
		*items = NULL;
		*count = 0;
		return 0;
	}
	if (n->type != YAML_SEQUENCE_NODE)
		return fail(c, n, field, "must be a list, got %s",
			    cfg_describe(c, n));
	*items = n->data.sequence.items.start;
	*count = (size_t)(n->data.sequence.items.top -
			  n->data.sequence.items.start);
	return 0;
}

int cfg_get_array(struct ctx *c, yaml_node_t *n, const char *field,
		  const struct cfg_list *l, void *arrp, size_t *len, void *obj)
{
	char f[FIELD_LEN];
	yaml_node_item_t *items = NULL;
	size_t count = 0;
	void *arr;
	int err = cfg_get_list(c, n, field, &items, &count);

	if (!err && !count && l->empty)
		err = fail(c, n, field, "%s", l->empty);
	if (!err && l->check)
		err = l->check(c, n, field, count);
	if (err || !count)
		return err;
	arr = calloc(count, l->size);
	if (!arr)
		return fail_nomem(c);
	/* Into the caller's struct foo *: the same bytes as a void *. */
	memcpy(arrp, &arr, sizeof(arr));
	*len = count;
	for (size_t i = 0; !err && i < count; i++) {
		cfg_field(f, "%s[%zu]", field, i);
		err = l->item(c, node_of(c, items[i]), f, i, obj);
	}
	return err;
}
