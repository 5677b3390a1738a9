#!/usr/bin/env bats
# The stream test servers are honest: kinesalite behind sigv4proxy.py
# refuses what AWS would refuse and passes the rest, and the minimal
# DynamoDB Streams responder (ddbstreams.py: nothing installable serves
# DynamoDB Streams) answers as the documented API does. ddbtail's tests
# stand on these.
# shellcheck disable=SC2016 # jq and awk programs in single quotes
load lib/common
load lib/streams

# DynamoDB writes __type with a namespace.
DDB=com.amazonaws.dynamodb.v20120810
CORAL=com.amazon.coral.service
K0=shardId-000000000000
K1=shardId-000000000001

setup() {
	cd "$BATS_TEST_TMPDIR" || return
}

teardown() {
	streams_stop
}

# field NAME: a top-level field of the JSON answer in $output (awspost's
# second line).
field() {
	sed -n 2p <<<"$output" | jq -r --arg f "$1" '.[$f]'
}

# refused TYPE CMD ARGS...: CMD (awspost, kinesis_post or ddbstreams_post)
# gets an error answer (exit 1) whose __type is TYPE; $output holds it.
refused() {
	local type=$1
	shift
	run -1 "$@"
	[ "$(field __type)" = "$type" ] || fail "want $type, got: $output"
}

# getrecs CALL ITERATOR [LIMIT]: one GetRecords with CALL (kinesis_call or
# ddbstreams_call); the answer goes to page.json, its NextShardIterator (or
# "none") to iter.
getrecs() {
	"$1" GetRecords "{\"ShardIterator\":\"$2\"${3:+,\"Limit\":$3}}" >page.json
	jq -r '.NextShardIterator // "none"' page.json >iter
}

# log_ops LOG OP FIELD...: those fields of the log lines of operation OP
# ("-": of all). Fields: 3 operation, 4 verdict, 5 status, 6 shard, 7 stream.
log_ops() {
	local log=$1 op=$2
	shift 2
	awk -v op="$op" -v f="$*" 'BEGIN { n = split(f, k, " ") }
	    op == "-" || $3 == op {
		s = $k[1]
		for (i = 2; i <= n; i++)
			s = s " " $k[i]
		print s
	    }' "$log"
}

# --- Kinesis: kinesalite behind sigv4proxy.py --------------------------

@test "sigv4proxy: awscli with the right secret creates a stream, puts and gets records" {
	kinesis_proxy_start
	run -0 saws kinesis create-stream --stream-name s --shard-count 1
	kinesis_wait_active s
	printf '[{"Data":"%s","PartitionKey":"a"},{"Data":"%s","PartitionKey":"b"}]' \
	    "$(printf 'one' | base64)" "$(printf 'two\n' | base64)" >recs.json
	run -0 saws kinesis put-records --stream-name s --records file://recs.json \
	    --query FailedRecordCount
	assert_output 0
	it=$(saws kinesis get-shard-iterator --stream-name s --shard-id "$K0" \
	    --shard-iterator-type TRIM_HORIZON --query ShardIterator --output text)
	saws kinesis get-records --shard-iterator "$it" >got.json
	run -0 jq -r '.Records[].Data | @base64d' got.json
	assert_output $'one\ntwo'
	# Every call went through the proxy and passed its check.
	run -0 log_ops "$KINESIS_PROXY_LOG" - 3 4 5
	assert_line 'CreateStream ok 200'
	assert_line 'PutRecords ok 200'
	assert_line 'GetShardIterator ok 200'
	assert_line 'GetRecords ok 200'
	refute_output --partial bad-
}

@test "sigv4proxy: awscli with a wrong secret gets InvalidSignatureException; kinesalite never sees it" {
	kinesis_proxy_start
	AWS_SECRET_ACCESS_KEY=wrong-secret run -254 saws kinesis create-stream \
	    --stream-name s --shard-count 1
	assert_output --partial \
	    'An error occurred (InvalidSignatureException) when calling the CreateStream operation'
	run -0 log_ops "$KINESIS_PROXY_LOG" - 3 4 5
	assert_output 'CreateStream bad-signature 400'
	run -0 awspost "$KINESALITE_ENDPOINT" Kinesis_20131202.ListStreams
	assert_line --index 1 '{"StreamNames":[],"HasMoreStreams":false}'
}

