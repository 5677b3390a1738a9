/* s3: a small S3 client for uploads over libcurl, signed by lib/sigv4.
 *
 * PutObject for small files, multipart upload (parts in parallel,
 * CompleteMultipartUpload, AbortMultipartUpload on any failure) above the
 * threshold. Every PUT and part carries the real payload SHA-256 in
 * x-amz-content-sha256 and a Content-MD5; the returned ETag is checked
 * against the MD5 before success is declared (not with SSE-KMS, whose
 * ETags are not MD5s; S3 still verifies Content-MD5 then). No CRC checksum
 * headers are sent (several S3-compatible stores reject them).
 *
 * Concurrency: the client owns `jobs` connections (curl easy handles that
 * keep their TCP/TLS connection between requests) and a data buffer each.
 * Every request borrows one, so at most `jobs` requests are in flight and
 * memory stays near jobs x max(part size, threshold). s3_put_file may be
 * called from several threads at once; a multipart upload runs its parts
 * on helper threads that borrow connections from the same pool.
 *
 * Requests go through lib/aws (signing, connections, the retry policy);
 * this module adds what is S3's: addressing, object headers, digests,
 * multipart and the hints that follow an S3 error code.
 *
 * Ownership: the client borrows the config strings and the credential
 * provider for its lifetime. Returned strings are the caller's. */
#ifndef S3_H
#define S3_H

#include <stddef.h>
#include <stdint.h>

#include "aws.h"
#include "buf.h"
#include "creds.h"
#include "msg.h"

#define S3_MIN_PART (5ULL << 20)
#define S3_MAX_PART (5ULL << 30)
#define S3_MAX_PARTS 10000

/* --metadata entries an object may carry, and S3's limit on their names
 * and values together. */
#define S3_MAX_METADATA 32
#define S3_METADATA_BYTES 2048

enum { S3_CORRUPT_NONE, S3_CORRUPT_MD5, S3_CORRUPT_SHA256 };

struct s3_config {
	const char *endpoint;	/* URL, from awsconf_endpoint */
	const char *region;	/* required */
	int path_style;		/* 1: always /bucket/key; 0: virtual-hosted
				 * when the bucket name and endpoint allow */
	const char *ca_bundle;	/* NULL: system CA store */
	uint64_t retry_time_ms;	/* each request, all tries and the body */
	uint64_t attempt_timeout_ms;	/* each try of a request */
	unsigned max_attempts;	/* per request, first attempt included */
	uint64_t part_size;
	uint64_t multipart_threshold;	/* bigger files go multipart */
	unsigned jobs;		/* connections = requests in flight */
	int corrupt;		/* S3_CORRUPT_*: test-only */
};

/* Headers of the object (PutObject / CreateMultipartUpload). Borrowed;
 * NULL leaves a header out. */
struct s3_object_opts {
	const char *content_type;
	const char *content_encoding;
	const char *storage_class;
	const char *sse;		/* "AES256" or "aws:kms" */
	const char *sse_kms_key_id;
	const char *acl;		/* canned ACL */
	const char *const *metadata;	/* "name=value" */
	size_t nmetadata;		/* at most S3_MAX_METADATA */
};

struct s3_result {
	char etag[128];		/* without quotes */
	uint64_t size;
	unsigned parts;		/* 0: single PUT */
	unsigned retries;	/* requests repeated */
};

/* Status of a failed call: the object failed, or the whole run should
 * stop because every further request would fail the same way (bad
 * credentials, no such bucket, the store unreachable after retries). */
enum { S3_OK = AWS_OK, S3_FAIL = AWS_FAIL, S3_FAIL_ALL = AWS_FAIL_ALL };

struct s3_client;

struct s3_client *s3_new(const struct s3_config *cfg,
    struct creds_provider *cp, struct err *e);
void s3_free(struct s3_client *c);

/* Ask running and future requests to stop soon (signal-safe). */
void s3_stop(struct s3_client *c);

/* Upload `size` bytes read from fd (pread, so fd is shared safely) to
 * bucket/key. Returns S3_OK, S3_FAIL or S3_FAIL_ALL with e filled. */
int s3_put_file(struct s3_client *c, const char *bucket, const char *key,
    int fd, uint64_t size, const struct s3_object_opts *o,
    struct s3_result *r, struct err *e);

/* Dry run: append what s3_put_file would send first (PutObject, or
 * CreateMultipartUpload and the part plan) with the canonical request and
 * string to sign. Credentials are optional (NULL: placeholders); the
 * secret, the signature and the session token are never written. */
int s3_describe_put(struct s3_client *c, const char *bucket,
    const char *key, int fd, uint64_t size, const struct s3_object_opts *o,
    struct buf *out, struct err *e);

/* Check user metadata ("name=value" each) before anything is sent: at
 * most S3_MAX_METADATA entries, names of HTTP token characters given once
 * (S3 stores them lower-cased), values without control characters, at
 * most S3_METADATA_BYTES in all. Returns 0, or -1 with e (MSG_EX_USAGE). */
int s3_metadata_check(const char *const *kv, size_t n, struct err *e);

/* The S3 percent-encoding of a key (RFC 3986 unreserved kept, '/' kept):
 * appended to out. */
int s3_key_encode(struct buf *out, const char *key);

/* The effective part size for `size` bytes: cfg part size, raised (to a
 * whole MiB) when the file would need more than 10,000 parts. */
uint64_t s3_part_size(const struct s3_client *c, uint64_t size);

#endif
