#!/usr/bin/env bats
# The whole pipeline, ddbflat | ddbbatch | s3put, into radosgw; the lake is
# downloaded with awscli and read with DuckDB (tests/lib/duckq.js), the way
# a user's query engine reads it. Expected figures come from the input,
# computed with jq, never from our own tools' output.
# needs: rgw
load lib/common
load lib/s3

PART='{table_name: (._ddb_table // ""), dt: ((._ddb_ts // "")[0:10])}'
N=2000

setup() {
	cd "$BATS_TEST_TMPDIR"
}

# A record ddbflat must refuse (the number text is not a number); the rest
# of the stream must land regardless.
BAD='{"eventName":"INSERT","tableName":"orders","dynamodb":{"ApproximateCreationDateTime":1719347890251,"NewImage":{"pk":{"S":"BAD#1"},"n":{"N":"12abc"}}}}'

# in.json: generated Kinesis get-records documents, the bad record, the AWS
# blog's pair and a TTL expiry; gen.jsonl: the same generated records
# decoded, one a line, for jq to compute the expected figures from.
make_input() {
	"$TOP/scripts/gen-corpus" --records "$N" --unique-ids --format getrecords >in.json
	"$TOP/scripts/gen-corpus" --records "$N" --unique-ids >gen.jsonl
	printf '%s\n' "$BAD" >>in.json
	cat "$DATA/ddbflat/blog-pair.json" "$DATA/ddbflat/streams-ttl-remove.json" >>in.json
}

# pipeline [DDBFLAT OPTIONS]: in.json through the three tools into
# s3://$S3_BUCKET/lake/; each stage's exit status in $st_flat, $st_batch,
# $st_put; ddbbatch's printed paths in paths, s3put's lines in put.out.
pipeline() {
	set +e
	ddbflat --errors errors.json --stats flat.stats "$@" in.json 2>flat.err |
	    ddbbatch --gzip --dir spool --partition "$PART" --stats batch.stats 2>batch.err |
	    tee paths |
	    s3put --endpoint-url "$DDBLAKE_S3_ENDPOINT" --path-style --remove \
		--stats put.stats "s3://$S3_BUCKET/lake/" >put.out 2>put.err
	local s=("${PIPESTATUS[@]}")
	set -e
	st_flat=${s[0]} st_batch=${s[1]} st_put=${s[3]}
	s3_aws s3 sync --only-show-errors "s3://$S3_BUCKET/lake" lake
}

LAKE="read_json_auto('lake/**/*.json.gz', hive_partitioning = true, union_by_name = true)"
dq() { node "$TOP/tests/lib/duckq.js" "$1"; }
num() { jq -r ".$2" "$1"; }

# Expected rows per table, date and operation, from the generated input
# (ApproximateCreationDateTime in ms or us) plus the two fixtures.
expected_counts() {
	{
		jq -r '[.tableName,
		    (.dynamodb.ApproximateCreationDateTime |
		     (if . > 100000000000000 then . / 1000000 else . / 1000 end) |
		     floor | todate[0:10]),
		    .eventName] | @tsv' gen.jsonl
		printf 'blog-table\t2023-11-14\tINSERT\nblog-table\t2023-11-14\tMODIFY\n'
		printf 'Example-Table\t2016-12-02\tREMOVE\n'
	} | sort | uniq -c | awk -v OFS='\t' '{ print $2, $3, $4, $1 }' | LC_ALL=C sort
}

@test "pipeline: every change lands in S3 once; DuckDB counts rows per partition and operation" {
	s3_setup
	make_input
	pipeline
	[ "$st_flat" = 1 ]   # one record failed, the rest went through
	[ "$st_batch" = 0 ]
	[ "$st_put" = 0 ]
	got=$(dq "select table_name, dt::varchar, _ddb_op, count(*) from $LAKE group by all" | LC_ALL=C sort)
	want=$(expected_counts)
	assert_equal "$got" "$want"
	# Total: N generated + 3 fixture records, the bad one not among them.
	run -0 dq "select count(*), count(distinct _ddb_event_id) from $LAKE"
	assert_output "$((N + 3))	$((N + 3))"
	run -0 dq "select count(*) from $LAKE where pk = 'BAD#1'"
	assert_output 0
}

@test "pipeline: the bad record is in ddbflat's --errors file and on stderr, everything else lands" {
	s3_setup
	make_input
	pipeline
	[ "$st_flat" = 1 ]
	badline=$(grep -n '12abc' in.json | cut -d: -f1)
	run grep -c . flat.err
	assert_output 1
	run cat flat.err
	assert_output --partial "ddbflat: in.json:$badline: "
	run -0 jq -r '[.errorCode, .source, .line] | @tsv' errors.json
	assert_output "BadNumber	in.json	$badline"
	run -0 sh -c 'jq -r .rawData errors.json | base64 -d'
	assert_output "$BAD"
	# Replaying the fixed record works: the recipe from ddbflat(1).
	run -0 sh -c "jq -r .rawData errors.json | base64 -d | sed 's/12abc/12/' | ddbflat"
	assert_output --partial '"pk":"BAD#1","n":12}'
}

