/* SPDX-License-Identifier: MIT */
/* s3put: upload batch files to S3 or an S3-compatible store. The per-file
 * loop is lib/upload; this driver reads the options, sets up the clients,
 * prints what lib/upload reports and exits with its status. */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws.h"
#include "awsconf.h"
#include "buf.h"
#include "creds.h"
#include "jsonw.h"
#include "msg.h"
#include "s3.h"
#include "s3key.h"
#include "sigwatch.h"
#include "stats.h"
#include "upload.h"
#include "util.h"

#define SYNOPSIS "s3put [options] s3://BUCKET[/PREFIX] [FILE...]"

static void
usage(void)
{
	printf("usage: " SYNOPSIS "\n"
	    "Upload files to S3; with no FILE, read file paths from stdin, "
	    "one per line.\n'-' as the only FILE uploads stdin's bytes as "
	    "one object (needs --key).\n\n"
	    "      --acl ACL              canned ACL, e.g. "
	    "bucket-owner-full-control\n"
	    "      --attempt-timeout DURATION  time for each try of a request "
	    "(default 2m)\n"
	    "      --ca-bundle FILE       trust these CAs instead of the "
	    "system store\n"
	    "      --content-encoding ENC Content-Encoding header (default "
	    "none)\n"
	    "      --content-type TYPE    Content-Type (default from the file "
	    "name)\n"
	    "  -n, --dry-run              print what would go where, and the "
	    "canonical\n"
	    "                             request and string to sign; send "
	    "nothing\n"
	    "      --endpoint-url URL     S3-compatible endpoint\n"
	    "  -h, --help                 this help\n"
	    "  -j, --jobs N               requests in flight (default 4)\n"
	    "      --json                 one JSON object per uploaded "
	    "object\n"
	    "  -k, --key TEMPLATE         key template (default "
	    "'%s')\n"
	    "      --max-attempts N       tries per request (default 10)\n"
	    "      --metadata K=V         x-amz-meta-K: V (repeatable)\n"
	    "      --multipart-threshold SIZE  multipart above this (default "
	    "8M)\n"
	    "      --part-size SIZE       multipart part size (default 8M, "
	    "at least 5M)\n"
	    "      --path-style           address buckets as "
	    "ENDPOINT/BUCKET/KEY\n"
	    "      --profile NAME         credentials and region profile\n"
	    "      --progress[=WHEN]      auto, always or never\n"
	    "      --region REGION        the bucket's region\n"
	    "      --remove               delete each file once S3 has it\n"
	    "      --retry-time DURATION  time for each request, all tries "
	    "(default 5m)\n"
	    "      --sse ALG              AES256 or aws:kms\n"
	    "      --sse-kms-key-id ID    KMS key for --sse aws:kms\n"
	    "      --stats FILE           write a JSON summary at exit\n"
	    "      --storage-class CLASS  e.g. STANDARD_IA, GLACIER_IR\n"
	    "  -V, --version              print the version\n",
	    S3KEY_DEFAULT);
}

enum {
	O_ACL = 256, O_ATTEMPT_TIMEOUT, O_CA_BUNDLE, O_CONTENT_ENCODING, O_CONTENT_TYPE,
	O_ENDPOINT_URL, O_JSON, O_MAX_ATTEMPTS, O_METADATA,
	O_MULTIPART_THRESHOLD, O_PART_SIZE, O_PATH_STYLE, O_PROFILE,
	O_PROGRESS, O_REGION, O_REMOVE, O_RETRY_TIME, O_SSE,
	O_SSE_KMS_KEY_ID, O_STATS, O_STORAGE_CLASS
};

