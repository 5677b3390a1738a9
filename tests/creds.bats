#!/usr/bin/env bats
# lib/creds through tests/helpers/credsprobe: the credential chain, and the
# ECS and EC2 IMDSv2 endpoints. Those two cannot be installed here, so they
# are played by minimal responders (tests/lib/credsrv.py) that follow AWS's
# documented protocols; the test names say so.
bats_require_minimum_version 1.5.0

setup() {
	bats_load_library bats-support
	bats_load_library bats-assert
	probe=$DDBLAKE_BIN/helpers/credsprobe
	[ -x "$probe" ] || fail "$probe not built: run make tests"
	# A clean slate: no keys, files, profile or endpoints from outside.
	for v in $(env | sed -n 's/^\(AWS_[A-Z0-9_]*\)=.*/\1/p'); do unset "$v"; done
	export HOME=$BATS_TEST_TMPDIR
	T=$BATS_TEST_TMPDIR
	srv_pid=
}

teardown() {
	if [ -n "$srv_pid" ]; then
		kill "$srv_pid" 2>/dev/null || true
		wait "$srv_pid" 2>/dev/null || true
	fi
}

# start_srv imds|ecs [options]: start a responder; its URL in $srv.
start_srv() {
	python3 "$BATS_TEST_DIRNAME/lib/credsrv.py" "$1" "$T/port" "$T/log" \
	    "${@:2}" 3>&- &
	srv_pid=$!
	for _ in $(seq 100); do
		[ -s "$T/port" ] && break
		sleep 0.05
	done
	[ -s "$T/port" ] || fail "responder did not start"
	srv=http://127.0.0.1:$(cat "$T/port")
	: >>"$T/log"
}

sha8() { printf '%s' "$1" | sha256sum | cut -c1-8; }

@test "environment keys come first, with the session token and region" {
	printf '[default]\naws_access_key_id = AKIAFILE\naws_secret_access_key = file\n' >"$HOME/creds"
	AWS_SHARED_CREDENTIALS_FILE=$HOME/creds AWS_ACCESS_KEY_ID=AKIAENV \
	    AWS_SECRET_ACCESS_KEY=envsecret AWS_SESSION_TOKEN=tok \
	    AWS_REGION=eu-west-1 run -0 "$probe" --no-imds
	assert_output "source=env access_key=AKIAENV secret_sha256=$(sha8 envsecret) token=yes expires=no region=eu-west-1"
	refute_output --partial envsecret
}

@test "only one of the two environment keys set is a configuration error" {
	AWS_ACCESS_KEY_ID=AKIAENV run -2 --separate-stderr "$probe" --no-imds
	assert_equal "$stderr" "credsprobe: AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not"
}

@test "AWS_PROFILE picks a profile from ~/.aws/credentials, its region from ~/.aws/config" {
	mkdir "$HOME/.aws"
	cat >"$HOME/.aws/credentials" <<-EOF
	[default]
	aws_access_key_id = AKIADEFAULT
	aws_secret_access_key = default-secret
	[prod]
	aws_access_key_id = AKIAPROD
	aws_secret_access_key = prod-secret
	aws_session_token = prod-token
	EOF
	printf '[default]\nregion = us-west-2\n[profile prod]\nregion = ap-south-1\n' >"$HOME/.aws/config"
	AWS_PROFILE=prod run -0 "$probe" --no-imds
	assert_output "source=profile prod access_key=AKIAPROD secret_sha256=$(sha8 prod-secret) token=yes expires=no region=ap-south-1"
	run -0 "$probe" --no-imds
	assert_output "source=profile default access_key=AKIADEFAULT secret_sha256=$(sha8 default-secret) token=no expires=no region=us-west-2"
}

@test "a profile named but missing is an error that names it, not a fallback" {
	printf '[default]\naws_access_key_id = A\naws_secret_access_key = B\n' >"$T/c"
	AWS_SHARED_CREDENTIALS_FILE=$T/c AWS_PROFILE=nosuch run -2 --separate-stderr "$probe" --no-imds
	assert_equal "$stderr" "credsprobe: profile nosuch not found in the shared credentials or config file"
}

