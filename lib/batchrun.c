/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE	/* F_SETPIPE_SZ */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "batchrun.h"
#include "buf.h"
#include "errrec.h"
#include "json.h"
#include "lines.h"
#include "partition.h"
#include "util.h"

#define READ_SIZE (1024 * 1024)
#define LINE_MAX_BYTES (1024ULL * 1024 * 1024)	/* one record, in memory */

struct batchrun {
	struct batchrun_opts o;
	struct batcher *b;
	struct partition_jq *pj;
	FILE *errf;		/* --errors FILE, else NULL */
	struct lines ln;	/* input; holds at most one partial line */
	struct buf key, val, why, env;
	int stop;
	int status;
	const char *src;
	unsigned long long lineno;
	struct stats *st;
	uint64_t *in, *out, *failed, *bytes;
	uint64_t *batches, *bytes_out, *recovered;
};

struct batchrun *
batchrun_new(const struct batchrun_opts *o, struct stats *st, struct err *e)
{
	struct batchrun *r = xcalloc(1, sizeof *r);
	char *room;
	size_t n;

	r->o = *o;
	r->st = st;
	lines_init(&r->ln, LINE_MAX_BYTES + READ_SIZE);
	buf_init(&r->key, PARTITION_PATH_MAX * 2);
	buf_init(&r->val, LINE_MAX_BYTES);
	buf_init(&r->why, 4096);
	buf_init(&r->env, LINE_MAX_BYTES / 3 * 4 + 65536);
	/* key.p must point somewhere even for the empty (unpartitioned) key */
	if (lines_room(&r->ln, READ_SIZE, &room, &n) < 0 ||
	    buf_grow(&r->key, 256) < 0) {
		msg_seterr(e, MSG_EX_IO, "out of memory");
		goto fail;
	}
	if (o->program != NULL &&
	    (r->pj = partition_jq_new(o->program, e)) == NULL)
		goto fail;
	r->in = stats_counter(st, "records_in");
	r->out = stats_counter(st, "records_out");
	r->failed = stats_counter(st, "records_failed");
	r->bytes = stats_counter(st, "bytes_in");
	r->batches = stats_counter(st, "batches");
	r->bytes_out = stats_counter(st, "bytes_out");
	r->recovered = stats_counter(st, "recovered_batches");
	stats_rates(st, "records_in", "bytes_in");
	return r;
fail:
	batchrun_free(r);
	return NULL;
}

static void
sync_counts(struct batchrun *r)
{
	struct batch_counts c;

	batcher_counts(r->b, &c);
	*r->batches = c.batches;
	*r->bytes_out = c.bytes_out;
	*r->recovered = c.recovered;
}

/* Keeps a record that cannot go to its partition: reported, and written
 * as an error record to --errors or the error partition. */
static int
route_error(struct batchrun *r, const char *reason, const char *rec,
    size_t len, struct err *e)
{
	struct errrec er = { .tool = "ddbbatch", .code = BATCHRUN_ERROR_CODE,
	    .message = reason, .source = r->src, .line = r->lineno,
	    .raw = rec, .rawlen = len };

	r->o.error(r->o.ctx, r->src, r->lineno, reason);
	r->env.len = 0;
	if (errrec_format(&r->env, &er, util_wall_ms()) < 0)
		return msg_seterr(e, MSG_EX_IO, "%s:%llu: error record too "
		    "large", r->src, r->lineno);
	if (r->errf != NULL) {
		if (fwrite(r->env.p, 1, r->env.len, r->errf) != r->env.len)
			return msg_seterr(e, MSG_EX_IO, "%s: %s", r->o.errpath,
			    strerror(errno));
	} else if (batcher_add(r->b, BATCHRUN_ERROR_KEY,
	    strlen(BATCHRUN_ERROR_KEY), r->env.p, r->env.len, e) < 0)
		return -1;
	(*r->failed)++;
	r->status = msg_worse(r->status, MSG_EX_PARTIAL);
	return 0;
}

static int
record(struct batchrun *r, const char *rec, size_t len, struct err *e)
{
	int rc = 0;

