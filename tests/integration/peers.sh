#!/bin/sh
# peers.sh BINDIR -- `hlx peer ...`, `hlx identity`, `hlx cert check` and the
# store's own refusals (operations.md §1, §3; protocol.md §1, §5; issue 3).
#
# Every command and every refusal, each checked for its exit status AND its
# output: a success prints nothing on stderr and the expected stdout; a
# failure prints one line on stderr that says what (a usage error may add
# the usage line) and leaves the audit trail as it was, i.e. changed
# nothing.  --json output is parsed with python3.  Pins are compared with
# the openssl pipeline.  Everything happens in a mktemp -d directory with
# certificates from certs-example/make-certs.sh and a store of its own; no
# network is used (the URLs are never contacted).  One TAP line a check.
#
# cond's checks are single-quoted on purpose: eval expands them.
# shellcheck disable=SC2016,SC2317
set -u

bindir=$(cd "${1:-bin}" && pwd) || exit 2
top=$(cd "$(dirname "$0")/../.." && pwd) || exit 2
hlx="$bindir/hlx"
n=0
fail=0
holder=
tmp=$(mktemp -d) || exit 2
trap '[ -n "$holder" ] && kill "$holder" 2>/dev/null; rm -rf "$tmp"' EXIT
trap 'exit 130' HUP INT TERM

ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); fail=$((fail + 1)); echo "not ok $n - $1: $2"; }
finish() {
	echo "1..$n"
	echo "peers: $((n - fail)) passed, $fail failed"
	[ "$fail" -eq 0 ]
	exit
}

for tool in openssl sqlite3 python3; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "Bail out! $tool is needed"
		exit 2
	fi
done
if [ ! -x "$hlx" ]; then
	echo "Bail out! no $hlx (make first)"
	exit 2
fi

# ---------------------------------------------------------------- helpers

# The pin of a certificate, as protocol.md §1 defines it, by openssl alone.
pin() {
	printf 'sha256//%s' "$(openssl x509 -in "$1" -pubkey -noout |
	    openssl pkey -pubin -outform der |
	    openssl dgst -sha256 -binary | base64)"
}
# A well-formed pin of no certificate (synthetic, for --pin-only peers).
fakepin() {
	printf 'sha256//%s' "$(printf '%s' "$1" | openssl dgst -sha256 -binary |
	    base64)"
}
# A certificate's notAfter as hlx prints times (RFC 3339, UTC).
enddate() {
	date -u -d "$(openssl x509 -in "$1" -noout -enddate | cut -d= -f2)" \
	    +%Y-%m-%dT%H:%M:%SZ
}

# mkconf FILE CERT KEY STORE AUDITKEY
mkconf() {
	cat >"$1" <<EOF
# peers.sh: hotline BE, synthetic.
[hotline]
id = hotline-be.example
country = BE
receive_for = BE

[tls]
cert = $2
key = $3

[storage]
path = $4
audit_key = $5
EOF
}

# sqlite3 on a store, with the programs' umask so no file it creates is
# looser than the store's.
sq() { (umask 077 && sqlite3 "$@"); }
# The number of audit entries: a refusal must leave it as it was.
acount() { sq "$db" 'SELECT count(*) FROM audit' 2>/dev/null || echo '?'; }

# h ARGS...: hlx -c $conf ARGS; stdout, stderr in $tmp/out, $tmp/err;
# the exit status in $rc.
h() {
	"$hlx" -c "$conf" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
}
outs() {
	printf 'stderr: %s stdout: %s' "$(head -c 300 "$tmp/err" | tr '\n' '|')" \
	    "$(head -c 300 "$tmp/out" | tr '\n' '|')"
}

# judge RC ERE: prints why the last run is not right, or nothing.  0 and 1
# (a check found something) print on stdout (ERE EMPTY: nothing at all),
# nothing on stderr; any other
# status prints one line on stderr (64: plus the usage line, or only it).
judge() {
	jw=$1
	jre=$2
	if [ "$rc" -ne "$jw" ]; then
		echo "exit $rc, want $jw; $(outs)"
		return
	fi
	if [ "$jw" -le 1 ]; then
		if [ -s "$tmp/err" ]; then
			echo "stderr is not empty; $(outs)"
		elif [ "$jre" = EMPTY ]; then
			[ -s "$tmp/out" ] && echo "stdout is not empty; $(outs)"
		elif ! grep -Eq -- "$jre" "$tmp/out"; then
			echo "stdout does not match /$jre/; $(outs)"
		fi
		return
	fi
	jlines=$(wc -l <"$tmp/err")
	jother=$(grep -vc '^usage: hlx ' "$tmp/err")
	if [ "$jw" -eq 64 ]; then
		if [ "$jlines" -lt 1 ] || [ "$jlines" -gt 2 ] ||
		    [ "$jother" -gt 1 ]; then
			echo "want one line on stderr (and the usage line); $(outs)"
			return
		fi
	elif [ "$jlines" -ne 1 ]; then
		echo "want exactly one line on stderr; $(outs)"
		return
	fi
	grep -Eq -- "$jre" "$tmp/err" ||
	    echo "stderr does not match /$jre/; $(outs)"
}

