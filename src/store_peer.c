/*
 * store_peer.c -- partners, their countries, routes and pins.
 *
 * The rules of protocol.md §1 and §5 and operations.md §3 live here, next
 * to the data, so that they hold inside the same transaction that changes
 * it: a pin belongs to one peer only; the first peer of a country becomes
 * its route; an enabled peer keeps at least one valid pin; a peer with
 * undelivered messages is not removed, and a removed peer is a tombstone.
 * Each change writes its audit entry.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store_int.h"
#include "types.h"

/* Undelivered: what an operator must resolve before removing a peer. */
#define UNDELIVERED "state IN ('queued', 'retrying', 'dead')"

/* 1 peer exists (removed or not: *removed says), 0 none, -1 error. */
static int
peer_exists(struct store *st, const char *id, int *removed,
    struct store_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if ((s = store_stmt(st, err, "SELECT removed_at IS NOT NULL FROM peer "
	    "WHERE id = ?", "s", id)) == NULL)
		return -1;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW && removed != NULL)
		*removed = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	return store_fail(st, err, rc, "look up a peer");
}

/* 0 when id names a peer that is not removed. */
static int
peer_live(struct store *st, const char *id, struct store_err *err)
{
	int removed = 0, r = peer_exists(st, id, &removed, err);

	if (r == -1)
		return -1;
	if (r == 0 || removed)
		return store_set_err(err, STORE_NOTFOUND, "no peer %s%s", id,
		    r == 1 ? " (it was removed)" : "");
	return 0;
}

/* An int64 from a one-row query; -1 on error. */
static int
query_int(struct store *st, struct store_err *err, int64_t *out,
    const char *sql, const char *fmt, const char *a, const char *b)
{
	sqlite3_stmt *s = store_stmt(st, err, sql, fmt, a, b);
	int rc;

	if (s == NULL)
		return -1;
	rc = sqlite3_step(s);
	*out = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_fail(st, err, rc, "query");
	return 0;
}

/* The route of country into *peer (a copy, or "" when none). */
static int
route_of(struct store *st, const char *country, char *peer, size_t peersz,
    struct store_err *err)
{
	sqlite3_stmt *s;
	int rc;

	peer[0] = '\0';
	if ((s = store_stmt(st, err, "SELECT peer FROM route WHERE country = ?",
	    "s", country)) == NULL)
		return -1;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		snprintf(peer, peersz, "%s", sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_fail(st, err, rc, "look up a route");
	return 0;
}

static int
set_route(struct store *st, const char *country, const char *id,
    struct store_err *err)
{
	char old[80], detail[200];

	if (route_of(st, country, old, sizeof(old), err) == -1)
		return -1;
	if (strcmp(old, id) == 0)
		return 0;
	if (store_exec(st, err, "INSERT INTO route (country, peer) VALUES "
	    "(?, ?) ON CONFLICT (country) DO UPDATE SET peer = excluded.peer",
	    "ss", country, id) == -1)
		return -1;
	snprintf(detail, sizeof(detail), "route %s: %s -> %s", country,
	    old[0] != '\0' ? old : "(none)", id);
	/* Both peers' histories show the change: one entry each. */
	if (old[0] != '\0' && store_audit(st, AUDIT_ROUTE_CHANGED, old, NULL,
	    NULL, NULL, detail, err) == -1)
		return -1;
	return store_audit(st, AUDIT_ROUTE_CHANGED, id, NULL, NULL, NULL,
	    detail, err);
}

/* Refuses a pin that belongs to another peer; *mine: 0 new, 1 valid pin
 * of id, 2 retired pin of id. */
static int
pin_owner(struct store *st, const char *id, const char *pin, int *mine,
    struct store_err *err)
{
	sqlite3_stmt *s;
	char owner[80] = "";
	int rc, retired = 0;

