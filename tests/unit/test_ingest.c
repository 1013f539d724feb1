/*
 * test_ingest -- checks 7-14 of protocol.md §3, in their order, and the
 * answers: one row per case, each with its status and code.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest.h"
#include "testlib.h"

#define NOW	1764403200	/* 2025-11-29T08:00:00Z */

static struct conf conf;

static const char referral[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<Message xmlns=\"urn:x-hlx:1\" version=\"%s\">\n"
    "  <Header>\n"
    "    <MessageId>3b0c2a4e-8f1d-4c6a-9b7e-2d5f1a0c9e11</MessageId>\n"
    "    <SentAt>%s</SentAt>\n"
    "    <Sender>%s</Sender>\n"
    "    <Recipient>%s</Recipient>\n"
    "  </Header>\n"
    "  <Referral>\n"
    "    <CaseRef issuer=\"%s\" version=\"1\">NL-2026-4411</CaseRef>\n"
    "    <ReportedUrl>https://files.example.com/share/abc</ReportedUrl>\n"
    "    <ReceivedAt>2026-11-28T08:00:00Z</ReceivedAt>\n"
    "    <AssessedAt>2026-11-28T11:45:00Z</AssessedAt>\n"
    "    <Source>public_report</Source>\n"
    "    <Hosting>\n"
    "      <Country>%s</Country>\n"
    "      <TracedAt>2026-11-28T11:40:00Z</TracedAt>\n"
    "    </Hosting>\n"
    "    <Severity>high</Severity>\n"
    "    <Items>\n"
    "      <Item>\n"
    "        <ContentUrl>https://files.example.com/share/abc/1.jpg</ContentUrl>\n"
    "        <MediaType>image</MediaType>\n"
    "        <IntlVerdict>baseline</IntlVerdict>\n"
    "      </Item>\n"
    "    </Items>\n"
    "    <Expectation>assess_and_takedown</Expectation>\n"
    "  </Referral>\n"
    "</Message>\n";

static const char receipt[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<Message xmlns=\"urn:x-hlx:1\" version=\"1.0\">\n"
    "  <Header>\n"
    "    <MessageId>3b0c2a4e-8f1d-4c6a-9b7e-2d5f1a0c9e11</MessageId>\n"
    "    <SentAt>2025-11-29T08:00:00Z</SentAt>\n"
    "    <Sender>hotline-nl.example</Sender>\n"
    "    <Recipient>hotline-be.example</Recipient>\n"
    "  </Header>\n"
    "  <Receipt>\n"
    "    <Status>accepted</Status>\n"
    "    <ReceivedAt>2025-11-29T08:00:00Z</ReceivedAt>\n"
    "  </Receipt>\n"
    "</Message>\n";

struct row {
	const char	*name;
	const char	*version, *sent_at, *sender, *recipient, *issuer;
	const char	*country;
	int		 status;
	const char	*code;
};

static const struct row rows[] = {
	{ "accepted", "1.0", "2025-11-29T08:00:00Z", "hotline-nl.example",
	    "hotline-be.example", "hotline-nl.example", "BE", 0, NULL },
	{ "minor version 1.7", "1.7", "2025-11-29T08:00:00Z",
	    "hotline-nl.example", "hotline-be.example", "hotline-nl.example",
	    "BE", 0, NULL },
	{ "version 2.0", "2.0", "2025-11-29T08:00:00Z", "hotline-nl.example",
	    "hotline-be.example", "hotline-nl.example", "BE", 400,
	    "UNSUPPORTED_VERSION" },
	{ "sender is not the peer", "1.0", "2025-11-29T08:00:00Z",
	    "hotline-de.example", "hotline-be.example", "hotline-de.example",
	    "BE", 403, "SENDER_MISMATCH" },
	{ "issuer is not the sender", "1.0", "2025-11-29T08:00:00Z",
	    "hotline-nl.example", "hotline-be.example", "hotline-de.example",
	    "BE", 403, "SENDER_MISMATCH" },
	{ "another recipient", "1.0", "2025-11-29T08:00:00Z",
	    "hotline-nl.example", "hotline-fr.example", "hotline-nl.example",
	    "BE", 403, "RECIPIENT_MISMATCH" },
	{ "30 days old: the edge", "1.0", "2025-10-30T08:00:00Z",
	    "hotline-nl.example", "hotline-be.example", "hotline-nl.example",
	    "BE", 0, NULL },
	{ "30 days and a second old", "1.0", "2025-10-30T07:59:59Z",
	    "hotline-nl.example", "hotline-be.example", "hotline-nl.example",
	    "BE", 400, "STALE_MESSAGE" },
	{ "10 minutes ahead: the edge", "1.0", "2025-11-29T08:10:00Z",
	    "hotline-nl.example", "hotline-be.example", "hotline-nl.example",
	    "BE", 0, NULL },
	{ "10 minutes and a second ahead", "1.0", "2025-11-29T08:10:01Z",
	    "hotline-nl.example", "hotline-be.example", "hotline-nl.example",
	    "BE", 400, "STALE_MESSAGE" },
	{ "hosted in DE", "1.0", "2025-11-29T08:00:00Z", "hotline-nl.example",
	    "hotline-be.example", "hotline-nl.example", "DE", 422,
	    "MISROUTED" },
	/* check 10 comes before 11, 12 and 14 */
	{ "sender and recipient both wrong", "1.0", "2020-01-01T00:00:00Z",
	    "hotline-de.example", "hotline-fr.example", "hotline-de.example",
	    "DE", 403, "SENDER_MISMATCH" },
};

static void
test_rows(void **state)
{
	struct ingest_answer a;
	struct message *m;
	char buf[4096];
	size_t i;
	int r;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		snprintf(buf, sizeof(buf), referral, rows[i].version,
		    rows[i].sent_at, rows[i].sender, rows[i].recipient,
		    rows[i].issuer, rows[i].country);
		r = ingest_check(test_schema, &conf, "hotline-nl.example", buf,
		    strlen(buf), NOW, &m, &a);
		if (rows[i].status == 0) {
			if (r != 0)
				fail_msg("%s: refused %d %s: %s", rows[i].name,
				    a.status, a.code, a.detail);
			assert_int_equal(m->type, BODY_REFERRAL);
			message_free(m);
			continue;
		}
		if (r != -1 || a.status != rows[i].status ||
		    strcmp(a.code, rows[i].code) != 0)
			fail_msg("%s: expected %d %s, got %d %s", rows[i].name,
			    rows[i].status, rows[i].code, r == 0 ? 0 : a.status,
			    r == 0 ? "accepted" : a.code);
		assert_null(m);
		/* The request's MessageId is readable: answers carry it. */
		assert_string_equal(a.in_reply_to,
		    "3b0c2a4e-8f1d-4c6a-9b7e-2d5f1a0c9e11");
	}
}

static void
test_answers(void **state)
{
	struct ingest_answer a;
	struct message *m = NULL, *back = NULL;
	struct msg_err err;
	char *xml;
	size_t len;

	(void)state;
	/* 13: a Receipt is never POSTed */
	assert_int_equal(ingest_check(test_schema, &conf, "hotline-nl.example",
	    receipt, strlen(receipt), NOW, &m, &a), -1);
	assert_int_equal(a.status, 422);
	assert_string_equal(a.code, "UNSUPPORTED_MESSAGE_TYPE");
	/* the Error answer is a valid HLX message, from us to the peer */
	xml = ingest_answer_xml(&conf, "hotline-nl.example", &a,
	    "00000000-0000-4000-8000-000000000002", "2025-11-29T08:00:01Z",
	    &len);
	assert_non_null(xml);
	assert_int_equal(message_parse(test_schema, xml, len, 1 << 20, &back,
	    &err), 0);
	assert_int_equal(back->type, BODY_ERROR);
	assert_string_equal(back->header.sender, "hotline-be.example");
	assert_string_equal(back->header.recipient, "hotline-nl.example");
	assert_string_equal(back->header.in_reply_to,
	    "3b0c2a4e-8f1d-4c6a-9b7e-2d5f1a0c9e11");
	assert_string_equal(back->u.error.code, "UNSUPPORTED_MESSAGE_TYPE");
	assert_int_equal(back->u.error.retryable, 0);
	message_free(back);
	free(xml);
	/* 7: garbage, and no MessageId to answer to */
	assert_int_equal(ingest_check(test_schema, &conf, "hotline-nl.example",
	    "<nope", 5, NOW, &m, &a), -1);
	assert_int_equal(a.status, 400);
	assert_string_equal(a.code, "MALFORMED");
	assert_string_equal(a.in_reply_to, "");
	/* a Receipt for a 202, with our PartnerCaseRef */
	memset(&a, 0, sizeof(a));
	a.status = 202;
	a.retry_after = -1;
	snprintf(a.received_at, sizeof(a.received_at), "2025-11-29T08:00:00Z");
	snprintf(a.partner_issuer, sizeof(a.partner_issuer),
	    "hotline-be.example");
	snprintf(a.partner_number, sizeof(a.partner_number), "IN-2025-000001");
	xml = ingest_answer_xml(&conf, "hotline-nl.example", &a,
	    "00000000-0000-4000-8000-000000000003", "2025-11-29T08:00:01Z",
	    &len);
	assert_non_null(xml);
	assert_int_equal(message_parse(test_schema, xml, len, 1 << 20, &back,
	    &err), 0);
	assert_int_equal(message_check_receipt(back, BODY_REFERRAL, &err), 0);
	assert_string_equal(back->u.receipt.partner.number, "IN-2025-000001");
	message_free(back);
	free(xml);
	/* Capabilities */
	xml = ingest_capabilities_xml(&conf, "hotline-nl.example",
	    "00000000-0000-4000-8000-000000000004", "2025-11-29T08:00:01Z",
	    &len);
	assert_non_null(xml);
	assert_int_equal(message_parse(test_schema, xml, len, 1 << 20, &back,
	    &err), 0);
	assert_int_equal(back->u.capabilities.max_message_bytes, 4194304);
	assert_int_equal(back->u.capabilities.body_types, 0x1f);
	message_free(back);
	free(xml);
}

static int
setup(void **state)
{
	static const char text[] = "[hotline]\nid = hotline-be.example\n"
	    "country = BE\n";
	struct conf_errors errs;

	memset(&errs, 0, sizeof(errs));
	if (conf_parse(&conf, "test.conf", "/tmp", text, strlen(text),
	    &errs) == -1)
		return -1;
	return test_schema_setup(state);
}

static int
teardown(void **state)
{
	conf_free(&conf);
	return test_schema_teardown(state);
}

/* Checks 3 and 4 (protocol.md §3): path, method, media type. */
static void
test_head(void **state)
{
	static const struct {
		const char	*method, *path, *ct;
		int		 enc, status;
		const char	*code;
	} t[] = {
		{ "POST", "/hlx/1/messages", "application/xml", 0, 0, NULL },
		{ "POST", "/hlx/1/messages", "Application/XML", 0, 0, NULL },
		{ "POST", "/hlx/1/messages", "application/xml; charset=utf-8",
		    0, 0, NULL },
		{ "POST", "/hlx/1/messages", "application/xml;charset=\"UTF-8\"",
		    0, 0, NULL },
		{ "GET", "/hlx/1/capabilities", NULL, 0, 0, NULL },
		{ "POST", "/hlx/1/capabilities", "application/xml", 0, 405,
		    "METHOD_NOT_ALLOWED" },
		{ "GET", "/hlx/1/messages", NULL, 0, 405, "METHOD_NOT_ALLOWED" },
		{ "POST", "/hlx/1/messages/", "application/xml", 0, 404,
		    "NOT_FOUND" },
		{ "POST", "/", "application/xml", 0, 404, "NOT_FOUND" },
		{ "POST", "/hlx/1/messages", NULL, 0, 415,
		    "UNSUPPORTED_MEDIA_TYPE" },
		{ "POST", "/hlx/1/messages", "text/xml", 0, 415,
		    "UNSUPPORTED_MEDIA_TYPE" },
		{ "POST", "/hlx/1/messages", "application/xml; charset=latin1",
		    0, 415, "UNSUPPORTED_MEDIA_TYPE" },
		{ "POST", "/hlx/1/messages", "application/xmlx", 0, 415,
		    "UNSUPPORTED_MEDIA_TYPE" },
		{ "POST", "/hlx/1/messages", "application/xml", 1, 415,
		    "UNSUPPORTED_MEDIA_TYPE" },
	};
	struct ingest_answer a;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int rc = ingest_check_head(t[i].method, t[i].path, t[i].ct,
		    t[i].enc, &a);

		if (t[i].status == 0) {
			if (rc != 0)
				fail_msg("%zu: %s %s refused: %s", i,
				    t[i].method, t[i].path, a.code);
			continue;
		}
		if (rc != -1 || a.status != t[i].status ||
		    strcmp(a.code, t[i].code) != 0 || a.retryable)
			fail_msg("%zu: %s %s: expected %d %s, got %d %s", i,
			    t[i].method, t[i].path, t[i].status, t[i].code,
			    a.status, rc == 0 ? "(accepted)" : a.code);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_answers),
		cmocka_unit_test(test_head),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
