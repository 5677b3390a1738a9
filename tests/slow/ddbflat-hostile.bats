#!/usr/bin/env bats
# Slow: ddbflat on hostile inputs streamed through a pipe (nothing this
# large is written to disk): a 2 GB line, a 10-million-element Items
# array, nesting 100,000 deep, and a 64 MB bad line kept in parts. Memory
# stays bounded (peak RSS from /usr/bin/time), the records after the bad
# one flow, and what is kept is every byte. Runs under `make check-slow`.
bats_require_minimum_version 1.5.0

setup() {
	load ../lib/common
	[ -n "${DDBLAKE_SLOW:-}" ] || skip "slow test: run with DDBLAKE_SLOW=1 (make check-slow)"
	cd "$BATS_TEST_TMPDIR"
}

# peak RSS in KiB of the last `timed` run
timed() { /usr/bin/time -f %M -o rss "$@"; }
# that peak (the last line: time(1) may write a status line before it),
# or 0 under AddressSanitizer, whose shadow memory is no measure of ours
peak() {
	if ldd "$(command -v ddbflat)" | grep -q libasan; then echo 0; else tail -1 rss; fi
}

@test "a 2 GB line: an error, the next record flows, memory bounded by --max-record" {
	run -1 --separate-stderr bash -c '
		python3 -c "
import sys
w = sys.stdout.buffer.write
w(b\"{\\\"Item\\\":{\\\"a\\\":{\\\"S\\\":\\\"\")
chunk = b\"x\" * (1 << 20)
for i in range(2048): w(chunk)
w(b\"\\\"}}}\\n{\\\"Item\\\":{\\\"b\\\":{\\\"S\\\":\\\"after\\\"}}}\\n\")" |
		/usr/bin/time -f %M -o rss ddbflat --stats st.json'
	assert_output '{"b":"after"}'
	[[ "$stderr" == *"(stdin):1: record larger than --max-record (16777216 bytes): kept in parts, part 1"* ]]
	run -0 jq -r '"\(.records_in) \(.records_failed) \(.bytes_in)"' st.json
	assert_output "2 1 2147483701"
	# the window is --max-record (16 MiB) plus one read
	[ "$(peak)" -lt 40000 ]
}

@test "a 64 MB bad line with --max-record 1M: kept in 1 MiB parts that join to the line" {
	python3 -c '
import sys
w = sys.stdout.buffer.write
w(b"x{\"Item\":{\"a\":{\"S\":\"")
for i in range(64): w(bytes([97 + i % 26]) * (1 << 20))
w(b"\"}}}\n")' >line.json
	echo '{"Item":{"b":{"S":"after"}}}' >>line.json
	run -1 --separate-stderr timed ddbflat --max-record 1M --errors err.json line.json
	assert_output '{"b":"after"}'
	[ "$(grep -c 'line.json:1:' <<<"$stderr")" -eq 1 ]
	run -0 jq -r '"\(.line) \(.errorCode) \(.rawData | @base64d | length)"' err.json
	[ "${#lines[@]}" -eq 65 ]
	assert_line --index 0 "1 Malformed 1048576"
	assert_line --index 63 "1 Malformed 1048576"
	jq -r .rawData err.json | base64 -d >kept
	head -1 line.json | cmp - kept
	[ "$(peak)" -lt 16000 ]
}

@test "a 10-million-element Items array streams in a few MiB" {
	run -0 --separate-stderr bash -c '
		python3 -c "
import sys
w = sys.stdout.write
one = \"{\\\"a\\\":{\\\"S\\\":\\\"x\\\"}}\"
w(\"{\\\"Count\\\":10000000,\\\"Items\\\":[\")
w(\",\".join([one] * 100000))
for i in range(99): w(\",\"); w(\",\".join([one] * 100000))
w(\"]}\\n\")" |
		/usr/bin/time -f %M -o rss ddbflat | uniq -c'
	assert_output --regexp '^ *10000000 \{"a":"x"\}$'
	[ "$(peak)" -lt 16000 ]
}

@test "nesting 100,000 deep: one error holding the whole record, the next one flows" {
	python3 -c '
print("{\"Item\":{\"a\":" + "{\"M\":{\"b\":" * 100000 + "{\"S\":\"x\"}" + "}}" * 100000 + "}}")
print("{\"Item\":{\"l\":" + "[" * 100000 + "]" * 100000 + "}}")
print("{\"Item\":{\"ok\":{\"S\":\"after\"}}}")' >deep.json
	run -1 --separate-stderr timed ddbflat --errors err.json deep.json
	assert_output '{"ok":"after"}'
	[[ "$stderr" == *"deep.json:1: malformed JSON: nesting too deep"* ]]
	[[ "$stderr" == *"deep.json:2: malformed JSON: nesting too deep"* ]]
	jq -r .rawData err.json | base64 -d >kept
	head -2 deep.json | cmp - kept
	[ "$(peak)" -lt 16000 ]
}
