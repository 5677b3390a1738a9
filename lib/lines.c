/* SPDX-License-Identifier: MIT */
#include <string.h>

#include "lines.h"

void
lines_init(struct lines *l, size_t max)
{
	buf_init(&l->b, max);
	l->start = l->scan = 0;
	l->work = 0;
}

void
lines_free(struct lines *l)
{
	buf_free(&l->b);
	l->start = l->scan = 0;
}

int
lines_room(struct lines *l, size_t want, char **p, size_t *n)
{
	struct buf *b = &l->b;

	if (l->start > 0) {
		/* Lines were taken: move the partial one to the front. Its
		 * bytes arrived after the last move, so none moves twice. */
		size_t rest = b->len - l->start;

		if (rest > 0)
			memmove(b->p, b->p + l->start, rest);
		l->work += rest;
		b->len = rest;
		l->scan -= l->start;
		l->start = 0;
	}
	if (b->cap - b->len < want) {
		/* Grow by at least the size we have, so a long line costs
		 * amortised O(1) copying per byte. */
		size_t more = b->cap > want ? b->cap : want;

		if (buf_grow(b, more) < 0 && buf_grow(b, want) < 0)
			return -1;
	}
	*p = b->p + b->len;
	*n = b->cap - b->len;
	return 0;
}

void
lines_commit(struct lines *l, size_t n)
{
	l->b.len += n;
}

int
lines_next(struct lines *l, const char **p, size_t *n)
{
	struct buf *b = &l->b;
	const char *nl;

	if (l->scan >= b->len)
		return 0;
	nl = memchr(b->p + l->scan, '\n', b->len - l->scan);
	if (nl == NULL) {
		l->work += b->len - l->scan;
		l->scan = b->len;
		return 0;
	}
	l->work += (size_t)(nl + 1 - (b->p + l->scan));
	*p = b->p + l->start;
	*n = (size_t)(nl + 1 - *p);
	l->start = l->scan = (size_t)(nl + 1 - b->p);
	return 1;
}

size_t
lines_tail(const struct lines *l, const char **p)
{
	if (l->b.p == NULL) {
		*p = "";
		return 0;
	}
	*p = l->b.p + l->start;
	return l->b.len - l->start;
}

int
lines_end(struct lines *l)
{
	if (buf_addc(&l->b, '\n') < 0)
		return -1;
	return 0;
}

void
lines_clear(struct lines *l)
{
	l->b.len = l->start = l->scan = 0;
}
