/*
 * test_cert -- SPKI pins, subjects, validity dates, pin syntax and days
 * left (cert.h).
 *
 * No key or certificate is committed: every certificate here is made in
 * memory at run time with a fresh P-256 key.  The pins they get are checked
 * against a second computation that shares no code with cert.c (SHA-256 of
 * i2d_PUBKEY, base64 by hand).  With HLX_CERT_DIR set to a directory made by
 * certs-example/make-certs.sh, every *.crt in it is also checked against the
 * openssl(1) pipeline that operations.md tells operators to run; without it
 * that test is skipped.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include "cert.h"

#define T_2020	((time_t)1577836800)	/* 2020-01-01T00:00:00Z */
#define T_2021	((time_t)1609459200)	/* 2021-01-01T00:00:00Z */
#define T_1960	((time_t)-315619200)	/* 1960-01-01T00:00:00Z, UTCTime */
#define T_2100	((time_t)4102444800)	/* 2100-01-01T00:00:00Z, GeneralizedTime */
#define FILE_MAX	(1024 * 1024)

/* A pin that is well-formed (the SHA-256 of the empty string). */
#define GOOD_PIN	"sha256//47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="

static EVP_PKEY *
new_key(void)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");

	assert_non_null(k);
	return k;
}

/* The contents of a memory BIO as a malloc'd, NUL-terminated string. */
static char *
bio_text(BIO *b, size_t *len)
{
	char *data = NULL, *s;
	long n = BIO_get_mem_data(b, &data);

	assert_true(n >= 0);
	s = malloc((size_t)n + 1);
	assert_non_null(s);
	if (n > 0)
		memcpy(s, data, (size_t)n);
	s[n] = '\0';
	*len = (size_t)n;
	return s;
}

/*
 * A self-signed certificate over key, PEM-encoded.  ous (may be NULL) are
 * added as OU entries before the CN, so that a test can make a long subject.
 */
static char *
make_cert_ous(EVP_PKEY *key, const char *cn, const char *const *ous,
    size_t nous, time_t nb, time_t na, size_t *len)
{
	X509 *x = X509_new();
	X509_NAME *name;
	BIO *b = BIO_new(BIO_s_mem());
	char *pem;
	size_t i;

	assert_non_null(x);
	assert_non_null(b);
	assert_int_equal(X509_set_version(x, X509_VERSION_3), 1);
	assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(x), 1), 1);
	assert_non_null(ASN1_TIME_set(X509_getm_notBefore(x), nb));
	assert_non_null(ASN1_TIME_set(X509_getm_notAfter(x), na));
	assert_int_equal(X509_set_pubkey(x, key), 1);
	name = X509_get_subject_name(x);
	for (i = 0; i < nous; i++)
		assert_int_equal(X509_NAME_add_entry_by_txt(name, "OU",
		    MBSTRING_UTF8, (const unsigned char *)ous[i], -1, -1, 0), 1);
	assert_int_equal(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
	    (const unsigned char *)cn, -1, -1, 0), 1);
	assert_int_equal(X509_set_issuer_name(x, name), 1);
	assert_true(X509_sign(x, key, EVP_sha256()) > 0);
	assert_int_equal(PEM_write_bio_X509(b, x), 1);
	pem = bio_text(b, len);
	BIO_free(b);
	X509_free(x);
	return pem;
}

static char *
make_cert(EVP_PKEY *key, const char *cn, time_t nb, time_t na, size_t *len)
{
	return make_cert_ous(key, cn, NULL, 0, nb, na, len);
}

/* Plain base64, written here so that the expected pin shares no code with
 * cert.c (which uses EVP_EncodeBlock). */
