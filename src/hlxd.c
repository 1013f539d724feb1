/*
 * hlxd -- the gateway daemon: the partner listener (mutual TLS, HLX/1),
 * the admin listener (/healthz, /metrics), and the writer that makes every
 * acknowledged message durable.
 *
 * SECURITY: reads untrusted bytes from partners over TLS: the handshake
 * (client certificates checked by pin, tls.c), HTTP (server.c) and message
 * bodies (message_parse with all its limits, ingest.c); partners' answers
 * to our deliveries (hlxd_delivery.c); local HTTP requests on the admin
 * listener.  Holds the TLS private key.  Connects to partners' URLs from
 * the store.  Writes the store and [handoff] dir.  XXX one process parses
 * partners' XML, holds the key and writes the store (STYLE.md "Layers");
 * an unprivileged, sandboxed parser process is the next step.
 *
 * Privileges (privdrop.h, issue 7).  Started as root with [daemon] user
 * set, hlxd does as root only what needs root: it reads the configuration
 * and checks its files' modes, loads the TLS certificate and key into the
 * server context, and binds the partner and admin listeners.  Then, before
 * any thread starts and before a byte is read from the network, it drops
 * to the user (initgroups, setgid, setuid) and proves it cannot come back
 * (setuid(0) fails, no capability left).  Everything that creates or
 * writes a file -- the store and its -wal and -shm, the audit key, the
 * hand-off directory and files -- happens after the drop, so root never
 * leaves a file the daemon cannot write; the files that exist already are
 * checked to be the user's, each one named when it is not (77).  The
 * listeners accept nothing before the event loop runs, which is after the
 * pending hand-offs were rewritten (operations.md §4).
 *
 * The decisions an auditor will look for:
 * - Not root, [daemon] user naming another user: refused, 77 (only root
 *   can become another user; running on as the wrong one would write
 *   files the real daemon user cannot).  Not root, the user unset or the
 *   current one: hlxd goes on (the current user's files are checked when
 *   the user is named).  An unknown user, or one with uid 0: 78.
 * - Root without [daemon] user: XXX a warning (event=running_as_root),
 *   not a refusal, because the integration suites run hlxd as root in CI
 *   without a user.  An auditor expects a refusal (78, "set [daemon]
 *   user"); make it one once the suites set a user.  The systemd unit
 *   never runs hlxd as root (etc/hlxd.service).
 * - The [tls] files are read before the drop: the listener's context, and
 *   the bytes the delivery thread hands libcurl (delivery_creds_load:
 *   never a path), so the key file may stay root's, 0600.
 * - A SIGHUP reload reads the configuration as the user: a file it cannot
 *   read is logged at start (the old configuration then stays in force).
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/thread.h>

#include "admin.h"
#include "fdbudget.h"
#include "hlxd_delivery.h"
#include "hlxd_writer.h"
#include "ingest.h"
#include "log.h"
#include "metrics.h"
#include "peertab.h"
#include "privdrop.h"
#include "ratelimit.h"
#include "server.h"
#include "setup.h"
#include "store.h"
#include "tls.h"
#include "util.h"

#define HLXD_TICK_SEC		1	/* peers reloaded, disk checked */
#define HLXD_TIP_EVERY_SEC	3600	/* the audit tip in the log */
#define HLXD_STOP_GRACE_SEC	10	/* SIGTERM: requests in flight */
/* A hand-off pending this long (seconds) makes /healthz answer 503: the
 * writer retries every few seconds, so it is stuck, not slow. */
#define HLXD_HANDOFF_STUCK_SEC	60
#define HLXD_RATE_PEERS_MAX	1024

struct rate {
	char		 peer[64];
	struct ratelimit msgs;		/* [listen] rate_limit */
	struct ratelimit bytes;		/* [listen] rate_limit_bytes */
};

struct hlxd {
	const char		*conf_path;
	struct conf		 conf;
	struct msg_schema	*schema;
	struct event_base	*base;
	SSL_CTX			*ctx;
	struct store		*st;		/* the loop thread's reads */
	struct peertab		*peers;
	int64_t			 data_version;
	struct server		*server;
	struct admin		*admin;
	struct writer		*writer;
	struct delivery		*delivery;
	struct event		*tick, *sigterm, *sigint, *sighup, *stop_timer;
	time_t			 tip_logged;	/* last audit tip in the log */
	int			 low_disk;
	int			 stopping;
	struct rate		 rates[HLXD_RATE_PEERS_MAX];
	size_t			 nrates;
};

