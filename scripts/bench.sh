#!/bin/sh
# bench.sh: ddbflat's throughput against baselines measured in the same run
# (called by `make bench` with DDBLAKE_BIN set to the build directory).
#
# Generates a deterministic corpus of Kinesis-for-DynamoDB records once into
# bench-data/ (cached by seed and size), then, one program at a time (the
# machine has 2 cores shared with others; nothing runs in parallel):
#   ddbflat             ddbflat < corpus > /dev/null, best of BENCH_RUNS
#   libjq parse-only    tests/helpers/jvparse on the same corpus, best of BENCH_RUNS
#   jq, boto3, node     scripts/bench/ unmarshal-and-flatten programs on the
#                       first BENCH_SUBSET of the corpus, once (they are slow;
#                       rates are rates)
#   ddbflat             on the same records as `aws kinesis get-records`
#                       documents (base64 Data) and gzip-compressed
#   peak RSS of ddbflat on 10 MB and on the whole corpus (it must stay flat)
# and prints MB/s (MB = 10^6 bytes of input), records/s and ratios. At the
# end it runs scripts/bench-batch.sh and scripts/bench-s3.sh if executable.
#
# Environment: DDBLAKE_BIN (default build/), BENCH_DIR (bench-data),
# BENCH_SEED (1), BENCH_SIZE (128M, at least 100 MB), BENCH_SUBSET (16M),
# BENCH_RUNS (3).
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
bin=${DDBLAKE_BIN:-$top/build}
dir=${BENCH_DIR:-$top/bench-data}
seed=${BENCH_SEED:-1}
size=${BENCH_SIZE:-128M}
subset=${BENCH_SUBSET:-16M}
runs=${BENCH_RUNS:-5}
gen=$top/scripts/gen-corpus

die() { echo "bench.sh: $*" >&2; exit 2; }
say() { echo "bench.sh: $*" >&2; }

command -v /usr/bin/time >/dev/null || die "needs /usr/bin/time (Debian package time)"
mkdir -p "$dir" || die "cannot create $dir"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ddblake-bench.XXXXXX") || exit 4
trap 'rm -rf "$tmp"' EXIT INT TERM

# ---- inputs (cached) --------------------------------------------------------
# Names carry the seed, the size and a hash of the generator, so a changed
# generator regenerates; files of an older generator are removed.
ver=g$(md5sum <"$gen" | cut -c1-8)
for f in "$dir"/kds-s*-g*.json* "$dir"/getrecords-s*-g*.json; do
	case $f in *"-$ver".*|*"-$ver-"*) ;; *) [ -f "$f" ] && rm -f "$f" ;; esac
done
kds=$dir/kds-s$seed-$size-$ver.json
gr=$dir/getrecords-s$seed-$size-$ver.json
gz=$kds.gz
sub=$dir/kds-s$seed-$size-$ver-first$subset.json
ten=$dir/kds-s$seed-$size-$ver-first10M.json

# Write through a temporary name so an interrupted run leaves no half file.
cached() {
	out=$1; shift
	[ -s "$out" ] && return 0
	say "generating $(basename "$out")"
	if ! "$@" >"$out.part" || ! mv "$out.part" "$out"; then
		rm -f "$out.part"
		die "cannot make $out"
	fi
}
# The first whole lines making up at most SIZE bytes of the corpus.
# shellcheck disable=SC2317 # called through cached
head_lines() { head -c "$1" "$kds" | sed '$d'; }

cached "$kds" "$gen" --seed "$seed" --bytes "$size"
cached "$gr" "$gen" --seed "$seed" --bytes "$size" --format getrecords --per-doc 1000
cached "$gz" gzip -c "$kds"
cached "$sub" head_lines "$subset"
cached "$ten" head_lines 10M

