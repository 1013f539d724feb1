#!/bin/sh
# handoff-retry.sh BINDIR -- check 19 holds for retries too (protocol.md §3;
# issue 13, item 1): a message is answered 202, accepted or duplicate,
# only when the hand-off file it requires is durable; pending hand-offs
# are written by hlxd on its own; hlx_handoffs_pending and /healthz tell.
#
# The hand-off directory is made unusable by putting a plain file in its
# place (root ignores modes, so a chmod would prove nothing in CI):
#   1. a Referral: 503 UNAVAILABLE with Retry-After; the same bytes again
#      while broken: 503 again; once the directory is back: 202 duplicate
#      with the file already on disk when the answer arrives;
#   2. an amendment (version 2) and a whole Withdraw: the same, and the
#      file on disk carries the new revision;
#   3. with the directory back and no retry at all, hlxd writes the
#      pending file on its own within seconds; the gauge goes 1 -> 0;
#   4. a hand-off pending over a minute makes /healthz answer 503 naming
#      the case -- also when amendments keep giving it new revisions
#      meanwhile; back to 200 once written;
#   5. while another process holds the store's write lock, hlxd writes no
#      hand-off file (files are written under the lock, so a revision on
#      disk never goes backwards); it writes it once the lock is released.
#
# A real hlxd on loopback (ports chosen by the kernel), a mktemp -d
# directory, synthetic data only.  One TAP line a check.
#
# shellcheck disable=SC2016,SC2317
set -u

bindir=$(cd "${1:-bin}" && pwd) || exit 2
here=$(cd "$(dirname "$0")" && pwd) || exit 2
top=$(cd "$here/../.." && pwd) || exit 2
hlx="$bindir/hlx"
hlxd="$bindir/hlxd"
PY=python3
export PYTHONDONTWRITEBYTECODE=1
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
client="$here/inbound_client.py"
n=0
fail=0
pid=
lpid=
tmp=$(mktemp -d) || exit 2
trap '[ -n "$lpid" ] && kill "$lpid" 2>/dev/null; [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null && wait "$pid"; rm -rf "$tmp"' EXIT
trap 'exit 130' HUP INT TERM

ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); fail=$((fail + 1)); echo "not ok $n - $1: $2"; }
cond() {
	if eval "$2" >/dev/null 2>&1; then ok "$1"; else notok "$1" "false: $2${3:+ ($3)}"; fi
}
finish() {
	echo "1..$n"
	echo "handoff-retry: $((n - fail)) passed, $fail failed"
	[ "$fail" -eq 0 ]
	exit
}

for tool in openssl curl "$PY"; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "Bail out! $tool is needed"
		exit 2
	fi
done
if [ ! -x "$hlx" ] || [ ! -x "$hlxd" ]; then
	echo "Bail out! no $hlx or $hlxd (make first)"
	exit 2
fi

d=$tmp/gw
mkdir -m 700 "$d" "$d/var" || exit 2
if ! sh "$top/certs-example/make-certs.sh" "$d/certs" >"$tmp/certs.out" 2>&1; then
	echo "Bail out! make-certs.sh failed: $(tail -1 "$tmp/certs.out")"
	exit 2
fi
certs=$d/certs
nl=$certs/hotline-nl.example
conf=$d/hlx.conf
hdir=$d/handoff
ref=$here/data/referral.xml
cat >"$conf" <<EOF
# handoff-retry.sh: hotline BE, synthetic.
[hotline]
id = hotline-be.example
country = BE
receive_for = BE
case_prefix = IN-

[listen]
address = 127.0.0.1:0
rate_limit = 100000

[tls]
cert = certs/hotline-be.example.crt
key = certs/hotline-be.example.key

[storage]
path = var/hlx.db
audit_key = var/audit.key
min_free = 1M

[admin]
address = 127.0.0.1:0

[handoff]
dir = handoff
EOF
if ! "$hlx" -c "$conf" peer add hotline-nl.example --url https://127.0.0.1:9 \
    --cert "$nl.crt" --country NL >"$tmp/out" 2>&1; then
	echo "Bail out! peer add: $(cat "$tmp/out")"
	exit 2
fi

log=$tmp/hlxd.log
"$hlxd" -c "$conf" -f 2>"$log" &
pid=$!
i=0
port=
while [ $i -lt 150 ]; do
	if grep -q 'event=listening' "$log"; then
		port=$(sed -n 's/.*event=listening address=127\.0\.0\.1:\([0-9]*\) .*/\1/p' "$log" | head -1)
		aport=$(sed -n 's/.*event=listening .*admin=127\.0\.0\.1:\([0-9]*\).*/\1/p' "$log" | head -1)
		break
	fi
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.1
	i=$((i + 1))
done
if [ -z "$port" ]; then
	echo "Bail out! hlxd did not start: $(tail -3 "$log" | tr '\n' '|')"
	exit 2
fi

