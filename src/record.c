/*
 * record.c -- JSON case record -> struct record.  See record.h.
 *
 * SECURITY: the record comes from the hotline's own case system, but it is
 * still input: it is size-checked before parsing, UTF-8-checked, parsed by
 * jansson with duplicate keys refused, and depth-checked before anything is
 * read from it.  Nothing from `internal` is ever copied into the message.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "hlx_limits.h"
#include "record.h"

struct rctx {
	struct record_err	*err;
	struct message		*m;
	char			 path[256];
	size_t			 plen;
};

/* Appends ".key" (or "key" at the top) to the path; returns the old length. */
static size_t
push_key(struct rctx *c, const char *key)
{
	size_t old = c->plen;
	char safe[72];
	size_t i, o = 0;
	int n;

	/* A key may be anything the file holds: printable ASCII only. */
	for (i = 0; key[i] != '\0' && o + 4 < sizeof(safe); i++)
		safe[o++] = ((unsigned char)key[i] >= 0x20 &&
		    (unsigned char)key[i] < 0x7f) ? key[i] : '?';
	if (key[i] != '\0') {
		memcpy(safe + o, "...", 3);
		o += 3;
	}
	safe[o] = '\0';
	n = snprintf(c->path + c->plen, sizeof(c->path) - c->plen, "%s%s",
	    c->plen == 0 ? "" : ".", safe);
	if (n > 0 && (size_t)n < sizeof(c->path) - c->plen)
		c->plen += (size_t)n;
	return old;
}

static size_t
push_index(struct rctx *c, size_t i)
{
	size_t old = c->plen;
	int n = snprintf(c->path + c->plen, sizeof(c->path) - c->plen,
	    "[%zu]", i);

	if (n > 0 && (size_t)n < sizeof(c->path) - c->plen)
		c->plen += (size_t)n;
	return old;
}

static void
pop(struct rctx *c, size_t old)
{
	c->plen = old;
	c->path[old] = '\0';
}

static int
fail(struct rctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int
fail(struct rctx *c, const char *fmt, ...)
{
	char what[240];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	snprintf(c->err->text, sizeof(c->err->text), "%s: %s",
	    c->plen == 0 ? "(record)" : c->path, what);
	return -1;
}

static int
oom(struct rctx *c)
{
	snprintf(c->err->text, sizeof(c->err->text), "out of memory");
	return -1;
}

/* A short, printable quote of a value the user gave, for an error. */
static const char *
quote(const char *s, char *buf, size_t bufsz)
{
	size_t i, o = 0;

	buf[o++] = '"';
	for (i = 0; s[i] != '\0' && o + 5 < bufsz; i++)
		buf[o++] = ((unsigned char)s[i] >= 0x20 &&
		    (unsigned char)s[i] < 0x7f && s[i] != '"') ? s[i] : '?';
	if (s[i] != '\0') {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o++] = '"';
	buf[o] = '\0';
	return buf;
}

static const char *
kind(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
		return "an integer";
	case JSON_REAL:
		return "a number with a fraction or exponent";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	case JSON_NULL:
		return "null";
	}
	return "something else";
}

static int
wrong_type(struct rctx *c, const json_t *v, const char *want)
{
	if (json_is_null(v))
		return fail(c, "null is not allowed here");
	return fail(c, "expected %s, got %s", want, kind(v));
}

/* Refuses any member not in allowed (a NULL-terminated list). */
static int
known_members(struct rctx *c, json_t *obj, const char *const *allowed)
{
	const char *key;
	json_t *v;
	size_t i, old;

	json_object_foreach(obj, key, v) {
		for (i = 0; allowed[i] != NULL; i++)
			if (strcmp(key, allowed[i]) == 0)
				break;
		if (allowed[i] == NULL) {
			old = push_key(c, key);
			fail(c, "unknown member");
			pop(c, old);
			return -1;
		}
	}
	return 0;
}

typedef const char *(*check_fn)(const char *);

