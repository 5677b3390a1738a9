/* xml: the little XML that AWS answers need read: the text of an element
 * (S3's UploadId and ETag, error Code and Message, STS credentials),
 * entities decoded. Not a parser: the first <tag>...</tag> wins, and
 * attributes on the tag are not expected (AWS writes none on these). */
#ifndef XML_H
#define XML_H

#include <stddef.h>

/* Text of the first <tag>...</tag> in xml[0..n), entities decoded, cut to
 * on - 1 bytes; "" if absent. */
void xml_get(const char *xml, size_t n, const char *tag, char *out,
    size_t on);
/* The first occurrence of needle in xml[0..n), or NULL. */
const char *xml_find(const char *xml, size_t n, const char *needle);

#endif
