/*
 * lifecycle.c -- the rules of a case after its Referral, and the follow-up
 * messages (see include/lifecycle.h for the state table).
 *
 * Pure: builds structs in the message's arena; the caller writes them
 * (message_write) and checks the bytes with the parser, like every message
 * the gateway sends.  Values are checked here with the types module so
 * that a refusal names the option or JSON member, not an XML line.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "hlx_limits.h"
#include "lifecycle.h"

int
lifecycle_role_allows(enum body_type t, int sender_is_issuer)
{
	switch (t) {
	case BODY_REFERRAL:
	case BODY_WITHDRAW:
		return sender_is_issuer;
	case BODY_ASSESSMENT:
	case BODY_REROUTE:
		return !sender_is_issuer;
	case BODY_STATUS_UPDATE:
		return 1;
	default:
		return 0;
	}
}

#define S(x)	(1u << (x))
#define ALL_BUT_RECEIVED (S(STATE_UNDER_ASSESSMENT) | \
	S(STATE_FORWARDED_TO_LEA) | S(STATE_NOTICE_SENT_TO_HOST) | \
	S(STATE_CONTENT_REMOVED) | S(STATE_CONTENT_ONLINE) | \
	S(STATE_NOT_ILLEGAL_HERE) | S(STATE_CLOSED))

/* Indexed by enum case_state: the states that may follow it. */
static const unsigned next_states[] = {
	[STATE_RECEIVED] = ALL_BUT_RECEIVED,
	[STATE_UNDER_ASSESSMENT] = ALL_BUT_RECEIVED,
	[STATE_FORWARDED_TO_LEA] = S(STATE_NOTICE_SENT_TO_HOST) |
	    S(STATE_CONTENT_REMOVED) | S(STATE_CONTENT_ONLINE) |
	    S(STATE_CLOSED),
	[STATE_NOTICE_SENT_TO_HOST] = S(STATE_FORWARDED_TO_LEA) |
	    S(STATE_CONTENT_REMOVED) | S(STATE_CONTENT_ONLINE) |
	    S(STATE_CLOSED),
	[STATE_CONTENT_REMOVED] = S(STATE_CONTENT_ONLINE) | S(STATE_CLOSED),
	[STATE_CONTENT_ONLINE] = S(STATE_FORWARDED_TO_LEA) |
	    S(STATE_NOTICE_SENT_TO_HOST) | S(STATE_CONTENT_REMOVED) |
	    S(STATE_CLOSED),
	[STATE_NOT_ILLEGAL_HERE] = S(STATE_UNDER_ASSESSMENT) | S(STATE_CLOSED),
	[STATE_CLOSED] = 0,
};

static unsigned
allowed_after(int from)
{
	/* A case of ours has no state until the partner says one. */
	if (from < 0)
		return ALL_BUT_RECEIVED | S(STATE_RECEIVED);
	if ((size_t)from >= sizeof(next_states) / sizeof(next_states[0]))
		return 0;
	/* A repeated state is a new observation -- but closed is final. */
	return next_states[from] | (from != STATE_CLOSED ? S(from) : 0);
}

int
lifecycle_may_follow(int from, enum case_state to)
{
	return (allowed_after(from) & S(to)) != 0;
}

const char *
lifecycle_next_states(int from, char *buf, size_t bufsz)
{
	unsigned set = allowed_after(from);
	size_t i, len = 0;
	int w;

	if (bufsz == 0)
		return buf;
	buf[0] = '\0';
	if (set == 0) {
		snprintf(buf, bufsz, "none");
		return buf;
	}
	for (i = 0; i < type_vocab_count(VOCAB_STATE); i++) {
		if ((set & S(i)) == 0)
			continue;
		w = snprintf(buf + len, bufsz - len, "%s%s", len ? ", " : "",
		    type_vocab_name(VOCAB_STATE, (int)i));
		if (w < 0 || (size_t)w >= bufsz - len) {
			/* Cut at the last whole name: never half a state. */
			buf[len] = '\0';
			break;
		}
		len += (size_t)w;
	}
	return buf;
}

