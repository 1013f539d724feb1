/*
 * ingest.c -- checks 7-14 of protocol.md §3 and the answers.  See ingest.h.
 *
 * SECURITY: reads the body of an authenticated partner's request: untrusted
 * bytes that go to message_parse() with all its limits.  Details in the
 * answers come from fixed templates; they quote at most a hotline id, a
 * country or a body name (all checked values), never free text.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ingest.h"

void
ingest_error(struct ingest_answer *a, int status, const char *code,
    int retryable, const char *fmt, ...)
{
	va_list ap;

	a->status = status;
	a->code = code;
	a->retryable = retryable;
	a->retry_after = -1;
	va_start(ap, fmt);
	vsnprintf(a->detail, sizeof(a->detail), fmt, ap);
	va_end(ap);
}

/* The bodies a partner may POST (protocol.md §2.3). */
static int
postable(enum body_type t)
{
	return t == BODY_REFERRAL || t == BODY_ASSESSMENT ||
	    t == BODY_STATUS_UPDATE || t == BODY_WITHDRAW || t == BODY_REROUTE;
}

static int
media_type_ok(const char *ct)
{
	static const char base[] = "application/xml";
	const char *p;

	if (ct == NULL || strncasecmp(ct, base, sizeof(base) - 1) != 0)
		return 0;
	p = ct + sizeof(base) - 1;
	while (*p == ' ')
		p++;
	if (*p == '\0')
		return 1;
	if (*p++ != ';')
		return 0;
	while (*p == ' ')
		p++;
	return strcasecmp(p, "charset=utf-8") == 0 ||
	    strcasecmp(p, "charset=\"utf-8\"") == 0;
}

int
ingest_check_head(const char *method, const char *path,
    const char *content_type, int content_encoding, struct ingest_answer *a)
{
	memset(a, 0, sizeof(*a));
	a->retry_after = -1;
	if (strcmp(path, "/hlx/1/capabilities") == 0) {
		if (strcmp(method, "GET") == 0)
			return 0;
		ingest_error(a, 405, "METHOD_NOT_ALLOWED", 0, "%.16s on "
		    "/hlx/1/capabilities; use GET", method);
	} else if (strcmp(path, "/hlx/1/messages") != 0)
		ingest_error(a, 404, "NOT_FOUND", 0, "no such path; messages "
		    "go to POST /hlx/1/messages");
	else if (strcmp(method, "POST") != 0)
		ingest_error(a, 405, "METHOD_NOT_ALLOWED", 0, "%.16s on "
		    "/hlx/1/messages; use POST", method);
	else if (!media_type_ok(content_type) || content_encoding)
		ingest_error(a, 415, "UNSUPPORTED_MEDIA_TYPE", 0, "%s",
		    content_encoding ? "no Content-Encoding is accepted" :
		    "Content-Type must be application/xml");
	else
		return 0;
	return -1;
}

int
ingest_check(const struct msg_schema *schema, const struct conf *c,
    const char *peer, const char *body, size_t len, time_t now,
    struct message **out, struct ingest_answer *a)
{
	struct message *m = NULL;
	struct msg_err err;
	const char *country;
	time_t sent;
	size_t i;
	char list[HLX_RECEIVE_FOR_MAX * 3 + 1];

	*out = NULL;
	memset(a, 0, sizeof(*a));
	a->retry_after = -1;
	/* 7-9 (and 5 once more, against the configured limit) */
	if (message_parse(schema, body, len, c->max_message_bytes, &m,
	    &err) == -1) {
		snprintf(a->in_reply_to, sizeof(a->in_reply_to), "%s",
		    err.message_id);
		a->test = err.test;
		switch (err.code) {
		case MSG_TOO_LARGE:
			ingest_error(a, 413, "TOO_LARGE", 0, "%s", err.detail);
			break;
		case MSG_MALFORMED:
			ingest_error(a, 400, "MALFORMED", 0, "%s", err.detail);
			break;
		case MSG_UNSUPPORTED_VERSION:
			ingest_error(a, 400, "UNSUPPORTED_VERSION", 0, "%s",
			    err.detail);
			a->supported_versions = 1;
			break;
		case MSG_SCHEMA_INVALID:
			ingest_error(a, 400, "SCHEMA_INVALID", 0, "%s",
			    err.detail);
			break;
		default:
			ingest_error(a, 500, "INTERNAL", 1, "the message could "
			    "not be checked");
			break;
		}
		return -1;
	}
	snprintf(a->in_reply_to, sizeof(a->in_reply_to), "%s",
	    m->header.message_id);
	a->test = m->header.test;
	/* 10 */
	if (strcmp(m->header.sender, peer) != 0) {
		ingest_error(a, 403, "SENDER_MISMATCH", 0, "Header/Sender is "
		    "%s; the certificate is %s's", m->header.sender, peer);
		goto fail;
	}
	if (m->type == BODY_REFERRAL &&
	    strcmp(m->u.referral.caseref.issuer, m->header.sender) != 0) {
		ingest_error(a, 403, "SENDER_MISMATCH", 0, "Referral/CaseRef/"
		    "@issuer is %s; a Referral's issuer is its Sender, %s",
		    m->u.referral.caseref.issuer, m->header.sender);
		goto fail;
	}
	/* 11 */
	if (strcmp(m->header.recipient, c->hotline_id) != 0) {
		ingest_error(a, 403, "RECIPIENT_MISMATCH", 0, "Header/Recipient "
		    "is %s; this hotline is %s", m->header.recipient,
		    c->hotline_id);
		goto fail;
	}
	/* 12 */
	if (type_timestamp_parse(m->header.sent_at, &sent) == -1 ||
	    sent < now - HLX_SENT_AT_MAX_AGE ||
	    sent > now + HLX_SENT_AT_MAX_AHEAD) {
		ingest_error(a, 400, "STALE_MESSAGE", 0, "Header/SentAt %s is "
		    "more than 30 days old or more than 10 minutes ahead",
		    m->header.sent_at);
		goto fail;
	}
	/* 13 */
	if (!postable(m->type)) {
		ingest_error(a, 422, "UNSUPPORTED_MESSAGE_TYPE", 0, "%s is an "
		    "answer and is never POSTed",
		    type_vocab_name(VOCAB_BODY, (int)m->type));
		goto fail;
	}
	/* 14 */
	if (m->type == BODY_REFERRAL) {
		country = m->u.referral.hosting.country;
		if (!conf_receives_for(c, country)) {
			list[0] = '\0';
			for (i = 0; i < c->receive_for_count; i++)
				snprintf(list + strlen(list), sizeof(list) -
				    strlen(list), "%s%s", i == 0 ? "" : ", ",
				    c->receive_for[i]);
			ingest_error(a, 422, "MISROUTED", 0, "Hosting/Country "
			    "is %s; this hotline receives referrals for %s",
			    country, list);
			goto fail;
		}
	}
	*out = m;
	return 0;
fail:
	message_free(m);
	return -1;
}

