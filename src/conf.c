/*
 * conf.c -- the hlx.conf parser (operations.md §1).  See conf.h.
 *
 * SECURITY: the input is a file an administrator wrote, but a mistake in it
 * must never turn into a silent surprise at run time, and the parser also
 * runs under a fuzzer.  So: every line is bounded (HLX_CONF_LINE_MAX) and
 * copied into a stack buffer of that size, never truncated; every value is
 * checked against the range the rest of the gateway assumes; nothing is
 * ignored (unknown sections, unknown keys, duplicates are all errors); a
 * value quoted back in an error is escaped and cut, so that a hostile or
 * binary file cannot forge log lines or terminal escapes.  No I/O, no exit,
 * no global state: the caller reads the file, and owns what comes back.
 *
 * Errors are counted all the way through (the operator fixes a file in one
 * go, as with OpenBSD's parsers), and any error rejects the whole file: a
 * half-applied configuration is worse than the old one.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "conf.h"
#include "types.h"

/* Escaped values in error lines are cut to about 60 characters. */
#define CONF_QUOTE_MAX	64
#define CONF_USER_MAX	32	/* POSIX login names, as useradd allows */

enum conf_kind {
	CK_HOTLINE_ID,
	CK_COUNTRY,
	CK_RECEIVE_FOR,
	CK_CASE_PREFIX,
	CK_ADDR,
	CK_SIZE,		/* uint64_t, optional K M G */
	CK_UINT,		/* unsigned */
	CK_DURATION,		/* unsigned seconds, unit required */
	CK_PATH,		/* char *, joined to base_dir */
	CK_USER,		/* char * */
	CK_LOG_LEVEL,
	CK_BOOL,		/* int */
};

/* Every key of operations.md §1; the order is the table's. */
enum conf_key_id {
	K_HOTLINE_ID,
	K_COUNTRY,
	K_RECEIVE_FOR,
	K_CASE_PREFIX,
	K_LISTEN_ADDRESS,
	K_MAX_MESSAGE_BYTES,
	K_MAX_CONNECTIONS,
	K_MAX_CONNECTIONS_PER_IP,
	K_MAX_HANDSHAKES,
	K_HANDSHAKE_TIMEOUT,
	K_HEADER_TIMEOUT,
	K_BODY_TIMEOUT,
	K_RATE_LIMIT,
	K_RATE_LIMIT_BYTES,
	K_TLS_CERT,
	K_TLS_KEY,
	K_TLS_CA,
	K_STORE_PATH,
	K_AUDIT_KEY,
	K_MIN_FREE,
	K_USER,
	K_LOG_LEVEL,
	K_ADMIN_ADDRESS,
	K_ALLOW_REMOTE,
	K_MAX_AGE,
	K_BACKOFF_MIN,
	K_BACKOFF_MAX,
	K_CONNECT_TIMEOUT,
	K_DELIVERY_TIMEOUT,
	K_CONNECTIONS_PER_PEER,
	K_HANDOFF_DIR,
	K_DEADLINE_CRITICAL,
	K_DEADLINE_HIGH,
	K_DEADLINE_MEDIUM,
	K_DEADLINE_LOW,
	K_COUNT
};

struct conf_key {
	const char	*section;
	const char	*name;
	enum conf_kind	 kind;
	size_t		 off;		/* of the member in struct conf */
	uint64_t	 min, max;	/* CK_SIZE and CK_UINT */
	bool		 required;
};

#define KEY(id, sec, nm, kd, member, lo, hi, req)			\
	[id] = { sec, nm, kd, offsetof(struct conf, member), lo, hi, req }

