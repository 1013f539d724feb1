/*
 * admin.c -- the admin listener: GET /healthz and GET /metrics over plain
 * HTTP on loopback, served by server.c's HTTP/1.1 (server_start_plain), the
 * same code as the partners' listener without TLS.  See admin.h.
 *
 * SECURITY: reads untrusted input -- HTTP requests from whoever can reach
 * [admin] address, which the configuration keeps on loopback unless an
 * operator sets allow_remote -- and parses nothing of it itself: server.c
 * frames it with its bounds (SERVER_HEADERS_MAX of headers, no body,
 * absolute deadlines of HLX_ADMIN_TIMEOUT, HLX_ADMIN_CONNECTIONS_MAX
 * connections).  It touches nothing but the in-memory metrics (read-only)
 * and the caller's healthz callback: no store, no file, no key, no partner
 * connection, and no request ever changes state.  The answers carry no
 * message content and no secret; they do name peers (metrics labels),
 * which is why the listener is not exposed.
 *
 * Whether hlxd is healthy is the caller's (hlxd.c's healthz callback);
 * this file only says it on the wire.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin.h"
#include "hlx_limits.h"
#include "metrics.h"
#include "server.h"

#define ADMIN_WHY_MAX		256		/* healthz reason */
#define ADMIN_TEXT		"text/plain; charset=utf-8"

struct admin {
	struct server			*a_srv;
	int				(*a_healthz)(void *, char *, size_t);
	void				*a_arg;
};

/* Sends an answer with a Date (RFC 9110 §6.6.1: a server with a clock
 * sends one, as evhttp did) and the header lines of allow (ours). */
static void
reply(struct server_request *r, int code, const char *ctype,
    const char *allow, const char *body, size_t len)
{
	char hdr[128], date[64];
	struct tm tm;
	time_t now = time(NULL);

	/* hlxd never calls setlocale(): day and month names are C's. */
	if (gmtime_r(&now, &tm) == NULL || strftime(date, sizeof(date),
	    "%a, %d %b %Y %H:%M:%S GMT", &tm) == 0)
		date[0] = '\0';
	snprintf(hdr, sizeof(hdr), "%s%s%s%s", date[0] != '\0' ? "Date: " : "",
	    date, date[0] != '\0' ? "\r\n" : "", allow != NULL ? allow : "");
	server_reply_with(r, code, ctype, hdr[0] != '\0' ? hdr : NULL, body,
	    len, -1);
}

/* Sends a text/plain answer; body is ours, already safe to send. */
static void
reply_text(struct server_request *r, int code, const char *allow,
    const char *body)
{
	reply(r, code, ADMIN_TEXT, allow, body, strlen(body));
}

static void
serve_healthz(struct admin *a, struct server_request *r)
{
	char why[ADMIN_WHY_MAX], body[ADMIN_WHY_MAX + 32];
	size_t i;

	why[0] = '\0';
	if (a->a_healthz == NULL || a->a_healthz(a->a_arg, why,
	    sizeof(why)) == 0) {
		reply_text(r, 200, NULL, "ok\n");
		return;
	}
	why[sizeof(why) - 1] = '\0';
	/* The reason is ours, but keep the answer one plain line anyway. */
	for (i = 0; why[i] != '\0'; i++)
		if (why[i] < 0x20 || why[i] > 0x7e)
			why[i] = '?';
	snprintf(body, sizeof(body), "unavailable: %s\n",
	    why[0] != '\0' ? why : "unknown");
	reply_text(r, 503, NULL, body);
}

static void
serve_metrics(struct server_request *r)
{
	size_t len;
	char *text;

	if ((text = metrics_render(&len)) == NULL) {
		reply_text(r, 500, NULL, "out of memory\n");
		return;
	}
	reply(r, 200, "text/plain; version=0.0.4", NULL, text, len);
	free(text);
}

/* Each complete request, on the loop thread: answered at once. */
static void
serve(struct server_request *r, void *arg)
{
	struct admin *a = arg;

	if (strcmp(r->method, "GET") != 0)
		reply_text(r, 405, "Allow: GET\r\n", "method not allowed\n");
	else if (strcmp(r->path, "/healthz") == 0)
		serve_healthz(a, r);
	else if (strcmp(r->path, "/metrics") == 0)
		serve_metrics(r);
	else
		reply_text(r, 404, NULL, "not found\n");
}

/* The body of a refusal by server.c (400, 408, 413, 431): its detail,
 * which is ours, as one line of text. */
static char *
error_body(const struct server_request *r, const struct server_error *e,
    size_t *len, void *arg)
{
	char *body;
	int n;

	(void)r;
	(void)arg;
	if ((body = malloc(ADMIN_WHY_MAX)) == NULL)
		return NULL;
	n = snprintf(body, ADMIN_WHY_MAX, "%s\n", e->detail != NULL ?
	    e->detail : "refused");
	*len = n < 0 ? 0 : (size_t)n >= ADMIN_WHY_MAX ? ADMIN_WHY_MAX - 1 :
	    (size_t)n;
	return body;
}

struct admin *
admin_start(struct event_base *base, const char *host, int port,
    int (*healthz)(void *arg, char *why, size_t whysz), void *arg,
    char *err, size_t errsz)
{
	static const struct server_plain limits = {
		.max_conns = HLX_ADMIN_CONNECTIONS_MAX,
		.timeout = HLX_ADMIN_TIMEOUT,
		.max_bytes = 0,
		.error_type = ADMIN_TEXT,
	};
	struct server_hooks hooks;
	struct admin *a = NULL, *ret = NULL;
	char why[256];

	if (base == NULL || host == NULL || port < 0 || port > 65535) {
		snprintf(err, errsz, "admin: bad address");
		goto out;
	}
	if ((a = calloc(1, sizeof(*a))) == NULL) {
		snprintf(err, errsz, "admin: out of memory");
		goto out;
	}
	a->a_healthz = healthz;
	a->a_arg = arg;
	memset(&hooks, 0, sizeof(hooks));
	hooks.request = serve;
	hooks.headers = NULL;	/* every method reaches serve(): 405 */
	hooks.error_body = error_body;
	hooks.arg = a;
	if ((a->a_srv = server_start_plain(base, host, port, &limits, &hooks,
	    why, sizeof(why))) == NULL) {
		snprintf(err, errsz, "admin: %s", why);
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
	return server_port(a->a_srv);
}

void
admin_stop(struct admin *a)
{
	if (a == NULL)
		return;
	/* Closes the listener and every connection. */
	server_free(a->a_srv);
	free(a);
}
