#!/bin/sh
# audit.sh BINDIR -- the audit trail (operations.md §5; issue 3): one entry
# per event, in order, with the Unix user as actor; `audit list` with
# --json, --peer and --case; `audit verify` with its count and tip; a
# refused or failed command leaves no entry; and every kind of tampering
# (changing any column, inserting, deleting, reordering, truncating,
# recomputing the chain without the key) is detected.
#
# The chain (include/audit.h, src/audit.c): entry k's mac is
#   HMAC-SHA256(audit_key, mac(k-1) || "hlx-audit-1\n" || seq "\n" || at "\n"
#               || actor || event || peer || hcase || message_id || pin
#               || detail)
# where mac(0) is 32 zero bytes, integers are decimal, and each text field
# is LENGTH ":" BYTES "\n", or "-\n" for NULL.  chain.py below recomputes it
# with that exact encoding: with the real key it reproduces every stored
# mac (the positive control), so the forgeries it makes with plain SHA-256
# or with a wrong key are real forgeries, and their detection means
# something.
#
# Everything happens in a mktemp -d directory; each tampering is done on a
# fresh copy of the store.  Synthetic data only.  One TAP line a check.
set -u

bindir=$(cd "${1:-bin}" && pwd) || exit 2
top=$(cd "$(dirname "$0")/../.." && pwd) || exit 2
hlx="$bindir/hlx"
n=0
fail=0
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' HUP INT TERM

ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); fail=$((fail + 1)); echo "not ok $n - $1: $2"; }
finish() {
	echo "1..$n"
	echo "audit: $((n - fail)) passed, $fail failed"
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

pin() {
	printf 'sha256//%s' "$(openssl x509 -in "$1" -pubkey -noout |
	    openssl pkey -pubin -outform der |
	    openssl dgst -sha256 -binary | base64)"
}
fakepin() {
	printf 'sha256//%s' "$(printf '%s' "$1" | openssl dgst -sha256 -binary |
	    base64)"
}

# mkconf FILE STORE AUDITKEY
mkconf() {
	cat >"$1" <<EOF
# audit.sh: hotline BE, synthetic.
[hotline]
id = hotline-be.example
country = BE
receive_for = BE

[tls]
cert = $certs/hotline-be.example.crt
key = $certs/hotline-be.example.key

[storage]
path = $2
audit_key = $3
EOF
}

sq() { (umask 077 && sqlite3 "$@"); }

# h ARGS...: hlx -c $conf ARGS; output in $tmp/out, $tmp/err; status $rc.
h() {
	"$hlx" -c "$conf" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
}
outs() {
	printf 'stderr: %s stdout: %s' "$(head -c 300 "$tmp/err" | tr '\n' '|')" \
	    "$(head -c 300 "$tmp/out" | tr '\n' '|')"
}
# run NAME RC ARGS...: hlx ARGS exits RC (0: and prints nothing on stderr;
# otherwise: exactly one line on stderr, or for 64 the usage line too).
run() {
	rname=$1
	rwant=$2
	shift 2
	h "$@"
	if [ "$rc" -ne "$rwant" ]; then
		notok "$rname" "hlx $*: exit $rc, want $rwant; $(outs)"
	elif [ "$rwant" -eq 0 ] && [ -s "$tmp/err" ]; then
		notok "$rname" "hlx $*: stderr not empty; $(outs)"
	elif [ "$rwant" -ne 0 ] && [ "$rwant" -ne 64 ] &&
	    [ "$(wc -l <"$tmp/err")" -ne 1 ]; then
		notok "$rname" "hlx $*: want one line on stderr; $(outs)"
	else
		ok "$rname"
	fi
}
# jcheck NAME EXPR: the last run exited 0 and python's EXPR holds (d: its
# JSON; E: the environment).
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
		notok "$1" "not ($2) in $(tr -d ' \n' <"$tmp/out" | head -c 800) $(tail -1 "$tmp/pyerr")"
	fi
}
cond() {
	if eval "$2" >/dev/null 2>&1; then ok "$1"; else notok "$1" "false: $2"; fi
}

