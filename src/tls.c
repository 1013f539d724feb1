/*
 * tls.c -- the server side of mutual TLS.  See tls.h.
 *
 * SECURITY: reads [tls] cert, key (refused when group or others may read
 * it) and ca; holds the private key in memory.  Parses the client's
 * certificate chain (OpenSSL) and looks its leaf's pin up in the peer
 * table.  XXX the process that parses partners' XML holds this key
 * (STYLE.md "Layers"): a separate, unprivileged parser process would fix it.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "cert.h"
#include "file.h"
#include "tls.h"

static int tls_peers_index = -1;
static int tls_ca_index = -1;
static unsigned tls_generation;

static const struct peertab *
peers_of(SSL_CTX *ctx)
{
	return SSL_CTX_get_ex_data(ctx, tls_peers_index);
}

/* The leaf's pin, and whether it is within its dates now. */
static int
leaf_check(X509 *x, const struct peertab *t, char *id, size_t idsz,
    char *pinout, size_t pinsz, char *why, size_t whysz)
{
	unsigned char *der = NULL;
	char pin[CERT_PIN_LEN + 1];
	const char *owner;
	int len;

	if ((len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &der)) <= 0) {
		snprintf(why, whysz, "certificate without a public key");
		return -1;
	}
	if (cert_pin_of_encoded(der, (size_t)len, pin, sizeof(pin)) == -1) {
		OPENSSL_free(der);
		snprintf(why, whysz, "cannot compute the pin");
		return -1;
	}
	OPENSSL_free(der);
	if (pinout != NULL)
		snprintf(pinout, pinsz, "%s", pin);
	if ((owner = peertab_find(t, pin)) == NULL) {
		snprintf(why, whysz, "pin %s belongs to no enabled peer", pin);
		return -1;
	}
	/* A pin never excuses a certificate outside its dates. */
	if (X509_cmp_current_time(X509_get0_notBefore(x)) >= 0 ||
	    X509_cmp_current_time(X509_get0_notAfter(x)) <= 0) {
		snprintf(why, whysz, "certificate of %s is outside its "
		    "validity period", owner);
		return -1;
	}
	snprintf(id, idsz, "%s", owner);
	return 0;
}

static int
verify_cb(int preverify_ok, X509_STORE_CTX *xs)
{
	SSL *ssl = X509_STORE_CTX_get_ex_data(xs,
	    SSL_get_ex_data_X509_STORE_CTX_idx());
	SSL_CTX *ctx = ssl != NULL ? SSL_get_SSL_CTX(ssl) : NULL;
	int has_ca = ctx != NULL && SSL_CTX_get_ex_data(ctx, tls_ca_index) !=
	    NULL;
	char id[128], why[160];

	if (ctx == NULL)
		return 0;
	/* With [tls] ca the chain must hold too, in addition to the pin. */
	if (has_ca && !preverify_ok)
		return 0;
	if (X509_STORE_CTX_get_error_depth(xs) > 0)
		return has_ca ? preverify_ok : 1;
	if (leaf_check(X509_STORE_CTX_get_current_cert(xs), peers_of(ctx), id,
	    sizeof(id), NULL, 0, why, sizeof(why)) == -1) {
		X509_STORE_CTX_set_error(xs, X509_V_ERR_CERT_REJECTED);
		return 0;
	}
	X509_STORE_CTX_set_error(xs, X509_V_OK);
	return 1;
}

static int
set_sid_ctx(SSL_CTX *ctx)
{
	unsigned char sid[sizeof("hlx-") + 10];
	int n = snprintf((char *)sid, sizeof(sid), "hlx-%u", tls_generation);

	return SSL_CTX_set_session_id_context(ctx, sid, (unsigned)n);
}

SSL_CTX *
tls_server_ctx(const struct conf *c, char *why, size_t whysz)
{
	SSL_CTX *ctx = NULL;
	mode_t mode;

	if (tls_peers_index == -1) {
		tls_peers_index = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL,
		    NULL);
		tls_ca_index = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL,
		    NULL);
	}
	if (file_mode_too_open(c->tls_key, 1, &mode) == 1) {
		snprintf(why, whysz, "[tls] key %s: mode %04o is too open",
		    c->tls_key, (unsigned)mode);
		return NULL;
	}
	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL)
		goto fail;
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
	    SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) != 1 ||
	    SSL_CTX_set_cipher_list(ctx, TLS12_CIPHERS) != 1)
		goto fail;
	SSL_CTX_set_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE |
	    SSL_OP_NO_TICKET | SSL_OP_NO_COMPRESSION |
	    SSL_OP_NO_RENEGOTIATION);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
	if (set_sid_ctx(ctx) != 1)
		goto fail;
	if (SSL_CTX_use_certificate_chain_file(ctx, c->tls_cert) != 1) {
		snprintf(why, whysz, "[tls] cert %s: not a usable certificate",
		    c->tls_cert);
		goto out;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, c->tls_key, SSL_FILETYPE_PEM) !=
	    1 || SSL_CTX_check_private_key(ctx) != 1) {
		snprintf(why, whysz, "[tls] key %s: not the key of [tls] cert",
		    c->tls_key);
		goto out;
	}
	if (c->tls_ca != NULL) {
		if (SSL_CTX_load_verify_locations(ctx, c->tls_ca, NULL) != 1) {
			snprintf(why, whysz, "[tls] ca %s: not a usable CA "
			    "bundle", c->tls_ca);
			goto out;
		}
		SSL_CTX_set_ex_data(ctx, tls_ca_index, (void *)ctx);
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER |
	    SSL_VERIFY_FAIL_IF_NO_PEER_CERT, verify_cb);
	SSL_CTX_set_verify_depth(ctx, 8);
	ERR_clear_error();
	return ctx;
fail:
	snprintf(why, whysz, "cannot set up TLS: %s",
	    ERR_reason_error_string(ERR_get_error()));
out:
	ERR_clear_error();
	SSL_CTX_free(ctx);
	return NULL;
}

void
tls_set_peers(SSL_CTX *ctx, const struct peertab *t)
{
	SSL_CTX_set_ex_data(ctx, tls_peers_index, (void *)(uintptr_t)t);
	/* Sessions of peers that changed must not resume: drop them all,
	 * and change the context so that none made before can match. */
	SSL_CTX_flush_sessions(ctx, 0);
	tls_generation++;
	set_sid_ctx(ctx);
}

int
tls_peer_of(SSL *ssl, const struct peertab *t, char *id, size_t idsz,
    char *pin, size_t pinsz, char *why, size_t whysz)
{
	X509 *x = SSL_get0_peer_certificate(ssl);

	if (x == NULL) {
		snprintf(why, whysz, "no client certificate");
		return -1;
	}
	return leaf_check(x, t, id, idsz, pin, pinsz, why, whysz);
}
