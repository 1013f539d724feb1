#!/bin/sh
# outbound.sh BINDIR -- hlx submit, routing, and hlxd delivering the outbox
# to a scripted partner (protocol.md §1, §4, §5; operations.md §2-§4;
# issue 5).
#
# One gateway, hotline-be.example (a real hlxd on loopback, ports chosen by
# the kernel), whose peer hotline-nl.example is fake_partner.py: Python's
# ssl + http.server, mutual TLS, answering each scenario of protocol.md §4's
# table and logging every byte it receives.  For each scenario a case record
# hosted in NL is submitted and `hlx outbox show ID --json` is polled
# (bounded) until the expected state; then its state, attempts, last status
# and code, the attempt list, the back-off between attempts (measured by the
# fake's clock), and that every attempt sent the same bytes (those stored in
# the outbox) under the same MessageId are checked.  Then: a wrong and an
# expired server certificate, retry and cancel, max_age (a second gateway
# with max_age = 3s), unroutable -> routed, the default route, a domestic
# hand-off, idempotent submission, and that nothing of a record's
# `internal` member ever reached a partner.  Durations are short (back-off
# 1-2 s) and every wait is bounded.  Synthetic data only.  One TAP line a
# check.
#
# shellcheck disable=SC2016,SC2317,SC2034,SC2015,SC2030,SC2031,SC2012
set -u

bindir=$(cd "${1:-bin}" && pwd) || exit 2
here=$(cd "$(dirname "$0")" && pwd) || exit 2
top=$(cd "$here/../.." && pwd) || exit 2
hlx="$bindir/hlx"
hlxd="$bindir/hlxd"
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
fake="$here/fake_partner.py"
base=$here/data/case-nl.json
[ -f "$base" ] || base=$top/../shared/examples/case-nl.json
n=0
fail=0
pid=
fpid=
dpid=
mpid=
mfpid=
tmp=$(mktemp -d) || exit 2
cleanup() {
	for p in $pid $mpid $fpid $dpid $mfpid; do
		kill -TERM "$p" 2>/dev/null
	done
	for p in $pid $mpid $fpid $dpid $mfpid; do
		wait "$p" 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' HUP INT TERM

ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); fail=$((fail + 1)); echo "not ok $n - $1: $2"; }
# check NAME WHY: ok when WHY is empty.
check() { if [ -z "$2" ]; then ok "$1"; else notok "$1" "$2"; fi; }
finish() {
	echo "1..$n"
	echo "outbound: $((n - fail)) passed, $fail failed"
	[ "$fail" -eq 0 ]
	exit
}

for tool in openssl sqlite3 curl; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "Bail out! $tool is needed"
		exit 2
	fi
done
if [ ! -x "$hlx" ] || [ ! -x "$hlxd" ]; then
	echo "Bail out! no $hlx or $hlxd (make first)"
	exit 2
fi
if [ ! -f "$base" ]; then
	echo "Bail out! no case-nl.json"
	exit 2
fi

# ---------------------------------------------------------------- helpers

# The JSON checks, in Python (nothing shared with the gateway's code).
cat >"$tmp/q.py" <<'EOF'
import json, sys

def load(p):
    with open(p) as f:
        return json.load(f)

def expect(path, spec):
    """state=S attempts=N last_status=N|- last_code=C|- detail~TEXT
    list=OUTCOME/STATUS/CODE,... (STATUS and CODE: * any, - none)."""
    try:
        j = load(path)
    except Exception as e:
        return "no outbox show output (%s)" % e
    why = []
    def val(v):
        return None if v == "-" else v
    for part in spec.split():
        k, v = part.split("=", 1) if "=" in part else part.split("~", 1)
        if k == "list":
            got = [(a.get("outcome"), a.get("http_status"), a.get("code"))
                   for a in j.get("attempt_list") or []]
            want = [x.split("/") for x in v.split(",")]
            good = len(got) == len(want)
            for g, w in zip(got, want):
                if g[0] != w[0]:
                    good = False
                if w[1] != "*" and g[1] != (None if w[1] == "-" else int(w[1])):
                    good = False
                if w[2] != "*" and g[2] != val(w[2]):
                    good = False
            if not good:
                why.append("attempts were %s, want %s" % (",".join(
                    "%s/%s/%s" % (o, "-" if s is None else s,
                                  "-" if c is None else c)
                    for o, s, c in got), v))
        elif k == "attempts":
            if j.get("attempts") != int(v):
                why.append("attempts=%s, want %s" % (j.get("attempts"), v))
        elif k == "last_status":
            w = None if v == "-" else int(v)
            if j.get("last_status") != w:
                why.append("last_status=%s, want %s" % (j.get("last_status"), v))
        elif k == "detail":
            if v not in (j.get("last_detail") or ""):
                why.append("last_detail=%r, want it to hold %r" %
                           (j.get("last_detail"), v))
        else:
            if j.get(k) != val(v):
                why.append("%s=%s, want %s" % (k, j.get(k), v))
    return "; ".join(why)

def spacing(path, lo, hi, mode):
    """The fake's clock: each retry comes lo..hi s after the answer to the
    attempt before (mode answer), or after that attempt's start plus an
    offset (mode start:OFFSET, for a hang)."""
    s = load(path)
    lo, hi = float(lo), float(hi)
    if mode == "answer":
        gaps = s["gaps_after_answer"]
    else:
        off = float(mode.split(":")[1])
        gaps = [round(b - a - off, 3) for a, b in zip(s["t"], s["t"][1:])]
    if not gaps:
        return "no retry was seen by the partner (posts=%d)" % s["posts"]
    bad = [g for g in gaps if g is None or g < lo or g > hi]
    if bad:
        return "waits %s s, want each in [%s, %s]" % (gaps, lo, hi)
    return ""

