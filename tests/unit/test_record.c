/*
 * test_record -- the JSON case record: what it becomes, and how each kind of
 * mistake is named.  (The exhaustive list of mistakes is data:
 * tests/cases/record/invalid.)
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "record.h"

static const char minimal[] =
    "{\"case_id\":\"CF-1\",\"received_at\":\"2026-11-28T09:12:00Z\","
    "\"assessed_at\":\"2026-11-28T10:40:00Z\",\"source\":\"proactive\","
    "\"reported_url\":\"http://gallery.example.net/a\","
    "\"hosting\":{\"country\":\"NL\",\"traced_at\":\"2026-11-28T10:35:00Z\"},"
    "\"severity\":\"low\",\"items\":[{\"content_url\":"
    "\"http://gallery.example.net/a/1\",\"media_type\":\"image\","
    "\"intl_verdict\":\"not_assessed\"}]%s}";

static void
parse_with(const char *extra, struct record *rec, int ok, const char *err)
{
	char buf[4096];
	struct record_err e;
	int r;

	snprintf(buf, sizeof(buf), minimal, extra);
	r = record_parse(buf, strlen(buf), rec, &e);
	if (ok && r != 0)
		fail_msg("expected valid, got: %s", e.text);
	if (!ok) {
		if (r == 0)
			fail_msg("expected \"%s\", got valid", err);
		if (strcmp(e.text, err) != 0)
			fail_msg("expected \"%s\", got \"%s\"", err, e.text);
		assert_null(rec->msg);
	}
}

static void
test_defaults(void **state)
{
	struct record rec;
	const struct msg_referral *r;

	(void)state;
	parse_with("", &rec, 1, NULL);
	r = &rec.msg->u.referral;
	assert_string_equal(rec.case_id, "CF-1");
	assert_int_equal(r->restriction, RESTRICTION_RED);
	assert_int_equal(r->expectation, EXPECT_ASSESS_AND_TAKEDOWN);
	assert_int_equal(r->site_type, -1);
	assert_int_equal(r->hosting.cdn, -1);
	assert_int_equal(r->hosting.asn, 0);
	assert_int_equal(r->hosting.nips, 0);
	assert_null(r->hosting.provider);
	assert_int_equal(r->items[0].industry_class, -1);
	assert_int_equal(r->items[0].previously_assessed, -1);
	assert_int_equal(r->items[0].national.present, 0);
	assert_int_equal(r->caseref.version, 1);
	assert_null(r->caseref.issuer);
	assert_int_equal(rec.test, 0);
	assert_null(rec.internal);
	record_free(&rec);
}

static void
test_internal_and_sender_actions(void **state)
{
	struct record rec;

	(void)state;
	parse_with(",\"test\":true,\"internal\":{\"analyst\":\"a-1\","
	    "\"notes\":[1,{\"x\":null}]},\"sender_actions\":"
	    "{\"lea_notified_at\":null,\"host_notified_at\":"
	    "\"2026-11-28T11:00:00Z\"}", &rec, 1, NULL);
	assert_int_equal(rec.test, 1);
	assert_string_equal(rec.internal,
	    "{\"analyst\":\"a-1\",\"notes\":[1,{\"x\":null}]}");
	assert_null(rec.msg->u.referral.lea_notified_at);
	assert_string_equal(rec.msg->u.referral.host_notified_at,
	    "2026-11-28T11:00:00Z");
	assert_int_equal(record_translate(&rec, "hotline-be.example",
	    "hotline-nl.example", "00000000-0000-4000-8000-000000000001",
	    "2026-11-28T12:00:00Z", 3), 0);
	assert_string_equal(rec.msg->u.referral.caseref.issuer,
	    "hotline-be.example");
	assert_int_equal(rec.msg->u.referral.caseref.version, 3);
	assert_int_equal(rec.msg->header.test, 1);
	record_free(&rec);
}

static void
test_errors_name_the_path(void **state)
{
	static const struct {
		const char *extra, *err;
	} rows[] = {
		{ ",\"colour\":1", "colour: unknown member" },
		{ ",\"site_type\":null", "site_type: null is not allowed here" },
		{ ",\"site_type\":\"shop\"", "site_type: expected one of website, "
		    "image_host, file_host, forum, image_store, banner_site, "
		    "link_site, social_network, blog, search_provider, "
		    "redirector, web_archive, other, got \"shop\"" },
		{ ",\"test\":\"yes\"", "test: expected true or false, got a "
		    "string" },
		{ ",\"internal\":[]", "internal: expected an object, got an "
		    "array" },
		{ ",\"sender_actions\":{\"lea_notified_at\":\"yesterday\"}",
		    "sender_actions.lea_notified_at: not an RFC 3339 UTC "
		    "timestamp (YYYY-MM-DDTHH:MM:SS[.ffffff]Z)" },
		{ ",\"sender_actions\":{\"police\":null}",
		    "sender_actions.police: unknown member" },
		{ ",\"source\":\"x\"", "source: duplicate member" },
		{ ",\"internal\":{\"a\":[0,{\"b\":1,\"b\":2}]}",
		    "internal.a[1].b: duplicate member" },
		{ ",\"internal\":{\"a\":1} \"x\"",
		    "(record): line 1, column 370: invalid JSON: '}' expected "
		    "near '\"x\"'" },
	};
	struct record rec;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		parse_with(rows[i].extra, &rec, 0, rows[i].err);
}

static void
test_not_an_object_and_limits(void **state)
{
	struct record rec;
	struct record_err e;
	char *big;
	size_t n = HLX_RECORD_MAX_BYTES + 1;

	(void)state;
	assert_int_equal(record_parse("[1]", 3, &rec, &e), -1);
	assert_string_equal(e.text, "(record): expected an object, got an "
	    "array");
	assert_int_equal(record_parse("{\"a\":\"\xff\"}", 9, &rec, &e), -1);
	assert_string_equal(e.text, "(record): byte 6: not valid UTF-8 (or a "
	    "NUL byte)");
	big = malloc(n);
	assert_non_null(big);
	memset(big, ' ', n);
	assert_int_equal(record_parse(big, n, &rec, &e), -1);
	assert_string_equal(e.text, "(record): 4194305 bytes; the limit is "
	    "4194304 bytes (4 MiB)");
	free(big);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_internal_and_sender_actions),
		cmocka_unit_test(test_errors_name_the_path),
		cmocka_unit_test(test_not_an_object_and_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
