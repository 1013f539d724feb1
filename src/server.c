/*
 * server.c -- HTTP/1.1 over TLS with deadlines and caps.  See server.h.
 *
 * SECURITY: reads untrusted bytes from the network: TLS records (OpenSSL
 * through bufferevent_openssl) and HTTP requests (http-parser), every part
 * bounded: SERVER_HEADERS_MAX bytes of request line and headers, at most
 * SERVER_HEADER_COUNT_MAX headers, a body of at most [listen]
 * max_message_bytes, and absolute deadlines for the handshake, the headers
 * and the body.  A request reaches the handler only after the handshake
 * verified the client's certificate by pin (tls.c); the pin is checked
 * again at each request, because a resumed session skips verification.
 * Touches nothing on disk.
 *
 * The HTTP framing (server_http_*) is apart from the connection: it knows
 * no socket, TLS or timer, so that tests/fuzz/fuzz_request.c runs the very
 * code a partner's bytes meet here.
 *
 * The admin listener (server_start_plain) reads the same bytes without
 * TLS from whoever reaches [admin] address (loopback unless allow_remote):
 * the same framing and deadlines, HLX_ADMIN_CONNECTIONS_MAX connections.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/listener.h>
#include <http_parser.h>
#include <openssl/err.h>

#include "log.h"
#include "metrics.h"
#include "server.h"
#include "tls.h"

enum phase {
	PH_HANDSHAKE,	/* TLS not yet established */
	PH_IDLE,	/* between requests */
	PH_HEADERS,	/* reading a request line and headers */
	PH_BODY,	/* reading a body */
	PH_WAIT,	/* the handler has the request */
	PH_CLOSING,	/* the last answer is being written */
};

enum hdr { HDR_OTHER, HDR_CTYPE, HDR_CENC, HDR_EXPECT, HDR_TE };

/*
 * Where the strict framing (scan()) is in a request.  http-parser, as
 * Debian builds it (not HTTP_PARSER_STRICT), takes a bare LF or CR for
 * CRLF, a space in a header name ("Content-Encoding : gzip", a name we
 * would not recognise), folded lines, and any two bytes after chunk data:
 * bytes that a proxy or front end in front of hlxd may frame otherwise
 * (request smuggling), or that hide a header from check 4.  scan() reads
 * the same bytes first and lets http-parser see only what frames one way.
 */
enum scan {
	SC_START,	/* before a request line: empty lines are skipped */
	SC_START_CR,
	SC_LINE,	/* the request line, a header line or a trailer line */
	SC_LINE_CR,
	SC_HEAD_DONE,	/* the head ended: on_headers_complete says what next */
	SC_BODY,	/* a Content-Length body: http-parser counts it */
	SC_CHUNK_SIZE,	/* chunked (RFC 9112 7.1) */
	SC_CHUNK_EXT,
	SC_CHUNK_SIZE_CR,
	SC_CHUNK_DATA,
	SC_CHUNK_DATA_CR,
	SC_CHUNK_DATA_LF,
	SC_DONE,	/* the chunked body ended: on_message_complete next */
};

struct ipcount {
	char		 ip[SERVER_KEY_MAX];	/* server_addr_key() */
	unsigned	 n;
	struct ipcount	*next;
};

/* Events logged at most once per HLX_ACCEPT_LOG_INTERVAL (tally_due). */
struct tally {
	double			 logged;	/* now_mono() of the last line */
	unsigned long		 n;		/* since then */
};

struct server_conn {
	struct server		*srv;
	struct bufferevent	*bev;
	SSL			*ssl;
	char			 ip[INET6_ADDRSTRLEN];
	char			 key[SERVER_KEY_MAX];	/* what ips counts */
	enum phase		 phase;
	struct event		*deadline;
	struct event		*resume;
	struct server_http	*http;		/* the framing */
	struct server_request	*req;		/* pending (PH_WAIT) */
	int			 busy;		/* over the connection cap */
	int			 keepalive;
	int			 throttled;	/* waiting for the client to read */
	int			 clean;		/* keep the TLS session */
	int			 handshaking;	/* on the hs_ list */
	int			 authed;	/* counted in nauth */
	double			 accepted;	/* now_mono() */
	/* Refused while the client may still be sending: what it sends is
	 * read and thrown away until then (HLX_LINGER_*). */
	int			 linger;
	double			 linger_until;
	size_t			 linger_bytes;
	struct server_conn	*prev, *next;
	struct server_conn	*hs_prev, *hs_next;	/* oldest first */
};

/* The framing of one connection (server.h); no TLS, socket or timer. */
struct server_http {
	http_parser		 parser;
	const struct server_http_ops *ops;
	void			*arg;
	const size_t		*max_bytes;
	struct server_request	*req;		/* being read */
	struct evbuffer		*body;
	size_t			 header_bytes;
	unsigned		 header_count;
	char			 field[32];
	size_t			 field_len;
	int			 in_value;
	enum hdr		 hdr;
	char			 expect[32];
	int			 expect_seen;
	unsigned		 ctypes;	/* Content-Type headers */
	unsigned		 tes;		/* Transfer-Encoding headers */
	char			 te[32];
	/* 1 << enum hdr: a value longer than its buffer above, refused
	 * rather than compared cut (a cut "100-continue   x" would pass) */
	unsigned		 cut;
	int			 in_body;	/* the head is complete */
	/* scan(): the strict framing, a step ahead of http-parser */
	enum scan		 scan;
	size_t			 line_len;	/* of the line being read */
	int			 in_name;	/* before a header line's colon */
	int			 trailer;	/* the lines are a trailer */
	uint64_t		 chunk;		/* its size, then what is left */
	unsigned		 chunk_digits;
	int			 handed;	/* paused: a request handed over */
	int			 refused;	/* ops->refuse called: stop */
};

struct server {
	struct event_base	*base;
	struct evconnlistener	*listener;
	SSL_CTX			*ctx;
	const struct peertab *const *live;
	struct server_hooks	 hooks;
	size_t			 max_bytes;
	unsigned		 max_conns, max_per_ip;
	struct timeval		 handshake_tv, header_tv, body_tv;
	int			 port;
	size_t			 pending, nconns;
	struct server_conn	*conns;
	struct ipcount		*ips;
	/* Handshakes in progress, apart from the authenticated (nauth). */
	unsigned		 max_handshakes;
	size_t			 nhandshakes, nauth;
	struct server_conn	*hs_head, *hs_tail;
	int			 plain;		/* no TLS: the admin listener */
	const char		*name;		/* in logs: partner, admin */
	const char		*error_type;	/* of error_body's answers */
	/* accept() paused (PAUSE_*), and said so once a while */
	int			 paused;
	struct event		*accept_timer;
	double			 accept_logged;
	unsigned long		 accept_pauses;
	/* What an unauthenticated client can make happen once a connection
	 * is logged once per HLX_ACCEPT_LOG_INTERVAL, with a count. */
	struct tally		 cap_refused, hs_evicted, hs_refused;
};

#define PAUSE_EMFILE	0x1	/* accept() out of descriptors */
#define PAUSE_ROOM	0x2	/* max_handshakes, none that may give way */

static const http_parser_settings settings;	/* filled below */
static const struct server_http_ops conn_ops;	/* filled below */

static double
now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct ipcount *
ip_find(struct server *srv, const char *ip)
{
	struct ipcount *p;

	for (p = srv->ips; p != NULL; p = p->next)
		if (strcmp(p->ip, ip) == 0)
			return p;
	return NULL;
}

