#!/bin/sh
# pins.sh BINDIR -- issue 13, items 5 and 7a: a pin outlives no
# certificate, and a refused handshake says why, in both directions.
#
#   - Whoever holds a partner's key can mint a certificate over it with any
#     dates.  A pin added from a certificate stops authenticating when that
#     certificate's notAfter passes, whatever the peer presents then: a
#     100-year certificate over the same key is accepted before, refused
#     after ("expired pin").  A new certificate over the key renews it.
#   - `--pin PIN --expires TIME`; `peer show`, `peer list` and `cert check`
#     show the expiry, and an expired pin as such.
#   - Each refused handshake on the listener is one event=handshake_refused
#     line naming the presented pin, subject, dates and the reason: unknown
#     pin, retired pin, expired pin, disabled peer, certificate expired,
#     certificate not yet valid, no certificate.  The subject is escaped.
#   - The delivery side: a partner's server presenting an unknown, retired
#     or expired pin is one event=server_handshake_refused line with the
#     same fields (fake_partner.py as the partner).
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
n=0
fail=0
pid=
fpids=
tmp=$(mktemp -d) || exit 2
cleanup() {
	for p in $pid $fpids; do kill -TERM "$p" 2>/dev/null; done
	for p in $pid $fpids; do wait "$p" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' HUP INT TERM

ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); fail=$((fail + 1)); echo "not ok $n - $1: $2"; }
check() { if [ -z "$2" ]; then ok "$1"; else notok "$1" "$2"; fi; }
finish() {
	echo "1..$n"
	echo "pins: $((n - fail)) passed, $fail failed"
	[ "$fail" -eq 0 ]
	exit
}

for tool in openssl curl; do
	command -v "$tool" >/dev/null 2>&1 || { echo "Bail out! $tool is needed"; exit 2; }
done
[ -x "$hlx" ] && [ -x "$hlxd" ] || { echo "Bail out! no $hlx or $hlxd"; exit 2; }

certs=$tmp/certs
sh "$top/certs-example/make-certs.sh" "$certs" >"$tmp/certs.out" 2>&1 ||
    { echo "Bail out! make-certs.sh failed"; exit 2; }

# ------------------------------------------------------------ certificates

# mint NAME KEY CN START END: a certificate over KEY from the example CA,
# with any dates (YYYYMMDDHHMMSSZ) -- what a key holder can always do
# with a CA of its own, or here with the network's.
mkdir -m 700 "$tmp/ca" "$tmp/ca/new"
: >"$tmp/ca/index.txt"
openssl rand -hex 16 >"$tmp/ca/serial"
cat >"$tmp/ca/openssl.cnf" <<EOF
[ req ]
distinguished_name = dn
prompt = no
[ dn ]
CN = unused
[ ca ]
default_ca = c
[ c ]
database = $tmp/ca/index.txt
new_certs_dir = $tmp/ca/new
serial = $tmp/ca/serial
default_md = sha256
policy = p
unique_subject = no
copy_extensions = none
[ p ]
commonName = supplied
[ leaf ]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth, clientAuth
subjectAltName = IP:127.0.0.1
EOF
mint() {
	OPENSSL_CONF=$tmp/ca/openssl.cnf openssl req -new -key "$2" \
	    -subj "/CN=$3" -out "$tmp/ca/$1.csr" 2>"$tmp/ca/err" &&
	OPENSSL_CONF=$tmp/ca/openssl.cnf openssl ca -batch -notext \
	    -config "$tmp/ca/openssl.cnf" -extensions leaf \
	    -cert "$certs/ca.crt" -keyfile "$certs/ca.key" \
	    -in "$tmp/ca/$1.csr" -startdate "$4" -enddate "$5" \
	    -out "$tmp/$1.crt" 2>>"$tmp/ca/err" ||
	    { echo "Bail out! cannot mint $1: $(tail -1 "$tmp/ca/err")"; exit 2; }
}
newkey() {
	(umask 077 && openssl genpkey -algorithm EC -pkeyopt \
	    ec_paramgen_curve:P-256 -out "$1" 2>/dev/null) ||
	    { echo "Bail out! genpkey"; exit 2; }
}
pin_of() {
	echo "sha256//$(openssl x509 -in "$1" -pubkey -noout | openssl pkey -pubin \
	    -outform der | openssl dgst -sha256 -binary | openssl base64 -A)"
}
at() { date -u -d "@$1" +%Y%m%d%H%M%SZ; }

