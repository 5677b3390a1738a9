/* jqprog: a user's jq program (libjq), compiled once and run on one JSON
 * text at a time. ddbflat's --jq and ddbbatch's --partition use it, and
 * ddblambda takes the same options.
 *
 *	p = jqprog_new(program, "--jq", "jq", &e);
 *	if (jqprog_start(p, text, len, &why) == 0)
 *		while ((rc = jqprog_next(p, &v, &why)) == 1)
 *			... use v, then jv_free(v) ...
 *	rc == 0: the program is done; rc == -1: why says what failed
 *
 * libjq 1.6 holds numbers as doubles: a 38-digit DynamoDB number read by
 * the program loses digits. That is libjq's, documented in the man pages.
 * Messages (compile and run-time errors) are cut to one line of at most
 * 400 bytes. Not thread-safe: one jqprog per thread. */
#ifndef JQPROG_H
#define JQPROG_H

#include <stddef.h>

#include <jq.h>

#include "buf.h"
#include "msg.h"

struct jqprog;

/* Compiles `program`; NULL with e filled (MSG_EX_USAGE) when it does not
 * compile. `what` names the option in compile errors ("--jq"), `label`
 * starts run-time errors ("jq" gives "jq: boom"). */
struct jqprog *jqprog_new(const char *program, const char *what,
    const char *label, struct err *e);
/* Parses text[0..n) (a trailing newline is ignored) and starts the program
 * on it; -1 with why set when the text is not JSON. */
int jqprog_start(struct jqprog *p, const char *text, size_t n,
    struct buf *why) __attribute__((warn_unused_result));
/* The next output: 1 with *out set (the caller frees it), 0 when the
 * program has no more, -1 with why set on a jq error. */
int jqprog_next(struct jqprog *p, jv *out, struct buf *why)
	__attribute__((warn_unused_result));
void jqprog_free(struct jqprog *p);

#endif
