/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE	/* sync_file_range */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "batch.h"
#include "batchpriv.h"
#include "buf.h"
#include "util.h"
#include "uuid.h"

#define PEND_MAX (64 * 1024)	/* per-batch write buffer */
#define QUEUE_MAX 64		/* closed batches waiting for the finisher */
#define ZCHUNK (256 * 1024)
#define SYNC_STEP (256 * 1024)	/* start writeback every this many bytes */

int
batch_name_valid(const char *name)
{
	size_t i, n = strlen(name);

	if (n == 0 || n > BATCH_NAME_MAX || name[0] == '.')
		return 0;
	for (i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '_' || c == '-' ||
		    c == '.'))
			return 0;
	}
	return 1;
}

int
batch_name(char *out, size_t n, const char *name, uint64_t wall_ms,
    const char *uuid, int gz)
{
	time_t t = (time_t)(wall_ms / 1000);
	struct tm tm;
	int len;

	if (gmtime_r(&t, &tm) == NULL)
		return -1;
	len = snprintf(out, n, "%s-%04d-%02d-%02d-%02d-%02d-%02d-%03u-%s.json%s",
	    name, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, (unsigned)(wall_ms % 1000), uuid,
	    gz ? ".gz" : "");
	return len < 0 || (size_t)len >= n ? -1 : len;
}

long
batch_key_room(const char *dir, const char *name, int gz)
{
	char base[BATCH_NAME_MAX + 80];
	size_t n = strlen(dir);
	int blen = batch_name(base, sizeof base, name, 0,
	    "00000000-0000-4000-8000-000000000000", gz);

	if (n > BATCH_PATH_MAX || blen < 0)
		return -1;
	if (n > 0 && dir[n - 1] != '/')
		n++;
	return (long)BATCH_PATH_MAX - (long)n - blen;
}

static uint64_t
hash_key(const char *k, size_t n)
{
	uint64_t h = 1469598103934665603ULL;

	while (n-- > 0)
		h = (h ^ (unsigned char)*k++) * 1099511628211ULL;
	return h;
}

static size_t
slot(const struct batcher *b, const char *k, size_t n, uint64_t h)
{
	size_t i = (size_t)h & b->mask;

	while (b->tab[i] != NULL && (b->tab[i]->hash != h ||
	    b->tab[i]->keylen != n || memcmp(b->tab[i]->key, k, n) != 0))
		i = (i + 1) & b->mask;
	return i;
}

/* Linear-probing delete by backward shift: no tombstones to pile up. */
static void
unhash(struct batcher *b, struct batch *bt)
{
	size_t i = slot(b, bt->key, bt->keylen, bt->hash), j = i, k;

	b->tab[i] = NULL;
	for (;;) {
		j = (j + 1) & b->mask;
		if (b->tab[j] == NULL)
			return;
		k = (size_t)b->tab[j]->hash & b->mask;
		if (i <= j ? (k <= i || k > j) : (k <= i && k > j)) {
			b->tab[i] = b->tab[j];
			b->tab[j] = NULL;
			i = j;
		}
	}
}

char *
batch_cat3(const char *a, size_t an, const char *b, const char *c)
{
	size_t bn = strlen(b), cn = strlen(c);
	char *s = xmalloc(an + bn + cn + 1);

	if (an > 0)
		memcpy(s, a, an);
	memcpy(s + an, b, bn);
	memcpy(s + an + bn, c, cn + 1);
	return s;
}

void
batch_free1(struct batch *bt)
{
	if (bt == NULL)
		return;
	free(bt->key);
	free(bt->spool);
	free(bt->final);
	buf_free(&bt->pend);
	free(bt);
}

int
batch_io_err(struct batcher *b, struct err *e, const char *what, const char *path)
{
	return msg_seterr(e, MSG_EX_IO, "%s%s%s: %s%s%s", b->dir, b->sep, path, what,
	    *what ? ": " : "", strerror(errno));
}

/* Append to the spool; on failure cut it back to whole records. */
static int
spool_write(struct batcher *b, struct batch *bt, const char *p, size_t n,
    struct err *e)
{
	if (util_write_all(bt->fd, p, n) < 0) {
		int saved = errno;

		if (ftruncate(bt->fd, (off_t)bt->written) != 0) {
			/* nothing more to do: recovery cuts partial tails */
		}
		errno = saved;
		return batch_io_err(b, e, "write", bt->spool);
	}
	/* Start writeback now, so the fsync at close finds little to do. */
	if (bt->written / SYNC_STEP != (bt->written + n) / SYNC_STEP)
		sync_file_range(bt->fd, 0, 0, SYNC_FILE_RANGE_WRITE);
	bt->written += n;
	return 0;
}

