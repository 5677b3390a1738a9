#!/usr/bin/env bats
# The whole pipeline under faults (make check-slow):
#
#   ddbflat CHUNK | ddbbatch --gzip --dir spool | s3put --remove s3://B/lake
#
# run the way a cron job runs it: the source arrives as chunk files (one
# more each round), and each run first hands on batches a killed run left
# in the spool (find | s3put --remove, as s3put(1) shows), then pipes every
# chunk without a done marker, in order, and writes the marker only when
# all three stages exited 0; the first failure ends the run, so a killed
# chunk is read again from its start by the next run. Each fault round
# kills one stage with SIGKILL at a random moment; one round instead stops
# radosgw (scripts/rgw.sh stop-gateway) while s3put works and starts it
# again. A last clean run must leave the spool empty.
#
# The lake, downloaded with awscli, is then compared with ddbflat's output
# of the whole stream: every row must be byte-identical to a reference row
# and every reference row must be there. Rows seen more than once must
# belong to chunks that were read more than once: the source replay after a
# kill delivers again whatever the killed run had already uploaded. That is
# the at-least-once hand-off between the source and ddbbatch; the tools
# themselves must add no duplicate (a batch printed or uploaded twice goes
# to the same key). The test prints the counts as TAP comments.
#
# Random choices (which stage, when) come from bash's RANDOM seeded with
# PIPELINE_FAULTS_SEED (printed; default random), and the stream from
# gen-corpus with the same seed. Kill moments also depend on timing, so a
# replay repeats the choices, not necessarily the exact interleaving.
#
# needs: rgw is what tests/run.sh looks for; the gateway restart needs the
# cluster run.sh started (RGW_DIR), so the test skips without one.
# needs: rgw
bats_require_minimum_version 1.5.0

setup() {
	load ../lib/common
	load ../lib/s3
	[ -n "${DDBLAKE_SLOW:-}" ] || skip "slow test: run with DDBLAKE_SLOW=1 (make check-slow)"
	cd "$BATS_TEST_TMPDIR"
	export LC_ALL=C
}

teardown() {
	local f p
	for f in "$BATS_TEST_TMPDIR"/pid.*; do
		[ -e "$f" ] || continue
		p=$(cat "$f") && [ -n "$p" ] && kill -9 "$p" 2>/dev/null
	done
	# Never leave the shared gateway down.
	if [ -n "${RGW_DIR:-}" ] && [ -e "$RGW_DIR/.ddblake-rgw" ] &&
	    ! "$TOP/scripts/rgw.sh" status >/dev/null 2>&1; then
		"$TOP/scripts/rgw.sh" start-gateway </dev/null >/dev/null 2>&1 3>&- || true
	fi
	return 0
}

# s3put as the pipeline runs it: exec'd, so the pid is s3put's own.
put() {
	exec s3put --endpoint-url "$DDBLAKE_S3_ENDPOINT" --path-style \
	    --retry-time 60s --remove "$@" "s3://$S3_BUCKET/lake"
}

# One chunk through the pipeline; each stage writes its pid (the subshell
# execs the tool) so the fault injector can find it.
pipe_chunk() {
	local st
	(echo "$BASHPID" >pid.flat && exec ddbflat "$1") 2>>err.flat |
	    (echo "$BASHPID" >pid.batch &&
		exec ddbbatch --gzip --max-bytes 512K --dir spool) 2>>err.batch |
	    (echo "$BASHPID" >pid.put &&
		put --stats "stats.$ROUND.${1##*/}.json") >>put.out 2>>err.put
	st="${PIPESTATUS[*]}"
	rm -f pid.flat pid.batch pid.put
	echo "$ROUND ${1##*/} $st" >>runs.log
	[ "$st" = "0 0 0" ]
}

# One cron run: leftovers first, then the chunks not yet done, in order.
cron_run() {
	local c
	find spool -name 'ddb-*.json.gz' | sort | (put) >>put.out 2>>err.put ||
		return 1
	for c in inbox/chunk*; do
		[ -e "done/${c##*/}" ] && continue
		pipe_chunk "$c" || return 1
		: >"done/${c##*/}"
	done
}

