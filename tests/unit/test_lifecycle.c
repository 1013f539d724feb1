/*
 * test_lifecycle -- the rules of a case after its Referral (who may send
 * what, which state may follow which, how states are ordered) and the
 * follow-up messages, each written and then checked by the real parser and
 * schema, as the gateway checks every message it sends.
 *
 * The state table is written out below as the expected matrix, so that this
 * file documents it; a change to include/lifecycle.h's table must change it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lifecycle.h"
#include "testlib.h"

#define MAXB	((size_t)HLX_DEFAULT_MAX_MESSAGE_BYTES)
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* 2026-11-28T10:00:00Z */
#define T0	INT64_C(1795860000000000)

static const struct lifecycle_head head = {
	.message_id = "5a1c9e3b-7d2f-4e8a-b6c0-1f2e3d4c5b6a",
	.sent_at = "2026-11-28T17:00:00Z",	/* after every time below */
	.sender = "hotline-be.test",
	.recipient = "hotline-nl.test",
	.test = 0,
	.issuer = "hotline-nl.test",
	.number = "NL-2026-4411",
	.version = 3,
	.partner_issuer = "hotline-be.test",
	.partner_number = "IN-2026-000001",
};

/* -- helpers ----------------------------------------------------------- */

/* Writes m, parses the bytes with the schema, frees m; returns the parsed
 * message and (if xml is not NULL) the written text. */
static struct message *
roundtrip(struct message *m, char **xml)
{
	struct message *p = NULL;
	struct msg_err err;
	char *out = NULL;
	size_t len;

	assert_non_null(m);
	if (message_write(m, &out, &len, &err) == -1)
		fail_msg("message_write: %s: %s", message_code_name(err.code),
		    err.detail);
	if (message_parse(test_schema, out, len, MAXB, &p, &err) == -1)
		fail_msg("message_parse: %s: %s\n%s",
		    message_code_name(err.code), err.detail, out);
	assert_int_equal(p->type, m->type);
	message_free(m);
	if (xml != NULL)
		*xml = out;
	else
		free(out);
	return p;
}

static void
refused(struct message *m, const char *why, const char *expect)
{
	if (m != NULL) {
		message_free(m);
		fail_msg("expected refusal \"%s\", got a message", expect);
	}
	if (strcmp(why, expect) != 0)
		fail_msg("expected \"%s\", got \"%s\"", expect, why);
}

/* For the texts that come from a library (jansson, the types module). */
static void
refused_prefix(struct message *m, const char *why, const char *prefix)
{
	if (m != NULL) {
		message_free(m);
		fail_msg("expected refusal \"%s...\", got a message", prefix);
	}
	if (strncmp(why, prefix, strlen(prefix)) != 0)
		fail_msg("expected \"%s...\", got \"%s\"", prefix, why);
}

static size_t
count(const char *hay, const char *needle)
{
	size_t n = 0;

	while ((hay = strstr(hay, needle)) != NULL) {
		n++;
		hay += strlen(needle);
	}
	return n;
}

static void
check_head(const struct message *p, const struct msg_caseref *ref)
{
	assert_string_equal(p->header.message_id, head.message_id);
	assert_string_equal(p->header.sent_at, head.sent_at);
	assert_string_equal(p->header.sender, head.sender);
	assert_string_equal(p->header.recipient, head.recipient);
	assert_string_equal(ref->issuer, "hotline-nl.test");
	assert_string_equal(ref->number, "NL-2026-4411");
	assert_int_equal(ref->version, 3);
}

/* n copies of the UTF-8 sequence unit, NUL-terminated; caller frees. */
static char *
repeat(const char *unit, size_t n)
{
	size_t ul = strlen(unit), i;
	char *s = malloc(ul * n + 1);

	assert_non_null(s);
	for (i = 0; i < n; i++)
		memcpy(s + i * ul, unit, ul);
	s[ul * n] = '\0';
	return s;
}

/* n distinct content URLs. */
static char	url_text[HLX_CONTENT_URLS_MAX + 1][64];
static const char *urls[HLX_CONTENT_URLS_MAX + 1];

static void
make_urls(void)
{
	size_t i;

	for (i = 0; i < NELEM(urls); i++) {
		snprintf(url_text[i], sizeof(url_text[i]),
		    "https://files.example.com/share/%zu.jpg", i);
		urls[i] = url_text[i];
	}
}

/* -- who may send what ------------------------------------------------- */

static void
test_role_allows(void **state)
{
	static const struct {
		enum body_type	 t;
		int		 issuer, recipient;
	} table[] = {
		/* body                 issuer  recipient */
		{ BODY_REFERRAL,	1,	0 },
		{ BODY_ASSESSMENT,	0,	1 },
		{ BODY_STATUS_UPDATE,	1,	1 },
		{ BODY_WITHDRAW,	1,	0 },
		{ BODY_REROUTE,		0,	1 },
		{ BODY_RECEIPT,		0,	0 },
		{ BODY_ERROR,		0,	0 },
		{ BODY_CAPABILITIES,	0,	0 },
	};
	size_t i;

	(void)state;
	/* every body type is in the table */
	assert_int_equal(NELEM(table), type_vocab_count(VOCAB_BODY));
	for (i = 0; i < NELEM(table); i++) {
		if ((lifecycle_role_allows(table[i].t, 1) != 0) !=
		    table[i].issuer)
			fail_msg("%s from the issuer: expected %s",
			    type_vocab_name(VOCAB_BODY, (int)table[i].t),
			    table[i].issuer ? "allowed" : "refused");
		if ((lifecycle_role_allows(table[i].t, 0) != 0) !=
		    table[i].recipient)
			fail_msg("%s from the recipient: expected %s",
			    type_vocab_name(VOCAB_BODY, (int)table[i].t),
			    table[i].recipient ? "allowed" : "refused");
	}
}

/* -- the state table --------------------------------------------------- */

