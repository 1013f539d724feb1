/*
 * hlxbench.c -- the project's own load generator for `make bench`.
 *
 * Sends HLX/1 Referrals over mutual TLS (OpenSSL directly, non-blocking,
 * one epoll loop per thread) to an hlxd -- or to anything else that
 * answers POST /hlx/1/messages, such as the nginx ceiling of bench/run.sh
 * -- and reports messages/s and latency percentiles.  wrk and h2load
 * cannot present a client certificate; this can.
 *
 *   hlxbench -p PORT -C CERT -K KEY -A CA -T TEMPLATE.xml [options]
 *     -H ADDR     server address (default 127.0.0.1; loopback only)
 *     -c N        concurrent connections (default 16)
 *     -j N        threads, each an epoll loop over its share (default 1)
 *     -n N        stop after N messages (default 100000)
 *     -d SECS     stop after SECS seconds (default 60), whichever is first
 *     -N          a new TLS connection per message (full handshake, no
 *                 resumption; "Connection: close"); default keep-alive
 *     -P PREFIX   case-number prefix (default BENCH-), + a sequence number
 *     -e receipt  every answer must be 202 + a Receipt, Status accepted,
 *                 InReplyTo = the message's id (default)
 *     -e status   every answer must be 202 (the static nginx ceiling)
 *     -o FILE     write each MessageId answered 202 to FILE, one a line
 *
 * The template is a Referral as `hlx translate` prints it; for each
 * message its MessageId (a fresh UUID: 80 random bits per run plus a
 * 48-bit sequence number), SentAt (now) and CaseRef text (PREFIX + the
 * sequence number) are replaced, so every message is valid and unique.
 *
 * Latency is measured from the first byte of the request (in -N mode:
 * from the TCP connect, so it includes the handshake) to the last byte of
 * the answer.  Output: one line of key=value pairs on stdout; the first
 * few errors on stderr.  An answer still missing 30 s after the deadline
 * counts as failed.  Exit 0 when every answer was as expected, 1 when
 * any was not, 64 usage, 70 internal.
 *
 * SECURITY: a benchmark client for loopback only: it refuses a non-loopback
 * address; it verifies the server's certificate against the CA given and
 * the address.  The answers it reads are bounded (RESP_MAX).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#define CONNS_MAX	1024
#define THREADS_MAX	16
#define TEMPLATE_MAX	(64 * 1024)
#define REQ_MAX		(TEMPLATE_MAX + 1024)
#define RESP_MAX	(16 * 1024)
#define PREFIX_MAX	40
#define ERRORS_SHOWN	5
#define GRACE_SECS	30	/* after the deadline, answers still awaited */

enum expect { EXPECT_RECEIPT, EXPECT_STATUS };

enum cstate {
	CS_CONNECT,	/* TCP connect in progress */
	CS_HANDSHAKE,	/* TLS handshake */
	CS_WRITE,	/* writing the request */
	CS_READ,	/* reading the answer */
	CS_DONE,	/* no more work */
};

struct opts {
	const char	*addr;
	unsigned	 port;
	const char	*cert, *key, *ca, *tmpl_path, *ids_path;
	const char	*prefix;
	unsigned	 conns, threads;
	uint64_t	 max_msgs;
	double		 secs;
	int		 newconn;
	enum expect	 expect;
};

/* The template split around the three fields that change. */
struct tmpl {
	const char	*seg[4];
	size_t		 seglen[4];
};

struct conn {
	struct worker	*w;
	int		 fd;
	SSL		*ssl;
	enum cstate	 st;
	int		 want;		/* EPOLLIN or EPOLLOUT registered */
	char		 req[REQ_MAX];
	size_t		 reqlen, reqoff;
	char		 resp[RESP_MAX + 1];
	size_t		 resplen;
	char		 mid[40];
	double		 t0;
};

struct worker {
	pthread_t	 thread;
	int		 ep;
	struct conn	*conns;
	unsigned	 nconns, active;
	double		*lat;		/* seconds, answers as expected */
	size_t		 nlat, latcap;
	uint64_t	 ok, failed, handshakes;
	uint64_t	 err_connect, err_tls, err_status, err_body, err_eof;
	uint64_t	 err_timeout;
	FILE		*ids;
	char		 sentat[32];
	time_t		 sentat_sec;
	size_t		 body_min, body_max;
};