static const struct option longopts[] = {
	{ "acl", required_argument, NULL, O_ACL },
	{ "attempt-timeout", required_argument, NULL, O_ATTEMPT_TIMEOUT },
	{ "ca-bundle", required_argument, NULL, O_CA_BUNDLE },
	{ "content-encoding", required_argument, NULL, O_CONTENT_ENCODING },
	{ "content-type", required_argument, NULL, O_CONTENT_TYPE },
	{ "dry-run", no_argument, NULL, 'n' },
	{ "endpoint-url", required_argument, NULL, O_ENDPOINT_URL },
	{ "help", no_argument, NULL, 'h' },
	{ "jobs", required_argument, NULL, 'j' },
	{ "json", no_argument, NULL, O_JSON },
	{ "key", required_argument, NULL, 'k' },
	{ "max-attempts", required_argument, NULL, O_MAX_ATTEMPTS },
	{ "metadata", required_argument, NULL, O_METADATA },
	{ "multipart-threshold", required_argument, NULL,
	    O_MULTIPART_THRESHOLD },
	{ "part-size", required_argument, NULL, O_PART_SIZE },
	{ "path-style", no_argument, NULL, O_PATH_STYLE },
	{ "profile", required_argument, NULL, O_PROFILE },
	{ "progress", optional_argument, NULL, O_PROGRESS },
	{ "region", required_argument, NULL, O_REGION },
	{ "remove", no_argument, NULL, O_REMOVE },
	{ "retry-time", required_argument, NULL, O_RETRY_TIME },
	{ "sse", required_argument, NULL, O_SSE },
	{ "sse-kms-key-id", required_argument, NULL, O_SSE_KMS_KEY_ID },
	{ "stats", required_argument, NULL, O_STATS },
	{ "storage-class", required_argument, NULL, O_STORAGE_CLASS },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 }
};

/* Options, and what the report function needs: main() owns the one. */
struct opts {
	struct s3_config cfg;
	struct creds_opts co;
	struct upload_config up;
	const char *meta[S3_MAX_METADATA];
	const char *endpoint, *region, *stats_path, *progress;
	int json, key_set;
	int out_errno;		/* of the first failed write to stdout */
	char *url;		/* BUCKET[/PREFIX], cut at the slash */
	/* What a signal stops: the upload, once there is one. */
	pthread_mutex_t mu;
	struct upload *running;
	int signalled;
};

/* SIGINT and SIGTERM, on lib/sigwatch's thread: stop the upload, or the
 * one about to start. */
static void
on_signal(void *ud, int sig)
{
	struct opts *o = ud;

	(void)sig;
	pthread_mutex_lock(&o->mu);
	o->signalled = 1;
	if (o->running != NULL)
		upload_stop(o->running);
	pthread_mutex_unlock(&o->mu);
}

/* The upload, started under the signal thread's watch. */
static struct upload *
start(struct opts *o)
{
	struct upload *up;
	struct err e;

	if ((up = upload_new(&o->up, &e)) == NULL)
		msg_die(e.code, "%s", e.msg);
	pthread_mutex_lock(&o->mu);
	o->running = up;
	if (o->signalled)
		upload_stop(up);
	pthread_mutex_unlock(&o->mu);
	if (upload_start(up, &e) < 0)
		msg_die(e.code, "%s", e.msg);
	return up;
}

/* One line per object, flushed so a pipeline sees it now. Returns 0 when
 * the line reached stdout. */
static int
print_result(struct opts *o, const struct upload_report *r)
{
	int rc = 0;

	errno = 0;
	if (o->json) {
		struct buf b;
		struct jsonw w;

		/* Escaped, a byte takes at most 6: room for any key and path. */
		buf_init(&b, 1 << 20);
		jsonw_begin(&w, &b);
		jsonw_strz(&w, "bucket", o->up.bucket);
		jsonw_strz(&w, "key", r->key);
		jsonw_strz(&w, "etag", r->res->etag);
		jsonw_u64(&w, "size", r->res->size);
		jsonw_strz(&w, "file", r->path);
		rc = jsonw_end(&w) < 0 || buf_addc(&b, '\n') < 0 ? -1 :
		    fwrite(b.p, 1, b.len, stdout) == b.len ? 0 : -1;
		buf_free(&b);
	} else {
		printf("s3://%s/%s %s\n", o->up.bucket, r->key, r->res->etag);
	}
	if (rc == 0 && fflush(stdout) == 0 && !ferror(stdout))
		return 0;
	if (ferror(stdout) && o->out_errno == 0)
		o->out_errno = errno != 0 ? errno : EIO;
	return -1;
}

