#!/bin/sh
# run-cases.sh BINDIR -- the data-driven cases: one folder a case, no code.
#
#   tests/cases/record/valid/NAME/input.json + expected.xml
#       `hlx translate` must print exactly expected.xml (fixed recipient,
#       message id and time) and exit 0;
#   tests/cases/record/invalid/NAME/input.json + expected.err
#       it must print exactly the line of expected.err on stderr, exit 65;
#   tests/cases/message/{valid,invalid}/NAME/input.xml + expected
#       `hlx validate` must say "valid" (exit 0) or fail with the Error code
#       in expected (exit 65) -- and, if the folder holds `detail` (one
#       line), with a detail that contains that text.
# A record case may hold `recipient` (one line) to translate to another
# partner.  Prints one TAP line per case.
set -u
bindir=$(cd "${1:-bin}" && pwd)
top=$(cd "$(dirname "$0")/.." && pwd)
conf="$top/tests/hlx-test.conf"
hlx="$bindir/hlx"
n=0
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); fail=$((fail + 1)); echo "not ok $n - $1: $2"; }

for dir in "$top"/tests/cases/record/valid/*/; do
	[ -d "$dir" ] || continue
	name="record/valid/$(basename "$dir")"
	recipient=hotline-nl.example
	[ -f "$dir/recipient" ] && recipient=$(cat "$dir/recipient")
	(cd "$dir" && "$hlx" -c "$conf" translate input.json \
	    --recipient "$recipient" \
	    --message-id 00000000-0000-4000-8000-000000000001 \
	    --sent-at 2026-11-28T12:00:00Z) >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ $rc -ne 0 ]; then
		notok "$name" "exit $rc: $(head -1 "$tmp/err")"
	elif ! cmp -s "$tmp/out" "$dir/expected.xml"; then
		notok "$name" "output differs: $(diff "$dir/expected.xml" "$tmp/out" | head -3 | tr '\n' ' ')"
	else
		ok "$name"
	fi
done

for dir in "$top"/tests/cases/record/invalid/*/; do
	[ -d "$dir" ] || continue
	name="record/invalid/$(basename "$dir")"
	(cd "$dir" && "$hlx" -c "$conf" translate input.json \
	    --recipient hotline-nl.example \
	    --message-id 00000000-0000-4000-8000-000000000001 \
	    --sent-at 2026-11-28T12:00:00Z) >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ $rc -ne 65 ]; then
		notok "$name" "exit $rc, expected 65: $(head -1 "$tmp/err")"
	elif [ -s "$tmp/out" ]; then
		notok "$name" "printed a message although the record is invalid"
	elif ! cmp -s "$tmp/err" "$dir/expected.err"; then
		notok "$name" "got: $(head -1 "$tmp/err") -- expected: $(head -1 "$dir/expected.err")"
	else
		ok "$name"
	fi
done

for dir in "$top"/tests/cases/message/valid/*/ "$top"/tests/cases/message/invalid/*/; do
	[ -d "$dir" ] || continue
	kind=$(basename "$(dirname "$dir")")
	name="message/$kind/$(basename "$dir")"
	want=$(cat "$dir/expected")
	(cd "$dir" && "$hlx" -c "$conf" validate input.xml) >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$want" = valid ]; then
		if [ $rc -eq 0 ] && [ "$(cat "$tmp/out")" = valid ]; then
			ok "$name"
		else
			notok "$name" "exit $rc: $(head -1 "$tmp/err")"
		fi
		continue
	fi
	got=$(sed -n 's/^hlx: input.xml: \([A-Z_]*\): .*/\1/p' "$tmp/err" | head -1)
	if [ $rc -eq 65 ] && [ "$got" = "$want" ] && [ -f "$dir/detail" ] &&
	    ! grep -qF -- "$(cat "$dir/detail")" "$tmp/err"; then
		notok "$name" "the detail does not say \"$(cat "$dir/detail")\": $(head -1 "$tmp/err")"
	elif [ $rc -eq 65 ] && [ "$got" = "$want" ]; then
		ok "$name"
	else
		notok "$name" "exit $rc, got ${got:-nothing}, expected $want: $(head -1 "$tmp/err")"
	fi
done

echo "1..$n"
echo "cases: $((n - fail)) passed, $fail failed"
[ $fail -eq 0 ]
