/* SPDX-License-Identifier: MIT */
/* ddbbatch: group lines into batch files by size, count and age, per
 * partition, and print each finished batch's path (see man/ddbbatch.1).
 * The driver: options, signals and messages; the loop is lib/batchrun. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "batch.h"
#include "batchrun.h"
#include "msg.h"
#include "stats.h"
#include "util.h"

#define ERROR_KEY BATCHRUN_ERROR_KEY

enum { OPT_PROGRESS = 256, OPT_STATS };

static const struct option longopts[] = {
	{ "dir", required_argument, NULL, 'd' },
	{ "errors", required_argument, NULL, 'e' },
	{ "gzip", optional_argument, NULL, 'z' },
	{ "help", no_argument, NULL, 'h' },
	{ "max-age", required_argument, NULL, 't' },
	{ "max-bytes", required_argument, NULL, 's' },
	{ "max-partitions", required_argument, NULL, 'P' },
	{ "max-records", required_argument, NULL, 'r' },
	{ "name", required_argument, NULL, 'N' },
	{ "partition", required_argument, NULL, 'p' },
	{ "partition-field", required_argument, NULL, 'f' },
	{ "progress", optional_argument, NULL, OPT_PROGRESS },
	{ "stats", required_argument, NULL, OPT_STATS },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 }
};

static const char synopsis[] =
    "ddbbatch [-z[LEVEL]] [-d DIR] [-s SIZE] [-r N] [-t DURATION]\n"
    "                [-p PROGRAM | -f NAME] [options] [FILE...]";

static void
usage(void)
{
	printf("usage: %s\n\n", synopsis);
	fputs(
"Read lines (typically ddbflat output) from FILEs or standard input, group\n"
"them into batch files under DIR, and print each finished batch's path.\n"
"A batch closes at --max-bytes (uncompressed), --max-records or --max-age,\n"
"whichever comes first.\n\n"
"  -d, --dir DIR               write batches under DIR (default: spool)\n"
"  -e, --errors FILE           append unroutable records to FILE instead of\n"
"                              DIR/" ERROR_KEY "\n"
"  -z, --gzip[=LEVEL]          gzip each batch (.json.gz), LEVEL 0-9 (6)\n"
"  -h, --help                  show this help and exit\n"
"  -t, --max-age DURATION      close a batch this long after its first\n"
"                              record (default 120s; ms, s, m, h)\n"
"  -s, --max-bytes SIZE        close a batch at SIZE bytes of records\n"
"                              (default 1M; K, M, G suffixes)\n"
"  -P, --max-partitions N      open batches at most; past it the oldest\n"
"                              closes early (default 500)\n"
"  -r, --max-records N         close a batch at N records (default: none)\n"
"  -N, --name NAME             batch file name prefix (default: ddb)\n"
"  -p, --partition PROGRAM     jq program yielding {name: value, ...}\n"
"  -f, --partition-field NAME  partition by top-level field NAME\n"
"      --progress[=WHEN]       progress line on stderr: auto, always, never\n"
"      --stats FILE            write a JSON summary to FILE at exit\n"
"  -V, --version               print the version and exit\n\n"
"SIGTERM or SIGINT: hand on every open batch and exit; SIGUSR1: hand on\n"
"every open batch now. A rerun over the same DIR finishes batches left by\n"
"a run that was killed.\n", stdout);
}

static void
on_error(void *ctx, const char *src, uint64_t line, const char *msg)
{
	(void)ctx;
	if (line != 0)
		msg_err("%s:%llu: %s", src, (unsigned long long)line, msg);
	else
		msg_err("%s: %s", src, msg);
}

static void
on_warn(void *ctx, const char *src, uint64_t line, const char *msg)
{
	(void)ctx;
	msg_warn("%s:%llu: %s", src, (unsigned long long)line, msg);
}

/* The signalfd is readable: SIGUSR1 flushes, SIGTERM and SIGINT stop. */
static int
on_wake(void *ctx)
{
	int *sfd = ctx, what = 0;
	struct signalfd_siginfo si;

	while (read(*sfd, &si, sizeof si) == (ssize_t)sizeof si)
		what |= si.ssi_signo == SIGUSR1 ? BATCHRUN_FLUSH : BATCHRUN_STOP;
	return what;
}

