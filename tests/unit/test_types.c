/*
 * test_types -- every value type of protocol.md §2.1 at its edges.
 * Table-driven: one row per value, one line of output per case.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "hlx_limits.h"
#include "types.h"

struct row {
	const char	*value;
	int		 ok;
};

static void
run_rows(const char *what, const char *(*check)(const char *),
    const struct row *rows, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const char *why = check(rows[i].value);
		if ((why == NULL) != rows[i].ok)
			fail_msg("%s \"%s\": expected %s, got %s", what,
			    rows[i].value, rows[i].ok ? "valid" : "invalid",
			    why == NULL ? "valid" : why);
	}
}

#define ROWS(what, fn, rows) run_rows(what, fn, rows, \
    sizeof(rows) / sizeof(rows[0]))

static void
test_uuid(void **state)
{
	static const struct row rows[] = {
		{ "3b0c2a4e-8f1d-4c6a-9b7e-2d5f1a0c9e11", 1 },
		{ "00000000-0000-0000-0000-000000000000", 1 },
		{ "3B0C2A4E-8F1D-4C6A-9B7E-2D5F1A0C9E11", 0 },
		{ "3b0c2a4e8f1d4c6a9b7e2d5f1a0c9e11", 0 },
		{ "3b0c2a4e-8f1d-4c6a-9b7e-2d5f1a0c9e1", 0 },
		{ "3b0c2a4e-8f1d-4c6a-9b7e-2d5f1a0c9e111", 0 },
		{ "3b0c2a4e-8f1d-4c6a-9b7e_2d5f1a0c9e11", 0 },
		{ "", 0 },
	};
	(void)state;
	ROWS("uuid", type_check_uuid, rows);
}

static void
test_timestamp(void **state)
{
	static const struct row rows[] = {
		{ "2026-11-28T10:00:00Z", 1 },
		{ "2026-11-28T10:00:00.1Z", 1 },
		{ "2026-11-28T10:00:00.123456Z", 1 },
		{ "2026-11-28T10:00:00.1234567Z", 0 },
		{ "2026-11-28T10:00:00.Z", 0 },
		{ "2026-11-28T10:00:00", 0 },
		{ "2026-11-28T10:00:00+00:00", 0 },
		{ "2026-11-28 10:00:00Z", 0 },
		{ "2026-13-01T00:00:00Z", 0 },
		{ "2026-00-01T00:00:00Z", 0 },
		{ "2026-02-29T00:00:00Z", 0 },
		{ "2028-02-29T00:00:00Z", 1 },
		{ "2100-02-29T00:00:00Z", 0 },
		{ "2000-02-29T00:00:00Z", 1 },
		{ "2026-04-31T00:00:00Z", 0 },
		{ "2026-11-28T24:00:00Z", 0 },
		{ "2026-11-28T23:60:00Z", 0 },
		{ "2026-11-28T23:59:60Z", 0 },
		{ "0000-01-01T00:00:00Z", 0 },
		{ "2026-11-28t10:00:00z", 0 },
	};
	time_t t;
	char buf[HLX_TIMESTAMP_MAX + 1];

	(void)state;
	ROWS("timestamp", type_check_timestamp, rows);
	assert_int_equal(type_timestamp_parse("1970-01-02T00:00:01.5Z", &t), 0);
	assert_int_equal((long)t, 86401);
	assert_int_equal(type_timestamp_format(86401, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "1970-01-02T00:00:01Z");
	assert_int_equal(type_timestamp_parse("bad", &t), -1);
}

static void
test_hotline_id(void **state)
{
	static const struct row rows[] = {
		{ "hotline-be.example", 1 },
		{ "a", 1 },
		{ "0", 1 },
		{ "a-b", 1 },
		{ "-ab", 0 },
		{ "ab-", 0 },
		{ ".ab", 0 },
		{ "Hotline.example", 0 },
		{ "hot_line", 0 },
		{ "", 0 },
		/* 63 characters: the edge; 64: one past */
		{ "a12345678901234567890123456789012345678901234567890123456789012", 1 },
		{ "a123456789012345678901234567890123456789012345678901234567890123", 0 },
	};
	(void)state;
	ROWS("hotline id", type_check_hotline_id, rows);
}

static void
test_case_number_token(void **state)
{
	static const struct row cases[] = {
		{ "CF-2026-000123", 1 },
		{ "a.b_c:d-e", 1 },
		{ "a/b", 0 },
		{ "a b", 0 },
		{ "", 0 },
		{ "1234567890123456789012345678901234567890123456789012345678901234", 1 },
		{ "12345678901234567890123456789012345678901234567890123456789012345", 0 },
	};
	static const struct row tokens[] = {
		{ "art-417-44", 1 },
		{ "a/b", 1 },
		{ "a b", 0 },
		{ "", 0 },
		{ "é", 0 },
	};
	(void)state;
	ROWS("case number", type_check_case_number, cases);
	ROWS("token", type_check_token, tokens);
}

