#!/bin/sh
# manpages.sh BINDIR -- the manual pages hlx(1), hlx.conf(5), hlxd(8)
# (issue 7, "Ready for an operator").
#
# What the pages must cover is read from the code, never from a list kept
# here, so that a new directive, command or option without documentation
# fails this suite:
#   - mandoc -T lint -W warning finds nothing in any page, and each has the
#     sections an operator looks for;
#   - every directive of src/conf.c's table (conf_keys[]) has an entry
#     ".It Ic NAME" under ".Ss [SECTION]" in hlx.conf.5, and that entry
#     gives its default (or says it is required) and whether SIGHUP applies
#     it; hlx.conf.5 documents no directive the parser does not know;
#   - every command that `BINDIR/hlx --help` lists has an entry
#     ".It Cm NAME ..." in hlx.1 whose head names every --option of the
#     command's usage line;
#   - every option that `BINDIR/hlxd -h` lists has an entry ".It Fl X" in
#     hlxd.8, which also documents SIGHUP and SIGTERM;
#   - `make install DESTDIR=TMP PREFIX=/usr` installs the three pages,
#     mode 0644, byte for byte.
# Everything happens in a mktemp -d directory; nothing outside it changes,
# except that `make install` first builds bin/ if it is out of date.  One
# TAP line a check.
set -u
# sort and comm must agree on one order; tr on what a letter is.
LC_ALL=C
export LC_ALL

bindir=$(cd "${1:-bin}" && pwd) || exit 2
top=$(cd "$(dirname "$0")/../.." && pwd) || exit 2
hlx="$bindir/hlx"
hlxd="$bindir/hlxd"
man="$top/man"
n=0
fail=0
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' HUP INT TERM

ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); fail=$((fail + 1)); echo "not ok $n - $1: $2"; }
finish() {
	echo "1..$n"
	echo "manpages: $((n - fail)) passed, $fail failed"
	[ "$fail" -eq 0 ]
	exit
}
# The first lines of a file, on one line, for a failure's reason.
first() { head -n "${2:-3}" "$1" | tr '\n' ' ' | cut -c 1-400; }

for tool in mandoc make awk sed cmp stat; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "Bail out! $tool is needed (mandoc: Debian package mandoc)"
		exit 2
	fi
done
for prog in "$hlx" "$hlxd"; do
	if [ ! -x "$prog" ]; then
		echo "Bail out! no $prog (make first)"
		exit 2
	fi
done

pages="hlx.1 hlx.conf.5 hlxd.8"

# ------------------------------------------------------------ lint, layout

for p in $pages; do
	if [ ! -f "$man/$p" ]; then
		notok "man/$p exists" "no such file"
		continue
	fi
	mandoc -T lint -W warning "$man/$p" >"$tmp/lint" 2>&1
	rc=$?
	if [ "$rc" -eq 0 ] && [ ! -s "$tmp/lint" ]; then
		ok "mandoc -T lint -W warning man/$p is clean"
	else
		notok "mandoc -T lint -W warning man/$p is clean" \
		    "exit $rc; $(first "$tmp/lint" 5)"
	fi

	# .Dt names the file: HLX.CONF 5 for hlx.conf.5.
	name=${p%.*}
	sec=${p##*.}
	want=".Dt $(printf '%s' "$name" | tr '[:lower:]' '[:upper:]') $sec"
	if grep -qxF "$want" "$man/$p"; then
		ok "man/$p: $want"
	else
		notok "man/$p: $want" "got \"$(grep -m1 '^\.Dt' "$man/$p")\""
	fi

	# The sections an operator looks for (mdoc(7) names, its order is
	# left to the lint above).
	case $p in
	*.1) need="NAME SYNOPSIS DESCRIPTION ENVIRONMENT FILES EXIT|STATUS EXAMPLES SEE|ALSO" ;;
	*.8) need="NAME SYNOPSIS DESCRIPTION ENVIRONMENT FILES EXIT|STATUS EXAMPLES SEE|ALSO SECURITY|CONSIDERATIONS" ;;
	*.5) need="NAME DESCRIPTION FILES EXAMPLES SEE|ALSO" ;;
	esac
	missing=
	for s in $need; do
		s=$(printf '%s' "$s" | tr '|' ' ')
		grep -qx "\.Sh $s" "$man/$p" || missing="$missing \"$s\""
	done
	if [ -z "$missing" ]; then
		ok "man/$p has its sections"
	else
		notok "man/$p has its sections" "missing:$missing"
	fi

	# Each of our own pages it refers to exists (names are single words).
	missing=
	# shellcheck disable=SC2013
	for ref in $(sed -n 's/^\.Xr \(hlx[a-z.]*\) \([0-9]\).*/\1.\2/p' \
	    "$man/$p" | sort -u); do
		[ -f "$man/$ref" ] || missing="$missing $ref"
	done
	if [ -z "$missing" ]; then
		ok "man/$p refers to no missing hlx page"
	else
		notok "man/$p refers to no missing hlx page" "missing:$missing"
	fi
