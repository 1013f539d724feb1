#!/bin/sh
# make-certs.sh [--force] OUTDIR
#
# Makes example certificates for trying out and testing the gateway
# (docs: operations.md section 6), with the `openssl` command alone:
#
#   ca.crt, ca.key            an example CA (ECDSA P-256, 10 years)
#   hotline-be.example.crt/.key
#   hotline-nl.example.crt/.key
#   hotline-de.example.crt/.key
#                             ECDSA P-256 keys and certificates from that CA,
#                             CN and SAN DNS name = the file's name, plus
#                             SAN IP:127.0.0.1; usable as TLS server and client;
#                             valid for 2 years from now
#   rogue.crt, rogue.key      another key, with a certificate naming
#                             hotline-nl.example, from a second, unrelated CA
#                             (its pin matches nobody)
#   rogue-ca.crt              that unrelated CA's certificate (its key is
#                             thrown away)
#   expired.crt               a certificate from the example CA over
#                             hotline-nl.example's own key (same pin) that
#                             expired on 2021-01-01
#
# and prints each certificate's pin (base64 SHA-256 of its DER
# SubjectPublicKeyInfo), one line per certificate:  NAME.crt sha256//BASE64
#
# No private key is ever committed to the repository: OUTDIR belongs outside
# the source tree (or under build/), and `make demo` and the tests make their
# own. OUTDIR is created with mode 0700, every .key file is mode 0600, and an
# OUTDIR that already holds keys is refused unless --force is given.

set -eu
umask 077

prog=${0##*/}

usage() {
    echo "usage: $prog [--force] OUTDIR" >&2
    exit 64
}

force=0
case ${1-} in
    --force) force=1; shift ;;
    -h|--help) echo "usage: $prog [--force] OUTDIR"; exit 0 ;;
esac
[ $# -eq 1 ] || usage
out=$1
case $out in
    ''|-*) usage ;;
esac

command -v openssl >/dev/null 2>&1 || { echo "$prog: openssl not found" >&2; exit 1; }

NAMES="hotline-be.example hotline-nl.example hotline-de.example"
KEYS="ca.key rogue.key"
for n in $NAMES; do KEYS="$KEYS $n.key"; done

if [ -e "$out" ] && [ ! -d "$out" ]; then
    echo "$prog: $out exists and is not a directory" >&2
    exit 1
fi
if [ "$force" -eq 0 ]; then
    for k in $KEYS; do
        if [ -e "$out/$k" ]; then
            echo "$prog: $out already holds $k; refusing to overwrite keys (use --force to replace them)" >&2
            exit 1
        fi
    done
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/make-certs.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# Run openssl quietly; show its messages only if it fails.
ossl() {
    if ! openssl "$@" 2>"$tmp/err"; then
        echo "$prog: openssl $1 failed:" >&2
        cat "$tmp/err" >&2
        exit 1
    fi
}

newkey() {  # FILE
    ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
        -pkeyopt ec_param_enc:named_curve -out "$1"
    chmod 600 "$1"
}

serial() {  # a random, positive 128-bit serial number
    echo "0x$(openssl rand -hex 16)"
}

# Our own configuration, so that neither OPENSSL_CONF nor the system's
# openssl.cnf changes the result.
cat >"$tmp/openssl.cnf" <<'EOF'
[ req ]
distinguished_name = req_dn
prompt             = no
[ req_dn ]
CN = unused

[ v3_ca ]
basicConstraints       = critical, CA:TRUE
keyUsage               = critical, keyCertSign, cRLSign
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always

[ ca ]
default_ca = example_ca
[ example_ca ]
database        = $ENV::MC_DB
new_certs_dir   = $ENV::MC_NEWCERTS
serial          = $ENV::MC_SERIAL
default_md      = sha256
policy          = policy_any
unique_subject  = no
email_in_dn     = no
copy_extensions = none
[ policy_any ]
commonName = supplied
EOF
OPENSSL_CONF=$tmp/openssl.cnf
MC_DB=$tmp/index.txt
MC_NEWCERTS=$tmp/newcerts
MC_SERIAL=$tmp/serial
export OPENSSL_CONF MC_DB MC_NEWCERTS MC_SERIAL
: >"$MC_DB"
mkdir "$MC_NEWCERTS"
openssl rand -hex 16 >"$MC_SERIAL"