	*mine = 0;
	if ((s = store_stmt(st, err, "SELECT peer, retired_at IS NOT NULL "
	    "FROM pin WHERE pin = ?", "s", pin)) == NULL)
		return -1;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		snprintf(owner, sizeof(owner), "%s", sqlite3_column_text(s, 0));
		retired = sqlite3_column_int(s, 1);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_fail(st, err, rc, "look up a pin");
	if (rc == SQLITE_DONE)
		return 0;
	if (strcmp(owner, id) != 0)
		return store_set_err(err, STORE_REFUSED, "pin %s belongs to "
		    "peer %s%s; a pin belongs to one peer only", pin, owner,
		    retired ? " (retired)" : "");
	*mine = retired ? 2 : 1;
	return 0;
}

/* The audit detail of a pin added or renewed: its subject and expiry. */
static void
pin_detail(const char *subject, time_t expires, int renewed, char *buf,
    size_t bufsz)
{
	char ts[32] = "";

	if (expires != 0 && type_timestamp_format(expires, ts, sizeof(ts)) ==
	    -1)
		ts[0] = '\0';
	snprintf(buf, bufsz, "%s%s%s%s%s", renewed ? "renewed" : "",
	    renewed && subject != NULL ? ": " : "", subject != NULL ? subject :
	    "", ts[0] != '\0' ? (renewed || subject != NULL ? "; expires " :
	    "expires ") : "", ts);
}

static int
put_pin(struct store *st, const char *id, const struct store_pin *p,
    int mine, struct store_err *err)
{
	time_t now = time(NULL);
	/* A pin from a certificate expires with it (issue 13): a new
	 * certificate minted over the same key must not extend it. */
	time_t expires = p->expires_at != 0 ? p->expires_at : p->not_after;
	char detail[400];

	if (mine == 0) {
		if (store_exec(st, err, "INSERT INTO pin (pin, peer, subject, "
		    "not_before, not_after, expires_at, added_at) VALUES (?, ?, "
		    "?, ?, ?, ?, ?)", "sssttti", p->pin, id, p->subject,
		    p->not_before, p->not_after, expires, (int64_t)now) == -1)
			return -1;
	} else if (store_exec(st, err, "UPDATE pin SET retired_at = NULL, "
	    "added_at = ?, subject = coalesce(?, subject), not_before = "
	    "coalesce(?, not_before), not_after = coalesce(?, not_after), "
	    "expires_at = coalesce(?, expires_at) WHERE pin = ?", "isttts",
	    (int64_t)now, p->subject, p->not_before, p->not_after, expires,
	    p->pin) == -1)
		return -1;
	pin_detail(p->subject, expires, mine == 1, detail, sizeof(detail));
	return store_audit(st, AUDIT_PIN_ADDED, id, NULL, NULL, p->pin,
	    detail[0] != '\0' ? detail : NULL, err);
}

int
store_peer_add(struct store *st, const char *id, const char *url,
    const char *const *countries, size_t n, const struct store_pin *pin,
    int take_route, struct store_err *err)
{
	char detail[400], route[80];
	size_t i, o;
	int removed = 0, exists, mine;

	if ((exists = peer_exists(st, id, &removed, err)) == -1)
		return -1;
	if (exists && !removed)
		return store_set_err(err, STORE_REFUSED, "peer %s already "
		    "exists (hlx peer show %s)", id, id);
	if (pin_owner(st, id, pin->pin, &mine, err) == -1)
		return -1;
	if (exists) {
		/* A removed peer comes back: its history stays with it. */
		if (store_exec(st, err, "UPDATE peer SET url = ?, enabled = 1, "
		    "removed_at = NULL, last_error = NULL, last_error_at = "
		    "NULL WHERE id = ?", "ss", url, id) == -1 ||
		    store_exec(st, err, "DELETE FROM peer_country WHERE peer = ?",
		    "s", id) == -1)
			return -1;
	} else if (store_exec(st, err, "INSERT INTO peer (id, url, created_at) "
	    "VALUES (?, ?, ?)", "ssi", id, url, (int64_t)time(NULL)) == -1)
		return -1;
	o = (size_t)snprintf(detail, sizeof(detail), "url %s countries", url);
	for (i = 0; i < n; i++) {
		if (store_exec(st, err, "INSERT OR IGNORE INTO peer_country "
		    "(peer, country) VALUES (?, ?)", "ss", id,
		    countries[i]) == -1)
			return -1;
		if (o < sizeof(detail))
			o += (size_t)snprintf(detail + o, sizeof(detail) - o,
			    "%s%s", i == 0 ? " " : ",", countries[i]);
	}
	if (store_audit(st, AUDIT_PEER_ADDED, id, NULL, NULL, pin->pin, detail,
	    err) == -1 || put_pin(st, id, pin, mine, err) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		if (route_of(st, countries[i], route, sizeof(route), err) == -1)
			return -1;
		if ((route[0] == '\0' || take_route) &&
		    set_route(st, countries[i], id, err) == -1)
			return -1;
	}
	return 0;
}

int
store_peer_route(struct store *st, const char *country, const char *id,
    struct store_err *err)
{
	if (peer_live(st, id, err) == -1)
		return -1;
	/* The route of a country is also accepted as its sender. */
	if (strcmp(country, "*") != 0 && store_exec(st, err, "INSERT OR IGNORE "
	    "INTO peer_country (peer, country) VALUES (?, ?)", "ss", id,
	    country) == -1)
		return -1;
	return set_route(st, country, id, err);
}

int
store_peer_pin_add(struct store *st, const char *id,
    const struct store_pin *pin, struct store_err *err)
{
	int mine;

	if (peer_live(st, id, err) == -1 ||
	    pin_owner(st, id, pin->pin, &mine, err) == -1)
		return -1;
	/* Renewal: a certificate (or an expiry) for a key already pinned. */
	if (mine == 1 && pin->subject == NULL && pin->expires_at == 0)
		return store_set_err(err, STORE_REFUSED, "%s is already a "
		    "valid pin of %s", pin->pin, id);
	return put_pin(st, id, pin, mine, err);
}

int
store_peer_pin_retire(struct store *st, const char *id, const char *pin,
    struct store_err *err)
{
	int64_t valid, enabled, mine;

