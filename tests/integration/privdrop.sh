#!/bin/sh
# privdrop.sh BINDIR -- hlxd started as root drops to [daemon] user, and
# hlx run as root does not write a store it does not own (issue 7,
# operations.md §1-2; privdrop.h, hlxd.c's SECURITY comment).
#
# Needs root (otherwise one "ok ... # SKIP not root"): it makes a system
# user of its own, hlx-test-PID (useradd -r -M, removed again at the end),
# and everything else happens in a mktemp -d directory under /tmp, with
# certificates from certs-example/make-certs.sh, on loopback ports the
# kernel chooses.  The user runs copies of hlx and hlxd staged in that
# directory: the tree under test may lie below one it cannot enter (a
# clone in /root, 0700, or in a mktemp -d; issue 13), and $TMPDIR may be
# such a directory too, so /tmp is named.
#
#   hlx: run as root, refuses (77, one line naming the store and its owner)
#   to write the test user's store, and leaves it unchanged; may read it,
#   leaving no file of root's behind; refuses to create a store in the
#   user's directory.
#   hlxd, refusals: an unknown user and uid 0 (78); another user when not
#   root (77); files of root's where the user must write (77, each named);
#   a [tls] key the user cannot read (77).  Goes on: not root with the user
#   unset or its own; root without a user (a warning, the decision made in
#   hlxd.c); -n as root with a user (it drops and checks as the user).
#   hlxd, started as root with the user: Uid and Gid (all four fields) of
#   every thread are the user's, no group of root's, no capability; it
#   still serves: mutual TLS with curl (Capabilities, and a Referral whose
#   hand-off file is written by the user), /healthz, SIGHUP, SIGTERM.
# One TAP line a check.
#
# shellcheck disable=SC2016
set -u

n=0
fail=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); fail=$((fail + 1)); echo "not ok $n - $1: $2"; }
check() { if [ -z "$2" ]; then ok "$1"; else notok "$1" "$2"; fi; }
finish() {
	echo "1..$n"
	echo "privdrop: $((n - fail)) passed, $fail failed"
	[ "$fail" -eq 0 ]
	exit
}
skip() {
	echo "ok 1 - privdrop # SKIP $1"
	echo "1..1"
	exit 0
}

[ "$(id -u)" -eq 0 ] || skip "not root"
for tool in useradd userdel setpriv; do
	command -v "$tool" >/dev/null 2>&1 || skip "no $tool"
done
for tool in openssl sqlite3 curl python3; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "Bail out! $tool is needed"
		exit 2
	fi
done

bindir=$(cd "${1:-bin}" && pwd) || exit 2
here=$(cd "$(dirname "$0")" && pwd) || exit 2
top=$(cd "$here/../.." && pwd) || exit 2
hlx="$bindir/hlx"
hlxd="$bindir/hlxd"
export PYTHONDONTWRITEBYTECODE=1
if [ ! -x "$hlx" ] || [ ! -x "$hlxd" ]; then
	echo "Bail out! no $hlx or $hlxd (make first)"
	exit 2
fi

