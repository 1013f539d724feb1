/*
 * cert.c -- X.509 helpers: SPKI pins and what an operator sees of a
 * certificate.  See cert.h.
 *
 * SECURITY: the PEM text comes from an operator's file or a partner's
 * onboarding mail, so it is untrusted input.  It is parsed only by OpenSSL's
 * X.509 code from a read-only memory BIO; nothing here opens a file, asks
 * for a password, or keeps state between calls.  Everything we copy out is
 * bounded (pin, subject) and the subject is made printable, because it ends
 * up in logs and on terminals.
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "cert.h"

#define SHA256_BYTES	32
#define PIN_B64_LEN	44	/* 4 * ceil(32 / 3): 43 characters and one '=' */
#define SECS_PER_DAY	86400

static void
set_why(char *why, size_t whysz, const char *reason)
{
	if (why != NULL && whysz > 0)
		snprintf(why, whysz, "%s", reason);
}

/*
 * The password callback for PEM reading.  A PEM block with a
 * "Proc-Type: 4,ENCRYPTED" header would otherwise make OpenSSL's default
 * callback prompt on the controlling terminal: I/O from a pure module, and a
 * daemon that hangs.  A certificate is never encrypted, so refuse.
 */
static int
no_password(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

/*
 * "sha256//" + base64(SHA-256(der)) into out.  The bytes are hashed as
 * given: re-encoding could change them, and the pin must equal what libcurl
 * and the openssl(1) pipeline compute from the certificate.
 */
static int
pin_of(const unsigned char *der, size_t len, char *out, size_t outsz)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned char b64[PIN_B64_LEN + 1];
	unsigned int mdlen = 0;
	int n;

	if (outsz < CERT_PIN_LEN + 1)
		return -1;
	if (!EVP_Digest(der, len, md, &mdlen, EVP_sha256(), NULL) ||
	    mdlen != SHA256_BYTES)
		return -1;
	n = EVP_EncodeBlock(b64, md, SHA256_BYTES);
	if (n != PIN_B64_LEN)
		return -1;
	n = snprintf(out, outsz, "%s%s", CERT_PIN_PREFIX, (const char *)b64);
	if (n != CERT_PIN_LEN)
		return -1;
	return 0;
}

int
cert_pin_of_encoded(const unsigned char *der, size_t len, char *out,
    size_t outsz)
{
	if (der == NULL || len == 0 || out == NULL)
		return -1;
	return pin_of(der, len, out, outsz);
}

int
cert_pin_from_spki(const unsigned char *der, size_t len, char *out,
    size_t outsz)
{
	const unsigned char *p = der;
	X509_PUBKEY *pk = NULL;
	int rc = -1;

	ERR_set_mark();
	if (out != NULL && outsz > 0)
		out[0] = '\0';
	if (der == NULL || len == 0 || len > LONG_MAX || out == NULL)
		goto out;
	/*
	 * Only a whole, well-formed SubjectPublicKeyInfo gets a pin: a caller
	 * who passed a whole certificate, or a truncated key, would otherwise
	 * get a pin that silently matches nobody.  Unknown key algorithms
	 * still parse, so this does not restrict which keys can be pinned.
	 */
	pk = d2i_X509_PUBKEY(NULL, &p, (long)len);
	if (pk == NULL || p != der + len)
		goto out;
	if (pin_of(der, len, out, outsz) == -1) {
		out[0] = '\0';
		goto out;
	}
	rc = 0;
out:
	X509_PUBKEY_free(pk);
	/* Leave no error of ours in the thread's queue, and no success
	 * path's leftovers either; a caller's own errors stay. */
	ERR_pop_to_mark();
	return rc;
}

/* ASN.1 time (UTCTime or GeneralizedTime) to time_t, always in UTC. */
static int
asn1_time_to_time(const ASN1_TIME *at, time_t *t)
{
	struct tm tm;
	time_t v;

	memset(&tm, 0, sizeof(tm));
	if (at == NULL || ASN1_TIME_to_tm(at, &tm) != 1)
		return -1;
	v = timegm(&tm);
	/* -1 is also 1969-12-31T23:59:59Z, which timegm returns for that
	 * second alone; anything else is an overflow. */
	if (v == (time_t)-1 && !(tm.tm_year == 69 && tm.tm_mon == 11 &&
	    tm.tm_mday == 31 && tm.tm_hour == 23 && tm.tm_min == 59 &&
	    tm.tm_sec == 59))
		return -1;
	*t = v;
	return 0;
}