@test "sigv4proxy: a bad key, token, date, scope or body, or none, is refused as AWS would" {
	kinesis_proxy_start
	session="$STREAMS_SESSION_KEY_ID:$STREAMS_SESSION_SECRET"
	run -0 kinesis_post ListStreams
	run -0 kinesis_post ListStreams '{}' --key "$session:$STREAMS_SESSION_TOKEN"
	refused UnrecognizedClientException kinesis_post ListStreams '{}' --key "$session"
	refused UnrecognizedClientException kinesis_post ListStreams '{}' --key "$session:other"
	refused UnrecognizedClientException kinesis_post ListStreams '{}' \
	    --key "AKIDNOBODY:$AWS_SECRET_ACCESS_KEY"
	refused InvalidSignatureException kinesis_post ListStreams '{}' --key "$AWS_ACCESS_KEY_ID:x"
	refused MissingAuthenticationTokenException kinesis_post ListStreams '{}' --unsigned
	refused InvalidSignatureException kinesis_post ListStreams '{}' --skew -960
	assert_output --partial 'Signature expired'
	run -0 kinesis_post ListStreams '{}' --skew -840
	refused InvalidSignatureException kinesis_post ListStreams '{}' --skew 960
	refused InvalidSignatureException kinesis_post ListStreams '{}' --region eu-west-1
	refused InvalidSignatureException kinesis_post ListStreams '{}' --service dynamodb
	refused InvalidSignatureException kinesis_post ListStreams '{}' --tamper
	assert_line --index 0 400
	run -0 log_ops "$KINESIS_PROXY_LOG" - 4
	assert_output "$(printf '%s\n' ok ok bad-token bad-token unknown-key \
	    bad-signature no-auth skewed ok skewed bad-scope bad-scope bad-signature)"
	# curl's own SigV4 signer gets the same answers.
	curl_post() {
		curl -sS --aws-sigv4 aws:amz:us-east-1:kinesis --user "$1" \
		    -H 'Content-Type: application/x-amz-json-1.1' \
		    -H 'X-Amz-Target: Kinesis_20131202.ListStreams' -d '{}' \
		    -w ' %{http_code}' "$KINESIS_ENDPOINT/"
	}
	run -0 curl_post "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY"
	assert_output '{"StreamNames":[],"HasMoreStreams":false} 200'
	run -0 curl_post "$AWS_ACCESS_KEY_ID:wrong"
	assert_output --regexp '^\{"__type":"InvalidSignatureException",.* 400$'
}

@test "sigv4proxy: the fault file and the control channel throttle, fail, expire and drop calls" {
	kinesis_proxy_start
	kinesis_create s
	it=$(kinesis_iterator s "$K0" TRIM_HORIZON)
	printf '%s\n' '# test faults' 'GetRecords throttle 2' '* 500 1' 'GetRecords expire 1' \
	    >"$KINESIS_PROXY_FAULTS"
	body="{\"ShardIterator\":\"$it\"}"
	for want in 400:ProvisionedThroughputExceededException \
	    400:ProvisionedThroughputExceededException 500:InternalFailure \
	    400:ExpiredIteratorException 200:null; do
		run kinesis_post GetRecords "$body"
		[ "${lines[0]}:$(field __type)" = "$want" ] || fail "want $want, got $output"
	done
	run -0 log_ops "$KINESIS_PROXY_LOG" GetRecords 4 5
	assert_output "$(printf '%s\n' 'fault-throttle 400' 'fault-throttle 400' \
	    'fault-500 500' 'fault-expire 400' 'ok 200')"
	# A changed file arms its rules again.
	echo 'GetRecords throttle 1' >"$KINESIS_PROXY_FAULTS"
	refused ProvisionedThroughputExceededException kinesis_post GetRecords "$body"
	run -0 kinesis_post GetRecords "$body"
	# The control channel arms faults too: drop closes without an answer.
	run -0 kinesis_proxy_ctl '{"op":"fault","target":"ListStreams","error":"drop","count":1}'
	assert_output '{"rules":[["ListStreams","drop",1]]}'
	run -2 kinesis_post ListStreams
	run -0 kinesis_post ListStreams
}

