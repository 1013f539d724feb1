/*
 * hlxd_delivery.c -- delivering the outbox.  See hlxd_delivery.h.
 *
 * SECURITY: connects to partners' URLs from the store (https only, no
 * redirects) with our client certificate; reads their answers (bounded,
 * DELIVERY_ANSWER_MAX, parsed by message_parse with all its limits).  The
 * server's certificate is verified by pin (valid: not retired, before its
 * expiry) and dates in an OpenSSL verify callback, which logs a refusal
 * with the presented pin, subject and dates, installed through
 * CURLOPT_SSL_CTX_FUNCTION -- with a private
 * partner CA no system chain could ever pass, and verification is never
 * switched off -- and by CURLOPT_PINNEDPUBLICKEY as well; with [tls] ca
 * the chain and the host name must verify too.  Writes the store.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "cert.h"
#include "file.h"
#include "hlxd_delivery.h"
#include "log.h"
#include "metrics.h"
#include "outcome.h"
#include "record.h"
#include "tls.h"
#include "types.h"
#include "util.h"

struct transfer {
	struct delivery		*dl;
	struct store_delivery	 d;
	CURL			*easy;
	struct curl_slist	*headers;
	char			*answer;
	size_t			 len;
	int			 truncated;
	long			 retry_after;	/* from the header; -1 */
	char			 why[CURL_ERROR_SIZE];
	char			 url[HLX_URL_MAX + 32];
	time_t			 started;
	int			 caps;		/* a Capabilities fetch */
	struct transfer		*next;
};

struct delivery {
	pthread_t		 thread;
	atomic_int		 stop;
	const struct conf	*conf;
	const struct msg_schema	*schema;
	struct store		*st;
	CURLM			*multi;
	struct transfer		*inflight;
	size_t			 ninflight;
	struct delivery_creds	 creds;
};

static int ssl_index = -1;

/*
 * What the verify callback needs, owned by the SSL_CTX (freed with it):
 * libcurl keeps a connection and its context after the transfer that made
 * it is gone, so the callback must never reach the transfer.
 */
struct verify_ctx {
	char	peer[HLX_HOTLINE_ID_MAX + 1];
	char	pins[STORE_PINS_MAX];
	char	retired_pins[STORE_PINS_MAX];
	char	expired_pins[STORE_PINS_MAX];
	int	has_ca;
};

static void
verify_ctx_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx,
    long argl, void *argp)
{
	(void)parent;
	(void)ad;
	(void)idx;
	(void)argl;
	(void)argp;
	free(ptr);
}

/* Whether pin is one of list's (';' between). */
static int
pin_in(const char *list, const char *pin)
{
	size_t n = strlen(pin);
	const char *p;

	for (p = list; (p = strstr(p, pin)) != NULL; p += n)
		if ((p == list || p[-1] == ';') && (p[n] == '\0' ||
		    p[n] == ';'))
			return 1;
	return 0;
}

static const char *
ts_or_dash(time_t t, char *buf, size_t bufsz)
{
	if (t == 0 || type_timestamp_format(t, buf, bufsz) == -1)
		snprintf(buf, bufsz, "-");
	return buf;
}

/*
 * Which certificate the partner's server presented and why it was refused
 * (issue 13): its pin, subject and dates, nothing else; the subject is the
 * partner's text, escaped.
 */
static void
log_refused(const struct verify_ctx *v, X509 *x, const char *reason)
{
	struct cert_info ci;
	char subj[2 * CERT_SUBJECT_MAX], nb[32], na[32], why[80];

	if (x == NULL || cert_info_of_x509(x, &ci, why, sizeof(why)) == -1)
		memset(&ci, 0, sizeof(ci));
	log_escape(subj, sizeof(subj), ci.subject);
	log_warnx("event=server_handshake_refused peer=%s reason=\"%s\" "
	    "pin=%s subject=\"%s\" not_before=%s not_after=%s", v->peer,
	    reason, ci.pin[0] != '\0' ? ci.pin : "-", subj,
	    ts_or_dash(ci.not_before, nb, sizeof(nb)),
	    ts_or_dash(ci.not_after, na, sizeof(na)));
}

/* The server's certificate: its pin among the peer's valid ones (not
 * retired, not past their expiry), within its dates. */
