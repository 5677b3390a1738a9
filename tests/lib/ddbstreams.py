#!/usr/bin/python3
"""ddbstreams.py: a minimal DynamoDB Streams responder on loopback,
following AWS's documented protocol, because no installable server has
DynamoDB Streams (dynalite has none). Needs botocore: run it with
Debian's /usr/bin/python3.

  ddbstreams.py --portfile FILE --key AK:SECRET[:TOKEN] [--key ...]
                [--region us-east-1] [--account 123456789012]
                [--log FILE] [--faults FILE] [--iterator-ttl SECONDS]
                [--end eager|lazy] [--end-null] [--getrecords-rate N]
                [--watch-pid PID] [--port N]
  ddbstreams.py ctl PORT JSON      send one control command, print the answer

The API (POST /, JSON 1.0, SigV4 service "dynamodb", checked by
sigv4check as sigv4proxy.py does; the region must be --region):

  DynamoDBStreams_20120810.ListStreams      TableName?, Limit (1..100),
                                            ExclusiveStartStreamArn
  DynamoDBStreams_20120810.DescribeStream   StreamArn, Limit (1..100,
      default 100), ExclusiveStartShardId, ShardFilter {Type:CHILD_SHARDS,
      ShardId}. Shards come in shard-id order, which is creation order;
      LastEvaluatedShardId is there only when more shards follow.
  DynamoDBStreams_20120810.GetShardIterator StreamArn, ShardId,
      ShardIteratorType TRIM_HORIZON | LATEST | AT_SEQUENCE_NUMBER |
      AFTER_SEQUENCE_NUMBER, SequenceNumber. A sequence number before the
      trim point: TrimmedDataAccessException; outside the shard's range:
      ValidationException.
  DynamoDBStreams_20120810.GetRecords       ShardIterator, Limit (1..1000,
      default 1000; at most about 1 MB a call). The iterator expires after
      --iterator-ttl seconds (default 900): ExpiredIteratorException. One
      whose position records were trimmed from: TrimmedDataAccessException.
      An open shard always gives a NextShardIterator, records or not. On a
      closed shard, NextShardIterator is left out (null with --end-null)
      once no record follows: with --end eager (default) already on the
      page that returns the last records, with --end lazy only on the
      empty page after it.
  DynamoDB_20120810.DescribeTable           TableName -> Table {TableName,
      TableArn, TableStatus, KeySchema, AttributeDefinitions,
      StreamSpecification, LatestStreamArn, LatestStreamLabel, ...}

Requests need Content-Type application/x-amz-json-1.0 (else 400
SerializationException). Errors are 400 (500 InternalServerError when
injected) with __type written as DynamoDB writes it, namespace first, so
a client must keep what follows the "#":
  com.amazonaws.dynamodb.v20120810#ResourceNotFoundException (service)
  com.amazon.coral.validate#ValidationException
  com.amazon.coral.service#InvalidSignatureException (authentication)
and the bare code in the x-amzn-ErrorType header.

Stream ARN: arn:aws:dynamodb:REGION:ACCOUNT:table/NAME/stream/LABEL, LABEL
the creation time, e.g. 2026-11-25T17:00:00.000. Shard ids look like
AWS's: shardId-00000001764090000001-6f1c2a3b (they sort in creation
order). Sequence numbers are decimal strings of 21 or more digits that
grow, by uneven steps, across the whole stream; compare them by length,
then as text. Records are what DynamoDB Streams returns:

  {"eventID":"<32 hex>","eventName":"INSERT|MODIFY|REMOVE",
   "eventVersion":"1.1","eventSource":"aws:dynamodb","awsRegion":REGION,
   "dynamodb":{"ApproximateCreationDateTime":1764090000,"Keys":{..},
     "NewImage":{..},"OldImage":{..},"SequenceNumber":"1000...",
     "SizeBytes":N,"StreamViewType":"NEW_AND_OLD_IMAGES"},
   "userIdentity":{"PrincipalId":"dynamodb.amazonaws.com","Type":"Service"}}

NewImage/OldImage appear as the stream's view type and the event allow;
userIdentity only on TTL deletes.

Control channel: POST /_control with one JSON command, unsigned; the
answer is JSON (400 {"error":...} on a bad command). Besides the shared
"fault" and "stats" (see awsjson.py):

  {"op":"create","table":"t","keys":{"pk":"S","sk":"N"},
   "view":"NEW_AND_OLD_IMAGES","shards":1,"label":"...","seq_start":"..."}
      a table with an enabled stream and SHARDS open shards. keys: the key
      attributes, hash key first, and their types. seq_start: the first
      sequence number (default 100000000000000000000).
      -> {"TableName","StreamArn","Shards":[ids]}
  {"op":"put","table":"t","items":[{"event":"INSERT","keys":{..},
   "new":{..},"old":{..},"ttl":false,"time":1764090000,"shard":"..."}]}
      appends one record per item to an open shard of the table's stream:
      the one named, else one chosen by a hash of the hash key. The table
      is created on first use if need be (key types from the values).
      -> {"records":[{"SequenceNumber","ShardId","eventID"}]}
  {"op":"rollover","table":"t","children":1,"count":1}
      closes every open shard (EndingSequenceNumber set) and opens
      CHILDREN (1 or 2) children for each, with ParentShardId; COUNT times.
      Without table: every table. -> {"closed":[ids],"opened":[ids]}
  {"op":"trim","before":"SEQ","table":"t"}
      records with smaller sequence numbers are gone; closed shards that
      ended before SEQ leave DescribeStream. -> {"removed":[shard ids]}
  {"op":"restream","table":"t","view":"..."}
      disables the table's stream (its shards close, status DISABLED) and
      enables a new one, the new LatestStreamArn. -> like create
Examples:
  curl -s -d '{"op":"put","table":"t","items":[{"keys":{"pk":{"S":"a"}},
       "new":{"pk":{"S":"a"},"n":{"N":"1"}}}]}' http://127.0.0.1:PORT/_control
  tests/lib/ddbstreams.py ctl PORT '{"op":"rollover","children":2}'
"""
import base64
import datetime
import json
import os
import sys
import threading
import time
import urllib.request
import zlib

