/* SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "util.h"

void
json_toks_init(struct json_toks *ts)
{
	ts->t = NULL;
	ts->n = ts->cap = 0;
}

void
json_toks_free(struct json_toks *ts)
{
	if (ts == NULL)
		return;
	free(ts->t);
	ts->t = NULL;
	ts->n = ts->cap = 0;
}

static void
grow(struct json_toks *ts)
{
	ts->cap = ts->cap != 0 ? ts->cap * 2 : 256;
	ts->t = xrealloc(ts->t, ts->cap * sizeof *ts->t);
}

static inline __attribute__((always_inline)) struct json_tok *
push(struct json_toks *ts, uint8_t type, size_t start)
{
	struct json_tok *t;

	if (__builtin_expect(ts->n == ts->cap, 0))
		grow(ts);
	t = &ts->t[ts->n];
	t->start = (uint32_t)start;
	t->type = type;
	t->flags = 0;
	ts->n++;
	t->next = (uint32_t)ts->n;
	return t;
}

/* Length of the UTF-8 sequence at s (1..4), 0 if invalid, -1 if it needs
 * more bytes than n. */
static int
utf8_seq(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	int need;
	unsigned min;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		need = 2;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		need = 3;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		need = 4;
		min = 0x10000;
	} else
		return 0;
	if (n < (size_t)need) {
		/* Reject early what can never become valid. */
		for (size_t k = 1; k < n; k++)
			if ((s[k] & 0xc0) != 0x80)
				return 0;
		return -1;
	}
	{
		unsigned cp = c & (0xff >> (need + 1));
		for (int k = 1; k < need; k++) {
			if ((s[k] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
	}
	return need;
}

int
json_utf8_valid(const unsigned char *s, size_t n)
{
	size_t i = 0;
	int k;

	while (i < n) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		k = utf8_seq(s + i, n - i);
		if (k <= 0)
			return 0;
		i += (size_t)k;
	}
	return 1;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int
hex4(const char *s, unsigned *out)
{
	unsigned v = 0;
	int k, h;

	for (k = 0; k < 4; k++) {
		h = hexval((unsigned char)s[k]);
		if (h < 0)
			return -1;
		v = v << 4 | (unsigned)h;
	}
	*out = v;
	return 0;
}

/* Word-at-a-time test: does any byte of w need attention inside a string
 * ('"', '\\', < 0x20 or >= 0x80)? */
#define ONES  0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL
/* The lowest flagged byte is exact: borrows only run upwards. */
static inline uint64_t
special(uint64_t w)
{
	uint64_t q = w ^ (ONES * '"'), b = w ^ (ONES * '\\');

	return (((q - ONES) & ~q) | ((b - ONES) & ~b) | (w - ONES * 0x20) |
	    w) & HIGHS;
}

static const unsigned char str_special[256] = {
	['"'] = 1, ['\\'] = 1,
	[0x00] = 1, [0x01] = 1, [0x02] = 1, [0x03] = 1, [0x04] = 1, [0x05] = 1,
	[0x06] = 1, [0x07] = 1, [0x08] = 1, [0x09] = 1, [0x0a] = 1, [0x0b] = 1,
	[0x0c] = 1, [0x0d] = 1, [0x0e] = 1, [0x0f] = 1, [0x10] = 1, [0x11] = 1,
	[0x12] = 1, [0x13] = 1, [0x14] = 1, [0x15] = 1, [0x16] = 1, [0x17] = 1,
	[0x18] = 1, [0x19] = 1, [0x1a] = 1, [0x1b] = 1, [0x1c] = 1, [0x1d] = 1,
	[0x1e] = 1, [0x1f] = 1,
	[0x80] = 1, [0x81] = 1, [0x82] = 1, [0x83] = 1, [0x84] = 1, [0x85] = 1,
	[0x86] = 1, [0x87] = 1, [0x88] = 1, [0x89] = 1, [0x8a] = 1, [0x8b] = 1,
	[0x8c] = 1, [0x8d] = 1, [0x8e] = 1, [0x8f] = 1, [0x90] = 1, [0x91] = 1,
	[0x92] = 1, [0x93] = 1, [0x94] = 1, [0x95] = 1, [0x96] = 1, [0x97] = 1,
	[0x98] = 1, [0x99] = 1, [0x9a] = 1, [0x9b] = 1, [0x9c] = 1, [0x9d] = 1,
	[0x9e] = 1, [0x9f] = 1, [0xa0] = 1, [0xa1] = 1, [0xa2] = 1, [0xa3] = 1,
	[0xa4] = 1, [0xa5] = 1, [0xa6] = 1, [0xa7] = 1, [0xa8] = 1, [0xa9] = 1,
	[0xaa] = 1, [0xab] = 1, [0xac] = 1, [0xad] = 1, [0xae] = 1, [0xaf] = 1,
	[0xb0] = 1, [0xb1] = 1, [0xb2] = 1, [0xb3] = 1, [0xb4] = 1, [0xb5] = 1,
	[0xb6] = 1, [0xb7] = 1, [0xb8] = 1, [0xb9] = 1, [0xba] = 1, [0xbb] = 1,
	[0xbc] = 1, [0xbd] = 1, [0xbe] = 1, [0xbf] = 1, [0xc0] = 1, [0xc1] = 1,
	[0xc2] = 1, [0xc3] = 1, [0xc4] = 1, [0xc5] = 1, [0xc6] = 1, [0xc7] = 1,
	[0xc8] = 1, [0xc9] = 1, [0xca] = 1, [0xcb] = 1, [0xcc] = 1, [0xcd] = 1,
	[0xce] = 1, [0xcf] = 1, [0xd0] = 1, [0xd1] = 1, [0xd2] = 1, [0xd3] = 1,
	[0xd4] = 1, [0xd5] = 1, [0xd6] = 1, [0xd7] = 1, [0xd8] = 1, [0xd9] = 1,
	[0xda] = 1, [0xdb] = 1, [0xdc] = 1, [0xdd] = 1, [0xde] = 1, [0xdf] = 1,
	[0xe0] = 1, [0xe1] = 1, [0xe2] = 1, [0xe3] = 1, [0xe4] = 1, [0xe5] = 1,
	[0xe6] = 1, [0xe7] = 1, [0xe8] = 1, [0xe9] = 1, [0xea] = 1, [0xeb] = 1,
	[0xec] = 1, [0xed] = 1, [0xee] = 1, [0xef] = 1, [0xf0] = 1, [0xf1] = 1,
	[0xf2] = 1, [0xf3] = 1, [0xf4] = 1, [0xf5] = 1, [0xf6] = 1, [0xf7] = 1,
	[0xf8] = 1, [0xf9] = 1, [0xfa] = 1, [0xfb] = 1, [0xfc] = 1, [0xfd] = 1,
	[0xfe] = 1, [0xff] = 1,
};

enum { S_OK, S_MORE, S_ERR };

/* Scan a string whose opening quote is at p[*ip]; on success *ip is one
 * past the closing quote. */
static inline __attribute__((always_inline)) int
scan_string(const char *p, size_t len, size_t *ip, struct json_tok *t,
    const char **why, size_t *at)
{
	const unsigned char *u = (const unsigned char *)p;
	size_t i = *ip + 1;
	uint64_t w, m;
	int k;
	unsigned cp, lo;

	t->start = (uint32_t)i;
	for (;;) {
		while (i + 8 <= len) {
			memcpy(&w, u + i, 8);
			if ((m = special(w)) != 0) {
				i += (size_t)__builtin_ctzll(m) >> 3;
				goto found;
			}
			i += 8;
		}
		while (i < len && !str_special[u[i]])
			i++;
		if (i >= len)
			return S_MORE;
found:
		switch (u[i]) {
		case '"':
			t->end = (uint32_t)i;
			*ip = i + 1;
			return S_OK;
		case '\\':
			t->flags |= JSON_F_ESC;
			if (i + 1 >= len)
				return S_MORE;
			switch (u[i + 1]) {
			case '"': case '\\': case '/': case 'b': case 'f':
			case 'n': case 'r': case 't':
				i += 2;
				continue;
			case 'u':
				break;
			default:
				*why = "invalid escape in string";
				*at = i;
				return S_ERR;
			}
			if (i + 6 > len)
				return S_MORE;
			if (hex4(p + i + 2, &cp) < 0) {
				*why = "invalid \\u escape in string";
				*at = i;
				return S_ERR;
			}
			if (cp >= 0xdc00 && cp <= 0xdfff) {
				*why = "lone low surrogate in \\u escape";
				*at = i;
				return S_ERR;
			}
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if ((i + 6 < len && p[i + 6] != '\\') ||
				    (i + 7 < len && p[i + 7] != 'u')) {
					*why = "lone high surrogate in \\u escape";
					*at = i;
					return S_ERR;
				}
				if (i + 12 > len)
					return S_MORE;
				if (p[i + 6] != '\\' || p[i + 7] != 'u' ||
				    hex4(p + i + 8, &lo) < 0 ||
				    lo < 0xdc00 || lo > 0xdfff) {
					*why = "lone high surrogate in \\u escape";
					*at = i;
					return S_ERR;
				}
				i += 12;
			} else
				i += 6;
			continue;
		default:
			if (u[i] < 0x20) {
				*why = u[i] == 0 ? "NUL byte in string" :
				    "raw control character in string";
				*at = i;
				return S_ERR;
			}
			t->flags |= JSON_F_HI;
			k = utf8_seq(u + i, len - i);
			if (k < 0)
				return S_MORE;
			if (k == 0) {
				*why = "invalid UTF-8 in string";
				*at = i;
				return S_ERR;
			}
			i += (size_t)k;
		}
	}
}

static inline int
isdig(int c)
{
	return c >= '0' && c <= '9';
}

/* Number grammar; returns S_MORE when the buffer ends in it. */
static int
scan_number(const char *p, size_t len, size_t *ip, const char **why)
{
	size_t i = *ip;

	if (p[i] == '-')
		i++;
	if (i >= len)
		return S_MORE;
	if (p[i] == '0') {
		i++;
	} else if (isdig(p[i])) {
		while (i < len && isdig(p[i]))
			i++;
	} else {
		*why = "invalid number";
		return S_ERR;
	}
	if (i < len && p[i] == '.') {
		i++;
		if (i >= len)
			return S_MORE;
		if (!isdig(p[i])) {
			*why = "invalid number";
			return S_ERR;
		}
		while (i < len && isdig(p[i]))
			i++;
	}
	if (i < len && (p[i] == 'e' || p[i] == 'E')) {
		i++;
		if (i < len && (p[i] == '+' || p[i] == '-'))
			i++;
		if (i >= len)
			return S_MORE;
		if (!isdig(p[i])) {
			*why = "invalid number";
			return S_ERR;
		}
		while (i < len && isdig(p[i]))
			i++;
	}
	if (i >= len)
		return S_MORE;	/* the number may go on */
	*ip = i;
	return S_OK;
}

/* true, false or null at p[*ip]. */
static inline __attribute__((always_inline)) int
scan_literal(const char *p, size_t len, size_t *ip, struct json_toks *ts)
{
	size_t i = *ip;
	const char *lit = p[i] == 't' ? "true" : p[i] == 'f' ? "false" :
	    "null";
	size_t ln = strlen(lit), have = len - i;

	if (memcmp(p + i, lit, have < ln ? have : ln) != 0)
		return S_ERR;
	if (have < ln)
		return S_MORE;
	push(ts, p[i] == 't' ? JSON_TRUE : p[i] == 'f' ? JSON_FALSE :
	    JSON_NULL, i)->end = (uint32_t)(i + ln);
	*ip = i + ln;
	return S_OK;
}

/* A number token at p[*ip]; a number that runs to the end of the input is
 * complete only when it is the whole value (top: at depth 0, eof). */
static inline __attribute__((always_inline)) int
number_token(const char *p, size_t len, size_t *ip, struct json_toks *ts,
    int top, const char **why)
{
	struct json_tok *t = push(ts, JSON_NUMBER, *ip);
	int rc = scan_number(p, len, ip, why);

	if (rc == S_MORE && top && ts->n == 1) {
		*ip = len;
		rc = S_OK;
	}
	if (rc == S_OK)
		t->end = (uint32_t)*ip;
	return rc;
}

static int
is_envelope_key(const char *s, size_t n)
{
	return (n == 7 && (memcmp(s, "Records", 7) == 0 ||
	    memcmp(s, "records", 7) == 0)) ||
	    (n == 5 && memcmp(s, "Items", 5) == 0);
}

/* One function, about 150 lines, on purpose: it is a state machine whose
 * states (value, key, after, close, and the exits) jump to each other with
 * goto and share the bracket stack and counters as locals the compiler
 * keeps in registers. The leaf scanners (strings, numbers, literals) are
 * separate functions forced inline. Measured on 105 MB of KDS records
 * (scripts/gen-corpus), ddbflat ran 8% slower (A/B cpu time 1.08, median
 * of 15 runs) when those scanners were real calls; splitting the states
 * into functions that pass the stack by pointer costs more calls still. */
int
json_parse(const char *p, size_t len, int eof, int flags,
    struct json_toks *ts, struct json_result *r)
{
	uint32_t stack[JSON_MAX_DEPTH], cnt[JSON_MAX_DEPTH];
	uint8_t kind[JSON_MAX_DEPTH];
	int depth = 0, rc;
	size_t i = 0, at = 0;
	unsigned lines = 0;
	const char *why = NULL;
	struct json_tok *t;

	ts->n = 0;
	r->err = NULL;
	if (len > UINT32_MAX - 16) {
		r->err = "record too large";
		r->err_at = 0;
		return JSON_ERR;
	}

#define WS() do { \
		if (__builtin_expect(i < len && \
		    (unsigned char)p[i] > ' ', 1)) \
			break; \
		while (i < len && (p[i] == ' ' || p[i] == '\n' || \
		    p[i] == '\t' || p[i] == '\r')) { \
			if (p[i] == '\n') \
				lines++; \
			i++; \
		} \
		if (i >= len) \
			goto more; \
	} while (0)
#define FAIL(msg) do { why = (msg); at = i; goto fail; } while (0)

value:
	WS();
	if (depth > 0 && kind[depth - 1] == JSON_ARRAY)
		cnt[depth - 1]++;
	switch (p[i]) {
	case '{':
	case '[':
		if (depth == JSON_MAX_DEPTH)
			FAIL("nesting too deep");
		t = push(ts, p[i] == '{' ? JSON_OBJECT : JSON_ARRAY, i);
		kind[depth] = t->type;
		cnt[depth] = 0;
		stack[depth++] = (uint32_t)(ts->n - 1);
		i++;
		WS();
		if (kind[depth - 1] == JSON_OBJECT) {
			if (p[i] == '}')
				goto close;
			goto key;
		}
		if (p[i] == ']')
			goto close;
		goto value;
	case '"':
		t = push(ts, JSON_STRING, i);
		rc = scan_string(p, len, &i, t, &why, &at);
		if (rc == S_MORE)
			goto more;
		if (rc == S_ERR)
			goto fail;
		goto after;
	case 't':
	case 'f':
	case 'n':
		rc = scan_literal(p, len, &i, ts);
		if (rc == S_MORE)
			goto more;
		if (rc == S_ERR)
			FAIL("invalid literal");
		goto after;
	default:
		if (p[i] != '-' && !isdig(p[i]))
			FAIL(p[i] == 0 ? "NUL byte" : "unexpected character");
		at = i;
		rc = number_token(p, len, &i, ts, eof && depth == 0, &why);
		if (rc == S_MORE)
			goto more;
		if (rc == S_ERR)
			goto fail;
		if (i == len)
			goto done;	/* a bare number ending the input */
		goto after;
	}

key:
	WS();
	if (p[i] != '"')
		FAIL("expected a member name");
	cnt[depth - 1]++;
	t = push(ts, JSON_STRING, i);
	rc = scan_string(p, len, &i, t, &why, &at);
	if (rc == S_MORE)
		goto more;
	if (rc == S_ERR)
		goto fail;
	WS();
	if (p[i] != ':')
		FAIL("expected ':'");
	i++;
	if ((flags & JSON_ENVELOPE) && depth == 1 &&
	    is_envelope_key(p + t->start, t->end - t->start)) {
		WS();
		if (p[i] == '[') {
			memcpy(r->env_key, p + t->start, t->end - t->start);
			r->env_key[t->end - t->start] = '\0';
			r->end = i;
			r->lines = lines;
			return JSON_ENV;
		}
	}
	goto value;

after:
	if (depth == 0)
		goto done;
	WS();
	if (p[i] == ',') {
		i++;
		if (kind[depth - 1] == JSON_OBJECT)
			goto key;
		goto value;
	}
	if ((p[i] == '}' && kind[depth - 1] == JSON_OBJECT) ||
	    (p[i] == ']' && kind[depth - 1] == JSON_ARRAY))
		goto close;
	FAIL(kind[depth - 1] == JSON_OBJECT ? "expected ',' or '}'" :
	    "expected ',' or ']'");

close:
	depth--;
	t = &ts->t[stack[depth]];
	t->end = (uint32_t)(i + 1);
	t->next = (uint32_t)ts->n;
	t->n = cnt[depth];
	i++;
	goto after;

done:
	r->end = i;
	r->lines = lines;
	return JSON_OK;

more:
	if (!eof)
		return JSON_MORE;
	why = "unexpected end of input (truncated record)";
	at = len;
fail:
	r->err = why;
	r->err_at = at;
	r->lines = lines;
	return JSON_ERR;
#undef WS
#undef FAIL
}