@test "nothing anywhere and IMDS disabled: a clear error, exit 2" {
	AWS_EC2_METADATA_DISABLED=true run -2 --separate-stderr "$probe"
	assert_equal "$stderr" "credsprobe: no credentials: none in the environment, profile default or the container variables (EC2 instance metadata disabled)"
}

@test "IMDSv2 minimal responder: token first, then role, then credentials" {
	start_srv imds
	AWS_EC2_METADATA_SERVICE_ENDPOINT=$srv run -0 "$probe"
	assert_output "source=imds access_key=ASIATEST00000001 secret_sha256=$(sha8 secret-1) token=yes expires=yes region=-"
	run -0 cat "$T/log"
	assert_output "$(printf '%s\n' \
	    'PUT /latest/api/token token=no' \
	    'GET /latest/meta-data/iam/security-credentials/ token=yes' \
	    'GET /latest/meta-data/iam/security-credentials/ddblake-test-role token=yes')"
}

@test "IMDSv2 minimal responder: a GET without a token gets 401, so the token is needed" {
	start_srv imds
	run -0 curl -s -o /dev/null -w '%{http_code}' "$srv/latest/meta-data/iam/security-credentials/"
	assert_output 401
	run -0 curl -s -o /dev/null -w '%{http_code}' -X PUT "$srv/latest/api/token"
	assert_output 400
}

@test "IMDSv2 minimal responder: credentials expiring within 5 minutes are refreshed on the next get" {
	start_srv imds --expire-in 120
	# At most one refresh a second while the keys are valid: wait past it.
	AWS_EC2_METADATA_SERVICE_ENDPOINT=$srv run -0 "$probe" --again 1100ms
	assert_line --index 0 --partial "access_key=ASIATEST00000001 secret_sha256=$(sha8 secret-1)"
	assert_line --index 1 --partial "access_key=ASIATEST00000002 secret_sha256=$(sha8 secret-2)"
	run -0 grep -c '^PUT /latest/api/token' "$T/log"
	assert_output 2
}

@test "IMDSv2 minimal responder: credentials valid for an hour are not fetched again" {
	start_srv imds --expire-in 3600
	AWS_EC2_METADATA_SERVICE_ENDPOINT=$srv run -0 "$probe" --again 100ms
	assert_line --index 0 --partial access_key=ASIATEST00000001
	assert_line --index 1 --partial access_key=ASIATEST00000001
	run -0 grep -c 'ddblake-test-role' "$T/log"
	assert_output 1
}

@test "IMDSv2 minimal responder: creds_refresh fetches new keys at once" {
	start_srv imds --expire-in 3600
	AWS_EC2_METADATA_SERVICE_ENDPOINT=$srv run -0 "$probe" --refresh
	assert_line --index 0 --partial access_key=ASIATEST00000001
	assert_line --index 1 --partial access_key=ASIATEST00000002
}

@test "AWS_EC2_METADATA_DISABLED=true makes no metadata request at all" {
	start_srv imds
	AWS_EC2_METADATA_SERVICE_ENDPOINT=$srv AWS_EC2_METADATA_DISABLED=TRUE run -2 "$probe"
	run -0 cat "$T/log"
	assert_output ""
}

@test "a metadata service that never answers fails within the short timeout, exit 2" {
	start_srv imds --hang
	# timeout only bounds a hang; the 2 s request timeout ends it first.
	AWS_EC2_METADATA_SERVICE_ENDPOINT=$srv run -2 --separate-stderr timeout 20 "$probe"
	assert_equal "$stderr" "credsprobe: no credentials: none in the environment, profile default or the container variables, and EC2 instance metadata failed: PUT $srv/latest/api/token: Timeout was reached"
}

@test "ECS minimal responder: FULL_URI with AWS_CONTAINER_AUTHORIZATION_TOKEN" {
	start_srv ecs --token s3cr3t-auth
	AWS_CONTAINER_CREDENTIALS_FULL_URI=$srv/creds AWS_CONTAINER_AUTHORIZATION_TOKEN=s3cr3t-auth \
	    run -0 "$probe" --no-imds
	assert_output "source=ecs access_key=ASIATEST00000001 secret_sha256=$(sha8 secret-1) token=yes expires=yes region=-"
}

