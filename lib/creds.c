/* SPDX-License-Identifier: MIT */
/* creds: the credential chain AWS tools use (see creds.h): environment,
 * shared credentials/config files, ECS container endpoint, EC2 IMDSv2.
 * HTTP through libcurl, JSON through libjq. */
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <jq.h>

#include "buf.h"
#include "creds.h"
#include "util.h"

enum kind { K_STATIC, K_ECS, K_IMDS, K_SOURCE };

#define ECS_HOST	"http://169.254.170.2"
#define IMDS_HOST	"http://169.254.169.254"
#define IMDS_HOST6	"http://[fd00:ec2::254]"
#define IMDS_TTL	"21600"
#define HTTP_MAX	(64 * 1024)
/* Link-local endpoints answer in microseconds; a machine without them must
 * fail fast rather than hang a cron job (AWS SDKs use 1 s as well). */
#define HTTP_CONNECT_MS	1000L
#define HTTP_TOTAL_MS	2000L
/* Least time between two refresh attempts while keys are still valid. */
#define CREDS_RETRY_MS	1000

/* Old credential strings are kept until creds_free, so a pointer handed
 * out by creds_get stays valid while another thread refreshes. */
struct retired {
	struct retired *next;
	char *s[3];
};

struct creds_provider {
	pthread_mutex_t mu;
	enum kind kind;
	char *ak, *sk, *token;
	uint64_t expires_ms;
	uint64_t fetched_ms;	/* wall clock of the last fetch attempt */
	char source[96];
	char *region;
	/* ECS: full URL and Authorization value (or token file); IMDS: base. */
	char *url;
	char *auth;
	char *auth_file;
	/* K_SOURCE: another module's fetch. */
	const struct creds_source *src;
	void *src_ud;
	struct retired *old;
};

/* ---- small string helpers ---- */

static char *
trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static const char *
env(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && *v != '\0' ? v : NULL;
}

static char *
dup_or_null(const char *s)
{
	return s != NULL && *s != '\0' ? xstrdup(s) : NULL;
}

/* "~/x" against $HOME; the caller frees. */
static char *
expand_home(const char *path)
{
	const char *home = env("HOME");
	char *r;

	if (path[0] != '~' || (path[1] != '/' && path[1] != '\0') ||
	    home == NULL)
		return xstrdup(path);
	r = xmalloc(strlen(home) + strlen(path));
	strcpy(r, home);
	strcat(r, path + 1);
	return r;
}

/* ---- shared credentials and config files ---- */

struct profile {
	char *ak, *sk, *token, *region;
	int found;		/* the section exists */
};

static void
profile_free(struct profile *pr)
{
	free(pr->ak);
	free(pr->sk);
	free(pr->token);
	free(pr->region);
	memset(pr, 0, sizeof *pr);
}

static void
set_value(char **dst, const char *v)
{
	/* Within one file the last assignment wins, as in botocore. */
	free(*dst);
	*dst = dup_or_null(v);
}

/* Read section `want` (e.g. "default", "profile prod") of an INI file into
 * pr, leaving fields already set by an earlier file alone. Returns 0, or
 * -1 if the file exists but cannot be read. A missing file is no error. */
static int
ini_read(const char *path, const char *want, const char *alt,
    struct profile *pr, struct err *e)
{
	struct profile got = { 0 };
	FILE *f;
	char *line = NULL, *s, *k, *v, *eq;
	size_t cap = 0;
	int in = 0;