static int
verify_cb(int preverify_ok, X509_STORE_CTX *xs)
{
	SSL *ssl = X509_STORE_CTX_get_ex_data(xs,
	    SSL_get_ex_data_X509_STORE_CTX_idx());
	const struct verify_ctx *v = ssl != NULL ? SSL_CTX_get_ex_data(
	    SSL_get_SSL_CTX(ssl), ssl_index) : NULL;
	X509 *x = X509_STORE_CTX_get_current_cert(xs);
	unsigned char *der = NULL;
	char pin[CERT_PIN_LEN + 1], why[120];
	const char *reason;
	time_t now = time(NULL);
	int len;

	if (v == NULL)
		return 0;
	if (v->has_ca && !preverify_ok) {
		snprintf(why, sizeof(why), "chain does not verify: %s",
		    X509_verify_cert_error_string(
		    X509_STORE_CTX_get_error(xs)));
		reason = why;
		x = X509_STORE_CTX_get0_cert(xs);
		goto bad;
	}
	if (X509_STORE_CTX_get_error_depth(xs) > 0)
		return v->has_ca ? preverify_ok : 1;
	reason = "certificate without a usable public key";
	if ((len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &der)) <= 0)
		goto bad;
	if (cert_pin_from_spki(der, (size_t)len, pin, sizeof(pin)) == -1) {
		OPENSSL_free(der);
		goto bad;
	}
	OPENSSL_free(der);
	if (!pin_in(v->pins, pin)) {
		reason = pin_in(v->expired_pins, pin) ? "expired pin" :
		    pin_in(v->retired_pins, pin) ? "retired pin" :
		    "unknown pin";
		goto bad;
	}
	/* A pin never excuses a certificate outside its dates. */
	if (X509_cmp_time(X509_get0_notBefore(x), &now) >= 0) {
		reason = "certificate not yet valid";
		goto bad;
	}
	if (X509_cmp_time(X509_get0_notAfter(x), &now) <= 0) {
		reason = "certificate expired";
		goto bad;
	}
	X509_STORE_CTX_set_error(xs, X509_V_OK);
	return 1;
bad:
	log_refused(v, x, reason);
	X509_STORE_CTX_set_error(xs, X509_V_ERR_CERT_REJECTED);
	return 0;
}

static CURLcode
ssl_ctx_cb(CURL *easy, void *sslctx, void *arg)
{
	struct transfer *t = arg;
	struct verify_ctx *v;

	(void)easy;
	if ((v = calloc(1, sizeof(*v))) == NULL)
		return CURLE_OUT_OF_MEMORY;
	snprintf(v->peer, sizeof(v->peer), "%s", t->d.peer);
	snprintf(v->pins, sizeof(v->pins), "%s", t->d.pins);
	snprintf(v->retired_pins, sizeof(v->retired_pins), "%s",
	    t->d.retired_pins);
	snprintf(v->expired_pins, sizeof(v->expired_pins), "%s",
	    t->d.expired_pins);
	v->has_ca = t->dl->conf->tls_ca != NULL;
	if (SSL_CTX_set_ex_data(sslctx, ssl_index, v) != 1) {
		free(v);
		return CURLE_OUT_OF_MEMORY;
	}
	SSL_CTX_set_verify(sslctx, SSL_VERIFY_PEER, verify_cb);
	SSL_CTX_set_min_proto_version(sslctx, TLS1_2_VERSION);
	/* A renegotiation would bring a certificate nobody checks again. */
	SSL_CTX_set_options(sslctx, SSL_OP_NO_RENEGOTIATION);
	return CURLE_OK;
}

static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
	struct transfer *t = arg;
	size_t len = size * n, room = DELIVERY_ANSWER_MAX - t->len;
	char *nb;

	if (len > room) {
		t->truncated = 1;
		len = room;
	}
	if (len > 0) {
		if ((nb = realloc(t->answer, t->len + len + 1)) == NULL)
			return 0;
		t->answer = nb;
		memcpy(t->answer + t->len, p, len);
		t->len += len;
		t->answer[t->len] = '\0';
	}
	return size * n;
}

static size_t
on_header(char *p, size_t size, size_t n, void *arg)
{
	struct transfer *t = arg;
	size_t len = size * n;
	char v[128];
	time_t when;
	long secs;
	char *end;

	if (len > 12 && strncasecmp(p, "Retry-After:", 12) == 0) {
		snprintf(v, sizeof(v), "%.*s", (int)(len - 12), p + 12);
		v[strcspn(v, "\r\n")] = '\0';
		secs = strtol(v, &end, 10);
		if (end != v && *end == '\0' && secs >= 0)
			t->retry_after = secs;
		else if ((when = curl_getdate(v + strspn(v, " "), NULL)) != -1)
			t->retry_after = when > time(NULL) ? when - time(NULL) :
			    0;
	}
	return len;
}