static void
test_may_follow_matrix(void **state)
{
	/*
	 * Row: the current state (-1: none yet).  Column: the state that
	 * arrives, in enum case_state order.  'x' may follow, '.' may not.
	 * The diagonal is the repeat rule (a new observation), except for
	 * closed, after which nothing may follow.
	 */
	static const struct {
		int		 from;
		const char	*to;
	} table[] = {
		/*                           rec
		 *                           | u_a
		 *                           | | lea
		 *                           | | | nst
		 *                           | | | | rem
		 *                           | | | | | onl
		 *                           | | | | | | nih
		 *                           | | | | | | | clo */
		{ -1,				"x x x x x x x x" },
		{ STATE_RECEIVED,		"x x x x x x x x" },
		{ STATE_UNDER_ASSESSMENT,	". x x x x x x x" },
		{ STATE_FORWARDED_TO_LEA,	". . x x x x . x" },
		{ STATE_NOTICE_SENT_TO_HOST,	". . x x x x . x" },
		{ STATE_CONTENT_REMOVED,	". . . . x x . x" },
		{ STATE_CONTENT_ONLINE,		". . x x x x . x" },
		{ STATE_NOT_ILLEGAL_HERE,	". x . . . . x x" },
		{ STATE_CLOSED,			". . . . . . . ." },
		/* not a state: nothing may follow */
		{ 8,				". . . . . . . ." },
		{ 1000,				". . . . . . . ." },
	};
	size_t i;
	int to;

	(void)state;
	assert_int_equal(type_vocab_count(VOCAB_STATE), 8);
	for (i = 0; i < NELEM(table); i++)
		for (to = STATE_RECEIVED; to <= STATE_CLOSED; to++) {
			int want = table[i].to[2 * to] == 'x';
			int got = lifecycle_may_follow(table[i].from,
			    (enum case_state)to) != 0;

			if (got != want)
				fail_msg("%s -> %s: expected %s, got %s",
				    table[i].from < 0 ? "(none)" :
				    table[i].from > STATE_CLOSED ? "(bad)" :
				    type_vocab_name(VOCAB_STATE,
				    table[i].from),
				    type_vocab_name(VOCAB_STATE, to),
				    want ? "allowed" : "refused",
				    got ? "allowed" : "refused");
		}
}

static void
test_next_states_text(void **state)
{
	char buf[256];

	(void)state;
	assert_string_equal(lifecycle_next_states(STATE_CLOSED, buf,
	    sizeof(buf)), "none");
	/* A buffer too small is cut at the last whole name, never "none"
	 * and never half a state. */
	assert_string_equal(lifecycle_next_states(STATE_RECEIVED, buf, 5), "");
	assert_string_equal(lifecycle_next_states(STATE_CONTENT_REMOVED, buf,
	    20), "content_removed");
	buf[0] = 'z';
	lifecycle_next_states(STATE_RECEIVED, buf, 0);
	assert_int_equal(buf[0], 'z');
	assert_string_equal(lifecycle_next_states(STATE_CONTENT_REMOVED, buf,
	    sizeof(buf)), "content_removed, content_online, closed");
	assert_string_equal(lifecycle_next_states(STATE_NOT_ILLEGAL_HERE, buf,
	    sizeof(buf)), "under_assessment, not_illegal_here, closed");
	assert_string_equal(lifecycle_next_states(STATE_FORWARDED_TO_LEA, buf,
	    sizeof(buf)), "forwarded_to_lea, notice_sent_to_host, "
	    "content_removed, content_online, closed");
	assert_string_equal(lifecycle_next_states(-1, buf, sizeof(buf)),
	    "received, under_assessment, forwarded_to_lea, notice_sent_to_host, "
	    "content_removed, content_online, not_illegal_here, closed");
	/* it writes into buf and returns it */
	assert_ptr_equal(lifecycle_next_states(STATE_CLOSED, buf, sizeof(buf)),
	    buf);
	/* the longest list (124 characters) fits a buffer of exactly 125 */
	assert_string_equal(lifecycle_next_states(STATE_RECEIVED, buf, 125),
	    "received, under_assessment, forwarded_to_lea, "
	    "notice_sent_to_host, content_removed, content_online, "
	    "not_illegal_here, closed");
}

/* -- ordering states in time ------------------------------------------- */

static void
test_time_usec(void **state)
{
	static const struct {
		const char	*ts;
		int64_t		 usec;
	} ok[] = {
		{ "2026-11-28T10:00:00Z",		T0 },
		{ "2026-11-28T10:00:00.5Z",		T0 + 500000 },
		{ "2026-11-28T10:00:00.05Z",		T0 + 50000 },
		{ "2026-11-28T10:00:00.123Z",		T0 + 123000 },
		{ "2026-11-28T10:00:00.1234Z",		T0 + 123400 },
		{ "2026-11-28T10:00:00.12345Z",		T0 + 123450 },
		{ "2026-11-28T10:00:00.123456Z",	T0 + 123456 },
		{ "2026-11-28T10:00:00.000001Z",	T0 + 1 },
		{ "2026-11-28T10:00:00.999999Z",	T0 + 999999 },
		{ "2026-11-28T10:00:00.0Z",		T0 },
		{ "2026-11-28T10:00:01Z",		T0 + 1000000 },
		{ "1970-01-01T00:00:00Z",		0 },
		{ "1970-01-01T00:00:00.000001Z",	1 },
		{ "1969-12-31T23:59:59.5Z",		-500000 },
		{ "2028-02-29T00:00:00Z",		INT64_C(1835395200000000) },
	};
	static const char *const bad[] = {
		"",
		"2026-11-28T10:00:00",		/* no Z */
		"2026-11-28T10:00:00z",
		"2026-11-28T10:00:00.Z",	/* a dot without digits */
		"2026-11-28T10:00:00.1234567Z",	/* 7 fraction digits */
		"2026-11-28T10:00:00,5Z",
		"2026-11-28T10:00:00.5xZ",
		"2026-11-28 10:00:00Z",
		"2026-11-28T10:00:00+01:00",
		"2026-11-28T24:00:00Z",
		"2026-11-28T10:60:00Z",
		"2026-11-28T10:00:60Z",
		"2026-02-29T10:00:00Z",		/* not a leap year */
		"2026-13-01T10:00:00Z",
		"26-11-28T10:00:00Z",
		"tomorrow",
	};
	int64_t a, b;
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(ok); i++) {
		a = -42;
		if (lifecycle_time_usec(ok[i].ts, &a) != 0)
			fail_msg("%s: refused", ok[i].ts);
		if (a != ok[i].usec)
			fail_msg("%s: expected %lld, got %lld", ok[i].ts,
			    (long long)ok[i].usec, (long long)a);
	}
	for (i = 0; i < NELEM(bad); i++)
		if (lifecycle_time_usec(bad[i], &a) != -1)
			fail_msg("\"%s\": accepted", bad[i]);
	assert_int_equal(lifecycle_time_usec(NULL, &a), -1);

	/* Text order is wrong here ('.' sorts before 'Z'); time order not. */
	assert_true(strcmp("2026-11-28T10:00:00.5Z",
	    "2026-11-28T10:00:00Z") < 0);
	assert_int_equal(lifecycle_time_usec("2026-11-28T10:00:00Z", &a), 0);
	assert_int_equal(lifecycle_time_usec("2026-11-28T10:00:00.5Z", &b), 0);
	assert_true(b > a);
	/* and within a second, by the fraction, however many digits */
	assert_int_equal(lifecycle_time_usec("2026-11-28T10:00:00.9Z", &a), 0);
	assert_int_equal(lifecycle_time_usec("2026-11-28T10:00:00.10Z", &b),
	    0);
	assert_true(a > b);
	assert_int_equal(lifecycle_time_usec("2026-11-28T10:00:01Z", &b), 0);
	assert_true(b > a);
}

