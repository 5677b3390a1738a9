"""sigv4sign.py: sign and send AWS JSON-protocol requests with the standard
library only: SigV4 in a few lines, a signer independent of the botocore
the test servers check with, and quick to start. Used by awspost.py,
kdsput.py and tests that need many calls in little time.

  creds_from_env()  -> (access key, secret, session token or None) from
                       AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
                       AWS_SESSION_TOKEN
  post(url, target, body, creds, region=None, service=None,
       content_type=None, skew=0, unsigned=False, tamper=False)
                    -> (HTTP status, answer bytes), for a POST / to
                       URL (http://HOST:PORT) with
                       X-Amz-Target TARGET and body BODY (bytes).
                       region defaults to $AWS_REGION, else us-east-1;
                       service and content type follow the target:
                       kinesis and JSON 1.1 for Kinesis_*, else dynamodb
                       and JSON 1.0. skew moves the signing clock by that
                       many seconds; tamper changes the body after signing.
                       Raises OSError when there is no answer.
"""
import hashlib
import hmac
import os
import socket
import time


def creds_from_env():
    return (os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"],
            os.environ.get("AWS_SESSION_TOKEN") or None)


def sign(headers, body, creds, region, service, now):
    """Add X-Amz-Date, the session token and Authorization to headers (a
    dict that has Host) for a POST / of body, signed at epoch time now;
    every header is signed."""
    ak, secret, token = creds
    amzdate = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now))
    headers["X-Amz-Date"] = amzdate
    if token:
        headers["X-Amz-Security-Token"] = token
    canon = sorted((k.lower(), " ".join(v.split())) for k, v in headers.items())
    signed = ";".join(k for k, _ in canon)
    creq = "\n".join(["POST", "/", ""] + ["%s:%s" % kv for kv in canon] +
                     ["", signed, hashlib.sha256(body).hexdigest()])
    scope = "%s/%s/%s/aws4_request" % (amzdate[:8], region, service)
    sts = "\n".join(["AWS4-HMAC-SHA256", amzdate, scope,
                     hashlib.sha256(creq.encode()).hexdigest()])
    key = ("AWS4" + secret).encode()
    for part in (amzdate[:8], region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    sig = hmac.new(key, sts.encode(), hashlib.sha256).hexdigest()
    headers["Authorization"] = "AWS4-HMAC-SHA256 Credential=%s/%s, " \
        "SignedHeaders=%s, Signature=%s" % (ak, scope, signed, sig)


def post(url, target, body, creds, region=None, service=None, content_type=None,
         skew=0, unsigned=False, tamper=False):
    kinesis = target.startswith("Kinesis_")
    netloc = url.split("://", 1)[-1].split("/", 1)[0]
    host, _, port = netloc.rpartition(":")
    headers = {
        "Host": netloc,
        "Content-Type": content_type or
        "application/x-amz-json-%s" % ("1.1" if kinesis else "1.0"),
        "X-Amz-Target": target,
    }
    if not unsigned:
        sign(headers, body, creds, region or os.environ.get("AWS_REGION", "us-east-1"),
             service or ("kinesis" if kinesis else "dynamodb"), time.time() + skew)
    if tamper:
        body = body.replace(b"}", b" }", 1)
    # Plain sockets rather than http.client, which takes longer to import
    # than the whole request takes to run.
    head = "".join("%s: %s\r\n" % kv for kv in headers.items())
    req = ("POST / HTTP/1.1\r\n%sContent-Length: %d\r\nConnection: close\r\n\r\n"
           % (head, len(body))).encode() + body
    with socket.create_connection((host, int(port)), timeout=60) as conn:
        conn.sendall(req)
        parts = []
        while True:
            part = conn.recv(1 << 20)
            if not part:
                break
            parts.append(part)
    head, sep, rest = b"".join(parts).partition(b"\r\n\r\n")
    if not sep:
        raise OSError("no answer")
    if b"\r\ntransfer-encoding: chunked" in head.lower():
        rest = dechunk(rest)
    return int(head.split(b" ", 2)[1]), rest


def dechunk(data):
    out = []
    while True:
        size, _, data = data.partition(b"\r\n")
        n = int(size.split(b";")[0], 16)
        if n == 0:
            return b"".join(out)
        out.append(data[:n])
        data = data[n + 2:]
