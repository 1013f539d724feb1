#!/bin/sh
# exhaustion.sh BINDIR -- those who should not be able to cannot use up
# hlxd's connections or descriptors (issue 13, items 4a and 4c):
#   1. sockets that never finish a TLS handshake fill [listen]
#      max_handshakes, not max_connections: the oldest gives way, and a
#      partner still gets its 202 (before: 503 BUSY for every partner);
#   2. the admin listener (served by server.c now, not evhttp) holds at
#      most HLX_ADMIN_CONNECTIONS_MAX (16) connections: more are closed
#      at once, unanswered;
#   3. a client dripping a byte a second is cut off at the admin
#      listener's absolute deadline (HLX_ADMIN_TIMEOUT, 10 s) with 408,
#      where evhttp's timeout restarted at every byte;
#   4. 520 slow admin connections under a low RLIMIT_NOFILE leave the
#      partners their descriptors: a partner completes a request;
#   5. out of descriptors (EMFILE), a listener pauses instead of spinning
#      on accept(): one log line, little CPU, and it serves again once
#      descriptors are free;
#   6. sockets from two addresses that send one byte (0x16) and stall
#      hold no place: the oldest stalled handshake gives way
#      (HLX_HANDSHAKE_STALL_MIN), an address with its share of stalled
#      handshakes (max(1, max_handshakes / 16)) is refused at once, and a
#      partner gets its 202 promptly (before: nothing, curl timed out);
#      evictions and refusals are logged once per interval with a count,
#      not once a connection (1 and 6);
#   7. so are the partner listener's connection cap refusals.
# A real hlxd on loopback (ports chosen by the kernel, sources 127.0.0.x),
# a mktemp -d directory, synthetic data only.  One TAP line a check.
#
# shellcheck disable=SC2016
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
hpid=
tmp=$(mktemp -d) || exit 2
h6pid=
trap '[ -n "$hpid" ] && kill "$hpid" 2>/dev/null; [ -n "$h6pid" ] && kill "$h6pid" 2>/dev/null; [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null && wait "$pid"; rm -rf "$tmp"' EXIT
trap 'exit 130' HUP INT TERM

ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); fail=$((fail + 1)); echo "not ok $n - $1: $2"; }
cond() {
	if eval "$2" >/dev/null 2>&1; then ok "$1"; else notok "$1" "false: $2${3:+ ($3)}"; fi
}

for tool in openssl curl prlimit "$PY"; do
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
ref=$here/data/referral.xml
# max_connections 8 and max_handshakes 4: a dozen idle sockets are more
# than both.  handshake_timeout is long, so that only eviction frees them.
cat >"$conf" <<EOF
# exhaustion.sh: hotline BE, synthetic.
[hotline]
id = hotline-be.example
country = BE
receive_for = BE

[listen]
address = 127.0.0.1:0
rate_limit = 100000
max_connections = 8
max_connections_per_ip = 8
max_handshakes = 4
handshake_timeout = 30s
header_timeout = 5s
body_timeout = 5s

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
if [ -z "$port" ] || [ -z "$aport" ]; then
	echo "Bail out! hlxd did not start: $(tail -3 "$log" | tr '\n' '|')"
	exit 2
fi
ok "hlxd listens (partner $port, admin $aport)"

