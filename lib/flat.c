/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "b64.h"
#include "buf.h"
#include "ddbtime.h"
#include "flat.h"
#include "json.h"
#include "util.h"

#define READ_CHUNK (256 * 1024)
#define PATH_MAX_DEPTH 80

enum { CLS_META, CLS_NEW, CLS_OLD };
enum { HINT_NONE, HINT_ITEM, HINT_RECORD, HINT_FIREHOSE };

/* A slice of text with its JSON type, for metadata carried from an outer
 * envelope (Kinesis/Firehose) to the inner record. */
struct slice {
	const char *p;
	size_t n;
	int type;
};

struct wrapmeta {
	struct slice seq, arrival;
	int arrival_unit;
};

struct kslot {
	uint32_t gen;
	uint32_t hash;
	uint32_t off, len;	/* key text in f->out */
};

/* Collect mode (after a key collision): every entry of the record. */
struct entry {
	size_t koff, klen;	/* in f->keys */
	size_t voff, vlen;	/* in f->out */
	size_t loff;		/* component lengths in f->lens */
	uint32_t depth;
	int cls;
};

struct flat {
	struct flat_opts o;
	struct flat_sink sink;
	char sep[64];		/* escaped separator */
	size_t seplen;

	struct buf win;		/* input window */
	size_t pos;
	int eof;
	uint64_t line;

	struct json_toks tk, tk2;
	struct buf dec;		/* decoded Data */
	struct buf out;		/* the record being built */
	struct buf key;		/* current key path, escaped */
	struct buf tmp;
	size_t pathoff[PATH_MAX_DEPTH + 1];
	int depth;
	int first;

	struct kslot *set;
	size_t setcap, nkeys;
	/* Keys of the record, checked for duplicates only when a path
	 * component contains the separator (or is empty): without that, no
	 * two distinct paths can join to the same key. */
	uint32_t *kp;		/* offset, length pairs in f->out */
	size_t nkp, kpcap;
	int risky;
	int sep1;		/* separator is one plain byte */
	uint32_t gen;
	int collided, collect;
	struct entry *ent;
	size_t nent, entcap;
	struct buf keys;	/* collect mode: key texts */
	struct buf lens;	/* collect mode: uint32 component lengths */

	/* error of the record being processed */
	const char *ecode;
	char emsg[512];
	int oflow;		/* a buffer hit its cap: the record fails */
	size_t eat;		/* byte offset of the error in the unit */

	struct flat_counts c;
};

static int
fail(struct flat *f, const char *code, const char *fmt, ...)
{
	va_list ap;

	f->ecode = code;
	va_start(ap, fmt);
	vsnprintf(f->emsg, sizeof f->emsg, fmt, ap);
	va_end(ap);
	return -1;
}

struct flat *
flat_new(const struct flat_opts *o, const struct flat_sink *s)
{
	struct flat *f = xcalloc(1, sizeof *f);
	const char *sep;

	f->o = *o;
	f->sink = *s;
	if (f->o.max_record == 0)
		f->o.max_record = 16 << 20;
	sep = o->sep != NULL ? o->sep : "_";
	if (strlen(sep) > 8)
		sep = "_";
	f->seplen = json_escape(sep, strlen(sep), f->sep);
	f->sep1 = strlen(sep) == 1 && f->seplen == 1;
	buf_init(&f->win, f->o.max_record + READ_CHUNK + 1);
	buf_init(&f->dec, f->o.max_record);
	/* A record's output, keys and text pieces are bounded by a few times
	 * the record (numbers gain at most a few bytes, escapes six per
	 * byte); past that the record fails as TooLarge. */
	buf_init(&f->out, 8 * f->o.max_record + 65536);
	buf_init(&f->key, 8 * f->o.max_record + 65536);
	buf_init(&f->tmp, f->o.max_record + 65536);
	buf_init(&f->keys, 8 * f->o.max_record + 65536);
	buf_init(&f->lens, 8 * f->o.max_record + 65536);
	json_toks_init(&f->tk);
	json_toks_init(&f->tk2);
	f->setcap = 256;
	f->set = xcalloc(f->setcap, sizeof *f->set);
	return f;
}

void
flat_free(struct flat *f)
{
	if (f == NULL)
		return;
	buf_free(&f->win);
	buf_free(&f->dec);
	buf_free(&f->out);
	buf_free(&f->key);
	buf_free(&f->tmp);
	buf_free(&f->keys);
	buf_free(&f->lens);
	json_toks_free(&f->tk);
	json_toks_free(&f->tk2);
	free(f->set);
	free(f->kp);
	free(f->ent);
	free(f);
}

const struct flat_counts *
flat_counts(const struct flat *f)
{
	return &f->c;
}

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

static void
set_reset(struct flat *f)
{
	f->nkeys = 0;
	if (++f->gen == 0) {
		memset(f->set, 0, f->setcap * sizeof *f->set);
		f->gen = 1;
	}
}

/* Returns 1 when the key was already in the set. Key text lives in `base`
 * at off/len. */
static int
set_add(struct flat *f, const char *base, uint32_t off, uint32_t len)
{
	uint32_t h = hash(base + off, len);
	size_t m = f->setcap - 1, i = h & m;
	struct kslot *k;

	if (2 * (f->nkeys + 1) > f->setcap) {
		/* Grow: rare, only for records with many attributes; the
		 * keys of this generation move to the larger table. */
		struct kslot *old = f->set;
		size_t oldcap = f->setcap, j;

		f->setcap *= 2;
		f->set = xcalloc(f->setcap, sizeof *f->set);
		m = f->setcap - 1;
		for (j = 0; j < oldcap; j++) {
			if (old[j].gen != f->gen)
				continue;
			i = old[j].hash & m;
			while (f->set[i].gen == f->gen)
				i = (i + 1) & m;
			f->set[i] = old[j];
		}
		free(old);
		i = h & m;
	}
	for (;;) {
		k = &f->set[i];
		if (k->gen != f->gen)
			break;
		if (k->hash == h && k->len == len &&
		    memcmp(base + k->off, base + off, len) == 0)
			return 1;
		i = (i + 1) & m;
	}
	k->gen = f->gen;
	k->hash = h;
	k->off = off;
	k->len = len;
	f->nkeys++;
	return 0;
}

