/* SPDX-License-Identifier: MIT */
/* aws: connections, signing, sending and the retry policy (see aws.h). */
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/crypto.h>

#include "aws.h"
#include "util.h"
#include "xml.h"

#define FORM "application/x-www-form-urlencoded; charset=utf-8"

const struct aws_service aws_s3 = {
	"s3", "s3", "s3", AWS_PROTO_REST_XML, NULL, NULL, NULL };
const struct aws_service aws_sts = {
	"sts", "sts", "sts", AWS_PROTO_QUERY, NULL, FORM, "2011-06-15" };
const struct aws_service aws_kinesis = {
	"kinesis", "kinesis", "kinesis", AWS_PROTO_JSON, "Kinesis_20131202",
	"application/x-amz-json-1.1", NULL };
const struct aws_service aws_dynamodb_streams = {
	"dynamodb_streams", "streams.dynamodb", "dynamodb", AWS_PROTO_JSON,
	"DynamoDBStreams_20120810", "application/x-amz-json-1.0", NULL };
const struct aws_service aws_dynamodb = {
	"dynamodb", "dynamodb", "dynamodb", AWS_PROTO_JSON, "DynamoDB_20120810",
	"application/x-amz-json-1.0", NULL };
const struct aws_service aws_sso = {
	"sso", "portal.sso", "awsssoportal", AWS_PROTO_JSON, NULL,
	"application/json", NULL };

#define BODY_MAX (1u << 20)	/* default cap on a response body kept */
#define SR_MAX (256 * 1024)	/* each part of a signed request */
#define LINE_MAX_ (64 * 1024)	/* one header line */
/* "%s%s%s" arguments naming a request in messages: "PutObject s3://b/k" */
#define NAME(rq) (rq)->op, (rq)->what != NULL ? " " : "", \
	(rq)->what != NULL ? (rq)->what : ""

struct aws_conn {
	struct aws_client *c;
	CURL *h;
	struct buf data;	/* request body (file bytes, XML) */
	struct buf body;	/* response body */
	char etag[96];
	char errtype[128];	/* x-amzn-ErrorType */
	char errbuf[CURL_ERROR_SIZE];
	const char *rdata;	/* upload cursor */
	size_t rlen, rpos;
	uint64_t rng;
	struct aws_conn *next;
};

struct aws_client {
	struct aws_config cfg;
	struct creds_provider *cp;
	struct awsconf_url url;	/* the endpoint's parts */
	pthread_mutex_t poolmu;
	pthread_cond_t poolcv;
	struct aws_conn *idle;	/* all of them when no request runs */
	unsigned nconns;
	struct retry_budget budget;
	volatile uint64_t deadline_ms;	/* wall clock; 0: none */
	volatile uint64_t stop_ms;	/* monotonic time of aws_stop */
	volatile sig_atomic_t stop;
};

/* After aws_stop, AWS_FINISH requests (aborting an upload) get this long
 * to end: a stop must not wait on a stalled server. */
#define STOP_GRACE_MS AWS_STOP_GRACE_MS

/* ---- small helpers ---- */

static char *
cstr(struct buf *b)
{
	if (buf_addc(b, '\0') < 0)
		return NULL;
	b->len--;
	return b->p;
}

static uint64_t
rnd(struct aws_conn *k)
{
	/* xorshift64*: jitter only, not security. */
	k->rng ^= k->rng >> 12;
	k->rng ^= k->rng << 25;
	k->rng ^= k->rng >> 27;
	return k->rng * 2685821657736338717ULL;
}

void
aws_unquote(char *dst, size_t n, const char *s)
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
	struct aws_conn *k = ud;
	size_t n = sz * nm;

	/* Past the cap the rest is read and dropped: an error body is
	 * still told by its start. */
	if (k->body.len + n <= k->c->cfg.body_max &&
	    buf_add(&k->body, p, n) < 0)
		return 0;	/* curl fails the transfer */
	return n;
}

