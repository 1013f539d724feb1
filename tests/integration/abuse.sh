#!/bin/sh
# abuse.sh BINDIR -- a partner (or a stranger) that misbehaves cannot make
# hlxd grow or lock others out:
#   - pipelined requests whose answers are never read: memory stays
#     bounded (reading stops past SERVER_OUTPUT_HIGH), the gateway serves
#     others meanwhile, and the connection is cut at its deadline;
#   - over max_connections a partner gets 503 BUSY, but one address gets
#     at most one connection more than max_connections_per_ip, so other
#     addresses are still answered.
# Loopback only (127.0.0.x source addresses), synthetic certificates.
set -u
bindir=$(cd "${1:-bin}" && pwd)
top=$(cd "$(dirname "$0")/../.." && pwd)
hlx="$bindir/hlx"
hlxd="$bindir/hlxd"
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
tmp=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
n=0
fail=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); fail=$((fail + 1)); echo "not ok $n - $1: $2"; }

sh "$top/certs-example/make-certs.sh" "$tmp/certs" >/dev/null || exit 2
mkdir -m 700 "$tmp/run"
cat >"$tmp/hlx.conf" <<CONF
[hotline]
id = hotline-be.example
country = BE
[listen]
address = 127.0.0.1:0
rate_limit = 1000000
max_connections = 4
max_connections_per_ip = 2
handshake_timeout = 3s
header_timeout = 4s
body_timeout = 4s
[tls]
cert = $tmp/certs/hotline-be.example.crt
key = $tmp/certs/hotline-be.example.key
[storage]
path = $tmp/run/hlx.db
audit_key = $tmp/run/audit.key
min_free = 1M
[admin]
address = 127.0.0.1:0
[handoff]
dir = $tmp/run/handoff
CONF
"$hlx" -c "$tmp/hlx.conf" peer add hotline-nl.example --url https://127.0.0.1:9 \
    --cert "$tmp/certs/hotline-nl.example.crt" --country NL >/dev/null || exit 2
"$hlxd" -c "$tmp/hlx.conf" -f 2>"$tmp/log" &
pid=$!
port=
for _ in $(seq 1 50); do
	port=$(sed -n 's/.*event=listening address=127.0.0.1:\([0-9]*\) .*/\1/p' "$tmp/log")
	[ -n "$port" ] && break
	sleep 0.1
done
[ -n "$port" ] || { echo "Bail out! hlxd did not start: $(tail -3 "$tmp/log")"; exit 2; }

rss() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$pid/status"; }

# 1. Pipelining without reading.
before=$(rss)
"$PY" - "$port" "$tmp/certs" "$pid" >"$tmp/flood" 2>&1 <<'PYEOF'
import socket, ssl, sys, time
port, certs, pid = int(sys.argv[1]), sys.argv[2], sys.argv[3]
ctx = ssl.create_default_context(cafile=certs + "/ca.crt")
ctx.check_hostname = False
ctx.load_cert_chain(certs + "/hotline-nl.example.crt", certs + "/hotline-nl.example.key")
def rss():
    for line in open("/proc/%s/status" % pid):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), source_address=("127.0.0.5", 0)), server_hostname="x")
s.settimeout(0.5)
req = b"GET /hlx/1/capabilities HTTP/1.1\r\nHost: x\r\n\r\n" * 200
sent, peak, end = 0, 0, time.time() + 3
while time.time() < end:
    try:
        sent += s.send(req)
    except (socket.timeout, ssl.SSLWantWriteError):
        pass
    except OSError:
        break
    peak = max(peak, rss())
