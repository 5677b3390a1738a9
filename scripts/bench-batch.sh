#!/bin/sh
# bench-batch.sh: ddbbatch throughput and memory beside plain baselines run
# on the same bytes in the same run.
#   scripts/bench-batch.sh [CORPUS]
# Without CORPUS it generates (once, deterministically) about 200 MB of
# ddbflat-style lines in $BENCH_DIR (default build/bench). Prints MB/s for:
#   cat CORPUS > FILE                 vs  ddbbatch                (target >= 0.5x)
#   cat CORPUS | cat > FILE           vs  cat CORPUS | ddbbatch   (pipeline shape)
#   gzip -6 < CORPUS > FILE           vs  ddbbatch --gzip=6       (target >= 0.8x)
# plus partitioned runs for information, and peak RSS (/usr/bin/time %M).
# One long line (BENCH_LONG_MB, default 1024, MB of one record) fed by a pipe:
#   cat LONG | cat > FILE             vs  cat LONG | ddbbatch
# and the same at a quarter of the size: user CPU seconds per MB at the
# quarter over those at the full size are about 1 when the cost is linear,
# 0.25 when quadratic (a scan from the line's start after every read once
# made 1 GB take 29 s). User time, not elapsed: the page faults and the
# fsync of a 1 GB file are system time and vary with the machine.
# ddbbatch fsyncs every batch; cat does not, so "cat+fsync" is shown too.
# Each figure is the best of BENCH_RUNS (default 2) runs. scripts/bench.sh
# calls this; it also runs on its own.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
bin=${DDBLAKE_BIN:-$top/build}
work=${BENCH_DIR:-$top/build/bench}
runs=${BENCH_RUNS:-2}
level=${BENCH_GZIP_LEVEL:-6}
long_mb=${BENCH_LONG_MB:-1024}
mkdir -p "$work"

corpus=${1:-}
if [ -z "$corpus" ]; then
	corpus=$work/flat-200M.json
	if [ ! -s "$corpus" ]; then
		echo "bench-batch: generating $corpus" >&2
		awk 'BEGIN {
			srand(42)
			for (i = 1; i <= 520000; i++) {
				t = (i % 5 == 0) ? "users" : ((i % 5 == 1) ? "carts" : "orders")
				op = (i % 11 == 0) ? "REMOVE" : ((i % 3 == 0) ? "MODIFY" : "INSERT")
				printf "{\"pk\":\"customer#%07d\",\"sk\":\"order#%09d\",", i % 99991, i
				printf "\"status\":\"%s\",\"qty\":%d,\"price\":%d.%02d,", \
				    (i % 4 == 0) ? "SHIPPED" : "PENDING", i % 17, i % 997, i % 100
				printf "\"total\":12345678901234567890123456789.%d,", i % 10
				printf "\"tags\":[\"a%d\",\"b%d\"],\"address_city\":\"City %d\",", \
				    i % 13, i % 7, i % 101
				printf "\"address_zip\":\"%05d\",\"note\":\"%s\",", \
				    int(rand() * 99999), substr("lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor", 1 + i % 20, 40 + i % 30)
				printf "\"_ddb_op\":\"%s\",\"_ddb_table\":\"%s\",", op, t
				printf "\"_ddb_event_id\":\"%08x%08x\",\"_ddb_seq\":\"%021d\",", \
				    i * 2654435761 % 4294967296, i, 4e20 + i
				printf "\"_ddb_ts\":\"2024-06-%02dT%02d:%02d:%02d.%06dZ\"}\n", \
				    20 + int(i / 100000), int(i / 4000) % 24, int(i / 60) % 60, \
				    i % 60, (i * 7919) % 1000000
			}
		}' >"$corpus.tmp"
		mv "$corpus.tmp" "$corpus"
	fi
fi
[ -r "$corpus" ] || { echo "bench-batch: $corpus: cannot read" >&2; exit 2; }
bytes=$(wc -c <"$corpus")
mb=$(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1e6 }')
cat "$corpus" >/dev/null	# warm the page cache

out=$work/out
# Set by best() through eval, one pair per measurement name.
secs_cat='' secs_cat_fsync='' secs_ddbbatch='' secs_cat_pipe=''
secs_ddbbatch_pipe='' secs_gzip='' secs_ddbbatch_gzip='' secs_long_cat=''
secs_long_ddbbatch='' rss_cat='' rss_ddbbatch='' rss_ddbbatch_16M=''
rss_ddbbatch_field='' rss_long_ddbbatch='' user_long_ddbbatch=''
user_long4_ddbbatch=''

