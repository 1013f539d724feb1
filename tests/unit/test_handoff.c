/*
 * test_handoff -- hand-off files: the document has the shape of
 * case-record.md (checked against the spec's own example), carries every
 * field of the record back to the case system, and reaches the directory
 * atomically, mode 0600, with no temporary file left behind.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "handoff.h"
#include "record.h"
#include "testlib.h"

#define EXAMPLE		"tests/cases/handoff/referral-example.json"
#define RECORDS		"tests/cases/record/valid"
#define DUMP_FLAGS	(JSON_INDENT(2) | JSON_PRESERVE_ORDER)

/* The handoff and referral members of the example, as meta data. */
static const struct handoff_meta example_meta = {
	.kind = "referral",
	.revision = 1,
	.state = "new",
	.deadline_at = "2026-11-29T12:00:01Z",
	.test = 0,
	.from = "hotline-nl.example",
	.their_case_ref = "NL-2026-4411",
	.message_id = "3b0c2a4e-8f1d-4c6a-9b7e-2d5f1a0c9e11",
	.received_at = "2026-11-28T12:00:01Z",
};

static const struct handoff_meta domestic_meta = {
	.kind = "domestic",
	.revision = 1,
	.state = "new",
	.deadline_at = "2026-12-01T00:00:00Z",
};

/* A JSON text without the white space between its tokens. */
static char *
squeeze(const char *s, size_t len)
{
	char *out = malloc(len + 1);
	size_t i, o = 0;
	int in = 0;

	assert_non_null(out);
	for (i = 0; i < len; i++) {
		if (in) {
			out[o++] = s[i];
			if (s[i] == '\\' && i + 1 < len)
				out[o++] = s[++i];
			else if (s[i] == '"')
				in = 0;
		} else if (s[i] == '"') {
			in = 1;
			out[o++] = s[i];
		} else if (s[i] != ' ' && s[i] != '\n' && s[i] != '\t' &&
		    s[i] != '\r')
			out[o++] = s[i];
	}
	out[o] = '\0';
	return out;
}

/* The example's case-record part: the example less referral and handoff. */
static void
parse_example(struct record *rec, char **text, size_t *textlen)
{
	struct record_err err;
	json_error_t jerr;
	json_t *j;
	char *compact;

	*text = test_slurp(EXAMPLE, textlen);
	assert_non_null(*text);
	j = json_loadb(*text, *textlen, JSON_REJECT_DUPLICATES, &jerr);
	assert_non_null(j);
	assert_int_equal(json_object_del(j, "referral"), 0);
	assert_int_equal(json_object_del(j, "handoff"), 0);
	compact = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
	assert_non_null(compact);
	json_decref(j);
	if (record_parse(compact, strlen(compact), rec, &err) != 0)
		fail_msg("example: %s", err.text);
	free(compact);
}

static void
test_example_reproduced(void **state)
{
	struct record rec;
	json_error_t jerr;
	json_t *j;
	char why[256], *text, *doc, *want, *a, *b;
	size_t textlen, len, n;

	(void)state;
	parse_example(&rec, &text, &textlen);
	doc = handoff_document(rec.case_id, &rec.msg->u.referral, NULL,
	    &example_meta, &len, why, sizeof(why));
	if (doc == NULL)
		fail_msg("handoff_document: %s", why);
	assert_int_equal(len, strlen(doc));
	assert_true(len > 2 && doc[len - 1] == '\n' && doc[len - 2] == '}');

	/*
	 * Byte for byte against jansson's two-space rendering of the
	 * example: same members, same order, same values.  (The example
	 * itself writes ips, hashes and national_verdict on one line each,
	 * by hand; JSON_INDENT(2) cannot, hence the second check.)
	 */
	j = json_loadb(text, textlen, JSON_REJECT_DUPLICATES, &jerr);
	assert_non_null(j);
	n = json_dumpb(j, NULL, 0, DUMP_FLAGS);
	assert_true(n > 0);
	want = malloc(n + 2);
	assert_non_null(want);
	assert_int_equal(json_dumpb(j, want, n, DUMP_FLAGS), n);
	want[n] = '\n';
	want[n + 1] = '\0';
	json_decref(j);
	assert_string_equal(doc, want);

	/* Byte for byte against the example's own text, modulo white space
	 * between tokens. */
	a = squeeze(doc, len);
	b = squeeze(text, textlen);
	assert_string_equal(a, b);

	free(a);
	free(b);
	free(want);
	free(doc);
	free(text);
	record_free(&rec);
}