static void
b64(const unsigned char *in, size_t n, char *out)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i, o = 0;

	for (i = 0; i + 2 < n; i += 3) {
		unsigned long v = (unsigned long)in[i] << 16 |
		    (unsigned long)in[i + 1] << 8 | in[i + 2];
		out[o++] = tab[v >> 18 & 63];
		out[o++] = tab[v >> 12 & 63];
		out[o++] = tab[v >> 6 & 63];
		out[o++] = tab[v & 63];
	}
	if (n - i == 1) {
		unsigned long v = (unsigned long)in[i] << 16;
		out[o++] = tab[v >> 18 & 63];
		out[o++] = tab[v >> 12 & 63];
		out[o++] = '=';
		out[o++] = '=';
	} else if (n - i == 2) {
		unsigned long v = (unsigned long)in[i] << 16 |
		    (unsigned long)in[i + 1] << 8;
		out[o++] = tab[v >> 18 & 63];
		out[o++] = tab[v >> 12 & 63];
		out[o++] = tab[v >> 6 & 63];
		out[o++] = '=';
	}
	out[o] = '\0';
}

/* The expected pin of key: SHA-256 of its DER SubjectPublicKeyInfo. */
static void
expected_pin(EVP_PKEY *key, char *out, size_t outsz)
{
	unsigned char *der = NULL, md[SHA256_DIGEST_LENGTH];
	char enc[64];
	int n = i2d_PUBKEY(key, &der);

	assert_true(n > 0);
	assert_non_null(SHA256(der, (size_t)n, md));
	OPENSSL_free(der);
	b64(md, sizeof(md), enc);
	assert_int_equal(strlen(enc), 44);
	assert_true(snprintf(out, outsz, "sha256//%s", enc) == CERT_PIN_LEN);
}

static void
test_pin_matches_key(void **state)
{
	struct cert_info ci;
	char want[CERT_PIN_LEN + 1], spki[CERT_PIN_LEN + 1], why[128];
	unsigned char *der = NULL;
	EVP_PKEY *key = new_key();
	size_t len;
	char *pem = make_cert(key, "hotline-nl.example", T_2020, T_2021, &len);
	int n;

	(void)state;
	expected_pin(key, want, sizeof(want));
	assert_int_equal(cert_info_from_pem(pem, len, &ci, why, sizeof(why)), 0);
	assert_string_equal(why, "");
	assert_string_equal(ci.pin, want);
	assert_int_equal(strlen(ci.pin), CERT_PIN_LEN);
	assert_null(cert_check_pin(ci.pin));
	print_message("pin %s\n", ci.pin);

	/* The same from the DER SubjectPublicKeyInfo directly. */
	n = i2d_PUBKEY(key, &der);
	assert_true(n > 0);
	assert_int_equal(cert_pin_from_spki(der, (size_t)n, spki, sizeof(spki)),
	    0);
	assert_string_equal(spki, want);
	/* ... and without decoding it again (tls.c, for OpenSSL's own DER). */
	memset(spki, 0, sizeof(spki));
	assert_int_equal(cert_pin_of_encoded(der, (size_t)n, spki,
	    sizeof(spki)), 0);
	assert_string_equal(spki, want);
	assert_int_equal(cert_pin_of_encoded(der, 0, spki, sizeof(spki)), -1);
	OPENSSL_free(der);
	free(pem);
	EVP_PKEY_free(key);
}

/* What the TLS layers log of a refused peer certificate (issue 13): the
 * same pin, subject and dates from the certificate OpenSSL parsed as from
 * its PEM. */
static void
test_info_of_x509(void **state)
{
	struct cert_info a, b;
	char why[128];
	EVP_PKEY *key = new_key();
	size_t len;
	char *pem = make_cert(key, "hotline-nl.example", T_2020, T_2100, &len);
	BIO *bio = BIO_new_mem_buf(pem, (int)len);
	X509 *x;

	(void)state;
	assert_non_null(bio);
	x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	assert_non_null(x);
	assert_int_equal(cert_info_from_pem(pem, len, &a, NULL, 0), 0);
	assert_int_equal(cert_info_of_x509(x, &b, why, sizeof(why)), 0);
	assert_string_equal(why, "");
	assert_string_equal(a.pin, b.pin);
	assert_string_equal(b.subject, "CN=hotline-nl.example");
	assert_int_equal(b.not_before, T_2020);
	assert_int_equal(b.not_after, T_2100);
	X509_free(x);
	BIO_free(bio);
	free(pem);
	EVP_PKEY_free(key);
}

