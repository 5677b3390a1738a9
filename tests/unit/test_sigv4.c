/* SPDX-License-Identifier: MIT */
/* test_sigv4: the AWS SigV4 test suite (aws-c-auth v4 cases, Apache-2.0,
 * copied into tests/data/sigv4 with their licence), stage by stage, plus
 * the S3 key encoding table.
 *
 * The suite is found through DDBLAKE_SIGV4_SUITE, else DDBLAKE_TOP/tests/
 * data/sigv4, else relative to this binary ($top/<build>/unit/). */
#include <dirent.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jq.h>

#include "buf.h"
#include "sigv4.h"
#include "t.h"

#define MAXH 16

static char *
slurp(const char *dir, const char *name)
{
	char path[PATH_MAX + 600];
	FILE *f;
	struct buf b;
	char tmp[4096];
	size_t n;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	if ((f = fopen(path, "rb")) == NULL)
		return NULL;
	buf_init(&b, 1 << 20);
	while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
		if (buf_add(&b, tmp, n) < 0)
			break;
	fclose(f);
	(void)buf_str(&b);
	return b.p;
}

static const char *
suite_dir(char *out, size_t n)
{
	const char *s = getenv("DDBLAKE_SIGV4_SUITE");
	const char *top = getenv("DDBLAKE_TOP");
	char exe[PATH_MAX - 64];
	ssize_t k;
	int i;

	if (s != NULL && *s != '\0')
		return s;
	if (top != NULL && *top != '\0') {
		snprintf(out, n, "%s/tests/data/sigv4", top);
		return out;
	}
	/* $top/<build>/unit/test_sigv4: three levels up is $top. */
	k = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (k > 0) {
		exe[k] = '\0';
		for (i = 0; i < 3; i++) {
			char *sl = strrchr(exe, '/');

			if (sl != NULL)
				*sl = '\0';
		}
		snprintf(out, n, "%s/tests/data/sigv4", exe);
		return out;
	}
	return "tests/data/sigv4";
}

struct reqtxt {
	char method[16];
	char *path, *query;
	struct sigv4_header h[MAXH];
	size_t nh;
	const char *body;
	size_t bodylen;
};

/* Parse request.txt: request line, "Name:value" lines (a line starting with
 * white space continues the previous value), blank line, body. Modifies
 * `s` in place. */
static int
parse_request(char *s, struct reqtxt *r)
{
	char *line = s, *nl, *sp, *q;

	memset(r, 0, sizeof *r);
	nl = strchr(line, '\n');
	if (nl == NULL)
		return -1;
	*nl = '\0';
	sp = strchr(line, ' ');
	if (sp == NULL || (size_t)(sp - line) >= sizeof r->method)
		return -1;
	memcpy(r->method, line, (size_t)(sp - line));
	r->path = sp + 1;
	sp = strrchr(r->path, ' ');	/* " HTTP/1.1" */
	if (sp == NULL)
		return -1;
	*sp = '\0';
	if ((q = strchr(r->path, '?')) != NULL) {
		*q = '\0';
		r->query = q + 1;
	}
	line = nl + 1;
	while (*line != '\0' && *line != '\n') {
		char *colon;

		nl = strchr(line, '\n');
		if (nl != NULL)
			*nl = '\0';
		if ((*line == ' ' || *line == '\t') && r->nh > 0) {
			/* Fold: glue onto the previous value; canonical
			 * form squeezes the white space. */
			char *prev = (char *)(uintptr_t)r->h[r->nh - 1].value;
			size_t pl = strlen(prev), ll = strlen(line);

			memmove(prev + pl + 1, line, ll + 1);
			prev[pl] = ' ';
		} else {
			colon = strchr(line, ':');
			if (colon == NULL || r->nh == MAXH)
				return -1;
			*colon = '\0';
			r->h[r->nh].name = line;
			r->h[r->nh].value = colon + 1;
			r->nh++;
		}
		if (nl == NULL)
			return 0;
		line = nl + 1;
	}
	if (*line == '\n') {
		r->body = line + 1;
		r->bodylen = strlen(line + 1);
	}
	return 0;
}

static char *
cstr(struct buf *b)
{
	return (char *)(uintptr_t)buf_str(b);
}

static void
chomp(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = '\0';
}

static const char *
jstr(jv o, const char *a, const char *b, char *out, size_t n)
{
	jv v = jv_object_get(jv_copy(o), jv_string(a));

	if (b != NULL && jv_get_kind(v) == JV_KIND_OBJECT)
		v = jv_object_get(v, jv_string(b));
	if (jv_get_kind(v) != JV_KIND_STRING) {
		jv_free(v);
		return NULL;
	}
	snprintf(out, n, "%s", jv_string_value(v));
	jv_free(v);
	return out;
}

static int
jbool(jv o, const char *k)
{
	jv v = jv_object_get(jv_copy(o), jv_string(k));
	int r = jv_get_kind(v) == JV_KIND_TRUE;

	jv_free(v);
	return r;
}

