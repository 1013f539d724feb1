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
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

enum hdr { HDR_OTHER, HDR_CTYPE, HDR_CENC, HDR_EXPECT };

struct ipcount {
	char		 ip[INET6_ADDRSTRLEN];
	unsigned	 n;
	struct ipcount	*next;
};

struct server_conn {
	struct server		*srv;
	struct bufferevent	*bev;
	SSL			*ssl;
	char			 ip[INET6_ADDRSTRLEN];
	enum phase		 phase;
	struct event		*deadline;
	struct event		*resume;
	struct server_http	*http;		/* the framing */
	struct server_request	*req;		/* pending (PH_WAIT) */
	int			 busy;		/* over the connection cap */
	int			 keepalive;
	int			 throttled;	/* waiting for the client to read */
	int			 clean;		/* keep the TLS session */
	struct server_conn	*prev, *next;
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
};

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
	ip_release(srv, c->ip);
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
	case 422: return "Unprocessable Content";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
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
	    "application/xml", body, body != NULL ? len : 0, retry_after, 1);
	free(body);
	log_info("event=refused ip=%s status=%d code=%s", c->ip, status, code);
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

static int
on_header_field(http_parser *p, const char *at, size_t len)
{
	struct server_http *h = http_of(p);
	size_t i;

	if (too_large_headers(h, len))
		return 1;
	if (h->in_value || h->header_count == 0) {
		if (++h->header_count > SERVER_HEADER_COUNT_MAX)
			return 1;
		h->field_len = 0;
		h->in_value = 0;
	}
	for (i = 0; i < len && h->field_len < sizeof(h->field) - 1; i++)
		h->field[h->field_len++] = (char)(at[i] >= 'A' && at[i] <= 'Z' ?
		    at[i] + 32 : at[i]);
	h->field[h->field_len] = '\0';
	return 0;
}

