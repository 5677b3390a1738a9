/* libFuzzer target for the ddbflat engine (lib/flat*, lib/json, lib/b64,
 * lib/ddbtime). The first byte picks options; the rest is the input,
 * handed over in small uneven reads so the framing's refill paths run, and
 * with a small --max-record so bad units are kept in parts.
 *
 * Oracles: no crash, no sanitizer report; every output line is one valid
 * JSON object by our own strict parser, ending in a newline; every raw
 * slice the engine hands out (a row's input, an error's rawData) is input
 * bytes, in input order, never overlapping; and when the input has no
 * '[' (no arrays, so no envelopes whose punctuation is dropped), every
 * byte that is in no slice is white space or a byte order mark: nothing is
 * lost.
 *
 * The seed corpus (make fuzz) is tests/data/ddbflat/*.json (Lambda
 * Kinesis events, broken pretty documents, cut files; their first byte
 * '{' picks a 1 KiB --max-record) and tests/fuzz/seeds/ (an options byte,
 * then byte order marks, bad units in parts, Kinesis events as NDJSON). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "flat.h"
#include "json.h"

struct src {
	const uint8_t *p;
	size_t n, off, step;
	size_t cursor;		/* one past the last raw slice seen */
	unsigned char *covered;	/* 1 per input byte inside a raw slice */
	unsigned part;		/* parts of the current bad unit seen */
};

static struct json_toks toks;

static ssize_t
rd(void *ctx, char *dst, size_t n)
{
	struct src *s = ctx;
	size_t k = s->n - s->off;

	if (k > n)
		k = n;
	if (k > s->step)
		k = s->step;
	memcpy(dst, s->p + s->off, k);
	s->off += k;
	return (ssize_t)k;
}

/* raw must be the next input bytes at or after the cursor. */
static void
slice(struct src *s, const char *raw, size_t rawlen)
{
	const uint8_t *at;
	size_t k;

	if (rawlen == 0)
		return;
	for (k = s->cursor; k + rawlen <= s->n; k++)
		if (memcmp(s->p + k, raw, rawlen) == 0)
			break;
	if (k + rawlen > s->n)
		abort();	/* not input bytes in order */
	at = s->p + k;
	memset(s->covered + (at - s->p), 1, rawlen);
	s->cursor = k + rawlen;
}

static int
on_record(void *ctx, const char *line, size_t len, const char *raw,
    size_t rawlen, uint64_t lineno)
{
	struct json_result r;
	struct src *s = ctx;

	(void)lineno;
	if (len < 3 || line[len - 1] != '\n')
		abort();
	if (json_parse(line, len - 1, 1, 0, &toks, &r) != JSON_OK ||
	    r.end != len - 1 || toks.t[0].type != JSON_OBJECT)
		abort();
	slice(s, raw, rawlen);
	return 0;
}

static void
on_error(void *ctx, uint64_t lineno, const char *code, const char *msg,
    const char *raw, size_t rawlen, unsigned part)
{
	struct src *s = ctx;

	(void)lineno;
	if (code == NULL || msg == NULL || *msg == '\0')
		abort();
	/* parts come in order: 1, 2, ...; 0 is a whole record */
	if (part > 1 && part != s->part + 1)
		abort();
	s->part = part;
	slice(s, raw, rawlen);
}

/* Is every byte outside the raw slices white space or a BOM? */
static void
check_lost(const struct src *s)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		if (s->covered[i])
			continue;
		if (s->p[i] == ' ' || s->p[i] == '\t' || s->p[i] == '\r' ||
		    s->p[i] == '\n')
			continue;
		if (i + 3 <= s->n && memcmp(s->p + i, "\xef\xbb\xbf", 3) == 0) {
			i += 2;
			continue;
		}
		abort();
	}
}

static int
has(const uint8_t *p, size_t n, const char *w)
{
	size_t k, l = strlen(w);

	for (k = 0; k + l <= n; k++)
		if (memcmp(p + k, w, l) == 0)
			return 1;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct flat_opts o;
	struct flat_sink sink = { NULL, on_record, on_error, NULL, NULL, NULL };
	struct flat *f;
	struct src s;
	uint8_t b;
	int rc;

	if (size < 1)
		return 0;
	b = data[0];
	memset(&o, 0, sizeof o);
	o.sep = (b & 1) ? "_" : "..";
	o.numbers_string = (b >> 1) & 1;
	o.lists_index = (b >> 2) & 1;
	o.image = (b >> 3) & 3;
	o.no_meta = (b >> 5) & 1;
	o.max_record = (b >> 6) & 1 ? 1024 : 1 << 20;
	memset(&s, 0, sizeof s);
	s.p = data + 1;
	s.n = size - 1;
	s.step = (b >> 7) ? 7 : 1 << 16;
	s.covered = calloc(s.n + 1, 1);
	if (s.covered == NULL)
		abort();
	sink.ctx = &s;
	f = flat_new(&o, &sink);
	rc = flat_run(f, rd, &s, 0);
	if (rc != FLAT_DONE)
		abort();
	/* (COUNT output holds no records and becomes neither) */
	if (memchr(s.p, '[', s.n) == NULL &&
	    !has(s.p, s.n, "\"Count\""))
		check_lost(&s);
	flat_free(f);
	free(s.covered);
	return 0;
}
