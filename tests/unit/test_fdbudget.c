/*
 * test_fdbudget -- hlxd's descriptor budget (issue 13): the sum at the
 * defaults and its parts, each cap counted; RLIMIT_NOFILE enough, a soft
 * limit raised to the hard one, -n that only looks, and a hard limit one
 * short of the budget refused with the numbers.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>
#include <sys/resource.h>

#include "fdbudget.h"
#include "hlx_limits.h"

static void
conf_default_caps(struct conf *c)
{
	memset(c, 0, sizeof(*c));
	c->max_connections = 512;
	c->max_handshakes = 128;
}

static void
test_need(void **state)
{
	struct conf c;
	struct fdbudget b;

	(void)state;
	conf_default_caps(&c);
	fdbudget_need(&c, 272, &b);
	assert_int_equal(b.fb_partner, 1 + 128 + 2 * 512);
	assert_int_equal(b.fb_admin, 1 + HLX_ADMIN_CONNECTIONS_MAX);
	assert_int_equal(b.fb_delivery, 272 * HLX_FDS_PER_TRANSFER);
	assert_int_equal(b.fb_store, HLX_FDS_STORE);
	assert_int_equal(b.fb_handoff, HLX_FDS_HANDOFF);
	assert_int_equal(b.fb_margin, HLX_FDS_MARGIN);
	assert_int_equal(b.fb_total, 1153 + 17 + 816 + HLX_FDS_STORE +
	    HLX_FDS_HANDOFF + HLX_FDS_MARGIN);
	/* each cap counts: one more handshake, one more connection */
	c.max_handshakes++;
	fdbudget_need(&c, 272, &b);
	assert_int_equal(b.fb_partner, 1 + 129 + 2 * 512);
	c.max_connections++;
	fdbudget_need(&c, 0, &b);
	assert_int_equal(b.fb_partner, 1 + 129 + 2 * 513);
	assert_int_equal(b.fb_delivery, 0);
}

/* The last test: it lowers this process's hard limit for good. */
static void
test_apply(void **state)
{
	struct conf c;
	struct fdbudget b;
	struct rlimit rl, now;
	unsigned long soft, hard;
	char line[600];

	(void)state;
	conf_default_caps(&c);
	c.max_connections = 100;
	c.max_handshakes = 25;
	fdbudget_need(&c, 10, &b);
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < b.fb_total + 10)
		skip();
	/* hard = total + 10, soft = total - 1: raised to the hard one */
	rl.rlim_max = b.fb_total + 10;
	rl.rlim_cur = b.fb_total - 1;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &rl), 0);
	/* -n only looks */
	assert_int_equal(fdbudget_apply(&b, 0, &soft, &hard, line,
	    sizeof(line)), FDBUDGET_OK);
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &now), 0);
	assert_int_equal(now.rlim_cur, b.fb_total - 1);
	assert_int_equal(fdbudget_apply(&b, 1, &soft, &hard, line,
	    sizeof(line)), FDBUDGET_RAISED);
	assert_int_equal(soft, b.fb_total - 1);
	assert_int_equal(hard, b.fb_total + 10);
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &now), 0);
	assert_int_equal(now.rlim_cur, b.fb_total + 10);
	assert_non_null(strstr(line, "raised"));
	/* soft exactly the budget: nothing to do */
	rl.rlim_cur = b.fb_total;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &rl), 0);
	assert_int_equal(fdbudget_apply(&b, 1, &soft, &hard, line,
	    sizeof(line)), FDBUDGET_OK);
	assert_string_equal(line, "");
	/* hard one short of it: refused, the numbers named */
	rl.rlim_max = rl.rlim_cur = b.fb_total - 1;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &rl), 0);
	assert_int_equal(fdbudget_apply(&b, 1, &soft, &hard, line,
	    sizeof(line)), FDBUDGET_SHORT);
	assert_non_null(strstr(line, "partner listener 226"));
	assert_non_null(strstr(line, "hard limit of open files "
	    "(RLIMIT_NOFILE"));
	assert_non_null(strstr(line, "max_connections"));
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &now), 0);
	assert_int_equal(now.rlim_cur, b.fb_total - 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_need),
		cmocka_unit_test(test_apply),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