# t NAME RC ERE ARGS...: runs hlx ARGS; checks the exit status and the
# output (judge); for a failure, also that the audit trail did not grow.
t() {
	tname=$1
	twant=$2
	tre=$3
	shift 3
	tbefore=$(acount)
	h "$@"
	twhy=$(judge "$twant" "$tre")
	if [ -z "$twhy" ] && [ "$twant" -gt 1 ]; then
		tafter=$(acount)
		[ "$tafter" = "$tbefore" ] ||
		    twhy="refused, yet the audit trail grew from $tbefore to $tafter entries"
	fi
	if [ -z "$twhy" ]; then
		ok "$tname"
	else
		notok "$tname" "hlx $*: $twhy"
	fi
}

# jcheck NAME EXPR: the last run exited 0 and python's EXPR holds, with d
# the JSON it printed and E the environment (the pins are exported).
jcheck() {
	if [ "$rc" -ne 0 ]; then
		notok "$1" "exit $rc; $(outs)"
		return
	fi
	if python3 -c 'import json, os, sys
d = json.load(open(sys.argv[1]))
E = os.environ
sys.exit(0 if eval(sys.argv[2]) else 1)' "$tmp/out" "$2" 2>"$tmp/pyerr"; then
		ok "$1"
	else
		notok "$1" "not ($2) in $(tr -d ' \n' <"$tmp/out" | head -c 600) $(tail -1 "$tmp/pyerr")"
	fi
}

# has NAME STRING / hasnt NAME STRING: a whole line of the last run's
# stdout contains (or no line contains) the fixed STRING.
has() {
	if grep -Fq -- "$2" "$tmp/out"; then
		ok "$1"
	else
		notok "$1" "no \"$2\" in stdout; $(outs)"
	fi
}
hasnt() {
	if grep -Fq -- "$2" "$tmp/out"; then
		notok "$1" "\"$2\" in stdout; $(outs)"
	else
		ok "$1"
	fi
}
# cond NAME SHELL-CODE: one check of a plain condition (eval'd).
cond() {
	if eval "$2" >/dev/null 2>&1; then ok "$1"; else notok "$1" "false: $2"; fi
}
# q STRING: STRING as an ERE that matches it literally (pins hold + and /).
q() { printf '%s' "$1" | sed 's/[][\\.*^$+?(){}|]/\\&/g'; }
mode_of() { stat -c %a "$1" 2>/dev/null || echo none; }

# ------------------------------------------------------------------ setup

certs="$tmp/certs"
if ! sh "$top/certs-example/make-certs.sh" "$certs" >"$tmp/pins" 2>"$tmp/err"; then
	notok "make-certs.sh runs" "$(head -1 "$tmp/err")"
	finish
fi
be="$certs/hotline-be.example"
nl="$certs/hotline-nl.example.crt"
de="$certs/hotline-de.example.crt"
rogue="$certs/rogue.crt"
expired="$certs/expired.crt"
mkdir -m 0700 "$tmp/store"
db="$tmp/store/hlx.db"
akey="$tmp/store/audit.key"
conf="$tmp/hlx.conf"
mkconf "$conf" "$be.crt" "$be.key" "$db" "$akey"

BEPIN=$(pin "$be.crt")
NLPIN=$(pin "$nl")
DEPIN=$(pin "$de")
ROGUEPIN=$(pin "$rogue")
P1=$(fakepin peers-sh-1)
P2=$(fakepin peers-sh-2)
P3=$(fakepin peers-sh-3)
P4=$(fakepin peers-sh-4)
P5=$(fakepin peers-sh-5)
NOPIN=$(fakepin peers-sh-nobody)
export BEPIN NLPIN DEPIN ROGUEPIN P1 P2 P3 P4 P5 NOPIN
URL=https://127.0.0.1:8444

# ------------------------------------------------------------- --help