@test "sigv4proxy: the log and the stats count GetRecords per shard" {
	kinesis_proxy_start
	kinesis_create s 2
	for shard in "$K0" "$K0" "$K0" "$K1" "$K1"; do
		getrecs kinesis_call "$(kinesis_iterator s "$shard" LATEST)"
	done
	run -0 log_ops "$KINESIS_PROXY_LOG" GetRecords 6 7
	assert_output "$(printf "%s s\n" "$K0" "$K0" "$K0" "$K1" "$K1")"
	run -0 kinesis_proxy_ctl '{"op":"stats"}'
	run -0 jq -c --arg a "$K0" --arg b "$K1" '[.calls.GetRecords, .shards[$a].GetRecords.calls,
	    .shards[$b].GetRecords.calls, .shards[$b].GetShardIterator.calls]' <<<"$output"
	assert_output '[5,3,2,2]'
}

@test "sigv4proxy: --getrecords-rate 3 throttles a shard's fourth GetRecords within a second" {
	kinesis_proxy_start --getrecords-rate 3
	kinesis_create s
	it=$(kinesis_iterator s "$K0" LATEST)
	# One process sends them all, so they fall within a second.
	/usr/bin/python3 - "$STREAMS_LIB" "$KINESIS_ENDPOINT" "$it" >codes <<-'EOF'
		import json, sys
		sys.path.insert(0, sys.argv[1])
		import sigv4sign
		creds, it = sigv4sign.creds_from_env(), sys.argv[3]
		for _ in range(4):
		    status, out = sigv4sign.post(sys.argv[2], "Kinesis_20131202.GetRecords",
		                                 json.dumps({"ShardIterator": it}).encode(), creds)
		    out = json.loads(out)
		    print(status, out.get("__type", "ok"))
		    it = out.get("NextShardIterator", it)
	EOF
	run -0 cat codes
	assert_output "$(printf '%s\n' '200 ok' '200 ok' '200 ok' \
	    '400 ProvisionedThroughputExceededException')"
	run -0 kinesis_proxy_ctl '{"op":"stats"}'
	run -0 jq --arg s "$K0" '.shards[$s].GetRecords.max_1s' <<<"$output"
	assert_output 4
}

@test "sigv4proxy: --iterator-ttl 1 expires an iterator handed out more than a second ago" {
	kinesis_proxy_start --iterator-ttl 1
	kinesis_create s
	it=$(kinesis_iterator s "$K0" TRIM_HORIZON)
	getrecs kinesis_call "$it"
	sleep 1.2
	refused ExpiredIteratorException kinesis_post GetRecords "{\"ShardIterator\":\"$it\"}"
	refused ExpiredIteratorException kinesis_post GetRecords \
	    "{\"ShardIterator\":\"$(cat iter)\"}"
	getrecs kinesis_call "$(kinesis_iterator s "$K0" TRIM_HORIZON)"
}

@test "sigv4proxy: 5 MB PutRecords bodies and a 10 MB GetRecords answer pass through intact" {
	kinesis_proxy_start
	kinesis_create s
	for _ in 1 2 3 4 5 6 7 8; do
		head -c 700000 /dev/urandom | base64 -w0
		echo
	done >big.txt
	kinesis_put_lines s big.txt >put.out
	[ "$(wc -l <put.out)" = 8 ]
	getrecs kinesis_call "$(kinesis_iterator s "$K0" TRIM_HORIZON)"
	[ "$(stat -c %s page.json)" -gt $((9 << 20)) ]
	jq -r '.Records[].Data | @base64d' page.json >got.txt
	run -0 cmp big.txt got.txt
}

@test "kinesis helpers: kinesis_put_ddb puts 1200 DynamoDB-for-Kinesis records, each read back" {
	kinesis_proxy_start
	kinesis_create s 2
	kinesis_put_ddb s 1200 >put.out
	[ "$(wc -l <put.out)" = 1200 ]
	[ "$(cut -d' ' -f2 put.out | sort -u | wc -l)" = 2 ]
	for shard in "$K0" "$K1"; do
		getrecs kinesis_call "$(kinesis_iterator s "$shard" TRIM_HORIZON)"
		jq -c '.Records[] | .Data | @base64d | fromjson' page.json
	done >got.jsonl
	run -0 jq -s -r 'map(select(.recordFormat == "application/json"
	    and .eventSource == "aws:dynamodb" and (.dynamodb.Keys | length) > 0)) | length' got.jsonl
	assert_output 1200
	run -0 diff <(cut -d' ' -f1 put.out | sort) <(jq -r .eventID got.jsonl | sort)
	# FIRST continues the same corpus with new records.
	kinesis_put_ddb s 2 1201 >more.out
	run -0 comm -12 <(cut -d' ' -f1 more.out | sort) <(cut -d' ' -f1 put.out | sort)
	assert_output ''
}