	if (peer_live(st, id, err) == -1)
		return -1;
	if (query_int(st, err, &mine, "SELECT count(*) FROM pin WHERE pin = ? "
	    "AND peer = ? AND retired_at IS NULL", "ss", pin, id) == -1 ||
	    query_int(st, err, &valid, "SELECT count(*) FROM pin WHERE peer = ? "
	    "AND retired_at IS NULL", "s", id, NULL) == -1 ||
	    query_int(st, err, &enabled, "SELECT enabled FROM peer WHERE id = ?",
	    "s", id, NULL) == -1)
		return -1;
	if (mine == 0)
		return store_set_err(err, STORE_NOTFOUND, "%s is not a valid "
		    "pin of %s", pin, id);
	if (valid == 1 && enabled)
		return store_set_err(err, STORE_REFUSED, "%s is the last valid "
		    "pin of %s, which is enabled: rotate in a new pin first, "
		    "or disable the peer", pin, id);
	if (store_exec(st, err, "UPDATE pin SET retired_at = ? WHERE pin = ?",
	    "is", (int64_t)time(NULL), pin) == -1)
		return -1;
	return store_audit(st, AUDIT_PIN_RETIRED, id, NULL, NULL, pin, NULL,
	    err);
}

int
store_peer_set_enabled(struct store *st, const char *id, int enabled,
    struct store_err *err)
{
	int64_t now_enabled, valid;

