/*
 * test_conf -- the hlx.conf parser (src/conf.c, operations.md §1).
 *
 * Table-driven where the cases are alike: an input and the exact error lines
 * it must give, line numbers included, because an operator fixing a file at
 * 3 a.m. goes by them.  Every limit is tested at its edge and one past it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "conf.h"

#define FILE_NAME	"t.conf"
#define BASE_DIR	"/etc/hlx"

/* The minimal valid file: three lines, so added lines start at 4. */
#define HEAD	"[hotline]\nid = hotline-be.example\ncountry = BE\n"

/* operations.md §1, verbatim. */
static const char sample[] =
	"[hotline]\n"
	"id = hotline-be.example          ; this hotline's id"
	    " (protocol.md)\n"
	"country = BE                     ; our country, announced"
	    " in Capabilities\n"
	"receive_for = BE                 ; countries (or *)"
	    " partners may refer content to us for;\n"
	"                                 ; a case hosted in one of"
	    " them is a domestic hand-off\n"
	"case_prefix = IN-                ; our numbers for received"
	    " cases: IN-2026-000088\n"
	"\n"
	"[listen]\n"
	"address = 0.0.0.0:8443           ; partner-facing"
	    " mutual-TLS listener\n"
	"max_message_bytes = 4194304      ; every valid message fits"
	    " in 4 MiB\n"
	"max_connections = 512\n"
	"max_connections_per_ip = 64\n"
	"handshake_timeout = 10s\n"
	"header_timeout = 10s\n"
	"body_timeout = 30s\n"
	"rate_limit = 50                  ; messages per second per"
	    " peer (burst: 2 s worth)\n"
	"\n"
	"[tls]\n"
	"cert = /etc/hlx/tls/hotline.crt\n"
	"key = /etc/hlx/tls/hotline.key   ; refused if group or"
	    " others can read it\n"
	";ca = /etc/hlx/tls/network-ca.pem ; optional chain check,"
	    " in addition to pins\n"
	"\n"
	"[storage]\n"
	"path = /var/lib/hlx/hlx.db       ; the embedded store;"
	    " created on first use\n"
	"audit_key = /var/lib/hlx/audit.key ; HMAC key of the audit"
	    " trail; created on first use\n"
	"min_free = 1G                    ; below this free disk,"
	    " partners get 503\n"
	"\n"
	"[daemon]\n"
	";user = hlx                      ; started as root: drop to"
	    " this user after binding\n"
	"\n"
	"[log]\n"
	"level = info                     ; debug, info, warn, error\n"
	"\n"
	"[admin]\n"
	"address = 127.0.0.1:9443         ; local plain-HTTP"
	    " listener: /metrics, /healthz\n"
	";allow_remote = no               ; a non-loopback address"
	    " is refused unless yes\n"
	"\n"
	"[delivery]\n"
	"max_age = 7d\n"
	"backoff_min = 30s\n"
	"backoff_max = 1h\n"
	"connect_timeout = 10s\n"
	"timeout = 60s\n"
	"connections_per_peer = 4\n"
	"\n"
	"[handoff]\n"
	"dir = /var/spool/hlx/handoff     ; hand-off records for the"
	    " case system\n"
	"deadline_critical = 2h\n"
	"deadline_high = 24h\n"
	"deadline_medium = 72h\n"
	"deadline_low = 7d\n"
    ;

static int
parse_len(struct conf *c, struct conf_errors *e, const char *base,
    const char *text, size_t len)
{
	return conf_parse(c, FILE_NAME, base, text, len, e);
}

static int
parse(struct conf *c, struct conf_errors *e, const char *text)
{
	return parse_len(c, e, BASE_DIR, text, strlen(text));
}

/* After a failure the struct must be empty, so that conf_free() is safe. */
static void
assert_conf_empty(const struct conf *c)
{
	static const struct conf zero;

	assert_memory_equal(c, &zero, sizeof(zero));
}

static void
print_errors(const char *name, const struct conf_errors *e)
{
	size_t i;

	for (i = 0; i < e->count; i++)
		print_message("%s: got  %s\n", name, e->lines[i]);
}

/* Parses text and expects exactly the error lines want (NULL-terminated). */
static void
expect_errors_len(const char *name, const char *base, const char *text,
    size_t len, const char *const *want)
{
	struct conf c;
	struct conf_errors e;
	size_t n, i;
	int rc;

	for (n = 0; want[n] != NULL; n++)
		continue;
	rc = parse_len(&c, &e, base, text, len);
	if (rc != -1 || e.count != n)
		print_errors(name, &e);
	assert_int_equal(rc, -1);
	assert_conf_empty(&c);
	assert_int_equal(e.count, n);
	assert_int_equal(e.total, n);
	for (i = 0; i < n; i++) {
		if (strcmp(e.lines[i], want[i]) != 0)
			print_message("%s: want %s\n%s: got  %s\n", name,
			    want[i], name, e.lines[i]);
		assert_string_equal(e.lines[i], want[i]);
	}
	print_message("ok   %s\n", name);
	conf_free(&c);
	conf_errors_free(&e);
}

static void
expect_errors(const char *name, const char *text, const char *const *want)
{
	expect_errors_len(name, BASE_DIR, text, strlen(text), want);
}

/* Parses text and expects success; the caller checks and frees c. */
static void
expect_ok(const char *name, struct conf *c, const char *text)
{
	struct conf_errors e;
	int rc;

	rc = parse(c, &e, text);
	if (rc != 0)
		print_errors(name, &e);
	assert_int_equal(rc, 0);
	assert_int_equal(e.count, 0);
	assert_int_equal(e.total, 0);
	assert_null(e.lines);
	conf_errors_free(&e);
}

static void
check_defaults_except_hotline(const struct conf *c)
{
	assert_string_equal(c->case_prefix, "IN-");
	assert_string_equal(c->listen.host, "0.0.0.0");
	assert_int_equal(c->listen.port, 8443);
	assert_int_equal(c->listen.family, AF_INET);
	assert_int_equal(c->max_message_bytes, 4194304);
	assert_int_equal(c->max_connections, 512);
	assert_int_equal(c->max_connections_per_ip, 64);
	assert_int_equal(c->max_handshakes, 128);	/* 512 / 4 */
	assert_int_equal(c->handshake_timeout, 10);
	assert_int_equal(c->header_timeout, 10);
	assert_int_equal(c->body_timeout, 30);
	assert_int_equal(c->rate_limit, 50);
	assert_int_equal(c->rate_limit_bytes, 256 * 1024);	/* default */
	assert_string_equal(c->tls_cert, "/etc/hlx/tls/hotline.crt");
	assert_string_equal(c->tls_key, "/etc/hlx/tls/hotline.key");
	assert_null(c->tls_ca);
	assert_string_equal(c->store_path, "/var/lib/hlx/hlx.db");
	assert_string_equal(c->audit_key, "/var/lib/hlx/audit.key");
	assert_int_equal(c->min_free, 1024UL * 1024 * 1024);
	assert_null(c->user);
	assert_int_equal(c->log_level, LOG_LEVEL_INFO);
	assert_string_equal(c->admin.host, "127.0.0.1");
	assert_int_equal(c->admin.port, 9443);
	assert_int_equal(c->admin.family, AF_INET);
	assert_int_equal(c->admin_allow_remote, 0);
	assert_int_equal(c->max_age, 7 * 86400);
	assert_int_equal(c->backoff_min, 30);
	assert_int_equal(c->backoff_max, 3600);
	assert_int_equal(c->connect_timeout, 10);
	assert_int_equal(c->delivery_timeout, 60);
	assert_int_equal(c->connections_per_peer, 4);
	assert_string_equal(c->handoff_dir, "/var/spool/hlx/handoff");
	assert_int_equal(c->deadline_critical, 2 * 3600);
	assert_int_equal(c->deadline_high, 24 * 3600);
	assert_int_equal(c->deadline_medium, 72 * 3600);
	assert_int_equal(c->deadline_low, 7 * 86400);
}

