#!/bin/sh
# lambda-zip.sh: package a Linux binary as an AWS Lambda deployment zip for
# the provided.al2023 runtime, with everything it needs to start.
#
#   scripts/lambda-zip.sh BINARY OUT.zip
#
# The binary is built on Debian 12 (glibc 2.36); Amazon Linux 2023 has glibc
# 2.34, too old for it and for Debian's libraries. So the zip brings its own
# loader and every shared library ldd reports, and `bootstrap` starts the
# binary with them and with nothing from the system:
#
#   bootstrap                  sh script, the entry point Lambda runs
#   bin/NAME                   the binary, stripped
#   bundled/ld-linux-*.so.*    the loader the libraries were built with
#   bundled/LIB.so.N           each library under the name the binary asks
#                              for (its SONAME), symlinks resolved
#   bundled/ca-certificates.crt  the build host's CA bundle, the last resort
#                              for TLS (bootstrap prefers the system's)
#   bundled/README             what was bundled, from which Debian packages
#   bundled/copyright/PACKAGE  each package's licence (Debian copyright file)
#
# The libraries live in bundled/, not lib/: Lambda puts $LAMBDA_TASK_ROOT/lib
# on LD_LIBRARY_PATH for every process (its shell, layers' extensions), and
# they must not meet Debian's libc there. A static binary is zipped alone and
# started directly.
#
# Reproducible: entries sorted, modes fixed, every time set to
# SOURCE_DATE_EPOCH (default: the last commit's time, else 1980-01-01), so
# the same binary gives the same zip byte for byte.
# Environment: CA_BUNDLE=FILE (default /etc/ssl/certs/ca-certificates.crt;
# empty: none), STRIP (default strip).
set -eu

me=lambda-zip.sh
die() {
	echo "$me: $*" >&2
	exit 1
}

[ $# -eq 2 ] || { echo "usage: scripts/lambda-zip.sh BINARY OUT.zip" >&2; exit 2; }
bin=$1 out=$2
top=$(cd "$(dirname "$0")/.." && pwd)
for c in ldd readelf zip; do
	command -v "$c" >/dev/null 2>&1 || die "$c: not found (run scripts/setup.sh)"
done
if [ ! -f "$bin" ] || [ ! -r "$bin" ]; then
	die "$bin: not a readable file"
fi
[ "$(od -An -tx1 -N4 "$bin" | tr -d ' \n')" = 7f454c46 ] ||
	die "$bin: not an ELF binary"
case $out in
/*) ;;
*) out=$PWD/$out ;;
esac
[ -d "${out%/*}" ] || die "${out%/*}: no such directory"
name=${bin##*/}
: "${CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt}"

epoch=${SOURCE_DATE_EPOCH:-$(git -C "$top" log -1 --format=%ct 2>/dev/null || :)}
[ -n "$epoch" ] || epoch=315532800
[ "$epoch" -ge 315532800 ] || epoch=315532800 # zip's dates start in 1980

tmp=$(mktemp -d "${TMPDIR:-/tmp}/lambda-zip.XXXXXX")
part=$out.part.$$
trap 'rm -rf "$tmp"; rm -f "$part"' EXIT
trap 'exit 130' INT HUP TERM
st=$tmp/zip
mkdir "$st" "$st/bin"

# Copy FILE into bundled/ as NAME. Its Debian package is looked up later
# for all files at once: the ldd path and its target, each on both sides of
# the /usr merge, in that order of preference.
bundle() {
	cp -L "$1" "$st/bundled/$2"
	real=$(readlink -f "$1")
	for p in "$1" "$real"; do
		printf '%s\t%s\n%s\t%s\n' "$2" "/usr${p#/usr}" "$2" "${p#/usr}"
	done >>"$tmp/where"
}

# bundled/README's table: file, package, version, source package and
# version; and each package's copyright file.
notice() {
	tab=$(printf '\t')
	: >"$tmp/owners"
	if command -v dpkg >/dev/null 2>&1; then
		cut -f2 "$tmp/where" | LC_ALL=C sort -u | xargs dpkg -S 2>/dev/null |
		    sed -n "/^diversion/d; s/^\([^ ]*\): \(.*\)\$/\2$tab\1/p" \
		    >"$tmp/owners" || :
	fi
	awk -F'\t' 'NR == FNR { o[$1] = $2; next }
	    { seen[$1] } !($1 in pkg) && ($2 in o) { pkg[$1] = o[$2] }
	    END { for (n in seen) print n "\t" (n in pkg ? pkg[n] : "-") }' \
	    "$tmp/owners" "$tmp/where" | LC_ALL=C sort >"$tmp/pkgs"
	while IFS=$tab read -r f pkg; do
		if [ "$pkg" = - ] && [ "$f" = ca-certificates.crt ] &&
		    [ "$CA_BUNDLE" = /etc/ssl/certs/ca-certificates.crt ]; then
			pkg=ca-certificates # made by update-ca-certificates
		fi
		if [ "$pkg" = - ]; then
			echo "$me: warning: bundled/$f: from no Debian package, licence unknown" >&2
			printf '%s\t-\t-\t-\n' "$f"
			continue
		fi
		p=${pkg%%:*}
		printf '%s\t%s\t%s\n' "$f" "$p" "$(dpkg-query -W \
		    -f='${Version}\t${source:Package} ${source:Version}' "$pkg")"
		[ -e "$st/bundled/copyright/$p" ] && continue
		if [ -r "/usr/share/doc/$p/copyright" ]; then
			cp -L "/usr/share/doc/$p/copyright" "$st/bundled/copyright/$p"
		else
			echo "$me: warning: $p: no /usr/share/doc/$p/copyright" >&2
		fi
	done <"$tmp/pkgs"
}

