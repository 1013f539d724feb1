/*
 * store_ingest.c -- what a partner sends us, stored: checks 15-18 of
 * protocol.md §3 inside the writer's transaction, so that two copies of one
 * message arriving at once cannot both be accepted, and everything a 202
 * promises -- inbox row, case, audit entry, pending hand-off -- commits
 * together.
 *
 * The hand-off file itself is written after the commit by the caller, then
 * marked written (store_handoff_written); a crash in between leaves it
 * pending, and hlxd rewrites every pending hand-off before it listens
 * (operations.md §4).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include <jansson.h>

#include "handoff.h"
#include "lifecycle.h"
#include "record.h"
#include "log.h"
#include "store_int.h"

static int
sha256_hex(const char *buf, size_t len, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0, i;

	if (EVP_Digest(buf, len, md, &n, EVP_sha256(), NULL) != 1 || n != 32)
		return -1;
	for (i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	return 0;
}

struct hcase_row {
	int64_t		 id;
	char		 origin[16];
	char		 our_number[HLX_CASE_NUMBER_MAX + 1];
	char		 partner[HLX_HOTLINE_ID_MAX + 1];
	char		 state[32];
	int		 test;		/* a test case (its Referral was) */
};

/* 1 found, 0 not, -1 error. */
static int
find_case(struct store *st, const char *issuer, const char *number,
    struct hcase_row *r, struct store_err *err)
{
	sqlite3_stmt *s;
	int rc;

	memset(r, 0, sizeof(*r));
	if ((s = store_stmt(st, err, "SELECT id, origin, our_number, partner, "
	    "state, test FROM hcase WHERE issuer = ? AND number = ?", "ss",
	    issuer, number)) == NULL)
		return -1;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		r->id = sqlite3_column_int64(s, 0);
		snprintf(r->origin, sizeof(r->origin), "%s",
		    sqlite3_column_text(s, 1));
		if (sqlite3_column_text(s, 2) != NULL)
			snprintf(r->our_number, sizeof(r->our_number), "%s",
			    sqlite3_column_text(s, 2));
		if (sqlite3_column_text(s, 3) != NULL)
			snprintf(r->partner, sizeof(r->partner), "%s",
			    sqlite3_column_text(s, 3));
		if (sqlite3_column_text(s, 4) != NULL)
			snprintf(r->state, sizeof(r->state), "%s",
			    sqlite3_column_text(s, 4));
		r->test = sqlite3_column_int(s, 5);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_fail(st, err, rc, "look up a case");
	return rc == SQLITE_ROW;
}

/* The case a message names, and the checks 15-16 on it. */
static const struct msg_caseref *
caseref_of(const struct message *m)
{
	switch (m->type) {
	case BODY_REFERRAL:
		return &m->u.referral.caseref;
	case BODY_ASSESSMENT:
		return &m->u.assessment.caseref;
	case BODY_STATUS_UPDATE:
		return &m->u.status.caseref;
	case BODY_WITHDRAW:
		return &m->u.withdraw.caseref;
	case BODY_REROUTE:
		return &m->u.reroute.caseref;
	default:
		return NULL;
	}
}

/* 17: the message id already answered 202 for this peer?  1 answered
 * (a filled), 0 new, -1 error. */
static int
duplicate(struct store *st, const struct store_inbound *in,
    const char *sha, struct ingest_answer *a, struct store_err *err)
{
	sqlite3_stmt *s;
	int rc, found = 0;

	if ((s = store_stmt(st, err, "SELECT i.body_sha256, i.received_at, "
	    "c.our_number FROM inbox i LEFT JOIN hcase c ON c.id = i.hcase "
	    "WHERE i.peer = ? AND i.message_id = ?", "ss", in->peer,
	    in->m->header.message_id)) == NULL)
		return -1;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		found = 1;
		if (strcmp((const char *)sqlite3_column_text(s, 0), sha) != 0)
			ingest_error(a, 409, "MESSAGE_ID_REUSED", 0, "MessageId "
			    "%s was already used by %s for another message",
			    in->m->header.message_id, in->peer);
		else {
			a->status = 202;
			a->code = NULL;
			a->duplicate = 1;
			snprintf(a->received_at, sizeof(a->received_at), "%s",
			    sqlite3_column_text(s, 1));
			if (in->m->type == BODY_REFERRAL &&
			    sqlite3_column_text(s, 2) != NULL) {
				snprintf(a->partner_issuer,
				    sizeof(a->partner_issuer), "%s",
				    in->self);
				snprintf(a->partner_number,
				    sizeof(a->partner_number), "%s",
				    sqlite3_column_text(s, 2));
			}
		}
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_fail(st, err, rc, "look up a message id");
	return found;
}

/*
 * 17 ahead of 15-16 for a message this peer already had accepted (same
 * bytes): its retry is answered duplicate, although the message may have
 * closed the case (a Withdraw) or made the sender leave it (a Reroute) --
 * otherwise a 202 lost on the way would turn into a final 422.  1 answered
 * (a filled), 0 not a replay, -1 error.
 */
static int
replayed(struct store *st, const struct store_inbound *in, const char *sha,
    struct ingest_answer *a, struct store_err *err)
{
	struct ingest_answer tmp = *a;
	int rc;

	if ((rc = duplicate(st, in, sha, &tmp, err)) != 1)
		return rc;
	if (tmp.status != 202)
		return 0;	/* other bytes: 409, after checks 15-16 */
	*a = tmp;
	return 1;
}

/* The same version of a case again from this peer (check 18)? */
static int
version_used(struct store *st, int64_t hcase, const char *peer,
    uint32_t version, struct store_err *err)
{
	sqlite3_stmt *s;
	int rc, used = 0;

	if ((s = store_stmt(st, err, "SELECT count(*) FROM inbox WHERE "
	    "hcase = ? AND peer = ? AND version = ?", "isi", hcase, peer,
	    (int64_t)version)) == NULL)
		return -1;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		used = sqlite3_column_int64(s, 0) > 0;
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW)
		return store_fail(st, err, rc, "look up a version");
	return used;
}

