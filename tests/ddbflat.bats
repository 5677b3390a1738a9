#!/usr/bin/env bats
# ddbflat: input shapes, types, options and bad input. Golden files in
# tests/data/ddbflat/*.out were checked by hand against the AWS examples
# they come from (AWS's documented record formats).

load lib/common

setup() {
	cd "$BATS_TEST_TMPDIR"
	D="$DATA/ddbflat"
}

golden() {
	run -0 --separate-stderr ddbflat "$D/$1"
	assert_output "$(cat "$D/${2:-${1%%.json*}}.out")"
	[ -z "$stderr" ]
}

# ---- input shapes --------------------------------------------------------

@test "kinesis for dynamodb record, microsecond timestamp, all types" {
	golden kds-all-types.json
	assert_output --partial '"_ddb_ts":"2024-06-25T20:38:10.250647Z"'
	assert_output --partial '"number set":[0,1]'
	assert_output --partial '"boolean":false'
}

@test "kinesis for dynamodb record, millisecond timestamp without precision field, raw UTF-8, no final newline" {
	golden kds-ms-businfo.json
	assert_output --partial '"_ddb_ts":"2022-04-17T02:35:05.269Z"'
	assert_output --partial '"PlateNo":"경기75자7005"'
}

@test "dynamodb streams lambda event, pretty-printed, table from the ARN" {
	golden streams-lambda.json
	assert_line --index 2 --partial '"_ddb_op":"REMOVE"'
	assert_line --index 2 --partial '"Message":"This item has changed"'
	assert_output --partial '"_ddb_table":"ExampleTableWithStream"'
}

@test "TTL expiry REMOVE is flagged, an ordinary REMOVE is not" {
	golden streams-ttl-remove.json
	assert_output --partial '"_ddb_ttl":true'
	run -0 ddbflat "$D/streams-lambda.json"
	assert_line --index 2 --partial '"_ddb_ttl":false'
}

@test "aws dynamodbstreams get-records, CLI v1 (epoch float seconds)" {
	golden streams-cli-v1.json
	assert_output --partial '"_ddb_ts":"2019-10-23T16:43:48Z"'
}

@test "aws dynamodbstreams get-records, CLI v2 (ISO-8601 with offset, PrincipalId/Type)" {
	golden streams-cli-v2.json
	assert_line --index 0 --partial '"_ddb_ts":"2019-10-23T16:43:48Z"'
	assert_line --index 1 --partial '"_ddb_ts":"2019-10-23T16:50:01.261Z","_ddb_ttl":true'
}

@test "aws kinesis get-records CLI v1: base64 Data, sequence number, arrival time" {
	golden kinesis-get-records-v1.json
	assert_line --index 0 --partial '"_ddb_seq":"49642650476690467334495639799144299020426020544120356866"'
	assert_line --index 0 --partial '"_ddb_arrival":"2023-07-15T02:45:48.261Z"'
}

@test "aws kinesis get-records CLI v2: empty response then ISO arrival time" {
	golden kinesis-get-records-v2.json
	assert_output --partial '"_ddb_arrival":"2026-01-26T21:32:45Z"'
	[ "${#lines[@]}" -eq 1 ]
}

@test "empty get-records response gives no output and success" {
	echo '{"Records":[],"MillisBehindLatest":80742000}' >empty.json
	run -0 --separate-stderr ddbflat --stats st.json empty.json
	assert_output ""
	[ -z "$stderr" ]
	run -0 jq -r '"\(.records_in) \(.bytes_in)"' st.json
	assert_output "0 $(stat -c %s empty.json)"
	# it is read, not skipped: the records after it flow
	cat empty.json "$D/kinesis-get-records-v1.json" >two.json
	run -0 ddbflat two.json
	[ "${#lines[@]}" -eq 2 ]
}

@test "scan/query --select COUNT output and an empty Items array: no rows, no error" {
	{
		echo '{"Count":2,"ScannedCount":2,"ConsumedCapacity":null}'
		printf '{\n    "Count": 0,\n    "ScannedCount": 7,\n    "ConsumedCapacity": null,\n    "NextToken": "eyJFeGNsdXNpdmVTdGFydEtleSI6IG51bGx9"\n}\n'
		echo '{"Items":[]}'
		echo '{"Count":0,"Items":[],"ScannedCount":0,"ConsumedCapacity":null}'
	} >count.json
	run -0 --separate-stderr ddbflat --stats st.json count.json
	assert_output ""
	[ -z "$stderr" ]
	run -0 jq -r '"\(.records_in) \(.records_failed)"' st.json
	assert_output "0 0"
	# a Count beside anything else is no COUNT output
	echo '{"Count":2,"Foo":"bar"}' >other.json
	run -1 --separate-stderr ddbflat other.json
	[[ "$stderr" == *"other.json:1: unrecognised record"* ]]
}

@test "firehose transformation event: base64 data and arrival time in ms" {
	golden firehose-event.json
	assert_output --partial '"_ddb_arrival":"2022-04-17T02:35:05.387Z"'
}

@test "lambda event from a kinesis trigger: kinesis.data read as a KDS record, shard from eventID" {
	golden lambda-kinesis.json
	assert_line --index 0 --partial '"_ddb_seq":"49590338271490256608559692538361571095921575989136588898","_ddb_shard":"shardId-000000000006","_ddb_ts":"2024-06-25T20:38:10.250Z","_ddb_arrival":"2024-06-25T20:38:10.315Z"'
	assert_line --index 0 --partial '"total":12345678901234567890123456789012345678'
	assert_line --index 1 --partial '"_ddb_ts":"2024-06-25T20:38:11.250647Z","_ddb_arrival":"2024-06-25T20:38:11.4Z"'
	assert_line --index 2 --partial '"_ddb_shard":"shardId-000000000007"'
	assert_line --index 2 --partial '"_ddb_arrival":"2024-06-25T20:38:12Z","_ddb_ttl":true'
}

