#!/usr/bin/env bats
# scripts/rgw.sh itself: a second throw-away cluster beside the suite's,
# on its own ports and folder; stop kills exactly what start started.
bats_require_minimum_version 1.5.0

setup() {
	bats_load_library bats-support
	bats_load_library bats-assert
	rgw=$BATS_TEST_DIRNAME/../scripts/rgw.sh
	command -v radosgw >/dev/null || skip "radosgw not installed: run scripts/setup.sh"
	export RGW_DIR=$BATS_TEST_TMPDIR/rgw
	# A base port whose block of 50 (S3, mon, OSD messengers) is free.
	local p
	for p in $(seq $((30000 + RANDOM % 200 * 50)) 50 40000); do
		if ! ss -Hltn | awk '{ sub(/.*:/, "", $4); print $4 }' |
		    awk -v lo="$p" '$1 >= lo && $1 < lo + 50 { bad = 1 } END { exit !bad }'; then
			export RGW_PORT=$p
			break
		fi
	done
	[ -n "${RGW_PORT:-}" ] || skip "no free block of 50 ports"
}

teardown() {
	"$rgw" stop 2>/dev/null || true
}

@test "rgw.sh start serves signed S3 on 127.0.0.1 only; stop kills exactly its daemons and removes the folder" {
	run -0 "$rgw" start
	assert_output --regexp "radosgw ready on http://127.0.0.1:$RGW_PORT in [0-9]+ ms"
	run -0 "$rgw" status
	assert_output --partial "running: http://127.0.0.1:$RGW_PORT"
	pids=$(cat "$RGW_DIR"/run/*.pid)
	[ "$(echo "$pids" | wc -w)" -eq 3 ]
	# Every socket of these daemons listens on loopback only.
	for p in $pids; do
		run -0 bash -c "ss -Hltnp | grep 'pid=$p,' | awk '{print \$4}'"
		assert_output --regexp '127\.0\.0\.1:'
		refute_output --regexp '(^|[^0-9])(0\.0\.0\.0|\*|\[::\]):'
	done
	eval "$("$rgw" env)"
	run -0 curl -s -o /dev/null -w '%{http_code}' --aws-sigv4 aws:amz:us-east-1:s3 \
	    --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
	    -H 'x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' \
	    "$DDBLAKE_S3_ENDPOINT/"
	assert_output 200
	run -0 "$rgw" stop
	for p in $pids; do
		run -0 bash -c "[ ! -e /proc/$p ] || grep -q '^State:.*Z' /proc/$p/status"
	done
	[ ! -e "$RGW_DIR" ]
	run -1 "$rgw" status
	assert_output --partial "not running"
	run -0 "$rgw" stop
}

@test "rgw.sh stop-gateway and start-gateway restart only radosgw; objects survive" {
	run -0 "$rgw" start
	eval "$("$rgw" env)"
	osd=$(cat "$RGW_DIR/run/osd.0.pid")
	gw=$(cat "$RGW_DIR/run/radosgw.pid")
	# A signed request without a body.
	sig() {
		curl -s -o "$BATS_TEST_TMPDIR/body" -w '%{http_code}' --max-time 5 \
		    --aws-sigv4 aws:amz:us-east-1:s3 \
		    --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
		    -H "x-amz-content-sha256: $(printf '' | sha256sum | cut -d' ' -f1)" \
		    "$@"
	}
	run -0 sig -X PUT "$DDBLAKE_S3_ENDPOINT/keep-me"
	assert_output 200
	printf 'survives' >"$BATS_TEST_TMPDIR/obj"
	run -0 curl -s -o /dev/null -w '%{http_code}' --aws-sigv4 aws:amz:us-east-1:s3 \
	    --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
	    -H "x-amz-content-sha256: $(sha256sum <"$BATS_TEST_TMPDIR/obj" | cut -d' ' -f1)" \
	    -T "$BATS_TEST_TMPDIR/obj" "$DDBLAKE_S3_ENDPOINT/keep-me/o"
	assert_output 200
	run -0 "$rgw" stop-gateway
	run -7 curl -s -o /dev/null --max-time 5 "$DDBLAKE_S3_ENDPOINT/"
	run -1 "$rgw" status
	run -0 "$rgw" start-gateway
	[ "$(cat "$RGW_DIR/run/radosgw.pid")" != "$gw" ]
	[ "$(cat "$RGW_DIR/run/osd.0.pid")" = "$osd" ]
	run -0 sig "$DDBLAKE_S3_ENDPOINT/keep-me/o"
	assert_output 200
	run -0 cat "$BATS_TEST_TMPDIR/body"
	assert_output survives
}

@test "rgw.sh env prints the exports S3 clients need" {
	run -0 "$rgw" env
	assert_line "export DDBLAKE_S3_ENDPOINT=http://127.0.0.1:$RGW_PORT"
	assert_line "export AWS_REGION=us-east-1"
	assert_line "export AWS_EC2_METADATA_DISABLED=true"
	assert_line --regexp '^export AWS_ACCESS_KEY_ID=[A-Z0-9]{20}$'
	assert_line --regexp '^export AWS_SECRET_ACCESS_KEY=.{40}$'
}

@test "rgw.sh start refuses a busy port with a clear message and leaves nothing behind" {
	python3 -c 'import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen()
open(sys.argv[2], "w").close(); time.sleep(30)' "$RGW_PORT" "$BATS_TEST_TMPDIR/ready" 3>&- &
	holder=$!
	for _ in $(seq 100); do [ -e "$BATS_TEST_TMPDIR/ready" ] && break; sleep 0.05; done
	run -1 "$rgw" start
	kill "$holder"
	assert_output "rgw.sh: port $RGW_PORT on 127.0.0.1 is in use (set RGW_PORT)"
	[ ! -e "$RGW_DIR" ]
}

@test "rgw.sh stop will not remove a folder it did not make" {
	mkdir -p "$RGW_DIR"
	echo precious >"$RGW_DIR/file"
	run -1 "$rgw" stop
	assert_output "rgw.sh: $RGW_DIR: not an rgw.sh folder, not touching it"
	[ -f "$RGW_DIR/file" ]
	rm -rf "$RGW_DIR"
}

@test "rgw.sh rejects a bad RGW_PORT and an unknown command" {
	RGW_PORT=abc run -1 "$rgw" env
	assert_output "rgw.sh: RGW_PORT must be a number: abc"
	run -2 "$rgw" restart
	assert_output "usage: scripts/rgw.sh start|stop|status|env|stop-gateway|start-gateway"
}
