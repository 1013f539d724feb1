#!/bin/sh
# framing.sh BINDIR -- strict HTTP/1.1 framing on hlxd's partner listener
# (protocol.md §3 check 2; issue 13 items 6 and 7b).
#
# A real hlxd on loopback (ports chosen by the kernel), certificates from
# certs-example/make-certs.sh, a store of its own in a mktemp -d directory,
# as inbound.sh starts it.  Raw requests are written byte for byte over
# TLS with a registered partner's certificate by framing_raw.py below
# (Python's ssl, nothing shared with the gateway's code): what a lenient
# parser accepts and a front end in front of hlxd could read otherwise
# (whitespace before a colon, a repeated Content-Type, a Transfer-Encoding
# other than exactly "chunked", chunk data not followed by CRLF, bare LF or
# CR, obs-fold, HTTP/1.9, an Expect other than 100-continue) must be
# refused, each with its status and HLX Code, and the connection closed.
# Then the 413 of a body over max_message_bytes must reach a client still
# sending it (curl, and Python's http.client), and the reading that lets
# it do so (a lingering close) must end at its bounds (HLX_LINGER_*).
# Synthetic data only.  One TAP line a check.
#
# cond's checks are single-quoted on purpose: eval expands them.
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
tmp=$(mktemp -d) || exit 2
trap 'stop_quiet; rm -rf "$tmp"' EXIT
trap 'exit 130' HUP INT TERM

ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); fail=$((fail + 1)); echo "not ok $n - $1: $2"; }
cond() {
	if eval "$2" >/dev/null 2>&1; then ok "$1"; else notok "$1" "false: $2${3:+ ($3)}"; fi
}
stop_quiet() { [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null && wait "$pid"; pid=; }

for tool in openssl curl; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "Bail out! $tool is needed"
		exit 2
	fi
done
if [ ! -x "$hlx" ] || [ ! -x "$hlxd" ]; then
	echo "Bail out! no $hlx or $hlxd (make first)"
	exit 2
fi
# The bounds of the lingering close, as the code has them.
lbytes=$(sed -n 's/^#define HLX_LINGER_BYTES[ \t]*(\(.*\))$/\1/p' "$top/include/hlx_limits.h")
lsecs=$(sed -n 's/^#define HLX_LINGER_SECONDS[ \t]*\([0-9]*\)$/\1/p' "$top/include/hlx_limits.h")
lbytes=$(( $(printf '%s' "${lbytes:-0}" | tr -d L) ))

# ---------------------------------------------------------------- set-up

d=$tmp/gw
mkdir -m 700 "$d" "$d/var" || exit 2
if ! sh "$top/certs-example/make-certs.sh" "$d/certs" >"$tmp/certs.out" 2>&1; then
	echo "Bail out! make-certs.sh failed: $(tail -1 "$tmp/certs.out")"
	exit 2
fi
certs=$d/certs
conf=$d/hlx.conf
ref=$here/data/referral.xml
# The smallest body limit there is (64 KiB): the 2 MiB bodies below are
# far over it.
cat >"$conf" <<EOF
# framing.sh: hotline BE, synthetic.
[hotline]
id = hotline-be.example
country = BE
receive_for = BE
case_prefix = IN-

[listen]
address = 127.0.0.1:0
rate_limit = 1000
max_message_bytes = 65536
header_timeout = 5s
body_timeout = 20s

[tls]
cert = certs/hotline-be.example.crt
key = certs/hotline-be.example.key

[storage]
path = var/hlx.db
audit_key = var/audit.key
min_free = 1M

[log]
level = info

[admin]
address = 127.0.0.1:0

[handoff]
dir = handoff
deadline_high = 24h
EOF
if ! "$hlx" -c "$conf" peer add hotline-nl.example --url https://127.0.0.1:9 \
    --cert "$certs/hotline-nl.example.crt" --country NL >"$tmp/out" 2>&1; then
	echo "Bail out! peer add: $(cat "$tmp/out")"
	exit 2
fi
log=$tmp/hlxd.log
"$hlxd" -c "$conf" -f 2>"$log" &
pid=$!
port=
i=0
while [ $i -lt 100 ]; do
	port=$(sed -n 's/.*event=listening address=127\.0\.0\.1:\([0-9]*\) .*/\1/p' "$log" | head -1)
	[ -n "$port" ] && break
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.1
	i=$((i + 1))
done
if [ -z "$port" ]; then
	echo "Bail out! hlxd did not start: $(tail -3 "$log" | tr '\n' '|')"
	exit 2
fi
ok "hlxd listens on a free port ($port)"
url=https://127.0.0.1:$port
crt=$certs/hotline-nl.example.crt
key=$certs/hotline-nl.example.key

# framing_raw.py: one connection, raw bytes, one answer judged.
cat >"$tmp/framing_raw.py" <<'EOF'
"""framing_raw.py PORT CA CRT KEY BODY CASE WANT_STATUS WANT_CODE
Sends request CASE (below; BODY is the message it carries) on one TLS
connection, reads until the server closes (10 s at most), and prints
nothing when the answer is WANT_STATUS with an HLX Error WANT_CODE (or a
Receipt for 202) and, for an error, the connection was closed after it;
else what was wrong."""
import os, socket, ssl, sys, time
sys.path.insert(0, os.environ["HERE"])
from inbound_client import parse

port, ca, crt, key, bodyf, case, want, code = sys.argv[1:9]
body = open(bodyf, "rb").read()
CL = b"Content-Length: %d\r\n" % len(body)
HEAD = b"POST /hlx/1/messages HTTP/1.1\r\nHost: gw.example\r\n"
CT = b"Content-Type: application/xml\r\n"

def chunked(b, sep=b"\r\n", size_sfx=b""):
    h = len(b) // 2
    return (b"%x" % h + size_sfx + b"\r\n" + b[:h] + sep +
            b"%x;ext=1\r\n" % (len(b) - h) + b[h:] + b"\r\n0\r\n\r\n")

TE = b"Transfer-Encoding: chunked\r\n"
cases = {
    # accepted: what strict framing still takes
    "ok-length": HEAD + CT + CL + b"\r\n" + body,
    "ok-chunked-continue": HEAD + CT + b"Expect: 100-continue\r\n" + TE +
        b"\r\n" + chunked(body),
    "ok-te-case": HEAD + CT + b"Transfer-Encoding: Chunked\r\n\r\n" +
        chunked(body),
    "ok-http10": HEAD.replace(b"1.1", b"1.0") + CT + CL + b"\r\n" + body,
    "ok-leading-crlf": b"\r\n" + HEAD + CT + CL + b"\r\n" + body,
    # values compared, OWS after them, up to what is kept (31 bytes; 127)
    "ok-expect-ows": HEAD + CT + b"Expect: 100-continue" + b" " * 19 +
        b"\r\n" + CL + b"\r\n" + body,
    "ok-te-ows": HEAD + CT + b"Transfer-Encoding: chunked" + b" " * 24 +
        b"\r\n\r\n" + chunked(body),
    "ok-content-type-ows": HEAD + b"Content-Type: application/xml" +
        b" " * 112 + b"\r\n" + CL + b"\r\n" + body,
    # refused
    "ws-before-colon": HEAD + CT + b"Content-Encoding : gzip\r\n" + CL +
        b"\r\n" + body,
    "ws-before-colon-other": HEAD + CT + b"X-Partner : 1\r\n" + CL +
        b"\r\n" + body,
    "two-content-type": HEAD + CT + CT + CL + b"\r\n" + body,
    "te-gzip-chunked": HEAD + CT + b"Transfer-Encoding: gzip, chunked\r\n"
        b"\r\n" + chunked(body),
    "te-chunked-chunked": HEAD + CT +
        b"Transfer-Encoding: chunked, chunked\r\n\r\n" + chunked(body),
    "te-twice": HEAD + CT + TE + TE + b"\r\n" + chunked(body),
    "te-identity": HEAD + CT + b"Transfer-Encoding: identity\r\n" + CL +
        b"\r\n" + body,
    "te-http10": HEAD.replace(b"1.1", b"1.0") + CT + TE + b"\r\n" +
        chunked(body),
    "chunk-no-crlf": HEAD + CT + TE + b"\r\n" + chunked(body, b"XY"),
    "chunk-lf-only": HEAD + CT + TE + b"\r\n" + chunked(body, b"\n"),
    "chunk-size-space": HEAD + CT + TE + b"\r\n" +
        chunked(body, size_sfx=b" "),
    # one byte past what is kept of a value: refused, never compared cut
    "expect-padded": HEAD + CT + b"Expect: 100-continue" + b" " * 19 +
        b"x\r\n" + CL + b"\r\n" + body,
    # http-parser ends a token at a tab: it sees "x, chunked" (chunked)
    "te-padded": HEAD + CT + b"Transfer-Encoding: chunked\t" + b" " * 23 +
        b"x, chunked\r\n\r\n" + chunked(body),
    "content-type-padded": HEAD + b"Content-Type: application/xml" +
        b" " * 112 + b"x\r\n" + CL + b"\r\n" + body,
    # no trailer: a field there is one the head's checks never saw
    "trailer": HEAD + CT + TE + b"\r\n" + chunked(body)[:-2] +
        b"X-Trailer: 1\r\n\r\n",
    "trailer-content-encoding": HEAD + CT + TE + b"\r\n" +
        chunked(body)[:-2] + b"Content-Encoding: gzip\r\n\r\n",
    "trailer-ws-before-colon": HEAD + CT + TE + b"\r\n" +
        chunked(body)[:-2] + b"X-Trailer : 1\r\n\r\n",
    "bare-lf": (HEAD + CT + CL + b"\r\n").replace(b"\r\n", b"\n") + body,
    "bare-lf-one-line": HEAD + CT.replace(b"\r\n", b"\n") + CL + b"\r\n" +
        body,
    "bare-cr": HEAD + b"X-Partner: a\rb\r\n" + CT + CL + b"\r\n" + body,
    "obs-fold": HEAD + b"X-Partner: a\r\n b\r\n" + CT + CL + b"\r\n" + body,
    "http19": HEAD.replace(b"1.1", b"1.9") + CT + CL + b"\r\n" + body,
    "http20": HEAD.replace(b"1.1", b"2.0") + CT + CL + b"\r\n" + body,
    "expect-other": HEAD + CT + b"Expect: 200-ok\r\n" + CL + b"\r\n" + body,
    "expect-list": HEAD + CT + b"Expect: 100-continue, x-y\r\n" + CL +
        b"\r\n" + body,
}
raw = cases[case]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.load_verify_locations(ca)
ctx.load_cert_chain(crt, key)
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", int(port))),
                    server_hostname="127.0.0.1")