@test "lambda kinesis events as NDJSON, and one record object per line, give the same rows" {
	jq -c . "$D/lambda-kinesis.json" >ndjson.json
	run -0 --separate-stderr ddbflat ndjson.json
	assert_output "$(cat "$D/lambda-kinesis.out")"
	jq -c '.Records[]' "$D/lambda-kinesis.json" >records.json
	run -0 --separate-stderr ddbflat records.json
	assert_output "$(cat "$D/lambda-kinesis.out")"
}

@test "lambda kinesis event: bad base64 and a bad inner record are one error each, the others flow" {
	run -1 --separate-stderr ddbflat --errors err.json "$D/lambda-kinesis-bad.json"
	[ "${#lines[@]}" -eq 2 ]
	assert_line --index 0 --partial '"_ddb_event_id":"rec-01"'
	assert_line --index 1 --partial '"_ddb_event_id":"rec-04"'
	[[ "$stderr" == *"lambda-kinesis-bad.json:19: kinesis.data: invalid base64"* ]]
	[[ "$stderr" == *"lambda-kinesis-bad.json:35: kinesis.data: decoded record: unexpected end of input"* ]]
	run -0 jq -r .errorCode err.json
	assert_output "$(printf 'BadBase64\nMalformed')"
	# every Kinesis record (by sequence number) is a row or kept whole
	run -0 /usr/bin/python3 "$TOP/tests/lib/ddbflat-kept.py" "$D/lambda-kinesis-bad.json" \
		<(ddbflat "$D/lambda-kinesis-bad.json" 2>/dev/null) err.json '495903382714902566085596925[0-9]+'
	assert_output "4 ids: 2 in rows, 2 in errors"
	run -0 bash -c "jq -r .rawData err.json | base64 -d | jq -c '{e: .eventID, k: (.kinesis | keys)}'"
	assert_line --index 0 --partial '"e":"shardId-000000000006:49590338271490256608559692538361571095921575989136588899"'
	assert_line --index 1 '{"e":"shardId-000000000006:49590338271490256608559692540925702759324208523137515618","k":["approximateArrivalTimestamp","data","kinesisSchemaVersion","partitionKey","sequenceNumber"]}'
}

@test "firehose event: the shard id from kinesisRecordMetadata" {
	run -0 ddbflat "$D/firehose-event.json"
	assert_output --partial '"_ddb_seq":"49628654765235663403446902955224362712470206619186102290","_ddb_shard":"shardId-000000000001"'
}

@test "full export data file, gzip detected by magic bytes, empty sibling file" {
	run -0 --separate-stderr ddbflat "$D/export-full.json.gz" "$D/export-empty.json.gz"
	assert_output "$(cat "$D/export-full.out")"
	assert_line --index 0 --partial '"InPublication":false'
}

@test "incremental export: op inferred, WriteTimestampMicros as {N}, number or string" {
	golden export-incremental.json
	assert_line --index 0 --partial '"_ddb_op":"INSERT","_ddb_ts":"2023-03-29T17:09:24.000000Z"'
	assert_line --index 1 --partial '"_ddb_op":"MODIFY"'
	assert_line --index 2 --partial '"_ddb_op":"REMOVE"'
}

@test "change times in every form: numbers, exponents, strings, ISO, units by precision or digits" {
	rec() { printf '{"eventID":"%s","eventName":"INSERT","dynamodb":{"ApproximateCreationDateTime":%s,%s"Keys":{"k":{"S":"v"}}}}\n' "$1" "$2" "${3:-}"; }
	{
		rec int 1480642020
		rec float 1571849028.0
		rec half 1693997155.5
		rec exp 1.46480646E9
		rec str '"1571849028.5"'
		rec strexp '"1.46480646E9"'
		rec iso '"2019-10-23T09:43:48-07:00"'
		rec isofrac '"2026-01-26T13:32:45.261000-08:00"'
		rec isonozone '"2019-10-23T16:43:48"'
		rec ms 1650162905000
		rec msexp 1.650162905269E12
		rec us 1719347890250647
		rec prec 1719347890250 '"ApproximateCreationDateTimePrecision":"MICROSECOND",'
		rec null null
	} >times.json
	run -0 --separate-stderr ddbflat times.json
	run -0 jq -r '"\(._ddb_event_id) \(._ddb_ts)"' <<<"$output"
	assert_output "$(cat <<-'EOF'
	int 2016-12-02T01:27:00Z
	float 2019-10-23T16:43:48Z
	half 2023-09-06T10:45:55.5Z
	exp 2016-06-01T18:41:00Z
	str 2019-10-23T16:43:48.5Z
	strexp 2016-06-01T18:41:00Z
	iso 2019-10-23T16:43:48Z
	isofrac 2026-01-26T21:32:45.261Z
	isonozone 2019-10-23T16:43:48Z
	ms 2022-04-17T02:35:05.000Z
	msexp 2022-04-17T02:35:05.269Z
	us 2024-06-25T20:38:10.250647Z
	prec 1970-01-20T21:35:47.890250Z
	null null
	EOF
	)"
	rec bad '"yesterday"' >bad.json
	run -1 --separate-stderr ddbflat bad.json
	[[ "$stderr" == *'bad.json:1: _ddb_ts: invalid timestamp "yesterday"'* ]]
}

@test "WriteTimestampMicros as {N}, number, string or exponent; no _ddb_ttl on export lines" {
	{
		echo '{"Metadata":{"WriteTimestampMicros":{"N":"1680109764000000"}},"Keys":{"k":{"S":"1"}},"NewImage":{"k":{"S":"1"}}}'
		echo '{"Metadata":{"WriteTimestampMicros":1680109765123456},"Keys":{"k":{"S":"2"}},"NewImage":{"k":{"S":"2"}}}'
		echo '{"Metadata":{"WriteTimestampMicros":"1680109766000001"},"Keys":{"k":{"S":"3"}},"NewImage":{"k":{"S":"3"}}}'
		echo '{"Metadata":{"WriteTimestampMicros":1.680109767E15},"Keys":{"k":{"S":"4"}},"NewImage":{"k":{"S":"4"}}}'
	} >inc.json
	run -0 ddbflat inc.json
	run -0 jq -r '"\(.k) \(._ddb_ts) \(has("_ddb_ttl"))"' <<<"$output"
	assert_output "$(printf '%s\n' '1 2023-03-29T17:09:24.000000Z false' \
		'2 2023-03-29T17:09:25.123456Z false' '3 2023-03-29T17:09:26.000001Z false' \
		'4 2023-03-29T17:09:27.000000Z false')"
	# and on every stream record, false without a user identity
	run -0 ddbflat "$D/kds-all-types.json"
	assert_output --partial '"_ddb_ttl":false'
}