static void
test_sample(void **state)
{
	struct conf c;

	(void)state;
	expect_ok("sample", &c, sample);
	assert_string_equal(c.hotline_id, "hotline-be.example");
	assert_string_equal(c.country, "BE");
	assert_int_equal(c.receive_any, 0);
	assert_int_equal(c.receive_for_count, 1);
	assert_string_equal(c.receive_for[0], "BE");
	/* The sample spells out every default. */
	check_defaults_except_hotline(&c);
	assert_true(conf_receives_for(&c, "BE"));
	assert_false(conf_receives_for(&c, "NL"));
	assert_false(conf_receives_for(&c, NULL));
	conf_free(&c);
	assert_conf_empty(&c);
}

static void
test_defaults(void **state)
{
	struct conf c;

	(void)state;
	expect_ok("defaults", &c, HEAD);
	assert_string_equal(c.hotline_id, "hotline-be.example");
	assert_string_equal(c.country, "BE");
	/* receive_for defaults to country. */
	assert_int_equal(c.receive_any, 0);
	assert_int_equal(c.receive_for_count, 1);
	assert_string_equal(c.receive_for[0], "BE");
	check_defaults_except_hotline(&c);
	conf_free(&c);
	conf_free(&c);		/* twice is fine: the struct is zeroed */
	conf_free(NULL);
	conf_errors_free(NULL);
}

/* Every key set to a value other than its default, in an odd order. */
static void
test_every_key(void **state)
{
	struct conf c;

	(void)state;
	expect_ok("every key", &c,
	    "[handoff]\n"
	    "deadline_low = 14d\n"
	    "dir = spool\n"
	    "deadline_critical = 1h\n"
	    "deadline_high = 12h\n"
	    "deadline_medium = 2d\n"
	    "[hotline]\n"
	    "case_prefix = BE.IN:\n"
	    "receive_for = BE, LU\n"
	    "country = BE\n"
	    "id = a\n"
	    "[listen]\n"
	    "address = [::]:443\n"
	    "max_message_bytes = 8M\n"
	    "max_connections = 100\n"
	    "max_connections_per_ip = 100\n"
	    "max_handshakes = 30\n"
	    "handshake_timeout = 5s\n"
	    "header_timeout = 6s\n"
	    "body_timeout = 2m\n"
	    "rate_limit = 1000000\n"
	    "rate_limit_bytes = 1G\n"
	    "[tls]\n"
	    "cert = tls/a.crt\n"
	    "key = /k/a.key\n"
	    "ca = ca.pem\n"
	    "[storage]\n"
	    "path = /db\n"
	    "audit_key = audit\n"
	    "min_free = 0\n"
	    "[daemon]\n"
	    "user = _hlx\n"
	    "[log]\n"
	    "level = debug\n"
	    "[admin]\n"
	    "address = [::1]:0\n"
	    "allow_remote = false\n"
	    "[delivery]\n"
	    "max_age = 30d\n"
	    "backoff_min = 1m\n"
	    "backoff_max = 1m\n"
	    "connect_timeout = 3s\n"
	    "timeout = 90s\n"
	    "connections_per_peer = 64\n");
	assert_int_equal(c.deadline_low, 14 * 86400);
	assert_string_equal(c.handoff_dir, "/etc/hlx/spool");
	assert_int_equal(c.deadline_critical, 3600);
	assert_int_equal(c.deadline_high, 12 * 3600);
	assert_int_equal(c.deadline_medium, 2 * 86400);
	assert_string_equal(c.case_prefix, "BE.IN:");
	assert_int_equal(c.receive_for_count, 2);
	assert_string_equal(c.receive_for[0], "BE");
	assert_string_equal(c.receive_for[1], "LU");
	assert_string_equal(c.hotline_id, "a");
	assert_string_equal(c.listen.host, "::");
	assert_int_equal(c.listen.port, 443);
	assert_int_equal(c.listen.family, AF_INET6);
	assert_int_equal(c.max_message_bytes, 8 << 20);
	assert_int_equal(c.max_connections, 100);
	assert_int_equal(c.max_connections_per_ip, 100);
	assert_int_equal(c.max_handshakes, 30);
	assert_int_equal(c.handshake_timeout, 5);
	assert_int_equal(c.header_timeout, 6);
	assert_int_equal(c.body_timeout, 120);
	assert_int_equal(c.rate_limit, 1000000);
	assert_int_equal(c.rate_limit_bytes, 1 << 30);
	assert_string_equal(c.tls_cert, "/etc/hlx/tls/a.crt");
	assert_string_equal(c.tls_key, "/k/a.key");
	assert_string_equal(c.tls_ca, "/etc/hlx/ca.pem");
	assert_string_equal(c.store_path, "/db");
	assert_string_equal(c.audit_key, "/etc/hlx/audit");
	assert_int_equal(c.min_free, 0);
	assert_string_equal(c.user, "_hlx");
	assert_int_equal(c.log_level, LOG_LEVEL_DEBUG);
	assert_string_equal(c.admin.host, "::1");
	assert_int_equal(c.admin.port, 0);
	assert_int_equal(c.admin.family, AF_INET6);
	assert_int_equal(c.admin_allow_remote, 0);
	assert_int_equal(c.max_age, 30 * 86400);
	assert_int_equal(c.backoff_min, 60);
	assert_int_equal(c.backoff_max, 60);
	assert_int_equal(c.connect_timeout, 3);
	assert_int_equal(c.delivery_timeout, 90);
	assert_int_equal(c.connections_per_peer, 64);
	assert_true(conf_receives_for(&c, "LU"));
	assert_false(conf_receives_for(&c, "NL"));
	conf_free(&c);
}

struct err_case {
	const char	*name;
	const char	*input;
	const char	*want[6];
};