# post FILE: a partner's request from 127.0.0.1; sets $st, $tmp/body.
post() {
	rm -f "$tmp/body"
	st=$(curl --max-time 15 -sS --cacert "$certs/ca.crt" --cert "$nl.crt" \
	    --key "$nl.key" -o "$tmp/body" -w '%{http_code}' \
	    -H 'Content-Type: application/xml' --data-binary "@$1" \
	    "https://127.0.0.1:$port/hlx/1/messages" 2>"$tmp/curlerr")
	[ -f "$tmp/body" ] || : >"$tmp/body"
}
answer() { "$PY" "$client" parse "$tmp/body" 2>/dev/null; }
healthz() {
	curl -s --max-time 5 -o /dev/null -w '%{http_code}' \
	    "http://127.0.0.1:$aport/healthz" 2>/dev/null
}
loglines() { wc -l <"$log" | tr -d ' '; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$pid/stat"; }
nfds() { ls "/proc/$pid/fd" | wc -l | tr -d ' '; }
soft=$(prlimit --pid "$pid" --nofile --raw --noheadings --output=SOFT | tr -d ' ')
hard=$(prlimit --pid "$pid" --nofile --raw --noheadings --output=HARD | tr -d ' ')
# limit N: hlxd's soft RLIMIT_NOFILE (its hard one stays).
limit() { prlimit --pid "$pid" --nofile="$1:$hard"; }

# hold.py PORT COUNT SEND DIR SRC...: COUNT connections to PORT (sources
# round-robin), SEND written on each; DIR/ready once all are connected;
# waits for DIR/stop (60 s at most), then prints "open N closed M
# answered K" (answered: bytes came, as a 408).
cat >"$tmp/hold.py" <<'PYEOF'
import os, socket, sys, time
port, count, send, dirn = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
srcs = sys.argv[5:]
held = []
for i in range(count):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((srcs[i % len(srcs)], 0))
    s.settimeout(5)
    try:
        s.connect(("127.0.0.1", port))
        if send:
            s.send(send.encode().decode("unicode_escape").encode("latin-1"))
    except OSError:
        pass
    held.append(s)
open(os.path.join(dirn, "ready"), "w").close()
end = time.time() + 60
while not os.path.exists(os.path.join(dirn, "stop")) and time.time() < end:
    time.sleep(0.1)
opened = closed = answered = 0
for s in held:
    s.setblocking(False)
    try:
        if s.recv(4096) == b"":
            closed += 1
        else:
            answered += 1
    except BlockingIOError:
        opened += 1
    except OSError:
        closed += 1
print("open %d closed %d answered %d" % (opened, closed, answered))
PYEOF
# hold_start NAME PORT COUNT SEND SRC...: in the background ($hpid).
hold_start() {
	hn=$1
	shift
	hp=$1 hc=$2 hs=$3
	shift 3
	mkdir -p "$tmp/$hn"
	"$PY" "$tmp/hold.py" "$hp" "$hc" "$hs" "$tmp/$hn" "$@" 2>"$tmp/$hn/err" &
	hpid=$!
	i=0
	while [ ! -f "$tmp/$hn/ready" ] && [ $i -lt 300 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	sleep 0.5
}

# ------------------------------ 1. idle sockets fill the handshakes' room
"$PY" "$client" make "$ref" --id new --sent-at now --case NL-EX-1 >"$tmp/r1.xml"
before=$(loglines)
hold_start h1 "$port" 12 "" 127.0.0.2 127.0.0.4 >"$tmp/h1.out"
post "$tmp/r1.xml"
code=$(answer | sed -n 's/.*"Code": "\([A-Z_]*\)".*/\1/p')
cond "1. 12 idle TCP sockets (> max_connections 8, > max_handshakes 4): a partner still gets 202" \
    '[ "$st" = 202 ]' "status $st ${code:+$code }$(head -c 200 "$tmp/curlerr")"
cond "1. ... not 503 BUSY" '[ "$st" != 503 ]' "status $st $code"
: >"$tmp/h1/stop"
wait "$hpid" 2>/dev/null
hpid=
held=$(cat "$tmp/h1.out")
cond "1. at most max_handshakes (4) of the idle sockets were kept ($held)" \
    '[ "${held#open }" != "$held" ] && [ "$(echo "$held" | cut -d" " -f2)" -le 4 ]' "$held"
# fault KIND: hlx_peer_faults_total{peer="-",kind=KIND}, 0 when absent.
fault() {
	v=$(curl -s --max-time 5 "http://127.0.0.1:$aport/metrics" |
	    sed -n "s/^hlx_peer_faults_total{peer=\"-\",kind=\"$1\"} \([0-9]*\)\$/\1/p")
	echo "${v:-0}"
}
ev=$(fault handshake_evicted)
pa=$(fault handshakes_per_address)
cond "1. the 8 sockets beyond the room gave way or were refused (evicted $ev + refused $pa >= 8)" \
    '[ $((ev + pa)) -ge 8 ]' "evicted $ev refused $pa"
evl=$(sed -n "$((before + 1)),\$p" "$log" | grep -c 'event=handshake_evicted')
cond "1. ... logged once per interval, with a count, not once a connection ($evl lines)" \
    '[ "$evl" -le 1 ] && { [ "$ev" -le 1 ] || sed -n "$((before + 1)),\$p" "$log" | grep -q "event=handshake_evicted .* evicted=1\$"; }' \
    "$(sed -n "$((before + 1)),\$p" "$log" | grep handshake_evicted | head -3 | tr '\n' '|')"
cond "1. the room full, the partner listener waited (event=accept_paused listener=partner, once)" \
    '[ "$(grep -c "event=accept_paused listener=partner reason=\"max_handshakes reached\"" "$log")" -eq 1 ]' \
    "$(grep accept_paused "$log" | head -3 | tr '\n' '|')"

# -------------------------------------- 2. the admin listener's own cap
sleep 1
hold_start h2 "$aport" 20 "" 127.0.0.1 >"$tmp/h2.out"
hz=$(healthz)
: >"$tmp/h2/stop"
wait "$hpid" 2>/dev/null
hpid=
held=$(cat "$tmp/h2.out")
cond "2. 20 idle admin connections: 16 held, 4 closed at once ($held)" \
    '[ "$held" = "open 16 closed 4 answered 0" ]' "$held"
cond "2. ... and one more (a probe) is refused too, not queued ($hz)" \
    '[ "$hz" != 200 ]' "$hz"
sleep 0.5
cond "2. once they are gone, /healthz answers 200" '[ "$(healthz)" = 200 ]'
capl=$(grep -c 'event=refused listener=admin reason="connection cap"' "$log")
cond "2. the refusals are logged once, with their count ($capl line)" \
    '[ "$capl" -eq 1 ]' "$(grep 'listener=admin' "$log" | head -3 | tr '\n' '|')"

# ------------------------------------------ 3. a drip meets its deadline
"$PY" - "$aport" >"$tmp/drip" 2>&1 <<'PYEOF'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.settimeout(1)
t0 = time.time()
s.send(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Drip: ")
got = b""
while time.time() - t0 < 20:
    try:
        s.send(b"a")
    except OSError:
        break
    try:
        chunk = s.recv(4096)
        if not chunk:
            break
        got += chunk
    except socket.timeout:
        pass
    except OSError:
        break
print("after %.1f s: %s" % (time.time() - t0,
    got.split(b"\r\n")[0].decode() or "closed"))
PYEOF
secs=$(sed -n 's/^after \([0-9]*\)\..*/\1/p' "$tmp/drip")
cond "3. a byte a second to the admin listener: cut off within HLX_ADMIN_TIMEOUT (10 s) + 2 ($(cat "$tmp/drip"))" \
    '[ -n "$secs" ] && [ "$secs" -le 12 ]' "$(cat "$tmp/drip")"
cond "3. ... answered 408" 'grep -q "HTTP/1.1 408" "$tmp/drip"' "$(cat "$tmp/drip")"

# ---------------- 4. 520 slow admin connections under a low RLIMIT_NOFILE
# Room for 40 descriptors more than hlxd has open: the admin listener's
# 16 and a partner's request fit; 520 evhttp connections did not.
"$PY" "$client" make "$ref" --id new --sent-at now --case NL-EX-4 >"$tmp/r4.xml"
sleep 1
lim=$(($(nfds) + 40))
limit "$lim"
before=$(loglines)
hold_start h4 "$aport" 520 "GET /healthz HTTP/1.1\r\n" 127.0.0.1 >"$tmp/h4.out"
post "$tmp/r4.xml"
st4=$st
: >"$tmp/h4/stop"
wait "$hpid" 2>/dev/null
hpid=
held=$(cat "$tmp/h4.out")
limit "$soft"
cond "4. 520 slow admin connections, RLIMIT_NOFILE $lim: a partner still gets 202" \
    '[ "$st4" = 202 ]' "status $st4 $(head -c 200 "$tmp/curlerr")"
cond "4. ... of the 520, at most 16 were held ($held)" \
    '[ "$(echo "$held" | cut -d" " -f2)" -le 16 ]' "$held"
added=$(($(loglines) - before))
cond "4. ... and the log did not fill ($added lines)" '[ "$added" -le 20 ]' \
    "$(sed -n "$((before + 1)),\$p" "$log" | sort | uniq -c | sort -rn | head -3 | tr '\n' '|')"

# --------------------------------- 5. EMFILE: pause, do not spin or flood
sleep 1
lim=$(($(nfds) + 2))
limit "$lim"
before=$(loglines)
t0=$(cpu_ticks)
hold_start h5 "$aport" 40 "GET /healthz HTTP/1.1\r\n" 127.0.0.1 >"$tmp/h5.out"
sleep 3
t1=$(cpu_ticks)
: >"$tmp/h5/stop"
wait "$hpid" 2>/dev/null
hpid=
limit "$soft"
hz=
i=0
while [ $i -lt 30 ]; do
	hz=$(healthz)
	[ "$hz" = 200 ] && break
	sleep 0.2
	i=$((i + 1))
done
added=$(sed -n "$((before + 1)),\$p" "$log")
paused=$(printf '%s\n' "$added" | grep -c 'event=accept_paused listener=admin')
allp=$(grep -c 'event=accept_paused listener=admin' "$log")
cond "5. out of descriptors: the pause is logged, once a minute at most ($paused now, $allp in all)" \
    '[ "$paused" -le 1 ] && [ "$allp" -ge 1 ] && [ "$allp" -le 2 ]' "$(printf '%s\n' "$added" | sort | uniq -c | sort -rn | head -3 | tr '\n' '|')"
cond "5. ... with its reason" \
    'grep -q "event=accept_paused listener=admin reason=\"Too many open files\"" "$log"'
lines=$(printf '%s\n' "$added" | wc -l | tr -d ' ')
cond "5. ... and nothing floods the log ($lines lines, no libevent accept() errors)" \
    '[ "$lines" -le 10 ] && ! printf "%s\n" "$added" | grep -q "Error from accept"' \
    "$(printf '%s\n' "$added" | sort | uniq -c | sort -rn | head -3 | tr '\n' '|')"
ticks=$((t1 - t0))
cond "5. ... nor spins: $ticks CPU ticks in 3 s (< 100)" '[ "$ticks" -lt 100 ]' "$ticks"
cond "5. descriptors back: the admin listener serves again (/healthz $hz)" '[ "$hz" = 200 ]'
pf=$(curl -s --max-time 5 "http://127.0.0.1:$aport/metrics" |
    sed -n 's/^hlx_peer_faults_total{peer="-",kind="accept_paused"} \([0-9]*\)$/\1/p')
cond "5. the pauses are counted: hlx_peer_faults_total{kind=\"accept_paused\"} ${pf:-absent}" \
    '[ -n "$pf" ] && [ "$pf" -ge 1 ]'
"$PY" "$client" make "$ref" --id new --sent-at now --case NL-EX-5 >"$tmp/r5.xml"
post "$tmp/r5.xml"
cond "5. ... and the partner listener: 202" '[ "$st" = 202 ]' "status $st $(head -c 200 "$tmp/curlerr")"

# ------------------- 6. a byte (0x16) and a stall hold no handshake place
sleep 1
"$PY" "$client" make "$ref" --id new --sent-at now --case NL-EX-6 >"$tmp/r6.xml"
before=$(loglines)
hold_start h6 "$port" 8 '\x16' 127.0.0.2 127.0.0.3 >"$tmp/h6.out"
h6pid=$hpid
t0=$(date +%s)
post "$tmp/r6.xml"
el=$(($(date +%s) - t0))
cond "6. 8 sockets from 2 addresses, each a byte 0x16 and a stall (max_handshakes 4): a partner gets 202 in ${el}s" \
    '[ "$st" = 202 ] && [ "$el" -le 8 ]' "status $st $(head -c 200 "$tmp/curlerr")"
# Two dozen silent sockets from one more address: they fill the room,
# stall, and the rest are refused at once; none of it once a line.
ev0=$(fault handshake_evicted)
pa0=$(fault handshakes_per_address)
hold_start h7 "$port" 24 "" 127.0.0.5 >"$tmp/h7.out"
sleep 4
ev1=$(fault handshake_evicted)
pa1=$(fault handshakes_per_address)
: >"$tmp/h7/stop"
wait "$hpid" 2>/dev/null
: >"$tmp/h6/stop"
wait "$h6pid" 2>/dev/null
hpid= h6pid=
cond "6. an address holding its share (1) of stalled handshakes is refused at once (hlx_peer_faults_total{kind=\"handshakes_per_address\"} +$((pa1 - pa0)))" \
    '[ $((pa1 - pa0)) -ge 10 ]' "evicted +$((ev1 - ev0)) refused +$((pa1 - pa0)) $(cat "$tmp/h7.out")"
# (Each handshake held until the end fails when its client closes: one
# line each, as many as the room holds at most.)
added=$(sed -n "$((before + 1)),\$p" "$log" |
    grep 'event=refused\|event=handshake_evicted\|event=accept_paused')
lines=$(printf '%s\n' "$added" | grep -c .)
cond "6. ... and the log does not grow a line a connection ($lines refused/evicted/paused lines for $((ev1 - ev0 + pa1 - pa0)) such connections)" \
    '[ "$lines" -le 3 ]' "$(printf '%s\n' "$added" | sed 's/^.*event=/event=/' | cut -c1-60 | sort | uniq -c | sort -rn | head -4 | tr '\n' '|')"
"$PY" "$client" make "$ref" --id new --sent-at now --case NL-EX-7 >"$tmp/r7.xml"
post "$tmp/r7.xml"
cond "6. afterwards a partner: 202" '[ "$st" = 202 ]' "status $st $(head -c 200 "$tmp/curlerr")"

# ---------------- 7. the connection cap's refusals: a line per interval
# 9 partner connections from 127.0.0.1 (max_connections_per_ip 8, one
# more in the BUSY band), idle after their handshake; then 20 TCP
# connections from the same address, each closed at once.
sleep 1
before=$(loglines)
cc0=$(fault connection_cap)
capres=$("$PY" - "$port" "$certs/ca.crt" "$nl.crt" "$nl.key" <<'PYEOF' 2>&1
import socket, ssl, sys, time
port = int(sys.argv[1])
ctx = ssl.create_default_context(cafile=sys.argv[2])
ctx.check_hostname = False
ctx.load_cert_chain(sys.argv[3], sys.argv[4])
held = []
for i in range(9):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    held.append(ctx.wrap_socket(s))
raw = []
for i in range(20):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    raw.append(s)
closed = 0
for s in raw:
    try:
        if s.recv(1) == b"":
            closed += 1
    except OSError:
        closed += 1
print("tls %d closed %d" % (len(held), closed))
PYEOF
)
cc1=$(fault connection_cap)
capl=$(sed -n "$((before + 1)),\$p" "$log" | grep -c 'event=refused.*reason="connection cap"')
cond "7. 20 connections over the per-address cap: closed at once ($capres), counted (connection_cap +$((cc1 - cc0)))" \
    '[ "$capres" = "tls 9 closed 20" ] && [ $((cc1 - cc0)) -ge 20 ]' "$capres"
cond "7. ... and logged once per interval with a count, not once a connection ($capl lines)" \
    '[ "$capl" -le 1 ]' "$(sed -n "$((before + 1)),\$p" "$log" | grep 'connection cap' | head -3 | tr '\n' '|')"

kill -TERM "$pid"
wait "$pid"
rc=$?
pid=
cond "SIGTERM -> exit 0" '[ "$rc" -eq 0 ]' "exit $rc"
echo "1..$n"
echo "exhaustion: $((n - fail)) passed, $fail failed"
[ "$fail" -eq 0 ]
