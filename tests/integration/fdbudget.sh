#!/bin/sh
# fdbudget.sh BINDIR -- hlxd's descriptor budget (issue 13, item 4b): at
# start-up, and with -n, hlxd compares RLIMIT_NOFILE with what its
# configuration can hold open (the partner listener's handshakes and twice
# its max_connections, the admin listener's cap, the delivery transfers,
# the store, the hand-offs, a margin); it raises a short soft limit to the
# hard one, or refuses to start (78) naming the numbers.
#
#   1. a hard limit of 512 (the budget is over 1000): -n and a start both
#      78, one line naming the total, its parts and the hard limit; no
#      listener;
#   2. the edge, read from that line: hard = budget - 1 -> 78; hard =
#      budget -> starts (soft raised to it); a SIGHUP whose caps do not
#      fit is refused, the old configuration kept;
#   3. soft 256, hard 4096: -n -> 0 and leaves it; the start raises the
#      soft limit to 4096 (/proc/PID/limits) and logs event=nofile_raised;
#   4. soft already enough: left as it is, nothing logged;
#   5. a larger max_connections makes a larger budget (each cap counts).
# Runs hlxd under prlimit(1); a mktemp -d directory, loopback, synthetic
# certificates.  One TAP line a check.
#
# shellcheck disable=SC2016
set -u

bindir=$(cd "${1:-bin}" && pwd) || exit 2
here=$(cd "$(dirname "$0")" && pwd) || exit 2
top=$(cd "$here/../.." && pwd) || exit 2
hlx="$bindir/hlx"
hlxd="$bindir/hlxd"
n=0
fail=0
pid=
tmp=$(mktemp -d) || exit 2
trap '[ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null && wait "$pid"; rm -rf "$tmp"' EXIT
trap 'exit 130' HUP INT TERM

ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); fail=$((fail + 1)); echo "not ok $n - $1: $2"; }
cond() {
	if eval "$2" >/dev/null 2>&1; then ok "$1"; else notok "$1" "false: $2${3:+ ($3)}"; fi
}

for tool in prlimit openssl; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "Bail out! $tool is needed"
		exit 2
	fi
done
if [ ! -x "$hlx" ] || [ ! -x "$hlxd" ]; then
	echo "Bail out! no $hlx or $hlxd (make first)"
	exit 2
fi
hard_here=$(prlimit --pid $$ --nofile --raw --noheadings --output=HARD | tr -d ' ')
if [ "$hard_here" != unlimited ] && [ "$hard_here" -lt 4096 ]; then
	echo "ok 1 - fdbudget # SKIP the hard limit here is $hard_here, under 4096"
	echo "1..1"
	exit 0
fi

d=$tmp/gw
mkdir -m 700 "$d" "$d/var" || exit 2
if ! sh "$top/certs-example/make-certs.sh" "$d/certs" >"$tmp/certs.out" 2>&1; then
	echo "Bail out! make-certs.sh failed: $(tail -1 "$tmp/certs.out")"
	exit 2
fi
conf=$d/hlx.conf
# mkconf MAX_CONNECTIONS
mkconf() {
	cat >"$conf" <<EOF
# fdbudget.sh: hotline BE, synthetic.
[hotline]
id = hotline-be.example
country = BE
receive_for = BE

[listen]
address = 127.0.0.1:0
max_connections = $1
max_connections_per_ip = 8

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
}
mkconf 100

# run SOFT HARD ARGS...: hlxd under those limits, in the foreground for
# at most 20 s; $rc, $tmp/out, $tmp/err.
run() {
	s=$1
	h=$2
	shift 2
	timeout 20 prlimit --nofile="$s:$h" "$hlxd" -c "$conf" "$@" \
	    >"$tmp/out" 2>"$tmp/err" </dev/null
	rc=$?
}
# start SOFT HARD: hlxd -f under those limits, in the background; $pid
# once it listens, else empty.
start() {
	: >"$tmp/log"
	prlimit --nofile="$1:$2" "$hlxd" -c "$conf" -f 2>"$tmp/log" </dev/null &
	pid=$!
	i=0
	while [ $i -lt 100 ]; do
		grep -q 'event=listening' "$tmp/log" && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
		i=$((i + 1))
	done
	wait "$pid" 2>/dev/null
	pid=
}
stop() {
	[ -n "$pid" ] || return 0
	kill -TERM "$pid"
	wait "$pid"
	pid=
}
# limits: "soft hard" of Max open files of $pid.
limits() { awk '/^Max open files/ { print $4, $5 }' "/proc/$pid/limits"; }

# ------------------------------------------------------ 1. a small hard limit
run 256 512 -n
need=$(sed -n 's/.*can use \([0-9]*\) descriptors.*/\1/p' "$tmp/err")
cond "1. hard limit 512: hlxd -n -> 78, one line" \
    '[ "$rc" = 78 ] && [ "$(wc -l <"$tmp/err")" = 1 ]' \
    "exit $rc: $(head -3 "$tmp/err" | tr '\n' '|')"
