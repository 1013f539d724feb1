/*
 * store_case.c -- a case after its Referral: follow-up messages queued,
 * states recorded and applied, hand-offs acknowledged and revised,
 * undelivered messages cancelled, the event feed and the timeline
 * (protocol.md §2.2-2.3, §5; operations.md §3-4).
 *
 * The rules themselves (roles, the state table, ordering) are pure code in
 * lifecycle.c; here they are applied inside the caller's transaction, so
 * that a state, its audit entry and its event commit together.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "lifecycle.h"
#include "store_int.h"
#include "util.h"

static void
col(sqlite3_stmt *s, int i, char *buf, size_t bufsz)
{
	const unsigned char *t = sqlite3_column_text(s, i);

	snprintf(buf, bufsz, "%s", t != NULL ? (const char *)t : "");
}

#define CASE_COLS "c.id, c.origin = 'ours', " \
	"coalesce(c.our_number, c.number), c.issuer, c.number, c.partner, " \
	"c.partner_number, c.country, c.received_at, c.state, c.state_at, " \
	"c.closed_reason, c.reroutes, c.test, c.record_sha256, h.kind, " \
	"h.state, h.file_state, h.deadline_at, h.revision, " \
	"EXISTS (SELECT 1 FROM outbox o WHERE o.hcase = c.id AND " \
	"o.type = 'Referral' AND o.state = 'delivered' AND o.peer = " \
	"c.partner), " \
	"(SELECT count(*) FROM outbox o WHERE o.hcase = c.id AND o.state " \
	"IN ('queued', 'retrying', 'dead', 'unroutable')) " \
	"FROM hcase c LEFT JOIN handoff h ON h.hcase = c.id "

static int
load_case(struct store *st, sqlite3_stmt *s, const char *name,
    struct store_case *c, struct store_err *err)
{
	int rc;

	memset(c, 0, sizeof(*c));
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		c->id = sqlite3_column_int64(s, 0);
		c->ours = sqlite3_column_int(s, 1);
		col(s, 2, c->case_id, sizeof(c->case_id));
		col(s, 3, c->issuer, sizeof(c->issuer));
		col(s, 4, c->number, sizeof(c->number));
		col(s, 5, c->partner, sizeof(c->partner));
		col(s, 6, c->partner_number, sizeof(c->partner_number));
		col(s, 7, c->country, sizeof(c->country));
		col(s, 8, c->received_at, sizeof(c->received_at));
		col(s, 9, c->state, sizeof(c->state));
		col(s, 10, c->state_at, sizeof(c->state_at));
		col(s, 11, c->closed_reason, sizeof(c->closed_reason));
		c->reroutes = sqlite3_column_int64(s, 12);
		c->test = sqlite3_column_int(s, 13);
		col(s, 14, c->record_sha256, sizeof(c->record_sha256));
		col(s, 15, c->handoff_kind, sizeof(c->handoff_kind));
		col(s, 16, c->handoff_state, sizeof(c->handoff_state));
		col(s, 17, c->handoff_file, sizeof(c->handoff_file));
		col(s, 18, c->deadline_at, sizeof(c->deadline_at));
		c->revision = (unsigned)sqlite3_column_int(s, 19);
		c->delivered = sqlite3_column_int(s, 20);
		c->undelivered = sqlite3_column_int(s, 21);
	}
	sqlite3_finalize(s);
	if (rc == SQLITE_DONE)
		return store_set_err(err, STORE_NOTFOUND, "no case %s", name);
	if (rc != SQLITE_ROW)
		return store_fail(st, err, rc, "look up a case");
	return 0;
}

int
store_case_find(struct store *st, const char *self, const char *case_id,
    struct store_case *c, struct store_err *err)
{
	sqlite3_stmt *s;

	/* Our cases by the case_id submitted; received ones by our number
	 * (the two never meet: case_prefix is refused in a case_id). */
	if ((s = store_stmt(st, err, "SELECT " CASE_COLS "WHERE (c.origin = "
	    "'ours' AND c.issuer = ?1 AND c.number = ?2) OR (c.origin = "
	    "'received' AND c.our_number = ?2)", "ss", self, case_id)) == NULL)
		return -1;
	return load_case(st, s, case_id, c, err);
}

int
store_case_get(struct store *st, int64_t hcase, struct store_case *c,
    struct store_err *err)
{
	sqlite3_stmt *s;