static void
ip_release(struct server *srv, const char *ip)
{
	struct ipcount *p, **pp;

	for (pp = &srv->ips; (p = *pp) != NULL; pp = &p->next)
		if (strcmp(p->ip, ip) == 0) {
			if (--p->n == 0) {
				*pp = p->next;
				free(p);
			}
			return;
		}
}

/* The handshakes in progress, oldest first: the first to give way. */
static void
hs_add(struct server *srv, struct server_conn *c)
{
	c->hs_prev = srv->hs_tail;
	c->hs_next = NULL;
	if (srv->hs_tail != NULL)
		srv->hs_tail->hs_next = c;
	else
		srv->hs_head = c;
	srv->hs_tail = c;
	c->handshaking = 1;
	srv->nhandshakes++;
}

static void
hs_remove(struct server *srv, struct server_conn *c)
{
	if (!c->handshaking)
		return;
	if (c->hs_prev != NULL)
		c->hs_prev->hs_next = c->hs_next;
	else
		srv->hs_head = c->hs_next;
	if (c->hs_next != NULL)
		c->hs_next->hs_prev = c->hs_prev;
	else
		srv->hs_tail = c->hs_prev;
	c->hs_prev = c->hs_next = NULL;
	c->handshaking = 0;
	srv->nhandshakes--;
	/* Room again: the connections waiting in the backlog come in. */
	if ((srv->paused & PAUSE_ROOM) &&
	    srv->nhandshakes < srv->max_handshakes) {
		srv->paused &= ~PAUSE_ROOM;
		if (srv->paused == 0 && srv->listener != NULL)
			evconnlistener_enable(srv->listener);
	}
}

/*
 * A handshake is stalled when it began HLX_HANDSHAKE_STALL_MIN ago or more
 * and nothing of its client's waits to be read: the client is behind, not
 * us.  A partner completes its handshake in milliseconds; a socket opened
 * to hold a place says nothing, or a byte (0x16), and waits.  One whose
 * bytes we have not read yet (a loaded gateway, a burst of partners) is
 * not stalled, however old.
 */
static int
hs_stalled(const struct server_conn *c, double now)
{
	int unread = 0;

	if (now - c->accepted < HLX_HANDSHAKE_STALL_MIN || c->bev == NULL)
		return 0;
	if (ioctl(bufferevent_getfd(c->bev), FIONREAD, &unread) == -1)
		return 0;
	return unread == 0;
}

/* The handshake to give way when the room is full: the oldest stalled
 * one.  With none, the listener waits instead. */
static struct server_conn *
hs_victim(struct server *srv)
{
	struct server_conn *c;
	double now = now_mono();

	for (c = srv->hs_head; c != NULL; c = c->hs_next) {
		if (now - c->accepted < HLX_HANDSHAKE_STALL_MIN)
			break;	/* the rest are younger */
		if (hs_stalled(c, now))
			return c;
	}
	return NULL;
}

/* The stalled handshakes of the address key (server_addr_key()). */
static unsigned
hs_stalled_from(struct server *srv, const char *key)
{
	struct server_conn *c;
	double now = now_mono();
	unsigned n = 0;

	for (c = srv->hs_head; c != NULL; c = c->hs_next) {
		if (now - c->accepted < HLX_HANDSHAKE_STALL_MIN)
			break;
		if (strcmp(c->key, key) == 0 && hs_stalled(c, now))
			n++;
	}
	return n;
}

/* One more event of t: 1 if it is to be logged now, with *n of them since
 * the last line (this one included). */
static int
tally_due(struct tally *t, unsigned long *n)
{
	double now = now_mono();

	t->n++;
	if (now - t->logged < HLX_ACCEPT_LOG_INTERVAL)
		return 0;
	*n = t->n;
	t->n = 0;
	t->logged = now;
	return 1;
}

/* Stops accepting for why (PAUSE_*) until on_accept_resume() or, for
 * PAUSE_ROOM, a handshake's end. */
static void
accept_pause(struct server *srv, int why, const char *reason_text)
{
	struct timeval tv = { HLX_ACCEPT_PAUSE, 0 };
	double now = now_mono();

	if (srv->listener == NULL)
		return;
	evconnlistener_disable(srv->listener);
	srv->paused |= why;
	event_add(srv->accept_timer, &tv);
	metrics_fault("-", why == PAUSE_ROOM ? "handshakes_full" :
	    "accept_paused");
	srv->accept_pauses++;
	if (now - srv->accept_logged >= HLX_ACCEPT_LOG_INTERVAL) {
		log_warnx("event=accept_paused listener=%s reason=\"%s\" "
		    "pause=%ds pauses=%lu connections=%zu handshakes=%zu",
		    srv->name, reason_text, HLX_ACCEPT_PAUSE,
		    srv->accept_pauses, srv->nconns, srv->nhandshakes);
		srv->accept_logged = now;
		srv->accept_pauses = 0;
	}
}

int
server_addr_key(const struct sockaddr *sa, char *key, size_t keysz)
{
	const struct sockaddr_in6 *s6;
	struct in6_addr net;
	char text[INET6_ADDRSTRLEN];
	int n;

	if (sa->sa_family == AF_INET) {
		if (inet_ntop(AF_INET, &((const struct sockaddr_in *)
		    (const void *)sa)->sin_addr, key, (socklen_t)keysz) == NULL)
			return -1;
		return 0;
	}
	if (sa->sa_family != AF_INET6)
		return -1;
	s6 = (const struct sockaddr_in6 *)(const void *)sa;
	/* An IPv4 client of a dual-stack socket is that IPv4 address: its
	 * /64 would be every IPv4 client at once. */
	if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr))
		return inet_ntop(AF_INET, &s6->sin6_addr.s6_addr[12], key,
		    (socklen_t)keysz) == NULL ? -1 : 0;
	/* A host is given a /64 (RFC 6177): one address each would let it
	 * take every connection there is. */
	memset(&net, 0, sizeof(net));
	memcpy(net.s6_addr, s6->sin6_addr.s6_addr, 8);
	if (inet_ntop(AF_INET6, &net, text, sizeof(text)) == NULL)
		return -1;
	n = snprintf(key, keysz, "%s/64", text);
	return n < 0 || (size_t)n >= keysz ? -1 : 0;
}

void
server_request_free(struct server_request *r)
{
	if (r == NULL)
		return;
	free(r->buf);
	free(r);
}

static void
conn_free(struct server_conn *c)
{
	struct server *srv = c->srv;

	if (c->req != NULL) {
		if (c->phase == PH_WAIT) {
			c->req->conn = NULL;	/* orphaned: answer dropped */
			srv->pending--;
		} else
			server_request_free(c->req);
	}
	server_http_free(c->http);	/* and the request being read */
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		srv->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	srv->nconns--;
	hs_remove(srv, c);
	if (c->authed)
		srv->nauth--;
	ip_release(srv, c->key);
	if (c->deadline != NULL)
		event_free(c->deadline);
	if (c->resume != NULL)
		event_free(c->resume);
	/* A clean end keeps the session resumable: OpenSSL drops the
	 * session of a connection that was not shut down. */
	if (c->clean && c->ssl != NULL)
		SSL_set_shutdown(c->ssl, SSL_SENT_SHUTDOWN |
		    SSL_RECEIVED_SHUTDOWN);
	if (c->bev != NULL)
		bufferevent_free(c->bev);	/* closes the socket, frees SSL */
	free(c);
}

static void
arm(struct server_conn *c, const struct timeval *tv)
{
	event_del(c->deadline);
	event_add(c->deadline, tv);
}

