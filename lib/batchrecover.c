/* SPDX-License-Identifier: MIT */
/* Recovery: finish the spools an earlier run over the same DIR left (see
 * lib/batch.h). Holding the directory lock exclusively, walk DIR without
 * following links, take each unlocked spool oldest first, cut an
 * incomplete last record off (handed to the caller), and queue it for the
 * finisher; a spool already finished under its final name is printed
 * again. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "batch.h"
#include "batchpriv.h"
#include "util.h"

struct found {
	char **v;
	size_t n, cap;
};

static int
ends_with(const char *s, const char *suf)
{
	size_t n = strlen(s), m = strlen(suf);

	return n >= m && memcmp(s + n - m, suf, m) == 0;
}

static void
walk(int dfd, const char *rel, struct found *f, int depth)
{
	DIR *d;
	struct dirent *de;
	int fd;

	if (depth > 32)
		return;
	fd = openat(dfd, *rel ? rel : ".",
	    O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 || (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		struct stat st;
		char *path;

		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		path = batch_cat3(rel, strlen(rel), de->d_name, "");
		if (de->d_name[0] == '.') {
			if (ends_with(de->d_name, ".json" SPOOL_SUFFIX) &&
			    fstatat(dfd, path, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
			    S_ISREG(st.st_mode)) {
				if (f->n == f->cap) {
					f->cap = f->cap ? 2 * f->cap : 16;
					f->v = xrealloc(f->v,
					    f->cap * sizeof *f->v);
				}
				f->v[f->n++] = path;
				continue;
			}
		} else if (fstatat(dfd, path, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISDIR(st.st_mode)) {
			char *sub = batch_cat3(path, strlen(path), "/", "");

			walk(dfd, sub, f, depth + 1);
			free(sub);
		}
		free(path);
	}
	closedir(d);
}

static const char *
base_of(const char *p)
{
	const char *s = strrchr(p, '/');

	return s != NULL ? s + 1 : p;
}

static int
by_time(const void *x, const void *y)
{
	const char *a = *(const char *const *)x, *c = *(const char *const *)y;
	int r = strcmp(base_of(a), base_of(c));

	return r != 0 ? r : strcmp(a, c);
}

/* Length of the spool without its incomplete last line. */
static int
whole_lines(int fd, uint64_t size, uint64_t *keep)
{
	char chunk[4096];
	uint64_t end = size;

	while (end > 0) {
		size_t n = end > sizeof chunk ? sizeof chunk : (size_t)end;
		ssize_t r = pread(fd, chunk, n, (off_t)(end - n));

		if (r != (ssize_t)n)
			return -1;
		while (n > 0 && chunk[n - 1] != '\n')
			n--, end--;
		if (n > 0)
			break;
	}
	*keep = end;
	return 0;
}

/* The batch for recovered spool `rel` (open as fd in directory kfd): an
 * existing final name means it was finished before the crash and maybe
 * not printed (printonly); else it becomes BASE.json[.gz] by this run's
 * --gzip. */
static struct batch *
recovered(struct batcher *b, int kfd, const char *rel, int fd)
{
	const char *base = base_of(rel);
	size_t keylen = (size_t)(base - rel);
	size_t blen = strlen(base) - 1 - strlen(SPOOL_SUFFIX);	/* BASE.json */
	struct batch *bt = xcalloc(1, sizeof *bt);
	struct stat st;
	char *fin, *fin_gz;
	int have, have_gz;

	bt->fd = fd;
	bt->recovered = 1;
	bt->key = batch_cat3(rel, keylen, "", "");
	bt->keylen = keylen;
	bt->spool = xstrdup(rel);
	fin = xmalloc(keylen + blen + 1);
	memcpy(fin, rel, keylen);
	memcpy(fin + keylen, base + 1, blen);
	fin[keylen + blen] = '\0';
	fin_gz = batch_cat3(fin, strlen(fin), ".gz", "");
	have = fstatat(kfd, fin + keylen, &st, AT_SYMLINK_NOFOLLOW) == 0;
	have_gz = fstatat(kfd, fin_gz + keylen, &st, AT_SYMLINK_NOFOLLOW) == 0;
	bt->printonly = have || have_gz;
	if (have_gz || (!have && b->o.gzip_level >= 0)) {
		bt->final = fin_gz;
		free(fin);
	} else {
		bt->final = fin;
		free(fin_gz);
	}
	return bt;
}

/* Cuts an incomplete last record (a crash mid-write) off the spool and
 * hands its bytes to tail; *keep is the length of the whole records. */
