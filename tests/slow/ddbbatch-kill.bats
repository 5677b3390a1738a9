#!/usr/bin/env bats
# Slow: many kill -9 / SIGTERM rounds against a partitioned, sometimes
# gzipped ddbbatch fed by a live producer; every record read must end up in
# exactly one finished batch after the reruns. Runs under `make check-slow`.

bats_require_minimum_version 1.5.0
bats_load_library bats-support
bats_load_library bats-assert
load ../lib/batch

setup() {
	[ -n "${DDBLAKE_SLOW:-}" ] || skip "slow test: set DDBLAKE_SLOW=1"
	PATH="$DDBLAKE_BIN:$PATH"
	cd "$BATS_TEST_TMPDIR"
}

teardown() {
	[ -n "${PID:-}" ] && kill -9 "$PID" 2>/dev/null
	return 0
}

produce() {
	local i
	for ((i = $1; i <= $2; i++)); do
		printf '{"n":%d,"t":"p%d","pad":"abcdefghijklmnopqrstuvwxyz"}\n' \
			"$i" $((i % 4))
		((i % 50 == 0)) && sleep 0.01
	done
	return 0
}

@test "30 rounds of kill -9 and SIGTERM: every record read is kept exactly once" {
	next=1
	: >paths
	for round in $(seq 1 30); do
		gz=; [ $((round % 3)) -eq 0 ] && gz=-z
		sig=-9; [ $((round % 4)) -eq 0 ] && sig=-TERM
		produce "$next" $((next + 4000)) |
			ddbbatch -d out -f t -s 2K -r 40 $gz >>paths 2>>err &
		PID=$!
		sleep "0.$((RANDOM % 9 + 1))"
		kill "$sig" "$PID"
		wait "$PID" || true
		PID=
		run -0 --separate-stderr ddbbatch -d out -f t $gz </dev/null
		printf '%s\n' "${lines[@]}" >>paths
		[ -z "$(find out -name '.*.spool' -o -name '.*.tmp')" ]
		got=$(records out | numbers | sort -n)
		# (none yet when the kill came before the first record: a slow
		# start, as under the sanitizers)
		max=$(tail -n1 <<<"$got")
		max=${max:-0}
		[ -z "$(uniq -d <<<"$got")" ]
		[ "$(grep -c . <<<"$got")" -eq "$max" ]
		next=$((max + 1))
	done
	[ "$next" -gt 1000 ]
	[ "$(sed '/^$/d' paths | sort -u)" = "$(finals out)" ]
	# Each record sits in its own partition.
	for f in $(finals out); do
		p=${f#out/t=}; p=${p%%/*}
		run -1 grep -v "\"t\":\"$p\"" <(case $f in *.gz) gzip -dc "$f" ;; *) cat "$f" ;; esac)
	done
}