def same(path, mid, attempts, stored):
    s = load(path)
    why = []
    if s["posts"] != attempts:
        why.append("the partner got %d POSTs, the outbox counts %d attempts"
                   % (s["posts"], attempts))
    if s["distinct_bodies"] != 1:
        why.append("%d different bodies" % s["distinct_bodies"])
    if s["message_ids"] != [mid]:
        why.append("MessageIds in the bodies %s, want [%s]" %
                   (s["message_ids"], mid))
    if stored is not None and s.get("first_body_hex") != stored:
        why.append("the bytes sent are not those stored in the outbox")
    return "; ".join(why)

cmd = sys.argv[1]
if cmd == "get":
    try:
        j = load(sys.argv[2])
        r = eval(sys.argv[3], {"j": j})
    except Exception as e:
        r = "ERROR:%s" % e
    print(r if not isinstance(r, bool) else ("true" if r else "false"))
elif cmd == "expect":
    print(expect(sys.argv[2], sys.argv[3]))
elif cmd == "spacing":
    print(spacing(*sys.argv[2:6]))
elif cmd == "same":
    print(same(sys.argv[2], sys.argv[3], int(sys.argv[4]),
               sys.argv[5] if len(sys.argv) > 5 and sys.argv[5] else None))
elif cmd == "body":
    # body LOG MID OUT: the first body of MID the fake logged -> OUT
    import base64
    with open(sys.argv[2]) as f:
        for line in f:
            e = json.loads(line)
            if e.get("event") == "request" and e.get("message_id") == sys.argv[3]:
                with open(sys.argv[4], "wb") as o:
                    o.write(base64.b64decode(e["body_b64"]))
                print(json.dumps({"headers": dict((k.lower(), v) for k, v in
                                                  e["headers"]),
                                  "path": e["path"], "version": e["version"],
                                  "sender": e["sender"],
                                  "recipient": e["recipient"]}))
                break
elif cmd == "mkrec":
    # mkrec BASE CASE COUNTRY OUT [jsonl]: a record from BASE
    b, case, country, out = sys.argv[2:6]
    r = load(b)
    r["case_id"] = case
    r["hosting"]["country"] = country
    with open(out, "w") as f:
        if len(sys.argv) > 6:
            f.write(json.dumps(r) + "\n")
        else:
            json.dump(r, f, indent=2)
            f.write("\n")
EOF
q() { "$PY" "$tmp/q.py" "$@"; }
# j FILE EXPR: a value from a JSON file (j is the document).
j() { q get "$@"; }

# sqlite3 on a store, with the programs' umask.
sq() { (umask 077 && sqlite3 "$@"); }

d=$tmp/be
mkdir -m 700 "$d" "$d/var" "$tmp/m" "$tmp/m/var" || exit 2
chmod 700 "$tmp/m"
if ! sh "$top/certs-example/make-certs.sh" "$tmp/certs" >"$tmp/certs.out" 2>&1; then
	echo "Bail out! make-certs.sh failed: $(tail -1 "$tmp/certs.out")"
	exit 2
fi
certs=$tmp/certs
conf=$d/hlx.conf
db=$d/var/hlx.db
hdir=$d/handoff
nllog=$tmp/fake-nl.log
delog=$tmp/fake-de.log
mlog=$tmp/fake-m.log
: >"$nllog"
: >"$delog"
: >"$mlog"

# mkconf FILE DIR MAX_AGE: a BE gateway with short delivery durations.
mkconf() {
	cat >"$1" <<EOF
# outbound.sh: hotline BE, synthetic.
[hotline]
id = hotline-be.example
country = BE
receive_for = BE
case_prefix = IN-

[listen]
address = 127.0.0.1:0
rate_limit = 1000

[tls]
cert = $certs/hotline-be.example.crt
key = $certs/hotline-be.example.key

[storage]
path = $2/var/hlx.db
audit_key = $2/var/audit.key
min_free = 1M

[log]
level = info

[admin]
address = 127.0.0.1:0

[delivery]
backoff_min = 1s
backoff_max = 2s
connect_timeout = 2s
timeout = 3s
max_age = $3

[handoff]
dir = $2/handoff
EOF
}
mkconf "$conf" "$d" 20s

# fstart LOG PORT ID CRT KEY SCENARIO COUNTRY: a fake partner; sets $fp and
# $fport.  Returns 1 if it did not come up.
fk=0
fstart() {
	fk=$((fk + 1))
	"$PY" "$fake" serve --cert "$4" --key "$5" --ca "$certs/ca.crt" \
	    --id "$3" --country "$7" --scenario "$6" --log "$1" --port "$2" \
	    --hang 6 >"$tmp/fake.$fk.out" 2>"$tmp/fake.$fk.err" &
	fp=$!
	fport=
	fi_=0
	while [ $fi_ -lt 50 ]; do
		fport=$(sed -n 's/^port //p' "$tmp/fake.$fk.out")
		[ -n "$fport" ] && return 0
		kill -0 "$fp" 2>/dev/null || break
		sleep 0.1
		fi_=$((fi_ + 1))
	done
	return 1
}
# nl SCENARIO [CRT KEY]: (re)starts the NL fake on its port.
nlport=0
nl() {
	nl_stop
	if ! fstart "$nllog" "$nlport" hotline-nl.example \
	    "${2:-$certs/hotline-nl.example.crt}" \
	    "${3:-$certs/hotline-nl.example.key}" "$1" NL; then
		echo "Bail out! the fake partner did not start: $(tail -2 "$tmp/fake.$fk.err" | tr '\n' '|')"
		exit 2
	fi
	fpid=$fp
	nlport=$fport
}
nl_stop() {
	[ -n "$fpid" ] || return 0
	kill -TERM "$fpid" 2>/dev/null
	wait "$fpid" 2>/dev/null
	fpid=
}