	f = fopen(path, "r");
	if (f == NULL) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		return msg_seterr(e, MSG_EX_USAGE, "%s: %s", path, strerror(errno));
	}
	while (getline(&line, &cap, f) != -1) {
		/* Indented lines continue a nested value (s3 = ...): skip. */
		if (line[0] == ' ' || line[0] == '\t') {
			continue;
		}
		s = trim(line);
		if (*s == '\0' || *s == '#' || *s == ';')
			continue;
		if (*s == '[') {
			char *end = strchr(s, ']');

			if (end == NULL) {
				in = 0;
				continue;
			}
			*end = '\0';
			s = trim(s + 1);
			/* "[profile  x]": any run of blanks after "profile". */
			if (strncmp(s, "profile", 7) == 0 &&
			    isspace((unsigned char)s[7])) {
				char norm[256];

				snprintf(norm, sizeof norm, "profile %s",
				    trim(s + 8));
				in = strcmp(norm, want) == 0 ||
				    (alt != NULL && strcmp(norm, alt) == 0);
			} else {
				in = strcmp(s, want) == 0 ||
				    (alt != NULL && strcmp(s, alt) == 0);
			}
			if (in)
				got.found = 1;
			continue;
		}
		if (!in || (eq = strchr(s, '=')) == NULL)
			continue;
		*eq = '\0';
		k = trim(s);
		v = trim(eq + 1);
		for (s = k; *s != '\0'; s++)
			*s = (char)tolower((unsigned char)*s);
		if (strcmp(k, "aws_access_key_id") == 0)
			set_value(&got.ak, v);
		else if (strcmp(k, "aws_secret_access_key") == 0)
			set_value(&got.sk, v);
		else if (strcmp(k, "aws_session_token") == 0 ||
		    (strcmp(k, "aws_security_token") == 0 &&
		    got.token == NULL))
			set_value(&got.token, v);
		else if (strcmp(k, "region") == 0)
			set_value(&got.region, v);
	}
	free(line);
	if (ferror(f)) {
		fclose(f);
		profile_free(&got);
		return msg_seterr(e, MSG_EX_USAGE, "%s: %s", path, strerror(errno));
	}
	fclose(f);
	pr->found |= got.found;
	/* Keys travel as a set: a file that has both supplies all three. */
	if (pr->ak == NULL && got.ak != NULL && got.sk != NULL) {
		pr->ak = got.ak;
		pr->sk = got.sk;
		pr->token = got.token;
		got.ak = got.sk = got.token = NULL;
	}
	if (pr->region == NULL) {
		pr->region = got.region;
		got.region = NULL;
	}
	profile_free(&got);
	return 0;
}

/* Credentials file first (section [NAME]), then the config file
 * ([profile NAME], or [default]). */
static int
profile_load(const char *name, struct profile *pr, struct err *e)
{
	char *cred, *conf, sect[300];
	int rc;

	cred = expand_home(env("AWS_SHARED_CREDENTIALS_FILE") != NULL ?
	    env("AWS_SHARED_CREDENTIALS_FILE") : "~/.aws/credentials");
	conf = expand_home(env("AWS_CONFIG_FILE") != NULL ?
	    env("AWS_CONFIG_FILE") : "~/.aws/config");
	rc = ini_read(cred, name, NULL, pr, e);
	if (rc == 0) {
		snprintf(sect, sizeof sect, "profile %s", name);
		rc = ini_read(conf, strcmp(name, "default") == 0 ? "default" :
		    sect, strcmp(name, "default") == 0 ? sect : NULL, pr, e);
	}
	free(cred);
	free(conf);
	return rc;
}

/* ---- HTTP (ECS, IMDS) ---- */

static size_t
on_body(char *p, size_t sz, size_t n, void *arg)
{
	struct buf *b = arg;

	if (buf_add(b, p, sz * n) < 0)
		return 0;	/* over HTTP_MAX: abort the transfer */
	return sz * n;
}

/* One request; the body (NUL-terminated) in b, the status in *status.
 * Network failures return -1 with MSG_EX_REMOTE_TEMP. */
static int
http(const char *method, const char *url, const char *h1, const char *h2,
    struct buf *b, long *status, struct err *e)
{
	CURL *c;
	struct curl_slist *hl = NULL;
	CURLcode rc;

