/*
 * store.c -- opening the store, its schema and migrations, transactions and
 * the statement helpers the other store_*.c files share.
 *
 * SECURITY: reads and writes [storage] path (the store, its -wal and -shm
 * files) and [storage] audit_key, both mode 0600; refuses either when group
 * or others may read or write it.  Statements are always prepared with
 * bound parameters: no value is ever spliced into SQL.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file.h"
#include "store_int.h"
#include "store_sql.h"

int
store_set_err(struct store_err *err, enum store_rc rc, const char *fmt, ...)
{
	va_list ap;

	err->rc = rc;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -1;
}

static enum store_rc
map_rc(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return STORE_BUSY;
	case SQLITE_IOERR:
	case SQLITE_FULL:
	case SQLITE_CANTOPEN:
		return STORE_IO;
	case SQLITE_READONLY:
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return STORE_PERM;
	default:
		return STORE_FAIL;
	}
}

int
store_fail(struct store *st, struct store_err *err, int rc, const char *doing)
{
	return store_set_err(err, map_rc(rc), "store %s: %s: %s", st->path,
	    doing, st->db != NULL ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc));
}

static sqlite3_stmt *
stmt_v(struct store *st, struct store_err *err, const char *sql,
    const char *fmt, va_list ap)
{
	sqlite3_stmt *s = NULL;
	const char *str;
	const void *blob;
	size_t len;
	int rc, i;

	rc = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL);
	if (rc != SQLITE_OK) {
		store_fail(st, err, rc, "prepare");
		return NULL;
	}
	for (i = 0; fmt != NULL && fmt[i] != '\0'; i++) {
		switch (fmt[i]) {
		case 's':
			str = va_arg(ap, const char *);
			rc = str == NULL ? sqlite3_bind_null(s, i + 1) :
			    sqlite3_bind_text(s, i + 1, str, -1,
			    SQLITE_TRANSIENT);
			break;
		case 'i':
			rc = sqlite3_bind_int64(s, i + 1, va_arg(ap, int64_t));
			break;
		case 't': {
			time_t t = va_arg(ap, time_t);

			rc = t == 0 ? sqlite3_bind_null(s, i + 1) :
			    sqlite3_bind_int64(s, i + 1, (sqlite3_int64)t);
			break;
		}
		case 'b':
			blob = va_arg(ap, const void *);
			len = va_arg(ap, size_t);
			rc = sqlite3_bind_blob64(s, i + 1, blob,
			    (sqlite3_uint64)len, SQLITE_TRANSIENT);
			break;
		default:
			rc = SQLITE_MISUSE;
		}
		if (rc != SQLITE_OK) {
			store_fail(st, err, rc, "bind");
			sqlite3_finalize(s);
			return NULL;
		}
	}
	return s;
}

sqlite3_stmt *
store_stmt(struct store *st, struct store_err *err, const char *sql,
    const char *fmt, ...)
{
	sqlite3_stmt *s;
	va_list ap;

	va_start(ap, fmt);
	s = stmt_v(st, err, sql, fmt, ap);
	va_end(ap);
	return s;
}

int
store_exec(struct store *st, struct store_err *err, const char *sql,
    const char *fmt, ...)
{
	sqlite3_stmt *s;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	s = stmt_v(st, err, sql, fmt, ap);
	va_end(ap);
	if (s == NULL)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		;
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return store_fail(st, err, rc, "write");
	return 0;
}

const char *
store_col_text(struct arena *a, sqlite3_stmt *s, int col)
{
	const unsigned char *t = sqlite3_column_text(s, col);

	if (t == NULL)
		return NULL;
	return arena_strndup(a, (const char *)t,
	    (size_t)sqlite3_column_bytes(s, col));
}

void *
store_grow(struct arena *a, void *v, size_t n, size_t *cap, size_t size)
{
	void *nv;

	if (n < *cap)
		return v;
	if (*cap > SIZE_MAX / 2 / size)
		return NULL;
	*cap = *cap == 0 ? 16 : *cap * 2;
	if ((nv = arena_alloc(a, *cap * size)) == NULL)
		return NULL;
	if (n > 0)
		memcpy(nv, v, n * size);
	return nv;
}

/* Forward migrations: entry v turns a store of version v-1 into v. */
static const struct {
	int		 version;
	const char	*sql;
} migrations[] = {
	{ 1, store_sql },
	{ 2, store_sql_2 },
	{ 3, store_sql_3 },
};