done

# ------------------------------------------- hlx.conf.5 against src/conf.c

# "SECTION NAME" for every row KEY(K_ID, "SECTION", "NAME", ...) of the
# table conf_keys[], whatever its line breaks.
sed -n '/^static const struct conf_key conf_keys\[/,/^};/p' \
    "$top/src/conf.c" | tr '\n\t' '  ' |
    grep -o 'KEY([[:space:]]*K_[A-Z_]*,[[:space:]]*"[^"]*",[[:space:]]*"[^"]*"' |
    sed 's/^KEY([^"]*"\([^"]*\)",[[:space:]]*"\([^"]*\)"$/\1 \2/' \
    >"$tmp/directives"
# The ids of enum conf_key_id but K_COUNT: the table has one row each.
nids=$(sed -n '/^enum conf_key_id {/,/^};/p' "$top/src/conf.c" |
    grep -c '^[[:space:]]*K_[A-Z0-9_]*,')
nkeys=$(wc -l <"$tmp/directives")
if [ "$nkeys" -gt 0 ] && [ "$nkeys" -eq "$nids" ]; then
	ok "src/conf.c: $nkeys directives read from conf_keys[]"
else
	notok "src/conf.c: every directive read from conf_keys[]" \
	    "$nkeys rows read, $nids ids in enum conf_key_id"
fi

# "SECTION NAME FLAGS" for every ".It Ic NAME" under ".Ss [SECTION]":
# FLAGS holds D when the entry gives a default (or says "required"), R when
# it says whether SIGHUP applies it ("SIGHUP" or "restart").
awk '
function flush() {
	if (name != "")
		print sect, name, (d ? "D" : "") (r ? "R" : "") "-"
	name = ""
}
/^\.Sh/ { flush(); sect = ""; next }
/^\.Ss/ {
	flush(); sect = ""
	if (match($0, /\[[a-z_]+\]/))
		sect = substr($0, RSTART + 1, RLENGTH - 2)
	next
}
/^\.It Ic / && sect != "" { flush(); name = $3; d = 0; r = 0; next }
/^\.(It|El)/ { flush(); next }
name != "" {
	if ($0 ~ /[Dd]efault|[Rr]equired/) d = 1
	if ($0 ~ /SIGHUP|restart/) r = 1
}
END { flush() }
' "$man/hlx.conf.5" >"$tmp/documented"

while read -r sect name; do
	what="hlx.conf.5 documents [$sect] $name"
	flags=$(awk -v s="$sect" -v k="$name" '$1 == s && $2 == k { print $3 }' \
	    "$tmp/documented")
	case $flags in
	"") notok "$what" "no \".It Ic $name\" under \".Ss [$sect]\"" ;;
	*D*R*) ok "$what, its default and reload" ;;
	*R*) notok "$what" "its entry gives no default (nor \"required\")" ;;
	*D*) notok "$what" "its entry says nothing of SIGHUP or a restart" ;;
	*) notok "$what" "its entry gives no default and nothing of SIGHUP" ;;
	esac
done <"$tmp/directives"

sort "$tmp/directives" >"$tmp/directives.sorted"
awk '{ print $1, $2 }' "$tmp/documented" | sort >"$tmp/documented.sorted"
extra=$(comm -13 "$tmp/directives.sorted" "$tmp/documented.sorted" |
    tr '\n' ';')
