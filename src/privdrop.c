/*
 * privdrop.c -- dropping root to [daemon] user, and the files that user
 * must own.  See privdrop.h.
 */
#define _GNU_SOURCE		/* getresuid, getresgid */
#include <errno.h>
#include <grp.h>
#include <libgen.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sysexits.h>
#include <unistd.h>

#include <linux/capability.h>

#include "privdrop.h"

#define PRIVDROP_GROUPS_MAX	1024	/* more is surely a mistake */

int
privdrop_prepare(struct privdrop *pd, const char *user, char *why,
    size_t whysz)
{
	struct passwd *pw;
	uid_t euid = geteuid();

	memset(pd, 0, sizeof(*pd));
	if (user == NULL) {
		pd->pd_root = euid == 0;
		pd->pd_uid = euid;
		pd->pd_gid = getegid();
		return 0;
	}
	errno = 0;
	if ((pw = getpwnam(user)) == NULL) {
		snprintf(why, whysz, "[daemon] user %s: %s", user,
		    errno == 0 || errno == ENOENT || errno == ESRCH ?
		    "no such user" : strerror(errno));
		return EX_CONFIG;
	}
	if (pw->pw_uid == 0) {
		snprintf(why, whysz, "[daemon] user %s: uid 0 is root; name an "
		    "unprivileged user of its own (e.g. hlx)", user);
		return EX_CONFIG;
	}
	if (euid != 0 && euid != pw->pw_uid) {
		snprintf(why, whysz, "[daemon] user %s (uid %lu): hlxd runs as "
		    "uid %lu, and only root can become another user: start it "
		    "as root or as %s", user, (unsigned long)pw->pw_uid,
		    (unsigned long)euid, user);
		return EX_NOPERM;
	}
	snprintf(pd->pd_user, sizeof(pd->pd_user), "%s", user);
	pd->pd_uid = pw->pw_uid;
	pd->pd_gid = pw->pw_gid;
	pd->pd_drop = euid == 0;
	pd->pd_check = 1;
	return 0;
}

/* Permitted and effective capabilities: 0 when none is left. */
static int
caps_left(void)
{
	struct __user_cap_header_struct hdr;
	struct __user_cap_data_struct data[2];
	size_t i;

	memset(&hdr, 0, sizeof(hdr));
	memset(data, 0, sizeof(data));
	hdr.version = _LINUX_CAPABILITY_VERSION_3;
	if (syscall(SYS_capget, &hdr, data) == -1)
		return -1;
	for (i = 0; i < 2; i++)
		if (data[i].permitted != 0 || data[i].effective != 0)
			return 1;
	return 0;
}

int
privdrop_drop(const struct privdrop *pd, char *why, size_t whysz)
{
	gid_t groups[PRIVDROP_GROUPS_MAX];
	uid_t ru, eu, su;
	gid_t rg, eg, sg;
	int n, i;

	if (!pd->pd_drop)
		return 0;
	/*
	 * The order matters: groups and gid can only be changed while we
	 * are still root, so setuid() comes last.  initgroups() rather than
	 * setgroups(1, &gid): root's groups go, and the groups the
	 * administrator gave the user in /etc/group are kept on purpose.
	 */
	if (initgroups(pd->pd_user, pd->pd_gid) == -1) {
		snprintf(why, whysz, "[daemon] user %s: initgroups: %s",
		    pd->pd_user, strerror(errno));
		return EX_NOPERM;
	}
	if (setgid(pd->pd_gid) == -1) {
		snprintf(why, whysz, "[daemon] user %s: setgid(%lu): %s",
		    pd->pd_user, (unsigned long)pd->pd_gid, strerror(errno));
		return EX_NOPERM;
	}
	if (setuid(pd->pd_uid) == -1) {
		snprintf(why, whysz, "[daemon] user %s: setuid(%lu): %s",
		    pd->pd_user, (unsigned long)pd->pd_uid, strerror(errno));
		return EX_NOPERM;
	}
	/* The proof: every id is the user's, and root cannot come back. */
	if (getresuid(&ru, &eu, &su) == -1 || getresgid(&rg, &eg, &sg) == -1 ||
	    ru != pd->pd_uid || eu != pd->pd_uid || su != pd->pd_uid ||
	    rg != pd->pd_gid || eg != pd->pd_gid || sg != pd->pd_gid) {
		snprintf(why, whysz, "[daemon] user %s: after the drop the "
		    "real, effective and saved ids are not all the user's",
		    pd->pd_user);
		return EX_SOFTWARE;
	}
	if ((n = getgroups(PRIVDROP_GROUPS_MAX, groups)) == -1) {
		snprintf(why, whysz, "[daemon] user %s: getgroups: %s",
		    pd->pd_user, strerror(errno));
		return EX_SOFTWARE;
	}
	for (i = 0; i < n; i++)
		if (groups[i] == 0) {
			snprintf(why, whysz, "[daemon] user %s: is a member of "
			    "group 0 (root); take it out of that group",
			    pd->pd_user);
			return EX_SOFTWARE;
		}
	if (pd->pd_gid == 0) {
		snprintf(why, whysz, "[daemon] user %s: its group is 0 (root); "
		    "give it a group of its own", pd->pd_user);
		return EX_SOFTWARE;
	}
	if (setuid(0) != -1 || seteuid(0) != -1 || setgid(0) != -1) {
		snprintf(why, whysz, "[daemon] user %s: root can be regained "
		    "after the drop", pd->pd_user);
		return EX_SOFTWARE;
	}
	/* Kept only if securebits said so (SECBIT_KEEP_CAPS and friends). */
	if (caps_left() != 0) {
		snprintf(why, whysz, "[daemon] user %s: capabilities are left "
		    "after the drop", pd->pd_user);
		return EX_SOFTWARE;
	}
	return 0;
}

