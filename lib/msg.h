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

/* One version for the whole toolkit: every tool's --version, the HTTP
 * User-Agent and the man pages' .Os line. */
#define DDBLAKE_VERSION "0.2.0"

/* Exit statuses. MSG_EX_ keeps them apart from <sysexits.h>'s EX_ names,
 * whose numbers differ (EX_USAGE is 64 there). */
enum {
	MSG_EX_OK = 0,		/* everything done */
	MSG_EX_PARTIAL = 1,	/* finished, but some records or files failed */
	MSG_EX_USAGE = 2,	/* usage or configuration error */
	MSG_EX_DATA = 3,	/* malformed input stopped processing (--strict) */
	MSG_EX_IO = 4,		/* local system error: I/O, disk full */
	MSG_EX_REMOTE_PERM = 5,	/* remote permanent error: auth, no such bucket */
	MSG_EX_REMOTE_TEMP = 6	/* remote temporary error after retries: rerun */
};

/* Library functions report failures through this; they never print. */
struct err {
	int code;		/* one of the EX_ values */
	char msg[512];
};

void msg_init(const char *argv0);
void msg_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void msg_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void msg_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void msg_verr(const char *fmt, va_list ap);
_Noreturn void msg_die(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Usage error: one reason, the synopsis, a pointer to --help; exits 2. */
_Noreturn void msg_usage(const char *synopsis, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* getopt_long returned c, '?' (unknown option) or ':' (missing argument;
 * the optstring starts with ':'), with opterr = 0: one message naming the
 * option, the synopsis and a pointer to --help; exits 2. */
_Noreturn void msg_badopt(const char *synopsis, char **argv, int c);

/* --version: "TOOL VERSION" on stdout, then msg_finish_stdout. */
int msg_version(void);

/* Set an error struct; returns -1 so callers can `return msg_seterr(...)`. */
int msg_seterr(struct err *e, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Flush and close stdout; reports a write error (e.g. disk full) and
 * returns MSG_EX_IO then, else `status` unchanged. */
int msg_finish_stdout(int status);
/* The same, for a tool that flushed as it went: `earlier` is the errno of
 * its first failed write (0 if none), which stdio does not keep. */
int msg_finish_stdout_errno(int status, int earlier);

/* Worst-of two statuses in the order of the table (0 < 1 < 3 < 4 < 6 < 5)
 * so a tool can fold per-file results into one exit status. */
int msg_worse(int a, int b);

#endif
