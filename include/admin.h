/*
 * admin -- hlxd's local plain-HTTP listener ([admin] address,
 * operations.md §2): GET /healthz and GET /metrics, nothing else.
 *
 * It runs on the caller's libevent loop and only answers: /healthz asks
 * the caller's callback, /metrics renders metrics.h.  It never touches the
 * store, the keys or a partner connection itself.  Plain HTTP because the
 * configuration keeps it on loopback (conf.c refuses another address
 * unless [admin] allow_remote = yes).
 *
 * Answers: a method other than GET → 405 with "Allow: GET"; /healthz →
 * 200 "ok\n", or 503 "unavailable: WHY\n" when the callback returns -1
 * (text/plain); /metrics → 200, "text/plain; version=0.0.4"; any other
 * path → 404.  Requests are framed and bounded by server.c, as the
 * partners' are: headers SERVER_HEADERS_MAX (431 past it), no body (413
 * to one), an absolute deadline of HLX_ADMIN_TIMEOUT for each phase (408,
 * or closed when idle), at most HLX_ADMIN_CONNECTIONS_MAX connections (a
 * new one over it is closed at once).
 *
 * Ownership: admin_start() returns an object that admin_stop() frees,
 * with every connection still open; the event_base stays the caller's and
 * must outlive it.  Both run on the loop's thread (or with the loop
 * stopped).
 */
#ifndef HLX_ADMIN_H
#define HLX_ADMIN_H

#include <stddef.h>

struct event_base;
struct admin;

/*
 * healthz(arg, why, whysz): 0 when healthy; -1 when not, with a short
 * reason in why (printable ASCII, NUL-terminated; other bytes are replaced
 * on the wire).  NULL healthz: always healthy.
 *
 * Binds host:port (port 0: any free port, see admin_port()).  Returns NULL
 * on failure with the reason in err.
 */
struct admin	*admin_start(struct event_base *base, const char *host,
		    int port, int (*healthz)(void *arg, char *why, size_t whysz),
		    void *arg, char *err, size_t errsz);
/* The port actually bound. */
int		 admin_port(const struct admin *);
/* Closes the listener and every connection, frees everything; NULL is a
 * no-op. */
void		 admin_stop(struct admin *);

#endif /* HLX_ADMIN_H */
