#!/usr/bin/env bats
# cli.bats: what every tool's command line does alike (the shared main()
# shape): --help and --version, a bad option, stdout on /dev/full.

load lib/common

tools() {
	local t
	for t in "$DDBLAKE_BIN"/*; do
		[ -f "$t" ] && [ -x "$t" ] && basename "$t"
	done
}

@test "every tool is tested here (the build has the tools)" {
	run tools
	assert_line ddbflat
	assert_line ddbbatch
	assert_line s3put
}

@test "--version prints the one toolkit version, the man pages carry it too" {
	local t v
	v=$(tool_version)
	[ -n "$v" ]
	for t in $(tools); do
		run -0 "$t" --version
		assert_output "$t $v"
		run -0 grep -x ".Os ddblake $v" "$TOP/man/$t.1"
	done
	run -0 grep -x ".Os ddblake $v" "$TOP/man/ddblake.7"
}

@test "--help goes to stdout, exits 0, and fails with status 4 on a full disk" {
	local t
	for t in $(tools); do
		run -0 --separate-stderr "$t" --help
		assert_output --partial "usage: $t"
		[ -z "$stderr" ]
		run -4 --separate-stderr bash -c '"$1" --help >/dev/full' _ "$t"
		[[ $stderr == "$t: write error: stdout: No space left on device" ]]
		run -4 --separate-stderr bash -c '"$1" --version >/dev/full' _ "$t"
	done
}

@test "a bad option gives one message naming it, the synopsis and exit 2" {
	local t
	for t in $(tools); do
		run -2 --separate-stderr "$t" --no-such-option </dev/null
		assert_output ''
		[ "${stderr_lines[0]}" = "$t: unknown option: --no-such-option" ]
		[[ ${stderr_lines[1]} == "usage: $t "* ]]
		[ "$(grep -c "$t:" <<<"$stderr")" -eq 1 ]
		run -2 --separate-stderr "$t" -% </dev/null
		[ "${stderr_lines[0]}" = "$t: unknown option: -%" ]
		run -2 --separate-stderr "$t" --help=x </dev/null
		[ "${stderr_lines[0]}" = "$t: unknown option or unexpected argument: --help=x" ]
	done
}

@test "a missing option argument is named as such" {
	run -2 --separate-stderr ddbflat --jq
	[ "${stderr_lines[0]}" = "ddbflat: option needs an argument: --jq" ]
	run -2 --separate-stderr ddbbatch -d
	[ "${stderr_lines[0]}" = "ddbbatch: option needs an argument: -d" ]
	run -2 --separate-stderr s3put --key
	[ "${stderr_lines[0]}" = "s3put: option needs an argument: --key" ]
}

# stats_run TOOL STATS: TOOL doing real work that writes to stdout, with
# --stats STATS; each tool needs its own command line.
stats_run() {
	cd "$BATS_TEST_TMPDIR" || return
	case $1 in
	ddbflat) echo '{"Item":{"pk":{"S":"a"}}}' | ddbflat --stats "$2" ;;
	ddbbatch) echo '{"a":1}' | ddbbatch -d spool --stats "$2" ;;
	s3put)
		echo '{"a":1}' >f.json
		env -i PATH="$PATH" HOME="$BATS_TEST_TMPDIR" AWS_REGION=us-east-1 \
		    AWS_ACCESS_KEY_ID=AKIDEXAMPLE AWS_SECRET_ACCESS_KEY=example \
		    AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null \
		    AWS_EC2_METADATA_DISABLED=true \
		    s3put --dry-run --stats "$2" s3://bucket/p/ f.json ;;
	*) echo "cli.bats: no --stats command line for $1" >&2; return 99 ;;
	esac
}

@test "--stats is written after stdout is finished: a full disk's 4 is its exit" {
	local t
	for t in $(tools); do
		# The same work to a working stdout: exit 0 in both places.
		run -0 stats_run "$t" "$BATS_TEST_TMPDIR/ok.json"
		[ -n "$output" ]
		[ "$(jq .exit "$BATS_TEST_TMPDIR/ok.json")" = 0 ]
		run -4 --separate-stderr bash -c "$(declare -f stats_run); stats_run \"\$1\" \"\$2\" >/dev/full" \
		    _ "$t" "$BATS_TEST_TMPDIR/full.json"
		[[ $stderr == *"$t: write error: stdout: "* ]]
		[ "$(jq -c '[.tool, .exit]' "$BATS_TEST_TMPDIR/full.json")" = "[\"$t\",4]" ]
		rm -rf "$BATS_TEST_TMPDIR/spool"
	done
}

@test "a bad option value gives one message naming it, the synopsis and exit 2" {
	local t arg
	for t in $(tools); do
		case $t in
		ddbflat) arg='--image=bogus' ;;
		ddbbatch) arg='--max-bytes=12X' ;;
		s3put) arg='--jobs=x' ;;
		*) fail "no bad option value for $t" ;;
		esac
		run -2 --separate-stderr "$t" "$arg" </dev/null
		assert_output ''
		[[ ${stderr_lines[0]} == "$t: ${arg%%=*}: "* ]]
		[[ ${stderr_lines[1]} == "usage: $t "* ]]
		[ "${stderr_lines[-1]}" = "try '$t --help' for more information" ]
		[ "$(grep -c "^$t: " <<<"$stderr")" -eq 1 ]
	done
}

@test "a missing or unreadable input file is a failed file in every tool: named, the others processed, exit 1" {
	cd "$BATS_TEST_TMPDIR"
	printf '{"Item":{"id":{"S":"a"}}}\n' >good.json
	printf '{"id":"b"}\n' >flat.json
	# ddbflat: the good file's row still comes out.
	run -1 --separate-stderr ddbflat missing.json good.json
	assert_output '{"id":"a"}'
	[ "${stderr_lines[0]}" = "ddbflat: missing.json: No such file or directory" ]
	# ddbbatch: the good file's record is batched.
	run -1 --separate-stderr ddbbatch --dir out missing.json flat.json
	[ "${#lines[@]}" -eq 1 ]
	run -0 cat "${lines[0]}"
	assert_output '{"id":"b"}'
	[[ $stderr == *"ddbbatch: missing.json: No such file or directory"* ]]
	# s3put (dry run: no server needed): the good file is still planned.
	run -1 --separate-stderr env AWS_ACCESS_KEY_ID=AK AWS_SECRET_ACCESS_KEY=SK \
	    s3put -n --region eu-west-1 --key '{name}' s3://lake missing.json good.json
	assert_line --index 0 "good.json -> s3://lake/good.json (26 bytes, application/x-ndjson)"
	[ "${stderr_lines[0]}" = "s3put: missing.json: No such file or directory" ]
	# A missing file alone is still 1, not a system error.
	run -1 --separate-stderr env AWS_ACCESS_KEY_ID=AK AWS_SECRET_ACCESS_KEY=SK \
	    s3put --endpoint-url http://127.0.0.1:9 s3://lake missing.json
	run -1 --separate-stderr ddbflat missing.json
	run -1 --separate-stderr ddbbatch --dir out missing.json
	# Unreadable is the same as missing (unless run as root, who reads all).
	if [ "$(id -u)" -ne 0 ]; then
		cp good.json locked.json
		chmod 000 locked.json
		run -1 --separate-stderr ddbflat locked.json good.json
		run -1 --separate-stderr env AWS_ACCESS_KEY_ID=AK AWS_SECRET_ACCESS_KEY=SK \
		    s3put -n --region eu-west-1 s3://lake locked.json
	fi
	# Every man page says so.
	for m in "$TOP"/man/*.[17]; do
		run -0 grep -c 'missing or' "$m"
	done
}
