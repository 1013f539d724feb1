/*
 * hlxd_delivery -- the thread that delivers the outbox (protocol.md §4):
 * libcurl multi over mutual TLS, every attempt and answer kept, back-off,
 * dead letters; and the routing of messages that waited for a route
 * (protocol.md §5).  Never touches the listener's loop.
 */
#ifndef HLX_HLXD_DELIVERY_H
#define HLX_HLXD_DELIVERY_H

#include "conf.h"
#include "message.h"
#include "outcome.h"
#include "store.h"

#define DELIVERY_ANSWER_MAX	OUTCOME_ANSWER_MAX
#define DELIVERY_INFLIGHT_MAX	256		/* transfers at once */
/* Capabilities fetches started in one round, past DELIVERY_INFLIGHT_MAX:
 * at most DELIVERY_TRANSFERS_MAX transfers, and as many connections kept
 * (CURLMOPT_MAXCONNECTS), for hlxd's descriptor budget (fdbudget.h). */
#define DELIVERY_CAPS_AT_ONCE	16
#define DELIVERY_TRANSFERS_MAX	(DELIVERY_INFLIGHT_MAX + DELIVERY_CAPS_AT_ONCE)
#define DELIVERY_TICK_MS	1000		/* outbox polled (<= 2 s) */

#define DELIVERY_CRED_MAX	(1024 * 1024)	/* a PEM file of [tls] */

struct delivery;

/*
 * Our certificate, key and CA ([tls] cert, key, ca) in memory, read by
 * hlxd before it drops privileges: libcurl is given the bytes, never the
 * paths, so the key file may stay readable by root alone.
 */
struct delivery_creds {
	char		*cert, *key, *ca;	/* ca NULL: none */
	size_t		 cert_len, key_len, ca_len;
};

/* 0, or -1 with why naming the file. */
int		 delivery_creds_load(const struct conf *,
		    struct delivery_creds *, char *why, size_t whysz);
/* Frees them; the key's bytes are wiped first. */
void		 delivery_creds_free(struct delivery_creds *);

/* st is the thread's own store connection, creds the credentials: it
 * takes both over. */
struct delivery	*delivery_start(const struct conf *, const struct msg_schema *,
		    struct store *st, struct delivery_creds *creds, char *why,
		    size_t whysz);
void		 delivery_stop(struct delivery *);

#endif /* HLX_HLXD_DELIVERY_H */