# kill_stage STAGE DELAY_MS: SIGKILL the stage of the running chunk DELAY_MS
# after it started; if it has exited by then, the same stage of the next
# chunk this run pipes. Gives up when the run ends (a miss).
kill_stage() {
	local p=
	until [ -s "pid.$1" ] || [ -e cron.end ]; do sleep 0.01; done
	sleep "$(printf '%d.%03d' $(($2 / 1000)) $(($2 % 1000)))"
	while [ ! -e cron.end ]; do
		p=$(cat "pid.$1" 2>/dev/null) || p=
		if [ -n "$p" ] && kill -9 "$p" 2>/dev/null; then
			echo "$ROUND $1 $p" >>kills.log
			return 0
		fi
		sleep 0.01
	done
	echo "$ROUND $1 missed" >>kills.log
}

# Stop radosgw DELAY_MS after s3put of a chunk uploaded its first batch,
# for 3 s.
gw_outage() {
	local n0
	n0=$(wc -l <put.out)
	until [ "$(wc -l <put.out)" -gt "$n0" ] || [ -e cron.end ]; do
		sleep 0.01
	done
	sleep "$(printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)))"
	"$TOP/scripts/rgw.sh" stop-gateway </dev/null >>gw.log 2>&1 3>&-
	echo "$ROUND stopped $(date +%s.%N)" >>gw.log
	sleep 3
	"$TOP/scripts/rgw.sh" start-gateway </dev/null >>gw.log 2>&1 3>&-
	echo "$ROUND started $(date +%s.%N)" >>gw.log
}

# One round: a cron run with FAULT (flat, batch, put, gw or none) injected;
# fails the test if the run does not end within 120 s (a stuck stage).
round() {
	local fault=$1 delay=$2 cpid fpid=
	rm -f cron.end pid.*
	(set +e; cron_run; echo $? >cron.rc; : >cron.end) 3>&- &
	cpid=$!
	case $fault in
	gw) gw_outage "$delay" 3>&- & fpid=$! ;;
	none) ;;
	*) kill_stage "$fault" "$delay" 3>&- & fpid=$! ;;
	esac
	for _ in $(seq 1200); do
		[ -e cron.end ] && break
		sleep 0.1
	done
	if [ ! -e cron.end ]; then
		ps -o pid,stat,etime,args --ppid "$cpid" >&3 || true
		fail "round $ROUND ($fault): the pipeline did not finish within 120 s"
	fi
	wait "$cpid"
	[ -z "$fpid" ] || wait "$fpid"
}

# Stage exits 137 (128 + SIGKILL) in runs.log, for column $1 (3..5).
killed() {
	awk -v c="$1" '$c == 137 { n++ } END { print n + 0 }' runs.log
}

event_ids() {
	awk 'match($0, /"_ddb_event_id":"[^"]*"/) {
		print substr($0, RSTART + 17, RLENGTH - 18) }' "$@"
}

