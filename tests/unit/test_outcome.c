/*
 * test_outcome -- the table of protocol.md §4, row by row, and the
 * back-off formula at its edges.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "outcome.h"
#include "testlib.h"

#define ID	"3b0c2a4e-8f1d-4c6a-9b7e-2d5f1a0c9e11"

static const char head[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<Message xmlns=\"urn:x-hlx:1\" version=\"1.0\"><Header>"
    "<MessageId>9d7e5c1a-0b2f-4e3d-8a6c-5f4e3d2c1b0a</MessageId>"
    "<SentAt>2026-11-28T12:00:01Z</SentAt>"
    "<Sender>%s</Sender>"
    "<Recipient>%s</Recipient>"
    "<InReplyTo>%s</InReplyTo></Header>%s</Message>\n";

static char last_detail[300];

/* The answer of sender to recipient. */
static const char *
classify_from(const char *sender, const char *recipient, int curl_ok,
    int cert, long status, const char *in_reply_to, const char *body,
    char *code, char *partner, long *ra)
{
	static char buf[4096];

	buf[0] = '\0';
	if (body != NULL)
		snprintf(buf, sizeof(buf), head, sender, recipient,
		    in_reply_to, body);
	return outcome_classify(test_schema, ID, "Referral",
	    "hotline-nl.example", "hotline-be.example", curl_ok, cert, status,
	    buf, strlen(buf), -1, code, 80, last_detail, sizeof(last_detail),
	    partner, ra);
}

static const char *
classify(int curl_ok, int cert, long status, const char *in_reply_to,
    const char *body, char *code, char *partner, long *ra)
{
	return classify_from("hotline-nl.example", "hotline-be.example",
	    curl_ok, cert, status, in_reply_to, body, code, partner, ra);
}

static void
test_table(void **state)
{
	static const char receipt[] = "<Receipt><Status>accepted</Status>"
	    "<ReceivedAt>2026-11-28T12:00:01Z</ReceivedAt>"
	    "<PartnerCaseRef issuer=\"hotline-nl.example\">IN-2026-000001"
	    "</PartnerCaseRef></Receipt>";
	static const char dup[] = "<Receipt><Status>duplicate</Status>"
	    "<ReceivedAt>2026-11-28T12:00:01Z</ReceivedAt>"
	    "<PartnerCaseRef issuer=\"hotline-nl.example\">IN-2026-000001"
	    "</PartnerCaseRef></Receipt>";
	static const char no_ref[] = "<Receipt><Status>accepted</Status>"
	    "<ReceivedAt>2026-11-28T12:00:01Z</ReceivedAt></Receipt>";
	static const char err_retry[] = "<Error><Code>BUSY</Code><Detail>d"
	    "</Detail><Retryable>true</Retryable><RetryAfter>7</RetryAfter>"
	    "</Error>";
	static const char err_final[] = "<Error><Code>SCHEMA_INVALID</Code>"
	    "<Detail>line 3</Detail><Retryable>false</Retryable></Error>";
	char code[80], partner[80];
	long ra;

	(void)state;
	assert_string_equal(classify(1, 0, 202, ID, receipt, code, partner,
	    &ra), "delivered");
	assert_string_equal(partner, "IN-2026-000001");
	assert_string_equal(code, "accepted");
	assert_string_equal(classify(1, 0, 202, ID, dup, code, partner, &ra),
	    "delivered");
	assert_string_equal(code, "duplicate");
	/* 202 with a missing, invalid or mismatched Receipt: retry */
	assert_string_equal(classify(1, 0, 202,
	    "00000000-0000-4000-8000-000000000009", receipt, code, partner,
	    &ra), "retry");
	assert_string_equal(code, "BAD_RECEIPT");
	assert_string_equal(classify(1, 0, 202, ID, no_ref, code, partner,
	    &ra), "retry");
	assert_string_equal(classify(1, 0, 202, ID, NULL, code, partner, &ra),
	    "retry");
	/* Retryable decides, whatever the status */
	assert_string_equal(classify(1, 0, 400, ID, err_retry, code, partner,
	    &ra), "retry");
	assert_int_equal(ra, 7);
	assert_string_equal(classify(1, 0, 503, ID, err_final, code, partner,
	    &ra), "dead");
	assert_string_equal(code, "SCHEMA_INVALID");
	/* statuses without a readable Error */
	assert_string_equal(classify(1, 0, 503, ID, NULL, code, partner, &ra),
	    "retry");
	assert_string_equal(classify(1, 0, 429, ID, NULL, code, partner, &ra),
	    "retry");
	assert_string_equal(classify(1, 0, 404, ID, NULL, code, partner, &ra),
	    "dead");
	assert_string_equal(code, "HTTP_404");
	/* no answer at all, or a refused server certificate */
	assert_string_equal(classify(0, 0, 0, ID, NULL, code, partner, &ra),
	    "retry");
	assert_string_equal(code, "CONNECTION");
	assert_string_equal(classify(0, 1, 0, ID, NULL, code, partner, &ra),
	    "retry");
	assert_string_equal(code, "SERVER_CERTIFICATE");
}

