/* s3key: object keys for batch files, the layout ddblake(7) documents.
 *
 * From a path DIR/a=1/b=2/ddb-2024-06-25-20-38-10-250-UUID.json.gz:
 *   {name}       the file name
 *   {partition}  the trailing name=value directories, "a=1/b=2/" (or "")
 *   {uuid}       a random v4 UUID (not idempotent: a rerun gets a new key)
 *   {host}       the host name
 *   %-fields     strftime, UTC, from the first YYYY-MM-DD-HH-MM-SS in the
 *                file name, else the file's mtime
 * The default template is S3KEY_DEFAULT (Firehose's layout, partitions
 * before the date). The key is PREFIX + "/" (unless PREFIX is empty or
 * already ends in "/") + the expanded template. Same path, same key. */
#ifndef S3KEY_H
#define S3KEY_H

#include <time.h>

#include "buf.h"
#include "msg.h"

#define S3KEY_DEFAULT "{partition}%Y/%m/%d/%H/{name}"
#define S3KEY_MAX 1024		/* S3's limit, in bytes */

/* The time a batch stands for: from its name, else `mtime`. */
time_t s3key_time(const char *name, time_t mtime);

/* Append the key for `path` to out. `host` may be NULL (gethostname).
 * Fails (MSG_EX_USAGE) on an unknown {field} or a key over S3KEY_MAX. */
int s3key_make(struct buf *out, const char *prefix, const char *tmpl,
    const char *path, time_t mtime, const char *host, struct err *e);

#endif
