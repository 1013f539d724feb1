/*
 * store_stats.c -- the figures of `hlx stats` (operations.md §3), read in
 * one snapshot of the store.
 *
 * Definitions (README "Statistics" says the same for operators):
 *
 * - A case belongs to the calendar year (UTC) of its hcase.received_at,
 *   the record's own timestamp: the year is its first four characters.
 *   Every figure of a year is about that year's cases, including the
 *   messages and states of those cases, whenever they happened.
 * - Test cases (hcase.test = 1) are counted nowhere; neither are test
 *   outbox or inbox rows (test = 1) of real cases.
 * - cases submitted: cases of origin 'ours'.
 * - cases with illegal content: ours cases whose record has an item with
 *   "intl_verdict": "baseline" or "national_verdict": {"status":
 *   "illegal"}.
 * - cases hosted in our countries (domestic): ours cases with a hand-off
 *   of kind 'domestic'.
 * - cases referred abroad: the other ours cases (unroutable ones too), by
 *   hcase.country.
 * - referrals received: cases of origin 'received'.
 * - per partner P, over the year's cases:
 *   sent: outbox rows to P in state queued, retrying, delivered or dead
 *   (not unroutable, not cancelled); delivered; dead;
 *   removals: ours cases with a case_state row from P (source 'peer')
 *   saying content_removed (not from a test message);
 *   to_removal: for those of them that also have a delivered Referral to
 *   P, the seconds from its earliest delivered_at to the earliest
 *   content_removed StateAt from P (state_usec, floor of usec / 1e6);
 *   to_lea: for received cases whose partner is P, the seconds from the
 *   earliest inbox Referral of the case (inbox.received_at) to our
 *   earliest forwarded_to_lea (source 'local').
 *   A partner is listed for a year when any of its figures is not zero.
 * - median and 90th percentile by nearest rank: sorted ascending, the
 *   value of rank ceil(p * n / 100).  A duration is kept as measured,
 *   negative too (a StateAt before our delivery): clamping would hide a
 *   partner's clock or a removal that came before our notice.
 *
 * Read only: one deferred transaction, so that hlxd committing in the
 * middle cannot make the figures of one run disagree with each other
 * (a delivered message without its case, say).  It ends with ROLLBACK,
 * which for a read loses nothing.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store_int.h"
#include "types.h"

/*
 * The counted cases with their year y, the first four characters of the
 * timestamp as an integer (no time zone arithmetic: HLX timestamps are
 * UTC).  STATS_YEAR keeps the year asked for, ?1, or every year for 0.
 */
#define STATS_CASES \
	"WITH c AS (SELECT id, origin, partner, country, record, " \
	"CAST(substr(received_at, 1, 4) AS INTEGER) AS y FROM hcase " \
	"WHERE test = 0) "
#define STATS_YEAR	"(?1 = 0 OR c.y = ?1)"

/*
 * An item is illegal when the international verdict is baseline or the
 * national one illegal.  The record was checked when it came in, but a
 * malformed one must not make the whole report fail: json_each() of
 * NULL yields nothing, and only objects are looked into.
 */
#define STATS_ILLEGAL \
	"EXISTS (SELECT 1 FROM json_each(CASE WHEN json_valid(c.record) " \
	"THEN c.record END, '$.items') i WHERE CASE WHEN i.type = 'object' " \
	"THEN json_extract(i.value, '$.intl_verdict') = 'baseline' OR " \
	"json_extract(i.value, '$.national_verdict.status') = 'illegal' " \
	"ELSE 0 END)"
#define STATS_DOMESTIC \
	"EXISTS (SELECT 1 FROM handoff h WHERE h.hcase = c.id AND " \
	"h.kind = 'domestic')"

/* Durations of one (year, peer) group while it is read; malloc'd. */
struct stats_acc {
	int64_t		*v;
	size_t		 n;
	size_t		 cap;
};

static int
acc_add(struct stats_acc *acc, int64_t d)
{
	int64_t *nv;
	size_t ncap;

	if (acc->n == acc->cap) {
		ncap = acc->cap == 0 ? 64 : acc->cap * 2;
		if ((nv = reallocarray(acc->v, ncap, sizeof(*nv))) == NULL)
			return -1;
		acc->v = nv;
		acc->cap = ncap;
	}
	acc->v[acc->n++] = d;
	return 0;
}

