/*
 * hlx -- the command-line tool for administrators and the case system.
 *
 * SECURITY: reads the configuration, the files named on the command line
 * (case records, messages) and, later, the store.  Case records and
 * messages are untrusted input: each goes through the record or message
 * parser with its limits before anything is done with it.  This program
 * never opens a network connection and never reads a reported URL.
 *
 * The commands are a table (STYLE.md): name, handler, usage and help in one
 * row.  Exit codes are those of operations.md §3 (sysexits).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "file.h"
#include "log.h"
#include "record.h"
#include "setup.h"
#include "util.h"

struct command {
	const char	*name;
	int		(*run)(const char *conf_path, int argc, char **argv);
	const char	*usage;
	const char	*help;
};

static int cmd_translate(const char *, int, char **);
static int cmd_validate(const char *, int, char **);

static const struct command commands[] = {
	{ "translate", cmd_translate,
	    "translate FILE.json [--recipient ID] [--message-id UUID] "
	    "[--sent-at T]",
	    "Prints the Referral that a case record becomes, schema-checked,\n"
	    "in the canonical form.  Without --recipient the route for the\n"
	    "hosting country is used.  --message-id and --sent-at fix what is\n"
	    "otherwise fresh (a random UUID, the current time).\n"
	    "Exit: 0; 64 usage; 65 bad record or no route; 66 file missing;\n"
	    "74 read error; 78 configuration." },
	{ "validate", cmd_validate,
	    "validate FILE.xml",
	    "Checks a message as a receiver would (protocol.md §3 checks 5,\n"
	    "7-9: size, well-formed UTF-8 XML without DTD, version, schema and\n"
	    "code checks).  Prints \"valid\", or the Error code and detail.\n"
	    "Exit: 0 valid; 64 usage; 65 invalid; 66 file missing; 74 read\n"
	    "error; 78 configuration." },
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void
usage_all(FILE *f)
{
	size_t i;

	fprintf(f, "usage: hlx [-c FILE] COMMAND [ARGS]\n\ncommands:\n");
	for (i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  hlx %s\n", commands[i].usage);
	fprintf(f, "\nEvery command takes -c FILE (default $HLX_CONF, else "
	    HLX_DEFAULT_CONF ") and --help.\n");
}

static const struct command *
find_command(const char *name)
{
	size_t i;

	for (i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

static int
command_usage(const char *name, int code)
{
	const struct command *c = find_command(name);
	FILE *f = code == 0 ? stdout : stderr;

	fprintf(f, "usage: hlx [-c FILE] %s\n", c->usage);
	if (code == 0)
		fprintf(f, "\n%s\n", c->help);
	return code;
}

/* Options every command shares, then its own. */
enum { OPT_HELP = 1000, OPT_RECIPIENT, OPT_MESSAGE_ID, OPT_SENT_AT };

static int
report_read(const char *path, enum file_result r, size_t len, size_t max)
{
	switch (r) {
	case FILE_OK:
		return 0;
	case FILE_MISSING:
		fprintf(stderr, "hlx: %s: no such file\n", path);
		return EX_NOINPUT;
	case FILE_TOO_LARGE:
		/* From a pipe only max + 1 bytes are read: over, by how
		 * much is not known. */
		if (strcmp(path, "-") == 0)
			fprintf(stderr, "hlx: %s: more than %zu bytes; the "
			    "limit is %zu\n", path, max, max);
		else
			fprintf(stderr, "hlx: %s: %zu bytes; the limit is "
			    "%zu\n", path, len, max);
		return EX_DATAERR;
	default:
		fprintf(stderr, "hlx: %s: cannot read: %m\n", path);
		return EX_IOERR;
	}
}

