/* SPDX-License-Identifier: MIT */
/* s3: PutObject, multipart upload, HeadObject and the dry-run description
 * on top of lib/aws (see s3.h). */
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "b64.h"
#include "s3.h"
#include "sigv4.h"
#include "util.h"
#include "xml.h"

/* Object headers: six named ones, Content-Type added for multipart, and
 * the metadata. lib/aws adds Host, x-amz-date, x-amz-content-sha256,
 * Content-MD5 and x-amz-security-token. */
#define OBJH (7 + S3_MAX_METADATA)
_Static_assert(OBJH <= AWS_MAX_HEADERS, "object headers fit a request");
#define TARGET_MAX (16 * 1024)	/* host, encoded path, s3://b/k */

struct s3_client {
	struct s3_config cfg;
	struct aws_client *aws;
	struct creds_provider *cp;
};

int
s3_key_encode(struct buf *out, const char *key)
{
	return sigv4_uri_encode(out, key, strlen(key), 1);
}

/* What to check after an S3 error code. */
static const char *
hint(const char *code)
{
	static const struct { const char *code, *hint; } t[] = {
		{ "AccessDenied", "check that the credentials' policy allows "
		    "s3:PutObject on the bucket (and kms:GenerateDataKey with "
		    "--sse aws:kms), and the bucket policy (e.g. --acl "
		    "bucket-owner-full-control)" },
		{ "InvalidAccessKeyId", "check AWS_ACCESS_KEY_ID or the "
		    "profile, and --endpoint-url" },
		{ "SignatureDoesNotMatch", "check AWS_SECRET_ACCESS_KEY or "
		    "the profile's secret" },
		{ "NoSuchBucket", "check the bucket name, --endpoint-url and "
		    "--region" },
		{ "PermanentRedirect", "the bucket is in another region: set "
		    "--region" },
		{ "AuthorizationHeaderMalformed", "the bucket is in another "
		    "region: set --region" },
		{ "RequestTimeTooSkewed", "the system clock is off: sync it "
		    "(NTP)" },
		{ "BadDigest", "the file changed while it was being uploaded, "
		    "or the data was damaged on the way" },
		{ "XAmzContentSHA256Mismatch", "the file changed while it was "
		    "being uploaded, or the data was damaged on the way" },
		{ "ExpiredToken", "the session credentials expired and could "
		    "not be refreshed" },
		{ "InvalidStorageClass", "check --storage-class" },
		{ "EntityTooLarge", "lower --multipart-threshold" },
	};
	size_t i;

	for (i = 0; i < sizeof t / sizeof t[0]; i++)
		if (strcmp(code, t[i].code) == 0)
			return t[i].hint;
	return NULL;
}

/* ---- client ---- */

struct s3_client *
s3_new(const struct s3_config *cfg, struct creds_provider *cp,
    struct err *e)
{
	struct s3_client *c = xcalloc(1, sizeof *c);
	struct aws_config ac;

	c->cfg = *cfg;
	c->cp = cp;
	if (c->cfg.jobs == 0)
		c->cfg.jobs = 1;
	memset(&ac, 0, sizeof ac);
	ac.endpoint = cfg->endpoint;
	ac.region = cfg->region;
	ac.svc = &aws_s3;
	ac.ca_bundle = cfg->ca_bundle;
	ac.conns = c->cfg.jobs;
	ac.data_max = (cfg->part_size > cfg->multipart_threshold ?
	    cfg->part_size : cfg->multipart_threshold) + 1;
	ac.max_attempts = cfg->max_attempts;
	ac.retry_time_ms = cfg->retry_time_ms;
	ac.attempt_timeout_ms = cfg->attempt_timeout_ms;
	ac.hint = hint;
	c->aws = aws_new(&ac, cp, e);
	if (c->aws == NULL) {
		free(c);
		return NULL;
	}
	return c;
}

void
s3_free(struct s3_client *c)
{
	if (c == NULL)
		return;
	aws_free(c->aws);
	free(c);
}

void
s3_stop(struct s3_client *c)
{
	aws_stop(c->aws);
}

uint64_t
s3_part_size(const struct s3_client *c, uint64_t size)
{
	uint64_t ps = c->cfg.part_size;

	if (ps < S3_MIN_PART)
		ps = S3_MIN_PART;
	if ((size + ps - 1) / ps > S3_MAX_PARTS) {
		ps = (size + S3_MAX_PARTS - 1) / S3_MAX_PARTS;
		ps = (ps + (1u << 20) - 1) & ~(uint64_t)((1u << 20) - 1);
	}
	return ps;
}

