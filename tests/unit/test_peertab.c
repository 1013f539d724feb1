/*
 * test_peertab -- the live pin table: found, not found, many pins, and why
 * a known pin does not authenticate (retired, disabled peer, expired at
 * its edge: issue 13).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "peertab.h"

#define NOW	((time_t)1800000000)

static void
test_lookup(void **state)
{
	struct peertab *t = peertab_new();
	const char *id;
	char pin[64], pid[32];
	int i;

	(void)state;
	assert_non_null(t);
	assert_int_equal(peertab_check(t, "sha256//x", NOW, &id, NULL),
	    PEERTAB_UNKNOWN);
	assert_null(id);
	for (i = 999; i >= 0; i--) {
		snprintf(pin, sizeof(pin), "sha256//pin-%04d", i);
		snprintf(pid, sizeof(pid), "peer-%d.example", i % 7);
		assert_int_equal(peertab_add(t, pin, pid, PEERTAB_PIN_VALID,
		    0), 0);
	}
	assert_int_equal(peertab_count(t, NOW), 1000);
	assert_int_equal(peertab_check(t, "sha256//pin-0012", NOW, &id, NULL),
	    PEERTAB_OK);
	assert_string_equal(id, "peer-5.example");
	assert_int_equal(peertab_check(t, "sha256//pin-0999", NOW, &id, NULL),
	    PEERTAB_OK);
	assert_string_equal(id, "peer-5.example");
	assert_int_equal(peertab_check(t, "sha256//pin-1000", NOW, &id, NULL),
	    PEERTAB_UNKNOWN);
	assert_null(id);
	assert_int_equal(peertab_check(t, "", NOW, NULL, NULL),
	    PEERTAB_UNKNOWN);
	assert_int_equal(peertab_check(NULL, "sha256//pin-0001", NOW, &id,
	    NULL), PEERTAB_UNKNOWN);
	peertab_free(t);
	peertab_free(NULL);
}

/* One line per case: the pin's state and expiry, the time asked, the
 * verdict and its name. */
static void
test_verdicts(void **state)
{
	static const struct {
		enum peertab_state	 st;
		time_t			 expires;
		time_t			 now;
		enum peertab_verdict	 want;
		const char		*name;
	} cases[] = {
		{ PEERTAB_PIN_VALID, 0, NOW, PEERTAB_OK, "ok" },
		/* A pin outlives no certificate: the second it expires,
		 * it authenticates nobody. */
		{ PEERTAB_PIN_VALID, NOW + 1, NOW, PEERTAB_OK, "ok" },
		{ PEERTAB_PIN_VALID, NOW, NOW, PEERTAB_EXPIRED, "expired pin" },
		{ PEERTAB_PIN_VALID, NOW - 1, NOW, PEERTAB_EXPIRED,
		    "expired pin" },
		{ PEERTAB_PIN_VALID, 1, NOW, PEERTAB_EXPIRED, "expired pin" },
		{ PEERTAB_PIN_RETIRED, 0, NOW, PEERTAB_RETIRED, "retired pin" },
		{ PEERTAB_PIN_RETIRED, NOW - 1, NOW, PEERTAB_RETIRED,
		    "retired pin" },
		{ PEERTAB_PIN_DISABLED, 0, NOW, PEERTAB_DISABLED,
		    "disabled peer" },
		{ PEERTAB_PIN_DISABLED, NOW + 100, NOW, PEERTAB_DISABLED,
		    "disabled peer" },
		{ PEERTAB_PIN_DISABLED, NOW, NOW, PEERTAB_EXPIRED,
		    "expired pin" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct peertab *t = peertab_new();
		enum peertab_verdict v;
		const char *id;
		time_t ex;

		assert_int_equal(peertab_add(t, "sha256//p", "hotline-nl.example",
		    cases[i].st, cases[i].expires), 0);
		v = peertab_check(t, "sha256//p", cases[i].now, &id, &ex);
		printf("case %zu: state %d expires %lld -> %s\n", i,
		    (int)cases[i].st, (long long)cases[i].expires,
		    peertab_verdict_name(v));
		assert_int_equal(v, cases[i].want);
		assert_string_equal(peertab_verdict_name(v), cases[i].name);
		/* Whose pin it is, even when refused: for the log. */
		assert_string_equal(id, "hotline-nl.example");
		assert_int_equal(ex, cases[i].expires);
		assert_int_equal(peertab_count(t, cases[i].now),
		    v == PEERTAB_OK ? 1 : 0);
		peertab_free(t);
	}
	assert_string_equal(peertab_verdict_name(PEERTAB_UNKNOWN),
	    "unknown pin");
}

/* A change of state or expiry is a change of the table (hlxd replaces it
 * and flushes the TLS sessions only then). */
static void
test_equal(void **state)
{
	struct peertab *a = peertab_new(), *b = peertab_new();

	(void)state;
	assert_true(peertab_equal(NULL, NULL));
	assert_true(peertab_equal(a, NULL));
	assert_int_equal(peertab_add(a, "sha256//p", "x.example",
	    PEERTAB_PIN_VALID, NOW), 0);
	assert_int_equal(peertab_add(b, "sha256//p", "x.example",
	    PEERTAB_PIN_VALID, NOW + 1), 0);
	assert_false(peertab_equal(a, b));
	peertab_free(b);
	b = peertab_new();
	assert_int_equal(peertab_add(b, "sha256//p", "x.example",
	    PEERTAB_PIN_RETIRED, NOW), 0);
	assert_false(peertab_equal(a, b));
	peertab_free(b);
	b = peertab_new();
	assert_int_equal(peertab_add(b, "sha256//p", "x.example",
	    PEERTAB_PIN_VALID, NOW), 0);
	assert_true(peertab_equal(a, b));
	peertab_free(a);
	peertab_free(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lookup),
		cmocka_unit_test(test_verdicts),
		cmocka_unit_test(test_equal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