cond "1. ... naming the budget ($need), each part, and the hard and soft limits" \
    'grep -q "can use [0-9]* descriptors (partner listener 226: 1 + max_handshakes + 2 x max_connections; admin [0-9]*; delivery [0-9]*; store [0-9]*; hand-offs [0-9]*; margin [0-9]*), more than the hard limit of open files (RLIMIT_NOFILE 512, soft 256): raise it" "$tmp/err"' \
    "$(cat "$tmp/err")"
cond "1. ... and what to change: LimitNOFILE or [listen] max_connections" \
    'grep -q "LimitNOFILE= in the unit.*max_connections" "$tmp/err"' "$(cat "$tmp/err")"
cond "1. ... the budget is the sum of its parts" \
    '[ "$need" -gt 1000 ] && [ "$need" = "$(sed -n "s/.*(partner listener \([0-9]*\):[^;]*; admin \([0-9]*\); delivery \([0-9]*\); store \([0-9]*\); hand-offs \([0-9]*\); margin \([0-9]*\)).*/\1 \2 \3 \4 \5 \6/p" "$tmp/err" | awk "{ print \$1 + \$2 + \$3 + \$4 + \$5 + \$6 }")" ]' \
    "$(cat "$tmp/err")"
run 256 512 -f
cond "1. hard limit 512: hlxd -f does not start (78), the same line" \
    '[ "$rc" = 78 ] && grep -q "can use $need descriptors" "$tmp/err" && ! grep -q event=listening "$tmp/err"' \
    "exit $rc: $(tail -3 "$tmp/err" | tr '\n' '|')"

# ------------------------------------------------------------- 2. the edge
run $((need - 1)) $((need - 1)) -n
cond "2. hard limit $((need - 1)), one short of the budget: -n -> 78" '[ "$rc" = 78 ]' \
    "exit $rc: $(cat "$tmp/err")"
run 256 "$need" -n
cond "2. hard limit $need, the budget: -n -> 0" \
    '[ "$rc" = 0 ] && grep -q "configuration OK" "$tmp/out"' "exit $rc: $(cat "$tmp/err")"
start 256 "$need"
cond "2. ... and it starts, its soft limit raised to $need" \
    '[ -n "$pid" ] && [ "$(limits)" = "$need $need" ]' \
    "$(tail -3 "$tmp/log" | tr '\n' '|') limits: $([ -n "$pid" ] && limits)"
# A reload whose caps would not fit is refused; the old ones stay.
mkconf 200
kill -HUP "$pid" 2>/dev/null
i=0
while [ $i -lt 50 ] && ! grep -q 'event=reload' "$tmp/log"; do
	sleep 0.1
	i=$((i + 1))
done
cond "2. SIGHUP with max_connections 200, over that hard limit: reload_failed naming the numbers, still serving" \
    'grep -q "event=reload_failed reason=\"the configuration can use [0-9]* descriptors .*RLIMIT_NOFILE $need.*the old configuration stays in force\"" "$tmp/log" && ! grep -q event=reloaded "$tmp/log" && kill -0 "$pid"' \
    "$(grep event=reload "$tmp/log" | tr '\n' '|')"
mkconf 100
stop

# ----------------------------------------------------- 3. raised to the hard
run 256 4096 -n
cond "3. soft 256, hard 4096: -n -> 0, nothing about descriptors" \
    '[ "$rc" = 0 ] && ! grep -Eq "descriptor|RLIMIT|nofile" "$tmp/err"' "exit $rc: $(cat "$tmp/err")"
start 256 4096
cond "3. hlxd -f starts and its soft limit is raised to the hard one (/proc/PID/limits: 4096 4096)" \
    '[ -n "$pid" ] && [ "$(limits)" = "4096 4096" ]' \
    "$(tail -3 "$tmp/log" | tr '\n' '|') limits: $([ -n "$pid" ] && limits)"
cond "3. ... logged: event=nofile_raised soft=256 hard=4096 need=$need" \
    'grep -q "event=nofile_raised soft=256 hard=4096 need=$need\$" "$tmp/log"' \
    "$(grep nofile "$tmp/log")"
stop

# ------------------------------------------------------ 4. soft is enough
start 3000 4096
cond "4. soft 3000 (enough), hard 4096: left as it is, nothing logged" \
    '[ -n "$pid" ] && [ "$(limits)" = "3000 4096" ] && ! grep -q nofile "$tmp/log"' \
    "$(tail -3 "$tmp/log" | tr '\n' '|') limits: $([ -n "$pid" ] && limits)"
stop

# ------------------------------------------------------- 5. each cap counts
mkconf 101
run 256 512 -n
need2=$(sed -n 's/.*can use \([0-9]*\) descriptors.*/\1/p' "$tmp/err")
cond "5. max_connections 101 instead of 100: the budget grows by 2 (the BUSY band), max_handshakes' default by 0" \
    '[ "$need2" = $((need + 2)) ]' "$need -> $need2: $(cat "$tmp/err")"
run 256 "$need" -f
cond "5. ... so the hard limit that was just enough ($need) is not: hlxd -f -> 78" \
    '[ "$rc" = 78 ]' "exit $rc: $(tail -3 "$tmp/err" | tr '\n' '|')"

echo "1..$n"
echo "fdbudget: $((n - fail)) passed, $fail failed"
[ "$fail" -eq 0 ]