/* Virtual-hosted addressing needs a DNS-safe bucket name without dots
 * (TLS wildcard certificates) and a named endpoint host. */
static int
use_vhost(const struct s3_client *c, const char *bucket)
{
	const char *p;

	if (c->cfg.path_style || aws_host_is_ip(c->aws))
		return 0;
	for (p = bucket; *p != '\0'; p++)
		if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p)
		    || *p == '-'))
			return 0;
	return p - bucket >= 3 && p - bucket <= 63;
}

/* ---- requests ---- */

/* NUL-terminate b without counting it; -1 when the cap leaves no room. */
static int
zterm(struct buf *b)
{
	if (buf_addc(b, '\0') < 0)
		return -1;
	b->len--;
	return 0;
}

/* An aws_request for an object, with the storage its host and path use. */
struct s3_req {
	struct aws_request rq;
	struct buf host, path, what;
};

static void
req_free(struct s3_req *q)
{
	buf_free(&q->host);
	buf_free(&q->path);
	buf_free(&q->what);
}

/* Fill q for bucket/key; the caller sets body, digests and headers. */
static int
req_init(const struct s3_client *c, struct s3_req *q, const char *op,
    const char *method, const char *bucket, const char *key, struct err *e)
{
	int rc;

	memset(q, 0, sizeof *q);
	buf_init(&q->host, TARGET_MAX);
	buf_init(&q->path, TARGET_MAX);
	buf_init(&q->what, TARGET_MAX);
	rc = buf_printf(&q->what, "s3://%s/%s", bucket, key);
	if (use_vhost(c, bucket)) {
		rc |= buf_printf(&q->host, "%s.%s", bucket, aws_host(c->aws));
		rc |= buf_addc(&q->path, '/');
	} else {
		rc |= buf_addstr(&q->host, aws_host(c->aws));
		rc |= buf_addc(&q->path, '/');
		rc |= s3_key_encode(&q->path, bucket);
		rc |= buf_addc(&q->path, '/');
	}
	rc |= s3_key_encode(&q->path, key);
	if (rc < 0 || zterm(&q->what) < 0 || zterm(&q->host) < 0 ||
	    zterm(&q->path) < 0) {
		req_free(q);
		return msg_seterr(e, MSG_EX_USAGE, "%s s3://%s/%s: the name is "
		    "too long", op, bucket, key);
	}
	q->rq.op = op;
	q->rq.what = q->what.p;
	q->rq.method = method;
	q->rq.host = q->host.p;
	q->rq.path = q->path.p;
	q->rq.sha256 = SIGV4_EMPTY_SHA256;
	return 0;
}

/* ---- object headers ---- */

/* RFC 9110 token characters, which a header name is made of. */
static int
tchar(unsigned char c)
{
	return isalnum(c) || (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) !=
	    NULL);
}

/* The name of "name=value" for a message: at most 80 bytes, anything
 * unprintable as '?'. */
static const char *
shown(const char *kv, char out[84])
{
	size_t i;

	for (i = 0; kv[i] != '\0' && kv[i] != '=' && i < 80; i++)
		out[i] = kv[i] > 0x20 && kv[i] < 0x7f ? kv[i] : '?';
	out[i] = '\0';
	return out;
}

int
s3_metadata_check(const char *const *kv, size_t n, struct err *e)
{
	size_t i, j, total = 0;
	char nm[84];

	if (n > S3_MAX_METADATA)
		return msg_seterr(e, MSG_EX_USAGE, "--metadata: at most %d, not "
		    "%zu", S3_MAX_METADATA, n);
	for (i = 0; i < n; i++) {
		const char *eq = strchr(kv[i], '='), *p;

		if (eq == NULL || eq == kv[i])
			return msg_seterr(e, MSG_EX_USAGE, "--metadata: '%s' is "
			    "not NAME=VALUE", shown(kv[i], nm));
		for (p = kv[i]; p < eq; p++)
			if (!tchar((unsigned char)*p))
				return msg_seterr(e, MSG_EX_USAGE, "--metadata: "
				    "name '%s' holds a character a header name "
				    "cannot", shown(kv[i], nm));
		for (p = eq + 1; *p != '\0'; p++)
			if (((unsigned char)*p < 0x20 && *p != '\t') ||
			    *p == 0x7f)
				return msg_seterr(e, MSG_EX_USAGE, "--metadata: "
				    "the value of '%s' holds a control "
				    "character", shown(kv[i], nm));
		for (j = 0; j < i; j++)
			if (strncasecmp(kv[j], kv[i], (size_t)(eq - kv[i]) + 1)
			    == 0)
				return msg_seterr(e, MSG_EX_USAGE, "--metadata: "
				    "'%s' is given twice", shown(kv[i], nm));
		total += strlen(kv[i]) - 1;
	}
	if (total > S3_METADATA_BYTES)
		return msg_seterr(e, MSG_EX_USAGE, "--metadata: %zu bytes of "
		    "names and values, S3 takes at most %d", total,
		    S3_METADATA_BYTES);
	return 0;
}

