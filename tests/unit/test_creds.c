/* Unit tests for lib/creds: the environment and the shared credentials and
 * config files (sections, profiles, precedence, region). Each case writes
 * its files to a temporary folder; metadata endpoints are disabled. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "creds.h"
#include "t.h"
#include "util.h"

static const struct {
	const char *name;
	const char *cred;	/* credentials file; NULL: none */
	const char *conf;	/* config file; NULL: none */
	const char *env_profile;	/* AWS_PROFILE */
	const char *opt_profile;	/* creds_opts.profile */
	const char *env_ak, *env_sk, *env_region;
	int rc;			/* 0 or the EX_ code */
	const char *ak, *sk, *token, *region, *source;
} cases[] = {
	{ "default section of the credentials file",
	  "[default]\naws_access_key_id = AK1\naws_secret_access_key = SK1\n",
	  NULL, NULL, NULL, NULL, NULL, NULL,
	  0, "AK1", "SK1", NULL, NULL, "profile default" },
	{ "blanks, comments, upper-case keys, CRLF",
	  "# comment\r\n; other\r\n[default]  \r\nAWS_ACCESS_KEY_ID=AK2\r\n"
	  "aws_secret_access_key   =   S K/2+=  \r\naws_session_token = T2\r\n",
	  NULL, NULL, NULL, NULL, NULL, NULL,
	  0, "AK2", "S K/2+=", "T2", NULL, "profile default" },
	{ "AWS_PROFILE selects a section; region from [profile x] in config",
	  "[default]\naws_access_key_id = D\naws_secret_access_key = D\n"
	  "[x]\naws_access_key_id = AKX\naws_secret_access_key = SKX\n",
	  "[default]\nregion = us-west-2\n[profile x]\nregion = eu-central-1\n",
	  "x", NULL, NULL, NULL, NULL,
	  0, "AKX", "SKX", NULL, "eu-central-1", "profile x" },
	{ "[x] in the config file is not profile x",
	  NULL, "[x]\naws_access_key_id = A\naws_secret_access_key = S\n",
	  "x", NULL, NULL, NULL, NULL,
	  MSG_EX_USAGE, NULL, NULL, NULL, NULL, NULL },
	{ "keys in the config file's profile section",
	  NULL, "[profile  y ]\naws_access_key_id = AKY\n"
	  "aws_secret_access_key = SKY\nregion = sa-east-1\n",
	  "y", NULL, NULL, NULL, NULL,
	  0, "AKY", "SKY", NULL, "sa-east-1", "profile y" },
	{ "the credentials file wins over the config file",
	  "[default]\naws_access_key_id = C\naws_secret_access_key = CS\n",
	  "[default]\naws_access_key_id = F\naws_secret_access_key = FS\n"
	  "region = ca-central-1\n",
	  NULL, NULL, NULL, NULL, NULL,
	  0, "C", "CS", NULL, "ca-central-1", "profile default" },
	{ "nested values (s3 = ...) are skipped, later keys still read",
	  "[default]\naws_access_key_id = AKN\ns3 =\n  max_concurrent_requests = 20\n"
	  "  aws_secret_access_key = nested\naws_secret_access_key = SKN\n",
	  NULL, NULL, NULL, NULL, NULL, NULL,
	  0, "AKN", "SKN", NULL, NULL, "profile default" },
	{ "legacy aws_security_token",
	  "[default]\naws_access_key_id = A\naws_secret_access_key = S\n"
	  "aws_security_token = LEGACY\n",
	  NULL, NULL, NULL, NULL, NULL, NULL,
	  0, "A", "S", "LEGACY", NULL, "profile default" },
	{ "a key without its secret is no credentials",
	  "[default]\naws_access_key_id = A\n",
	  NULL, NULL, NULL, NULL, NULL, NULL,
	  MSG_EX_USAGE, NULL, NULL, NULL, NULL, NULL },
	{ "environment keys win over the default profile; region from it",
	  "[default]\naws_access_key_id = F\naws_secret_access_key = FS\n",
	  "[default]\nregion = eu-north-1\n",
	  NULL, NULL, "EAK", "ESK", NULL,
	  0, "EAK", "ESK", NULL, "eu-north-1", "env" },
	{ "AWS_REGION wins over the profile's region",
	  "[default]\naws_access_key_id = F\naws_secret_access_key = FS\n",
	  "[default]\nregion = eu-north-1\n",
	  NULL, NULL, NULL, NULL, "us-east-2",
	  0, "F", "FS", NULL, "us-east-2", "profile default" },
	{ "environment keys win over AWS_PROFILE",
	  "[p]\naws_access_key_id = F\naws_secret_access_key = FS\n",
	  NULL, "p", NULL, "EAK", "ESK", NULL,
	  0, "EAK", "ESK", NULL, NULL, "env" },
	{ "an explicit profile option wins over environment keys",
	  "[p]\naws_access_key_id = PK\naws_secret_access_key = PS\n",
	  NULL, NULL, "p", "EAK", "ESK", NULL,
	  0, "PK", "PS", NULL, NULL, "profile p" },
	{ "profile named but absent",
	  "[default]\naws_access_key_id = A\naws_secret_access_key = S\n",
	  NULL, "nope", NULL, NULL, NULL, NULL,
	  MSG_EX_USAGE, NULL, NULL, NULL, NULL, NULL },
	{ "profile present without static keys (role_arn)",
	  NULL, "[profile r]\nrole_arn = arn:aws:iam::1:role/x\n"
	  "source_profile = default\n",
	  "r", NULL, NULL, NULL, NULL,
	  MSG_EX_USAGE, NULL, NULL, NULL, NULL, NULL },
	{ "no files, no environment",
	  NULL, NULL, NULL, NULL, NULL, NULL, NULL,
	  MSG_EX_USAGE, NULL, NULL, NULL, NULL, NULL },
	{ "empty values are absent",
	  "[default]\naws_access_key_id = A\naws_secret_access_key = S\n"
	  "aws_session_token =\n",
	  NULL, NULL, NULL, NULL, NULL, NULL,
	  0, "A", "S", NULL, NULL, "profile default" },
};