static const struct conf_key conf_keys[K_COUNT] = {
	KEY(K_HOTLINE_ID, "hotline", "id", CK_HOTLINE_ID, hotline_id,
	    0, 0, true),
	KEY(K_COUNTRY, "hotline", "country", CK_COUNTRY, country, 0, 0, true),
	KEY(K_RECEIVE_FOR, "hotline", "receive_for", CK_RECEIVE_FOR,
	    receive_for, 0, 0, false),
	KEY(K_CASE_PREFIX, "hotline", "case_prefix", CK_CASE_PREFIX,
	    case_prefix, 0, 0, false),
	KEY(K_LISTEN_ADDRESS, "listen", "address", CK_ADDR, listen,
	    0, 0, false),
	KEY(K_MAX_MESSAGE_BYTES, "listen", "max_message_bytes", CK_SIZE,
	    max_message_bytes, HLX_MIN_MESSAGE_BYTES, HLX_MAX_MESSAGE_BYTES,
	    false),
	KEY(K_MAX_CONNECTIONS, "listen", "max_connections", CK_UINT,
	    max_connections, 1, HLX_MAX_CONNECTIONS_LIMIT, false),
	/* At most max_connections: checked once the whole file is read. */
	KEY(K_MAX_CONNECTIONS_PER_IP, "listen", "max_connections_per_ip",
	    CK_UINT, max_connections_per_ip, 1, HLX_MAX_CONNECTIONS_LIMIT,
	    false),
	/* Default: a quarter of max_connections (conf_finish). */
	KEY(K_MAX_HANDSHAKES, "listen", "max_handshakes", CK_UINT,
	    max_handshakes, 1, HLX_MAX_CONNECTIONS_LIMIT, false),
	KEY(K_HANDSHAKE_TIMEOUT, "listen", "handshake_timeout", CK_DURATION,
	    handshake_timeout, 0, 0, false),
	KEY(K_HEADER_TIMEOUT, "listen", "header_timeout", CK_DURATION,
	    header_timeout, 0, 0, false),
	KEY(K_BODY_TIMEOUT, "listen", "body_timeout", CK_DURATION,
	    body_timeout, 0, 0, false),
	KEY(K_RATE_LIMIT, "listen", "rate_limit", CK_UINT, rate_limit,
	    1, HLX_RATE_LIMIT_MAX, false),
	/* Its burst: 2 s worth, at least max_message_bytes (hlxd.c). */
	KEY(K_RATE_LIMIT_BYTES, "listen", "rate_limit_bytes", CK_SIZE,
	    rate_limit_bytes, HLX_RATE_LIMIT_BYTES_MIN,
	    HLX_RATE_LIMIT_BYTES_MAX, false),
	KEY(K_TLS_CERT, "tls", "cert", CK_PATH, tls_cert, 0, 0, false),
	KEY(K_TLS_KEY, "tls", "key", CK_PATH, tls_key, 0, 0, false),
	KEY(K_TLS_CA, "tls", "ca", CK_PATH, tls_ca, 0, 0, false),
	KEY(K_STORE_PATH, "storage", "path", CK_PATH, store_path,
	    0, 0, false),
	KEY(K_AUDIT_KEY, "storage", "audit_key", CK_PATH, audit_key,
	    0, 0, false),
	KEY(K_MIN_FREE, "storage", "min_free", CK_SIZE, min_free,
	    0, UINT64_MAX, false),
	KEY(K_USER, "daemon", "user", CK_USER, user, 0, 0, false),
	KEY(K_LOG_LEVEL, "log", "level", CK_LOG_LEVEL, log_level,
	    0, 0, false),
	KEY(K_ADMIN_ADDRESS, "admin", "address", CK_ADDR, admin, 0, 0, false),
	KEY(K_ALLOW_REMOTE, "admin", "allow_remote", CK_BOOL,
	    admin_allow_remote, 0, 0, false),
	KEY(K_MAX_AGE, "delivery", "max_age", CK_DURATION, max_age,
	    0, 0, false),
	/* At most backoff_max: checked once the whole file is read. */
	KEY(K_BACKOFF_MIN, "delivery", "backoff_min", CK_DURATION,
	    backoff_min, 0, 0, false),
	KEY(K_BACKOFF_MAX, "delivery", "backoff_max", CK_DURATION,
	    backoff_max, 0, 0, false),
	KEY(K_CONNECT_TIMEOUT, "delivery", "connect_timeout", CK_DURATION,
	    connect_timeout, 0, 0, false),
	KEY(K_DELIVERY_TIMEOUT, "delivery", "timeout", CK_DURATION,
	    delivery_timeout, 0, 0, false),
	KEY(K_CONNECTIONS_PER_PEER, "delivery", "connections_per_peer",
	    CK_UINT, connections_per_peer, 1, HLX_CONNECTIONS_PER_PEER_MAX,
	    false),
	KEY(K_HANDOFF_DIR, "handoff", "dir", CK_PATH, handoff_dir,
	    0, 0, false),
	KEY(K_DEADLINE_CRITICAL, "handoff", "deadline_critical", CK_DURATION,
	    deadline_critical, 0, 0, false),
	KEY(K_DEADLINE_HIGH, "handoff", "deadline_high", CK_DURATION,
	    deadline_high, 0, 0, false),
	KEY(K_DEADLINE_MEDIUM, "handoff", "deadline_medium", CK_DURATION,
	    deadline_medium, 0, 0, false),
	KEY(K_DEADLINE_LOW, "handoff", "deadline_low", CK_DURATION,
	    deadline_low, 0, 0, false),
};