static const struct err_case err_cases[] = {
	/* Structure. */
	{ "unknown section, its keys not reported", HEAD "[foo]\nbar = 1\n",
	    { "t.conf:4: unknown section [foo]" } },
	{ "unknown section escaped", HEAD "[f\"\xc3\xa9]\n",
	    { "t.conf:4: unknown section [f\\x22\\xc3\\xa9]" } },
	{ "unknown key", HEAD "[listen]\nfoo = 1\n",
	    { "t.conf:5: unknown key \"foo\" in [listen]" } },
	{ "unknown key escaped", HEAD "f\"o = 1\n",
	    { "t.conf:4: unknown key \"f\\x22o\" in [hotline]" } },
	{ "key of another section", HEAD "rate_limit = 1\n",
	    { "t.conf:4: unknown key \"rate_limit\" in [hotline]" } },
	{ "keys are case-sensitive", HEAD "[log]\nLevel = info\n",
	    { "t.conf:5: unknown key \"Level\" in [log]" } },
	{ "key outside any section",
	    "id = x\n[hotline]\nid = hotline-be.example\ncountry = BE\n",
	    { "t.conf:1: key \"id\" outside any section" } },
	{ "same key twice", HEAD "id = other\n",
	    { "t.conf:4: [hotline] id given twice (first on line 2)" } },
	{ "same key twice across a repeated section",
	    HEAD "[listen]\nrate_limit = 5\n[hotline]\nreceive_for = BE\n"
	    "[listen]\nrate_limit = 6\n",
	    { "t.conf:9: [listen] rate_limit given twice "
	      "(first on line 5)" } },
	{ "twice, even when the first was bad", HEAD "[log]\nlevel = x\n"
	    "level = info\n",
	    { "t.conf:5: [log] level \"x\": not a log level (debug, info, "
	      "warn or error)",
	      "t.conf:6: [log] level given twice (first on line 5)" } },
	{ "no equals sign", HEAD "[listen]\nrate_limit 5\n",
	    { "t.conf:5: expected \"key = value\" or \"[section]\"" } },
	{ "no key", HEAD "= 5\n", { "t.conf:4: no key before \"=\"" } },
	{ "no value", HEAD "case_prefix =\n",
	    { "t.conf:4: [hotline] case_prefix has no value" } },
	{ "only a comment as value", HEAD "case_prefix = ; none\n",
	    { "t.conf:4: [hotline] case_prefix has no value" } },
	{ "section without ]", HEAD "[listen\nrate_limit = 1\n",
	    { "t.conf:4: bad section header (expected \"[name]\")" } },
	{ "empty section", HEAD "[]\n",
	    { "t.conf:4: bad section header (expected \"[name]\")" } },
	{ "text after section", HEAD "[listen] x\n",
	    { "t.conf:4: bad section header (expected \"[name]\")" } },
	{ "nested brackets", HEAD "[[listen]]\n",
	    { "t.conf:4: bad section header (expected \"[name]\")" } },
	{ "control character", HEAD "id2\x1b = x\n",
	    { "t.conf:4: control character 0x1b in line" } },
	{ "lone carriage return", HEAD "[log]\rlevel = info\n",
	    { "t.conf:4: control character 0x0d in line" } },
	{ "DEL", HEAD "\x7f\n",
	    { "t.conf:4: control character 0x7f in line" } },

	/* Required keys: the last line of the file. */
	{ "id missing", "[hotline]\ncountry = BE\n",
	    { "t.conf:2: [hotline] id is required" } },
	{ "both missing, no final newline", "[hotline]",
	    { "t.conf:1: [hotline] id is required",
	      "t.conf:1: [hotline] country is required" } },
	{ "both missing, trailing blank lines", "[log]\nlevel = info\n\n\n",
	    { "t.conf:4: [hotline] id is required",
	      "t.conf:4: [hotline] country is required" } },
	{ "empty file", "",
	    { "t.conf:0: [hotline] id is required",
	      "t.conf:0: [hotline] country is required" } },
	{ "only a newline", "\n",
	    { "t.conf:1: [hotline] id is required",
	      "t.conf:1: [hotline] country is required" } },
	{ "a bad required key is not also missing",
	    "[hotline]\nid = -x\ncountry = BE\n",
	    { "t.conf:2: [hotline] id \"-x\": not a hotline id (1 to 63 of "
	      "a-z 0-9 . -, starting and ending with a letter or digit)" } },

	/* Values. */
	{ "bad country", "[hotline]\nid = hotline-be.example\ncountry = be\n",
	    { "t.conf:3: [hotline] country \"be\": not a country (two "
	      "upper-case letters, ISO 3166-1)" } },
	{ "unassigned country",
	    "[hotline]\nid = hotline-be.example\ncountry = XX\n",
	    { "t.conf:3: [hotline] country \"XX\": not an ISO 3166-1 "
	      "alpha-2 country code" } },
	{ "long value cut",
	    "[hotline]\ncountry = BE\nid = "
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
	    { "t.conf:3: [hotline] id \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	      "aaaaaaaaaaaaaaaaaaaaa...\": not a hotline id (1 to 63 of "
	      "a-z 0-9 . -)" } },
	{ "value escaped", HEAD "[daemon]\nuser = a\"\\\xff\n",
	    { "t.conf:5: [daemon] user \"a\\x22\\x5c\\xff\": not a user name "
	      "(1 to 32 of A-Z a-z 0-9 . _ -, not starting with -)" } },
	{ "user starting with -", HEAD "[daemon]\nuser = -hlx\n",
	    { "t.conf:5: [daemon] user \"-hlx\": not a user name "
	      "(1 to 32 of A-Z a-z 0-9 . _ -, not starting with -)" } },
	{ "user of 33", HEAD "[daemon]\nuser = "
	    "abcdefghijabcdefghijabcdefghijabc\n",
	    { "t.conf:5: [daemon] user \"abcdefghijabcdefghijabcdefghijabc\": "
	      "not a user name (1 to 32 of A-Z a-z 0-9 . _ -, not starting "
	      "with -)" } },
	{ "log level", HEAD "[log]\nlevel = verbose\n",
	    { "t.conf:5: [log] level \"verbose\": not a log level (debug, "
	      "info, warn or error)" } },
	{ "log level case", HEAD "[log]\nlevel = INFO\n",
	    { "t.conf:5: [log] level \"INFO\": not a log level (debug, "
	      "info, warn or error)" } },
	{ "boolean", HEAD "[admin]\nallow_remote = maybe\n",
	    { "t.conf:5: [admin] allow_remote \"maybe\": not a boolean (yes, "
	      "no, true or false)" } },
	{ "boolean case", HEAD "[admin]\nallow_remote = Yes\n",
	    { "t.conf:5: [admin] allow_remote \"Yes\": not a boolean (yes, "
	      "no, true or false)" } },
	{ "case_prefix of 53", HEAD
	    "case_prefix = aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaa\n",
	    { "t.conf:4: [hotline] case_prefix \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	      "aaaaaaaaaaaaaaaaaaaaaaaa\": longer than 52 characters (a case "
	      "number is at most 64)" } },
	{ "case_prefix charset", HEAD "case_prefix = IN/\n",
	    { "t.conf:4: [hotline] case_prefix \"IN/\": not a case-number "
	      "prefix (A-Z a-z 0-9 . _ : -)" } },
	{ "case_prefix blank inside", HEAD "case_prefix = I N\n",
	    { "t.conf:4: [hotline] case_prefix \"I N\": not a case-number "
	      "prefix (A-Z a-z 0-9 . _ : -)" } },

	/* Integers and their edges. */
	{ "max_handshakes 0", HEAD "[listen]\nmax_handshakes = 0\n",
	    { "t.conf:5: [listen] max_handshakes \"0\": out of range "
	      "1..65536" } },
	{ "max_handshakes 65537", HEAD "[listen]\nmax_handshakes = 65537\n",
	    { "t.conf:5: [listen] max_handshakes \"65537\": out of range "
	      "1..65536" } },
	{ "max_connections 0", HEAD "[listen]\nmax_connections = 0\n",
	    { "t.conf:5: [listen] max_connections \"0\": out of range "
	      "1..65536" } },
	{ "max_connections 65537", HEAD "[listen]\nmax_connections = 65537\n",
	    { "t.conf:5: [listen] max_connections \"65537\": out of range "
	      "1..65536" } },
	{ "max_connections negative", HEAD "[listen]\nmax_connections = -1\n",
	    { "t.conf:5: [listen] max_connections \"-1\": not a number" } },
	{ "max_connections plus", HEAD "[listen]\nmax_connections = +1\n",
	    { "t.conf:5: [listen] max_connections \"+1\": not a number" } },
	{ "max_connections junk", HEAD "[listen]\nmax_connections = 1x\n",
	    { "t.conf:5: [listen] max_connections \"1x\": not a number" } },
	{ "max_connections hex", HEAD "[listen]\nmax_connections = 0x10\n",
	    { "t.conf:5: [listen] max_connections \"0x10\": not a number" } },
	{ "max_connections overflow",
	    HEAD "[listen]\nmax_connections = 99999999999999999999999\n",
	    { "t.conf:5: [listen] max_connections \"99999999999999999999999\": "
	      "out of range 1..65536" } },
	{ "per_ip 0", HEAD "[listen]\nmax_connections_per_ip = 0\n",
	    { "t.conf:5: [listen] max_connections_per_ip \"0\": out of range "
	      "1..65536" } },
	{ "per_ip above max_connections (default per_ip)",
	    HEAD "[listen]\nmax_connections = 10\n",
	    { "t.conf:5: [listen] max_connections_per_ip (64) is more than "
	      "max_connections (10)" } },
	{ "per_ip above max_connections (both set)",
	    HEAD "[listen]\nmax_connections_per_ip = 101\n"
	    "max_connections = 100\n",
	    { "t.conf:5: [listen] max_connections_per_ip (101) is more than "
	      "max_connections (100)" } },
	{ "per_ip above default max_connections",
	    HEAD "[listen]\nmax_connections_per_ip = 513\n",
	    { "t.conf:5: [listen] max_connections_per_ip (513) is more than "
	      "max_connections (512)" } },
	{ "bad max_connections: no comparison",
	    HEAD "[listen]\nmax_connections = 0\n",
	    { "t.conf:5: [listen] max_connections \"0\": out of range "
	      "1..65536" } },
	{ "rate_limit 0", HEAD "[listen]\nrate_limit = 0\n",
	    { "t.conf:5: [listen] rate_limit \"0\": out of range "
	      "1..1000000" } },
	{ "rate_limit 1000001", HEAD "[listen]\nrate_limit = 1000001\n",
	    { "t.conf:5: [listen] rate_limit \"1000001\": out of range "
	      "1..1000000" } },
	{ "rate_limit_bytes 1023", HEAD "[listen]\nrate_limit_bytes = 1023\n",
	    { "t.conf:5: [listen] rate_limit_bytes \"1023\": out of range "
	      "1K..1G" } },
	{ "rate_limit_bytes 1G + 1",
	    HEAD "[listen]\nrate_limit_bytes = 1073741825\n",
	    { "t.conf:5: [listen] rate_limit_bytes \"1073741825\": out of "
	      "range 1K..1G" } },
	{ "connections_per_peer 0",
	    HEAD "[delivery]\nconnections_per_peer = 0\n",
	    { "t.conf:5: [delivery] connections_per_peer \"0\": out of range "
	      "1..64" } },
	{ "connections_per_peer 65", HEAD
	    "[delivery]\nconnections_per_peer = 65\n",
	    { "t.conf:5: [delivery] connections_per_peer \"65\": out of range "
	      "1..64" } },
	{ "backoff_min above default backoff_max",
	    HEAD "[delivery]\nbackoff_max = 10s\n",
	    { "t.conf:5: [delivery] backoff_min (30s) is more than "
	      "backoff_max (10s)" } },
	{ "backoff_min above backoff_max (both set)",
	    HEAD "[delivery]\nbackoff_max = 1m\nbackoff_min = 61s\n",
	    { "t.conf:6: [delivery] backoff_min (61s) is more than "
	      "backoff_max (60s)" } },

	/* Sizes. */
	{ "max_message_bytes below",
	    HEAD "[listen]\nmax_message_bytes = 65535\n",
	    { "t.conf:5: [listen] max_message_bytes \"65535\": out of range "
	      "64K..64M" } },
	{ "max_message_bytes above", HEAD "[listen]\nmax_message_bytes = 65M\n",
	    { "t.conf:5: [listen] max_message_bytes \"65M\": out of range "
	      "64K..64M" } },
	{ "max_message_bytes 1G", HEAD "[listen]\nmax_message_bytes = 1G\n",
	    { "t.conf:5: [listen] max_message_bytes \"1G\": out of range "
	      "64K..64M" } },
	{ "max_message_bytes overflow",
	    HEAD "[listen]\nmax_message_bytes = 99999999999999999999G\n",
	    { "t.conf:5: [listen] max_message_bytes \"99999999999999999999G\": "
	      "out of range 64K..64M" } },
	{ "size unit T", HEAD "[storage]\nmin_free = 1T\n",
	    { "t.conf:5: [storage] min_free \"1T\": unknown unit (K, M "
	      "or G)" } },
	{ "size unit lower case", HEAD "[storage]\nmin_free = 1k\n",
	    { "t.conf:5: [storage] min_free \"1k\": unknown unit (K, M "
	      "or G)" } },
	{ "size unit KB", HEAD "[storage]\nmin_free = 1KB\n",
	    { "t.conf:5: [storage] min_free \"1KB\": unknown unit (K, M "
	      "or G)" } },
	{ "size blank before unit", HEAD "[storage]\nmin_free = 1 G\n",
	    { "t.conf:5: [storage] min_free \"1 G\": unknown unit (K, M "
	      "or G)" } },
	{ "size without number", HEAD "[storage]\nmin_free = G\n",
	    { "t.conf:5: [storage] min_free \"G\": not a size (a number, "
	      "optionally followed by K, M or G)" } },
	{ "size negative", HEAD "[storage]\nmin_free = -1\n",
	    { "t.conf:5: [storage] min_free \"-1\": not a size (a number, "
	      "optionally followed by K, M or G)" } },
	{ "size 2^64", HEAD "[storage]\nmin_free = 18446744073709551616\n",
	    { "t.conf:5: [storage] min_free \"18446744073709551616\": "
	      "too large" } },
	{ "size 2^64 in G", HEAD "[storage]\nmin_free = 17179869184G\n",
	    { "t.conf:5: [storage] min_free \"17179869184G\": too large" } },

	/* Durations. */
	{ "duration without unit", HEAD "[listen]\nbody_timeout = 30\n",
	    { "t.conf:5: [listen] body_timeout \"30\": needs a unit (s, m, h "
	      "or d)" } },
	{ "duration unit x", HEAD "[listen]\nbody_timeout = 30x\n",
	    { "t.conf:5: [listen] body_timeout \"30x\": unknown unit (s, m, h "
	      "or d)" } },
	{ "duration unit upper case", HEAD "[listen]\nbody_timeout = 30S\n",
	    { "t.conf:5: [listen] body_timeout \"30S\": unknown unit (s, m, h "
	      "or d)" } },
	{ "duration unit sec", HEAD "[listen]\nbody_timeout = 30sec\n",
	    { "t.conf:5: [listen] body_timeout \"30sec\": unknown unit (s, m, "
	      "h or d)" } },
	{ "duration blank before unit", HEAD "[listen]\nbody_timeout = 30 s\n",
	    { "t.conf:5: [listen] body_timeout \"30 s\": unknown unit (s, m, "
	      "h or d)" } },
	{ "duration two units", HEAD "[listen]\nbody_timeout = 1h30m\n",
	    { "t.conf:5: [listen] body_timeout \"1h30m\": unknown unit (s, m, "
	      "h or d)" } },
	{ "duration without number", HEAD "[listen]\nbody_timeout = s\n",
	    { "t.conf:5: [listen] body_timeout \"s\": not a duration (a number "
	      "and a unit: s, m, h or d)" } },
	{ "duration negative", HEAD "[listen]\nbody_timeout = -1s\n",
	    { "t.conf:5: [listen] body_timeout \"-1s\": not a duration (a "
	      "number and a unit: s, m, h or d)" } },
	{ "duration 0", HEAD "[listen]\nbody_timeout = 0s\n",
	    { "t.conf:5: [listen] body_timeout \"0s\": out of range "
	      "1s..365d" } },
	{ "duration 366d", HEAD "[delivery]\nmax_age = 366d\n",
	    { "t.conf:5: [delivery] max_age \"366d\": out of range "
	      "1s..365d" } },
	{ "duration 8761h", HEAD "[delivery]\nmax_age = 8761h\n",
	    { "t.conf:5: [delivery] max_age \"8761h\": out of range "
	      "1s..365d" } },
	{ "duration 525601m", HEAD "[delivery]\nmax_age = 525601m\n",
	    { "t.conf:5: [delivery] max_age \"525601m\": out of range "
	      "1s..365d" } },
	{ "duration 31536001s", HEAD "[delivery]\nmax_age = 31536001s\n",
	    { "t.conf:5: [delivery] max_age \"31536001s\": out of range "
	      "1s..365d" } },
	{ "duration overflow", HEAD "[delivery]\nmax_age = "
	    "99999999999999999999999d\n",
	    { "t.conf:5: [delivery] max_age \"99999999999999999999999d\": out "
	      "of range 1s..365d" } },

	/* Addresses. */
	{ "IPv6 without brackets", HEAD "[listen]\naddress = ::1:8443\n",
	    { "t.conf:5: [listen] address \"::1:8443\": not a numeric IPv4 "
	      "address (IPv6 goes in brackets)" } },
	{ "no port", HEAD "[listen]\naddress = 1.2.3.4\n",
	    { "t.conf:5: [listen] address \"1.2.3.4\": not an address "
	      "(IPv4:port or [IPv6]:port)" } },
	{ "IPv6 no port", HEAD "[listen]\naddress = [::1]\n",
	    { "t.conf:5: [listen] address \"[::1]\": not an address "
	      "(IPv4:port or [IPv6]:port)" } },
	{ "IPv6 no colon", HEAD "[listen]\naddress = [::1]8443\n",
	    { "t.conf:5: [listen] address \"[::1]8443\": not an address "
	      "(IPv4:port or [IPv6]:port)" } },
	{ "port 65536", HEAD "[listen]\naddress = 0.0.0.0:65536\n",
	    { "t.conf:5: [listen] address \"0.0.0.0:65536\": bad port (0 to "
	      "65535)" } },
	{ "IPv6 port 65536", HEAD "[listen]\naddress = [::]:65536\n",
	    { "t.conf:5: [listen] address \"[::]:65536\": bad port (0 to "
	      "65535)" } },
	{ "empty port", HEAD "[listen]\naddress = 0.0.0.0:\n",
	    { "t.conf:5: [listen] address \"0.0.0.0:\": bad port (0 to "
	      "65535)" } },
	{ "negative port", HEAD "[listen]\naddress = 0.0.0.0:-1\n",
	    { "t.conf:5: [listen] address \"0.0.0.0:-1\": bad port (0 to "
	      "65535)" } },
	{ "port with junk", HEAD "[listen]\naddress = 0.0.0.0:80x\n",
	    { "t.conf:5: [listen] address \"0.0.0.0:80x\": bad port (0 to "
	      "65535)" } },
	{ "host name", HEAD "[listen]\naddress = localhost:80\n",
	    { "t.conf:5: [listen] address \"localhost:80\": not a numeric IPv4 "
	      "address (IPv6 goes in brackets)" } },
	{ "short IPv4", HEAD "[listen]\naddress = 1.2.3:80\n",
	    { "t.conf:5: [listen] address \"1.2.3:80\": not a numeric IPv4 "
	      "address (IPv6 goes in brackets)" } },
	{ "IPv4 octet 256", HEAD "[listen]\naddress = 1.2.3.256:80\n",
	    { "t.conf:5: [listen] address \"1.2.3.256:80\": not a numeric IPv4 "
	      "address (IPv6 goes in brackets)" } },
	{ "IPv4 in brackets", HEAD "[listen]\naddress = [1.2.3.4]:80\n",
	    { "t.conf:5: [listen] address \"[1.2.3.4]:80\": not a numeric IPv6 "
	      "address" } },
	{ "IPv6 zone", HEAD "[listen]\naddress = [fe80::1%eth0]:80\n",
	    { "t.conf:5: [listen] address \"[fe80::1%eth0]:80\": not a "
	      "numeric IPv6 address" } },
	{ "empty host", HEAD "[listen]\naddress = :80\n",
	    { "t.conf:5: [listen] address \":80\": not a numeric IPv4 "
	      "address (IPv6 goes in brackets)" } },

	/* [admin] must stay on loopback unless allow_remote = yes. */
	{ "admin remote", HEAD "[admin]\naddress = 10.0.0.1:9443\n",
	    { "t.conf:5: [admin] address \"10.0.0.1:9443\": not loopback; set "
	      "allow_remote = yes to allow it" } },
	{ "admin any", HEAD "[admin]\naddress = 0.0.0.0:9443\n",
	    { "t.conf:5: [admin] address \"0.0.0.0:9443\": not loopback; set "
	      "allow_remote = yes to allow it" } },
	{ "admin remote, allow_remote = no",
	    HEAD "[admin]\nallow_remote = no\naddress = [2001:db8::1]:9443\n",
	    { "t.conf:6: [admin] address \"[2001:db8::1]:9443\": not loopback; "
	      "set allow_remote = yes to allow it" } },
	{ "admin v4-mapped loopback is not loopback",
	    HEAD "[admin]\naddress = [::ffff:127.0.0.1]:9443\n",
	    { "t.conf:5: [admin] address \"[::ffff:127.0.0.1]:9443\": not "
	      "loopback; set allow_remote = yes to allow it" } },
	{ "admin remote, bad allow_remote: one error",
	    HEAD "[admin]\naddress = 10.0.0.1:9443\nallow_remote = sure\n",
	    { "t.conf:6: [admin] allow_remote \"sure\": not a boolean (yes, "
	      "no, true or false)" } },

	/* receive_for. */
	{ "receive_for lower case", HEAD "receive_for = BE, nl\n",
	    { "t.conf:4: [hotline] receive_for \"nl\": not a country (two "
	      "upper-case letters, ISO 3166-1)" } },
	{ "receive_for unassigned", HEAD "receive_for = BE XX\n",
	    { "t.conf:4: [hotline] receive_for \"XX\": not an ISO 3166-1 "
	      "alpha-2 country code" } },
	{ "receive_for twice", HEAD "receive_for = BE NL BE\n",
	    { "t.conf:4: [hotline] receive_for \"BE\": listed twice" } },
	{ "receive_for star and more", HEAD "receive_for = * BE\n",
	    { "t.conf:4: [hotline] receive_for \"* BE\": \"*\" must stand "
	      "alone" } },
	{ "receive_for leading comma", HEAD "receive_for = ,BE\n",
	    { "t.conf:4: [hotline] receive_for \",BE\": empty item in the "
	      "list" } },
	{ "receive_for trailing comma", HEAD "receive_for = BE,\n",
	    { "t.conf:4: [hotline] receive_for \"BE,\": empty item in the "
	      "list" } },
	{ "receive_for two commas", HEAD "receive_for = BE, ,NL\n",
	    { "t.conf:4: [hotline] receive_for \"BE, ,NL\": empty item in the "
	      "list" } },
	{ "receive_for semicolon", HEAD "receive_for = BE;NL\n",
	    { "t.conf:4: [hotline] receive_for \"BE;NL\": not a country (two "
	      "upper-case letters, ISO 3166-1)" } },
	{ "receive_for 33",
	    HEAD "receive_for = AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX "
	    "AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT\n",
	    { "t.conf:4: [hotline] receive_for \"AD AE AF AG AI AL AM AO AQ AR "
	      "AS AT AU AW AX AZ BA BB BD BE ...\": more than 32 countries" } },
};

