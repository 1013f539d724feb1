/*
 * test_roundtrip -- record -> message -> XML -> message gives back every
 * field, and nothing of `internal` ever appears in the XML.
 *
 * Two sources: every valid record case of tests/cases/record/valid, and
 * records generated here from a fixed seed (so a failure is repeatable),
 * covering every optional member, every vocabulary value and awkward text.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "message.h"
#include "record.h"
#include "testlib.h"

#define GENERATED	300
#define MAXB		((size_t)HLX_DEFAULT_MAX_MESSAGE_BYTES)

#define schema test_schema

static int
same_str(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static int
same_ip(const char *a, const char *b)
{
	char na[64], nb[64];

	if (type_ip_normalize(a, na, sizeof(na)) == -1 ||
	    type_ip_normalize(b, nb, sizeof(nb)) == -1)
		return 0;
	return strcmp(na, nb) == 0;
}

#define SAME(cond, what) do { if (!(cond)) \
	fail_msg("%s: %s differs", name, what); } while (0)

static void
same_referral(const char *name, const struct msg_referral *a,
    const struct msg_referral *b)
{
	size_t i, k;

	SAME(same_str(a->caseref.issuer, b->caseref.issuer), "CaseRef/@issuer");
	SAME(same_str(a->caseref.number, b->caseref.number), "CaseRef");
	SAME(a->caseref.version == b->caseref.version, "CaseRef/@version");
	SAME(a->restriction == b->restriction, "Restriction");
	SAME(same_str(a->reported_url, b->reported_url), "ReportedUrl");
	SAME(same_str(a->received_at, b->received_at), "ReceivedAt");
	SAME(same_str(a->assessed_at, b->assessed_at), "AssessedAt");
	SAME(a->source == b->source, "Source");
	SAME(a->site_type == b->site_type, "SiteType");
	SAME(same_str(a->hosting.country, b->hosting.country), "Country");
	SAME(a->hosting.nips == b->hosting.nips, "Ip count");
	for (i = 0; i < a->hosting.nips; i++)
		SAME(same_ip(a->hosting.ips[i], b->hosting.ips[i]), "Ip");
	SAME(a->hosting.asn == b->hosting.asn, "Asn");
	SAME(same_str(a->hosting.provider, b->hosting.provider), "Provider");
	SAME(a->hosting.cdn == b->hosting.cdn, "Cdn");
	SAME(same_str(a->hosting.traced_at, b->hosting.traced_at), "TracedAt");
	SAME(a->severity == b->severity, "Severity");
	SAME(a->nitems == b->nitems, "Item count");
	for (i = 0; i < a->nitems; i++) {
		const struct msg_item *x = &a->items[i], *y = &b->items[i];

		SAME(same_str(x->content_url, y->content_url), "ContentUrl");
		SAME(x->media_type == y->media_type, "MediaType");
		for (k = 0; k < HLX_HASH_ALGS; k++)
			SAME(same_str(x->hashes[k], y->hashes[k]), "Hash");
		SAME(x->intl_verdict == y->intl_verdict, "IntlVerdict");
		SAME(x->national.present == y->national.present,
		    "NationalVerdict presence");
		if (x->national.present) {
			SAME(same_str(x->national.jurisdiction,
			    y->national.jurisdiction), "@jurisdiction");
			SAME(same_str(x->national.code, y->national.code),
			    "@code");
			SAME(x->national.verdict == y->national.verdict,
			    "NationalVerdict");
		}
		SAME(x->industry_class == y->industry_class, "IndustryClass");
		SAME(x->previously_assessed == y->previously_assessed,
		    "PreviouslyAssessed");
	}
	SAME(same_str(a->lea_notified_at, b->lea_notified_at), "LeaNotifiedAt");
	SAME(same_str(a->host_notified_at, b->host_notified_at),
	    "HostNotifiedAt");
	SAME(a->expectation == b->expectation, "Expectation");
}

/*
 * Every string in the internal member, however deep, must be absent from
 * the XML -- unless the rest of the record holds it too (a date, say).
 */
