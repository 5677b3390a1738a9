"""sigv4check.py: check an AWS Signature Version 4 Authorization header the
way AWS does, with botocore doing the canonicalisation and the HMAC. Used by
sigv4proxy.py and ddbstreams.py (run with Debian's /usr/bin/python3, which
has python3-botocore).

    check(method, path, headers, body, keys, service, region=None)
        -> Verdict(verdict, error, message, access_key)

path is the request target as received (path and query, still encoded);
headers an email.message.Message (what http.server gives), body the bytes
received. keys maps access key id -> (secret, session token or None), as
parse_keys() builds it from "AK:SECRET[:TOKEN]" strings.

The signature is recomputed over exactly the headers the client named in
SignedHeaders (botocore's own choice of headers is bypassed), the method,
the path, the sorted query and the SHA-256 of the body received, with the
client's X-Amz-Date and the credential scope's date, and compared with the
client's. verdict is "ok" or one word saying what was wrong; error is then
the AWS error code to answer with (every one is HTTP 400 in AWS's JSON
services):

  no-auth        MissingAuthenticationTokenException  no Authorization header
  incomplete     IncompleteSignatureException         malformed header, no
                                                      X-Amz-Date, host unsigned
  unknown-key    UnrecognizedClientException          access key not in keys
  bad-token      UnrecognizedClientException          session token missing,
                                                      unexpected or wrong
  bad-scope      InvalidSignatureException            scope's service, region
                                                      or date is wrong
  skewed         InvalidSignatureException            X-Amz-Date more than 15
                                                      minutes from now
  bad-body-hash  InvalidSignatureException            x-amz-content-sha256
                                                      is not the body's hash
  bad-signature  InvalidSignatureException            the signature differs

Messages follow AWS's wording where it is known. No secret is ever put in
a message.
"""
import collections
import datetime
import hashlib
import hmac
import re
import sys

# botocore tries the AWS CRT and pyOpenSSL at import and does without them
# when they are missing; signing needs neither, and skipping them halves
# the start-up time of every server.
sys.modules.setdefault("awscrt", None)
sys.modules.setdefault("OpenSSL", None)
from botocore.auth import SigV4Auth  # noqa: E402
from botocore.awsrequest import AWSRequest, HTTPHeaders  # noqa: E402
from botocore.credentials import Credentials  # noqa: E402

Verdict = collections.namedtuple("Verdict", "verdict error message access_key")
OK = Verdict("ok", None, None, None)
SKEW = datetime.timedelta(minutes=15)
AUTH_RE = re.compile(
    r"AWS4-HMAC-SHA256\s+Credential=([^,\s]+)\s*,\s*SignedHeaders=([^,\s]+)"
    r"\s*,\s*Signature=([0-9a-f]{64})\s*$")


def parse_keys(specs):
    """["AK:SECRET[:TOKEN]", ...] -> {AK: (SECRET, TOKEN or None)}."""
    keys = {}
    for spec in specs or ():
        ak, sep, rest = spec.partition(":")
        if not ak or not sep or not rest:
            raise ValueError("key %r is not AK:SECRET[:TOKEN]" % ak)
        secret, _, token = rest.partition(":")
        keys[ak] = (secret, token or None)
    return keys


class _Exact(SigV4Auth):
    """SigV4Auth that signs exactly the headers the client signed."""

    def __init__(self, creds, service, region, signed):
        super().__init__(creds, service, region)
        self._signed = signed

    def headers_to_sign(self, request):
        hm = HTTPHeaders()
        for name in self._signed:
            for value in request.headers.get_all(name) or ():
                hm[name] = value
        return hm


def _bad(verdict, error, message, ak=None):
    return Verdict(verdict, error, message, ak)


