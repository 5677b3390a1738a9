"""awsjson.py: what sigv4proxy.py and ddbstreams.py share, the parts of a
loopback server for AWS's JSON protocol (POST /, X-Amz-Target, SigV4):

  Handler        http.server handler: reads the body (Content-Length or
                 chunked, at most 16 MiB), checks the signature with
                 sigv4check, applies injected faults, logs one line per
                 request, answers errors the AWS way, and serves the
                 unsigned control channel POST /_control. A subclass sets
                 SERVICE (the SigV4 signing name), may set INTERNAL (the
                 code of a 500), RATE_FAULT and error_type() (how __type
                 is written), and implements describe(), call() and
                 control_op().
  Faults         the fault table, armed by control commands or a file.
  Stats          call counts per operation and per shard.
  server_args()  the command-line options both servers take.
  serve()        bind 127.0.0.1, write the port file, serve until killed.

Log lines (--log FILE), one per request, space-separated:

  TIME METHOD OP VERDICT STATUS SHARD STREAM ACCESS-KEY

TIME is epoch seconds with milliseconds; OP the X-Amz-Target operation
(or _control.CMD); VERDICT "ok", a sigv4check verdict (bad-signature,
unknown-key, ...), "fault-KIND" for an injected fault, or "error" when the
call itself failed; "-" stands for an unknown SHARD, STREAM or key.
Example: 1764090000.123 POST GetRecords ok 200 shardId-000000000000 s AKIDTEST

Faults: a rule "TARGET KIND COUNT" answers the next COUNT calls of the
operation TARGET ("*" for any) with KIND instead of doing them:

  throttle   400 ProvisionedThroughputExceededException
  limit      400 LimitExceededException
  expire     400 ExpiredIteratorException
  trimmed    400 TrimmedDataAccessException
  notfound   400 ResourceNotFoundException
  5NN        that status, InternalFailure (500) or ServiceUnavailable
  drop       close the connection without an answer
  hang       answer nothing for 30 s, then close

Rules come from control commands ({"op":"fault","target":"GetRecords",
"error":"throttle","count":3}; {"op":"fault","clear":true} drops them all)
or from the file given with --faults, one rule a line, "#" comments: the
file is read again whenever it changes, and its rules then replace the
ones it gave before. Control rules are used before file rules. Injected
faults come after the signature check, as AWS authenticates first.

--getrecords-rate N answers a shard's GetRecords with RATE_FAULT (throttle
for Kinesis, limit for DynamoDB Streams) while N or more calls were made
on that shard within the last second (AWS: 5 a second a shard).

Control commands shared by both servers (POST /_control, JSON in and out):
  {"op":"fault", ...}          see above; answers {"rules":[...]}
  {"op":"stats"}               {"calls":{OP:N}, "verdicts":{V:N},
                                "shards":{SHARD:{OP:{"calls":N,"max_1s":M}}}}
                               max_1s is the most calls of OP on SHARD
                               within any one second; "reset":true zeroes
                               the counts after answering. Control commands
                               are logged but not counted.
"""
import argparse
import collections
import json
import os
import sys
import threading
import time
import http.server

import sigv4check

MAX_BODY = 16 << 20
FAULTS = {
    "throttle": (400, "ProvisionedThroughputExceededException", "Rate exceeded for shard."),
    "limit": (400, "LimitExceededException", "Too many requests for this shard."),
    "expire": (400, "ExpiredIteratorException", "Iterator expired."),
    "trimmed": (400, "TrimmedDataAccessException",
                "The operation attempted to read past the oldest stream record in a shard."),
    "notfound": (400, "ResourceNotFoundException", "Requested resource not found."),
}
HANG_SECONDS = 30


def fault_kind(kind):
    """Check a fault kind; return it, or raise ValueError."""
    if kind in FAULTS or kind in ("drop", "hang") or (
            len(kind) == 3 and kind.isdigit() and kind[0] == "5"):
        return kind
    raise ValueError("unknown fault %r" % kind)


