#!/bin/sh
# stats.sh BINDIR -- `hlx stats [--year Y] [--json]` (operations.md §3; the
# definitions are at the top of src/store_stats.c).
#
# A store is made by `hlx peer add` (so it has the current schema), then
# filled directly with sqlite3: a known set of cases over 2023-2027,
# across the year boundary, with test cases and test messages that must
# count nowhere.  Every expected figure is worked out by hand in the
# comments next to the rows that make it, and the whole output of `hlx
# stats` is compared, not sampled: text exactly, JSON parsed with python3
# and compared to one dict.  Nothing here uses the network or a
# certificate (the peers' URLs and pins are synthetic and never
# contacted).  One TAP line a check.
# shellcheck disable=SC2016
set -u

bindir=$(cd "${1:-bin}" && pwd) || exit 2
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
	echo "stats: $((n - fail)) passed, $fail failed"
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

# A well-formed pin of no certificate (synthetic).
fakepin() {
	printf 'sha256//%s' "$(printf '%s' "$1" | openssl dgst -sha256 -binary |
	    base64)"
}

# mkconf FILE STORE AUDITKEY: hotline BE.  No [tls]: stats and peer add
# read no certificate.
mkconf() {
	cat >"$1" <<EOF
# stats.sh: hotline BE, synthetic.
[hotline]
id = hotline-be.example
country = BE
receive_for = BE

[storage]
path = $2
audit_key = $3
EOF
}

sq() { (umask 077 && sqlite3 "$@"); }

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

# exact NAME FILE ARGS...: hlx ARGS exits 0, prints nothing on stderr and
# exactly FILE on stdout.
exact() {
	ename=$1
	efile=$2
	shift 2
	h "$@"
	if [ "$rc" -ne 0 ]; then
		notok "$ename" "hlx $*: exit $rc; $(outs)"
	elif [ -s "$tmp/err" ]; then
		notok "$ename" "hlx $*: stderr is not empty; $(outs)"
	elif ! cmp -s "$efile" "$tmp/out"; then
		notok "$ename" "hlx $*: stdout differs: $(diff "$efile" "$tmp/out" |
		    head -20 | tr '\n' '|')"
	else
		ok "$ename"
	fi
}

# usage NAME ARGS...: hlx ARGS exits 64 with one line on stderr, nothing
# on stdout.
usage() {
	uname=$1
	shift
	h "$@"
	if [ "$rc" -ne 64 ]; then
		notok "$uname" "hlx $*: exit $rc, want 64; $(outs)"
	elif [ "$(wc -l <"$tmp/err")" -ne 1 ]; then
		notok "$uname" "hlx $*: want one line on stderr; $(outs)"
	elif [ -s "$tmp/out" ]; then
		notok "$uname" "hlx $*: stdout is not empty; $(outs)"
	else
		ok "$uname"
	fi
}

# jexact NAME PYFILE ARGS...: hlx ARGS exits 0 and prints JSON equal to
# the python expression in PYFILE (null is None).
jexact() {
	jname=$1
	jfile=$2
	shift 2
	h "$@"
	if [ "$rc" -ne 0 ] || [ -s "$tmp/err" ]; then
		notok "$jname" "hlx $*: exit $rc; $(outs)"
		return
	fi
	if python3 -c 'import json, sys
got = json.load(open(sys.argv[1]))
want = eval(open(sys.argv[2]).read())
if got != want:
    print("got  " + json.dumps(got, sort_keys=True), file=sys.stderr)
    print("want " + json.dumps(want, sort_keys=True), file=sys.stderr)
    sys.exit(1)' "$tmp/out" "$jfile" 2>"$tmp/pyerr"; then
		ok "$jname"
	else
		notok "$jname" "hlx $*: $(tr '\n' '|' <"$tmp/pyerr" | head -c 3000)"
	fi
}

# ------------------------------------------------------------------ setup

mkdir -m 0700 "$tmp/store"
db="$tmp/store/hlx.db"
conf="$tmp/hlx.conf"
mkconf "$conf" "$db" "$tmp/store/audit.key"

# ------------------------------------------------------- an empty store

printf 'no cases\n' >"$tmp/want"
exact "stats on a new store: no cases" "$tmp/want" stats
echo '{"years": []}' >"$tmp/want.py"
jexact "stats --json on a new store: no years" "$tmp/want.py" stats --json

h stats --help
if [ "$rc" -eq 0 ] && head -1 "$tmp/out" | grep -q '^usage: hlx \[-c FILE\] stats\b' &&
    grep -q '^Exit: 0; 64 usage; 74/75 store I/O or busy; 78 configuration\.$' \
    "$tmp/out" && [ ! -s "$tmp/err" ]; then
	ok "stats --help prints usage, help and exit codes, exit 0"
else
	notok "stats --help prints usage, help and exit codes, exit 0" "exit $rc; $(outs)"
fi

for p in nl de fr; do
	cc=$(echo "$p" | tr '[:lower:]' '[:upper:]')
	h peer add "hotline-$p.example" --url "https://gw.hotline-$p.example" \
	    --pin "$(fakepin "stats-sh-$p")" --country "$cc"
	if [ "$rc" -eq 0 ]; then
		ok "peer add hotline-$p.example"
	else
		notok "peer add hotline-$p.example" "exit $rc; $(outs)"
	fi
