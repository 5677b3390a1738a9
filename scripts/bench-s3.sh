#!/bin/sh
# bench-s3.sh: s3put against awscli on the local radosgw, in the same run.
#
#   1. a set of batch files (BENCH_FILES, default 200, ~256 KiB gzip NDJSON
#      each, generated deterministically and cached) uploaded by
#        - s3put --jobs 8, all files in one run
#        - `aws s3 cp` once per file, as a cron script would (on the first
#          BENCH_LOOP_FILES, default 30, and rated per object)
#        - `aws s3 cp --recursive` (awscli's own concurrency)
#      s3put and --recursive run BENCH_REPEAT times (default 3), alternating,
#      and the median is reported: the machine is shared and noisy.
#   2. one BENCH_BIG_MB (default 1024) MiB file by multipart, s3put against
#      `aws s3 cp`; peak RSS shows memory stays bounded by part size x
#      parallel parts.
# Prints objects/s, MB/s, peak RSS and the ratios. Every upload is checked
# by listing (count and sizes) so a fast failure cannot pass for speed.
#
# Uses DDBLAKE_S3_ENDPOINT and the AWS_* keys if set; otherwise starts its
# own radosgw (scripts/rgw.sh, RGW_PORT default 7520, RGW_DIR build/rgw-bench,
# 4 GiB of RAM for objects) and stops it at the end.
# s3put comes from $DDBLAKE_BIN (default build/). BENCH_DIR holds the data
# (default build/bench-s3); BENCH_AWS picks the awscli binary.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
bin=${DDBLAKE_BIN:-$top/build}
n=${BENCH_FILES:-200}
nloop=${BENCH_LOOP_FILES:-30}
bigmb=${BENCH_BIG_MB:-1024}
jobs=${BENCH_JOBS:-8}
reps=${BENCH_REPEAT:-3}
data=${BENCH_DIR:-$top/build/bench-s3}

die() { echo "bench-s3.sh: $*" >&2; exit 1; }

[ -x "$bin/s3put" ] || die "$bin/s3put not built (make)"
[ -x /usr/bin/time ] || die "/usr/bin/time missing: run scripts/setup.sh"
if [ -n "${BENCH_AWS:-}" ]; then
	awsbin=$BENCH_AWS
elif [ -x /usr/bin/aws ]; then
	awsbin=/usr/bin/aws	# Debian's 2.9.19: no default CRC checksums
else
	awsbin=$(command -v aws) || die "awscli not found"
	export AWS_REQUEST_CHECKSUM_CALCULATION=when_required
	export AWS_RESPONSE_CHECKSUM_VALIDATION=when_required
fi
[ "$nloop" -le "$n" ] || nloop=$n

