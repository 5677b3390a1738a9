#!/bin/sh
# export-backfill.sh: turn a downloaded DynamoDB export (full or
# incremental, DYNAMODB_JSON) into lake objects with the same layout as the
# stream:
#
#   scripts/export-backfill.sh [options] EXPORT s3://bucket/lake/ [-- S3PUT-OPTIONS]
#
# EXPORT is the AWSDynamoDB/<ExportId> folder (manifest-summary.json,
# manifest-files.json, data/*.json.gz) or a folder holding exactly one such
# export. Data files are taken from manifest-files.json (dataFileS3Key,
# resolved as given, relative to the export's prefix, or by name under
# data/) and converted JOBS at a time, each by its own
#
#   ddbflat FILE | ddbbatch --gzip --dir SPOOL/job-N --partition ...
#
# pipeline (one pipe per ddbflat: parallel writers into one pipe could
# interleave long lines). ddbflat reads the gzip files directly, so the
# export is never written uncompressed to disk. Then one s3put uploads the
# finished batches (--remove). The item count is checked against
# manifest-summary.json's itemCount and each file's against its manifest
# line; a mismatch is reported and makes the exit status 1.
#
# The default partition is table_name=<table from tableArn>/dt=<date>, the
# date being the change time for incremental exports and the export time
# for full ones, so backfill and stream land side by side.
#
# Options:
#   -j, --jobs N         conversions in parallel (default: the number of CPUs)
#   -d, --dir SPOOL      work folder (default ./backfill-spool); rerunning
#                        over the same folder uploads what is left
#   -p, --partition PROG ddbbatch --partition program instead of the default
#   -s, --max-bytes SIZE ddbbatch --max-bytes (default 64M: exports are big)
# Everything after -- goes to s3put (e.g. --endpoint-url, --acl).
# Exit: 0 done, 1 a count mismatch or a file failed, 2 usage, else s3put's.
set -eu

die() { echo "export-backfill.sh: $*" >&2; exit "${2:-2}"; }
usage() { sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//'; }

bin=${DDBLAKE_BIN:-$(cd "$(dirname "$0")/.." && pwd)/build}
jobs=$(nproc 2>/dev/null || echo 2)
spool=./backfill-spool
part=''
maxbytes=64M
while [ $# -gt 0 ]; do
	case $1 in
	-j|--jobs) jobs=${2:?}; shift ;;
	-d|--dir) spool=${2:?}; shift ;;
	-p|--partition) part=${2:?}; shift ;;
	-s|--max-bytes) maxbytes=${2:?}; shift ;;
	-h|--help) usage; exit 0 ;;
	--) break ;;
	-*) echo "export-backfill.sh: unknown option: $1" >&2
	    echo "try 'export-backfill.sh --help'" >&2; exit 2 ;;
	*) break ;;
	esac
	shift
done
[ $# -ge 2 ] || die "usage: export-backfill.sh [options] EXPORT s3://bucket/prefix/ [-- S3PUT-OPTIONS]"
exp=$1 dest=$2
shift 2
[ "${1:-}" != -- ] || shift
case $jobs in ''|*[!0-9]*|0) die "--jobs: a positive number: $jobs" ;; esac

if [ ! -f "$exp/manifest-summary.json" ]; then
	set -- "$exp"/AWSDynamoDB/*/manifest-summary.json "$@"
	[ -f "$1" ] || die "$exp: no manifest-summary.json (nor AWSDynamoDB/*/)" 1
	exp=${1%/manifest-summary.json}
	shift
fi
summary=$exp/manifest-summary.json
files=$exp/manifest-files.json
[ -f "$files" ] || die "$files: missing" 1
want=$(jq -er '.itemCount' "$summary") || die "$summary: no itemCount" 1
fmt=$(jq -r '.outputFormat // "DYNAMODB_JSON"' "$summary")
[ "$fmt" = DYNAMODB_JSON ] || die "$summary: outputFormat $fmt: only DYNAMODB_JSON is read" 1

if [ -z "$part" ]; then
	part=$(jq -r '
	    ((.tableArn // "") | sub(".*:table/"; "") | sub("/.*"; "")) as $t |
	    ((.exportTime // .startTime // "") | .[0:10]) as $d |
	    "{table_name: \($t | @json), dt: ((._ddb_ts // \($d | @json))[0:10])}"
	    ' "$summary")
fi

# The export prefix (the folder that holds AWSDynamoDB/) for keys that
# start with AWSDynamoDB/.
root=$(cd "$exp/../.." && pwd)
mkdir -p "$spool"
list=$spool/files.tsv
: >"$list"
i=0
jq -r '[.dataFileS3Key, .itemCount // -1] | @tsv' "$files" |
while IFS="$(printf '\t')" read -r key count; do
	i=$((i + 1))
	f=
	for c in "$key" "$exp/$key" "$root/$key" "$exp/data/${key##*/}"; do
		[ -f "$c" ] && { f=$c; break; }
	done
	[ -n "$f" ] || die "$key: data file not found under $exp" 1
	printf '%s\t%s\t%s\n' "$i" "$count" "$f" >>"$list"
done
nfiles=$(wc -l <"$list")
echo "export-backfill.sh: $nfiles data files, $want items, $jobs jobs" >&2

# One pipeline per data file, JOBS at a time; each writes its batch paths
# and both tools' stats into the spool.
export bin spool part maxbytes
# shellcheck disable=SC2016
cut -f1,3 "$list" | tr '\t' '\n' |
xargs -n 2 -P "$jobs" sh -c '
	d=$spool/job-$1
	"$bin/ddbflat" --stats "$d.flat" "$2" |
	"$bin/ddbbatch" --gzip --dir "$d" --max-bytes "$maxbytes" \
	    --partition "$part" --stats "$d.batch" >"$d.paths"
' sh

# Counts per file and in total; a function so that "$@" (s3put's options)
# survives the set -- below.
check() {
st=0
got=0
while IFS="$(printf '\t')" read -r n count f; do
	out=$(jq -r '"\(.exit) \(.records_out) \(.records_failed)"' "$spool/job-$n.flat" 2>/dev/null) ||
	    out='? 0 ?'
	bst=$(jq -r .exit "$spool/job-$n.batch" 2>/dev/null) || bst='?'
	# shellcheck disable=SC2086
	set -- $out
	got=$((got + $2))
	if [ "$1" != 0 ] || [ "$bst" != 0 ]; then
		echo "export-backfill.sh: $f: ddbflat exit $1 ($3 failed), ddbbatch exit $bst" >&2
		st=1
	fi
	if [ "$count" != -1 ] && [ "$count" != "$2" ]; then
		echo "export-backfill.sh: $f: $2 items, manifest says $count" >&2
		st=1
	fi
done <"$list"
if [ "$got" != "$want" ]; then
	echo "export-backfill.sh: count mismatch: $got items converted, manifest-summary.json says $want" >&2
	st=1
else
	echo "export-backfill.sh: $got items converted, as manifest-summary.json says" >&2
fi
return "$st"
}
st=0
check || st=$?

# Upload every finished batch (also those a previous run left behind).
find "$spool" -path '*/job-*' -name '*.json.gz' ! -name '.*' | LC_ALL=C sort |
"$bin/s3put" --remove "$@" "$dest" || exit $?
exit "$st"
