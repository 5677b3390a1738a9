/* SPDX-License-Identifier: MIT */
/* retry: the AWS retry policy and error codes in one place (see
 * retry.h). */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "json.h"
#include "retry.h"
#include "util.h"
#include "xml.h"

/* The one table of error codes, first match wins. An entry ending in '*'
 * matches every code that starts with it. Codes not listed are graded by
 * the HTTP status (retry_classify). */
static const struct {
	const char *code;
	int cls;
} class_table[] = {
	/* Expired session credentials: refresh them, then retry. */
	{ "ExpiredToken", RETRY_REFRESH },
	{ "ExpiredTokenException", RETRY_REFRESH },
	{ "TokenRefreshRequired", RETRY_REFRESH },
	/* KMS errors are never retried (as in botocore), even
	 * KMSThrottlingException; a missing or disabled key stops the run. */
	{ "KMS.NotFoundException", RETRY_FATAL },
	{ "KMS.DisabledException", RETRY_FATAL },
	{ "KMS*", RETRY_PERM },
	/* Transient and throttling errors (botocore's standard retry mode,
	 * and S3's). */
	{ "RequestTimeout", RETRY_AGAIN },
	{ "RequestTimeoutException", RETRY_AGAIN },
	{ "PriorRequestNotComplete", RETRY_AGAIN },
	{ "SlowDown", RETRY_AGAIN },
	{ "InternalError", RETRY_AGAIN },
	{ "InternalFailure", RETRY_AGAIN },
	{ "InternalServerError", RETRY_AGAIN },
	{ "ServiceUnavailable", RETRY_AGAIN },
	{ "ServiceUnavailableException", RETRY_AGAIN },
	{ "OperationAborted", RETRY_AGAIN },
	{ "Throttling*", RETRY_AGAIN },
	{ "ThrottledException", RETRY_AGAIN },
	{ "RequestThrottled", RETRY_AGAIN },
	{ "RequestThrottledException", RETRY_AGAIN },
	{ "TooManyRequestsException", RETRY_AGAIN },
	{ "ProvisionedThroughputExceededException", RETRY_AGAIN },
	{ "TransactionInProgressException", RETRY_AGAIN },
	{ "LimitExceededException", RETRY_AGAIN },
	{ "RequestLimitExceeded", RETRY_AGAIN },
	{ "BandwidthLimitExceeded", RETRY_AGAIN },
	{ "EC2ThrottledException", RETRY_AGAIN },
	{ "IDPCommunicationError", RETRY_AGAIN },
	/* Errors every further request would meet too: stop the run. */
	{ "AccessDenied", RETRY_FATAL },
	{ "AccessDeniedException", RETRY_FATAL },
	{ "AllAccessDisabled", RETRY_FATAL },
	{ "AccountProblem", RETRY_FATAL },
	{ "AuthFailure", RETRY_FATAL },
	{ "AuthorizationHeaderMalformed", RETRY_FATAL },
	{ "IDPRejectedClaim", RETRY_FATAL },
	{ "IncompleteSignature", RETRY_FATAL },
	{ "InvalidAccessKeyId", RETRY_FATAL },
	{ "InvalidBucketName", RETRY_FATAL },
	{ "InvalidClientTokenId", RETRY_FATAL },
	{ "InvalidIdentityToken", RETRY_FATAL },
	{ "InvalidSecurity", RETRY_FATAL },
	{ "InvalidSignatureException", RETRY_FATAL },
	{ "InvalidStorageClass", RETRY_FATAL },
	{ "InvalidToken", RETRY_FATAL },
	{ "MissingAuthenticationToken", RETRY_FATAL },
	{ "NoSuchBucket", RETRY_FATAL },
	{ "NotSignedUp", RETRY_FATAL },
	{ "OptInRequired", RETRY_FATAL },
	{ "PermanentRedirect", RETRY_FATAL },
	{ "RequestExpired", RETRY_FATAL },
	{ "RequestTimeTooSkewed", RETRY_FATAL },
	{ "SignatureDoesNotMatch", RETRY_FATAL },
	{ "UnauthorizedException", RETRY_FATAL },
	{ "UnrecognizedClientException", RETRY_FATAL },
};

/* The class of a listed code, or -1. */
static int
code_class(const char *code)
{
	size_t i;

	for (i = 0; i < sizeof class_table / sizeof class_table[0]; i++) {
		const char *t = class_table[i].code;
		size_t l = strlen(t);

		if (t[l - 1] == '*' ? strncmp(code, t, l - 1) == 0 :
		    strcmp(code, t) == 0)
			return class_table[i].cls;
	}
	return -1;
}