@test "kinesis helpers: split and merge; kinesalite ends a closed shard with an empty page; ListShards" {
	kinesis_proxy_start
	kinesis_create s
	kinesis_put_ddb s 5 >put.out
	kinesis_split s "$K0"
	kinesis_merge s "$K1" shardId-000000000002
	run -0 kinesis_shards s
	run -0 jq -s -c 'map([.ShardId[-1:], .ParentShardId[-1:], .AdjacentParentShardId[-1:],
	    (.SequenceNumberRange | has("EndingSequenceNumber"))])' <<<"$output"
	assert_output '[["0",null,null,true],["1","0",null,true],["2","0",null,true],["3","1","2",false]]'
	it=$(kinesis_iterator s "$K0" TRIM_HORIZON)
	pages=''
	while [ "$it" != none ]; do
		getrecs kinesis_call "$it"
		pages="$pages $(jq '.Records | length' page.json)"
		it=$(cat iter)
	done
	# kinesalite: no ChildShards; after the records, at most one empty
	# page with an iterator (it depends on timing), then an empty page
	# without one.
	[[ $pages =~ ^\ 5(\ 0)?\ 0$ ]] || fail "pages:$pages"
	run -0 jq 'has("ChildShards")' page.json
	assert_output false
	# kinesalite lists every shard at once and dies on a NextToken: the
	# proxy answers those, as AWS would.
	refused InvalidArgumentException kinesis_post ListShards '{"StreamName":"s","NextToken":"x"}'
	refused ExpiredNextTokenException kinesis_post ListShards '{"NextToken":"x"}'
	[ "$(kinesis_shards s | wc -l)" = 4 ]
}

# --- DynamoDB Streams: ddbstreams.py --------------------------------------

# put_three: three records of table "orders" (created if need be): an
# INSERT, a MODIFY and a TTL delete. Prints the control channel's answer.
put_three() {
	ddbstreams_ctl '{"op":"put","table":"orders","items":[
	  {"event":"INSERT","keys":{"pk":{"S":"o1"}},"time":1764090000,
	   "new":{"pk":{"S":"o1"},"n":{"N":"12345678901234567890123456789012345678"}}},
	  {"event":"MODIFY","keys":{"pk":{"S":"o1"}},"time":1764090001,
	   "old":{"pk":{"S":"o1"},"n":{"N":"1"}},"new":{"pk":{"S":"o1"},"n":{"N":"2"}}},
	  {"event":"REMOVE","keys":{"pk":{"S":"o1"}},"time":1764090002,"ttl":true,
	   "old":{"pk":{"S":"o1"},"n":{"N":"2"}}}]}'
}

# create TABLE [JSON-MEMBERS]: a table with a stream; prints the stream ARN.
create() {
	ddbstreams_ctl "{\"op\":\"create\",\"table\":\"$1\"${2:+,$2}}" | jq -r .StreamArn
}

@test "ddbstreams (minimal responder): awscli reads the records put, exactly" {
	ddbstreams_start
	put_three >put.json
	arn=$(ddbstreams_call DescribeTable '{"TableName":"orders"}' | jq -r .Table.LatestStreamArn)
	[[ $arn =~ ^arn:aws:dynamodb:us-east-1:123456789012:table/orders/stream/20[0-9-]{8}T[0-9:]{8}\.[0-9]{3}$ ]]
	run -0 ddbstreams_call ListStreams '{}'
	assert_output "$(printf '{"Streams":[{"StreamArn":"%s","TableName":"orders","StreamLabel":"%s"}]}' \
	    "$arn" "${arn##*/}")"
	shard=$(ddbstreams_shards "$arn" | jq -r .ShardId)
	[[ $shard =~ ^shardId-[0-9]{20}-[0-9a-f]{8}$ ]]
	it=$(ddbstreams_iterator "$arn" "$shard" TRIM_HORIZON)
	# awscli's model accepts the records (with cli_timestamp_format = wire
	# it shows the creation times as sent).
	saws dynamodbstreams get-records --shard-iterator "$it" >got.json
	jq '[.records as $r | range(3) as $i | {
	  eventID: $r[$i].eventID, eventName: (["INSERT","MODIFY","REMOVE"][$i]),
	  eventVersion: "1.1", eventSource: "aws:dynamodb", awsRegion: "us-east-1",
	  dynamodb: ({ApproximateCreationDateTime: (1764090000 + $i), Keys: {pk: {S: "o1"}}}
	    + ([{NewImage: {pk: {S: "o1"}, n: {N: "12345678901234567890123456789012345678"}}},
	        {NewImage: {pk: {S: "o1"}, n: {N: "2"}}, OldImage: {pk: {S: "o1"}, n: {N: "1"}}},
	        {OldImage: {pk: {S: "o1"}, n: {N: "2"}}}][$i])
	    + {SequenceNumber: $r[$i].SequenceNumber, StreamViewType: "NEW_AND_OLD_IMAGES"})}
	  + (if $i == 2 then {userIdentity: {PrincipalId: "dynamodb.amazonaws.com", Type: "Service"}}
	     else {} end)]' put.json >want.json
	run -0 diff <(jq -S 'del(.[].dynamodb.SizeBytes)' want.json) \
	    <(jq -S '.Records | del(.[].dynamodb.SizeBytes)' got.json)
	run -0 jq -r '[.Records[].dynamodb.SizeBytes | type] | unique[]' got.json
	assert_output number
	run -0 jq -r '[.records[].SequenceNumber | length >= 21] | all' put.json
	assert_output true
}