/* required: 1 = must be present; 0 = optional; *out NULL when absent. */
static int
get_string(struct rctx *c, json_t *obj, const char *key, int required,
    check_fn check, char **out)
{
	json_t *v = json_object_get(obj, key);
	const char *why;
	size_t old = push_key(c, key);
	int rc = -1;

	*out = NULL;
	if (v == NULL) {
		if (required)
			fail(c, "is required");
		else
			rc = 0;
		goto out;
	}
	if (!json_is_string(v)) {
		wrong_type(c, v, "a string");
		goto out;
	}
	if (check != NULL && (why = check(json_string_value(v))) != NULL) {
		fail(c, "%s", why);
		goto out;
	}
	if ((*out = arena_strndup(c->m->arena, json_string_value(v),
	    json_string_length(v))) == NULL) {
		oom(c);
		goto out;
	}
	rc = 0;
out:
	pop(c, old);
	return rc;
}

/* *out = the index in the vocabulary, or -1 when absent and optional. */
static int
get_enum(struct rctx *c, json_t *obj, const char *key, int required,
    enum type_vocab vocab, int *out)
{
	json_t *v = json_object_get(obj, key);
	size_t old = push_key(c, key);
	char q[64];
	int rc = -1;

	*out = -1;
	if (v == NULL) {
		if (required)
			fail(c, "is required");
		else
			rc = 0;
		goto out;
	}
	if (!json_is_string(v)) {
		wrong_type(c, v, "a string");
		goto out;
	}
	if ((*out = type_vocab_parse(vocab, json_string_value(v))) < 0) {
		fail(c, "expected one of %s, got %s", type_vocab_list(vocab),
		    quote(json_string_value(v), q, sizeof(q)));
		goto out;
	}
	rc = 0;
out:
	pop(c, old);
	return rc;
}

/* *out = 0/1, or -1 when absent. */
static int
get_bool(struct rctx *c, json_t *obj, const char *key, int *out)
{
	json_t *v = json_object_get(obj, key);
	size_t old;

	*out = -1;
	if (v == NULL)
		return 0;
	if (!json_is_boolean(v)) {
		old = push_key(c, key);
		wrong_type(c, v, "true or false");
		pop(c, old);
		return -1;
	}
	*out = json_is_true(v);
	return 0;
}

static int
get_object(struct rctx *c, json_t *obj, const char *key, int required,
    json_t **out)
{
	json_t *v = json_object_get(obj, key);
	size_t old;

	*out = NULL;
	if (v == NULL) {
		if (!required)
			return 0;
		old = push_key(c, key);
		fail(c, "is required");
		pop(c, old);
		return -1;
	}
	if (!json_is_object(v)) {
		old = push_key(c, key);
		wrong_type(c, v, "an object");
		pop(c, old);
		return -1;
	}
	*out = v;
	return 0;
}

/* An array of min..max elements; *out NULL when absent and optional. */
static int
get_array(struct rctx *c, json_t *obj, const char *key, int required,
    size_t min, size_t max, const char *what, json_t **out)
{
	json_t *v = json_object_get(obj, key);
	size_t old = push_key(c, key), n;
	int rc = -1;

	*out = NULL;
	if (v == NULL) {
		if (required)
			fail(c, "is required");
		else
			rc = 0;
		goto out;
	}
	if (!json_is_array(v)) {
		wrong_type(c, v, "an array");
		goto out;
	}
	n = json_array_size(v);
	if (n < min || n > max) {
		if (min == 0)
			fail(c, "expected at most %zu %s, got %zu", max, what,
			    n);
		else
			fail(c, "expected %zu to %zu %s, got %zu", min, max,
			    what, n);
		goto out;
	}
	*out = v;
	rc = 0;
out:
	pop(c, old);
	return rc;
}

static int
hosting(struct rctx *c, json_t *obj, struct msg_hosting *h)
{
	static const char *const allowed[] = { "country", "ips", "asn",
		"provider", "cdn", "traced_at", NULL };
	json_t *ips, *v;
	size_t i, old;

	if (known_members(c, obj, allowed) == -1 ||
	    get_string(c, obj, "country", 1, type_check_country,
	    &h->country) == -1 ||
	    get_array(c, obj, "ips", 0, 0, HLX_IPS_MAX, "addresses",
	    &ips) == -1)
		return -1;
	json_array_foreach(ips, i, v) {
		const char *why;

		old = push_key(c, "ips");
		push_index(c, i);
		if (!json_is_string(v)) {
			wrong_type(c, v, "a string");
			pop(c, old);
			return -1;
		}
		if ((why = type_check_ip(json_string_value(v))) != NULL) {
			fail(c, "%s", why);
			pop(c, old);
			return -1;
		}
		pop(c, old);
		if ((h->ips[i] = arena_strdup(c->m->arena,
		    json_string_value(v))) == NULL)
			return oom(c);
		h->nips++;
	}
	h->asn = 0;
	if ((v = json_object_get(obj, "asn")) != NULL) {
		old = push_key(c, "asn");
		if (!json_is_integer(v)) {
			wrong_type(c, v, "an integer");
			pop(c, old);
			return -1;
		}
		if (json_integer_value(v) < 1 ||
		    (unsigned long long)json_integer_value(v) > HLX_ASN_MAX) {
			fail(c, "expected an AS number from 1 to %lu",
			    HLX_ASN_MAX);
			pop(c, old);
			return -1;
		}
		pop(c, old);
		h->asn = (uint32_t)json_integer_value(v);
	}
	if (get_string(c, obj, "provider", 0, type_check_text,
	    &h->provider) == -1 ||
	    get_bool(c, obj, "cdn", &h->cdn) == -1 ||
	    get_string(c, obj, "traced_at", 1, type_check_timestamp,
	    &h->traced_at) == -1)
		return -1;
	return 0;
}

