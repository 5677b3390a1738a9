#!/usr/bin/env node
// SPDX-License-Identifier: MIT
// node-flatten.js: the Node baseline of `make bench`.
//
// Reads Kinesis-for-DynamoDB records, one per line, on stdin; unmarshals the
// image (NewImage, or OldImage for REMOVE) with @aws-sdk/util-dynamodb's
// unmarshall (wrapNumbers: true, else 38-digit numbers throw), joins nested
// map keys with "_", adds operation, table, event id and change time, and
// prints JSON.stringify of the row with sets as arrays and numbers as their
// text. The SDK comes from scripts/node/node_modules (scripts/setup.sh).
"use strict";
const path = require("path");
const fs = require("fs");
const { StringDecoder } = require("string_decoder");
const { unmarshall, NumberValueImpl } = require(path.join(__dirname,
    "../node/node_modules/@aws-sdk/util-dynamodb"));

function flat(obj, prefix, out) {
  for (const k in obj) {
    const v = obj[k];
    if (v !== null && typeof v === "object" && !Array.isArray(v) &&
        !(v instanceof Set) && !(v instanceof NumberValueImpl) &&
        Object.keys(v).length > 0)
      flat(v, prefix + k + "_", out);
    else
      out[prefix + k] = v;
  }
  return out;
}

function replacer(k, v) {
  if (v instanceof Set) return Array.from(v);
  if (v instanceof NumberValueImpl) return v.value;
  return v;
}

const opts = { wrapNumbers: true };
let pending = [];
let pendingLen = 0;
function emit(s) {
  pending.push(s);
  pendingLen += s.length;
  if (pendingLen > 1 << 20) flush();
}
function flush() {
  if (pending.length) fs.writeSync(1, pending.join(""));
  pending = [];
  pendingLen = 0;
}

function record(line) {
  if (line.length === 0) return;
  const rec = JSON.parse(line);
  const d = rec.dynamodb;
  const unit = d.ApproximateCreationDateTimePrecision === "MICROSECOND" ? 1000 : 1;
  const row = {
    _ddb_op: rec.eventName, _ddb_table: rec.tableName, _ddb_event_id: rec.eventID,
    _ddb_ts: new Date(Math.floor(d.ApproximateCreationDateTime / unit)).toISOString(),
  };
  const img = rec.eventName === "REMOVE" ? d.OldImage : d.NewImage;
  flat(unmarshall(img, opts), "", row);
  emit(JSON.stringify(row, replacer) + "\n");
}

let rest = "";
const dec = new StringDecoder("utf8");  // a block may end inside a character
const buf = Buffer.allocUnsafe(1 << 20);
for (;;) {
  let n;
  try {
    n = fs.readSync(0, buf, 0, buf.length, null);
  } catch (e) {
    if (e.code === "EAGAIN") continue;
    if (e.code === "EOF") break;
    throw e;
  }
  if (n === 0) break;
  const lines = (rest + dec.write(buf.subarray(0, n))).split("\n");
  rest = lines.pop();
  for (const l of lines) record(l);
}
record(rest);
flush();