static void
test_newer(void **state)
{
	(void)state;
	/* no current state: anything is newer */
	assert_true(lifecycle_newer(T0, 0, 0, 0, 0, 1));
	assert_true(lifecycle_newer(0, 0, 0, T0, 9, 1));
	/* by StateAt first, whatever the versions */
	assert_false(lifecycle_newer(T0 - 1, 9, 1, T0, 1, 1));
	assert_true(lifecycle_newer(T0 + 1, 1, 1, T0, 9, 1));
	assert_true(lifecycle_newer(T0 + 1, 0, 1, T0, UINT32_MAX, 1));
	assert_false(lifecycle_newer(T0 - 1, UINT32_MAX, 1, T0, 0, 1));
	/* the same instant, the same sender: the higher or equal version */
	assert_false(lifecycle_newer(T0, 4, 1, T0, 5, 1));
	assert_true(lifecycle_newer(T0, 5, 1, T0, 5, 1));
	assert_true(lifecycle_newer(T0, 6, 1, T0, 5, 1));
	assert_true(lifecycle_newer(T0, 0, 1, T0, 0, 1));	/* our own updates */
	assert_false(lifecycle_newer(T0, 0, 1, T0, 1, 1));
	/* the same instant, another sender: versions do not compare, the
	 * later arrival wins */
	assert_true(lifecycle_newer(T0, 0, 1, T0, 7, 0));
	assert_true(lifecycle_newer(T0, 1, 1, T0, 9, 0));
	assert_false(lifecycle_newer(T0 - 1, 9, 1, T0, 1, 0));
	assert_true(lifecycle_newer(T0, UINT32_MAX, 1, T0, UINT32_MAX - 1, 1));
	/* negative times (before 1970) order too */
	assert_true(lifecycle_newer(-1, 0, 1, -2, 0, 1));
	assert_false(lifecycle_newer(-2, 0, 1, -1, 0, 1));
}

/* -- StatusUpdate ------------------------------------------------------ */

static void
test_status_update(void **state)
{
	static const char *const two[] = {
		"https://files.example.com/share/abc/1.jpg",
		"http://203.0.113.9:8080/x?y=1#z",
	};
	struct lifecycle_status st = {
		.state = STATE_CONTENT_REMOVED,
		.state_at = "2026-11-28T16:00:00.250Z",
		.observed_by = OBSERVED_CRAWLER,
		.reason = "Host confirmed.\tGone\nsince 15:58 \xc3\xa9",
		.content_urls = two,
		.ncontent_urls = 2,
	};
	struct lifecycle_head h = head;
	struct message *p;
	const struct msg_status *s;
	char why[256], *xml;
	int i;

	(void)state;
	/* everything */
	p = roundtrip(lifecycle_status_update(&h, &st, why, sizeof(why)),
	    &xml);
	assert_int_equal(p->type, BODY_STATUS_UPDATE);
	assert_int_equal(p->header.test, 0);
	assert_null(strstr(xml, "<Test>"));
	s = &p->u.status;
	check_head(p, &s->caseref);
	assert_string_equal(s->partner.issuer, "hotline-be.test");
	assert_string_equal(s->partner.number, "IN-2026-000001");
	assert_int_equal(s->state, STATE_CONTENT_REMOVED);
	assert_string_equal(s->state_at, "2026-11-28T16:00:00.250Z");
	assert_int_equal(s->observed_by, OBSERVED_CRAWLER);
	assert_string_equal(s->reason, st.reason);
	assert_int_equal(s->ncontent_urls, 2);
	assert_string_equal(s->content_urls[0], two[0]);
	assert_string_equal(s->content_urls[1], two[1]);
	assert_non_null(strstr(xml, "<State>content_removed</State>"));
	assert_non_null(strstr(xml, "<ObservedBy>crawler</ObservedBy>"));
	free(xml);
	message_free(p);

	/* the least: no PartnerCaseRef, ObservedBy, Reason or ContentUrl */
	h.partner_issuer = h.partner_number = NULL;
	h.test = 1;
	st.observed_by = -1;
	st.reason = NULL;
	st.content_urls = NULL;
	st.ncontent_urls = 0;
	st.state_at = "2026-11-28T16:00:00Z";
	p = roundtrip(lifecycle_status_update(&h, &st, why, sizeof(why)),
	    &xml);
	s = &p->u.status;
	check_head(p, &s->caseref);
	assert_int_equal(p->header.test, 1);
	assert_null(s->partner.issuer);
	assert_int_equal(s->observed_by, -1);
	assert_null(s->reason);
	assert_int_equal(s->ncontent_urls, 0);
	assert_null(strstr(xml, "PartnerCaseRef"));
	assert_null(strstr(xml, "<ObservedBy>"));
	assert_null(strstr(xml, "<Reason>"));
	assert_null(strstr(xml, "<ContentUrl>"));
	assert_non_null(strstr(xml, "<Test>true</Test>"));
	free(xml);
	message_free(p);

	/* every state and every observer is written and read back */
	for (i = STATE_RECEIVED; i <= STATE_CLOSED; i++) {
		st.state = (enum case_state)i;
		st.observed_by = i % 4;
		p = roundtrip(lifecycle_status_update(&h, &st, why,
		    sizeof(why)), NULL);
		assert_int_equal(p->u.status.state, i);
		assert_int_equal(p->u.status.observed_by, i % 4);
		message_free(p);
	}
}