static const char *
reason(int status)
{
	switch (status) {
	case 100: return "Continue";
	case 200: return "OK";
	case 202: return "Accepted";
	case 400: return "Bad Request";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 409: return "Conflict";
	case 413: return "Content Too Large";
	case 415: return "Unsupported Media Type";
	case 417: return "Expectation Failed";
	case 422: return "Unprocessable Content";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	case 505: return "HTTP Version Not Supported";
	default: return "Status";
	}
}

void
server_http_answer(struct evbuffer *out, int status, const char *content_type,
    const char *body, size_t len, long retry_after, int close)
{
	evbuffer_add_printf(out, "HTTP/1.1 %d %s\r\n", status,
	    reason(status));
	if (content_type != NULL)
		evbuffer_add_printf(out, "Content-Type: %s\r\n", content_type);
	evbuffer_add_printf(out, "Content-Length: %zu\r\n", len);
	/* Answers name cases: no cache keeps them, and no client guesses
	 * another type for them. */
	evbuffer_add_printf(out, "Cache-Control: no-store\r\n"
	    "X-Content-Type-Options: nosniff\r\n");
	if (retry_after >= 0)
		evbuffer_add_printf(out, "Retry-After: %ld\r\n", retry_after);
	if (close)
		evbuffer_add_printf(out, "Connection: close\r\n");
	evbuffer_add(out, "\r\n", 2);
	if (len > 0)
		evbuffer_add(out, body, len);
}

/* Lingering: the deadline is HLX_LINGER_IDLE_SECONDS from now, but never
 * past linger_until.  -1 when that has passed. */
static int
linger_arm(struct server_conn *c)
{
	double left = c->linger_until - now_mono();
	struct timeval tv;

	if (left <= 0)
		return -1;
	if (left > HLX_LINGER_IDLE_SECONDS)
		left = HLX_LINGER_IDLE_SECONDS;
	tv.tv_sec = (time_t)left;
	tv.tv_usec = (suseconds_t)((left - (double)tv.tv_sec) * 1e6);
	arm(c, &tv);
	return 0;
}

/* Reads and throws away what a lingering client sends; closes it past
 * HLX_LINGER_BYTES or HLX_LINGER_SECONDS.  c may be freed. */
static void
linger_read(struct server_conn *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	size_t len = evbuffer_get_length(in);

	evbuffer_drain(in, len);
	c->linger_bytes += len;
	if (c->linger_bytes > HLX_LINGER_BYTES || linger_arm(c) == -1)
		conn_free(c);
}

/* A transport-level refusal as an HLX Error; the connection then closes
 * (its remaining input cannot be trusted to frame the next request). */
static void
refuse(struct server_conn *c, int status, const char *code, int retryable,
    long retry_after, const char *detail)
{
	struct server_error e = { status, code, detail, retryable,
		retry_after };
	const struct server_request *r;
	struct server_request none;
	char *body = NULL;
	size_t len = 0;

	memset(&none, 0, sizeof(none));
	/* The request pending, or the one being read. */
	r = c->req != NULL ? c->req : server_http_request(c->http);
	body = c->srv->hooks.error_body(r != NULL ? r : &none, &e, &len,
	    c->srv->hooks.arg);
	server_http_answer(bufferevent_get_output(c->bev), status,
	    c->srv->error_type, body, body != NULL ? len : 0, retry_after, 1);
	free(body);
	/* The admin listener's are a local client's mistakes, each one a
	 * line a local loop could multiply: debug only. */
	if (c->srv->plain)
		log_debug("event=refused listener=%s ip=%s status=%d code=%s",
		    c->srv->name, c->ip, status, code);
	else
		log_info("event=refused ip=%s status=%d code=%s", c->ip,
		    status, code);
	/* A client still sending its request (a body over the limit, most
	 * often) reads the answer only when it has sent it all; closing now
	 * would reset the connection and destroy the answer in its socket
	 * buffer.  So linger, within bounds, on the partner listener; the
	 * admin listener's clients send no bodies.  Not after a 408: that
	 * client has had its time. */
	if (!c->srv->plain && status != 408 && (c->phase == PH_HEADERS ||
	    c->phase == PH_BODY)) {
		c->phase = PH_CLOSING;
		c->linger = 1;
		c->linger_until = now_mono() + HLX_LINGER_SECONDS;
		c->linger_bytes = 0;
		linger_arm(c);
		return;
	}
	c->phase = PH_CLOSING;
	bufferevent_disable(c->bev, EV_READ);
	/* Bound the time we wait for the answer to drain. */
	arm(c, &c->srv->header_tv);
}

static void
on_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct server_conn *c = arg;

	(void)fd;
	(void)what;
	switch (c->phase) {
	case PH_HANDSHAKE:
		/* Before authentication: logged and counted, not audited. */
		log_info("event=handshake_timeout ip=%s", c->ip);
		metrics_fault("-", "handshake_timeout");
		conn_free(c);
		break;
	case PH_IDLE:
		/* An idle keep-alive ends quietly; a client that does not
		 * read its answers is cut off. */
		c->clean = !c->throttled;
		conn_free(c);
		break;
	case PH_HEADERS:
	case PH_BODY:
		/* A client that sends a byte a second is cut off here. */
		refuse(c, 408, "REQUEST_TIMEOUT", 1, -1, c->phase == PH_HEADERS ?
		    "the request headers took too long" :
		    "the request body took too long");
		break;
	case PH_WAIT:
		break;
	case PH_CLOSING:
		conn_free(c);
		break;
	}
}

/* --- the framing: http-parser callbacks ----------------------------- */

static struct server_http *
http_of(http_parser *p)
{
	return p->data;
}

static int
on_message_begin(http_parser *p)
{
	struct server_http *h = http_of(p);

	if ((h->req = calloc(1, sizeof(*h->req))) == NULL)
		return 1;
	h->req->started = now_mono();
	h->header_bytes = 0;
	h->header_count = 0;
	h->field_len = 0;
	h->in_value = 0;
	h->hdr = HDR_OTHER;
	h->expect[0] = '\0';
	h->expect_seen = 0;
	h->ctypes = 0;
	h->tes = 0;
	h->te[0] = '\0';
	h->cut = 0;
	h->in_body = 0;
	evbuffer_drain(h->body, evbuffer_get_length(h->body));
	h->ops->begin(h->arg);
	return 0;
}

static int
too_large_headers(struct server_http *h, size_t more)
{
	h->header_bytes += more;
	return h->header_bytes > SERVER_HEADERS_MAX;
}

static int
on_url(http_parser *p, const char *at, size_t len)
{
	struct server_http *h = http_of(p);
	size_t have = strlen(h->req->path);

	if (too_large_headers(h, len) || have + len >= sizeof(h->req->path))
		return 1;
	memcpy(h->req->path + have, at, len);
	h->req->path[have + len] = '\0';
	return 0;
}

static void http_refuse(struct server_http *, int, const char *, int, long,
    const char *);

static int
on_header_field(http_parser *p, const char *at, size_t len)
{
	struct server_http *h = http_of(p);
	size_t i;

	if (too_large_headers(h, len))
		return 1;
	/* After the head, http-parser reads a trailer through these same
	 * callbacks: a field there could say what check 4 refuses in the
	 * head (Content-Encoding), and no partner needs one.  scan()
	 * refuses it first; this is in case the two ever disagree. */
	if (h->in_body) {
		http_refuse(h, 400, "MALFORMED", 0, -1, "a trailer field; "
		    "none is accepted");
		return 1;
	}
	if (h->in_value || h->header_count == 0) {
		if (++h->header_count > SERVER_HEADER_COUNT_MAX)
			return 1;
		h->field_len = 0;
		h->in_value = 0;
	}
	for (i = 0; i < len && h->field_len < sizeof(h->field) - 1; i++)
		h->field[h->field_len++] = (char)(at[i] >= 'A' && at[i] <= 'Z' ?
		    at[i] + 32 : at[i]);
	/* A name cut here is 31 bytes long: none of those we compare. */
	h->field[h->field_len] = '\0';
	return 0;
}

