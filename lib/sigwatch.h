/* sigwatch: signals delivered to a thread of their own, so a tool needs no
 * signal handler and no global state to stop cleanly.
 *
 * sigwatch_start blocks the signals in the calling thread, which every
 * thread it creates afterwards inherits, and starts a thread that waits
 * for them (sigwait). For each one it calls fn(ud, sig) on that thread,
 * where fn may take locks, signal condition variables and write to pipes
 * (none of which a handler may do). Call it before creating any other
 * thread, or those threads could still receive the signals.
 *
 * The signals stay blocked after sigwatch_stop: one that comes later is
 * dropped at exit rather than killing the process half-way through its
 * cleanup. */
#ifndef SIGWATCH_H
#define SIGWATCH_H

#include <stddef.h>

#include "msg.h"

struct sigwatch;

struct sigwatch *sigwatch_start(const int *sigs, size_t n,
    void (*fn)(void *ud, int sig), void *ud, struct err *e);
/* Ends the thread (fn is not called again). Accepts NULL. */
void sigwatch_stop(struct sigwatch *w);

#endif
