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