# gstart CONF LOGNAME: hlxd in the foreground; sets $gp, $gport, $gaport.
gstart() {
	glog=$tmp/$2
	"$hlxd" -c "$1" -f 2>"$glog" &
	gp=$!
	gi=0
	while [ $gi -lt 100 ]; do
		if grep -q 'event=listening' "$glog"; then
			gport=$(sed -n 's/.*event=listening address=127\.0\.0\.1:\([0-9]*\) .*/\1/p' "$glog" | head -1)
			gaport=$(sed -n 's/.*event=listening .*admin=127\.0\.0\.1:\([0-9]*\).*/\1/p' "$glog" | head -1)
			return 0
		fi
		kill -0 "$gp" 2>/dev/null || break
		sleep 0.1
		gi=$((gi + 1))
	done
	return 1
}

# h ARGS: hlx -c $conf ARGS; stdout in $tmp/out, stderr in $tmp/err, $rc.
h() {
	"$hlx" -c "$conf" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
}
outs() {
	printf 'exit %s; stderr: %s stdout: %s' "$rc" \
	    "$(head -c 300 "$tmp/err" | tr '\n' '|')" \
	    "$(head -c 300 "$tmp/out" | tr '\n' '|')"
}

# submit FILE [CONF]: hlx submit; sets $line, $mid, $route, $rc.
submit() {
	"$hlx" -c "${2:-$conf}" submit "$1" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	line=$(head -1 "$tmp/out")
	mid=$(echo "$line" | cut -d' ' -f2)
	route=$(echo "$line" | cut -d' ' -f3)
}

# wait_for ID EXPR SECS [CONF]: polls `outbox show ID --json` into
# $tmp/show.json until the Python EXPR (on j) is true; 1 on time-out.
wait_for() {
	wend=$(($(date +%s) + $3))
	while :; do
		"$hlx" -c "${4:-$conf}" outbox show "$1" --json \
		    >"$tmp/show.json" 2>"$tmp/show.err"
		[ "$(j "$tmp/show.json" "$2")" = true ] && return 0
		[ "$(date +%s)" -ge "$wend" ] && return 1
		sleep 0.25
	done
}
state_of() { j "$tmp/show.json" 'j["state"]'; }

# metric NAME{LABELS}: its value on BE's admin listener (0 if absent).
metric() {
	curl -s --max-time 5 "http://127.0.0.1:${2:-$aport}/metrics" |
	    awk -v k="$1" '$1 == k { v = $2; f = 1 } END { print f ? v : 0 }'
}
faults() { metric "hlx_peer_faults_total{peer=\"hotline-nl.example\",kind=\"$1\"}"; }

# stored_hex MID [DB]: the bytes the outbox holds for MID, in hex.
stored_hex() {
	sq "${2:-$db}" "SELECT lower(hex(body)) FROM outbox WHERE message_id = '$1'"
}
# summary LOG MID: the fake's view of MID's POSTs (plus first_body_hex).
summary() {
	"$PY" "$fake" summary "$1" --message-id "$2" >"$tmp/sum.json"
	"$PY" - "$1" "$2" "$tmp/sum.json" <<'EOF'
import base64, json, sys
log, mid, out = sys.argv[1:4]
s = json.load(open(out))
for line in open(log):
    e = json.loads(line)
    if e.get("event") == "request" and e.get("message_id") == mid:
        s["first_body_hex"] = base64.b64decode(e["body_b64"]).hex()
        break
json.dump(s, open(out, "w"))
EOF
}

# ---------------------------------------------------------------- set-up

nl accept
nlstart_port=$nlport
if ! "$hlx" -c "$conf" peer add hotline-nl.example \
    --url "https://127.0.0.1:$nlport" \
    --cert "$certs/hotline-nl.example.crt" --country NL >"$tmp/out" 2>&1; then
	echo "Bail out! peer add hotline-nl.example: $(cat "$tmp/out")"
	exit 2
fi
if ! gstart "$conf" hlxd.log; then
	echo "Bail out! hlxd did not start: $(tail -3 "$glog" | tr '\n' '|')"
	exit 2
fi
pid=$gp
log=$glog
port=$gport
aport=$gaport
ok "hlxd (hotline-be.example) listens (partner $port, admin $aport); the fake hotline-nl.example on $nlport"

# The fake's own answers pass the gateway's checks (hlx validate).
why=
for k in receipt error capabilities; do
	"$PY" "$fake" sample $k --id hotline-nl.example \
	    --recipient hotline-be.example >"$tmp/sample-$k.xml"
	h validate "$tmp/sample-$k.xml"
	[ "$rc" -eq 0 ] && grep -qx valid "$tmp/out" || why="$why $k: $(outs);"
done
check "the fake partner's Receipt, Error and Capabilities pass hlx validate" "$why"

# ------------------------------------------------------------- scenarios

# scenario NAME FAKE-SCENARIO WAIT-SECS EXPECT [SPACING-LO SPACING-HI MODE]
# Submits a record hosted in NL (case CF-OUT-NAME) to the fake running
# FAKE-SCENARIO, waits until the state EXPECT names, and checks EXPECT,
# the attempts the fake saw (same bytes, same MessageId, those stored) and
# the spacing of retries.  Sets $mid.
scenario() {
	sname=$1
	sfake=$2
	swait=$3
	sexp=$4
	nl "$sfake"
	q mkrec "$base" "CF-OUT-$sname" NL "$tmp/$sname.json"
	submit "$tmp/$sname.json"
	check "$sname: hlx submit prints CASE MESSAGE_ID hotline-nl.example" "$(
	    [ "$rc" -eq 0 ] && echo "$line" | grep -Eq \
	    "^CF-OUT-$sname [0-9a-f-]{36} hotline-nl.example\$" || outs)"
	swant=$(echo "$sexp" | sed -n 's/.*state=\([a-z]*\).*/\1/p')
	if ! wait_for "$mid" "j['state'] == '$swant'" "$swait"; then
		notok "$sname: $swant within ${swait}s" "state $(state_of), attempts $(j "$tmp/show.json" 'j["attempts"]'), last $(j "$tmp/show.json" 'j["last_status"]')/$(j "$tmp/show.json" 'j["last_code"]')"
	else
		ok "$sname: $swant within ${swait}s"
	fi
	check "$sname: outbox show: $sexp" "$(q expect "$tmp/show.json" "$sexp")"
	cp "$tmp/show.json" "$tmp/show-$sname.json"
	satt=$(j "$tmp/show.json" 'j["attempts"]')
	summary "$nllog" "$mid"
	check "$sname: every attempt sent the same bytes (those stored) and MessageId" \
	    "$(q same "$tmp/sum.json" "$mid" "$satt" "$(stored_hex "$mid")")"
	if [ $# -ge 7 ]; then
		check "$sname: back-off: each retry came $5..$6 s after $([ "$7" = answer ] && echo "the answer before" || echo "the attempt before started") (the partner's clock)" \
		    "$(q spacing "$tmp/sum.json" "$5" "$6" "$7")"
	fi
}