	b->len = 0;
	*status = 0;
	c = curl_easy_init();
	if (c == NULL)
		return msg_seterr(e, MSG_EX_IO, "curl_easy_init failed");
	if (h1 != NULL)
		hl = curl_slist_append(hl, h1);
	if (h2 != NULL)
		hl = curl_slist_append(hl, h2);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	if (strcmp(method, "PUT") == 0) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, 0L);
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, b);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, HTTP_CONNECT_MS);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, HTTP_TOTAL_MS);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	/* The metadata services are local: never go through a proxy. */
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	rc = curl_easy_perform(c);
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
	curl_easy_cleanup(c);
	curl_slist_free_all(hl);
	if (rc != CURLE_OK)
		return msg_seterr(e, MSG_EX_REMOTE_TEMP, "%s %s: %s", method, url,
		    curl_easy_strerror(rc));
	if (buf_addc(b, '\0') < 0)
		return msg_seterr(e, MSG_EX_REMOTE_TEMP, "%s %s: response too large",
		    method, url);
	b->len--;
	return 0;
}

static int
http_status_err(const char *method, const char *url, long status,
    struct err *e)
{
	return msg_seterr(e, status >= 500 || status == 429 ? MSG_EX_REMOTE_TEMP :
	    MSG_EX_REMOTE_PERM, "%s %s: HTTP %ld", method, url, status);
}

/* "2026-11-24T01:02:03Z", optional fraction, "Z" or "+00:00". */
static int
parse_iso8601(const char *s, uint64_t *ms)
{
	struct tm tm = { 0 };
	int n = 0;
	time_t t;
	const char *p;

	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon,
	    &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6)
		return -1;
	p = s + n;
	if (*p == '.')
		for (p++; isdigit((unsigned char)*p); p++)
			;
	if (strcmp(p, "Z") != 0 && strcmp(p, "+00:00") != 0 &&
	    strcmp(p, "z") != 0)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	t = timegm(&tm);
	if (t == (time_t)-1)
		return -1;
	*ms = (uint64_t)t * 1000;
	return 0;
}

static char *
json_str(jv o, const char *key)
{
	jv v = jv_object_get(jv_copy(o), jv_string(key));
	char *r = NULL;

	if (jv_get_kind(v) == JV_KIND_STRING)
		r = dup_or_null(jv_string_value(v));
	jv_free(v);
	return r;
}

/* New keys (owned strings) in p; the old ones are kept until creds_free,
 * since other threads may still hold them. */
static void
install(struct creds_provider *p, char *ak, char *sk, char *tok,
    uint64_t expires_ms)
{
	struct retired *r = xmalloc(sizeof *r);

	r->s[0] = p->ak;
	r->s[1] = p->sk;
	r->s[2] = p->token;
	r->next = p->old;
	p->old = r;
	p->ak = ak;
	p->sk = sk;
	p->token = tok;
	p->expires_ms = expires_ms;
}

/* Parse the credentials JSON both ECS and IMDS return. The body holds a
 * secret, so no part of it goes into a message. */
static int
parse_creds_json(struct creds_provider *p, const struct buf *b,
    const char *url, struct err *e)
{
	jv o = jv_parse_sized(b->p, (int)b->len);
	char *ak, *sk, *tok, *exp, *code;
	uint64_t ms = 0;
	int rc = 0;

	if (jv_get_kind(o) != JV_KIND_OBJECT) {
		jv_free(o);
		return msg_seterr(e, MSG_EX_REMOTE_TEMP, "%s: credentials response is "
		    "not a JSON object", url);
	}
	ak = json_str(o, "AccessKeyId");
	sk = json_str(o, "SecretAccessKey");
	tok = json_str(o, "Token");
	exp = json_str(o, "Expiration");
	code = json_str(o, "Code");
	jv_free(o);
	if (code != NULL && strcmp(code, "Success") != 0)
		rc = msg_seterr(e, MSG_EX_REMOTE_PERM, "%s: credentials Code %.64s",
		    url, code);
	else if (ak == NULL || sk == NULL)
		rc = msg_seterr(e, MSG_EX_REMOTE_TEMP, "%s: credentials response "
		    "lacks AccessKeyId or SecretAccessKey", url);
	else if (exp != NULL && parse_iso8601(exp, &ms) < 0)
		rc = msg_seterr(e, MSG_EX_REMOTE_TEMP, "%s: bad Expiration %.40s",
		    url, exp);
	if (rc < 0) {
		free(ak);
		free(sk);
		free(tok);
	} else {
		install(p, ak, sk, tok, ms);
	}
	free(exp);
	free(code);
	return rc;
}