int
lifecycle_time_usec(const char *ts, int64_t *out)
{
	const char *dot;
	time_t t;
	int64_t frac = 0, scale = 1000000;

	if (ts == NULL || type_check_timestamp(ts) != NULL ||
	    type_timestamp_parse(ts, &t) == -1)
		return -1;
	/* type_timestamp_parse drops the fraction; it orders states that
	 * happen within one second. */
	if ((dot = strchr(ts, '.')) != NULL)
		for (dot++; isdigit((unsigned char)*dot) && scale > 1; dot++) {
			scale /= 10;
			frac += (*dot - '0') * scale;
		}
	*out = (int64_t)t * 1000000 + frac;
	return 0;
}

int
lifecycle_newer(int64_t at, uint32_t version, int has_cur, int64_t cur_at,
    uint32_t cur_version, int same_sender)
{
	if (!has_cur)
		return 1;
	if (at != cur_at)
		return at > cur_at;
	/* Versions count per sender: between two senders at the same
	 * instant, the later arrival wins. */
	return !same_sender || version >= cur_version;
}

static void
why_set(char *why, size_t whysz, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
why_set(char *why, size_t whysz, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, whysz, fmt, ap);
	va_end(ap);
}

/* The header and CaseRef every follow-up carries. */
static struct message *
head_new(enum body_type t, const struct lifecycle_head *h, char *why,
    size_t whysz)
{
	struct message *m;
	struct arena *a;

	if ((m = message_new(t)) == NULL) {
		why_set(why, whysz, "out of memory");
		return NULL;
	}
	a = m->arena;
	m->header.message_id = arena_strdup(a, h->message_id);
	m->header.sent_at = arena_strdup(a, h->sent_at);
	m->header.sender = arena_strdup(a, h->sender);
	m->header.recipient = arena_strdup(a, h->recipient);
	m->header.test = h->test;
	if (m->header.message_id == NULL || m->header.sent_at == NULL ||
	    m->header.sender == NULL || m->header.recipient == NULL) {
		message_free(m);
		why_set(why, whysz, "out of memory");
		return NULL;
	}
	return m;
}

static int
fill_refs(struct message *m, const struct lifecycle_head *h,
    struct msg_caseref *ref, struct msg_partnerref *pref)
{
	struct arena *a = m->arena;

	ref->issuer = arena_strdup(a, h->issuer);
	ref->number = arena_strdup(a, h->number);
	ref->version = h->version;
	if (ref->issuer == NULL || ref->number == NULL)
		return -1;
	if (pref != NULL && h->partner_issuer != NULL &&
	    h->partner_number != NULL) {
		pref->issuer = arena_strdup(a, h->partner_issuer);
		pref->number = arena_strdup(a, h->partner_number);
		if (pref->issuer == NULL || pref->number == NULL)
			return -1;
	}
	return 0;
}

/* Text the protocol carries (Reason, Provider): at most 1000 code points,
 * no control characters. */
static int
check_text(const char *what, const char *s, char *why, size_t whysz)
{
	const char *bad = type_check_text(s);

	if (bad != NULL) {
		why_set(why, whysz, "%s: %s", what, bad);
		return -1;
	}
	return 0;
}

static char **
copy_urls(struct message *m, const char *const *urls, size_t n,
    const char *what, char *why, size_t whysz)
{
	char **v;
	const char *bad;
	size_t i, k;

	if (n > HLX_CONTENT_URLS_MAX) {
		why_set(why, whysz, "%s: more than %d", what,
		    HLX_CONTENT_URLS_MAX);
		return NULL;
	}
	if ((v = arena_alloc(m->arena, (n + 1) * sizeof(*v))) == NULL) {
		why_set(why, whysz, "out of memory");
		return NULL;
	}
	for (i = 0; i < n; i++) {
		if ((bad = type_check_url(urls[i])) != NULL) {
			why_set(why, whysz, "%s %zu: %s", what, i + 1, bad);
			return NULL;
		}
		for (k = 0; k < i; k++)
			if (strcmp(urls[k], urls[i]) == 0) {
				why_set(why, whysz, "%s %zu: named twice",
				    what, i + 1);
				return NULL;
			}
		if ((v[i] = arena_strdup(m->arena, urls[i])) == NULL) {
			why_set(why, whysz, "out of memory");
			return NULL;
		}
	}
	return v;
}

