#!/bin/sh
# case-checks.sh BINDIR -- what the protocol forbids a message to do to a
# case, refused or kept harmless (issue 13, items 2, 3 and 8a;
# protocol.md §2.1, §2.3, §2.4).
#
# Two gateways on loopback: BE (the issuer) and NL (BE's route for NL).
#  - a far-future StateAt or AssessedAt: 400 SCHEMA_INVALID naming the
#    element, over the wire; `hlx case update --at` and `hlx case assess`
#    refuse a time more than 10 minutes ahead (65), and take one within;
#  - a test Referral amendment of a real case: 202, recorded, not applied;
#  - a Withdraw naming every item still in a case: the whole case is
#    withdrawn, on the receiving side (a Withdraw sent by hand) and on the
#    sending side (`hlx case withdraw --content-url` naming them all, at
#    once or in two steps).
# Messages a gateway would never build are POSTed by hand with curl and the
# partners' own certificates.  Synthetic data only.  One TAP line a check.
# shellcheck disable=SC2016
set -u
bindir=$(cd "${1:-bin}" && pwd)
top=$(cd "$(dirname "$0")/../.." && pwd)
hlx="$bindir/hlx"
hlxd="$bindir/hlxd"
tmp=$(mktemp -d)
trap 'for p in $(cat "$tmp/pids" 2>/dev/null); do kill "$p" 2>/dev/null; done; sleep 0.5; rm -rf "$tmp"' EXIT
n=0
fail=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); fail=$((fail + 1)); echo "not ok $n - $1: $2"; }
check() { if [ -z "$2" ]; then ok "$1"; else notok "$1" "$2"; fi; }

for tool in curl python3 openssl; do
	command -v "$tool" >/dev/null 2>&1 || { echo "Bail out! $tool is needed"; exit 2; }
done
certs=$tmp/certs
sh "$top/certs-example/make-certs.sh" "$certs" >/dev/null || exit 2

conf() {	# NAME ID COUNTRY
	mkdir -p -m 700 "$tmp/$1"
	cat >"$tmp/$1/hlx.conf" <<CONF
[hotline]
id = $2
country = $3
[listen]
address = 127.0.0.1:0
rate_limit = 1000
[tls]
cert = $certs/$2.crt
key = $certs/$2.key
[storage]
path = $tmp/$1/hlx.db
audit_key = $tmp/$1/audit.key
min_free = 1M
[admin]
address = 127.0.0.1:0
[delivery]
backoff_min = 1s
backoff_max = 2s
[handoff]
dir = $tmp/$1/handoff
CONF
}
start() {	# NAME: starts its hlxd, prints its port
	: >"$tmp/$1/log"
	"$hlxd" -c "$tmp/$1/hlx.conf" -f >/dev/null 2>"$tmp/$1/log" &
	echo $! >"$tmp/$1/pid"
	echo $! >>"$tmp/pids"
	for _ in $(seq 1 50); do
		grep -q event=listening "$tmp/$1/log" && break
		sleep 0.1
	done
	sed -n 's/.*event=listening address=127.0.0.1:\([0-9]*\) .*/\1/p' "$tmp/$1/log"
}
conf be hotline-be.example BE
conf nl hotline-nl.example NL
be=$(start be)
nl=$(start nl)
[ -n "$be" ] && [ -n "$nl" ] || { echo "Bail out! a gateway did not start"; exit 2; }
add() {	# ON ID PORT COUNTRY
	"$hlx" -c "$tmp/$1/hlx.conf" peer add "$2" --url "https://127.0.0.1:$3" \
	    --cert "$certs/$2.crt" --country "$4" >/dev/null
}
add be hotline-nl.example "$nl" NL
add nl hotline-be.example "$be" BE
sleep 1.2

BE() { "$hlx" -c "$tmp/be/hlx.conf" "$@"; }
NL() { "$hlx" -c "$tmp/nl/hlx.conf" "$@"; }

