# streams.bash: bats helpers for tests that read change streams: Kinesis
# from kinesalite behind sigv4proxy.py (which checks every signature), and
# DynamoDB Streams from the ddbstreams.py responder. Load it after
# lib/common. Every process is started on a free 127.0.0.1 port, keeps its
# files in $BATS_TEST_TMPDIR, and is stopped by PID: call streams_stop from
# teardown(). They also exit by themselves once the test process is gone.
#
#   kinesis_proxy_start [PROXY-OPTION...]
#       kinesalite, and sigv4proxy.py in front of it (options such as
#       --iterator-ttl 2, --getrecords-rate 5 or --key AK:SECRET:TOKEN go
#       to the proxy). Exports KINESIS_ENDPOINT (the proxy: use this),
#       KINESALITE_ENDPOINT (kinesalite itself, checks no signature),
#       KINESIS_PROXY_LOG, KINESIS_PROXY_FAULTS (a fault file the proxy
#       reads when it changes), and the test credentials (streams_env).
#   kinesis_proxy_stop
#   kinesis_proxy_ctl JSON       a control command to the proxy; prints the
#                                answer ({"op":"stats"}, {"op":"fault",...})
#   ddbstreams_start [OPTION...] ddbstreams.py (options such as
#                                --iterator-ttl 1, --end lazy). Exports
#                                DDBSTREAMS_ENDPOINT, DDBSTREAMS_LOG,
#                                DDBSTREAMS_FAULTS and the credentials.
#   ddbstreams_stop
#   ddbstreams_ctl JSON          a control command ({"op":"put",...})
#   streams_stop                 everything above that is running
#   streams_env                  the test credentials and AWS settings:
#       AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY (both servers know them),
#       STREAMS_SESSION_KEY_ID, STREAMS_SESSION_SECRET, STREAMS_SESSION_TOKEN
#       (a second key that is valid only with its session token),
#       AWS_REGION=us-east-1, AWS_CONFIG_FILE (region, and awscli v2 prints
#       timestamps as received), no credentials file, no IMDS.
#   saws SERVICE ARGS...         awscli ($AWS_CLI, default /usr/bin/aws,
#                                Debian's v2) for kinesis, dynamodb or
#                                dynamodbstreams, at the matching endpoint
#   awspost URL TARGET [BODY] [OPTION...]
#                                one request signed by sigv4sign.py (or
#                                not: --unsigned, --skew, --tamper, --key,
#                                see tests/lib/awspost.py); prints the
#                                status line and the answer
#   kinesis_post OP [BODY] [OPTION...]      awspost through the proxy, e.g.
#                                kinesis_post ListShards '{"StreamName":"s"}'
#   ddbstreams_post OP [BODY] [OPTION...]   awspost to ddbstreams (OP a
#                                DynamoDB Streams operation or DescribeTable)
#   kinesis_call OP BODY, ddbstreams_call OP BODY
#                                the same, but print only the answer; a
#                                non-2xx fails the test
#   kinesis_iterator STREAM SHARD TYPE [SEQ]
#   ddbstreams_iterator ARN SHARD TYPE [SEQ]
#                                print a shard iterator (TRIM_HORIZON,
#                                LATEST, AT_/AFTER_SEQUENCE_NUMBER SEQ)
#   ddbstreams_shards ARN        every shard, through all DescribeStream
#                                pages, one JSON object a line
#   kinesis_create STREAM [SHARDS]          create it, wait until ACTIVE
#   kinesis_put_ddb STREAM N [FIRST]        put scripts/gen-corpus records
#       FIRST..FIRST+N-1 (seed 1, unique event ids): what Kinesis Data
#       Streams for DynamoDB writes. Prints "EVENTID SHARDID SEQ" a record.
#   kinesis_put_lines STREAM [FILE]         put each line as one record
#   kinesis_split STREAM SHARD              split at the middle of its
#                                           hash range, wait until ACTIVE
#   kinesis_merge STREAM SHARD ADJACENT     merge, wait until ACTIVE
#   kinesis_shards STREAM                   ListShards' Shards, one JSON
#                                           object a line
# kinesalite has no UpdateShardCount: reshard with split and merge.

