/*
 * store_outbox.c -- what we send: submitted cases, their routes, and the
 * outbox with every attempt (protocol.md §4-5, operations.md §3).
 *
 * A message's exact bytes are fixed when it is routed and stored here
 * before the first attempt; every retry sends them unchanged.  Nothing is
 * deleted: a cancelled or dead message stays, with its attempts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store_int.h"

int
store_submitted(struct store *st, const char *self, const char *case_id,
    struct store_submitted *out, struct store_err *err)
{
	sqlite3_stmt *s;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((s = store_stmt(st, err, "SELECT c.record_sha256, o.message_id, "
	    "o.peer, o.state, h.kind FROM hcase c "
	    "LEFT JOIN outbox o ON o.hcase = c.id AND o.type = 'Referral' "
	    "LEFT JOIN handoff h ON h.hcase = c.id "
	    "WHERE c.issuer = ? AND c.number = ? AND c.origin = 'ours' "
	    "ORDER BY o.id LIMIT 1", "ss", self, case_id)) == NULL)
		return -1;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		out->found = 1;
		snprintf(out->record_sha256, sizeof(out->record_sha256), "%s",
		    sqlite3_column_text(s, 0) != NULL ?
		    (const char *)sqlite3_column_text(s, 0) : "");
		if (sqlite3_column_text(s, 1) != NULL)
			snprintf(out->message_id, sizeof(out->message_id),
			    "%s", sqlite3_column_text(s, 1));
		if (sqlite3_column_text(s, 4) != NULL)
			snprintf(out->route, sizeof(out->route), "domestic");
		else if (sqlite3_column_text(s, 2) != NULL)
			snprintf(out->route, sizeof(out->route), "%s",
			    sqlite3_column_text(s, 2));
		else
			snprintf(out->route, sizeof(out->route), "unroutable");
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_fail(st, err, rc, "look up a case");
	return 0;
}

int
store_route_for(struct store *st, const char *country, char *peer,
    size_t peersz, struct store_err *err)
{
	sqlite3_stmt *s;
	int rc;

	peer[0] = '\0';
	/* protocol.md §5: the country's route, else the default route. */
	if ((s = store_stmt(st, err, "SELECT r.peer FROM route r JOIN peer p "
	    "ON p.id = r.peer WHERE r.country IN (?, '*') AND p.enabled = 1 "
	    "AND p.removed_at IS NULL ORDER BY r.country = '*' LIMIT 1", "s",
	    country)) == NULL)
		return -1;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		snprintf(peer, peersz, "%s", sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_fail(st, err, rc, "look up a route");
	return 0;
}

int
store_submit(struct store *st, const struct store_submit *in,
    struct store_err *err)
{
	int64_t hcase;
	const char *detail;