# The back-off: attempt n waits [1, min(2, 2^(n-1))] s; the outbox is
# polled every second, so at most 1 s more (and some slack).
hi=3.5

scenario accept accept 10 \
    "state=delivered attempts=1 last_status=202 last_code=accepted list=delivered/202/accepted"
accept_mid=$mid
# What the partner received: one POST of the Referral, as protocol.md §1.
bj=$(q body "$nllog" "$mid" "$tmp/accept-body.xml")
echo "$bj" >"$tmp/accept-req.json"
check "accept: POST /hlx/1/messages over HTTP/1.1, Content-Type application/xml, no Content-Encoding" "$(
    [ "$(j "$tmp/accept-req.json" 'j["path"]')" = /hlx/1/messages ] || echo "path $(j "$tmp/accept-req.json" 'j["path"]')"
    [ "$(j "$tmp/accept-req.json" 'j["version"]')" = HTTP/1.1 ] || echo "version $(j "$tmp/accept-req.json" 'j["version"]')"
    [ "$(j "$tmp/accept-req.json" 'j["headers"].get("content-type","").split(";")[0].strip().lower()')" = application/xml ] || echo "content-type $(j "$tmp/accept-req.json" 'j["headers"].get("content-type")')"
    [ "$(j "$tmp/accept-req.json" '"content-encoding" in j["headers"]')" = false ] || echo "a Content-Encoding was sent")"
check "accept: the body is a valid Referral from hotline-be.example to hotline-nl.example" "$(
    h validate "$tmp/accept-body.xml"; [ "$rc" -eq 0 ] || outs
    [ "$(j "$tmp/accept-req.json" 'j["sender"]')" = hotline-be.example ] || echo "Sender $(j "$tmp/accept-req.json" 'j["sender"]')"
    [ "$(j "$tmp/accept-req.json" 'j["recipient"]')" = hotline-nl.example ] || echo "Recipient $(j "$tmp/accept-req.json" 'j["recipient"]')"
    grep -q '<Referral>' "$tmp/accept-body.xml" || echo "no Referral"
    grep -q '>CF-OUT-accept</CaseRef>' "$tmp/accept-body.xml" || echo "no CaseRef CF-OUT-accept")"
check "accept: the partner's number is kept (hcase.partner_number IN-2026-000777)" "$(
    v=$(sq "$db" "SELECT partner_number FROM hcase WHERE number = 'CF-OUT-accept'")
    [ "$v" = IN-2026-000777 ] || echo "partner_number '$v'")"
check "accept: hlx outbox list --state delivered shows it" "$(
    h outbox list --state delivered; [ "$rc" -eq 0 ] && grep -q "$mid" "$tmp/out" || outs)"

scenario 503x2 503x2 15 \
    "state=delivered attempts=3 last_status=202 last_code=accepted list=retry/503/*,retry/503/*,delivered/202/accepted" \
    1 "$hi" answer

scenario 429 429 15 \
    "state=delivered attempts=2 last_status=202 last_code=accepted list=retry/429/*,delivered/202/accepted" \
    2 "$hi" answer

scenario retryable_400 retryable_400 15 \
    "state=delivered attempts=2 last_status=202 last_code=accepted list=retry/400/TRANSIENT_CHECK,delivered/202/accepted" \
    1 "$hi" answer

scenario reset reset 15 \
    "state=delivered attempts=2 last_status=202 last_code=accepted list=retry/-/*,delivered/202/accepted" \
    1 "$hi" answer

# A hang: the attempt ends at the 3 s timeout; the retry comes 1..2 s later.
scenario hang hang 20 \
    "state=delivered attempts=2 last_status=202 last_code=accepted list=retry/-/*,delivered/202/accepted" \
    3.9 6.5 start:0
check "hang: the timed-out attempt is recorded without an HTTP status" "$(
    [ "$(j "$tmp/show-hang.json" 'j["attempt_list"][0]["http_status"] is None and j["attempt_list"][0]["code"] is not None')" = true ] ||
    echo "first attempt $(j "$tmp/show-hang.json" 'j["attempt_list"][0]')")"

r0=$(faults receipt)
scenario bad_receipt bad_receipt 15 \
    "state=delivered attempts=2 last_status=202 last_code=accepted list=retry/202/*,delivered/202/accepted" \
    1 "$hi" answer
r1=$(faults receipt)
check "bad_receipt: counted as a receipt fault of the peer (hlx_peer_faults_total kind=receipt $r0 -> $r1)" "$(
    [ "$(awk "BEGIN { print $r1 - $r0 }")" = 1 ] || echo "want +1")"

scenario malformed_receipt malformed_receipt 15 \
    "state=delivered attempts=2 last_status=202 last_code=accepted list=retry/202/*,delivered/202/accepted" \
    1 "$hi" answer
