/*
 * test_metrics -- the exposition of metrics.h line by line (counts, labels,
 * escaping, the histogram, gauges, the series cap, concurrent counting),
 * then the admin listener of admin.h over a real loopback socket.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/thread.h>

#include "admin.h"
#include "hlx_limits.h"
#include "metrics.h"
#include "server.h"

/* Every family of operations.md §2 (and ours), in the order rendered. */
static const char *const families[] = {
	"hlx_handoffs_overdue gauge",
	"hlx_handoffs_pending gauge",
	"hlx_messages_received_total counter",
	"hlx_messages_sent_total counter",
	"hlx_metrics_series_folded_total counter",
	"hlx_outbox_messages gauge",
	"hlx_peer_cert_expiry_timestamp_seconds gauge",
	"hlx_peer_faults_total counter",
	"hlx_request_duration_seconds histogram",
};
#define NFAMILIES	(sizeof(families) / sizeof(families[0]))

static const char empty_histogram[] =
	"hlx_request_duration_seconds_bucket{le=\"0.001\"} 0\n"
	"hlx_request_duration_seconds_bucket{le=\"0.005\"} 0\n"
	"hlx_request_duration_seconds_bucket{le=\"0.01\"} 0\n"
	"hlx_request_duration_seconds_bucket{le=\"0.025\"} 0\n"
	"hlx_request_duration_seconds_bucket{le=\"0.05\"} 0\n"
	"hlx_request_duration_seconds_bucket{le=\"0.1\"} 0\n"
	"hlx_request_duration_seconds_bucket{le=\"0.25\"} 0\n"
	"hlx_request_duration_seconds_bucket{le=\"0.5\"} 0\n"
	"hlx_request_duration_seconds_bucket{le=\"1\"} 0\n"
	"hlx_request_duration_seconds_bucket{le=\"2.5\"} 0\n"
	"hlx_request_duration_seconds_bucket{le=\"5\"} 0\n"
	"hlx_request_duration_seconds_bucket{le=\"10\"} 0\n"
	"hlx_request_duration_seconds_bucket{le=\"+Inf\"} 0\n"
	"hlx_request_duration_seconds_sum 0\n"
	"hlx_request_duration_seconds_count 0\n";

static char *
render(void)
{
	size_t len;
	char *text = metrics_render(&len);

	assert_non_null(text);
	assert_int_equal(len, strlen(text));
	assert_true(len > 0 && text[len - 1] == '\n');
	return text;
}

/*
 * The sample lines of one family (those starting "name{" or "name "),
 * concatenated: what a test compares whole.  Caller frees.
 */
static char *
samples(const char *text, const char *name)
{
	size_t nlen = strlen(name), len = 0;
	const char *p, *eol;
	char *out;

	out = calloc(1, strlen(text) + 1);
	assert_non_null(out);
	for (p = text; *p != '\0'; p = eol + 1) {
		eol = strchr(p, '\n');
		assert_non_null(eol);
		if (strncmp(p, name, nlen) == 0 &&
		    (p[nlen] == '{' || p[nlen] == ' ')) {
			memcpy(out + len, p, (size_t)(eol - p) + 1);
			len += (size_t)(eol - p) + 1;
		}
	}
	return out;
}

static void
expect_samples(const char *name, const char *want)
{
	char *text = render(), *got = samples(text, name);

	if (strcmp(got, want) != 0)
		fail_msg("%s:\n--- want\n%s--- got\n%s", name, want, got);
	free(got);
	free(text);
}

static int
reset(void **state)
{
	(void)state;
	metrics_reset();
	return 0;
}

/* Before any sample: every family's HELP and TYPE, sorted; the unlabelled
 * counter and the histogram at 0; nothing else. */