wait_for() {	# SECONDS COMMAND...: until it succeeds
	t=$1
	shift
	i=0
	while [ $i -lt $((t * 4)) ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.25
		i=$((i + 1))
	done
	return 1
}
record() {	# CASE_ID COUNTRY [SEVERITY [TEST]]
	python3 - "$top/tests/integration/data/case-nl.json" "$@" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
r["case_id"] = sys.argv[2]
r["hosting"]["country"] = sys.argv[3]
if len(sys.argv) > 4:
    r["severity"] = sys.argv[4]
if len(sys.argv) > 5:
    r["test"] = sys.argv[5] == "test"
print(json.dumps(r))
PY
}
show() {	# WHO CASE EXPR over `hlx case show --json` c
	"$hlx" -c "$tmp/$1/hlx.conf" case show "$2" --json |
	    python3 -c "import json, sys; c = json.load(sys.stdin); print(($3))"
}
delivered() {	# WHO CASE TYPE VERSION
	"$hlx" -c "$tmp/$1/hlx.conf" outbox list --state delivered --json |
	    python3 -c '
import json, sys
rows = json.load(sys.stdin)
sys.exit(0 if any(r["case"] == sys.argv[1] and r["type"] == sys.argv[2] and
    r["version"] == int(sys.argv[3]) for r in rows) else 1)' "$2" "$3" "$4"
}
nl_case() {	# THEIR_CASE: NL's number for BE's case
	NL inbox list --json | python3 -c '
import json, sys
print([r["case"] for r in json.load(sys.stdin) if r["their_case_ref"] == sys.argv[1]][0])' "$1"
}
handoff() {	# WHO CASE EXPR over the hand-off file h
	python3 -c "import json, sys; h = json.load(open(sys.argv[1])); print(($3))" \
	    "$tmp/$1/handoff/$2.json"
}
post() {	# FROM TO_PORT FILE: POSTs as hotline-FROM.example, prints the status
	curl -sS --cacert "$certs/ca.crt" --cert "$certs/hotline-$1.example.crt" \
	    --key "$certs/hotline-$1.example.key" -H 'Content-Type: application/xml' \
	    --data-binary @"$3" -o "$tmp/ans" -w '%{http_code}' \
	    "https://127.0.0.1:$2/hlx/1/messages"
}
code() { sed -n 's:.*<Code>\(.*\)</Code>.*:\1:p' "$tmp/ans"; }
uuid() { python3 -c 'import uuid; print(uuid.uuid4())'; }
at() { date -u -d "@$(($(date +%s) + $1))" +%Y-%m-%dT%H:%M:%SZ; }
refer() {	# CASE_ID: BE refers it to NL; prints NL's number
	record "$1" NL | BE submit - >/dev/null
	wait_for 15 delivered be "$1" Referral 1
	nl_case "$1"
}
status_xml() {	# CASE VERSION STATE STATE_AT: BE's StatusUpdate to NL
	cat <<XML
<?xml version="1.0" encoding="UTF-8"?>
<Message xmlns="urn:x-hlx:1" version="1.0">
  <Header>
    <MessageId>$(uuid)</MessageId>
    <SentAt>$(at 0)</SentAt>
    <Sender>hotline-be.example</Sender>
    <Recipient>hotline-nl.example</Recipient>
  </Header>
  <StatusUpdate>
    <CaseRef issuer="hotline-be.example" version="$2">$1</CaseRef>
    <State>$3</State>
    <StateAt>$4</StateAt>
  </StatusUpdate>
</Message>
XML
}
withdraw_xml() {	# CASE VERSION [URL...]: BE's Withdraw to NL
	c=$1
	v=$2
	shift 2
	cat <<XML
<?xml version="1.0" encoding="UTF-8"?>
<Message xmlns="urn:x-hlx:1" version="1.0">
  <Header>
    <MessageId>$(uuid)</MessageId>
    <SentAt>$(at 0)</SentAt>
    <Sender>hotline-be.example</Sender>
    <Recipient>hotline-nl.example</Recipient>
  </Header>
  <Withdraw>
    <CaseRef issuer="hotline-be.example" version="$v">$c</CaseRef>
    <Reason>reported in error</Reason>
XML
	for u in "$@"; do
		echo "    <ContentUrl>$u</ContentUrl>"
	done
	printf '  </Withdraw>\n</Message>\n'
}
u1=http://gallery.example.net/img/77-1.jpg
u2=http://gallery.example.net/img/77-2.mp4

# ------------------------------------------ item 3: far-future timestamps
c1=$(refer CF-CC-1)
check "BE refers CF-CC-1 to NL" "$([ -n "$c1" ] || echo 'not delivered')"
status_xml CF-CC-1 7 content_online 9999-12-31T23:59:59Z >"$tmp/m.xml"
st=$(post be "$nl" "$tmp/m.xml")
check "a StatusUpdate with StateAt 9999-12-31: 400 SCHEMA_INVALID naming StateAt" "$([ "$st" = 400 ] && [ "$(code)" = SCHEMA_INVALID ] && grep -q 'element StateAt: 9999-12-31T23:59:59Z is more than 10 minutes after Header/SentAt' "$tmp/ans" || echo "$st $(cat "$tmp/ans")")"
check "... and the case is as it was (received)" "$([ "$(show nl "$c1" 'c["state"]')" = received ] || show nl "$c1" 'c["state"]')"
out=$(NL case update "$c1" --state under_assessment 2>&1)
check "... so a later state of ours is applied" "$([ "$(show nl "$c1" 'c["state"]')" = under_assessment ] || echo "$out")"
status_xml CF-CC-1 8 content_online "$(at 590)" >"$tmp/m.xml"
st=$(post be "$nl" "$tmp/m.xml")
check "a StateAt within 10 minutes of SentAt is accepted (202)" "$([ "$st" = 202 ] || echo "$st $(cat "$tmp/ans")")"
cp "$tmp/m.xml" "$tmp/m-ok.xml"
sed "s|<StateAt>.*</StateAt>|<StateAt>9999-12-31T23:59:59Z</StateAt>|" "$tmp/m-ok.xml" >"$tmp/m.xml"
out=$(BE validate "$tmp/m.xml" 2>&1); rc=$?
check "hlx validate refuses it too (65, SCHEMA_INVALID, StateAt)" "$([ $rc -eq 65 ] && echo "$out" | grep -q 'SCHEMA_INVALID: line [0-9]*: element StateAt' || echo "$rc $out")"

out=$(BE case update CF-CC-1 --state content_removed --at "$(at 660)" 2>&1); rc=$?
check "hlx case update --at 11 minutes ahead: refused (65), saying so" "$([ $rc -eq 65 ] && echo "$out" | grep -q -- '--at: .* is more than 10 minutes ahead of now' || echo "$rc $out")"
out=$(BE case update CF-CC-1 --state content_removed --at 9999-12-31T23:59:59Z 2>&1); rc=$?
check "hlx case update --at 9999-12-31: refused (65)" "$([ $rc -eq 65 ] || echo "$rc $out")"
check "... nothing recorded, nothing queued" "$([ "$(show be CF-CC-1 'c["state"] or "-"')" != content_removed ] && [ "$(BE outbox list --json | python3 -c 'import json, sys; print(sum(1 for r in json.load(sys.stdin) if r["case"] == "CF-CC-1"))')" = 1 ] || show be CF-CC-1 'c')"
out=$(BE case update CF-CC-1 --state content_removed --at "$(at 540)" 2>&1); rc=$?
check "hlx case update --at 9 minutes ahead: taken (a clock a little ahead)" "$([ $rc -eq 0 ] || echo "$rc $out")"
record CF-CC-2 BE >"$tmp/d.json"
BE submit "$tmp/d.json" >/dev/null
out=$(BE case update CF-CC-2 --state forwarded_to_lea --at "$(at 86400)" 2>&1); rc=$?
check "... and on a domestic case too, with nothing to send (65)" "$([ $rc -eq 65 ] || echo "$rc $out")"
printf '{"assessed_at": "%s", "severity": "high", "items": [{"content_url": "%s", "national_verdict": {"jurisdiction": "NL", "status": "illegal"}}]}\n' \
    9999-12-31T23:59:59Z "$u1" >"$tmp/assess.json"
out=$(NL case assess "$c1" "$tmp/assess.json" 2>&1); rc=$?
check "hlx case assess with assessed_at 9999-12-31: refused (65), naming it" "$([ $rc -eq 65 ] && echo "$out" | grep -q 'assessed_at: 9999-12-31T23:59:59Z is more than 10 minutes ahead' || echo "$rc $out")"

# ------------------------------- item 2: a test amendment of a real case
c3=$(refer CF-CC-3)
referral_v() {	# VERSION SEVERITY [test]: a Referral of CF-CC-3 as BE would send it
	record CF-CC-3 NL "$2" "${3:-real}" >"$tmp/r.json"
	BE translate "$tmp/r.json" --recipient hotline-nl.example |
	    sed "s/version=\"1\">CF-CC-3/version=\"$1\">CF-CC-3/" >"$tmp/r.xml"
}
referral_v 2 low test
grep -q '<Test>true</Test>' "$tmp/r.xml" || echo "# the test amendment has no Test element"
st=$(post be "$nl" "$tmp/r.xml")
check "a test amendment (v2) of a real case: 202 with NL's number" "$([ "$st" = 202 ] && grep -q "<PartnerCaseRef issuer=\"hotline-nl.example\">$c3<" "$tmp/ans" || echo "$st $(cat "$tmp/ans")")"
check "... not applied: the hand-off keeps its severity, revision 1, not test" "$([ "$(handoff nl "$c3" 'h["severity"], h["handoff"]["revision"], h["handoff"]["test"], len(h["items"])')" = "('high', 1, False, 2)" ] || cat "$tmp/nl/handoff/$c3.json")"
check "... the case stays a real one" "$([ "$(show nl "$c3" 'c["test"], c["handoff"]["revision"]')" = "(False, 1)" ] || show nl "$c3" 'c')"
check "... its event says applied: false, test: true" "$(NL events --json | python3 -c '
import json, sys
e = [(e["data"].get("applied"), e["data"].get("test")) for e in json.load(sys.stdin) if e["case"] == sys.argv[1] and e["kind"] == "amendment_received"]
print("" if e == [(False, True)] else e)' "$c3")"
check "... and the audit trail says why" "$(NL audit list --case "$c3" | grep -q 'test amendment, not applied' || NL audit list --case "$c3")"
st=$(post be "$nl" "$tmp/r.xml")
check "the same test amendment again: 202 duplicate" "$([ "$st" = 202 ] && grep -q '<Status>duplicate</Status>' "$tmp/ans" || echo "$st $(cat "$tmp/ans")")"
referral_v 5 medium test
post be "$nl" "$tmp/r.xml" >/dev/null
referral_v 4 critical
st=$(post be "$nl" "$tmp/r.xml")
check "a real amendment v4 after a test v5: applied (the test one does not count as newer)" "$([ "$st" = 202 ] && [ "$(handoff nl "$c3" 'h["severity"], h["handoff"]["revision"], h["handoff"]["state"]')" = "('critical', 2, 'amended')" ] || echo "$st $(cat "$tmp/nl/handoff/$c3.json")")"

