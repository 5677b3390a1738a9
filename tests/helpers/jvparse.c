/* SPDX-License-Identifier: MIT */
/* jvparse: the "libjq parse-only" baseline of `make bench`. Parses JSON
 * values from FILEs (or stdin) with libjq's streaming jv_parser, counts them
 * and frees each one: the least work any libjq-based transcoder does per
 * record, so ddbflat's rate over this one shows whether its hot path builds
 * a jv tree.  Prints the count on stdout; exit 3 on malformed input. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jv.h>

#include "msg.h"

#define BLOCK (1 << 16)

static void
usage(FILE *f)
{
	fprintf(f, "usage: jvparse [FILE...]\n"
	    "Parse JSON values with libjq's jv_parser and print how many.\n");
}

/* Drain every complete value the parser holds; -1 on a parse error. */
static int
drain(jv_parser *p, const char *name, unsigned long long *count)
{
	for (;;) {
		jv v = jv_parser_next(p);
		if (jv_is_valid(v)) {
			(*count)++;
			jv_free(v);
			continue;
		}
		if (jv_invalid_has_msg(jv_copy(v))) {
			jv m = jv_invalid_get_msg(v);
			msg_err("%s: %s", name, jv_string_value(m));
			jv_free(m);
			return -1;
		}
		jv_free(v);
		return 0;
	}
}

static int
parse_file(const char *name, unsigned long long *count)
{
	static char buf[BLOCK];
	FILE *f = stdin;
	int rc = MSG_EX_OK;

	if (strcmp(name, "-") != 0 && (f = fopen(name, "rb")) == NULL) {
		msg_err("%s: %s", name, strerror(errno));
		return MSG_EX_IO;
	}
	jv_parser *p = jv_parser_new(0);
	size_t n;
	while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
		jv_parser_set_buf(p, buf, (int)n, 1);
		if (drain(p, name, count) < 0) {
			rc = MSG_EX_DATA;
			goto out;
		}
	}
	if (ferror(f)) {
		msg_err("%s: %s", name, strerror(errno));
		rc = MSG_EX_IO;
		goto out;
	}
	jv_parser_set_buf(p, "", 0, 0);
	if (drain(p, name, count) < 0)
		rc = MSG_EX_DATA;
out:
	jv_parser_free(p);
	if (f != stdin)
		fclose(f);
	return rc;
}

int
main(int argc, char **argv)
{
	unsigned long long count = 0;
	int rc = MSG_EX_OK;

	msg_init(argv[0]);
	if (argc > 1 && (strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0)) {
		usage(stdout);
		return MSG_EX_OK;
	}
	if (argc == 1)
		rc = parse_file("-", &count);
	for (int i = 1; i < argc && rc != MSG_EX_DATA; i++)
		rc = msg_worse(rc, parse_file(argv[i], &count));
	printf("%llu\n", count);
	return msg_finish_stdout(rc);
}
