#!/bin/sh
# embed.sh NAME FILE -- prints a C file defining NAME (the bytes of FILE, NUL
# terminated) and NAME_len, so a program carries the file it cannot lose.
set -eu
name=$1
file=$2
echo "/* generated from $file by scripts/embed.sh; do not edit */"
echo "#include <stddef.h>"
echo "extern const char $name[];"
echo "extern const size_t ${name}_len;"
echo "const char $name[] = {"
od -An -v -tx1 "$file" | sed -e 's/  */ /g' -e 's/^ //' -e '/^$/d' \
    -e 's/\([0-9a-f][0-9a-f]\)/0x\1,/g'
echo "0x00 };"
echo "const size_t ${name}_len = sizeof($name) - 1;"
