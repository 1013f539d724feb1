/*
 * server.c -- evhttp over bufferevent_openssl.  See server.h.
 *
 * SECURITY: reads untrusted bytes from the network: TLS records (OpenSSL),
 * HTTP request lines and headers (evhttp, with its size limits) and bodies
 * (at most [listen] max_message_bytes, then refused).  A request reaches
 * the handler only after the TLS handshake verified the client's
 * certificate by pin (tls.c), and the pin is checked once more against the
 * live peer table, because a resumed session skips verification.  Touches
 * nothing on disk.
 */
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
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>

#include "log.h"
#include "server.h"
#include "tls.h"

/* What a connection keeps: its pending request, so that an answer that
 * comes after the connection closed is dropped, not written to freed
 * memory. */
struct server_conn {
	struct server		*srv;
	struct evhttp_connection *evcon;
	struct server_request	*pending;
	struct server_conn	*next;
};

struct server {
	struct event_base	*base;
	struct evhttp		*http;
	struct evhttp_bound_socket *bound;
	SSL_CTX			*ctx;
	const struct peertab *const *live;
	server_handler		 handler;
	void			*arg;
	int			 port;
	size_t			 pending;
	struct server_conn	*conns;
};

static double
now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct bufferevent *
bevcb(struct event_base *base, void *arg)
{
	struct server *srv = arg;
	struct bufferevent *bev;
	SSL *ssl;

	if ((ssl = SSL_new(srv->ctx)) == NULL)
		return NULL;
	bev = bufferevent_openssl_socket_new(base, -1, ssl,
	    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL) {
		SSL_free(ssl);
		return NULL;
	}
	/* Clients that close without close_notify are common and harmless
	 * here: every request is complete or it is refused. */
	bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	return bev;
}