static int
int64_cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* Nearest rank: the value of rank ceil(p * n / 100), 1-based. */
static int64_t
nearest_rank(const int64_t *sorted, size_t n, unsigned p)
{
	size_t rank = (p * n + 99) / 100;

	return sorted[rank - 1];
}

/* The accumulated durations into d; the accumulator is emptied. */
static void
acc_close(struct stats_acc *acc, struct store_duration *d)
{
	memset(d, 0, sizeof(*d));
	if (acc->n > 0) {
		qsort(acc->v, acc->n, sizeof(*acc->v), int64_cmp);
		d->n = (int64_t)acc->n;
		d->median = nearest_rank(acc->v, acc->n, 50);
		d->p90 = nearest_rank(acc->v, acc->n, 90);
	}
	acc->n = 0;
}

/* StateAt in microseconds -> seconds, rounding down also before 1970. */
static int64_t
usec_to_sec(int64_t usec)
{
	int64_t s = usec / 1000000;

	if (usec % 1000000 < 0)
		s--;
	return s;
}

/* to - from, or -1 when a corrupt value would overflow (not measured). */
static int
duration(int64_t from, int64_t to, int64_t *d)
{
	return __builtin_sub_overflow(to, from, d) ? -1 : 0;
}

struct stats_build {
	struct store		*st;
	struct store_stats	*out;
	int			 year;
	/* every (year, peer), ordered so, before the years get their slice */
	struct store_stats_partner *p;
	int			*py;
	size_t			 np;
	struct store_stats_country *c;
	int			*cy;
	size_t			 nc;
	struct stats_acc	 acc;
};

