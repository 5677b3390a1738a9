/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "input.h"
#include "util.h"

#define ZCHUNK (256 * 1024)

int
input_open(struct input *in, const char *path, struct err *e)
{
	memset(in, 0, sizeof *in);
	if (strcmp(path, "-") == 0) {
		in->name = "(stdin)";
		in->fd = 0;
	} else {
		in->name = path;
		in->fd = open(path, O_RDONLY | O_CLOEXEC);
		if (in->fd < 0)
			return msg_seterr(e, MSG_EX_PARTIAL, "%s: %s", path,
			    strerror(errno));
	}
	in->npeek = (size_t)-1;	/* not looked yet */
	return 0;
}

static ssize_t
rd(int fd, void *p, size_t n)
{
	ssize_t k;

	do
		k = read(fd, p, n);
	while (k < 0 && errno == EINTR);
	return k;
}

/* Look at the first two bytes to decide whether this is gzip. */
static int
sniff(struct input *in)
{
	ssize_t k;

	in->npeek = 0;
	while (in->npeek < 2) {
		k = rd(in->fd, in->peek + in->npeek, 2 - in->npeek);
		if (k < 0)
			return msg_seterr(&in->err, MSG_EX_IO, "%s: %s", in->name,
			    strerror(errno));
		if (k == 0)
			break;
		in->npeek += (size_t)k;
	}
	if (in->npeek == 2 && in->peek[0] == 0x1f && in->peek[1] == 0x8b) {
		in->gz = 1;
		in->zbuf = xmalloc(ZCHUNK);
		in->zbuf[0] = 0x1f;
		in->zbuf[1] = 0x8b;
		in->zlen = 2;
		in->npeek = 0;
		if (inflateInit2(&in->z, 15 + 16) != Z_OK)
			return msg_seterr(&in->err, MSG_EX_IO, "%s: zlib init failed",
			    in->name);
	}
	return 0;
}

static ssize_t
gz_read(struct input *in, char *dst, size_t n)
{
	int zr;
	ssize_t k;

	in->z.next_out = (unsigned char *)dst;
	in->z.avail_out = (uInt)(n > (1u << 30) ? (1u << 30) : n);
	while (in->z.avail_out > 0) {
		if (in->zpos == in->zlen && !in->zeof) {
			k = rd(in->fd, in->zbuf, ZCHUNK);
			if (k < 0)
				return msg_seterr(&in->err, MSG_EX_IO, "%s: %s",
				    in->name, strerror(errno));
			if (k == 0)
				in->zeof = 1;
			in->zlen = (size_t)k;
			in->zpos = 0;
		}
		if (in->zdone) {
			/* Between members: skip zero padding, stop at EOF. */
			while (in->zpos < in->zlen && in->zbuf[in->zpos] == 0)
				in->zpos++;
			if (in->zpos == in->zlen) {
				if (in->zeof)
					break;
				continue;
			}
			if (inflateReset(&in->z) != Z_OK)
				return msg_seterr(&in->err, MSG_EX_IO, "%s: zlib "
				    "reset failed", in->name);
			in->zdone = 0;
		}
		if (in->zpos == in->zlen && in->zeof) {
			if (in->z.avail_out < n)
				break;	/* hand over what we have first */
			return msg_seterr(&in->err, MSG_EX_PARTIAL, "%s: unexpected "
			    "end of gzip data (truncated file)", in->name);
		}
		in->z.next_in = in->zbuf + in->zpos;
		in->z.avail_in = (uInt)(in->zlen - in->zpos);
		zr = inflate(&in->z, Z_NO_FLUSH);
		in->zpos = in->zlen - in->z.avail_in;
		if (zr == Z_STREAM_END) {
			in->zdone = 1;
			continue;
		}
		if (zr == Z_BUF_ERROR && in->z.avail_in == 0)
			continue;
		if (zr != Z_OK)
			return msg_seterr(&in->err, MSG_EX_PARTIAL, "%s: corrupt gzip "
			    "data: %s", in->name, in->z.msg != NULL ?
			    in->z.msg : "inflate failed");
		if (in->z.avail_out < n)
			break;	/* got something; return it */
	}
	return (ssize_t)(n - in->z.avail_out);
}

ssize_t
input_read(struct input *in, char *dst, size_t n)
{
	ssize_t k;

	if (in->npeek == (size_t)-1 && sniff(in) < 0)
		return -1;
	if (in->gz)
		return gz_read(in, dst, n);
	if (in->npeek > 0 && n > 0) {
		size_t m = in->npeek < n ? in->npeek : n;

		memcpy(dst, in->peek, m);
		memmove(in->peek, in->peek + m, in->npeek - m);
		in->npeek -= m;
		return (ssize_t)m;
	}
	k = rd(in->fd, dst, n);
	if (k < 0)
		return msg_seterr(&in->err, MSG_EX_IO, "%s: %s", in->name,
		    strerror(errno));
	return k;
}

void
input_close(struct input *in)
{
	if (in == NULL)
		return;
	if (in->gz)
		inflateEnd(&in->z);
	free(in->zbuf);
	in->zbuf = NULL;
	if (in->fd > 0)
		close(in->fd);
	in->fd = -1;
}
