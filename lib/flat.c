/* SPDX-License-Identifier: MIT */
/* flat: the ddbflat engine's life cycle, framing and resynchronisation, and
 * the per-record driver (see flat.h and flatint.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flatint.h"
#include "util.h"

int
flat_fail(struct flat *f, const char *code, const char *fmt, ...)
{
	va_list ap;

	f->ecode = code;
	va_start(ap, fmt);
	vsnprintf(f->emsg, sizeof f->emsg, fmt, ap);
	va_end(ap);
	return -1;
}

struct flat *
flat_new(const struct flat_opts *o, const struct flat_sink *s)
{
	struct flat *f = xcalloc(1, sizeof *f);
	const char *sep;

	f->o = *o;
	f->sink = *s;
	if (f->o.max_record == 0)
		f->o.max_record = 16 << 20;
	sep = o->sep != NULL ? o->sep : "_";
	if (strlen(sep) > 8)
		sep = "_";
	f->seplen = json_escape(sep, strlen(sep), f->sep);
	f->sep1 = strlen(sep) == 1 && f->seplen == 1;
	buf_init(&f->win, f->o.max_record + READ_CHUNK + 1);
	buf_init(&f->dec, f->o.max_record);
	/* A record's output, keys and text pieces are bounded by a few times
	 * the record (numbers gain at most a few bytes, escapes six per
	 * byte); past that the record fails as TooLarge. */
	buf_init(&f->out, 8 * f->o.max_record + 65536);
	buf_init(&f->key, 8 * f->o.max_record + 65536);
	buf_init(&f->tmp, f->o.max_record + 65536);
	buf_init(&f->keys, 8 * f->o.max_record + 65536);
	buf_init(&f->lens, 8 * f->o.max_record + 65536);
	json_toks_init(&f->tk);
	json_toks_init(&f->tk2);
	flat_keyset_init(&f->set);
	buf_init(&f->rec, 8 * f->o.max_record + 65536);
	return f;
}

void
flat_free(struct flat *f)
{
	if (f == NULL)
		return;
	buf_free(&f->win);
	buf_free(&f->dec);
	buf_free(&f->out);
	buf_free(&f->key);
	buf_free(&f->tmp);
	buf_free(&f->keys);
	buf_free(&f->lens);
	json_toks_free(&f->tk);
	json_toks_free(&f->tk2);
	flat_keyset_free(&f->set);
	buf_free(&f->rec);
	free(f->ord);
	free(f->kp);
	free(f->ent);
	free(f);
}

const struct flat_counts *
flat_counts(const struct flat *f)
{
	return &f->c;
}

/* ---- units and framing ------------------------------------------------ */

/* Process one complete JSON value (tokens in f->tk, text at base). */
static int
unit(struct flat *f, const char *base, size_t len, int hint, uint64_t lineno)
{
	int rc;

	f->c.records_in++;
	f->ecode = NULL;
	f->oflow = 0;
	f->collect = 0;
	rc = flatrec_dispatch(f, base, &f->tk, hint, NULL, 0);
	if (rc == 0 && f->risky) {
		size_t i;

		flat_keyset_reset(&f->set);
		for (i = 0; i < f->nkp && !f->collided; i += 2)
			if (flat_keyset_add(&f->set, f->out.p, f->kp[i], f->kp[i + 1]))
				f->collided = 1;
	}
	if (rc == 0 && f->collided) {
		/* Slow path: again, remembering every entry. */
		f->collect = 1;
		rc = flatrec_dispatch(f, base, &f->tk, hint, NULL, 0);
		f->collect = 0;
		if (rc == 0 && !f->oflow)
			rc = flatval_resolve(f, lineno);
	} else if (rc == 0) {
		out_add(f, "}\n", 2);
	}
	if (rc == 0 && f->oflow)
		rc = flat_fail(f, "TooLarge", "record output larger than the "
		    "--max-record cap allows");
	if (rc < 0) {
		f->c.records_failed++;
		f->sink.error(f->sink.ctx, lineno, f->ecode, f->emsg, base, len);
		return 1;
	}
	rc = f->sink.record(f->sink.ctx, f->out.p, f->out.len, base, len,
	    lineno);
	if (rc < 0)
		return -1;
	if (rc > 0)
		f->c.records_failed++;
	else
		f->c.records_out++;
	return rc;
}

static uint64_t
count_nl(const char *p, size_t n)
{
	uint64_t k = 0;
	const char *e = p + n;

	while ((p = memchr(p, '\n', (size_t)(e - p))) != NULL) {
		k++;
		p++;
	}
	return k;
}

/* Read more input into the window, keeping [pos, len). Returns 1 when
 * bytes arrived, 0 at end of input, -1 on a read error, -2 when the
 * pending value exceeds the cap. */