static int
hashes(struct rctx *c, json_t *obj, struct msg_item *it)
{
	const char *key;
	json_t *v;
	size_t old, len, want;
	int a, rc = -1;

	json_object_foreach(obj, key, v) {
		old = push_key(c, key);
		if ((a = type_vocab_parse(VOCAB_HASH_ALG, key)) < 0) {
			fail(c, "unknown hash algorithm (expected one of %s)",
			    type_vocab_list(VOCAB_HASH_ALG));
			goto out;
		}
		if (!json_is_string(v)) {
			wrong_type(c, v, "a string");
			goto out;
		}
		len = json_string_length(v);
		want = type_hash_length((enum hash_alg)a);
		if (len != want) {
			fail(c, "expected %zu %s, got %zu", want,
			    a == HASH_PHOTODNA ? "base64 characters" :
			    "hex digits", len);
			goto out;
		}
		if (type_check_hash((enum hash_alg)a,
		    json_string_value(v)) != NULL) {
			fail(c, "expected %s only", a == HASH_PHOTODNA ?
			    "base64 characters" : "lowercase hex digits");
			goto out;
		}
		if ((it->hashes[a] = arena_strdup(c->m->arena,
		    json_string_value(v))) == NULL) {
			oom(c);
			goto out;
		}
		pop(c, old);
	}
	return 0;
out:
	pop(c, old);
	return rc;
}

static int
national(struct rctx *c, json_t *obj, struct msg_national *nv)
{
	static const char *const allowed[] = { "jurisdiction", "status",
		"code", NULL };
	int v;

	if (known_members(c, obj, allowed) == -1 ||
	    get_string(c, obj, "jurisdiction", 1, type_check_country,
	    &nv->jurisdiction) == -1 ||
	    get_enum(c, obj, "status", 1, VOCAB_NATIONAL_VERDICT, &v) == -1 ||
	    get_string(c, obj, "code", 0, type_check_token, &nv->code) == -1)
		return -1;
	nv->verdict = (enum national_verdict)v;
	nv->present = 1;
	return 0;
}

static int
item(struct rctx *c, json_t *obj, struct msg_item *it)
{
	static const char *const allowed[] = { "content_url", "media_type",
		"hashes", "intl_verdict", "national_verdict", "industry_class",
		"previously_assessed", NULL };
	json_t *h, *nv;
	size_t old;
	int v;

	if (known_members(c, obj, allowed) == -1 ||
	    get_string(c, obj, "content_url", 1, type_check_url,
	    &it->content_url) == -1 ||
	    get_enum(c, obj, "media_type", 1, VOCAB_MEDIA_TYPE, &v) == -1)
		return -1;
	it->media_type = (enum media_type)v;
	if (get_object(c, obj, "hashes", 0, &h) == -1)
		return -1;
	if (h != NULL) {
		old = push_key(c, "hashes");
		v = hashes(c, h, it);
		pop(c, old);
		if (v == -1)
			return -1;
	}
	if (get_enum(c, obj, "intl_verdict", 1, VOCAB_INTL_VERDICT, &v) == -1)
		return -1;
	it->intl_verdict = (enum intl_verdict)v;
	if (get_object(c, obj, "national_verdict", 0, &nv) == -1)
		return -1;
	if (nv != NULL) {
		old = push_key(c, "national_verdict");
		v = national(c, nv, &it->national);
		pop(c, old);
		if (v == -1)
			return -1;
	}
	if (get_enum(c, obj, "industry_class", 0, VOCAB_INDUSTRY_CLASS,
	    &it->industry_class) == -1 ||
	    get_bool(c, obj, "previously_assessed",
	    &it->previously_assessed) == -1)
		return -1;
	return 0;
}

