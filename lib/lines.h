/* lines: split a byte stream read in blocks into lines, looking at each
 * byte once.
 *
 * The caller asks for room at the end of the buffer (lines_room), reads
 * into it, commits what it read (lines_commit), then takes whole lines
 * with lines_next until it returns 0. The partial last line stays; it
 * moves to the front of the buffer only when lines were taken before it,
 * so every byte is moved at most once. The search for the next newline
 * resumes where the previous one stopped, so one line of N bytes read in
 * blocks of B costs O(N), not O(N*N/B) as a rescan from the line's start
 * would. `work` counts the bytes searched and moved, for the tests that
 * hold the splitter to that.
 *
 * The caller owns the struct; lines_init/lines_free pair up. Pointers
 * handed out are valid until the next lines_room. */
#ifndef LINES_H
#define LINES_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct lines {
	struct buf b;
	size_t start;		/* first byte of the line not yet taken */
	size_t scan;		/* [start, scan) holds no newline */
	uint64_t work;		/* bytes searched + bytes moved */
};

/* max: the most the buffer may hold, one line plus a read block. */
void lines_init(struct lines *l, size_t max);
void lines_free(struct lines *l);

/* Room for at least `want` more bytes (up to as much as the buffer has
 * free): *p and *n. -1 when the partial line plus `want` passes the cap. */
int lines_room(struct lines *l, size_t want, char **p, size_t *n) BUF_MUST;
void lines_commit(struct lines *l, size_t n);

/* The next whole line, its newline included: 1 with *p and *n set, or 0
 * when only a partial line (or nothing) is left. */
int lines_next(struct lines *l, const char **p, size_t *n);

/* The partial line left (no newline), its length returned. */
size_t lines_tail(const struct lines *l, const char **p);
/* Append a newline to the partial line, making it a whole line; -1 when
 * the cap leaves no room. */
int lines_end(struct lines *l) BUF_MUST;
/* Forget everything buffered. */
void lines_clear(struct lines *l);

#endif
