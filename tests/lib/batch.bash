# Helpers for tests/ddbbatch.bats. Load with `load lib/batch`.

# flat N [START]: N ddbflat-style records, numbered from START (default 1),
# spread over two tables and three days. Deterministic.
flat() {
	awk -v n="$1" -v s="${2:-1}" 'BEGIN {
		for (i = s; i < s + n; i++) {
			t = (i % 3 == 0) ? "users" : "orders"
			d = 23 + int(i / 2) % 3
			printf "{\"pk\":\"item#%d\",\"n\":%d,\"qty\":%d," \
			    "\"price\":12345678901234567890.5,\"note\":\"x\"," \
			    "\"_ddb_op\":\"INSERT\",\"_ddb_table\":\"%s\"," \
			    "\"_ddb_seq\":\"%020d\",\"_ddb_ts\":" \
			    "\"2024-06-%02dT20:38:10.250647Z\"}\n",
			    i, i, i % 7, t, i, d
		}
	}'
}

# finals DIR: finished batch files (hidden spools and temps excluded), sorted.
finals() {
	find "$1" -type f -name '*.json*' ! -name '.*' | sort
}

# records DIR: every record of every finished batch, decompressed.
records() {
	local f
	for f in $(finals "$1"); do
		case $f in
		*.gz) gzip -dc "$f" ;;
		*) cat "$f" ;;
		esac
	done
}

# numbers: the "n" field of each record on stdin, one per line.
numbers() {
	sed -n 's/.*"n":\([0-9]*\).*/\1/p'
}

# wait_for SECONDS COMMAND...: poll until COMMAND succeeds; fail after.
wait_for() {
	local t=$(($1 * 10))
	shift
	while [ "$t" -gt 0 ]; do
		"$@" 2>/dev/null && return 0
		sleep 0.1
		t=$((t - 1))
	done
	return 1
}

# lines_in FILE N: FILE exists with at least N lines.
lines_in() {
	[ -f "$1" ] && [ "$(wc -l <"$1")" -ge "$2" ]
}

# spooled DIR N: the open spools under DIR hold at least N records.
spooled() {
	[ "$(find "$1" -name '.*.spool' -exec cat {} + 2>/dev/null | wc -l)" -ge "$2" ]
}

# longdir N: a relative path of at least N bytes, in 250-byte segments
# (a directory name may have 255).
longdir() {
	local d=x s
	s=$(printf '%0250d' 0)
	while [ "${#d}" -lt "$1" ]; do d=$d/$s; done
	echo "$d"
}