done
if [ "$(sq "$db" 'PRAGMA user_version')" -ge 2 ]; then
	ok "the store has schema version 2 or later (case_state)"
else
	notok "the store has schema version 2 or later (case_state)" \
	    "user_version $(sq "$db" 'PRAGMA user_version')"
	finish
fi

# ------------------------------------------------------------- the cases
#
# We are hotline BE.  NL = hotline-nl.example, DE = hotline-de.example,
# FR = hotline-fr.example.  A case's year is that of hcase.received_at.
#
# Records (only their items matter here):
#   ILL_INTL  item intl baseline, national not_illegal     -> illegal
#   ILL_NAT   item intl not_baseline, national illegal     -> illegal
#   ILL_2ND   items: not_assessed/not_assessed, baseline   -> illegal
#   LEGAL     item not_baseline, national not_illegal      -> not
#   BROKEN    not JSON                                     -> not (no error)
#   STRINGS   items are not objects                        -> not (no error)
ILL_INTL='{"items":[{"content_url":"http://a.example.net/1","intl_verdict":"baseline","national_verdict":{"jurisdiction":"BE","status":"not_illegal"}}]}'
ILL_NAT='{"items":[{"content_url":"http://a.example.net/2","intl_verdict":"not_baseline","national_verdict":{"jurisdiction":"BE","status":"illegal"}}]}'
ILL_2ND='{"items":[{"content_url":"http://a.example.net/3","intl_verdict":"not_assessed","national_verdict":{"jurisdiction":"BE","status":"not_assessed"}},{"content_url":"http://a.example.net/4","intl_verdict":"baseline"}]}'
LEGAL='{"items":[{"content_url":"http://a.example.net/5","intl_verdict":"not_baseline","national_verdict":{"jurisdiction":"BE","status":"not_illegal"}}]}'
BROKEN='{"items": [{"intl_verdict": "baseline"'
STRINGS='{"items":["baseline",{"x":"illegal"},7]}'

# Times are written as dates through SQLite's unixepoch(): seconds for
# outbox.delivered_at, times 1000000 (plus a fraction where it matters)
# for case_state.state_usec.
if ! sq "$db" >"$tmp/sqlout" 2>&1 <<EOF
PRAGMA foreign_keys = ON;
BEGIN;

-- ---------------------------------------------------------------- 2023
-- Only a test case: 2023 is not a year of the report at all.
INSERT INTO hcase (id, issuer, number, origin, country, record, received_at,
    test, created_at) VALUES
 (90, 'hotline-be.example', 'BE-2023-T', 'ours', 'NL', '$ILL_INTL',
  '2023-05-05T10:00:00Z', 1, 0);
INSERT INTO outbox (hcase, peer, type, state, created_at, delivered_at, test)
VALUES (90, 'hotline-nl.example', 'Referral', 'delivered', 0,
  unixepoch('2023-05-05 11:00:00'), 1);

-- ---------------------------------------------------------------- 2024
-- ours: 1 NL LEGAL, 2 DE ILL_NAT, 8 NL BROKEN, 9 AT STRINGS
--   submitted 4; illegal 1 (case 2); domestic 0;
--   abroad 4: AT 1 (9), DE 1 (2), NL 2 (1, 8)
-- received: 3 from NL (no forwarded_to_lea)        -> received 1
-- outbox: 1 -> NL delivered; 2 -> DE dead
--   NL: sent 1, delivered 1, dead 0, removals 0, nothing measured
--       (case 3 was never forwarded to the police)
--   DE: sent 1, delivered 0, dead 1, removals 0, nothing measured
INSERT INTO hcase (id, issuer, number, origin, our_number, partner, country,
    record, received_at, test, created_at) VALUES
 (1, 'hotline-be.example', 'BE-2024-1', 'ours', NULL, NULL, 'NL', '$LEGAL',
  '2024-03-01T10:00:00Z', 0, 0),
 (2, 'hotline-be.example', 'BE-2024-2', 'ours', NULL, NULL, 'DE', '$ILL_NAT',
  '2024-07-15T10:00:00Z', 0, 0),
 (8, 'hotline-be.example', 'BE-2024-8', 'ours', NULL, NULL, 'NL', '$BROKEN',
  '2024-08-01T10:00:00Z', 0, 0),
 (9, 'hotline-be.example', 'BE-2024-9', 'ours', NULL, NULL, 'AT', '$STRINGS',
  '2024-09-01T10:00:00Z', 0, 0),
 (3, 'hotline-nl.example', 'NL-2024-3', 'received', 'IN-2024-000001',
  'hotline-nl.example', 'BE', NULL, '2024-05-05T10:00:00Z', 0, 0);
INSERT INTO outbox (hcase, peer, type, state, created_at, delivered_at, test)
VALUES
 (1, 'hotline-nl.example', 'Referral', 'delivered', 0,
  unixepoch('2024-03-01 12:00:00'), 0),
 (2, 'hotline-de.example', 'Referral', 'dead', 0, NULL, 0);
INSERT INTO inbox (peer, message_id, hcase, type, body, body_sha256,
    received_at, test) VALUES
 ('hotline-nl.example', 'in-3', 3, 'Referral', 'x', 'x',
  '2024-05-05T10:01:00Z', 0);