struct conf_parser {
	struct conf		*c;
	const char		*file;
	const char		*base_dir;
	struct conf_errors	*errs;
	size_t			 nerr;		/* every error, kept or not */
	bool			 oom;
	long			 line;		/* current line, from 1 */
	const char		*section;	/* from conf_keys; NULL: none */
	bool			 bad_section;	/* keys under it are skipped */
	long			 kline[K_COUNT]; /* where set; 0: default */
	bool			 kbad[K_COUNT];	/* its value was refused */
	char			 why[128];	/* for reasons with numbers */
};

static void	conf_error(struct conf_parser *, long, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

/*
 * Records one error.  line < 0: the error is about the file as a whole.
 * After HLX_CONF_ERRORS_MAX kept lines comes one that says the rest was not
 * shown; the count goes on regardless, so that conf_parse() still fails.
 */
static void
conf_error(struct conf_parser *p, long line, const char *fmt, ...)
{
	struct conf_errors *e = p->errs;
	char what[512], *s = NULL;
	va_list ap;
	int n;

	p->nerr++;
	if (e == NULL)
		goto out;
	e->total = p->nerr;
	if (e->count > HLX_CONF_ERRORS_MAX)
		goto out;
	if (e->lines == NULL) {
		e->lines = calloc(HLX_CONF_ERRORS_MAX + 1, sizeof(*e->lines));
		if (e->lines == NULL)
			goto out;
	}
	if (e->count == HLX_CONF_ERRORS_MAX) {
		snprintf(what, sizeof(what), "too many errors, the rest not "
		    "shown");
		line = -1;
	} else {
		va_start(ap, fmt);
		n = vsnprintf(what, sizeof(what), fmt, ap);
		va_end(ap);
		if (n < 0)
			goto out;
		/* Cannot happen with quoted values cut short; still, say so. */
		if ((size_t)n >= sizeof(what))
			memcpy(what + sizeof(what) - 4, "...", 4);
	}
	if (line >= 0)
		n = snprintf(NULL, 0, "%s:%ld: %s", p->file, line, what);
	else
		n = snprintf(NULL, 0, "%s: %s", p->file, what);
	if (n < 0)
		goto out;
	s = malloc((size_t)n + 1);
	if (s == NULL)
		goto out;
	if (line >= 0)
		snprintf(s, (size_t)n + 1, "%s:%ld: %s", p->file, line, what);
	else
		snprintf(s, (size_t)n + 1, "%s: %s", p->file, what);
	e->lines[e->count++] = s;
	s = NULL;
out:
	free(s);
}

/* Text from the file, made safe and short for an error line. */
static const char *
conf_quote(char *buf, size_t bufsz, const char *s)
{
	return log_escape(buf, bufsz, s);
}

static bool
conf_is_blank(char ch)
{
	return ch == ' ' || ch == '\t';
}

/* Trims s in place; returns the first non-blank character. */
static char *
conf_trim(char *s)
{
	size_t len;

	while (conf_is_blank(*s))
		s++;
	len = strlen(s);
	while (len > 0 && conf_is_blank(s[len - 1]))
		s[--len] = '\0';
	return s;
}

/*
 * Decimal digits at s -> *out; *end is what follows.  Returns 0, -1 when s
 * does not start with a digit (strtoull would take blanks, '+' and '-', and
 * wrap a negative number), -2 when the number does not fit.
 */
static int
conf_number(const char *s, uint64_t *out, const char **end)
{
	unsigned long long v;
	char *e;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &e, 10);
	*end = e;
	if (errno == ERANGE || v > UINT64_MAX)
		return -2;
	*out = (uint64_t)v;
	return 0;
}

/* A byte count as it would be written in the file: 64K, 64M, 1G, 123. */
static void
conf_size_text(char *buf, size_t bufsz, uint64_t n)
{
	static const char units[] = "GMK";
	int i;

	for (i = 0; i < 3; i++) {
		unsigned shift = (unsigned)(30 - 10 * i);
		if (n != 0 && n % ((uint64_t)1 << shift) == 0) {
			snprintf(buf, bufsz, "%llu%c",
			    (unsigned long long)(n >> shift), units[i]);
			return;
		}
	}
	snprintf(buf, bufsz, "%llu", (unsigned long long)n);
}

