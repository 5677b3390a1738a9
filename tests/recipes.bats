#!/usr/bin/env bats
# Recipes from ddblake(7) that the other suites do not already run.
# needs: rgw
load lib/common
load lib/s3

setup() {
	cd "$BATS_TEST_TMPDIR"
}

@test "ddblake(7) cron recipe: a killed ddbbatch and an s3put that never ran; the cron script delivers all, once" {
	s3_setup
	for i in $(seq 1 3000); do
		printf '{"id":%d,"_ddb_table":"t%d","pad":"%0200d"}\n' "$i" $((i % 3)) 0
	done >in.json
	# A pipeline whose uploader died: ddbbatch hands batches to nobody and
	# is killed with the last batch still open.
	( cat in.json; sleep 30 ) | ddbbatch --dir spool --max-records 700 \
	    --partition-field _ddb_table >handed.txt &
	pid=$!
	for _ in $(seq 1 100); do
		[ "$(wc -l <handed.txt)" -ge 4 ] && break
		sleep 0.1
	done
	kill -9 "$pid"
	wait "$pid" 2>/dev/null || true
	pkill -f 'sleep 30' || true
	# the cron script, verbatim from ddblake(7) but for the paths
	run -0 bash -c '
		ddbbatch --dir spool </dev/null >/dev/null
		find spool -name "ddb-*.json*" ! -name ".*" |
		    s3put --endpoint-url "$DDBLAKE_S3_ENDPOINT" --path-style \
		    --remove "s3://'"$S3_BUCKET"'/lake/"'
	# every record is in the bucket exactly once; nothing is left locally
	[ -z "$(find spool -type f ! -name .ddbbatch.lock)" ]
	mkdir got
	s3_aws s3 sync --only-show-errors "s3://$S3_BUCKET/lake" got
	run -0 bash -c "find got -type f -exec cat {} + | jq -r .id | sort -n | uniq -c | awk '\$1 != 1' | wc -l"
	assert_output 0
	[ "$(find got -type f -exec cat {} + | wc -l)" -eq 3000 ]
	# the partition directories became key segments
	run -0 s3_ls "$S3_BUCKET" lake/_ddb_table=t1/
	[ "${#lines[@]}" -ge 1 ]
}
