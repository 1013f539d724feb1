#!/bin/sh
# depcheck.sh -- a lower layer never includes a higher one (STYLE.md).
# base: log arena util types file hlx_limits; pure: conf record message
# cert audit; adapters: setup store (and later transport, server, handoff);
# roles: the programs.  Prints one TAP line per source file.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
layer() {
	case "$1" in
	log|arena|util|types|hlx_limits|file) echo 0 ;;
	conf|record|message|message_int|schema_xsd|cert|audit|ingest|peertab|outcome|lifecycle|ratelimit) echo 1 ;;
	setup|store|store_int|store_sql|handoff|tls|server|metrics|admin|privdrop|fdbudget) echo 2 ;;
	hlx|hlxd|hlx_cli|hlxd_writer|hlxd_delivery) echo 3 ;;
	*) echo 9 ;;
	esac
}
n=0
fail=0
for f in src/*.c include/*.h; do
	base=$(basename "$f"); base=${base%.*}
	case "$base" in
	message_int|store_int|store_sql|hlx_cli|hlxd_writer|hlxd_delivery) mod=$base ;;
	message_*) mod=message ;;
	store_*) mod=store ;;
	hlx_*) mod=hlx ;;
	*) mod=$base ;;
	esac
	me=$(layer "$mod")
	bad=""
	for inc in $(sed -n 's/^#include "\(.*\)\.h"/\1/p' "$f"); do
		them=$(layer "$inc")
		[ "$them" -gt "$me" ] && bad="$bad $inc.h"
	done
	n=$((n + 1))
	# Pure modules never exit and do no I/O of their own.
	case "$mod" in conf|record|message|types|arena|cert|audit|ingest|peertab|outcome|lifecycle|ratelimit) pure=1 ;; *) pure=0 ;; esac
	if [ "$pure" = 1 ] && [ "${f##*.}" = c ] &&
	    grep -nE '\b(exit|fopen|open|printf|fprintf|socket)\(' "$f" |
	    grep -v snprintf | grep -q .; then
		bad="$bad (calls exit/I-O)"
	fi
	if [ "$me" = 9 ]; then
		echo "not ok $n - $f: not placed in a layer (scripts/depcheck.sh)"
		fail=$((fail + 1))
	elif [ -n "$bad" ]; then
		echo "not ok $n - $f includes a higher layer:$bad"
		fail=$((fail + 1))
	else
		echo "ok $n - $f"
	fi
done
[ $fail -eq 0 ]