static struct message *
answer_base(const struct conf *c, const char *peer, enum body_type t,
    const struct ingest_answer *a, const char *message_id,
    const char *sent_at)
{
	struct message *m = message_new(t);

	if (m == NULL)
		return NULL;
	m->header.message_id = (char *)(uintptr_t)message_id;
	m->header.sent_at = (char *)(uintptr_t)sent_at;
	m->header.sender = c->hotline_id;
	m->header.recipient = (char *)(uintptr_t)peer;
	m->header.in_reply_to = a != NULL && a->in_reply_to[0] != '\0' ?
	    (char *)(uintptr_t)a->in_reply_to : NULL;
	m->header.test = a != NULL ? a->test : 0;
	return m;
}

char *
ingest_answer_xml(const struct conf *c, const char *peer,
    const struct ingest_answer *a, const char *message_id,
    const char *sent_at, size_t *len)
{
	static char *const versions[] = { (char *)(uintptr_t)HLX_VERSION };
	enum body_type t = a->status == 202 ? BODY_RECEIPT : BODY_ERROR;
	struct message *m = answer_base(c, peer, t, a, message_id, sent_at);
	struct msg_err err;
	char *xml = NULL;

	if (m == NULL)
		return NULL;
	if (t == BODY_RECEIPT) {
		m->u.receipt.status = a->duplicate ? RECEIPT_DUPLICATE :
		    RECEIPT_ACCEPTED;
		m->u.receipt.received_at = (char *)(uintptr_t)a->received_at;
		if (a->partner_issuer[0] != '\0') {
			m->u.receipt.partner.issuer =
			    (char *)(uintptr_t)a->partner_issuer;
			m->u.receipt.partner.number =
			    (char *)(uintptr_t)a->partner_number;
		}
	} else {
		m->u.error.code = (char *)(uintptr_t)a->code;
		m->u.error.detail = (char *)(uintptr_t)a->detail;
		m->u.error.retryable = a->retryable;
		m->u.error.retry_after = a->retry_after;
		if (a->supported_versions) {
			m->u.error.supported_versions = (char **)(uintptr_t)
			    versions;
			m->u.error.nsupported_versions = 1;
		}
	}
	if (message_write(m, &xml, len, &err) == -1)
		xml = NULL;
	message_free(m);
	return xml;
}

char *
ingest_capabilities_xml(const struct conf *c, const char *peer,
    const char *message_id, const char *sent_at, size_t *len)
{
	static char *const versions[] = { (char *)(uintptr_t)HLX_VERSION };
	struct message *m = answer_base(c, peer, BODY_CAPABILITIES, NULL,
	    message_id, sent_at);
	struct msg_err err;
	char *xml = NULL;

	if (m == NULL)
		return NULL;
	m->u.capabilities.hotline_id = c->hotline_id;
	m->u.capabilities.country = (char *)(uintptr_t)c->country;
	m->u.capabilities.versions = (char **)(uintptr_t)versions;
	m->u.capabilities.nversions = 1;
	m->u.capabilities.body_types = (1u << BODY_REFERRAL) |
	    (1u << BODY_ASSESSMENT) | (1u << BODY_STATUS_UPDATE) |
	    (1u << BODY_WITHDRAW) | (1u << BODY_REROUTE);
	m->u.capabilities.max_message_bytes = c->max_message_bytes;
	m->u.capabilities.max_items = HLX_ITEMS_MAX;
	if (message_write(m, &xml, len, &err) == -1)
		xml = NULL;
	message_free(m);
	return xml;
}