static void
test_errors(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(err_cases) / sizeof(err_cases[0]); i++)
		expect_errors(err_cases[i].name, err_cases[i].input,
		    err_cases[i].want);
}

/* A file of one line (after HEAD) whose length is exactly len bytes. */
static char *
line_of(const char *prefix, char fill, size_t len, const char *eol)
{
	size_t hl = strlen(HEAD), pl = strlen(prefix), el = strlen(eol);
	char *s = malloc(hl + len + el + 1);

	assert_non_null(s);
	memcpy(s, HEAD, hl);
	memcpy(s + hl, prefix, pl);
	memset(s + hl + pl, fill, len - pl);
	memcpy(s + hl + len, eol, el + 1);
	return s;
}

static void
test_line_length(void **state)
{
	static const char *const too_long[] = {
		"t.conf:4: line longer than 1024 bytes", NULL };
	struct conf c;
	char *s;

	(void)state;
	/* A comment line of exactly 1024 bytes, with LF, CRLF and no EOL. */
	s = line_of(";", 'x', 1024, "\n");
	expect_ok("comment of 1024", &c, s);
	conf_free(&c);
	free(s);
	s = line_of(";", 'x', 1024, "\r\n");
	expect_ok("comment of 1024, CRLF", &c, s);
	conf_free(&c);
	free(s);
	s = line_of(";", 'x', 1024, "");
	expect_ok("comment of 1024, no newline", &c, s);
	conf_free(&c);
	free(s);
	/* A key line padded with blanks to 1024: the value survives. */
	s = line_of("case_prefix = X-", ' ', 1024, "\n");
	expect_ok("key line of 1024", &c, s);
	assert_string_equal(c.case_prefix, "X-");
	conf_free(&c);
	free(s);

	s = line_of(";", 'x', 1025, "\n");
	expect_errors("comment of 1025", s, too_long);
	free(s);
	s = line_of(";", 'x', 1025, "\r\n");
	expect_errors("comment of 1025, CRLF", s, too_long);
	free(s);
	s = line_of(";", 'x', 1025, "");
	expect_errors("comment of 1025, no newline", s, too_long);
	free(s);
	/* Never truncated: a cut line would be a different, valid one. */
	s = line_of("case_prefix = X-", ' ', 1025, "\n");
	expect_errors("key line of 1025", s, too_long);
	free(s);
}