/*
 * The subject in RFC 2253 form.  OpenSSL already escapes control and
 * non-ASCII characters in that form; we replace anything still outside
 * printable ASCII with '?' anyway, because a partner chose these bytes and
 * they reach logs and terminals.  Being ASCII, the result can be cut at any
 * byte.
 */
static int
subject_of(const X509 *x, char *out, size_t outsz)
{
	const X509_NAME *name;
	BIO *mem = NULL;
	char *data = NULL;
	long n;
	size_t i, len;
	int rc = -1;

	out[0] = '\0';
	if ((name = X509_get_subject_name(x)) == NULL)
		goto out;
	if ((mem = BIO_new(BIO_s_mem())) == NULL)
		goto out;
	if (X509_NAME_print_ex(mem, name, 0, XN_FLAG_RFC2253) < 0)
		goto out;
	n = BIO_get_mem_data(mem, &data);
	if (n < 0 || (n > 0 && data == NULL))
		goto out;
	len = (size_t)n;
	if (len > outsz - 1)
		len = outsz - 1;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)data[i];
		out[i] = (c >= 0x20 && c <= 0x7e) ? (char)c : '?';
	}
	out[len] = '\0';
	rc = 0;
out:
	BIO_free(mem);
	return rc;
}

/* Fills out from x; NULL, or why not (out then partly filled). */
static const char *
info_of(const X509 *x, struct cert_info *out)
{
	const X509_PUBKEY *pk;
	unsigned char *der = NULL;
	const char *reason = NULL;
	int derlen;

	pk = X509_get_X509_PUBKEY(x);
	if (pk == NULL ||
	    (derlen = i2d_X509_PUBKEY(pk, &der)) <= 0 || der == NULL) {
		reason = "certificate has no public key";
		goto out;
	}
	if (pin_of(der, (size_t)derlen, out->pin, sizeof(out->pin)) == -1) {
		reason = "cannot compute the certificate's pin";
		goto out;
	}
	if (subject_of(x, out->subject, sizeof(out->subject)) == -1) {
		reason = "cannot print the certificate's subject";
		goto out;
	}
	if (asn1_time_to_time(X509_get0_notBefore(x), &out->not_before) == -1) {
		reason = "certificate has a bad notBefore time";
		goto out;
	}
	if (asn1_time_to_time(X509_get0_notAfter(x), &out->not_after) == -1) {
		reason = "certificate has a bad notAfter time";
		goto out;
	}
out:
	OPENSSL_free(der);
	return reason;
}

int
cert_info_of_x509(const struct x509_st *x, struct cert_info *out, char *why,
    size_t whysz)
{
	const char *reason;

	ERR_set_mark();
	set_why(why, whysz, "");
	memset(out, 0, sizeof(*out));
	if ((reason = info_of(x, out)) != NULL) {
		set_why(why, whysz, reason);
		memset(out, 0, sizeof(*out));
	}
	ERR_pop_to_mark();
	return reason != NULL ? -1 : 0;
}

int
cert_info_from_pem(const char *buf, size_t len, struct cert_info *out,
    char *why, size_t whysz)
{
	BIO *bio = NULL;
	X509 *x = NULL;
	const char *reason = "out of memory";
	int rc = -1;

	ERR_set_mark();
	set_why(why, whysz, "");
	if (out == NULL) {
		reason = "no output";
		goto out;
	}
	memset(out, 0, sizeof(*out));
	if (buf == NULL || len == 0) {
		reason = "empty input";
		goto out;
	}
	if (len > INT_MAX) {	/* BIO_new_mem_buf takes an int */
		reason = "input too large";
		goto out;
	}
	/* Read-only and not copied: the BIO points into the caller's buf. */
	if ((bio = BIO_new_mem_buf(buf, (int)len)) == NULL)
		goto out;
	/* Skips any other PEM blocks (a key, say) before the first
	 * CERTIFICATE block, as openssl x509 does. */
	if ((x = PEM_read_bio_X509(bio, NULL, no_password, NULL)) == NULL) {
		reason = "not a PEM certificate";
		goto out;
	}

	if ((reason = info_of(x, out)) != NULL)
		goto out;
	rc = 0;
out:
	if (rc == -1) {
		set_why(why, whysz, reason);
		/* No half-filled result: a caller that ignores rc must not
		 * find a pin in it. */
		if (out != NULL)
			memset(out, 0, sizeof(*out));
	}
	X509_free(x);
	BIO_free(bio);
	ERR_pop_to_mark();
	return rc;
}