static void
test_empty(void **state)
{
	char *text = render(), want[256];
	const char *p, *next, *expect;
	size_t i, nlen;

	(void)state;
	p = text;
	for (i = 0; i < NFAMILIES; i++) {
		nlen = strcspn(families[i], " ");
		snprintf(want, sizeof(want), "# HELP %.*s ", (int)nlen,
		    families[i]);
		if (strncmp(p, want, strlen(want)) != 0)
			fail_msg("want \"%s\" at \"%.60s\"", want, p);
		p = strchr(p, '\n') + 1;
		snprintf(want, sizeof(want), "# TYPE %s\n", families[i]);
		if (strncmp(p, want, strlen(want)) != 0)
			fail_msg("want \"%s\" at \"%.60s\"", want, p);
		p += strlen(want);
		/* the samples, up to the next family's HELP */
		if ((next = strstr(p, "# HELP ")) == NULL)
			next = p + strlen(p);
		if (strncmp(families[i], "hlx_metrics_series_folded_total",
		    nlen) == 0)
			expect = "hlx_metrics_series_folded_total 0\n";
		else if (strncmp(families[i], "hlx_request_duration_seconds",
		    nlen) == 0)
			expect = empty_histogram;
		else
			expect = "";
		if (strlen(expect) != (size_t)(next - p) ||
		    strncmp(p, expect, strlen(expect)) != 0)
			fail_msg("%s: want\n%s--- got\n%.*s", families[i],
			    expect, (int)(next - p), p);
		p = next;
	}
	assert_string_equal(p, "");
	free(text);
}

static void
test_counters(void **state)
{
	(void)state;
	metrics_received("hotline-nl.example", "Referral", "accepted");
	metrics_received("hotline-nl.example", "Referral", "accepted");
	metrics_received("hotline-de.example", "Referral", "accepted");
	metrics_received("hotline-nl.example", "StatusUpdate", "accepted");
	metrics_received("hotline-nl.example", "Referral", "INVALID_MESSAGE");
	metrics_sent("hotline-nl.example", "Referral", "delivered");
	metrics_sent("hotline-nl.example", "Referral", "retry");
	metrics_sent("hotline-nl.example", "Referral", "retry");
	metrics_fault("hotline-nl.example", "bad_signature");
	metrics_fault("hotline-de.example", "timeout");
	metrics_fault(NULL, "unknown_peer");

	expect_samples("hlx_messages_received_total",
	    "hlx_messages_received_total{peer=\"hotline-de.example\","
	    "type=\"Referral\",result=\"accepted\"} 1\n"
	    "hlx_messages_received_total{peer=\"hotline-nl.example\","
	    "type=\"Referral\",result=\"INVALID_MESSAGE\"} 1\n"
	    "hlx_messages_received_total{peer=\"hotline-nl.example\","
	    "type=\"Referral\",result=\"accepted\"} 2\n"
	    "hlx_messages_received_total{peer=\"hotline-nl.example\","
	    "type=\"StatusUpdate\",result=\"accepted\"} 1\n");
	expect_samples("hlx_messages_sent_total",
	    "hlx_messages_sent_total{peer=\"hotline-nl.example\","
	    "type=\"Referral\",result=\"delivered\"} 1\n"
	    "hlx_messages_sent_total{peer=\"hotline-nl.example\","
	    "type=\"Referral\",result=\"retry\"} 2\n");
	expect_samples("hlx_peer_faults_total",
	    "hlx_peer_faults_total{peer=\"\",kind=\"unknown_peer\"} 1\n"
	    "hlx_peer_faults_total{peer=\"hotline-de.example\","
	    "kind=\"timeout\"} 1\n"
	    "hlx_peer_faults_total{peer=\"hotline-nl.example\","
	    "kind=\"bad_signature\"} 1\n");
	expect_samples("hlx_metrics_series_folded_total",
	    "hlx_metrics_series_folded_total 0\n");
}

/* A value cannot add a line, a label or a sample. */
static void
test_escape(void **state)
{
	char *text;

	(void)state;
	metrics_received("a\"b\\c\nd", "Referral", "x\" } 1\nfake 2");
	expect_samples("hlx_messages_received_total",
	    "hlx_messages_received_total{peer=\"a\\\"b\\\\c\\nd\","
	    "type=\"Referral\",result=\"x\\\" } 1\\nfake 2\"} 1\n");
	text = render();
	assert_null(strstr(text, "\nd\""));
	assert_null(strstr(text, "\nfake"));
	free(text);
}

