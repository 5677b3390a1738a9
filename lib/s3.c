/* SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "b64.h"
#include "s3.h"
#include "sigv4.h"
#include "util.h"

#define BODY_MAX (1u << 20)	/* cap on a response body we keep */
/* Object headers: six named ones, Content-Type added for multipart, and
 * the metadata; a request adds Host, x-amz-date, x-amz-content-sha256,
 * Content-MD5 and x-amz-security-token. */
#define OBJH (7 + S3_MAX_METADATA)
#define MAXH (5 + OBJH)
#define SR_MAX (256 * 1024)	/* each part of a signed request */

struct conn {
	CURL *h;
	struct buf data;	/* request body (file bytes, XML) */
	struct buf body;	/* response body */
	char etag[96];
	char errbuf[CURL_ERROR_SIZE];
	const char *rdata;	/* upload cursor */
	size_t rlen, rpos;
	uint64_t rng;
	struct conn *next;
};

struct s3_client {
	struct s3_config cfg;
	struct creds_provider *cp;
	pthread_mutex_t credmu;
	char *scheme, *hostport;
	int ip_host;		/* endpoint host is an address or localhost */
	pthread_mutex_t poolmu;
	pthread_cond_t poolcv;
	struct conn *idle;	/* all of them when no request runs */
	unsigned nconns;
	volatile sig_atomic_t stop;
};

/* One request. Object headers (content-type, x-amz-*) come in `extra`. */
struct req {
	const char *op;		/* "PutObject", for messages */
	const char *method;
	const char *bucket, *key;
	const char *query;	/* canonical query or NULL */
	const struct sigv4_header *extra;
	size_t nextra;
	const char *body;
	size_t len;
	const char *sha256;	/* hex of body */
	const char *md5b64;	/* NULL: no Content-MD5 */
	int ignore_stop;	/* AbortMultipartUpload runs even when stopping */
	unsigned max_attempts;	/* 0: the client's */
};

#define C_OK S3_CLASS_OK
#define C_RETRY S3_CLASS_RETRY
#define C_REFRESH S3_CLASS_REFRESH
#define C_PERM S3_CLASS_PERM
#define C_FATAL S3_CLASS_FATAL

/* ---- small helpers ---- */

static const char *
find(const char *hay, size_t n, const char *needle)
{
	size_t l = strlen(needle), i;

	if (hay == NULL || n < l)
		return NULL;
	for (i = 0; i + l <= n; i++)
		if (hay[i] == needle[0] && memcmp(hay + i, needle, l) == 0)
			return hay + i;
	return NULL;
}

static char *
cstr(struct buf *b)
{
	if (buf_addc(b, '\0') < 0)
		return NULL;
	b->len--;
	return b->p;
}

static uint64_t
rnd(struct conn *k)
{
	/* xorshift64*: jitter only, not security. */
	k->rng ^= k->rng >> 12;
	k->rng ^= k->rng << 25;
	k->rng ^= k->rng >> 27;
	return k->rng * 2685821657736338717ULL;
}

int
s3_key_encode(struct buf *out, const char *key)
{
	return sigv4_uri_encode(out, key, strlen(key), 1);
}

/* Text of <tag>...</tag> in an XML body, entities decoded; "" if absent. */
static void
xml_get(const char *xml, size_t n, const char *tag, char *out, size_t on)
{
	char open[64], close[64];
	const char *s, *e, *end;
	size_t k = 0;

	out[0] = '\0';
	if (xml == NULL)
		return;
	end = xml + n;
	snprintf(open, sizeof open, "<%s>", tag);
	snprintf(close, sizeof close, "</%s>", tag);
	s = find(xml, n, open);
	if (s == NULL)
		return;
	s += strlen(open);
	e = find(s, (size_t)(end - s), close);
	if (e == NULL)
		return;
	while (s < e && k + 1 < on) {
		static const struct { const char *ent; char c; } ents[] = {
			{ "&quot;", '"' }, { "&amp;", '&' }, { "&lt;", '<' },
			{ "&gt;", '>' }, { "&apos;", '\'' }, { "&#34;", '"' },
		};
		size_t i;

		for (i = 0; i < sizeof ents / sizeof ents[0]; i++) {
			size_t l = strlen(ents[i].ent);

			if ((size_t)(e - s) >= l && memcmp(s, ents[i].ent,
			    l) == 0) {
				out[k++] = ents[i].c;
				s += l;
				break;
			}
		}
		if (i == sizeof ents / sizeof ents[0])
			out[k++] = *s++;
	}
	out[k] = '\0';
}

static void
unquote(char *dst, size_t n, const char *s)
{
	size_t l;

	while (*s == '"' || *s == ' ')
		s++;
	snprintf(dst, n, "%s", s);
	l = strlen(dst);
	while (l > 0 && (dst[l - 1] == '"' || dst[l - 1] == ' ' ||
	    dst[l - 1] == '\r' || dst[l - 1] == '\n'))
		dst[--l] = '\0';
}

/* ---- connections ---- */

static size_t
on_write(char *p, size_t sz, size_t nm, void *ud)
{
	struct conn *k = ud;
	size_t n = sz * nm;

	if (k->body.len + n <= BODY_MAX && buf_add(&k->body, p, n) < 0)
		return 0;	/* curl fails the transfer */
	return n;
}

static size_t
on_header(char *p, size_t sz, size_t nm, void *ud)
{
	struct conn *k = ud;
	size_t n = sz * nm;

	if (n > 5 && strncasecmp(p, "etag:", 5) == 0) {
		char tmp[128];
		size_t l = n - 5 < sizeof tmp - 1 ? n - 5 : sizeof tmp - 1;

		memcpy(tmp, p + 5, l);
		tmp[l] = '\0';
		unquote(k->etag, sizeof k->etag, tmp);
	}
	return n;
}

