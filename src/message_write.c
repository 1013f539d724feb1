/*
 * message_write.c -- struct message -> canonical HLX/1 XML.
 *
 * libxml2's xmlTextWriter does the escaping and the indentation, so that no
 * value, whatever it holds, can change the structure of what we send.  The
 * canonical form (operations.md §3) is what makes `hlx translate` output
 * byte-stable and what partners see: elements in schema order, defaults
 * written out, Test only when true, booleans true/false, IPv6 per RFC 5952.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/xmlwriter.h>

#include "message.h"

/* libxml2's BAD_CAST drops const; ours keeps it (-Wcast-qual). */
#undef BAD_CAST
#define BAD_CAST (const xmlChar *)

struct writer {
	xmlTextWriterPtr w;
	int		 failed;
};

static void
w_start(struct writer *w, const char *name)
{
	if (!w->failed && xmlTextWriterStartElement(w->w, BAD_CAST name) < 0)
		w->failed = 1;
}

static void
w_end(struct writer *w)
{
	if (!w->failed && xmlTextWriterEndElement(w->w) < 0)
		w->failed = 1;
}

static void
w_attr(struct writer *w, const char *name, const char *value)
{
	if (!w->failed && xmlTextWriterWriteAttribute(w->w, BAD_CAST name,
	    BAD_CAST value) < 0)
		w->failed = 1;
}

static void
w_elem(struct writer *w, const char *name, const char *value)
{
	if (value == NULL) {
		w->failed = 1;
		return;
	}
	if (!w->failed && xmlTextWriterWriteElement(w->w, BAD_CAST name,
	    BAD_CAST value) < 0)
		w->failed = 1;
}

/* Optional element: written only when the value is present. */
static void
w_opt(struct writer *w, const char *name, const char *value)
{
	if (value != NULL)
		w_elem(w, name, value);
}

static void
w_vocab(struct writer *w, const char *name, enum type_vocab v, int value)
{
	w_elem(w, name, type_vocab_name(v, value));
}

static void
w_bool(struct writer *w, const char *name, int value)
{
	if (value >= 0)
		w_elem(w, name, value ? "true" : "false");
}

static void
w_uint(struct writer *w, const char *name, uint64_t value)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%" PRIu64, value);
	w_elem(w, name, buf);
}

static void
w_caseref(struct writer *w, const struct msg_caseref *r)
{
	char version[16];

	snprintf(version, sizeof(version), "%" PRIu32, r->version);
	w_start(w, "CaseRef");
	w_attr(w, "issuer", r->issuer);
	w_attr(w, "version", version);
	if (!w->failed && xmlTextWriterWriteString(w->w,
	    BAD_CAST r->number) < 0)
		w->failed = 1;
	w_end(w);
}

static void
w_partnerref(struct writer *w, const struct msg_partnerref *r)
{
	if (r->issuer == NULL)
		return;
	w_start(w, "PartnerCaseRef");
	w_attr(w, "issuer", r->issuer);
	if (!w->failed && xmlTextWriterWriteString(w->w,
	    BAD_CAST r->number) < 0)
		w->failed = 1;
	w_end(w);
}

static void
w_hosting(struct writer *w, const struct msg_hosting *h)
{
	char ip[64];
	size_t i;

	w_start(w, "Hosting");
	w_elem(w, "Country", h->country);
	for (i = 0; i < h->nips; i++) {
		/* A value that does not parse is written as it is: the
		 * schema check of the output refuses it. */
		if (type_ip_normalize(h->ips[i], ip, sizeof(ip)) == 0)
			w_elem(w, "Ip", ip);
		else
			w_elem(w, "Ip", h->ips[i]);
	}
	if (h->asn != 0)
		w_uint(w, "Asn", h->asn);
	w_opt(w, "Provider", h->provider);
	w_bool(w, "Cdn", h->cdn);
	w_elem(w, "TracedAt", h->traced_at);
	w_end(w);
}

static void
w_national(struct writer *w, const struct msg_national *n)
{
	w_start(w, "NationalVerdict");
	w_attr(w, "jurisdiction", n->jurisdiction);
	if (n->code != NULL)
		w_attr(w, "code", n->code);
	if (!w->failed && xmlTextWriterWriteString(w->w, BAD_CAST
	    type_vocab_name(VOCAB_NATIONAL_VERDICT, (int)n->verdict)) < 0)
		w->failed = 1;
	w_end(w);
}