/* 0, or -1 when the value does not fit: dst keeps what did, and the
 * caller must not compare it. */
static int
append(char *dst, size_t dstsz, const char *at, size_t len)
{
	size_t have = strlen(dst);
	int rc = 0;

	if (have + len >= dstsz) {
		len = dstsz - have - 1;
		rc = -1;
	}
	memcpy(dst + have, at, len);
	dst[have + len] = '\0';
	return rc;
}

static int
on_header_value(http_parser *p, const char *at, size_t len)
{
	struct server_http *h = http_of(p);

	if (too_large_headers(h, len))
		return 1;
	if (!h->in_value) {
		h->in_value = 1;
		h->hdr = strcmp(h->field, "content-type") == 0 ? HDR_CTYPE :
		    strcmp(h->field, "content-encoding") == 0 ? HDR_CENC :
		    strcmp(h->field, "expect") == 0 ? HDR_EXPECT :
		    strcmp(h->field, "transfer-encoding") == 0 ? HDR_TE :
		    HDR_OTHER;
		/* Counted once a header, however its value is cut. */
		if (h->hdr == HDR_CTYPE)
			h->ctypes++;
		else if (h->hdr == HDR_TE)
			h->tes++;
		else if (h->hdr == HDR_EXPECT)
			h->expect_seen = 1;
	}
	switch (h->hdr) {
	case HDR_CTYPE:
		if (append(h->req->content_type,
		    sizeof(h->req->content_type), at, len) == -1)
			h->cut |= 1u << HDR_CTYPE;
		break;
	case HDR_CENC:
		h->req->content_encoding = 1;
		break;
	case HDR_EXPECT:
		if (append(h->expect, sizeof(h->expect), at, len) == -1)
			h->cut |= 1u << HDR_EXPECT;
		break;
	case HDR_TE:
		if (append(h->te, sizeof(h->te), at, len) == -1)
			h->cut |= 1u << HDR_TE;
		break;
	case HDR_OTHER:
		break;
	}
	return 0;
}

/* v is want, case-insensitively, but for the optional whitespace after
 * it that http-parser leaves in a value (RFC 9110 5.5). */
static int
ows_equal(const char *v, const char *want)
{
	size_t n = strlen(want), i;

	if (strncasecmp(v, want, n) != 0)
		return 0;
	for (i = n; v[i] == ' ' || v[i] == '\t'; i++)
		;
	return v[i] == '\0';
}

static void
http_refuse(struct server_http *h, int status, const char *code,
    int retryable, long retry_after, const char *detail)
{
	struct server_error e = { status, code, detail, retryable,
		retry_after };

	h->refused = 1;
	h->ops->refuse(h->req, &e, h->arg);
}

/*
 * Return -1: stop parsing (an answer was queued).  Not 1: from this
 * callback 1 means "no body" to http-parser, and parsing would go on.
 */
static int
on_headers_complete(http_parser *p)
{
	struct server_http *h = http_of(p);
	struct server_error e;
	size_t q;

	h->req->method = http_method_str((enum http_method)p->method);
	q = strcspn(h->req->path, "?#");
	h->req->path[q] = '\0';
	/* Check 2: what a front end could frame otherwise, or a server
	 * would understand otherwise, is refused before checks 3 and 4. */
	if (p->http_major != 1 || p->http_minor > 1) {
		http_refuse(h, 505, "HTTP_VERSION_NOT_SUPPORTED", 0, -1,
		    "only HTTP/1.1 and HTTP/1.0 are spoken here");
		return -1;
	}
	if (p->upgrade) {
		http_refuse(h, 400, "MALFORMED", 0, -1, "no upgrade is spoken "
		    "here");
		return -1;
	}
	if (h->ctypes > 1) {
		http_refuse(h, 400, "MALFORMED", 0, -1, "Content-Type is "
		    "repeated");
		return -1;
	}
	if (h->cut & (1u << HDR_CTYPE)) {
		http_refuse(h, 400, "MALFORMED", 0, -1, "a Content-Type "
		    "value too long to be one we accept");
		return -1;
	}
	/* RFC 9112 6.1: an HTTP/1.0 message with Transfer-Encoding has
	 * faulty framing; any other coding than chunked alone, or chunked
	 * named twice, is one we do not decode. */
	if (h->tes > 0 && (h->tes > 1 || p->http_minor == 0 ||
	    !(p->flags & F_CHUNKED) || (h->cut & (1u << HDR_TE)) ||
	    !ows_equal(h->te, "chunked"))) {
		http_refuse(h, 400, "MALFORMED", 0, -1, "Transfer-Encoding "
		    "must be exactly chunked, once, in HTTP/1.1");
		return -1;
	}
	if (h->expect_seen && ((h->cut & (1u << HDR_EXPECT)) ||
	    !ows_equal(h->expect, "100-continue"))) {
		http_refuse(h, 417, "EXPECTATION_FAILED", 0, -1, "the only "
		    "expectation met here is Expect: 100-continue");
		return -1;
	}
	/* 1 again, 6's BUSY, 3, 4 (the connection's), then 5 */
	memset(&e, 0, sizeof(e));
	e.retry_after = -1;
	if (h->ops->headers(h->req, &e, h->arg) == -1) {
		http_refuse(h, e.status, e.code, e.retryable, e.retry_after,
		    e.detail);
		return -1;
	}
	if ((p->flags & F_CONTENTLENGTH) && p->content_length >
	    *h->max_bytes) {
		http_refuse(h, 413, "TOO_LARGE", 0, -1, "the body is larger "
		    "than max_message_bytes");
		return -1;
	}
	/* RFC 9110 10.1.1: ignored in an HTTP/1.0 request. */
	h->ops->body(h->expect_seen && p->http_minor == 1, h->arg);
	h->scan = (p->flags & F_CHUNKED) ? SC_CHUNK_SIZE : SC_BODY;
	h->in_body = 1;
	h->chunk = 0;
	h->chunk_digits = 0;
	return 0;
}

static int
on_body(http_parser *p, const char *at, size_t len)
{
	struct server_http *h = http_of(p);

	/* Refused at the first byte past the limit, chunked or not. */
	if (evbuffer_get_length(h->body) + len > *h->max_bytes) {
		http_refuse(h, 413, "TOO_LARGE", 0, -1, "the body is larger "
		    "than max_message_bytes");
		return 1;
	}
	return evbuffer_add(h->body, at, len) == 0 ? 0 : 1;
}

static int
on_message_complete(http_parser *p)
{
	struct server_http *h = http_of(p);
	struct server_request *r = h->req;
	size_t len = evbuffer_get_length(h->body);

	if (len > 0) {
		if ((r->buf = malloc(len)) == NULL)
			return 1;
		evbuffer_remove(h->body, r->buf, len);
		r->body = r->buf;
		r->len = len;
	}
	/* Nothing more is parsed until this request is answered. */
	http_parser_pause(p, 1);
	h->scan = SC_START;
	h->handed = 1;
	h->req = NULL;
	h->ops->request(r, http_should_keep_alive(p), h->arg);
	return 0;
}