r2=$(faults receipt)
check "malformed_receipt: counted as a receipt fault (kind=receipt $r1 -> $r2)" "$(
    [ "$(awk "BEGIN { print $r2 - $r1 }")" = 1 ] || echo "want +1")"

# protocol.md §4: a Receipt from another sender, to another recipient, or
# with another hotline's case number is mismatched: retried, a fault of the
# peer, its number never kept (issue 13).
for sc in sender:Header/Sender recipient:Header/Recipient issuer:PartnerCaseRef/@issuer; do
	scenario "receipt_wrong_${sc%%:*}" "receipt_wrong_${sc%%:*}" 15 \
	    "state=delivered attempts=2 last_status=202 last_code=accepted list=retry/202/BAD_RECEIPT,delivered/202/accepted" \
	    1 "$hi" answer
	check "receipt_wrong_${sc%%:*}: the first attempt's detail names ${sc#*:}" "$(
	    j "$tmp/show.json" 'j["attempt_list"][0].get("detail") or ""' | grep -q "202 with a Receipt whose ${sc#*:} is" ||
	    echo "first attempt $(j "$tmp/show.json" 'j["attempt_list"][0]')")"
	check "receipt_wrong_${sc%%:*}: the partner's number is the right Receipt's" "$(
	    v=$(sq "$db" "SELECT partner_number FROM hcase WHERE number = 'CF-OUT-receipt_wrong_${sc%%:*}'")
	    [ "$v" = IN-2026-000777 ] || echo "partner_number '$v'")"
done
r3=$(faults receipt)
check "wrong Receipts: each counted as a receipt fault (kind=receipt $r2 -> $r3)" "$(
    [ "$(awk "BEGIN { print $r3 - $r2 }")" = 3 ] || echo "want +3")"
check "wrong Receipts: each logged as event=bad_receipt with the reason" "$(
    [ "$(grep -c 'event=bad_receipt .*reason="202 with a Receipt whose' "$log")" = 3 ] || echo "want 3, got: $(grep 'event=bad_receipt' "$log" | tail -3)")"

scenario schema_invalid schema_invalid 10 \
    "state=dead attempts=1 last_status=400 last_code=SCHEMA_INVALID detail~synthetic list=dead/400/SCHEMA_INVALID"
dead_mid=$mid

scenario nonretryable_503 nonretryable_503 10 \
    "state=dead attempts=1 last_status=503 last_code=SERVICE_WITHDRAWN detail~must list=dead/503/SERVICE_WITHDRAWN"

scenario teapot teapot 10 \
    "state=dead attempts=1 last_status=418 list=dead/418/*"
check "teapot: hlx outbox list --state dead shows the dead messages" "$(
    h outbox list --state dead --json
    for m in "$dead_mid" "$mid"; do
    	grep -q "$m" "$tmp/out" || echo "$m missing; $(outs)"
    done)"

# ------------------------------------------------------------ retry, cancel

nl accept
h outbox retry "$dead_mid"
check "outbox retry of a dead message: exit 0, 'ID: queued'" "$(
    [ "$rc" -eq 0 ] && grep -qx "$dead_mid: queued" "$tmp/out" || outs)"
if wait_for "$dead_mid" 'j["state"] == "delivered"' 10; then
	ok "outbox retry: the message is delivered by an accepting partner"
else
	notok "outbox retry: the message is delivered by an accepting partner" "state $(state_of)"
fi
check "outbox retry: attempts dead/400 then delivered/202, same bytes" "$(
    q expect "$tmp/show.json" 'attempts=2 list=dead/400/SCHEMA_INVALID,delivered/202/accepted'
    summary "$nllog" "$dead_mid"
    q same "$tmp/sum.json" "$dead_mid" 2 "$(stored_hex "$dead_mid")")"
h outbox retry "$accept_mid"
check "outbox retry of a delivered message: exit 65, one line on stderr" "$(
    [ "$rc" -eq 65 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] || outs)"

# ------------------------------------------------ server certificate faults

c0=$(faults certificate)
nl accept "$certs/rogue.crt" "$certs/rogue.key"
q mkrec "$base" CF-OUT-wrongpin NL "$tmp/wrongpin.json"
submit "$tmp/wrongpin.json"
pin_mid=$mid
if wait_for "$mid" 'j["attempts"] >= 1' 10; then
	ok "wrong server pin: attempted"
else
	notok "wrong server pin: attempted" "attempts $(j "$tmp/show.json" 'j["attempts"]')"
fi
check "wrong server pin: not delivered (state retrying, last_code SERVER_CERTIFICATE)" \
    "$(q expect "$tmp/show.json" 'state=retrying last_code=SERVER_CERTIFICATE')"
summary "$nllog" "$mid"
check "wrong server pin: the partner got no request (the handshake failed)" "$(
    [ "$(j "$tmp/sum.json" 'j["posts"]')" = 0 ] || echo "posts $(j "$tmp/sum.json" 'j["posts"]')")"
c1=$(faults certificate)
check "wrong server pin: hlx_peer_faults_total{peer=\"hotline-nl.example\",kind=\"certificate\"} rises ($c0 -> $c1)" "$(
    [ "$(awk "BEGIN { print ($c1 > $c0) }")" = 1 ] || echo "did not rise")"
check "wrong server pin: logged (event=server_certificate_refused)" "$(
    grep -q "event=server_certificate_refused peer=hotline-nl.example message_id=$mid" "$log" || echo "no such line in the log")"

# Cancel stops it: no attempt after the cancel.
h outbox cancel "$pin_mid"
check "outbox cancel of a retrying message: exit 0, 'ID: cancelled'" "$(
    [ "$rc" -eq 0 ] && grep -qx "$pin_mid: cancelled" "$tmp/out" || outs)"