s.settimeout(10)
try:
    s.sendall(raw)
except OSError:
    pass
got = b""
closed = False
end = time.time() + 10
while time.time() < end:
    try:
        d = s.recv(65536)
    except socket.timeout:
        break
    except (OSError, ssl.SSLError):
        closed = True
        break
    if not d:
        closed = True
        break
    got += d
    # a 202 keeps the connection: stop once the answer is whole
    head, sep, rest = got.partition(b"\r\n\r\n")
    while head.startswith(b"HTTP/1.1 100"):
        got = rest
        head, sep, rest = got.partition(b"\r\n\r\n")
    if sep and head.startswith(b"HTTP/1.1 2"):
        cl = [l for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")]
        if cl and len(rest) >= int(cl[0].split(b":")[1]):
            break
head, _, rest = got.partition(b"\r\n\r\n")
while head.startswith(b"HTTP/1.1 100"):
    head, _, rest = rest.partition(b"\r\n\r\n")
errs = []
if not head.startswith(b"HTTP/1.1 "):
    print("no HTTP answer: %r (closed %s)" % (got[:80], closed))
    sys.exit(0)
st = int(head.split()[1])
a = parse(rest)
if st != int(want):
    errs.append("status %d, want %s" % (st, want))
if want == "202":
    if a.get("body") != "Receipt":
        errs.append("body %s" % a.get("body"))
else:
    if a.get("body") != "Error" or a.get("Code") != code:
        errs.append("Code %s, want %s" % (a.get("Code"), code))
    if a.get("Retryable") != "false":
        errs.append("Retryable %s" % a.get("Retryable"))
    if b"content-type: application/xml" not in head.lower():
        errs.append("no Content-Type: application/xml")
    if b"connection: close" not in head.lower():
        errs.append("no Connection: close")
    if not closed:
        errs.append("the connection was not closed")
if errs:
    print("; ".join(errs) + " [Detail=%r]" % a.get("Detail"))
EOF
export HERE="$here"

# raw CASE STATUS CODE: one raw request, judged.
i=0
raw() {
	i=$((i + 1))
	"$PY" "$client" make "$ref" --id new --sent-at now \
	    --case "NL-FR-$i" >"$tmp/msg.xml" ||
	    { echo "Bail out! cannot make a message"; exit 2; }
	rwhy=$("$PY" "$tmp/framing_raw.py" "$port" "$certs/ca.crt" "$crt" \
	    "$key" "$tmp/msg.xml" "$1" "$2" "$3" 2>&1)
	if [ -z "$rwhy" ]; then
		ok "$1 -> $2 $3"
	else
		notok "$1 -> $2 $3" "$rwhy"
	fi
}

# ------------------------------------------------- 6. what is still taken

raw ok-length 202 Receipt
raw ok-chunked-continue 202 Receipt
raw ok-te-case 202 Receipt
raw ok-http10 202 Receipt
raw ok-leading-crlf 202 Receipt
raw ok-expect-ows 202 Receipt
raw ok-te-ows 202 Receipt
raw ok-content-type-ows 202 Receipt

# ------------------------------------------------- 6. what is refused

raw ws-before-colon 400 MALFORMED
raw ws-before-colon-other 400 MALFORMED
raw two-content-type 400 MALFORMED
raw te-gzip-chunked 400 MALFORMED
raw te-chunked-chunked 400 MALFORMED
raw te-twice 400 MALFORMED
raw te-identity 400 MALFORMED
raw te-http10 400 MALFORMED
raw chunk-no-crlf 400 MALFORMED
raw chunk-lf-only 400 MALFORMED
raw chunk-size-space 400 MALFORMED
raw trailer-ws-before-colon 400 MALFORMED
raw expect-padded 417 EXPECTATION_FAILED
raw te-padded 400 MALFORMED
raw content-type-padded 400 MALFORMED
raw trailer 400 MALFORMED
raw trailer-content-encoding 400 MALFORMED
raw bare-lf 400 MALFORMED
raw bare-lf-one-line 400 MALFORMED
raw bare-cr 400 MALFORMED
raw obs-fold 400 MALFORMED
raw http19 505 HTTP_VERSION_NOT_SUPPORTED
raw http20 505 HTTP_VERSION_NOT_SUPPORTED
raw expect-other 417 EXPECTATION_FAILED
raw expect-list 417 EXPECTATION_FAILED
cond "each refusal is logged with its status and code" \
    'grep -q "event=refused .*status=400 code=MALFORMED" "$log" && grep -q "event=refused .*status=505 code=HTTP_VERSION_NOT_SUPPORTED" "$log" && grep -q "event=refused .*status=417 code=EXPECTATION_FAILED" "$log"'

# ------------------------------------------- 7b. the 413 reaches the client

"$PY" -c 'import sys; sys.stdout.write("<" + "x" * (2 * 1024 * 1024 - 1))' >"$tmp/big"
for e in 'Expect:' 'Expect: 100-continue'; do
	rm -f "$tmp/body"
	st=$(curl --max-time 30 -sS --cacert "$certs/ca.crt" --cert "$crt" \
	    --key "$key" -H 'Content-Type: application/xml' -H "$e" \
	    --data-binary "@$tmp/big" -o "$tmp/body" -w '%{http_code}' \
	    "$url/hlx/1/messages" 2>"$tmp/curlerr")
	crc=$?
	code=$(grep -o '<Code>[A-Z_]*</Code>' "$tmp/body" 2>/dev/null)
	cond "7b. curl, 2 MiB body, header '$e': 413 TOO_LARGE reaches it" \
	    '[ "$crc" -eq 0 ] && [ "$st" = 413 ] && [ "$code" = "<Code>TOO_LARGE</Code>" ]' \
	    "curl exit $crc, status $st, $code $(head -c 200 "$tmp/curlerr")"
done

cat >"$tmp/pyclient.py" <<'EOF'
import http.client, ssl, sys, time
port, ca, crt, key, mode = sys.argv[1:6]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.load_verify_locations(ca)
ctx.load_cert_chain(crt, key)
c = http.client.HTTPSConnection("127.0.0.1", int(port), context=ctx,
                                timeout=30)
big = b"<" + b"x" * (2 * 1024 * 1024 - 1)
try:
    if mode == "chunked":
        c.request("POST", "/hlx/1/messages", body=iter([big[i:i + 65536]
                  for i in range(0, len(big), 65536)]),
                  headers={"Content-Type": "application/xml"},
                  encode_chunked=True)
    else:
        c.request("POST", "/hlx/1/messages", body=big,
                  headers={"Content-Type": "application/xml"})
    r = c.getresponse()
    data = r.read()
    code = data.split(b"<Code>")[1].split(b"</Code>")[0].decode() \
        if b"<Code>" in data else "-"
    print(r.status, code)
except Exception as e:
    print("error", type(e).__name__, e)
EOF
# Three times each: without the lingering close, whether the reset beats
# the answer is a race.
for m in length chunked; do
	outs=
	for _ in 1 2 3; do
		out=$("$PY" "$tmp/pyclient.py" "$port" "$certs/ca.crt" "$crt" "$key" "$m" 2>&1)
		outs="$outs${outs:+; }$out"
	done
	cond "7b. Python http.client, 2 MiB body ($m), 3 times: 413 TOO_LARGE reaches it" \
	    '[ "$outs" = "413 TOO_LARGE; 413 TOO_LARGE; 413 TOO_LARGE" ]' "$outs"
done

# The lingering is bounded: a client that goes on sending after the 413
# (a body larger than the byte bound, or a trickle longer than the time
# bound) is cut off.
cat >"$tmp/linger.py" <<'EOF'
import json, socket, ssl, sys, time
port, ca, crt, key, mode = sys.argv[1:6]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.load_verify_locations(ca)
ctx.load_cert_chain(crt, key)
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", int(port))),
                    server_hostname="127.0.0.1")
