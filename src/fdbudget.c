/*
 * fdbudget -- hlxd's descriptor budget against RLIMIT_NOFILE (fdbudget.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "fdbudget.h"
#include "hlx_limits.h"

void
fdbudget_need(const struct conf *c, unsigned long transfers,
    struct fdbudget *b)
{
	memset(b, 0, sizeof(*b));
	/* server.h: handshakes have their own cap; authenticated
	 * connections are answered BUSY up to twice max_connections. */
	b->fb_partner = 1 + (unsigned long)c->max_handshakes +
	    2UL * c->max_connections;
	b->fb_admin = 1 + HLX_ADMIN_CONNECTIONS_MAX;
	b->fb_delivery = transfers * HLX_FDS_PER_TRANSFER;
	b->fb_store = HLX_FDS_STORE;
	b->fb_handoff = HLX_FDS_HANDOFF;
	b->fb_margin = HLX_FDS_MARGIN;
	b->fb_total = b->fb_partner + b->fb_admin + b->fb_delivery +
	    b->fb_store + b->fb_handoff + b->fb_margin;
}

/* "N (partner listener P = ..., admin A, ...)": how the total is made. */
static void
describe(const struct fdbudget *b, char *s, size_t sz)
{
	snprintf(s, sz, "%lu descriptors (partner listener %lu: "
	    "1 + max_handshakes + 2 x max_connections; admin %lu; delivery "
	    "%lu; store %lu; hand-offs %lu; margin %lu)", b->fb_total,
	    b->fb_partner, b->fb_admin, b->fb_delivery, b->fb_store,
	    b->fb_handoff, b->fb_margin);
}

enum fdbudget_result
fdbudget_apply(const struct fdbudget *b, int raise, unsigned long *soft,
    unsigned long *hard, char *line, size_t linesz)
{
	struct rlimit rl;
	char what[300];
	rlim_t want;

	*soft = *hard = 0;
	line[0] = '\0';
	if (getrlimit(RLIMIT_NOFILE, &rl) == -1) {
		snprintf(line, linesz, "getrlimit(RLIMIT_NOFILE): %s",
		    strerror(errno));
		return FDBUDGET_FAILED;
	}
	*soft = rl.rlim_cur == RLIM_INFINITY ? (unsigned long)-1 :
	    (unsigned long)rl.rlim_cur;
	*hard = rl.rlim_max == RLIM_INFINITY ? (unsigned long)-1 :
	    (unsigned long)rl.rlim_max;
	describe(b, what, sizeof(what));
	if (*soft >= b->fb_total)
		return FDBUDGET_OK;
	if (*hard < b->fb_total) {
		snprintf(line, linesz, "the configuration can use %s, more "
		    "than the hard limit of open files (RLIMIT_NOFILE %lu, "
		    "soft %lu): raise it (LimitNOFILE= in the unit, ulimit "
		    "-Hn) or lower [listen] max_connections or "
		    "max_handshakes", what, *hard, *soft);
		return FDBUDGET_SHORT;
	}
	if (!raise)
		return FDBUDGET_OK;
	/* Up to the hard limit: the budget is a floor, and what it does not
	 * count (a library's descriptors) needs room too.  An unlimited
	 * hard limit is not a value the kernel takes for a soft one. */
	want = rl.rlim_max == RLIM_INFINITY ? (rlim_t)b->fb_total :
	    rl.rlim_max;
	rl.rlim_cur = want;
	if (setrlimit(RLIMIT_NOFILE, &rl) == -1) {
		snprintf(line, linesz, "setrlimit(RLIMIT_NOFILE, %lu): %s; "
		    "the configuration can use %s", (unsigned long)want,
		    strerror(errno), what);
		return FDBUDGET_FAILED;
	}
	snprintf(line, linesz, "soft limit of open files raised from %lu "
	    "to %lu: the configuration can use %s", *soft,
	    (unsigned long)want, what);
	return FDBUDGET_RAISED;
}