class Faults:
    """Rules [target, kind, remaining]; take(op) uses one up."""

    def __init__(self, path=None):
        self.path = path
        self.stamp = None
        self.file_rules = []
        self.ctl_rules = []
        self.lock = threading.Lock()

    def arm(self, target, kind, count):
        with self.lock:
            self.ctl_rules.append([target, fault_kind(kind), int(count)])

    def clear(self):
        with self.lock:
            self.ctl_rules = []

    def rules(self):
        with self.lock:
            return [r[:] for r in self.ctl_rules + self.file_rules if r[2] > 0]

    def _reload(self):
        try:
            st = os.stat(self.path)
        except OSError:
            return
        stamp = (st.st_mtime_ns, st.st_ino, st.st_size)
        if stamp == self.stamp:
            return
        self.stamp = stamp
        rules = []
        with open(self.path) as f:
            for n, line in enumerate(f, 1):
                words = line.split("#", 1)[0].split()
                if not words:
                    continue
                try:
                    target, kind, count = words
                    rules.append([target, fault_kind(kind), int(count)])
                except ValueError:
                    print("faults: %s:%d: want TARGET KIND COUNT" % (self.path, n),
                          file=sys.stderr)
        self.file_rules = rules

    def take(self, op):
        """The fault kind to answer this call of op with, or None."""
        with self.lock:
            if self.path:
                self._reload()
            for rule in self.ctl_rules + self.file_rules:
                if rule[2] > 0 and rule[0] in (op, "*"):
                    rule[2] -= 1
                    return rule[1]
        return None


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        self.calls = collections.Counter()
        self.verdicts = collections.Counter()
        self.times = collections.defaultdict(list)

    def note(self, op, verdict, shard):
        with self.lock:
            self.calls[op] += 1
            self.verdicts[verdict] += 1
            if shard != "-":
                self.times[shard, op].append(time.monotonic())

    def recent(self, shard, op):
        """Calls of op on shard within the last second."""
        with self.lock:
            ts = self.times.get((shard, op), ())
            now = time.monotonic()
            return sum(1 for t in ts[-100:] if now - t < 1.0)

    def snapshot(self, reset=False):
        with self.lock:
            shards = {}
            for (shard, op), ts in self.times.items():
                most, lo = 0, 0
                for hi, t in enumerate(ts):
                    while t - ts[lo] >= 1.0:
                        lo += 1
                    most = max(most, hi - lo + 1)
                shards.setdefault(shard, {})[op] = {"calls": len(ts), "max_1s": most}
            out = {"calls": dict(self.calls), "verdicts": dict(self.verdicts),
                   "shards": shards}
            if reset:
                self.reset()
            return out


