/*
 * privdrop -- hlxd started as root: [daemon] user resolved, the drop to it
 * once the listeners are bound, the proof that it cannot be undone, and the
 * check that the files the daemon writes belong to that user (issue 7,
 * operations.md §1-2).
 *
 * An adapter: it calls getpwnam, initgroups, setgid, setuid, stat and
 * access.  It never exits and never logs: it returns sysexits codes, as
 * setup.h does, and hands every reason to the caller, one line each
 * ("what and where"), with no program name in front.
 *
 * Never: keep an id or a capability of root after privdrop_drop()
 * returned 0; resolve the user after the drop (NSS may need files root
 * alone can read).
 */
#ifndef HLX_PRIVDROP_H
#define HLX_PRIVDROP_H

#include <stddef.h>
#include <sys/types.h>

#include "conf.h"

#define PRIVDROP_NAME_MAX	33	/* conf.c: user names of 1 to 32 */

struct privdrop {
	int		pd_drop;	/* root now: privdrop_drop() drops */
	int		pd_root;	/* root and no [daemon] user: stays root */
	int		pd_check;	/* a user is set: check its files */
	uid_t		pd_uid;		/* whom hlxd runs as (after the drop) */
	gid_t		pd_gid;
	char		pd_user[PRIVDROP_NAME_MAX];
};

/*
 * Decides from user ([daemon] user, or NULL) and the effective uid:
 *   root, user set        -> 0, pd_drop and pd_check set;
 *   root, no user         -> 0, pd_root set (the caller decides: hlxd warns);
 *   not root, no user     -> 0, nothing to do;
 *   not root, that user   -> 0, pd_check set (files checked, nothing dropped);
 *   not root, another one -> 77 (only root can become another user);
 *   no such user, or root itself named -> 78.
 * On a non-zero return why holds the one line.
 */
int	privdrop_prepare(struct privdrop *, const char *user, char *why,
	    size_t whysz);

/*
 * With pd_drop: initgroups (the user's own groups, none of root's), setgid,
 * setuid, in that order; then proves that real, effective and saved ids
 * are the user's, that no group is root's, that setuid(0), seteuid(0) and
 * setgid(0) fail and that no capability is left.  Call it before anything
 * from the network is read and before any thread starts.  0 (also without
 * pd_drop), or 77 when a step failed, 70 when a proof failed: either way
 * the process must exit.
 */
int	privdrop_drop(const struct privdrop *, char *why, size_t whysz);

/*
 * With pd_check, run as the user (after privdrop_drop()): the store, its
 * -wal and -shm, the audit key and the hand-off directory must belong to
 * the user, and so must the directories in which the missing ones (and the
 * store's -wal and -shm, always) are created.  The [tls] files are not
 * its concern: hlxd reads them before the drop, so the key may stay
 * root's.  Each problem is one line through report.  0, 77, or 78 when a directory
 * that must exist does not (permission problems outrank it).
 */
int	privdrop_check_files(const struct privdrop *, const struct conf *,
	    void (*report)(const char *line, void *arg), void *arg);

#endif /* HLX_PRIVDROP_H */
