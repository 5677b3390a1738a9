/* batch: the crash-safe batch writer behind ddbbatch.
 *
 * A batcher keeps one open batch per partition key ("" when unpartitioned,
 * else a sanitised "a=1/b=2/" path from lib/partition). Records (whole
 * lines, newline included) are copied into a small per-batch buffer and
 * written to the batch's spool file, a hidden DIR/<key>.NAME-...json.spool,
 * every time batcher_flush() runs (the driver calls it after each read), so
 * a kill -9 loses no record that was handed over. A batch closes when it
 * reaches max_bytes (uncompressed), max_records or max_age, when more than
 * max_partitions batches are open (the oldest closes), or on demand.
 *
 * Closing hands the spool to a finisher thread, which makes the batch
 * durable and visible in one step: fsync and rename the spool to its final
 * name (or, with gzip, compress it into a hidden .tmp file, fsync, rename,
 * then remove the spool), fsync the directory, and print DIR/<key><name> on
 * the output stream, flushed at once. Nothing appears under a final name
 * before its bytes are on disk.
 *
 * Names: NAME-YYYY-MM-DD-HH-MM-SS-mmm-UUID.json[.gz], UTC time of the first
 * record (a batch opened in the same millisecond as the previous one takes
 * the next millisecond, so one process's names sort in creation order),
 * random v4 UUID. batcher_recover() finishes the spools an earlier
 * run left behind (each spool holds an flock while its owner lives, so live
 * writers sharing DIR are left alone).
 *
 * Links: everything under DIR is reached one directory at a time from a
 * descriptor of DIR, with O_NOFOLLOW, and files are created with
 * O_NOFOLLOW, so a symbolic link planted in the spool (a partition
 * directory pointing elsewhere) is never written through: that partition
 * is refused (BATCH_REFUSED) and the caller keeps its records elsewhere.
 * Recovery walks the same way, so it finds every spool a run left.
 *
 * Ownership: the batcher copies what it keeps (dir, name, keys). Library
 * functions return 0 or -1 with `struct err` filled; they never print. */
#ifndef BATCH_H
#define BATCH_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "msg.h"

#define BATCH_NAME_MAX 64	/* --name length */
/* The longest path printed for a batch: what open(2) takes (PATH_MAX,
 * 4096, less its NUL), so the reader can open every path it is handed. */
#define BATCH_PATH_MAX 4095

struct batcher_opts {
	const char *dir;	/* created if missing */
	const char *name;	/* file name prefix, default "ddb" */
	uint64_t max_bytes;	/* >= 1 */
	uint64_t max_records;	/* 0: no limit */
	uint64_t max_age_ms;
	size_t max_partitions;	/* >= 1 */
	int gzip_level;		/* -1: no compression, else 0..9 */
	FILE *out;		/* where finished paths go (stdout) */
};

struct batch_counts {
	uint64_t batches;	/* finished and handed on */
	uint64_t bytes_out;	/* size of those files */
	uint64_t recovered;	/* of which left over by an earlier run */
	uint64_t open;		/* open now */
};

struct batcher;

struct batcher *batcher_new(const struct batcher_opts *o, struct err *e);

/* Incomplete tail of a recovered spool (a crash mid-write): the caller
 * decides where the bytes go (ddbbatch sends them to its error partition). */
typedef int (*batch_tail_fn)(void *ctx, const char *spool, const char *data,
    size_t len, struct err *e);

/* A spool recovery leaves as it is because its batch path would pass
 * BATCH_PATH_MAX under this run's dir (why says so): a run with a shorter
 * --dir for the same directory finishes it. */
typedef void (*batch_skip_fn)(void *ctx, const char *spool, const char *why);

/* Finish every unowned spool under DIR, oldest first; returns the number
 * queued or -1. */
int batcher_recover(struct batcher *b, batch_tail_fn tail, batch_skip_fn skip,
    void *ctx, struct err *e);

/* batcher_add's result when the partition's directory cannot be used: a
 * segment of it is a symbolic link or not a directory, or the batch's path
 * would be longer than BATCH_PATH_MAX. e says which; the record was not
 * taken, the batcher goes on. */
#define BATCH_REFUSED (-2)

/* Add one record (ending in '\n') to the batch of partition `key`.
 * Returns 0, -1 (a failure: e filled) or BATCH_REFUSED. */
int batcher_add(struct batcher *b, const char *key, size_t keylen,
    const char *rec, size_t len, struct err *e);

/* Write buffered records of every batch to its spool. */
int batcher_flush(struct batcher *b, struct err *e);

/* Close batches whose age limit has passed at monotonic time now_ms. */
int batcher_expire(struct batcher *b, uint64_t now_ms, struct err *e);

/* Milliseconds until the next age limit (0 if one has passed), -1 if no
 * batch is open. */
int64_t batcher_timeout(const struct batcher *b, uint64_t now_ms);

/* Close every open batch now (SIGUSR1, end of input). */
int batcher_close_all(struct batcher *b, struct err *e);

/* A failure of the finisher thread so far (0 none, else -1 and e). */
int batcher_check(struct batcher *b, struct err *e);

void batcher_counts(struct batcher *b, struct batch_counts *c);

/* Wait until the finisher has handed on every closed batch; open batches
 * stay as spools for the next run unless closed before. Returns -1 if the
 * finisher failed. */
int batcher_drain(struct batcher *b, struct err *e);

void batcher_free(struct batcher *b);

/* Naming, exposed for tests. Writes NAME-YYYY-MM-DD-HH-MM-SS-mmm-UUID.json
 * (+ ".gz") into out; returns the length or -1 if it does not fit. */
int batch_name(char *out, size_t n, const char *name, uint64_t wall_ms,
    const char *uuid, int gz);
/* 1 if `name` is a usable --name: [A-Za-z0-9_-][A-Za-z0-9._-]*, at most
 * BATCH_NAME_MAX bytes. */
int batch_name_valid(const char *name);
/* Bytes left for a partition key ("a=1/") under dir for batches named by
 * --name `name`, within BATCH_PATH_MAX; negative when not even the
 * unpartitioned batch fits. */
long batch_key_room(const char *dir, const char *name, int gz);

#endif