static double
now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The peer table, rebuilt from the store when the store changed. */
static int
reload_peers(struct hlxd *d, int force)
{
	struct store_peer_list l;
	struct store_err err;
	struct peertab *t;
	int64_t v;
	size_t i, k;

	if (store_data_version(d->st, &v, &err) == -1) {
		log_warnx("event=store_failed reason=\"%s\"", err.msg);
		return -1;
	}
	if (!force && v == d->data_version)
		return 0;
	d->data_version = v;
	if (store_peer_list(d->st, NULL, &l, &err) == -1) {
		log_warnx("event=store_failed reason=\"%s\"", err.msg);
		return -1;
	}
	if ((t = peertab_new()) == NULL) {
		store_peer_list_free(&l);
		return -1;
	}
	/* Every pin, not only those that authenticate: a refusal says
	 * whose pin it was and why (retired, disabled peer, expired). */
	for (i = 0; i < l.n; i++) {
		for (k = 0; k < l.peers[i].npins; k++) {
			const struct store_pin *q = &l.peers[i].pins[k];

			if (peertab_add(t, q->pin, l.peers[i].id,
			    q->retired_at != 0 ? PEERTAB_PIN_RETIRED :
			    !l.peers[i].enabled ? PEERTAB_PIN_DISABLED :
			    PEERTAB_PIN_VALID, q->expires_at) == -1) {
				peertab_free(t);
				store_peer_list_free(&l);
				return -1;
			}
		}
	}
	store_peer_list_free(&l);
	/* Every commit changes data_version; only a change of pins or peers
	 * may flush the TLS sessions. */
	if (!force && peertab_equal(t, d->peers)) {
		peertab_free(t);
		return 0;
	}
	tls_set_peers(d->ctx, t);
	peertab_free(d->peers);
	d->peers = t;
	log_info("event=peers_loaded pins=%zu", peertab_count(t, time(NULL)));
	return 0;
}

static void
check_disk(struct hlxd *d)
{
	char dirbuf[PATH_MAX];
	struct statvfs sv;
	uint64_t avail;

	snprintf(dirbuf, sizeof(dirbuf), "%s", d->conf.store_path);
	if (statvfs(dirname(dirbuf), &sv) == -1)
		return;
	avail = (uint64_t)sv.f_bavail * (uint64_t)sv.f_frsize;
	if ((avail < d->conf.min_free) != d->low_disk)
		log_warnx("event=disk level=%s available=%llu min_free=%llu",
		    avail < d->conf.min_free ? "low" : "ok",
		    (unsigned long long)avail,
		    (unsigned long long)d->conf.min_free);
	d->low_disk = avail < d->conf.min_free;
}

static void
gauge_outbox(const char *peer, const char *state, int64_t n, void *arg)
{
	(void)arg;
	metrics_gauge_set("hlx_outbox_messages", "peer", peer, "state", state,
	    (double)n);
}

/* The gauges of operations.md §2, from the store. */
static void
update_gauges(struct hlxd *d)
{
	struct store_peer_list l;
	struct store_err err;
	int64_t overdue = 0;
	time_t first;
	size_t i, k;

	if (d->writer != NULL) {
		struct writer_backlog b;

		writer_backlog(d->writer, &b);
		if (b.pending >= 0) {
			metrics_gauge_reset("hlx_handoffs_pending");
			metrics_gauge_set("hlx_handoffs_pending", NULL, NULL,
			    NULL, NULL, (double)b.pending);
		}
	}
	metrics_gauge_reset("hlx_outbox_messages");
	if (store_gauges(d->st, time(NULL), gauge_outbox, &overdue, d,
	    &err) == 0) {
		metrics_gauge_reset("hlx_handoffs_overdue");
		metrics_gauge_set("hlx_handoffs_overdue", NULL, NULL, NULL,
		    NULL, (double)overdue);
	}
	if (store_peer_list(d->st, NULL, &l, &err) == -1)
		return;
	metrics_gauge_reset("hlx_peer_cert_expiry_timestamp_seconds");
	for (i = 0; i < l.n; i++) {
		first = 0;
		for (k = 0; k < l.peers[i].npins; k++)
			if (l.peers[i].pins[k].retired_at == 0 &&
			    l.peers[i].pins[k].not_after != 0 && (first == 0 ||
			    l.peers[i].pins[k].not_after < first))
				first = l.peers[i].pins[k].not_after;
		if (first != 0)
			metrics_gauge_set(
			    "hlx_peer_cert_expiry_timestamp_seconds", "peer",
			    l.peers[i].id, NULL, NULL, (double)first);
	}
	store_peer_list_free(&l);
}