	(*r->in)++;
	*r->bytes += len;
	r->key.len = 0;
	if (r->pj != NULL)
		rc = partition_jq_key(r->pj, rec, len, &r->key, &r->why);
	else if (r->o.field != NULL)
		rc = partition_field_key(rec, len, r->o.field, &r->key,
		    &r->val, &r->why);
	if (rc < 0)
		return route_error(r, buf_str(&r->why), rec, len, e);
	if (len > r->o.batch.max_bytes) {
		char m[128];

		snprintf(m, sizeof m, "record of %zu bytes is larger than "
		    "--max-bytes; it goes alone into its own batch", len);
		r->o.warn(r->o.ctx, r->src, r->lineno, m);
	}
	rc = batcher_add(r->b, r->key.p, r->key.len, rec, len, e);
	if (rc == BATCH_REFUSED) {
		/* Its directory cannot be used (a planted link): the record
		 * is kept in the error partition instead. */
		char why[sizeof e->msg];

		memcpy(why, e->msg, sizeof why);
		return route_error(r, why, rec, len, e);
	}
	if (rc < 0)
		return -1;
	(*r->out)++;
	return 0;
}

/* Per read: hand records over, write them to their spools, close batches
 * whose time is up. */
static int
step(struct batchrun *r, struct err *e)
{
	const char *p;
	size_t n;

	while (lines_next(&r->ln, &p, &n)) {
		r->lineno++;
		if (record(r, p, n, e) < 0)
			return -1;
	}
	if (batcher_flush(r->b, e) < 0)
		return -1;
	if (r->errf != NULL && fflush(r->errf) != 0)
		return msg_seterr(e, MSG_EX_IO, "%s: %s", r->o.errpath,
		    strerror(errno));
	if (batcher_expire(r->b, util_now_ms(), e) < 0 ||
	    batcher_check(r->b, e) < 0)
		return -1;
	if (r->st->progress != 0) {
		sync_counts(r);
		stats_tick(r->st);
	}
	return 0;
}

