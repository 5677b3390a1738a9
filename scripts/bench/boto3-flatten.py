#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""boto3-flatten.py: the Python baseline of `make bench`.

Reads Kinesis-for-DynamoDB records, one per line, on stdin; unmarshals the
image (NewImage, or OldImage for REMOVE) with boto3's TypeDeserializer,
joins nested map keys with "_", adds operation, table, event id and change
time, and prints json.dumps(row, default=str), as the Lambda functions in
aws-formats.md section 1 do. Run it with Debian's /usr/bin/python3 and
python3-boto3.

TypeDeserializer wraps B in Binary(), which raises TypeError on the base64
text that stream JSON carries, so B is kept as that text (what users who
hit the error end up doing). N becomes Decimal (exact; default=str prints
its text), sets become Python sets (default=str prints their repr).
"""
import datetime
import json
import sys

from boto3.dynamodb.types import TypeDeserializer


class StreamDeserializer(TypeDeserializer):
    def _deserialize_b(self, value):
        return value


def flat(obj, prefix, out):
    for k, v in obj.items():
        if isinstance(v, dict) and v:
            flat(v, prefix + k + "_", out)
        else:
            out[prefix + k] = v


def main():
    des = StreamDeserializer().deserialize
    utc = datetime.timezone.utc
    out = sys.stdout
    for line in sys.stdin.buffer:
        rec = json.loads(line)
        d = rec["dynamodb"]
        unit = 1e6 if d.get("ApproximateCreationDateTimePrecision") == "MICROSECOND" else 1e3
        row = {"_ddb_op": rec["eventName"], "_ddb_table": rec.get("tableName"),
               "_ddb_event_id": rec["eventID"],
               "_ddb_ts": datetime.datetime.fromtimestamp(
                   d["ApproximateCreationDateTime"] / unit, utc).isoformat()}
        img = d["OldImage"] if rec["eventName"] == "REMOVE" else d["NewImage"]
        flat({k: des(v) for k, v in img.items()}, "", row)
        out.write(json.dumps(row, default=str))
        out.write("\n")


if __name__ == "__main__":
    main()