/* Authorization header value for ECS: the token file wins over the
 * variable, and is read on every fetch (it is rotated in place). */
static int
ecs_auth(struct creds_provider *p, char *hdr, size_t n, struct err *e)
{
	char tok[4096], *t;
	size_t len;
	FILE *f;

	hdr[0] = '\0';
	if (p->auth_file != NULL) {
		f = fopen(p->auth_file, "r");
		if (f == NULL)
			return msg_seterr(e, MSG_EX_USAGE, "%s: %s", p->auth_file,
			    strerror(errno));
		len = fread(tok, 1, sizeof tok - 1, f);
		fclose(f);
		tok[len] = '\0';
		t = trim(tok);
	} else if (p->auth != NULL) {
		snprintf(tok, sizeof tok, "%s", p->auth);
		t = tok;
	} else {
		return 0;
	}
	if (strpbrk(t, "\r\n") != NULL)
		return msg_seterr(e, MSG_EX_USAGE, "container authorization token "
		    "contains a line break");
	snprintf(hdr, n, "Authorization: %s", t);
	return 0;
}

static int
ecs_fetch(struct creds_provider *p, struct err *e)
{
	struct buf b;
	char hdr[4200];
	long st;
	int rc;

	if (ecs_auth(p, hdr, sizeof hdr, e) < 0)
		return -1;
	buf_init(&b, HTTP_MAX);
	rc = http("GET", p->url, hdr[0] != '\0' ? hdr : NULL, NULL, &b, &st,
	    e);
	memset(hdr, 0, sizeof hdr);
	if (rc == 0 && st != 200)
		rc = http_status_err("GET", p->url, st, e);
	if (rc == 0)
		rc = parse_creds_json(p, &b, p->url, e);
	buf_free(&b);
	return rc;
}

static int
imds_fetch(struct creds_provider *p, struct err *e)
{
	struct buf b;
	char url[1024], hdr[512], role[256], *nl;
	long st;
	int rc;

	buf_init(&b, HTTP_MAX);
	snprintf(url, sizeof url, "%s/latest/api/token", p->url);
	rc = http("PUT", url, "X-aws-ec2-metadata-token-ttl-seconds: "
	    IMDS_TTL, NULL, &b, &st, e);
	if (rc == 0 && st != 200)
		rc = http_status_err("PUT", url, st, e);
	if (rc == 0 && (b.len == 0 || b.len > 400 ||
	    strpbrk(b.p, "\r\n") != NULL))
		rc = msg_seterr(e, MSG_EX_REMOTE_TEMP, "PUT %s: bad token", url);
	if (rc < 0)
		goto out;
	snprintf(hdr, sizeof hdr, "X-aws-ec2-metadata-token: %s", b.p);

	snprintf(url, sizeof url, "%s/latest/meta-data/iam/"
	    "security-credentials/", p->url);
	rc = http("GET", url, hdr, NULL, &b, &st, e);
	if (rc == 0 && st == 404)
		rc = msg_seterr(e, MSG_EX_USAGE, "GET %s: no IAM role attached to "
		    "this instance", url);
	else if (rc == 0 && st != 200)
		rc = http_status_err("GET", url, st, e);
	if (rc < 0)
		goto out;
	if ((nl = strchr(b.p, '\n')) != NULL)
		*nl = '\0';
	snprintf(role, sizeof role, "%s", trim(b.p));
	if (role[0] == '\0' || strpbrk(role, "/?#%") != NULL) {
		rc = msg_seterr(e, MSG_EX_REMOTE_TEMP, "GET %s: bad role name", url);
		goto out;
	}
	snprintf(url, sizeof url, "%s/latest/meta-data/iam/"
	    "security-credentials/%s", p->url, role);
	rc = http("GET", url, hdr, NULL, &b, &st, e);
	if (rc == 0 && st != 200)
		rc = http_status_err("GET", url, st, e);
	if (rc == 0)
		rc = parse_creds_json(p, &b, url, e);
	if (rc == 0)
		snprintf(p->source, sizeof p->source, "imds");
out:
	memset(hdr, 0, sizeof hdr);
	buf_free(&b);
	return rc;
}

