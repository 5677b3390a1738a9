/* libFuzzer target for the ddbflat engine (lib/flat + lib/json + lib/b64 +
 * lib/ddbtime). The first byte picks options; the rest is the input,
 * handed over in small uneven reads so the framing's refill paths run.
 * Oracle: no crash, no sanitizer report, and every output line is one
 * valid JSON object by our own strict parser, ending in a newline.
 * `make fuzz` builds and runs it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "flat.h"
#include "json.h"

struct src {
	const uint8_t *p;
	size_t n, off, step;
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

static int
on_record(void *ctx, const char *line, size_t len, const char *raw,
    size_t rawlen, uint64_t lineno)
{
	struct json_result r;

	(void)ctx;
	(void)raw;
	(void)rawlen;
	(void)lineno;
	if (len < 3 || line[len - 1] != '\n')
		abort();
	if (json_parse(line, len - 1, 1, 0, &toks, &r) != JSON_OK ||
	    r.end != len - 1 || toks.t[0].type != JSON_OBJECT)
		abort();
	return 0;
}

static void
on_error(void *ctx, uint64_t lineno, const char *code, const char *msg,
    const char *raw, size_t rawlen, unsigned part)
{
	(void)ctx;
	(void)lineno;
	(void)raw;
	(void)rawlen;
	(void)part;
	if (code == NULL || msg == NULL || *msg == '\0')
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct flat_opts o;
	struct flat_sink sink = { NULL, on_record, on_error, NULL };
	struct flat *f;
	struct src s;
	uint8_t b;

	if (size < 1)
		return 0;
	b = data[0];
	memset(&o, 0, sizeof o);
	o.sep = (b & 1) ? "_" : "..";
	o.numbers_string = (b >> 1) & 1;
	o.lists_index = (b >> 2) & 1;
	o.image = (b >> 3) & 3;
	o.no_meta = (b >> 5) & 1;
	o.max_record = (b >> 6) & 1 ? 4096 : 1 << 20;
	s.p = data + 1;
	s.n = size - 1;
	s.off = 0;
	s.step = (b >> 7) ? 7 : 1 << 16;
	f = flat_new(&o, &sink);
	flat_run(f, rd, &s, 0);
	flat_free(f);
	return 0;
}
