#!/bin/sh
# check.sh -- what `make check` runs after installing what is missing:
# build; unit tests; the same under ASan+UBSan; every data-driven case
# (plain and sanitized); the XML attack corpus under resource limits; the
# example certificates; a 30 s smoke run of each fuzz target.  Each suite
# runs under `timeout`; its full output goes to build/check/SUITE.log.
# Ends with one line: "N passed, M failed".
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
logs=build/check
mkdir -p "$logs"
passed=0
failed=0
jobs=$(nproc 2>/dev/null || echo 2)
FUZZ_SMOKE=${FUZZ_SMOKE:-30}
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export CMOCKA_MESSAGE_OUTPUT=TAP

# suite NAME SECONDS COMMAND...: counts the TAP lines of its output; a
# suite that fails without saying which test (crash, timeout, build error)
# counts as one failure.
suite() {
	name=$1
	limit=$2
	shift 2
	timeout -k 10 "$limit" "$@" >"$logs/$name.log" 2>&1
	rc=$?
	p=$(grep -c '^ok ' "$logs/$name.log")
	f=$(grep -c '^not ok ' "$logs/$name.log")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
		[ "$rc" -eq 124 ] && echo "  $name: timed out after ${limit}s"
	fi
	passed=$((passed + p))
	failed=$((failed + f))
	printf '%-28s %4d passed, %d failed\n' "$name" "$p" "$f"
	if [ "$f" -ne 0 ]; then
		grep '^not ok ' "$logs/$name.log" | head -20 | sed 's/^/  /'
		[ "$rc" -ne 0 ] && tail -5 "$logs/$name.log" | sed 's/^/  | /'
	fi
}

suite build 900 make -j"$jobs" all unit
suite build-asan 900 make -j"$jobs" SANITIZE=address,undefined \
    O=build/asan BIN=build/asan/bin all unit
suite depcheck 60 sh scripts/depcheck.sh
# test_cert compares its pins with the openssl pipeline on these.
if sh certs-example/make-certs.sh --force "$logs/certs" >/dev/null 2>&1; then
	export HLX_CERT_DIR="$top/$logs/certs"
fi
suite unit 600 sh scripts/run-units.sh build/tests
suite unit-asan 900 sh scripts/run-units.sh build/asan/tests
suite cases 900 sh tests/run-cases.sh bin
suite cases-asan 1200 sh tests/run-cases.sh build/asan/bin
for t in tests/integration/*.sh; do
	[ -f "$t" ] || continue
	suite "$(basename "$t" .sh)" 900 sh "$t" bin
done
# The integration suites once more against the ASan+UBSan programs (not
# xml-attacks: its memory limits cannot hold ASan's shadow memory; not the
# suites that check files rather than run the programs: the example
# certificates, the manual pages, the systemd unit).
for t in tests/integration/*.sh; do
	[ -f "$t" ] || continue
	case "$t" in
	*/xml-attacks.sh|*/make-certs.sh|*/manpages.sh|*/systemd.sh) continue ;;
	esac
	suite "$(basename "$t" .sh)-asan" 1200 sh "$t" build/asan/bin
done
suite fuzz-build 900 make -j"$jobs" fuzz-build
suite fuzz-smoke $((FUZZ_SMOKE * 4 + 120)) sh scripts/fuzz.sh \
    build/fuzz/bin "$FUZZ_SMOKE"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
