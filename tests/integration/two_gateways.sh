#!/bin/sh
# two_gateways.sh BINDIR -- two real gateways on loopback, BE and NL, each
# registering the other (protocol.md §1, §3, §4; operations.md §2-§4;
# issue 5): a referral crosses from BE to NL and becomes NL's hand-off; with
# NL stopped BE queues three referrals, and after NL restarts on the same
# port all three arrive exactly once; `kill -9` of BE right after `hlx
# submit` loses nothing and sends nothing twice; and a message delivered
# before, sent again (its state set back to queued in BE's store), is
# answered `duplicate`, which BE counts as delivered.  Certificates from
# certs-example/make-certs.sh, stores of their own in a mktemp -d
# directory, short delivery durations, every wait bounded.  Synthetic data
# only.  One TAP line a check.
#
# shellcheck disable=SC2016,SC2317,SC2034,SC2015,SC2030,SC2031,SC2012
set -u

bindir=$(cd "${1:-bin}" && pwd) || exit 2
here=$(cd "$(dirname "$0")" && pwd) || exit 2
top=$(cd "$here/../.." && pwd) || exit 2
hlx="$bindir/hlx"
hlxd="$bindir/hlxd"
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
base=$here/data/case-nl.json
[ -f "$base" ] || base=$top/../shared/examples/case-nl.json
n=0
fail=0
bepid=
nlpid=
tmp=$(mktemp -d) || exit 2
cleanup() {
	for p in $bepid $nlpid; do kill -TERM "$p" 2>/dev/null; done
	for p in $bepid $nlpid; do wait "$p" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' HUP INT TERM

ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); fail=$((fail + 1)); echo "not ok $n - $1: $2"; }
check() { if [ -z "$2" ]; then ok "$1"; else notok "$1" "$2"; fi; }
finish() {
	echo "1..$n"
	echo "two_gateways: $((n - fail)) passed, $fail failed"
	[ "$fail" -eq 0 ]
	exit
}

for tool in openssl sqlite3 curl; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "Bail out! $tool is needed"
		exit 2
	fi
done
if [ ! -x "$hlx" ] || [ ! -x "$hlxd" ]; then
	echo "Bail out! no $hlx or $hlxd (make first)"
	exit 2
fi
[ -f "$base" ] || { echo "Bail out! no case-nl.json"; exit 2; }

# ---------------------------------------------------------------- helpers

# j FILE EXPR: a value from a JSON file (j is the document).
j() {
	"$PY" - "$@" <<'EOF'
import json, sys
try:
    with open(sys.argv[1]) as f:
        j = json.load(f)
    r = eval(sys.argv[2], {"j": j})
except Exception as e:
    r = "ERROR:%s" % e
print(r if not isinstance(r, bool) else ("true" if r else "false"))
EOF
}
# mkrec CASE OUT: case-nl.json under another case_id.
mkrec() {
	"$PY" -c 'import json,sys; r=json.load(open(sys.argv[1])); r["case_id"]=sys.argv[2]; json.dump(r, open(sys.argv[3],"w"), indent=2)' \
	    "$base" "$1" "$2"
}
sq() { (umask 077 && sqlite3 "$@"); }

if ! sh "$top/certs-example/make-certs.sh" "$tmp/certs" >"$tmp/certs.out" 2>&1; then
	echo "Bail out! make-certs.sh failed: $(tail -1 "$tmp/certs.out")"
	exit 2
fi
certs=$tmp/certs

