/* input: read a file or stdin, transparently gunzipping it when it starts
 * with the gzip magic bytes (any number of concatenated gzip members, as
 * `cat a.gz b.gz` or DynamoDB export parts produce).
 *
 * The caller owns the struct; input_open/input_close pair up. `name` is
 * borrowed for the life of the input and used in messages ("(stdin)" for
 * "-"). Errors (open, read, corrupt or truncated gzip) are reported through
 * struct err by input_read returning -1. */
#ifndef INPUT_H
#define INPUT_H

#include <stddef.h>
#include <sys/types.h>
#include <zlib.h>

#include "msg.h"

struct input {
	const char *name;
	int fd;
	int gz;			/* 1 when decompressing */
	int zdone;		/* current member ended */
	int zeof;		/* no more compressed bytes */
	z_stream z;
	unsigned char *zbuf;
	size_t zlen, zpos;
	unsigned char peek[2];
	size_t npeek;
	struct err err;
};

int input_open(struct input *in, const char *path, struct err *e);
/* Up to n bytes; 0 at end of input; -1 on error (in->err says why). */
ssize_t input_read(struct input *in, char *dst, size_t n);
void input_close(struct input *in);

#endif