static int
path_push(struct flat *f, const char *s, size_t n, int escaped)
{
	if (f->depth == PATH_MAX_DEPTH)
		return fail(f, "TooDeep", "attribute nesting too deep");
	f->pathoff[f->depth++] = f->key.len;
	if (buf_grow(&f->key, f->seplen + 6 * n) < 0)
		return fail(f, "TooLarge", "attribute path too long");
	if (f->depth > 1)
		buf_put(&f->key, f->sep, f->seplen);
	if (escaped)
		buf_put(&f->key, s, n);
	else
		f->key.len += json_escape(s, n, f->key.p + f->key.len);
	return 0;
}

static void
path_pop(struct flat *f)
{
	f->key.len = f->pathoff[--f->depth];
}

/* Push a member name token as a path component, in canonical escaped form
 * (escapes resolved, then only what JSON requires escaped). */
static inline void
check_component(struct flat *f, const char *s, size_t n)
{
	if (!f->sep1 || n == 0 || memchr(s, f->sep[0], n) != NULL)
		f->risky = 1;
}

static int
path_push_tok(struct flat *f, const char *base, const struct json_tok *t)
{
	size_t n;

	if (!(t->flags & JSON_F_ESC)) {
		check_component(f, base + t->start, t->end - t->start);
		return path_push(f, base + t->start, t->end - t->start, 1);
	}
	f->tmp.len = 0;
	if (buf_grow(&f->tmp, t->end - t->start) < 0)
		return fail(f, "TooLarge", "attribute name too long");
	n = json_unescape(base, t, f->tmp.p);
	check_component(f, f->tmp.p, n);
	return path_push(f, f->tmp.p, n, 0);
}

/* Output appends: a cap hit drops the bytes and marks the record, which
 * then fails as a whole (checked once per record, not per byte). */
static inline void
out_add(struct flat *f, const void *s, size_t n)
{
	if (f->out.len + n > f->out.cap && buf_grow(&f->out, n) < 0) {
		f->oflow = 1;
		return;
	}
	buf_put(&f->out, s, n);
}

static inline void
out_c(struct flat *f, char c)
{
	if (f->out.len + 1 > f->out.cap && buf_grow(&f->out, 1) < 0) {
		f->oflow = 1;
		return;
	}
	f->out.p[f->out.len++] = c;
}

/* Write the current path as the next key; the value follows. */
static void
emit_key(struct flat *f, int cls)
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

static void
end_value(struct flat *f)
{
	if (f->collect && f->nent > 0)
		f->ent[f->nent - 1].vlen = f->out.len - f->ent[f->nent - 1].voff;
}

/* ---- typed values ----------------------------------------------------- */

static const char *
path_name(struct flat *f)
{
	static char name[160];
	size_t n = f->key.len < sizeof name - 1 ? f->key.len :
	    sizeof name - 1;

	memcpy(name, f->key.p, n);
	name[n] = '\0';
	return name;
}

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
		return fail(f, "BadValue", "attribute %s: N value must be a "
		    "string, not a JSON %s", path_name(f),
		    t->type == JSON_NUMBER ? "number" : "value");
	s = tok_text(f, base, t, &n);
	if (buf_grow(&f->out, n + 4) < 0)
		return fail(f, "TooLarge", "record output too large");
	if (f->o.numbers_string)
		f->out.p[f->out.len++] = '"';
	k = flat_number(s, n, f->out.p + f->out.len);
	if (k < 0)
		return fail(f, "BadNumber", "attribute %s: invalid number "
		    "\"%.*s\"", path_name(f), (int)(n > 60 ? 60 : n), s);
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
		return fail(f, "BadValue", "attribute %s: %s value must be a "
		    "string", path_name(f), tag);
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
		return fail(f, "BadValue", "attribute %s: B value must be a "
		    "base64 string", path_name(f));
	s = tok_text(f, base, t, &n);
	if (!b64_valid(s, n))
		return fail(f, "BadBase64", "attribute %s: invalid base64 in "
		    "B value", path_name(f));
	out_c(f, '"');
	out_add(f, s, n);	/* base64 text needs no escaping */
	out_c(f, '"');
	return 0;
}

static int plain(struct flat *f, const char *base, struct json_toks *ts,
    uint32_t vi);

/* Typed value at vi: returns the tag index in *tag (0 S, ...) and the
 * payload token index in *pi. */
enum { T_S, T_N, T_B, T_BOOL, T_NULL, T_SS, T_NS, T_BS, T_M, T_L };

