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
	run -6 --separate-stderr timeout -k 5 60 s3put --endpoint-url "$srv" \
	    --retry-time 3s --attempt-timeout 1h --max-attempts 100 s3://b f.json
	[ $((SECONDS - start)) -lt 20 ]
	[[ $stderr == *"PutObject s3://b/"*"timed out"*"gave up after"* ]]
	[[ $stderr == *"f.json: not uploaded, left in place"* ]]
	[ -e f.json ]
}

@test "a server whose answer never ends: --attempt-timeout ends each try, exit 6 after --max-attempts" {
	faultsrv endless
	start=$SECONDS
	run -6 --separate-stderr timeout -k 5 60 s3put --endpoint-url "$srv" \
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

# started PID N: wait until process PID runs N threads (s3put: main, the
# signal thread and --jobs workers), so a signal now reaches its watcher.
started() {
	for _ in $(seq 200); do
		[ "$(find "/proc/$1/task" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)" -ge "$2" ] && return 0
		sleep 0.05
	done
	fail "process $1 did not start its threads"
}

# wait_bounded PID SECONDS: wait for PID, killing it after SECONDS; its
# exit status in $rc (137 when it had to be killed).
wait_bounded() {
	rc=0
	(sleep "$2"; kill -KILL "$1" 2>/dev/null) 3>&- &
	local wd=$!
	wait "$1" || rc=$?
	kill "$wd" 2>/dev/null || true
	wait "$wd" 2>/dev/null || true
}

@test "a FIFO in the list is refused at once, never read: the other files go on" {
	mkfifo pipe
	mkdir dir
	faultsrv hold --go go
	touch go
	run -1 --separate-stderr timeout -k 5 20 s3put --endpoint-url "$srv" --key '{name}' s3://b pipe dir f.json
	[[ $stderr == *"s3put: pipe: not a regular file (a FIFO): only regular files are uploaded"* ]]
	[[ $stderr == *"s3put: dir: not a regular file (a directory)"* ]]
	assert_output "s3://b/f.json $(md5sum f.json | cut -d' ' -f1)"
	# A path list that names it is no different.
	run -1 --separate-stderr timeout -k 5 20 s3put --endpoint-url "$srv" s3://b <<<pipe
	[[ $stderr == *"pipe: not a regular file (a FIFO)"* ]]
}

@test "SIGTERM while a stalled server holds the request: exit 6 at once, the file kept" {
	faultsrv stall
	s3put --endpoint-url "$srv" --jobs 1 --retry-time 1h --attempt-timeout 1h \
	    --key '{name}' s3://b f.json >out 2>err 3>&- &
	pid=$!
	wait_request
	kill -TERM "$pid"
	start=$SECONDS
	wait_bounded "$pid" 30
	cat err
	[ "$rc" -eq 6 ]
	[ $((SECONDS - start)) -lt 10 ]
	grep -q "PutObject s3://b/f.json: interrupted" err
	grep -q "f.json: not uploaded, left in place" err
	[ -e f.json ]
	[ ! -s out ]
}

# stdin_term ARGS...: s3put ARGS with its stdin a FIFO held open (fd 7)
# after writing $feed to it; SIGTERM once it runs. Exit status in $rc.
stdin_term() {
	mkfifo in
	s3put --jobs 1 "$@" <in >out 2>err 3>&- &
	pid=$!
	exec 7>in
	printf '%s' "${feed:-}" >&7
	started "$pid" 3
	kill -TERM "$pid"
	wait_bounded "$pid" 20
	exec 7>&-
	cat err
}

@test "SIGTERM while s3put waits for paths on stdin: exit 6 at once" {
	stdin_term --endpoint-url http://127.0.0.1:9 s3://b
	[ "$rc" -eq 6 ]
}

@test "SIGTERM while s3put copies stdin for '-': exit 6 at once, nothing sent" {
	faultsrv hold --go go
	feed=partial stdin_term --endpoint-url "$srv" --key k s3://b -
	[ "$rc" -eq 6 ]
	[ ! -s srv.log ]
}

# held_put FILE ACTION: upload FILE with --remove to a server that holds
# the request until told; run ACTION (shell) meanwhile, then let it
# answer. s3put's exit status in $rc, its streams in out and err.
held_put() {
	rm -f go
	: >srv.log
	s3put --endpoint-url "$srv" --remove --key '{name}' s3://b "$1" \
	    >out 2>err 3>&- &
	pid=$!
	wait_request
	eval "$2"
	touch go
	wait_bounded "$pid" 30
	cat err
}

@test "--remove keeps a file that grew or changed while it was uploaded: a warning, exit 1" {
	faultsrv hold --go go
	printf 'one\n' >grows.json
	held_put grows.json 'printf "two\n" >>grows.json'
	[ "$rc" -eq 1 ]
	# The object went up (the bytes read), its line printed; the file stays.
	run -0 cat out
	assert_output "s3://b/grows.json $(printf 'one\n' | md5sum | cut -d' ' -f1)"
	run -0 cat err
	assert_output "s3put: warning: grows.json: kept, not removed: its size changed while it was uploaded (the object holds the bytes read before)"
	[ "$(cat grows.json)" = "$(printf 'one\ntwo')" ]
	# Same size, new bytes: the mtime tells.
	printf 'abc\n' >same.json
	held_put same.json 'sleep 0.02; printf "xyz\n" >same.json'
	[ "$rc" -eq 1 ]
	grep -q "same.json: kept, not removed: it was written to while it was uploaded" err
	[ "$(cat same.json)" = xyz ]
	# Replaced by another file under the same name.
	printf 'old\n' >moved.json
	held_put moved.json 'printf "new\n" >new.json; touch -r moved.json new.json; mv new.json moved.json'
	[ "$rc" -eq 1 ]
	grep -q "moved.json: kept, not removed: the path names another file now" err
	[ "$(cat moved.json)" = new ]
	# Untouched: removed, exit 0.
	printf 'calm\n' >calm.json
	held_put calm.json :
	[ "$rc" -eq 0 ]
	[ ! -e calm.json ]
	[ ! -s err ]
}

@test "--dry-run never prints the session token, even with CR/LF or double spaces (environment, credentials file)" {
	for tok in $'FQoTOKEN\r\nX-Evil: SECRETPART' 'FQoTOKEN  SECRETPART  x' \
	    $'\tFQoTOKEN SECRETPART\t' 's3'; do
		run -0 --separate-stderr env AWS_SESSION_TOKEN="$tok" \
		    s3put -n --region eu-west-1 --key '{name}' s3://lake f.json
		assert_line "    x-amz-security-token:<session token not shown>"
		refute_output --partial FQoTOKEN
		refute_output --partial SECRETPART
		refute_output --partial X-Evil
		[[ $stderr != *FQoTOKEN* ]]
	done
	# A token "s3" is masked where it stands, not wherever "s3" appears.
	assert_line "    host:lake.s3.eu-west-1.amazonaws.com"
	unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
	printf '[default]\naws_access_key_id = AKIDFILE\naws_secret_access_key = file-secret\naws_session_token = FQoTOKEN  SECRETPART   end\n' >creds
	run -0 --separate-stderr env AWS_SHARED_CREDENTIALS_FILE="$PWD/creds" \
	    s3put -n --region eu-west-1 --key '{name}' s3://lake f.json
	assert_line "    x-amz-security-token:<session token not shown>"
	refute_output --partial FQoTOKEN
	refute_output --partial SECRETPART
	refute_output --partial file-secret
}

@test "a session token with a line break is refused, never sent as a header" {
	faultsrv hold --go go
	touch go
	run -2 --separate-stderr env AWS_SESSION_TOKEN=$'tok\r\nX-Evil: 1' \
	    s3put --endpoint-url "$srv" --key '{name}' s3://b f.json
	[[ ${stderr_lines[0]} == "s3put: PutObject s3://b/f.json: header x-amz-security-token holds a line break" ]]
	[[ $stderr != *X-Evil* ]]
	[ ! -s srv.log ]
	[ -e f.json ]
}

@test "stdout on a full disk: the message names the real reason, --remove keeps the file, exit 4" {
	faultsrv hold --go go
	touch go
	run -4 --separate-stderr bash -c 's3put --endpoint-url "$1" --remove --key "{name}" s3://b f.json >/dev/full' _ "$srv"
	assert_equal "$stderr" "$(printf '%s\n' \
	    's3put: f.json: kept: its result line could not be written' \
	    's3put: write error: stdout: No space left on device')"
	[ -e f.json ]
	run -4 --separate-stderr bash -c 's3put --endpoint-url "$1" --json --key "{name}" s3://b f.json >/dev/full' _ "$srv"
	assert_equal "${stderr_lines[0]}" "s3put: write error: stdout: No space left on device"
}

@test "--dry-run at the most --metadata with every object header: all of them signed; one more is refused" {
	meta=()
	for i in $(seq -w 1 32); do meta+=(--metadata "key$i=v$i"); done
	run -0 --separate-stderr s3put -n --region eu-west-1 --key '{name}' "${meta[@]}" \
	    --sse aws:kms --sse-kms-key-id k1 --acl bucket-owner-full-control \
	    --storage-class STANDARD_IA --content-encoding ddb-test s3://lake f.json
	[ "$(grep -c '^    x-amz-meta-key[0-3][0-9]:v[0-3][0-9]$' <<<"$output")" -eq 32 ]
	signed=$(sed -n 's/^    \(content-encoding;.*x-amz-storage-class\)$/\1/p' <<<"$output")
	[ "$(tr ';' '\n' <<<"$signed" | grep -c '^x-amz-meta-key')" -eq 32 ]
	for h in x-amz-server-side-encryption x-amz-server-side-encryption-aws-kms-key-id \
	    x-amz-acl x-amz-storage-class content-encoding content-type content-md5; do
		tr ';' '\n' <<<"$signed" | grep -qx "$h"
	done
	run -2 --separate-stderr s3put -n "${meta[@]}" --metadata key33=v s3://lake f.json
	assert_equal "${stderr_lines[0]}" "s3put: --metadata: at most 32"
	run -2 --separate-stderr s3put -n --metadata $'a=1\r\nX-Evil: 1' s3://lake f.json
	assert_equal "${stderr_lines[0]}" "s3put: --metadata: the value of 'a' holds a control character"
}
