#!/bin/sh
# rgw.sh: a throw-away one-node Ceph cluster with radosgw on 127.0.0.1, the
# strict S3 server the tests and benchmarks talk to (it verifies SigV4,
# Content-MD5 and x-amz-content-sha256; see ../shared/reference/test-servers.md).
#
#   scripts/rgw.sh start    make and start mon + memstore OSD + radosgw, the
#                           users, roles and TLS certificate; wait until S3
#                           answers on both listeners
#   scripts/rgw.sh stop     stop exactly what start started, remove the state
#   scripts/rgw.sh status   exit 0 and print the endpoint if it is running
#   scripts/rgw.sh env      print shell exports for the S3 and STS clients
#   scripts/rgw.sh stop-gateway | start-gateway
#                           fault tests: stop (KILL) or start again only
#                           radosgw; the objects stay in the running OSD
#
# What every start offers (`env` prints all of it):
#   http://127.0.0.1:RGW_PORT      S3, path style. User tester (AWS_*)
#                                  owns what the tests create.
#   https://127.0.0.1:RGW_PORT+2   the same over TLS. The certificate names
#                                  localhost, s3.localhost, *.s3.localhost and
#                                  127.0.0.1, from a private CA (RGW_CA).
#   http(s)://BUCKET.s3.localhost:PORT
#                                  virtual-hosted style (rgw dns name). Not
#                                  BUCKET.localhost: OpenSSL refuses a
#                                  wildcard right under a top-level name
#                                  (*.localhost). curl resolves *.localhost
#                                  to loopback itself; glibc here does not.
#   STS at the S3 endpoint         POST / with Action=AssumeRole, SigV4
#                                  service sts. User limited (RGW_LIMITED_*)
#                                  has no rights on tester's buckets; it may
#                                  assume role lakewriter (s3:* on all), not
#                                  role nobody (same rights, trusts tester).
#
# Environment:
#   RGW_PORT     S3 port (default 7480). Every other port derives from it:
#                monitor RGW_PORT+1, TLS RGW_PORT+2, OSD messengers
#                RGW_PORT+10..+49, so two clusters with ports 50 apart run
#                side by side.
#   RGW_DIR      state folder (default build/rgw under the repository top);
#                everything lives there: config, keyring, mon store, logs,
#                pid files, admin sockets, CA and certificate. stop removes it.
#   RGW_MEM      bytes of RAM the OSD may hold (default 2G; objects live in RAM)
#   RGW_TIMEOUT  seconds start may take before it gives up (default 120)
#
# Nothing is installed here: scripts/setup.sh installs radosgw, ceph-mon,
# ceph-osd, ceph-common and openssl. No systemd, no stdin, root or not.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
port=${RGW_PORT:-7480}
dir=${RGW_DIR:-$top/build/rgw}
mem=${RGW_MEM:-2G}
timeout=${RGW_TIMEOUT:-120}

# Fixed test keys: the server is throw-away and bound to loopback.
ak=DDBLAKETESTACCESSKEY
sk=ddblakeTestSecretKey/0123456789abcdefghi
lak=DDBLAKELIMITEDKEY000
lsk=ddblakeLimitedSecret/0123456789abcdefghi
# radosgw encrypts session tokens with it; it must be 16 characters.
stskey=ddblakeStsKey016

die() { echo "rgw.sh: $*" >&2; exit 1; }

case $port in
''|*[!0-9]*) die "RGW_PORT must be a number: $port" ;;
esac
if [ "$port" -lt 1024 ] || [ "$port" -gt 65000 ]; then
	die "RGW_PORT must be in 1024..65000: $port"