/* Text options: the control characters, and 1000 code points (not bytes)
 * as the edge. */
static void
check_reason_edges(struct message *(*build)(const char *, char *, size_t))
{
	static const char *const control[] = {
		"a\x01z", "tab\tok but bell\a", "carriage\rreturn", "del\x7f",
		"c1 \xc2\x85 next line", "esc\x1b[0m",
	};
	char why[256], *s;
	struct message *m;
	size_t i;

	for (i = 0; i < NELEM(control); i++) {
		m = build(control[i], why, sizeof(why));
		refused(m, why, "--reason: contains a control character");
	}
	m = build("not \xff UTF-8", why, sizeof(why));
	refused(m, why, "--reason: not valid UTF-8");

	s = repeat("a", HLX_TEXT_MAX);
	m = build(s, why, sizeof(why));
	assert_non_null(m);
	message_free(roundtrip(m, NULL));
	free(s);
	s = repeat("a", HLX_TEXT_MAX + 1);
	refused(build(s, why, sizeof(why)), why,
	    "--reason: longer than 1000 characters");
	free(s);
	/* 1000 two-byte characters are 2000 bytes and still fine */
	s = repeat("\xc3\xa9", HLX_TEXT_MAX);
	m = build(s, why, sizeof(why));
	assert_non_null(m);
	message_free(roundtrip(m, NULL));
	free(s);
	s = repeat("\xc3\xa9", HLX_TEXT_MAX + 1);
	refused(build(s, why, sizeof(why)), why,
	    "--reason: longer than 1000 characters");
	free(s);
	/* empty and tab / line feed are text */
	m = build("", why, sizeof(why));
	assert_non_null(m);
	message_free(roundtrip(m, NULL));
}

/* Content URL lists: a bad one, one named twice, 1000 and 1001. */
static void
check_url_edges(struct message *(*build)(const char *const *, size_t,
    char *, size_t), char **(*get)(struct message *, size_t *))
{
	const char *list[3];
	char why[256], **got;
	struct message *m;
	size_t n;

	list[0] = urls[0];
	list[1] = "ftp://files.example.com/share/1.jpg";
	refused(build(list, 2, why, sizeof(why)), why,
	    "--content-url 2: not an absolute http or https URL");
	list[1] = "https://files.example.com/share/\xc3\xa9.jpg";
	refused(build(list, 2, why, sizeof(why)), why,
	    "--content-url 2: not printable ASCII (IRIs must be "
	    "percent-encoded)");
	list[1] = "https:///no-host";
	refused_prefix(build(list, 2, why, sizeof(why)), why,
	    "--content-url 2: ");
	list[1] = urls[1];
	list[2] = urls[0];
	refused(build(list, 3, why, sizeof(why)), why,
	    "--content-url 3: named twice");

	m = roundtrip(build(urls, HLX_CONTENT_URLS_MAX, why, sizeof(why)),
	    NULL);
	got = get(m, &n);
	assert_int_equal(n, HLX_CONTENT_URLS_MAX);
	assert_string_equal(got[0], urls[0]);
	assert_string_equal(got[999], urls[999]);
	message_free(m);
	refused(build(urls, HLX_CONTENT_URLS_MAX + 1, why, sizeof(why)), why,
	    "--content-url: more than 1000");
}

static struct message *
status_reason(const char *reason, char *why, size_t whysz)
{
	struct lifecycle_status st = { STATE_UNDER_ASSESSMENT,
		"2026-11-28T16:00:00Z", -1, reason, NULL, 0 };

	return lifecycle_status_update(&head, &st, why, whysz);
}

static struct message *
status_urls(const char *const *u, size_t n, char *why, size_t whysz)
{
	struct lifecycle_status st = { STATE_CONTENT_ONLINE,
		"2026-11-28T16:00:00Z", OBSERVED_ANALYST, NULL, u, n };

	return lifecycle_status_update(&head, &st, why, whysz);
}

static char **
status_get(struct message *m, size_t *n)
{
	*n = m->u.status.ncontent_urls;
	return m->u.status.content_urls;
}

static void
test_status_update_refusals(void **state)
{
	static const char *const bad_at[] = {
		"2026-11-28 16:00:00Z", "2026-11-28T16:00:00", "",
		"2026-11-28T16:00:00.1234567Z", "2026-11-31T16:00:00Z",
	};
	struct lifecycle_status st = { STATE_CLOSED, NULL, -1, NULL, NULL, 0 };
	char why[256];
	size_t i;

	(void)state;
	check_reason_edges(status_reason);
	check_url_edges(status_urls, status_get);
	for (i = 0; i < NELEM(bad_at); i++) {
		st.state_at = bad_at[i];
		refused(lifecycle_status_update(&head, &st, why, sizeof(why)),
		    why, "--at: not an RFC 3339 UTC timestamp "
		    "(YYYY-MM-DDTHH:MM:SS[.ffffff]Z)");
	}
}

/* -- Withdraw ---------------------------------------------------------- */

static struct message *
withdraw_reason(const char *reason, char *why, size_t whysz)
{
	return lifecycle_withdraw(&head, reason, NULL, 0, why, whysz);
}

static struct message *
withdraw_urls(const char *const *u, size_t n, char *why, size_t whysz)
{
	return lifecycle_withdraw(&head, "Reported in error.", u, n, why,
	    whysz);
}