struct message *
lifecycle_status_update(const struct lifecycle_head *h,
    const struct lifecycle_status *st, char *why, size_t whysz)
{
	struct message *m;
	struct msg_status *s;
	const char *bad;

	if ((bad = type_check_timestamp(st->state_at)) != NULL) {
		why_set(why, whysz, "--at: %s", bad);
		return NULL;
	}
	if (st->reason != NULL && check_text("--reason", st->reason, why,
	    whysz) == -1)
		return NULL;
	if ((m = head_new(BODY_STATUS_UPDATE, h, why, whysz)) == NULL)
		return NULL;
	s = &m->u.status;
	if (fill_refs(m, h, &s->caseref, &s->partner) == -1)
		goto oom;
	s->state = st->state;
	s->observed_by = st->observed_by;
	if ((s->state_at = arena_strdup(m->arena, st->state_at)) == NULL ||
	    (st->reason != NULL && (s->reason = arena_strdup(m->arena,
	    st->reason)) == NULL))
		goto oom;
	if ((s->content_urls = copy_urls(m, st->content_urls,
	    st->ncontent_urls, "--content-url", why, whysz)) == NULL) {
		message_free(m);
		return NULL;
	}
	s->ncontent_urls = st->ncontent_urls;
	return m;
oom:
	message_free(m);
	why_set(why, whysz, "out of memory");
	return NULL;
}

struct message *
lifecycle_withdraw(const struct lifecycle_head *h, const char *reason,
    const char *const *urls, size_t n, char *why, size_t whysz)
{
	struct message *m;
	struct msg_withdraw *w;

	if (check_text("--reason", reason, why, whysz) == -1)
		return NULL;
	if ((m = head_new(BODY_WITHDRAW, h, why, whysz)) == NULL)
		return NULL;
	w = &m->u.withdraw;
	if (fill_refs(m, h, &w->caseref, NULL) == -1 ||
	    (w->reason = arena_strdup(m->arena, reason)) == NULL) {
		message_free(m);
		why_set(why, whysz, "out of memory");
		return NULL;
	}
	if ((w->content_urls = copy_urls(m, urls, n, "--content-url", why,
	    whysz)) == NULL) {
		message_free(m);
		return NULL;
	}
	w->ncontent_urls = n;
	return m;
}

struct message *
lifecycle_reroute(const struct lifecycle_head *h, const struct msg_hosting *hs,
    const char *reason, char *why, size_t whysz)
{
	struct message *m;
	struct msg_reroute *r;
	const char *bad;
	size_t i;

	if ((bad = type_check_country(hs->country)) != NULL) {
		why_set(why, whysz, "--country: %s", bad);
		return NULL;
	}
	if ((bad = type_check_timestamp(hs->traced_at)) != NULL) {
		why_set(why, whysz, "--traced-at: %s", bad);
		return NULL;
	}
	if (hs->nips > HLX_IPS_MAX) {
		why_set(why, whysz, "--ip: more than %d", HLX_IPS_MAX);
		return NULL;
	}
	for (i = 0; i < hs->nips; i++)
		if ((bad = type_check_ip(hs->ips[i])) != NULL) {
			why_set(why, whysz, "--ip %zu: %s", i + 1, bad);
			return NULL;
		}
	if (check_text("--reason", reason, why, whysz) == -1 ||
	    (hs->provider != NULL && check_text("--provider", hs->provider,
	    why, whysz) == -1))
		return NULL;
	if ((m = head_new(BODY_REROUTE, h, why, whysz)) == NULL)
		return NULL;
	r = &m->u.reroute;
	if (fill_refs(m, h, &r->caseref, &r->partner) == -1 ||
	    (r->reason = arena_strdup(m->arena, reason)) == NULL ||
	    (r->hosting.country = arena_strdup(m->arena, hs->country)) ==
	    NULL ||
	    (r->hosting.traced_at = arena_strdup(m->arena, hs->traced_at)) ==
	    NULL ||
	    (hs->provider != NULL && (r->hosting.provider =
	    arena_strdup(m->arena, hs->provider)) == NULL))
		goto oom;
	for (i = 0; i < hs->nips; i++) {
		char ip[HLX_IP_TEXT_MAX + 1];

		/* The form the gateway writes (RFC 5952 for IPv6). */
		if (type_ip_normalize(hs->ips[i], ip, sizeof(ip)) == -1 ||
		    (r->hosting.ips[i] = arena_strdup(m->arena, ip)) == NULL)
			goto oom;
	}
	r->hosting.nips = hs->nips;
	r->hosting.asn = hs->asn;
	r->hosting.cdn = hs->cdn;
	return m;
oom:
	message_free(m);
	why_set(why, whysz, "out of memory");
	return NULL;
}

