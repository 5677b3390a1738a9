/* SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "sigv4.h"
#include "util.h"

static const char hexd[] = "0123456789abcdef";
static const char hexu[] = "0123456789ABCDEF";

void
sigv4_hex(char *out, const unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hexd[p[i] >> 4];
		out[2 * i + 1] = hexd[p[i] & 15];
	}
	out[2 * n] = '\0';
}

void
sigv4_sha256_hex(const void *p, size_t n, char hex[65])
{
	unsigned char md[SHA256_DIGEST_LENGTH];

	SHA256(p, n, md);
	sigv4_hex(hex, md, sizeof md);
}

void
sigv4_amz_date(time_t t, char out[17])
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm);
}

static int
unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
	    c == '~';
}

int
sigv4_uri_encode(struct buf *out, const char *s, size_t n, int keep_slash)
{
	size_t i;

	if (buf_grow(out, n * 3) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (unreserved(c) || (keep_slash && c == '/')) {
			out->p[out->len++] = (char)c;
		} else {
			out->p[out->len++] = '%';
			out->p[out->len++] = hexu[c >> 4];
			out->p[out->len++] = hexu[c & 15];
		}
	}
	return 0;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Percent-decode s[0..n) then encode it canonically onto out. */
static int
reencode(struct buf *out, const char *s, size_t n)
{
	char tmp[256] = "", *d = n <= sizeof tmp ? tmp : xmalloc(n);
	size_t i, k = 0;
	int r;

	for (i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n &&
		    hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
			d[k++] = (char)(hexval(s[i + 1]) * 16 +
			    hexval(s[i + 2]));
			i += 2;
		} else {
			d[k++] = s[i];
		}
	}
	r = sigv4_uri_encode(out, d, k, 0);
	if (d != tmp)
		free(d);
	return r;
}

struct qpair {
	const char *base;		/* the encoded buffer */
	size_t k, klen, v, vlen;	/* offsets into it */
};

static int
qcmp(const void *a, const void *b)
{
	const struct qpair *x = a, *y = b;
	const char *qbase = x->base;
	size_t n = x->klen < y->klen ? x->klen : y->klen;
	int c = memcmp(qbase + x->k, qbase + y->k, n);

	if (c != 0)
		return c;
	if (x->klen != y->klen)
		return x->klen < y->klen ? -1 : 1;
	n = x->vlen < y->vlen ? x->vlen : y->vlen;
	c = memcmp(qbase + x->v, qbase + y->v, n);
	if (c != 0)
		return c;
	return x->vlen < y->vlen ? -1 : x->vlen > y->vlen;
}

int
sigv4_canonical_query(struct buf *out, const char *query)
{
	struct buf enc;
	struct qpair *pairs = NULL;
	size_t np = 0, cap = 0, i;
	const char *p = query;
	int r = 0;

	if (query == NULL || *query == '\0')
		return 0;
	buf_init(&enc, SIGV4_BUF_MAX);
	while (*p != '\0') {
		const char *amp = strchr(p, '&');
		size_t len = amp != NULL ? (size_t)(amp - p) : strlen(p);
		const char *eq = memchr(p, '=', len);
		size_t kl = eq != NULL ? (size_t)(eq - p) : len;
		struct qpair q;

		if (len != 0) {
			q.base = NULL;	/* set once enc stops moving */
			q.k = enc.len;
			if (reencode(&enc, p, kl) < 0)
				r = -1;
			q.klen = enc.len - q.k;
			q.v = enc.len;
			if (eq != NULL && reencode(&enc, eq + 1,
			    len - kl - 1) < 0)
				r = -1;
			q.vlen = enc.len - q.v;
			if (np == cap) {
				cap = cap != 0 ? cap * 2 : 8;
				pairs = xrealloc(pairs, cap * sizeof *pairs);
			}
			pairs[np++] = q;
		}
		p += len;
		if (*p == '&')
			p++;
	}
	/* No global for the comparator: several threads sign at once. */
	for (i = 0; i < np; i++)
		pairs[i].base = enc.p;
	qsort(pairs, np, sizeof *pairs, qcmp);
	for (i = 0; i < np && r == 0; i++) {
		if ((i > 0 && buf_addc(out, '&') < 0) ||
		    buf_add(out, enc.p + pairs[i].k, pairs[i].klen) < 0 ||
		    buf_addc(out, '=') < 0 ||
		    buf_add(out, enc.p + pairs[i].v, pairs[i].vlen) < 0)
			r = -1;
	}
	free(pairs);
	buf_free(&enc);
	return r;
}

struct hent {
	const struct sigv4_header *h;
	size_t idx;
};

