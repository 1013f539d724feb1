/*
 * tls -- the partner listener's TLS (protocol.md §1), kept in one place so
 * that no other module calls OpenSSL's SSL API.
 *
 * TLS 1.2 and 1.3 only; for 1.2 only ECDHE with AEAD ciphers, server
 * preference.  Client certificates are required and checked by pin against
 * the live peer table -- the pin known, not retired, of an enabled peer and
 * before its own expiry (issue 13) -- and by their dates, at the handshake
 * and again on every request (a resumed session skips verification).  A
 * refused handshake is logged here (event=handshake_refused: the presented
 * pin, subject and dates, and why); a refused request by the caller, with
 * the reason tls_peer_of() gives.  Stateful session
 * resumption only (no tickets), flushed when peers change.
 */
#ifndef HLX_TLS_H
#define HLX_TLS_H

#include <stddef.h>

#include <openssl/ssl.h>

#include "conf.h"
#include "peertab.h"

/* TLS 1.2: ECDHE key exchange with AEAD ciphers only (protocol.md §1). */
#define TLS12_CIPHERS \
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:" \
	"ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:" \
	"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"

/* The server context from [tls]; NULL with a reason. */
SSL_CTX	*tls_server_ctx(const struct conf *, char *why, size_t whysz);
/* The table the verify callback consults; replaces (does not free) the
 * old one, and flushes the session cache so that no session of a peer
 * that is gone can be resumed. */
void	 tls_set_peers(SSL_CTX *, const struct peertab *);
/*
 * The peer of an established connection, checked now: its certificate's
 * pin is in the live table and the certificate is within its dates.
 * Returns 0 with the id in id, or -1 with a reason.
 */
int	 tls_peer_of(SSL *, const struct peertab *, char *id, size_t idsz,
	    char *pin, size_t pinsz, char *why, size_t whysz);

#endif /* HLX_TLS_H */