/* "2015-08-30T12:36:00Z" -> time_t */
static time_t
parse_ts(const char *s)
{
	struct tm tm;

	memset(&tm, 0, sizeof tm);
	if (sscanf(s, "%d-%d-%dT%d:%d:%d", &tm.tm_year, &tm.tm_mon,
	    &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6)
		return (time_t)-1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return timegm(&tm);
}

static void
run_case(const char *suite, const char *name)
{
	char dir[PATH_MAX + 300], ak[128], sk[128], tok[1024], region[64], svc[64];
	char ts[64], amz[17], payload[65], sig[65];
	char *ctxs, *reqs, *want_creq, *want_sts, *want_sig, *want_sreq;
	char *want_auth = NULL, *p;
	struct reqtxt r;
	struct sigv4_header h[MAXH + 4];
	struct sigv4_request sr;
	struct buf path, creq, names, sts, auth;
	unsigned char key[32];
	jv ctx;
	size_t n, i;
	int has_tok;

	snprintf(dir, sizeof dir, "%s/%s", suite, name);
	ctxs = slurp(dir, "context.json");
	reqs = slurp(dir, "request.txt");
	want_creq = slurp(dir, "header-canonical-request.txt");
	want_sts = slurp(dir, "header-string-to-sign.txt");
	want_sig = slurp(dir, "header-signature.txt");
	want_sreq = slurp(dir, "header-signed-request.txt");
	if (ctxs == NULL || reqs == NULL || want_creq == NULL ||
	    want_sts == NULL || want_sig == NULL || want_sreq == NULL) {
		t_ok(0, "%s: case files readable", name);
		goto out;
	}
	ctx = jv_parse(ctxs);
	if (!jv_is_valid(ctx)) {
		jv_free(ctx);
		t_ok(0, "%s: context.json parses", name);
		goto out;
	}
	if (jbool(ctx, "normalize") && strstr(name, "-normalized") != NULL) {
		printf("ok %d - %s # SKIP path normalisation: S3 signs the "
		    "path as sent\n", ++t_n, name);
		jv_free(ctx);
		goto out;
	}
	jstr(ctx, "credentials", "access_key_id", ak, sizeof ak);
	jstr(ctx, "credentials", "secret_access_key", sk, sizeof sk);
	has_tok = jstr(ctx, "credentials", "token", tok, sizeof tok) != NULL &&
	    !jbool(ctx, "omit_session_token");
	jstr(ctx, "region", NULL, region, sizeof region);
	jstr(ctx, "service", NULL, svc, sizeof svc);
	jstr(ctx, "timestamp", NULL, ts, sizeof ts);
	sigv4_amz_date(parse_ts(ts), amz);

	if (parse_request(reqs, &r) < 0) {
		t_ok(0, "%s: request.txt parses", name);
		jv_free(ctx);
		goto out;
	}
	sigv4_sha256_hex(r.body != NULL ? r.body : "", r.bodylen, payload);
	n = 0;
	for (i = 0; i < r.nh; i++)
		h[n++] = r.h[i];
	h[n].name = "X-Amz-Date";
	h[n++].value = amz;
	if (has_tok) {
		h[n].name = "X-Amz-Security-Token";
		h[n++].value = tok;
	}
	if (jbool(ctx, "sign_body")) {
		h[n].name = "X-Amz-Content-Sha256";
		h[n++].value = payload;
	}
	buf_init(&path, 1 << 20);
	buf_init(&creq, 1 << 20);
	buf_init(&names, 1 << 20);
	buf_init(&sts, 1 << 20);
	buf_init(&auth, 1 << 20);
	sigv4_uri_encode(&path, r.path, strlen(r.path), 1);
	sr.method = r.method;
	sr.path = cstr(&path);
	sr.query = r.query;
	sr.headers = h;
	sr.nheaders = n;
	sr.payload_hash = payload;

	t_ok(sigv4_canonical_request(&creq, &names, &sr) == 0,
	    "%s: canonical request builds", name);
	chomp(want_creq);
	t_streq(cstr(&creq), want_creq, "canonical request");
	sigv4_string_to_sign(&sts, amz, region, svc, creq.p, creq.len);
	chomp(want_sts);
	t_streq(cstr(&sts), want_sts, "string to sign");
	sigv4_signing_key(key, sk, amz, region, svc);
	sigv4_signature(sig, key, sts.p, sts.len);
	chomp(want_sig);
	t_streq(sig, want_sig, "signature");
	sigv4_authorization(&auth, ak, amz, region, svc, cstr(&names), sig);
	if ((p = strstr(want_sreq, "\nAuthorization:")) != NULL) {
		want_auth = p + strlen("\nAuthorization:");
		if ((p = strchr(want_auth, '\n')) != NULL)
			*p = '\0';
	}
	t_streq(cstr(&auth), want_auth, "authorization header");
	buf_free(&path);
	buf_free(&creq);
	buf_free(&names);
	buf_free(&sts);
	buf_free(&auth);
	jv_free(ctx);
out:
	free(ctxs);
	free(reqs);
	free(want_creq);
	free(want_sts);
	free(want_sig);
	free(want_sreq);
}

static int
namecmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
test_suite(void)
{
	char buf[PATH_MAX];
	const char *suite = suite_dir(buf, sizeof buf);
	DIR *d = opendir(suite);
	struct dirent *de;
	char *names[256];
	size_t n = 0, i;

	if (d == NULL) {
		t_ok(0, "sigv4 test suite found at %s (set DDBLAKE_TOP or "
		    "DDBLAKE_SIGV4_SUITE)", suite);
		return;
	}
	while ((de = readdir(d)) != NULL && n < 256) {
		char ctx[PATH_MAX + 300];

		if (de->d_name[0] == '.')
			continue;
		snprintf(ctx, sizeof ctx, "%s/%s/context.json", suite,
		    de->d_name);
		if (access(ctx, R_OK) == 0)
			names[n++] = strdup(de->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof *names, namecmp);
	t_ok(n >= 38, "suite has its 38 v4 cases (found %zu)", n);
	for (i = 0; i < n; i++) {
		run_case(suite, names[i]);
		free(names[i]);
	}
}

static const struct {
	const char *name, *in, *want;
	int keep_slash;
} enc_cases[] = {
	{ "plain key", "dir/file.json", "dir/file.json", 1 },
	{ "space", "a b", "a%20b", 1 },
	{ "plus", "a+b", "a%2Bb", 1 },
	{ "equals (hive partition)", "dt=2024-06-25/x", "dt%3D2024-06-25/x",
	    1 },
	{ "percent", "100%", "100%25", 1 },
	{ "utf-8", "caf\xc3\xa9", "caf%C3%A9", 1 },
	{ "tilde and unreserved kept", "a-b_c.d~e", "a-b_c.d~e", 1 },
	{ "slash kept in keys", "a/b//c/", "a/b//c/", 1 },
	{ "slash encoded in query values", "a/b", "a%2Fb", 0 },
	{ "reserved characters", "!*'();:@&$,?#[]", "%21%2A%27%28%29%3B"
	    "%3A%40%26%24%2C%3F%23%5B%5D", 1 },
	{ "control and high bytes", "\x01\x7f\xff", "%01%7F%FF", 1 },
};

static const struct {
	const char *name, *in, *want;
} query_cases[] = {
	{ "valueless key gets '='", "uploads", "uploads=" },
	{ "sorted by key", "uploadId=abc&partNumber=2",
	    "partNumber=2&uploadId=abc" },
	{ "pre-encoded values kept once", "prefix=a%2Fb&list-type=2",
	    "list-type=2&prefix=a%2Fb" },
	{ "raw reserved bytes encoded", "prefix=a/b c", "prefix=a%2Fb%20c" },
	{ "same key sorted by value", "k=b&k=a", "k=a&k=b" },
};

static void
test_encoding(void)
{
	size_t i;

	for (i = 0; i < sizeof enc_cases / sizeof enc_cases[0]; i++) {
		struct buf b;

		buf_init(&b, 1 << 20);
		sigv4_uri_encode(&b, enc_cases[i].in, strlen(enc_cases[i].in),
		    enc_cases[i].keep_slash);
		t_streq(cstr(&b), enc_cases[i].want, enc_cases[i].name);
		buf_free(&b);
	}
	for (i = 0; i < sizeof query_cases / sizeof query_cases[0]; i++) {
		struct buf b;

		buf_init(&b, 1 << 20);
		sigv4_canonical_query(&b, query_cases[i].in);
		t_streq(cstr(&b), query_cases[i].want, query_cases[i].name);
		buf_free(&b);
	}
}

/* AWS S3 documentation example: GET /test.txt with a Range header
 * (examplebucket, 20130524T000000Z, AKIAIOSFODNN7EXAMPLE). */
static void
test_s3_doc_example(void)
{
	static const struct sigv4_header h[] = {
		{ "Host", "examplebucket.s3.amazonaws.com" },
		{ "Range", "bytes=0-9" },
		{ "x-amz-content-sha256", SIGV4_EMPTY_SHA256 },
		{ "x-amz-date", "20130524T000000Z" },
	};
	struct sigv4_request r = { "GET", "/test.txt", NULL, h, 4,
	    SIGV4_EMPTY_SHA256 };
	struct buf creq, names, sts;
	unsigned char key[32];
	char sig[65];

	buf_init(&creq, 1 << 20);
	buf_init(&names, 1 << 20);
	buf_init(&sts, 1 << 20);
	sigv4_canonical_request(&creq, &names, &r);
	sigv4_string_to_sign(&sts, "20130524T000000Z", "us-east-1", "s3",
	    creq.p, creq.len);
	sigv4_signing_key(key, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
	    "20130524", "us-east-1", "s3");
	sigv4_signature(sig, key, sts.p, sts.len);
	t_streq(cstr(&names), "host;range;x-amz-content-sha256;x-amz-date",
	    "s3 doc example: signed headers");
	t_streq(sig, "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c"
	    "6036bdb41", "s3 doc example: signature");
	buf_free(&creq);
	buf_free(&names);
	buf_free(&sts);
}

int
main(void)
{
	test_suite();
	test_encoding();
	test_s3_doc_example();
	return t_done();
}