-- ---------------------------------------------------------------- 2025
-- ours: 4 NL ILL_INTL at 2025-12-31T23:59:59Z (the last second of 2025),
--       5 BE ILL_INTL domestic (hand-off kind domestic)
--   submitted 2; illegal 2; domestic 1; abroad 1: NL 1 (4)
-- test case 6 (ours, NL, illegal, delivered and removed): nowhere
-- received: 7 from DE                               -> received 1
-- NL: 4's Referral delivered 2026-01-01 00:10:00, removed 01:10:00:
--     3600 s.  sent 1, delivered 1, dead 0, removals 1;
--     delivery to removal n 1: median 3600, p90 3600
-- DE: 7's Assessment to DE retrying: sent 1, delivered 0, dead 0;
--     its Referral arrived 2025-02-02T12:00:00Z (a test copy at
--     2025-02-01 is ignored), forwarded_to_lea 14:00:00: 7200 s;
--     referral to lea n 1: median 7200, p90 7200
INSERT INTO hcase (id, issuer, number, origin, our_number, partner, country,
    record, received_at, test, created_at) VALUES
 (4, 'hotline-be.example', 'BE-2025-4', 'ours', NULL, NULL, 'NL',
  '$ILL_INTL', '2025-12-31T23:59:59Z', 0, 0),
 (5, 'hotline-be.example', 'BE-2025-5', 'ours', NULL, NULL, 'BE',
  '$ILL_INTL', '2025-06-01T10:00:00Z', 0, 0),
 (6, 'hotline-be.example', 'BE-2025-6', 'ours', NULL, NULL, 'NL',
  '$ILL_INTL', '2025-06-02T10:00:00Z', 1, 0),
 (7, 'hotline-de.example', 'DE-2025-7', 'received', 'IN-2025-000001',
  'hotline-de.example', 'BE', NULL, '2025-02-02T11:00:00Z', 0, 0);
INSERT INTO handoff (hcase, kind, revision, state, file_state, deadline_at,
    document, updated_at) VALUES
 (5, 'domestic', 1, 'new', 'written', '2025-06-02T10:00:00Z', '{}', 0),
 (7, 'referral', 1, 'new', 'written', '2025-02-03T12:00:00Z', '{}', 0);
INSERT INTO outbox (hcase, peer, type, state, created_at, delivered_at, test)
VALUES
 (4, 'hotline-nl.example', 'Referral', 'delivered', 0,
  unixepoch('2026-01-01 00:10:00'), 0),
 (6, 'hotline-nl.example', 'Referral', 'delivered', 0,
  unixepoch('2025-06-02 11:00:00'), 0),
 (7, 'hotline-de.example', 'Assessment', 'retrying', 0, NULL, 0);
INSERT INTO inbox (peer, message_id, hcase, type, body, body_sha256,
    received_at, test) VALUES
 ('hotline-de.example', 'in-7t', 7, 'Referral', 'x', 'x',
  '2025-02-01T00:00:00Z', 1),
 ('hotline-de.example', 'in-7', 7, 'Referral', 'x', 'x',
  '2025-02-02T12:00:00Z', 0);
INSERT INTO case_state (hcase, state, state_at, state_usec, source, peer,
    applied, recorded_at) VALUES
 (4, 'content_removed', '-', unixepoch('2026-01-01 01:10:00') * 1000000,
  'peer', 'hotline-nl.example', 1, 0),
 (6, 'content_removed', '-', unixepoch('2025-06-02 11:00:05') * 1000000,
  'peer', 'hotline-nl.example', 1, 0),
 (7, 'forwarded_to_lea', '-', unixepoch('2025-02-02 14:00:00') * 1000000,
  'local', 'hotline-de.example', 1, 0);