@test "--image on items without images: the item, whatever it says" {
	for img in new old both; do
		run -0 ddbflat --image="$img" "$D/scan.json"
		assert_output "$(cat "$D/scan.out")"
		run -0 ddbflat --image="$img" "$D/export-full.json.gz"
		assert_output "$(cat "$D/export-full.out")"
	done
	# a change record without the image asked for nor Keys fails
	echo '{"eventID":"x","eventName":"REMOVE","dynamodb":{"NewImage":{"k":{"S":"v"}}}}' >nokeys.json
	run -1 --separate-stderr ddbflat --image=old nokeys.json
	[[ "$stderr" == *"nokeys.json:1: record has neither the image asked for nor Keys"* ]]
}

@test "the record's own DynamoDB Streams sequence number wins over its Kinesis envelope's" {
	rec='{"eventID":"s1","eventName":"INSERT","dynamodb":{"SequenceNumber":"700000000013256296913","Keys":{"k":{"S":"v"}}}}'
	printf '{"Records":[{"SequenceNumber":"49642650476690467334495639799144299020426020544120356866","Data":"%s"}]}\n' \
		"$(printf '%s' "$rec" | base64 -w0)" >both.json
	run -0 ddbflat both.json
	assert_output --partial '"_ddb_seq":"700000000013256296913"'
}

@test "aws dynamodb scan output streams its Items" {
	golden scan.json
	[ "${#lines[@]}" -eq 2 ]
}

@test "the AWS blog's 864732 Adam Architect -> Senior Architect pair" {
	golden blog-pair.json
	assert_line --index 1 --partial '"_ddb_op":"MODIFY"'
	assert_line --index 1 --partial '"Designation":"Senior Architect"'
}

@test "NDJSON, pretty-printed, concatenated and arrays mixed in one stream" {
	{
		cat "$D/blog-pair.json"
		cat "$D/streams-lambda.json"
		printf '%s' "$(cat "$D/kds-ms-businfo.json")"
		cat "$D/scan.json"
		printf '[%s,%s]\n' "$(sed -n 1p "$D/blog-pair.json")" "$(sed -n 2p "$D/blog-pair.json")"
	} >mix.json
	run -0 ddbflat mix.json
	[ "${#lines[@]}" -eq 10 ]
	assert_json_lines <(ddbflat mix.json)
}

@test "stdin by default and as -" {
	run -0 bash -c "ddbflat < '$D/blog-pair.json'"
	[ "${#lines[@]}" -eq 2 ]
	run -0 bash -c "cat '$D/scan.json' | ddbflat - '$D/blog-pair.json'"
	[ "${#lines[@]}" -eq 4 ]
}

@test "a multi-member gzip stream (cat a.gz b.gz) is read whole" {
	cat "$D/export-full.json.gz" "$D/export-full.json.gz" >two.gz
	run -0 ddbflat two.gz
	[ "${#lines[@]}" -eq 4 ]
}

@test "a scan document far larger than --max-record streams in bounded memory" {
	python3 -c '
import json
items = ({"id": {"S": "k%06d" % i}, "n": {"N": str(i)}, "pad": {"S": "x" * 100}} for i in range(100000))
print(json.dumps({"Count": 100000, "Items": list(items), "ScannedCount": 100000}))' >scan-big.json
	[ "$(stat -c %s scan-big.json)" -gt 10000000 ]
	run -0 ddbflat --max-record 64K --no-meta scan-big.json
	[ "${#lines[@]}" -eq 100000 ]
	assert_line --index 99999 --partial '"n":99999'
}

# ---- types and output options ----------------------------------------------

@test "38-digit numbers survive digit for digit; --numbers=string quotes them" {
	run -0 ddbflat "$D/types-edge.json"
	assert_output --partial '"big":12345678901234567890123456789012345678,'
	assert_output --partial '"frac":123456789012345678901234567890123456.78,'
	assert_output --partial '"tiny":1E-130,'
	assert_output --partial '"huge":9.9999999999999999999999999999999999999E+125,'
	run -0 ddbflat --numbers=string "$D/types-edge.json"
	assert_output --partial '"big":"12345678901234567890123456789012345678"'
	assert_output --partial '"nested":[["1",["2","3"]]'
	# python's decimal reads the same digits back
	run -0 python3 -c '
import json, sys, decimal
r = json.loads(sys.stdin.read(), parse_float=decimal.Decimal, parse_int=decimal.Decimal)
assert r["big"] == decimal.Decimal("12345678901234567890123456789012345678"), r["big"]
assert r["frac"] == decimal.Decimal("123456789012345678901234567890123456.78")
print("ok")' < <(ddbflat "$D/types-edge.json")
}

@test "non-JSON number forms are normalised without changing a digit" {
	printf '%s\n' '{"a":{"N":"+5"},"b":{"N":".5"},"c":{"N":"5."},"d":{"N":"007"},"e":{"N":"-00.10e+3"}}' >n.json
	run -0 ddbflat n.json
	assert_output '{"a":5,"b":0.5,"c":5,"d":7,"e":-0.10e+3}'
}

@test "BOOL false and NULL are kept, empty S/B/L/M too" {
	run -0 ddbflat "$D/types-edge.json"
	assert_output --partial '"empty":"","emptyL":[],"emptyM":{}'
	assert_output --partial '"emptyB":""'
	run -0 ddbflat "$D/kds-all-types.json"
	assert_output --partial '"null":null'
	assert_output --partial '"boolean":false'
}

