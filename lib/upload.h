/* upload: s3put's per-file loop, as zstd's fileio is to its CLI.
 *
 * A queue of paths is worked by `jobs` threads. Each file is opened,
 * given its key (lib/s3key), uploaded (lib/s3) or, in a dry run,
 * described, and reported. A failed file is left in place and the others
 * go on; a missing, unreadable or non-regular file is such a failed file
 * (status 1, as in every tool). With `remove` a file is deleted once S3
 * confirmed the object and the caller has written its result line,
 * unless it changed while it was uploaded (its size or mtime moved, or
 * the path names another file now): then it is kept, with a warning, and
 * the run ends with status 1. An error every further request would meet
 * too (bad credentials, no such bucket, the store unreachable after the
 * retries, a stop) ends the run, and the files not started are reported
 * as left in place.
 *
 * The module prints nothing: every outcome goes to the caller's report
 * function, called under the upload's lock, so one at a time. Its return
 * value for UPLOAD_DONE says whether the result line reached its reader,
 * which --remove waits for. The status of the run (lib/msg's table) comes
 * from upload_finish.
 *
 * Ownership: the upload borrows the config's strings, the S3 client and
 * the stats for its lifetime; paths are copied when queued. */
#ifndef UPLOAD_H
#define UPLOAD_H

#include <stdint.h>

#include "msg.h"
#include "s3.h"
#include "stats.h"

enum {
	UPLOAD_DONE,		/* stored: res holds the ETag */
	UPLOAD_PLANNED,		/* dry run: plan holds the description */
	UPLOAD_FAILED,		/* not uploaded: err says why (or NULL) */
	UPLOAD_KEPT		/* uploaded, but not removed: err says why */
};

struct upload_report {
	int event;
	const char *path;	/* as queued; "-" for standard input */
	const char *key;	/* NULL when no key could be made */
	uint64_t size;
	const char *content_type;
	const struct s3_result *res;	/* UPLOAD_DONE */
	const char *plan;		/* UPLOAD_PLANNED */
	size_t plan_len;
	const struct err *err;	/* UPLOAD_FAILED (may be NULL), _KEPT */
	int left;		/* UPLOAD_FAILED: name the file as left */
	int warning;		/* UPLOAD_KEPT: a warning, not an error */
};

struct upload_config {
	struct s3_client *s3;
	const char *bucket, *prefix;
	const char *tmpl;		/* key template (lib/s3key) */
	struct s3_object_opts obj;	/* content_type NULL: from the name */
	unsigned jobs;			/* threads, and so files in flight */
	int dry_run;
	int remove;
	int stdin_object;	/* the one file is standard input's spool */
	struct stats *st;	/* counters objects, bytes, failed, retried */
	/* Called under the upload's lock. For UPLOAD_DONE, 0 when the
	 * result line reached stdout. */
	int (*report)(void *ud, const struct upload_report *r);
	void *ud;
};

struct upload;

struct upload *upload_new(const struct upload_config *cfg, struct err *e);
/* Start the threads (after lib/sigwatch, so they leave signals to it). */
int upload_start(struct upload *u, struct err *e);
/* Queue a path (copied). */
void upload_add(struct upload *u, const char *path);
/* Queue each line of fd (CR/LF trimmed, empty lines skipped) as it
 * arrives, until its end or a stop (which ends the wait at once). A line
 * too long to be a path fails as a file would. Returns 0, or -1 with e on
 * a read error. */
int upload_add_lines(struct upload *u, int fd, struct err *e);
/* Start no new file, end the requests in flight (lib/aws), and wake
 * every wait of the upload's. Thread-safe; not for a signal handler (see
 * lib/sigwatch). */
void upload_stop(struct upload *u);
int upload_stopped(const struct upload *u);
/* Note a failure of the caller's own (reading the path list) in the
 * status. */
void upload_note(struct upload *u, int status);
/* Close the queue, wait for the threads, report the files never started;
 * returns the run's exit status. */
int upload_finish(struct upload *u);
void upload_free(struct upload *u);

/* Copy fd to an unlinked file in TMPDIR, so retries can send it again,
 * and queue that copy (stdin_object); a stop ends the copy and queues
 * nothing. Returns 0, or -1 with e. */
int upload_add_stdin(struct upload *u, int fd, struct err *e);

#endif
