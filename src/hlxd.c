/*
 * hlxd -- the gateway daemon.
 *
 * SECURITY: in this version hlxd only checks its configuration (-n): it
 * reads the configuration file and examines (stat, access) the files it
 * names.  It opens no socket and writes nothing.  The partner listener,
 * delivery and the admin listener come with the issues that build them.
 */
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "setup.h"

static void
usage(FILE *f)
{
	fprintf(f, "usage: hlxd -c FILE [-f] [-n]\n"
	    "  -c FILE  configuration (default $HLX_CONF, else "
	    HLX_DEFAULT_CONF ")\n"
	    "  -f       stay in the foreground, log to stderr\n"
	    "  -n       check the configuration and the files it names, "
	    "then exit\n");
}

int
main(int argc, char *argv[])
{
	struct conf conf;
	const char *conf_path = NULL;
	int ch, check_only = 0, rc;

	memset(&conf, 0, sizeof(conf));
	/* operations.md §1: programs run with umask 077. */
	umask(077);
	log_init("hlxd", 0, LOG_LEVEL_INFO);
	while ((ch = getopt(argc, argv, "c:fnh")) != -1) {
		switch (ch) {
		case 'c':
			conf_path = optarg;
			break;
		case 'f':
			break;
		case 'n':
			check_only = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EX_USAGE;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return EX_USAGE;
	}
	if ((rc = setup_conf(conf_path, &conf)) != 0)
		return rc;
	rc = setup_check_files(&conf, 1);
	if (rc == 0 && check_only)
		printf("hlxd: configuration OK\n");
	if (rc == 0 && !check_only) {
		/* XXX the listener is not built yet (see the issues). */
		fprintf(stderr, "hlxd: only -n is implemented in this "
		    "version\n");
		rc = EX_UNAVAILABLE;
	}
	conf_free(&conf);
	return rc;
}