@test "maps flatten with the separator; lists stay arrays or flatten by index" {
	echo '{"m":{"M":{"a":{"M":{"b":{"N":"1"}}},"c":{"L":[{"S":"x"},{"M":{"d":{"BOOL":true}}}]}}}}' >m.json
	run -0 ddbflat m.json
	assert_output '{"m_a_b":1,"m_c":["x",{"d":true}]}'
	run -0 ddbflat --lists=index m.json
	assert_output '{"m_a_b":1,"m_c_0":"x","m_c_1_d":true}'
	run -0 ddbflat --separator . m.json
	assert_output '{"m.a.b":1,"m.c":["x",{"d":true}]}'
}

@test "key collisions never drop a value: the literal name wins, the other gets a suffix" {
	echo '{"a":{"M":{"b":{"S":"nested"}}},"a_b":{"S":"literal"},"a_b_2":{"S":"taken"}}' >c.json
	run -0 --separate-stderr ddbflat c.json
	assert_output '{"a_b_3":"nested","a_b":"literal","a_b_2":"taken"}'
	[[ "$stderr" == *'warning: c.json:1: key collision: "a_b" renamed to "a_b_3"'* ]]
	# the same regardless of attribute order
	echo '{"a_b":{"S":"literal"},"a":{"M":{"b":{"S":"nested"}}}}' >c2.json
	run -0 --separate-stderr ddbflat c2.json
	assert_output '{"a_b":"literal","a_b_2":"nested"}'
}

@test "metadata columns win over an attribute with the same name" {
	echo '{"awsRegion":"us-east-1","eventID":"x1","eventName":"INSERT","tableName":"t","dynamodb":{"ApproximateCreationDateTime":1700000000000,"NewImage":{"_ddb_op":{"S":"mine"},"k":{"S":"v"}}}}' >meta.json
	run -0 ddbflat meta.json
	assert_output --partial '"_ddb_op":"INSERT"'
	assert_output --partial '"_ddb_op_2":"mine"'
	run -0 ddbflat --no-meta meta.json
	assert_output '{"_ddb_op":"mine","k":"v"}'
}

@test "an attribute named twice in one map is rejected whole, never written twice" {
	# the shape of a typo in AWS's own examples, at the top, nested, in a
	# list, and under a metadata-like name
	cat >dup.json <<-'EOF'
	{"Count":4,"Items":[{"SongTitle":{"S":"a"},"Artist":{"S":"x"},"SongTitle":{"S":"b"}},
	{"SongTitle":{"S":"ok"}},
	{"m":{"M":{"a":{"N":"1"},"a":{"N":"2"}}}},
	{"l":{"L":[{"M":{"k":{"S":"1"},"k":{"S":"2"}}}]}}]}
	{"eventID":"e1","eventName":"INSERT","dynamodb":{"NewImage":{"_ddb_op":{"S":"a"},"_ddb_op":{"S":"b"}}}}
	EOF
	run -1 --separate-stderr ddbflat --errors err.json --stats st.json dup.json
	assert_output '{"SongTitle":"ok"}'
	[[ "$stderr" == *'dup.json:1: attribute "SongTitle" is named twice in one map'* ]]
	[[ "$stderr" == *'dup.json:3: attribute "m_a" is named twice in one map'* ]]
	[[ "$stderr" == *'dup.json:4: attribute l: a map in a list names "k" twice'* ]]
	[[ "$stderr" == *'dup.json:5: attribute "_ddb_op" is named twice in one map'* ]]
	run -0 jq -r .errorCode err.json
	assert_output "$(printf 'DuplicateAttribute\n%.0s' 1 2 3 4)"
	run -0 jq -r '"\(.records_failed) \(.key_collisions)"' st.json
	assert_output "4 0"
	run -0 bash -c "jq -r .rawData err.json | head -1 | base64 -d"
	assert_output '{"SongTitle":{"S":"a"},"Artist":{"S":"x"},"SongTitle":{"S":"b"}}'
}

@test "--image: default new for MODIFY and old for REMOVE; old, new, both" {
	run -0 ddbflat --no-meta "$D/streams-lambda.json"
	assert_line --index 1 '{"Message":"This item has changed","Id":101}'
	assert_line --index 2 '{"Message":"This item has changed","Id":101}'
	run -0 ddbflat --no-meta --image=old "$D/streams-lambda.json"
	assert_line --index 0 '{"Id":101}'
	assert_line --index 1 '{"Message":"New item!","Id":101}'
	run -0 ddbflat --no-meta --image=new "$D/streams-lambda.json"
	assert_line --index 2 '{"Id":101}'
	run -0 ddbflat --no-meta --image=both "$D/streams-lambda.json"
	assert_line --index 1 '{"Message":"This item has changed","Id":101,"_old_Message":"New item!","_old_Id":101}'
	assert_line --index 2 '{"Id":101,"_old_Message":"This item has changed","_old_Id":101}'
}

@test "--no-meta drops every _ddb_ column" {
	run -0 ddbflat --no-meta "$D/kinesis-get-records-v1.json"
	refute_output --partial '_ddb_'
	[ "${#lines[@]}" -eq 2 ]
}

# ---- jq ------------------------------------------------------------------

@test "--jq transforms, filters and multiplies records" {
	run -0 ddbflat --jq 'select(._ddb_op == "MODIFY") | {id, Designation}' "$D/blog-pair.json"
	assert_output '{"id":"864732","Designation":"Senior Architect"}'
	run -0 ddbflat --no-meta --jq '., .' "$D/scan.json"
	[ "${#lines[@]}" -eq 4 ]
	echo '{id: .id, was: ._ddb_op}' >prog.jq
	run -0 ddbflat --jq-file prog.jq "$D/blog-pair.json"
	assert_line --index 1 '{"id":"864732","was":"MODIFY"}'
}