# A test case is a test all through: its test amendment is applied.
record CF-CC-4 NL high test | BE submit - >/dev/null
wait_for 15 delivered be CF-CC-4 Referral 1
c4=$(nl_case CF-CC-4)
record CF-CC-4 NL low test >"$tmp/r.json"
BE translate "$tmp/r.json" --recipient hotline-nl.example |
    sed 's/version="1">CF-CC-4/version="2">CF-CC-4/' >"$tmp/r.xml"
st=$(post be "$nl" "$tmp/r.xml")
check "a test amendment of a test case is applied" "$([ "$st" = 202 ] && [ "$(handoff nl "$c4" 'h["severity"], h["handoff"]["revision"], h["handoff"]["test"]')" = "('low', 2, True)" ] || echo "$st $(cat "$tmp/nl/handoff/$c4.json" 2>&1)")"

# ------------------------------------ item 8a: a Withdraw of every item
c5=$(refer CF-CC-5)
withdraw_xml CF-CC-5 2 "$u1" "$u2" >"$tmp/w.xml"
st=$(post be "$nl" "$tmp/w.xml")
check "a Withdraw naming both items of NL's case: 202" "$([ "$st" = 202 ] || echo "$st $(cat "$tmp/ans")")"
check "... is the whole case: closed (withdrawn)" "$([ "$(show nl "$c5" 'c["state"], c["closed_reason"]')" = "('closed', 'withdrawn')" ] || show nl "$c5" 'c')"
check "... the hand-off rewritten withdrawn (revision 2), not an open case with no items" "$([ "$(handoff nl "$c5" 'h["handoff"]["revision"], h["handoff"]["state"]')" = "(2, 'withdrawn')" ] || cat "$tmp/nl/handoff/$c5.json")"
check "... its event names the items and says whole_case" "$(NL events --json | python3 -c '
import json, sys
e = [e["data"] for e in json.load(sys.stdin) if e["case"] == sys.argv[1] and e["kind"] == "withdraw_received"]
print("" if len(e) == 1 and e[0].get("whole_case") is True and len(e[0].get("content_urls", [])) == 2 else e)' "$c5")"