static const http_parser_settings settings = {
	.on_message_begin = on_message_begin,
	.on_url = on_url,
	.on_header_field = on_header_field,
	.on_header_value = on_header_value,
	.on_headers_complete = on_headers_complete,
	.on_body = on_body,
	.on_message_complete = on_message_complete,
};

struct server_http *
server_http_new(const size_t *max_bytes, const struct server_http_ops *ops,
    void *arg)
{
	struct server_http *h;

	if ((h = calloc(1, sizeof(*h))) == NULL)
		return NULL;
	if ((h->body = evbuffer_new()) == NULL) {
		free(h);
		return NULL;
	}
	h->ops = ops;
	h->arg = arg;
	h->max_bytes = max_bytes;
	http_parser_init(&h->parser, HTTP_REQUEST);
	h->parser.data = h;
	return h;
}

void
server_http_free(struct server_http *h)
{
	if (h == NULL)
		return;
	server_request_free(h->req);
	evbuffer_free(h->body);
	free(h);
}

/* One byte of a request, header or trailer line: 0, or 1 when it ends
 * the head or the trailer (their empty line), or -1 with *why. */
static int
scan_line(struct server_http *h, unsigned char ch, const char **why)
{
	if (h->scan == SC_LINE_CR) {
		if (ch != '\n') {
			*why = "a CR not followed by LF";
			return -1;
		}
		if (h->line_len == 0)
			return 1;
		h->scan = SC_LINE;
		h->line_len = 0;
		h->in_name = 1;
		return 0;
	}
	if (ch == '\r') {
		h->scan = SC_LINE_CR;
		return 0;
	}
	if (ch == '\n') {
		*why = "a line ends in a bare LF, not CRLF";
		return -1;
	}
	if (h->in_name) {
		if (h->line_len == 0 && (ch == ' ' || ch == '\t')) {
			*why = "a folded header line (obs-fold)";
			return -1;
		}
		if (ch == ' ' || ch == '\t') {
			*why = "whitespace in a header name or before its colon";
			return -1;
		}
		if (ch == ':')
			h->in_name = 0;
	}
	h->line_len++;
	return 0;
}

