/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "msg.h"

static const char *prog = "ddblake";

void
msg_init(const char *argv0)
{
	const char *s;

	if (argv0 == NULL || *argv0 == '\0')
		return;
	s = strrchr(argv0, '/');
	prog = s != NULL ? s + 1 : argv0;
}

void
msg_verr(const char *fmt, va_list ap)
{
	char line[4096];
	int n;

	/* One write per message, so lines from parallel tools never mix. */
	n = snprintf(line, sizeof line, "%s: ", prog);
	vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
	strcat(line, "\n");
	fputs(line, stderr);
	fflush(stderr);
}

void
msg_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	msg_verr(fmt, ap);
	va_end(ap);
}

void
msg_warn(const char *fmt, ...)
{
	char f[512];
	va_list ap;

	snprintf(f, sizeof f, "warning: %s", fmt);
	va_start(ap, fmt);
	msg_verr(f, ap);
	va_end(ap);
}

void
msg_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	msg_verr(fmt, ap);
	va_end(ap);
}

void
msg_die(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	msg_verr(fmt, ap);
	va_end(ap);
	exit(code);
}

void
msg_usage(const char *synopsis, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	msg_verr(fmt, ap);
	va_end(ap);
	fprintf(stderr, "usage: %s\ntry '%s --help' for more information\n",
	    synopsis, prog);
	exit(MSG_EX_USAGE);
}

void
msg_badopt(const char *synopsis, char **argv, int c)
{
	const char *arg = optind > 0 ? argv[optind - 1] : "";
	const char *what = c == ':' ? "option needs an argument" :
	    "unknown option";

	/* A short option is in optopt; a long one only in argv[optind - 1]
	 * (optind has moved past it, and past a cluster's last option). */
	if (arg[0] == '-' && arg[1] == '-' && strchr(arg, '=') != NULL &&
	    c == '?')
		msg_usage(synopsis, "unknown option or unexpected argument: %s",
		    arg);
	if (arg[0] == '-' && arg[1] == '-')
		msg_usage(synopsis, "%s: %s", what, arg);
	msg_usage(synopsis, "%s: -%c", what, optopt);
}

int
msg_version(void)
{
	printf("%s %s\n", prog, DDBLAKE_VERSION);
	return msg_finish_stdout(MSG_EX_OK);
}

int
msg_seterr(struct err *e, int code, const char *fmt, ...)
{
	va_list ap;

	if (e == NULL)
		return -1;
	e->code = code;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	va_end(ap);
	return -1;
}

int
msg_finish_stdout(int status)
{
	return msg_finish_stdout_errno(status, 0);
}

int
msg_finish_stdout_errno(int status, int earlier)
{
	int bad, err = 0, failed_before = ferror(stdout);

	errno = 0;
	bad = fflush(stdout) != 0;
	if (bad)
		err = errno;
	if (fclose(stdout) != 0 && !bad) {
		bad = 1;
		err = errno;
	}
	if (failed_before) {
		/* The buffer was dropped with the failed write, so this flush
		 * had nothing to say: the earlier errno tells why. */
		bad = 1;
		if (earlier != 0)
			err = earlier;
	}
	if (bad) {
		msg_err("write error: stdout: %s",
		    err != 0 ? strerror(err) : "an earlier write failed");
		return msg_worse(status, MSG_EX_IO);
	}
	return status;
}

int
msg_worse(int a, int b)
{
	static const int rank[] = { 0, 1, 9, 3, 4, 6, 5 };

	if (a < 0 || a > 6)
		return a;
	if (b < 0 || b > 6)
		return b;
	return rank[b] > rank[a] ? b : a;
}