/* A version received: the highest kept, a skipped one counted as a gap
 * and a late one filling it uncounted (protocol.md §2.2). */
static int
version_seen(struct store *st, int64_t hcase, const char *peer,
    uint32_t version, struct store_err *err)
{
	return store_exec(st, err, "INSERT INTO case_version (hcase, peer, "
	    "direction, last_version, gaps) VALUES (?, ?, 'in', ?, ?) "
	    "ON CONFLICT (hcase, peer, direction) DO UPDATE SET "
	    "gaps = gaps + CASE WHEN excluded.last_version > last_version "
	    "THEN excluded.last_version - last_version - 1 ELSE -1 END, "
	    "last_version = max(last_version, excluded.last_version)", "isii",
	    hcase, peer, (int64_t)version, (int64_t)(version - 1));
}

/* case_prefix + year + "-" + six digits, from our per-year sequence. */
static int
next_number(struct store *st, const char *prefix, time_t now, char *out,
    size_t outsz, struct store_err *err)
{
	struct tm tm;
	sqlite3_stmt *s;
	int64_t last = 0;
	int year, rc;

	gmtime_r(&now, &tm);
	year = tm.tm_year + 1900;
	if (store_exec(st, err, "INSERT INTO case_sequence (year, last) "
	    "VALUES (?, 1) ON CONFLICT (year) DO UPDATE SET last = last + 1",
	    "i", (int64_t)year) == -1)
		return -1;
	if ((s = store_stmt(st, err, "SELECT last FROM case_sequence WHERE "
	    "year = ?", "i", (int64_t)year)) == NULL)
		return -1;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		last = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW)
		return store_fail(st, err, rc, "number a case");
	if (last > 999999)
		return store_set_err(err, STORE_FAIL, "more than 999999 cases "
		    "received in %d: the case number has six digits", year);
	if (snprintf(out, outsz, "%s%d-%06lld", prefix, year,
	    (long long)last) >= (int)outsz)
		return store_set_err(err, STORE_FAIL, "case number too long");
	return 0;
}

/* The case system learns of a new or amended referral from the feed
 * too, not only from the hand-off file. */
static int
referral_event(struct store *st, const struct store_inbound *in,
    int64_t hcase, unsigned revision, const char *deadline,
    struct store_err *err)
{
	const struct msg_referral *r = &in->m->u.referral;
	char data[512];

	if (snprintf(data, sizeof(data), "{\"type\":\"Referral\","
	    "\"their_case_ref\":\"%s\",\"version\":%u,\"revision\":%u,"
	    "\"severity\":\"%s\",\"deadline_at\":\"%s\"%s}",
	    r->caseref.number, r->caseref.version, revision,
	    type_vocab_name(VOCAB_SEVERITY, (int)r->severity), deadline,
	    in->m->header.test ? ",\"test\":true" : "") >= (int)sizeof(data))
		return store_set_err(err, STORE_FAIL, "event too long");
	return store_event(st, revision == 1 ? EVENT_REFERRAL :
	    EVENT_AMENDMENT, hcase, in->peer, in->m->header.message_id, data,
	    in->now, err);
}

/* A Referral amendment older than the content we have, or a test one of
 * a real case: stored and answered like any, its content not applied (the
 * event says so). */
static int
late_referral(struct store *st, const struct store_inbound *in,
    const char *sha, const char *now_ts, const struct hcase_row *c,
    const char *why, struct ingest_answer *a, struct store_err *err)
{
	const struct msg_referral *r = &in->m->u.referral;
	char data[256], detail[80];

	snprintf(data, sizeof(data), "{\"type\":\"Referral\",\"version\":%u,"
	    "\"applied\":false%s}", r->caseref.version,
	    in->m->header.test ? ",\"test\":true" : "");
	snprintf(detail, sizeof(detail), "Referral (%s amendment, not "
	    "applied)", why);
	if (version_seen(st, c->id, in->peer, r->caseref.version, err) == -1 ||
	    store_exec(st, err, "INSERT INTO inbox (peer, message_id, hcase, "
	    "type, version, body, body_sha256, received_at, test) VALUES "
	    "(?, ?, ?, 'Referral', ?, ?, ?, ?, ?)", "ssiibssi", in->peer,
	    in->m->header.message_id, c->id, (int64_t)r->caseref.version,
	    (const void *)in->body, in->len, sha, now_ts,
	    (int64_t)in->m->header.test) == -1 ||
	    store_audit(st, AUDIT_RECEIVED, in->peer, c->our_number,
	    in->m->header.message_id, in->pin, detail, err) == -1 ||
	    store_event(st, EVENT_AMENDMENT, c->id, in->peer,
	    in->m->header.message_id, data, in->now, err) == -1)
		return -1;
	a->status = 202;
	a->code = NULL;
	snprintf(a->received_at, sizeof(a->received_at), "%s", now_ts);
	snprintf(a->partner_issuer, sizeof(a->partner_issuer), "%s",
	    in->self);
	snprintf(a->partner_number, sizeof(a->partner_number), "%s",
	    c->our_number);
	return 0;
}

/* Referral from a partner: a new case, or an amendment of one. */
static int
ingest_referral(struct store *st, const struct store_inbound *in,
    const char *sha, const char *now_ts, struct ingest_answer *a,
    struct store_handoff *ho, struct store_err *err)
{
	const struct msg_referral *r = &in->m->u.referral;
	struct handoff_meta meta;
	struct hcase_row c;
	sqlite3_stmt *s;
	char deadline[HLX_TIMESTAMP_MAX + 1], why[160];
	int64_t last = 0;
	int found, rc;