static size_t
on_header(char *p, size_t sz, size_t nm, void *ud)
{
	struct aws_conn *k = ud;
	size_t n = sz * nm;

	static const char et[] = "x-amzn-errortype:";
	char tmp[128];
	size_t l;

	if (n > 5 && strncasecmp(p, "etag:", 5) == 0) {
		l = n - 5 < sizeof tmp - 1 ? n - 5 : sizeof tmp - 1;
		memcpy(tmp, p + 5, l);
		tmp[l] = '\0';
		aws_unquote(k->etag, sizeof k->etag, tmp);
	} else if (n > sizeof et - 1 && strncasecmp(p, et, sizeof et - 1) == 0) {
		l = n - (sizeof et - 1);
		l = l < sizeof tmp - 1 ? l : sizeof tmp - 1;
		memcpy(tmp, p + sizeof et - 1, l);
		tmp[l] = '\0';
		aws_unquote(k->errtype, sizeof k->errtype, tmp);
	}
	return n;
}

static size_t
on_read(char *p, size_t sz, size_t nm, void *ud)
{
	struct aws_conn *k = ud;
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
	struct aws_conn *k = ud;

	if (origin != SEEK_SET || off < 0 || (size_t)off > k->rlen)
		return CURL_SEEKFUNC_CANTSEEK;
	k->rpos = (size_t)off;
	return CURL_SEEKFUNC_OK;
}

struct xfer {
	struct aws_client *c;
	int finish;
};

/* Past the stop, or past its grace for a request that finishes. */
static int
stopped(const struct aws_client *c, int finish)
{
	return c->stop && (!finish || util_now_ms() >= c->stop_ms +
	    STOP_GRACE_MS);
}

static int
on_progress(void *ud, curl_off_t a, curl_off_t b, curl_off_t c_,
    curl_off_t d)
{
	struct xfer *x = ud;

	(void)a, (void)b, (void)c_, (void)d;
	return stopped(x->c, x->finish);
}

struct aws_conn *
aws_conn_get(struct aws_client *c)
{
	struct aws_conn *k;

	pthread_mutex_lock(&c->poolmu);
	while (c->idle == NULL)
		pthread_cond_wait(&c->poolcv, &c->poolmu);
	k = c->idle;
	c->idle = k->next;
	pthread_mutex_unlock(&c->poolmu);
	return k;
}

void
aws_conn_put(struct aws_client *c, struct aws_conn *k)
{
	pthread_mutex_lock(&c->poolmu);
	k->next = c->idle;
	c->idle = k;
	pthread_cond_signal(&c->poolcv);
	pthread_mutex_unlock(&c->poolmu);
}

struct buf *
aws_conn_data(struct aws_conn *k)
{
	return &k->data;
}

/* ---- client ---- */

struct aws_client *
aws_new(const struct aws_config *cfg, struct creds_provider *cp,
    struct err *e)
{
	struct aws_client *c;
	unsigned i;
	uint64_t seed;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		msg_seterr(e, MSG_EX_IO, "curl_global_init failed");
		return NULL;
	}
	c = xcalloc(1, sizeof *c);
	c->cfg = *cfg;
	c->cp = cp;
	if (c->cfg.conns == 0)
		c->cfg.conns = 1;
	if (c->cfg.max_attempts == 0)
		c->cfg.max_attempts = 1;
	if (c->cfg.data_max == 0)
		c->cfg.data_max = 1 << 20;
	if (c->cfg.body_max == 0)
		c->cfg.body_max = BODY_MAX;
	c->deadline_ms = cfg->deadline_ms;
	if (awsconf_url(cfg->endpoint, &c->url, e) < 0) {
		free(c);
		curl_global_cleanup();
		return NULL;
	}
	pthread_mutex_init(&c->poolmu, NULL);
	pthread_cond_init(&c->poolcv, NULL);
	retry_budget_init(&c->budget, RETRY_BUDGET);
	seed = util_wall_ms() ^ ((uint64_t)getpid() << 32);
	for (i = 0; i < c->cfg.conns; i++) {
		struct aws_conn *k = xcalloc(1, sizeof *k);

		k->h = curl_easy_init();
		if (k->h == NULL) {
			free(k);
			msg_seterr(e, MSG_EX_IO, "curl_easy_init failed");
			aws_free(c);
			return NULL;
		}
		k->c = c;
		buf_init(&k->data, c->cfg.data_max);
		buf_init(&k->body, c->cfg.body_max + 1);
		k->rng = (seed += 0x9e3779b97f4a7c15ULL) | 1;
		k->next = c->idle;
		c->idle = k;
		c->nconns++;
	}
	return c;
}

