#!/usr/bin/env bats
# ddbbatch: limits, the idle timer, partitions and sanitising, gzip read back
# by gzip and DuckDB, oversize records, signals, kill -9 recovery, full and
# unwritable disks, bad partition programs, usage errors.

bats_require_minimum_version 1.5.0
bats_load_library bats-support
bats_load_library bats-assert
load lib/batch

setup() {
	PATH="$DDBLAKE_BIN:$PATH"
	TOP=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
	cd "$BATS_TEST_TMPDIR"
	MNT=
}

teardown() {
	# Stop anything a test left running (only our own children).
	[ -n "${PID:-}" ] && kill -9 "$PID" 2>/dev/null
	exec 7>&- 2>/dev/null || true
	if [ -n "$MNT" ] && mountpoint -q "$MNT"; then
		umount "$MNT"
	fi
	return 0
}

# tmpfs MNT SIZE [ro]: mount a small tmpfs or skip with the reason.
tmpfs() {
	MNT=$1
	mkdir -p "$MNT"
	local err
	err=$(mount -t tmpfs -o "size=$2${3:+,$3}" tmpfs "$MNT" 2>&1) ||
		skip "cannot mount a tmpfs here: $err"
}

# start_fifo ARGS...: run ddbbatch ARGS in the background reading the fifo
# "in" (kept open on fd 7), stdout to paths, stderr to err; sets PID.
start_fifo() {
	rm -f in
	mkfifo in
	ddbbatch "$@" <in >paths 2>err &
	PID=$!
	exec 7>in
}

@test "--help lists the options" {
	run -0 ddbbatch --help
	assert_output --partial 'usage: ddbbatch'
	assert_output --partial '--max-partitions N'
}

@test "usage errors exit 2 with one reason and the synopsis" {
	run -2 --separate-stderr ddbbatch --max-bytes 12X
	[[ $stderr == *"--max-bytes: bad size '12X'"* ]]
	[[ $stderr == *"try 'ddbbatch --help'"* ]]
	run -2 --separate-stderr ddbbatch --gzip=12
	[[ $stderr == *"--gzip: level must be 0 to 9"* ]]
	run -2 --separate-stderr ddbbatch -p '{a:.a}' -f a
	[[ $stderr == *"exclude each other"* ]]
	run -2 --separate-stderr ddbbatch --max-records 0
	[[ $stderr == *"--max-records"* ]]
	run -2 --separate-stderr ddbbatch --name ../x
	[[ $stderr == *"--name"* ]]
	run -2 --separate-stderr ddbbatch --max-age 5x
	[[ $stderr == *"--max-age: bad duration"* ]]
	run -2 --separate-stderr ddbbatch --bogus
	[[ $stderr == *"try 'ddbbatch --help'"* ]]
	# Nothing was created by a rejected command line.
	[ ! -e spool ]
}

@test "a partition program that does not compile is a usage error" {
	run -2 --separate-stderr ddbbatch -d out -p '{a: .x' </dev/null
	[[ $stderr == *"--partition:"*"syntax error"* ]]
	[ ! -e out ]
}

@test "--max-bytes: batches never pass the limit, never split a record" {
	flat 500 >in
	run -0 --separate-stderr ddbbatch -d out -s 4K in
	[ -z "$stderr" ]
	# Each printed path is a finished file; together they are the input.
	[ "$(printf '%s\n' "$output" | sort)" = "$(finals out)" ]
	for f in $(finals out); do
		[ "$(wc -c <"$f")" -le 4096 ]
		[ "$(tail -c1 "$f" | od -An -c | tr -d ' ')" = '\n' ]
	done
	cmp <(records out) in
	# Full batches: each one would have overflowed with the next record.
	n=$(finals out | wc -l)
	[ "$n" -ge $(( $(wc -c <in) / 4096 )) ]
	[ "$n" -le $(( $(wc -c <in) * 2 / 4096 )) ]
}

@test "--max-records: every batch holds N records, the last the rest" {
	flat 50 >in
	run -0 ddbbatch -d out -r 7 -s 1G in
	[ "${#lines[@]}" -eq 8 ]
	counts=$(for f in "${lines[@]}"; do wc -l <"$f"; done | sort -n | uniq -c |
		awk '{print $1 "x" $2}' | tr '\n' ' ')
	[ "$counts" = "1x1 7x7 " ]
	cmp <(records out) in
}