static void
test_country(void **state)
{
	static const struct row rows[] = {
		{ "BE", 1 }, { "NL", 1 }, { "DE", 1 }, { "GB", 1 }, { "XK", 1 },
		{ "ZW", 1 }, { "AD", 1 },
		{ "XX", 0 }, { "UK", 0 }, { "EU", 0 }, { "be", 0 }, { "B", 0 },
		{ "BEL", 0 }, { "", 0 }, { "*", 0 },
	};
	(void)state;
	ROWS("country", type_check_country, rows);
}

static void
test_url(void **state)
{
	static char at_edge[HLX_URL_MAX + 2], past_edge[HLX_URL_MAX + 2];
	static const struct row rows[] = {
		{ "http://gallery.example.net/album/77", 1 },
		{ "https://files.example.com/share/abc?x=1#f", 1 },
		{ "HTTPS://files.example.com/", 1 },
		{ "http://user:pw@host.example/", 1 },
		{ "http://[2001:db8::1]:8080/x", 1 },
		{ "http://192.0.2.1", 1 },
		{ "http://host.example:80", 1 },
		{ "ftp://files.example.com/", 0 },
		{ "http:/files.example.com/", 0 },
		{ "http:///path", 0 },
		{ "http://?q", 0 },
		{ "http://user@/x", 0 },
		{ "http://:80/x", 0 },
		{ "http://files.example.com/a b", 0 },
		{ "http://files.example.com/\xc3\xa9", 0 },
		{ "files.example.com/x", 0 },
		{ "", 0 },
	};
	size_t pre = strlen("http://h.example/");

	(void)state;
	ROWS("url", type_check_url, rows);
	memcpy(at_edge, "http://h.example/", pre);
	memset(at_edge + pre, 'a', HLX_URL_MAX - pre);
	at_edge[HLX_URL_MAX] = '\0';
	memcpy(past_edge, at_edge, HLX_URL_MAX);
	past_edge[HLX_URL_MAX] = 'a';
	past_edge[HLX_URL_MAX + 1] = '\0';
	assert_null(type_check_url(at_edge));
	assert_non_null(type_check_url(past_edge));
}

