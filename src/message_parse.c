/*
 * message_parse.c -- untrusted bytes -> checked struct message.
 *
 * SECURITY: this is the code that reads what partners send.  Its input is
 * hostile until proven otherwise, so:
 *  - the size is checked before a byte is parsed (TOO_LARGE);
 *  - the bytes must be UTF-8 without NUL before libxml2 sees them;
 *  - each message gets a new parser context (reusing one grows its
 *    dictionary until parses fail, measured at ~950k distinct names);
 *  - options: XML_PARSE_NONET, never NOENT (entity substitution), DTDLOAD
 *    or HUGE; a DOCTYPE stops the parser the moment it is seen, before any
 *    entity is declared, so billion laughs and external entities never get
 *    a chance; a deny-all entity loader is installed as a second lock;
 *  - depth is bounded (HLX_XML_MAX_DEPTH);
 *  - an error number or a missing root means MALFORMED even if libxml2
 *    hands back a document;
 *  - before libxml2 sees a byte, a linear scan bounds the attributes on
 *    one element (libxml2 2.9 checks duplicates pairwise: quadratic) and
 *    the elements in one message (each costs a DOM node);
 *  - error details come from fixed templates, quote at most 64 characters
 *    of the sender's data (an element name, or the start of libxml2's
 *    message about it), made printable, and never a path.
 * It touches nothing but memory.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libxml/parser.h>
#include <libxml/xmlschemas.h>

#include "message.h"

/* libxml2's BAD_CAST drops const; ours keeps it (-Wcast-qual). */
#undef BAD_CAST
#define BAD_CAST (const xmlChar *)
#include "message_int.h"

struct pctx {
	struct message	*m;
	struct msg_err	*err;
};

struct cursor {
	xmlNodePtr	 next;		/* next HLX element, or NULL */
	xmlNodePtr	 parent;
};