static int
cmd_translate(const char *conf_path, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, OPT_HELP },
		{ "recipient", required_argument, NULL, OPT_RECIPIENT },
		{ "message-id", required_argument, NULL, OPT_MESSAGE_ID },
		{ "sent-at", required_argument, NULL, OPT_SENT_AT },
		{ NULL, 0, NULL, 0 },
	};
	struct conf conf;
	struct record rec;
	struct record_err rerr;
	struct msg_schema *schema = NULL;
	struct message *check = NULL;
	struct msg_err merr;
	enum file_result fr;
	const char *recipient = NULL, *message_id = NULL, *sent_at = NULL;
	const char *path, *why, *country;
	char *buf = NULL, *xml = NULL, idbuf[40], nowbuf[32];
	size_t len, xlen;
	int ch, rc;

	memset(&conf, 0, sizeof(conf));
	memset(&rec, 0, sizeof(rec));
	while ((ch = getopt_long(argc, argv, "c:", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			conf_path = optarg;
			break;
		case OPT_HELP:
			return command_usage("translate", 0);
		case OPT_RECIPIENT:
			if ((why = type_check_hotline_id(optarg)) != NULL) {
				fprintf(stderr, "hlx: --recipient: %s\n", why);
				return EX_USAGE;
			}
			recipient = optarg;
			break;
		case OPT_MESSAGE_ID:
			if ((why = type_check_uuid(optarg)) != NULL) {
				fprintf(stderr, "hlx: --message-id: %s\n", why);
				return EX_USAGE;
			}
			message_id = optarg;
			break;
		case OPT_SENT_AT:
			if ((why = type_check_timestamp(optarg)) != NULL) {
				fprintf(stderr, "hlx: --sent-at: %s\n", why);
				return EX_USAGE;
			}
			sent_at = optarg;
			break;
		default:
			return command_usage("translate", EX_USAGE);
		}
	}
	if (argc - optind != 1)
		return command_usage("translate", EX_USAGE);
	path = argv[optind];

	if ((rc = setup_conf(conf_path, &conf)) != 0)
		goto out;
	fr = file_read(path, HLX_RECORD_MAX_BYTES, &buf, &len);
	if ((rc = report_read(path, fr, len, HLX_RECORD_MAX_BYTES)) != 0)
		goto out;
	rc = EX_DATAERR;
	if (record_parse(buf, len, &rec, &rerr) == -1) {
		fprintf(stderr, "hlx: %s: %s\n", path, rerr.text);
		goto out;
	}
	if (strncmp(rec.case_id, conf.case_prefix,
	    strlen(conf.case_prefix)) == 0) {
		fprintf(stderr, "hlx: %s: case_id: must not start with the "
		    "prefix of received cases, %s\n", path, conf.case_prefix);
		goto out;
	}
	country = rec.msg->u.referral.hosting.country;
	if (recipient == NULL) {
		if (conf_receives_for(&conf, country))
			fprintf(stderr, "hlx: %s: hosting.country: %s is a "
			    "country this hotline receives for: the case is a "
			    "domestic hand-off, not a message (give "
			    "--recipient to see one anyway)\n", path, country);
		else
			fprintf(stderr, "hlx: %s: hosting.country: no route "
			    "for %s: no partner is registered (give "
			    "--recipient)\n", path, country);
		goto out;
	}
	rc = EX_SOFTWARE;
	if (message_id == NULL) {
		if (util_uuid4(idbuf, sizeof(idbuf)) == -1) {
			fprintf(stderr, "hlx: no random bytes for a message "
			    "id: %m\n");
			goto out;
		}
		message_id = idbuf;
	}
	if (sent_at == NULL) {
		if (util_now_timestamp(nowbuf, sizeof(nowbuf)) == -1)
			goto out;
		sent_at = nowbuf;
	}
	if (record_translate(&rec, conf.hotline_id, recipient, message_id,
	    sent_at, 1) == -1 ||
	    message_write(rec.msg, &xml, &xlen, &merr) == -1) {
		fprintf(stderr, "hlx: %s: cannot write the message: out of "
		    "memory\n", path);
		goto out;
	}
	/* What we print is checked exactly as a partner will check it. */
	if ((rc = setup_schema(&schema)) != 0)
		goto out;
	if (message_parse(schema, xml, xlen, conf.max_message_bytes, &check,
	    &merr) == -1) {
		fprintf(stderr, "hlx: %s: the message does not pass its own "
		    "checks: %s: %s\n", path, message_code_name(merr.code),
		    merr.detail);
		rc = merr.code == MSG_TOO_LARGE ? EX_DATAERR : EX_SOFTWARE;
		goto out;
	}
	if (fwrite(xml, 1, xlen, stdout) != xlen || fflush(stdout) != 0) {
		fprintf(stderr, "hlx: standard output: %m\n");
		rc = EX_IOERR;
		goto out;
	}
	rc = 0;
out:
	message_free(check);
	message_schema_free(schema);
	free(xml);
	record_free(&rec);
	free(buf);
	conf_free(&conf);
	return rc;
}