static size_t
on_read(char *p, size_t sz, size_t nm, void *ud)
{
	struct conn *k = ud;
	size_t n = sz * nm;

	if (n > k->rlen - k->rpos)
		n = k->rlen - k->rpos;
	memcpy(p, k->rdata + k->rpos, n);
	k->rpos += n;
	return n;
}

static int
on_seek(void *ud, curl_off_t off, int origin)
{
	struct conn *k = ud;

	if (origin != SEEK_SET || off < 0 || (size_t)off > k->rlen)
		return CURL_SEEKFUNC_CANTSEEK;
	k->rpos = (size_t)off;
	return CURL_SEEKFUNC_OK;
}

struct xfer {
	struct s3_client *c;
	int ignore_stop;
};

static int
on_progress(void *ud, curl_off_t a, curl_off_t b, curl_off_t c_,
    curl_off_t d)
{
	struct xfer *x = ud;

	(void)a, (void)b, (void)c_, (void)d;
	return x->c->stop && !x->ignore_stop;
}

static struct conn *
conn_get(struct s3_client *c)
{
	struct conn *k;

	pthread_mutex_lock(&c->poolmu);
	while (c->idle == NULL)
		pthread_cond_wait(&c->poolcv, &c->poolmu);
	k = c->idle;
	c->idle = k->next;
	pthread_mutex_unlock(&c->poolmu);
	return k;
}

static void
conn_put(struct s3_client *c, struct conn *k)
{
	pthread_mutex_lock(&c->poolmu);
	k->next = c->idle;
	c->idle = k;
	pthread_cond_signal(&c->poolcv);
	pthread_mutex_unlock(&c->poolmu);
}

/* ---- client ---- */

static int
parse_endpoint(struct s3_client *c, const char *url, struct err *e)
{
	const char *p = strstr(url, "://"), *h, *slash;
	size_t hl;
	char host[256];

	if (p == NULL || (strncmp(url, "http://", 7) != 0 &&
	    strncmp(url, "https://", 8) != 0))
		return msg_seterr(e, MSG_EX_USAGE, "endpoint %s: not an http:// or "
		    "https:// URL", url);
	c->scheme = xmalloc((size_t)(p - url) + 1);
	memcpy(c->scheme, url, (size_t)(p - url));
	c->scheme[p - url] = '\0';
	h = p + 3;
	slash = strchr(h, '/');
	hl = slash != NULL ? (size_t)(slash - h) : strlen(h);
	if (hl == 0 || hl >= sizeof host || memchr(h, '@', hl) != NULL)
		return msg_seterr(e, MSG_EX_USAGE, "endpoint %s: bad host", url);
	if (slash != NULL && slash[1] != '\0')
		return msg_seterr(e, MSG_EX_USAGE, "endpoint %s: a path after the "
		    "host is not supported", url);
	c->hostport = xmalloc(hl + 1);
	memcpy(c->hostport, h, hl);
	c->hostport[hl] = '\0';
	memcpy(host, h, hl);
	host[hl] = '\0';
	if (host[0] == '[') {
		c->ip_host = 1;
	} else {
		char *colon = strchr(host, ':');
		size_t i;

		if (colon != NULL)
			*colon = '\0';
		c->ip_host = strcmp(host, "localhost") == 0;
		for (i = 0; host[i] != '\0'; i++)
			if (!isdigit((unsigned char)host[i]) && host[i] != '.')
				break;
		if (host[i] == '\0')
			c->ip_host = 1;
	}
	return 0;
}

struct s3_client *
s3_new(const struct s3_config *cfg, struct creds_provider *cp,
    struct err *e)
{
	struct s3_client *c;
	char def[256];
	unsigned i;
	uint64_t seed;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		msg_seterr(e, MSG_EX_IO, "curl_global_init failed");
		return NULL;
	}
	c = xcalloc(1, sizeof *c);
	c->cfg = *cfg;
	c->cp = cp;
	if (c->cfg.jobs == 0)
		c->cfg.jobs = 1;
	if (c->cfg.max_attempts == 0)
		c->cfg.max_attempts = 1;
	if (c->cfg.endpoint == NULL) {
		snprintf(def, sizeof def, "https://s3.%s.amazonaws.com",
		    cfg->region);
		if (parse_endpoint(c, def, e) < 0)
			goto fail;
	} else if (parse_endpoint(c, c->cfg.endpoint, e) < 0) {
		goto fail;
	}
	pthread_mutex_init(&c->credmu, NULL);
	pthread_mutex_init(&c->poolmu, NULL);
	pthread_cond_init(&c->poolcv, NULL);
	seed = util_wall_ms() ^ ((uint64_t)getpid() << 32);
	for (i = 0; i < c->cfg.jobs; i++) {
		struct conn *k = xcalloc(1, sizeof *k);

		k->h = curl_easy_init();
		if (k->h == NULL) {
			free(k);
			msg_seterr(e, MSG_EX_IO, "curl_easy_init failed");
			s3_free(c);
			return NULL;
		}
		buf_init(&k->data, (cfg->part_size > cfg->multipart_threshold ?
		    cfg->part_size : cfg->multipart_threshold) + 1);
		buf_init(&k->body, BODY_MAX);
		k->rng = (seed += 0x9e3779b97f4a7c15ULL) | 1;
		k->next = c->idle;
		c->idle = k;
		c->nconns++;
	}
	return c;
fail:
	free(c->scheme);
	free(c->hostport);
	free(c);
	return NULL;
}