static int
typed(struct flat *f, const char *base, struct json_toks *ts, uint32_t vi,
    int *tag, uint32_t *pi)
{
	const struct json_tok *v = &ts->t[vi], *k;
	const char *s;
	size_t n;

	if (v->type != JSON_OBJECT)
		return fail(f, "BadValue", "attribute %s: value is not a typed "
		    "object like {\"S\":...}", path_name(f));
	if (v->n != 1)
		return fail(f, "BadValue", "attribute %s: expected exactly one "
		    "type tag, found %u", path_name(f), v->n);
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
		case 'M': *tag = T_M; return 0;
		case 'L': *tag = T_L; return 0;
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
	return fail(f, "UnknownType", "attribute %s: unknown type tag \"%.*s\"",
	    path_name(f), (int)(n > 20 ? 20 : n), s);
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
		return fail(f, "BadValue", "attribute %s: %s value must be an "
		    "array", path_name(f), names[tag]);
	out_c(f, '[');
	for (k = 0, e = pi + 1; k < a->n; k++, e = ts->t[e].next) {
		if (k > 0)
			out_c(f, ',');
		if (ts->t[e].type != JSON_STRING)
			return fail(f, "BadValue", "attribute %s: %s elements "
			    "must be strings", path_name(f), names[tag]);
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
			return fail(f, "BadValue", "attribute %s: BOOL value "
			    "must be true or false", path_name(f));
		if (p->type == JSON_TRUE)
			out_add(f, "true", 4);
		else
			out_add(f, "false", 5);
		return 0;
	case T_NULL:
		if (p->type != JSON_TRUE)
			return fail(f, "BadValue", "attribute %s: NULL value "
			    "must be true", path_name(f));
		out_add(f, "null", 4);
		return 0;
	default:
		return write_set(f, base, ts, pi, tag);
	}
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
		if (p->type != JSON_OBJECT)
			return fail(f, "BadValue", "attribute %s: M value must "
			    "be an object", path_name(f));
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
		if (p->type != JSON_ARRAY)
			return fail(f, "BadValue", "attribute %s: L value must "
			    "be an array", path_name(f));
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
		if (p->type != JSON_OBJECT)
			return fail(f, "BadValue", "attribute %s: M value must "
			    "be an object", path_name(f));
		if (p->n == 0) {
			emit_key(f, cls);
			out_add(f, "{}", 2);
			end_value(f);
			return 0;
		}
		for (k = 0, e = pi + 1; k < p->n; k++, e = ts->t[e + 1].next) {
			if (path_push_tok(f, base, &ts->t[e]) < 0 ||
			    attr(f, base, ts, e + 1, cls) < 0)
				return -1;
			path_pop(f);
		}
		return 0;
	}
	if (tag == T_L && f->o.lists_index) {
		if (p->type != JSON_ARRAY)
			return fail(f, "BadValue", "attribute %s: L value must "
			    "be an array", path_name(f));
		if (p->n == 0) {
			emit_key(f, cls);
			out_add(f, "[]", 2);
			end_value(f);
			return 0;
		}
		for (k = 0, e = pi + 1; k < p->n; k++, e = ts->t[e].next) {
			int l = snprintf(idx, sizeof idx, "%u", k);
			check_component(f, idx, (size_t)l);
			if (path_push(f, idx, (size_t)l, 1) < 0 ||
			    attr(f, base, ts, e, cls) < 0)
				return -1;
			path_pop(f);
		}
		return 0;
	}
	emit_key(f, cls);
	if ((tag == T_L ? plain(f, base, ts, vi) :
	    write_scalar(f, base, ts, pi, tag)) < 0)
		return -1;
	end_value(f);
	return 0;
}

/* All attributes of an item (attribute map at mi), under prefix. */
static int
item(struct flat *f, const char *base, struct json_toks *ts, uint32_t mi,
    int cls, const char *what)
{
	const struct json_tok *m = &ts->t[mi];
	uint32_t k, e;
	int pushed = 0;

	if (m->type != JSON_OBJECT)
		return fail(f, "BadRecord", "%s is not an object", what);
	if (cls == CLS_OLD) {
		if (path_push(f, "_old", 4, 1) < 0)
			return -1;
		pushed = 1;
	}
	for (k = 0, e = mi + 1; k < m->n; k++, e = ts->t[e + 1].next) {
		if (path_push_tok(f, base, &ts->t[e]) < 0 ||
		    attr(f, base, ts, e + 1, cls) < 0)
			return -1;
		path_pop(f);
	}
	if (pushed)
		path_pop(f);
	return 0;
}

/* ---- metadata --------------------------------------------------------- */

static void
meta_key(struct flat *f, const char *name)
{
	f->key.len = 0;
	f->depth = 0;
	path_push(f, name, strlen(name), 1);
	emit_key(f, CLS_META);
	path_pop(f);
}

static void
meta_str(struct flat *f, const char *name, const char *s, size_t n)
{
	meta_key(f, name);
	out_c(f, '"');
	out_add(f, s, n);
	out_c(f, '"');
	end_value(f);
}

static void
meta_tok(struct flat *f, const char *name, const char *base,
    const struct json_tok *t)
{
	if (t->type == JSON_STRING)
		meta_str(f, name, base + t->start, t->end - t->start);
}

static int
meta_time(struct flat *f, const char *name, const char *s, size_t n,
    int type, int unit)
{
	char out[DDBTIME_MAX];
	int k = -1;

	if (type == JSON_NUMBER)
		k = ddbtime_from_number(s, n, unit, out);
	else if (type == JSON_STRING) {
		k = ddbtime_from_number(s, n, unit, out);
		if (k < 0)
			k = ddbtime_from_iso(s, n, out);
	} else if (type == JSON_NULL)
		return 0;
	if (k < 0)
		return fail(f, "BadTimestamp", "%s: invalid timestamp \"%.*s\"",
		    name, (int)(n > 40 ? 40 : n), s);
	meta_str(f, name, out, (size_t)k);
	return 0;
}

static int
meta_time_tok(struct flat *f, const char *name, const char *base,
    const struct json_toks *ts, uint32_t vi, int unit)
{
	const struct json_tok *t;

	if (vi == 0)
		return 0;
	t = &ts->t[vi];
	/* {"N":"..."} as in incremental exports */
	if (t->type == JSON_OBJECT && t->n == 1 &&
	    json_streq(&ts->t[vi + 1], base, "N", 1))
		t = &ts->t[vi + 2];
	return meta_time(f, name, base + t->start, t->end - t->start,
	    t->type, unit);
}

static int
str_is(const struct json_toks *ts, const char *base, uint32_t vi,
    const char *s)
{
	return vi != 0 && json_streq(&ts->t[vi], base, s, strlen(s));
}

