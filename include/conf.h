/*
 * conf -- hlx.conf (operations.md §1): one parser, one struct.
 *
 * Pure: conf_parse() reads a buffer the caller loaded, never a file, and
 * never exits.  Every problem is reported as "FILE:LINE: what" into the
 * caller's conf_errors; a file with any error is rejected whole and the
 * struct is left empty (conf_free() is still safe).  Unknown sections and
 * keys, bad values, duplicate keys and lines over HLX_CONF_LINE_MAX bytes are
 * errors, never ignored or truncated.
 *
 * Relative paths in the file are made absolute against base_dir (the
 * directory of the configuration file), so a configuration works whatever
 * the current directory of the program that reads it.
 *
 * Ownership: every string in struct conf belongs to it; conf_free() releases
 * them.  conf_errors owns its lines; conf_errors_free() releases them.
 *
 * Text: lines end in "\n" or "\r\n" (a file saved on Windows works; the
 * "\r" does not count towards HLX_CONF_LINE_MAX); a leading UTF-8 BOM is
 * skipped.  Any other control byte than tab, and NUL above all, is an error:
 * it is either a damaged file or an attempt to smuggle something past a
 * reader.  Lines are numbered from 1.  An error about the file as a whole
 * that has no line of its own (a required key missing) names the last line
 * of the file, which is 0 for an empty file.
 */
#ifndef HLX_CONF_H
#define HLX_CONF_H

#include <stddef.h>
#include <stdint.h>

#include "hlx_limits.h"
#include "log.h"

struct conf_addr {
	char		host[64];	/* numeric IPv4 or IPv6, no brackets */
	int		port;		/* 0..65535; 0 = any free port */
	int		family;		/* AF_INET or AF_INET6 */
};

struct conf {
	/* [hotline] */
	char		*hotline_id;
	char		 country[3];
	int		 receive_any;	/* receive_for = * */
	char		 receive_for[HLX_RECEIVE_FOR_MAX][3];
	size_t		 receive_for_count;
	char		*case_prefix;

	/* [listen] */
	struct conf_addr listen;
	uint64_t	 max_message_bytes;
	unsigned	 max_connections;
	unsigned	 max_connections_per_ip;
	unsigned	 max_handshakes;	/* TLS handshakes in progress */
	unsigned	 handshake_timeout;	/* seconds */
	unsigned	 header_timeout;
	unsigned	 body_timeout;
	unsigned	 rate_limit;		/* messages/s per peer */
	uint64_t	 rate_limit_bytes;	/* body bytes/s per peer */

	/* [tls] */
	char		*tls_cert;
	char		*tls_key;
	char		*tls_ca;		/* NULL: pins only */

	/* [storage] */
	char		*store_path;
	char		*audit_key;
	uint64_t	 min_free;		/* bytes */

	/* [daemon] */
	char		*user;			/* NULL: do not drop */

	/* [log] */
	enum log_level	 log_level;

	/* [admin] */
	struct conf_addr admin;
	int		 admin_allow_remote;

	/* [delivery] */
	unsigned	 max_age;		/* seconds */
	unsigned	 backoff_min;
	unsigned	 backoff_max;
	unsigned	 connect_timeout;
	unsigned	 delivery_timeout;
	unsigned	 connections_per_peer;

	/* [handoff] */
	char		*handoff_dir;
	unsigned	 deadline_critical;	/* seconds */
	unsigned	 deadline_high;
	unsigned	 deadline_medium;
	unsigned	 deadline_low;
};

struct conf_errors {
	char		**lines;	/* "FILE:LINE: what", no newline */
	size_t		  count;	/* lines kept */
	size_t		  total;	/* errors found, kept or not */
};

/*
 * Parses len bytes of buf, named file in messages, into c (which it first
 * fills with the defaults of operations.md §1).  Returns 0, or -1 with at
 * least one line in errs.  At most HLX_CONF_ERRORS_MAX lines are kept; the
 * last then says that more were not shown.
 *
 * c and errs are overwritten, not freed: pass them zeroed, or after
 * conf_free() / conf_errors_free() (a reload parses into a new struct and
 * keeps the old one until the new one is good).  buf need not be
 * NUL-terminated.  base_dir must be absolute for a relative path in the file
 * to be accepted.  errs may be NULL (the caller only wants 0 or -1).  Should
 * memory run out, the result is -1 and "FILE: out of memory" is the last line
 * when there was memory left to keep it.
 */
int	conf_parse(struct conf *c, const char *file, const char *base_dir,
	    const char *buf, size_t len, struct conf_errors *errs);
/* Both free what they own and leave the struct zeroed; NULL is fine. */
void	conf_free(struct conf *c);
void	conf_errors_free(struct conf_errors *errs);

/*
 * Whether country cc is one this hotline receives for ([hotline] receive_for):
 * 1 when it is in the list or the list is "*", else 0 (and for NULL).
 */
int	conf_receives_for(const struct conf *c, const char *cc);

#endif /* HLX_CONF_H */
