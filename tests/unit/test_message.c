/*
 * test_message -- the XML side: parse, check, write.
 *
 * The spec's own examples must come back byte for byte from parse + write
 * (they are in the canonical form), every valid case must reach a fixpoint
 * (write(parse(write(parse(x)))) == write(parse(x))), and the errors say
 * what and where.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "message.h"
#include "testlib.h"

#define CASES	"tests/cases/message"
#define MAXB	((size_t)HLX_DEFAULT_MAX_MESSAGE_BYTES)

#define schema test_schema

static struct message *
parse_ok(const char *buf, size_t len, const char *what)
{
	struct message *m = NULL;
	struct msg_err err;

	if (message_parse(schema, buf, len, MAXB, &m, &err) == -1)
		fail_msg("%s: %s: %s", what, message_code_name(err.code),
		    err.detail);
	return m;
}

static void
parse_fails(const char *buf, enum msg_code code, const char *detail)
{
	struct message *m = NULL;
	struct msg_err err;

	assert_int_equal(message_parse(schema, buf, strlen(buf), MAXB, &m,
	    &err), -1);
	assert_null(m);
	if (err.code != code || (detail != NULL &&
	    strstr(err.detail, detail) == NULL))
		fail_msg("expected %s \"%s\", got %s \"%s\"",
		    message_code_name(code), detail ? detail : "",
		    message_code_name(err.code), err.detail);
}

static void
test_examples_byte_for_byte(void **state)
{
	static const char *const names[] = { "assessment", "capabilities",
		"error", "receipt", "referral-nl-to-be", "reroute",
		"status-update", "withdraw" };
	char path[256], *in, *out;
	size_t i, len, olen;
	struct message *m;
	struct msg_err err;

	(void)state;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), CASES "/valid/%s/input.xml",
		    names[i]);
		in = test_slurp(path, &len);
		assert_non_null(in);
		m = parse_ok(in, len, names[i]);
		assert_int_equal(message_write(m, &out, &olen, &err), 0);
		/* The examples end without a final newline or with one; the
		 * canonical form always has one. */
		if (len > 0 && in[len - 1] != '\n')
			assert_int_equal(olen, len + 1);
		else
			assert_int_equal(olen, len);
		if (memcmp(in, out, len) != 0)
			fail_msg("%s: written form differs from the example:\n%s",
			    names[i], out);
		free(out);
		message_free(m);
		free(in);
	}
}

static void
test_every_valid_case_reaches_fixpoint(void **state)
{
	DIR *d = opendir(CASES "/valid");
	struct dirent *e;
	char path[512], *in, *w1, *w2;
	size_t len, l1, l2, n = 0;
	struct message *m1, *m2;
	struct msg_err err;

	(void)state;
	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), CASES "/valid/%s/input.xml",
		    e->d_name);
		in = test_slurp(path, &len);
		assert_non_null(in);
		m1 = parse_ok(in, len, e->d_name);
		assert_int_equal(message_write(m1, &w1, &l1, &err), 0);
		m2 = parse_ok(w1, l1, e->d_name);
		assert_int_equal(message_write(m2, &w2, &l2, &err), 0);
		if (l1 != l2 || memcmp(w1, w2, l1) != 0)
			fail_msg("%s: no fixpoint", e->d_name);
		free(w1);
		free(w2);
		message_free(m1);
		message_free(m2);
		free(in);
		n++;
	}
	closedir(d);
	assert_true(n >= 40);
}

