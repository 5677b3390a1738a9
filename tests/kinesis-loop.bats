#!/usr/bin/env bats
# scripts/kinesis-loop.sh against kinesalite: records put with awscli come
# out of `kinesis-loop.sh | ddbflat`, every one, and a restart resumes from
# the state file.
load lib/common
load lib/kinesis

LOOP=$TOP/scripts/kinesis-loop.sh
SHARD=shardId-000000000000

setup() {
	cd "$BATS_TEST_TMPDIR" || return
	# `loop | ddbflat`: a failing loop must fail the test, not hand
	# ddbflat an empty input that passes for "no records".
	set -o pipefail
	command -v aws >/dev/null || skip "awscli not found: run scripts/setup.sh"
	kinesalite_start
	kaws create-stream --stream-name s --shard-count 1 >/dev/null
}

teardown() {
	kinesalite_stop
}

# put FIRST COUNT: generated KDS records FIRST..FIRST+COUNT-1 (seed 3),
# the first with put-record, the rest with put-records; their event ids are
# appended to want.ids.
put() {
	"$TOP/scripts/gen-corpus" --records $(($1 + $2 - 1)) --unique-ids --seed 3 |
	    tail -n "$2" >batch.jsonl
	jq -r .eventID batch.jsonl >>want.ids
	kaws put-record --stream-name s --partition-key p \
	    --data "$(head -1 batch.jsonl)" >/dev/null
	if [ "$2" -gt 1 ]; then
		tail -n +2 batch.jsonl |
		    jq -c -s '[.[] | {Data: tojson, PartitionKey: .eventID}]' >recs.json
		run -0 kaws put-records --stream-name s --records file://recs.json \
		    --query FailedRecordCount
		assert_output 0
	fi
}

loop() {
	"$LOOP" --stream s --shard "$SHARD" --endpoint-url "$KINESIS_ENDPOINT" \
	    --sleep 0.1 "$@"
}

@test "kinesis-loop: every record put comes out of ddbflat, in order" {
	put 1 120
	loop --limit 50 --iterations 5 | ddbflat --stats flat.stats >out.jsonl
	jq -r ._ddb_event_id out.jsonl >got.ids
	run -0 diff want.ids got.ids
	[ "$(jq .records_failed flat.stats)" = 0 ]
	# The Kinesis sequence numbers are there and increase.
	run -0 jq -s -r '[.[]._ddb_seq | length] | min' out.jsonl
	[ "$output" -gt 20 ]
}

@test "kinesis-loop: a restart resumes after the last sequence number in --state" {
	put 1 30
	loop --state seq --iterations 2 | ddbflat >out1.jsonl
	[ "$(wc -l <out1.jsonl)" = 30 ]
	[ "$(cat seq)" = "$(jq -r ._ddb_seq out1.jsonl | tail -1)" ]
	: >want.ids
	put 31 10
	loop --state seq --iterations 2 | ddbflat >out2.jsonl
	jq -r ._ddb_event_id out2.jsonl >got.ids
	run -0 diff want.ids got.ids
	# --resume-at reads the remembered record once more.
	loop --state seq --resume-at --iterations 1 | ddbflat >out3.jsonl
	run -0 jq -r ._ddb_event_id out3.jsonl
	assert_output "$(tail -1 want.ids)"
}

@test "kinesis-loop: --from latest skips what is there, --from at=SEQ starts there" {
	put 1 5
	seq3=$(loop --iterations 1 | jq -r '.Records[2].SequenceNumber')
	loop --from "at=$seq3" --iterations 1 | ddbflat >at.jsonl
	[ "$(wc -l <at.jsonl)" = 3 ]
	loop --from "after=$seq3" --iterations 1 | ddbflat >after.jsonl
	[ "$(wc -l <after.jsonl)" = 2 ]
	# Two answers, both empty: the five records were skipped.
	run -0 loop --from latest --iterations 2
	[ "$(jq -s length <<<"$output")" = 2 ]
	[ "$(jq -s 'map(.Records | length) | add' <<<"$output")" = 0 ]
}

@test "kinesis-loop: empty responses are passed on and the loop stops on SIGTERM with 0" {
	"$LOOP" --stream s --shard "$SHARD" --endpoint-url "$KINESIS_ENDPOINT" \
	    --sleep 0.2 >out.json 2>err 3>&- &
	pid=$!
	for _ in $(seq 100); do
		[ "$(grep -c NextShardIterator out.json)" -ge 2 ] && break
		sleep 0.1
	done
	[ "$(grep -c NextShardIterator out.json)" -ge 2 ]
	kill -TERM "$pid"
	st=0
	wait "$pid" || st=$?
	[ "$st" = 0 ]
	run -0 ddbflat out.json
	assert_output ''
	run -0 jq -s 'map(.Records | length) | add' out.json
	assert_output 0
}

@test "kinesis-loop: usage errors exit 2, a missing stream exits 6 at once" {
	run -2 "$LOOP" --shard "$SHARD"
	assert_output --partial 'kinesis-loop.sh: --stream is required'
	run -2 "$LOOP" --stream s --shard "$SHARD" --from yesterday
	run -6 "$LOOP" --stream nosuch --shard "$SHARD" --endpoint-url "$KINESIS_ENDPOINT"
	assert_output --partial 'ResourceNotFoundException'
}