fi
case $dir in
/*) ;;
*) dir=$(pwd)/$dir ;;
esac
monport=$((port + 1))
tlsport=$((port + 2))
msmin=$((port + 10))
msmax=$((port + 49))
conf=$dir/ceph.conf
tls=$dir/tls
# Marks a folder as ours, so stop never removes anything else.
mark=$dir/.ddblake-rgw

# ceph and radosgw-admin with this cluster's config; bounded so a broken
# cluster fails instead of hanging.
cephc() { timeout 60 ceph -c "$conf" --connect-timeout 30 "$@" </dev/null; }
rgwadm() { timeout 60 radosgw-admin -c "$conf" "$@" </dev/null; }

# pid of a daemon if its pid file names a live process of that program.
alive() {
	_f=$dir/run/$1.pid
	[ -s "$_f" ] || return 1
	_p=$(cat "$_f")
	case $_p in ''|*[!0-9]*) return 1 ;; esac
	[ -r "/proc/$_p/cmdline" ] || return 1
	tr '\0' ' ' <"/proc/$_p/cmdline" | grep -q -- "$2" || return 1
	tr '\0' ' ' <"/proc/$_p/cmdline" | grep -q -- "$conf" || return 1
	echo "$_p"
}

s3_ok() {
	# A signed ListBuckets on both listeners: proves the user exists,
	# S3 answers and the certificate verifies with our CA.
	for _u in "http://127.0.0.1:$port/" "https://127.0.0.1:$tlsport/"; do
		curl -sf -o /dev/null --max-time 5 --cacert "$tls/ca.pem" \
		    --aws-sigv4 "aws:amz:us-east-1:s3" --user "$ak:$sk" \
		    -H "x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" \
		    "$_u" || return 1
	done
}

port_busy() {
	ss -Hltn "sport = :$1" 2>/dev/null | grep -q . && return 0
	return 1
}

# true while a process runs. A zombie whose threads have all exited counts
# as gone (its sockets are closed; whoever inherited it reaps it later).
running() {
	[ -r "/proc/$1/stat" ] || return 1
	sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | grep -q '^Z' || return 0
	set -- /proc/"$1"/task/*
	[ $# -gt 1 ]
}

do_stop() {
	[ -e "$dir" ] || return 0
	if [ ! -e "$mark" ]; then
		die "$dir: not an rgw.sh folder, not touching it"
	fi
	# KILL, not TERM: the state is thrown away anyway, a clean shutdown
	# costs 2-7 s per daemon, and on TERM memstore first writes every
	# object to disk.
	_pids=
	for _d in "radosgw radosgw" "osd.0 ceph-osd" "mon.a ceph-mon"; do
		# shellcheck disable=SC2086
		_p=$(alive $_d) && _pids="$_pids $_p"
	done
	for _p in $_pids; do kill -9 "$_p" 2>/dev/null || true; done
	for _p in $_pids; do
		while running "$_p"; do sleep 0.05; done
	done
	rm -rf "$dir"
}

tail_logs() {
	for _l in "$dir"/log/*; do
		[ -s "$_l" ] || continue
		echo "--- ${_l#"$dir"/} (last 15 lines)" >&2
		tail -n 15 "$_l" >&2
	done
}

fail_start() {
	echo "rgw.sh: start failed: $*" >&2
	tail_logs
	# Let the STS set-up end (it is bounded) before its cluster goes.
	[ -z "${stspid:-}" ] || wait "$stspid" || true
	if [ "${RGW_KEEP:-}" = 1 ]; then
		echo "rgw.sh: RGW_KEEP=1: state left in $dir" >&2
	else
		do_stop || true
	fi
	exit 1
}

# run a step, failing the start with its output when it fails.
step() {
	_what=$1
	shift
	# stdout is dropped: radosgw-admin prints the user's keys there.
	if ! "$@" >/dev/null 2>"$dir/run/step.err"; then
		cat "$dir/run/step.err" >&2
		fail_start "$_what"
	fi
}

# Start a daemon in the foreground (-f) in the background of this shell,
# in its own session, and record its pid ourselves: the daemons' own pid
# files appear only once they are initialised, too late for a failed start
# to be cleaned up.
daemon() {
	_n=$1
	shift
	setsid "$@" -f </dev/null >>"$dir/log/$_n.out" 2>&1 &
	echo $! >"$dir/run/$_n.pid"
}

write_conf() {
	fsid=$(cat /proc/sys/kernel/random/uuid)
	cat >"$conf" <<EOF
[global]
fsid = $fsid
mon host = [v2:127.0.0.1:$monport]
mon initial members = a
public addr = 127.0.0.1
cluster addr = 127.0.0.1
public network = 127.0.0.0/8
cluster network = 127.0.0.0/8
auth cluster required = cephx
auth service required = cephx
auth client required = cephx
keyring = $dir/keyring
run dir = $dir/run
admin socket = $dir/run/\$name.asok
log file = $dir/log/\$name.log
log to stderr = false
err to stderr = false
ms bind ipv6 = false
ms bind msgr1 = false
ms bind port min = $msmin
ms bind port max = $msmax
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
mon allow pool delete = true
mon warn on pool no redundancy = false
# Commit cluster map changes at once, not once a second: radosgw creates
# its pools one command at a time, and each waited for the next round.
paxos propose interval = 0.01
paxos min wait = 0.001
mon data = $dir/mon/\$cluster-\$id
osd data = $dir/osd/\$cluster-\$id

[osd]
osd objectstore = memstore
memstore device bytes = $membytes
osd crush update on start = false

[client.rgw.a]
rgw frontends = beast endpoint=127.0.0.1:$port ssl_endpoint=127.0.0.1:$tlsport ssl_certificate=$tls/cert.pem ssl_private_key=$tls/key.pem
rgw data = $dir/rgw
# Virtual-hosted style: Host BUCKET.s3.localhost. Not plain localhost: TLS
# clients (OpenSSL) refuse a certificate wildcard one label above a TLD
# (*.localhost), and they take *.s3.localhost.
rgw dns name = s3.localhost
rgw thread pool size = 64
rgw s3 auth use sts = true
rgw sts key = $stskey
# Local users first, STS last (the default is sts first): with STS first,
# a wrong secret or an unknown key gets AccessDenied, not
# SignatureDoesNotMatch or InvalidAccessKeyId, and a made-up session token
# beside long-term keys is refused.
rgw s3 auth order = external, local, sts
# SSE-KMS with radosgw's built-in test key store (key ddblake-test-key),
# over plain http too, so s3put's --sse aws:kms requests can be stored
# and read back. Test keys only: never a real KMS.
rgw crypt require ssl = false
rgw crypt s3 kms backend = testing
rgw crypt s3 kms encryption keys = ddblake-test-key=$(printf '%s' ddblake-test-kms-key-32-bytes-ok | base64)
EOF
}

# A private CA and a server certificate for the TLS listener. EC keys:
# RSA generation would add a quarter of a second to every start.
# shellcheck disable=SC2086 # $_ec is several words on purpose
make_tls() {
	mkdir -p "$tls"
	_ec="-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 30"
	openssl req -x509 $_ec -subj "/CN=ddblake test CA" \
	    -keyout "$tls/ca.key" -out "$tls/ca.pem" &&
	openssl req -x509 $_ec -subj "/CN=localhost" \
	    -CA "$tls/ca.pem" -CAkey "$tls/ca.key" \
	    -addext "subjectAltName=DNS:localhost,DNS:s3.localhost,DNS:*.s3.localhost,IP:127.0.0.1" \
	    -addext "basicConstraints=critical,CA:FALSE" \
	    -addext "extendedKeyUsage=serverAuth" \
	    -keyout "$tls/key.pem" -out "$tls/cert.pem"
}

# STS: user limited; role lakewriter, which limited may assume, and role
# nobody, whose trust names only tester. Both may do s3:* on everything.
# The three are made side by side: each radosgw-admin takes 0.15 s.
make_sts() {
	_jobs=
	rgwadm user create --uid limited --display-name "ddblake limited" \
	    --access-key "$lak" --secret-key "$lsk" &
	_jobs=$!
	make_role lakewriter limited &
	_jobs="$_jobs $!"
	make_role nobody tester &
	_jobs="$_jobs $!"
	_rc=0
	for _j in $_jobs; do wait "$_j" || _rc=1; done
	return $_rc
}

# make_role NAME USER: a role that USER may assume, allowed s3:* on all.
make_role() {
	rgwadm role create --role-name "$1" --path=/ \
	    --assume-role-policy-doc '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam:::user/'"$2"'"]},"Action":["sts:AssumeRole"]}]}' &&
	rgwadm role-policy put --role-name "$1" --policy-name s3all \
	    --policy-doc '{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":["s3:*"],"Resource":"arn:aws:s3:::*"}}'
}

to_bytes() {
	case $1 in
	*[Gg]) echo $(( ${1%?} * 1024 * 1024 * 1024 )) ;;
	*[Mm]) echo $(( ${1%?} * 1024 * 1024 )) ;;
	*[!0-9]*|'') die "RGW_MEM must be bytes, or a number with M or G: $1" ;;
	*) echo "$1" ;;
	esac
}

do_start() {
	for b in ceph ceph-mon ceph-osd radosgw radosgw-admin ceph-authtool \
	    monmaptool curl timeout ss openssl; do
		command -v "$b" >/dev/null 2>&1 ||
			die "$b not found: run scripts/setup.sh (as root) first"
	done
	membytes=$(to_bytes "$mem")
	if [ -e "$dir" ]; then
		if alive radosgw radosgw >/dev/null && s3_ok; then
			echo "rgw.sh: already running on http://127.0.0.1:$port" >&2
			return 0
		fi
		# Left over from a crash or an interrupted start: clear it.
		do_stop
	fi
	for p in "$port" "$monport" "$tlsport"; do
		! port_busy "$p" || die "port $p on 127.0.0.1 is in use (set RGW_PORT)"
	done

	t0=$(date +%s%N)
	mkdir -p "$dir/run" "$dir/log" "$dir/mon/ceph-a" "$dir/osd/ceph-0" \
	    "$dir/rgw"
	: >"$mark"
	write_conf
	step "TLS certificate" make_tls

	# One keyring for every entity; ceph-mon --mkfs loads it into the
	# monitor's auth database, so no `ceph auth` round trips are needed.
	kr=$dir/keyring
	step "keyring" ceph-authtool --create-keyring "$kr" --gen-key -n mon. \
	    --cap mon 'allow *'
	step "keyring" ceph-authtool "$kr" --gen-key -n client.admin \
	    --cap mon 'allow *' --cap osd 'allow *' --cap mgr 'allow *' \
	    --cap mds 'allow *'
	step "keyring" ceph-authtool "$kr" --gen-key -n osd.0 \
	    --cap mon 'allow profile osd' --cap osd 'allow *' \
	    --cap mgr 'allow profile osd'
	step "keyring" ceph-authtool "$kr" --gen-key -n client.rgw.a \
	    --cap mon 'allow rw' --cap osd 'allow rwx' --cap mgr 'allow rw'
	step "monmap" monmaptool --create --fsid "$fsid" \
	    --addv a "[v2:127.0.0.1:$monport]" "$dir/monmap"
	step "ceph-mon --mkfs" ceph-mon -c "$conf" --mkfs -i a \
	    --monmap "$dir/monmap" --keyring "$kr"
	daemon mon.a ceph-mon -c "$conf" -i a

	osduuid=$(cat /proc/sys/kernel/random/uuid)
	step "ceph osd new" cephc osd new "$osduuid" 0
	step "ceph-osd --mkfs" ceph-osd -c "$conf" -i 0 --mkfs \
	    --osd-uuid "$osduuid" </dev/null
	step "ceph osd crush add" cephc osd crush add osd.0 1 root=default
	daemon osd.0 ceph-osd -c "$conf" -i 0

	# Wait for the OSD to be up; radosgw cannot create its pools before.
	deadline=$(( $(date +%s) + timeout ))
	until cephc osd dump 2>/dev/null | grep -q '^osd\.0 up'; do
		[ "$(date +%s)" -lt "$deadline" ] ||
			fail_start "osd.0 not up after ${timeout}s"
		alive osd.0 ceph-osd >/dev/null || fail_start "ceph-osd exited"
		sleep 0.2
	done

	# The user first (radosgw-admin also sets up the default zone), then
	# the gateway, so the two do not race to create the same objects.
	step "radosgw-admin user create" rgwadm user create --uid tester \
	    --display-name "ddblake tests" --access-key "$ak" --secret-key "$sk"
	# STS users and roles while the gateway starts: they live in RADOS,
	# the gateway reads them per request.
	make_sts >/dev/null 2>"$dir/log/sts-setup.err" &
	stspid=$!
	daemon radosgw radosgw -c "$conf" -n client.rgw.a

	until s3_ok; do
		[ "$(date +%s)" -lt "$deadline" ] ||
			fail_start "S3 on 127.0.0.1:$port and :$tlsport not answering after ${timeout}s"
		alive radosgw radosgw >/dev/null || fail_start "radosgw exited"
		sleep 0.2
	done
	if ! wait "$stspid"; then
		stspid=
		cat "$dir/log/sts-setup.err" >&2
		fail_start "STS users and roles"
	fi
	t1=$(date +%s%N)
	echo "rgw.sh: radosgw ready on http://127.0.0.1:$port in" \
	    "$(( (t1 - t0) / 1000000 )) ms (TLS on $tlsport, state in $dir)" >&2
}

do_stop_gw() {
	_p=$(alive radosgw radosgw) || die "radosgw is not running"
	kill -9 "$_p"
	while running "$_p"; do sleep 0.05; done
}

do_start_gw() {
	[ -e "$mark" ] || die "no cluster in $dir: use start"
	! alive radosgw radosgw >/dev/null || die "radosgw is already running"
	alive osd.0 ceph-osd >/dev/null || die "ceph-osd is not running: use stop, start"
	daemon radosgw radosgw -c "$conf" -n client.rgw.a
	deadline=$(( $(date +%s) + timeout ))
	until s3_ok; do
		if [ "$(date +%s)" -ge "$deadline" ] ||
		    ! alive radosgw radosgw >/dev/null; then
			tail -n 15 "$dir/log/client.rgw.a.log" >&2
			die "radosgw did not come back on 127.0.0.1:$port and :$tlsport"
		fi
		sleep 0.1
	done
}

do_status() {
	if alive radosgw radosgw >/dev/null && s3_ok; then
		echo "running: http://127.0.0.1:$port (mon $(alive mon.a ceph-mon ||
		    echo -), osd $(alive osd.0 ceph-osd || echo -), radosgw" \
		    "$(alive radosgw radosgw))"
		return 0
	fi
	echo "not running (port $port, $dir)"
	return 1
}

do_env() {
	cat <<EOF
export DDBLAKE_S3_ENDPOINT=http://127.0.0.1:$port
export AWS_ACCESS_KEY_ID=$ak
export AWS_SECRET_ACCESS_KEY=$sk
export AWS_REGION=us-east-1
export AWS_DEFAULT_REGION=us-east-1
export AWS_EC2_METADATA_DISABLED=true
unset AWS_SESSION_TOKEN AWS_PROFILE
export RGW_TLS_ENDPOINT=https://127.0.0.1:$tlsport
export RGW_CA='$tls/ca.pem'
export RGW_VHOST_ENDPOINT=http://s3.localhost:$port
export RGW_VHOST_TLS_ENDPOINT=https://s3.localhost:$tlsport
export RGW_STS_ENDPOINT=http://127.0.0.1:$port
export RGW_LIMITED_ACCESS_KEY=$lak
export RGW_LIMITED_SECRET_KEY=$lsk
export RGW_ROLE_ARN=arn:aws:iam:::role/lakewriter
export RGW_DENIED_ROLE_ARN=arn:aws:iam:::role/nobody
EOF
}

case ${1:-} in
start)	do_start ;;
stop)	do_stop ;;
status)	do_status ;;
env)	do_env ;;
stop-gateway)	do_stop_gw ;;
start-gateway)	do_start_gw ;;
*)	echo "usage: scripts/rgw.sh start|stop|status|env|stop-gateway|start-gateway" >&2
	exit 2 ;;
esac
