/*
 * metrics -- the counters of operations.md §2, kept in memory and rendered
 * in the Prometheus text format (version 0.0.4) for the admin listener's
 * /metrics.
 *
 * Thread-safe (one mutex): the loop thread and the writer thread both
 * count.  Pure bookkeeping: no I/O, no logging, never exits; every call is
 * cheap enough for the hot path (a binary search under the mutex).
 *
 * Families (fixed; metrics_render() prints them sorted by name, each with
 * its # HELP and # TYPE lines even before the first sample, so that a
 * scraper always sees them):
 *
 *   hlx_handoffs_overdue                          gauge
 *   hlx_handoffs_pending                          gauge
 *   hlx_messages_received_total{peer,type,result} counter
 *   hlx_messages_sent_total{peer,type,result}     counter
 *   hlx_metrics_series_folded_total               counter (see below)
 *   hlx_outbox_messages{peer,state}               gauge
 *   hlx_peer_cert_expiry_timestamp_seconds{peer}  gauge
 *   hlx_peer_faults_total{peer,kind}              counter
 *   hlx_request_duration_seconds                  histogram
 *
 * Within a family, series are sorted by their label values (byte order), so
 * two scrapes of the same state are byte-identical.
 *
 * Label values are hotline ids, body names and result codes -- checked
 * values, but escaped on output all the same (backslash, double quote,
 * newline); NULL counts as "".  Memory is bounded: each family holds at
 * most METRICS_SERIES_MAX label sets, and a value longer than
 * METRICS_LABEL_MAX bytes is never stored.  A sample that would need a new
 * series past the limit (or an over-long value, or a failed allocation) is
 * folded into the family's one series whose label values are all "other"
 * and counted in hlx_metrics_series_folded_total: never dropped silently.
 * Folded counters add up; a folded hlx_outbox_messages adds up; a folded
 * hlx_peer_cert_expiry_timestamp_seconds keeps the earliest expiry (the
 * one an operator must act on).  A real series whose values are all
 * "other" shares that series.
 *
 * Ownership: the module copies every string it keeps; metrics_render()'s
 * result belongs to the caller (free()).
 */
#ifndef HLX_METRICS_H
#define HLX_METRICS_H

#include <stddef.h>
#include <stdint.h>

#define METRICS_SERIES_MAX	4096	/* label sets per family, + "other" */
#define METRICS_LABEL_MAX	128	/* bytes of one label value */

/* hlx_messages_received_total{peer,type,result} += 1 */
void	metrics_received(const char *peer, const char *type, const char *result);
/* hlx_messages_sent_total{peer,type,result} += 1 */
void	metrics_sent(const char *peer, const char *type, const char *result);
/* hlx_peer_faults_total{peer,kind} += 1 */
void	metrics_fault(const char *peer, const char *kind);
/*
 * hlx_request_duration_seconds: one observation.  Buckets 0.001 0.005 0.01
 * 0.025 0.05 0.1 0.25 0.5 1 2.5 5 10 +Inf (upper bounds, inclusive); a
 * negative or non-finite duration counts as 0 so that one bad clock
 * reading cannot poison _sum forever.
 */
void	metrics_request_duration(double seconds);

/*
 * Gauges, replaced as a whole by whoever computes them:
 * hlx_outbox_messages{peer,state}, hlx_handoffs_overdue,
 * hlx_handoffs_pending, hlx_peer_cert_expiry_timestamp_seconds{peer}.
 *
 * metrics_gauge_reset() forgets every series of gauge `name` (the family's
 * HELP and TYPE lines stay); metrics_gauge_set() sets one series.  The
 * label names must be the family's, in order, NULL where it has fewer
 * (hlx_handoffs_overdue, hlx_handoffs_pending: both NULL).  An unlabelled gauge has no sample
 * until it is first set.  Both return 0, or -1 (and change nothing) for a
 * name that is not a gauge family or label names that are not its own:
 * a programming error, never a run-time condition.
 *
 * XXX a scrape between a reset and the last set sees part of the family;
 * a metrics_gauge_replace() taking every series at once would fix it.
 */
int	metrics_gauge_reset(const char *name);
int	metrics_gauge_set(const char *name, const char *label1,
	    const char *value1, const char *label2, const char *value2,
	    double v);

/*
 * The whole exposition, malloc'd and NUL-terminated (the caller frees it);
 * its length without the NUL in *len when len is not NULL.  NULL only when
 * memory runs out.
 */
char	*metrics_render(size_t *len);
/* Forgets every sample and frees every series (tests; exit). */
void	metrics_reset(void);

#endif /* HLX_METRICS_H */
