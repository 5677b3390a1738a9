/* b64: standard base64 (RFC 4648, '+' '/', '=' padding) encode, decode and
 * validate, into caller-provided memory. DynamoDB's B/BS values and
 * Kinesis/Firehose `Data` fields use this alphabet. */
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

#endif