/* Printable ASCII only, at most max characters, "..." when cut. */
static void
sanitize(char *dst, size_t dstsz, const char *src, size_t max)
{
	size_t o = 0, i;

	if (dstsz == 0)
		return;
	for (i = 0; src != NULL && src[i] != '\0' && src[i] != '\n'; i++) {
		unsigned char c = (unsigned char)src[i];

		if (i >= max || o + 4 >= dstsz) {
			memcpy(dst + o, "...", 3);
			o += 3;
			break;
		}
		dst[o++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	dst[o] = '\0';
}

static void
set_err(struct msg_err *err, enum msg_code code, long line,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
set_err(struct msg_err *err, enum msg_code code, long line,
    const char *fmt, ...)
{
	va_list ap;

	err->code = code;
	err->line = line;
	va_start(ap, fmt);
	vsnprintf(err->detail, sizeof(err->detail), fmt, ap);
	va_end(ap);
}

static const char *
node_name(xmlNodePtr n)
{
	return n != NULL && n->name != NULL ? (const char *)n->name : "?";
}

/* A code check failed at node: SCHEMA_INVALID with line and element. */
static int
invalid(struct pctx *p, xmlNodePtr n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
invalid(struct pctx *p, xmlNodePtr n, const char *fmt, ...)
{
	char what[160], name[72];
	long line = n != NULL ? xmlGetLineNo(n) : 0;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	sanitize(name, sizeof(name), node_name(n), 64);
	set_err(p->err, MSG_SCHEMA_INVALID, line, "line %ld: element %s: %s",
	    line, name, what);
	return -1;
}

static int
oom(struct pctx *p)
{
	set_err(p->err, MSG_INTERNAL, 0, "out of memory while reading the "
	    "message");
	return -1;
}

static int
is_hlx(xmlNodePtr n)
{
	return n->type == XML_ELEMENT_NODE && n->ns != NULL &&
	    n->ns->href != NULL &&
	    strcmp((const char *)n->ns->href, HLX_NAMESPACE) == 0;
}

/* Elements of other namespaces are extension points: skipped. */
static xmlNodePtr
next_hlx(xmlNodePtr n)
{
	for (; n != NULL; n = n->next)
		if (is_hlx(n))
			return n;
	return NULL;
}

static void
cursor_init(struct cursor *c, xmlNodePtr parent)
{
	c->parent = parent;
	c->next = next_hlx(parent->children);
}

static xmlNodePtr
take(struct cursor *c, const char *name)
{
	xmlNodePtr n = c->next;

	if (n == NULL || strcmp((const char *)n->name, name) != 0)
		return NULL;
	c->next = next_hlx(n->next);
	return n;
}

static xmlNodePtr
take_req(struct pctx *p, struct cursor *c, const char *name)
{
	xmlNodePtr n = take(c, name);

	if (n == NULL)
		invalid(p, c->next != NULL ? c->next : c->parent,
		    "expected element %s here", name);
	return n;
}

static char *
content(struct pctx *p, xmlNodePtr n)
{
	xmlChar *s = xmlNodeGetContent(n);
	char *r;

	if (s == NULL) {
		oom(p);
		return NULL;
	}
	r = arena_strdup(p->m->arena, (const char *)s);
	xmlFree(s);
	if (r == NULL)
		oom(p);
	return r;
}

/*
 * The schema's dateTime, boolean and integer types collapse white space
 * before they check a value; so do we, for those types only (string types
 * keep theirs, and the schema refuses padding there).
 */
static char *
collapse(char *s)
{
	size_t len;

	if (s == NULL)
		return NULL;
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	len = strlen(s);
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t' ||
	    s[len - 1] == '\n' || s[len - 1] == '\r'))
		s[--len] = '\0';
	return s;
}

static char *
attr(struct pctx *p, xmlNodePtr n, const char *name, int required)
{
	xmlChar *s = xmlGetNoNsProp(n, BAD_CAST name);
	char *r;

	if (s == NULL) {
		if (required)
			invalid(p, n, "attribute %s is required", name);
		return NULL;
	}
	r = arena_strdup(p->m->arena, (const char *)s);
	xmlFree(s);
	if (r == NULL)
		oom(p);
	return r;
}

typedef const char *(*check_fn)(const char *);

/* A checked string value of node n. */
static int
value(struct pctx *p, xmlNodePtr n, check_fn check, char **out)
{
	const char *why;

	if ((*out = content(p, n)) == NULL)
		return -1;
	if (check == type_check_timestamp)
		*out = collapse(*out);
	if (check != NULL && (why = check(*out)) != NULL)
		return invalid(p, n, "%s", why);
	return 0;
}

static int
str_req(struct pctx *p, struct cursor *c, const char *name, check_fn check,
    char **out)
{
	xmlNodePtr n = take_req(p, c, name);

	return n == NULL ? -1 : value(p, n, check, out);
}

static int
str_opt(struct pctx *p, struct cursor *c, const char *name, check_fn check,
    char **out)
{
	xmlNodePtr n = take(c, name);

	*out = NULL;
	return n == NULL ? 0 : value(p, n, check, out);
}

static int
vocab_value(struct pctx *p, xmlNodePtr n, enum type_vocab v, int *out)
{
	char *s = content(p, n);

	if (s == NULL)
		return -1;
	if ((*out = type_vocab_parse(v, s)) < 0)
		return invalid(p, n, "not one of: %s", type_vocab_list(v));
	return 0;
}

static int
vocab_req(struct pctx *p, struct cursor *c, const char *name,
    enum type_vocab v, int *out)
{
	xmlNodePtr n = take_req(p, c, name);

	return n == NULL ? -1 : vocab_value(p, n, v, out);
}

static int
vocab_opt(struct pctx *p, struct cursor *c, const char *name,
    enum type_vocab v, int *out)
{
	xmlNodePtr n = take(c, name);

	*out = -1;
	return n == NULL ? 0 : vocab_value(p, n, v, out);
}

static int
bool_value(struct pctx *p, xmlNodePtr n, int *out)
{
	char *s = collapse(content(p, n));

	if (s == NULL)
		return -1;
	if (strcmp(s, "true") == 0)
		*out = 1;
	else if (strcmp(s, "false") == 0)
		*out = 0;
	else
		return invalid(p, n, "not true or false");
	return 0;
}

static int
bool_opt(struct pctx *p, struct cursor *c, const char *name, int *out)
{
	xmlNodePtr n = take(c, name);

	*out = -1;
	return n == NULL ? 0 : bool_value(p, n, out);
}

/* Decimal digits only, min..max. */
static int
parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (s[0] == '\0')
		return -1;
	/* The schema's integer types allow leading zeros. */
	while (s[0] == '0' && s[1] != '\0')
		s++;
	if (strlen(s) > 20)
		return -1;
	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		if (v > (UINT64_MAX - (uint64_t)(s[i] - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static int
uint_value(struct pctx *p, xmlNodePtr n, uint64_t min, uint64_t max,
    uint64_t *out)
{
	char *s = collapse(content(p, n));

	if (s == NULL)
		return -1;
	if (parse_uint(s, min, max, out) == -1)
		return invalid(p, n, "not a whole number from %llu to %llu",
		    (unsigned long long)min, (unsigned long long)max);
	return 0;
}

static int
caseref(struct pctx *p, struct cursor *c, struct msg_caseref *r)
{
	xmlNodePtr n = take_req(p, c, "CaseRef");
	const char *why;
	char *version;
	uint64_t v;

	if (n == NULL || value(p, n, type_check_case_number, &r->number) == -1)
		return -1;
	if ((r->issuer = attr(p, n, "issuer", 1)) == NULL)
		return -1;
	if ((why = type_check_hotline_id(r->issuer)) != NULL)
		return invalid(p, n, "attribute issuer: %s", why);
	if ((version = attr(p, n, "version", 1)) == NULL)
		return -1;
	if (parse_uint(collapse(version), 1, HLX_VERSION_MAX, &v) == -1)
		return invalid(p, n, "attribute version: not a whole number "
		    "from 1 to %lu", HLX_VERSION_MAX);
	r->version = (uint32_t)v;
	return 0;
}

static int
partnerref(struct pctx *p, struct cursor *c, int required,
    struct msg_partnerref *r)
{
	xmlNodePtr n = required ? take_req(p, c, "PartnerCaseRef") :
	    take(c, "PartnerCaseRef");
	const char *why;

	r->issuer = NULL;
	r->number = NULL;
	if (n == NULL)
		return required ? -1 : 0;
	if (value(p, n, type_check_case_number, &r->number) == -1)
		return -1;
	if ((r->issuer = attr(p, n, "issuer", 1)) == NULL)
		return -1;
	if ((why = type_check_hotline_id(r->issuer)) != NULL)
		return invalid(p, n, "attribute issuer: %s", why);
	return 0;
}

static int
national(struct pctx *p, xmlNodePtr n, struct msg_national *nv)
{
	const char *why;
	int v;

	if (vocab_value(p, n, VOCAB_NATIONAL_VERDICT, &v) == -1)
		return -1;
	nv->verdict = (enum national_verdict)v;
	nv->present = 1;
	if ((nv->jurisdiction = attr(p, n, "jurisdiction", 1)) == NULL)
		return -1;
	if ((why = type_check_country(nv->jurisdiction)) != NULL)
		return invalid(p, n, "attribute jurisdiction: %s", why);
	nv->code = attr(p, n, "code", 0);
	if (nv->code == NULL && p->err->code == MSG_INTERNAL)
		return -1;
	if (nv->code != NULL && (why = type_check_token(nv->code)) != NULL)
		return invalid(p, n, "attribute code: %s", why);
	return 0;
}

static int
hosting(struct pctx *p, struct cursor *outer, struct msg_hosting *h)
{
	xmlNodePtr hn = take_req(p, outer, "Hosting"), n;
	struct cursor c;
	uint64_t asn;

	if (hn == NULL)
		return -1;
	cursor_init(&c, hn);
	if (str_req(p, &c, "Country", type_check_country, &h->country) == -1)
		return -1;
	while ((n = take(&c, "Ip")) != NULL) {
		if (h->nips == HLX_IPS_MAX)
			return invalid(p, n, "more than %d Ip elements",
			    HLX_IPS_MAX);
		if (value(p, n, type_check_ip, &h->ips[h->nips]) == -1)
			return -1;
		h->nips++;
	}
	h->asn = 0;
	if ((n = take(&c, "Asn")) != NULL) {
		if (uint_value(p, n, 1, HLX_ASN_MAX, &asn) == -1)
			return -1;
		h->asn = (uint32_t)asn;
	}
	if (str_opt(p, &c, "Provider", type_check_text, &h->provider) == -1 ||
	    bool_opt(p, &c, "Cdn", &h->cdn) == -1 ||
	    str_req(p, &c, "TracedAt", type_check_timestamp,
	    &h->traced_at) == -1)
		return -1;
	return 0;
}

static int
item(struct pctx *p, xmlNodePtr in, struct msg_item *it)
{
	struct cursor c;
	xmlNodePtr n;
	const char *why;
	char *alg;
	int v, a, last = -1;

	cursor_init(&c, in);
	if (str_req(p, &c, "ContentUrl", type_check_url,
	    &it->content_url) == -1 ||
	    vocab_req(p, &c, "MediaType", VOCAB_MEDIA_TYPE, &v) == -1)
		return -1;
	it->media_type = (enum media_type)v;
	while ((n = take(&c, "Hash")) != NULL) {
		if ((alg = attr(p, n, "alg", 1)) == NULL)
			return -1;
		if ((a = type_vocab_parse(VOCAB_HASH_ALG, alg)) < 0)
			return invalid(p, n, "attribute alg: not one of: %s",
			    type_vocab_list(VOCAB_HASH_ALG));
		if (it->hashes[a] != NULL)
			return invalid(p, n, "more than one %s hash", alg);
		if (a < last)
			return invalid(p, n, "hashes must come in the order "
			    "%s", type_vocab_list(VOCAB_HASH_ALG));
		last = a;
		if (value(p, n, NULL, &it->hashes[a]) == -1)
			return -1;
		if ((why = type_check_hash((enum hash_alg)a,
		    it->hashes[a])) != NULL)
			return invalid(p, n, "a %s hash is %zu %s, got %zu "
			    "characters", alg,
			    type_hash_length((enum hash_alg)a),
			    a == HASH_PHOTODNA ? "base64 characters" :
			    "lowercase hex digits", strlen(it->hashes[a]));
	}
	if (vocab_req(p, &c, "IntlVerdict", VOCAB_INTL_VERDICT, &v) == -1)
		return -1;
	it->intl_verdict = (enum intl_verdict)v;
	if ((n = take(&c, "NationalVerdict")) != NULL &&
	    national(p, n, &it->national) == -1)
		return -1;
	if (vocab_opt(p, &c, "IndustryClass", VOCAB_INDUSTRY_CLASS,
	    &it->industry_class) == -1 ||
	    bool_opt(p, &c, "PreviouslyAssessed",
	    &it->previously_assessed) == -1)
		return -1;
	return 0;
}

struct url_ref {
	const char	*url;
	xmlNodePtr	 node;
	size_t		 index;
};

static int
url_ref_cmp(const void *a, const void *b)
{
	const struct url_ref *x = a, *y = b;
	int r = strcmp(x->url, y->url);

	if (r != 0)
		return r;
	return x->index < y->index ? -1 : x->index > y->index;
}

/* protocol.md §2.4: a Referral's items have distinct ContentUrls. */
static int
distinct_urls(struct pctx *p, struct url_ref *refs, size_t n)
{
	size_t i, dup = 0;

	qsort(refs, n, sizeof(*refs), url_ref_cmp);
	/* Of all repeats, name the one that comes first in the document. */
	for (i = 1; i < n; i++)
		if (strcmp(refs[i - 1].url, refs[i].url) == 0 &&
		    (dup == 0 || refs[i].index < refs[dup].index))
			dup = i;
	if (dup != 0)
		return invalid(p, refs[dup].node, "ContentUrl repeats that of "
		    "item %zu; items must have distinct ContentUrls",
		    refs[dup - 1].index);
	return 0;
}

static int
referral(struct pctx *p, xmlNodePtr body)
{
	struct msg_referral *r = &p->m->u.referral;
	struct url_ref *refs = NULL;
	struct cursor c, ic;
	xmlNodePtr items, n, sa;
	size_t count = 0;
	int v, rc = -1;

	cursor_init(&c, body);
	if (caseref(p, &c, &r->caseref) == -1)
		return -1;
	r->restriction = RESTRICTION_RED;
	if ((n = take(&c, "Restriction")) != NULL) {
		if (vocab_value(p, n, VOCAB_RESTRICTION, &v) == -1)
			return -1;
		r->restriction = (enum restriction)v;
	}
	if (str_req(p, &c, "ReportedUrl", type_check_url,
	    &r->reported_url) == -1 ||
	    str_req(p, &c, "ReceivedAt", type_check_timestamp,
	    &r->received_at) == -1 ||
	    str_req(p, &c, "AssessedAt", type_check_timestamp,
	    &r->assessed_at) == -1 ||
	    vocab_req(p, &c, "Source", VOCAB_SOURCE, &v) == -1)
		return -1;
	r->source = (enum source)v;
	if (vocab_opt(p, &c, "SiteType", VOCAB_SITE_TYPE, &r->site_type) == -1 ||
	    hosting(p, &c, &r->hosting) == -1 ||
	    vocab_req(p, &c, "Severity", VOCAB_SEVERITY, &v) == -1)
		return -1;
	r->severity = (enum severity)v;
	if ((items = take_req(p, &c, "Items")) == NULL)
		return -1;
	for (n = next_hlx(items->children); n != NULL; n = next_hlx(n->next))
		count++;
	if (count == 0 || count > HLX_ITEMS_MAX)
		return invalid(p, items, "must hold 1 to %d Item elements, "
		    "holds %zu", HLX_ITEMS_MAX, count);
	r->items = arena_alloc(p->m->arena, count * sizeof(*r->items));
	refs = calloc(count, sizeof(*refs));
	if (r->items == NULL || refs == NULL) {
		oom(p);
		goto out;
	}
	cursor_init(&ic, items);
	while ((n = take(&ic, "Item")) != NULL) {
		struct msg_item *it = &r->items[r->nitems];

		it->industry_class = -1;
		it->previously_assessed = -1;
		if (item(p, n, it) == -1)
			goto out;
		refs[r->nitems].url = it->content_url;
		refs[r->nitems].node = n;
		refs[r->nitems].index = r->nitems;
		r->nitems++;
	}
	if (ic.next != NULL) {
		invalid(p, ic.next, "expected element Item here");
		goto out;
	}
	if (distinct_urls(p, refs, r->nitems) == -1)
		goto out;
	if ((sa = take(&c, "SenderActions")) != NULL) {
		struct cursor sc;

		cursor_init(&sc, sa);
		if (str_opt(p, &sc, "LeaNotifiedAt", type_check_timestamp,
		    &r->lea_notified_at) == -1 ||
		    str_opt(p, &sc, "HostNotifiedAt", type_check_timestamp,
		    &r->host_notified_at) == -1)
			goto out;
	}
	if (vocab_req(p, &c, "Expectation", VOCAB_EXPECTATION, &v) == -1)
		goto out;
	r->expectation = (enum expectation)v;
	rc = 0;
out:
	free(refs);
	return rc;
}

/* Counts the next run of elements called name, at most max. */
static int
count_run(struct pctx *p, struct cursor *c, const char *name, size_t max,
    size_t *out)
{
	xmlNodePtr n;
	size_t k = 0;

	for (n = c->next; n != NULL && strcmp((const char *)n->name,
	    name) == 0; n = next_hlx(n->next))
		if (++k > max)
			return invalid(p, n, "more than %zu %s elements", max,
			    name);
	*out = k;
	return 0;
}

static int
url_list(struct pctx *p, struct cursor *c, char ***out, size_t *n)
{
	size_t k, i;

	if (count_run(p, c, "ContentUrl", HLX_CONTENT_URLS_MAX, &k) == -1)
		return -1;
	*n = 0;
	*out = NULL;
	if (k == 0)
		return 0;
	if ((*out = arena_alloc(p->m->arena, k * sizeof(char *))) == NULL)
		return oom(p);
	for (i = 0; i < k; i++)
		if (str_req(p, c, "ContentUrl", type_check_url,
		    &(*out)[i]) == -1)
			return -1;
	*n = k;
	return 0;
}

static int
assessment(struct pctx *p, xmlNodePtr body)
{
	struct msg_assessment *a = &p->m->u.assessment;
	struct cursor c, ic;
	xmlNodePtr n, vn;
	size_t k, i;
	int v;

	cursor_init(&c, body);
	if (caseref(p, &c, &a->caseref) == -1 ||
	    partnerref(p, &c, 1, &a->partner) == -1 ||
	    str_req(p, &c, "AssessedAt", type_check_timestamp,
	    &a->assessed_at) == -1 ||
	    vocab_req(p, &c, "Severity", VOCAB_SEVERITY, &v) == -1)
		return -1;
	a->severity = (enum severity)v;
	if (count_run(p, &c, "Item", HLX_ITEMS_MAX, &k) == -1)
		return -1;
	if (k == 0)
		return invalid(p, c.next != NULL ? c.next : body,
		    "expected element Item here");
	if ((a->items = arena_alloc(p->m->arena, k * sizeof(*a->items))) ==
	    NULL)
		return oom(p);
	for (i = 0; i < k; i++) {
		n = take(&c, "Item");
		cursor_init(&ic, n);
		a->items[i].agrees = -1;
		if (str_req(p, &ic, "ContentUrl", type_check_url,
		    &a->items[i].content_url) == -1 ||
		    (vn = take_req(p, &ic, "NationalVerdict")) == NULL ||
		    national(p, vn, &a->items[i].national) == -1 ||
		    bool_opt(p, &ic, "AgreesWithSender",
		    &a->items[i].agrees) == -1)
			return -1;
	}
	a->nitems = k;
	return 0;
}

static int
status_update(struct pctx *p, xmlNodePtr body)
{
	struct msg_status *s = &p->m->u.status;
	struct cursor c;
	int v;

	cursor_init(&c, body);
	if (caseref(p, &c, &s->caseref) == -1 ||
	    partnerref(p, &c, 0, &s->partner) == -1 ||
	    vocab_req(p, &c, "State", VOCAB_STATE, &v) == -1)
		return -1;
	s->state = (enum case_state)v;
	if (str_req(p, &c, "StateAt", type_check_timestamp,
	    &s->state_at) == -1 ||
	    vocab_opt(p, &c, "ObservedBy", VOCAB_OBSERVED_BY,
	    &s->observed_by) == -1 ||
	    str_opt(p, &c, "Reason", type_check_text, &s->reason) == -1)
		return -1;
	return url_list(p, &c, &s->content_urls, &s->ncontent_urls);
}

static int
withdraw(struct pctx *p, xmlNodePtr body)
{
	struct msg_withdraw *w = &p->m->u.withdraw;
	struct cursor c;

	cursor_init(&c, body);
	if (caseref(p, &c, &w->caseref) == -1 ||
	    str_req(p, &c, "Reason", type_check_text, &w->reason) == -1)
		return -1;
	return url_list(p, &c, &w->content_urls, &w->ncontent_urls);
}

static int
reroute(struct pctx *p, xmlNodePtr body)
{
	struct msg_reroute *r = &p->m->u.reroute;
	struct cursor c;

	cursor_init(&c, body);
	if (caseref(p, &c, &r->caseref) == -1 ||
	    partnerref(p, &c, 0, &r->partner) == -1 ||
	    hosting(p, &c, &r->hosting) == -1 ||
	    str_req(p, &c, "Reason", type_check_text, &r->reason) == -1)
		return -1;
	return 0;
}

static int
receipt(struct pctx *p, xmlNodePtr body)
{
	struct msg_receipt *r = &p->m->u.receipt;
	struct cursor c;
	int v;

	cursor_init(&c, body);
	if (vocab_req(p, &c, "Status", VOCAB_RECEIPT_STATUS, &v) == -1)
		return -1;
	r->status = (enum receipt_status)v;
	if (str_req(p, &c, "ReceivedAt", type_check_timestamp,
	    &r->received_at) == -1 ||
	    partnerref(p, &c, 0, &r->partner) == -1)
		return -1;
	return 0;
}

static const char *
check_error_code(const char *s)
{
	size_t i, len = strlen(s);

	if (len == 0 || len > HLX_ERROR_CODE_MAX || s[0] < 'A' || s[0] > 'Z')
		return "not an error code ([A-Z][A-Z0-9_]{0,63})";
	for (i = 1; i < len; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return "not an error code ([A-Z][A-Z0-9_]{0,63})";
	return NULL;
}

/* The schema's pattern [0-9]+\.[0-9]+, of any length. */
static const char *
check_version(const char *s)
{
	size_t i = 0, d;

	for (d = 0; s[i] >= '0' && s[i] <= '9'; i++, d++)
		;
	if (d == 0 || s[i++] != '.')
		return "not a version (MAJOR.MINOR)";
	for (d = 0; s[i] >= '0' && s[i] <= '9'; i++, d++)
		;
	if (d == 0 || s[i] != '\0')
		return "not a version (MAJOR.MINOR)";
	return NULL;
}

/*
 * A run of version elements: each checked, the first max kept.  The schema
 * allows any number; what matters is the highest both sides speak, and a
 * partner listing more than max versions loses nothing we could use.
 */
static int
version_list(struct pctx *p, struct cursor *c, const char *name, size_t max,
    char ***out, size_t *n)
{
	xmlNodePtr node;
	char *v;

	*n = 0;
	if ((*out = arena_alloc(p->m->arena, max * sizeof(char *))) == NULL)
		return oom(p);
	while ((node = take(c, name)) != NULL) {
		if (value(p, node, check_version, &v) == -1)
			return -1;
		if (*n < max)
			(*out)[(*n)++] = v;
	}
	return 0;
}

static int
error_body(struct pctx *p, xmlNodePtr body)
{
	struct msg_error *e = &p->m->u.error;
	struct cursor c;
	xmlNodePtr n;
	uint64_t ra;

	cursor_init(&c, body);
	if (str_req(p, &c, "Code", check_error_code, &e->code) == -1 ||
	    str_req(p, &c, "Detail", type_check_text, &e->detail) == -1 ||
	    (n = take_req(p, &c, "Retryable")) == NULL ||
	    bool_value(p, n, &e->retryable) == -1)
		return -1;
	e->retry_after = -1;
	if ((n = take(&c, "RetryAfter")) != NULL) {
		if (uint_value(p, n, 0, UINT32_MAX, &ra) == -1)
			return -1;
		e->retry_after = (int64_t)ra;
	}
	return version_list(p, &c, "SupportedVersion",
	    HLX_SUPPORTED_VERSIONS_MAX, &e->supported_versions,
	    &e->nsupported_versions);
}

static int
capabilities(struct pctx *p, xmlNodePtr body)
{
	struct msg_capabilities *cap = &p->m->u.capabilities;
	struct cursor c;
	xmlNodePtr n;
	const char *why;
	int t;

	cursor_init(&c, body);
	if ((n = take_req(p, &c, "Hotline")) == NULL ||
	    (cap->hotline_id = attr(p, n, "id", 1)) == NULL ||
	    (cap->country = attr(p, n, "country", 1)) == NULL)
		return -1;
	if ((why = type_check_hotline_id(cap->hotline_id)) != NULL)
		return invalid(p, n, "attribute id: %s", why);
	if ((why = type_check_country(cap->country)) != NULL)
		return invalid(p, n, "attribute country: %s", why);
	if (version_list(p, &c, "Version", HLX_CAP_VERSIONS_MAX,
	    &cap->versions, &cap->nversions) == -1)
		return -1;
	if (cap->nversions == 0)
		return invalid(p, c.next != NULL ? c.next : body,
		    "expected element Version here");
	/* Repeats are harmless: a set of body types. */
	while ((n = take(&c, "MessageType")) != NULL) {
		if (vocab_value(p, n, VOCAB_BODY, &t) == -1)
			return -1;
		cap->body_types |= 1u << t;
	}
	if (cap->body_types == 0)
		return invalid(p, c.next != NULL ? c.next : body,
		    "expected element MessageType here");
	if ((n = take_req(p, &c, "MaxMessageBytes")) == NULL ||
	    uint_value(p, n, 1, UINT64_MAX, &cap->max_message_bytes) == -1 ||
	    (n = take_req(p, &c, "MaxItems")) == NULL ||
	    uint_value(p, n, 1, UINT64_MAX, &cap->max_items) == -1)
		return -1;
	return 0;
}

static int
header(struct pctx *p, xmlNodePtr hn)
{
	struct msg_header *h = &p->m->header;
	struct cursor c;
	xmlNodePtr n;
	char *test;

	cursor_init(&c, hn);
	if (str_req(p, &c, "MessageId", type_check_uuid,
	    &h->message_id) == -1 ||
	    str_req(p, &c, "SentAt", type_check_timestamp,
	    &h->sent_at) == -1 ||
	    str_req(p, &c, "Sender", type_check_hotline_id, &h->sender) == -1 ||
	    str_req(p, &c, "Recipient", type_check_hotline_id,
	    &h->recipient) == -1 ||
	    str_opt(p, &c, "InReplyTo", type_check_uuid,
	    &h->in_reply_to) == -1)
		return -1;
	if ((n = take(&c, "Test")) != NULL) {
		if ((test = collapse(content(p, n))) == NULL)
			return -1;
		if (strcmp(test, "true") != 0)
			return invalid(p, n, "Test is written only when true");
		h->test = 1;
	}
	return 0;
}

/* The schema's first complaint, kept for a fixed-template Detail. */
struct schema_fault {
	int	seen;
	int	code;
	long	line;
	char	element[72];
	char	expected[128];
	int	missing;
	int	unexpected;
	const char *unique;	/* which xs:unique, in our words */
};

static int
ends_with(const char *s, const char *tail)
{
	size_t ls = strlen(s), lt = strlen(tail);

	return ls >= lt && strcmp(s + ls - lt, tail) == 0;
}

/*
 * libxml2's messages read "Element '{ns}Name': WHAT", and WHAT may quote
 * the sender's value.  Only libxml2's own fixed wording is used here: the
 * start of WHAT, the end of the message, and in "Expected is ( ... )" only
 * names of our own namespace -- never the sender's text.
 */
static void
schema_error(void *ctx, xmlErrorPtr e)
{
	static const char ns[] = "{" HLX_NAMESPACE "}";
	struct schema_fault *f = ctx;
	const char *what, *x, *end;
	size_t o = 0, k;

	if (f->seen || e == NULL)
		return;
	f->seen = 1;
	f->code = e->code;
	f->line = e->line;
	sanitize(f->element, sizeof(f->element),
	    e->node != NULL ? node_name(e->node) : "?", 64);
	if (e->message == NULL || strncmp(e->message, "Element '", 9) != 0 ||
	    (what = strstr(e->message + 9, "': ")) == NULL)
		return;
	what += 3;
	f->missing = strncmp(what, "Missing child element", 21) == 0;
	f->unexpected = strncmp(what, "This element is not expected", 28) == 0;
	if (e->code == XML_SCHEMAV_CVC_IDC) {
		if (ends_with(e->message, "OneHashPerAlg'.\n") ||
		    ends_with(e->message, "OneHashPerAlg'."))
			f->unique = "more than one Hash of one algorithm";
		else if (ends_with(e->message, "DistinctContentUrl'.\n") ||
		    ends_with(e->message, "DistinctContentUrl'."))
			f->unique = "ContentUrl repeats that of another item; "
			    "items must have distinct ContentUrls";
	}
	if (!(f->missing || f->unexpected) ||
	    (x = strstr(what, "Expected is ( ")) == NULL)
		return;
	end = strstr(x, " )");
	for (x += strlen("Expected is ( "); end != NULL && x < end; x++) {
		if (strncmp(x, ns, sizeof(ns) - 1) != 0)
			continue;
		x += sizeof(ns) - 1;
		for (k = 0; (x[k] >= 'A' && x[k] <= 'Z') ||
		    (x[k] >= 'a' && x[k] <= 'z'); k++)
			;
		if (k == 0 || o + k + 3 >= sizeof(f->expected))
			break;
		if (o > 0) {
			memcpy(f->expected + o, ", ", 2);
			o += 2;
		}
		memcpy(f->expected + o, x, k);
		o += k;
		x += k - 1;
	}
	f->expected[o] = '\0';
}

static const char *
schema_what(const struct schema_fault *f)
{
	if (f->missing)
		return "a required child element is missing";
	if (f->unexpected)
		return "element not expected here (unknown, out of order, or "
		    "one too many)";
	switch (f->code) {
	case XML_SCHEMAV_CVC_COMPLEX_TYPE_2_3:
	case XML_SCHEMAV_CVC_COMPLEX_TYPE_2_1:
		return "must not contain text or child elements";
	case XML_SCHEMAV_CVC_ENUMERATION_VALID:
		return "value is not one of the allowed values";
	case XML_SCHEMAV_CVC_PATTERN_VALID:
		return "value does not have the required form";
	case XML_SCHEMAV_CVC_LENGTH_VALID:
	case XML_SCHEMAV_CVC_MINLENGTH_VALID:
	case XML_SCHEMAV_CVC_MAXLENGTH_VALID:
		return "value has the wrong length";
	case XML_SCHEMAV_CVC_MININCLUSIVE_VALID:
	case XML_SCHEMAV_CVC_MAXINCLUSIVE_VALID:
	case XML_SCHEMAV_CVC_MINEXCLUSIVE_VALID:
	case XML_SCHEMAV_CVC_MAXEXCLUSIVE_VALID:
		return "value is out of range";
	case XML_SCHEMAV_CVC_DATATYPE_VALID_1_2_1:
	case XML_SCHEMAV_CVC_DATATYPE_VALID_1_2_2:
	case XML_SCHEMAV_CVC_DATATYPE_VALID_1_2_3:
		return "value is not of the required type";
	case XML_SCHEMAV_CVC_COMPLEX_TYPE_3_2_1:
	case XML_SCHEMAV_CVC_COMPLEX_TYPE_3_2_2:
		return "attribute not allowed";
	case XML_SCHEMAV_CVC_COMPLEX_TYPE_4:
		return "a required attribute is missing";
	case XML_SCHEMAV_CVC_ELT_1:
		return "not an HLX/1 root element";
	case XML_SCHEMAV_CVC_IDC:
		return f->unique != NULL ? f->unique : "a value that must be "
		    "unique repeats";
	default:
		return "not valid against the HLX/1 schema";
	}
}

static int
validate(const struct msg_schema *schema, xmlDocPtr doc, struct msg_err *err)
{
	struct schema_fault f;
	xmlSchemaValidCtxtPtr v;
	int r;

	memset(&f, 0, sizeof(f));
	if ((v = xmlSchemaNewValidCtxt(schema->schema)) == NULL) {
		set_err(err, MSG_INTERNAL, 0, "out of memory while validating "
		    "the message");
		return -1;
	}
	xmlSchemaSetValidStructuredErrors(v, schema_error, &f);
	r = xmlSchemaValidateDoc(v, doc);
	xmlSchemaFreeValidCtxt(v);
	if (r == 0)
		return 0;
	if (r < 0 || !f.seen) {
		set_err(err, MSG_INTERNAL, 0, "the schema validator failed");
		return -1;
	}
	if (f.expected[0] != '\0')
		set_err(err, MSG_SCHEMA_INVALID, f.line,
		    "line %ld: element %s: %s; expected: %s", f.line,
		    f.element, schema_what(&f), f.expected);
	else
		set_err(err, MSG_SCHEMA_INVALID, f.line,
		    "line %ld: element %s: %s", f.line, f.element,
		    schema_what(&f));
	return -1;
}

/* SAX hook: any DOCTYPE ends the parse before its subset is read. */
static void
refuse_doctype(void *ctx, const xmlChar *name, const xmlChar *eid,
    const xmlChar *sid)
{
	xmlParserCtxtPtr ctxt = ctx;

	(void)name;
	(void)eid;
	(void)sid;
	*(int *)ctxt->_private = 1;
	xmlStopParser(ctxt);
}

/*
 * Check 8 of protocol.md §3: a well-formed MAJOR.MINOR whose major is not 1
 * is UNSUPPORTED_VERSION; a malformed one is left to the schema.
 */
static int
version_unsupported(const char *v)
{
	if (check_version(v) != NULL)
		return 0;
	/* The major is 1 whatever its leading zeros, and nothing else. */
	while (*v == '0')
		v++;
	return !(v[0] == '1' && v[1] == '.');
}

/*
 * The encoding the XML declaration names, if any, must be UTF-8: checked
 * here, before libxml2 would load a converter for it (and print its
 * conversion errors to our stderr, whatever the parser options say).
 * 0 fine, -1 refused (err filled).
 */
static int
declared_utf8(const char *buf, size_t len, struct msg_err *err)
{
	const char *p = buf, *end, *enc, *v;
	size_t n;
	char q;

	if (len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0) {
		p += 3;
		len -= 3;
	}
	if (len < 5 || memcmp(p, "<?xml", 5) != 0)
		return 0;
	if ((end = memchr(p, '>', len < 256 ? len : 256)) == NULL)
		return 0;	/* libxml2 refuses it as not well-formed */
	for (enc = p; enc + 8 <= end; enc++)
		if (memcmp(enc, "encoding", 8) == 0)
			break;
	if (enc + 8 > end)
		return 0;
	for (v = enc + 8; v < end && (*v == ' ' || *v == '\t' ||
	    *v == '\r' || *v == '\n' || *v == '='); v++)
		;
	if (v >= end || (*v != '"' && *v != '\''))
		return 0;
	q = *v++;
	for (n = 0; v + n < end && v[n] != q; n++)
		;
	if (n == 5 && strncasecmp(v, "UTF-8", 5) == 0)
		return 0;
	set_err(err, MSG_MALFORMED, 1, "line 1: the document must be UTF-8");
	return -1;
}

static int
read_doc(const char *buf, size_t len, xmlDocPtr *out, struct msg_err *err)
{
	xmlParserCtxtPtr ctxt = NULL;
	xmlDocPtr doc = NULL;
	const xmlError *e;
	char why[128];
	int doctype = 0, rc = -1;

	*out = NULL;
	if (declared_utf8(buf, len, err) == -1)
		return -1;
	if ((ctxt = xmlNewParserCtxt()) == NULL) {
		set_err(err, MSG_INTERNAL, 0, "out of memory");
		return -1;
	}
	ctxt->_private = &doctype;
	ctxt->sax->internalSubset = refuse_doctype;
	ctxt->sax->externalSubset = refuse_doctype;
	doc = xmlCtxtReadMemory(ctxt, buf, (int)len, NULL, NULL,
	    XML_PARSE_NONET | XML_PARSE_NOCDATA | XML_PARSE_BIG_LINES |
	    XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (doctype) {
		set_err(err, MSG_MALFORMED, ctxt->input != NULL ?
		    ctxt->input->line : 0, "line %d: a DOCTYPE is not allowed "
		    "(no DTD, no entity declarations)", ctxt->input != NULL ?
		    ctxt->input->line : 0);
		goto out;
	}
	e = xmlCtxtGetLastError(ctxt);
	if (doc == NULL || !ctxt->wellFormed || ctxt->errNo != 0 ||
	    xmlDocGetRootElement(doc) == NULL) {
		sanitize(why, sizeof(why), e != NULL && e->message != NULL ?
		    e->message : "no root element", 60);
		set_err(err, MSG_MALFORMED, e != NULL ? e->line : 0,
		    "line %d, column %d: not well-formed XML: %s",
		    e != NULL ? e->line : 0, e != NULL ? e->int2 : 0, why);
		goto out;
	}
	if (doc->encoding != NULL &&
	    strcasecmp((const char *)doc->encoding, "UTF-8") != 0) {
		set_err(err, MSG_MALFORMED, 1, "line 1: the document must be "
		    "UTF-8");
		goto out;
	}
	*out = doc;
	doc = NULL;
	rc = 0;
out:
	xmlFreeDoc(doc);
	xmlFreeParserCtxt(ctxt);
	return rc;
}

/* Skips from b[i] past the first occurrence of end; counts lines. */
static size_t
skip_past(const char *b, size_t len, size_t i, const char *end, long *line)
{
	size_t n = strlen(end);

	for (; i < len; i++) {
		if (b[i] == '\n')
			(*line)++;
		if (len - i >= n && memcmp(b + i, end, n) == 0)
			return i + n;
	}
	return len;
}

static int
starts(const char *b, size_t len, size_t i, const char *what)
{
	size_t n = strlen(what);

	return len - i >= n && memcmp(b + i, what, n) == 0;
}

/*
 * Counts start tags and the attributes of each, quote-aware, skipping
 * comments, CDATA and processing instructions.  Only counts: whether the
 * document is well-formed is libxml2's to say, after this.
 */
static int
prescan(const char *b, size_t len, struct msg_err *err)
{
	size_t i = 0, elements = 0, attrs;
	long line = 1;
	char quote;

	while (i < len) {
		if (b[i] == '\n')
			line++;
		if (b[i] != '<') {
			i++;
			continue;
		}
		if (starts(b, len, i, "<!--"))
			i = skip_past(b, len, i + 4, "-->", &line);
		else if (starts(b, len, i, "<![CDATA["))
			i = skip_past(b, len, i + 9, "]]>", &line);
		else if (starts(b, len, i, "<?"))
			i = skip_past(b, len, i + 2, "?>", &line);
		else if (starts(b, len, i, "<!") || starts(b, len, i, "</"))
			i += 2;
		else {
			if (++elements > HLX_XML_MAX_ELEMENTS) {
				set_err(err, MSG_MALFORMED, line, "line %ld: "
				    "more than %d elements in one message",
				    line, HLX_XML_MAX_ELEMENTS);
				return -1;
			}
			attrs = 0;
			quote = 0;
			for (i++; i < len && (quote || b[i] != '>'); i++) {
				if (b[i] == '\n')
					line++;
				if (quote) {
					if (b[i] == quote)
						quote = 0;
				} else if (b[i] == '"' || b[i] == '\'')
					quote = b[i];
				else if (b[i] == '=' &&
				    ++attrs > HLX_XML_MAX_ATTRIBUTES) {
					set_err(err, MSG_MALFORMED, line,
					    "line %ld: more than %d attributes "
					    "on one element", line,
					    HLX_XML_MAX_ATTRIBUTES);
					return -1;
				}
			}
		}
	}
	return 0;
}

/* A valid timestamp in microseconds since the epoch, fraction kept. */
static int
ts_usec(const char *ts, int64_t *out)
{
	const char *d;
	time_t t;
	int64_t frac = 0, scale = 1000000;

	if (ts == NULL || type_timestamp_parse(ts, &t) == -1)
		return -1;
	if ((d = strchr(ts, '.')) != NULL)
		for (d++; *d >= '0' && *d <= '9' && scale > 1; d++) {
			scale /= 10;
			frac += (*d - '0') * scale;
		}
	*out = (int64_t)t * 1000000 + frac;
	return 0;
}

/*
 * protocol.md §2.4: a timestamp that orders events (StateAt, an
 * Assessment's AssessedAt) may not be later than SentAt plus the skew check
 * 12 allows.  The receiver applies the newest state by its time, so one
 * dated 9999 would make every later state -- ours too -- "older" and freeze
 * the case, and the statistics would count it.
 */
static int
not_ahead(struct pctx *p, xmlNodePtr body, const char *name, const char *ts)
{
	int64_t at, sent;
	xmlNodePtr n;

	if (ts_usec(ts, &at) == -1 ||
	    ts_usec(p->m->header.sent_at, &sent) == -1)
		return invalid(p, body, "%s or Header/SentAt is not a "
		    "timestamp", name);
	if (at <= sent + (int64_t)HLX_SENT_AT_MAX_AHEAD * 1000000)
		return 0;
	for (n = next_hlx(body->children); n != NULL; n = next_hlx(n->next))
		if (strcmp((const char *)n->name, name) == 0)
			break;
	return invalid(p, n != NULL ? n : body, "%s is more than %ld "
	    "minutes after Header/SentAt %s", ts, HLX_SENT_AT_MAX_AHEAD / 60,
	    p->m->header.sent_at);
}

static int
event_times(struct pctx *p, xmlNodePtr body)
{
	switch (p->m->type) {
	case BODY_STATUS_UPDATE:
		return not_ahead(p, body, "StateAt", p->m->u.status.state_at);
	case BODY_ASSESSMENT:
		return not_ahead(p, body, "AssessedAt",
		    p->m->u.assessment.assessed_at);
	default:
		return 0;
	}
}

/*
 * Before the schema has its say: the MessageId (when it is a UUID) and the
 * Test flag, so that even an answer to an invalid message can carry
 * InReplyTo and echo Test.
 */
static void
peek_header(xmlNodePtr root, struct msg_err *err)
{
	xmlNodePtr h = next_hlx(root->children), n;
	xmlChar *v;

	if (h == NULL || strcmp((const char *)h->name, "Header") != 0)
		return;
	for (n = next_hlx(h->children); n != NULL; n = next_hlx(n->next)) {
		if (strcmp((const char *)n->name, "MessageId") == 0 &&
		    (v = xmlNodeGetContent(n)) != NULL) {
			if (type_check_uuid((const char *)v) == NULL)
				snprintf(err->message_id,
				    sizeof(err->message_id), "%s", v);
			xmlFree(v);
		} else if (strcmp((const char *)n->name, "Test") == 0 &&
		    (v = xmlNodeGetContent(n)) != NULL) {
			err->test = strstr((const char *)v, "true") != NULL;
			xmlFree(v);
		}
	}
}

int
message_parse(const struct msg_schema *schema, const char *buf, size_t len,
    size_t max_bytes, struct message **out, struct msg_err *err)
{
	struct message *m = NULL;
	struct pctx p;
	xmlDocPtr doc = NULL;
	xmlNodePtr root, hn, body;
	xmlChar *version = NULL;
	size_t bad;
	char v[24];
	int type, rc = -1;

	*out = NULL;
	memset(err, 0, sizeof(*err));
	if (len > max_bytes || len > (size_t)INT32_MAX) {
		set_err(err, MSG_TOO_LARGE, 0, "the message is %zu bytes; "
		    "the limit is %zu", len, max_bytes);
		return -1;
	}
	if (type_utf8_count(buf, len, NULL, &bad) == -1) {
		set_err(err, MSG_MALFORMED, 0, "byte %zu: not UTF-8 (or a NUL "
		    "byte)", bad);
		return -1;
	}
	if (prescan(buf, len, err) == -1 || read_doc(buf, len, &doc, err) == -1)
		return -1;
	root = xmlDocGetRootElement(doc);
	peek_header(root, err);
	if (!is_hlx(root)) {
		set_err(err, MSG_UNSUPPORTED_VERSION, xmlGetLineNo(root),
		    "line %ld: the root element is not in namespace "
		    HLX_NAMESPACE, xmlGetLineNo(root));
		goto out;
	}
	version = xmlGetNoNsProp(root, BAD_CAST "version");
	if (version != NULL &&
	    version_unsupported((const char *)version)) {
		sanitize(v, sizeof(v), (const char *)version, 16);
		set_err(err, MSG_UNSUPPORTED_VERSION, xmlGetLineNo(root),
		    "line %ld: version %s is not supported; supported: "
		    HLX_VERSION, xmlGetLineNo(root), v);
		goto out;
	}
	if (validate(schema, doc, err) == -1)
		goto out;
	/* Valid against the schema: root is Message, then Header, then
	 * exactly one body.  The walk below still checks each step. */
	hn = next_hlx(root->children);
	body = hn != NULL ? next_hlx(hn->next) : NULL;
	if (version == NULL || hn == NULL || body == NULL ||
	    (type = type_vocab_parse(VOCAB_BODY, (const char *)body->name)) < 0) {
		set_err(err, MSG_SCHEMA_INVALID, xmlGetLineNo(root),
		    "line %ld: element Message: expected Header and one body",
		    xmlGetLineNo(root));
		goto out;
	}
	if ((m = message_new((enum body_type)type)) == NULL) {
		set_err(err, MSG_INTERNAL, 0, "out of memory");
		goto out;
	}
	p.m = m;
	p.err = err;
	if ((m->version = arena_strdup(m->arena, (const char *)version)) ==
	    NULL) {
		oom(&p);
		goto out;
	}
	if (header(&p, hn) == -1)
		goto out;
	switch (m->type) {
	case BODY_REFERRAL:
		rc = referral(&p, body);
		break;
	case BODY_ASSESSMENT:
		rc = assessment(&p, body);
		break;
	case BODY_STATUS_UPDATE:
		rc = status_update(&p, body);
		break;
	case BODY_WITHDRAW:
		rc = withdraw(&p, body);
		break;
	case BODY_REROUTE:
		rc = reroute(&p, body);
		break;
	case BODY_RECEIPT:
		rc = receipt(&p, body);
		break;
	case BODY_ERROR:
		rc = error_body(&p, body);
		break;
	case BODY_CAPABILITIES:
		rc = capabilities(&p, body);
		break;
	}
	if (rc == 0)
		rc = event_times(&p, body);
	if (rc == 0) {
		*out = m;
		m = NULL;
	}
out:
	xmlFree(version);
	xmlFreeDoc(doc);
	message_free(m);
	return rc;
}
