#!/usr/bin/python3
"""sigv4proxy.py: a loopback reverse proxy that lets through only requests
whose AWS Signature Version 4 is right, for a server that checks none
(kinesalite accepts any signature). Needs botocore: run it with Debian's
/usr/bin/python3.

  sigv4proxy.py --upstream http://127.0.0.1:PORT | --upstream-portfile FILE
                --portfile FILE --key AK:SECRET[:TOKEN] [--key ...]
                [--service kinesis]
                [--region REGION] [--log FILE] [--faults FILE]
                [--iterator-ttl SECONDS] [--watch-pid PID] [--port N]

Each POST / is checked by sigv4check (see there: botocore recomputes the
signature over the headers named in SignedHeaders, the method, path, query
and the SHA-256 of the body, with the request's own X-Amz-Date and the
region and service of its credential scope). The scope's service must be
--service (default kinesis), its region --region when given, X-Amz-Date
within 15 minutes of now, the key one of --key, and a session token sent
as X-Amz-Security-Token exactly when the key has one. A request that fails
is answered 400 with a Kinesis-style body and header, and never reaches
the upstream:

  {"__type":"InvalidSignatureException","message":"..."}
  x-amzn-ErrorType: InvalidSignatureException
  (or UnrecognizedClientException, MissingAuthenticationTokenException,
  IncompleteSignatureException)

A good request goes to --upstream unchanged (bodies up to 16 MiB) and its
answer comes back unchanged. With --upstream-portfile the upstream is
127.0.0.1 at the port written in FILE, read at the first call, so that the
proxy and its upstream can start side by side. Every request is logged to --log as awsjson
describes: "TIME METHOD OP VERDICT STATUS SHARD STREAM ACCESS-KEY", where
VERDICT is the proxy's (ok, bad-signature, fault-throttle, ...) and STATUS
what the client got, the upstream's own errors included. The proxy learns
which shard an iterator belongs to from the GetShardIterator and GetRecords
answers, so GetRecords lines and the per-shard stats name their shard.
Shard ids repeat across Kinesis streams; the STREAM column tells them
apart, the stats do not.

--faults FILE and POST /_control {"op":"fault",...} inject errors before
forwarding (see awsjson: e.g. the line "GetRecords throttle 3" answers the
next three GetRecords with ProvisionedThroughputExceededException).
ListShards with a NextToken is answered here, because kinesalite (which
never hands one out) crashes on it: with StreamName, StreamARN,
ExclusiveStartShardId or ShardFilter too, InvalidArgumentException "NextToken
and X cannot be provided together." as AWS answers; alone,
ExpiredNextTokenException.

--iterator-ttl SECONDS answers GetRecords with ExpiredIteratorException
when the iterator was handed out more than SECONDS ago (Kinesis: 300;
kinesalite applies its own 300 s as well).

Binds 127.0.0.1 only, on a free port it writes to --portfile.
"""
import collections
import http.client
import json
import threading
import time
import urllib.parse

import awsjson
from awsjson import CallError

HOP = {"connection", "keep-alive", "proxy-connection", "proxy-authorization",
       "te", "trailer", "transfer-encoding", "upgrade", "expect",
       "content-length", "date", "server"}
# Operations whose bodies are small enough to read for the log.
DESCRIBED = {"GetRecords", "GetShardIterator", "ListShards", "DescribeStream",
             "DescribeStreamSummary", "SplitShard", "MergeShards", "CreateStream",
             "DeleteStream", "UpdateShardCount"}
MAX_ITERATORS = 100000


class Proxy(awsjson.Handler):
    upstream = None
    iterators = collections.OrderedDict()   # iterator -> (stream, shard, issued)
    it_lock = threading.Lock()

    def describe(self, op, body):
        self.issued = None
        if op not in DESCRIBED:
            return "-", "-"
        try:
            req = json.loads(body)
        except ValueError:
            return "-", "-"
        if op == "GetRecords":
            with self.it_lock:
                known = self.iterators.get(req.get("ShardIterator"))
            if not known:
                return "-", "-"
            self.issued = known[2]
            return known[0], known[1]
        stream = req.get("StreamName") or str(req.get("StreamARN", "-")).rpartition("/")[2]
        return stream, req.get("ShardId") or req.get("ShardToSplit") or "-"

    def remember(self, iterator, stream, shard):
        if not iterator:
            return
        with self.it_lock:
            self.iterators[iterator] = (stream, shard, time.monotonic())
            while len(self.iterators) > MAX_ITERATORS:
                self.iterators.popitem(last=False)

    def check_list_shards(self, body):
        """kinesalite dies on a ListShards with NextToken (it never hands
        one out); answer that here. With a stream or filter too, AWS says
        InvalidArgumentException, and so does this."""
        try:
            req = json.loads(body)
        except ValueError:
            return
        if not isinstance(req, dict) or "NextToken" not in req:
            return
        for name in ("StreamName", "StreamARN", "ExclusiveStartShardId", "ShardFilter",
                     "StreamCreationTimestamp"):
            if name in req:
                raise CallError("InvalidArgumentException",
                                "NextToken and %s cannot be provided together." % name)
        raise CallError("ExpiredNextTokenException",
                        "sigv4proxy: kinesalite hands out no NextToken (it lists every "
                        "shard at once) and would crash on this one")

    @classmethod
    def upstream_address(cls):
        if cls.upstream is None:
            with open(cls.cfg.upstream_portfile) as f:
                cls.upstream = ("127.0.0.1", int(f.read()))
        return cls.upstream

    def call(self, op, body):
        ttl = self.cfg.iterator_ttl
        if op == "GetRecords" and ttl is not None and self.issued is not None \
                and time.monotonic() - self.issued > ttl:
            raise CallError("ExpiredIteratorException",
                            "Iterator expired. The iterator was created %.0f ms ago, "
                            "more than the tolerated delay of %.0f ms."
                            % ((time.monotonic() - self.issued) * 1000, ttl * 1000))
        if op == "ListShards":
            self.check_list_shards(body)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP}
        try:
            conn = http.client.HTTPConnection(*self.upstream_address(), timeout=60)
            conn.request(self.command, self.path, body, headers)
            resp = conn.getresponse()
            data = resp.read()
            conn.close()
        except (OSError, ValueError, http.client.HTTPException) as e:
            raise CallError("InternalFailure", "upstream: %s" % e, 502)
        if resp.status == 200 and op in ("GetShardIterator", "GetRecords"):
            try:
                out = json.loads(data)
                self.remember(out.get("ShardIterator") or out.get("NextShardIterator"),
                              *self.where)
            except ValueError:
                pass    # CBOR: the shard stays unknown
        self.send_raw(resp.status, data,
                      [(k, v) for k, v in resp.getheaders() if k.lower() not in HOP])
        return resp.status


def main():
    ap = awsjson.server_args("SigV4-verifying reverse proxy")
    up = ap.add_mutually_exclusive_group(required=True)
    up.add_argument("--upstream", help="http://127.0.0.1:PORT")
    up.add_argument("--upstream-portfile", metavar="FILE",
                    help="127.0.0.1 and the port in FILE, read at the first call")
    ap.add_argument("--service", default="kinesis", help="SigV4 signing name")
    ap.add_argument("--iterator-ttl", type=float, metavar="SECONDS")
    cfg = ap.parse_args()
    Proxy.SERVICE = cfg.service
    if cfg.upstream:
        u = urllib.parse.urlsplit(cfg.upstream)
        Proxy.upstream = (u.hostname, u.port)
    awsjson.serve(Proxy, cfg)


if __name__ == "__main__":
    main()
