#!/bin/sh
# reroute.sh BINDIR -- protocol.md §5: a received Reroute makes the
# issuer's gateway send the case, as a new Referral (version 1, a new
# MessageId), to the route of the new country; to its own country it is a
# domestic hand-off; rerouted more than three times it waits, dead, for an
# operator.  Three gateways on loopback: BE (the issuer), NL (reroutes),
# DE (the new route).  The Reroutes are sent by hand, as NL, with curl.
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

certs=$tmp/certs
sh "$top/certs-example/make-certs.sh" "$certs" >/dev/null || exit 2

gw() {	# NAME ID COUNTRY
	mkdir -m 700 "$tmp/$1"
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
	# Run from a command substitution: its output must not hold it open.
	"$hlxd" -c "$tmp/$1/hlx.conf" -f >/dev/null 2>"$tmp/$1/log" &
	echo $! >>"$tmp/pids"
	for _ in $(seq 1 50); do
		grep -q event=listening "$tmp/$1/log" && break
		sleep 0.1
	done
	sed -n 's/.*event=listening address=127.0.0.1:\([0-9]*\) .*/\1/p' "$tmp/$1/log"
}
be=$(gw be hotline-be.example BE)
nl=$(gw nl hotline-nl.example NL)
de=$(gw de hotline-de.example DE)
[ -n "$be" ] && [ -n "$nl" ] && [ -n "$de" ] || { echo "Bail out! a gateway did not start"; exit 2; }
add() {	# ON ID PORT COUNTRY
	"$hlx" -c "$tmp/$1/hlx.conf" peer add "$2" --url "https://127.0.0.1:$3" \
	    --cert "$certs/$2.crt" --country "$4" >/dev/null
}
add be hotline-nl.example "$nl" NL
add be hotline-de.example "$de" DE
add nl hotline-be.example "$be" BE
add de hotline-be.example "$be" BE
sleep 1.2

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

record() {	# CASE_ID COUNTRY
	python3 - "$top/tests/integration/data/case-nl.json" "$1" "$2" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
r["case_id"] = sys.argv[2]
r["hosting"]["country"] = sys.argv[3]
print(json.dumps(r))
PY
}

reroute() {	# CASE_ID COUNTRY VERSION [SENDER]: tells BE; prints the status
	from=${4:-nl}
	now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
	cat >"$tmp/rr.xml" <<XML
<?xml version="1.0" encoding="UTF-8"?>
<Message xmlns="urn:x-hlx:1" version="1.0">
  <Header>
    <MessageId>$(python3 -c 'import uuid; print(uuid.uuid4())')</MessageId>
    <SentAt>$now</SentAt>
    <Sender>hotline-$from.example</Sender>
    <Recipient>hotline-be.example</Recipient>
  </Header>
  <Reroute>
    <CaseRef issuer="hotline-be.example" version="1">$1</CaseRef>
    <Hosting>
      <Country>$2</Country>
      <Ip>198.51.100.77</Ip>
      <TracedAt>$now</TracedAt>
    </Hosting>
    <Reason>The address now resolves elsewhere.</Reason>
  </Reroute>
</Message>
XML
	sed -i "s|version=\"1\">$1|version=\"$3\">$1|" "$tmp/rr.xml"
	curl -sS --cacert "$certs/ca.crt" --cert "$certs/hotline-$from.example.crt" \
	    --key "$certs/hotline-$from.example.key" -H 'Content-Type: application/xml' \
	    --data-binary @"$tmp/rr.xml" -o "$tmp/rr.ans" -w '%{http_code}' \
	    "https://127.0.0.1:$be/hlx/1/messages"
}

delivered_to() {	# CASE PEER
	"$hlx" -c "$tmp/be/hlx.conf" outbox list --state delivered --peer "$2" |
	    grep -q "case=$1 "
}

