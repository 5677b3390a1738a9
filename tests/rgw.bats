#!/usr/bin/env bats
# The local S3 server is strict: radosgw checks the signature, the payload
# hash and Content-MD5, so a test that passes against it means our requests
# are right, not that the server looked away. Requests here are signed by
# curl and botocore, independently of ddblake's own code.
# needs: rgw
bats_require_minimum_version 1.5.0

setup() {
	bats_load_library bats-support
	bats_load_library bats-assert
	load lib/s3
	s3_setup
	body=$BATS_TEST_TMPDIR/body
	printf 'hello radosgw\n' >"$BATS_TEST_TMPDIR/obj"
	sha=$(sha256sum "$BATS_TEST_TMPDIR/obj" | cut -d' ' -f1)
	md5=$(openssl dgst -md5 -binary "$BATS_TEST_TMPDIR/obj" | base64)
}

# put KEY SECRET [curl options...]: PUT obj as KEY; prints the HTTP status,
# the response body is in $body.
put() {
	local key=$1 secret=$2
	shift 2
	curl -s -o "$body" -w '%{http_code}' --max-time 30 \
	    --aws-sigv4 "aws:amz:us-east-1:s3" \
	    --user "$AWS_ACCESS_KEY_ID:$secret" \
	    -T "$BATS_TEST_TMPDIR/obj" "$@" \
	    "$DDBLAKE_S3_ENDPOINT/$S3_BUCKET/$key"
}

# botocore (awscli's library; awscli itself crashes on radosgw's empty error
# messages) with the given secret: prints the error code of a ListObjectsV2.
boto_list() {
	/usr/bin/python3 - "$1" <<'EOF'
import os, sys
import botocore.session
from botocore.exceptions import ClientError
s = botocore.session.get_session()
c = s.create_client("s3", endpoint_url=os.environ["DDBLAKE_S3_ENDPOINT"],
    region_name="us-east-1", aws_access_key_id=os.environ["AWS_ACCESS_KEY_ID"],
    aws_secret_access_key=sys.argv[1])
try:
    c.list_objects_v2(Bucket=os.environ["S3_BUCKET"])
    print("OK")
except ClientError as e:
    print(e.response["ResponseMetadata"]["HTTPStatusCode"], e.response["Error"]["Code"])
EOF
}

@test "a correctly signed PUT is stored and awscli reads back the same bytes" {
	run -0 put good.txt "$AWS_SECRET_ACCESS_KEY" \
	    -H "x-amz-content-sha256: $sha" -H "Content-MD5: $md5"
	assert_output 200
	s3_get "$S3_BUCKET" good.txt "$BATS_TEST_TMPDIR/back"
	cmp "$BATS_TEST_TMPDIR/obj" "$BATS_TEST_TMPDIR/back"
	run -0 s3_ls "$S3_BUCKET"
	assert_output good.txt
}

@test "a wrong secret gets 403 SignatureDoesNotMatch and stores nothing (curl)" {
	run -0 put bad.txt "${AWS_SECRET_ACCESS_KEY}x" -H "x-amz-content-sha256: $sha"
	assert_output 403
	run -0 cat "$body"
	assert_output --partial '<Code>SignatureDoesNotMatch</Code>'
	run -0 s3_count "$S3_BUCKET"
	assert_output 0
}

@test "a wrong secret gets 403 SignatureDoesNotMatch (botocore), the right one lists" {
	export S3_BUCKET
	run -0 boto_list "${AWS_SECRET_ACCESS_KEY}x"
	assert_output "403 SignatureDoesNotMatch"
	run -0 boto_list "$AWS_SECRET_ACCESS_KEY"
	assert_output OK
}

@test "awscli with a wrong secret fails and stores nothing" {
	run ! env AWS_SECRET_ACCESS_KEY=wrong-secret-key \
	    "$S3_AWS" --endpoint-url "$DDBLAKE_S3_ENDPOINT" s3 cp \
	    "$BATS_TEST_TMPDIR/obj" "s3://$S3_BUCKET/aws.txt"
	run -0 s3_count "$S3_BUCKET"
	assert_output 0
}

@test "an unknown access key gets 403 InvalidAccessKeyId" {
	AWS_ACCESS_KEY_ID=NOSUCHKEYNOSUCHKEY00 run -0 put k.txt \
	    "$AWS_SECRET_ACCESS_KEY" -H "x-amz-content-sha256: $sha"
	assert_output 403
	run -0 cat "$body"
	assert_output --partial '<Code>InvalidAccessKeyId</Code>'
}

@test "an unsigned PUT gets 403 AccessDenied" {
	run -0 curl -s -o "$body" -w '%{http_code}' -T "$BATS_TEST_TMPDIR/obj" \
	    "$DDBLAKE_S3_ENDPOINT/$S3_BUCKET/anon.txt"
	assert_output 403
	run -0 cat "$body"
	assert_output --partial '<Code>AccessDenied</Code>'
}

@test "a payload hash that does not match the body gets 400 XAmzContentSHA256Mismatch" {
	other=$(printf 'something else' | sha256sum | cut -d' ' -f1)
	run -0 put hash.txt "$AWS_SECRET_ACCESS_KEY" -H "x-amz-content-sha256: $other"
	assert_output 400
	run -0 cat "$body"
	assert_output --partial '<Code>XAmzContentSHA256Mismatch</Code>'
	run -0 s3_count "$S3_BUCKET"
	assert_output 0
}

@test "a wrong Content-MD5 gets 400 BadDigest and stores nothing" {
	wrong=$(printf 'something else' | openssl dgst -md5 -binary | base64)
	run -0 put md5.txt "$AWS_SECRET_ACCESS_KEY" \
	    -H "x-amz-content-sha256: $sha" -H "Content-MD5: $wrong"
	assert_output 400
	run -0 cat "$body"
	assert_output --partial '<Code>BadDigest</Code>'
	run -0 s3_count "$S3_BUCKET"
	assert_output 0
}

@test "s3_ls lists keys under a prefix, sorted, and s3_count counts them" {
	for k in 'p/b.txt' 'p/a b.txt' 'q/c.txt'; do
		s3_aws s3 cp --quiet "$BATS_TEST_TMPDIR/obj" "s3://$S3_BUCKET/$k"
	done
	run -0 s3_ls "$S3_BUCKET" p/
	assert_output "$(printf 'p/a b.txt\np/b.txt')"
	run -0 s3_count "$S3_BUCKET"
	assert_output 3
	run -0 s3_etag "$S3_BUCKET" q/c.txt
	assert_output "$(openssl dgst -md5 -r "$BATS_TEST_TMPDIR/obj" | cut -d' ' -f1)"
}
