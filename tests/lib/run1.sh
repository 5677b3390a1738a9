#!/bin/sh
# run1.sh BASE: run the test file named in BASE.name; TAP to BASE.tap,
# stderr to BASE.err, exit status to BASE.rc. Used by tests/run.sh.
f=$(cat "$1.name")
case $f in
*.bats) bats --tap "$f" >"$1.tap" 2>"$1.err" </dev/null ;;
*) "$f" >"$1.tap" 2>"$1.err" </dev/null ;;
esac
echo $? >"$1.rc"