-- ---------------------------------------------------------------- 2026
-- ours (9): 10 NL ILL_INTL, 11 NL ILL_NAT, 12 NL LEGAL, 13 NL ILL_2ND,
--   14 NL LEGAL, 15 DE LEGAL (default-routed to NL), 16 NL ILL_NAT at
--   2026-01-01T00:00:00Z (the first second of 2026), 17 FR LEGAL,
--   18 BE ILL_INTL domestic
--   submitted 9; illegal 5 (10 11 13 16 18); domestic 1 (18);
--   abroad 8: DE 1 (15), FR 1 (17), NL 6 (10 11 12 13 14 16)
-- received (4): 20 21 22 from NL, 23 from DE; 24 from NL is a test case
--
-- outbox to NL, counted:
--   10 Referral delivered; 11 Referral v1 delivered, v2 delivered;
--   12 Referral delivered; 13 StatusUpdate delivered, Referral
--   delivered; 14 Referral delivered; 15 Referral retrying; 16 Referral
--   queued; 20 Assessment delivered; 21 StatusUpdate dead
--   -> sent 11, delivered 8, dead 1
-- not counted: 12 StatusUpdate cancelled; 16 a test Referral delivered;
--   14 a test Referral delivered earlier than the real one
-- outbox to DE: 23 Assessment delivered -> sent 1, delivered 1, dead 0
-- outbox to FR: 17 Referral cancelled -> nothing: FR is not listed
--
-- NL removals: 10 11 12 13 14 15 -> 6 (11 twice: counted once)
-- NL delivery to removal, from the earliest delivered Referral to NL to
-- the earliest content_removed from NL:
--   10: 7200
--   11: 3600: v1 delivered 09:00, removed 10:00.  Each "earliest" is
--       the median here, so that getting one wrong shows: v2 delivered
--       at 09:05 would make it 3300, the second removal at 11:00 7200
--   12: 86400 (DE's removal an hour after delivery is DE's)
--   13: 1800 (StateAt 10:30:00.999999 rounds down; the StatusUpdate
--       delivered at 09:00, out of order on purpose, is no Referral:
--       it would make it 5400, the median)
--   14: 600 (the test Referral at 00:00 would make it 33000)
--   15: never delivered, not measured
--   sorted 600 1800 3600 7200 86400, n 5:
--   median rank ceil(50*5/100) = 3 -> 3600; p90 rank ceil(450/100) = 5
--   -> 86400
-- DE removals: 12 -> 1; no Referral of 12 went to DE: nothing measured
--
-- NL referral to forwarded_to_lea (source local, earliest; from the
-- earliest inbox Referral of the case):
--   20: 10:00:00Z -> 10:30:00 = 1800 (a Withdraw stored an hour
--       before, out of order on purpose, starts no clock)
--   21: 08:00:00.250Z (fraction dropped) and an amended Referral the
--       next day -> 09:00:00.75 (rounded down) = 3600
--   22: 00:00:00Z -> two forwarded_to_lea, at +86400 and +43200 = 43200;
--       a forwarded_to_lea from the peer at +60 is not ours
--   24: a test case: nowhere
--   sorted 1800 3600 43200, n 3: median rank ceil(150/100) = 2 -> 3600;
--   p90 rank ceil(270/100) = 3 -> 43200
-- DE: 23 never forwarded: nothing measured
INSERT INTO hcase (id, issuer, number, origin, our_number, partner, country,
    record, received_at, test, created_at) VALUES
 (10, 'hotline-be.example', 'BE-2026-10', 'ours', NULL, NULL, 'NL',
  '$ILL_INTL', '2026-02-01T08:00:00Z', 0, 0),
 (11, 'hotline-be.example', 'BE-2026-11', 'ours', NULL, NULL, 'NL',
  '$ILL_NAT', '2026-02-02T08:00:00.5Z', 0, 0),
 (12, 'hotline-be.example', 'BE-2026-12', 'ours', NULL, NULL, 'NL',
  '$LEGAL', '2026-02-03T08:00:00Z', 0, 0),
 (13, 'hotline-be.example', 'BE-2026-13', 'ours', NULL, NULL, 'NL',
  '$ILL_2ND', '2026-02-04T08:00:00Z', 0, 0),
 (14, 'hotline-be.example', 'BE-2026-14', 'ours', NULL, NULL, 'NL',
  '$LEGAL', '2026-02-05T08:00:00Z', 0, 0),
 (15, 'hotline-be.example', 'BE-2026-15', 'ours', NULL, NULL, 'DE',
  '$LEGAL', '2026-02-06T08:00:00Z', 0, 0),
 (16, 'hotline-be.example', 'BE-2026-16', 'ours', NULL, NULL, 'NL',
  '$ILL_NAT', '2026-01-01T00:00:00Z', 0, 0),
 (17, 'hotline-be.example', 'BE-2026-17', 'ours', NULL, NULL, 'FR',
  '$LEGAL', '2026-02-07T08:00:00Z', 0, 0),
 (18, 'hotline-be.example', 'BE-2026-18', 'ours', NULL, NULL, 'BE',
  '$ILL_INTL', '2026-02-08T08:00:00Z', 0, 0),
 (20, 'hotline-nl.example', 'NL-2026-20', 'received', 'IN-2026-000001',
  'hotline-nl.example', 'BE', NULL, '2026-03-01T09:00:00Z', 0, 0),
 (21, 'hotline-nl.example', 'NL-2026-21', 'received', 'IN-2026-000002',
  'hotline-nl.example', 'BE', NULL, '2026-03-02T07:00:00Z', 0, 0),
 (22, 'hotline-nl.example', 'NL-2026-22', 'received', 'IN-2026-000003',
  'hotline-nl.example', 'BE', NULL, '2026-03-31T23:00:00Z', 0, 0),
 (23, 'hotline-de.example', 'DE-2026-23', 'received', 'IN-2026-000004',
  'hotline-de.example', 'BE', NULL, '2026-04-02T07:00:00Z', 0, 0),
 (24, 'hotline-nl.example', 'NL-2026-24', 'received', 'IN-2026-000005',
  'hotline-nl.example', 'BE', NULL, '2026-04-03T07:00:00Z', 1, 0);
INSERT INTO handoff (hcase, kind, revision, state, file_state, deadline_at,
    document, updated_at) VALUES
 (18, 'domestic', 1, 'new', 'written', '2026-02-09T08:00:00Z', '{}', 0),
 (20, 'referral', 1, 'new', 'written', '2026-03-02T10:00:00Z', '{}', 0);
