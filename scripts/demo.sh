#!/bin/sh
# demo.sh -- what `make demo` shows, as far as the gateway is built:
# example certificates for three hotlines, a case record of the Belgian
# hotline translated into the HLX/1 Referral it sends to the Dutch one, and
# that Referral checked as the Dutch gateway will check it (hlx validate,
# then xmllint against the published schema).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
shared="$top/../shared"
case_json="$shared/examples/case-nl.json"
[ -f "$case_json" ] || case_json="$top/tests/cases/record/valid/case-nl/input.json"
out="$top/build/demo"
mkdir -p "$out"

step() { printf '\n== %s\n' "$*"; }

step "1. Example certificates (certs-example/make-certs.sh build/certs)"
if [ -f build/certs/ca.key ]; then
	echo "(already made; pins:)"
	for c in build/certs/hotline-*.crt; do
		printf '%s sha256//%s\n' "$(basename "$c")" "$(openssl x509 -in "$c" \
		    -pubkey -noout | openssl pkey -pubin -outform der |
		    openssl dgst -sha256 -binary | openssl base64 -A)"
	done
else
	sh certs-example/make-certs.sh build/certs
fi

step "2. The case record the Belgian case system hands over ($(basename "$case_json"))"
echo "   case $(sed -n 's/.*"case_id": *"\([^"]*\)".*/\1/p' "$case_json"), hosted in" \
    "$(sed -n 's/.*"country": *"\([A-Z][A-Z]\)".*/\1/p' "$case_json" | head -1);" \
    "its \"internal\" member stays home."

step "3. hlx translate: the Referral for hotline-nl.example"
bin/hlx -c etc/hlx.conf translate "$case_json" \
    --recipient hotline-nl.example >"$out/referral.xml"
cat "$out/referral.xml"
if grep -q '"internal"' "$case_json" &&
    grep -q 'internal note' "$out/referral.xml"; then
	echo "demo: the internal member leaked into the message" >&2
	exit 1
fi
echo "(nothing of \"internal\" is in it)"

step "4. hlx validate: checked as the receiving gateway will check it"
bin/hlx -c etc/hlx.conf validate "$out/referral.xml"

step "5. xmllint against schemas/hlx-1.xsd"
xmllint --noout --nonet --schema schemas/hlx-1.xsd "$out/referral.xml"

step "6. A hostile message is refused (a DOCTYPE with an entity)"
printf '<?xml version="1.0"?>\n<!DOCTYPE m [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n<Message xmlns="urn:x-hlx:1" version="1.0">&x;</Message>\n' \
    >"$out/hostile.xml"
bin/hlx -c etc/hlx.conf validate "$out/hostile.xml" || true

step "7. hlxd -n: the daemon checks its configuration (the listener comes later)"
bin/hlxd -c etc/hlx.conf -n

printf '\nDemo done.  Next issues grow this into two gateways on loopback\n'
printf 'exchanging a whole case over mutual TLS.\n'
