/*
 * setup -- what both programs do before their real work: load the
 * configuration (printing every error as FILE:LINE: what) and compile the
 * schema.  Returns sysexits codes so that callers can exit with them.
 */
#ifndef HLX_SETUP_H
#define HLX_SETUP_H

#include "conf.h"
#include "message.h"

#define HLX_DEFAULT_CONF	"/etc/hlx/hlx.conf"

/* path NULL: $HLX_CONF, else HLX_DEFAULT_CONF.  0, or 78 with the errors
 * printed on stderr. */
int	setup_conf(const char *path, struct conf *c);
/* The same, each error as a log line (event=config_error): for a reload,
 * when stderr may be gone. */
int	setup_conf_logged(const char *path, struct conf *c);
/* 0 with *out set, or 70 with the reason printed. */
int	setup_schema(struct msg_schema **out);
/* operations.md §1 file checks of the files c names: 0, or 77 with each
 * offending file and its mode printed. */
int	setup_check_files(const struct conf *c, int need_tls);

#endif /* HLX_SETUP_H */