	if ((s = store_stmt(st, err, "SELECT " CASE_COLS "WHERE c.id = ?",
	    "i", hcase)) == NULL)
		return -1;
	return load_case(st, s, "by id", c, err);
}

int
store_case_record(struct store *st, int64_t hcase, char **out,
    struct store_err *err)
{
	sqlite3_stmt *s;
	int rc;

	*out = NULL;
	if ((s = store_stmt(st, err, "SELECT record FROM hcase WHERE id = ?",
	    "i", hcase)) == NULL)
		return -1;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW && sqlite3_column_text(s, 0) != NULL &&
	    (*out = strdup((const char *)sqlite3_column_text(s, 0))) == NULL)
		rc = SQLITE_NOMEM;
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW)
		return store_fail(st, err, rc, "read a case record");
	if (*out == NULL)
		return store_set_err(err, STORE_NOTFOUND, "the case has no "
		    "record");
	return 0;
}

int
store_case_next_version(struct store *st, int64_t hcase, const char *peer,
    unsigned *version, struct store_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if ((s = store_stmt(st, err, "SELECT coalesce(max(last_version), 0) "
	    "FROM case_version WHERE hcase = ? AND peer = ? AND direction = "
	    "'out'", "is", hcase, peer)) == NULL)
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
store_case_queue(struct store *st, const struct store_followup *f,
    struct store_err *err)
{
	char detail[64];

	snprintf(detail, sizeof(detail), "%s queued", f->type);
	if (store_exec(st, err, "INSERT INTO outbox (message_id, hcase, peer, "
	    "type, version, body, state, created_at, next_attempt_at, test) "
	    "VALUES (?, ?, ?, ?, ?, ?, 'queued', ?, ?, ?)", "sissibiii",
	    f->message_id, f->hcase, f->peer, f->type, (int64_t)f->version,
	    (const void *)f->body, f->len, (int64_t)f->now, (int64_t)f->now,
	    (int64_t)f->test) == -1 ||
	    store_exec(st, err, "INSERT INTO case_version (hcase, peer, "
	    "direction, last_version) VALUES (?, ?, 'out', ?) ON CONFLICT "
	    "(hcase, peer, direction) DO UPDATE SET last_version = "
	    "max(last_version, excluded.last_version)", "isi", f->hcase,
	    f->peer, (int64_t)f->version) == -1)
		return -1;
	return store_audit(st, AUDIT_MESSAGE_STORED, f->peer, f->case_id,
	    f->message_id, NULL, detail, err);
}

/*
 * protocol.md §4: withdrawing a Referral never delivered cancels it here.
 * If it was on the wire all the same and the partner took it, the case is
 * withdrawn after all: a Withdraw follows it, so that the partner closes
 * its copy too.  Called by the delivery's transaction when a cancelled
 * Referral comes back delivered.
 */
int
store_case_withdraw_late(struct store *st, int64_t hcase, const char *peer,
    time_t now, struct store_err *err)
{
	static const char reason[] = "withdrawn before it was delivered";
	struct lifecycle_head h;
	struct store_followup f;
	struct store_case c;
	struct message *m;
	struct msg_err merr;
	char id[HLX_UUID_LEN + 1], ts[HLX_TIMESTAMP_MAX + 1], why[160], *xml;
	unsigned version;
	size_t len;
	int rc;

	if (store_case_get(st, hcase, &c, err) == -1)
		return -1;
	if (!c.ours || strcmp(c.state, "closed") != 0 ||
	    strcmp(c.closed_reason, "withdrawn") != 0)
		return 0;
	if (store_case_next_version(st, hcase, peer, &version, err) == -1)
		return -1;
	if (util_uuid4(id, sizeof(id)) == -1 ||
	    type_timestamp_format(now, ts, sizeof(ts)) == -1)
		return store_set_err(err, STORE_FAIL, "no uuid or time");
	memset(&h, 0, sizeof(h));
	h.message_id = id;
	h.sent_at = ts;
	h.sender = c.issuer;
	h.recipient = peer;
	h.test = c.test;
	h.issuer = c.issuer;
	h.number = c.number;
	h.version = version;
	if ((m = lifecycle_withdraw(&h, reason, NULL, 0, why,
	    sizeof(why))) == NULL)
		return store_set_err(err, STORE_FAIL, "Withdraw of %s: %s",
		    c.case_id, why);
	rc = message_write(m, &xml, &len, &merr);
	message_free(m);
	if (rc == -1)
		return store_set_err(err, STORE_FAIL, "Withdraw of %s: %s",
		    c.case_id, merr.detail);
	memset(&f, 0, sizeof(f));
	f.hcase = hcase;
	f.case_id = c.case_id;
	f.peer = peer;
	f.type = "Withdraw";
	f.version = version;
	f.message_id = id;
	f.body = xml;
	f.len = len;
	f.test = c.test;
	f.now = now;
	rc = store_case_queue(st, &f, err);
	free(xml);
	return rc;
}

int
store_case_set_record(struct store *st, int64_t hcase, const char *record,
    const char *sha256, struct store_err *err)
{
	return store_exec(st, err, "UPDATE hcase SET record = ?, "
	    "record_sha256 = ? WHERE id = ?", "ssi", record, sha256, hcase);
}

/* The case's current applied state and whether it came from the same
 * sender as in: 1 there is one, 0 none, -1 error. */
static int
current_state(struct store *st, int64_t hcase, const struct store_state *in,
    int64_t *at, uint32_t *version, int *same, struct store_err *err)
{
	sqlite3_stmt *s;
	const char *peer;
	int rc, found = 0;

	if ((s = store_stmt(st, err, "SELECT state_usec, version, source = "
	    "'peer', peer FROM case_state WHERE hcase = ? AND applied = 1 "
	    "ORDER BY id DESC LIMIT 1", "i", hcase)) == NULL)
		return -1;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		found = 1;
		*at = sqlite3_column_int64(s, 0);
		*version = (uint32_t)sqlite3_column_int64(s, 1);
		peer = (const char *)sqlite3_column_text(s, 3);
		/* Versions count per sender: comparable only then. */
		*same = sqlite3_column_int(s, 2) == in->peer_sent &&
		    (!in->peer_sent || (peer != NULL && in->peer != NULL &&
		    strcmp(peer, in->peer) == 0));
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_fail(st, err, rc, "read a case's state");
	return found;
}

int
store_case_state(struct store *st, const struct store_case *c,
    const struct store_state *in, int *applied, struct store_err *err)
{
	int64_t at, cur_at = 0;
	uint32_t cur_version = 0;
	int to, from, has, same = 0;
	char detail[200];

	*applied = 0;
	if ((to = type_vocab_parse(VOCAB_STATE, in->state)) == -1)
		return store_set_err(err, STORE_REFUSED, "no state %s",
		    in->state);
	if (lifecycle_time_usec(in->state_at, &at) == -1)
		return store_set_err(err, STORE_REFUSED, "StateAt %s is not "
		    "a timestamp", in->state_at);
	from = c->state[0] != '\0' ? type_vocab_parse(VOCAB_STATE, c->state) :
	    -1;
	if ((has = current_state(st, c->id, in, &cur_at, &cur_version, &same,
	    err)) == -1)
		return -1;
	if (in->test)
		*applied = 0;
	else if (in->force)
		*applied = from != STATE_CLOSED;
	else
		*applied = lifecycle_may_follow(from, (enum case_state)to) &&
		    lifecycle_newer(at, in->version, has, cur_at, cur_version,
		    same);
	if (store_exec(st, err, "INSERT INTO case_state (hcase, state, "
	    "state_at, state_usec, source, peer, message_id, version, "
	    "observed_by, reason, content_urls, applied, test, recorded_at) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
	    "ississsisssiii", c->id, in->state, in->state_at, at,
	    in->peer_sent ? "peer" : "local", in->peer, in->message_id,
	    (int64_t)in->version, in->observed_by, in->reason,
	    in->content_urls, (int64_t)*applied, (int64_t)in->test,
	    (int64_t)in->now) == -1)
		return -1;
	if (!*applied)
		return 0;
	if (store_exec(st, err, "UPDATE hcase SET state = ?, state_at = ? "
	    "WHERE id = ?", "ssi", in->state, in->state_at, c->id) == -1)
		return -1;
	if (to == STATE_CLOSED && store_exec(st, err, "UPDATE hcase SET "
	    "closed_reason = ?, closed_at = ? WHERE id = ?", "sii",
	    in->reason != NULL ? in->reason : "closed", (int64_t)in->now,
	    c->id) == -1)
		return -1;
	snprintf(detail, sizeof(detail), "%s -> %s at %s (%s)",
	    c->state[0] != '\0' ? c->state : "-", in->state, in->state_at,
	    in->peer_sent ? "from the other party" : "ours");
	return store_audit(st, AUDIT_CASE_STATE, in->peer, c->case_id,
	    in->message_id, NULL, detail, err);
}

int
store_handoff_ack(struct store *st, const struct store_case *c, time_t now,
    struct store_err *err)
{
	if (c->handoff_kind[0] == '\0' ||
	    strcmp(c->handoff_state, "withdrawn") == 0)
		return 0;
	if (store_exec(st, err, "UPDATE handoff SET state = 'acknowledged', "
	    "updated_at = ? WHERE hcase = ?", "ii", (int64_t)now, c->id) == -1)
		return -1;
	return store_audit(st, AUDIT_CASE_STATE, NULL, c->case_id, NULL, NULL,
	    "hand-off acknowledged", err);
}

/* The document with its next revision and state, items in remove[]
 * taken out. */
static char *
revise_doc(const char *doc, unsigned revision, const char *state,
    const char *const *remove, size_t nremove)
{
	json_t *root = json_loads(doc, 0, NULL), *ho, *items, *it;
	const char *url;
	char *out = NULL;
	size_t i, k;

	if (root == NULL || (ho = json_object_get(root, "handoff")) == NULL)
		goto out;
	json_object_set_new(ho, "revision", json_integer(revision));
	json_object_set_new(ho, "state", json_string(state));
	if (nremove > 0 && (items = json_object_get(root, "items")) != NULL)
		for (i = json_array_size(items); i-- > 0;) {
			it = json_array_get(items, i);
			url = json_string_value(json_object_get(it,
			    "content_url"));
			for (k = 0; url != NULL && k < nremove; k++)
				if (strcmp(url, remove[k]) == 0) {
					json_array_remove(items, i);
					break;
				}
		}
	out = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
out:
	json_decref(root);
	return out;
}

int
store_handoff_revise(struct store *st, const struct store_case *c,
    const char *state, const char *const *remove, size_t nremove,
    const char *doc, time_t now, struct store_handoff *ho,
    struct store_err *err)
{
	sqlite3_stmt *s;
	char *old = NULL, detail[64];
	int rc;

	memset(ho, 0, sizeof(*ho));
	if (c->handoff_kind[0] == '\0')
		return 0;
	ho->hcase = c->id;
	ho->revision = c->revision + 1;
	snprintf(ho->case_id, sizeof(ho->case_id), "%s", c->case_id);
	if (doc == NULL) {
		if ((s = store_stmt(st, err, "SELECT document FROM handoff "
		    "WHERE hcase = ?", "i", c->id)) == NULL)
			return -1;
		rc = sqlite3_step(s);
		if (rc == SQLITE_ROW && (old = strdup((const char *)
		    sqlite3_column_text(s, 0))) == NULL)
			rc = SQLITE_NOMEM;
		sqlite3_finalize(s);
		if (rc != SQLITE_ROW)
			return store_fail(st, err, rc, "read a hand-off");
		ho->document = revise_doc(old, ho->revision, state, remove,
		    nremove);
		free(old);
	} else
		ho->document = strdup(doc);
	if (ho->document == NULL)
		return store_set_err(err, STORE_FAIL, "hand-off of %s: cannot "
		    "revise its document", c->case_id);
	ho->len = strlen(ho->document);
	snprintf(detail, sizeof(detail), "hand-off revision %u: %s",
	    ho->revision, state);
	if (store_exec(st, err, "UPDATE handoff SET revision = ?, state = ?, "
	    "file_state = 'pending', document = ?, updated_at = ?, "
	    "pending_since = coalesce(pending_since, ?) WHERE hcase = ?",
	    "issiii", (int64_t)ho->revision, state, ho->document,
	    (int64_t)now, (int64_t)now, c->id) == -1)
		return -1;
	return store_audit(st, AUDIT_CASE_STATE, NULL, c->case_id, NULL, NULL,
	    detail, err);
}

int
store_case_cancel(struct store *st, const struct store_case *c,
    const char *peer, const char *why, int64_t *n, struct store_err *err)
{
	sqlite3_stmt *s;
	int rc;

	*n = 0;
	/* Audited one by one: each was a message stored. */
	if ((s = store_stmt(st, err, "SELECT id, peer, message_id FROM outbox "
	    "WHERE hcase = ?1 AND state IN ('queued', 'retrying', 'dead', "
	    "'unroutable') AND (?2 IS NULL OR peer = ?2) ORDER BY id", "is",
	    c->id, peer)) == NULL)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *p = (const char *)sqlite3_column_text(s, 1);
		const char *m = (const char *)sqlite3_column_text(s, 2);

		if (store_audit(st, AUDIT_CANCELLED, p, c->case_id, m, NULL, why,
		    err) == -1) {
			sqlite3_finalize(s);
			return -1;
		}
		(*n)++;
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return store_fail(st, err, rc, "cancel a case's messages");
	return store_exec(st, err, "UPDATE outbox SET state = 'cancelled', "
	    "last_detail = ?3 WHERE hcase = ?1 AND state IN ('queued', "
	    "'retrying', 'dead', 'unroutable') AND (?2 IS NULL OR peer = ?2)",
	    "iss", c->id, peer, why);
}

int
store_case_items_left(struct store *st, const struct store_case *c,
    const char *const *named, size_t nnamed, size_t *left,
    struct store_err *err)
{
	sqlite3_stmt *s;
	json_t *root = NULL, *items;
	const char *url;
	size_t i, k;
	int rc;

	*left = SIZE_MAX;
	if ((s = store_stmt(st, err, "SELECT coalesce(h.document, c.record) "
	    "FROM hcase c LEFT JOIN handoff h ON h.hcase = c.id WHERE c.id = ?",
	    "i", c->id)) == NULL)
		return -1;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW && sqlite3_column_text(s, 0) != NULL)
		root = json_loads((const char *)sqlite3_column_text(s, 0), 0,
		    NULL);
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_fail(st, err, rc, "read a case's items");
	if (root == NULL || !json_is_array(items = json_object_get(root,
	    "items")))
		goto out;
	*left = 0;
	for (i = 0; i < json_array_size(items); i++) {
		url = json_string_value(json_object_get(json_array_get(items,
		    i), "content_url"));
		for (k = 0; url != NULL && k < nnamed; k++)
			if (strcmp(url, named[k]) == 0)
				break;
		if (url == NULL || k == nnamed)
			(*left)++;
	}
out:
	json_decref(root);
	return 0;
}