static struct store_stats_partner *
partner_find(struct stats_build *b, int y, const char *peer)
{
	size_t lo = 0, hi = b->np, mid;
	int cmp;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		cmp = b->py[mid] != y ? (b->py[mid] > y) - (b->py[mid] < y) :
		    strcmp(b->p[mid].peer, peer);
		if (cmp == 0)
			return &b->p[mid];
		if (cmp < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static int
read_years(struct stats_build *b, struct store_err *err)
{
	struct store_stats *out = b->out;
	sqlite3_stmt *s;
	size_t cap = 0;
	int rc;

	if ((s = store_stmt(b->st, err, STATS_CASES "SELECT c.y, "
	    "sum(c.origin = 'ours'), "
	    "sum(c.origin = 'ours' AND " STATS_ILLEGAL "), "
	    "sum(c.origin = 'ours' AND " STATS_DOMESTIC "), "
	    "sum(c.origin = 'received') "
	    "FROM c WHERE " STATS_YEAR " GROUP BY c.y ORDER BY c.y",
	    "i", (int64_t)b->year)) == NULL)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_stats_year *y;

		if ((out->years = store_grow(out->arena, out->years, out->n, &cap,
		    sizeof(*y))) == NULL) {
			rc = SQLITE_NOMEM;
			break;
		}
		y = &out->years[out->n++];
		y->year = sqlite3_column_int(s, 0);
		y->submitted = sqlite3_column_int64(s, 1);
		y->illegal = sqlite3_column_int64(s, 2);
		y->domestic = sqlite3_column_int64(s, 3);
		y->received = sqlite3_column_int64(s, 4);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return store_fail(b->st, err, rc, "count cases");
	/* A year asked for is shown even when it has no case. */
	if (b->year != 0 && out->n == 0) {
		if ((out->years = arena_alloc(out->arena,
		    sizeof(*out->years))) == NULL)
			return store_set_err(err, STORE_FAIL, "out of memory");
		out->years[0].year = b->year;
		out->n = 1;
	}
	return 0;
}

static int
read_abroad(struct stats_build *b, struct store_err *err)
{
	struct arena *a = b->out->arena;
	sqlite3_stmt *s;
	size_t cap = 0, ycap = 0;
	int rc;

	if ((s = store_stmt(b->st, err, STATS_CASES "SELECT c.y, c.country, "
	    "count(*) FROM c WHERE " STATS_YEAR " AND c.origin = 'ours' AND "
	    "NOT " STATS_DOMESTIC " GROUP BY c.y, c.country "
	    "ORDER BY c.y, c.country", "i", (int64_t)b->year)) == NULL)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_stats_country *c;

		if ((b->c = store_grow(a, b->c, b->nc, &cap, sizeof(*c))) == NULL ||
		    (b->cy = store_grow(a, b->cy, b->nc, &ycap, sizeof(int))) ==
		    NULL) {
			rc = SQLITE_NOMEM;
			break;
		}
		b->cy[b->nc] = sqlite3_column_int(s, 0);
		c = &b->c[b->nc++];
		if ((c->country = store_col_text(a, s, 1)) == NULL) {
			rc = SQLITE_NOMEM;
			break;
		}
		c->n = sqlite3_column_int64(s, 2);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return store_fail(b->st, err, rc, "count cases by country");
	return 0;
}

/*
 * Every (year, peer) that may have a figure, with the counts; the
 * durations are added to these rows afterwards.  Rows of received cases
 * whose partner forwarded nothing to the police yet are candidates only:
 * partners left with nothing are dropped at the end.
 */
static int
read_partners(struct stats_build *b, struct store_err *err)
{
	struct arena *a = b->out->arena;
	sqlite3_stmt *s;
	size_t cap = 0, ycap = 0;
	int rc;

	if ((s = store_stmt(b->st, err, STATS_CASES "SELECT y, peer, "
	    "sum(sent), sum(delivered), sum(dead), sum(removals) "
	    "FROM ("
	    "SELECT c.y AS y, o.peer AS peer, o.state IN ('queued', "
	    "'retrying', 'delivered', 'dead') AS sent, "
	    "o.state = 'delivered' AS delivered, o.state = 'dead' AS dead, "
	    "0 AS removals FROM outbox o JOIN c ON c.id = o.hcase "
	    "WHERE " STATS_YEAR " AND o.peer IS NOT NULL AND o.test = 0 "
	    "UNION ALL "
	    "SELECT c.y, s.peer, 0, 0, 0, count(DISTINCT s.hcase) "
	    "FROM case_state s JOIN c ON c.id = s.hcase "
	    "WHERE " STATS_YEAR " AND c.origin = 'ours' AND "
	    "s.source = 'peer' AND s.state = 'content_removed' AND "
	    "s.test = 0 AND "
	    "s.peer IS NOT NULL GROUP BY c.y, s.peer "
	    "UNION ALL "
	    "SELECT c.y, c.partner, 0, 0, 0, 0 FROM c "
	    "WHERE " STATS_YEAR " AND c.origin = 'received' AND "
	    "c.partner IS NOT NULL"
	    ") GROUP BY y, peer ORDER BY y, peer",
	    "i", (int64_t)b->year)) == NULL)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_stats_partner *p;

		if ((b->p = store_grow(a, b->p, b->np, &cap, sizeof(*p))) == NULL ||
		    (b->py = store_grow(a, b->py, b->np, &ycap, sizeof(int))) ==
		    NULL) {
			rc = SQLITE_NOMEM;
			break;
		}
		b->py[b->np] = sqlite3_column_int(s, 0);
		p = &b->p[b->np++];
		memset(p, 0, sizeof(*p));
		if ((p->peer = store_col_text(a, s, 1)) == NULL) {
			rc = SQLITE_NOMEM;
			break;
		}
		p->sent = sqlite3_column_int64(s, 2);
		p->delivered = sqlite3_column_int64(s, 3);
		p->dead = sqlite3_column_int64(s, 4);
		p->removals = sqlite3_column_int64(s, 5);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return store_fail(b->st, err, rc, "count messages by partner");
	return 0;
}

/*
 * Our Referral delivered -> the partner's content_removed, one row per
 * case and partner, in (year, peer) order so that each group's durations
 * are complete when the next group starts.
 */
static int
read_to_removal(struct stats_build *b, struct store_err *err)
{
	struct store_stats_partner *p;
	sqlite3_stmt *s;
	char peer[HLX_HOTLINE_ID_MAX + 1] = "";
	const char *cur;
	int rc, y = 0, cy;
	int64_t d;

	if ((s = store_stmt(b->st, err, STATS_CASES "SELECT c.y, s.peer, "
	    "min(s.state_usec), (SELECT min(o.delivered_at) FROM outbox o "
	    "WHERE o.hcase = s.hcase AND o.peer = s.peer AND "
	    "o.type = 'Referral' AND o.state = 'delivered' AND o.test = 0) "
	    "FROM case_state s JOIN c ON c.id = s.hcase "
	    "WHERE " STATS_YEAR " AND c.origin = 'ours' AND "
	    "s.source = 'peer' AND s.state = 'content_removed' AND "
	    "s.test = 0 AND "
	    "s.peer IS NOT NULL GROUP BY c.y, s.peer, s.hcase "
	    "ORDER BY c.y, s.peer", "i", (int64_t)b->year)) == NULL)
		return -1;
	for (;;) {
		rc = sqlite3_step(s);
		cy = rc == SQLITE_ROW ? sqlite3_column_int(s, 0) : 0;
		cur = rc == SQLITE_ROW ?
		    (const char *)sqlite3_column_text(s, 1) : NULL;
		if (rc == SQLITE_ROW && cur == NULL) {
			rc = SQLITE_NOMEM;
			break;
		}
		/* A group ends: its durations go to its partner row. */
		if (peer[0] != '\0' && (rc != SQLITE_ROW || cy != y ||
		    strcmp(cur, peer) != 0)) {
			if ((p = partner_find(b, y, peer)) != NULL)
				acc_close(&b->acc, &p->to_removal);
			b->acc.n = 0;
			peer[0] = '\0';
		}
		if (rc != SQLITE_ROW)
			break;
		if (peer[0] == '\0') {
			y = cy;
			/* Longer ids are not hotline ids: never stored. */
			if (strlen(cur) >= sizeof(peer))
				continue;
			memcpy(peer, cur, strlen(cur) + 1);
		}
		if (sqlite3_column_type(s, 3) == SQLITE_NULL)
			continue;	/* removed, but never delivered by us */
		if (duration(sqlite3_column_int64(s, 3),
		    usec_to_sec(sqlite3_column_int64(s, 2)), &d) == -1)
			continue;
		if (acc_add(&b->acc, d) == -1) {
			rc = SQLITE_NOMEM;
			break;
		}
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return store_fail(b->st, err, rc, "measure removals");
	return 0;
}

/*
 * A received Referral -> our forwarded_to_lea, for the cases that have
 * one.  One row per inbox Referral of such a case (a case amended by its
 * partner has several): the earliest counts.  The inbox time is the text
 * of our Receipt, parsed here rather than in SQL so that it is read
 * exactly as everywhere else (types.c).
 */
static int
read_to_lea(struct stats_build *b, struct store_err *err)
{
	struct store_stats_partner *p;
	sqlite3_stmt *s;
	char peer[HLX_HOTLINE_ID_MAX + 1] = "";
	const char *cur, *at;
	int64_t d, hc = 0, lea = 0, chc;
	time_t t, first = 0;
	int rc, y = 0, cy, have = 0;

	if ((s = store_stmt(b->st, err, STATS_CASES "SELECT c.y, c.partner, "
	    "c.id, l.usec, i.received_at FROM c "
	    "JOIN (SELECT hcase, min(state_usec) AS usec FROM case_state "
	    "WHERE source = 'local' AND state = 'forwarded_to_lea' AND "
	    "test = 0 "
	    "GROUP BY hcase) l ON l.hcase = c.id "
	    "JOIN inbox i ON i.hcase = c.id AND i.type = 'Referral' AND "
	    "i.test = 0 "
	    "WHERE " STATS_YEAR " AND c.origin = 'received' AND "
	    "c.partner IS NOT NULL ORDER BY c.y, c.partner, c.id",
	    "i", (int64_t)b->year)) == NULL)
		return -1;
	for (;;) {
		rc = sqlite3_step(s);
		cy = rc == SQLITE_ROW ? sqlite3_column_int(s, 0) : 0;
		chc = rc == SQLITE_ROW ? sqlite3_column_int64(s, 2) : 0;
		cur = rc == SQLITE_ROW ?
		    (const char *)sqlite3_column_text(s, 1) : NULL;
		if (rc == SQLITE_ROW && cur == NULL) {
			rc = SQLITE_NOMEM;
			break;
		}
		/* A case ends: its duration, if its Referral time is known. */
		if (peer[0] != '\0' && (rc != SQLITE_ROW || chc != hc)) {
			if (have && duration(first, usec_to_sec(lea),
			    &d) == 0 && acc_add(&b->acc, d) == -1) {
				rc = SQLITE_NOMEM;
				break;
			}
			have = 0;
		}
		/* A group ends: its durations go to its partner row. */
		if (peer[0] != '\0' && (rc != SQLITE_ROW || cy != y ||
		    strcmp(cur, peer) != 0)) {
			if ((p = partner_find(b, y, peer)) != NULL)
				acc_close(&b->acc, &p->to_lea);
			b->acc.n = 0;
			peer[0] = '\0';
		}
		if (rc != SQLITE_ROW)
			break;
		if (peer[0] == '\0') {
			y = cy;
			if (strlen(cur) >= sizeof(peer))
				continue;
			memcpy(peer, cur, strlen(cur) + 1);
		}
		hc = chc;
		lea = sqlite3_column_int64(s, 3);
		at = (const char *)sqlite3_column_text(s, 4);
		if (at == NULL || type_timestamp_parse(at, &t) == -1)
			continue;	/* unreadable: not measured */
		if (!have || t < first)
			first = t;
		have = 1;
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return store_fail(b->st, err, rc, "measure referrals");
	return 0;
}

static int
partner_empty(const struct store_stats_partner *p)
{
	return p->sent == 0 && p->delivered == 0 && p->dead == 0 &&
	    p->removals == 0 && p->to_removal.n == 0 && p->to_lea.n == 0;
}

/*
 * Gives each year its slice of the (year, ...)-ordered countries and
 * partners, dropping partners with nothing to show.  Both lists hold
 * only years the cases query found, in the same order.
 */
static void
slice(struct stats_build *b)
{
	struct store_stats_year *y;
	size_t i, k, ic = 0, ip = 0, keep = 0;

	for (i = 0; i < b->np; i++) {
		if (partner_empty(&b->p[i]))
			continue;
		b->py[keep] = b->py[i];
		b->p[keep++] = b->p[i];
	}
	b->np = keep;
	for (k = 0; k < b->out->n; k++) {
		y = &b->out->years[k];
		while (ic < b->nc && b->cy[ic] < y->year)
			ic++;
		y->abroad = b->c + ic;
		while (ic < b->nc && b->cy[ic] == y->year) {
			y->nabroad++;
			ic++;
		}
		while (ip < b->np && b->py[ip] < y->year)
			ip++;
		y->partners = b->p + ip;
		while (ip < b->np && b->py[ip] == y->year) {
			y->npartners++;
			ip++;
		}
		if (y->nabroad == 0)
			y->abroad = NULL;
		if (y->npartners == 0)
			y->partners = NULL;
	}
}

int
store_stats(struct store *st, int year, struct store_stats *out,
    struct store_err *err)
{
	struct stats_build b;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	memset(&b, 0, sizeof(b));
	b.st = st;
	b.out = out;
	b.year = year;
	if ((out->arena = arena_new(0)) == NULL)
		return store_set_err(err, STORE_FAIL, "out of memory");
	/* Deferred: a reader takes no lock from hlxd's writer. */
	if (store_exec(st, err, "BEGIN", NULL) == -1)
		goto out;
	if (read_years(&b, err) == -1 || read_abroad(&b, err) == -1 ||
	    read_partners(&b, err) == -1 || read_to_removal(&b, err) == -1 ||
	    read_to_lea(&b, err) == -1)
		goto out;
	slice(&b);
	rc = 0;
out:
	store_rollback(st);
	free(b.acc.v);
	if (rc == -1)
		store_stats_free(out);
	return rc;
}

void
store_stats_free(struct store_stats *s)
{
	arena_free(s->arena);
	memset(s, 0, sizeof(*s));
}
