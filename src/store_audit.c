/*
 * store_audit.c -- the audit trail in the store (operations.md §5).
 *
 * An entry is appended inside the transaction of the change it records,
 * so both commit or neither does.  The MAC chain is computed by audit.c;
 * here it is kept, listed and verified.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store_int.h"

int
store_audit(struct store *st, const char *event, const char *peer,
    const char *hcase, const char *message_id, const char *pin,
    const char *detail, struct store_err *err)
{
	unsigned char prev[AUDIT_MAC_LEN], mac[AUDIT_MAC_LEN];
	struct audit_entry e;
	sqlite3_stmt *s;
	int64_t count = 0;
	int rc, have_prev = 0;

	/* Outside a transaction the entry could commit without its change. */
	if (sqlite3_get_autocommit(st->db))
		return store_set_err(err, STORE_FAIL, "audit entry %s outside "
		    "a transaction", event);
	if ((s = store_stmt(st, err, "SELECT count, mac FROM audit_tip "
	    "WHERE id = 1", NULL)) == NULL)
		return -1;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		count = sqlite3_column_int64(s, 0);
		if (sqlite3_column_bytes(s, 1) != AUDIT_MAC_LEN) {
			sqlite3_finalize(s);
			return store_set_err(err, STORE_FAIL, "store %s: the "
			    "audit tip is damaged: run hlx audit verify",
			    st->path);
		}
		memcpy(prev, sqlite3_column_blob(s, 1), AUDIT_MAC_LEN);
		have_prev = 1;
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_fail(st, err, rc, "read the audit tip");
	memset(&e, 0, sizeof(e));
	e.seq = count + 1;
	e.at = (int64_t)time(NULL);
	e.actor = st->actor;
	e.event = event;
	e.peer = peer;
	e.hcase = hcase;
	e.message_id = message_id;
	e.pin = pin;
	e.detail = detail;
	if (audit_mac(st->key, sizeof(st->key), have_prev ? prev : NULL, &e,
	    mac) == -1)
		return store_set_err(err, STORE_FAIL, "audit: HMAC failed");
	if (store_exec(st, err, "INSERT INTO audit (seq, at, actor, event, "
	    "peer, hcase, message_id, pin, detail, mac) VALUES "
	    "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", "iisssssssb", e.seq, e.at,
	    e.actor, e.event, e.peer, e.hcase, e.message_id, e.pin, e.detail,
	    (const void *)mac, (size_t)AUDIT_MAC_LEN) == -1)
		return -1;
	return store_exec(st, err, "INSERT INTO audit_tip (id, count, mac) "
	    "VALUES (1, ?, ?) ON CONFLICT (id) DO UPDATE SET "
	    "count = excluded.count, mac = excluded.mac", "ib", e.seq,
	    (const void *)mac, (size_t)AUDIT_MAC_LEN);
}

#define AUDIT_COLS "seq, at, actor, event, peer, hcase, message_id, pin, " \
	"detail"

static void
read_row(struct arena *a, sqlite3_stmt *s, struct store_audit_row *r)
{
	r->seq = sqlite3_column_int64(s, 0);
	r->at = sqlite3_column_int64(s, 1);
	r->actor = store_col_text(a, s, 2);
	r->event = store_col_text(a, s, 3);
	r->peer = store_col_text(a, s, 4);
	r->hcase = store_col_text(a, s, 5);
	r->message_id = store_col_text(a, s, 6);
	r->pin = store_col_text(a, s, 7);
	r->detail = store_col_text(a, s, 8);
}

int
store_audit_list(struct store *st, const char *peer, const char *hcase,
    struct store_audit_list *out, struct store_err *err)
{
	sqlite3_stmt *s;
	size_t cap = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((out->arena = arena_new(0)) == NULL)
		return store_set_err(err, STORE_FAIL, "out of memory");
	s = store_stmt(st, err, "SELECT " AUDIT_COLS " FROM audit WHERE "
	    "(?1 IS NULL OR peer = ?1) AND (?2 IS NULL OR hcase = ?2) "
	    "ORDER BY seq", "ss", peer, hcase);
	if (s == NULL)
		goto fail;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if ((out->rows = store_grow(out->arena, out->rows, out->n, &cap,
		    sizeof(*out->rows))) == NULL) {
			sqlite3_finalize(s);
			store_set_err(err, STORE_FAIL, "out of memory");
			goto fail;
		}
		read_row(out->arena, s, &out->rows[out->n++]);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		store_fail(st, err, rc, "read the audit trail");
		goto fail;
	}
	return 0;
fail:
	store_audit_list_free(out);
	return -1;
}

void
store_audit_list_free(struct store_audit_list *l)
{
	arena_free(l->arena);
	memset(l, 0, sizeof(*l));
}