# verify: audit verify on $conf; sets $count and $tip ("" unless it passed).
verify() {
	h audit verify
	count=
	tip=
	line=$(cat "$tmp/out")
	case $line in
	"audit: "*" entries verified, tip "*)
		count=${line#audit: }
		count=${count%% *}
		tip=${line##* }
		;;
	esac
}

# ------------------------------------------------------------ chain.py

cat >"$tmp/chain.py" <<'EOF'
# chain.py DB MODE [START [KEYFILE]] -- the audit chain of src/audit.c.
#   check KEYFILE        exit 0 when every stored mac and the tip equal the
#                        ones recomputed with the key
#   hmac START KEYFILE   recompute macs of entries START.. with the key,
#                        store them and the tip (what the key holder can do)
#   sha256 START         the same with plain SHA-256 over prev || encoding
#                        (what a forger without the key might try)
# Prints the last mac in hex.
import hashlib, hmac, sqlite3, sys

def enc(r):
    seq, at, fields = r[0], r[1], r[2:9]
    b = b"hlx-audit-1\n" + b"%d\n" % seq + b"%d\n" % at
    for v in fields:
        if v is None:
            b += b"-\n"
        else:
            v = v.encode() if isinstance(v, str) else bytes(v)
            b += b"%d:" % len(v) + v + b"\n"
    return b

db, mode = sys.argv[1], sys.argv[2]
con = sqlite3.connect(db)
rows = con.execute("SELECT seq, at, actor, event, peer, hcase, message_id, "
                   "pin, detail, mac FROM audit ORDER BY seq").fetchall()
if mode == "check":
    key = open(sys.argv[3], "rb").read()
    start = 1
else:
    start = int(sys.argv[3])
    key = open(sys.argv[4], "rb").read() if mode == "hmac" else None
prev = bytes(32)
good = True
for r in rows:
    if r[0] < start:
        prev = bytes(r[9])
        continue
    if key is not None:
        mac = hmac.new(key, prev + enc(r), hashlib.sha256).digest()
    else:
        mac = hashlib.sha256(prev + enc(r)).digest()
    if mode == "check":
        good = good and mac == bytes(r[9])
    else:
        con.execute("UPDATE audit SET mac = ? WHERE seq = ?", (mac, r[0]))
    prev = mac
if mode == "check":
    tip = con.execute("SELECT count, mac FROM audit_tip").fetchone()
    good = good and tip == (len(rows), prev)
else:
    con.execute("UPDATE audit_tip SET count = ?, mac = ?", (len(rows), prev))
    con.commit()
con.close()
print(prev.hex())
sys.exit(0 if good else 1)
EOF

# ------------------------------------------------------------------ setup

certs="$tmp/certs"
if ! sh "$top/certs-example/make-certs.sh" "$certs" >/dev/null 2>"$tmp/err"; then
	notok "make-certs.sh runs" "$(head -1 "$tmp/err")"
	finish
fi
nl="$certs/hotline-nl.example.crt"
de="$certs/hotline-de.example.crt"
mkdir -m 0700 "$tmp/store"
db="$tmp/store/hlx.db"
akey="$tmp/store/audit.key"
conf="$tmp/hlx.conf"
mkconf "$conf" "$db" "$akey"
NLPIN=$(pin "$nl")
DEPIN=$(pin "$de")
P1=$(fakepin audit-sh-1)
P2=$(fakepin audit-sh-2)
ACTOR=$(id -un)
export NLPIN DEPIN P1 P2 ACTOR
URL=https://127.0.0.1:8444

# ------------------------------------------------- a series of changes

verify
if [ "$rc" -eq 0 ] && [ "$count" = 0 ]; then
	ok "audit verify on a new store: 0 entries, exit 0"
else
	notok "audit verify on a new store: 0 entries, exit 0" "exit $rc; $(outs)"
fi
h audit list
if [ "$rc" -eq 0 ] && [ ! -s "$tmp/out" ] && [ ! -s "$tmp/err" ]; then
	ok "audit list on a new store: nothing, exit 0"
else
	notok "audit list on a new store: nothing, exit 0" "exit $rc; $(outs)"
fi

START=$(date +%s)
export START
run "peer add hotline-nl.example" 0 peer add hotline-nl.example --url "$URL" \
    --cert "$nl" --country NL
run "peer add hotline-de.example" 0 peer add hotline-de.example \
    --url https://127.0.0.1:8445 --cert "$de" --country DE,AT
run "peer rotate hotline-nl.example" 0 peer rotate hotline-nl.example --pin "$P1"
run "peer retire-pin hotline-nl.example" 0 peer retire-pin hotline-nl.example "$NLPIN"
run "peer disable hotline-de.example" 0 peer disable hotline-de.example
run "peer enable hotline-de.example" 0 peer enable hotline-de.example
run "peer route '*' hotline-de.example" 0 peer route '*' hotline-de.example
run "peer add hotline-lu.example" 0 peer add hotline-lu.example \
    --url https://127.0.0.1:8446 --pin "$P2" --country LU
run "peer remove hotline-lu.example" 0 peer remove hotline-lu.example

# What each command must have written, in order.
EVENTS="peer_added pin_added route_changed
peer_added pin_added route_changed route_changed
pin_added pin_retired peer_disabled peer_enabled route_changed
peer_added pin_added route_changed
route_changed pin_retired peer_removed"
PEERS="nl nl nl de de de de nl nl de de de lu lu lu lu lu lu"
EVENTS=$(printf %s "$EVENTS" | tr "\n" " ")
export EVENTS PEERS

h audit list --json
jcheck "audit list --json: one entry per event, in order" \
    '[e["event"] for e in d] == E["EVENTS"].split()'
jcheck "the entries are numbered 1.. without gaps" \
    '[e["seq"] for e in d] == list(range(1, len(d) + 1))'
jcheck "every entry's actor is the Unix user ($ACTOR)" \
    'len(d) > 0 and all(e["actor"] == E["ACTOR"] for e in d)'
jcheck "every entry names its peer" \
    '[e["peer"] for e in d] == ["hotline-%s.example" % p for p in E["PEERS"].split()]'
jcheck "pin events name the pin" \
    '[(e["event"], e["pin"]) for e in d if e["event"] in ("pin_added", "pin_retired")] == [("pin_added", E["NLPIN"]), ("pin_added", E["DEPIN"]), ("pin_added", E["P1"]), ("pin_retired", E["NLPIN"]), ("pin_added", E["P2"]), ("pin_retired", E["P2"])]'
jcheck "route events say which route went where" \
    '[e["detail"] for e in d if e["event"] == "route_changed"] == ["route NL: (none) -> hotline-nl.example", "route DE: (none) -> hotline-de.example", "route AT: (none) -> hotline-de.example", "route *: (none) -> hotline-de.example", "route LU: (none) -> hotline-lu.example", "route LU: hotline-lu.example -> (none)"]'
jcheck "no entry names a case or a message" \
    'all(e["case"] is None and e["message_id"] is None for e in d)'
jcheck "times are RFC 3339 UTC, from this run" \
    '(lambda ts: all(int(E["START"]) - 1 <= t <= int(E["START"]) + 120 for t in ts))([__import__("calendar").timegm(__import__("time").strptime(e["at"], "%Y-%m-%dT%H:%M:%SZ")) for e in d])'
N=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$tmp/out" 2>/dev/null || echo 0)

h audit list
if [ "$rc" -eq 0 ] && [ "$(wc -l <"$tmp/out")" -eq "$N" ] &&
    [ "$(grep -c "^[0-9]* [0-9T:-]*Z actor=$ACTOR event=[a-z_]* peer=hotline-[a-z]*\.example case=- message_id=- pin=" "$tmp/out")" -eq "$N" ]; then
	ok "audit list: one line per entry, with actor, event, peer"
else
	notok "audit list: one line per entry, with actor, event, peer" "want $N lines; $(outs)"
fi
cond "audit list names the first entry" \
    "grep -q '^1 .* event=peer_added peer=hotline-nl.example .* pin=$NLPIN detail=\"url $URL countries NL\"\$' '$tmp/out'"

h audit list --peer hotline-de.example --json
jcheck "audit list --peer: only that peer's entries, in order" \
    '[e["event"] for e in d] == [ev for ev, p in zip(E["EVENTS"].split(), E["PEERS"].split()) if p == "de"] and all(e["peer"] == "hotline-de.example" for e in d)'
h audit list --peer hotline-de.example
cond "audit list --peer without --json too" \
    "[ \$(wc -l <'$tmp/out') -eq 7 ] && ! grep -v 'peer=hotline-de.example ' '$tmp/out'"
h audit list --peer hotline-lu.example --json
jcheck "audit list --peer of a removed peer keeps its history" \
    '[e["event"] for e in d] == ["peer_added", "pin_added", "route_changed", "route_changed", "pin_retired", "peer_removed"]'
h audit list --peer hotline-zz.example --json
jcheck "audit list --peer of nobody: empty" 'd == []'
h audit list --case IN-2026-000001 --json
jcheck "audit list --case of no case: empty" 'd == []'
run "audit list with an argument -> 64" 64 audit list extra
run "audit list --days -> 64 (not its option)" 64 audit list --days 3
run "audit verify --json -> 64 (not its option)" 64 audit verify --json

verify
if [ "$rc" -eq 0 ] && [ "$count" = "$N" ] &&
    printf '%s' "$tip" | grep -Eqx '[0-9a-f]{64}' && [ ! -s "$tmp/err" ]; then
	ok "audit verify: exit 0, $N entries, a 64-hex tip"
else
	notok "audit verify: exit 0, $N entries, a 64-hex tip" "exit $rc; $(outs)"
fi
TIP1=$tip
cond "the printed tip is the stored tip" \
    "[ \"\$(sq '$db' 'SELECT lower(hex(mac)) || \" \" || count FROM audit_tip')\" = '$TIP1 $N' ]"
if python3 "$tmp/chain.py" "$db" check "$akey" >"$tmp/py" 2>&1 &&
    [ "$(cat "$tmp/py")" = "$TIP1" ]; then
	ok "chain.py with the key reproduces every stored mac and the tip"
else
	notok "chain.py with the key reproduces every stored mac and the tip" \
	    "$(tr '\n' '|' <"$tmp/py")"
fi

run "one more change: peer disable hotline-nl.example" 0 peer disable hotline-nl.example
N=$((N + 1))
verify
if [ "$rc" -eq 0 ] && [ "$count" = "$N" ] && [ -n "$tip" ] && [ "$tip" != "$TIP1" ]; then
	ok "the tip changes after another command, the count grows by one"
else
	notok "the tip changes after another command, the count grows by one" \
	    "was $TIP1; exit $rc; $(outs)"
fi
TIP=$tip

# ------------------------------------------ refused commands change nothing

run "retire the last pin of an enabled peer -> 65" 65 \
    peer retire-pin hotline-de.example "$DEPIN"
run "add an existing peer -> 65" 65 peer add hotline-de.example --url "$URL" \
    --pin "$(fakepin audit-sh-x)" --country DE
run "rotate another peer's pin in -> 65" 65 peer rotate hotline-nl.example --pin "$DEPIN"
run "route to an unknown peer -> 65" 65 peer route FR hotline-zz.example
run "enable a peer with no valid pin -> 65" 65 peer enable hotline-lu.example
sq "$db" "INSERT INTO outbox (message_id, peer, type, body, state, created_at) VALUES ('00000000-0000-4000-8000-000000000009', 'hotline-de.example', 'Referral', x'00', 'queued', 1)"
run "remove a peer with an undelivered message -> 65" 65 peer remove hotline-de.example
verify
if [ "$rc" -eq 0 ] && [ "$count" = "$N" ] && [ "$tip" = "$TIP" ]; then
	ok "the refused commands added no audit entry (count and tip unchanged)"
else
	notok "the refused commands added no audit entry (count and tip unchanged)" \
	    "want $N $TIP; exit $rc; $(outs)"
fi
h peer show hotline-de.example --json
jcheck "the refused commands changed nothing" \
    'd["enabled"] is True and [p["pin"] for p in d["pins"] if p["retired_at"] is None] == [E["DEPIN"]] and "removed_at" not in d and "FR" not in d["routes"]'

# A command that fails half-way (a trigger makes its route insert fail
# after the peer, its pin and two audit entries were written) commits
# nothing: not the peer, not the entries.
sq "$db" 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
mkdir -m 0700 "$tmp/half"
cp "$db" "$tmp/half/hlx.db"
sq "$tmp/half/hlx.db" "CREATE TRIGGER fail_route BEFORE INSERT ON route BEGIN SELECT RAISE(ABORT, 'synthetic failure'); END;"
mkconf "$tmp/half/hlx.conf" "$tmp/half/hlx.db" "$akey"
conf0=$conf
conf="$tmp/half/hlx.conf"
h peer add hotline-fr.example --url "$URL" --pin "$(fakepin audit-sh-fr)" --country FR
if [ "$rc" -ne 0 ] && [ "$rc" -ne 65 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ]; then
	ok "a write that fails half-way exits non-zero with one line (exit $rc)"
else
	notok "a write that fails half-way exits non-zero with one line" "exit $rc; $(outs)"
fi
verify
if [ "$rc" -eq 0 ] && [ "$count" = "$N" ] && [ "$tip" = "$TIP" ] &&
    [ "$(sq "$tmp/half/hlx.db" "SELECT count(*) FROM peer WHERE id = 'hotline-fr.example'")" = 0 ] &&
    [ "$(sq "$tmp/half/hlx.db" "SELECT count(*) FROM pin WHERE peer = 'hotline-fr.example'")" = 0 ]; then
	ok "the half-done write left no peer, no pin and no audit entry"
else
	notok "the half-done write left no peer, no pin and no audit entry" "exit $rc; $(outs)"
fi
conf=$conf0

# ---------------------------------------------------------- tampering

# N and TIP from the store itself, so that a wrong count above does not
# shift every check below.
verify
N=${count:-0}
TIP=$tip

# tamper NAME SEQ SQL: on a fresh copy of the store, SQL; then audit verify
# must exit 1, say on stdout that the trail is broken at entry SEQ, and
# name entry SEQ in its one line on stderr.
sq "$db" 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
k=0
copy() {
	k=$((k + 1))
	cdir="$tmp/copy$k"
	mkdir -m 0700 "$cdir"
	cp "$db" "$cdir/hlx.db"
	mkconf "$cdir/hlx.conf" "$cdir/hlx.db" "$akey"
	cdb="$cdir/hlx.db"
}
broken() {
	bname=$1
	bseq=$2
	h audit verify
	if [ "$rc" -eq 1 ] && grep -q "^audit: BROKEN at entry $bseq " "$tmp/out" &&
	    [ "$(wc -l <"$tmp/err")" -eq 1 ] &&
	    grep -q "^hlx: audit entry $bseq: " "$tmp/err"; then
		ok "$bname -> verify exits 1 naming entry $bseq"
	else
		notok "$bname -> verify exits 1 naming entry $bseq" "exit $rc; $(outs)"
	fi
}
tamper() {
	copy
	if ! sq "$cdb" "$3" >"$tmp/sqerr" 2>&1; then
		notok "$1" "sqlite3: $(head -1 "$tmp/sqerr")"
		return
	fi
	conf="$cdir/hlx.conf"
	broken "$1" "$2"
	conf=$conf0
}

# The trail now: 1-18 as above, 19 peer_disabled (hotline-nl.example).
# Entry 8 is pin_added of P1 (detail NULL), entry 3 route_changed (pin
# NULL, detail set), entry 1 peer_added (everything but case and message).
M=8
tamper "change at of entry $M" $M "UPDATE audit SET at = at + 1 WHERE seq = $M"
tamper "change actor of entry $M" $M "UPDATE audit SET actor = 'mallory' WHERE seq = $M"
tamper "change event of entry $M" $M "UPDATE audit SET event = 'pin_retired' WHERE seq = $M"
tamper "change peer of entry $M" $M "UPDATE audit SET peer = 'hotline-de.example' WHERE seq = $M"
tamper "set peer of entry $M to NULL" $M "UPDATE audit SET peer = NULL WHERE seq = $M"
tamper "set hcase of entry $M (NULL -> a case)" $M "UPDATE audit SET hcase = 'IN-2026-000001' WHERE seq = $M"
tamper "set message_id of entry $M (NULL -> an id)" $M "UPDATE audit SET message_id = '00000000-0000-4000-8000-000000000001' WHERE seq = $M"
tamper "change pin of entry $M" $M "UPDATE audit SET pin = '$NLPIN' WHERE seq = $M"
tamper "set pin of entry 3 from NULL to empty" 3 "UPDATE audit SET pin = '' WHERE seq = 3"
tamper "change detail of entry 3" 3 "UPDATE audit SET detail = replace(detail, 'NL', 'BE') WHERE seq = 3"
tamper "set detail of entry $M from NULL to empty" $M "UPDATE audit SET detail = '' WHERE seq = $M"
tamper "change mac of entry $M" $M "UPDATE audit SET mac = randomblob(32) WHERE seq = $M"
tamper "give entry $M the mac of entry 9" $M "UPDATE audit SET mac = (SELECT mac FROM audit WHERE seq = 9) WHERE seq = $M"
tamper "truncate mac of entry $M" $M "UPDATE audit SET mac = substr(mac, 1, 31) WHERE seq = $M"
tamper "change seq of entry $M (to 100)" $M "UPDATE audit SET seq = 100 WHERE seq = $M"
tamper "change detail of the first entry" 1 "UPDATE audit SET detail = detail || ' ' WHERE seq = 1"
tamper "change actor of the last entry" "$N" "UPDATE audit SET actor = 'hlxd' WHERE seq = $N"
tamper "change mac of the last entry" "$N" "UPDATE audit SET mac = randomblob(32) WHERE seq = $N"
tamper "change the mac of the tip" "$N" "UPDATE audit_tip SET mac = randomblob(32)"

# Inserting.
tamper "insert an entry at the end with a made-up mac" $((N + 1)) \
    "INSERT INTO audit (seq, at, actor, event, peer, pin, detail, mac) VALUES ($((N + 1)), strftime('%s','now'), '$ACTOR', 'pin_added', 'hotline-nl.example', '$DEPIN', NULL, randomblob(32))"
tamper "insert an entry at the end and count it in the tip" $((N + 1)) \
    "INSERT INTO audit (seq, at, actor, event, peer, pin, detail, mac) VALUES ($((N + 1)), strftime('%s','now'), '$ACTOR', 'pin_added', 'hotline-nl.example', '$DEPIN', NULL, randomblob(32)); UPDATE audit_tip SET count = count + 1, mac = (SELECT mac FROM audit WHERE seq = $((N + 1)))"
tamper "insert a copy of entry $M after it (renumbering the rest)" $((M + 1)) \
    "UPDATE audit SET seq = seq + 1000 WHERE seq > $M; UPDATE audit SET seq = seq - 999 WHERE seq > 1000; INSERT INTO audit SELECT $((M + 1)), at, actor, event, peer, hcase, message_id, pin, detail, mac FROM audit WHERE seq = $M; UPDATE audit_tip SET count = count + 1"
tamper "insert a new entry after entry $M (renumbering the rest)" $((M + 1)) \
    "UPDATE audit SET seq = seq + 1000 WHERE seq > $M; UPDATE audit SET seq = seq - 999 WHERE seq > 1000; INSERT INTO audit (seq, at, actor, event, peer, pin, mac) VALUES ($((M + 1)), strftime('%s','now'), '$ACTOR', 'pin_added', 'hotline-nl.example', '$DEPIN', randomblob(32)); UPDATE audit_tip SET count = count + 1"
tamper "swap the contents of entries 4 and 5 (macs too)" 4 \
    "UPDATE audit SET seq = -4 WHERE seq = 4; UPDATE audit SET seq = 4 WHERE seq = 5; UPDATE audit SET seq = 5 WHERE seq = -4"
tamper "swap the contents of entries 4 and 5 (macs kept in place)" 4 \
    "CREATE TEMP TABLE m AS SELECT seq, mac FROM audit WHERE seq IN (4, 5); UPDATE audit SET seq = -4 WHERE seq = 4; UPDATE audit SET seq = 4 WHERE seq = 5; UPDATE audit SET seq = 5 WHERE seq = -4; UPDATE audit SET mac = (SELECT mac FROM m WHERE m.seq = audit.seq) WHERE seq IN (4, 5)"

# Deleting.
tamper "delete entry $M" $M "DELETE FROM audit WHERE seq = $M"
tamper "delete the first entry" 1 "DELETE FROM audit WHERE seq = 1"
tamper "delete the last entry" "$N" "DELETE FROM audit WHERE seq = $N"
tamper "delete the last entry and lower the tip's count" $((N - 1)) \
    "DELETE FROM audit WHERE seq = $N; UPDATE audit_tip SET count = count - 1"
tamper "delete the last two entries and lower the tip's count" $((N - 2)) \
    "DELETE FROM audit WHERE seq >= $((N - 1)); UPDATE audit_tip SET count = count - 2"
tamper "delete the tip" "$N" "DELETE FROM audit_tip"

# A complete rewind -- the last entry deleted and the tip set to the one
# before -- is a consistent shorter trail: only a tip recorded elsewhere
# (operations.md §5: the daemon logs it every hour) shows it.  verify must
# then print a count and a tip that differ from the recorded ones.
copy
sq "$cdb" "DELETE FROM audit WHERE seq = $N; UPDATE audit_tip SET count = count - 1, mac = (SELECT mac FROM audit WHERE seq = $((N - 1)))"
conf="$cdir/hlx.conf"
verify
conf=$conf0
if [ "$count" = $((N - 1)) ] && [ -n "$tip" ] && [ "$tip" != "$TIP" ]; then
	ok "a complete rewind shows against the recorded tip (count $count, another tip)"
else
	notok "a complete rewind shows against the recorded tip" "exit $rc; $(outs)"
fi

# Recomputing the chain without the key.  First the positive control: with
# the real key, an edited entry and its successors re-MACed (and the tip)
# verify -- so chain.py's encoding is the program's.
copy
sq "$cdb" "UPDATE audit SET detail = 'route NL: (none) -> hotline-xx.example' WHERE seq = 3"
if ctip=$(python3 "$tmp/chain.py" "$cdb" hmac 3 "$akey" 2>"$tmp/py"); then
	conf="$cdir/hlx.conf"
	verify
	conf=$conf0
	if [ "$rc" -eq 0 ] && [ "$count" = "$N" ] && [ "$tip" = "$ctip" ]; then
		ok "control: re-MACed with the real key, an edit verifies (the encoding is right)"
	else
		notok "control: re-MACed with the real key, an edit verifies" "tip $ctip; exit $rc; $(outs)"
	fi
else
	notok "control: re-MACed with the real key, an edit verifies" "chain.py: $(tail -1 "$tmp/py")"
fi
copy
sq "$cdb" "UPDATE audit SET detail = 'route NL: (none) -> hotline-xx.example' WHERE seq = 3"
if python3 "$tmp/chain.py" "$cdb" sha256 3 >/dev/null 2>"$tmp/py"; then
	conf="$cdir/hlx.conf"
	broken "an edit with the chain recomputed as plain SHA-256" 3
	conf=$conf0
else
	notok "an edit with the chain recomputed as plain SHA-256" "chain.py: $(tail -1 "$tmp/py")"
fi
copy
sq "$cdb" "UPDATE audit SET detail = 'route NL: (none) -> hotline-xx.example' WHERE seq = 3"
head -c 32 /dev/urandom >"$tmp/wrong.key"
if python3 "$tmp/chain.py" "$cdb" hmac 3 "$tmp/wrong.key" >/dev/null 2>"$tmp/py"; then
	conf="$cdir/hlx.conf"
	broken "an edit with the chain recomputed under another key" 3
	conf=$conf0
else
	notok "an edit with the chain recomputed under another key" "chain.py: $(tail -1 "$tmp/py")"
fi
copy
if python3 "$tmp/chain.py" "$cdb" sha256 1 >/dev/null 2>"$tmp/py"; then
	conf="$cdir/hlx.conf"
	broken "the whole chain recomputed as plain SHA-256" 1
	conf=$conf0
else
	notok "the whole chain recomputed as plain SHA-256" "chain.py: $(tail -1 "$tmp/py")"
fi

# ------------------------------------------------------ losing the key

# The key is the proof.  An operator who loses the audit key file (or
# restores the store without it) loses the proof of the whole trail, so hlx
# refuses to make a new key for a trail that has entries: the loss shows the
# moment it happens, and restoring the key from the backup mends it.
copy
cp "$akey" "$cdir/audit.key"
mkconf "$cdir/hlx.conf" "$cdb" "$cdir/audit.key"
conf="$cdir/hlx.conf"
verify
if [ "$rc" -eq 0 ] && [ "$count" = "$N" ]; then
	ok "control: the copy verifies with a copy of the key"
else
	notok "control: the copy verifies with a copy of the key" "exit $rc; $(outs)"
fi
rm -f "$cdir/audit.key"
run "with the audit key deleted, verify refuses (70)" 70 audit verify
if grep -q "audit key .* is missing but the audit trail holds $N entries" "$tmp/err"; then
	ok "the refusal says the key is missing and how many entries it proved"
else
	notok "the refusal says the key is missing and how many entries it proved" "$(outs)"
fi
run "with the audit key deleted, a change is refused too" 70 peer enable hotline-nl.example
cond "no new audit key was made in its place" "[ ! -e '$cdir/audit.key' ]"
cp "$akey" "$cdir/audit.key"
verify
if [ "$rc" -eq 0 ] && [ "$count" = "$N" ]; then
	ok "with the key restored from the backup, the trail verifies again"
else
	notok "with the key restored from the backup, the trail verifies again" "exit $rc; $(outs)"
fi
conf=$conf0

finish