/* Fills h (room for OBJH) from o; returns the count, or -1 when there are
 * too many or they do not fit in meta. */
static int
object_headers(const struct s3_object_opts *o, struct sigv4_header *h,
    struct buf *meta)
{
	size_t n = 0, i, off;
	int rc = 0;

	if (o == NULL)
		return 0;
	if (s3_metadata_check(o->metadata, o->nmetadata, NULL) < 0)
		return -1;
	if (o->content_type != NULL)
		h[n++] = (struct sigv4_header){ "Content-Type",
		    o->content_type };
	if (o->content_encoding != NULL)
		h[n++] = (struct sigv4_header){ "Content-Encoding",
		    o->content_encoding };
	if (o->storage_class != NULL)
		h[n++] = (struct sigv4_header){ "x-amz-storage-class",
		    o->storage_class };
	if (o->sse != NULL)
		h[n++] = (struct sigv4_header){ "x-amz-server-side-encryption",
		    o->sse };
	if (o->sse_kms_key_id != NULL)
		h[n++] = (struct sigv4_header){
		    "x-amz-server-side-encryption-aws-kms-key-id",
		    o->sse_kms_key_id };
	if (o->acl != NULL)
		h[n++] = (struct sigv4_header){ "x-amz-acl", o->acl };
	/* Metadata names and values live in `meta`, "x-amz-meta-k\0v\0". */
	meta->len = 0;
	for (i = 0; i < o->nmetadata; i++) {
		const char *kv = o->metadata[i], *eq = strchr(kv, '=');

		if (eq == NULL)
			continue;
		rc |= buf_printf(meta, "x-amz-meta-%.*s", (int)(eq - kv), kv);
		rc |= buf_addc(meta, '\0');
		rc |= buf_addstr(meta, eq + 1);
		rc |= buf_addc(meta, '\0');
	}
	if (rc < 0)
		return -1;
	for (off = 0; off < meta->len;) {
		const char *k = meta->p + off;
		const char *v = k + strlen(k) + 1;

		h[n++] = (struct sigv4_header){ k, v };
		off = (size_t)(v + strlen(v) + 1 - meta->p);
	}
	return (int)n;
}

/* ---- reading and hashing ---- */

static int
read_at(int fd, char *p, size_t n, uint64_t off, const char *what,
    struct err *e)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = pread(fd, p + got, n - got, (off_t)(off + got));

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return msg_seterr(e, MSG_EX_IO, "%s: read: %s", what,
			    strerror(errno));
		if (r == 0)
			return msg_seterr(e, MSG_EX_IO, "%s: file shrank while "
			    "uploading", what);
		got += (size_t)r;
	}
	return 0;
}

/* Hashes of a body: hex SHA-256, base64 MD5, hex MD5 and the raw MD5. */
struct digests {
	char sha[65], md5b64[32], md5hex[33];
	unsigned char md5[16];
};

#define HASH_CHUNK (256u << 10)

struct hasher {
	EVP_MD_CTX *sha, *md5;
};

static void
hasher_init(struct hasher *h)
{
	h->sha = EVP_MD_CTX_new();
	h->md5 = EVP_MD_CTX_new();
	if (h->sha == NULL || h->md5 == NULL)
		abort();	/* out of memory */
	EVP_DigestInit_ex(h->sha, EVP_sha256(), NULL);
	EVP_DigestInit_ex(h->md5, EVP_md5(), NULL);
}

/* Both digests over the same chunk while it is in cache. */
static void
hasher_add(struct hasher *h, const char *p, size_t n)
{
	EVP_DigestUpdate(h->sha, p, n);
	EVP_DigestUpdate(h->md5, p, n);
}

