/* creds: AWS credentials and region, found in the order AWS tools use.
 *
 *   1. AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN
 *   2. the shared credentials file (AWS_SHARED_CREDENTIALS_FILE, default
 *      ~/.aws/credentials) and config file (AWS_CONFIG_FILE, default
 *      ~/.aws/config), profile AWS_PROFILE or "default"
 *   3. ECS/container credentials (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI
 *      against 169.254.170.2, or AWS_CONTAINER_CREDENTIALS_FULL_URI with
 *      AWS_CONTAINER_AUTHORIZATION_TOKEN[_FILE])
 *   4. EC2 instance metadata, IMDSv2 (PUT token, then GET role credentials)
 *      at AWS_EC2_METADATA_SERVICE_ENDPOINT, or 169.254.169.254
 *      (fd00:ec2::254 with AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE=IPv6);
 *      off with AWS_EC2_METADATA_DISABLED=true
 *
 * A profile passed in creds_opts (a --profile option) outranks the
 * environment's keys, as in the AWS CLI; AWS_PROFILE does not. A profile
 * named explicitly must exist and hold static keys (role_arn, sso and
 * credential_process are not supported); the default one may be absent.
 * Container credentials over plain http go only to loopback or the
 * link-local container endpoints. IMDSv2 only (no IMDSv1 fallback); each
 * metadata request has a 1 s connect and 2 s total timeout, so a machine
 * outside EC2 fails fast.
 *
 * The provider owns the strings in the struct creds it hands out; they stay
 * valid until creds_free (superseded ones are kept, a few hundred bytes
 * per refresh), so threads may share one provider: creds_get and
 * creds_refresh lock. Temporary credentials are refreshed by creds_get when
 * they expire within CREDS_REFRESH_MS (at most one attempt a second until
 * they have expired); if that refresh fails while they are still valid,
 * the old ones are returned. Secrets never appear in any
 * error message. */
#ifndef CREDS_H
#define CREDS_H

#include <stdint.h>

#include "msg.h"

#define CREDS_REFRESH_MS (5 * 60 * 1000)

struct creds {
	const char *access_key;
	const char *secret_key;
	const char *session_token;	/* NULL when none */
	uint64_t expires_ms;		/* wall clock ms; 0: does not expire */
	const char *source;		/* "env", "profile NAME", "ecs", "imds",
					 * or a creds_source's name */
};

struct creds_opts {
	const char *profile;		/* NULL: AWS_PROFILE or "default" */
	/* Test hooks: override the link-local endpoints (NULL: AWS's). */
	const char *imds_endpoint;	/* or AWS_EC2_METADATA_SERVICE_ENDPOINT */
	const char *ecs_host;		/* default http://169.254.170.2 */
	int no_imds;			/* or AWS_EC2_METADATA_DISABLED=true */
};

struct creds_provider;

struct creds_provider *creds_new(const struct creds_opts *o, struct err *e);

/* A provider implemented elsewhere. AssumeRole, web identity and SSO get
 * their keys from STS or the SSO portal through lib/aws, which depends on
 * this module: they live in a module above lib/aws, and plug in here so
 * that lib/creds never includes lib/aws. fetch fills *out with fresh
 * credentials (expires_ms set when they expire; source ignored); its
 * strings need only last until fetch returns, since the provider copies
 * them. The provider calls fetch once in creds_new_source, then as for
 * ECS and IMDS: from creds_get when the keys expire within
 * CREDS_REFRESH_MS, and from creds_refresh; always under its lock, so
 * fetch runs in one thread at a time. free(ud) runs in creds_free. */
struct creds_source {
	const char *name;	/* creds.source: "assume-role" */
	int (*fetch)(void *ud, struct creds *out, struct err *e);
	void (*free)(void *ud);	/* NULL: nothing to free */
};

/* A provider over src (borrowed for its lifetime) and ud (owned: freed by
 * src->free). Its region is AWS_REGION or AWS_DEFAULT_REGION. NULL with
 * e when the first fetch fails (ud freed then too). */
struct creds_provider *creds_new_source(const struct creds_source *src,
    void *ud, struct err *e);
/* Current credentials, refreshed first when they expire soon. */
int creds_get(struct creds_provider *p, struct creds *out, struct err *e);
/* Force a refresh (after ExpiredToken); static credentials fail with -1. */
int creds_refresh(struct creds_provider *p, struct err *e);
/* Region: AWS_REGION, AWS_DEFAULT_REGION, then the profile's `region` in
 * the config file. Returns a string owned by the provider, or NULL. */
const char *creds_region(struct creds_provider *p);
void creds_free(struct creds_provider *p);

#endif
