#!/bin/sh
# demo.sh: the main job end to end on a local default. For now: sample
# DynamoDB change records in every shape AWS produces, through ddbflat.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
bin=${DDBLAKE_BIN:-$top/build}
d=$top/tests/data/ddbflat

echo "== Kinesis Data Streams for DynamoDB (aws kinesis get-records, base64 Data)"
"$bin/ddbflat" "$d/kinesis-get-records-v1.json"
echo "== DynamoDB Streams (Lambda event): INSERT, MODIFY, REMOVE"
"$bin/ddbflat" "$d/streams-lambda.json"
echo "== TTL expiry (aws dynamodbstreams get-records, CLI v2)"
"$bin/ddbflat" "$d/streams-cli-v2.json"
echo "== The AWS blog's item 864732: Architect -> Senior Architect"
"$bin/ddbflat" "$d/blog-pair.json"
echo "== A gzip export data file"
"$bin/ddbflat" "$d/export-full.json.gz"
echo "== Edge cases: 38-digit numbers, empty values, escapes"
"$bin/ddbflat" "$d/types-edge.json"
