/* SPDX-License-Identifier: MIT */
/* ddbbatch: group lines into batch files by size, count and age, per
 * partition, and print each finished batch's path (see man/ddbbatch.1). */
#define _GNU_SOURCE	/* F_SETPIPE_SZ */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "batch.h"
#include "buf.h"
#include "errrec.h"
#include "json.h"
#include "lines.h"
#include "msg.h"
#include "partition.h"
#include "stats.h"
#include "util.h"

#define READ_SIZE (1024 * 1024)
#define LINE_MAX_BYTES (1024ULL * 1024 * 1024)	/* one record, in memory */
#define ERROR_KEY "_error=partition-failed/"
#define ERROR_CODE "PartitionKeyFailed"

enum { OPT_PROGRESS = 256, OPT_STATS };

static const char synopsis[] =
    "ddbbatch [-z[LEVEL]] [-d DIR] [-s SIZE] [-r N] [-t DURATION]\n"
    "                [-p PROGRAM | -f NAME] [options] [FILE...]";

struct run {
	struct batcher *b;
	struct partition_jq *pj;
	const char *field;
	uint64_t max_bytes;
	FILE *errf;		/* --errors FILE, else NULL */
	const char *errpath;
	struct lines ln;	/* input; holds at most one partial line */
	struct buf key, val, why, env;
	int sfd;		/* signalfd for TERM, INT, USR1 */
	int stop;
	int status;
	const char *src;
	unsigned long long lineno;
	uint64_t *in, *out, *failed, *bytes;
	uint64_t *batches, *bytes_out, *recovered;
	struct stats st;
};

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

static int
route_error(struct run *r, const char *reason, const char *rec, size_t len,
    struct err *e)
{
	struct errrec er = { .tool = "ddbbatch", .code = ERROR_CODE,
	    .message = reason, .source = r->src, .line = r->lineno,
	    .raw = rec, .rawlen = len };

	msg_err("%s:%llu: %s", r->src, r->lineno, reason);
	r->env.len = 0;
	if (errrec_format(&r->env, &er, util_wall_ms()) < 0)
		return msg_seterr(e, MSG_EX_IO, "%s:%llu: error record too "
		    "large", r->src, r->lineno);
	if (r->errf != NULL) {
		if (fwrite(r->env.p, 1, r->env.len, r->errf) != r->env.len)
			return msg_seterr(e, MSG_EX_IO, "%s: %s", r->errpath,
			    strerror(errno));
	} else if (batcher_add(r->b, ERROR_KEY, strlen(ERROR_KEY), r->env.p,
	    r->env.len, e) < 0)
		return -1;
	(*r->failed)++;
	r->status = msg_worse(r->status, MSG_EX_PARTIAL);
	return 0;
}

static int
record(struct run *r, const char *rec, size_t len, struct err *e)
{
	int rc = 0;

	(*r->in)++;
	*r->bytes += len;
	r->key.len = 0;
	if (r->pj != NULL)
		rc = partition_jq_key(r->pj, rec, len, &r->key, &r->why);
	else if (r->field != NULL)
		rc = partition_field_key(rec, len, r->field, &r->key, &r->val,
		    &r->why);
	if (rc < 0)
		return route_error(r, buf_str(&r->why), rec, len, e);
	if (len > r->max_bytes)
		msg_warn("%s:%llu: record of %zu bytes is larger than "
		    "--max-bytes; it goes alone into its own batch", r->src,
		    r->lineno, len);
	if (batcher_add(r->b, r->key.p, r->key.len, rec, len, e) < 0)
		return -1;
	(*r->out)++;
	return 0;
}

static int
lines(struct run *r, struct err *e)
{
	const char *p;
	size_t n;

	while (lines_next(&r->ln, &p, &n)) {
		r->lineno++;
		if (record(r, p, n, e) < 0)
			return -1;
	}
	return 0;
}

static void
sync_counts(struct run *r)
{
	struct batch_counts c;

	batcher_counts(r->b, &c);
	*r->batches = c.batches;
	*r->bytes_out = c.bytes_out;
	*r->recovered = c.recovered;
}

/* Per read: hand records over, write them to their spools, close batches
 * whose time is up. */
