/* SPDX-License-Identifier: MIT */
/* awsconf: regions and endpoint URLs (see awsconf.h). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "awsconf.h"

static const char *
env(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && *v != '\0' ? v : NULL;
}

int
awsconf_region_valid(const char *r)
{
	size_t n = 0;
	int word = 0;		/* inside a word of letters and digits */

	for (; r[n] != '\0'; n++) {
		unsigned char ch = (unsigned char)r[n];

		if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9'))
			word = 1;
		else if (ch == '-' && word)
			word = 0;
		else
			return 0;
	}
	return word && n <= AWSCONF_REGION_MAX;
}

/* A region from `source`: NULL when absent; bad values set e. */
static int
pick(const char *value, const char *source, const char **out, struct err *e)
{
	if (value == NULL || *value == '\0')
		return 0;
	if (!awsconf_region_valid(value))
		return msg_seterr(e, MSG_EX_USAGE, "%s: '%.80s%s' is not a "
		    "region name (lower-case letters and digits in words "
		    "joined by '-', as in eu-west-1)", source, value,
		    strlen(value) > 80 ? "..." : "");
	*out = value;
	return 1;
}

const char *
awsconf_region(const struct awsconf *c, const char *fallback, struct err *e)
{
	char prof[128];
	const char *r = NULL;
	int rc;

	snprintf(prof, sizeof prof, "the region of profile %.80s",
	    c->profile != NULL ? c->profile : "default");
	if ((rc = pick(c->region, "--region", &r, e)) == 0 &&
	    (rc = pick(env("AWS_REGION"), "AWS_REGION", &r, e)) == 0 &&
	    (rc = pick(env("AWS_DEFAULT_REGION"), "AWS_DEFAULT_REGION", &r,
	    e)) == 0 &&
	    (rc = pick(c->profile_region, prof, &r, e)) == 0)
		rc = pick(fallback, "the default region", &r, e);
	if (rc < 0)
		return NULL;
	if (rc == 0) {
		msg_seterr(e, MSG_EX_USAGE, "no region: set --region, "
		    "AWS_REGION or the profile's region");
		return NULL;
	}
	return r;
}

int
awsconf_url(const char *url, struct awsconf_url *out, struct err *e)
{
	const char *p = strstr(url, "://"), *h, *slash;
	char host[AWSCONF_HOST_MAX], *colon;
	size_t hl, i;

	memset(out, 0, sizeof *out);
	if (p == NULL || (strncmp(url, "http://", 7) != 0 &&
	    strncmp(url, "https://", 8) != 0))
		return msg_seterr(e, MSG_EX_USAGE, "endpoint %s: not an http:// "
		    "or https:// URL", url);
	memcpy(out->scheme, url, (size_t)(p - url));
	h = p + 3;
	slash = strchr(h, '/');
	hl = slash != NULL ? (size_t)(slash - h) : strlen(h);
	if (hl == 0 || hl >= sizeof host || memchr(h, '@', hl) != NULL)
		return msg_seterr(e, MSG_EX_USAGE, "endpoint %s: bad host", url);
	if (slash != NULL && slash[1] != '\0')
		return msg_seterr(e, MSG_EX_USAGE, "endpoint %s: a path after "
		    "the host is not supported", url);
	memcpy(out->hostport, h, hl);
	memcpy(host, h, hl);
	host[hl] = '\0';
	if (host[0] == '[') {
		out->ip_host = 1;
		return 0;
	}
	if ((colon = strchr(host, ':')) != NULL)
		*colon = '\0';
	out->ip_host = strcmp(host, "localhost") == 0;
	for (i = 0; host[i] != '\0'; i++)
		if (!isdigit((unsigned char)host[i]) && host[i] != '.')
			break;
	if (host[i] == '\0')
		out->ip_host = 1;
	return 0;
}

/* AWS_ENDPOINT_URL_<ID>: the id upper-cased, '-' as '_'. */
static const char *
env_endpoint(const char *svc_id)
{
	char name[64];
	size_t i;

	snprintf(name, sizeof name, "AWS_ENDPOINT_URL_%s", svc_id);
	for (i = 0; name[i] != '\0'; i++)
		name[i] = name[i] == '-' ? '_' :
		    (char)toupper((unsigned char)name[i]);
	return env(name);
}

int
awsconf_endpoint(const struct awsconf *c, const char *svc_id,
    const char *svc_host, const char *region, struct buf *out,
    struct err *e)
{
	const char *ign = env("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
	const char *url = c->endpoint;
	int rc;

	if (url != NULL && *url == '\0')
		url = NULL;
	if (url == NULL && (ign == NULL || strcasecmp(ign, "true") != 0)) {
		if ((url = env_endpoint(svc_id)) == NULL)
			url = env("AWS_ENDPOINT_URL");
		if (url == NULL && c->config_endpoint != NULL)
			url = c->config_endpoint(c->config_ud, svc_id);
	}
	out->len = 0;
	if (url != NULL)
		rc = buf_addstr(out, url);
	else if (!awsconf_region_valid(region))
		return msg_seterr(e, MSG_EX_USAGE, "'%.80s' is not a region "
		    "name", region);
	else
		rc = buf_printf(out, "https://%s.%s.amazonaws.com%s", svc_host,
		    region, strncmp(region, "cn-", 3) == 0 ? ".cn" : "");
	if (rc < 0 || buf_addc(out, '\0') < 0)
		return msg_seterr(e, MSG_EX_USAGE, "endpoint URL too long");
	out->len--;
	return 0;
}