: "${AWS_CLI:=/usr/bin/aws}"
STREAMS_LIB=$TOP/tests/lib

streams_env() {
	export AWS_ACCESS_KEY_ID=AKIDSTREAMSTEST00001
	export AWS_SECRET_ACCESS_KEY=streams/test+secret/00001
	export STREAMS_SESSION_KEY_ID=ASIASTREAMSTEST00002
	export STREAMS_SESSION_SECRET=streams-session-secret-00002
	export STREAMS_SESSION_TOKEN=streams-session-token-00002
	export AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
	export AWS_EC2_METADATA_DISABLED=true AWS_PAGER='' AWS_CLI
	# Python would otherwise write __pycache__ into tests/lib.
	export PYTHONDONTWRITEBYTECODE=1
	export AWS_CONFIG_FILE=$BATS_TEST_TMPDIR/aws-config
	export AWS_SHARED_CREDENTIALS_FILE=$BATS_TEST_TMPDIR/aws-credentials-none
	unset AWS_SESSION_TOKEN AWS_PROFILE AWS_DEFAULT_PROFILE AWS_ENDPOINT_URL \
	    AWS_ENDPOINT_URL_KINESIS AWS_ENDPOINT_URL_DYNAMODB \
	    AWS_ENDPOINT_URL_DYNAMODB_STREAMS
	printf '[default]\nregion = us-east-1\ncli_timestamp_format = wire\n' \
	    >"$AWS_CONFIG_FILE"
	# What both servers are told to accept.
	STREAMS_KEYS=(--key "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY"
	    --key "$STREAMS_SESSION_KEY_ID:$STREAMS_SESSION_SECRET:$STREAMS_SESSION_TOKEN")
}

# _streams_spawn NAME CMD...: start CMD in the background, its output to
# $BATS_TEST_TMPDIR/NAME.out; sets _pid. _streams_port NAME PID: wait until
# the process has written its port to NAME.port; sets _port.
_streams_spawn() {
	local name=$1
	shift
	rm -f "$BATS_TEST_TMPDIR/$name.port"
	"$@" </dev/null >"$BATS_TEST_TMPDIR/$name.out" 2>&1 3>&- &
	_pid=$!
}

_streams_port() {
	local _
	for _ in $(seq 300); do
		if [ -s "$BATS_TEST_TMPDIR/$1.port" ]; then
			_port=$(cat "$BATS_TEST_TMPDIR/$1.port")
			return 0
		fi
		kill -0 "$2" 2>/dev/null || break
		sleep 0.05
	done
	cat "$BATS_TEST_TMPDIR/$1.out" >&2
	fail "$1 did not start"
}

