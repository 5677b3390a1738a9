/* t.h: a tiny TAP producer for the C unit tests. Tests are tables of named
 * cases; each check prints "ok N - name" or "not ok N - name" and the file
 * ends with t_done(), which prints the plan and returns the exit status. */
#ifndef T_H
#define T_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int t_n, t_failed;

static __attribute__((unused)) void
t_ok(int cond, const char *fmt, ...)
{
	va_list ap;

	printf("%s %d - ", cond ? "ok" : "not ok", ++t_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	if (!cond)
		t_failed++;
}

static __attribute__((unused)) void
t_diag(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

/* Compare strings; on mismatch print both. */
static __attribute__((unused)) void
t_streq(const char *got, const char *want, const char *name)
{
	int ok = got != NULL && want != NULL && strcmp(got, want) == 0;

	t_ok(ok, "%s", name);
	if (!ok) {
		t_diag("got:  %s", got != NULL ? got : "(null)");
		t_diag("want: %s", want != NULL ? want : "(null)");
	}
}

static __attribute__((unused)) int
t_done(void)
{
	printf("1..%d\n", t_n);
	return t_failed != 0;
}

#endif
