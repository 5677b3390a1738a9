/* stats: honest counters, a periodic progress line and a JSON summary.
 *
 * A tool registers its counters by name (stats_counter returns a pointer it
 * bumps on the hot path: no call, no allocation), calls stats_tick() now and
 * then, and stats_finish() at exit. --progress prints one status line on
 * stderr every `interval_ms`: rewritten in place on a terminal, one line per
 * interval when forced with --progress=always. --stats FILE writes a JSON
 * object at exit: {"tool":..,"elapsed_s":..,"exit":..,"<counter>":N,...}.
 * Names are borrowed (string literals). */
#ifndef STATS_H
#define STATS_H

#include <stdint.h>

#include "msg.h"

#define STATS_MAX 24

enum { STATS_PROGRESS_NEVER, STATS_PROGRESS_AUTO, STATS_PROGRESS_ALWAYS };

struct stats {
	const char *tool;
	uint64_t start_ms, next_ms, interval_ms;
	int progress;		/* resolved: 0 off, 1 tty, 2 lines */
	int drawn;		/* a tty line is on screen */
	int n;
	const char *name[STATS_MAX];
	uint64_t val[STATS_MAX];
	int rate_idx;		/* counter shown as a rate, -1 none */
	int bytes_idx;		/* counter shown as MB/s, -1 none */
};

void stats_init(struct stats *s, const char *tool);
/* --progress[=auto|always|never]; NULL arg means auto. Returns -1 on a bad
 * word. */
int stats_set_progress(struct stats *s, const char *arg);
uint64_t *stats_counter(struct stats *s, const char *name);
/* Show counter `name` as a per-second rate, `bytes` as MB/s. */
void stats_rates(struct stats *s, const char *records, const char *bytes);
/* Cheap: one clock read; prints when the interval has passed. */
void stats_tick(struct stats *s);
void stats_print_line(struct stats *s, int final);
/* Ends the progress line; writes the JSON summary when path != NULL. */
int stats_finish(struct stats *s, const char *path, int exit_status,
    struct err *e);
double stats_elapsed(const struct stats *s);

#endif