import awsjson
from awsjson import CallError

NS_SERVICE = "com.amazonaws.dynamodb.v20120810#"
NS_VALIDATE = "com.amazon.coral.validate#"
NS_CORAL = "com.amazon.coral.service#"
CORAL = {"InvalidSignatureException", "UnrecognizedClientException",
         "MissingAuthenticationTokenException", "IncompleteSignatureException",
         "UnknownOperationException", "SerializationException"}
VIEWS = ("KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES")
ITERATOR_TYPES = ("TRIM_HORIZON", "LATEST", "AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER")
JSON10 = "application/x-amz-json-1.0"
MAX_PAGE_BYTES = 1 << 20

lock = threading.RLock()
tables = {}       # name -> Table
streams = {}      # arn -> Stream
shard_count = [0]


def validation(field, value, constraint):
    return CallError("ValidationException",
                     "1 validation error detected: Value '%s' at '%s' failed to "
                     "satisfy constraint: Member must %s" % (value, field, constraint))


def not_found(what):
    return CallError("ResourceNotFoundException", "Requested resource not found: " + what)


class Shard:
    def __init__(self, stream, parent=None):
        shard_count[0] += 1
        n = shard_count[0]
        self.id = "shardId-%020d-%08x" % (1764090000000 + n,
                                          zlib.crc32(("%s/%d" % (stream.arn, n)).encode()))
        self.parent = parent
        self.start = stream.next_seq
        self.end = None
        self.records = []       # (seq, record), seq ascending

    def json(self):
        rng = {"StartingSequenceNumber": str(self.start)}
        if self.end is not None:
            rng["EndingSequenceNumber"] = str(self.end)
        out = {"ShardId": self.id, "SequenceNumberRange": rng}
        if self.parent:
            out["ParentShardId"] = self.parent
        return out


