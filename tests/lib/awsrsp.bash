# awsrsp.bash: bats helpers for the minimal AWS responders of
# tests/lib/awsrsp.py (STS web identity, the SSO portal, the Lambda Runtime
# API: services that cannot be installed here).
#
#   load lib/awsrsp
#   teardown() { awsrsp_stop; }
#
#   awsrsp_start MODE [OPTIONS...]   start `awsrsp.py MODE` on a free port of
#                   127.0.0.1 (the responder binds port 0 and reports it);
#                   OPTIONS go to awsrsp.py. Sets, for the one started last:
#                     AWSRSP_URL   http://127.0.0.1:PORT
#                     AWSRSP_PORT, AWSRSP_PID
#                     AWSRSP_DIR   its folder in $BATS_TEST_TMPDIR
#                     AWSRSP_LOG   its request log ($AWSRSP_DIR/log)
#                   lambda: also AWSRSP_OUT (the answers; --out is added
#                   unless given) and exports AWS_LAMBDA_RUNTIME_API
#                   (127.0.0.1:PORT, as Lambda sets it).
#   awsrsp_stop     stop every responder this test started, by PID. Safe to
#                   call twice, or when none was started (teardown).
#   awsrsp_exited [SECONDS]  wait up to SECONDS (default 5) for the last
#                   started responder to exit by itself (--when-empty exit);
#                   fails if it is still running.
#   awsrsp_body FILE  the body of an answer recorded in $AWSRSP_OUT (what
#                   follows the request line and headers).
#   awsrsp_header FILE NAME  the value of header NAME in that answer.

AWSRSP_PY=${BATS_TEST_DIRNAME:-.}/lib/awsrsp.py
_awsrsp_pids=()
_awsrsp_n=0

# shellcheck disable=SC2034 # AWSRSP_* are for the caller
awsrsp_start() {
	local mode=$1
	shift
	_awsrsp_n=$((_awsrsp_n + 1))
	AWSRSP_DIR=$BATS_TEST_TMPDIR/awsrsp.$_awsrsp_n
	AWSRSP_LOG=$AWSRSP_DIR/log
	mkdir -p "$AWSRSP_DIR"
	: >"$AWSRSP_LOG"
	if [ "$mode" = lambda ]; then
		AWSRSP_OUT=$AWSRSP_DIR/out
		case " $* " in
		*" --out "*) ;;
		*) set -- --out "$AWSRSP_OUT" "$@" ;;
		esac
	fi
	# 3>&- : bats waits for fd 3 to close; a responder must not hold it.
	"$AWSRSP_PY" "$mode" "$AWSRSP_DIR/port" "$AWSRSP_LOG" "$@" \
	    2>"$AWSRSP_DIR/stderr" 3>&- &
	AWSRSP_PID=$!
	_awsrsp_pids+=("$AWSRSP_PID")
	for _ in $(seq 100); do
		[ -s "$AWSRSP_DIR/port" ] && break
		kill -0 "$AWSRSP_PID" 2>/dev/null || break
		sleep 0.05
	done
	if [ ! -s "$AWSRSP_DIR/port" ]; then
		cat "$AWSRSP_DIR/stderr" >&2
		echo "awsrsp_start: $mode responder did not start" >&2
		return 1
	fi
	AWSRSP_PORT=$(cat "$AWSRSP_DIR/port")
	AWSRSP_URL=http://127.0.0.1:$AWSRSP_PORT
	if [ "$mode" = lambda ]; then
		export AWS_LAMBDA_RUNTIME_API=127.0.0.1:$AWSRSP_PORT
	fi
}

awsrsp_stop() {
	local pid
	for pid in "${_awsrsp_pids[@]}"; do
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	_awsrsp_pids=()
}

awsrsp_exited() {
	for _ in $(seq $((${1:-5} * 20))); do
		kill -0 "$AWSRSP_PID" 2>/dev/null || return 0
		sleep 0.05
	done
	echo "awsrsp_exited: responder $AWSRSP_PID still running" >&2
	return 1
}

awsrsp_body() {
	sed '1,/^$/d' "$1"
}

awsrsp_header() {
	sed -n '2,/^$/p' "$1" | sed -n "s/^$2: //Ip"
}
