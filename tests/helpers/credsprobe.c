/* SPDX-License-Identifier: MIT */
/* credsprobe: test-only driver for lib/creds. Prints, for each creds_get,
 *   source=S access_key=AK secret_sha256=8HEX token=yes|no expires=yes|no region=R
 * never the secret itself (its SHA-256 prefix tells which one was picked).
 *   credsprobe [--profile NAME] [--imds-endpoint URL] [--ecs-host URL]
 *              [--no-imds] [--again MS] [--refresh]
 * --again MS sleeps MS milliseconds and calls creds_get a second time;
 * --refresh calls creds_refresh before that second call. Exit status is the
 * error's EX_ code; errors go to stderr as "credsprobe: reason". */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "creds.h"
#include "util.h"

static void
print(struct creds_provider *p, const struct creds *c)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	const char *r = creds_region(p);

	EVP_Digest(c->secret_key, strlen(c->secret_key), md, &n, EVP_sha256(),
	    NULL);
	printf("source=%s access_key=%s secret_sha256=%02x%02x%02x%02x "
	    "token=%s expires=%s region=%s\n", c->source, c->access_key,
	    md[0], md[1], md[2], md[3], c->session_token != NULL ? "yes" : "no",
	    c->expires_ms != 0 ? "yes" : "no", r != NULL ? r : "-");
	fflush(stdout);
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "again", required_argument, NULL, 'a' },
		{ "ecs-host", required_argument, NULL, 'c' },
		{ "imds-endpoint", required_argument, NULL, 'i' },
		{ "no-imds", no_argument, NULL, 'n' },
		{ "profile", required_argument, NULL, 'p' },
		{ "refresh", no_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	struct creds_opts o = { 0 };
	struct creds_provider *p;
	struct creds c;
	struct err e = { 0 };
	uint64_t again = 0;
	int ch, refresh = 0, rc = 0;

	msg_init(argv[0]);
	while ((ch = getopt_long(argc, argv, "a:c:i:np:r", lo, NULL)) != -1) {
		switch (ch) {
		case 'a':
			if (util_parse_duration(optarg, &again) < 0)
				msg_die(MSG_EX_USAGE, "bad --again: %s", optarg);
			break;
		case 'c':
			o.ecs_host = optarg;
			break;
		case 'i':
			o.imds_endpoint = optarg;
			break;
		case 'n':
			o.no_imds = 1;
			break;
		case 'p':
			o.profile = optarg;
			break;
		case 'r':
			refresh = 1;
			break;
		default:
			return MSG_EX_USAGE;
		}
	}
	p = creds_new(&o, &e);
	if (p == NULL)
		msg_die(e.code, "%s", e.msg);
	if (creds_get(p, &c, &e) < 0)
		msg_die(e.code, "%s", e.msg);
	print(p, &c);
	if (refresh && creds_refresh(p, &e) < 0) {
		msg_err("%s", e.msg);
		rc = e.code;
	}
	if (again > 0 || refresh) {
		struct timespec ts = { (time_t)(again / 1000),
		    (long)(again % 1000) * 1000000L };

		nanosleep(&ts, NULL);
		if (creds_get(p, &c, &e) < 0) {
			msg_err("%s", e.msg);
			rc = e.code;
		} else {
			print(p, &c);
		}
	}
	creds_free(p);
	return rc;
}
