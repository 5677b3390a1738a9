/* test_jsonw: the JSON writer (escaping, invalid UTF-8, nesting, the
 * sticky cap failure) and the error record every tool writes. */
#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "errrec.h"
#include "jsonw.h"
#include "t.h"

static const struct {
	const char *name;
	const char *in;
	size_t n;
	const char *want;
} strings[] = {
	{ "plain", "abc", 3, "\"abc\"" },
	{ "empty", "", 0, "\"\"" },
	{ "quote and backslash", "a\"b\\c", 5, "\"a\\\"b\\\\c\"" },
	{ "control bytes", "\n\t\001", 3, "\"\\n\\t\\u0001\"" },
	{ "NUL inside", "a\0b", 3, "\"a\\u0000b\"" },
	{ "UTF-8 kept", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 14,
	    "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"" },
	{ "Latin-1 byte", "caf\xe9", 4, "\"caf\\ufffd\"" },
	{ "cut sequence", "x\xe2\x82", 3, "\"x\\ufffd\\ufffd\"" },
	{ "overlong", "\xc0\xaf", 2, "\"\\ufffd\\ufffd\"" },
	{ "surrogate", "\xed\xa0\x80", 3, "\"\\ufffd\\ufffd\\ufffd\"" },
	{ "above U+10FFFF", "\xf4\x90\x80\x80", 4,
	    "\"\\ufffd\\ufffd\\ufffd\\ufffd\"" },
};

static void
test_strings(void)
{
	struct buf b;
	size_t i;
	int rc;

	buf_init(&b, 4096);
	for (i = 0; i < sizeof strings / sizeof strings[0]; i++) {
		b.len = 0;
		rc = jsonw_string(&b, strings[i].in, strings[i].n);
		t_streq(rc == 0 ? buf_str(&b) : "(error)", strings[i].want,
		    strings[i].name);
	}
	buf_free(&b);
}

static void
test_objects(void)
{
	struct buf b;
	struct jsonw w;

	buf_init(&b, 4096);
	jsonw_begin(&w, &b);
	jsonw_strz(&w, "s", "x");
	jsonw_u64(&w, "u", UINT64_MAX);
	jsonw_i64(&w, "i", -5);
	jsonw_double(&w, "d", 1.25, 3);
	jsonw_bool(&w, "t", 1);
	jsonw_bool(&w, "f", 0);
	jsonw_null(&w, "n");
	jsonw_strz(&w, "z", NULL);
	jsonw_b64(&w, "b", "ab\001", 3);
	jsonw_raw(&w, "r", "12.50", 5);
	jsonw_obj(&w, "o");
	jsonw_arr(&w, "a");
	jsonw_str(&w, NULL, "e", 1);
	jsonw_u64(&w, NULL, 2);
	jsonw_close(&w);
	jsonw_obj(&w, "in");
	jsonw_close(&w);
	jsonw_close(&w);
	t_ok(jsonw_end(&w) == 0, "object written");
	t_streq(buf_str(&b), "{\"s\":\"x\",\"u\":18446744073709551615,"
	    "\"i\":-5,\"d\":1.250,\"t\":true,\"f\":false,\"n\":null,"
	    "\"z\":null,\"b\":\"YWIB\",\"r\":12.50,\"o\":{\"a\":[\"e\",2],"
	    "\"in\":{}}}", "members, nesting and separators");

	/* An unclosed container is an error, not a silent half object. */
	b.len = 0;
	jsonw_begin(&w, &b);
	jsonw_obj(&w, "o");
	t_ok(jsonw_end(&w) < 0, "an unclosed container fails jsonw_end");

	/* The cap: the failure sticks, later calls write nothing. */
	buf_free(&b);
	buf_init(&b, 16);
	jsonw_begin(&w, &b);
	jsonw_strz(&w, "key", "a value too long for the cap");
	jsonw_u64(&w, "n", 1);
	t_ok(jsonw_end(&w) < 0, "a cap hit fails jsonw_end");
	t_ok(b.len <= 16, "nothing written past the cap");
	buf_free(&b);
}

static void
test_errrec(void)
{
	struct buf b;
	struct errrec r = { .tool = "ddbbatch", .code = "PartitionKeyFailed",
	    .message = "bad \"x\"\n", .source = "in\xff", .line = 3,
	    .raw = "ab\001\n", .rawlen = 4 };

	buf_init(&b, 4096);
	t_ok(errrec_format(&b, &r, 1700000000123ULL) == 0, "error record");
	t_streq(buf_str(&b), "{\"attemptsMade\":1,\"arrivalTimestamp\":"
	    "1700000000123,\"errorCode\":\"PartitionKeyFailed\","
	    "\"errorMessage\":\"bad \\\"x\\\"\\n\",\"tool\":\"ddbbatch\","
	    "\"source\":\"in\\ufffd\",\"line\":3,\"attemptEndingTimestamp\":"
	    "1700000000123,\"rawData\":\"YWIBCg==\"}\n",
	    "the one schema: escaped text, raw bytes with their newline");
	b.len = 0;
	r.line = 0;
	r.rawlen = 0;
	t_ok(errrec_format(&b, &r, 1) == 0 &&
	    strstr(buf_str(&b), "\"line\":null,") != NULL &&
	    strstr(b.p, "\"rawData\":\"\"}") != NULL,
	    "no line is null, no bytes an empty rawData");
	buf_free(&b);
	buf_init(&b, 64);
	t_ok(errrec_format(&b, &r, 1) < 0, "a record over the cap fails");
	buf_free(&b);
}

int
main(void)
{
	test_strings();
	test_objects();
	test_errrec();
	return t_done();
}
