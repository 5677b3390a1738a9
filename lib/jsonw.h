/* jsonw: the toolkit's one JSON writer. Objects and arrays of strings,
 * numbers, booleans, base64 blobs and ready-made JSON, appended to a
 * caller's struct buf.
 *
 *	struct jsonw w;
 *	jsonw_begin(&w, &buf);			{
 *	jsonw_str(&w, "key", s, n);		"key":"..."
 *	jsonw_u64(&w, "n", 3);			,"n":3
 *	jsonw_obj(&w, "sub"); ...; jsonw_close(&w);	,"sub":{...}
 *	if (jsonw_end(&w) < 0) ...		}  (-1: the buffer's cap was hit)
 *
 * Strings are escaped by json_escape (lib/json), the one escaper: '"',
 * '\\' and control bytes. Bytes that are not valid UTF-8 become U+FFFD,
 * so the output is always valid JSON even for a file name in Latin-1.
 * A failure sticks: every later call is a no-op and jsonw_end reports it,
 * so a caller checks once. Keys are borrowed literals, written as given. */
#ifndef JSONW_H
#define JSONW_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define JSONW_DEPTH 8

struct jsonw {
	struct buf *b;
	int depth;
	int failed;
	unsigned n[JSONW_DEPTH];	/* members written per level */
	char closer[JSONW_DEPTH];	/* '}' or ']' per level */
};

void jsonw_begin(struct jsonw *w, struct buf *b);	/* '{' */
void jsonw_str(struct jsonw *w, const char *key, const char *s, size_t n);
/* A NUL-terminated string; NULL writes null. */
void jsonw_strz(struct jsonw *w, const char *key, const char *s);
void jsonw_u64(struct jsonw *w, const char *key, uint64_t v);
void jsonw_i64(struct jsonw *w, const char *key, int64_t v);
/* A number with `decimals` digits after the point (elapsed seconds). */
void jsonw_double(struct jsonw *w, const char *key, double v, int decimals);
void jsonw_bool(struct jsonw *w, const char *key, int v);
void jsonw_null(struct jsonw *w, const char *key);
/* Standard base64 of p[0..n) as a string. */
void jsonw_b64(struct jsonw *w, const char *key, const void *p, size_t n);
/* A value that is already JSON text (a number token, a whole object). */
void jsonw_raw(struct jsonw *w, const char *key, const char *json, size_t n);
/* Nested containers; key NULL inside arrays. */
void jsonw_obj(struct jsonw *w, const char *key);
void jsonw_arr(struct jsonw *w, const char *key);
void jsonw_close(struct jsonw *w);		/* '}' or ']' of the inner one */
/* Closes the outer object; 0, or -1 if any step failed. */
int jsonw_end(struct jsonw *w) __attribute__((warn_unused_result));

/* A quoted, escaped JSON string on its own (no object around it). */
int jsonw_string(struct buf *b, const char *s, size_t n)
	__attribute__((warn_unused_result));

#endif