static void
hasher_end(const struct s3_client *c, struct hasher *h, struct digests *d)
{
	unsigned char sha[32], md[16];

	EVP_DigestFinal_ex(h->sha, sha, NULL);
	EVP_DigestFinal_ex(h->md5, d->md5, NULL);
	EVP_MD_CTX_free(h->sha);
	EVP_MD_CTX_free(h->md5);
	sigv4_hex(d->sha, sha, 32);
	sigv4_hex(d->md5hex, d->md5, 16);
	memcpy(md, d->md5, 16);
	if (c->cfg.corrupt == S3_CORRUPT_MD5)
		md[0] ^= 1;
	if (c->cfg.corrupt == S3_CORRUPT_SHA256)
		d->sha[0] = d->sha[0] == '0' ? '1' : '0';
	d->md5b64[b64_encode(md, 16, d->md5b64)] = '\0';
}

static void
digest(const struct s3_client *c, const char *p, size_t n,
    struct digests *d)
{
	struct hasher h;
	size_t off;

	hasher_init(&h);
	for (off = 0; off < n; off += HASH_CHUNK)
		hasher_add(&h, p + off, n - off < HASH_CHUNK ? n - off :
		    HASH_CHUNK);
	hasher_end(c, &h, d);
}

/* Read n bytes at off into p and hash them on the way: one pass over
 * the data instead of three. */
static int
read_digest(const struct s3_client *c, int fd, char *p, size_t n,
    uint64_t off, const char *what, struct digests *d, struct err *e)
{
	struct hasher h;
	size_t done;

	hasher_init(&h);
	for (done = 0; done < n; done += HASH_CHUNK) {
		size_t l = n - done < HASH_CHUNK ? n - done : HASH_CHUNK;

		if (read_at(fd, p + done, l, off + done, what, e) < 0) {
			EVP_MD_CTX_free(h.sha);
			EVP_MD_CTX_free(h.md5);
			return -1;
		}
		hasher_add(&h, p + done, l);
	}
	hasher_end(c, &h, d);
	return 0;
}

/* Read `len` bytes at `off` of fd into k's data buffer, hashed. */
static int
load(const struct s3_client *c, struct aws_conn *k, int fd, size_t len,
    uint64_t off, const char *what, struct digests *d, struct err *e)
{
	struct buf *data = aws_conn_data(k);

	data->len = 0;
	if (buf_grow(data, len + 1) < 0)
		return msg_seterr(e, MSG_EX_IO, "%s: out of memory", what);
	if (read_digest(c, fd, data->p, len, off, what, d, e) < 0)
		return -1;
	data->len = len;
	return 0;
}

static int
kms(const struct s3_object_opts *o)
{
	return o != NULL && o->sse != NULL && strcmp(o->sse, "aws:kms") == 0;
}

/* ---- single PUT ---- */

static int
put_single(struct s3_client *c, const char *bucket, const char *key, int fd,
    uint64_t size, const struct s3_object_opts *o, struct s3_result *r,
    struct err *e)
{
	struct aws_conn *k;
	struct aws_response resp;
	struct sigv4_header h[OBJH];
	struct s3_req q;
	struct buf meta;
	struct digests d;
	int rc, nh;

	if (req_init(c, &q, "PutObject", "PUT", bucket, key, e) < 0)
		return S3_FAIL;
	buf_init(&meta, 64 * 1024);
	if ((nh = object_headers(o, h, &meta)) < 0) {
		rc = msg_seterr(e, MSG_EX_USAGE, "PutObject s3://%s/%s: too "
		    "many or too large headers", bucket, key);
		goto out;
	}
	k = aws_conn_get(c->aws);
	if (load(c, k, fd, (size_t)size, 0, key, &d, e) < 0) {
		aws_conn_put(c->aws, k);
		rc = S3_FAIL;
		goto out;
	}
	q.rq.headers = h;
	q.rq.nheaders = (size_t)nh;
	q.rq.body = aws_conn_data(k)->p;
	q.rq.len = (size_t)size;
	q.rq.sha256 = d.sha;
	q.rq.md5b64 = d.md5b64;
	rc = aws_send(c->aws, k, &q.rq, &resp, e);
	r->retries += resp.retries;
	if (rc == S3_OK) {
		snprintf(r->etag, sizeof r->etag, "%s", resp.etag);
		if (!kms(o) && strcmp(resp.etag, d.md5hex) != 0)
			rc = msg_seterr(e, MSG_EX_REMOTE_PERM, "PutObject s3://"
			    "%s/%s: ETag %s is not the MD5 %s of the data "
			    "sent", bucket, key, resp.etag[0] != '\0' ?
			    resp.etag : "(none)", d.md5hex);
	}
	aws_conn_put(c->aws, k);
out:
	buf_free(&meta);
	req_free(&q);
	return rc;
}

