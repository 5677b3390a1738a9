/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "jsonw.h"
#include "stats.h"
#include "util.h"

void
stats_init(struct stats *s, const char *tool)
{
	memset(s, 0, sizeof *s);
	s->tool = tool;
	s->start_ms = util_now_ms();
	s->interval_ms = 1000;
	s->next_ms = s->start_ms + s->interval_ms;
	s->rate_idx = s->bytes_idx = -1;
}

int
stats_set_progress(struct stats *s, const char *arg)
{
	if (arg == NULL || strcmp(arg, "auto") == 0)
		s->progress = isatty(2) ? 1 : 0;
	else if (strcmp(arg, "always") == 0)
		s->progress = isatty(2) ? 1 : 2;
	else if (strcmp(arg, "never") == 0)
		s->progress = 0;
	else
		return -1;
	return 0;
}

uint64_t *
stats_counter(struct stats *s, const char *name)
{
	int i;

	for (i = 0; i < s->n; i++)
		if (strcmp(s->name[i], name) == 0)
			return &s->val[i];
	if (s->n == STATS_MAX)
		msg_die(MSG_EX_IO, "internal error: too many counters");
	s->name[s->n] = name;
	s->val[s->n] = 0;
	return &s->val[s->n++];
}

static int
find(const struct stats *s, const char *name)
{
	int i;

	for (i = 0; name != NULL && i < s->n; i++)
		if (strcmp(s->name[i], name) == 0)
			return i;
	return -1;
}

void
stats_rates(struct stats *s, const char *records, const char *bytes)
{
	s->rate_idx = find(s, records);
	s->bytes_idx = find(s, bytes);
}

double
stats_elapsed(const struct stats *s)
{
	return (double)(util_now_ms() - s->start_ms) / 1000.0;
}

static void
human(char *b, size_t n, uint64_t v)
{
	if (v >= 10000000)
		snprintf(b, n, "%.1fM", (double)v / 1e6);
	else if (v >= 100000)
		snprintf(b, n, "%.0fk", (double)v / 1e3);
	else
		snprintf(b, n, "%llu", (unsigned long long)v);
}

void
stats_print_line(struct stats *s, int final)
{
	char line[512], num[32];
	size_t len;
	double el = stats_elapsed(s);
	int i;

	len = (size_t)snprintf(line, sizeof line, "%s:", s->tool);
	for (i = 0; i < s->n && len < sizeof line - 64; i++) {
		if (i == s->bytes_idx) {
			util_fmt_size(num, sizeof num, s->val[i]);
		} else
			human(num, sizeof num, s->val[i]);
		len += (size_t)snprintf(line + len, sizeof line - len,
		    " %s %s%s", num, s->name[i], i + 1 < s->n ? "," : "");
	}
	if (el > 0 && s->rate_idx >= 0)
		len += (size_t)snprintf(line + len, sizeof line - len,
		    " | %.0f/s", (double)s->val[s->rate_idx] / el);
	if (el > 0 && s->bytes_idx >= 0)
		len += (size_t)snprintf(line + len, sizeof line - len,
		    " %.1f MB/s", (double)s->val[s->bytes_idx] / el / 1e6);
	snprintf(line + len, sizeof line - len, " | %.1fs", el);
	if (s->progress == 1)
		fprintf(stderr, "\r%s\033[K%s", line, final ? "\n" : "");
	else
		fprintf(stderr, "%s\n", line);
	fflush(stderr);
	s->drawn = s->progress == 1 && !final;
}

void
stats_tick(struct stats *s)
{
	uint64_t now;

	if (s->progress == 0)
		return;
	now = util_now_ms();
	if (now < s->next_ms)
		return;
	s->next_ms = now + s->interval_ms;
	stats_print_line(s, 0);
}

int
stats_finish(struct stats *s, const char *path, int exit_status,
    struct err *e)
{
	FILE *f;
	struct buf b;
	struct jsonw w;
	int i;

	if (s->progress != 0)
		stats_print_line(s, 1);
	if (path == NULL)
		return 0;
	/* STATS_MAX counters with short literal names fit easily. */
	buf_init(&b, 4096);
	jsonw_begin(&w, &b);
	jsonw_strz(&w, "tool", s->tool);
	jsonw_double(&w, "elapsed_s", stats_elapsed(s), 3);
	jsonw_i64(&w, "exit", exit_status);
	for (i = 0; i < s->n; i++)
		jsonw_u64(&w, s->name[i], s->val[i]);
	if (jsonw_end(&w) < 0 || buf_addc(&b, '\n') < 0) {
		buf_free(&b);
		return msg_seterr(e, MSG_EX_IO, "--stats: summary too large");
	}
	f = strcmp(path, "-") == 0 ? stderr : fopen(path, "w");
	if (f == NULL) {
		buf_free(&b);
		return msg_seterr(e, MSG_EX_IO, "--stats %s: %s", path,
		    strerror(errno));
	}
	fwrite(b.p, 1, b.len, f);
	buf_free(&b);
	if (f == stderr)
		return fflush(f) == 0 ? 0 :
		    msg_seterr(e, MSG_EX_IO, "--stats: %s", strerror(errno));
	if (fflush(f) != 0 || ferror(f) || fsync(fileno(f)) != 0) {
		fclose(f);
		return msg_seterr(e, MSG_EX_IO, "--stats %s: %s", path,
		    strerror(errno));
	}
	if (fclose(f) != 0)
		return msg_seterr(e, MSG_EX_IO, "--stats %s: %s", path,
		    strerror(errno));
	return 0;
}
