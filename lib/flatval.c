/* SPDX-License-Identifier: MIT */
/* flatval: the values, keys and collisions of the ddbflat engine. It owns
 * what one record's output is made of: DynamoDB number text to JSON
 * number tokens (flat_number), typed values (S, N, B, BOOL, NULL, sets,
 * maps flattened into key paths, lists as plain JSON or by index), the
 * key path and the separator, the key filter and set that find a key
 * written twice, the collision order and renaming (ddbflat(1), Key
 * collisions), and the rejection of a map that names an attribute twice.
 * Record shapes and metadata are lib/flatrec.c's; framing lib/flat.c's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "b64.h"
#include "flatint.h"
#include "util.h"

/* ---- numbers ---------------------------------------------------------- */

int
flat_number(const char *s, size_t n, char *dst)
{
	size_t i = 0, o = 0, is, ie, fs, fe;

	if (n == 0)
		return -1;
	if (s[i] == '-')
		dst[o++] = s[i++];
	else if (s[i] == '+')
		i++;
	is = i;
	while (i < n && s[i] >= '0' && s[i] <= '9')
		i++;
	ie = i;
	fs = fe = i;
	if (i < n && s[i] == '.') {
		fs = ++i;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
		fe = i;
	}
	if (ie == is && fe == fs)
		return -1;	/* no digits at all */
	/* integer part without leading zeros, "0" when empty */
	while (is + 1 < ie && s[is] == '0')
		is++;
	if (ie == is)
		dst[o++] = '0';
	else {
		memcpy(dst + o, s + is, ie - is);
		o += ie - is;
	}
	if (fe > fs) {
		dst[o++] = '.';
		memcpy(dst + o, s + fs, fe - fs);
		o += fe - fs;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		dst[o++] = s[i++];
		if (i < n && (s[i] == '+' || s[i] == '-'))
			dst[o++] = s[i++];
		if (i == n || s[i] < '0' || s[i] > '9')
			return -1;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			dst[o++] = s[i++];
	}
	if (i != n)
		return -1;
	return (int)o;
}

/* ---- keys and the collision set --------------------------------------- */

