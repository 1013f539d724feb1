#!/bin/sh
# make-certs.sh BINDIR -- certs-example/make-certs.sh makes what
# operations.md §6 says: a CA, three hotline certificates that chain to it,
# a rogue one that does not, an expired one over hotline-nl's own key, keys
# 0600, and pins that equal the openssl pipeline's.  One TAP line a check.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0
fail=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); fail=$((fail + 1)); echo "not ok $n - $1: $2"; }
check() { if eval "$2" >/dev/null 2>&1; then ok "$1"; else notok "$1" "$2"; fi; }

pin() {
	openssl x509 -in "$1" -pubkey -noout | openssl pkey -pubin -outform der |
	    openssl dgst -sha256 -binary | base64
}

out="$tmp/certs"
if sh "$top/certs-example/make-certs.sh" "$out" >"$tmp/pins" 2>"$tmp/err"; then
	ok "make-certs.sh runs"
else
	notok "make-certs.sh runs" "$(head -1 "$tmp/err")"
	echo "1..$n"
	exit 1
fi
for h in hotline-be.example hotline-nl.example hotline-de.example; do
	check "$h.crt chains to ca.crt" \
	    "openssl verify -CAfile '$out/ca.crt' '$out/$h.crt'"
	check "$h.key is mode 0600" "[ \"\$(stat -c %a '$out/$h.key')\" = 600 ]"
	check "$h.crt names $h and 127.0.0.1" \
	    "openssl x509 -in '$out/$h.crt' -noout -ext subjectAltName | grep -q 'DNS:$h.*IP Address:127.0.0.1'"
	check "$h.crt is for both TLS server and client" \
	    "openssl x509 -in '$out/$h.crt' -noout -ext extendedKeyUsage | grep -q 'Server Authentication, TLS Web Client Authentication'"
	check "$h key is ECDSA P-256" \
	    "openssl x509 -in '$out/$h.crt' -noout -text | grep -q 'prime256v1'"
done
check "rogue.crt does not chain to ca.crt" \
    "! openssl verify -CAfile '$out/ca.crt' '$out/rogue.crt'"
check "rogue.crt names hotline-nl.example" \
    "openssl x509 -in '$out/rogue.crt' -noout -subject | grep -q hotline-nl.example"
check "expired.crt has expired" \
    "! openssl x509 -in '$out/expired.crt' -noout -checkend 0"
check "expired.crt is from the example CA" \
    "openssl verify -CAfile '$out/ca.crt' -no_check_time '$out/expired.crt'"
check "expired.crt has hotline-nl.example's pin" \
    "[ \"\$(pin '$out/expired.crt')\" = \"\$(pin '$out/hotline-nl.example.crt')\" ]"
check "rogue.crt's pin matches nobody's" \
    "[ \"\$(pin '$out/rogue.crt')\" != \"\$(pin '$out/hotline-nl.example.crt')\" ]"
for c in "$out"/*.crt; do
	name=$(basename "$c")
	check "printed pin of $name equals the openssl pipeline's" \
	    "grep -qx '$name sha256//$(pin "$c")' '$tmp/pins'"
done
check "a second run without --force refuses to overwrite keys" \
    "! sh '$top/certs-example/make-certs.sh' '$out'"
# No private key is tracked in the repository.
if (cd "$top" && git ls-files -z 2>/dev/null | xargs -0 grep -lE 'BEGIN ([A-Z]+ )?PRIVATE KEY' 2>/dev/null | grep -q .); then
	notok "no private key is committed" "$(cd "$top" && git ls-files -z | xargs -0 grep -lE 'BEGIN ([A-Z]+ )?PRIVATE KEY' | head -3)"
else
	ok "no private key is committed"
fi
echo "1..$n"
echo "make-certs: $((n - fail)) passed, $fail failed"
[ $fail -eq 0 ]
