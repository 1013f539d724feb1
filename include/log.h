/*
 * log -- one line per event, for operators.
 *
 * Lines are "ts=... level=... " followed by what the caller formats, which by
 * convention is more key=value pairs (event= peer= message_id= case=).  A
 * string that came from a partner or a file goes through log_escape() first,
 * so that it can neither forge a line nor carry terminal escapes.
 *
 * log_warn() appends strerror(errno); log_warnx() does not.  fatal() and
 * fatalx() log and exit(70): they are for start-up and broken invariants only,
 * never for bad input (STYLE.md).  Never log message bodies or keys.
 */
#ifndef HLX_LOG_H
#define HLX_LOG_H

#include <stddef.h>

enum log_level {
	LOG_LEVEL_DEBUG = 0,
	LOG_LEVEL_INFO,
	LOG_LEVEL_WARN,
	LOG_LEVEL_ERROR,
};

/* to_syslog: 0 = stderr (foreground, tests, hlx), 1 = syslog (daemon). */
void	log_init(const char *progname, int to_syslog, enum log_level level);
void	log_set_level(enum log_level level);
/* "debug", "info", "warn", "error" -> level; -1 if unknown. */
int	log_level_parse(const char *name, enum log_level *out);

void	log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	fatal(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2), noreturn));

/*
 * Escapes src for a log line into dst (size dstsz, always terminated):
 * printable ASCII other than '"' and '\\' is copied, everything else becomes
 * \xHH; the result is cut at dstsz-1 with "..." when too long.  Returns dst.
 */
char	*log_escape(char *dst, size_t dstsz, const char *src);

#endif /* HLX_LOG_H */