@test "--jq: a run-time error fails that record only; a bad program is a usage error" {
	run -1 --separate-stderr ddbflat --errors err.json --jq 'if .Id == 101 and ._ddb_op == "MODIFY" then error("boom") else {Id} end' "$D/streams-lambda.json"
	[ "${#lines[@]}" -eq 2 ]
	# the MODIFY element starts on the line before its "eventID": "2"
	n=$(($(grep -n '"eventID": "2"' "$D/streams-lambda.json" | cut -d: -f1) - 1))
	[[ "$stderr" == *"streams-lambda.json:$n: jq: boom"* ]]
	run -0 jq -r .errorCode err.json
	assert_output JqError
	run -2 --separate-stderr ddbflat --jq '{{{' "$D/scan.json"
	[[ "$stderr" == *"ddbflat: --jq:"* ]]
	run -1 --separate-stderr ddbflat --jq '1' "$D/scan.json"
	[[ "$stderr" == *"jq program produced number, not an object"* ]]
}

@test "--jq goes through libjq doubles: big numbers round unless --numbers=string" {
	run -0 ddbflat --no-meta --jq '{big}' "$D/types-edge.json"
	assert_output '{"big":1.2345678901234568e+37}'
	run -0 ddbflat --no-meta --numbers=string --jq '{big}' "$D/types-edge.json"
	assert_output '{"big":"12345678901234567890123456789012345678"}'
}

# ---- bad input -------------------------------------------------------------

@test "bad records: one message each with file and line, good records flow, exit 1" {
	{
		sed -n 1p "$D/blog-pair.json"          # 1 good
		echo '{"Item":{"a":{"S":"x"}'          # 2 truncated
		echo '{"Item":{"a":{"N":5}}}'          # 3 wrong value type
		echo '{"Item":{"a":{"N":"12abc"}}}'    # 4 invalid number text
		echo '{"Item":{"a":{"Q":"x"}}}'        # 5 unknown type tag
		printf '{"Item":{"a":{"S":"\xff\xfe"}}}\n'  # 6 invalid UTF-8
		echo '{"Records":[{"SequenceNumber":"1","Data":"%%%notbase64"}]}'  # 7
		printf '{"Item":{"a":{"S":"x\0y"}}}\n' # 8 NUL byte
		echo 'not json at all'                 # 9
		sed -n 2p "$D/blog-pair.json"          # 10 good
	} >bad.json
	run -1 --separate-stderr ddbflat --errors err.json bad.json
	[ "${#lines[@]}" -eq 2 ]
	assert_line --index 1 --partial '"Designation":"Senior Architect"'
	e=$stderr
	[[ "$e" == *"ddbflat: bad.json:2: malformed JSON: record not terminated before line 3"* ]]
	[[ "$e" == *"ddbflat: bad.json:3: attribute a: N value must be a string, not a JSON number"* ]]
	[[ "$e" == *'ddbflat: bad.json:4: attribute a: invalid number "12abc"'* ]]
	[[ "$e" == *'ddbflat: bad.json:5: attribute a: unknown type tag "Q"'* ]]
	[[ "$e" == *"ddbflat: bad.json:6: malformed JSON: invalid UTF-8 in string"* ]]
	[[ "$e" == *"ddbflat: bad.json:7: Kinesis Data: invalid base64"* ]]
	[[ "$e" == *"ddbflat: bad.json:8: malformed JSON: NUL byte in string"* ]]
	[[ "$e" == *"ddbflat: bad.json:9: malformed JSON: invalid literal"* ]]
	[ "$(grep -c '^ddbflat: bad.json:' <<<"$e")" -eq 8 ]
	run -0 jq -s length err.json
	assert_output 8
	run -0 jq -r .line err.json
	assert_output "$(printf '%s\n' 2 3 4 5 6 7 8 9)"
}

@test "the errors file keeps each bad record's raw bytes for replay" {
	printf '%s\n' '{"Item":{"a":{"N":"1.2.3"}}}' '{"Item":{"ok":{"S":"y"}}}' >in.json
	run -1 ddbflat --errors err.json in.json
	run -0 jq -r '[.errorCode, .source, .line, .errorMessage] | @tsv' err.json
	assert_output "$(printf 'BadNumber\tin.json\t1\tattribute a: invalid number "1.2.3"')"
	run -0 bash -c "jq -r .rawData err.json | base64 -d"
	assert_output '{"Item":{"a":{"N":"1.2.3"}}}'
	# fix and replay
	jq -r .rawData err.json | base64 -d | sed 's/1.2.3/1.23/' >fixed.json
	run -0 ddbflat fixed.json
	assert_output '{"a":1.23}'
}

@test "absurd nesting depth is an error, not a crash" {
	python3 -c 'print("{\"Item\":{\"a\":" + "{\"M\":{\"b\":" * 200 + "{\"S\":\"x\"}" + "}}" * 200 + "}}")' >deep.json
	sed -n 1p "$DATA/ddbflat/blog-pair.json" >>deep.json
	run -1 --separate-stderr ddbflat deep.json
	[[ "$stderr" == *"deep.json:1: malformed JSON: nesting too deep"* ]]
	[ "${#lines[@]}" -eq 1 ]
}

@test "a record over --max-record is an error, and the next record is read" {
	python3 -c 'print("{\"Item\":{\"a\":{\"S\":\"" + "x" * 300000 + "\"}}}")' >long.json
	echo '{"Item":{"b":{"S":"after"}}}' >>long.json
	run -1 --separate-stderr ddbflat --max-record 64K long.json
	[[ "$stderr" == *"long.json:1: record larger than --max-record (65536 bytes)"* ]]
	assert_output '{"b":"after"}'
	run -0 ddbflat long.json
	[ "${#lines[@]}" -eq 2 ]
}

@test "a truncated document at end of input is reported" {
	head -c 300 "$D/streams-lambda.json" >trunc.json
	run -1 --separate-stderr ddbflat trunc.json
	[[ "$stderr" == *"trunc.json:"*"truncated"* ]]
}

