/*
 * hlx -- the command-line tool for administrators and the case system.
 *
 * SECURITY: reads the configuration, the files named on the command line
 * (case records, messages, certificates) and the store; writes the store
 * and the audit key (mode 0600, umask 077).  Records and messages are
 * untrusted input and go through their parsers with all their limits.  This
 * program never opens a network connection and never reads a reported URL.
 *
 * The commands are a table (STYLE.md): name, handler, usage and help in one
 * row, spread over the files of each concern (hlx_message.c, hlx_peer.c,
 * hlx_admin.c).  Exit codes are those of operations.md §3 (sysexits).
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>

#include "hlx_cli.h"
#include "log.h"
#include "setup.h"


static void
usage_all(FILE *f)
{
	const struct cli_command *c;
	size_t t;

	fprintf(f, "usage: hlx [-c FILE] COMMAND [ARGS]\n\ncommands:\n");
	for (t = 0; cli_tables[t] != NULL; t++)
		for (c = cli_tables[t]; c->name != NULL; c++)
			fprintf(f, "  hlx %s\n", c->usage);
	fprintf(f, "\nEvery command takes -c FILE (default $HLX_CONF, else "
	    HLX_DEFAULT_CONF ") and --help.\n");
}

/* A command is one word ("translate") or two ("peer add"). */
static const struct cli_command *
find_command(int argc, char **argv, int *words)
{
	const struct cli_command *c;
	char two[128];
	size_t t;

	if (argc >= 2) {
		snprintf(two, sizeof(two), "%s %s", argv[0], argv[1]);
		for (t = 0; cli_tables[t] != NULL; t++)
			for (c = cli_tables[t]; c->name != NULL; c++)
				if (strcmp(c->name, two) == 0) {
					*words = 2;
					return c;
				}
	}
	for (t = 0; cli_tables[t] != NULL; t++)
		for (c = cli_tables[t]; c->name != NULL; c++)
			if (strcmp(c->name, argv[0]) == 0) {
				*words = 1;
				return c;
			}
	return NULL;
}

int
main(int argc, char *argv[])
{
	const struct cli_command *cmd;
	struct cli cli;
	char name[64];
	int i = 1, words = 0, rc;

	/* operations.md §1: programs run with umask 077. */
	umask(077);
	memset(&cli, 0, sizeof(cli));
	log_init("hlx", 0, LOG_LEVEL_WARN);
	/* Global options come before the command. */
	while (i < argc && argv[i][0] == '-') {
		if (strcmp(argv[i], "-c") == 0 && i + 1 < argc) {
			cli.conf_path = argv[i + 1];
			i += 2;
		} else if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0) {
			usage_all(stdout);
			return 0;
		} else {
			usage_all(stderr);
			return EX_USAGE;
		}
	}
	if (i >= argc) {
		usage_all(stderr);
		return EX_USAGE;
	}
	if ((cmd = find_command(argc - i, argv + i, &words)) == NULL) {
		fprintf(stderr, "hlx: unknown command \"%s%s%s\"\n", argv[i],
		    i + 1 < argc ? " " : "", i + 1 < argc ? argv[i + 1] : "");
		usage_all(stderr);
		return EX_USAGE;
	}
	/* The command's own getopt sees argv from its last word on, named
	 * so that getopt's own complaints say which command they are about. */
	i += words - 1;
	snprintf(name, sizeof(name), "hlx %s", cmd->name);
	argv[i] = name;
	rc = cmd->run(&cli, argc - i, argv + i);
	cli_free(&cli);
	return rc;
}
