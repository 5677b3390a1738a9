/* retry: the AWS retry policy in one place, for every client of lib/aws.
 *
 *   - the error code and message of an answer (retry_error_parse): XML
 *     <Error><Code>/<Message> (S3, STS), or JSON __type (cut at the first
 *     ':', then after the last '#') and message/Message (Kinesis,
 *     DynamoDB Streams, DynamoDB, SSO);
 *   - one table of error codes (retry_classify): retry, refresh the
 *     credentials then retry, stop the run, or fail this request; codes
 *     not listed are graded by the HTTP status (429, 500, 502, 503, 504,
 *     509 retried; 301, 401, 403 stop the run). Network errors are
 *     retried (retry_classify_curl);
 *   - exponential backoff with full jitter, never two tries of a request
 *     within a second (retry_backoff_ms);
 *   - a retry budget, the AWS SDKs' "standard" token bucket: a retry
 *     spends RETRY_COST tokens (RETRY_TIMEOUT_COST after a timeout), a
 *     success gives back what its retries spent, or one token; with the
 *     bucket empty nothing is retried, so a failing service is not
 *     hammered by every request's retries at once.
 *
 * KMS errors are never retried, as botocore does not. The table is
 * botocore's standard mode (retries/standard.py, data/_retry.json) plus
 * S3's own codes. Everything here is thread-safe; nothing allocates. */
#ifndef RETRY_H
#define RETRY_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

/* What the policy does with an answer. */
enum {
	RETRY_OK,		/* done */
	RETRY_AGAIN,		/* try again after a backoff */
	RETRY_REFRESH,		/* refresh the credentials, then retry */
	RETRY_PERM,		/* this request failed */
	RETRY_FATAL		/* the run should stop */
};

#define RETRY_BACKOFF_MIN_MS 1000	/* never two tries within 1 s */
#define RETRY_BACKOFF_CAP_MS 20000
#define RETRY_BUDGET 500	/* tokens in a client's bucket */
#define RETRY_COST 5
#define RETRY_TIMEOUT_COST 10

/* An HTTP status and error code ("" if none) as a RETRY_ class. */
int retry_classify(long status, const char *code);
/* A libcurl result (CURLcode) as RETRY_AGAIN or RETRY_FATAL. */
int retry_classify_curl(int curl_code);
/* Sleep before try attempt+1: uniform in [0, min(cap, 1 s << attempt)]
 * from the random number r (full jitter), at least 1 s. */
uint64_t retry_backoff_ms(unsigned attempt, uint64_t r);

/* Error code and message of an answer's body; "" when absent. XML
 * without an <Error> element has none; XML <Error> without a <Code> gives
 * "Error". */
void retry_error_parse(int json, const char *body, size_t n, char *code,
    size_t cn, char *msg, size_t mn);

struct retry_budget {
	pthread_mutex_t mu;
	unsigned tokens, max;
};

void retry_budget_init(struct retry_budget *b, unsigned max);
void retry_budget_free(struct retry_budget *b);
/* Spend `cost` tokens on a retry: 0, or -1 (nothing spent) when the
 * bucket holds fewer. */
int retry_budget_take(struct retry_budget *b, unsigned cost);
/* Give tokens back, up to the bucket's size. */
void retry_budget_give(struct retry_budget *b, unsigned n);

#endif