/* Both records as canonical XML with the same header: equal bytes mean
 * equal fields, every one of them. */
static void
same_content(const char *name, struct record *a, struct record *b)
{
	struct message *ms[2] = { a->msg, b->msg };
	struct record *rs[2] = { a, b };
	struct msg_err err;
	char *xml[2] = { NULL, NULL };
	size_t xlen[2], i;

	for (i = 0; i < 2; i++) {
		assert_int_equal(record_translate(rs[i], "hotline-be.example",
		    "hotline-nl.example", "00000000-0000-4000-8000-000000000001",
		    "2026-11-28T12:00:00Z", 1), 0);
		if (message_write(ms[i], &xml[i], &xlen[i], &err) != 0)
			fail_msg("%s: message_write: %s", name, err.detail);
	}
	if (xlen[0] != xlen[1] || memcmp(xml[0], xml[1], xlen[0]) != 0)
		fail_msg("%s: the record read back from the hand-off differs",
		    name);
	free(xml[0]);
	free(xml[1]);
}

/* record -> hand-off -> record (less handoff and referral): the same. */
static void
roundtrip(const char *name, const char *json, size_t jlen, int referral)
{
	struct handoff_meta meta = referral ? example_meta : domestic_meta;
	struct record a, b;
	struct record_err err;
	json_error_t jerr;
	json_t *j, *h;
	char why[256], *doc, *back;
	size_t len;

	if (record_parse(json, jlen, &a, &err) != 0)
		fail_msg("%s: %s", name, err.text);
	meta.test = a.test;
	doc = handoff_document(a.case_id, &a.msg->u.referral,
	    referral ? NULL : a.internal, &meta, &len, why, sizeof(why));
	if (doc == NULL)
		fail_msg("%s: handoff_document: %s", name, why);
	j = json_loadb(doc, len, JSON_REJECT_DUPLICATES, &jerr);
	if (j == NULL)
		fail_msg("%s: the hand-off is not JSON: %s", name, jerr.text);
	h = json_object_get(j, "handoff");
	assert_non_null(h);
	assert_string_equal(json_string_value(json_object_get(h, "kind")),
	    meta.kind);
	assert_int_equal(json_is_true(json_object_get(h, "test")), a.test);
	assert_int_equal(json_object_get(j, "referral") != NULL, referral);
	if (referral)
		assert_null(json_object_get(j, "internal"));
	else
		assert_int_equal(json_object_get(j, "internal") != NULL,
		    a.internal != NULL);
	json_object_del(j, "handoff");
	json_object_del(j, "referral");
	back = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
	assert_non_null(back);
	json_decref(j);
	if (record_parse(back, strlen(back), &b, &err) != 0)
		fail_msg("%s: the hand-off is not a record: %s", name, err.text);
	assert_string_equal(a.case_id, b.case_id);
	assert_int_equal(a.test, b.test);
	if (referral)
		assert_null(b.internal);
	else if (a.internal == NULL)
		assert_null(b.internal);
	else {
		assert_non_null(b.internal);
		assert_string_equal(a.internal, b.internal);
	}
	same_content(name, &a, &b);
	record_free(&a);
	record_free(&b);
	free(back);
	free(doc);
}