# best NAME CMD [BYTES]: run CMD (a shell string) $runs times; sets SECS and
# RSS (KiB) of the fastest run, and secs_NAME, rss_NAME. MB/s of BYTES
# (default: the corpus).
best() {
	SECS='' RSS='' USER=''
	i=0
	while [ "$i" -lt "$runs" ]; do
		rm -rf "$out" && mkdir -p "$out"
		sync
		/usr/bin/time -f '%e %M %U' -o "$work/time" sh -c "$2"
		read -r t_secs t_rss t_user <"$work/time"
		if [ -z "$SECS" ] || awk -v a="$t_secs" -v b="$SECS" 'BEGIN { exit !(a < b) }'; then
			SECS=$t_secs RSS=$t_rss USER=$t_user
		fi
		i=$((i + 1))
	done
	rm -rf "$out"
	eval "secs_$1=\$SECS rss_$1=\$RSS user_$1=\$USER"
	printf '  %-30s %7.2f s %8.1f MB/s %8d KiB peak RSS\n' "$1" "$SECS" \
	    "$(awk -v b="${3:-$bytes}" -v s="$SECS" 'BEGIN { printf "%.1f", b / 1e6 / (s > 0 ? s : 0.01) }')" "$RSS"
}

ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'
}

echo "bench-batch: corpus $corpus ($mb MB, $(wc -l <"$corpus") lines), best of $runs"
b=$bin/ddbbatch
best cat "cat '$corpus' >'$out/cat.json'"
best cat_fsync "cat '$corpus' >'$out/cat.json' && sync '$out/cat.json'"
best ddbbatch "'$b' -d '$out' <'$corpus' >/dev/null"
best cat_pipe "cat '$corpus' | cat >'$out/cat.json'"
best ddbbatch_pipe "cat '$corpus' | '$b' -d '$out' >/dev/null"
best gzip "gzip -$level <'$corpus' >'$out/x.json.gz'"
best ddbbatch_gzip "'$b' -d '$out' --gzip=$level <'$corpus' >/dev/null"
best ddbbatch_field "'$b' -d '$out' -f _ddb_table <'$corpus' >/dev/null"
best ddbbatch_field_gzip "'$b' -d '$out' -f _ddb_table --gzip=$level <'$corpus' >/dev/null"
best ddbbatch_jq "'$b' -d '$out' -p '{table: ._ddb_table, dt: (._ddb_ts[0:10])}' <'$corpus' >/dev/null"
best ddbbatch_16M "'$b' -d '$out' -s 16M <'$corpus' >/dev/null"

# One record of N MB (a JSON string of x), through a pipe.
long_line() {
	f=$work/long-$1M.json
	if [ ! -s "$f" ]; then
		{ printf '{"s":"'; head -c "$(($1 * 1000000))" /dev/zero | tr '\0' x
		  printf '"}\n'; } >"$f.tmp" && mv "$f.tmp" "$f"
	fi
	cat "$f" >/dev/null
	echo "$f"
}
quarter=$((long_mb / 4))
long=$(long_line "$long_mb")
long4=$(long_line "$quarter")
best long_cat "cat '$long' | cat >'$out/cat.json'" "$(wc -c <"$long")"
best long_ddbbatch "cat '$long' | '$b' -d '$out' 2>/dev/null >/dev/null" "$(wc -c <"$long")"
best long4_ddbbatch "cat '$long4' | '$b' -d '$out' 2>/dev/null >/dev/null" "$(wc -c <"$long4")"

echo "ratios (MB/s of ddbbatch / MB/s of the baseline, same bytes, same run):"
echo "  ddbbatch / cat:             $(ratio "$secs_cat" "$secs_ddbbatch")x (target >= 0.5; cat copies file to file in the kernel)"
echo "  ddbbatch / cat+fsync:       $(ratio "$secs_cat_fsync" "$secs_ddbbatch")x"
echo "  both fed by a pipe:         $(ratio "$secs_cat_pipe" "$secs_ddbbatch_pipe")x (the shape of ddbflat | ddbbatch)"
echo "  ddbbatch --gzip / gzip -$level: $(ratio "$secs_gzip" "$secs_ddbbatch_gzip")x (target >= 0.8)"
echo "  one $long_mb MB line, piped: $(ratio "$secs_long_cat" "$secs_long_ddbbatch")x (the record is held whole in memory, and fsynced)"
echo "  one line, $long_mb MB / $quarter MB: $(ratio "$(awk -v a="$user_long4_ddbbatch" 'BEGIN { print a * 4 }')" "$user_long_ddbbatch")x (user CPU per MB at 4x the size; target >= 0.5: linear ~1, quadratic ~0.25)"
echo "memory: peak RSS ddbbatch ${rss_ddbbatch} KiB (1 MiB batches), -s 16M ${rss_ddbbatch_16M} KiB, -f (partitions) ${rss_ddbbatch_field} KiB, cat ${rss_cat} KiB, one $long_mb MB line ${rss_long_ddbbatch} KiB"