c6=$(refer CF-CC-6)
withdraw_xml CF-CC-6 2 "$u1" >"$tmp/w.xml"
post be "$nl" "$tmp/w.xml" >/dev/null
check "a Withdraw of one item of two: the case stays open, one item left" "$([ "$(show nl "$c6" 'c["state"]')" = received ] && [ "$(handoff nl "$c6" 'h["handoff"]["state"], len(h["items"])')" = "('amended', 1)" ] || show nl "$c6" 'c')"
withdraw_xml CF-CC-6 3 "$u2" >"$tmp/w.xml"
post be "$nl" "$tmp/w.xml" >/dev/null
check "... then one of the last item: the whole case, closed and withdrawn" "$([ "$(show nl "$c6" 'c["state"], c["closed_reason"]')" = "('closed', 'withdrawn')" ] && [ "$(handoff nl "$c6" 'h["handoff"]["state"]')" = withdrawn ] || show nl "$c6" 'c')"

# The sending side: hlx case withdraw naming every item.
c7=$(refer CF-CC-7)
out=$(BE case withdraw CF-CC-7 --reason "reported in error" --content-url "$u1" --content-url "$u2" 2>&1)
check "hlx case withdraw naming both items: the whole case (our copy closed)" "$(echo "$out" | grep -qE '^CF-CC-7 [0-9a-f-]{36} hotline-nl.example$' && echo "$out" | grep -q 'whole case is withdrawn' && [ "$(show be CF-CC-7 'c["state"], c["closed_reason"]')" = "('closed', 'withdrawn')" ] || echo "$out")"
wait_for 15 delivered be CF-CC-7 Withdraw 2
check "... the Withdraw sent is a whole one; NL closes its copy" "$(delivered be CF-CC-7 Withdraw 2 && [ "$(show nl "$c7" 'c["state"], c["closed_reason"]')" = "('closed', 'withdrawn')" ] && ! NL events --json | python3 -c '
import json, sys
sys.exit(0 if any("content_urls" in e["data"] for e in json.load(sys.stdin) if e["case"] == sys.argv[1] and e["kind"] == "withdraw_received") else 1)' "$c7" || show nl "$c7" 'c')"