@test "a corrupt or truncated gzip file: records before the damage flow, exit 1" {
	python3 -c '
import gzip
lines = "".join("{\"Item\":{\"n\":{\"N\":\"%d\"}}}\n" % i for i in range(20000))
open("big.gz", "wb").write(gzip.compress(lines.encode()))'
	head -c 20000 big.gz >cut.gz
	run -1 --separate-stderr ddbflat cut.gz
	[[ "$stderr" == *"cut.gz: unexpected end of gzip data (truncated file)"* ]]
	[ "${#lines[@]}" -gt 100 ]
	assert_line --index 0 '{"n":0}'
}

@test "--strict stops at the first bad record with exit 3" {
	printf '%s\n' '{"Item":{"a":{"S":"1"}}}' '{"Item":{"a":{"Q":"2"}}}' '{"Item":{"a":{"S":"3"}}}' >s.json
	run -3 --separate-stderr ddbflat --strict s.json
	assert_output '{"a":"1"}'
	[[ "$stderr" == *"s.json:2: attribute a: unknown type tag"* ]]
}

@test "a missing input file is reported and the others are still read" {
	run -1 --separate-stderr ddbflat nope.json "$D/scan.json"
	[[ "$stderr" == *"ddbflat: nope.json: No such file or directory"* ]]
	[ "${#lines[@]}" -eq 2 ]
}

@test "unrecognised shapes are errors" {
	printf '%s\n' '42' '"x"' '{"foo":"bar"}' >u.json
	run -1 --separate-stderr ddbflat u.json
	[ "$(grep -c 'u.json:' <<<"$stderr")" -eq 3 ]
	[[ "$stderr" == *"u.json:3: unrecognised record"* ]]
}

# ---- nothing accepted is lost ---------------------------------------------
# Every record id of the input must be in the rows or in the rawData of the
# errors file (tests/lib/ddbflat-kept.py), and a bad record's rawData must
# be the record whole, so fixing it and replaying recovers it.

kept() { /usr/bin/python3 "$TOP/tests/lib/ddbflat-kept.py" "$@"; }

@test "malformed NDJSON: each bad line is kept whole with its newline, the others flow" {
	# broken-ndjson.json: rec-03 has garbage before it, rec-05 is cut
	# short, rec-07 has invalid UTF-8, rec-08 a missing quote, rec-09 a
	# number that is no string
	run -1 --separate-stderr ddbflat --errors err.json "$D/broken-ndjson.json"
	[ "${#lines[@]}" -eq 5 ]
	assert_line --index 3 '{"id":"rec-06","n":6}'
	run -0 jq -r .line err.json
	assert_output "$(printf '%s\n' 3 5 7 8 9)"
	ddbflat "$D/broken-ndjson.json" >rows.json 2>/dev/null || true
	run -0 kept "$D/broken-ndjson.json" rows.json err.json
	assert_output "10 ids: 5 in rows, 5 in errors"
	# the line with garbage before the record: every byte, and the newline
	jq -r 'select(.line == 3) | .rawData' err.json | base64 -d >raw3
	sed -n 3p "$D/broken-ndjson.json" | cmp - raw3
	# a record that parsed but failed: the same, newline included
	jq -r 'select(.line == 9) | .rawData' err.json | base64 -d >raw9
	sed -n 9p "$D/broken-ndjson.json" | cmp - raw9
	# fixed and replayed, the five bad records come back
	jq -r .rawData err.json | base64 -d |
		sed -e 's/^x{/{/' -e 's/"5"$/"5"}}}/' -e 's/n\xff/n/' \
		    -e 's/"rec-08}/"rec-08"}/' -e 's/"N":9}/"N":"9"}/' >fixed.json
	run -0 ddbflat fixed.json
	assert_output "$(printf '{"id":"rec-%02d","n":%d}\n' 3 3 5 5 7 7 8 8 9 9)"
}

@test "a pretty Lambda event broken in two records: those two are kept whole, the others flow" {
	# rec-02 lacks a comma after "eventName", rec-04 has a line cut in
	# the middle of a string
	run -1 --separate-stderr ddbflat --errors err.json "$D/broken-lambda-pretty.json"
	[ "${#lines[@]}" -eq 4 ]
	assert_line --index 1 --partial '"_ddb_event_id":"rec-03"'
	assert_line --index 3 --partial '"_ddb_event_id":"rec-06"'
	[[ "$stderr" == *"broken-lambda-pretty.json:48: malformed JSON at line 52: expected ',' or '}'"* ]]
	run -0 kept "$D/broken-lambda-pretty.json" <(ddbflat "$D/broken-lambda-pretty.json" 2>/dev/null) err.json
	assert_output "6 ids: 4 in rows, 2 in errors"
	# each rawData is one element, from its '{' to its '}'
	run -0 bash -c "jq -r 'select(.line == 48) | .rawData' err.json | base64 -d"
	assert_line --index 0 '{'
	assert_line --index 1 --partial '"eventID": "rec-02"'
	assert_line --index -1 '        }'
	jq -r .rawData err.json | base64 -d |
		sed -e 's/"eventName": "INSERT"$/&,/' \
		    -e 's/"awsRegion": "us-ea$/"awsRegion": "us-east-1",/' >fixed.json
	run -0 ddbflat --no-meta fixed.json
	assert_output "$(printf '%s\n' '{"id":"rec-02","n":2,"tags":[{"k":"a"},{"k":"b"}]}' \
		'{"id":"rec-04","n":4,"tags":[{"k":"a"},{"k":"b"}]}')"
}

@test "a document cut at the end of the file: the records before flow, the cut one is kept" {
	run -1 --separate-stderr ddbflat --errors err.json "$D/broken-cut.json"
	[ "${#lines[@]}" -eq 4 ]
	[[ "$stderr" == *"broken-cut.json:183: malformed JSON at line 196: unexpected end of input (truncated record)"* ]]
	run -0 kept "$D/broken-cut.json" <(ddbflat "$D/broken-cut.json" 2>/dev/null) err.json
	assert_output "5 ids: 4 in rows, 1 in errors"
	# the cut record's bytes run to the end of the file
	jq -r .rawData err.json | base64 -d >raw
	tail -c "$(stat -c %s raw)" "$D/broken-cut.json" | cmp - raw
}