struct url_index {
	const char	*url;
	size_t		 index;
};

static int
url_index_cmp(const void *a, const void *b)
{
	const struct url_index *x = a, *y = b;
	int r = strcmp(x->url, y->url);

	if (r != 0)
		return r;
	return x->index < y->index ? -1 : x->index > y->index;
}

static int
items(struct rctx *c, json_t *arr, struct msg_referral *r)
{
	struct url_index *ix = NULL;
	size_t n = json_array_size(arr), i, old, dup;
	json_t *v;
	int rc = -1;

	if ((r->items = arena_alloc(c->m->arena, n * sizeof(*r->items))) ==
	    NULL || (ix = calloc(n, sizeof(*ix))) == NULL) {
		oom(c);
		goto out;
	}
	json_array_foreach(arr, i, v) {
		struct msg_item *it = &r->items[i];

		it->industry_class = -1;
		it->previously_assessed = -1;
		old = push_key(c, "items");
		push_index(c, i);
		if (!json_is_object(v)) {
			wrong_type(c, v, "an object");
			pop(c, old);
			goto out;
		}
		if (item(c, v, it) == -1) {
			pop(c, old);
			goto out;
		}
		pop(c, old);
		ix[i].url = it->content_url;
		ix[i].index = i;
		r->nitems++;
	}
	qsort(ix, n, sizeof(*ix), url_index_cmp);
	/* Of all repeats, name the one that comes first in the file. */
	dup = 0;
	for (i = 1; i < n; i++)
		if (strcmp(ix[i - 1].url, ix[i].url) == 0 &&
		    (dup == 0 || ix[i].index < ix[dup].index))
			dup = i;
	if (dup != 0) {
		old = push_key(c, "items");
		push_index(c, ix[dup].index);
		push_key(c, "content_url");
		fail(c, "repeats items[%zu].content_url; content URLs must be "
		    "distinct", ix[dup - 1].index);
		pop(c, old);
		goto out;
	}
	rc = 0;
out:
	free(ix);
	return rc;
}

static int
sender_actions(struct rctx *c, json_t *obj, struct msg_referral *r)
{
	static const char *const allowed[] = { "lea_notified_at",
		"host_notified_at", NULL };
	static const char *const keys[] = { "lea_notified_at",
		"host_notified_at" };
	char **outs[] = { &r->lea_notified_at, &r->host_notified_at };
	size_t i;

	if (known_members(c, obj, allowed) == -1)
		return -1;
	/* null members are left out, like absent ones (case-record.md). */
	for (i = 0; i < 2; i++) {
		if (json_is_null(json_object_get(obj, keys[i])))
			continue;
		if (get_string(c, obj, keys[i], 0, type_check_timestamp,
		    outs[i]) == -1)
			return -1;
	}
	return 0;
}

/* Depth of v in levels; the path of the first spot too deep is reported. */
static int
check_depth(struct rctx *c, json_t *v, int depth)
{
	const char *key;
	json_t *e;
	size_t i, old;

	if (!json_is_object(v) && !json_is_array(v))
		return 0;
	if (depth > HLX_RECORD_MAX_DEPTH)
		return fail(c, "nested deeper than %d levels",
		    HLX_RECORD_MAX_DEPTH);
	if (json_is_object(v)) {
		json_object_foreach(v, key, e) {
			old = push_key(c, key);
			if (check_depth(c, e, depth + 1) == -1)
				return -1;	/* path stays for the error */
			pop(c, old);
		}
	} else {
		json_array_foreach(v, i, e) {
			old = push_index(c, i);
			if (check_depth(c, e, depth + 1) == -1)
				return -1;
			pop(c, old);
		}
	}
	return 0;
}

/* A case number that can also name a hand-off file: no leading dot. */
static const char *
check_case_id(const char *s)
{
	const char *why = type_check_case_number(s);

	if (why == NULL && s[0] == '.')
		return "must not start with '.' (it names a hand-off file)";
	return why;
}

