/* SPDX-License-Identifier: MIT */
/* test_aws: the retry policy of lib/aws (error classes, backoff bounds),
 * as tables. */
#include <stdint.h>
#include <string.h>

#include "aws.h"
#include "t.h"

static const struct {
	const char *name;
	long status;
	const char *code;
	int want;
} class_cases[] = {
	{ "200 is done", 200, "", AWS_CLASS_OK },
	{ "204 is done", 204, "", AWS_CLASS_OK },
	{ "200 with an <Error> body (Complete) is graded by code", 200,
	    "InternalError", AWS_CLASS_RETRY },
	{ "500 retried", 500, "InternalError", AWS_CLASS_RETRY },
	{ "502 without a body retried", 502, "", AWS_CLASS_RETRY },
	{ "503 SlowDown retried", 503, "SlowDown", AWS_CLASS_RETRY },
	{ "429 retried", 429, "", AWS_CLASS_RETRY },
	{ "400 RequestTimeout retried", 400, "RequestTimeout",
	    AWS_CLASS_RETRY },
	{ "400 ExpiredToken refreshes", 400, "ExpiredToken",
	    AWS_CLASS_REFRESH },
	{ "403 AccessDenied stops the run", 403, "AccessDenied",
	    AWS_CLASS_FATAL },
	{ "403 SignatureDoesNotMatch stops the run", 403,
	    "SignatureDoesNotMatch", AWS_CLASS_FATAL },
	{ "403 InvalidAccessKeyId stops the run", 403, "InvalidAccessKeyId",
	    AWS_CLASS_FATAL },
	{ "404 NoSuchBucket stops the run", 404, "NoSuchBucket",
	    AWS_CLASS_FATAL },
	{ "301 PermanentRedirect (wrong region) stops the run", 301,
	    "PermanentRedirect", AWS_CLASS_FATAL },
	{ "400 BadDigest fails the object", 400, "BadDigest", AWS_CLASS_PERM },
	{ "400 XAmzContentSHA256Mismatch fails the object", 400,
	    "XAmzContentSHA256Mismatch", AWS_CLASS_PERM },
	{ "400 EntityTooLarge fails the object", 400, "EntityTooLarge",
	    AWS_CLASS_PERM },
};

static void
test_classify(void)
{
	size_t i;

	for (i = 0; i < sizeof class_cases / sizeof class_cases[0]; i++)
		t_ok(aws_classify(class_cases[i].status, class_cases[i].code) ==
		    class_cases[i].want, "%s", class_cases[i].name);
}

static void
test_backoff(void)
{
	static const uint64_t rs[] = { 0, 1, 999, 1000, 1999, 2000, 2001,
	    123456789, UINT64_MAX };
	unsigned a;
	size_t i;
	int floor_ok = 1, cap_ok = 1, grows = 0;

	for (a = 1; a <= 40; a++) {
		uint64_t cap = a < 5 ? (1000ULL << a) : AWS_BACKOFF_CAP_MS;

		if (cap > AWS_BACKOFF_CAP_MS)
			cap = AWS_BACKOFF_CAP_MS;
		for (i = 0; i < sizeof rs / sizeof rs[0]; i++) {
			uint64_t d = aws_backoff_ms(a, rs[i]);

			if (d < AWS_BACKOFF_MIN_MS)
				floor_ok = 0;
			if (d > cap)
				cap_ok = 0;
		}
	}
	t_ok(floor_ok, "never two tries within a second (backoff >= 1 s)");
	t_ok(cap_ok, "backoff within min(20 s, 2^attempt s)");
	/* Full jitter: the whole range is reachable. */
	t_ok(aws_backoff_ms(1, 2000) == 2000 && aws_backoff_ms(1, 2001) == 1000,
	    "attempt 1: uniform in [1 s, 2 s]");
	for (i = 0; i < 50000; i++)
		if (aws_backoff_ms(10, i * 7919) > 10000)
			grows = 1;
	t_ok(grows, "later attempts wait longer (up to the cap)");
}

int
main(void)
{
	test_classify();
	test_backoff();
	return t_done();
}
