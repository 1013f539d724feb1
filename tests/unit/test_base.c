/*
 * test_base -- the base layer: arena ceilings, log escaping, uuids.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "arena.h"
#include "log.h"
#include "types.h"
#include "util.h"

static void
test_arena(void **state)
{
	struct arena *a = arena_new(64 * 1024);
	char *s, *big;
	size_t i;

	(void)state;
	assert_non_null(a);
	s = arena_strdup(a, "hotline");
	assert_string_equal(s, "hotline");
	assert_non_null(arena_strndup(a, "abcdef", 3));
	for (i = 0; i < 100; i++)
		assert_non_null(arena_alloc(a, 100));
	/* A large allocation gets its own block; past the ceiling: NULL,
	 * and the arena stays usable. */
	big = arena_alloc(a, 40 * 1024);
	assert_non_null(big);
	memset(big, 1, 40 * 1024);
	assert_null(arena_alloc(a, 40 * 1024));
	assert_non_null(arena_alloc(a, 8));
	assert_string_equal(s, "hotline");
	arena_free(a);
	arena_free(NULL);
}

static void
test_log_escape(void **state)
{
	char buf[16];

	(void)state;
	assert_string_equal(log_escape(buf, sizeof(buf), "plain"), "plain");
	assert_string_equal(log_escape(buf, sizeof(buf), "a\nb\"c"),
	    "a\\x0ab\\x22c");
	assert_string_equal(log_escape(buf, sizeof(buf), "\x1b[31mred"),
	    "\\x1b[31mred");
	assert_string_equal(log_escape(buf, sizeof(buf),
	    "a very long partner string"), "a very long ...");
	assert_int_equal(strlen(buf), sizeof(buf) - 1);
}

static void
test_log_level(void **state)
{
	enum log_level l;

	(void)state;
	assert_int_equal(log_level_parse("warn", &l), 0);
	assert_int_equal(l, LOG_LEVEL_WARN);
	assert_int_equal(log_level_parse("verbose", &l), -1);
}

static void
test_uuid4(void **state)
{
	char a[40], b[40];

	(void)state;
	assert_int_equal(util_uuid4(a, sizeof(a)), 0);
	assert_int_equal(util_uuid4(b, sizeof(b)), 0);
	assert_null(type_check_uuid(a));
	assert_int_equal(a[14], '4');
	assert_true(strchr("89ab", a[19]) != NULL);
	assert_string_not_equal(a, b);
	assert_int_equal(util_uuid4(a, 36), -1);
	assert_int_equal(util_now_timestamp(a, sizeof(a)), 0);
	assert_null(type_check_timestamp(a));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_arena),
		cmocka_unit_test(test_log_escape),
		cmocka_unit_test(test_log_level),
		cmocka_unit_test(test_uuid4),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
