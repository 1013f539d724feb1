/*
 * fuzz_request -- libFuzzer target for hlxd's request path, as much of it
 * as runs in one process without TLS and sockets: the bytes a partner
 * sends on one connection, after the handshake, go through
 *
 *   server.c's HTTP/1.1 framing (server_http_*: http-parser with the
 *     header, URL, header-count and body limits, chunked bodies, Expect,
 *     pipelining, and the 400/413/431 answers to what frames no request;
 *     the strict framing of check 2 before http-parser sees a byte: CRLF
 *     line ends, no whitespace in or before a header name, no obs-fold,
 *     one Content-Type, Transfer-Encoding exactly chunked, chunk data
 *     followed by CRLF, HTTP/1.0 or 1.1 (505), Expect 100-continue (417));
 *   the checks hlxd.c makes on the headers (3, 4) and on the request (1),
 *     and its answers (Receipt, Error, Capabilities);
 *   ingest.c's checks 7-14, as the peer the certificate names;
 *   store_ingest.c's checks 15-18 in a real store (SQLite, WAL), with the
 *     hand-off document a Referral gets, and the audit entry of a refusal;
 *   server.c's answer framing (server_http_answer).
 *
 * Not driven (and why): TLS, the listener and the deadlines (sockets and
 * time: a request cut off by the input's end is answered 408 here, as its
 * deadline would); hlxd.c's rate limit (wall-clock time) and 503 BUSY (a
 * connection count); the writer thread's group commit and the hand-off
 * file on disk (every input is rolled back, so the store never grows).
 * hlxd.c's on_headers/on_request are static in the daemon's main file:
 * hlxd_on_headers() and hlxd_on_request() below mirror them, step for step
 * -- XXX keep them in step with hlxd.c, or move those two into a module
 * both can call.
 *
 * Input: one control byte C, then the bytes of the connection.
 *   C & 3         the client certificate's peer: 0, 1 hotline-nl.example,
 *                 2 hotline-de.example, 3 none enabled (403 UNKNOWN_PEER)
 *   C >> 2 & 31   0: the bytes in one piece; n: in pieces of n bytes (a
 *                 TLS record may end anywhere)
 *   C & 128       framed: the bytes are HEAD CRLF CRLF BODY, sent as
 *                 HEAD CRLF "Content-Length: " len(BODY) CRLF CRLF BODY,
 *                 so that a mutation of the XML keeps its request whole
 *                 and goes on to checks 7-18 (raw bytes test the framing)
 *
 * The store (created once per process in a mktemp -d directory, removed
 * at exit) holds peers NL and DE and three cases: NL's NL-2026-4411 (open),
 * NL's NL-2026-4499 (withdrawn: closed), and our CF-2026-000123 referred
 * to NL.  Each input runs in one transaction, rolled back at its end, so
 * that requests of one input see each other (duplicates, versions).
 *
 * Invariants (abort otherwise): every answer on the wire is an HTTP/1.1
 * response with a Content-Length that frames it exactly, and a body that
 * message_parse() accepts: a Capabilities for 200, a Receipt for 202 (with
 * a PartnerCaseRef when it answers a Referral), else an Error whose Code,
 * status and Retryable are a row of protocol.md §3's table; Sender is us,
 * Recipient the peer -- unknown.invalid only without an enabled peer, or
 * for a 400, 408, 417, 431 or 505 the framing gives before the headers
 * are complete or as it checks them (check 2, before the peer is looked up)
 * (the peer is looked up then; inbound.sh allows it too).  One answer per
 * request, and nothing after an answer that closes.  A message that passes
 * checks 7-14 is stored or refused by checks 15-18: never a store error
 * (that would be a 503 the partner retries for ever).  A hand-off document
 * is JSON.  No leak (libFuzzer's -detect_leaks), no ASan or UBSan report.
 *
 * FUZZ_REQUEST_TRACE=1 prints each answer (status, Code, Detail) and the
 * daemon's log lines on stderr: to see what one input does.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <http_parser.h>
#include <jansson.h>

#include "audit.h"
#include "conf.h"
#include "ingest.h"
#include "log.h"
#include "message.h"
#include "metrics.h"
#include "schema_xsd.h"
#include "server.h"
#include "store.h"
#include "types.h"

int	LLVMFuzzerInitialize(int *argc, char ***argv);
int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SELF		"hotline-be.example"
#define NOW_TEXT	"2026-11-29T12:00:00Z"
#define ANSWER_ID	"5f0c2a4e-8f1d-4c6a-9b7e-2d5f1a0c9e99"
/* The body limit: the configured minimum is 64 KiB, more than an input
 * (-max_len=65536) can carry; a smaller one puts check 5's edge, chunked
 * and not, within reach. */