/* ---- multipart ---- */

struct mpu {
	struct s3_client *c;
	const char *bucket, *key;
	int fd;
	uint64_t size, psize;
	unsigned nparts;
	char upload_id[512];
	char *qid;		/* "uploadId=<encoded>" */
	pthread_mutex_t mu;
	unsigned next;
	int rc;
	struct err err;
	unsigned retries;
	unsigned char (*md5)[16];
	char (*etag)[96];
};

/* Upload part n on connection k. */
static int
put_part(struct mpu *m, struct aws_conn *k, unsigned n, unsigned *retries,
    struct err *e)
{
	struct s3_client *c = m->c;
	uint64_t off = (uint64_t)(n - 1) * m->psize;
	size_t len = (size_t)(m->size - off < m->psize ? m->size - off :
	    m->psize);
	struct aws_response resp;
	struct digests d;
	struct s3_req q;
	struct buf qb;
	int rc;

	if (load(c, k, m->fd, len, off, m->key, &d, e) < 0)
		return S3_FAIL;
	if (req_init(c, &q, "UploadPart", "PUT", m->bucket, m->key, e) < 0)
		return S3_FAIL;
	buf_init(&qb, 4096);
	if (buf_printf(&qb, "partNumber=%u&%s", n, m->qid) < 0)
		abort();	/* qid is under 2 KiB (mpu_create): it fits */
	q.rq.query = qb.p;
	q.rq.body = aws_conn_data(k)->p;
	q.rq.len = len;
	q.rq.sha256 = d.sha;
	q.rq.md5b64 = d.md5b64;
	rc = aws_send(c->aws, k, &q.rq, &resp, e);
	buf_free(&qb);
	*retries += resp.retries;
	if (rc == S3_OK && resp.etag[0] != '\0' &&
	    strcmp(resp.etag, d.md5hex) != 0 && strlen(resp.etag) == 32)
		rc = msg_seterr(e, MSG_EX_REMOTE_PERM, "UploadPart s3://%s/%s: "
		    "part %u ETag %s is not the MD5 %s of the data sent",
		    m->bucket, m->key, n, resp.etag, d.md5hex);
	if (rc == S3_OK) {
		memcpy(m->md5[n - 1], d.md5, 16);
		snprintf(m->etag[n - 1], 96, "%s", resp.etag[0] != '\0' ?
		    resp.etag : d.md5hex);
	}
	req_free(&q);
	return rc;
}

static void *
part_worker(void *arg)
{
	struct mpu *m = arg;
	struct s3_client *c = m->c;

	for (;;) {
		struct aws_conn *k;
		struct err e;
		unsigned n, retries = 0;
		int rc;

		pthread_mutex_lock(&m->mu);
		if (m->rc != S3_OK || m->next > m->nparts ||
		    aws_stopping(c->aws)) {
			pthread_mutex_unlock(&m->mu);
			break;
		}
		n = m->next++;
		pthread_mutex_unlock(&m->mu);
		k = aws_conn_get(c->aws);
		rc = put_part(m, k, n, &retries, &e);
		aws_conn_put(c->aws, k);
		pthread_mutex_lock(&m->mu);
		m->retries += retries;
		if (rc != S3_OK && m->rc == S3_OK) {
			m->rc = rc;
			m->err = e;
		}
		pthread_mutex_unlock(&m->mu);
	}
	return NULL;
}

/* A request of the upload (Abort, Complete) on a connection of its own. */
static int
mpu_send(struct mpu *m, struct s3_req *q, struct aws_conn *k,
    struct aws_response *resp, struct err *e)
{
	q->rq.query = m->qid;
	q->rq.flags = AWS_FINISH;
	return aws_send(m->c->aws, k, &q->rq, resp, e);
}

static void
mpu_abort(struct mpu *m)
{
	struct s3_client *c = m->c;
	struct aws_response resp;
	struct aws_conn *k;
	struct s3_req q;
	struct err e;
	int rc;

	if (req_init(c, &q, "AbortMultipartUpload", "DELETE", m->bucket,
	    m->key, &e) < 0)
		return;
	q.rq.max_attempts = 3;
	k = aws_conn_get(c->aws);
	rc = mpu_send(m, &q, k, &resp, &e);
	aws_conn_put(c->aws, k);
	if (rc != S3_OK) {
		/* Append to the error the caller reports. */
		size_t l = strlen(m->err.msg);

		snprintf(m->err.msg + l, sizeof m->err.msg - l, "; and %s "
		    "(upload id %s: a bucket lifecycle rule "
		    "AbortIncompleteMultipartUpload cleans it up)", e.msg,
		    m->upload_id);
	}
	req_free(&q);
}

