/* SPDX-License-Identifier: MIT */
/* flatrec: the record shapes of the ddbflat engine and their metadata
 * columns. It owns recognising what a JSON value is (a DynamoDB Streams or
 * KDS change record, get-records output, a Lambda Kinesis or Firehose
 * event record whose base64 payload it decodes and reads in turn, an
 * export or incremental export line, scan output, COUNT output, a bare
 * item), choosing the image (--image), and writing the _ddb_* columns:
 * table from the ARN, sequence number and shard, times through
 * lib/ddbtime, the TTL flag. Values and keys are lib/flatval.c's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "b64.h"
#include "ddbtime.h"
#include "flatint.h"
/* ---- metadata --------------------------------------------------------- */

static void
meta_key(struct flat *f, const char *name)
{
	f->key.len = 0;
	f->depth = 0;
	flatval_path_push(f, name, strlen(name), 1);
	flatval_emit_key(f, CLS_META);
	flatval_path_pop(f);
}

static void
meta_str(struct flat *f, const char *name, const char *s, size_t n)
{
	meta_key(f, name);
	out_c(f, '"');
	out_add(f, s, n);
	out_c(f, '"');
	flatval_end_value(f);
}

static void
meta_tok(struct flat *f, const char *name, const char *base,
    const struct json_tok *t)
{
	if (t->type == JSON_STRING)
		meta_str(f, name, base + t->start, t->end - t->start);
}

static int
meta_time(struct flat *f, const char *name, const char *s, size_t n,
    int type, int unit)
{
	char out[DDBTIME_MAX];
	int k = -1;

	if (type == JSON_NUMBER)
		k = ddbtime_from_number(s, n, unit, out);
	else if (type == JSON_STRING) {
		k = ddbtime_from_number(s, n, unit, out);
		if (k < 0)
			k = ddbtime_from_iso(s, n, out);
	} else if (type == JSON_NULL)
		return 0;
	if (k < 0)
		return flat_fail(f, "BadTimestamp", "%s: invalid timestamp \"%.*s\"",
		    name, (int)(n > 40 ? 40 : n), s);
	meta_str(f, name, out, (size_t)k);
	return 0;
}

static int
meta_time_tok(struct flat *f, const char *name, const char *base,
    const struct json_toks *ts, uint32_t vi, int unit)
{
	const struct json_tok *t;

	if (vi == 0)
		return 0;
	t = &ts->t[vi];
	/* {"N":"..."} as in incremental exports */
	if (t->type == JSON_OBJECT && t->n == 1 &&
	    json_streq(&ts->t[vi + 1], base, "N", 1))
		t = &ts->t[vi + 2];
	return meta_time(f, name, base + t->start, t->end - t->start,
	    t->type, unit);
}

static int
str_is(const struct json_toks *ts, const char *base, uint32_t vi,
    const char *s)
{
	return vi != 0 && json_streq(&ts->t[vi], base, s, strlen(s));
}

static int
is_ttl(const struct json_toks *ts, const char *base, uint32_t root)
{
	uint32_t ui = JSON_GET(ts, base, root, "userIdentity"), t, p;

	if (ui == 0 || ts->t[ui].type != JSON_OBJECT)
		return 0;
	t = JSON_GET(ts, base, ui, "type");
	if (t == 0)
		t = JSON_GET(ts, base, ui, "Type");
	p = JSON_GET(ts, base, ui, "principalId");
	if (p == 0)
		p = JSON_GET(ts, base, ui, "PrincipalId");
	return str_is(ts, base, t, "Service") &&
	    str_is(ts, base, p, "dynamodb.amazonaws.com");
}

/* "arn:aws:dynamodb:REGION:ACCT:table/NAME/stream/LABEL" -> NAME */
static int
arn_table(const char *s, size_t n, const char **t, size_t *tn)
{
	const char *p = memchr(s, '/', n), *q;

	if (p == NULL || p - s < 6 || memcmp(p - 6, ":table", 6) != 0)
		return 0;
	p++;
	q = memchr(p, '/', n - (size_t)(p - s));
	*t = p;
	*tn = q != NULL ? (size_t)(q - p) : n - (size_t)(p - s);
	return *tn > 0;
}