INSERT INTO outbox (hcase, peer, type, version, state, created_at,
    delivered_at, test) VALUES
 (10, 'hotline-nl.example', 'Referral', 1, 'delivered', 0,
  unixepoch('2026-02-01 09:00:00'), 0),
 (11, 'hotline-nl.example', 'Referral', 2, 'delivered', 0,
  unixepoch('2026-02-02 09:05:00'), 0),
 (11, 'hotline-nl.example', 'Referral', 1, 'delivered', 0,
  unixepoch('2026-02-02 09:00:00'), 0),
 (12, 'hotline-nl.example', 'Referral', 1, 'delivered', 0,
  unixepoch('2026-02-03 09:00:00'), 0),
 (12, 'hotline-nl.example', 'StatusUpdate', 2, 'cancelled', 0, NULL, 0),
 (13, 'hotline-nl.example', 'StatusUpdate', 2, 'delivered', 0,
  unixepoch('2026-02-04 09:00:00'), 0),
 (13, 'hotline-nl.example', 'Referral', 1, 'delivered', 0,
  unixepoch('2026-02-04 10:00:00'), 0),
 (14, 'hotline-nl.example', 'Referral', 1, 'delivered', 0,
  unixepoch('2026-02-05 00:00:00'), 1),
 (14, 'hotline-nl.example', 'Referral', 1, 'delivered', 0,
  unixepoch('2026-02-05 09:00:00'), 0),
 (15, 'hotline-nl.example', 'Referral', 1, 'retrying', 0, NULL, 0),
 (16, 'hotline-nl.example', 'Referral', 1, 'queued', 0, NULL, 0),
 (16, 'hotline-nl.example', 'Referral', 1, 'delivered', 0,
  unixepoch('2026-01-01 00:05:00'), 1),
 (17, 'hotline-fr.example', 'Referral', 1, 'cancelled', 0, NULL, 0),
 (20, 'hotline-nl.example', 'Assessment', 1, 'delivered', 0,
  unixepoch('2026-03-01 11:00:00'), 0),
 (21, 'hotline-nl.example', 'StatusUpdate', 1, 'dead', 0, NULL, 0),
 (23, 'hotline-de.example', 'Assessment', 1, 'delivered', 0,
  unixepoch('2026-04-02 09:00:00'), 0);
INSERT INTO inbox (peer, message_id, hcase, type, body, body_sha256,
    received_at, test) VALUES
 ('hotline-nl.example', 'in-20w', 20, 'Withdraw', 'x', 'x',
  '2026-03-01T09:00:00Z', 0),
 ('hotline-nl.example', 'in-20', 20, 'Referral', 'x', 'x',
  '2026-03-01T10:00:00Z', 0),
 ('hotline-nl.example', 'in-21b', 21, 'Referral', 'x', 'x',
  '2026-03-03T00:00:00Z', 0),
 ('hotline-nl.example', 'in-21', 21, 'Referral', 'x', 'x',
  '2026-03-02T08:00:00.250Z', 0),
 ('hotline-nl.example', 'in-22', 22, 'Referral', 'x', 'x',
  '2026-04-01T00:00:00Z', 0),
 ('hotline-de.example', 'in-23', 23, 'Referral', 'x', 'x',
  '2026-04-02T08:00:00Z', 0),
 ('hotline-nl.example', 'in-24', 24, 'Referral', 'x', 'x',
  '2026-04-03T08:00:00Z', 1);
INSERT INTO case_state (hcase, state, state_at, state_usec, source, peer,
    applied, recorded_at) VALUES
 (10, 'content_removed', '-', unixepoch('2026-02-01 11:00:00') * 1000000,
  'peer', 'hotline-nl.example', 1, 0),
 (11, 'content_removed', '-', unixepoch('2026-02-02 11:00:00') * 1000000,
  'peer', 'hotline-nl.example', 0, 0),
 (11, 'content_removed', '-', unixepoch('2026-02-02 10:00:00') * 1000000,
  'peer', 'hotline-nl.example', 1, 0),
 (12, 'content_removed', '-', unixepoch('2026-02-03 10:00:00') * 1000000,
  'peer', 'hotline-de.example', 1, 0),
 (12, 'content_removed', '-', unixepoch('2026-02-04 09:00:00') * 1000000,
  'peer', 'hotline-nl.example', 1, 0),
 (13, 'content_removed', '-', unixepoch('2026-02-04 10:30:00') * 1000000 + 999999,
  'peer', 'hotline-nl.example', 1, 0),
 (14, 'notice_sent_to_host', '-', unixepoch('2026-02-05 09:05:00') * 1000000,
  'peer', 'hotline-nl.example', 1, 0),
 (14, 'content_removed', '-', unixepoch('2026-02-05 09:10:00') * 1000000,
  'peer', 'hotline-nl.example', 1, 0),
 (15, 'content_removed', '-', unixepoch('2026-02-06 10:00:00') * 1000000,
  'peer', 'hotline-nl.example', 1, 0),
 (20, 'forwarded_to_lea', '-', unixepoch('2026-03-01 10:30:00') * 1000000,
  'local', 'hotline-nl.example', 1, 0),
 (21, 'forwarded_to_lea', '-', unixepoch('2026-03-02 09:00:00') * 1000000 + 750000,
  'local', 'hotline-nl.example', 1, 0),
 (22, 'forwarded_to_lea', '-', unixepoch('2026-04-02 00:00:00') * 1000000,
  'local', 'hotline-nl.example', 1, 0),
 (22, 'forwarded_to_lea', '-', unixepoch('2026-04-01 00:01:00') * 1000000,
  'peer', 'hotline-nl.example', 0, 0),
 (22, 'forwarded_to_lea', '-', unixepoch('2026-04-01 12:00:00') * 1000000,
  'local', 'hotline-nl.example', 1, 0),
 (24, 'forwarded_to_lea', '-', unixepoch('2026-04-03 08:00:01') * 1000000,
  'local', 'hotline-nl.example', 1, 0);