static const char *
conf_set_duration(const char *v, unsigned *out)
{
	static const char range[] = "out of range 1s..365d";
	const char *end;
	uint64_t n, mult;
	int r;

	r = conf_number(v, &n, &end);
	if (r == -1)
		return "not a duration (a number and a unit: s, m, h or d)";
	if (r == -2)
		return range;
	switch (*end) {
	case 's':
		mult = 1;
		break;
	case 'm':
		mult = 60;
		break;
	case 'h':
		mult = 3600;
		break;
	case 'd':
		mult = 86400;
		break;
	case '\0':
		return "needs a unit (s, m, h or d)";
	default:
		return "unknown unit (s, m, h or d)";
	}
	if (end[1] != '\0')
		return "unknown unit (s, m, h or d)";
	if (n == 0 || n > (uint64_t)HLX_DURATION_MAX / mult)
		return range;
	*out = (unsigned)(n * mult);
	return NULL;
}

static const char *
conf_set_size(struct conf_parser *p, const struct conf_key *k, const char *v,
    uint64_t *out)
{
	char lo[32], hi[32];
	const char *end;
	unsigned shift;
	uint64_t n;
	int r;

	r = conf_number(v, &n, &end);
	if (r == -1)
		return "not a size (a number, optionally followed by K, M "
		    "or G)";
	switch (*end) {
	case '\0':
		shift = 0;
		break;
	case 'K':
		shift = 10;
		break;
	case 'M':
		shift = 20;
		break;
	case 'G':
		shift = 30;
		break;
	default:
		return "unknown unit (K, M or G)";
	}
	if (shift != 0 && end[1] != '\0')
		return "unknown unit (K, M or G)";
	if (r == -2 || n > (UINT64_MAX >> shift)) {
		if (k->max == UINT64_MAX)
			return "too large";
		n = UINT64_MAX;		/* reported as out of range below */
	} else {
		n <<= shift;
	}
	if (n < k->min || n > k->max) {
		conf_size_text(lo, sizeof(lo), k->min);
		conf_size_text(hi, sizeof(hi), k->max);
		snprintf(p->why, sizeof(p->why), "out of range %s..%s", lo, hi);
		return p->why;
	}
	*out = n;
	return NULL;
}

static const char *
conf_set_uint(struct conf_parser *p, const struct conf_key *k, const char *v,
    unsigned *out)
{
	const char *end;
	uint64_t n;
	int r;

	r = conf_number(v, &n, &end);
	if (r == -1 || (r == 0 && *end != '\0'))
		return "not a number";
	if (r == -2 || n < k->min || n > k->max) {
		snprintf(p->why, sizeof(p->why), "out of range %llu..%llu",
		    (unsigned long long)k->min, (unsigned long long)k->max);
		return p->why;
	}
	*out = (unsigned)n;
	return NULL;
}

/*
 * "IPv4:port" or "[IPv6]:port", numeric only: the listeners bind before any
 * resolver could be trusted, and a name would make the bound address depend
 * on DNS at start-up.
 */
static const char *
conf_set_addr(const char *v, struct conf_addr *a)
{
	unsigned char bin[sizeof(struct in6_addr)];
	const char *host, *port, *end;
	char text[sizeof(a->host)];
	size_t hlen;
	uint64_t n;
	int family;

	if (v[0] == '[') {
		const char *rb = strchr(v, ']');
		if (rb == NULL || rb[1] != ':')
			return "not an address (IPv4:port or [IPv6]:port)";
		host = v + 1;
		hlen = (size_t)(rb - host);
		port = rb + 2;
		family = AF_INET6;
	} else {
		const char *colon = strrchr(v, ':');
		if (colon == NULL)
			return "not an address (IPv4:port or [IPv6]:port)";
		host = v;
		hlen = (size_t)(colon - v);
		port = colon + 1;
		family = AF_INET;
	}
	if (hlen == 0 || hlen >= sizeof(text))
		goto badhost;
	memcpy(text, host, hlen);
	text[hlen] = '\0';
	if (inet_pton(family, text, bin) != 1)
		goto badhost;
	if (conf_number(port, &n, &end) != 0 || *end != '\0' || n > 65535)
		return "bad port (0 to 65535)";
	memcpy(a->host, text, hlen + 1);
	a->port = (int)n;
	a->family = family;
	return NULL;
badhost:
	return family == AF_INET ?
	    "not a numeric IPv4 address (IPv6 goes in brackets)" :
	    "not a numeric IPv6 address";
}

/* 127.0.0.0/8 or ::1.  v4-mapped addresses are not: bind them explicitly. */
static bool
conf_addr_is_loopback(const struct conf_addr *a)
{
	struct in6_addr in6;
	struct in_addr in4;

	if (a->family == AF_INET)
		return inet_pton(AF_INET, a->host, &in4) == 1 &&
		    (ntohl(in4.s_addr) >> 24) == 127;
	if (a->family == AF_INET6)
		return inet_pton(AF_INET6, a->host, &in6) == 1 &&
		    IN6_IS_ADDR_LOOPBACK(&in6);
	return false;
}