static void
test_referral_fields(void **state)
{
	char *in;
	size_t len;
	struct message *m;
	const struct msg_referral *r;

	(void)state;
	in = test_slurp(CASES "/valid/referral-nl-to-be/input.xml", &len);
	assert_non_null(in);
	m = parse_ok(in, len, "referral");
	assert_int_equal(m->type, BODY_REFERRAL);
	r = &m->u.referral;
	assert_string_equal(m->header.message_id,
	    "3b0c2a4e-8f1d-4c6a-9b7e-2d5f1a0c9e11");
	assert_string_equal(m->header.sender, "hotline-nl.example");
	assert_null(m->header.in_reply_to);
	assert_int_equal(m->header.test, 0);
	assert_string_equal(r->caseref.issuer, "hotline-nl.example");
	assert_string_equal(r->caseref.number, "NL-2026-4411");
	assert_int_equal(r->caseref.version, 1);
	assert_int_equal(r->site_type, SITE_FILE_HOST);
	assert_string_equal(r->hosting.country, "BE");
	assert_int_equal(r->hosting.nips, 1);
	assert_int_equal(r->hosting.asn, 64501);
	assert_int_equal(r->hosting.cdn, -1);
	assert_int_equal(r->nitems, 1);
	assert_non_null(r->items[0].hashes[HASH_SHA256]);
	assert_null(r->items[0].hashes[HASH_MD5]);
	assert_string_equal(r->items[0].national.code, "art-240b");
	assert_int_equal(r->items[0].industry_class, -1);
	assert_null(r->lea_notified_at);
	message_free(m);
	free(in);
}

