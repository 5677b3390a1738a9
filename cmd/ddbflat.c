/* SPDX-License-Identifier: MIT */
/* ddbflat: DynamoDB change records in, one flat typed JSON object per line
 * out. See ddbflat(1). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "errrec.h"
#include "flat.h"
#include "jqprog.h"
#include "msg.h"
#include "stats.h"
#include "util.h"

#define SYNOPSIS "ddbflat [options] [FILE...]"
#define OBUF_SIZE (128 * 1024)

enum { OPT_MAX_RECORD = 256, OPT_PROGRESS, OPT_STATS, OPT_LINE_BUFFERED };

static const char shortopts[] = ":e:hi:j:J:l:Mn:s:SV";
static const struct option longopts[] = {
	{ "errors", required_argument, NULL, 'e' },
	{ "help", no_argument, NULL, 'h' },
	{ "image", required_argument, NULL, 'i' },
	{ "jq", required_argument, NULL, 'j' },
	{ "jq-file", required_argument, NULL, 'J' },
	{ "lists", required_argument, NULL, 'l' },
	{ "no-meta", no_argument, NULL, 'M' },
	{ "numbers", required_argument, NULL, 'n' },
	{ "separator", required_argument, NULL, 's' },
	{ "strict", no_argument, NULL, 'S' },
	{ "version", no_argument, NULL, 'V' },
	{ "line-buffered", no_argument, NULL, OPT_LINE_BUFFERED },
	{ "max-record", required_argument, NULL, OPT_MAX_RECORD },
	{ "progress", optional_argument, NULL, OPT_PROGRESS },
	{ "stats", required_argument, NULL, OPT_STATS },
	{ NULL, 0, NULL, 0 }
};

/* Everything main() sets up from the command line. */
struct run {
	struct flat_opts o;
	int strict;
	const char *name;	/* current input, for messages */
	FILE *errf;
	const char *errpath;
	const char *jqprog, *jqfile, *statspath, *progress;
	char *jqtext;
	struct jqprog *jq;
	int line_buffered;
	struct buf obuf;	/* whole lines only: see flush_out() */
	int out_failed, err_failed;
	struct buf enc;		/* one error record */
	struct buf jqout;
	struct buf why;		/* a jq failure */
	struct stats st;
	struct flat *f;
	uint64_t *c_lines, *c_in, *c_out, *c_failed, *c_bytes, *c_coll;
	uint64_t ticks;
};

static void
usage(void)
{
	printf("usage: %s\n\n"
	    "Flatten DynamoDB change records (Kinesis, DynamoDB Streams,\n"
	    "get-records output, Lambda and Firehose events, exports, scan\n"
	    "output; plain or gzip) into one flat JSON object per line.\n\n"
	    "  -e, --errors FILE        keep bad records whole in FILE (JSON\n"
	    "                           lines, input bytes in rawData)\n"
	    "  -i, --image WHICH        auto (default), new, old or both\n"
	    "  -j, --jq PROGRAM         run a jq program on each flat record\n"
	    "  -J, --jq-file FILE       read the jq program from FILE\n"
	    "  -l, --lists HOW          array (default) or index\n"
	    "  -M, --no-meta            leave out the _ddb_* columns\n"
	    "  -n, --numbers HOW        number (default) or string\n"
	    "  -s, --separator SEP      nested-key separator (default _)\n"
	    "  -S, --strict             stop at the first bad record (exit 3)\n"
	    "      --line-buffered      flush after every output line\n"
	    "      --max-record SIZE    largest record accepted (default 16M)\n"
	    "      --progress[=WHEN]    status line on stderr: auto, always,\n"
	    "                           never (auto: only on a terminal)\n"
	    "      --stats FILE         write a JSON summary at exit\n"
	    "  -h, --help               show this help\n"
	    "  -V, --version            show the version\n\n"
	    "Exit status: 0 ok, 1 some records or files failed, 2 usage,\n"
	    "3 stopped by --strict, 4 local I/O error. See ddbflat(1).\n",
	    SYNOPSIS);
}