static int
is_ttl(const struct json_toks *ts, const char *base, uint32_t root)
{
	uint32_t ui = JSON_GET(ts, base, root, "userIdentity"), t, p;

	if (ui == 0 || ts->t[ui].type != JSON_OBJECT)
		return 0;
	t = JSON_GET(ts, base, ui, "type");
	if (t == 0)
		t = JSON_GET(ts, base, ui, "Type");
	p = JSON_GET(ts, base, ui, "principalId");
	if (p == 0)
		p = JSON_GET(ts, base, ui, "PrincipalId");
	return str_is(ts, base, t, "Service") &&
	    str_is(ts, base, p, "dynamodb.amazonaws.com");
}

/* "arn:aws:dynamodb:REGION:ACCT:table/NAME/stream/LABEL" -> NAME */
static int
arn_table(const char *s, size_t n, const char **t, size_t *tn)
{
	const char *p = memchr(s, '/', n), *q;

	if (p == NULL || p - s < 6 || memcmp(p - 6, ":table", 6) != 0)
		return 0;
	p++;
	q = memchr(p, '/', n - (size_t)(p - s));
	*t = p;
	*tn = q != NULL ? (size_t)(q - p) : n - (size_t)(p - s);
	return *tn > 0;
}

/* ---- record shapes ---------------------------------------------------- */

static void
begin(struct flat *f)
{
	f->out.len = 0;
	out_c(f, '{');
	f->first = 1;
	f->key.len = 0;
	f->depth = 0;
	f->collided = 0;
	f->risky = 0;
	f->nkp = 0;
	f->nent = 0;
	f->keys.len = 0;
	f->lens.len = 0;
	set_reset(f);
}

/* Emit the chosen image(s) of a change: op is INSERT/MODIFY/REMOVE. */
static int
images(struct flat *f, const char *base, struct json_toks *ts, int remove,
    uint32_t keys, uint32_t newi, uint32_t oldi)
{
	uint32_t main;

	switch (f->o.image) {
	case FLAT_IMAGE_NEW:
		main = newi != 0 ? newi : keys;
		break;
	case FLAT_IMAGE_OLD:
		main = oldi != 0 ? oldi : keys;
		break;
	case FLAT_IMAGE_BOTH:
		main = newi != 0 ? newi : keys;
		break;
	default:
		main = remove ? (oldi != 0 ? oldi : keys) :
		    (newi != 0 ? newi : keys);
	}
	if (main == 0)
		return fail(f, "BadRecord", "record has neither the image "
		    "asked for nor Keys");
	if (item(f, base, ts, main, CLS_NEW, "image") < 0)
		return -1;
	if (f->o.image == FLAT_IMAGE_BOTH && oldi != 0)
		return item(f, base, ts, oldi, CLS_OLD, "OldImage");
	return 0;
}

static int
change(struct flat *f, const char *base, struct json_toks *ts, uint32_t root,
    const struct wrapmeta *wm)
{
	uint32_t ev = JSON_GET(ts, base, root, "eventName");
	uint32_t ddb = JSON_GET(ts, base, root, "dynamodb");
	uint32_t v, prec;
	int remove, unit = DDBTIME_AUTO;
	const struct json_tok *t;

	if (ddb == 0 || ts->t[ddb].type != JSON_OBJECT)
		return fail(f, "BadRecord", "\"dynamodb\" is missing or not an "
		    "object");
	if (str_is(ts, base, ev, "INSERT") || str_is(ts, base, ev, "MODIFY"))
		remove = 0;
	else if (str_is(ts, base, ev, "REMOVE"))
		remove = 1;
	else
		return fail(f, "BadRecord", "eventName must be INSERT, MODIFY or "
		    "REMOVE");
	if (!f->o.no_meta) {
		meta_tok(f, "_ddb_op", base, &ts->t[ev]);
		v = JSON_GET(ts, base, root, "tableName");
		if (v != 0 && ts->t[v].type == JSON_STRING) {
			meta_tok(f, "_ddb_table", base, &ts->t[v]);
		} else if ((v = JSON_GET(ts, base, root, "eventSourceARN")) != 0 &&
		    ts->t[v].type == JSON_STRING) {
			const char *tn;
			size_t tl;

			t = &ts->t[v];
			if (arn_table(base + t->start, t->end - t->start, &tn,
			    &tl))
				meta_str(f, "_ddb_table", tn, tl);
		}
		if ((v = JSON_GET(ts, base, root, "eventID")) != 0)
			meta_tok(f, "_ddb_event_id", base, &ts->t[v]);
		if ((v = JSON_GET(ts, base, ddb, "SequenceNumber")) != 0)
			meta_tok(f, "_ddb_seq", base, &ts->t[v]);
		else if (wm != NULL && wm->seq.p != NULL)
			meta_str(f, "_ddb_seq", wm->seq.p, wm->seq.n);
		prec = JSON_GET(ts, base, ddb,
		    "ApproximateCreationDateTimePrecision");
		if (str_is(ts, base, prec, "MILLISECOND"))
			unit = DDBTIME_MS;
		else if (str_is(ts, base, prec, "MICROSECOND"))
			unit = DDBTIME_US;
		if (meta_time_tok(f, "_ddb_ts", base, ts, JSON_GET(ts, base, ddb,
		    "ApproximateCreationDateTime"), unit) < 0)
			return -1;
		if (wm != NULL && wm->arrival.p != NULL &&
		    meta_time(f, "_ddb_arrival", wm->arrival.p, wm->arrival.n,
		    wm->arrival.type, wm->arrival_unit) < 0)
			return -1;
		meta_key(f, "_ddb_ttl");
		if (remove && is_ttl(ts, base, root))
			out_add(f, "true", 4);
		else
			out_add(f, "false", 5);
		end_value(f);
	}
	return images(f, base, ts, remove, JSON_GET(ts, base, ddb, "Keys"),
	    JSON_GET(ts, base, ddb, "NewImage"),
	    JSON_GET(ts, base, ddb, "OldImage"));
}

