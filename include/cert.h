/*
 * cert -- X.509 helpers: the SPKI pin that identifies a peer (protocol.md
 * §1), and what an operator needs to see of a certificate.
 *
 * Pure: works on PEM bytes the caller read; no files, no sockets, no exit.
 * Uses OpenSSL's X.509 and EVP code only (TLS lives elsewhere).
 *
 * A pin is "sha256//" + base64 of the SHA-256 of the DER-encoded
 * SubjectPublicKeyInfo: exactly the form libcurl's CURLOPT_PINNEDPUBLICKEY
 * takes, and what `openssl x509 -pubkey -noout | openssl pkey -pubin
 * -outform der | openssl dgst -sha256 -binary | base64` prints.
 */
#ifndef HLX_CERT_H
#define HLX_CERT_H

#include <stddef.h>
#include <time.h>

#define CERT_PIN_PREFIX		"sha256//"
#define CERT_PIN_LEN		(8 + 44)	/* prefix + base64 of 32 bytes */
#define CERT_SUBJECT_MAX	256

struct cert_info {
	char	pin[CERT_PIN_LEN + 1];
	char	subject[CERT_SUBJECT_MAX];	/* RFC 2253, printable only */
	time_t	not_before;
	time_t	not_after;
};

/*
 * The first certificate of the PEM text in buf (len bytes, not necessarily
 * NUL-terminated; other PEM blocks before it, such as a key, are skipped).
 * Returns 0, or -1 with a reason ("not a PEM certificate") in why and *out
 * zeroed, so that no half-filled pin survives a failure.  why may be NULL.
 * Never prompts for a password; leaves OpenSSL's error queue as it found it.
 */
int	cert_info_from_pem(const char *buf, size_t len, struct cert_info *out,
	    char *why, size_t whysz);

/*
 * The same of a certificate OpenSSL already parsed (the TLS layers' peer
 * certificate, for the log line that says why it was refused).
 */
struct x509_st;
int	cert_info_of_x509(const struct x509_st *, struct cert_info *out,
	    char *why, size_t whysz);

/*
 * The pin of a DER SubjectPublicKeyInfo (as i2d_X509_PUBKEY writes it); out
 * holds CERT_PIN_LEN + 1.  The bytes are hashed as given, but only when they
 * are exactly one well-formed SubjectPublicKeyInfo: a whole certificate or a
 * truncated key gives -1, not a pin that silently matches nobody.
 */
int	cert_pin_from_spki(const unsigned char *der, size_t len, char *out,
	    size_t outsz);
/*
 * The same pin, of DER that OpenSSL itself just encoded from a key it had
 * parsed (i2d_X509_PUBKEY of a certificate's key): well formed by
 * construction, so not decoded again -- OpenSSL 3.0's decoders cost more
 * than the rest of a request (BENCHMARKS.md).  Never for outside bytes.
 */
int	cert_pin_of_encoded(const unsigned char *der, size_t len, char *out,
	    size_t outsz);

/*
 * NULL when s is a well-formed pin: the lower-case prefix, then exactly 44
 * base64 characters ending in one '=' that decode to 32 bytes, in the
 * canonical form (unused bits zero) that cert_info_from_pem prints, since
 * pins are compared as text.  Else a static string saying what is wrong.
 */
const char *cert_check_pin(const char *s);

/* Whole days from now until t, rounded down (towards minus infinity: one
 * second past is -1), without overflow for any t and now. */
long	cert_days_left(time_t t, time_t now);

#endif /* HLX_CERT_H */