struct dur_case {
	const char	*text;
	unsigned	 seconds;
};

static void
test_durations(void **state)
{
	static const struct dur_case cases[] = {
		{ "1s", 1 }, { "90s", 90 }, { "1m", 60 }, { "2h", 7200 },
		{ "1d", 86400 }, { "007s", 7 }, { "365d", 31536000 },
		{ "8760h", 31536000 }, { "525600m", 31536000 },
		{ "31536000s", 31536000 },
	};
	char text[128];
	struct conf c;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(text, sizeof(text), HEAD "[delivery]\nmax_age = %s\n",
		    cases[i].text);
		expect_ok(cases[i].text, &c, text);
		assert_int_equal(c.max_age, cases[i].seconds);
		print_message("ok   duration %s = %u\n", cases[i].text,
		    c.max_age);
		conf_free(&c);
	}
}

struct size_case {
	const char	*text;
	uint64_t	 bytes;
};

static void
test_sizes(void **state)
{
	static const struct size_case free_cases[] = {
		{ "0", 0 }, { "1", 1 }, { "1K", 1024 }, { "3M", 3 << 20 },
		{ "1G", 1UL << 30 }, { "0G", 0 }, { "100G", 100UL << 30 },
		{ "18446744073709551615", UINT64_MAX },
		{ "17179869183G", 17179869183ULL << 30 },
	};
	static const struct size_case msg_cases[] = {
		{ "65536", 65536 }, { "64K", 65536 }, { "4M", 4 << 20 },
		{ "64M", 64 << 20 }, { "67108864", 64 << 20 },
	};
	char text[128];
	struct conf c;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(free_cases) / sizeof(free_cases[0]); i++) {
		snprintf(text, sizeof(text), HEAD "[storage]\nmin_free = %s\n",
		    free_cases[i].text);
		expect_ok(free_cases[i].text, &c, text);
		assert_true(c.min_free == free_cases[i].bytes);
		print_message("ok   min_free %s\n", free_cases[i].text);
		conf_free(&c);
	}
	for (i = 0; i < sizeof(msg_cases) / sizeof(msg_cases[0]); i++) {
		snprintf(text, sizeof(text),
		    HEAD "[listen]\nmax_message_bytes = %s\n",
		    msg_cases[i].text);
		expect_ok(msg_cases[i].text, &c, text);
		assert_true(c.max_message_bytes == msg_cases[i].bytes);
		print_message("ok   max_message_bytes %s\n", msg_cases[i].text);
		conf_free(&c);
	}
}