@test "pipeline: counters agree across the three tools (--stats)" {
	s3_setup
	make_input
	pipeline
	fin=$(num flat.stats records_in) fout=$(num flat.stats records_out)
	ffail=$(num flat.stats records_failed)
	[ "$fin" = $((N + 4)) ]
	[ "$ffail" = 1 ]
	[ "$fin" = $((fout + ffail)) ]
	# ddbbatch took every line ddbflat wrote and put each in a batch.
	[ "$(num batch.stats records_in)" = "$fout" ]
	[ "$(num batch.stats records_out)" = "$fout" ]
	[ "$(num batch.stats records_failed)" = 0 ]
	nb=$(wc -l <paths)
	[ "$(num batch.stats batches)" = "$nb" ]
	# s3put uploaded one object per printed batch, all confirmed, and
	# removed them; the bucket holds exactly those objects.
	[ "$(num put.stats objects)" = "$nb" ]
	[ "$(num put.stats failed)" = 0 ]
	[ "$(wc -l <put.out)" = "$nb" ]
	[ "$(s3_count "$S3_BUCKET" lake/)" = "$nb" ]
	[ "$(find spool -name '*.json*' | wc -l)" = 0 ]
	[ "$(find lake -name '*.json.gz' | wc -l)" = "$nb" ]
	# Each stats file says how its tool ended.
	[ "$(num flat.stats exit)" = 1 ]
	[ "$(num batch.stats exit)" = 0 ]
	[ "$(num put.stats exit)" = 0 ]
}

@test "pipeline: DuckDB reads typed columns: sums, booleans, timestamps, the blog's item" {
	s3_setup
	make_input
	pipeline
	# Sum of an integer column over the rows the lake holds (new image for
	# INSERT and MODIFY, old image for REMOVE), computed from the input.
	want=$(jq -n '[inputs | select(.tableName == "orders") |
	    (if .eventName == "REMOVE" then .dynamodb.OldImage else .dynamodb.NewImage end) |
	    .itemCount.N // empty | tonumber] | add' gen.jsonl)
	run -0 dq "select sum(itemCount), typeof(sum(itemCount)) from $LAKE where table_name = 'orders'"
	assert_output "$want	HUGEINT"
	# Booleans are booleans; TTL expiries are the REMOVEs by the service.
	ttl=$(jq -s '[.[] | select(.userIdentity.type == "Service")] | length' gen.jsonl)
	run -0 dq "select any_value(typeof(_ddb_ttl)), any_value(typeof(active)), count(*) filter (where _ddb_ttl),
	    count(*) filter (where active), count(*) filter (where not active) from $LAKE"
	active=$(jq -s '[.[] | (if .eventName == "REMOVE" then .dynamodb.OldImage else .dynamodb.NewImage end) |
	    .active | select(. != null) | .BOOL] | "\([.[] | select(.)] | length)\t\([.[] | select(. | not)] | length)"' -r gen.jsonl)
	assert_output "BOOLEAN	BOOLEAN	$((ttl + 1))	$active"
	# _ddb_ts parses as a timestamp everywhere, at every precision.
	run -0 dq "select count(*) filter (where try_cast(_ddb_ts as timestamptz) is null), min(_ddb_ts::timestamptz)::varchar from $LAKE"
	assert_output "0	2016-12-02 01:27:00+00"
	# Item 864732's latest change: Architect became Senior Architect.
	run -0 dq "select name, Designation, _ddb_op from $LAKE where id = '864732' order by _ddb_ts::timestamptz desc limit 1"
	assert_output "Adam	Senior Architect	MODIFY"
	# The TTL expiry is a REMOVE partitioned under its own date.
	run -0 dq "select table_name, dt::varchar, _ddb_op, _ddb_ttl from $LAKE where table_name = 'Example-Table'"
	assert_output "Example-Table	2016-12-02	REMOVE	true"
}

@test "pipeline: with --numbers=string 38-digit numbers reach DuckDB digit for digit" {
	s3_setup
	make_input
	pipeline --numbers=string
	# The first users balance in the input, as DynamoDB sent it.
	read -r pk want < <(jq -r 'select(.tableName == "users" and .eventName == "INSERT") |
	    [.dynamodb.NewImage.pk.S, .dynamodb.NewImage.balance.N] | @tsv' gen.jsonl | head -1)
	run -0 dq "select balance, typeof(balance) from $LAKE where pk = '$pk' and _ddb_op = 'INSERT'"
	assert_output "$want	VARCHAR"
	# The longest balances in the input survive too: 38 significant digits.
	jq -r 'select(.tableName == "users") |
	    (if .eventName == "REMOVE" then .dynamodb.OldImage else .dynamodb.NewImage end) |
	    .balance.N // empty' gen.jsonl | LC_ALL=C sort -u >want.txt
	dq "select distinct balance from $LAKE where table_name = 'users' and balance is not null" |
	    LC_ALL=C sort -u >got.txt
	run -0 awk '{ d = $0; gsub(/[^0-9]/, "", d); sub(/^0+/, "", d); if (length(d) == 38) n++ } END { print n + 0 }' want.txt
	[ "$output" -gt 0 ]
	run -0 diff want.txt got.txt
}
