/* buf: a growable byte buffer with a declared cap, in the manner of curl's
 * dynbuf.
 *
 * A tool keeps one buf per purpose and resets its length between records,
 * so hot paths allocate nothing once the buffer has grown to the largest
 * record seen. Every buffer has a cap, given to buf_init (0 is a
 * programming error and aborts): growing past it fails (-1, the contents
 * left as they were) instead of spiralling, so a runaway record is an
 * error, not an out-of-memory kill. Every function that can fail must have
 * its result checked (warn_unused_result). The caller owns the struct;
 * buf_free releases the storage and accepts a zeroed buf. */
#ifndef BUF_H
#define BUF_H

#include <stddef.h>
#include <string.h>

#define BUF_MUST __attribute__((warn_unused_result))

struct buf {
	char *p;
	size_t len;
	size_t cap;
	size_t max;		/* the cap, > 0 */
};

void buf_init(struct buf *b, size_t max);
void buf_free(struct buf *b);
int buf_grow(struct buf *b, size_t need) BUF_MUST;	/* room for `need` more */
int buf_add(struct buf *b, const void *s, size_t n) BUF_MUST;
int buf_addstr(struct buf *b, const char *s) BUF_MUST;
int buf_printf(struct buf *b, const char *fmt, ...) BUF_MUST
	__attribute__((format(printf, 2, 3)));
/* The contents as a C string (a NUL after len, not counted). If the cap
 * leaves no room for it, the last byte gives way; an empty buffer gives
 * "". For messages. */
const char *buf_str(struct buf *b);

static inline BUF_MUST int
buf_addc(struct buf *b, char c)
{
	if (b->len + 1 > b->cap && buf_grow(b, 1) < 0)
		return -1;
	b->p[b->len++] = c;
	return 0;
}

/* Appends without a capacity check: the caller called buf_grow first. */
static inline void
buf_put(struct buf *b, const void *s, size_t n)
{
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

#endif