	if ((rc = replayed(st, in, sha, a, err)) != 0)
		return rc == -1 ? -1 : 0;
	if ((found = find_case(st, r->caseref.issuer, r->caseref.number, &c,
	    err)) == -1)
		return -1;
	if (found && strcmp(c.state, "closed") == 0) {
		ingest_error(a, 422, "CASE_CLOSED", 0, "case %s of %s is "
		    "closed", r->caseref.number, r->caseref.issuer);
		return 0;
	}
	if ((rc = duplicate(st, in, sha, a, err)) != 0)
		return rc == -1 ? -1 : 0;
	if (found) {
		if ((rc = version_used(st, c.id, in->peer, r->caseref.version,
		    err)) == -1)
			return -1;
		if (rc) {
			ingest_error(a, 409, "VERSION_REUSED", 0, "version %u "
			    "of case %s was already used", r->caseref.version,
			    r->caseref.number);
			return 0;
		}
		/* The content is the newest Referral's: a late, older
		 * amendment is kept and answered, never applied.  Of a real
		 * case, only real ones count (a test one was not applied). */
		if ((s = store_stmt(st, err, "SELECT coalesce(max(version), 0) "
		    "FROM inbox WHERE hcase = ? AND peer = ? AND type = "
		    "'Referral' AND test <= ?", "isi", c.id, in->peer,
		    (int64_t)c.test)) == NULL)
			return -1;
		if (sqlite3_step(s) == SQLITE_ROW)
			last = sqlite3_column_int64(s, 0);
		sqlite3_finalize(s);
		if ((int64_t)r->caseref.version < last)
			return late_referral(st, in, sha, now_ts, &c, "late",
			    a, err);
		/* protocol.md §2.1: a test message never acts on a real
		 * case -- its hand-off (severity, items) stays as it is. */
		if (in->m->header.test && !c.test)
			return late_referral(st, in, sha, now_ts, &c, "test",
			    a, err);
	}
	memset(ho, 0, sizeof(*ho));
	if (!found) {
		if (next_number(st, in->case_prefix, in->now, c.our_number,
		    sizeof(c.our_number), err) == -1)
			return -1;
		if (store_exec(st, err, "INSERT INTO hcase (issuer, number, "
		    "origin, our_number, partner, country, received_at, state, "
		    "state_at, test, created_at) VALUES (?, ?, 'received', ?, "
		    "?, ?, ?, 'received', ?, ?, ?)", "sssssssii",
		    r->caseref.issuer, r->caseref.number, c.our_number,
		    in->peer, r->hosting.country, r->received_at, now_ts,
		    (int64_t)in->m->header.test, (int64_t)in->now) == -1)
			return -1;
		c.id = sqlite3_last_insert_rowid(st->db);
		ho->revision = 1;
	} else {
		if ((s = store_stmt(st, err, "SELECT revision FROM handoff "
		    "WHERE hcase = ?", "i", c.id)) == NULL)
			return -1;
		ho->revision = sqlite3_step(s) == SQLITE_ROW ?
		    (unsigned)sqlite3_column_int(s, 0) + 1 : 1;
		sqlite3_finalize(s);
	}
	if (version_seen(st, c.id, in->peer, r->caseref.version, err) == -1)
		return -1;
	/* The deadline runs from when the file was first written. */
	if (type_timestamp_format(handoff_deadline(in->now, r->severity,
	    in->deadlines), deadline, sizeof(deadline)) == -1)
		return store_set_err(err, STORE_FAIL, "deadline");
	if (found && (s = store_stmt(st, err, "SELECT deadline_at FROM "
	    "handoff WHERE hcase = ?", "i", c.id)) != NULL) {
		if (sqlite3_step(s) == SQLITE_ROW)
			snprintf(deadline, sizeof(deadline), "%s",
			    sqlite3_column_text(s, 0));
		sqlite3_finalize(s);
	}
	memset(&meta, 0, sizeof(meta));
	meta.kind = "referral";
	meta.revision = ho->revision;
	meta.state = ho->revision == 1 ? "new" : "amended";
	meta.deadline_at = deadline;
	meta.test = in->m->header.test;
	meta.from = in->peer;
	meta.their_case_ref = r->caseref.number;
	meta.message_id = in->m->header.message_id;
	meta.received_at = now_ts;
	if ((ho->document = handoff_document(c.our_number, r, NULL, &meta,
	    &ho->len, why, sizeof(why))) == NULL)
		return store_set_err(err, STORE_FAIL, "hand-off of %s: %s",
		    c.our_number, why);
	ho->hcase = c.id;
	snprintf(ho->case_id, sizeof(ho->case_id), "%s", c.our_number);
	if (store_exec(st, err, "INSERT INTO handoff (hcase, kind, revision, "
	    "state, file_state, deadline_at, document, updated_at, "
	    "pending_since) VALUES (?, 'referral', ?, ?, 'pending', ?, ?, ?, "
	    "?) ON CONFLICT (hcase) DO UPDATE SET revision = "
	    "excluded.revision, state = excluded.state, file_state = "
	    "'pending', document = excluded.document, updated_at = "
	    "excluded.updated_at, pending_since = coalesce(pending_since, "
	    "excluded.pending_since)", "iisssii", c.id,
	    (int64_t)ho->revision, meta.state, deadline, ho->document,
	    (int64_t)in->now, (int64_t)in->now) == -1 ||
	    store_exec(st, err, "UPDATE hcase SET record = ? WHERE id = ?",
	    "si", ho->document, c.id) == -1 ||
	    store_exec(st, err, "INSERT INTO inbox (peer, message_id, hcase, "
	    "type, version, body, body_sha256, received_at, test) VALUES "
	    "(?, ?, ?, 'Referral', ?, ?, ?, ?, ?)", "ssiibssi", in->peer,
	    in->m->header.message_id, c.id, (int64_t)r->caseref.version,
	    (const void *)in->body, in->len, sha, now_ts,
	    (int64_t)in->m->header.test) == -1 ||
	    store_audit(st, AUDIT_RECEIVED, in->peer, c.our_number,
	    in->m->header.message_id, in->pin, ho->revision == 1 ? "Referral" :
	    "Referral (amendment)", err) == -1 ||
	    referral_event(st, in, c.id, ho->revision, deadline, err) == -1)
		return -1;
	a->status = 202;
	a->code = NULL;
	snprintf(a->received_at, sizeof(a->received_at), "%s", now_ts);
	snprintf(a->partner_issuer, sizeof(a->partner_issuer), "%s",
	    in->self);
	snprintf(a->partner_number, sizeof(a->partner_number), "%s",
	    c.our_number);
	return 0;
}