# post FILE: sets $st (HTTP status), $tmp/body, $tmp/hdr.
post() {
	rm -f "$tmp/body" "$tmp/hdr"
	st=$(curl --max-time 30 -sS --cacert "$certs/ca.crt" --cert "$nl.crt" \
	    --key "$nl.key" -o "$tmp/body" -D "$tmp/hdr" -w '%{http_code}' \
	    -H 'Content-Type: application/xml' --data-binary "@$1" \
	    "https://127.0.0.1:$port/hlx/1/messages" 2>"$tmp/curlerr")
	[ -f "$tmp/body" ] || : >"$tmp/body"
	[ -f "$tmp/hdr" ] || : >"$tmp/hdr"
}
# answer: the answer's parsed fields, as JSON.
answer() { "$PY" "$client" parse "$tmp/body" 2>/dev/null; }
is_error() { answer | grep -q "\"Code\": \"$1\""; }
is_receipt() { answer | grep -q "\"Status\": \"$1\""; }
retry_after() { grep -qi '^Retry-After: *[0-9]' "$tmp/hdr"; }
break_dir() { rm -rf "$hdir" && : >"$hdir"; }
mend_dir() { rm -f "$hdir" && mkdir -m 700 "$hdir"; }
# revision CASE: the revision and state of CASE's hand-off file on disk.
revision() {
	"$PY" -c 'import json, sys
h = json.load(open(sys.argv[1]))["handoff"]
print(h["revision"], h["state"])' "$hdir/$1.json" 2>/dev/null
}
metric() {
	curl -s --max-time 10 "http://127.0.0.1:$aport/metrics" |
	    sed -n "s/^$1 \\([0-9.e+]*\\)\$/\\1/p"
}
healthz() {
	hz_status=$(curl -s --max-time 10 -o "$tmp/hz" -w '%{http_code}' \
	    "http://127.0.0.1:$aport/healthz")
}
# wait_for SECONDS COMMAND: polls COMMAND every 0.2 s.
wait_for() {
	w_end=$(($(date +%s) + $1))
	shift
	while [ "$(date +%s)" -le "$w_end" ]; do
		eval "$1" >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	return 1
}
mk() { "$PY" "$client" make "$@"; }

# ------------------------------------------- 1. a Referral and its retry
mk "$ref" --id new --sent-at now --case NL-HR-1 >"$tmp/r1.xml"
break_dir
post "$tmp/r1.xml"
cond "1. a Referral while the hand-off directory is unusable: 503 UNAVAILABLE with Retry-After" \
    '[ "$st" = 503 ] && is_error UNAVAILABLE && retry_after' "status $st: $(head -c 300 "$tmp/body")"
case1=$(sed -n 's/.*event=handoff_failed case=\([^ ]*\) .*/\1/p' "$log" | head -1)
cond "1. hlxd logs the failed hand-off with its case and revision" \
    '[ -n "$case1" ] && grep -q "event=handoff_failed case=$case1 revision=1 " "$log"'
cond "1. hlx_handoffs_pending is 1" 'wait_for 5 "[ \"\$(metric hlx_handoffs_pending)\" = 1 ]"' \
    "$(metric hlx_handoffs_pending)"
post "$tmp/r1.xml"
cond "1. the same bytes again, still unusable: 503 UNAVAILABLE, not 202 duplicate" \
    '[ "$st" = 503 ] && is_error UNAVAILABLE && retry_after' "status $st: $(head -c 300 "$tmp/body")"
mend_dir
post "$tmp/r1.xml"
cond "1. once the directory is back, the retry: 202 duplicate" \
    '[ "$st" = 202 ] && is_receipt duplicate' "status $st: $(head -c 300 "$tmp/body")"
cond "1. ... and the hand-off file was on disk before the answer (revision 1, new)" \
    '[ "$(revision "$case1")" = "1 new" ]' "$(ls -la "$hdir")"
cond "1. hlx_handoffs_pending is back to 0" 'wait_for 5 "[ \"\$(metric hlx_handoffs_pending)\" = 0 ]"' \
    "$(metric hlx_handoffs_pending)"

# ---------------------------------- 2. an amendment and a Withdraw, retried
mk "$ref" --id new --sent-at now --case NL-HR-1 --version 2 |
    sed 's|<Severity>high</Severity>|<Severity>critical</Severity>|' >"$tmp/r2.xml"
break_dir
post "$tmp/r2.xml"
cond "2. an amendment while unusable: 503 UNAVAILABLE" \
    '[ "$st" = 503 ] && is_error UNAVAILABLE' "status $st: $(head -c 300 "$tmp/body")"
mend_dir
# The directory came back empty: the retry must bring revision 2 itself.
post "$tmp/r2.xml"
cond "2. the amendment's retry: 202 duplicate, the file at revision 2 (amended)" \
    '[ "$st" = 202 ] && is_receipt duplicate && [ "$(revision "$case1")" = "2 amended" ]' \
    "status $st, file: $(revision "$case1")"
cat >"$tmp/w.tmpl" <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<Message xmlns="urn:x-hlx:1" version="1.0">
  <Header>
    <MessageId>0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d</MessageId>
    <SentAt>2026-11-28T16:00:00Z</SentAt>
    <Sender>hotline-nl.example</Sender>
    <Recipient>hotline-be.example</Recipient>
  </Header>
  <Withdraw>
    <CaseRef issuer="hotline-nl.example" version="3">NL-HR-1</CaseRef>
    <Reason>Reported in error (synthetic test).</Reason>
  </Withdraw>
