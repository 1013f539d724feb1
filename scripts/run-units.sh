#!/bin/sh
# run-units.sh DIR -- runs every unit test program in DIR (cmocka, TAP
# output when CMOCKA_MESSAGE_OUTPUT=TAP); fails if any fails.
set -u
rc=0
found=0
for t in "$1"/test_*; do
	case "$t" in *.d) continue ;; esac
	[ -x "$t" ] || continue
	found=1
	echo "# $t"
	"$t" || rc=1
done
[ $found -eq 1 ] || { echo "not ok 1 - no unit test in $1"; exit 1; }
exit $rc