/* Assessment JSON ------------------------------------------------------ */

/* A string member: 0 set (or absent and optional), -1 why filled. */
static int
member(json_t *obj, const char *path, const char *key, int required,
    const char *(*check)(const char *), const char **out, char *why,
    size_t whysz)
{
	json_t *v = json_object_get(obj, key);
	const char *bad;

	*out = NULL;
	if (v == NULL) {
		if (!required)
			return 0;
		why_set(why, whysz, "%s%s: required", path, key);
		return -1;
	}
	if (!json_is_string(v)) {
		why_set(why, whysz, "%s%s: expected a string", path, key);
		return -1;
	}
	*out = json_string_value(v);
	if (strlen(*out) != json_string_length(v)) {
		why_set(why, whysz, "%s%s: contains NUL", path, key);
		return -1;
	}
	if (check != NULL && (bad = check(*out)) != NULL) {
		why_set(why, whysz, "%s%s: %s", path, key, bad);
		return -1;
	}
	return 0;
}

static int
only_members(json_t *obj, const char *path, const char *const *allowed,
    char *why, size_t whysz)
{
	const char *key;
	json_t *v;
	size_t i;

	json_object_foreach(obj, key, v) {
		for (i = 0; allowed[i] != NULL; i++)
			if (strcmp(key, allowed[i]) == 0)
				break;
		if (allowed[i] == NULL) {
			why_set(why, whysz, "%s%s: unknown member", path, key);
			return -1;
		}
	}
	return 0;
}

static int
vocab(enum type_vocab voc, const char *path, const char *key, const char *s,
    int *out, char *why, size_t whysz)
{
	if ((*out = type_vocab_parse(voc, s)) == -1) {
		why_set(why, whysz, "%s%s: expected one of %s", path, key,
		    type_vocab_list(voc));
		return -1;
	}
	return 0;
}

static int
assessment_item(struct message *m, json_t *it, size_t idx,
    struct msg_assessment_item *out, char *why, size_t whysz)
{
	static const char *const allowed[] = { "content_url",
		"national_verdict", "agrees_with_sender", NULL };
	static const char *const nv_allowed[] = { "jurisdiction", "status",
		"code", NULL };
	char path[64], nvpath[96];
	const char *url, *jur, *status, *code;
	json_t *nv, *agrees;
	int verdict;

