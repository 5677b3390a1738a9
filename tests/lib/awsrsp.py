#!/usr/bin/python3
"""awsrsp.py: minimal responders for AWS APIs that cannot be installed here
(STS web identity, the SSO portal, the Lambda Runtime API), following AWS's
documented protocols. Standard library only.

  awsrsp.py sts PORTFILE LOG [--token T]... [--expire-in S] [--deny]
  awsrsp.py sso PORTFILE LOG [--token T]... [--expire-in S] [--role R]
            [--account A]
  awsrsp.py lambda PORTFILE LOG --events PATH --out DIR [--timeout-ms MS]
            [--twice N] [--retry-errors N] [--when-empty block|exit|500]
            [--function-arn ARN]

sts: the STS query API (2011-06-15): POST / (or GET) with Action, Version
  and the parameters as a form. AssumeRoleWithWebIdentity is unsigned (an
  Authorization header is neither needed nor checked): RoleArn,
  RoleSessionName and WebIdentityToken are required; with --token (may be
  repeated) a token not listed gets 400 InvalidIdentityToken. AssumeRole
  must carry an Authorization header (403 MissingAuthenticationToken
  otherwise); its signature is not verified, its scope is logged. --deny
  answers either action 403 AccessDenied. Errors are the documented
  <ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/>;
  missing or invalid parameters get MissingAction, InvalidAction,
  NoSuchVersion, MissingParameter or ValidationError (400).
sso: the SSO portal's GetRoleCredentials: GET /federation/credentials
  ?role_name=R&account_id=A with header x-amz-sso_bearer_token (unsigned).
  A missing token, or one not given with --token, gets 401
  UnauthorizedException; a role or account other than --role/--account 403
  ForbiddenException. 200 {"roleCredentials": {accessKeyId,
  secretAccessKey, sessionToken, expiration (epoch milliseconds)}}.
lambda: the Lambda Runtime API at /2018-06-01. The events come from PATH:
  a directory (each file one event, in name order) or a file (each
  non-empty line one event). GET /runtime/invocation/next hands out the
  next one with Lambda-Runtime-Aws-Request-Id (00000000-0000-4000-8000-
  00000000000N for the Nth hand-out), -Deadline-Ms (now + --timeout-ms,
  default 3000), -Invoked-Function-Arn and -Trace-Id. --twice N hands event
  N out twice in a row, under two request ids (a retried invocation);
  --retry-errors N hands an event whose invocation got /error out again, up
  to N more times. When nothing is left, /next blocks (as Lambda's does:
  stop the runtime by PID), or with --when-empty exit the responder exits
  at once, closing that connection, or with --when-empty 500 it answers 500
  InternalServerError ("the runtime should exit").
  POST /runtime/invocation/ID/response and .../ID/error: 202
  {"status":"OK"}; an ID never handed out 400 InvalidRequestID; an ID
  already answered 403 InvalidStateTransition; a body over 6 MiB 413
  RequestEntityTooLarge (the invocation then counts as answered, as in
  Lambda). POST /runtime/init/error: 202. Each accepted answer is written
  to DIR as ID.response, ID.error or init-error: the request line, its
  headers, an empty line and the body.

Every granted sts or sso request gets new keys (ASIATEST0000000N,
secret-N, token-N), valid for --expire-in seconds (default 3600). Binds 127.0.0.1 on a free
port and writes it to PORTFILE. LOG gets one line per request, key=value:
  sts:    ACTION role=ARN session=NAME web_token=T|- auth=yes|no
          signed=REGION/SERVICE|- session_token=yes|no status=N [code=C]
  sso:    GetRoleCredentials role=R account=A bearer=T|- status=N
  lambda: next ID event=NAME deadline_ms=D
          response|error ID status=N [type=T] bytes=N [ms_left=M]
          (M = deadline minus arrival: negative means too late; absent
          for an ID never handed out)
          init-error status=202 type=T bytes=N
          next empty: block|exit|500
Test tokens are logged as they come so a test can see which one was sent.
"""
import argparse
import datetime
import http.server
import json
import os
import re
import threading
import time
import urllib.parse
import uuid
from xml.sax.saxutils import escape