"$hlx" -c "$conf" outbox show "$pin_mid" --json >"$tmp/show.json" 2>/dev/null
katt=$(j "$tmp/show.json" 'j["attempts"]')
khs=$(grep -c handshake_failed "$nllog")
sleep 4
"$hlx" -c "$conf" outbox show "$pin_mid" --json >"$tmp/show.json" 2>/dev/null
check "outbox cancel: state cancelled, no attempt in the 4 s after it" "$(
    q expect "$tmp/show.json" "state=cancelled attempts=$katt"
    [ "$(grep -c handshake_failed "$nllog")" -le $((khs + 1)) ] ||
    echo "the partner saw $(($(grep -c handshake_failed "$nllog") - khs)) more connections")"
h outbox cancel "$pin_mid"
check "outbox cancel of a cancelled message: exit 65" "$(
    [ "$rc" -eq 65 ] || outs)"

# An expired server certificate over the right key: the pin matches, the
# dates do not.
c1=$(faults certificate)
nl accept "$certs/expired.crt" "$certs/hotline-nl.example.key"
q mkrec "$base" CF-OUT-expired NL "$tmp/expired.json"
submit "$tmp/expired.json"
exp_mid=$mid
if wait_for "$mid" 'j["attempts"] >= 1' 10; then
	ok "expired server certificate: attempted"
else
	notok "expired server certificate: attempted" "attempts $(j "$tmp/show.json" 'j["attempts"]')"
fi
check "expired server certificate: not delivered (state retrying, last_code SERVER_CERTIFICATE)" \
    "$(q expect "$tmp/show.json" 'state=retrying last_code=SERVER_CERTIFICATE')"
summary "$nllog" "$mid"
check "expired server certificate: the partner got no request" "$(
    [ "$(j "$tmp/sum.json" 'j["posts"]')" = 0 ] || echo "posts $(j "$tmp/sum.json" 'j["posts"]')")"
c2=$(faults certificate)
check "expired server certificate: kind=\"certificate\" faults rise ($c1 -> $c2)" "$(
    [ "$(awk "BEGIN { print ($c2 > $c1) }")" = 1 ] || echo "did not rise")"
# The partner fixes its certificate: the retrying message goes through.
nl accept
if wait_for "$exp_mid" 'j["state"] == "delivered"' 10; then
	ok "expired server certificate: delivered once the partner serves a good one"
else
	notok "expired server certificate: delivered once the partner serves a good one" "state $(state_of)"
fi

# ------------------------------------------------------------ max_age

mconf=$tmp/m/hlx.conf
mkconf "$mconf" "$tmp/m" 3s
if ! fstart "$mlog" 0 hotline-nl.example "$certs/hotline-nl.example.crt" \
    "$certs/hotline-nl.example.key" always503 NL; then
	echo "Bail out! the max_age fake did not start"
	exit 2
fi
mfpid=$fp
"$hlx" -c "$mconf" peer add hotline-nl.example --url "https://127.0.0.1:$fport" \
    --cert "$certs/hotline-nl.example.crt" --country NL >/dev/null 2>&1
if gstart "$mconf" hlxd-m.log; then
	mpid=$gp
	q mkrec "$base" CF-OUT-maxage NL "$tmp/maxage.json"
	t0=$(date +%s)
	submit "$tmp/maxage.json" "$mconf"
	if wait_for "$mid" 'j["state"] == "dead"' 15 "$mconf"; then
		ok "max_age 3s, a partner always 503: the message is dead after $(($(date +%s) - t0)) s"
	else
		notok "max_age 3s, a partner always 503: the message is dead" "state $(state_of) after $(($(date +%s) - t0)) s"
	fi
	check "max_age: dead keeps the last status (503), at least 2 attempts, all retry/503 before" "$(
	    q expect "$tmp/show.json" 'last_status=503'
	    [ "$(j "$tmp/show.json" 'j["attempts"] >= 2 and all(a["http_status"] == 503 for a in j["attempt_list"]) and j["attempt_list"][-1]["outcome"] == "dead"')" = true ] ||
	    echo "attempts $(j "$tmp/show.json" '[(a["outcome"], a["http_status"]) for a in j["attempt_list"]]')")"
	# "After max_age the message is dead" (protocol.md §4): not before
	# (whole seconds from the store: created_at, the dead attempt's end),
	# and at the latest one back-off plus one time-out after it.
	mage=$(sq "$tmp/m/var/hlx.db" "SELECT max(a.finished_at) - o.created_at FROM outbox o JOIN attempt a ON a.outbox = o.id WHERE o.message_id = '$mid'")
	check "max_age: dead no earlier than max_age (3 s) after it was stored, and no later than 3+2+3+1 s" "$(
	    [ -n "$mage" ] && [ "$mage" -ge 3 ] && [ "$mage" -le 9 ] ||
	    echo "dead ${mage:-?} s after it was stored; attempts $(j "$tmp/show.json" '[(a["started_at"], a["outcome"]) for a in j["attempt_list"]]')")"
	check "max_age: listed by outbox list --state dead" "$(
	    "$hlx" -c "$mconf" outbox list --state dead >"$tmp/out" 2>"$tmp/err"; rc=$?
	    grep -q "$mid" "$tmp/out" || outs)"
	kill -TERM "$mpid"
	wait "$mpid"
	mpid=
else
	notok "max_age: the second gateway starts" "$(tail -3 "$glog" | tr '\n' '|')"
fi
kill -TERM "$mfpid"
wait "$mfpid" 2>/dev/null
mfpid=

# ------------------------------------------------------------ routing

# Unroutable: hosted in DE, no DE peer yet.
q mkrec "$base" CF-OUT-de DE "$tmp/de.json"
submit "$tmp/de.json"
check "unroutable: hlx submit prints 'CF-OUT-de - unroutable', exit 0" "$(
    [ "$rc" -eq 0 ] && [ "$line" = "CF-OUT-de - unroutable" ] || outs)"
sleep 1.5
h outbox list --state unroutable --json
check "unroutable: outbox list --state unroutable shows it (and it stays there)" "$(
    [ "$rc" -eq 0 ] && [ "$(j "$tmp/out" '[r["case"] for r in j] == ["CF-OUT-de"]')" = true ] || outs)"
