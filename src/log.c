/*
 * log.c -- operator log lines to stderr or syslog.  See log.h.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "log.h"

static const char *log_progname = "hlx";
static int log_to_syslog;
/* Set by SIGHUP on the loop thread, read by every thread. */
static atomic_int log_min = LOG_LEVEL_INFO;

static const char *const log_level_names[] = {
	[LOG_LEVEL_DEBUG] = "debug",
	[LOG_LEVEL_INFO] = "info",
	[LOG_LEVEL_WARN] = "warn",
	[LOG_LEVEL_ERROR] = "error",
};

void
log_init(const char *progname, int to_syslog, enum log_level level)
{
	log_progname = progname;
	log_to_syslog = to_syslog;
	atomic_store(&log_min, (int)level);
	if (to_syslog)
		openlog(progname, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void
log_set_level(enum log_level level)
{
	atomic_store(&log_min, (int)level);
}

int
log_level_parse(const char *name, enum log_level *out)
{
	size_t i;

	for (i = 0; i < sizeof(log_level_names) / sizeof(log_level_names[0]);
	    i++) {
		if (strcmp(name, log_level_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	return -1;
}

static void
log_vemit(enum log_level, int, const char *, va_list)
    __attribute__((format(printf, 3, 0)));

static void
log_vemit(enum log_level level, int errnum, const char *fmt, va_list ap)
{
	static const int prio[] = { LOG_DEBUG, LOG_INFO, LOG_WARNING, LOG_ERR };
	char msg[2048], ts[32];
	struct timespec now;
	struct tm tm;
	int n;

	if ((int)level < atomic_load(&log_min))
		return;
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	if (n < 0)
		return;
	/* A cut line still says that it was cut, never silently. */
	if ((size_t)n >= sizeof(msg))
		memcpy(msg + sizeof(msg) - 5, "...", 4);
	if (errnum != 0) {
		size_t len = strlen(msg);
		snprintf(msg + len, sizeof(msg) - len, " error=\"%s\"",
		    strerror(errnum));
	}
	if (log_to_syslog) {
		syslog(prio[level], "level=%s %s", log_level_names[level], msg);
		return;
	}
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(stderr, "ts=%s.%03ldZ level=%s %s\n", ts,
	    now.tv_nsec / 1000000, log_level_names[level], msg);
}

#define LOG_FN(name, level, witherr)					\
void									\
name(const char *fmt, ...)						\
{									\
	int saved = errno;						\
	va_list ap;							\
	va_start(ap, fmt);						\
	log_vemit(level, (witherr) ? saved : 0, fmt, ap);		\
	va_end(ap);							\
	errno = saved;							\
}

LOG_FN(log_debug, LOG_LEVEL_DEBUG, 0)
LOG_FN(log_info, LOG_LEVEL_INFO, 0)
LOG_FN(log_warn, LOG_LEVEL_WARN, 1)
LOG_FN(log_warnx, LOG_LEVEL_WARN, 0)
LOG_FN(log_error, LOG_LEVEL_ERROR, 0)

void
fatal(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	log_vemit(LOG_LEVEL_ERROR, saved, fmt, ap);
	va_end(ap);
	exit(70);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vemit(LOG_LEVEL_ERROR, 0, fmt, ap);
	va_end(ap);
	exit(70);
}

char *
log_escape(char *dst, size_t dstsz, const char *src)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;
	const unsigned char *s = (const unsigned char *)src;

	if (dstsz == 0)
		return dst;
	for (; *s != '\0'; s++) {
		size_t need = (*s >= 0x20 && *s < 0x7f && *s != '"' &&
		    *s != '\\') ? 1 : 4;
		if (o + need >= dstsz) {
			if (dstsz >= 4) {
				o = o > dstsz - 4 ? dstsz - 4 : o;
				memcpy(dst + o, "...", 3);
				o += 3;
			}
			break;
		}
		if (need == 1) {
			dst[o++] = (char)*s;
		} else {
			dst[o++] = '\\';
			dst[o++] = 'x';
			dst[o++] = hex[*s >> 4];
			dst[o++] = hex[*s & 0xf];
		}
	}
	dst[o] = '\0';
	return dst;
}