	if (store_exec(st, err, "INSERT INTO hcase (issuer, number, origin, "
	    "partner, country, record, record_sha256, received_at, test, "
	    "created_at) VALUES (?, ?, 'ours', ?, ?, ?, ?, ?, ?, ?)",
	    "sssssssii", in->self, in->case_id, in->peer, in->country,
	    in->record, in->record_sha256, in->received_at, (int64_t)in->test,
	    (int64_t)in->now) == -1)
		return -1;
	hcase = sqlite3_last_insert_rowid(st->db);
	if (in->domestic) {
		if (store_exec(st, err, "INSERT INTO handoff (hcase, kind, "
		    "revision, state, file_state, deadline_at, document, "
		    "updated_at, pending_since) VALUES (?, 'domestic', 1, "
		    "'new', 'pending', ?, ?, ?, ?)", "issii", hcase,
		    in->deadline_at, in->handoff_doc, (int64_t)in->now,
		    (int64_t)in->now) == -1)
			return -1;
		detail = "domestic hand-off";
	} else if (in->peer != NULL) {
		if (store_exec(st, err, "INSERT INTO outbox (message_id, hcase, "
		    "peer, type, version, body, state, created_at, "
		    "next_attempt_at, test) VALUES (?, ?, ?, 'Referral', 1, ?, "
		    "'queued', ?, ?, ?)", "sisbiii", in->message_id, hcase,
		    in->peer, (const void *)in->body, in->len, (int64_t)in->now,
		    (int64_t)in->now, (int64_t)in->test) == -1 ||
		    store_exec(st, err, "INSERT INTO case_version (hcase, peer, "
		    "direction, last_version) VALUES (?, ?, 'out', 1)", "is",
		    hcase, in->peer) == -1)
			return -1;
		detail = "Referral queued";
	} else {
		if (store_exec(st, err, "INSERT INTO outbox (hcase, type, "
		    "version, state, created_at, test) VALUES (?, 'Referral', "
		    "1, 'unroutable', ?, ?)", "iii", hcase, (int64_t)in->now,
		    (int64_t)in->test) == -1)
			return -1;
		detail = "Referral unroutable: no route for its country";
	}
	return store_audit(st, AUDIT_MESSAGE_STORED, in->peer, in->case_id,
	    in->message_id, NULL, detail, err);
}

#define OUTBOX_COLS "o.id, o.message_id, " \
	"coalesce(c.our_number, c.number), o.peer, o.type, " \
	"o.version, o.state, o.created_at, o.next_attempt_at, o.attempts, " \
	"o.delivered_at, o.last_status, o.last_code, o.last_detail, o.test"

static void
read_outbox(struct arena *a, sqlite3_stmt *s, struct store_outbox_row *r)
{
	r->id = sqlite3_column_int64(s, 0);
	r->message_id = store_col_text(a, s, 1);
	r->case_id = store_col_text(a, s, 2);
	r->peer = store_col_text(a, s, 3);
	r->type = store_col_text(a, s, 4);
	r->version = sqlite3_column_int64(s, 5);
	r->state = store_col_text(a, s, 6);
	r->created_at = (time_t)sqlite3_column_int64(s, 7);
	r->next_attempt_at = (time_t)sqlite3_column_int64(s, 8);
	r->attempts = sqlite3_column_int64(s, 9);
	r->delivered_at = (time_t)sqlite3_column_int64(s, 10);
	r->last_status = sqlite3_column_int64(s, 11);
	r->last_code = store_col_text(a, s, 12);
	r->last_detail = store_col_text(a, s, 13);
	r->test = sqlite3_column_int(s, 14);
}

static int
collect(struct store *st, sqlite3_stmt *s, struct store_outbox_list *out,
    struct store_err *err)
{
	size_t cap = 0;
	int rc;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if ((out->rows = store_grow(out->arena, out->rows, out->n, &cap,
		    sizeof(*out->rows))) == NULL) {
			rc = SQLITE_NOMEM;
			break;
		}
		read_outbox(out->arena, s, &out->rows[out->n++]);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return store_fail(st, err, rc, "read the outbox");
	return 0;
}

int
store_outbox_list(struct store *st, const char *state, const char *peer,
    struct store_outbox_list *out, struct store_err *err)
{
	sqlite3_stmt *s;

	memset(out, 0, sizeof(*out));
	if ((out->arena = arena_new(0)) == NULL)
		return store_set_err(err, STORE_FAIL, "out of memory");
	if ((s = store_stmt(st, err, "SELECT " OUTBOX_COLS " FROM outbox o "
	    "JOIN hcase c ON c.id = o.hcase WHERE (?1 IS NULL OR o.state = ?1) "
	    "AND (?2 IS NULL OR o.peer = ?2) ORDER BY o.id", "ss", state,
	    peer)) == NULL || collect(st, s, out, err) == -1) {
		store_outbox_list_free(out);
		return -1;
	}
	return 0;
}