# Like a real network CA's, each certificate names where its CA publishes
# revocations (a synthetic address: nothing ever fetches it).  hlx itself
# revokes a partner by retiring its pin, not by CRL; the address is there
# so that the TLS audit sees certificates shaped like production ones.
leafext() {  # NAME -> extension file for a TLS server+client certificate
    cat >"$tmp/$1.ext" <<EOF
basicConstraints       = CA:FALSE
keyUsage               = critical, digitalSignature
extendedKeyUsage       = serverAuth, clientAuth
subjectAltName         = DNS:$1, IP:127.0.0.1
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always
crlDistributionPoints  = URI:http://crl.hotline-ca.example/ca.crl
EOF
}

selfsigned_ca() {  # KEY CRT CN
    newkey "$1"
    ossl req -new -x509 -config "$tmp/openssl.cnf" -extensions v3_ca \
        -key "$1" -out "$2" -subj "/CN=$3" -days 3650 -sha256 \
        -set_serial "$(serial)"
}

leaf() {  # NAME CAKEY CACRT OUTKEY OUTCRT
    newkey "$4"
    leafext "$1"
    ossl req -new -config "$tmp/openssl.cnf" -key "$4" -subj "/CN=$1" \
        -out "$tmp/$1.csr"
    ossl x509 -req -in "$tmp/$1.csr" -CA "$3" -CAkey "$2" \
        -set_serial "$(serial)" -days 730 -sha256 \
        -extfile "$tmp/$1.ext" -out "$5"
}

# Everything is made in $tmp/out and moved into OUTDIR only at the end.
mkdir "$tmp/out" "$tmp/rogue"
o=$tmp/out

# The example CA and the three hotlines.
selfsigned_ca "$o/ca.key" "$o/ca.crt" "Example Hotline Network CA"
for n in $NAMES; do
    leaf "$n" "$o/ca.key" "$o/ca.crt" "$o/$n.key" "$o/$n.crt"
done

# A rogue: an unrelated CA (its key stays in $tmp and is deleted) issues a
# certificate naming hotline-nl.example over a key of its own.
selfsigned_ca "$tmp/rogue/rogue-ca.key" "$o/rogue-ca.crt" "Rogue Example CA"
leaf hotline-nl.example "$tmp/rogue/rogue-ca.key" "$o/rogue-ca.crt" \
    "$o/rogue.key" "$o/rogue.crt"

# An expired certificate over hotline-nl.example's own key: `openssl x509 -req`
# cannot set a start date in openssl 3.0, so use `openssl ca`.
leafext hotline-nl.example
ossl req -new -config "$tmp/openssl.cnf" -key "$o/hotline-nl.example.key" \
    -subj "/CN=hotline-nl.example" -out "$tmp/expired.csr"
ossl ca -batch -notext -config "$tmp/openssl.cnf" \
    -cert "$o/ca.crt" -keyfile "$o/ca.key" -in "$tmp/expired.csr" \
    -startdate 20200101000000Z -enddate 20210101000000Z \
    -extfile "$tmp/hotline-nl.example.ext" -out "$o/expired.crt"

# Install into OUTDIR.
[ -d "$out" ] || mkdir -p "$out"    # mode 0700, parents too: umask 077
CRTS="ca.crt"
for n in $NAMES; do CRTS="$CRTS $n.crt"; done
CRTS="$CRTS rogue-ca.crt rogue.crt expired.crt"
for f in $KEYS $CRTS; do
    rm -f "$out/$f"
    mv "$o/$f" "$out/$f"
done
for k in $KEYS; do chmod 600 "$out/$k"; done

# Pins.
for c in $CRTS; do
    pin=$(openssl x509 -in "$out/$c" -pubkey -noout \
        | openssl pkey -pubin -outform der \
        | openssl dgst -sha256 -binary \
        | openssl base64 -A)
    if [ ${#pin} -ne 44 ]; then   # 32 bytes in base64
        echo "$prog: cannot compute the pin of $out/$c" >&2
        exit 1
    fi
    echo "$c sha256//$pin"
done