/* A creds_source as a later module (AssumeRole through lib/aws) would
 * be: new keys each fetch, written into one buffer it reuses. */
struct counter {
	int n, fail_at, freed;
	uint64_t life_ms;
	char ak[32], sk[32];
};

static int
counter_fetch(void *ud, struct creds *out, struct err *e)
{
	struct counter *c = ud;

	if (++c->n == c->fail_at)
		return msg_seterr(e, MSG_EX_REMOTE_TEMP, "counter: STS down");
	snprintf(c->ak, sizeof c->ak, "ASIACOUNTER%d", c->n);
	snprintf(c->sk, sizeof c->sk, "secret-%d", c->n);
	out->access_key = c->ak;
	out->secret_key = c->sk;
	out->session_token = "token";
	out->expires_ms = c->life_ms != 0 ? util_wall_ms() + c->life_ms : 0;
	return 0;
}

static void
counter_free(void *ud)
{
	((struct counter *)ud)->freed++;
}

static const struct creds_source counter_src = { "assume-role",
    counter_fetch, counter_free };

static void
test_source(void)
{
	struct counter c = { 0, 0, 0, 3600 * 1000, "", "" };
	struct creds_provider *p;
	struct creds a, b;
	struct err e = { 0, "" };

	p = creds_new_source(&counter_src, &c, &e);
	t_ok(p != NULL && creds_get(p, &a, &e) == 0 &&
	    strcmp(a.access_key, "ASIACOUNTER1") == 0 &&
	    strcmp(a.source, "assume-role") == 0 && a.expires_ms != 0,
	    "source: the first fetch gives the keys, named by the source");
	t_ok(creds_refresh(p, &e) == 0 && creds_get(p, &b, &e) == 0 &&
	    strcmp(b.access_key, "ASIACOUNTER2") == 0,
	    "source: creds_refresh fetches anew");
	t_ok(strcmp(a.access_key, "ASIACOUNTER1") == 0 &&
	    strcmp(a.secret_key, "secret-1") == 0,
	    "source: keys handed out stay valid (copied, not the source's "
	    "buffer)");
	t_ok(creds_get(p, &b, &e) == 0 && c.n == 2,
	    "source: keys valid for an hour are not fetched again");
	creds_free(p);
	t_ok(c.freed == 1, "source: creds_free frees the source once");

	memset(&c, 0, sizeof c);
	c.life_ms = 60 * 1000;	/* within CREDS_REFRESH_MS: refreshed */
	p = creds_new_source(&counter_src, &c, &e);
	t_ok(p != NULL && creds_get(p, &a, &e) == 0 && c.n == 1,
	    "source: short-lived keys: got");
	c.fail_at = 2;
	usleep(1100 * 1000);	/* past the one-a-second refresh limit */
	t_ok(creds_get(p, &a, &e) == 0 && c.n == 2 &&
	    strcmp(a.access_key, "ASIACOUNTER1") == 0,
	    "source: a failed refresh keeps keys that are still valid");
	usleep(1100 * 1000);
	t_ok(creds_get(p, &a, &e) == 0 && c.n == 3 &&
	    strcmp(a.access_key, "ASIACOUNTER3") == 0,
	    "source: the next refresh replaces them");
	creds_free(p);

	memset(&c, 0, sizeof c);
	c.fail_at = 1;
	p = creds_new_source(&counter_src, &c, &e);
	t_ok(p == NULL && strcmp(e.msg, "counter: STS down") == 0 &&
	    c.freed == 1, "source: a first fetch that fails is the "
	    "provider's error, and the source is freed");
}