void
aws_free(struct aws_client *c)
{
	struct aws_conn *k, *n;

	if (c == NULL)
		return;
	/* All connections are idle once every request returned. */
	for (k = c->idle; k != NULL; k = n) {
		n = k->next;
		curl_easy_cleanup(k->h);
		buf_free(&k->data);
		buf_free(&k->body);
		free(k);
	}
	pthread_mutex_destroy(&c->poolmu);
	pthread_cond_destroy(&c->poolcv);
	retry_budget_free(&c->budget);
	free(c);
	curl_global_cleanup();
}

void
aws_set_deadline(struct aws_client *c, uint64_t wall_ms)
{
	c->deadline_ms = wall_ms;
}

void
aws_stop(struct aws_client *c)
{
	if (!c->stop)
		c->stop_ms = util_now_ms();	/* clock_gettime: signal-safe */
	c->stop = 1;
}

int
aws_stopping(const struct aws_client *c)
{
	return c->stop != 0;
}

const char *
aws_host(const struct aws_client *c)
{
	return c->url.hostport;
}

int
aws_host_is_ip(const struct aws_client *c)
{
	return c->url.ip_host;
}

/* ---- signing ---- */

void
aws_signed_init(struct aws_signed *s)
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

void
aws_signed_free(struct aws_signed *s)
{
	buf_free(&s->host);
	buf_free(&s->path);
	buf_free(&s->url);
	buf_free(&s->creq);
	buf_free(&s->names);
	buf_free(&s->sts);
	OPENSSL_cleanse(s->auth.p, s->auth.len);
	buf_free(&s->auth);
}

/* Host, path and URL of rq into s. */
static int
sign_target(const struct aws_client *c, const struct aws_request *rq,
    struct aws_signed *s)
{
	const char *path = rq->path != NULL ? rq->path : "/";

	if (buf_addstr(&s->host, rq->host != NULL ? rq->host :
	    c->url.hostport) < 0 || cstr(&s->host) == NULL ||
	    buf_addstr(&s->path, path) < 0 || cstr(&s->path) == NULL)
		return -1;
	return buf_printf(&s->url, "%s://%s%s%s%s", c->url.scheme, s->host.p,
	    s->path.p, rq->query != NULL ? "?" : "",
	    rq->query != NULL ? rq->query : "") < 0 || cstr(&s->url) == NULL ?
	    -1 : 0;
}

int
aws_sign(const struct aws_client *c, const struct aws_request *rq,
    time_t now, const struct creds *cr, struct aws_signed *s,
    struct err *e)
{
	const char *region = c->cfg.region, *svc = c->cfg.svc->signing_name;
	const char *token = cr != NULL ? cr->session_token : NULL;
	const char *sha = rq->sha256;
	unsigned char key[32];
	char sig[65];
	size_t i;