nlkey=$certs/hotline-nl.example.key
T0=$(date +%s)
# The certificate hotline-nl.example is registered with: it ends soon.
SHORT_END=$((T0 + 30))
mint short "$nlkey" hotline-nl.example "$(at $((T0 - 3600)))" "$(at $SHORT_END)"
# The same key, minted for a hundred years (and a subject that needs
# escaping in a log line).
mint long "$nlkey" 'hotline-nl.example "x"' "$(at $((T0 - 3600)))" 21260101000000Z
newkey "$tmp/x3.key"
mint x3 "$tmp/x3.key" hotline-fr.example "$(at $((T0 - 3600)))" "$(at $((T0 + 86400)))"
mint x3old "$tmp/x3.key" hotline-fr.example 20200101000000Z 20210101000000Z
mint x3future "$tmp/x3.key" hotline-fr.example 21000101000000Z 21010101000000Z
newkey "$tmp/pl.key"
mint pl "$tmp/pl.key" hotline-pl.example "$(at $((T0 - 3600)))" "$(at $((T0 + 86400)))"
newkey "$tmp/extra.key"
mint extra "$tmp/extra.key" hotline-de.example "$(at $((T0 - 3600)))" "$(at $((T0 + 86400)))"

NLPIN=$(pin_of "$certs/hotline-nl.example.crt")
DEPIN=$(pin_of "$certs/hotline-de.example.crt")
ROGUEPIN=$(pin_of "$certs/rogue.crt")
X3PIN=$(pin_of "$tmp/x3.crt")
PLPIN=$(pin_of "$tmp/pl.crt")
# The pins as EREs (base64 holds '+' and '/').
rx() { printf '%s' "$1" | sed 's/[][\\.*^$+?(){}|]/\\&/g'; }
NLRE=$(rx "$NLPIN")
DERE=$(rx "$DEPIN")
ROGUERE=$(rx "$ROGUEPIN")
X3RE=$(rx "$X3PIN")
PLRE=$(rx "$PLPIN")
check "the minted certificates share hotline-nl.example's key (same pin)" "$(
    [ "$(pin_of "$tmp/short.crt")" = "$NLPIN" ] && [ "$(pin_of "$tmp/long.crt")" = "$NLPIN" ] ||
    echo "pins differ")"

# ------------------------------------------------------------ fake partners

# fstart NAME ID COUNTRY CRT KEY: a fake partner serving CRT; sets $fport.
fstart() {
	: >"$tmp/fake-$1.log"
	"$PY" "$fake" serve --cert "$4" --key "$5" --ca "$certs/ca.crt" \
	    --id "$2" --country "$3" --scenario accept --log "$tmp/fake-$1.log" \
	    --port 0 >"$tmp/fake-$1.out" 2>"$tmp/fake-$1.err" &
	fpids="$fpids $!"
	fport=
	for _ in $(seq 1 50); do
		fport=$(sed -n 's/^port //p' "$tmp/fake-$1.out")
		[ -n "$fport" ] && return 0
		sleep 0.1
	done
	echo "Bail out! fake partner $1 did not start: $(tail -1 "$tmp/fake-$1.err")"
	exit 2
}
# NL's server presents NL's real certificate: its pin expires with short.crt.
fstart nl hotline-nl.example NL "$certs/hotline-nl.example.crt" "$nlkey"
nlport=$fport
# DE's server presents the certificate of the pin DE retired.
fstart de hotline-de.example DE "$certs/hotline-de.example.crt" "$certs/hotline-de.example.key"
deport=$fport
# FR's server presents a key nobody pinned.
fstart fr hotline-fr.example FR "$certs/rogue.crt" "$certs/rogue.key"
frport=$fport

# ------------------------------------------------------------ the gateway

mkdir -m 700 "$tmp/run"
conf=$tmp/hlx.conf
cat >"$conf" <<CONF
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
path = $tmp/run/hlx.db
audit_key = $tmp/run/audit.key
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
[handoff]
dir = $tmp/run/handoff
CONF

# h ARGS: hlx -c $conf ARGS; stdout in $tmp/out, stderr in $tmp/err, $rc.
h() { "$hlx" -c "$conf" "$@" >"$tmp/out" 2>"$tmp/err"; rc=$?; }
outs() { echo "rc $rc; out: $(head -c 400 "$tmp/out" | tr '\n' '|'); err: $(head -c 400 "$tmp/err" | tr '\n' '|')"; }
# t NAME RC PATTERN ARGS: hlx exits RC and PATTERN (ERE) is in stdout+stderr.
t() {
	name=$1 want=$2 pat=$3
	shift 3
	h "$@"
	if [ "$rc" -eq "$want" ] && cat "$tmp/out" "$tmp/err" | grep -Eq -- "$pat"; then
		ok "$name"
	else
		notok "$name" "$(outs)"
	fi
}