class Stream:
    def __init__(self, table, view, label, seq_start):
        self.table = table
        self.view = view
        if not label:
            ms = int(time.time() * 1000)
            label = stamp_label(ms)
            while any(s.label == label for s in table.streams):
                ms += 1
                label = stamp_label(ms)
        self.label = label
        self.arn = "%s/stream/%s" % (table.arn, label)
        self.status = "ENABLED"
        self.created = time.time()
        self.next_seq = int(seq_start)
        self.steps = 0
        self.trim = 0
        self.shards = []

    def take_seq(self):
        seq = self.next_seq
        self.steps += 1
        self.next_seq += 1000 + self.steps * 7919 % 1000
        return seq

    def open_shards(self):
        return [s for s in self.shards if s.end is None]

    def visible(self):
        return [s for s in self.shards if s.end is None or s.end >= self.trim]

    def shard(self, shard_id):
        for s in self.visible():
            if s.id == shard_id:
                return s
        raise not_found("Shard: %s in Stream: %s" % (shard_id, self.arn))

    def add_shard(self, parent=None):
        s = Shard(self, parent)
        self.shards.append(s)
        return s

    def close(self, shard, children):
        shard.end = self.take_seq()
        return [self.add_shard(shard.id) for _ in range(children)]

    def json(self):
        return {"StreamArn": self.arn, "StreamLabel": self.label,
                "StreamStatus": self.status, "StreamViewType": self.view,
                "CreationRequestDateTime": round(self.created, 3),
                "TableName": self.table.name, "KeySchema": self.table.key_schema}


