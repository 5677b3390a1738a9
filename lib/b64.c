/* SPDX-License-Identifier: MIT */
#include <stdint.h>

#include "b64.h"
#include "buf.h"

static const char enc[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* 0..63, 64 for '=', 255 for anything else */
static const unsigned char dec[256] = {
	255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
	255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
	255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,  62, 255, 255, 255,  63,
	 52,  53,  54,  55,  56,  57,  58,  59,  60,  61, 255, 255, 255,  64, 255, 255,
	255,   0,   1,   2,   3,   4,   5,   6,   7,   8,   9,  10,  11,  12,  13,  14,
	 15,  16,  17,  18,  19,  20,  21,  22,  23,  24,  25, 255, 255, 255, 255, 255,
	255,  26,  27,  28,  29,  30,  31,  32,  33,  34,  35,  36,  37,  38,  39,  40,
	 41,  42,  43,  44,  45,  46,  47,  48,  49,  50,  51, 255, 255, 255, 255, 255,
	255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
	255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
	255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
	255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
	255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
	255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
	255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
	255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
};

static long
run(const char *s, size_t n, unsigned char *dst)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i, full, rem, o = 0;
	unsigned a, b, c, d;

	/* Strip padding (at most two) then treat the tail as 2 or 3 chars. */
	if (n >= 1 && u[n - 1] == '=') {
		if (n % 4 != 0)
			return -1;
		n--;
		if (n >= 1 && u[n - 1] == '=')
			n--;
	}
	rem = n % 4;
	if (rem == 1)
		return -1;
	full = n - rem;
	for (i = 0; i < full; i += 4) {
		a = dec[u[i]];
		b = dec[u[i + 1]];
		c = dec[u[i + 2]];
		d = dec[u[i + 3]];
		if ((a | b | c | d) > 63)
			return -1;
		if (dst != NULL) {
			dst[o] = (unsigned char)(a << 2 | b >> 4);
			dst[o + 1] = (unsigned char)(b << 4 | c >> 2);
			dst[o + 2] = (unsigned char)(c << 6 | d);
		}
		o += 3;
	}
	if (rem >= 2) {
		a = dec[u[i]];
		b = dec[u[i + 1]];
		if ((a | b) > 63)
			return -1;
		if (rem == 2 && (b & 15) != 0)
			return -1;	/* non-canonical trailing bits */
		if (dst != NULL)
			dst[o] = (unsigned char)(a << 2 | b >> 4);
		o++;
		if (rem == 3) {
			c = dec[u[i + 2]];
			if (c > 63 || (c & 3) != 0)
				return -1;
			if (dst != NULL)
				dst[o] = (unsigned char)(b << 4 | c >> 2);
			o++;
		}
	}
	return (long)o;
}

long
b64_decode(const char *s, size_t n, unsigned char *dst)
{
	return run(s, n, dst);
}

int
b64_valid(const char *s, size_t n)
{
	return run(s, n, NULL) >= 0;
}

size_t
b64_encode(const unsigned char *s, size_t n, char *dst)
{
	size_t i, o = 0;
	uint32_t v;

	for (i = 0; i + 3 <= n; i += 3) {
		v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8 | s[i + 2];
		dst[o++] = enc[v >> 18];
		dst[o++] = enc[(v >> 12) & 63];
		dst[o++] = enc[(v >> 6) & 63];
		dst[o++] = enc[v & 63];
	}
	if (n - i == 1) {
		v = (uint32_t)s[i] << 16;
		dst[o++] = enc[v >> 18];
		dst[o++] = enc[(v >> 12) & 63];
		dst[o++] = '=';
		dst[o++] = '=';
	} else if (n - i == 2) {
		v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8;
		dst[o++] = enc[v >> 18];
		dst[o++] = enc[(v >> 12) & 63];
		dst[o++] = enc[(v >> 6) & 63];
		dst[o++] = '=';
	}
	return o;
}

int
b64_encode_buf(struct buf *out, const void *p, size_t n)
{
	if (n > (SIZE_MAX - 4) / 4 * 3 || buf_grow(out, B64_ENC_LEN(n)) < 0)
		return -1;
	out->len += b64_encode(p, n, out->p + out->len);
	return 0;
}
