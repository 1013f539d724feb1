#!/bin/sh
# lifecycle.sh BINDIR -- the case lifecycle between gateways on loopback
# (issue 6; protocol.md §2.2-2.3, §3 checks 15-18, §5; operations.md §3-4).
#
# Three gateways: BE (the issuer), NL (BE's route for NL) and DE (BE's
# route for DE).  BE refers cases; NL assesses, reports states, reroutes;
# BE amends and withdraws; each side checks what it sees in `hlx case
# show`, `hlx events` and the hand-off files.  The messages a gateway would
# never build (a third party's, the issuer's Assessment, a late older
# StatusUpdate) are POSTed by hand with curl and the partners' own
# certificates.  One TAP line a check.
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
stop() {	# NAME
	kill "$(cat "$tmp/$1/pid")" 2>/dev/null
	for _ in $(seq 1 50); do
		kill -0 "$(cat "$tmp/$1/pid")" 2>/dev/null || return 0
		sleep 0.1
	done
}
conf be hotline-be.example BE
conf nl hotline-nl.example NL
conf de hotline-de.example DE
be=$(start be)
nl=$(start nl)
de=$(start de)
[ -n "$be" ] && [ -n "$nl" ] && [ -n "$de" ] || { echo "Bail out! a gateway did not start"; exit 2; }
# NL restarts later on the same port.
sed -i "0,/^address = 127.0.0.1:0$/s//address = 127.0.0.1:$nl/" "$tmp/nl/hlx.conf"
add() {	# ON ID PORT COUNTRY
	"$hlx" -c "$tmp/$1/hlx.conf" peer add "$2" --url "https://127.0.0.1:$3" \
	    --cert "$certs/$2.crt" --country "$4" >/dev/null
}
add be hotline-nl.example "$nl" NL
add be hotline-de.example "$de" DE
add nl hotline-be.example "$be" BE
add de hotline-be.example "$be" BE
add de hotline-nl.example "$nl" NL
sleep 1.2