static void
test_roundtrip_every_valid_record(void **state)
{
	DIR *d = opendir(RECORDS);
	struct dirent *e;
	char path[512], *json;
	size_t len, n = 0;
	int seen_required[3] = { 0, 0, 0 };

	(void)state;
	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), RECORDS "/%s/input.json",
		    e->d_name);
		if ((json = test_slurp(path, &len)) == NULL)
			continue;
		roundtrip(e->d_name, json, len, 0);
		roundtrip(e->d_name, json, len, 1);
		free(json);
		seen_required[0] |= strcmp(e->d_name,
		    "every-optional-member") == 0;
		seen_required[1] |= strcmp(e->d_name, "minimal") == 0;
		seen_required[2] |= strcmp(e->d_name,
		    "hashes-every-algorithm") == 0;
		n++;
	}
	closedir(d);
	assert_true(seen_required[0] && seen_required[1] && seen_required[2]);
	assert_true(n >= 10);
}

/* The hash members come out in sha256, sha1, md5, pdq, photodna order,
 * whatever order the record gave them in. */
static void
test_hash_order(void **state)
{
	static const char rec_json[] =
	    "{\"case_id\":\"CF-9\",\"received_at\":\"2026-11-28T09:12:00Z\","
	    "\"assessed_at\":\"2026-11-28T10:40:00Z\",\"source\":\"proactive\","
	    "\"reported_url\":\"http://a.example/\",\"hosting\":{\"country\":"
	    "\"NL\",\"traced_at\":\"2026-11-28T10:35:00Z\"},\"severity\":"
	    "\"low\",\"items\":[{\"content_url\":\"http://a.example/1\","
	    "\"media_type\":\"image\",\"hashes\":{"
	    "\"md5\":\"c4b8538fba5c595ef2cf0e20fa072a62\","
	    "\"sha1\":\"3969782e8983f10713fedbb177c8f426e8416687\"},"
	    "\"intl_verdict\":\"not_assessed\"}],"
	    "\"sender_actions\":{\"lea_notified_at\":null,"
	    "\"host_notified_at\":null}}";
	struct record rec;
	struct record_err err;
	char why[256], *doc, *sha1, *md5;
	size_t len;

	(void)state;
	if (record_parse(rec_json, strlen(rec_json), &rec, &err) != 0)
		fail_msg("%s", err.text);
	doc = handoff_document(rec.case_id, &rec.msg->u.referral, NULL,
	    &domestic_meta, &len, why, sizeof(why));
	assert_non_null(doc);
	sha1 = strstr(doc, "\"sha1\"");
	md5 = strstr(doc, "\"md5\"");
	assert_true(sha1 != NULL && md5 != NULL && sha1 < md5);
	/* Both sender actions null: no sender_actions at all; no internal. */
	assert_null(strstr(doc, "sender_actions"));
	assert_null(strstr(doc, "\"internal\""));
	assert_null(strstr(doc, "\"referral\""));
	assert_null(strstr(doc, "site_type"));
	free(doc);
	record_free(&rec);
}

/* What handoff_document() refuses, and the reason it gives. */
enum mutation {
	M_KIND, M_KIND_NULL, M_STATE, M_REVISION, M_DEADLINE, M_NO_FROM,
	M_BAD_MESSAGE_ID, M_NO_THEIR_REF, M_DOMESTIC_WITH_FROM,
	M_REFERRAL_WITH_INTERNAL, M_INTERNAL_ARRAY, M_INTERNAL_NUMBER,
	M_INTERNAL_BROKEN, M_INTERNAL_DUPLICATE, M_CASE_ID, M_CASE_ID_NULL,
	M_SEVERITY, M_MEDIA_TYPE, M_HASH_NOT_UTF8, M_NO_ITEMS, M_NO_URL,
	M_CDN, M_INDUSTRY, M_TEST,
};