p = argparse.ArgumentParser(prog="awsrsp.py")
p.add_argument("mode", choices=["sts", "sso", "lambda"])
p.add_argument("portfile")
p.add_argument("log")
p.add_argument("--token", action="append")
p.add_argument("--expire-in", type=int, default=3600)
p.add_argument("--deny", action="store_true")
p.add_argument("--role")
p.add_argument("--account")
p.add_argument("--events")
p.add_argument("--out")
p.add_argument("--timeout-ms", type=int, default=3000)
p.add_argument("--twice", type=int, default=0)
p.add_argument("--retry-errors", type=int, default=0)
p.add_argument("--when-empty", choices=["block", "exit", "500"], default="block")
p.add_argument("--function-arn",
               default="arn:aws:lambda:us-east-1:123456789012:function:ddblake-test")
opt = p.parse_args()
if opt.mode == "lambda" and not (opt.events and opt.out):
    p.error("lambda needs --events PATH and --out DIR")

lock = threading.Lock()
issued = [0]
MAX_PAYLOAD = 6 * 1024 * 1024


def js(obj):
    return json.dumps(obj, separators=(",", ":"))


def log(line):
    with lock, open(opt.log, "a") as f:
        f.write(line + "\n")


def new_creds():
    """Fresh keys and their expiry as an aware datetime."""
    with lock:
        issued[0] += 1
        n = issued[0]
    exp = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0) + \
        datetime.timedelta(seconds=opt.expire_in)
    return "ASIATEST%08d" % n, "secret-%d" % n, "token-%d" % n, exp


def token_ok(tok):
    return bool(tok) and (opt.token is None or tok in opt.token)


# --- sts ---------------------------------------------------------------

SESSION_NAME = re.compile(r"[\w+=,.@-]{2,64}\Z")
STS_REQUIRED = {
    "AssumeRole": ("RoleArn", "RoleSessionName"),
    "AssumeRoleWithWebIdentity": ("RoleArn", "RoleSessionName", "WebIdentityToken"),
}


def sts_check(q, auth):
    """None, or (status, code, message) for a request STS refuses."""
    action = q.get("Action")
    if not action:
        return 400, "MissingAction", "Request is missing Action"
    if action not in STS_REQUIRED:
        return 400, "InvalidAction", "Could not find operation %s for version %s" % (
            action, q.get("Version", "NO_VERSION_SPECIFIED"))
    if q.get("Version") != "2011-06-15":
        return 400, "NoSuchVersion", "Could not find version %s" % q.get("Version", "")
    for k in STS_REQUIRED[action]:
        if not q.get(k):
            return 400, "MissingParameter", "The request must contain the parameter %s" % k
    if not SESSION_NAME.match(q["RoleSessionName"]):
        return 400, "ValidationError", "1 validation error detected: Value at " \
            "'roleSessionName' failed to satisfy constraint: Member must satisfy " \
            "regular expression pattern: [\\w+=,.@-]*"
    d = q.get("DurationSeconds")
    if d is not None and not (d.isdigit() and 900 <= int(d) <= 43200):
        return 400, "ValidationError", "1 validation error detected: Value '%s' at " \
            "'durationSeconds' failed to satisfy constraint: Member must have value " \
            "between 900 and 43200" % d
    if action == "AssumeRole" and not auth:
        return 403, "MissingAuthenticationToken", "Request is missing Authentication Token"
    if action == "AssumeRoleWithWebIdentity":
        if len(q["WebIdentityToken"]) > 20000 or not token_ok(q["WebIdentityToken"]):
            return 400, "InvalidIdentityToken", "The web identity token that was " \
                "passed could not be validated by AWS. Get a new identity token from " \
                "the identity provider and then retry the request."
    if opt.deny:
        return 403, "AccessDenied", "Not authorized to perform sts:%s on %s" % (
            action, q["RoleArn"])
    return None


def sts_answer(q):
    action = q["Action"]
    ak, sk, tok, exp = new_creds()
    role = q["RoleArn"].rsplit("/", 1)[-1]
    extra = ""
    if action == "AssumeRoleWithWebIdentity":
        extra = ("<SubjectFromWebIdentityToken>ddblake-test-subject"
                 "</SubjectFromWebIdentityToken><Audience>ddblake-test</Audience>"
                 "<Provider>127.0.0.1</Provider>")
    return (
        '<%sResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><%sResult>'
        "<Credentials><AccessKeyId>%s</AccessKeyId><SecretAccessKey>%s</SecretAccessKey>"
        "<SessionToken>%s</SessionToken><Expiration>%s</Expiration></Credentials>"
        "<AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/%s/%s</Arn>"
        "<AssumedRoleId>AROATEST00000000:%s</AssumedRoleId></AssumedRoleUser>%s"
        "</%sResult><ResponseMetadata><RequestId>%s</RequestId></ResponseMetadata>"
        "</%sResponse>" % (
            action, action, ak, escape(sk), escape(tok),
            exp.strftime("%Y-%m-%dT%H:%M:%SZ"), escape(role),
            escape(q["RoleSessionName"]), escape(q["RoleSessionName"]), extra,
            action, uuid.uuid4(), action))


