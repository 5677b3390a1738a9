/* SPDX-License-Identifier: MIT */
#include <jq.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jqprog.h"
#include "partition.h"
#include "util.h"

static const char hex[] = "0123456789ABCDEF";

/* names quoted in reasons are cut to 64 bytes */
#define CUT(n) (int)((n) > 64 ? 64 : (n))

static void reason(struct buf *why, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
reason(struct buf *why, const char *fmt, ...)
{
	char m[512];
	va_list ap;

	if (why == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(m, sizeof m, fmt, ap);
	va_end(ap);
	why->len = 0;
	if (buf_addstr(why, m) < 0)
		why->len = 0;
}

static int
safe(unsigned char c, size_t i)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '-' ||
	    (c == '.' && i > 0);
}

/* Length of s once escaped. */
static size_t
escaped_len(const char *s, size_t n)
{
	size_t i, len = n;

	for (i = 0; i < n; i++)
		if (!safe((unsigned char)s[i], i))
			len += 2;
	return len;
}

/* Appends s escaped; the caller made room (escaped_len bytes). */
static void
encode(struct buf *key, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (safe(c, i)) {
			key->p[key->len++] = (char)c;
		} else {
			key->p[key->len++] = '%';
			key->p[key->len++] = hex[c >> 4];
			key->p[key->len++] = hex[c & 15];
		}
	}
}

int
partition_segment(struct buf *key, const char *name, size_t nlen,
    const char *val, size_t vlen, struct buf *why)
{
	size_t seg, path;

	if (nlen == 0) {
		reason(why, "empty partition name");
		return -1;
	}
	/* Measure first, so the reason says which limit is passed. */
	seg = escaped_len(name, nlen) + 1 +
	    (vlen == 0 ? strlen(PARTITION_DEFAULT) : escaped_len(val, vlen));
	path = key->len + seg + 1;
	if (seg > PARTITION_SEGMENT_MAX) {
		reason(why, "partition '%.*s' is %zu bytes once escaped, more "
		    "than the %d of a directory name", CUT(nlen), name, seg,
		    PARTITION_SEGMENT_MAX);
		return -1;
	}
	if (path > PARTITION_PATH_MAX) {
		reason(why, "partition path is %zu bytes once escaped (up to "
		    "'%.*s'), more than the %d allowed", path, CUT(nlen), name,
		    PARTITION_PATH_MAX);
		return -1;
	}
	if (buf_grow(key, seg + 1) < 0) {
		reason(why, "partition path of %zu bytes does not fit", path);
		return -1;
	}
	encode(key, name, nlen);
	key->p[key->len++] = '=';
	if (vlen == 0)
		buf_put(key, PARTITION_DEFAULT, strlen(PARTITION_DEFAULT));
	else
		encode(key, val, vlen);
	key->p[key->len++] = '/';
	return 0;
}

/* ---- the cheap path: one top-level field of a flat JSON object ---- */