_streams_kill() {
	[ -n "$1" ] || return 0
	kill "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

kinesis_proxy_start() {
	streams_env
	KINESIS_PROXY_LOG=$BATS_TEST_TMPDIR/sigv4proxy.log
	KINESIS_PROXY_FAULTS=$BATS_TEST_TMPDIR/sigv4proxy.faults
	# Both start at once; the proxy reads kinesalite's port when it needs it.
	_streams_spawn kinesalite node "$STREAMS_LIB/kinesalite.js" \
	    "$BATS_TEST_TMPDIR/kinesalite.port" "$$"
	KINESALITE_PID=$_pid
	_streams_spawn sigv4proxy "$STREAMS_LIB/sigv4proxy.py" \
	    --upstream-portfile "$BATS_TEST_TMPDIR/kinesalite.port" \
	    --portfile "$BATS_TEST_TMPDIR/sigv4proxy.port" \
	    --log "$KINESIS_PROXY_LOG" --faults "$KINESIS_PROXY_FAULTS" \
	    --region us-east-1 --watch-pid "$$" "${STREAMS_KEYS[@]}" "$@"
	KINESIS_PROXY_PID=$_pid
	_streams_port kinesalite "$KINESALITE_PID"
	KINESALITE_ENDPOINT=http://127.0.0.1:$_port
	_streams_port sigv4proxy "$KINESIS_PROXY_PID"
	KINESIS_ENDPOINT=http://127.0.0.1:$_port
	export KINESIS_ENDPOINT KINESALITE_ENDPOINT KINESIS_PROXY_LOG KINESIS_PROXY_FAULTS
}

kinesis_proxy_stop() {
	_streams_kill "${KINESIS_PROXY_PID:-}"
	_streams_kill "${KINESALITE_PID:-}"
	KINESIS_PROXY_PID='' KINESALITE_PID=''
}

ddbstreams_start() {
	streams_env
	DDBSTREAMS_LOG=$BATS_TEST_TMPDIR/ddbstreams.log
	DDBSTREAMS_FAULTS=$BATS_TEST_TMPDIR/ddbstreams.faults
	_streams_spawn ddbstreams "$STREAMS_LIB/ddbstreams.py" \
	    --portfile "$BATS_TEST_TMPDIR/ddbstreams.port" --log "$DDBSTREAMS_LOG" \
	    --faults "$DDBSTREAMS_FAULTS" --region us-east-1 --watch-pid "$$" \
	    "${STREAMS_KEYS[@]}" "$@"
	DDBSTREAMS_PID=$_pid
	_streams_port ddbstreams "$DDBSTREAMS_PID"
	DDBSTREAMS_ENDPOINT=http://127.0.0.1:$_port
	export DDBSTREAMS_ENDPOINT DDBSTREAMS_LOG DDBSTREAMS_FAULTS
}

ddbstreams_stop() {
	_streams_kill "${DDBSTREAMS_PID:-}"
	DDBSTREAMS_PID=''
}

streams_stop() {
	kinesis_proxy_stop
	ddbstreams_stop
}

_streams_ctl() {
	curl -sS --fail-with-body --max-time 30 -H 'Content-Type: application/json' \
	    --data-binary "$2" "$1/_control"
}

kinesis_proxy_ctl() { _streams_ctl "$KINESIS_ENDPOINT" "$1"; }
ddbstreams_ctl() { _streams_ctl "$DDBSTREAMS_ENDPOINT" "$1"; }

saws() {
	local svc=$1 url
	shift
	case $svc in
	kinesis) url=$KINESIS_ENDPOINT ;;
	dynamodb | dynamodbstreams) url=$DDBSTREAMS_ENDPOINT ;;
	*) fail "saws: no endpoint for $svc" ;;
	esac
	"$AWS_CLI" --endpoint-url "$url" --output json "$svc" "$@" </dev/null
}

awspost() {
	"$STREAMS_LIB/awspost.py" "$@"
}

# kinesis_post OP [BODY] [OPTION...], ddbstreams_post OP [BODY] [OPTION...]:
# awspost to the proxy or to ddbstreams; prints the status and the answer.
kinesis_post() {
	local op=$1
	shift
	awspost "$KINESIS_ENDPOINT" "Kinesis_20131202.$op" "$@"
}

ddbstreams_post() {
	local op=$1 prefix=DynamoDBStreams_20120810
	shift
	[ "$op" = DescribeTable ] && prefix=DynamoDB_20120810
	awspost "$DDBSTREAMS_ENDPOINT" "$prefix.$op" "$@"
}

# kinesis_call OP BODY, ddbstreams_call OP BODY: the same, but print only the
# answer, and fail the test if it is not a 2xx.
_streams_call() {
	local out
	out=$("$@") || fail "$*: $out"
	printf '%s\n' "${out#*$'\n'}"
}

