/*
 * test_store -- the store: creation and file modes, schema versions, the
 * peer rules inside transactions, the audit chain against tampering, and a
 * busy store answered as a temporary failure.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store.h"
#include "store_sql.h"

static char dir[64], db[128], key[128];

static const char pin_a[] = "sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
static const char pin_b[] = "sha256//BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBA=";
static const char pin_c[] = "sha256//CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCA=";

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/hlx-test-store-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(db, sizeof(db), "%s/hlx.db", dir);
	snprintf(key, sizeof(key), "%s/audit.key", dir);
	return 0;
}

static int
teardown(void **state)
{
	char cmd[160];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static struct store *
open_ok(void)
{
	struct store *st = NULL;
	struct store_err err;

	if (store_open(&st, db, key, "tester", &err) == -1)
		fail_msg("store_open: %s", err.msg);
	return st;
}

/* Raw SQL on the file, as an attacker or an old version would. */
static void
raw(const char *sql)
{
	sqlite3 *h;
	char *msg = NULL;

	assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
	if (sqlite3_exec(h, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", sql, msg);
	sqlite3_close(h);
}

static void
test_create_and_modes(void **state)
{
	struct store *st;
	struct stat sb;

	(void)state;
	umask(077);
	st = open_ok();
	store_close(st);
	assert_int_equal(stat(db, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(stat(key, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(sb.st_size, AUDIT_KEY_LEN);
	/* Opening again migrates nothing and keeps the key. */
	st = open_ok();
	store_close(st);
}

static void
expect_open_fails(enum store_rc rc, const char *text)
{
	struct store *st = NULL;
	struct store_err err;

	assert_int_equal(store_open(&st, db, key, "tester", &err), -1);
	assert_null(st);
	if (err.rc != rc || strstr(err.msg, text) == NULL)
		fail_msg("expected rc %d \"%s\", got rc %d \"%s\"", rc, text,
		    err.rc, err.msg);
}

static void
test_refusals_at_open(void **state)
{
	FILE *f;

	(void)state;
	store_close(open_ok());
	chmod(db, 0644);
	expect_open_fails(STORE_PERM, "mode 0644 is too open");
	chmod(db, 0600);
	chmod(key, 0640);
	expect_open_fails(STORE_PERM, "audit key");
	chmod(key, 0600);
	f = fopen(key, "w");
	assert_non_null(f);
	fputs("short", f);
	fclose(f);
	expect_open_fails(STORE_FAIL, "5 bytes, expected 32");
	unlink(key);
	raw("PRAGMA user_version = 99");
	expect_open_fails(STORE_TOO_NEW, "schema version 99 is newer");
	raw("PRAGMA user_version = 3");
	store_close(open_ok());
}

static int
add(struct store *st, const char *id, const char *country, const char *pin,
    int route, struct store_err *err)
{
	struct store_pin p = { .pin = pin };
	const char *c[1] = { country };
	int rc;

	if (store_begin(st, err) == -1)
		return -1;
	rc = store_peer_add(st, id, "https://127.0.0.1:8444", c, 1, &p, route,
	    err);
	if (rc == 0)
		return store_commit(st, err);
	store_rollback(st);
	return -1;
}

static const char *
route_of(struct store *st, const char *id, size_t k)
{
	static char buf[8];
	struct store_peer_list l;
	struct store_err err;

	assert_int_equal(store_peer_list(st, id, &l, &err), 0);
	buf[0] = '\0';
	if (k < l.peers[0].nroutes)
		snprintf(buf, sizeof(buf), "%s", l.peers[0].routes[k]);
	store_peer_list_free(&l);
	return buf;
}

static void
test_peer_rules(void **state)
{
	struct store *st = open_ok();
	struct store_err err;
	struct store_pin pc = { .pin = pin_c };
	struct store_peer_list l;

	(void)state;
	assert_int_equal(add(st, "nl.example", "NL", pin_a, 0, &err), 0);
	/* second peer for NL: accepted, not the route */
	assert_int_equal(add(st, "nl2.example", "NL", pin_b, 0, &err), 0);
	assert_string_equal(route_of(st, "nl.example", 0), "NL");
	assert_string_equal(route_of(st, "nl2.example", 0), "");
	/* a pin belongs to one peer only */
	assert_int_equal(add(st, "x.example", "DE", pin_a, 0, &err), -1);
	assert_int_equal(err.rc, STORE_REFUSED);
	assert_non_null(strstr(err.msg, "belongs to peer nl.example"));
	/* nothing of the refused command is left */
	assert_int_equal(store_peer_list(st, "x.example", &l, &err), -1);
	assert_int_equal(err.rc, STORE_NOTFOUND);
	/* the last pin of an enabled peer stays */
	assert_int_equal(store_begin(st, &err), 0);
	assert_int_equal(store_peer_pin_retire(st, "nl.example", pin_a, &err),
	    -1);
	assert_int_equal(err.rc, STORE_REFUSED);
	assert_int_equal(store_peer_pin_add(st, "nl.example", &pc, &err), 0);
	assert_int_equal(store_peer_pin_retire(st, "nl.example", pin_a, &err),
	    0);
	assert_int_equal(store_peer_route(st, "NL", "nl2.example", &err), 0);
	assert_int_equal(store_commit(st, &err), 0);
	assert_string_equal(route_of(st, "nl2.example", 0), "NL");
	assert_string_equal(route_of(st, "nl.example", 0), "");
	/* remove: refused while undelivered, then a tombstone */
	raw("INSERT INTO outbox (message_id, peer, type, body, state, "
	    "created_at) VALUES ('m-1', 'nl2.example', 'Referral', x'00', "
	    "'dead', 1)");
	assert_int_equal(store_begin(st, &err), 0);
	assert_int_equal(store_peer_remove(st, "nl2.example", &err), -1);
	assert_int_equal(err.rc, STORE_REFUSED);
	assert_non_null(strstr(err.msg, "1 message to nl2.example is not "
	    "delivered"));
	store_rollback(st);
	raw("UPDATE outbox SET state = 'delivered'");
	assert_int_equal(store_begin(st, &err), 0);
	assert_int_equal(store_peer_remove(st, "nl2.example", &err), 0);
	assert_int_equal(store_commit(st, &err), 0);
	assert_int_equal(store_peer_list(st, "nl2.example", &l, &err), 0);
	assert_true(l.peers[0].removed_at != 0);
	assert_int_equal(l.peers[0].nroutes, 0);
	assert_true(l.peers[0].pins[0].retired_at != 0);
	store_peer_list_free(&l);
	assert_int_equal(store_peer_list(st, NULL, &l, &err), 0);
	assert_int_equal(l.n, 1);
	store_peer_list_free(&l);
	store_close(st);
}

static int64_t
verify(struct store *st)
{
	struct store_audit_verdict v;
	struct store_err err;

	assert_int_equal(store_audit_verify(st, &v, &err), 0);
	return v.bad_seq;
}

static void
test_audit_chain(void **state)
{
	struct store *st = open_ok();
	struct store_err err;
	struct store_audit_list l;
	int i;

	(void)state;
	/* never outside a transaction */
	assert_int_equal(store_audit(st, "x", NULL, NULL, NULL, NULL, NULL,
	    &err), -1);
	assert_int_equal(store_begin(st, &err), 0);
	for (i = 0; i < 5; i++)
		assert_int_equal(store_audit(st, "test_event", "p.example",
		    "C-1", NULL, NULL, "d", &err), 0);
	assert_int_equal(store_commit(st, &err), 0);
	assert_int_equal(verify(st), 0);
	assert_int_equal(store_audit_list(st, "p.example", NULL, &l, &err), 0);
	assert_int_equal(l.n, 5);
	assert_string_equal(l.rows[0].actor, "tester");
	store_audit_list_free(&l);
	store_close(st);

	raw("UPDATE audit SET detail = 'e' WHERE seq = (SELECT max(seq) - 2 "
	    "FROM audit)");
	st = open_ok();
	assert_true(verify(st) > 0);
	store_close(st);
}

static void
test_busy_is_temporary(void **state)
{
	struct store *st = open_ok();
	struct store_err err;
	sqlite3 *h;

	(void)state;
	assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
	assert_int_equal(sqlite3_exec(h, "BEGIN IMMEDIATE", NULL, NULL, NULL),
	    SQLITE_OK);
	assert_int_equal(store_begin(st, &err), -1);
	assert_int_equal(err.rc, STORE_BUSY);
	sqlite3_exec(h, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(h);
	assert_int_equal(store_begin(st, &err), 0);
	store_rollback(st);
	store_close(st);
}

/* A store of version 1 (issues 2-5) is migrated to version 2 on open,
 * keeping its rows; opening it again migrates nothing twice. */
static void
test_migration_from_v1(void **state)
{
	struct store *st;
	sqlite3 *h;
	sqlite3_stmt *s;

	(void)state;
	unlink(db);
	assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
	assert_int_equal(sqlite3_exec(h, store_sql, NULL, NULL, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_exec(h, "PRAGMA user_version = 1; "
	    "INSERT INTO hcase (issuer, number, origin, country, received_at, "
	    "created_at) VALUES ('hotline-be.example', 'CF-OLD-1', 'ours', "
	    "'NL', '2026-01-02T03:04:05Z', 1)", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
	chmod(db, 0600);
	store_close(open_ok());
	store_close(st = open_ok());
	assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(h, "SELECT (SELECT user_version "
	    "FROM pragma_user_version), (SELECT count(*) FROM hcase WHERE "
	    "number = 'CF-OLD-1' AND closed_at IS NULL), (SELECT count(*) "
	    "FROM case_state)", -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(s, 0), STORE_SCHEMA_VERSION);
	assert_int_equal(STORE_SCHEMA_VERSION, 3);
	assert_int_equal(sqlite3_column_int(s, 1), 1);
	assert_int_equal(sqlite3_column_int(s, 2), 0);
	sqlite3_finalize(s);
	sqlite3_close(h);
}

/* A store of version 2 is migrated to version 3 (issue 13): a pin added
 * from a certificate takes that certificate's notAfter as its expiry; a
 * bare pin has none.  Its rows stay; opening again migrates nothing. */
static void
test_migration_from_v2(void **state)
{
	struct store_peer_list l;
	struct store_err err;
	struct store *st;
	sqlite3 *h;
	size_t i;

	(void)state;
	unlink(db);
	assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
	assert_int_equal(sqlite3_exec(h, store_sql, NULL, NULL, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_exec(h, store_sql_2, NULL, NULL, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_exec(h, "PRAGMA user_version = 2; "
	    "INSERT INTO peer (id, url, created_at) VALUES "
	    "('nl.example', 'https://127.0.0.1:8444', 1); "
	    "INSERT INTO pin (pin, peer, subject, not_before, not_after, "
	    "added_at) VALUES ('sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	    "AAAAA=', 'nl.example', 'CN=nl.example', 1000, 2000000000, 1), "
	    "('sha256//BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBA=', "
	    "'nl.example', NULL, NULL, NULL, 2)", NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(h);
	chmod(db, 0600);
	store_close(open_ok());
	st = open_ok();
	assert_int_equal(store_peer_list(st, "nl.example", &l, &err), 0);
	assert_int_equal(l.peers[0].npins, 2);
	for (i = 0; i < 2; i++) {
		const struct store_pin *q = &l.peers[0].pins[i];

		if (q->subject != NULL) {
			assert_int_equal(q->not_after, 2000000000);
			assert_int_equal(q->expires_at, 2000000000);
		} else
			assert_int_equal(q->expires_at, 0);
	}
	store_peer_list_free(&l);
	store_close(st);
	assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
	assert_int_equal(sqlite3_exec(h, "SELECT expires_at FROM pin", NULL,
	    NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
}

static time_t
expiry_of(struct store *st, const char *peer, const char *pin)
{
	struct store_peer_list l;
	struct store_err err;
	time_t t = -1;
	size_t i;

	assert_int_equal(store_peer_list(st, peer, &l, &err), 0);
	for (i = 0; i < l.peers[0].npins; i++)
		if (strcmp(l.peers[0].pins[i].pin, pin) == 0)
			t = l.peers[0].pins[i].expires_at;
	store_peer_list_free(&l);
	return t;
}

static int
pin_add(struct store *st, const char *peer, const struct store_pin *p,
    struct store_err *err)
{
	if (store_begin(st, err) == -1)
		return -1;
	if (store_peer_pin_add(st, peer, p, err) == -1) {
		store_rollback(st);
		return -1;
	}
	return store_commit(st, err);
}

/* A pin's expiry (issue 13): a certificate's notAfter, or the operator's;
 * a renewal over the same key takes the new one. */
static void
test_pin_expiry(void **state)
{
	struct store *st;
	struct store_err err;
	struct store_pin cert = { .pin = pin_b, .subject = "CN=nl.example",
	    .not_before = 1000, .not_after = 2000000000 };
	struct store_pin bare = { .pin = pin_c, .expires_at = 1900000000 };
	struct store_pin again = { .pin = pin_a };

	(void)state;
	unlink(db);
	st = open_ok();
	assert_int_equal(add(st, "nl.example", "NL", pin_a, 0, &err), 0);
	assert_int_equal(expiry_of(st, "nl.example", pin_a), 0);
	assert_int_equal(pin_add(st, "nl.example", &cert, &err), 0);
	assert_int_equal(expiry_of(st, "nl.example", pin_b), 2000000000);
	assert_int_equal(pin_add(st, "nl.example", &bare, &err), 0);
	assert_int_equal(expiry_of(st, "nl.example", pin_c), 1900000000);
	/* The same key again, with nothing new: refused as before. */
	assert_int_equal(pin_add(st, "nl.example", &again, &err), -1);
	assert_int_equal(err.rc, STORE_REFUSED);
	assert_non_null(strstr(err.msg, "already a valid pin"));
	/* A new certificate over the same key renews the pin. */
	cert.not_after = 2100000000;
	assert_int_equal(pin_add(st, "nl.example", &cert, &err), 0);
	assert_int_equal(expiry_of(st, "nl.example", pin_b), 2100000000);
	/* --pin --expires over a pin without expiry gives it one. */
	again.expires_at = 1950000000;
	assert_int_equal(pin_add(st, "nl.example", &again, &err), 0);
	assert_int_equal(expiry_of(st, "nl.example", pin_a), 1950000000);
	store_close(st);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_and_modes),
		cmocka_unit_test(test_refusals_at_open),
		cmocka_unit_test(test_peer_rules),
		cmocka_unit_test(test_audit_chain),
		cmocka_unit_test(test_busy_is_temporary),
		cmocka_unit_test(test_migration_from_v1),
		cmocka_unit_test(test_migration_from_v2),
		cmocka_unit_test(test_pin_expiry),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
