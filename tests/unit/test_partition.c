/* Unit tests for lib/partition: the Hive segment sanitiser, the no-jq field
 * scanner and libjq partition programs. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "partition.h"
#include "t.h"

static const struct {
	const char *name, *val;
	size_t vlen;
	const char *want;	/* NULL: an error */
} segments[] = {
	{ "table", "orders", 6, "table=orders/" },
	{ "dt", "2024-06-25", 10, "dt=2024-06-25/" },
	{ "t", "..", 2, "t=%2E./" },
	{ "t", ".", 1, "t=%2E/" },
	{ "t", "a/b", 3, "t=a%2Fb/" },
	{ "t", "../../etc/passwd", 16, "t=%2E.%2F..%2Fetc%2Fpasswd/" },
	{ "t", "", 0, "t=__HIVE_DEFAULT_PARTITION__/" },
	{ "t", "\001\n\x7f", 3, "t=%01%0A%7F/" },
	{ "t", "a=b c", 5, "t=a%3Db%20c/" },
	{ "t", "x\0y", 3, "t=x%00y/" },
	{ "t", "caf\xc3\xa9", 5, "t=caf%C3%A9/" },
	{ "t", "1.5", 3, "t=1.5/" },
	{ "a/b", "x", 1, "a%2Fb=x/" },
	{ ".hidden", "x", 1, "%2Ehidden=x/" },
	{ "", "x", 1, NULL },
};

static const struct {
	const char *rec, *field, *want;	/* want NULL: an error */
	const char *why;
} fields[] = {
	{ "{\"a\":\"x\",\"t\":\"orders\"}\n", "t", "t=orders/", NULL },
	{ "{\"t\":12345678901234567890123}", "t", "t=12345678901234567890123/", NULL },
	{ "{\"t\":true}", "t", "t=true/", NULL },
	{ "{\"t\":-1.5e3}", "t", "t=-1.5e3/", NULL },
	{ " { \"x\" : {\"t\":\"in\"} , \"t\" : \"out\" } ", "t", "t=out/", NULL },
	{ "{\"x\":[\"t\",{\"t\":1}],\"t\":\"ok\"}", "t", "t=ok/", NULL },
	{ "{\"x\":\"a\\\"t\\\":\\\\\",\"t\":\"q\"}", "t", "t=q/", NULL },
	{ "{\"t\":\"a\\/b\\u0001\\u00e9\"}", "t", "t=a%2Fb%01%C3%A9/", NULL },
	{ "{\"\\u0074\":\"esc\"}", "t", "t=esc/", NULL },
	{ "{\"t\":\"\"}", "t", "t=__HIVE_DEFAULT_PARTITION__/", NULL },
	{ "{\"t\":null}", "t", NULL, "partition field 't' is null" },
	{ "{\"t\":{}}", "t", NULL, "partition field 't' is not a scalar" },
	{ "{\"a\":1}", "t", NULL, "no partition field 't'" },
	{ "{}", "t", NULL, "no partition field 't'" },
	{ "[1]", "t", NULL, "record is not a JSON object" },
	{ "{\"a\":1", "t", NULL, "malformed JSON record" },
	{ "{\"t\":\"open", "t", NULL, "malformed JSON record" },
};

static const struct {
	const char *prog, *rec, *want, *why;
} programs[] = {
	{ "{table: ._ddb_table, dt: (._ddb_ts[0:10])}",
	  "{\"_ddb_table\":\"orders\",\"_ddb_ts\":\"2024-06-25T20:38:10Z\"}",
	  "table=orders/dt=2024-06-25/", NULL },
	{ "{b: .b, a: .a}", "{\"a\":1,\"b\":2.5}", "b=2.5/a=1/", NULL },
	{ "{x: .x}", "{\"x\":false}", "x=false/", NULL },
	{ "{x: .x}", "{\"x\":\"../..\"}", "x=%2E.%2F../", NULL },
	{ "{x: .x}", "{}", NULL, "partition key 'x' is null" },
	{ "{x: .x}", "{\"x\":[1]}", NULL, "partition key 'x' is not a scalar" },
	{ ".x", "{\"x\":\"s\"}", NULL, "partition program produced string, not an object" },
	{ "{}", "{}", NULL, "partition program produced an empty object" },
	{ "empty", "{}", NULL, "partition program produced no value" },
	{ "{a:1},{a:2}", "{}", NULL, "partition program produced more than one value" },
	{ "error(\"boom\")", "{}", NULL, "partition program: boom" },
	{ "{x: .x}", "nope", NULL, NULL },	/* invalid JSON: any reason */
};