user=hlx-test-$$
made_user=
pid=
tmp=$(mktemp -d /tmp/hlx-privdrop.XXXXXX) || exit 2
cleanup() {
	if [ -n "$pid" ]; then
		kill -TERM "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	fi
	if [ -n "$made_user" ]; then
		userdel "$user" 2>/dev/null
		getent group "$user" >/dev/null 2>&1 && groupdel "$user" 2>/dev/null
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' HUP INT TERM

if ! useradd -r -M -s /usr/sbin/nologin "$user" >"$tmp/useradd.out" 2>&1; then
	echo "Bail out! useradd $user: $(head -1 "$tmp/useradd.out")"
	exit 2
fi
made_user=1
uid=$(id -u "$user")
gid=$(id -g "$user")
# as_user CMD...: CMD as the test user, with its own groups only.
as_user() { setpriv --reuid="$uid" --regid="$gid" --init-groups -- "$@"; }
# The user must reach the programs it runs: copies, in a directory of
# root's it may enter, whatever directory the tree under test is in.
chmod 711 "$tmp"
mkdir -m 755 "$tmp/bin" && cp "$hlx" "$hlxd" "$tmp/bin/" &&
    chmod 755 "$tmp/bin/hlx" "$tmp/bin/hlxd" || exit 2
hlx=$tmp/bin/hlx
hlxd=$tmp/bin/hlxd
if ! as_user test -x "$hlxd" || ! as_user test -x "$hlx"; then
	echo "Bail out! $user cannot run $hlxd (a directory above it is closed)"
	exit 2
fi

# ---------------------------------------------------------------- set-up
#
# $tmp and $d: root's, 0711, so the user can pass through them.  $d/certs:
# root's, the certificates readable by all, the BE key (the gateway's)
# the user's, 0600.  $d/var: the user's, 0700: store, audit key, hand-offs.

chmod 711 "$tmp"
d=$tmp/gw
mkdir -m 711 "$d" || exit 2
if ! sh "$top/certs-example/make-certs.sh" "$d/certs" >"$tmp/certs.out" 2>&1; then
	echo "Bail out! make-certs.sh failed: $(tail -1 "$tmp/certs.out")"
	exit 2
fi
certs=$d/certs
chmod 711 "$certs"
chmod 644 "$certs"/*.crt
chown "$uid:$gid" "$certs/hotline-be.example.key"
mkdir -m 700 "$d/var" "$d/var2" && chown "$uid:$gid" "$d/var" "$d/var2" ||
    exit 2
db=$d/var/hlx.db

# mkconf FILE VARDIR [DAEMON-USER|-] [KEY]: the gateway's configuration,
# paths relative to $d; "-": no [daemon] section.
mkconf() {
	{
		cat <<EOF
# privdrop.sh: hotline BE, synthetic.
[hotline]
id = hotline-be.example
country = BE
receive_for = BE
case_prefix = IN-

[listen]
address = 127.0.0.1:0

[tls]
cert = certs/hotline-be.example.crt
key = ${4:-certs/hotline-be.example.key}

[storage]
path = $2/hlx.db
audit_key = $2/audit.key
min_free = 1M

[admin]
address = 127.0.0.1:0

[handoff]
dir = $2/handoff
EOF
		[ "${3:--}" = - ] || printf '\n[daemon]\nuser = %s\n' "$3"
	} >"$1"
	chmod 644 "$1"
}
conf=$d/hlx.conf
mkconf "$conf" var "$user"

# h ARGS...: hlx -c $conf ARGS as root; $rc, $tmp/out, $tmp/err.
h() {
	"$hlx" -c "$conf" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
}
outs() {
	printf 'stderr: %s stdout: %s' "$(head -c 300 "$tmp/err" | tr '\n' '|')" \
	    "$(head -c 300 "$tmp/out" | tr '\n' '|')"
}
# refused RC PATTERN: exit RC, exactly one line on stderr matching the ERE.
refused() {
	if [ "$rc" -ne "$1" ]; then
		echo "exit $rc, want $1; $(outs)"
	elif [ "$(wc -l <"$tmp/err")" -ne 1 ]; then
		echo "want one line on stderr; $(outs)"
	elif ! grep -Eq -- "$2" "$tmp/err"; then
		echo "stderr does not match /$2/; $(outs)"
	fi
}
# not_users DIR: every file under DIR that is not the test user's.
not_users() { find "$1" ! -uid "$uid" -print 2>&1 | tr '\n' ' '; }
# digest: the store's content as the user sees it, and its bytes.
digest() {
	as_user sqlite3 "$db" 'SELECT count(*) FROM audit; SELECT id FROM peer ORDER BY id' 2>&1 |
	    tr '\n' ' '
	sha256sum "$db" | cut -c1-16
}

# The store is the user's from the start: made by hlx run as the user.
if ! as_user "$hlx" -c "$conf" peer add hotline-nl.example \
    --url https://127.0.0.1:9 --cert "$certs/hotline-nl.example.crt" \
    --country NL >"$tmp/out" 2>&1; then
	echo "Bail out! peer add as $user: $(cat "$tmp/out")"
	exit 2
fi
ok "hlx run as $user makes its store and adds a peer"

# -------------------------------------------------------- hlx run as root

before=$(digest)
h peer add hotline-de.example --url https://127.0.0.1:9 \
    --cert "$certs/hotline-de.example.crt" --country DE
check "hlx as root: peer add on $user's store -> 77, one line naming the store and its owner" \
    "$(refused 77 "store $db is owned by $user \\(uid $uid\\), not by root \\(uid 0\\).*run hlx as that user")"
check "hlx as root: the refused write left the store unchanged" "$(
    after=$(digest)
    [ "$after" = "$before" ] || echo "before: $before; after: $after")"
h peer disable hotline-nl.example
check "hlx as root: peer disable -> 77 too" "$(refused 77 "owned by $user")"

h peer list
check "hlx as root may read $user's store (peer list -> 0)" "$(
    [ "$rc" -eq 0 ] && grep -q hotline-nl.example "$tmp/out" || echo "exit $rc; $(outs)")"
check "reading as root leaves no file in the store's directory that is not $user's" \
    "$(not_users "$d/var")"
check "reading as root left the store unchanged" "$(
    after=$(digest)
    [ "$after" = "$before" ] || echo "before: $before; after: $after")"

conf2=$d/hlx2.conf
mkconf "$conf2" var2 "$user"
"$hlx" -c "$conf2" peer list >"$tmp/out" 2>"$tmp/err"
rc=$?
check "hlx as root: no store yet in $user's directory -> 77 (it would create it)" \
    "$(refused 77 "directory of the store $d/var2 is owned by $user")"
check "... and nothing was created there" "$(ls -A "$d/var2")"

# ------------------------------------------------------ hlxd's refusals

# d_run CONF [as_user] ARGS...: hlxd -c CONF ARGS, as root or the user.
d_run() {
	dconf=$1
	shift
	if [ "${1:-}" = as_user ]; then
		shift
		as_user "$hlxd" -c "$dconf" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
	else
		timeout 20 "$hlxd" -c "$dconf" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
	fi
	rc=$?
}

mkconf "$d/c.conf" var "hlx-nouser-$$"
d_run "$d/c.conf" -f
check "hlxd: [daemon] user that does not exist -> 78, one line" \
    "$(refused 78 "\\[daemon\\] user hlx-nouser-$$: no such user")"
mkconf "$d/c.conf" var root
d_run "$d/c.conf" -f
check "hlxd: [daemon] user root -> 78, one line" \
    "$(refused 78 "\\[daemon\\] user root: uid 0 is root")"
mkconf "$d/c.conf" var nobody
d_run "$d/c.conf" as_user -f
check "hlxd not root, [daemon] user another user -> 77, one line" \
    "$(refused 77 "\\[daemon\\] user nobody .*only root can become another user")"
d_run "$conf" as_user -n
check "hlxd not root, [daemon] user its own: goes on (-n -> 0)" "$(
    [ "$rc" -eq 0 ] && grep -q 'configuration OK' "$tmp/out" &&
    [ ! -s "$tmp/err" ] || echo "exit $rc; $(outs)")"
mkconf "$d/c.conf" var -
d_run "$d/c.conf" as_user -n
check "hlxd not root, no [daemon] user: goes on (-n -> 0)" "$(
    [ "$rc" -eq 0 ] && [ ! -s "$tmp/err" ] || echo "exit $rc; $(outs)")"
d_run "$d/c.conf" -n
check "hlxd as root without [daemon] user: goes on with a warning (decision: not refused)" "$(
    [ "$rc" -eq 0 ] && grep -q 'warning: running as root without \[daemon\] user' "$tmp/err" ||
    echo "exit $rc; $(outs)")"
d_run "$conf" -n
check "hlxd -n as root with [daemon] user: drops, checks as $user -> 0" "$(
    [ "$rc" -eq 0 ] && grep -q 'configuration OK' "$tmp/out" &&
    [ ! -s "$tmp/err" ] || echo "exit $rc; $(outs)")"

# A [tls] key only root can read: hlxd reads it (for the listener and
# for the delivery thread's libcurl) before the drop, so that is fine.
cp -p "$certs/hotline-be.example.key" "$d/root.key"
chown 0:0 "$d/root.key"
chmod 600 "$d/root.key"
mkconf "$d/c.conf" var "$user" "$d/root.key"
d_run "$d/c.conf" -n
check "hlxd -n as root: a [tls] key only root can read is fine -> 0" "$(
    [ "$rc" -eq 0 ] && grep -q 'configuration OK' "$tmp/out" ||
    echo "exit $rc; $(outs)")"

# Files of root's where the user must write: a directory and a store made
# by root (hlx as root may, in a directory of its own) ...
mkdir -m 700 "$d/rootvar"
mkconf "$d/c.conf" rootvar -
"$hlx" -c "$d/c.conf" peer list >/dev/null 2>&1
mkconf "$d/c.conf" rootvar "$user"
d_run "$d/c.conf" -f
check "hlxd as root: a store directory of root's -> 77, named with its owner (chown -R)" "$(
    [ "$rc" -eq 77 ] &&
    grep -q "directory $d/rootvar: owned by root (uid 0), not by $user.*chown -R it to $user" "$tmp/err" ||
    echo "exit $rc; $(outs)")"
d_run "$d/c.conf" -n
check "hlxd -n says the same (77), on stderr" "$(
    [ "$rc" -eq 77 ] &&
    grep -q "^\[storage\] path: directory $d/rootvar: owned by root" "$tmp/err" ||
    echo "exit $rc; $(outs)")"
# ... and that store and key moved into a directory of the user's.
mkdir -m 700 "$d/mixvar"
chown "$uid:$gid" "$d/mixvar"
mv "$d/rootvar/hlx.db" "$d/rootvar/audit.key" "$d/mixvar/"
mkconf "$d/c.conf" mixvar "$user"
d_run "$d/c.conf" -f
check "hlxd as root: a store and audit key of root's in $user's directory -> 77, each named" "$(
    [ "$rc" -eq 77 ] &&
    grep -q "\[storage\] path $d/mixvar/hlx.db: owned by root (uid 0), not by $user" "$tmp/err" &&
    grep -q "\[storage\] audit_key $d/mixvar/audit.key: owned by root (uid 0)" "$tmp/err" ||
    echo "exit $rc; $(outs)")"
check "... and it made no file there (nothing was opened)" "$(
    [ "$(ls -A "$d/mixvar" | tr '\n' ' ')" = "audit.key hlx.db " ] ||
    echo "$(ls -A "$d/mixvar" | tr '\n' ' ')")"

# A store directory that does not exist: the user could not make it.
mkconf "$d/c.conf" novar "$user"
d_run "$d/c.conf" -n
check "hlxd -n as root: a store directory that does not exist -> 78, named" "$(
    [ "$rc" -eq 78 ] &&
    grep -q "^\\[storage\\] path: directory $d/novar: does not exist; create it, owned by $user" "$tmp/err" ||
    echo "exit $rc; $(outs)")"

# -------------------------------------------------- hlxd, root -> the user

# Its key is root's alone ($d/root.key, 0600): read before the drop.
mkconf "$conf" var "$user" "$d/root.key"
log=$tmp/hlxd.log
: >"$log"
"$hlxd" -c "$conf" -f 2>"$log" </dev/null &
pid=$!
port=
i=0
while [ $i -lt 100 ]; do
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
ok "hlxd started as root with [daemon] user = $user listens (partner $port, admin $aport)"
check "it logs the drop" "$(
    grep -q "event=privileges_dropped user=$user uid=$uid gid=$gid" "$log" ||
    echo "$(head -5 "$log" | tr '\n' '|')")"

st=/proc/$pid/status
check "/proc: Uid is $uid in all four fields (real, effective, saved, fs)" "$(
    l=$(grep '^Uid:' "$st" | tr -s '\t ' ' ')
    [ "$l" = "Uid: $uid $uid $uid $uid" ] || echo "$l")"
check "/proc: Gid is $gid in all four fields" "$(
    l=$(grep '^Gid:' "$st" | tr -s '\t ' ' ')
    [ "$l" = "Gid: $gid $gid $gid $gid" ] || echo "$l")"
check "/proc: no supplementary group of root's (Groups: $gid only)" "$(
    l=$(grep '^Groups:' "$st" | tr -s '\t ' ' ' | sed 's/ *$//')
    [ "$l" = "Groups: $gid" ] || echo "$l")"
check "/proc: no capability (CapEff, CapPrm, CapAmb all 0)" "$(
    for c in CapEff CapPrm CapAmb; do
	grep -q "^$c:[[:space:]]*0000000000000000$" "$st" ||
	    grep "^$c:" "$st"
    done | tr '\n' ' ')"
nthreads=$(ls "/proc/$pid/task" | wc -l)
check "/proc: every thread ($nthreads; writer and delivery started after the drop) has the user's ids" "$(
    [ "$nthreads" -ge 3 ] || echo "only $nthreads threads"
    for t in /proc/$pid/task/*; do
	u=$(grep '^Uid:' "$t/status" | tr -s '\t ' ' ')
	g=$(grep '^Gid:' "$t/status" | tr -s '\t ' ' ')
	e=$(grep '^CapEff:' "$t/status" | tr -s '\t ' ' ')
	[ "$u" = "Uid: $uid $uid $uid $uid" ] && [ "$g" = "Gid: $gid $gid $gid $gid" ] &&
	    [ "$e" = "CapEff: 0000000000000000" ] || echo "${t##*/}: $u $g $e"
    done | tr '\n' ' ')"