static int
referral(struct rctx *c, json_t *root, struct record *rec)
{
	static const char *const allowed[] = { "case_id", "received_at",
		"assessed_at", "source", "reported_url", "site_type",
		"hosting", "severity", "restriction", "expectation", "items",
		"sender_actions", "test", "internal", NULL };
	struct msg_referral *r = &c->m->u.referral;
	json_t *h, *arr, *sa, *internal;
	size_t old;
	int v;

	if (known_members(c, root, allowed) == -1 ||
	    get_string(c, root, "case_id", 1, check_case_id,
	    &r->caseref.number) == -1 ||
	    get_string(c, root, "received_at", 1, type_check_timestamp,
	    &r->received_at) == -1 ||
	    get_string(c, root, "assessed_at", 1, type_check_timestamp,
	    &r->assessed_at) == -1 ||
	    get_enum(c, root, "source", 1, VOCAB_SOURCE, &v) == -1)
		return -1;
	r->source = (enum source)v;
	if (get_string(c, root, "reported_url", 1, type_check_url,
	    &r->reported_url) == -1 ||
	    get_enum(c, root, "site_type", 0, VOCAB_SITE_TYPE,
	    &r->site_type) == -1 ||
	    get_object(c, root, "hosting", 1, &h) == -1)
		return -1;
	old = push_key(c, "hosting");
	v = hosting(c, h, &r->hosting);
	pop(c, old);
	if (v == -1 ||
	    get_enum(c, root, "severity", 1, VOCAB_SEVERITY, &v) == -1)
		return -1;
	r->severity = (enum severity)v;
	if (get_enum(c, root, "restriction", 0, VOCAB_RESTRICTION, &v) == -1)
		return -1;
	r->restriction = v < 0 ? RESTRICTION_RED : (enum restriction)v;
	if (get_enum(c, root, "expectation", 0, VOCAB_EXPECTATION, &v) == -1)
		return -1;
	r->expectation = v < 0 ? EXPECT_ASSESS_AND_TAKEDOWN :
	    (enum expectation)v;
	if (get_array(c, root, "items", 1, 1, HLX_ITEMS_MAX, "items",
	    &arr) == -1 || items(c, arr, r) == -1)
		return -1;
	if (get_object(c, root, "sender_actions", 0, &sa) == -1)
		return -1;
	if (sa != NULL) {
		old = push_key(c, "sender_actions");
		v = sender_actions(c, sa, r);
		pop(c, old);
		if (v == -1)
			return -1;
	}
	if (get_bool(c, root, "test", &v) == -1)
		return -1;
	rec->test = v == 1;
	if (get_object(c, root, "internal", 0, &internal) == -1)
		return -1;
	if (internal != NULL &&
	    (rec->internal = json_dumps(internal, JSON_COMPACT)) == NULL)
		return oom(c);
	r->caseref.version = 1;
	rec->case_id = r->caseref.number;
	return 0;
}

/*
 * jansson names a duplicate key by line and column only; the path is what
 * a case-system developer needs.  The text before jansson's position is
 * valid JSON up to and including the repeated key, so a small scan of its
 * brackets, commas and strings recovers where that key stands.  Returns 0
 * with the error set, or -1 when the scan cannot tell (then jansson's own
 * line and column are reported).
 */
#define DUP_SCAN_DEPTH	64

static int
duplicate_key_path(struct rctx *c, const char *buf, size_t end)
{
	struct {
		int		 object;
		size_t		 index;
		const char	*key;
		size_t		 keylen;
		int		 want_key;
	} st[DUP_SCAN_DEPTH];
	char key[80];
	size_t depth = 0, i = 0, j, n;

	while (i < end) {
		char ch = buf[i];

		if (ch == '{' || ch == '[') {
			if (depth == DUP_SCAN_DEPTH)
				return -1;
			st[depth].object = ch == '{';
			st[depth].index = 0;
			st[depth].key = NULL;
			st[depth].keylen = 0;
			st[depth].want_key = ch == '{';
			depth++;
			i++;
		} else if (ch == '}' || ch == ']') {
			if (depth == 0)
				return -1;
			depth--;
			i++;
		} else if (ch == ',') {
			if (depth > 0) {
				st[depth - 1].index++;
				st[depth - 1].want_key = st[depth - 1].object;
			}
			i++;
		} else if (ch == '"') {
			for (j = i + 1; j < end && buf[j] != '"'; j++)
				if (buf[j] == '\\')
					j++;
			if (depth > 0 && st[depth - 1].want_key) {
				st[depth - 1].key = buf + i + 1;
				st[depth - 1].keylen = j - i - 1;
				st[depth - 1].want_key = 0;
			}
			i = j + 1;
		} else
			i++;
	}
	if (depth == 0 || !st[depth - 1].object || st[depth - 1].key == NULL)
		return -1;
	for (i = 0; i < depth; i++) {
		if (!st[i].object) {
			push_index(c, st[i].index);
			continue;
		}
		if (st[i].key == NULL)
			return -1;
		n = st[i].keylen < sizeof(key) - 1 ? st[i].keylen :
		    sizeof(key) - 1;
		memcpy(key, st[i].key, n);
		key[n] = '\0';
		push_key(c, key);
	}
	fail(c, "duplicate member");
	return 0;
}

