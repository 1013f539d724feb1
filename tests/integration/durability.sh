#!/bin/sh
# durability.sh BINDIR -- a message answered 202 is never lost (protocol.md
# §3 check 19, operations.md §4; issue 4 "Durability, both ways").
#
# (1) Crash: 8 client threads (inbound_client.py) send Referrals with
#     distinct MessageIds over keep-alive connections while the script
#     kill -9s hlxd after about a second.  Every 202 the clients got is
#     recorded (MessageId, PartnerCaseRef, ReceivedAt); after a restart each
#     one is in the store with its hand-off file, re-sending its exact bytes
#     gives 202 duplicate with the same PartnerCaseRef and ReceivedAt, and
#     no hand-off is left pending.
# (2) Order: a killed process does not lose the page cache, so (1) alone
#     proves little about fsync.  hlxd runs under strace -f -y; three
#     Referrals are sent one by one, and the trace must show, for each,
#     between the request's arrival (the last read on its TCP socket) and
#     the first write of the response on that socket: an fsync of the
#     store's -wal file (the commit with the hand-off pending: every commit
#     fsyncs the WAL, i.e. synchronous=FULL), then the fsync of the hand-off
#     temporary file, its rename to CASE_ID.json, the fsync of the
#     directory, then another fsync of the WAL (marked written).
#
# A real hlxd on loopback, ports chosen by the kernel; a mktemp -d
# directory; synthetic data only.  One TAP line a check.
#
# shellcheck disable=SC2016,SC2317,SC2034
set -u

bindir=$(cd "${1:-bin}" && pwd) || exit 2
here=$(cd "$(dirname "$0")" && pwd) || exit 2
top=$(cd "$here/../.." && pwd) || exit 2
hlx="$bindir/hlx"
hlxd="$bindir/hlxd"
PY=python3
# inbound_client.py is imported by the checks: no __pycache__ in the tree.
export PYTHONDONTWRITEBYTECODE=1
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
client="$here/inbound_client.py"
n=0
fail=0
pid=
cpid=
tmp=$(mktemp -d) || exit 2
trap '[ -n "$cpid" ] && kill "$cpid" 2>/dev/null; stop_quiet; rm -rf "$tmp"' EXIT
trap 'exit 130' HUP INT TERM

ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); fail=$((fail + 1)); echo "not ok $n - $1: $2"; }
finish() {
	echo "1..$n"
	echo "durability: $((n - fail)) passed, $fail failed"
	[ "$fail" -eq 0 ]
	exit
}
cond() {
	if eval "$2" >/dev/null 2>&1; then ok "$1"; else notok "$1" "false: $2${3:+ ($3)}"; fi
}

for tool in openssl sqlite3 curl strace; do
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
db=$d/var/hlx.db
hdir=$d/handoff
ref=$here/data/referral.xml
cat >"$conf" <<EOF
# durability.sh: hotline BE, synthetic.
[hotline]
id = hotline-be.example
country = BE
receive_for = BE
case_prefix = IN-

[listen]
address = 127.0.0.1:0
rate_limit = 100000
rate_limit_bytes = 1G

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
sq() { (umask 077 && sqlite3 "$@"); }
if ! "$hlx" -c "$conf" peer add hotline-nl.example --url https://127.0.0.1:9 \
    --cert "$nl.crt" --country NL >"$tmp/out" 2>&1; then
	echo "Bail out! peer add: $(cat "$tmp/out")"
	exit 2
fi