/* The WHERE clause that names one outbox row by message id or row id. */
#define BY_ID "(o.message_id = ?1 OR (?1 GLOB '[0-9]*' AND o.id = " \
	"CAST(?1 AS INTEGER)))"

int
store_outbox_show(struct store *st, const char *id,
    struct store_outbox_list *out, struct store_err *err)
{
	sqlite3_stmt *s;
	size_t cap = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((out->arena = arena_new(0)) == NULL)
		return store_set_err(err, STORE_FAIL, "out of memory");
	if ((s = store_stmt(st, err, "SELECT " OUTBOX_COLS " FROM outbox o "
	    "JOIN hcase c ON c.id = o.hcase WHERE " BY_ID, "s", id)) == NULL ||
	    collect(st, s, out, err) == -1)
		goto fail;
	if (out->n == 0) {
		store_set_err(err, STORE_NOTFOUND, "no message %s in the "
		    "outbox", id);
		goto fail;
	}
	if ((s = store_stmt(st, err, "SELECT started_at, finished_at, "
	    "outcome, http_status, code, detail FROM attempt WHERE outbox = ? "
	    "ORDER BY id", "i", out->rows[0].id)) == NULL)
		goto fail;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_attempt_row *a;

		if ((out->attempts = store_grow(out->arena, out->attempts,
		    out->nattempts, &cap, sizeof(*out->attempts))) == NULL) {
			rc = SQLITE_NOMEM;
			break;
		}
		a = &out->attempts[out->nattempts++];
		a->started_at = (time_t)sqlite3_column_int64(s, 0);
		a->finished_at = (time_t)sqlite3_column_int64(s, 1);
		a->outcome = store_col_text(out->arena, s, 2);
		a->http_status = sqlite3_column_int64(s, 3);
		a->code = store_col_text(out->arena, s, 4);
		a->detail = store_col_text(out->arena, s, 5);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		store_fail(st, err, rc, "read the attempts");
		goto fail;
	}
	return 0;
fail:
	store_outbox_list_free(out);
	return -1;
}

void
store_outbox_list_free(struct store_outbox_list *l)
{
	arena_free(l->arena);
	memset(l, 0, sizeof(*l));
}

/* The row's id, peer, case and state; -1 with NOTFOUND when none. */
static int
find_row(struct store *st, const char *id, int64_t *row, char *state,
    size_t statesz, char *peer, size_t peersz, char *msgid, size_t msgidsz,
    char *hcase, size_t hcasesz, struct store_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if ((s = store_stmt(st, err, "SELECT o.id, o.state, o.peer, "
	    "o.message_id, coalesce(c.our_number, c.number) FROM outbox o "
	    "JOIN hcase c ON "
	    "c.id = o.hcase WHERE " BY_ID, "s", id)) == NULL)
		return -1;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*row = sqlite3_column_int64(s, 0);
		snprintf(state, statesz, "%s", sqlite3_column_text(s, 1));
		snprintf(peer, peersz, "%s", sqlite3_column_text(s, 2) != NULL ?
		    (const char *)sqlite3_column_text(s, 2) : "");
		snprintf(msgid, msgidsz, "%s", sqlite3_column_text(s, 3) !=
		    NULL ? (const char *)sqlite3_column_text(s, 3) : "");
		snprintf(hcase, hcasesz, "%s", sqlite3_column_text(s, 4));
	}
	sqlite3_finalize(s);
	if (rc == SQLITE_DONE)
		return store_set_err(err, STORE_NOTFOUND, "no message %s in "
		    "the outbox", id);
	if (rc != SQLITE_ROW)
		return store_fail(st, err, rc, "look up a message");
	return 0;
}

