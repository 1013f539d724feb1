/*
 * server -- the partner-facing HTTPS listener: libevent's evhttp over
 * bufferevent_openssl.  Transport only: it knows TLS and HTTP, not HLX
 * messages; it hands each complete request, with the peer its certificate
 * names (checked again now, against the live table), to the handler, which
 * answers with server_reply() -- at once or later, on the loop thread.
 *
 * XXX evhttp 2.1 has no absolute deadlines for the handshake, the headers
 * and the body, no connection caps, and answers oversize headers and bodies
 * with its own HTML: those rows of protocol.md §3 (2, 5, 6's BUSY) are not
 * yet met; see the README.
 */
#ifndef HLX_SERVER_H
#define HLX_SERVER_H

#include <stddef.h>

#include <event2/event.h>
#include <openssl/ssl.h>

#include "conf.h"
#include "peertab.h"

struct server;
struct server_conn;

struct server_request {
	char		 peer[64];	/* the peer bound to the certificate */
	char		 pin[64];	/* its pin (for the audit trail) */
	const char	*method;	/* GET, POST, ... */
	char		 path[256];	/* without query */
	const char	*content_type;	/* NULL when absent */
	const char	*content_encoding;
	const char	*body;		/* contiguous; NULL when empty */
	size_t		 len;
	double		 started;	/* seconds, monotonic */
	/* private */
	void		*req;
	struct server_conn *conn;
};

/* Called on the loop thread with each authenticated request.  peer[0] ==
 * '\0' means the certificate no longer names an enabled peer: the handler
 * answers 403 UNKNOWN_PEER. */
typedef void (*server_handler)(struct server_request *, void *arg);

/*
 * Listens on [listen] address with TLS from ctx; *live is read at each
 * request for the current peer table.  Returns NULL with a reason.
 */
struct server	*server_start(struct event_base *, const struct conf *,
		    SSL_CTX *, const struct peertab *const *live,
		    server_handler, void *arg, char *why, size_t whysz);
/* The port it listens on (useful when [listen] asked for port 0). */
int		 server_port(const struct server *);
/* Requests answered so far and still waiting for an answer. */
size_t		 server_pending(const struct server *);
/* Answers and frees r.  retry_after < 0: no Retry-After header.  Safe
 * when the connection has gone meanwhile (the answer is dropped). */
void		 server_reply(struct server_request *r, int status,
		    const char *content_type, const char *body, size_t len,
		    long retry_after);
/* Stops accepting; connections in flight may finish. */
void		 server_close_listener(struct server *);
void		 server_free(struct server *);

#endif /* HLX_SERVER_H */