static char **
withdraw_get(struct message *m, size_t *n)
{
	*n = m->u.withdraw.ncontent_urls;
	return m->u.withdraw.content_urls;
}

static void
test_withdraw(void **state)
{
	struct message *p;
	const struct msg_withdraw *w;
	char why[256], *xml;

	(void)state;
	/* the whole case */
	p = roundtrip(lifecycle_withdraw(&head, "Reported in error.", NULL, 0,
	    why, sizeof(why)), &xml);
	assert_int_equal(p->type, BODY_WITHDRAW);
	w = &p->u.withdraw;
	check_head(p, &w->caseref);
	assert_string_equal(w->reason, "Reported in error.");
	assert_int_equal(w->ncontent_urls, 0);
	/* a Withdraw has no PartnerCaseRef, even when the case has one */
	assert_null(strstr(xml, "PartnerCaseRef"));
	assert_null(strstr(xml, "<ContentUrl>"));
	free(xml);
	message_free(p);

	/* some items, in the order given */
	p = roundtrip(lifecycle_withdraw(&head, "Two items were mistaken.",
	    urls + 5, 2, why, sizeof(why)), &xml);
	w = &p->u.withdraw;
	assert_int_equal(w->ncontent_urls, 2);
	assert_string_equal(w->content_urls[0], urls[5]);
	assert_string_equal(w->content_urls[1], urls[6]);
	assert_int_equal(count(xml, "<ContentUrl>"), 2);
	free(xml);
	message_free(p);

	check_reason_edges(withdraw_reason);
	check_url_edges(withdraw_urls, withdraw_get);
}

/* -- Reroute ----------------------------------------------------------- */

static void
test_reroute(void **state)
{
	struct msg_hosting hs;
	struct message *m, *p;
	const struct msg_reroute *r;
	char why[256], *xml;

	(void)state;
	memset(&hs, 0, sizeof(hs));
	hs.country = "DE";
	hs.ips[0] = "198.51.100.77";
	hs.ips[1] = "2001:DB8:0:0::1";
	hs.ips[2] = "2001:0db8:0000:0000:0001:0000:0000:0001";
	hs.ips[3] = "2001:db8:0:0:0:0:2:1";
	hs.nips = 4;
	hs.asn = 64496;
	hs.provider = "Beispiel Hosting GmbH";
	hs.cdn = 1;
	hs.traced_at = "2026-11-28T16:50:00.5Z";
	m = lifecycle_reroute(&head, &hs, "Now hosted in Germany.", why,
	    sizeof(why));
	assert_non_null(m);
	/* the struct already holds the RFC 5952 forms */
	assert_string_equal(m->u.reroute.hosting.ips[1], "2001:db8::1");
	p = roundtrip(m, &xml);
	assert_int_equal(p->type, BODY_REROUTE);
	r = &p->u.reroute;
	check_head(p, &r->caseref);
	assert_string_equal(r->partner.issuer, "hotline-be.test");
	assert_string_equal(r->partner.number, "IN-2026-000001");
	assert_string_equal(r->hosting.country, "DE");
	assert_int_equal(r->hosting.nips, 4);
	assert_string_equal(r->hosting.ips[0], "198.51.100.77");
	assert_string_equal(r->hosting.ips[1], "2001:db8::1");
	assert_string_equal(r->hosting.ips[2], "2001:db8::1:0:0:1");
	assert_string_equal(r->hosting.ips[3], "2001:db8::2:1");
	assert_int_equal(r->hosting.asn, 64496);
	assert_string_equal(r->hosting.provider, "Beispiel Hosting GmbH");
	assert_int_equal(r->hosting.cdn, 1);
	assert_string_equal(r->hosting.traced_at, "2026-11-28T16:50:00.5Z");
	assert_string_equal(r->reason, "Now hosted in Germany.");
	/* the bytes, not only what the parser makes of them */
	assert_non_null(strstr(xml, "<Ip>2001:db8::1</Ip>"));
	assert_non_null(strstr(xml, "<Ip>2001:db8::1:0:0:1</Ip>"));
	assert_null(strstr(xml, "DB8"));
	assert_null(strstr(xml, "0db8"));
	free(xml);
	message_free(p);

	/* the least: no ip, asn, provider, cdn or PartnerCaseRef */
	{
		struct lifecycle_head h = head;
		struct msg_hosting min;

		memset(&min, 0, sizeof(min));
		min.country = "FR";
		min.cdn = -1;
		min.traced_at = "2026-11-28T16:50:00Z";
		h.partner_issuer = h.partner_number = NULL;
		p = roundtrip(lifecycle_reroute(&h, &min, "Moved.", why,
		    sizeof(why)), &xml);
		r = &p->u.reroute;
		assert_null(r->partner.issuer);
		assert_string_equal(r->hosting.country, "FR");
		assert_int_equal(r->hosting.nips, 0);
		assert_int_equal(r->hosting.asn, 0);
		assert_null(r->hosting.provider);
		assert_int_equal(r->hosting.cdn, -1);
		assert_null(strstr(xml, "PartnerCaseRef"));
		assert_null(strstr(xml, "<Cdn>"));
		assert_null(strstr(xml, "<Asn>"));
		free(xml);
		message_free(p);
	}
}