	s->host.len = s->path.len = s->url.len = s->creq.len = 0;
	s->names.len = s->sts.len = s->auth.len = 0;
	s->nh = 0;
	if (rq->nheaders > AWS_MAX_HEADERS)
		return msg_seterr(e, MSG_EX_USAGE, "%s%s%s: too many headers "
		    "(%zu, at most %d)", NAME(rq), rq->nheaders,
		    AWS_MAX_HEADERS);
	if (sign_target(c, rq, s) < 0)
		goto toolarge;
	if (sha == NULL) {
		sigv4_sha256_hex(rq->body != NULL ? rq->body : "", rq->len,
		    s->sha256);
		sha = s->sha256;
	}
	s->h[s->nh++] = (struct sigv4_header){ "Host", s->host.p };
	if (!(rq->flags & AWS_UNSIGNED)) {
		sigv4_amz_date(now, s->amz);
		s->h[s->nh++] = (struct sigv4_header){ "x-amz-date", s->amz };
	}
	if (c->cfg.svc->proto == AWS_PROTO_REST_XML)
		s->h[s->nh++] = (struct sigv4_header){ "x-amz-content-sha256",
		    sha };
	if (rq->md5b64 != NULL)
		s->h[s->nh++] = (struct sigv4_header){ "Content-MD5",
		    rq->md5b64 };
	if (token != NULL && *token != '\0' && !(rq->flags & AWS_UNSIGNED))
		s->h[s->nh++] = (struct sigv4_header){ "x-amz-security-token",
		    token };
	for (i = 0; i < rq->nheaders; i++)
		s->h[s->nh++] = rq->headers[i];
	if (rq->flags & AWS_UNSIGNED)
		return 0;
	{
		struct sigv4_request r = { rq->method, s->path.p, rq->query,
		    s->h, s->nh, sha };

		if (sigv4_canonical_request(&s->creq, &s->names, &r) < 0)
			goto toolarge;
	}
	if (cstr(&s->names) == NULL || sigv4_string_to_sign(&s->sts, s->amz,
	    region, svc, s->creq.p, s->creq.len) < 0 ||
	    cstr(&s->creq) == NULL || cstr(&s->sts) == NULL)
		goto toolarge;
	if (cr != NULL && cr->secret_key != NULL) {
		sigv4_signing_key(key, cr->secret_key, s->amz, region, svc);
		sigv4_signature(sig, key, s->sts.p, s->sts.len);
		OPENSSL_cleanse(key, sizeof key);
		if (sigv4_authorization(&s->auth, cr->access_key, s->amz,
		    region, svc, s->names.p, sig) < 0 ||
		    cstr(&s->auth) == NULL)
			goto toolarge;
	}
	return 0;
toolarge:
	return msg_seterr(e, MSG_EX_USAGE, "%s%s%s: the request is too large "
	    "to sign", NAME(rq));
}

/* Append text with each line after the first indented by four spaces. */
static int
add_indented(struct buf *out, const char *p)
{
	int rc = 0;

	for (; *p != '\0'; p++) {
		rc |= buf_addc(out, *p);
		if (*p == '\n')
			rc |= buf_addstr(out, "    ");
	}
	return rc;
}

int
aws_describe(const struct aws_signed *s, struct buf *out)
{
	static const char tok[] = "x-amz-security-token:";
	const char *p = s->creq.p, *nl;
	unsigned line = 0;
	int rc;

	/* Line by line: method, path, query, then the headers, one a line
	 * ("name:value", values without line breaks once canonical), up to
	 * an empty line. The token's line is known by its place, never by
	 * comparing its value, which canonical form may have changed. */
	rc = buf_addstr(out, "  canonical request:\n");
	for (; *p != '\0'; p = *nl != '\0' ? nl + 1 : nl, line++) {
		size_t n;

		nl = strchr(p, '\n');
		if (nl == NULL)
			nl = p + strlen(p);
		n = (size_t)(nl - p);
		rc |= buf_addstr(out, "    ");
		if (line >= 3 && n >= sizeof tok - 1 &&
		    memcmp(p, tok, sizeof tok - 1) == 0)
			rc |= buf_printf(out, "%s<session token not shown>", tok);
		else
			rc |= buf_add(out, p, n);
		rc |= buf_addc(out, '\n');
		if (n == 0 && line >= 3)
			line = 1000;	/* past the headers: no more masking */
	}
	rc |= buf_addstr(out, "  string to sign:\n    ");
	rc |= add_indented(out, s->sts.p);
	rc |= buf_addc(out, '\n');
	return rc < 0 ? -1 : 0;
}

