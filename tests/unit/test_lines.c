/* Unit tests for lib/lines: lines split across reads come out whole, the
 * partial last line stays, and the work is linear in the bytes read even
 * for one very long line (a rescan from the line's start after every read
 * made a 1 GB line take half a minute). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lines.h"
#include "t.h"

static const struct {
	const char *name;
	const char *chunks[4];	/* read one after the other */
	const char *want;	/* lines taken, joined with '|' */
	const char *tail;
} cases[] = {
	{ "one read, two lines", { "a\nbb\n" }, "a\n|bb\n|", "" },
	{ "a line split over reads", { "ab", "c\nd", "e\n" },
	  "abc\n|de\n|", "" },
	{ "the last line has no newline", { "x\ny" }, "x\n|", "y" },
	{ "empty lines are lines", { "\n\n", "\n" }, "\n|\n|\n|", "" },
	{ "CR stays in the line", { "a\r\n" }, "a\r\n|", "" },
	{ "a partial line moves to the front intact",
	  { "1\n22", "2\n333", "3\n4" }, "1\n|222\n|3333\n|", "4" },
	{ "nothing read", { "" }, "", "" },
	{ "no newline at all", { "abc", "def" }, "", "abcdef" },
};

static void
run_case(size_t k)
{
	struct lines l;
	char got[256] = "", tail[64];
	const char *p;
	size_t n, i;

	lines_init(&l, 1024);
	for (i = 0; i < 4 && cases[k].chunks[i] != NULL; i++) {
		size_t len = strlen(cases[k].chunks[i]), room;
		char *dst;

		if (lines_room(&l, 16, &dst, &room) < 0 || room < len) {
			t_ok(0, "%s: room", cases[k].name);
			lines_free(&l);
			return;
		}
		memcpy(dst, cases[k].chunks[i], len);
		lines_commit(&l, len);
		while (lines_next(&l, &p, &n)) {
			strncat(got, p, n);
			strcat(got, "|");
		}
	}
	t_streq(got, cases[k].want, cases[k].name);
	n = lines_tail(&l, &p);
	memcpy(tail, p, n);
	tail[n] = '\0';
	t_streq(tail, cases[k].tail, "  its partial last line");
	lines_free(&l);
}

/* One line of `total` bytes read `block` bytes at a time, then its
 * newline: the bytes searched and moved must stay within 2x the input. */
static void
long_line(size_t total, size_t block)
{
	struct lines l;
	const char *p;
	char *dst;
	size_t done = 0, room, n;
	int got = 0, ok = 1;

	lines_init(&l, total + 2 * block);
	while (done < total && ok) {
		size_t k = total - done < block ? total - done : block;

		ok = lines_room(&l, block, &dst, &room) == 0;
		if (!ok)
			break;
		memset(dst, 'x', k);
		lines_commit(&l, k);
		done += k;
		got += lines_next(&l, &p, &n);
	}
	ok = ok && lines_room(&l, 1, &dst, &room) == 0;
	if (ok) {
		*dst = '\n';
		lines_commit(&l, 1);
		got += lines_next(&l, &p, &n);
	}
	t_ok(ok && got == 1 && n == total + 1,
	    "a %zu-byte line read in %zu-byte blocks comes out whole", total,
	    block);
	t_ok(l.work <= 2 * (uint64_t)(total + 1),
	    "  and costs linear work: %llu bytes looked at for %zu read",
	    (unsigned long long)l.work, total + 1);
	lines_free(&l);
}

int
main(void)
{
	struct lines l;
	char *dst;
	size_t k, room;

	for (k = 0; k < sizeof cases / sizeof cases[0]; k++)
		run_case(k);
	long_line(8u << 20, 4096);
	long_line(1u << 20, 1);
	/* Many short lines in small reads: linear too. */
	{
		const char *p;
		size_t n, i, lines = 0;

		lines_init(&l, 1 << 16);
		for (i = 0; i < 100000; i++) {
			if (lines_room(&l, 7, &dst, &room) < 0)
				break;
			memcpy(dst, "abc\nde", 6);	/* "de" + next "abc" */
			lines_commit(&l, 6);
			while (lines_next(&l, &p, &n))
				lines++;
		}
		t_ok(lines == 100000, "100000 lines split over reads: %zu",
		    lines);
		t_ok(l.work <= 2 * 600000ULL, "  with linear work: %llu",
		    (unsigned long long)l.work);
		lines_free(&l);
	}
	/* The cap: a line longer than it is refused, not grown past. */
	lines_init(&l, 64);
	t_ok(lines_room(&l, 64, &dst, &room) == 0 && room == 64,
	    "room up to the cap");
	lines_commit(&l, 64);
	t_ok(lines_room(&l, 1, &dst, &room) < 0,
	    "a line longer than the cap is refused");
	t_ok(lines_end(&l) < 0, "  and cannot be ended past the cap");
	lines_free(&l);
	return t_done();
}