static void
test_reroute_refusals(void **state)
{
	static char ipbuf[HLX_IPS_MAX][32];
	static char bad_ip[][32] = {
		"203.0.113", "203.0.113.256", "2001:db8::g", "2001:db8:::1",
		"example.com", "", " 203.0.113.1", "203.0.113.1/24",
		"[2001:db8::1]",
	};
	struct msg_hosting hs;
	struct message *p;
	char why[256], *s;
	size_t i;

	(void)state;
	memset(&hs, 0, sizeof(hs));
	hs.country = "DE";
	hs.cdn = -1;
	hs.traced_at = "2026-11-28T16:50:00Z";

	hs.country = "de";
	refused(lifecycle_reroute(&head, &hs, "r", why, sizeof(why)), why,
	    "--country: not a country (two upper-case letters, ISO 3166-1)");
	hs.country = "DEU";
	refused_prefix(lifecycle_reroute(&head, &hs, "r", why, sizeof(why)),
	    why, "--country: ");
	hs.country = "QQ";
	refused(lifecycle_reroute(&head, &hs, "r", why, sizeof(why)), why,
	    "--country: not an ISO 3166-1 alpha-2 country code");
	hs.country = "";
	refused_prefix(lifecycle_reroute(&head, &hs, "r", why, sizeof(why)),
	    why, "--country: ");
	hs.country = "DE";

	hs.traced_at = "2026-11-28T16:50Z";
	refused_prefix(lifecycle_reroute(&head, &hs, "r", why, sizeof(why)),
	    why, "--traced-at: ");
	hs.traced_at = "2026-11-28T16:50:00Z";

	/* 16 addresses are the most a Hosting holds */
	for (i = 0; i < HLX_IPS_MAX; i++) {
		snprintf(ipbuf[i], sizeof(ipbuf[i]), "203.0.113.%zu", i + 1);
		hs.ips[i] = ipbuf[i];
	}
	hs.nips = HLX_IPS_MAX;
	p = roundtrip(lifecycle_reroute(&head, &hs, "r", why, sizeof(why)),
	    NULL);
	assert_int_equal(p->u.reroute.hosting.nips, HLX_IPS_MAX);
	assert_string_equal(p->u.reroute.hosting.ips[15], "203.0.113.16");
	message_free(p);
	hs.nips = HLX_IPS_MAX + 1;
	refused(lifecycle_reroute(&head, &hs, "r", why, sizeof(why)), why,
	    "--ip: more than 16");

	hs.nips = 3;
	for (i = 0; i < NELEM(bad_ip); i++) {
		hs.ips[2] = bad_ip[i];
		refused(lifecycle_reroute(&head, &hs, "r", why, sizeof(why)),
		    why, "--ip 3: not an IPv4 or IPv6 address");
	}
	hs.ips[2] = ipbuf[2];

	refused(lifecycle_reroute(&head, &hs, "bell\a", why, sizeof(why)),
	    why, "--reason: contains a control character");
	s = repeat("\xc3\xa9", HLX_TEXT_MAX + 1);
	refused(lifecycle_reroute(&head, &hs, s, why, sizeof(why)), why,
	    "--reason: longer than 1000 characters");
	hs.provider = s;
	refused(lifecycle_reroute(&head, &hs, "r", why, sizeof(why)), why,
	    "--provider: longer than 1000 characters");
	free(s);
	s = repeat("\xc3\xa9", HLX_TEXT_MAX);
	hs.provider = s;
	p = roundtrip(lifecycle_reroute(&head, &hs, s, why, sizeof(why)),
	    NULL);
	assert_string_equal(p->u.reroute.hosting.provider, s);
	assert_string_equal(p->u.reroute.reason, s);
	message_free(p);
	free(s);
	hs.provider = "Tab\tok\x01";
	refused(lifecycle_reroute(&head, &hs, "r", why, sizeof(why)), why,
	    "--provider: contains a control character");
}

/* -- Assessment -------------------------------------------------------- */

#define AS_HEAD "{\"assessed_at\":\"2026-11-28T14:30:00.75Z\"," \
	"\"severity\":\"high\",\"items\":["
#define AS_ITEM(n) "{\"content_url\":\"https://files.example.com/share/" \
	#n ".jpg\",\"national_verdict\":{\"jurisdiction\":\"BE\"," \
	"\"status\":\"illegal\"}}"

static struct message *
assess(const char *json, char *why, size_t whysz)
{
	return lifecycle_assessment(&head, json, strlen(json), why, whysz);
}

/* {"assessed_at", "severity", "items": [n items]}; caller frees. */
static char *
items_json(size_t n)
{
	size_t sz = 128 + n * 160, len, i;
	char *s = malloc(sz);
	int w;

	assert_non_null(s);
	len = (size_t)snprintf(s, sz, "%s", AS_HEAD);
	for (i = 0; i < n; i++) {
		w = snprintf(s + len, sz - len, "%s{\"content_url\":"
		    "\"https://files.example.com/share/%zu.jpg\","
		    "\"national_verdict\":{\"jurisdiction\":\"BE\","
		    "\"status\":\"%s\"}}", i ? "," : "", i,
		    i % 2 ? "not_illegal" : "illegal");
		assert_true(w > 0 && (size_t)w < sz - len);
		len += (size_t)w;
	}
	w = snprintf(s + len, sz - len, "]}");
	assert_true(w > 0 && (size_t)w < sz - len);
	return s;
}

