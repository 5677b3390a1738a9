/* test_ddbtime: change-record timestamps to ISO-8601 UTC, from epoch
 * numbers in any unit AWS uses and from CLI v2's ISO strings with offsets.
 * Expected values were computed with Python's datetime. */
#include <string.h>

#include "ddbtime.h"
#include "t.h"

static const struct {
	const char *in;
	int unit;
	const char *want;	/* NULL: rejected */
} numbers[] = {
	{ "1571849028", DDBTIME_AUTO, "2019-10-23T16:43:48Z" },
	{ "1571849028.0", DDBTIME_AUTO, "2019-10-23T16:43:48Z" },
	{ "1693997155.5", DDBTIME_AUTO, "2023-09-06T10:45:55.5Z" },
	{ "1.684934517E9", DDBTIME_AUTO, "2023-05-24T13:21:57Z" },
	{ "1.46480646E9", DDBTIME_AUTO, "2016-06-01T18:41:00Z" },
	{ "1650162905269", DDBTIME_AUTO, "2022-04-17T02:35:05.269Z" },
	{ "1650162905000", DDBTIME_AUTO, "2022-04-17T02:35:05.000Z" },
	{ "1719347890250647", DDBTIME_AUTO, "2024-06-25T20:38:10.250647Z" },
	{ "1650162905269", DDBTIME_MS, "2022-04-17T02:35:05.269Z" },
	{ "1650162905", DDBTIME_S, "2022-04-17T02:35:05Z" },
	{ "0", DDBTIME_AUTO, "1970-01-01T00:00:00Z" },
	{ "-1", DDBTIME_AUTO, NULL },
	{ "+1", DDBTIME_AUTO, NULL },
	{ "", DDBTIME_AUTO, NULL },
	{ "abc", DDBTIME_AUTO, NULL },
	{ "1e200", DDBTIME_AUTO, NULL },
	{ "1.5e", DDBTIME_AUTO, NULL },
	{ "99999999999999999999", DDBTIME_S, NULL },	/* after year 9999 */
};

static const struct {
	const char *in, *want;
} isos[] = {
	{ "2019-10-23T09:43:48-07:00", "2019-10-23T16:43:48Z" },
	{ "2026-01-26T13:32:45.261000-08:00", "2026-01-26T21:32:45.261Z" },
	{ "2024-01-01T00:00:00+0530", "2023-12-31T18:30:00Z" },
	{ "2024-02-29T23:59:59Z", "2024-02-29T23:59:59Z" },
	{ "2024-02-29 23:59:59z", "2024-02-29T23:59:59Z" },
	{ "2024-06-25T20:38:10.250647Z", "2024-06-25T20:38:10.250647Z" },
	{ "2024-13-01T00:00:00Z", NULL },
	{ "2024-01-01", NULL },
	{ "2024-01-01T00:00Z", NULL },
	{ "2024-01-01T00:00:00.Z", NULL },
	{ "2024-01-01T00:00:00+25:00", NULL },
	{ "2024-01-01T00:00:00Z junk", NULL },
};

int
main(void)
{
	char out[DDBTIME_MAX];
	size_t i;
	int n;

	for (i = 0; i < sizeof numbers / sizeof numbers[0]; i++) {
		n = ddbtime_from_number(numbers[i].in, strlen(numbers[i].in),
		    numbers[i].unit, out);
		if (numbers[i].want == NULL) {
			t_ok(n < 0, "number \"%s\" rejected", numbers[i].in);
			continue;
		}
		t_streq(n >= 0 ? out : "(error)", numbers[i].want, numbers[i].in);
		t_ok(n == (int)strlen(numbers[i].want), "length of %s",
		    numbers[i].in);
	}
	for (i = 0; i < sizeof isos / sizeof isos[0]; i++) {
		n = ddbtime_from_iso(isos[i].in, strlen(isos[i].in), out);
		if (isos[i].want == NULL)
			t_ok(n < 0, "ISO \"%s\" rejected", isos[i].in);
		else
			t_streq(n >= 0 ? out : "(error)", isos[i].want,
			    isos[i].in);
	}
	t_ok(ddbtime_days(1970, 1, 1) == 0, "days: the epoch");
	t_ok(ddbtime_days(2000, 3, 1) == 11017, "days: after a leap day");
	t_ok(ddbtime_days(1969, 12, 31) == -1, "days: before the epoch");
	return t_done();
}