/* operations.md §5: the audit tip in the log at start-up and every hour,
 * so that it can be recorded where the store's writers cannot reach. */
static void
log_audit_tip(struct hlxd *d)
{
	unsigned char tip[AUDIT_MAC_LEN];
	char hex[2 * AUDIT_MAC_LEN + 1];
	struct store_err err;
	int64_t count;
	time_t now = time(NULL);

	if (d->tip_logged != 0 && now - d->tip_logged < HLXD_TIP_EVERY_SEC)
		return;
	d->tip_logged = now;
	if (store_audit_tip(d->st, &count, tip, &err) == -1) {
		log_warnx("event=audit_tip_failed reason=\"%s\"", err.msg);
		return;
	}
	audit_hex(tip, hex);
	log_info("event=audit_tip count=%lld tip=%s", (long long)count, hex);
}

static void
on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct hlxd *d = arg;

	(void)fd;
	(void)what;
	reload_peers(d, 0);
	check_disk(d);
	update_gauges(d);
	log_audit_tip(d);
}

/* A peer's buckets; NULL when the table is full (no limit then). */
static struct rate *
rate_of(struct hlxd *d, const char *peer)
{
	struct rate *r;
	size_t i;

	for (i = 0; i < d->nrates; i++)
		if (strcmp(d->rates[i].peer, peer) == 0)
			return &d->rates[i];
	if (d->nrates == HLXD_RATE_PEERS_MAX)
		return NULL;
	r = &d->rates[d->nrates++];
	memset(r, 0, sizeof(*r));
	snprintf(r->peer, sizeof(r->peer), "%s", peer);
	return r;
}

/* Per-peer token bucket: rate_limit a second, a burst of two seconds. */
static int
rate_ok(struct hlxd *d, const char *peer)
{
	struct rate *r = rate_of(d, peer);

	return r == NULL || ratelimit_take(&r->msgs, now_mono(),
	    (double)d->conf.rate_limit, 2.0 * d->conf.rate_limit, 1.0, NULL);
}

/*
 * Per-peer body bytes (issue 13): rate_limit_bytes a second, a burst of
 * two seconds' worth but at least max_message_bytes, so that a message
 * of the largest size can pass.  The message rate alone lets one partner
 * write rate_limit x max_message_bytes a second (200 MiB/s by default)
 * until min_free stops every partner.  1, or 0 with *retry_after.
 */
static int
rate_bytes_ok(struct hlxd *d, const char *peer, size_t len,
    long *retry_after)
{
	struct rate *r = rate_of(d, peer);
	double rate = (double)d->conf.rate_limit_bytes, burst = 2.0 * rate,
	    wait = 1.0;

	if (burst < (double)d->conf.max_message_bytes)
		burst = (double)d->conf.max_message_bytes;
	if (r == NULL || ratelimit_take(&r->bytes, now_mono(), rate, burst,
	    (double)len, &wait))
		return 1;
	*retry_after = ratelimit_retry_after(wait);
	return 0;
}

/* Sends an answer (Receipt or Error) for r, and counts it. */
static void
answer(struct hlxd *d, struct server_request *r, const struct ingest_answer *a,
    const char *type)
{
	char id[40], ts[32], *xml;
	size_t len = 0;

	if (util_uuid4(id, sizeof(id)) == -1 ||
	    util_now_timestamp(ts, sizeof(ts)) == -1)
		xml = NULL;
	else
		xml = ingest_answer_xml(&d->conf, r->peer[0] != '\0' ? r->peer :
		    "unknown.invalid", a, id, ts, &len);
	metrics_received(r->peer[0] != '\0' ? r->peer : "-", type,
	    a->code != NULL ? a->code : a->duplicate ? "duplicate" :
	    "accepted");
	metrics_request_duration(now_mono() - r->started);
	log_info("event=answered peer=%s message_id=%s status=%d code=%s",
	    r->peer[0] != '\0' ? r->peer : "-",
	    a->in_reply_to[0] != '\0' ? a->in_reply_to : "-", a->status,
	    a->code != NULL ? a->code : a->duplicate ? "duplicate" :
	    "accepted");
	if (xml == NULL)
		server_reply(r, 500, "text/plain", "internal error\n", 15, -1);
	else
		server_reply(r, a->status, "application/xml", xml, len,
		    a->retry_after);
	free(xml);
}