static int
incremental(struct flat *f, const char *base, struct json_toks *ts,
    uint32_t root)
{
	uint32_t md = JSON_GET(ts, base, root, "Metadata");
	uint32_t keys = JSON_GET(ts, base, root, "Keys");
	uint32_t newi = JSON_GET(ts, base, root, "NewImage");
	uint32_t oldi = JSON_GET(ts, base, root, "OldImage");
	const char *op = newi == 0 ? "REMOVE" : oldi != 0 ? "MODIFY" :
	    "INSERT";

	if (!f->o.no_meta) {
		meta_str(f, "_ddb_op", op, strlen(op));
		if (md != 0 && ts->t[md].type == JSON_OBJECT &&
		    meta_time_tok(f, "_ddb_ts", base, ts, JSON_GET(ts, base, md,
		    "WriteTimestampMicros"), DDBTIME_US) < 0)
			return -1;
	}
	return images(f, base, ts, newi == 0, keys, newi, oldi);
}

/* Does the object at root look like a bare item: every member a typed
 * value {"TAG": ...}? */
static int
looks_like_item(const struct json_toks *ts, const char *base, uint32_t root)
{
	const struct json_tok *o = &ts->t[root];
	uint32_t k, e;

	if (o->type != JSON_OBJECT || o->n == 0)
		return 0;
	for (k = 0, e = root + 1; k < o->n; k++, e = ts->t[e + 1].next) {
		const struct json_tok *v = &ts->t[e + 1], *tag;
		size_t n;

		if (v->type != JSON_OBJECT || v->n != 1)
			return 0;
		tag = &ts->t[e + 2];
		n = tag->end - tag->start;
		if (n < 1 || n > 4 || base[tag->start] < 'B' ||
		    base[tag->start] > 'S')
			return 0;
	}
	return 1;
}

static int dispatch(struct flat *f, const char *base, struct json_toks *ts,
    int hint, const struct wrapmeta *wm, int nested);

/* Base64 `data` of a Kinesis or Firehose record: decode and process. */
static int
wrapped(struct flat *f, const char *base, struct json_toks *ts, uint32_t di,
    const struct wrapmeta *wm, const char *what)
{
	const struct json_tok *d = &ts->t[di];
	struct json_result r;
	const char *s;
	size_t n, sk;
	long k;
	int rc;

	if (d->type != JSON_STRING)
		return fail(f, "BadRecord", "%s is not a string", what);
	s = base + d->start;
	n = d->end - d->start;
	if (d->flags & JSON_F_ESC) {
		return fail(f, "BadBase64", "%s: escapes in base64 text", what);
	}
	f->dec.len = 0;
	if (buf_grow(&f->dec, B64_DEC_LEN(n)) < 0)
		return fail(f, "TooLarge", "%s: decoded record exceeds the "
		    "--max-record limit", what);
	k = b64_decode(s, n, (unsigned char *)f->dec.p);
	if (k < 0)
		return fail(f, "BadBase64", "%s: invalid base64", what);
	f->dec.len = (size_t)k;
	for (sk = 0; sk < f->dec.len && (f->dec.p[sk] == ' ' ||
	    f->dec.p[sk] == '\n' || f->dec.p[sk] == '\r' ||
	    f->dec.p[sk] == '\t'); sk++)
		;
	rc = json_parse(f->dec.p + sk, f->dec.len - sk, 1, 0, &f->tk2, &r);
	if (rc != JSON_OK)
		return fail(f, "Malformed", "%s: decoded record: %s", what,
		    r.err != NULL ? r.err : "not JSON");
	for (n = sk + r.end; n < f->dec.len; n++)
		if (f->dec.p[n] != ' ' && f->dec.p[n] != '\n' &&
		    f->dec.p[n] != '\r' && f->dec.p[n] != '\t')
			return fail(f, "Malformed", "%s: decoded record has "
			    "trailing data", what);
	return dispatch(f, f->dec.p + sk, &f->tk2, HINT_RECORD, wm, 1);
}

/* Metadata a Kinesis or Firehose envelope carries for its record. */
static void
wrapmeta_fill(struct wrapmeta *wm, const char *base,
    const struct json_toks *ts, uint32_t seq, uint32_t arrival, int unit)
{
	memset(wm, 0, sizeof *wm);
	if (seq != 0 && ts->t[seq].type == JSON_STRING) {
		wm->seq.p = base + ts->t[seq].start;
		wm->seq.n = ts->t[seq].end - ts->t[seq].start;
	}
	if (arrival != 0) {
		wm->arrival.p = base + ts->t[arrival].start;
		wm->arrival.n = ts->t[arrival].end - ts->t[arrival].start;
		wm->arrival.type = ts->t[arrival].type;
		wm->arrival_unit = unit;
	}
}

static int
kinesis(struct flat *f, const char *base, struct json_toks *ts, uint32_t root,
    uint32_t di)
{
	struct wrapmeta wm;

	wrapmeta_fill(&wm, base, ts, JSON_GET(ts, base, root, "SequenceNumber"),
	    JSON_GET(ts, base, root, "ApproximateArrivalTimestamp"),
	    DDBTIME_AUTO);
	return wrapped(f, base, ts, di, &wm, "Kinesis Data");
}

static int
firehose(struct flat *f, const char *base, struct json_toks *ts, uint32_t root,
    uint32_t di)
{
	struct wrapmeta wm;
	uint32_t km = JSON_GET(ts, base, root, "kinesisRecordMetadata");

	wrapmeta_fill(&wm, base, ts, km != 0 ? JSON_GET(ts, base, km,
	    "sequenceNumber") : 0, JSON_GET(ts, base, root,
	    "approximateArrivalTimestamp"), DDBTIME_MS);
	return wrapped(f, base, ts, di, &wm, "Firehose data");
}

