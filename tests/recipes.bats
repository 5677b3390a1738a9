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
	# is killed with the last batch still open. Its input is a fifo held
	# open here, so no end of input closes that batch first.
	mkfifo in.fifo
	ddbbatch --dir spool --max-records 700 --partition-field _ddb_table \
	    <in.fifo >handed.txt &
	pid=$!
	exec 8>in.fifo
	cat in.json >&8
	# 1000 records per table, 700 a batch: three full batches handed on.
	for _ in $(seq 1 100); do
		[ "$(wc -l <handed.txt)" -ge 3 ] && break
		sleep 0.1
	done
	[ "$(wc -l <handed.txt)" -eq 3 ]
	kill -9 "$pid"
	rc=0; wait "$pid" || rc=$?
	exec 8>&-
	[ "$rc" -eq 137 ]
	# The kill left work for the cron script: an unfinished batch.
	[ -n "$(find spool -name '.*.spool')" ]
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
	# (a jq failure, say on a gzipped object, cannot pass for "no
	# duplicates": the ids are compared whole)
	ids=$(find got -type f -exec cat {} + | jq -r .id | sort -n)
	[ "$ids" = "$(seq 1 3000)" ]
	# the partition directories became key segments
	run -0 s3_ls "$S3_BUCKET" lake/_ddb_table=t1/
	[ "${#lines[@]}" -ge 1 ]
}