@test "pipeline: SIGKILL of each stage and a radosgw restart lose no event; duplicates are identical replays" {
	[ -n "${RGW_DIR:-}" ] && [ -e "$RGW_DIR/.ddblake-rgw" ] ||
		skip "needs the radosgw cluster that tests/run.sh starts (RGW_DIR) to restart its gateway"
	s3_setup
	local t0=$SECONDS seed chunks=10 per=10000 gw_round=4 min_rounds=8
	local max_rounds=9 r fault order n stages=(flat batch put)
	seed=${PIPELINE_FAULTS_SEED:-$(( $(od -An -N2 -tu2 /dev/urandom) ))}
	RANDOM=$seed
	echo "# seed $seed (replay with PIPELINE_FAULTS_SEED=$seed)" >&3

	"$TOP/scripts/gen-corpus" --records $((chunks * per)) --unique-ids \
	    --seed "$seed" -o corpus.jsonl
	mkdir chunks inbox "done" spool
	split -d -a 3 -l "$per" corpus.jsonl chunks/chunk
	rm corpus.jsonl
	# The reference: what ddbflat makes of each chunk, without faults.
	for c in chunks/chunk*; do
		ddbflat "$c" >"$c.ref"
		event_ids "$c.ref" >"$c.ids"
	done
	cat chunks/*.ref >expected.jsonl
	[ "$(wc -l <expected.jsonl)" -eq $((chunks * per)) ]
	[ "$(sort -u expected.jsonl | wc -l)" -eq $((chunks * per)) ]

	# Fault rounds: one chunk arrives per round; stages in a random order
	# first, then whichever has not been killed yet, else any.
	order=("${stages[@]}")
	for i in 2 1; do
		j=$((RANDOM % (i + 1)))
		t=${order[i]}; order[i]=${order[j]}; order[j]=$t
	done
	: >runs.log
	: >kills.log
	mv chunks/chunk000 inbox/
	r=0
	while :; do
		r=$((r + 1))
		ROUND=$r
		n=$(printf '%03d' "$r")
		[ ! -e "chunks/chunk$n" ] || mv "chunks/chunk$n" inbox/
		if [ "$r" -eq "$gw_round" ]; then
			fault=gw
		elif [ ${#order[@]} -gt 0 ]; then
			fault=${order[0]}
			order=("${order[@]:1}")
		else
			fault=
			[ "$(killed 3)" -gt 0 ] || fault=flat
			[ "$(killed 4)" -gt 0 ] || fault='batch'
			[ "$(killed 5)" -gt 0 ] || fault=put
			[ -n "$fault" ] || fault=${stages[RANDOM % 3]}
		fi
		# A moment within a chunk's run time (about 0.2 s for
		# ddbflat, 0.5 s for ddbbatch, 1 s for s3put on 2 cores).
		case $fault in
		flat) delay=$((RANDOM % 200)) ;;
		batch) delay=$((RANDOM % 400)) ;;
		gw) delay=$((RANDOM % 100)) ;;
		*) delay=$((RANDOM % 700)) ;;
		esac
		echo "# round $r: $fault after ${delay} ms" >&3
		round "$fault" "$delay"
		if [ "$r" -ge "$min_rounds" ] && [ "$(killed 3)" -gt 0 ] &&
		    [ "$(killed 4)" -gt 0 ] && [ "$(killed 5)" -gt 0 ]; then
			break
		fi
		[ "$r" -lt "$max_rounds" ] || break
	done
	fault_rounds=$r

	# The clean run: the rest of the stream, no faults, everything done.
	mv chunks/chunk[0-9][0-9][0-9] inbox/ 2>/dev/null || true
	ROUND=$((r + 1))
	round none 0
	if [ "$(cat cron.rc)" -ne 0 ]; then
		tail -n 5 runs.log err.* >&3
		fail "the clean run failed"
	fi
	ROUND=$((r + 2))
	round none 0		# nothing left: a rerun that does nothing
	[ "$(cat cron.rc)" -eq 0 ]
	[ "$(find "done" -type f | wc -l)" -eq "$chunks" ]
	# Everything uploaded and removed: nothing but the lock in the spool.
	run -0 find spool -type f ! -name .ddbbatch.lock
	assert_output ""

	# The lake, read back with awscli.
	s3_aws s3 cp --quiet --recursive "s3://$S3_BUCKET/lake/" lake/
	objects=$(find lake -type f | wc -l)
	find lake -type f -name '*.json.gz' ! -path '*/_error=*' -print0 |
	    sort -z | xargs -0 gzip -dc >rows.jsonl
	rows=$(wc -l <rows.jsonl)
	distinct_rows=$(sort -u rows.jsonl | wc -l)
	event_ids rows.jsonl | sort >ids.txt
	distinct_ids=$(uniq ids.txt | wc -l)
	dup_rows=$((rows - distinct_rows))

	# Replayed chunks: chunks piped more than once.
	awk '{ print $2 }' runs.log | sort | uniq -d >replayed.txt
	: >replayed-ids.txt
	while read -r c; do
		sort "chunks/$c.ids" >>replayed-ids.txt
	done <replayed.txt
	sort -o replayed-ids.txt replayed-ids.txt
	uniq -d ids.txt >dup-ids.txt
	stray=$(comm -23 dup-ids.txt replayed-ids.txt | wc -l)
	# Per chunk: how often it was piped, its duplicate rows, and event ids
	# with more copies than runs of their chunk (a tool duplicating).
	for c in chunks/chunk[0-9][0-9][0-9].ids; do
		c=${c##*/}
		awk -v c="${c%.ids}" '
		FILENAME == "runs.log" { if ($2 == c) { runs++; ex = ex " " $3 "/" $4 "/" $5 } next }
		FILENAME ~ /[.]ids$/ { mine[$1] = 1; next }
		($1 in mine) { n[$1]++ }
		END {
			for (i in n) { dup += n[i] - 1; if (n[i] > runs) over++ }
			if (runs > 1 || dup > 0 || over > 0)
				printf "# %s: piped %d times (exits flat/batch/put:%s), %d duplicate rows, %d ids over\n",
				    c, runs, ex, dup, over + 0
		}' runs.log "chunks/$c" ids.txt
	done >chunks.txt
	over=$(awk '{ n += $(NF - 2) } END { print n + 0 }' chunks.txt)
	# Records cut by a SIGKILL in the middle of a write, of ddbflat to the
	# pipe or of ddbbatch to a spool: ddbbatch routes the cut head to the
	# error partition (and exits 1).
	find lake -path '*/_error=*' -type f -print0 | xargs -0 -r gzip -dc >errors.jsonl
	errs=$(wc -l <errors.jsonl)

	gw_retried=$(cat stats.$gw_round.*.json | jq -s 'map(.retried) | add')
	elapsed=$((SECONDS - t0))
	{
		echo "# seed $seed: $((chunks * per)) records generated in $chunks chunks"
		echo "# rounds: $fault_rounds with faults + 2 clean; chunk runs $(wc -l <runs.log), replayed chunks $(wc -l <replayed.txt)"
		echo "# SIGKILLs landed (exit 137): ddbflat $(killed 3), ddbbatch $(killed 4), s3put $(killed 5); kill attempts $(wc -l <kills.log), $(grep -c missed kills.log) missed (stage exited first)"
		echo "# radosgw stopped for 3 s in round $gw_round, $(grep -c started gw.log) time(s); s3put retried $gw_retried requests then"
		echo "# lake: $objects objects, $rows rows, $distinct_ids distinct event ids, $dup_rows duplicate rows"
		echo "# duplicates: identical rows of chunks read again after a failed run (source replay, at-least-once); $stray outside replayed chunks"
		echo "# error partition rows (heads of records cut by a kill mid-write, sent again whole by the replay): $errs"
		echo "# elapsed ${elapsed} s"
	} >&3
	cat chunks.txt >&3

	# A cut record in the error partition is the start of a reference row.
	while read -r env; do
		[ "$(jq -r .errorCode <<<"$env")" = PartitionKeyFailed ]
		cut=$(jq -r .rawData <<<"$env" | base64 -d)
		[ -n "$cut" ]
		grep -qF -- "$cut" expected.jsonl ||
			fail "error partition holds bytes of no reference row: ${cut:0:200}"
	done <errors.jsonl

	# Every row is a reference row, byte for byte, and no event id is
	# missing.
	sort -u rows.jsonl | comm -23 - <(sort expected.jsonl) >foreign.jsonl
	event_ids expected.jsonl | sort | comm -23 - <(uniq ids.txt) >missing.txt
	if [ -s foreign.jsonl ] || [ -s missing.txt ]; then
		head -c 600 foreign.jsonl | sed 's/^/# not in the reference: /' >&3
		head -5 missing.txt | sed 's/^/# missing: /' >&3
		fail "$(wc -l <missing.txt) event ids missing, $(wc -l <foreign.jsonl) rows not in the reference"
	fi
	[ "$distinct_ids" -eq $((chunks * per)) ]
	# Two rows with one event id are the same row.
	[ "$distinct_rows" -eq "$distinct_ids" ]
	# Duplicates only come from replayed chunks, at most one copy per run.
	[ "$stray" -eq 0 ]
	[ "$over" -eq 0 ]
	# Each stage was killed at least once, the gateway restarted once.
	[ "$(killed 3)" -gt 0 ]
	[ "$(killed 4)" -gt 0 ]
	[ "$(killed 5)" -gt 0 ]
	[ "$(grep -c started gw.log)" -eq 1 ]
	[ "$gw_retried" -gt 0 ]
}