/* ---- record shapes ---------------------------------------------------- */


static int
images(struct flat *f, const char *base, struct json_toks *ts, int remove,
    uint32_t keys, uint32_t newi, uint32_t oldi)
{
	uint32_t main;

	switch (f->o.image) {
	case FLAT_IMAGE_NEW:
		main = newi != 0 ? newi : keys;
		break;
	case FLAT_IMAGE_OLD:
		main = oldi != 0 ? oldi : keys;
		break;
	case FLAT_IMAGE_BOTH:
		main = newi != 0 ? newi : keys;
		break;
	default:
		main = remove ? (oldi != 0 ? oldi : keys) :
		    (newi != 0 ? newi : keys);
	}
	if (main == 0)
		return flat_fail(f, "BadRecord", "record has neither the image "
		    "asked for nor Keys");
	if (flatval_item(f, base, ts, main, CLS_NEW, "image") < 0)
		return -1;
	if (f->o.image == FLAT_IMAGE_BOTH && oldi != 0)
		return flatval_item(f, base, ts, oldi, CLS_OLD, "OldImage");
	return 0;
}

/* The metadata columns of a change record, in the order ddbflat(1) lists
 * them. */
static int
change_meta(struct flat *f, const char *base, struct json_toks *ts,
    uint32_t root, uint32_t ddb, int remove, const struct wrapmeta *wm)
{
	uint32_t v, prec;
	int unit = DDBTIME_AUTO;
	const struct json_tok *t;
	const char *tn;
	size_t tl;

	meta_tok(f, "_ddb_op", base, &ts->t[JSON_GET(ts, base, root,
	    "eventName")]);
	v = JSON_GET(ts, base, root, "tableName");
	if (v != 0 && ts->t[v].type == JSON_STRING) {
		meta_tok(f, "_ddb_table", base, &ts->t[v]);
	} else if ((v = JSON_GET(ts, base, root, "eventSourceARN")) != 0 &&
	    ts->t[v].type == JSON_STRING) {
		t = &ts->t[v];
		if (arn_table(base + t->start, t->end - t->start, &tn, &tl))
			meta_str(f, "_ddb_table", tn, tl);
	}
	if ((v = JSON_GET(ts, base, root, "eventID")) != 0)
		meta_tok(f, "_ddb_event_id", base, &ts->t[v]);
	/* The record's own DynamoDB Streams number wins over the Kinesis one
	 * of its envelope: it orders the item's changes. */
	if ((v = JSON_GET(ts, base, ddb, "SequenceNumber")) != 0)
		meta_tok(f, "_ddb_seq", base, &ts->t[v]);
	else if (wm != NULL && wm->seq.p != NULL)
		meta_str(f, "_ddb_seq", wm->seq.p, wm->seq.n);
	if (wm != NULL && wm->shard.p != NULL)
		meta_str(f, "_ddb_shard", wm->shard.p, wm->shard.n);
	prec = JSON_GET(ts, base, ddb, "ApproximateCreationDateTimePrecision");
	if (str_is(ts, base, prec, "MILLISECOND"))
		unit = DDBTIME_MS;
	else if (str_is(ts, base, prec, "MICROSECOND"))
		unit = DDBTIME_US;
	if (meta_time_tok(f, "_ddb_ts", base, ts, JSON_GET(ts, base, ddb,
	    "ApproximateCreationDateTime"), unit) < 0)
		return -1;
	if (wm != NULL && wm->arrival.p != NULL &&
	    meta_time(f, "_ddb_arrival", wm->arrival.p, wm->arrival.n,
	    wm->arrival.type, wm->arrival_unit) < 0)
		return -1;
	meta_key(f, "_ddb_ttl");
	if (remove && is_ttl(ts, base, root))
		out_add(f, "true", 4);
	else
		out_add(f, "false", 5);
	flatval_end_value(f);
	return 0;
}

