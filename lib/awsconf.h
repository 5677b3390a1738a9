/* awsconf: where an AWS request goes: the region, and the endpoint URL of
 * a service, taken from the sources AWS tools read, in their order.
 *
 * Region: the caller's option (--region), AWS_REGION, AWS_DEFAULT_REGION,
 * the profile's `region` (lib/creds reads it), else the caller's default.
 * Every value is checked before it is used: a region becomes part of a
 * host name, so only region-shaped values pass (lower-case letters and
 * digits in words joined by single '-', at most AWSCONF_REGION_MAX
 * bytes); a bad one is a configuration error that names its source.
 *
 * Endpoint: the caller's option (--endpoint-url), AWS_ENDPOINT_URL_<ID>
 * (the service id upper-cased, "DYNAMODB_STREAMS"), AWS_ENDPOINT_URL, the
 * shared config file's endpoint settings (the hook below), else
 * https://<host>.<region>.amazonaws.com (amazonaws.com.cn in cn- regions).
 * AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true skips the environment and the
 * config file, as in botocore.
 *
 * Ownership: strings in struct awsconf are borrowed; a returned region is
 * borrowed from the inputs or the environment (valid while they are). */
#ifndef AWSCONF_H
#define AWSCONF_H

#include "buf.h"
#include "msg.h"

#define AWSCONF_REGION_MAX 63
#define AWSCONF_HOST_MAX 256

/* An endpoint URL's parts: http or https, host[:port] (an IPv6 address
 * in brackets), and whether the host is an address or localhost. */
struct awsconf_url {
	char scheme[8];
	char hostport[AWSCONF_HOST_MAX];
	int ip_host;
};

struct awsconf {
	const char *region;	/* an option, or NULL */
	const char *endpoint;	/* an option, or NULL */
	const char *profile_region;	/* creds_region(), or NULL */
	const char *profile;	/* the profile's name, for messages */
	/* Hook for the shared config file's endpoint settings (the profile's
	 * `services` section, then its `endpoint_url`): the URL for service
	 * id `svc_id` ("s3", "dynamodb_streams"), or NULL for none. NULL
	 * hook: none. */
	const char *(*config_endpoint)(void *ud, const char *svc_id);
	void *config_ud;
};

/* 1 when r is shaped like a region name. */
int awsconf_region_valid(const char *r);

/* The region (see above), or NULL with e (MSG_EX_USAGE) when a source
 * holds a bad value, or when none gives one and `fallback` is NULL. */
const char *awsconf_region(const struct awsconf *c, const char *fallback,
    struct err *e);

/* The endpoint URL of service svc_id (default host svc_host) in region
 * into out (replacing its contents, NUL-terminated). */
int awsconf_endpoint(const struct awsconf *c, const char *svc_id,
    const char *svc_host, const char *region, struct buf *out,
    struct err *e);

/* Split an endpoint URL: http:// or https://, a host without user info,
 * and no path (a trailing '/' is allowed). -1 with e (MSG_EX_USAGE)
 * otherwise. */
int awsconf_url(const char *url, struct awsconf_url *out, struct err *e);

#endif