static void
stop_sleep(struct aws_client *c, uint64_t ms, int finish)
{
	uint64_t end = util_now_ms() + ms;

	while (!stopped(c, finish)) {
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

/* ---- one request ---- */

/* The curl header list of a signed request, or NULL with e filled when a
 * line does not fit or a value holds a line break (it would inject a
 * header). Lines are wiped once curl has copied them. */
static struct curl_slist *
header_list(const struct aws_signed *s, int with_auth,
    const struct aws_request *rq, struct err *e)
{
	struct curl_slist *hl = NULL, *n;
	struct buf line;
	size_t i, nh = s->nh + (with_auth ? 1 : 0);
	int bad = 0;

	buf_init(&line, LINE_MAX_);
	for (i = 0; i < nh && !bad; i++) {
		const char *name = i < s->nh ? s->h[i].name : "Authorization";
		const char *v = i < s->nh ? s->h[i].value : s->auth.p;
		int rc;

		if (strpbrk(v, "\r\n") != NULL) {
			bad = msg_seterr(e, MSG_EX_USAGE, "%s%s%s: header %s holds "
			    "a line break", NAME(rq), name);
			break;
		}
		line.len = 0;
		/* curl drops "Name:" (an empty value) but sends "Name;". */
		rc = v[strspn(v, " \t")] == '\0' ? buf_printf(&line, "%s;",
		    name) : buf_printf(&line, "%s: %s", name, v);
		if (rc < 0 || cstr(&line) == NULL ||
		    (n = curl_slist_append(hl, line.p)) == NULL)
			bad = msg_seterr(e, MSG_EX_USAGE, "%s%s%s: a header is "
			    "too large", NAME(rq));
		else
			hl = n;
	}
	OPENSSL_cleanse(line.p, line.len);
	buf_free(&line);
	if (bad) {
		curl_slist_free_all(hl);
		return NULL;
	}
	return hl;
}

static void
setup_curl(struct aws_client *c, struct aws_conn *k,
    const struct aws_request *rq, const char *url, struct curl_slist *hl,
    struct xfer *x, uint64_t timeout_ms)
{
	CURL *h = k->h;

	curl_easy_reset(h);
	k->body.len = 0;
	k->etag[0] = k->errtype[0] = '\0';
	k->errbuf[0] = '\0';
	k->rdata = rq->body;
	k->rlen = rq->len;
	k->rpos = 0;
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(h, CURLOPT_PATH_AS_IS, 1L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "ddblake/" DDBLAKE_VERSION);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, k->errbuf);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, k);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, k);
	/* The whole try, body included: a server that trickles its answer
	 * or never ends it cannot hold a request past its bounds. */
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms != 0 &&
	    timeout_ms < 10000 ? (long)timeout_ms : 10000L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, 60L);
	curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(h, CURLOPT_XFERINFODATA, x);
	if (c->cfg.ca_bundle != NULL)
		curl_easy_setopt(h, CURLOPT_CAINFO, c->cfg.ca_bundle);
	if (strcmp(rq->method, "PUT") == 0) {
		curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
		curl_easy_setopt(h, CURLOPT_READDATA, k);
		curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, on_seek);
		curl_easy_setopt(h, CURLOPT_SEEKDATA, k);
		curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE,
		    (curl_off_t)rq->len);
	} else if (strcmp(rq->method, "POST") == 0) {
		curl_easy_setopt(h, CURLOPT_POST, 1L);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS,
		    rq->body != NULL ? rq->body : "");
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)rq->len);
	} else if (strcmp(rq->method, "HEAD") == 0) {
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	} else if (strcmp(rq->method, "GET") != 0) {
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, rq->method);
	}
}

/* The state of one request across its attempts. */
struct attempt {
	struct aws_client *c;
	struct aws_conn *k;
	const struct aws_request *rq;
	struct aws_response *r;
	struct aws_signed s;
	uint64_t t0;
	uint64_t end;		/* monotonic: no try runs past it */
	int deadline;		/* end is the caller's deadline */
	unsigned n, max;
	unsigned spent;		/* retry tokens taken */
	int refreshed;
	int broke;		/* the retry budget was empty */
	CURLcode cc;
};

/* When the request must end: its own end, or the stop's grace. */
static uint64_t
end_of(const struct attempt *a)
{
	uint64_t g = a->c->stop_ms + STOP_GRACE_MS;

	return a->c->stop && g < a->end ? g : a->end;
}

/* The time the next try may take (0: unbounded); at least 1 ms once a
 * bound is near, so curl still applies one. */