static int
hex_value(unsigned char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/*
 * How many of len bytes http-parser may see now: all of them, or up to
 * the end of a head or of a chunked body (where http-parser must tell
 * what follows: on_headers_complete, on_message_complete), or up to the
 * first byte that breaks strict HTTP/1.1 framing (*why says how).
 */
static size_t
scan(struct server_http *h, const char *data, size_t len, const char **why)
{
	size_t i = 0;
	uint64_t take;
	unsigned char ch;
	int v;

	*why = NULL;
	while (i < len) {
		ch = (unsigned char)data[i];
		switch (h->scan) {
		case SC_START:
			/* RFC 9112 2.2: an empty line before a request line
			 * is ignored -- but a CRLF one. */
			if (ch == '\r') {
				h->scan = SC_START_CR;
				break;
			}
			if (ch == '\n') {
				*why = "a line ends in a bare LF, not CRLF";
				return i;
			}
			h->scan = SC_LINE;
			h->line_len = 0;
			h->in_name = 0;
			h->trailer = 0;
			continue;	/* the request line's first byte */
		case SC_START_CR:
			if (ch != '\n') {
				*why = "a CR not followed by LF";
				return i;
			}
			h->scan = SC_START;
			break;
		case SC_LINE:
		case SC_LINE_CR:
			/* The trailer may be its empty line alone. */
			if (h->trailer && h->scan == SC_LINE && ch != '\r') {
				*why = "a trailer field; none is accepted";
				return i;
			}
			v = scan_line(h, ch, why);
			if (v == -1)
				return i;
			if (v == 1) {
				h->scan = h->trailer ? SC_DONE : SC_HEAD_DONE;
				return i + 1;
			}
			break;
		case SC_HEAD_DONE:
		case SC_DONE:
			/* http-parser ended no head or body where we did:
			 * the two disagree on the framing. */
			*why = "the request is framed ambiguously";
			return i;
		case SC_BODY:
			return len;
		case SC_CHUNK_SIZE:
			if ((v = hex_value(ch)) >= 0) {
				if (h->chunk > (UINT64_MAX >> 4)) {
					*why = "a chunk size too large";
					return i;
				}
				h->chunk = h->chunk * 16 + (uint64_t)v;
				h->chunk_digits++;
				break;
			}
			if (h->chunk_digits > 0 && ch == ';') {
				h->scan = SC_CHUNK_EXT;
				break;
			}
			if (h->chunk_digits > 0 && ch == '\r') {
				h->scan = SC_CHUNK_SIZE_CR;
				break;
			}
			*why = "a chunk size line is not hex digits, "
			    "extensions and CRLF";
			return i;
		case SC_CHUNK_EXT:
			/* http-parser reads no extension: any text to CRLF */
			if (ch == '\r')
				h->scan = SC_CHUNK_SIZE_CR;
			else if (ch == '\n') {
				*why = "a line ends in a bare LF, not CRLF";
				return i;
			}
			break;
		case SC_CHUNK_SIZE_CR:
			if (ch != '\n') {
				*why = "a CR not followed by LF";
				return i;
			}
			if (h->chunk == 0) {
				/* the last chunk: a trailer, then CRLF */
				h->scan = SC_LINE;
				h->trailer = 1;
				h->line_len = 0;
				h->in_name = 1;
			} else
				h->scan = SC_CHUNK_DATA;
			break;
		case SC_CHUNK_DATA:
			take = h->chunk < len - i ? h->chunk : len - i;
			h->chunk -= take;
			i += (size_t)take;
			if (h->chunk == 0)
				h->scan = SC_CHUNK_DATA_CR;
			continue;
		case SC_CHUNK_DATA_CR:
		case SC_CHUNK_DATA_LF:
			if (ch != (h->scan == SC_CHUNK_DATA_CR ? '\r' : '\n')) {
				*why = "chunk data not followed by CRLF";
				return i;
			}
			if (h->scan == SC_CHUNK_DATA_CR)
				h->scan = SC_CHUNK_DATA_LF;
			else {
				h->scan = SC_CHUNK_SIZE;
				h->chunk = 0;
				h->chunk_digits = 0;
			}
			break;
		}
		i++;
	}
	return len;
}

/* http-parser on bytes scan() let through. */
static size_t
parse(struct server_http *h, const char *data, size_t len,
    enum server_http_rc *rc)
{
	enum http_errno e;
	size_t n;

	n = http_parser_execute(&h->parser, &settings, data, len);
	e = HTTP_PARSER_ERRNO(&h->parser);
	if (h->refused)
		*rc = SERVER_HTTP_STOP;
	else if (e == HPE_PAUSED || h->handed)
		*rc = SERVER_HTTP_WAIT;
	else if (e == HPE_OK)
		*rc = SERVER_HTTP_MORE;
	else if (h->req == NULL && on_message_begin(&h->parser) != 0)
		*rc = SERVER_HTTP_FAIL;
	else {
		if (e == HPE_CB_url || e == HPE_CB_header_field ||
		    e == HPE_CB_header_value || e == HPE_HEADER_OVERFLOW)
			http_refuse(h, 431, "HEADERS_TOO_LARGE", 0, -1, "the "
			    "request line and headers exceed their limit");
		else
			http_refuse(h, 400, "MALFORMED", 0, -1, "not a valid "
			    "HTTP/1.1 request");
		*rc = SERVER_HTTP_STOP;
	}
	return n;
}

size_t
server_http_execute(struct server_http *h, const char *data, size_t len,
    enum server_http_rc *rc)
{
	const char *why;
	size_t off = 0, ok;

	*rc = SERVER_HTTP_MORE;
	while (off < len) {
		ok = scan(h, data + off, len - off, &why);
		if (ok > 0)
			off += parse(h, data + off, ok, rc);
		if (*rc != SERVER_HTTP_MORE)
			break;
		if (why == NULL && ok == 0)
			why = "the request is framed ambiguously";
		if (why != NULL) {
			/* Before a request line, the request to refuse. */
			if (h->req == NULL && on_message_begin(&h->parser) != 0)
				*rc = SERVER_HTTP_FAIL;
			else {
				http_refuse(h, 400, "MALFORMED", 0, -1, why);
				*rc = SERVER_HTTP_STOP;
			}
			break;
		}
	}
	return off;
}

void
server_http_resume(struct server_http *h)
{
	h->handed = 0;
	http_parser_pause(&h->parser, 0);
}

const struct server_request *
server_http_request(const struct server_http *h)
{
	return h->req;
}

/* --- the framing's operations for a connection ---------------------- */

static void
conn_begin(void *arg)
{
	struct server_conn *c = arg;

	c->phase = PH_HEADERS;
	arm(c, &c->srv->header_tv);
}

static int
conn_headers(struct server_request *r, struct server_error *e, void *arg)
{
	struct server_conn *c = arg;
	struct server *srv = c->srv;
	char why[160];

	/* Check 1 again, and who the answer is for (none without TLS). */
	if (!srv->plain && tls_peer_of(c->ssl, *srv->live, r->peer,
	    sizeof(r->peer), r->pin, sizeof(r->pin), why, sizeof(why)) == -1) {
		r->peer[0] = '\0';
		log_warnx("event=refused ip=%s reason=\"%s\"", c->ip, why);
	}
	/* 6: over the connection cap, the partner is told to come back. */
	if (c->busy) {
		e->status = 503;
		e->code = "BUSY";
		e->detail = "too many connections; try again later";
		e->retryable = 1;
		e->retry_after = 5;
		return -1;
	}
	/* 3, 4 (the caller's) */
	if ((r->peer[0] != '\0' || srv->plain) && srv->hooks.headers != NULL &&
	    srv->hooks.headers(r, e, srv->hooks.arg) == -1)
		return -1;
	return 0;
}

static void
conn_body(int expect_continue, void *arg)
{
	struct server_conn *c = arg;

	if (expect_continue)
		evbuffer_add_printf(bufferevent_get_output(c->bev),
		    "HTTP/1.1 100 Continue\r\n\r\n");
	c->phase = PH_BODY;
	arm(c, &c->srv->body_tv);
}

static void
conn_refuse(const struct server_request *r, const struct server_error *e,
    void *arg)
{
	struct server_conn *c = arg;

	(void)r;	/* refuse() finds it */
	refuse(c, e->status, e->code, e->retryable, e->retry_after,
	    e->detail);
}

static void
conn_request(struct server_request *r, int keepalive, void *arg)
{
	struct server_conn *c = arg;
	struct server *srv = c->srv;

	event_del(c->deadline);
	c->keepalive = keepalive;
	r->conn = c;
	c->req = r;
	c->phase = PH_WAIT;
	srv->pending++;
	srv->hooks.request(r, srv->hooks.arg);
}

static const struct server_http_ops conn_ops = {
	.begin = conn_begin,
	.headers = conn_headers,
	.body = conn_body,
	.refuse = conn_refuse,
	.request = conn_request,
};

/* --- the connection ------------------------------------------------- */

static void
conn_read(struct bufferevent *bev, void *arg)
{
	struct server_conn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	struct evbuffer_iovec v;
	enum server_http_rc rc;
	size_t n;

	if (c->linger) {
		linger_read(c);
		return;
	}
	while (c->phase == PH_IDLE || c->phase == PH_HEADERS ||
	    c->phase == PH_BODY) {
		if (evbuffer_peek(in, -1, NULL, &v, 1) < 1 || v.iov_len == 0)
			return;
		n = server_http_execute(c->http, v.iov_base, v.iov_len, &rc);
		evbuffer_drain(in, n);
		if (rc == SERVER_HTTP_FAIL) {
			conn_free(c);
			return;
		}
		/* WAIT: answered, then on_resume; STOP: refused, closing */
		if (rc != SERVER_HTTP_MORE)
			break;
	}
	if (c->linger)
		linger_read(c);
}

static void
conn_write(struct bufferevent *bev, void *arg)
{
	struct server_conn *c = arg;
	size_t out = evbuffer_get_length(bufferevent_get_output(bev));

	/* A lingering connection ends when the client closes it, or at
	 * the bounds (linger_read, on_deadline). */
	if (c->phase == PH_CLOSING && out == 0 && !c->linger) {
		c->clean = 1;
		conn_free(c);
		return;
	}
	if (c->throttled && out <= SERVER_OUTPUT_LOW) {
		c->throttled = 0;
		bufferevent_setwatermark(bev, EV_WRITE, 0, 0);
		bufferevent_enable(bev, EV_READ);
		arm(c, &c->srv->header_tv);
		event_active(c->resume, 0, 0);
	}
}

/* The handshake verified the pin (tls.c): the connection leaves the
 * handshakes' room for the partners'.  -1: not even the BUSY band has
 * room; close it. */
static int
conn_authenticated(struct server_conn *c)
{
	struct server *srv = c->srv;

	unsigned long n;

	hs_remove(srv, c);
	if (srv->nauth >= 2 * (size_t)srv->max_conns) {
		metrics_fault("-", "connection_cap");
		if (tally_due(&srv->cap_refused, &n))
			log_info("event=refused listener=%s ip=%s reason="
			    "\"connection cap\" max=%u refused=%lu",
			    srv->name, c->ip, srv->max_conns, n);
		return -1;
	}
	/* 6: over the cap, the partner is told BUSY at its request. */
	c->busy = srv->nauth >= srv->max_conns;
	c->authed = 1;
	srv->nauth++;
	return 0;
}

static void
conn_event(struct bufferevent *bev, short what, void *arg)
{
	struct server_conn *c = arg;

	if (what & BEV_EVENT_CONNECTED) {
		if (conn_authenticated(c) == -1) {
			conn_free(c);
			return;
		}
		c->phase = PH_IDLE;
		arm(c, &c->srv->header_tv);
		return;
	}
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
		if (c->phase == PH_HANDSHAKE) {
			unsigned long e = bufferevent_get_openssl_error(bev);
			const char *why = e != 0 ? ERR_reason_error_string(e) :
			    NULL;

			log_info("event=handshake_failed ip=%s reason=\"%s\"",
			    c->ip, why != NULL ? why : "connection closed");
			metrics_fault("-", "handshake_failed");
		}
		c->clean = (what & BEV_EVENT_EOF) && c->phase == PH_IDLE;
		conn_free(c);
	}
}

static void
on_resume(evutil_socket_t fd, short what, void *arg)
{
	struct server_conn *c = arg;

	(void)fd;
	(void)what;
	server_http_resume(c->http);
	conn_read(c->bev, c);
}

