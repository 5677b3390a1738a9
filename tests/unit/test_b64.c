/* test_b64: the toolkit's base64 codec, RFC 4648 vectors and the strict
 * decoding rules (canonical padding and trailing bits). */
#include <string.h>

#include "b64.h"
#include "buf.h"
#include "t.h"

static const struct {
	const char *raw, *enc;
} vectors[] = {		/* RFC 4648 section 10 */
	{ "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" }, { "foo", "Zm9v" },
	{ "foob", "Zm9vYg==" }, { "fooba", "Zm9vYmE=" },
	{ "foobar", "Zm9vYmFy" },
};

static const struct {
	const char *name, *in;
	long want;		/* decoded length, -1 rejected */
} decodes[] = {
	{ "padding optional at the end", "Zg", 1 },
	{ "two of three", "Zm8", 2 },
	{ "bad character", "Zm9*", -1 },
	{ "URL-safe alphabet is not ours", "-_8=", -1 },
	{ "one char alone", "Z", -1 },
	{ "padding in the middle", "Zg==Zg==", -1 },
	{ "three pads", "Z===", -1 },
	{ "non-canonical trailing bits", "Zh==", -1 },
	{ "white space", "Zm9v Zg==", -1 },
	{ "all 256 values", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", 32 },
};

int
main(void)
{
	char enc[64];
	unsigned char dec[64];
	struct buf b;
	size_t i, n;
	long k;

	for (i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
		n = b64_encode((const unsigned char *)vectors[i].raw,
		    strlen(vectors[i].raw), enc);
		enc[n] = '\0';
		t_streq(enc, vectors[i].enc, vectors[i].enc);
		k = b64_decode(vectors[i].enc, strlen(vectors[i].enc), dec);
		t_ok(k == (long)strlen(vectors[i].raw) &&
		    memcmp(dec, vectors[i].raw, (size_t)k) == 0,
		    "decode %s", vectors[i].enc);
	}
	for (i = 0; i < sizeof decodes / sizeof decodes[0]; i++) {
		k = b64_decode(decodes[i].in, strlen(decodes[i].in), dec);
		t_ok(k == decodes[i].want && b64_valid(decodes[i].in,
		    strlen(decodes[i].in)) == (decodes[i].want >= 0),
		    "%s", decodes[i].name);
	}
	buf_init(&b, 12);
	t_ok(b64_encode_buf(&b, "foobar", 6) == 0 && b.len == 8 &&
	    memcmp(b.p, "Zm9vYmFy", 8) == 0, "encode into a buf");
	t_ok(b64_encode_buf(&b, "foobar", 6) < 0 && b.len == 8,
	    "a buf's cap is honoured");
	buf_free(&b);
	return t_done();
}