static struct opts	 o;
static struct tmpl	 T;
static SSL_CTX		*ctx;
static struct sockaddr_in sa;
static uint8_t		 runid[10];
static atomic_uint_fast64_t next_seq;
static atomic_int	 errors_shown;
static double		 t_start, t_deadline;
static pthread_mutex_t	 ids_mu = PTHREAD_MUTEX_INITIALIZER;

static double
now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* memmem(3) is a GNU extension; the project builds with _DEFAULT_SOURCE. */
static const char *
find(const char *hay, size_t hlen, const char *needle, size_t nlen)
{
	size_t i;

	if (nlen == 0 || nlen > hlen)
		return nlen == 0 ? hay : NULL;
	for (i = 0; i + nlen <= hlen; i++)
		if (hay[i] == needle[0] && memcmp(hay + i, needle, nlen) == 0)
			return hay + i;
	return NULL;
}

static void
show_error(const char *what, const struct conn *c)
{
	char ssl_err[256] = "";
	unsigned long e;

	if (atomic_fetch_add(&errors_shown, 1) >= ERRORS_SHOWN)
		return;
	if ((e = ERR_peek_last_error()) != 0)
		ERR_error_string_n(e, ssl_err, sizeof(ssl_err));
	fprintf(stderr, "hlxbench: %s (message %s)%s%s\n", what, c->mid,
	    ssl_err[0] != '\0' ? ": " : "", ssl_err);
	if (c->resplen > 0 && strcmp(what, "connection closed early") != 0)
		fprintf(stderr, "hlxbench:   answer begins: %.200s\n", c->resp);
}

static int
usage(void)
{
	fprintf(stderr, "usage: hlxbench -p PORT -C CERT -K KEY -A CA -T "
	    "TEMPLATE [-H ADDR] [-c CONNS] [-j THREADS]\n"
	    "                [-n MSGS] [-d SECS] [-N] [-P PREFIX] "
	    "[-e receipt|status] [-o IDS]\n");
	return 64;
}

static int
parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || s[0] == '-' ||
	    v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* Finds open...close after from; the text between them is a field. */
static int
find_field(const char *buf, size_t len, size_t from, const char *open,
    const char *close, size_t *fstart, size_t *fend)
{
	const char *p, *q, *end = buf + len;

	if ((p = find(buf + from, len - from, open, strlen(open))) == NULL)
		return -1;
	if ((p = memchr(p, '>', (size_t)(end - p))) == NULL)
		return -1;
	p++;
	if ((q = find(p, (size_t)(end - p), close, strlen(close))) == NULL)
		return -1;
	*fstart = (size_t)(p - buf);
	*fend = (size_t)(q - buf);
	return 0;
}

static int
load_template(const char *path)
{
	static char buf[TEMPLATE_MAX + 1];
	size_t len, s[3], e[3];
	FILE *f;

	if ((f = fopen(path, "r")) == NULL) {
		fprintf(stderr, "hlxbench: %s: %s\n", path, strerror(errno));
		return -1;
	}
	len = fread(buf, 1, TEMPLATE_MAX + 1, f);
	fclose(f);
	if (len == 0 || len > TEMPLATE_MAX) {
		fprintf(stderr, "hlxbench: %s: empty or over %d bytes\n", path,
		    TEMPLATE_MAX);
		return -1;
	}
	if (find_field(buf, len, 0, "<MessageId", "</MessageId>", &s[0],
	    &e[0]) == -1 ||
	    find_field(buf, len, e[0], "<SentAt", "</SentAt>", &s[1],
	    &e[1]) == -1 ||
	    find_field(buf, len, e[1], "<CaseRef ", "</CaseRef>", &s[2],
	    &e[2]) == -1) {
		fprintf(stderr, "hlxbench: %s: no MessageId, SentAt and "
		    "CaseRef in that order: not a Referral from `hlx "
		    "translate`\n", path);
		return -1;
	}
	T.seg[0] = buf;
	T.seglen[0] = s[0];
	T.seg[1] = buf + e[0];
	T.seglen[1] = s[1] - e[0];
	T.seg[2] = buf + e[1];
	T.seglen[2] = s[2] - e[1];
	T.seg[3] = buf + e[2];
	T.seglen[3] = len - e[2];
	return 0;
}