bytes() { wc -c <"$1" | tr -d ' '; }
kds_b=$(bytes "$kds"); kds_n=$(wc -l <"$kds" | tr -d ' ')
[ "$kds_b" -ge 100000000 ] || say "warning: corpus is only $kds_b bytes (the bench wants 100 MB or more)"
sub_b=$(bytes "$sub"); sub_n=$(wc -l <"$sub" | tr -d ' ')
gr_b=$(bytes "$gr"); gr_n=$(grep -c '"Data": ' "$gr")
gz_b=$(bytes "$gz")
ten_b=$(bytes "$ten")

# ---- measuring --------------------------------------------------------------
# timed IN OUT CMD...: run CMD <IN >OUT; sets secs, rss (KiB) and rc.
timed() {
	in=$1 out=$2; shift 2
	t0=$(date +%s%N)
	/usr/bin/time -f %M -o "$tmp/rss" "$@" <"$in" >"$out" 2>"$tmp/err"
	rc=$?
	t1=$(date +%s%N)
	secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", (b - a) / 1e9 }')
	rss=$(tail -n 1 "$tmp/rss")
	if [ "$rc" -ne 0 ]; then
		say "$* failed (exit $rc):"
		sed -n '1,5p' "$tmp/err" >&2
	fi
}
# best IN CMD...: best of $runs with output to /dev/null; sets secs and rss
# of the best run.
best() {
	b_secs='' b_rss=
	i=0
	in=$1; shift
	while [ $i -lt "$runs" ]; do
		timed "$in" /dev/null "$@"
		[ "$rc" -eq 0 ] || return 1
		if [ -z "$b_secs" ] || awk -v a="$secs" -v b="$b_secs" 'BEGIN { exit !(a < b) }'; then
			b_secs=$secs b_rss=$rss
		fi
		i=$((i + 1))
	done
	secs=$b_secs rss=$b_rss
}
# lines_ok WHAT GOT WANT: a program that printed the wrong number of rows
# must not get a rate.
lines_ok() {
	[ "$2" = "$3" ] && return 0
	say "$1 printed $2 rows for $3 records"
	status=1
	return 1
}
# rate NAME BYTES RECORDS LABEL: remember and print one result line.
rate() {
	mbs=$(awk -v b="$2" -v s="$secs" 'BEGIN { printf "%.1f", b / s / 1e6 }')
	rps=$(awk -v n="$3" -v s="$secs" 'BEGIN { printf "%.0f", n / s }')
	eval "mbs_$1=\$mbs"
	printf '%-34s %8.1f MB  %8s s  %8s MB/s  %9s rec/s\n' "$4" \
		"$(awk -v b="$2" 'BEGIN { print b / 1e6 }')" "$secs" "$mbs" "$rps"
}
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b == 0) print "n/a"; else printf "%.1fx", a / b }'
}

status=0
printf 'ddblake bench: seed %s, corpus %s (%s records), subset %s (%s records)\n' \
	"$seed" "$(basename "$kds")" "$kds_n" "$(basename "$sub")" "$sub_n"
printf '%s, %s cores; %s, python3 %s + boto3 %s, node %s + @aws-sdk/util-dynamodb %s\n' \
	"$(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n 1)" "$(nproc)" \
	"$(jq --version)" "$(/usr/bin/python3 -c 'import sys; print(sys.version.split()[0])')" \
	"$(/usr/bin/python3 -c 'import boto3; print(boto3.__version__)' 2>/dev/null)" \
	"$(node --version 2>/dev/null)" \
	"$(node -p 'require(process.argv[1]).version' \
		"$top/scripts/node/node_modules/@aws-sdk/util-dynamodb/package.json" 2>/dev/null)"
printf '%-34s %11s  %10s  %13s  %15s\n' program input time rate records
mbs_flat='' mbs_jv='' mbs_jq='' mbs_py='' mbs_node=

flat=$bin/ddbflat
if [ -x "$flat" ]; then
	if best "$kds" "$flat" &&
	   lines_ok ddbflat "$("$flat" <"$kds" | wc -l | tr -d ' ')" "$kds_n"; then
		rss_big=$rss
		rate flat "$kds_b" "$kds_n" "ddbflat (best of $runs)"
	else
		status=1
	fi