started=
work=$(mktemp -d "${TMPDIR:-/tmp}/bench-s3.XXXXXX")
cleanup() {
	if [ -n "$started" ]; then
		RGW_PORT=$rgwport RGW_DIR=$rgwdir "$top/scripts/rgw.sh" stop || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT HUP TERM

if [ -z "${DDBLAKE_S3_ENDPOINT:-}" ]; then
	rgwport=${RGW_PORT:-7520}
	rgwdir=${RGW_DIR:-$top/build/rgw-bench}
	started=1
	RGW_PORT=$rgwport RGW_DIR=$rgwdir RGW_MEM=${RGW_MEM:-4G} \
	    "$top/scripts/rgw.sh" start </dev/null
	eval "$(RGW_PORT=$rgwport RGW_DIR=$rgwdir "$top/scripts/rgw.sh" env)"
fi
export AWS_EC2_METADATA_DISABLED=true AWS_PAGER=
ep=$DDBLAKE_S3_ENDPOINT

aws_() { "$awsbin" --endpoint-url "$ep" --region "${AWS_REGION:-us-east-1}" "$@"; }

# ---- data (deterministic, cached) ----
files=$data/files-$n
if [ ! -f "$files.done" ]; then
	echo "bench-s3.sh: generating $n batch files in $files" >&2
	rm -rf "$files"
	mkdir -p "$files"
	python3 - "$files" "$n" <<'EOF'
import gzip, json, random, sys, uuid
d, n = sys.argv[1], int(sys.argv[2])
r = random.Random(20240625)
for i in range(n):
    recs, size = [], 0
    seq = i * 100000
    # ~256 KiB after gzip: ids and payload hashes do not compress much.
    while size < 950 * 1024:
        seq += 1
        rec = {"_ddb_op": r.choice(["INSERT", "MODIFY", "REMOVE"]),
               "_ddb_table": "orders", "_ddb_seq": str(seq),
               "_ddb_ts": "2024-06-25T20:%02d:%02d.%06dZ" % (i % 60, seq % 60, seq % 1000000),
               "pk": "order#%016x" % r.getrandbits(64),
               "sk": "item#%d" % r.randrange(1000),
               "amount": r.randrange(1, 10**9) / 100,
               "status": r.choice(["new", "paid", "shipped", "returned"]),
               "digest": "%064x" % r.getrandbits(256)}
        line = json.dumps(rec, separators=(",", ":")) + "\n"
        recs.append(line)
        size += len(line)
    u = uuid.UUID(int=r.getrandbits(128), version=4)
    name = "ddb-2024-06-25-20-%02d-%02d-%03d-%s.json.gz" % (i // 60 % 60, i % 60, i % 1000, u)
    with open("%s/%s" % (d, name), "wb") as f:
        f.write(gzip.compress("".join(recs).encode(), mtime=0))
EOF
	touch "$files.done"
fi
big=$data/big-${bigmb}M.bin
if [ "$bigmb" -gt 0 ] && [ ! -f "$big" ]; then
	echo "bench-s3.sh: generating $big" >&2
	mkdir -p "$data"
	# AES-CTR of zeros: deterministic and incompressible, at disk speed.
	head -c "$((bigmb * 1048576))" /dev/zero |
	    openssl enc -aes-128-ctr -nosalt -K 000102030405060708090a0b0c0d0e0f \
	    -iv 00000000000000000000000000000000 >"$big.tmp"
	mv "$big.tmp" "$big"
fi
(cd "$files" && for f in *.json.gz; do echo "$f"; done) >"$work/names"
bytes=$(cd "$files" && xargs stat -c %s <"$work/names" | awk '{s += $1} END {print s}')
head -n "$nloop" "$work/names" >"$work/loop"
loopbytes=$(cd "$files" && xargs stat -c %s <"$work/loop" | awk '{s += $1} END {print s}')

bucket=bench-$(date +%s)-$$
aws_ s3api create-bucket --bucket "$bucket" >/dev/null
# Untimed warm-up: radosgw creates its data pool on the first write.
aws_ s3 cp --quiet "$files/$(head -n 1 "$work/names")" "s3://$bucket/warm-up"

# run NAME CMD...: time CMD (wall clock, ns) and its peak RSS (KiB).
run() {
	_name=$1
	shift
	_t0=$(date +%s%N)
	/usr/bin/time -f %M -o "$work/$_name.rss" "$@" >"$work/$_name.out" 2>"$work/$_name.err" ||
		{ cat "$work/$_name.err" >&2; die "$_name failed"; }
	_t1=$(date +%s%N)
	echo $(( (_t1 - _t0) / 1000 )) >"$work/$_name.us"
}

# check PREFIX COUNT BYTES: the listing must hold exactly that.
check() {
	aws_ s3api list-objects-v2 --bucket "$bucket" --prefix "$1" \
	    --query '[length(Contents[]), sum(Contents[].Size)]' --output text \
	    >"$work/check" || die "listing $1 failed"
	[ "$(tr -s ' \t' ' ' <"$work/check")" = "$2 $3" ] ||
		die "s3://$bucket/$1: want $2 objects, $3 bytes; listed $(cat "$work/check")"
}

echo "bench-s3.sh: $n files, $((bytes / 1024)) KiB; endpoint $ep; $("$awsbin" --version 2>&1 | cut -d' ' -f1)" >&2

# median NAME: NAME.us := median of NAME.*.us, NAME.rss := the largest RSS.
median() {
	printf '%s runs (s):' "$1" >>"$work/runs"
	for _f in "$work/$1".*.us; do
		awk '{ printf " %.2f", $1 / 1e6 }' "$_f" >>"$work/runs"
	done
	echo >>"$work/runs"
	sort -n "$work/$1".*.us | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }' >"$work/$1.us"
	sort -n "$work/$1".*.rss | tail -n 1 >"$work/$1.rss"
}

# s3put keys the files by their time stamps under the prefix; --key keeps
# the layout flat here so the runs are comparable.
r=1
while [ "$r" -le "$reps" ]; do
	# shellcheck disable=SC2046 # generated names, no blanks
	run "s3put.$r" "$bin/s3put" --endpoint-url "$ep" --path-style \
	    --jobs "$jobs" --key '{name}' "s3://$bucket/s3put$r/" \
	    $(sed "s|^|$files/|" "$work/names")
	check "s3put$r/" "$n" "$bytes"
	run "recursive.$r" "$awsbin" --endpoint-url "$ep" \
	    --region "${AWS_REGION:-us-east-1}" s3 cp --quiet --recursive \
	    "$files" "s3://$bucket/recursive$r/"
	check "recursive$r/" "$n" "$bytes"
	r=$((r + 1))
done
median s3put
median recursive

cat >"$work/loop.sh" <<EOF
#!/bin/sh
set -e
while read -r f; do
	"$awsbin" --endpoint-url "$ep" --region "\${AWS_REGION:-us-east-1}" \
	    s3 cp --quiet "$files/\$f" "s3://$bucket/loop/\$f"
done <"$work/loop"
EOF
run loop sh "$work/loop.sh"
check loop/ "$nloop" "$loopbytes"

if [ "$bigmb" -gt 0 ]; then
	bigbytes=$((bigmb * 1048576))
	run bigput "$bin/s3put" --endpoint-url "$ep" --path-style \
	    --jobs "$jobs" --key big.bin "s3://$bucket/bigput/" "$big"
	check bigput/ 1 "$bigbytes"
	aws_ s3 rm --quiet "s3://$bucket/bigput/big.bin"
	run bigaws "$awsbin" --endpoint-url "$ep" --region "${AWS_REGION:-us-east-1}" \
	    s3 cp --quiet "$big" "s3://$bucket/bigaws/big.bin"
	check bigaws/ 1 "$bigbytes"
	aws_ s3 rm --quiet "s3://$bucket/bigaws/big.bin"
fi
aws_ s3 rb --force "s3://$bucket" >/dev/null 2>&1 || true
cat "$work/runs"

# ---- report ----
awk -v n="$n" -v nloop="$nloop" -v bytes="$bytes" -v loopbytes="$loopbytes" \
    -v bigmb="$bigmb" -v jobs="$jobs" -v reps="$reps" -v dir="$work" '
function rd(f,   v) { if ((getline v < f) <= 0) v = 0; close(f); return v + 0 }
function row(name, objs, b, us, rss) {
	s = us / 1e6
	printf "%-34s %7d %9.2f %9.1f %8.1f %9.1f\n", name, objs, s, objs / s, b / 1e6 / s, rss / 1024
	ops[name] = objs / s; mbs[name] = b / 1e6 / s; mem[name] = rss / 1024
}
BEGIN {
	printf "%-34s %7s %9s %9s %8s %9s\n", "upload", "objects", "seconds", "objects/s", "MB/s", "peak MiB"
	row("s3put --jobs " jobs, n, bytes, rd(dir "/s3put.us"), rd(dir "/s3put.rss"))
	row("aws s3 cp, one run per file", nloop, loopbytes, rd(dir "/loop.us"), rd(dir "/loop.rss"))
	row("aws s3 cp --recursive", n, bytes, rd(dir "/recursive.us"), rd(dir "/recursive.rss"))
	if (bigmb > 0) {
		row("s3put " bigmb " MiB file", 1, bigmb * 1048576, rd(dir "/bigput.us"), rd(dir "/bigput.rss"))
		row("aws s3 cp " bigmb " MiB file", 1, bigmb * 1048576, rd(dir "/bigaws.us"), rd(dir "/bigaws.rss"))
	}
	printf "\n(s3put and --recursive: median of %d runs)\nratios (s3put / awscli, same run):\n", reps
	printf "  batch files vs per-file aws s3 cp: %.1fx objects/s (target >= 5x)\n", ops["s3put --jobs " jobs] / ops["aws s3 cp, one run per file"]
	printf "  batch files vs aws s3 cp --recursive: %.2fx objects/s (target > 1x)\n", ops["s3put --jobs " jobs] / ops["aws s3 cp --recursive"]
	if (bigmb > 0) {
		printf "  %d MiB file (multipart above 8 MiB): %.2fx MB/s (target >= 1x), peak RSS %.0f MiB vs %.0f MiB\n", bigmb,
		    mbs["s3put " bigmb " MiB file"] / mbs["aws s3 cp " bigmb " MiB file"],
		    mem["s3put " bigmb " MiB file"], mem["aws s3 cp " bigmb " MiB file"]
	}
}'
