/*
 * handoff.c -- hand-off files for the case system.  See handoff.h.
 *
 * SECURITY: handoff_document() reads only the caller's structs and the
 * record's `internal` text (our own case system's JSON, already size- and
 * depth-checked by record_parse); it touches nothing outside memory.  Its
 * reasons name members and never quote a value: `internal` holds analysts'
 * notes and must not reach a log.  handoff_write() touches exactly one
 * directory, [handoff] dir: it creates one temporary file there (mode 0600,
 * O_EXCL, never through a symbolic link), renames it over CASE_ID.json, and
 * removes the temporary file on every failure.  The case id is checked
 * against the case-number charset and may not start with '.', so a name
 * can neither leave the directory nor collide with our temporary names.
 * It never reads a file and never follows a name it did not just create.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "handoff.h"
#include "hlx_limits.h"

/* How often a temporary name is drawn again when it exists already. */
#define HANDOFF_TMP_TRIES	64
#define HANDOFF_TMP_SUFFIX	6	/* like mkstemp's XXXXXX */

static void
reason(char *why, size_t whysz, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
reason(char *why, size_t whysz, const char *fmt, ...)
{
	va_list ap;

	if (why == NULL || whysz == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(why, whysz, fmt, ap);
	va_end(ap);
}

/*
 * Building the document.  Every helper returns 0 or -1 with the reason
 * set; `at` is the JSON path of the object being filled ("" at the top,
 * "items[2]"), so that a reason names the member exactly.
 */
struct hctx {
	char	*why;
	size_t	 whysz;
};

static int
fail(struct hctx *c, const char *at, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int
fail(struct hctx *c, const char *at, const char *key, const char *fmt, ...)
{
	char what[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	reason(c->why, c->whysz, "%s%s%s: %s", at, *at != '\0' &&
	    *key != '\0' ? "." : "", key, what);
	return -1;
}

/* Takes v (jansson's _new convention), also when it is NULL. */
static int
add(struct hctx *c, json_t *obj, const char *at, const char *key, json_t *v)
{
	if (v == NULL)
		return fail(c, at, key, "out of memory");
	if (json_object_set_new(obj, key, v) == -1)
		return fail(c, at, key, "out of memory");
	return 0;
}

/* A string member; an absent optional one (NULL) is left out. */
static int
add_str(struct hctx *c, json_t *obj, const char *at, const char *key,
    const char *s, int required)
{
	json_t *v;

	if (s == NULL)
		return required ? fail(c, at, key, "missing") : 0;
	/* jansson refuses invalid UTF-8 here: nothing malformed goes out. */
	if ((v = json_string(s)) == NULL)
		return fail(c, at, key, "not valid UTF-8 (or out of memory)");
	return add(c, obj, at, key, v);
}

/* A vocabulary member by its index; -1 is absent (optional only). */
static int
add_vocab(struct hctx *c, json_t *obj, const char *at, const char *key,
    enum type_vocab vocab, int i, int required)
{
	const char *name;

	if (i == -1 && !required)
		return 0;
	if ((name = type_vocab_name(vocab, i)) == NULL)
		return fail(c, at, key, "value %d is not in the vocabulary", i);
	return add_str(c, obj, at, key, name, 1);
}

/* -1 absent, 0 false, 1 true; anything else is a caller's bug. */
static int
add_tristate(struct hctx *c, json_t *obj, const char *at, const char *key,
    int b)
{
	if (b == -1)
		return 0;
	if (b != 0 && b != 1)
		return fail(c, at, key, "expected -1, 0 or 1, got %d", b);
	return add(c, obj, at, key, json_boolean(b));
}

static int
hosting(struct hctx *c, json_t *root, const struct msg_hosting *h)
{
	json_t *obj, *ips;
	size_t i;

	if ((obj = json_object()) == NULL ||
	    add(c, root, "", "hosting", obj) == -1)
		return fail(c, "", "hosting", "out of memory");
	if (add_str(c, obj, "hosting", "country", h->country, 1) == -1)
		return -1;
	if (h->nips > HLX_IPS_MAX)
		return fail(c, "hosting", "ips", "%zu addresses, at most %d",
		    h->nips, HLX_IPS_MAX);
	if (h->nips > 0) {
		if ((ips = json_array()) == NULL ||
		    add(c, obj, "hosting", "ips", ips) == -1)
			return fail(c, "hosting", "ips", "out of memory");
		for (i = 0; i < h->nips; i++) {
			if (h->ips[i] == NULL)
				return fail(c, "hosting", "ips", "address %zu "
				    "missing", i);
			if (json_array_append_new(ips,
			    json_string(h->ips[i])) == -1)
				return fail(c, "hosting", "ips", "address %zu: "
				    "not valid UTF-8 (or out of memory)", i);
		}
	}
	if (h->asn != 0 &&
	    add(c, obj, "hosting", "asn", json_integer(h->asn)) == -1)
		return -1;
	if (add_str(c, obj, "hosting", "provider", h->provider, 0) == -1 ||
	    add_tristate(c, obj, "hosting", "cdn", h->cdn) == -1 ||
	    add_str(c, obj, "hosting", "traced_at", h->traced_at, 1) == -1)
		return -1;
	return 0;
}

static int
item(struct hctx *c, json_t *arr, size_t n, const struct msg_item *it)
{
	char at[32], hat[48], nat[64];
	json_t *obj, *hashes = NULL, *nv;
	int a;

	snprintf(at, sizeof(at), "items[%zu]", n);
	snprintf(hat, sizeof(hat), "%s.hashes", at);
	if ((obj = json_object()) == NULL ||
	    json_array_append_new(arr, obj) == -1)
		return fail(c, at, "", "out of memory");
	if (add_str(c, obj, at, "content_url", it->content_url, 1) == -1 ||
	    add_vocab(c, obj, at, "media_type", VOCAB_MEDIA_TYPE,
	    (int)it->media_type, 1) == -1)
		return -1;
	/* enum hash_alg is the order of case-record.md: sha256 ... photodna. */
	for (a = 0; a < HLX_HASH_ALGS; a++) {
		if (it->hashes[a] == NULL)
			continue;
		if (hashes == NULL && ((hashes = json_object()) == NULL ||
		    add(c, obj, at, "hashes", hashes) == -1))
			return fail(c, at, "hashes", "out of memory");
		if (add_str(c, hashes, hat, type_vocab_name(VOCAB_HASH_ALG, a),
		    it->hashes[a], 1) == -1)
			return -1;
	}
	if (add_vocab(c, obj, at, "intl_verdict", VOCAB_INTL_VERDICT,
	    (int)it->intl_verdict, 1) == -1)
		return -1;
	if (it->national.present) {
		snprintf(nat, sizeof(nat), "%s.national_verdict", at);
		if ((nv = json_object()) == NULL ||
		    add(c, obj, at, "national_verdict", nv) == -1)
			return fail(c, at, "national_verdict", "out of memory");
		if (add_str(c, nv, nat, "jurisdiction",
		    it->national.jurisdiction, 1) == -1 ||
		    add_vocab(c, nv, nat, "status", VOCAB_NATIONAL_VERDICT,
		    (int)it->national.verdict, 1) == -1 ||
		    add_str(c, nv, nat, "code", it->national.code, 0) == -1)
			return -1;
	}
	if (add_vocab(c, obj, at, "industry_class", VOCAB_INDUSTRY_CLASS,
	    it->industry_class, 0) == -1 ||
	    add_tristate(c, obj, at, "previously_assessed",
	    it->previously_assessed) == -1)
		return -1;
	return 0;
}

static int
sender_actions(struct hctx *c, json_t *root, const struct msg_referral *r)
{
	json_t *obj;

	/* Absent members are left out, and the object when both are. */
	if (r->lea_notified_at == NULL && r->host_notified_at == NULL)
		return 0;
	if ((obj = json_object()) == NULL ||
	    add(c, root, "", "sender_actions", obj) == -1)
		return fail(c, "", "sender_actions", "out of memory");
	if (add_str(c, obj, "sender_actions", "lea_notified_at",
	    r->lea_notified_at, 0) == -1 ||
	    add_str(c, obj, "sender_actions", "host_notified_at",
	    r->host_notified_at, 0) == -1)
		return -1;
	return 0;
}

static int
one_of(const char *s, const char *const *list)
{
	size_t i;

	for (i = 0; s != NULL && list[i] != NULL; i++)
		if (strcmp(s, list[i]) == 0)
			return 1;
	return 0;
}

/*
 * The meta data is ours, not a partner's: a bad value is a caller's bug,
 * refused here so that the case system never gets a file it cannot read.
 */
static int
check_meta(struct hctx *c, const char *case_id, const char *internal,
    const struct handoff_meta *m, int *is_referral)
{
	static const char *const kinds[] = { "referral", "domestic", NULL };
	static const char *const states[] = { "new", "acknowledged",
		"withdrawn", "amended", NULL };
	const char *bad;

	if (case_id == NULL)
		return fail(c, "", "case_id", "missing");
	if ((bad = type_check_case_number(case_id)) != NULL)
		return fail(c, "", "case_id", "%s", bad);
	if (!one_of(m->kind, kinds))
		return fail(c, "handoff", "kind", "expected referral or "
		    "domestic");
	if (!one_of(m->state, states))
		return fail(c, "handoff", "state", "expected new, "
		    "acknowledged, withdrawn or amended");
	if (m->revision < 1)
		return fail(c, "handoff", "revision", "expected 1 or more");
	if (m->deadline_at == NULL ||
	    (bad = type_check_timestamp(m->deadline_at)) != NULL)
		return fail(c, "handoff", "deadline_at", "%s",
		    bad == NULL ? "missing" : bad);
	if (m->test != 0 && m->test != 1)
		return fail(c, "handoff", "test", "expected 0 or 1, got %d",
		    m->test);
	*is_referral = strcmp(m->kind, "referral") == 0;
	if (!*is_referral) {
		/* A domestic case has no partner: fields set here would be
		 * a mix-up of two cases, never something to drop quietly. */
		if (m->from != NULL || m->their_case_ref != NULL ||
		    m->message_id != NULL || m->received_at != NULL)
			return fail(c, "", "referral", "given for a domestic "
			    "hand-off");
		return 0;
	}
	/* Our own analysts' notes never sit in a partner's case. */
	if (internal != NULL)
		return fail(c, "", "internal", "given for a partner's referral");
	if (m->from == NULL || (bad = type_check_hotline_id(m->from)) != NULL)
		return fail(c, "referral", "from", "%s",
		    bad == NULL ? "missing" : bad);
	if (m->their_case_ref == NULL ||
	    (bad = type_check_case_number(m->their_case_ref)) != NULL)
		return fail(c, "referral", "their_case_ref", "%s",
		    bad == NULL ? "missing" : bad);
	if (m->message_id == NULL ||
	    (bad = type_check_uuid(m->message_id)) != NULL)
		return fail(c, "referral", "message_id", "%s",
		    bad == NULL ? "missing" : bad);
	if (m->received_at == NULL ||
	    (bad = type_check_timestamp(m->received_at)) != NULL)
		return fail(c, "referral", "received_at", "%s",
		    bad == NULL ? "missing" : bad);
	return 0;
}

char *
handoff_document(const char *case_id, const struct msg_referral *r,
    const char *internal, const struct handoff_meta *m, size_t *len,
    char *why, size_t whysz)
{
	struct hctx c = { why, whysz };
	json_error_t jerr;
	json_t *root = NULL, *arr, *obj, *in;
	char *buf = NULL, *out = NULL;
	size_t i, n;
	int is_referral = 0;

	reason(why, whysz, "%s", "");
	if (len != NULL)
		*len = 0;
	if (r == NULL || m == NULL || len == NULL) {
		reason(why, whysz, "handoff_document: no referral, meta or len");
		goto out;
	}
	if (check_meta(&c, case_id, internal, m, &is_referral) == -1)
		goto out;
	if (r->nitems < 1 || r->nitems > HLX_ITEMS_MAX || r->items == NULL) {
		fail(&c, "", "items", "%zu items, expected 1 to %d",
		    r->items == NULL ? 0 : r->nitems, HLX_ITEMS_MAX);
		goto out;
	}
	if ((root = json_object()) == NULL) {
		reason(why, whysz, "out of memory");
		goto out;
	}
	/* The member order of case-record.md and its hand-off example. */
	if (add_str(&c, root, "", "case_id", case_id, 1) == -1 ||
	    add_str(&c, root, "", "received_at", r->received_at, 1) == -1 ||
	    add_str(&c, root, "", "assessed_at", r->assessed_at, 1) == -1 ||
	    add_vocab(&c, root, "", "source", VOCAB_SOURCE, (int)r->source,
	    1) == -1 ||
	    add_str(&c, root, "", "reported_url", r->reported_url, 1) == -1 ||
	    add_vocab(&c, root, "", "site_type", VOCAB_SITE_TYPE,
	    r->site_type, 0) == -1 ||
	    hosting(&c, root, &r->hosting) == -1 ||
	    add_vocab(&c, root, "", "severity", VOCAB_SEVERITY,
	    (int)r->severity, 1) == -1 ||
	    add_vocab(&c, root, "", "restriction", VOCAB_RESTRICTION,
	    (int)r->restriction, 1) == -1 ||
	    add_vocab(&c, root, "", "expectation", VOCAB_EXPECTATION,
	    (int)r->expectation, 1) == -1)
		goto out;
	if ((arr = json_array()) == NULL ||
	    add(&c, root, "", "items", arr) == -1) {
		fail(&c, "", "items", "out of memory");
		goto out;
	}
	for (i = 0; i < r->nitems; i++)
		if (item(&c, arr, i, &r->items[i]) == -1)
			goto out;
	if (sender_actions(&c, root, r) == -1 ||
	    add(&c, root, "", "test", json_boolean(m->test)) == -1)
		goto out;
	if (internal != NULL) {
		/* jansson's error text quotes the input: give the place only. */
		in = json_loads(internal, JSON_REJECT_DUPLICATES, &jerr);
		if (in == NULL) {
			fail(&c, "", "internal", "not valid JSON (line %d, "
			    "column %d)", jerr.line, jerr.column);
			goto out;
		}
		if (!json_is_object(in)) {
			json_decref(in);
			fail(&c, "", "internal", "not a JSON object");
			goto out;
		}
		if (add(&c, root, "", "internal", in) == -1)
			goto out;
	}
	if (is_referral) {
		if ((obj = json_object()) == NULL ||
		    add(&c, root, "", "referral", obj) == -1 ||
		    add_str(&c, obj, "referral", "from", m->from, 1) == -1 ||
		    add_str(&c, obj, "referral", "their_case_ref",
		    m->their_case_ref, 1) == -1 ||
		    add_str(&c, obj, "referral", "message_id", m->message_id,
		    1) == -1 ||
		    add_str(&c, obj, "referral", "received_at", m->received_at,
		    1) == -1) {
			if (obj == NULL)
				fail(&c, "", "referral", "out of memory");
			goto out;
		}
	}
	if ((obj = json_object()) == NULL ||
	    add(&c, root, "", "handoff", obj) == -1 ||
	    add_str(&c, obj, "handoff", "kind", m->kind, 1) == -1 ||
	    add(&c, obj, "handoff", "revision",
	    json_integer((json_int_t)m->revision)) == -1 ||
	    add_str(&c, obj, "handoff", "state", m->state, 1) == -1 ||
	    add_str(&c, obj, "handoff", "deadline_at", m->deadline_at,
	    1) == -1 ||
	    add(&c, obj, "handoff", "test", json_boolean(m->test)) == -1) {
		if (obj == NULL)
			fail(&c, "", "handoff", "out of memory");
		goto out;
	}
	/*
	 * Sized first, then written into our own malloc'd buffer: the caller
	 * frees it with free() whatever allocator jansson was given, and the
	 * final newline needs no second copy.
	 */
	n = json_dumpb(root, NULL, 0, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if (n == 0 || (buf = malloc(n + 2)) == NULL ||
	    json_dumpb(root, buf, n, JSON_INDENT(2) | JSON_PRESERVE_ORDER) !=
	    n) {
		reason(why, whysz, "cannot serialise the document (out of "
		    "memory)");
		goto out;
	}
	buf[n] = '\n';
	buf[n + 1] = '\0';
	*len = n + 1;
	out = buf;
	buf = NULL;
out:
	free(buf);
	json_decref(root);
	return out;
}

/*
 * Writing the file.
 */

/* ".CASE_ID.json.tmp." + six random [A-Za-z0-9]: a name the case system
 * skips (leading dot) and that no case id can take (case ids may not start
 * with '.'). */
static int
tmp_name(const char *case_id, unsigned attempt, char *buf, size_t bufsz)
{
	static const char set[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789";
	unsigned char rnd[HANDOFF_TMP_SUFFIX];
	char sfx[HANDOFF_TMP_SUFFIX + 1];
	struct timespec ts;
	size_t i;
	int n;

	/* O_EXCL is what makes the name safe; randomness only keeps two
	 * writers from retrying in step, so a clock will do without it. */
	if (getrandom(rnd, sizeof(rnd), GRND_NONBLOCK) !=
	    (ssize_t)sizeof(rnd)) {
		unsigned long long x;

		clock_gettime(CLOCK_REALTIME, &ts);
		x = (unsigned long long)ts.tv_nsec ^
		    ((unsigned long long)getpid() << 20) ^
		    ((unsigned long long)attempt * 0x9e3779b97f4a7c15ULL);
		for (i = 0; i < sizeof(rnd); i++, x >>= 8)
			rnd[i] = (unsigned char)x;
	}
	for (i = 0; i < HANDOFF_TMP_SUFFIX; i++)
		sfx[i] = set[rnd[i] % (sizeof(set) - 1)];
	sfx[HANDOFF_TMP_SUFFIX] = '\0';
	n = snprintf(buf, bufsz, ".%s.json.tmp.%s", case_id, sfx);
	return n > 0 && (size_t)n < bufsz ? 0 : -1;
}

static int
write_all(int fd, const char *p, size_t len)
{
	ssize_t r;

	while (len > 0) {
		r = write(fd, p, len);
		if (r == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0) {
			/* A regular file that takes nothing: do not spin. */
			errno = EIO;
			return -1;
		}
		p += r;
		len -= (size_t)r;
	}
	return 0;
}

int
handoff_write(const char *dir, const char *case_id, const char *doc,
    size_t len, char *why, size_t whysz)
{
	/* ".<case id>.json.tmp.XXXXXX" and "<case id>.json" */
	char tmp[HLX_CASE_NUMBER_MAX + 32], final[HLX_CASE_NUMBER_MAX + 8];
	const char *step = NULL, *bad;
	unsigned attempt;
	int dfd = -1, fd = -1, made = 0, saved = 0, rc = -1;

	reason(why, whysz, "%s", "");
	if (dir == NULL || *dir == '\0' || doc == NULL) {
		errno = EINVAL;
		reason(why, whysz, "hand-off: no directory or no document");
		return -1;
	}
	/*
	 * The case id becomes a file name.  The case-number charset has no
	 * '/', and a leading '.' is refused too: it rules out "." and ".."
	 * and keeps the dot names for our temporary files.  An invalid id is
	 * not quoted: it may be anything.
	 */
	if (case_id == NULL || (bad = type_check_case_number(case_id)) !=
	    NULL) {
		errno = EINVAL;
		reason(why, whysz, "hand-off in %s: case id: %s", dir,
		    case_id == NULL ? "missing" : bad);
		return -1;
	}
	if (case_id[0] == '.') {
		errno = EINVAL;
		reason(why, whysz, "hand-off in %s: case id: may not start "
		    "with '.'", dir);
		return -1;
	}
	snprintf(final, sizeof(final), "%s.json", case_id);
	tmp[0] = '\0';

	/* Everything below is relative to this descriptor: the file is
	 * written, renamed and synced in one and the same directory even if
	 * the path is replaced meanwhile. */
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		step = "cannot open the directory";
		goto out;
	}
	for (attempt = 0; attempt < HANDOFF_TMP_TRIES; attempt++) {
		if (tmp_name(case_id, attempt, tmp, sizeof(tmp)) == -1) {
			errno = ENAMETOOLONG;	/* cannot happen: sized above */
			step = "cannot make a temporary name";
			goto out;
		}
		/* O_EXCL: never an existing file, never through a symlink. */
		fd = openat(dfd, tmp, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC |
		    O_NOFOLLOW | O_NOCTTY, 0600);
		if (fd != -1 || errno != EEXIST)
			break;
	}
	if (fd == -1) {
		step = "cannot create a temporary file";
		goto out;
	}
	made = 1;
	if (write_all(fd, doc, len) == -1) {
		step = "cannot write the temporary file";
		goto out;
	}
	if (fsync(fd) == -1) {
		step = "cannot fsync the temporary file";
		goto out;
	}
	/* close() reports delayed write errors on some file systems; the fd
	 * is gone either way, so it is never closed twice. */
	if (close(fd) == -1) {
		fd = -1;
		step = "cannot close the temporary file";
		goto out;
	}
	fd = -1;
	if (renameat(dfd, tmp, dfd, final) == -1) {
		step = "cannot rename the temporary file";
		goto out;
	}
	made = 0;
	/*
	 * The rename is durable only once the directory is.  If this fails
	 * the new file is in place but may not survive a crash: the caller
	 * treats it as not written and writes it again (the hand-off stays
	 * pending), which is harmless.  Deleting it here could lose a
	 * revision the case system already sees, so it stays.
	 */
	if (fsync(dfd) == -1) {
		step = "cannot fsync the directory";
		goto out;
	}
	rc = 0;
out:
	if (rc == -1) {
		saved = errno;
		reason(why, whysz, "hand-off %s/%s: %s: %s", dir, final, step,
		    strerror(saved));
	}
	if (fd != -1)
		close(fd);
	if (made)
		(void)unlinkat(dfd, tmp, 0);
	if (dfd != -1)
		close(dfd);
	if (rc == -1)
		errno = saved;
	return rc;
}

time_t
handoff_deadline(time_t from, enum severity sev, const unsigned deadlines[4])
{
	unsigned d;
	int i;

	if ((unsigned)sev <= SEVERITY_CRITICAL)
		d = deadlines[sev];
	else {
		/* Cannot happen (the parsers check severity); if it does,
		 * the most urgent deadline is the safe mistake. */
		d = deadlines[0];
		for (i = 1; i < 4; i++)
			if (deadlines[i] < d)
				d = deadlines[i];
	}
	return from + (time_t)d;
}
