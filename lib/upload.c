/* SPDX-License-Identifier: MIT */
/* upload: s3put's queue of files and its threads (see upload.h). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "s3key.h"
#include "upload.h"
#include "util.h"

#define MAX_THREADS 256
#define LINE_MAX_ (64 * 1024)	/* a path in the list, with room to spare */

struct item {
	char *path;
	struct item *next;
};

struct upload {
	struct upload_config cfg;
	pthread_t th[MAX_THREADS];
	unsigned nth, want;

	pthread_mutex_t mu;	/* queue, counters, status, reports */
	pthread_cond_t cv;
	struct item *head, *tail;
	int closed;
	volatile sig_atomic_t stop;	/* no new files */
	int stop_pipe[2];	/* readable once stopped: wakes poll() */
	int stop_status;	/* the run-wide failure that stopped it */
	int worst;		/* worst per-file status */
	uint64_t nok, nfail;
	uint64_t *c_objects, *c_bytes, *c_failed, *c_retried;
	uint64_t spare[4];	/* counters when there are no stats */
	int spool_fd;		/* standard input's copy, or -1 */
};

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

/* Under u->mu: hand one outcome to the caller. */
static int
report(struct upload *u, struct upload_report *r)
{
	if (r->path != NULL && u->cfg.stdin_object)
		r->path = "-";
	return u->cfg.report(u->cfg.ud, r);
}

/* One file failed with `status`; `stop_all` ends the run. */
static void
fail_file(struct upload *u, const char *path, const struct err *e,
    int status, int stop_all, int left)
{
	struct upload_report r;

	memset(&r, 0, sizeof r);
	r.event = UPLOAD_FAILED;
	r.path = path;
	r.err = e;
	r.left = left && !u->cfg.stdin_object;
	pthread_mutex_lock(&u->mu);
	u->nfail++;
	(*u->c_failed)++;
	u->worst = msg_worse(u->worst, status);
	if (stop_all && !u->stop) {
		u->stop = 1;
		u->stop_status = status;
	}
	report(u, &r);
	if (u->cfg.st != NULL)
		stats_tick(u->cfg.st);
	pthread_mutex_unlock(&u->mu);
}

static void
describe(struct upload *u, const char *path, const char *key, int fd,
    const struct stat *sb, const struct s3_object_opts *o)
{
	struct upload_report r;
	struct buf out;
	struct err e;
	int rc;

	buf_init(&out, 1 << 20);
	rc = s3_describe_put(u->cfg.s3, u->cfg.bucket, key, fd,
	    (uint64_t)sb->st_size, o, &out, &e);
	if (rc != 0) {
		fail_file(u, path, &e, e.code, 0, 1);
	} else {
		memset(&r, 0, sizeof r);
		r.event = UPLOAD_PLANNED;
		r.path = path;
		r.key = key;
		r.size = (uint64_t)sb->st_size;
		r.content_type = o->content_type;
		r.plan = out.p;
		r.plan_len = out.len;
		pthread_mutex_lock(&u->mu);
		report(u, &r);
		u->nok++;
		pthread_mutex_unlock(&u->mu);
	}
	buf_free(&out);
}

/* Why the file at path must not be removed although its upload read
 * fd whole: it grew, shrank or was written to since (fd's size or mtime
 * moved from sb), or the path names another file now. NULL: remove it. */
static const char *
changed(int fd, const char *path, const struct stat *sb)
{
	struct stat now, at;

	if (fstat(fd, &now) < 0)
		return "it cannot be checked";
	if (now.st_size != sb->st_size)
		return "its size changed while it was uploaded";
	if (now.st_mtim.tv_sec != sb->st_mtim.tv_sec ||
	    now.st_mtim.tv_nsec != sb->st_mtim.tv_nsec)
		return "it was written to while it was uploaded";
	if (stat(path, &at) < 0 || at.st_dev != now.st_dev ||
	    at.st_ino != now.st_ino)
		return "the path names another file now";
	return NULL;
}

/* Remove only what S3 confirmed (200, ETag = MD5), what the result line
 * reached stdout for, and what is still the bytes that went up. */
