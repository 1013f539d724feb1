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
 *
 * Capacity is kept for those who passed the pin check: handshakes in
 * progress have a cap of their own ([listen] max_handshakes) and never
 * count against max_connections, which counts authenticated connections
 * only.  When it is full, a new connection takes the place of the oldest
 * whose client has sent nothing for HLX_HANDSHAKE_SILENT_MIN (a socket
 * opened to hold a place); with none, the listener waits (the backlog
 * holds the rest) until a handshake ends -- a handshake under way is
 * never cut.  An address is counted with its IPv6 /64 (one host's usual
 * allotment: server_addr_key()).  Descriptors: at most max_handshakes +
 * 2 * max_connections (the BUSY band) on the partner listener.
 *
 * server_start_plain() serves the same HTTP without TLS (hlxd's admin
 * listener, admin.c): no peer, a small cap over which a connection is
 * closed at once, the same absolute deadlines.  On either listener,
 * accept() failing for want of descriptors pauses it HLX_ACCEPT_PAUSE
 * seconds (logged at most once per HLX_ACCEPT_LOG_INTERVAL) instead of
 * spinning.
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

struct evbuffer;
struct sockaddr;
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
/* The admin listener's transport: plain HTTP, no peer (r->peer ""). */
struct server_plain {
	unsigned	 max_conns;	/* over it a new one is closed */
	unsigned	 timeout;	/* seconds: each phase's deadline */
	size_t		 max_bytes;	/* of a body (0: none, 413) */
	const char	*error_type;	/* Content-Type of error_body */
};
/* Listens on host (numeric IPv4 or IPv6) and port (0: any free one). */
struct server	*server_start_plain(struct event_base *, const char *host,
		    int port, const struct server_plain *,
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
/* As server_reply(), with header lines of ours ("Allow: GET\r\n") added;
 * never a partner's string. */
void		 server_reply_with(struct server_request *r, int status,
		    const char *content_type, const char *headers,
		    const char *body, size_t len, long retry_after);
/* Applies new limits (SIGHUP): rate and timeouts of new requests. */
void		 server_set_conf(struct server *, const struct conf *);
/* Stops accepting; connections in flight may finish. */
void		 server_close_listener(struct server *);
void		 server_free(struct server *);

/* What the per-address cap counts an address as: an IPv4 address (also
 * when IPv4-mapped) itself, "a.b.c.d"; an IPv6 address its /64,
 * "2001:db8:1:2::/64".  0, or -1 for another family or a short keysz. */
#define SERVER_KEY_MAX	(46 + 4)
int		 server_addr_key(const struct sockaddr *, char *key,
		    size_t keysz);

/*
 * The HTTP/1.1 framing of one connection, apart from TLS, sockets and
 * deadlines: http-parser with the limits above, the headers read here
 * (Content-Type, Content-Encoding, Expect), the body's limit (check 5), and
 * the answer to bytes that frame no request (400, 413, 431), or that a
 * front end could frame otherwise -- check 2's strict framing, read a step
 * ahead of http-parser, which is lenient: bare LF or CR, whitespace before
 * a colon, obs-fold, a repeated Content-Type, a Transfer-Encoding other
 * than exactly chunked, chunk data without its CRLF (400), a version
 * other than 1.0 and 1.1 (505), an Expect other than 100-continue (417).  The
 * connections above drive it with what TLS gives them; a test or a fuzz
 * target (tests/fuzz/fuzz_request.c) drives it with bytes of its own, so
 * that it runs the code hlxd runs.
 *
 * Ownership: the framer owns the request it is reading; ops->request takes
 * it over (it is freed by server_reply(), or by server_request_free()).
 */
struct server_http;

struct server_http_ops {
	/* A request begins: its headers' deadline starts. */
	void	(*begin)(void *arg);
	/* Its headers are in: checks 1 (again), 6's BUSY, 3 and 4.  0 to
	 * go on, or -1 with e filled (e->retry_after is -1 unless set). */
	int	(*headers)(struct server_request *, struct server_error *e,
		    void *arg);
	/* Its body is to be read (the body's deadline starts); the client
	 * asked for "100 Continue" when expect_continue. */
	void	(*body)(int expect_continue, void *arg);
	/* The request is refused with e: answer it and close.  r is the
	 * request being read; nothing more is parsed. */
	void	(*refuse)(const struct server_request *r,
		    const struct server_error *e, void *arg);
	/* A complete request, handed over; keepalive: another may follow on
	 * this connection.  Nothing is parsed until server_http_resume(). */
	void	(*request)(struct server_request *, int keepalive,
		    void *arg);
};

enum server_http_rc {
	SERVER_HTTP_MORE,	/* all consumed: give it more bytes */
	SERVER_HTTP_WAIT,	/* a request was handed over: resume after */
	SERVER_HTTP_STOP,	/* refused (ops->refuse): close */
	SERVER_HTTP_FAIL,	/* out of memory: drop the connection */
};

/* *max_bytes (the body limit) is read at each use, so that a reload
 * applies to the connections already open.  NULL when out of memory. */
struct server_http *server_http_new(const size_t *max_bytes,
		    const struct server_http_ops *, void *arg);
void		 server_http_free(struct server_http *);
/* Parses up to len bytes; returns how many were consumed.  Call again with
 * the rest only after SERVER_HTTP_MORE, or SERVER_HTTP_WAIT and then
 * server_http_resume(). */
size_t		 server_http_execute(struct server_http *,
		    const char *data, size_t len, enum server_http_rc *rc);
void		 server_http_resume(struct server_http *);
/* The request being read (lent), or NULL between requests. */
const struct server_request *server_http_request(const struct server_http *);
/* An answer in HTTP/1.1, appended to out (close: Connection: close). */
void		 server_http_answer(struct evbuffer *out, int status,
		    const char *content_type, const char *body, size_t len,
		    long retry_after, int close);
/* A request handed over by ops->request that will not be answered. */
void		 server_request_free(struct server_request *);

#endif /* HLX_SERVER_H */
