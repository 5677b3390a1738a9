/* util: small helpers every tool needs: allocation that dies on OOM (the one
 * fatal case), size and duration parsing for options, and a monotonic clock.
 * Returned pointers are the caller's to free. */
#ifndef UTIL_H
#define UTIL_H

#include <stddef.h>
#include <stdint.h>

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t m);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);

/* "1048576", "64K", "1M", "2G" (powers of 1024; optional "iB"/"B").
 * Returns 0 or -1 on bad text or overflow. */
int util_parse_size(const char *s, uint64_t *out);
/* "120", "120s", "500ms", "2m", "1h", "1.5s" into milliseconds. */
int util_parse_duration(const char *s, uint64_t *ms);
/* Whole decimal number in [min, max]. */
int util_parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/* A whole text file, NUL-terminated, at most about `max` bytes; NULL with
 * errno set (EFBIG when larger). */
char *util_slurp(const char *path, size_t max);

/* write(2) all n bytes, retrying short writes and EINTR; -1 with errno. */
int util_write_all(int fd, const void *p, size_t n);

uint64_t util_now_ms(void);	/* CLOCK_MONOTONIC */
uint64_t util_wall_ms(void);	/* CLOCK_REALTIME */

/* Human-readable size into buf ("1.5 MiB"); returns buf. */
char *util_fmt_size(char *buf, size_t n, uint64_t bytes);

#endif