static const char *
conf_set_bool(const char *v, int *out)
{
	if (strcmp(v, "yes") == 0 || strcmp(v, "true") == 0)
		*out = 1;
	else if (strcmp(v, "no") == 0 || strcmp(v, "false") == 0)
		*out = 0;
	else
		return "not a boolean (yes, no, true or false)";
	return NULL;
}

/*
 * Relative paths are joined to base_dir, so that the configuration means the
 * same files whichever directory the program was started from.  Nothing is
 * canonicalized: the file system is not consulted here.
 */
static const char *
conf_set_path(struct conf_parser *p, const char *v, char **out)
{
	size_t blen, vlen = strlen(v), total;
	const char *b = p->base_dir;
	char *s = NULL;
	bool slash;

	if (v[0] == '/') {
		total = vlen;
		if (total > PATH_MAX - 1)
			goto toolong;
		s = strdup(v);
	} else {
		if (b == NULL || b[0] != '/')
			return "relative, and no absolute base directory to "
			    "resolve it against";
		blen = strlen(b);
		while (blen > 1 && b[blen - 1] == '/')
			blen--;
		slash = b[blen - 1] != '/';
		total = blen + slash + vlen;
		if (total > PATH_MAX - 1)
			goto toolong;
		s = malloc(total + 1);
		if (s != NULL) {
			memcpy(s, b, blen);
			if (slash)
				s[blen] = '/';
			memcpy(s + blen + slash, v, vlen + 1);
		}
	}
	if (s == NULL) {
		p->oom = true;
		return NULL;
	}
	free(*out);
	*out = s;
	return NULL;
toolong:
	snprintf(p->why, sizeof(p->why), "longer than %d bytes with the base "
	    "directory", PATH_MAX - 1);
	return p->why;
}

/* The parts of a value that can be set with one allocation: ids, names. */
static const char *
conf_set_string(struct conf_parser *p, const char *v, char **out)
{
	char *s = strdup(v);

	if (s == NULL) {
		p->oom = true;
		return NULL;
	}
	free(*out);
	*out = s;
	return NULL;
}

/* A POSIX portable user name, as useradd accepts it by default. */
static const char *
conf_check_user(const char *v)
{
	size_t len = strlen(v), i;

	if (len == 0 || len > CONF_USER_MAX || v[0] == '-')
		goto bad;
	for (i = 0; i < len; i++) {
		char ch = v[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' ||
		    ch == '-'))
			goto bad;
	}
	return NULL;
bad:
	return "not a user name (1 to 32 of A-Z a-z 0-9 . _ -, not starting "
	    "with -)";
}

static const char *
conf_check_case_prefix(const char *v)
{
	if (strlen(v) > HLX_CASE_PREFIX_MAX)
		return "longer than 52 characters (a case number is at most "
		    "64)";
	if (type_check_case_number(v) != NULL)
		return "not a case-number prefix (A-Z a-z 0-9 . _ : -)";
	return NULL;
}

/*
 * "*", or countries separated by commas and/or blanks: "BE NL", "BE,NL",
 * "BE, NL".  An empty item (",," or a comma at either end) is refused rather
 * than skipped: it usually means a country was deleted by mistake.  *subject
 * is set to the item at fault, so that the error quotes it rather than the
 * whole list.
 */
static const char *
conf_set_receive_for(struct conf *c, const char *v, char *item, size_t itemsz,
    const char **subject)
{
	const char *s = v, *why;
	size_t len, i;

	c->receive_any = 0;
	c->receive_for_count = 0;
	if (strcmp(v, "*") == 0) {
		c->receive_any = 1;
		return NULL;
	}
	if (strchr(v, '*') != NULL)
		return "\"*\" must stand alone";
	for (;;) {
		len = strcspn(s, ", \t");
		if (len == 0)
			return "empty item in the list";
		/* A long item is wrong anyway; keep enough to quote it. */
		i = len < itemsz ? len : itemsz - 1;
		memcpy(item, s, i);
		item[i] = '\0';
		*subject = item;
		if ((why = type_check_country(item)) != NULL)
			return why;
		for (i = 0; i < c->receive_for_count; i++)
			if (strcmp(c->receive_for[i], item) == 0)
				return "listed twice";
		*subject = v;
		if (c->receive_for_count == HLX_RECEIVE_FOR_MAX)
			return "more than 32 countries";
		memcpy(c->receive_for[c->receive_for_count++], item, 3);
		s += len;
		/* Separator: blanks, at most one comma, blanks. */
		while (conf_is_blank(*s))
			s++;
		if (*s == ',') {
			s++;
			while (conf_is_blank(*s))
				s++;
			if (*s == '\0' || *s == ',') {
				*subject = v;
				return "empty item in the list";
			}
		}
		if (*s == '\0')
			break;
	}
	return NULL;
}

