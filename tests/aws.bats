#!/usr/bin/env bats
# lib/aws beyond S3, through tests/helpers/awscall: Kinesis (JSON 1.1) on
# kinesalite behind sigv4proxy.py, which checks every signature with
# botocore; DynamoDB Streams and DescribeTable (JSON 1.0, signed as
# "dynamodb") on the minimal responder ddbstreams.py; STS (query protocol,
# AssumeRoleWithWebIdentity unsigned) and the SSO portal (an unsigned GET
# with x-amz-sso_bearer_token) on the minimal responders of awsrsp.py. The
# last three cannot be installed here; the test names say which is which.
load lib/common
load lib/streams
load lib/awsrsp

setup() {
	cd "$BATS_TEST_TMPDIR" || return
	call=$DDBLAKE_BIN/helpers/awscall
	[ -x "$call" ] || fail "$call not built: run make tests"
}

teardown() {
	streams_stop
	awsrsp_stop
}

@test "kinesis via sigv4proxy (signatures checked): JSON calls with and without a session token" {
	kinesis_proxy_start
	run -0 --separate-stderr "$call" --endpoint-url "$KINESIS_ENDPOINT" kinesis \
	    CreateStream '{"StreamName":"s","ShardCount":1}'
	assert_equal "${stderr_lines[-1]}" "status=200 code=- retries=0"
	for _ in $(seq 50); do
		run -0 --separate-stderr "$call" --endpoint-url "$KINESIS_ENDPOINT" kinesis \
		    DescribeStreamSummary '{"StreamName":"s"}'
		[ "$(jq -r .StreamDescriptionSummary.StreamStatus <<<"$output")" = ACTIVE ] && break
		sleep 0.1
	done
	run -0 jq -r .StreamDescriptionSummary.StreamStatus <<<"$output"
	assert_output ACTIVE
	# The session key is valid only with its token: the token is sent and
	# signed.
	AWS_ACCESS_KEY_ID=$STREAMS_SESSION_KEY_ID AWS_SECRET_ACCESS_KEY=$STREAMS_SESSION_SECRET \
	    AWS_SESSION_TOKEN=$STREAMS_SESSION_TOKEN run -0 --separate-stderr "$call" \
	    --endpoint-url "$KINESIS_ENDPOINT" kinesis ListStreams
	run -0 jq -c .StreamNames <<<"$output"
	assert_output '["s"]'
	run -0 grep -c ' ok 200 ' "$KINESIS_PROXY_LOG"
	[ "$output" -ge 3 ]
}

@test "kinesis via sigv4proxy: a wrong secret stops the run (exit 5) with botocore's InvalidSignatureException" {
	kinesis_proxy_start
	AWS_SECRET_ACCESS_KEY=wrong run -5 --separate-stderr "$call" \
	    --endpoint-url "$KINESIS_ENDPOINT" kinesis ListStreams
	assert_equal "${stderr_lines[-1]}" "status=400 code=InvalidSignatureException retries=0"
	[[ ${stderr_lines[0]} == "awscall: ListStreams kinesis: InvalidSignatureException: "*"(HTTP 400)" ]]
}

