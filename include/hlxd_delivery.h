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
#include "store.h"

#define DELIVERY_ANSWER_MAX	(1024 * 1024)	/* bytes kept of an answer */
#define DELIVERY_INFLIGHT_MAX	256		/* transfers at once */
#define DELIVERY_TICK_MS	1000		/* outbox polled (<= 2 s) */

struct delivery;

/* st is the thread's own store connection (it takes it over). */
struct delivery	*delivery_start(const struct conf *, const struct msg_schema *,
		    struct store *st, char *why, size_t whysz);
void		 delivery_stop(struct delivery *);

/*
 * The outcome of one attempt, from what came back (pure; tested alone).
 * curl_ok: a full HTTP answer arrived; cert_fault: the server's
 * certificate was refused (pin or dates).  Fills outcome, code, detail,
 * and the Receipt's PartnerCaseRef into partner (size HLX_CASE_NUMBER_MAX
 * + 1).  *retry_after: seconds asked by the answer, or -1.
 */
const char	*delivery_classify(const struct msg_schema *,
		    const char *message_id, const char *type, int curl_ok,
		    int cert_fault, long status, const char *answer,
		    size_t len, long header_retry_after, char *code,
		    size_t codesz, char *detail, size_t detailsz,
		    char *partner, long *retry_after);
/* The wait before attempt n+1 after n attempts (protocol.md §4). */
long		 delivery_backoff(unsigned n, long min, long max,
		    long retry_after, unsigned random);

#endif /* HLX_HLXD_DELIVERY_H */
