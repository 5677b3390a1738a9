/* Unit tests for lib/util, lib/buf and lib/msg: option parsing, the capped
 * buffer, and the exit-status order. */
#include <stdint.h>
#include <stdlib.h>

#include "buf.h"
#include "msg.h"
#include "t.h"
#include "util.h"

static const struct {
	const char *in;
	int rc;
	uint64_t want;
} sizes[] = {
	{ "0", 0, 0 },
	{ "1048576", 0, 1048576 },
	{ "64K", 0, 65536 },
	{ "1M", 0, 1048576 },
	{ "1MiB", 0, 1048576 },
	{ "128m", 0, 134217728 },
	{ "2G", 0, 2147483648ULL },
	{ "10B", 0, 10 },
	{ "", -1, 0 },
	{ "-1", -1, 0 },
	{ "1X", -1, 0 },
	{ "M", -1, 0 },
	{ "99999999999999999999", -1, 0 },
	{ "17179869184G", -1, 0 },
};

static const struct {
	const char *in;
	int rc;
	uint64_t want;
} durations[] = {
	{ "120", 0, 120000 },
	{ "120s", 0, 120000 },
	{ "500ms", 0, 500 },
	{ "2m", 0, 120000 },
	{ "1h", 0, 3600000 },
	{ "1.5s", 0, 1500 },
	{ "0", 0, 0 },
	{ "-1", -1, 0 },
	{ "5x", -1, 0 },
	{ "", -1, 0 },
};

int
main(void)
{
	struct buf b;
	uint64_t v;
	size_t i;
	int rc;

	for (i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		v = 0;
		rc = util_parse_size(sizes[i].in, &v);
		t_ok(rc == sizes[i].rc && (rc != 0 || v == sizes[i].want),
		    "parse_size \"%s\"", sizes[i].in);
	}
	for (i = 0; i < sizeof durations / sizeof durations[0]; i++) {
		v = 0;
		rc = util_parse_duration(durations[i].in, &v);
		t_ok(rc == durations[i].rc && (rc != 0 || v == durations[i].want),
		    "parse_duration \"%s\"", durations[i].in);
	}

	buf_init(&b, 1000);
	for (i = 0, rc = 0; i < 100; i++)
		rc |= buf_add(&b, "0123456789", 10);
	t_ok(rc == 0 && b.len == 1000, "buf fills to its cap");
	t_ok(buf_addc(&b, 'x') == -1 && b.len == 1000,
	    "buf refuses to grow past its cap and keeps its content");
	b.len = 0;
	t_ok(buf_printf(&b, "%d-%s", 42, "x") == 0 && b.len == 4 &&
	    memcmp(b.p, "42-x", 4) == 0, "buf_printf appends");
	buf_free(&b);
	buf_free(NULL);
	t_ok(1, "buf_free accepts NULL");

	t_ok(msg_worse(MSG_EX_OK, MSG_EX_PARTIAL) == MSG_EX_PARTIAL, "partial beats ok");
	t_ok(msg_worse(MSG_EX_IO, MSG_EX_PARTIAL) == MSG_EX_IO, "io beats partial");
	t_ok(msg_worse(MSG_EX_REMOTE_TEMP, MSG_EX_REMOTE_PERM) == MSG_EX_REMOTE_PERM,
	    "permanent remote beats temporary");
	t_ok(msg_worse(MSG_EX_USAGE, MSG_EX_IO) == MSG_EX_USAGE, "usage beats all");
	return t_done();
}