static int
step(struct run *r, struct err *e)
{
	if (lines(r, e) < 0 || batcher_flush(r->b, e) < 0)
		return -1;
	if (r->errf != NULL && fflush(r->errf) != 0)
		return msg_seterr(e, MSG_EX_IO, "%s: %s", r->errpath, strerror(errno));
	if (batcher_expire(r->b, util_now_ms(), e) < 0 ||
	    batcher_check(r->b, e) < 0)
		return -1;
	if (r->st.progress != 0) {
		sync_counts(r);
		stats_tick(&r->st);
	}
	return 0;
}

static int
on_signal(struct run *r, struct err *e)
{
	struct signalfd_siginfo si;

	while (read(r->sfd, &si, sizeof si) == (ssize_t)sizeof si) {
		if (si.ssi_signo == SIGUSR1) {
			if (batcher_flush(r->b, e) < 0 ||
			    batcher_close_all(r->b, e) < 0)
				return -1;
		} else
			r->stop = 1;
	}
	return 0;
}

/* Whether p[0..n) is one whole JSON value, white space around it allowed. */
static int
whole_value(const char *p, size_t n)
{
	struct json_toks ts;
	struct json_result res;
	size_t i = 0;
	int ok;

	while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r'))
		i++;
	if (i == n)
		return 1;
	json_toks_init(&ts);
	ok = json_parse(p + i, n - i, 1, 0, &ts, &res) == JSON_OK;
	json_toks_free(&ts);
	for (i += ok ? res.end : 0; ok && i < n; i++)
		ok = p[i] == ' ' || p[i] == '\t' || p[i] == '\r';
	return ok;
}

/* Returns -1 on a fatal error (e filled); read errors of one input only
 * raise the exit status. */