/* Returns the signalfd, or -1. */
static int
setup_signals(void)
{
	sigset_t set;

	signal(SIGPIPE, SIG_IGN);	/* a closed stdout is reported */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGUSR1);
	/* Blocked before the finisher thread starts, so it inherits the mask
	 * and the signals reach only the signalfd. */
	if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0)
		return -1;
	return signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
}

static void
need_files(uint64_t partitions)
{
	struct rlimit rl;
	rlim_t need = (rlim_t)partitions + 128;	/* + queue, stdio, etc. */

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= need)
		return;
	rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= need ?
	    need : rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
	if (rl.rlim_cur < need)
		msg_usage(synopsis, "--max-partitions %llu needs %llu open "
		    "files; the limit is %llu", (unsigned long long)partitions,
		    (unsigned long long)need, (unsigned long long)rl.rlim_cur);
}

/* Parses the command line into o; exits on --help, --version and usage
 * errors. Returns the index of the first operand. */
static int
options(int argc, char **argv, struct batchrun_opts *o, struct stats *st,
    const char **stats_path)
{
	struct batcher_opts *b = &o->batch;
	uint64_t v;
	long room;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":d:e:z::ht:s:P:r:N:p:f:V",
	    longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			if (*optarg == '\0')
				msg_usage(synopsis, "--dir: empty path");
			b->dir = optarg;
			break;
		case 'e':
			o->errpath = optarg;
			break;
		case 'z':
			b->gzip_level = 6;
			if (optarg != NULL) {
				if (util_parse_uint(optarg, 0, 9, &v) < 0)
					msg_usage(synopsis, "--gzip: level must "
					    "be 0 to 9: '%s'", optarg);
				b->gzip_level = (int)v;
			}
			break;
		case 'h':
			usage();
			exit(msg_finish_stdout(MSG_EX_OK));
		case 't':
			if (util_parse_duration(optarg, &b->max_age_ms) < 0)
				msg_usage(synopsis, "--max-age: bad duration "
				    "'%s'", optarg);
			break;
		case 's':
			if (util_parse_size(optarg, &b->max_bytes) < 0 ||
			    b->max_bytes == 0)
				msg_usage(synopsis, "--max-bytes: bad size "
				    "'%s'", optarg);
			break;
		case 'P':
			if (util_parse_uint(optarg, 1, 1000000, &v) < 0)
				msg_usage(synopsis, "--max-partitions: want 1 "
				    "to 1000000: '%s'", optarg);
			b->max_partitions = (size_t)v;
			break;
		case 'r':
			if (util_parse_uint(optarg, 1, UINT64_MAX,
			    &b->max_records) < 0)
				msg_usage(synopsis, "--max-records: want a "
				    "positive number: '%s'", optarg);
			break;
		case 'N':
			if (!batch_name_valid(optarg))
				msg_usage(synopsis, "--name: want 1 to %d of "
				    "[A-Za-z0-9._-], not starting with '.': "
				    "'%s'", BATCH_NAME_MAX, optarg);
			b->name = optarg;
			break;
		case 'p':
			o->program = optarg;
			break;
		case 'f':
			if (*optarg == '\0')
				msg_usage(synopsis, "--partition-field: empty "
				    "name");
			o->field = optarg;
			break;
		case OPT_PROGRESS:
			if (stats_set_progress(st, optarg) < 0)
				msg_usage(synopsis, "--progress: want auto, "
				    "always or never: '%s'", optarg);
			break;
		case OPT_STATS:
			*stats_path = optarg;
			break;
		case 'V':
			exit(msg_version());
		default:
			msg_badopt(synopsis, argv, c);
		}
	}
	if (o->program != NULL && o->field != NULL)
		msg_usage(synopsis, "--partition and --partition-field "
		    "exclude each other");
	/* Every batch path must stay openable, the error partition's too. */
	room = batch_key_room(b->dir, b->name, b->gzip_level >= 0);
	if (room < (long)strlen(ERROR_KEY))
		msg_usage(synopsis, "--dir: %zu bytes is too long: batch paths "
		    "must stay under %d bytes, the error partition's too; at "
		    "most %ld", strlen(b->dir), BATCH_PATH_MAX + 1,
		    batch_key_room("", b->name, b->gzip_level >= 0) - 1 -
		    (long)strlen(ERROR_KEY));
	return optind;
}