static void
test_assessment(void **state)
{
	static const char json[] =
	    "{\n"
	    "  \"assessed_at\": \"2026-11-28T14:30:00.75Z\",\n"
	    "  \"severity\": \"critical\",\n"
	    "  \"items\": [\n"
	    "    {\"content_url\": \"https://files.example.com/share/abc/1.jpg\",\n"
	    "     \"national_verdict\": {\"jurisdiction\": \"BE\",\n"
	    "       \"status\": \"illegal\", \"code\": \"art-417-44\"},\n"
	    "     \"agrees_with_sender\": true},\n"
	    "    {\"agrees_with_sender\": false,\n"
	    "     \"national_verdict\": {\"status\": \"not_illegal\",\n"
	    "       \"jurisdiction\": \"BE\"},\n"
	    "     \"content_url\": \"http://198.51.100.7/2.png\"},\n"
	    "    {\"content_url\": \"https://files.example.com/share/abc/3.jpg\",\n"
	    "     \"national_verdict\": {\"jurisdiction\": \"NL\",\n"
	    "       \"status\": \"not_assessed\"}}\n"
	    "  ]\n"
	    "}\n";
	struct message *p;
	const struct msg_assessment *a;
	char why[256], *xml, *s;

	(void)state;
	p = roundtrip(assess(json, why, sizeof(why)), &xml);
	assert_int_equal(p->type, BODY_ASSESSMENT);
	a = &p->u.assessment;
	check_head(p, &a->caseref);
	assert_string_equal(a->partner.issuer, "hotline-be.test");
	assert_string_equal(a->partner.number, "IN-2026-000001");
	assert_string_equal(a->assessed_at, "2026-11-28T14:30:00.75Z");
	assert_int_equal(a->severity, SEVERITY_CRITICAL);
	assert_int_equal(a->nitems, 3);

	assert_string_equal(a->items[0].content_url,
	    "https://files.example.com/share/abc/1.jpg");
	assert_true(a->items[0].national.present);
	assert_string_equal(a->items[0].national.jurisdiction, "BE");
	assert_int_equal(a->items[0].national.verdict, NATIONAL_ILLEGAL);
	assert_string_equal(a->items[0].national.code, "art-417-44");
	assert_int_equal(a->items[0].agrees, 1);

	assert_string_equal(a->items[1].content_url,
	    "http://198.51.100.7/2.png");
	assert_int_equal(a->items[1].national.verdict, NATIONAL_NOT_ILLEGAL);
	assert_null(a->items[1].national.code);
	assert_int_equal(a->items[1].agrees, 0);	/* false, not absent */

	assert_string_equal(a->items[2].national.jurisdiction, "NL");
	assert_int_equal(a->items[2].national.verdict, NATIONAL_NOT_ASSESSED);
	assert_int_equal(a->items[2].agrees, -1);	/* absent */

	/* false is written, absent is not */
	assert_int_equal(count(xml, "<AgreesWithSender>"), 2);
	assert_int_equal(count(xml, "<AgreesWithSender>true</"), 1);
	assert_int_equal(count(xml, "<AgreesWithSender>false</"), 1);
	assert_int_equal(count(xml, "<Item>"), 3);
	assert_non_null(strstr(xml, "code=\"art-417-44\""));
	free(xml);
	message_free(p);

	/* every severity */
	{
		static const char *const sev[] = { "low", "medium", "high",
			"critical" };
		char buf[512];
		size_t i;

		for (i = 0; i < NELEM(sev); i++) {
			snprintf(buf, sizeof(buf), "{\"assessed_at\":"
			    "\"2026-11-28T14:30:00Z\",\"severity\":\"%s\","
			    "\"items\":[" AS_ITEM(1) "]}", sev[i]);
			p = roundtrip(assess(buf, why, sizeof(why)), NULL);
			assert_int_equal(p->u.assessment.severity, (int)i);
			message_free(p);
		}
	}

	/* 1000 items are the most, and the parser takes them too */
	s = items_json(HLX_ITEMS_MAX);
	p = roundtrip(assess(s, why, sizeof(why)), NULL);
	assert_int_equal(p->u.assessment.nitems, HLX_ITEMS_MAX);
	assert_string_equal(p->u.assessment.items[999].content_url,
	    "https://files.example.com/share/999.jpg");
	assert_int_equal(p->u.assessment.items[999].national.verdict,
	    NATIONAL_NOT_ILLEGAL);
	message_free(p);
	free(s);
	s = items_json(HLX_ITEMS_MAX + 1);
	refused(assess(s, why, sizeof(why)), why,
	    "items: expected 1 to 1000 items, got 1001");
	free(s);

	/* the length is honoured: trailing bytes beyond len are not read */
	{
		static const char two[] = "{\"assessed_at\":"
		    "\"2026-11-28T14:30:00Z\",\"severity\":\"low\",\"items\":["
		    AS_ITEM(1) "]}garbage";

		p = lifecycle_assessment(&head, two, strlen(two) - 7, why,
		    sizeof(why));
		assert_non_null(p);
		message_free(p);
	}

	/* An Assessment must carry a PartnerCaseRef (protocol.md §2.3):
	 * the builder refuses a head without one, and says so. */
	{
		struct lifecycle_head h = head;

		h.partner_issuer = h.partner_number = NULL;
		why[0] = '\0';
		s = items_json(1);
		p = lifecycle_assessment(&h, s, strlen(s), why, sizeof(why));
		free(s);
		assert_null(p);
		assert_non_null(strstr(why, "PartnerCaseRef"));
	}
}