/* Plain http is allowed only to addresses on this host or the link-local
 * container endpoints, as in AWS SDKs: a token must not cross a network. */
static int
full_uri_ok(const char *u)
{
	static const char *const ok[] = {
		"http://127.", "http://localhost:", "http://localhost/",
		"http://[::1]", "http://169.254.170.2:", "http://169.254.170.2/",
		"http://169.254.170.23:", "http://169.254.170.23/",
		"http://[fd00:ec2::23]",
	};
	size_t i;

	if (strncasecmp(u, "https://", 8) == 0)
		return 1;
	for (i = 0; i < sizeof ok / sizeof ok[0]; i++)
		if (strncasecmp(u, ok[i], strlen(ok[i])) == 0)
			return 1;
	return strcasecmp(u, "http://localhost") == 0;
}

/* K_SOURCE: the other module's fetch, its strings copied. */
static int
source_fetch(struct creds_provider *p, struct err *e)
{
	struct creds c;

	memset(&c, 0, sizeof c);
	if (p->src->fetch(p->src_ud, &c, e) < 0)
		return -1;
	if (c.access_key == NULL || *c.access_key == '\0' ||
	    c.secret_key == NULL || *c.secret_key == '\0')
		return msg_seterr(e, MSG_EX_REMOTE_TEMP, "%s: no access key or "
		    "secret key", p->src->name);
	install(p, xstrdup(c.access_key), xstrdup(c.secret_key),
	    dup_or_null(c.session_token), c.expires_ms);
	return 0;
}

static int
fetch(struct creds_provider *p, struct err *e)
{
	p->fetched_ms = util_wall_ms();
	if (p->kind == K_SOURCE)
		return source_fetch(p, e);
	return p->kind == K_ECS ? ecs_fetch(p, e) : imds_fetch(p, e);
}

static void
strip_slash(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && s[n - 1] == '/')
		s[--n] = '\0';
}

/* ---- the chain ---- */

