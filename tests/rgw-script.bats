#!/usr/bin/env bats
# scripts/rgw.sh itself: a second throw-away cluster beside the suite's,
# on its own ports and folder; stop kills exactly what start started.
# The TLS, virtual-host and STS tests use the suite's own radosgw (tests/run.sh
# starts it with rgw.sh and exports `rgw.sh env`), which proves later tests
# can count on them. Their requests are made by curl and botocore.
# needs: rgw
bats_require_minimum_version 1.5.0

setup() {
	bats_load_library bats-support
	bats_load_library bats-assert
	rgw=$BATS_TEST_DIRNAME/../scripts/rgw.sh
	command -v radosgw >/dev/null || skip "radosgw not installed: run scripts/setup.sh"
	export RGW_DIR=$BATS_TEST_TMPDIR/rgw
	# A base port whose block of 50 (S3, mon, OSD messengers) is free,
	# below the kernel's ephemeral range (32768 up), where an outgoing
	# connection of another process may hold a port that ss -l shows not.
	local p
	for p in $(seq $((21000 + RANDOM % 200 * 50)) 50 32700); do
		if ! ss -Hltn | awk '{ sub(/.*:/, "", $4); print $4 }' |
		    awk -v lo="$p" '$1 >= lo && $1 < lo + 50 { bad = 1 } END { exit !bad }'; then
			export RGW_PORT=$p
			break
		fi
	done
	[ -n "${RGW_PORT:-}" ] || skip "no free block of 50 ports"
}

teardown() {
	"$rgw" stop 2>/dev/null || true
}