</Message>
EOF
mk "$tmp/w.tmpl" --id new --sent-at now >"$tmp/w.xml"
break_dir
post "$tmp/w.xml"
cond "2. a Withdraw while unusable: 503 UNAVAILABLE" \
    '[ "$st" = 503 ] && is_error UNAVAILABLE' "status $st: $(head -c 300 "$tmp/body")"
mend_dir
post "$tmp/w.xml"
cond "2. the Withdraw's retry: 202 duplicate, the file at revision 3 (withdrawn)" \
    '[ "$st" = 202 ] && is_receipt duplicate && [ "$(revision "$case1")" = "3 withdrawn" ]' \
    "status $st, file: $(revision "$case1")"

# ------------------------------------- 3. written by hlxd on its own
mk "$ref" --id new --sent-at now --case NL-HR-2 >"$tmp/r3.xml"
break_dir
post "$tmp/r3.xml"
cond "3. a second Referral while unusable: 503" '[ "$st" = 503 ]' "status $st"
case3=$(sed -n 's/.*event=handoff_failed case=\([^ ]*\) .*/\1/p' "$log" | grep -v "^$case1\$" | head -1)
mend_dir
cond "3. with no retry, hlxd writes the pending file on its own within 15 s" \
    'wait_for 15 "[ \"\$(revision \"$case3\")\" = \"1 new\" ]"' "case '$case3': $(ls -la "$hdir")"
cond "3. hlx_handoffs_pending is back to 0" 'wait_for 5 "[ \"\$(metric hlx_handoffs_pending)\" = 0 ]"'
cond "3. the write is logged" 'grep -q "event=handoff_written case=$case3 revision=1" "$log"'

# --------------------------------------------- 4. /healthz after a minute
mk "$ref" --id new --sent-at now --case NL-HR-3 >"$tmp/r4.xml"
break_dir
post "$tmp/r4.xml"
case4=$(sed -n 's/.*event=handoff_failed case=\([^ ]*\) .*/\1/p' "$log" | grep -v "^$case1\$" | grep -v "^$case3\$" | head -1)
healthz
cond "4. a hand-off pending for seconds: /healthz still 200" '[ "$hz_status" = 200 ]' \
    "$hz_status $(cat "$tmp/hz")"
# Two amendments while it waits: new revisions, still no file.  The minute
# counts from when the file first became due, not from the last revision.
sleep 25
mk "$ref" --id new --sent-at now --case NL-HR-3 --version 2 >"$tmp/r4b.xml"
post "$tmp/r4b.xml"
cond "4. an amendment 25 s later: 503 (still unusable)" '[ "$st" = 503 ]' "status $st"
sleep 25
mk "$ref" --id new --sent-at now --case NL-HR-3 --version 3 >"$tmp/r4c.xml"
post "$tmp/r4c.xml"
cond "4. another 25 s later: 503" '[ "$st" = 503 ]' "status $st"
cond "4. pending over a minute (amended meanwhile): /healthz 503 naming the case and why" \
    'wait_for 30 "healthz; [ \"\$hz_status\" = 503 ] && grep -q \"hand-off.*$case4\" \"$tmp/hz\""' \
    "$hz_status $(cat "$tmp/hz")"
echo "# healthz: $(cat "$tmp/hz")"
mend_dir
cond "4. once written: /healthz 200 again" \
    'wait_for 15 "healthz; [ \"\$hz_status\" = 200 ]"' "$hz_status $(cat "$tmp/hz")"

# ------------------------------- 5. files are written under the write lock
mk "$ref" --id new --sent-at now --case NL-HR-4 >"$tmp/r5.xml"
break_dir
post "$tmp/r5.xml"
case5=$(sed -n 's/.*event=handoff_failed case=\([^ ]*\) .*/\1/p' "$log" | tail -1)
# Another writer (as hlx would be) holds the lock for 12 s.
"$PY" -c 'import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
c.execute("BEGIN IMMEDIATE")
open(sys.argv[2], "w").close()
time.sleep(12)
c.execute("COMMIT")' "$d/var/hlx.db" "$tmp/locked" &
lpid=$!
wait_for 10 '[ -f "$tmp/locked" ]'
mend_dir
sleep 8
cond "5. while another process holds the write lock, no hand-off file is written" \
    '[ ! -f "$hdir/$case5.json" ]' "$(ls -la "$hdir")"
wait "$lpid"
lpid=
cond "5. released: the file is written (revision 1)" \
    'wait_for 20 "[ \"\$(revision \"$case5\")\" = \"1 new\" ]"' "$(ls -la "$hdir")"

kill -TERM "$pid"
wait "$pid"
rc=$?
pid=
cond "hlxd stops cleanly (exit 0)" '[ "$rc" = 0 ]' "exit $rc: $(tail -3 "$log")"
finish
