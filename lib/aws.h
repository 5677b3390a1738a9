/* aws: one request layer for AWS APIs over libcurl: S3 (lib/s3 on top),
 * STS (query protocol), Kinesis and DynamoDB Streams (JSON protocol),
 * DynamoDB, and unsigned calls such as the SSO portal's.
 *
 * A client is one service (struct aws_service) at one endpoint and
 * region, with a pool of connections (curl easy handles that keep their
 * TCP/TLS connection between requests), credentials from a creds provider
 * (lib/creds: this module depends on nothing but its interface, so
 * providers that themselves call STS through aws live in a module above
 * it), SigV4 through lib/sigv4, and the retry policy of lib/retry (one
 * classification table, backoff with full jitter, a retry budget per
 * client); max_attempts and retry_time_ms bound each request.
 *
 * The caller sees what came back (struct aws_response: status, error code,
 * message, body) and may claim error codes it handles itself (own_codes:
 * returned at once, never retried).
 *
 * Any number of threads may send at once; at most `conns` requests are in
 * flight. aws_stop makes every call return promptly.
 *
 * Ownership: the client borrows the config's strings and the credential
 * provider for its lifetime. A response body belongs to the connection it
 * came on and is valid until that connection is returned. Functions
 * return 0 (AWS_OK) or a negative code with a struct err filled; none
 * prints. */
#ifndef AWS_H
#define AWS_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "awsconf.h"
#include "buf.h"
#include "creds.h"
#include "msg.h"
#include "retry.h"
#include "sigv4.h"

/* ---- services ---- */

enum { AWS_PROTO_REST_XML, AWS_PROTO_QUERY, AWS_PROTO_JSON };

/* How to reach, sign for and read one AWS API. */
struct aws_service {
	const char *id;		/* "dynamodb_streams": AWS_ENDPOINT_URL_<ID>
				 * upper-cased, the config's services key */
	const char *host;	/* https://<host>.<region>.amazonaws.com */
	const char *signing_name;	/* SigV4 service: "dynamodb" */
	int proto;		/* AWS_PROTO_: request and error format */
	const char *target;	/* JSON: X-Amz-Target prefix */
	const char *content_type;	/* JSON and query bodies */
	const char *version;	/* query: the API version */
};

extern const struct aws_service aws_s3;		/* REST-XML */
extern const struct aws_service aws_sts;	/* query, 2011-06-15 */
extern const struct aws_service aws_kinesis;	/* JSON 1.1 */
extern const struct aws_service aws_dynamodb_streams;	/* JSON 1.0 */
extern const struct aws_service aws_dynamodb;	/* JSON 1.0 */
extern const struct aws_service aws_sso;	/* the SSO portal (REST-JSON) */

/* ---- results and the retry policy ---- */

#define AWS_STOP_GRACE_MS 10000

/* Extra headers one request may carry (S3: the object's headers). */
#define AWS_MAX_HEADERS 48

/* Results: done; this request failed; every further request would fail
 * the same way (bad credentials, no such bucket, unreachable after the
 * retries, stopped): stop the run. */
enum { AWS_OK = 0, AWS_FAIL = -1, AWS_FAIL_ALL = -2 };

/* ---- the client ---- */

struct aws_config {
	const struct aws_service *svc;
	const char *endpoint;	/* scheme://host[:port], from
				 * awsconf_endpoint */
	const char *region;	/* signing region, from awsconf_region */
	const char *ca_bundle;	/* NULL: the system CA store */
	unsigned conns;		/* connections = requests in flight; 0: 1 */
	size_t data_max;	/* cap of each connection's body buffer;
				 * 0: 1 MiB */
	size_t body_max;	/* response body kept; 0: 1 MiB (more is
				 * read and dropped) */
	unsigned max_attempts;	/* per request, first included; 0: 1 */
	/* Time bounds; 0: none. Each covers the whole exchange, the
	 * answer's body included. */
	uint64_t retry_time_ms;	/* each request, all its tries */
	uint64_t attempt_timeout_ms;	/* each try */
	uint64_t deadline_ms;	/* wall clock (epoch ms): no request runs
				 * past it (the Lambda invocation's end) */
	/* A hint appended to the message of an error code, or NULL. */
	const char *(*hint)(const char *code);
};

/* Request flags. */
#define AWS_FINISH 1	/* runs on for AWS_STOP_GRACE_MS after aws_stop
			 * (abort an upload) */
