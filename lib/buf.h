/* buf: a growable byte buffer with a declared cap.
 *
 * A tool keeps one buf per purpose and resets its length between records,
 * so hot paths allocate nothing once the buffer has grown to the largest
 * record seen. Growing past `max` fails (returns -1) instead of spiralling:
 * a runaway record is an error, not an out-of-memory kill. The caller owns
 * the struct; buf_free releases the storage and accepts a zeroed buf. */
#ifndef BUF_H
#define BUF_H

#include <stddef.h>
#include <string.h>

struct buf {
	char *p;
	size_t len;
	size_t cap;
	size_t max;		/* 0: no cap */
};

void buf_init(struct buf *b, size_t max);
void buf_free(struct buf *b);
int buf_grow(struct buf *b, size_t need);	/* room for `need` more */
int buf_add(struct buf *b, const void *s, size_t n);
int buf_addstr(struct buf *b, const char *s);
int buf_printf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static inline int
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
