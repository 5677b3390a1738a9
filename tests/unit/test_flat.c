/* test_flat: the ddbflat engine's values, keys and collisions (lib/flatval)
 * as tables of named cases: flat_number on its own, the key set, and whole
 * records through flat_run with the output compared byte for byte. */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "flat.h"
#include "flatint.h"
#include "t.h"

/* ---- flat_number ---------------------------------------------------------- */

static const struct {
	const char *name, *in, *out;	/* out NULL: refused */
} num_cases[] = {
	{ "38 digits kept", "12345678901234567890123456789012345678",
	  "12345678901234567890123456789012345678" },
	{ "fraction kept", "123456789012345678901234567890123456.78",
	  "123456789012345678901234567890123456.78" },
	{ "smallest exponent", "1E-130", "1E-130" },
	{ "largest", "9.9999999999999999999999999999999999999E+125",
	  "9.9999999999999999999999999999999999999E+125" },
	{ "negative zero", "-0", "-0" },
	{ "plus sign dropped", "+5", "5" },
	{ "bare fraction gets a 0", ".5", "0.5" },
	{ "trailing point dropped", "5.", "5" },
	{ "leading zeros dropped", "007", "7" },
	{ "leading zeros, fraction zeros kept", "-00.010", "-0.010" },
	{ "exponent sign kept", "1e+2", "1e+2" },
	{ "exponent case kept", "-0.10E-3", "-0.10E-3" },
	{ "point before exponent", "5.e3", "5e3" },
	{ "empty", "", NULL },
	{ "sign only", "-", NULL },
	{ "point only", ".", NULL },
	{ "exponent without digits", "1e", NULL },
	{ "exponent sign without digits", "1e+", NULL },
	{ "two points", "1.2.3", NULL },
	{ "NaN", "NaN", NULL },
	{ "Infinity", "Infinity", NULL },
	{ "leading space", " 1", NULL },
	{ "trailing space", "1 ", NULL },
	{ "hex", "0x10", NULL },
	{ "two signs", "--1", NULL },
};

static void
test_number(void)
{
	char out[128];
	size_t i;
	int k;

	for (i = 0; i < sizeof num_cases / sizeof num_cases[0]; i++) {
		const char *in = num_cases[i].in;

		k = flat_number(in, strlen(in), out);
		if (num_cases[i].out == NULL) {
			t_ok(k < 0, "number: %s: \"%s\" refused",
			    num_cases[i].name, in);
			continue;
		}
		if (k >= 0)
			out[k] = '\0';
		t_streq(k < 0 ? "(refused)" : out, num_cases[i].out,
		    num_cases[i].name);
		t_ok(k < 0 || (size_t)k <= strlen(in) + 2,
		    "number: %s: within n + 2 bytes", num_cases[i].name);
	}
}

/* ---- the key set ------------------------------------------------------------ */

static void
test_keyset(void)
{
	struct flat_keyset ks;
	char text[4096 * 8];
	uint32_t off[4096];
	size_t i, n = 0;
	int dups = 0, again = 0;

	flat_keyset_init(&ks);
	t_ok(flat_keyset_add(&ks, "abcabc", 0, 3) == 0, "keyset: new key");
	t_ok(flat_keyset_add(&ks, "abcabc", 3, 3) == 1,
	    "keyset: same text elsewhere is the same key");
	t_ok(flat_keyset_add(&ks, "abcab", 0, 2) == 0,
	    "keyset: a prefix is another key");
	t_ok(flat_keyset_add(&ks, "", 0, 0) == 0 &&
	    flat_keyset_add(&ks, "x", 1, 0) == 1, "keyset: the empty key");
	flat_keyset_reset(&ks);
	t_ok(flat_keyset_add(&ks, "abc", 0, 3) == 0,
	    "keyset: reset empties it");
	/* Grows past its first size and keeps every key. */
	flat_keyset_reset(&ks);
	for (i = 0; i < 4096; i++) {
		off[i] = (uint32_t)n;
		n += (size_t)snprintf(text + n, sizeof text - n, "k%zu", i);
	}
	for (i = 0; i < 4096; i++)
		dups += flat_keyset_add(&ks, text, off[i], (uint32_t)(i + 1 <
		    4096 ? off[i + 1] - off[i] : n - off[i]));
	for (i = 0; i < 4096; i++)
		again += flat_keyset_add(&ks, text, off[i], (uint32_t)(i + 1 <
		    4096 ? off[i + 1] - off[i] : n - off[i]));
	t_ok(dups == 0 && again == 4096 && ks.cap >= 8192,
	    "keyset: 4096 keys after growing (%d new dups, %d found)", dups,
	    again);
	/* The generation counter wraps without old keys coming back. */
	ks.gen = UINT32_MAX;
	flat_keyset_add(&ks, "old", 0, 3);
	flat_keyset_reset(&ks);
	t_ok(flat_keyset_add(&ks, "old", 0, 3) == 0,
	    "keyset: a wrapped generation forgets the old keys");
	flat_keyset_free(&ks);
	flat_keyset_free(NULL);
}