static void
test_pin_identifies_key(void **state)
{
	struct cert_info a, b, c;
	EVP_PKEY *k1 = new_key(), *k2 = new_key();
	size_t la, lb, lc;
	char *pa = make_cert(k1, "hotline-nl.example", T_2020, T_2021, &la);
	char *pb = make_cert(k1, "renamed.example", T_1960, T_2100, &lb);
	char *pc = make_cert(k2, "hotline-nl.example", T_2020, T_2021, &lc);

	(void)state;
	assert_int_equal(cert_info_from_pem(pa, la, &a, NULL, 0), 0);
	assert_int_equal(cert_info_from_pem(pb, lb, &b, NULL, 0), 0);
	assert_int_equal(cert_info_from_pem(pc, lc, &c, NULL, 0), 0);
	/* Name and dates are not part of the pin; the key is all of it. */
	assert_string_equal(a.pin, b.pin);
	assert_string_not_equal(a.pin, c.pin);
	assert_string_not_equal(a.subject, b.subject);
	free(pa);
	free(pb);
	free(pc);
	EVP_PKEY_free(k1);
	EVP_PKEY_free(k2);
}

static void
test_times(void **state)
{
	static const struct {
		time_t	nb, na;
	} rows[] = {
		{ T_2020, T_2021 },
		{ T_1960, T_2100 },		/* before 1970; after 2049 */
		{ (time_t)-1, (time_t)0 },	/* timegm's ambiguous -1 */
		{ T_2020 + 86399, T_2021 + 1 },
	};
	EVP_PKEY *key = new_key();
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct cert_info ci;
		char why[128];
		size_t len;
		char *pem = make_cert(key, "hotline-nl.example", rows[i].nb,
		    rows[i].na, &len);

		if (cert_info_from_pem(pem, len, &ci, why, sizeof(why)) != 0)
			fail_msg("times %lld..%lld: %s", (long long)rows[i].nb,
			    (long long)rows[i].na, why);
		print_message("times %lld..%lld -> %lld..%lld\n",
		    (long long)rows[i].nb, (long long)rows[i].na,
		    (long long)ci.not_before, (long long)ci.not_after);
		assert_true(ci.not_before == rows[i].nb);
		assert_true(ci.not_after == rows[i].na);
		free(pem);
	}
	EVP_PKEY_free(key);
}

static int
all_printable(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return 0;
	return 1;
}

static void
test_subject(void **state)
{
	static const char ou[] =
	    "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz0123456789";
	const char *const ous[] = { ou, ou, ou, ou, ou, ou };
	struct cert_info ci;
	EVP_PKEY *key = new_key();
	size_t len;
	char *pem;

	(void)state;
	pem = make_cert(key, "hotline-nl.example", T_2020, T_2021, &len);
	assert_int_equal(cert_info_from_pem(pem, len, &ci, NULL, 0), 0);
	print_message("subject \"%s\"\n", ci.subject);
	assert_non_null(strstr(ci.subject, "CN=hotline-nl.example"));
	free(pem);

	/* Control and non-ASCII characters a partner chose never reach a
	 * log or terminal as they are. */
	pem = make_cert(key, "bad\x01\x1b[2J\x7f" "caf\xc3\xa9\n", T_2020,
	    T_2021, &len);
	assert_int_equal(cert_info_from_pem(pem, len, &ci, NULL, 0), 0);
	print_message("subject \"%s\"\n", ci.subject);
	assert_true(all_printable(ci.subject));
	assert_non_null(strstr(ci.subject, "CN=bad"));
	free(pem);

	/* Longer than CERT_SUBJECT_MAX: cut, still terminated. */
	pem = make_cert_ous(key, "hotline-nl.example", ous,
	    sizeof(ous) / sizeof(ous[0]), T_2020, T_2021, &len);
	assert_int_equal(cert_info_from_pem(pem, len, &ci, NULL, 0), 0);
	assert_int_equal(strlen(ci.subject), CERT_SUBJECT_MAX - 1);
	assert_true(all_printable(ci.subject));
	assert_true(strncmp(ci.subject, "CN=hotline-nl.example,OU=", 25) == 0);
	free(pem);
	EVP_PKEY_free(key);
}

