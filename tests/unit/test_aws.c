/* SPDX-License-Identifier: MIT */
/* test_aws: lib/aws as tables: requests that cannot be signed must fail
 * with a clear error and never reach the network half-signed. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "aws.h"
#include "t.h"
#include "util.h"

/* A listening socket nobody answers on: the test's "network". A request
 * that reached it would show as a pending connection. */
static int
listener(char *url, size_t n)
{
	struct sockaddr_in a;
	socklen_t l = sizeof a;
	int s = socket(AF_INET, SOCK_STREAM, 0);

	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof a) < 0 ||
	    listen(s, 8) < 0 || getsockname(s, (struct sockaddr *)&a, &l) < 0)
		return -1;
	fcntl(s, F_SETFL, O_NONBLOCK);
	snprintf(url, n, "http://127.0.0.1:%u", ntohs(a.sin_port));
	return s;
}

static int
connected(int s)
{
	int c = accept(s, NULL, NULL);

	if (c < 0)
		return 0;
	close(c);
	return 1;
}

static char *
filled(size_t n)
{
	char *p = xmalloc(n + 1);

	memset(p, 'v', n);
	p[n] = '\0';
	return p;
}

/* Requests that must not be signed, nor sent. */
static const struct {
	const char *name;
	size_t value_len;	/* one extra header of this size */
	size_t key_len;		/* access key of this size (0: normal) */
	size_t nheaders;	/* extra headers */
	const char *want;	/* in the message; NULL: signs */
} sign_cases[] = {
	{ "a normal request signs", 10, 0, 1, NULL },
	{ "a header over the canonical request's cap", 300 * 1024, 0, 1,
	    "too large to sign" },
	{ "an access key over the Authorization cap", 10, 300 * 1024, 1,
	    "too large to sign" },
	{ "more headers than a request may carry", 10, 0,
	    AWS_MAX_HEADERS + 1, "too many headers" },
};

static void
test_sign_failures(void)
{
	struct sigv4_header h[AWS_MAX_HEADERS + 1];
	struct aws_config cfg;
	struct aws_client *c;
	struct creds_opts co = { 0 };
	char url[64];
	size_t i, j;
	int ls = listener(url, sizeof url);

	t_ok(ls >= 0, "a loopback listener for the sign cases");
	memset(&cfg, 0, sizeof cfg);
	cfg.svc = &aws_s3;
	cfg.endpoint = url;
	cfg.region = "us-east-1";
	cfg.max_attempts = 1;
	cfg.retry_time_ms = 1000;
	co.no_imds = 1;
	for (i = 0; i < sizeof sign_cases / sizeof sign_cases[0]; i++) {
		char *v = filled(sign_cases[i].value_len);
		char *ak = filled(sign_cases[i].key_len != 0 ?
		    sign_cases[i].key_len : 20);
		struct creds_provider *cp;
		struct aws_request rq;
		struct aws_response r;
		struct aws_signed s;
		struct creds cr = { ak, "secret", NULL, 0, "test" };
		struct err e = { 0, "" };
		int rc, src;

		setenv("AWS_ACCESS_KEY_ID", ak, 1);
		setenv("AWS_SECRET_ACCESS_KEY", "secret", 1);
		cp = creds_new(&co, &e);
		c = aws_new(&cfg, cp, &e);
		for (j = 0; j < sign_cases[i].nheaders; j++)
			h[j] = (struct sigv4_header){ "x-amz-meta-v", v };
		memset(&rq, 0, sizeof rq);
		rq.op = "PutObject";
		rq.what = "s3://b/k";
		rq.method = "PUT";
		rq.path = "/b/k";
		rq.headers = h;
		rq.nheaders = sign_cases[i].nheaders;
		aws_signed_init(&s);
		src = aws_sign(c, &rq, 1440000000, &cr, &s, &e);
		aws_signed_free(&s);
		if (sign_cases[i].want == NULL) {
			t_ok(src == 0, "sign: %s", sign_cases[i].name);
		} else {
			struct aws_conn *k = aws_conn_get(c);

			t_ok(src < 0 && strstr(e.msg, sign_cases[i].want) !=
			    NULL, "sign: %s: aws_sign fails (%s)",
			    sign_cases[i].name, e.msg);
			e.msg[0] = '\0';
			rc = aws_send(c, k, &rq, &r, &e);
			aws_conn_put(c, k);
			t_ok(rc == AWS_FAIL && e.code == MSG_EX_USAGE &&
			    strstr(e.msg, sign_cases[i].want) != NULL &&
			    r.status == 0 && !connected(ls), "sign: %s: "
			    "aws_send fails before sending (%s)",
			    sign_cases[i].name, e.msg);
		}
		aws_free(c);
		creds_free(cp);
		free(v);
		free(ak);
	}
	close(ls);
}

int
main(void)
{
	test_sign_failures();
	return t_done();
}
