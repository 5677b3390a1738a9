/* SPDX-License-Identifier: MIT */
/* s3put: upload batch files to S3 or an S3-compatible store. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "aws.h"
#include "buf.h"
#include "creds.h"
#include "jsonw.h"
#include "msg.h"
#include "s3.h"
#include "s3key.h"
#include "stats.h"
#include "util.h"

#define SYNOPSIS "s3put [options] s3://BUCKET[/PREFIX] [FILE...]"
#define MAX_META 32

static void
usage(void)
{
	printf("usage: " SYNOPSIS "\n"
	    "Upload files to S3; with no FILE, read file paths from stdin, "
	    "one per line.\n'-' as the only FILE uploads stdin's bytes as "
	    "one object (needs --key).\n\n"
	    "      --acl ACL              canned ACL, e.g. "
	    "bucket-owner-full-control\n"
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
	    "      --retry-time DURATION  retry budget per request (default "
	    "5m)\n"
	    "      --sse ALG              AES256 or aws:kms\n"
	    "      --sse-kms-key-id ID    KMS key for --sse aws:kms\n"
	    "      --stats FILE           write a JSON summary at exit\n"
	    "      --storage-class CLASS  e.g. STANDARD_IA, GLACIER_IR\n"
	    "  -V, --version              print the version\n",
	    S3KEY_DEFAULT);
}

enum {
	O_ACL = 256, O_CA_BUNDLE, O_CONTENT_ENCODING, O_CONTENT_TYPE,
	O_ENDPOINT_URL, O_JSON, O_MAX_ATTEMPTS, O_METADATA,
	O_MULTIPART_THRESHOLD, O_PART_SIZE, O_PATH_STYLE, O_PROFILE,
	O_PROGRESS, O_REGION, O_REMOVE, O_RETRY_TIME, O_SSE,
	O_SSE_KMS_KEY_ID, O_STATS, O_STORAGE_CLASS
};

static const struct option longopts[] = {
	{ "acl", required_argument, NULL, O_ACL },
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

/* A queue of paths from the operands or stdin, worked by `jobs` threads. */
struct item {
	char *path;
	struct item *next;
};

static struct {
	struct s3_client *s3;
	struct s3_object_opts obj;
	const char *bucket, *prefix, *tmpl, *content_type;
	int dry_run, json, remove, stdin_object, key_set;

	pthread_mutex_t mu;	/* queue, output, counters, status */
	pthread_cond_t cv;
	struct item *head, *tail;
	int closed;
	volatile sig_atomic_t stop;	/* no new files */
	int stop_status;	/* the run-wide failure that stopped it */
	int worst;		/* worst per-file status */
	uint64_t nok, nfail;

	struct stats st;
	uint64_t *c_objects, *c_bytes, *c_failed, *c_retried;
} g;

static void
on_signal(int sig)
{
	(void)sig;
	g.stop = 1;
	if (g.s3 != NULL)
		s3_stop(g.s3);
}

/* Content-Type from the name. .gz gets application/gzip and no
 * Content-Encoding: a Content-Encoding: gzip object is decompressed in
 * transit by many HTTP clients, and Athena, DuckDB and Spark pick the
 * codec from the .gz extension, so they would then read garbage. */
static const char *
default_type(const char *path)
{
	static const struct { const char *ext, *type; } t[] = {
		{ ".gz", "application/gzip" },
		{ ".json", "application/x-ndjson" },
		{ ".jsonl", "application/x-ndjson" },
		{ ".ndjson", "application/x-ndjson" },
		{ ".csv", "text/csv" },
		{ ".parquet", "application/vnd.apache.parquet" },
		{ ".txt", "text/plain" },
	};
	size_t n = strlen(path), i;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		size_t l = strlen(t[i].ext);

		if (n > l && strcmp(path + n - l, t[i].ext) == 0)
			return t[i].type;
	}
	return "application/octet-stream";
}

/* Under g.mu: one line per object, flushed so a pipeline sees it now.
 * Returns 0 when the line reached stdout. */