for c in "peer add" "peer route" "peer list" "peer show" "peer rotate" \
    "peer retire-pin" "peer disable" "peer enable" "peer remove" \
    "identity" "cert check" "audit list" "audit verify"; do
	# shellcheck disable=SC2086
	"$hlx" -c "$tmp/none.conf" $c --help >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$rc" -eq 0 ] && head -1 "$tmp/out" | grep -q "^usage: hlx \[-c FILE\] $c\b" &&
	    [ ! -s "$tmp/err" ]; then
		ok "$c --help prints its usage line, exit 0"
	else
		notok "$c --help prints its usage line, exit 0" "exit $rc; $(outs)"
	fi
done

# ------------------------------------------------- the store and its modes

t "peer list on a new store: empty, exit 0" 0 EMPTY peer list
cond "the store is created 0600" '[ "$(mode_of "$db")" = 600 ]'
cond "the audit key is created 0600" '[ "$(mode_of "$akey")" = 600 ]'
cond "the audit key is 32 bytes" '[ "$(wc -c <"$akey")" -eq 32 ]'

# --------------------------------------------------------------- peer add

t "add with --cert" 0 "^added hotline-nl.example \($URL\) with pin $(q "$NLPIN")\$" \
    peer add hotline-nl.example --url "$URL" --cert "$nl" --country NL
NLEND=$(enddate "$nl")
export NLEND
h peer show hotline-nl.example --json
jcheck "--cert records the subject" \
    'd["pins"][0]["subject"] == "CN=hotline-nl.example"'
jcheck "--cert records the expiry (not_after, days_left ~729)" \
    'd["pins"][0]["not_after"] == E["NLEND"] and 728 <= d["pins"][0]["days_left"] <= 730 and 728 <= d["days_left"] <= 730'
jcheck "show --json: id, url, enabled, one valid pin" \
    'd["id"] == "hotline-nl.example" and d["url"] == "https://127.0.0.1:8444" and d["enabled"] is True and len(d["pins"]) == 1 and d["pins"][0]["retired_at"] is None'
jcheck "the first peer of NL becomes its route" \
    'd["countries"] == ["NL"] and d["routes"] == ["NL"]'

t "add with --pin and repeated --country" 0 "^added hotline-de.example .* with pin $(q "$DEPIN")\$" \
    peer add hotline-de.example --url https://127.0.0.1:8445 --pin "$DEPIN" \
    --country DE --country AT
h peer show hotline-de.example --json
jcheck "--pin: no subject, no expiry known" \
    'd["pins"][0]["pin"] == E["DEPIN"] and d["pins"][0]["subject"] is None and d["pins"][0]["not_after"] is None and d["days_left"] is None'
jcheck "repeated --country: both countries, both routes" \
    'sorted(d["countries"]) == ["AT", "DE"] and sorted(d["routes"]) == ["AT", "DE"]'

t "add with a comma list of countries" 0 "^added hotline-lu.example" \
    peer add hotline-lu.example --url https://127.0.0.1:8446 --pin "$P1" \
    --country LU,FR
h peer show hotline-lu.example --json
jcheck "comma list: both countries, both routes" \
    'sorted(d["countries"]) == ["FR", "LU"] and sorted(d["routes"]) == ["FR", "LU"]'

t "add a URL with a path prefix" 0 "^added hotline-pfx.example \(https://127.0.0.1:8447/hlx-gw\)" \
    peer add hotline-pfx.example --url https://127.0.0.1:8447/hlx-gw \
    --pin "$P4" --country DK

t "add a second peer for NL" 0 "^added hotline-nl2.example" \
    peer add hotline-nl2.example --url https://127.0.0.1:8448 --pin "$P2" \
    --country NL
h peer show hotline-nl2.example --json
jcheck "a second peer of NL is a sender for NL but not its route" \
    'd["countries"] == ["NL"] and d["routes"] == []'
h peer show hotline-nl.example --json
jcheck "NL's route stays with the first peer" 'd["routes"] == ["NL"]'

t "add a third peer for NL with --route" 0 "^added hotline-nl3.example" \
    peer add hotline-nl3.example --url https://127.0.0.1:8449 --pin "$P3" \
    --country NL --route
h peer show hotline-nl3.example --json
jcheck "--route takes NL's route" 'd["routes"] == ["NL"]'
h peer show hotline-nl.example --json
jcheck "the first peer lost NL's route" 'd["routes"] == []'

t "peer route NL ID" 0 '^route NL: hotline-nl.example$' \
    peer route NL hotline-nl.example