static int
migrate(struct store *st, struct store_err *err)
{
	sqlite3_stmt *s;
	char *errmsg = NULL, pragma[64];
	int version, rc;
	size_t i;

	if (store_begin(st, err) == -1)
		return -1;
	if ((s = store_stmt(st, err, "PRAGMA user_version", NULL)) == NULL)
		goto fail;
	rc = sqlite3_step(s);
	version = rc == SQLITE_ROW ? sqlite3_column_int(s, 0) : -1;
	sqlite3_finalize(s);
	if (version < 0) {
		store_fail(st, err, rc, "read the schema version");
		goto fail;
	}
	if (version > STORE_SCHEMA_VERSION) {
		store_set_err(err, STORE_TOO_NEW, "store %s: schema version "
		    "%d is newer than this hlx knows (%d): use a newer hlx",
		    st->path, version, STORE_SCHEMA_VERSION);
		goto fail;
	}
	for (i = 0; i < sizeof(migrations) / sizeof(migrations[0]); i++) {
		if (migrations[i].version <= version)
			continue;
		rc = sqlite3_exec(st->db, migrations[i].sql, NULL, NULL,
		    &errmsg);
		if (rc != SQLITE_OK) {
			store_set_err(err, map_rc(rc), "store %s: migration to "
			    "version %d: %s", st->path, migrations[i].version,
			    errmsg != NULL ? errmsg : sqlite3_errstr(rc));
			sqlite3_free(errmsg);
			goto fail;
		}
		snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d",
		    migrations[i].version);
		if (store_exec(st, err, pragma, NULL) == -1)
			goto fail;
	}
	return store_commit(st, err);
fail:
	store_rollback(st);
	return -1;
}

/* The audit key: 32 random bytes, made once, 0600, fsync'd with its
 * directory so that a crash cannot leave a store whose chain has no key. */