/* ---- whole records through the engine ------------------------------------- */

struct sink_out {
	struct buf out;		/* every line, concatenated */
	char code[32];		/* first error code */
	int errors, warnings;
};

static int
on_record(void *ctx, const char *line, size_t len, const char *raw,
    size_t rawlen, uint64_t lineno)
{
	struct sink_out *s = ctx;

	(void)raw;
	(void)rawlen;
	(void)lineno;
	return buf_add(&s->out, line, len) < 0 ? -1 : 0;
}

static void
on_error(void *ctx, uint64_t lineno, const char *code, const char *msg,
    const char *raw, size_t rawlen, unsigned part)
{
	struct sink_out *s = ctx;

	(void)lineno;
	(void)msg;
	(void)raw;
	(void)rawlen;
	(void)part;
	if (s->errors++ == 0)
		snprintf(s->code, sizeof s->code, "%s", code);
}

static void
on_warn(void *ctx, uint64_t lineno, const char *msg)
{
	struct sink_out *s = ctx;

	(void)lineno;
	(void)msg;
	s->warnings++;
}

struct mem {
	const char *p;
	size_t n;
};

static ssize_t
rd(void *ctx, char *dst, size_t n)
{
	struct mem *m = ctx;

	if (n > m->n)
		n = m->n;
	memcpy(dst, m->p, n);
	m->p += n;
	m->n -= n;
	return (ssize_t)n;
}

enum { O_STR = 1, O_INDEX = 2, O_NOMETA = 4, O_BOTH = 8, O_DOTS = 16 };