def check(method, path, headers, body, keys, service, region=None, now=None):
    """Verdict for one received request; see the module docstring."""
    auth = headers.get("Authorization")
    if not auth:
        return _bad("no-auth", "MissingAuthenticationTokenException",
                    "Missing Authentication Token")
    m = AUTH_RE.match(auth.strip())
    if not m:
        return _bad("incomplete", "IncompleteSignatureException",
                    "Authorization header requires 'Credential', 'Signature' "
                    "and 'SignedHeaders' parameters")
    cred, signed_str, sig = m.groups()
    parts = cred.split("/")
    ak = parts[0]
    if len(parts) != 5 or parts[4] != "aws4_request":
        return _bad("incomplete", "IncompleteSignatureException",
                    "Credential should have 5 parts: AK/date/region/service/aws4_request", ak)
    _, sdate, sregion, sservice, _ = parts
    amzdate = headers.get("X-Amz-Date")
    if not amzdate:
        return _bad("incomplete", "IncompleteSignatureException",
                    "Authorization header requires existence of either a "
                    "'X-Amz-Date' or a 'Date' header", ak)
    signed = signed_str.split(";")
    if "host" not in signed:
        return _bad("incomplete", "IncompleteSignatureException",
                    "'Host' must be a 'SignedHeader' in the AWS Authorization", ak)
    if signed != sorted(set(signed)) or any(n != n.lower() for n in signed):
        return _bad("incomplete", "IncompleteSignatureException",
                    "SignedHeaders must be lower case, sorted and unique", ak)
    if ak not in keys:
        return _bad("unknown-key", "UnrecognizedClientException",
                    "The security token included in the request is invalid.", ak)
    secret, token = keys[ak]
    if headers.get("X-Amz-Security-Token") != token:
        return _bad("bad-token", "UnrecognizedClientException",
                    "The security token included in the request is invalid.", ak)
    if sservice != service:
        return _bad("bad-scope", "InvalidSignatureException",
                    "Credential should be scoped to correct service: '%s'." % service, ak)
    if region is not None and sregion != region:
        return _bad("bad-scope", "InvalidSignatureException",
                    "Credential should be scoped to a valid region, not '%s'." % sregion, ak)
    try:
        when = datetime.datetime.strptime(amzdate, "%Y%m%dT%H%M%SZ")
    except ValueError:
        return _bad("incomplete", "IncompleteSignatureException",
                    "X-Amz-Date must be in ISO 8601 basic format: %s" % amzdate, ak)
    if sdate != amzdate[:8]:
        return _bad("bad-scope", "InvalidSignatureException",
                    "Date in Credential scope does not match YYYYMMDD from "
                    "ISO-8601 version of date from HTTP: '%s' != '%s'"
                    % (sdate, amzdate[:8]), ak)
    now = now or datetime.datetime.utcnow()
    if abs(now - when) > SKEW:
        fmt = "%Y%m%dT%H%M%SZ"
        return _bad("skewed", "InvalidSignatureException",
                    "Signature expired: %s is now earlier than %s (%s - 15 min.)"
                    % (amzdate, (now - SKEW).strftime(fmt), now.strftime(fmt))
                    if when < now else
                    "Signature not yet current: %s is still later than %s (%s + 15 min.)"
                    % (amzdate, (now + SKEW).strftime(fmt), now.strftime(fmt)), ak)
    claimed = headers.get("X-Amz-Content-SHA256")
    if claimed is not None and claimed != hashlib.sha256(body).hexdigest():
        return _bad("bad-body-hash", "InvalidSignatureException",
                    "The x-amz-content-sha256 header does not match the request body", ak)

    req = AWSRequest(method=method, url="http://%s%s" % (headers.get("Host", ""), path),
                     data=body)
    for name in signed:
        for value in headers.get_all(name) or ():
            req.headers[name] = value
    req.context["timestamp"] = amzdate
    signer = _Exact(Credentials(ak, secret, token), sservice, sregion, signed)
    creq = signer.canonical_request(req)
    want = signer.signature(signer.string_to_sign(req, creq), req)
    if not hmac.compare_digest(want, sig):
        return _bad("bad-signature", "InvalidSignatureException",
                    "The request signature we calculated does not match the "
                    "signature you provided. Check your AWS Secret Access Key "
                    "and signing method. Consult the service documentation for "
                    "details.", ak)
    return Verdict("ok", None, None, ak)
