/* SPDX-License-Identifier: MIT */
/* Environment credentials only, for now; the shared files, ECS and IMDS
 * sources follow the order in creds.h. */
#include <stdlib.h>
#include <string.h>

#include "creds.h"
#include "util.h"

struct creds_provider {
	struct creds c;
	char *region;
};

struct creds_provider *
creds_new(const struct creds_opts *o, struct err *e)
{
	struct creds_provider *p;
	const char *ak = getenv("AWS_ACCESS_KEY_ID");
	const char *sk = getenv("AWS_SECRET_ACCESS_KEY");
	const char *r;

	(void)o;
	if (ak == NULL || *ak == '\0' || sk == NULL || *sk == '\0') {
		err_set(e, EX_USAGE, "no credentials: set AWS_ACCESS_KEY_ID "
		    "and AWS_SECRET_ACCESS_KEY");
		return NULL;
	}
	p = xcalloc(1, sizeof *p);
	p->c.access_key = ak;
	p->c.secret_key = sk;
	p->c.session_token = getenv("AWS_SESSION_TOKEN");
	if (p->c.session_token != NULL && *p->c.session_token == '\0')
		p->c.session_token = NULL;
	p->c.source = "env";
	r = getenv("AWS_REGION");
	if (r == NULL || *r == '\0')
		r = getenv("AWS_DEFAULT_REGION");
	p->region = r != NULL && *r != '\0' ? xstrdup(r) : NULL;
	return p;
}

int
creds_get(struct creds_provider *p, struct creds *out, struct err *e)
{
	(void)e;
	*out = p->c;
	return 0;
}

int
creds_refresh(struct creds_provider *p, struct err *e)
{
	(void)p;
	return err_set(e, EX_REMOTE_PERM, "static credentials cannot be "
	    "refreshed");
}

const char *
creds_region(struct creds_provider *p)
{
	return p->region;
}

void
creds_free(struct creds_provider *p)
{
	if (p == NULL)
		return;
	free(p->region);
	free(p);
}
