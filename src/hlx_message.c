/*
 * hlx_message.c -- `hlx translate` and `hlx validate`: a case record into
 * the Referral it becomes, and a message checked as a receiver checks it.
 *
 * SECURITY: reads the configuration and the one file named (a case record
 * or a message), both untrusted input that goes through the record or the
 * message parser with their limits.  Writes only to standard output.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "hlx_cli.h"
#include "record.h"
#include "setup.h"
#include "util.h"

static int cmd_translate(struct cli *, int, char **);
static int cmd_validate(struct cli *, int, char **);

const struct cli_command cli_message_commands[] = {
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
	{ NULL, NULL, NULL, NULL },
};

static int
cmd_translate(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, CLI_OPT_HELP },
		{ "recipient", required_argument, NULL, CLI_OPT_RECIPIENT },
		{ "message-id", required_argument, NULL, CLI_OPT_MESSAGE_ID },
		{ "sent-at", required_argument, NULL, CLI_OPT_SENT_AT },
		{ NULL, 0, NULL, 0 },
	};
	struct record rec;
	struct record_err rerr;
	struct msg_schema *schema = NULL;
	struct message *check = NULL;
	struct msg_err merr;
	enum file_result fr;
	const char *recipient = NULL, *message_id = NULL, *sent_at = NULL;
	const char *path, *why, *country;
	char *buf = NULL, *xml = NULL, idbuf[40], nowbuf[32];
	char route[HLX_HOTLINE_ID_MAX + 1];
	struct store_err serr;
	size_t len, xlen;
	int ch, rc;

	memset(&rec, 0, sizeof(rec));
	while ((ch = getopt_long(argc, argv, "c:", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			cli->conf_path = optarg;
			break;
		case CLI_OPT_HELP:
			return cli_usage("translate", 0);
		case CLI_OPT_RECIPIENT:
			if ((why = type_check_hotline_id(optarg)) != NULL) {
				fprintf(stderr, "hlx: --recipient: %s\n", why);
				return EX_USAGE;
			}
			recipient = optarg;
			break;
		case CLI_OPT_MESSAGE_ID:
			if ((why = type_check_uuid(optarg)) != NULL) {
				fprintf(stderr, "hlx: --message-id: %s\n", why);
				return EX_USAGE;
			}
			message_id = optarg;
			break;
		case CLI_OPT_SENT_AT:
			if ((why = type_check_timestamp(optarg)) != NULL) {
				fprintf(stderr, "hlx: --sent-at: %s\n", why);
				return EX_USAGE;
			}
			sent_at = optarg;
			break;
		default:
			return cli_usage("translate", EX_USAGE);
		}
	}
	if (argc - optind != 1)
		return cli_usage("translate", EX_USAGE);
	path = argv[optind];

	if ((rc = cli_conf(cli)) != 0)
		goto out;
	fr = file_read(path, HLX_RECORD_MAX_BYTES, &buf, &len);
	if ((rc = cli_read_fail(path, fr, len, HLX_RECORD_MAX_BYTES)) != 0)
		goto out;
	rc = EX_DATAERR;
	if (record_parse(buf, len, &rec, &rerr) == -1) {
		fprintf(stderr, "hlx: %s: %s\n", path, rerr.text);
		goto out;
	}
	if (strncmp(rec.case_id, cli->conf.case_prefix,
	    strlen(cli->conf.case_prefix)) == 0) {
		fprintf(stderr, "hlx: %s: case_id: must not start with the "
		    "prefix of received cases, %s\n", path, cli->conf.case_prefix);
		goto out;
	}
	country = rec.msg->u.referral.hosting.country;
	/* The route for the country (or the default route), when the store
	 * exists: translate never creates one. */
	if (recipient == NULL && !conf_receives_for(&cli->conf, country) &&
	    access(cli->conf.store_path, F_OK) == 0) {
		if ((rc = cli_store(cli)) != 0)
			goto out;
		if (store_route_for(cli->store, country, route, sizeof(route),
		    &serr) == -1) {
			rc = cli_store_fail(&serr);
			goto out;
		}
		rc = EX_DATAERR;
		if (route[0] != '\0')
			recipient = route;
	}
	if (recipient == NULL) {
		if (conf_receives_for(&cli->conf, country))
			fprintf(stderr, "hlx: %s: hosting.country: %s is a "
			    "country this hotline receives for: the case is a "
			    "domestic hand-off, not a message (give "
			    "--recipient to see one anyway)\n", path, country);
		else
			fprintf(stderr, "hlx: %s: hosting.country: no route "
			    "for %s and no default route (hlx peer route; or "
			    "give --recipient)\n", path, country);
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
	if (record_translate(&rec, cli->conf.hotline_id, recipient, message_id,
	    sent_at, 1) == -1 ||
	    message_write(rec.msg, &xml, &xlen, &merr) == -1) {
		fprintf(stderr, "hlx: %s: cannot write the message: out of "
		    "memory\n", path);
		goto out;
	}
	/* What we print is checked exactly as a partner will check it. */
	if ((rc = setup_schema(&schema)) != 0)
		goto out;
	if (message_parse(schema, xml, xlen, cli->conf.max_message_bytes, &check,
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
	return rc;
}

static int
cmd_validate(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, CLI_OPT_HELP },
		{ NULL, 0, NULL, 0 },
	};
	struct msg_schema *schema = NULL;
	struct message *m = NULL;
	struct msg_err merr;
	enum file_result fr;
	const char *path;
	char *buf = NULL;
	size_t len;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "c:", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			cli->conf_path = optarg;
			break;
		case CLI_OPT_HELP:
			return cli_usage("validate", 0);
		default:
			return cli_usage("validate", EX_USAGE);
		}
	}
	if (argc - optind != 1)
		return cli_usage("validate", EX_USAGE);
	path = argv[optind];

	if ((rc = cli_conf(cli)) != 0)
		goto out;
	/* Size first, as a receiver does: a huge file is never read. */
	fr = file_read(path, cli->conf.max_message_bytes, &buf, &len);
	if (fr == FILE_TOO_LARGE) {
		/* From a pipe only max + 1 bytes are read: the size is
		 * known to be over the limit, not what it is. */
		if (strcmp(path, "-") == 0)
			fprintf(stderr, "hlx: %s: TOO_LARGE: the message is "
			    "more than %llu bytes; the limit is %llu\n", path,
			    (unsigned long long)cli->conf.max_message_bytes,
			    (unsigned long long)cli->conf.max_message_bytes);
		else
			fprintf(stderr, "hlx: %s: TOO_LARGE: the message is "
			    "%zu bytes; the limit is %llu\n", path, len,
			    (unsigned long long)cli->conf.max_message_bytes);
		rc = EX_DATAERR;
		goto out;
	}
	if ((rc = cli_read_fail(path, fr, len, cli->conf.max_message_bytes)) != 0)
		goto out;
	if ((rc = setup_schema(&schema)) != 0)
		goto out;
	if (message_parse(schema, buf, len, cli->conf.max_message_bytes, &m,
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
	return rc;
}

