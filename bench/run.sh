#!/bin/sh
# run.sh -- what `make bench` runs after building bin/ and build/bench/:
# hlx's speed and memory, measured side by side with nginx in one run on
# this machine, written to BENCHMARKS.md at the top of the tree (issue 7).
#
#   1. durable ingest over keep-alive mutual TLS, 16 connections
#   2. the same with a new TLS connection (full handshake) per message
#   3. nginx on loopback (ssl_verify_client on, static 202) as the ceiling
#   4. hlx translate / hlx validate throughput
#   5. outbox drain: N queued referrals to a second, loopback hlxd
#   6. hlxd's RSS idle, under load, and with 1,000,000 messages stored
#   and, where a goal is missed, a profile of what limits it.
#
# BENCH_BIN=DIR measures the hlx and hlxd in DIR instead of bin/ (a build
# with a proposed fix, say), BENCH_OUT=FILE writes the report there.
# BENCH_QUICK=1 is a smoke run with small counts (about two minutes); it
# writes build/bench/BENCHMARKS-quick.md and leaves BENCHMARKS.md alone.
# Goals are reported, never asserted: the exit code says only whether the
# bench itself could run (0), not whether the goals were met.
#
# Everything runs on 127.0.0.1 with certificates from
# certs-example/make-certs.sh in build/bench/run/ and synthetic data
# (tests/integration/data/case-nl.json with a third item; .example hosts,
# documentation addresses).  Installs what it needs (nginx; perf or
# valgrind for profiles) with apt-get, stops and disables the nginx
# service the Debian package starts, and runs its own nginx.  Every
# process it starts it stops, by pid.  Never part of `make check`.
#
# shellcheck disable=SC2016,SC2086,SC2046
set -u
umask 077
top=$(cd "$(dirname "$0")/.." && pwd) || exit 70
cd "$top" || exit 70

QUICK=${BENCH_QUICK:-0}
[ "$QUICK" = 0 ] || QUICK=1
if [ "$QUICK" = 1 ]; then
	KA_SECS=4; NC_SECS=4; NGX_SECS=3; NGX1_SECS=2; PERF_SECS=3
	TV_PROCS=40; TV_LOOP=3000; DRAIN_N=2000; DRAIN_CAP=60
	SEED_N=20000; MEM_SECS=3
	out=$top/build/bench/BENCHMARKS-quick.md
else
	KA_SECS=30; NC_SECS=20; NGX_SECS=15; NGX1_SECS=10; PERF_SECS=8
	TV_PROCS=400; TV_LOOP=20000; DRAIN_N=100000; DRAIN_CAP=240
	SEED_N=1000000; MEM_SECS=15
	out=$top/BENCHMARKS.md
fi
CONNS=16		# concurrent connections, every load
GEN_THREADS=${BENCH_THREADS:-2}	# load generator threads (one epoll loop each)
RATE_LIMIT=1000000	# [listen] rate_limit: HLX_RATE_LIMIT_MAX, no 429s
RATE_LIMIT_BYTES=1G	# [listen] rate_limit_bytes: its maximum, no 429s
DRAIN_CPP=16		# [delivery] connections_per_peer for item 5

# BENCH_BIN: measure other builds of hlx and hlxd (say, with a proposed
# fix) with the same bench; BENCH_OUT: write the report elsewhere.
bin=${BENCH_BIN:-$top/bin}
out=${BENCH_OUT:-$out}
gen=$top/build/bench/hlxbench
loop=$top/build/bench/hlxloop
W=$top/build/bench/run
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3