static int
print_result(const char *path, const char *key, const struct s3_result *r)
{
	if (g.json) {
		struct buf b;
		struct jsonw w;
		int rc;

		buf_init(&b, 4 * S3KEY_MAX + 2 * PATH_MAX);
		jsonw_begin(&w, &b);
		jsonw_strz(&w, "bucket", g.bucket);
		jsonw_strz(&w, "key", key);
		jsonw_strz(&w, "etag", r->etag);
		jsonw_u64(&w, "size", r->size);
		jsonw_strz(&w, "file", g.stdin_object ? "-" : path);
		rc = jsonw_end(&w) < 0 || buf_addc(&b, '\n') < 0 ? -1 :
		    fwrite(b.p, 1, b.len, stdout) == b.len ? 0 : -1;
		buf_free(&b);
		if (rc < 0)
			return -1;
	} else {
		printf("s3://%s/%s %s\n", g.bucket, key, r->etag);
	}
	return fflush(stdout) != 0 || ferror(stdout) ? -1 : 0;
}

static void
fail_file(const char *path, int status, int stop_all)
{
	pthread_mutex_lock(&g.mu);
	g.nfail++;
	(*g.c_failed)++;
	g.worst = msg_worse(g.worst, status);
	if (stop_all && !g.stop) {
		g.stop = 1;
		g.stop_status = status;
	}
	stats_tick(&g.st);
	pthread_mutex_unlock(&g.mu);
	if (path != NULL && !g.stdin_object)
		msg_err("%s: not uploaded, left in place", path);
}

static void
upload(const char *path)
{
	struct buf key;
	struct stat sb;
	struct err e;
	struct s3_result r;
	struct s3_object_opts o = g.obj;
	int fd, rc;

	buf_init(&key, 2 * S3KEY_MAX);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &sb) < 0) {
		msg_err("%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		fail_file(NULL, MSG_EX_IO, 0);
		return;
	}
	if (!S_ISREG(sb.st_mode)) {
		msg_err("%s: not a regular file", path);
		close(fd);
		fail_file(NULL, MSG_EX_IO, 0);
		return;
	}
	if (s3key_make(&key, g.prefix, g.tmpl, g.stdin_object ? "stdin" : path,
	    g.stdin_object ? time(NULL) : sb.st_mtime, NULL, &e) < 0) {
		msg_err("%s", e.msg);
		close(fd);
		buf_free(&key);
		fail_file(path, MSG_EX_USAGE, 0);
		return;
	}
	(void)buf_str(&key);	/* s3key_make kept it within S3KEY_MAX */
	if (o.content_type == NULL)
		o.content_type = default_type(g.stdin_object ? key.p : path);

	if (g.dry_run) {
		struct buf out;

		buf_init(&out, 1 << 20);
		rc = s3_describe_put(g.s3, g.bucket, key.p, fd,
		    (uint64_t)sb.st_size, &o, &out, &e);
		pthread_mutex_lock(&g.mu);
		if (rc == 0) {
			printf("%s -> s3://%s/%s (%llu bytes, %s)\n%.*s",
			    g.stdin_object ? "-" : path, g.bucket, key.p,
			    (unsigned long long)sb.st_size, o.content_type,
			    (int)out.len, out.p);
			fflush(stdout);
			g.nok++;
		}
		pthread_mutex_unlock(&g.mu);
		if (rc != 0) {
			msg_err("%s", e.msg);
			fail_file(path, e.code, 0);
		}
		buf_free(&out);
		buf_free(&key);
		close(fd);
		return;
	}

	rc = s3_put_file(g.s3, g.bucket, key.p, fd, (uint64_t)sb.st_size, &o,
	    &r, &e);
	close(fd);
	if (rc != S3_OK) {
		msg_err("%s", e.msg);
		pthread_mutex_lock(&g.mu);
		*g.c_retried += r.retries;
		pthread_mutex_unlock(&g.mu);
		fail_file(path, e.code, rc == S3_FAIL_ALL);
		buf_free(&key);
		return;
	}
	pthread_mutex_lock(&g.mu);
	*g.c_retried += r.retries;
	(*g.c_objects)++;
	*g.c_bytes += r.size;
	g.nok++;
	rc = print_result(path, key.p, &r);
	stats_tick(&g.st);
	pthread_mutex_unlock(&g.mu);
	/* Remove only what S3 confirmed (200, ETag = MD5) and what the
	 * catalogue line reached stdout for. */
	if (g.remove) {
		if (rc != 0)
			msg_err("%s: kept: its result line could not be "
			    "written", path);
		else if (unlink(path) != 0)
			msg_err("%s: uploaded, but remove failed: %s", path,
			    strerror(errno));
	}
	buf_free(&key);
}