static void
internal_absent(const char *name, json_t *v, const char *xml,
    const char *rest)
{
	const char *key;
	json_t *e;
	size_t i;

	if (json_is_string(v) && json_string_length(v) >= 6 &&
	    strstr(rest, json_string_value(v)) == NULL &&
	    strstr(xml, json_string_value(v)) != NULL)
		fail_msg("%s: internal text \"%s\" appears in the message",
		    name, json_string_value(v));
	if (json_is_object(v)) {
		json_object_foreach(v, key, e) {
			if (strlen(key) >= 6 && strstr(rest, key) == NULL &&
			    strstr(xml, key) != NULL)
				fail_msg("%s: internal key \"%s\" appears in "
				    "the message", name, key);
			internal_absent(name, e, xml, rest);
		}
	}
	if (json_is_array(v))
		json_array_foreach(v, i, e)
			internal_absent(name, e, xml, rest);
}

/* record JSON -> message -> XML -> message; checks both hops. */
static void
roundtrip(const char *name, const char *json, size_t len)
{
	struct record rec;
	struct record_err rerr;
	struct message *back = NULL;
	struct msg_err merr;
	json_t *internal;
	char *xml;
	size_t xlen;

	if (record_parse(json, len, &rec, &rerr) == -1)
		fail_msg("%s: %s", name, rerr.text);
	assert_int_equal(record_translate(&rec, "hotline-be.example",
	    "hotline-nl.example", "00000000-0000-4000-8000-000000000001",
	    "2026-11-28T12:00:00Z", 1), 0);
	assert_int_equal(message_write(rec.msg, &xml, &xlen, &merr), 0);
	if (message_parse(schema, xml, xlen, MAXB, &back, &merr) == -1)
		fail_msg("%s: %s: %s", name, message_code_name(merr.code),
		    merr.detail);
	assert_int_equal(back->type, BODY_REFERRAL);
	assert_int_equal(back->header.test, rec.test);
	same_referral(name, &rec.msg->u.referral, &back->u.referral);
	if (rec.internal != NULL) {
		json_t *whole = json_loadb(json, len, 0, NULL);
		char *rest;

		assert_non_null(whole);
		json_object_del(whole, "internal");
		rest = json_dumps(whole, JSON_COMPACT);
		assert_non_null(rest);
		internal = json_loads(rec.internal, 0, NULL);
		assert_non_null(internal);
		internal_absent(name, internal, xml, rest);
		json_decref(internal);
		json_decref(whole);
		free(rest);
	}
	message_free(back);
	free(xml);
	record_free(&rec);
}

static void
test_every_valid_record_case(void **state)
{
	DIR *d = opendir("tests/cases/record/valid");
	struct dirent *e;
	char path[512], *json;
	size_t len, n = 0;

	(void)state;
	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path),
		    "tests/cases/record/valid/%s/input.json", e->d_name);
		if ((json = test_slurp(path, &len)) == NULL)
			continue;
		roundtrip(e->d_name, json, len);
		free(json);
		n++;
	}
	closedir(d);
	assert_true(n >= 5);
}

/* xorshift64*: small, seeded, the same on every machine. */
static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t
next(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dULL;
}

static unsigned
pick(unsigned n)
{
	return (unsigned)(next() % n);
}

static const char *
vocab(enum type_vocab v)
{
	return type_vocab_name(v, (int)pick((unsigned)type_vocab_count(v)));
}

static json_t *
timestamp(void)
{
	char buf[40];
	int frac = (int)pick(7);

	if (frac == 0)
		snprintf(buf, sizeof(buf), "20%02u-%02u-%02uT%02u:%02u:%02uZ",
		    pick(50) + 10, pick(12) + 1, pick(28) + 1, pick(24),
		    pick(60), pick(60));
	else
		snprintf(buf, sizeof(buf), "20%02u-%02u-%02uT%02u:%02u:%02u."
		    "%.*uZ", pick(50) + 10, pick(12) + 1, pick(28) + 1,
		    pick(24), pick(60), pick(60), frac, 0);
	return json_string(buf);
}