static void
transfer_free(struct transfer *t)
{
	if (t == NULL)
		return;
	if (t->easy != NULL)
		curl_easy_cleanup(t->easy);
	curl_slist_free_all(t->headers);
	free(t->d.body);
	free(t->answer);
	free(t);
}

static int
start(struct delivery *dl, struct store_delivery *d, int caps)
{
	const struct conf *c = dl->conf;
	struct transfer *t = calloc(1, sizeof(*t));
	/* The bytes hlxd read before it dropped privileges (NOCOPY: they
	 * live in dl, longer than any handle or connection). */
	struct curl_blob cert = { dl->creds.cert, dl->creds.cert_len,
		CURL_BLOB_NOCOPY };
	struct curl_blob key = { dl->creds.key, dl->creds.key_len,
		CURL_BLOB_NOCOPY };
	struct curl_blob ca = { dl->creds.ca, dl->creds.ca_len,
		CURL_BLOB_NOCOPY };
	CURL *e;

	if (t == NULL)
		return -1;
	t->dl = dl;
	t->d = *d;
	d->body = NULL;		/* the transfer owns it now */
	t->retry_after = -1;
	t->started = time(NULL);
	t->caps = caps;
	snprintf(t->url, sizeof(t->url), "%s/hlx/1/%s", t->d.url, caps ?
	    "capabilities" : "messages");
	if ((t->easy = e = curl_easy_init()) == NULL)
		goto fail;
	t->headers = curl_slist_append(NULL, "Content-Type: application/xml");
	/* No 100-continue round trip: partners answer at once. */
	t->headers = curl_slist_append(t->headers, "Expect:");
	if (curl_easy_setopt(e, CURLOPT_URL, t->url) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "https") != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_HTTP_VERSION,
	    CURL_HTTP_VERSION_1_1) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    (caps ? curl_easy_setopt(e, CURLOPT_HTTPGET, 1L) :
	    curl_easy_setopt(e, CURLOPT_POSTFIELDS, t->d.body)) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
	    caps ? (curl_off_t)-1 : (curl_off_t)t->d.len) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->headers) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_SSLCERT_BLOB, &cert) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_SSLKEY_BLOB, &key) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_SSLVERSION,
	    CURL_SSLVERSION_TLSv1_2) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_SSL_CIPHER_LIST, TLS12_CIPHERS) !=
	    CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_SSL_CTX_FUNCTION, ssl_ctx_cb) !=
	    CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_SSL_CTX_DATA, t) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_PINNEDPUBLICKEY, t->d.pins) !=
	    CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT,
	    (long)c->connect_timeout) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_TIMEOUT, (long)c->delivery_timeout) !=
	    CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_WRITEDATA, t) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header) !=
	    CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_HEADERDATA, t) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->why) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_PRIVATE, t) != CURLE_OK)
		goto fail;
	if (dl->creds.ca != NULL) {
		/* With a CA: chain and host name as well (protocol.md §1). */
		if (curl_easy_setopt(e, CURLOPT_CAINFO_BLOB, &ca) !=
		    CURLE_OK || curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST,
		    2L) != CURLE_OK)
			goto fail;
	} else {
		/* Pins and dates decide, in verify_cb; a partner's private
		 * CA is not in any bundle, and its host name is its URL's. */
		if (curl_easy_setopt(e, CURLOPT_CAINFO_BLOB, &cert) !=
		    CURLE_OK || curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST,
		    0L) != CURLE_OK)
			goto fail;
	}
	if (curl_multi_add_handle(dl->multi, e) != CURLM_OK)
		goto fail;
	t->next = dl->inflight;
	dl->inflight = t;
	dl->ninflight++;
	return 0;
fail:
	transfer_free(t);
	return -1;
}