# mkconf WHO ID COUNTRY PORT: $tmp/WHO/hlx.conf.
mkconf() {
	mkdir -p "$tmp/$1/var"
	chmod 700 "$tmp/$1" "$tmp/$1/var"
	cat >"$tmp/$1/hlx.conf" <<EOF
# two_gateways.sh: $2, synthetic.
[hotline]
id = $2
country = $3
receive_for = $3
case_prefix = IN-

[listen]
address = 127.0.0.1:$4
rate_limit = 1000

[tls]
cert = $certs/$2.crt
key = $certs/$2.key

[storage]
path = $tmp/$1/var/hlx.db
audit_key = $tmp/$1/var/audit.key
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
max_age = 60s

[handoff]
dir = $tmp/$1/handoff
EOF
}
be=$tmp/be/hlx.conf
nl=$tmp/nl/hlx.conf
bedb=$tmp/be/var/hlx.db
nldb=$tmp/nl/var/hlx.db
nlh=$tmp/nl/handoff

# gstart WHO: hlxd -c $tmp/WHO/hlx.conf -f; sets $gp, $gport; the log is
# $tmp/WHO.N.log.  1 if it did not come up.
starts=0
gstart() {
	starts=$((starts + 1))
	glog=$tmp/$1.$starts.log
	"$hlxd" -c "$tmp/$1/hlx.conf" -f 2>"$glog" &
	gp=$!
	gi=0
	while [ $gi -lt 100 ]; do
		if grep -q 'event=listening' "$glog"; then
			gport=$(sed -n 's/.*event=listening address=127\.0\.0\.1:\([0-9]*\) .*/\1/p' "$glog" | head -1)
			return 0
		fi
		kill -0 "$gp" 2>/dev/null || break
		sleep 0.1
		gi=$((gi + 1))
	done
	gport=
	return 1
}
# gstop PID: SIGTERM and wait; the exit status in $stoprc.
gstop() {
	kill -TERM "$1" 2>/dev/null
	wait "$1"
	stoprc=$?
}

# submit FILE: hlx submit at BE; sets $line, $mid, $route, $rc.
submit() {
	"$hlx" -c "$be" submit "$1" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	line=$(head -1 "$tmp/out")
	mid=$(echo "$line" | cut -d' ' -f2)
	route=$(echo "$line" | cut -d' ' -f3)
}
outs() {
	printf 'exit %s; stderr: %s stdout: %s' "$rc" \
	    "$(head -c 300 "$tmp/err" | tr '\n' '|')" \
	    "$(head -c 300 "$tmp/out" | tr '\n' '|')"
}
# wait_be ID EXPR SECS: polls BE's `outbox show ID --json` into
# $tmp/show.json until EXPR (on j) holds; 1 on time-out.
wait_be() {
	wend=$(($(date +%s) + $3))
	while :; do
		"$hlx" -c "$be" outbox show "$1" --json >"$tmp/show.json" \
		    2>/dev/null
		[ "$(j "$tmp/show.json" "$2")" = true ] && return 0
		[ "$(date +%s)" -ge "$wend" ] && return 1
		sleep 0.25
	done
}
shown() {
	j "$tmp/show.json" '"state=%s attempts=%s last=%s/%s" % (j["state"], j["attempts"], j["last_status"], j["last_code"])'
}
# in_nl CASE: how many times NL's inbox lists BE's case CASE (their_case_ref),
# and how many messages of it NL's store holds.
in_nl() {
	"$hlx" -c "$nl" inbox list --json >"$tmp/inbox.json" 2>/dev/null
	j "$tmp/inbox.json" "sum(1 for r in j if r.get('their_case_ref') == '$1' and r.get('from') == 'hotline-be.example')"
}
inbox_rows() {
	sq "$nldb" "SELECT count(*) FROM inbox WHERE peer = 'hotline-be.example' AND message_id = '$1'"
}

# ---------------------------------------------------------------- set-up

mkconf be hotline-be.example BE 0
mkconf nl hotline-nl.example NL 0
if ! gstart be; then
	echo "Bail out! BE's hlxd did not start: $(tail -3 "$glog" | tr '\n' '|')"
	exit 2
fi
bepid=$gp
beport=$gport
belog=$glog
if ! gstart nl; then
	echo "Bail out! NL's hlxd did not start: $(tail -3 "$glog" | tr '\n' '|')"
	exit 2