-- ---------------------------------------------------------------- 2027
-- Enough durations for nearest rank to differ from floor + 1 and from
-- rounding.  k = 1 .. 10 / 1 .. 6; the longest durations have the
-- smallest ids, so that only sorting puts them in order.
-- received: cases 30 .. 39 from DE, Referral on 2027-01-k at 08:00,
--   forwarded_to_lea (11 - k) * 100 s later: 1000, 900, .., 100
--   -> received 10; DE is listed for this alone (no message, no
--   removal): n 10, median rank ceil(500/100) = 5 -> 500 (floor + 1
--   would take rank 6), p90 rank ceil(900/100) = 9 -> 900
-- ours: cases 40 .. 45, NL, LEGAL, Referral to NL delivered on 2027-02-k
--   at 08:00, content_removed (7 - k) * 60 s later: 360, 300, .., 60
--   -> submitted 6, illegal 0, domestic 0, abroad NL 6;
--   NL: sent 6, delivered 6, dead 0, removals 6;
--   n 6: median rank ceil(300/100) = 3 -> 180 (floor + 1: rank 4),
--   p90 rank ceil(540/100) = 6 -> 360 (rounding: rank 5)
WITH RECURSIVE k(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM k WHERE k < 10)
INSERT INTO hcase (id, issuer, number, origin, our_number, partner, country,
    record, received_at, test, created_at)
SELECT 29 + k, 'hotline-de.example', 'DE-2027-' || k, 'received',
  printf('IN-2027-%06d', k), 'hotline-de.example', 'BE', NULL,
  printf('2027-01-%02dT07:00:00Z', k), 0, 0 FROM k;
WITH RECURSIVE k(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM k WHERE k < 10)
INSERT INTO inbox (peer, message_id, hcase, type, body, body_sha256,
    received_at, test)
SELECT 'hotline-de.example', 'in-2027-' || k, 29 + k, 'Referral', 'x', 'x',
  printf('2027-01-%02dT08:00:00Z', k), 0 FROM k;
WITH RECURSIVE k(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM k WHERE k < 10)
INSERT INTO case_state (hcase, state, state_at, state_usec, source, peer,
    applied, recorded_at)
SELECT 29 + k, 'forwarded_to_lea', '-',
  (unixepoch(printf('2027-01-%02d 08:00:00', k)) + (11 - k) * 100) * 1000000,
  'local', 'hotline-de.example', 1, 0 FROM k;
WITH RECURSIVE k(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM k WHERE k < 6)
INSERT INTO hcase (id, issuer, number, origin, country, record, received_at,
    test, created_at)
SELECT 39 + k, 'hotline-be.example', 'BE-2027-' || k, 'ours', 'NL', '$LEGAL',
  printf('2027-02-%02dT07:00:00Z', k), 0, 0 FROM k;
WITH RECURSIVE k(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM k WHERE k < 6)
INSERT INTO outbox (hcase, peer, type, version, state, created_at,
    delivered_at, test)
SELECT 39 + k, 'hotline-nl.example', 'Referral', 1, 'delivered', 0,
  unixepoch(printf('2027-02-%02d 08:00:00', k)), 0 FROM k;
WITH RECURSIVE k(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM k WHERE k < 6)
INSERT INTO case_state (hcase, state, state_at, state_usec, source, peer,
    applied, recorded_at)
SELECT 39 + k, 'content_removed', '-',
  (unixepoch(printf('2027-02-%02d 08:00:00', k)) + (7 - k) * 60) * 1000000,
  'peer', 'hotline-nl.example', 1, 0 FROM k;
COMMIT;
EOF
then
	notok "the test cases are stored" "$(head -5 "$tmp/sqlout" | tr '\n' '|')"
	finish
fi
ok "the test cases are stored"

# --------------------------------------------------------- the figures

cat >"$tmp/y2024" <<'EOT'
year 2024
  cases submitted: 4
  cases with illegal content: 1
  cases hosted in our countries: 0
  cases referred abroad: 4
    AT: 1
    DE: 1
    NL: 2
  referrals received: 1
  partner hotline-de.example
    messages sent: 1
    delivered: 0
    dead: 1
    removals confirmed: 0
    delivery to removal: none measured
    referral to forwarded_to_lea: none measured
  partner hotline-nl.example
    messages sent: 1
    delivered: 1
    dead: 0
    removals confirmed: 0
    delivery to removal: none measured
    referral to forwarded_to_lea: none measured