static const struct {
	const char *name;
	int opts;		/* O_* */
	const char *in;
	const char *out;	/* lines; NULL when the record fails */
	const char *code;	/* error code when it fails */
	unsigned collisions;
} rec_cases[] = {
	/* values */
	{ "scalars keep their JSON types", 0,
	  "{\"s\":{\"S\":\"x\"},\"n\":{\"N\":\"1.50\"},\"b\":{\"B\":\"AQ==\"},"
	  "\"t\":{\"BOOL\":true},\"f\":{\"BOOL\":false},\"z\":{\"NULL\":true}}",
	  "{\"s\":\"x\",\"n\":1.50,\"b\":\"AQ==\",\"t\":true,\"f\":false,"
	  "\"z\":null}\n", NULL, 0 },
	{ "strings keep their escapes", 0,
	  "{\"s\":{\"S\":\"a\\\"b\\u00e9\\n\"}}",
	  "{\"s\":\"a\\\"b\\u00e9\\n\"}\n", NULL, 0 },
	{ "sets become arrays in input order", 0,
	  "{\"ss\":{\"SS\":[\"b\",\"a\"]},\"ns\":{\"NS\":[\"+1\",\".5\"]},"
	  "\"bs\":{\"BS\":[\"AQ==\"]}}",
	  "{\"ss\":[\"b\",\"a\"],\"ns\":[1,0.5],\"bs\":[\"AQ==\"]}\n",
	  NULL, 0 },
	{ "numbers as strings", O_STR,
	  "{\"n\":{\"N\":\"007\"},\"ns\":{\"NS\":[\"1e2\"]},"
	  "\"l\":{\"L\":[{\"N\":\"3\"}]}}",
	  "{\"n\":\"7\",\"ns\":[\"1e2\"],\"l\":[\"3\"]}\n", NULL, 0 },
	{ "maps flatten, lists stay arrays of plain values", 0,
	  "{\"m\":{\"M\":{\"a\":{\"M\":{\"b\":{\"N\":\"1\"}}},"
	  "\"c\":{\"L\":[{\"S\":\"x\"},{\"M\":{\"d\":{\"BOOL\":true}}},"
	  "{\"L\":[]}]}}}}",
	  "{\"m_a_b\":1,\"m_c\":[\"x\",{\"d\":true},[]]}\n", NULL, 0 },
	{ "lists by index", O_INDEX,
	  "{\"l\":{\"L\":[{\"S\":\"x\"},{\"M\":{\"d\":{\"N\":\"2\"}}},"
	  "{\"L\":[]}]}}",
	  "{\"l_0\":\"x\",\"l_1_d\":2,\"l_2\":[]}\n", NULL, 0 },
	{ "empty map and list are kept", 0,
	  "{\"m\":{\"M\":{}},\"l\":{\"L\":[]}}",
	  "{\"m\":{},\"l\":[]}\n", NULL, 0 },
	{ "a two-byte separator", O_DOTS,
	  "{\"m\":{\"M\":{\"a\":{\"S\":\"x\"}}}}",
	  "{\"m..a\":\"x\"}\n", NULL, 0 },
	{ "names are unescaped, then escaped as JSON requires", 0,
	  "{\"\\u0061\\/b\":{\"S\":\"x\"},\"q\\\"\":{\"S\":\"y\"}}",
	  "{\"a/b\":\"x\",\"q\\\"\":\"y\"}\n", NULL, 0 },
	/* bad values */
	{ "N as a JSON number", 0, "{\"n\":{\"N\":5}}", NULL, "BadValue", 0 },
	{ "N text that is no number", 0, "{\"n\":{\"N\":\"1.2.3\"}}", NULL,
	  "BadNumber", 0 },
	{ "unknown type tag", 0, "{\"n\":{\"Q\":\"x\"}}", NULL,
	  "UnknownType", 0 },
	{ "two type tags", 0,
	  "{\"Item\":{\"n\":{\"S\":\"x\",\"N\":\"1\"}}}", NULL,
	  "BadValue", 0 },
	{ "bad base64", 0, "{\"b\":{\"B\":\"%%%\"}}", NULL, "BadBase64", 0 },
	{ "BOOL not a boolean", 0, "{\"b\":{\"BOOL\":\"true\"}}", NULL,
	  "BadValue", 0 },
	{ "NULL false", 0, "{\"b\":{\"NULL\":false}}", NULL, "BadValue", 0 },
	{ "M not an object", 0, "{\"Item\":{\"m\":{\"M\":[]}}}", NULL,
	  "BadValue", 0 },
	{ "L not an array, in a list", 0,
	  "{\"Item\":{\"l\":{\"L\":[{\"L\":{}}]}}}", NULL, "BadValue", 0 },
	{ "a set element not a string", 0, "{\"s\":{\"SS\":[1]}}", NULL,
	  "BadValue", 0 },
	/* collisions */
	{ "a literal name keeps the key, the nested path is renamed", 0,
	  "{\"a\":{\"M\":{\"b\":{\"S\":\"nested\"}}},\"a_b\":{\"S\":\"lit\"}}",
	  "{\"a_b_2\":\"nested\",\"a_b\":\"lit\"}\n", NULL, 1 },
	{ "the same in the other attribute order", 0,
	  "{\"a_b\":{\"S\":\"lit\"},\"a\":{\"M\":{\"b\":{\"S\":\"nested\"}}}}",
	  "{\"a_b\":\"lit\",\"a_b_2\":\"nested\"}\n", NULL, 1 },
	{ "a rename skips a key that exists", 0,
	  "{\"a\":{\"M\":{\"b\":{\"S\":\"n\"}}},\"a_b\":{\"S\":\"l\"},"
	  "\"a_b_2\":{\"S\":\"t\"}}",
	  "{\"a_b_3\":\"n\",\"a_b\":\"l\",\"a_b_2\":\"t\"}\n", NULL, 1 },
	{ "shorter components from the left win", O_DOTS,
	  "{\"x.\":{\"M\":{\"y\":{\"S\":\"1\"}}},\"x\":{\"M\":{\".y\":"
	  "{\"S\":\"2\"}}}}",
	  "{\"x...y..2\":\"1\",\"x...y\":\"2\"}\n", NULL, 1 },
	{ "an empty name still collides", 0,
	  "{\"\":{\"M\":{\"a\":{\"S\":\"1\"}}},\"_a\":{\"S\":\"2\"}}",
	  "{\"_a_2\":\"1\",\"_a\":\"2\"}\n", NULL, 1 },
	{ "lists by index collide with literal names", O_INDEX,
	  "{\"l\":{\"L\":[{\"S\":\"x\"}]},\"l_0\":{\"S\":\"y\"}}",
	  "{\"l_0_2\":\"x\",\"l_0\":\"y\"}\n", NULL, 1 },
	{ "metadata wins over an attribute of its name", 0,
	  "{\"eventID\":\"e\",\"eventName\":\"INSERT\",\"dynamodb\":{"
	  "\"NewImage\":{\"_ddb_op\":{\"S\":\"mine\"}}}}",
	  "{\"_ddb_op\":\"INSERT\",\"_ddb_event_id\":\"e\",\"_ddb_ttl\":false,"
	  "\"_ddb_op_2\":\"mine\"}\n", NULL, 1 },
	/* a map that names an attribute twice */
	{ "an attribute named twice is rejected", 0,
	  "{\"Item\":{\"SongTitle\":{\"S\":\"a\"},\"x\":{\"S\":\"y\"},"
	  "\"SongTitle\":{\"S\":\"b\"}}}", NULL, "DuplicateAttribute", 0 },
	{ "names equal once unescaped", 0,
	  "{\"Item\":{\"ab\":{\"S\":\"1\"},\"a\\u0062\":{\"S\":\"2\"}}}",
	  NULL, "DuplicateAttribute", 0 },
	{ "a nested map names a member twice", 0,
	  "{\"Item\":{\"m\":{\"M\":{\"a\":{\"N\":\"1\"},"
	  "\"a\":{\"N\":\"2\"}}}}}", NULL, "DuplicateAttribute", 0 },
	{ "a map in a list names a member twice", 0,
	  "{\"Item\":{\"l\":{\"L\":[{\"M\":{\"a\":{\"N\":\"1\"},"
	  "\"b\":{\"N\":\"2\"},\"a\":{\"N\":\"3\"}}}]}}}", NULL,
	  "DuplicateAttribute", 0 },
	{ "a map in a list with nine members names one twice", 0,
	  "{\"Item\":{\"l\":{\"L\":[{\"M\":{\"a\":{\"N\":\"1\"},"
	  "\"b\":{\"N\":\"1\"},\"c\":{\"N\":\"1\"},\"d\":{\"N\":\"1\"},"
	  "\"e\":{\"N\":\"1\"},\"f\":{\"N\":\"1\"},\"g\":{\"N\":\"1\"},"
	  "\"h\":{\"N\":\"1\"},\"\\u0061\":{\"N\":\"1\"}}}]}}}", NULL,
	  "DuplicateAttribute", 0 },
	{ "a map in a list with nine distinct members", 0,
	  "{\"Item\":{\"l\":{\"L\":[{\"M\":{\"a\":{\"N\":\"1\"},"
	  "\"b\":{\"N\":\"1\"},\"c\":{\"N\":\"1\"},\"d\":{\"N\":\"1\"},"
	  "\"e\":{\"N\":\"1\"},\"f\":{\"N\":\"1\"},\"g\":{\"N\":\"1\"},"
	  "\"h\":{\"N\":\"1\"},\"\\u0069\":{\"N\":\"1\"}}}]}}}",
	  "{\"l\":[{\"a\":1,\"b\":1,\"c\":1,\"d\":1,\"e\":1,\"f\":1,"
	  "\"g\":1,\"h\":1,\"\\u0069\":1}]}\n", NULL, 0 },
	{ "a metadata-like name twice in an image", 0,
	  "{\"eventID\":\"e\",\"eventName\":\"INSERT\",\"dynamodb\":{"
	  "\"NewImage\":{\"_ddb_op\":{\"S\":\"a\"},\"_ddb_op\":{\"S\":"
	  "\"b\"}}}}", NULL, "DuplicateAttribute", 0 },
	{ "the same, without metadata", O_NOMETA,
	  "{\"eventID\":\"e\",\"eventName\":\"INSERT\",\"dynamodb\":{"
	  "\"NewImage\":{\"_ddb_op\":{\"S\":\"a\"},\"_ddb_op\":{\"S\":"
	  "\"b\"}}}}", NULL, "DuplicateAttribute", 0 },
	{ "the new image wins over the old one's prefix", O_BOTH | O_NOMETA,
	  "{\"eventName\":\"MODIFY\",\"dynamodb\":{"
	  "\"NewImage\":{\"_old_x\":{\"S\":\"n\"}},"
	  "\"OldImage\":{\"x\":{\"S\":\"o\"}}}}",
	  "{\"_old_x\":\"n\",\"_old_x_2\":\"o\"}\n", NULL, 1 },
};