static int
check_prefix(const char *p)
{
	size_t i, n = strlen(p);

	if (n == 0 || n > PREFIX_MAX)
		return -1;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)p[i]) && strchr("._:-", p[i]) ==
		    NULL)
			return -1;
	return 0;
}

/* The next request into c->req: fresh MessageId, SentAt, case number. */
static int
make_request(struct worker *w, struct conn *c, uint64_t seq)
{
	char caseno[PREFIX_MAX + 24], hdr[512], *p;
	size_t bodylen, hl, cl;
	time_t now = time(NULL);
	struct tm tm;
	int n;

	if (now != w->sentat_sec) {
		gmtime_r(&now, &tm);
		if (strftime(w->sentat, sizeof(w->sentat),
		    "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
			return -1;
		w->sentat_sec = now;
	}
	n = snprintf(c->mid, sizeof(c->mid),
	    "%02x%02x%02x%02x-%02x%02x-4%01x%02x-%02x%02x-%012llx",
	    runid[0], runid[1], runid[2], runid[3], runid[4], runid[5],
	    runid[6] & 0x0f, runid[7], 0x80 | (runid[8] & 0x3f), runid[9],
	    (unsigned long long)(seq & 0xffffffffffffULL));
	if (n < 0 || (size_t)n >= sizeof(c->mid))
		return -1;
	n = snprintf(caseno, sizeof(caseno), "%s%llu", o.prefix,
	    (unsigned long long)seq);
	if (n < 0 || (size_t)n >= sizeof(caseno))
		return -1;
	cl = strlen(caseno);
	bodylen = T.seglen[0] + strlen(c->mid) + T.seglen[1] +
	    strlen(w->sentat) + T.seglen[2] + cl + T.seglen[3];
	n = snprintf(hdr, sizeof(hdr), "POST /hlx/1/messages HTTP/1.1\r\n"
	    "Host: %s:%u\r\nContent-Type: application/xml\r\n"
	    "Content-Length: %zu\r\n%s\r\n", o.addr, o.port, bodylen,
	    o.newconn ? "Connection: close\r\n" : "");
	if (n < 0 || (size_t)n >= sizeof(hdr))
		return -1;
	hl = (size_t)n;
	if (hl + bodylen > sizeof(c->req))
		return -1;
	p = c->req;
	memcpy(p, hdr, hl);
	p += hl;
#define PUT(s, l) do { memcpy(p, (s), (l)); p += (l); } while (0)
	PUT(T.seg[0], T.seglen[0]);
	PUT(c->mid, strlen(c->mid));
	PUT(T.seg[1], T.seglen[1]);
	PUT(w->sentat, strlen(w->sentat));
	PUT(T.seg[2], T.seglen[2]);
	PUT(caseno, cl);
	PUT(T.seg[3], T.seglen[3]);
#undef PUT
	c->reqlen = (size_t)(p - c->req);
	if (w->body_min == 0 || bodylen < w->body_min)
		w->body_min = bodylen;
	if (bodylen > w->body_max)
		w->body_max = bodylen;
	c->reqoff = 0;
	c->resplen = 0;
	return 0;
}

static void
set_want(struct conn *c, int want)
{
	struct epoll_event ev;

	if (c->want == want)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.events = (uint32_t)want;
	ev.data.ptr = c;
	if (epoll_ctl(c->w->ep, c->want == 0 ? EPOLL_CTL_ADD : EPOLL_CTL_MOD,
	    c->fd, &ev) == -1) {
		perror("hlxbench: epoll_ctl");
		exit(70);
	}
	c->want = want;
}

static void
conn_close(struct conn *c)
{
	if (c->ssl != NULL) {
		/* A one-shot client says goodbye; it does not wait. */
		if (c->st != CS_CONNECT && c->st != CS_HANDSHAKE)
			(void)SSL_shutdown(c->ssl);
		SSL_free(c->ssl);
		c->ssl = NULL;
	}
	if (c->fd != -1) {
		if (c->want != 0)
			(void)epoll_ctl(c->w->ep, EPOLL_CTL_DEL, c->fd, NULL);
		close(c->fd);
		c->fd = -1;
	}
	c->want = 0;
}

static int
conn_open(struct conn *c)
{
	int one = 1;

	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (c->fd == -1)
		return -1;
	(void)setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if ((c->ssl = SSL_new(ctx)) == NULL || SSL_set_fd(c->ssl, c->fd) != 1)
		return -1;
	SSL_set_connect_state(c->ssl);
	c->st = CS_CONNECT;
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) == -1 &&
	    errno != EINPROGRESS)
		return -1;
	set_want(c, EPOLLOUT);
	return 0;
}