/* pem with s inserted at offset at: a malloc'd copy. */
static char *
splice(const char *pem, size_t len, size_t at, const char *s, size_t *outlen)
{
	size_t sl = strlen(s);
	char *r = malloc(len + sl + 1);

	assert_non_null(r);
	assert_true(at <= len);
	memcpy(r, pem, at);
	memcpy(r + at, s, sl);
	memcpy(r + at + sl, pem + at, len - at);
	r[len + sl] = '\0';
	*outlen = len + sl;
	return r;
}

static void
test_bad_pem(void **state)
{
	static const char garbage[] = "hello, this is not a certificate\n";
	static const char nodata[] = "-----BEGIN CERTIFICATE-----\n"
	    "AAAA\n-----END CERTIFICATE-----\n";
	static const char nobody[] = "-----BEGIN CERTIFICATE-----\n"
	    "-----END CERTIFICATE-----\n";
	EVP_PKEY *key = new_key();
	BIO *kb = BIO_new(BIO_s_mem());
	size_t len, klen, elen, first;
	char *pem = make_cert(key, "hotline-nl.example", T_2020, T_2021, &len);
	char *keypem, *enc;
	struct {
		const char	*name;
		const char	*buf;
		size_t		 len;
	} rows[8];
	size_t i, n = 0;

	(void)state;
	assert_non_null(kb);
	assert_int_equal(PEM_write_bio_PrivateKey(kb, key, NULL, NULL, 0,
	    NULL, NULL), 1);
	keypem = bio_text(kb, &klen);
	/* A CERTIFICATE block claiming to be encrypted: must fail without
	 * ever asking for a password. */
	first = (size_t)(strchr(pem, '\n') - pem) + 1;
	enc = splice(pem, len, first, "Proc-Type: 4,ENCRYPTED\n"
	    "DEK-Info: AES-128-CBC,00112233445566778899AABBCCDDEEFF\n\n",
	    &elen);

	rows[n].name = "garbage";
	rows[n].buf = garbage;
	rows[n++].len = sizeof(garbage) - 1;
	rows[n].name = "empty";
	rows[n].buf = "";
	rows[n++].len = 0;
	rows[n].name = "truncated";
	rows[n].buf = pem;
	rows[n++].len = len / 2;
	rows[n].name = "cut in the END line";
	rows[n].buf = pem;
	rows[n++].len = len - 8;
	rows[n].name = "private key";
	rows[n].buf = keypem;
	rows[n++].len = klen;
	rows[n].name = "not DER";
	rows[n].buf = nodata;
	rows[n++].len = sizeof(nodata) - 1;
	rows[n].name = "no body";
	rows[n].buf = nobody;
	rows[n++].len = sizeof(nobody) - 1;
	rows[n].name = "encrypted header";
	rows[n].buf = enc;
	rows[n++].len = elen;

	for (i = 0; i < n; i++) {
		struct cert_info ci;
		char why[128];

		memset(&ci, 'x', sizeof(ci));
		if (cert_info_from_pem(rows[i].buf, rows[i].len, &ci, why,
		    sizeof(why)) != -1)
			fail_msg("%s: accepted", rows[i].name);
		print_message("bad pem %-20s -> %s\n", rows[i].name, why);
		assert_true(why[0] != '\0');
		/* Nothing half-filled for a caller who ignores rc. */
		assert_string_equal(ci.pin, "");
		assert_string_equal(ci.subject, "");
		/* why may be left out. */
		assert_int_equal(cert_info_from_pem(rows[i].buf, rows[i].len,
		    &ci, NULL, 0), -1);
	}
	assert_int_equal(cert_info_from_pem(NULL, 10, &(struct cert_info){0},
	    NULL, 0), -1);
	assert_int_equal(cert_info_from_pem(pem, len, NULL, NULL, 0), -1);
	free(enc);
	free(keypem);
	free(pem);
	BIO_free(kb);
	EVP_PKEY_free(key);
}

