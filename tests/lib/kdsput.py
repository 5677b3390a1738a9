#!/usr/bin/python3 -S
"""kdsput.py: put records into a Kinesis stream quickly: PutRecords in
batches of up to 500 records and 4 MiB, signed by sigv4sign.py (no awscli
or botocore start-up). Each input line is one record's data; for Kinesis
Data Streams for DynamoDB records, the JSON that scripts/gen-corpus writes.

  kdsput.py --endpoint-url URL --stream NAME [--key-field eventID] [FILE]

The partition key is the top-level field --key-field of each JSON line
(default eventID), or the line's number when it has none. Credentials and
region come from the environment (AWS_ACCESS_KEY_ID, ...). Records a batch
fails are sent again, up to 5 times. Prints one line per record, in input
order: "KEY SHARDID SEQUENCENUMBER". Exit status 1 if some record could not
be put.
"""
import argparse
import base64
import json
import sys
import time

import sigv4sign

BATCH = 500
BATCH_BYTES = 4 << 20


def put(url, stream, batch):
    """Put [(key, data)]; return [(shard, seq)], retrying failed ones."""
    result = [None] * len(batch)
    todo = list(range(len(batch)))
    creds = sigv4sign.creds_from_env()
    for attempt in range(5):
        body = json.dumps({"StreamName": stream, "Records": [
            {"Data": base64.b64encode(batch[i][1]).decode(), "PartitionKey": batch[i][0]}
            for i in todo]}).encode()
        status, out = sigv4sign.post(url, "Kinesis_20131202.PutRecords", body, creds)
        if status != 200:
            sys.exit("kdsput.py: PutRecords: %d %s" % (status, out.decode()))
        again = []
        for i, r in zip(todo, json.loads(out)["Records"]):
            if "ErrorCode" in r:
                again.append(i)
            else:
                result[i] = (r["ShardId"], r["SequenceNumber"])
        todo = again
        if not todo:
            return result
        time.sleep(0.1 * 2 ** attempt)
    sys.exit("kdsput.py: %d records of a batch failed" % len(todo))


def main():
    ap = argparse.ArgumentParser(description="put records into a Kinesis stream")
    ap.add_argument("--endpoint-url", required=True)
    ap.add_argument("--stream", required=True)
    ap.add_argument("--key-field", default="eventID")
    ap.add_argument("file", nargs="?", type=argparse.FileType("rb"), default=sys.stdin.buffer)
    a = ap.parse_args()
    batch, size, n = [], 0, 0

    def flush():
        for (key, _), (shard, seq) in zip(batch, put(a.endpoint_url, a.stream, batch)):
            sys.stdout.write("%s %s %s\n" % (key, shard, seq))

    for line in a.file:
        line = line.rstrip(b"\n")
        if not line:
            continue
        n += 1
        try:
            key = str(json.loads(line).get(a.key_field) or n)
        except (ValueError, AttributeError):
            key = str(n)
        if batch and (len(batch) == BATCH or size + len(line) + len(key) > BATCH_BYTES):
            flush()
            batch, size = [], 0
        batch.append((key, line))
        size += len(line) + len(key)
    if batch:
        flush()


if __name__ == "__main__":
    main()