/*
 * An error after authentication is audited (operations.md §5): through
 * the writer, which owns the store's writes.  With answer_now the answer
 * goes at once (the server writes it) and the job only audits.
 */
static void
refuse(struct hlxd *d, struct server_request *r, struct ingest_answer *a,
    const char *type, int answer_now)
{
	struct writer_job *j;

	if (r->peer[0] == '\0' || (j = calloc(1, sizeof(*j))) == NULL) {
		if (!answer_now)
			answer(d, r, a, type);
		return;
	}
	j->ctx = answer_now ? NULL : r;
	snprintf(j->peer, sizeof(j->peer), "%s", r->peer);
	snprintf(j->pin, sizeof(j->pin), "%s", r->pin);
	j->ans = *a;
	writer_submit(d->writer, j);
}

/* Checks 3 and 4, as soon as the headers are in (before 5's limit). */
static int
on_headers(struct server_request *r, struct server_error *e, void *arg)
{
	struct hlxd *d = arg;
	static struct ingest_answer a;	/* loop thread only */

	memset(&a, 0, sizeof(a));
	a.retry_after = -1;
	/* 6's rate first here: every request of a peer counts, and its
	 * refusals must not become a flood of audit entries. */
	if (!rate_ok(d, r->peer)) {
		ingest_error(&a, 429, "RATE_LIMITED", 1, "more than %u "
		    "requests a second from %s", d->conf.rate_limit, r->peer);
		e->status = 429;
		e->code = a.code;
		e->detail = a.detail;
		e->retryable = 1;
		e->retry_after = 1;
		return -1;
	}
	if (ingest_check_head(r->method, r->path, r->content_type,
	    r->content_encoding, &a) == 0)
		return 0;
	e->status = a.status;
	e->code = a.code;
	e->detail = a.detail;
	e->retryable = a.retryable;
	e->retry_after = a.retry_after;
	refuse(d, r, &a, "-", 1);
	return -1;
}

/* The body of a refusal the server decided (or on_headers). */
static char *
error_body(const struct server_request *r, const struct server_error *e,
    size_t *len, void *arg)
{
	struct hlxd *d = arg;
	struct ingest_answer a;
	char id[40], ts[32];

	memset(&a, 0, sizeof(a));
	ingest_error(&a, e->status, e->code, e->retryable, "%s", e->detail);
	a.retry_after = e->retry_after;
	metrics_received(r->peer[0] != '\0' ? r->peer : "-", "-", e->code);
	if (util_uuid4(id, sizeof(id)) == -1 ||
	    util_now_timestamp(ts, sizeof(ts)) == -1)
		return NULL;
	return ingest_answer_xml(&d->conf, r->peer[0] != '\0' ? r->peer :
	    "unknown.invalid", &a, id, ts, len);
}