int
record_parse(const char *buf, size_t len, struct record *out,
    struct record_err *err)
{
	struct rctx c;
	json_error_t jerr;
	json_t *root = NULL;
	size_t bad;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	memset(&c, 0, sizeof(c));
	c.err = err;
	err->text[0] = '\0';
	if (len > HLX_RECORD_MAX_BYTES) {
		snprintf(err->text, sizeof(err->text), "(record): %zu bytes; "
		    "the limit is %ld bytes (4 MiB)", len,
		    (long)HLX_RECORD_MAX_BYTES);
		return -1;
	}
	if (type_utf8_count(buf, len, NULL, &bad) == -1) {
		snprintf(err->text, sizeof(err->text), "(record): byte %zu: "
		    "not valid UTF-8 (or a NUL byte)", bad);
		return -1;
	}
	root = json_loadb(buf, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY,
	    &jerr);
	if (root == NULL) {
		if (strncmp(jerr.text, "duplicate object key", 20) == 0 &&
		    jerr.position > 0 && (size_t)jerr.position <= len &&
		    duplicate_key_path(&c, buf, (size_t)jerr.position) == 0)
			return -1;
		memset(&c, 0, sizeof(c));
		c.err = err;
		snprintf(err->text, sizeof(err->text), "(record): line %d, "
		    "column %d: invalid JSON: %s", jerr.line, jerr.column,
		    jerr.text);
		return -1;
	}
	if (!json_is_object(root)) {
		fail(&c, "expected an object, got %s", kind(root));
		goto out;
	}
	if (check_depth(&c, root, 1) == -1)
		goto out;
	if ((c.m = message_new(BODY_REFERRAL)) == NULL) {
		oom(&c);
		goto out;
	}
	out->msg = c.m;
	if (referral(&c, root, out) == -1)
		goto out;
	rc = 0;
out:
	json_decref(root);
	if (rc == -1)
		record_free(out);
	return rc;
}

void
record_free(struct record *r)
{
	if (r == NULL)
		return;
	message_free(r->msg);
	free(r->internal);
	memset(r, 0, sizeof(*r));
}

int
record_translate(struct record *r, const char *sender, const char *recipient,
    const char *message_id, const char *sent_at, unsigned version)
{
	struct message *m = r->msg;
	struct arena *a = m->arena;

	m->header.sender = arena_strdup(a, sender);
	m->header.recipient = arena_strdup(a, recipient);
	m->header.message_id = arena_strdup(a, message_id);
	m->header.sent_at = arena_strdup(a, sent_at);
	m->header.test = r->test;
	m->u.referral.caseref.issuer = m->header.sender;
	m->u.referral.caseref.version = version;
	if (m->header.sender == NULL || m->header.recipient == NULL ||
	    m->header.message_id == NULL || m->header.sent_at == NULL)
		return -1;
	return 0;
}

int
record_digest(const char *buf, size_t len, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0, i;
	json_t *root;
	char *canon;
	int rc = -1;

	if ((root = json_loadb(buf, len, JSON_DECODE_ANY, NULL)) == NULL)
		return -1;
	canon = json_dumps(root, JSON_COMPACT | JSON_SORT_KEYS |
	    JSON_ENCODE_ANY);
	json_decref(root);
	if (canon == NULL)
		return -1;
	if (EVP_Digest(canon, strlen(canon), md, &n, EVP_sha256(), NULL) ==
	    1 && n == 32) {
		for (i = 0; i < n; i++)
			snprintf(out + 2 * i, 3, "%02x", md[i]);
		rc = 0;
	}
	free(canon);
	return rc;
}
