#!/usr/bin/env bats
# Differential test: ddbflat's values against real unmarshallers
# (@aws-sdk/util-dynamodb's unmarshall and boto3's TypeDeserializer) on
# records from scripts/gen-corpus, plus checks that the comparison can fail.
# Attribute names in the corpus never contain "_", so no flattened key can
# collide: this file tests values, the collision rule is tested elsewhere.
bats_require_minimum_version 1.5.0

setup() {
	load lib/common
	cd "$BATS_TEST_TMPDIR"
	# 3000 records: every type and number form occurs many times.
	"$TOP/scripts/gen-corpus" --records 3000 --seed 42 --unique-ids -o corpus.json
}

ref() { node "$TOP/tests/lib/ddbflat-ref.js" "$@"; }
ref_boto3() { /usr/bin/python3 "$TOP/tests/lib/ddbflat-ref-boto3.py" "$@"; }

@test "ddbflat values equal @aws-sdk/util-dynamodb unmarshall on 3000 records" {
	ddbflat --no-meta --numbers=string corpus.json >rows.json
	run -0 ref corpus.json rows.json
	assert_output "3000 rows match the @aws-sdk/util-dynamodb reference"
}

@test "ddbflat values equal boto3 TypeDeserializer on 3000 records" {
	ddbflat --no-meta --numbers=string corpus.json >rows.json
	run -0 ref_boto3 corpus.json rows.json
	assert_output "3000 rows match the boto3 TypeDeserializer reference"
}

@test "metadata columns carry each record's op, table, event id, time and TTL flag" {
	ddbflat --numbers=string corpus.json >rows.json
	run -0 ref --meta corpus.json rows.json
	assert_output "3000 rows match the @aws-sdk/util-dynamodb reference"
	# The corpus has TTL deletes; the reference counts them as _ddb_ttl true.
	run -0 grep -c '"_ddb_ttl":true' rows.json
	[ "$output" -gt 10 ]
}

@test "default number tokens carry the same digits as --numbers=string" {
	ddbflat --no-meta corpus.json >tokens.json
	ddbflat --no-meta --numbers=string corpus.json >strings.json
	# Python keeps a number token's text when parse_int/parse_float are str.
	run -0 /usr/bin/python3 -c '
import json, sys
a = open(sys.argv[1], "rb").read().splitlines()
b = open(sys.argv[2], "rb").read().splitlines()
assert len(a) == len(b) == 3000, (len(a), len(b))
big = 0
for i, (x, y) in enumerate(zip(a, b), 1):
    tx = json.loads(x, parse_int=str, parse_float=str)
    if tx != json.loads(y):
        sys.exit("row %d differs" % i)
    big += x.count(b"12345678901234567890123456789012345678")
print("same digits; 38-digit literal seen %d times" % big)
' tokens.json strings.json
	assert_output --regexp '^same digits; 38-digit literal seen [1-9][0-9]* times$'
}

@test "get-records documents (base64 Data) give the same rows as the records" {
	"$TOP/scripts/gen-corpus" --records 3000 --seed 42 --unique-ids \
		--format getrecords --per-doc 700 -o getrecords.json
	ddbflat --no-meta --numbers=string corpus.json >rows.json
	ddbflat --no-meta --numbers=string getrecords.json >rows-gr.json
	run -0 cmp rows.json rows-gr.json
	run -0 ref corpus.json rows-gr.json
}

@test "get-records rows carry sequence number and arrival time, CLI v1 and v2" {
	for form in "--cli 1" "--cli 2 --utc-offset=-07:00"; do
		# shellcheck disable=SC2086 # two words on purpose
		"$TOP/scripts/gen-corpus" --records 3000 --seed 42 --unique-ids \
			--format getrecords --per-doc 700 $form -o getrecords.json
		ddbflat --numbers=string getrecords.json >rows.json
		run -0 /usr/bin/python3 "$TOP/tests/lib/ddbflat-kinesis-meta.py" \
			getrecords.json rows.json
		assert_output "3000 rows carry their Kinesis sequence number and arrival time"
		run -0 ref --meta corpus.json rows.json
	done
}

@test "gzip input gives the same rows as plain input" {
	gzip -c corpus.json >corpus.json.gz
	ddbflat --no-meta --numbers=string corpus.json >rows.json
	ddbflat --no-meta --numbers=string corpus.json.gz >rows-gz.json
	run -0 cmp rows.json rows-gz.json
	run -0 ref corpus.json rows-gz.json
	assert_output "3000 rows match the @aws-sdk/util-dynamodb reference"
}

@test "the comparison fails on an altered number, boolean, key or a lost row" {
	ddbflat --no-meta --numbers=string corpus.json >rows.json
	run -0 ref corpus.json rows.json

	# Last digit of the first 38-digit number changed.
	n=$(grep -n -m1 -E '"[0-9]{38}"' rows.json | cut -d: -f1)
	perl -pe 'if ($. == '"$n"') { s/("\d{37})(\d)"/$1 . (($2 + 1) % 10) . "\""/e }' \
		rows.json >bad-number.json
	run -1 cmp -s rows.json bad-number.json
	run -1 ref corpus.json bad-number.json
	assert_output --regexp "^row $n \\(.*\\): .+: ddbflat \"[0-9]{38}\", reference \"[0-9]{38}\"$"
	run -1 ref_boto3 corpus.json bad-number.json
	assert_output --partial "row $n ("
	assert_output --partial "number value differs"

	# A number inside a map inside a list ("items": [{"qty": ...}]).
	n=$(grep -n -m1 '"qty":"' rows.json | cut -d: -f1)
	perl -pe 'if ($. == '"$n"') { s/"qty":"(\d+)"/"\"qty\":\"" . ($1 + 1) . "\""/e }' \
		rows.json >bad-nested.json
	run -1 cmp -s rows.json bad-nested.json
	run -1 ref corpus.json bad-nested.json
	assert_output --regexp "^row $n \\(.*\\): \"[a-z]+\"\\[[0-9]+\\]\"qty\": ddbflat \"[0-9]+\", reference \"[0-9]+\"$"

	# A false turned true on row 5.
	perl -pe 'if ($. == 5) { s/:\s*false/:true/ }' rows.json >bad-bool.json
	run -1 ref corpus.json bad-bool.json
	assert_output --regexp '^row 5 \(.*\): .*: ddbflat true, reference false$'

	# Key renamed on row 7.
	perl -pe 'if ($. == 7) { s/"pk":/"pkX":/ }' rows.json >bad-key.json
	run -1 ref corpus.json bad-key.json
	assert_output --regexp '^row 7 \(.*\): "pk": missing in ddbflat'

	# Row 100 lost.
	sed '100d' rows.json >short.json
	run -1 ref corpus.json short.json
	assert_output --partial "row 100 ("
}
