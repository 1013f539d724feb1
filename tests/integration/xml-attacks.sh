#!/bin/sh
# xml-attacks.sh BINDIR -- hostile input is refused, and refused cheaply.
#
# Each attack is generated at test time in a temporary directory and given
# to `hlx validate` (or `hlx translate` for JSON records) inside a subshell
# whose resources are capped with ulimit: address space (MEM_KB), CPU
# seconds (CPU_S), size of any file written (FSIZE, 512-byte blocks) and no
# core files.  An attack that the parser let run (entity expansion, deep
# recursion, reading a huge input) would hit a cap and the process would be
# killed (exit > 128) or starve of memory: both count as failures.  No
# stopwatch is used.  Every run must also:
#   - exit as expected (65 for a refusal, 0 for the valid edges) with the
#     expected Error code and reason;
#   - print at most MAXOUT bytes in all (no echo of the attack);
#   - never print the random marker kept in secret.txt (no file disclosure).
# Data: tests/integration/data/referral.xml (a valid Referral, synthetic) and
# tests/integration/data/record.json (a valid case record without
# "internal").  Prints one TAP line per check.
#
# ulimit -v, -t and -c are not in POSIX (only -f is) but dash, bash, ksh and
# busybox ash all have them; a shell without them fails every check with
# "could not set the resource limits".  Under ASan (make SANITIZE=...) the
# address-space cap cannot work: run this against the plain build.
# shellcheck disable=SC3045
set -u

MEM_KB=262144	# 256 MiB of address space
CPU_S=5		# CPU seconds
FSIZE=2048	# 1 MiB (ulimit -f counts 512-byte blocks in sh)
MAXOUT=512	# bytes of stdout + stderr allowed for a refusal
MAX_MSG=4194304	# max_message_bytes in tests/hlx-test.conf
MAX_REC=4194304	# HLX_RECORD_MAX_BYTES
EXT_NS=urn:example:ext

bindir=$(cd "${1:-bin}" && pwd) || exit 2
top=$(cd "$(dirname "$0")/../.." && pwd) || exit 2
conf="$top/tests/hlx-test.conf"
data="$top/tests/integration/data"
hlx="$bindir/hlx"
n=0
fail=0
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' HUP INT TERM

ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); fail=$((fail + 1)); echo "not ok $n - $1: $2"; }

if [ ! -x "$hlx" ] || [ ! -f "$data/referral.xml" ] ||
    [ ! -f "$data/record.json" ]; then
	echo "Bail out! need $hlx and $data/{referral.xml,record.json}"
	exit 2
fi

# ---------------------------------------------------------------- helpers

# limited CMD...: run CMD in $tmp under the caps; stdout, stderr to files,
# exit status in $rc (125: the caps could not be set).  With $feed set, the
# file $feed is piped into CMD's standard input (the streamed path).
feed=
limited() {
	(
		ulimit -v "$MEM_KB" && ulimit -t "$CPU_S" &&
		    ulimit -f "$FSIZE" && ulimit -c 0 || exit 125
		cd "$tmp" || exit 125
		if [ -n "$feed" ]; then
			# A pipe, not a file: the size is not known up front.
			# shellcheck disable=SC2002
			cat "$feed" | "$@"
		else
			exec "$@" </dev/null
		fi
	) >"$tmp/out" 2>"$tmp/err"
	rc=$?
}

validate() { limited "$hlx" -c "$conf" validate "$1"; }
translate() {
	limited "$hlx" -c "$conf" translate "$1" --recipient hotline-nl.example \
	    --message-id 00000000-0000-4000-8000-000000000001 \
	    --sent-at 2026-11-28T12:00:00Z
}

bytes() { wc -c <"$1" | tr -d ' '; }
# The first line of stderr, for a failure report (never the marker itself).
firstline() {
	head -n 1 "$tmp/err" | sed "s/${marker:-^\$}/<MARKER>/g" | cut -c 1-160
}