/* A case's stored record with the hosting a Reroute gave it. */
static char *
rehost(const char *record, const struct msg_hosting *h)
{
	json_t *root = json_loads(record, 0, NULL), *host, *ips;
	char *out = NULL;
	size_t i;

	if (root == NULL || (host = json_object()) == NULL)
		goto out;
	json_object_set_new(host, "country", json_string(h->country));
	if (h->nips > 0) {
		ips = json_array();
		for (i = 0; i < h->nips; i++)
			json_array_append_new(ips, json_string(h->ips[i]));
		json_object_set_new(host, "ips", ips);
	}
	if (h->asn != 0)
		json_object_set_new(host, "asn", json_integer(h->asn));
	if (h->provider != NULL)
		json_object_set_new(host, "provider", json_string(h->provider));
	if (h->cdn >= 0)
		json_object_set_new(host, "cdn", json_boolean(h->cdn));
	json_object_set_new(host, "traced_at", json_string(h->traced_at));
	json_object_set_new(root, "hosting", host);
	out = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
out:
	json_decref(root);
	return out;
}

/*
 * protocol.md §5: a Reroute of a case we referred.  The partner that
 * rerouted leaves the case; the case goes, as a new Referral (version 1,
 * a new MessageId), to the route of its new country -- queued here as
 * waiting, routed and built by the delivery thread -- or becomes a
 * domestic hand-off, or, rerouted more than LIFECYCLE_REROUTES_MAX times,
 * waits dead for an operator.
 */
static int
reroute_ours(struct store *st, const struct store_inbound *in, int64_t hcase,
    const char *case_id, struct store_err *err)
{
	const struct msg_hosting *h = &in->m->u.reroute.hosting;
	struct handoff_meta meta;
	struct record rec;
	struct record_err rerr;
	sqlite3_stmt *s;
	char *record = NULL, *json = NULL, *doc = NULL, deadline[32],
	    why[160], detail[200];
	int64_t reroutes = 0;
	size_t len;
	int rc = -1;

	memset(&rec, 0, sizeof(rec));
	if ((s = store_stmt(st, err, "SELECT record, reroutes FROM hcase "
	    "WHERE id = ?", "i", hcase)) == NULL)
		return -1;
	if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0) != NULL) {
		record = strdup((const char *)sqlite3_column_text(s, 0));
		reroutes = sqlite3_column_int64(s, 1) + 1;
	}
	sqlite3_finalize(s);
	if (record == NULL)
		return store_set_err(err, STORE_FAIL, "case %s has no record "
		    "to reroute", case_id);
	snprintf(detail, sizeof(detail), "rerouted by %s to %s (%lld)",
	    in->peer, h->country, (long long)reroutes);
	if ((json = rehost(record, h)) == NULL) {
		store_set_err(err, STORE_FAIL, "out of memory");
		goto out;
	}
	if (store_exec(st, err, "UPDATE hcase SET record = ?, country = ?, "
	    "partner = NULL, partner_number = NULL, reroutes = ? WHERE id = ?",
	    "ssii", json, h->country, reroutes, hcase) == -1 ||
	    store_audit(st, AUDIT_CASE_STATE, in->peer, case_id,
	    in->m->header.message_id, NULL, detail, err) == -1)
		goto out;
	if (reroutes > LIFECYCLE_REROUTES_MAX) {
		rc = store_exec(st, err, "INSERT INTO outbox (hcase, type, "
		    "version, state, created_at, last_code, last_detail) VALUES "
		    "(?, 'Referral', 1, 'dead', ?, 'REROUTED_TOO_OFTEN', ?)",
		    "iis", hcase, (int64_t)in->now, "rerouted more than 3 "
		    "times: an operator decides (hlx outbox retry)");
		if (rc == 0)
			rc = store_audit(st, AUDIT_DEAD, NULL, case_id, NULL,
			    NULL, "rerouted more than 3 times", err);
		if (rc == 0)
			rc = store_event(st, EVENT_DEAD, hcase, NULL, NULL,
			    "{\"type\":\"Referral\",\"code\":"
			    "\"REROUTED_TOO_OFTEN\"}", in->now, err);
		goto out;
	}
	if (in->conf != NULL && conf_receives_for(in->conf, h->country)) {
		/* Hosted here after all: our own case system takes it. */
		if (record_parse(json, strlen(json), &rec, &rerr) == -1) {
			store_set_err(err, STORE_FAIL, "case %s: %s", case_id,
			    rerr.text);
			goto out;
		}
		type_timestamp_format(handoff_deadline(in->now,
		    rec.msg->u.referral.severity, in->deadlines), deadline,
		    sizeof(deadline));
		memset(&meta, 0, sizeof(meta));
		meta.kind = "domestic";
		meta.revision = 1;
		meta.state = "new";
		meta.deadline_at = deadline;
		meta.test = rec.test;
		if ((doc = handoff_document(case_id, &rec.msg->u.referral,
		    rec.internal, &meta, &len, why, sizeof(why))) == NULL) {
			store_set_err(err, STORE_FAIL, "hand-off of %s: %s",
			    case_id, why);
			goto out;
		}
		rc = store_exec(st, err, "INSERT INTO handoff (hcase, kind, "
		    "revision, state, file_state, deadline_at, document, "
		    "updated_at, pending_since) VALUES (?, 'domestic', 1, "
		    "'new', 'pending', ?, ?, ?, ?) ON CONFLICT (hcase) DO "
		    "UPDATE SET revision = revision + 1, state = 'new', "
		    "file_state = 'pending', document = excluded.document, "
		    "pending_since = coalesce(pending_since, "
		    "excluded.pending_since)", "issii", hcase, deadline, doc,
		    (int64_t)in->now, (int64_t)in->now);
		goto out;
	}
	rc = store_exec(st, err, "INSERT INTO outbox (hcase, type, version, "
	    "state, created_at) VALUES (?, 'Referral', 1, 'unroutable', ?)",
	    "ii", hcase, (int64_t)in->now);