static void
test_histogram(void **state)
{
	(void)state;
	/* Binary fractions, so that _sum is exact. */
	metrics_request_duration(0.0009765625);	/* 2^-10: le 0.001 */
	metrics_request_duration(0.5);		/* on a bound: inclusive */
	metrics_request_duration(0.00390625);	/* le 0.005 */
	metrics_request_duration(0.25);		/* on a bound */
	metrics_request_duration(7);		/* le 10 */
	metrics_request_duration(100);		/* +Inf only */
	metrics_request_duration(-1);		/* counts as 0 */
	metrics_request_duration(NAN);		/* counts as 0 */
	metrics_request_duration(INFINITY);	/* counts as 0 */
	expect_samples("hlx_request_duration_seconds_bucket",
	    "hlx_request_duration_seconds_bucket{le=\"0.001\"} 4\n"
	    "hlx_request_duration_seconds_bucket{le=\"0.005\"} 5\n"
	    "hlx_request_duration_seconds_bucket{le=\"0.01\"} 5\n"
	    "hlx_request_duration_seconds_bucket{le=\"0.025\"} 5\n"
	    "hlx_request_duration_seconds_bucket{le=\"0.05\"} 5\n"
	    "hlx_request_duration_seconds_bucket{le=\"0.1\"} 5\n"
	    "hlx_request_duration_seconds_bucket{le=\"0.25\"} 6\n"
	    "hlx_request_duration_seconds_bucket{le=\"0.5\"} 7\n"
	    "hlx_request_duration_seconds_bucket{le=\"1\"} 7\n"
	    "hlx_request_duration_seconds_bucket{le=\"2.5\"} 7\n"
	    "hlx_request_duration_seconds_bucket{le=\"5\"} 7\n"
	    "hlx_request_duration_seconds_bucket{le=\"10\"} 8\n"
	    "hlx_request_duration_seconds_bucket{le=\"+Inf\"} 9\n");
	/* 2^-10 + 0.5 + 2^-8 + 0.25 + 7 + 100, exact in binary. */
	expect_samples("hlx_request_duration_seconds_sum",
	    "hlx_request_duration_seconds_sum 107.7548828125\n");
	expect_samples("hlx_request_duration_seconds_count",
	    "hlx_request_duration_seconds_count 9\n");
}

static void
test_gauges(void **state)
{
	(void)state;
	/* Unlabelled: no sample until computed. */
	expect_samples("hlx_handoffs_overdue", "");
	assert_int_equal(metrics_gauge_set("hlx_handoffs_overdue", NULL,
	    NULL, NULL, NULL, 4), 0);
	assert_int_equal(metrics_gauge_set("hlx_outbox_messages", "peer",
	    "hotline-nl.example", "state", "queued", 3), 0);
	assert_int_equal(metrics_gauge_set("hlx_outbox_messages", "peer",
	    "hotline-nl.example", "state", "dead", 1), 0);
	assert_int_equal(metrics_gauge_set("hlx_outbox_messages", "peer",
	    "hotline-de.example", "state", "retrying", 0.5), 0);
	assert_int_equal(metrics_gauge_set("hlx_outbox_messages", "peer",
	    "hotline-nl.example", "state", "queued", 5), 0);  /* replaces */
	assert_int_equal(metrics_gauge_set(
	    "hlx_peer_cert_expiry_timestamp_seconds", "peer",
	    "hotline-nl.example", NULL, NULL, 1798761600), 0);
	expect_samples("hlx_handoffs_overdue", "hlx_handoffs_overdue 4\n");
	expect_samples("hlx_outbox_messages",
	    "hlx_outbox_messages{peer=\"hotline-de.example\","
	    "state=\"retrying\"} 0.5\n"
	    "hlx_outbox_messages{peer=\"hotline-nl.example\","
	    "state=\"dead\"} 1\n"
	    "hlx_outbox_messages{peer=\"hotline-nl.example\","
	    "state=\"queued\"} 5\n");
	expect_samples("hlx_peer_cert_expiry_timestamp_seconds",
	    "hlx_peer_cert_expiry_timestamp_seconds"
	    "{peer=\"hotline-nl.example\"} 1798761600\n");

	/* A reset forgets one family only; set again, only the new. */
	assert_int_equal(metrics_gauge_reset("hlx_outbox_messages"), 0);
	expect_samples("hlx_outbox_messages", "");
	expect_samples("hlx_handoffs_overdue", "hlx_handoffs_overdue 4\n");
	assert_int_equal(metrics_gauge_set("hlx_outbox_messages", "peer",
	    "hotline-de.example", "state", "queued", 2), 0);
	expect_samples("hlx_outbox_messages",
	    "hlx_outbox_messages{peer=\"hotline-de.example\","
	    "state=\"queued\"} 2\n");
	assert_int_equal(metrics_gauge_reset("hlx_handoffs_overdue"), 0);
	expect_samples("hlx_handoffs_overdue", "");
	assert_int_equal(metrics_gauge_set("hlx_handoffs_overdue", NULL,
	    NULL, NULL, NULL, 0), 0);
	expect_samples("hlx_handoffs_overdue", "hlx_handoffs_overdue 0\n");

	/* Misuse changes nothing. */
	assert_int_equal(metrics_gauge_reset("hlx_messages_sent_total"), -1);
	assert_int_equal(metrics_gauge_reset("nope"), -1);
	assert_int_equal(metrics_gauge_reset(NULL), -1);
	assert_int_equal(metrics_gauge_set("hlx_messages_sent_total", "peer",
	    "a", NULL, NULL, 1), -1);
	assert_int_equal(metrics_gauge_set("hlx_outbox_messages", "state",
	    "queued", "peer", "a", 1), -1);
	assert_int_equal(metrics_gauge_set("hlx_outbox_messages", "peer",
	    "a", NULL, NULL, 1), -1);
	assert_int_equal(metrics_gauge_set("hlx_handoffs_overdue", "peer",
	    "a", NULL, NULL, 1), -1);
	assert_int_equal(metrics_gauge_set(
	    "hlx_peer_cert_expiry_timestamp_seconds", "peer", "a", "state",
	    "b", 1), -1);
	expect_samples("hlx_outbox_messages",
	    "hlx_outbox_messages{peer=\"hotline-de.example\","
	    "state=\"queued\"} 2\n");
	expect_samples("hlx_metrics_series_folded_total",
	    "hlx_metrics_series_folded_total 0\n");
}