@test "a UTF-8 byte order mark is skipped: at the start of a file, of stdin, of a gzip member" {
	printf '\xef\xbb\xbf' >bom.json
	cat "$D/streams-lambda.json" >>bom.json
	run -0 --separate-stderr ddbflat bom.json
	assert_output "$(cat "$D/streams-lambda.out")"
	run -0 --separate-stderr bash -c "ddbflat < bom.json"
	assert_output "$(cat "$D/streams-lambda.out")"
	# .NET tools write one before each document of a concatenation too
	{ printf '\xef\xbb\xbf'; sed -n 1p "$D/blog-pair.json"; printf '\xef\xbb\xbf'; sed -n 2p "$D/blog-pair.json"; } | gzip >a.gz
	{ printf '\xef\xbb\xbf'; cat "$D/scan.json"; } | gzip >b.gz
	cat a.gz b.gz >two.gz
	run -0 --separate-stderr ddbflat two.gz
	[ "${#lines[@]}" -eq 4 ]
	assert_line --index 3 --partial '"SongTitle":"Scared of My Shadow"'
	# between NDJSON lines too
	printf '{"Item":{"a":{"S":"x"}}}\n\xef\xbb\xbf{"Item":{"id":{"S":"rec-01"}}}\n' >mid.json
	run -0 ddbflat mid.json
	assert_output "$(printf '{"a":"x"}\n{"id":"rec-01"}')"
	# not inside a document: that element fails, kept whole with the BOM
	printf '{"Items":[{"a":{"S":"x"}},\xef\xbb\xbf{"id":{"S":"rec-01"}},{"b":{"S":"y"}}]}\n' >in.json
	run -1 --separate-stderr ddbflat --errors err.json in.json
	assert_output "$(printf '{"a":"x"}\n{"b":"y"}')"
	run -0 bash -c "jq -r .rawData err.json | base64 -d"
	assert_output "$(printf '\xef\xbb\xbf{"id":{"S":"rec-01"}}')"
}

@test "a BOM before a file with a bad record: the bad record is kept whole, nothing is lost" {
	{ printf '\xef\xbb\xbf'; cat "$D/broken-ndjson.json"; } >bom.json
	run -1 --separate-stderr ddbflat --errors err.json bom.json
	[ "${#lines[@]}" -eq 5 ]
	assert_line --index 0 '{"id":"rec-01","n":1}'
	run -0 kept bom.json <(ddbflat bom.json 2>/dev/null) err.json
	assert_output "10 ids: 5 in rows, 5 in errors"
	# not 2 bytes (the BOM seen before the rest of it was read)
	[ "$(jq -r 'select(.line == 3) | .rawData' err.json | base64 -d | wc -c)" -eq 46 ]
	# a pretty event with a BOM and CRLF line ends, as .NET writes it
	{ printf '\xef\xbb\xbf'; sed 's/$/\r/' "$D/broken-lambda-pretty.json"; } >crlf.json
	rm err.json
	run -1 --separate-stderr ddbflat --errors err.json crlf.json
	[ "${#lines[@]}" -eq 4 ]
	run -0 kept crlf.json <(ddbflat crlf.json 2>/dev/null) err.json
	assert_output "6 ids: 4 in rows, 2 in errors"
}

@test "junk between the elements of one-line arrays is kept alone; the elements around it flow" {
	cat >junk.json <<-'EOF'
	{"Items":[{"id":{"S":"rec-01"}}},{"id":{"S":"rec-02"}},{"id":{"S":"rec-03"}}]}
	{"Items":[{"id":{"S":"rec-04"}},x,{"id":{"S":"rec-05"}}]}
	{"Items":[{"id":{"S":"rec-06"}},,{"id":{"S":"rec-07"}}]}
	{"Items":[{"id":{"S":"rec-08"}},]}
	{"Items":[{"id":{"S":"rec-09"}} {"id":{"S":"rec-10"}}]}
	EOF
	run -1 --separate-stderr ddbflat --errors err.json junk.json
	assert_output "$(printf '{"id":"rec-%02d"}\n' 1 2 3 4 5 6 7 8 9)"
	run -0 jq -r '"\(.line) \(.rawData | @base64d)"' err.json
	assert_output "$(printf '%s\n' '1 }' '2 x' '3 ,' '4 ' '5 {"id":{"S":"rec-10"}}')"
}

@test "an element larger than --max-record goes to --errors whole, in parts; the next elements flow" {
	python3 -c '
import json
recs = [{"eventID": "rec-%02d" % i, "eventName": "INSERT", "dynamodb": {"NewImage":
        {"id": {"S": "rec-%02d" % i}, "pad": {"S": "x" * (3000000 if i == 2 else 10)}}}}
        for i in range(1, 6)]
open("compact.json", "w").write(json.dumps({"Records": recs}) + "\n")
open("pretty.json", "w").write(json.dumps({"Records": recs}, indent=2) + "\n")
open("element2.json", "w").write(json.dumps(recs[1]))'
	for f in compact pretty; do
		rm -f err.json
		run -1 --separate-stderr ddbflat --max-record 16K --errors err.json $f.json
		[ "${#lines[@]}" -eq 4 ]
		assert_line --index 1 --partial '"id":"rec-03"'
		[ "$(grep -c 'record larger than --max-record (16384 bytes)' <<<"$stderr")" -eq 1 ]
		# one record, 3 MB: parts of 16 KiB in order, one line each
		run -0 jq -r '"\(.line) \(.errorMessage)"' err.json
		[ "${#lines[@]}" -gt 100 ]
		[ "$(cut -d' ' -f1 <<<"$output" | sort -u | wc -l)" -eq 1 ]
		assert_line --index 0 --partial ": kept in parts, part 1"
		assert_line --index 1 --partial ": kept in parts, part 2"
		run -0 jq -s 'map(.rawData | @base64d | length) | max' err.json
		[ "$output" -le 16384 ]
		run -0 kept $f.json <(ddbflat --max-record 16K $f.json 2>/dev/null) err.json
		assert_output "5 ids: 4 in rows, 1 in errors"
		# joined, the parts are the element, every byte of it
		jq -r .rawData err.json | base64 -d >raw
		if [ $f = compact ]; then cmp raw element2.json; fi
		run -0 jq -c '{id: .eventID, pad: (.dynamodb.NewImage.pad.S | length)}' raw
		assert_output '{"id":"rec-02","pad":3000000}'
	done
	run -0 ddbflat --stats st.json compact.json
	run -0 jq -r '"\(.records_in) \(.records_out)"' st.json
	assert_output "5 5"
}