int
store_case_withdraws(struct store *st, int64_t hcase, const char *peer,
    struct store_body **out, size_t *n, struct store_err *err)
{
	struct store_body *v = NULL, *nv;
	sqlite3_stmt *s;
	size_t cap = 0, len;
	int rc;

	*out = NULL;
	*n = 0;
	/* A later Referral (an amendment, or version 1 after a Reroute)
	 * carries every item of the record again. */
	if ((s = store_stmt(st, err, "SELECT body FROM outbox WHERE hcase = ?1 "
	    "AND peer = ?2 AND type = 'Withdraw' AND state != 'cancelled' AND "
	    "body IS NOT NULL AND version > coalesce((SELECT max(version) "
	    "FROM outbox WHERE hcase = ?1 AND peer = ?2 AND type = 'Referral' "
	    "AND state != 'cancelled'), 0) ORDER BY version", "is", hcase,
	    peer)) == NULL)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap == 0 ? 4 : cap * 2;
			if ((nv = realloc(v, cap * sizeof(*v))) == NULL) {
				rc = SQLITE_NOMEM;
				break;
			}
			v = nv;
		}
		len = (size_t)sqlite3_column_bytes(s, 0);
		if ((v[*n].body = malloc(len + 1)) == NULL) {
			rc = SQLITE_NOMEM;
			break;
		}
		if (len > 0)
			memcpy(v[*n].body, sqlite3_column_blob(s, 0), len);
		v[*n].body[len] = '\0';
		v[*n].len = len;
		(*n)++;
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		store_body_free(v, *n);
		*n = 0;
		return store_fail(st, err, rc, "read a case's Withdraws");
	}
	*out = v;
	return 0;
}