static void
w_referral(struct writer *w, const struct msg_referral *r)
{
	size_t i;
	int a;

	w_start(w, "Referral");
	w_caseref(w, &r->caseref);
	w_vocab(w, "Restriction", VOCAB_RESTRICTION, (int)r->restriction);
	w_elem(w, "ReportedUrl", r->reported_url);
	w_elem(w, "ReceivedAt", r->received_at);
	w_elem(w, "AssessedAt", r->assessed_at);
	w_vocab(w, "Source", VOCAB_SOURCE, (int)r->source);
	if (r->site_type >= 0)
		w_vocab(w, "SiteType", VOCAB_SITE_TYPE, r->site_type);
	w_hosting(w, &r->hosting);
	w_vocab(w, "Severity", VOCAB_SEVERITY, (int)r->severity);
	w_start(w, "Items");
	for (i = 0; i < r->nitems; i++) {
		const struct msg_item *it = &r->items[i];

		w_start(w, "Item");
		w_elem(w, "ContentUrl", it->content_url);
		w_vocab(w, "MediaType", VOCAB_MEDIA_TYPE, (int)it->media_type);
		for (a = 0; a < HLX_HASH_ALGS; a++) {
			if (it->hashes[a] == NULL)
				continue;
			w_start(w, "Hash");
			w_attr(w, "alg", type_vocab_name(VOCAB_HASH_ALG, a));
			if (!w->failed && xmlTextWriterWriteString(w->w,
			    BAD_CAST it->hashes[a]) < 0)
				w->failed = 1;
			w_end(w);
		}
		w_vocab(w, "IntlVerdict", VOCAB_INTL_VERDICT,
		    (int)it->intl_verdict);
		if (it->national.present)
			w_national(w, &it->national);
		if (it->industry_class >= 0)
			w_vocab(w, "IndustryClass", VOCAB_INDUSTRY_CLASS,
			    it->industry_class);
		w_bool(w, "PreviouslyAssessed", it->previously_assessed);
		w_end(w);
	}
	w_end(w);
	if (r->lea_notified_at != NULL || r->host_notified_at != NULL) {
		w_start(w, "SenderActions");
		w_opt(w, "LeaNotifiedAt", r->lea_notified_at);
		w_opt(w, "HostNotifiedAt", r->host_notified_at);
		w_end(w);
	}
	w_vocab(w, "Expectation", VOCAB_EXPECTATION, (int)r->expectation);
	w_end(w);
}

static void
w_assessment(struct writer *w, const struct msg_assessment *a)
{
	size_t i;

	w_start(w, "Assessment");
	w_caseref(w, &a->caseref);
	w_partnerref(w, &a->partner);
	w_elem(w, "AssessedAt", a->assessed_at);
	w_vocab(w, "Severity", VOCAB_SEVERITY, (int)a->severity);
	for (i = 0; i < a->nitems; i++) {
		w_start(w, "Item");
		w_elem(w, "ContentUrl", a->items[i].content_url);
		w_national(w, &a->items[i].national);
		w_bool(w, "AgreesWithSender", a->items[i].agrees);
		w_end(w);
	}
	w_end(w);
}

static void
w_urls(struct writer *w, char **urls, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		w_elem(w, "ContentUrl", urls[i]);
}