	if (peer_live(st, id, err) == -1 ||
	    query_int(st, err, &now_enabled, "SELECT enabled FROM peer WHERE "
	    "id = ?", "s", id, NULL) == -1 ||
	    query_int(st, err, &valid, "SELECT count(*) FROM pin WHERE peer = ? "
	    "AND retired_at IS NULL", "s", id, NULL) == -1)
		return -1;
	if (now_enabled == enabled)
		return 0;
	if (enabled && valid == 0)
		return store_set_err(err, STORE_REFUSED, "%s has no valid pin: "
		    "add one (hlx peer rotate) before enabling it", id);
	if (store_exec(st, err, "UPDATE peer SET enabled = ? WHERE id = ?",
	    "is", (int64_t)enabled, id) == -1)
		return -1;
	return store_audit(st, enabled ? AUDIT_PEER_ENABLED :
	    AUDIT_PEER_DISABLED, id, NULL, NULL, NULL, NULL, err);
}

int
store_peer_remove(struct store *st, const char *id, struct store_err *err)
{
	sqlite3_stmt *s;
	int64_t undelivered;
	char detail[160];
	int rc;

	if (peer_live(st, id, err) == -1 ||
	    query_int(st, err, &undelivered, "SELECT count(*) FROM outbox "
	    "WHERE peer = ? AND " UNDELIVERED, "s", id, NULL) == -1)
		return -1;
	if (undelivered > 0)
		return store_set_err(err, STORE_REFUSED, "%lld message%s to %s "
		    "%s not delivered: let them be delivered, or retry or "
		    "cancel them (hlx outbox list --peer %s)",
		    (long long)undelivered, undelivered == 1 ? "" : "s", id,
		    undelivered == 1 ? "is" : "are", id);
	/* Its routes go: those countries fall to the default route or wait
	 * as unroutable, visibly, rather than to a peer that is gone. */
	if ((s = store_stmt(st, err, "SELECT country FROM route WHERE peer = ? "
	    "ORDER BY country", "s", id)) == NULL)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		snprintf(detail, sizeof(detail), "route %s: %s -> (none)",
		    sqlite3_column_text(s, 0), id);
		if (store_audit(st, AUDIT_ROUTE_CHANGED, id, NULL, NULL, NULL,
		    detail, err) == -1) {
			sqlite3_finalize(s);
			return -1;
		}
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return store_fail(st, err, rc, "list routes");
	if ((s = store_stmt(st, err, "SELECT pin FROM pin WHERE peer = ? AND "
	    "retired_at IS NULL ORDER BY pin", "s", id)) == NULL)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (store_audit(st, AUDIT_PIN_RETIRED, id, NULL, NULL,
		    (const char *)sqlite3_column_text(s, 0), "peer removed",
		    err) == -1) {
			sqlite3_finalize(s);
			return -1;
		}
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return store_fail(st, err, rc, "list pins");
	if (store_exec(st, err, "DELETE FROM route WHERE peer = ?", "s",
	    id) == -1 ||
	    store_exec(st, err, "UPDATE pin SET retired_at = ? WHERE peer = ? "
	    "AND retired_at IS NULL", "is", (int64_t)time(NULL), id) == -1 ||
	    store_exec(st, err, "UPDATE peer SET enabled = 0, removed_at = ? "
	    "WHERE id = ?", "is", (int64_t)time(NULL), id) == -1)
		return -1;
	return store_audit(st, AUDIT_PEER_REMOVED, id, NULL, NULL, NULL, NULL,
	    err);
}

/* Collects one text column of a query into an array in the arena. */
static int
strings(struct store *st, struct arena *a, const char *sql, const char *id,
    const char ***out, size_t *n, struct store_err *err)
{
	sqlite3_stmt *s;
	size_t cap = 8;
	int rc;

	*n = 0;
	if ((*out = arena_alloc(a, cap * sizeof(char *))) == NULL)
		return store_set_err(err, STORE_FAIL, "out of memory");
	if ((s = store_stmt(st, err, sql, "s", id)) == NULL)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (*n == cap) {
			const char **nv = arena_alloc(a, 2 * cap *
			    sizeof(char *));

			if (nv == NULL) {
				sqlite3_finalize(s);
				return store_set_err(err, STORE_FAIL,
				    "out of memory");
			}
			memcpy(nv, *out, cap * sizeof(char *));
			*out = nv;
			cap *= 2;
		}
		(*out)[(*n)++] = store_col_text(a, s, 0);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return store_fail(st, err, rc, "list");
	return 0;
}

static int
pins(struct store *st, struct arena *a, struct store_peer *p,
    struct store_err *err)
{
	sqlite3_stmt *s;
	int64_t n;
	int rc;

