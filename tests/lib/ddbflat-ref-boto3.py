#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""ddbflat-ref-boto3.py CORPUS ROWS: second opinion for ddbflat's
differential test, with boto3's TypeDeserializer (Debian python3-boto3).

ROWS is `ddbflat --no-meta --numbers=string` output for CORPUS (Kinesis-for-
DynamoDB records, one per line). Each image (INSERT/MODIFY: NewImage,
REMOVE: OldImage) is deserialised by boto3 and flattened by the contract
(non-empty maps into parent_child keys); each value is then checked against
ddbflat's: N as Decimal in boto3's 38-digit context (so a number ddbflat
printed must be a string equal in value; text equality is the Node
comparator's job), B as bytes (ddbflat's base64 decoded), sets compared as
sets, BOOL/NULL/S by type and value. B values are base64-decoded before
deserialising: TypeDeserializer wants bytes, stream JSON has base64 text.
Exit 0 when all rows agree, 1 at the first difference (described on
stderr), 2 on usage errors.
"""
import base64
import binascii
import decimal
import json
import sys

from boto3.dynamodb.types import DYNAMODB_CONTEXT, Binary, TypeDeserializer


def b64_to_bytes(av):
    """Typed value with B/BS text replaced by bytes, recursively."""
    (tag, v), = av.items()
    if tag == "B":
        return {"B": base64.b64decode(v, validate=True)}
    if tag == "BS":
        return {"BS": [base64.b64decode(x, validate=True) for x in v]}
    if tag == "M":
        return {"M": {k: b64_to_bytes(x) for k, x in v.items()}}
    if tag == "L":
        return {"L": [b64_to_bytes(x) for x in v]}
    return av


def flatten(obj, prefix, out):
    for k, v in obj.items():
        if isinstance(v, dict) and v:
            flatten(v, prefix + k + "_", out)
        else:
            out[prefix + k] = v
    return out


def scalar(exp, got):
    """None if ddbflat's got matches boto3's exp, else a reason."""
    if isinstance(exp, decimal.Decimal):
        if not isinstance(got, str):
            return "number not a string"
        try:
            g = DYNAMODB_CONTEXT.create_decimal(got)
        except (decimal.DecimalException, ValueError):
            return "not a DynamoDB number"
        return None if g == exp else "number value differs"
    if isinstance(exp, Binary):
        try:
            g = base64.b64decode(got, validate=True) if isinstance(got, str) else None
        except binascii.Error:
            g = None
        return None if g == exp.value else "binary differs"
    if type(exp) is not type(got):
        return "type differs"
    return None if exp == got else "value differs"


def compare(exp, got, where):
    if isinstance(exp, set):
        if not isinstance(got, list):
            return "%s: set is not an array" % where
        if len(got) != len(exp):
            return "%s: %d set members, boto3 %d" % (where, len(got), len(exp))
        for g in got:
            if not any(scalar(e, g) is None for e in exp):
                return "%s: member %r not in boto3's set" % (where, g)
        return None
    if isinstance(exp, list):
        if not isinstance(got, list) or len(got) != len(exp):
            return "%s: list differs (%r)" % (where, got)
        for i, (e, g) in enumerate(zip(exp, got)):
            r = compare(e, g, "%s[%d]" % (where, i))
            if r:
                return r
        return None
    if isinstance(exp, dict):
        if not isinstance(got, dict):
            return "%s: ddbflat %r, boto3 a map" % (where, got)
        if set(got) != set(exp):
            return "%s: keys only in ddbflat %s, only in boto3 %s" % (
                where, sorted(set(got) - set(exp)), sorted(set(exp) - set(got)))
        for k in exp:
            r = compare(exp[k], got[k], "%s%s" % (where, json.dumps(k, ensure_ascii=False)))
            if r:
                return r
        return None
    r = scalar(exp, got)
    return "%s: %s: ddbflat %r, boto3 %r" % (where, r, got, exp) if r else None


def main(argv):
    if len(argv) != 3:
        sys.stderr.write("usage: ddbflat-ref-boto3.py CORPUS ROWS\n")
        return 2
    des = TypeDeserializer().deserialize
    with open(argv[1], "rb") as fc, open(argv[2], "rb") as fr:
        recs = fc.read().splitlines()
        rows = fr.read().splitlines()
    for i, (rl, gl) in enumerate(zip(recs, rows), 1):
        rec = json.loads(rl)
        d = rec["dynamodb"]
        img = d["OldImage"] if rec["eventName"] == "REMOVE" else d["NewImage"]
        exp = flatten({k: des(b64_to_bytes(v)) for k, v in img.items()}, "", {})
        try:
            got = json.loads(gl)
        except ValueError as e:
            sys.stderr.write("row %d: not JSON: %s\n" % (i, e))
            return 1
        r = compare(exp, got, "")
        if r:
            sys.stderr.write("row %d (%s %s eventID %s): %s\n" % (
                i, rec["eventName"], rec["tableName"], rec["eventID"], r))
            return 1
    if len(recs) != len(rows):
        sys.stderr.write("ddbflat printed %d rows for %d records\n" % (len(rows), len(recs)))
        return 1
    print("%d rows match the boto3 TypeDeserializer reference" % len(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
