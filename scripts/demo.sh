#!/bin/sh
# demo.sh -- what `make demo` shows, as far as the gateway is built:
# example certificates for three hotlines, a case record of the Belgian
# hotline translated into the HLX/1 Referral it sends to the Dutch one and
# checked as the Dutch gateway will check it; then two live gateways on
# loopback: the Belgian one delivers the case to the Dutch one (hand-off
# file, inbox), and receives the Dutch example referral sent with curl;
# Receipts, metrics and the audit trail.
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

# Two live gateways on loopback: hotline-be.example and hotline-nl.example,
# each with its own store and hand-off directory under build/demo/, on free
# ports.
gwconf() {	# DIR ID COUNTRY
	mkdir -p "$1"
	chmod 700 "$1"
	cat >"$1/hlx.conf" <<EOF
[hotline]
id = $2
country = $3
receive_for = $3
case_prefix = IN-
[listen]
address = 127.0.0.1:${4:-0}
rate_limit = 100
[tls]
cert = $top/build/certs/$2.crt
key = $top/build/certs/$2.key
[storage]
path = $1/hlx.db
audit_key = $1/audit.key
min_free = 1M
[admin]
address = 127.0.0.1:0
[delivery]
backoff_min = 1s
backoff_max = 5s
[handoff]
dir = $1/handoff
EOF
}

# start DIR: hlxd in the foreground, its port in $port, admin in $admin
start() {
	bin/hlxd -c "$1/hlx.conf" -f 2>"$1/hlxd.log" &
	pids="$pids $!"
	port=""
	for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
		port=$(sed -n 's/.*event=listening address=127.0.0.1:\([0-9]*\) .*/\1/p' "$1/hlxd.log")
		[ -n "$port" ] && break
		sleep 0.25
	done
	[ -n "$port" ] || { cat "$1/hlxd.log"; echo "demo: hlxd did not start" >&2; exit 1; }
	admin=$(sed -n 's/.*admin=127.0.0.1:\([0-9]*\) .*/\1/p' "$1/hlxd.log")
}

pids=""
trap 'for p in $pids; do kill "$p" 2>/dev/null; done; wait 2>/dev/null' EXIT
be="$out/be"
nl="$out/nl"
rm -rf "$be" "$nl"
gwconf "$be" hotline-be.example BE
gwconf "$nl" hotline-nl.example NL

step "8. Start the Dutch gateway, and the Belgian one"
start "$nl"
nlport=$port
start "$be"
beport=$port
beadmin=$admin
echo "hotline-nl.example listens on 127.0.0.1:$nlport, hotline-be.example on 127.0.0.1:$beport"

step "9. Each registers the other: URL and certificate (its pin)"
bin/hlx -c "$nl/hlx.conf" peer add hotline-be.example \
    --url "https://127.0.0.1:$beport" \
    --cert build/certs/hotline-be.example.crt --country BE
bin/hlx -c "$be/hlx.conf" peer add hotline-nl.example \
    --url "https://127.0.0.1:$nlport" \
    --cert build/certs/hotline-nl.example.crt --country NL
sleep 1		# each gateway takes peer changes within a second

step "10. The Belgian case system submits a case hosted in the Netherlands"
bin/hlx -c "$be/hlx.conf" submit "$case_json"
for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
	bin/hlx -c "$be/hlx.conf" outbox list --state delivered | grep -q . && break
	sleep 0.5
done
bin/hlx -c "$be/hlx.conf" outbox list

step "11. It crossed: the Dutch gateway's hand-off file for its case system"
ls -l "$nl/handoff"
cat "$nl/handoff"/*.json
if grep -q 'internal note' "$nl/handoff"/*.json; then
	echo "demo: the internal member crossed the border" >&2
	exit 1
fi
echo "(no \"internal\": it never left the Belgian gateway)"
bin/hlx -c "$nl/hlx.conf" inbox list

step "12. The Dutch hotline refers a case hosted in Belgium, by hand with curl"
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
    "https://127.0.0.1:$beport/hlx/1/messages"
echo "The Belgian hand-off file:"
cat "$be/handoff"/IN-*.json

step "13. A stranger's certificate (rogue.crt) is refused at the handshake"
curl -sS --cacert build/certs/ca.crt --cert build/certs/rogue.crt \
    --key build/certs/rogue.key -H 'Content-Type: application/xml' \
    --data-binary @"$out/referral-nl-to-be.xml" \
    "https://127.0.0.1:$beport/hlx/1/messages" 2>&1 | head -2 || true

step "14. The Belgian admin listener: /healthz and the message counters"
curl -sS "http://127.0.0.1:$beadmin/healthz"
curl -sS "http://127.0.0.1:$beadmin/metrics" | grep -E '^hlx_messages_(received|sent)_total'

step "15. The Belgian audit trail, verified"
bin/hlx -c "$be/hlx.conf" audit list | tail -5
bin/hlx -c "$be/hlx.conf" audit verify

for p in $pids; do kill -TERM "$p"; done
wait 2>/dev/null || true
trap - EXIT

printf '\nDemo done: a case crossed from the Belgian gateway to the Dutch one and\n'
printf 'another the other way.  The case lifecycle (assessment, status,\n'
printf 'withdrawal, re-routing) comes with the next issue.\n'