@test "ddbstreams: describe-stream pages 150 shards with LastEvaluatedShardId, absent on the last page" {
	ddbstreams_start
	arn=$(create wide)
	ddbstreams_ctl '{"op":"rollover","table":"wide","count":149}' >/dev/null
	saws dynamodbstreams describe-stream --stream-arn "$arn" >p1.json
	run -0 jq -r '.StreamDescription |
	    [(.Shards | length), .LastEvaluatedShardId == .Shards[-1].ShardId] | @tsv' p1.json
	assert_output "100	true"
	saws dynamodbstreams describe-stream --stream-arn "$arn" --exclusive-start-shard-id \
	    "$(jq -r .StreamDescription.LastEvaluatedShardId p1.json)" >p2.json
	run -0 jq -r '.StreamDescription | [(.Shards | length), has("LastEvaluatedShardId")] | @tsv' p2.json
	assert_output "50	false"
	# 150 distinct shards, each (but the first) the child of the one before.
	run -0 jq -s -r '[.[].StreamDescription.Shards[]] | [length, (map(.ShardId) | unique | length),
	    ([range(1; length) as $i | .[$i].ParentShardId == .[$i - 1].ShardId] | all),
	    (map(select(.SequenceNumberRange | has("EndingSequenceNumber"))) | length)] | @tsv' \
	    p1.json p2.json
	assert_output "150	150	true	149"
	# Limit 50: three full pages, and the third says nothing more follows.
	start='' pages=''
	for _ in 1 2 3; do
		page=$(ddbstreams_call DescribeStream "{\"StreamArn\":\"$arn\",\"Limit\":50$start}")
		last=$(jq -r '.StreamDescription.LastEvaluatedShardId // "none"' <<<"$page")
		pages="$pages $(jq '.StreamDescription.Shards | length' <<<"$page"):$last"
		start=",\"ExclusiveStartShardId\":\"$last\""
	done
	[[ $pages =~ ^\ 50:shardId-[^\ ]+\ 50:shardId-[^\ ]+\ 50:none$ ]] || fail "$pages"
	run -0 ddbstreams_shards "$arn"
	[ "${#lines[@]}" = 150 ]
	refused com.amazon.coral.validate#ValidationException \
	    ddbstreams_post DescribeStream "{\"StreamArn\":\"$arn\",\"Limit\":101}"
}