static uint32_t
hash(const char *s, size_t n)
{
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ n, w;

	while (n >= 8) {
		memcpy(&w, s, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdULL;
		h ^= h >> 32;
		s += 8;
		n -= 8;
	}
	w = 0;
	while (n > 0)
		w = w << 8 | (unsigned char)s[--n];
	h = (h ^ w) * 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 29;
	return (uint32_t)h;
}

void
flat_keyset_init(struct flat_keyset *ks)
{
	ks->cap = 256;
	ks->slot = xcalloc(ks->cap, sizeof *ks->slot);
	ks->n = 0;
	ks->gen = 1;
}

void
flat_keyset_free(struct flat_keyset *ks)
{
	if (ks == NULL)
		return;
	free(ks->slot);
	ks->slot = NULL;
	ks->cap = ks->n = 0;
}

void
flat_keyset_reset(struct flat_keyset *ks)
{
	ks->n = 0;
	if (++ks->gen == 0) {
		memset(ks->slot, 0, ks->cap * sizeof *ks->slot);
		ks->gen = 1;
	}
}

/* Move this generation's keys to a table twice the size: rare, only for
 * records with many attributes. */
static void
keyset_grow(struct flat_keyset *ks)
{
	struct flat_kslot *old = ks->slot;
	size_t oldcap = ks->cap, j, i, m;

	ks->cap *= 2;
	ks->slot = xcalloc(ks->cap, sizeof *ks->slot);
	m = ks->cap - 1;
	for (j = 0; j < oldcap; j++) {
		if (old[j].gen != ks->gen)
			continue;
		i = old[j].hash & m;
		while (ks->slot[i].gen == ks->gen)
			i = (i + 1) & m;
		ks->slot[i] = old[j];
	}
	free(old);
}

int
flat_keyset_add(struct flat_keyset *ks, const char *base, uint32_t off,
    uint32_t len)
{
	uint32_t h = hash(base + off, len);
	size_t m, i;
	struct flat_kslot *k;

	if (2 * (ks->n + 1) > ks->cap)
		keyset_grow(ks);
	m = ks->cap - 1;
	for (i = h & m;; i = (i + 1) & m) {
		k = &ks->slot[i];
		if (k->gen != ks->gen)
			break;
		if (k->hash == h && k->len == len &&
		    memcmp(base + k->off, base + off, len) == 0)
			return 1;
	}
	k->gen = ks->gen;
	k->hash = h;
	k->off = off;
	k->len = len;
	ks->n++;
	return 0;
}

int
flatval_path_push(struct flat *f, const char *s, size_t n, int escaped)
{
	if (f->depth == PATH_MAX_DEPTH)
		return flat_fail(f, "TooDeep", "attribute nesting too deep");
	f->pathoff[f->depth++] = f->key.len;
	if (buf_grow(&f->key, f->seplen + 6 * n) < 0)
		return flat_fail(f, "TooLarge", "attribute path too long");
	if (f->depth > 1)
		buf_put(&f->key, f->sep, f->seplen);
	if (escaped)
		buf_put(&f->key, s, n);
	else
		f->key.len += json_escape(s, n, f->key.p + f->key.len);
	return 0;
}

void
flatval_path_pop(struct flat *f)
{
	f->key.len = f->pathoff[--f->depth];
}

/* Push a member name token as a path component, in canonical escaped form
 * (escapes resolved, then only what JSON requires escaped). */
static int
path_push_tok(struct flat *f, const char *base, const struct json_tok *t)
{
	size_t n;

	if (!(t->flags & JSON_F_ESC))
		return flatval_path_push(f, base + t->start, t->end - t->start,
		    1);
	f->tmp.len = 0;
	if (buf_grow(&f->tmp, t->end - t->start) < 0)
		return flat_fail(f, "TooLarge", "attribute name too long");
	n = json_unescape(base, t, f->tmp.p);
	return flatval_path_push(f, f->tmp.p, n, 0);
}

/* The key filter's slot for a key: 12 bits of a hash of its first and
 * last eight bytes and its length. Equal keys always share a slot, so a
 * record whose keys all land in different slots holds no key twice. */
static inline unsigned
key_slot(const char *p, size_t n)
{
	uint64_t a = 0, b = 0;
	uint32_t x, y;

	if (n >= 8) {
		memcpy(&a, p, 8);
		memcpy(&b, p + n - 8, 8);
	} else if (n >= 4) {
		memcpy(&x, p, 4);
		memcpy(&y, p + n - 4, 4);
		a = x;
		b = y;
	} else if (n > 0) {
		a = (unsigned char)p[0] | (unsigned)(unsigned char)p[n / 2] << 8 |
		    (unsigned)(unsigned char)p[n - 1] << 16;
	}
	return (unsigned)(((a * 0x9e3779b97f4a7c15ULL) ^
	    (b * 0xc2b2ae3d27d4eb4fULL) ^ (n * 0x165667b19e3779f9ULL)) >>
	    (64 - FLAT_FILTER_BITS));
}

/* Write the current path as the next key; the value follows. */
void
flatval_emit_key(struct flat *f, int cls)
{
	size_t koff;
	struct entry *e;

	if (!f->first)
		out_c(f, ',');
	f->first = 0;
	out_c(f, '"');
	koff = f->out.len;
	out_add(f, f->key.p, f->key.len);
	out_add(f, "\":", 2);
	if (!f->collect) {
		unsigned k = key_slot(f->key.p, f->key.len);
		uint64_t bit = 1ULL << (k & 63);

		/* A shared slot may be a key written twice: check the
		 * record's keys exactly when it is done. */
		if (f->filt[k >> 6] & bit)
			f->suspect = 1;
		f->filt[k >> 6] |= bit;
		if (f->nfw < FLAT_FILTER_TOUCH)
			f->fw[f->nfw] = (uint16_t)(k >> 6);
		f->nfw++;
		if (f->nkp + 2 > f->kpcap) {
			f->kpcap = f->kpcap ? f->kpcap * 2 : 256;
			f->kp = xrealloc(f->kp, f->kpcap * sizeof *f->kp);
		}
		f->kp[f->nkp++] = (uint32_t)koff;
		f->kp[f->nkp++] = (uint32_t)f->key.len;
		return;
	}
	if (f->nent == f->entcap) {
		f->entcap = f->entcap ? f->entcap * 2 : 64;
		f->ent = xrealloc(f->ent, f->entcap * sizeof *f->ent);
	}
	e = &f->ent[f->nent++];
	e->koff = f->keys.len;
	e->klen = f->key.len;
	if (buf_add(&f->keys, f->key.p, f->key.len) < 0)
		f->oflow = 1;
	e->voff = f->out.len;
	e->vlen = 0;
	e->cls = cls;
	e->depth = (uint32_t)f->depth;
	e->loff = f->lens.len;
	for (int d = 0; d < f->depth; d++) {
		uint32_t end = d + 1 < f->depth ? (uint32_t)f->pathoff[d + 1] :
		    (uint32_t)f->key.len;
		uint32_t l = end - (uint32_t)f->pathoff[d];

		if (buf_add(&f->lens, &l, sizeof l) < 0)
			f->oflow = 1;
	}
}

void
flatval_end_value(struct flat *f)
{
	if (f->collect && f->nent > 0)
		f->ent[f->nent - 1].vlen = f->out.len - f->ent[f->nent - 1].voff;
}

/* ---- typed values ----------------------------------------------------- */

/* The attribute path being written, for a message: "%.*s" arguments, cut
 * at 150 bytes. */
#define PATH_ARGS(f) (int)((f)->key.len < 150 ? (f)->key.len : 150), \
	((f)->key.p != NULL ? (f)->key.p : "")

/* A string token's content, unescaped into f->tmp when needed. */
static const char *
tok_text(struct flat *f, const char *base, const struct json_tok *t,
    size_t *n)
{
	if (!(t->flags & JSON_F_ESC)) {
		*n = t->end - t->start;
		return base + t->start;
	}
	f->tmp.len = 0;
	if (buf_grow(&f->tmp, t->end - t->start) < 0) {
		f->oflow = 1;
		*n = 0;
		return "";
	}
	*n = json_unescape(base, t, f->tmp.p);
	return f->tmp.p;
}

static int
write_number(struct flat *f, const char *base, const struct json_tok *t)
{
	const char *s;
	size_t n;
	int k;

	if (t->type != JSON_STRING)
		return flat_fail(f, "BadValue", "attribute %.*s: N value must be a "
		    "string, not a JSON %s", PATH_ARGS(f),
		    t->type == JSON_NUMBER ? "number" : "value");
	s = tok_text(f, base, t, &n);
	if (buf_grow(&f->out, n + 4) < 0)
		return flat_fail(f, "TooLarge", "record output too large");
	if (f->o.numbers_string)
		f->out.p[f->out.len++] = '"';
	k = flat_number(s, n, f->out.p + f->out.len);
	if (k < 0)
		return flat_fail(f, "BadNumber", "attribute %.*s: invalid number "
		    "\"%.*s\"", PATH_ARGS(f), (int)(n > 60 ? 60 : n), s);
	f->out.len += (size_t)k;
	if (f->o.numbers_string)
		f->out.p[f->out.len++] = '"';
	return 0;
}

static int
write_string(struct flat *f, const char *base, const struct json_tok *t,
    const char *tag)
{
	if (t->type != JSON_STRING)
		return flat_fail(f, "BadValue", "attribute %.*s: %s value must be a "
		    "string", PATH_ARGS(f), tag);
	out_c(f, '"');
	out_add(f, base + t->start, t->end - t->start);
	out_c(f, '"');
	return 0;
}

static int
write_binary(struct flat *f, const char *base, const struct json_tok *t)
{
	const char *s;
	size_t n;

	if (t->type != JSON_STRING)
		return flat_fail(f, "BadValue", "attribute %.*s: B value must be a "
		    "base64 string", PATH_ARGS(f));
	s = tok_text(f, base, t, &n);
	if (!b64_valid(s, n))
		return flat_fail(f, "BadBase64", "attribute %.*s: invalid base64 in "
		    "B value", PATH_ARGS(f));
	out_c(f, '"');
	out_add(f, s, n);	/* base64 text needs no escaping */
	out_c(f, '"');
	return 0;
}

static int plain(struct flat *f, const char *base, struct json_toks *ts,
    uint32_t vi);

/* Typed value at vi: returns the tag index in *tag (0 S, ...) and the
 * payload token index in *pi; an M payload must be an object, an L one an
 * array. */
enum { T_S, T_N, T_B, T_BOOL, T_NULL, T_SS, T_NS, T_BS, T_M, T_L };

static int
typed(struct flat *f, const char *base, struct json_toks *ts, uint32_t vi,
    int *tag, uint32_t *pi)
{
	const struct json_tok *v = &ts->t[vi], *k;
	const char *s;
	size_t n;

	if (v->type != JSON_OBJECT)
		return flat_fail(f, "BadValue", "attribute %.*s: value is not a typed "
		    "object like {\"S\":...}", PATH_ARGS(f));
	if (v->n != 1)
		return flat_fail(f, "BadValue", "attribute %.*s: expected exactly one "
		    "type tag, found %u", PATH_ARGS(f), v->n);
	k = &ts->t[vi + 1];
	s = base + k->start;
	n = k->end - k->start;
	*pi = vi + 2;
	if (k->flags & JSON_F_ESC)
		goto unknown;
	switch (n) {
	case 1:
		switch (s[0]) {
		case 'S': *tag = T_S; return 0;
		case 'N': *tag = T_N; return 0;
		case 'B': *tag = T_B; return 0;
		case 'M':
			*tag = T_M;
			if (ts->t[*pi].type == JSON_OBJECT)
				return 0;
			return flat_fail(f, "BadValue", "attribute %.*s: M "
			    "value must be an object", PATH_ARGS(f));
		case 'L':
			*tag = T_L;
			if (ts->t[*pi].type == JSON_ARRAY)
				return 0;
			return flat_fail(f, "BadValue", "attribute %.*s: L "
			    "value must be an array", PATH_ARGS(f));
		}
		break;
	case 2:
		if (s[1] != 'S')
			break;
		switch (s[0]) {
		case 'S': *tag = T_SS; return 0;
		case 'N': *tag = T_NS; return 0;
		case 'B': *tag = T_BS; return 0;
		}
		break;
	case 4:
		if (memcmp(s, "BOOL", 4) == 0) {
			*tag = T_BOOL;
			return 0;
		}
		if (memcmp(s, "NULL", 4) == 0) {
			*tag = T_NULL;
			return 0;
		}
		break;
	}
unknown:
	return flat_fail(f, "UnknownType", "attribute %.*s: unknown type tag \"%.*s\"",
	    PATH_ARGS(f), (int)(n > 20 ? 20 : n), s);
}

static int
write_set(struct flat *f, const char *base, struct json_toks *ts,
    uint32_t pi, int tag)
{
	const struct json_tok *a = &ts->t[pi];
	uint32_t k, e;
	static const char *names[] = { [T_SS] = "SS", [T_NS] = "NS",
	    [T_BS] = "BS" };

	if (a->type != JSON_ARRAY)
		return flat_fail(f, "BadValue", "attribute %.*s: %s value must be an "
		    "array", PATH_ARGS(f), names[tag]);
	out_c(f, '[');
	for (k = 0, e = pi + 1; k < a->n; k++, e = ts->t[e].next) {
		if (k > 0)
			out_c(f, ',');
		if (ts->t[e].type != JSON_STRING)
			return flat_fail(f, "BadValue", "attribute %.*s: %s elements "
			    "must be strings", PATH_ARGS(f), names[tag]);
		if ((tag == T_SS ? write_string(f, base, &ts->t[e], "SS") :
		    tag == T_NS ? write_number(f, base, &ts->t[e]) :
		    write_binary(f, base, &ts->t[e])) < 0)
			return -1;
	}
	out_c(f, ']');
	return 0;
}

static int
write_scalar(struct flat *f, const char *base, struct json_toks *ts,
    uint32_t pi, int tag)
{
	const struct json_tok *p = &ts->t[pi];

	switch (tag) {
	case T_S:
		return write_string(f, base, p, "S");
	case T_N:
		return write_number(f, base, p);
	case T_B:
		return write_binary(f, base, p);
	case T_BOOL:
		if (p->type != JSON_TRUE && p->type != JSON_FALSE)
			return flat_fail(f, "BadValue", "attribute %.*s: BOOL value "
			    "must be true or false", PATH_ARGS(f));
		if (p->type == JSON_TRUE)
			out_add(f, "true", 4);
		else
			out_add(f, "false", 5);
		return 0;
	case T_NULL:
		if (p->type != JSON_TRUE)
			return flat_fail(f, "BadValue", "attribute %.*s: NULL value "
			    "must be true", PATH_ARGS(f));
		out_add(f, "null", 4);
		return 0;
	default:
		return write_set(f, base, ts, pi, tag);
	}
}

static int
name_fail(struct flat *f, const char *s, size_t n)
{
	return flat_fail(f, "DuplicateAttribute", "attribute %.*s: a map in "
	    "a list names \"%.*s\" twice", PATH_ARGS(f), (int)(n < 60 ? n : 60),
	    s);
}

/* The map at oi (two members or more) is written as a JSON object: fail
 * if it names a member twice (names compared with escapes resolved). Up
 * to eight plain names are compared pairwise; otherwise the names go
 * through the key set. */
static int
named_twice(struct flat *f, const char *base, const struct json_toks *ts,
    uint32_t oi)
{
	const struct json_tok *o = &ts->t[oi], *a, *b;
	uint32_t idx[8], k, j, e, n = o->n;
	size_t off;

	for (k = 0, e = oi + 1; k < n && k < 8; k++, e = ts->t[e + 1].next) {
		if (ts->t[e].flags & JSON_F_ESC)
			break;
		idx[k] = e;
	}
	if (k == n) {
		for (k = 1; k < n; k++)
			for (j = 0, a = &ts->t[idx[k]]; j < k; j++) {
				b = &ts->t[idx[j]];
				if (a->end - a->start == b->end - b->start &&
				    memcmp(base + a->start, base + b->start,
				    a->end - a->start) == 0)
					return name_fail(f, base + a->start,
					    a->end - a->start);
			}
		return 0;
	}
	f->names.len = 0;
	flat_keyset_reset(&f->nset);
	for (k = 0, e = oi + 1; k < n; k++, e = ts->t[e + 1].next) {
		a = &ts->t[e];
		off = f->names.len;
		if (buf_grow(&f->names, a->end - a->start) < 0)
			return flat_fail(f, "TooLarge", "attribute names too "
			    "long");
		f->names.len += json_unescape(base, a, f->names.p + off);
		if (flat_keyset_add(&f->nset, f->names.p, (uint32_t)off,
		    (uint32_t)(f->names.len - off)))
			return name_fail(f, f->names.p + off,
			    f->names.len - off);
	}
	return 0;
}

/* A typed value as plain JSON (inside lists). */
static int
plain(struct flat *f, const char *base, struct json_toks *ts, uint32_t vi)
{
	int tag;
	uint32_t pi, k, e;
	const struct json_tok *p;

	if (typed(f, base, ts, vi, &tag, &pi) < 0)
		return -1;
	p = &ts->t[pi];
	if (tag == T_M) {
		if (p->n > 1 && named_twice(f, base, ts, pi) < 0)
			return -1;
		out_c(f, '{');
		for (k = 0, e = pi + 1; k < p->n; k++, e = ts->t[e + 1].next) {
			if (k > 0)
				out_c(f, ',');
			out_c(f, '"');
			out_add(f, base + ts->t[e].start,
			    ts->t[e].end - ts->t[e].start);
			out_add(f, "\":", 2);
			if (plain(f, base, ts, e + 1) < 0)
				return -1;
		}
		out_c(f, '}');
		return 0;
	}
	if (tag == T_L) {
		out_c(f, '[');
		for (k = 0, e = pi + 1; k < p->n; k++, e = ts->t[e].next) {
			if (k > 0)
				out_c(f, ',');
			if (plain(f, base, ts, e) < 0)
				return -1;
		}
		out_c(f, ']');
		return 0;
	}
	return write_scalar(f, base, ts, pi, tag);
}

/* An empty map or list ("{}" or "[]") as the value of the current key. */
static int
empty(struct flat *f, int cls, const char *json)
{
	flatval_emit_key(f, cls);
	out_add(f, json, 2);
	flatval_end_value(f);
	return 0;
}

/* The attribute whose name is on the path, value at vi. */
static int
attr(struct flat *f, const char *base, struct json_toks *ts, uint32_t vi,
    int cls)
{
	int tag;
	uint32_t pi, k, e;
	const struct json_tok *p;
	char idx[24];

	if (typed(f, base, ts, vi, &tag, &pi) < 0)
		return -1;
	p = &ts->t[pi];
	if (tag == T_M) {
		if (p->n == 0)
			return empty(f, cls, "{}");
		for (k = 0, e = pi + 1; k < p->n; k++, e = ts->t[e + 1].next) {
			if (path_push_tok(f, base, &ts->t[e]) < 0 ||
			    attr(f, base, ts, e + 1, cls) < 0)
				return -1;
			flatval_path_pop(f);
		}
		return 0;
	}
	if (tag == T_L && f->o.lists_index) {
		if (p->n == 0)
			return empty(f, cls, "[]");
		for (k = 0, e = pi + 1; k < p->n; k++, e = ts->t[e].next) {
			int l = snprintf(idx, sizeof idx, "%u", k);

			if (flatval_path_push(f, idx, (size_t)l, 1) < 0 ||
			    attr(f, base, ts, e, cls) < 0)
				return -1;
			flatval_path_pop(f);
		}
		return 0;
	}
	flatval_emit_key(f, cls);
	if ((tag == T_L ? plain(f, base, ts, vi) :
	    write_scalar(f, base, ts, pi, tag)) < 0)
		return -1;
	flatval_end_value(f);
	return 0;
}

/* All attributes of an item (attribute map at mi), under prefix. */
int
flatval_item(struct flat *f, const char *base, struct json_toks *ts, uint32_t mi,
    int cls, const char *what)
{
	const struct json_tok *m = &ts->t[mi];
	uint32_t k, e;
	int pushed = 0;

	if (m->type != JSON_OBJECT)
		return flat_fail(f, "BadRecord", "%s is not an object", what);
	if (cls == CLS_OLD) {
		if (flatval_path_push(f, "_old", 4, 1) < 0)
			return -1;
		pushed = 1;
	}
	for (k = 0, e = mi + 1; k < m->n; k++, e = ts->t[e + 1].next) {
		if (path_push_tok(f, base, &ts->t[e]) < 0 ||
		    attr(f, base, ts, e + 1, cls) < 0)
			return -1;
		flatval_path_pop(f);
	}
	if (pushed)
		flatval_path_pop(f);
	return 0;
}


void
flatval_begin(struct flat *f)
{
	f->out.len = 0;
	out_c(f, '{');
	f->first = 1;
	f->key.len = 0;
	f->depth = 0;
	f->collided = 0;
	f->suspect = 0;
	/* Clear the filter words the last record touched. */
	if (f->nfw > FLAT_FILTER_TOUCH)
		memset(f->filt, 0, sizeof f->filt);
	else
		while (f->nfw > 0)
			f->filt[f->fw[--f->nfw]] = 0;
	f->nfw = 0;
	f->nkp = 0;
	f->nent = 0;
	f->keys.len = 0;
	f->lens.len = 0;
	flat_keyset_reset(&f->set);
}

/* Emit the chosen image(s) of a change: op is INSERT/MODIFY/REMOVE. */

/* ---- collisions ------------------------------------------------------- */

/* One entry as the collision order sees it; the pointers stay valid while
 * the entries are sorted (nothing is appended to keys or lens then). */
struct sortent {
	const char *key;
	const char *lens;	/* depth uint32 component lengths */
	size_t klen;
	uint32_t depth;
	uint32_t idx;		/* in f->ent */
	int cls;
};

/* The order of COLLISIONS in ddbflat(1): key text, then class (metadata,
 * new image, old image), then fewer components, then shorter components
 * from the left. Two entries compare equal only when their paths are the
 * same: a map names an attribute twice. */
static int
cmp_entries(const void *a, const void *b)
{
	const struct sortent *x = a, *y = b;
	size_t n = x->klen < y->klen ? x->klen : y->klen;
	int c = memcmp(x->key, y->key, n);
	uint32_t lx, ly;

	if (c != 0)
		return c;
	if (x->klen != y->klen)
		return x->klen < y->klen ? -1 : 1;
	if (x->cls != y->cls)
		return x->cls < y->cls ? -1 : 1;
	if (x->depth != y->depth)
		return x->depth < y->depth ? -1 : 1;
	for (uint32_t d = 0; d < x->depth; d++) {
		memcpy(&lx, x->lens + d * 4, 4);
		memcpy(&ly, y->lens + d * 4, 4);
		if (lx != ly)
			return lx < ly ? -1 : 1;
	}
	return 0;
}

int
flatval_collides(struct flat *f)
{
	size_t i;

	if (f->suspect) {
		flat_keyset_reset(&f->set);
		for (i = 0; i < f->nkp && !f->collided; i += 2)
			if (flat_keyset_add(&f->set, f->out.p, f->kp[i],
			    f->kp[i + 1]))
				f->collided = 1;
	}
	return f->collided;
}

/* f->ord: the entries in collision order. */
static void
sort_entries(struct flat *f)
{
	size_t i;

	if (f->nent > f->ordcap) {
		f->ordcap = f->nent * 2;
		f->ord = xrealloc(f->ord, f->ordcap * sizeof *f->ord);
	}
	for (i = 0; i < f->nent; i++) {
		struct sortent *o = &f->ord[i];
		const struct entry *e = &f->ent[i];

		o->key = f->keys.p + e->koff;
		o->klen = e->klen;
		o->lens = f->lens.p + e->loff;
		o->depth = e->depth;
		o->cls = e->cls;
		o->idx = (uint32_t)i;
	}
	qsort(f->ord, f->nent, sizeof *f->ord, cmp_entries);
}

/* Give entry e the key + separator + the smallest number from 2 up that no
 * other key has. */
static int
rename_entry(struct flat *f, struct entry *e, uint64_t lineno)
{
	char msg[256];
	size_t j, off;

	for (j = 2;; j++) {
		off = f->keys.len;
		if (buf_grow(&f->keys, e->klen + f->seplen + 24) < 0)
			return -1;
		buf_put(&f->keys, f->keys.p + e->koff, e->klen);
		buf_put(&f->keys, f->sep, f->seplen);
		f->keys.len += (size_t)snprintf(f->keys.p + f->keys.len, 24,
		    "%zu", j);
		if (!flat_keyset_add(&f->set, f->keys.p, (uint32_t)off,
		    (uint32_t)(f->keys.len - off)))
			break;
		f->keys.len = off;
	}
	e->nkoff = off;
	e->nklen = f->keys.len - off;
	f->c.collisions++;
	snprintf(msg, sizeof msg, "key collision: \"%.*s\" renamed to "
	    "\"%.*s\"", (int)e->klen, f->keys.p + e->koff, (int)e->nklen,
	    f->keys.p + off);
	if (f->sink.warn != NULL)
		f->sink.warn(f->sink.ctx, lineno, msg);
	return 0;
}

/* Rename colliding keys (see COLLISIONS in ddbflat(1)) and rebuild the
 * record in f->out from the entries. */
int
flatval_resolve(struct flat *f, uint64_t lineno)
{
	struct buf *rec = &f->rec;
	size_t i;
	int rc = 0;

	sort_entries(f);
	for (i = 1; i < f->nent; i++)
		if (cmp_entries(&f->ord[i - 1], &f->ord[i]) == 0)
			return flat_fail(f, "DuplicateAttribute", "attribute "
			    "\"%.*s\" is named twice in one map",
			    (int)(f->ord[i].klen < 150 ? f->ord[i].klen : 150),
			    f->ord[i].key);
	/* all original keys first, so renames avoid them */
	flat_keyset_reset(&f->set);
	for (i = 0; i < f->nent; i++) {
		f->ent[i].nkoff = f->ent[i].koff;
		f->ent[i].nklen = f->ent[i].klen;
		flat_keyset_add(&f->set, f->keys.p, (uint32_t)f->ent[i].koff,
		    (uint32_t)f->ent[i].klen);
	}
	for (i = 1; i < f->nent && rc == 0; i++) {
		struct entry *e = &f->ent[f->ord[i].idx];
		const struct entry *p = &f->ent[f->ord[i - 1].idx];

		if (e->klen == p->klen && memcmp(f->keys.p + e->koff,
		    f->keys.p + p->koff, e->klen) == 0)
			rc = rename_entry(f, e, lineno);
	}
	rec->len = 0;
	rc |= buf_addc(rec, '{');
	for (i = 0; i < f->nent && rc == 0; i++) {
		const struct entry *e = &f->ent[i];

		if (i > 0)
			rc |= buf_addc(rec, ',');
		rc |= buf_addc(rec, '"');
		rc |= buf_add(rec, f->keys.p + e->nkoff, e->nklen);
		rc |= buf_add(rec, "\":", 2);
		rc |= buf_add(rec, f->out.p + e->voff, e->vlen);
	}
	rc |= buf_add(rec, "}\n", 2);
	f->out.len = 0;
	if (rc == 0)
		rc = buf_add(&f->out, rec->p, rec->len);
	return rc < 0 ? flat_fail(f, "TooLarge", "record output too large") : 0;
}
