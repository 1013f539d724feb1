#!/bin/sh
# tls.sh BINDIR -- the TLS pitfalls of the partner listener, each shown:
#   - sessions are resumed (stateful, no tickets), in TLS 1.3 and 1.2;
#   - the session cache is flushed when the peers change, so a session of
#     a peer that changed is never resumed (it must handshake again, and a
#     disabled peer's handshake fails);
#   - TLS 1.2 offers only ECDHE with AEAD ciphers, with server preference;
#   - TCP_NODELAY is set on the listening socket and so on every accepted
#     one (strace shows the setsockopt; without it every keep-alive answer
#     waits ~40 ms for Nagle -- shown here without a stopwatch).
set -u
bindir=$(cd "${1:-bin}" && pwd)
top=$(cd "$(dirname "$0")/../.." && pwd)
hlx="$bindir/hlx"
hlxd="$bindir/hlxd"
tmp=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
n=0
fail=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); fail=$((fail + 1)); echo "not ok $n - $1: $2"; }
check() { if [ -z "$2" ]; then ok "$1"; else notok "$1" "$2"; fi; }

certs=$tmp/certs
sh "$top/certs-example/make-certs.sh" "$certs" >/dev/null || exit 2
mkdir -m 700 "$tmp/run"
cat >"$tmp/hlx.conf" <<CONF
[hotline]
id = hotline-be.example
country = BE
[listen]
address = 127.0.0.1:0
[tls]
cert = $certs/hotline-be.example.crt
key = $certs/hotline-be.example.key
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
    --cert "$certs/hotline-nl.example.crt" --country NL >/dev/null || exit 2
"$hlx" -c "$tmp/hlx.conf" peer add hotline-de.example --url https://127.0.0.1:9 \
    --cert "$certs/hotline-de.example.crt" --country DE >/dev/null || exit 2
# LeakSanitizer cannot run under ptrace: off for an ASan build here.
ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0" strace -f -qq -e trace=setsockopt \
    -o "$tmp/trace" "$hlxd" -c "$tmp/hlx.conf" -f 2>"$tmp/log" &
pid=$!
port=
for _ in $(seq 1 50); do
	port=$(sed -n 's/.*event=listening address=127.0.0.1:\([0-9]*\) .*/\1/p' "$tmp/log")
	[ -n "$port" ] && break
	sleep 0.1
done
[ -n "$port" ] || { echo "Bail out! hlxd did not start"; exit 2; }

# one TLS connection as PEER, one request; prints New/Reused and the status
conn() {	# PEER VERSION SESSION-ARGS...
	p=$1
	v=$2
	shift 2
	printf 'GET /hlx/1/capabilities HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' |
	    timeout 10 openssl s_client -connect "127.0.0.1:$port" "$v" \
	    -cert "$certs/hotline-$p.example.crt" -key "$certs/hotline-$p.example.key" \
	    -CAfile "$certs/ca.crt" -ign_eof "$@" 2>/dev/null |
	    grep -E '^(New|Reused),|^HTTP/1.1' | tr '\n' ' '
}

for v in -tls1_3 -tls1_2; do
	first=$(conn nl "$v" -sess_out "$tmp/sess")
	again=$(conn nl "$v" -sess_in "$tmp/sess")
	check "$v: a new session, then resumed" "$(
	    case "$first|$again" in "New,"*"HTTP/1.1 200"*"|Reused,"*"HTTP/1.1 200"*) ;;
	    *) echo "first: $first; again: $again" ;; esac)"
done

# A change of peers flushes the cache: the saved session is not resumed.
conn de -tls1_3 -sess_out "$tmp/sess-de" >/dev/null
"$hlx" -c "$tmp/hlx.conf" peer disable hotline-de.example >/dev/null
sleep 1.5
after=$(conn de -tls1_3 -sess_in "$tmp/sess-de")
check "after a peer is disabled its saved session is not resumed, nor is it let in" "$(
    case "$after" in *Reused*|*"HTTP/1.1 200"*) echo "got: $after" ;; esac)"
still=$(conn nl -tls1_3)
check "other peers are still let in (with a full handshake)" "$(
    case "$still" in "New,"*"HTTP/1.1 200"*) ;; *) echo "got: $still" ;; esac)"

# TLS 1.2: only ECDHE with AEAD, and the server picks.
for c in AES128-GCM-SHA256 ECDHE-ECDSA-AES128-SHA ECDHE-ECDSA-AES256-SHA384; do
	out=$(echo | timeout 10 openssl s_client -connect "127.0.0.1:$port" -tls1_2 \
	    -cipher "$c" -cert "$certs/hotline-nl.example.crt" \
	    -key "$certs/hotline-nl.example.key" 2>&1 | grep -c 'Cipher is (NONE)\|alert handshake failure\|no ciphers available')
	check "TLS 1.2 $c (not ECDHE+AEAD) is refused" "$([ "$out" -ge 1 ] || echo accepted)"
done
chosen=$(echo | timeout 10 openssl s_client -connect "127.0.0.1:$port" -tls1_2 \
    -cipher 'ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES128-GCM-SHA256' \
    -cert "$certs/hotline-nl.example.crt" -key "$certs/hotline-nl.example.key" 2>/dev/null |
    sed -n 's/.*Cipher is \(.*\)/\1/p' | head -1)
check "TLS 1.2: the server's preference wins (AES128-GCM over the client's CHACHA20 first)" "$(
    [ "$chosen" = ECDHE-ECDSA-AES128-GCM-SHA256 ] || echo "chosen: $chosen")"

# TCP_NODELAY on the listener (accepted sockets inherit it) and on each
# accepted socket.
nodelay=$(grep -c 'TCP_NODELAY, \[1\]' "$tmp/trace")
check "TCP_NODELAY is set on the listening and accepted sockets ($nodelay times)" "$(
    [ "$nodelay" -ge 3 ] || echo "$nodelay setsockopt(TCP_NODELAY) in the trace")"

# SIGTERM to hlxd itself (strace's child): strace ends with it.
child=$(pgrep -P "$pid" | head -1)
[ -n "$child" ] && kill -TERM "$child"
wait "$pid"
rc=$?
pid=
check "SIGTERM -> exit 0" "$([ "$rc" = 0 ] || echo "exit $rc")"
echo "1..$n"
echo "tls: $((n - fail)) passed, $fail failed"
[ $fail -eq 0 ]