# judge NAME RCS OUTCOMES LABEL ERE [MAXOUT]
#   RCS       exit statuses allowed, e.g. "65" or "0 65";
#   OUTCOMES  what the run must end in: "valid" (stdout is exactly
#             "valid"), an Error code (stderr "hlx: LABEL: CODE: ..."),
#             several of those separated by spaces, or "-" for no check;
#   ERE       extended regex that stderr must match ("" for none);
#   MAXOUT    bytes of stdout + stderr allowed.
judge() {
	_name=$1 _rcs=$2 _outs=$3 _label=$4 _re=$5 _max=${6:-$MAXOUT}
	_why=
	if [ "$rc" -eq 125 ]; then
		_why="could not set the resource limits"
	elif [ "$rc" -gt 128 ]; then
		_why="killed by signal $((rc - 128)) under ulimit -v $MEM_KB -t $CPU_S: not refused cheaply"
	fi
	if [ -n "$marker" ] && grep -qF "$marker" "$tmp/out" "$tmp/err"; then
		_why="${_why:+$_why; }the secret marker appears in the output (file disclosure)"
	fi
	if [ -z "$_why" ]; then
		case " $_rcs " in
		*" $rc "*) ;;
		*) _why="exit $rc, expected $_rcs" ;;
		esac
	fi
	if [ -z "$_why" ] && [ "$_outs" != - ]; then
		if [ "$rc" -eq 0 ] && [ "$(cat "$tmp/out")" = valid ] &&
		    [ ! -s "$tmp/err" ]; then
			_got=valid
		else
			_got=$(sed -n "s/^hlx: $_label: \\([A-Z_]*\\): .*/\\1/p" \
			    "$tmp/err" | head -n 1)
		fi
		case " $_outs " in
		*" ${_got:-none} "*) ;;
		*) _why="got ${_got:-nothing}, expected $_outs" ;;
		esac
	fi
	if [ -z "$_why" ] && [ -n "$_re" ] && ! grep -qE -- "$_re" "$tmp/err"; then
		_why="the reason does not match /$_re/"
	fi
	if [ -z "$_why" ] && grep -qi 'memory' "$tmp/err"; then
		_why="ran out of memory under the limit"
	fi
	if [ -z "$_why" ]; then
		_sz=$(( $(bytes "$tmp/out") + $(bytes "$tmp/err") ))
		[ "$_sz" -gt "$_max" ] &&
		    _why="printed $_sz bytes, more than $_max (echo of the input?)"
	fi
	if [ -z "$_why" ]; then
		ok "$_name"
	else
		notok "$_name" "$_why${rc:+ [exit $rc: $(firstline)]}"
	fi
}

ref="$data/referral.xml"
doctype_re='DOCTYPE is not allowed'

# with_doctype DOCTYPE [SED]: the Referral with DOCTYPE after the XML
# declaration, edited by SED.
with_doctype() {
	head -n 1 "$ref"
	printf '%s\n' "$1"
	sed 1d "$ref" | sed "${2:-}"
}

# with_ext TEXT: the Referral with TEXT in its extension point.
with_ext() {
	sed '/<\/Referral>/,$d' "$ref"
	printf '%s\n' "$1"
	printf '  </Referral>\n</Message>\n'
}

# nested_ext N: the Referral with N nested elements of another namespace in
# its extension point (Message is depth 1, Referral 2: total depth N + 2).
nested_ext() {
	sed '/<\/Referral>/,$d' "$ref"
	awk -v n="$1" -v ns="$EXT_NS" 'BEGIN {
		printf "    <x:e xmlns:x=\"%s\">", ns
		for (i = 1; i < n; i++) printf "<x:e>"
		for (i = 0; i < n; i++) printf "</x:e>"
		printf "\n"
	}'
	printf '  </Referral>\n</Message>\n'
}

# pad N: N bytes of "a" (from a regular file, so dd reads them whole).
dd if=/dev/zero bs=1048576 count=13 2>/dev/null | tr '\0' a >"$tmp/pad"
pad() { [ "$1" -gt 0 ] && dd if="$tmp/pad" bs="$1" count=1 2>/dev/null; }

# sized_msg BYTES: the Referral padded with a trailing comment to BYTES.
sized_msg() {
	_base=$(( $(bytes "$ref") + 8 ))	# "<!--" "-->\n"
	cat "$ref"
	printf '<!--'
	pad $(($1 - _base))
	printf -- '-->\n'
}

# record INTERNAL: the record with "internal": INTERNAL as last member.
record() {
	sed '$d' "$data/record.json" | sed '$s/$/,/'
	printf '  "internal": %s\n}\n' "$1"
}

# sized_record BYTES: a record of BYTES, padded in internal.notes.
sized_record() {
	_base=$(( $(record '{"notes": ""}' | wc -c) ))
	sed '$d' "$data/record.json" | sed '$s/$/,/'
	printf '  "internal": {"notes": "'
	pad $(($1 - _base))
	printf '"}\n}\n'
}