struct addr_case {
	const char	*text;
	const char	*host;
	int		 port;
	int		 family;
};

static void
test_addresses(void **state)
{
	static const struct addr_case cases[] = {
		{ "0.0.0.0:0", "0.0.0.0", 0, AF_INET },
		{ "192.0.2.1:65535", "192.0.2.1", 65535, AF_INET },
		{ "127.0.0.1:08443", "127.0.0.1", 8443, AF_INET },
		{ "[::]:8443", "::", 8443, AF_INET6 },
		{ "[2001:db8::1]:1", "2001:db8::1", 1, AF_INET6 },
		{ "[::ffff:192.0.2.1]:443", "::ffff:192.0.2.1", 443, AF_INET6 },
		{ "[2001:0db8:0000:0000:0000:0000:0000:0001]:443",
		  "2001:0db8:0000:0000:0000:0000:0000:0001", 443, AF_INET6 },
	};
	char text[160];
	struct conf c;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(text, sizeof(text), HEAD "[listen]\naddress = %s\n",
		    cases[i].text);
		expect_ok(cases[i].text, &c, text);
		assert_string_equal(c.listen.host, cases[i].host);
		assert_int_equal(c.listen.port, cases[i].port);
		assert_int_equal(c.listen.family, cases[i].family);
		print_message("ok   address %s\n", cases[i].text);
		conf_free(&c);
	}
}

/* [listen] max_handshakes: set, or a quarter of max_connections, at
 * least HLX_HANDSHAKES_MIN_DEFAULT; in either order of the two keys. */