#define FUZZ_MAX_BYTES	(16 * 1024)

static const char *const peers[4] = {
	"hotline-nl.example", "hotline-nl.example", "hotline-de.example", ""
};
static const char *const pins[4] = {
	"sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
	"sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
	"sha256//BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB=",
	""
};

static struct msg_schema *schema;
static struct conf conf;
static struct store *st;
static time_t now;
static size_t max_bytes = FUZZ_MAX_BYTES;
static char dir[256];	/* $TMPDIR/fuzz_request.XXXXXX */
static int trace;	/* FUZZ_REQUEST_TRACE set: each answer on stderr */

/* What an answer must be, besides valid (see check_wire). */
struct want {
	int		 anonymous;	/* to unknown.invalid */
	int		 referral;	/* it answers a Referral */
};

/* One input: one connection. */
struct fz {
	int		 who;		/* index in peers[] */
	struct evbuffer	*out;		/* what the client reads */
	int		 closing;	/* an answer closed it */
	struct want	*want;		/* per final answer written */
	size_t		 answers, cap;
	struct ingest_answer ha;	/* hlxd's static one in on_headers */
};

/* --- the seed store -------------------------------------------------- */

static const char referral_fmt[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<Message xmlns=\"urn:x-hlx:1\" version=\"1.0\">\n"
    "  <Header>\n"
    "    <MessageId>%s</MessageId>\n"
    "    <SentAt>2026-11-28T12:00:00Z</SentAt>\n"
    "    <Sender>hotline-nl.example</Sender>\n"
    "    <Recipient>hotline-be.example</Recipient>\n"
    "  </Header>\n"
    "  <Referral>\n"
    "    <CaseRef issuer=\"hotline-nl.example\" version=\"1\">%s</CaseRef>\n"
    "    <ReportedUrl>https://files.example.com/share/abc</ReportedUrl>\n"
    "    <ReceivedAt>2026-11-28T08:00:00Z</ReceivedAt>\n"
    "    <AssessedAt>2026-11-28T11:45:00Z</AssessedAt>\n"
    "    <Source>public_report</Source>\n"
    "    <Hosting>\n"
    "      <Country>BE</Country>\n"
    "      <Ip>192.0.2.44</Ip>\n"
    "      <TracedAt>2026-11-28T11:40:00Z</TracedAt>\n"
    "    </Hosting>\n"
    "    <Severity>high</Severity>\n"
    "    <Items>\n"
    "      <Item>\n"
    "        <ContentUrl>https://files.example.com/share/abc/1.jpg"
    "</ContentUrl>\n"
    "        <MediaType>image</MediaType>\n"
    "        <IntlVerdict>baseline</IntlVerdict>\n"
    "      </Item>\n"
    "    </Items>\n"
    "    <Expectation>assess_and_takedown</Expectation>\n"
    "  </Referral>\n"
    "</Message>\n";

static const char withdraw_4499[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<Message xmlns=\"urn:x-hlx:1\" version=\"1.0\">\n"
    "  <Header>\n"
    "    <MessageId>0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c99</MessageId>\n"
    "    <SentAt>2026-11-28T16:00:00Z</SentAt>\n"
    "    <Sender>hotline-nl.example</Sender>\n"
    "    <Recipient>hotline-be.example</Recipient>\n"
    "  </Header>\n"
    "  <Withdraw>\n"
    "    <CaseRef issuer=\"hotline-nl.example\" version=\"2\">"
    "NL-2026-4499</CaseRef>\n"
    "    <Reason>Reported in error.</Reason>\n"
    "  </Withdraw>\n"
    "</Message>\n";

/* After tests/integration/data/record.json: our case, referred to NL. */
static const char record_json[] =
    "{\"case_id\":\"CF-2026-000123\",\"received_at\":\"2026-11-28T09:12:00Z\","
    "\"assessed_at\":\"2026-11-28T10:40:00Z\",\"source\":\"public_report\","
    "\"reported_url\":\"http://gallery.example.net/album/77\","
    "\"site_type\":\"image_host\",\"hosting\":{\"country\":\"NL\","
    "\"ips\":[\"203.0.113.7\",\"2001:db8::7\"],\"asn\":64500,"
    "\"provider\":\"Example Hosting B.V.\",\"cdn\":false,"
    "\"traced_at\":\"2026-11-28T10:35:00Z\"},\"severity\":\"high\","
    "\"restriction\":\"red\",\"expectation\":\"assess_and_takedown\","
    "\"items\":[{\"content_url\":\"http://gallery.example.net/img/77-1.jpg\","
    "\"media_type\":\"image\",\"hashes\":{\"sha256\":"
    "\"a4eb5c0a7a0846eedbc464b64ac16c3bc77e139405cc5c1cb7a5539ceab1279f\"},"
    "\"intl_verdict\":\"baseline\",\"national_verdict\":{\"jurisdiction\":"
    "\"BE\",\"status\":\"illegal\",\"code\":\"art-417-44\"}},"
    "{\"content_url\":\"http://gallery.example.net/img/77-2.mp4\","
    "\"media_type\":\"video\",\"intl_verdict\":\"not_assessed\"}],"
    "\"test\":false}";

/* The store's files (nothing else is written: no hand-off file). */
static void
cleanup(void)
{
	static const char *const files[] = { "hlx.db-wal", "hlx.db-shm",
		"hlx.db", "audit.key" };
	char path[300];
	size_t i;

	store_close(st);
	st = NULL;
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		(void)unlink(path);
	}
	(void)rmdir(dir);
}

/* --- hlxd's writer, for one message (hlxd_writer.c's process()) ------- */

static void
audit_error(const char *peer, const char *pin, const struct ingest_answer *a)
{
	struct store_err err;
	char detail[320];

	snprintf(detail, sizeof(detail), "%d %s: %s", a->status, a->code,
	    a->detail);
	if (store_audit(st, AUDIT_ANSWERED_ERROR, peer, NULL,
	    a->in_reply_to[0] != '\0' ? a->in_reply_to : NULL,
	    pin[0] != '\0' ? pin : NULL, detail, &err) == -1) {
		fprintf(stderr, "audit of an error failed: %s\n", err.msg);
		abort();
	}
}

/* Checks 7-18 of one body from peer, inside the caller's transaction:
 * stored (202) or refused (a).  Returns the message's type, or -1. */
static int
ingest_one(const char *peer, const char *pin, const char *body, size_t len,
    struct ingest_answer *a)
{
	const unsigned deadlines[4] = { conf.deadline_low,
		conf.deadline_medium, conf.deadline_high,
		conf.deadline_critical };
	struct store_inbound in;
	struct store_handoff ho;
	struct store_err err;
	struct message *m = NULL;
	json_t *doc;
	int type;

	if (ingest_check(schema, &conf, peer, body, len, now, &m, a) == -1) {
		audit_error(peer, pin, a);
		return -1;
	}
	type = (int)m->type;
	memset(&in, 0, sizeof(in));
	memset(&ho, 0, sizeof(ho));
	in.m = m;
	in.self = conf.hotline_id;
	in.peer = peer;
	in.pin = pin[0] != '\0' ? pin : NULL;
	in.body = body;
	in.len = len;
	in.now = now;
	in.case_prefix = conf.case_prefix;
	in.conf = &conf;
	in.deadlines = deadlines;
	if (store_savepoint(st, &err) == -1 ||
	    store_ingest(st, &in, a, &ho, &err) == -1) {
		/* hlxd answers 503 UNAVAILABLE: the partner retries, for
		 * ever, a message that checks 7-14 accepted. */
		fprintf(stderr, "store_ingest failed on a message that passed "
		    "checks 7-14: %s\n", err.msg);
		abort();
	}
	if (ho.document != NULL) {
		if (strlen(ho.document) != ho.len ||
		    (doc = json_loadb(ho.document, ho.len, 0, NULL)) == NULL) {
			fprintf(stderr, "hand-off document is not JSON\n");
			abort();
		}
		json_decref(doc);
		free(ho.document);
	}
	if (a->status != 202) {
		store_rollback_to(st);
		audit_error(peer, pin, a);
	} else if (store_release(st, &err) == -1) {
		fprintf(stderr, "release: %s\n", err.msg);
		abort();
	}
	message_free(m);
	return type;
}

static void
seed(void)
{
	struct store_pin pin;
	struct store_submit sub;
	struct store_err err;
	struct ingest_answer a;
	const char *nl[] = { "NL" }, *de[] = { "DE" };
	char body[4096];
	int n;

	if (store_begin(st, &err) == -1)
		goto fail;
	memset(&pin, 0, sizeof(pin));
	pin.pin = pins[0];
	if (store_peer_add(st, peers[0], "https://127.0.0.1:9", nl, 1, &pin, 1,
	    &err) == -1)
		goto fail;
	pin.pin = pins[2];
	if (store_peer_add(st, peers[2], "https://127.0.0.1:9", de, 1, &pin, 1,
	    &err) == -1)
		goto fail;
	memset(&sub, 0, sizeof(sub));
	sub.self = SELF;
	sub.case_id = "CF-2026-000123";
	sub.country = "NL";
	sub.received_at = "2026-11-28T09:12:00Z";
	sub.record = record_json;
	sub.record_sha256 = "0000000000000000000000000000000000000000000000"
	    "000000000000000000";
	sub.now = now;
	sub.peer = peers[0];
	sub.message_id = "d4c3b2a1-0f9e-4d8c-8b7a-6f5e4d3c2b1a";
	sub.body = "<Message/>";
	sub.len = strlen(sub.body);
	if (store_submit(st, &sub, &err) == -1)
		goto fail;
	n = snprintf(body, sizeof(body), referral_fmt,
	    "3b0c2a4e-8f1d-4c6a-9b7e-2d5f1a0c9e11", "NL-2026-4411");
	if (ingest_one(peers[0], pins[0], body, (size_t)n, &a) == -1 ||
	    a.status != 202)
		goto refused;
	n = snprintf(body, sizeof(body), referral_fmt,
	    "3b0c2a4e-8f1d-4c6a-9b7e-2d5f1a0c9e99", "NL-2026-4499");
	if (ingest_one(peers[0], pins[0], body, (size_t)n, &a) == -1 ||
	    a.status != 202)
		goto refused;
	if (ingest_one(peers[0], pins[0], withdraw_4499,
	    sizeof(withdraw_4499) - 1, &a) == -1 || a.status != 202)
		goto refused;
	if (store_commit(st, &err) == -1)
		goto fail;
	return;
refused:
	fprintf(stderr, "fuzz_request: seed refused: %d %s %s\n", a.status,
	    a.code != NULL ? a.code : "-", a.detail);
	abort();
fail:
	fprintf(stderr, "fuzz_request: seed store: %s\n", err.msg);
	abort();
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct conf_errors errs;
	struct store_err err;
	char text[512], path[300], key[300], why[256];
	const char *tmp = getenv("TMPDIR");
	int n;

	(void)argc;
	(void)argv;
	trace = getenv("FUZZ_REQUEST_TRACE") != NULL;
	log_init("fuzz_request", 0, trace ? LOG_LEVEL_INFO : LOG_LEVEL_ERROR);
	if ((schema = message_schema_new(schema_xsd, schema_xsd_len, why,
	    sizeof(why))) == NULL)
		abort();
	if (type_timestamp_parse(NOW_TEXT, &now) == -1)
		abort();
	snprintf(dir, sizeof(dir), "%s/fuzz_request.XXXXXX",
	    tmp != NULL && tmp[0] != '\0' && strlen(tmp) < 200 ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		abort();
	}
	atexit(cleanup);
	n = snprintf(text, sizeof(text), "[hotline]\nid = %s\ncountry = BE\n"
	    "receive_for = BE\ncase_prefix = IN-\n[handoff]\ndir = handoff\n"
	    "deadline_high = 24h\n", SELF);
	memset(&errs, 0, sizeof(errs));
	if (conf_parse(&conf, "fuzz.conf", dir, text, (size_t)n, &errs) == -1) {
		fprintf(stderr, "fuzz_request: %s\n", errs.count > 0 ?
		    errs.lines[0] : "bad configuration");
		abort();
	}
	conf_errors_free(&errs);
	conf.max_message_bytes = FUZZ_MAX_BYTES;
	snprintf(path, sizeof(path), "%s/hlx.db", dir);
	snprintf(key, sizeof(key), "%s/audit.key", dir);
	if (store_open(&st, path, key, "hlxd", &err) == -1) {
		fprintf(stderr, "fuzz_request: %s\n", err.msg);
		abort();
	}
	seed();
	return 0;
}

/* --- hlxd.c's answers ------------------------------------------------ */

static const char *
recipient(const struct server_request *r)
{
	return r->peer[0] != '\0' ? r->peer : "unknown.invalid";
}

/* One more final answer on the wire, to r. */
static void
answered(struct fz *f, const struct server_request *r, int status,
    int keepalive, int is_referral)
{
	struct want *v;
	size_t cap;

	/* The peer is looked up when the headers are complete: only what
	 * the framing refuses before that goes to unknown.invalid although
	 * the handshake named a peer (inbound.sh allows it, for 408/431;
	 * check 2's 417 and 505 come before the look-up). */
	if (r->peer[0] == '\0' && peers[f->who][0] != '\0' &&
	    status != 400 && status != 408 && status != 431 &&
	    status != 417 && status != 505) {
		fprintf(stderr, "%d to unknown.invalid, not to %s\n", status,
		    peers[f->who]);
		abort();
	}
	if (f->answers == f->cap) {
		cap = f->cap == 0 ? 16 : 2 * f->cap;
		if ((v = realloc(f->want, cap * sizeof(*v))) == NULL)
			abort();
		f->want = v;
		f->cap = cap;
	}
	f->want[f->answers].anonymous = r->peer[0] == '\0';
	f->want[f->answers].referral = is_referral;
	f->answers++;
	f->closing = !keepalive;
}

/* hlxd.c's answer(): the answer to a request, as server_reply() sends it. */
static void
answer(struct fz *f, const struct server_request *r,
    const struct ingest_answer *a, const char *type, int keepalive,
    int is_referral)
{
	char *xml;
	size_t len = 0;

	xml = ingest_answer_xml(&conf, recipient(r), a, ANSWER_ID, NOW_TEXT,
	    &len);
	metrics_received(r->peer[0] != '\0' ? r->peer : "-", type,
	    a->code != NULL ? a->code : a->duplicate ? "duplicate" :
	    "accepted");
	if (xml == NULL) {
		/* hlxd would send "500 internal error" in text/plain. */
		fprintf(stderr, "no answer could be written for %d %s: %s\n",
		    a->status, a->code != NULL ? a->code : "-", a->detail);
		abort();
	}
	server_http_answer(f->out, a->status, "application/xml", xml, len,
	    a->retry_after, !keepalive);
	free(xml);
	answered(f, r, a->status, keepalive, is_referral);
}

/* hlxd.c's on_headers(), less the rate limit: checks 3 and 4
 * (ingest_check_head, the same code). */
static int
hlxd_on_headers(struct fz *f, struct server_request *r,
    struct server_error *e)
{
	struct ingest_answer *a = &f->ha;

	if (ingest_check_head(r->method, r->path, r->content_type,
	    r->content_encoding, a) == 0)
		return 0;
	e->status = a->status;
	e->code = a->code;
	e->detail = a->detail;
	e->retryable = a->retryable;
	e->retry_after = a->retry_after;
	/* refuse(d, r, &a, "-", 1): the writer audits it. */
	audit_error(r->peer, r->pin, a);
	return -1;
}

/* hlxd.c's on_request() with the writer's work and on_done(). */
static void
hlxd_on_request(struct fz *f, struct server_request *r, int keepalive)
{
	struct ingest_answer a;
	char *xml;
	size_t len;
	int type;

	memset(&a, 0, sizeof(a));
	a.retry_after = -1;
	if (r->peer[0] == '\0') {
		ingest_error(&a, 403, "UNKNOWN_PEER", 0, "the client "
		    "certificate belongs to no enabled peer");
		answer(f, r, &a, "-", keepalive, 0);
		return;
	}
	if (strcmp(r->path, "/hlx/1/capabilities") == 0) {
		if ((xml = ingest_capabilities_xml(&conf, r->peer, ANSWER_ID,
		    NOW_TEXT, &len)) == NULL) {
			fprintf(stderr, "no Capabilities could be written\n");
			abort();
		}
		server_http_answer(f->out, 200, "application/xml", xml, len, -1,
		    !keepalive);
		free(xml);
		answered(f, r, 200, keepalive, 0);
		return;
	}
	type = ingest_one(r->peer, r->pin, r->body, r->len, &a);
	answer(f, r, &a, type >= 0 ? type_vocab_name(VOCAB_BODY, type) : "-",
	    keepalive, type == BODY_REFERRAL);
}

/* --- the framing's operations (server.c's conn_* for a socket) ------- */

static void
op_begin(void *arg)
{
	(void)arg;
}

static int
op_headers(struct server_request *r, struct server_error *e, void *arg)
{
	struct fz *f = arg;

	/* tls_peer_of(): the peer the certificate's pin names. */
	snprintf(r->peer, sizeof(r->peer), "%s", peers[f->who]);
	snprintf(r->pin, sizeof(r->pin), "%s", pins[f->who]);
	if (r->peer[0] != '\0')
		return hlxd_on_headers(f, r, e);
	return 0;
}

static void
op_body(int expect_continue, void *arg)
{
	struct fz *f = arg;

	if (expect_continue)
		evbuffer_add_printf(f->out, "HTTP/1.1 100 Continue\r\n\r\n");
}

/* server.c's refuse() with hlxd.c's error_body(). */
static void
refuse(struct fz *f, const struct server_request *r,
    const struct server_error *e)
{
	struct server_request none;
	struct ingest_answer a;
	char *body;
	size_t len = 0;

	if (r == NULL) {
		memset(&none, 0, sizeof(none));
		r = &none;
	}
	memset(&a, 0, sizeof(a));
	ingest_error(&a, e->status, e->code, e->retryable, "%s", e->detail);
	a.retry_after = e->retry_after;
	metrics_received(r->peer[0] != '\0' ? r->peer : "-", "-", e->code);
	if ((body = ingest_answer_xml(&conf, recipient(r), &a, ANSWER_ID,
	    NOW_TEXT, &len)) == NULL) {
		fprintf(stderr, "no Error could be written for %d %s\n",
		    e->status, e->code);
		abort();
	}
	server_http_answer(f->out, e->status, "application/xml", body, len,
	    e->retry_after, 1);
	free(body);
	answered(f, r, e->status, 0, 0);
}

static void
op_refuse(const struct server_request *r, const struct server_error *e,
    void *arg)
{
	refuse(arg, r, e);
}

static void
op_request(struct server_request *r, int keepalive, void *arg)
{
	hlxd_on_request(arg, r, keepalive);
	server_request_free(r);
}

static const struct server_http_ops ops = {
	.begin = op_begin,
	.headers = op_headers,
	.body = op_body,
	.refuse = op_refuse,
	.request = op_request,
};

/* --- what the client reads ------------------------------------------- */

struct rd {
	struct fz	*f;
	size_t		 n;		/* final answers read */
	int		 status;
	char		 field[32];
	char		 ctype[64];
	int		 in_value;
	struct evbuffer	*body;
};

/* protocol.md §3: the Error codes, their status and Retryable. */
static const struct row {
	int		 status;
	const char	*code;
	int		 retryable;
} table[] = {
	{ 403, "UNKNOWN_PEER", 0 },
	{ 431, "HEADERS_TOO_LARGE", 0 },
	{ 408, "REQUEST_TIMEOUT", 1 },
	{ 404, "NOT_FOUND", 0 },
	{ 405, "METHOD_NOT_ALLOWED", 0 },
	{ 415, "UNSUPPORTED_MEDIA_TYPE", 0 },
	{ 413, "TOO_LARGE", 0 },
	{ 429, "RATE_LIMITED", 1 },
	{ 503, "BUSY", 1 },
	{ 400, "MALFORMED", 0 },
	{ 505, "HTTP_VERSION_NOT_SUPPORTED", 0 },
	{ 417, "EXPECTATION_FAILED", 0 },
	{ 400, "UNSUPPORTED_VERSION", 0 },
	{ 400, "SCHEMA_INVALID", 0 },
	{ 403, "SENDER_MISMATCH", 0 },
	{ 403, "RECIPIENT_MISMATCH", 0 },
	{ 400, "STALE_MESSAGE", 0 },
	{ 422, "UNSUPPORTED_MESSAGE_TYPE", 0 },
	{ 422, "MISROUTED", 0 },
	{ 422, "UNKNOWN_CASE", 0 },
	{ 403, "ROLE_NOT_ALLOWED", 0 },
	{ 422, "CASE_CLOSED", 0 },
	{ 409, "MESSAGE_ID_REUSED", 0 },
	{ 409, "VERSION_REUSED", 0 },
	{ 503, "UNAVAILABLE", 1 },
	{ 500, "INTERNAL", 1 },
};

static void
bad_answer(const struct rd *d, const char *why, const char *what)
{
	fprintf(stderr, "answer %zu (status %d): %s%s%s\n", d->n + 1,
	    d->status, why, what != NULL ? ": " : "", what != NULL ? what : "");
	abort();
}

/* Our own answers: their header names are short. */
static int
rd_field(http_parser *p, const char *at, size_t len)
{
	struct rd *d = p->data;
	size_t have;

	if (d->in_value) {
		d->field[0] = '\0';
		d->in_value = 0;
	}
	have = strlen(d->field);
	if (have + len >= sizeof(d->field))
		bad_answer(d, "a header name too long", NULL);
	memcpy(d->field + have, at, len);
	d->field[have + len] = '\0';
	return 0;
}

static int
rd_value(http_parser *p, const char *at, size_t len)
{
	struct rd *d = p->data;
	size_t have = strlen(d->ctype);

	d->in_value = 1;
	if (strcasecmp(d->field, "content-type") != 0)
		return 0;
	if (have + len >= sizeof(d->ctype))
		bad_answer(d, "a Content-Type too long", NULL);
	memcpy(d->ctype + have, at, len);
	d->ctype[have + len] = '\0';
	return 0;
}

static int
rd_headers_complete(http_parser *p)
{
	struct rd *d = p->data;

	d->status = (int)p->status_code;
	if (d->status >= 200 && !(p->flags & F_CONTENTLENGTH))
		bad_answer(d, "no Content-Length", NULL);
	return 0;
}

static int
rd_body(http_parser *p, const char *at, size_t len)
{
	struct rd *d = p->data;

	return evbuffer_add(d->body, at, len) == 0 ? 0 : 1;
}

static int
rd_complete(http_parser *p)
{
	struct rd *d = p->data;
	struct message *m = NULL;
	struct msg_err err;
	const char *want_to;
	size_t len = evbuffer_get_length(d->body), i;
	char *body;

	if (d->status == 100) {
		if (len != 0)
			bad_answer(d, "a 100 with a body", NULL);
		goto next;
	}
	if (d->n >= d->f->answers)
		bad_answer(d, "more answers on the wire than written", NULL);
	if (strcmp(d->ctype, "application/xml") != 0)
		bad_answer(d, "Content-Type", d->ctype);
	body = (char *)evbuffer_pullup(d->body, -1);
	if (message_parse(schema, body != NULL ? body : "", len,
	    HLX_DEFAULT_MAX_MESSAGE_BYTES, &m, &err) == -1)
		bad_answer(d, "the body is no valid HLX message", err.detail);
	want_to = d->f->want[d->n].anonymous ? "unknown.invalid" :
	    peers[d->f->who];
	if (strcmp(m->header.sender, SELF) != 0 ||
	    strcmp(m->header.recipient, want_to) != 0)
		bad_answer(d, "Sender or Recipient", m->header.recipient);
	switch (d->status) {
	case 200:
		if (m->type != BODY_CAPABILITIES)
			bad_answer(d, "200 without Capabilities", NULL);
		break;
	case 202:
		if (m->type != BODY_RECEIPT)
			bad_answer(d, "202 without a Receipt", NULL);
		if (d->f->want[d->n].referral &&
		    m->u.receipt.partner.issuer == NULL)
			bad_answer(d, "a Referral's Receipt without "
			    "PartnerCaseRef", NULL);
		break;
	default:
		if (m->type != BODY_ERROR)
			bad_answer(d, "an error status without an Error", NULL);
		for (i = 0; i < sizeof(table) / sizeof(table[0]); i++)
			if (strcmp(table[i].code, m->u.error.code) == 0)
				break;
		if (i == sizeof(table) / sizeof(table[0]))
			bad_answer(d, "a Code not in protocol.md §3",
			    m->u.error.code);
		if (table[i].status != d->status ||
		    table[i].retryable != m->u.error.retryable)
			bad_answer(d, "status or Retryable of",
			    m->u.error.code);
		break;
	}
	if (trace)
		fprintf(stderr, "answer %zu: %d %s%s%s\n", d->n + 1, d->status,
		    m->type == BODY_ERROR ? m->u.error.code : "",
		    m->type == BODY_ERROR ? ": " : "", m->type == BODY_ERROR ?
		    m->u.error.detail : m->type == BODY_RECEIPT &&
		    m->u.receipt.partner.number != NULL ?
		    m->u.receipt.partner.number : "");
	message_free(m);
	d->n++;
next:
	evbuffer_drain(d->body, len);
	d->ctype[0] = '\0';
	d->field[0] = '\0';
	d->in_value = 0;
	return 0;
}

static void
check_wire(struct fz *f)
{
	static const http_parser_settings rs = {
		.on_header_field = rd_field,
		.on_header_value = rd_value,
		.on_headers_complete = rd_headers_complete,
		.on_body = rd_body,
		.on_message_complete = rd_complete,
	};
	http_parser p;
	struct rd d;
	size_t len = evbuffer_get_length(f->out), n;
	const char *wire = (const char *)evbuffer_pullup(f->out, -1);

	memset(&d, 0, sizeof(d));
	d.f = f;
	d.status = 0;
	if ((d.body = evbuffer_new()) == NULL)
		abort();
	http_parser_init(&p, HTTP_RESPONSE);
	p.data = &d;
	n = http_parser_execute(&p, &rs, wire != NULL ? wire : "", len);
	if (n != len || HTTP_PARSER_ERRNO(&p) != HPE_OK) {
		fprintf(stderr, "the answers are not HTTP/1.1: %s at %zu\n",
		    http_errno_name(HTTP_PARSER_ERRNO(&p)), n);
		abort();
	}
	if (d.n != f->answers || evbuffer_get_length(d.body) != 0) {
		fprintf(stderr, "%zu answers written, %zu on the wire\n",
		    f->answers, d.n);
		abort();
	}
	evbuffer_free(d.body);
}

/* --- one input ------------------------------------------------------- */

/* The first CRLF CRLF in p, or NULL. */
static const char *
end_of_head(const char *p, size_t len)
{
	size_t i;

	for (i = 0; i + 4 <= len; i++)
		if (memcmp(p + i, "\r\n\r\n", 4) == 0)
			return p + i;
	return NULL;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct server_http *h = NULL;
	struct store_err err;
	struct server_error e;
	struct fz f;
	enum server_http_rc rc = SERVER_HTTP_MORE;
	const char *p, *sep;
	char *framed = NULL;
	size_t piece, n, off, k, requests = 0;

	if (size < 1)
		return 0;
	memset(&f, 0, sizeof(f));
	f.who = data[0] & 3;
	piece = (data[0] >> 2) & 31;
	p = (const char *)data + 1;
	size--;
	if ((data[0] & 128) && (sep = end_of_head(p, size)) != NULL) {
		n = (size_t)(sep - p);
		off = size - n - 4;	/* the body */
		if ((framed = malloc(size + 40)) == NULL)
			abort();
		memcpy(framed, p, n);
		n += (size_t)snprintf(framed + n, 40, "\r\nContent-Length: "
		    "%zu\r\n\r\n", off);
		memcpy(framed + n, sep + 4, off);
		p = framed;
		size = n + off;
	}
	if ((f.out = evbuffer_new()) == NULL ||
	    (h = server_http_new(&max_bytes, &ops, &f)) == NULL)
		abort();
	if (store_begin(st, &err) == -1) {
		fprintf(stderr, "begin: %s\n", err.msg);
		abort();
	}
	/* server.c's conn_read(), one piece at a time. */
	for (off = 0; off < size && rc != SERVER_HTTP_STOP &&
	    rc != SERVER_HTTP_FAIL && !f.closing; ) {
		n = piece == 0 || size - off < piece ? size - off : piece;
		for (k = 0; k < n; ) {
			k += server_http_execute(h, p + off + k, n - k, &rc);
			if (rc == SERVER_HTTP_WAIT) {
				requests++;
				if (f.closing)
					break;
				/* server_reply() -> on_resume() */
				server_http_resume(h);
				continue;
			}
			if (rc != SERVER_HTTP_MORE)
				break;
			if (k != n) {
				fprintf(stderr, "MORE with %zu of %zu bytes "
				    "left\n", n - k, n);
				abort();
			}
		}
		off += n;
	}
	if (rc == SERVER_HTTP_FAIL)
		abort();	/* out of memory: not here */
	/* A request cut off by the end of the input: its deadline. */
	if (rc != SERVER_HTTP_STOP && !f.closing &&
	    server_http_request(h) != NULL) {
		memset(&e, 0, sizeof(e));
		e.status = 408;
		e.code = "REQUEST_TIMEOUT";
		e.detail = "the request took too long";
		e.retryable = 1;
		e.retry_after = -1;
		refuse(&f, server_http_request(h), &e);
	}
	store_rollback(st);
	if (f.answers < requests) {
		fprintf(stderr, "%zu requests, %zu answers\n", requests,
		    f.answers);
		abort();
	}
	check_wire(&f);
	server_http_free(h);
	evbuffer_free(f.out);
	free(f.want);
	free(framed);
	return 0;
}