/* lib/upload's outcomes, one at a time. */
static int
report(void *ud, const struct upload_report *r)
{
	struct opts *o = ud;

	switch (r->event) {
	case UPLOAD_DONE:
		return print_result(o, r);
	case UPLOAD_PLANNED:
		printf("%s -> s3://%s/%s (%llu bytes, %s)\n%.*s", r->path,
		    o->up.bucket, r->key, (unsigned long long)r->size,
		    r->content_type, (int)r->plan_len, r->plan);
		fflush(stdout);
		return 0;
	case UPLOAD_FAILED:
		if (r->err != NULL)
			msg_err("%s", r->err->msg);
		if (r->left)
			msg_err("%s: not uploaded, left in place", r->path);
		return 0;
	default:
		if (r->warning)
			msg_warn("%s", r->err->msg);
		else
			msg_err("%s", r->err->msg);
		return 0;
	}
}

static uint64_t
size_arg(const char *opt, const char *s, uint64_t min, uint64_t max)
{
	uint64_t v;

	if (util_parse_size(s, &v) < 0 || v < min || v > max)
		msg_usage(SYNOPSIS, "%s: bad size '%s' (from %llu to %llu "
		    "bytes)", opt, s, (unsigned long long)min,
		    (unsigned long long)max);
	return v;
}

static uint64_t
duration_arg(const char *opt, const char *s)
{
	uint64_t v;

	if (util_parse_duration(s, &v) < 0 || v == 0)
		msg_usage(SYNOPSIS, "%s: bad duration '%s' (more than 0: 500ms, "
		    "30s, 5m)", opt, s);
	return v;
}

/* One option of getopt_long's into o: a case per option, in the order of
 * the man page, so it runs a little over 100 lines. */
static void
parse_opt(struct opts *o, int c, char **argv)
{
	uint64_t v;

	switch (c) {
	case O_ACL:
		o->up.obj.acl = optarg;
		break;
	case O_ATTEMPT_TIMEOUT:
		o->cfg.attempt_timeout_ms = duration_arg("--attempt-timeout",
		    optarg);
		break;
	case O_CA_BUNDLE:
		o->cfg.ca_bundle = optarg;
		break;
	case O_CONTENT_ENCODING:
		o->up.obj.content_encoding = optarg;
		break;
	case O_CONTENT_TYPE:
		o->up.obj.content_type = optarg;
		break;
	case 'n':
		o->up.dry_run = 1;
		break;
	case O_ENDPOINT_URL:
		o->endpoint = optarg;
		break;
	case 'h':
		usage();
		exit(msg_finish_stdout(MSG_EX_OK));
	case 'j':
		if (util_parse_uint(optarg, 1, 256, &v) < 0)
			msg_usage(SYNOPSIS, "--jobs: '%s' is not a number from "
			    "1 to 256", optarg);
		o->cfg.jobs = (unsigned)v;
		break;
	case O_JSON:
		o->json = 1;
		break;
	case 'k':
		o->up.tmpl = optarg;
		o->key_set = 1;
		break;
	case O_MAX_ATTEMPTS:
		if (util_parse_uint(optarg, 1, 100, &v) < 0)
			msg_usage(SYNOPSIS, "--max-attempts: '%s' is not a "
			    "number from 1 to 100", optarg);
		o->cfg.max_attempts = (unsigned)v;
		break;
	case O_METADATA:
		if (o->up.obj.nmetadata == S3_MAX_METADATA)
			msg_usage(SYNOPSIS, "--metadata: at most %d",
			    S3_MAX_METADATA);
		o->meta[o->up.obj.nmetadata++] = optarg;
		break;
	case O_MULTIPART_THRESHOLD:
		o->cfg.multipart_threshold = size_arg("--multipart-threshold",
		    optarg, S3_MIN_PART, S3_MAX_PART);
		break;
	case O_PART_SIZE:
		o->cfg.part_size = size_arg("--part-size", optarg, S3_MIN_PART,
		    S3_MAX_PART);
		break;
	case O_PATH_STYLE:
		o->cfg.path_style = 1;
		break;
	case O_PROFILE:
		o->co.profile = optarg;
		break;
	case O_PROGRESS:
		o->progress = optarg != NULL ? optarg : "auto";
		break;
	case O_REGION:
		o->region = optarg;
		break;
	case O_REMOVE:
		o->up.remove = 1;
		break;
	case O_RETRY_TIME:
		o->cfg.retry_time_ms = duration_arg("--retry-time", optarg);
		break;
	case O_SSE:
		if (strcmp(optarg, "AES256") != 0 &&
		    strcmp(optarg, "aws:kms") != 0)
			msg_usage(SYNOPSIS, "--sse: '%s' is not AES256 or "
			    "aws:kms", optarg);
		o->up.obj.sse = optarg;
		break;
	case O_SSE_KMS_KEY_ID:
		o->up.obj.sse_kms_key_id = optarg;
		break;
	case O_STATS:
		o->stats_path = optarg;
		break;
	case O_STORAGE_CLASS:
		o->up.obj.storage_class = optarg;
		break;
	case 'V':
		exit(msg_version());
	default:
		msg_badopt(SYNOPSIS, argv, c);
	}
}

