#!/usr/bin/env bats
# lambda-zip: the AWS Lambda zip that scripts/lambda-zip.sh makes runs where
# nothing from the build tree or the host can help: a chroot holding only
# the unpacked zip at /var/task, a static busybox as /bin/sh, and decoys of
# a system whose libc and loader do not fit (Amazon Linux 2023's glibc is
# older than Debian's), started with only the environment Lambda gives.
# ddblambda does not exist yet, so the packaging is tested with ddbflat
# (libjq, oniguruma, zlib) and s3put (the whole libcurl stack).
# chroot needs root: the tests that use it skip without.
# needs: rgw

load lib/common
load lib/s3

# What Lambda sets for a provided.al2023 function (AWS's base image and
# runtime documentation); the role's credentials are added where needed.
LAMBDA_ENV=(
	AWS_LAMBDA_RUNTIME_API=127.0.0.1:9001
	LAMBDA_TASK_ROOT=/var/task
	LAMBDA_RUNTIME_DIR=/var/runtime
	AWS_REGION=us-east-1
	AWS_LAMBDA_FUNCTION_NAME=ddblake-test
	AWS_LAMBDA_FUNCTION_MEMORY_SIZE=128
	_HANDLER=bootstrap
	TZ=UTC
	LANG=en_US.UTF-8
	PATH=/usr/local/bin:/usr/bin/:/bin:/opt/bin
	LD_LIBRARY_PATH=/var/lang/lib:/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:/var/task/lib:/opt/lib
)

setup() {
	cd "$BATS_TEST_TMPDIR" || return
	root=$BATS_TEST_TMPDIR/root
	dnsd_pid=
}

# release_build: skip under make asan/ubsan. An instrumented binary is no
# Lambda artefact (its runtimes make the zip 14 MB, and ASan needs /proc,
# which the empty chroot lacks); make check tests our binaries' zips.
release_build() {
	if ldd "$DDBLAKE_BIN/ddbflat" | grep -q 'lib[a-z]*san\.so'; then
		skip "sanitizer build: the zip of our binaries is tested with the release build"
	fi
}

teardown() {
	if [ -n "$dnsd_pid" ]; then
		kill "$dnsd_pid"
		wait "$dnsd_pid" || :
	fi
}