/* A peer's Capabilities (protocol.md §4): its versions and limits. */
static void
finish_caps(struct delivery *dl, struct transfer *t, CURLcode res)
{
	struct store_err err;
	struct message *m = NULL;
	struct msg_err merr;
	char versions[256] = "";
	long status = 0;
	size_t i;
	int ok;

	curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
	ok = res == CURLE_OK && status == 200 && message_parse(dl->schema,
	    t->answer, t->len, DELIVERY_ANSWER_MAX, &m, &merr) == 0 &&
	    m->type == BODY_CAPABILITIES &&
	    strcmp(m->u.capabilities.hotline_id, t->d.peer) == 0;
	if (ok)
		for (i = 0; i < m->u.capabilities.nversions; i++)
			snprintf(versions + strlen(versions), sizeof(versions) -
			    strlen(versions), "%s%s", i == 0 ? "" : " ",
			    m->u.capabilities.versions[i]);
	if (store_begin(dl->st, &err) == -1 ||
	    store_caps_set(dl->st, t->d.peer, ok, versions, ok ?
	    (int64_t)m->u.capabilities.max_message_bytes : 0, ok ?
	    (int64_t)m->u.capabilities.max_items : 0, time(NULL), &err) ==
	    -1 || store_commit(dl->st, &err) == -1)
		store_rollback(dl->st);
	if (ok)
		log_info("event=capabilities peer=%s versions=\"%s\" "
		    "max_message_bytes=%llu", t->d.peer, versions,
		    (unsigned long long)m->u.capabilities.max_message_bytes);
	else {
		char esc[2 * CURL_ERROR_SIZE];

		/* curl's message may quote the partner's certificate. */
		log_warnx("event=capabilities_failed peer=%s status=%ld "
		    "reason=\"%s\"", t->d.peer, status, log_escape(esc,
		    sizeof(esc), res != CURLE_OK ? (t->why[0] != '\0' ?
		    t->why : curl_easy_strerror(res)) :
		    "no valid Capabilities"));
	}
	message_free(m);
}

static void
finish(struct delivery *dl, struct transfer *t, CURLcode res)
{
	const struct conf *c = dl->conf;
	struct store_attempt a;
	struct store_err err;
	char code[80], detail[300], partner[HLX_CASE_NUMBER_MAX + 1];
	unsigned rnd = 0;
	long status = 0, ra, wait;
	int cert;

	curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
	cert = res == CURLE_SSL_PINNEDPUBKEYNOTMATCH ||
	    res == CURLE_PEER_FAILED_VERIFICATION;
	memset(&a, 0, sizeof(a));
	a.outcome = outcome_classify(dl->schema, t->d.message_id, t->d.type,
	    t->d.peer, c->hotline_id, res == CURLE_OK, cert, status,
	    t->answer, t->len, t->retry_after, code, sizeof(code), detail,
	    sizeof(detail), partner, &ra);
	if (res != CURLE_OK)
		snprintf(detail, sizeof(detail), "%s", t->why[0] != '\0' ?
		    t->why : curl_easy_strerror(res));
	a.started_at = t->started;
	a.finished_at = time(NULL);
	a.http_status = (int)status;
	a.code = code;
	a.detail = detail[0] != '\0' ? detail : NULL;
	a.answer = t->answer;
	a.answer_len = t->len;
	a.partner_number = partner[0] != '\0' ? partner : NULL;
	if (strcmp(a.outcome, "retry") == 0) {
		if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd))
			rnd = (unsigned)a.finished_at;
		wait = outcome_backoff((unsigned)t->d.attempts + 1,
		    (long)c->backoff_min, (long)c->backoff_max, ra, rnd);
		/* Times are whole seconds and the outbox is polled each
		 * second: one more makes sure at least `wait` passes. */
		a.next_attempt_at = a.finished_at + wait + 1;
		/* After max_age nothing is dropped: it is dead, for an
		 * operator, with what came back last; the last attempt is
		 * made when max_age is reached, not skipped. */
		if (a.finished_at - t->d.created_at >= (time_t)c->max_age)
			a.outcome = "dead";
		else if (a.next_attempt_at > t->d.created_at +
		    (time_t)c->max_age)
			a.next_attempt_at = t->d.created_at +
			    (time_t)c->max_age;
	}
	if (cert) {
		metrics_fault(t->d.peer, "certificate");
		log_warnx("event=server_certificate_refused peer=%s "
		    "message_id=%s", t->d.peer, t->d.message_id);
	} else if (strcmp(code, "BAD_RECEIPT") == 0) {
		/* The detail holds fixed text and hotline ids, which the
		 * parser checked: nothing to escape. */
		metrics_fault(t->d.peer, "receipt");
		log_warnx("event=bad_receipt peer=%s message_id=%s "
		    "reason=\"%s\"", t->d.peer, t->d.message_id, detail);
	}
	metrics_sent(t->d.peer, t->d.type, a.outcome);
	log_info("event=%s peer=%s message_id=%s case=%s status=%ld code=%s",
	    a.outcome, t->d.peer, t->d.message_id, t->d.case_id, status, code);
	if (store_begin(dl->st, &err) == -1 ||
	    store_outbox_attempted(dl->st, &t->d, &a, &err) == -1 ||
	    store_commit(dl->st, &err) == -1) {
		store_rollback(dl->st);
		/* Not recorded: the message stays due and is sent again;
		 * the partner's duplicate check makes that harmless. */
		log_warnx("event=store_failed peer=%s message_id=%s "
		    "reason=\"%s\"", t->d.peer, t->d.message_id, err.msg);
	}
}

