/* partition: turn a record into its Hive partition path ("a=1/b=x/").
 *
 * Three pieces, used by ddbbatch:
 * - partition_segment appends one sanitised "name=value/" segment. Every
 *   byte outside [A-Za-z0-9_.-] is written as %XX (upper-case hex, Hive's
 *   escaping), a leading '.' too (so no segment is hidden and no value reads
 *   "." or ".."), and an empty value becomes __HIVE_DEFAULT_PARTITION__ (as
 *   Hive writes it). A segment can therefore never hold '/', a control byte
 *   or a path step, and never leaves the directory or the S3 prefix. An empty
 *   name, a segment longer than PARTITION_SEGMENT_MAX bytes (one directory
 *   name) or a whole path longer than PARTITION_PATH_MAX is an error, and
 *   the reason says which limit it passed.
 * - partition_field_key: the cheap path. Finds top-level field NAME in a
 *   flat JSON object by scanning the bytes (no parse, no allocation once the
 *   buffers have grown); strings are unescaped, numbers and booleans taken
 *   as their literal text.
 * - partition_jq_*: a libjq program (lib/jqprog) evaluated on each record,
 *   yielding one object of name/value pairs in the order the program
 *   builds them (Firehose's partitionKeyFromQuery). libjq 1.6 holds numbers
 *   as doubles; that touches only the key, never the record bytes, which
 *   the caller writes unchanged.
 * All functions append to caller-owned bufs; on failure they leave a short
 * reason in `why` (reset first) and return -1. */
#ifndef PARTITION_H
#define PARTITION_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "msg.h"

#define PARTITION_SEGMENT_MAX 255	/* one directory name */
#define PARTITION_PATH_MAX 1024		/* whole partition path */
#define PARTITION_DEFAULT "__HIVE_DEFAULT_PARTITION__"

int partition_segment(struct buf *key, const char *name, size_t nlen,
    const char *val, size_t vlen, struct buf *why);

/* rec: one line (a trailing newline is allowed). val is scratch space. */
int partition_field_key(const char *rec, size_t len, const char *field,
    struct buf *key, struct buf *val, struct buf *why);

struct partition_jq;

/* Compiles `program`; NULL with e filled (MSG_EX_USAGE) on a compile error. */
struct partition_jq *partition_jq_new(const char *program, struct err *e);
int partition_jq_key(struct partition_jq *pj, const char *rec, size_t len,
    struct buf *key, struct buf *why);
void partition_jq_free(struct partition_jq *pj);

#endif