static void
append(char *dst, size_t dstsz, const char *at, size_t len)
{
	size_t have = strlen(dst);

	if (have + len >= dstsz)
		len = dstsz - have - 1;
	memcpy(dst + have, at, len);
	dst[have + len] = '\0';
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
		    strcmp(h->field, "expect") == 0 ? HDR_EXPECT : HDR_OTHER;
	}
	switch (h->hdr) {
	case HDR_CTYPE:
		/* A value too long to keep is no media type we accept. */
		if (strlen(h->req->content_type) + len >=
		    sizeof(h->req->content_type))
			snprintf(h->req->content_type,
			    sizeof(h->req->content_type), "(too long)");
		else
			append(h->req->content_type,
			    sizeof(h->req->content_type), at, len);
		break;
	case HDR_CENC:
		h->req->content_encoding = 1;
		break;
	case HDR_EXPECT:
		append(h->expect, sizeof(h->expect), at, len);
		break;
	case HDR_OTHER:
		break;
	}
	return 0;
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
	if (p->upgrade || p->http_major != 1) {
		http_refuse(h, 400, "MALFORMED", 0, -1, "only HTTP/1.x without "
		    "upgrade is spoken here");
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
	h->ops->body(strcasecmp(h->expect, "100-continue") == 0, h->arg);
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

size_t
server_http_execute(struct server_http *h, const char *data, size_t len,
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

	/* Check 1 again, and who the answer is for. */
	if (tls_peer_of(c->ssl, *srv->live, r->peer, sizeof(r->peer), r->pin,
	    sizeof(r->pin), why, sizeof(why)) == -1) {
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
	if (r->peer[0] != '\0' && srv->hooks.headers != NULL &&
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
			return;
	}
}

static void
conn_write(struct bufferevent *bev, void *arg)
{
	struct server_conn *c = arg;
	size_t out = evbuffer_get_length(bufferevent_get_output(bev));

	if (c->phase == PH_CLOSING && out == 0) {
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

static void
conn_event(struct bufferevent *bev, short what, void *arg)
{
	struct server_conn *c = arg;

	if (what & BEV_EVENT_CONNECTED) {
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

void
server_reply(struct server_request *r, int status, const char *content_type,
    const char *body, size_t len, long retry_after)
{
	struct server_conn *c = r->conn;

	if (c == NULL) {
		server_request_free(r);
		return;
	}
	c->srv->pending--;
	c->req = NULL;
	server_request_free(r);
	server_http_answer(bufferevent_get_output(c->bev), status,
	    content_type, body, len, retry_after, !c->keepalive);
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

static void
on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
    int salen, void *arg)
{
	struct server *srv = arg;
	struct server_conn *c = NULL;
	struct ipcount *ipc;
	char ip[INET6_ADDRSTRLEN] = "?";
	int one = 1;

	(void)l;
	(void)salen;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)sa)->sin_addr, ip,
		    sizeof(ip));
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)sa)->sin6_addr, ip,
		    sizeof(ip));
	ipc = ip_find(srv, ip);
	/* Over the global cap a partner is answered 503 BUSY (check 6),
	 * on one more connection per IP than its cap; past that, or past
	 * twice the global cap, nothing is answered at all: the BUSY answer
	 * itself must not become the way to exhaust us, nor one address
	 * take the room of all the others. */
	if (srv->nconns >= 2 * (size_t)srv->max_conns ||
	    (ipc != NULL && ipc->n >= srv->max_per_ip +
	    (srv->nconns >= srv->max_conns ? 1u : 0u))) {
		log_info("event=refused ip=%s reason=\"connection cap\"", ip);
		metrics_fault("-", "connection_cap");
		evutil_closesocket(fd);
		return;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if ((c = calloc(1, sizeof(*c))) == NULL)
		goto fail;
	c->srv = srv;
	snprintf(c->ip, sizeof(c->ip), "%s", ip);
	c->busy = srv->nconns >= srv->max_conns;
	if (ipc == NULL) {
		if ((ipc = calloc(1, sizeof(*ipc))) == NULL)
			goto fail;
		snprintf(ipc->ip, sizeof(ipc->ip), "%s", ip);
		ipc->next = srv->ips;
		srv->ips = ipc;
	}
	ipc->n++;
	srv->nconns++;
	c->next = srv->conns;
	if (srv->conns != NULL)
		srv->conns->prev = c;
	srv->conns = c;
	if ((c->ssl = SSL_new(srv->ctx)) == NULL ||
	    (c->http = server_http_new(&srv->max_bytes, &conn_ops,
	    c)) == NULL ||
	    (c->deadline = evtimer_new(srv->base, on_deadline, c)) == NULL ||
	    (c->resume = event_new(srv->base, -1, 0, on_resume, c)) == NULL)
		goto fail_conn;
	c->bev = bufferevent_openssl_socket_new(srv->base, fd, c->ssl,
	    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE |
	    BEV_OPT_DEFER_CALLBACKS);
	if (c->bev == NULL)
		goto fail_conn;
	fd = -1;
	/* Clients that close without close_notify are common and harmless
	 * here: a request is complete, or it is refused. */
	bufferevent_openssl_set_allow_dirty_shutdown(c->bev, 1);
	/* While a request waits for its answer, a client that keeps on
	 * sending fills at most this much: then reading stops. */
	bufferevent_setwatermark(c->bev, EV_READ, 0, srv->max_bytes +
	    SERVER_HEADERS_MAX + 65536);
	c->phase = PH_HANDSHAKE;
	bufferevent_setcb(c->bev, conn_read, conn_write, conn_event, c);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	arm(c, &srv->handshake_tv);
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

void
server_set_conf(struct server *srv, const struct conf *c)
{
	srv->max_bytes = c->max_message_bytes;
	srv->max_conns = c->max_connections;
	srv->max_per_ip = c->max_connections_per_ip;
	srv->handshake_tv.tv_sec = c->handshake_timeout;
	srv->header_tv.tv_sec = c->header_timeout;
	srv->body_tv.tv_sec = c->body_timeout;
}

struct server *
server_start(struct event_base *base, const struct conf *c, SSL_CTX *ctx,
    const struct peertab *const *live, const struct server_hooks *hooks,
    char *why, size_t whysz)
{
	struct server *srv = NULL;
	struct sockaddr_storage ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	socklen_t sl;
	evutil_socket_t fd;
	int one = 1;

	if ((srv = calloc(1, sizeof(*srv))) == NULL) {
		snprintf(why, whysz, "out of memory");
		return NULL;
	}
	srv->base = base;
	srv->ctx = ctx;
	srv->live = live;
	srv->hooks = *hooks;
	server_set_conf(srv, c);
	memset(&ss, 0, sizeof(ss));
	if (c->listen.family == AF_INET6) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)c->listen.port);
		inet_pton(AF_INET6, c->listen.host, &s6->sin6_addr);
		sl = sizeof(*s6);
	} else {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)c->listen.port);
		inet_pton(AF_INET, c->listen.host, &s4->sin_addr);
		sl = sizeof(*s4);
	}
	srv->listener = evconnlistener_new_bind(base, on_accept, srv,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC,
	    1024, (struct sockaddr *)&ss, (int)sl);
	if (srv->listener == NULL) {
		snprintf(why, whysz, "cannot listen on %s:%d: %s",
		    c->listen.host, c->listen.port, strerror(errno));
		goto fail;
	}
	fd = evconnlistener_get_fd(srv->listener);
	/* Without it every keep-alive answer waits 40 ms for Nagle and
	 * delayed ACKs; accepted sockets inherit it (and get it again). */
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) == -1) {
		snprintf(why, whysz, "TCP_NODELAY: %s", strerror(errno));
		goto fail;
	}
	sl = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
		srv->port = ntohs(ss.ss_family == AF_INET6 ? s6->sin6_port :
		    s4->sin_port);
	return srv;
fail:
	server_free(srv);
	return NULL;
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
}

void
server_free(struct server *srv)
{
	if (srv == NULL)
		return;
	server_close_listener(srv);
	while (srv->conns != NULL)
		conn_free(srv->conns);
	free(srv);
}
