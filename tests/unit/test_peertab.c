/*
 * test_peertab -- the live pin table: found, not found, many pins.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>

#include "peertab.h"

static void
test_lookup(void **state)
{
	struct peertab *t = peertab_new();
	char pin[64], id[32];
	int i;

	(void)state;
	assert_non_null(t);
	assert_null(peertab_find(t, "sha256//x"));
	for (i = 999; i >= 0; i--) {
		snprintf(pin, sizeof(pin), "sha256//pin-%04d", i);
		snprintf(id, sizeof(id), "peer-%d.example", i % 7);
		assert_int_equal(peertab_add(t, pin, id), 0);
	}
	assert_int_equal(peertab_count(t), 1000);
	assert_string_equal(peertab_find(t, "sha256//pin-0012"),
	    "peer-5.example");
	assert_string_equal(peertab_find(t, "sha256//pin-0999"),
	    "peer-5.example");
	assert_null(peertab_find(t, "sha256//pin-1000"));
	assert_null(peertab_find(t, ""));
	assert_null(peertab_find(NULL, "sha256//pin-0001"));
	peertab_free(t);
	peertab_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lookup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
