/*
 * peertab -- the live table of peers' pins: what the TLS layer asks at
 * every handshake and every request (protocol.md §1).
 *
 * It holds every pin of every peer that is not removed, not only those
 * that authenticate, so that a refusal can say why: the pin is retired,
 * its peer disabled, or the pin past its expiry (issue 13: a pin outlives
 * the certificate it came from, so it carries that certificate's notAfter
 * or the operator's --expires, whatever certificate is presented).
 *
 * Pure: built by the caller from the store, replaced as a whole when the
 * store changes (never edited in place), read by one thread.  The caller
 * passes the time, so that expiry is tested at its edge.
 */
#ifndef HLX_PEERTAB_H
#define HLX_PEERTAB_H

#include <stddef.h>
#include <time.h>

/* What a pin is, as loaded. */
enum peertab_state {
	PEERTAB_PIN_VALID,	/* not retired, its peer enabled */
	PEERTAB_PIN_RETIRED,
	PEERTAB_PIN_DISABLED,	/* not retired, but its peer is disabled */
};

/* What a presented pin is worth now. */
enum peertab_verdict {
	PEERTAB_OK,
	PEERTAB_UNKNOWN,	/* no peer's pin */
	PEERTAB_RETIRED,
	PEERTAB_DISABLED,
	PEERTAB_EXPIRED,	/* now >= its expiry */
};

struct peertab;

struct peertab	*peertab_new(void);
/* One pin of peer id; expires 0: no known expiry.  0, or -1 when out of
 * memory. */
int		 peertab_add(struct peertab *, const char *pin, const char *id,
		    enum peertab_state, time_t expires);
/*
 * What pin is worth at now.  *id (when not NULL) is the peer the pin
 * belongs to, or NULL when it belongs to none; *expires (when not NULL) its
 * expiry, 0 when none is known.  Only PEERTAB_OK authenticates.
 */
enum peertab_verdict peertab_check(const struct peertab *, const char *pin,
		    time_t now, const char **id, time_t *expires);
/* "unknown pin", "retired pin", ...: the reason logged for a refusal. */
const char	*peertab_verdict_name(enum peertab_verdict);
/* Pins that authenticate someone at now (valid and not expired). */
size_t		 peertab_count(const struct peertab *, time_t now);
/* The same pins of the same peers, states and expiries (NULL is an empty
 * table). */
int		 peertab_equal(const struct peertab *, const struct peertab *);
void		 peertab_free(struct peertab *);

#endif /* HLX_PEERTAB_H */