/* A bad record: one message (the first part of a record kept in parts),
 * one error record per part. */
static void
on_error(void *ctx, uint64_t line, const char *code, const char *msg,
    const char *raw, size_t rawlen, unsigned part)
{
	struct run *r = ctx;
	struct errrec er = { .tool = "ddbflat", .code = code, .message = msg,
	    .source = r->name, .line = line, .raw = raw, .rawlen = rawlen };

	if (part <= 1)
		msg_err("%s:%llu: %s", r->name, (unsigned long long)line, msg);
	if (r->errf == NULL)
		return;
	r->enc.len = 0;
	if (errrec_format(&r->enc, &er, util_wall_ms()) < 0 ||
	    fwrite(r->enc.p, 1, r->enc.len, r->errf) != r->enc.len)
		r->err_failed = 1;
}

static void
on_warn(void *ctx, uint64_t line, const char *msg)
{
	struct run *r = ctx;

	msg_warn("%s:%llu: %s", r->name, (unsigned long long)line, msg);
}

/* Output goes out in write(2) calls that hold whole lines only, so several
 * ddbflat processes appending to one file (xargs -P ... > file) never cut
 * each other's records. */
static int
flush_out(struct run *r)
{
	if (r->obuf.len == 0)
		return 0;
	if (util_write_all(1, r->obuf.p, r->obuf.len) < 0) {
		r->out_failed = 1;
		return -1;
	}
	r->obuf.len = 0;
	return 0;
}

static int
emit(struct run *r, const char *s, size_t n)
{
	if (r->obuf.len + n > OBUF_SIZE && flush_out(r) < 0)
		return -1;
	/* After the flush above a line fits, unless it is larger than the
	 * buffer: then it goes out on its own. */
	if (buf_add(&r->obuf, s, n) < 0) {
		if (util_write_all(1, s, n) < 0) {
			r->out_failed = 1;
			return -1;
		}
	} else if (r->line_buffered && flush_out(r) < 0) {
		return -1;
	}
	(*r->c_lines)++;
	return 0;
}

/* Run the jq program on one flat record; 0 ok, 1 record failed, -1 out. */
static int
run_jq(struct run *r, const char *line, size_t len, const char *raw,
    size_t rawlen, uint64_t lineno)
{
	jv out, s;
	int rc;

	if (jqprog_start(r->jq, line, len, &r->why) < 0)
		goto fail;
	while ((rc = jqprog_next(r->jq, &out, &r->why)) == 1) {
		if (jv_get_kind(out) != JV_KIND_OBJECT) {
			r->why.len = 0;
			if (buf_printf(&r->why, "jq program produced %s, not "
			    "an object", jv_kind_name(jv_get_kind(out))) < 0)
				r->why.len = 0;
			jv_free(out);
			goto fail;
		}
		s = jv_dump_string(out, 0);
		r->jqout.len = 0;
		rc = buf_addstr(&r->jqout, jv_string_value(s)) < 0 ||
		    buf_addc(&r->jqout, '\n') < 0 ? -1 : 0;
		jv_free(s);
		if (rc < 0) {
			r->why.len = 0;
			if (buf_addstr(&r->why, "jq output too large") < 0)
				r->why.len = 0;
			goto fail;
		}
		if (emit(r, r->jqout.p, r->jqout.len) < 0)
			return -1;
	}
	if (rc == 0)
		return 0;
fail:
	on_error(r, lineno, "JqError", buf_str(&r->why), raw, rawlen, 0);
	return 1;
}

static void
on_input(void *ctx, const char *name)
{
	struct run *r = ctx;

	r->name = name;
}

static void
on_input_error(void *ctx, const struct err *e)
{
	(void)ctx;
	msg_err("%s", e->msg);
}

