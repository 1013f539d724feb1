/*
 * hlx_cli.c -- see hlx_cli.h.
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "hlx_cli.h"
#include "setup.h"
#include "types.h"

/* Every command, one table per concern: `hlx --help` lists them in
 * this order. */
const struct cli_command *const cli_tables[] = {
	cli_message_commands,
	cli_peer_commands,
	cli_admin_commands,
	cli_inbox_commands,
	cli_submit_commands,
	cli_case_commands,
	cli_stats_commands,
	NULL,
};

static const struct cli_command *
find(const char *name)
{
	const struct cli_command *c;
	size_t t;

	for (t = 0; cli_tables[t] != NULL; t++)
		for (c = cli_tables[t]; c->name != NULL; c++)
			if (strcmp(c->name, name) == 0)
				return c;
	return NULL;
}

int
cli_usage(const char *name, int code)
{
	const struct cli_command *c = find(name);
	FILE *f = code == 0 ? stdout : stderr;

	if (c == NULL)
		return code;
	fprintf(f, "usage: hlx [-c FILE] %s\n", c->usage);
	if (code == 0)
		fprintf(f, "\n%s\n", c->help);
	return code;
}

int
cli_conf(struct cli *cli)
{
	int rc;

	if (cli->conf_loaded)
		return 0;
	if ((rc = setup_conf(cli->conf_path, &cli->conf)) != 0)
		return rc;
	cli->conf_loaded = 1;
	return 0;
}

/* "name (uid N)", or "uid N". */
static const char *
user_name(uid_t uid, char *buf, size_t bufsz)
{
	struct passwd *pw = getpwuid(uid);

	if (pw != NULL)
		snprintf(buf, bufsz, "%s (uid %lu)", pw->pw_name,
		    (unsigned long)uid);
	else
		snprintf(buf, bufsz, "uid %lu", (unsigned long)uid);
	return buf;
}

/*
 * issue 7: root must never leave a store, audit key or hand-off file that
 * hlxd, running as [daemon] user, cannot write.  So hlx writes only a
 * store its effective uid owns, and creates one only in a directory it
 * owns.  store_open() is always a read-write open that creates the store
 * and the audit key when they are missing; a reading command therefore
 * counts as writing when either is missing.  Otherwise a reading command
 * may read a store of another user when permissions allow -- in practice
 * root, as the store is 0600: SQLite gives the -wal and -shm it makes as
 * root to the store's owner, and nothing else is written.  0, or 77 with
 * the line in err.
 */
static int
check_owner(const struct cli *cli, int writing, struct store_err *err)
{
	const char *path = cli->conf.store_path, *what = "store";
	char dirbuf[PATH_MAX], owner[128], me[128];
	struct stat sb;
	uid_t euid = geteuid();

	if (stat(path, &sb) == -1) {
		if (errno != ENOENT)
			return 0;	/* store_open() says why */
		snprintf(dirbuf, sizeof(dirbuf), "%s", path);
		path = dirname(dirbuf);
		what = "directory of the store";
		if (stat(path, &sb) == -1)
			return 0;
	} else if (!writing && access(cli->conf.audit_key, F_OK) == 0)
		return 0;
	if (sb.st_uid == euid)
		return 0;
	return store_set_err(err, STORE_PERM, "%s %s is owned by %s, not by "
	    "%s: hlx writes only a store it owns, so that hlxd can still "
	    "write it; run hlx as that user (e.g. with sudo -u)", what, path,
	    user_name(sb.st_uid, owner, sizeof(owner)),
	    user_name(euid, me, sizeof(me)));
}

