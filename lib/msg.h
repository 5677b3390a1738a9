/* msg: the toolkit's exit-status table and its one message format.
 *
 * Every tool calls msg_init(argv[0]) once; messages then read
 * "tool: context: reason" (errors) or "tool: warning: ..." on stderr.
 * The exit statuses are part of the interface: scripts branch on them, and
 * every man page prints this same table. */
#ifndef MSG_H
#define MSG_H

#include <stdarg.h>
#include <stdio.h>

enum {
	EX_OK = 0,		/* everything done */
	EX_PARTIAL = 1,		/* finished, but some records or files failed */
	EX_USAGE = 2,		/* usage or configuration error */
	EX_DATA = 3,		/* malformed input stopped processing (--strict) */
	EX_IO = 4,		/* local system error: I/O, disk full */
	EX_REMOTE_PERM = 5,	/* remote permanent error: auth, no such bucket */
	EX_REMOTE_TEMP = 6	/* remote temporary error after retries: rerun */
};

/* Library functions report failures through this; they never print. */
struct err {
	int code;		/* one of the EX_ values */
	char msg[512];
};

void msg_init(const char *argv0);
const char *msg_prog(void);	/* borrowed, valid for the process */
void msg_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void msg_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void msg_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void msg_verr(const char *fmt, va_list ap);
_Noreturn void msg_die(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Usage error: one reason, the synopsis, a pointer to --help; exits 2. */
_Noreturn void msg_usage(const char *synopsis, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Set an error struct; returns -1 so callers can `return err_set(...)`. */
int err_set(struct err *e, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Flush and close stdout; reports a write error (e.g. disk full) and
 * returns EX_IO then, else `status` unchanged. */
int msg_finish_stdout(int status);

/* Worst-of two statuses in the order of the table (0 < 1 < 3 < 4 < 6 < 5)
 * so a tool can fold per-file results into one exit status. */
int msg_worse(int a, int b);

#endif
