/* SPDX-License-Identifier: MIT */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include "jqprog.h"
#include "util.h"

#define MSG_MAX 400

struct jqprog {
	jq_state *jq;
	char label[64];		/* "jq: " before run-time errors */
	struct buf msg;		/* first message from the error callback */
};

/* One line of at most MSG_MAX bytes into why (reset first). */
static void
set_why(struct buf *why, const char *prefix, const char *s)
{
	why->len = 0;
	if (buf_addstr(why, prefix) < 0)
		return;
	for (; *s != '\0' && why->len < MSG_MAX; s++)
		if (buf_addc(why, *s == '\n' ? ' ' : *s) < 0)
			return;
}

/* A jv message (consumed) as text into why. */
static void
jv_why(struct buf *why, const char *prefix, jv m)
{
	if (jv_get_kind(m) == JV_KIND_STRING) {
		set_why(why, prefix, jv_string_value(m));
	} else if (jv_is_valid(m)) {
		jv s = jv_dump_string(jv_copy(m), 0);

		set_why(why, prefix, jv_string_value(s));
		jv_free(s);
	} else {
		set_why(why, prefix, "error");
	}
	jv_free(m);
}

static void
on_error(void *ctx, jv m)
{
	struct jqprog *p = ctx;

	/* Keep the first message: jq ends with a vague "N compile errors". */
	if (p->msg.len == 0)
		jv_why(&p->msg, "", m);
	else
		jv_free(m);
}

struct jqprog *
jqprog_new(const char *program, const char *what, const char *label,
    struct err *e)
{
	struct jqprog *p = xcalloc(1, sizeof *p);

	snprintf(p->label, sizeof p->label, "%s: ", label);
	buf_init(&p->msg, MSG_MAX + 64);
	p->jq = jq_init();
	if (p->jq == NULL) {
		jqprog_free(p);
		msg_seterr(e, MSG_EX_IO, "%s: cannot initialise jq", what);
		return NULL;
	}
	jq_set_error_cb(p->jq, on_error, p);
	if (!jq_compile(p->jq, program)) {
		msg_seterr(e, MSG_EX_USAGE, "%s: %.*s", what, (int)p->msg.len,
		    p->msg.len > 0 ? p->msg.p : "cannot compile the program");
		jqprog_free(p);
		return NULL;
	}
	return p;
}

int
jqprog_start(struct jqprog *p, const char *text, size_t n, struct buf *why)
{
	jv in;

	if (n > 0 && text[n - 1] == '\n')
		n--;
	if (n > INT_MAX) {
		set_why(why, "", "record too large for jq");
		return -1;
	}
	in = jv_parse_sized(text, (int)n);
	if (!jv_is_valid(in)) {
		jv_why(why, "invalid JSON: ", jv_invalid_get_msg(in));
		return -1;
	}
	p->msg.len = 0;
	jq_start(p->jq, in, 0);
	return 0;
}

int
jqprog_next(struct jqprog *p, jv *out, struct buf *why)
{
	jv v = jq_next(p->jq);

	if (jv_is_valid(v)) {
		*out = v;
		return 1;
	}
	if (!jv_invalid_has_msg(jv_copy(v))) {
		jv_free(v);
		return 0;
	}
	jv_why(why, p->label, jv_invalid_get_msg(v));
	return -1;
}

void
jqprog_free(struct jqprog *p)
{
	if (p == NULL)
		return;
	if (p->jq != NULL)
		jq_teardown(&p->jq);
	buf_free(&p->msg);
	free(p);
}