/* Each operand in turn ("-" is stdin); a missing file is reported and
 * raises the status to 1. Returns -1 on a fatal error. */
static int
inputs(struct batchrun *r, int argc, char **argv, int first, int *status,
    struct err *e)
{
	int i, fd, rc;

	if (first == argc)
		return batchrun_input(r, 0, "(stdin)", e);
	for (i = first; i < argc && !batchrun_stopped(r); i++) {
		if (strcmp(argv[i], "-") == 0) {
			if (batchrun_input(r, 0, "(stdin)", e) < 0)
				return -1;
			continue;
		}
		fd = open(argv[i], O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			msg_err("%s: %s", argv[i], strerror(errno));
			*status = msg_worse(*status, MSG_EX_PARTIAL);
			continue;
		}
		rc = batchrun_input(r, fd, argv[i], e);
		close(fd);
		if (rc < 0)
			return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	int sfd = -1;
	struct batchrun_opts o = {
		.batch = { .dir = "spool", .name = "ddb",
		    .max_bytes = 1024 * 1024, .max_records = 0,
		    .max_age_ms = 120000, .max_partitions = 500,
		    .gzip_level = -1, .out = stdout },
		.wakefd = -1, .woken = on_wake, .ctx = &sfd,
		.error = on_error, .warn = on_warn,
	};
	struct stats st;
	struct batchrun *r;
	struct err e = { 0, "" };
	const char *stats_path = NULL;
	int first, n, status = MSG_EX_OK;

	msg_init(argv[0]);
	stats_init(&st, "ddbbatch");
	first = options(argc, argv, &o, &st, &stats_path);
	need_files(o.batch.max_partitions);
	/* Before the batcher's thread starts, so it inherits the mask. */
	if ((sfd = setup_signals()) < 0)
		msg_die(MSG_EX_IO, "signals: %s", strerror(errno));
	o.wakefd = sfd;
	r = batchrun_new(&o, &st, &e);
	if (r == NULL) {
		if (e.code == MSG_EX_USAGE)
			msg_usage(synopsis, "%s", e.msg);
		msg_err("%s", e.msg);
		return e.code;
	}
	n = batchrun_start(r, &e);
	if (n > 0)
		msg_info("%s: finishing %d batch%s left by an earlier run",
		    o.batch.dir, n, n == 1 ? "" : "es");
	if (n < 0 || inputs(r, argc, argv, first, &status, &e) < 0 ||
	    batchrun_finish(r, &e) < 0) {
		msg_err("%s", e.msg);
		status = msg_worse(status, e.code != 0 ? e.code : MSG_EX_IO);
	}
	if (batchrun_close(r, &e) < 0) {
		msg_err("%s", e.msg);
		status = msg_worse(status, MSG_EX_IO);
	}
	status = msg_worse(status, batchrun_status(r));
	batchrun_free(r);
	close(sfd);
	/* The summary comes last, so its exit field is the real status. */
	status = msg_finish_stdout(status);
	if (stats_finish(&st, stats_path, status, &e) < 0) {
		msg_err("%s", e.msg);
		status = msg_worse(status, MSG_EX_IO);
	}
	return status;
}
