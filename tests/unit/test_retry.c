/* SPDX-License-Identifier: MIT */
/* test_retry: lib/retry's policy as tables: the classification of status
 * and error codes from S3, STS, Kinesis, DynamoDB Streams and the SSO
 * portal, network errors, backoff bounds, the retry budget, and reading
 * the error code and message of XML and JSON answers. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <curl/curl.h>

#include "retry.h"
#include "t.h"

static const struct {
	const char *name;
	long status;
	const char *code;
	int want;
} class_cases[] = {
	{ "200 is done", 200, "", RETRY_OK },
	{ "204 is done", 204, "", RETRY_OK },
	{ "S3: 200 with an <Error> body (Complete) is graded by code", 200,
	    "InternalError", RETRY_AGAIN },
	{ "S3: 500 InternalError retried", 500, "InternalError", RETRY_AGAIN },
	{ "502 without a body retried", 502, "", RETRY_AGAIN },
	{ "503 without a body retried", 503, "", RETRY_AGAIN },
	{ "504 without a body retried", 504, "", RETRY_AGAIN },
	{ "509 (bandwidth) retried", 509, "", RETRY_AGAIN },
	{ "501 NotImplemented is not retried", 501, "NotImplemented",
	    RETRY_PERM },
	{ "S3: 503 SlowDown retried", 503, "SlowDown", RETRY_AGAIN },
	{ "429 retried", 429, "", RETRY_AGAIN },
	{ "S3: 400 RequestTimeout retried", 400, "RequestTimeout",
	    RETRY_AGAIN },
	{ "S3: 409 OperationAborted retried", 409, "OperationAborted",
	    RETRY_AGAIN },
	{ "400 Throttling retried", 400, "Throttling", RETRY_AGAIN },
	{ "400 ThrottlingException retried (Throttling*)", 400,
	    "ThrottlingException", RETRY_AGAIN },
	{ "Kinesis: 400 ProvisionedThroughputExceededException retried", 400,
	    "ProvisionedThroughputExceededException", RETRY_AGAIN },
	{ "Kinesis/Streams: 400 LimitExceededException retried", 400,
	    "LimitExceededException", RETRY_AGAIN },
	{ "EC2-style 400 RequestLimitExceeded retried", 400,
	    "RequestLimitExceeded", RETRY_AGAIN },
	{ "STS: 400 IDPCommunicationError retried", 400,
	    "IDPCommunicationError", RETRY_AGAIN },
	{ "JSON: 500 InternalFailure retried", 500, "InternalFailure",
	    RETRY_AGAIN },
	{ "S3: 400 ExpiredToken refreshes (and only that)", 400,
	    "ExpiredToken", RETRY_REFRESH },
	{ "Kinesis: 400 ExpiredTokenException refreshes", 400,
	    "ExpiredTokenException", RETRY_REFRESH },
	{ "S3: 400 TokenRefreshRequired refreshes (and only that)", 400,
	    "TokenRefreshRequired", RETRY_REFRESH },
	{ "Kinesis: KMSThrottlingException is never retried", 400,
	    "KMSThrottlingException", RETRY_PERM },
	{ "Kinesis: KMSAccessDeniedException fails the request", 400,
	    "KMSAccessDeniedException", RETRY_PERM },
	{ "Kinesis: a KMS error is not retried even with a 500", 500,
	    "KMSInternalException", RETRY_PERM },
	{ "S3: KMS.NotFoundException stops the run", 400,
	    "KMS.NotFoundException", RETRY_FATAL },
	{ "S3: 403 AccessDenied stops the run", 403, "AccessDenied",
	    RETRY_FATAL },
	{ "Kinesis: 400 AccessDeniedException stops the run", 400,
	    "AccessDeniedException", RETRY_FATAL },
	{ "S3: 403 SignatureDoesNotMatch stops the run", 403,
	    "SignatureDoesNotMatch", RETRY_FATAL },
	{ "Kinesis: 400 InvalidSignatureException stops the run", 400,
	    "InvalidSignatureException", RETRY_FATAL },
	{ "JSON: 400 UnrecognizedClientException (bad key) stops the run",
	    400, "UnrecognizedClientException", RETRY_FATAL },
	{ "STS: 403 InvalidClientTokenId stops the run", 403,
	    "InvalidClientTokenId", RETRY_FATAL },
	{ "STS: 400 InvalidIdentityToken stops the run", 400,
	    "InvalidIdentityToken", RETRY_FATAL },
	{ "SSO: 401 UnauthorizedException (log in again) stops the run", 401,
	    "UnauthorizedException", RETRY_FATAL },
	{ "S3: 403 InvalidAccessKeyId stops the run", 403,
	    "InvalidAccessKeyId", RETRY_FATAL },
	{ "S3: 404 NoSuchBucket stops the run", 404, "NoSuchBucket",
	    RETRY_FATAL },
	{ "S3: 301 PermanentRedirect (wrong region) stops the run", 301,
	    "PermanentRedirect", RETRY_FATAL },
	{ "403 without a code stops the run", 403, "", RETRY_FATAL },
	{ "S3: 400 BadDigest fails the object", 400, "BadDigest", RETRY_PERM },
	{ "S3: 400 XAmzContentSHA256Mismatch fails the object", 400,
	    "XAmzContentSHA256Mismatch", RETRY_PERM },
	{ "S3: 400 EntityTooLarge fails the object", 400, "EntityTooLarge",
	    RETRY_PERM },
	{ "Streams: ExpiredIteratorException is the caller's (not retried)",
	    400, "ExpiredIteratorException", RETRY_PERM },
	{ "Streams: TrimmedDataAccessException is the caller's", 400,
	    "TrimmedDataAccessException", RETRY_PERM },
	{ "Kinesis: ResourceNotFoundException fails the request", 400,
	    "ResourceNotFoundException", RETRY_PERM },
	{ "404 without a code fails the request", 404, "", RETRY_PERM },
	{ "a code is matched whole: SlowDownX is not SlowDown", 400,
	    "SlowDownX", RETRY_PERM },
};

static void
test_classify(void)
{
	size_t i;

	for (i = 0; i < sizeof class_cases / sizeof class_cases[0]; i++)
		t_ok(retry_classify(class_cases[i].status, class_cases[i].code)
		    == class_cases[i].want, "classify: %s", class_cases[i].name);
}

static const struct {
	const char *name;
	int cc;
	int want;
} curl_cases[] = {
	{ "connection refused retried", CURLE_COULDNT_CONNECT, RETRY_AGAIN },
	{ "name not resolved retried", CURLE_COULDNT_RESOLVE_HOST,
	    RETRY_AGAIN },
	{ "timeout retried", CURLE_OPERATION_TIMEDOUT, RETRY_AGAIN },
	{ "connection reset while reading retried", CURLE_RECV_ERROR,
	    RETRY_AGAIN },
	{ "empty reply retried", CURLE_GOT_NOTHING, RETRY_AGAIN },
	{ "cut-off body retried", CURLE_PARTIAL_FILE, RETRY_AGAIN },
	{ "TLS handshake failure retried", CURLE_SSL_CONNECT_ERROR,
	    RETRY_AGAIN },
	{ "untrusted certificate stops the run",
	    CURLE_PEER_FAILED_VERIFICATION, RETRY_FATAL },
	{ "malformed URL stops the run", CURLE_URL_MALFORMAT, RETRY_FATAL },
};

static void
test_classify_curl(void)
{
	size_t i;

	for (i = 0; i < sizeof curl_cases / sizeof curl_cases[0]; i++)
		t_ok(retry_classify_curl(curl_cases[i].cc) == curl_cases[i].want,
		    "curl: %s", curl_cases[i].name);
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
		uint64_t cap = a < 5 ? (1000ULL << a) : RETRY_BACKOFF_CAP_MS;

		if (cap > RETRY_BACKOFF_CAP_MS)
			cap = RETRY_BACKOFF_CAP_MS;
		for (i = 0; i < sizeof rs / sizeof rs[0]; i++) {
			uint64_t d = retry_backoff_ms(a, rs[i]);

			if (d < RETRY_BACKOFF_MIN_MS)
				floor_ok = 0;
			if (d > cap)
				cap_ok = 0;
		}
	}
	t_ok(floor_ok, "backoff: never two tries within a second (>= 1 s)");
	t_ok(cap_ok, "backoff: within min(20 s, 2^attempt s)");
	/* Full jitter: the whole range is reachable. */
	t_ok(retry_backoff_ms(1, 2000) == 2000 &&
	    retry_backoff_ms(1, 2001) == 1000,
	    "backoff: attempt 1 is uniform in [1 s, 2 s]");
	for (i = 0; i < 50000; i++)
		if (retry_backoff_ms(10, i * 7919) > 10000)
			grows = 1;
	t_ok(grows, "backoff: later attempts wait longer (up to the cap)");
}

