#!/usr/bin/env bats
# s3put under faults, against a radosgw cluster of its own (scripts/rgw.sh
# on RGW_PORT=${S3PUT_FAULT_PORT:-37480}), because these tests stop and
# restart the gateway and must not disturb the suite's shared server:
#   - radosgw stopped in the middle of a run and started again: the
#     retries deliver every file, once;
#   - s3put killed with SIGKILL in the middle of a multipart upload: a
#     rerun completes, nothing is lost and nothing is duplicated.
# Only the radosgw daemon is restarted (its objects live in the OSD, which
# keeps running): scripts/rgw.sh stop-gateway / start-gateway.
bats_require_minimum_version 1.5.0
bats_load_library bats-support
bats_load_library bats-assert
load ../lib/s3

setup_file() {
	command -v radosgw >/dev/null || skip "radosgw not installed (scripts/setup.sh)"
	top=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
	export RGW_PORT=${S3PUT_FAULT_PORT:-37480}
	# Short: unix socket paths inside it must stay under 108 bytes.
	RGW_DIR=/tmp/s3pf.$$.$RANDOM
	export RGW_DIR RGW_MEM=3G
	"$top/scripts/rgw.sh" start >&3 2>&1
	eval "$("$top/scripts/rgw.sh" env)"
	export DDBLAKE_S3_ENDPOINT AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY \
	    AWS_REGION AWS_DEFAULT_REGION AWS_EC2_METADATA_DISABLED
}

teardown_file() {
	top=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
	if [ -n "${RGW_DIR:-}" ]; then
		"$top/scripts/rgw.sh" stop >&3 2>&1 || true
		rm -rf "$RGW_DIR"
	fi
}

setup() {
	PATH="$DDBLAKE_BIN:$PATH"
	cd "$BATS_TEST_TMPDIR"
}

teardown() {
	# Never leave the gateway down for the next test.
	if ! gw_up; then gw_start; fi
}

gw_up() {
	curl -s -o /dev/null -m 2 "$DDBLAKE_S3_ENDPOINT/"
}

# scripts/rgw.sh stop-gateway / start-gateway restart only radosgw; the
# restarted daemon must not hold bats' fd 3 or the test's fifo (fd 7).
gw_stop() {
	"$BATS_TEST_DIRNAME/../../scripts/rgw.sh" stop-gateway
}

gw_start() {
	"$BATS_TEST_DIRNAME/../../scripts/rgw.sh" start-gateway 3>&- 7>&-
}

put() {
	s3put --endpoint-url "$DDBLAKE_S3_ENDPOINT" --path-style "$@"
}

# For `bgput ... &`: exec, so $! is s3put itself and signals reach it.
bgput() {
	exec s3put --endpoint-url "$DDBLAKE_S3_ENDPOINT" --path-style "$@"
}

# Wait until the bucket has a multipart upload in progress: the moment to
# interrupt s3put "mid-upload".
wait_upload() {
	local keys
	for _ in $(seq 100); do
		keys=$(s3_aws s3api list-multipart-uploads --bucket "$1" \
		    --query 'Uploads[].Key' --output text)
		[ -n "$keys" ] && [ "$keys" != None ] && return 0
		sleep 0.1
	done
	return 1
}

@test "s3put faults: radosgw stopped mid-run and restarted: retries deliver every file once" {
	s3_setup
	mkdir -p out/dt=2024-06-25
	for i in $(seq -w 1 20); do
		head -c 200000 /dev/urandom >"out/dt=2024-06-25/ddb-2024-06-25-10-00-$i-000-u$i.json"
	done
	mkfifo in
	bgput --retry-time 2m --stats stats.json "s3://$S3_BUCKET/lake" <in >up.out 2>up.err &
	pid=$!
	exec 7>in
	ls out/dt=2024-06-25/*-0[1-9]-000-* out/dt=2024-06-25/*-10-000-* >&7
	for _ in $(seq 300); do
		[ "$(wc -l <up.out)" -ge 10 ] && break
		sleep 0.1
	done
	[ "$(wc -l <up.out)" -eq 10 ]
	gw_stop
	ls out/dt=2024-06-25/*-1[1-9]-000-* out/dt=2024-06-25/*-20-000-* >&7
	sleep 3			# s3put is retrying against a closed port now
	kill -0 "$pid"
	gw_start
	exec 7>&-
	rc=0
	wait "$pid" || rc=$?
	cat up.err
	[ "$rc" -eq 0 ]
	[ "$(wc -l <up.out)" -eq 20 ]
	[ "$(cut -d' ' -f1 up.out | sort -u | wc -l)" -eq 20 ]
	run -0 jq -r '.retried > 0 and .objects == 20 and .failed == 0' stats.json
	assert_output true
	[ "$(s3_count "$S3_BUCKET")" -eq 20 ]
	for f in out/dt=2024-06-25/*-1[5-9]-000-*; do
		s3_get "$S3_BUCKET" "lake/dt=2024-06-25/2024/06/25/10/${f##*/}" got
		cmp got "$f"
	done
}

@test "s3put faults: SIGKILL mid multipart upload; the rerun completes, nothing lost or duplicated" {
	s3_setup
	head -c $((600 << 20)) /dev/urandom >big.bin
	echo small >small.json
	bgput --jobs 1 --part-size 5M --multipart-threshold 5M --remove \
	    --key '{name}' "s3://$S3_BUCKET" small.json big.bin >first.out 2>first.err &
	pid=$!
	wait_upload "$S3_BUCKET"
	kill -9 "$pid"
	wait "$pid" || true
	# Killed mid-upload: big.bin was not reported, and is still here.
	run -1 grep -c big.bin first.out
	[ -e big.bin ]
	[ ! -e small.json ]
	run -0 s3_ls "$S3_BUCKET"
	assert_output "small.json"
	cp big.bin want.bin
	run -0 --separate-stderr put --jobs 2 --part-size 5M --multipart-threshold 5M \
	    --remove --key '{name}' "s3://$S3_BUCKET" big.bin
	assert_output --regexp "^s3://$S3_BUCKET/big.bin [0-9a-f]{32}-120\$"
	[ ! -e big.bin ]
	run -0 s3_ls "$S3_BUCKET"
	assert_output "$(printf 'big.bin\nsmall.json')"
	s3_get "$S3_BUCKET" big.bin got
	cmp got want.bin
}

@test "s3put faults: SIGTERM mid multipart upload aborts it (no orphaned parts), exit 6, file kept" {
	s3_setup
	head -c $((600 << 20)) /dev/urandom >big.bin
	bgput --jobs 1 --part-size 5M --multipart-threshold 5M --remove \
	    --key '{name}' "s3://$S3_BUCKET" big.bin >out 2>err &
	pid=$!
	wait_upload "$S3_BUCKET"
	kill -TERM "$pid"
	rc=0
	wait "$pid" || rc=$?
	echo "exit $rc"; cat err
	[ "$rc" -eq 6 ]
	grep -q "interrupted" err
	[ -e big.bin ]
	[ ! -s out ]
	run -0 s3_aws s3api list-multipart-uploads --bucket "$S3_BUCKET" \
	    --query 'Uploads[].Key' --output text
	assert_output "None"
	[ "$(s3_count "$S3_BUCKET")" -eq 0 ]
}
