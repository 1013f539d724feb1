/*
 * tls.c -- the server side of mutual TLS.  See tls.h.
 *
 * SECURITY: reads [tls] cert, key (refused when group or others may read
 * it) and ca; holds the private key in memory.  Parses the client's
 * certificate chain (OpenSSL) and looks its leaf's pin up in the peer
 * table.  XXX the process that parses partners' XML holds this key
 * (STYLE.md "Layers"): a separate, unprivileged parser process would fix it.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

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
#include "log.h"
#include "tls.h"
#include "types.h"

static int tls_peers_index = -1;
static int tls_ca_index = -1;
static unsigned tls_generation;

static const struct peertab *
peers_of(SSL_CTX *ctx)
{
	return SSL_CTX_get_ex_data(ctx, tls_peers_index);
}

/* Why a leaf is refused, with what an operator needs to act on it. */
struct refusal {
	const char	*reason;	/* "unknown pin", "expired pin", ... */
	const char	*peer;		/* whose pin it is, or NULL */
	time_t		 expires;	/* the pin's expiry, 0 if none */
	char		 pin[CERT_PIN_LEN + 1];
};

/* The leaf's pin, and whether it authenticates a peer now: a pin that is
 * known, not retired, not past its own expiry, of an enabled peer, on a
 * certificate within its dates.  0 with the id, or -1 with r filled. */
static int
leaf_check(X509 *x, const struct peertab *t, char *id, size_t idsz,
    struct refusal *r)
{
	unsigned char *der = NULL;
	enum peertab_verdict v;
	time_t now = time(NULL);
	int len;

	memset(r, 0, sizeof(*r));
	if ((len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &der)) <= 0) {
		r->reason = "certificate without a public key";
		return -1;
	}
	if (cert_pin_of_encoded(der, (size_t)len, r->pin, sizeof(r->pin)) ==
	    -1) {
		OPENSSL_free(der);
		r->reason = "cannot compute the pin";
		return -1;
	}
	OPENSSL_free(der);
	if ((v = peertab_check(t, r->pin, now, &r->peer, &r->expires)) !=
	    PEERTAB_OK) {
		r->reason = peertab_verdict_name(v);
		return -1;
	}
	/* A pin never excuses a certificate outside its dates. */
	if (X509_cmp_time(X509_get0_notBefore(x), &now) >= 0) {
		r->reason = "certificate not yet valid";
		return -1;
	}
	if (X509_cmp_time(X509_get0_notAfter(x), &now) <= 0) {
		r->reason = "certificate expired";
		return -1;
	}
	snprintf(id, idsz, "%s", r->peer);
	return 0;
}

/* The client's address, for the log ("-" when it cannot be had). */
static void
peer_ip(SSL *ssl, char *buf, size_t bufsz)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	int fd = ssl != NULL ? SSL_get_fd(ssl) : -1;
	const void *a = NULL;

	snprintf(buf, bufsz, "-");
	if (fd < 0 || getpeername(fd, (struct sockaddr *)&ss, &sl) == -1)
		return;
	if (ss.ss_family == AF_INET)
		a = &((struct sockaddr_in *)&ss)->sin_addr;
	else if (ss.ss_family == AF_INET6)
		a = &((struct sockaddr_in6 *)&ss)->sin6_addr;
	if (a == NULL || inet_ntop(ss.ss_family, a, buf, (socklen_t)bufsz) ==
	    NULL)
		snprintf(buf, bufsz, "-");
}

static const char *
ts(time_t t, char *buf, size_t bufsz)
{
	if (t == 0 || type_timestamp_format(t, buf, bufsz) == -1)
		snprintf(buf, bufsz, "-");
	return buf;
}

/*
 * One line per refused handshake: the presented certificate's pin, subject
 * and dates, whose pin it is, and why (issue 13).  Nothing else of the
 * certificate; the subject is the partner's text, escaped.
 */