static int
hcmp(const void *a, const void *b)
{
	const struct hent *x = a, *y = b;
	int c = strcasecmp(x->h->name, y->h->name);

	if (c != 0)
		return c;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Trimmed value with white-space runs squeezed to one space. */
static int
add_value(struct buf *out, const char *v)
{
	int space = 0, any = 0;

	for (; *v != '\0'; v++) {
		if (*v == ' ' || *v == '\t' || *v == '\r' || *v == '\n') {
			space = any;
			continue;
		}
		if (space && buf_addc(out, ' ') < 0)
			return -1;
		if (buf_addc(out, *v) < 0)
			return -1;
		space = 0;
		any = 1;
	}
	return 0;
}

static int
add_lower(struct buf *out, const char *s)
{
	for (; *s != '\0'; s++)
		if (buf_addc(out, (char)tolower((unsigned char)*s)) < 0)
			return -1;
	return 0;
}

int
sigv4_canonical_headers(struct buf *canon, struct buf *names,
    const struct sigv4_header *h, size_t n)
{
	struct hent st[32], *e = n <= 32 ? st : xmalloc(n * sizeof *e);
	size_t i;
	int r = 0;

	for (i = 0; i < n; i++) {
		e[i].h = &h[i];
		e[i].idx = i;
	}
	qsort(e, n, sizeof *e, hcmp);
	for (i = 0; i < n && r == 0; i++) {
		int dup = i > 0 && strcasecmp(e[i].h->name,
		    e[i - 1].h->name) == 0;

		if (dup) {
			r = buf_addc(canon, ',');
		} else {
			if (i > 0)
				r |= buf_addc(canon, '\n');
			r |= add_lower(canon, e[i].h->name);
			r |= buf_addc(canon, ':');
			if (names != NULL) {
				if (names->len > 0)
					r |= buf_addc(names, ';');
				r |= add_lower(names, e[i].h->name);
			}
		}
		r |= add_value(canon, e[i].h->value);
	}
	if (n > 0)
		r |= buf_addc(canon, '\n');
	/* Keep names NUL-terminated for callers that use it as a string. */
	if (names != NULL) {
		r |= buf_addc(names, '\0');
		names->len--;
	}
	if (e != st)
		free(e);
	return r != 0 ? -1 : 0;
}

int
sigv4_canonical_request(struct buf *out, struct buf *signed_names,
    const struct sigv4_request *r)
{
	struct buf names;
	struct buf *nm;
	int rc = 0;

	buf_init(&names, SIGV4_BUF_MAX);
	nm = signed_names != NULL ? signed_names : &names;
	rc |= buf_addstr(out, r->method);
	rc |= buf_addc(out, '\n');
	rc |= buf_addstr(out, r->path != NULL && *r->path != '\0' ?
	    r->path : "/");
	rc |= buf_addc(out, '\n');
	rc |= sigv4_canonical_query(out, r->query);
	rc |= buf_addc(out, '\n');
	rc |= sigv4_canonical_headers(out, nm, r->headers, r->nheaders);
	rc |= buf_addc(out, '\n');
	rc |= buf_add(out, nm->p, nm->len);
	rc |= buf_addc(out, '\n');
	rc |= buf_addstr(out, r->payload_hash);
	buf_free(&names);
	return rc != 0 ? -1 : 0;
}

int
sigv4_string_to_sign(struct buf *out, const char *amz_date,
    const char *region, const char *service, const char *creq, size_t len)
{
	char hex[65];

	sigv4_sha256_hex(creq, len, hex);
	return buf_printf(out, SIGV4_ALGORITHM "\n%s\n%.8s/%s/%s/aws4_request"
	    "\n%s", amz_date, amz_date, region, service, hex);
}

static void
hmac(unsigned char out[32], const void *key, size_t klen, const void *msg,
    size_t mlen)
{
	unsigned char md[32];
	unsigned int n = 32;

	HMAC(EVP_sha256(), key, (int)klen, msg, mlen, md, &n);
	memcpy(out, md, 32);
}

void
sigv4_signing_key(unsigned char key[32], const char *secret,
    const char *date8, const char *region, const char *service)
{
	size_t sl = strlen(secret);
	char *k = xmalloc(sl + 5);

	memcpy(k, "AWS4", 4);
	memcpy(k + 4, secret, sl + 1);
	hmac(key, k, sl + 4, date8, 8);
	OPENSSL_cleanse(k, sl + 4);
	free(k);
	hmac(key, key, 32, region, strlen(region));
	hmac(key, key, 32, service, strlen(service));
	hmac(key, key, 32, "aws4_request", 12);
}

void
sigv4_signature(char hex[65], const unsigned char key[32], const char *sts,
    size_t len)
{
	unsigned char md[32];

	hmac(md, key, 32, sts, len);
	sigv4_hex(hex, md, 32);
}

int
sigv4_authorization(struct buf *out, const char *access_key,
    const char *amz_date, const char *region, const char *service,
    const char *signed_names, const char *sig_hex)
{
	return buf_printf(out, SIGV4_ALGORITHM " Credential=%s/%.8s/%s/%s/"
	    "aws4_request, SignedHeaders=%s, Signature=%s", access_key,
	    amz_date, region, service, signed_names, sig_hex);
}
