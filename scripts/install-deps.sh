#!/bin/sh
# Installs, with apt-get, exactly the Debian 12 packages that hlx's build, tests
# and demo use -- and only those that are missing. Run as root (make check and
# make demo call it first). Each package is listed with why in README.md.
set -eu

PACKAGES="
build-essential
pkg-config
libxml2-dev
libjansson-dev
libssl-dev
libcurl4-openssl-dev
libsqlite3-dev
libevent-dev
libhttp-parser-dev
libcmocka-dev
clang
libclang-rt-14-dev
python3
curl
libxml2-utils
sqlite3
strace
openssl
testssl.sh
sslscan
systemd
mandoc
"

missing=""
for p in $PACKAGES; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$st" in
	*"install ok installed"*) ;;
	*) missing="$missing $p" ;;
	esac
done

[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing Debian packages:$missing (run as root, or install them)" >&2
	exit 69
fi
echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
