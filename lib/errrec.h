/* errrec: the error record, one JSON line per input record that a tool
 * could not turn into output. Every tool writes this one schema (ddblake(7),
 * ERROR RECORDS), modelled on Firehose's processing-failed envelope so the
 * same replay recipe works for all of them:
 *
 *   {"attemptsMade":1,"arrivalTimestamp":MS,"errorCode":"Malformed",
 *    "errorMessage":"...","tool":"ddbflat","source":"orders.json",
 *    "line":12,"attemptEndingTimestamp":MS,"rawData":"<base64>"}
 *
 * errorCode is a short CamelCase word; source names the input ("(stdin)",
 * a file, an invocation); line is the 1-based line where the record
 * starts, or null where lines mean nothing; rawData is the record's bytes
 * exactly as read (an NDJSON line with its newline), so
 * `jq -r .rawData errors.json | base64 -d` gives back the input that did
 * not become output, ready to fix and replay. */
#ifndef ERRREC_H
#define ERRREC_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct errrec {
	const char *tool;	/* "ddbflat" */
	const char *code;	/* "Malformed" */
	const char *message;
	const char *source;
	uint64_t line;		/* 0: null */
	const char *raw;
	size_t rawlen;
};

/* Appends one record and its newline to out; -1 when out's cap is hit. */
int errrec_format(struct buf *out, const struct errrec *r, uint64_t wall_ms)
	__attribute__((warn_unused_result));

#endif