c8=$(refer CF-CC-8)
out=$(BE case withdraw CF-CC-8 --reason "one is legal" --content-url "$u2" 2>&1)
check "hlx case withdraw of one item of two: the case stays open" "$([ "$(show be CF-CC-8 'c["state"] or "-"')" = - ] || echo "$out $(show be CF-CC-8 'c')")"
wait_for 15 delivered be CF-CC-8 Withdraw 2
out=$(BE case withdraw CF-CC-8 --reason "the other too" --content-url "$u1" 2>&1)
check "... then the last item: the whole case, here and at NL" "$(echo "$out" | grep -q 'whole case is withdrawn' && [ "$(show be CF-CC-8 'c["state"]')" = closed ] && wait_for 15 delivered be CF-CC-8 Withdraw 3 && [ "$(show nl "$c8" 'c["state"], c["handoff"]["state"]')" = "('closed', 'withdrawn')" ] || echo "$out $(show nl "$c8" 'c')")"

record CF-CC-9 FR | BE submit - >/dev/null 2>&1
out=$(BE case withdraw CF-CC-9 --reason "reported in error" --content-url "$u1" --content-url "$u2" 2>&1)
check "every item of a case never sent (unroutable): cancelled here, a whole withdrawal" "$(echo "$out" | grep -q '^CF-CC-9 - cancelled$' && [ "$(show be CF-CC-9 'c["state"], c["closed_reason"]')" = "('closed', 'withdrawn')" ] || echo "$out")"

check "every gateway's audit trail verifies" "$(for g in be nl; do "$hlx" -c "$tmp/$g/hlx.conf" audit verify >/dev/null || echo "$g broken"; done)"

echo "1..$n"
echo "case-checks: $((n - fail)) passed, $fail failed"
[ "$fail" -eq 0 ]