# nested_record DEPTH: the record (depth 1) whose internal (depth 2) nests
# objects down to DEPTH.
nested_record() {
	record "$(awk -v n="$(($1 - 1))" 'BEGIN {
		for (i = 1; i < n; i++) printf "{\"n\": "
		printf "{}"
		for (i = 1; i < n; i++) printf "}"
	}')"
}

marker=
secret="$tmp/secret.txt"

# ------------------------------------------------- the harness and baselines

# The caps must bite: a 300 MiB buffer cannot be had, a busy loop is killed.
(ulimit -v "$MEM_KB" || exit 125
    exec dd if=/dev/zero of=/dev/null bs=314572800 count=1) >/dev/null 2>&1
rc=$?
if [ "$rc" -ne 0 ] && [ "$rc" -ne 125 ]; then
	ok "harness: ulimit -v $MEM_KB refuses a 300 MiB allocation"
else
	notok "harness: ulimit -v $MEM_KB refuses a 300 MiB allocation" "exit $rc"
fi
# (The outer braces keep the shell's "Killed" notice off the output.)
rc=$({ (ulimit -t 1 || exit 125
    exec sh -c 'while :; do :; done') >/dev/null 2>&1; echo $?; } 2>/dev/null)
if [ "$rc" -gt 128 ]; then
	ok "harness: ulimit -t kills a busy loop (exit $rc)"
else
	notok "harness: ulimit -t kills a busy loop" "exit $rc"
fi

cp "$ref" "$tmp/valid.xml"
validate valid.xml
judge "baseline: the valid Referral is valid under the limits" 0 valid valid.xml ""

record '{"analyst": "analyst-2"}' >"$tmp/valid.json"
translate valid.json
judge "baseline: a valid record translates under the limits" 0 - valid.json "" 4096
if grep -q '<Referral>' "$tmp/out"; then
	ok "baseline: translate printed a Referral"
else
	notok "baseline: translate printed a Referral" "it did not"
fi