@test "ddbstreams: a wrong secret, signing name, session token or content type is refused" {
	ddbstreams_start
	arn=$(create orders)
	AWS_SECRET_ACCESS_KEY=wrong run -254 saws dynamodbstreams describe-stream --stream-arn "$arn"
	assert_output --partial \
	    'An error occurred (InvalidSignatureException) when calling the DescribeStream operation'
	body="{\"StreamArn\":\"$arn\"}"
	run -0 ddbstreams_post DescribeStream "$body"
	refused "$CORAL#InvalidSignatureException" \
	    ddbstreams_post DescribeStream "$body" --service dynamodbstreams
	assert_output --partial "Credential should be scoped to correct service: 'dynamodb'."
	refused "$CORAL#InvalidSignatureException" \
	    ddbstreams_post DescribeStream "$body" --service streams.dynamodb
	refused "$CORAL#MissingAuthenticationTokenException" \
	    ddbstreams_post DescribeStream "$body" --unsigned
	refused "$CORAL#SerializationException" \
	    ddbstreams_post DescribeStream "$body" --content-type application/x-amz-json-1.1
	session="$STREAMS_SESSION_KEY_ID:$STREAMS_SESSION_SECRET"
	refused "$CORAL#UnrecognizedClientException" \
	    ddbstreams_post DescribeStream "$body" --key "$session"
	run -0 ddbstreams_post DescribeStream "$body" --key "$session:$STREAMS_SESSION_TOKEN"
	run -0 log_ops "$DDBSTREAMS_LOG" - 3 4 5
	assert_output "$(printf '%s\n' '_control.create ok 200' 'DescribeStream bad-signature 400' \
	    'DescribeStream ok 200' 'DescribeStream bad-scope 400' 'DescribeStream bad-scope 400' \
	    'DescribeStream no-auth 400' 'DescribeStream error 400' \
	    'DescribeStream bad-token 400' 'DescribeStream ok 200')"
}

@test "ddbstreams: rollover closes a shard and opens its child; a closed shard ends without an iterator" {
	ddbstreams_start
	arn=$(create orders)
	put_three >put.json
	run -0 ddbstreams_ctl '{"op":"rollover","table":"orders"}'
	parent=$(jq -r '.closed[0]' <<<"$output")
	child=$(jq -r '.opened[0]' <<<"$output")
	ddbstreams_shards "$arn" >shards.jsonl
	run -0 jq -s -c --arg p "$parent" --arg c "$child" '[length,
	    (.[0] | [.ShardId == $p, has("ParentShardId"), .SequenceNumberRange.EndingSequenceNumber]),
	    (.[1] | [.ShardId == $c, .ParentShardId == $p,
	        (.SequenceNumberRange | has("EndingSequenceNumber"))])]' shards.jsonl
	assert_output --regexp '^\[2,\[true,false,"[0-9]{21,}"\],\[true,true,false\]\]$'
	# The parent's end is past its last record, the child starts after it.
	run -0 jq -s -r '[.[0].SequenceNumberRange.EndingSequenceNumber,
	    .[1].SequenceNumberRange.StartingSequenceNumber] | @tsv' shards.jsonl
	read -r end start <<<"$output"
	last=$(jq -r '.records[-1].SequenceNumber' put.json)
	/usr/bin/python3 -c 'import sys; a, b, c = map(int, sys.argv[1:]); assert a < b < c' \
	    "$last" "$end" "$start"
	# Reading the parent: its three records, and no NextShardIterator.
	getrecs ddbstreams_call "$(ddbstreams_iterator "$arn" "$parent" TRIM_HORIZON)"
	run -0 jq -c '[(.Records | length), has("NextShardIterator")]' page.json
	assert_output '[3,false]'
	# New records go to the child, whose open end still hands out iterators.
	run -0 ddbstreams_ctl '{"op":"put","table":"orders","items":[{"keys":{"pk":{"S":"o2"}}}]}'
	[ "$(jq -r '.records[0].ShardId' <<<"$output")" = "$child" ]
	getrecs ddbstreams_call "$(ddbstreams_iterator "$arn" "$child" TRIM_HORIZON)"
	[ "$(jq '.Records | length' page.json)" = 1 ]
	getrecs ddbstreams_call "$(cat iter)"
	run -0 jq -c '[(.Records | length), (.NextShardIterator | type)]' page.json
	assert_output '[0,"string"]'
	# A split: two children of the child, which ShardFilter finds.
	ddbstreams_ctl '{"op":"rollover","table":"orders","children":2}' >/dev/null
	ddbstreams_call DescribeStream "$(printf \
	    '{"StreamArn":"%s","ShardFilter":{"Type":"CHILD_SHARDS","ShardId":"%s"}}' \
	    "$arn" "$child")" >kids.json
	run -0 jq -c --arg c "$child" \
	    '.StreamDescription.Shards | [length, (map(.ParentShardId == $c) | all)]' kids.json
	assert_output '[2,true]'
}