/* The engine's counters into the stats module's. */
static void
copy_counts(struct run *r)
{
	const struct flat_counts *fc = flat_counts(r->f);

	*r->c_in = fc->records_in;
	*r->c_out = fc->records_out;
	*r->c_failed = fc->records_failed;
	*r->c_bytes = fc->bytes_in;
	*r->c_coll = fc->collisions;
}

static int
on_record(void *ctx, const char *line, size_t len, const char *raw,
    size_t rawlen, uint64_t lineno)
{
	struct run *r = ctx;
	int rc;

	if ((++r->ticks & 4095) == 0) {
		copy_counts(r);
		stats_tick(&r->st);
	}
	if (r->jq != NULL) {
		rc = run_jq(r, line, len, raw, rawlen, lineno);
		return rc;
	}
	return emit(r, line, len);
}

/* Options into r; usage errors exit here. */
static void
parse_args(struct run *r, int argc, char **argv)
{
	uint64_t v;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		switch (c) {
		case 'e':
			r->errpath = optarg;
			break;
		case 'h':
			usage();
			exit(msg_finish_stdout(MSG_EX_OK));
		case 'i':
			if (strcmp(optarg, "auto") == 0)
				r->o.image = FLAT_IMAGE_DEFAULT;
			else if (strcmp(optarg, "new") == 0)
				r->o.image = FLAT_IMAGE_NEW;
			else if (strcmp(optarg, "old") == 0)
				r->o.image = FLAT_IMAGE_OLD;
			else if (strcmp(optarg, "both") == 0)
				r->o.image = FLAT_IMAGE_BOTH;
			else
				msg_usage(SYNOPSIS, "--image: expected auto, "
				    "new, old or both, not '%s'", optarg);
			break;
		case 'j':
			r->jqprog = optarg;
			break;
		case 'J':
			r->jqfile = optarg;
			break;
		case 'l':
			if (strcmp(optarg, "array") == 0)
				r->o.lists_index = 0;
			else if (strcmp(optarg, "index") == 0)
				r->o.lists_index = 1;
			else
				msg_usage(SYNOPSIS, "--lists: expected array or "
				    "index, not '%s'", optarg);
			break;
		case 'M':
			r->o.no_meta = 1;
			break;
		case 'n':
			if (strcmp(optarg, "number") == 0)
				r->o.numbers_string = 0;
			else if (strcmp(optarg, "string") == 0)
				r->o.numbers_string = 1;
			else
				msg_usage(SYNOPSIS, "--numbers: expected number "
				    "or string, not '%s'", optarg);
			break;
		case 's':
			if (*optarg == '\0' || strlen(optarg) > 8)
				msg_usage(SYNOPSIS, "--separator: 1 to 8 bytes");
			r->o.sep = optarg;
			break;
		case 'S':
			r->strict = 1;
			break;
		case 'V':
			exit(msg_version());
		case OPT_LINE_BUFFERED:
			r->line_buffered = 1;
			break;
		case OPT_MAX_RECORD:
			if (util_parse_size(optarg, &v) < 0 || v < 1024 ||
			    v > (1ULL << 31))
				msg_usage(SYNOPSIS, "--max-record: expected a "
				    "size from 1K to 2G, not '%s'", optarg);
			r->o.max_record = (size_t)v;
			break;
		case OPT_PROGRESS:
			r->progress = optarg != NULL ? optarg : "auto";
			break;
		case OPT_STATS:
			r->statspath = optarg;
			break;
		default:
			msg_badopt(SYNOPSIS, argv, c);
		}
	}
	if (r->jqprog != NULL && r->jqfile != NULL)
		msg_usage(SYNOPSIS, "--jq and --jq-file exclude each other");
}

/* Counters, the jq program, the errors file, buffers and the engine;
 * anything that fails here ends the run before any input is read. */