static void
on_request(struct server_request *r, void *arg)
{
	struct hlxd *d = arg;
	struct ingest_answer a;
	struct writer_job *j;
	struct message *m = NULL;
	char id[40], ts[32], *xml;
	size_t len;
	long wait = 1;

	memset(&a, 0, sizeof(a));
	a.retry_after = -1;
	/* 1: the handshake checked the pin; the peer must still be enabled. */
	if (r->peer[0] == '\0') {
		ingest_error(&a, 403, "UNKNOWN_PEER", 0, "the client "
		    "certificate belongs to no enabled peer");
		answer(d, r, &a, "-");
		return;
	}
	/* 3 and 4 passed in on_headers */
	if (strcmp(r->path, "/hlx/1/capabilities") == 0) {
		if (util_uuid4(id, sizeof(id)) == -1 ||
		    util_now_timestamp(ts, sizeof(ts)) == -1 ||
		    (xml = ingest_capabilities_xml(&d->conf, r->peer, id, ts,
		    &len)) == NULL) {
			server_reply(r, 500, "text/plain", "internal error\n",
			    15, -1);
			return;
		}
		server_reply(r, 200, "application/xml", xml, len, -1);
		free(xml);
		return;
	}
	/* 6: the rate was counted with the headers (on_headers); the
	 * bytes now that the body is in, before it is parsed or stored. */
	if (!rate_bytes_ok(d, r->peer, r->len, &wait)) {
		ingest_error(&a, 429, "RATE_LIMITED", 1, "more than %llu "
		    "bytes a second from %s", (unsigned long long)
		    d->conf.rate_limit_bytes, r->peer);
		a.retry_after = wait;
		answer(d, r, &a, "-");
		return;
	}
	/* 19, early: no room to keep a promise */
	if (d->low_disk || d->stopping) {
		ingest_error(&a, 503, "UNAVAILABLE", 1, "%s", d->stopping ?
		    "shutting down" : "not enough free disk to store it");
		a.retry_after = 60;
		answer(d, r, &a, "-");
		return;
	}
	/* 7-14 */
	if (ingest_check(d->schema, &d->conf, r->peer, r->body, r->len,
	    time(NULL), &m, &a) == -1) {
		refuse(d, r, &a, "-", 0);
		return;
	}
	if ((j = calloc(1, sizeof(*j))) == NULL ||
	    (j->body = malloc(r->len)) == NULL) {
		free(j);
		message_free(m);
		ingest_error(&a, 503, "UNAVAILABLE", 1, "out of memory");
		a.retry_after = 5;
		answer(d, r, &a, "-");
		return;
	}
	memcpy(j->body, r->body, r->len);
	j->len = r->len;
	j->ctx = r;
	j->m = m;
	j->now = time(NULL);
	snprintf(j->peer, sizeof(j->peer), "%s", r->peer);
	snprintf(j->pin, sizeof(j->pin), "%s", r->pin);
	j->ans = a;
	writer_submit(d->writer, j);
}

static void
on_done(struct writer_job *j, void *arg)
{
	struct hlxd *d = arg;

	/* No ctx: an audit of an answer already sent. */
	if (j->ctx != NULL)
		answer(d, j->ctx, &j->ans, j->m != NULL ?
		    type_vocab_name(VOCAB_BODY, (int)j->m->type) : "-");
	writer_job_free(j);
}

static int
healthz(void *arg, char *why, size_t whysz)
{
	struct hlxd *d = arg;
	int64_t v;
	struct store_err err;

	if (d->low_disk) {
		snprintf(why, whysz, "free disk below min_free");
		return -1;
	}
	if (store_data_version(d->st, &v, &err) == -1) {
		snprintf(why, whysz, "store unreadable");
		return -1;
	}
	if (d->writer != NULL) {
		struct writer_backlog b;
		time_t now = time(NULL);

		writer_backlog(d->writer, &b);
		if (b.pending > 0 && b.oldest != 0 &&
		    now - b.oldest >= HLXD_HANDOFF_STUCK_SEC) {
			snprintf(why, whysz, "%lld hand-off(s) pending, %s for "
			    "%llds: %s", (long long)b.pending, b.case_id,
			    (long long)(now - b.oldest), b.why[0] != '\0' ?
			    b.why : "not yet written");
			return -1;
		}
	}
	return 0;
}

static void
on_stop_timer(evutil_socket_t fd, short what, void *arg)
{
	struct hlxd *d = arg;

	(void)fd;
	(void)what;
	if (server_pending(d->server) == 0 || d->stopping++ >
	    HLXD_STOP_GRACE_SEC * 10)
		event_base_loopexit(d->base, NULL);
}

static void
on_sigterm(evutil_socket_t fd, short what, void *arg)
{
	struct hlxd *d = arg;
	struct timeval tv = { 0, 100000 };

	(void)fd;
	(void)what;
	if (d->stopping)
		return;
	log_info("event=stopping");
	d->stopping = 1;
	server_close_listener(d->server);
	event_add(d->stop_timer, &tv);
}