/* CreateMultipartUpload: it carries the object's headers; the upload id
 * comes back. */
static int
mpu_create(struct mpu *m, const struct s3_object_opts *o,
    struct s3_result *r, struct err *e)
{
	struct s3_client *c = m->c;
	struct sigv4_header h[OBJH];
	struct aws_response resp;
	struct aws_conn *k;
	struct buf meta, qid;
	struct s3_req q;
	int rc, nh;

	if (req_init(c, &q, "CreateMultipartUpload", "POST", m->bucket,
	    m->key, e) < 0)
		return S3_FAIL;
	buf_init(&meta, 64 * 1024);
	if ((nh = object_headers(o, h, &meta)) < 0) {
		rc = msg_seterr(e, MSG_EX_USAGE, "CreateMultipartUpload s3://%s/"
		    "%s: too many or too large headers", m->bucket, m->key);
		goto out;
	}
	if (o == NULL || o->content_type == NULL)
		h[nh++] = (struct sigv4_header){ "Content-Type",
		    "application/octet-stream" };
	q.rq.query = "uploads=";
	q.rq.headers = h;
	q.rq.nheaders = (size_t)nh;
	/* Not cut short by a stop: the server may have created the upload
	 * already, and only its id lets us abort it. */
	q.rq.flags = AWS_FINISH;
	q.rq.max_attempts = aws_stopping(c->aws) ? 1 : 0;
	k = aws_conn_get(c->aws);
	rc = aws_send(c->aws, k, &q.rq, &resp, e);
	r->retries += resp.retries;
	if (rc == S3_OK) {
		xml_get(resp.body->p, resp.body->len, "UploadId",
		    m->upload_id, sizeof m->upload_id);
		if (m->upload_id[0] == '\0')
			rc = msg_seterr(e, MSG_EX_REMOTE_PERM, "CreateMultipart"
			    "Upload s3://%s/%s: no UploadId in the response",
			    m->bucket, m->key);
	}
	aws_conn_put(c->aws, k);
	if (rc != S3_OK)
		goto out;
	buf_init(&qid, 2048);
	if (buf_addstr(&qid, "uploadId=") < 0 || sigv4_uri_encode(&qid,
	    m->upload_id, strlen(m->upload_id), 0) < 0 || zterm(&qid) < 0) {
		buf_free(&qid);
		rc = msg_seterr(e, MSG_EX_REMOTE_PERM, "CreateMultipartUpload "
		    "s3://%s/%s: upload id too long", m->bucket, m->key);
		goto out;
	}
	m->qid = qid.p;		/* owned by m now */
out:
	buf_free(&meta);
	req_free(&q);
	return rc;
}

/* Parts in parallel: helpers plus this thread, at most `jobs` requests
 * in flight across the client (the connection pool). */
static int
mpu_parts(struct mpu *m, struct s3_result *r, struct err *e)
{
	struct s3_client *c = m->c;
	pthread_t th[64];
	unsigned nth, i;

	m->md5 = xcalloc(m->nparts, sizeof *m->md5);
	m->etag = xcalloc(m->nparts, sizeof *m->etag);
	m->rc = S3_OK;
	nth = c->cfg.jobs < m->nparts ? c->cfg.jobs : m->nparts;
	if (nth > 64)
		nth = 64;
	for (i = 1; i < nth; i++)
		if (pthread_create(&th[i], NULL, part_worker, m) != 0)
			break;
	nth = i;
	part_worker(m);
	for (i = 1; i < nth; i++)
		pthread_join(th[i], NULL);
	r->retries += m->retries;
	if (m->rc == S3_OK && aws_stopping(c->aws)) {
		msg_seterr(&m->err, MSG_EX_REMOTE_TEMP, "UploadPart s3://%s/%s: "
		    "interrupted", m->bucket, m->key);
		m->rc = S3_FAIL_ALL;
	}
	if (m->rc != S3_OK) {
		mpu_abort(m);
		*e = m->err;
	}
	return m->rc;
}