uint32_t
json_get(const struct json_toks *ts, const char *base, uint32_t obj,
    const char *key, size_t keylen)
{
	const struct json_tok *o = &ts->t[obj];
	uint32_t k, idx = obj + 1;

	if (o->type != JSON_OBJECT)
		return 0;
	for (k = 0; k < o->n; k++) {
		if (json_streq(&ts->t[idx], base, key, keylen))
			return idx + 1;
		idx = ts->t[idx + 1].next;
	}
	return 0;
}

static size_t
put_utf8(char *d, unsigned cp)
{
	if (cp < 0x80) {
		d[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		d[0] = (char)(0xc0 | cp >> 6);
		d[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		d[0] = (char)(0xe0 | cp >> 12);
		d[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		d[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	d[0] = (char)(0xf0 | cp >> 18);
	d[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	d[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	d[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

size_t
json_unescape(const char *base, const struct json_tok *t, char *dst)
{
	const char *s = base + t->start, *e = base + t->end;
	char *d = dst;
	unsigned cp, lo;

	if (!(t->flags & JSON_F_ESC)) {
		memcpy(dst, s, (size_t)(e - s));
		return (size_t)(e - s);
	}
	while (s < e) {
		if (*s != '\\') {
			*d++ = *s++;
			continue;
		}
		switch (s[1]) {
		case 'b': *d++ = '\b'; s += 2; break;
		case 'f': *d++ = '\f'; s += 2; break;
		case 'n': *d++ = '\n'; s += 2; break;
		case 'r': *d++ = '\r'; s += 2; break;
		case 't': *d++ = '\t'; s += 2; break;
		case 'u':
			hex4(s + 2, &cp);
			s += 6;
			if (cp >= 0xd800 && cp <= 0xdbff) {
				hex4(s + 2, &lo);
				cp = 0x10000 + ((cp - 0xd800) << 10) +
				    (lo - 0xdc00);
				s += 6;
			}
			d += put_utf8(d, cp);
			break;
		default:	/* '"', '\\', '/' */
			*d++ = s[1];
			s += 2;
		}
	}
	return (size_t)(d - dst);
}

size_t
json_escape(const char *s, size_t n, char *dst)
{
	static const char hex[] = "0123456789abcdef";
	char *d = dst;
	size_t i;
	unsigned char c;

	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (c >= 0x20 && c != '"' && c != '\\') {
			*d++ = (char)c;
			continue;
		}
		*d++ = '\\';
		switch (c) {
		case '"': *d++ = '"'; break;
		case '\\': *d++ = '\\'; break;
		case '\n': *d++ = 'n'; break;
		case '\r': *d++ = 'r'; break;
		case '\t': *d++ = 't'; break;
		case '\b': *d++ = 'b'; break;
		case '\f': *d++ = 'f'; break;
		default:
			*d++ = 'u';
			*d++ = '0';
			*d++ = '0';
			*d++ = hex[c >> 4];
			*d++ = hex[c & 15];
		}
	}
	return (size_t)(d - dst);
}