static size_t
count_lines(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		n += *s == '\n';
	return n;
}

/* Past METRICS_SERIES_MAX (or METRICS_LABEL_MAX) new label sets fold into
 * "other" and are counted; existing series go on counting. */
static void
test_cap(void **state)
{
	char peer[32], longv[METRICS_LABEL_MAX + 2], *text, *got;
	const char *want;
	size_t i;

	(void)state;
	for (i = 0; i < METRICS_SERIES_MAX; i++) {
		snprintf(peer, sizeof(peer), "p%05zu", i);
		metrics_received(peer, "Referral", "accepted");
		metrics_gauge_set("hlx_peer_cert_expiry_timestamp_seconds",
		    "peer", peer, NULL, NULL, 1e9 + (double)i);
		metrics_gauge_set("hlx_outbox_messages", "peer", peer,
		    "state", "queued", 1);
	}
	expect_samples("hlx_metrics_series_folded_total",
	    "hlx_metrics_series_folded_total 0\n");
	metrics_received("q1", "Referral", "accepted");
	metrics_received("q2", "Referral", "accepted");
	metrics_received("q1", "Referral", "accepted");
	metrics_received("p00000", "Referral", "accepted");	/* exists */
	/* folded gauges: the earliest expiry, the sum of the outbox */
	metrics_gauge_set("hlx_peer_cert_expiry_timestamp_seconds", "peer",
	    "q1", NULL, NULL, 2e9);
	metrics_gauge_set("hlx_peer_cert_expiry_timestamp_seconds", "peer",
	    "q2", NULL, NULL, 1e8);
	metrics_gauge_set("hlx_peer_cert_expiry_timestamp_seconds", "peer",
	    "q3", NULL, NULL, 3e9);
	metrics_gauge_set("hlx_outbox_messages", "peer", "q1", "state",
	    "queued", 2);
	metrics_gauge_set("hlx_outbox_messages", "peer", "q2", "state",
	    "dead", 5);

	/* a value one byte too long folds; one at the limit is kept */
	memset(longv, 'x', sizeof(longv));
	longv[METRICS_LABEL_MAX + 1] = '\0';
	metrics_fault(longv, "timeout");
	longv[METRICS_LABEL_MAX] = '\0';
	metrics_fault(longv, "timeout");

	text = render();
	got = samples(text, "hlx_messages_received_total");
	assert_int_equal(count_lines(got), METRICS_SERIES_MAX + 1);
	/* "other" sorts before "p00000" */
	want = "hlx_messages_received_total{peer=\"other\",type=\"other\","
	    "result=\"other\"} 3\n"
	    "hlx_messages_received_total{peer=\"p00000\",type=\"Referral\","
	    "result=\"accepted\"} 2\n";
	assert_int_equal(strncmp(got, want, strlen(want)), 0);
	assert_non_null(strstr(got, "\nhlx_messages_received_total{"
	    "peer=\"p04095\",type=\"Referral\",result=\"accepted\"} 1\n"));
	assert_null(strstr(got, "q1"));
	free(got);
	assert_non_null(strstr(text, "\nhlx_peer_cert_expiry_timestamp_seconds"
	    "{peer=\"other\"} 100000000\n"));
	assert_non_null(strstr(text, "\nhlx_outbox_messages{peer=\"other\","
	    "state=\"other\"} 7\n"));
	free(text);
	expect_samples("hlx_metrics_series_folded_total",
	    "hlx_metrics_series_folded_total 9\n");
	text = render();
	got = samples(text, "hlx_peer_faults_total");
	want = "hlx_peer_faults_total{peer=\"other\",kind=\"other\"} 1\n";
	assert_int_equal(strncmp(got, want, strlen(want)), 0);
	assert_int_equal(count_lines(got), 2);
	assert_string_equal(got + strlen(want) + strlen(
	    "hlx_peer_faults_total{peer=\"") + METRICS_LABEL_MAX,
	    "\",kind=\"timeout\"} 1\n");
	free(got);
	free(text);
}