/* The ETag a multipart object must have: MD5 of the parts' MD5s, "-N". */
static void
mpu_etag(const struct mpu *m, char *out, size_t n)
{
	unsigned char all[16];
	char hex[33];
	EVP_MD_CTX *mc = EVP_MD_CTX_new();
	unsigned i;

	if (mc == NULL)
		abort();	/* out of memory */
	EVP_DigestInit_ex(mc, EVP_md5(), NULL);
	for (i = 0; i < m->nparts; i++)
		EVP_DigestUpdate(mc, m->md5[i], 16);
	EVP_DigestFinal_ex(mc, all, NULL);
	EVP_MD_CTX_free(mc);
	sigv4_hex(hex, all, 16);
	snprintf(out, n, "%s-%u", hex, m->nparts);
}

/* The ETag of the completed object, from Complete's answer or, when that
 * is empty (radosgw 16 answers <ETag></ETag>), from HeadObject. */
static int
mpu_got_etag(struct mpu *m, struct aws_conn *k,
    const struct aws_response *cr, char *got, size_t n, struct s3_result *r,
    struct err *e)
{
	struct aws_response resp;
	struct s3_req q;
	char raw[96];
	int rc;

	xml_get(cr->body->p, cr->body->len, "ETag", raw, sizeof raw);
	aws_unquote(got, n, raw[0] != '\0' ? raw : cr->etag);
	if (got[0] != '\0')
		return S3_OK;
	if (req_init(m->c, &q, "HeadObject", "HEAD", m->bucket, m->key, e) < 0)
		return S3_FAIL;
	q.rq.flags = AWS_FINISH;
	rc = aws_send(m->c->aws, k, &q.rq, &resp, e);
	r->retries += resp.retries;
	snprintf(got, n, "%s", resp.etag);
	req_free(&q);
	return rc;
}

/* CompleteMultipartUpload, then check the multipart ETag. */
static int
mpu_complete(struct mpu *m, const struct s3_object_opts *o,
    struct s3_result *r, struct err *e)
{
	struct s3_client *c = m->c;
	struct sigv4_header h[1] = { { "Content-Type", "application/xml" } };
	struct aws_response resp;
	struct aws_conn *k;
	struct digests d;
	struct s3_req q;
	struct buf xml;
	char got[96];
	unsigned i;
	int rc;

	/* 10,000 parts of about 110 bytes each */
	buf_init(&xml, 2 << 20);
	rc = buf_addstr(&xml, "<CompleteMultipartUpload>");
	for (i = 0; i < m->nparts; i++)
		rc |= buf_printf(&xml, "<Part><PartNumber>%u</PartNumber><ETag>"
		    "\"%s\"</ETag></Part>", i + 1, m->etag[i]);
	rc |= buf_addstr(&xml, "</CompleteMultipartUpload>");
	if (rc < 0 || req_init(c, &q, "CompleteMultipartUpload", "POST",
	    m->bucket, m->key, e) < 0) {
		if (rc < 0)
			msg_seterr(e, MSG_EX_IO, "CompleteMultipartUpload "
			    "s3://%s/%s: request too large", m->bucket, m->key);
		m->err = *e;
		mpu_abort(m);
		*e = m->err;
		buf_free(&xml);
		return S3_FAIL;
	}
	mpu_etag(m, r->etag, sizeof r->etag);
	digest(c, xml.p, xml.len, &d);
	q.rq.headers = h;
	q.rq.nheaders = 1;
	q.rq.body = xml.p;
	q.rq.len = xml.len;
	q.rq.sha256 = d.sha;
	q.rq.md5b64 = d.md5b64;
	k = aws_conn_get(c->aws);
	/* Every part is there: finish it even when stopping. */
	rc = mpu_send(m, &q, k, &resp, e);
	r->retries += resp.retries;
	if (rc != S3_OK) {
		aws_conn_put(c->aws, k);
		m->err = *e;
		mpu_abort(m);
		*e = m->err;
		goto out;
	}
	rc = mpu_got_etag(m, k, &resp, got, sizeof got, r, e);
	aws_conn_put(c->aws, k);
	if (rc == S3_OK && !kms(o) && strcmp(got, r->etag) != 0)
		rc = msg_seterr(e, MSG_EX_REMOTE_PERM, "CompleteMultipartUpload "
		    "s3://%s/%s: ETag %s is not the MD5 of the parts' MD5s %s",
		    m->bucket, m->key, got[0] != '\0' ? got : "(none)",
		    r->etag);
	else if (rc == S3_OK)
		snprintf(r->etag, sizeof r->etag, "%s", got);
out:
	req_free(&q);
	buf_free(&xml);
	return rc;
}

static int
put_multipart(struct s3_client *c, const char *bucket, const char *key,
    int fd, uint64_t size, const struct s3_object_opts *o,
    struct s3_result *r, struct err *e)
{
	struct mpu m;
	int rc;

