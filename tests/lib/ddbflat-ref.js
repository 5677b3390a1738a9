#!/usr/bin/env node
// SPDX-License-Identifier: MIT
// ddbflat-ref.js: reference rows for ddbflat's differential test, built with
// a real unmarshaller (@aws-sdk/util-dynamodb unmarshall, wrapNumbers: true)
// and the flattening rules of ddbflat(1), and a comparator.
//
//   ddbflat-ref.js [--meta] CORPUS ROWS   compare ROWS (ddbflat --numbers=string
//                                         output) with the reference; exit 0 if
//                                         every row matches, 1 at the first
//                                         difference, described on stderr
//   ddbflat-ref.js --print CORPUS         print the reference rows (no metadata)
//
// CORPUS holds Kinesis-for-DynamoDB records, one per line (scripts/gen-corpus).
// Reference row: the image (INSERT/MODIFY: NewImage, REMOVE: OldImage)
// unmarshalled, non-empty maps merged into the parent as parent_child, empty
// maps {}, lists as arrays of plain values (maps inside stay objects), sets as
// arrays in their order, numbers as their exact text (strings), B as its
// base64 text. Values are compared with their JSON types, numbers as exact
// strings; key order is not compared. With --meta the metadata columns known
// from a KDS record (_ddb_op, _ddb_table, _ddb_event_id, _ddb_ts, _ddb_ttl) are
// checked too and other _ddb_ columns ignored; without it any _ddb_ column is
// a difference (ddbflat --no-meta must drop them all).
"use strict";
const fs = require("fs");
const path = require("path");
const { unmarshall, NumberValueImpl } = require(path.join(__dirname,
    "../../scripts/node/node_modules/@aws-sdk/util-dynamodb"));

function die(msg) {
  process.stderr.write("ddbflat-ref: " + msg + "\n");
  process.exit(2);
}

function isMap(v) {
  return v !== null && typeof v === "object" && !Array.isArray(v) &&
      !(v instanceof Set) && !(v instanceof NumberValueImpl);
}

// A value inside a list, a set or at a leaf: plain JSON, numbers as text.
function plain(v) {
  if (v instanceof NumberValueImpl) return v.value;
  if (v instanceof Set) return Array.from(v, plain);
  if (Array.isArray(v)) return v.map(plain);
  if (isMap(v)) {
    const o = {};
    for (const k of Object.keys(v)) o[k] = plain(v[k]);
    return o;
  }
  return v;
}

function flatten(obj, prefix, out) {
  for (const k of Object.keys(obj)) {
    const v = obj[k];
    if (isMap(v) && Object.keys(v).length > 0) flatten(v, prefix + k + "_", out);
    else out[prefix + k] = plain(v);
  }
  return out;
}

// Epoch ms or µs as ISO-8601 UTC with that many fraction digits.
function isoTime(t, precision) {
  const micro = precision ? precision === "MICROSECOND" : String(t).length >= 16;
  const unit = micro ? 1000000 : 1000;
  const secs = Math.floor(t / unit);
  const frac = String(t - secs * unit).padStart(micro ? 6 : 3, "0");
  return new Date(secs * 1000).toISOString().slice(0, 19) + "." + frac + "Z";
}

function reference(rec, meta) {
  const d = rec.dynamodb;
  const img = rec.eventName === "REMOVE" ? d.OldImage : d.NewImage;
  const row = {};
  if (meta) {
    const u = rec.userIdentity;
    row._ddb_op = rec.eventName;
    row._ddb_table = rec.tableName;
    row._ddb_event_id = rec.eventID;
    row._ddb_ts = isoTime(d.ApproximateCreationDateTime,
        d.ApproximateCreationDateTimePrecision);
    row._ddb_ttl = rec.eventName === "REMOVE" && u != null &&
        u.type === "Service" && u.principalId === "dynamodb.amazonaws.com";
  }
  return flatten(unmarshall(img, { wrapNumbers: true }), "", row);
}

function show(v) {
  const s = JSON.stringify(v);
  return s === undefined ? "(absent)" : s.length > 120 ? s.slice(0, 117) + "..." : s;
}

function kind(v) {
  return v === null ? "null" : Array.isArray(v) ? "array" : typeof v;
}

// First difference between expected and got as "where: ...", or null.
function diff(exp, got, where, meta) {
  if (kind(exp) !== kind(got))
    return `${where}: ddbflat ${show(got)} (${kind(got)}), reference ${show(exp)} (${kind(exp)})`;
  if (Array.isArray(exp)) {
    if (exp.length !== got.length)
      return `${where}: ddbflat ${show(got)} (${got.length} elements), reference ${show(exp)} (${exp.length})`;
    for (let i = 0; i < exp.length; i++) {
      const r = diff(exp[i], got[i], `${where}[${i}]`, false);
      if (r) return r;
    }
    return null;
  }
  if (kind(exp) === "object") {
    for (const k of Object.keys(exp)) {
      if (!Object.prototype.hasOwnProperty.call(got, k))
        return `${where}${JSON.stringify(k)}: missing in ddbflat, reference ${show(exp[k])}`;
      const r = diff(exp[k], got[k], `${where}${JSON.stringify(k)}`, false);
      if (r) return r;
    }
    for (const k of Object.keys(got)) {
      if (Object.prototype.hasOwnProperty.call(exp, k)) continue;
      if (meta && k.startsWith("_ddb_")) continue;
      return `${where}${JSON.stringify(k)}: unexpected in ddbflat, value ${show(got[k])}`;
    }
    return null;
  }
  return exp === got ? null :
      `${where}: ddbflat ${show(got)}, reference ${show(exp)}`;
}

function lines(file) {
  const text = fs.readFileSync(file, "utf8");
  const a = text.split("\n");
  if (a[a.length - 1] === "") a.pop();
  return a;
}

function main(argv) {
  let meta = false, print = false;
  while (argv.length && argv[0].startsWith("--")) {
    const o = argv.shift();
    if (o === "--meta") meta = true;
    else if (o === "--print") print = true;
    else die(`unknown option ${o}`);
  }
  if (argv.length !== (print ? 1 : 2))
    die("usage: ddbflat-ref.js [--meta] CORPUS ROWS | --print CORPUS");
  const recs = lines(argv[0]);
  if (print) {
    const out = recs.map((l) => JSON.stringify(reference(JSON.parse(l), false)) + "\n");
    fs.writeSync(1, out.join(""));
    return 0;
  }
  const rows = lines(argv[1]);
  const n = Math.min(recs.length, rows.length);
  for (let i = 0; i < n; i++) {
    const rec = JSON.parse(recs[i]);
    let got;
    try {
      got = JSON.parse(rows[i]);
    } catch (e) {
      process.stderr.write(`row ${i + 1}: not JSON (${e.message}): ${show(rows[i])}\n`);
      return 1;
    }
    const r = diff(reference(rec, meta), got, "", meta);
    if (r) {
      process.stderr.write(`row ${i + 1} (${rec.eventName} ${rec.tableName} eventID ` +
          `${rec.eventID}): ${r}\n`);
      return 1;
    }
  }
  if (recs.length !== rows.length) {
    process.stderr.write(`ddbflat printed ${rows.length} rows for ${recs.length} records\n`);
    return 1;
  }
  process.stdout.write(`${n} rows match the @aws-sdk/util-dynamodb reference\n`);
  return 0;
}

process.exitCode = main(process.argv.slice(2));