@test "the age limit fires on an idle stream without closing stdin" {
	start_fifo -d out -t 2s
	flat 1 >&7
	# Not before the age limit...
	sleep 1
	[ ! -s paths ]
	# ...but within it plus a generous margin for a loaded machine.
	wait_for 15 lines_in paths 1
	kill -0 "$PID"		# still running, stdin still open
	run cat "$(cat paths)"
	assert_output "$(flat 1)"
	# A second record opens a new batch; end of input closes it.
	flat 1 2 >&7
	exec 7>&-
	wait "$PID"
	PID=
	[ "$(wc -l <paths)" -eq 2 ]
	cmp <(records out) <(flat 2)
}

@test "--max-age counts from the batch's first record" {
	start_fifo -d out -t 3s
	flat 1 >&7
	sleep 2
	flat 1 2 >&7
	wait_for 15 lines_in paths 1
	# Both records were in one batch, closed by the first one's age.
	run cat "$(head -n1 paths)"
	assert_output "$(flat 2)"
	exec 7>&-
	wait "$PID"
	PID=
}

@test "a record larger than --max-bytes goes alone into its own batch" {
	{ flat 3; printf '{"n":99,"big":"%s"}\n' "$(head -c 3000 /dev/zero |
		tr '\0' x)"; flat 3 4; } >in
	run -0 --separate-stderr ddbbatch -d out -s 1K in
	[[ $stderr == *"warning: in:4: record of $(sed -n 4p in | wc -c) bytes is larger than --max-bytes"* ]]
	mapfile -t files < <(finals out)
	big=$(grep -l '"n":99' "${files[@]}")
	[ "$(wc -l <"$big")" -eq 1 ]
	cmp <(records out | sort) <(sort in)
}