@test "ddbstreams: --end lazy ends a closed shard with an empty page; --end-null sends null" {
	ddbstreams_start --end lazy --end-null
	arn=$(create orders)
	put_three >/dev/null
	shard=$(ddbstreams_ctl '{"op":"rollover"}' | jq -r '.closed[0]')
	it=$(ddbstreams_iterator "$arn" "$shard" TRIM_HORIZON)
	pages=''
	while [ "$it" != none ]; do
		getrecs ddbstreams_call "$it" 2
		pages="$pages $(jq -c '[(.Records | length), (.NextShardIterator | type)]' page.json)"
		it=$(cat iter)
	done
	assert_equal "$pages" ' [2,"string"] [1,"string"] [0,"null"]'
}

@test "ddbstreams: trimmed data gives TrimmedDataAccessException; TRIM_HORIZON starts after it" {
	ddbstreams_start
	arn=$(create orders)
	put_three >put.json
	shard=$(jq -r '.records[0].ShardId' put.json)
	seq1=$(jq -r '.records[0].SequenceNumber' put.json)
	seq2=$(jq -r '.records[1].SequenceNumber' put.json)
	old=$(ddbstreams_iterator "$arn" "$shard" TRIM_HORIZON)
	ddbstreams_ctl "{\"op\":\"trim\",\"before\":\"$seq2\"}" >/dev/null
	refused "$DDB#TrimmedDataAccessException" ddbstreams_post GetShardIterator "$(printf \
	    '{"StreamArn":"%s","ShardId":"%s","ShardIteratorType":"AT_SEQUENCE_NUMBER","SequenceNumber":"%s"}' \
	    "$arn" "$shard" "$seq1")"
	refused "$DDB#TrimmedDataAccessException" \
	    ddbstreams_post GetRecords "{\"ShardIterator\":\"$old\"}"
	ddbstreams_iterator "$arn" "$shard" AT_SEQUENCE_NUMBER "$seq2" >/dev/null
	getrecs ddbstreams_call "$(ddbstreams_iterator "$arn" "$shard" TRIM_HORIZON)"
	run -0 jq -r '.Records[].dynamodb.SequenceNumber' page.json
	assert_output "$(jq -r '.records[1:][].SequenceNumber' put.json)"
	# A closed shard that ended before the trim point leaves the stream.
	ddbstreams_ctl '{"op":"rollover"}' >/dev/null
	run -0 ddbstreams_ctl '{"op":"trim","before":"999999999999999999999999"}'
	assert_output "{\"removed\":[\"$shard\"]}"
	run -0 ddbstreams_shards "$arn"
	run -0 jq -s -c 'map(has("ParentShardId"))' <<<"$output"
	assert_output '[true]'
}

@test "ddbstreams: --iterator-ttl 1 expires iterators older than a second" {
	ddbstreams_start --iterator-ttl 1
	arn=$(create orders)
	shard=$(ddbstreams_shards "$arn" | jq -r .ShardId)
	getrecs ddbstreams_call "$(ddbstreams_iterator "$arn" "$shard" LATEST)"
	sleep 1.2
	refused "$DDB#ExpiredIteratorException" \
	    ddbstreams_post GetRecords "{\"ShardIterator\":\"$(cat iter)\"}"
	assert_output --partial 'tolerated delay of 1000 milliseconds'
}

@test "ddbstreams: faults and the stats: LimitExceeded twice, then a 500, then the records" {
	ddbstreams_start
	arn=$(create orders)
	put_three >put.json
	shard=$(jq -r '.records[0].ShardId' put.json)
	it=$(ddbstreams_iterator "$arn" "$shard" TRIM_HORIZON)
	ddbstreams_ctl '{"op":"fault","target":"GetRecords","error":"limit","count":2}' >/dev/null
	run -0 ddbstreams_ctl '{"op":"fault","target":"GetRecords","error":"500","count":1}'
	assert_output '{"rules":[["GetRecords","limit",2],["GetRecords","500",1]]}'
	for want in "400:$DDB#LimitExceededException" "400:$DDB#LimitExceededException" \
	    "500:$DDB#InternalServerError" 200:null; do
		run ddbstreams_post GetRecords "{\"ShardIterator\":\"$it\"}"
		[ "${lines[0]}:$(field __type)" = "$want" ] || fail "want $want, got $output"
	done
	[ "$(field Records | jq length)" = 3 ]
	run -0 log_ops "$DDBSTREAMS_LOG" GetRecords 4 5
	assert_output "$(printf '%s\n' 'fault-limit 400' 'fault-limit 400' 'fault-500 500' 'ok 200')"
	run -0 ddbstreams_ctl '{"op":"stats","reset":true}'
	run -0 jq -c --arg s "$shard" '[.calls.GetRecords, .calls.GetShardIterator,
	    .shards[$s].GetRecords.calls, .verdicts["fault-limit"]]' <<<"$output"
	assert_output '[4,1,4,2]'
	run -0 ddbstreams_ctl '{"op":"stats"}'
	assert_output '{"calls":{},"verdicts":{},"shards":{}}'
}

