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
#define DELIVERY_TICK_MS	1000		/* outbox polled (<= 2 s) */

struct delivery;

/* st is the thread's own store connection (it takes it over). */
struct delivery	*delivery_start(const struct conf *, const struct msg_schema *,
		    struct store *st, char *why, size_t whysz);
void		 delivery_stop(struct delivery *);

#endif /* HLX_HLXD_DELIVERY_H */