# The gauges are refreshed every second: allow a few.
for _ in 1 2 3 4 5 6 7 8 9 10; do
	curl -s "http://127.0.0.1:$aport/metrics" >"$tmp/metrics.txt"
	grep '^hlx_outbox_messages{' "$tmp/metrics.txt" | grep -q 'state="unroutable"' && break
	sleep 0.5
done
check "unroutable: /metrics hlx_outbox_messages counts it (state=\"unroutable\")" "$(
    grep '^hlx_outbox_messages{' "$tmp/metrics.txt" | grep -q 'state="unroutable"' ||
    echo "no hlx_outbox_messages sample with state=\"unroutable\"; its samples: $(grep '^hlx_outbox_messages' "$tmp/metrics.txt" | tr '\n' ' ')")"
if ! fstart "$delog" 0 hotline-de.example "$certs/hotline-de.example.crt" \
    "$certs/hotline-de.example.key" accept DE; then
	echo "Bail out! the DE fake did not start"
	exit 2
fi
dpid=$fp
deport=$fport
h peer add hotline-de.example --url "https://127.0.0.1:$deport" \
    --cert "$certs/hotline-de.example.crt" --country DE
check "peer add hotline-de.example (the fake DE partner)" "$([ "$rc" -eq 0 ] || outs)"
wend=$(($(date +%s) + 10))
de_state=
while [ "$(date +%s)" -lt "$wend" ]; do
	"$hlx" -c "$conf" outbox list --json >"$tmp/list.json" 2>/dev/null
	de_state=$(j "$tmp/list.json" '[r["state"] for r in j if r["case"] == "CF-OUT-de"][0]')
	[ "$de_state" = delivered ] && break
	sleep 0.25
done
check "unroutable: delivered to hotline-de.example within 10 s of its route appearing" "$(
    [ "$de_state" = delivered ] || echo "state $de_state")"
de_mid=$(j "$tmp/list.json" '[r["message_id"] for r in j if r["case"] == "CF-OUT-de"][0]')
summary "$delog" "$de_mid"
check "unroutable: the DE partner got it once, addressed to hotline-de.example" "$(
    [ "$(j "$tmp/sum.json" 'j["posts"] == 1 and j["recipients"] == ["hotline-de.example"]')" = true ] ||
    cat "$tmp/sum.json")"
submit "$tmp/de.json"
check "unroutable, routed since: the same record again prints its new route" "$(
    [ "$rc" -eq 0 ] && [ "$line" = "CF-OUT-de $de_mid hotline-de.example" ] || outs)"

# The default route.
h peer route '*' hotline-de.example
check "peer route '*' hotline-de.example" "$([ "$rc" -eq 0 ] || outs)"
q mkrec "$base" CF-OUT-fr FR "$tmp/fr.json"
submit "$tmp/fr.json"
check "default route: a record hosted in FR goes to hotline-de.example" "$(
    [ "$rc" -eq 0 ] && echo "$line" | grep -Eq '^CF-OUT-fr [0-9a-f-]{36} hotline-de.example$' || outs)"
if wait_for "$mid" 'j["state"] == "delivered"' 10; then
	ok "default route: delivered"
else
	notok "default route: delivered" "state $(state_of)"
fi
summary "$delog" "$mid"
check "default route: the DE partner got it, Recipient hotline-de.example" "$(
    [ "$(j "$tmp/sum.json" 'j["posts"] == 1 and j["recipients"] == ["hotline-de.example"]')" = true ] ||
    cat "$tmp/sum.json")"

# Domestic: hosted in BE.
q mkrec "$base" CF-OUT-be BE "$tmp/be.json"
submit "$tmp/be.json"
check "domestic: hlx submit prints 'CF-OUT-be - domestic'" "$(
    [ "$rc" -eq 0 ] && [ "$line" = "CF-OUT-be - domestic" ] || outs)"
hf=$hdir/CF-OUT-be.json
check "domestic: a hand-off file, handoff.kind domestic, internal kept" "$(
    [ -f "$hf" ] || echo "no $hf ($(ls "$hdir" 2>&1 | tr '\n' ' '))"
    [ -f "$hf" ] && [ "$(j "$hf" 'j["case_id"] == "CF-OUT-be" and j["handoff"]["kind"] == "domestic" and j["handoff"]["revision"] == 1 and j["handoff"]["state"] == "new" and j["internal"]["notes"] == "internal note that must never leave the hotline" and j["internal"]["analyst"] == "analyst-2" and "referral" not in j')" != true ] &&
    echo "content: $(head -c 400 "$hf" | tr '\n' ' ')")"
check "domestic: nothing in the outbox for it" "$(
    h outbox list --json
    [ "$(j "$tmp/out" '[r for r in j if r["case"] == "CF-OUT-be"]')" = '[]' ] || outs)"

# ------------------------------------------------------ submit: idempotent

ncase=$(sq "$db" 'SELECT count(*) FROM hcase')
nout=$(sq "$db" 'SELECT count(*) FROM outbox')
naud=$(sq "$db" "SELECT count(*) FROM audit WHERE hcase LIKE '%CF-OUT-accept'")
first="CF-OUT-accept $accept_mid hotline-nl.example"
submit "$tmp/accept.json"
check "submit the same file again: the same line, exit 0" "$(
    [ "$rc" -eq 0 ] && [ "$line" = "$first" ] && [ ! -s "$tmp/err" ] || outs)"
submit "$tmp/be.json"
check "submit the same domestic record again: the same line" "$(
    [ "$rc" -eq 0 ] && [ "$line" = "CF-OUT-be - domestic" ] || outs)"
# The same record, as JSON (another layout), is the same record.
"$PY" -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1])), separators=(",", ":")))' \
    "$tmp/accept.json" >"$tmp/accept-compact.json"
