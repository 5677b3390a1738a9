#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""ddbflat-kinesis-meta.py GETRECORDS ROWS: check the Kinesis envelope
columns ddbflat adds for `aws kinesis get-records` input.

For each record of the get-records documents in GETRECORDS, in order, the
row of ROWS (ddbflat output with metadata) must carry _ddb_event_id equal to
the eventID inside Data, _ddb_seq equal to SequenceNumber (exact text), and
_ddb_arrival: ISO-8601 UTC ending in "Z" at the same instant as
ApproximateArrivalTimestamp (CLI v1 epoch seconds or CLI v2 ISO text with
any offset). Exit 0 if all agree, 1 at the first difference.
"""
import base64
import datetime
import json
import sys


def documents(text):
    dec = json.JSONDecoder()
    i = 0
    while True:
        while i < len(text) and text[i] in " \t\r\n":
            i += 1
        if i == len(text):
            return
        doc, i = dec.raw_decode(text, i)
        yield doc


def instant(v):
    if isinstance(v, (int, float)):
        return datetime.datetime.fromtimestamp(v, datetime.timezone.utc)
    return datetime.datetime.fromisoformat(v)


def main(argv):
    if len(argv) != 3:
        sys.stderr.write("usage: ddbflat-kinesis-meta.py GETRECORDS ROWS\n")
        return 2
    with open(argv[1], encoding="utf-8") as f:
        recs = [r for d in documents(f.read()) for r in d["Records"]]
    with open(argv[2], encoding="utf-8") as f:
        rows = [json.loads(line) for line in f]
    if len(rows) != len(recs):
        sys.stderr.write("ddbflat printed %d rows for %d records\n" % (len(rows), len(recs)))
        return 1
    for i, (r, row) in enumerate(zip(recs, rows), 1):
        eid = json.loads(base64.b64decode(r["Data"]))["eventID"]
        arr = row.get("_ddb_arrival")
        why = None
        if row.get("_ddb_event_id") != eid:
            why = "_ddb_event_id %r, Data has %r" % (row.get("_ddb_event_id"), eid)
        elif row.get("_ddb_seq") != r["SequenceNumber"]:
            why = "_ddb_seq %r, SequenceNumber %r" % (row.get("_ddb_seq"), r["SequenceNumber"])
        elif not isinstance(arr, str) or not arr.endswith("Z"):
            why = "_ddb_arrival %r is not ISO-8601 UTC" % (arr,)
        elif instant(arr) != instant(r["ApproximateArrivalTimestamp"]):
            why = "_ddb_arrival %r, ApproximateArrivalTimestamp %r" % (
                arr, r["ApproximateArrivalTimestamp"])
        if why:
            sys.stderr.write("row %d: %s\n" % (i, why))
            return 1
    print("%d rows carry their Kinesis sequence number and arrival time" % len(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
