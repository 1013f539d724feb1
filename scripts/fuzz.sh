#!/bin/sh
# fuzz.sh BINDIR SECONDS -- runs every libFuzzer target in BINDIR for SECONDS
# each, starting from the committed seed corpus (tests/fuzz/corpus/NAME/),
# in a scratch copy so that the repository is never written.  A crash,
# leak or timeout leaves its input in build/fuzz/findings/ and fails.
# Each target gets a scratch TMPDIR too (fuzz_request keeps a store there),
# removed afterwards even when the target crashed.
set -u
bindir=$1
secs=$2
top=$(cd "$(dirname "$0")/.." && pwd)
findings="$top/build/fuzz/findings"
mkdir -p "$findings"
n=0
fail=0
for t in "$bindir"/fuzz_*; do
	case "$t" in *.d) continue ;; esac
	[ -x "$t" ] || continue
	name=$(basename "$t")
	short=${name#fuzz_}
	work=$(mktemp -d)
	scratch=$(mktemp -d)
	[ -d "$top/tests/fuzz/corpus/$short" ] &&
	    cp -r "$top/tests/fuzz/corpus/$short/." "$work/"
	n=$((n + 1))
	TMPDIR="$scratch" "$t" -max_total_time="$secs" -timeout=10 \
	    -rss_limit_mb=2048 \
	    -max_len=65536 -print_final_stats=1 \
	    -artifact_prefix="$findings/$name-" "$work" \
	    >"$findings/$name.log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' \
	    "$findings/$name.log")
	if [ $rc -eq 0 ]; then
		echo "ok $n - $name: ${execs:-?} executions in ${secs}s, no finding"
	else
		fail=$((fail + 1))
		echo "not ok $n - $name: exit $rc, see $findings/$name.log"
		grep -E 'ERROR|SUMMARY' "$findings/$name.log" | head -3
	fi
	rm -rf "$work" "$scratch"
done
[ $n -gt 0 ] || { echo "not ok 1 - no fuzz target built"; exit 1; }
[ $fail -eq 0 ]