/* Unroutable messages whose country has a route now. */
static void
route_waiting(struct delivery *dl)
{
	const struct conf *c = dl->conf;
	struct store_waiting *w = NULL;
	struct store_err err;
	struct record rec;
	struct record_err rerr;
	struct msg_err merr;
	char peer[80], id[40], ts[32], *xml;
	size_t n = 0, i, len;
	unsigned version;

	if (store_outbox_waiting(dl->st, 64, &w, &n, &err) == -1)
		return;
	for (i = 0; i < n; i++) {
		if (store_route_for(dl->st, w[i].country, peer, sizeof(peer),
		    &err) == -1 || peer[0] == '\0')
			continue;
		if (record_parse(w[i].record, strlen(w[i].record), &rec,
		    &rerr) == -1)
			continue;
		xml = NULL;
		if (store_outbox_next_version(dl->st, w[i].id, peer, &version,
		    &err) == 0 && util_uuid4(id, sizeof(id)) == 0 &&
		    util_now_timestamp(ts, sizeof(ts)) == 0 &&
		    record_translate(&rec, c->hotline_id, peer, id, ts,
		    version) == 0 &&
		    message_write(rec.msg, &xml, &len, &merr) == 0) {
			if (store_begin(dl->st, &err) == -1 ||
			    store_outbox_route(dl->st, w[i].id, w[i].case_id,
			    peer, id, version, xml, len, time(NULL), &err) == -1 ||
			    store_commit(dl->st, &err) == -1)
				store_rollback(dl->st);
			else
				log_info("event=routed case=%s peer=%s "
				    "message_id=%s", w[i].case_id, peer, id);
		}
		free(xml);
		record_free(&rec);
	}
	store_waiting_free(w, n);
}

static void
fill(struct delivery *dl)
{
	struct store_delivery *v = NULL;
	struct store_err err;
	struct transfer *t;
	int64_t busy[DELIVERY_INFLIGHT_MAX];
	size_t n = 0, nb = 0, i;

	if (dl->ninflight >= DELIVERY_INFLIGHT_MAX)
		return;
	for (t = dl->inflight; t != NULL && nb < DELIVERY_INFLIGHT_MAX;
	    t = t->next)
		if (!t->caps)
			busy[nb++] = t->d.id;
	if (store_outbox_due(dl->st, time(NULL), DELIVERY_INFLIGHT_MAX -
	    dl->ninflight, busy, nb, &v, &n, &err) == -1) {
		log_warnx("event=store_failed reason=\"%s\"", err.msg);
		return;
	}
	for (i = 0; i < n; i++)
		if (start(dl, &v[i], 0) == -1)
			log_warnx("event=delivery_failed message_id=%s "
			    "reason=\"cannot start a transfer\"",
			    v[i].message_id);
	store_delivery_free(v, n);
	/* Capabilities on first contact and daily, one fetch per peer. */
	if (store_caps_due(dl->st, time(NULL), DELIVERY_CAPS_AT_ONCE, &v, &n,
	    &err) == -1)
		return;
	for (i = 0; i < n; i++) {
		for (t = dl->inflight; t != NULL; t = t->next)
			if (t->caps && strcmp(t->d.peer, v[i].peer) == 0)
				break;
		if (t == NULL && v[i].pins[0] != '\0')
			start(dl, &v[i], 1);
	}
	store_delivery_free(v, n);
}