@test "ECS minimal responder: the token file wins over the variable; a wrong token gets 401, exit 5" {
	start_srv ecs --token from-file
	printf 'from-file\n' >"$T/tok"
	AWS_CONTAINER_CREDENTIALS_FULL_URI=$srv/creds AWS_CONTAINER_AUTHORIZATION_TOKEN=wrong \
	    AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=$T/tok run -0 "$probe" --no-imds
	assert_output --partial "source=ecs access_key=ASIATEST00000001"
	AWS_CONTAINER_CREDENTIALS_FULL_URI=$srv/creds AWS_CONTAINER_AUTHORIZATION_TOKEN=wrong \
	    run -5 --separate-stderr "$probe" --no-imds
	assert_equal "$stderr" "credsprobe: GET $srv/creds: HTTP 401"
}

@test "ECS minimal responder: RELATIVE_URI is appended to the container host" {
	start_srv ecs --expire-in 60
	AWS_CONTAINER_CREDENTIALS_RELATIVE_URI=/v2/credentials/abc run -0 "$probe" --ecs-host "$srv" --again 1100ms
	assert_line --index 0 --partial access_key=ASIATEST00000001
	assert_line --index 1 --partial access_key=ASIATEST00000002
	run -0 cat "$T/log"
	assert_line --index 0 "GET /v2/credentials/abc token=no"
}

@test "ECS minimal responder: expired credentials are fetched again at once" {
	start_srv ecs --expire-in 1
	AWS_CONTAINER_CREDENTIALS_FULL_URI=$srv/c run -0 "$probe" --no-imds --again 1500ms
	assert_line --index 1 --partial access_key=ASIATEST0000000
	refute_line --index 1 --partial access_key=ASIATEST00000001
}

@test "ECS FULL_URI over plain http to another host is refused before any request" {
	AWS_CONTAINER_CREDENTIALS_FULL_URI=http://192.0.2.1/creds AWS_CONTAINER_AUTHORIZATION_TOKEN=t \
	    run -2 --separate-stderr "$probe" --no-imds
	assert_equal "$stderr" "credsprobe: AWS_CONTAINER_CREDENTIALS_FULL_URI: plain http only to a loopback or the container endpoint address"
}

@test "no secret appears in any output, success or failure" {
	start_srv ecs --token auth-tok
	AWS_CONTAINER_CREDENTIALS_FULL_URI=$srv/creds AWS_CONTAINER_AUTHORIZATION_TOKEN=auth-tok \
	    run -0 "$probe" --no-imds --again 10ms
	# It did fetch (a probe that printed nothing would hide no secret).
	assert_line --index 0 "source=ecs access_key=ASIATEST00000001 secret_sha256=$(sha8 secret-1) token=yes expires=yes region=-"
	[ "${#lines[@]}" -eq 2 ]
	refute_output --partial secret-
	refute_output --partial token-1
	refute_output --partial auth-tok
	AWS_CONTAINER_CREDENTIALS_FULL_URI=$srv/creds AWS_CONTAINER_AUTHORIZATION_TOKEN=bad-auth-tok \
	    run -5 "$probe" --no-imds
	assert_output "credsprobe: GET $srv/creds: HTTP 401"
	refute_output --partial bad-auth-tok
}

@test "IMDS endpoint mode IPv6 asks fd00:ec2::254 (unreachable here: a fast, named failure)" {
	AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE=IPv6 run -2 --separate-stderr timeout 20 "$probe"
	# The reason (timeout, no route) depends on the network; the URL does not.
	assert_regex "$stderr" '^credsprobe: no credentials: .*EC2 instance metadata failed: PUT http://\[fd00:ec2::254\]/latest/api/token: .+$'
}

@test "outside EC2 the default metadata address fails with a named error, not a hang" {
	run -2 --separate-stderr timeout 20 "$probe"
	assert_regex "$stderr" '^credsprobe: no credentials: .*EC2 instance metadata failed: PUT http://169\.254\.169\.254/latest/api/token: .+$'
}