s.sendall(b"POST /hlx/1/messages HTTP/1.1\r\nHost: gw.example\r\n"
          b"Content-Type: application/xml\r\n"
          b"Content-Length: 1000000000\r\n\r\n")
t0 = time.time()
sent = 0
piece = b"x" * (64 * 1024 if mode == "flood" else 1)
s.settimeout(0.5)
closed = None
got = b""
while mode == "idle" and time.time() - t0 < 60:
    # nothing more is sent: the answer is read, then the end
    try:
        d = s.recv(65536)
    except socket.timeout:
        continue
    except (OSError, ssl.SSLError):
        closed = "recv"
        break
    if d == b"":
        closed = "eof"
        break
    got += d
while mode != "idle" and time.time() - t0 < 60:
    try:
        s.sendall(piece)
        sent += len(piece)
    except (OSError, ssl.SSLError):
        closed = "send"
        break
    if mode == "trickle":
        try:
            if s.recv(65536) == b"":
                closed = "eof"
                break
        except socket.timeout:
            pass
        except (OSError, ssl.SSLError):
            closed = "recv"
            break
print(json.dumps({"t": round(time.time() - t0, 1), "sent": sent,
                  "closed": closed, "status": got[9:12].decode()}))
EOF
out=$("$PY" "$tmp/linger.py" "$port" "$certs/ca.crt" "$crt" "$key" flood 2>&1)
sent=$(printf '%s' "$out" | sed -n 's/.*"sent": \([0-9]*\).*/\1/p')
t=$(printf '%s' "$out" | sed -n 's/.*"t": \([0-9]*\).*/\1/p')
# Past the byte bound, less what socket buffers hold; on a machine too
# loaded to take 16 MiB in 5 s, the time bound comes first.
cond "7b. a flood after the 413 is cut off past HLX_LINGER_BYTES ($lbytes; sent ${sent:-?} in ${t:-?} s)" \
    '[ "$lbytes" -gt 0 ] && [ -n "$sent" ] && [ "$sent" -lt $((lbytes + 16 * 1024 * 1024)) ] && { [ "$sent" -ge "$lbytes" ] || [ "$t" -ge $((lsecs - 1)) ]; }' "$out"