EOT
cat >"$tmp/y2025" <<'EOT'
year 2025
  cases submitted: 2
  cases with illegal content: 2
  cases hosted in our countries: 1
  cases referred abroad: 1
    NL: 1
  referrals received: 1
  partner hotline-de.example
    messages sent: 1
    delivered: 0
    dead: 0
    removals confirmed: 0
    delivery to removal: none measured
    referral to forwarded_to_lea: median 7200 s, p90 7200 s (1 case)
  partner hotline-nl.example
    messages sent: 1
    delivered: 1
    dead: 0
    removals confirmed: 1
    delivery to removal: median 3600 s, p90 3600 s (1 case)
    referral to forwarded_to_lea: none measured
EOT
cat >"$tmp/y2026" <<'EOT'
year 2026
  cases submitted: 9
  cases with illegal content: 5
  cases hosted in our countries: 1
  cases referred abroad: 8
    DE: 1
    FR: 1
    NL: 6
  referrals received: 4
  partner hotline-de.example
    messages sent: 1
    delivered: 1
    dead: 0
    removals confirmed: 1
    delivery to removal: none measured
    referral to forwarded_to_lea: none measured
  partner hotline-nl.example
    messages sent: 11
    delivered: 8
    dead: 1
    removals confirmed: 6
    delivery to removal: median 3600 s, p90 86400 s (5 cases)
    referral to forwarded_to_lea: median 3600 s, p90 43200 s (3 cases)
EOT
cat >"$tmp/y2027" <<'EOT'
year 2027
  cases submitted: 6
  cases with illegal content: 0
  cases hosted in our countries: 0
  cases referred abroad: 6
    NL: 6
  referrals received: 10
  partner hotline-de.example
    messages sent: 0
    delivered: 0
    dead: 0
    removals confirmed: 0
    delivery to removal: none measured
    referral to forwarded_to_lea: median 500 s, p90 900 s (10 cases)
  partner hotline-nl.example
    messages sent: 6
    delivered: 6
    dead: 0
    removals confirmed: 6
    delivery to removal: median 180 s, p90 360 s (6 cases)
    referral to forwarded_to_lea: none measured
EOT
# A year asked for is shown even with no case: 1999 has none, 2023 only
# a test case.
for y in 1999 2023; do
	cat >"$tmp/y$y" <<EOT
year $y
  cases submitted: 0
  cases with illegal content: 0
  cases hosted in our countries: 0
  cases referred abroad: 0
  referrals received: 0
EOT
done
cat "$tmp/y2024" "$tmp/y2025" "$tmp/y2026" "$tmp/y2027" >"$tmp/all"

audit_before=$(sq "$db" 'SELECT count(*) FROM audit')
exact "stats: 2024 to 2027 (2023 has only a test case)" "$tmp/all" stats
exact "stats --year 2026" "$tmp/y2026" stats --year 2026
exact "stats --year 2025: 23:59:59 on 31 Dec is 2025" "$tmp/y2025" \
    stats --year 2025
exact "stats --year 2024: nothing measured" "$tmp/y2024" stats --year 2024
exact "stats --year 2027: nearest rank for n 6 and n 10" "$tmp/y2027" \
    stats --year 2027
exact "stats --year 1999: listed, all zero" "$tmp/y1999" stats --year 1999
exact "stats --year 2023: a test case counts nowhere" "$tmp/y2023" \
    stats --year 2023

# The same figures as JSON; python's None is JSON null.
cat >"$tmp/j.py" <<'EOT'
{
  "2024": {"year": 2024, "cases_submitted": 4, "cases_illegal": 1,
    "cases_domestic": 0, "cases_abroad": {"AT": 1, "DE": 1, "NL": 2},
    "referrals_received": 1, "partners": [
      {"peer": "hotline-de.example", "messages_sent": 1, "delivered": 0,
       "dead": 1, "removals_confirmed": 0,
       "delivery_to_removal_seconds": {"n": 0, "median": None, "p90": None},
       "referral_to_lea_seconds": {"n": 0, "median": None, "p90": None}},
      {"peer": "hotline-nl.example", "messages_sent": 1, "delivered": 1,
       "dead": 0, "removals_confirmed": 0,
       "delivery_to_removal_seconds": {"n": 0, "median": None, "p90": None},
       "referral_to_lea_seconds": {"n": 0, "median": None, "p90": None}}]},
  "2025": {"year": 2025, "cases_submitted": 2, "cases_illegal": 2,
    "cases_domestic": 1, "cases_abroad": {"NL": 1},
    "referrals_received": 1, "partners": [
      {"peer": "hotline-de.example", "messages_sent": 1, "delivered": 0,
       "dead": 0, "removals_confirmed": 0,
       "delivery_to_removal_seconds": {"n": 0, "median": None, "p90": None},
       "referral_to_lea_seconds": {"n": 1, "median": 7200, "p90": 7200}},
      {"peer": "hotline-nl.example", "messages_sent": 1, "delivered": 1,
       "dead": 0, "removals_confirmed": 1,
       "delivery_to_removal_seconds": {"n": 1, "median": 3600, "p90": 3600},
       "referral_to_lea_seconds": {"n": 0, "median": None, "p90": None}}]},
  "2026": {"year": 2026, "cases_submitted": 9, "cases_illegal": 5,
    "cases_domestic": 1, "cases_abroad": {"DE": 1, "FR": 1, "NL": 6},
    "referrals_received": 4, "partners": [
      {"peer": "hotline-de.example", "messages_sent": 1, "delivered": 1,
       "dead": 0, "removals_confirmed": 1,
       "delivery_to_removal_seconds": {"n": 0, "median": None, "p90": None},
       "referral_to_lea_seconds": {"n": 0, "median": None, "p90": None}},
      {"peer": "hotline-nl.example", "messages_sent": 11, "delivered": 8,
       "dead": 1, "removals_confirmed": 6,
       "delivery_to_removal_seconds": {"n": 5, "median": 3600, "p90": 86400},
       "referral_to_lea_seconds": {"n": 3, "median": 3600, "p90": 43200}}]},
  "2027": {"year": 2027, "cases_submitted": 6, "cases_illegal": 0,
    "cases_domestic": 0, "cases_abroad": {"NL": 6},
    "referrals_received": 10, "partners": [
      {"peer": "hotline-de.example", "messages_sent": 0, "delivered": 0,
       "dead": 0, "removals_confirmed": 0,
       "delivery_to_removal_seconds": {"n": 0, "median": None, "p90": None},
       "referral_to_lea_seconds": {"n": 10, "median": 500, "p90": 900}},
      {"peer": "hotline-nl.example", "messages_sent": 6, "delivered": 6,
       "dead": 0, "removals_confirmed": 6,
       "delivery_to_removal_seconds": {"n": 6, "median": 180, "p90": 360},
       "referral_to_lea_seconds": {"n": 0, "median": None, "p90": None}}]},
}
EOT
echo "(lambda y: {'years': [y['2024'], y['2025'], y['2026'], y['2027']]})($(cat "$tmp/j.py"))" \
    >"$tmp/all.py"
