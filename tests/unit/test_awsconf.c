/* SPDX-License-Identifier: MIT */
/* test_awsconf: region and endpoint resolution as tables: which source
 * wins, which values are refused (and the message naming the source), and
 * the endpoint URL of each service. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "awsconf.h"
#include "t.h"

static const struct {
	const char *name, *value;
	int valid;
} valid_cases[] = {
	{ "eu-west-1", "eu-west-1", 1 },
	{ "us-gov-west-1", "us-gov-west-1", 1 },
	{ "cn-north-1", "cn-north-1", 1 },
	{ "radosgw's 'default'", "default", 1 },
	{ "R2's 'auto'", "auto", 1 },
	{ "a dot: another host", "evil.example", 0 },
	{ "'#' cuts the host", "evil.example#", 0 },
	{ "'/' starts a path", "a/b", 0 },
	{ "'@' makes user info", "x@evil", 0 },
	{ "':' makes a port", "x:80", 0 },
	{ "upper case", "EU-WEST-1", 0 },
	{ "a leading '-'", "-eu", 0 },
	{ "a trailing '-'", "eu-", 0 },
	{ "a double '-'", "eu--west", 0 },
	{ "a space", "eu west", 0 },
	{ "a newline", "eu\nwest", 0 },
	{ "empty", "", 0 },
	{ "63 bytes", "a23456789012345678901234567890123456789012345678901234567890123",
	    1 },
	{ "64 bytes", "a234567890123456789012345678901234567890123456789012345678901234",
	    0 },
};

static const struct {
	const char *name;
	const char *opt, *env_region, *env_default, *profile;
	const char *fallback;
	const char *want;	/* NULL: an error */
	const char *msg;	/* in the error */
} region_cases[] = {
	{ "the option wins", "eu-west-1", "us-west-2", "us-east-2",
	    "ap-south-1", "us-east-1", "eu-west-1", NULL },
	{ "then AWS_REGION", NULL, "us-west-2", "us-east-2", "ap-south-1",
	    "us-east-1", "us-west-2", NULL },
	{ "then AWS_DEFAULT_REGION", NULL, NULL, "us-east-2", "ap-south-1",
	    "us-east-1", "us-east-2", NULL },
	{ "then the profile's", NULL, NULL, NULL, "ap-south-1", "us-east-1",
	    "ap-south-1", NULL },
	{ "then the default", NULL, NULL, NULL, NULL, "us-east-1",
	    "us-east-1", NULL },
	{ "empty variables count as unset", NULL, "", "", NULL, "us-east-1",
	    "us-east-1", NULL },
	{ "no source and no default", NULL, NULL, NULL, NULL, NULL, NULL,
	    "no region" },
	{ "a bad option is named", "evil.example#", NULL, NULL, NULL,
	    "us-east-1", NULL, "--region: 'evil.example#' is not a region" },
	{ "a bad AWS_REGION is named", NULL, "evil.example#", NULL, NULL,
	    "us-east-1", NULL, "AWS_REGION: 'evil.example#' is not a region" },
	{ "a bad AWS_DEFAULT_REGION is named", NULL, NULL, "x/y", NULL,
	    "us-east-1", NULL, "AWS_DEFAULT_REGION: 'x/y' is not a region" },
	{ "a bad profile region is named", NULL, NULL, NULL, "a b",
	    "us-east-1", NULL, "the region of profile prod: 'a b' is not" },
	{ "a bad value is refused even when a later one is good", NULL,
	    "x.y", "us-east-2", NULL, "us-east-1", NULL, "AWS_REGION: 'x.y'" },
};

static void
set(const char *name, const char *v)
{
	if (v != NULL)
		setenv(name, v, 1);
	else
		unsetenv(name);
}

static void
test_regions(void)
{
	size_t i;

	for (i = 0; i < sizeof valid_cases / sizeof valid_cases[0]; i++)
		t_ok(awsconf_region_valid(valid_cases[i].value) ==
		    valid_cases[i].valid, "region_valid: %s",
		    valid_cases[i].name);
	for (i = 0; i < sizeof region_cases / sizeof region_cases[0]; i++) {
		struct awsconf c;
		struct err e = { 0, "" };
		const char *got;

		memset(&c, 0, sizeof c);
		c.region = region_cases[i].opt;
		c.profile_region = region_cases[i].profile;
		c.profile = "prod";
		set("AWS_REGION", region_cases[i].env_region);
		set("AWS_DEFAULT_REGION", region_cases[i].env_default);
		got = awsconf_region(&c, region_cases[i].fallback, &e);
		if (region_cases[i].want != NULL)
			t_ok(got != NULL && strcmp(got, region_cases[i].want) ==
			    0, "region: %s", region_cases[i].name);
		else
			t_ok(got == NULL && e.code == MSG_EX_USAGE &&
			    strstr(e.msg, region_cases[i].msg) != NULL,
			    "region: %s (%s)", region_cases[i].name, e.msg);
	}
	unsetenv("AWS_REGION");
	unsetenv("AWS_DEFAULT_REGION");
}

static const char *
config_hook(void *ud, const char *svc_id)
{
	(void)ud;
	return strcmp(svc_id, "kinesis") == 0 ? "http://config:1" : NULL;
}