pids=""
cleanup() {
	for p in $pids; do kill -TERM "$p" 2>/dev/null; done
	for p in $pids; do wait "$p" 2>/dev/null; done
	# The seeded store is 12 GB at full size: never left behind; nor are
	# the hand-off files (tens of thousands: deleting them right before
	# the next run would slow its file creation -- ext4 skips recently
	# freed inodes).
	rm -rf "$W/seed" "$W"/*/handoff
}
trap cleanup EXIT
trap 'exit 130' HUP INT TERM

say() { echo "bench: $*" >&2; }
die() { echo "bench: $*" >&2; exit 70; }
started=$(date +%s)
elapsed() { echo $(($(date +%s) - started)); }

for f in "$bin/hlx" "$bin/hlxd" "$gen" "$loop"; do
	[ -x "$f" ] || die "$f is missing: run \`make bench\`, which builds it"
done

# ------------------------------------------------------------ packages

# need PACKAGE...: apt-get install those that are missing (root only).
need() {
	missing=""
	for p in "$@"; do
		st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
		case "$st" in
		*"install ok installed"*) ;;
		*) missing="$missing $p" ;;
		esac
	done
	[ -z "$missing" ] && return 0
	if [ "$(id -u)" -ne 0 ]; then
		echo "bench: missing Debian packages:$missing (run as root, or install them)" >&2
		exit 69
	fi
	say "installing$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq || return 1
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
}
need nginx python3 sqlite3 curl openssl procps || die "apt-get failed"
command -v perf >/dev/null 2>&1 || need linux-perf >/dev/null 2>&1 || true
# The Debian package starts its own nginx on port 80 and enables it at
# boot: stopped (by its pid file) and disabled; ours runs on loopback.
if [ -s /run/nginx.pid ] && kill -0 "$(cat /run/nginx.pid)" 2>/dev/null; then
	say "stopping the nginx service the package started (pid $(cat /run/nginx.pid))"
	if command -v invoke-rc.d >/dev/null 2>&1; then
		invoke-rc.d nginx stop >/dev/null 2>&1
	fi
	if [ -s /run/nginx.pid ] && kill -0 "$(cat /run/nginx.pid)" 2>/dev/null; then
		kill -TERM "$(cat /run/nginx.pid)"
	fi
fi
if command -v systemctl >/dev/null 2>&1; then
	systemctl disable nginx >/dev/null 2>&1 || true
fi
update-rc.d nginx disable >/dev/null 2>&1 || true
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$NGINX" ] || die "no nginx after installing it"

# A profiler: perf where the kernel lets us sample, else callgrind.
PROF=none
if command -v perf >/dev/null 2>&1 &&
    perf record -q -o /dev/null -F 99 -- true >/dev/null 2>&1; then
	PROF=perf
else
	need valgrind >/dev/null 2>&1 && PROF=callgrind
fi

# ------------------------------------------------------------ helpers

# freeport: a TCP port free on 127.0.0.1 now.
freeport() {
	"$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
# kv KEY LINE: the value of KEY=... in a key=value line.
kv() { echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p" | head -1; }
# status_kb PID FIELD: VmRSS or VmHWM of PID in kB.
status_kb() { sed -n "s/^$2:[[:space:]]*\([0-9]*\) kB/\1/p" "/proc/$1/status" 2>/dev/null; }
mb() { awk -v k="${1:-0}" 'BEGIN { printf "%.1f", k / 1024 }'; }
# fmt NUMBER: with thousands separators, no decimals.
fmt() { awk -v n="${1:-0}" 'BEGIN { s = sprintf("%.0f", n); o = ""; while (length(s) > 3) { o = "," substr(s, length(s) - 2) o; s = substr(s, 1, length(s) - 3) } print s o }'; }
# rfmt RATE: a rate, with a decimal when it is small.
rfmt() { if awk -v n="${1:-0}" 'BEGIN { exit !(n < 10) }'; then awk -v n="${1:-0}" 'BEGIN { printf "%.1f", n }'; else fmt "$1"; fi; }
ratio() { awk -v a="${1:-0}" -v b="${2:-0}" 'BEGIN { if (b > 0) printf "%.3g", a / b; else print "n/a" }'; }
# ge A B: A >= B (floats).
ge() { awk -v a="${1:-0}" -v b="${2:-0}" 'BEGIN { exit !(a >= b) }'; }
now_s() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now_s)" 'BEGIN { printf "%.1f", b - a }'; }
met() { if [ "$1" = 1 ]; then echo "**met**"; else echo "**missed**"; fi; }

# mkconf FILE ID CC PORT ADMIN DIR: an hlx.conf for a bench gateway.
mkconf() {
	mkdir -p "$6/var"
	chmod 700 "$6" "$6/var"
	cat >"$1" <<EOF
# bench/run.sh: $2 on loopback; synthetic data only.
[hotline]
id = $2
country = $3
receive_for = $3
case_prefix = IN-

[listen]
address = 127.0.0.1:$4
rate_limit = $RATE_LIMIT
rate_limit_bytes = $RATE_LIMIT_BYTES
max_connections = 4096
max_connections_per_ip = 4096

[tls]
cert = $W/certs/$2.crt
key = $W/certs/$2.key

[storage]
path = $6/var/hlx.db
audit_key = $6/var/audit.key
min_free = 64M

[log]
level = warn

[admin]
address = 127.0.0.1:$5

[delivery]
connections_per_peer = $DRAIN_CPP
backoff_min = 1s
backoff_max = 10s

[handoff]
dir = $6/handoff
EOF
}

# hstart CONF ADMINPORT LOG: starts hlxd -f; $hpid; waits for /healthz.
hstart() {
	"$bin/hlxd" -c "$1" -f 2>>"$3" &
	hpid=$!
	pids="$pids $hpid"
	i=0
	while [ $i -lt 3000 ]; do
		curl -sf "http://127.0.0.1:$2/healthz" >/dev/null 2>&1 && return 0
		kill -0 "$hpid" 2>/dev/null || break
		sleep 0.1
		i=$((i + 1))
	done
	die "hlxd ($1) did not come up: $(tail -3 "$3" | tr '\n' '|')"
}
# hstop PID: SIGTERM, wait.
hstop() {
	kill -TERM "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	npids=""
	for p in $pids; do [ "$p" = "$1" ] || npids="$npids $p"; done
	pids=$npids
}

# load PORT NAME EXTRA...: runs the generator against PORT, keeps its line
# in $W/NAME.out (stderr in $W/NAME.err) and in $line.
load() {
	lport=$1
	lname=$2
	shift 2
	"$gen" -H 127.0.0.1 -p "$lport" -C "$W/certs/hotline-be.example.crt" \
	    -K "$W/certs/hotline-be.example.key" -A "$W/certs/ca.crt" \
	    -T "$W/template.xml" -c "$CONNS" -j "$GEN_THREADS" \
	    -n 100000000 "$@" >"$W/$lname.out" 2>"$W/$lname.err"
	lrc=$?
	line=$(cat "$W/$lname.out")
	say "$lname: $line"
	[ $lrc -le 1 ] || die "$lname: the generator failed: $(head -3 "$W/$lname.err")"
}

# sq DB SQL: one value from the store (read-only use).
sq() { sqlite3 -cmd ".timeout 10000" "$1" "$2"; }

# verify DB IDS OK: every MessageId answered 202 is in the inbox, and the
# inbox holds exactly as many messages; prints "rows matched files".
verify() {
	rows=$(sq "$1" "SELECT count(*) FROM inbox")
	matched=$(printf '%s\n' "CREATE TEMP TABLE ids(id TEXT);" \
	    ".mode csv" ".import $2 ids" \
	    "SELECT count(*) FROM ids JOIN inbox ON inbox.message_id = ids.id;" |
	    sqlite3 -cmd ".timeout 10000" "$1")
	files=$(find "$(dirname "$1")/../handoff" -name '*.json' 2>/dev/null | wc -l)
	echo "$rows $matched $files"
}

# profile PID SECS NAME: an on-CPU profile of PID (all threads) while the
# load runs; the top of it in $W/NAME.prof.
profile() {
	case $PROF in
	perf)
		perf record -q -F 499 --call-graph dwarf,16384 -p "$1" \
		    -o "$W/$3.perf" -- sleep "$2" >/dev/null 2>&1
		perf report -i "$W/$3.perf" --children --stdio --sort sym \
		    --percent-limit 3 -g none 2>/dev/null |
		    grep -E '^ +[0-9.]+%' | grep -v '0x0000' | head -30 \
		    >"$W/$3.prof"
		rm -f "$W/$3.perf"
		;;
	*)
		sleep "$2"
		echo "(no profiler: perf cannot sample here and valgrind is missing)" >"$W/$3.prof"
		;;
	esac
}
# syscalls PID SECS NAME: wall-clock time by system call (strace -c -w).
syscalls() {
	if command -v strace >/dev/null 2>&1; then
		timeout -s INT "$2" strace -f -c -w -p "$1" -o "$W/$3.strace" \
		    >/dev/null 2>&1
		head -14 "$W/$3.strace" >"$W/$3.sys" 2>/dev/null
	else
		sleep "$2"
		echo "(strace missing)" >"$W/$3.sys"
	fi
}

# ------------------------------------------------------------ set-up

# What else uses the CPU (over 2 s): the machine is shared, and a figure
# measured beside a fuzzer is not the machine's.
others() {
	"$PY" - <<'EOF'
import os, time
def snap():
    d = {}
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                with open("/proc/%s/stat" % p) as f:
                    st = f.read()
                comm = st[st.index("(") + 1:st.rindex(")")]
                fl = st[st.rindex(")") + 2:].split()
                d[p] = (comm, int(fl[11]) + int(fl[12]))
            except (OSError, ValueError, IndexError):
                pass
    with open("/proc/stat") as f:
        c = [int(x) for x in f.readline().split()[1:9]]
    return d, sum(c), c[3] + c[4]
a, t1, i1 = snap(); time.sleep(2); b, t2, i2 = snap()
hz = os.sysconf("SC_CLK_TCK")
busy = 100.0 * ((t2 - t1) - (i2 - i1)) / max(1, t2 - t1)
top = sorted(((b[p][1] - a[p][1]) / hz / 2 * 100, b[p][0], p)
             for p in b if p in a and b[p][1] > a[p][1])[::-1]
print("CPU %.0f%% busy; %s" % (busy, ", ".join(
    "%s (pid %s) %.0f%% of a core" % (c, p, u) for u, c, p in top[:4] if u >= 5)
    or "no process above 5% of a core"))
EOF
}
checks=$(pgrep -f 'scripts/check.sh' | tr '\n' ' ')
others_before=$(others)
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
say "before: load $load_before; $others_before${checks:+; make check running (pids $checks)}"

rm -rf "$W"
mkdir -p "$W"
chmod 700 "$W"
say "work directory $W ($( [ "$QUICK" = 1 ] && echo quick || echo full ) run)"
sh certs-example/make-certs.sh "$W/certs" >"$W/certs.out" 2>&1 ||
    die "make-certs.sh: $(tail -1 "$W/certs.out")"

# The bench record: case-nl.json with a third item, so that its Referral
# is 2-3 KB like a typical one.
"$PY" - tests/integration/data/case-nl.json "$W/record.json" <<'EOF' || die "no bench record"
import json, sys
r = json.load(open(sys.argv[1]))
r["items"].append({
    "content_url": "http://gallery.example.net/img/77-3.zip",
    "media_type": "archive",
    "hashes": {"sha256": "0f1e2d3c4b5a69788796a5b4c3d2e1f0" * 2,
               "sha1": "0123456789abcdef0123456789abcdef01234567",
               "md5": "00112233445566778899aabbccddeeff"},
    "intl_verdict": "baseline",
    "national_verdict": {"jurisdiction": "BE", "status": "illegal",
                         "code": "art-417-44"},
    "industry_class": "A2", "previously_assessed": True})
json.dump(r, open(sys.argv[2], "w"), indent=2)
EOF

NGX_PORT=$(freeport)
NL_PORT=$(freeport); NL_ADMIN=$(freeport)
BE_PORT=$(freeport); BE_ADMIN=$(freeport)
# nl-*: receivers (hotline-nl.example); be: the sender of item 5.
mkconf "$W/be.conf" hotline-be.example BE "$BE_PORT" "$BE_ADMIN" "$W/be"
"$bin/hlx" -c "$W/be.conf" translate "$W/record.json" \
    --recipient hotline-nl.example --message-id 00000000-0000-4000-8000-000000000000 \
    --sent-at 2026-01-01T00:00:00Z >"$W/template.xml" 2>"$W/translate.err" ||
    die "hlx translate: $(cat "$W/translate.err")"
TEMPLATE_BYTES=$(wc -c <"$W/template.xml")

# newreceiver NAME: a fresh hotline-nl.example store in $W/NAME that knows
# hotline-be.example; sets $rconf, $rdb.
newreceiver() {
	rm -rf "${W:?}/$1"
	mkconf "$W/$1.conf" hotline-nl.example NL "$NL_PORT" "$NL_ADMIN" "$W/$1"
	"$bin/hlx" -c "$W/$1.conf" peer add hotline-be.example \
	    --url "https://127.0.0.1:$BE_PORT" \
	    --cert "$W/certs/hotline-be.example.crt" --country BE \
	    >"$W/$1.peer" 2>&1 || die "peer add: $(cat "$W/$1.peer")"
	rconf=$W/$1.conf
	rdb=$W/$1/var/hlx.db
}

# ------------------------------------------------------------ 3: nginx

mkdir -p "$W/nginx/tmp"
# The answer: a Receipt of the size hlxd sends.
cat >"$W/nginx/nginx.conf" <<EOF
# bench/run.sh: the ceiling -- mutual TLS on loopback and a static 202.
worker_processes NGX_WORKERS;
pid $W/nginx/nginx.pid;
error_log $W/nginx/error.log warn;
events { worker_connections 4096; }
http {
	access_log off;
	client_body_temp_path $W/nginx/tmp/body;
	proxy_temp_path $W/nginx/tmp/proxy;
	fastcgi_temp_path $W/nginx/tmp/fastcgi;
	uwsgi_temp_path $W/nginx/tmp/uwsgi;
	scgi_temp_path $W/nginx/tmp/scgi;
	keepalive_requests 100000000;
	keepalive_timeout 60s;
	client_max_body_size 4m;
	server {
		listen 127.0.0.1:$NGX_PORT ssl;
		ssl_certificate $W/certs/hotline-nl.example.crt;
		ssl_certificate_key $W/certs/hotline-nl.example.key;
		ssl_client_certificate $W/certs/ca.crt;
		ssl_verify_client on;
		ssl_protocols TLSv1.2 TLSv1.3;
		ssl_prefer_server_ciphers on;
		ssl_session_tickets off;
		location = /hlx/1/messages {
			default_type application/xml;
			return 202 '<?xml version="1.0" encoding="UTF-8"?>
<Message xmlns="urn:x-hlx:1" version="1.0">
  <Header>
    <MessageId>6b0c1e94-3f0a-4c55-9d1e-2f5a7c9e0b11</MessageId>
    <SentAt>2026-11-29T12:00:00Z</SentAt>
    <Sender>hotline-nl.example</Sender>
    <Recipient>hotline-be.example</Recipient>
    <InReplyTo>00000000-0000-4000-8000-000000000000</InReplyTo>
  </Header>
  <Receipt>
    <Status>accepted</Status>
    <ReceivedAt>2026-11-29T12:00:00Z</ReceivedAt>
    <PartnerCaseRef issuer="hotline-nl.example">IN-2026-000001</PartnerCaseRef>
  </Receipt>
</Message>
';
		}
	}
}
EOF
NGX_VERSION=$("$NGINX" -v 2>&1 | sed 's/^nginx version: //')
# ngx WORKERS NAME-SUFFIX: keep-alive and new-connection loads against an
# nginx with WORKERS worker processes.
ngx() {
	sed "s/NGX_WORKERS/$1/" "$W/nginx/nginx.conf" >"$W/nginx/run.conf"
	"$NGINX" -t -q -p "$W/nginx" -c "$W/nginx/run.conf" 2>"$W/nginx/t.err" ||
	    die "nginx -t: $(cat "$W/nginx/t.err")"
	"$NGINX" -p "$W/nginx" -c "$W/nginx/run.conf" -g 'daemon off;' 2>>"$W/nginx/stderr" &
	npid=$!
	pids="$pids $npid"
	i=0
	until curl -s -o /dev/null "https://127.0.0.1:$NGX_PORT/" --cacert "$W/certs/ca.crt" \
	    --cert "$W/certs/hotline-be.example.crt" --key "$W/certs/hotline-be.example.key"; do
		i=$((i + 1))
		[ $i -lt 100 ] || die "nginx did not come up: $(tail -3 "$W/nginx/error.log")"
		sleep 0.1
	done
	load "$NGX_PORT" "nginx$2-ka" -e status -d "$3" -P "NGXKA$2-"
	load "$NGX_PORT" "nginx$2-nc" -e status -d "$3" -N -P "NGXNC$2-"
	hstop "$npid"
}
say "3: nginx $NGX_VERSION, $(nproc) workers"
ngx auto "" "$NGX_SECS"
ngx_ka=$(cat "$W/nginx-ka.out"); ngx_nc=$(cat "$W/nginx-nc.out")
say "3: nginx, 1 worker (one TLS thread, like hlxd)"
ngx 1 "1" "$NGX1_SECS"
ngx1_ka=$(cat "$W/nginx1-ka.out"); ngx1_nc=$(cat "$W/nginx1-nc.out")

# ------------------------------------------------------------ 1, 2, 6a

say "1: hlxd, keep-alive, $CONNS connections, ${KA_SECS}s"
newreceiver ka
hstart "$rconf" "$NL_ADMIN" "$W/ka.log"
sleep 2
rss_idle=$(status_kb "$hpid" VmRSS)
load "$NL_PORT" hlx-ka -d "$KA_SECS" -P KA- -o "$W/ka.ids"
hlx_ka=$line
rss_load_peak=$(status_kb "$hpid" VmHWM)
rss_after_load=$(status_kb "$hpid" VmRSS)
hstop "$hpid"
set -- $(verify "$rdb" "$W/ka.ids")
ka_rows=$1; ka_matched=$2; ka_files=$3
ka_db=$rdb

say "2: hlxd, a new TLS connection per message, ${NC_SECS}s"
newreceiver nc
hstart "$rconf" "$NL_ADMIN" "$W/nc.log"
load "$NL_PORT" hlx-nc -d "$NC_SECS" -N -P NC- -o "$W/nc.ids"
hlx_nc=$line
hstop "$hpid"
set -- $(verify "$rdb" "$W/nc.ids")
nc_rows=$1; nc_matched=$2; nc_files=$3

# Where the time goes, under the same loads (separate runs, fresh stores,
# so that the measured figures above carry no profiler).
say "profiles of 1 and 2 ($PROF, strace)"
for kind in ka nc; do
	newreceiver "prof-$kind"
	hstart "$rconf" "$NL_ADMIN" "$W/prof-$kind.log"
	flag=""
	[ "$kind" = nc ] && flag=-N
	load "$NL_PORT" "prof-$kind-load" -d $((PERF_SECS * 2 + 4)) $flag -P "PF$kind-" &
	lpid=$!
	sleep 2
	profile "$hpid" "$PERF_SECS" "prof-$kind"
	syscalls "$hpid" "$PERF_SECS" "prof-$kind"
	wait "$lpid"
	case $kind in
	ka) prof_ka_ok=$(kv ok "$(cat "$W/prof-$kind-load.out")") ;;
	nc) prof_nc_ok=$(kv ok "$(cat "$W/prof-$kind-load.out")") ;;
	esac
	hstop "$hpid"
	# The query behind the pread64 calls, as SQLite plans it.
	sq "$rdb" "EXPLAIN QUERY PLAN SELECT h.hcase, h.revision, coalesce(c.our_number, c.number), h.document FROM handoff h JOIN hcase c ON c.id = h.hcase WHERE h.file_state = 'pending' ORDER BY h.hcase" >"$W/plan.txt" 2>&1
done

# ------------------------------------------------------------ 4

say "4: hlx translate / validate"
cp "$W/template.xml" "$W/message.xml"
# One process per record, as the commands are: $TV_PROCS in a row.
t0=$(now_s)
i=0
while [ $i -lt "$TV_PROCS" ]; do
	"$bin/hlx" -c "$W/be.conf" translate "$W/record.json" \
	    --recipient hotline-nl.example >/dev/null || die "hlx translate failed"
	i=$((i + 1))
done
tr_proc_secs=$(since "$t0")
t0=$(now_s)
i=0
while [ $i -lt "$TV_PROCS" ]; do
	"$bin/hlx" -c "$W/be.conf" validate "$W/message.xml" >/dev/null ||
	    die "hlx validate failed"
	i=$((i + 1))
done
va_proc_secs=$(since "$t0")
tr_proc=$(awk -v n="$TV_PROCS" -v s="$tr_proc_secs" 'BEGIN { printf "%.0f", n / s }')
va_proc=$(awk -v n="$TV_PROCS" -v s="$va_proc_secs" 'BEGIN { printf "%.0f", n / s }')
# The same work, many records per process (bench/hlxloop.c).
tr_loop_line=$("$loop" -c "$W/be.conf" translate "$W/record.json" hotline-nl.example "$TV_LOOP") ||
    die "hlxloop translate failed"
va_loop_line=$("$loop" -c "$W/be.conf" validate "$W/message.xml" "$TV_LOOP") ||
    die "hlxloop validate failed"
# Both cores: two loops at once.
"$loop" -c "$W/be.conf" translate "$W/record.json" hotline-nl.example "$TV_LOOP" >"$W/tr2a.out" &
p1=$!
"$loop" -c "$W/be.conf" translate "$W/record.json" hotline-nl.example "$TV_LOOP" >"$W/tr2b.out" &
p2=$!
wait $p1; wait $p2
tr_loop2=$(awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^rate=/) { sub(/rate=/, "", $i); s += $i } } END { printf "%.0f", s }' "$W/tr2a.out" "$W/tr2b.out")
"$loop" -c "$W/be.conf" validate "$W/message.xml" "$TV_LOOP" >"$W/va2a.out" &
p1=$!
"$loop" -c "$W/be.conf" validate "$W/message.xml" "$TV_LOOP" >"$W/va2b.out" &
p2=$!
wait $p1; wait $p2
va_loop2=$(awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^rate=/) { sub(/rate=/, "", $i); s += $i } } END { printf "%.0f", s }' "$W/va2a.out" "$W/va2b.out")
tr_loop=$(kv rate "$tr_loop_line"); va_loop=$(kv rate "$va_loop_line")
say "4: translate $tr_proc/s per process, $tr_loop/s in a loop; validate $va_proc/s, $va_loop/s"

# ------------------------------------------------------------ 5

say "5: outbox drain of $DRAIN_N referrals"
newreceiver drain-nl
drain_nl_conf=$rconf
drain_nl_db=$rdb
mkdir -p "$W/be"
"$bin/hlx" -c "$W/be.conf" peer add hotline-nl.example \
    --url "https://127.0.0.1:$NL_PORT" --cert "$W/certs/hotline-nl.example.crt" \
    --country NL >"$W/be.peer" 2>&1 || die "peer add: $(cat "$W/be.peer")"
"$PY" - "$W/record.json" "$DRAIN_N" >"$W/drain.jsonl" <<'EOF' || die "no JSON lines"
import json, sys
r = json.load(open(sys.argv[1]))
for i in range(int(sys.argv[2])):
    r["case_id"] = "DRAIN-%07d" % i
    print(json.dumps(r, separators=(",", ":")))
EOF
t0=$(now_s)
"$bin/hlx" -c "$W/be.conf" submit - <"$W/drain.jsonl" >"$W/submit.out" 2>"$W/submit.err" ||
    die "hlx submit: $(head -3 "$W/submit.err")"
submit_secs=$(since "$t0")
queued=$(sq "$W/be/var/hlx.db" "SELECT count(*) FROM outbox WHERE state = 'queued'")
submit_rate=$(awk -v n="$DRAIN_N" -v s="$submit_secs" 'BEGIN { printf "%.0f", n / s }')
say "5: hlx submit: $queued queued in ${submit_secs}s"
hstart "$drain_nl_conf" "$NL_ADMIN" "$W/drain-nl.log"
nl_pid=$hpid
t0=$(now_s)
hstart "$W/be.conf" "$BE_ADMIN" "$W/drain-be.log"
be_pid=$hpid
: >"$W/drain.progress"
delivered=0
last_print=0
drain_secs=
while :; do
	delivered=$(sq "$W/be/var/hlx.db" "SELECT count(*) FROM outbox WHERE state = 'delivered'")
	el=$(since "$t0")
	if [ "$delivered" -ge "$queued" ]; then
		drain_secs=$el
		break
	fi
	sec=${el%.*}
	if [ "$sec" -ge $((last_print + 10)) ]; then
		last_print=$sec
		echo "$sec $delivered" >>"$W/drain.progress"
		say "5: ${sec}s: $delivered delivered"
	fi
	ge "$el" "$DRAIN_CAP" && break
	sleep 0.5
done
drain_states=$(sq "$W/be/var/hlx.db" "SELECT state || ' ' || count(*) FROM outbox GROUP BY state" | tr '\n' ',' | sed 's/,$//; s/,/, /g')
drain_el=$(since "$t0")
# Where the time goes, if it is still going.
drain_prof=0
if [ -z "$drain_secs" ] && [ "$PROF" = perf ]; then
	profile "$be_pid" "$PERF_SECS" prof-drain-be &
	pp=$!
	profile "$nl_pid" "$PERF_SECS" prof-drain-nl
	wait $pp
	syscalls "$be_pid" "$PERF_SECS" prof-drain-be
	drain_prof=1
fi
hstop "$be_pid"
hstop "$nl_pid"
drain_inbox=$(sq "$drain_nl_db" "SELECT count(*) FROM inbox")
sq "$W/be/var/hlx.db" "SELECT count(*) || ' attempts: ' || outcome || ' ' || http_status || ' ' || coalesce(code, '-') || ': ' || coalesce(detail, '') FROM attempt WHERE outcome <> 'delivered' GROUP BY outcome, http_status, code, detail ORDER BY count(*) DESC LIMIT 8" >"$W/drain-attempts.txt" 2>&1
# The sender's due query and the per-second gauge queries, as planned.
{
	echo "due messages (store_outbox_due):"
	sq "$W/be/var/hlx.db" "EXPLAIN QUERY PLAN SELECT o.id, o.message_id, o.peer, p.url, o.type, coalesce(c.our_number, c.number), o.body, o.attempts, o.created_at FROM outbox o JOIN peer p ON p.id = o.peer JOIN hcase c ON c.id = o.hcase WHERE o.state IN ('queued', 'retrying') AND o.next_attempt_at <= 0 AND p.enabled = 1 AND p.removed_at IS NULL AND NOT EXISTS (SELECT 1 FROM outbox e WHERE e.hcase = o.hcase AND e.peer = o.peer AND e.id < o.id AND e.state IN ('queued', 'retrying', 'dead')) ORDER BY o.next_attempt_at, o.id LIMIT 256"
	echo "gauges, every second on the loop thread (store_gauges): the outbox"
	sq "$W/be/var/hlx.db" "EXPLAIN QUERY PLAN SELECT coalesce(peer, '-'), state, count(*) FROM outbox WHERE state IN ('queued', 'retrying', 'dead', 'unroutable') GROUP BY 1, 2"
	echo "and the overdue hand-offs"
	sq "$drain_nl_db" "EXPLAIN QUERY PLAN SELECT count(*) FROM handoff h JOIN hcase c ON c.id = h.hcase WHERE h.state IN ('new', 'amended') AND h.deadline_at < '' AND coalesce(c.state, '') <> 'closed'"
} >"$W/plans-drain.txt" 2>&1
drain_delivered=$(sq "$W/be/var/hlx.db" "SELECT count(*) FROM outbox WHERE state = 'delivered'")
drain_rate=$(awk -v n="$delivered" -v s="${drain_secs:-$drain_el}" 'BEGIN { printf "%.0f", n / s }')

# ------------------------------------------------------------ 6b

say "6: $SEED_N messages seeded into a store"
rm -rf "$W/seed"
mkconf "$W/seed.conf" hotline-nl.example NL "$NL_PORT" "$NL_ADMIN" "$W/seed"
"$bin/hlx" -c "$W/seed.conf" peer add hotline-be.example \
    --url "https://127.0.0.1:$BE_PORT" --cert "$W/certs/hotline-be.example.crt" \
    --country BE >"$W/seed.peer" 2>&1 || die "peer add: $(cat "$W/seed.peer")"
t0=$(now_s)
seeded=$(sqlite3 "$W/seed/var/hlx.db" -cmd ".parameter set :n $SEED_N" \
    -cmd "ATTACH '$ka_db' AS src" <bench/seed.sql 2>"$W/seed.err" | tail -1)
seed_secs=$(since "$t0")
case $seeded in
seeded=*) ;;
*) die "seeding failed: $(head -3 "$W/seed.err")" ;;
esac
seed_bytes=$(kv bytes "$seeded")
say "6: $seeded in ${seed_secs}s"
t0=$(now_s)
hstart "$W/seed.conf" "$NL_ADMIN" "$W/seed.log"
seed_start_secs=$(since "$t0")
sleep 2
rss_big_idle=$(status_kb "$hpid" VmRSS)
load "$NL_PORT" hlx-big -d "$MEM_SECS" -P BIG- -o "$W/big.ids" &
lpid=$!
sleep 3
profile "$hpid" "$PERF_SECS" prof-big
wait "$lpid"
hlx_big=$(cat "$W/hlx-big.out")
rss_big_peak=$(status_kb "$hpid" VmHWM)
rss_big_after=$(status_kb "$hpid" VmRSS)
hstop "$hpid"
big_rows=$(sq "$W/seed/var/hlx.db" "SELECT count(*) FROM inbox")
rm -rf "$W/seed"

# ------------------------------------------------------------ report

say "writing $out"
ka_ok=$(kv ok "$hlx_ka"); ka_rate=$(kv rate "$hlx_ka")
nc_ok=$(kv ok "$hlx_nc"); nc_rate=$(kv rate "$hlx_nc")
ngx_ka_rate=$(kv rate "$ngx_ka"); ngx_nc_rate=$(kv rate "$ngx_nc")
ngx1_ka_rate=$(kv rate "$ngx1_ka"); ngx1_nc_rate=$(kv rate "$ngx1_nc")
big_rate=$(kv rate "$hlx_big"); big_ok=$(kv ok "$hlx_big")

g1=0; ge "$ka_rate" 10000 && [ "$ka_rows" = "$ka_ok" ] && [ "$ka_matched" = "$ka_ok" ] && g1=1
g2=0; ge "$nc_rate" "$(awk -v n="$ngx_nc_rate" 'BEGIN { print 0.9 * n }')" && g2=1
g4t=0; ge "$tr_loop" 20000 && g4t=1
g4v=0; ge "$va_loop" 20000 && g4v=1
g5=0; [ -n "$drain_secs" ] && ge 60 "$drain_secs" && g5=1
maxrss=$rss_idle
for r in $rss_load_peak $rss_big_idle $rss_big_peak; do
	[ "${r:-0}" -gt "$maxrss" ] && maxrss=$r
done
g6=0; [ "$maxrss" -lt $((50 * 1024)) ] && g6=1
if [ -n "$drain_secs" ]; then
	drain_fig="all $queued delivered in ${drain_secs} s ($drain_rate/s)"
else
	drain_fig="stopped at the ${DRAIN_CAP} s cap: $delivered of $queued delivered ($drain_rate/s; at that rate all would take $(awk -v q="$queued" -v r="$drain_rate" 'BEGIN { if (r > 0) printf "%.0f s", q / r; else print "forever" }'))"
fi
commit=$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
dirty=$(git status --porcelain -uno 2>/dev/null | grep -cv '^.. BENCHMARKS.md$')
[ "$dirty" -gt 0 ] && commit="$commit + $dirty uncommitted change(s) in the work tree"
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
ram=$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
fs=$(df -T "$W" | awk 'NR == 2 { print $2 " on " $1 }')
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
others_after=$(others)
total=$(elapsed)
lat() { echo "p50 $(kv p50_ms "$1") ms, p99 $(kv p99_ms "$1") ms"; }

{
cat <<EOF
# hlx benchmarks

Written by \`make bench\` (bench/run.sh$( [ "$QUICK" = 1 ] && echo ", BENCH_QUICK=1: a smoke run with small counts, not a measurement")) on
$(date -u '+%Y-%m-%d %H:%M UTC'); the whole run took $total s. Goals
(issue 7) are reported, not asserted. Everything ran on 127.0.0.1 with the
example certificates and synthetic data.

## Machine and software

| | |
|---|---|
| commit | $commit$( [ "$bin" = "$top/bin" ] || echo " -- but hlx and hlxd from \`$bin\`") |
| CPU | $cpu, $(nproc) cores |
| RAM | $ram |
| kernel | $(uname -sr) |
| file system | $fs (store, WAL, hand-off files) |
| OpenSSL | $(openssl version | cut -d' ' -f1-2) (hlxd, nginx and the generator alike) |
| SQLite | $(sqlite3 -version | cut -d' ' -f1) |
| nginx | $NGX_VERSION (Debian package; its service stopped and disabled) |
| other load | before the run: load average $load_before, $others_before$( [ -n "$checks" ] && echo "; **make check was running** (pids $checks)" || echo "; no make check running"); after it: load average $load_after, $others_after |

## Settings

| | |
|---|---|
| load generator | \`build/bench/hlxbench\` (bench/hlxbench.c): OpenSSL, non-blocking, $GEN_THREADS epoll thread(s), $CONNS connections, client certificate of hotline-be.example, server verified against the example CA |
| messages | Referrals of $(kv body_bytes "$hlx_ka") bytes (\`hlx translate\` of case-nl.json with a third item: $TEMPLATE_BYTES bytes), each with a fresh MessageId, SentAt and case number; every answer must be 202 with a Receipt \`accepted\` for that MessageId (nginx: 202) |
| TLS | 1.3 (both sides' default), ECDSA P-256 certificates; new-connection runs make a full handshake each time (no resumption, no tickets) and send \`Connection: close\` |
| hlxd | \`[listen] rate_limit = $RATE_LIMIT\`, \`rate_limit_bytes = $RATE_LIMIT_BYTES\` (no 429s), \`max_connections = max_connections_per_ip = 4096\`, \`[log] level = warn\`, store \`synchronous=FULL\` (its default), WAL; hand-off dir on the same disk; a fresh store for each of 1, 2, 5 |
| nginx | \`worker_processes auto\` ($(nproc)) and, for comparison, 1; \`ssl_verify_client on\` with the example CA, \`return 202\` with a Receipt-sized body, access log off, keepalive_requests unlimited, tickets off |
| durations | keep-alive ${KA_SECS} s, new connection ${NC_SECS} s (hlxd); ${NGX_SECS} s and ${NGX1_SECS} s (nginx auto, 1 worker); profiles ${PERF_SECS} s; memory load ${MEM_SECS} s |
| item 4 | $TV_PROCS processes in a row of each command; hlxloop: $TV_LOOP records in one process |
| item 5 | $DRAIN_N records by \`hlx submit -\` into a stopped sender; then receiver and sender hlxd started, time until every message is \`delivered\` (cap ${DRAIN_CAP} s); \`[delivery] connections_per_peer = $DRAIN_CPP\` (default 4), \`backoff_min = 1s\` |
| item 6 | RSS (\`VmRSS\`, peak \`VmHWM\` from /proc); $SEED_N messages seeded with bench/seed.sql |
| profiler | $PROF ($( [ "$PROF" = perf ] && echo "on-CPU, 499 Hz, DWARF call graphs, all threads" || echo "-")), and \`strace -c -w\` for where the wall-clock time goes |

## Results

| # | what | measured | goal | |
|---|---|---|---|---|
| 1 | durable ingest, keep-alive mutual TLS, $CONNS connections | **$(rfmt "$ka_rate") msgs/s**, $(lat "$hlx_ka"); $ka_ok answered 202, $ka_rows in the inbox, $ka_matched of them by MessageId, $ka_files hand-off files | ≥ 10,000/s, every 202 committed | $(met $g1) |
| 2 | the same, a new TLS connection per message | **$(rfmt "$nc_rate") msgs/s**, $(lat "$hlx_nc"); $nc_ok answered 202, $nc_rows in the inbox ($nc_matched by MessageId), $nc_files hand-off files | ≥ 0.9 × nginx = $(fmt "$(awk -v n="$ngx_nc_rate" 'BEGIN { print 0.9 * n }')")/s | $(met $g2) |
| 3 | nginx ceiling, keep-alive | $(fmt "$ngx_ka_rate")/s, $(lat "$ngx_ka") (1 worker: $(fmt "$ngx1_ka_rate")/s) | — | hlx/nginx = **$(ratio "$ka_rate" "$ngx_ka_rate")** |
| 3 | nginx ceiling, new connection per message | $(fmt "$ngx_nc_rate")/s, $(lat "$ngx_nc") (1 worker: $(fmt "$ngx1_nc_rate")/s) | — | hlx/nginx = **$(ratio "$nc_rate" "$ngx_nc_rate")** (vs 1 worker: $(ratio "$nc_rate" "$ngx1_nc_rate")) |
| 4 | \`hlx translate\`, records/s | one process per record: $(fmt "$tr_proc")/s; many per process: **$(fmt "$tr_loop")/s** on one core, $(fmt "$tr_loop2")/s on two | ≥ 20,000/s | $(met $g4t) |
| 4 | \`hlx validate\`, records/s | one process per record: $(fmt "$va_proc")/s; many per process: **$(fmt "$va_loop")/s** on one core, $(fmt "$va_loop2")/s on two | ≥ 20,000/s | $(met $g4v) |
| 5 | outbox drain, $(fmt "$queued") referrals to a loopback hlxd | **$drain_fig**; at the end, sender's outbox: $drain_states ($drain_delivered delivered); receiver's inbox: $drain_inbox | < 60 s | $(met $g5) |
| 6 | hlxd RSS | idle $(mb "$rss_idle") MB; under load (item 1) peak $(mb "$rss_load_peak") MB, $(mb "$rss_after_load") MB after; with $(fmt "$SEED_N") messages stored: idle $(mb "$rss_big_idle") MB, under load peak $(mb "$rss_big_peak") MB, $(mb "$rss_big_after") MB after | < 50 MB | $(met $g6) |

Other figures of this run: \`hlx submit -\` stored $(fmt "$queued") records in
$submit_secs s ($(fmt "$submit_rate")/s, one transaction each). Seeding
$(fmt "$SEED_N") messages took $seed_secs s (store $(awk -v b="${seed_bytes:-0}" 'BEGIN { printf "%.1f GB", b / 1e9 }')); hlxd started on that
store in $seed_start_secs s and then accepted **$(rfmt "$big_rate") msgs/s** ($big_ok answered in ${MEM_SECS} s of load$( [ "$(kv err_timeout "$hlx_big")" = 0 ] || echo ", $(kv err_timeout "$hlx_big") more still unanswered 30 s after it"), $(fmt "$big_rows") messages stored at the end, $(lat "$hlx_big")) — compare item 1's $(rfmt "$ka_rate")/s on
an empty store.

What item 4 measures: \`hlx translate\` and \`hlx validate\` take one file
per process, so "one process per record" is fork + exec + dynamic linking +
reading hlx.conf + compiling the XSD + the work, and says more about
process start-up than about the code. "Many per process" is
\`build/bench/hlxloop\` (bench/hlxloop.c): the same library objects as
\`bin/hlx\`, repeating for each record exactly the steps of
\`cmd_translate\`/\`cmd_validate\` (read the file, parse the record,
translate, write the canonical XML and parse it back through the schema and
every code check; or read and parse with every check), with the
configuration read and the schema compiled once -- as \`hlx submit -\` and
hlxd do. hlx's interface is unchanged.

Raw generator lines (key=value) are in build/bench/run/*.out after a run.

## Profiles

Keep-alive load (item 1), hlxd, on-CPU, inclusive ("children") share by
function, $PERF_SECS s ($(fmt "${prof_ka_ok:-0}") messages during the whole profiled load):

\`\`\`
$(cat "$W/prof-ka.prof" 2>/dev/null)
\`\`\`

Wall-clock time by system call over the same load (\`strace -f -c -w\`, all threads):

\`\`\`
$(cat "$W/prof-ka.sys" 2>/dev/null)
\`\`\`

New connection per message (item 2), hlxd, on-CPU ($(fmt "${prof_nc_ok:-0}") messages during the profiled load):

\`\`\`
$(cat "$W/prof-nc.prof" 2>/dev/null)
\`\`\`

\`\`\`
$(cat "$W/prof-nc.sys" 2>/dev/null)
\`\`\`

The hand-off query of \`store_handoff_pending()\` as SQLite plans it:

\`\`\`
$(cat "$W/plan.txt" 2>/dev/null)
\`\`\`

Keep-alive load on the store seeded with $(fmt "$SEED_N") messages (item 6), hlxd, on-CPU, $PERF_SECS s:

\`\`\`
$(cat "$W/prof-big.prof" 2>/dev/null)
\`\`\`

Item 5, the sender's attempts that did not deliver (empty: none):

\`\`\`
$(cat "$W/drain-attempts.txt" 2>/dev/null)
\`\`\`

The queries of item 5 as SQLite plans them:

\`\`\`
$(cat "$W/plans-drain.txt" 2>/dev/null)
\`\`\`
EOF
if [ "$drain_prof" = 1 ]; then
cat <<EOF

Outbox drain (item 5), still draining at the cap: the sender's hlxd, on-CPU:

\`\`\`
$(cat "$W/prof-drain-be.prof" 2>/dev/null)
\`\`\`

the receiver's hlxd, on-CPU:

\`\`\`
$(cat "$W/prof-drain-nl.prof" 2>/dev/null)
\`\`\`

the sender, wall clock by system call:

\`\`\`
$(cat "$W/prof-drain-be.sys" 2>/dev/null)
\`\`\`

Progress (seconds, delivered):

\`\`\`
$(cat "$W/drain.progress" 2>/dev/null)
\`\`\`
EOF
fi
echo
cat bench/limits.md
} >"$out.tmp" && mv "$out.tmp" "$out"
say "done in $total s: $out"