static const char head[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<Message xmlns=\"urn:x-hlx:1\" version=\"1.0\">\n"
    "  <Header>\n"
    "    <MessageId>3b0c2a4e-8f1d-4c6a-9b7e-2d5f1a0c9e11</MessageId>\n"
    "    <SentAt>2026-11-28T12:00:00Z</SentAt>\n"
    "    <Sender>hotline-nl.example</Sender>\n"
    "    <Recipient>hotline-be.example</Recipient>\n"
    "  </Header>\n";

static char *
with_body(const char *body)
{
	size_t n = strlen(head) + strlen(body) + 16;
	char *s = malloc(n);

	assert_non_null(s);
	snprintf(s, n, "%s%s</Message>\n", head, body);
	return s;
}

static void
test_errors_say_what_and_where(void **state)
{
	char *s;

	(void)state;
	/* line 14: the Hash element of the item */
	s = with_body("  <Referral>\n"
	    "    <CaseRef issuer=\"hotline-nl.example\" version=\"1\">N-1</CaseRef>\n"
	    "    <ReportedUrl>https://files.example.com/a</ReportedUrl>\n"
	    "    <ReceivedAt>2026-11-28T08:00:00Z</ReceivedAt>\n"
	    "    <AssessedAt>2026-11-28T08:00:00Z</AssessedAt>\n"
	    "    <Source>public_report</Source>\n"
	    "    <Hosting><Country>BE</Country><TracedAt>2026-11-28T08:00:00Z</TracedAt></Hosting>\n"
	    "    <Severity>high</Severity>\n"
	    "    <Items><Item><ContentUrl>https://files.example.com/a/1</ContentUrl><MediaType>image</MediaType>\n"
	    "<Hash alg=\"md5\">0123456789abcdef0123456789abcdef01234567</Hash>"
	    "<IntlVerdict>baseline</IntlVerdict></Item></Items>\n"
	    "    <Expectation>inform_only</Expectation>\n"
	    "  </Referral>\n");
	parse_fails(s, MSG_SCHEMA_INVALID, "line 18: element Hash: a md5 hash "
	    "is 32 lowercase hex digits, got 40 characters");
	free(s);

	s = with_body("  <Receipt>\n    <Status>maybe</Status>\n"
	    "    <ReceivedAt>2026-11-28T12:00:01Z</ReceivedAt>\n  </Receipt>\n");
	parse_fails(s, MSG_SCHEMA_INVALID, "line 10: element Status: value is "
	    "not one of the allowed values");
	free(s);

	s = with_body("  <Receipt>\n"
	    "    <ReceivedAt>2026-11-28T12:00:01Z</ReceivedAt>\n  </Receipt>\n");
	parse_fails(s, MSG_SCHEMA_INVALID, "element ReceivedAt: element not "
	    "expected here");
	free(s);

	parse_fails("<Message xmlns=\"urn:x-hlx:1\" version=\"1.0\"><Header>",
	    MSG_MALFORMED, "line 1, column");
	parse_fails("<?xml version=\"1.0\"?>\n<!DOCTYPE Message [\n"
	    "<!ENTITY a \"b\">]>\n<Message/>", MSG_MALFORMED,
	    "line 2: a DOCTYPE is not allowed");
	parse_fails("<Message xmlns=\"urn:x-hlx:2\" version=\"1.0\"/>",
	    MSG_UNSUPPORTED_VERSION, "not in namespace urn:x-hlx:1");
	parse_fails("<Message xmlns=\"urn:x-hlx:1\" version=\"2.0\"/>",
	    MSG_UNSUPPORTED_VERSION, "version 2.0 is not supported");
	parse_fails("", MSG_MALFORMED, NULL);
}

static void
test_size_edge(void **state)
{
	struct message *m = NULL;
	struct msg_err err;
	char *in;
	size_t len;

	(void)state;
	in = test_slurp(CASES "/valid/receipt/input.xml", &len);
	assert_non_null(in);
	/* exactly at the limit: parsed; one byte under the length: refused
	 * before a byte is parsed */
	assert_int_equal(message_parse(schema, in, len, len, &m, &err), 0);
	message_free(m);
	assert_int_equal(message_parse(schema, in, len, len - 1, &m, &err), -1);
	assert_int_equal(err.code, MSG_TOO_LARGE);
	assert_null(m);
	free(in);
}

static void
test_receipt_for_referral(void **state)
{
	char *in;
	size_t len;
	struct message *m;
	struct msg_err err;

	(void)state;
	in = test_slurp(CASES "/valid/receipt-duplicate-minimal/input.xml", &len);
	assert_non_null(in);
	m = parse_ok(in, len, "receipt");
	assert_null(m->u.receipt.partner.issuer);
	assert_int_equal(message_check_receipt(m, BODY_REFERRAL, &err), -1);
	assert_int_equal(err.code, MSG_SCHEMA_INVALID);
	assert_int_equal(message_check_receipt(m, BODY_STATUS_UPDATE, &err), 0);
	message_free(m);
	free(in);
	in = test_slurp(CASES "/valid/receipt/input.xml", &len);
	assert_non_null(in);
	m = parse_ok(in, len, "receipt");
	assert_int_equal(message_check_receipt(m, BODY_REFERRAL, &err), 0);
	message_free(m);
	free(in);
}

static void
test_write_escapes(void **state)
{
	struct message *m = message_new(BODY_ERROR), *back;
	struct msg_err err;
	char *out;
	size_t len;

	(void)state;
	assert_non_null(m);
	m->header.message_id = "3b0c2a4e-8f1d-4c6a-9b7e-2d5f1a0c9e11";
	m->header.sent_at = "2026-11-28T12:00:00Z";
	m->header.sender = "hotline-be.example";
	m->header.recipient = "hotline-nl.example";
	m->header.test = 1;
	m->u.error.code = "MALFORMED";
	m->u.error.detail = "a <b> & \"c\" </Detail><Injected/>";
	m->u.error.retryable = 0;
	assert_int_equal(message_write(m, &out, &len, &err), 0);
	assert_non_null(strstr(out, "a &lt;b&gt; &amp; &quot;c&quot; &lt;/Detail&gt;&lt;Injected/&gt;</Detail>"));
	assert_non_null(strstr(out, "<Test>true</Test>"));
	back = parse_ok(out, len, "escaped");
	assert_string_equal(back->u.error.detail, m->u.error.detail);
	assert_int_equal(back->u.error.retry_after, -1);
	message_free(back);
	free(out);
	message_free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_examples_byte_for_byte),
		cmocka_unit_test(test_every_valid_case_reaches_fixpoint),
		cmocka_unit_test(test_referral_fields),
		cmocka_unit_test(test_errors_say_what_and_where),
		cmocka_unit_test(test_size_edge),
		cmocka_unit_test(test_receipt_for_referral),
		cmocka_unit_test(test_write_escapes),
	};

	return cmocka_run_group_tests(tests, test_schema_setup,
	    test_schema_teardown);
}