static int
fill(struct flat *f, flat_read_fn rd, void *ctx)
{
	size_t keep = f->win.len - f->pos;
	ssize_t n;

	if (f->eof)
		return 0;
	if (f->pos > 0) {
		memmove(f->win.p, f->win.p + f->pos, keep);
		f->win.len = keep;
		f->pos = 0;
	}
	if (keep >= f->o.max_record)
		return -2;
	if (buf_grow(&f->win, READ_CHUNK) < 0)
		return -2;
	do
		n = rd(ctx, f->win.p + f->win.len, f->win.cap - f->win.len);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	if (n == 0) {
		f->eof = 1;
		return 0;
	}
	f->win.len += (size_t)n;
	f->c.bytes_in += (uint64_t)n;
	return 1;
}

enum { ST_TOP, ST_ELEM_FIRST, ST_ELEM_NEXT, ST_ELEM, ST_REST,
	ST_REST_NAME, ST_REST_COLON, ST_REST_VALUE, ST_RESYNC };

static void
report_raw(struct flat *f, uint64_t lineno, const char *code, const char *msg,
    size_t from, size_t to)
{
	f->c.records_in++;
	f->c.records_failed++;
	f->sink.error(f->sink.ctx, lineno, code, msg, f->win.p + from,
	    to - from);
}