void
store_body_free(struct store_body *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i].body);
	free(v);
}

int
store_event(struct store *st, const char *kind, int64_t hcase,
    const char *peer, const char *message_id, const char *data, time_t now,
    struct store_err *err)
{
	return store_exec(st, err, "INSERT INTO event (at, kind, hcase, peer, "
	    "message_id, data) VALUES (?, ?, ?, ?, ?, ?)", "isisss",
	    (int64_t)now, kind, hcase, peer, message_id, data);
}

int
store_events(struct store *st, int64_t since, size_t max,
    struct store_event_list *out, struct store_err *err)
{
	struct store_event_row *r;
	sqlite3_stmt *s;
	size_t cap = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((out->arena = arena_new(0)) == NULL)
		return store_set_err(err, STORE_FAIL, "out of memory");
	if ((s = store_stmt(st, err, "SELECT e.id, e.at, e.kind, "
	    "coalesce(c.our_number, c.number), e.peer, e.message_id, e.data "
	    "FROM event e LEFT JOIN hcase c ON c.id = e.hcase WHERE e.id > ? "
	    "ORDER BY e.id LIMIT ?", "ii", since, (int64_t)max)) == NULL)
		goto fail;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if ((out->rows = store_grow(out->arena, out->rows, out->n, &cap,
		    sizeof(*r))) == NULL) {
			rc = SQLITE_NOMEM;
			break;
		}
		r = &out->rows[out->n++];
		r->cursor = sqlite3_column_int64(s, 0);
		r->at = (time_t)sqlite3_column_int64(s, 1);
		r->kind = store_col_text(out->arena, s, 2);
		r->case_id = store_col_text(out->arena, s, 3);
		r->peer = store_col_text(out->arena, s, 4);
		r->message_id = store_col_text(out->arena, s, 5);
		r->data = store_col_text(out->arena, s, 6);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		store_fail(st, err, rc, "read the events");
		goto fail;
	}
	return 0;