void
s3_free(struct s3_client *c)
{
	struct conn *k, *n;

	if (c == NULL)
		return;
	/* All connections are idle once every s3_put_file returned. */
	for (k = c->idle; k != NULL; k = n) {
		n = k->next;
		curl_easy_cleanup(k->h);
		buf_free(&k->data);
		buf_free(&k->body);
		free(k);
	}
	pthread_mutex_destroy(&c->credmu);
	pthread_mutex_destroy(&c->poolmu);
	pthread_cond_destroy(&c->poolcv);
	free(c->scheme);
	free(c->hostport);
	free(c);
	curl_global_cleanup();
}

void
s3_stop(struct s3_client *c)
{
	c->stop = 1;
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

	if (c->cfg.path_style || c->ip_host)
		return 0;
	for (p = bucket; *p != '\0'; p++)
		if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p)
		    || *p == '-'))
			return 0;
	return p - bucket >= 3 && p - bucket <= 63;
}

/* ---- signing ---- */

struct signed_req {
	struct buf host, path, url, creq, names, sts, auth;
	char amz[17];
	struct sigv4_header h[MAXH];
	size_t nh;
};

static void
sr_init(struct signed_req *s)
{
	/* A key is at most 1 KiB (3 KiB encoded), headers a few KiB. */
	buf_init(&s->host, SR_MAX);
	buf_init(&s->path, SR_MAX);
	buf_init(&s->url, SR_MAX);
	buf_init(&s->creq, SR_MAX);
	buf_init(&s->names, SR_MAX);
	buf_init(&s->sts, SR_MAX);
	buf_init(&s->auth, SR_MAX);
	s->nh = 0;
}

static void
sr_free(struct signed_req *s)
{
	buf_free(&s->host);
	buf_free(&s->path);
	buf_free(&s->url);
	buf_free(&s->creq);
	buf_free(&s->names);
	buf_free(&s->sts);
	buf_free(&s->auth);
}

/* Build host, path, URL, headers, canonical request and string to sign;
 * with a secret, the Authorization header too. `token` is the value put
 * in the canonical request (a placeholder in dry runs). */
static int
sign(struct s3_client *c, const struct req *rq, time_t now,
    const char *access_key, const char *secret, const char *token,
    struct signed_req *s)
{
	const char *region = c->cfg.region;
	unsigned char key[32];
	char sig[65];
	size_t i;
	int rc;

	s->host.len = s->path.len = s->url.len = s->creq.len = 0;
	s->names.len = s->sts.len = s->auth.len = 0;
	s->nh = 0;
	if (use_vhost(c, rq->bucket)) {
		rc = buf_printf(&s->host, "%s.%s", rq->bucket, c->hostport);
		rc |= buf_addc(&s->path, '/');
	} else {
		rc = buf_addstr(&s->host, c->hostport);
		rc |= buf_addc(&s->path, '/');
		rc |= s3_key_encode(&s->path, rq->bucket);
		rc |= buf_addc(&s->path, '/');
	}
	rc |= s3_key_encode(&s->path, rq->key);
	if (rc < 0 || cstr(&s->host) == NULL || cstr(&s->path) == NULL ||
	    buf_printf(&s->url, "%s://%s%s%s%s", c->scheme, s->host.p,
	    s->path.p, rq->query != NULL ? "?" : "",
	    rq->query != NULL ? rq->query : "") < 0)
		return -1;
	sigv4_amz_date(now, s->amz);
	s->h[s->nh++] = (struct sigv4_header){ "Host", cstr(&s->host) };
	s->h[s->nh++] = (struct sigv4_header){ "x-amz-date", s->amz };
	s->h[s->nh++] = (struct sigv4_header){ "x-amz-content-sha256",
	    rq->sha256 };
	if (rq->md5b64 != NULL)
		s->h[s->nh++] = (struct sigv4_header){ "Content-MD5",
		    rq->md5b64 };
	if (token != NULL)
		s->h[s->nh++] = (struct sigv4_header){ "x-amz-security-token",
		    token };
	if (rq->nextra > MAXH - s->nh)
		return -1;
	for (i = 0; i < rq->nextra; i++)
		s->h[s->nh++] = rq->extra[i];
	{
		struct sigv4_request r = { rq->method, cstr(&s->path),
		    rq->query, s->h, s->nh, rq->sha256 };

		if (sigv4_canonical_request(&s->creq, &s->names, &r) < 0)
			return -1;
	}
	if (cstr(&s->names) == NULL || sigv4_string_to_sign(&s->sts, s->amz,
	    region, "s3", s->creq.p, s->creq.len) < 0 ||
	    cstr(&s->creq) == NULL || cstr(&s->sts) == NULL)
		return -1;
	if (secret != NULL) {
		sigv4_signing_key(key, secret, s->amz, region, "s3");
		sigv4_signature(sig, key, s->sts.p, s->sts.len);
		OPENSSL_cleanse(key, sizeof key);
		if (sigv4_authorization(&s->auth, access_key, s->amz, region,
		    "s3", s->names.p, sig) < 0 || cstr(&s->auth) == NULL)
			return -1;
	}
	return 0;
}

/* ---- one request, with retries ---- */

static int
is_code(const char *code, const char *const *list)
{
	for (; *list != NULL; list++)
		if (strcmp(code, *list) == 0)
			return 1;
	return 0;
}

static const char *const retry_codes[] = {
	"RequestTimeout", "SlowDown", "InternalError", "ServiceUnavailable",
	"Throttling", "ThrottlingException", "RequestThrottled",
	"OperationAborted", NULL
};
static const char *const refresh_codes[] = {
	"ExpiredToken", "TokenRefreshRequired", "ExpiredTokenException",
	NULL
};
/* Errors every further request would hit too: stop the run. */
static const char *const fatal_codes[] = {
	"AccessDenied", "AllAccessDisabled", "InvalidAccessKeyId",
	"SignatureDoesNotMatch", "NoSuchBucket", "InvalidBucketName",
	"InvalidToken", "AccountProblem", "RequestTimeTooSkewed",
	"PermanentRedirect", "AuthorizationHeaderMalformed",
	"InvalidSecurity", "NotSignedUp", "ExpiredToken",
	"TokenRefreshRequired", "KMS.NotFoundException",
	"KMS.DisabledException", "InvalidStorageClass", NULL
};

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

