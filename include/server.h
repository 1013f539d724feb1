/*
 * server -- the partner-facing HTTPS listener: libevent's listener and
 * bufferevent_openssl for TCP and TLS, the http-parser library for HTTP/1.1
 * framing.  Transport only: it knows TLS and HTTP, not HLX messages.
 *
 * It enforces what evhttp 2.1 cannot (protocol.md §3 checks 2, 5, 6):
 * absolute deadlines for the handshake, the headers and the body (a client
 * sending a byte a second is cut off), a global connection cap (answered
 * 503 BUSY) and a per-IP cap (closed), header and body size limits
 * answered 431 and 413 -- every answer with a body the caller formats, so
 * that each is an HLX Error.  It hands each complete request, with the peer
 * its certificate names (checked again now, against the live table), to the
 * handler, which answers with server_reply() -- at once or later, on the
 * loop thread.
 */
#ifndef HLX_SERVER_H
#define HLX_SERVER_H

#include <stddef.h>

#include <event2/event.h>
#include <openssl/ssl.h>

#include "conf.h"
#include "peertab.h"

#define SERVER_HEADERS_MAX	(16 * 1024)	/* request line + headers */
#define SERVER_HEADER_COUNT_MAX	64
#define SERVER_URL_MAX		1024
/* Answers a client has not read: past HIGH, no further pipelined request
 * is parsed until it reads down to LOW (and a write deadline runs). */
#define SERVER_OUTPUT_HIGH	(64 * 1024)
#define SERVER_OUTPUT_LOW	(16 * 1024)

struct server;
struct server_conn;

struct server_request {
	char		 peer[64];	/* "" when no enabled peer (anymore) */
	char		 pin[64];	/* the certificate's pin */
	const char	*method;	/* GET, POST, ... */
	char		 path[SERVER_URL_MAX]; /* without query */
	char		 content_type[128];	/* "" when absent */
	int		 content_encoding;	/* the header was present */
	const char	*body;		/* contiguous; NULL when empty */
	size_t		 len;
	double		 started;	/* seconds, monotonic */
	/* private */
	struct server_conn *conn;
	char		*buf;
};

/* A transport-level refusal, for the caller to put in an HLX Error. */
struct server_error {
	int		 status;
	const char	*code;
	const char	*detail;
	int		 retryable;
	long		 retry_after;	/* -1: none */
};

struct server_hooks {
	/* Each complete request (loop thread). */
	void	(*request)(struct server_request *, void *arg);
	/* After the headers, before the body: 0 to read the body, or -1
	 * with an answer (checks 3 and 4, before 5's size limit). */
	int	(*headers)(struct server_request *, struct server_error *,
		    void *arg);
	/* The body of an error answer (malloc'd; the server frees it). */
	char	*(*error_body)(const struct server_request *,
		    const struct server_error *, size_t *len, void *arg);
	void	*arg;
};

/* Listens on [listen] address with TLS from ctx; *live is read at each
 * request for the current peer table.  Returns NULL with a reason. */
struct server	*server_start(struct event_base *, const struct conf *,
		    SSL_CTX *, const struct peertab *const *live,
		    const struct server_hooks *, char *why, size_t whysz);
int		 server_port(const struct server *);
/* Requests handed to the handler and not yet answered. */
size_t		 server_pending(const struct server *);
size_t		 server_connections(const struct server *);
/* Answers and frees r.  retry_after < 0: no Retry-After header.  Safe
 * when the connection has gone meanwhile (the answer is dropped). */
void		 server_reply(struct server_request *r, int status,
		    const char *content_type, const char *body, size_t len,
		    long retry_after);
/* Applies new limits (SIGHUP): rate and timeouts of new requests. */
void		 server_set_conf(struct server *, const struct conf *);
/* Stops accepting; connections in flight may finish. */
void		 server_close_listener(struct server *);
void		 server_free(struct server *);

#endif /* HLX_SERVER_H */