static int
flush_pend(struct batcher *b, struct batch *bt, struct err *e)
{
	int rc = 0;

	if (bt->pend.len > 0)
		rc = spool_write(b, bt, bt->pend.p, bt->pend.len, e);
	bt->pend.len = 0;
	return rc;
}

/* A segment of the spool that is a symbolic link or not a directory is
 * refused, never followed: errno ENOTDIR or ELOOP from an O_NOFOLLOW open
 * says which after one lstat. */
static int
refuse(struct batcher *b, int fd, const char *seg, const char *key,
    size_t upto, struct err *e)
{
	struct stat st;
	int link = fstatat(fd, seg, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISLNK(st.st_mode);

	msg_seterr(e, MSG_EX_IO, "%s%s%.*s: %s in the spool; refusing to "
	    "write through it", b->dir, b->sep, (int)upto, key,
	    link ? "a symbolic link" : "not a directory");
	return BATCH_REFUSED;
}

/* Opens the directory of partition `key` ("a=1/b=2/", "" for DIR itself)
 * one segment at a time from DIR's descriptor, never following a symbolic
 * link, creating missing segments when `create`. Returns the descriptor,
 * -1 on an I/O error or BATCH_REFUSED (e filled). */
int
batch_key_dir(struct batcher *b, const char *key, size_t keylen, int create,
    struct err *e)
{
	char seg[NAME_MAX + 1];
	size_t i = 0, j;
	int fd = fcntl(b->dirfd, F_DUPFD_CLOEXEC, 0), next;

	if (fd < 0)
		return batch_io_err(b, e, "open", "");
	for (; i < keylen; i = j + 1) {
		for (j = i; j < keylen && key[j] != '/'; j++)
			;
		if (j - i > NAME_MAX) {
			close(fd);
			errno = ENAMETOOLONG;
			return batch_io_err(b, e, "open", key);
		}
		memcpy(seg, key + i, j - i);
		seg[j - i] = '\0';
		next = openat(fd, seg, DIR_FLAGS);
		if (next < 0 && errno == ENOENT && create) {
			if (mkdirat(fd, seg, 0755) != 0 && errno != EEXIST) {
				close(fd);
				return msg_seterr(e, MSG_EX_IO, "%s%s%.*s: mkdir: "
				    "%s", b->dir, b->sep, (int)j, key,
				    strerror(errno));
			}
			next = openat(fd, seg, DIR_FLAGS);
		}
		if (next < 0) {
			int rc = errno == ENOTDIR || errno == ELOOP ?
			    refuse(b, fd, seg, key, j, e) :
			    msg_seterr(e, MSG_EX_IO, "%s%s%.*s: %s", b->dir,
			    b->sep, (int)j, key, strerror(errno));

			close(fd);
			return rc;
		}
		close(fd);
		fd = next;
	}
	return fd;
}

/* ---- the finisher thread ---- */

/* One write(2) per path, no stdio buffer: the line reaches the reader at
 * once, whole, and a failed write leaves nothing behind to fail again. */
static int
print_path(struct batcher *b, const struct batch *bt, struct err *e)
{
	char line[PATH_MAX + 2];
	int n;

	if (b->o.out == NULL)
		return 0;
	n = snprintf(line, sizeof line, "%s%s%s\n", b->dir, b->sep,
	    bt->final);
	if (n < 0 || (size_t)n >= sizeof line)
		return msg_seterr(e, MSG_EX_IO, "%s%s%s: path too long", b->dir,
		    b->sep, bt->final);
	if (util_write_all(fileno(b->o.out), line, (size_t)n) < 0)
		return msg_seterr(e, MSG_EX_IO, "write error: stdout: %s",
		    strerror(errno));
	return 0;
}

char *
batch_tmp_name(const struct batch *bt)
{
	size_t n = strlen(bt->spool) - strlen(SPOOL_SUFFIX);

	return batch_cat3(bt->spool, n, TMP_SUFFIX, "");
}

static int
gzip_to(struct batcher *b, struct batch *bt, int out, uint64_t *size,
    struct err *e, const char *tmp)
{
	z_stream z;
	off_t off = 0;
	int flush = Z_NO_FLUSH, zr;

	memset(&z, 0, sizeof z);
	if (deflateInit2(&z, b->o.gzip_level, Z_DEFLATED, 15 + 16, 8,
	    Z_DEFAULT_STRATEGY) != Z_OK)
		return msg_seterr(e, MSG_EX_IO, "zlib: cannot initialise");
	*size = 0;
	do {
		ssize_t n = pread(bt->fd, b->zin, ZCHUNK, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			deflateEnd(&z);
			return batch_io_err(b, e, "read", bt->spool);
		}
		off += n;
		flush = n == 0 ? Z_FINISH : Z_NO_FLUSH;
		z.next_in = b->zin;
		z.avail_in = (uInt)n;
		do {
			z.next_out = b->zout;
			z.avail_out = ZCHUNK;
			zr = deflate(&z, flush);
			if (zr == Z_STREAM_ERROR) {
				deflateEnd(&z);
				return msg_seterr(e, MSG_EX_IO, "zlib: deflate failed");
			}
			if (util_write_all(out, (char *)b->zout,
			    ZCHUNK - z.avail_out) < 0) {
				deflateEnd(&z);
				return batch_io_err(b, e, "write", tmp);
			}
			*size += ZCHUNK - z.avail_out;
		} while (z.avail_out == 0);
	} while (flush != Z_FINISH);
	deflateEnd(&z);
	return 0;
}

/* Compresses the spool into a hidden .gz.tmp beside it, fsyncs it and
 * renames it to the final name. */
static int
gzip_file(struct batcher *b, struct batch *bt, int kfd, uint64_t *size,
    struct err *e)
{
	char *tmp = batch_tmp_name(bt);
	const char *base = tmp + bt->keylen;
	int out, rc = -1;

	out = openat(kfd, base, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW |
	    O_CLOEXEC, 0644);
	if (out < 0) {
		batch_io_err(b, e, "create", tmp);
		free(tmp);
		return -1;
	}
	if (gzip_to(b, bt, out, size, e, tmp) < 0 ||
	    (fsync(out) != 0 && batch_io_err(b, e, "fsync", tmp))) {
		close(out);
		goto done;
	}
	if ((close(out) != 0 && batch_io_err(b, e, "close", tmp)) ||
	    (renameat(kfd, base, kfd, bt->final + bt->keylen) != 0 &&
	    batch_io_err(b, e, "rename", tmp)))
		goto done;
	rc = 0;
done:
	if (rc < 0)
		unlinkat(kfd, base, 0);
	free(tmp);
	return rc;
}

/* Make the batch durable under its final name, print it, drop the spool.
 * Names are taken relative to the partition's directory, opened afresh
 * without following links, so a link planted since is refused too. */
static int
finish(struct batcher *b, struct batch *bt, struct err *e)
{
	const char *spool = bt->spool + bt->keylen;
	uint64_t size = bt->written;
	int kfd = batch_key_dir(b, bt->key, bt->keylen, 0, e), rc = -1;

	if (kfd < 0)
		return -1;
	if (bt->printonly) {
		rc = print_path(b, bt, e);
		if (rc == 0)
			unlinkat(kfd, spool, 0);
		close(kfd);
		return rc;
	}
	if (b->o.gzip_level < 0) {
		if (fsync(bt->fd) != 0) {
			batch_io_err(b, e, "fsync", bt->spool);
			goto done;
		}
		/* A second name, not a rename: the spool goes only after the
		 * path is printed, so a crash in between is re-printed by the
		 * next run instead of leaving a batch nobody hands on. */
		if (linkat(kfd, spool, kfd, bt->final + bt->keylen, 0) != 0) {
			batch_io_err(b, e, "link", bt->spool);
			goto done;
		}
	} else if (gzip_file(b, bt, kfd, &size, e) < 0)
		goto done;
	if (print_path(b, bt, e) < 0)
		goto done;
	if (unlinkat(kfd, spool, 0) != 0) {
		batch_io_err(b, e, "unlink", bt->spool);
		goto done;
	}
	bt->size = size;	/* counted with the batch, once handed on */
	rc = 0;
done:
	close(kfd);
	return rc;
}

static void *
finisher(void *arg)
{
	struct batcher *b = arg;
	struct batch *bt;
	struct err e;
	int rc, failed;

	pthread_mutex_lock(&b->mu);
	for (;;) {
		while (b->qhead == NULL && !b->quit)
			pthread_cond_wait(&b->cv_job, &b->mu);
		if (b->qhead == NULL)
			break;
		bt = b->qhead;
		b->qhead = bt->qnext;
		if (b->qhead == NULL)
			b->qtail = NULL;
		failed = b->failed;
		pthread_mutex_unlock(&b->mu);
		/* After a failure the rest stay as spools for the next run. */
		rc = failed ? -1 : finish(b, bt, &e);
		if (bt->fd >= 0)
			close(bt->fd);	/* releases the spool's lock */
		pthread_mutex_lock(&b->mu);
		if (rc == 0) {
			b->counts.batches++;
			b->counts.bytes_out += bt->size;
			if (bt->recovered)
				b->counts.recovered++;
		} else if (!b->failed) {
			b->failed = 1;
			b->ferr = e;
		}
		b->qlen--;
		pthread_cond_broadcast(&b->cv_done);
		pthread_mutex_unlock(&b->mu);
		batch_free1(bt);
		pthread_mutex_lock(&b->mu);
	}
	pthread_mutex_unlock(&b->mu);
	return NULL;
}

int
batch_enqueue(struct batcher *b, struct batch *bt, struct err *e)
{
	pthread_mutex_lock(&b->mu);
	while (b->qlen >= QUEUE_MAX && !b->failed)
		pthread_cond_wait(&b->cv_done, &b->mu);
	if (b->failed) {
		if (e != NULL)
			*e = b->ferr;
		pthread_mutex_unlock(&b->mu);
		if (bt->fd >= 0)
			close(bt->fd);
		batch_free1(bt);
		return -1;
	}
	bt->qnext = NULL;
	if (b->qtail != NULL)
		b->qtail->qnext = bt;
	else
		b->qhead = bt;
	b->qtail = bt;
	b->qlen++;
	pthread_cond_signal(&b->cv_job);
	pthread_mutex_unlock(&b->mu);
	return 0;
}

/* ---- open batches ---- */

static void
unlink_open(struct batcher *b, struct batch *bt)
{
	if (bt->prev != NULL)
		bt->prev->next = bt->next;
	else
		b->oldest = bt->next;
	if (bt->next != NULL)
		bt->next->prev = bt->prev;
	else
		b->newest = bt->prev;
	bt->prev = bt->next = NULL;
	unhash(b, bt);
	b->nopen--;
}

static int
close_batch(struct batcher *b, struct batch *bt, struct err *e)
{
	int rc = flush_pend(b, bt, e);

	unlink_open(b, bt);
	buf_free(&bt->pend);
	if (rc < 0) {
		close(bt->fd);	/* the spool stays for the next run */
		batch_free1(bt);
		return -1;
	}
	return batch_enqueue(b, bt, e);
}

/* Opens a new batch for `key`; NULL with *rc -1 or BATCH_REFUSED and e
 * filled when it cannot. */
static struct batch *
open_batch(struct batcher *b, const char *key, size_t keylen, uint64_t h,
    int *rc, struct err *e)
{
	char base[BATCH_NAME_MAX + 80], uuid[UUID_STRLEN + 1], *dot;
	struct batch *bt;
	uint64_t now;
	int kfd;

	if ((long)keylen > b->keyroom) {
		/* Its path could not be printed, or opened by the reader. */
		*rc = BATCH_REFUSED;
		msg_seterr(e, MSG_EX_IO, "batch path would be %ld bytes, more "
		    "than the %d a path may have (--dir is %zu bytes, the "
		    "partition %zu)", BATCH_PATH_MAX - b->keyroom +
		    (long)keylen, BATCH_PATH_MAX, strlen(b->dir), keylen);
		return NULL;
	}
	kfd = batch_key_dir(b, key, keylen, 1, e);
	*rc = kfd < 0 ? kfd : -1;
	if (kfd < 0)
		return NULL;
	/* Names sort in creation order: two batches opened in the same
	 * millisecond get consecutive milliseconds. */
	now = util_wall_ms();
	b->last_ms = now > b->last_ms ? now : b->last_ms + 1;
	uuid_v4(uuid);
	if (batch_name(base, sizeof base, b->name, b->last_ms, uuid,
	    0) < 0) {
		close(kfd);
		msg_seterr(e, MSG_EX_IO, "cannot format a batch name");
		return NULL;
	}
	bt = xcalloc(1, sizeof *bt);
	bt->key = batch_cat3(key, keylen, "", "");
	bt->keylen = keylen;
	bt->hash = h;
	dot = batch_cat3(".", 1, base, SPOOL_SUFFIX);
	bt->spool = batch_cat3(key, keylen, dot, "");
	free(dot);
	bt->final = batch_cat3(key, keylen, base, b->o.gzip_level >= 0 ? ".gz" : "");
	buf_init(&bt->pend, PEND_MAX);
	/* Shared directory lock around create+lock, so a recovering process
	 * (exclusive) never sees our new spool unlocked. */
	if (!b->recovering)
		flock(b->lockfd, LOCK_SH);
	bt->fd = openat(kfd, bt->spool + keylen,
	    O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (bt->fd >= 0)
		flock(bt->fd, LOCK_EX | LOCK_NB);
	if (!b->recovering)
		flock(b->lockfd, LOCK_UN);
	close(kfd);
	if (bt->fd < 0) {
		batch_io_err(b, e, "create", bt->spool);
		batch_free1(bt);
		return NULL;
	}
	bt->deadline = util_now_ms() + b->o.max_age_ms;
	b->tab[slot(b, key, keylen, h)] = bt;
	bt->prev = b->newest;
	if (b->newest != NULL)
		b->newest->next = bt;
	else
		b->oldest = bt;
	b->newest = bt;
	b->nopen++;
	return bt;
}

int
batcher_add(struct batcher *b, const char *key, size_t keylen,
    const char *rec, size_t len, struct err *e)
{
	uint64_t h = hash_key(key, keylen);
	struct batch *bt = b->tab[slot(b, key, keylen, h)];

	if (bt != NULL && bt->bytes > 0 && bt->bytes + len > b->o.max_bytes) {
		if (close_batch(b, bt, e) < 0)
			return -1;
		bt = NULL;
	}
	if (bt == NULL) {
		int rc;

		if (b->nopen >= b->o.max_partitions &&
		    close_batch(b, b->oldest, e) < 0)
			return -1;
		if ((bt = open_batch(b, key, keylen, h, &rc, e)) == NULL)
			return rc;
	}
	if (bt->pend.len + len > PEND_MAX && flush_pend(b, bt, e) < 0)
		return -1;
	if (len >= PEND_MAX) {
		if (spool_write(b, bt, rec, len, e) < 0)
			return -1;
	} else {
		/* pend.len + len <= PEND_MAX, its cap: flushed above. */
		if (buf_add(&bt->pend, rec, len) < 0)
			return msg_seterr(e, MSG_EX_IO, "%s%s%s: record does not "
			    "fit the write buffer", b->dir, b->sep, bt->spool);
	}
	bt->bytes += len;
	bt->records++;
	if (bt->bytes >= b->o.max_bytes ||
	    (b->o.max_records > 0 && bt->records >= b->o.max_records))
		return close_batch(b, bt, e);
	return 0;
}

int
batcher_flush(struct batcher *b, struct err *e)
{
	struct batch *bt;

	for (bt = b->oldest; bt != NULL; bt = bt->next)
		if (bt->pend.len > 0 && flush_pend(b, bt, e) < 0)
			return -1;
	return 0;
}

int
batcher_expire(struct batcher *b, uint64_t now_ms, struct err *e)
{
	while (b->oldest != NULL && b->oldest->deadline <= now_ms)
		if (close_batch(b, b->oldest, e) < 0)
			return -1;
	return 0;
}

int64_t
batcher_timeout(const struct batcher *b, uint64_t now_ms)
{
	if (b->oldest == NULL)
		return -1;
	if (b->oldest->deadline <= now_ms)
		return 0;
	return (int64_t)(b->oldest->deadline - now_ms);
}

int
batcher_close_all(struct batcher *b, struct err *e)
{
	while (b->oldest != NULL)
		if (close_batch(b, b->oldest, e) < 0)
			return -1;
	return 0;
}

int
batcher_check(struct batcher *b, struct err *e)
{
	int rc = 0;

	pthread_mutex_lock(&b->mu);
	if (b->failed) {
		if (e != NULL)
			*e = b->ferr;
		rc = -1;
	}
	pthread_mutex_unlock(&b->mu);
	return rc;
}

void
batcher_counts(struct batcher *b, struct batch_counts *c)
{
	pthread_mutex_lock(&b->mu);
	*c = b->counts;
	pthread_mutex_unlock(&b->mu);
	c->open = b->nopen;
}

int
batcher_drain(struct batcher *b, struct err *e)
{
	pthread_mutex_lock(&b->mu);
	while (b->qlen > 0)
		pthread_cond_wait(&b->cv_done, &b->mu);
	pthread_mutex_unlock(&b->mu);
	return batcher_check(b, e);
}

/* ---- set-up and tear-down (recovery: batchrecover.c) ---- */

static int
mkdir_p(const char *dir)
{
	char path[PATH_MAX];
	size_t i, n = strlen(dir);

	if (n == 0 || n >= sizeof path) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(path, dir, n + 1);
	for (i = 1; i <= n; i++) {
		if (path[i] != '/' && path[i] != '\0')
			continue;
		path[i] = '\0';
		if (mkdir(path, 0755) != 0 && errno != EEXIST)
			return -1;
		if (i < n)
			path[i] = '/';
	}
	return 0;
}

struct batcher *
batcher_new(const struct batcher_opts *o, struct err *e)
{
	struct batcher *b = xcalloc(1, sizeof *b);
	size_t size = 16, n;

	b->o = *o;
	b->dirfd = b->lockfd = -1;
	b->dir = xstrdup(o->dir);
	n = strlen(b->dir);
	b->sep = n > 0 && b->dir[n - 1] == '/' ? "" : "/";
	snprintf(b->name, sizeof b->name, "%s", o->name);
	b->keyroom = batch_key_room(b->dir, b->name, o->gzip_level >= 0);
	while (size < 2 * o->max_partitions + 2)
		size *= 2;
	b->tab = xcalloc(size, sizeof *b->tab);
	b->mask = size - 1;
	pthread_mutex_init(&b->mu, NULL);
	pthread_cond_init(&b->cv_job, NULL);
	pthread_cond_init(&b->cv_done, NULL);
	if (mkdir_p(o->dir) != 0) {
		msg_seterr(e, MSG_EX_IO, "%s: %s", o->dir, strerror(errno));
		goto fail;
	}
	b->dirfd = open(o->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (b->dirfd < 0) {
		msg_seterr(e, MSG_EX_IO, "%s: %s", o->dir, strerror(errno));
		goto fail;
	}
	b->lockfd = openat(b->dirfd, LOCK_NAME,
	    O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (b->lockfd < 0) {
		if (errno == ELOOP)
			refuse(b, b->dirfd, LOCK_NAME, LOCK_NAME,
			    strlen(LOCK_NAME), e);
		else
			batch_io_err(b, e, "", LOCK_NAME);
		goto fail;
	}
	if (o->gzip_level >= 0) {
		b->zin = xmalloc(ZCHUNK);
		b->zout = xmalloc(ZCHUNK);
	}
	if (pthread_create(&b->th, NULL, finisher, b) != 0) {
		msg_seterr(e, MSG_EX_IO, "cannot start the finisher thread");
		goto fail;
	}
	b->started = 1;
	return b;
fail:
	batcher_free(b);
	return NULL;
}

void
batcher_free(struct batcher *b)
{
	struct batch *bt, *next;

	if (b == NULL)
		return;
	if (b->started) {
		pthread_mutex_lock(&b->mu);
		b->quit = 1;
		pthread_cond_signal(&b->cv_job);
		pthread_mutex_unlock(&b->mu);
		pthread_join(b->th, NULL);
	}
	for (bt = b->oldest; bt != NULL; bt = next) {
		next = bt->next;
		close(bt->fd);	/* its spool waits for the next run */
		batch_free1(bt);
	}
	if (b->dirfd >= 0)
		close(b->dirfd);
	if (b->lockfd >= 0)
		close(b->lockfd);
	pthread_mutex_destroy(&b->mu);
	pthread_cond_destroy(&b->cv_job);
	pthread_cond_destroy(&b->cv_done);
	free(b->tab);
	free(b->dir);
	free(b->zin);
	free(b->zout);
	free(b);
}