static int
dispatch(struct flat *f, const char *base, struct json_toks *ts, int hint,
    const struct wrapmeta *wm, int nested)
{
	uint32_t v;

	if (ts->t[0].type != JSON_OBJECT)
		return fail(f, "UnknownShape", "expected a JSON object, not %s",
		    ts->t[0].type == JSON_ARRAY ? "an array" :
		    ts->t[0].type == JSON_STRING ? "a string" : "a scalar");
	if (hint == HINT_ITEM) {
		if (!nested)
			begin(f);
		return item(f, base, ts, 0, CLS_NEW, "item");
	}
	if (JSON_GET(ts, base, 0, "eventName") != 0 &&
	    JSON_GET(ts, base, 0, "dynamodb") != 0) {
		if (!nested)
			begin(f);
		return change(f, base, ts, 0, wm);
	}
	if (!nested && (v = JSON_GET(ts, base, 0, "Data")) != 0)
		return begin(f), kinesis(f, base, ts, 0, v);
	if (!nested && (v = JSON_GET(ts, base, 0, "data")) != 0 &&
	    JSON_GET(ts, base, 0, "recordId") != 0)
		return begin(f), firehose(f, base, ts, 0, v);
	if (nested)
		return fail(f, "UnknownShape", "decoded record is not a "
		    "DynamoDB change record (no eventName and dynamodb)");
	if ((v = JSON_GET(ts, base, 0, "Item")) != 0) {
		begin(f);
		return item(f, base, ts, v, CLS_NEW, "Item");
	}
	if (JSON_GET(ts, base, 0, "Metadata") != 0 &&
	    (JSON_GET(ts, base, 0, "Keys") != 0 ||
	    JSON_GET(ts, base, 0, "NewImage") != 0)) {
		begin(f);
		return incremental(f, base, ts, 0);
	}
	if (looks_like_item(ts, base, 0)) {
		begin(f);
		return item(f, base, ts, 0, CLS_NEW, "item");
	}
	if (hint == HINT_FIREHOSE)
		return fail(f, "BadRecord", "Firehose record without data and "
		    "recordId");
	return fail(f, "UnknownShape", "unrecognised record: not a DynamoDB "
	    "Streams/Kinesis record, get-records, export or scan output, "
	    "or item");
}

/* ---- collisions ------------------------------------------------------- */

static struct flat *sort_f;

static int
cmp_entries(const void *a, const void *b)
{
	const struct entry *x = &sort_f->ent[*(const uint32_t *)a];
	const struct entry *y = &sort_f->ent[*(const uint32_t *)b];
	const char *kp = sort_f->keys.p;
	size_t n = x->klen < y->klen ? x->klen : y->klen;
	int c = memcmp(kp + x->koff, kp + y->koff, n);
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
		memcpy(&lx, sort_f->lens.p + x->loff + d * 4, 4);
		memcpy(&ly, sort_f->lens.p + y->loff + d * 4, 4);
		if (lx != ly)
			return lx < ly ? -1 : 1;
	}
	return 0;
}

/* Rename colliding keys (see COLLISIONS in ddbflat(1)) and rebuild the
 * record in f->out from the entries. */
static int
resolve(struct flat *f, uint64_t lineno)
{
	uint32_t *ord = xmalloc(f->nent * sizeof *ord);
	size_t *nkoff = xmalloc(f->nent * sizeof *nkoff);
	size_t *nklen = xmalloc(f->nent * sizeof *nklen);
	struct buf rec;
	size_t i, j;
	int rc = 0;

	for (i = 0; i < f->nent; i++)
		ord[i] = (uint32_t)i;
	sort_f = f;
	qsort(ord, f->nent, sizeof *ord, cmp_entries);
	buf_init(&rec, f->out.max);
	/* all original keys first, so renames avoid them */
	set_reset(f);
	for (i = 0; i < f->nent; i++)
		set_add(f, f->keys.p, (uint32_t)f->ent[i].koff,
		    (uint32_t)f->ent[i].klen);
	for (i = 0; i < f->nent && rc == 0; i++) {
		struct entry *e = &f->ent[ord[i]];
		int dup = i > 0 && e->klen == f->ent[ord[i - 1]].klen &&
		    memcmp(f->keys.p + e->koff, f->keys.p +
		    f->ent[ord[i - 1]].koff, e->klen) == 0;

		if (!dup) {
			nkoff[ord[i]] = e->koff;
			nklen[ord[i]] = e->klen;
			continue;
		}
		for (j = 2;; j++) {
			size_t off = f->keys.len;
			char msg[256];

			if (buf_grow(&f->keys, e->klen + f->seplen + 24) < 0) {
				rc = -1;
				break;
			}
			buf_put(&f->keys, f->keys.p + e->koff, e->klen);
			buf_put(&f->keys, f->sep, f->seplen);
			f->keys.len += (size_t)snprintf(f->keys.p + f->keys.len,
			    24, "%zu", j);
			if (set_add(f, f->keys.p, (uint32_t)off,
			    (uint32_t)(f->keys.len - off))) {
				f->keys.len = off;
				continue;
			}
			nkoff[ord[i]] = off;
			nklen[ord[i]] = f->keys.len - off;
			f->c.collisions++;
			snprintf(msg, sizeof msg, "key collision: \"%.*s\" "
			    "renamed to \"%.*s\"", (int)e->klen,
			    f->keys.p + e->koff, (int)(f->keys.len - off),
			    f->keys.p + off);
			if (f->sink.warn != NULL)
				f->sink.warn(f->sink.ctx, lineno, msg);
			break;
		}
	}
	rc |= buf_addc(&rec, '{');
	for (i = 0; i < f->nent && rc == 0; i++) {
		if (i > 0)
			rc |= buf_addc(&rec, ',');
		rc |= buf_addc(&rec, '"');
		rc |= buf_add(&rec, f->keys.p + nkoff[i], nklen[i]);
		rc |= buf_add(&rec, "\":", 2);
		rc |= buf_add(&rec, f->out.p + f->ent[i].voff, f->ent[i].vlen);
	}
	rc |= buf_add(&rec, "}\n", 2);
	f->out.len = 0;
	if (rc == 0)
		rc = buf_add(&f->out, rec.p, rec.len);
	buf_free(&rec);
	free(ord);
	free(nkoff);
	free(nklen);
	return rc < 0 ? fail(f, "TooLarge", "record output too large") : 0;
}

