/* SPDX-License-Identifier: MIT */
#include <string.h>

#include "ddbtime.h"

/* Howard Hinnant's days_from_civil / civil_from_days. */
int64_t
ddbtime_days(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void
civil(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t era;
	unsigned doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	*y = (int64_t)yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y += *m <= 2;
}

static void
put(char *out, int *n, unsigned v, int width)
{
	int k;

	for (k = width - 1; k >= 0; k--) {
		out[*n + k] = (char)('0' + v % 10);
		v /= 10;
	}
	*n += width;
}

int
ddbtime_format(int64_t secs, const char *frac, size_t fraclen, char *out)
{
	int64_t days, rem, y;
	unsigned mo, d;
	int n;

	/* Years 0001..9999 only: anything else is not a change time. */
	if (secs < -62135596800LL || secs > 253402300799LL || fraclen > 18)
		return -1;
	days = secs / 86400;
	rem = secs % 86400;
	if (rem < 0) {
		rem += 86400;
		days--;
	}
	civil(days, &y, &mo, &d);
	n = 0;
	put(out, &n, (unsigned)y, 4);
	out[n++] = '-';
	put(out, &n, mo, 2);
	out[n++] = '-';
	put(out, &n, d, 2);
	out[n++] = 'T';
	put(out, &n, (unsigned)(rem / 3600), 2);
	out[n++] = ':';
	put(out, &n, (unsigned)(rem / 60 % 60), 2);
	out[n++] = ':';
	put(out, &n, (unsigned)(rem % 60), 2);
	if (fraclen > 0) {
		out[n++] = '.';
		memcpy(out + n, frac, fraclen);
		n += (int)fraclen;
	}
	out[n++] = 'Z';
	out[n] = '\0';
	return n;
}

static int
digits(const char *s, size_t n, size_t *i, int64_t *v, int max)
{
	int k = 0;

	*v = 0;
	while (*i < n && s[*i] >= '0' && s[*i] <= '9' && k < max) {
		*v = *v * 10 + (s[*i] - '0');
		(*i)++;
		k++;
	}
	return k;
}

int
ddbtime_from_number(const char *s, size_t n, int unit, char *out)
{
	char dig[64];	/* all significant digits, no point */
	size_t i = 0, nd = 0;
	long point;	/* position of the decimal point in dig[] */
	long exp = 0;
	int esign = 1, fl;
	int64_t secs = 0;
	char frac[24];
	size_t k, fraclen;

	if (n == 0 || s[0] == '-' || s[0] == '+')
		return -1;
	while (i < n && s[i] >= '0' && s[i] <= '9') {
		if (nd == sizeof dig)
			return -1;
		dig[nd++] = s[i++];
	}
	point = (long)nd;
	if (i < n && s[i] == '.') {
		i++;
		while (i < n && s[i] >= '0' && s[i] <= '9') {
			if (nd == sizeof dig)
				return -1;
			dig[nd++] = s[i++];
		}
	}
	if (nd == 0)
		return -1;
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			esign = s[i++] == '-' ? -1 : 1;
		if (i == n)
			return -1;
		while (i < n && s[i] >= '0' && s[i] <= '9') {
			exp = exp * 10 + (s[i++] - '0');
			if (exp > 100)
				return -1;
		}
	}
	if (i != n)
		return -1;
	point += esign * exp;
	if (unit == DDBTIME_AUTO) {
		long id = point;
		/* skip leading zeros of the integer part */
		for (k = 0; k < nd && (long)k < point && dig[k] == '0'; k++)
			id--;
		unit = id >= 16 ? DDBTIME_US : id >= 13 ? DDBTIME_MS : DDBTIME_S;
	}
	fl = unit;		/* digits of fraction the unit implies */
	point -= unit;
	/* Integer seconds: digits before the point. */
	for (k = 0; (long)k < point; k++) {
		int dv = k < nd ? dig[k] - '0' : 0;
		if (secs > 253402300799LL)
			return -1;
		secs = secs * 10 + dv;
	}
	/* Fraction: digits after the point (leading zeros when point < 0). */
	fraclen = 0;
	for (long p = point; p < (long)nd; p++) {
		if (fraclen == 18)
			return -1;
		frac[fraclen++] = p < 0 ? '0' : dig[p];
	}
	/* Keep the unit's precision; drop further trailing zeros. */
	while (fraclen > (size_t)fl && frac[fraclen - 1] == '0')
		fraclen--;
	while (fraclen < (size_t)fl)
		frac[fraclen++] = '0';
	return ddbtime_format(secs, frac, fraclen, out);
}

int
ddbtime_from_iso(const char *s, size_t n, char *out)
{
	size_t i = 0, fs = 0, fraclen = 0;
	int64_t y, mo, d, h, mi, se, oh = 0, om = 0, secs;
	int sign = 0;

	if (digits(s, n, &i, &y, 4) != 4 || i >= n || s[i++] != '-' ||
	    digits(s, n, &i, &mo, 2) != 2 || i >= n || s[i++] != '-' ||
	    digits(s, n, &i, &d, 2) != 2 || i >= n ||
	    (s[i] != 'T' && s[i] != 't' && s[i] != ' '))
		return -1;
	i++;
	if (digits(s, n, &i, &h, 2) != 2 || i >= n || s[i++] != ':' ||
	    digits(s, n, &i, &mi, 2) != 2 || i >= n || s[i++] != ':' ||
	    digits(s, n, &i, &se, 2) != 2)
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
	    se > 60)
		return -1;
	if (i < n && (s[i] == '.' || s[i] == ',')) {
		i++;
		fs = i;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
		fraclen = i - fs;
		if (fraclen == 0 || fraclen > 18)
			return -1;
		while (fraclen > 0 && s[fs + fraclen - 1] == '0')
			fraclen--;
	}
	if (i < n && (s[i] == 'Z' || s[i] == 'z')) {
		i++;
	} else if (i < n && (s[i] == '+' || s[i] == '-')) {
		sign = s[i++] == '-' ? -1 : 1;
		if (digits(s, n, &i, &oh, 2) != 2)
			return -1;
		if (i < n && s[i] == ':')
			i++;
		if (digits(s, n, &i, &om, 2) != 2 || oh > 23 || om > 59)
			return -1;
	}
	if (i != n)
		return -1;
	secs = ddbtime_days(y, (unsigned)mo, (unsigned)d) * 86400 +
	    h * 3600 + mi * 60 + se - sign * (oh * 3600 + om * 60);
	return ddbtime_format(secs, s + fs, fraclen, out);
}
