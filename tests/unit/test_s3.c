/* SPDX-License-Identifier: MIT */
/* test_s3: lib/s3's checks as tables: user metadata (count, names,
 * values, size) and part sizing. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "s3.h"
#include "t.h"

#define MAXKV 40

static const struct {
	const char *name;
	const char *kv[MAXKV];
	int n;			/* entries; -1: count kv up to NULL */
	const char *want;	/* in the message; NULL: accepted */
} meta_cases[] = {
	{ "none", { NULL }, -1, NULL },
	{ "two plain ones", { "source=ddb", "run=7", NULL }, -1, NULL },
	{ "an empty value", { "empty=", NULL }, -1, NULL },
	{ "token characters in a name", { "a.b_c-d~e!f#g=1", NULL }, -1, NULL },
	{ "a tab and UTF-8 in a value", { "v=a\tb caf\xc3\xa9", NULL }, -1,
	    NULL },
	{ "no '='", { "novalue", NULL }, -1, "is not NAME=VALUE" },
	{ "an empty name", { "=v", NULL }, -1, "is not NAME=VALUE" },
	{ "a space in a name", { "a b=1", NULL }, -1,
	    "name 'a?b' holds a character" },
	{ "a colon in a name", { "a:b=1", NULL }, -1, "holds a character" },
	{ "a newline in a name", { "a\nX-Evil=1", NULL }, -1,
	    "holds a character" },
	{ "UTF-8 in a name", { "caf\xc3\xa9=1", NULL }, -1,
	    "holds a character" },
	{ "CR LF in a value", { "a=1\r\nX-Evil: 2", NULL }, -1,
	    "the value of 'a' holds a control character" },
	{ "DEL in a value", { "a=1\x7f", NULL }, -1, "control character" },
	{ "the same name twice, in another case", { "Run=1", "run=2", NULL },
	    -1, "'run' is given twice" },
	{ "a name that starts another is not the same", { "run=1",
	    "running=2", NULL }, -1, NULL },
	{ "33 entries", { NULL }, 33, "at most 32, not 33" },
};

static void
test_metadata(void)
{
	static char many[S3_MAX_METADATA + 1][16];
	const char *kvs[S3_MAX_METADATA + 1];
	char big[2100];
	const char *bigkv[2];
	size_t i;

	for (i = 0; i < S3_MAX_METADATA + 1; i++) {
		snprintf(many[i], sizeof many[i], "k%zu=v", i);
		kvs[i] = many[i];
	}
	for (i = 0; i < sizeof meta_cases / sizeof meta_cases[0]; i++) {
		struct err e = { 0, "" };
		const char *const *kv = meta_cases[i].kv;
		size_t n = 0;
		int rc;

		if (meta_cases[i].n >= 0) {
			kv = kvs;
			n = (size_t)meta_cases[i].n;
		} else {
			while (kv[n] != NULL)
				n++;
		}
		rc = s3_metadata_check(kv, n, &e);
		if (meta_cases[i].want == NULL)
			t_ok(rc == 0, "metadata: %s", meta_cases[i].name);
		else
			t_ok(rc < 0 && e.code == MSG_EX_USAGE &&
			    strstr(e.msg, meta_cases[i].want) != NULL,
			    "metadata: %s (%s)", meta_cases[i].name, e.msg);
	}
	t_ok(s3_metadata_check(kvs, S3_MAX_METADATA, NULL) == 0,
	    "metadata: 32 entries, the most");
	memset(big, 'v', sizeof big);
	memcpy(big, "k=", 2);
	big[2 + 2047] = '\0';	/* "k" and 2047 bytes: 2048 in all */
	bigkv[0] = big;
	t_ok(s3_metadata_check(bigkv, 1, NULL) == 0,
	    "metadata: 2048 bytes of names and values, the most");
	big[2 + 2047] = 'v';
	big[2 + 2048] = '\0';
	t_ok(s3_metadata_check(bigkv, 1, NULL) < 0,
	    "metadata: 2049 bytes are refused");
}

int
main(void)
{
	test_metadata();
	return t_done();
}