submit "$tmp/accept-compact.json"
check "submit the same record in another JSON layout: the same line" "$(
    [ "$rc" -eq 0 ] && [ "$line" = "$first" ] || outs)"
check "re-submission stored nothing (cases $ncase, outbox $nout, audit entries of the case $naud)" "$(
    [ "$(sq "$db" 'SELECT count(*) FROM hcase')" = "$ncase" ] || echo "cases now $(sq "$db" 'SELECT count(*) FROM hcase')"
    [ "$(sq "$db" 'SELECT count(*) FROM outbox')" = "$nout" ] || echo "outbox now $(sq "$db" 'SELECT count(*) FROM outbox')"
    [ "$(sq "$db" "SELECT count(*) FROM audit WHERE hcase LIKE '%CF-OUT-accept'")" = "$naud" ] || echo "audit entries of the case grew")"
"$PY" -c 'import json,sys; r=json.load(open(sys.argv[1])); r["severity"]="critical"; json.dump(r, open(sys.argv[2],"w"))' \
    "$tmp/accept.json" "$tmp/accept-changed.json"
submit "$tmp/accept-changed.json"
check "a changed record under the same case_id: exit 65, one line on stderr naming the case" "$(
    [ "$rc" -eq 65 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] && grep -q CF-OUT-accept "$tmp/err" && [ ! -s "$tmp/out" ] || outs)"
check "the changed record stored nothing" "$(
    [ "$(sq "$db" 'SELECT count(*) FROM hcase')" = "$ncase" ] || echo "cases now $(sq "$db" 'SELECT count(*) FROM hcase')"
    [ "$(sq "$db" 'SELECT count(*) FROM outbox')" = "$nout" ] || echo "outbox now $(sq "$db" 'SELECT count(*) FROM outbox')")"

# JSON Lines on stdin, one bad line in the middle.
q mkrec "$base" CF-OUT-jl1 NL "$tmp/jl1.json" jsonl
q mkrec "$base" CF-OUT-jl3 NL "$tmp/jl3.json" jsonl
"$PY" -c 'import json,sys; r=json.load(open(sys.argv[1])); r["case_id"]="CF-OUT-jl2"; del r["reported_url"]; print(json.dumps(r))' \
    "$base" >"$tmp/jl2.json"
cat "$tmp/jl1.json" "$tmp/jl2.json" "$tmp/jl3.json" >"$tmp/lines.jsonl"
"$hlx" -c "$conf" submit - <"$tmp/lines.jsonl" >"$tmp/out" 2>"$tmp/err"
rc=$?
check "submit - (JSON Lines, line 2 bad): exit 65, lines 1 and 3 printed, one error naming -:2" "$(
    [ "$rc" -eq 65 ] || echo "exit $rc"
    [ "$(wc -l <"$tmp/out")" -eq 2 ] || echo "stdout $(wc -l <"$tmp/out") lines"
    grep -Eq '^CF-OUT-jl1 [0-9a-f-]{36} hotline-nl.example$' "$tmp/out" || echo "no line for jl1"
    grep -Eq '^CF-OUT-jl3 [0-9a-f-]{36} hotline-nl.example$' "$tmp/out" || echo "no line for jl3"
    [ "$(wc -l <"$tmp/err")" -eq 1 ] && grep -q -- '-:2' "$tmp/err" || echo "stderr: $(tr '\n' '|' <"$tmp/err")")"
check "submit -: the good records are stored, the bad one is not" "$(
    [ "$(sq "$db" "SELECT group_concat(number, ' ') FROM (SELECT number FROM hcase WHERE number LIKE 'CF-OUT-jl%' ORDER BY number)")" = "CF-OUT-jl1 CF-OUT-jl3" ] ||
    echo "cases: $(sq "$db" "SELECT group_concat(number, ' ') FROM hcase WHERE number LIKE 'CF-OUT-jl%'")")"
jl3=$(sed -n 's/^CF-OUT-jl3 \([^ ]*\) .*/\1/p' "$tmp/out")
if [ -n "$jl3" ] && wait_for "$jl3" 'j["state"] == "delivered"' 10; then
	ok "submit -: the stored records are delivered"
else
	notok "submit -: the stored records are delivered" "state $(state_of)"
fi

# ------------------------------------------------- what left the hotline

# Nothing of `internal` in any byte any fake partner received.
cat "$nllog" "$delog" "$mlog" >"$tmp/all.log"
"$PY" "$fake" contains "$tmp/all.log" \
    "internal note that must never leave the hotline" "analyst-2" \
    '"internal"' '<internal' >"$tmp/contains.out"
crc=$?
check "no byte of a record's internal member reached any partner ($(tail -1 "$tmp/contains.out"), $(grep -c '"event": "request"' "$tmp/all.log") requests)" "$(
    [ "$crc" -eq 0 ] || head -3 "$tmp/contains.out" | tr '\n' ' ')"

# Capabilities: fetched on first contact (protocol.md §4; issue 5).
check "Capabilities fetched on first contact (GET /hlx/1/capabilities seen by the partners)" "$(
    g=$(grep -c '"method": "GET", "path": "/hlx/1/capabilities"' "$tmp/all.log" 2>/dev/null)
    [ "${g:-0}" -ge 1 ] || echo "no GET /hlx/1/capabilities in $(grep -c '"event": "request"' "$tmp/all.log") requests")"

# The gateway is still up, and stops cleanly.
check "hlxd still running" "$(kill -0 "$pid" 2>/dev/null || echo "hlxd is gone: $(tail -3 "$log" | tr '\n' '|')")"
kill -TERM "$pid"
wait "$pid"
src=$?
pid=
check "hlxd: SIGTERM -> exit 0" "$([ "$src" -eq 0 ] || echo "exit $src")"
h audit verify
check "hlx audit verify" "$([ "$rc" -eq 0 ] || outs)"

finish