out=$("$PY" "$tmp/linger.py" "$port" "$certs/ca.crt" "$crt" "$key" trickle 2>&1)
t=$(printf '%s' "$out" | sed -n 's/.*"t": \([0-9]*\).*/\1/p')
cond "7b. a trickle after the 413 is cut off after HLX_LINGER_SECONDS ($lsecs s; at ${t:-?} s)" \
    '[ -n "$lsecs" ] && [ -n "$t" ] && [ "$t" -ge $((lsecs - 1)) ] && [ "$t" -le $((lsecs + 2)) ] && printf "%s" "$out" | grep -q "\"closed\": \"[a-z]*\""' "$out"

lidle=$(sed -n 's/^#define HLX_LINGER_IDLE_SECONDS[ \t]*\([0-9]*\)$/\1/p' "$top/include/hlx_limits.h")
out=$("$PY" "$tmp/linger.py" "$port" "$certs/ca.crt" "$crt" "$key" idle 2>&1)
t=$(printf '%s' "$out" | sed -n 's/.*"t": \([0-9.]*\).*/\1/p')
cond "7b. a client silent after the 413 reads it, and is closed after HLX_LINGER_IDLE_SECONDS (${lidle:-?} s; at ${t:-?} s)" \
    '[ -n "$lidle" ] && [ -n "$t" ] && printf "%s" "$out" | grep -q "\"closed\": \"eof\".*\"status\": \"413\"" && awk -v t="$t" -v l="$lidle" "BEGIN { exit !(t >= l - 0.5 && t <= l + 3) }"' "$out"

# A request after all that: hlxd serves on.
"$PY" "$client" make "$ref" --id new --sent-at now --case NL-FR-END >"$tmp/end.xml"
st=$(curl --max-time 30 -sS --cacert "$certs/ca.crt" --cert "$crt" --key "$key" \
    -H 'Content-Type: application/xml' --data-binary "@$tmp/end.xml" \
    -o /dev/null -w '%{http_code}' "$url/hlx/1/messages" 2>"$tmp/curlerr")
cond "hlxd serves on: 202" '[ "$st" = 202 ]' "status $st $(head -c 200 "$tmp/curlerr")"

kill -TERM "$pid"
wait "$pid"
rc=$?
pid=
cond "SIGTERM -> exit 0" '[ "$rc" -eq 0 ]' "exit $rc"
echo "1..$n"
echo "framing: $((n - fail)) passed, $fail failed"
[ "$fail" -eq 0 ]