int
retry_classify(long status, const char *code)
{
	int cls;

	if (*code == '\0' && status >= 200 && status < 300)
		return RETRY_OK;
	if (*code != '\0' && (cls = code_class(code)) >= 0)
		return cls;
	if (status == 429 || status == 500 || status == 502 ||
	    status == 503 || status == 504 || status == 509)
		return RETRY_AGAIN;
	if (status == 301 || status == 401 || status == 403)
		return RETRY_FATAL;
	return RETRY_PERM;
}

int
retry_classify_curl(int curl_code)
{
	switch ((CURLcode)curl_code) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
	case CURLE_WEIRD_SERVER_REPLY:
	case CURLE_SEND_FAIL_REWIND:
	case CURLE_AGAIN:
		return RETRY_AGAIN;
	default:
		return RETRY_FATAL;	/* TLS verification, bad URL, ... */
	}
}

uint64_t
retry_backoff_ms(unsigned attempt, uint64_t r)
{
	unsigned sh = attempt < 16 ? attempt : 16;
	uint64_t cap = (uint64_t)RETRY_BACKOFF_MIN_MS << sh, d;

	if (cap > RETRY_BACKOFF_CAP_MS)
		cap = RETRY_BACKOFF_CAP_MS;
	d = r % (cap + 1);	/* full jitter */
	return d < RETRY_BACKOFF_MIN_MS ? RETRY_BACKOFF_MIN_MS : d;
}

void
retry_budget_init(struct retry_budget *b, unsigned max)
{
	pthread_mutex_init(&b->mu, NULL);
	b->tokens = b->max = max;
}

void
retry_budget_free(struct retry_budget *b)
{
	pthread_mutex_destroy(&b->mu);
}

int
retry_budget_take(struct retry_budget *b, unsigned cost)
{
	int rc = -1;

	pthread_mutex_lock(&b->mu);
	if (b->tokens >= cost) {
		b->tokens -= cost;
		rc = 0;
	}
	pthread_mutex_unlock(&b->mu);
	return rc;
}

void
retry_budget_give(struct retry_budget *b, unsigned n)
{
	pthread_mutex_lock(&b->mu);
	b->tokens = n >= b->max - b->tokens ? b->max : b->tokens + n;
	pthread_mutex_unlock(&b->mu);
}

/* JSON error: the code from __type, the message from message/Message. */
static void
json_error(const char *body, size_t n, char *code, size_t cn, char *msg,
    size_t mn)
{
	static const char *const keys[] = { "__type", "message", "Message" };
	struct json_toks ts;
	struct json_result jr;
	size_t i;

	json_toks_init(&ts);
	while (n > 0 && (*body == ' ' || *body == '\n' || *body == '\r' ||
	    *body == '\t'))
		body++, n--;
	if (n == 0 || json_parse(body, n, 1, 0, &ts, &jr) != JSON_OK ||
	    ts.t[0].type != JSON_OBJECT) {
		json_toks_free(&ts);
		return;
	}
	for (i = 0; i < 3; i++) {
		uint32_t v = json_get(&ts, body, 0, keys[i], strlen(keys[i]));
		const struct json_tok *t = &ts.t[v];
		char *dst = i == 0 ? code : msg, *tmp;
		size_t dn = i == 0 ? cn : mn, l;

		if (v == 0 || t->type != JSON_STRING || (i == 2 && *msg != '\0'))
			continue;
		tmp = xmalloc(t->end - t->start + 1);
		l = json_unescape(body, t, tmp);
		tmp[l] = '\0';
		snprintf(dst, dn, "%s", tmp);
		free(tmp);
	}
	json_toks_free(&ts);
	/* "com.amazonaws.kinesis.v20131202#ResourceNotFoundException" or
	 * "Code:http://internal.amazon.com/..." */
	code[strcspn(code, ":")] = '\0';
	if (strrchr(code, '#') != NULL)
		memmove(code, strrchr(code, '#') + 1,
		    strlen(strrchr(code, '#') + 1) + 1);
}

void
retry_error_parse(int json, const char *body, size_t n, char *code,
    size_t cn, char *msg, size_t mn)
{
	code[0] = msg[0] = '\0';
	if (body == NULL || n == 0)
		return;
	if (json) {
		json_error(body, n, code, cn, msg, mn);
		return;
	}
	if (xml_find(body, n, "<Error>") == NULL)
		return;
	xml_get(body, n, "Code", code, cn);
	xml_get(body, n, "Message", msg, mn);
	if (code[0] == '\0')
		snprintf(code, cn, "Error");
}