static int
load_key(struct store *st, const char *path, struct store_err *err)
{
	char *buf = NULL, dirbuf[PATH_MAX];
	sqlite3_stmt *s;
	int64_t entries;
	size_t len, got = 0;
	mode_t mode;
	ssize_t r;
	int fd = -1, dfd = -1, rc = -1;

	switch (file_mode_too_open(path, 1, &mode)) {
	case 1:
		return store_set_err(err, STORE_PERM, "audit key %s: mode %04o "
		    "is too open (group or others may read or write it)", path,
		    (unsigned)mode);
	case -1:
		return store_set_err(err, STORE_IO, "audit key %s: %s", path,
		    strerror(errno));
	}
	switch (file_read(path, AUDIT_KEY_LEN, &buf, &len)) {
	case FILE_OK:
		if (len != AUDIT_KEY_LEN) {
			free(buf);
			return store_set_err(err, STORE_FAIL, "audit key %s: "
			    "%zu bytes, expected %d", path, len,
			    AUDIT_KEY_LEN);
		}
		memcpy(st->key, buf, AUDIT_KEY_LEN);
		free(buf);
		return 0;
	case FILE_TOO_LARGE:
		return store_set_err(err, STORE_FAIL, "audit key %s: more than "
		    "%d bytes", path, AUDIT_KEY_LEN);
	case FILE_MISSING:
		break;
	default:
		return store_set_err(err, errno == EACCES ? STORE_PERM :
		    STORE_IO, "audit key %s: %s", path, strerror(errno));
	}
	/* A new key for an existing trail would make the whole trail
	 * unprovable, silently: the loss must show when it happens. */
	if ((s = store_stmt(st, err, "SELECT count(*) FROM audit", NULL)) ==
	    NULL)
		return -1;
	entries = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) :
	    -1;
	sqlite3_finalize(s);
	if (entries != 0)
		return store_set_err(err, STORE_FAIL, "audit key %s is missing "
		    "but the audit trail holds %lld entries: restore the key "
		    "from the backup of this store", path, (long long)entries);
	while (got < AUDIT_KEY_LEN) {
		r = getrandom(st->key + got, AUDIT_KEY_LEN - got, 0);
		if (r == -1 && errno != EINTR)
			return store_set_err(err, STORE_FAIL, "audit key: no "
			    "random bytes: %s", strerror(errno));
		if (r > 0)
			got += (size_t)r;
	}
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) ==
	    -1) {
		store_set_err(err, errno == EACCES ? STORE_PERM : STORE_IO,
		    "audit key %s: cannot create: %s", path, strerror(errno));
		goto out;
	}
	if (write(fd, st->key, AUDIT_KEY_LEN) != AUDIT_KEY_LEN ||
	    fsync(fd) == -1) {
		store_set_err(err, STORE_IO, "audit key %s: cannot write: %s",
		    path, strerror(errno));
		unlink(path);
		goto out;
	}
	snprintf(dirbuf, sizeof(dirbuf), "%s", path);
	if ((dfd = open(dirname(dirbuf), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) ==
	    -1 || fsync(dfd) == -1) {
		store_set_err(err, STORE_IO, "audit key %s: cannot sync its "
		    "directory: %s", path, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (fd != -1)
		close(fd);
	if (dfd != -1)
		close(dfd);
	return rc;
}

static int
check_mode(const char *what, const char *path, struct store_err *err)
{
	mode_t mode;

	switch (file_mode_too_open(path, 1, &mode)) {
	case 1:
		return store_set_err(err, STORE_PERM, "%s %s: mode %04o is too "
		    "open (group or others may read or write it)", what, path,
		    (unsigned)mode);
	case -1:
		return store_set_err(err, errno == EACCES ? STORE_PERM :
		    STORE_IO, "%s %s: %s", what, path, strerror(errno));
	}
	return 0;
}

int
store_open(struct store **out, const char *path, const char *key_path,
    const char *actor, struct store_err *err)
{
	struct store *st = NULL;
	char wal[PATH_MAX], shm[PATH_MAX];
	sqlite3_stmt *s;
	int rc;

	*out = NULL;
	memset(err, 0, sizeof(*err));
	snprintf(wal, sizeof(wal), "%s-wal", path);
	snprintf(shm, sizeof(shm), "%s-shm", path);
	if (check_mode("store", path, err) == -1 ||
	    check_mode("store", wal, err) == -1 ||
	    check_mode("store", shm, err) == -1)
		return -1;
	if ((st = calloc(1, sizeof(*st))) == NULL ||
	    (st->path = strdup(path)) == NULL ||
	    (st->actor = strdup(actor)) == NULL) {
		store_set_err(err, STORE_FAIL, "out of memory");
		goto fail;
	}
	rc = sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, NULL);
	if (rc != SQLITE_OK) {
		store_fail(st, err, rc, "cannot open");
		goto fail;
	}
	sqlite3_extended_result_codes(st->db, 1);
	sqlite3_busy_timeout(st->db, STORE_BUSY_TIMEOUT_MS);
	/* A partner's 202 and an operator's change are promises: every
	 * commit reaches the disk before it returns. */
	if (store_exec(st, err, "PRAGMA foreign_keys = ON", NULL) == -1 ||
	    store_exec(st, err, "PRAGMA synchronous = FULL", NULL) == -1)
		goto fail;
	if ((s = store_stmt(st, err, "PRAGMA journal_mode = WAL", NULL)) ==
	    NULL)
		goto fail;
	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW || strcmp((const char *)sqlite3_column_text(s, 0),
	    "wal") != 0) {
		sqlite3_finalize(s);
		store_fail(st, err, rc == SQLITE_ROW ? SQLITE_ERROR : rc,
		    "cannot switch to WAL mode");
		goto fail;
	}
	sqlite3_finalize(s);
	/* Created with the process umask (077); make sure of it. */
	if (chmod(path, 0600) == -1 && errno != EPERM) {
		store_set_err(err, STORE_IO, "store %s: chmod: %s", path,
		    strerror(errno));
		goto fail;
	}
	if (migrate(st, err) == -1 || load_key(st, key_path, err) == -1)
		goto fail;
	*out = st;
	return 0;
fail:
	store_close(st);
	return -1;
}

void
store_close(struct store *st)
{
	if (st == NULL)
		return;
	sqlite3_close(st->db);
	explicit_bzero(st->key, sizeof(st->key));
	free(st->path);
	free(st->actor);
	free(st);
}

int
store_begin(struct store *st, struct store_err *err)
{
	return store_exec(st, err, "BEGIN IMMEDIATE", NULL);
}

int
store_commit(struct store *st, struct store_err *err)
{
	if (store_exec(st, err, "COMMIT", NULL) == -1) {
		store_rollback(st);
		return -1;
	}
	return 0;
}

void
store_rollback(struct store *st)
{
	if (!sqlite3_get_autocommit(st->db))
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
}

int
store_savepoint(struct store *st, struct store_err *err)
{
	return store_exec(st, err, "SAVEPOINT one", NULL);
}

int
store_release(struct store *st, struct store_err *err)
{
	return store_exec(st, err, "RELEASE one", NULL);
}

void
store_rollback_to(struct store *st)
{
	sqlite3_exec(st->db, "ROLLBACK TO one; RELEASE one", NULL, NULL, NULL);
}

int
store_data_version(struct store *st, int64_t *v, struct store_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if ((s = store_stmt(st, err, "PRAGMA data_version", NULL)) == NULL)
		return -1;
	rc = sqlite3_step(s);
	*v = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW)
		return store_fail(st, err, rc, "data_version");
	return 0;
}