out:
	record_free(&rec);
	free(doc);
	free(json);
	free(record);
	return rc;
}

/* A JSON array of the ContentUrls; NULL for none (the whole case). */
static json_t *
urls_json(char **urls, size_t n)
{
	json_t *a;
	size_t i;

	if (n == 0 || (a = json_array()) == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		json_array_append_new(a, json_string(urls[i]));
	return a;
}

static int
event_json(struct store *st, const char *kind, int64_t hcase,
    const struct store_inbound *in, json_t *d, struct store_err *err)
{
	char *text;
	int rc;

	if (d == NULL)
		return store_set_err(err, STORE_FAIL, "out of memory");
	json_object_set_new(d, "type", json_string(type_vocab_name(VOCAB_BODY,
	    (int)in->m->type)));
	if (in->m->header.test)
		json_object_set_new(d, "test", json_true());
	text = json_dumps(d, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(d);
	if (text == NULL)
		return store_set_err(err, STORE_FAIL, "out of memory");
	rc = store_event(st, kind, hcase, in->peer, in->m->header.message_id,
	    text, in->now, err);
	free(text);
	return rc;
}

/* What a StatusUpdate does: its state recorded, applied if newer. */
static int
status_effects(struct store *st, const struct store_inbound *in,
    const struct store_case *c, json_t *d, struct store_err *err)
{
	const struct msg_status *u = &in->m->u.status;
	struct store_state ss;
	json_t *urls = urls_json(u->content_urls, u->ncontent_urls);
	char *urltext = NULL;
	int applied = 0, rc;

	memset(&ss, 0, sizeof(ss));
	ss.state = type_vocab_name(VOCAB_STATE, (int)u->state);
	ss.state_at = u->state_at;
	ss.peer_sent = 1;
	ss.peer = in->peer;
	ss.message_id = in->m->header.message_id;
	ss.version = u->caseref.version;
	ss.observed_by = u->observed_by >= 0 ? type_vocab_name(
	    VOCAB_OBSERVED_BY, u->observed_by) : NULL;
	ss.reason = u->reason;
	ss.test = in->m->header.test && !c->test;
	ss.now = in->now;
	if (urls != NULL && (urltext = json_dumps(urls, JSON_COMPACT)) == NULL)
		rc = store_set_err(err, STORE_FAIL, "out of memory");
	else {
		ss.content_urls = urltext;
		rc = store_case_state(st, c, &ss, &applied, err);
	}
	free(urltext);
	json_object_set_new(d, "state", json_string(ss.state));
	json_object_set_new(d, "state_at", json_string(ss.state_at));
	if (ss.observed_by != NULL)
		json_object_set_new(d, "observed_by",
		    json_string(ss.observed_by));
	if (ss.reason != NULL)
		json_object_set_new(d, "reason", json_string(ss.reason));
	if (urls != NULL)
		json_object_set_new(d, "content_urls", urls);
	json_object_set_new(d, "applied", json_boolean(applied));
	return rc;
}

static void
assessment_data(const struct msg_assessment *as, json_t *d)
{
	json_t *items = json_array(), *it, *nv;
	size_t i;

	json_object_set_new(d, "assessed_at", json_string(as->assessed_at));
	json_object_set_new(d, "severity", json_string(type_vocab_name(
	    VOCAB_SEVERITY, (int)as->severity)));
	for (i = 0; items != NULL && i < as->nitems; i++) {
		it = json_object();
		nv = json_object();
		json_object_set_new(nv, "jurisdiction",
		    json_string(as->items[i].national.jurisdiction));
		json_object_set_new(nv, "status", json_string(type_vocab_name(
		    VOCAB_NATIONAL_VERDICT, (int)as->items[i].national.verdict)));
		if (as->items[i].national.code != NULL)
			json_object_set_new(nv, "code",
			    json_string(as->items[i].national.code));
		json_object_set_new(it, "content_url",
		    json_string(as->items[i].content_url));
		json_object_set_new(it, "national_verdict", nv);
		if (as->items[i].agrees >= 0)
			json_object_set_new(it, "agrees_with_sender",
			    json_boolean(as->items[i].agrees));
		json_array_append_new(items, it);
	}
	json_object_set_new(d, "items", items);
}

/*
 * What a Withdraw does (protocol.md §2.3): the whole case -- closed here
 * too, its hand-off rewritten as withdrawn, our undelivered messages to
 * the issuer cancelled -- or some items: taken out of the hand-off, which
 * is rewritten as amended.  Some items that are every item still in the
 * case are the whole case: an open case with "items": [] would be one
 * nobody can act on (issue 13).
 */
static int
withdraw_effects(struct store *st, const struct store_inbound *in,
    const struct store_case *c, const char *now_ts, struct store_handoff *ho,
    json_t *d, struct store_err *err)
{
	const struct msg_withdraw *w = &in->m->u.withdraw;
	struct store_state ss;
	json_t *urls = urls_json(w->content_urls, w->ncontent_urls);
	size_t left;
	int64_t n;
	int applied;

	json_object_set_new(d, "reason", json_string(w->reason));
	if (urls != NULL) {
		json_object_set_new(d, "content_urls", urls);
		if (store_case_items_left(st, c,
		    (const char *const *)w->content_urls, w->ncontent_urls,
		    &left, err) == -1)
			return -1;
		if (left > 0)
			return store_handoff_revise(st, c, "amended",
			    (const char *const *)w->content_urls,
			    w->ncontent_urls, NULL, in->now, ho, err);
		json_object_set_new(d, "whole_case", json_true());
	}
	memset(&ss, 0, sizeof(ss));
	ss.state = "closed";
	ss.state_at = now_ts;
	ss.peer_sent = 1;
	ss.peer = in->peer;
	ss.message_id = in->m->header.message_id;
	ss.version = w->caseref.version;
	ss.reason = "withdrawn";
	ss.force = 1;
	ss.now = in->now;
	if (store_case_state(st, c, &ss, &applied, err) == -1 ||
	    store_case_cancel(st, c, in->peer, "the case was withdrawn", &n,
	    err) == -1)
		return -1;
	return store_handoff_revise(st, c, "withdrawn", NULL, 0, NULL,
	    in->now, ho, err);
}

/* The effects of an accepted follow-up, and its event. */
static int
followup_effects(struct store *st, const struct store_inbound *in,
    int64_t hcase, const char *now_ts, struct store_handoff *ho,
    struct store_err *err)
{
	const struct message *m = in->m;
	struct store_case c;
	json_t *d = json_object();
	const char *kind = NULL;
	int64_t n;
	int rc = -1;

	if (d == NULL)
		return store_set_err(err, STORE_FAIL, "out of memory");
	if (store_case_get(st, hcase, &c, err) == -1)
		goto out;
	/* protocol.md §2.1: a test message is processed end to end but
	 * never acted on -- unless the case itself is a test. */
	if (m->header.test && !c.test && m->type != BODY_STATUS_UPDATE) {
		kind = m->type == BODY_ASSESSMENT ? EVENT_ASSESSMENT :
		    m->type == BODY_WITHDRAW ? EVENT_WITHDRAW : EVENT_REROUTE;
		if (m->type == BODY_ASSESSMENT)
			assessment_data(&m->u.assessment, d);
		else
			json_object_set_new(d, "applied", json_false());
		rc = event_json(st, kind, hcase, in, d, err);
		return rc;
	}
	switch (m->type) {
	case BODY_STATUS_UPDATE:
		kind = EVENT_STATUS;
		rc = status_effects(st, in, &c, d, err);
		break;
	case BODY_ASSESSMENT:
		kind = EVENT_ASSESSMENT;
		assessment_data(&m->u.assessment, d);
		rc = 0;
		break;
	case BODY_WITHDRAW:
		kind = EVENT_WITHDRAW;
		rc = withdraw_effects(st, in, &c, now_ts, ho, d, err);
		break;
	case BODY_REROUTE:
		/* Only a case we referred can be rerouted (role check):
		 * the party that rerouted leaves it. */
		kind = EVENT_REROUTE;
		json_object_set_new(d, "country",
		    json_string(m->u.reroute.hosting.country));
		json_object_set_new(d, "reason",
		    json_string(m->u.reroute.reason));
		rc = store_case_cancel(st, &c, in->peer, "the partner rerouted "
		    "the case", &n, err);
		if (rc == 0)
			rc = store_exec(st, err, "UPDATE hcase SET state = NULL, "
			    "state_at = NULL WHERE id = ?", "i", hcase);
		if (rc == 0)
			rc = reroute_ours(st, in, hcase, c.case_id, err);
		break;
	default:
		rc = store_set_err(err, STORE_FAIL, "not a follow-up");
		break;
	}
	if (rc == 0) {
		rc = event_json(st, kind, hcase, in, d, err);
		d = NULL;
	}
out:
	json_decref(d);
	return rc;
}

/* Follow-up messages: the case must exist with the sender as a party. */
static int
ingest_followup(struct store *st, const struct store_inbound *in,
    const char *sha, const char *now_ts, struct ingest_answer *a,
    struct store_handoff *ho, struct store_err *err)
{
	const struct msg_caseref *ref = caseref_of(in->m);
	const char *type = type_vocab_name(VOCAB_BODY, (int)in->m->type);
	struct hcase_row c;
	int found, issuer, rc;

	if ((rc = replayed(st, in, sha, a, err)) != 0)
		return rc == -1 ? -1 : 0;
	if ((found = find_case(st, ref->issuer, ref->number, &c, err)) == -1)
		return -1;
	issuer = strcmp(ref->issuer, in->peer) == 0;
	/* 15: unknown and not-a-party get the same answer. */
	if (!found || !(issuer || strcmp(c.partner, in->peer) == 0)) {
		ingest_error(a, 422, "UNKNOWN_CASE", 0, "no case %s of %s "
		    "between %s and this hotline", ref->number, ref->issuer,
		    in->peer);
		return 0;
	}
	/* 16 */
	if (!lifecycle_role_allows(in->m->type, issuer)) {
		ingest_error(a, 403, "ROLE_NOT_ALLOWED", 0, "the %s of case %s "
		    "may not send a %s", issuer ? "issuer" : "recipient",
		    ref->number, type);
		return 0;
	}
	if (strcmp(c.state, "closed") == 0) {
		ingest_error(a, 422, "CASE_CLOSED", 0, "case %s of %s is "
		    "closed", ref->number, ref->issuer);
		return 0;
	}
	/* 17 */
	if ((rc = duplicate(st, in, sha, a, err)) != 0)
		return rc == -1 ? -1 : 0;
	/* 18: the same version again; a late one that filled a gap is
	 * new (protocol.md §2.2), and its state is applied by its time. */
	if ((rc = version_used(st, c.id, in->peer, ref->version, err)) == -1)
		return -1;
	if (rc) {
		ingest_error(a, 409, "VERSION_REUSED", 0, "version %u of case "
		    "%s was already used by %s", ref->version, ref->number,
		    in->peer);
		return 0;
	}
	if (version_seen(st, c.id, in->peer, ref->version, err) == -1 ||
	    store_exec(st, err, "INSERT INTO inbox (peer, message_id, hcase, "
	    "type, version, body, body_sha256, received_at, test) VALUES "
	    "(?, ?, ?, ?, ?, ?, ?, ?, ?)", "ssisibssi", in->peer,
	    in->m->header.message_id, c.id, type, (int64_t)ref->version,
	    (const void *)in->body, in->len, sha, now_ts,
	    (int64_t)in->m->header.test) == -1 ||
	    store_audit(st, AUDIT_RECEIVED, in->peer, c.our_number[0] != '\0' ?
	    c.our_number : ref->number, in->m->header.message_id, in->pin, type,
	    err) == -1)
		return -1;
	if (followup_effects(st, in, c.id, now_ts, ho, err) == -1)
		return -1;
	a->status = 202;
	a->code = NULL;
	snprintf(a->received_at, sizeof(a->received_at), "%s", now_ts);
	return 0;
}

/*
 * Check 19 for what made no new revision itself: a retry of a message that
 * made one (a Referral, a Withdraw) and a Reroute that turned one of our
 * cases into a domestic hand-off.  Its 202 waits for its case's hand-off
 * file as the first answer did, whichever revision that file is now at:
 * ho->hcase is set, ho->document stays NULL.
 */
static int
handoff_required(struct store *st, const struct store_inbound *in,
    struct store_handoff *ho, struct store_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if ((s = store_stmt(st, err, "SELECT h.hcase FROM inbox i JOIN "
	    "handoff h ON h.hcase = i.hcase WHERE i.peer = ? AND "
	    "i.message_id = ? AND i.type IN ('Referral', 'Withdraw', "
	    "'Reroute')", "ss", in->peer, in->m->header.message_id)) == NULL)
		return -1;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		ho->hcase = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_fail(st, err, rc, "look up a hand-off");
	return 0;
}

int
store_ingest(struct store *st, const struct store_inbound *in,
    struct ingest_answer *a, struct store_handoff *ho, struct store_err *err)
{
	char sha[65], now_ts[HLX_TIMESTAMP_MAX + 1];
	int rc;

	memset(ho, 0, sizeof(*ho));
	if (sha256_hex(in->body, in->len, sha) == -1)
		return store_set_err(err, STORE_FAIL, "SHA-256 failed");
	if (type_timestamp_format(in->now, now_ts, sizeof(now_ts)) == -1)
		return store_set_err(err, STORE_FAIL, "time");
	if (in->m->type == BODY_REFERRAL)
		rc = ingest_referral(st, in, sha, now_ts, a, ho, err);
	else if (caseref_of(in->m) == NULL)
		return store_set_err(err, STORE_FAIL, "not a message partners "
		    "send");
	else
		rc = ingest_followup(st, in, sha, now_ts, a, ho, err);
	/* Only these bodies ever revise a hand-off: the others' 202s
	 * need no look-up. */
	if (rc == 0 && a->status == 202 && ho->hcase == 0 &&
	    (in->m->type == BODY_REFERRAL || in->m->type == BODY_WITHDRAW ||
	    in->m->type == BODY_REROUTE))
		rc = handoff_required(st, in, ho, err);
	return rc;
}

int
store_handoff_written(struct store *st, const struct store_handoff *ho,
    struct store_err *err)
{
	char detail[64];

	snprintf(detail, sizeof(detail), "revision %u", ho->revision);
	if (store_exec(st, err, "UPDATE handoff SET file_state = 'written', "
	    "pending_since = NULL "
	    "WHERE hcase = ? AND revision = ?", "ii", ho->hcase,
	    (int64_t)ho->revision) == -1)
		return -1;
	return store_audit(st, AUDIT_HANDOFF_WRITTEN, NULL, ho->case_id, NULL,
	    NULL, detail, err);
}

int
store_handoff_pending(struct store *st, struct store_handoff **out,
    size_t *n, struct store_err *err)
{
	struct store_handoff *v = NULL, *nv;
	sqlite3_stmt *s;
	size_t cap = 0;
	int rc;

	*out = NULL;
	*n = 0;
	if ((s = store_stmt(st, err, "SELECT h.hcase, h.revision, "
	    "coalesce(c.our_number, c.number), h.document FROM handoff h "
	    "JOIN hcase c ON c.id = h.hcase WHERE h.file_state = 'pending' "
	    "ORDER BY h.hcase", NULL)) == NULL)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap == 0 ? 16 : cap * 2;
			if ((nv = realloc(v, cap * sizeof(*v))) == NULL) {
				rc = SQLITE_NOMEM;
				break;
			}
			v = nv;
		}
		memset(&v[*n], 0, sizeof(v[*n]));
		v[*n].hcase = sqlite3_column_int64(s, 0);
		v[*n].revision = (unsigned)sqlite3_column_int(s, 1);
		snprintf(v[*n].case_id, sizeof(v[*n].case_id), "%s",
		    sqlite3_column_text(s, 2));
		v[*n].len = (size_t)sqlite3_column_bytes(s, 3);
		if ((v[*n].document = malloc(v[*n].len + 1)) == NULL) {
			rc = SQLITE_NOMEM;
			break;
		}
		memcpy(v[*n].document, sqlite3_column_text(s, 3), v[*n].len);
		v[*n].document[v[*n].len] = '\0';
		(*n)++;
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		store_handoff_free(v, *n);
		*n = 0;
		return store_fail(st, err, rc, "list pending hand-offs");
	}
	*out = v;
	return 0;
}