/* The operands and option combinations, checked before anything is
 * opened. */
static void
check_args(struct opts *o, int argc, char **argv)
{
	const char *corrupt = getenv("DDBLAKE_TEST_CORRUPT");
	struct buf kb;
	struct err e;
	char *slash;
	int i;

	if (argc < 1)
		msg_usage(SYNOPSIS, "missing s3://BUCKET[/PREFIX]");
	if (strncmp(argv[0], "s3://", 5) != 0 || argv[0][5] == '\0' ||
	    argv[0][5] == '/')
		msg_usage(SYNOPSIS, "'%s' is not s3://BUCKET[/PREFIX]",
		    argv[0]);
	o->url = xstrdup(argv[0] + 5);
	slash = strchr(o->url, '/');
	o->up.prefix = "";
	if (slash != NULL) {
		*slash = '\0';
		o->up.prefix = slash + 1;
	}
	o->up.bucket = o->url;
	if (argc == 2 && strcmp(argv[1], "-") == 0) {
		o->up.stdin_object = 1;
		if (!o->key_set)
			msg_usage(SYNOPSIS, "'-' needs --key to name the "
			    "object");
		if (o->up.remove)
			msg_usage(SYNOPSIS, "--remove has nothing to remove "
			    "with '-'");
	}
	for (i = 1; i < argc && !o->up.stdin_object; i++)
		if (strcmp(argv[i], "-") == 0)
			msg_usage(SYNOPSIS, "'-' must be the only FILE");
	if (s3_metadata_check(o->meta, o->up.obj.nmetadata, &e) < 0)
		msg_usage(SYNOPSIS, "%s", e.msg);
	if (o->up.obj.sse_kms_key_id != NULL && (o->up.obj.sse == NULL ||
	    strcmp(o->up.obj.sse, "aws:kms") != 0))
		msg_usage(SYNOPSIS, "--sse-kms-key-id needs --sse aws:kms");
	buf_init(&kb, 2 * S3KEY_MAX);
	if (s3key_make(&kb, o->up.prefix, o->up.tmpl, "x", 0, "h", &e) < 0)
		msg_usage(SYNOPSIS, "--key: %s", e.msg);
	buf_free(&kb);
	if (corrupt != NULL && strcmp(corrupt, "md5") == 0)
		o->cfg.corrupt = S3_CORRUPT_MD5;
	else if (corrupt != NULL && strcmp(corrupt, "sha256") == 0)
		o->cfg.corrupt = S3_CORRUPT_SHA256;
	else if (corrupt != NULL && *corrupt != '\0')
		msg_usage(SYNOPSIS, "DDBLAKE_TEST_CORRUPT: '%s' is not md5 or "
		    "sha256", corrupt);
}