# start [WRAPPER...]: hlxd -f (under WRAPPER if given), log in $log; waits
# for "listening", sets $port.
starts=0
start() {
	starts=$((starts + 1))
	log=$tmp/hlxd.$starts.log
	: >"$log"
	"$@" "$hlxd" -c "$conf" -f 2>"$log" &
	pid=$!
	i=0
	while [ $i -lt 150 ]; do
		if grep -q 'event=listening' "$log"; then
			port=$(sed -n 's/.*event=listening address=127\.0\.0\.1:\([0-9]*\) .*/\1/p' "$log" | head -1)
			return 0
		fi
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}
stop() {
	stoprc=none
	[ -n "$pid" ] || return
	kill -TERM "$pid" 2>/dev/null
	wait "$pid"
	stoprc=$?
	pid=
}
stop_quiet() { [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null && wait "$pid"; pid=; }
conn() { echo --port "$port" --ca "$certs/ca.crt" --cert "$nl.crt" --key "$nl.key"; }

# ------------------------------------------------- (1) kill -9 under load

if ! start; then
	echo "Bail out! hlxd did not start: $(tail -3 "$log" | tr '\n' '|')"
	exit 2
fi
mkdir -m 700 "$tmp/msgs"
# shellcheck disable=SC2046
"$PY" "$client" $(conn) many --template "$ref" --threads 8 --count 3000 \
    --per-conn 100000 --case-prefix NL-K- --save "$tmp/msgs" \
    --record "$tmp/rec.jsonl" >"$tmp/many.out" 2>&1 &
cpid=$!
# The kill comes once the clients have 20 answers (or after 30 s): on a
# loaded machine, a fixed second may see none yet.
i=0
while [ $i -lt 300 ]; do
	got=$(grep -c '"receipt_status": "accepted"' "$tmp/rec.jsonl" 2>/dev/null)
	[ "${got:-0}" -ge 20 ] && break
	sleep 0.1
	i=$((i + 1))
done
kill -9 "$pid"
wait "$pid" 2>/dev/null
pid=
wait "$cpid"
cpid=
acc=$(grep -c '"receipt_status": "accepted"' "$tmp/rec.jsonl")
errs=$(grep -c '"error"' "$tmp/rec.jsonl")
cond "(1) the clients got 202s before the kill ($acc accepted)" '[ "$acc" -ge 20 ]' \
    "$(cat "$tmp/many.out")"
cond "(1) the kill came while messages were in flight ($errs connections cut)" \
    '[ "$errs" -ge 1 ]' "$(cat "$tmp/many.out")"
cond "(1) every answer before the kill was a 202 accepted" \
    '[ "$(grep -c "\"status\"" "$tmp/rec.jsonl")" = "$acc" ]' \
    "$(grep '"status"' "$tmp/rec.jsonl" | grep -v accepted | head -2)"

if ! start; then
	notok "(1) hlxd restarts after kill -9" "$(tail -3 "$log" | tr '\n' '|')"
	finish
fi
ok "(1) hlxd restarts after kill -9"
cond "(1) no hand-off left pending after the restart" \
    '[ "$(sq "$db" "SELECT count(*) FROM handoff WHERE file_state = '"'pending'"'")" = 0 ]'

# Every recorded 202: one inbox row, under the case it was answered with,
# and its hand-off file: complete JSON naming that case and message.
"$PY" - "$tmp/rec.jsonl" "$db" "$hdir" >"$tmp/stored.out" 2>&1 <<'EOF'
import json, os, sqlite3, sys
rec = [json.loads(l) for l in open(sys.argv[1])]
acc = [r for r in rec if r.get("receipt_status") == "accepted"]
db = sqlite3.connect("file:%s?mode=ro" % sys.argv[2], uri=True)
rows = {}
for mid, num in db.execute("SELECT i.message_id, c.our_number FROM inbox i "
                           "JOIN hcase c ON c.id = i.hcase"):
    rows.setdefault(mid, []).append(num)
miss_row = [r["id"] for r in acc if rows.get(r["id"]) != [r["partner"]]]
miss_file = []
for r in acc:
    f = os.path.join(sys.argv[3], r["partner"] + ".json")
    try:
        h = json.load(open(f))
        if h["case_id"] != r["partner"] or h["referral"]["message_id"] != r["id"]:
            miss_file.append(r["partner"])
        elif oct(os.stat(f).st_mode & 0o777) != "0o600":
            miss_file.append(r["partner"] + " mode")
    except (OSError, ValueError, KeyError) as e:
        miss_file.append("%s (%s)" % (r["partner"], e))
print("%d %d %d" % (len(acc), len(miss_row), len(miss_file)))
print("rows missing:", miss_row[:3])
print("files missing:", miss_file[:3])
EOF
# shellcheck disable=SC2046
set -- $(head -1 "$tmp/stored.out")
srows=${2:-x}
sfiles=${3:-x}
cond "(1) every message answered 202 is in the store under its PartnerCaseRef" \
    '[ "$srows" = 0 ]' "$(tr '\n' ' ' <"$tmp/stored.out")"
cond "(1) every message answered 202 has its hand-off file (complete JSON, mode 0600)" \
    '[ "$sfiles" = 0 ]' "$(tr '\n' ' ' <"$tmp/stored.out")"
badjson=$("$PY" -c 'import glob, json, sys
bad = []
for f in glob.glob(sys.argv[1] + "/IN-*.json"):
    try:
        json.load(open(f))
    except ValueError:
        bad.append(f)
print(len(bad))' "$hdir")
cond "(1) no hand-off file is half-written" '[ "$badjson" = 0 ]'
left=$(find "$hdir" -name '.*.tmp.*' | wc -l)
if [ "$left" -eq 0 ]; then
	ok "(1) no temporary hand-off file left after the restart"
else
	echo "# NOTE: $left temporary hand-off file(s) left in the hand-off directory after kill -9 and restart (names starting with '.', the case system ignores them)"
	ok "(1) temporary hand-off files left after the crash are dot-files ($left)"
fi

# Re-sending each accepted message's exact bytes: 202 duplicate, the same
# PartnerCaseRef and ReceivedAt.  On keep-alive connections of 100.
"$PY" - "$tmp/rec.jsonl" "$tmp/msgs" >"$tmp/resend.args" <<'EOF'
import json, sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r.get("receipt_status") == "accepted":
        print("POST /hlx/1/messages@%s/%s.xml" % (sys.argv[2], r["id"]))
EOF
: >"$tmp/resend.out"
split -l 100 "$tmp/resend.args" "$tmp/resend.part."
for part in "$tmp"/resend.part.*; do
	[ -f "$part" ] || continue
	# shellcheck disable=SC2046
	tr '\n' '\0' <"$part" | xargs -0 "$PY" "$client" $(conn) seq >>"$tmp/resend.out" 2>&1
done
dupres=$("$PY" - "$tmp/rec.jsonl" "$tmp/resend.out" "$here" <<'EOF'
import json, sys
sys.path.insert(0, sys.argv[3])
from inbound_client import parse
acc = [r for r in map(json.loads, open(sys.argv[1]))
       if r.get("receipt_status") == "accepted"]
out = [json.loads(l) for l in open(sys.argv[2]) if l.startswith("{")]
bad = []
if len(out) != len(acc):
    bad.append("%d answers for %d messages" % (len(out), len(acc)))
for r, o in zip(acc, out):
    a = parse(o.get("body", "").encode())
    if not (o.get("status") == 202 and a.get("Status") == "duplicate" and
            a.get("PartnerCaseRef") == r["partner"] and
            a.get("ReceivedAt") == r["received_at"] and
            a.get("InReplyTo") == r["id"]):
        bad.append("%s: %s %s %s %s" % (r["id"], o.get("status", o.get("error")),
                   a.get("Status") or a.get("Code"), a.get("PartnerCaseRef"),
                   r["partner"]))
print(len(bad), "; ".join(bad[:3]))
EOF
)
cond "(1) re-sent, each gets 202 duplicate with the same PartnerCaseRef and ReceivedAt" \
    '[ "${dupres%% *}" = 0 ]' "$dupres"
"$hlx" -c "$conf" audit verify >"$tmp/verify" 2>&1
vrc=$?
cond "(1) the audit trail verifies after the crash" '[ "$vrc" -eq 0 ]' "$(cat "$tmp/verify")"
stop
cond "(1) SIGTERM -> exit 0" '[ "$stoprc" = 0 ]' "exit $stoprc"

# ------------------------------------------------ (2) order of operations

cond "(2) PRAGMA journal_mode is wal" '[ "$(sq "$db" "PRAGMA journal_mode")" = wal ]'

trace=$tmp/trace
# LeakSanitizer cannot work under ptrace (an ASan build exits 1 at the
# end): under strace, leaks are left to the other suites.
if ! start env ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0" strace -f -yy -qq -o "$trace" -e trace=fsync,fdatasync,rename,renameat,renameat2,write,writev,pwrite64,sendmsg,sendto,read,readv,recvfrom,recvmsg; then
	notok "(2) hlxd starts under strace" "$(tail -3 "$log" | tr '\n' '|')"
	finish
fi
ok "(2) hlxd starts under strace -f -yy"
: >"$tmp/order.ids"
for k in 1 2 3; do
	"$PY" "$client" make "$ref" --id new --sent-at now --case "NL-O-$k" >"$tmp/o$k.xml"
	curl -sS --max-time 30 --cacert "$certs/ca.crt" --cert "$nl.crt" \
	    --key "$nl.key" -H 'Content-Type: application/xml' \
	    --data-binary "@$tmp/o$k.xml" -o "$tmp/o$k.ans" -w '%{http_code}' \
	    --local-port "$((20000 + $$ % 20000 + k))" \
	    "https://127.0.0.1:$port/hlx/1/messages" >"$tmp/o$k.st" 2>&1
	"$PY" - "$tmp/o$k.ans" "$here" "$(cat "$tmp/o$k.st")" "$((20000 + $$ % 20000 + k))" >>"$tmp/order.ids" <<'EOF'
import sys
sys.path.insert(0, sys.argv[2])
from inbound_client import parse
a = parse(open(sys.argv[1], "rb").read())
print(sys.argv[3], a.get("Status"), a.get("PartnerCaseRef"), sys.argv[4])
EOF
	sleep 0.3
done
# SIGTERM to hlxd itself (strace's child), so that it stops as it should
# and strace follows it to the end.
child=$(pgrep -P "$pid" | head -1)
[ -n "$child" ] && kill -TERM "$child"
wait "$pid"
stoprc=$?
pid=
cond "(2) hlxd under strace: SIGTERM -> exit 0" '[ "$stoprc" = 0 ]' "exit $stoprc"
cond "(2) three Referrals one by one -> three 202 accepted" \
    '[ "$(grep -c "^202 accepted IN-" "$tmp/order.ids")" = 3 ]' "$(tr '\n' '|' <"$tmp/order.ids")"

# The trace, per request: its connection is the TCP socket whose peer port
# is the client's (--local-port); arrival = the last read of data on it
# before the response; the response = the first write/sendmsg of data on
# it after the arrival.  An event's time is the line where the call
# returned (strace -f splits calls of concurrent threads into
# "<unfinished ...>" and "<... resumed>").
"$PY" - "$trace" "$tmp/order.ids" "$hdir" >"$tmp/order.out" 2>&1 <<'EOF'
import re, sys
trace, ids, hdir = sys.argv[1:4]
lines = open(trace, errors="replace").read().splitlines()
# (index of the return, call, fd text, args, result)
ev = []
pending = {}
call_re = re.compile(r"^(\d+)\s+(\w+)\((.*)$")
for i, l in enumerate(lines):
    m = call_re.match(l)
    if m:
        pid, call, rest = m.groups()
        if rest.endswith("<unfinished ...>"):
            pending[(pid, call)] = (i, rest)
            continue
        ev.append((i, i, call, rest))
        continue
    m = re.match(r"^(\d+)\s+<\.\.\. (\w+) resumed>(.*)$", l)
    if m:
        pid, call, tail = m.groups()
        start, rest = pending.pop((pid, call), (i, ""))
        ev.append((start, i, call, rest.replace("<unfinished ...>", "") + tail))
ev.sort(key=lambda e: e[1])
def result(rest):
    m = re.search(r"=\s*(-?\d+)", rest.rsplit(")", 1)[-1] if ")" in rest else rest)
    return int(m.group(1)) if m else None
READS = {"read", "readv", "recvfrom", "recvmsg"}
WRITES = {"write", "writev", "sendmsg", "sendto"}
fails = 0
for line in open(ids):
    st, status, case, cport = line.split()
    sock = re.compile(r"TCP:\[[^\]]*->127\.0\.0\.1:%s\]" % cport)
    on = [e for e in ev if sock.search(e[3].split(",")[0])]
    final = "%s.json" % case
    rn = [e for e in ev if e[2].startswith("rename") and '"%s"' % final in e[3]]
    if not on or not rn:
        print("%s: no socket (%d) or no rename (%d) in the trace" % (case, len(on), len(rn)))
        fails += 1
        continue
    rename = rn[0]
    wr = [e for e in on if e[2] in WRITES and (result(e[3]) or 0) > 0 and e[0] > rename[1]]
    if not wr:
        print("%s: no write on its socket after the rename" % case)
        fails += 1
        continue
    resp = wr[0]
    rd = [e for e in on if e[2] in READS and (result(e[3]) or 0) > 0 and e[1] < resp[0]]
    arrival = rd[-1]
    # nothing written on the socket between the arrival and the rename
    early = [e for e in on if e[2] in WRITES and (result(e[3]) or 0) > 0 and arrival[1] < e[0] < rename[1]]
    window = [e for e in ev if arrival[1] < e[1] < resp[0]]
    def first(pred, after=-1):
        for e in window:
            if e[1] > after and pred(e):
                return e
        return None
    is_wal = lambda e: e[2] in ("fsync", "fdatasync") and re.match(r"\d+<[^>]*-wal>", e[3]) and result(e[3]) == 0
    wal1 = first(is_wal)
    tmpf = first(lambda e: e[2] == "fsync" and re.match(r"\d+<%s/\.%s\.json\.tmp\.[^>]*>" % (re.escape(hdir), re.escape(case)), e[3]) and result(e[3]) == 0)
    dirf = first(lambda e: e[2] == "fsync" and re.match(r"\d+<%s>" % re.escape(hdir), e[3]) and result(e[3]) == 0, rename[1])
    wal2 = first(is_wal, dirf[1] if dirf else 10**9)
    steps = [("WAL fsync (commit, hand-off pending)", wal1), ("fsync of the temporary file", tmpf),
             ("rename to " + final, rename if result(rename[3]) == 0 else None),
             ("fsync of the directory", dirf), ("WAL fsync (marked written)", wal2)]
    bad = [n for n, e in steps if e is None]
    # synchronous=FULL: nothing written to the WAL after its last fsync
    walpw = [e for e in window if e[2] == "pwrite64" and re.match(r"\d+<[^>]*-wal>", e[3])]
    if wal2 and walpw and walpw[-1][1] > wal2[1]:
        bad.append("a WAL write after the last WAL fsync")
    order = [e[1] for n, e in steps if e is not None]
    if bad or order != sorted(order) or early or not (arrival[1] < rename[1] < resp[0]):
        print("%s: missing %s; order %s; early writes %d; arrival line %d, rename %d, response %d"
              % (case, bad, order, len(early), arrival[1] + 1, rename[1] + 1, resp[0] + 1))
        fails += 1
    else:
        print("%s: ok: arrival@%d wal@%d tmp@%d rename@%d dir@%d wal@%d response@%d" %
              ((case, arrival[1] + 1) + tuple(e[1] + 1 for n, e in steps) + (resp[0] + 1,)))
# For the record: WAL writes and fsyncs over the whole trace.
walw = sum(1 for e in ev if e[2] in WRITES | {"pwrite64"} and re.match(r"\d+<[^>]*-wal>", e[3]))
walf = sum(1 for e in ev if e[2] in ("fsync", "fdatasync") and re.match(r"\d+<[^>]*-wal>", e[3]))
print("wal writes %d, wal fsyncs %d" % (walw, walf))
print("FAILS %d" % fails)
EOF
ofails=$(sed -n 's/^FAILS //p' "$tmp/order.out")
sed 's/^/# /' "$tmp/order.out"
for k in 1 2 3; do
	c=$(sed -n "${k}p" "$tmp/order.ids" | awk '{print $3}')
	cond "(2) $c: WAL fsync, temp fsync, rename to $c.json, directory fsync, WAL fsync, then the 202 written" \
	    'grep -q "^$c: ok" "$tmp/order.out"' "$(grep "^$c:" "$tmp/order.out")"
done
cond "(2) synchronous=FULL: each request's commit fsyncs the WAL (checked above for all three)" \
    '[ "$ofails" = 0 ]' "$(tail -3 "$tmp/order.out" | tr '\n' '|')"

finish