static void
remove_file(struct upload *u, const char *path, int fd,
    const struct stat *sb, int printed)
{
	struct upload_report r;
	struct err e;
	const char *why = NULL;

	memset(&r, 0, sizeof r);
	if (printed != 0) {
		msg_seterr(&e, MSG_EX_IO, "%s: kept: its result line could not "
		    "be written", path);
	} else if ((why = changed(fd, path, sb)) != NULL) {
		msg_seterr(&e, MSG_EX_PARTIAL, "%s: kept, not removed: %s (the "
		    "object holds the bytes read before)", path, why);
		r.warning = 1;
	} else if (unlink(path) != 0) {
		msg_seterr(&e, MSG_EX_IO, "%s: uploaded, but remove failed: %s",
		    path, strerror(errno));
	} else {
		return;
	}
	r.event = UPLOAD_KEPT;
	r.path = path;
	r.err = &e;
	pthread_mutex_lock(&u->mu);
	if (why != NULL)
		u->worst = msg_worse(u->worst, MSG_EX_PARTIAL);
	report(u, &r);
	pthread_mutex_unlock(&u->mu);
}

static void
put(struct upload *u, const char *path, const char *key, int fd,
    const struct stat *sb, const struct s3_object_opts *o)
{
	struct upload_report r;
	struct s3_result res;
	struct err e;
	int rc;

	rc = s3_put_file(u->cfg.s3, u->cfg.bucket, key, fd,
	    (uint64_t)sb->st_size, o, &res, &e);
	pthread_mutex_lock(&u->mu);
	*u->c_retried += res.retries;
	pthread_mutex_unlock(&u->mu);
	if (rc != S3_OK) {
		fail_file(u, path, &e, e.code, rc == S3_FAIL_ALL, 1);
		return;
	}
	memset(&r, 0, sizeof r);
	r.event = UPLOAD_DONE;
	r.path = path;
	r.key = key;
	r.size = res.size;
	r.content_type = o->content_type;
	r.res = &res;
	pthread_mutex_lock(&u->mu);
	(*u->c_objects)++;
	*u->c_bytes += res.size;
	u->nok++;
	rc = report(u, &r);
	if (u->cfg.st != NULL)
		stats_tick(u->cfg.st);
	pthread_mutex_unlock(&u->mu);
	if (u->cfg.remove)
		remove_file(u, path, fd, sb, rc);
}

static void
upload_one(struct upload *u, const char *path)
{
	struct s3_object_opts o = u->cfg.obj;
	struct stat sb;
	struct buf key;
	struct err e;
	int fd;

	/* O_NONBLOCK: opening a FIFO must not wait for a writer. Regular
	 * files ignore it. */
	/* A missing, unreadable or non-regular input file is a failed file
	 * (status 1, the toolkit's rule), not a local system error. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0 || fstat(fd, &sb) < 0) {
		msg_seterr(&e, MSG_EX_PARTIAL, "%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		fail_file(u, path, &e, MSG_EX_PARTIAL, 0, 0);
		return;
	}
	if (!S_ISREG(sb.st_mode)) {
		msg_seterr(&e, MSG_EX_PARTIAL, "%s: not a regular file (%s): only "
		    "regular files are uploaded", path, S_ISFIFO(sb.st_mode) ?
		    "a FIFO" : S_ISDIR(sb.st_mode) ? "a directory" :
		    S_ISCHR(sb.st_mode) || S_ISBLK(sb.st_mode) ? "a device" :
		    S_ISSOCK(sb.st_mode) ? "a socket" : "special");
		close(fd);
		fail_file(u, path, &e, MSG_EX_PARTIAL, 0, 0);
		return;
	}
	buf_init(&key, 2 * S3KEY_MAX);
	if (s3key_make(&key, u->cfg.prefix, u->cfg.tmpl, u->cfg.stdin_object ?
	    "stdin" : path, u->cfg.stdin_object ? time(NULL) : sb.st_mtime,
	    NULL, &e) < 0) {
		fail_file(u, path, &e, MSG_EX_USAGE, 0, 1);
	} else {
		(void)buf_str(&key);	/* s3key_make kept it within S3KEY_MAX */
		if (o.content_type == NULL)
			o.content_type = default_type(u->cfg.stdin_object ?
			    key.p : path);
		if (u->cfg.dry_run)
			describe(u, path, key.p, fd, &sb, &o);
		else
			put(u, path, key.p, fd, &sb, &o);
	}
	close(fd);
	buf_free(&key);
}