static void
test_records(void)
{
	struct flat_opts o;
	struct flat_sink sink = { NULL, on_record, on_error, on_warn, NULL,
	    NULL };
	struct sink_out s;
	struct flat *f;
	struct mem m;
	size_t i;
	int rc;

	for (i = 0; i < sizeof rec_cases / sizeof rec_cases[0]; i++) {
		int opts = rec_cases[i].opts;

		memset(&o, 0, sizeof o);
		o.sep = opts & O_DOTS ? ".." : "_";
		o.numbers_string = (opts & O_STR) != 0;
		o.lists_index = (opts & O_INDEX) != 0;
		o.no_meta = (opts & O_NOMETA) != 0;
		o.image = opts & O_BOTH ? FLAT_IMAGE_BOTH : FLAT_IMAGE_DEFAULT;
		o.max_record = 1 << 16;
		memset(&s, 0, sizeof s);
		buf_init(&s.out, 1 << 20);
		sink.ctx = &s;
		f = flat_new(&o, &sink);
		m.p = rec_cases[i].in;
		m.n = strlen(m.p);
		rc = flat_run(f, rd, &m, 0);
		if (rec_cases[i].out != NULL) {
			t_streq(buf_str(&s.out), rec_cases[i].out,
			    rec_cases[i].name);
			t_ok(rc == FLAT_DONE && s.errors == 0,
			    "%s: no error", rec_cases[i].name);
		} else {
			t_ok(s.out.len == 0 && s.errors == 1 &&
			    strcmp(s.code, rec_cases[i].code) == 0,
			    "%s: fails as %s", rec_cases[i].name,
			    rec_cases[i].code);
			if (s.errors != 1 || strcmp(s.code, rec_cases[i].code))
				t_diag("got %d errors, first %s", s.errors,
				    s.code);
		}
		t_ok(flat_counts(f)->collisions == rec_cases[i].collisions &&
		    (unsigned)s.warnings == rec_cases[i].collisions,
		    "%s: %u collisions counted and warned", rec_cases[i].name,
		    rec_cases[i].collisions);
		flat_free(f);
		buf_free(&s.out);
	}
}

int
main(void)
{
	test_number();
	test_keyset();
	test_records();
	return t_done();
}