@test "--strict stops after the first bad record, kept whole" {
	run -3 --separate-stderr ddbflat --strict --errors err.json "$D/broken-lambda-pretty.json"
	[ "${#lines[@]}" -eq 1 ]
	run -0 jq -s length err.json
	assert_output 1
	run -0 bash -c "jq -r .rawData err.json | base64 -d"
	assert_line --index 1 --partial '"eventID": "rec-02"'
	assert_line --index -1 '        }'
	refute_output --partial rec-03
}

# ---- interface ---------------------------------------------------------------

@test "writing to a full disk fails with exit 4 and a message" {
	run -4 --separate-stderr bash -c "ddbflat '$D/kinesis-get-records-v1.json' > /dev/full"
	[[ "$stderr" == *"ddbflat: write error: stdout: No space left on device"* ]]
}

@test "--stats writes honest counters: in = out + failed" {
	printf '%s\n' '{"Item":{"a":{"S":"1"}}}' '{"Item":{"a":{"Q":"2"}}}' '{"Item":{"a":{"S":"3"}}}' >s.json
	run -1 ddbflat --stats st.json s.json "$D/scan.json"
	run -0 jq -r '"\(.records_in) \(.records_out) \(.records_failed) \(.lines_out) \(.exit)"' st.json
	assert_output "5 4 1 4 1"
}

@test "--progress=always prints a status line on stderr" {
	run -0 --separate-stderr ddbflat --progress=always "$D/scan.json"
	[[ "$stderr" == *"ddbflat: 2 records_in, 2 records_out, 0 records_failed"* ]]
}

@test "--help and --version exit 0; usage errors exit 2 with a pointer to --help" {
	run -0 ddbflat --help
	assert_line --index 0 "usage: ddbflat [options] [FILE...]"
	run -0 ddbflat --version
	assert_output --regexp '^ddbflat [0-9]+\.[0-9]+\.[0-9]+$'
	run -2 --separate-stderr ddbflat --image=sideways
	[[ "$stderr" == *"--image: expected auto, new, old or both, not 'sideways'"* ]]
	[[ "$stderr" == *"try 'ddbflat --help'"* ]]
	run -2 --separate-stderr ddbflat --bogus
	run -2 --separate-stderr ddbflat --jq . --jq-file x
	run -2 --separate-stderr ddbflat --max-record 12Q
}

@test "closing stdout early (| head) ends quietly" {
	# ddbflat's own status (stage 2): killed by SIGPIPE (128 + 13), as a
	# pure filter should be, with nothing on stderr; head got its line
	run -0 --separate-stderr bash -c "yes \"\$(sed -n 1p '$D/blog-pair.json')\" | head -100000 | ddbflat | head -1; echo \"\${PIPESTATUS[*]}\""
	assert_line --index 0 --partial '"id":"864732"'
	assert_line --index 1 --regexp '^[0-9]+ [0-9]+ 141 0$'
	[ -z "$stderr" ]
}

# ---- the man page's EXAMPLES ------------------------------------------------

@test "man EXAMPLES: an export's data files on both cores, bad records kept" {
	mkdir -p AWSDynamoDB/01234567890123-a1b2c3d4/data
	for i in 1 2 3 4 5; do
		cp "$D/export-full.json.gz" "AWSDynamoDB/01234567890123-a1b2c3d4/data/part$i.json.gz"
	done
	cp "$D/export-empty.json.gz" AWSDynamoDB/01234567890123-a1b2c3d4/data/empty.json.gz
	run -0 bash -c 'ls AWSDynamoDB/*/data/*.json.gz | xargs -P 2 -n 8 ddbflat -e errors.json > items.json'
	[ "$(wc -l < items.json)" -eq 10 ]
	assert_json_lines items.json
	[ ! -s errors.json ]
}

@test "man EXAMPLES: numbers as strings, lists by index, dot separator" {
	run -0 ddbflat -n string -l index -s . "$D/types-edge.json"
	assert_output --partial '"nested.0.0":"1","nested.0.1":["2","3"],"nested.1.x":true,"nested.1.y":null,"nested.2":["AQ=="]'
}

@test "parallel ddbflat processes appending to one file never cut a record" {
	line=$(sed -n 1p "$D/kds-all-types.json")
	for i in 1 2 3 4; do
		yes "$line" | head -20000 >"in$i.json"
	done
	run -0 bash -c 'ls in*.json | xargs -P 4 -n 1 ddbflat > out.json'
	[ "$(wc -l < out.json)" -eq 80000 ]
	# every line parses on its own: none was split by another writer
	run -0 bash -c "set -o pipefail; jq -c . out.json | wc -l"
	assert_output 80000
	[ "$(sort -u out.json | wc -l)" -eq 1 ]
}

@test "collisions hidden in odd names are still caught: empty names, overlapping separators" {
	echo '{"eventID":"x","eventName":"INSERT","dynamodb":{"ApproximateCreationDateTime":1,"NewImage":{"":{"M":{"ddb":{"M":{"op":{"S":"mine"}}}}}}}}' >e.json
	run -0 --separate-stderr ddbflat e.json
	assert_output --partial '"_ddb_op":"INSERT"'
	assert_output --partial '"_ddb_op_2":"mine"'
	echo '{"x_":{"M":{"y":{"S":"1"}}},"x":{"M":{"_y":{"S":"2"}}}}' >o.json
	run -0 --separate-stderr ddbflat --separator __ o.json
	# equal depth: the path whose first component is shorter keeps the key
	assert_output '{"x___y__2":"1","x___y":"2"}'
}