static void
conn_closed(struct evhttp_connection *evcon, void *arg)
{
	struct server_conn *c = arg, **pp;

	(void)evcon;
	if (c->pending != NULL)
		c->pending->conn = NULL;	/* orphaned: answer dropped */
	for (pp = &c->srv->conns; *pp != NULL; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	free(c);
}

static struct server_conn *
conn_of(struct server *srv, struct evhttp_connection *evcon)
{
	struct server_conn *c;

	for (c = srv->conns; c != NULL; c = c->next)
		if (c->evcon == evcon)
			return c;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->srv = srv;
	c->evcon = evcon;
	c->next = srv->conns;
	srv->conns = c;
	evhttp_connection_set_closecb(evcon, conn_closed, c);
	return c;
}

static const char *
method_name(enum evhttp_cmd_type m)
{
	switch (m) {
	case EVHTTP_REQ_GET:
		return "GET";
	case EVHTTP_REQ_POST:
		return "POST";
	case EVHTTP_REQ_HEAD:
		return "HEAD";
	case EVHTTP_REQ_PUT:
		return "PUT";
	case EVHTTP_REQ_DELETE:
		return "DELETE";
	case EVHTTP_REQ_OPTIONS:
		return "OPTIONS";
	case EVHTTP_REQ_TRACE:
		return "TRACE";
	case EVHTTP_REQ_CONNECT:
		return "CONNECT";
	case EVHTTP_REQ_PATCH:
		return "PATCH";
	}
	return "?";
}

static void
on_request(struct evhttp_request *req, void *arg)
{
	struct server *srv = arg;
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	struct bufferevent *bev = evhttp_connection_get_bufferevent(evcon);
	struct evkeyvalq *h = evhttp_request_get_input_headers(req);
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	struct server_request *r = NULL;
	struct server_conn *c;
	const char *uri = evhttp_request_get_uri(req);
	char why[200];
	SSL *ssl;

	if ((c = conn_of(srv, evcon)) == NULL ||
	    (r = calloc(1, sizeof(*r))) == NULL) {
		free(r);
		evhttp_send_error(req, 500, "out of memory");
		return;
	}
	r->req = req;
	r->conn = c;
	r->started = now_mono();
	r->method = method_name(evhttp_request_get_command(req));
	snprintf(r->path, sizeof(r->path), "%.*s", (int)strcspn(uri, "?#"),
	    uri);
	r->content_type = evhttp_find_header(h, "Content-Type");
	r->content_encoding = evhttp_find_header(h, "Content-Encoding");
	r->len = evbuffer_get_length(in);
	if (r->len > 0)
		r->body = (const char *)evbuffer_pullup(in, -1);
	/* Check 1 again: a resumed session skipped verification, and the
	 * peer may have been disabled since the handshake. */
	ssl = bev != NULL ? bufferevent_openssl_get_ssl(bev) : NULL;
	if (ssl == NULL || tls_peer_of(ssl, *srv->live, r->peer,
	    sizeof(r->peer), r->pin, sizeof(r->pin), why,
	    sizeof(why)) == -1) {
		r->peer[0] = '\0';
		log_warnx("event=refused reason=\"%s\"", ssl == NULL ?
		    "no TLS" : why);
	}
	c->pending = r;
	srv->pending++;
	srv->handler(r, srv->arg);
}

void
server_reply(struct server_request *r, int status, const char *content_type,
    const char *body, size_t len, long retry_after)
{
	struct evhttp_request *req = r->req;
	struct evbuffer *out;
	char ra[24];

	if (r->conn != NULL) {
		r->conn->srv->pending--;
		r->conn->pending = NULL;
		out = evbuffer_new();
		if (out != NULL && body != NULL)
			evbuffer_add(out, body, len);
		if (content_type != NULL)
			evhttp_add_header(evhttp_request_get_output_headers(req),
			    "Content-Type", content_type);
		if (retry_after >= 0) {
			snprintf(ra, sizeof(ra), "%ld", retry_after);
			evhttp_add_header(evhttp_request_get_output_headers(req),
			    "Retry-After", ra);
		}
		evhttp_send_reply(req, status, NULL, out);
		if (out != NULL)
			evbuffer_free(out);
	}
	free(r);
}

struct server *
server_start(struct event_base *base, const struct conf *c, SSL_CTX *ctx,
    const struct peertab *const *live, server_handler handler, void *arg,
    char *why, size_t whysz)
{
	struct server *srv = NULL;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	evutil_socket_t fd;
	int one = 1;

	if ((srv = calloc(1, sizeof(*srv))) == NULL) {
		snprintf(why, whysz, "out of memory");
		return NULL;
	}
	srv->base = base;
	srv->ctx = ctx;
	srv->live = live;
	srv->handler = handler;
	srv->arg = arg;
	if ((srv->http = evhttp_new(base)) == NULL) {
		snprintf(why, whysz, "evhttp_new failed");
		goto fail;
	}
	evhttp_set_bevcb(srv->http, bevcb, srv);
	/* Every method reaches us, so that 405 is an HLX Error. */
	evhttp_set_allowed_methods(srv->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST |
	    EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
	    EVHTTP_REQ_OPTIONS | EVHTTP_REQ_TRACE | EVHTTP_REQ_CONNECT |
	    EVHTTP_REQ_PATCH);
	evhttp_set_max_headers_size(srv->http, 16 * 1024);
	evhttp_set_max_body_size(srv->http, (ev_ssize_t)c->max_message_bytes);
	evhttp_set_timeout(srv->http, (int)c->header_timeout);
	evhttp_set_gencb(srv->http, on_request, srv);
	srv->bound = evhttp_bind_socket_with_handle(srv->http, c->listen.host,
	    (ev_uint16_t)c->listen.port);
	if (srv->bound == NULL) {
		snprintf(why, whysz, "cannot listen on %s:%d: %s",
		    c->listen.host, c->listen.port, strerror(errno));
		goto fail;
	}
	fd = evhttp_bound_socket_get_fd(srv->bound);
	/* Accepted sockets inherit it: without it every keep-alive
	 * request waits 40 ms for Nagle and delayed ACKs. */
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) == -1) {
		snprintf(why, whysz, "TCP_NODELAY: %s", strerror(errno));
		goto fail;
	}
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
		srv->port = ntohs(ss.ss_family == AF_INET6 ?
		    ((struct sockaddr_in6 *)&ss)->sin6_port :
		    ((struct sockaddr_in *)&ss)->sin_port);
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

void
server_close_listener(struct server *srv)
{
	if (srv->bound != NULL) {
		evhttp_del_accept_socket(srv->http, srv->bound);
		srv->bound = NULL;
	}
}

void
server_free(struct server *srv)
{
	if (srv == NULL)
		return;
	if (srv->http != NULL)
		evhttp_free(srv->http);	/* closes connections: conn_closed */
	free(srv);
}
