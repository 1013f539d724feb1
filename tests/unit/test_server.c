/*
 * test_server -- what server.c counts an address as for the per-address
 * cap (server_addr_key): an IPv4 address itself, an IPv6 address its /64,
 * an IPv4-mapped address the IPv4 address; one line per case.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "server.h"

static const struct {
	const char	*addr;
	const char	*key;
} cases[] = {
	{ "192.0.2.1", "192.0.2.1" },
	{ "192.0.2.2", "192.0.2.2" },	/* IPv4: each address apart */
	{ "198.51.100.255", "198.51.100.255" },
	{ "0.0.0.0", "0.0.0.0" },
	{ "255.255.255.255", "255.255.255.255" },
	{ "2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64" },
	{ "2001:db8:1:2::1", "2001:db8:1:2::/64" },	/* same /64 */
	{ "2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64" },
	{ "2001:db8:1:3::1", "2001:db8:1:3::/64" },	/* the next /64 */
	{ "2001:db8::", "2001:db8::/64" },
	{ "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
	    "ffff:ffff:ffff:ffff::/64" },
	{ "::1", "::/64" },
	{ "fe80::1", "fe80::/64" },
	/* a dual-stack socket's IPv4 client: not every IPv4 client at once */
	{ "::ffff:192.0.2.7", "192.0.2.7" },
	{ "::ffff:192.0.2.8", "192.0.2.8" },
	/* IPv4-compatible (deprecated) is no IPv4 address to us */
	{ "::192.0.2.7", "::/64" },
};

static void
test_keys(void **state)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	char key[SERVER_KEY_MAX];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&ss, 0, sizeof(ss));
		if (inet_pton(AF_INET, cases[i].addr, &s4->sin_addr) == 1)
			s4->sin_family = AF_INET;
		else {
			assert_int_equal(inet_pton(AF_INET6, cases[i].addr,
			    &s6->sin6_addr), 1);
			s6->sin6_family = AF_INET6;
			s6->sin6_port = htons(443);
		}
		memset(key, 'x', sizeof(key));
		assert_int_equal(server_addr_key((struct sockaddr *)&ss, key,
		    sizeof(key)), 0);
		printf("%-40s %s\n", cases[i].addr, key);
		assert_string_equal(key, cases[i].key);
	}
}

static void
test_edges(void **state)
{
	struct sockaddr_in6 s6;
	struct sockaddr_un su;
	char key[SERVER_KEY_MAX];

	(void)state;
	/* the longest key there is fits SERVER_KEY_MAX, one byte less not */
	memset(&s6, 0, sizeof(s6));
	s6.sin6_family = AF_INET6;
	assert_int_equal(inet_pton(AF_INET6, "ffff:ffff:ffff:ffff::1",
	    &s6.sin6_addr), 1);
	assert_int_equal(server_addr_key((struct sockaddr *)&s6, key,
	    sizeof(key)), 0);
	assert_int_equal(server_addr_key((struct sockaddr *)&s6, key,
	    strlen("ffff:ffff:ffff:ffff::/64")), -1);
	assert_int_equal(server_addr_key((struct sockaddr *)&s6, key,
	    strlen("ffff:ffff:ffff:ffff::/64") + 1), 0);
	/* another family: no key */
	memset(&su, 0, sizeof(su));
	su.sun_family = AF_UNIX;
	assert_int_equal(server_addr_key((struct sockaddr *)&su, key,
	    sizeof(key)), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_edges),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