/* ---- units and framing ------------------------------------------------ */

/* Process one complete JSON value (tokens in f->tk, text at base). */
static int
unit(struct flat *f, const char *base, size_t len, int hint, uint64_t lineno)
{
	int rc;

	f->c.records_in++;
	f->ecode = NULL;
	f->oflow = 0;
	f->collect = 0;
	rc = dispatch(f, base, &f->tk, hint, NULL, 0);
	if (rc == 0 && f->risky) {
		size_t i;

		set_reset(f);
		for (i = 0; i < f->nkp && !f->collided; i += 2)
			if (set_add(f, f->out.p, f->kp[i], f->kp[i + 1]))
				f->collided = 1;
	}
	if (rc == 0 && f->collided) {
		/* Slow path: again, remembering every entry. */
		f->collect = 1;
		rc = dispatch(f, base, &f->tk, hint, NULL, 0);
		f->collect = 0;
		if (rc == 0 && !f->oflow)
			rc = resolve(f, lineno);
	} else if (rc == 0) {
		out_add(f, "}\n", 2);
	}
	if (rc == 0 && f->oflow)
		rc = fail(f, "TooLarge", "record output larger than the "
		    "--max-record cap allows");
	if (rc < 0) {
		f->c.records_failed++;
		f->sink.error(f->sink.ctx, lineno, f->ecode, f->emsg, base, len);
		return 1;
	}
	rc = f->sink.record(f->sink.ctx, f->out.p, f->out.len, base, len,
	    lineno);
	if (rc < 0)
		return -1;
	if (rc > 0)
		f->c.records_failed++;
	else
		f->c.records_out++;
	return rc;
}

static uint64_t
count_nl(const char *p, size_t n)
{
	uint64_t k = 0;
	const char *e = p + n;

	while ((p = memchr(p, '\n', (size_t)(e - p))) != NULL) {
		k++;
		p++;
	}
	return k;
}

/* Read more input into the window, keeping [pos, len). Returns 1 when
 * bytes arrived, 0 at end of input, -1 on a read error, -2 when the
 * pending value exceeds the cap. */
static int
fill(struct flat *f, flat_read_fn rd, void *ctx)
{
	size_t keep = f->win.len - f->pos;
	ssize_t n;

	if (f->eof)
		return 0;
	if (f->pos > 0) {
		memmove(f->win.p, f->win.p + f->pos, keep);
		f->win.len = keep;
		f->pos = 0;
	}
	if (keep >= f->o.max_record)
		return -2;
	if (buf_grow(&f->win, READ_CHUNK) < 0)
		return -2;
	do
		n = rd(ctx, f->win.p + f->win.len, f->win.cap - f->win.len);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	if (n == 0) {
		f->eof = 1;
		return 0;
	}
	f->win.len += (size_t)n;
	f->c.bytes_in += (uint64_t)n;
	return 1;
}

enum { ST_TOP, ST_ELEM_FIRST, ST_ELEM_NEXT, ST_ELEM, ST_REST,
	ST_REST_NAME, ST_REST_COLON, ST_REST_VALUE, ST_RESYNC };

static void
report_raw(struct flat *f, uint64_t lineno, const char *code, const char *msg,
    size_t from, size_t to)
{
	f->c.records_in++;
	f->c.records_failed++;
	f->sink.error(f->sink.ctx, lineno, code, msg, f->win.p + from,
	    to - from);
}