static void
on_sighup(evutil_socket_t fd, short what, void *arg)
{
	struct hlxd *d = arg;
	struct conf nc;
	struct fdbudget b;
	unsigned long soft, hard;
	char line[512];

	(void)fd;
	(void)what;
	memset(&nc, 0, sizeof(nc));
	if (setup_conf_logged(d->conf_path, &nc) != 0) {
		log_warnx("event=reload_failed reason=\"the configuration has "
		    "errors; the old one stays in force\"");
		return;
	}
	/* The caps change live: the new ones must fit the descriptors too
	 * (raised up to the hard limit, as at start-up). */
	fdbudget_need(&nc, DELIVERY_TRANSFERS_MAX, &b);
	switch (fdbudget_apply(&b, 1, &soft, &hard, line, sizeof(line))) {
	case FDBUDGET_SHORT:
	case FDBUDGET_FAILED:
		log_warnx("event=reload_failed reason=\"%s; the old "
		    "configuration stays in force\"", line);
		conf_free(&nc);
		return;
	case FDBUDGET_RAISED:
		log_info("event=nofile_raised soft=%lu hard=%lu need=%lu",
		    soft, hard, b.fb_total);
		break;
	case FDBUDGET_OK:
		break;
	}
	/* XXX only what is safe to change under running threads is applied
	 * (log level, rate limits, connection limits and timeouts, peers);
	 * the message size, TLS files, store and hand-off settings need a
	 * restart for now. */
	log_set_level(nc.log_level);
	d->conf.rate_limit = nc.rate_limit;
	d->conf.rate_limit_bytes = nc.rate_limit_bytes;
	d->conf.max_connections = nc.max_connections;
	d->conf.max_connections_per_ip = nc.max_connections_per_ip;
	d->conf.max_handshakes = nc.max_handshakes;
	d->conf.handshake_timeout = nc.handshake_timeout;
	d->conf.header_timeout = nc.header_timeout;
	d->conf.body_timeout = nc.body_timeout;
	server_set_conf(d->server, &d->conf);
	if (strcmp(nc.listen.host, d->conf.listen.host) != 0 ||
	    nc.listen.port != d->conf.listen.port ||
	    strcmp(nc.admin.host, d->conf.admin.host) != 0 ||
	    nc.admin.port != d->conf.admin.port)
		log_warnx("event=reload note=\"[listen] and [admin] addresses "
		    "change only with a restart\"");
	conf_free(&nc);
	reload_peers(d, 1);
	log_info("event=reloaded");
}

static void
usage(FILE *f)
{
	fprintf(f, "usage: hlxd -c FILE [-f] [-n]\n"
	    "  -c FILE  configuration (default $HLX_CONF, else "
	    HLX_DEFAULT_CONF ")\n"
	    "  -f       stay in the foreground, log to stderr\n"
	    "  -n       check the configuration and the files it names, "
	    "then exit\n");
}

/* privdrop_check_files() reporters: -n prints, a start logs. */
static void
report_stderr(const char *line, void *arg)
{
	(void)arg;
	fprintf(stderr, "%s\n", line);
}

static void
report_log(const char *line, void *arg)
{
	char esc[1200];

	(void)arg;
	log_warnx("event=start_failed reason=\"%s\"",
	    log_escape(esc, sizeof(esc), line));
}

/*
 * After the drop: the files are the user's, and the configuration can be
 * read again for a SIGHUP.  0 or the exit code.
 */
static int
check_dropped(struct hlxd *d, const struct privdrop *pd, int check_only)
{
	const char *path = d->conf_path;
	char esc[PATH_MAX + 16];
	int rc;

	rc = privdrop_check_files(pd, &d->conf, check_only ? report_stderr :
	    report_log, NULL);
	if (rc != 0 || !pd->pd_drop)
		return rc;
	if (path == NULL)
		path = getenv("HLX_CONF");
	if (path == NULL || *path == '\0')
		path = HLX_DEFAULT_CONF;
	if (access(path, R_OK) == -1) {
		if (check_only)
			fprintf(stderr, "hlxd: warning: %s: %s cannot read it: "
			    "a SIGHUP reload will fail\n", path, pd->pd_user);
		else
			log_warnx("event=config_unreadable file=\"%s\" user=%s "
			    "note=\"a SIGHUP reload will fail\"",
			    log_escape(esc, sizeof(esc), path), pd->pd_user);
	}
	return 0;
}

