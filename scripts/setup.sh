#!/bin/sh
# setup.sh: install every build, test and benchmark dependency of ddblake on
# Debian 12, as root. Idempotent: packages already present are not fetched
# again, so `make check` can call it every time.
#
#   scripts/setup.sh            everything (build, tests, radosgw, bench)
#   scripts/setup.sh build      only what `make` needs
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)

build_pkgs="build-essential pkg-config libjq-dev libonig-dev libcurl4-openssl-dev
	zlib1g-dev libssl-dev"
test_pkgs="bats bats-assert bats-support jq curl ca-certificates python3
	python3-boto3 python3-botocore awscli groff-base mandoc cppcheck
	clang clang-tidy libclang-rt-14-dev libfuzzer-14-dev valgrind hyperfine
	time radosgw ceph-mon ceph-osd ceph-common nodejs procps psmisc iproute2
	util-linux openssl zip unzip busybox-static shellcheck"

case "${1:-all}" in
build)	want=$build_pkgs ;;
all)	want="$build_pkgs $test_pkgs" ;;
*)	echo "usage: scripts/setup.sh [build|all]" >&2; exit 2 ;;
esac

missing=
for p in $want; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "setup.sh: need root to install:$missing" >&2
		exit 2
	fi
	echo "setup.sh: installing:$missing" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq </dev/null
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing </dev/null >/dev/null
fi
# npm ships inside nodesource's nodejs; Debian's nodejs needs the npm package.
if [ "${1:-all}" = all ] && ! command -v npm >/dev/null 2>&1; then
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm </dev/null >/dev/null
fi

# Node packages used by tests and benchmarks (DuckDB for the lake, the AWS
# SDK's unmarshaller as a reference), pinned in scripts/node/package.json.
if [ "${1:-all}" = all ]; then
	nm="$top/scripts/node/node_modules"
	if [ ! -f "$nm/.installed" ] || [ -n "$(find "$top/scripts/node/package.json" \
	    -newer "$nm/.installed")" ]; then
		echo "setup.sh: installing node packages" >&2
		(cd "$top/scripts/node" &&
		 npm install --no-audit --no-fund --loglevel=error </dev/null >/dev/null)
		touch "$nm/.installed"
	fi
fi
exit 0
