/* SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "s3key.h"
#include "uuid.h"

/* First "YYYY-MM-DD-HH-MM-SS" in s, as UTC. */
time_t
s3key_time(const char *name, time_t mtime)
{
	static const char pat[] = "dddd-dd-dd-dd-dd-dd";
	size_t n = strlen(name), L = sizeof pat - 1, i, j;

	for (i = 0; i + L <= n; i++) {
		struct tm tm;

		for (j = 0; j < L; j++) {
			int c = (unsigned char)name[i + j];

			if (pat[j] == 'd' ? !isdigit(c) : c != '-')
				break;
		}
		if (j < L)
			continue;
		/* Not part of a longer run of digits. */
		if (i > 0 && isdigit((unsigned char)name[i - 1]))
			continue;
		memset(&tm, 0, sizeof tm);
		if (sscanf(name + i, "%4d-%2d-%2d-%2d-%2d-%2d", &tm.tm_year,
		    &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
		    &tm.tm_sec) != 6)
			continue;
		if (tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 ||
		    tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 ||
		    tm.tm_sec > 60)
			continue;
		tm.tm_year -= 1900;
		tm.tm_mon -= 1;
		return timegm(&tm);
	}
	return mtime;
}

static int
is_partition(const char *s, size_t n)
{
	const char *eq = memchr(s, '=', n);

	return eq != NULL && eq != s;
}

/* "a=1/b=2/" from the trailing name=value directories of path. */
static int
partition(struct buf *out, const char *path)
{
	const char *end = strrchr(path, '/'), *start;

	if (end == NULL)
		return 0;
	start = end;
	/* Walk back over directory components while they are name=value. */
	for (;;) {
		const char *p = start, *q;

		while (p > path && p[-1] == '/')
			p--;
		q = p;
		while (q > path && q[-1] != '/')
			q--;
		if (p == q || !is_partition(q, (size_t)(p - q)))
			break;
		start = q;
	}
	while (start < end) {
		const char *sl = memchr(start, '/', (size_t)(end - start));
		size_t l = sl != NULL ? (size_t)(sl - start) :
		    (size_t)(end - start);

		if (l > 0 && (buf_add(out, start, l) < 0 ||
		    buf_addc(out, '/') < 0))
			return -1;
		start += l + 1;
	}
	return 0;
}

int
s3key_make(struct buf *out, const char *prefix, const char *tmpl,
    const char *path, time_t mtime, const char *host, struct err *e)
{
	const char *name = strrchr(path, '/'), *t;
	size_t start = out->len, pl = strlen(prefix);
	char hostbuf[256];
	struct tm tm;
	time_t when;
	int rc;

	name = name != NULL ? name + 1 : path;
	when = s3key_time(name, mtime);
	gmtime_r(&when, &tm);
	rc = buf_addstr(out, prefix);
	if (pl > 0 && prefix[pl - 1] != '/')
		rc |= buf_addc(out, '/');
	for (t = tmpl; *t != '\0'; t++) {
		if (*t == '%') {
			char fmt[4] = "%", res[128];
			size_t fl = 1, n;

			if (t[1] == 'E' || t[1] == 'O')
				fmt[fl++] = *++t;
			if (t[1] == '\0')
				return msg_seterr(e, MSG_EX_USAGE, "key template "
				    "'%s': '%%' at the end", tmpl);
			fmt[fl++] = *++t;
			fmt[fl] = '\0';
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
			/* One conversion at a time, so {fields} never pass
			 * through strftime. */
			n = strftime(res, sizeof res, fmt, &tm);
#pragma GCC diagnostic pop
			rc |= buf_add(out, res, n);
		} else if (*t == '{') {
			const char *end = strchr(t, '}');
			size_t l = end != NULL ? (size_t)(end - t - 1) : 0;

			if (end == NULL)
				return msg_seterr(e, MSG_EX_USAGE, "key template "
				    "'%s': '{' without '}'", tmpl);
			if (l == 4 && strncmp(t + 1, "name", 4) == 0) {
				rc |= buf_addstr(out, name);
			} else if (l == 9 && strncmp(t + 1, "partition",
			    9) == 0) {
				rc |= partition(out, path);
			} else if (l == 4 && strncmp(t + 1, "uuid", 4) == 0) {
				char u[UUID_STRLEN + 1];

				(void)uuid_v4(u);	/* a fallback is fine */
				rc |= buf_addstr(out, u);
			} else if (l == 4 && strncmp(t + 1, "host", 4) == 0) {
				if (host == NULL) {
					if (gethostname(hostbuf,
					    sizeof hostbuf) != 0)
						snprintf(hostbuf,
						    sizeof hostbuf, "localhost");
					hostbuf[sizeof hostbuf - 1] = '\0';
					host = hostbuf;
				}
				rc |= buf_addstr(out, host);
			} else {
				return msg_seterr(e, MSG_EX_USAGE, "key template "
				    "'%s': unknown field {%.*s} (known: "
				    "{name} {partition} {uuid} {host})", tmpl,
				    (int)l, t + 1);
			}
			t = end;
		} else {
			rc |= buf_addc(out, *t);
		}
	}
	if (rc < 0 || out->len - start > S3KEY_MAX)
		return msg_seterr(e, MSG_EX_USAGE, "%.200s: key is over S3's "
		    "limit of %d bytes", path, S3KEY_MAX);
	if (out->len == start)
		return msg_seterr(e, MSG_EX_USAGE, "key template '%s': empty key",
		    tmpl);
	return 0;
}