int
store_outbox_retry(struct store *st, const char *id, struct store_err *err)
{
	char state[16], peer[80], msgid[40], hcase[80];
	int64_t row;

	if (find_row(st, id, &row, state, sizeof(state), peer, sizeof(peer),
	    msgid, sizeof(msgid), hcase, sizeof(hcase), err) == -1)
		return -1;
	if (strcmp(state, "dead") != 0)
		return store_set_err(err, STORE_REFUSED, "message %s is %s; "
		    "only a dead message is retried", id, state);
	/* A retried message gets a new max_age from now. */
	if (store_exec(st, err, "UPDATE outbox SET state = 'queued', "
	    "next_attempt_at = ?, created_at = ? WHERE id = ?", "iii",
	    (int64_t)time(NULL), (int64_t)time(NULL), row) == -1)
		return -1;
	return store_audit(st, AUDIT_MESSAGE_STORED, peer[0] ? peer : NULL,
	    hcase, msgid[0] ? msgid : NULL, NULL, "retried by an operator: "
	    "dead -> queued", err);
}

int
store_outbox_cancel(struct store *st, const char *id, struct store_err *err)
{
	char state[16], peer[80], msgid[40], hcase[80];
	int64_t row;

	if (find_row(st, id, &row, state, sizeof(state), peer, sizeof(peer),
	    msgid, sizeof(msgid), hcase, sizeof(hcase), err) == -1)
		return -1;
	if (strcmp(state, "delivered") == 0 || strcmp(state, "cancelled") == 0)
		return store_set_err(err, STORE_REFUSED, "message %s is %s "
		    "already", id, state);
	if (store_exec(st, err, "UPDATE outbox SET state = 'cancelled' WHERE "
	    "id = ?", "i", row) == -1)
		return -1;
	return store_audit(st, AUDIT_CANCELLED, peer[0] ? peer : NULL, hcase,
	    msgid[0] ? msgid : NULL, NULL, state, err);
}

/* The pins of peer that match cond (which may use now as ?2, when not
 * 0), ';' between, into buf ("" when none); whole pins only when they do
 * not all fit. */
static int
pins_where(struct store *st, const char *peer, const char *cond, time_t now,
    char *buf, size_t bufsz, struct store_err *err)
{
	sqlite3_stmt *p;
	char sql[256];
	size_t o = 0, len;
	int rc;

	buf[0] = '\0';
	snprintf(sql, sizeof(sql), "SELECT pin FROM pin WHERE peer = ?1 AND "
	    "%s ORDER BY added_at DESC, pin", cond);
	/* now is bound as ?2 only where cond uses it. */
	if ((p = store_stmt(st, err, sql, now != 0 ? "si" : "s", peer,
	    (int64_t)now)) == NULL)
		return -1;
	while ((rc = sqlite3_step(p)) == SQLITE_ROW) {
		len = (size_t)sqlite3_column_bytes(p, 0);
		if (o + len + 2 > bufsz)
			continue;
		o += (size_t)snprintf(buf + o, bufsz - o, "%s%s", o > 0 ?
		    ";" : "", sqlite3_column_text(p, 0));
	}
	sqlite3_finalize(p);
	if (rc != SQLITE_DONE)
		return store_fail(st, err, rc, "list pins");
	return 0;
}

/* The pins of d's peer at now: valid (not retired, not past their expiry:
 * issue 13, a pin outlives no certificate), retired, expired. */
static int
peer_pins(struct store *st, struct store_delivery *d, time_t now,
    struct store_err *err)
{
	if (pins_where(st, d->peer, "retired_at IS NULL AND (expires_at IS "
	    "NULL OR expires_at > ?2)", now, d->pins, sizeof(d->pins),
	    err) == -1 ||
	    pins_where(st, d->peer, "retired_at IS NOT NULL", 0,
	    d->retired_pins, sizeof(d->retired_pins), err) == -1 ||
	    pins_where(st, d->peer, "retired_at IS NULL AND expires_at <= ?2",
	    now, d->expired_pins, sizeof(d->expired_pins), err) == -1)
		return -1;
	return 0;
}

