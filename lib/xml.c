/* SPDX-License-Identifier: MIT */
/* xml: an element's text in an AWS XML answer (see xml.h). */
#include <stdio.h>
#include <string.h>

#include "xml.h"

static const char *
find(const char *hay, size_t n, const char *needle)
{
	size_t l = strlen(needle), i;

	if (hay == NULL || n < l)
		return NULL;
	for (i = 0; i + l <= n; i++)
		if (hay[i] == needle[0] && memcmp(hay + i, needle, l) == 0)
			return hay + i;
	return NULL;
}

const char *
xml_find(const char *xml, size_t n, const char *needle)
{
	return find(xml, n, needle);
}

void
xml_get(const char *xml, size_t n, const char *tag, char *out, size_t on)
{
	static const struct { const char *ent; char c; } ents[] = {
		{ "&quot;", '"' }, { "&amp;", '&' }, { "&lt;", '<' },
		{ "&gt;", '>' }, { "&apos;", '\'' }, { "&#34;", '"' },
	};
	char open[64], close[64];
	const char *s, *e, *end;
	size_t k = 0;

	out[0] = '\0';
	if (xml == NULL)
		return;
	end = xml + n;
	snprintf(open, sizeof open, "<%s>", tag);
	snprintf(close, sizeof close, "</%s>", tag);
	s = find(xml, n, open);
	if (s == NULL)
		return;
	s += strlen(open);
	e = find(s, (size_t)(end - s), close);
	if (e == NULL)
		return;
	while (s < e && k + 1 < on) {
		size_t i;

		for (i = 0; i < sizeof ents / sizeof ents[0]; i++) {
			size_t l = strlen(ents[i].ent);

			if ((size_t)(e - s) >= l && memcmp(s, ents[i].ent,
			    l) == 0) {
				out[k++] = ents[i].c;
				s += l;
				break;
			}
		}
		if (i == sizeof ents / sizeof ents[0])
			out[k++] = *s++;
	}
	out[k] = '\0';
}