/* server_http_answer() with header lines of ours before the blank line. */
static void
answer_with(struct evbuffer *out, int status, const char *content_type,
    const char *headers, const char *body, size_t len, long retry_after,
    int close)
{
	struct evbuffer *tmp = NULL;
	struct evbuffer_ptr end;

	if (headers == NULL || (tmp = evbuffer_new()) == NULL) {
		/* Out of memory: the answer without them beats none. */
		server_http_answer(out, status, content_type, body, len,
		    retry_after, close);
		return;
	}
	server_http_answer(tmp, status, content_type, body, len, retry_after,
	    close);
	end = evbuffer_search(tmp, "\r\n\r\n", 4, NULL);
	if (end.pos >= 0) {
		evbuffer_remove_buffer(tmp, out, (size_t)end.pos + 2);
		evbuffer_add(out, headers, strlen(headers));
	}
	evbuffer_add_buffer(out, tmp);
	evbuffer_free(tmp);
}

void
server_reply(struct server_request *r, int status, const char *content_type,
    const char *body, size_t len, long retry_after)
{
	server_reply_with(r, status, content_type, NULL, body, len,
	    retry_after);
}

void
server_reply_with(struct server_request *r, int status,
    const char *content_type, const char *headers, const char *body,
    size_t len, long retry_after)
{
	struct server_conn *c = r->conn;

	if (c == NULL) {
		server_request_free(r);
		return;
	}
	c->srv->pending--;
	c->req = NULL;
	server_request_free(r);
	answer_with(bufferevent_get_output(c->bev), status, content_type,
	    headers, body, len, retry_after, !c->keepalive);
	if (!c->keepalive) {
		c->phase = PH_CLOSING;
		arm(c, &c->srv->header_tv);
		return;
	}
	c->phase = PH_IDLE;
	arm(c, &c->srv->header_tv);
	/* A client that pipelines requests without reading the answers
	 * would make us buffer them all: wait until it reads. */
	if (evbuffer_get_length(bufferevent_get_output(c->bev)) >
	    SERVER_OUTPUT_HIGH) {
		c->throttled = 1;
		bufferevent_disable(c->bev, EV_READ);
		bufferevent_setwatermark(c->bev, EV_WRITE, SERVER_OUTPUT_LOW,
		    0);
		return;
	}
	/* Not from here: we may be inside the parser's callback. */
	event_active(c->resume, 0, 0);
}

/* Over a cap, what a new connection may not take; logs why. */
static int
conn_over_cap(struct server *srv, const struct ipcount *ipc, const char *ip)
{
	unsigned long n;

	if (srv->plain) {
		if (srv->nconns < srv->max_conns)
			return 0;
		/* A local process opening connections in a loop must not
		 * fill the log either: once per interval, with a count. */
		metrics_fault("-", "admin_connection_cap");
		if (tally_due(&srv->cap_refused, &n))
			log_warnx("event=refused listener=%s reason=\"connection "
			    "cap\" max=%u refused=%lu", srv->name, srv->max_conns,
			    n);
		return 1;
	}
	/* Over the global cap a partner is answered 503 BUSY (check 6),
	 * on one more connection per address than its cap; past that, or
	 * past twice the global cap, nothing is answered at all: the BUSY
	 * answer itself must not become the way to exhaust us, nor one
	 * address take the room of all the others. */
	if (srv->nauth >= 2 * (size_t)srv->max_conns ||
	    (ipc != NULL && ipc->n >= srv->max_per_ip +
	    (srv->nauth >= srv->max_conns ? 1u : 0u))) {
		/* Nor may a client without a certificate fill the log. */
		metrics_fault("-", "connection_cap");
		if (tally_due(&srv->cap_refused, &n))
			log_info("event=refused listener=%s ip=%s reason="
			    "\"connection cap\" max=%u max_per_ip=%u refused=%lu",
			    srv->name, ip, srv->max_conns, srv->max_per_ip, n);
		return 1;
	}
	return 0;
}

