#!/usr/bin/env bats
# The differential test of tests/ddbflat-diff.bats on more records and
# other seeds (make check-slow): 3 x 20000 generated records against
# @aws-sdk/util-dynamodb and boto3, with and without metadata.
bats_require_minimum_version 1.5.0

setup() {
	load ../lib/common
	[ -n "${DDBLAKE_SLOW:-}" ] || skip "slow test: run with DDBLAKE_SLOW=1 (make check-slow)"
	cd "$BATS_TEST_TMPDIR"
}

@test "ddbflat equals both unmarshallers on 60000 records from three seeds" {
	for seed in 101 202 303; do
		"$TOP/scripts/gen-corpus" --records 20000 --seed "$seed" --unique-ids -o corpus.json
		ddbflat --no-meta --numbers=string corpus.json >rows.json
		run -0 node "$TOP/tests/lib/ddbflat-ref.js" corpus.json rows.json
		assert_output "20000 rows match the @aws-sdk/util-dynamodb reference"
		run -0 /usr/bin/python3 "$TOP/tests/lib/ddbflat-ref-boto3.py" corpus.json rows.json
		assert_output "20000 rows match the boto3 TypeDeserializer reference"
		ddbflat --numbers=string corpus.json >meta.json
		run -0 node "$TOP/tests/lib/ddbflat-ref.js" --meta corpus.json meta.json
	done
}
