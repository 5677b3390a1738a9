#!/usr/bin/env bats
# s3put against radosgw, which verifies SigV4, Content-MD5 and the payload
# SHA-256. Objects are read back with awscli, a client independent of ours.
# needs: rgw
bats_require_minimum_version 1.5.0
bats_load_library bats-support
bats_load_library bats-assert
load lib/s3

setup() {
	PATH="$DDBLAKE_BIN:$PATH"
	cd "$BATS_TEST_TMPDIR"
}

# Upload with the test endpoint (path-style: radosgw has no wildcard DNS).
put() {
	s3put --endpoint-url "$DDBLAKE_S3_ENDPOINT" --path-style "$@"
}

md5() { md5sum "$1" | cut -d' ' -f1; }

# bats-assert 2.1 has no assert_stderr: check `run --separate-stderr`'s
# $stderr directly, printing it when the check fails.
stderr_has() {
	[[ $stderr == *"$1"* ]] || { printf 'stderr lacks: %s\n--\n%s\n' "$1" "$stderr"; return 1; }
}
stderr_lacks() {
	[[ $stderr != *"$1"* ]] || { printf 'stderr has: %s\n--\n%s\n' "$1" "$stderr"; return 1; }
}

@test "s3put: a file goes up by PutObject; the line names the object and its MD5 ETag" {
	s3_setup
	mkdir -p out/table=orders
	f=out/table=orders/ddb-2024-06-25-20-38-10-250-6f1c0b8e-2f1d-4c55-9d2e-0a4c1f7b9e21.json
	printf '{"id":1}\n{"id":2}\n' >"$f"
	run -0 --separate-stderr put "s3://$S3_BUCKET/lake" "$f"
	key=lake/table=orders/2024/06/25/20/${f##*/}
	assert_output "s3://$S3_BUCKET/$key $(md5 "$f")"
	s3_get "$S3_BUCKET" "$key" got
	cmp got "$f"
	[ -e "$f" ]	# kept without --remove
}

@test "s3put: an empty file is an empty object" {
	s3_setup
	: >empty.json
	run -0 --separate-stderr put --key '{name}' "s3://$S3_BUCKET" empty.json
	assert_output "s3://$S3_BUCKET/empty.json d41d8cd98f00b204e9800998ecf8427e"
	s3_get "$S3_BUCKET" empty.json got
	[ ! -s got ]
}

@test "s3put: 20 MiB goes up in 3 multipart parts; bytes and the -3 ETag agree" {
	s3_setup
	head -c $((20 << 20)) /dev/urandom >big.bin
	run -0 --separate-stderr put --multipart-threshold 8M --part-size 8M \
	    --key '{name}' "s3://$S3_BUCKET/" big.bin
	assert_output --regexp "^s3://$S3_BUCKET/big.bin [0-9a-f]{32}-3\$"
	etag=${output##* }
	[ "$(s3_etag "$S3_BUCKET" big.bin)" = "$etag" ]
	s3_get "$S3_BUCKET" big.bin got
	cmp got big.bin
	run -0 s3_aws s3api list-multipart-uploads --bucket "$S3_BUCKET" \
	    --query 'Uploads[].Key' --output text
	assert_output "None"
}

@test "s3put: awkward keys (space + = % ~ UTF-8) are encoded and signed right" {
	s3_setup
	mkdir d
	for n in 'a b.json' 'p+q.json' 'k=v.json' '100%.json' 'til~de.json' \
	    'café-ü.json'; do
		printf '%s\n' "$n" >"d/$n"
	done
	run -0 --separate-stderr put --key 'k/{name}' "s3://$S3_BUCKET" d/*
	[ "${#lines[@]}" -eq 6 ]
	run -0 s3_ls "$S3_BUCKET"
	assert_output "$(printf 'k/%s\n' '100%.json' 'a b.json' 'café-ü.json' \
	    'k=v.json' 'p+q.json' 'til~de.json' | LC_ALL=C sort)"
	for n in 'a b.json' '100%.json' 'café-ü.json' 'p+q.json'; do
		s3_get "$S3_BUCKET" "k/$n" got
		cmp got "d/$n"
	done
}

@test "s3put: a session token is sent and signed (radosgw accepts the request)" {
	s3_setup
	echo data >f.json
	AWS_SESSION_TOKEN=FQoGZXIvYXdzEXAMPLETOKEN run -0 --separate-stderr \
	    put --key '{name}' "s3://$S3_BUCKET" f.json
	assert_output --partial "s3://$S3_BUCKET/f.json "
	AWS_SESSION_TOKEN=FQoGZXIvYXdzEXAMPLETOKEN run -0 --separate-stderr \
	    put --dry-run --key '{name}' "s3://$S3_BUCKET" f.json
	assert_output --partial ";x-amz-security-token"
	refute_output --partial "FQoGZXIvYXdzEXAMPLETOKEN"
}

@test "s3put: a wrong secret is refused: exit 5, SignatureDoesNotMatch and a hint, file kept" {
	s3_setup
	echo data >f.json
	AWS_SECRET_ACCESS_KEY=not-the-secret run -5 --separate-stderr \
	    put "s3://$S3_BUCKET" f.json
	assert_output ""
	stderr_has "SignatureDoesNotMatch"
	stderr_has "hint: check AWS_SECRET_ACCESS_KEY"
	stderr_has "f.json: not uploaded, left in place"
	stderr_lacks "not-the-secret"
	[ -e f.json ]
	[ "$(s3_count "$S3_BUCKET")" -eq 0 ]
}

@test "s3put: a wrong Content-MD5 is refused with BadDigest (exit 5), nothing stored" {
	s3_setup
	echo data >f.json
	DDBLAKE_TEST_CORRUPT=md5 run -5 --separate-stderr \
	    put --remove "s3://$S3_BUCKET" f.json
	stderr_has "PutObject s3://$S3_BUCKET/"
	stderr_has "BadDigest"
	[ -e f.json ]
	[ "$(s3_count "$S3_BUCKET")" -eq 0 ]
}

@test "s3put: a wrong payload hash is refused with XAmzContentSHA256Mismatch (exit 5)" {
	s3_setup
	echo data >f.json
	DDBLAKE_TEST_CORRUPT=sha256 run -5 --separate-stderr \
	    put "s3://$S3_BUCKET" f.json
	stderr_has "XAmzContentSHA256Mismatch"
	[ "$(s3_count "$S3_BUCKET")" -eq 0 ]
}

@test "s3put: a refused part aborts the multipart upload: no orphaned parts" {
	s3_setup
	head -c $((12 << 20)) /dev/urandom >big.bin
	DDBLAKE_TEST_CORRUPT=md5 run -5 --separate-stderr \
	    put --multipart-threshold 5M --part-size 5M "s3://$S3_BUCKET" big.bin
	stderr_has "UploadPart"
	stderr_has "BadDigest"
	run -0 s3_aws s3api list-multipart-uploads --bucket "$S3_BUCKET" \
	    --query 'Uploads[].Key' --output text
	assert_output "None"
	[ "$(s3_count "$S3_BUCKET")" -eq 0 ]
}

@test "s3put: --remove deletes only what S3 confirmed" {
	s3_setup
	echo one >a.json
	echo two >b.json
	run -1 --separate-stderr put --remove --key '{name}' \
	    "s3://$S3_BUCKET" a.json missing.json b.json
	stderr_has "missing.json: No such file or directory"
	# One test per line: in bats, a failing '[ ]' before '&&' fails
	# nothing.
	[ ! -e a.json ]
	[ ! -e b.json ]
	s3_get "$S3_BUCKET" a.json got
	[ "$(cat got)" = one ]
	[ "$(s3_count "$S3_BUCKET")" -eq 2 ]
}

@test "s3put: paths from stdin are uploaded as they arrive (streaming)" {
	s3_setup
	echo one >a.json
	echo two >b.json
	mkfifo in
	put --key '{name}' "s3://$S3_BUCKET" <in >out 2>err &
	pid=$!
	exec 7>in
	echo a.json >&7
	# The first line must appear while stdin is still open.
	for _ in $(seq 300); do
		grep -q "/a.json " out && break
		sleep 0.1
	done
	run -0 grep -c "/a.json " out
	kill -0 "$pid"		# still running, waiting for more paths
	echo b.json >&7
	exec 7>&-
	wait "$pid"
	[ "$(wc -l <out)" -eq 2 ]
	[ "$(s3_count "$S3_BUCKET")" -eq 2 ]
}

@test "s3put: --json prints bucket, key, etag, size and file per object" {
	s3_setup
	printf 'hello\n' >h.json
	run -0 --separate-stderr put --json --key '{name}' "s3://$S3_BUCKET" h.json
	run -0 jq -c . <<<"$output"
	assert_output "{\"bucket\":\"$S3_BUCKET\",\"key\":\"h.json\",\"etag\":\"$(md5 h.json)\",\"size\":6,\"file\":\"h.json\"}"
}

@test "s3put: a rerun over the same files writes the same keys (no duplicates)" {
	s3_setup
	mkdir -p o/dt=2024-06-25
	for i in 1 2 3; do
		echo "$i" >"o/dt=2024-06-25/ddb-2024-06-25-0$i-00-00-000-u$i.json"
	done
	run -0 put "s3://$S3_BUCKET/p" o/dt=2024-06-25/*
	first=$(s3_ls "$S3_BUCKET")
	run -0 put "s3://$S3_BUCKET/p" o/dt=2024-06-25/*
	run -0 s3_ls "$S3_BUCKET"
	assert_output "$first"
	[ "${#lines[@]}" -eq 3 ]
	assert_line "p/dt=2024-06-25/2024/06/25/01/ddb-2024-06-25-01-00-00-000-u1.json"
}

@test "s3put: '-' uploads stdin's bytes as one object named by --key" {
	s3_setup
	head -c 100000 /dev/urandom >blob
	run -0 --separate-stderr put --key 'in/%Y/blob.bin' "s3://$S3_BUCKET" - <blob
	key=in/$(date -u +%Y)/blob.bin
	assert_output "s3://$S3_BUCKET/$key $(md5 blob)"
	s3_get "$S3_BUCKET" "$key" got
	cmp got blob
}

@test "s3put: .json.gz gets application/gzip and no Content-Encoding; metadata and ACL are sent" {
	s3_setup
	echo '{}' | gzip >b.json.gz
	run -0 put --key '{name}' --metadata source=ddb --metadata run=7 \
	    --acl bucket-owner-full-control --storage-class STANDARD \
	    "s3://$S3_BUCKET" b.json.gz
	run -0 s3_aws s3api head-object --bucket "$S3_BUCKET" --key b.json.gz \
	    --output json
	run -0 jq -c '[.ContentType, .ContentEncoding, .Metadata.source, .Metadata.run]' <<<"$output"
	assert_output '["application/gzip",null,"ddb","7"]'
}

@test "s3put: --dry-run shows where and the signing input, never the secret or a signature" {
	s3_setup
	echo data >f.json
	run -0 --separate-stderr put --dry-run --key '{name}' "s3://$S3_BUCKET" f.json
	assert_line "f.json -> s3://$S3_BUCKET/f.json (5 bytes, application/x-ndjson)"
	assert_output --partial "canonical request:"
	assert_output --partial "x-amz-content-sha256:$(sha256sum f.json | cut -d' ' -f1)"
	assert_output --partial "string to sign:"
	assert_output --partial "AWS4-HMAC-SHA256"
	refute_output --partial "$AWS_SECRET_ACCESS_KEY"
	refute_output --partial "Signature="
	refute_output --partial "Authorization"
	[ "$(s3_count "$S3_BUCKET")" -eq 0 ]
}

@test "s3put: a missing bucket fails at once with exit 5, NoSuchBucket and a hint" {
	s3_setup
	echo data >f.json
	run -5 --separate-stderr put "s3://no-such-$S3_BUCKET" f.json
	stderr_has "NoSuchBucket"
	stderr_has "hint: check the bucket name"
}

@test "s3put: stdout on a full disk is exit 4 and --remove keeps the file" {
	s3_setup
	echo data >f.json
	run -4 --separate-stderr bash -c 's3put --endpoint-url "$1" --path-style --remove "s3://$2" f.json >/dev/full' _ "$DDBLAKE_S3_ENDPOINT" "$S3_BUCKET"
	stderr_has "f.json: kept: its result line could not be written"
	stderr_has "s3put: write error: stdout: No space left on device"
	[ -e f.json ]
}

@test "s3put: an unreachable endpoint is a temporary error (exit 6) after the retries" {
	echo data >f.json
	run -6 --separate-stderr env AWS_ACCESS_KEY_ID=AK AWS_SECRET_ACCESS_KEY=SK \
	    s3put --endpoint-url http://127.0.0.1:9 --max-attempts 2 s3://b f.json
	stderr_has "gave up after 2 attempts"
	stderr_has "f.json: not uploaded, left in place"
	[ -e f.json ]
}

@test "s3put: addressing: virtual-hosted on AWS names, path-style when asked or for addresses" {
	echo data >f.json
	export AWS_ACCESS_KEY_ID=AKIDEXAMPLE AWS_SECRET_ACCESS_KEY=notshown
	unset AWS_ENDPOINT_URL AWS_ENDPOINT_URL_S3
	run -0 --separate-stderr s3put -n --region eu-west-1 --key '{name}' \
	    s3://my-lake/p f.json
	assert_line "PUT https://my-lake.s3.eu-west-1.amazonaws.com/p/f.json"
	assert_line "    /p/f.json"
	assert_line "    host:my-lake.s3.eu-west-1.amazonaws.com"
	assert_line "    $(date -u +%Y%m%d)/eu-west-1/s3/aws4_request"
	run -0 s3put -n --path-style --region eu-west-1 --key '{name}' s3://my-lake/p f.json
	assert_line "PUT https://s3.eu-west-1.amazonaws.com/my-lake/p/f.json"
	# A dotted bucket stays path-style (TLS wildcards do not cover dots).
	run -0 s3put -n --region eu-west-1 --key '{name}' s3://my.lake/p f.json
	assert_line "PUT https://s3.eu-west-1.amazonaws.com/my.lake/p/f.json"
	run -0 env AWS_ENDPOINT_URL=http://127.0.0.1:9 AWS_ENDPOINT_URL_S3=http://127.0.0.2:9 \
	    s3put -n --key '{name}' s3://my-lake/p f.json
	assert_line "PUT http://127.0.0.2:9/my-lake/p/f.json"
	run -0 env AWS_ENDPOINT_URL=http://127.0.0.1:9 \
	    s3put -n --endpoint-url http://localhost:9 --key '{name}' s3://my-lake/p f.json
	assert_line "PUT http://localhost:9/my-lake/p/f.json"
	refute_output --partial notshown
}

@test "s3put: usage and configuration errors exit 2 before anything is sent" {
	run -2 --separate-stderr s3put
	stderr_has "usage: s3put"
	run -2 --separate-stderr s3put bucket/prefix f
	stderr_has "is not s3://BUCKET"
	run -2 --separate-stderr s3put s3://b -
	stderr_has "'-' needs --key"
	run -2 --separate-stderr s3put --part-size 1M s3://b f
	stderr_has "--part-size"
	run -2 --separate-stderr s3put --sse foo s3://b f
	stderr_has "--sse: 'foo' is not AES256 or aws:kms"
	run -2 --separate-stderr s3put --sse-kms-key-id k s3://b f
	stderr_has "--sse-kms-key-id needs --sse aws:kms"
	run -2 --separate-stderr s3put --key '{nope}' s3://b f
	stderr_has "unknown field {nope}"
	run -2 --separate-stderr env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY \
	    AWS_SHARED_CREDENTIALS_FILE=/nonexistent AWS_CONFIG_FILE=/nonexistent \
	    AWS_EC2_METADATA_DISABLED=true s3put s3://b f
	stderr_has "credentials"
	run -0 s3put --help
	assert_output --partial "usage: s3put"
}

@test "s3put: a region that is not region-shaped is refused from every source (exit 2), before anything is sent" {
	echo data >f.json
	export AWS_ACCESS_KEY_ID=AKIDEXAMPLE AWS_SECRET_ACCESS_KEY=notshown AWS_EC2_METADATA_DISABLED=true
	unset AWS_REGION AWS_DEFAULT_REGION AWS_ENDPOINT_URL AWS_ENDPOINT_URL_S3 AWS_PROFILE
	printf '[profile bad]\nregion = evil.example#\n' >config
	export AWS_CONFIG_FILE=$PWD/config AWS_SHARED_CREDENTIALS_FILE=$PWD/none
	why="is not a region name (lower-case letters and digits in words joined by '-', as in eu-west-1)"
	run -2 --separate-stderr s3put --max-attempts 1 --region 'evil.example#' s3://b f.json
	assert_equal "$stderr" "s3put: --region: 'evil.example#' $why"
	run -2 --separate-stderr env AWS_REGION='evil.example#' s3put --max-attempts 1 s3://b f.json
	assert_equal "$stderr" "s3put: AWS_REGION: 'evil.example#' $why"
	run -2 --separate-stderr env AWS_DEFAULT_REGION='x/y' s3put --max-attempts 1 s3://b f.json
	assert_equal "$stderr" "s3put: AWS_DEFAULT_REGION: 'x/y' $why"
	run -2 --separate-stderr env AWS_PROFILE=bad s3put --max-attempts 1 s3://b f.json
	assert_equal "$stderr" "s3put: the region of profile bad: 'evil.example#' $why"
	# A dry run shows no URL built from it either.
	run -2 --separate-stderr s3put -n --region 'evil.example#' s3://b f.json
	assert_output ""
	[ -e f.json ]
	run -0 s3put -n --region us-gov-west-1 --key '{name}' s3://my-lake f.json
	assert_line "PUT https://my-lake.s3.us-gov-west-1.amazonaws.com/f.json"
}

@test "s3put: the most --metadata (32) with --sse aws:kms, its key id, --acl, --storage-class and --content-encoding: PUT and multipart, every key read back" {
	s3_setup
	echo data >small.json
	head -c $((6 << 20)) /dev/urandom >big.bin
	meta=()
	for i in $(seq -w 1 31); do meta+=(--metadata "Key$i=value $i"); done
	meta+=(--metadata "empty=")
	run -0 --separate-stderr put --key '{name}' "${meta[@]}" \
	    --sse aws:kms --sse-kms-key-id ddblake-test-key \
	    --acl bucket-owner-full-control --storage-class STANDARD \
	    --content-encoding ddb-test --multipart-threshold 5M --part-size 5M \
	    "s3://$S3_BUCKET" small.json big.bin
	[ "${#lines[@]}" -eq 2 ]
	want=$(for i in $(seq -w 1 31); do printf '{"key%s":"value %s"}\n' "$i" "$i"; done |
	    jq -cs 'add + {"empty": ""}')
	for k in small.json big.bin; do
		run -0 s3_aws s3api head-object --bucket "$S3_BUCKET" --key "$k" --output json
		run -0 jq -c --argjson want "$want" \
		    '[.Metadata == $want, (.Metadata | length), .ServerSideEncryption, .SSEKMSKeyId, .ContentEncoding]' <<<"$output"
		assert_output '[true,32,"aws:kms","ddblake-test-key","ddb-test"]'
		s3_get "$S3_BUCKET" "$k" got
		cmp got "$k"
	done
}