static void *
run(void *arg)
{
	struct delivery *dl = arg;
	struct transfer *t, **pp;
	CURLMsg *msg;
	time_t last = 0;
	int running, left, done;

	while (!dl->stop) {
		if (time(NULL) != last) {
			last = time(NULL);
			route_waiting(dl);
			fill(dl);
		}
		curl_multi_perform(dl->multi, &running);
		done = 0;
		while ((msg = curl_multi_info_read(dl->multi, &left)) != NULL) {
			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
			    (char **)&t);
			curl_multi_remove_handle(dl->multi, msg->easy_handle);
			if (t->caps)
				finish_caps(dl, t, msg->data.result);
			else
				finish(dl, t, msg->data.result);
			for (pp = &dl->inflight; *pp != NULL; pp = &(*pp)->next)
				if (*pp == t) {
					*pp = t->next;
					break;
				}
			dl->ninflight--;
			transfer_free(t);
			done++;
		}
		/* A finished transfer makes room at once, not at the next
		 * second: a queue drains at the partner's pace. */
		if (done > 0)
			fill(dl);
		curl_multi_poll(dl->multi, NULL, 0, DELIVERY_TICK_MS / 4, NULL);
	}
	/* Stopping: transfers in flight are abandoned, not recorded; the
	 * messages stay due and go again after a restart. */
	while ((t = dl->inflight) != NULL) {
		dl->inflight = t->next;
		curl_multi_remove_handle(dl->multi, t->easy);
		transfer_free(t);
	}
	return NULL;
}

int
delivery_creds_load(const struct conf *c, struct delivery_creds *cr,
    char *why, size_t whysz)
{
	static const char *const what[] = { "[tls] cert", "[tls] key",
		"[tls] ca" };
	const char *path[3] = { c->tls_cert, c->tls_key, c->tls_ca };
	char **buf[3] = { &cr->cert, &cr->key, &cr->ca };
	size_t *len[3] = { &cr->cert_len, &cr->key_len, &cr->ca_len };
	int i;

	memset(cr, 0, sizeof(*cr));
	for (i = 0; i < 3; i++) {
		if (path[i] == NULL)
			continue;
		if (file_read(path[i], DELIVERY_CRED_MAX, buf[i], len[i]) !=
		    FILE_OK) {
			snprintf(why, whysz, "%s %s: cannot read it", what[i],
			    path[i]);
			delivery_creds_free(cr);
			return -1;
		}
	}
	return 0;
}

void
delivery_creds_free(struct delivery_creds *cr)
{
	if (cr->key != NULL)
		explicit_bzero(cr->key, cr->key_len);
	free(cr->cert);
	free(cr->key);
	free(cr->ca);
	memset(cr, 0, sizeof(*cr));
}

struct delivery *
delivery_start(const struct conf *c, const struct msg_schema *schema,
    struct store *st, struct delivery_creds *creds, char *why, size_t whysz)
{
	struct delivery *dl = calloc(1, sizeof(*dl));

	if (dl == NULL) {
		snprintf(why, whysz, "out of memory");
		return NULL;
	}
	dl->creds = *creds;
	memset(creds, 0, sizeof(*creds));
	if (ssl_index == -1)
		ssl_index = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL,
		    verify_ctx_free);
	dl->conf = c;
	dl->schema = schema;
	dl->st = st;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK ||
	    (dl->multi = curl_multi_init()) == NULL) {
		snprintf(why, whysz, "libcurl cannot start");
		delivery_creds_free(&dl->creds);
		free(dl);
		return NULL;
	}
	/* Connections are reused per peer, at most this many at once. */
	curl_multi_setopt(dl->multi, CURLMOPT_MAX_HOST_CONNECTIONS,
	    (long)c->connections_per_peer);
	/* Idle ones kept for reuse too: no more than hlxd budgets for. */
	curl_multi_setopt(dl->multi, CURLMOPT_MAXCONNECTS,
	    (long)DELIVERY_TRANSFERS_MAX);
	if (pthread_create(&dl->thread, NULL, run, dl) != 0) {
		curl_multi_cleanup(dl->multi);
		delivery_creds_free(&dl->creds);
		free(dl);
		snprintf(why, whysz, "cannot start the delivery thread");
		return NULL;
	}
	return dl;
}

void
delivery_stop(struct delivery *dl)
{
	if (dl == NULL)
		return;
	dl->stop = 1;
	curl_multi_wakeup(dl->multi);
	pthread_join(dl->thread, NULL);
	curl_multi_cleanup(dl->multi);
	store_close(dl->st);
	delivery_creds_free(&dl->creds);
	free(dl);
}