t "peer add --cert (a certificate ending in 30 s)" 0 '^added hotline-nl.example' \
    peer add hotline-nl.example --url "https://127.0.0.1:$nlport" \
    --cert "$tmp/short.crt" --country NL
t "peer add DE" 0 '^added' peer add hotline-de.example \
    --url "https://127.0.0.1:$deport" --cert "$certs/hotline-de.example.crt" --country DE
t "peer rotate DE to a new key" 0 'added pin' peer rotate hotline-de.example --cert "$tmp/extra.crt"
t "peer retire-pin DE's first pin" 0 'retired pin' peer retire-pin hotline-de.example "$DEPIN"
X3EXP=$(date -u -d "@$((T0 + 3 * 86400))" +%Y-%m-%dT%H:%M:%SZ)
t "peer add --pin --expires TIME" 0 '^added hotline-fr.example' \
    peer add hotline-fr.example --url "https://127.0.0.1:$frport" \
    --pin "$X3PIN" --expires "$X3EXP" --country FR
t "peer add PL, then disable it" 0 '^added' peer add hotline-pl.example \
    --url https://127.0.0.1:9 --pin "$PLPIN" --country PL
t "peer disable PL" 0 '' peer disable hotline-pl.example

# --expires: its form, its place and the past.
t "--expires in the past -> 65" 65 'in the past' peer add hotline-cz.example \
    --url https://127.0.0.1:9 --pin "$ROGUEPIN" --expires 2020-01-01T00:00:00Z --country CZ
t "--expires that is not a timestamp -> 65" 65 '--expires' peer add hotline-cz.example \
    --url https://127.0.0.1:9 --pin "$ROGUEPIN" --expires 2030-01-01 --country CZ
t "--expires with --cert -> 64 (a certificate's pin expires with it)" 64 '--expires goes with --pin' \
    peer add hotline-cz.example --url https://127.0.0.1:9 --cert "$tmp/pl.crt" \
    --expires "$X3EXP" --country CZ
t "none of them added hotline-cz.example" 65 'no peer hotline-cz.example' peer show hotline-cz.example
t "peer show: the --expires of a bare pin" 0 "^pin: $X3RE valid expires=$X3EXP days_left=[23]\$" \
    peer show hotline-fr.example
t "peer show: a pin from a certificate expires with it" 0 \
    "^pin: $NLRE valid expires=$(date -u -d "@$SHORT_END" +%Y-%m-%dT%H:%M:%SZ) days_left=0 subject=" \
    peer show hotline-nl.example
t "cert check lists the pin given --expires" 1 "^peer hotline-fr.example pin $X3RE expires $X3EXP" \
    cert check --days 5

log=$tmp/hlxd.log
"$hlxd" -c "$conf" -f 2>"$log" &
pid=$!
port=
for _ in $(seq 1 100); do
	port=$(sed -n 's/.*event=listening address=127\.0\.0\.1:\([0-9]*\) .*/\1/p' "$log" | head -1)
	[ -n "$port" ] && break
	sleep 0.1
done
[ -n "$port" ] || { echo "Bail out! hlxd did not start: $(tail -3 "$log")"; exit 2; }

# get CRT KEY: GET /hlx/1/capabilities as that client; prints the status,
# or "refused" when the handshake fails.
get() {
	if [ -n "$1" ]; then
		set -- --cert "$1" --key "$2"
	else
		set --
	fi
	s=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 --cacert "$certs/ca.crt" \
	    "$@" "https://127.0.0.1:$port/hlx/1/capabilities" 2>/dev/null)
	[ "$s" = 000 ] || [ -z "$s" ] && s=refused
	echo "$s"
}
# refused NAME LINE-ERE CRT KEY: the handshake fails, and hlxd logs LINE.
refused() {
	before=$(grep -c 'event=handshake_refused' "$log")
	r=$(get "$3" "$4")
	sleep 0.3
	check "$1" "$(
	    [ "$r" = refused ] || echo "answered $r"
	    tail -n +1 "$log" | grep 'event=handshake_refused' | tail -n +$((before + 1)) |
	        grep -Eq -- "$2" || echo "no line /$2/ in: $(grep 'event=handshake_refused' "$log" | tail -n +$((before + 1)) | tr '\n' '|')")"
}