static void *
worker(void *arg)
{
	struct upload *u = arg;

	for (;;) {
		struct item *it;

		pthread_mutex_lock(&u->mu);
		while (u->head == NULL && !u->closed && !u->stop)
			pthread_cond_wait(&u->cv, &u->mu);
		if (u->stop || u->head == NULL) {
			pthread_mutex_unlock(&u->mu);
			break;
		}
		it = u->head;
		u->head = it->next;
		if (u->head == NULL)
			u->tail = NULL;
		pthread_mutex_unlock(&u->mu);
		upload_one(u, it->path);
		free(it->path);
		free(it);
	}
	pthread_mutex_lock(&u->mu);
	pthread_cond_broadcast(&u->cv);	/* wake the others on stop */
	pthread_mutex_unlock(&u->mu);
	return NULL;
}

struct upload *
upload_new(const struct upload_config *cfg, struct err *e)
{
	struct upload *u = xcalloc(1, sizeof *u);
	unsigned n = cfg->jobs == 0 ? 1 : cfg->jobs;

	u->cfg = *cfg;
	u->spool_fd = -1;
	if (pipe(u->stop_pipe) < 0) {
		msg_seterr(e, MSG_EX_IO, "pipe: %s", strerror(errno));
		free(u);
		return NULL;
	}
	fcntl(u->stop_pipe[0], F_SETFD, FD_CLOEXEC);
	fcntl(u->stop_pipe[1], F_SETFD, FD_CLOEXEC);
	fcntl(u->stop_pipe[1], F_SETFL, O_NONBLOCK);
	if (n > MAX_THREADS)
		n = MAX_THREADS;
	if (cfg->stdin_object)
		n = 1;
	if (cfg->st != NULL) {
		u->c_objects = stats_counter(cfg->st, "objects");
		u->c_bytes = stats_counter(cfg->st, "bytes");
		u->c_failed = stats_counter(cfg->st, "failed");
		u->c_retried = stats_counter(cfg->st, "retried");
		stats_rates(cfg->st, "objects", "bytes");
	} else {
		u->c_objects = &u->spare[0];
		u->c_bytes = &u->spare[1];
		u->c_failed = &u->spare[2];
		u->c_retried = &u->spare[3];
	}
	pthread_mutex_init(&u->mu, NULL);
	pthread_cond_init(&u->cv, NULL);
	u->want = n;
	return u;
}

int
upload_start(struct upload *u, struct err *e)
{
	unsigned i;

	for (i = 0; i < u->want; i++)
		if (pthread_create(&u->th[i], NULL, worker, u) != 0)
			break;
	u->nth = i;
	if (u->nth == 0)
		return msg_seterr(e, MSG_EX_IO, "cannot start threads");
	return 0;
}

void
upload_add(struct upload *u, const char *path)
{
	struct item *it = xmalloc(sizeof *it);

	it->path = xstrdup(path);
	it->next = NULL;
	pthread_mutex_lock(&u->mu);
	if (u->tail != NULL)
		u->tail->next = it;
	else
		u->head = it;
	u->tail = it;
	pthread_cond_signal(&u->cv);
	pthread_mutex_unlock(&u->mu);
}

/* Wait until fd can be read (or is at its end): 1, or 0 once stopped. */
static int
readable(struct upload *u, int fd)
{
	struct pollfd p[2] = { { fd, POLLIN, 0 }, { u->stop_pipe[0], POLLIN,
	    0 } };

	while (!u->stop) {
		if (poll(p, 2, -1) < 0 && errno != EINTR)
			return 1;	/* read() reports the error */
		if (p[1].revents != 0 || u->stop)
			return 0;
		if (p[0].revents != 0)
			return 1;
	}
	return 0;
}

/* One line of the list: a path to queue, or one too long to be one. */
static void
add_line(struct upload *u, char *line, size_t n, int toolong,
    unsigned long lineno)
{
	struct err e;

	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		n--;
	line[n] = '\0';
	if (toolong) {
		msg_seterr(&e, MSG_EX_PARTIAL, "stdin:%lu: not a path: longer "
		    "than %d bytes", lineno, LINE_MAX_ - 2);
		fail_file(u, NULL, &e, MSG_EX_PARTIAL, 0, 0);
	} else if (n > 0) {
		upload_add(u, line);
	}
}