static int
classify_curl(CURLcode cc)
{
	switch (cc) {
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
		return C_RETRY;
	default:
		return C_FATAL;	/* TLS verification, bad URL, ... */
	}
}

uint64_t
s3_backoff_ms(unsigned attempt, uint64_t r)
{
	unsigned sh = attempt < 16 ? attempt : 16;
	uint64_t cap = (uint64_t)S3_BACKOFF_MIN_MS << sh, d;

	if (cap > S3_BACKOFF_CAP_MS)
		cap = S3_BACKOFF_CAP_MS;
	d = r % (cap + 1);	/* full jitter */
	return d < S3_BACKOFF_MIN_MS ? S3_BACKOFF_MIN_MS : d;
}

int
s3_classify(long status, const char *code)
{
	if (status >= 200 && status < 300 && *code == '\0')
		return C_OK;
	if (is_code(code, refresh_codes))
		return C_REFRESH;
	if (is_code(code, retry_codes) || status >= 500 || status == 429)
		return C_RETRY;
	if (is_code(code, fatal_codes) || status == 401 || status == 403 ||
	    status == 301)
		return C_FATAL;
	return C_PERM;
}

static void
stop_sleep(struct s3_client *c, uint64_t ms, int ignore_stop)
{
	uint64_t end = util_now_ms() + ms;

	while (ignore_stop || !c->stop) {
		uint64_t now = util_now_ms();
		struct timespec ts;

		if (now >= end)
			break;
		ts.tv_sec = 0;
		ts.tv_nsec = (long)((end - now > 100 ? 100 : end - now) *
		    1000000);
		nanosleep(&ts, NULL);
	}
}

/* Run one request on conn k, retrying as the policy says. On success the
 * response body and ETag are in k. Returns S3_OK, S3_FAIL, S3_FAIL_ALL. */
