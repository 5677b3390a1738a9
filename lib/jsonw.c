/* SPDX-License-Identifier: MIT */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "b64.h"
#include "json.h"
#include "jsonw.h"

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 if invalid. */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	size_t k;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		k = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		k = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		k = 4;
	else
		return 0;
	return k <= n && json_utf8_valid(s, k) ? k : 0;
}

int
jsonw_string(struct buf *b, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, run, k;

	/* json_escape needs 6 bytes of room per input byte. */
	if (buf_grow(b, 2) < 0)
		return -1;
	buf_put(b, "\"", 1);
	while (i < n) {
		/* The longest valid run, escaped in one go. */
		for (run = i; run < n && (k = utf8_len(u + run, n - run)) != 0;
		    run += k)
			;
		if (run > i) {
			if (run - i > (SIZE_MAX - 8) / 6 ||
			    buf_grow(b, 6 * (run - i)) < 0)
				return -1;
			b->len += json_escape(s + i, run - i, b->p + b->len);
			i = run;
		}
		if (i < n) {	/* one invalid byte */
			if (buf_add(b, "\\ufffd", 6) < 0)
				return -1;
			i++;
		}
	}
	return buf_add(b, "\"", 1);
}

/* The separator and key before a member or element. */
static int
member(struct jsonw *w, const char *key)
{
	if (w->failed)
		return -1;
	if (w->n[w->depth]++ > 0 && buf_addc(w->b, ',') < 0)
		goto fail;
	if (key != NULL && (jsonw_string(w->b, key, strlen(key)) < 0 ||
	    buf_addc(w->b, ':') < 0))
		goto fail;
	return 0;
fail:
	w->failed = 1;
	return -1;
}

static void
check(struct jsonw *w, int rc)
{
	if (rc < 0)
		w->failed = 1;
}

void
jsonw_begin(struct jsonw *w, struct buf *b)
{
	memset(w, 0, sizeof *w);
	w->b = b;
	check(w, buf_addc(b, '{'));
}

void
jsonw_str(struct jsonw *w, const char *key, const char *s, size_t n)
{
	if (member(w, key) == 0)
		check(w, jsonw_string(w->b, s, n));
}

void
jsonw_strz(struct jsonw *w, const char *key, const char *s)
{
	if (s == NULL)
		jsonw_null(w, key);
	else
		jsonw_str(w, key, s, strlen(s));
}

void
jsonw_u64(struct jsonw *w, const char *key, uint64_t v)
{
	if (member(w, key) == 0)
		check(w, buf_printf(w->b, "%" PRIu64, v));
}

void
jsonw_i64(struct jsonw *w, const char *key, int64_t v)
{
	if (member(w, key) == 0)
		check(w, buf_printf(w->b, "%" PRId64, v));
}

void
jsonw_double(struct jsonw *w, const char *key, double v, int decimals)
{
	if (member(w, key) == 0)
		check(w, buf_printf(w->b, "%.*f", decimals, v));
}

void
jsonw_bool(struct jsonw *w, const char *key, int v)
{
	if (member(w, key) == 0)
		check(w, buf_addstr(w->b, v ? "true" : "false"));
}

void
jsonw_null(struct jsonw *w, const char *key)
{
	if (member(w, key) == 0)
		check(w, buf_add(w->b, "null", 4));
}

void
jsonw_b64(struct jsonw *w, const char *key, const void *p, size_t n)
{
	if (member(w, key) == 0)
		check(w, buf_addc(w->b, '"') < 0 ||
		    b64_encode_buf(w->b, p, n) < 0 ||
		    buf_addc(w->b, '"') < 0 ? -1 : 0);
}

void
jsonw_raw(struct jsonw *w, const char *key, const char *json, size_t n)
{
	if (member(w, key) == 0)
		check(w, buf_add(w->b, json, n));
}

static void
open_inner(struct jsonw *w, const char *key, char c)
{
	if (member(w, key) < 0)
		return;
	if (w->depth + 1 >= JSONW_DEPTH) {
		w->failed = 1;
		return;
	}
	w->n[++w->depth] = 0;
	w->closer[w->depth] = c == '{' ? '}' : ']';
	check(w, buf_addc(w->b, c));
}

void
jsonw_obj(struct jsonw *w, const char *key)
{
	open_inner(w, key, '{');
}

void
jsonw_arr(struct jsonw *w, const char *key)
{
	open_inner(w, key, '[');
}

void
jsonw_close(struct jsonw *w)
{
	if (w->failed)
		return;
	if (w->depth == 0) {
		w->failed = 1;
		return;
	}
	check(w, buf_addc(w->b, w->closer[w->depth--]));
}

int
jsonw_end(struct jsonw *w)
{
	if (!w->failed && w->depth != 0)
		w->failed = 1;
	if (!w->failed)
		check(w, buf_addc(w->b, '}'));
	return w->failed ? -1 : 0;
}