h peer show hotline-nl.example --json
jcheck "peer route moved NL's route back" 'd["routes"] == ["NL"]'
h peer show hotline-nl3.example --json
jcheck "the former route of NL has no route left" \
    'd["routes"] == [] and d["countries"] == ["NL"]'

t "peer route '*' ID sets the default route" 0 '^route \*: hotline-de.example$' \
    peer route '*' hotline-de.example
h peer show hotline-de.example --json
jcheck "the default route shows as *, not as a country" \
    '"*" in d["routes"] and "*" not in d["countries"]'
t "peer route to a peer of another country" 0 '^route CH: hotline-de.example$' \
    peer route CH hotline-de.example
h peer show hotline-de.example --json
jcheck "the route of CH makes its peer a sender for CH" \
    '"CH" in d["countries"] and "CH" in d["routes"]'

t "peer route XX (not ISO 3166-1) -> 65" 65 'XX.*ISO' \
    peer route XX hotline-nl.example
t "peer route nl (lower case) -> 65" 65 'nl.*country' \
    peer route nl hotline-nl.example
t "peer route to an unknown peer -> 65" 65 'no peer hotline-zz.example' \
    peer route NL hotline-zz.example
t "peer route with one argument -> 64" 64 'usage' peer route NL

# ---------------------------------------------------- pins and openssl

t "add the rogue certificate as a peer of its own" 0 "with pin $(q "$ROGUEPIN")\$" \
    peer add hotline-rogue.example --url https://127.0.0.1:8450 \
    --cert "$rogue" --country CZ
for c in nl de rogue; do
	case $c in
	nl) id=hotline-nl.example p=$NLPIN ;;
	de) id=hotline-de.example p=$DEPIN ;;
	rogue) id=hotline-rogue.example p=$ROGUEPIN ;;
	esac
	h peer show "$id"
	if [ "$rc" -eq 0 ] && grep -Eq "^pin: $(q "$p") valid" "$tmp/out"; then
		ok "peer show's pin of $c equals the openssl pipeline's"
	else
		notok "peer show's pin of $c equals the openssl pipeline's" \
		    "want pin: $p; $(outs)"
	fi
done
cond "the example certificates have three different pins" \
    '[ "$NLPIN" != "$DEPIN" ] && [ "$NLPIN" != "$ROGUEPIN" ] && [ "$DEPIN" != "$ROGUEPIN" ]'

# -------------------------------------------------------------- refusals

t "add an existing id -> 65" 65 'hotline-nl.example already exists' \
    peer add hotline-nl.example --url "$URL" --pin "$NOPIN" --country NL
t "add our own id -> 65" 65 "hotline-be.example.*own id" \
    peer add hotline-be.example --url "$URL" --pin "$NOPIN" --country NL
t "add an upper-case id -> 65" 65 'Hotline-XX.example.*not a hotline id' \
    peer add Hotline-XX.example --url "$URL" --pin "$NOPIN" --country NL
t "add an id with a leading dash -> 65" 65 'not a hotline id' \
    peer add --url "$URL" --pin "$NOPIN" --country NL -- -hotline.example
t "add an id with a trailing dash -> 65" 65 'not a hotline id' \
    peer add hotline.example- --url "$URL" --pin "$NOPIN" --country NL
t "add an id of 64 characters -> 65" 65 'not a hotline id' \
    peer add "$(printf 'a%.0s' $(seq 64))" --url "$URL" --pin "$NOPIN" --country NL
for u in "$URL/" "$URL/hlx/" "$URL?x=1" "$URL/hlx?x" "$URL#top" \
    "https://user@127.0.0.1:8444" "https://u:p@127.0.0.1:8444/hlx" \
    "http://127.0.0.1:8444" "ftp://127.0.0.1" "127.0.0.1:8444" "https://" \
    "https:///hlx" "https://:8444" \
    "$(printf 'https://h\303\266tline.example')" "https://127.0.0.1:8444/a b"; do
	t "add with --url '$u' -> 65" 65 '--url' \
	    peer add hotline-xx.example --url "$u" --pin "$NOPIN" --country NL
done
# A port past 65535 can never be connected to (libcurl refuses it): the
# URL is not a peer's base.  Its own id, so that a wrong success does not
# spoil the checks after it.
t "add with --url 'https://127.0.0.1:70000' (port out of range) -> 65" 65 '--url' \
    peer add hotline-port.example --url https://127.0.0.1:70000 \
    --pin "$(fakepin peers-sh-port)" \
    --country NL
t "add with the pin of another peer (--cert) -> 65" 65 "belongs to peer hotline-nl.example" \
    peer add hotline-xx.example --url "$URL" --cert "$nl" --country NL