static const char *
ws(const char *p, const char *e)
{
	while (p < e && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
		p++;
	return p;
}

/* p after the opening quote; returns the closing quote or NULL. */
static const char *
str_end(const char *p, const char *e, int *esc)
{
	*esc = 0;
	while (p < e) {
		const char *q = memchr(p, '"', (size_t)(e - p));
		const char *b;

		if (q == NULL)
			return NULL;
		/* count backslashes before the quote */
		for (b = q; b > p && b[-1] == '\\'; b--)
			;
		if (memchr(p, '\\', (size_t)(q - p)) != NULL)
			*esc = 1;
		if (((q - b) & 1) == 0)
			return q;
		p = q + 1;
	}
	return NULL;
}

static int
hexval(const char *p)
{
	int v = 0, i;

	for (i = 0; i < 4; i++) {
		char c = p[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	return v;
}

static void
utf8(struct buf *o, unsigned long c)
{
	if (c < 0x80) {
		o->p[o->len++] = (char)c;
	} else if (c < 0x800) {
		o->p[o->len++] = (char)(0xC0 | (c >> 6));
		o->p[o->len++] = (char)(0x80 | (c & 0x3F));
	} else if (c < 0x10000) {
		o->p[o->len++] = (char)(0xE0 | (c >> 12));
		o->p[o->len++] = (char)(0x80 | ((c >> 6) & 0x3F));
		o->p[o->len++] = (char)(0x80 | (c & 0x3F));
	} else {
		o->p[o->len++] = (char)(0xF0 | (c >> 18));
		o->p[o->len++] = (char)(0x80 | ((c >> 12) & 0x3F));
		o->p[o->len++] = (char)(0x80 | ((c >> 6) & 0x3F));
		o->p[o->len++] = (char)(0x80 | (c & 0x3F));
	}
}

/* Unescape the JSON string body [p, q) into o (reset first). */
static int
unescape(struct buf *o, const char *p, const char *q)
{
	o->len = 0;
	if (buf_grow(o, (size_t)(q - p) + 4) < 0)
		return -1;
	while (p < q) {
		int c, d;

		if (*p != '\\') {
			o->p[o->len++] = *p++;
			continue;
		}
		if (++p >= q)
			return -1;
		switch (*p++) {
		case '"': o->p[o->len++] = '"'; break;
		case '\\': o->p[o->len++] = '\\'; break;
		case '/': o->p[o->len++] = '/'; break;
		case 'b': o->p[o->len++] = '\b'; break;
		case 'f': o->p[o->len++] = '\f'; break;
		case 'n': o->p[o->len++] = '\n'; break;
		case 'r': o->p[o->len++] = '\r'; break;
		case 't': o->p[o->len++] = '\t'; break;
		case 'u':
			if (q - p < 4 || (c = hexval(p)) < 0)
				return -1;
			p += 4;
			if (c >= 0xD800 && c < 0xDC00 && q - p >= 6 &&
			    p[0] == '\\' && p[1] == 'u' &&
			    (d = hexval(p + 2)) >= 0xDC00 && d < 0xE000) {
				p += 6;
				utf8(o, 0x10000 + (((unsigned long)c - 0xD800)
				    << 10) + ((unsigned long)d - 0xDC00));
			} else if (c >= 0xD800 && c < 0xE000) {
				utf8(o, 0xFFFD);	/* lone surrogate */
			} else
				utf8(o, (unsigned long)c);
			break;
		default:
			return -1;
		}
	}
	return 0;
}

/* Skip one JSON value starting at p; returns the byte after it or NULL. */
static const char *
skip_value(const char *p, const char *e)
{
	int depth = 0, esc;

	do {
		p = ws(p, e);
		if (p >= e)
			return NULL;
		switch (*p) {
		case '"':
			p = str_end(p + 1, e, &esc);
			if (p == NULL)
				return NULL;
			p++;
			break;
		case '{': case '[':
			depth++, p++;
			break;
		case '}': case ']':
			if (depth == 0)
				return NULL;
			depth--, p++;
			break;
		case ',': case ':':
			if (depth == 0)
				return NULL;
			p++;
			break;
		default:
			while (p < e && *p != ',' && *p != '}' && *p != ']' &&
			    *p != ' ' && *p != '\n' && *p != '\t' &&
			    *p != '\r' && *p != ':')
				p++;
			break;
		}
	} while (depth > 0);
	return p;
}

int
partition_field_key(const char *rec, size_t len, const char *field,
    struct buf *key, struct buf *val, struct buf *why)
{
	const char *p = rec, *e = rec + len, *q;
	size_t flen = strlen(field);
	int esc;

	p = ws(p, e);
	if (p >= e || *p != '{') {
		reason(why, "record is not a JSON object");
		return -1;
	}
	p = ws(p + 1, e);
	if (p < e && *p == '}')
		goto missing;
	for (;;) {
		int match;

		if (p >= e || *p != '"')
			goto bad;
		q = str_end(p + 1, e, &esc);
		if (q == NULL)
			goto bad;
		if (!esc) {
			match = (size_t)(q - p - 1) == flen &&
			    memcmp(p + 1, field, flen) == 0;
		} else {
			if (unescape(val, p + 1, q) < 0)
				goto bad;
			match = val->len == flen &&
			    memcmp(val->p, field, flen) == 0;
		}
		p = ws(q + 1, e);
		if (p >= e || *p != ':')
			goto bad;
		p = ws(p + 1, e);
		if (match)
			break;
		p = skip_value(p, e);
		if (p == NULL)
			goto bad;
		p = ws(p, e);
		if (p < e && *p == ',') {
			p = ws(p + 1, e);
			continue;
		}
		if (p < e && *p == '}')
			goto missing;
		goto bad;
	}
	if (p >= e)
		goto bad;
	switch (*p) {
	case '"':
		q = str_end(p + 1, e, &esc);
		if (q == NULL || unescape(val, p + 1, q) < 0)
			goto bad;
		break;
	case 'n':
		reason(why, "partition field '%.*s' is null", CUT(flen), field);
		return -1;
	case '{': case '[':
		reason(why, "partition field '%.*s' is not a scalar", CUT(flen), field);
		return -1;
	default:
		q = skip_value(p, e);
		if (q == NULL || q == p)
			goto bad;
		val->len = 0;
		if (buf_add(val, p, (size_t)(q - p)) < 0)
			goto bad;
		break;
	}
	return partition_segment(key, field, flen, val->p, val->len, why);
missing:
	reason(why, "no partition field '%.*s'", CUT(flen), field);
	return -1;
bad:
	reason(why, "malformed JSON record");
	return -1;
}

/* ---- libjq programs ---- */

struct partition_jq {
	struct jqprog *p;
	struct buf val;
};

struct partition_jq *
partition_jq_new(const char *program, struct err *e)
{
	struct partition_jq *pj = xcalloc(1, sizeof *pj);

	buf_init(&pj->val, PARTITION_PATH_MAX);
	pj->p = jqprog_new(program, "--partition", "partition program", e);
	if (pj->p == NULL) {
		partition_jq_free(pj);
		return NULL;
	}
	return pj;
}

void
partition_jq_free(struct partition_jq *pj)
{
	if (pj == NULL)
		return;
	jqprog_free(pj->p);
	buf_free(&pj->val);
	free(pj);
}

/* Appends the segment for one name/value pair; consumes k and v. */
static int
pair(struct partition_jq *pj, struct buf *key, jv k, jv v, struct buf *why)
{
	const char *name = jv_string_value(k);
	size_t nlen = (size_t)jv_string_length_bytes(jv_copy(k));
	int rc = -1;

	pj->val.len = 0;
	switch (jv_get_kind(v)) {
	case JV_KIND_STRING:
		rc = partition_segment(key, name, nlen, jv_string_value(v),
		    (size_t)jv_string_length_bytes(jv_copy(v)), why);
		break;
	case JV_KIND_NUMBER: {
		jv s = jv_dump_string(jv_copy(v), 0);

		rc = partition_segment(key, name, nlen, jv_string_value(s),
		    (size_t)jv_string_length_bytes(jv_copy(s)), why);
		jv_free(s);
		break;
	}
	case JV_KIND_TRUE:
		rc = partition_segment(key, name, nlen, "true", 4, why);
		break;
	case JV_KIND_FALSE:
		rc = partition_segment(key, name, nlen, "false", 5, why);
		break;
	case JV_KIND_NULL:
		reason(why, "partition key '%.*s' is null", CUT(nlen), name);
		break;
	default:
		reason(why, "partition key '%.*s' is not a scalar", CUT(nlen), name);
		break;
	}
	jv_free(k);
	jv_free(v);
	return rc;
}

int
partition_jq_key(struct partition_jq *pj, const char *rec, size_t len,
    struct buf *key, struct buf *why)
{
	jv out, more;
	int n = 0, rc;

	if (jqprog_start(pj->p, rec, len, why) < 0)
		return -1;
	rc = jqprog_next(pj->p, &out, why);
	if (rc <= 0) {
		if (rc == 0)
			reason(why, "partition program produced no value");
		return -1;
	}
	rc = jqprog_next(pj->p, &more, why);
	if (rc != 0) {
		if (rc == 1) {
			jv_free(more);
			reason(why, "partition program produced more than "
			    "one value");
		}
		jv_free(out);
		return -1;
	}
	if (jv_get_kind(out) != JV_KIND_OBJECT) {
		reason(why, "partition program produced %s, not an object",
		    jv_kind_name(jv_get_kind(out)));
		jv_free(out);
		return -1;
	}
	jv_object_foreach(out, k, v) {
		if (rc == 0) {
			rc = pair(pj, key, k, v, why);
			n++;
		} else {
			jv_free(k);
			jv_free(v);
		}
	}
	jv_free(out);
	if (rc == 0 && n == 0) {
		reason(why, "partition program produced an empty object");
		return -1;
	}
	return rc;
}
