/* SPDX-License-Identifier: MIT */
/* flat: the ddbflat engine's life cycle, the per-record driver, and
 * framing: finding JSON values in the input (records at the top level, the
 * elements of a Records/Items/records array one at a time) and keeping
 * every byte that cannot be read in an error record, from where the bad
 * value starts to where reading can resume (see BAD UNITS below and
 * ddbflat(1), Bad input). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flatint.h"
#include "input.h"
#include "util.h"

#define BOM "\xef\xbb\xbf"

/* Where the framing is: between top-level values; before an array's
 * first element, before an element, after one; in the members of an
 * envelope object after its array; inside a bad unit. */
enum { ST_TOP, ST_ELEM_FIRST, ST_ELEM_NEXT, ST_ELEM, ST_REST, ST_REST_NAME,
	ST_REST_COLON, ST_REST_VALUE, ST_BAD };
/* Where a bad unit began: at the top level, at an array element, in the
 * rest of an envelope object. */
enum { BAD_TOP, BAD_ELEM, BAD_REST };
/* What a framing step asks for next. */
enum { R_NEXT, R_MORE, R_DONE, R_SINK };

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
	flat_keyset_init(&f->nset);
	buf_init(&f->names, f->o.max_record + 65536);
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
	flat_keyset_free(&f->nset);
	buf_free(&f->names);
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

/* ---- one record ---------------------------------------------------------- */

/* Flatten one complete JSON value (tokens in f->tk, text at base; its raw
 * bytes for the sink are base[0, rawlen)) and hand it to the sink.
 * Returns 0, 1 when the record failed, -1 when the sink wants to stop. */
static int
record(struct flat *f, const char *base, int hint, uint64_t lineno,
    size_t rawlen)
{
	int rc;

	f->ecode = NULL;
	f->oflow = 0;
	f->collect = 0;
	rc = flatrec_dispatch(f, base, &f->tk, hint, NULL, 0);
	if (rc == FLATREC_NONE)
		return 0;
	f->c.records_in++;
	if (rc == 0 && flatval_collides(f)) {
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
		f->sink.error(f->sink.ctx, lineno, f->ecode, f->emsg, base,
		    rawlen, 0);
		return 1;
	}
	rc = f->sink.record(f->sink.ctx, f->out.p, f->out.len, base, rawlen,
	    lineno);
	if (rc < 0)
		return -1;
	if (rc > 0)
		f->c.records_failed++;
	else
		f->c.records_out++;
	return rc;
}