/* Sets key k from value v, or reports why not. */
static void
conf_set(struct conf_parser *p, enum conf_key_id id, const char *v)
{
	const struct conf_key *k = &conf_keys[id];
	void *dst = (char *)p->c + k->off;
	char q[CONF_QUOTE_MAX], item[CONF_QUOTE_MAX];
	const char *why = NULL, *subject = v;
	enum log_level lvl;

	switch (k->kind) {
	case CK_HOTLINE_ID:
		if ((why = type_check_hotline_id(v)) == NULL)
			why = conf_set_string(p, v, dst);
		break;
	case CK_COUNTRY:
		if ((why = type_check_country(v)) == NULL)
			memcpy(dst, v, 3);
		break;
	case CK_RECEIVE_FOR:
		why = conf_set_receive_for(p->c, v, item, sizeof(item),
		    &subject);
		break;
	case CK_CASE_PREFIX:
		if ((why = conf_check_case_prefix(v)) == NULL)
			why = conf_set_string(p, v, dst);
		break;
	case CK_ADDR:
		why = conf_set_addr(v, dst);
		break;
	case CK_SIZE:
		why = conf_set_size(p, k, v, dst);
		break;
	case CK_UINT:
		why = conf_set_uint(p, k, v, dst);
		break;
	case CK_DURATION:
		why = conf_set_duration(v, dst);
		break;
	case CK_PATH:
		why = conf_set_path(p, v, dst);
		break;
	case CK_USER:
		if ((why = conf_check_user(v)) == NULL)
			why = conf_set_string(p, v, dst);
		break;
	case CK_LOG_LEVEL:
		if (log_level_parse(v, &lvl) == 0)
			*(enum log_level *)dst = lvl;
		else
			why = "not a log level (debug, info, warn or error)";
		break;
	case CK_BOOL:
		why = conf_set_bool(v, dst);
		break;
	}
	if (why != NULL) {
		p->kbad[id] = true;
		conf_error(p, p->line, "[%s] %s \"%s\": %s", k->section,
		    k->name, conf_quote(q, sizeof(q), subject), why);
	}
}

static void
conf_section(struct conf_parser *p, char *s)
{
	char q[CONF_QUOTE_MAX], *name;
	size_t len = strlen(s), i;

	p->section = NULL;
	p->bad_section = true;
	if (len < 2 || s[len - 1] != ']') {
		conf_error(p, p->line, "bad section header (expected "
		    "\"[name]\")");
		return;
	}
	s[len - 1] = '\0';
	name = conf_trim(s + 1);
	if (*name == '\0' || strpbrk(name, "[]") != NULL) {
		conf_error(p, p->line, "bad section header (expected "
		    "\"[name]\")");
		return;
	}
	for (i = 0; i < K_COUNT; i++) {
		if (strcmp(conf_keys[i].section, name) == 0) {
			p->section = conf_keys[i].section;
			p->bad_section = false;
			return;
		}
	}
	/* Keys below it are not reported: one error says it all. */
	conf_error(p, p->line, "unknown section [%s]",
	    conf_quote(q, sizeof(q), name));
}

static void
conf_keyval(struct conf_parser *p, char *s)
{
	char q[CONF_QUOTE_MAX], *eq, *key, *val;
	size_t i;

	if ((eq = strchr(s, '=')) == NULL) {
		conf_error(p, p->line, "expected \"key = value\" or "
		    "\"[section]\"");
		return;
	}
	*eq = '\0';
	key = conf_trim(s);
	val = conf_trim(eq + 1);
	if (*key == '\0') {
		conf_error(p, p->line, "no key before \"=\"");
		return;
	}
	if (p->bad_section)
		return;
	if (p->section == NULL) {
		conf_error(p, p->line, "key \"%s\" outside any section",
		    conf_quote(q, sizeof(q), key));
		return;
	}
	for (i = 0; i < K_COUNT; i++)
		if (strcmp(conf_keys[i].section, p->section) == 0 &&
		    strcmp(conf_keys[i].name, key) == 0)
			break;
	if (i == K_COUNT) {
		conf_error(p, p->line, "unknown key \"%s\" in [%s]",
		    conf_quote(q, sizeof(q), key), p->section);
		return;
	}
	if (p->kline[i] != 0) {
		conf_error(p, p->line, "[%s] %s given twice (first on line "
		    "%ld)", p->section, conf_keys[i].name, p->kline[i]);
		return;
	}
	p->kline[i] = p->line;
	if (*val == '\0') {
		p->kbad[i] = true;
		conf_error(p, p->line, "[%s] %s has no value", p->section,
		    conf_keys[i].name);
		return;
	}
	conf_set(p, (enum conf_key_id)i, val);
}

