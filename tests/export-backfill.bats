#!/usr/bin/env bats
# scripts/export-backfill.sh: a synthetic DynamoDB export folder (several
# gzip data files, one empty, manifests as AWS writes them) into radosgw;
# the lake is counted with DuckDB.
# needs: rgw
load lib/common
load lib/s3

ID=01700000000000-a1b2c3d4

setup() {
	cd "$BATS_TEST_TMPDIR"
}

# make_export ITEMS_PER_FILE...: export/AWSDynamoDB/$ID with one gzip data
# file per argument (0 gives an empty file), items from generated INSERT
# images, and manifests whose counts are right.
make_export() {
	local e=export/AWSDynamoDB/$ID n i=0 total=0 k
	mkdir -p "$e/data"
	"$TOP/scripts/gen-corpus" --records 3000 --unique-ids |
	    jq -c 'select(.eventName == "INSERT" and .tableName == "orders") |
		{Item: .dynamodb.NewImage}' >items.jsonl
	: >"$e/manifest-files.json"
	for n in "$@"; do
		i=$((i + 1))
		k=AWSDynamoDB/$ID/data/file$i-EXAMPLE.json.gz
		if [ "$n" = 0 ]; then
			: >"export/$k"   # AWS writes empty files for empty partitions
		else
			sed -n "$((total + 1)),$((total + n))p" items.jsonl | gzip >"export/$k"
		fi
		total=$((total + n))
		printf '{"itemCount":%d,"md5Checksum":"x","etag":"y","dataFileS3Key":"%s"}\n' \
		    "$n" "$k" >>"$e/manifest-files.json"
	done
	head -n "$total" items.jsonl >want.jsonl
	cat >"$e/manifest-summary.json" <<JSON
{"version":"2020-06-30","exportArn":"arn:aws:dynamodb:us-east-1:123456789012:table/Orders/export/$ID",
 "startTime":"2024-06-26T07:28:34.028Z","endTime":"2024-06-26T07:33:43.897Z",
 "tableArn":"arn:aws:dynamodb:us-east-1:123456789012:table/Orders","tableId":"t",
 "exportTime":"2024-06-26T07:28:34.028Z","s3Bucket":"b","s3Prefix":null,"s3SseAlgorithm":"AES256",
 "s3SseKmsKeyId":null,"manifestFilesS3Key":"AWSDynamoDB/$ID/manifest-files.json",
 "billedSizeBytes":0,"itemCount":$total,"outputFormat":"DYNAMODB_JSON"}
JSON
}

backfill() {
	"$TOP/scripts/export-backfill.sh" --jobs 2 --dir spool "$@" \
	    -- --endpoint-url "$DDBLAKE_S3_ENDPOINT" --path-style
}

LAKE="read_json_auto('lake/**/*.json.gz', hive_partitioning = true, union_by_name = true)"
dq() { node "$TOP/tests/lib/duckq.js" "$1"; }

@test "export-backfill: every item of a full export lands, partitioned by table and export date" {
	s3_setup
	make_export 150 0 90 120
	run -0 --separate-stderr backfill export "s3://$S3_BUCKET/lake/"
	[[ $stderr == *"360 items converted, as manifest-summary.json says"* ]]
	s3_aws s3 sync --only-show-errors "s3://$S3_BUCKET/lake" lake
	run -0 dq "select table_name, dt::varchar, count(*), count(distinct pk || sk) from $LAKE group by all"
	assert_output "Orders	2024-06-26	360	360"
	# The same items, value for value (ids and amounts from the input).
	jq -r '.Item | [.pk.S, .sk.S, .totalAmount.N] | @tsv' want.jsonl | LC_ALL=C sort >want.tsv
	dq "select pk, sk, totalAmount from $LAKE" | LC_ALL=C sort >got.tsv
	run -0 diff want.tsv got.tsv
	# Nothing left behind in the spool.
	[ "$(find spool -name '*.json*' | wc -l)" = 0 ]
}

@test "export-backfill: an itemCount mismatch is reported and exits 1 (the items still land)" {
	s3_setup
	make_export 40 60
	jq -c '.itemCount = 101' "export/AWSDynamoDB/$ID/manifest-summary.json" >s
	mv s "export/AWSDynamoDB/$ID/manifest-summary.json"
	run -1 --separate-stderr backfill "export/AWSDynamoDB/$ID" "s3://$S3_BUCKET/lake/"
	[[ $stderr == *"count mismatch: 100 items converted, manifest-summary.json says 101"* ]]
	[ "$(s3_count "$S3_BUCKET" lake/)" -ge 1 ]
}

@test "export-backfill: a data file named in the manifest but missing stops before uploading" {
	s3_setup
	make_export 10 10
	rm "export/AWSDynamoDB/$ID/data/file2-EXAMPLE.json.gz"
	run -1 --separate-stderr backfill export "s3://$S3_BUCKET/lake/"
	[[ $stderr == *"file2-EXAMPLE.json.gz: data file not found"* ]]
	[ "$(s3_count "$S3_BUCKET" lake/)" = 0 ]
}