# zip_of BINARY: the zip for BINARY, made once for the whole file.
zip_of() {
	local z=$BATS_FILE_TMPDIR/${1##*/}.zip
	if [ ! -f "$z" ]; then
		"$TOP/scripts/lambda-zip.sh" "$1" "$z" >/dev/null || return
	fi
	echo "$z"
}

# Zip entries as "SYSTEM MODE NAME" (3 is Unix: Lambda keeps the modes).
zip_modes() {
	python3 -c '
import sys, zipfile
for i in zipfile.ZipFile(sys.argv[1]).infolist():
    print(i.create_system, "%o" % (i.external_attr >> 16), i.filename)' "$1"
}

# make_root ZIP: $root with ZIP unpacked at /var/task, a static shell, and a
# decoy of each bundled file in the places a loader could look outside the
# zip: Lambda's LD_LIBRARY_PATH (/lib64, /usr/lib64) and Debian's default
# folders. A decoy is not ELF, so using one fails.
make_root() {
	local d f
	[ "$(id -u)" = 0 ] || skip "chroot needs root"
	if [ ! -x /bin/busybox ] || ldd /bin/busybox >/dev/null 2>&1; then
		fail "no static /bin/busybox: run scripts/setup.sh (busybox-static)"
	fi
	mkdir -p "$root/var/task" "$root/bin" "$root/tmp" "$root/etc"
	unzip -q "$1" -d "$root/var/task"
	cp /bin/busybox "$root/bin/busybox"
	ln -s busybox "$root/bin/sh"
	for d in lib64 usr/lib64 lib/x86_64-linux-gnu usr/lib/x86_64-linux-gnu; do
		mkdir -p "$root/$d"
		for f in "$root"/var/task/bundled/*.so*; do
			[ -e "$f" ] || continue
			echo "decoy: not the bundled ${f##*/}" >"$root/$d/${f##*/}"
		done
	done
}

# in_lambda [VAR=VALUE...] ARG...: run /var/task/bootstrap ARG... in $root,
# from /var/task, with Lambda's environment (plus VAR=VALUE) and no other.
in_lambda() {
	local vars=()
	while [[ $# -gt 0 && $1 == [A-Za-z_]*=* ]]; do
		vars+=("$1")
		shift
	done
	env -i "${LAMBDA_ENV[@]}" "${vars[@]}" "$(command -v chroot)" "$root" \
	    /bin/sh -c 'cd /var/task && exec /var/task/bootstrap "$@"' bootstrap "$@"
}

@test "the zip has what Lambda needs: bootstrap at the root, executable bits kept as Unix attributes, the binary stripped" {
	release_build
	z=$(zip_of "$DDBLAKE_BIN/ddbflat")
	run -0 zip_modes "$z"
	assert_line "3 100755 bootstrap"
	assert_line "3 100755 bin/ddbflat"
	assert_line "3 100755 bundled/ld-linux-x86-64.so.2"
	assert_line "3 100644 bundled/libc.so.6"
	refute_line --partial "lib/libc.so.6" # not on Lambda's LD_LIBRARY_PATH
	unzip -q "$z" bootstrap bin/ddbflat
	run -0 sh -n bootstrap
	run -0 readelf -S "$DDBLAKE_BIN/ddbflat"
	assert_output --partial .symtab
	run -0 readelf -S bin/ddbflat
	refute_output --partial .symtab
	[ "$(wc -c <"$z")" -lt 3000000 ]
}

@test "every library ldd reports and the loader are bundled under the names the binary asks for, each with its Debian package and licence" {
	release_build
	z=$(zip_of "$DDBLAKE_BIN/s3put")
	ldd "$DDBLAKE_BIN/s3put" | awk '$2 == "=>" { print $1 } $1 ~ /^\// { sub(/.*\//, "", $1); print $1 }' |
	    LC_ALL=C sort >want
	[ "$(wc -l <want)" -gt 20 ]
	zipinfo -1 "$z" | sed -n 's|^bundled/\([^/]*\.so[.0-9]*\)$|\1|p' | LC_ALL=C sort >got
	run -0 diff want got
	run -0 unzip -p "$z" bundled/README
	assert_line --regexp $'^libcurl\\.so\\.4\tlibcurl4\t[^\t]+\tcurl '
	assert_line --regexp $'^libc\\.so\\.6\tlibc6\t2\\.36-[^\t]+\tglibc 2\\.36-'
	assert_line --regexp $'^ca-certificates\\.crt\tca-certificates\t'
	refute_line --regexp $'\t-\t-\t-$'
	for p in libc6 libcurl4 libjq1 libssl3 ca-certificates; do
		run -0 unzip -p "$z" "bundled/copyright/$p"
		assert_output --partial Copyright
	done
}

@test "two builds of the same binary give byte-identical zips, whatever the umask, time zone and file times; every entry dated SOURCE_DATE_EPOCH" {
	release_build
	z=$(zip_of "$DDBLAKE_BIN/ddbflat")
	cp "$DDBLAKE_BIN/ddbflat" .
	touch -d '2001-02-03 04:05:06' ddbflat
	(umask 077 && TZ=Asia/Tokyo "$TOP/scripts/lambda-zip.sh" ddbflat again.zip) >/dev/null
	cmp "$z" again.zip
	SOURCE_DATE_EPOCH=1700000000 "$TOP/scripts/lambda-zip.sh" ddbflat dated.zip >/dev/null
	run -0 python3 -c '
import sys, zipfile
print(sorted({i.date_time for i in zipfile.ZipFile(sys.argv[1]).infolist()}))' dated.zip
	assert_output "[(2023, 11, 14, 22, 13, 20)]"
}

@test "ddbflat runs through bootstrap in an empty chroot with only Lambda's environment and flattens as on the host" {
	release_build
	make_root "$(zip_of "$DDBLAKE_BIN/ddbflat")"
	run -0 --separate-stderr in_lambda --version
	assert_output "ddbflat $(tool_version)"
	run -0 --separate-stderr in_lambda <"$DATA/ddbflat/kds-all-types.json"
	assert_output "$(cat "$DATA/ddbflat/kds-all-types.out")"
	cp "$DATA/ddbflat/streams-lambda.json" "$root/tmp/"
	run -0 --separate-stderr in_lambda --jq 'select(._ddb_op | test("^(INS|MOD)"))' /tmp/streams-lambda.json
	assert_output "$(head -n 2 "$DATA/ddbflat/streams-lambda.out")"
}

@test "the chroot is clean: without one bundled library, or without the bundled loader, ddbflat does not start; the system's ld.so.cache is not used" {
	release_build
	make_root "$(zip_of "$DDBLAKE_BIN/ddbflat")"
	# A system library the cache knows, outside every search path: only a
	# loader reading /etc/ld.so.cache would find it.
	mkdir -p "$root/usr/local/lib64"
	cp -L /lib/x86_64-linux-gnu/libonig.so.5 "$root/usr/local/lib64/"
	echo /usr/local/lib64 >"$root/etc/ld.so.conf"
	ldconfig -r "$root" 2>/dev/null || :
	rm "$root/var/task/bundled/libonig.so.5"
	run -127 --separate-stderr in_lambda --version
	[[ $stderr == *libonig.so.5* ]]
	run -0 env -i "$(command -v chroot)" "$root" /var/task/bundled/ld-linux-x86-64.so.2 \
	    --library-path /var/task/bundled /var/task/bin/ddbflat --version
	unzip -q -o "$(zip_of "$DDBLAKE_BIN/ddbflat")" bundled/libonig.so.5 -d "$root/var/task"
	run -0 in_lambda --version
	run ! env -i "$(command -v chroot)" "$root" /var/task/bin/ddbflat --version
}

@test "bootstrap hands the binary a CA bundle in SSL_CERT_FILE: the function's own, else Amazon Linux's, else Debian's, else the zip's" {
	make_root "$(zip_of /usr/bin/env)"
	run -0 in_lambda
	assert_line SSL_CERT_FILE=/var/task/bundled/ca-certificates.crt
	assert_line AWS_LAMBDA_RUNTIME_API=127.0.0.1:9001
	assert_line "${LAMBDA_ENV[-1]}"
	mkdir -p "$root/etc/ssl/certs" "$root/etc/pki/tls/certs"
	touch "$root/etc/ssl/certs/ca-certificates.crt"
	run -0 in_lambda
	assert_line SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
	touch "$root/etc/pki/tls/certs/ca-bundle.crt"
	run -0 in_lambda
	assert_line SSL_CERT_FILE=/etc/pki/tls/certs/ca-bundle.crt
	run -0 in_lambda SSL_CERT_FILE=/tmp/mine.pem
	assert_line SSL_CERT_FILE=/tmp/mine.pem
}

@test "s3put through bootstrap in the chroot: the whole libcurl stack loads, a signed upload with the role's credentials from the environment reaches S3" {
	release_build
	s3_setup
	make_root "$(zip_of "$DDBLAKE_BIN/s3put")"
	printf '{"id":1}\n' >"$root/tmp/rows.json"
	run -0 --separate-stderr in_lambda AWS_ACCESS_KEY_ID="$AWS_ACCESS_KEY_ID" \
	    AWS_SECRET_ACCESS_KEY="$AWS_SECRET_ACCESS_KEY" \
	    --endpoint-url "$DDBLAKE_S3_ENDPOINT" --path-style --max-attempts 2 \
	    --key 'lambda/{name}' "s3://$S3_BUCKET" /tmp/rows.json
	assert_output --partial "s3://$S3_BUCKET/lambda/rows.json"
	s3_get "$S3_BUCKET" lambda/rows.json got
	cmp got "$root/tmp/rows.json"
}

@test "names resolve in the chroot with the bundled libc alone (no NSS module bundled): /etc/hosts, and DNS from /etc/resolv.conf (a minimal responder)" {
	make_root "$(zip_of /usr/bin/getent)"
	run -0 find "$root/var/task" -name 'libnss_*'
	assert_output ""
	dns=127.53.$((RANDOM % 250 + 1)).$((RANDOM % 250 + 1))
	python3 "$TOP/tests/lib/dnsd.py" "$dns" db.lambda.test=192.0.2.7 \
	    >dnsd.out 2>&1 3>&- &
	dnsd_pid=$!
	for _ in $(seq 50); do
		grep -q ready dnsd.out && break
		sleep 0.1
	done
	run -0 grep -q ready dnsd.out
	echo "192.0.2.8 files.lambda.test" >"$root/etc/hosts"
	echo "nameserver $dns" >"$root/etc/resolv.conf"
	echo "hosts: files dns" >"$root/etc/nsswitch.conf"
	run -0 in_lambda ahostsv4 files.lambda.test
	assert_line --index 0 --regexp '^192\.0\.2\.8 +STREAM files\.lambda\.test$'
	run -0 in_lambda ahostsv4 db.lambda.test
	assert_line --index 0 --regexp '^192\.0\.2\.7 +STREAM db\.lambda\.test$'
	run -2 in_lambda ahostsv4 nowhere.lambda.test
}

@test "a static binary is zipped alone and started directly by bootstrap" {
	z=$(zip_of /bin/busybox)
	run -0 zipinfo -1 "$z"
	assert_output $'bin/\nbin/busybox\nbootstrap'
	make_root "$z"
	run -0 in_lambda echo started
	assert_output started
}