@test "kinesis via sigv4proxy: throttling is retried (at least 1 s apart); ExpiredIterator and claimed codes come back at once" {
	kinesis_proxy_start
	kinesis_create s
	it=$(kinesis_iterator s shardId-000000000000 TRIM_HORIZON)
	printf '%s\n' 'GetRecords throttle 2' >"$KINESIS_PROXY_FAULTS"
	start=$(date +%s%3N)
	run -0 --separate-stderr "$call" --endpoint-url "$KINESIS_ENDPOINT" kinesis \
	    GetRecords "{\"ShardIterator\":\"$it\"}"
	[ $(($(date +%s%3N) - start)) -ge 2000 ]
	assert_equal "${stderr_lines[-1]}" "status=200 code=- retries=2"
	run -0 jq -c .Records <<<"$output"
	assert_output '[]'
	echo 'GetRecords expire 1' >"$KINESIS_PROXY_FAULTS"
	run -5 --separate-stderr "$call" --endpoint-url "$KINESIS_ENDPOINT" kinesis \
	    GetRecords "{\"ShardIterator\":\"$it\"}"
	assert_equal "${stderr_lines[-1]}" "status=400 code=ExpiredIteratorException retries=0"
	echo 'GetRecords throttle 1' >"$KINESIS_PROXY_FAULTS"
	run -5 --separate-stderr "$call" --endpoint-url "$KINESIS_ENDPOINT" \
	    --own ProvisionedThroughputExceededException kinesis \
	    GetRecords "{\"ShardIterator\":\"$it\"}"
	assert_equal "${stderr_lines[-1]}" "status=400 code=ProvisionedThroughputExceededException retries=0"
	# The proxy saw each try: two throttled, then the records; one expired;
	# one throttled and not retried.
	run -0 awk '$3 == "GetRecords" { print $4 }' "$KINESIS_PROXY_LOG"
	assert_output "$(printf '%s\n' fault-throttle fault-throttle ok fault-expire fault-throttle)"
}

@test "ddbstreams (minimal responder): DescribeTable and DescribeStream signed as dynamodb; a namespaced __type is cut to its code" {
	ddbstreams_start
	run -0 ddbstreams_ctl '{"op":"create","table":"orders","keys":{"pk":"S"},"view":"NEW_IMAGE","shards":1}'
	arn=$(jq -r .StreamArn <<<"$output")
	run -0 --separate-stderr "$call" --endpoint-url "$DDBSTREAMS_ENDPOINT" dynamodb \
	    DescribeTable '{"TableName":"orders"}'
	run -0 jq -r .Table.LatestStreamArn <<<"$output"
	assert_output "$arn"
	run -0 --separate-stderr "$call" --endpoint-url "$DDBSTREAMS_ENDPOINT" dynamodb_streams \
	    DescribeStream "{\"StreamArn\":\"$arn\"}"
	run -0 jq -r '.StreamDescription.Shards | length' <<<"$output"
	assert_output 1
	# The endpoint from AWS_ENDPOINT_URL_DYNAMODB_STREAMS, as the SDKs name it.
	AWS_ENDPOINT_URL_DYNAMODB_STREAMS=$DDBSTREAMS_ENDPOINT run -0 --separate-stderr \
	    "$call" dynamodb_streams ListStreams
	run -0 jq -r '.Streams[0].StreamArn' <<<"$output"
	assert_output "$arn"
	run -5 --separate-stderr "$call" --endpoint-url "$DDBSTREAMS_ENDPOINT" dynamodb_streams \
	    DescribeStream '{"StreamArn":"arn:aws:dynamodb:us-east-1:123456789012:table/no/stream/x"}'
	assert_equal "${stderr_lines[-1]}" "status=400 code=ResourceNotFoundException retries=0"
	# Every call passed the signature check (service dynamodb).
	run -0 awk '$3 !~ /^_control/ { print $3, $4, $5 }' "$DDBSTREAMS_LOG"
	assert_output "$(printf '%s\n' 'DescribeTable ok 200' 'DescribeStream ok 200' \
	    'ListStreams ok 200' 'DescribeStream error 400')"
}