/* Takes the next message, or marks the connection done. */
static int
next_message(struct conn *c)
{
	struct worker *w = c->w;
	uint64_t seq;

	if (now_mono() >= t_deadline)
		goto done;
	seq = atomic_fetch_add(&next_seq, 1);
	if (seq >= o.max_msgs)
		goto done;
	if (make_request(w, c, seq) == -1) {
		fprintf(stderr, "hlxbench: cannot build a request\n");
		exit(70);
	}
	c->t0 = now_mono();
	return 0;
done:
	c->st = CS_DONE;
	conn_close(c);
	w->active--;
	return -1;
}

static void
record_latency(struct worker *w, double lat)
{
	double *nl;

	if (w->nlat == w->latcap) {
		w->latcap = w->latcap == 0 ? 4096 : w->latcap * 2;
		if ((nl = realloc(w->lat, w->latcap * sizeof(*nl))) == NULL) {
			fprintf(stderr, "hlxbench: out of memory\n");
			exit(70);
		}
		w->lat = nl;
	}
	w->lat[w->nlat++] = lat;
}

/* 1 complete (status, body, close set), 0 need more, -1 malformed. */
static int
parse_response(struct conn *c, int *status, const char **body,
    size_t *bodylen, int *close_after)
{
	char *hend, *p, *line, *eol;
	size_t hl;
	unsigned long long cl = 0;
	int have_cl = 0;

	c->resp[c->resplen] = '\0';
	if ((hend = strstr(c->resp, "\r\n\r\n")) == NULL)
		return c->resplen >= RESP_MAX ? -1 : 0;
	hl = (size_t)(hend - c->resp) + 4;
	if (strncmp(c->resp, "HTTP/1.1 ", 9) != 0 ||
	    !isdigit((unsigned char)c->resp[9]))
		return -1;
	*status = (int)strtol(c->resp + 9, NULL, 10);
	*close_after = 0;
	for (line = strstr(c->resp, "\r\n") + 2; line < hend; line = eol + 2) {
		eol = strstr(line, "\r\n");
		if (strncasecmp(line, "Content-Length:", 15) == 0) {
			p = line + 15;
			while (*p == ' ')
				p++;
			cl = strtoull(p, NULL, 10);
			have_cl = 1;
		} else if (strncasecmp(line, "Connection:", 11) == 0) {
			p = line + 11;
			while (*p == ' ')
				p++;
			if (strncasecmp(p, "close", 5) == 0)
				*close_after = 1;
		}
	}
	if (!have_cl || cl > RESP_MAX)
		return -1;
	if (c->resplen < hl + cl)
		return c->resplen >= RESP_MAX ? -1 : 0;
	*body = c->resp + hl;
	*bodylen = (size_t)cl;
	return 1;
}

static int
answer_ok(struct conn *c, int status, const char *body, size_t len)
{
	char want[64];
	int n;

	if (status != 202) {
		c->w->err_status++;
		show_error("answer is not 202", c);
		return 0;
	}
	if (o.expect == EXPECT_STATUS)
		return 1;
	n = snprintf(want, sizeof(want), "<InReplyTo>%s</InReplyTo>", c->mid);
	if (n < 0 || (size_t)n >= sizeof(want) ||
	    find(body, len, "<Receipt>", 9) == NULL ||
	    find(body, len, "<Status>accepted</Status>", 25) == NULL ||
	    find(body, len, want, (size_t)n) == NULL) {
		c->w->err_body++;
		show_error("202 without a Receipt accepting this message", c);
		return 0;
	}
	return 1;
}

/* A failed message: counted; the connection starts over. */
static void
fail(struct conn *c, uint64_t *counter, const char *what)
{
	(*counter)++;
	c->w->failed++;
	show_error(what, c);
	ERR_clear_error();
	conn_close(c);
	if (next_message(c) == 0 && conn_open(c) == -1) {
		perror("hlxbench: socket");
		exit(70);
	}
}