static void
test_first_certificate(void **state)
{
	struct cert_info ci;
	char want[CERT_PIN_LEN + 1];
	EVP_PKEY *k1 = new_key(), *k2 = new_key();
	BIO *kb = BIO_new(BIO_s_mem());
	size_t l1, l2, lk, lall;
	char *p1 = make_cert(k1, "one.example", T_2020, T_2021, &l1);
	char *p2 = make_cert(k2, "two.example", T_2020, T_2021, &l2);
	char *keypem, *all;

	(void)state;
	assert_non_null(kb);
	assert_int_equal(PEM_write_bio_PrivateKey(kb, k2, NULL, NULL, 0,
	    NULL, NULL), 1);
	keypem = bio_text(kb, &lk);

	/* A key, then two certificates (a typical "bundle" file): the
	 * first certificate wins, the key is skipped. */
	lall = lk + l1 + l2;
	all = malloc(lall);
	assert_non_null(all);
	memcpy(all, keypem, lk);
	memcpy(all + lk, p1, l1);
	memcpy(all + lk + l1, p2, l2);
	expected_pin(k1, want, sizeof(want));
	assert_int_equal(cert_info_from_pem(all, lall, &ci, NULL, 0), 0);
	assert_string_equal(ci.pin, want);
	assert_non_null(strstr(ci.subject, "CN=one.example"));
	free(all);
	free(keypem);
	free(p1);
	free(p2);
	BIO_free(kb);
	EVP_PKEY_free(k1);
	EVP_PKEY_free(k2);
}

static void
test_pin_from_spki_bad(void **state)
{
	EVP_PKEY *key = new_key();
	unsigned char *der = NULL, *longer;
	char out[CERT_PIN_LEN + 1];
	int n = i2d_PUBKEY(key, &der);

	(void)state;
	assert_true(n > 0);
	longer = malloc((size_t)n + 1);
	assert_non_null(longer);
	memcpy(longer, der, (size_t)n);
	longer[n] = 0;

	assert_int_equal(cert_pin_from_spki(der, (size_t)n - 1, out,
	    sizeof(out)), -1);
	assert_string_equal(out, "");
	assert_int_equal(cert_pin_from_spki(longer, (size_t)n + 1, out,
	    sizeof(out)), -1);
	assert_int_equal(cert_pin_from_spki(der, (size_t)n, out,
	    sizeof(out) - 1), -1);
	assert_int_equal(cert_pin_from_spki(der, 0, out, sizeof(out)), -1);
	assert_int_equal(cert_pin_from_spki(NULL, 10, out, sizeof(out)), -1);
	assert_int_equal(cert_pin_from_spki((const unsigned char *)"\x30\x00",
	    2, out, sizeof(out)), -1);
	assert_int_equal(cert_pin_from_spki(der, (size_t)n, out, sizeof(out)),
	    0);
	assert_null(cert_check_pin(out));
	free(longer);
	OPENSSL_free(der);
	EVP_PKEY_free(key);
}

