/* SPDX-License-Identifier: MIT */
/* test_s3key: object keys from batch paths (ddblake(7), s3put(1)), a table. */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "s3key.h"
#include "t.h"

#define MTIME 1719347890	/* 2024-06-25T20:38:10Z */
#define BATCH "ddb-2023-01-02-03-04-05-006-6f1c0b8e-2f1d-4c55-9d2e-" \
	"0a4c1f7b9e21.json.gz"

static const struct {
	const char *name, *prefix, *tmpl, *path, *want;
} cases[] = {
	{ "default layout, time from the name", "lake", S3KEY_DEFAULT,
	    "out/" BATCH, "lake/2023/01/02/03/" BATCH },
	{ "prefix ending in / gets no second /", "lake/", S3KEY_DEFAULT,
	    "out/" BATCH, "lake/2023/01/02/03/" BATCH },
	{ "empty prefix", "", S3KEY_DEFAULT, BATCH,
	    "2023/01/02/03/" BATCH },
	{ "partitions before the date", "p", S3KEY_DEFAULT,
	    "out/table=orders/dt=2023-01-02/" BATCH,
	    "p/table=orders/dt=2023-01-02/2023/01/02/03/" BATCH },
	{ "only trailing name=value directories", "p", S3KEY_DEFAULT,
	    "x=1/out/a=1/" BATCH, "p/a=1/2023/01/02/03/" BATCH },
	{ "no timestamp in the name: mtime", "p", S3KEY_DEFAULT,
	    "dir/plain.json", "p/2024/06/25/20/plain.json" },
	{ "custom template with strftime and %%", "p",
	    "%Y%m%dT%H%M%S-100%%-{name}", "a b/c+d=e.json",
	    "p/20240625T203810-100%-c+d=e.json" },
	{ "partition field alone", "p", "{partition}{name}",
	    "./k=v/" BATCH, "p/k=v/" BATCH },
	{ "name with awkward bytes kept raw", "p", "{name}",
	    "caf\xc3\xa9 ~+=%.json", "p/caf\xc3\xa9 ~+=%.json" },
	{ "host field", "p", "{host}/{name}", "f.json", "p/h1/f.json" },
};

static void
test_keys(void)
{
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct buf b;
		struct err e;

		buf_init(&b, 1 << 20);
		if (s3key_make(&b, cases[i].prefix, cases[i].tmpl,
		    cases[i].path, MTIME, "h1", &e) < 0) {
			t_ok(0, "%s: %s", cases[i].name, e.msg);
		} else {
			(void)buf_str(&b);
			t_streq(b.p, cases[i].want, cases[i].name);
		}
		buf_free(&b);
	}
}

static void
test_errors(void)
{
	struct buf b;
	struct err e;
	char big[1100];

	buf_init(&b, 1 << 20);
	t_ok(s3key_make(&b, "p", "{nope}", "f", MTIME, "h", &e) < 0 &&
	    e.code == MSG_EX_USAGE && strstr(e.msg, "{nope}") != NULL,
	    "unknown field is a usage error naming it");
	t_ok(s3key_make(&b, "p", "{name", "f", MTIME, "h", &e) < 0,
	    "unclosed brace rejected");
	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	t_ok(s3key_make(&b, "p", "{name}", big, MTIME, "h", &e) < 0 &&
	    strstr(e.msg, "1024") != NULL, "key over 1024 bytes rejected");
	buf_free(&b);
}

static void
test_uuid_and_time(void)
{
	struct buf a, b;
	struct err e;

	buf_init(&a, 1 << 20);
	buf_init(&b, 1 << 20);
	s3key_make(&a, "", "{uuid}", "f", MTIME, "h", &e);
	s3key_make(&b, "", "{uuid}", "f", MTIME, "h", &e);
	(void)buf_str(&a);
	(void)buf_str(&b);
	t_ok(a.len == 36 && a.p[14] == '4' && strcmp(a.p, b.p) != 0,
	    "{uuid} is a fresh v4 UUID each time (%s)", a.p);
	buf_free(&a);
	buf_free(&b);
	t_ok(s3key_time("ddb-2023-13-02-03-04-05.json", 7) == 7,
	    "impossible month falls back to mtime");
	t_ok(s3key_time("x-2023-01-02-03-04-05", 7) == 1672628645,
	    "timestamp parsed as UTC");
}

int
main(void)
{
	test_keys();
	test_errors();
	test_uuid_and_time();
	return t_done();
}