fail:
	store_event_list_free(out);
	return -1;
}

void
store_event_list_free(struct store_event_list *l)
{
	arena_free(l->arena);
	memset(l, 0, sizeof(*l));
}

int
store_case_timeline(struct store *st, int64_t hcase,
    struct store_timeline *out, struct store_err *err)
{
	struct store_timeline_row *r;
	sqlite3_stmt *s;
	size_t cap = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((out->arena = arena_new(0)) == NULL)
		return store_set_err(err, STORE_FAIL, "out of memory");
	/* Messages out (by when stored), in (by when received), and the
	 * states our case system recorded with no message to send. */
	if ((s = store_stmt(st, err,
	    "SELECT o.created_at AS at, 'out', o.type, o.peer, o.message_id, "
	    "o.version, o.state, s.state, s.state_at, coalesce(s.applied, -1), "
	    "o.delivered_at, o.last_status, o.last_code, 1 AS k, o.id "
	    "FROM outbox o LEFT JOIN case_state s ON s.hcase = o.hcase AND "
	    "s.message_id = o.message_id AND s.source = 'local' "
	    "WHERE o.hcase = ?1 "
	    "UNION ALL SELECT CAST(strftime('%s', i.received_at) AS INTEGER), "
	    "'in', i.type, i.peer, i.message_id, i.version, 'accepted', "
	    "s.state, s.state_at, coalesce(s.applied, -1), NULL, NULL, NULL, "
	    "0, i.id FROM inbox i LEFT JOIN case_state s ON s.hcase = i.hcase "
	    "AND s.message_id = i.message_id AND s.source = 'peer' "
	    "WHERE i.hcase = ?1 "
	    "UNION ALL SELECT s.recorded_at, 'local', 'state', NULL, NULL, "
	    "NULL, NULL, s.state, s.state_at, s.applied, NULL, NULL, NULL, 2, "
	    "s.id FROM case_state s WHERE s.hcase = ?1 AND s.message_id IS "
	    "NULL "
	    "ORDER BY 1, 14, 15", "i", hcase)) == NULL)
		goto fail;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if ((out->rows = store_grow(out->arena, out->rows, out->n, &cap,
		    sizeof(*r))) == NULL) {
			rc = SQLITE_NOMEM;
			break;
		}
		r = &out->rows[out->n++];
		r->at = (time_t)sqlite3_column_int64(s, 0);
		r->dir = store_col_text(out->arena, s, 1);
		r->type = store_col_text(out->arena, s, 2);
		r->peer = store_col_text(out->arena, s, 3);
		r->message_id = store_col_text(out->arena, s, 4);
		r->version = sqlite3_column_int64(s, 5);
		r->result = store_col_text(out->arena, s, 6);
		r->state = store_col_text(out->arena, s, 7);
		r->state_at = store_col_text(out->arena, s, 8);
		r->applied = sqlite3_column_int(s, 9);
		r->delivered_at = (time_t)sqlite3_column_int64(s, 10);
		r->last_status = sqlite3_column_int64(s, 11);
		r->last_code = store_col_text(out->arena, s, 12);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		store_fail(st, err, rc, "read a case's timeline");
		goto fail;
	}
	return 0;
fail:
	store_timeline_free(out);
	return -1;
}

void
store_timeline_free(struct store_timeline *t)
{
	arena_free(t->arena);
	memset(t, 0, sizeof(*t));
}