static int
change(struct flat *f, const char *base, struct json_toks *ts, uint32_t root,
    const struct wrapmeta *wm)
{
	uint32_t ev = JSON_GET(ts, base, root, "eventName");
	uint32_t ddb = JSON_GET(ts, base, root, "dynamodb");
	int remove;

	if (ddb == 0 || ts->t[ddb].type != JSON_OBJECT)
		return flat_fail(f, "BadRecord", "\"dynamodb\" is missing or "
		    "not an object");
	if (str_is(ts, base, ev, "INSERT") || str_is(ts, base, ev, "MODIFY"))
		remove = 0;
	else if (str_is(ts, base, ev, "REMOVE"))
		remove = 1;
	else
		return flat_fail(f, "BadRecord", "eventName must be INSERT, "
		    "MODIFY or REMOVE");
	if (!f->o.no_meta &&
	    change_meta(f, base, ts, root, ddb, remove, wm) < 0)
		return -1;
	return images(f, base, ts, remove, JSON_GET(ts, base, ddb, "Keys"),
	    JSON_GET(ts, base, ddb, "NewImage"),
	    JSON_GET(ts, base, ddb, "OldImage"));
}

static int
incremental(struct flat *f, const char *base, struct json_toks *ts,
    uint32_t root)
{
	uint32_t md = JSON_GET(ts, base, root, "Metadata");
	uint32_t keys = JSON_GET(ts, base, root, "Keys");
	uint32_t newi = JSON_GET(ts, base, root, "NewImage");
	uint32_t oldi = JSON_GET(ts, base, root, "OldImage");
	const char *op = newi == 0 ? "REMOVE" : oldi != 0 ? "MODIFY" :
	    "INSERT";

	if (!f->o.no_meta) {
		meta_str(f, "_ddb_op", op, strlen(op));
		if (md != 0 && ts->t[md].type == JSON_OBJECT &&
		    meta_time_tok(f, "_ddb_ts", base, ts, JSON_GET(ts, base, md,
		    "WriteTimestampMicros"), DDBTIME_US) < 0)
			return -1;
	}
	return images(f, base, ts, newi == 0, keys, newi, oldi);
}

/* Does the object at root look like a bare item: every member a typed
 * value {"TAG": ...}? */
static int
looks_like_item(const struct json_toks *ts, const char *base, uint32_t root)
{
	const struct json_tok *o = &ts->t[root];
	uint32_t k, e;

	if (o->type != JSON_OBJECT || o->n == 0)
		return 0;
	for (k = 0, e = root + 1; k < o->n; k++, e = ts->t[e + 1].next) {
		const struct json_tok *v = &ts->t[e + 1], *tag;
		size_t n;

		if (v->type != JSON_OBJECT || v->n != 1)
			return 0;
		tag = &ts->t[e + 2];
		n = tag->end - tag->start;
		if (n < 1 || n > 4 || base[tag->start] < 'B' ||
		    base[tag->start] > 'S')
			return 0;
	}
	return 1;
}

/* Base64 `data` of a Kinesis or Firehose record: decode and process. */
static int
wrapped(struct flat *f, const char *base, struct json_toks *ts, uint32_t di,
    const struct wrapmeta *wm, const char *what)
{
	const struct json_tok *d = &ts->t[di];
	struct json_result r;
	const char *s;
	size_t n, sk;
	long k;
	int rc;

	if (d->type != JSON_STRING)
		return flat_fail(f, "BadRecord", "%s is not a string", what);
	s = base + d->start;
	n = d->end - d->start;
	if (d->flags & JSON_F_ESC) {
		return flat_fail(f, "BadBase64", "%s: escapes in base64 text", what);
	}
	f->dec.len = 0;
	if (buf_grow(&f->dec, B64_DEC_LEN(n)) < 0)
		return flat_fail(f, "TooLarge", "%s: decoded record exceeds the "
		    "--max-record limit", what);
	k = b64_decode(s, n, (unsigned char *)f->dec.p);
	if (k < 0)
		return flat_fail(f, "BadBase64", "%s: invalid base64", what);
	f->dec.len = (size_t)k;
	for (sk = 0; sk < f->dec.len && (f->dec.p[sk] == ' ' ||
	    f->dec.p[sk] == '\n' || f->dec.p[sk] == '\r' ||
	    f->dec.p[sk] == '\t'); sk++)
		;
	rc = json_parse(f->dec.p + sk, f->dec.len - sk, 1, 0, &f->tk2, &r);
	if (rc != JSON_OK)
		return flat_fail(f, "Malformed", "%s: decoded record: %s", what,
		    r.err != NULL ? r.err : "not JSON");
	for (n = sk + r.end; n < f->dec.len; n++)
		if (f->dec.p[n] != ' ' && f->dec.p[n] != '\n' &&
		    f->dec.p[n] != '\r' && f->dec.p[n] != '\t')
			return flat_fail(f, "Malformed", "%s: decoded record has "
			    "trailing data", what);
	return flatrec_dispatch(f, f->dec.p + sk, &f->tk2, HINT_RECORD, wm, 1);
}

