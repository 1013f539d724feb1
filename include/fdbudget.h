/*
 * fdbudget -- hlxd's descriptor budget (issue 13): what its configuration
 * can hold open at once, against RLIMIT_NOFILE.
 *
 * A daemon that runs out of descriptors fails where it cannot say why: an
 * accept() loop, a hand-off that cannot be opened, a store that cannot
 * grow its -wal.  So hlxd counts at start-up (and -n) what its
 * configuration lets it use and raises its soft limit to the hard one
 * when the soft one is short, or refuses to start (78) naming the numbers.
 *
 * fdbudget_need() is arithmetic on the configuration; fdbudget_apply()
 * calls getrlimit and setrlimit (an adapter) and never exits or logs: the
 * caller gets the line to print.
 */
#ifndef HLX_FDBUDGET_H
#define HLX_FDBUDGET_H

#include <stddef.h>

#include "conf.h"

struct fdbudget {
	unsigned long	fb_partner;	/* listener + handshakes + 2 x conns */
	unsigned long	fb_admin;	/* listener + its cap */
	unsigned long	fb_delivery;	/* transfers x HLX_FDS_PER_TRANSFER */
	unsigned long	fb_store;
	unsigned long	fb_handoff;
	unsigned long	fb_margin;
	unsigned long	fb_total;
};

/*
 * The budget of c, with at most transfers delivery transfers at once (the
 * delivery thread's bound; each peer's connections_per_peer is a cap
 * within it, and peers come and go while hlxd runs).
 */
void	fdbudget_need(const struct conf *c, unsigned long transfers,
	    struct fdbudget *b);

/* What fdbudget_apply() did. */
enum fdbudget_result {
	FDBUDGET_OK,		/* the soft limit was enough */
	FDBUDGET_RAISED,	/* the soft limit raised to the hard one */
	FDBUDGET_SHORT,		/* the hard limit is too low: refuse (78) */
	FDBUDGET_FAILED		/* getrlimit or setrlimit failed */
};

/*
 * Compares b with RLIMIT_NOFILE; with raise, a short soft limit is raised
 * to the hard limit (-n only looks).  Fills *soft and *hard with the
 * limits before, and line with what to tell an operator (for SHORT and
 * FAILED: why, with the numbers and what to change; for RAISED: the
 * numbers).
 */
enum fdbudget_result fdbudget_apply(const struct fdbudget *b, int raise,
	    unsigned long *soft, unsigned long *hard, char *line,
	    size_t linesz);

#endif /* HLX_FDBUDGET_H */