@test "--partition: a jq program picks Hive directories per record" {
	flat 300 >in
	run -0 ddbbatch -d out -p '{table: ._ddb_table, dt: (._ddb_ts[0:10])}' in
	dirs=$(finals out | xargs -n1 dirname | sort -u | tr '\n' ' ')
	want=$(jq -r '"out/table=\(._ddb_table)/dt=\(._ddb_ts[0:10])"' in |
		sort -u | tr '\n' ' ')
	[ "$dirs" = "$want" ]
	# Each record sits in its own partition's directory.
	for f in $(finals out); do
		t=${f#out/table=}; t=${t%%/*}
		run -1 grep -v "\"_ddb_table\":\"$t\"" "$f"
	done
	cmp <(records out | sort) <(sort in)
}

@test "--partition-field is the same partitioning without jq" {
	flat 200 >in
	run -0 ddbbatch -d a -f _ddb_table in
	run -0 ddbbatch -d b -p '{_ddb_table: ._ddb_table}' in
	[ "$(finals a | xargs -n1 dirname | sed 's,^a/,,' | sort -u)" = \
	  "$(finals b | xargs -n1 dirname | sed 's,^b/,,' | sort -u)" ]
	[ "$(records a | sort)" = "$(records b | sort)" ]
	[ "$(records a | sort)" = "$(sort in)" ]
}

@test "partition values are sanitised: no '..', '/', control byte or empty escapes" {
	printf '%s\n' '{"t":".."}' '{"t":"a/b"}' '{"t":""}' '{"t":"\u0001x"}' \
		'{"t":"."}' '{"t":"../../etc"}' '{"t":"ok"}' '{"t":"a=b c"}' >in
	for mode in "-p {t:.t}" "-f t"; do
		read -ra args <<<"$mode"
		rm -rf out
		run -0 ddbbatch -d out "${args[@]}" in
		got=$(finals out | xargs -n1 dirname | sort | tr '\n' ' ')
		want=$(printf 'out/t=%s\n' %2E. %2E.%2F..%2Fetc %2E %01x \
			__HIVE_DEFAULT_PARTITION__ a%2Fb a%3Db%20c ok |
			sort | tr '\n' ' ')
		[ "$got" = "$want" ]
		# Every file is exactly one level under out/, none hidden (but
		# the lock).
		run -1 bash -c "find out -mindepth 1 \\( -name '.*' ! -path out/.ddbbatch.lock -o -path 'out/*/*/*' \\) -print | grep ."
		[ "$(records out | sort)" = "$(sort in)" ]
	done
}

@test "records the partition program cannot route go to the error partition" {
	{ flat 2; echo 'not json'; echo '{"n":5}'; flat 2 3; } >in
	run -1 --separate-stderr ddbbatch -d out -p '{t: ._ddb_table}' --stats st in
	[[ $stderr == *"in:3: invalid JSON"* ]]
	[[ $stderr == *"in:4: partition key 't' is null"* ]]
	errs=$(cat out/_error=partition-failed/*.json)
	[ "$(jq -r .errorMessage <<<"$errs" | head -1 | cut -c1-12)" = "invalid JSON" ]
	# The envelope keeps the original bytes.
	[ "$(jq -r .rawData <<<"$errs" | base64 -d | tr -d '\n' | head -c 8)" = "not json" ]
	[ "$(jq -r .rawData <<<"$errs" | tail -1 | base64 -d)" = '{"n":5}' ]
	[ "$(jq -r '"\(.tool) \(.source):\(.line)"' <<<"$errs" | tr '\n' ' ')" = "ddbbatch in:3 ddbbatch in:4 " ]
	cmp <(records out | grep -v errorCode | sort) <({ flat 2; flat 2 3; } | sort)
	# Honest counters: in = out + failed.
	[ "$(jq -c '[.records_in, .records_out, .records_failed, .exit]' st)" = '[6,4,2,1]' ]
}

@test "runtime errors of the program and non-object results are routed too" {
	printf '%s\n' '{"a":"x"}' '{"a":"1"}' '{"a":[1]}' >in
	run -1 --separate-stderr ddbbatch -d out -p '{a: (.a | tonumber)}' in
	[[ $stderr == *"in:1: partition program: Invalid numeric literal"*"(while parsing 'x')"* ]]
	[[ $stderr == *"in:3: partition program: "*"cannot be parsed as a number"* ]]
	[ "$(cat out/a=1/*.json)" = '{"a":"1"}' ]
	run -1 --separate-stderr ddbbatch -d out2 -p '.a' in
	[[ $stderr == *"produced string, not an object"* ]]
	run -1 --separate-stderr ddbbatch -d out3 -p '{a: .a}, {b: 1}' in
	[[ $stderr == *"more than one value"* ]]
	run -1 --separate-stderr ddbbatch -d out4 -p 'empty' in
	[[ $stderr == *"produced no value"* ]]
}

@test "--errors FILE takes the unroutable records instead" {
	{ flat 2; echo '{"x":1}'; } >in
	run -1 --separate-stderr ddbbatch -d out -f _ddb_table --errors bad.json in
	[ ! -e "out/_error=partition-failed" ]
	[ "$(jq -r .errorMessage bad.json)" = "no partition field '_ddb_table'" ]
	[ "$(jq -r .rawData bad.json | base64 -d)" = '{"x":1}' ]
	# A failing --errors FILE is a local I/O error, not a lost record.
	run -4 --separate-stderr ddbbatch -d out2 -f _ddb_table --errors /dev/full in
	[[ $stderr == *"ddbbatch: /dev/full: No space left on device"* ]]
	run -4 --separate-stderr ddbbatch -d out3 --stats /dev/full in
	[[ $stderr == *"--stats /dev/full: No space left on device"* ]]
}

@test "--max-partitions: past it the oldest batch closes, nothing is dropped" {
	flat 60 >in
	run -0 ddbbatch -d out -P 1 -f _ddb_table in
	# Tables alternate orders, users, so one open batch means many small ones.
	[ "${#lines[@]}" -gt 10 ]
	cmp <(records out | sort) <(sort in)
}

@test "--gzip: complete gzip members that gzip and DuckDB read" {
	[ -d "$TOP/scripts/node/node_modules/@duckdb/node-api" ] ||
		skip "node packages missing: run scripts/setup.sh"
	flat 3000 >in
	run -0 ddbbatch -d out -z -s 64K -p '{table: ._ddb_table, dt: (._ddb_ts[0:10])}' in
	for f in "${lines[@]}"; do
		[[ $f == *.json.gz ]]
		gzip -t "$f"
	done
	cmp <(records out | sort) <(sort in)
	got=$(node "$TOP/tests/lib/duckq.js" "select \"table\", dt::varchar, count(*) \
		from read_json_auto('out/**/*.json.gz', hive_partitioning=true) \
		group by all order by all")
	want=$(jq -r '[._ddb_table, ._ddb_ts[0:10]] | @tsv' in | sort | uniq -c |
		awk '{print $2 "\t" $3 "\t" $1}')
	[ "$got" = "$want" ]
	# --gzip=1 is a valid level too.
	run -0 ddbbatch -d out1 --gzip=1 in
	gzip -t "$output"
}

@test "batch names: NAME-time-UUID, sortable, unique" {
	flat 20 >in
	t0=$(date -u +%s%3N)
	run -0 ddbbatch -d out -r 1 -N orders in
	t1=$(date -u +%s%3N)
	for f in "${lines[@]}"; do
		[[ ${f#out/} =~ ^orders-[0-9]{4}(-[0-9]{2}){5}-[0-9]{3}-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\.json$ ]]
	done
	[ "$(printf '%s\n' "${lines[@]}" | sort -u | wc -l)" -eq 20 ]
	# The time is the UTC creation time, to the millisecond: within the
	# run (batches opened in one millisecond take the next ones).
	for f in "${lines[0]}" "${lines[19]}"; do
		t=${f#out/orders-}
		ms=$(( $(date -u -d "${t:0:10} ${t:11:2}:${t:14:2}:${t:17:2}" +%s) * 1000 + 10#${t:20:3} ))
		[ "$ms" -ge "$t0" ]
		[ "$ms" -le $((t1 + 20)) ]
	done
	[ "$(printf '%s\n' "${lines[@]}" | cut -c1-35 | sort -c && echo sorted)" = sorted ]
}

@test "SIGTERM and SIGINT hand on every open batch, then exit 0" {
	for sig in TERM INT; do
		rm -rf out
		start_fifo -d out -f _ddb_table
		flat 4 >&7
		wait_for 15 spooled out 4
		kill -"$sig" "$PID"
		rc=0; wait "$PID" || rc=$?
		[ "$rc" -eq 0 ]
		PID=
		exec 7>&-
		[ "$(wc -l <paths)" -eq 2 ]
		cmp <(records out | sort) <(flat 4 | sort)
		[ -z "$(find out -name '.*.spool')" ]
	done
}

@test "SIGUSR1 closes every open batch now and keeps running" {
	start_fifo -d out -f _ddb_table
	flat 3 >&7
	wait_for 15 spooled out 3
	kill -USR1 "$PID"
	wait_for 15 lines_in paths 2
	kill -0 "$PID"
	flat 1 4 >&7
	exec 7>&-
	rc=0; wait "$PID" || rc=$?
	[ "$rc" -eq 0 ]
	PID=
	[ "$(wc -l <paths)" -eq 3 ]
	cmp <(records out | sort) <(flat 4 | sort)
}

@test "kill -9 at random points loses and duplicates nothing after reruns" {
	next=1 recovered=0
	: >paths
	for round in 1 2 3 4 5; do
		gz=; [ $((round % 2)) -eq 0 ] && gz=-z
		end=$((next + 3000))
		{ for ((i = next; i <= end; i++)); do
			printf '{"n":%d,"pad":"abcdefghijklmnopqrstuvwxyz"}\n' "$i"
			((i % 100 == 0)) && sleep 0.02
		done; } | ddbbatch -d out -s 3K $gz >>paths 2>>err &
		PID=$!
		sleep "0.$((RANDOM % 5 + 1))"
		kill -9 "$PID"
		wait "$PID" || true
		PID=
		# The next run over the same DIR finishes what was left.
		run -0 --separate-stderr ddbbatch -d out $gz </dev/null
		printf '%s\n' "${lines[@]}" >>paths
		recovered=$((recovered + ${#lines[@]}))
		[ -z "$(find out -name '.*.spool' -o -name '.*.tmp')" ]
		got=$(records out | numbers | sort -n)
		# (none yet when the kill came before the first record: a slow
		# start, as under the sanitizers)
		max=$(tail -n1 <<<"$got")
		max=${max:-0}
		# Every record up to the last one kept is there exactly once.
		[ -z "$(uniq -d <<<"$got")" ]
		[ "$(grep -c . <<<"$got")" -eq "$max" ]
		[ "$max" -ge "$((next - 1))" ]
		next=$((max + 1))
	done
	# The rest of the stream, then the totals.
	{ for ((i = next; i <= next + 99; i++)); do
		printf '{"n":%d,"pad":"abcdefghijklmnopqrstuvwxyz"}\n' "$i"
	done; } | ddbbatch -d out >>paths
	[ "$(records out | numbers | sort -n)" = "$(seq 1 $((next + 99)))" ]
	# The kills did leave unfinished batches for the reruns to finish.
	[ "$recovered" -gt 0 ]
	# Every finished batch was handed on (some possibly twice).
	[ "$(sed '/^$/d' paths | sort -u)" = "$(finals out)" ]
}

@test "a second ddbbatch on the same DIR leaves a live one's batch alone" {
	start_fifo -d out
	flat 2 >&7
	wait_for 15 spooled out 2
	run -0 --separate-stderr ddbbatch -d out </dev/null
	[ -z "$output" ]
	[ -z "$stderr" ]
	exec 7>&-
	rc=0; wait "$PID" || rc=$?
	[ "$rc" -eq 0 ]
	PID=
	[ "$(wc -l <paths)" -eq 1 ]
	cmp <(records out) <(flat 2)
}

@test "a full disk: exit 4, a clear message, no truncated batch; the rest recovers" {
	tmpfs "$BATS_TEST_TMPDIR/mnt" 256k
	flat 20000 >in
	for gz in "" -z; do
		rm -rf "$MNT/out"
		run -4 --separate-stderr ddbbatch -d "$MNT/out" -s 16K $gz in
		[[ $stderr == *"No space left on device"* ]]
		for f in $(finals "$MNT/out"); do
			case $f in *.gz) gzip -t "$f" ;; esac
		done
		# What is under a final name is whole records, in input order.
		got=$(records "$MNT/out" | numbers | sort -n)
		run -1 grep -vxFf in <(records "$MNT/out")
		# Room again: the next run finishes the unfinished batches, and
		# the result is the input's first records, each once.
		mount -o remount,size=8m "$MNT"
		run -0 ddbbatch -d "$MNT/out" $gz </dev/null
		got=$(records "$MNT/out" | numbers | sort -n)
		[ "$got" = "$(seq 1 "$(tail -n1 <<<"$got")")" ]
		mount -o remount,size=256k "$MNT"
	done
}

@test "an unwritable --dir: exit 4 before reading anything" {
	echo x >file
	run -4 --separate-stderr ddbbatch -d file/out </dev/null
	[[ $stderr == "ddbbatch: file/out: Not a directory" ]]
	tmpfs "$BATS_TEST_TMPDIR/ro" 1m ro
	run -4 --separate-stderr ddbbatch -d "$MNT/out" </dev/null
	[[ $stderr == *"Read-only file system"* ]]
}

@test "stdout on /dev/full: exit 4, and the batch is handed on by the next run" {
	flat 5 >in
	run -4 --separate-stderr bash -c 'ddbbatch -d out --stats st in >/dev/full'
	[[ $stderr == *"write error: stdout: No space left on device"* ]]
	# Nothing was handed on, and the counters say so.
	[ "$(jq -c '[.batches, .bytes_out, .exit]' st)" = '[0,0,4]' ]
	# The batch is complete on disk, and its path was not lost.
	run -0 --separate-stderr ddbbatch -d out </dev/null
	[[ $stderr == *"out: finishing 1 batch left by an earlier run"* ]]
	[ "${#lines[@]}" -eq 1 ]
	cmp "${lines[0]}" in
}

@test "several inputs, '-' for stdin; a missing file is reported, exit 1" {
	flat 2 >a
	flat 2 3 >b
	run -1 --separate-stderr bash -c 'flat() { :; }; printf "%s\n" "{\"n\":9}" |
		ddbbatch -d out a nope - b'
	[[ $stderr == "ddbbatch: nope: No such file or directory" ]]
	cmp <(records out) <({ flat 2; echo '{"n":9}'; flat 2 3; })
}

@test "a last line without newline is a record and gets one" {
	printf '{"n":1}\n{"n":2}' >in
	run -0 ddbbatch -d out in
	[ "$(cat "$output")" = "$(printf '{"n":1}\n{"n":2}')" ]
	[ "$(tail -c1 "$output" | od -An -c | tr -d ' ')" = '\n' ]
}

@test "a last line cut inside a record (writer killed) goes to the error partition, exit 1" {
	# ddbflat killed with SIGKILL in the middle of a write leaves the head
	# of a record without its newline; it once went into a batch as a
	# row no reader can parse.
	printf '{"n":1}\n{"n":2}\n{"n":3,"s":"ab' >in
	run -1 --separate-stderr ddbbatch -d out in
	[ "$stderr" = "ddbbatch: in:3: incomplete last line: input ended inside a record" ]
	[ "${#lines[@]}" -eq 2 ]
	[ "$(cat out/ddb-*.json)" = "$(printf '{"n":1}\n{"n":2}')" ]
	run -0 jq -r '.rawData | @base64d' out/_error=partition-failed/ddb-*.json
	assert_output '{"n":3,"s":"ab'
	# A whole value without a newline is still a record.
	printf '{"n":4} ' | ddbbatch -d out2 >/dev/null
	[ "$(cat out2/ddb-*.json)" = '{"n":4} ' ]
}

@test "--stats and --progress: honest counters" {
	flat 100 >in
	run -0 --separate-stderr ddbbatch -d out -r 30 --stats st --progress=always in
	[[ $stderr == *"ddbbatch: 100 records_in"* ]]
	jq -e '.records_in == 100 and .records_out == 100 and
		.records_failed == 0 and .batches == 4 and .exit == 0' st
	[ "$(jq .bytes_in st)" -eq "$(wc -c <in)" ]
	[ "$(jq .bytes_out st)" -eq "$(cat out/*.json | wc -c)" ]
}

@test "man page examples run as written" {
	flat 500 >flat.json
	# EXAMPLES 1: one batch per 200 records or 10 seconds.
	run -0 ddbbatch --max-records 200 --max-age 10s --dir spool flat.json
	[ "${#lines[@]}" -eq 3 ]
	# EXAMPLES 2: gzip, partitioned by table and day.
	run -0 ddbbatch --gzip --partition '{table: ._ddb_table, dt: (._ddb_ts[0:10])}' \
		--dir lake <flat.json
	[ "${#lines[@]}" -eq "$(jq -r '[._ddb_table, ._ddb_ts[0:10]] | @tsv' flat.json | sort -u | wc -l)" ]
	[ "${#lines[@]}" -gt 2 ]
	# EXAMPLES 3: the cheap path.
	run -0 ddbbatch --partition-field _ddb_table --dir spool2 flat.json
	[ "${#lines[@]}" -eq 2 ]
}

@test "recovery: a spool cut inside a record keeps its whole records and routes the rest" {
	mkdir -p out/t=a
	s=out/t=a/.ddb-2024-06-25-20-38-10-250-0c8f7d5e-1b2a-4c3d-8e9f-0a1b2c3d4e5f.json.spool
	printf '{"n":1}\n{"n":2}\n{"n":3' >"$s"
	run -1 --separate-stderr ddbbatch -d out -z </dev/null
	[ "${stderr_lines[0]}" = "ddbbatch: $s: incomplete record at the end of an unfinished batch (a crash while writing)" ]
	# The whole records keep the spool's name and partition, now gzipped.
	[ "${lines[0]}" = "out/t=a/ddb-2024-06-25-20-38-10-250-0c8f7d5e-1b2a-4c3d-8e9f-0a1b2c3d4e5f.json.gz" ]
	[ "$(gzip -dc "${lines[0]}")" = "$(printf '{"n":1}\n{"n":2}')" ]
	# The cut record's bytes are kept in the error partition.
	[[ ${lines[1]} == out/_error=partition-failed/*.json.gz ]]
	[ "$(gzip -dc "${lines[1]}" | jq -r .rawData | base64 -d)" = '{"n":3' ]
	[ "$(gzip -dc "${lines[1]}" | jq -c '[.source, .line]')" = "[\"$s\",null]" ]
	[ -z "$(find out -name '.*.spool')" ]
}

@test "recovery: a batch finished but maybe not handed on is printed again" {
	mkdir -p out
	b=ddb-2024-06-25-20-38-10-250-0c8f7d5e-1b2a-4c3d-8e9f-0a1b2c3d4e5f.json
	printf '{"n":1}\n' >"out/.$b.spool"
	ln "out/.$b.spool" "out/$b"
	run -0 --separate-stderr ddbbatch -d out </dev/null
	[ "$output" = "out/$b" ]
	[ ! -e "out/.$b.spool" ]
	[ "$(cat "out/$b")" = '{"n":1}' ]
}

@test "a symlink planted in the spool is never written through: its records go to the error partition" {
	mkdir elsewhere out out/t=c
	ln -s ../elsewhere "out/t=a"
	ln -s ../../elsewhere "out/t=c/d=x"
	printf '%s\n' '{"t":"a","d":"x","n":1}' '{"t":"b","d":"x","n":2}' \
		'{"t":"c","d":"x","n":3}' '{"t":"c","d":"y","n":4}' >in
	run -1 --separate-stderr ddbbatch -d out -p '{t: .t, d: .d}' in
	[[ $stderr == *"in:1: out/t=a: a symbolic link in the spool; refusing to write through it"* ]]
	[[ $stderr == *"in:3: out/t=c/d=x: a symbolic link in the spool; refusing to write through it"* ]]
	# Nothing was written where the links point.
	[ -z "$(ls -A elsewhere)" ]
	# The other partitions flow; the refused records are kept whole.
	[ "$(cat out/t=b/d=x/*.json)" = '{"t":"b","d":"x","n":2}' ]
	[ "$(cat out/t=c/d=y/*.json)" = '{"t":"c","d":"y","n":4}' ]
	run -0 jq -r .rawData out/_error=partition-failed/*.json
	[ "$(printf '%s\n' "${lines[@]}" | base64 -d)" = "$(sed -n '1p;3p' in)" ]
	# Every record is in some batch, and no spool is left behind.
	[ "$(wc -l < <(finals out | xargs cat))" -eq 4 ]
	[ -z "$(find out -name '.*.spool')" ]
	run -0 --separate-stderr ddbbatch -d out </dev/null
	[ -z "$output" ]
	[ -z "$stderr" ]
}

@test "a symlinked error partition or lock file: exit 4 naming it, nothing written through it" {
	mkdir elsewhere out
	ln -s ../elsewhere "out/_error=partition-failed"
	printf '%s\n' '{"t":"a"}' '{"x":1}' >in
	run -4 --separate-stderr ddbbatch -d out -f t in
	[[ $stderr == *"out/_error=partition-failed: a symbolic link in the spool; refusing to write through it"* ]]
	[ -z "$(ls -A elsewhere)" ]
	# What was spooled before stays for the next run, once the link is gone.
	rm "out/_error=partition-failed"
	run -0 --separate-stderr ddbbatch -d out </dev/null
	[ "$(cat "$output")" = '{"t":"a"}' ]
	rm -rf out
	mkdir out
	ln -s ../victim out/.ddbbatch.lock
	run -4 --separate-stderr ddbbatch -d out in
	[[ $stderr == *"out/.ddbbatch.lock: a symbolic link in the spool; refusing to write through it"* ]]
	[ ! -e victim ]
}

@test "a link planted while a batch is open is refused when it closes; the records stay spooled" {
	mkdir elsewhere
	start_fifo -d out -f t
	echo '{"t":"a"}' >&7
	wait_for 15 spooled out 1
	mv "out/t=a" out/moved
	ln -s ../elsewhere "out/t=a"
	exec 7>&-
	rc=0; wait "$PID" || rc=$?
	PID=
	[ "$rc" -eq 4 ]
	grep -q "out/t=a: a symbolic link in the spool; refusing to write through it" err
	[ -z "$(ls -A elsewhere)" ]
	[ ! -s paths ]
	# The spool moved with its directory; the next run finishes it there.
	rm "out/t=a"
	run -0 --separate-stderr ddbbatch -d out </dev/null
	[ "$(cat "$output")" = '{"t":"a"}' ]
	[[ $output == out/moved/ddb-*.json ]]
}

@test "a batch path too long to open goes to the error partition; the spool never wedges" {
	D=$(longdir 3100)
	v=$(printf '%0240d' 0)
	# Four segments of 243 bytes: each fits a directory name, the path
	# under D does not.
	printf '%s\n' '{"a":"1"}' "{\"a\":\"$v\",\"b\":\"$v\",\"c\":\"$v\",\"d\":\"$v\"}" \
		'{"a":"2"}' >in
	run -1 --separate-stderr ddbbatch -d "$D" -p '{a, b, c, d} | with_entries(select(.value != null))' in
	[[ $stderr == *"in:2: batch path would be $(( ${#D} + 1 + 972 + 69 )) bytes, more than the 4095 a path may have (--dir is ${#D} bytes, the partition 972)"* ]]
	# Every printed path can be opened: a=1, a=2 and the error partition.
	[ "${#lines[@]}" -eq 3 ]
	for f in "${lines[@]}"; do [ -f "$f" ]; done
	run -0 jq -r .rawData "$D/_error=partition-failed/"*.json
	[ "$(base64 -d <<<"$output")" = "$(sed -n 2p in)" ]
	# A later run over the same dir works: nothing was left to wedge it.
	run -0 --separate-stderr ddbbatch -d "$D" </dev/null
	[ -z "$output" ]
	[ -z "$stderr" ]
	run -0 bash -c 'echo "{\"a\":\"3\"}" | ddbbatch -d "$1" -p "{a}"' _ "$D"
	[ "$(cat "$output")" = '{"a":"3"}' ]
}

@test "a --dir leaving no room for batch names is a usage error before anything is created" {
	D=$(longdir 4000)
	run -2 --separate-stderr ddbbatch -d "$D" </dev/null
	[[ $stderr == *"--dir: ${#D} bytes is too long: batch paths must stay under 4096 bytes, the error partition's too; at most 4001"* ]]
	[ ! -e x ]
	# The longest --dir allowed works.
	D=$(longdir 3700)
	D=$D/$(printf '%0*d' $((4001 - ${#D} - 1)) 0)
	[ "${#D}" -eq 4001 ]
	run -1 --separate-stderr bash -c 'echo "{}" | ddbbatch -d "$1" -f t' _ "$D"
	[[ $output == "$D/_error=partition-failed/ddb-"*.json ]]
	[ "${#output}" -eq 4095 ]
}

@test "a spool too long to hand on under this --dir is left for a shorter one, and new input flows" {
	D=$(longdir 3100)
	mkdir -p "$D"
	ln -s "$D" short
	v=$(printf '%0240d' 0)
	rec="{\"a\":\"$v\",\"b\":\"$v\",\"c\":\"$v\",\"d\":\"$v\"}"
	# Through the short name the long partition fits; kill -9 leaves it.
	start_fifo -d short -p '{a, b, c, d}'
	echo "$rec" >&7
	# (from inside D: the spool's whole path is too long to open)
	wait_for 15 bash -c 'cd "$1" && [ -n "$(find . -name ".*.spool" -size +0)" ]' _ "$D"
	kill -9 "$PID"
	wait "$PID" || true
	PID=
	exec 7>&-
	run -1 --separate-stderr bash -c 'echo "{\"a\":\"x\"}" | ddbbatch -d "$1" -p "{a}"' _ "$D"
	[[ $stderr == *"a=$v/b=$v/c=$v/d=$v/.ddb-"*".json.spool: unfinished batch left as it is: under this --dir its path would be $(( ${#D} + 1 + 972 + 69 )) bytes, more than the 4095 a path may have; a shorter --dir for the same directory finishes it" ]]
	[ "$(cat "$output")" = '{"a":"x"}' ]
	run -0 --separate-stderr ddbbatch -d short </dev/null
	[ "$(cat "$output")" = "$rec" ]
	[ -z "$(find "$D/" -name '.*.spool')" ]
}

@test "a partition path over 1024 bytes is named as such, not as a long segment" {
	v=$(printf '%0240d' 0)
	echo "{\"a\":\"$v\",\"b\":\"$v\",\"c\":\"$v\",\"d\":\"$v\",\"e\":\"$v\"}" >in
	run -1 --separate-stderr ddbbatch -d out -p '{a, b, c, d, e}' in
	[ "$stderr" = "ddbbatch: in:1: partition path is 1215 bytes once escaped (up to 'e'), more than the 1024 allowed" ]
	run -0 jq -r .errorMessage out/_error=partition-failed/*.json
	assert_output "partition path is 1215 bytes once escaped (up to 'e'), more than the 1024 allowed"
}

@test "error records: the one schema of ddblake(7), as ddbflat writes it; stdin is (stdin)" {
	printf '%s\n' '{"t":"a"}' '{"x":1}' >in
	run -1 --separate-stderr bash -c 'ddbbatch -d out -f t --errors bad.json <in'
	[ "$stderr" = "ddbbatch: (stdin):2: no partition field 't'" ]
	run -0 jq -c '[.tool, .errorCode, .source, .line, (.rawData | @base64d)]' bad.json
	assert_output '["ddbbatch","PartitionKeyFailed","(stdin)",2,"{\"x\":1}\n"]'
	# The same members in the same order as ddbflat's error records...
	run -1 --separate-stderr bash -c 'echo x | ddbflat --errors flat.json'
	[ "$(jq -c keys_unsorted bad.json)" = "$(jq -c keys_unsorted flat.json)" ]
	# ...and as ddblake(7) documents them, each with its JSON type.
	doc=$(sed -n '/^\.Sh ERROR RECORDS/,/^\.Sh /p' "$TOP/man/ddblake.7" |
		sed -n 's/^\.It Li //p' | tr -d ' ' | tr ',' '\n' | sort | tr '\n' ' ')
	[ "$(jq -r 'keys[]' bad.json | tr '\n' ' ')" = "$doc" ]
	jq -e '(.attemptsMade == 1) and (.arrivalTimestamp | type == "number")
		and (.attemptEndingTimestamp >= .arrivalTimestamp)
		and (.line | type == "number") and (.rawData | type == "string")' bad.json
	# A named file is its name; the record in the error partition is alike.
	run -1 ddbbatch -d out2 -f t in
	run -0 jq -c '[.source, .line]' out2/_error=partition-failed/*.json
	assert_output '["in",2]'
}