static int
cut_tail(struct batcher *b, struct batch *bt, uint64_t size, uint64_t *keep,
    batch_tail_fn tail, void *ctx, struct err *e)
{
	size_t n;
	char *t;

	if (whole_lines(bt->fd, size, keep) < 0)
		return batch_io_err(b, e, "read", bt->spool);
	if (*keep == size)
		return 0;
	n = (size_t)(size - *keep);
	t = xmalloc(n);
	if (pread(bt->fd, t, n, (off_t)*keep) != (ssize_t)n) {
		free(t);
		return batch_io_err(b, e, "read", bt->spool);
	}
	if (tail != NULL && tail(ctx, bt->spool, t, n, e) < 0) {
		free(t);
		return -1;
	}
	free(t);
	if (batcher_flush(b, e) < 0)
		return -1;
	if (ftruncate(bt->fd, (off_t)*keep) != 0)
		return batch_io_err(b, e, "truncate", bt->spool);
	return 0;
}

/* Queues spool `rel` for finishing unless a live writer holds it; returns
 * 1 if queued, 0 if not, -1 on an error. */
static int
recover_one(struct batcher *b, const char *rel, batch_tail_fn tail,
    batch_skip_fn skip, void *ctx, struct err *e)
{
	struct stat st, st2;
	const char *base = base_of(rel);
	struct batch *bt;
	struct err scratch;
	uint64_t keep = 0;
	char *tmp;
	int kfd, fd;

	kfd = batch_key_dir(b, rel, (size_t)(base - rel), 0, &scratch);
	if (kfd < 0)
		return 0;	/* moved, or no longer a plain directory */
	fd = openat(kfd, base, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) != 0 ||
	    fstat(fd, &st) != 0 ||
	    fstatat(kfd, base, &st2, AT_SYMLINK_NOFOLLOW) != 0 ||
	    st.st_ino != st2.st_ino || st.st_dev != st2.st_dev) {
		/* finished by its owner meanwhile, a live writer owns it,
		 * or it moved */
		if (fd >= 0)
			close(fd);
		close(kfd);
		return 0;
	}
	bt = recovered(b, kfd, rel, fd);
	if (strlen(b->dir) + strlen(b->sep) + strlen(bt->final) >
	    BATCH_PATH_MAX) {
		/* Left by a run whose --dir was shorter: handing it on from
		 * here would print a path nobody can open. */
		char why[256];

		snprintf(why, sizeof why, "unfinished batch left as it is: "
		    "under this --dir its path would be %zu bytes, more than "
		    "the %d a path may have; a shorter --dir for the same "
		    "directory finishes it",
		    strlen(b->dir) + strlen(b->sep) + strlen(bt->final),
		    BATCH_PATH_MAX);
		if (skip != NULL)
			skip(ctx, rel, why);
		close(kfd);
		close(fd);
		batch_free1(bt);
		return 0;
	}
	if (bt->printonly) {
		close(kfd);
		return batch_enqueue(b, bt, e) < 0 ? -1 : 1;
	}
	if (cut_tail(b, bt, (uint64_t)st.st_size, &keep, tail, ctx, e) < 0) {
		close(kfd);
		close(fd);
		batch_free1(bt);
		return -1;
	}
	tmp = batch_tmp_name(bt);
	unlinkat(kfd, tmp + bt->keylen, 0);	/* a half-compressed copy */
	free(tmp);
	if (keep == 0) {
		unlinkat(kfd, base, 0);
		close(kfd);
		close(fd);
		batch_free1(bt);
		return 0;
	}
	close(kfd);
	bt->written = bt->bytes = keep;
	return batch_enqueue(b, bt, e) < 0 ? -1 : 1;
}

int
batcher_recover(struct batcher *b, batch_tail_fn tail, batch_skip_fn skip,
    void *ctx, struct err *e)
{
	struct found f = { NULL, 0, 0 };
	size_t i;
	int rc = 0;

	if (flock(b->lockfd, LOCK_EX) != 0)
		return batch_io_err(b, e, "lock", LOCK_NAME);
	b->recovering = 1;
	walk(b->dirfd, "", &f, 0);
	if (f.n > 1)
		qsort(f.v, f.n, sizeof *f.v, by_time);
	for (i = 0; i < f.n; i++) {
		int r = rc < 0 ? 0 : recover_one(b, f.v[i], tail, skip,
		    ctx, e);

		rc = r < 0 ? -1 : rc + r;
		free(f.v[i]);
	}
	free(f.v);
	b->recovering = 0;
	flock(b->lockfd, LOCK_UN);
	return rc;
}