t "add with the pin of another peer (--pin) -> 65" 65 "belongs to peer hotline-nl.example" \
    peer add hotline-xx.example --url "$URL" --pin "$NLPIN" --country NL
t "rotate another peer's pin in -> 65" 65 "belongs to peer hotline-nl.example" \
    peer rotate hotline-de.example --pin "$NLPIN"
b64=${NOPIN#sha256//}
for p in "sha1//$b64" "sha256//$(printf '%s' "$b64" | cut -c1-43)" "$b64" \
    "SHA256//$b64" "sha256//$(printf '%s' "$b64" | cut -c1-42)==" \
    "sha256//$(printf '%s' "$b64" | cut -c1-42)!=" "sha256//${b64}A" ""; do
	t "add with --pin '$p' -> 65" 65 'pin' \
	    peer add hotline-xx.example --url "$URL" --pin "$p" --country NL
done
t "add with --cert of a missing file -> 66" 66 "$tmp/missing.crt" \
    peer add hotline-xx.example --url "$URL" --cert "$tmp/missing.crt" --country NL
printf 'not a certificate\n' >"$tmp/text.crt"
t "add with --cert of a text file -> 65" 65 "--cert $tmp/text.crt" \
    peer add hotline-xx.example --url "$URL" --cert "$tmp/text.crt" --country NL
: >"$tmp/empty.crt"
t "add with --cert of an empty file -> 65" 65 "--cert $tmp/empty.crt" \
    peer add hotline-xx.example --url "$URL" --cert "$tmp/empty.crt" --country NL
t "add with --cert of a private key -> 65" 65 "--cert $certs/rogue.key" \
    peer add hotline-xx.example --url "$URL" --cert "$certs/rogue.key" --country NL
t "add with --cert of an expired certificate -> 65, names the date" 65 \
    "expired.*$(enddate "$expired")" \
    peer add hotline-xx.example --url "$URL" --cert "$expired" --country NL
t "add with both --cert and --pin -> 64" 64 'exactly one of --cert' \
    peer add hotline-xx.example --url "$URL" --cert "$de" --pin "$NOPIN" --country NL
t "add with neither --cert nor --pin -> 64" 64 'exactly one of --cert' \
    peer add hotline-xx.example --url "$URL" --country NL
t "add without --url -> 64" 64 '--url' \
    peer add hotline-xx.example --pin "$NOPIN" --country NL
t "add without --country -> 64" 64 '--country' \
    peer add hotline-xx.example --url "$URL" --pin "$NOPIN"
t "add with an unknown option -> 64" 64 'bogus' \
    peer add hotline-xx.example --url "$URL" --pin "$NOPIN" --country NL --bogus
t "add without an id -> 64" 64 'usage' \
    peer add --url "$URL" --pin "$NOPIN" --country NL
t "add with two ids -> 64" 64 'usage' \
    peer add hotline-xx.example hotline-yy.example --url "$URL" --pin "$NOPIN" --country NL
for c in XX nl NLD 'NL,XX' '1A'; do
	t "add with --country '$c' -> 65" 65 '--country' \
	    peer add hotline-xx.example --url "$URL" --pin "$NOPIN" --country "$c"
done
t "none of the refused adds registered hotline-xx.example" 65 'no peer hotline-xx.example' \
    peer show hotline-xx.example

# ------------------------------------- rotate, retire-pin, enable, disable

t "rotate in a pin that is already valid -> 65" 65 'already a valid pin' \
    peer rotate hotline-de.example --pin "$DEPIN"
t "retire the last valid pin of an enabled peer -> 65" 65 'last valid pin' \
    peer retire-pin hotline-de.example "$DEPIN"
h peer show hotline-de.example
cond "the refused pin is still valid" 'grep -Fqx "pin: $DEPIN valid" "$tmp/out"'

t "rotate adds a pin" 0 "^hotline-nl.example: added pin $(q "$P5")\$" \
    peer rotate hotline-nl.example --pin "$P5"
h peer show hotline-nl.example --json
jcheck "after rotate both pins are valid" \
    'sorted(p["pin"] for p in d["pins"] if p["retired_at"] is None) == sorted([E["NLPIN"], E["P5"]])'
h peer show hotline-nl.example
cond "peer show lists both pins as valid" \
    'grep -Fqx "pin: $P5 valid" "$tmp/out" && grep -Fq "pin: $NLPIN valid " "$tmp/out"'
h peer list
cond "peer list counts two valid pins" "grep -q '^hotline-nl.example enabled .* pins=2 ' '$tmp/out'"
t "rotate with both --cert and --pin -> 64" 64 'exactly one' \
    peer rotate hotline-nl.example --cert "$nl" --pin "$P5"
t "rotate with neither -> 64" 64 'exactly one' peer rotate hotline-nl.example
t "rotate in an expired certificate -> 65" 65 'expired' \
    peer rotate hotline-nl.example --cert "$expired"
t "rotate with a bad pin -> 65" 65 'pin' \
    peer rotate hotline-nl.example --pin "sha1//$b64"
t "after rotate the old pin can be retired" 0 "^hotline-nl.example: retired pin $(q "$NLPIN")\$" \
    peer retire-pin hotline-nl.example "$NLPIN"
h peer show hotline-nl.example --json
jcheck "the old pin is retired, the new one valid" \
    '{p["pin"]: p["retired_at"] is None for p in d["pins"]} == {E["NLPIN"]: False, E["P5"]: True}'
h peer show hotline-nl.example
cond "peer show says retired" 'grep -Fq "pin: $NLPIN retired " "$tmp/out"'
t "retire a pin of another peer -> 65" 65 'not a valid pin of hotline-nl.example' \
    peer retire-pin hotline-nl.example "$DEPIN"
t "retire a pin of nobody -> 65" 65 'not a valid pin of hotline-nl.example' \
    peer retire-pin hotline-nl.example "$NOPIN"
t "retire an already retired pin -> 65" 65 'not a valid pin' \
    peer retire-pin hotline-nl.example "$NLPIN"
t "retire a malformed pin -> 65" 65 'pin' \
    peer retire-pin hotline-nl.example "sha1//$b64"
t "retire-pin without the pin -> 64" 64 'usage' peer retire-pin hotline-nl.example

t "disable" 0 '^hotline-de.example: disabled$' peer disable hotline-de.example
h peer list
cond "peer list says disabled" "grep -q '^hotline-de.example disabled ' '$tmp/out'"
h peer list --json
jcheck "peer list --json: enabled false" \
    '[p["enabled"] for p in d if p["id"] == "hotline-de.example"] == [False]'
t "retire the last pin of a disabled peer" 0 "retired pin $(q "$DEPIN")" \
    peer retire-pin hotline-de.example "$DEPIN"
t "enable a peer with no valid pin -> 65" 65 'no valid pin' \
    peer enable hotline-de.example
h peer list
cond "the refused enable left it disabled" "grep -q '^hotline-de.example disabled .* pins=0 ' '$tmp/out'"
t "rotate a certificate into the disabled peer" 0 "added pin $(q "$DEPIN")" \
    peer rotate hotline-de.example --cert "$de"
t "enable after rotate" 0 '^hotline-de.example: enabled$' peer enable hotline-de.example
h peer list
cond "peer list says enabled" "grep -q '^hotline-de.example enabled ' '$tmp/out'"
h peer list --json
jcheck "peer list --json: enabled true, one valid pin" \
    '[(p["enabled"], len(p["pins"])) for p in d if p["id"] == "hotline-de.example"] == [(True, 1)]'
h peer show hotline-de.example --json
jcheck "the certificate rotated in records its subject and expiry" \
    'd["pins"][0]["subject"] == "CN=hotline-de.example" and 728 <= d["days_left"] <= 730'

for c in "show" "rotate --pin $NOPIN" "retire-pin $NOPIN" "disable" "enable" \
    "remove"; do
	# shellcheck disable=SC2086
	set -- $c
	v=$1
	shift
	t "peer $v of an unknown peer -> 65" 65 'no peer hotline-zz.example' \
	    peer "$v" hotline-zz.example "$@"
done
t "peer show of a bad id -> 65" 65 'not a hotline id|no peer' peer show 'BAD ID'
t "peer disable of our own id -> 65" 65 'own id' peer disable hotline-be.example

# ------------------------------------------------------------------ remove

t "remove a peer without messages" 0 '^hotline-lu.example: removed' \
    peer remove hotline-lu.example
h peer list
cond "peer list omits the removed peer" "! grep -q '^hotline-lu.example ' '$tmp/out'"
h peer list --json
jcheck "peer list --json omits the removed peer" \
    '"hotline-lu.example" not in [p["id"] for p in d]'
h peer show hotline-lu.example
cond "peer show still shows it, as removed" "grep -qx 'state: removed' '$tmp/out'"
h peer show hotline-lu.example --json
jcheck "the tombstone: removed_at set, disabled, no routes, pins retired" \
    'd.get("removed_at") and d["enabled"] is False and d["routes"] == [] and all(p["retired_at"] for p in d["pins"]) and len(d["pins"]) == 1'
cond "its routes are gone from the store" \
    '[ "$(sq "$db" "SELECT count(*) FROM route WHERE peer = '"'hotline-lu.example'"'")" = 0 ]'
h audit list --peer hotline-lu.example --json
jcheck "audit list --peer still shows its history" \
    '[e["event"] for e in d][0] == "peer_added" and [e["event"] for e in d][-1] == "peer_removed"'
t "a removed peer cannot be removed again -> 65" 65 'removed' \
    peer remove hotline-lu.example
t "a removed peer cannot be routed to -> 65" 65 'removed' \
    peer route LU hotline-lu.example
t "a removed peer cannot be enabled -> 65" 65 'removed' \
    peer enable hotline-lu.example

sq "$db" "INSERT INTO outbox (message_id, peer, type, body, state, created_at) VALUES ('00000000-0000-4000-8000-000000000009', 'hotline-nl.example', 'Referral', x'00', 'queued', 1)"
t "remove a peer with a queued message -> 65, names the count" 65 \
    '1 message to hotline-nl.example' peer remove hotline-nl.example
sq "$db" "INSERT INTO outbox (message_id, peer, type, body, state, created_at) VALUES ('00000000-0000-4000-8000-00000000000a', 'hotline-nl.example', 'Referral', x'00', 'dead', 1)"
t "a dead message counts as undelivered too -> 65" 65 \
    '2 messages to hotline-nl.example' peer remove hotline-nl.example
h peer show hotline-nl.example
cond "the refused remove left it enabled, with 2 undelivered" \
    "grep -q '^state: enabled' '$tmp/out' && grep -q '^outbox: 2 undelivered' '$tmp/out'"
sq "$db" "UPDATE outbox SET state = 'delivered' WHERE message_id LIKE '00000000-0000-4000-8000-0000000000%'"
t "once delivered, remove works" 0 '^hotline-nl.example: removed' \
    peer remove hotline-nl.example
h peer show hotline-nl.example --json
jcheck "removed with its messages: routes gone, pins retired" \
    'd["routes"] == [] and all(p["retired_at"] for p in d["pins"])'
t "a removed peer's pin still belongs to it -> 65" 65 \
    'belongs to peer hotline-nl.example' \
    peer add hotline-xx.example --url "$URL" --cert "$nl" --country NL
t "re-adding a removed id works" 0 '^added hotline-nl.example' \
    peer add hotline-nl.example --url "$URL" --cert "$nl" --country NL
h peer show hotline-nl.example --json
jcheck "the re-added peer is enabled with its certificate's pin valid" \
    'd["enabled"] is True and "removed_at" not in d and [p["pin"] for p in d["pins"] if p["retired_at"] is None] == [E["NLPIN"]]'
h audit list --peer hotline-nl.example --json
jcheck "the re-added peer's old history stays" \
    '(lambda ev: ev.count("peer_added") == 2 and ev.index("peer_removed") > ev.index("pin_retired") and ev[-1] in ("pin_added", "route_changed"))([e["event"] for e in d])'

# ---------------------------------------------------------------- identity

BEEND=$(enddate "$be.crt")
export BEEND
h identity
if [ "$rc" -eq 0 ] && [ ! -s "$tmp/err" ] &&
    grep -qx 'id: hotline-be.example' "$tmp/out" &&
    grep -qx 'country: BE' "$tmp/out" &&
    grep -qx 'subject: CN=hotline-be.example' "$tmp/out" &&
    grep -q "^expires: $BEEND (7[23][0-9] days left)\$" "$tmp/out"; then
	ok "identity prints id, country, subject and expiry"
else
	notok "identity prints id, country, subject and expiry" "exit $rc; $(outs)"
fi
cond "identity's pin equals the openssl pipeline's" 'grep -Fqx "pin: $BEPIN" "$tmp/out"'
h identity --json
jcheck "identity --json" \
    'd["id"] == "hotline-be.example" and d["country"] == "BE" and d["subject"] == "CN=hotline-be.example" and d["not_after"] == E["BEEND"] and d["pin"] == E["BEPIN"] and 728 <= d["days_left"] <= 730'
t "identity with an argument -> 64" 64 'usage' identity extra
chmod 0640 "$be.key"
t "identity with a key of mode 0640 -> 77, names file and mode" 77 \
    "$be.key.*0640" identity
t "cert check with a key of mode 0640 -> 77" 77 "$be.key.*0640" cert check
chmod 0600 "$be.key"
mkconf "$tmp/nocert.conf" "$tmp/missing.crt" "$be.key" "$db" "$akey"
conf0=$conf
conf="$tmp/nocert.conf"
t "identity with a missing certificate -> 66, names it" 66 "$tmp/missing.crt" identity
mkconf "$tmp/textcert.conf" "$tmp/text.crt" "$be.key" "$db" "$akey"
conf="$tmp/textcert.conf"
t "identity with a certificate that is not one -> 65" 65 "$tmp/text.crt" identity
conf=$conf0

# -------------------------------------------------------------- cert check

t "cert check: nothing expires within 30 days -> 0" 0 \
    'no certificate expires within 30 days' cert check
t "cert check --days 0 -> 0" 0 'within 0 days' cert check --days 0
t "cert check --days 1000 -> 1" 1 '^own hotline-be.example expires' \
    cert check --days 1000
has "cert check lists our own certificate" "own hotline-be.example expires $BEEND"
has "cert check lists hotline-nl.example's pin" "peer hotline-nl.example pin $NLPIN expires $NLEND"
has "cert check lists hotline-de.example's pin" "peer hotline-de.example pin $DEPIN expires"
has "cert check lists the rogue peer's pin" "peer hotline-rogue.example pin $ROGUEPIN expires"
cond "cert check lists a --pin-only peer as 'no known expiry' (issue 13)" \
    'grep -Eq "^peer hotline-nl2.example pin sha256//[^ ]+ no known expiry\$" "$tmp/out"'
cond "cert check --days 1000 lists exactly 4 expiring certificates" \
    '[ "$(grep -Ec "^(own|peer) .* expires " "$tmp/out")" -eq 4 ]'
for d in -1 x 1.5 '' 36501; do
	t "cert check --days '$d' -> 64" 64 'days|usage' cert check --days "$d"
done

# -------------------------------------------------------------- file modes

chmod 0644 "$db"
t "a store of mode 0644 -> 77 (peer list), names file and mode" 77 "$db.*0644" peer list
t "a store of mode 0644 -> 77 (peer add)" 77 "$db.*0644" \
    peer add hotline-xx.example --url "$URL" --pin "$NOPIN" --country NL
t "a store of mode 0644 -> 77 (audit verify)" 77 "$db.*0644" audit verify
chmod 0640 "$db"
t "a store of mode 0640 (group may read) -> 77" 77 "$db.*0640" peer list
chmod 0600 "$db"
chmod 0644 "$akey"
t "an audit key of mode 0644 -> 77, names file and mode" 77 "$akey.*0644" peer list
chmod 0600 "$akey"
t "with the modes put right the store opens again" 0 '^hotline-de.example enabled' peer list

# ----------------------------------------------------- a newer store

mkdir -m 0700 "$tmp/newer"
sq "$db" 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
cp "$db" "$tmp/newer/hlx.db"
sq "$tmp/newer/hlx.db" 'PRAGMA user_version=99'
mkconf "$tmp/newer.conf" "$be.crt" "$be.key" "$tmp/newer/hlx.db" "$akey"
conf="$tmp/newer.conf"
t "a store of a newer schema -> 70, says it is newer" 70 'newer' peer list
t "a store of a newer schema -> 70 for a write too" 70 'newer' \
    peer add hotline-xx.example --url "$URL" --pin "$NOPIN" --country NL
cond "the newer store was left alone" \
    '[ "$(sq "$tmp/newer/hlx.db" "PRAGMA user_version")" = 99 ]'
conf=$conf0

# ------------------------------------------------------- a busy store

# Another process holds the write lock for 7 s; hlx waits its 5 s busy
# timeout, then gives up with 75 and changes nothing.
rm -f "$tmp/locked"
(
	echo 'BEGIN IMMEDIATE;'
	echo ".shell touch '$tmp/locked'"
	sleep 7
	echo 'ROLLBACK;'
) | sq "$db" >/dev/null 2>&1 &
holder=$!
i=0
while [ ! -f "$tmp/locked" ] && [ $i -lt 50 ]; do
	sleep 0.1
	i=$((i + 1))
done
start=$(date +%s)
t "a write while another process holds the lock -> 75" 75 'lock|busy' \
    peer add hotline-busy.example --url "$URL" --pin "$NOPIN" --country NL
took=$(($(date +%s) - start))
cond "it waited about the 5 s busy timeout (took ${took}s)" \
    '[ "$took" -ge 4 ] && [ "$took" -le 7 ]'
wait "$holder"
holder=
t "nothing was added" 65 'no peer hotline-busy.example' peer show hotline-busy.example

finish
