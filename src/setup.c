/*
 * setup.c -- configuration loading and start-up checks.  See setup.h.
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "file.h"
#include "log.h"
#include "schema_xsd.h"
#include "setup.h"

static void
to_stderr(const char *line)
{
	fprintf(stderr, "%s\n", line);
}

static void
to_log(const char *line)
{
	char esc[1200];

	log_warnx("event=config_error error=\"%s\"",
	    log_escape(esc, sizeof(esc), line));
}

static int setup_conf_to(const char *, struct conf *, void (*)(const char *));

int
setup_conf(const char *path, struct conf *c)
{
	return setup_conf_to(path, c, to_stderr);
}

int
setup_conf_logged(const char *path, struct conf *c)
{
	return setup_conf_to(path, c, to_log);
}

static int
setup_conf_to(const char *path, struct conf *c, void (*report)(const char *))
{
	char line[1200];
	struct conf_errors errs;
	char *buf = NULL, dirbuf[PATH_MAX], cwd[PATH_MAX], base[PATH_MAX];
	const char *dir;
	size_t len, i;
	int rc = EX_CONFIG;

	memset(&errs, 0, sizeof(errs));
	if (path == NULL)
		path = getenv("HLX_CONF");
	if (path == NULL || *path == '\0')
		path = HLX_DEFAULT_CONF;
	switch (file_read(path, HLX_CONF_MAX_BYTES, &buf, &len)) {
	case FILE_OK:
		break;
	case FILE_TOO_LARGE:
		snprintf(line, sizeof(line), "%s:0: larger than %ld bytes",
		    path, (long)HLX_CONF_MAX_BYTES);
		report(line);
		goto out;
	default:
		snprintf(line, sizeof(line), "%s:0: cannot read: %s", path,
		    strerror(errno));
		report(line);
		goto out;
	}
	/* Relative paths in the file are relative to the file itself. */
	if (snprintf(dirbuf, sizeof(dirbuf), "%s", path) >=
	    (int)sizeof(dirbuf)) {
		snprintf(line, sizeof(line), "%s:0: path too long", path);
		report(line);
		goto out;
	}
	dir = dirname(dirbuf);
	if (dir[0] != '/') {
		if (getcwd(cwd, sizeof(cwd)) == NULL ||
		    snprintf(base, sizeof(base), "%s/%s", cwd, dir) >=
		    (int)sizeof(base)) {
			snprintf(line, sizeof(line), "%s:0: cannot resolve its "
			    "directory", path);
			report(line);
			goto out;
		}
		dir = base;
	}
	if (conf_parse(c, path, dir, buf, len, &errs) == -1) {
		for (i = 0; i < errs.count; i++)
			report(errs.lines[i]);
		goto out;
	}
	rc = 0;
out:
	conf_errors_free(&errs);
	free(buf);
	return rc;
}

int
setup_schema(struct msg_schema **out)
{
	char why[256];

	if ((*out = message_schema_new(schema_xsd, schema_xsd_len, why,
	    sizeof(why))) == NULL) {
		fprintf(stderr, "hlx: schema: %s\n", why);
		return EX_SOFTWARE;
	}
	return 0;
}

static int
check_one(const char *what, const char *path, int secret, int must_exist)
{
	mode_t mode = 0;
	int r;

	if (path == NULL)
		return 0;
	if (must_exist && access(path, R_OK) == -1) {
		int saved = errno;

		fprintf(stderr, "%s %s: cannot read: %s\n", what, path,
		    strerror(saved));
		return saved == EACCES ? EX_NOPERM : EX_CONFIG;
	}
	r = file_mode_too_open(path, secret, &mode);
	if (r == -1) {
		fprintf(stderr, "%s %s: cannot examine: %s\n", what, path,
		    strerror(errno));
		return EX_NOPERM;
	}
	if (r == 1) {
		fprintf(stderr, "%s %s: mode %04o is too open (group or others "
		    "may %s it)\n", what, path, (unsigned)mode,
		    secret ? "read or write" : "write");
		return EX_NOPERM;
	}
	return 0;
}

int
setup_check_files(const struct conf *c, int need_tls)
{
	int worst = 0, r, i;
	struct {
		const char	*what;
		const char	*path;
		int		 secret;
		int		 must_exist;
	} files[] = {
		{ "[tls] cert", c->tls_cert, 0, need_tls },
		{ "[tls] key", c->tls_key, 1, need_tls },
		{ "[tls] ca", c->tls_ca, 0, need_tls },
		{ "[storage] path", c->store_path, 1, 0 },
		{ "[storage] audit_key", c->audit_key, 1, 0 },
		{ "[handoff] dir", c->handoff_dir, 0, 0 },
	};

	for (i = 0; i < (int)(sizeof(files) / sizeof(files[0])); i++) {
		r = check_one(files[i].what, files[i].path, files[i].secret,
		    files[i].must_exist);
		/* Report every file; permission problems outrank others. */
		if (r == EX_NOPERM || (r != 0 && worst == 0))
			worst = r;
	}
	return worst;
}