static void
w_body(struct writer *w, const struct message *m)
{
	size_t i;
	int t;

	switch (m->type) {
	case BODY_REFERRAL:
		w_referral(w, &m->u.referral);
		break;
	case BODY_ASSESSMENT:
		w_assessment(w, &m->u.assessment);
		break;
	case BODY_STATUS_UPDATE:
		w_start(w, "StatusUpdate");
		w_caseref(w, &m->u.status.caseref);
		w_partnerref(w, &m->u.status.partner);
		w_vocab(w, "State", VOCAB_STATE, (int)m->u.status.state);
		w_elem(w, "StateAt", m->u.status.state_at);
		if (m->u.status.observed_by >= 0)
			w_vocab(w, "ObservedBy", VOCAB_OBSERVED_BY,
			    m->u.status.observed_by);
		w_opt(w, "Reason", m->u.status.reason);
		w_urls(w, m->u.status.content_urls, m->u.status.ncontent_urls);
		w_end(w);
		break;
	case BODY_WITHDRAW:
		w_start(w, "Withdraw");
		w_caseref(w, &m->u.withdraw.caseref);
		w_elem(w, "Reason", m->u.withdraw.reason);
		w_urls(w, m->u.withdraw.content_urls,
		    m->u.withdraw.ncontent_urls);
		w_end(w);
		break;
	case BODY_REROUTE:
		w_start(w, "Reroute");
		w_caseref(w, &m->u.reroute.caseref);
		w_partnerref(w, &m->u.reroute.partner);
		w_hosting(w, &m->u.reroute.hosting);
		w_elem(w, "Reason", m->u.reroute.reason);
		w_end(w);
		break;
	case BODY_RECEIPT:
		w_start(w, "Receipt");
		w_vocab(w, "Status", VOCAB_RECEIPT_STATUS,
		    (int)m->u.receipt.status);
		w_elem(w, "ReceivedAt", m->u.receipt.received_at);
		w_partnerref(w, &m->u.receipt.partner);
		w_end(w);
		break;
	case BODY_ERROR:
		w_start(w, "Error");
		w_elem(w, "Code", m->u.error.code);
		w_elem(w, "Detail", m->u.error.detail);
		w_bool(w, "Retryable", m->u.error.retryable);
		if (m->u.error.retry_after >= 0)
			w_uint(w, "RetryAfter",
			    (uint64_t)m->u.error.retry_after);
		for (i = 0; i < m->u.error.nsupported_versions; i++)
			w_elem(w, "SupportedVersion",
			    m->u.error.supported_versions[i]);
		w_end(w);
		break;
	case BODY_CAPABILITIES:
		w_start(w, "Capabilities");
		w_start(w, "Hotline");
		w_attr(w, "id", m->u.capabilities.hotline_id);
		w_attr(w, "country", m->u.capabilities.country);
		w_end(w);
		for (i = 0; i < m->u.capabilities.nversions; i++)
			w_elem(w, "Version", m->u.capabilities.versions[i]);
		for (t = 0; t < (int)type_vocab_count(VOCAB_BODY); t++)
			if (m->u.capabilities.body_types & (1u << t))
				w_vocab(w, "MessageType", VOCAB_BODY, t);
		w_uint(w, "MaxMessageBytes",
		    m->u.capabilities.max_message_bytes);
		w_uint(w, "MaxItems", m->u.capabilities.max_items);
		w_end(w);
		break;
	default:
		w->failed = 1;
	}
}

int
message_write(const struct message *m, char **out, size_t *outlen,
    struct msg_err *err)
{
	struct writer w = { NULL, 0 };
	xmlBufferPtr buf = NULL;
	int rc = -1;

	*out = NULL;
	*outlen = 0;
	if ((buf = xmlBufferCreate()) == NULL)
		goto out;
	if ((w.w = xmlNewTextWriterMemory(buf, 0)) == NULL)
		goto out;
	if (xmlTextWriterSetIndent(w.w, 1) < 0 ||
	    xmlTextWriterSetIndentString(w.w, BAD_CAST "  ") < 0 ||
	    xmlTextWriterStartDocument(w.w, NULL, "UTF-8", NULL) < 0 ||
	    xmlTextWriterStartElement(w.w, BAD_CAST "Message") < 0)
		goto out;
	/* As a plain attribute, so that it comes first, as partners and
	 * the examples of the spec write it. */
	w_attr(&w, "xmlns", HLX_NAMESPACE);
	w_attr(&w, "version", m->version != NULL ? m->version : HLX_VERSION);
	w_start(&w, "Header");
	w_elem(&w, "MessageId", m->header.message_id);
	w_elem(&w, "SentAt", m->header.sent_at);
	w_elem(&w, "Sender", m->header.sender);
	w_elem(&w, "Recipient", m->header.recipient);
	w_opt(&w, "InReplyTo", m->header.in_reply_to);
	if (m->header.test)
		w_elem(&w, "Test", "true");
	w_end(&w);
	w_body(&w, m);
	if (w.failed || xmlTextWriterEndDocument(w.w) < 0)
		goto out;
	xmlFreeTextWriter(w.w);		/* flushes into buf */
	w.w = NULL;
	*outlen = (size_t)xmlBufferLength(buf);
	if ((*out = malloc(*outlen + 1)) == NULL)
		goto out;
	memcpy(*out, xmlBufferContent(buf), *outlen);
	(*out)[*outlen] = '\0';
	rc = 0;
out:
	if (rc == -1 && err != NULL) {
		err->code = MSG_INTERNAL;
		err->line = 0;
		snprintf(err->detail, sizeof(err->detail),
		    "the message could not be written (a required value is "
		    "missing, or out of memory)");
	}
	if (w.w != NULL)
		xmlFreeTextWriter(w.w);
	if (buf != NULL)
		xmlBufferFree(buf);
	return rc;
}