/* Credentials, region and endpoint; the S3 client. */
static struct s3_client *
configure(struct opts *o, struct creds_provider **cp, struct buf *ep)
{
	struct awsconf ac;
	struct s3_client *s3;
	struct err e;

	*cp = creds_new(&o->co, &e);
	if (*cp == NULL && !o->up.dry_run)
		msg_die(MSG_EX_USAGE, "%s", e.msg);
	memset(&ac, 0, sizeof ac);
	ac.region = o->region;
	ac.endpoint = o->endpoint;
	ac.profile_region = *cp != NULL ? creds_region(*cp) : NULL;
	ac.profile = o->co.profile != NULL ? o->co.profile :
	    getenv("AWS_PROFILE");
	if ((o->cfg.region = awsconf_region(&ac, "us-east-1", &e)) == NULL ||
	    awsconf_endpoint(&ac, aws_s3.id, aws_s3.host, o->cfg.region, ep,
	    &e) < 0)
		msg_die(e.code, "%s", e.msg);
	o->cfg.endpoint = ep->p;
	s3 = s3_new(&o->cfg, *cp, &e);
	if (s3 == NULL)
		msg_die(e.code, "%s", e.msg);
	return s3;
}

int
main(int argc, char **argv)
{
	struct opts o;
	struct stats st;
	struct creds_provider *cp;
	static const int sigs[] = { SIGINT, SIGTERM };
	struct upload *up;
	struct sigwatch *sw;
	struct buf ep;
	struct err e;
	int c, status;

	msg_init(argv[0]);
	opterr = 0;
	memset(&o, 0, sizeof o);
	pthread_mutex_init(&o.mu, NULL);
	o.cfg.retry_time_ms = 5 * 60 * 1000;
	o.cfg.attempt_timeout_ms = 2 * 60 * 1000;
	o.cfg.max_attempts = 10;
	o.cfg.part_size = 8ULL << 20;
	o.cfg.multipart_threshold = 8ULL << 20;
	o.cfg.jobs = 4;
	o.up.tmpl = S3KEY_DEFAULT;
	o.up.obj.metadata = o.meta;
	o.progress = "never";
	while ((c = getopt_long(argc, argv, ":nhj:k:V", longopts, NULL)) != -1)
		parse_opt(&o, c, argv);
	check_args(&o, argc - optind, argv + optind);
	/* Before any thread: every later one leaves the signals to it. */
	if ((sw = sigwatch_start(sigs, 2, on_signal, &o, &e)) == NULL)
		msg_die(e.code, "%s", e.msg);
	stats_init(&st, "s3put");
	if (stats_set_progress(&st, o.progress) < 0)
		msg_usage(SYNOPSIS, "--progress: '%s' is not auto, always or "
		    "never", o.progress);
	buf_init(&ep, 4096);
	o.up.s3 = configure(&o, &cp, &ep);
	o.up.jobs = o.cfg.jobs;
	o.up.st = &st;
	o.up.report = report;
	o.up.ud = &o;
	/* Write errors on stdout and sockets come back as errors: a result
	 * line that cannot be written keeps the file (see --remove). */
	signal(SIGPIPE, SIG_IGN);
	up = start(&o);
	argc -= optind;
	argv += optind;
	if (o.up.stdin_object && upload_add_stdin(up, 0, &e) < 0)
		msg_die(e.code, "%s", e.msg);
	for (c = 1; c < argc && !o.up.stdin_object && !upload_stopped(up); c++)
		upload_add(up, argv[c]);
	if (argc == 1 && upload_add_lines(up, 0, &e) < 0) {
		msg_err("%s", e.msg);
		upload_note(up, MSG_EX_IO);
	}
	status = upload_finish(up);
	status = msg_finish_stdout_errno(status, o.out_errno);
	if (stats_finish(&st, o.stats_path, status, &e) < 0) {
		msg_err("%s", e.msg);
		status = msg_worse(status, MSG_EX_IO);
	}
	sigwatch_stop(sw);
	upload_free(up);
	s3_free(o.up.s3);
	creds_free(cp);
	buf_free(&ep);
	free(o.url);
	pthread_mutex_destroy(&o.mu);
	return status;
}