def stamp_label(ms):
    t = datetime.datetime.fromtimestamp(ms / 1000, datetime.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + "%03d" % (ms % 1000)


class Table:
    def __init__(self, cfg, name, keys):
        self.name = name
        self.arn = "arn:aws:dynamodb:%s:%s:table/%s" % (cfg.region, cfg.account, name)
        self.keys = keys
        self.key_schema = [{"AttributeName": k, "KeyType": t}
                           for k, t in zip(keys, ("HASH", "RANGE"))]
        self.created = time.time()
        self.streams = []
        self.stream = None

    def new_stream(self, view, shards, label=None, seq_start=None):
        if view not in VIEWS:
            raise ValueError("view must be one of %s" % ", ".join(VIEWS))
        old = self.stream
        if old:
            old.status = "DISABLED"
            for s in old.open_shards():
                old.close(s, 0)
        start = seq_start or (old.next_seq if old else 10 ** 20)
        st = Stream(self, view, label, start)
        for _ in range(int(shards)):
            st.add_shard()
        self.streams.append(st)
        self.stream = st
        streams[st.arn] = st
        return st

    def json(self):
        st = self.stream
        return {"TableName": self.name, "TableArn": self.arn, "TableStatus": "ACTIVE",
                "TableId": "%08x-0000-4000-8000-%012x" % (zlib.crc32(self.arn.encode()), 0),
                "KeySchema": self.key_schema,
                "AttributeDefinitions": [{"AttributeName": k, "AttributeType": t}
                                         for k, t in self.keys.items()],
                "CreationDateTime": round(self.created, 3),
                "ItemCount": 0, "TableSizeBytes": 0,
                "BillingModeSummary": {"BillingMode": "PAY_PER_REQUEST"},
                "StreamSpecification": {"StreamEnabled": True, "StreamViewType": st.view},
                "LatestStreamArn": st.arn, "LatestStreamLabel": st.label}


def make_record(cfg, st, seq, item):
    event = item.get("event", "INSERT")
    if event not in ("INSERT", "MODIFY", "REMOVE"):
        raise ValueError("event must be INSERT, MODIFY or REMOVE")
    keys = item["keys"]
    d = {"ApproximateCreationDateTime": item.get("time", int(time.time())), "Keys": keys}
    if st.view in ("NEW_IMAGE", "NEW_AND_OLD_IMAGES") and event != "REMOVE" and "new" in item:
        d["NewImage"] = item["new"]
    if st.view in ("OLD_IMAGE", "NEW_AND_OLD_IMAGES") and event != "INSERT" and "old" in item:
        d["OldImage"] = item["old"]
    d["SequenceNumber"] = str(seq)
    d["SizeBytes"] = sum(len(json.dumps(d.get(k, ""), separators=(",", ":")))
                         for k in ("Keys", "NewImage", "OldImage"))
    d["StreamViewType"] = st.view
    rec = {"eventID": item.get("event_id") or os.urandom(16).hex(), "eventName": event,
           "eventVersion": "1.1", "eventSource": "aws:dynamodb",
           "awsRegion": cfg.region, "dynamodb": d}
    if item.get("ttl"):
        rec["userIdentity"] = {"PrincipalId": "dynamodb.amazonaws.com", "Type": "Service"}
    return rec


def int_arg(req, name, default, lo, hi):
    v = req.get(name, default)
    if not isinstance(v, int) or isinstance(v, bool) or v < lo:
        raise validation(name[0].lower() + name[1:], v,
                         "have value greater than or equal to %d" % lo)
    if v > hi:
        raise validation(name[0].lower() + name[1:], v,
                         "have value less than or equal to %d" % hi)
    return v


def seq_arg(value):
    if not isinstance(value, str) or not value.isdigit() or len(value) > 40:
        raise validation("sequenceNumber", value,
                         "have length less than or equal to 40 and be digits")
    return int(value)


class DDBStreams(awsjson.Handler):
    SERVICE = "dynamodb"
    INTERNAL = "InternalServerError"
    RATE_FAULT = "limit"

    def error_type(self, code):
        if code == "ValidationException":
            return NS_VALIDATE + code
        return (NS_CORAL if code in CORAL else NS_SERVICE) + code

    def send_ok(self, obj):
        self.send_json(200, obj, JSON10)
        return 200

    # Iterators: STREAM-ARN|1|base64(JSON [shard id, position, issued ms]).
    # The position is the smallest sequence number still to be read.
    def make_iterator(self, st, shard, pos):
        blob = json.dumps([shard.id, str(pos), int(time.time() * 1000)]).encode()
        return "%s|1|%s" % (st.arn, base64.b64encode(blob + os.urandom(48)).decode())

    def read_iterator(self, it):
        try:
            arn, one, blob = it.split("|")
            raw = base64.b64decode(blob, validate=True)[:-48]
            shard_id, pos, issued = json.loads(raw)
            return streams[arn], shard_id, int(pos), issued
        except (ValueError, KeyError, AttributeError, TypeError):
            raise CallError("ValidationException", "Invalid ShardIterator")

    def describe(self, op, body):
        try:
            req = json.loads(body)
            if op == "GetRecords":
                st, shard_id, _, _ = self.read_iterator(req.get("ShardIterator"))
                return st.table.name, shard_id
            arn = req.get("StreamArn") or ""
            return arn.split("/")[1] if "/" in arn else req.get("TableName"), req.get("ShardId")
        except (ValueError, CallError, AttributeError, IndexError):
            return "-", "-"

    def call(self, op, body):
        target = self.headers.get("X-Amz-Target", "")
        handler = {
            "DynamoDBStreams_20120810.ListStreams": self.list_streams,
            "DynamoDBStreams_20120810.DescribeStream": self.describe_stream,
            "DynamoDBStreams_20120810.GetShardIterator": self.get_shard_iterator,
            "DynamoDBStreams_20120810.GetRecords": self.get_records,
            "DynamoDB_20120810.DescribeTable": self.describe_table,
        }.get(target)
        if handler is None:
            raise CallError("UnknownOperationException", "Unknown operation: " + target)
        if self.headers.get("Content-Type", "").split(";")[0].strip() != JSON10:
            raise CallError("SerializationException",
                            "Content-Type must be " + JSON10)
        try:
            req = json.loads(body)
            if not isinstance(req, dict):
                raise ValueError
        except ValueError:
            raise CallError("SerializationException", "Start of structure or map found where not expected")
        with lock:
            return self.send_ok(handler(req))

    def stream_arg(self, req):
        arn = req.get("StreamArn")
        if arn not in streams:
            raise not_found("Stream: %s not found" % arn)
        return streams[arn]

    def describe_table(self, req):
        name = req.get("TableName", "")
        t = tables.get(name.rpartition("/")[2] if name.startswith("arn:") else name)
        if not t:
            raise not_found("Table: %s not found" % name)
        return {"Table": t.json()}

    def list_streams(self, req):
        limit = int_arg(req, "Limit", 100, 1, 100)
        all_ = [s for t in sorted(tables) for s in tables[t].streams
                if req.get("TableName") in (None, t)]
        start = req.get("ExclusiveStartStreamArn")
        if start:
            all_ = all_[[s.arn for s in all_].index(start) + 1:] if start in streams else []
        out = {"Streams": [{"StreamArn": s.arn, "TableName": s.table.name,
                            "StreamLabel": s.label} for s in all_[:limit]]}
        if len(all_) > limit:
            out["LastEvaluatedStreamArn"] = all_[limit - 1].arn
        return out

    def describe_stream(self, req):
        st = self.stream_arg(req)
        limit = int_arg(req, "Limit", 100, 1, 100)
        shards = st.visible()
        flt = req.get("ShardFilter")
        if flt:
            if flt.get("Type") != "CHILD_SHARDS" or not flt.get("ShardId"):
                raise validation("shardFilter.type", flt.get("Type"),
                                 "satisfy enum value set: [CHILD_SHARDS]")
            shards = [s for s in shards if s.parent == flt["ShardId"]]
        start = req.get("ExclusiveStartShardId")
        if start:
            shards = [s for s in shards if s.id > start]
        desc = st.json()
        desc["Shards"] = [s.json() for s in shards[:limit]]
        if len(shards) > limit:
            desc["LastEvaluatedShardId"] = shards[limit - 1].id
        return {"StreamDescription": desc}

    def get_shard_iterator(self, req):
        st = self.stream_arg(req)
        kind = req.get("ShardIteratorType")
        if kind not in ITERATOR_TYPES:
            raise validation("shardIteratorType", kind,
                             "satisfy enum value set: [%s]" % ", ".join(sorted(ITERATOR_TYPES)))
        shard = st.shard(req.get("ShardId"))
        if kind == "TRIM_HORIZON":
            pos = max(shard.start, st.trim)
        elif kind == "LATEST":
            pos = shard.end + 1 if shard.end is not None else st.next_seq
        else:
            if "SequenceNumber" not in req:
                raise CallError("ValidationException", "Must provide SequenceNumber for "
                                "AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER")
            seq = seq_arg(req["SequenceNumber"])
            if seq < st.trim:
                raise CallError("TrimmedDataAccessException",
                                "The requested sequence number %s is beyond the trim "
                                "horizon of the shard." % seq)
            if seq < shard.start or (shard.end is not None and seq > shard.end):
                raise CallError("ValidationException", "Invalid SequenceNumber %s for "
                                "shard %s" % (seq, shard.id))
            pos = seq if kind == "AT_SEQUENCE_NUMBER" else seq + 1
        return {"ShardIterator": self.make_iterator(st, shard, pos)}

    def get_records(self, req):
        limit = int_arg(req, "Limit", 1000, 1, 1000)
        st, shard_id, pos, issued = self.read_iterator(req.get("ShardIterator"))
        now = time.time() * 1000
        ttl = self.cfg.iterator_ttl * 1000
        if now - issued > ttl:
            raise CallError("ExpiredIteratorException",
                            "Iterator expired. The iterator was created at time %s while "
                            "right now it is %s which is further in the future than the "
                            "tolerated delay of %d milliseconds."
                            % (stamp_label(issued), stamp_label(int(now)), ttl))
        shard = next((s for s in st.shards if s.id == shard_id), None)
        if shard is None:
            raise not_found("Shard: %s in Stream: %s" % (shard_id, st.arn))
        ahead = [r for seq, r in shard.records if seq >= pos]
        if pos < st.trim and ahead and int(ahead[0]["dynamodb"]["SequenceNumber"]) < st.trim:
            raise CallError("TrimmedDataAccessException",
                            "The operation attempted to read past the oldest stream "
                            "record in a shard.")
        page, size = [], 0
        for r in ahead[:limit]:
            n = len(json.dumps(r))
            if page and size + n > MAX_PAGE_BYTES:
                break
            page.append(r)
            size += n
        if page:
            pos = int(page[-1]["dynamodb"]["SequenceNumber"]) + 1
        out = {"Records": page}
        done = shard.end is not None and len(page) == len(ahead) and (
            self.cfg.end == "eager" or not page)
        if not done:
            out["NextShardIterator"] = self.make_iterator(st, shard, pos)
        elif self.cfg.end_null:
            out["NextShardIterator"] = None
        return out

    # Control commands.
    def control_op(self, cmd):
        op = cmd.get("op")
        with lock:
            if op == "create":
                return self.ctl_create(cmd)
            if op == "put":
                return self.ctl_put(cmd)
            if op == "rollover":
                return self.ctl_rollover(cmd)
            if op == "trim":
                return self.ctl_trim(cmd)
            if op == "restream":
                t = tables[cmd["table"]]
                return self.created(t, t.new_stream(cmd.get("view", t.stream.view), 1))
        raise ValueError("unknown control op %r" % op)

    def created(self, t, st):
        return {"TableName": t.name, "StreamArn": st.arn,
                "Shards": [s.id for s in st.shards]}

    def ctl_create(self, cmd):
        name = cmd["table"]
        if name in tables:
            raise ValueError("table %s exists" % name)
        keys = cmd.get("keys", {"pk": "S"})
        if not isinstance(keys, dict) or not 1 <= len(keys) <= 2:
            raise ValueError('keys: {"HASHKEY":"S|N|B"[, "RANGEKEY":...]}')
        t = Table(self.cfg, name, keys)
        tables[name] = t
        st = t.new_stream(cmd.get("view", "NEW_AND_OLD_IMAGES"), cmd.get("shards", 1),
                          cmd.get("label"), cmd.get("seq_start"))
        return self.created(t, st)

    def ctl_put(self, cmd):
        name = cmd["table"]
        items = cmd["items"]
        if name not in tables:
            first = items[0]["keys"]
            self.ctl_create({"table": name,
                             "keys": {k: next(iter(v)) for k, v in first.items()}})
        st = tables[name].stream
        hash_key = tables[name].keys and next(iter(tables[name].keys))
        out = []
        for item in items:
            shards = st.open_shards()
            if "shard" in item:
                named = [s for s in shards if s.id == item["shard"]]
                if not named:
                    raise ValueError("no open shard %s" % item["shard"])
                shard = named[0]
            else:
                h = json.dumps(item["keys"].get(hash_key), sort_keys=True).encode()
                shard = shards[zlib.crc32(h) % len(shards)]
            seq = st.take_seq()
            rec = make_record(self.cfg, st, seq, item)
            shard.records.append((seq, rec))
            out.append({"SequenceNumber": str(seq), "ShardId": shard.id,
                        "eventID": rec["eventID"]})
        return {"records": out}

    def ctl_rollover(self, cmd):
        children = int(cmd.get("children", 1))
        if children not in (1, 2):
            raise ValueError("children must be 1 or 2")
        names = [cmd["table"]] if "table" in cmd else sorted(tables)
        closed, opened = [], []
        for _ in range(int(cmd.get("count", 1))):
            for name in names:
                st = tables[name].stream
                for s in st.open_shards():
                    closed.append(s.id)
                    opened += [c.id for c in st.close(s, children)]
        return {"closed": closed, "opened": opened}

    def ctl_trim(self, cmd):
        before = seq_arg(str(cmd["before"]))
        names = [cmd["table"]] if "table" in cmd else sorted(tables)
        removed = []
        for name in names:
            for st in tables[name].streams:
                was = {s.id for s in st.visible()}
                st.trim = max(st.trim, before)
                removed += sorted(was - {s.id for s in st.visible()})
        return {"removed": removed}


def ctl(port, command):
    req = urllib.request.Request("http://127.0.0.1:%s/_control" % port,
                                 data=command.encode(), method="POST")
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            print(r.read().decode())
    except urllib.error.HTTPError as e:
        print(e.read().decode(), file=sys.stderr)
        sys.exit(1)


def main():
    if sys.argv[1:2] == ["ctl"]:
        if len(sys.argv) != 4:
            sys.exit("usage: ddbstreams.py ctl PORT JSON")
        return ctl(sys.argv[2], sys.argv[3])
    ap = awsjson.server_args("DynamoDB Streams responder")
    ap.add_argument("--account", default="123456789012")
    ap.add_argument("--iterator-ttl", type=float, default=900, metavar="SECONDS")
    ap.add_argument("--end", choices=("eager", "lazy"), default="eager")
    ap.add_argument("--end-null", action="store_true")
    cfg = ap.parse_args()
    cfg.region = cfg.region or "us-east-1"
    awsjson.serve(DDBStreams, cfg)


if __name__ == "__main__":
    main()