static void
test_max_handshakes(void **state)
{
	static const struct {
		const char	*text;
		unsigned	 want;
	} cases[] = {
		{ HEAD "[listen]\nmax_connections = 4\n"
		    "max_connections_per_ip = 2\n", 8 },
		{ HEAD "[listen]\nmax_connections = 32\n"
		    "max_connections_per_ip = 2\n", 8 },
		{ HEAD "[listen]\nmax_connections = 35\n"
		    "max_connections_per_ip = 2\n", 8 },
		{ HEAD "[listen]\nmax_connections = 36\n"
		    "max_connections_per_ip = 2\n", 9 },
		{ HEAD "[listen]\nmax_connections = 65536\n", 16384 },
		{ HEAD "[listen]\nmax_handshakes = 1\n", 1 },
		{ HEAD "[listen]\nmax_handshakes = 65536\n", 65536 },
		{ HEAD "[listen]\nmax_handshakes = 3\nmax_connections = 400\n",
		    3 },
		{ HEAD "[listen]\nmax_connections = 400\nmax_handshakes = 3\n",
		    3 },
	};
	struct conf c;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		expect_ok("max_handshakes", &c, cases[i].text);
		print_message("ok   max_handshakes case %zu: %u (max_connections "
		    "%u)\n", i, c.max_handshakes, c.max_connections);
		assert_int_equal(c.max_handshakes, cases[i].want);
		conf_free(&c);
	}
}

static void
test_allow_remote(void **state)
{
	static const char *const ok[] = {
		HEAD "[admin]\naddress = 127.0.0.1:9443\n",
		HEAD "[admin]\naddress = 127.255.0.9:1\n",
		HEAD "[admin]\naddress = [::1]:9443\n",
		HEAD "[admin]\naddress = 10.0.0.1:9443\nallow_remote = yes\n",
		HEAD "[admin]\nallow_remote = yes\naddress = 10.0.0.1:9443\n",
		HEAD "[admin]\nallow_remote = true\naddress = [::]:9443\n",
		/* Same section twice: the order still does not matter. */
		HEAD "[admin]\nallow_remote = yes\n[log]\nlevel = warn\n"
		    "[admin]\naddress = 0.0.0.0:9443\n",
	};
	struct conf c;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		expect_ok("allow_remote", &c, ok[i]);
		print_message("ok   admin case %zu: %s:%d remote=%d\n", i,
		    c.admin.host, c.admin.port, c.admin_allow_remote);
		conf_free(&c);
	}
}

static void
test_receive_for(void **state)
{
	static const char *const lists[] = {
		"BE,NL,LU", "BE NL LU", "BE, NL, LU", "BE ,NL\tLU",
		"BE ,\tNL  LU",
	};
	/* 32 distinct countries: the limit. */
	static const char thirty_two[] = "AD AE AF AG AI AL AM AO AQ AR AS AT "
	    "AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS";
	char text[256];
	struct conf c;
	size_t i;

	(void)state;
	expect_ok("receive_for *", &c, HEAD "receive_for = *\n");
	assert_int_equal(c.receive_any, 1);
	assert_int_equal(c.receive_for_count, 0);
	assert_true(conf_receives_for(&c, "NL"));
	assert_true(conf_receives_for(&c, "BE"));
	conf_free(&c);

	for (i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		snprintf(text, sizeof(text), HEAD "receive_for = %s\n",
		    lists[i]);
		expect_ok(lists[i], &c, text);
		assert_int_equal(c.receive_any, 0);
		assert_int_equal(c.receive_for_count, 3);
		assert_string_equal(c.receive_for[0], "BE");
		assert_string_equal(c.receive_for[1], "NL");
		assert_string_equal(c.receive_for[2], "LU");
		assert_true(conf_receives_for(&c, "LU"));
		assert_false(conf_receives_for(&c, "DE"));
		assert_false(conf_receives_for(&c, "be"));
		print_message("ok   receive_for \"%s\"\n", lists[i]);
		conf_free(&c);
	}

	/* Not our own country at all: allowed (a regional hotline). */
	expect_ok("receive_for without country", &c,
	    HEAD "receive_for = LU\n");
	assert_false(conf_receives_for(&c, "BE"));
	assert_true(conf_receives_for(&c, "LU"));
	conf_free(&c);

	snprintf(text, sizeof(text), HEAD "receive_for = %s\n", thirty_two);
	expect_ok("receive_for 32", &c, text);
	assert_int_equal(c.receive_for_count, HLX_RECEIVE_FOR_MAX);
	assert_string_equal(c.receive_for[31], "BS");
	assert_true(conf_receives_for(&c, "BS"));
	conf_free(&c);
	/* One past the limit is in the error table ("receive_for 33"). */
}

static void
test_paths(void **state)
{
	static const char *const no_base[] = {
		"t.conf:5: [tls] cert \"a.crt\": relative, and no absolute "
		"base directory to resolve it against",
		"t.conf:6: [tls] key \"../x\": relative, and no absolute "
		"base directory to resolve it against", NULL };
	static const char text[] = HEAD "[tls]\ncert = a.crt\nkey = ../x\n"
	    "ca = /abs/ca.pem\n";
	struct conf_errors e;
	struct conf c;
	char *base;
	int rc;

	(void)state;
	rc = parse_len(&c, &e, "/a/etc", text, strlen(text));
	assert_int_equal(rc, 0);
	assert_string_equal(c.tls_cert, "/a/etc/a.crt");
	assert_string_equal(c.tls_key, "/a/etc/../x");
	assert_string_equal(c.tls_ca, "/abs/ca.pem");
	conf_free(&c);

	rc = parse_len(&c, &e, "/a/etc//", text, strlen(text));
	assert_int_equal(rc, 0);
	assert_string_equal(c.tls_cert, "/a/etc/a.crt");
	conf_free(&c);

	rc = parse_len(&c, &e, "/", text, strlen(text));
	assert_int_equal(rc, 0);
	assert_string_equal(c.tls_cert, "/a.crt");
	assert_string_equal(c.tls_key, "/../x");
	conf_free(&c);
	print_message("ok   relative paths joined\n");

	expect_errors_len("no base", NULL, text, strlen(text), no_base);
	expect_errors_len("relative base", "etc", text, strlen(text), no_base);
	/* An absolute path needs no base. */
	rc = parse_len(&c, &e, NULL, HEAD "[tls]\ncert = /c\n",
	    strlen(HEAD "[tls]\ncert = /c\n"));
	assert_int_equal(rc, 0);
	assert_string_equal(c.tls_cert, "/c");
	conf_free(&c);

	/* A joined path longer than PATH_MAX - 1. */
	base = malloc(4096);
	assert_non_null(base);
	base[0] = '/';
	memset(base + 1, 'd', 4089);
	base[4090] = '\0';
	rc = parse_len(&c, &e, base, text, strlen(text));	/* 4090+1+5 */
	assert_int_equal(rc, -1);
	assert_string_equal(e.lines[0], "t.conf:5: [tls] cert \"a.crt\": "
	    "longer than 4095 bytes with the base directory");
	conf_errors_free(&e);
	base[4089] = '\0';				/* 4089+1+5 = 4095 */
	rc = parse_len(&c, &e, base, text, strlen(text));
	assert_int_equal(rc, 0);
	assert_int_equal(strlen(c.tls_cert), 4095);
	conf_free(&c);
	free(base);
	print_message("ok   path length edge\n");
}

static void
test_inline_comments(void **state)
{
	struct conf c;

	(void)state;
	expect_ok("inline comments", &c,
	    "  ; a comment line, indented\n"
	    "# another\n"
	    "\t# and one after a tab\n"
	    "[hotline]   ; section comment\n"
	    "id = hotline-be.example # hash comment\n"
	    "country = BE\t; tab before it\n"
	    "case_prefix = IN- ;\n"
	    "[storage]\n"
	    "path = /var/db/a;b#c ; only the last is a comment\n"
	    "\n"
	    "   \n");
	assert_string_equal(c.hotline_id, "hotline-be.example");
	assert_string_equal(c.country, "BE");
	assert_string_equal(c.case_prefix, "IN-");
	assert_string_equal(c.store_path, "/var/db/a;b#c");
	conf_free(&c);
}