int
main(void)
{
	struct buf key, val, why, out;
	struct partition_jq *pj;
	struct err e;
	size_t i;
	int rc;

	buf_init(&key, 1 << 20);
	buf_init(&val, 1 << 20);
	buf_init(&why, 1 << 20);
	buf_init(&out, 1 << 20);
	for (i = 0; i < sizeof segments / sizeof segments[0]; i++) {
		key.len = 0;
		rc = partition_segment(&key, segments[i].name,
		    strlen(segments[i].name), segments[i].val, segments[i].vlen,
		    &why);
		(void)buf_str(&key);
		if (segments[i].want == NULL)
			t_ok(rc < 0, "segment %zu rejected", i);
		else
			t_streq(rc == 0 ? key.p : "(error)", segments[i].want,
			    segments[i].want);
	}
	/* Too long once escaped: 100 bytes of '/' become 300. */
	{
		char v[100];

		memset(v, '/', sizeof v);
		key.len = 0;
		rc = partition_segment(&key, "t", 1, v, sizeof v, &why);
		t_ok(rc < 0 && key.len == 0, "over-long segment rejected whole");
		t_streq(buf_str(&why), "partition 't' is 302 bytes once escaped, "
		    "more than the 255 of a directory name",
		    "  and the reason names the segment and its length");
	}
	/* Five segments of 243 bytes each: none too long, the path is. The
	 * reason once blamed the last segment for being over 255 bytes. */
	{
		char v[240];
		const char *names[] = { "a", "b", "c", "d", "e" };
		size_t k;

		memset(v, 'x', sizeof v);
		key.len = 0;
		for (rc = 0, k = 0; k < 5 && rc == 0; k++)
			rc = partition_segment(&key, names[k], 1, v, sizeof v,
			    &why);
		t_ok(rc < 0 && k == 5 && key.len == 4 * 243,
		    "a path over 1024 bytes is rejected at the segment passing it");
		t_streq(buf_str(&why), "partition path is 1215 bytes once "
		    "escaped (up to 'e'), more than the 1024 allowed",
		    "  and the reason says the path is too long, not the segment");
	}
	for (i = 0; i < sizeof fields / sizeof fields[0]; i++) {
		key.len = 0;
		rc = partition_field_key(fields[i].rec, strlen(fields[i].rec),
		    fields[i].field, &key, &val, &why);
		if (fields[i].want != NULL) {
			(void)buf_str(&key);
			t_streq(rc == 0 ? key.p : "(error)", fields[i].want,
			    fields[i].rec);
		} else {
			(void)buf_str(&why);
			t_ok(rc < 0, "field error: %s", fields[i].rec);
			t_streq(why.p, fields[i].why, fields[i].why);
		}
	}
	for (i = 0; i < sizeof programs / sizeof programs[0]; i++) {
		pj = partition_jq_new(programs[i].prog, &e);
		if (pj == NULL) {
			t_ok(0, "compile %s: %s", programs[i].prog, e.msg);
			continue;
		}
		key.len = 0;
		rc = partition_jq_key(pj, programs[i].rec,
		    strlen(programs[i].rec), &key, &why);
		if (programs[i].want != NULL) {
			(void)buf_str(&key);
			t_streq(rc == 0 ? key.p : "(error)", programs[i].want,
			    programs[i].prog);
		} else {
			(void)buf_str(&why);
			t_ok(rc < 0, "program error: %s on %s", programs[i].prog,
			    programs[i].rec);
			if (programs[i].why != NULL)
				t_streq(why.p, programs[i].why, programs[i].why);
		}
		partition_jq_free(pj);
	}
	pj = partition_jq_new("{a: .x", &e);
	t_ok(pj == NULL && e.code == MSG_EX_USAGE &&
	    strstr(e.msg, "syntax error") != NULL,
	    "compile error names the problem: %s", e.msg);
	partition_jq_free(pj);

	buf_free(&key);
	buf_free(&val);
	buf_free(&why);
	buf_free(&out);
	return t_done();
}