void
store_handoff_free(struct store_handoff *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i].document);
	free(v);
}

int
store_inbox_list(struct store *st, const char *since,
    struct store_inbox_list *out, struct store_err *err)
{
	sqlite3_stmt *s;
	size_t cap = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((out->arena = arena_new(0)) == NULL)
		return store_set_err(err, STORE_FAIL, "out of memory");
	if ((s = store_stmt(st, err, "SELECT c.our_number, c.issuer, c.number, "
	    "c.partner, c.country, c.state_at, h.deadline_at, h.state, "
	    "h.file_state, h.revision, c.test, c.state FROM hcase c JOIN handoff h "
	    "ON "
	    "h.hcase = c.id WHERE c.origin = 'received' AND (?1 IS NULL OR "
	    "c.state_at >= ?1) ORDER BY c.id", "s", since)) == NULL)
		goto fail;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_inbox_row *r;

		if ((out->rows = store_grow(out->arena, out->rows, out->n, &cap,
		    sizeof(*out->rows))) == NULL) {
			rc = SQLITE_NOMEM;
			break;
		}
		r = &out->rows[out->n++];
		r->our_number = store_col_text(out->arena, s, 0);
		r->issuer = store_col_text(out->arena, s, 1);
		r->number = store_col_text(out->arena, s, 2);
		r->partner = store_col_text(out->arena, s, 3);
		r->country = store_col_text(out->arena, s, 4);
		r->received_at = store_col_text(out->arena, s, 5);
		r->deadline_at = store_col_text(out->arena, s, 6);
		r->handoff_state = store_col_text(out->arena, s, 7);
		r->file_state = store_col_text(out->arena, s, 8);
		r->revision = (unsigned)sqlite3_column_int(s, 9);
		r->test = sqlite3_column_int(s, 10);
		r->case_state = store_col_text(out->arena, s, 11);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		store_fail(st, err, rc, "list received cases");
		goto fail;
	}
	return 0;