else
	say "no ddbflat in $bin: measuring the baselines only"
	status=1
fi

jvparse=$bin/helpers/jvparse
if [ ! -x "$jvparse" ]; then
	say "building $jvparse"
	make -s -C "$top" B="$bin" "$jvparse" >&2 || die "cannot build jvparse"
fi
if best "$kds" "$jvparse"; then
	rate jv "$kds_b" "$kds_n" "libjq parse-only (best of $runs)"
	n=$("$jvparse" <"$sub")
	[ "$n" = "$sub_n" ] || { say "jvparse counted $n values, want $sub_n"; status=1; }
else
	status=1
fi

# The slow ones write to a file so their rows can be counted afterwards
# (16 MB into the page cache costs nothing next to their run time).
rows=$tmp/rows
slow() {
	name=$1 label=$2; shift 2
	timed "$sub" "$rows" "$@"
	[ "$rc" -eq 0 ] && lines_ok "$label" "$(wc -l <"$rows" | tr -d ' ')" "$sub_n" &&
		rate "$name" "$sub_b" "$sub_n" "$label" || status=1
	rm -f "$rows"
}
slow jq "jq -c (decode_ddb style)" jq -c -f "$top/scripts/bench/ddb-flatten.jq"
slow py "python3 boto3 TypeDeserializer" /usr/bin/python3 "$top/scripts/bench/boto3-flatten.py"
if [ -d "$top/scripts/node/node_modules/@aws-sdk/util-dynamodb" ]; then
	slow node "node @aws-sdk/util-dynamodb" node "$top/scripts/bench/node-flatten.js"
else
	say "no scripts/node/node_modules: run scripts/setup.sh"
	status=1
fi

if [ -x "$flat" ]; then
	best "$gr" "$flat" &&
		lines_ok "ddbflat get-records" "$("$flat" <"$gr" | wc -l | tr -d ' ')" "$gr_n" &&
		rate gr "$gr_b" "$gr_n" "ddbflat get-records (base64)" || status=1
	# gzip: rate in uncompressed bytes, the work done.
	if best "$gz" "$flat" &&
	   lines_ok "ddbflat gzip" "$("$flat" <"$gz" | wc -l | tr -d ' ')" "$kds_n"; then
		rate gz "$kds_b" "$kds_n" "ddbflat gzip ($(awk -v b="$gz_b" 'BEGIN { printf "%.0f", b / 1e6 }') MB .gz)"
	else
		status=1
	fi
	timed "$ten" /dev/null "$flat"
	rss_ten=$rss
fi

echo
echo "ratios (same run):"
printf '  ddbflat / libjq parse-only  %8s  (target >= 10x)\n' "$(ratio "$mbs_flat" "$mbs_jv")"
printf '  ddbflat / jq                %8s\n' "$(ratio "$mbs_flat" "$mbs_jq")"
printf '  ddbflat / boto3             %8s\n' "$(ratio "$mbs_flat" "$mbs_py")"
printf '  ddbflat / node              %8s\n' "$(ratio "$mbs_flat" "$mbs_node")"
if [ -n "${rss_ten:-}" ] && [ -n "${rss_big:-}" ]; then
	printf 'peak RSS of ddbflat: %s MB input %.1f MiB, %s MB input %.1f MiB\n' \
		"$(awk -v b="$ten_b" 'BEGIN { printf "%.0f", b / 1e6 }')" \
		"$(awk -v k="$rss_ten" 'BEGIN { print k / 1024 }')" \
		"$(awk -v b="$kds_b" 'BEGIN { printf "%.0f", b / 1e6 }')" \
		"$(awk -v k="$rss_big" 'BEGIN { print k / 1024 }')"
fi

for extra in bench-batch.sh bench-s3.sh; do
	if [ -x "$top/scripts/$extra" ]; then
		echo
		echo "== scripts/$extra"
		"$top/scripts/$extra" || status=1
	fi
done
exit $status