/* Runs c as far as it goes without blocking. */
static void
drive(struct conn *c)
{
	struct worker *w = c->w;
	const char *body = NULL;
	size_t bodylen = 0;
	int r, e, status = 0, close_after = 0, soerr;
	socklen_t sl;

	for (;;) {
		switch (c->st) {
		case CS_CONNECT:
			sl = sizeof(soerr);
			if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr,
			    &sl) == -1 || soerr != 0) {
				fail(c, &w->err_connect, "cannot connect");
				return;
			}
			c->st = CS_HANDSHAKE;
			break;
		case CS_HANDSHAKE:
			r = SSL_do_handshake(c->ssl);
			if (r == 1) {
				w->handshakes++;
				c->st = CS_WRITE;
				break;
			}
			e = SSL_get_error(c->ssl, r);
			if (e == SSL_ERROR_WANT_READ) {
				set_want(c, EPOLLIN);
				return;
			}
			if (e == SSL_ERROR_WANT_WRITE) {
				set_want(c, EPOLLOUT);
				return;
			}
			fail(c, &w->err_tls, "TLS handshake failed");
			return;
		case CS_WRITE:
			r = SSL_write(c->ssl, c->req + c->reqoff,
			    (int)(c->reqlen - c->reqoff));
			if (r > 0) {
				c->reqoff += (size_t)r;
				if (c->reqoff == c->reqlen)
					c->st = CS_READ;
				break;
			}
			e = SSL_get_error(c->ssl, r);
			if (e == SSL_ERROR_WANT_READ) {
				set_want(c, EPOLLIN);
				return;
			}
			if (e == SSL_ERROR_WANT_WRITE) {
				set_want(c, EPOLLOUT);
				return;
			}
			fail(c, &w->err_eof, "cannot write the request");
			return;
		case CS_READ:
			r = SSL_read(c->ssl, c->resp + c->resplen,
			    (int)(RESP_MAX - c->resplen));
			if (r <= 0) {
				e = SSL_get_error(c->ssl, r);
				if (e == SSL_ERROR_WANT_READ) {
					set_want(c, EPOLLIN);
					return;
				}
				if (e == SSL_ERROR_WANT_WRITE) {
					set_want(c, EPOLLOUT);
					return;
				}
				fail(c, &w->err_eof, "connection closed early");
				return;
			}
			c->resplen += (size_t)r;
			r = parse_response(c, &status, &body, &bodylen,
			    &close_after);
			if (r == 0)
				break;
			if (r == -1) {
				fail(c, &w->err_body, "malformed answer");
				return;
			}
			if (answer_ok(c, status, body, bodylen)) {
				w->ok++;
				record_latency(w, now_mono() - c->t0);
				if (w->ids != NULL) {
					pthread_mutex_lock(&ids_mu);
					fprintf(w->ids, "%s\n", c->mid);
					pthread_mutex_unlock(&ids_mu);
				}
			} else
				w->failed++;
			if (o.newconn || close_after)
				conn_close(c);
			if (next_message(c) == -1)
				return;
			if (c->fd == -1) {
				if (conn_open(c) == -1) {
					perror("hlxbench: socket");
					exit(70);
				}
				return;	/* wait for the connect */
			}
			c->st = CS_WRITE;
			break;
		case CS_DONE:
			return;
		}
	}
}

static void *
worker_run(void *arg)
{
	struct worker *w = arg;
	struct epoll_event evs[64];
	unsigned i;
	int n, k;

	for (i = 0; i < w->nconns; i++) {
		struct conn *c = &w->conns[i];

		c->w = w;
		c->fd = -1;
		if (next_message(c) == -1)
			continue;
		if (conn_open(c) == -1) {
			perror("hlxbench: socket");
			exit(70);
		}
	}
	while (w->active > 0) {
		/* A server that stops answering does not hang the bench. */
		if (now_mono() > t_deadline + GRACE_SECS) {
			for (i = 0; i < w->nconns; i++) {
				struct conn *c = &w->conns[i];

				if (c->st == CS_DONE)
					continue;
				w->err_timeout++;
				w->failed++;
				show_error("no answer in time", c);
				c->st = CS_DONE;
				conn_close(c);
				w->active--;
			}
			break;
		}
		n = epoll_wait(w->ep, evs, 64, 1000);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			perror("hlxbench: epoll_wait");
			exit(70);
		}
		for (k = 0; k < n; k++)
			drive(evs[k].data.ptr);
	}
	return NULL;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Nearest rank. */
