/* json: a strict, allocation-free (after warm-up) JSON tokenizer.
 *
 * json_parse() validates one JSON value in a byte range (RFC 8259 grammar,
 * UTF-8 in strings, escapes, surrogate pairs, a nesting cap) and records a
 * flat token array the caller walks: containers know their child count and
 * the index just past their subtree, so skipping a value is O(1). Token
 * offsets are relative to the start of the parsed range, which the caller
 * keeps alive while it uses the tokens. The token array is the caller's
 * (struct json_toks), grown as needed and reused between values.
 *
 * Top-level envelopes: with JSON_ENVELOPE, parsing a top-level object stops
 * with JSON_ENV when one of its members named "Records", "Items" or
 * "records" holds an array, reporting where the array starts, so a caller
 * can stream the array's elements one by one instead of holding a whole
 * `aws dynamodb scan` or get-records document in memory. */
#ifndef JSON_H
#define JSON_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

enum json_type {
	JSON_NULL = 1, JSON_FALSE, JSON_TRUE, JSON_NUMBER, JSON_STRING,
	JSON_ARRAY, JSON_OBJECT
};

/* String token flags. */
#define JSON_F_ESC 1	/* contains a backslash escape */
#define JSON_F_HI  2	/* contains bytes >= 0x80 */

struct json_tok {
	uint32_t start;	/* strings: first byte after the quote;
			   others: first byte of the value */
	uint32_t end;	/* strings: the closing quote; others: one past */
	uint32_t next;	/* index of the token after this value's subtree */
	uint32_t n;	/* containers: members (objects) or elements */
	uint8_t type;
	uint8_t flags;
};

struct json_toks {
	struct json_tok *t;
	size_t n, cap;
};

enum {
	JSON_OK = 0,
	JSON_MORE = 1,		/* range ends inside the value */
	JSON_ENV = 2,		/* envelope array found (JSON_ENVELOPE) */
	JSON_ERR = -1
};

#define JSON_ENVELOPE 1		/* flag for json_parse */
#define JSON_MAX_DEPTH 160	/* DynamoDB nests 32 levels; typed JSON doubles
				   that, envelopes add a few */

struct json_result {
	size_t end;		/* JSON_OK: one past the value;
				   JSON_ENV: offset of the '[' */
	size_t err_at;		/* JSON_ERR: offset of the offending byte */
	const char *err;	/* JSON_ERR: static reason */
	unsigned lines;		/* newlines inside the value */
	char env_key[8];	/* JSON_ENV: "Records", "Items", "records" */
};

void json_toks_init(struct json_toks *ts);
void json_toks_free(struct json_toks *ts);

/* Parse one value at p[0..len) (leading whitespace must be skipped by the
 * caller). `eof` says no more bytes follow len: a value cut off there is an
 * error, not JSON_MORE. */
int json_parse(const char *p, size_t len, int eof, int flags,
    struct json_toks *ts, struct json_result *r);

/* Object lookup: index of the value token for `key` in object token `obj`,
 * or 0 when absent (index 0 is the root, never a member value). Keys are
 * compared as raw bytes; keys with escapes never match. */
uint32_t json_get(const struct json_toks *ts, const char *base, uint32_t obj,
    const char *key, size_t keylen);
#define JSON_GET(ts, base, obj, lit) \
	json_get((ts), (base), (obj), (lit), sizeof(lit) - 1)

/* Token text helpers. */
static inline int
json_streq(const struct json_tok *t, const char *base, const char *s,
    size_t n)
{
	return t->type == JSON_STRING && !(t->flags & JSON_F_ESC) &&
	    t->end - t->start == n && memcmp(base + t->start, s, n) == 0;
}

/* Decode a string token's content (escapes resolved) into dst, which has
 * room for at least end-start bytes; returns the decoded length. */
size_t json_unescape(const char *base, const struct json_tok *t, char *dst);

/* Append s[0..n) to dst as JSON string content (no quotes): escapes '"',
 * '\\' and control bytes. dst needs room for 6*n bytes. Returns bytes
 * written. */
size_t json_escape(const char *s, size_t n, char *dst);

/* 1 if s[0..n) is valid UTF-8 (no overlongs, no surrogates, <= U+10FFFF) */
int json_utf8_valid(const unsigned char *s, size_t n);

#endif