static int
cmd_validate(const char *conf_path, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, OPT_HELP },
		{ NULL, 0, NULL, 0 },
	};
	struct conf conf;
	struct msg_schema *schema = NULL;
	struct message *m = NULL;
	struct msg_err merr;
	enum file_result fr;
	const char *path;
	char *buf = NULL;
	size_t len;
	int ch, rc;

	memset(&conf, 0, sizeof(conf));
	while ((ch = getopt_long(argc, argv, "c:", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			conf_path = optarg;
			break;
		case OPT_HELP:
			return command_usage("validate", 0);
		default:
			return command_usage("validate", EX_USAGE);
		}
	}
	if (argc - optind != 1)
		return command_usage("validate", EX_USAGE);
	path = argv[optind];

	if ((rc = setup_conf(conf_path, &conf)) != 0)
		goto out;
	/* Size first, as a receiver does: a huge file is never read. */
	fr = file_read(path, conf.max_message_bytes, &buf, &len);
	if (fr == FILE_TOO_LARGE) {
		/* From a pipe only max + 1 bytes are read: the size is
		 * known to be over the limit, not what it is. */
		if (strcmp(path, "-") == 0)
			fprintf(stderr, "hlx: %s: TOO_LARGE: the message is "
			    "more than %llu bytes; the limit is %llu\n", path,
			    (unsigned long long)conf.max_message_bytes,
			    (unsigned long long)conf.max_message_bytes);
		else
			fprintf(stderr, "hlx: %s: TOO_LARGE: the message is "
			    "%zu bytes; the limit is %llu\n", path, len,
			    (unsigned long long)conf.max_message_bytes);
		rc = EX_DATAERR;
		goto out;
	}
	if ((rc = report_read(path, fr, len, conf.max_message_bytes)) != 0)
		goto out;
	if ((rc = setup_schema(&schema)) != 0)
		goto out;
	if (message_parse(schema, buf, len, conf.max_message_bytes, &m,
	    &merr) == -1) {
		fprintf(stderr, "hlx: %s: %s: %s\n", path,
		    message_code_name(merr.code), merr.detail);
		rc = merr.code == MSG_INTERNAL ? EX_SOFTWARE : EX_DATAERR;
		goto out;
	}
	printf("valid\n");
	rc = 0;
out:
	message_free(m);
	message_schema_free(schema);
	free(buf);
	conf_free(&conf);
	return rc;
}

int
main(int argc, char *argv[])
{
	const struct command *cmd;
	const char *conf_path = NULL;
	int i = 1;

	log_init("hlx", 0, LOG_LEVEL_WARN);
	/* Global options come before the command. */
	while (i < argc && argv[i][0] == '-') {
		if (strcmp(argv[i], "-c") == 0 && i + 1 < argc) {
			conf_path = argv[i + 1];
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
	if ((cmd = find_command(argv[i])) == NULL) {
		fprintf(stderr, "hlx: unknown command \"%s\"\n", argv[i]);
		usage_all(stderr);
		return EX_USAGE;
	}
	/* The command's own getopt sees argv from its name on. */
	return cmd->run(conf_path, argc - i, argv + i);
}