#define THREADS		4
#define PER_THREAD	100000

static void *
hammer(void *arg)
{
	size_t i;

	(void)arg;
	for (i = 0; i < PER_THREAD; i++) {
		metrics_received("hotline-nl.example", "Referral", "accepted");
		if (i % 1000 == 0)
			metrics_request_duration(0.002);
	}
	return NULL;
}

static void
test_threads(void **state)
{
	pthread_t t[THREADS];
	char *text;
	size_t i;

	(void)state;
	for (i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, hammer, NULL), 0);
	for (i = 0; i < 20; i++) {		/* scrapes while counting */
		text = render();
		free(text);
	}
	for (i = 0; i < THREADS; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	expect_samples("hlx_messages_received_total",
	    "hlx_messages_received_total{peer=\"hotline-nl.example\","
	    "type=\"Referral\",result=\"accepted\"} 400000\n");
	expect_samples("hlx_request_duration_seconds_count",
	    "hlx_request_duration_seconds_count 400\n");
}

/* --- the admin listener ------------------------------------------------ */

static atomic_int healthy = 1;

static int
healthz(void *arg, char *why, size_t whysz)
{
	/* runs on the loop thread: no cmocka assertion here */
	if (arg != &healthy) {
		snprintf(why, whysz, "wrong arg");
		return -1;
	}
	if (atomic_load(&healthy))
		return 0;
	snprintf(why, whysz, "disk below min_free\n(x)");
	return -1;
}

struct loop {
	struct event_base	*base;
	struct admin		*admin;
	pthread_t		 thread;
	int			 port;
};

static void *
run_loop(void *arg)
{
	struct loop *l = arg;

	event_base_dispatch(l->base);
	return NULL;
}

struct answer {
	int	 code;
	char	 head[4096];
	char	*body;
	char	 buf[65536];
};

/* One request on a fresh connection; the whole answer until EOF. */
static void
request(int port, const char *req, struct answer *ans)
{
	struct sockaddr_in sin;
	struct timeval tv = { 5, 0 };
	size_t len = 0, reqlen = strlen(req);
	ssize_t n;
	char *end;
	int fd;

	memset(ans, 0, sizeof(*ans));
	assert_true((fd = socket(AF_INET, SOCK_STREAM, 0)) != -1);
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv,
	    sizeof(tv)), 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&sin, sizeof(sin)),
	    0);
	assert_int_equal(write(fd, req, reqlen), (ssize_t)reqlen);
	while (len < sizeof(ans->buf) - 1 &&
	    (n = read(fd, ans->buf + len, sizeof(ans->buf) - 1 - len)) > 0)
		len += (size_t)n;
	close(fd);
	ans->buf[len] = '\0';
	assert_true(len < sizeof(ans->buf) - 1);
	assert_int_equal(strncmp(ans->buf, "HTTP/1.1 ", 9), 0);
	ans->code = (int)strtol(ans->buf + 9, NULL, 10);
	assert_non_null(end = strstr(ans->buf, "\r\n\r\n"));
	assert_true((size_t)(end - ans->buf) + 3 < sizeof(ans->head));
	memcpy(ans->head, ans->buf, (size_t)(end - ans->buf) + 2);
	ans->body = end + 4;
}