echo "{'years': [($(cat "$tmp/j.py"))['2026']]}" >"$tmp/2026.py"
cat >"$tmp/1999.py" <<'EOT'
{"years": [{"year": 1999, "cases_submitted": 0, "cases_illegal": 0,
  "cases_domestic": 0, "cases_abroad": {}, "referrals_received": 0,
  "partners": []}]}
EOT
jexact "stats --json: the same figures" "$tmp/all.py" stats --json
jexact "stats --year 2026 --json" "$tmp/2026.py" stats --year 2026 --json
jexact "stats --json --year 1999: one empty year" "$tmp/1999.py" \
    stats --json --year 1999

# JSON keys in the documented order (python's dict compare ignores it).
h stats --year 2026 --json
if [ "$rc" -eq 0 ] && python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
y = d["years"][0]
want = ["year", "cases_submitted", "cases_illegal", "cases_domestic",
    "cases_abroad", "referrals_received", "partners"]
pw = ["peer", "messages_sent", "delivered", "dead", "removals_confirmed",
    "delivery_to_removal_seconds", "referral_to_lea_seconds"]
sys.exit(0 if list(y) == want and list(y["partners"][0]) == pw and
    list(y["partners"][0]["referral_to_lea_seconds"]) == ["n", "median", "p90"]
    else 1)' "$tmp/out"; then
	ok "stats --json: keys in the documented order"
else
	notok "stats --json: keys in the documented order" "$(outs)"
fi

if [ "$(sq "$db" 'SELECT count(*) FROM audit')" = "$audit_before" ]; then
	ok "stats writes nothing to the audit trail"
else
	notok "stats writes nothing to the audit trail" \
	    "$audit_before entries before, $(sq "$db" 'SELECT count(*) FROM audit') after"
fi

# ---------------------------------------------------------- usage errors

usage "stats --year abc: exit 64, one line" stats --year abc
usage "stats --year 0: exit 64, one line" stats --year 0
usage "stats --year 1969: exit 64, one line" stats --year 1969
usage "stats --year 10000: exit 64, one line" stats --year 10000
usage "stats --year 2026x: exit 64, one line" stats --year 2026x
usage "stats --year -2026: exit 64, one line" stats --year -2026
usage "stats --year ' 2026': exit 64, one line" stats --year ' 2026'
usage "stats --year '': exit 64, one line" stats --year ''
usage "stats --year 99999999999999999999: exit 64, one line" \
    stats --year 99999999999999999999
# getopt's own complaint comes with the usage line.
for a in "--bogus" "2026"; do
	h stats $a
	if [ "$rc" -eq 64 ] && [ "$(wc -l <"$tmp/err")" -eq 2 ] &&
	    tail -1 "$tmp/err" | grep -q '^usage: hlx \[-c FILE\] stats' &&
	    [ ! -s "$tmp/out" ]; then
		ok "stats $a: exit 64, one line and the usage line"
	else
		notok "stats $a: exit 64, one line and the usage line" \
		    "exit $rc; $(outs)"
	fi
done

# A missing configuration is exit 78, not a figure.
"$hlx" -c "$tmp/none.conf" stats >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ "$rc" -eq 78 ] && [ ! -s "$tmp/out" ] && [ "$(wc -l <"$tmp/err")" -eq 1 ]; then
	ok "stats without a configuration: exit 78, one line"
else
	notok "stats without a configuration: exit 78, one line" "exit $rc; $(outs)"
fi

finish