int
cli_store(struct cli *cli)
{
	struct store_err err;
	struct passwd *pw;
	int rc;

	if (cli->store != NULL)
		return 0;
	if ((rc = cli_conf(cli)) != 0)
		return rc;
	/* The audit trail names the Unix user who made each change. */
	if ((pw = getpwuid(getuid())) != NULL)
		snprintf(cli->actor, sizeof(cli->actor), "%s", pw->pw_name);
	else
		snprintf(cli->actor, sizeof(cli->actor), "uid:%lu",
		    (unsigned long)getuid());
	if (check_owner(cli, 0, &err) == -1 ||
	    store_open(&cli->store, cli->conf.store_path, cli->conf.audit_key,
	    cli->actor, &err) == -1)
		return cli_store_fail(&err);
	return 0;
}

void
cli_free(struct cli *cli)
{
	store_close(cli->store);
	cli->store = NULL;
	if (cli->conf_loaded)
		conf_free(&cli->conf);
	cli->conf_loaded = 0;
}

int
cli_read_fail(const char *path, enum file_result r, size_t len, size_t max)
{
	switch (r) {
	case FILE_OK:
		return 0;
	case FILE_MISSING:
		fprintf(stderr, "hlx: %s: no such file\n", path);
		return EX_NOINPUT;
	case FILE_TOO_LARGE:
		/* From a pipe only max + 1 bytes are read: over, by how much
		 * is not known. */
		if (strcmp(path, "-") == 0)
			fprintf(stderr, "hlx: %s: more than %zu bytes; the "
			    "limit is %zu\n", path, max, max);
		else
			fprintf(stderr, "hlx: %s: %zu bytes; the limit is "
			    "%zu\n", path, len, max);
		return EX_DATAERR;
	default:
		fprintf(stderr, "hlx: %s: cannot read: %s\n", path,
		    strerror(errno));
		return errno == EACCES ? EX_NOPERM : EX_IOERR;
	}
}

static int
exit_code(const struct store_err *err)
{
	switch (err->rc) {
	case STORE_OK:
		return 0;
	case STORE_NOTFOUND:
	case STORE_REFUSED:
		return EX_DATAERR;
	case STORE_BUSY:
		return EX_TEMPFAIL;
	case STORE_IO:
		return EX_IOERR;
	case STORE_PERM:
		return EX_NOPERM;
	default:
		return EX_SOFTWARE;
	}
}

int
cli_store_fail(const struct store_err *err)
{
	fprintf(stderr, "hlx: %s\n", err->msg);
	return exit_code(err);
}

int
cli_write_quiet(struct cli *cli, int (*f)(struct cli *, void *,
    struct store_err *), void *arg, struct store_err *err)
{
	int rc;

	if ((rc = cli_store(cli)) != 0) {
		err->rc = STORE_FAIL;
		snprintf(err->msg, sizeof(err->msg), "the store cannot be "
		    "opened");
		return rc;
	}
	memset(err, 0, sizeof(*err));
	if (check_owner(cli, 1, err) == -1)
		return exit_code(err);
	if (store_begin(cli->store, err) == -1)
		return exit_code(err);
	if (f(cli, arg, err) == -1) {
		store_rollback(cli->store);
		return exit_code(err);
	}
	if (store_commit(cli->store, err) == -1)
		return exit_code(err);
	return 0;
}

int
cli_write(struct cli *cli, int (*f)(struct cli *, void *, struct store_err *),
    void *arg)
{
	struct store_err err;
	int rc;

	if ((rc = cli_store(cli)) != 0)
		return rc;
	if ((rc = cli_write_quiet(cli, f, arg, &err)) != 0)
		cli_store_fail(&err);
	return rc;
}

int
cli_print_json(json_t *j)
{
	int rc = 0;

	if (j == NULL) {
		fprintf(stderr, "hlx: out of memory\n");
		return EX_SOFTWARE;
	}
	if (json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER) == -1 ||
	    fputc('\n', stdout) == EOF) {
		fprintf(stderr, "hlx: standard output: %s\n", strerror(errno));
		rc = EX_IOERR;
	}
	json_decref(j);
	return rc;
}

const char *
cli_time(time_t t, char *buf, size_t bufsz)
{
	if (t == 0 || type_timestamp_format(t, buf, bufsz) == -1)
		snprintf(buf, bufsz, "-");
	return buf;
}