int
store_outbox_due(struct store *st, time_t now, size_t max,
    const int64_t *busy, size_t nbusy, struct store_delivery **out,
    size_t *n, struct store_err *err)
{
	struct store_delivery *v = NULL, *d;
	sqlite3_stmt *s;
	size_t i, k;
	int rc, skip;

	*out = NULL;
	*n = 0;
	if ((v = calloc(max, sizeof(*v))) == NULL)
		return store_set_err(err, STORE_FAIL, "out of memory");
	/* In due order from the index (schemas/store-2.sql), stopping at the
	 * limit: no sort of every queued message, bodies included. */
	if ((s = store_stmt(st, err, "SELECT o.id, o.message_id, o.peer, "
	    "p.url, o.type, coalesce(c.our_number, c.number), o.body, "
	    "o.attempts, o.created_at "
	    "FROM outbox o INDEXED BY outbox_due "
	    "JOIN peer p ON p.id = o.peer JOIN hcase c ON c.id = o.hcase "
	    "WHERE o.state IN ('queued', 'retrying') AND o.next_attempt_at <= ? "
	    "AND p.enabled = 1 AND p.removed_at IS NULL AND NOT EXISTS "
	    "(SELECT 1 FROM outbox e WHERE e.hcase = o.hcase AND "
	    "e.peer = o.peer AND e.id < o.id AND e.state IN ('queued', "
	    "'retrying', 'dead')) ORDER BY o.next_attempt_at, o.id LIMIT ?",
	    "ii", (int64_t)now, (int64_t)(max + nbusy))) == NULL) {
		free(v);
		return -1;
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW && *n < max) {
		int64_t id = sqlite3_column_int64(s, 0);

		/* Already in flight: not twice. */
		for (skip = 0, k = 0; k < nbusy; k++)
			if (busy[k] == id)
				skip = 1;
		if (skip)
			continue;
		d = &v[(*n)++];
		d->id = id;
		snprintf(d->message_id, sizeof(d->message_id), "%s",
		    sqlite3_column_text(s, 1));
		snprintf(d->peer, sizeof(d->peer), "%s",
		    sqlite3_column_text(s, 2));
		snprintf(d->url, sizeof(d->url), "%s", sqlite3_column_text(s, 3));
		snprintf(d->type, sizeof(d->type), "%s",
		    sqlite3_column_text(s, 4));
		snprintf(d->case_id, sizeof(d->case_id), "%s",
		    sqlite3_column_text(s, 5));
		d->len = (size_t)sqlite3_column_bytes(s, 6);
		if ((d->body = malloc(d->len + 1)) == NULL) {
			rc = SQLITE_NOMEM;
			break;
		}
		memcpy(d->body, sqlite3_column_blob(s, 6), d->len);
		d->body[d->len] = '\0';
		d->attempts = sqlite3_column_int64(s, 7);
		d->created_at = (time_t)sqlite3_column_int64(s, 8);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		store_delivery_free(v, *n);
		*n = 0;
		return store_fail(st, err, rc, "read the outbox");
	}
	for (i = 0; i < *n; i++)
		if (peer_pins(st, &v[i], now, err) == -1) {
			store_delivery_free(v, *n);
			*n = 0;
			return -1;
		}
	*out = v;
	return 0;
}

void
store_delivery_free(struct store_delivery *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i].body);
	free(v);
}