# The secret a disclosure would leak: a fresh random marker.
marker="hlx-secret-$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')"
if [ ${#marker} -ne 43 ]; then
	echo "Bail out! no random marker from /dev/urandom"
	exit 2
fi
printf '%s\n' "$marker" >"$secret"

# ------------------------------------------------------ 1. billion laughs

{
	printf '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE Message [\n'
	printf '  <!ENTITY l0 "lol">\n'
	i=1
	while [ $i -le 10 ]; do
		printf '  <!ENTITY l%d "' $i
		j=0
		while [ $j -lt 10 ]; do printf '&l%d;' $((i - 1)); j=$((j + 1)); done
		printf '">\n'
		i=$((i + 1))
	done
	printf ']>\n'
} >"$tmp/laughs.xml"
sed 1d "$ref" | sed 's|<Provider>[^<]*</Provider>|<Provider>\&l10;</Provider>|' \
    >>"$tmp/laughs.xml"
validate laughs.xml
judge "billion laughs (10 levels of 10) is MALFORMED" 65 MALFORMED laughs.xml "$doctype_re"

# ------------------------------------------------ 2. external entities (XXE)

with_doctype "<!DOCTYPE Message [ <!ENTITY x SYSTEM \"file://$secret\"> ]>" \
    's|<Provider>[^<]*</Provider>|<Provider>\&x;</Provider>|' >"$tmp/xxe.xml"
validate xxe.xml
judge "external entity to a local file in <Provider> is MALFORMED, not disclosed" \
    65 MALFORMED xxe.xml "$doctype_re"

with_doctype "<!DOCTYPE Message [ <!ENTITY x SYSTEM \"file://$secret\"> ]>" \
    's|jurisdiction="NL"|jurisdiction="\&x;"|' >"$tmp/xxe-attr.xml"
validate xxe-attr.xml
judge "external entity in an attribute is MALFORMED, not disclosed" \
    65 MALFORMED xxe-attr.xml "$doctype_re"

with_doctype "<!DOCTYPE Message [ <!ENTITY % x SYSTEM \"file://$secret\"> %x; ]>" \
    >"$tmp/xxe-pe.xml"
validate xxe-pe.xml
judge "external parameter entity %x; is MALFORMED, not disclosed" \
    65 MALFORMED xxe-pe.xml "$doctype_re"

# The classic out-of-band shape: an external DTD wraps the secret into a
# general entity used in the document.
printf '<!ENTITY %% wrap "<!ENTITY leak \047%%x;\047>"> %%wrap;\n' \
    >"$tmp/evil.dtd"
with_doctype "<!DOCTYPE Message [ <!ENTITY % x SYSTEM \"file://$secret\"> <!ENTITY % ext SYSTEM \"file://$tmp/evil.dtd\"> %ext; ]>" \
    's|<Provider>[^<]*</Provider>|<Provider>\&leak;</Provider>|' \
    >"$tmp/xxe-pe-dtd.xml"
validate xxe-pe-dtd.xml
judge "parameter entities through an external DTD file are MALFORMED, not disclosed" \
    65 MALFORMED xxe-pe-dtd.xml "$doctype_re"

with_ext "    <xi:include xmlns:xi=\"http://www.w3.org/2001/XInclude\" href=\"file://$secret\" parse=\"text\"/>" \
    >"$tmp/xinclude.xml"
validate xinclude.xml
judge "XInclude in an extension point is not expanded (valid or SCHEMA_INVALID), not disclosed" \
    "0 65" "valid SCHEMA_INVALID" xinclude.xml ""
if [ $rc -eq 0 ]; then echo "# XInclude in an extension point: valid"
else echo "# XInclude in an extension point: $(firstline)"; fi

sed 's|<Provider>[^<]*</Provider>|<Provider><xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="file://'"$secret"'" parse="text"/></Provider>|' \
    "$ref" >"$tmp/xinclude-provider.xml"
validate xinclude-provider.xml
judge "XInclude inside <Provider> is not expanded, not disclosed" \
    65 SCHEMA_INVALID xinclude-provider.xml ""

# ------------------------------------------------- 3. parameter entities

with_doctype '<!DOCTYPE Message [ <!ENTITY % p "<!ENTITY q &#39;boom&#39;>"> %p; ]>' \
    's|<Provider>[^<]*</Provider>|<Provider>\&q;</Provider>|' >"$tmp/pe.xml"
validate pe.xml
judge "internal parameter entity declaring an entity is MALFORMED" \
    65 MALFORMED pe.xml "$doctype_re"

# ------------------------------------------------------ 4. external DTDs

with_doctype '<!DOCTYPE Message SYSTEM "http://dtd.example/hlx.dtd">' \
    >"$tmp/dtd-system.xml"
validate dtd-system.xml
judge "external DTD (SYSTEM http://dtd.example/...) is MALFORMED" \
    65 MALFORMED dtd-system.xml "$doctype_re"

with_doctype '<!DOCTYPE Message PUBLIC "-//Example//DTD HLX 1//EN" "http://dtd.example/hlx.dtd">' \
    >"$tmp/dtd-public.xml"
validate dtd-public.xml
judge "external DTD (PUBLIC) is MALFORMED" \
    65 MALFORMED dtd-public.xml "$doctype_re"

with_doctype "<!DOCTYPE Message SYSTEM \"file://$secret\">" >"$tmp/dtd-file.xml"
validate dtd-file.xml
judge "external DTD naming a local file is MALFORMED, not disclosed" \
    65 MALFORMED dtd-file.xml "$doctype_re"

# ----------------------------------------------------- 5. quadratic blow-up

{
	head -n 1 "$ref"
	printf '<!DOCTYPE Message [ <!ENTITY a "'
	pad 100000
	printf '"> ]>\n'
	sed 1d "$ref" | sed '/<Provider>/,$d'
	printf '      <Provider>'
	awk 'BEGIN { for (i = 0; i < 50000; i++) printf "&a;" }'
	printf '</Provider>\n'
	sed '1,/<Provider>/d' "$ref"
} >"$tmp/quadratic.xml"
validate quadratic.xml
judge "quadratic blow-up (100,000-char entity x 50,000, $(bytes "$tmp/quadratic.xml") bytes) is MALFORMED" \
    65 MALFORMED quadratic.xml "$doctype_re"

# ------------------------------------------------------------ 6. nesting
# HLX_XML_MAX_DEPTH is 32: the deepest element allowed is at depth 32
# (Message = 1, Referral = 2, 30 extension levels).

nested_ext 10000 >"$tmp/deep.xml"
validate deep.xml
judge "10,000-deep nesting in an extension point is MALFORMED (depth limit)" \
    65 MALFORMED deep.xml 'depth'

nested_ext 29 >"$tmp/ext29.xml"
validate ext29.xml
judge "29 levels in an extension point (total depth 31) is valid" 0 valid ext29.xml ""

nested_ext 30 >"$tmp/ext30.xml"
validate ext30.xml
judge "edge: 30 levels in an extension point (total depth 32) is valid" 0 valid ext30.xml ""

nested_ext 31 >"$tmp/ext31.xml"
validate ext31.xml
judge "edge+1: 31 levels in an extension point (total depth 33) is MALFORMED" \
    65 MALFORMED ext31.xml 'depth'

# ------------------------------------------------ 6b. attributes, elements
# libxml2 2.9 checks duplicate attributes pairwise: 50,000 attributes on one
# element cost it 10 s of CPU.  They are counted before libxml2 runs.

many_attrs() {
	sed '/<\/Referral>/,$d' "$ref"
	awk -v n="$1" -v ns="$EXT_NS" 'BEGIN {
		printf "    <x:e xmlns:x=\"%s\"", ns
		for (i = 2; i <= n; i++) printf " x:a%d=\"v\"", i
		printf "/>\n"
	}'
	printf '  </Referral>\n</Message>\n'
}

# n elements in all: the Referral's own, plus empty extension elements.
many_elements() {
	own=$(grep -o '<[A-Za-z]' "$ref" | wc -l)
	sed '/<\/Referral>/,$d' "$ref"
	awk -v n="$(($1 - own))" -v ns="$EXT_NS" 'BEGIN {
		printf "    <x:e xmlns:x=\"%s\">", ns
		for (i = 1; i < n; i++) printf "<x:f/>"
		printf "</x:e>\n"
	}'
	printf '  </Referral>\n</Message>\n'
}