static void *
worker(void *arg)
{
	(void)arg;
	for (;;) {
		struct item *it;

		pthread_mutex_lock(&g.mu);
		while (g.head == NULL && !g.closed && !g.stop)
			pthread_cond_wait(&g.cv, &g.mu);
		if (g.stop || g.head == NULL) {
			pthread_mutex_unlock(&g.mu);
			break;
		}
		it = g.head;
		g.head = it->next;
		if (g.head == NULL)
			g.tail = NULL;
		pthread_mutex_unlock(&g.mu);
		upload(it->path);
		free(it->path);
		free(it);
	}
	pthread_mutex_lock(&g.mu);
	pthread_cond_broadcast(&g.cv);	/* wake the others on stop */
	pthread_mutex_unlock(&g.mu);
	return NULL;
}

static void
enqueue(const char *path)
{
	struct item *it = xmalloc(sizeof *it);

	it->path = xstrdup(path);
	it->next = NULL;
	pthread_mutex_lock(&g.mu);
	if (g.tail != NULL)
		g.tail->next = it;
	else
		g.head = it;
	g.tail = it;
	pthread_cond_signal(&g.cv);
	pthread_mutex_unlock(&g.mu);
}

/* Copy stdin to an unlinked temporary file, so retries can resend it. */
static int
spool_stdin(void)
{
	const char *tmp = getenv("TMPDIR");
	char path[4096], b[65536];
	ssize_t n;
	int fd;

	snprintf(path, sizeof path, "%s/s3put.XXXXXX",
	    tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
	if ((fd = mkstemp(path)) < 0)
		msg_die(MSG_EX_IO, "%s: %s", path, strerror(errno));
	unlink(path);
	while ((n = read(0, b, sizeof b)) != 0) {
		if (n < 0 && errno == EINTR && !g.stop)
			continue;
		if (n < 0)
			msg_die(MSG_EX_IO, "stdin: %s", strerror(errno));
		if (write(fd, b, (size_t)n) != n)
			msg_die(MSG_EX_IO, "%s: %s", path, strerror(errno));
	}
	return fd;
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

int
main(int argc, char **argv)
{
	struct s3_config cfg;
	struct creds_opts co;
	struct creds_provider *cp = NULL;
	struct err e;
	struct sigaction sa;
	struct buf epb;
	const char *meta[MAX_META];
	const char *endpoint = NULL, *region = NULL, *stats_path = NULL;
	const char *progress = "never", *corrupt;
	char *url = NULL, *slash;
	pthread_t th[256];
	uint64_t v;
	unsigned i, nth;
	int c, status, stdin_fd = -1;

	msg_init(argv[0]);
	opterr = 0;
	memset(&cfg, 0, sizeof cfg);
	memset(&co, 0, sizeof co);
	cfg.retry_time_ms = 5 * 60 * 1000;
	cfg.max_attempts = 10;
	cfg.part_size = 8ULL << 20;
	cfg.multipart_threshold = 8ULL << 20;
	cfg.jobs = 4;
	g.tmpl = S3KEY_DEFAULT;
	g.obj.metadata = meta;

	while ((c = getopt_long(argc, argv, ":nhj:k:V", longopts, NULL)) != -1) {
		switch (c) {
		case O_ACL:
			g.obj.acl = optarg;
			break;
		case O_CA_BUNDLE:
			cfg.ca_bundle = optarg;
			break;
		case O_CONTENT_ENCODING:
			g.obj.content_encoding = optarg;
			break;
		case O_CONTENT_TYPE:
			g.obj.content_type = optarg;
			break;
		case 'n':
			g.dry_run = 1;
			break;
		case O_ENDPOINT_URL:
			endpoint = optarg;
			break;
		case 'h':
			usage();
			return msg_finish_stdout(MSG_EX_OK);
		case 'j':
			if (util_parse_uint(optarg, 1, 256, &v) < 0)
				msg_usage(SYNOPSIS, "--jobs: '%s' is not a "
				    "number from 1 to 256", optarg);
			cfg.jobs = (unsigned)v;
			break;
		case O_JSON:
			g.json = 1;
			break;
		case 'k':
			g.tmpl = optarg;
			g.key_set = 1;
			break;
		case O_MAX_ATTEMPTS:
			if (util_parse_uint(optarg, 1, 100, &v) < 0)
				msg_usage(SYNOPSIS, "--max-attempts: '%s' is "
				    "not a number from 1 to 100", optarg);
			cfg.max_attempts = (unsigned)v;
			break;
		case O_METADATA:
			if (strchr(optarg, '=') == NULL || *optarg == '=')
				msg_usage(SYNOPSIS, "--metadata: '%s' is not "
				    "NAME=VALUE", optarg);
			if (g.obj.nmetadata == MAX_META)
				msg_usage(SYNOPSIS, "--metadata: at most %d",
				    MAX_META);
			meta[g.obj.nmetadata++] = optarg;
			break;
		case O_MULTIPART_THRESHOLD:
			cfg.multipart_threshold = size_arg(
			    "--multipart-threshold", optarg, S3_MIN_PART,
			    S3_MAX_PART);
			break;
		case O_PART_SIZE:
			cfg.part_size = size_arg("--part-size", optarg,
			    S3_MIN_PART, S3_MAX_PART);
			break;
		case O_PATH_STYLE:
			cfg.path_style = 1;
			break;
		case O_PROFILE:
			co.profile = optarg;
			break;
		case O_PROGRESS:
			progress = optarg != NULL ? optarg : "auto";
			break;
		case O_REGION:
			region = optarg;
			break;
		case O_REMOVE:
			g.remove = 1;
			break;
		case O_RETRY_TIME:
			if (util_parse_duration(optarg, &v) < 0)
				msg_usage(SYNOPSIS, "--retry-time: bad "
				    "duration '%s'", optarg);
			cfg.retry_time_ms = v;
			break;
		case O_SSE:
			if (strcmp(optarg, "AES256") != 0 &&
			    strcmp(optarg, "aws:kms") != 0)
				msg_usage(SYNOPSIS, "--sse: '%s' is not AES256 "
				    "or aws:kms", optarg);
			g.obj.sse = optarg;
			break;
		case O_SSE_KMS_KEY_ID:
			g.obj.sse_kms_key_id = optarg;
			break;
		case O_STATS:
			stats_path = optarg;
			break;
		case O_STORAGE_CLASS:
			g.obj.storage_class = optarg;
			break;
		case 'V':
			return msg_version();
		default:
			msg_badopt(SYNOPSIS, argv, c);
		}
	}
	argc -= optind;
	argv += optind;

	/* Validate everything before opening anything. */
	if (argc < 1)
		msg_usage(SYNOPSIS, "missing s3://BUCKET[/PREFIX]");
	if (strncmp(argv[0], "s3://", 5) != 0 || argv[0][5] == '\0' ||
	    argv[0][5] == '/')
		msg_usage(SYNOPSIS, "'%s' is not s3://BUCKET[/PREFIX]",
		    argv[0]);
	url = xstrdup(argv[0] + 5);
	slash = strchr(url, '/');
	g.prefix = "";
	if (slash != NULL) {
		*slash = '\0';
		g.prefix = slash + 1;
	}
	g.bucket = url;
	if (argc == 2 && strcmp(argv[1], "-") == 0) {
		g.stdin_object = 1;
		if (!g.key_set)
			msg_usage(SYNOPSIS, "'-' needs --key to name the "
			    "object");
		if (g.remove)
			msg_usage(SYNOPSIS, "--remove has nothing to remove "
			    "with '-'");
	} else {
		for (c = 1; c < argc; c++)
			if (strcmp(argv[c], "-") == 0)
				msg_usage(SYNOPSIS, "'-' must be the only "
				    "FILE");
	}
	if (g.obj.sse_kms_key_id != NULL && (g.obj.sse == NULL ||
	    strcmp(g.obj.sse, "aws:kms") != 0))
		msg_usage(SYNOPSIS, "--sse-kms-key-id needs --sse aws:kms");
	{
		struct buf kb;

		buf_init(&kb, 2 * S3KEY_MAX);
		if (s3key_make(&kb, g.prefix, g.tmpl, "x", 0, "h", &e) < 0)
			msg_usage(SYNOPSIS, "--key: %s", e.msg);
		buf_free(&kb);
	}
	corrupt = getenv("DDBLAKE_TEST_CORRUPT");
	if (corrupt != NULL && strcmp(corrupt, "md5") == 0)
		cfg.corrupt = S3_CORRUPT_MD5;
	else if (corrupt != NULL && strcmp(corrupt, "sha256") == 0)
		cfg.corrupt = S3_CORRUPT_SHA256;
	else if (corrupt != NULL && *corrupt != '\0')
		msg_usage(SYNOPSIS, "DDBLAKE_TEST_CORRUPT: '%s' is not md5 or "
		    "sha256", corrupt);
	stats_init(&g.st, "s3put");
	if (stats_set_progress(&g.st, progress) < 0)
		msg_usage(SYNOPSIS, "--progress: '%s' is not auto, always or "
		    "never", progress);
	g.c_objects = stats_counter(&g.st, "objects");
	g.c_bytes = stats_counter(&g.st, "bytes");
	g.c_failed = stats_counter(&g.st, "failed");
	g.c_retried = stats_counter(&g.st, "retried");
	stats_rates(&g.st, "objects", "bytes");

	/* Configuration: credentials, region, endpoint. */
	cp = creds_new(&co, &e);
	if (cp == NULL && !g.dry_run)
		msg_die(MSG_EX_USAGE, "%s", e.msg);
	if (region == NULL && cp != NULL)
		region = creds_region(cp);
	if (region == NULL) {
		const char *r = getenv("AWS_REGION");

		if (r == NULL || *r == '\0')
			r = getenv("AWS_DEFAULT_REGION");
		region = r != NULL && *r != '\0' ? r : "us-east-1";
	}
	buf_init(&epb, 4096);
	if (aws_endpoint_resolve(endpoint, "S3", "s3", region, &epb, &e) < 0)
		msg_die(e.code, "%s", e.msg);
	cfg.endpoint = epb.p;
	cfg.region = region;
	g.s3 = s3_new(&cfg, cp, &e);
	if (g.s3 == NULL)
		msg_die(e.code, "%s", e.msg);

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* Write errors on stdout and sockets come back as errors: a result
	 * line that cannot be written keeps the file (see --remove). */
	signal(SIGPIPE, SIG_IGN);
	pthread_mutex_init(&g.mu, NULL);
	pthread_cond_init(&g.cv, NULL);

	nth = cfg.jobs;
	if (g.stdin_object)
		nth = 1;
	for (i = 0; i < nth; i++)
		if (pthread_create(&th[i], NULL, worker, NULL) != 0)
			break;
	nth = i;
	if (nth == 0)
		msg_die(MSG_EX_IO, "cannot start threads");

	if (g.stdin_object) {
		char p[64];

		stdin_fd = spool_stdin();
		snprintf(p, sizeof p, "/dev/fd/%d", stdin_fd);
		enqueue(p);
	} else if (argc > 1) {
		for (c = 1; c < argc && !g.stop; c++)
			enqueue(argv[c]);
	} else {
		char *line = NULL;
		size_t cap = 0;
		ssize_t n;

		while (!g.stop && (n = getline(&line, &cap, stdin)) > 0) {
			while (n > 0 && (line[n - 1] == '\n' ||
			    line[n - 1] == '\r'))
				line[--n] = '\0';
			if (n > 0)
				enqueue(line);
		}
		if (ferror(stdin) && !g.stop) {
			msg_err("stdin: %s", strerror(errno));
			g.worst = msg_worse(g.worst, MSG_EX_IO);
		}
		free(line);
	}
	pthread_mutex_lock(&g.mu);
	g.closed = 1;
	pthread_cond_broadcast(&g.cv);
	pthread_mutex_unlock(&g.mu);
	for (i = 0; i < nth; i++)
		pthread_join(th[i], NULL);

	/* Files never started because the run stopped stay in place. */
	while (g.head != NULL) {
		struct item *it = g.head;

		g.head = it->next;
		msg_err("%s: not uploaded, left in place", it->path);
		g.nfail++;
		(*g.c_failed)++;
		free(it->path);
		free(it);
	}
	if (g.stop && g.stop_status == 0)
		g.stop_status = MSG_EX_REMOTE_TEMP;	/* a signal: rerun */
	if (g.stop)
		status = g.stop_status;
	else if (g.nfail == 0)
		status = msg_worse(MSG_EX_OK, g.worst);
	else
		status = g.nok > 0 ? MSG_EX_PARTIAL : g.worst;
	status = msg_finish_stdout(status);
	if (stats_finish(&g.st, stats_path, status, &e) < 0) {
		msg_err("%s", e.msg);
		status = msg_worse(status, MSG_EX_IO);
	}
	s3_free(g.s3);
	creds_free(cp);
	buf_free(&epb);
	if (stdin_fd >= 0)
		close(stdin_fd);
	free(url);
	return status;
}