int
store_outbox_attempted(struct store *st, const struct store_delivery *d,
    const struct store_attempt *a, struct store_err *err)
{
	const char *state = strcmp(a->outcome, "delivered") == 0 ?
	    "delivered" : strcmp(a->outcome, "dead") == 0 ? "dead" :
	    "retrying";
	char detail[400], prev[16] = "";
	sqlite3_stmt *q;
	int64_t hcase = 0;
	int changed;

	if ((q = store_stmt(st, err, "SELECT state, hcase FROM outbox WHERE "
	    "id = ?", "i", d->id)) == NULL)
		return -1;
	if (sqlite3_step(q) == SQLITE_ROW) {
		snprintf(prev, sizeof(prev), "%s", sqlite3_column_text(q, 0));
		hcase = sqlite3_column_int64(q, 1);
	}
	sqlite3_finalize(q);

	if (store_exec(st, err, "INSERT INTO attempt (outbox, started_at, "
	    "finished_at, outcome, http_status, code, detail, answer) VALUES "
	    "(?, ?, ?, ?, ?, ?, ?, ?)", "iiisissb", d->id,
	    (int64_t)a->started_at, (int64_t)a->finished_at, a->outcome,
	    (int64_t)a->http_status, a->code, a->detail,
	    (const void *)(a->answer != NULL ? a->answer : ""),
	    a->answer_len) == -1)
		return -1;
	/* A message an operator cancelled while it was in flight stays
	 * cancelled -- unless it got there: then the truth is "delivered". */
	if (store_exec(st, err, "UPDATE outbox SET state = ?, attempts = "
	    "attempts + 1, next_attempt_at = ?, last_status = ?, last_code = "
	    "?, last_detail = ?, delivered_at = ? WHERE id = ? AND (state IN "
	    "('queued', 'retrying') OR (state = 'cancelled' AND ?1 = "
	    "'delivered'))", "siissti", state,
	    (int64_t)a->next_attempt_at, (int64_t)a->http_status, a->code,
	    a->detail, strcmp(state, "delivered") == 0 ? a->finished_at :
	    (time_t)0, d->id) == -1)
		return -1;
	changed = sqlite3_changes(st->db) > 0;
	if (changed && strcmp(prev, "cancelled") == 0 &&
	    strcmp(state, "delivered") == 0 && strcmp(d->type, "Referral") ==
	    0 && store_case_withdraw_late(st, hcase, d->peer,
	    a->finished_at, err) == -1)
		return -1;
	if (strcmp(state, "delivered") == 0) {
		if (store_exec(st, err, "UPDATE peer SET last_success_at = ? "
		    "WHERE id = ?", "is", (int64_t)a->finished_at, d->peer) ==
		    -1)
			return -1;
		if (a->partner_number != NULL && store_exec(st, err, "UPDATE "
		    "hcase SET partner_number = ? WHERE id = (SELECT hcase FROM "
		    "outbox WHERE id = ?)", "si", a->partner_number, d->id) ==
		    -1)
			return -1;
	} else {
		snprintf(detail, sizeof(detail), "%d %s: %s", a->http_status,
		    a->code != NULL ? a->code : "-", a->detail != NULL ?
		    a->detail : "-");
		if (store_exec(st, err, "UPDATE peer SET last_error_at = ?, "
		    "last_error = ? WHERE id = ?", "iss",
		    (int64_t)a->finished_at, detail, d->peer) == -1)
			return -1;
	}
	/* The case system's feed: every delivery and every dead message
	 * (not the failed last try of one an operator cancelled). */
	if (changed && strcmp(state, "retrying") != 0 && store_exec(st, err,
	    "INSERT "
	    "INTO event (at, kind, hcase, peer, message_id, data) SELECT ?, ?, "
	    "hcase, peer, message_id, json_object('type', type, 'version', "
	    "version, 'http_status', ?, 'code', ?, 'detail', ?) FROM outbox "
	    "WHERE id = ?", "isissi", (int64_t)a->finished_at,
	    strcmp(state, "delivered") == 0 ? EVENT_DELIVERED : EVENT_DEAD,
	    (int64_t)a->http_status, a->code, a->detail, d->id) == -1)
		return -1;
	snprintf(detail, sizeof(detail), "%s: %d %s", a->outcome,
	    a->http_status, a->code != NULL ? a->code : "-");
	if (store_audit(st, AUDIT_ATTEMPT, d->peer, d->case_id, d->message_id,
	    NULL, detail, err) == -1)
		return -1;
	if (strcmp(state, "retrying") != 0 && store_audit(st,
	    strcmp(state, "delivered") == 0 ? AUDIT_DELIVERED : AUDIT_DEAD,
	    d->peer, d->case_id, d->message_id, NULL, a->detail, err) == -1)
		return -1;
	return 0;
}