/* A string token's text as a slice (left empty for other types). */
static void
slice_str(struct slice *sl, const char *base, const struct json_toks *ts,
    uint32_t vi)
{
	if (vi != 0 && ts->t[vi].type == JSON_STRING) {
		sl->p = base + ts->t[vi].start;
		sl->n = ts->t[vi].end - ts->t[vi].start;
	}
}

/* Metadata a Kinesis or Firehose envelope carries for its record. */
static void
wrapmeta_fill(struct wrapmeta *wm, const char *base,
    const struct json_toks *ts, uint32_t seq, uint32_t arrival, int unit)
{
	memset(wm, 0, sizeof *wm);
	slice_str(&wm->seq, base, ts, seq);
	if (arrival != 0) {
		wm->arrival.p = base + ts->t[arrival].start;
		wm->arrival.n = ts->t[arrival].end - ts->t[arrival].start;
		wm->arrival.type = ts->t[arrival].type;
		wm->arrival_unit = unit;
	}
}

/* `aws kinesis get-records` output: {"SequenceNumber", "Data", ...}. */
static int
kinesis(struct flat *f, const char *base, struct json_toks *ts, uint32_t root,
    uint32_t di)
{
	struct wrapmeta wm;

	wrapmeta_fill(&wm, base, ts, JSON_GET(ts, base, root, "SequenceNumber"),
	    JSON_GET(ts, base, root, "ApproximateArrivalTimestamp"),
	    DDBTIME_AUTO);
	return wrapped(f, base, ts, di, &wm, "Kinesis Data");
}

/* A Lambda event record from a Kinesis trigger: {"kinesis": {"data",
 * "sequenceNumber", "approximateArrivalTimestamp" (epoch seconds), ...},
 * "eventID": "shardId-...:SEQ", ...}. */
static int
lambda_kinesis(struct flat *f, const char *base, struct json_toks *ts,
    uint32_t root, uint32_t ki)
{
	struct wrapmeta wm;
	uint32_t di = JSON_GET(ts, base, ki, "data");
	uint32_t ev = JSON_GET(ts, base, root, "eventID");
	const char *colon;

	if (di == 0)
		return flat_fail(f, "BadRecord", "Kinesis event record without "
		    "kinesis.data");
	wrapmeta_fill(&wm, base, ts, JSON_GET(ts, base, ki, "sequenceNumber"),
	    JSON_GET(ts, base, ki, "approximateArrivalTimestamp"),
	    DDBTIME_AUTO);
	slice_str(&wm.shard, base, ts, ev);
	colon = wm.shard.p != NULL ? memchr(wm.shard.p, ':', wm.shard.n) :
	    NULL;
	if (colon != NULL && colon > wm.shard.p)
		wm.shard.n = (size_t)(colon - wm.shard.p);
	else
		wm.shard.p = NULL;
	return wrapped(f, base, ts, di, &wm, "kinesis.data");
}

/* A Firehose data-transformation event record: {"recordId", "data",
 * "approximateArrivalTimestamp" (ms), "kinesisRecordMetadata"}. */