url=https://127.0.0.1:$port
curl_nl() {
	curl --max-time 20 -sS --cacert "$certs/ca.crt" \
	    --cert "$certs/hotline-nl.example.crt" \
	    --key "$certs/hotline-nl.example.key" -o "$tmp/body" \
	    -w '%{http_code}' "$@" 2>"$tmp/curlerr"
}
s=$(curl_nl "$url/hlx/1/capabilities")
check "it still serves: mutual TLS, GET /hlx/1/capabilities -> 200 Capabilities" "$(
    [ "$s" = 200 ] && grep -q '<Capabilities' "$tmp/body" ||
    echo "status $s; $(head -c 200 "$tmp/body") $(cat "$tmp/curlerr")")"

python3 "$here/inbound_client.py" make "$here/data/referral.xml" --id new \
    --sent-at now >"$tmp/ref.xml" || { echo "Bail out! cannot make a referral"; exit 2; }
s=$(curl_nl -H 'Content-Type: application/xml' --data-binary "@$tmp/ref.xml" \
    "$url/hlx/1/messages")
check "a Referral for BE -> 202 Receipt (stored by the dropped process)" "$(
    [ "$s" = 202 ] && grep -q '<Receipt' "$tmp/body" ||
    echo "status $s; $(head -c 300 "$tmp/body") $(cat "$tmp/curlerr")")"
