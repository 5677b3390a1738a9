#!/bin/sh
# demo.sh: the main job end to end on this machine. Starts a throw-away
# radosgw (S3) on 127.0.0.1, creates a bucket, streams DynamoDB change
# records through
#
#   ddbflat | ddbbatch --gzip --partition ... | s3put s3://BUCKET/lake/
#
# downloads the lake with awscli and queries it with DuckDB
# (scripts/lake-report.js). The server it started is stopped on any exit.
#
# Input: every change-record fixture in tests/data/ddbflat (Kinesis
# get-records from CLI v1 and v2, DynamoDB Streams from Lambda and both
# CLIs, a TTL expiry, the AWS blog's item 864732, all attribute types)
# followed by DEMO_RECORDS (default 3000) generated Kinesis records in
# `aws kinesis get-records` form (scripts/gen-corpus): inserts, modifies,
# removes, TTL expiries, nested maps, lists, sets, binary, 38-digit numbers.
#
# Environment: DDBLAKE_BIN (default build/), DEMO_RECORDS, RGW_PORT (default:
# the first free block of 50 ports from 9480). Needs scripts/setup.sh.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
bin=${DDBLAKE_BIN:-$top/build}
data=$top/tests/data/ddbflat
work=$top/build/demo
n=${DEMO_RECORDS:-3000}
t0=$(date +%s)

if [ -z "${RGW_PORT:-}" ]; then
	RGW_PORT=9480
	while [ "$RGW_PORT" -lt 20000 ]; do
		ss -Hltn | awk '{ sub(/.*:/, "", $4); print $4 }' |
		    awk -v lo="$RGW_PORT" '$1 >= lo && $1 < lo + 50 { b = 1 }
			END { exit !b }' || break
		RGW_PORT=$((RGW_PORT + 50))
	done
fi
RGW_DIR=$top/build/demo-rgw
export RGW_PORT RGW_DIR

if [ -x /usr/bin/aws ]; then
	awscli=/usr/bin/aws
else
	awscli=$(command -v aws) || { echo "demo.sh: awscli not found: run scripts/setup.sh" >&2; exit 1; }
	export AWS_REQUEST_CHECKSUM_CALCULATION=when_required
	export AWS_RESPONSE_CHECKSUM_VALIDATION=when_required
fi
export AWS_EC2_METADATA_DISABLED=true AWS_PAGER=

started=
cleanup() {
	st=$?
	trap - EXIT INT TERM HUP
	if [ -n "$started" ]; then
		"$top/scripts/rgw.sh" stop || echo "demo.sh: warning: rgw.sh stop failed" >&2
	fi
	[ "$st" -eq 0 ] || echo "demo.sh: failed (status $st); logs in $work" >&2
	exit "$st"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

rm -rf "$work"
mkdir -p "$work"

echo "== Starting radosgw (S3) on 127.0.0.1:$RGW_PORT"
started=1
"$top/scripts/rgw.sh" start </dev/null >"$work/rgw.out" 2>&1 || {
	cat "$work/rgw.out" >&2
	exit 1
}
eval "$("$top/scripts/rgw.sh" env)"
s3() { "$awscli" --endpoint-url "$DDBLAKE_S3_ENDPOINT" --region "$AWS_REGION" "$@" </dev/null; }
bucket=ddblake-demo
s3 s3api create-bucket --bucket "$bucket" >/dev/null
echo "   bucket s3://$bucket at $DDBLAKE_S3_ENDPOINT"

echo "== Streaming change records: fixtures + $n generated Kinesis records"
# Partition like Firehose dynamic partitioning: by table and change date;
# records without them (a stream record with no table name) land in
# __HIVE_DEFAULT_PARTITION__, which readers take as NULL.
part='{table_name: (._ddb_table // ""), dt: ((._ddb_ts // "")[0:10])}'
{
	for f in kinesis-get-records-v1 kinesis-get-records-v2 kds-all-types \
	    streams-lambda streams-cli-v1 streams-cli-v2 streams-ttl-remove \
	    blog-pair; do
		cat "$data/$f.json"
		echo
	done
	"$top/scripts/gen-corpus" --records "$n" --unique-ids --format getrecords
} </dev/null |
"$bin/ddbflat" --stats "$work/ddbflat.stats" |
"$bin/ddbbatch" --gzip --dir "$work/spool" --partition "$part" \
    --stats "$work/ddbbatch.stats" |
"$bin/s3put" --endpoint-url "$DDBLAKE_S3_ENDPOINT" --remove \
    --stats "$work/s3put.stats" "s3://$bucket/lake/" >"$work/uploaded"

stat() { sed -n "s/.*\"$2\":\\([0-9.]*\\).*/\\1/p" "$work/$1.stats"; }
# sh only reports the last stage's status: take each tool's from its stats.
for t in ddbflat ddbbatch s3put; do
	[ "$(stat $t exit)" = 0 ] || { echo "demo.sh: $t failed: $(cat "$work/$t.stats")" >&2; exit 1; }
done
echo "   ddbflat:  $(stat ddbflat records_in) records in, $(stat ddbflat records_out) out, $(stat ddbflat records_failed) failed"
echo "   ddbbatch: $(stat ddbbatch records_out) records in $(stat ddbbatch batches) gzip batches"
echo "   s3put:    $(stat s3put objects) objects written, $(stat s3put bytes) bytes, $(stat s3put failed) failed"
echo "   first keys:"
sed -n '1,3s|^\(s3://[^ ]*\) .*|     \1|p' "$work/uploaded"
left=$(find "$work/spool" -type f -name '*.json*' | wc -l)
echo "   batches left in the spool after --remove: $left"

echo "== Downloading the lake (aws s3 sync) and querying it with DuckDB"
s3 s3 sync --only-show-errors "s3://$bucket/lake" "$work/lake"
echo "   $(find "$work/lake" -name '*.json.gz' | wc -l) objects downloaded into $work/lake"
node "$top/scripts/lake-report.js" "$work/lake"

echo
echo "== Done in $(( $(date +%s) - t0 )) s; stopping radosgw"
