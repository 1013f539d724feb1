/*
 * test_audit -- the MAC chain's encoding: every field counts, no two
 * entries encode alike, and the MAC is the keyed HMAC-SHA256 of exactly the
 * documented encoding (checked against OpenSSL's one-shot HMAC()).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "audit.h"

static const unsigned char key[AUDIT_KEY_LEN] = "0123456789abcdef0123456789abcdef";

static struct audit_entry
base(void)
{
	struct audit_entry e = { 7, 1764400000, "root", "peer_added",
		"hotline-nl.example", NULL, NULL, "sha256//x", "detail" };
	return e;
}

static void
mac_of(const struct audit_entry *e, const unsigned char *prev,
    unsigned char *out)
{
	assert_int_equal(audit_mac(key, sizeof(key), prev, e, out), 0);
}

static void
test_every_field_counts(void **state)
{
	unsigned char m0[AUDIT_MAC_LEN], m[AUDIT_MAC_LEN];
	unsigned char prev[AUDIT_MAC_LEN] = { 1 };
	struct audit_entry e;
	int i;

	(void)state;
	e = base();
	mac_of(&e, NULL, m0);
	for (i = 0; i < 9; i++) {
		e = base();
		switch (i) {
		case 0: e.seq = 8; break;
		case 1: e.at++; break;
		case 2: e.actor = "hlxd"; break;
		case 3: e.event = "peer_removed"; break;
		case 4: e.peer = NULL; break;
		case 5: e.hcase = ""; break;
		case 6: e.message_id = "m"; break;
		case 7: e.pin = "sha256//y"; break;
		case 8: e.detail = "detail "; break;
		}
		mac_of(&e, NULL, m);
		if (memcmp(m, m0, sizeof(m)) == 0)
			fail_msg("field %d does not change the MAC", i);
	}
	e = base();
	mac_of(&e, prev, m);
	assert_memory_not_equal(m, m0, sizeof(m));
}

static void
test_no_two_encodings_alike(void **state)
{
	unsigned char a[AUDIT_MAC_LEN], b[AUDIT_MAC_LEN];
	struct audit_entry x = base(), y = base();

	(void)state;
	/* Moving text from one field to the next must not collide. */
	x.peer = "ab";
	x.hcase = "c";
	y.peer = "a";
	y.hcase = "bc";
	mac_of(&x, NULL, a);
	mac_of(&y, NULL, b);
	assert_memory_not_equal(a, b, sizeof(a));
	x.peer = "-";
	y.peer = NULL;
	mac_of(&x, NULL, a);
	mac_of(&y, NULL, b);
	assert_memory_not_equal(a, b, sizeof(a));
}

static void
test_known_answer(void **state)
{
	static const char enc[] = "hlx-audit-1\n7\n1764400000\n4:root\n"
	    "10:peer_added\n18:hotline-nl.example\n-\n-\n9:sha256//x\n"
	    "6:detail\n";
	unsigned char msg[AUDIT_MAC_LEN + sizeof(enc)], want[EVP_MAX_MD_SIZE];
	unsigned char got[AUDIT_MAC_LEN];
	unsigned int wlen = 0;
	struct audit_entry e = base();
	char hex[2 * AUDIT_MAC_LEN + 1];

	(void)state;
	memset(msg, 0, AUDIT_MAC_LEN);
	memcpy(msg + AUDIT_MAC_LEN, enc, sizeof(enc) - 1);
	assert_non_null(HMAC(EVP_sha256(), key, sizeof(key), msg,
	    AUDIT_MAC_LEN + sizeof(enc) - 1, want, &wlen));
	assert_int_equal(wlen, AUDIT_MAC_LEN);
	mac_of(&e, NULL, got);
	assert_memory_equal(got, want, AUDIT_MAC_LEN);
	audit_hex(got, hex);
	assert_int_equal(strlen(hex), 64);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_field_counts),
		cmocka_unit_test(test_no_two_encodings_alike),
		cmocka_unit_test(test_known_answer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