# --- lambda ------------------------------------------------------------

def load_events(path):
    """[(name, bytes)] from a directory of files or the lines of a file."""
    if os.path.isdir(path):
        names = sorted(n for n in os.listdir(path)
                       if os.path.isfile(os.path.join(path, n)))
        return [(n, open(os.path.join(path, n), "rb").read()) for n in names]
    with open(path, "rb") as f:
        lines = [ln.rstrip(b"\r\n") for ln in f]
    base = os.path.basename(path)
    return [("%s:%d" % (base, i), ln) for i, ln in enumerate(lines, 1) if ln.strip()]


class Invocations:
    """The event queue and the state of every request id handed out."""

    def __init__(self, events):
        self.queue = list(events)
        if 0 < opt.twice <= len(self.queue):
            self.queue.insert(opt.twice, self.queue[opt.twice - 1])
        self.cond = threading.Condition()
        self.n = 0
        self.inv = {}  # id -> {"event", "name", "deadline", "answered", "tries"}

    def next(self):
        """(id, invocation), or None when empty and not blocking."""
        with self.cond:
            while not self.queue:
                if opt.when_empty != "block":
                    return None
                self.cond.wait()
            ev = self.queue.pop(0)
            self.n += 1
            rid = "00000000-0000-4000-8000-%012d" % self.n
            tries = ev[2] if len(ev) > 2 else 0
            inv = {"name": ev[0], "event": ev[1], "answered": False, "tries": tries,
                   "deadline": int(time.time() * 1000) + opt.timeout_ms}
            self.inv[rid] = inv
            return rid, inv

    def answer(self, rid, kind):
        """None if rid may be answered now (and marks it), else the error."""
        with self.cond:
            inv = self.inv.get(rid)
            if inv is None:
                return 400, "InvalidRequestID", "Invalid request ID"
            if inv["answered"]:
                return 403, "InvalidStateTransition", \
                    "State transition from InvocationResponse to %s failed for " \
                    "runtime. Error: invocation %s was already answered" % (kind, rid)
            inv["answered"] = True
            if kind == "error" and inv["tries"] < opt.retry_errors:
                self.queue.append((inv["name"], inv["event"], inv["tries"] + 1))
                self.cond.notify_all()
            return None


# --- HTTP --------------------------------------------------------------