int
flat_run(struct flat *f, flat_read_fn rd, void *ctx, int strict)
{
	int st = ST_TOP, hint = HINT_NONE, top_array = 0, rc, r, bol = 0;
	struct json_result jr;
	char msg[300];

	f->win.len = f->pos = 0;
	f->eof = 0;
	f->line = 1;
	for (;;) {
		char c;

		/* whitespace */
		while (f->pos < f->win.len) {
			c = f->win.p[f->pos];
			if (st == ST_RESYNC) {
				const char *nl;

				/* Resume at the next line that does not
				 * continue a pretty-printed value. */
				if (bol && c != ' ' && c != '\t' && c != '\r' &&
				    c != '\n' && c != '}' && c != ']' &&
				    c != ',') {
					st = ST_TOP;
					break;
				}
				nl = memchr(f->win.p + f->pos, '\n',
				    f->win.len - f->pos);
				if (nl == NULL) {
					f->pos = f->win.len;
					bol = 0;
					break;
				}
				f->pos = (size_t)(nl - f->win.p) + 1;
				f->line++;
				bol = 1;
				continue;
			}
			if (c == '\n')
				f->line++;
			else if (c != ' ' && c != '\t' && c != '\r')
				break;
			f->pos++;
		}
		if (f->pos == f->win.len) {
			r = fill(f, rd, ctx);
			if (r < 0 && r != -2)
				return FLAT_READ_ERR;
			if (r > 0)
				continue;
			if (st == ST_TOP || st == ST_RESYNC)
				return FLAT_DONE;
			snprintf(msg, sizeof msg, "unexpected end of input "
			    "inside a %s document (truncated)",
			    top_array ? "top-level array" : "\"Records\"/\"Items\"");
			f->c.records_in++;
			f->c.records_failed++;
			f->sink.error(f->sink.ctx, f->line, "Malformed", msg,
			    "", 0);
			return strict ? FLAT_STOP : FLAT_DONE;
		}
		/* UTF-8 byte order mark at the very start */
		if (f->line == 1 && f->pos == 0 && st == ST_TOP &&
		    f->win.len >= 3 && memcmp(f->win.p, "\xef\xbb\xbf", 3) == 0) {
			f->pos = 3;
			continue;
		}
		c = f->win.p[f->pos];
		if (st == ST_RESYNC)
			continue;
		switch (st) {
		case ST_TOP:
			if (c == '[') {
				st = ST_ELEM_FIRST;
				top_array = 1;
				hint = HINT_NONE;
				f->pos++;
				continue;
			}
			break;
		case ST_ELEM_FIRST:
			if (c == ']') {
				f->pos++;
				st = top_array ? ST_TOP : ST_REST;
				continue;
			}
			st = ST_ELEM;
			break;
		case ST_ELEM_NEXT:
			if (c == ',') {
				f->pos++;
				st = ST_ELEM;
				continue;
			}
			if (c == ']') {
				f->pos++;
				st = top_array ? ST_TOP : ST_REST;
				continue;
			}
			snprintf(msg, sizeof msg, "expected ',' or ']' between "
			    "array elements");
			goto syntax_here;
		case ST_REST:
			if (c == '}') {
				f->pos++;
				st = ST_TOP;
				continue;
			}
			if (c == ',') {
				f->pos++;
				st = ST_REST_NAME;
				continue;
			}
			snprintf(msg, sizeof msg, "expected ',' or '}' after "
			    "the records array");
			goto syntax_here;
		case ST_REST_COLON:
			if (c == ':') {
				f->pos++;
				st = ST_REST_VALUE;
				continue;
			}
			snprintf(msg, sizeof msg, "expected ':'");
			goto syntax_here;
		default:
			break;
		}

		/* A value at pos: a record, an element, or a skipped member. */
		rc = json_parse(f->win.p + f->pos, f->win.len - f->pos, f->eof,
		    st == ST_TOP ? JSON_ENVELOPE : 0, &f->tk, &jr);
		if (rc == JSON_MORE) {
			r = fill(f, rd, ctx);
			if (r == -1)
				return FLAT_READ_ERR;
			if (r == -2) {
				snprintf(msg, sizeof msg, "record larger than "
				    "--max-record (%zu bytes)", f->o.max_record);
				report_raw(f, f->line, "TooLarge", msg, f->pos,
				    f->pos + (f->win.len - f->pos < 4096 ?
				    f->win.len - f->pos : 4096));
				f->pos = f->win.len;
				st = ST_RESYNC;
				bol = 0;
				if (strict)
					return FLAT_STOP;
			}
			continue;
		}
		if (rc == JSON_ERR) {
			uint64_t at = f->line + count_nl(f->win.p + f->pos,
			    jr.err_at);
			size_t end = f->pos + jr.err_at, k;
			const char *nl = memchr(f->win.p + end, '\n',
			    f->win.len - end);

			/* A value cut short on one line and a new record on
			 * a following line that starts with '{' or '[': the
			 * record ends there, and the next one is intact. */
			for (k = f->pos; k < end; k++)
				if (f->win.p[k] == '\n' &&
				    (f->win.p[k + 1] == '{' ||
				    f->win.p[k + 1] == '['))
					break;
			if (k < end) {
				uint64_t nextl = f->line +
				    count_nl(f->win.p + f->pos, k - f->pos) + 1;

				snprintf(msg, sizeof msg, "malformed JSON: "
				    "record not terminated before line %llu",
				    (unsigned long long)nextl);
				f->c.records_in++;
				f->c.records_failed++;
				f->sink.error(f->sink.ctx, f->line, "Malformed",
				    msg, f->win.p + f->pos, k - f->pos);
				f->line = nextl;
				f->pos = k + 1;
				st = ST_TOP;
				top_array = 0;
				if (strict)
					return FLAT_STOP;
				continue;
			}
			end = nl != NULL ? (size_t)(nl - f->win.p) : f->win.len;
			snprintf(msg, sizeof msg, "malformed JSON: %s", jr.err);
			f->c.records_in++;
			f->c.records_failed++;
			f->sink.error(f->sink.ctx, at, "Malformed", msg,
			    f->win.p + f->pos, end - f->pos);
			f->line = at;
			f->pos = end;
			st = ST_RESYNC;
				bol = 0;
			top_array = 0;
			if (strict)
				return FLAT_STOP;
			continue;
		}
		if (rc == JSON_ENV) {
			hint = jr.env_key[0] == 'I' ? HINT_ITEM :
			    jr.env_key[0] == 'r' ? HINT_FIREHOSE : HINT_RECORD;
			f->line += jr.lines;
			f->pos += jr.end + 1;
			top_array = 0;
			st = ST_ELEM_FIRST;
			continue;
		}
		/* JSON_OK */
		switch (st) {
		case ST_REST_NAME:
			if (f->tk.t[0].type != JSON_STRING) {
				snprintf(msg, sizeof msg, "expected a member "
				    "name");
				goto syntax_here;
			}
			st = ST_REST_COLON;
			break;
		case ST_REST_VALUE:
			st = ST_REST;
			break;
		default:
			if (jr.end > f->o.max_record) {
				snprintf(msg, sizeof msg, "record larger than "
				    "--max-record (%zu bytes)", f->o.max_record);
				report_raw(f, f->line, "TooLarge", msg, f->pos,
				    f->pos + jr.end);
				st = st == ST_ELEM ? ST_ELEM_NEXT : ST_TOP;
				if (strict)
					return FLAT_STOP;
				break;
			}
			r = unit(f, f->win.p + f->pos, jr.end,
			    st == ST_ELEM ? hint : HINT_NONE, f->line);
			if (r < 0)
				return FLAT_SINK_ERR;
			if (r > 0 && strict) {
				f->pos += jr.end;
				return FLAT_STOP;
			}
			st = st == ST_ELEM ? ST_ELEM_NEXT : ST_TOP;
		}
		f->line += jr.lines;
		f->pos += jr.end;
		continue;

syntax_here:
		{
			size_t end;
			const char *nl = memchr(f->win.p + f->pos, '\n',
			    f->win.len - f->pos);

			end = nl != NULL ? (size_t)(nl - f->win.p) : f->win.len;
			report_raw(f, f->line, "Malformed", msg, f->pos, end);
			f->pos = end;
			st = ST_RESYNC;
				bol = 0;
			top_array = 0;
			if (strict)
				return FLAT_STOP;
		}
	}
}