static const struct {
	const char *name;
	const char *id, *host, *region;
	const char *opt, *env_svc, *env_all, *ignore;
	int hook;
	const char *want;
} ep_cases[] = {
	{ "S3 default", "s3", "s3", "eu-west-1", NULL, NULL, NULL, NULL, 0,
	    "https://s3.eu-west-1.amazonaws.com" },
	{ "DynamoDB Streams default", "dynamodb_streams", "streams.dynamodb",
	    "us-east-1", NULL, NULL, NULL, NULL, 0,
	    "https://streams.dynamodb.us-east-1.amazonaws.com" },
	{ "China regions are under amazonaws.com.cn", "kinesis", "kinesis",
	    "cn-north-1", NULL, NULL, NULL, NULL, 0,
	    "https://kinesis.cn-north-1.amazonaws.com.cn" },
	{ "the option wins", "s3", "s3", "us-east-1", "http://opt:1",
	    "http://svc:1", "http://all:1", NULL, 1, "http://opt:1" },
	{ "then AWS_ENDPOINT_URL_<ID>", "dynamodb_streams",
	    "streams.dynamodb", "us-east-1", NULL, "http://svc:1",
	    "http://all:1", NULL, 1, "http://svc:1" },
	{ "then AWS_ENDPOINT_URL", "kinesis", "kinesis", "us-east-1", NULL,
	    NULL, "http://all:1", NULL, 1, "http://all:1" },
	{ "then the config file's (hook)", "kinesis", "kinesis", "us-east-1",
	    NULL, NULL, NULL, NULL, 1, "http://config:1" },
	{ "the hook answers for its services only", "sts", "sts",
	    "us-east-1", NULL, NULL, NULL, NULL, 1,
	    "https://sts.us-east-1.amazonaws.com" },
	{ "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS skips variables and config",
	    "kinesis", "kinesis", "us-east-1", NULL, NULL, "http://all:1",
	    "true", 1, "https://kinesis.us-east-1.amazonaws.com" },
	{ "... but not the option", "kinesis", "kinesis", "us-east-1",
	    "http://opt:1", NULL, "http://all:1", "true", 1, "http://opt:1" },
};

static void
test_endpoints(void)
{
	size_t i;

	for (i = 0; i < sizeof ep_cases / sizeof ep_cases[0]; i++) {
		struct awsconf c;
		struct buf out;
		struct err e = { 0, "" };
		char name[64];
		int rc;

		memset(&c, 0, sizeof c);
		c.endpoint = ep_cases[i].opt;
		if (ep_cases[i].hook)
			c.config_endpoint = config_hook;
		snprintf(name, sizeof name, "AWS_ENDPOINT_URL_%s",
		    strcmp(ep_cases[i].id, "dynamodb_streams") == 0 ?
		    "DYNAMODB_STREAMS" : strcmp(ep_cases[i].id, "s3") == 0 ?
		    "S3" : strcmp(ep_cases[i].id, "sts") == 0 ? "STS" :
		    "KINESIS");
		set(name, ep_cases[i].env_svc);
		set("AWS_ENDPOINT_URL", ep_cases[i].env_all);
		set("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", ep_cases[i].ignore);
		buf_init(&out, 4096);
		rc = awsconf_endpoint(&c, ep_cases[i].id, ep_cases[i].host,
		    ep_cases[i].region, &out, &e);
		t_ok(rc == 0 && strcmp(out.p, ep_cases[i].want) == 0,
		    "endpoint: %s (%s)", ep_cases[i].name, rc == 0 ? out.p :
		    e.msg);
		buf_free(&out);
		unsetenv(name);
	}
	unsetenv("AWS_ENDPOINT_URL");
	unsetenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
}

static const struct {
	const char *name, *url;
	const char *hostport;	/* NULL: refused */
	int ip;
} url_cases[] = {
	{ "radosgw on an address", "http://127.0.0.1:7480", "127.0.0.1:7480",
	    1 },
	{ "a name over TLS", "https://s3.localhost:7482", "s3.localhost:7482",
	    0 },
	{ "AWS", "https://s3.eu-west-1.amazonaws.com/",
	    "s3.eu-west-1.amazonaws.com", 0 },
	{ "IPv6 in brackets", "http://[::1]:9000", "[::1]:9000", 1 },
	{ "localhost", "http://localhost:9", "localhost:9", 1 },
	{ "not http", "ftp://h", NULL, 0 },
	{ "user info before the host", "http://user@evil.example", NULL, 0 },
	{ "a path", "http://h/bucket", NULL, 0 },
	{ "no host", "http://", NULL, 0 },
};

static void
test_urls(void)
{
	size_t i;

	for (i = 0; i < sizeof url_cases / sizeof url_cases[0]; i++) {
		struct awsconf_url u;
		struct err e = { 0, "" };
		int rc = awsconf_url(url_cases[i].url, &u, &e);

		if (url_cases[i].hostport == NULL)
			t_ok(rc < 0 && e.code == MSG_EX_USAGE, "url: %s refused "
			    "(%s)", url_cases[i].name, e.msg);
		else
			t_ok(rc == 0 && strcmp(u.hostport,
			    url_cases[i].hostport) == 0 &&
			    u.ip_host == url_cases[i].ip, "url: %s",
			    url_cases[i].name);
	}
}

int
main(void)
{
	test_regions();
	test_endpoints();
	test_urls();
	return t_done();
}
