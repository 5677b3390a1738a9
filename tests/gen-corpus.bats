#!/usr/bin/env bats
# scripts/gen-corpus (the bench and differential-test corpus) and the
# jvparse baseline: determinism, record shape, the options the bench and the
# fault tests rely on.
bats_require_minimum_version 1.5.0

setup() {
	load lib/common
	GEN=$TOP/scripts/gen-corpus
	cd "$BATS_TEST_TMPDIR"
}

@test "same seed gives the same bytes, another seed other records" {
	"$GEN" --records 500 --seed 7 -o a.json
	"$GEN" --records 500 --seed 7 -o b.json
	"$GEN" --records 500 --seed 8 -o c.json
	run -0 cmp a.json b.json
	run -1 cmp -s a.json c.json
}

@test "records are Kinesis-for-DynamoDB change records with every type" {
	"$GEN" --records 2000 --seed 3 -o c.json
	run -0 jq -e -s '
		length == 2000 and all(.[];
			(keys == ["awsRegion", "dynamodb", "eventID", "eventName",
			  "eventSource", "recordFormat", "tableName", "userIdentity"])
			and .eventSource == "aws:dynamodb"
			and .recordFormat == "application/json"
			and (.userIdentity == null or (.eventName == "REMOVE" and .userIdentity ==
			     {type: "Service", principalId: "dynamodb.amazonaws.com"}))
			and (.dynamodb | has("Keys") and (.SizeBytes > 0)
			     and (.ApproximateCreationDateTime | type) == "number")
			and (if .eventName == "INSERT" then (.dynamodb | has("NewImage") and (has("OldImage") | not))
			     elif .eventName == "MODIFY" then (.dynamodb | has("NewImage") and has("OldImage"))
			     else (.dynamodb | has("OldImage") and (has("NewImage") | not)) end))' c.json
	# Every DynamoDB type tag, both precisions and the legacy form occur.
	run -0 jq -r -s '[.. | objects | keys[] | select(test("^(S|N|B|BOOL|NULL|M|L|SS|NS|BS)$"))]
		| unique | join(" ")' c.json
	assert_output "B BOOL BS L M N NS NULL S SS"
	run -0 jq -r -s '[.[] | .dynamodb.ApproximateCreationDateTimePrecision // "absent"]
		| unique | join(" ")' c.json
	assert_output "MICROSECOND MILLISECOND absent"
	run -0 jq -r -s '[.[].eventName] | unique | join(" ")' c.json
	assert_output "INSERT MODIFY REMOVE"
	run -0 grep -c '"userIdentity":{"type":"Service"' c.json
	[ "$output" -gt 0 ]
	run -0 grep -cE '"N":"-?[0-9]{38}"' c.json
	[ "$output" -gt 0 ]
}

@test "no attribute name contains _ or starts the _ddb_ metadata prefix" {
	"$GEN" --records 2000 --seed 4 -o c.json
	run -0 jq -r '.dynamodb | (.NewImage, .OldImage) // empty
		| .. | objects | select(has("M")) .M | keys[]' c.json
	assert_output --partial "postalCode"
	refute_output --partial "_"
	run -0 jq -r '.dynamodb | (.NewImage, .OldImage) // empty | keys[]' c.json
	refute_output --partial "_"
}

@test "--bytes stops at the first record past the size; --unique-ids never repeats" {
	"$GEN" --bytes 1M --seed 5 -o c.json
	size=$(wc -c <c.json)
	last=$(tail -n 1 c.json | wc -c)
	[ "$size" -ge 1048576 ]
	[ $((size - last)) -lt 1048576 ]
	"$GEN" --records 20000 --seed 5 -o dup.json
	run -0 sh -c 'jq -r .eventID dup.json | sort | uniq -d | wc -l'
	[ "$output" -gt 0 ]
	"$GEN" --records 20000 --seed 5 --unique-ids -o uniq.json
	run -0 sh -c 'jq -r .eventID uniq.json | sort | uniq -d | wc -l'
	assert_output 0
}

@test "get-records documents hold the same records base64-encoded" {
	"$GEN" --records 1200 --seed 6 -o kds.json
	"$GEN" --records 1200 --seed 6 --format getrecords --per-doc 500 -o gr.json
	run -0 jq -s -c 'map(.Records | length)' gr.json
	assert_output "[500,500,200]"
	jq -r '.Records[].Data' gr.json | while read -r d; do
		printf '%s' "$d" | base64 -d
		echo
	done >decoded.json
	run -0 cmp kds.json decoded.json
	# Pretty-printed with 4 spaces, as the AWS CLI prints.
	run -0 sed -n 3p gr.json
	assert_output '        {'
}

@test "jvparse counts values and stops with status 3 on broken JSON" {
	"$GEN" --records 300 --seed 9 -o c.json
	run -0 "$DDBLAKE_BIN/helpers/jvparse" c.json
	assert_output 300
	head -c 5000 c.json >cut.json
	run -3 --separate-stderr "$DDBLAKE_BIN/helpers/jvparse" cut.json
	[[ $stderr == "jvparse: cut.json: "* ]]
	# The values before the cut were still counted.
	[ "$output" -ge 1 ]
}
