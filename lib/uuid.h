/* uuid: random version-4 UUIDs (RFC 9562) from the kernel's getrandom(2).
 * The caller owns the 37-byte output buffer (36 characters and a NUL). */
#ifndef UUID_H
#define UUID_H

#define UUID_STRLEN 36

/* Lower-case 8-4-4-4-12 hex form; returns 0, or -1 if the kernel gave no
 * randomness (then `out` holds a time- and pid-derived fallback, still v4
 * shaped, so names stay unique enough to keep going). */
int uuid_v4(char out[UUID_STRLEN + 1]);

/* 1 if s is exactly a lower-case 8-4-4-4-12 hex UUID. */
int uuid_valid(const char *s);

#endif