static int
request(struct s3_client *c, struct conn *k, const struct req *rq,
    unsigned *retries, struct err *e)
{
	struct signed_req s;
	uint64_t t0 = util_now_ms();
	unsigned attempt, max = rq->max_attempts != 0 ? rq->max_attempts :
	    c->cfg.max_attempts;
	int refreshed = 0, rc = S3_FAIL;
	struct xfer x = { c, rq->ignore_stop };

	sr_init(&s);
	for (attempt = 1;; attempt++) {
		struct creds cr;
		struct curl_slist *hl = NULL;
		struct buf line;
		CURLcode cc;
		long status = 0;
		char code[128], message[512];
		int cls;
		size_t i;

		if (c->stop && !rq->ignore_stop) {
			rc = msg_seterr(e, MSG_EX_REMOTE_TEMP, "%s s3://%s/%s: "
			    "interrupted", rq->op, rq->bucket, rq->key);
			rc = S3_FAIL_ALL;
			break;
		}
		pthread_mutex_lock(&c->credmu);
		if (creds_get(c->cp, &cr, e) < 0) {
			pthread_mutex_unlock(&c->credmu);
			rc = S3_FAIL_ALL;
			break;
		}
		if (sign(c, rq, time(NULL), cr.access_key, cr.secret_key,
		    cr.session_token, &s) < 0) {
			pthread_mutex_unlock(&c->credmu);
			msg_seterr(e, MSG_EX_USAGE, "%s s3://%s/%s: the request "
			    "is too large to sign", rq->op, rq->bucket, rq->key);
			rc = S3_FAIL;
			break;
		}
		pthread_mutex_unlock(&c->credmu);

		buf_init(&line, 64 * 1024);
		for (i = 0; i <= s.nh; i++) {
			line.len = 0;
			if ((i < s.nh ? buf_printf(&line, "%s: %s", s.h[i].name,
			    s.h[i].value) : buf_printf(&line, "Authorization: %s",
			    s.auth.p)) < 0 || cstr(&line) == NULL)
				break;
			hl = curl_slist_append(hl, line.p);
		}
		OPENSSL_cleanse(line.p, line.len);
		buf_free(&line);
		OPENSSL_cleanse(s.auth.p, s.auth.len);
		if (i <= s.nh) {
			curl_slist_free_all(hl);
			msg_seterr(e, MSG_EX_USAGE, "%s s3://%s/%s: a header is "
			    "too large", rq->op, rq->bucket, rq->key);
			rc = S3_FAIL;
			break;
		}

		curl_easy_reset(k->h);
		k->body.len = 0;
		k->etag[0] = '\0';
		k->errbuf[0] = '\0';
		k->rdata = rq->body;
		k->rlen = rq->len;
		k->rpos = 0;
		curl_easy_setopt(k->h, CURLOPT_URL, cstr(&s.url));
		curl_easy_setopt(k->h, CURLOPT_HTTPHEADER, hl);
		curl_easy_setopt(k->h, CURLOPT_PATH_AS_IS, 1L);
		curl_easy_setopt(k->h, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(k->h, CURLOPT_USERAGENT, "ddblake/" DDBLAKE_VERSION);
		curl_easy_setopt(k->h, CURLOPT_ERRORBUFFER, k->errbuf);
		curl_easy_setopt(k->h, CURLOPT_WRITEFUNCTION, on_write);
		curl_easy_setopt(k->h, CURLOPT_WRITEDATA, k);
		curl_easy_setopt(k->h, CURLOPT_HEADERFUNCTION, on_header);
		curl_easy_setopt(k->h, CURLOPT_HEADERDATA, k);
		curl_easy_setopt(k->h, CURLOPT_CONNECTTIMEOUT, 10L);
		curl_easy_setopt(k->h, CURLOPT_LOW_SPEED_LIMIT, 1L);
		curl_easy_setopt(k->h, CURLOPT_LOW_SPEED_TIME, 60L);
		curl_easy_setopt(k->h, CURLOPT_TCP_KEEPALIVE, 1L);
		curl_easy_setopt(k->h, CURLOPT_NOPROGRESS, 0L);
		curl_easy_setopt(k->h, CURLOPT_XFERINFOFUNCTION, on_progress);
		curl_easy_setopt(k->h, CURLOPT_XFERINFODATA, &x);
		if (c->cfg.ca_bundle != NULL)
			curl_easy_setopt(k->h, CURLOPT_CAINFO,
			    c->cfg.ca_bundle);
		if (strcmp(rq->method, "PUT") == 0) {
			curl_easy_setopt(k->h, CURLOPT_UPLOAD, 1L);
			curl_easy_setopt(k->h, CURLOPT_READFUNCTION, on_read);
			curl_easy_setopt(k->h, CURLOPT_READDATA, k);
			curl_easy_setopt(k->h, CURLOPT_SEEKFUNCTION, on_seek);
			curl_easy_setopt(k->h, CURLOPT_SEEKDATA, k);
			curl_easy_setopt(k->h, CURLOPT_INFILESIZE_LARGE,
			    (curl_off_t)rq->len);
		} else if (strcmp(rq->method, "POST") == 0) {
			curl_easy_setopt(k->h, CURLOPT_POST, 1L);
			curl_easy_setopt(k->h, CURLOPT_POSTFIELDS,
			    rq->body != NULL ? rq->body : "");
			curl_easy_setopt(k->h, CURLOPT_POSTFIELDSIZE_LARGE,
			    (curl_off_t)rq->len);
		} else if (strcmp(rq->method, "HEAD") == 0) {
			curl_easy_setopt(k->h, CURLOPT_NOBODY, 1L);
		} else {
			curl_easy_setopt(k->h, CURLOPT_CUSTOMREQUEST,
			    rq->method);
		}
		cc = curl_easy_perform(k->h);
		curl_slist_free_all(hl);
		code[0] = message[0] = '\0';
		if (cc == CURLE_OK) {
			curl_easy_getinfo(k->h, CURLINFO_RESPONSE_CODE,
			    &status);
			if (find(k->body.p, k->body.len, "<Error>") != NULL) {
				xml_get(k->body.p, k->body.len, "Code", code,
				    sizeof code);
				xml_get(k->body.p, k->body.len, "Message",
				    message, sizeof message);
				if (code[0] == '\0')
					snprintf(code, sizeof code, "Error");
			}
			/* A 200 with an <Error> body (CompleteMultipart-
			 * Upload) is an error, graded by its code. */
			cls = s3_classify(status, code);
		} else if (cc == CURLE_ABORTED_BY_CALLBACK) {
			msg_seterr(e, MSG_EX_REMOTE_TEMP, "%s s3://%s/%s: "
			    "interrupted", rq->op, rq->bucket, rq->key);
			rc = S3_FAIL_ALL;
			break;
		} else {
			cls = classify_curl(cc);
		}
		if (cls == C_OK) {
			rc = S3_OK;
			break;
		}
		if (cls == C_REFRESH && !refreshed) {
			struct err re;

			pthread_mutex_lock(&c->credmu);
			refreshed = creds_refresh(c->cp, &re) == 0;
			pthread_mutex_unlock(&c->credmu);
			cls = refreshed ? C_RETRY : C_FATAL;
		} else if (cls == C_REFRESH) {
			cls = C_FATAL;
		}
		if (cls == C_RETRY) {
			uint64_t el = util_now_ms() - t0;
			uint64_t d = s3_backoff_ms(attempt, rnd(k));

			if (attempt < max && el + d <= c->cfg.retry_time_ms) {
				if (retries != NULL)
					(*retries)++;
				stop_sleep(c, d, rq->ignore_stop);
				continue;
			}
		}
		/* Give up: say why. */
		if (cc != CURLE_OK) {
			msg_seterr(e, cls == C_RETRY ? MSG_EX_REMOTE_TEMP :
			    MSG_EX_REMOTE_PERM, "%s s3://%s/%s: %s (curl %d)%s",
			    rq->op, rq->bucket, rq->key, k->errbuf[0] != '\0' ?
			    k->errbuf : curl_easy_strerror(cc), (int)cc,
			    cc == CURLE_PEER_FAILED_VERIFICATION ||
			    cc == CURLE_SSL_CACERT_BADFILE ? "; hint: the "
			    "server's certificate is not trusted: see "
			    "--ca-bundle" : "");
		} else {
			const char *hn = hint(code);

			msg_seterr(e, cls == C_RETRY ? MSG_EX_REMOTE_TEMP :
			    MSG_EX_REMOTE_PERM, "%s s3://%s/%s: %s%s%s (HTTP %ld)"
			    "%s%s", rq->op, rq->bucket, rq->key,
			    code[0] != '\0' ? code : "error",
			    message[0] != '\0' ? ": " : "", message, status,
			    hn != NULL ? "; hint: " : "", hn != NULL ? hn : "");
		}
		if (cls == C_RETRY) {
			size_t l = strlen(e->msg);

			snprintf(e->msg + l, sizeof e->msg - l, "; gave up "
			    "after %u attempts in %.0f s", attempt,
			    (double)(util_now_ms() - t0) / 1000.0);
		}
		rc = cls == C_PERM ? S3_FAIL : S3_FAIL_ALL;
		break;
	}
	sr_free(&s);
	return rc;
}

/* ---- object headers ---- */

/* Fills h (room for OBJH) from o; returns the count, or -1 when there are
 * too many or they do not fit in meta. */
static int
object_headers(const struct s3_object_opts *o, struct sigv4_header *h,
    struct buf *meta)
{
	size_t n = 0, i;
	int rc = 0;

	if (o == NULL)
		return 0;
	if (o->nmetadata > S3_MAX_METADATA)
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
	{
		size_t off = 0;

		while (off < meta->len) {
			const char *k = meta->p + off;
			const char *v = k + strlen(k) + 1;

			h[n++] = (struct sigv4_header){ k, v };
			off = (size_t)(v + strlen(v) + 1 - meta->p);
		}
	}
	return (int)n;
}

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
	struct conn *k = conn_get(c);
	struct sigv4_header h[MAXH];
	struct buf meta;
	struct digests d;
	struct req rq;
	int rc;

	buf_init(&meta, 64 * 1024);
	k->data.len = 0;
	if (buf_grow(&k->data, (size_t)size + 1) < 0) {
		conn_put(c, k);
		return msg_seterr(e, MSG_EX_IO, "out of memory");
	}
	if (read_digest(c, fd, k->data.p, (size_t)size, 0, key, &d, e) < 0) {
		conn_put(c, k);
		return S3_FAIL;
	}
	k->data.len = (size_t)size;
	memset(&rq, 0, sizeof rq);
	rq.op = "PutObject";
	rq.method = "PUT";
	rq.bucket = bucket;
	rq.key = key;
	rq.extra = h;
	if ((rc = object_headers(o, h, &meta)) < 0) {
		conn_put(c, k);
		return msg_seterr(e, MSG_EX_USAGE, "PutObject s3://%s/%s: too "
		    "many or too large headers", bucket, key);
	}
	rq.nextra = (size_t)rc;
	rq.body = k->data.p;
	rq.len = k->data.len;
	rq.sha256 = d.sha;
	rq.md5b64 = d.md5b64;
	rc = request(c, k, &rq, &r->retries, e);
	if (rc == S3_OK) {
		snprintf(r->etag, sizeof r->etag, "%s", k->etag);
		if (!kms(o) && strcmp(k->etag, d.md5hex) != 0)
			rc = msg_seterr(e, MSG_EX_REMOTE_PERM, "PutObject s3://%s/%s: "
			    "ETag %s is not the MD5 %s of the data sent",
			    bucket, key, k->etag[0] != '\0' ? k->etag :
			    "(none)", d.md5hex);
	}
	conn_put(c, k);
	buf_free(&meta);
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

static void *
part_worker(void *arg)
{
	struct mpu *m = arg;
	struct s3_client *c = m->c;

	for (;;) {
		struct conn *k;
		struct digests d;
		struct req rq;
		struct buf q;
		struct err e;
		unsigned n, retries = 0;
		uint64_t off;
		size_t len;
		int rc;

		pthread_mutex_lock(&m->mu);
		if (m->rc != S3_OK || m->next > m->nparts || c->stop) {
			pthread_mutex_unlock(&m->mu);
			break;
		}
		n = m->next++;
		pthread_mutex_unlock(&m->mu);
		off = (uint64_t)(n - 1) * m->psize;
		len = (size_t)(m->size - off < m->psize ? m->size - off :
		    m->psize);
		k = conn_get(c);
		k->data.len = 0;
		if (buf_grow(&k->data, len + 1) < 0) {
			rc = msg_seterr(&e, MSG_EX_IO, "out of memory");
		} else if (read_digest(c, m->fd, k->data.p, len, off, m->key,
		    &d, &e) < 0) {
			rc = S3_FAIL;
		} else {
			k->data.len = len;
			buf_init(&q, 4096);
			if (buf_printf(&q, "partNumber=%u&%s", n, m->qid) < 0)
				abort();	/* upload_id < 512 bytes: it fits */
			memset(&rq, 0, sizeof rq);
			rq.op = "UploadPart";
			rq.method = "PUT";
			rq.bucket = m->bucket;
			rq.key = m->key;
			rq.query = cstr(&q);
			rq.body = k->data.p;
			rq.len = len;
			rq.sha256 = d.sha;
			rq.md5b64 = d.md5b64;
			rc = request(c, k, &rq, &retries, &e);
			if (rc == S3_OK && k->etag[0] != '\0' &&
			    strcmp(k->etag, d.md5hex) != 0 &&
			    strlen(k->etag) == 32)
				rc = msg_seterr(&e, MSG_EX_REMOTE_PERM, "UploadPart "
				    "s3://%s/%s: part %u ETag %s is not the "
				    "MD5 %s of the data sent", m->bucket,
				    m->key, n, k->etag, d.md5hex);
			if (rc == S3_OK) {
				memcpy(m->md5[n - 1], d.md5, 16);
				snprintf(m->etag[n - 1], 96, "%s",
				    k->etag[0] != '\0' ? k->etag : d.md5hex);
			}
			buf_free(&q);
		}
		conn_put(c, k);
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

static void
mpu_abort(struct mpu *m)
{
	struct s3_client *c = m->c;
	struct conn *k = conn_get(c);
	struct req rq;
	struct err e;

	memset(&rq, 0, sizeof rq);
	rq.op = "AbortMultipartUpload";
	rq.method = "DELETE";
	rq.bucket = m->bucket;
	rq.key = m->key;
	rq.query = m->qid;
	rq.sha256 = SIGV4_EMPTY_SHA256;
	rq.ignore_stop = 1;
	rq.max_attempts = 3;
	if (request(c, k, &rq, NULL, &e) != S3_OK) {
		/* Append to the error the caller reports. */
		size_t l = strlen(m->err.msg);

		snprintf(m->err.msg + l, sizeof m->err.msg - l, "; and %s "
		    "(upload id %s: a bucket lifecycle rule "
		    "AbortIncompleteMultipartUpload cleans it up)", e.msg,
		    m->upload_id);
	}
	conn_put(c, k);
}

static int
put_multipart(struct s3_client *c, const char *bucket, const char *key,
    int fd, uint64_t size, const struct s3_object_opts *o,
    struct s3_result *r, struct err *e)
{
	struct mpu m;
	struct conn *k;
	struct sigv4_header h[MAXH];
	struct buf meta, q, xml;
	struct req rq;
	struct digests d;
	pthread_t th[64];
	unsigned nth, i;
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
	buf_init(&meta, 64 * 1024);
	buf_init(&q, 4096);
	/* 10,000 parts of about 110 bytes each */
	buf_init(&xml, 2 << 20);

	/* CreateMultipartUpload carries the object's headers. */
	k = conn_get(c);
	memset(&rq, 0, sizeof rq);
	rq.op = "CreateMultipartUpload";
	rq.method = "POST";
	rq.bucket = bucket;
	rq.key = key;
	rq.query = "uploads=";
	rq.extra = h;
	if ((rc = object_headers(o, h, &meta)) < 0) {
		conn_put(c, k);
		rc = msg_seterr(e, MSG_EX_USAGE, "CreateMultipartUpload "
		    "s3://%s/%s: too many or too large headers", bucket, key);
		goto out;
	}
	rq.nextra = (size_t)rc;
	if (o == NULL || o->content_type == NULL)
		h[rq.nextra++] = (struct sigv4_header){ "Content-Type",
		    "application/octet-stream" };
	rq.sha256 = SIGV4_EMPTY_SHA256;
	/* Not cut short by a stop: the server may have created the upload
	 * already, and only its id lets us abort it. */
	rq.ignore_stop = 1;
	rq.max_attempts = c->stop ? 1 : 0;
	rc = request(c, k, &rq, &r->retries, e);
	if (rc == S3_OK) {
		xml_get(k->body.p, k->body.len, "UploadId", m.upload_id,
		    sizeof m.upload_id);
		if (m.upload_id[0] == '\0')
			rc = msg_seterr(e, MSG_EX_REMOTE_PERM, "CreateMultipartUpload "
			    "s3://%s/%s: no UploadId in the response", bucket,
			    key);
	}
	conn_put(c, k);
	if (rc != S3_OK)
		goto out;
	if (buf_addstr(&q, "uploadId=") < 0 || sigv4_uri_encode(&q,
	    m.upload_id, strlen(m.upload_id), 0) < 0 ||
	    (m.qid = cstr(&q)) == NULL) {
		rc = msg_seterr(e, MSG_EX_REMOTE_PERM, "CreateMultipartUpload "
		    "s3://%s/%s: upload id too long", bucket, key);
		goto out;
	}
	m.md5 = xcalloc(m.nparts, sizeof *m.md5);
	m.etag = xcalloc(m.nparts, sizeof *m.etag);
	m.rc = S3_OK;

	/* Parts in parallel: helpers plus this thread, at most `jobs`
	 * requests in flight across the client (the connection pool). */
	nth = c->cfg.jobs < m.nparts ? c->cfg.jobs : m.nparts;
	if (nth > 64)
		nth = 64;
	for (i = 1; i < nth; i++)
		if (pthread_create(&th[i], NULL, part_worker, &m) != 0)
			break;
	nth = i;
	part_worker(&m);
	for (i = 1; i < nth; i++)
		pthread_join(th[i], NULL);
	r->retries += m.retries;
	if (m.rc == S3_OK && c->stop) {
		m.rc = msg_seterr(&m.err, MSG_EX_REMOTE_TEMP, "UploadPart s3://%s/%s: "
		    "interrupted", bucket, key);
		m.rc = S3_FAIL_ALL;
	}
	if (m.rc != S3_OK) {
		mpu_abort(&m);
		*e = m.err;
		rc = m.rc;
		goto out;
	}

	/* CompleteMultipartUpload, then check the multipart ETag: MD5 of the
	 * parts' MD5s, "-N". */
	rc = buf_addstr(&xml, "<CompleteMultipartUpload>");
	for (i = 0; i < m.nparts; i++)
		rc |= buf_printf(&xml, "<Part><PartNumber>%u</PartNumber><ETag>"
		    "\"%s\"</ETag></Part>", i + 1, m.etag[i]);
	rc |= buf_addstr(&xml, "</CompleteMultipartUpload>");
	if (rc < 0) {
		mpu_abort(&m);
		rc = msg_seterr(e, MSG_EX_IO, "CompleteMultipartUpload "
		    "s3://%s/%s: request too large", bucket, key);
		goto out;
	}
	{
		unsigned char all[16];
		char hex[33];
		EVP_MD_CTX *mc = EVP_MD_CTX_new();

		EVP_DigestInit_ex(mc, EVP_md5(), NULL);
		for (i = 0; i < m.nparts; i++)
			EVP_DigestUpdate(mc, m.md5[i], 16);
		EVP_DigestFinal_ex(mc, all, NULL);
		EVP_MD_CTX_free(mc);
		sigv4_hex(hex, all, 16);
		snprintf(r->etag, sizeof r->etag, "%s-%u", hex, m.nparts);
	}
	k = conn_get(c);
	digest(c, xml.p, xml.len, &d);
	memset(&rq, 0, sizeof rq);
	rq.op = "CompleteMultipartUpload";
	rq.method = "POST";
	rq.bucket = bucket;
	rq.key = key;
	rq.query = m.qid;
	h[0] = (struct sigv4_header){ "Content-Type", "application/xml" };
	rq.extra = h;
	rq.nextra = 1;
	rq.body = xml.p;
	rq.len = xml.len;
	rq.sha256 = d.sha;
	rq.md5b64 = d.md5b64;
	rq.ignore_stop = 1;	/* every part is there: finish it */
	rc = request(c, k, &rq, &r->retries, e);
	if (rc != S3_OK) {
		conn_put(c, k);
		m.err = *e;
		mpu_abort(&m);
		*e = m.err;
		goto out;
	}
	{
		char got[96], raw[96];

		xml_get(k->body.p, k->body.len, "ETag", raw, sizeof raw);
		unquote(got, sizeof got, raw[0] != '\0' ? raw : k->etag);
		if (got[0] == '\0') {
			/* radosgw 16 answers <ETag></ETag>: ask the object. */
			memset(&rq, 0, sizeof rq);
			rq.op = "HeadObject";
			rq.method = "HEAD";
			rq.bucket = bucket;
			rq.key = key;
			rq.sha256 = SIGV4_EMPTY_SHA256;
			rq.ignore_stop = 1;
			rc = request(c, k, &rq, &r->retries, e);
			snprintf(got, sizeof got, "%s", k->etag);
		}
		if (rc == S3_OK && !kms(o) && strcmp(got, r->etag) != 0)
			rc = msg_seterr(e, MSG_EX_REMOTE_PERM, "CompleteMultipart"
			    "Upload s3://%s/%s: ETag %s is not the MD5 of the "
			    "parts' MD5s %s", bucket, key, got[0] != '\0' ?
			    got : "(none)", r->etag);
		else if (rc == S3_OK)
			snprintf(r->etag, sizeof r->etag, "%s", got);
	}
	conn_put(c, k);
	r->parts = m.nparts;
out:
	free(m.md5);
	free(m.etag);
	buf_free(&meta);
	buf_free(&q);
	buf_free(&xml);
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
		return msg_seterr(e, MSG_EX_USAGE, "s3://%s/%s: %llu bytes is over "
		    "the 5 GiB PutObject limit: lower --multipart-threshold",
		    bucket, key, (unsigned long long)size);
	return put_single(c, bucket, key, fd, size, o, r, e);
}

int
s3_describe_put(struct s3_client *c, const char *bucket, const char *key,
    int fd, uint64_t size, const struct s3_object_opts *o, struct buf *out,
    struct err *e)
{
	struct sigv4_header h[MAXH];
	struct buf meta, data;
	struct signed_req s;
	struct digests d;
	struct req rq;
	struct creds cr;
	const char *token = NULL;
	int multi = size > c->cfg.multipart_threshold, rc;

	buf_init(&meta, 64 * 1024);
	buf_init(&data, (size_t)c->cfg.multipart_threshold + 1);
	memset(&rq, 0, sizeof rq);
	rq.bucket = bucket;
	rq.key = key;
	rq.extra = h;
	if ((multi = object_headers(o, h, &meta)) < 0) {
		buf_free(&meta);
		return msg_seterr(e, MSG_EX_USAGE, "s3://%s/%s: too many or "
		    "too large headers", bucket, key);
	}
	rq.nextra = (size_t)multi;
	multi = size > c->cfg.multipart_threshold;
	/* The string to sign is the real one (token included); the printed
	 * canonical request shows the token's place, not its value. */
	if (c->cp != NULL && creds_get(c->cp, &cr, e) == 0 &&
	    cr.session_token != NULL && *cr.session_token != '\0')
		token = cr.session_token;
	if (multi) {
		rq.op = "CreateMultipartUpload";
		rq.method = "POST";
		rq.query = "uploads=";
		if (o == NULL || o->content_type == NULL)
			h[rq.nextra++] = (struct sigv4_header){
			    "Content-Type", "application/octet-stream" };
		rq.sha256 = SIGV4_EMPTY_SHA256;
	} else {
		if (buf_grow(&data, (size_t)size + 1) < 0 ||
		    read_at(fd, data.p, (size_t)size, 0, key, e) < 0) {
			buf_free(&data);
			buf_free(&meta);
			return -1;
		}
		data.len = (size_t)size;
		digest(c, data.p, data.len, &d);
		rq.op = "PutObject";
		rq.method = "PUT";
		rq.sha256 = d.sha;
		rq.md5b64 = d.md5b64;
	}
	sr_init(&s);
	rc = sign(c, &rq, time(NULL), NULL, NULL, token, &s);
	if (rc < 0)
		goto done;
	rc = buf_printf(out, "%s %s\n", rq.method, s.url.p);
	if (multi) {
		uint64_t ps = s3_part_size(c, size);

		rc |= buf_printf(out, "  multipart: %llu parts of %llu bytes, "
		    "%u at a time, then CompleteMultipartUpload\n",
		    (unsigned long long)((size + ps - 1) / ps),
		    (unsigned long long)ps, c->cfg.jobs);
	}
	rc |= buf_addstr(out, "  canonical request:\n    ");
	{
		const char *p;

		for (p = s.creq.p; *p != '\0'; p++) {
			if (token != NULL && strncmp(p, token,
			    strlen(token)) == 0) {
				rc |= buf_addstr(out, "<session token not shown>");
				p += strlen(token) - 1;
				continue;
			}
			rc |= buf_addc(out, *p);
			if (*p == '\n')
				rc |= buf_addstr(out, "    ");
		}
	}
	rc |= buf_addstr(out, "\n  string to sign:\n    ");
	{
		const char *p;

		for (p = s.sts.p; *p != '\0'; p++) {
			rc |= buf_addc(out, *p);
			if (*p == '\n')
				rc |= buf_addstr(out, "    ");
		}
	}
	rc |= buf_addc(out, '\n');
done:
	sr_free(&s);
	buf_free(&data);
	buf_free(&meta);
	return rc < 0 ? msg_seterr(e, MSG_EX_IO, "s3://%s/%s: dry run "
	    "description too large", bucket, key) : 0;
}