static void
test_check_pin(void **state)
{
	static const struct {
		const char	*pin;
		int		 ok;
	} rows[] = {
		{ GOOD_PIN, 1 },
		/* SHA-256 of "abc" */
		{ "sha256//ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=", 1 },
		{ "sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", 1 },
		{ "sha256////////////////////////////////////////////8=", 1 },
		{ "sha1//47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=", 0 },
		{ "SHA256//47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=", 0 },
		{ "sha256/47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=", 0 },
		{ "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=", 0 },
		{ " sha256//47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=", 0 },
		/* 43 and 45 characters */
		{ "sha256//47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuF=", 0 },
		{ "sha256//47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFUU=", 0 },
		{ "sha256//47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU", 0 },
		{ "sha256//47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n", 0 },
		{ "sha256//47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU= ", 0 },
		/* bad characters: URL-safe alphabet, space, '!' */
		{ "sha256//47DEQpj8HBSa-_TImW+5JCeuQeRkm5NMpJWZG3hSuFU=", 0 },
		{ "sha256//47DEQpj8HBSa+/TImW 5JCeuQeRkm5NMpJWZG3hSuFU=", 0 },
		{ "sha256//47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuF!=", 0 },
		{ "sha256//47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU!", 0 },
		/* bad padding */
		{ "sha256//47DEQpj8HBSa+/TImW+5JCeuQe=km5NMpJWZG3hSuFU=", 0 },
		{ "sha256//47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSu=U=", 0 },
		{ "sha256//47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuF=U", 0 },
		/* 31 bytes ("==") and 33 bytes (no pad), still 44 chars */
		{ "sha256//47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuA==", 0 },
		{ "sha256//47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFUA", 0 },
		/* right length, unused bits set: not what we would print */
		{ "sha256//47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFV=", 0 },
		{ "sha256//", 0 },
		{ "", 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const char *why = cert_check_pin(rows[i].pin);

		char shown[64];
		size_t k;

		/* One line per case, even for the row with a newline. */
		for (k = 0; rows[i].pin[k] != '\0' && k < sizeof(shown) - 1;
		    k++)
			shown[k] = rows[i].pin[k] == '\n' ? '$' : rows[i].pin[k];
		shown[k] = '\0';
		print_message("pin %-56s %s\n", shown, why == NULL ? "ok" : why);
		if ((why == NULL) != rows[i].ok)
			fail_msg("pin \"%s\": expected %s, got %s", rows[i].pin,
			    rows[i].ok ? "valid" : "invalid",
			    why == NULL ? "valid" : why);
	}
	assert_non_null(cert_check_pin(NULL));
}

static void
test_days_left(void **state)
{
	static const struct {
		long	delta;
		long	days;
	} rows[] = {
		{ 0, 0 }, { 1, 0 }, { 86399, 0 }, { 86400, 1 }, { 86401, 1 },
		{ 2 * 86400 - 1, 1 }, { 730L * 86400, 730 },
		{ -1, -1 }, { -86399, -1 }, { -86400, -1 }, { -86401, -2 },
		{ -2 * 86400, -2 },
	};
	static const time_t nows[] = { 0, T_2020, T_2020 + 43200, T_1960 + 1,
	    -86400 * 3 - 5 };
	size_t i, j;

	(void)state;
	for (j = 0; j < sizeof(nows) / sizeof(nows[0]); j++) {
		for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
			time_t now = nows[j];
			long got = cert_days_left(now + rows[i].delta, now);

			if (got != rows[i].days)
				fail_msg("days_left(now%+ld, now=%lld): "
				    "expected %ld, got %ld", rows[i].delta,
				    (long long)now, rows[i].days, got);
		}
	}
	/* Extremes must not overflow (UBSan would say so). */
	assert_true(cert_days_left((time_t)LONG_MAX, (time_t)LONG_MIN) > 0);
	assert_true(cert_days_left((time_t)LONG_MIN, (time_t)LONG_MAX) < 0);
	assert_int_equal(cert_days_left((time_t)LONG_MAX, (time_t)LONG_MAX), 0);
}

/* ---- HLX_CERT_DIR: against openssl(1) ---- */

static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	size_t n;

	if (f == NULL)
		fail_msg("%s: cannot open", path);
	buf = malloc(FILE_MAX + 1);
	assert_non_null(buf);
	n = fread(buf, 1, FILE_MAX + 1, f);
	assert_int_equal(ferror(f), 0);
	fclose(f);
	if (n > FILE_MAX)
		fail_msg("%s: larger than %d bytes", path, FILE_MAX);
	buf[n] = '\0';
	*len = n;
	return buf;
}

/* s in single quotes for sh: ' becomes '\''. */
static void
shell_quote(const char *s, char *out, size_t outsz)
{
	size_t o = 0;

	assert_true(outsz > 2);
	out[o++] = '\'';
	for (; *s != '\0'; s++) {
		if (*s == '\'') {
			assert_true(o + 4 < outsz);
			memcpy(out + o, "'\\''", 4);
			o += 4;
		} else {
			assert_true(o + 1 < outsz);
			out[o++] = *s;
		}
	}
	assert_true(o + 2 <= outsz);
	out[o++] = '\'';
	out[o] = '\0';
}

/* The pin of the certificate in path, as operations.md computes it. */
static void
openssl_pin(const char *path, char *out, size_t outsz)
{
	char q[PATH_MAX * 4 + 3], cmd[sizeof(q) + 256], line[128];
	FILE *p;
	size_t n;
	int st;

	shell_quote(path, q, sizeof(q));
	assert_true((size_t)snprintf(cmd, sizeof(cmd),
	    "openssl x509 -in %s -pubkey -noout | openssl pkey -pubin "
	    "-outform der | openssl dgst -sha256 -binary | base64", q) <
	    sizeof(cmd));
	p = popen(cmd, "r");
	assert_non_null(p);
	if (fgets(line, sizeof(line), p) == NULL)
		line[0] = '\0';
	st = pclose(p);
	if (st != 0)
		fail_msg("%s: the openssl pipeline failed (status %d)", path, st);
	n = strcspn(line, "\r\n");
	line[n] = '\0';
	if (n != 44)
		fail_msg("%s: the openssl pipeline printed \"%s\"", path, line);
	assert_true(snprintf(out, outsz, "sha256//%s", line) == CERT_PIN_LEN);
}