@test "rgw.sh start serves signed S3 on 127.0.0.1 only; stop kills exactly its daemons and removes the folder" {
	run "$rgw" start
	assert_success
	assert_output --regexp "radosgw ready on http://127.0.0.1:$RGW_PORT in [0-9]+ ms"
	run -0 "$rgw" status
	assert_output --partial "running: http://127.0.0.1:$RGW_PORT"
	pids=$(cat "$RGW_DIR"/run/*.pid)
	[ "$(echo "$pids" | wc -w)" -eq 3 ]
	# Every socket of these daemons listens on loopback only.
	for p in $pids; do
		run -0 bash -c "ss -Hltnp | grep 'pid=$p,' | awk '{print \$4}'"
		assert_output --regexp '127\.0\.0\.1:'
		refute_output --regexp '(^|[^0-9])(0\.0\.0\.0|\*|\[::\]):'
	done
	eval "$("$rgw" env)"
	run -0 curl -s -o /dev/null -w '%{http_code}' --aws-sigv4 aws:amz:us-east-1:s3 \
	    --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
	    -H 'x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' \
	    "$DDBLAKE_S3_ENDPOINT/"
	assert_output 200
	run -0 "$rgw" stop
	for p in $pids; do
		run -0 bash -c "[ ! -e /proc/$p ] || grep -q '^State:.*Z' /proc/$p/status"
	done
	[ ! -e "$RGW_DIR" ]
	run -1 "$rgw" status
	assert_output --partial "not running"
	run -0 "$rgw" stop
}

@test "rgw.sh stop-gateway and start-gateway restart only radosgw; objects survive" {
	run "$rgw" start
	assert_success
	eval "$("$rgw" env)"
	osd=$(cat "$RGW_DIR/run/osd.0.pid")
	gw=$(cat "$RGW_DIR/run/radosgw.pid")
	# A signed request without a body.
	sig() {
		curl -s -o "$BATS_TEST_TMPDIR/body" -w '%{http_code}' --max-time 5 \
		    --aws-sigv4 aws:amz:us-east-1:s3 \
		    --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
		    -H "x-amz-content-sha256: $(printf '' | sha256sum | cut -d' ' -f1)" \
		    "$@"
	}
	run -0 sig -X PUT "$DDBLAKE_S3_ENDPOINT/keep-me"
	assert_output 200
	printf 'survives' >"$BATS_TEST_TMPDIR/obj"
	run -0 curl -s -o /dev/null -w '%{http_code}' --aws-sigv4 aws:amz:us-east-1:s3 \
	    --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
	    -H "x-amz-content-sha256: $(sha256sum <"$BATS_TEST_TMPDIR/obj" | cut -d' ' -f1)" \
	    -T "$BATS_TEST_TMPDIR/obj" "$DDBLAKE_S3_ENDPOINT/keep-me/o"
	assert_output 200
	run -0 "$rgw" stop-gateway
	run -7 curl -s -o /dev/null --max-time 5 "$DDBLAKE_S3_ENDPOINT/"
	run -1 "$rgw" status
	run -0 "$rgw" start-gateway
	[ "$(cat "$RGW_DIR/run/radosgw.pid")" != "$gw" ]
	[ "$(cat "$RGW_DIR/run/osd.0.pid")" = "$osd" ]
	run -0 sig "$DDBLAKE_S3_ENDPOINT/keep-me/o"
	assert_output 200
	run -0 cat "$BATS_TEST_TMPDIR/body"
	assert_output survives
}

@test "rgw.sh env prints the exports S3 clients need" {
	run -0 "$rgw" env
	assert_line "export DDBLAKE_S3_ENDPOINT=http://127.0.0.1:$RGW_PORT"
	assert_line "export AWS_REGION=us-east-1"
	assert_line "export AWS_EC2_METADATA_DISABLED=true"
	assert_line --regexp '^export AWS_ACCESS_KEY_ID=[A-Z0-9]{20}$'
	assert_line --regexp '^export AWS_SECRET_ACCESS_KEY=.{40}$'
	assert_line "export RGW_TLS_ENDPOINT=https://127.0.0.1:$((RGW_PORT + 2))"
	assert_line "export RGW_CA='$RGW_DIR/tls/ca.pem'"
	assert_line "export RGW_VHOST_ENDPOINT=http://s3.localhost:$RGW_PORT"
	assert_line "export RGW_VHOST_TLS_ENDPOINT=https://s3.localhost:$((RGW_PORT + 2))"
	assert_line "export RGW_STS_ENDPOINT=http://127.0.0.1:$RGW_PORT"
	assert_line --regexp '^export RGW_LIMITED_ACCESS_KEY=[A-Z0-9]{20}$'
	assert_line --regexp '^export RGW_LIMITED_SECRET_KEY=.{40}$'
	assert_line "export RGW_ROLE_ARN=arn:aws:iam:::role/lakewriter"
	assert_line "export RGW_DENIED_ROLE_ARN=arn:aws:iam:::role/nobody"
}

@test "rgw.sh start refuses a busy port with a clear message and leaves nothing behind" {
	python3 -c 'import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen()
open(sys.argv[2], "w").close(); time.sleep(30)' "$RGW_PORT" "$BATS_TEST_TMPDIR/ready" 3>&- &
	holder=$!
	for _ in $(seq 100); do [ -e "$BATS_TEST_TMPDIR/ready" ] && break; sleep 0.05; done
	run -1 "$rgw" start
	kill "$holder"
	assert_output "rgw.sh: port $RGW_PORT on 127.0.0.1 is in use (set RGW_PORT)"
	[ ! -e "$RGW_DIR" ]
}

@test "rgw.sh stop will not remove a folder it did not make" {
	mkdir -p "$RGW_DIR"
	echo precious >"$RGW_DIR/file"
	run -1 "$rgw" stop
	assert_output "rgw.sh: $RGW_DIR: not an rgw.sh folder, not touching it"
	[ -f "$RGW_DIR/file" ]
	rm -rf "$RGW_DIR"
}

@test "rgw.sh rejects a bad RGW_PORT and an unknown command" {
	RGW_PORT=abc run -1 "$rgw" env
	assert_output "rgw.sh: RGW_PORT must be a number: abc"
	run -2 "$rgw" restart
	assert_output "usage: scripts/rgw.sh start|stop|status|env|stop-gateway|start-gateway"
}

# --- TLS, virtual-hosted style and STS on the suite's radosgw ---

# shared_rgw: skip unless run.sh's radosgw is there; a fresh bucket of the
# test user in $S3_BUCKET (made by curl: awscli takes a second a call), an
# object to send in $obj (SHA-256 $obj_sha).
shared_rgw() {
	[ -n "${RGW_TLS_ENDPOINT:-}" ] ||
		skip "RGW_TLS_ENDPOINT unset: run through tests/run.sh, which starts radosgw (scripts/rgw.sh)"
	obj=$BATS_TEST_TMPDIR/obj
	body=$BATS_TEST_TMPDIR/body
	printf 'hello %s\n' "$BATS_TEST_NAME" >"$obj"
	obj_sha=$(sha256sum <"$obj" | cut -d' ' -f1)
	empty_sha=$(printf '' | sha256sum | cut -d' ' -f1)
	port=${DDBLAKE_S3_ENDPOINT##*:}
	tls_port=${RGW_TLS_ENDPOINT##*:}
	tester=$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY
	limited=$RGW_LIMITED_ACCESS_KEY:$RGW_LIMITED_SECRET_KEY
	S3_BUCKET=rgw-$(date +%s)-$$-$BATS_TEST_NUMBER-$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')
	export S3_BUCKET
	[ "$(s3req "$tester" -X PUT -H "x-amz-content-sha256: $empty_sha" \
	    "$DDBLAKE_S3_ENDPOINT/$S3_BUCKET")" = 200 ] ||
		fail "cannot create bucket $S3_BUCKET at $DDBLAKE_S3_ENDPOINT"
}

# tester_get KEY: the test user reads KEY of $S3_BUCKET; prints the HTTP
# status, the object is in $body.
tester_get() {
	s3req "$tester" -H "x-amz-content-sha256: $empty_sha" "$DDBLAKE_S3_ENDPOINT/$S3_BUCKET/$1"
}

# s3req KEY:SECRET CURL-ARGS... URL: an S3 request signed by curl; prints
# the HTTP status, the response body is in $body.
s3req() {
	local user=$1
	shift
	curl -s -o "$body" -w '%{http_code}' --max-time 10 \
	    --aws-sigv4 aws:amz:us-east-1:s3 --user "$user" "$@"
}

# assume_role KEY:SECRET ROLE-ARN: STS AssumeRole as radosgw takes it: POST /
# at the S3 endpoint, a form body, SigV4 for service sts. Prints the HTTP
# status, the XML answer is in $body.
# shellcheck disable=SC2153 # RGW_STS_ENDPOINT comes from rgw.sh env
assume_role() {
	curl -s -o "$body" -w '%{http_code}' --max-time 10 \
	    --aws-sigv4 aws:amz:us-east-1:sts --user "$1" \
	    -H 'Content-Type: application/x-www-form-urlencoded; charset=utf-8' \
	    --data-urlencode Action=AssumeRole --data-urlencode Version=2011-06-15 \
	    --data-urlencode "RoleArn=$2" --data-urlencode RoleSessionName=bats \
	    "$RGW_STS_ENDPOINT/"
}

# xml_get TAG: the text of the first <TAG> in $body.
xml_get() {
	sed -n "s:.*<$1>\([^<]*\)</$1>.*:\1:p" "$body" | head -n 1
}

@test "rgw.sh TLS: signed S3 over https verifies with RGW_CA (curl, botocore with AWS_CA_BUNDLE); without the CA it is refused" {
	shared_rgw
	run -0 s3req "$tester" -H "x-amz-content-sha256: $empty_sha" \
	    --cacert "$RGW_CA" "$RGW_TLS_ENDPOINT/"
	assert_output 200
	run -0 cat "$body"
	assert_output --partial "<Name>$S3_BUCKET</Name>"
	# curl 60: the peer certificate cannot be authenticated.
	run -60 curl -s -o /dev/null --max-time 10 "$RGW_TLS_ENDPOINT/"
	tls_list() {
		/usr/bin/python3 - <<-'PY'
		import os, botocore.config, botocore.session, botocore.exceptions
		c = botocore.session.get_session().create_client("s3",
		    endpoint_url=os.environ["RGW_TLS_ENDPOINT"], region_name="us-east-1",
		    config=botocore.config.Config(retries={"total_max_attempts": 1}))
		try:
		    names = [b["Name"] for b in c.list_buckets()["Buckets"]]
		    print("listed", os.environ["S3_BUCKET"] in names)
		except botocore.exceptions.SSLError:
		    print("SSLError")
		PY
	}
	AWS_CA_BUNDLE=$RGW_CA run -0 tls_list
	assert_output "listed True"
	run -0 env -u AWS_CA_BUNDLE bash -c "$(declare -f tls_list); tls_list"
	assert_output SSLError
}

@test "rgw.sh virtual-hosted style: curl PUT and GET at BUCKET.s3.localhost over http and https; path style still works" {
	shared_rgw
	vhost=$S3_BUCKET.s3.localhost
	run -0 s3req "$tester" --resolve "$vhost:$port:127.0.0.1" \
	    -H "x-amz-content-sha256: $obj_sha" -T "$obj" "http://$vhost:$port/v.txt"
	assert_output 200
	# GET / on the bucket's host lists that bucket, not the user's buckets.
	run -0 s3req "$tester" --resolve "$vhost:$port:127.0.0.1" \
	    -H "x-amz-content-sha256: $empty_sha" "http://$vhost:$port/"
	assert_output 200
	run -0 cat "$body"
	assert_output --regexp "<ListBucketResult[^>]*><Name>$S3_BUCKET</Name>.*<Key>v.txt</Key>"
	# The certificate covers *.s3.localhost.
	run -0 s3req "$tester" --resolve "$vhost:$tls_port:127.0.0.1" --cacert "$RGW_CA" \
	    -H "x-amz-content-sha256: $empty_sha" "https://$vhost:$tls_port/v.txt"
	assert_output 200
	cmp "$obj" "$body"
	for url in "$DDBLAKE_S3_ENDPOINT" "$RGW_VHOST_ENDPOINT"; do
		run -0 s3req "$tester" --resolve "s3.localhost:$port:127.0.0.1" \
		    -H "x-amz-content-sha256: $empty_sha" "$url/$S3_BUCKET/v.txt"
		assert_output 200
		cmp "$obj" "$body"
	done
}

@test "rgw.sh virtual-hosted style: botocore with addressing_style virtual at RGW_VHOST_ENDPOINT and RGW_VHOST_TLS_ENDPOINT" {
	shared_rgw
	run -0 /usr/bin/python3 - <<-'PY'
	import os, socket, boto3
	from botocore.config import Config
	# glibc here does not resolve *.localhost (curl does, by itself).
	gai = socket.getaddrinfo
	socket.getaddrinfo = lambda host, *a, **k: gai(
	    "127.0.0.1" if host.endswith(".localhost") else host, *a, **k)
	b = os.environ["S3_BUCKET"]
	urls = []
	for ep in os.environ["RGW_VHOST_ENDPOINT"], os.environ["RGW_VHOST_TLS_ENDPOINT"]:
	    c = boto3.client("s3", endpoint_url=ep, region_name="us-east-1",
	        verify=os.environ["RGW_CA"], config=Config(s3={"addressing_style": "virtual"}))
	    c.meta.events.register("before-send", lambda request, **kw: urls.append(request.url))
	    c.put_object(Bucket=b, Key="boto.txt", Body=ep.encode())
	    print(c.get_object(Bucket=b, Key="boto.txt")["Body"].read().decode())
	for u in urls:
	    print(u.replace(b, "BUCKET"))
	PY
	assert_output "$(printf '%s\n' "$RGW_VHOST_ENDPOINT" "$RGW_VHOST_TLS_ENDPOINT" \
	    "http://BUCKET.s3.localhost:$port/boto.txt" "http://BUCKET.s3.localhost:$port/boto.txt" \
	    "https://BUCKET.s3.localhost:$tls_port/boto.txt" "https://BUCKET.s3.localhost:$tls_port/boto.txt")"
	run -0 tester_get boto.txt
	assert_output 200
	run -0 cat "$body"
	assert_output "$RGW_VHOST_TLS_ENDPOINT"
}

@test "rgw.sh STS: user limited gets 403 AccessDenied writing into the test user's bucket, though its keys are good" {
	shared_rgw
	run -0 s3req "$limited" -H "x-amz-content-sha256: $obj_sha" -T "$obj" \
	    "$DDBLAKE_S3_ENDPOINT/$S3_BUCKET/direct.txt"
	assert_output 403
	run -0 cat "$body"
	assert_output --partial '<Code>AccessDenied</Code>'
	run -0 tester_get direct.txt
	assert_output 404
	run -0 s3req "$limited" -H "x-amz-content-sha256: $empty_sha" "$DDBLAKE_S3_ENDPOINT/"
	assert_output 200
}

@test "rgw.sh STS: AssumeRole on lakewriter (POST / at the S3 endpoint, service sts) gives keys that write there, only with their token" {
	shared_rgw
	run -0 assume_role "$limited" "$RGW_ROLE_ARN"
	assert_output 200
	run -0 cat "$body"
	assert_output --partial '<Arn>arn:aws:sts:::assumed-role/lakewriter/bats</Arn>'
	assert_output --regexp '<Expiration>[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z</Expiration>'
	key=$(xml_get AccessKeyId) secret=$(xml_get SecretAccessKey) token=$(xml_get SessionToken)
	[ -n "$key" ]
	[ -n "$secret" ]
	[ -n "$token" ]
	for acl in private bucket-owner-full-control; do
		run -0 s3req "$key:$secret" -H "x-amz-security-token: $token" \
		    -H "x-amz-acl: $acl" -H "x-amz-content-sha256: $obj_sha" \
		    -T "$obj" "$DDBLAKE_S3_ENDPOINT/$S3_BUCKET/$acl.txt"
		assert_output 200
	done
	run -0 s3req "$key:$secret" -H "x-amz-security-token: $token" \
	    -H "x-amz-content-sha256: $empty_sha" "$DDBLAKE_S3_ENDPOINT/$S3_BUCKET/private.txt"
	assert_output 200
	cmp "$obj" "$body"
	# radosgw makes limited the owner of what the role writes: the bucket's
	# owner reads it only if the PUT granted bucket-owner-full-control.
	run -0 tester_get private.txt
	assert_output 403
	run -0 tester_get bucket-owner-full-control.txt
	assert_output 200
	cmp "$obj" "$body"
	run -0 s3req "$key:$secret" -H "x-amz-content-sha256: $obj_sha" -T "$obj" \
	    "$DDBLAKE_S3_ENDPOINT/$S3_BUCKET/no-token.txt"
	assert_output 403
	run -0 xml_get Code
	assert_output InvalidAccessKeyId
	run -0 tester_get no-token.txt
	assert_output 404
}

@test "rgw.sh STS: botocore assumes lakewriter as limited and puts with the temporary credentials" {
	shared_rgw
	run -0 /usr/bin/python3 - <<-'PY'
	import os, boto3
	e = os.environ
	sts = boto3.client("sts", endpoint_url=e["RGW_STS_ENDPOINT"], region_name="us-east-1",
	    aws_access_key_id=e["RGW_LIMITED_ACCESS_KEY"],
	    aws_secret_access_key=e["RGW_LIMITED_SECRET_KEY"])
	c = sts.assume_role(RoleArn=e["RGW_ROLE_ARN"], RoleSessionName="boto")["Credentials"]
	s3 = boto3.client("s3", endpoint_url=e["DDBLAKE_S3_ENDPOINT"], region_name="us-east-1",
	    aws_access_key_id=c["AccessKeyId"], aws_secret_access_key=c["SecretAccessKey"],
	    aws_session_token=c["SessionToken"])
	s3.put_object(Bucket=e["S3_BUCKET"], Key="boto-role.txt", Body=b"assumed\n",
	    ACL="bucket-owner-full-control")
	print("put")
	PY
	assert_output put
	run -0 tester_get boto-role.txt
	assert_output 200
	run -0 cat "$body"
	assert_output assumed
}

@test "rgw.sh STS: AssumeRole on a role that does not trust limited is refused: 403 with an S3-shaped <Error>, no credentials" {
	shared_rgw
	# The same call on lakewriter passes: the refusal is the trust policy's.
	run -0 assume_role "$limited" "$RGW_ROLE_ARN"
	assert_output 200
	run -0 assume_role "$limited" "$RGW_DENIED_ROLE_ARN"
	assert_output 403
	run -0 cat "$body"
	# radosgw answers STS errors like S3 ones, not as STS <ErrorResponse>.
	assert_output --partial '<Error><Code>AccessDenied</Code>'
	refute_output --partial '<ErrorResponse'
	refute_output --partial '<Credentials>'
	run -0 assume_role "$RGW_LIMITED_ACCESS_KEY:wrong-secret" "$RGW_ROLE_ARN"
	assert_output 403
	run -0 xml_get Code
	assert_output SignatureDoesNotMatch
}
