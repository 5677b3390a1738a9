/* flatint: what the parts of the ddbflat engine share, and nothing else
 * includes. lib/flat.c owns framing (reading, envelopes, resynchronisation)
 * and the per-record driver; lib/flatrec.c the record shapes and their
 * metadata columns; lib/flatval.c typed values, key paths and collisions.
 * struct flat is one engine; every pointer in it is owned by it. */
#ifndef FLATINT_H
#define FLATINT_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "flat.h"
#include "json.h"

#define READ_CHUNK (256 * 1024)
#define PATH_MAX_DEPTH 80
#define FLAT_FILTER_BITS 16
#define FLAT_FILTER_TOUCH 512

enum { CLS_META, CLS_NEW, CLS_OLD };
enum { HINT_NONE, HINT_ITEM, HINT_RECORD, HINT_FIREHOSE };

/* A slice of text with its JSON type, for metadata carried from an outer
 * envelope (Kinesis/Firehose) to the inner record. */
struct slice {
	const char *p;
	size_t n;
	int type;
};

struct wrapmeta {
	struct slice seq, arrival, shard;
	int arrival_unit;
};

/* A set of byte strings that live in a caller's buffer (offset and
 * length), emptied in O(1) by bumping a generation counter; used to find
 * keys that a record would hold twice. */
struct flat_kslot {
	uint32_t gen;
	uint32_t hash;
	uint32_t off, len;
};

struct flat_keyset {
	struct flat_kslot *slot;
	size_t cap, n;		/* cap: a power of two */
	uint32_t gen;
};

/* Collect mode (after a key collision): every entry of the record. */
struct entry {
	size_t koff, klen;	/* in f->keys */
	size_t nkoff, nklen;	/* the key it gets (renamed), in f->keys */
	size_t voff, vlen;	/* in f->out */
	size_t loff;		/* component lengths in f->lens */
	uint32_t depth;
	int cls;
};

/* A bad unit being kept (flat.c): input bytes that go to the sink's
 * error() whole, or in parts when they outgrow the window. It starts where
 * a value that cannot be read starts and ends where reading can resume;
 * the scanner that finds that point keeps its state here. Offsets count
 * bytes from the start of the input. */
struct flat_bad {
	int ctx;		/* BAD_TOP, BAD_ELEM, BAD_REST (flat.c) */
	int col;		/* pretty array: its elements' column; else -1 */
	const char *code;	/* errorCode */
	char why[200];		/* the reason */
	uint64_t line;		/* the unit's first line */
	uint64_t err, errline;	/* where the parser gave up */
	uint64_t scan, scanline;	/* scanned up to here */
	uint64_t lastnw, prevnw;	/* one past the last non-white byte,
					   and the value before that */
	uint64_t closed;	/* one past a closing bracket at depth 0 */
	int depth, instr, esc, opened, firstline, bol, linecol;
	unsigned char prevc;	/* the last non-white byte */
	unsigned parts;		/* parts handed out so far */
	int ateof;		/* it ends with the input */
};

struct sortent;

struct flat {
	struct flat_opts o;
	struct flat_sink sink;
	char sep[64];		/* escaped separator */
	size_t seplen;

	/* framing (flat.c) */
	flat_read_fn rd;
	void *rdctx;
	struct buf win;		/* input window; [pos, len) not used yet */
	size_t pos;
	uint64_t woff;		/* input offset of win.p[0] */
	int eof;
	uint64_t line;		/* line of win.p[pos] */
	int st;			/* ST_* (flat.c) */
	int hint;		/* HINT_* of the array's elements */
	int top_array;		/* that array is the top-level value */
	int bol, bolcol;	/* only white space since a newline; its width */
	int col;		/* the value at pos starts its line in this
				   column, or -1 */
	int elem_col;		/* column of the array's first element, or -1 */
	int strict, stop;
	struct flat_bad bad;

	struct json_toks tk, tk2;
	struct buf dec;		/* decoded Data */
	struct buf out;		/* the record being built */
	struct buf key;		/* current key path, escaped */
	struct buf tmp;
	size_t pathoff[PATH_MAX_DEPTH + 1];
	int depth;
	int first;

	struct flat_keyset set;
	/* Keys of the record, checked for duplicates only when two of them
	 * share a slot of the key filter (a few hash bits per key, cleared
	 * per record by a generation byte): two paths that join to the same
	 * key (a_b and a.b), or a map that names an attribute twice. */
	uint32_t *kp;		/* offset, length pairs in f->out */
	size_t nkp, kpcap;
	uint64_t filt[(1 << FLAT_FILTER_BITS) / 64];
	uint16_t fw[FLAT_FILTER_TOUCH];	/* words of filt set by this record */
	size_t nfw;
	int suspect;		/* two keys shared a filter slot */
	uint32_t gen;
	int collided, collect;
	struct entry *ent;
	size_t nent, entcap;
	struct buf keys;	/* collect mode: key texts */
	struct buf lens;	/* collect mode: uint32 component lengths */
	struct sortent *ord;	/* collect mode: entries in collision order */
	size_t ordcap;
	struct buf rec;		/* collect mode: the record rebuilt */
	struct buf names;	/* a map's member names, unescaped */
	struct flat_keyset nset;	/* and as a set */

	/* error of the record being processed */
	const char *ecode;
	char emsg[512];
	int oflow;		/* a buffer hit its cap: the record fails */

	struct flat_counts c;
};

/* flat.c: record the record's error; returns -1. */
int flat_fail(struct flat *f, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Output appends: a cap hit drops the bytes and marks the record, which
 * then fails as a whole (checked once per record, not per byte). */
static inline void
out_add(struct flat *f, const void *s, size_t n)
{
	if (f->out.len + n > f->out.cap && buf_grow(&f->out, n) < 0) {
		f->oflow = 1;
		return;
	}
	buf_put(&f->out, s, n);
}

static inline void
out_c(struct flat *f, char c)
{
	if (f->out.len + 1 > f->out.cap && buf_grow(&f->out, 1) < 0) {
		f->oflow = 1;
		return;
	}
	f->out.p[f->out.len++] = c;
}

/* flatval.c */
void flatval_begin(struct flat *f);
int flatval_item(struct flat *f, const char *base, struct json_toks *ts,
    uint32_t mi, int cls, const char *what);
int flatval_path_push(struct flat *f, const char *s, size_t n, int escaped);
void flatval_path_pop(struct flat *f);
void flatval_emit_key(struct flat *f, int cls);
void flatval_end_value(struct flat *f);
void flat_keyset_init(struct flat_keyset *ks);
void flat_keyset_free(struct flat_keyset *ks);
void flat_keyset_reset(struct flat_keyset *ks);
/* Adds base[off..off+len); returns 1 when it was already there. */
int flat_keyset_add(struct flat_keyset *ks, const char *base, uint32_t off,
    uint32_t len);
/* Would the record just built hold a key twice? */
int flatval_collides(struct flat *f);
int flatval_resolve(struct flat *f, uint64_t lineno);

/* flatrec.c: write the record at ts[0] into f->out; 0, FLATREC_NONE when
 * the value holds no record (scan --select COUNT output), or -1 with the
 * error set (flat_fail). */
enum { FLATREC_NONE = 1 };
int flatrec_dispatch(struct flat *f, const char *base, struct json_toks *ts,
    int hint, const struct wrapmeta *wm, int nested);

#endif