fi
nlpid=$gp
nlport=$gport
nllog=$glog
# From now on each restarts on the port it has.
mkconf be hotline-be.example BE "$beport"
mkconf nl hotline-nl.example NL "$nlport"
if ! "$hlx" -c "$be" peer add hotline-nl.example \
    --url "https://127.0.0.1:$nlport" --cert "$certs/hotline-nl.example.crt" \
    --country NL >"$tmp/out" 2>&1 ||
    ! "$hlx" -c "$nl" peer add hotline-be.example \
    --url "https://127.0.0.1:$beport" --cert "$certs/hotline-be.example.crt" \
    --country BE >"$tmp/out" 2>&1; then
	echo "Bail out! peer add: $(cat "$tmp/out")"
	exit 2
fi
ok "BE (port $beport) and NL (port $nlport) run and registered each other"
# Peers are reloaded within 2 s (operations.md §2).
sleep 2.5

# ------------------------------------------------- one referral, BE -> NL

mkrec CF-TWO-1 "$tmp/one.json"
submit "$tmp/one.json"
one_mid=$mid
check "BE: hlx submit routes CF-TWO-1 to hotline-nl.example" "$(
    [ "$rc" -eq 0 ] && echo "$line" | grep -Eq '^CF-TWO-1 [0-9a-f-]{36} hotline-nl.example$' || outs)"
if wait_be "$one_mid" 'j["state"] == "delivered"' 10; then
	ok "BE: delivered to NL within 10 s"
else
	notok "BE: delivered to NL within 10 s" "$(shown); $(grep "$one_mid" "$belog" | tail -2 | tr '\n' '|')"
fi
check "BE: the attempt is delivered/202/accepted" "$(
    [ "$(j "$tmp/show.json" '[(a["outcome"], a["http_status"], a["code"]) for a in j["attempt_list"]] == [("delivered", 202, "accepted")]')" = true ] || shown)"