static void
put(const char *path, const char *text)
{
	FILE *f;

	unlink(path);
	if (text == NULL)
		return;
	f = fopen(path, "w");
	if (f == NULL || fputs(text, f) == EOF || fclose(f) != 0) {
		perror(path);
		exit(2);
	}
}

static void
setenv_or_unset(const char *name, const char *v)
{
	if (v != NULL)
		setenv(name, v, 1);
	else
		unsetenv(name);
}

int
main(void)
{
	char dir[] = "/tmp/test_creds.XXXXXX", cred[64], conf[64];
	const char *clear[] = { "AWS_SESSION_TOKEN", "AWS_DEFAULT_REGION",
		"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
		"AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_DEFAULT_PROFILE" };
	size_t i;

	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 2;
	}
	snprintf(cred, sizeof cred, "%s/credentials", dir);
	snprintf(conf, sizeof conf, "%s/config", dir);
	setenv("AWS_SHARED_CREDENTIALS_FILE", cred, 1);
	setenv("AWS_CONFIG_FILE", conf, 1);
	setenv("HOME", dir, 1);
	for (i = 0; i < sizeof clear / sizeof clear[0]; i++)
		unsetenv(clear[i]);

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct creds_opts o = { 0 };
		struct creds_provider *p;
		struct creds c;
		struct err e = { 0 };

		put(cred, cases[i].cred);
		put(conf, cases[i].conf);
		setenv_or_unset("AWS_PROFILE", cases[i].env_profile);
		setenv_or_unset("AWS_ACCESS_KEY_ID", cases[i].env_ak);
		setenv_or_unset("AWS_SECRET_ACCESS_KEY", cases[i].env_sk);
		setenv_or_unset("AWS_REGION", cases[i].env_region);
		o.profile = cases[i].opt_profile;
		o.no_imds = 1;
		p = creds_new(&o, &e);
		if (cases[i].rc != 0) {
			t_ok(p == NULL && e.code == cases[i].rc, "%s: fails "
			    "with %d", cases[i].name, cases[i].rc);
			if (p != NULL || e.code != cases[i].rc)
				t_diag("got %d: %s", e.code, e.msg);
			creds_free(p);
			continue;
		}
		t_ok(p != NULL, "%s: found", cases[i].name);
		if (p == NULL) {
			t_diag("%s", e.msg);
			continue;
		}
		t_ok(creds_get(p, &c, &e) == 0, "%s: get", cases[i].name);
		t_streq(c.access_key, cases[i].ak, cases[i].name);
		t_ok(strcmp(c.secret_key, cases[i].sk) == 0, "%s: secret",
		    cases[i].name);
		t_ok(cases[i].token == NULL ? c.session_token == NULL :
		    c.session_token != NULL &&
		    strcmp(c.session_token, cases[i].token) == 0,
		    "%s: token", cases[i].name);
		t_ok(cases[i].region == NULL ? creds_region(p) == NULL :
		    creds_region(p) != NULL &&
		    strcmp(creds_region(p), cases[i].region) == 0,
		    "%s: region", cases[i].name);
		t_streq(c.source, cases[i].source, cases[i].name);
		t_ok(c.expires_ms == 0, "%s: static keys do not expire",
		    cases[i].name);
		creds_free(p);
	}
	{
		struct err e = { 0 };
		struct creds_provider *p;

		put(cred, "[default]\naws_access_key_id = A\n"
		    "aws_secret_access_key = S\n");
		unsetenv("AWS_PROFILE");
		unsetenv("AWS_ACCESS_KEY_ID");
		unsetenv("AWS_SECRET_ACCESS_KEY");
		p = creds_new(&(struct creds_opts){ .no_imds = 1 }, &e);
		t_ok(p != NULL && creds_refresh(p, &e) == -1 &&
		    e.code == MSG_EX_REMOTE_PERM &&
		    strstr(e.msg, "cannot be refreshed") != NULL,
		    "static credentials cannot be refreshed");
		creds_free(p);
	}
	test_source();
	creds_free(NULL);
	unlink(cred);
	unlink(conf);
	rmdir(dir);
	return t_done();
}