static void
on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
    int salen, void *arg)
{
	struct server *srv = arg;
	struct server_conn *c = NULL, *victim;
	struct ipcount *ipc;
	char ip[INET6_ADDRSTRLEN] = "?", key[SERVER_KEY_MAX];
	unsigned long n;
	unsigned per_addr;
	int one = 1;

	(void)l;
	(void)salen;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)sa)->sin_addr, ip,
		    sizeof(ip));
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)sa)->sin6_addr, ip,
		    sizeof(ip));
	if (server_addr_key(sa, key, sizeof(key)) == -1)
		snprintf(key, sizeof(key), "%s", ip);
	ipc = ip_find(srv, key);
	if (conn_over_cap(srv, ipc, ip)) {
		evutil_closesocket(fd);
		return;
	}
	/* The handshakes' room is full and this address already holds its
	 * share of stalled handshakes (hs_stalled): it would only take the
	 * place of another one of its own, or of someone else's. */
	per_addr = srv->max_handshakes / HLX_HANDSHAKES_PER_ADDR_DIV;
	if (per_addr < 1)
		per_addr = 1;
	if (!srv->plain && srv->nhandshakes >= srv->max_handshakes &&
	    hs_stalled_from(srv, key) >= per_addr) {
		metrics_fault("-", "handshakes_per_address");
		if (tally_due(&srv->hs_refused, &n))
			log_info("event=refused listener=%s ip=%s reason="
			    "\"stalled handshakes per address\" max=%u "
			    "refused=%lu", srv->name, ip, per_addr, n);
		evutil_closesocket(fd);
		return;
	}
	/* The handshakes' room is full: the oldest stalled handshake gives
	 * way (hs_victim).  With none, this one comes in all the same (it is
	 * accepted: closing it could cut a partner) and the listener pauses
	 * below, so that the room is exceeded by one at most. */
	while (!srv->plain && srv->nhandshakes >= srv->max_handshakes &&
	    (victim = hs_victim(srv)) != NULL) {
		metrics_fault("-", "handshake_evicted");
		if (tally_due(&srv->hs_evicted, &n))
			log_info("event=handshake_evicted listener=%s ip=%s "
			    "reason=\"max_handshakes (%u) reached, stalled "
			    "for %.0fs\" evicted=%lu", srv->name, victim->ip,
			    srv->max_handshakes, now_mono() - victim->accepted,
			    n);
		conn_free(victim);
		/* It may have been the last of this address's. */
		ipc = ip_find(srv, key);
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if ((c = calloc(1, sizeof(*c))) == NULL)
		goto fail;
	c->srv = srv;
	c->accepted = now_mono();
	snprintf(c->ip, sizeof(c->ip), "%s", ip);
	snprintf(c->key, sizeof(c->key), "%s", key);
	if (ipc == NULL) {
		if ((ipc = calloc(1, sizeof(*ipc))) == NULL)
			goto fail;
		snprintf(ipc->ip, sizeof(ipc->ip), "%s", key);
		ipc->next = srv->ips;
		srv->ips = ipc;
	}
	ipc->n++;
	srv->nconns++;
	c->next = srv->conns;
	if (srv->conns != NULL)
		srv->conns->prev = c;
	srv->conns = c;
	if (srv->plain) {
		c->authed = 1;
		srv->nauth++;
	} else
		hs_add(srv, c);
	if ((!srv->plain && (c->ssl = SSL_new(srv->ctx)) == NULL) ||
	    (c->http = server_http_new(&srv->max_bytes, &conn_ops,
	    c)) == NULL ||
	    (c->deadline = evtimer_new(srv->base, on_deadline, c)) == NULL ||
	    (c->resume = event_new(srv->base, -1, 0, on_resume, c)) == NULL)
		goto fail_conn;
	if (srv->plain)
		c->bev = bufferevent_socket_new(srv->base, fd,
		    BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
	else
		c->bev = bufferevent_openssl_socket_new(srv->base, fd, c->ssl,
		    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE |
		    BEV_OPT_DEFER_CALLBACKS);
	if (c->bev == NULL)
		goto fail_conn;
	fd = -1;
	/* Clients that close without close_notify are common and harmless
	 * here: a request is complete, or it is refused. */
	if (!srv->plain)
		bufferevent_openssl_set_allow_dirty_shutdown(c->bev, 1);
	/* While a request waits for its answer, a client that keeps on
	 * sending fills at most this much: then reading stops. */
	bufferevent_setwatermark(c->bev, EV_READ, 0, srv->max_bytes +
	    SERVER_HEADERS_MAX + 65536);
	bufferevent_setcb(c->bev, conn_read, conn_write, conn_event, c);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	if (srv->plain) {
		c->phase = PH_IDLE;
		arm(c, &srv->header_tv);
	} else {
		c->phase = PH_HANDSHAKE;
		arm(c, &srv->handshake_tv);
		/* Full, and none may give way: the next wait in the backlog
		 * until a handshake ends (hs_remove) or one may (the timer). */
		if (srv->nhandshakes >= srv->max_handshakes &&
		    hs_victim(srv) == NULL)
			accept_pause(srv, PAUSE_ROOM, "max_handshakes reached");
	}
	return;
fail_conn:
	if (c->bev == NULL && c->ssl != NULL) {
		SSL_free(c->ssl);
		c->ssl = NULL;
	}
	if (fd != -1)
		evutil_closesocket(fd);
	conn_free(c);
	return;
fail:
	free(c);
	evutil_closesocket(fd);
}

/*
 * accept() failed and libevent would not retry: out of descriptors
 * (EMFILE, ENFILE) or memory.  Left alone the listener would be readable
 * again at once and spin on the same error; it pauses instead, and the
 * pending connections wait in the backlog meanwhile.
 */
static void
on_accept_error(struct evconnlistener *l, void *arg)
{
	struct server *srv = arg;
	int err = EVUTIL_SOCKET_ERROR();

	(void)l;
	accept_pause(srv, PAUSE_EMFILE, strerror(err));
}

static void
on_accept_resume(evutil_socket_t fd, short what, void *arg)
{
	struct server *srv = arg;
	struct timeval tv = { HLX_ACCEPT_PAUSE, 0 };

	(void)fd;
	(void)what;
	srv->paused &= ~PAUSE_EMFILE;
	if ((srv->paused & PAUSE_ROOM) && (srv->nhandshakes <
	    srv->max_handshakes || hs_victim(srv) != NULL))
		srv->paused &= ~PAUSE_ROOM;
	if (srv->paused != 0)
		event_add(srv->accept_timer, &tv);
	else if (srv->listener != NULL)
		evconnlistener_enable(srv->listener);
}

void
server_set_conf(struct server *srv, const struct conf *c)
{
	srv->max_bytes = c->max_message_bytes;
	srv->max_conns = c->max_connections;
	srv->max_per_ip = c->max_connections_per_ip;
	srv->max_handshakes = c->max_handshakes;
	srv->handshake_tv.tv_sec = c->handshake_timeout;
	srv->header_tv.tv_sec = c->header_timeout;
	srv->body_tv.tv_sec = c->body_timeout;
}

/* A new server, its listener not yet open. */
static struct server *
server_new(struct event_base *base, const struct server_hooks *hooks,
    char *why, size_t whysz)
{
	struct server *srv;

	if ((srv = calloc(1, sizeof(*srv))) == NULL ||
	    (srv->accept_timer = evtimer_new(base, on_accept_resume,
	    srv)) == NULL) {
		free(srv);
		snprintf(why, whysz, "out of memory");
		return NULL;
	}
	srv->base = base;
	srv->hooks = *hooks;
	srv->name = "partner";
	srv->error_type = "application/xml";
	/* The first pause, and the first refusal, are logged at once. */
	srv->accept_logged = now_mono() - HLX_ACCEPT_LOG_INTERVAL;
	srv->cap_refused.logged = srv->accept_logged;
	srv->hs_evicted.logged = srv->accept_logged;
	srv->hs_refused.logged = srv->accept_logged;
	return srv;
}

/* Binds host:port (numeric) for srv, with the accept() back-off. */
static int
server_listen(struct server *srv, const char *host, int port, char *why,
    size_t whysz)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	socklen_t sl;
	evutil_socket_t fd;
	int one = 1;

	memset(&ss, 0, sizeof(ss));
	if (port < 0 || port > 65535) {
		snprintf(why, whysz, "bad port %d", port);
		return -1;
	}
	if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		sl = sizeof(*s6);
	} else if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		sl = sizeof(*s4);
	} else {
		snprintf(why, whysz, "cannot listen on %s:%d: not a numeric "
		    "address", host, port);
		return -1;
	}
	srv->listener = evconnlistener_new_bind(srv->base, on_accept, srv,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC,
	    1024, (struct sockaddr *)&ss, (int)sl);
	if (srv->listener == NULL) {
		snprintf(why, whysz, "cannot listen on %s:%d: %s", host, port,
		    strerror(errno));
		return -1;
	}
	evconnlistener_set_error_cb(srv->listener, on_accept_error);
	fd = evconnlistener_get_fd(srv->listener);
	/* Without it every keep-alive answer waits 40 ms for Nagle and
	 * delayed ACKs; accepted sockets inherit it (and get it again). */
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) == -1) {
		snprintf(why, whysz, "TCP_NODELAY: %s", strerror(errno));
		return -1;
	}
	sl = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
		srv->port = ntohs(ss.ss_family == AF_INET6 ? s6->sin6_port :
		    s4->sin_port);
	return 0;
}

struct server *
server_start(struct event_base *base, const struct conf *c, SSL_CTX *ctx,
    const struct peertab *const *live, const struct server_hooks *hooks,
    char *why, size_t whysz)
{
	struct server *srv;

	if ((srv = server_new(base, hooks, why, whysz)) == NULL)
		return NULL;
	srv->ctx = ctx;
	srv->live = live;
	server_set_conf(srv, c);
	if (server_listen(srv, c->listen.host, c->listen.port, why,
	    whysz) == -1) {
		server_free(srv);
		return NULL;
	}
	return srv;
}

struct server *
server_start_plain(struct event_base *base, const char *host, int port,
    const struct server_plain *p, const struct server_hooks *hooks,
    char *why, size_t whysz)
{
	struct server *srv;

	if ((srv = server_new(base, hooks, why, whysz)) == NULL)
		return NULL;
	srv->plain = 1;
	srv->name = "admin";
	srv->error_type = p->error_type;
	srv->max_bytes = p->max_bytes;
	srv->max_conns = p->max_conns;
	srv->max_per_ip = p->max_conns;
	srv->header_tv.tv_sec = p->timeout;
	srv->body_tv.tv_sec = p->timeout;
	if (server_listen(srv, host, port, why, whysz) == -1) {
		server_free(srv);
		return NULL;
	}
	return srv;
}

int
server_port(const struct server *srv)
{
	return srv->port;
}

size_t
server_pending(const struct server *srv)
{
	return srv->pending;
}

size_t
server_connections(const struct server *srv)
{
	return srv->nconns;
}

void
server_close_listener(struct server *srv)
{
	if (srv->listener != NULL) {
		evconnlistener_free(srv->listener);
		srv->listener = NULL;
	}
	if (srv->accept_timer != NULL)
		event_del(srv->accept_timer);
}

void
server_free(struct server *srv)
{
	if (srv == NULL)
		return;
	server_close_listener(srv);
	while (srv->conns != NULL)
		conn_free(srv->conns);
	if (srv->accept_timer != NULL)
		event_free(srv->accept_timer);
	free(srv);
}