static uint64_t
try_time(const struct attempt *a)
{
	uint64_t end = end_of(a), now = util_now_ms(), t;
	uint64_t per = a->c->cfg.attempt_timeout_ms;

	if (end == UINT64_MAX)
		return per;
	t = end > now ? end - now : 1;
	return per != 0 && per < t ? per : t;
}

/* Read the answer's status, error code and message into r. */
static void
read_answer(struct attempt *a)
{
	struct aws_conn *k = a->k;
	struct aws_response *r = a->r;
	int proto = a->c->cfg.svc->proto;

	curl_easy_getinfo(k->h, CURLINFO_RESPONSE_CODE, &r->status);
	/* An XML body with <Error> is an error even with a 200 (S3's
	 * CompleteMultipartUpload), graded by its code. */
	if (proto != AWS_PROTO_JSON || r->status < 200 || r->status > 299)
		retry_error_parse(proto == AWS_PROTO_JSON, k->body.p, k->body.len, r->code,
		    sizeof r->code, r->message, sizeof r->message);
	if (r->code[0] == '\0' && k->errtype[0] != '\0' &&
	    (r->status < 200 || r->status > 299)) {
		snprintf(r->code, sizeof r->code, "%s", k->errtype);
		r->code[strcspn(r->code, ":")] = '\0';
	}
}

/* Sign and send once; the answer's class (RETRY_), or -1 when the
 * request cannot be sent at all (e filled, rc in *stop_rc). */
static int
try_once(struct attempt *a, int *stop_rc, struct err *e)
{
	struct aws_client *c = a->c;
	struct aws_conn *k = a->k;
	const struct aws_request *rq = a->rq;
	struct aws_response *r = a->r;
	struct xfer x = { c, (rq->flags & AWS_FINISH) != 0 };
	struct curl_slist *hl;
	struct creds cr, *crp = NULL;

	if (!(rq->flags & AWS_UNSIGNED)) {
		if (creds_get(c->cp, &cr, e) < 0) {
			*stop_rc = AWS_FAIL_ALL;
			return -1;
		}
		crp = &cr;
	}
	if (aws_sign(c, rq, time(NULL), crp, &a->s, e) < 0) {
		*stop_rc = AWS_FAIL;
		return -1;
	}
	hl = header_list(&a->s, crp != NULL, rq, e);
	OPENSSL_cleanse(a->s.auth.p, a->s.auth.len);
	if (hl == NULL) {
		*stop_rc = AWS_FAIL;
		return -1;
	}
	setup_curl(c, k, rq, a->s.url.p, hl, &x, try_time(a));
	a->cc = curl_easy_perform(k->h);
	curl_slist_free_all(hl);
	r->status = 0;
	r->code[0] = r->message[0] = '\0';
	snprintf(r->etag, sizeof r->etag, "%s", k->etag);
	r->body = &k->body;
	if (a->cc == CURLE_ABORTED_BY_CALLBACK) {
		msg_seterr(e, MSG_EX_REMOTE_TEMP, "%s%s%s: interrupted",
		    NAME(rq));
		*stop_rc = AWS_FAIL_ALL;
		return -1;
	}
	if (a->cc != CURLE_OK)
		return retry_classify_curl(a->cc);
	read_answer(a);
	if (rq->own_codes != NULL && r->code[0] != '\0') {
		const char *const *oc;

		for (oc = rq->own_codes; *oc != NULL; oc++)
			if (strcmp(*oc, r->code) == 0)
				return RETRY_PERM;
	}
	return retry_classify(r->status, r->code);
}