/* A failed record whose bytes are win[from, to). */
static void
report_raw(struct flat *f, uint64_t lineno, const char *code, const char *msg,
    size_t from, size_t to)
{
	f->c.records_in++;
	f->c.records_failed++;
	f->sink.error(f->sink.ctx, lineno, code, msg, f->win.p + from,
	    to - from, 0);
	if (f->strict)
		f->stop = 1;
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

/* ---- input window ---------------------------------------------------------- */

/* Read more input into the window, keeping [pos, len). Returns 1 when
 * bytes arrived, 0 at end of input, -1 on a read error, -2 when what is
 * kept already fills --max-record. */
static int
fill(struct flat *f)
{
	size_t keep = f->win.len - f->pos;
	ssize_t n;

	if (f->eof)
		return 0;
	if (f->pos > 0) {
		memmove(f->win.p, f->win.p + f->pos, keep);
		f->woff += f->pos;
		f->win.len = keep;
		f->pos = 0;
	}
	if (keep >= f->o.max_record)
		return -2;
	if (buf_grow(&f->win, READ_CHUNK) < 0)
		return -2;
	do
		n = f->rd(f->rdctx, f->win.p + f->win.len,
		    f->win.cap - f->win.len);
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

/* Skip white space, and at the top level a UTF-8 byte order mark (.NET
 * tools write one before a document). Returns 1 when a byte to read is at
 * pos, 0 when more input is needed to know. */
static int
skip_ws(struct flat *f)
{
	const unsigned char *p = (const unsigned char *)f->win.p;
	unsigned char c;

	for (; f->pos < f->win.len; f->pos++) {
		c = p[f->pos];
		if (c == '\n') {
			f->line++;
			f->bol = 1;
			f->bolcol = 0;
		} else if (c == ' ' || c == '\t' || c == '\r') {
			f->bolcol++;
		} else if (c == 0xef && f->st == ST_TOP &&
		    f->win.len - f->pos < 3 && !f->eof) {
			return 0;
		} else if (c == 0xef && f->st == ST_TOP &&
		    f->win.len - f->pos >= 3 &&
		    memcmp(p + f->pos, BOM, 3) == 0) {
			f->pos += 2;
		} else {
			f->col = f->bol ? f->bolcol : -1;
			return 1;
		}
	}
	return 0;
}

/* ---- bad units ----------------------------------------------------------------
 *
 * A value that cannot be read (a syntax error, or more bytes than
 * --max-record) starts a bad unit. The unit's bytes go to the sink's
 * error() unchanged, so `jq -r .rawData | base64 -d` gives them back; it
 * ends where reading can resume, found by scanning forward:
 *
 * - at the top level (NDJSON, concatenated or pretty documents): the end
 *   of its first line when a value closed on it, else the next line that
 *   starts in column 0 with something that does not continue a
 *   pretty-printed value (white space, '}', ']', ',', '"', ':');
 * - at an element of an array in a pretty-printed document (the first
 *   element started its line): the next line whose first byte is '{' in
 *   the elements' column after a ',' (the next element), or ']' at or left
 *   of that column (the array's end); the unit then ends before the ',' or
 *   ']', so it holds the element alone;
 * - at an element of a one-line array: where its brackets balance again
 *   (strings followed as far as they can be, restarted on each line),
 *   when a ',' or ']' follows; junk without brackets ends before the next
 *   ',' or ']';
 * - in every case, a new document in column 0 (the rest of this one is
 *   then the unit), or the end of the input.
 *
 * A unit that outgrows --max-record before its end is found is handed out
 * in parts of --max-record bytes with the same line and reason: memory
 * stays bounded and no byte is dropped. */

static void
bad_begin(struct flat *f, int ctx, const char *code, const char *why,
    uint64_t err, uint64_t errline)
{
	struct flat_bad *b = &f->bad;

	b->ctx = ctx;
	b->col = ctx == BAD_ELEM ? f->elem_col : -1;
	b->code = code;
	snprintf(b->why, sizeof b->why, "%s", why);
	b->line = b->scanline = f->line;
	b->err = err;
	b->errline = errline;
	b->scan = b->lastnw = b->prevnw = f->woff + f->pos;
	b->closed = 0;
	b->depth = b->instr = b->esc = b->opened = 0;
	b->firstline = 1;
	b->bol = b->linecol = 0;
	b->prevc = 0;
	b->parts = 0;
	b->ateof = 0;
	f->st = ST_BAD;
}

/* The unit's message: its reason, where the parser gave up when that is
 * not the unit's first line, and its part. */
static void
bad_message(const struct flat *f, char *msg, size_t n, size_t to,
    unsigned part)
{
	const struct flat_bad *b = &f->bad;
	int k;

	if (strcmp(b->code, "Malformed") != 0)
		k = snprintf(msg, n, "%s", b->why);
	else if (part == 0 && !b->ateof && to > f->pos &&
	    f->woff + to <= b->err)
		k = snprintf(msg, n, "malformed JSON: record not terminated "
		    "before line %llu", (unsigned long long)b->scanline);
	else if (b->errline != b->line)
		k = snprintf(msg, n, "malformed JSON at line %llu: %s",
		    (unsigned long long)b->errline, b->why);
	else
		k = snprintf(msg, n, "malformed JSON: %s", b->why);
	if (part > 0 && k >= 0 && (size_t)k < n)
		snprintf(msg + k, n - (size_t)k, ": kept in parts, part %u",
		    part);
}

/* Hand win[pos, to) to the sink: the whole unit (final, nothing handed
 * out before) or its next part. */
static void
bad_emit(struct flat *f, size_t to, int final)
{
	struct flat_bad *b = &f->bad;
	char msg[400];
	unsigned part;

	if (b->parts == 0) {
		f->c.records_in++;
		f->c.records_failed++;
	}
	part = final && b->parts == 0 ? 0 : ++b->parts;
	bad_message(f, msg, sizeof msg, to, part);
	f->sink.error(f->sink.ctx, b->line, b->code, msg, f->win.p + f->pos,
	    to - f->pos, part);
	f->pos = to;
}

/* The unit ends at input offset `end`; reading resumes at `resume` in
 * state st (bolcol: the column of `resume` when only white space precedes
 * it on its line, else -1). */
static int
bad_end(struct flat *f, uint64_t end, uint64_t resume, int st, int bolcol)
{
	size_t e = end > f->woff + f->pos ? (size_t)(end - f->woff) : f->pos;

	while (e - f->pos > f->o.max_record)
		bad_emit(f, f->pos + f->o.max_record, 0);
	if (f->bad.parts == 0 || e > f->pos)
		bad_emit(f, e, 1);
	f->line = f->bad.scanline;
	f->pos = (size_t)(resume - f->woff);
	f->st = st;
	if (st == ST_TOP) {
		f->top_array = 0;
		f->hint = HINT_NONE;
	}
	f->bol = bolcol >= 0;
	f->bolcol = bolcol >= 0 ? bolcol : 0;
	if (f->strict)
		f->stop = 1;
	return R_NEXT;
}

/* A byte that may start a line inside a pretty-printed value. */
static int
continues(unsigned char c)
{
	return c == '}' || c == ']' || c == ',' || c == '"' || c == ':';
}

/* c is the first byte of a line after the unit's first: does the unit end
 * before it? */
static int
bad_line(struct flat *f, unsigned char c, uint64_t at)
{
	struct flat_bad *b = &f->bad;

	if (b->ctx == BAD_ELEM && b->col >= 0) {
		if (c == '{' && b->linecol == b->col && b->prevc == ',') {
			bad_end(f, b->prevnw, at, ST_ELEM, b->linecol);
			return 1;
		}
		if (c == ']' && b->linecol <= b->col) {
			bad_end(f, b->lastnw, at, ST_ELEM_NEXT, b->linecol);
			return 1;
		}
	}
	if (b->linecol == 0 && !continues(c)) {
		bad_end(f, at, at, ST_TOP, 0);
		return 1;
	}
	return 0;
}

/* Follow strings and brackets loosely: where do they balance? */
static void
bad_brackets(struct flat_bad *b, unsigned char c, uint64_t after)
{
	if (b->instr) {
		if (b->esc)
			b->esc = 0;
		else if (c == '\\')
			b->esc = 1;
		else if (c == '"')
			b->instr = 0;
		return;
	}
	if (c == '"') {
		b->instr = 1;
	} else if (c == '{' || c == '[') {
		b->depth++;
		b->opened = 1;
	} else if ((c == '}' || c == ']') && b->depth > 0 &&
	    --b->depth == 0 && b->opened &&
	    ((b->ctx == BAD_TOP && b->firstline) ||
	    (b->ctx == BAD_ELEM && b->col < 0))) {
		b->closed = after;
	}
}

/* Index of the next '"', '\\' or newline in p[i, n), or n: the end of a
 * string's plain bytes, eight at a time (a bad unit may be gigabytes of
 * one string). */
static size_t
string_run(const unsigned char *p, size_t i, size_t n)
{
	const uint64_t ones = 0x0101010101010101ULL;
	const uint64_t highs = 0x8080808080808080ULL;
	uint64_t w, q, b, l;

	for (; i + 8 <= n; i += 8) {
		memcpy(&w, p + i, 8);
		q = w ^ (ones * '"');
		b = w ^ (ones * '\\');
		l = w ^ (ones * '\n');
		if ((((q - ones) & ~q) | ((b - ones) & ~b) |
		    ((l - ones) & ~l)) & highs)
			break;
	}
	while (i < n && p[i] != '"' && p[i] != '\\' && p[i] != '\n')
		i++;
	return i;
}

/* Scan the unit forward from where the last call stopped. R_NEXT when it
 * ended (the framing state is set), R_MORE when more input is needed. */
static int
bad_scan(struct flat *f)
{
	struct flat_bad *b = &f->bad;
	const unsigned char *p = (const unsigned char *)f->win.p;
	size_t i = (size_t)(b->scan - f->woff), n = f->win.len;
	uint64_t at, end;
	unsigned char c;

	for (; i < n; i++) {
		if (b->instr && !b->esc) {
			size_t k = string_run(p, i, n);

			if (k > i) {
				b->prevnw = b->lastnw;
				b->lastnw = f->woff + k;
				b->prevc = p[k - 1];
				i = k;
			}
			if (i == n)
				break;
		}
		c = p[i];
		at = f->woff + i;
		if (c == '\n') {
			b->scanline++;
			if (b->closed && b->ctx == BAD_TOP)
				return bad_end(f, at + 1, at + 1, ST_TOP, 0);
			b->bol = 1;
			b->linecol = 0;
			b->instr = b->esc = 0;
			b->firstline = 0;
			continue;
		}
		if (c == ' ' || c == '\t' || c == '\r') {
			b->linecol += b->bol;
			continue;
		}
		if (b->bol) {
			b->bol = 0;
			if (bad_line(f, c, at))
				return R_NEXT;
		}
		if (b->closed) {
			end = b->closed;
			b->closed = 0;
			if (b->ctx == BAD_TOP)
				return bad_end(f, end, at, ST_TOP, -1);
			if (c == ',' || c == ']')
				return bad_end(f, end, at, ST_ELEM_NEXT, -1);
		}
		/* A ']' where an element should be (after a trailing ',')
		 * ends the array: the unit is empty. In a one-line array,
		 * junk ends before the next ',' or ']', and a stray ',' is
		 * junk alone. */
		if (b->ctx == BAD_ELEM && c == ']' && at == f->woff + f->pos)
			return bad_end(f, at, at, ST_ELEM_NEXT, -1);
		if (b->ctx == BAD_ELEM && b->col < 0 && !b->opened &&
		    !b->instr && (c == ',' || c == ']')) {
			if (at > f->woff + f->pos)
				return bad_end(f, b->lastnw, at, ST_ELEM_NEXT,
				    -1);
			return bad_end(f, at + 1, at + 1, ST_ELEM, -1);
		}
		bad_brackets(b, c, at + 1);
		b->prevnw = b->lastnw;
		b->lastnw = at + 1;
		b->prevc = c;
	}
	b->scan = f->woff + n;
	b->ateof = f->eof;
	if (f->eof)
		return bad_end(f, f->woff + n, f->woff + n, ST_TOP, -1);
	while (n - f->pos >= f->o.max_record)
		bad_emit(f, f->pos + f->o.max_record, 0);
	return R_MORE;
}

/* ---- framing ------------------------------------------------------------------- */

static int
bad_ctx(int st)
{
	return st == ST_TOP ? BAD_TOP : st == ST_ELEM ? BAD_ELEM : BAD_REST;
}

/* A bad unit starting at pos with a reason of the framing's own. */
static void
bad_here(struct flat *f, int ctx, const char *why)
{
	bad_begin(f, ctx, "Malformed", why, f->woff + f->pos, f->line);
}

/* The punctuation around values in arrays and envelopes. Returns 1 when
 * it consumed a byte (or began a bad unit), 0 when a value is at pos. */
static int
punct(struct flat *f)
{
	char c = f->win.p[f->pos];

	switch (f->st) {
	case ST_TOP:
		if (c != '[')
			return 0;
		f->top_array = 1;
		f->hint = HINT_NONE;
		f->st = ST_ELEM_FIRST;
		break;
	case ST_ELEM_FIRST:
		if (c != ']') {
			f->elem_col = f->col;
			f->st = ST_ELEM;
			return 0;
		}
		f->st = f->top_array ? ST_TOP : ST_REST;
		break;
	case ST_ELEM_NEXT:
		if (c == ',')
			f->st = ST_ELEM;
		else if (c == ']')
			f->st = f->top_array ? ST_TOP : ST_REST;
		else
			bad_here(f, BAD_ELEM, "expected ',' or ']' between "
			    "array elements");
		break;
	case ST_REST:
		if (c == '}')
			f->st = ST_TOP;
		else if (c == ',')
			f->st = ST_REST_NAME;
		else
			bad_here(f, BAD_REST, "expected ',' or '}' after the "
			    "records array");
		break;
	case ST_REST_COLON:
		if (c == ':')
			f->st = ST_REST_VALUE;
		else
			bad_here(f, BAD_REST, "expected ':'");
		break;
	default:
		return 0;
	}
	if (f->st != ST_BAD) {
		f->pos++;
		f->bol = 0;
	}
	return 1;
}

/* A top-level record's raw bytes run to its newline when only white space
 * follows it on its line (and the newline is in the window already). */
static size_t
rawlen(const struct flat *f, size_t len)
{
	size_t k = f->pos + len;

	while (k < f->win.len && (f->win.p[k] == ' ' || f->win.p[k] == '\t' ||
	    f->win.p[k] == '\r'))
		k++;
	return k < f->win.len && f->win.p[k] == '\n' ? k + 1 - f->pos : len;
}

static void
too_large(struct flat *f)
{
	char msg[80];

	snprintf(msg, sizeof msg, "record larger than --max-record (%zu bytes)",
	    f->o.max_record);
	bad_begin(f, bad_ctx(f->st), "TooLarge", msg, 0, 0);
}

/* A record at the top level or an array element: [pos, pos + len) on
 * `lines` newlines. */
static int
element(struct flat *f, size_t len, unsigned lines)
{
	uint64_t end = f->woff + f->pos + len;
	int r, next = f->st == ST_ELEM ? ST_ELEM_NEXT : ST_TOP;

	if (len > f->o.max_record) {
		/* It fit in the window's slack: a bad unit known whole. */
		too_large(f);
		f->bad.scanline = f->line + lines;
		return bad_end(f, end, end, next, -1);
	}
	r = record(f, f->win.p + f->pos, f->st == ST_ELEM ? f->hint :
	    HINT_NONE, f->line, f->st == ST_TOP ? rawlen(f, len) : len);
	if (r < 0)
		return R_SINK;
	if (r > 0 && f->strict)
		f->stop = 1;
	f->st = next;
	f->line += lines;
	f->pos += len;
	return R_NEXT;
}

/* The value at pos: a record, an element, an envelope's array, or a member
 * of the envelope after the array. */
static int
value(struct flat *f)
{
	const char *p = f->win.p + f->pos;
	struct json_result jr;
	int rc;

	rc = json_parse(p, f->win.len - f->pos, f->eof,
	    f->st == ST_TOP ? JSON_ENVELOPE : 0, &f->tk, &jr);
	if (rc == JSON_MORE)
		return R_MORE;
	if (rc == JSON_ERR) {
		bad_begin(f, bad_ctx(f->st), "Malformed", jr.err,
		    f->woff + f->pos + jr.err_at,
		    f->line + count_nl(p, jr.err_at));
		return R_NEXT;
	}
	f->bol = 0;
	if (rc == JSON_ENV) {
		f->hint = jr.env_key[0] == 'I' ? HINT_ITEM :
		    jr.env_key[0] == 'r' ? HINT_FIREHOSE : HINT_RECORD;
		f->top_array = 0;
		f->st = ST_ELEM_FIRST;
		f->line += jr.lines;
		f->pos += jr.end + 1;
		return R_NEXT;
	}
	switch (f->st) {
	case ST_REST_NAME:
		if (f->tk.t[0].type != JSON_STRING) {
			bad_here(f, BAD_REST, "expected a member name");
			return R_NEXT;
		}
		f->st = ST_REST_COLON;
		break;
	case ST_REST_VALUE:
		f->st = ST_REST;
		break;
	default:
		return element(f, jr.end, jr.lines);
	}
	f->line += jr.lines;
	f->pos += jr.end;
	return R_NEXT;
}

/* The input ended between values. */
static int
at_eof(struct flat *f)
{
	char msg[120];

	if (f->st == ST_TOP)
		return R_DONE;
	snprintf(msg, sizeof msg, "unexpected end of input inside a %s "
	    "document (truncated)", f->top_array ? "top-level array" :
	    "\"Records\"/\"Items\"");
	report_raw(f, f->line, "Malformed", msg, f->pos, f->pos);
	return R_DONE;
}

/* A read error: what is pending goes to the sink before the run ends. */
static void
read_failed(struct flat *f)
{
	size_t k;

	if (f->st == ST_BAD) {
		f->bad.ateof = 1;
		bad_end(f, f->woff + f->win.len, f->woff + f->win.len, ST_TOP,
		    -1);
		return;
	}
	for (k = f->pos; k < f->win.len; k++)
		if (!strchr(" \t\r\n", f->win.p[k]))
			break;
	if (k < f->win.len)
		report_raw(f, f->line, "Malformed", "record cut short by a "
		    "read error", f->pos, f->win.len);
}

static void
frame_reset(struct flat *f, flat_read_fn rd, void *ctx, int strict)
{
	f->rd = rd;
	f->rdctx = ctx;
	f->win.len = f->pos = 0;
	f->woff = 0;
	f->eof = 0;
	f->line = 1;
	f->st = ST_TOP;
	f->hint = HINT_NONE;
	f->top_array = 0;
	f->bol = 1;
	f->bolcol = 0;
	f->col = 0;
	f->elem_col = -1;
	f->strict = strict;
	f->stop = 0;
}

/* One loop over framing steps; each step either makes progress or asks
 * for more input. */
int
flat_run(struct flat *f, flat_read_fn rd, void *ctx, int strict)
{
	int r;

	frame_reset(f, rd, ctx, strict);
	for (;;) {
		if (f->stop)
			return FLAT_STOP;
		if (f->st == ST_BAD)
			r = bad_scan(f);
		else if (!skip_ws(f))
			r = f->eof && f->pos == f->win.len ? at_eof(f) : R_MORE;
		else if (punct(f))
			r = R_NEXT;
		else
			r = value(f);
		if (r == R_NEXT)
			continue;
		if (r == R_SINK)
			return FLAT_SINK_ERR;
		if (r == R_DONE || f->eof)	/* R_MORE never follows EOF */
			return f->stop ? FLAT_STOP : FLAT_DONE;
		r = fill(f);
		if (r == -1) {
			read_failed(f);
			return FLAT_READ_ERR;
		}
		if (r == -2 && f->st == ST_BAD)	/* bad_scan keeps it short */
			bad_emit(f, f->win.len, 0);
		else if (r == -2)
			too_large(f);
	}
}

static ssize_t
read_input(void *ctx, char *dst, size_t n)
{
	return input_read(ctx, dst, n);
}

int
flat_run_paths(struct flat *f, char *const *paths, int n, int strict)
{
	struct input in;
	struct err e;
	int i, rc, status = MSG_EX_OK;

	for (i = 0; i < n; i++) {
		if (input_open(&in, paths[i], &e) < 0) {
			f->sink.input_error(f->sink.ctx, &e);
			status = msg_worse(status, MSG_EX_PARTIAL);
			continue;
		}
		f->sink.input(f->sink.ctx, in.name);
		rc = flat_run(f, read_input, &in, strict);
		if (rc == FLAT_READ_ERR) {
			f->sink.input_error(f->sink.ctx, &in.err);
			status = msg_worse(status, in.err.code);
		} else if (rc == FLAT_STOP) {
			status = msg_worse(status, MSG_EX_DATA);
		}
		input_close(&in);
		if (rc == FLAT_SINK_ERR || rc == FLAT_STOP ||
		    (rc == FLAT_READ_ERR && strict))
			break;
	}
	if (f->c.records_failed > 0)
		status = msg_worse(status, MSG_EX_PARTIAL);
	return status;
}