/* One line of len bytes (terminator removed), not NUL-terminated. */
static void
conf_line(struct conf_parser *p, const char *text, size_t len)
{
	char buf[HLX_CONF_LINE_MAX + 1], *s;
	size_t i;

	if (len > HLX_CONF_LINE_MAX) {
		conf_error(p, p->line, "line longer than %d bytes",
		    HLX_CONF_LINE_MAX);
		return;
	}
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)text[i];
		if (ch == '\0') {
			conf_error(p, p->line, "NUL byte in line");
			return;
		}
		if ((ch < 0x20 && ch != '\t') || ch == 0x7f) {
			conf_error(p, p->line, "control character 0x%02x in "
			    "line", ch);
			return;
		}
	}
	memcpy(buf, text, len);
	buf[len] = '\0';
	s = conf_trim(buf);
	if (*s == '\0' || *s == ';' || *s == '#')
		return;
	/*
	 * An inline comment needs a blank before it, so that a value may hold
	 * ';' or '#' (a path, a future URL fragment) without surprise.
	 */
	for (i = 1; s[i] != '\0'; i++) {
		if ((s[i] == ';' || s[i] == '#') && conf_is_blank(s[i - 1])) {
			s[i] = '\0';
			break;
		}
	}
	s = conf_trim(s);
	if (*s == '[')
		conf_section(p, s);
	else
		conf_keyval(p, s);
}

static int
conf_defaults(struct conf *c)
{
	static const struct conf_addr listen = { "0.0.0.0", 8443, AF_INET };
	static const struct conf_addr admin = { "127.0.0.1", 9443, AF_INET };
	int rc = -1;

	c->case_prefix = strdup("IN-");
	c->listen = listen;
	c->max_message_bytes = HLX_DEFAULT_MAX_MESSAGE_BYTES;
	c->max_connections = 512;
	c->max_connections_per_ip = 64;
	c->max_handshakes = 512 / 4;	/* conf_finish: from max_connections */
	c->handshake_timeout = 10;
	c->header_timeout = 10;
	c->body_timeout = 30;
	c->rate_limit = 50;
	c->rate_limit_bytes = HLX_DEFAULT_RATE_LIMIT_BYTES;
	c->tls_cert = strdup("/etc/hlx/tls/hotline.crt");
	c->tls_key = strdup("/etc/hlx/tls/hotline.key");
	c->store_path = strdup("/var/lib/hlx/hlx.db");
	c->audit_key = strdup("/var/lib/hlx/audit.key");
	c->min_free = (uint64_t)1 << 30;
	c->log_level = LOG_LEVEL_INFO;
	c->admin = admin;
	c->admin_allow_remote = 0;
	c->max_age = 7 * 86400;
	c->backoff_min = 30;
	c->backoff_max = 3600;
	c->connect_timeout = 10;
	c->delivery_timeout = 60;
	c->connections_per_peer = 4;
	c->handoff_dir = strdup("/var/spool/hlx/handoff");
	c->deadline_critical = 2 * 3600;
	c->deadline_high = 24 * 3600;
	c->deadline_medium = 72 * 3600;
	c->deadline_low = 7 * 86400;
	if (c->case_prefix == NULL || c->tls_cert == NULL ||
	    c->tls_key == NULL || c->store_path == NULL ||
	    c->audit_key == NULL || c->handoff_dir == NULL)
		goto out;
	rc = 0;
out:
	return rc;
}

/* The line to blame for a rule between two keys: a, else b where it was set. */
static long
conf_blame(const struct conf_parser *p, enum conf_key_id a,
    enum conf_key_id b)
{
	return p->kline[a] != 0 ? p->kline[a] : p->kline[b];
}