#define AWS_UNSIGNED 2	/* no credentials, no signature (STS web
			 * identity, the SSO portal) */

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
	const char *sha256;	/* hex SHA-256 of body; NULL: computed */
	const char *md5b64;	/* Content-MD5, or NULL */
	int flags;		/* AWS_FINISH, AWS_UNSIGNED */
	unsigned max_attempts;	/* 0: the client's */
	uint64_t deadline_ms;	/* 0: the client's (wall clock, epoch ms) */
	/* Error codes the caller handles: returned at once as AWS_FAIL,
	 * never retried. NULL-terminated, or NULL. */
	const char *const *own_codes;
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

struct aws_client;
struct aws_conn;

struct aws_client *aws_new(const struct aws_config *cfg,
    struct creds_provider *cp, struct err *e);
void aws_free(struct aws_client *c);
/* Make running and future requests stop soon (async-signal-safe):
 * every call returns within a moment, AWS_FINISH requests within
 * AWS_STOP_GRACE_MS. */
void aws_stop(struct aws_client *c);
/* Change the client's deadline (wall clock, epoch ms; 0: none) for the
 * requests that start from now on. */
void aws_set_deadline(struct aws_client *c, uint64_t wall_ms);
int aws_stopping(const struct aws_client *c);

/* The endpoint's host[:port], and whether it is an address or localhost
 * (S3 then uses path-style addressing). */
const char *aws_host(const struct aws_client *c);
int aws_host_is_ip(const struct aws_client *c);

/* Borrow a connection (waits until one is free), give it back. Its data
 * buffer (cap data_max) may hold the request body. */
struct aws_conn *aws_conn_get(struct aws_client *c);
void aws_conn_put(struct aws_client *c, struct aws_conn *k);
struct buf *aws_conn_data(struct aws_conn *k);

/* Send rq on connection k, retrying as the policy says. Returns AWS_OK,
 * AWS_FAIL or AWS_FAIL_ALL; r says what came back either way. */
int aws_send(struct aws_client *c, struct aws_conn *k,
    const struct aws_request *rq, struct aws_response *r, struct err *e);

/* aws_send on a connection of the pool, the body copied into out (whose
 * cap bounds it; r->body is NULL afterwards). */
int aws_call(struct aws_client *c, const struct aws_request *rq,
    struct buf *out, struct aws_response *r, struct err *e);

/* JSON protocol (Kinesis, DynamoDB Streams, DynamoDB): POST / with
 * X-Amz-Target <target>.<op> and `json` ("{}" if NULL); the answer's
 * body in out. */
int aws_json_call(struct aws_client *c, const char *op, const char *json,
    const char *const *own_codes, struct buf *out, struct aws_response *r,
    struct err *e);

/* Query protocol (STS): POST / with Action=<op>&Version=<version> and
 * `params` ("&Name=Value..." from aws_form_add, or NULL); flags
 * AWS_UNSIGNED for AssumeRoleWithWebIdentity. The XML answer in out. */
int aws_query_call(struct aws_client *c, const char *op, const char *params,
    int flags, struct buf *out, struct aws_response *r, struct err *e);
/* Append "&name=value", both form-encoded (RFC 3986). */
int aws_form_add(struct buf *form, const char *name, const char *value)
	__attribute__((warn_unused_result));

/* ---- signing (for dry runs and tests) ---- */

/* A signed request: every part built by aws_sign. */
struct aws_signed {
	struct buf host, path, url, creq, names, sts, auth;
	char amz[17];
	char sha256[65];
	struct sigv4_header h[AWS_MAX_HEADERS + 5];
	size_t nh;
};

void aws_signed_init(struct aws_signed *s);
void aws_signed_free(struct aws_signed *s);
/* Build host, path, URL, headers, canonical request and string to sign;
 * with cr->secret_key, the Authorization value too. Fails (-1, e filled)
 * when a part is too large or there are too many headers: a request is
 * never sent half-signed. */
int aws_sign(const struct aws_client *c, const struct aws_request *rq,
    time_t now, const struct creds *cr, struct aws_signed *s,
    struct err *e);
/* Dry run: append the canonical request and string to sign, indented by
 * four spaces. The session token's value is never written: its header
 * line is masked by its place, whatever the value holds. */
int aws_describe(const struct aws_signed *s, struct buf *out);

/* ---- small helpers ---- */

/* Copy s without surrounding quotes, blanks and line ends. */
void aws_unquote(char *dst, size_t n, const char *s);

#endif