static int
verdict(struct store_audit_verdict *v, int64_t seq, const char *why)
{
	if (v->bad_seq == 0) {
		v->bad_seq = seq;
		snprintf(v->why, sizeof(v->why), "%s", why);
	}
	return 0;
}

int
store_audit_verify(struct store *st, struct store_audit_verdict *v,
    struct store_err *err)
{
	unsigned char mac[AUDIT_MAC_LEN], prev[AUDIT_MAC_LEN];
	struct store_audit_row row;
	struct audit_entry e;
	struct arena *a = NULL;
	sqlite3_stmt *s = NULL;
	int64_t expect = 1, tip_count = -1;
	int rc, ret = -1;

	memset(v, 0, sizeof(*v));
	/* One read transaction: a consistent snapshot of trail and tip. */
	if (store_exec(st, err, "BEGIN", NULL) == -1)
		return -1;
	if ((a = arena_new(0)) == NULL) {
		store_set_err(err, STORE_FAIL, "out of memory");
		goto out;
	}
	if ((s = store_stmt(st, err, "SELECT " AUDIT_COLS ", mac FROM audit "
	    "ORDER BY seq", NULL)) == NULL)
		goto out;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		read_row(a, s, &row);
		if (row.seq != expect) {
			verdict(v, expect, row.seq > expect ? "entry missing "
			    "(deleted)" : "entry out of order (inserted)");
			break;
		}
		memset(&e, 0, sizeof(e));
		e.seq = row.seq;
		e.at = row.at;
		e.actor = row.actor;
		e.event = row.event;
		e.peer = row.peer;
		e.hcase = row.hcase;
		e.message_id = row.message_id;
		e.pin = row.pin;
		e.detail = row.detail;
		if (audit_mac(st->key, sizeof(st->key), expect > 1 ? prev :
		    NULL, &e, mac) == -1) {
			store_set_err(err, STORE_FAIL, "audit: HMAC failed");
			goto out;
		}
		if (sqlite3_column_bytes(s, 9) != AUDIT_MAC_LEN ||
		    memcmp(mac, sqlite3_column_blob(s, 9), AUDIT_MAC_LEN) !=
		    0) {
			verdict(v, row.seq, "MAC does not match: the entry or "
			    "one before it was changed, inserted or removed");
			break;
		}
		memcpy(prev, mac, AUDIT_MAC_LEN);
		v->count = row.seq;
		expect++;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		store_fail(st, err, rc, "read the audit trail");
		goto out;
	}
	sqlite3_finalize(s);
	s = NULL;
	if (v->count > 0)
		memcpy(v->tip, prev, AUDIT_MAC_LEN);
	if (v->bad_seq == 0) {
		if ((s = store_stmt(st, err, "SELECT count, mac FROM audit_tip "
		    "WHERE id = 1", NULL)) == NULL)
			goto out;
		rc = sqlite3_step(s);
		if (rc == SQLITE_ROW) {
			tip_count = sqlite3_column_int64(s, 0);
			if (tip_count > v->count)
				verdict(v, v->count + 1, "the tip counts more "
				    "entries than the trail holds: the last "
				    "ones were deleted");
			else if (tip_count < v->count)
				verdict(v, tip_count + 1, "entries beyond the "
				    "tip: added without the key's chain");
			else if (sqlite3_column_bytes(s, 1) != AUDIT_MAC_LEN ||
			    memcmp(sqlite3_column_blob(s, 1), v->tip,
			    AUDIT_MAC_LEN) != 0)
				verdict(v, v->count, "the tip does not match "
				    "the last entry");
		} else if (rc == SQLITE_DONE) {
			if (v->count > 0)
				verdict(v, v->count, "the tip is missing");
		} else {
			store_fail(st, err, rc, "read the audit tip");
			goto out;
		}
	}
	ret = 0;
out:
	sqlite3_finalize(s);
	/* Only read: ending it cannot lose anything, and must not hide the
	 * error that brought us here. */
	sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL);
	arena_free(a);
	return ret;
}

int
store_audit_tip(struct store *st, int64_t *count,
    unsigned char tip[AUDIT_MAC_LEN], struct store_err *err)
{
	sqlite3_stmt *s;
	int rc;

	*count = 0;
	memset(tip, 0, AUDIT_MAC_LEN);
	if ((s = store_stmt(st, err, "SELECT count, mac FROM audit_tip "
	    "WHERE id = 1", NULL)) == NULL)
		return -1;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW && sqlite3_column_bytes(s, 1) == AUDIT_MAC_LEN) {
		*count = sqlite3_column_int64(s, 0);
		memcpy(tip, sqlite3_column_blob(s, 1), AUDIT_MAC_LEN);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_fail(st, err, rc, "read the audit tip");
	return 0;
}
