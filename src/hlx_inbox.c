/*
 * hlx_inbox.c -- `hlx inbox list`: the cases partners referred to us, with
 * their hand-off deadline and whether it is overdue (operations.md §3, §4).
 *
 * SECURITY: reads the configuration and the store; writes nothing (but
 * the audit key on first use of a new store).
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include "hlx_cli.h"
#include "types.h"

static int cmd_inbox_list(struct cli *, int, char **);

const struct cli_command cli_inbox_commands[] = {
	{ "inbox list", cmd_inbox_list,
	    "inbox list [--since T] [--json]",
	    "Cases received from partners, oldest first: our case number, the\n"
	    "partner and its case number, the hosting country, when we stored\n"
	    "it, the hand-off deadline, the hand-off state and revision, and\n"
	    "OVERDUE when the deadline has passed before the case system\n"
	    "acknowledged it (hlx case update).  --since T: received at or\n"
	    "after T (an RFC 3339 UTC timestamp).\n"
	    "Exit: 0; 64 usage; 74/75 store I/O or busy." },
	{ NULL, NULL, NULL, NULL },
};

/* Overdue: not acknowledged (nor withdrawn) and past its deadline; a
 * closed case waits for nobody. */
static int
overdue(const struct store_inbox_row *r, time_t now)
{
	time_t deadline;

	if (r->case_state != NULL && strcmp(r->case_state, "closed") == 0)
		return 0;
	if (strcmp(r->handoff_state, "new") != 0 &&
	    strcmp(r->handoff_state, "amended") != 0)
		return 0;
	return type_timestamp_parse(r->deadline_at, &deadline) == 0 &&
	    deadline < now;
}

static int
cmd_inbox_list(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, CLI_OPT_HELP },
		{ "json", no_argument, NULL, CLI_OPT_JSON },
		{ "since", required_argument, NULL, CLI_OPT_SINCE },
		{ NULL, 0, NULL, 0 },
	};
	struct store_inbox_list l;
	struct store_err err;
	const char *since = NULL, *why;
	time_t now = time(NULL);
	json_t *a, *o;
	size_t i;
	int ch, json = 0, rc;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			cli->conf_path = optarg;
			break;
		case CLI_OPT_HELP:
			return cli_usage("inbox list", 0);
		case CLI_OPT_JSON:
			json = 1;
			break;
		case CLI_OPT_SINCE:
			if ((why = type_check_timestamp(optarg)) != NULL) {
				fprintf(stderr, "hlx: --since %s: %s\n", optarg,
				    why);
				return EX_USAGE;
			}
			since = optarg;
			break;
		default:
			return cli_usage("inbox list", EX_USAGE);
		}
	}
	if (optind != argc) {
		fprintf(stderr, "hlx inbox list: expected no argument, got "
		    "%d\n", argc - optind);
		return cli_usage("inbox list", EX_USAGE);
	}
	if ((rc = cli_store(cli)) != 0)
		return rc;
	if (store_inbox_list(cli->store, since, &l, &err) == -1)
		return cli_store_fail(&err);
	if (json) {
		a = json_array();
		for (i = 0; i < l.n; i++) {
			const struct store_inbox_row *r = &l.rows[i];

			o = json_object();
			json_object_set_new(o, "case", json_string(
			    r->our_number));
			json_object_set_new(o, "from", json_string(r->partner));
			json_object_set_new(o, "their_case_ref",
			    json_string(r->number));
			json_object_set_new(o, "country",
			    json_string(r->country));
			json_object_set_new(o, "received_at",
			    json_string(r->received_at));
			json_object_set_new(o, "deadline_at",
			    json_string(r->deadline_at));
			json_object_set_new(o, "handoff_state",
			    json_string(r->handoff_state));
			json_object_set_new(o, "handoff_file",
			    json_string(r->file_state));
			json_object_set_new(o, "revision",
			    json_integer(r->revision));
			json_object_set_new(o, "overdue",
			    json_boolean(overdue(r, now)));
			json_object_set_new(o, "test", json_boolean(r->test));
			json_array_append_new(a, o);
		}
		rc = cli_print_json(a);
	} else {
		for (i = 0; i < l.n; i++) {
			const struct store_inbox_row *r = &l.rows[i];

			printf("%s from=%s ref=%s country=%s received=%s "
			    "deadline=%s handoff=%s/r%u%s%s%s\n", r->our_number,
			    r->partner, r->number, r->country, r->received_at,
			    r->deadline_at, r->handoff_state, r->revision,
			    strcmp(r->file_state, "pending") == 0 ?
			    " (file pending)" : "", r->test ? " test" : "",
			    overdue(r, now) ? " OVERDUE" : "");
		}
	}
	store_inbox_list_free(&l);
	return rc;
}