print("sent", sent, "peak_kb", peak)
# Meanwhile another partner is served.
t = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), source_address=("127.0.0.6", 0)), server_hostname="x")
t.send(b"GET /hlx/1/capabilities HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
print("other", t.recv(64).split(b"\r\n")[0].decode())
# The flooder is cut off at its deadline (4 s without reading).
s.settimeout(None)
time.sleep(5)
try:
    while s.recv(65536):
        pass
    print("closed yes")
except OSError:
    print("closed yes")
PYEOF
peak=$(sed -n 's/.*peak_kb \([0-9]*\).*/\1/p' "$tmp/flood")
sent=$(sed -n 's/^sent \([0-9]*\).*/\1/p' "$tmp/flood")
if ldd "$hlxd" 2>/dev/null | grep -q libasan; then
	# ASan keeps freed memory in quarantine (256 MB): RSS says nothing.
	ok "pipelined requests never read: memory not measured # SKIP ASan build"
elif [ -n "$peak" ] && [ -n "$before" ] && [ $((peak - before)) -lt 20000 ]; then
	ok "pipelined requests never read ($sent bytes sent): memory grew $((peak - before)) kB (< 20 MB)"
else
	notok "pipelined requests never read: memory stays bounded" "before=$before peak=$peak; $(tr '\n' ' ' <"$tmp/flood")"
fi
if grep -q "^other HTTP/1.1 200" "$tmp/flood"; then
	ok "meanwhile another partner is answered"
else
	notok "meanwhile another partner is answered" "$(tr '\n' ' ' <"$tmp/flood")"
fi
if grep -q "^closed yes" "$tmp/flood" && kill -0 "$pid" 2>/dev/null; then
	ok "the flooder is cut off, hlxd goes on"
else
	notok "the flooder is cut off, hlxd goes on" "$(tr '\n' ' ' <"$tmp/flood")"
fi
sleep 1

# 2. The busy band: max 4, per IP 2.
"$PY" - "$port" "$tmp/certs" >"$tmp/caps" 2>&1 <<'PYEOF'
import socket, ssl, sys, time
port, certs = int(sys.argv[1]), sys.argv[2]
ctx = ssl.create_default_context(cafile=certs + "/ca.crt")
ctx.check_hostname = False
ctx.load_cert_chain(certs + "/hotline-nl.example.crt", certs + "/hotline-nl.example.key")
held = []
def conn(src):
    return ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), source_address=(src, 0)), server_hostname="x")
def ask(src):
    try:
        c = conn(src)
        c.send(b"GET /hlx/1/capabilities HTTP/1.1\r\nHost: x\r\n\r\n")
        c.settimeout(3)
        line = c.recv(4096).split(b"\r\n")[0].decode()
        held.append(c)
        return line or "closed"
    except OSError:
        return "closed"
for src in ("127.0.0.2", "127.0.0.2", "127.0.0.3", "127.0.0.3"):
    held.append(conn(src))
time.sleep(0.3)
# Over the global cap, .2 may hold one connection more than its cap ...
a = conn("127.0.0.2")
time.sleep(0.2)
# ... and not two: this one is closed unanswered,
print("B", ask("127.0.0.2"))
# while the one it holds is told BUSY,
a.send(b"GET /hlx/1/capabilities HTTP/1.1\r\nHost: x\r\n\r\n")
a.settimeout(3)
print("A", a.recv(4096).split(b"\r\n")[0].decode() or "closed")
# and another address is still answered.
print("C", ask("127.0.0.4"))
PYEOF
if grep -q "^A HTTP/1.1 503" "$tmp/caps"; then
	ok "over max_connections: 503 BUSY (one more than the per-IP cap)"
else
	notok "over max_connections: 503 BUSY" "$(tr '\n' ' ' <"$tmp/caps")"
fi
if grep -q "^B closed" "$tmp/caps"; then
	ok "one address cannot take the busy band: closed unanswered"
else
	notok "one address cannot take the busy band" "$(tr '\n' ' ' <"$tmp/caps")"
fi
if grep -q "^C HTTP/1.1 503" "$tmp/caps"; then
	ok "another address is still answered (BUSY)"
else
	notok "another address is still answered" "$(tr '\n' ' ' <"$tmp/caps")"
fi

kill -TERM "$pid"
wait "$pid"
rc=$?
pid=
[ "$rc" -eq 0 ] && ok "SIGTERM -> exit 0" || notok "SIGTERM -> exit 0" "exit $rc"
echo "1..$n"
echo "abuse: $((n - fail)) passed, $fail failed"
[ $fail -eq 0 ]
