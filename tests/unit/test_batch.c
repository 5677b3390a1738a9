/* Unit tests for lib/batch naming and lib/uuid: the file-name contract
 * NAME-YYYY-MM-DD-HH-MM-SS-mmm-UUID.json[.gz] and v4 UUIDs. */
#include <stdint.h>
#include <string.h>

#include "batch.h"
#include "t.h"
#include "uuid.h"

static const struct {
	const char *name;
	uint64_t ms;
	int gz;
	const char *want;
} names[] = {
	{ "ddb", 0, 0, "ddb-1970-01-01-00-00-00-000-U.json" },
	{ "ddb", 1719347890250ULL, 1, "ddb-2024-06-25-20-38-10-250-U.json.gz" },
	{ "orders.v2", 1719347890009ULL, 0,
	  "orders.v2-2024-06-25-20-38-10-009-U.json" },
	{ "x", 4102444799999ULL, 0, "x-2099-12-31-23-59-59-999-U.json" },
};

static const struct {
	const char *name;
	int ok;
} valid[] = {
	{ "ddb", 1 }, { "orders_v2-x.y", 1 }, { "", 0 }, { ".ddb", 0 },
	{ "a/b", 0 }, { "a b", 0 }, { "..", 0 },
	{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 0 },
};

int
main(void)
{
	char buf[256], u[UUID_STRLEN + 1], u2[UUID_STRLEN + 1];
	size_t i;
	int n;

	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		n = batch_name(buf, sizeof buf, names[i].name, names[i].ms, "U",
		    names[i].gz);
		t_streq(n > 0 ? buf : "(error)", names[i].want, names[i].want);
	}
	t_ok(batch_name(buf, 10, "ddb", 0, "U", 0) < 0,
	    "a name that does not fit is an error");
	for (i = 0; i < sizeof valid / sizeof valid[0]; i++)
		t_ok(batch_name_valid(valid[i].name) == valid[i].ok,
		    "--name '%s' %s", valid[i].name,
		    valid[i].ok ? "accepted" : "rejected");
	/* Names sort by time: the fixed-width fields compare as text. */
	{
		char a[256], b[256];

		batch_name(a, sizeof a, "ddb", 1719347890999ULL, "f", 0);
		batch_name(b, sizeof b, "ddb", 1719347891000ULL, "0", 0);
		t_ok(strcmp(a, b) < 0, "later millisecond sorts later");
	}
	uuid_v4(u);
	uuid_v4(u2);
	t_ok(uuid_valid(u), "uuid is 8-4-4-4-12 lower-case hex: %s", u);
	t_ok(u[14] == '4', "uuid version nibble is 4");
	t_ok(strchr("89ab", u[19]) != NULL, "uuid variant is 10xx");
	t_ok(strcmp(u, u2) != 0, "two uuids differ");
	t_ok(!uuid_valid("0123456789ab-cdef-4000-8000-000000000000"),
	    "misplaced dash rejected");
	t_ok(!uuid_valid("0123456789AB-cdef-4000-8000-000000000000"),
	    "upper case rejected");
	return t_done();
}
