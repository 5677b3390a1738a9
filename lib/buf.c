/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "buf.h"
#include "util.h"

void
buf_init(struct buf *b, size_t max)
{
	if (max == 0)
		abort();	/* every buffer has a cap */
	b->p = NULL;
	b->len = b->cap = 0;
	b->max = max;
}

void
buf_free(struct buf *b)
{
	if (b == NULL)
		return;
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

int
buf_grow(struct buf *b, size_t need)
{
	size_t want, ncap;

	if (need > SIZE_MAX - b->len)
		return -1;
	want = b->len + need;
	if (want <= b->cap)
		return 0;
	if (want > b->max)
		return -1;
	ncap = b->cap != 0 ? b->cap : 256;
	while (ncap < want)
		ncap = ncap > SIZE_MAX / 2 ? want : ncap * 2;
	if (ncap > b->max)
		ncap = b->max;
	b->p = xrealloc(b->p, ncap);
	b->cap = ncap;
	return 0;
}

int
buf_add(struct buf *b, const void *s, size_t n)
{
	if (buf_grow(b, n) < 0)
		return -1;
	if (n != 0)
		memcpy(b->p + b->len, s, n);
	b->len += n;
	return 0;
}

int
buf_addstr(struct buf *b, const char *s)
{
	return buf_add(b, s, strlen(s));
}

int
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || buf_grow(b, (size_t)n + 1) < 0)
		return -1;
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

const char *
buf_str(struct buf *b)
{
	if (b->len == 0 && b->cap == 0)
		return "";
	if (b->len == b->cap && buf_grow(b, 1) < 0)
		b->len--;
	b->p[b->len] = '\0';
	return b->p;
}