static const struct {
	enum mutation	 m;
	const char	*why;
} refusals[] = {
	{ M_KIND, "handoff.kind: expected referral or domestic" },
	{ M_KIND_NULL, "handoff.kind: expected referral or domestic" },
	{ M_STATE, "handoff.state: expected new, acknowledged, withdrawn or "
	    "amended" },
	{ M_REVISION, "handoff.revision: expected 1 or more" },
	{ M_DEADLINE, "handoff.deadline_at: " },
	{ M_NO_FROM, "referral.from: missing" },
	{ M_BAD_MESSAGE_ID, "referral.message_id: " },
	{ M_NO_THEIR_REF, "referral.their_case_ref: missing" },
	{ M_DOMESTIC_WITH_FROM, "referral: given for a domestic hand-off" },
	{ M_REFERRAL_WITH_INTERNAL, "internal: given for a partner's "
	    "referral" },
	{ M_INTERNAL_ARRAY, "internal: not a JSON object" },
	{ M_INTERNAL_NUMBER, "internal: not valid JSON (line 1, column" },
	{ M_INTERNAL_BROKEN, "internal: not valid JSON (line 1, column" },
	{ M_INTERNAL_DUPLICATE, "internal: not valid JSON (line 1, column" },
	{ M_CASE_ID, "case_id: not a case number" },
	{ M_CASE_ID_NULL, "case_id: missing" },
	{ M_SEVERITY, "severity: value 9 is not in the vocabulary" },
	{ M_MEDIA_TYPE, "items[0].media_type: value 42 is not in the "
	    "vocabulary" },
	{ M_HASH_NOT_UTF8, "items[0].hashes.sha256: not valid UTF-8" },
	{ M_NO_ITEMS, "items: 0 items, expected 1 to 1000" },
	{ M_NO_URL, "reported_url: missing" },
	{ M_CDN, "hosting.cdn: expected -1, 0 or 1, got 2" },
	{ M_INDUSTRY, "items[0].industry_class: value 7 is not in the "
	    "vocabulary" },
	{ M_TEST, "handoff.test: expected 0 or 1, got 5" },
};

static void
test_refusals(void **state)
{
	struct record rec;
	struct msg_referral r;
	struct msg_item it;
	struct handoff_meta meta;
	const char *case_id, *internal;
	char why[256], *text, *doc;
	size_t textlen, len, i;

	(void)state;
	parse_example(&rec, &text, &textlen);
	for (i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++) {
		r = rec.msg->u.referral;
		it = r.items[0];
		r.items = &it;
		meta = example_meta;
		case_id = rec.case_id;
		internal = NULL;
		switch (refusals[i].m) {
		case M_KIND:
			meta.kind = "partner";
			break;
		case M_KIND_NULL:
			meta.kind = NULL;
			break;
		case M_STATE:
			meta.state = "done";
			break;
		case M_REVISION:
			meta.revision = 0;
			break;
		case M_DEADLINE:
			meta.deadline_at = "tomorrow";
			break;
		case M_NO_FROM:
			meta.from = NULL;
			break;
		case M_BAD_MESSAGE_ID:
			meta.message_id = "not-a-uuid";
			break;
		case M_NO_THEIR_REF:
			meta.their_case_ref = NULL;
			break;
		case M_DOMESTIC_WITH_FROM:
			meta = domestic_meta;
			meta.from = "hotline-nl.example";
			break;
		case M_REFERRAL_WITH_INTERNAL:
			internal = "{\"analyst\":\"a-1\"}";
			break;
		case M_INTERNAL_ARRAY:
			meta = domestic_meta;
			internal = "[1,2]";
			break;
		case M_INTERNAL_NUMBER:
			meta = domestic_meta;
			internal = "3";
			break;
		case M_INTERNAL_BROKEN:
			meta = domestic_meta;
			internal = "{\"notes\":\"SECRET-NOTE";
			break;
		case M_INTERNAL_DUPLICATE:
			meta = domestic_meta;
			internal = "{\"a\":1,\"a\":2}";
			break;
		case M_CASE_ID:
			case_id = "IN/2026";
			break;
		case M_CASE_ID_NULL:
			case_id = NULL;
			break;
		case M_SEVERITY:
			r.severity = (enum severity)9;
			break;
		case M_MEDIA_TYPE:
			it.media_type = (enum media_type)42;
			break;
		case M_HASH_NOT_UTF8:
			it.hashes[HASH_SHA256] = (char *)(uintptr_t)"\xff\xfe";
			break;
		case M_NO_ITEMS:
			r.nitems = 0;
			break;
		case M_NO_URL:
			r.reported_url = NULL;
			break;
		case M_CDN:
			r.hosting.cdn = 2;
			break;
		case M_INDUSTRY:
			it.industry_class = 7;
			break;
		case M_TEST:
			meta.test = 5;
			break;
		}
		len = 99;
		doc = handoff_document(case_id, &r, internal, &meta, &len, why,
		    sizeof(why));
		if (doc != NULL) {
			free(doc);
			fail_msg("row %zu: expected \"%s\", got a document", i,
			    refusals[i].why);
		}
		assert_int_equal(len, 0);
		if (strncmp(why, refusals[i].why, strlen(refusals[i].why)) != 0)
			fail_msg("row %zu: expected \"%s...\", got \"%s\"", i,
			    refusals[i].why, why);
		/* A reason never quotes the analysts' notes. */
		assert_null(strstr(why, "SECRET"));
	}
	free(text);
	record_free(&rec);
}