int
main(int argc, char *argv[])
{
	struct hlxd d;
	struct server_hooks hooks;
	struct privdrop pd;
	struct delivery_creds creds;
	struct store *wst = NULL, *dst = NULL;
	struct store_err err;
	struct timeval tick = { HLXD_TICK_SEC, 0 };
	struct fdbudget fdb;
	enum fdbudget_result fdr;
	unsigned long fsoft, fhard;
	char fdline[512];
	char why[320];
	int ch, check_only = 0, foreground = 0, rc = EX_SOFTWARE;

	/* operations.md §1: programs run with umask 077. */
	umask(077);
	memset(&d, 0, sizeof(d));
	memset(&creds, 0, sizeof(creds));
	log_init("hlxd", 0, LOG_LEVEL_INFO);
	while ((ch = getopt(argc, argv, "c:fnh")) != -1) {
		switch (ch) {
		case 'c':
			d.conf_path = optarg;
			break;
		case 'f':
			foreground = 1;
			break;
		case 'n':
			check_only = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EX_USAGE;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return EX_USAGE;
	}
	if ((rc = setup_conf(d.conf_path, &d.conf)) != 0)
		return rc;
	/* Before anything is opened, and as root when started so (the
	 * limits stay with the process through the drop); -n only looks. */
	fdbudget_need(&d.conf, DELIVERY_TRANSFERS_MAX, &fdb);
	fdr = fdbudget_apply(&fdb, !check_only, &fsoft, &fhard, fdline,
	    sizeof(fdline));
	if (fdr == FDBUDGET_SHORT || fdr == FDBUDGET_FAILED) {
		fprintf(stderr, "hlxd: %s\n", fdline);
		conf_free(&d.conf);
		return fdr == FDBUDGET_SHORT ? EX_CONFIG : EX_OSERR;
	}
	if ((rc = privdrop_prepare(&pd, d.conf.user, why, sizeof(why))) != 0) {
		fprintf(stderr, "hlxd: %s\n", why);
		conf_free(&d.conf);
		return rc;
	}
	if ((rc = setup_check_files(&d.conf, 1)) != 0 || check_only) {
		/* -n as root drops too: the files are checked as the user
		 * the daemon will be, and the drop itself is tried. */
		if (rc == 0 && (rc = privdrop_drop(&pd, why, sizeof(why))) != 0)
			fprintf(stderr, "hlxd: %s\n", why);
		if (rc == 0)
			rc = check_dropped(&d, &pd, 1);
		if (rc == 0 && pd.pd_root)
			fprintf(stderr, "hlxd: warning: running as root without "
			    "[daemon] user: set it to an unprivileged user\n");
		if (rc == 0)
			printf("hlxd: configuration OK\n");
		conf_free(&d.conf);
		return rc;
	}
	rc = EX_SOFTWARE;
	if (!foreground && daemon(0, 0) == -1) {
		fprintf(stderr, "hlxd: cannot detach: %s\n", strerror(errno));
		goto out;
	}
	log_init("hlxd", !foreground, d.conf.log_level);
	signal(SIGPIPE, SIG_IGN);
	if (fdr == FDBUDGET_RAISED)
		log_info("event=nofile_raised soft=%lu hard=%lu need=%lu",
		    fsoft, fhard, fdb.fb_total);
	if (pd.pd_root)
		log_warnx("event=running_as_root reason=\"[daemon] user is not "
		    "set: hlxd keeps root while it parses partners' input; set "
		    "it to an unprivileged user\"");
	if (setup_schema(&d.schema) != 0)
		goto out;
	/* As root (when started so): the key, and the listeners. */
	if (evthread_use_pthreads() == -1 ||
	    (d.base = event_base_new()) == NULL) {
		log_warnx("event=start_failed reason=\"libevent\"");
		goto out;
	}
	if ((d.ctx = tls_server_ctx(&d.conf, why, sizeof(why))) == NULL) {
		log_warnx("event=start_failed reason=\"%s\"", why);
		rc = EX_CONFIG;
		goto out;
	}
	hooks.request = on_request;
	hooks.headers = on_headers;
	hooks.error_body = error_body;
	hooks.arg = &d;
	/* Nothing is accepted before event_base_dispatch(): d.peers is
	 * filled, and the pending hand-offs rewritten, by then. */
	if ((d.server = server_start(d.base, &d.conf, d.ctx,
	    (const struct peertab *const *)&d.peers, &hooks, why,
	    sizeof(why))) == NULL) {
		log_warnx("event=start_failed reason=\"%s\"", why);
		rc = EX_UNAVAILABLE;
		goto out;
	}
	if ((d.admin = admin_start(d.base, d.conf.admin.host,
	    d.conf.admin.port, healthz, &d, why, sizeof(why))) == NULL) {
		log_warnx("event=start_failed reason=\"admin: %s\"", why);
		rc = EX_UNAVAILABLE;
		goto out;
	}
	/* Our certificate and key for the partners' servers, read now: the
	 * key file may stay root's. */
	if (delivery_creds_load(&d.conf, &creds, why, sizeof(why)) == -1) {
		log_warnx("event=start_failed reason=\"%s\"", why);
		rc = EX_NOPERM;
		goto out;
	}
	/* The drop: from here on, no root; every file is made as the user. */
	if ((rc = privdrop_drop(&pd, why, sizeof(why))) != 0) {
		log_warnx("event=start_failed reason=\"%s\"", why);
		goto out;
	}
	if (pd.pd_drop)
		log_info("event=privileges_dropped user=%s uid=%lu gid=%lu",
		    pd.pd_user, (unsigned long)pd.pd_uid,
		    (unsigned long)pd.pd_gid);
	if ((rc = check_dropped(&d, &pd, 0)) != 0)
		goto out;
	rc = EX_SOFTWARE;
	if (store_open(&d.st, d.conf.store_path, d.conf.audit_key, "hlxd",
	    &err) == -1 || store_open(&wst, d.conf.store_path,
	    d.conf.audit_key, "hlxd", &err) == -1) {
		log_warnx("event=start_failed reason=\"%s\"", err.msg);
		rc = err.rc == STORE_PERM ? EX_NOPERM : err.rc == STORE_BUSY ?
		    EX_TEMPFAIL : EX_IOERR;
		goto out;
	}
	/* operations.md §4: every pending hand-off rewritten before a
	 * request is served. */
	if (mkdir(d.conf.handoff_dir, 0700) == -1 && errno != EEXIST) {
		log_warn("event=start_failed handoff_dir=%s",
		    d.conf.handoff_dir);
		rc = EX_CANTCREAT;
		goto out;
	}
	/* One that cannot be written is logged (and stays pending, retried
	 * with the next batch): it must not keep the gateway down. */
	if (writer_rewrite_pending(wst, &d.conf, why, sizeof(why)) == -1)
		log_warnx("event=handoff_pending reason=\"%s\"", why);
	if (reload_peers(&d, 1) == -1)
		goto out;
	check_disk(&d);
	if ((d.writer = writer_start(d.base, &d.conf, wst, on_done, &d, why,
	    sizeof(why))) == NULL) {
		log_warnx("event=start_failed reason=\"%s\"", why);
		goto out;
	}
	wst = NULL;
	if (store_open(&dst, d.conf.store_path, d.conf.audit_key, "hlxd",
	    &err) == -1) {
		log_warnx("event=start_failed reason=\"%s\"", err.msg);
		goto out;
	}
	if ((d.delivery = delivery_start(&d.conf, d.schema, dst, &creds, why,
	    sizeof(why))) == NULL) {
		log_warnx("event=start_failed reason=\"%s\"", why);
		goto out;
	}
	dst = NULL;
	d.tick = event_new(d.base, -1, EV_PERSIST, on_tick, &d);
	d.stop_timer = event_new(d.base, -1, EV_PERSIST, on_stop_timer, &d);
	d.sigterm = evsignal_new(d.base, SIGTERM, on_sigterm, &d);
	d.sigint = evsignal_new(d.base, SIGINT, on_sigterm, &d);
	d.sighup = evsignal_new(d.base, SIGHUP, on_sighup, &d);
	if (d.tick == NULL || d.stop_timer == NULL || d.sigterm == NULL ||
	    d.sigint == NULL || d.sighup == NULL ||
	    event_add(d.tick, &tick) == -1 || event_add(d.sigterm, NULL) == -1 ||
	    event_add(d.sigint, NULL) == -1 || event_add(d.sighup, NULL) == -1)
		goto out;
	log_info("event=listening address=%s:%d admin=%s:%d hotline=%s",
	    d.conf.listen.host, server_port(d.server), d.conf.admin.host,
	    admin_port(d.admin), d.conf.hotline_id);
	event_base_dispatch(d.base);
	log_info("event=stopped");
	rc = 0;
out:
	delivery_stop(d.delivery);
	writer_stop(d.writer);	/* answers what is left, closes its store */
	server_free(d.server);
	admin_stop(d.admin);
	if (d.tick != NULL)
		event_free(d.tick);
	if (d.stop_timer != NULL)
		event_free(d.stop_timer);
	if (d.sigterm != NULL)
		event_free(d.sigterm);
	if (d.sigint != NULL)
		event_free(d.sigint);
	if (d.sighup != NULL)
		event_free(d.sighup);
	peertab_free(d.peers);
	SSL_CTX_free(d.ctx);
	if (d.base != NULL)
		event_base_free(d.base);
	store_close(wst);
	store_close(dst);
	store_close(d.st);
	delivery_creds_free(&creds);
	message_schema_free(d.schema);
	conf_free(&d.conf);
	return rc;
}