	if (query_int(st, err, &n, "SELECT count(*) FROM pin WHERE peer = ?",
	    "s", p->id, NULL) == -1)
		return -1;
	if (n == 0)
		return 0;
	if ((p->pins = arena_alloc(a, (size_t)n * sizeof(*p->pins))) == NULL)
		return store_set_err(err, STORE_FAIL, "out of memory");
	if ((s = store_stmt(st, err, "SELECT pin, subject, not_before, "
	    "not_after, added_at, retired_at, expires_at FROM pin WHERE "
	    "peer = ? "
	    "ORDER BY retired_at IS NOT NULL, added_at, pin", "s",
	    p->id)) == NULL)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW && p->npins < (size_t)n) {
		struct store_pin *q = &p->pins[p->npins++];

		q->pin = store_col_text(a, s, 0);
		q->subject = store_col_text(a, s, 1);
		q->not_before = (time_t)sqlite3_column_int64(s, 2);
		q->not_after = (time_t)sqlite3_column_int64(s, 3);
		q->added_at = (time_t)sqlite3_column_int64(s, 4);
		q->retired_at = (time_t)sqlite3_column_int64(s, 5);
		q->expires_at = (time_t)sqlite3_column_int64(s, 6);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return store_fail(st, err, rc, "list pins");
	return 0;
}

int
store_peer_list(struct store *st, const char *id, struct store_peer_list *out,
    struct store_err *err)
{
	sqlite3_stmt *s = NULL;
	int64_t n;
	size_t i;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((out->arena = arena_new(0)) == NULL)
		return store_set_err(err, STORE_FAIL, "out of memory");
	/* One read transaction: the list is one consistent picture. */
	if (store_exec(st, err, "BEGIN", NULL) == -1)
		goto fail;
	if (query_int(st, err, &n, "SELECT count(*) FROM peer WHERE "
	    "(?1 IS NULL AND removed_at IS NULL) OR id = ?1", "s", id,
	    NULL) == -1)
		goto fail;
	if (id != NULL && n == 0) {
		store_set_err(err, STORE_NOTFOUND, "no peer %s", id);
		goto fail;
	}
	if (n > 0 && (out->peers = arena_alloc(out->arena, (size_t)n *
	    sizeof(*out->peers))) == NULL) {
		store_set_err(err, STORE_FAIL, "out of memory");
		goto fail;
	}
	if ((s = store_stmt(st, err, "SELECT id, url, enabled, created_at, "
	    "removed_at, last_success_at, last_error_at, last_error FROM peer "
	    "WHERE (?1 IS NULL AND removed_at IS NULL) OR id = ?1 ORDER BY id",
	    "s", id)) == NULL)
		goto fail;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW && out->n < (size_t)n) {
		struct store_peer *p = &out->peers[out->n++];

		p->id = store_col_text(out->arena, s, 0);
		p->url = store_col_text(out->arena, s, 1);
		p->enabled = sqlite3_column_int(s, 2);
		p->created_at = (time_t)sqlite3_column_int64(s, 3);
		p->removed_at = (time_t)sqlite3_column_int64(s, 4);
		p->last_success_at = (time_t)sqlite3_column_int64(s, 5);
		p->last_error_at = (time_t)sqlite3_column_int64(s, 6);
		p->last_error = store_col_text(out->arena, s, 7);
	}
	sqlite3_finalize(s);
	s = NULL;
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		store_fail(st, err, rc, "list peers");
		goto fail;
	}
	for (i = 0; i < out->n; i++) {
		struct store_peer *p = &out->peers[i];

		if (strings(st, out->arena, "SELECT country FROM peer_country "
		    "WHERE peer = ? ORDER BY country", p->id, &p->countries,
		    &p->ncountries, err) == -1 ||
		    strings(st, out->arena, "SELECT country FROM route WHERE "
		    "peer = ? ORDER BY country", p->id, &p->routes, &p->nroutes,
		    err) == -1 ||
		    pins(st, out->arena, p, err) == -1 ||
		    query_int(st, err, &p->outbox_depth, "SELECT count(*) FROM "
		    "outbox WHERE peer = ? AND " UNDELIVERED, "s", p->id,
		    NULL) == -1)
			goto fail;
	}
	sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL);
	return 0;
fail:
	sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	store_peer_list_free(out);
	return -1;
}

void
store_peer_list_free(struct store_peer_list *l)
{
	arena_free(l->arena);
	memset(l, 0, sizeof(*l));
}