static void
setup(struct run *r)
{
	struct flat_sink sink = { r, on_record, on_error, on_warn, on_input,
	    on_input_error };
	struct err e;

	stats_init(&r->st, "ddbflat");
	if (r->progress != NULL && stats_set_progress(&r->st, r->progress) < 0)
		msg_usage(SYNOPSIS, "--progress: expected auto, always or "
		    "never, not '%s'", r->progress);
	r->c_in = stats_counter(&r->st, "records_in");
	r->c_out = stats_counter(&r->st, "records_out");
	r->c_failed = stats_counter(&r->st, "records_failed");
	r->c_lines = stats_counter(&r->st, "lines_out");
	r->c_bytes = stats_counter(&r->st, "bytes_in");
	r->c_coll = stats_counter(&r->st, "key_collisions");
	stats_rates(&r->st, "records_in", "bytes_in");
	if (r->jqfile != NULL) {
		r->jqtext = util_slurp(r->jqfile, 1 << 20);
		if (r->jqtext == NULL)
			msg_die(MSG_EX_USAGE, "--jq-file %s: %s", r->jqfile,
			    strerror(errno));
		r->jqprog = r->jqtext;
	}
	if (r->jqprog != NULL) {
		r->jq = jqprog_new(r->jqprog, r->jqfile != NULL ?
		    "--jq-file" : "--jq", "jq", &e);
		if (r->jq == NULL)
			msg_die(e.code, "%s", e.msg);
	}
	if (r->errpath != NULL) {
		r->errf = fopen(r->errpath, "a");
		if (r->errf == NULL)
			msg_die(MSG_EX_IO, "--errors %s: %s", r->errpath,
			    strerror(errno));
	}
	buf_init(&r->obuf, OBUF_SIZE);
	if (buf_grow(&r->obuf, OBUF_SIZE) < 0)
		msg_die(MSG_EX_IO, "out of memory");
	/* An error record holds a part of at most --max-record bytes (plus
	 * the window's slack) in base64; a jq output line is at most four
	 * times the record it came from. */
	buf_init(&r->enc, (r->o.max_record + (1 << 18)) / 3 * 4 + 65536);
	buf_init(&r->jqout, r->o.max_record * 4 + 65536);
	buf_init(&r->why, 1024);
	r->f = flat_new(&r->o, &sink);
}

/* Close the outputs, write the stats; returns the final status. */
static int
finish(struct run *r, int status)
{
	struct err e;

	copy_counts(r);
	if (r->errf != NULL && (fclose(r->errf) != 0 || r->err_failed)) {
		msg_err("--errors %s: write error", r->errpath);
		status = msg_worse(status, MSG_EX_IO);
	}
	flush_out(r);
	if (r->out_failed) {
		msg_err("write error: stdout: %s", strerror(errno));
		status = msg_worse(status, MSG_EX_IO);
	}
	status = msg_finish_stdout(status);
	if (stats_finish(&r->st, r->statspath, status, &e) < 0) {
		msg_err("%s", e.msg);
		status = msg_worse(status, MSG_EX_IO);
	}
	flat_free(r->f);
	jqprog_free(r->jq);
	free(r->jqtext);
	buf_free(&r->enc);
	buf_free(&r->jqout);
	buf_free(&r->why);
	buf_free(&r->obuf);
	return status;
}

int
main(int argc, char **argv)
{
	static char dash[] = "-";
	static char *stdin_only[] = { dash };
	struct run r;
	int status;

	msg_init(argv[0]);
	memset(&r, 0, sizeof r);
	r.o.sep = "_";
	r.o.image = FLAT_IMAGE_DEFAULT;
	r.o.max_record = 16 << 20;
	parse_args(&r, argc, argv);
	setup(&r);
	if (optind == argc)
		status = flat_run_paths(r.f, stdin_only, 1, r.strict);
	else
		status = flat_run_paths(r.f, argv + optind, argc - optind,
		    r.strict);
	return finish(&r, status);
}