/* "name (uid N)", or "uid N" for an id without a name. */
static const char *
who(uid_t uid, char *buf, size_t bufsz)
{
	struct passwd *pw = getpwuid(uid);

	if (pw != NULL)
		snprintf(buf, bufsz, "%s (uid %lu)", pw->pw_name,
		    (unsigned long)uid);
	else
		snprintf(buf, bufsz, "uid %lu", (unsigned long)uid);
	return buf;
}

struct check {
	const struct privdrop	*ck_pd;
	void			(*ck_report)(const char *, void *);
	void			*ck_arg;
	int			 ck_rc;
};

static void
problem(struct check *ck, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
problem(struct check *ck, int rc, const char *fmt, ...)
{
	char line[PATH_MAX + 512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	ck->ck_report(line, ck->ck_arg);
	/* Permission problems outrank the others (as setup.c's). */
	if (rc == EX_NOPERM || ck->ck_rc == 0)
		ck->ck_rc = rc;
}

/*
 * path must be the user's.  Missing: 0 and *missing = 1, unless it is a
 * directory that must exist (must_exist), which is a problem.  -1 when a
 * problem was reported.
 */
static int
owned(struct check *ck, const char *what, const char *path, int dir,
    int must_exist, int *missing)
{
	char owner[128];
	struct stat sb;

	if (missing != NULL)
		*missing = 0;
	if (stat(path, &sb) == -1) {
		if (errno == ENOENT && !must_exist) {
			if (missing != NULL)
				*missing = 1;
			return 0;
		}
		if (errno == ENOENT)
			problem(ck, EX_CONFIG, "%s %s: does not exist; create "
			    "it, owned by %s, mode 0700", what, path,
			    ck->ck_pd->pd_user);
		else
			problem(ck, EX_NOPERM, "%s %s: %s cannot examine it: "
			    "%s", what, path, ck->ck_pd->pd_user,
			    strerror(errno));
		return -1;
	}
	if (dir && !S_ISDIR(sb.st_mode)) {
		problem(ck, EX_CONFIG, "%s %s: not a directory", what, path);
		return -1;
	}
	if (sb.st_uid != ck->ck_pd->pd_uid) {
		problem(ck, EX_NOPERM, "%s %s: owned by %s, not by %s, whom "
		    "hlxd runs as: it could not write it; chown %sit to %s",
		    what, path, who(sb.st_uid, owner, sizeof(owner)),
		    ck->ck_pd->pd_user, dir ? "-R " : "", ck->ck_pd->pd_user);
		return -1;
	}
	return 0;
}

/* The directory of path, in buf. */
static const char *
dir_of(const char *path, char *buf, size_t bufsz)
{
	snprintf(buf, bufsz, "%s", path);
	return dirname(buf);
}

int
privdrop_check_files(const struct privdrop *pd, const struct conf *c,
    void (*report)(const char *, void *), void *arg)
{
	char buf[PATH_MAX], dbuf[PATH_MAX], kbuf[PATH_MAX];
	const char *sdir;
	struct check ck;
	int missing, sdir_ok;

	if (!pd->pd_check)
		return 0;
	ck.ck_pd = pd;
	ck.ck_report = report;
	ck.ck_arg = arg;
	ck.ck_rc = 0;
	/* SQLite creates the store, its -wal and -shm (and removes the
	 * -wal) in the store's directory: it must be the user's.  What a
	 * directory of another user holds may not even be visible to the
	 * user: then the directory's line (chown -R) says it all. */
	sdir = dir_of(c->store_path, dbuf, sizeof(dbuf));
	sdir_ok = owned(&ck, "[storage] path: directory", sdir, 1, 1,
	    NULL) == 0;
	if (sdir_ok) {
		owned(&ck, "[storage] path", c->store_path, 0, 0, NULL);
		snprintf(buf, sizeof(buf), "%s-wal", c->store_path);
		owned(&ck, "[storage] path", buf, 0, 0, NULL);
		snprintf(buf, sizeof(buf), "%s-shm", c->store_path);
		owned(&ck, "[storage] path", buf, 0, 0, NULL);
	}
	/* A missing audit key is created on first use, where it goes. */
	if (strcmp(dir_of(c->audit_key, kbuf, sizeof(kbuf)), sdir) != 0) {
		owned(&ck, "[storage] audit_key", c->audit_key, 0, 0, &missing);
		if (missing)
			owned(&ck, "[storage] audit_key: directory", kbuf, 1, 1,
			    NULL);
	} else if (sdir_ok)
		owned(&ck, "[storage] audit_key", c->audit_key, 0, 0, NULL);
	/* hlxd makes a missing hand-off directory itself. */
	owned(&ck, "[handoff] dir", c->handoff_dir, 1, 0, &missing);
	if (missing)
		owned(&ck, "[handoff] dir: parent directory",
		    dir_of(c->handoff_dir, buf, sizeof(buf)), 1, 1, NULL);
	return ck.ck_rc;
}
