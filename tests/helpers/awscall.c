/* SPDX-License-Identifier: MIT */
/* awscall: test-only driver for lib/aws: one call of any service, as the
 * stream reader, the STS providers and the SSO provider will make them.
 *
 *   awscall [options] SERVICE OP [INPUT]
 *
 * SERVICE is s3, sts, kinesis, dynamodb_streams, dynamodb or sso. For the
 * JSON services OP is the operation and INPUT its JSON body (default {});
 * for sts OP is the Action and INPUT "Name=Value&..." (plain: awscall
 * form-encodes each part); with --get, OP is a path and INPUT its query.
 *
 *   --endpoint-url URL   else lib/awsconf's lookup
 *   --region REGION      else lib/awsconf's lookup (default us-east-1)
 *   --unsigned           no credentials, no signature
 *   --own CODE           an error code the caller handles (repeatable)
 *   --header 'N: V'      an extra header (repeatable)
 *   --get                a GET of OP?INPUT instead of a POST
 *   --max-attempts N     default 3
 *
 * The answer's body goes to stdout. stderr ends with one line
 * "status=S code=C retries=R"; a failure is "awscall: MESSAGE" before it,
 * and the exit status is the error's (lib/msg's table). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws.h"
#include "awsconf.h"
#include "util.h"

#define MAXH 8
#define MAXOWN 8

static const struct aws_service *
service(const char *name)
{
	static const struct aws_service *const all[] = { &aws_s3, &aws_sts,
	    &aws_kinesis, &aws_dynamodb_streams, &aws_dynamodb, &aws_sso };
	size_t i;

	for (i = 0; i < sizeof all / sizeof all[0]; i++)
		if (strcmp(all[i]->id, name) == 0)
			return all[i];
	msg_die(MSG_EX_USAGE, "unknown service %s", name);
}

/* "A=1&B=x y" as aws_form_add pairs. */
static int
form(struct buf *out, const char *in)
{
	char *s = xstrdup(in), *p, *save = NULL;
	int rc = 0;

	for (p = strtok_r(s, "&", &save); p != NULL && rc == 0;
	    p = strtok_r(NULL, "&", &save)) {
		char *eq = strchr(p, '=');

		if (eq == NULL)
			continue;
		*eq = '\0';
		rc = aws_form_add(out, p, eq + 1);
	}
	free(s);
	return rc;
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "endpoint-url", required_argument, NULL, 'e' },
		{ "get", no_argument, NULL, 'g' },
		{ "header", required_argument, NULL, 'H' },
		{ "max-attempts", required_argument, NULL, 'm' },
		{ "own", required_argument, NULL, 'o' },
		{ "region", required_argument, NULL, 'r' },
		{ "unsigned", no_argument, NULL, 'u' },
		{ NULL, 0, NULL, 0 },
	};
	const char *own[MAXOWN + 1] = { NULL };
	struct sigv4_header h[MAXH];
	char hbuf[MAXH][256];
	struct awsconf ac;
	struct aws_config cfg;
	struct aws_client *c;
	struct aws_response r;
	struct creds_provider *cp = NULL;
	struct creds_opts co = { 0 };
	struct buf ep, out;
	struct err e = { 0, "" };
	size_t nh = 0, nown = 0;
	int ch, get = 0, unsig = 0, rc;
	uint64_t v;

	msg_init(argv[0]);
	memset(&ac, 0, sizeof ac);
	memset(&cfg, 0, sizeof cfg);
	cfg.max_attempts = 3;
	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (ch) {
		case 'e':
			ac.endpoint = optarg;
			break;
		case 'g':
			get = 1;
			break;
		case 'H':
			if (nh == MAXH || strchr(optarg, ':') == NULL)
				msg_die(MSG_EX_USAGE, "bad --header %s", optarg);
			snprintf(hbuf[nh], sizeof hbuf[nh], "%s", optarg);
			*strchr(hbuf[nh], ':') = '\0';
			h[nh].name = hbuf[nh];
			h[nh].value = optarg + strlen(hbuf[nh]) + 1;
			h[nh].value += strspn(h[nh].value, " ");
			nh++;
			break;
		case 'm':
			if (util_parse_uint(optarg, 1, 100, &v) < 0)
				msg_die(MSG_EX_USAGE, "bad --max-attempts");
			cfg.max_attempts = (unsigned)v;
			break;
		case 'o':
			if (nown == MAXOWN)
				msg_die(MSG_EX_USAGE, "too many --own");
			own[nown++] = optarg;
			break;
		case 'r':
			ac.region = optarg;
			break;
		case 'u':
			unsig = 1;
			break;
		default:
			return MSG_EX_USAGE;
		}
	}
	if (argc - optind < 2)
		msg_die(MSG_EX_USAGE, "usage: awscall [options] SERVICE OP "
		    "[INPUT]");
	cfg.svc = service(argv[optind]);
	if (!unsig) {
		co.no_imds = 1;
		if ((cp = creds_new(&co, &e)) == NULL)
			msg_die(e.code, "%s", e.msg);
		ac.profile_region = creds_region(cp);
	}
	buf_init(&ep, 4096);
	if ((cfg.region = awsconf_region(&ac, "us-east-1", &e)) == NULL ||
	    awsconf_endpoint(&ac, cfg.svc->id, cfg.svc->host, cfg.region, &ep,
	    &e) < 0)
		msg_die(e.code, "%s", e.msg);
	cfg.endpoint = ep.p;
	cfg.retry_time_ms = 60 * 1000;
	cfg.attempt_timeout_ms = 10 * 1000;
	if ((c = aws_new(&cfg, cp, &e)) == NULL)
		msg_die(e.code, "%s", e.msg);
	buf_init(&out, 16 << 20);
	{
		const char *op = argv[optind + 1];
		const char *in = argc - optind > 2 ? argv[optind + 2] : NULL;

		if (get) {
			struct aws_request rq;

			memset(&rq, 0, sizeof rq);
			rq.op = "GET";
			rq.what = op;
			rq.method = "GET";
			rq.path = op;
			rq.query = in;
			rq.headers = h;
			rq.nheaders = nh;
			rq.flags = unsig ? AWS_UNSIGNED : 0;
			rq.own_codes = own;
			rc = aws_call(c, &rq, &out, &r, &e);
		} else if (cfg.svc->proto == AWS_PROTO_QUERY) {
			struct buf params;

			buf_init(&params, 1 << 20);
			if (in != NULL && form(&params, in) < 0)
				msg_die(MSG_EX_USAGE, "INPUT too long");
			rc = aws_query_call(c, op, buf_str(&params), unsig ?
			    AWS_UNSIGNED : 0, &out, &r, &e);
			buf_free(&params);
		} else {
			rc = aws_json_call(c, op, in, own, &out, &r, &e);
		}
	}
	fwrite(out.p != NULL ? out.p : "", 1, out.len, stdout);
	if (rc != AWS_OK)
		msg_err("%s", e.msg);
	fprintf(stderr, "status=%ld code=%s retries=%u\n", r.status,
	    r.code[0] != '\0' ? r.code : "-", r.retries);
	buf_free(&out);
	buf_free(&ep);
	aws_free(c);
	creds_free(cp);
	return rc == AWS_OK ? 0 : e.code;
}
