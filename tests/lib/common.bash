# Shared set-up for the bats suites: binaries from $DDBLAKE_BIN first on
# PATH, bats-support and bats-assert loaded, fixtures at $DATA.
bats_require_minimum_version 1.5.0
bats_load_library bats-support
bats_load_library bats-assert

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
: "${DDBLAKE_BIN:=$TOP/build}"
PATH="$DDBLAKE_BIN:$PATH"
DATA="$TOP/tests/data"
export TOP DATA PATH

# Every output line is a JSON object (checked with jq, an independent
# parser).
assert_json_lines() {
	run jq -e -s 'all(.[]; type == "object")' "$1"
	assert_success
}

# The toolkit's one version, as lib/msg.h declares it.
tool_version() {
	sed -n 's/^#define DDBLAKE_VERSION "\(.*\)"$/\1/p' "$TOP/lib/msg.h"
}