static void
get(int port, const char *method, const char *path, struct answer *ans)
{
	char req[256];

	snprintf(req, sizeof(req), "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
	    "%sConnection: close\r\n\r\n", method, path,
	    strcmp(method, "GET") == 0 ? "" : "Content-Length: 0\r\n");
	request(port, req, ans);
}

static int
connect_to(int port)
{
	struct sockaddr_in sin;
	struct timeval tv = { 5, 0 };
	int fd;

	assert_true((fd = socket(AF_INET, SOCK_STREAM, 0)) != -1);
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv,
	    sizeof(tv)), 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&sin, sizeof(sin)),
	    0);
	return fd;
}

static void
admin_cap(int port)
{
	static const char req[] = "GET /healthz HTTP/1.1\r\nHost: x\r\n"
	    "Connection: close\r\n\r\n";
	int fds[HLX_ADMIN_CONNECTIONS_MAX], fd;
	struct answer *ans;
	char buf[256];
	size_t i;
	ssize_t n;

	assert_non_null(ans = malloc(sizeof(*ans)));
	for (i = 0; i < HLX_ADMIN_CONNECTIONS_MAX; i++)
		fds[i] = connect_to(port);
	/* all of them accepted before the one too many */
	usleep(200000);
	fd = connect_to(port);
	n = write(fd, req, sizeof(req) - 1);
	(void)n;
	n = read(fd, buf, sizeof(buf));
	if (n > 0)
		fail_msg("connection %d over the cap was answered: %.*s",
		    HLX_ADMIN_CONNECTIONS_MAX + 1, (int)n, buf);
	close(fd);
	/* one held connection is still served */
	assert_int_equal(write(fds[0], req, sizeof(req) - 1),
	    (ssize_t)sizeof(req) - 1);
	n = read(fds[0], buf, sizeof(buf) - 1);
	assert_true(n > 12);
	assert_int_equal(strncmp(buf, "HTTP/1.1 200 ", 13), 0);
	for (i = 0; i < HLX_ADMIN_CONNECTIONS_MAX; i++)
		close(fds[i]);
	usleep(200000);
	get(port, "GET", "/healthz", ans);
	assert_int_equal(ans->code, 200);
	free(ans);
}

