/* flat: the ddbflat engine. Reads a byte stream of DynamoDB change data in
 * any of the shapes AWS produces, and hands one flat JSON object per record
 * to a sink.
 *
 * Framing: JSON values back to back (NDJSON, pretty-printed, concatenated,
 * in any mix). A top-level array, or a top-level object whose "Records",
 * "Items" or "records" member is an array, is streamed element by element,
 * so memory stays bounded by the largest record (opts.max_record), not the
 * largest document. A UTF-8 byte order mark where a top-level value may
 * start is skipped. A value that cannot be read is a bad unit: its bytes go
 * to the sink's error() whole (in parts past max_record) and reading
 * resumes at the next line, the next array element or the next document,
 * so no input byte is dropped (see lib/flat.c, BAD UNITS).
 *
 * Records: Kinesis Data Streams for DynamoDB records, DynamoDB Streams
 * records (Lambda events, `aws dynamodbstreams get-records` v1/v2),
 * `aws kinesis get-records` output (base64 Data), Lambda events from a
 * Kinesis trigger (base64 kinesis.data), Firehose transformation events
 * (base64 data), export lines {"Item":..}, incremental export lines
 * {"Metadata":..,"Keys":..}, scan/query output {"Items":[..]} (with
 * --select COUNT: no records) and bare items. See ddbflat(1) for the
 * output contract.
 *
 * Who owns what: the caller owns opts and the sink's ctx (both copied or
 * borrowed for the engine's life); the engine owns its buffers and reuses
 * them, so once warmed up it allocates nothing per record. Pointers
 * passed to sink callbacks are valid only during the call. The parts live
 * in lib/flat.c (framing, bad units, the per-record driver, the file
 * loop), lib/flatrec.c (record shapes, metadata columns) and
 * lib/flatval.c (typed values, key paths, collisions), sharing
 * lib/flatint.h. */
#ifndef FLAT_H
#define FLAT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "msg.h"

enum { FLAT_IMAGE_DEFAULT, FLAT_IMAGE_NEW, FLAT_IMAGE_OLD, FLAT_IMAGE_BOTH };

struct flat_opts {
	const char *sep;	/* nested-key separator, default "_" */
	int numbers_string;	/* N as JSON strings */
	int lists_index;	/* flatten L by index */
	int image;		/* FLAT_IMAGE_* */
	int no_meta;		/* drop _ddb_* columns */
	size_t max_record;	/* cap on one record's bytes */
};

/* Sink: what the engine hands out. Pointers are valid only during the call.
 * record(): one output line (with its '\n') and the raw input it came
 * from; returns 0, 1 when the record failed downstream (already reported
 * by the sink), or -1 to stop (output error).
 * error(): a bad record: code is a short CamelCase word (BadNumber,
 * Malformed, ...), raw the input bytes that did not become a row. A record
 * whose end could not be found within --max-record bytes comes in parts:
 * part is 1, 2, ... (same line, code and reason); 0 means the whole record
 * in one call. Concatenated in order, the raw bytes of all error() calls
 * and all rows' raw bytes cover the input but its white space and the
 * punctuation of envelopes.
 * warn(): a non-fatal note about a record.
 * input(), input_error(): flat_run_paths starts an input (name borrowed
 * until the next input starts), or could not open or read one. */
struct flat_sink {
	void *ctx;
	int (*record)(void *ctx, const char *line, size_t len,
	    const char *raw, size_t rawlen, uint64_t lineno);
	void (*error)(void *ctx, uint64_t lineno, const char *code,
	    const char *msg, const char *raw, size_t rawlen, unsigned part);
	void (*warn)(void *ctx, uint64_t lineno, const char *msg);
	void (*input)(void *ctx, const char *name);
	void (*input_error)(void *ctx, const struct err *e);
};

typedef ssize_t (*flat_read_fn)(void *ctx, char *dst, size_t n);

struct flat_counts {
	uint64_t records_in, records_out, records_failed, bytes_in;
	uint64_t collisions;
};

struct flat;

struct flat *flat_new(const struct flat_opts *o, const struct flat_sink *s);
void flat_free(struct flat *f);

enum { FLAT_DONE = 0, FLAT_STOP = 1, FLAT_READ_ERR = -1, FLAT_SINK_ERR = -2 };

/* Process one input to its end. strict: stop after the first bad record
 * (returns FLAT_STOP). */
int flat_run(struct flat *f, flat_read_fn rd, void *rdctx, int strict);
/* Process the files paths[0..n) in order ("-" is standard input; gzip is
 * detected by its magic bytes), going on after a file that cannot be
 * opened or read (strict: stopping there too). Returns the exit status
 * they give (MSG_EX_*): 1 when a file or a record failed, 3 when strict
 * stopped, the input's code on a read error. */
int flat_run_paths(struct flat *f, char *const *paths, int n, int strict);
const struct flat_counts *flat_counts(const struct flat *f);

/* Normalise DynamoDB number text to a JSON number token (digits kept as
 * given: "+5" -> "5", ".5" -> "0.5", "5." -> "5", "007" -> "7"). Returns
 * the length written to dst (room for n + 2 bytes), or -1 if s is not a
 * number. */
int flat_number(const char *s, size_t n, char *dst);

#endif