/* The names in dir (less . and ..), sorted, joined by spaces. */
static void
listing(const char *dir, char *buf, size_t bufsz)
{
	struct dirent **names;
	size_t o = 0;
	int i, n;

	n = scandir(dir, &names, NULL, alphasort);
	assert_true(n >= 0);
	buf[0] = '\0';
	for (i = 0; i < n; i++) {
		if (strcmp(names[i]->d_name, ".") != 0 &&
		    strcmp(names[i]->d_name, "..") != 0)
			o += (size_t)snprintf(buf + o, bufsz - o, "%s%s",
			    o == 0 ? "" : " ", names[i]->d_name);
		assert_true(o < bufsz);
		free(names[i]);
	}
	free(names);
}

static void
assert_file(const char *path, const char *doc, size_t len)
{
	struct stat st;
	char *got;
	size_t glen;

	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0600);
	got = test_slurp(path, &glen);
	assert_non_null(got);
	assert_int_equal(glen, len);
	assert_memory_equal(got, doc, len);
	free(got);
}

static void
test_write(void **state)
{
	static const char *const refused[] = { "../x", ".", "..", ".hidden",
		"", "a/b", "x\n" };
	struct record rec;
	struct handoff_meta meta = example_meta;
	struct stat st;
	char dir[] = "/tmp/hlx-test-handoff-XXXXXX";
	char path[256], other[256], why[256], names[512], *text, *doc, *doc2;
	size_t textlen, len, len2, i;

	(void)state;
	parse_example(&rec, &text, &textlen);
	assert_non_null(mkdtemp(dir));
	doc = handoff_document(rec.case_id, &rec.msg->u.referral, NULL, &meta,
	    &len, why, sizeof(why));
	assert_non_null(doc);

	/* A new file: exact content, 0600, nothing else in the directory. */
	if (handoff_write(dir, rec.case_id, doc, len, why, sizeof(why)) != 0)
		fail_msg("handoff_write: %s", why);
	snprintf(path, sizeof(path), "%s/IN-2026-000001.json", dir);
	assert_file(path, doc, len);
	listing(dir, names, sizeof(names));
	assert_string_equal(names, "IN-2026-000001.json");

	/* Revision 2 replaces it. */
	meta.revision = 2;
	meta.state = "amended";
	doc2 = handoff_document(rec.case_id, &rec.msg->u.referral, NULL, &meta,
	    &len2, why, sizeof(why));
	assert_non_null(doc2);
	assert_non_null(strstr(doc2, "\"revision\": 2"));
	if (handoff_write(dir, rec.case_id, doc2, len2, why, sizeof(why)) != 0)
		fail_msg("handoff_write: %s", why);
	assert_file(path, doc2, len2);
	listing(dir, names, sizeof(names));
	assert_string_equal(names, "IN-2026-000001.json");

	/* Names that are no case number, or would leave the directory. */
	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		errno = 0;
		why[0] = '\0';
		assert_int_equal(handoff_write(dir, refused[i], doc, len, why,
		    sizeof(why)), -1);
		assert_int_equal(errno, EINVAL);
		assert_non_null(strstr(why, "case id"));
	}
	errno = 0;
	assert_int_equal(handoff_write(dir, NULL, doc, len, why, sizeof(why)),
	    -1);
	assert_int_equal(errno, EINVAL);
	listing(dir, names, sizeof(names));
	assert_string_equal(names, "IN-2026-000001.json");

	/* A missing directory: ENOENT, and a reason naming the file. */
	snprintf(other, sizeof(other), "%s/missing", dir);
	errno = 0;
	assert_int_equal(handoff_write(other, rec.case_id, doc, len, why,
	    sizeof(why)), -1);
	assert_int_equal(errno, ENOENT);
	assert_non_null(strstr(why, "IN-2026-000001.json"));
	assert_non_null(strstr(why, "cannot open the directory"));
	/* The reason names the file, never its content. */
	assert_null(strstr(why, "hotline-nl.example"));

	/* The rename fails (a directory holds the name): the temporary file
	 * is removed, errno kept. */
	snprintf(other, sizeof(other), "%s/IN-2026-000002.json", dir);
	assert_int_equal(mkdir(other, 0700), 0);
	errno = 0;
	assert_int_equal(handoff_write(dir, "IN-2026-000002", doc, len, why,
	    sizeof(why)), -1);
	assert_int_equal(errno, EISDIR);
	assert_non_null(strstr(why, "cannot rename"));
	listing(dir, names, sizeof(names));
	assert_string_equal(names, "IN-2026-000001.json IN-2026-000002.json");
	assert_int_equal(rmdir(other), 0);

	/* A symbolic link in the file's place is replaced, not followed. */
	snprintf(other, sizeof(other), "%s/IN-2026-000003.json", dir);
	assert_int_equal(symlink("/nonexistent/hlx-handoff-target", other), 0);
	if (handoff_write(dir, "IN-2026-000003", doc, len, why,
	    sizeof(why)) != 0)
		fail_msg("handoff_write: %s", why);
	assert_file(other, doc, len);
	assert_int_equal(unlink(other), 0);

	/* A read-only directory refuses the temporary file. */
	if (geteuid() == 0)
		print_message("# skipped the read-only directory check: "
		    "running as root, which chmod 0500 does not stop\n");
	else {
		assert_int_equal(chmod(dir, 0500), 0);
		errno = 0;
		assert_int_equal(handoff_write(dir, "IN-2026-000004", doc, len,
		    why, sizeof(why)), -1);
		assert_int_equal(errno, EACCES);
		assert_non_null(strstr(why, "cannot create a temporary file"));
		assert_int_equal(chmod(dir, 0700), 0);
		listing(dir, names, sizeof(names));
		assert_string_equal(names, "IN-2026-000001.json");
	}

	assert_int_equal(unlink(path), 0);
	assert_int_equal(rmdir(dir), 0);
	assert_int_equal(stat(dir, &st), -1);
	free(doc);
	free(doc2);
	free(text);
	record_free(&rec);
}