static int
info_of(const char *dir, const char *name, struct cert_info *ci)
{
	char path[PATH_MAX], why[128];
	size_t len;
	char *pem;
	int rc;

	assert_true((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) <
	    sizeof(path));
	pem = slurp(path, &len);
	rc = cert_info_from_pem(pem, len, ci, why, sizeof(why));
	if (rc != 0)
		fail_msg("%s: %s", path, why);
	free(pem);
	return rc;
}

static int
exists(const char *dir, const char *name)
{
	char path[PATH_MAX];
	FILE *f;

	assert_true((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) <
	    sizeof(path));
	if ((f = fopen(path, "rb")) == NULL)
		return 0;
	fclose(f);
	return 1;
}

static void
test_cert_dir(void **state)
{
	const char *dir = getenv("HLX_CERT_DIR");
	struct dirent *de;
	DIR *d;
	int count = 0;

	(void)state;
	if (dir == NULL || *dir == '\0') {
		print_message("HLX_CERT_DIR not set: skipping the openssl(1) "
		    "comparison\n");
		skip();
	}
	if ((d = opendir(dir)) == NULL)
		fail_msg("HLX_CERT_DIR=%s: cannot open", dir);
	while ((de = readdir(d)) != NULL) {
		size_t nl = strlen(de->d_name);
		char path[PATH_MAX], want[CERT_PIN_LEN + 1];
		struct cert_info ci;

		if (nl < 5 || strcmp(de->d_name + nl - 4, ".crt") != 0)
			continue;
		assert_true((size_t)snprintf(path, sizeof(path), "%s/%s", dir,
		    de->d_name) < sizeof(path));
		info_of(dir, de->d_name, &ci);
		openssl_pin(path, want, sizeof(want));
		print_message("%-26s %s %s\n", de->d_name, ci.pin,
		    strcmp(ci.pin, want) == 0 ? "= openssl" : "!= openssl");
		if (strcmp(ci.pin, want) != 0)
			fail_msg("%s: cert_info_from_pem says %s, openssl %s",
			    path, ci.pin, want);
		assert_null(cert_check_pin(ci.pin));
		count++;
	}
	closedir(d);
	if (count == 0)
		fail_msg("HLX_CERT_DIR=%s holds no *.crt", dir);

	/* What make-certs.sh promises about its files, where they exist. */
	if (exists(dir, "hotline-nl.example.crt")) {
		struct cert_info nl, other;

		info_of(dir, "hotline-nl.example.crt", &nl);
		assert_non_null(strstr(nl.subject, "CN=hotline-nl.example"));
		assert_true(nl.not_after - nl.not_before >= 729L * 86400);
		if (exists(dir, "expired.crt")) {
			info_of(dir, "expired.crt", &other);
			assert_string_equal(other.pin, nl.pin);
			assert_true(other.not_before == T_2020);
			assert_true(other.not_after == T_2021);
		}
		if (exists(dir, "rogue.crt")) {
			info_of(dir, "rogue.crt", &other);
			assert_string_not_equal(other.pin, nl.pin);
			assert_non_null(strstr(other.subject,
			    "CN=hotline-nl.example"));
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pin_matches_key),
		cmocka_unit_test(test_info_of_x509),
		cmocka_unit_test(test_pin_identifies_key),
		cmocka_unit_test(test_times),
		cmocka_unit_test(test_subject),
		cmocka_unit_test(test_bad_pem),
		cmocka_unit_test(test_first_certificate),
		cmocka_unit_test(test_pin_from_spki_bad),
		cmocka_unit_test(test_check_pin),
		cmocka_unit_test(test_days_left),
		cmocka_unit_test(test_cert_dir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
