/* Unit tests for lib/json, lib/b64 and lib/ddbtime: tables of named cases.
 * flat_number is in test_flat. */
#include <stdlib.h>
#include <string.h>

#include "b64.h"
#include "ddbtime.h"
#include "json.h"
#include "t.h"

static const struct {
	const char *name, *in;
	int rc;			/* JSON_OK, JSON_MORE, JSON_ERR, JSON_ENV */
	const char *err;	/* substring of the reason */
} parse_cases[] = {
	{ "object", "{\"a\":1,\"b\":[true,false,null],\"c\":\"x\"}", JSON_OK, NULL },
	{ "nested empty", "{\"a\":{},\"b\":[]}", JSON_OK, NULL },
	{ "numbers", "[0,-0,1.5,-2e10,3E+2,4e-7]", JSON_OK, NULL },
	{ "utf8 2,3,4 bytes", "[\"\xc3\xa9\xe2\x9c\x93\xf0\x9f\x98\x80\"]", JSON_OK, NULL },
	{ "surrogate pair", "[\"\\ud83d\\ude00\"]", JSON_OK, NULL },
	{ "escapes", "[\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u0041\"]", JSON_OK, NULL },
	{ "truncated object", "{\"a\":1", JSON_ERR, "truncated" },
	{ "trailing comma", "[1,]", JSON_ERR, "unexpected character" },
	{ "leading zero", "[01]", JSON_ERR, "expected ','" },
	{ "bare dot", "[.5]", JSON_ERR, "unexpected character" },
	{ "exponent without digits", "[1e]", JSON_ERR, "invalid number" },
	{ "single quotes", "{'a':1}", JSON_ERR, "member name" },
	{ "bad literal", "[tru]", JSON_ERR, "invalid literal" },
	{ "mismatched bracket", "{\"a\":[1}", JSON_ERR, "expected ','" },
	{ "overlong utf8", "[\"\xc0\xaf\"]", JSON_ERR, "invalid UTF-8" },
	{ "utf8 surrogate", "[\"\xed\xa0\x80\"]", JSON_ERR, "invalid UTF-8" },
	{ "above U+10FFFF", "[\"\xf4\x90\x80\x80\"]", JSON_ERR, "invalid UTF-8" },
	{ "lone high surrogate", "[\"\\ud800x\"]", JSON_ERR, "surrogate" },
	{ "lone low surrogate", "[\"\\udc00\"]", JSON_ERR, "surrogate" },
	{ "bad escape", "[\"\\q\"]", JSON_ERR, "invalid escape" },
	{ "raw newline in string", "[\"a\nb\"]", JSON_ERR, "control character" },
	{ "envelope Records", "{\"Records\":[{}]}", JSON_ENV, NULL },
	{ "envelope Items after Count", "{\"Count\":1,\"Items\":[]}", JSON_ENV, NULL },
	{ "Records not an array", "{\"Records\":{}}", JSON_OK, NULL },
	{ "nested Records is no envelope", "{\"a\":{\"Records\":[1]}}", JSON_OK, NULL },
};

static void
test_parse(void)
{
	struct json_toks ts;
	struct json_result r;
	size_t i;
	int rc;

	json_toks_init(&ts);
	for (i = 0; i < sizeof parse_cases / sizeof parse_cases[0]; i++) {
		const char *in = parse_cases[i].in;

		rc = json_parse(in, strlen(in), 1, JSON_ENVELOPE, &ts, &r);
		t_ok(rc == parse_cases[i].rc && (parse_cases[i].err == NULL ||
		    (r.err != NULL && strstr(r.err, parse_cases[i].err))),
		    "parse: %s", parse_cases[i].name);
		if (rc != parse_cases[i].rc)
			t_diag("rc %d, reason %s", rc, r.err ? r.err : "-");
	}
	/* Without eof, a cut value asks for more instead of failing. */
	rc = json_parse("{\"a\":\"xy", 8, 0, 0, &ts, &r);
	t_ok(rc == JSON_MORE, "parse: cut string wants more input");
	rc = json_parse("[12", 3, 0, 0, &ts, &r);
	t_ok(rc == JSON_MORE, "parse: cut number wants more input");
	rc = json_parse("[\"\xe2\x9c", 4, 0, 0, &ts, &r);
	t_ok(rc == JSON_MORE, "parse: cut UTF-8 sequence wants more input");
	/* token structure */
	rc = json_parse("{\"a\":[1,2],\"b\":\"c\"} x", 22, 1, 0, &ts, &r);
	t_ok(rc == JSON_OK && r.end == 19 && ts.n == 7 && ts.t[0].n == 2 &&
	    ts.t[2].n == 2 && ts.t[2].next == 5, "parse: tokens, counts, next");
	t_ok(json_get(&ts, "{\"a\":[1,2],\"b\":\"c\"}", 0, "b", 1) == 6,
	    "json_get finds a member");
	t_ok(json_get(&ts, "{\"a\":[1,2],\"b\":\"c\"}", 0, "z", 1) == 0,
	    "json_get: absent member is 0");
	/* deep nesting is refused, not recursed into */
	{
		char deep[400];
		memset(deep, '[', sizeof deep);
		rc = json_parse(deep, sizeof deep, 1, 0, &ts, &r);
		t_ok(rc == JSON_ERR && strstr(r.err, "too deep") != NULL,
		    "parse: nesting cap");
	}
	json_toks_free(&ts);
}