check "before short.crt's notAfter: a 100-year certificate over NL's key is accepted" "$(
    r=$(get "$tmp/long.crt" "$nlkey"); [ "$r" = 200 ] || echo "answered $r")"
# sconn SESSION-ARGS: one TLS 1.3 connection with long.crt, one request;
# prints New/Reused and the status line.
sconn() {
	printf 'GET /hlx/1/capabilities HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' |
	    timeout 10 openssl s_client -connect "127.0.0.1:$port" -tls1_3 \
	    -cert "$tmp/long.crt" -key "$nlkey" -CAfile "$certs/ca.crt" -ign_eof "$@" 2>/dev/null |
	    grep -E '^(New|Reused),|^HTTP/1.1' | tr '\n' ' '
}
first=$(sconn -sess_out "$tmp/sess")
check "a TLS session made before the pin expires (200)" "$(
    case "$first" in "New,"*"HTTP/1.1 200"*) ;; *) echo "got: $first" ;; esac)"
refused "unknown pin: refused, logged with pin, subject, dates" \
    "reason=\"unknown pin\" pin=$ROGUERE subject=\"CN=hotline-nl.example\" not_before=20[0-9-]+T[0-9:]+Z not_after=20[0-9-]+T[0-9:]+Z peer=- " \
    "$certs/rogue.crt" "$certs/rogue.key"
refused "retired pin: refused, logged with its peer" \
    "level=warn.*reason=\"retired pin\" pin=$DERE subject=\"CN=hotline-de.example\" .* peer=hotline-de.example " \
    "$certs/hotline-de.example.crt" "$certs/hotline-de.example.key"
refused "disabled peer: refused, logged" \
    "reason=\"disabled peer\" pin=$PLRE subject=\"CN=hotline-pl.example\" .* peer=hotline-pl.example " \
    "$tmp/pl.crt" "$tmp/pl.key"
refused "expired certificate over a valid pin: refused, logged with its dates" \
    "reason=\"certificate expired\" pin=$X3RE .* not_before=2020-01-01T00:00:00Z not_after=2021-01-01T00:00:00Z peer=hotline-fr.example pin_expires=$X3EXP" \
    "$tmp/x3old.crt" "$tmp/x3.key"
refused "certificate not yet valid over a valid pin: refused, logged" \
    "reason=\"certificate not yet valid\" pin=$X3RE .* not_before=2100-01-01T00:00:00Z" \
    "$tmp/x3future.crt" "$tmp/x3.key"
refused "no certificate: refused, logged" \
    "reason=\"no certificate\" pin=- subject=\"\"" "" ""
check "the same peer, with its certificate in its dates, is accepted" "$(
    r=$(get "$tmp/x3.crt" "$tmp/x3.key"); [ "$r" = 200 ] || echo "answered $r")"
check "every refusal logged once as handshake_refused (6 so far)" "$(
    c=$(grep -c 'event=handshake_refused' "$log"); [ "$c" -eq 6 ] || echo "$c lines")"

# ------------------------------------------------ delivery side (7a)

# Capabilities are fetched from each peer on first contact: DE's server
# presents its retired pin, FR's a pin nobody has.
wait_log() {	# ERE SECS
	wend=$(($(date +%s) + $2))
	until grep -Eq -- "$1" "$log"; do
		[ "$(date +%s)" -ge "$wend" ] && return 1
		sleep 0.2
	done
}
if wait_log "event=server_handshake_refused peer=hotline-de.example reason=\"retired pin\" pin=$DERE subject=\"CN=hotline-de.example\" not_before=[0-9T:Z-]+ not_after=[0-9T:Z-]+" 15; then
	ok "delivery: DE's server presents a retired pin: logged with pin, subject, dates"
else
	notok "delivery: DE's server presents a retired pin" "$(grep -E 'server_|capabilities' "$log" | tr '\n' '|')"
fi
if wait_log "event=server_handshake_refused peer=hotline-fr.example reason=\"unknown pin\" pin=$ROGUERE subject=\"CN=hotline-nl.example\"" 15; then
	ok "delivery: FR's server presents an unknown pin: logged with that pin"
else
	notok "delivery: FR's server presents an unknown pin" "$(grep -E 'server_|capabilities' "$log" | tr '\n' '|')"
