#!/bin/sh
# kinesis-loop.sh: follow one Kinesis shard with `aws kinesis get-records`
# and write every response, as the CLI prints it, to standard output, so a
# pipeline runs continuously:
#
#   scripts/kinesis-loop.sh --stream S --shard shardId-000000000000 \
#       --state /var/lib/ddblake/S.0.seq |
#   ddbflat | ddbbatch --gzip --dir /var/spool/ddblake |
#   s3put --remove s3://bucket/lake/
#
# It asks for a shard iterator first (--from), then follows
# NextShardIterator; an empty response is passed on too (ddbflat reads it
# as no records) and the loop sleeps --sleep before asking again. It stops
# when the shard is closed (no NextShardIterator), after --iterations
# responses, or on SIGTERM/SIGINT (after the response in hand is written).
#
# With --state FILE, the sequence number of the last record written goes
# into FILE (atomically, after the response was written), and a restart
# (say from cron) resumes AFTER_SEQUENCE_NUMBER of it (AT_ with
# --resume-at), whatever --from says. An expired iterator is renewed the
# same way. One loop per shard: scale out with one pipeline per shard.
#
# Options:
#   --stream NAME          stream name (required)
#   --shard ID             shard id (required), e.g. shardId-000000000000
#   --from POSITION        trim-horizon (default), latest, at=SEQ, after=SEQ
#   --state FILE           remember the last sequence number here
#   --resume-at            resume AT the remembered number (re-reads it)
#                          instead of AFTER it
#   --limit N              records per get-records call (default 1000)
#   --sleep SECONDS        pause after an empty response (default 1)
#   --iterations N         stop after N get-records calls (default: never)
#   --endpoint-url URL     Kinesis endpoint (kinesalite, VPC endpoint)
#   --region REGION        passed to awscli
#
# Environment: AWS (the awscli command, default `aws`), and whatever awscli
# reads (credentials, AWS_REGION, AWS_PROFILE). Needs jq.
# Exit: 0 stopped as asked or shard closed, 2 usage, 6 awscli failed at the
# start or kept failing (10 tries) later.
set -eu

die() { echo "kinesis-loop.sh: $*" >&2; exit "${2:-2}"; }
usage() { sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//'; }

stream='' shard='' from=trim-horizon state='' resume=AFTER limit=1000 pause=1
iterations='' endpoint='' region=''
while [ $# -gt 0 ]; do
	case $1 in
	--stream) stream=${2:?}; shift ;;
	--shard) shard=${2:?}; shift ;;
	--from) from=${2:?}; shift ;;
	--state) state=${2:?}; shift ;;
	--resume-at) resume=AT ;;
	--limit) limit=${2:?}; shift ;;
	--sleep) pause=${2:?}; shift ;;
	--iterations) iterations=${2:?}; shift ;;
	--endpoint-url) endpoint=${2:?}; shift ;;
	--region) region=${2:?}; shift ;;
	-h|--help) usage; exit 0 ;;
	*) echo "kinesis-loop.sh: unknown option: $1" >&2
	   echo "try 'kinesis-loop.sh --help'" >&2; exit 2 ;;
	esac
	shift
done
[ -n "$stream" ] || die "--stream is required"
[ -n "$shard" ] || die "--shard is required"
case $from in
trim-horizon|latest|at=?*|after=?*) ;;
*) die "--from: trim-horizon, latest, at=SEQ or after=SEQ: $from" ;;
esac
case $limit in ''|*[!0-9]*|0) die "--limit: a number from 1 to 10000: $limit" ;; esac
case $iterations in *[!0-9]*) die "--iterations: a number: $iterations" ;; esac

aws() {
	# shellcheck disable=SC2086
	${AWS:-command aws} ${endpoint:+--endpoint-url "$endpoint"} \
	    ${region:+--region "$region"} --output json kinesis "$@" </dev/null
}

stop=
trap 'stop=1' TERM INT HUP

# A fresh iterator: after (or at) the remembered sequence number, else
# from --from.
iterator() {
	last=
	[ -z "$state" ] || [ ! -s "$state" ] || last=$(cat "$state")
	if [ -n "$last" ]; then
		set -- --shard-iterator-type "${resume}_SEQUENCE_NUMBER" \
		    --starting-sequence-number "$last"
	else
		case $from in
		trim-horizon) set -- --shard-iterator-type TRIM_HORIZON ;;
		latest) set -- --shard-iterator-type LATEST ;;
		at=*) set -- --shard-iterator-type AT_SEQUENCE_NUMBER \
		    --starting-sequence-number "${from#at=}" ;;
		after=*) set -- --shard-iterator-type AFTER_SEQUENCE_NUMBER \
		    --starting-sequence-number "${from#after=}" ;;
		esac
	fi
	_r=$(aws get-shard-iterator --stream-name "$stream" --shard-id "$shard" "$@") ||
	    return 1
	printf '%s\n' "$_r" | jq -er .ShardIterator
}

tries=0
it=
n=0
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
while [ -z "$stop" ]; do
	if [ -z "$it" ]; then
		if ! it=$(iterator); then
			# Before anything worked it is a configuration error
			# (region, credentials, no such stream): say so now.
			[ "$n" -gt 0 ] || die "get-shard-iterator failed" 6
			tries=$((tries + 1))
			[ "$tries" -lt 10 ] || die "get-shard-iterator kept failing" 6
			sleep "$tries"
			continue
		fi
	fi
	if ! aws get-records --shard-iterator "$it" --limit "$limit" >"$tmp"; then
		# Expired iterator, throttling, network: renew from the state.
		[ "$n" -gt 0 ] || die "get-records failed" 6
		tries=$((tries + 1))
		[ "$tries" -lt 10 ] || die "get-records kept failing" 6
		it=
		sleep "$tries"
		continue
	fi
	tries=0
	n=$((n + 1))
	cat "$tmp"
	seq=$(jq -r '.Records[-1].SequenceNumber // empty' "$tmp")
	if [ -n "$seq" ] && [ -n "$state" ]; then
		printf '%s\n' "$seq" >"$state.tmp"
		mv -f "$state.tmp" "$state"
	fi
	it=$(jq -r '.NextShardIterator // empty' "$tmp")
	[ -n "$it" ] || break   # the shard is closed and read to its end
	[ -z "$iterations" ] || [ "$n" -lt "$iterations" ] || break
	[ -n "$seq" ] || [ -n "$stop" ] || sleep "$pause"
done
exit 0