static int
woken(struct batchrun *r, struct err *e)
{
	int what = r->o.woken(r->o.ctx);

	if ((what & BATCHRUN_FLUSH) && (batcher_flush(r->b, e) < 0 ||
	    batcher_close_all(r->b, e) < 0))
		return -1;
	if (what & BATCHRUN_STOP)
		r->stop = 1;
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

/* The input ended (eof) or stopped: a partial last line that is a whole
 * JSON value is a record; otherwise its writer died inside a record (a
 * SIGKILLed ddbflat) or a signal stopped us mid-line, and its bytes go
 * to the error partition. */
static int
last_line(struct batchrun *r, int eof, struct err *e)
{
	const char *tail;
	size_t n = lines_tail(&r->ln, &tail);

	if (n == 0)
		return 0;
	if (eof && whole_value(tail, n)) {
		if (lines_end(&r->ln) < 0)
			return msg_seterr(e, MSG_EX_DATA, "%s: record longer "
			    "than 1 GiB", r->src);
		return 0;
	}
	r->lineno++;
	if (route_error(r, eof ? "incomplete last line: input ended inside "
	    "a record" : "incomplete last line when stopped", tail, n, e) < 0)
		return -1;
	lines_clear(&r->ln);
	return 0;
}

/* Waits for input, a wake-up or the next age limit; returns 1 when fd is
 * readable, 0 when not (yet), -1 on a fatal error. */
static int
wait_input(struct batchrun *r, int fd, struct err *e)
{
	int64_t to = batcher_timeout(r->b, util_now_ms());
	struct pollfd pfd[2];

	pfd[0].fd = fd;
	pfd[0].events = POLLIN;
	pfd[1].fd = r->o.wakefd;
	pfd[1].events = POLLIN;
	pfd[0].revents = pfd[1].revents = 0;
	if (poll(pfd, r->o.wakefd >= 0 ? 2 : 1,
	    to > INT_MAX ? INT_MAX : (int)to) < 0 && errno != EINTR)
		return msg_seterr(e, MSG_EX_IO, "poll: %s", strerror(errno));
	if ((pfd[1].revents & POLLIN) && woken(r, e) < 0)
		return -1;
	return pfd[0].revents != 0;
}

int
batchrun_input(struct batchrun *r, int fd, const char *name, struct err *e)
{
	r->src = name;
	r->lineno = 0;
	/* A bigger pipe: fewer reads and wake-ups on both ends (best effort,
	 * fails harmlessly on files and above /proc/sys/fs/pipe-max-size). */
	(void)fcntl(fd, F_SETPIPE_SZ, READ_SIZE);
	while (!r->stop) {
		char *room;
		size_t n;
		ssize_t got;
		int ready = wait_input(r, fd, e);

		if (ready < 0)
			return -1;
		if (r->stop)
			break;
		if (!ready) {
			if (step(r, e) < 0)	/* a timeout: age limits */
				return -1;
			continue;
		}
		if (lines_room(&r->ln, READ_SIZE / 4, &room, &n) < 0)
			return msg_seterr(e, MSG_EX_DATA, "%s:%llu: record "
			    "longer than 1 GiB", name, r->lineno + 1);
		got = read(fd, room, n);
		if (got < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (got < 0) {
			char m[256];

			snprintf(m, sizeof m, "%s", strerror(errno));
			r->o.error(r->o.ctx, name, 0, m);
			r->status = msg_worse(r->status, MSG_EX_PARTIAL);
			break;
		}
		if (got == 0)
			return last_line(r, 1, e) < 0 ? -1 : step(r, e);
		lines_commit(&r->ln, (size_t)got);
		if (step(r, e) < 0)
			return -1;
	}
	/* Stopped by a signal or a read error inside a line: keep its bytes. */
	return last_line(r, 0, e);
}

/* DIR/rel into out, for messages about a spool recovery found. */
static const char *
spool_path(const struct batchrun *r, const char *rel, char *out, size_t n)
{
	const char *dir = r->o.batch.dir;
	size_t dlen = strlen(dir);

	snprintf(out, n, "%s%s%s", dir, dlen > 0 && dir[dlen - 1] == '/' ?
	    "" : "/", rel);
	return out;
}

static int
recovered_tail(void *ctx, const char *spool, const char *data, size_t len,
    struct err *e)
{
	struct batchrun *r = ctx;
	char path[2 * PATH_MAX];
	int rc;

	r->src = spool_path(r, spool, path, sizeof path);
	r->lineno = 0;
	rc = route_error(r, "incomplete record at the end of an unfinished "
	    "batch (a crash while writing)", data, len, e);
	r->src = NULL;		/* path goes out of scope */
	return rc;
}

/* Named relative to --dir: DIR/spool is the path too long to print. */
static void
recovery_skipped(void *ctx, const char *spool, const char *why)
{
	struct batchrun *r = ctx;

	r->o.error(r->o.ctx, spool, 0, why);
	r->status = msg_worse(r->status, MSG_EX_PARTIAL);
}

int
batchrun_start(struct batchrun *r, struct err *e)
{
	int n;

	if (r->o.errpath != NULL &&
	    (r->errf = fopen(r->o.errpath, "a")) == NULL)
		return msg_seterr(e, MSG_EX_IO, "%s: %s", r->o.errpath,
		    strerror(errno));
	r->b = batcher_new(&r->o.batch, e);
	if (r->b == NULL)
		return -1;
	n = batcher_recover(r->b, recovered_tail, recovery_skipped, r, e);
	if (n < 0 || batcher_flush(r->b, e) < 0)
		return -1;
	return n;
}

int
batchrun_stopped(const struct batchrun *r)
{
	return r->stop;
}

int
batchrun_finish(struct batchrun *r, struct err *e)
{
	if (r->errf != NULL && (fflush(r->errf) != 0 ||
	    fsync(fileno(r->errf)) != 0))
		return msg_seterr(e, MSG_EX_IO, "%s: %s", r->o.errpath,
		    strerror(errno));
	if (batcher_flush(r->b, e) < 0 || batcher_close_all(r->b, e) < 0 ||
	    batcher_drain(r->b, e) < 0)
		return -1;
	return 0;
}

int
batchrun_close(struct batchrun *r, struct err *e)
{
	int rc = 0;

	if (r->b != NULL) {
		(void)batcher_flush(r->b, NULL);	/* read stays spooled */
		(void)batcher_drain(r->b, NULL);
		sync_counts(r);
		batcher_free(r->b);
		r->b = NULL;
	}
	if (r->errf != NULL && fclose(r->errf) != 0)
		rc = msg_seterr(e, MSG_EX_IO, "%s: %s", r->o.errpath,
		    strerror(errno));
	r->errf = NULL;
	return rc;
}

int
batchrun_status(const struct batchrun *r)
{
	return r->status;
}

void
batchrun_free(struct batchrun *r)
{
	if (r == NULL)
		return;
	(void)batchrun_close(r, NULL);
	partition_jq_free(r->pj);
	lines_free(&r->ln);
	buf_free(&r->key);
	buf_free(&r->val);
	buf_free(&r->why);
	buf_free(&r->env);
	free(r);
}
