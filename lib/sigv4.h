/* sigv4: AWS Signature Version 4 header signing, in stages.
 *
 *   canonical request   sigv4_canonical_request (query and headers through
 *                       sigv4_canonical_query / sigv4_canonical_headers)
 *   string to sign      sigv4_string_to_sign
 *   signing key         sigv4_signing_key
 *   signature           sigv4_signature
 *   Authorization       sigv4_authorization
 *
 * The clock and the credentials are parameters: nothing here reads the
 * time or the environment, so tests pin both. The path is the canonical
 * URI as sent on the wire: the caller encodes it (S3: sigv4_uri_encode with
 * keep_slash, once; S3 does no path normalisation). Every function appends
 * to a caller-owned struct buf and returns 0, or -1 when the buffer's cap
 * is hit. Hashes use OpenSSL libcrypto. */
#ifndef SIGV4_H
#define SIGV4_H

#include <stddef.h>
#include <time.h>

#include "buf.h"

#define SIGV4_ALGORITHM "AWS4-HMAC-SHA256"
/* Cap of the scratch buffers used inside (a query, the header names). */
#define SIGV4_BUF_MAX (1 << 20)
#define SIGV4_EMPTY_SHA256 \
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/* Borrowed strings. Duplicate names are merged in order ("a,b"). */
struct sigv4_header {
	const char *name;
	const char *value;
};

struct sigv4_request {
	const char *method;		/* "PUT" */
	const char *path;		/* canonical URI, already encoded */
	const char *query;		/* raw query without '?', or NULL */
	const struct sigv4_header *headers;	/* all signed headers, */
	size_t nheaders;		/* host and x-amz-date included */
	const char *payload_hash;	/* hex SHA-256 or UNSIGNED-PAYLOAD */
};

/* "20150830T123600Z" from a UTC time; out has room for 17 bytes. */
void sigv4_amz_date(time_t t, char out[17]);

/* RFC 3986 encoding: every byte but A-Z a-z 0-9 - . _ ~ becomes %XX
 * (upper-case hex); '/' is kept when keep_slash (S3 object keys). */
int sigv4_uri_encode(struct buf *out, const char *s, size_t n,
    int keep_slash);

/* Canonical query: each name and value decoded then re-encoded, pairs
 * sorted by name then value, a valueless key written "k=". */
int sigv4_canonical_query(struct buf *out, const char *query);

/* "name:value\n" per header: names lower-cased, values trimmed with inner
 * runs of white space (line folds too) squeezed to one space, duplicates
 * joined with ',', sorted by name. `names` gets "a;b;c". */
int sigv4_canonical_headers(struct buf *canon, struct buf *names,
    const struct sigv4_header *h, size_t n);

/* The whole canonical request; `signed_names` (may be NULL) gets the
 * SignedHeaders list. */
int sigv4_canonical_request(struct buf *out, struct buf *signed_names,
    const struct sigv4_request *r);

/* AWS4-HMAC-SHA256\n<amz_date>\n<date>/<region>/<service>/aws4_request\n
 * <hex sha256 of creq> */
int sigv4_string_to_sign(struct buf *out, const char *amz_date,
    const char *region, const char *service, const char *creq, size_t len);

/* kSigning = HMAC chain over "AWS4"+secret, date (YYYYMMDD), region,
 * service, "aws4_request". */
void sigv4_signing_key(unsigned char key[32], const char *secret,
    const char *date8, const char *region, const char *service);

/* Lower-case hex HMAC-SHA256(key, sts) into hex (65 bytes). */
void sigv4_signature(char hex[65], const unsigned char key[32],
    const char *sts, size_t len);

/* "AWS4-HMAC-SHA256 Credential=AK/date/region/service/aws4_request,
 * SignedHeaders=..., Signature=..." (no "Authorization:" prefix). */
int sigv4_authorization(struct buf *out, const char *access_key,
    const char *amz_date, const char *region, const char *service,
    const char *signed_names, const char *sig_hex);

/* Hex digests (lower case) of a byte range. */
void sigv4_sha256_hex(const void *p, size_t n, char hex[65]);
void sigv4_hex(char *out, const unsigned char *p, size_t n);

#endif
