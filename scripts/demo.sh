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

# until DIR's outbox has COUNT delivered TYPE messages of CASE
delivered() {	# DIR CASE TYPE [COUNT]
	for _ in $(seq 1 40); do
		[ "$(bin/hlx -c "$1/hlx.conf" outbox list --state delivered --json |
		    python3 -c 'import json, sys; print(sum(1 for r in json.load(sys.stdin) if r["case"] == sys.argv[1] and r["type"] == sys.argv[2]))' "$2" "$3")" -ge "${4:-1}" ] && return 0
		sleep 0.25
	done
	echo "demo: no $3 of $2 delivered from $1" >&2
	bin/hlx -c "$1/hlx.conf" outbox list >&2
	exit 1
}
cid=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["case_id"])' "$case_json")
nlcase=$(bin/hlx -c "$nl/hlx.conf" inbox list --json |
    python3 -c 'import json, sys; print(json.load(sys.stdin)[0]["case"])')

step "12. The Dutch hotline assesses the case under Dutch law (hlx case assess)"
cat >"$out/assessment.json" <<EOF
{"assessed_at": "$(date -u +%Y-%m-%dT%H:%M:%SZ)", "severity": "high",
 "items": [{"content_url": "http://gallery.example.net/img/77-1.jpg",
            "national_verdict": {"jurisdiction": "NL", "status": "illegal"},
            "agrees_with_sender": true}]}
EOF
cat "$out/assessment.json"
bin/hlx -c "$nl/hlx.conf" case assess "$nlcase" "$out/assessment.json"
delivered "$nl" "$nlcase" Assessment

step "13. NL reports forwarded_to_lea, then content_removed (hlx case update)"
bin/hlx -c "$nl/hlx.conf" case update "$nlcase" --state forwarded_to_lea \
    --observed-by analyst
bin/hlx -c "$nl/hlx.conf" case update "$nlcase" --state content_removed \
    --observed-by crawler --reason "gone at the host"
delivered "$nl" "$nlcase" StatusUpdate 2
echo "The Dutch hand-off is acknowledged (no longer overdue):"
bin/hlx -c "$nl/hlx.conf" inbox list

step "14. Belgium learns it all from its event feed (hlx events)"
bin/hlx -c "$be/hlx.conf" events

step "15. Belgium amends a second case (hlx case amend)"
python3 - "$case_json" "$out/case2.json" "$out/case2-amended.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
r["case_id"] = r["case_id"] + "-B"
json.dump(r, open(sys.argv[2], "w"))
r["severity"] = "critical"
json.dump(r, open(sys.argv[3], "w"))
PY
bin/hlx -c "$be/hlx.conf" submit "$out/case2.json"
delivered "$be" "$cid-B" Referral
bin/hlx -c "$be/hlx.conf" case amend "$cid-B" "$out/case2-amended.json"
delivered "$be" "$cid-B" Referral 2
nlcase2=$(bin/hlx -c "$nl/hlx.conf" inbox list --json | python3 -c '
import json, sys
print([r["case"] for r in json.load(sys.stdin) if r["their_case_ref"].endswith("-B")][0])')
echo "NL's hand-off file after the amendment:"
python3 -c 'import json, sys; h = json.load(open(sys.argv[1])); print("  severity:", h["severity"], " handoff:", h["handoff"])' "$nl/handoff/$nlcase2.json"

step "16. ... and withdraws it (hlx case withdraw)"
bin/hlx -c "$be/hlx.conf" case withdraw "$cid-B" --reason "reported in error"
delivered "$be" "$cid-B" Withdraw
echo "NL's hand-off file after the withdrawal:"
python3 -c 'import json, sys; h = json.load(open(sys.argv[1])); print("  handoff:", h["handoff"])' "$nl/handoff/$nlcase2.json"
bin/hlx -c "$nl/hlx.conf" case show "$nlcase2"

step "17. The Dutch hotline refers a case hosted in Belgium, by hand with curl"

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

step "18. A stranger's certificate (rogue.crt) is refused at the handshake"
curl -sS --cacert build/certs/ca.crt --cert build/certs/rogue.crt \
    --key build/certs/rogue.key -H 'Content-Type: application/xml' \
    --data-binary @"$out/referral-nl-to-be.xml" \
    "https://127.0.0.1:$beport/hlx/1/messages" 2>&1 | head -2 || true

step "19. The Belgian admin listener: /healthz and the message counters"
curl -sS "http://127.0.0.1:$beadmin/healthz"
curl -sS "http://127.0.0.1:$beadmin/metrics" | grep -E '^hlx_messages_(received|sent)_total'

step "20. The Belgian audit trail, verified"
bin/hlx -c "$be/hlx.conf" audit list | tail -5
bin/hlx -c "$be/hlx.conf" audit verify

step "21. The first case as Belgium sees it (hlx case show)"
bin/hlx -c "$be/hlx.conf" case show "$cid"

step "22. The yearly figures (hlx stats): Belgium, then the Netherlands"
bin/hlx -c "$be/hlx.conf" stats
bin/hlx -c "$nl/hlx.conf" stats

for p in $pids; do kill -TERM "$p"; done
wait 2>/dev/null || true
trap - EXIT

printf '\nDemo done: a case crossed from the Belgian gateway to the Dutch one,\n'
printf 'was assessed and its content removed; another was amended and\n'
printf 'withdrawn; a third came the other way.\n'
