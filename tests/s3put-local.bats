#!/usr/bin/env bats
# s3put against loopback servers that misbehave on purpose (tests/lib/
# faultsrv.py: a server that stalls, trickles its answer or never ends it,
# which no real S3 server can be made to do), and against local files that
# are not what they seem. Each server is stopped by PID in teardown.
bats_require_minimum_version 1.5.0
load lib/common

setup() {
	cd "$BATS_TEST_TMPDIR" || return
	for v in $(env | sed -n 's/^\(AWS_[A-Z0-9_]*\)=.*/\1/p'); do unset "$v"; done
	export AWS_ACCESS_KEY_ID=AKIDLOCALTEST AWS_SECRET_ACCESS_KEY=local-test-secret \
	    AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true HOME=$BATS_TEST_TMPDIR
	srv_pid=
	echo data >f.json
}

teardown() {
	if [ -n "$srv_pid" ]; then
		kill "$srv_pid" 2>/dev/null || true
		wait "$srv_pid" 2>/dev/null || true
	fi
}

# faultsrv MODE [OPTIONS]: start it; its URL in $srv, its log in srv.log.
faultsrv() {
	: >srv.log
	python3 "$TOP/tests/lib/faultsrv.py" "$1" port srv.log "${@:2}" 3>&- &
	srv_pid=$!
	for _ in $(seq 100); do
		[ -s port ] && break
		sleep 0.05
	done
	[ -s port ] || fail "faultsrv.py $1 did not start"
	srv=http://127.0.0.1:$(cat port)
}

# wait_request: until the server has read a whole request.
wait_request() {
	for _ in $(seq 200); do
		[ -s srv.log ] && return 0
		sleep 0.05
	done
	fail "no request reached the server"
}

put() {
	s3put --endpoint-url "$srv" --key '{name}' "$@"
}

@test "a server that trickles its answer: --retry-time bounds the whole request, exit 6, file kept" {
	faultsrv trickle
	start=$SECONDS
	run -6 --separate-stderr timeout 60 s3put --endpoint-url "$srv" \
	    --retry-time 3s --attempt-timeout 1h --max-attempts 100 s3://b f.json
	[ $((SECONDS - start)) -lt 20 ]
	[[ $stderr == *"PutObject s3://b/"*"timed out"*"gave up after"* ]]
	[[ $stderr == *"f.json: not uploaded, left in place"* ]]
	[ -e f.json ]
}

@test "a server whose answer never ends: --attempt-timeout ends each try, exit 6 after --max-attempts" {
	faultsrv endless
	start=$SECONDS
	run -6 --separate-stderr timeout 60 s3put --endpoint-url "$srv" \
	    --attempt-timeout 1s --retry-time 1h --max-attempts 2 s3://b f.json
	[ $((SECONDS - start)) -lt 20 ]
	[[ $stderr == *"timed out"*"gave up after 2 attempts"* ]]
	[ "$(grep -c '^PUT ' srv.log)" -eq 2 ]
	[ -e f.json ]
}

@test "--attempt-timeout and --retry-time take durations above zero" {
	run -2 --separate-stderr s3put --attempt-timeout 0 s3://b f.json
	[[ ${stderr_lines[0]} == "s3put: --attempt-timeout: bad duration '0'"* ]]
	run -2 --separate-stderr s3put --retry-time soon s3://b f.json
	[[ ${stderr_lines[0]} == "s3put: --retry-time: bad duration 'soon'"* ]]
}