check "the hand-off directory hlxd made is $user's, mode 0700" "$(
    l=$(stat -c '%u %a' "$d/var/handoff" 2>&1)
    [ "$l" = "$uid 700" ] || echo "$l")"
check "its hand-off file was written, and every file in the store's directory is $user's" "$(
    [ -n "$(ls -A "$d/var/handoff")" ] || echo "no hand-off file"
    not_users "$d/var")"
# The delivery thread's client side, with the key root read before the
# drop: a "partner" that is this very gateway (its pin is ours), so the
# answer is 403 SENDER_MISMATCH -- an answer proves the mutual handshake.
as_user "$hlx" -c "$conf" peer add hotline-de.example --url "$url" \
    --cert "$certs/hotline-be.example.crt" --country DE >/dev/null 2>"$tmp/err"
python3 -c 'import json, sys; r = json.load(open(sys.argv[1])); r["hosting"]["country"] = "DE"; print(json.dumps(r))' \
    "$here/data/case-nl.json" >"$tmp/de.json"
chmod 644 "$tmp/de.json"
as_user "$hlx" -c "$conf" submit "$tmp/de.json" >"$tmp/out" 2>>"$tmp/err"
i=0
while [ $i -lt 60 ]; do
	as_user "$hlx" -c "$conf" outbox list --state dead >"$tmp/dead" 2>/dev/null
	[ -s "$tmp/dead" ] && break
	sleep 0.25
	i=$((i + 1))
