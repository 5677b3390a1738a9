/* SPDX-License-Identifier: MIT */
/* sigwatch: a thread that waits for signals (see sigwatch.h). */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "sigwatch.h"
#include "util.h"

struct sigwatch {
	pthread_t th;
	pthread_mutex_t mu;
	sigset_t set;
	int first;		/* a signal of the set, to wake the thread */
	int done;
	void (*fn)(void *, int);
	void *ud;
};

static void *
watch(void *arg)
{
	struct sigwatch *w = arg;

	for (;;) {
		int sig, done;

		if (sigwait(&w->set, &sig) != 0)
			continue;
		pthread_mutex_lock(&w->mu);
		done = w->done;
		pthread_mutex_unlock(&w->mu);
		if (done)
			break;
		w->fn(w->ud, sig);
	}
	return NULL;
}

struct sigwatch *
sigwatch_start(const int *sigs, size_t n, void (*fn)(void *ud, int sig),
    void *ud, struct err *e)
{
	struct sigwatch *w = xcalloc(1, sizeof *w);
	size_t i;

	sigemptyset(&w->set);
	for (i = 0; i < n; i++)
		sigaddset(&w->set, sigs[i]);
	w->first = n > 0 ? sigs[0] : SIGTERM;
	w->fn = fn;
	w->ud = ud;
	pthread_mutex_init(&w->mu, NULL);
	if (pthread_sigmask(SIG_BLOCK, &w->set, NULL) != 0 ||
	    pthread_create(&w->th, NULL, watch, w) != 0) {
		pthread_mutex_destroy(&w->mu);
		free(w);
		msg_seterr(e, MSG_EX_IO, "cannot start the signal thread");
		return NULL;
	}
	return w;
}

void
sigwatch_stop(struct sigwatch *w)
{
	if (w == NULL)
		return;
	pthread_mutex_lock(&w->mu);
	w->done = 1;
	pthread_mutex_unlock(&w->mu);
	pthread_kill(w->th, w->first);
	pthread_join(w->th, NULL);
	pthread_mutex_destroy(&w->mu);
	free(w);
}