static int
try_env(struct creds_provider *p, struct err *e)
{
	const char *ak = env("AWS_ACCESS_KEY_ID");
	const char *sk = env("AWS_SECRET_ACCESS_KEY");

	if (ak == NULL && sk == NULL)
		return 0;
	if (ak == NULL || sk == NULL)
		return msg_seterr(e, MSG_EX_USAGE, "%s is set but %s is not",
		    ak != NULL ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
		    ak != NULL ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID");
	p->kind = K_STATIC;
	p->ak = xstrdup(ak);
	p->sk = xstrdup(sk);
	p->token = dup_or_null(env("AWS_SESSION_TOKEN"));
	snprintf(p->source, sizeof p->source, "env");
	return 1;
}

static int
try_profile(struct creds_provider *p, const char *name, int named,
    struct err *e)
{
	struct profile pr = { 0 };
	int found;

	if (profile_load(name, &pr, e) < 0)
		return -1;
	if (p->region == NULL)
		p->region = pr.region;
	else
		free(pr.region);
	pr.region = NULL;
	if (pr.ak != NULL) {
		p->kind = K_STATIC;
		p->ak = pr.ak;
		p->sk = pr.sk;
		p->token = pr.token;
		snprintf(p->source, sizeof p->source, "profile %.80s", name);
		return 1;
	}
	found = pr.found;
	profile_free(&pr);
	if (named && !found)
		return msg_seterr(e, MSG_EX_USAGE, "profile %s not found in the "
		    "shared credentials or config file", name);
	if (named)
		return msg_seterr(e, MSG_EX_USAGE, "profile %s has no "
		    "aws_access_key_id and aws_secret_access_key (role_arn, "
		    "sso and credential_process are not supported)", name);
	return 0;
}

static int
try_ecs(struct creds_provider *p, const struct creds_opts *o, struct err *e)
{
	const char *rel = env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
	const char *full = env("AWS_CONTAINER_CREDENTIALS_FULL_URI");
	const char *host;

	if (rel != NULL) {
		host = o != NULL && o->ecs_host != NULL ? o->ecs_host :
		    ECS_HOST;
		p->url = xmalloc(strlen(host) + strlen(rel) + 2);
		sprintf(p->url, "%s%s%s", host, rel[0] == '/' ? "" : "/", rel);
	} else if (full != NULL) {
		if (!full_uri_ok(full))
			return msg_seterr(e, MSG_EX_USAGE, "AWS_CONTAINER_CREDENTIALS_"
			    "FULL_URI: plain http only to a loopback or the "
			    "container endpoint address");
		p->url = xstrdup(full);
		p->auth_file = dup_or_null(
		    env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"));
		p->auth = dup_or_null(env("AWS_CONTAINER_AUTHORIZATION_TOKEN"));
	} else {
		return 0;
	}
	p->kind = K_ECS;
	snprintf(p->source, sizeof p->source, "ecs");
	return fetch(p, e) < 0 ? -1 : 1;
}

static int
imds_disabled(const struct creds_opts *o)
{
	const char *d = env("AWS_EC2_METADATA_DISABLED");

	return (o != NULL && o->no_imds) ||
	    (d != NULL && strcasecmp(d, "true") == 0);
}

static int
try_imds(struct creds_provider *p, const struct creds_opts *o, struct err *e)
{
	const char *ep = o != NULL && o->imds_endpoint != NULL ?
	    o->imds_endpoint : env("AWS_EC2_METADATA_SERVICE_ENDPOINT");
	const char *mode = env("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE");

	if (ep == NULL)
		ep = mode != NULL && strcasecmp(mode, "IPv6") == 0 ?
		    IMDS_HOST6 : IMDS_HOST;
	p->url = xstrdup(ep);
	strip_slash(p->url);
	p->kind = K_IMDS;
	return fetch(p, e) < 0 ? -1 : 1;
}

struct creds_provider *
creds_new(const struct creds_opts *o, struct err *e)
{
	struct creds_provider *p = xcalloc(1, sizeof *p);
	const char *name = o != NULL ? o->profile : NULL;
	int named = name != NULL;
	int rc = 0;

	pthread_mutex_init(&p->mu, NULL);
	if (name == NULL)
		name = env("AWS_PROFILE");
	if (name != NULL)
		named = 1;
	else
		name = "default";
	p->region = dup_or_null(env("AWS_REGION"));
	if (p->region == NULL)
		p->region = dup_or_null(env("AWS_DEFAULT_REGION"));

	/* A profile chosen by the caller (--profile) outranks the
	 * environment's keys, as in the AWS CLI; AWS_PROFILE does not. */
	if (o == NULL || o->profile == NULL)
		rc = try_env(p, e);
	if (rc == 0)
		rc = try_profile(p, name, named, e);
	else if (rc > 0 && p->region == NULL) {
		/* Region may still come from the profile. */
		struct profile pr = { 0 };
		struct err ignored;

		if (profile_load(name, &pr, &ignored) == 0) {
			p->region = pr.region;
			pr.region = NULL;
		}
		profile_free(&pr);
	}
	if (rc == 0)
		rc = try_ecs(p, o, e);
	if (rc == 0 && !imds_disabled(o)) {
		struct err ie;

		rc = try_imds(p, o, &ie);
		if (rc < 0)
			msg_seterr(e, MSG_EX_USAGE, "no credentials: none in the "
			    "environment, profile %s or the container "
			    "variables, and EC2 instance metadata failed: %s",
			    name, ie.msg);
	} else if (rc == 0) {
		rc = msg_seterr(e, MSG_EX_USAGE, "no credentials: none in the "
		    "environment, profile %s or the container variables "
		    "(EC2 instance metadata disabled)", name);
	}
	if (rc < 0) {
		creds_free(p);
		return NULL;
	}
	return p;
}

struct creds_provider *
creds_new_source(const struct creds_source *src, void *ud, struct err *e)
{
	struct creds_provider *p = xcalloc(1, sizeof *p);

	pthread_mutex_init(&p->mu, NULL);
	p->kind = K_SOURCE;
	p->src = src;
	p->src_ud = ud;
	snprintf(p->source, sizeof p->source, "%s", src->name);
	p->region = dup_or_null(env("AWS_REGION"));
	if (p->region == NULL)
		p->region = dup_or_null(env("AWS_DEFAULT_REGION"));
	if (fetch(p, e) < 0) {
		creds_free(p);
		return NULL;
	}
	return p;
}

static void
fill(struct creds_provider *p, struct creds *out)
{
	out->access_key = p->ak;
	out->secret_key = p->sk;
	out->session_token = p->token;
	out->expires_ms = p->expires_ms;
	out->source = p->source;
}

int
creds_get(struct creds_provider *p, struct creds *out, struct err *e)
{
	uint64_t now;
	int rc = 0;

	pthread_mutex_lock(&p->mu);
	now = util_wall_ms();
	/* Within the refresh window fetch at most once a second: an endpoint
	 * may keep handing out the same soon-expiring keys, and each get
	 * must not turn into three HTTP requests. Once expired, always. */
	if (p->kind != K_STATIC && p->expires_ms != 0 &&
	    now + CREDS_REFRESH_MS >= p->expires_ms &&
	    (now >= p->fetched_ms + CREDS_RETRY_MS || now >= p->expires_ms)) {
		struct err fe;

		/* Keep using credentials that are still valid when the
		 * refresh fails; fail only once they have expired. */
		if (fetch(p, &fe) < 0 && now >= p->expires_ms) {
			*e = fe;
			rc = -1;
		}
	}
	if (rc == 0)
		fill(p, out);
	pthread_mutex_unlock(&p->mu);
	return rc;
}

int
creds_refresh(struct creds_provider *p, struct err *e)
{
	int rc;

	if (p->kind == K_STATIC)
		return msg_seterr(e, MSG_EX_REMOTE_PERM, "credentials from %s cannot "
		    "be refreshed", p->source);
	pthread_mutex_lock(&p->mu);
	rc = fetch(p, e);
	pthread_mutex_unlock(&p->mu);
	return rc;
}

const char *
creds_region(struct creds_provider *p)
{
	return p->region;
}

void
creds_free(struct creds_provider *p)
{
	struct retired *r, *next;
	int i;

	if (p == NULL)
		return;
	for (r = p->old; r != NULL; r = next) {
		next = r->next;
		for (i = 0; i < 3; i++)
			free(r->s[i]);
		free(r);
	}
	free(p->ak);
	free(p->sk);
	free(p->token);
	free(p->region);
	free(p->url);
	free(p->auth);
	free(p->auth_file);
	if (p->src != NULL && p->src->free != NULL)
		p->src->free(p->src_ud);
	pthread_mutex_destroy(&p->mu);
	free(p);
}