static void
test_inline_comment_needs_blank(void **state)
{
	static const char *const want[] = {
		"t.conf:4: [hotline] case_prefix \"IN-;x\": not a case-number "
		"prefix (A-Z a-z 0-9 . _ : -)", NULL };
	struct conf c;

	(void)state;
	expect_errors("no blank before ;", HEAD "case_prefix = IN-;x\n",
	    want);
	expect_ok("path keeps ; and #", &c,
	    HEAD "[storage]\npath = /var/db/a;b#c ; comment\n");
	assert_string_equal(c.store_path, "/var/db/a;b#c");
	conf_free(&c);
}

static void
test_crlf_and_bom(void **state)
{
	struct conf c;

	(void)state;
	expect_ok("CRLF", &c,
	    "\xef\xbb\xbf[hotline]\r\nid = hotline-be.example\r\n"
	    "country = BE ; c\r\n[log]\r\nlevel = debug\r\n");
	assert_string_equal(c.hotline_id, "hotline-be.example");
	assert_int_equal(c.log_level, LOG_LEVEL_DEBUG);
	conf_free(&c);
	/* A CR at the very end without LF is the end of the line, too. */
	expect_ok("CR at end", &c, HEAD "[log]\nlevel = warn\r");
	assert_int_equal(c.log_level, LOG_LEVEL_WARN);
	conf_free(&c);
}

static void
test_nul(void **state)
{
	static const char text[] = HEAD "[log]\nlevel = in\0fo\n";
	static const char *const want[] = { "t.conf:5: NUL byte in line",
		NULL };
	static const char *const want_both[] = { "t.conf:5: NUL byte in line",
		"t.conf:6: NUL byte in line", NULL };

	(void)state;
	expect_errors_len("NUL", BASE_DIR, text, sizeof(text) - 1, want);
	/* The string's own terminator, passed on: a line of its own. */
	expect_errors_len("NUL at end", BASE_DIR, text, sizeof(text),
	    want_both);
}

static void
test_file_size(void **state)
{
	static const char *const want[] = {
		"t.conf: larger than 1048576 bytes", NULL };
	size_t len = HLX_CONF_MAX_BYTES;
	struct conf c;
	char *s;

	(void)state;
	s = malloc(len + 1);
	assert_non_null(s);
	/* HEAD then blank lines: exactly the limit is fine. */
	memset(s, '\n', len + 1);
	memcpy(s, HEAD, strlen(HEAD));
	expect_errors_len("one byte over", BASE_DIR, s, len + 1, want);
	assert_int_equal(parse_len(&c, NULL, BASE_DIR, s, len), 0);
	conf_free(&c);
	print_message("ok   file of exactly %zu bytes\n", len);
	free(s);
}

static void
test_many_errors(void **state)
{
	static const char *const want[] = {
		"t.conf:2: unknown key \"idd\" in [hotline]",
		"t.conf:4: [hotline] country given twice (first on line 3)",
		"t.conf:6: [listen] rate_limit \"0\": out of range 1..1000000",
		"t.conf:7: unknown section [lisen]",
		"t.conf:10: [log] level \"loud\": not a log level (debug, "
		"info, warn or error)",
		"t.conf:10: [hotline] id is required",
		NULL };

	(void)state;
	expect_errors("all reported, in order",
	    "[hotline]\n"			/* 1 */
	    "idd = hotline-be.example\n"	/* 2 */
	    "country = BE\n"			/* 3 */
	    "country = NL\n"			/* 4 */
	    "[listen]\n"			/* 5 */
	    "rate_limit = 0\n"			/* 6 */
	    "[lisen]\n"				/* 7 */
	    "address = x\n"			/* 8: not reported */
	    "[log]\n"				/* 9 */
	    "level = loud", want);		/* 10, no newline */
}

static void
test_too_many_errors(void **state)
{
	struct conf_errors e;
	struct conf c;
	char *s;
	size_t i, n = HLX_CONF_ERRORS_MAX + 10, off = 0, cap = n * 16 + 64;
	char want[64];

	(void)state;
	s = malloc(cap);
	assert_non_null(s);
	off += (size_t)snprintf(s + off, cap - off, "%s", HEAD);
	for (i = 0; i < n; i++)
		off += (size_t)snprintf(s + off, cap - off, "bad\n");
	assert_int_equal(parse(&c, &e, s), -1);
	assert_int_equal(e.count, HLX_CONF_ERRORS_MAX + 1);
	assert_int_equal(e.total, n);
	for (i = 0; i < HLX_CONF_ERRORS_MAX; i++) {
		snprintf(want, sizeof(want), "t.conf:%zu: expected \"key = "
		    "value\" or \"[section]\"", i + 4);
		assert_string_equal(e.lines[i], want);
	}
	assert_string_equal(e.lines[HLX_CONF_ERRORS_MAX],
	    "t.conf: too many errors, the rest not shown");
	conf_errors_free(&e);
	assert_null(e.lines);
	assert_int_equal(e.count, 0);

	/* Exactly HLX_CONF_ERRORS_MAX: all shown, no final line. */
	off = strlen(HEAD) + 4 * HLX_CONF_ERRORS_MAX;
	s[off] = '\0';
	assert_int_equal(parse(&c, &e, s), -1);
	assert_int_equal(e.count, HLX_CONF_ERRORS_MAX);
	assert_int_equal(e.total, HLX_CONF_ERRORS_MAX);
	conf_errors_free(&e);
	conf_free(&c);
	free(s);
	print_message("ok   too many errors\n");
}

static void
test_same_section_twice(void **state)
{
	struct conf c;

	(void)state;
	expect_ok("same section twice", &c,
	    "[hotline]\nid = hotline-be.example\n[log]\nlevel = error\n"
	    "[hotline]\ncountry = NL\n");
	assert_string_equal(c.country, "NL");
	assert_int_equal(c.receive_for_count, 1);
	assert_string_equal(c.receive_for[0], "NL");
	assert_int_equal(c.log_level, LOG_LEVEL_ERROR);
	conf_free(&c);
}

static void
test_no_errs(void **state)
{
	struct conf c;

	(void)state;
	/* errs may be NULL: the result alone still tells. */
	assert_int_equal(parse_len(&c, NULL, BASE_DIR, "x", 1), -1);
	assert_conf_empty(&c);
	assert_int_equal(parse_len(&c, NULL, BASE_DIR, HEAD, strlen(HEAD)), 0);
	conf_free(&c);
	/* A NULL buffer of length 0 is an empty file. */
	assert_int_equal(parse_len(&c, NULL, BASE_DIR, NULL, 0), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sample),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_every_key),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_line_length),
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_addresses),
		cmocka_unit_test(test_max_handshakes),
		cmocka_unit_test(test_allow_remote),
		cmocka_unit_test(test_receive_for),
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_inline_comments),
		cmocka_unit_test(test_inline_comment_needs_blank),
		cmocka_unit_test(test_crlf_and_bom),
		cmocka_unit_test(test_nul),
		cmocka_unit_test(test_file_size),
		cmocka_unit_test(test_many_errors),
		cmocka_unit_test(test_too_many_errors),
		cmocka_unit_test(test_same_section_twice),
		cmocka_unit_test(test_no_errs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
