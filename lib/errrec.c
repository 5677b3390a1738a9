/* SPDX-License-Identifier: MIT */
#include "errrec.h"
#include "jsonw.h"

int
errrec_format(struct buf *out, const struct errrec *r, uint64_t wall_ms)
{
	struct jsonw w;
	jsonw_begin(&w, out);
	jsonw_u64(&w, "attemptsMade", 1);
	jsonw_u64(&w, "arrivalTimestamp", wall_ms);
	jsonw_strz(&w, "errorCode", r->code);
	jsonw_strz(&w, "errorMessage", r->message);
	jsonw_strz(&w, "tool", r->tool);
	jsonw_strz(&w, "source", r->source);
	if (r->line != 0)
		jsonw_u64(&w, "line", r->line);
	else
		jsonw_null(&w, "line");
	jsonw_u64(&w, "attemptEndingTimestamp", wall_ms);
	jsonw_b64(&w, "rawData", r->raw, r->rawlen);
	if (jsonw_end(&w) < 0 || buf_addc(out, '\n') < 0)
		return -1;
	return 0;
}
