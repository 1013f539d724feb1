/*
 * admin.c -- the admin listener: GET /healthz and GET /metrics over plain
 * HTTP on loopback, with libevent's evhttp.  See admin.h.
 *
 * SECURITY: reads untrusted input -- HTTP requests from whoever can reach
 * [admin] address, which the configuration keeps on loopback unless an
 * operator sets allow_remote -- and parses nothing of it but the request
 * line and headers, which evhttp bounds (8 KiB of headers, no body, 10 s
 * per read or write).  It touches nothing but the in-memory metrics
 * (read-only) and the caller's healthz callback: no store, no file, no
 * key, no partner connection, and no request ever changes state.  The
 * answers carry no message content and no secret; they do name peers
 * (metrics labels), which is why the listener is not exposed.
 *
 * XXX evhttp 2.1 has no cap on simultaneous connections: a local process
 * could open many.  Loopback-only makes that a local nuisance, not a
 * remote one; an evconnlistener of our own with a counter would fix it.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>

#include "admin.h"
#include "metrics.h"

#define ADMIN_HEADERS_MAX	(8 * 1024)	/* bytes of request headers */
#define ADMIN_TIMEOUT		10		/* seconds per read or write */
#define ADMIN_WHY_MAX		256		/* healthz reason */

struct admin {
	struct evhttp			*a_http;
	struct evhttp_bound_socket	*a_sock;
	int				 a_port;
	int				(*a_healthz)(void *, char *, size_t);
	void				*a_arg;
};

/* Sends a text/plain answer; body is ours, already safe to send. */
static void
reply(struct evhttp_request *req, int code, const char *reason,
    const char *ctype, const char *body, size_t len)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	struct evbuffer *buf;

	evhttp_add_header(h, "Content-Type", ctype);
	evhttp_add_header(h, "Cache-Control", "no-store");
	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	if ((buf = evbuffer_new()) == NULL ||
	    evbuffer_add(buf, body, len) == -1) {
		/* Out of memory: an empty answer beats none. */
		if (buf != NULL)
			evbuffer_free(buf);
		evhttp_send_reply(req, HTTP_INTERNAL, "Internal Server Error",
		    NULL);
		return;
	}
	evhttp_send_reply(req, code, reason, buf);
	evbuffer_free(buf);
}

static void
reply_text(struct evhttp_request *req, int code, const char *reason,
    const char *body)
{
	reply(req, code, reason, "text/plain; charset=utf-8", body,
	    strlen(body));
}

static void
serve_healthz(struct admin *a, struct evhttp_request *req)
{
	char why[ADMIN_WHY_MAX], body[ADMIN_WHY_MAX + 32];
	size_t i;

	why[0] = '\0';
	if (a->a_healthz == NULL || a->a_healthz(a->a_arg, why,
	    sizeof(why)) == 0) {
		reply_text(req, HTTP_OK, "OK", "ok\n");
		return;
	}
	why[sizeof(why) - 1] = '\0';
	/* The reason is ours, but keep the answer one plain line anyway. */
	for (i = 0; why[i] != '\0'; i++)
		if (why[i] < 0x20 || why[i] > 0x7e)
			why[i] = '?';
	snprintf(body, sizeof(body), "unavailable: %s\n",
	    why[0] != '\0' ? why : "unknown");
	reply_text(req, HTTP_SERVUNAVAIL, "Service Unavailable", body);
}

static void
serve_metrics(struct evhttp_request *req)
{
	size_t len;
	char *text;

	if ((text = metrics_render(&len)) == NULL) {
		reply_text(req, HTTP_INTERNAL, "Internal Server Error",
		    "out of memory\n");
		return;
	}
	reply(req, HTTP_OK, "OK", "text/plain; version=0.0.4", text, len);
	free(text);
}

static void
serve(struct evhttp_request *req, void *arg)
{
	struct admin *a = arg;
	const struct evhttp_uri *uri;
	const char *path;

	if (evhttp_request_get_command(req) != EVHTTP_REQ_GET) {
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Allow", "GET");
		reply_text(req, HTTP_BADMETHOD, "Method Not Allowed",
		    "method not allowed\n");
		return;
	}
	if ((uri = evhttp_request_get_evhttp_uri(req)) == NULL ||
	    (path = evhttp_uri_get_path(uri)) == NULL) {
		reply_text(req, HTTP_BADREQUEST, "Bad Request",
		    "bad request\n");
		return;
	}
	if (strcmp(path, "/healthz") == 0)
		serve_healthz(a, req);
	else if (strcmp(path, "/metrics") == 0)
		serve_metrics(req);
	else
		reply_text(req, HTTP_NOTFOUND, "Not Found", "not found\n");
}

static int
bound_port(struct evhttp_bound_socket *sock)
{
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);
	evutil_socket_t fd;

	if ((fd = evhttp_bound_socket_get_fd(sock)) == -1 ||
	    getsockname(fd, (struct sockaddr *)&ss, &sslen) == -1)
		return -1;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return -1;
}

struct admin *
admin_start(struct event_base *base, const char *host, int port,
    int (*healthz)(void *arg, char *why, size_t whysz), void *arg,
    char *err, size_t errsz)
{
	struct admin *a = NULL, *ret = NULL;

	if (base == NULL || host == NULL || port < 0 || port > 65535) {
		snprintf(err, errsz, "admin: bad address");
		goto out;
	}
	if ((a = calloc(1, sizeof(*a))) == NULL ||
	    (a->a_http = evhttp_new(base)) == NULL) {
		snprintf(err, errsz, "admin: out of memory");
		goto out;
	}
	a->a_healthz = healthz;
	a->a_arg = arg;
	evhttp_set_max_headers_size(a->a_http, ADMIN_HEADERS_MAX);
	evhttp_set_max_body_size(a->a_http, 0);
	evhttp_set_timeout(a->a_http, ADMIN_TIMEOUT);
	/* Let every method reach serve(), which answers 405 with Allow;
	 * evhttp itself would answer 501 to those it was not told of. */
	evhttp_set_allowed_methods(a->a_http, EVHTTP_REQ_GET |
	    EVHTTP_REQ_POST | EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT |
	    EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS | EVHTTP_REQ_TRACE |
	    EVHTTP_REQ_CONNECT | EVHTTP_REQ_PATCH);
	evhttp_set_gencb(a->a_http, serve, a);
	errno = 0;
	if ((a->a_sock = evhttp_bind_socket_with_handle(a->a_http, host,
	    (ev_uint16_t)port)) == NULL) {
		snprintf(err, errsz, "admin: cannot listen on %s port %d: %s",
		    host, port, errno != 0 ? strerror(errno) : "failed");
		goto out;
	}
	if ((a->a_port = bound_port(a->a_sock)) == -1) {
		snprintf(err, errsz, "admin: getsockname: %s",
		    strerror(errno));
		goto out;
	}
	ret = a;
	a = NULL;
out:
	admin_stop(a);
	return ret;
}

int
admin_port(const struct admin *a)
{
	return a->a_port;
}

void
admin_stop(struct admin *a)
{
	if (a == NULL)
		return;
	/* evhttp_free closes the bound socket and every connection. */
	if (a->a_http != NULL)
		evhttp_free(a->a_http);
	free(a);
}