# NL's hand-off file for it.
hf=
for f in "$nlh"/*.json; do
	[ -f "$f" ] || continue
	if [ "$(j "$f" 'j.get("referral", {}).get("their_case_ref")')" = CF-TWO-1 ]; then
		hf=$f
	fi
done
check "NL: a hand-off file for CF-TWO-1 (complete JSON; referral.from hotline-be.example, its message id; handoff.kind referral)" "$(
    if [ -z "$hf" ]; then echo "none in $nlh: $(ls "$nlh" 2>&1 | tr '\n' ' ')"
    else
    [ "$(j "$hf" 'j["referral"]["from"] == "hotline-be.example" and j["referral"]["message_id"] == "'"$one_mid"'" and j["handoff"]["kind"] == "referral" and j["handoff"]["state"] == "new" and j["case_id"].startswith("IN-") and j["hosting"]["country"] == "NL" and len(j["items"]) == 2 and j["reported_url"] == "http://gallery.example.net/album/77"')" = true ] ||
        echo "content: $(head -c 500 "$hf" | tr '\n' ' ')"
    fi)"
check "NL: the hand-off file has no internal member, nor any of its text" "$(
    [ -n "$hf" ] || echo "no file"
    [ -n "$hf" ] && [ "$(j "$hf" '"internal" not in j')" != true ] && echo "an internal member"
    [ -n "$hf" ] && grep -q -e 'internal note' -e 'analyst-2' "$hf" && echo "internal text in the file")"
check "NL: its store holds nothing of internal either (inbox bodies, case records)" "$(
    c=$(sq "$nldb" "SELECT count(*) FROM inbox WHERE instr(CAST(body AS TEXT), 'analyst-2') > 0 OR instr(CAST(body AS TEXT), 'internal note') > 0")
    c2=$(sq "$nldb" "SELECT count(*) FROM hcase WHERE instr(coalesce(record, ''), 'analyst-2') > 0 OR instr(coalesce(record, ''), 'internal note') > 0")
    [ "$c" = 0 ] && [ "$c2" = 0 ] || echo "inbox $c, hcase $c2 rows hold it")"
nlcase=$(j "$hf" 'j["case_id"]' 2>/dev/null)
check "BE: NL's case number ($nlcase) is kept as the partner's number" "$(
    v=$(sq "$bedb" "SELECT partner_number FROM hcase WHERE number = 'CF-TWO-1'")
    [ -n "$nlcase" ] && [ "$v" = "$nlcase" ] || echo "partner_number '$v'")"
check "NL: inbox list shows CF-TWO-1 once, from hotline-be.example" "$(
    [ "$(in_nl CF-TWO-1)" = 1 ] || echo "$(in_nl CF-TWO-1) times")"

# --------------------------------------------- NL down: three referrals wait

gstop "$nlpid"
nlpid=
check "NL: SIGTERM -> exit 0" "$([ "$stoprc" -eq 0 ] || echo "exit $stoprc")"
qmids=
for k in 1 2 3; do
	mkrec "CF-TWO-q$k" "$tmp/q$k.json"
	submit "$tmp/q$k.json"
	check "NL down: BE submits CF-TWO-q$k (route hotline-nl.example)" "$(
	    [ "$rc" -eq 0 ] && [ "$route" = hotline-nl.example ] || outs)"
	qmids="$qmids $mid"
done
for m in $qmids; do
	if wait_be "$m" 'j["state"] == "retrying" and j["attempts"] >= 1' 10; then
		ok "NL down: $m retrying ($(shown))"
	else
		notok "NL down: $m retrying" "$(shown)"
	fi
done
if gstart nl; then
	nlpid=$gp
	nllog=$glog
	check "NL restarts on the same port ($nlport)" "$(
	    [ "$gport" = "$nlport" ] || echo "port $gport")"
else
	notok "NL restarts on the same port ($nlport)" "$(tail -3 "$glog" | tr '\n' '|')"
fi
for m in $qmids; do
	if wait_be "$m" 'j["state"] == "delivered"' 15; then
		ok "NL back: BE delivers $m ($(shown))"
	else
		notok "NL back: BE delivers $m" "$(shown)"
	fi
done
for k in 1 2 3; do
	m=$(echo "$qmids" | cut -d' ' -f$((k + 1)))
	check "NL back: CF-TWO-q$k arrived exactly once (inbox list, stored messages, hand-off files)" "$(
	    [ "$(in_nl "CF-TWO-q$k")" = 1 ] || echo "inbox list: $(in_nl "CF-TWO-q$k") times"
	    [ "$(inbox_rows "$m")" = 1 ] || echo "inbox rows: $(inbox_rows "$m")"
	    c=0
	    for f in "$nlh"/*.json; do
	    	[ "$(j "$f" 'j.get("referral", {}).get("their_case_ref")')" = "CF-TWO-q$k" ] && c=$((c + 1))
	    done
	    [ "$c" = 1 ] || echo "$c hand-off files")"
done

# --------------------------------------- kill -9 of BE between store and send

mkrec CF-TWO-k9 "$tmp/k9.json"
submit "$tmp/k9.json"
k9_mid=$mid
kill -KILL "$bepid"
wait "$bepid" 2>/dev/null
bepid=
check "kill -9: BE had stored CF-TWO-k9 (routed to hotline-nl.example)" "$(
    [ "$rc" -eq 0 ] && [ "$route" = hotline-nl.example ] || outs)"
k9state=$(sq "$bedb" "SELECT state || '/' || attempts FROM outbox WHERE message_id = '$k9_mid'")
echo "# after kill -9: CF-TWO-k9 is $k9state in BE's store; NL holds it $(inbox_rows "$k9_mid") times"
if gstart be; then
	bepid=$gp
	belog=$glog
	check "BE restarts on its port ($beport)" "$([ "$gport" = "$beport" ] || echo "port $gport")"
else
	notok "BE restarts on its port ($beport)" "$(tail -3 "$glog" | tr '\n' '|')"
fi
if wait_be "$k9_mid" 'j["state"] == "delivered"' 10; then
	ok "kill -9: delivered after BE's restart ($(shown))"
else
	notok "kill -9: delivered after BE's restart" "$(shown)"
fi
check "kill -9: NL has CF-TWO-k9 exactly once" "$(
    [ "$(in_nl CF-TWO-k9)" = 1 ] || echo "inbox list: $(in_nl CF-TWO-k9) times"
    [ "$(inbox_rows "$k9_mid")" = 1 ] || echo "inbox rows: $(inbox_rows "$k9_mid")")"

# -------------------------- a duplicate Receipt counts as delivered

# CF-TWO-1 was delivered; set it back to queued in BE's store (BE stopped),
# restart BE: it sends the same bytes again, NL answers duplicate.
gstop "$bepid"
bepid=
check "BE: SIGTERM -> exit 0" "$([ "$stoprc" -eq 0 ] || echo "exit $stoprc")"
sq "$bedb" "UPDATE outbox SET state = 'queued', next_attempt_at = 0 WHERE message_id = '$one_mid'"
check "BE's store: CF-TWO-1 set back to queued" "$(
    v=$(sq "$bedb" "SELECT state FROM outbox WHERE message_id = '$one_mid'")
    [ "$v" = queued ] || echo "state $v")"
if gstart be; then
	bepid=$gp
	belog=$glog
fi
if wait_be "$one_mid" 'j["state"] == "delivered" and j["attempts"] >= 2' 10; then
	ok "duplicate: BE marks CF-TWO-1 delivered again ($(shown))"
else
	notok "duplicate: BE marks CF-TWO-1 delivered again" "$(shown)"
fi
check "duplicate: the new attempt got 202 with a duplicate Receipt (last_code duplicate)" "$(
    [ "$(j "$tmp/show.json" 'j["attempt_list"][-1]["outcome"] == "delivered" and j["attempt_list"][-1]["http_status"] == 202 and j["last_code"] == "duplicate"')" = true ] ||
    j "$tmp/show.json" 'j["attempt_list"][-1]')"
check "duplicate: NL still has CF-TWO-1 once" "$(
    [ "$(in_nl CF-TWO-1)" = 1 ] || echo "inbox list: $(in_nl CF-TWO-1) times"
    [ "$(inbox_rows "$one_mid")" = 1 ] || echo "inbox rows: $(inbox_rows "$one_mid")")"
check "duplicate: NL's received metrics count a duplicate" "$(
    ap=$(sed -n 's/.*event=listening .*admin=127\.0\.0\.1:\([0-9]*\).*/\1/p' "$nllog" | head -1)
    curl -s "http://127.0.0.1:$ap/metrics" | grep '^hlx_messages_received_total{' | grep -q 'hotline-be.example.*duplicate' ||
    echo "no hlx_messages_received_total series for peer hotline-be.example with result duplicate: $(curl -s "http://127.0.0.1:$ap/metrics" | grep '^hlx_messages_received_total{' | tr '\n' ' ')")"

# ------------------------------------------------------------ the end

check "NL: all five of BE's referrals, each once" "$(
    c=$(sq "$nldb" "SELECT count(*), count(DISTINCT message_id) FROM inbox WHERE peer = 'hotline-be.example'")
    [ "$c" = "5|5" ] || echo "count, distinct: $c")"
for who in be nl; do
	"$hlx" -c "$tmp/$who/hlx.conf" audit verify >"$tmp/out" 2>"$tmp/err"
	rc=$?
	check "$who: hlx audit verify" "$([ "$rc" -eq 0 ] || outs)"
done
gstop "$bepid"
bepid=
b=$stoprc
gstop "$nlpid"
nlpid=
check "both stop on SIGTERM with exit 0" "$(
    [ "$b" -eq 0 ] && [ "$stoprc" -eq 0 ] || echo "BE $b, NL $stoprc")"

finish
