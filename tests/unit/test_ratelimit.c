/*
 * test_ratelimit -- the token bucket of hlxd's per-peer limits (issue 13:
 * [listen] rate_limit_bytes beside rate_limit): a new bucket is full,
 * the burst is its edge, refill is linear in time, a refusal takes
 * nothing and says how long to wait, a cost above the burst passes only
 * from a full bucket and is paid back, a clock going back adds nothing.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "hlx_limits.h"
#include "ratelimit.h"

#define EPS	1e-9

/* rate_limit's way: 50 a second, a burst of 100, cost 1. */
static void
test_messages(void **state)
{
	struct ratelimit b;
	double w = -1;
	int i;

	(void)state;
	memset(&b, 0, sizeof(b));
	for (i = 0; i < 100; i++)
		assert_int_equal(ratelimit_take(&b, 10.0, 50, 100, 1, &w), 1);
	/* the 101st at the same instant: refused, 1/50 s to wait */
	assert_int_equal(ratelimit_take(&b, 10.0, 50, 100, 1, &w), 0);
	assert_true(w > 0.02 - EPS && w < 0.02 + EPS);
	/* a refusal took nothing: just short of 1/50 s later, still no */
	assert_int_equal(ratelimit_take(&b, 10.019, 50, 100, 1, &w), 0);
	assert_int_equal(ratelimit_take(&b, 10.02 + EPS, 50, 100, 1, &w), 1);
	/* a long pause fills it to the burst, not beyond */
	for (i = 0; i < 100; i++)
		assert_int_equal(ratelimit_take(&b, 1000.0, 50, 100, 1, &w), 1);
	assert_int_equal(ratelimit_take(&b, 1000.0, 50, 100, 1, &w), 0);
}

/* Bytes: 1 KiB/s, burst 4 KiB; the wait is for the whole message. */
static void
test_bytes(void **state)
{
	struct ratelimit b;
	double w = -1;

	(void)state;
	memset(&b, 0, sizeof(b));
	assert_int_equal(ratelimit_take(&b, 0, 1024, 4096, 3000, &w), 1);
	/* 1096 left: 2000 needs (2000 - 1096) / 1024 s */
	assert_int_equal(ratelimit_take(&b, 0, 1024, 4096, 2000, &w), 0);
	assert_true(w > 904.0 / 1024 - EPS && w < 904.0 / 1024 + EPS);
	assert_int_equal(ratelimit_retry_after(w), 1);
	assert_int_equal(ratelimit_take(&b, w - 0.001, 1024, 4096, 2000, &w),
	    0);
	assert_int_equal(ratelimit_take(&b, 904.0 / 1024 + EPS, 1024, 4096,
	    2000, &w), 1);
	/* exactly the burst passes from a full bucket, one byte more
	 * passes too (paid back), and then 4 s are owed */
	memset(&b, 0, sizeof(b));
	assert_int_equal(ratelimit_take(&b, 5, 1024, 4096, 4096, &w), 1);
	memset(&b, 0, sizeof(b));
	assert_int_equal(ratelimit_take(&b, 5, 1024, 4096, 4097, &w), 1);
	assert_int_equal(ratelimit_take(&b, 5, 1024, 4096, 1, &w), 0);
	assert_true(w > 2.0 / 1024 - EPS && w < 2.0 / 1024 + EPS);
	/* above the burst, it waits for a full bucket: 1 owed + 4096 */
	assert_int_equal(ratelimit_take(&b, 5, 1024, 4096, 5000, &w), 0);
	assert_true(w > 4097.0 / 1024 - EPS && w < 4097.0 / 1024 + EPS);
	assert_int_equal(ratelimit_retry_after(w), 5);
	assert_int_equal(ratelimit_take(&b, 5 + 4097.0 / 1024 + EPS, 1024,
	    4096, 5000, &w), 1);
	/* ... and then owes 5000 - 4096: 904 + 1 s' worth before 1024 */
	assert_int_equal(ratelimit_take(&b, 5 + 4097.0 / 1024 + EPS, 1024,
	    4096, 1024, &w), 0);
	assert_true(w > 1928.0 / 1024 - 1e-6 && w < 1928.0 / 1024 + 1e-6);
}

static void
test_clock_and_reload(void **state)
{
	struct ratelimit b;
	double w;

	(void)state;
	memset(&b, 0, sizeof(b));
	assert_int_equal(ratelimit_take(&b, 100, 10, 10, 10, &w), 1);
	/* the clock went back: nothing added, and nothing lost later */
	assert_int_equal(ratelimit_take(&b, 50, 10, 10, 1, &w), 0);
	assert_int_equal(ratelimit_take(&b, 50.1 + EPS, 10, 10, 1, &w), 1);
	/* a lower burst (a reload) applies at once */
	memset(&b, 0, sizeof(b));
	assert_int_equal(ratelimit_take(&b, 0, 10, 100, 1, &w), 1);
	assert_int_equal(ratelimit_take(&b, 0, 10, 5, 5, &w), 1);
	assert_int_equal(ratelimit_take(&b, 0, 10, 5, 1, &w), 0);
	/* NULL wait is allowed */
	assert_int_equal(ratelimit_take(&b, 0, 10, 5, 1, NULL), 0);
}

static void
test_retry_after(void **state)
{
	(void)state;
	assert_int_equal(ratelimit_retry_after(0), 1);
	assert_int_equal(ratelimit_retry_after(0.001), 1);
	assert_int_equal(ratelimit_retry_after(1.0), 1);
	assert_int_equal(ratelimit_retry_after(1.0001), 2);
	assert_int_equal(ratelimit_retry_after(HLX_RETRY_AFTER_MAX - 0.5),
	    HLX_RETRY_AFTER_MAX);
	assert_int_equal(ratelimit_retry_after(1e300), HLX_RETRY_AFTER_MAX);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_messages),
		cmocka_unit_test(test_bytes),
		cmocka_unit_test(test_clock_and_reload),
		cmocka_unit_test(test_retry_after),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