int
flat_run(struct flat *f, flat_read_fn rd, void *ctx, int strict)
{
	int st = ST_TOP, hint = HINT_NONE, top_array = 0, rc, r, bol = 0;
	struct json_result jr;
	char msg[300];

	f->win.len = f->pos = 0;
	f->eof = 0;
	f->line = 1;
	for (;;) {
		char c;

		/* whitespace */
		while (f->pos < f->win.len) {
			c = f->win.p[f->pos];
			if (st == ST_RESYNC) {
				const char *nl;

				/* Resume at the next line that does not
				 * continue a pretty-printed value. */
				if (bol && c != ' ' && c != '\t' && c != '\r' &&
				    c != '\n' && c != '}' && c != ']' &&
				    c != ',') {
					st = ST_TOP;
					break;
				}
				nl = memchr(f->win.p + f->pos, '\n',
				    f->win.len - f->pos);
				if (nl == NULL) {
					f->pos = f->win.len;
					bol = 0;
					break;
				}
				f->pos = (size_t)(nl - f->win.p) + 1;
				f->line++;
				bol = 1;
				continue;
			}
			if (c == '\n')
				f->line++;
			else if (c != ' ' && c != '\t' && c != '\r')
				break;
			f->pos++;
		}
		if (f->pos == f->win.len) {
			r = fill(f, rd, ctx);
			if (r < 0 && r != -2)
				return FLAT_READ_ERR;
			if (r > 0)
				continue;
			if (st == ST_TOP || st == ST_RESYNC)
				return FLAT_DONE;
			snprintf(msg, sizeof msg, "unexpected end of input "
			    "inside a %s document (truncated)",
			    top_array ? "top-level array" : "\"Records\"/\"Items\"");
			f->c.records_in++;
			f->c.records_failed++;
			f->sink.error(f->sink.ctx, f->line, "Malformed", msg,
			    "", 0);
			return strict ? FLAT_STOP : FLAT_DONE;
		}
		/* UTF-8 byte order mark at the very start */
		if (f->line == 1 && f->pos == 0 && st == ST_TOP &&
		    f->win.len >= 3 && memcmp(f->win.p, "\xef\xbb\xbf", 3) == 0) {
			f->pos = 3;
			continue;
		}
		c = f->win.p[f->pos];
		if (st == ST_RESYNC)
			continue;
		switch (st) {
		case ST_TOP:
			if (c == '[') {
				st = ST_ELEM_FIRST;
				top_array = 1;
				hint = HINT_NONE;
				f->pos++;
				continue;
			}
			break;
		case ST_ELEM_FIRST:
			if (c == ']') {
				f->pos++;
				st = top_array ? ST_TOP : ST_REST;
				continue;
			}
			st = ST_ELEM;
			break;
		case ST_ELEM_NEXT:
			if (c == ',') {
				f->pos++;
				st = ST_ELEM;
				continue;
			}
			if (c == ']') {
				f->pos++;
				st = top_array ? ST_TOP : ST_REST;
				continue;
			}
			snprintf(msg, sizeof msg, "expected ',' or ']' between "
			    "array elements");
			goto syntax_here;
		case ST_REST:
			if (c == '}') {
				f->pos++;
				st = ST_TOP;
				continue;
			}
			if (c == ',') {
				f->pos++;
				st = ST_REST_NAME;
				continue;
			}
			snprintf(msg, sizeof msg, "expected ',' or '}' after "
			    "the records array");
			goto syntax_here;
		case ST_REST_COLON:
			if (c == ':') {
				f->pos++;
				st = ST_REST_VALUE;
				continue;
			}
			snprintf(msg, sizeof msg, "expected ':'");
			goto syntax_here;
		default:
			break;
		}

		/* A value at pos: a record, an element, or a skipped member. */
		rc = json_parse(f->win.p + f->pos, f->win.len - f->pos, f->eof,
		    st == ST_TOP ? JSON_ENVELOPE : 0, &f->tk, &jr);
		if (rc == JSON_MORE) {
			r = fill(f, rd, ctx);
			if (r == -1)
				return FLAT_READ_ERR;
			if (r == -2) {
				snprintf(msg, sizeof msg, "record larger than "
				    "--max-record (%zu bytes)", f->o.max_record);
				report_raw(f, f->line, "TooLarge", msg, f->pos,
				    f->pos + (f->win.len - f->pos < 4096 ?
				    f->win.len - f->pos : 4096));
				f->pos = f->win.len;
				st = ST_RESYNC;
				bol = 0;
				if (strict)
					return FLAT_STOP;
			}
			continue;
		}
		if (rc == JSON_ERR) {
			uint64_t at = f->line + count_nl(f->win.p + f->pos,
			    jr.err_at);
			size_t end = f->pos + jr.err_at, k;
			const char *nl = memchr(f->win.p + end, '\n',
			    f->win.len - end);

			/* A value cut short on one line and a new record on
			 * a following line that starts with '{' or '[': the
			 * record ends there, and the next one is intact. */
			for (k = f->pos; k < end; k++)
				if (f->win.p[k] == '\n' &&
				    (f->win.p[k + 1] == '{' ||
				    f->win.p[k + 1] == '['))
					break;
			if (k < end) {
				uint64_t nextl = f->line +
				    count_nl(f->win.p + f->pos, k - f->pos) + 1;

				snprintf(msg, sizeof msg, "malformed JSON: "
				    "record not terminated before line %llu",
				    (unsigned long long)nextl);
				f->c.records_in++;
				f->c.records_failed++;
				f->sink.error(f->sink.ctx, f->line, "Malformed",
				    msg, f->win.p + f->pos, k - f->pos);
				f->line = nextl;
				f->pos = k + 1;
				st = ST_TOP;
				top_array = 0;
				if (strict)
					return FLAT_STOP;
				continue;
			}
			end = nl != NULL ? (size_t)(nl - f->win.p) : f->win.len;
			snprintf(msg, sizeof msg, "malformed JSON: %s", jr.err);
			f->c.records_in++;
			f->c.records_failed++;
			f->sink.error(f->sink.ctx, at, "Malformed", msg,
			    f->win.p + f->pos, end - f->pos);
			f->line = at;
			f->pos = end;
			st = ST_RESYNC;
				bol = 0;
			top_array = 0;
			if (strict)
				return FLAT_STOP;
			continue;
		}
		if (rc == JSON_ENV) {
			hint = jr.env_key[0] == 'I' ? HINT_ITEM :
			    jr.env_key[0] == 'r' ? HINT_FIREHOSE : HINT_RECORD;
			f->line += jr.lines;
			f->pos += jr.end + 1;
			top_array = 0;
			st = ST_ELEM_FIRST;
			continue;
		}
		/* JSON_OK */
		switch (st) {
		case ST_REST_NAME:
			if (f->tk.t[0].type != JSON_STRING) {
				snprintf(msg, sizeof msg, "expected a member "
				    "name");
				goto syntax_here;
			}
			st = ST_REST_COLON;
			break;
		case ST_REST_VALUE:
			st = ST_REST;
			break;
		default:
			if (jr.end > f->o.max_record) {
				snprintf(msg, sizeof msg, "record larger than "
				    "--max-record (%zu bytes)", f->o.max_record);
				report_raw(f, f->line, "TooLarge", msg, f->pos,
				    f->pos + jr.end);
				st = st == ST_ELEM ? ST_ELEM_NEXT : ST_TOP;
				if (strict)
					return FLAT_STOP;
				break;
			}
			r = unit(f, f->win.p + f->pos, jr.end,
			    st == ST_ELEM ? hint : HINT_NONE, f->line);
			if (r < 0)
				return FLAT_SINK_ERR;
			if (r > 0 && strict) {
				f->pos += jr.end;
				return FLAT_STOP;
			}
			st = st == ST_ELEM ? ST_ELEM_NEXT : ST_TOP;
		}
		f->line += jr.lines;
		f->pos += jr.end;
		continue;

syntax_here:
		{
			size_t end;
			const char *nl = memchr(f->win.p + f->pos, '\n',
			    f->win.len - f->pos);

			end = nl != NULL ? (size_t)(nl - f->win.p) : f->win.len;
			report_raw(f, f->line, "Malformed", msg, f->pos, end);
			f->pos = end;
			st = ST_RESYNC;
				bol = 0;
			top_array = 0;
			if (strict)
				return FLAT_STOP;
		}
	}
}