many_attrs 50000 >"$tmp/attrs50k.xml"
validate attrs50k.xml
judge "50,000 attributes on one element are MALFORMED, cheaply (quadratic in libxml2)" \
    65 MALFORMED attrs50k.xml 'more than 32 attributes'

many_attrs 32 >"$tmp/attrs32.xml"
validate attrs32.xml
judge "edge: 32 attributes on one element are valid" 0 valid attrs32.xml ""

many_attrs 33 >"$tmp/attrs33.xml"
validate attrs33.xml
judge "edge+1: 33 attributes on one element are MALFORMED" \
    65 MALFORMED attrs33.xml 'more than 32 attributes'

many_elements 65536 >"$tmp/elems64k.xml"
validate elems64k.xml
judge "edge: 65,536 elements in one message are valid" 0 valid elems64k.xml ""

many_elements 65537 >"$tmp/elems64k1.xml"
validate elems64k1.xml
judge "edge+1: 65,537 elements in one message are MALFORMED" \
    65 MALFORMED elems64k1.xml 'more than 65536 elements'

# --------------------------------------------------------------- 7. size

{
	sed '/<Provider>/,$d' "$ref"
	printf '      <Provider>'
	pad 12582912
	printf '</Provider>\n'
	sed '1,/<Provider>/d' "$ref"
} >"$tmp/big.xml"
validate big.xml
judge "a 12 MiB text node is TOO_LARGE" 65 TOO_LARGE big.xml "limit is $MAX_MSG"
feed="$tmp/big.xml" validate -
feed=
judge "a 12 MiB text node piped on stdin is TOO_LARGE" 65 TOO_LARGE - "limit is $MAX_MSG"

sized_msg $MAX_MSG >"$tmp/edge.xml"
sized_msg $((MAX_MSG + 1)) >"$tmp/edge1.xml"
if [ "$(bytes "$tmp/edge.xml")" -ne $MAX_MSG ] ||
    [ "$(bytes "$tmp/edge1.xml")" -ne $((MAX_MSG + 1)) ]; then
	echo "Bail out! could not build messages of $MAX_MSG and $((MAX_MSG + 1)) bytes"
	exit 2
fi
validate edge.xml
judge "edge: a message of exactly $MAX_MSG bytes is valid" 0 valid edge.xml ""
validate edge1.xml
judge "edge+1: a message of $((MAX_MSG + 1)) bytes is TOO_LARGE" \
    65 TOO_LARGE edge1.xml "is $((MAX_MSG + 1)) bytes; the limit is $MAX_MSG"
feed="$tmp/edge.xml" validate -
feed=
judge "edge: $MAX_MSG bytes piped on stdin is valid" 0 valid - ""
feed="$tmp/edge1.xml" validate -
feed=
judge "edge+1: $((MAX_MSG + 1)) bytes piped on stdin is TOO_LARGE" \
    65 TOO_LARGE - "limit is $MAX_MSG"