/* What can only be checked once every line has been read. */
static void
conf_finish(struct conf_parser *p, long last)
{
	struct conf *c = p->c;
	char q[CONF_QUOTE_MAX], addr[CONF_QUOTE_MAX + 8];
	size_t i;

	for (i = 0; i < K_COUNT; i++)
		if (conf_keys[i].required && p->kline[i] == 0)
			conf_error(p, last, "[%s] %s is required",
			    conf_keys[i].section, conf_keys[i].name);
	if (p->kline[K_RECEIVE_FOR] == 0 && c->country[0] != '\0') {
		memcpy(c->receive_for[0], c->country, sizeof(c->country));
		c->receive_for_count = 1;
	}
	if (!p->kbad[K_MAX_CONNECTIONS] && !p->kbad[K_MAX_CONNECTIONS_PER_IP] &&
	    c->max_connections_per_ip > c->max_connections)
		conf_error(p, conf_blame(p, K_MAX_CONNECTIONS_PER_IP,
		    K_MAX_CONNECTIONS), "[listen] max_connections_per_ip (%u) "
		    "is more than max_connections (%u)",
		    c->max_connections_per_ip, c->max_connections);
	/* Handshakes in progress have their own room, so that sockets that
	 * never authenticate cannot take the partners' (server.c). */
	if (p->kline[K_MAX_HANDSHAKES] == 0)
		c->max_handshakes = c->max_connections / 4 >
		    HLX_HANDSHAKES_MIN_DEFAULT ? c->max_connections / 4 :
		    HLX_HANDSHAKES_MIN_DEFAULT;
	if (!p->kbad[K_BACKOFF_MIN] && !p->kbad[K_BACKOFF_MAX] &&
	    c->backoff_min > c->backoff_max)
		conf_error(p, conf_blame(p, K_BACKOFF_MIN, K_BACKOFF_MAX),
		    "[delivery] backoff_min (%us) is more than backoff_max "
		    "(%us)", c->backoff_min, c->backoff_max);
	/*
	 * The admin listener is plain HTTP without authentication; exposing
	 * it must be a decision written in the file, not a typo.  Checked
	 * here so that the order of the two keys does not matter.
	 */
	if (!p->kbad[K_ADMIN_ADDRESS] && !p->kbad[K_ALLOW_REMOTE] &&
	    !c->admin_allow_remote && !conf_addr_is_loopback(&c->admin)) {
		snprintf(addr, sizeof(addr),
		    c->admin.family == AF_INET6 ? "[%s]:%d" : "%s:%d",
		    conf_quote(q, sizeof(q), c->admin.host), c->admin.port);
		conf_error(p, p->kline[K_ADMIN_ADDRESS], "[admin] address "
		    "\"%s\": not loopback; set allow_remote = yes to allow it",
		    addr);
	}
}

int
conf_parse(struct conf *c, const char *file, const char *base_dir,
    const char *buf, size_t len, struct conf_errors *errs)
{
	struct conf_parser p;
	const char *line, *nl, *end;
	size_t llen;
	int rc = -1;

	memset(c, 0, sizeof(*c));
	if (errs != NULL)
		memset(errs, 0, sizeof(*errs));
	memset(&p, 0, sizeof(p));
	p.c = c;
	p.file = file != NULL ? file : "(config)";
	p.base_dir = base_dir;
	p.errs = errs;

	if (len > HLX_CONF_MAX_BYTES) {
		conf_error(&p, -1, "larger than %ld bytes", HLX_CONF_MAX_BYTES);
		goto out;
	}
	if (conf_defaults(c) == -1) {
		p.oom = true;
		goto out;
	}
	line = buf;
	end = buf + len;
	/* A UTF-8 BOM, as some editors write it, is not part of line 1. */
	if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
		line += 3;
	while (line < end) {
		p.line++;
		nl = memchr(line, '\n', (size_t)(end - line));
		llen = (size_t)((nl != NULL ? nl : end) - line);
		if (llen > 0 && line[llen - 1] == '\r')
			llen--;
		conf_line(&p, line, llen);
		line = nl != NULL ? nl + 1 : end;
	}
	conf_finish(&p, p.line);
	if (p.nerr == 0 && !p.oom)
		rc = 0;
out:
	if (p.oom)
		conf_error(&p, -1, "out of memory");
	if (rc != 0)
		conf_free(c);
	return rc;
}

void
conf_free(struct conf *c)
{
	if (c == NULL)
		return;
	free(c->hotline_id);
	free(c->case_prefix);
	free(c->tls_cert);
	free(c->tls_key);
	free(c->tls_ca);
	free(c->store_path);
	free(c->audit_key);
	free(c->user);
	free(c->handoff_dir);
	memset(c, 0, sizeof(*c));
}

void
conf_errors_free(struct conf_errors *errs)
{
	size_t i;

	if (errs == NULL)
		return;
	for (i = 0; i < errs->count; i++)
		free(errs->lines[i]);
	free(errs->lines);
	memset(errs, 0, sizeof(*errs));
}

int
conf_receives_for(const struct conf *c, const char *cc)
{
	size_t i;

	if (c == NULL || cc == NULL)
		return 0;
	if (c->receive_any)
		return 1;
	for (i = 0; i < c->receive_for_count; i++)
		if (strcmp(c->receive_for[i], cc) == 0)
			return 1;
	return 0;
}