class CallError(Exception):
    """An AWS error answer: raise CallError(code, message[, status])."""

    def __init__(self, code, message, status=400):
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "ddblake-test"
    sys_version = ""
    SERVICE = None          # SigV4 signing name, set by the subclass
    INTERNAL = "InternalFailure"    # the error code of a 500
    RATE_FAULT = "throttle"         # what --getrecords-rate answers with
    cfg = None              # argparse namespace, set by serve()
    keys = {}
    faults = None
    stats = None
    log_lock = threading.Lock()

    def log_message(self, *a):
        pass

    # What __type says for an error code; AWS prefixes some with a namespace.
    def error_type(self, code):
        return code

    def read_body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            parts, size = [], 0
            while True:
                n = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if n == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(parts)
                size += n
                if size > MAX_BODY:
                    raise CallError("SerializationException", "request too large", 413)
                parts.append(self.rfile.read(n))
                self.rfile.readline()
        n = int(self.headers.get("Content-Length") or 0)
        if n > MAX_BODY:
            self.close_connection = True
            raise CallError("SerializationException", "request too large", 413)
        return self.rfile.read(n)

    def send_raw(self, status, body, headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def send_json(self, status, obj, ctype="application/x-amz-json-1.1"):
        self.send_raw(status, json.dumps(obj, separators=(",", ":")).encode(),
                      [("Content-Type", ctype)])

    def send_error_json(self, err):
        body = json.dumps({"__type": self.error_type(err.code), "message": err.message},
                          separators=(",", ":"))
        self.send_raw(err.status, body.encode(), [
            ("Content-Type", self.headers.get("Content-Type") or "application/x-amz-json-1.1"),
            ("x-amzn-ErrorType", err.code),
            ("x-amzn-RequestId", "%032x" % int.from_bytes(os.urandom(16), "big")),
        ])

    def log_call(self, op, verdict, status, ak="-"):
        stream, shard = (w or "-" for w in self.where)
        if not op.startswith("_control."):
            self.stats.note(op, verdict, shard)
        if not self.cfg.log:
            return
        line = "%.3f %s %s %s %s %s %s %s\n" % (
            time.time(), self.command, op, verdict, status, shard, stream, ak or "-")
        with self.log_lock, open(self.cfg.log, "a") as f:
            f.write(line)

    def do_GET(self):
        self.send_error_json(CallError("UnknownOperationException",
                                       "only POST is served", 404))

    def do_POST(self):
        try:
            body = self.read_body()
        except CallError as e:
            return self.send_error_json(e)
        if self.path == "/_control":
            self.where = ["-", "-"]
            return self.do_control(body)
        op = self.headers.get("X-Amz-Target", "").rpartition(".")[2] or "-"
        # call() may fill in what describe() could not know.
        self.where = list(self.describe(op, body))
        v = sigv4check.check(self.command, self.path, self.headers, body,
                             self.keys, self.SERVICE, self.cfg.region)
        if v.verdict != "ok":
            self.log_call(op, v.verdict, 400, v.access_key)
            return self.send_error_json(CallError(v.error, v.message))
        kind = self.faults.take(op)
        if not kind and op == "GetRecords" and self.cfg.getrecords_rate \
                and self.stats.recent(self.where[1], op) >= self.cfg.getrecords_rate:
            kind = self.RATE_FAULT
        if kind:
            status = kind if kind[0] == "5" else "-" if kind in ("drop", "hang") else 400
            self.log_call(op, "fault-" + kind, status, v.access_key)
            return self.send_fault(kind)
        try:
            status = self.call(op, body)
        except CallError as e:
            self.log_call(op, "error", e.status, v.access_key)
            return self.send_error_json(e)
        self.log_call(op, "ok", status, v.access_key)

    def send_fault(self, kind):
        if kind in ("drop", "hang"):
            if kind == "hang":
                time.sleep(HANG_SECONDS)
            self.close_connection = True
            return
        if kind in FAULTS:
            status, code, msg = FAULTS[kind]
        else:
            status = int(kind)
            code = self.INTERNAL if status == 500 else "ServiceUnavailable"
            msg = "injected fault"
        self.send_error_json(CallError(code, msg, status))

    def do_control(self, body):
        try:
            cmd = json.loads(body or b"{}")
            op = cmd.get("op")
            if op == "fault":
                if cmd.get("clear"):
                    self.faults.clear()
                if "error" in cmd:
                    self.faults.arm(cmd.get("target", "*"), str(cmd["error"]),
                                    cmd.get("count", 1))
                out = {"rules": self.faults.rules()}
            elif op == "stats":
                out = self.stats.snapshot(bool(cmd.get("reset")))
            else:
                out = self.control_op(cmd)
        except (ValueError, KeyError, TypeError, AttributeError) as e:
            self.send_json(400, {"error": "%s: %s" % (type(e).__name__, e)},
                           "application/json")
            return
        self.log_call("_control.%s" % op, "ok", 200)
        self.send_json(200, out, "application/json")

    # Subclass hooks.
    def describe(self, op, body):
        """(stream, shard) a call is about, for the log, before it runs;
        call() may correct self.where = [stream, shard] once it knows."""
        return "-", "-"

    def call(self, op, body):
        """Do one signed call and answer it; return the HTTP status sent,
        or raise CallError."""
        raise CallError("UnknownOperationException", "unknown operation")

    def control_op(self, cmd):
        raise ValueError("unknown control op %r" % cmd.get("op"))


def server_args(description):
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--portfile", required=True,
                    help="write the port chosen to this file (atomically)")
    ap.add_argument("--port", type=int, default=0, help="port (default: any free one)")
    ap.add_argument("--log", help="append one line per request to this file")
    ap.add_argument("--key", action="append", default=[], metavar="AK:SECRET[:TOKEN]",
                    help="credentials to accept (repeatable)")
    ap.add_argument("--region", help="the only region a signature may be scoped to")
    ap.add_argument("--faults", metavar="FILE", help="fault rules, read when it changes")
    ap.add_argument("--getrecords-rate", type=int, metavar="N",
                    help="throttle a shard's GetRecords beyond N a second")
    ap.add_argument("--watch-pid", type=int, metavar="PID",
                    help="exit when this process is gone")
    return ap


def _watch(pid):
    while True:
        time.sleep(0.5)
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            os._exit(0)
        except PermissionError:
            pass


def serve(handler, cfg):
    handler.cfg = cfg
    handler.keys = sigv4check.parse_keys(cfg.key)
    handler.faults = Faults(cfg.faults)
    handler.stats = Stats()
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", cfg.port), handler)
    srv.daemon_threads = True
    if cfg.watch_pid:
        threading.Thread(target=_watch, args=(cfg.watch_pid,), daemon=True).start()
    with open(cfg.portfile + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(cfg.portfile + ".tmp", cfg.portfile)
    srv.serve_forever()