	memset(&m, 0, sizeof m);
	m.c = c;
	m.bucket = bucket;
	m.key = key;
	m.fd = fd;
	m.size = size;
	m.psize = s3_part_size(c, size);
	m.nparts = (unsigned)((size + m.psize - 1) / m.psize);
	m.next = 1;
	pthread_mutex_init(&m.mu, NULL);
	rc = mpu_create(&m, o, r, e);
	if (rc == S3_OK)
		rc = mpu_parts(&m, r, e);
	if (rc == S3_OK)
		rc = mpu_complete(&m, o, r, e);
	if (rc == S3_OK)
		r->parts = m.nparts;
	free(m.qid);
	free(m.md5);
	free(m.etag);
	pthread_mutex_destroy(&m.mu);
	return rc;
}

int
s3_put_file(struct s3_client *c, const char *bucket, const char *key,
    int fd, uint64_t size, const struct s3_object_opts *o,
    struct s3_result *r, struct err *e)
{
	memset(r, 0, sizeof *r);
	r->size = size;
	if (size > c->cfg.multipart_threshold)
		return put_multipart(c, bucket, key, fd, size, o, r, e);
	if (size > S3_MAX_PART)
		return msg_seterr(e, MSG_EX_USAGE, "s3://%s/%s: %llu bytes is "
		    "over the 5 GiB PutObject limit: lower "
		    "--multipart-threshold", bucket, key,
		    (unsigned long long)size);
	return put_single(c, bucket, key, fd, size, o, r, e);
}

/* ---- dry run ---- */

int
s3_describe_put(struct s3_client *c, const char *bucket, const char *key,
    int fd, uint64_t size, const struct s3_object_opts *o, struct buf *out,
    struct err *e)
{
	struct sigv4_header h[OBJH];
	struct aws_signed s;
	struct buf meta, data;
	struct digests d;
	struct s3_req q;
	struct creds cr, dry;
	int multi = size > c->cfg.multipart_threshold, rc, nh;

	if (req_init(c, &q, multi ? "CreateMultipartUpload" : "PutObject",
	    multi ? "POST" : "PUT", bucket, key, e) < 0)
		return -1;
	buf_init(&meta, 64 * 1024);
	buf_init(&data, (size_t)c->cfg.multipart_threshold + 1);
	aws_signed_init(&s);
	memset(&dry, 0, sizeof dry);
	/* The string to sign is the real one (token included); the printed
	 * canonical request shows the token's place, not its value. */
	if (c->cp != NULL && creds_get(c->cp, &cr, e) == 0 &&
	    cr.session_token != NULL && *cr.session_token != '\0')
		dry.session_token = cr.session_token;
	if ((nh = object_headers(o, h, &meta)) < 0) {
		rc = msg_seterr(e, MSG_EX_USAGE, "s3://%s/%s: too many or too "
		    "large headers", bucket, key);
		goto out;
	}
	if (multi) {
		q.rq.query = "uploads=";
		if (o == NULL || o->content_type == NULL)
			h[nh++] = (struct sigv4_header){ "Content-Type",
			    "application/octet-stream" };
	} else {
		if (buf_grow(&data, (size_t)size + 1) < 0 ||
		    read_at(fd, data.p, (size_t)size, 0, key, e) < 0) {
			rc = -1;
			goto out;
		}
		data.len = (size_t)size;
		digest(c, data.p, data.len, &d);
		q.rq.sha256 = d.sha;
		q.rq.md5b64 = d.md5b64;
	}
	q.rq.headers = h;
	q.rq.nheaders = (size_t)nh;
	if ((rc = aws_sign(c->aws, &q.rq, time(NULL), &dry, &s, e)) < 0)
		goto out;
	rc = buf_printf(out, "%s %s\n", q.rq.method, s.url.p);
	if (multi) {
		uint64_t ps = s3_part_size(c, size);

		rc |= buf_printf(out, "  multipart: %llu parts of %llu bytes, "
		    "%u at a time, then CompleteMultipartUpload\n",
		    (unsigned long long)((size + ps - 1) / ps),
		    (unsigned long long)ps, c->cfg.jobs);
	}
	rc |= aws_describe(&s, out);
	if (rc < 0)
		rc = msg_seterr(e, MSG_EX_IO, "s3://%s/%s: dry run description "
		    "too large", bucket, key);
out:
	aws_signed_free(&s);
	buf_free(&data);
	buf_free(&meta);
	req_free(&q);
	return rc;
}