class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def send(self, code, body, ctype="application/json", headers=()):
        b = body if isinstance(body, bytes) else body.encode()
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(b)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(b)

    def body(self, limit=None):
        """The request body (Content-Length or chunked) and its size; past
        limit, the bytes are read and counted but not kept."""
        data, size = bytearray(), 0

        def take(n):
            nonlocal size
            while n > 0:
                chunk = self.rfile.read(min(n, 65536))
                if not chunk:
                    break
                size += len(chunk)
                n -= len(chunk)
                if limit is None or size <= limit:
                    data.extend(chunk)
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            while True:
                n = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if n == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                take(n)
                self.rfile.readline()
        else:
            take(int(self.headers.get("Content-Length") or 0))
        return bytes(data), size

    def do_GET(self):
        self.route()

    def do_POST(self):
        self.route()

    def route(self):
        u = urllib.parse.urlsplit(self.path)
        if opt.mode == "sts" and u.path == "/":
            return self.sts(u.query)
        if opt.mode == "sso" and u.path == "/federation/credentials" and self.command == "GET":
            return self.sso(u.query)
        if opt.mode == "lambda" and u.path.startswith("/2018-06-01/runtime/"):
            return self.runtime(u.path[len("/2018-06-01/runtime/"):])
        self.body()
        self.send(404, js({"message": "not found: %s %s" % (self.command, u.path)}))

    def sts(self, query):
        form = query
        if self.command == "POST":
            form = self.body()[0].decode("utf-8", "replace")
        q = dict(urllib.parse.parse_qsl(form, keep_blank_values=True))
        auth = self.headers.get("Authorization", "")
        scope = re.search(r"Credential=[^/,]+/\d{8}/([^/,]+)/([^/,]+)/", auth)
        err = sts_check(q, auth)
        line = "%s role=%s session=%s web_token=%s auth=%s signed=%s session_token=%s" % (
            q.get("Action", "-"), q.get("RoleArn", "-"), q.get("RoleSessionName", "-"),
            q.get("WebIdentityToken", "-"), "yes" if auth else "no",
            "%s/%s" % scope.groups() if scope else "-",
            "yes" if self.headers.get("X-Amz-Security-Token") else "no")
        if err:
            code, name, msg = err
            log("%s status=%d code=%s" % (line, code, name))
            return self.send(code, (
                '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
                "<Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error>"
                "<RequestId>%s</RequestId></ErrorResponse>" % (
                    name, escape(msg), uuid.uuid4())), "text/xml")
        log("%s status=200" % line)
        self.send(200, sts_answer(q), "text/xml")

    def sso(self, query):
        self.body()
        q = dict(urllib.parse.parse_qsl(query))
        tok = self.headers.get("x-amz-sso_bearer_token")
        role, account = q.get("role_name"), q.get("account_id")
        if not token_ok(tok):
            code, body = 401, {"message": "Session token not found or invalid",
                               "__type": "UnauthorizedException"}
        elif not role or not account:
            code, body = 400, {"message": "role_name and account_id are required",
                               "__type": "InvalidRequestException"}
        elif role != (opt.role or role) or account != (opt.account or account):
            code, body = 403, {"message": "No access", "__type": "ForbiddenException"}
        else:
            ak, sk, st, exp = new_creds()
            code, body = 200, {"roleCredentials": {
                "accessKeyId": ak, "secretAccessKey": sk, "sessionToken": st,
                "expiration": int(exp.timestamp() * 1000)}}
        log("GetRoleCredentials role=%s account=%s bearer=%s status=%d" % (
            role or "-", account or "-", tok or "-", code))
        self.send(code, js(body))

    def runtime(self, path):
        if path == "invocation/next" and self.command == "GET":
            return self.next()
        m = re.fullmatch(r"invocation/([^/]+)/(response|error)", path)
        if self.command == "POST" and (m or path == "init/error"):
            return self.answer(*(m.groups() if m else (None, "init-error")))
        self.body()
        self.send(404, js({"errorMessage": "not found", "errorType": "NotFound"}))

    def next(self):
        got = invocations.next()
        if got is None:
            log("next empty: %s" % opt.when_empty)
            if opt.when_empty == "exit":
                os._exit(0)
            return self.send(500, js({"errorMessage": "Internal Server Error",
                                              "errorType": "InternalServerError"}))
        rid, inv = got
        log("next %s event=%s deadline_ms=%d" % (rid, inv["name"], inv["deadline"]))
        self.send(200, inv["event"], headers=(
            ("Lambda-Runtime-Aws-Request-Id", rid),
            ("Lambda-Runtime-Deadline-Ms", str(inv["deadline"])),
            ("Lambda-Runtime-Invoked-Function-Arn", opt.function_arn),
            ("Lambda-Runtime-Trace-Id", "Root=1-%08x-%024d;Parent=%016d;Sampled=0" % (
                int(time.time()), invocations.n, invocations.n))))

    def answer(self, rid, kind):
        arrived = int(time.time() * 1000)
        data, size = self.body(MAX_PAYLOAD)
        etype = self.headers.get("Lambda-Runtime-Function-Error-Type", "-")
        if rid is None:
            log("init-error status=202 type=%s bytes=%d" % (etype, size))
            self.record("init-error", data)
            return self.send(202, js({"status": "OK"}))
        err = invocations.answer(rid, kind)
        if err is None and size > MAX_PAYLOAD:
            err = (413, "RequestEntityTooLarge", "Exceeded maximum allowed payload "
                   "size (%d bytes)." % MAX_PAYLOAD)
        code = err[0] if err else 202
        inv = invocations.inv.get(rid)
        log("%s %s status=%d%s bytes=%d%s" % (
            kind, rid, code, " type=" + etype if kind == "error" else "", size,
            " ms_left=%d" % (inv["deadline"] - arrived) if inv else ""))
        if err:
            return self.send(code, js({"errorMessage": err[2], "errorType": err[1]}))
        self.record("%s.%s" % (rid, kind), data)
        self.send(202, js({"status": "OK"}))

    def record(self, name, data):
        head = "%s %s\n%s\n" % (self.command, self.path, "".join(
            "%s: %s\n" % kv for kv in self.headers.items()))
        with open(os.path.join(opt.out, name), "wb") as f:
            f.write(head.encode() + data)


if opt.mode == "lambda":
    os.makedirs(opt.out, exist_ok=True)
    invocations = Invocations(load_events(opt.events))
srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
srv.daemon_threads = True
with open(opt.portfile + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(opt.portfile + ".tmp", opt.portfile)
srv.serve_forever()
