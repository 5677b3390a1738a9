/* ddbtime: normalise the timestamps AWS puts in change records to one form,
 * ISO-8601 UTC with the source's precision: "2019-10-23T16:43:48Z",
 * "2022-04-17T02:35:05.269Z", "2024-06-25T20:38:10.250647Z".
 *
 * Sources: epoch numbers in seconds (int or float, even "1.684934517E9"),
 * milliseconds or microseconds, converted as decimal text (never through a
 * double), and ISO-8601 strings with any UTC offset (AWS CLI v2). Outputs
 * go to a caller buffer of at least DDBTIME_MAX bytes. */
#ifndef DDBTIME_H
#define DDBTIME_H

#include <stddef.h>
#include <stdint.h>

#define DDBTIME_MAX 48

enum { DDBTIME_S = 0, DDBTIME_MS = 3, DDBTIME_US = 6, DDBTIME_AUTO = -1 };

/* Epoch number text in `unit` (DDBTIME_AUTO: guess from the integer digit
 * count: 13-15 ms, 16+ µs, else s). Returns the output length or -1. */
int ddbtime_from_number(const char *s, size_t n, int unit, char *out);
/* ISO-8601 date-time with optional fraction and offset; -1 if invalid. */
int ddbtime_from_iso(const char *s, size_t n, char *out);
/* Seconds since the epoch (UTC) and fraction digits into out. */
int ddbtime_format(int64_t secs, const char *frac, size_t fraclen,
    char *out);
/* Days since 1970-01-01 for a proleptic Gregorian date. */
int64_t ddbtime_days(int64_t y, unsigned m, unsigned d);

#endif