/* A sequence of operations on one bucket: 't' take a retry, 'T' take after
 * a timeout, 'g' give back n; the tokens left. */
static const struct {
	const char *name;
	const char *ops;	/* t, T, g */
	unsigned give;		/* for g */
	unsigned want_tokens;
	unsigned want_refused;	/* takes refused */
} budget_cases[] = {
	{ "a retry costs 5 tokens", "t", 0, RETRY_BUDGET - 5, 0 },
	{ "a retry after a timeout costs 10", "T", 0, RETRY_BUDGET - 10, 0 },
	{ "100 retries empty the bucket; the 101st is refused",
	    "tttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttt"
	    "tttttttttttttttttttttttttttttttttttttt" "t", 0, 0, 1 },
	{ "a success gives back what its retry spent", "tg", 5,
	    RETRY_BUDGET, 0 },
	{ "giving never fills past the size", "g", 1, RETRY_BUDGET, 0 },
	{ "50 timeouts empty it; a cheap retry is refused too",
	    "TTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTT" "t", 0, 0,
	    1 },
};

static void
test_budget(void)
{
	size_t i;

	for (i = 0; i < sizeof budget_cases / sizeof budget_cases[0]; i++) {
		struct retry_budget b;
		const char *p;
		unsigned refused = 0;

		retry_budget_init(&b, RETRY_BUDGET);
		for (p = budget_cases[i].ops; *p != '\0'; p++) {
			if (*p == 'g')
				retry_budget_give(&b, budget_cases[i].give);
			else if (retry_budget_take(&b, *p == 'T' ?
			    RETRY_TIMEOUT_COST : RETRY_COST) < 0)
				refused++;
		}
		t_ok(b.tokens == budget_cases[i].want_tokens &&
		    refused == budget_cases[i].want_refused,
		    "budget: %s (tokens %u, refused %u)", budget_cases[i].name,
		    b.tokens, refused);
		retry_budget_free(&b);
	}
}