${STRIP:-strip} --strip-all -o "$st/bin/$name" "$bin"

if deps=$(LC_ALL=C ldd "$bin" 2>&1); then
	mkdir "$st/bundled" "$st/bundled/copyright"
	: >"$tmp/where"
	loader=
	# "NAME => PATH (ADDR)", "PATH (ADDR)" for the loader, "NAME (ADDR)"
	# for the vDSO, which the kernel provides.
	printf '%s\n' "$deps" | sed 's/^[[:space:]]*//; s/ (0x[0-9a-f]*)$//' >"$tmp/ldd"
	while IFS= read -r l; do
		case $l in
		*" => not found") die "$bin: ${l%% *}: not found by ldd" ;;
		*" => "/*) bundle "${l#* => }" "${l%% => *}" ;;
		/*)
			[ -z "$loader" ] || die "$bin: two loaders: $loader, $l"
			loader=${l##*/}
			bundle "$l" "$loader"
			;;
		linux-vdso.so.* | linux-gate.so.*) ;;
		*) die "$bin: ldd: unexpected line: $l" ;;
		esac
	done <"$tmp/ldd"
	[ -n "$loader" ] || die "$bin: ldd names no loader"
	if [ -n "$CA_BUNDLE" ]; then
		[ -r "$CA_BUNDLE" ] || die "CA_BUNDLE $CA_BUNDLE: not readable (empty: leave it out)"
		bundle "$CA_BUNDLE" ca-certificates.crt
	fi
	{
		cat <<EOF
Files bundled with $name by ddblake's scripts/lambda-zip.sh

bootstrap starts bin/$name with the loader and the shared libraries in this
folder, never the system's: they come from the build system (its glibc is
libc6 below), which may be newer than the one where the zip runs (Amazon
Linux 2023 has glibc 2.34). ca-certificates.crt is used for TLS only where
the system has no CA bundle.

Each file came from the Debian package named here. Its licence is in
copyright/PACKAGE; the source is Debian's source package of that version
(https://snapshot.debian.org/package/SOURCE/VERSION/).

EOF
		printf 'file\tpackage\tversion\tsource package and version\n'
		notice
	} >"$st/bundled/README"

	cat >"$st/bootstrap" <<EOF
#!/bin/sh
# bootstrap: the AWS Lambda entry point (runtime provided.al2023), made by
# ddblake's scripts/lambda-zip.sh. It runs bin/$name with the loader and
# libraries in bundled/ and with nothing from the system, whose glibc may be
# older than the one $name was built with: --library-path replaces Lambda's
# LD_LIBRARY_PATH, --inhibit-cache skips the system's /etc/ld.so.cache.
# Shell built-ins only; works from any folder (a layer's /opt too).
case \$0 in
*/*) here=\$(cd "\${0%/*}" && pwd) || exit 127 ;;
*) here=\$(pwd) ;;
esac
# TLS trust for the binary: SSL_CERT_FILE if the function's configuration
# sets it, else the system's bundle (Amazon Linux / Fedora, Debian / Ubuntu
# / Alpine), else the copy in this zip.
if [ -z "\${SSL_CERT_FILE:-}" ]; then
	for f in /etc/pki/tls/certs/ca-bundle.crt \\
	    /etc/ssl/certs/ca-certificates.crt "\$here/bundled/ca-certificates.crt"; do
		if [ -r "\$f" ]; then
			SSL_CERT_FILE=\$f
			export SSL_CERT_FILE
			break
		fi
	done
fi
exec "\$here/bundled/$loader" --inhibit-cache --library-path "\$here/bundled" \\
    "\$here/bin/$name" "\$@"
EOF
else
	case $deps in
	*"not a dynamic executable"* | *"statically linked"*) ;;
	*) die "$bin: ldd: $deps" ;;
	esac
	if LC_ALL=C readelf -l "$bin" | grep -q 'program interpreter'; then
		die "$bin: dynamically linked, but ldd cannot list its libraries (another architecture?)"
	fi
	cat >"$st/bootstrap" <<EOF
#!/bin/sh
# bootstrap: the AWS Lambda entry point (runtime provided.al2023), made by
# ddblake's scripts/lambda-zip.sh for the static binary bin/$name.
case \$0 in
*/*) here=\${0%/*} ;;
*) here=. ;;
esac
exec "\$here/bin/$name" "\$@"
EOF
fi

# Fixed modes and times; sorted entries, directories included; no uid/gid
# or extra time fields (-X); DOS times are local, so TZ=UTC.
find "$st" -type d -exec chmod 755 {} +
find "$st" -type f -exec chmod 644 {} +
chmod 755 "$st/bootstrap" "$st/bin/$name"
[ -z "${loader:-}" ] || chmod 755 "$st/bundled/$loader"
find "$st" -exec touch -h -d "@$epoch" {} +
(cd "$st" && find . -mindepth 1 | sed 's|^\./||' | LC_ALL=C sort |
    TZ=UTC zip -X -q -@ "$part") || die "$out: zip failed"
mv -f "$part" "$out"
printf '%s\t%s bytes\n' "$out" "$(wc -c <"$out" | tr -d ' ')"