kinesis_call() { _streams_call kinesis_post "$@"; }
ddbstreams_call() { _streams_call ddbstreams_post "$@"; }

# kinesis_iterator STREAM SHARD TYPE [SEQ], ddbstreams_iterator ARN SHARD
# TYPE [SEQ]: a shard iterator of that type, at or after SEQ.
# _streams_iterator CALL STREAM-FIELD SEQ-FIELD STREAM SHARD TYPE [SEQ]
_streams_iterator() {
	local out
	out=$("$1" GetShardIterator "$(printf \
	    '{"%s":"%s","ShardId":"%s","ShardIteratorType":"%s"%s}' \
	    "$2" "$4" "$5" "$6" "${7:+,\"$3\":\"$7\"}")") || return
	jq -r .ShardIterator <<<"$out"
}

kinesis_iterator() { _streams_iterator kinesis_call StreamName StartingSequenceNumber "$@"; }
ddbstreams_iterator() { _streams_iterator ddbstreams_call StreamArn SequenceNumber "$@"; }

# ddbstreams_shards ARN: every shard of the stream, one JSON object a line,
# through all DescribeStream pages.
ddbstreams_shards() {
	local start='' page
	while :; do
		page=$(ddbstreams_call DescribeStream "{\"StreamArn\":\"$1\"$start}") || return
		jq -c '.StreamDescription.Shards[]' <<<"$page"
		start=$(jq -r '.StreamDescription.LastEvaluatedShardId // empty' <<<"$page")
		[ -n "$start" ] || return 0
		start=",\"ExclusiveStartShardId\":\"$start\""
	done
}

kinesis_wait_active() {
	local _
	for _ in $(seq 100); do
		kinesis_call DescribeStreamSummary "{\"StreamName\":\"$1\"}" |
		    grep -q '"StreamStatus":"ACTIVE"' && return 0
		sleep 0.05
	done
	fail "stream $1 did not become ACTIVE"
}

kinesis_create() {
	kinesis_call CreateStream "{\"StreamName\":\"$1\",\"ShardCount\":${2:-1}}" >/dev/null
	kinesis_wait_active "$1"
}

kinesis_shards() {
	local out
	out=$(kinesis_call ListShards "{\"StreamName\":\"$1\"}") || return
	jq -c '.Shards[]' <<<"$out"
}

kinesis_put_lines() {
	"$STREAMS_LIB/kdsput.py" --endpoint-url "$KINESIS_ENDPOINT" --stream "$1" ${2:+"$2"}
}

kinesis_put_ddb() {
	local first=${3:-1}
	/usr/bin/python3 "$TOP/scripts/gen-corpus" --records $((first + $2 - 1)) \
	    --unique-ids --seed 1 | tail -n "$2" | kinesis_put_lines "$1"
}

kinesis_split() {
	local range mid
	range=$(kinesis_shards "$1" | jq -r --arg s "$2" \
	    'select(.ShardId == $s) | .HashKeyRange | "\(.StartingHashKey) \(.EndingHashKey)"')
	[ -n "$range" ] || fail "kinesis_split: no shard $2 in $1"
	# shellcheck disable=SC2086 # two numbers
	mid=$(/usr/bin/python3 -c \
	    'import sys; a, b = map(int, sys.argv[1:]); print((a + b + 1) // 2)' $range)
	kinesis_call SplitShard "$(printf \
	    '{"StreamName":"%s","ShardToSplit":"%s","NewStartingHashKey":"%s"}' \
	    "$1" "$2" "$mid")" >/dev/null
	kinesis_wait_active "$1"
}

kinesis_merge() {
	kinesis_call MergeShards "$(printf \
	    '{"StreamName":"%s","ShardToMerge":"%s","AdjacentShardToMerge":"%s"}' \
	    "$1" "$2" "$3")" >/dev/null
	kinesis_wait_active "$1"
}