done
check "delivery after the drop: a mutual-TLS handshake with the root-only key, answered 403 SENDER_MISMATCH" "$(
    grep -q 'SENDER_MISMATCH' "$tmp/dead" ||
    echo "$(cat "$tmp/err" "$tmp/out" "$tmp/dead" | tr '\n' '|') $(as_user "$hlx" -c "$conf" outbox list | tr '\n' '|')")"
s=$(curl --max-time 10 -sS -o "$tmp/body" -w '%{http_code}' \
    "http://127.0.0.1:$aport/healthz" 2>"$tmp/curlerr")
check "/healthz -> 200 (the store is writable by $user)" "$(
    [ "$s" = 200 ] || echo "status $s; $(cat "$tmp/body" "$tmp/curlerr")")"

h peer list
check "hlx as root still reads the store hlxd has open" "$(
    [ "$rc" -eq 0 ] || echo "exit $rc; $(outs)")"
check "... and leaves no file of root's behind (-wal, -shm)" "$(not_users "$d/var")"

kill -HUP "$pid"
i=0
while [ $i -lt 50 ] && ! grep -q 'event=reloaded' "$log"; do
	sleep 0.1
	i=$((i + 1))
done
check "SIGHUP: the configuration is read again as $user" "$(
    grep -q 'event=reloaded' "$log" || echo "$(tail -3 "$log" | tr '\n' '|')")"
kill -TERM "$pid"
wait "$pid"
src=$?
pid=
check "SIGTERM: exits 0" "$([ "$src" -eq 0 ] || echo "exit $src")"
check "nothing in its log about root, files or the configuration" "$(
    grep -E 'event=(start_failed|running_as_root|config_unreadable|config_error|reload_failed)' "$log" |
    head -3 | tr '\n' '|')"

finish
