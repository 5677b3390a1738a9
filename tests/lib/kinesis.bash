# kinesis.bash: bats helpers for tests that talk to Kinesis through
# kinesalite (npm, pinned in scripts/node/package.json), a real Kinesis
# implementation that runs in node.
#
#   kinesalite_start       start it on a free 127.0.0.1 port; sets
#                          $KINESIS_ENDPOINT and test credentials
#   kinesalite_stop        stop the one this test started
#   kaws ARGS...           awscli's kinesis commands against it
#
# kinesalite accepts any signature and keeps its streams in memory.

kinesalite_start() {
	local p=$((20000 + RANDOM % 12000))
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		ss -Hltn "sport = :$p" | grep -q . || break
		p=$((p + 1))
	done
	node -e "require('$TOP/scripts/node/node_modules/kinesalite')({createStreamMs: 0,
	    deleteStreamMs: 0, updateStreamMs: 0}).listen($p, '127.0.0.1')" \
	    </dev/null >"$BATS_TEST_TMPDIR/kinesalite.log" 2>&1 3>&- &
	KINESALITE_PID=$!
	KINESIS_ENDPOINT=http://127.0.0.1:$p
	export KINESIS_ENDPOINT AWS_ACCESS_KEY_ID=kinesalite AWS_SECRET_ACCESS_KEY=kinesalite
	export AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true AWS_PAGER=
	for _ in $(seq 50); do
		curl -s -o /dev/null --max-time 1 "$KINESIS_ENDPOINT" && return 0
		sleep 0.1
	done
	cat "$BATS_TEST_TMPDIR/kinesalite.log" >&2
	fail "kinesalite did not start on $KINESIS_ENDPOINT"
}

kinesalite_stop() {
	[ -n "${KINESALITE_PID:-}" ] || return 0
	kill "$KINESALITE_PID" 2>/dev/null || true
	wait "$KINESALITE_PID" 2>/dev/null || true
	KINESALITE_PID=
}

kaws() {
	aws --endpoint-url "$KINESIS_ENDPOINT" --output json kinesis "$@" </dev/null
}