static void
test_admin(void **state)
{
	struct answer *ans;
	struct loop l;
	struct admin *a2;
	char err[256], *big, line[128];
	size_t i;

	(void)state;
	assert_non_null(ans = malloc(sizeof(*ans)));
	assert_int_equal(evthread_use_pthreads(), 0);
	assert_non_null(l.base = event_base_new());
	l.admin = admin_start(l.base, "127.0.0.1", 0, healthz, &healthy, err,
	    sizeof(err));
	if (l.admin == NULL)
		fail_msg("admin_start: %s", err);
	l.port = admin_port(l.admin);
	assert_true(l.port > 0 && l.port <= 65535);

	/* the port is taken now; a bad port is refused */
	a2 = admin_start(l.base, "127.0.0.1", l.port, healthz, &healthy, err,
	    sizeof(err));
	assert_null(a2);
	assert_non_null(strstr(err, "cannot listen"));
	assert_null(admin_start(l.base, "127.0.0.1", 65536, NULL, NULL, err,
	    sizeof(err)));
	assert_null(admin_start(l.base, "127.0.0.1", -1, NULL, NULL, err,
	    sizeof(err)));

	assert_int_equal(pthread_create(&l.thread, NULL, run_loop, &l), 0);

	get(l.port, "GET", "/healthz", ans);
	assert_int_equal(ans->code, 200);
	assert_string_equal(ans->body, "ok\n");
	assert_non_null(strstr(ans->head, "\r\nContent-Type: text/plain"));

	atomic_store(&healthy, 0);
	get(l.port, "GET", "/healthz", ans);
	assert_int_equal(ans->code, 503);
	assert_string_equal(ans->body,
	    "unavailable: disk below min_free?(x)\n");
	atomic_store(&healthy, 1);

	metrics_received("hotline-nl.example", "Referral", "accepted");
	get(l.port, "GET", "/metrics?x=1", ans);
	assert_int_equal(ans->code, 200);
	assert_non_null(strstr(ans->head,
	    "\r\nContent-Type: text/plain; version=0.0.4\r\n"));
	for (i = 0; i < NFAMILIES; i++) {
		snprintf(line, sizeof(line), "\n# TYPE %s\n", families[i]);
		if (strstr(ans->body - 1, line) == NULL)
			fail_msg("no \"%s\" in /metrics", families[i]);
	}
	assert_non_null(strstr(ans->body, "\nhlx_messages_received_total{"
	    "peer=\"hotline-nl.example\",type=\"Referral\","
	    "result=\"accepted\"} 1\n"));

	get(l.port, "POST", "/metrics", ans);
	assert_int_equal(ans->code, 405);
	assert_non_null(strstr(ans->head, "\r\nAllow: GET\r\n"));
	get(l.port, "DELETE", "/healthz", ans);
	assert_int_equal(ans->code, 405);
	assert_non_null(strstr(ans->head, "\r\nAllow: GET\r\n"));

	get(l.port, "GET", "/nope", ans);
	assert_int_equal(ans->code, 404);
	get(l.port, "GET", "/metrics/", ans);
	assert_int_equal(ans->code, 404);

	/* no bodies */
	request(l.port, "POST /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n"
	    "Content-Length: 5\r\nConnection: close\r\n\r\nhello", ans);
	assert_int_equal(ans->code, 413);

	/* headers past SERVER_HEADERS_MAX: server.c's 431, as a partner's */
	assert_non_null(big = malloc(SERVER_HEADERS_MAX + 1024));
	i = (size_t)snprintf(big, 64, "GET /healthz HTTP/1.1\r\n"
	    "Host: 127.0.0.1\r\nX-Pad: ");
	memset(big + i, 'a', SERVER_HEADERS_MAX);
	memcpy(big + i + SERVER_HEADERS_MAX, "\r\nConnection: close\r\n\r\n",
	    24);
	request(l.port, big, ans);
	assert_int_equal(ans->code, 431);
	assert_non_null(strstr(ans->head, "\r\nContent-Type: text/plain"));
	free(big);

	/* the answers' own headers, as before the change of transport */
	get(l.port, "GET", "/healthz", ans);
	assert_non_null(strstr(ans->head, "HTTP/1.1 200 OK\r\n"));
	assert_non_null(strstr(ans->head,
	    "\r\nContent-Type: text/plain; charset=utf-8\r\n"));
	assert_non_null(strstr(ans->head, "\r\nContent-Length: 3\r\n"));
	assert_non_null(strstr(ans->head, "\r\nCache-Control: no-store\r\n"));
	assert_non_null(strstr(ans->head,
	    "\r\nX-Content-Type-Options: nosniff\r\n"));
	assert_non_null(strstr(ans->head, " GMT\r\n"));
	assert_non_null(strstr(ans->head, "\r\nDate: "));

	/* HLX_ADMIN_CONNECTIONS_MAX idle connections: the next is closed
	 * unanswered; once one goes, the listener serves again */
	admin_cap(l.port);

	/* still serving */
	get(l.port, "GET", "/healthz", ans);
	assert_int_equal(ans->code, 200);

	assert_int_equal(event_base_loopbreak(l.base), 0);
	assert_int_equal(pthread_join(l.thread, NULL), 0);
	admin_stop(l.admin);
	admin_stop(NULL);
	event_base_free(l.base);
	free(ans);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_empty, reset, reset),
		cmocka_unit_test_setup_teardown(test_counters, reset, reset),
		cmocka_unit_test_setup_teardown(test_escape, reset, reset),
		cmocka_unit_test_setup_teardown(test_histogram, reset, reset),
		cmocka_unit_test_setup_teardown(test_gauges, reset, reset),
		cmocka_unit_test_setup_teardown(test_cap, reset, reset),
		cmocka_unit_test_setup_teardown(test_threads, reset, reset),
		cmocka_unit_test_setup_teardown(test_admin, reset, reset),
	};
	int rc;

	rc = cmocka_run_group_tests(tests, NULL, NULL);
	libevent_global_shutdown();
	return rc;
}