static void
test_ip(void **state)
{
	static const struct row rows[] = {
		{ "203.0.113.7", 1 }, { "0.0.0.0", 1 }, { "255.255.255.255", 1 },
		{ "2001:db8::7", 1 }, { "::1", 1 }, { "::", 1 },
		{ "2001:DB8:0:0:0:0:0:7", 1 }, { "::ffff:192.0.2.1", 1 },
		{ "256.1.1.1", 0 }, { "01.2.3.4", 0 }, { "1.2.3", 0 },
		{ "1.2.3.4.5", 0 }, { "2001:db8:::1", 0 },
		{ "1:2:3:4:5:6:7:8:9", 0 }, { "12345::1", 0 },
		{ "fe80::1%eth0", 0 }, { "", 0 }, { "host.example", 0 },
	};
	char buf[64];

	(void)state;
	ROWS("ip", type_check_ip, rows);
	assert_int_equal(type_ip_normalize("2001:DB8:0:0:0:0:0:7", buf,
	    sizeof(buf)), 0);
	assert_string_equal(buf, "2001:db8::7");
	assert_int_equal(type_ip_normalize("2001:db8:0:0:1:0:0:1", buf,
	    sizeof(buf)), 0);
	assert_string_equal(buf, "2001:db8::1:0:0:1");
	assert_int_equal(type_ip_normalize("203.0.113.7", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "203.0.113.7");
	assert_int_equal(type_ip_normalize("nope", buf, sizeof(buf)), -1);
}

static void
test_text(void **state)
{
	/* 1000 and 1001 code points, each "é" two bytes. */
	static char edge[2 * HLX_TEXT_MAX + 1], past[2 * HLX_TEXT_MAX + 3];
	static const struct row rows[] = {
		{ "Example Hosting B.V.", 1 },
		{ "tab\tand\nnewline", 1 },
		{ "carriage\rreturn", 0 },
		{ "bell\a", 0 },
		{ "del\x7f", 0 },
		{ "c1 \xc2\x85 next line", 0 },
		{ "c1 \xc2\x9f", 0 },
		{ "nbsp \xc2\xa0 is fine", 1 },
		{ "bad utf-8 \xff", 0 },
		{ "overlong \xc0\xaf", 0 },
		{ "surrogate \xed\xa0\x80", 0 },
		{ "emoji \xf0\x9f\x98\x80", 1 },
		{ "", 1 },
	};
	size_t i;

	(void)state;
	ROWS("text", type_check_text, rows);
	for (i = 0; i < HLX_TEXT_MAX; i++)
		memcpy(edge + 2 * i, "\xc3\xa9", 2);
	memcpy(past, edge, 2 * HLX_TEXT_MAX);
	memcpy(past + 2 * HLX_TEXT_MAX, "\xc3\xa9", 3);
	assert_null(type_check_text(edge));
	assert_non_null(type_check_text(past));
}

static void
test_hash(void **state)
{
	static const struct {
		enum hash_alg	 alg;
		size_t		 len;
		char		 c;
		int		 ok;
	} rows[] = {
		{ HASH_SHA256, 64, 'a', 1 }, { HASH_SHA256, 63, 'a', 0 },
		{ HASH_SHA256, 65, 'a', 0 }, { HASH_SHA256, 64, 'A', 0 },
		{ HASH_SHA256, 64, 'g', 0 },
		{ HASH_SHA1, 40, '0', 1 }, { HASH_SHA1, 64, '0', 0 },
		{ HASH_MD5, 32, 'f', 1 }, { HASH_MD5, 40, 'f', 0 },
		{ HASH_PDQ, 64, '9', 1 }, { HASH_PDQ, 32, '9', 0 },
		{ HASH_PHOTODNA, 192, 'Z', 1 }, { HASH_PHOTODNA, 191, 'Z', 0 },
		{ HASH_PHOTODNA, 192, '+', 1 }, { HASH_PHOTODNA, 192, '-', 0 },
	};
	char buf[200];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		memset(buf, rows[i].c, rows[i].len);
		buf[rows[i].len] = '\0';
		if ((type_check_hash(rows[i].alg, buf) == NULL) != rows[i].ok)
			fail_msg("hash row %zu: expected %s", i,
			    rows[i].ok ? "valid" : "invalid");
	}
	/* base64 padding only at the end */
	memset(buf, 'A', 192);
	buf[190] = '=';
	buf[191] = '=';
	buf[192] = '\0';
	assert_null(type_check_hash(HASH_PHOTODNA, buf));
	buf[100] = '=';
	assert_non_null(type_check_hash(HASH_PHOTODNA, buf));
}

static void
test_vocab(void **state)
{
	(void)state;
	assert_int_equal(type_vocab_parse(VOCAB_SEVERITY, "critical"),
	    SEVERITY_CRITICAL);
	assert_int_equal(type_vocab_parse(VOCAB_SEVERITY, "Critical"), -1);
	assert_int_equal(type_vocab_parse(VOCAB_RESTRICTION, "amber+strict"),
	    RESTRICTION_AMBER_STRICT);
	assert_int_equal(type_vocab_parse(VOCAB_HASH_ALG, "photodna"),
	    HASH_PHOTODNA);
	assert_int_equal(type_vocab_parse(VOCAB_BODY, "Capabilities"),
	    BODY_CAPABILITIES);
	assert_string_equal(type_vocab_name(VOCAB_STATE, STATE_CLOSED),
	    "closed");
	assert_null(type_vocab_name(VOCAB_STATE, 8));
	assert_null(type_vocab_name(VOCAB_STATE, -1));
	assert_int_equal(type_vocab_count(VOCAB_SITE_TYPE), 13);
	assert_int_equal(type_vocab_count(VOCAB_BODY), 8);
}

static void
test_utf8_count(void **state)
{
	size_t n = 0, bad = 0;

	(void)state;
	assert_int_equal(type_utf8_count("a\xc3\xa9\xf0\x9f\x98\x80", 7, &n,
	    &bad), 0);
	assert_int_equal(n, 3);
	assert_int_equal(type_utf8_count("ab\0c", 4, &n, &bad), -1);
	assert_int_equal(bad, 2);
	assert_int_equal(type_utf8_count("ab\xc3", 3, &n, &bad), -1);
	assert_int_equal(bad, 2);
	assert_int_equal(type_utf8_count("\xf4\x90\x80\x80", 4, &n, &bad), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uuid),
		cmocka_unit_test(test_timestamp),
		cmocka_unit_test(test_hotline_id),
		cmocka_unit_test(test_case_number_token),
		cmocka_unit_test(test_country),
		cmocka_unit_test(test_url),
		cmocka_unit_test(test_ip),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_hash),
		cmocka_unit_test(test_vocab),
		cmocka_unit_test(test_utf8_count),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