@test "ddbstreams (minimal responder): LimitExceeded and 500 are retried; a caller may claim LimitExceeded" {
	ddbstreams_start
	run -0 ddbstreams_ctl '{"op":"create","table":"t","keys":{"pk":"S"},"shards":1}'
	ddbstreams_ctl '{"op":"fault","target":"ListStreams","error":"limit","count":1}' >/dev/null
	ddbstreams_ctl '{"op":"fault","target":"ListStreams","error":"500","count":1}' >/dev/null
	run -0 --separate-stderr "$call" --endpoint-url "$DDBSTREAMS_ENDPOINT" dynamodb_streams ListStreams
	assert_equal "${stderr_lines[-1]}" "status=200 code=- retries=2"
	ddbstreams_ctl '{"op":"fault","target":"ListStreams","error":"limit","count":1}' >/dev/null
	run -5 --separate-stderr "$call" --endpoint-url "$DDBSTREAMS_ENDPOINT" \
	    --own LimitExceededException dynamodb_streams ListStreams
	assert_equal "${stderr_lines[-1]}" "status=400 code=LimitExceededException retries=0"
}

@test "sts minimal responder: AssumeRoleWithWebIdentity goes unsigned through the query protocol; a bad token is InvalidIdentityToken (exit 5)" {
	awsrsp_start sts --token good-token
	role=arn:aws:iam::123456789012:role/lake
	run -0 --separate-stderr env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY "$call" \
	    --unsigned --endpoint-url "$AWSRSP_URL" sts AssumeRoleWithWebIdentity \
	    "RoleArn=$role&RoleSessionName=s1&WebIdentityToken=good-token"
	assert_output --regexp '<AccessKeyId>ASIATEST00000001</AccessKeyId>.*<SessionToken>token-1</SessionToken>'
	run -5 --separate-stderr env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY "$call" \
	    --unsigned --endpoint-url "$AWSRSP_URL" sts AssumeRoleWithWebIdentity \
	    "RoleArn=$role&RoleSessionName=s1&WebIdentityToken=a+b/c=d"
	assert_equal "${stderr_lines[-1]}" "status=400 code=InvalidIdentityToken retries=0"
	# AssumeRole is signed for sts in the client's region.
	AWS_ACCESS_KEY_ID=AKIDSTS AWS_SECRET_ACCESS_KEY=sts-secret run -0 --separate-stderr \
	    "$call" --region eu-west-1 --endpoint-url "$AWSRSP_URL" sts AssumeRole \
	    "RoleArn=$role&RoleSessionName=s2&DurationSeconds=900"
	run -0 cat "$AWSRSP_LOG"
	assert_output "$(printf '%s\n' \
	    "AssumeRoleWithWebIdentity role=$role session=s1 web_token=good-token auth=no signed=- session_token=no status=200" \
	    "AssumeRoleWithWebIdentity role=$role session=s1 web_token=a+b/c=d auth=no signed=- session_token=no status=400 code=InvalidIdentityToken" \
	    "AssumeRole role=$role session=s2 web_token=- auth=yes signed=eu-west-1/sts session_token=no status=200")"
}

@test "sso minimal responder: GetRoleCredentials is an unsigned GET with x-amz-sso_bearer_token; a bad token stops the run" {
	awsrsp_start sso --token sso-access-token --role lake --account 123456789012
	q='role_name=lake&account_id=123456789012'
	run -0 --separate-stderr env -u AWS_ACCESS_KEY_ID "$call" --unsigned --get \
	    --endpoint-url "$AWSRSP_URL" --header 'x-amz-sso_bearer_token: sso-access-token' \
	    sso /federation/credentials "$q"
	run -0 jq -r .roleCredentials.accessKeyId <<<"$output"
	assert_output ASIATEST00000001
	run -5 --separate-stderr "$call" --unsigned --get --endpoint-url "$AWSRSP_URL" \
	    --header 'x-amz-sso_bearer_token: wrong' sso /federation/credentials "$q"
	assert_equal "${stderr_lines[-1]}" "status=401 code=UnauthorizedException retries=0"
	[[ ${stderr_lines[0]} == "awscall: GET /federation/credentials: UnauthorizedException: Session token not found or invalid (HTTP 401)" ]]
	run -0 cat "$AWSRSP_LOG"
	assert_line --index 0 "GetRoleCredentials role=lake account=123456789012 bearer=sso-access-token status=200"
}