	snprintf(path, sizeof(path), "items[%zu].", idx);
	if (!json_is_object(it)) {
		why_set(why, whysz, "items[%zu]: expected an object", idx);
		return -1;
	}
	if (only_members(it, path, allowed, why, whysz) == -1 ||
	    member(it, path, "content_url", 1, type_check_url, &url, why,
	    whysz) == -1)
		return -1;
	snprintf(nvpath, sizeof(nvpath), "%snational_verdict.", path);
	if ((nv = json_object_get(it, "national_verdict")) == NULL) {
		why_set(why, whysz, "%snational_verdict: required", path);
		return -1;
	}
	if (!json_is_object(nv)) {
		why_set(why, whysz, "%snational_verdict: expected an object",
		    path);
		return -1;
	}
	if (only_members(nv, nvpath, nv_allowed, why, whysz) == -1 ||
	    member(nv, nvpath, "jurisdiction", 1, type_check_country, &jur,
	    why, whysz) == -1 ||
	    member(nv, nvpath, "status", 1, NULL, &status, why, whysz) == -1 ||
	    vocab(VOCAB_NATIONAL_VERDICT, nvpath, "status", status, &verdict,
	    why, whysz) == -1 ||
	    member(nv, nvpath, "code", 0, type_check_token, &code, why,
	    whysz) == -1)
		return -1;
	out->agrees = -1;
	if ((agrees = json_object_get(it, "agrees_with_sender")) != NULL) {
		if (!json_is_boolean(agrees)) {
			why_set(why, whysz, "%sagrees_with_sender: expected "
			    "true or false", path);
			return -1;
		}
		out->agrees = json_is_true(agrees);
	}
	out->content_url = arena_strdup(m->arena, url);
	out->national.present = 1;
	out->national.jurisdiction = arena_strdup(m->arena, jur);
	out->national.verdict = (enum national_verdict)verdict;
	if (code != NULL)
		out->national.code = arena_strdup(m->arena, code);
	if (out->content_url == NULL || out->national.jurisdiction == NULL ||
	    (code != NULL && out->national.code == NULL)) {
		why_set(why, whysz, "out of memory");
		return -1;
	}
	return 0;
}

struct message *
lifecycle_assessment(const struct lifecycle_head *h, const char *buf,
    size_t len, char *why, size_t whysz)
{
	static const char *const allowed[] = { "assessed_at", "severity",
		"items", NULL };
	struct message *m = NULL;
	struct msg_assessment *as;
	json_error_t jerr;
	json_t *root, *items, *it;
	const char *at, *sev;
	size_t i, k;
	int severity;

	/* protocol.md §2.3: an Assessment names the assessor's own case. */
	if (h->partner_issuer == NULL || h->partner_number == NULL) {
		why_set(why, whysz, "an Assessment needs our own case number "
		    "(PartnerCaseRef)");
		return NULL;
	}
	if ((root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr)) ==
	    NULL) {
		why_set(why, whysz, "line %d, column %d: %s", jerr.line,
		    jerr.column, jerr.text);
		return NULL;
	}
	if (!json_is_object(root)) {
		why_set(why, whysz, "expected a JSON object");
		goto fail;
	}
	if (only_members(root, "", allowed, why, whysz) == -1 ||
	    member(root, "", "assessed_at", 1, type_check_timestamp, &at, why,
	    whysz) == -1 ||
	    member(root, "", "severity", 1, NULL, &sev, why, whysz) == -1 ||
	    vocab(VOCAB_SEVERITY, "", "severity", sev, &severity, why,
	    whysz) == -1)
		goto fail;
	items = json_object_get(root, "items");
	if (!json_is_array(items)) {
		why_set(why, whysz, "items: %s", items == NULL ? "required" :
		    "expected an array");
		goto fail;
	}
	if (json_array_size(items) < 1 || json_array_size(items) >
	    HLX_ITEMS_MAX) {
		why_set(why, whysz, "items: expected 1 to %d items, got %zu",
		    HLX_ITEMS_MAX, json_array_size(items));
		goto fail;
	}
	if ((m = head_new(BODY_ASSESSMENT, h, why, whysz)) == NULL)
		goto fail;
	as = &m->u.assessment;
	if (fill_refs(m, h, &as->caseref, &as->partner) == -1 ||
	    (as->assessed_at = arena_strdup(m->arena, at)) == NULL ||
	    (as->items = arena_alloc(m->arena, json_array_size(items) *
	    sizeof(*as->items))) == NULL) {
		why_set(why, whysz, "out of memory");
		goto fail;
	}
	as->severity = (enum severity)severity;
	json_array_foreach(items, i, it) {
		if (assessment_item(m, it, i, &as->items[i], why, whysz) == -1)
			goto fail;
		for (k = 0; k < i; k++)
			if (strcmp(as->items[k].content_url,
			    as->items[i].content_url) == 0) {
				why_set(why, whysz, "items[%zu].content_url: "
				    "the same as items[%zu]", i, k);
				goto fail;
			}
		as->nitems++;
	}
	json_decref(root);
	return m;
fail:
	message_free(m);
	json_decref(root);
	return NULL;
}