fail:
	store_inbox_list_free(out);
	return -1;
}

void
store_inbox_list_free(struct store_inbox_list *l)
{
	arena_free(l->arena);
	memset(l, 0, sizeof(*l));
}

/*
 * The files are written while this connection holds the store's write lock
 * (BEGIN IMMEDIATE), hlx and hlxd alike: no other writer can commit a newer
 * revision between our read of the pending rows and our rename, so the
 * revision on disk only ever moves forward.  The cost is the lock held
 * for the fsyncs, once per batch rather than once per file.
 */
int
store_handoff_flush(struct store *st, const char *dir, const int64_t *only,
    size_t nonly, char *why, size_t whysz)
{
	struct store_handoff *v = NULL;
	struct store_err err;
	size_t n = 0, i, k;
	int rc = 0;

	if (store_begin(st, &err) == -1) {
		snprintf(why, whysz, "%s", err.msg);
		return -1;
	}
	if (store_handoff_pending(st, &v, &n, &err) == -1) {
		store_rollback(st);
		snprintf(why, whysz, "%s", err.msg);
		return -1;
	}
	for (i = 0; i < n; i++) {
		/* One case's failing file must not hold back the others. */
		for (k = 0; only != NULL && k < nonly; k++)
			if (only[k] == v[i].hcase)
				break;
		if (only != NULL && k == nonly)
			continue;
		if (handoff_write(dir, v[i].case_id, v[i].document, v[i].len,
		    why, whysz) == -1) {
			log_warnx("event=handoff_failed case=%s revision=%u "
			    "reason=\"%s\"", v[i].case_id, v[i].revision, why);
			rc = -1;
			continue;
		}
		if (store_handoff_written(st, &v[i], &err) == -1) {
			/* The files are on disk: the promise holds; the rows
			 * stay pending and are rewritten, harmlessly. */
			log_warnx("event=handoff_mark_failed case=%s "
			    "reason=\"%s\"", v[i].case_id, err.msg);
			snprintf(why, whysz, "%s", err.msg);
			store_handoff_free(v, n);
			store_rollback(st);
			return -1;
		}
		/* The file is durable: so it is logged, committed or not. */
		log_info("event=handoff_written case=%s revision=%u",
		    v[i].case_id, v[i].revision);
	}
	if (store_commit(st, &err) == -1) {
		log_warnx("event=handoff_mark_failed reason=\"%s\"", err.msg);
		snprintf(why, whysz, "%s", err.msg);
		store_handoff_free(v, n);
		return -1;
	}
	store_handoff_free(v, n);
	return rc;
}

