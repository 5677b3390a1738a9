/* batchpriv: the batcher's insides, shared by lib/batch.c (open batches,
 * the finisher thread, set-up) and lib/batchrecover.c (finishing the
 * spools an earlier run left). Not for other modules: lib/batch.h is the
 * interface. */
#ifndef BATCHPRIV_H
#define BATCHPRIV_H

#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>

#include "batch.h"
#include "buf.h"

#define LOCK_NAME ".ddbbatch.lock"
#define SPOOL_SUFFIX ".spool"
#define TMP_SUFFIX ".gz.tmp"
/* Every directory under DIR is opened with these: no symbolic links. */
#define DIR_FLAGS (O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)

struct batch {
	char *key;		/* partition path, "" or "a=1/b=2/" */
	size_t keylen;
	uint64_t hash;
	char *spool;		/* relative to dir: key.BASE.spool */
	char *final;		/* key BASE[.gz] */
	int fd;
	int recovered;
	int printonly;		/* recovered batch already finished */
	uint64_t bytes, records, written, deadline;
	uint64_t size;		/* of the finished file, once handed on */
	struct buf pend;
	struct batch *prev, *next;	/* open batches, oldest first */
	struct batch *qnext;		/* finisher queue */
};

struct batcher {
	struct batcher_opts o;
	char *dir;		/* as given, for printed paths */
	const char *sep;	/* "/" unless dir ends in one */
	char name[BATCH_NAME_MAX + 1];
	long keyroom;		/* batch_key_room of dir */
	int dirfd, lockfd;
	int recovering;		/* holding the directory lock exclusively */
	uint64_t last_ms;	/* time in the newest batch name */
	struct batch **tab;
	size_t mask, nopen;
	struct batch *oldest, *newest;
	/* finisher thread; everything below is under mu */
	pthread_t th;
	int started;
	pthread_mutex_t mu;
	pthread_cond_t cv_job, cv_done;
	struct batch *qhead, *qtail;
	size_t qlen;		/* queued or being finished */
	int quit, failed;
	struct err ferr;
	struct batch_counts counts;
	unsigned char *zin, *zout;	/* finisher only */
};

/* a + first an bytes, b and c, joined into a new string. */
char *batch_cat3(const char *a, size_t an, const char *b, const char *c);
/* Frees a batch (its fd stays open: the caller closes it). */
void batch_free1(struct batch *bt);
/* "DIR/path: what: strerror(errno)" into e; returns -1. */
int batch_io_err(struct batcher *b, struct err *e, const char *what,
    const char *path);
/* The directory of partition key, opened one segment at a time from DIR
 * without following links (created when create): an fd, -1 or
 * BATCH_REFUSED with e filled. */
int batch_key_dir(struct batcher *b, const char *key, size_t keylen,
    int create, struct err *e);
/* The spool's .gz.tmp name (caller frees). */
char *batch_tmp_name(const struct batch *bt);
/* Hands a closed batch to the finisher (waits while its queue is full). */
int batch_enqueue(struct batcher *b, struct batch *bt, struct err *e);

#endif