static const struct {
	const char *name;
	int json;
	const char *body;
	const char *code, *msg;
} err_cases[] = {
	{ "S3 <Error>", 0,
	    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>"
	    "NoSuchBucket</Code><Message>The specified bucket does not "
	    "exist</Message><BucketName>b</BucketName></Error>",
	    "NoSuchBucket", "The specified bucket does not exist" },
	{ "STS <ErrorResponse>, entities decoded", 0,
	    "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/"
	    "\"><Error><Type>Sender</Type><Code>InvalidIdentityToken</Code>"
	    "<Message>bad &amp; &lt;old&gt; token</Message></Error><RequestId>"
	    "r</RequestId></ErrorResponse>",
	    "InvalidIdentityToken", "bad & <old> token" },
	{ "XML answer without <Error> is no error", 0,
	    "<InitiateMultipartUploadResult><UploadId>u</UploadId>"
	    "</InitiateMultipartUploadResult>", "", "" },
	{ "XML <Error> without a code", 0,
	    "<Error><Message>m</Message></Error>", "Error", "m" },
	{ "Kinesis: plain __type and message", 1,
	    "{\"__type\":\"ResourceNotFoundException\",\"message\":"
	    "\"Stream s under account 0 not found.\"}",
	    "ResourceNotFoundException", "Stream s under account 0 not found." },
	{ "DynamoDB: namespace before '#'", 1,
	    "{\"__type\":\"com.amazonaws.dynamodb.v20120810#"
	    "TrimmedDataAccessException\",\"message\":\"trimmed\"}",
	    "TrimmedDataAccessException", "trimmed" },
	{ "coral: Message with a capital M", 1,
	    "{\"__type\":\"com.amazon.coral.service#UnrecognizedClientException"
	    "\",\"Message\":\"The security token included in the request is "
	    "invalid.\"}", "UnrecognizedClientException",
	    "The security token included in the request is invalid." },
	{ "__type cut at the first ':', then after the last '#'",
	    1, "{\"__type\":\"com.amazon.coral.validate#"
	    "ValidationException:http://internal.amazon.com/coral/"
	    "com.amazon.coral.validate/\",\"message\":\"x\"}",
	    "ValidationException", "x" },
	{ "SSO: message first, __type after", 1,
	    "{\"message\":\"Session token not found or invalid\",\"__type\":"
	    "\"UnauthorizedException\"}", "UnauthorizedException",
	    "Session token not found or invalid" },
	{ "escapes in the message are decoded", 1,
	    "  {\"__type\":\"X\",\"message\":\"a \\\"q\\\" \\u00e9\"}\n",
	    "X", "a \"q\" \xc3\xa9" },
	{ "message wins over Message", 1,
	    "{\"Message\":\"second\",\"message\":\"first\",\"__type\":\"X\"}",
	    "X", "first" },
	{ "not JSON: no code", 1, "<html>502</html>", "", "" },
	{ "a JSON array: no code", 1, "[\"__type\"]", "", "" },
	{ "__type not a string: no code", 1,
	    "{\"__type\":7,\"message\":\"m\"}", "", "m" },
	{ "empty body", 1, "", "", "" },
};

static void
test_errors(void)
{
	size_t i;

	for (i = 0; i < sizeof err_cases / sizeof err_cases[0]; i++) {
		char code[128], msg[512];

		retry_error_parse(err_cases[i].json, err_cases[i].body,
		    strlen(err_cases[i].body), code, sizeof code, msg,
		    sizeof msg);
		t_ok(strcmp(code, err_cases[i].code) == 0 &&
		    strcmp(msg, err_cases[i].msg) == 0, "error body: %s "
		    "(got '%s' '%s')", err_cases[i].name, code, msg);
	}
}

static void
test_error_caps(void)
{
	char big[4000], code[16], msg[32];

	memset(big, 'a', sizeof big);
	snprintf(big, sizeof big, "{\"__type\":\"%0600d\",\"message\":\"%0900d\"}",
	    1, 2);
	retry_error_parse(1, big, strlen(big), code, sizeof code,
	    msg, sizeof msg);
	t_ok(strlen(code) == sizeof code - 1 && strlen(msg) == sizeof msg - 1,
	    "error body: long code and message are cut to their buffers");
}

int
main(void)
{
	test_classify();
	test_classify_curl();
	test_backoff();
	test_budget();
	test_errors();
	test_error_caps();
	return t_done();
}