int
store_handoff_is_pending(struct store *st, int64_t hcase, int *pending,
    struct store_err *err)
{
	sqlite3_stmt *s;
	int rc;

	*pending = 0;
	if ((s = store_stmt(st, err, "SELECT 1 FROM handoff WHERE hcase = ? "
	    "AND file_state = 'pending'", "i", hcase)) == NULL)
		return -1;
	rc = sqlite3_step(s);
	*pending = rc == SQLITE_ROW;
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_fail(st, err, rc, "look up a hand-off");
	return 0;
}

int
store_handoff_backlog(struct store *st, int64_t *n, time_t *oldest,
    char *case_id, size_t case_idsz, struct store_err *err)
{
	sqlite3_stmt *s;
	int rc;

	*n = 0;
	*oldest = 0;
	if (case_idsz > 0)
		case_id[0] = '\0';
	if ((s = store_stmt(st, err, "SELECT count(*), min(h.pending_since), "
	    "(SELECT coalesce(c.our_number, c.number) FROM handoff o JOIN "
	    "hcase c ON c.id = o.hcase WHERE o.file_state = 'pending' ORDER "
	    "BY o.pending_since LIMIT 1) FROM handoff h WHERE h.file_state = "
	    "'pending'", NULL)) == NULL)
		return -1;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*n = sqlite3_column_int64(s, 0);
		*oldest = (time_t)sqlite3_column_int64(s, 1);
		if (sqlite3_column_text(s, 2) != NULL && case_idsz > 0)
			snprintf(case_id, case_idsz, "%s",
			    sqlite3_column_text(s, 2));
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW)
		return store_fail(st, err, rc, "count pending hand-offs");
	return 0;
}