static json_t *
hex(size_t n)
{
	char buf[256];
	size_t i;

	for (i = 0; i < n; i++)
		buf[i] = "0123456789abcdef"[pick(16)];
	buf[n] = '\0';
	return json_string(buf);
}

static json_t *
base64(size_t n)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijkl"
	    "mnopqrstuvwxyz0123456789+/";
	char buf[256];
	size_t i;

	for (i = 0; i < n; i++)
		buf[i] = b64[pick(64)];
	buf[n] = '\0';
	return json_string(buf);
}

/* Text that tests escaping: markup, quotes, tabs, new lines, non-ASCII. */
static json_t *
awkward_text(void)
{
	static const char *const parts[] = { "Example Hosting", " <b>&amp;",
		"\"quoted\"", "'single'", "\t", "\n", "\xc3\xa9t\xc3\xa9",
		"\xf0\x9f\x98\x80", "]]>", "&#x41;", " B.V." };
	char buf[512] = "";
	size_t i, n = 1 + pick(6);

	for (i = 0; i < n; i++)
		strncat(buf, parts[pick(sizeof(parts) / sizeof(parts[0]))],
		    sizeof(buf) - strlen(buf) - 1);
	return json_string(buf);
}

static json_t *
gen_record(unsigned seq)
{
	static const char *const ips[] = { "192.0.2.1", "198.51.100.23",
		"203.0.113.7", "2001:db8::7", "2001:DB8:0:0:0:0:0:1",
		"2001:db8:0:0:1:0:0:1", "::ffff:192.0.2.9" };
	static const char *const countries[] = { "NL", "DE", "FR", "GB",
		"US", "XK", "BE" };
	json_t *r = json_object(), *h = json_object(), *items = json_array();
	json_t *internal, *sa;
	char buf[128];
	unsigned i, k, n;

	snprintf(buf, sizeof(buf), "CF-2026-%06u", seq);
	json_object_set_new(r, "case_id", json_string(buf));
	json_object_set_new(r, "received_at", timestamp());
	json_object_set_new(r, "assessed_at", timestamp());
	json_object_set_new(r, "source", json_string(vocab(VOCAB_SOURCE)));
	snprintf(buf, sizeof(buf), "https://site%u.example.net/p/%u?q=%u#f",
	    seq, pick(1000), pick(1000));
	json_object_set_new(r, "reported_url", json_string(buf));
	if (pick(2))
		json_object_set_new(r, "site_type",
		    json_string(vocab(VOCAB_SITE_TYPE)));
	json_object_set_new(h, "country", json_string(countries[pick(7)]));
	if (pick(4)) {
		json_t *a = json_array();

		n = pick(HLX_IPS_MAX + 1);
		for (i = 0; i < n; i++)
			json_array_append_new(a, json_string(ips[pick(7)]));
		json_object_set_new(h, "ips", a);
	}
	if (pick(2))
		json_object_set_new(h, "asn",
		    json_integer(pick(2) ? 4294967295LL : 1 + pick(65535)));
	if (pick(2))
		json_object_set_new(h, "provider", awkward_text());
	if (pick(2))
		json_object_set_new(h, "cdn", json_boolean(pick(2)));
	json_object_set_new(h, "traced_at", timestamp());
	json_object_set_new(r, "hosting", h);
	json_object_set_new(r, "severity", json_string(vocab(VOCAB_SEVERITY)));
	if (pick(2))
		json_object_set_new(r, "restriction",
		    json_string(vocab(VOCAB_RESTRICTION)));
	if (pick(2))
		json_object_set_new(r, "expectation",
		    json_string(vocab(VOCAB_EXPECTATION)));
	n = 1 + pick(12);
	for (i = 0; i < n; i++) {
		json_t *it = json_object(), *hs = json_object(), *nv;

		snprintf(buf, sizeof(buf), "http://site%u.example.net/img/%u-%u",
		    seq, i, pick(100));
		json_object_set_new(it, "content_url", json_string(buf));
		json_object_set_new(it, "media_type",
		    json_string(vocab(VOCAB_MEDIA_TYPE)));
		for (k = 0; k < HLX_HASH_ALGS; k++) {
			if (!pick(2))
				continue;
			json_object_set_new(hs, type_vocab_name(VOCAB_HASH_ALG,
			    (int)k), k == HASH_PHOTODNA ? base64(192) :
			    hex(type_hash_length((enum hash_alg)k)));
		}
		if (pick(3))
			json_object_set_new(it, "hashes", hs);
		else
			json_decref(hs);
		json_object_set_new(it, "intl_verdict",
		    json_string(vocab(VOCAB_INTL_VERDICT)));
		if (pick(2)) {
			nv = json_object();
			json_object_set_new(nv, "jurisdiction",
			    json_string(countries[pick(7)]));
			json_object_set_new(nv, "status",
			    json_string(vocab(VOCAB_NATIONAL_VERDICT)));
			if (pick(2))
				json_object_set_new(nv, "code",
				    json_string("art-417/44:b"));
			json_object_set_new(it, "national_verdict", nv);
		}
		if (pick(2))
			json_object_set_new(it, "industry_class",
			    json_string(vocab(VOCAB_INDUSTRY_CLASS)));
		if (pick(2))
			json_object_set_new(it, "previously_assessed",
			    json_boolean(pick(2)));
		json_array_append_new(items, it);
	}
	json_object_set_new(r, "items", items);
	if (pick(2)) {
		sa = json_object();
		json_object_set_new(sa, "lea_notified_at",
		    pick(2) ? timestamp() : json_null());
		json_object_set_new(sa, "host_notified_at",
		    pick(2) ? timestamp() : json_null());
		json_object_set_new(r, "sender_actions", sa);
	}
	if (pick(2))
		json_object_set_new(r, "test", json_boolean(pick(2)));
	internal = json_object();
	snprintf(buf, sizeof(buf), "INTERNAL-ANALYST-%u", seq);
	json_object_set_new(internal, "analyst", json_string(buf));
	snprintf(buf, sizeof(buf), "INTERNAL-NOTE-%u must never leave", seq);
	json_object_set_new(internal, "notes", json_pack("[s,{s:s}]", buf,
	    "INTERNAL-DEEP-KEY", "INTERNAL-DEEP-VALUE"));
	json_object_set_new(r, "internal", internal);
	return r;
}

static void
test_generated_records(void **state)
{
	char name[32], *json;
	json_t *r;
	unsigned i;

	(void)state;
	for (i = 0; i < GENERATED; i++) {
		r = gen_record(i);
		json = json_dumps(r, JSON_COMPACT);
		assert_non_null(json);
		snprintf(name, sizeof(name), "generated #%u", i);
		roundtrip(name, json, strlen(json));
		free(json);
		json_decref(r);
	}
}

/* The record keeps `internal` apart, as JSON text, and only there. */
static void
test_internal_kept_apart(void **state)
{
	json_t *r = gen_record(7);
	char *json = json_dumps(r, 0);
	struct record rec;
	struct record_err rerr;

	(void)state;
	assert_int_equal(record_parse(json, strlen(json), &rec, &rerr), 0);
	assert_non_null(rec.internal);
	assert_non_null(strstr(rec.internal, "INTERNAL-NOTE-7"));
	record_free(&rec);
	free(json);
	json_decref(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_valid_record_case),
		cmocka_unit_test(test_generated_records),
		cmocka_unit_test(test_internal_kept_apart),
	};

	return cmocka_run_group_tests(tests, test_schema_setup,
	    test_schema_teardown);
}