static void
test_deadline(void **state)
{
	/* operations.md defaults, in enum severity order: low .. critical */
	static const unsigned deadlines[4] = { 7 * 86400, 72 * 3600,
		24 * 3600, 2 * 3600 };
	static const struct {
		enum severity	 sev;
		const char	*want;
	} rows[] = {
		{ SEVERITY_LOW, "2026-12-05T12:00:01Z" },
		{ SEVERITY_MEDIUM, "2026-12-01T12:00:01Z" },
		{ SEVERITY_HIGH, "2026-11-29T12:00:01Z" },	/* the example */
		{ SEVERITY_CRITICAL, "2026-11-28T14:00:01Z" },
		/* out of range: the most urgent one */
		{ (enum severity)7, "2026-11-28T14:00:01Z" },
	};
	char buf[HLX_TIMESTAMP_MAX + 1];
	time_t from;
	size_t i;

	(void)state;
	assert_int_equal(type_timestamp_parse("2026-11-28T12:00:01Z", &from),
	    0);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		assert_int_equal(type_timestamp_format(handoff_deadline(from,
		    rows[i].sev, deadlines), buf, sizeof(buf)), 0);
		assert_string_equal(buf, rows[i].want);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_example_reproduced),
		cmocka_unit_test(test_roundtrip_every_valid_record),
		cmocka_unit_test(test_hash_order),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_write),
		cmocka_unit_test(test_deadline),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