static int
input(struct run *r, int fd, const char *name, struct err *e)
{
	struct pollfd pfd[2];
	const char *tail;
	char *room;
	size_t roomlen, tlen = 0;

	r->src = name;
	r->lineno = 0;
	/* A bigger pipe: fewer reads and wake-ups on both ends (best effort,
	 * fails harmlessly on files and above /proc/sys/fs/pipe-max-size). */
	fcntl(fd, F_SETPIPE_SZ, READ_SIZE);
	while (!r->stop) {
		int64_t to = batcher_timeout(r->b, util_now_ms());
		ssize_t got;

		pfd[0].fd = fd;
		pfd[0].events = POLLIN;
		pfd[1].fd = r->sfd;
		pfd[1].events = POLLIN;
		pfd[0].revents = pfd[1].revents = 0;
		if (poll(pfd, 2, to > INT_MAX ? INT_MAX : (int)to) < 0 &&
		    errno != EINTR)
			return msg_seterr(e, MSG_EX_IO, "poll: %s", strerror(errno));
		if ((pfd[1].revents & POLLIN) && on_signal(r, e) < 0)
			return -1;
		if (r->stop)
			break;
		if (pfd[0].revents == 0) {
			if (step(r, e) < 0)	/* a timeout: age limits */
				return -1;
			continue;
		}
		if (lines_room(&r->ln, READ_SIZE / 4, &room, &roomlen) < 0)
			return msg_seterr(e, MSG_EX_DATA, "%s:%llu: record longer than "
			    "1 GiB", name, r->lineno + 1);
		got = read(fd, room, roomlen);
		if (got < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (got < 0) {
			msg_err("%s: %s", name, strerror(errno));
			r->status = msg_worse(r->status, MSG_EX_PARTIAL);
			break;
		}
		if (got == 0 && (tlen = lines_tail(&r->ln, &tail)) > 0 &&
		    !whole_value(tail, tlen)) {
			/* The writer died inside a record (a SIGKILLed
			 * ddbflat): its head is no record for the lake. */
			r->lineno++;
			if (route_error(r, "incomplete last line: input "
			    "ended inside a record", tail, tlen, e) < 0)
				return -1;
			lines_clear(&r->ln);
			return step(r, e);
		}
		if (got == 0) {
			if (tlen > 0 && lines_end(&r->ln) < 0)
				return msg_seterr(e, MSG_EX_DATA, "%s: record longer "
				    "than 1 GiB", name);
			return step(r, e);
		}
		lines_commit(&r->ln, (size_t)got);
		if (step(r, e) < 0)
			return -1;
	}
	if ((tlen = lines_tail(&r->ln, &tail)) > 0) {
		/* Stopped by a signal inside a line: keep its bytes. */
		r->lineno++;
		if (route_error(r, "incomplete last line when stopped",
		    tail, tlen, e) < 0)
			return -1;
		lines_clear(&r->ln);
	}
	return 0;
}

static int
recovered_tail(void *ctx, const char *spool, const char *data, size_t len,
    struct err *e)
{
	struct run *r = ctx;
	char why[PATH_MAX + 64];

	snprintf(why, sizeof why, "incomplete record at the end of unfinished "
	    "batch %s (crash while writing)", spool);
	r->src = spool;
	r->lineno = 0;
	return route_error(r, why, data, len, e);
}

static int
setup_signals(struct run *r)
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
	r->sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	return r->sfd < 0 ? -1 : 0;
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

int
main(int argc, char **argv)
{
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
	struct batcher_opts o = {
		.dir = "spool", .name = "ddb", .max_bytes = 1024 * 1024,
		.max_records = 0, .max_age_ms = 120000, .max_partitions = 500,
		.gzip_level = -1, .out = stdout,
	};
	struct run r;
	struct err e = { 0, "" };
	const char *program = NULL, *stats_path = NULL;
	uint64_t v;
	char *room;
	size_t roomlen;
	int c, i, n;

	msg_init(argv[0]);
	opterr = 0;
	memset(&r, 0, sizeof r);
	r.sfd = -1;
	stats_init(&r.st, "ddbbatch");
	while ((c = getopt_long(argc, argv, ":d:e:z::ht:s:P:r:N:p:f:V",
	    longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			if (*optarg == '\0')
				msg_usage(synopsis, "--dir: empty path");
			o.dir = optarg;
			break;
		case 'e':
			r.errpath = optarg;
			break;
		case 'z':
			o.gzip_level = 6;
			if (optarg != NULL) {
				if (util_parse_uint(optarg, 0, 9, &v) < 0)
					msg_usage(synopsis, "--gzip: level must "
					    "be 0 to 9: '%s'", optarg);
				o.gzip_level = (int)v;
			}
			break;
		case 'h':
			usage();
			return msg_finish_stdout(MSG_EX_OK);
		case 't':
			if (util_parse_duration(optarg, &o.max_age_ms) < 0)
				msg_usage(synopsis, "--max-age: bad duration "
				    "'%s'", optarg);
			break;
		case 's':
			if (util_parse_size(optarg, &o.max_bytes) < 0 ||
			    o.max_bytes == 0)
				msg_usage(synopsis, "--max-bytes: bad size "
				    "'%s'", optarg);
			break;
		case 'P':
			if (util_parse_uint(optarg, 1, 1000000, &v) < 0)
				msg_usage(synopsis, "--max-partitions: want 1 "
				    "to 1000000: '%s'", optarg);
			o.max_partitions = (size_t)v;
			break;
		case 'r':
			if (util_parse_uint(optarg, 1, UINT64_MAX,
			    &o.max_records) < 0)
				msg_usage(synopsis, "--max-records: want a "
				    "positive number: '%s'", optarg);
			break;
		case 'N':
			if (!batch_name_valid(optarg))
				msg_usage(synopsis, "--name: want 1 to %d of "
				    "[A-Za-z0-9._-], not starting with '.': "
				    "'%s'", BATCH_NAME_MAX, optarg);
			o.name = optarg;
			break;
		case 'p':
			program = optarg;
			break;
		case 'f':
			if (*optarg == '\0')
				msg_usage(synopsis, "--partition-field: empty "
				    "name");
			r.field = optarg;
			break;
		case OPT_PROGRESS:
			if (stats_set_progress(&r.st, optarg) < 0)
				msg_usage(synopsis, "--progress: want auto, "
				    "always or never: '%s'", optarg);
			break;
		case OPT_STATS:
			stats_path = optarg;
			break;
		case 'V':
			return msg_version();
		default:
			msg_badopt(synopsis, argv, c);
		}
	}
	if (program != NULL && r.field != NULL)
		msg_usage(synopsis, "--partition and --partition-field "
		    "exclude each other");
	need_files(o.max_partitions);
	if (program != NULL) {
		r.pj = partition_jq_new(program, &e);
		if (r.pj == NULL)
			msg_usage(synopsis, "%s", e.msg);
	}

	r.max_bytes = o.max_bytes;
	r.in = stats_counter(&r.st, "records_in");
	r.out = stats_counter(&r.st, "records_out");
	r.failed = stats_counter(&r.st, "records_failed");
	r.bytes = stats_counter(&r.st, "bytes_in");
	r.batches = stats_counter(&r.st, "batches");
	r.bytes_out = stats_counter(&r.st, "bytes_out");
	r.recovered = stats_counter(&r.st, "recovered_batches");
	stats_rates(&r.st, "records_in", "bytes_in");
	lines_init(&r.ln, LINE_MAX_BYTES + READ_SIZE);
	buf_init(&r.key, PARTITION_PATH_MAX * 2);
	buf_init(&r.val, LINE_MAX_BYTES);
	buf_init(&r.why, 4096);
	buf_init(&r.env, LINE_MAX_BYTES / 3 * 4 + 65536);
	/* key.p must point somewhere even for the empty (unpartitioned) key */
	if (lines_room(&r.ln, READ_SIZE, &room, &roomlen) < 0 ||
	    buf_grow(&r.key, 256) < 0)
		msg_die(MSG_EX_IO, "out of memory");

	if (setup_signals(&r) < 0)
		msg_die(MSG_EX_IO, "signals: %s", strerror(errno));
	if (r.errpath != NULL && (r.errf = fopen(r.errpath, "a")) == NULL)
		msg_die(MSG_EX_IO, "%s: %s", r.errpath, strerror(errno));
	r.b = batcher_new(&o, &e);
	if (r.b == NULL) {
		msg_err("%s", e.msg);
		r.status = msg_worse(r.status, e.code);
		goto done;
	}
	n = batcher_recover(r.b, recovered_tail, &r, &e);
	if (n > 0)
		msg_info("%s: finishing %d batch%s left by an earlier run",
		    o.dir, n, n == 1 ? "" : "es");
	if (n < 0 || batcher_flush(r.b, &e) < 0)
		goto fatal;

	if (optind == argc) {
		if (input(&r, 0, "-", &e) < 0)
			goto fatal;
	}
	for (i = optind; i < argc && !r.stop; i++) {
		int fd = strcmp(argv[i], "-") == 0 ? 0 :
		    open(argv[i], O_RDONLY | O_CLOEXEC);

		if (fd < 0) {
			msg_err("%s: %s", argv[i], strerror(errno));
			r.status = msg_worse(r.status, MSG_EX_PARTIAL);
			continue;
		}
		c = input(&r, fd, argv[i], &e);
		if (fd != 0)
			close(fd);
		if (c < 0)
			goto fatal;
	}
	if (r.errf != NULL && (fflush(r.errf) != 0 ||
	    fsync(fileno(r.errf)) != 0)) {
		msg_seterr(&e, MSG_EX_IO, "%s: %s", r.errpath, strerror(errno));
		goto fatal;
	}
	if (batcher_flush(r.b, &e) < 0 || batcher_close_all(r.b, &e) < 0 ||
	    batcher_drain(r.b, &e) < 0)
		goto fatal;
	goto done;
fatal:
	msg_err("%s", e.msg);
	r.status = msg_worse(r.status, e.code != 0 ? e.code : MSG_EX_IO);
	batcher_flush(r.b, NULL);	/* what was read stays in the spools */
done:
	if (r.b != NULL) {
		batcher_drain(r.b, NULL);
		sync_counts(&r);
	}
	batcher_free(r.b);
	if (r.errf != NULL && fclose(r.errf) != 0)
		r.status = msg_worse(r.status, MSG_EX_IO);
	/* The summary comes last, so its exit field is the real status. */
	r.status = msg_finish_stdout(r.status);
	if (stats_finish(&r.st, stats_path, r.status, &e) < 0) {
		msg_err("%s", e.msg);
		r.status = msg_worse(r.status, MSG_EX_IO);
	}
	partition_jq_free(r.pj);
	lines_free(&r.ln);
	buf_free(&r.key);
	buf_free(&r.val);
	buf_free(&r.why);
	buf_free(&r.env);
	return r.status;
}
