#!/bin/sh
# demo.sh -- what `make demo` shows, as far as the gateway is built:
# example certificates for three hotlines, a case record of the Belgian
# hotline translated into the HLX/1 Referral it sends to the Dutch one and
# checked as the Dutch gateway will check it; then a live Belgian gateway
# on loopback receiving the Dutch hotline's referral over mutual TLS, with
# its Receipt, its hand-off file, the inbox, metrics and audit trail.
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

step "7. hlxd -n: the daemon checks its configuration"
bin/hlxd -c etc/hlx.conf -n

# A live gateway: hotline-be.example on loopback, a free port, its own
# store and hand-off directory under build/demo/gw.
gw="$out/gw"
rm -rf "$gw"
mkdir -p "$gw"
chmod 700 "$gw"
cat >"$gw/hlx.conf" <<EOF
[hotline]
id = hotline-be.example
country = BE
receive_for = BE
case_prefix = IN-
[listen]
address = 127.0.0.1:0
rate_limit = 100
[tls]
cert = $top/build/certs/hotline-be.example.crt
key = $top/build/certs/hotline-be.example.key
[storage]
path = $gw/hlx.db
audit_key = $gw/audit.key
min_free = 1M
[admin]
address = 127.0.0.1:0
[handoff]
dir = $gw/handoff
EOF

step "8. Register the Dutch hotline as a partner (its certificate's pin)"
bin/hlx -c "$gw/hlx.conf" peer add hotline-nl.example \
    --url https://127.0.0.1:9 --cert build/certs/hotline-nl.example.crt \
    --country NL
bin/hlx -c "$gw/hlx.conf" peer list

step "9. Start hlxd (foreground, logging to build/demo/gw/hlxd.log)"
bin/hlxd -c "$gw/hlx.conf" -f 2>"$gw/hlxd.log" &
pid=$!
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null' EXIT
port=""
for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
	port=$(sed -n 's/.*event=listening address=127.0.0.1:\([0-9]*\) .*/\1/p' "$gw/hlxd.log")
	[ -n "$port" ] && break
	sleep 0.25
done
[ -n "$port" ] || { cat "$gw/hlxd.log"; echo "demo: hlxd did not start" >&2; exit 1; }
admin=$(sed -n 's/.*admin=127.0.0.1:\([0-9]*\) .*/\1/p' "$gw/hlxd.log")
cat "$gw/hlxd.log"

step "10. The Dutch hotline refers a case hosted in Belgium (curl, mutual TLS)"
# The spec's example with a fresh SentAt, so that it is not stale.
now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
example="$shared/examples/referral-nl-to-be.xml"
[ -f "$example" ] || example=tests/integration/data/referral.xml
sed "s|<SentAt>[^<]*</SentAt>|<SentAt>$now</SentAt>|" "$example" \
    >"$out/referral-nl-to-be.xml"
curl -sS --cacert build/certs/ca.crt \
    --cert build/certs/hotline-nl.example.crt \
    --key build/certs/hotline-nl.example.key \
    -H 'Content-Type: application/xml' \
    --data-binary @"$out/referral-nl-to-be.xml" \
    -w '\n(HTTP %{http_code})\n' \
    "https://127.0.0.1:$port/hlx/1/messages"

step "11. The hand-off file for the Belgian case system (written before the 202)"
ls -l "$gw/handoff"
cat "$gw/handoff"/*.json

step "12. hlx inbox list: the received case and its deadline"
bin/hlx -c "$gw/hlx.conf" inbox list

step "13. A stranger's certificate (rogue.crt) is refused at the handshake"
curl -sS --cacert build/certs/ca.crt --cert build/certs/rogue.crt \
    --key build/certs/rogue.key -H 'Content-Type: application/xml' \
    --data-binary @"$out/referral-nl-to-be.xml" \
    "https://127.0.0.1:$port/hlx/1/messages" 2>&1 | head -2 || true

step "14. The admin listener: /healthz and some of /metrics"
curl -sS "http://127.0.0.1:$admin/healthz"
curl -sS "http://127.0.0.1:$admin/metrics" | grep '^hlx_messages_received_total'

step "15. The audit trail, verified"
bin/hlx -c "$gw/hlx.conf" audit list | tail -4
bin/hlx -c "$gw/hlx.conf" audit verify

kill -TERM "$pid"
wait "$pid" || true
trap - EXIT

printf '\nDemo done.  Next issues add delivery (hlxd sending to partners), so\n'
printf 'that two gateways on loopback exchange a whole case.\n'
