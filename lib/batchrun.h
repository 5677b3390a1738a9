/* batchrun: ddbbatch's engine, inputs in, batches out (the driver
 * cmd/ddbbatch.c parses options and reports; this module runs the loop,
 * as zstd's fileio.c does under zstdcli.c).
 *
 * Per input: read in large blocks, split into lines (lib/lines), find each
 * line's partition (lib/partition: a jq program or one field), hand it to
 * the batcher (lib/batch), and route what cannot be placed (no partition,
 * a refused partition directory, an incomplete last line) as an error
 * record (lib/errrec) to the error partition or to the --errors file.
 * After each read the records go to their spools and batches whose age
 * limit has passed close; poll wakes the loop on time when no input
 * arrives, and also when the caller's wake descriptor (a signalfd) is
 * readable, so a stop or a flush takes effect at once.
 *
 * The engine never prints: records it routes, inputs that fail and notes
 * go to the caller's report callbacks, with the source and line. Counters
 * live in the caller's struct stats, registered by batchrun_new. Names
 * given to batchrun_input are borrowed for the call. */
#ifndef BATCHRUN_H
#define BATCHRUN_H

#include <stdint.h>

#include "batch.h"
#include "msg.h"
#include "stats.h"

/* What a wake-up means, returned by the caller's woken(). */
enum { BATCHRUN_STOP = 1, BATCHRUN_FLUSH = 2 };

struct batchrun_opts {
	struct batcher_opts batch;
	const char *program;	/* --partition jq program, or NULL */
	const char *field;	/* --partition-field, or NULL */
	const char *errpath;	/* --errors FILE; NULL: the error partition */
	/* Polled beside each input; -1 for none. When readable, woken()
	 * reads it and says what to do (BATCHRUN_* bits). */
	int wakefd;
	int (*woken)(void *ctx);
	/* Reports: line 0 means the message has no line. */
	void *ctx;
	void (*error)(void *ctx, const char *src, uint64_t line,
	    const char *msg);
	void (*warn)(void *ctx, const char *src, uint64_t line,
	    const char *msg);
};

/* The error partition and the errorCode of what goes there. */
#define BATCHRUN_ERROR_KEY "_error=partition-failed/"
#define BATCHRUN_ERROR_CODE "PartitionKeyFailed"

struct batchrun;

/* Compiles the partition program (NULL, e.code MSG_EX_USAGE, if it does
 * not compile); opens nothing yet. */
struct batchrun *batchrun_new(const struct batchrun_opts *o,
    struct stats *st, struct err *e);

/* Opens the --errors file and the batch directory, and finishes what an
 * earlier run left there. Returns the number of batches recovered, or -1.
 * Call after blocking the signals the wake descriptor takes: the
 * batcher's thread starts here and inherits the mask. */
int batchrun_start(struct batchrun *r, struct err *e);

/* Reads fd to its end (or a stop). Returns -1 on a fatal error (e
 * filled); a failing read of this input is reported and only raises the
 * status. */
int batchrun_input(struct batchrun *r, int fd, const char *name,
    struct err *e);

/* 1 once a stop was asked for. */
int batchrun_stopped(const struct batchrun *r);

/* End of input: make the --errors file durable, close every batch and
 * wait until each is handed on. */
int batchrun_finish(struct batchrun *r, struct err *e);

/* Writes what was read to the spools (it waits there for the next run),
 * waits for the batcher's thread, closes the --errors file and updates
 * the counters. -1 (e filled) if closing the --errors file failed. */
int batchrun_close(struct batchrun *r, struct err *e);

/* MSG_EX_OK, or MSG_EX_PARTIAL once a record or an input failed. */
int batchrun_status(const struct batchrun *r);

void batchrun_free(struct batchrun *r);

#endif
