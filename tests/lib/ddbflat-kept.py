#!/usr/bin/env python3
"""ddbflat-kept.py INPUT ROWS ERRORS [ID_REGEX]

Checks ddbflat's promise that nothing accepted is lost: every record id in
INPUT (default regex rec-[0-9]+) must be in ROWS (ddbflat's output) or in
the decoded rawData of ERRORS (its --errors file). Ids are looked for in
the raw bytes and inside every base64 string (Kinesis Data, Lambda
kinesis.data), decoded, so ids inside encoded records count too. INPUT may
be gzip. The rawData of all error records is decoded and joined in order,
as `jq -r .rawData errors.json | base64 -d` does, so a record kept in parts
is found whole.

Prints "N ids: R in rows, E in errors" and exits 0, or names the missing
ids and exits 1. Standard library only."""
import base64
import binascii
import gzip
import json
import re
import sys

B64 = re.compile(rb'"([A-Za-z0-9+/]{16,}={0,2})"')


def ids_in(data, rx):
    found = set(m.group(0).decode() for m in rx.finditer(data))
    for m in B64.finditer(data):
        try:
            inner = base64.b64decode(m.group(1), validate=True)
        except (binascii.Error, ValueError):
            continue
        found |= set(x.group(0).decode() for x in rx.finditer(inner))
    return found


def main():
    if len(sys.argv) not in (4, 5):
        sys.exit(__doc__.splitlines()[0])
    rx = re.compile((sys.argv[4] if len(sys.argv) == 5 else r"rec-[0-9]+")
                    .encode())
    data = open(sys.argv[1], "rb").read()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    want = ids_in(data, rx)
    if not want:
        sys.exit("no ids matching %s in %s" % (rx.pattern.decode(),
                                               sys.argv[1]))
    rows = ids_in(open(sys.argv[2], "rb").read(), rx)
    raw = b""
    with open(sys.argv[3], "rb") as f:
        for line in f:
            raw += base64.b64decode(json.loads(line)["rawData"])
    errs = ids_in(raw, rx)
    missing = sorted(want - rows - errs)
    if missing:
        print("lost: %s" % " ".join(missing))
        sys.exit(1)
    print("%d ids: %d in rows, %d in errors" % (
        len(want), len(want & rows), len(want & errs)))


main()