# 1. NL reroutes to DE: BE sends the case to DE by itself.
record CF-RR-1 NL | "$hlx" -c "$tmp/be/hlx.conf" submit - >"$tmp/out"
wait_for 10 delivered_to CF-RR-1 hotline-nl.example
check "BE delivers CF-RR-1 to NL" "$(delivered_to CF-RR-1 hotline-nl.example || echo 'not delivered')"
st=$(reroute CF-RR-1 DE 2)
check "NL's Reroute to DE is accepted (202)" "$([ "$st" = 202 ] || echo "status $st: $(cat "$tmp/rr.ans")")"
wait_for 10 delivered_to CF-RR-1 hotline-de.example
check "BE sends the case to DE's route by itself" "$(delivered_to CF-RR-1 hotline-de.example || echo "$("$hlx" -c "$tmp/be/hlx.conf" outbox list | tr '\n' ' ')")"
ids=$("$hlx" -c "$tmp/be/hlx.conf" outbox list --json | python3 -c '
import json, sys
rows = [r for r in json.load(sys.stdin) if r["case"] == "CF-RR-1"]
print(len(set(r["message_id"] for r in rows)), " ".join(str(r["version"]) for r in rows))')
check "a new Referral with a new MessageId, version 1 to the new recipient" "$([ "$ids" = "2 1 1" ] || echo "$ids")"
f=$(ls "$tmp/de/handoff"/*.json 2>/dev/null | head -1)
check "DE's hand-off names DE as the hosting country and BE as the sender" "$(
    [ -n "$f" ] && python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(0 if d["hosting"]["country"] == "DE" and d["referral"]["from"] == "hotline-be.example"
    and d["hosting"]["ips"] == ["198.51.100.77"] else 1)' "$f" || echo "hand-off: $f")"
check "nothing of internal crossed to DE" "$(grep -l 'internal note' "$tmp/de/handoff"/* 2>/dev/null)"
"$hlx" -c "$tmp/be/hlx.conf" audit list | grep -q "case_state_changed.*rerouted by hotline-nl.example to DE"
check "the Reroute is in BE's audit trail" "$([ $? -eq 0 ] || echo missing)"

# 2. NL reroutes to BE itself: a domestic hand-off, nothing sent.
record CF-RR-2 NL | "$hlx" -c "$tmp/be/hlx.conf" submit - >"$tmp/out"
wait_for 10 delivered_to CF-RR-2 hotline-nl.example
st=$(reroute CF-RR-2 BE 2)
check "a Reroute to our own country is accepted (202)" "$([ "$st" = 202 ] || echo "status $st")"
wait_for 5 test -f "$tmp/be/handoff/CF-RR-2.json"
check "it becomes a domestic hand-off, internal kept" "$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(0 if d["handoff"]["kind"] == "domestic" and "internal" in d and d["hosting"]["country"] == "BE" else 1)' \
    "$tmp/be/handoff/CF-RR-2.json" 2>&1 || echo "no domestic hand-off")"
cnt=$("$hlx" -c "$tmp/be/hlx.conf" outbox list --json | python3 -c '
import json, sys; print(len([r for r in json.load(sys.stdin) if r["case"] == "CF-RR-2"]))')
check "and nothing more is sent for it" "$([ "$cnt" = 1 ] || echo "$cnt outbox rows")"

# 3. The party that rerouted has left the case.
st=$(reroute CF-RR-1 FR 3 nl)
check "NL, no longer a party to CF-RR-1, gets UNKNOWN_CASE" "$(
    [ "$st" = 422 ] && grep -q UNKNOWN_CASE "$tmp/rr.ans" || echo "status $st")"

# 4. More than three Reroutes: dead, for an operator.  NL and DE send it
# back and forth: NL, DE, NL, DE.
record CF-RR-3 NL | "$hlx" -c "$tmp/be/hlx.conf" submit - >"$tmp/out"
count_to() {	# CASE PEER N: N deliveries of CASE to PEER
	[ "$("$hlx" -c "$tmp/be/hlx.conf" outbox list --state delivered --peer "$2" |
	    grep -c "case=$1 ")" -ge "$3" ]
}
routed_to() {	# CASE PEER N: N messages of CASE routed to PEER
	[ "$("$hlx" -c "$tmp/be/hlx.conf" outbox list --peer "$2" |
	    grep -c "case=$1 ")" -ge "$3" ]
}
# (Whether NL takes the case back is NL's business -- a gateway whose
# copy was closed by its own Reroute answers CASE_CLOSED: what matters
# here is that BE stops after the third.)
wait_for 10 count_to CF-RR-3 hotline-nl.example 1
s1=$(reroute CF-RR-3 DE 2 nl)
wait_for 10 routed_to CF-RR-3 hotline-de.example 1
s2=$(reroute CF-RR-3 NL 1 de)
wait_for 10 routed_to CF-RR-3 hotline-nl.example 2
s3=$(reroute CF-RR-3 DE 3 nl)
wait_for 10 routed_to CF-RR-3 hotline-de.example 2
s4=$(reroute CF-RR-3 NL 2 de)
check "four Reroutes from the party of the moment are accepted" "$(
    [ "$s1 $s2 $s3 $s4" = "202 202 202 202" ] || echo "statuses $s1 $s2 $s3 $s4")"
wait_for 5 sh -c "'$hlx' -c '$tmp/be/hlx.conf' outbox list --state dead | grep -q 'case=CF-RR-3 '"
dead=$("$hlx" -c "$tmp/be/hlx.conf" outbox list --state dead --json | python3 -c '
import json, sys
print(" ".join(r["last_code"] or "-" for r in json.load(sys.stdin) if r["case"] == "CF-RR-3"))')
check "the fourth makes it dead (REROUTED_TOO_OFTEN), for an operator" "$([ "$dead" = REROUTED_TOO_OFTEN ] || echo "dead: '$dead'")"
sent=$("$hlx" -c "$tmp/be/hlx.conf" outbox list --json | python3 -c '
import json, sys
print(len([r for r in json.load(sys.stdin) if r["case"] == "CF-RR-3" and r["state"] != "dead"]))')
check "and was not sent a fifth time" "$([ "$sent" = 4 ] || echo "$sent sent")"
versions=$("$hlx" -c "$tmp/be/hlx.conf" outbox list --peer hotline-nl.example --json | python3 -c '
import json, sys
print(" ".join(str(r["version"]) for r in json.load(sys.stdin) if r["case"] == "CF-RR-3"))')
check "back to an earlier recipient, the versions go on (1, then 2)" "$([ "$versions" = "1 2" ] || echo "versions $versions")"

stopped=0
for p in $(cat "$tmp/pids"); do
	kill -TERM "$p"
	for _ in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
	kill -0 "$p" 2>/dev/null || stopped=$((stopped + 1))
done
check "the three gateways stop on SIGTERM" "$([ "$stopped" = 3 ] || echo "$stopped stopped")"
: >"$tmp/pids"
echo "1..$n"
echo "reroute: $((n - fail)) passed, $fail failed"
[ $fail -eq 0 ]