@test "ddbstreams: sequence numbers grow past 21 digits; AT_, AFTER_SEQUENCE_NUMBER, LATEST, Limit" {
	ddbstreams_start
	arn=$(create orders '"seq_start":"999999999999999997000"')
	for i in 1 2 3 4 5; do
		ddbstreams_ctl "{\"op\":\"put\",\"table\":\"orders\",\"items\":[{\"keys\":{\"pk\":{\"S\":\"k$i\"}}}]}"
	done | jq -r '.records[].SequenceNumber' >seqs
	run -0 awk '{ print length($0) }' seqs
	assert_output "$(printf '%s\n' 21 21 22 22 22)"
	shard=$(ddbstreams_shards "$arn" | jq -r .ShardId)
	getrecs ddbstreams_call "$(ddbstreams_iterator "$arn" "$shard" AT_SEQUENCE_NUMBER \
	    "$(sed -n 2p seqs)")" 2
	run -0 jq -r '.Records[].dynamodb.SequenceNumber' page.json
	assert_output "$(sed -n 2,3p seqs)"
	getrecs ddbstreams_call "$(cat iter)" 2
	run -0 jq -r '.Records[].dynamodb.SequenceNumber' page.json
	assert_output "$(sed -n 4,5p seqs)"
	getrecs ddbstreams_call "$(ddbstreams_iterator "$arn" "$shard" AFTER_SEQUENCE_NUMBER \
	    "$(sed -n 3p seqs)")"
	run -0 jq -r '.Records[].dynamodb.SequenceNumber' page.json
	assert_output "$(sed -n 4,5p seqs)"
	latest=$(ddbstreams_iterator "$arn" "$shard" LATEST)
	ddbstreams_ctl '{"op":"put","table":"orders","items":[{"keys":{"pk":{"S":"k6"}}}]}' >/dev/null
	getrecs ddbstreams_call "$latest"
	run -0 jq -r '.Records[].dynamodb.Keys.pk.S' page.json
	assert_output k6
	refused com.amazon.coral.validate#ValidationException \
	    ddbstreams_post GetRecords "{\"ShardIterator\":\"$latest\",\"Limit\":1001}"
}

@test "ddbstreams: restream disables the old stream and DescribeTable names the new one" {
	ddbstreams_start
	old=$(create orders '"shards":2')
	new=$(ddbstreams_ctl '{"op":"restream","table":"orders","view":"KEYS_ONLY"}' |
	    jq -r .StreamArn)
	[ "$old" != "$new" ]
	run -0 ddbstreams_call DescribeTable '{"TableName":"orders"}'
	run -0 jq -r '.Table | [.LatestStreamArn, .StreamSpecification.StreamViewType] | @tsv' \
	    <<<"$output"
	assert_output "$new	KEYS_ONLY"
	run -0 ddbstreams_call DescribeStream "{\"StreamArn\":\"$old\"}"
	run -0 jq -c '.StreamDescription | [.StreamStatus,
	    (.Shards | map(.SequenceNumberRange | has("EndingSequenceNumber")))]' <<<"$output"
	assert_output '["DISABLED",[true,true]]'
	run -0 ddbstreams_call ListStreams '{"TableName":"orders","Limit":1}'
	run -0 jq -r '[(.Streams | length), .LastEvaluatedStreamArn == .Streams[0].StreamArn] | @tsv' \
	    <<<"$output"
	assert_output "1	true"
	ddbstreams_ctl '{"op":"put","table":"orders","items":[
	    {"keys":{"pk":{"S":"a"}},"new":{"pk":{"S":"a"}}}]}' >put.json
	shard=$(jq -r '.records[0].ShardId' put.json)
	getrecs ddbstreams_call "$(ddbstreams_iterator "$new" "$shard" TRIM_HORIZON)"
	run -0 jq -c '.Records[0].dynamodb | [has("NewImage"), .StreamViewType]' page.json
	assert_output '[false,"KEYS_ONLY"]'
	refused "$DDB#ResourceNotFoundException" \
	    ddbstreams_post DescribeTable '{"TableName":"nosuch"}'
}