static double
pct(const double *v, size_t n, double p)
{
	size_t r;

	if (n == 0)
		return 0;
	r = (size_t)(p / 100.0 * (double)n + 0.999999);
	if (r < 1)
		r = 1;
	if (r > n)
		r = n;
	return v[r - 1];
}

static int
setup_tls(void)
{
	X509_VERIFY_PARAM *vp;

	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL ||
	    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
	    SSL_CTX_use_certificate_chain_file(ctx, o.cert) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, o.key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1 ||
	    SSL_CTX_load_verify_locations(ctx, o.ca, NULL) != 1) {
		ERR_print_errors_fp(stderr);
		return -1;
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	vp = SSL_CTX_get0_param(ctx);
	if (X509_VERIFY_PARAM_set1_ip_asc(vp, o.addr) != 1) {
		ERR_print_errors_fp(stderr);
		return -1;
	}
	/* Every new connection is a full handshake: no resumption. */
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
	return 0;
}

int
main(int argc, char **argv)
{
	struct worker *ws = NULL;
	double elapsed, *all = NULL, secs_end;
	uint64_t v, ok = 0, failed = 0, hs = 0, ec = 0, et = 0, es = 0,
	    eb = 0, ee = 0, eto = 0;
	size_t nall = 0, k, bmin = 0, bmax = 0;
	unsigned i, per, extra, ci = 0;
	struct conn *conns = NULL;
	FILE *ids = NULL;
	char *end;
	int ch, rc = 70;

	o.addr = "127.0.0.1";
	o.conns = 16;
	o.threads = 1;
	o.max_msgs = 100000;
	o.secs = 60;
	o.prefix = "BENCH-";
	o.expect = EXPECT_RECEIPT;
	while ((ch = getopt(argc, argv, "H:p:C:K:A:T:c:j:n:d:NP:e:o:")) !=
	    -1) {
		switch (ch) {
		case 'H':
			o.addr = optarg;
			break;
		case 'p':
			if (parse_u64(optarg, 1, 65535, &v) == -1)
				return usage();
			o.port = (unsigned)v;
			break;
		case 'C':
			o.cert = optarg;
			break;
		case 'K':
			o.key = optarg;
			break;
		case 'A':
			o.ca = optarg;
			break;
		case 'T':
			o.tmpl_path = optarg;
			break;
		case 'c':
			if (parse_u64(optarg, 1, CONNS_MAX, &v) == -1)
				return usage();
			o.conns = (unsigned)v;
			break;
		case 'j':
			if (parse_u64(optarg, 1, THREADS_MAX, &v) == -1)
				return usage();
			o.threads = (unsigned)v;
			break;
		case 'n':
			if (parse_u64(optarg, 1, 1ULL << 40, &v) == -1)
				return usage();
			o.max_msgs = v;
			break;
		case 'd':
			errno = 0;
			o.secs = strtod(optarg, &end);
			if (errno != 0 || end == optarg || *end != '\0' ||
			    !(o.secs > 0 && o.secs <= 3600))
				return usage();
			break;
		case 'N':
			o.newconn = 1;
			break;
		case 'P':
			if (check_prefix(optarg) == -1) {
				fprintf(stderr, "hlxbench: -P: 1-%d of "
				    "[A-Za-z0-9._:-]\n", PREFIX_MAX);
				return 64;
			}
			o.prefix = optarg;
			break;
		case 'e':
			if (strcmp(optarg, "receipt") == 0)
				o.expect = EXPECT_RECEIPT;
			else if (strcmp(optarg, "status") == 0)
				o.expect = EXPECT_STATUS;
			else
				return usage();
			break;
		case 'o':
			o.ids_path = optarg;
			break;
		default:
			return usage();
		}
	}
	if (optind != argc || o.port == 0 || o.cert == NULL || o.key == NULL ||
	    o.ca == NULL || o.tmpl_path == NULL)
		return usage();
	if (o.threads > o.conns)
		o.threads = o.conns;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)o.port);
	if (inet_pton(AF_INET, o.addr, &sa.sin_addr) != 1 ||
	    (ntohl(sa.sin_addr.s_addr) >> 24) != 127) {
		fprintf(stderr, "hlxbench: -H: an IPv4 loopback address "
		    "(127.0.0.0/8) only\n");
		return 64;
	}
	if (load_template(o.tmpl_path) == -1)
		return 64;
	if (setup_tls() == -1)
		return 64;
	if (getrandom(runid, sizeof(runid), 0) != (ssize_t)sizeof(runid)) {
		perror("hlxbench: getrandom");
		return 70;
	}
	if (o.ids_path != NULL && (ids = fopen(o.ids_path, "w")) == NULL) {
		fprintf(stderr, "hlxbench: %s: %s\n", o.ids_path,
		    strerror(errno));
		return 70;
	}
	if ((ws = calloc(o.threads, sizeof(*ws))) == NULL ||
	    (conns = calloc(o.conns, sizeof(*conns))) == NULL)
		goto out;
	per = o.conns / o.threads;
	extra = o.conns % o.threads;
	t_start = now_mono();
	t_deadline = t_start + o.secs;
	for (i = 0; i < o.threads; i++) {
		struct worker *w = &ws[i];

		w->conns = conns + ci;
		w->nconns = per + (i < extra ? 1 : 0);
		w->active = w->nconns;
		ci += w->nconns;
		w->ids = ids;
		if ((w->ep = epoll_create1(EPOLL_CLOEXEC)) == -1)
			goto out;
		if (pthread_create(&w->thread, NULL, worker_run, w) != 0)
			goto out;
	}
	for (i = 0; i < o.threads; i++)
		pthread_join(ws[i].thread, NULL);
	secs_end = now_mono();
	elapsed = secs_end - t_start;
	for (i = 0; i < o.threads; i++) {
		struct worker *w = &ws[i];

		ok += w->ok;
		failed += w->failed;
		hs += w->handshakes;
		ec += w->err_connect;
		et += w->err_tls;
		es += w->err_status;
		eb += w->err_body;
		ee += w->err_eof;
		eto += w->err_timeout;
		nall += w->nlat;
		if (w->body_min != 0 && (bmin == 0 || w->body_min < bmin))
			bmin = w->body_min;
		if (w->body_max > bmax)
			bmax = w->body_max;
	}
	if ((all = malloc((nall + 1) * sizeof(*all))) == NULL)
		goto out;
	for (i = 0, k = 0; i < o.threads; i++) {
		memcpy(all + k, ws[i].lat, ws[i].nlat * sizeof(*all));
		k += ws[i].nlat;
	}
	qsort(all, nall, sizeof(*all), cmp_double);
	printf("mode=%s conns=%u threads=%u expect=%s ok=%llu failed=%llu "
	    "handshakes=%llu secs=%.3f rate=%.1f p50_ms=%.3f p90_ms=%.3f "
	    "p99_ms=%.3f max_ms=%.3f err_connect=%llu err_tls=%llu "
	    "err_status=%llu err_body=%llu err_eof=%llu err_timeout=%llu "
	    "body_bytes=%zu-%zu\n",
	    o.newconn ? "newconn" : "keepalive", o.conns, o.threads,
	    o.expect == EXPECT_RECEIPT ? "receipt" : "status",
	    (unsigned long long)ok, (unsigned long long)failed,
	    (unsigned long long)hs, elapsed, elapsed > 0 ? (double)ok /
	    elapsed : 0.0, pct(all, nall, 50) * 1e3, pct(all, nall, 90) * 1e3,
	    pct(all, nall, 99) * 1e3, nall > 0 ? all[nall - 1] * 1e3 : 0.0,
	    (unsigned long long)ec, (unsigned long long)et,
	    (unsigned long long)es, (unsigned long long)eb,
	    (unsigned long long)ee, (unsigned long long)eto, bmin, bmax);
	rc = failed == 0 ? 0 : 1;
out:
	if (rc == 70)
		perror("hlxbench");
	if (ids != NULL && fclose(ids) != 0) {
		perror("hlxbench: ids");
		rc = 70;
	}
	for (i = 0; ws != NULL && i < o.threads; i++)
		free(ws[i].lat);
	free(all);
	free(conns);
	free(ws);
	SSL_CTX_free(ctx);
	return rc;
}