/* The message of a request that gave up with class cls. */
static void
give_up(struct attempt *a, int cls, struct err *e)
{
	const struct aws_request *rq = a->rq;
	const struct aws_response *r = a->r;
	int code = cls == RETRY_AGAIN ? MSG_EX_REMOTE_TEMP :
	    MSG_EX_REMOTE_PERM;
	size_t l;

	if (a->cc != CURLE_OK) {
		msg_seterr(e, code, "%s%s%s: %s (curl %d)%s", NAME(rq),
		    a->k->errbuf[0] != '\0' ? a->k->errbuf :
		    curl_easy_strerror(a->cc), (int)a->cc,
		    a->cc == CURLE_PEER_FAILED_VERIFICATION ||
		    a->cc == CURLE_SSL_CACERT_BADFILE ? "; hint: the "
		    "server's certificate is not trusted: see --ca-bundle" : "");
	} else {
		const char *hn = a->c->cfg.hint != NULL ?
		    a->c->cfg.hint(r->code) : NULL;

		msg_seterr(e, code, "%s%s%s: %s%s%s (HTTP %ld)%s%s", NAME(rq),
		    r->code[0] != '\0' ? r->code : "error",
		    r->message[0] != '\0' ? ": " : "", r->message, r->status,
		    hn != NULL ? "; hint: " : "", hn != NULL ? hn : "");
	}
	if (cls != RETRY_AGAIN)
		return;
	l = strlen(e->msg);
	snprintf(e->msg + l, sizeof e->msg - l, "; gave up after %u attempts "
	    "in %.0f s%s", a->n, (double)(util_now_ms() - a->t0) / 1000.0,
	    a->broke ? " (retry budget spent: too many errors)" :
	    a->deadline && util_now_ms() + 100 >= a->end ? " (the deadline "
	    "came)" : "");
}

/* After a failed try of class cls: sleep and return 1 to try again, or 0
 * to give up. */
static int
again(struct attempt *a, int cls)
{
	struct aws_client *c = a->c;
	uint64_t now, d;
	unsigned cost;

	if (cls != RETRY_AGAIN || a->n >= a->max)
		return 0;
	now = util_now_ms();
	d = retry_backoff_ms(a->n, rnd(a->k));
	/* A try needs a moment after the backoff, or it cannot succeed. */
	if (end_of(a) != UINT64_MAX && now + d + 100 >= end_of(a))
		return 0;
	cost = a->cc == CURLE_OPERATION_TIMEDOUT ? RETRY_TIMEOUT_COST :
	    RETRY_COST;
	if (retry_budget_take(&c->budget, cost) < 0) {
		a->broke = 1;
		return 0;
	}
	a->spent += cost;
	a->r->retries++;
	stop_sleep(c, d, (a->rq->flags & AWS_FINISH) != 0);
	return 1;
}

/* The request's end: retry_time_ms after its start, or the deadline
 * (wall clock) if sooner. A deadline already passed fails it. */
static int
set_end(struct attempt *a, struct err *e)
{
	const struct aws_request *rq = a->rq;
	uint64_t dl = rq->deadline_ms != 0 ? rq->deadline_ms :
	    a->c->deadline_ms, now;

	a->end = a->c->cfg.retry_time_ms != 0 ? a->t0 +
	    a->c->cfg.retry_time_ms : UINT64_MAX;
	if (dl == 0)
		return 0;
	now = util_wall_ms();
	if (dl <= now + 100)
		return msg_seterr(e, MSG_EX_REMOTE_TEMP, "%s%s%s: not sent: the "
		    "deadline has come", NAME(rq));
	if (a->t0 + (dl - now) < a->end) {
		a->end = a->t0 + (dl - now);
		a->deadline = 1;
	}
	return 0;
}

