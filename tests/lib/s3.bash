# s3.bash: bats helpers for tests that talk to S3 (radosgw, started once for
# the run by tests/run.sh for files with a "# needs: rgw" line).
#
#   setup() { s3_setup; ... }      skips without DDBLAKE_S3_ENDPOINT; makes
#                                  a fresh bucket, its name in $S3_BUCKET
#   s3_aws ARGS...                 the independent client (awscli) against
#                                  the endpoint
#   s3_get BUCKET KEY FILE         download one object into FILE
#   s3_ls BUCKET [PREFIX]          object keys, one per line, sorted
#   s3_count BUCKET [PREFIX]       number of objects
#   s3_etag BUCKET KEY             the object's ETag, without quotes
#   s3_rb BUCKET                   delete the bucket and everything in it
#
# The checks read objects back with awscli, a client independent of ours.
# Debian's /usr/bin/aws (2.9.19) is preferred: it predates the default
# CRC checksums that newer clients send. Otherwise the `aws` on PATH is used
# with checksums only when required, which S3-compatible stores accept.

s3_setup() {
	if [ -z "${DDBLAKE_S3_ENDPOINT:-}" ]; then
		skip "DDBLAKE_S3_ENDPOINT unset: run through tests/run.sh, which starts radosgw (scripts/rgw.sh)"
	fi
	if [ -x /usr/bin/aws ]; then
		S3_AWS=/usr/bin/aws
	elif command -v aws >/dev/null 2>&1; then
		S3_AWS=$(command -v aws)
		export AWS_REQUEST_CHECKSUM_CALCULATION=when_required
		export AWS_RESPONSE_CHECKSUM_VALIDATION=when_required
	else
		fail "awscli not found: run scripts/setup.sh"
	fi
	export AWS_EC2_METADATA_DISABLED=true AWS_PAGER=
	# Unique per test and per run, lower case, within S3's 3..63 characters.
	S3_BUCKET=ddb-$(date +%s)-$$-${BATS_TEST_NUMBER:-0}-$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')
	s3_aws s3api create-bucket --bucket "$S3_BUCKET" >/dev/null ||
		fail "cannot create bucket $S3_BUCKET at $DDBLAKE_S3_ENDPOINT"
}

s3_aws() {
	"$S3_AWS" --endpoint-url "$DDBLAKE_S3_ENDPOINT" --region "${AWS_REGION:-us-east-1}" "$@"
}

s3_get() {
	s3_aws s3api get-object --bucket "$1" --key "$2" "$3" >/dev/null
}

s3_ls() {
	local out
	if [ -n "${2:-}" ]; then
		out=$(s3_aws s3api list-objects-v2 --bucket "$1" --prefix "$2" \
		    --query 'Contents[].Key' --output json) || return
	else
		out=$(s3_aws s3api list-objects-v2 --bucket "$1" \
		    --query 'Contents[].Key' --output json) || return
	fi
	printf '%s\n' "$out" | jq -r '.[]?' | LC_ALL=C sort
}

s3_count() {
	local keys
	keys=$(s3_ls "$@") || return
	if [ -z "$keys" ]; then
		echo 0
	else
		printf '%s\n' "$keys" | wc -l | tr -d ' '
	fi
}

s3_etag() {
	s3_aws s3api head-object --bucket "$1" --key "$2" --query ETag \
	    --output text | tr -d '"'
}

s3_rb() {
	s3_aws s3 rb "s3://$1" --force >/dev/null
}