int
store_outbox_waiting(struct store *st, size_t max, struct store_waiting **out,
    size_t *n, struct store_err *err)
{
	struct store_waiting *v;
	sqlite3_stmt *s;
	int rc;

	*out = NULL;
	*n = 0;
	if ((v = calloc(max, sizeof(*v))) == NULL)
		return store_set_err(err, STORE_FAIL, "out of memory");
	if ((s = store_stmt(st, err, "SELECT o.id, c.number, c.country, "
	    "c.record FROM outbox o JOIN hcase c ON c.id = o.hcase WHERE "
	    "o.state = 'unroutable' ORDER BY o.id LIMIT ?", "i",
	    (int64_t)max)) == NULL) {
		free(v);
		return -1;
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_waiting *w = &v[(*n)++];

		w->id = sqlite3_column_int64(s, 0);
		snprintf(w->case_id, sizeof(w->case_id), "%s",
		    sqlite3_column_text(s, 1));
		snprintf(w->country, sizeof(w->country), "%s",
		    sqlite3_column_text(s, 2));
		if ((w->record = strdup((const char *)sqlite3_column_text(s,
		    3))) == NULL) {
			rc = SQLITE_NOMEM;
			break;
		}
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		store_waiting_free(v, *n);
		*n = 0;
		return store_fail(st, err, rc, "read the outbox");
	}
	*out = v;
	return 0;
}

void
store_waiting_free(struct store_waiting *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i].record);
	free(v);
}

int
store_outbox_next_version(struct store *st, int64_t id, const char *peer,
    unsigned *version, struct store_err *err)
{
	sqlite3_stmt *s;
	int rc;

	/* protocol.md §2.2: per case and recipient, 1, 2, 3, ... -- a case
	 * that comes back to an earlier recipient goes on from there. */
	if ((s = store_stmt(st, err, "SELECT coalesce(max(v.last_version), 0) "
	    "FROM outbox o LEFT JOIN case_version v ON v.hcase = o.hcase AND "
	    "v.peer = ? AND v.direction = 'out' WHERE o.id = ?", "si", peer,
	    id)) == NULL)
		return -1;
	rc = sqlite3_step(s);
	*version = rc == SQLITE_ROW ? (unsigned)sqlite3_column_int64(s, 0) + 1 :
	    1;
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW)
		return store_fail(st, err, rc, "number a message");
	return 0;
}

int
store_outbox_route(struct store *st, int64_t id, const char *case_id,
    const char *peer, const char *message_id, unsigned version,
    const char *body, size_t len, time_t now, struct store_err *err)
{
	/* Its age (max_age) counts from when it could first be sent. */
	if (store_exec(st, err, "UPDATE outbox SET message_id = ?, peer = ?, "
	    "body = ?, version = ?, state = 'queued', next_attempt_at = ?, "
	    "created_at = ? WHERE id = ? AND state = 'unroutable'", "ssbiiii",
	    message_id, peer, (const void *)body, len, (int64_t)version,
	    (int64_t)now, (int64_t)now, id) == -1 ||
	    store_exec(st, err, "UPDATE hcase SET partner = ? WHERE id = "
	    "(SELECT hcase FROM outbox WHERE id = ?)", "si", peer, id) == -1 ||
	    store_exec(st, err, "INSERT INTO case_version (hcase, peer, "
	    "direction, last_version) SELECT hcase, ?, 'out', ? FROM outbox "
	    "WHERE id = ? ON CONFLICT (hcase, peer, direction) DO UPDATE SET "
	    "last_version = excluded.last_version", "sii", peer,
	    (int64_t)version, id) == -1)
		return -1;
	return store_audit(st, AUDIT_MESSAGE_STORED, peer, case_id, message_id,
	    NULL, "routed: a route appeared", err);
}

