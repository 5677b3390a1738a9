#!/usr/bin/env python3
"""credsrv.py: minimal responders for the two AWS credential endpoints that
cannot be installed locally, following AWS's documented protocols.

  credsrv.py imds|ecs PORTFILE LOG [--expire-in SECONDS] [--token TOKEN]
             [--hang]

imds: EC2 instance metadata, IMDSv2. PUT /latest/api/token needs the
  X-aws-ec2-metadata-token-ttl-seconds header (1..21600, else 400) and returns
  a session token; every GET needs X-aws-ec2-metadata-token with that token,
  else 401. GET /latest/meta-data/iam/security-credentials/ lists the role,
  GET .../ROLE returns {"Code": "Success", AccessKeyId, SecretAccessKey,
  Token, Expiration, ...}.
ecs: the container credentials endpoint. GET on any path returns
  {AccessKeyId, SecretAccessKey, Token, Expiration, RoleArn}; with --token,
  the Authorization header must equal TOKEN, else 401.

Every credentials response hands out new keys (ASIATEST0000000N, secret
"secret-N"), valid for --expire-in seconds (default 3600), so a test sees
whether the client fetched again. --hang accepts connections and never
answers. Binds 127.0.0.1 on a free port and writes the port to PORTFILE;
each request is logged to LOG as "METHOD PATH token=yes|no".
"""
import datetime
import http.server
import json
import sys
import threading
import time

mode, portfile, logfile = sys.argv[1:4]
opts = sys.argv[4:]
expire_in = int(opts[opts.index("--expire-in") + 1]) if "--expire-in" in opts else 3600
want_auth = opts[opts.index("--token") + 1] if "--token" in opts else None
hang = "--hang" in opts
ROLE = "ddblake-test-role"
state = {"n": 0, "tokens": set()}
lock = threading.Lock()


def creds():
    with lock:
        state["n"] += 1
        n = state["n"]
    exp = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=expire_in)
    return {
        "AccessKeyId": "ASIATEST%08d" % n,
        "SecretAccessKey": "secret-%d" % n,
        "Token": "token-%d" % n,
        "Expiration": exp.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def send(self, code, body, ctype="text/plain"):
        b = body.encode()
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(b)))
        self.end_headers()
        self.wfile.write(b)

    def log(self):
        tok = self.headers.get("X-aws-ec2-metadata-token") or self.headers.get("Authorization")
        with lock, open(logfile, "a") as f:
            f.write("%s %s token=%s\n" % (self.command, self.path, "yes" if tok else "no"))

    def do_PUT(self):
        self.log()
        if hang:
            time.sleep(30)
            return
        if mode != "imds" or self.path != "/latest/api/token":
            return self.send(404, "not found")
        ttl = self.headers.get("X-aws-ec2-metadata-token-ttl-seconds", "")
        if not ttl.isdigit() or not 1 <= int(ttl) <= 21600:
            return self.send(400, "missing or invalid ttl")
        tok = "imds-token-%d" % len(state["tokens"])
        with lock:
            state["tokens"].add(tok)
        self.send(200, tok)

    def do_GET(self):
        self.log()
        if hang:
            time.sleep(30)
            return
        if mode == "ecs":
            if want_auth is not None and self.headers.get("Authorization") != want_auth:
                return self.send(401, "unauthorized")
            c = creds()
            c["RoleArn"] = "arn:aws:iam::123456789012:role/" + ROLE
            return self.send(200, json.dumps(c), "application/json")
        if self.headers.get("X-aws-ec2-metadata-token") not in state["tokens"]:
            return self.send(401, "")
        base = "/latest/meta-data/iam/security-credentials/"
        if self.path == base:
            return self.send(200, ROLE)
        if self.path == base + ROLE:
            c = creds()
            c.update({"Code": "Success", "Type": "AWS-HMAC",
                      "LastUpdated": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())})
            return self.send(200, json.dumps(c), "text/plain")
        self.send(404, "not found")


srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
srv.daemon_threads = True
with open(portfile + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
import os
os.rename(portfile + ".tmp", portfile)
srv.serve_forever()
