#!/usr/bin/python3 -S
"""awspost.py: send one AWS JSON-protocol request, signed by sigv4sign.py
(or deliberately not, or signed wrong), and print the answer. For tests of
the servers themselves, where awscli would retry, hide the status or take
a second to start.

  awspost.py [options] URL TARGET [BODY|@FILE]

  TARGET         X-Amz-Target, e.g. Kinesis_20131202.ListShards or
                 DynamoDBStreams_20120810.DescribeStream; BODY default {}
  --key AK:SECRET[:TOKEN]
                 default $AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY and
                 $AWS_SESSION_TOKEN if set
  --region R     default $AWS_REGION, else us-east-1
  --service S    signing name; default kinesis for Kinesis_*, else dynamodb
  --content-type default application/x-amz-json-1.1 for Kinesis_*, else 1.0
  --skew SECONDS sign as if the clock were SECONDS ahead (negative: behind)
  --unsigned     send no Authorization header
  --tamper       change the body after signing

Prints the HTTP status on the first line and the body on the second.
Exit status: 0 for 2xx, 1 for any other status, 2 if there was no answer.
"""
import sys

import sigv4sign

FLAGS = ("--unsigned", "--tamper")
OPTIONS = ("--key", "--region", "--service", "--content-type", "--skew")


def usage(why):
    sys.exit("awspost.py: %s\nusage: awspost.py [options] URL TARGET [BODY|@FILE]" % why)


def main():
    # No argparse: it would take longer to import than the request to run.
    opts, args, argv = {}, [], sys.argv[1:]
    while argv:
        arg = argv.pop(0)
        if arg in FLAGS:
            opts[arg] = True
        elif arg in OPTIONS:
            if not argv:
                usage("%s needs a value" % arg)
            opts[arg] = argv.pop(0)
        elif arg.startswith("--"):
            usage("unknown option %s" % arg)
        else:
            args.append(arg)
    if not 2 <= len(args) <= 3:
        usage("want URL TARGET [BODY]")
    url, target, body = (args + ["{}"])[:3]
    if body.startswith("@"):
        with open(body[1:]) as f:
            body = f.read()
    if "--key" in opts:
        ak, _, rest = opts["--key"].partition(":")
        secret, _, token = rest.partition(":")
        creds = (ak, secret, token or None)
    else:
        creds = sigv4sign.creds_from_env()
    try:
        status, out = sigv4sign.post(
            url, target, body.encode(), creds, opts.get("--region"), opts.get("--service"),
            opts.get("--content-type"), float(opts.get("--skew", 0)),
            opts.get("--unsigned", False), opts.get("--tamper", False))
    except (OSError, ValueError) as e:
        print("awspost.py: %s: %s" % (url, e), file=sys.stderr)
        return 2
    print(status)
    print(out.decode())
    return 0 if 200 <= status < 300 else 1


if __name__ == "__main__":
    sys.exit(main())