int
aws_send(struct aws_client *c, struct aws_conn *k,
    const struct aws_request *rq, struct aws_response *r, struct err *e)
{
	struct attempt a;
	int rc = AWS_FAIL, finish = (rq->flags & AWS_FINISH) != 0;

	memset(&a, 0, sizeof a);
	memset(r, 0, sizeof *r);
	a.c = c;
	a.k = k;
	a.rq = rq;
	a.r = r;
	a.t0 = util_now_ms();
	a.max = rq->max_attempts != 0 ? rq->max_attempts :
	    c->cfg.max_attempts;
	r->body = &k->body;
	if (set_end(&a, e) < 0)
		return AWS_FAIL_ALL;
	aws_signed_init(&a.s);
	for (a.n = 1;; a.n++) {
		int cls;

		if (stopped(c, finish)) {
			msg_seterr(e, MSG_EX_REMOTE_TEMP, "%s%s%s: interrupted",
			    NAME(rq));
			rc = AWS_FAIL_ALL;
			break;
		}
		cls = try_once(&a, &rc, e);
		if (cls < 0)
			break;
		if (cls == RETRY_OK) {
			/* A success refunds its retries, or adds one token. */
			retry_budget_give(&c->budget, a.spent != 0 ? a.spent : 1);
			rc = AWS_OK;
			break;
		}
		if (cls == RETRY_REFRESH && !a.refreshed) {
			struct err re;

			a.refreshed = creds_refresh(c->cp, &re) == 0;
			cls = a.refreshed ? RETRY_AGAIN : RETRY_FATAL;
		} else if (cls == RETRY_REFRESH) {
			cls = RETRY_FATAL;
		}
		if (again(&a, cls))
			continue;
		give_up(&a, cls, e);
		rc = cls == RETRY_PERM ? AWS_FAIL : AWS_FAIL_ALL;
		break;
	}
	aws_signed_free(&a.s);
	return rc;
}

int
aws_call(struct aws_client *c, const struct aws_request *rq,
    struct buf *out, struct aws_response *r, struct err *e)
{
	struct aws_conn *k = aws_conn_get(c);
	int rc = aws_send(c, k, rq, r, e);

	out->len = 0;
	if (buf_add(out, k->body.p, k->body.len) < 0 && rc == AWS_OK)
		rc = msg_seterr(e, MSG_EX_REMOTE_PERM, "%s%s%s: the answer is "
		    "larger than %zu bytes", NAME(rq), out->max);
	r->body = NULL;
	aws_conn_put(c, k);
	return rc;
}

/* A POST / of the JSON and query protocols. */
static void
post_init(struct aws_request *rq, const struct aws_service *svc,
    const char *op, const struct sigv4_header *h, size_t nh,
    const char *body, size_t len)
{
	memset(rq, 0, sizeof *rq);
	rq->op = op;
	rq->what = svc->id;
	rq->method = "POST";
	rq->headers = h;
	rq->nheaders = nh;
	rq->body = body;
	rq->len = len;
}

int
aws_json_call(struct aws_client *c, const char *op, const char *json,
    const char *const *own_codes, struct buf *out, struct aws_response *r,
    struct err *e)
{
	const struct aws_service *svc = c->cfg.svc;
	struct sigv4_header h[2];
	struct aws_request rq;
	char target[128];

	snprintf(target, sizeof target, "%s.%s", svc->target != NULL ?
	    svc->target : "", op);
	h[0] = (struct sigv4_header){ "Content-Type", svc->content_type };
	h[1] = (struct sigv4_header){ "X-Amz-Target", target };
	if (json == NULL)
		json = "{}";
	post_init(&rq, svc, op, h, 2, json, strlen(json));
	rq.own_codes = own_codes;
	return aws_call(c, &rq, out, r, e);
}

int
aws_form_add(struct buf *form, const char *name, const char *value)
{
	if (buf_addc(form, '&') < 0 ||
	    sigv4_uri_encode(form, name, strlen(name), 0) < 0 ||
	    buf_addc(form, '=') < 0 ||
	    sigv4_uri_encode(form, value, strlen(value), 0) < 0)
		return -1;
	return 0;
}

int
aws_query_call(struct aws_client *c, const char *op, const char *params,
    int flags, struct buf *out, struct aws_response *r, struct err *e)
{
	const struct aws_service *svc = c->cfg.svc;
	struct sigv4_header h[1] = { { "Content-Type", svc->content_type } };
	struct aws_request rq;
	struct buf body;
	int rc;

	buf_init(&body, 1 << 20);
	if (buf_printf(&body, "Action=%s&Version=%s%s", op, svc->version,
	    params != NULL ? params : "") < 0) {
		buf_free(&body);
		return msg_seterr(e, MSG_EX_USAGE, "%s %s: the request is too "
		    "large", op, svc->id);
	}
	post_init(&rq, svc, op, h, 1, body.p, body.len);
	rq.flags = flags;
	rc = aws_call(c, &rq, out, r, e);
	buf_free(&body);
	return rc;
}