static void
log_refusal(SSL *ssl, X509 *x, const struct refusal *r)
{
	struct cert_info ci;
	char ip[INET6_ADDRSTRLEN], subj[2 * CERT_SUBJECT_MAX], nb[32], na[32],
	    ex[32], why[80], line[4 * CERT_SUBJECT_MAX];

	peer_ip(ssl, ip, sizeof(ip));
	if (x == NULL || cert_info_of_x509(x, &ci, why, sizeof(why)) == -1)
		memset(&ci, 0, sizeof(ci));
	log_escape(subj, sizeof(subj), ci.subject);
	snprintf(line, sizeof(line), "event=handshake_refused ip=%s "
	    "reason=\"%s\" pin=%s subject=\"%s\" not_before=%s not_after=%s "
	    "peer=%s pin_expires=%s", ip, r->reason, r->pin[0] != '\0' ?
	    r->pin : ci.pin[0] != '\0' ? ci.pin : "-", subj,
	    ts(ci.not_before, nb, sizeof(nb)), ts(ci.not_after, na,
	    sizeof(na)), r->peer != NULL ? r->peer : "-",
	    ts(r->expires, ex, sizeof(ex)));
	/* A known peer's pin refused is for an operator to act on; a
	 * stranger's is the internet's background noise. */
	if (r->peer != NULL)
		log_warnx("%s", line);
	else
		log_info("%s", line);
}

static int
verify_cb(int preverify_ok, X509_STORE_CTX *xs)
{
	SSL *ssl = X509_STORE_CTX_get_ex_data(xs,
	    SSL_get_ex_data_X509_STORE_CTX_idx());
	SSL_CTX *ctx = ssl != NULL ? SSL_get_SSL_CTX(ssl) : NULL;
	int has_ca = ctx != NULL && SSL_CTX_get_ex_data(ctx, tls_ca_index) !=
	    NULL;
	struct refusal r;
	char id[128], why[120];

	if (ctx == NULL)
		return 0;
	/* With [tls] ca the chain must hold too, in addition to the pin. */
	if (has_ca && !preverify_ok) {
		memset(&r, 0, sizeof(r));
		snprintf(why, sizeof(why), "chain does not verify: %s",
		    X509_verify_cert_error_string(
		    X509_STORE_CTX_get_error(xs)));
		r.reason = why;
		log_refusal(ssl, X509_STORE_CTX_get0_cert(xs), &r);
		return 0;
	}
	if (X509_STORE_CTX_get_error_depth(xs) > 0)
		return has_ca ? preverify_ok : 1;
	if (leaf_check(X509_STORE_CTX_get_current_cert(xs), peers_of(ctx), id,
	    sizeof(id), &r) == -1) {
		log_refusal(ssl, X509_STORE_CTX_get_current_cert(xs), &r);
		X509_STORE_CTX_set_error(xs, X509_V_ERR_CERT_REJECTED);
		return 0;
	}
	X509_STORE_CTX_set_error(xs, X509_V_OK);
	return 1;
}

/* A client that sends no certificate never reaches verify_cb: OpenSSL
 * refuses it first (SSL_VERIFY_FAIL_IF_NO_PEER_CERT) with this error,
 * which is on the queue when its alert goes out. */
static void
info_cb(const SSL *ssl, int where, int ret)
{
	struct refusal r;
	unsigned long e;

	(void)ret;
	/* Both bits: SSL_CB_WRITE_ALERT is SSL_CB_ALERT | SSL_CB_WRITE. */
	if ((where & SSL_CB_WRITE_ALERT) != SSL_CB_WRITE_ALERT)
		return;
	e = ERR_peek_last_error();
	if (ERR_GET_LIB(e) != ERR_LIB_SSL ||
	    ERR_GET_REASON(e) != SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE)
		return;
	memset(&r, 0, sizeof(r));
	r.reason = "no certificate";
	log_refusal((SSL *)(uintptr_t)ssl, NULL, &r);
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
	SSL_CTX_set_info_callback(ctx, info_cb);
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
	struct refusal r;
	int rc;

	if (x == NULL) {
		snprintf(why, whysz, "no certificate");
		return -1;
	}
	rc = leaf_check(x, t, id, idsz, &r);
	if (pin != NULL)
		snprintf(pin, pinsz, "%s", r.pin);
	if (rc == -1)
		snprintf(why, whysz, "%s %s%s%s", r.reason, r.pin[0] != '\0' ?
		    r.pin : "-", r.peer != NULL ? " of " : "",
		    r.peer != NULL ? r.peer : "");
	return rc;
}