# ------------------------------------------------------ 8. JSON records

sized_record $MAX_REC >"$tmp/rec-edge.json"
sized_record $((MAX_REC + 1)) >"$tmp/rec-edge1.json"
if [ "$(bytes "$tmp/rec-edge.json")" -ne $MAX_REC ] ||
    [ "$(bytes "$tmp/rec-edge1.json")" -ne $((MAX_REC + 1)) ]; then
	echo "Bail out! could not build records of $MAX_REC and $((MAX_REC + 1)) bytes"
	exit 2
fi
translate rec-edge.json
judge "edge: a record of exactly $MAX_REC bytes translates (internal stays home)" \
    0 - rec-edge.json "" 4096
translate rec-edge1.json
judge "edge+1: a record of $((MAX_REC + 1)) bytes is refused, naming the limit" \
    65 - rec-edge1.json "^hlx: rec-edge1\\.json: .*the limit is $MAX_REC"
if [ -s "$tmp/out" ]; then
	notok "edge+1: the refused record printed no message" "stdout not empty"
else
	ok "edge+1: the refused record printed no message"
fi
# The refusal should state the size it found (not asserted by the limit
# check above, so that it fails on its own).
if grep -qE "(^|[^0-9])$((MAX_REC + 1)) bytes" "$tmp/err"; then
	ok "edge+1: the refusal states the record's size, $((MAX_REC + 1)) bytes"
else
	notok "edge+1: the refusal states the record's size, $((MAX_REC + 1)) bytes" \
	    "got: $(firstline)"
fi
feed="$tmp/rec-edge1.json" translate -
feed=
judge "edge+1: a record of $((MAX_REC + 1)) bytes piped on stdin is refused" \
    65 - - "^hlx: -: .*the limit is $MAX_REC"

# Depth counts the record itself as 1 and "internal" as 2.
nested_record 32 >"$tmp/rec-d32.json"
translate rec-d32.json
judge "a record nested 32 levels (internal holding 31) translates" 0 - rec-d32.json "" 4096
nested_record 33 >"$tmp/rec-d33.json"
translate rec-d33.json
judge "a record nested 33 levels (internal holding 32) is refused, naming the path" \
    65 - rec-d33.json "^hlx: rec-d33\\.json: internal(\\.n){31}: nested deeper than 32 levels"
nested_record 10000 >"$tmp/rec-deep.json"
translate rec-deep.json
judge "a record nested 10,000 levels is refused" 65 - rec-deep.json \
    "(nested deeper than 32 levels|invalid JSON)" 1024

# --------------------------------------------------------- 9. encodings

if command -v iconv >/dev/null 2>&1; then
	sed '1s/encoding="UTF-8"/encoding="UTF-16"/' "$ref" |
	    iconv -f UTF-8 -t UTF-16 >"$tmp/utf16.xml"
	validate utf16.xml
	judge "a UTF-16 document (with BOM) is MALFORMED" 65 MALFORMED utf16.xml ""
	sed '1s/encoding="UTF-8"/encoding="UTF-16LE"/' "$ref" |
	    iconv -f UTF-8 -t UTF-16LE >"$tmp/utf16le.xml"
	validate utf16le.xml
	judge "a UTF-16LE document (no BOM) is MALFORMED" 65 MALFORMED utf16le.xml ""
else
	notok "a UTF-16 document is MALFORMED" "iconv is not installed"
fi

sed '1s/encoding="UTF-8"/encoding="ISO-8859-1"/' "$ref" >"$tmp/latin1.xml"
validate latin1.xml
judge "an ISO-8859-1 declared document (ASCII only) is MALFORMED" \
    65 MALFORMED latin1.xml 'UTF-8'
sed '1s/encoding="UTF-8"/encoding="ISO-8859-1"/' "$ref" |
    sed "s|<Provider>[^<]*</Provider>|<Provider>Datacenter Li$(printf '\350')ge</Provider>|" \
    >"$tmp/latin1-byte.xml"
validate latin1-byte.xml
judge "an ISO-8859-1 document with a Latin-1 byte is MALFORMED" \
    65 MALFORMED latin1-byte.xml 'UTF-8'

echo "1..$n"
echo "xml-attacks: $((n - fail)) passed, $fail failed"
[ $fail -eq 0 ]
