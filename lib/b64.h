/* b64: the toolkit's one base64 codec. Standard base64 (RFC 4648, '+'
 * '/', '=' padding) encode, decode and validate, into caller-provided
 * memory or a struct buf. DynamoDB's B/BS values, Kinesis/Firehose `Data`
 * fields, error records' rawData and Content-MD5 use this alphabet. The
 * tables are constant, so every function is thread-safe. */
#ifndef B64_H
#define B64_H

#include <stddef.h>

/* Bytes needed to decode/encode n input bytes. */
#define B64_DEC_LEN(n) ((n) / 4 * 3 + 3)
#define B64_ENC_LEN(n) (((n) + 2) / 3 * 4)

/* Decodes s[0..n) into dst; returns the decoded length or -1 when s is not
 * canonical base64 (bad character, bad length, misplaced padding). Padding
 * is optional at the very end. */
long b64_decode(const char *s, size_t n, unsigned char *dst);
/* 1 when s[0..n) would decode. */
int b64_valid(const char *s, size_t n);
/* Encodes with padding; returns bytes written. */
size_t b64_encode(const unsigned char *s, size_t n, char *dst);

struct buf;
/* Appends the encoding of p[0..n) to out; -1 when out's cap is hit. */
int b64_encode_buf(struct buf *out, const void *p, size_t n)
	__attribute__((warn_unused_result));

#endif
