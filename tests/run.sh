#!/bin/sh
# run.sh: run C unit tests and bats files, two at a time, and print a summary
# whose last line CI reads: "N passed, N failed, N skipped".
#   tests/run.sh                 every unit test and tests/*.bats
#   tests/run.sh FILE...         those (bats files or unit-test binaries)
# A file that crashes, exits non-zero without a failing test, or prints fewer
# results than its plan counts as one failure.
# Bats files with a line "# needs: rgw" talk to S3: unless DDBLAKE_S3_ENDPOINT
# is set, one radosgw (scripts/rgw.sh) is started for the whole run and
# stopped at the end; if it cannot start, those files fail. Its port is
# RGW_PORT, else the first free block of 50 from 7480; its folder RGW_DIR,
# else one of the run's own.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
: "${DDBLAKE_BIN:=$top/build}"
export DDBLAKE_BIN
jobs=${JOBS:-2}
logs=$(mktemp -d "${TMPDIR:-/tmp}/ddblake-tests.XXXXXX")
rgw_started=
cleanup() {
	if [ -n "$rgw_started" ]; then
		"$top/scripts/rgw.sh" stop || echo "run.sh: warning: rgw.sh stop failed" >&2
	fi
	rm -rf "$logs"
}
trap cleanup EXIT
trap 'exit 130' INT HUP TERM

if [ $# -eq 0 ]; then
	set -- "$DDBLAKE_BIN"/unit/test_* "$top"/tests/*.bats
fi

i=0
for f in "$@"; do
	[ -e "$f" ] || continue
	case $f in
	*.bats) ;;
	*.d | *.o) continue ;;
	*) [ -x "$f" ] || continue ;;
	esac
	i=$((i + 1))
	printf '%s\n' "$f" >"$logs/$i.name"
done

# Files that need radosgw: start it once, or fail them without running.
need_rgw=
for n in "$logs"/*.name; do
	[ -e "$n" ] || continue
	case $(cat "$n") in
	*.bats) grep -qx '# needs: rgw' "$(cat "$n")" && need_rgw="$need_rgw ${n%.name}" ;;
	esac
done
if [ -n "$need_rgw" ] && [ -z "${DDBLAKE_S3_ENDPOINT:-}" ]; then
	# Several runs may share this machine (CI, developers, worktrees):
	# unless RGW_PORT is given, take the first free block of 50 ports from
	# 7480 on, and keep this run's cluster in its own folder.
	if [ -z "${RGW_PORT:-}" ]; then
		p=7480
		while [ "$p" -lt 9480 ]; do
			ss -Hltn | awk '{ sub(/.*:/, "", $4); print $4 }' |
			    awk -v lo="$p" '$1 >= lo && $1 < lo + 50 { b = 1 } END { exit !b }' ||
				break
			p=$((p + 50))
		done
		RGW_PORT=$p
	fi
	: "${RGW_DIR:=$logs/rgw}"
	export RGW_PORT RGW_DIR
	rgw_started=1
	if "$top/scripts/rgw.sh" start </dev/null >"$logs/rgw.out" 2>&1; then
		cat "$logs/rgw.out" >&2
		eval "$("$top/scripts/rgw.sh" env)"
	else
		for b in $need_rgw; do
			printf '1..1\nnot ok 1 - radosgw did not start (scripts/rgw.sh start)\n' >"$b.tap"
			cp "$logs/rgw.out" "$b.err"
			echo 1 >"$b.rc"
		done
	fi
fi

for n in "$logs"/*.name; do
	[ -e "$n" ] || continue
	[ -e "${n%.name}.rc" ] || echo "${n%.name}"
done | xargs -r -P "$jobs" -n 1 "$top/tests/lib/run1.sh"

pass=0 fail=0 skip=0
for n in "$logs"/*.name; do
	[ -e "$n" ] || continue
	b=${n%.name}
	f=$(cat "$n")
	out=$(awk -v rc="$(cat "$b.rc" 2>/dev/null || echo 99)" '
		/^1\.\.[0-9]+/ { split($0, a, "\\.\\."); plan = a[2] + 0 }
		/^ok / { if ($0 ~ /# [Ss][Kk][Ii][Pp]/) s++; else p++ }
		/^not ok / { f++; print "  " $0 > "/dev/stderr" }
		END {
			n = p + s + f
			if (plan != n || (rc != 0 && f == 0)) {
				f++
				printf "  %s\n", (plan != n ? "plan " plan ", ran " n : "exit status " rc) > "/dev/stderr"
			}
			printf "%d %d %d\n", p, f, s
		}' "$b.tap" 2>"$b.fails")
	# shellcheck disable=SC2086 # three numbers, split on purpose
	set -- $out
	pass=$((pass + $1)) fail=$((fail + $2)) skip=$((skip + $3))
	name=${f#"$top"/}
	if [ "$2" -gt 0 ]; then
		printf 'FAIL %s: %s passed, %s failed\n' "$name" "$1" "$2"
		cat "$b.fails"
		grep -v '^ok ' "$b.tap" | grep -v '^1\.\.' | sed -n '1,60p' | sed 's/^/  | /'
		sed -n '1,20p' "$b.err" | sed 's/^/  ! /'
	else
		printf 'ok   %s: %s passed%s\n' "$name" "$1" \
			"$([ "$3" -gt 0 ] && echo ", $3 skipped")"
	fi
done
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
