/*
 * hlx_cli -- what the commands of `hlx` share: the command table's row,
 * loading the configuration and the store on demand, mapping results to
 * the exit codes of operations.md §3, and printing.
 *
 * Role layer: used by src/hlx*.c only.  Handlers print their one-line
 * failure on stderr ("hlx: what and where") and return the exit code.
 */
#ifndef HLX_HLX_CLI_H
#define HLX_HLX_CLI_H

#include <stdio.h>

#include <jansson.h>

#include "conf.h"
#include "file.h"
#include "store.h"

struct cli {
	const char	*conf_path;	/* -c, or NULL: $HLX_CONF, default */
	struct conf	 conf;
	int		 conf_loaded;
	struct store	*store;
	char		 actor[64];	/* the Unix user, for the audit trail */
};

struct cli_command {
	const char	*name;		/* "translate", "peer add" */
	int		(*run)(struct cli *, int argc, char **argv);
	const char	*usage;		/* after "hlx [-c FILE] " */
	const char	*help;
};

extern const struct cli_command cli_message_commands[];
extern const struct cli_command cli_peer_commands[];
extern const struct cli_command cli_admin_commands[];
extern const struct cli_command cli_inbox_commands[];
extern const struct cli_command cli_submit_commands[];
extern const struct cli_command cli_case_commands[];
extern const struct cli_command cli_stats_commands[];
/* All of the above, NULL-terminated. */
extern const struct cli_command *const cli_tables[];

/* Prints the usage (and with code 0 the help) of the named command. */
int	cli_usage(const char *name, int code);

int	cli_conf(struct cli *);			/* 0 or 78 */
int	cli_store(struct cli *);		/* 0 or the exit code */
void	cli_free(struct cli *);

/* One line "hlx: msg" on stderr, and the exit code for err->rc. */
int	cli_store_fail(const struct store_err *);
/* The exit code for a failed file_read, with its one line on stderr. */
int	cli_read_fail(const char *path, enum file_result, size_t len,
	    size_t max);

/* Runs a store change: begin, f, commit; rollback on failure. */
int	cli_write(struct cli *, int (*f)(struct cli *, void *, struct store_err *),
	    void *arg);
/* The same, printing nothing: the failure is left in *err (exit code
 * returned). */
int	cli_write_quiet(struct cli *, int (*f)(struct cli *, void *,
	    struct store_err *), void *arg, struct store_err *err);

/* Prints j (and frees it) as one JSON document on stdout. */
int	cli_print_json(json_t *j);
/* "2026-11-29T08:00:00Z", or "-" for 0. */
const char *cli_time(time_t t, char *buf, size_t bufsz);

/* Shared option numbers for getopt_long. */
enum {
	CLI_OPT_HELP = 1000,
	CLI_OPT_JSON,
	CLI_OPT_RECIPIENT,
	CLI_OPT_MESSAGE_ID,
	CLI_OPT_SENT_AT,
	CLI_OPT_URL,
	CLI_OPT_CERT,
	CLI_OPT_PIN,
	CLI_OPT_COUNTRY,
	CLI_OPT_ROUTE,
	CLI_OPT_DAYS,
	CLI_OPT_PEER,
	CLI_OPT_CASE,
	CLI_OPT_SINCE,
	CLI_OPT_STATE,
	CLI_OPT_YEAR,
	CLI_OPT_AT,
	CLI_OPT_OBSERVED_BY,
	CLI_OPT_REASON,
	CLI_OPT_CONTENT_URL,
	CLI_OPT_IP,
	CLI_OPT_PROVIDER,
	CLI_OPT_TRACED_AT,
	CLI_OPT_EXPIRES,
};

#endif /* HLX_HLX_CLI_H */