int
store_caps_due(struct store *st, time_t now, size_t max,
    struct store_delivery **out, size_t *n, struct store_err *err)
{
	struct store_delivery *v;
	sqlite3_stmt *s;
	size_t i;
	int rc;

	*out = NULL;
	*n = 0;
	if ((v = calloc(max, sizeof(*v))) == NULL)
		return store_set_err(err, STORE_FAIL, "out of memory");
	/* Daily (protocol.md §4); a failed fetch is retried after an hour
	 * (store_caps_set moves cap_fetched_at back accordingly). */
	if ((s = store_stmt(st, err, "SELECT id, url FROM peer WHERE "
	    "enabled = 1 AND removed_at IS NULL AND (cap_fetched_at IS NULL "
	    "OR cap_fetched_at <= ?) ORDER BY id LIMIT ?", "ii",
	    (int64_t)(now - 86400), (int64_t)max)) == NULL) {
		free(v);
		return -1;
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_delivery *d = &v[(*n)++];

		snprintf(d->peer, sizeof(d->peer), "%s",
		    sqlite3_column_text(s, 0));
		snprintf(d->url, sizeof(d->url), "%s", sqlite3_column_text(s, 1));
		snprintf(d->type, sizeof(d->type), "Capabilities");
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		free(v);
		*n = 0;
		return store_fail(st, err, rc, "read peers");
	}
	for (i = 0; i < *n; i++)
		if (peer_pins(st, &v[i], now, err) == -1) {
			free(v);
			*n = 0;
			return -1;
		}
	*out = v;
	return 0;
}

int
store_caps_set(struct store *st, const char *peer, int ok,
    const char *versions, int64_t max_bytes, int64_t max_items, time_t now,
    struct store_err *err)
{
	if (!ok)
		return store_exec(st, err, "UPDATE peer SET cap_fetched_at = ? "
		    "WHERE id = ?", "is", (int64_t)(now - 86400 + 3600), peer);
	return store_exec(st, err, "UPDATE peer SET cap_versions = ?, "
	    "cap_max_bytes = ?, cap_max_items = ?, cap_fetched_at = ? WHERE "
	    "id = ?", "siiis", versions, max_bytes, max_items, (int64_t)now,
	    peer);
}

int
store_gauges(struct store *st, time_t now,
    void (*outbox)(const char *peer, const char *state, int64_t n, void *),
    int64_t *overdue, void *arg, struct store_err *err)
{
	char ts[32];
	sqlite3_stmt *s;
	int rc;

	if ((s = store_stmt(st, err, "SELECT coalesce(peer, '-'), state, "
	    "count(*) FROM outbox WHERE state IN ('queued', 'retrying', 'dead', "
	    "'unroutable') GROUP BY 1, 2", NULL)) == NULL)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		outbox((const char *)sqlite3_column_text(s, 0),
		    (const char *)sqlite3_column_text(s, 1),
		    sqlite3_column_int64(s, 2), arg);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return store_fail(st, err, rc, "count the outbox");
	if (type_timestamp_format(now, ts, sizeof(ts)) == -1)
		return store_set_err(err, STORE_FAIL, "time");
	/* Overdue: not acknowledged (nor withdrawn) past its deadline, and
	 * not closed (timestamps of one form compare as text). */
	if ((s = store_stmt(st, err, "SELECT count(*) FROM handoff h JOIN "
	    "hcase c ON c.id = h.hcase WHERE h.state IN ('new', 'amended') AND "
	    "h.deadline_at < ? AND coalesce(c.state, '') <> 'closed'", "s",
	    ts)) ==
	    NULL)
		return -1;
	rc = sqlite3_step(s);
	*overdue = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW)
		return store_fail(st, err, rc, "count overdue hand-offs");
	return 0;
}