static int
firehose(struct flat *f, const char *base, struct json_toks *ts, uint32_t root,
    uint32_t di)
{
	struct wrapmeta wm;
	uint32_t km = JSON_GET(ts, base, root, "kinesisRecordMetadata");

	wrapmeta_fill(&wm, base, ts, km != 0 ? JSON_GET(ts, base, km,
	    "sequenceNumber") : 0, JSON_GET(ts, base, root,
	    "approximateArrivalTimestamp"), DDBTIME_MS);
	if (km != 0)
		slice_str(&wm.shard, base, ts, JSON_GET(ts, base, km,
		    "shardId"));
	return wrapped(f, base, ts, di, &wm, "Firehose data");
}

/* `aws dynamodb scan/query --select COUNT` output: {"Count":2,
 * "ScannedCount":2,"ConsumedCapacity":null}, perhaps with a paging token;
 * no Items member, so no records. */
static int
count_only(const struct json_toks *ts, const char *base)
{
	static const char *const names[] = { "Count", "ScannedCount",
	    "ConsumedCapacity", "LastEvaluatedKey", "NextToken" };
	uint32_t k, e, c = JSON_GET(ts, base, 0, "Count");
	size_t j;

	if (c == 0 || ts->t[c].type != JSON_NUMBER)
		return 0;
	for (k = 0, e = 1; k < ts->t[0].n; k++, e = ts->t[e + 1].next) {
		for (j = 0; j < sizeof names / sizeof names[0]; j++)
			if (json_streq(&ts->t[e], base, names[j],
			    strlen(names[j])))
				break;
		if (j == sizeof names / sizeof names[0])
			return 0;
	}
	return 1;
}

int
flatrec_dispatch(struct flat *f, const char *base, struct json_toks *ts, int hint,
    const struct wrapmeta *wm, int nested)
{
	uint32_t v;

	if (ts->t[0].type != JSON_OBJECT)
		return flat_fail(f, "UnknownShape", "expected a JSON object, not %s",
		    ts->t[0].type == JSON_ARRAY ? "an array" :
		    ts->t[0].type == JSON_STRING ? "a string" : "a scalar");
	if (hint == HINT_ITEM) {
		if (!nested)
			flatval_begin(f);
		return flatval_item(f, base, ts, 0, CLS_NEW, "item");
	}
	if (JSON_GET(ts, base, 0, "eventName") != 0 &&
	    JSON_GET(ts, base, 0, "dynamodb") != 0) {
		if (!nested)
			flatval_begin(f);
		return change(f, base, ts, 0, wm);
	}
	if (!nested && (v = JSON_GET(ts, base, 0, "kinesis")) != 0 &&
	    ts->t[v].type == JSON_OBJECT)
		return flatval_begin(f), lambda_kinesis(f, base, ts, 0, v);
	if (!nested && (v = JSON_GET(ts, base, 0, "Data")) != 0)
		return flatval_begin(f), kinesis(f, base, ts, 0, v);
	if (!nested && (v = JSON_GET(ts, base, 0, "data")) != 0 &&
	    JSON_GET(ts, base, 0, "recordId") != 0)
		return flatval_begin(f), firehose(f, base, ts, 0, v);
	if (nested)
		return flat_fail(f, "UnknownShape", "decoded record is not a "
		    "DynamoDB change record (no eventName and dynamodb)");
	if ((v = JSON_GET(ts, base, 0, "Item")) != 0) {
		flatval_begin(f);
		return flatval_item(f, base, ts, v, CLS_NEW, "Item");
	}
	if (JSON_GET(ts, base, 0, "Metadata") != 0 &&
	    (JSON_GET(ts, base, 0, "Keys") != 0 ||
	    JSON_GET(ts, base, 0, "NewImage") != 0)) {
		flatval_begin(f);
		return incremental(f, base, ts, 0);
	}
	if (looks_like_item(ts, base, 0)) {
		flatval_begin(f);
		return flatval_item(f, base, ts, 0, CLS_NEW, "item");
	}
	if (hint == HINT_NONE && count_only(ts, base))
		return FLATREC_NONE;
	if (hint == HINT_FIREHOSE)
		return flat_fail(f, "BadRecord", "Firehose record without data and "
		    "recordId");
	return flat_fail(f, "UnknownShape", "unrecognised record: not a DynamoDB "
	    "Streams/Kinesis record, get-records, Lambda or Firehose event, "
	    "export or scan output, or item");
}