static const struct {
	const char *in;
	int rc;
	const char *out;
} b64_cases[] = {
	{ "", 0, "" },
	{ "Zg==", 1, "f" },
	{ "Zm8=", 2, "fo" },
	{ "Zm9v", 3, "foo" },
	{ "Zm9vYg", 4, "foob" },
	{ "MTMyMQ==", 4, "1321" },
	{ "Zm9v!", -1, NULL },
	{ "Z", -1, NULL },
	{ "Zm=v", -1, NULL },
	{ "Zh==", -1, NULL },	/* non-zero trailing bits */
};

static void
test_b64(void)
{
	unsigned char out[32];
	char enc[32];
	size_t i, n;
	long k;

	for (i = 0; i < sizeof b64_cases / sizeof b64_cases[0]; i++) {
		k = b64_decode(b64_cases[i].in, strlen(b64_cases[i].in), out);
		t_ok(k == b64_cases[i].rc && (k < 0 ||
		    memcmp(out, b64_cases[i].out, (size_t)k) == 0),
		    "b64 decode \"%s\"", b64_cases[i].in);
	}
	n = b64_encode((const unsigned char *)"foob", 4, enc);
	t_ok(n == 8 && memcmp(enc, "Zm9vYg==", 8) == 0, "b64 encode pads");
}

static const struct {
	const char *in;
	int unit;
	const char *out;	/* NULL: invalid */
} time_cases[] = {
	{ "1480642020", DDBTIME_S, "2016-12-02T01:27:00Z" },
	{ "1571849028.0", DDBTIME_AUTO, "2019-10-23T16:43:48Z" },
	{ "1.684934517E9", DDBTIME_AUTO, "2023-05-24T13:21:57Z" },
	{ "1689389148.261", DDBTIME_AUTO, "2023-07-15T02:45:48.261Z" },
	{ "1650162905269", DDBTIME_AUTO, "2022-04-17T02:35:05.269Z" },
	{ "1650162905000", DDBTIME_MS, "2022-04-17T02:35:05.000Z" },
	{ "1719347890250647", DDBTIME_AUTO, "2024-06-25T20:38:10.250647Z" },
	{ "1719347890250647", DDBTIME_US, "2024-06-25T20:38:10.250647Z" },
	{ "0", DDBTIME_S, "1970-01-01T00:00:00Z" },
	{ "951782400", DDBTIME_S, "2000-02-29T00:00:00Z" },
	{ "-5", DDBTIME_S, NULL },
	{ "abc", DDBTIME_S, NULL },
	{ "1e", DDBTIME_S, NULL },
	{ "99999999999999999999999", DDBTIME_S, NULL },
};

static const struct {
	const char *in, *out;
} iso_cases[] = {
	{ "2019-10-23T09:43:48-07:00", "2019-10-23T16:43:48Z" },
	{ "2019-10-23T09:50:01.261000-07:00", "2019-10-23T16:50:01.261Z" },
	{ "2026-01-26T13:32:45-08:00", "2026-01-26T21:32:45Z" },
	{ "2020-11-04T07:28:34.028Z", "2020-11-04T07:28:34.028Z" },
	{ "2020-01-01T00:30:00+05:30", "2019-12-31T19:00:00Z" },
	{ "2020-01-01T00:00:00", "2020-01-01T00:00:00Z" },
	{ "2020-13-01T00:00:00Z", NULL },
	{ "2020-01-01", NULL },
	{ "2020-01-01T00:00:00Zjunk", NULL },
};

static void
test_time(void)
{
	char out[DDBTIME_MAX];
	size_t i;
	int k;

	for (i = 0; i < sizeof time_cases / sizeof time_cases[0]; i++) {
		k = ddbtime_from_number(time_cases[i].in,
		    strlen(time_cases[i].in), time_cases[i].unit, out);
		if (time_cases[i].out == NULL)
			t_ok(k < 0, "time %s is refused", time_cases[i].in);
		else
			t_streq(k < 0 ? "(refused)" : out, time_cases[i].out,
			    time_cases[i].in);
	}
	for (i = 0; i < sizeof iso_cases / sizeof iso_cases[0]; i++) {
		k = ddbtime_from_iso(iso_cases[i].in, strlen(iso_cases[i].in),
		    out);
		if (iso_cases[i].out == NULL)
			t_ok(k < 0, "iso %s is refused", iso_cases[i].in);
		else
			t_streq(k < 0 ? "(refused)" : out, iso_cases[i].out,
			    iso_cases[i].in);
	}
}

int
main(void)
{
	test_parse();
	test_b64();
	test_time();
	return t_done();
}