/* protocol.md §4: a Receipt from another sender, to another recipient,
 * or with another hotline's case number is mismatched: retried, a fault
 * of the peer, its number not kept (issue 13). */
static void
test_receipt_parties(void **state)
{
	static const char receipt[] = "<Receipt><Status>accepted</Status>"
	    "<ReceivedAt>2026-11-28T12:00:01Z</ReceivedAt>"
	    "<PartnerCaseRef issuer=\"hotline-nl.example\">IN-2026-000001"
	    "</PartnerCaseRef></Receipt>";
	static const char other_issuer[] = "<Receipt><Status>accepted</Status>"
	    "<ReceivedAt>2026-11-28T12:00:01Z</ReceivedAt>"
	    "<PartnerCaseRef issuer=\"hotline-de.example\">IN-2026-000001"
	    "</PartnerCaseRef></Receipt>";
	char code[80], partner[80];
	long ra;

	(void)state;
	assert_string_equal(classify_from("hotline-nl.example",
	    "hotline-be.example", 1, 0, 202, ID, receipt, code, partner, &ra),
	    "delivered");
	assert_string_equal(partner, "IN-2026-000001");

	assert_string_equal(classify_from("hotline-de.example",
	    "hotline-be.example", 1, 0, 202, ID, receipt, code, partner, &ra),
	    "retry");
	assert_string_equal(code, "BAD_RECEIPT");
	assert_string_equal(partner, "");
	assert_string_equal(last_detail, "202 with a Receipt whose "
	    "Header/Sender is hotline-de.example, not hotline-nl.example");

	assert_string_equal(classify_from("hotline-nl.example",
	    "hotline-fr.example", 1, 0, 202, ID, receipt, code, partner, &ra),
	    "retry");
	assert_string_equal(code, "BAD_RECEIPT");
	assert_string_equal(partner, "");
	assert_string_equal(last_detail, "202 with a Receipt whose "
	    "Header/Recipient is hotline-fr.example, not hotline-be.example");

	assert_string_equal(classify(1, 0, 202, ID, other_issuer, code,
	    partner, &ra), "retry");
	assert_string_equal(code, "BAD_RECEIPT");
	assert_string_equal(partner, "");
	assert_string_equal(last_detail, "202 with a Receipt whose "
	    "PartnerCaseRef/@issuer is hotline-de.example, not "
	    "hotline-nl.example");
}

static void
test_backoff(void **state)
{
	unsigned r;

	(void)state;
	/* attempt 1: exactly min */
	for (r = 0; r < 100; r++)
		assert_int_equal(outcome_backoff(1, 30, 3600, -1, r), 30);
	/* attempt 3: within [30, 120] and both ends reachable */
	assert_int_equal(outcome_backoff(3, 30, 3600, -1, 0), 30);
	assert_int_equal(outcome_backoff(3, 30, 3600, -1, 90), 120);
	assert_int_equal(outcome_backoff(3, 30, 3600, -1, 91), 30);
	/* capped at max however many attempts */
	for (r = 0; r < 1000; r += 37)
		assert_true(outcome_backoff(40, 30, 3600, -1, r) <= 3600);
	/* Retry-After raises the wait, up to max */
	assert_int_equal(outcome_backoff(1, 30, 3600, 600, 0), 600);
	assert_int_equal(outcome_backoff(1, 30, 3600, 99999, 0), 3600);
	assert_int_equal(outcome_backoff(1, 30, 3600, 5, 0), 30);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_receipt_parties),
		cmocka_unit_test(test_backoff),
	};

	return cmocka_run_group_tests(tests, test_schema_setup,
	    test_schema_teardown);
}
