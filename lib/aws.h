/* aws: one request layer for AWS APIs over libcurl, under lib/s3 (and the
 * Kinesis, DynamoDB Streams, STS and SSO clients to come).
 *
 * A client is one service at one endpoint and region, with a pool of
 * connections (curl easy handles that keep their TCP/TLS connection
 * between requests), credentials from a creds provider, SigV4 through
 * lib/sigv4, and the retry policy: exponential backoff with full jitter,
 * never two tries of a request within a second, and one classification of
 * errors (aws_classify). A request borrows a connection; at most `conns`
 * requests are in flight, and any number of threads may send at once.
 *
 * Ownership: the client borrows the config strings and the credential
 * provider for its lifetime. A response body belongs to the connection it
 * came on and is valid until that connection is returned. Every function
 * returns 0 (AWS_OK) or a negative code with a struct err filled; none
 * prints. */
#ifndef AWS_H
#define AWS_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "buf.h"
#include "creds.h"
#include "msg.h"
#include "sigv4.h"

/* Extra headers one request may carry (S3: the object's headers). */
#define AWS_MAX_HEADERS 48

/* Results: done; this request failed; every further request would fail
 * the same way (bad credentials, no such bucket, unreachable after the
 * retries, stopped): stop the run. */
enum { AWS_OK = 0, AWS_FAIL = -1, AWS_FAIL_ALL = -2 };

/* What the policy does with an answer. */
enum {
	AWS_CLASS_OK,		/* done */
	AWS_CLASS_RETRY,	/* try again after a backoff */
	AWS_CLASS_REFRESH,	/* refresh the credentials, then retry */
	AWS_CLASS_PERM,		/* this request failed */
	AWS_CLASS_FATAL		/* the run should stop */
};

struct aws_config {
	const char *endpoint;	/* scheme://host[:port], from
				 * aws_endpoint_resolve */
	const char *region;	/* signing region */
	const char *service;	/* signing name: "s3" */
	const char *ca_bundle;	/* NULL: the system CA store */
	unsigned conns;		/* connections = requests in flight; 0: 1 */
	size_t data_max;	/* cap of each connection's body buffer */
	unsigned max_attempts;	/* per request, first included; 0: 1 */
	uint64_t retry_time_ms;	/* per request, from its first attempt */
	/* A hint appended to the message of an error code, or NULL. */
	const char *(*hint)(const char *code);
};

/* Request flags. */
#define AWS_FINISH 1	/* runs even after aws_stop (abort an upload) */

/* One request. Strings are borrowed for the call. */
struct aws_request {
	const char *op;		/* "PutObject": for messages */
	const char *what;	/* "s3://b/k": for messages, or NULL */
	const char *method;	/* GET PUT POST HEAD DELETE */
	const char *host;	/* NULL: the endpoint's host[:port] */
	const char *path;	/* canonical URI, encoded; NULL: "/" */
	const char *query;	/* canonical query without '?', or NULL */
	const struct sigv4_header *headers;	/* extra headers, signed */
	size_t nheaders;	/* at most AWS_MAX_HEADERS */
	const char *body;
	size_t len;
	const char *sha256;	/* hex SHA-256 of body */
	const char *md5b64;	/* Content-MD5, or NULL */
	int flags;		/* AWS_FINISH */
	unsigned max_attempts;	/* 0: the client's */
};

/* What came back. body is borrowed from the connection. */
struct aws_response {
	long status;		/* last HTTP status, 0 if none */
	char code[128];		/* the error code, "" if none */
	char message[512];	/* the error message, "" if none */
	char etag[96];		/* the ETag header without quotes */
	const struct buf *body;
	unsigned retries;	/* tries repeated */
};

/* A signed request: every part built by aws_sign. */
struct aws_signed {
	struct buf host, path, url, creq, names, sts, auth;
	char amz[17];
	struct sigv4_header h[AWS_MAX_HEADERS + 5];
	size_t nh;
};

struct aws_client;
struct aws_conn;

struct aws_client *aws_new(const struct aws_config *cfg,
    struct creds_provider *cp, struct err *e);
void aws_free(struct aws_client *c);
/* Make running and future requests stop soon (async-signal-safe). */
void aws_stop(struct aws_client *c);
int aws_stopping(const struct aws_client *c);

/* The endpoint's host[:port], and whether it is an address or localhost
 * (S3 then uses path-style addressing). */
const char *aws_host(const struct aws_client *c);
int aws_host_is_ip(const struct aws_client *c);
const struct aws_config *aws_config(const struct aws_client *c);

/* Borrow a connection (waits until one is free), give it back. Its data
 * buffer (cap data_max) may hold the request body. */
struct aws_conn *aws_conn_get(struct aws_client *c);
void aws_conn_put(struct aws_client *c, struct aws_conn *k);
struct buf *aws_conn_data(struct aws_conn *k);

/* Send rq on connection k, retrying as the policy says. Returns AWS_OK,
 * AWS_FAIL or AWS_FAIL_ALL; r says what came back either way. */
int aws_send(struct aws_client *c, struct aws_conn *k,
    const struct aws_request *rq, struct aws_response *r, struct err *e);

/* Build host, path, URL, headers, canonical request and string to sign;
 * with cr->secret_key, the Authorization value too. cr NULL: unsigned
 * placeholders (dry run). Fails (-1) when a part is too large. */
void aws_signed_init(struct aws_signed *s);
void aws_signed_free(struct aws_signed *s);
int aws_sign(const struct aws_client *c, const struct aws_request *rq,
    time_t now, const struct creds *cr, struct aws_signed *s,
    struct err *e);
/* Dry run: append the canonical request and string to sign, indented by
 * four spaces. The session token's value is never written. */
int aws_describe(const struct aws_signed *s, const char *token,
    struct buf *out);

/* Retry policy, exposed for its unit test. */
#define AWS_BACKOFF_MIN_MS 1000	/* never two tries within 1 s */
#define AWS_BACKOFF_CAP_MS 20000
/* Sleep before try attempt+1: uniform in [0, min(cap, 1 s << attempt)]
 * from the random number r (full jitter), at least 1 s. */
uint64_t aws_backoff_ms(unsigned attempt, uint64_t r);
/* An HTTP status and error code ("" if none) as an AWS_CLASS_. */
int aws_classify(long status, const char *code);

/* Text of <tag>...</tag> in an XML body, entities decoded; "" if absent. */
void aws_xml_get(const char *xml, size_t n, const char *tag, char *out,
    size_t on);
/* Copy s without surrounding quotes, blanks and line ends. */
void aws_unquote(char *dst, size_t n, const char *s);

/* The endpoint URL: `url` if given, else AWS_ENDPOINT_URL_<ID>, else
 * AWS_ENDPOINT_URL, else https://<host>.<region>.amazonaws.com. */
int aws_endpoint_resolve(const char *url, const char *id,
    const char *host, const char *region, struct buf *out, struct err *e);

#endif