int
upload_add_lines(struct upload *u, int fd, struct err *e)
{
	char *b = xmalloc(LINE_MAX_);
	size_t len = 0, i;
	unsigned long lineno = 0;
	int toolong = 0, rc = 0;
	ssize_t n;

	while (readable(u, fd)) {
		n = read(fd, b + len, LINE_MAX_ - 1 - len);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0) {
			rc = msg_seterr(e, MSG_EX_IO, "stdin: %s",
			    strerror(errno));
			break;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		while ((i = (size_t)((char *)memchr(b, '\n', len) != NULL ?
		    (char *)memchr(b, '\n', len) - b + 1 : 0)) > 0) {
			add_line(u, b, i - 1, toolong, ++lineno);
			toolong = 0;
			memmove(b, b + i, len - i);
			len -= i;
		}
		if (len == LINE_MAX_ - 1) {
			toolong = 1;	/* drop it up to its newline */
			len = 0;
		}
	}
	if (len > 0 && !u->stop)
		add_line(u, b, len, toolong, ++lineno);
	free(b);
	return rc;
}

void
upload_stop(struct upload *u)
{
	u->stop = 1;
	s3_stop(u->cfg.s3);
	(void)!write(u->stop_pipe[1], "x", 1);
	pthread_mutex_lock(&u->mu);
	pthread_cond_broadcast(&u->cv);
	pthread_mutex_unlock(&u->mu);
}

int
upload_stopped(const struct upload *u)
{
	return u->stop != 0;
}

void
upload_note(struct upload *u, int status)
{
	pthread_mutex_lock(&u->mu);
	u->worst = msg_worse(u->worst, status);
	pthread_mutex_unlock(&u->mu);
}

int
upload_finish(struct upload *u)
{
	unsigned i;
	int status;

	pthread_mutex_lock(&u->mu);
	u->closed = 1;
	pthread_cond_broadcast(&u->cv);
	pthread_mutex_unlock(&u->mu);
	for (i = 0; i < u->nth; i++)
		pthread_join(u->th[i], NULL);
	u->nth = 0;
	/* Files never started because the run stopped stay in place. */
	while (u->head != NULL) {
		struct item *it = u->head;
		struct upload_report r;

		u->head = it->next;
		memset(&r, 0, sizeof r);
		r.event = UPLOAD_FAILED;
		r.path = it->path;
		r.left = !u->cfg.stdin_object;
		report(u, &r);
		u->nfail++;
		(*u->c_failed)++;
		free(it->path);
		free(it);
	}
	u->tail = NULL;
	if (u->stop && u->stop_status == 0)
		u->stop_status = MSG_EX_REMOTE_TEMP;	/* a signal: rerun */
	if (u->stop)
		status = u->stop_status;
	else if (u->nfail == 0)
		status = msg_worse(MSG_EX_OK, u->worst);
	else
		status = u->nok > 0 ? MSG_EX_PARTIAL : u->worst;
	return status;
}

void
upload_free(struct upload *u)
{
	struct item *it, *next;

	if (u == NULL)
		return;
	if (u->nth > 0)
		(void)upload_finish(u);
	for (it = u->head; it != NULL; it = next) {
		next = it->next;
		free(it->path);
		free(it);
	}
	if (u->spool_fd >= 0)
		close(u->spool_fd);
	close(u->stop_pipe[0]);
	close(u->stop_pipe[1]);
	pthread_mutex_destroy(&u->mu);
	pthread_cond_destroy(&u->cv);
	free(u);
}

int
upload_add_stdin(struct upload *u, int fd, struct err *e)
{
	const char *tmp = getenv("TMPDIR");
	char path[4096], b[65536];
	ssize_t n;
	int out;

	snprintf(path, sizeof path, "%s/s3put.XXXXXX",
	    tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
	if ((out = mkstemp(path)) < 0)
		return msg_seterr(e, MSG_EX_IO, "%s: %s", path, strerror(errno));
	unlink(path);
	while (readable(u, fd) && (n = read(fd, b, sizeof b)) != 0) {
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0 || util_write_all(out, b, (size_t)n) < 0) {
			msg_seterr(e, MSG_EX_IO, "%s: %s", n < 0 ? "stdin" : path,
			    strerror(errno));
			close(out);
			return -1;
		}
	}
	u->spool_fd = out;
	if (u->stop)
		return 0;	/* stopped while reading: nothing to send */
	snprintf(path, sizeof path, "/dev/fd/%d", out);
	upload_add(u, path);
	return 0;
}