BE() { "$hlx" -c "$tmp/be/hlx.conf" "$@"; }
NL() { "$hlx" -c "$tmp/nl/hlx.conf" "$@"; }
DE() { "$hlx" -c "$tmp/de/hlx.conf" "$@"; }

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
record() {	# CASE_ID COUNTRY [SEVERITY]
	python3 - "$top/tests/integration/data/case-nl.json" "$@" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
r["case_id"] = sys.argv[2]
r["hosting"]["country"] = sys.argv[3]
if len(sys.argv) > 4:
    r["severity"] = sys.argv[4]
print(json.dumps(r))
PY
}
# A field of `hlx case show --json` (a Python expression over c).
show() {	# WHO CASE EXPR
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
status_xml() {	# FROM TO ISSUER CASE VERSION STATE STATE_AT
	cat <<XML
<?xml version="1.0" encoding="UTF-8"?>
<Message xmlns="urn:x-hlx:1" version="1.0">
  <Header>
    <MessageId>$(uuid)</MessageId>
    <SentAt>$(date -u +%Y-%m-%dT%H:%M:%SZ)</SentAt>
    <Sender>hotline-$1.example</Sender>
    <Recipient>hotline-$2.example</Recipient>
  </Header>
  <StatusUpdate>
    <CaseRef issuer="$3" version="$5">$4</CaseRef>
    <State>$6</State>
    <StateAt>$7</StateAt>
  </StatusUpdate>
</Message>
XML
}
ago() { date -u -d "@$(($(date +%s) - $1))" +%Y-%m-%dT%H:%M:%SZ; }

# ---------------------------------------- 0. translate follows the routes
record CF-LC-0 DE >"$tmp/t.json"
out=$(BE translate "$tmp/t.json" 2>&1)
check "hlx translate without --recipient uses the country's route" "$(echo "$out" | grep -q '<Recipient>hotline-de.example</Recipient>' || echo "$out" | head -3)"
record CF-LC-0 FR >"$tmp/t.json"
out=$(BE translate "$tmp/t.json" 2>&1); rc=$?
check "... and with no route says so (65)" "$([ $rc -eq 65 ] && echo "$out" | grep -q 'no route for FR' || echo "$rc $out")"

# ------------------------------------------------------------ 1. assess, states
record CF-LC-1 NL | BE submit - >/dev/null
wait_for 10 delivered be CF-LC-1 Referral 1
check "BE delivers CF-LC-1 to NL" "$(delivered be CF-LC-1 Referral 1 || echo 'not delivered')"
c1=$(nl_case CF-LC-1)
check "NL has the case under its own number" "$(echo "$c1" | grep -qE '^[A-Z]+-[0-9]{4}-[0-9]{6}$' || echo "got '$c1'")"
check "BE learnt NL's number from the Receipt" "$([ "$(show be CF-LC-1 'c["partner_number"]')" = "$c1" ] || echo "$(show be CF-LC-1 'c')")"
check "NL's new case is in state received, hand-off new" "$([ "$(show nl "$c1" 'c["state"], c["handoff"]["state"]')" = "('received', 'new')" ] || show nl "$c1" 'c')"

cat >"$tmp/assess.json" <<'JSON'
{"assessed_at": "2026-11-29T09:00:00Z", "severity": "high",
 "items": [{"content_url": "http://gallery.example.net/img/77-1.jpg",
   "national_verdict": {"jurisdiction": "NL", "status": "illegal", "code": "art-240b"},
   "agrees_with_sender": true},
  {"content_url": "http://gallery.example.net/img/77-2.mp4",
   "national_verdict": {"jurisdiction": "NL", "status": "not_illegal"},
   "agrees_with_sender": false}]}
JSON
out=$(NL case assess "$c1" "$tmp/assess.json" 2>&1)
check "NL case assess prints CASE MESSAGE_ID PEER" "$(echo "$out" | grep -qE "^$c1 [0-9a-f-]{36} hotline-be.example$" || echo "$out")"
wait_for 10 delivered nl "$c1" Assessment 1
check "NL delivers its Assessment (version 1 to BE)" "$(delivered nl "$c1" Assessment 1 || echo 'not delivered')"
out=$(NL case update "$c1" --state forwarded_to_lea --observed-by analyst 2>&1)
check "NL case update forwarded_to_lea" "$(echo "$out" | grep -qE "^$c1 [0-9a-f-]{36} hotline-be.example$" || echo "$out")"
check "the update acknowledged NL's hand-off" "$([ "$(show nl "$c1" 'c["handoff"]["state"]')" = acknowledged ] || show nl "$c1" 'c["handoff"]')"
check "hlx inbox list no longer counts it (not overdue, acknowledged)" "$(NL inbox list --json | python3 -c '
import json, sys
r = [r for r in json.load(sys.stdin) if r["case"] == sys.argv[1]][0]
print("" if r["handoff_state"] == "acknowledged" and not r["overdue"] else r)' "$c1")"
NL case update "$c1" --state content_removed --observed-by crawler --reason "gone at the host" >/dev/null
wait_for 10 delivered nl "$c1" StatusUpdate 3
check "NL delivers two StatusUpdates (versions 2 and 3)" "$(delivered nl "$c1" StatusUpdate 2 && delivered nl "$c1" StatusUpdate 3 || echo 'not delivered')"
check "BE's copy is content_removed" "$([ "$(show be CF-LC-1 'c["state"]')" = content_removed ] || show be CF-LC-1 'c')"
tl=$(show be CF-LC-1 '" ".join("%s:%s:%s" % (r["direction"], r["type"], r["state"] or "-") for r in c["timeline"])')
check "BE's timeline: Referral out, Assessment in, both states in" "$([ "$tl" = "out:Referral:- in:Assessment:- in:StatusUpdate:forwarded_to_lea in:StatusUpdate:content_removed" ] || echo "$tl")"
check "BE's text timeline names them" "$(BE case show CF-LC-1 | grep -q 'in    StatusUpdate v3 from hotline-nl.example state=content_removed' || BE case show CF-LC-1)"
ev=$(BE events --json | python3 -c '
import json, sys
ev = [e for e in json.load(sys.stdin) if e["case"] == "CF-LC-1"]
print(" ".join(e["kind"] + ("/" + e["data"]["state"] if "state" in e["data"] else "") for e in ev))')
check "BE's events: delivered, assessment, forwarded_to_lea, content_removed" "$([ "$ev" = "delivered assessment_received status_received/forwarded_to_lea status_received/content_removed" ] || echo "$ev")"
ass=$(BE events --json | python3 -c '
import json, sys
e = [e for e in json.load(sys.stdin) if e["kind"] == "assessment_received"][0]["data"]
print(e["severity"], e["items"][0]["national_verdict"]["code"], e["items"][1]["national_verdict"]["status"], e["items"][1]["agrees_with_sender"])')
check "the assessment event carries NL's verdicts" "$([ "$ass" = "high art-240b not_illegal False" ] || echo "$ass")"
cur=$(BE events --json | python3 -c 'import json, sys; print(json.load(sys.stdin)[1]["cursor"])')
later=$(BE events --since "$cur" --json | python3 -c 'import json, sys; e = json.load(sys.stdin); print(len(e), e[0]["cursor"] > int(sys.argv[1]))' "$cur")
all=$(BE events --json | python3 -c 'import json, sys; print(len(json.load(sys.stdin)))')
check "hlx events --since returns only later events" "$([ "$later" = "$((all - 2)) True" ] || echo "$later of $all")"
check "hlx events text: one line per event, each after the cursor" "$(BE events --since "$cur" | awk -v c="$cur" '$1 <= c || $3 !~ /^[a-z_]+$/ { bad = 1 } END { exit bad }' && [ "$(BE events --since "$cur" | wc -l)" -eq $((all - 2)) ] || BE events)"
check "--since takes only a cursor" "$(BE events --since x >/dev/null 2>&1; [ $? -eq 64 ] || echo 'not 64')"

out=$(NL case update "$c1" --state under_assessment 2>&1); rc=$?
check "a state that may not follow is refused (65) with what may" "$([ $rc -eq 65 ] && echo "$out" | grep -q 'under_assessment cannot follow content_removed (may follow: content_removed, content_online, closed)' || echo "$rc $out")"
out=$(BE case assess CF-LC-1 "$tmp/assess.json" 2>&1); rc=$?
check "BE may not assess its own case (65)" "$([ $rc -eq 65 ] && echo "$out" | grep -q 'one of ours' || echo "$rc $out")"
out=$(NL case reroute "$c1" --country NL --reason x 2>&1); rc=$?
check "reroute to our own country is refused (65)" "$([ $rc -eq 65 ] && echo "$out" | grep -q 'one of our own countries' || echo "$rc $out")"
out=$(NL case update NO-SUCH-CASE --state closed 2>&1); rc=$?
check "an unknown case is refused (65)" "$([ $rc -eq 65 ] && echo "$out" | grep -q 'no case NO-SUCH-CASE' || echo "$rc $out")"

for c in "case show" "case assess" "case update" "case amend" "case withdraw" "case reroute" events; do
	# shellcheck disable=SC2086
	out=$(BE $c --help 2>&1); rc=$?
	check "hlx $c --help: exit 0, its usage, nothing else done" "$([ $rc -eq 0 ] && echo "$out" | grep -q "^usage: hlx \[-c FILE\] $c" || echo "$rc $out")"
done

# -------------------------------------------- 2. checks 15-16 by hand
status_xml de be hotline-be.example CF-LC-1 1 content_online "$(ago 0)" >"$tmp/m.xml"
st=$(post de "$be" "$tmp/m.xml")
check "DE writing about BE-NL's case gets 422 UNKNOWN_CASE" "$([ "$st $(code)" = "422 UNKNOWN_CASE" ] || echo "$st $(cat "$tmp/ans")")"
cat >"$tmp/m.xml" <<XML
<?xml version="1.0" encoding="UTF-8"?>
<Message xmlns="urn:x-hlx:1" version="1.0">
  <Header>
    <MessageId>$(uuid)</MessageId>
    <SentAt>$(ago 0)</SentAt>
    <Sender>hotline-be.example</Sender>
    <Recipient>hotline-nl.example</Recipient>
  </Header>
  <Assessment>
    <CaseRef issuer="hotline-be.example" version="9">CF-LC-1</CaseRef>
    <PartnerCaseRef issuer="hotline-nl.example">$c1</PartnerCaseRef>
    <AssessedAt>$(ago 0)</AssessedAt>
    <Severity>low</Severity>
    <Item>
      <ContentUrl>http://gallery.example.net/img/77-1.jpg</ContentUrl>
      <NationalVerdict jurisdiction="BE">illegal</NationalVerdict>
    </Item>
  </Assessment>
</Message>
XML
st=$(post be "$nl" "$tmp/m.xml")
check "the issuer sending an Assessment gets 403 ROLE_NOT_ALLOWED" "$([ "$st $(code)" = "403 ROLE_NOT_ALLOWED" ] || echo "$st $(cat "$tmp/ans")")"

# --------------------------------- 3. an older StatusUpdate arriving later
record CF-LC-7 NL | BE submit - >/dev/null
wait_for 10 delivered be CF-LC-7 Referral 1
status_xml nl be hotline-be.example CF-LC-7 3 content_removed "$(ago 60)" >"$tmp/m.xml"
st=$(post nl "$be" "$tmp/m.xml")
check "NL's StatusUpdate v3 (content_removed) is accepted" "$([ "$st" = 202 ] || echo "$st $(cat "$tmp/ans")")"
status_xml nl be hotline-be.example CF-LC-7 2 forwarded_to_lea "$(ago 3600)" >"$tmp/m.xml"
st=$(post nl "$be" "$tmp/m.xml")
check "the late v2 (older StateAt) fills the gap: 202" "$([ "$st" = 202 ] || echo "$st $(cat "$tmp/ans")")"
check "the older update does not move the case back" "$([ "$(show be CF-LC-7 'c["state"]')" = content_removed ] || show be CF-LC-7 'c')"
check "the timeline shows it as not applied" "$([ "$(show be CF-LC-7 '[r["applied"] for r in c["timeline"] if r["type"] == "StatusUpdate"]')" = "[True, False]" ] || show be CF-LC-7 'c["timeline"]')"
check "its event says applied: false" "$(BE events --json | python3 -c '
import json, sys
e = [e["data"]["applied"] for e in json.load(sys.stdin) if e["case"] == "CF-LC-7" and e["kind"] == "status_received"]
print("" if e == [True, False] else e)')"
status_xml nl be hotline-be.example CF-LC-7 3 content_online "$(ago 0)" >"$tmp/m.xml"
st=$(post nl "$be" "$tmp/m.xml")
check "version 3 again under another MessageId: 409 VERSION_REUSED" "$([ "$st $(code)" = "409 VERSION_REUSED" ] || echo "$st $(cat "$tmp/ans")")"
status_xml nl be hotline-be.example CF-LC-7 4 content_online "$(ago 7200)" >"$tmp/m.xml"
post nl "$be" "$tmp/m.xml" >/dev/null
check "a newer version with an older StateAt is not applied either" "$([ "$(show be CF-LC-7 'c["state"]')" = content_removed ] || show be CF-LC-7 'c')"

# ------------------------------------------------------------ 4. amend
record CF-LC-2 NL high | BE submit - >/dev/null
wait_for 10 delivered be CF-LC-2 Referral 1
c2=$(nl_case CF-LC-2)
record CF-LC-2 NL critical >"$tmp/amended.json"
out=$(BE case amend CF-LC-2 "$tmp/amended.json" 2>&1)
check "BE case amend queues Referral version 2" "$(echo "$out" | grep -qE '^CF-LC-2 [0-9a-f-]{36} hotline-nl.example$' || echo "$out")"
wait_for 10 delivered be CF-LC-2 Referral 2
check "the amendment is delivered" "$(delivered be CF-LC-2 Referral 2 || echo 'not delivered')"
check "NL's hand-off shows revision 2, amended, the new content" "$([ "$(handoff nl "$c2" 'h["handoff"]["revision"], h["handoff"]["state"], h["severity"]')" = "(2, 'amended', 'critical')" ] || cat "$tmp/nl/handoff/$c2.json")"
check "NL's case keeps its number" "$([ "$(nl_case CF-LC-2)" = "$c2" ] || echo changed)"
out=$(BE case amend CF-LC-2 "$tmp/amended.json" 2>&1)
check "the same record again stores nothing" "$(echo "$out" | grep -q 'CF-LC-2 - unchanged' || echo "$out")"
record CF-LC-2 DE >"$tmp/moved.json"
out=$(BE case amend CF-LC-2 "$tmp/moved.json" 2>&1); rc=$?
check "an amendment cannot move the case to another country (65)" "$([ $rc -eq 65 ] && echo "$out" | grep -q 'hosting.country: DE is not the case' || echo "$rc $out")"

# ------------------------------------------------------------ 5. withdraw
record CF-LC-3 NL | BE submit - >/dev/null
wait_for 10 delivered be CF-LC-3 Referral 1
c3=$(nl_case CF-LC-3)
out=$(BE case withdraw CF-LC-3 --reason "reported in error" 2>&1)
check "BE case withdraw queues a Withdraw" "$(echo "$out" | grep -qE '^CF-LC-3 [0-9a-f-]{36} hotline-nl.example$' || echo "$out")"
check "BE's copy is closed, reason withdrawn" "$([ "$(show be CF-LC-3 'c["state"], c["closed_reason"]')" = "('closed', 'withdrawn')" ] || show be CF-LC-3 'c')"
wait_for 10 delivered be CF-LC-3 Withdraw 2
check "the Withdraw is delivered" "$(delivered be CF-LC-3 Withdraw 2 || echo 'not delivered')"
check "NL's hand-off is rewritten: revision 2, withdrawn" "$([ "$(handoff nl "$c3" 'h["handoff"]["revision"], h["handoff"]["state"]')" = "(2, 'withdrawn')" ] || cat "$tmp/nl/handoff/$c3.json")"
check "NL's copy is closed too" "$([ "$(show nl "$c3" 'c["state"], c["closed_reason"]')" = "('closed', 'withdrawn')" ] || show nl "$c3" 'c')"
out=$(NL case update "$c3" --state forwarded_to_lea 2>&1); rc=$?
check "a closed case takes no update (65)" "$([ $rc -eq 65 ] && echo "$out" | grep -q "case $c3 is closed" || echo "$rc $out")"
status_xml nl be hotline-be.example CF-LC-3 1 content_online "$(ago 0)" >"$tmp/m.xml"
st=$(post nl "$be" "$tmp/m.xml")
check "a message on a closed case: 422 CASE_CLOSED" "$([ "$st $(code)" = "422 CASE_CLOSED" ] || echo "$st $(cat "$tmp/ans")")"
record CF-LC-5 FR | BE submit - >"$tmp/out"
out=$(BE case withdraw CF-LC-5 --reason "reported in error" 2>&1)
check "withdrawing a never-delivered Referral cancels it locally" "$([ "$out" = "CF-LC-5 - cancelled" ] && [ "$(BE outbox list --json | python3 -c '
import json, sys
print([r["state"] for r in json.load(sys.stdin) if r["case"] == "CF-LC-5"])')" = "['cancelled']" ] || echo "$out; $(BE outbox list)")"

# ------------------------------------------------------------ 6. reroute
record CF-LC-4 NL | BE submit - >/dev/null
wait_for 10 delivered be CF-LC-4 Referral 1
c4=$(nl_case CF-LC-4)
out=$(NL case reroute "$c4" --country DE --reason "moved to a host in DE" --ip 2001:DB8:0:0::4 --provider "Example Host GmbH" 2>&1)
check "NL case reroute queues a Reroute to BE" "$(echo "$out" | grep -qE "^$c4 [0-9a-f-]{36} hotline-be.example$" || echo "$out")"
check "NL's copy closes, reason rerouted" "$([ "$(show nl "$c4" 'c["state"], c["closed_reason"], c["handoff"]["state"]')" = "('closed', 'rerouted', 'acknowledged')" ] || show nl "$c4" 'c')"
wait_for 15 delivered be CF-LC-4 Referral 1
delivered_de() { BE outbox list --state delivered --peer hotline-de.example | grep -q 'CF-LC-4'; }
wait_for 15 delivered_de
check "BE re-sends the case to DE's route by itself" "$(delivered_de || BE outbox list)"
d4=$(DE inbox list --json | python3 -c '
import json, sys
print([r["case"] for r in json.load(sys.stdin) if r["their_case_ref"] == "CF-LC-4"][0])' 2>/dev/null)
check "DE has the case and its hand-off, with the new hosting" "$([ -n "$d4" ] && [ "$(handoff de "$d4" 'h["hosting"]["country"], h["hosting"]["ips"]')" = "('DE', ['2001:db8::4'])" ] || echo "d4=$d4")"
check "BE's case now has DE as its other party" "$([ "$(show be CF-LC-4 'c["partner"], c["country"], c["reroutes"]')" = "('hotline-de.example', 'DE', 1)" ] || show be CF-LC-4 'c')"
check "BE's events show the reroute" "$(BE events --json | python3 -c '
import json, sys
e = [e for e in json.load(sys.stdin) if e["case"] == "CF-LC-4" and e["kind"] == "reroute_received"]
print("" if len(e) == 1 and e[0]["data"]["country"] == "DE" else e)')"

# ------------------------------------------ 6b. a domestic case of BE's
record CF-LC-11 BE | BE submit - >"$tmp/out"
check "a case hosted in BE is a domestic hand-off" "$(grep -q '^CF-LC-11 - domestic$' "$tmp/out" || cat "$tmp/out")"
out=$(BE case update CF-LC-11 --state forwarded_to_lea 2>&1)
check "update on a domestic case: recorded only (nothing to send)" "$([ "$out" = "CF-LC-11 - local" ] && [ "$(show be CF-LC-11 'c["state"], c["handoff"]["state"]')" = "('forwarded_to_lea', 'acknowledged')" ] && [ "$(show be CF-LC-11 'len(c["timeline"]), c["timeline"][0]["direction"]')" = "(1, 'local')" ] || echo "$out $(show be CF-LC-11 'c')")"
record CF-LC-11 BE critical >"$tmp/d.json"
out=$(BE case amend CF-LC-11 "$tmp/d.json" 2>&1)
check "amending it rewrites its hand-off: revision 2, amended, with internal" "$([ "$out" = "CF-LC-11 - domestic" ] && [ "$(handoff be CF-LC-11 'h["handoff"]["revision"], h["handoff"]["state"], h["severity"], "internal" in h')" = "(2, 'amended', 'critical', True)" ] || echo "$out")"
out=$(BE case withdraw CF-LC-11 --reason "reported in error" 2>&1)
check "withdrawing it: closed, hand-off revision 3, withdrawn" "$([ "$out" = "CF-LC-11 - domestic" ] && [ "$(handoff be CF-LC-11 'h["handoff"]["revision"], h["handoff"]["state"]')" = "(3, 'withdrawn')" ] && [ "$(show be CF-LC-11 'c["state"]')" = closed ] || echo "$out")"

# ---------------------------------------- 7. replays, late and test messages
record CF-LC-8 NL | BE submit - >/dev/null
wait_for 10 delivered be CF-LC-8 Referral 1
c8=$(nl_case CF-LC-8)
cat >"$tmp/w.xml" <<XML
<?xml version="1.0" encoding="UTF-8"?>
<Message xmlns="urn:x-hlx:1" version="1.0">
  <Header>
    <MessageId>$(uuid)</MessageId>
    <SentAt>$(ago 0)</SentAt>
    <Sender>hotline-be.example</Sender>
    <Recipient>hotline-nl.example</Recipient>
  </Header>
  <Withdraw>
    <CaseRef issuer="hotline-be.example" version="5">CF-LC-8</CaseRef>
    <Reason>reported in error</Reason>
  </Withdraw>
</Message>
XML
st=$(post be "$nl" "$tmp/w.xml")
check "a Withdraw sent by hand closes NL's copy (202)" "$([ "$st" = 202 ] && [ "$(show nl "$c8" 'c["state"]')" = closed ] || echo "$st $(cat "$tmp/ans")")"
st=$(post be "$nl" "$tmp/w.xml")
check "the same Withdraw again (a lost 202): 202 duplicate, not CASE_CLOSED" "$([ "$st" = 202 ] && grep -q '<Status>duplicate</Status>' "$tmp/ans" || echo "$st $(cat "$tmp/ans")")"

record CF-LC-9 NL high | BE submit - >/dev/null
wait_for 10 delivered be CF-LC-9 Referral 1
c9=$(nl_case CF-LC-9)
referral_v() {	# VERSION SEVERITY: a Referral of CF-LC-9 as BE would send it
	record CF-LC-9 NL "$2" >"$tmp/r.json"
	BE translate "$tmp/r.json" --recipient hotline-nl.example |
	    sed "s/version=\"1\">CF-LC-9/version=\"$1\">CF-LC-9/" >"$tmp/r.xml"
}
referral_v 5 low
st=$(post be "$nl" "$tmp/r.xml")
check "an amendment v5 (after a gap) is applied" "$([ "$st" = 202 ] && [ "$(handoff nl "$c9" 'h["severity"]')" = low ] || echo "$st $(cat "$tmp/ans")")"
referral_v 4 critical
st=$(post be "$nl" "$tmp/r.xml")
check "the late amendment v4 is accepted (202) with NL's number" "$([ "$st" = 202 ] && grep -q "<PartnerCaseRef issuer=\"hotline-nl.example\">$c9<" "$tmp/ans" || echo "$st $(cat "$tmp/ans")")"
check "... and not applied: the hand-off keeps v5's content" "$([ "$(handoff nl "$c9" 'h["severity"], h["handoff"]["revision"]')" = "('low', 2)" ] || cat "$tmp/nl/handoff/$c9.json")"
check "its event says applied: false" "$(NL events --json | python3 -c '
import json, sys
e = [e["data"].get("applied") for e in json.load(sys.stdin) if e["case"] == sys.argv[1] and e["kind"] == "amendment_received"]
print("" if e == [None, False] else e)' "$c9")"

status_xml nl be hotline-be.example CF-LC-7 9 content_online "$(ago 0)" |
    sed 's|</Recipient>|</Recipient>\n    <Test>true</Test>|' >"$tmp/m.xml"
st=$(post nl "$be" "$tmp/m.xml")
check "a test StatusUpdate about a real case: 202, recorded, never applied" "$([ "$st" = 202 ] && [ "$(show be CF-LC-7 'c["state"]')" = content_removed ] || echo "$st $(cat "$tmp/ans") $(show be CF-LC-7 'c["state"]')")"

cat >"$tmp/m.xml" <<XML
<?xml version="1.0" encoding="UTF-8"?>
<Message xmlns="urn:x-hlx:1" version="1.0">
  <Header>
    <MessageId>$(uuid)</MessageId>
    <SentAt>$(ago 0)</SentAt>
    <Sender>hotline-nl.example</Sender>
    <Recipient>hotline-be.example</Recipient>
  </Header>
  <StatusUpdate>
    <CaseRef issuer="hotline-be.example" version="10">CF-LC-7</CaseRef>
    <State>closed</State>
    <StateAt>$(ago 0)</StateAt>
    <Reason>done
    2026-01-01T00:00:00Z in    Withdraw     v9 FORGED</Reason>
  </StatusUpdate>
</Message>
XML
st=$(post nl "$be" "$tmp/m.xml")
check "a partner's reason cannot forge a line of hlx case show" "$([ "$st" = 202 ] && ! BE case show CF-LC-7 | grep -qE '^ +2026-01-01.*FORGED' && BE case show CF-LC-7 | grep -q 'FORGED' || { echo "$st"; BE case show CF-LC-7; })"

out=$(NL case update "$c1" --state forwarded_to_lea --at "$(ago 86400)" 2>&1); rc=$?
check "a backdated state is recorded and sent, not applied" "$([ $rc -eq 0 ] && echo "$out" | grep -q 'recorded, not applied' && [ "$(show nl "$c1" 'c["state"]')" = content_removed ] || echo "$rc $out")"

# A Referral on the wire while the case system withdraws it: the partner
# took it after all, so a Withdraw follows it.
kill -STOP "$(cat "$tmp/nl/pid")"
record CF-LC-10 NL | BE submit - >/dev/null
sleep 3
out=$(BE case withdraw CF-LC-10 --reason "reported in error" 2>&1)
kill -CONT "$(cat "$tmp/nl/pid")"
check "withdrawn while in flight: cancelled locally" "$([ "$out" = "CF-LC-10 - cancelled" ] || echo "$out")"
wait_for 20 delivered be CF-LC-10 Withdraw 2
c10=$(nl_case CF-LC-10 2>/dev/null)
check "it reached NL all the same: a Withdraw follows and NL's copy closes" "$(delivered be CF-LC-10 Withdraw 2 && [ "$(show nl "$c10" 'c["state"], c["closed_reason"]')" = "('closed', 'withdrawn')" ] || { BE outbox list; echo "c10=$c10"; })"

# ------------------------------- 8. ordering: NL stopped, then restarted
stop nl
record CF-LC-6 NL | BE submit - >/dev/null
record CF-LC-6 NL low >"$tmp/a6.json"
BE case amend CF-LC-6 "$tmp/a6.json" >/dev/null
BE case update CF-LC-6 --state content_online --observed-by crawler >/dev/null
sleep 2
check "with NL stopped, the three messages wait" "$(BE outbox list --json | python3 -c '
import json, sys
r = [(r["type"], r["version"], r["state"]) for r in json.load(sys.stdin) if r["case"] == "CF-LC-6"]
print("" if [x[:2] for x in r] == [("Referral", 1), ("Referral", 2), ("StatusUpdate", 3)] and all(x[2] in ("queued", "retrying") for x in r) else r)')"
nl2=$(start nl)
check "NL restarts on its port" "$([ "$nl2" = "$nl" ] || echo "port $nl2, was $nl")"
wait_for 20 delivered be CF-LC-6 StatusUpdate 3
check "after the restart all three are delivered" "$(delivered be CF-LC-6 StatusUpdate 3 || BE outbox list)"
c6=$(nl_case CF-LC-6)
tl=$(show nl "$c6" '" ".join("%s:v%s" % (r["type"], r["version"]) for r in c["timeline"] if r["direction"] == "in")')
check "NL received them in version order" "$([ "$tl" = "Referral:v1 Referral:v2 StatusUpdate:v3" ] || echo "$tl")"
check "NL applied them: revision 2 (low), state content_online" "$([ "$(show nl "$c6" 'c["handoff"]["revision"], c["state"]')" = "(2, 'content_online')" ] && [ "$(handoff nl "$c6" 'h["severity"]')" = low ] || show nl "$c6" 'c')"

# ------------------------------------------ 9. cursors survive a restart
before=$(BE events | md5sum)
stop be
start be >/dev/null
check "the event cursors are the same after a restart" "$([ "$(BE events | md5sum)" = "$before" ] || echo changed)"
sleep 1.5
tipline=$(grep -o 'event=audit_tip count=[0-9]* tip=[0-9a-f]*' "$tmp/be/log" | head -1)
vcount=$(BE audit verify | sed -n 's/^audit: \([0-9]*\) entries verified.*/\1/p')
check "hlxd logs the audit tip at start-up (operations.md §5)" "$(echo "$tipline" | grep -qE '^event=audit_tip count=[0-9]+ tip=[0-9a-f]{64}$' && [ "${tipline#*count=}" != "" ] && [ "$(echo "$tipline" | sed 's/.*count=\([0-9]*\) .*/\1/')" -le "$vcount" ] || echo "'$tipline' vs $vcount")"
check "every gateway's audit trail verifies" "$(for g in be nl de; do "$hlx" -c "$tmp/$g/hlx.conf" audit verify >/dev/null || echo "$g broken"; done)"

echo "1..$n"
echo "lifecycle: $((n - fail)) passed, $fail failed"
[ "$fail" -eq 0 ]