static void
test_assessment_refusals(void **state)
{
#define TAIL(items)	"\"items\":[" items "]}"
#define FULL(items)	"{\"assessed_at\":\"2026-11-28T14:30:00Z\"," \
	"\"severity\":\"high\"," TAIL(items)
#define URL(n)	"\"content_url\":\"https://files.example.com/share/" #n ".jpg\""
#define NV	"\"national_verdict\":{\"jurisdiction\":\"BE\"," \
	"\"status\":\"illegal\"}"
	static const struct {
		const char	*json;
		const char	*why;
		int		 prefix;	/* why is a prefix */
	} table[] = {
		/* not JSON, not an object */
		{ "not json", "line 1, column ", 1 },
		{ "{\"severity\":", "line 1, column ", 1 },
		{ "", "line 1, column ", 1 },
		{ "[]", "expected a JSON object", 0 },
		{ "[" FULL(AS_ITEM(1)) "]", "expected a JSON object", 0 },
		/* the top level */
		{ "{\"assessed_at\":\"2026-11-28T14:30:00Z\",\"severity\":"
		  "\"high\",\"extra\":1," TAIL(AS_ITEM(1)),
		  "extra: unknown member", 0 },
		{ "{\"assessed_at\":\"2026-11-28T14:30:00Z\",\"severity\":"
		  "\"high\",\"severity\":\"low\"," TAIL(AS_ITEM(1)),
		  "line 1, column ", 1 },
		{ "{\"severity\":\"high\"," TAIL(AS_ITEM(1)),
		  "assessed_at: required", 0 },
		{ "{\"assessed_at\":\"2026-11-28T14:30:00Z\","
		  TAIL(AS_ITEM(1)), "severity: required", 0 },
		{ "{\"assessed_at\":\"2026-11-28T14:30:00Z\","
		  "\"severity\":\"high\"}", "items: required", 0 },
		{ "{\"assessed_at\":\"2026-11-28 14:30:00Z\","
		  "\"severity\":\"high\"," TAIL(AS_ITEM(1)),
		  "assessed_at: not an RFC 3339 UTC timestamp "
		  "(YYYY-MM-DDTHH:MM:SS[.ffffff]Z)", 0 },
		{ "{\"assessed_at\":1795860000,"
		  "\"severity\":\"high\"," TAIL(AS_ITEM(1)),
		  "assessed_at: expected a string", 0 },
		{ "{\"assessed_at\":\"2026-11-28T14:30:00Z\","
		  "\"severity\":\"severe\"," TAIL(AS_ITEM(1)),
		  "severity: expected one of low, medium, high, critical", 0 },
		{ "{\"assessed_at\":\"2026-11-28T14:30:00Z\","
		  "\"severity\":\"High\"," TAIL(AS_ITEM(1)),
		  "severity: expected one of low, medium, high, critical", 0 },
		{ "{\"assessed_at\":\"2026-11-28T14:30:00Z\","
		  "\"severity\":3," TAIL(AS_ITEM(1)),
		  "severity: expected a string", 0 },
		{ FULL(""), "items: expected 1 to 1000 items, got 0", 0 },
		{ "{\"assessed_at\":\"2026-11-28T14:30:00Z\","
		  "\"severity\":\"high\",\"items\":{}}",
		  "items: expected an array", 0 },
		/* an item */
		{ FULL("\"x\""), "items[0]: expected an object", 0 },
		{ FULL(AS_ITEM(0) "," AS_ITEM(1) ",{\"content_url\":"
		  "\"ftp://files.example.com/2.jpg\"," NV "}"),
		  "items[2].content_url: not an absolute http or https URL",
		  0 },
		{ FULL("{" NV "}"), "items[0].content_url: required", 0 },
		{ FULL("{\"content_url\":7," NV "}"),
		  "items[0].content_url: expected a string", 0 },
		{ FULL("{" URL(1) "," NV ",\"foo\":1}"),
		  "items[0].foo: unknown member", 0 },
		{ FULL(AS_ITEM(0) ",{" URL(1) "}"),
		  "items[1].national_verdict: required", 0 },
		{ FULL("{" URL(1) ",\"national_verdict\":\"illegal\"}"),
		  "items[0].national_verdict: expected an object", 0 },
		{ FULL("{" URL(1) ",\"national_verdict\":{\"jurisdiction\":"
		  "\"BE\",\"status\":\"legal\"}}"),
		  "items[0].national_verdict.status: expected one of illegal, "
		  "not_illegal, not_assessed", 0 },
		{ FULL("{" URL(1) ",\"national_verdict\":{\"jurisdiction\":"
		  "\"BE\"}}"),
		  "items[0].national_verdict.status: required", 0 },
		{ FULL("{" URL(1) ",\"national_verdict\":{\"status\":"
		  "\"illegal\"}}"),
		  "items[0].national_verdict.jurisdiction: required", 0 },
		{ FULL("{" URL(1) ",\"national_verdict\":{\"jurisdiction\":"
		  "\"be\",\"status\":\"illegal\"}}"),
		  "items[0].national_verdict.jurisdiction: not a country "
		  "(two upper-case letters, ISO 3166-1)", 0 },
		{ FULL("{" URL(1) ",\"national_verdict\":{\"jurisdiction\":"
		  "\"BE\",\"status\":\"illegal\",\"code\":\"art 417\"}}"),
		  "items[0].national_verdict.code: ", 1 },
		{ FULL("{" URL(1) ",\"national_verdict\":{\"jurisdiction\":"
		  "\"BE\",\"status\":\"illegal\",\"x\":1}}"),
		  "items[0].national_verdict.x: unknown member", 0 },
		{ FULL("{" URL(1) "," NV ",\"agrees_with_sender\":\"yes\"}"),
		  "items[0].agrees_with_sender: expected true or false", 0 },
		{ FULL("{" URL(1) "," NV ",\"agrees_with_sender\":1}"),
		  "items[0].agrees_with_sender: expected true or false", 0 },
		{ FULL("{" URL(1) "," NV ",\"agrees_with_sender\":null}"),
		  "items[0].agrees_with_sender: expected true or false", 0 },
		/* two items about the same content */
		{ FULL(AS_ITEM(1) "," AS_ITEM(2) "," AS_ITEM(1)),
		  "items[2].content_url: the same as items[0]", 0 },
		{ FULL(AS_ITEM(1) "," AS_ITEM(1)),
		  "items[1].content_url: the same as items[0]", 0 },
	};
	char why[256];
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(table); i++) {
		struct message *m;

		why[0] = '\0';
		m = assess(table[i].json, why, sizeof(why));
		if (m != NULL) {
			message_free(m);
			fail_msg("case %zu: expected \"%s\", got a message", i,
			    table[i].why);
		}
		if (table[i].prefix ? strncmp(why, table[i].why,
		    strlen(table[i].why)) != 0 : strcmp(why, table[i].why) != 0)
			fail_msg("case %zu: expected \"%s%s\", got \"%s\"", i,
			    table[i].why, table[i].prefix ? "..." : "", why);
	}
	/* the duplicate key is named as such */
	refused_prefix(assess("{\"severity\":\"high\",\"severity\":\"low\"}",
	    why, sizeof(why)), why, "line 1, column ");
	assert_non_null(strstr(why, "duplicate object key near '\"severity\"'"));
	/* and a NUL inside the buffer is not the end of the document */
	{
		static const char nul[] = "{\"severity\":\"high\"}\0{}";

		refused_prefix(lifecycle_assessment(&head, nul,
		    sizeof(nul) - 1, why, sizeof(why)), why, "line 1, column ");
	}
#undef TAIL
#undef FULL
#undef URL
#undef NV
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_role_allows),
		cmocka_unit_test(test_may_follow_matrix),
		cmocka_unit_test(test_next_states_text),
		cmocka_unit_test(test_time_usec),
		cmocka_unit_test(test_newer),
		cmocka_unit_test(test_status_update),
		cmocka_unit_test(test_status_update_refusals),
		cmocka_unit_test(test_withdraw),
		cmocka_unit_test(test_reroute),
		cmocka_unit_test(test_reroute_refusals),
		cmocka_unit_test(test_assessment),
		cmocka_unit_test(test_assessment_refusals),
	};

	make_urls();
	return cmocka_run_group_tests(tests, test_schema_setup,
	    test_schema_teardown);
}