static int
is_b64(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '+' || c == '/';
}

/* The 6-bit value of a base64 character (is_b64 holds). */
static unsigned
b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return (unsigned)(c - 'A');
	if (c >= 'a' && c <= 'z')
		return (unsigned)(c - 'a') + 26;
	if (c >= '0' && c <= '9')
		return (unsigned)(c - '0') + 52;
	return c == '+' ? 62 : 63;
}

const char *
cert_check_pin(const char *s)
{
	const size_t pre = sizeof(CERT_PIN_PREFIX) - 1;
	unsigned char dec[PIN_B64_LEN];	/* 33 bytes decoded, with room */
	const char *b;
	size_t i, n;

	if (s == NULL || *s == '\0')
		return "empty pin";
	/* Case matters: libcurl accepts only the lower-case prefix. */
	if (strncmp(s, CERT_PIN_PREFIX, pre) != 0)
		return "pin does not start with \"sha256//\"";
	b = s + pre;
	n = strnlen(b, PIN_B64_LEN + 1);	/* no need to scan a huge string */
	if (n != PIN_B64_LEN)
		return "pin is not 44 base64 characters after \"sha256//\"";
	for (i = 0; i < PIN_B64_LEN; i++) {
		if (is_b64((unsigned char)b[i]))
			continue;
		if (b[i] != '=' || i < PIN_B64_LEN - 2)
			return "pin has a character that is not base64";
	}
	/* The last two: 32 bytes end in one pad, "X=".  "==" is 31 bytes and
	 * no pad 33: a hash of another length, so not a SHA-256 pin. */
	if (b[PIN_B64_LEN - 2] == '=' && b[PIN_B64_LEN - 1] == '=')
		return "pin decodes to 31 bytes, not 32 (SHA-256)";
	if (is_b64((unsigned char)b[PIN_B64_LEN - 2]) &&
	    is_b64((unsigned char)b[PIN_B64_LEN - 1]))
		return "pin decodes to 33 bytes, not 32 (SHA-256)";
	if (b[PIN_B64_LEN - 2] == '=')		/* "=X" */
		return "pin has bad base64 padding";
	/*
	 * The last character before '=' carries 4 bits of data and 2 unused
	 * bits.  Decoders ignore those bits, but pins are compared as text:
	 * a pin with them set would name the right key and match nothing.
	 */
	if (b64_value((unsigned char)b[PIN_B64_LEN - 2]) & 0x3)
		return "pin is not canonical base64 (last character before "
		    "'=' has unused bits set)";
	/*
	 * EVP_DecodeBlock ignores padding: it returns 3 bytes for every 4
	 * characters, the pad decoding as a zero byte, so 44 characters with
	 * one '=' give 33 bytes of which the last is padding.  Belt and
	 * braces after the checks above.
	 */
	if (EVP_DecodeBlock(dec, (const unsigned char *)b, PIN_B64_LEN) !=
	    SHA256_BYTES + 1)
		return "pin is not valid base64";
	return NULL;
}

long
cert_days_left(time_t t, time_t now)
{
	intmax_t qt, qn, rt, rn, d;

	/*
	 * Floor-divide each operand first: t - now itself can overflow for
	 * extreme values (a notAfter of 9999 against a bogus clock), which is
	 * undefined behaviour.  With t = qt*D + rt and 0 <= rt < D (same for
	 * now), the answer is qt - qn, one less when rt < rn.
	 */
	qt = (intmax_t)t / SECS_PER_DAY;
	rt = (intmax_t)t % SECS_PER_DAY;
	if (rt < 0) {
		qt--;
		rt += SECS_PER_DAY;
	}
	qn = (intmax_t)now / SECS_PER_DAY;
	rn = (intmax_t)now % SECS_PER_DAY;
	if (rn < 0) {
		qn--;
		rn += SECS_PER_DAY;
	}
	d = qt - qn - (rt < rn ? 1 : 0);
	if (d > LONG_MAX)
		return LONG_MAX;
	if (d < LONG_MIN)
		return LONG_MIN;
	return (long)d;
}