if [ -z "$extra" ]; then
	ok "hlx.conf.5 documents no directive the parser does not know"
else
	notok "hlx.conf.5 documents no directive the parser does not know" \
	    "$extra"
fi

# --------------------------------------------- hlx.1 against `hlx --help`

"$hlx" --help >"$tmp/help" 2>&1
rc=$?
sed -n 's/^  hlx //p' "$tmp/help" >"$tmp/usages"
if [ "$rc" -eq 0 ] && [ -s "$tmp/usages" ]; then
	ok "hlx --help lists $(wc -l <"$tmp/usages") commands"
else
	notok "hlx --help lists the commands" "exit $rc; $(first "$tmp/help")"
fi
# A command is its first word, and the second when that is a word too
# ("peer add"; not "ID", "FILE.json", "[--json]").
while read -r w1 w2 rest; do
	case $w2 in
	[a-z]*) cmd="$w1 $w2" ;;
	*) cmd=$w1 ;;
	esac
	what="hlx.1 documents hlx $cmd"
	head=$(grep -E "^\.It Cm $cmd( |\$)" "$man/hlx.1" | head -n 1)
	if [ -z "$head" ]; then
		notok "$what" "no \".It Cm $cmd\" in man/hlx.1"
		continue
	fi
	missing=
	# mdoc writes --json as "Fl -json".
	for opt in $(printf '%s %s\n' "$w2" "$rest" |
	    grep -o -- '--[a-z][a-z-]*' | sort -u); do
		case "$head " in
		*"Fl ${opt#-} "*) ;;
		*) missing="$missing $opt" ;;
		esac
	done
	if [ -z "$missing" ]; then
		ok "$what and its options"
	else
		notok "$what" "its entry does not name$missing"
	fi
done <"$tmp/usages"

# ------------------------------------------- hlxd.8 against `hlxd -h`

"$hlxd" -h >"$tmp/dhelp" 2>&1
rc=$?
sed -n 's/^  -\([A-Za-z]\) .*/\1/p' "$tmp/dhelp" >"$tmp/dopts"
if [ "$rc" -eq 0 ] && [ -s "$tmp/dopts" ]; then
	ok "hlxd -h lists $(wc -l <"$tmp/dopts") options"
else
	notok "hlxd -h lists its options" "exit $rc; $(first "$tmp/dhelp")"
fi
while read -r o; do
	if grep -qE "^\.It Fl $o( |\$)" "$man/hlxd.8"; then
		ok "hlxd.8 documents -$o"
	else
		notok "hlxd.8 documents -$o" "no \".It Fl $o\" in man/hlxd.8"
	fi
done <"$tmp/dopts"
for sig in SIGHUP SIGTERM; do
	if grep -qE "^\.It Dv $sig( |\$)" "$man/hlxd.8"; then
		ok "hlxd.8 documents $sig"
	else
		notok "hlxd.8 documents $sig" "no \".It Dv $sig\" in man/hlxd.8"
	fi
done

# --------------------------------------------------------- make install

dest="$tmp/dest"
if (unset MANDIR; cd "$top" &&
    make --no-print-directory install DESTDIR="$dest" PREFIX=/usr) \
    >"$tmp/install.log" 2>&1; then
	ok "make install DESTDIR=... PREFIX=/usr"
else
	notok "make install DESTDIR=... PREFIX=/usr" \
	    "$(tail -n 3 "$tmp/install.log" | tr '\n' ' ')"
fi
for p in $pages; do
	f="$dest/usr/share/man/man${p##*.}/$p"
	what="make install puts $p in /usr/share/man/man${p##*.}, mode 0644"
	if [ ! -f "$f" ]; then
		notok "$what" "no $f"
	elif [ "$(stat -c %a "$f")" != 644 ]; then
		notok "$what" "mode $(stat -c %a "$f")"
	elif ! cmp -s "$f" "$man/$p"; then
		notok "$what" "differs from man/$p"
	else
		ok "$what"
	fi
done

finish