fi
check "delivery: NL's server (its pin still valid) is accepted" "$(
    wait_log 'event=capabilities peer=hotline-nl.example' 15 || echo "$(grep -E 'peer=hotline-nl' "$log" | tr '\n' '|')")"

# ------------------------------------------------ the pin expires (5)

now=$(date +%s)
[ "$now" -le "$SHORT_END" ] && sleep $((SHORT_END - now + 1))
refused "after short.crt's notAfter: the 100-year certificate over the same key is refused (expired pin)" \
    "level=warn.*reason=\"expired pin\" pin=$NLRE subject=\"CN=hotline-nl.example \\\\x5c\\\\x22x\\\\x5c\\\\x22\" not_before=[0-9T:Z-]+ not_after=2126-01-01T00:00:00Z peer=hotline-nl.example pin_expires=$(date -u -d "@$SHORT_END" +%Y-%m-%dT%H:%M:%SZ)" \
    "$tmp/long.crt" "$nlkey"
# A resumed session skips verification: the request is checked again.
rc403=$(grep -c 'event=refused.*reason="expired pin' "$log")
again=$(sconn -sess_in "$tmp/sess")
# grep -E: the pin is escaped for EREs; to plain grep an escaped plus is a
# repetition, so a pin holding a plus never matched (a flaky check).
check "that session resumed after the pin expired: the request is answered 403" "$(
    case "$again" in "Reused,"*"HTTP/1.1 403"*) ;; *) echo "got: $again" ;; esac
    wend=$(($(date +%s) + 10))
    until [ "$(grep -cE "event=refused.*reason=\"expired pin $NLRE of hotline-nl\\.example\"" "$log")" -gt "$rc403" ]; do
        [ "$(date +%s)" -ge "$wend" ] && { echo "no event=refused line naming the expired pin"; break; }
        sleep 0.2
    done)"
refused "... and so is NL's own two-year certificate" \
    "reason=\"expired pin\" pin=$NLRE subject=\"CN=hotline-nl.example\"" \
    "$certs/hotline-nl.example.crt" "$nlkey"
t "peer show: the pin is shown expired" 0 "^pin: $NLRE expired expires=" peer show hotline-nl.example
t "peer list: counts the expired pin" 0 '^hotline-nl.example enabled .* pins=1 expired_pins=1 ' peer list
t "peer list --json: state expired" 0 '"state": "expired"' peer list --json
t "cert check: the pin is listed as expired" 1 "^peer hotline-nl.example pin $NLRE expired " cert check

# Delivery to NL: the pin is expired, so NL's server is refused too.
"$PY" - "$base" "$tmp/rec.json" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
r["case_id"] = "CF-PINS-1"
r["hosting"]["country"] = "NL"
json.dump(r, open(sys.argv[2], "w"))
EOF
h submit "$tmp/rec.json"
check "a case for NL is submitted" "$([ "$rc" -eq 0 ] || outs)"
if wait_log "event=server_handshake_refused peer=hotline-nl.example reason=\"expired pin\" pin=$NLRE subject=\"CN=hotline-nl.example\"" 15; then
	ok "delivery: NL's server presents its pin after it expired: refused, logged"
else
	notok "delivery: NL's server, expired pin" "$(grep -E 'server_|peer=hotline-nl' "$log" | tail -5 | tr '\n' '|')"
fi
check "delivery: the partner got no request" "$(
    grep -q '"method": "POST"' "$tmp/fake-nl.log" && echo "it got a POST")"

# ------------------------------------------------ renewal

t "peer rotate --cert over the same key renews the pin" 0 'pin' \
    peer rotate hotline-nl.example --cert "$tmp/long.crt"
t "peer show: the renewed pin is valid again, until the new notAfter" 0 \
    "^pin: $NLRE valid expires=2126-01-01T00:00:00Z" peer show hotline-nl.example
wend=$(($(date +%s) + 10))
r=refused
while [ "$(date +%s)" -lt "$wend" ]; do
	r=$(get "$tmp/long.crt" "$nlkey")
	[ "$r" = 200 ] && break
	sleep 0.5
done
check "after the renewal, hlxd accepts the key again" "$([ "$r" = 200 ] || echo "answered $r")"

kill -TERM "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
pid=
check "hlxd stopped cleanly (no sanitizer report in its log)" "$(
    grep -E 'AddressSanitizer|LeakSanitizer|runtime error' "$log" | head -3)"
check "no line of hlxd's log carries a raw quote inside a subject" "$(
    grep 'handshake_refused' "$log" | grep -F 'x"' && echo "unescaped")"
finish
