/*
 * hlx_submit.c -- `hlx submit`: the case system hands cases over; each
 * becomes a Referral queued for the route of its hosting country, a
 * domestic hand-off, or an unroutable message waiting for a route
 * (operations.md §3, protocol.md §4-5).  And `hlx outbox ...`.
 *
 * SECURITY: reads case records (files or JSON Lines on standard input;
 * untrusted input through the record parser with its limits), the
 * configuration and the store; writes the store and, for domestic cases,
 * [handoff] dir.  Never contacts a partner: hlxd delivers.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>

#include "handoff.h"
#include "hlx_cli.h"
#include "log.h"
#include "record.h"
#include "setup.h"
#include "util.h"

static int cmd_submit(struct cli *, int, char **);
static int cmd_outbox_list(struct cli *, int, char **);
static int cmd_outbox_show(struct cli *, int, char **);
static int cmd_outbox_retry(struct cli *, int, char **);
static int cmd_outbox_cancel(struct cli *, int, char **);

const struct cli_command cli_submit_commands[] = {
	{ "submit", cmd_submit,
	    "submit FILE.json... | -",
	    "For each case record (a file, or JSON Lines on standard input),\n"
	    "in its own transaction: validate, translate, route, store.  Prints\n"
	    "CASE_ID MESSAGE_ID ROUTE, ROUTE being the peer it goes to,\n"
	    "`domestic` (hosted in a country we receive for: a hand-off file;\n"
	    "MESSAGE_ID -) or `unroutable` (no route yet; sent as soon as one\n"
	    "appears).  The same record again prints the same line and stores\n"
	    "nothing; a different record under an existing case_id is refused\n"
	    "(use hlx case amend).  Goes on past a bad record.\n"
	    "Exit: 0; 65 if any record was refused; 66 a file missing; 74/75\n"
	    "store I/O or busy; 78 configuration." },
	{ "outbox list", cmd_outbox_list,
	    "outbox list [--state S] [--peer ID] [--json]",
	    "Messages we send, oldest first.  S: queued retrying delivered dead\n"
	    "unroutable cancelled.\nExit: 0; 64 usage." },
	{ "outbox show", cmd_outbox_show,
	    "outbox show ID [--json]",
	    "One message (by message id, or outbox row number) with every\n"
	    "attempt and answer.\nExit: 0; 65 no such message." },
	{ "outbox retry", cmd_outbox_retry,
	    "outbox retry ID",
	    "A dead message back to queued: attempted again at once.\n"
	    "Exit: 0; 65 not dead, or no such message." },
	{ "outbox cancel", cmd_outbox_cancel,
	    "outbox cancel ID",
	    "Stops trying a message; the case's later messages go on.\n"
	    "Exit: 0; 65 delivered already, or no such message." },
	{ NULL, NULL, NULL, NULL },
};

struct submission {
	const char		*where;		/* FILE or -:LINE, for errors */
	struct record		*rec;
	const char		*json;
	char			 digest[65];
	struct msg_schema	*schema;
	/* results */
	int			 same;		/* submitted before, unchanged */
	int			 domestic;
	char			 route[HLX_HOTLINE_ID_MAX + 1];
	char			 message_id[HLX_UUID_LEN + 1];
	int			 refused;
};

static int
do_submit(struct cli *cli, void *arg, struct store_err *err)
{
	struct submission *sb = arg;
	struct record *rec = sb->rec;
	const struct conf *c = &cli->conf;
	const struct msg_referral *r = &rec->msg->u.referral;
	struct store_submitted prev;
	struct store_submit in;
	struct handoff_meta meta;
	struct message *check = NULL;
	struct msg_err merr;
	char now_ts[32], deadline[32], why[160], *doc = NULL, *xml = NULL;
	size_t len = 0;
	time_t now = time(NULL);
	int rc = -1;

	if (store_submitted(cli->store, c->hotline_id, rec->case_id, &prev,
	    err) == -1)
		return -1;
	if (prev.found) {
		if (strcmp(prev.record_sha256, sb->digest) != 0) {
			sb->refused = 1;
			return store_set_err(err, STORE_REFUSED,
			    "case_id: %s was submitted before with other "
			    "content; use hlx case amend", rec->case_id);
		}
		sb->same = 1;
		snprintf(sb->route, sizeof(sb->route), "%s", prev.route);
		snprintf(sb->message_id, sizeof(sb->message_id), "%s",
		    prev.message_id);
		return 0;
	}
	memset(&in, 0, sizeof(in));
	in.self = c->hotline_id;
	in.case_id = rec->case_id;
	in.country = r->hosting.country;
	in.received_at = r->received_at;
	in.record = sb->json;
	in.record_sha256 = sb->digest;
	in.test = rec->test;
	in.now = now;
	if (type_timestamp_format(now, now_ts, sizeof(now_ts)) == -1)
		return store_set_err(err, STORE_FAIL, "time");
	if (conf_receives_for(c, r->hosting.country)) {
		/* Hosted here: no message, a hand-off for our case system,
		 * with its internal member (it never leaves the hotline). */
		unsigned deadlines[4] = { c->deadline_low, c->deadline_medium,
			c->deadline_high, c->deadline_critical };

		type_timestamp_format(handoff_deadline(now, r->severity,
		    deadlines), deadline, sizeof(deadline));
		memset(&meta, 0, sizeof(meta));
		meta.kind = "domestic";
		meta.revision = 1;
		meta.state = "new";
		meta.deadline_at = deadline;
		meta.test = rec->test;
		if ((doc = handoff_document(rec->case_id, r, rec->internal,
		    &meta, &len, why, sizeof(why))) == NULL)
			return store_set_err(err, STORE_FAIL,
			    "hand-off of %s: %s", rec->case_id, why);
		in.domestic = 1;
		in.handoff_doc = doc;
		in.deadline_at = deadline;
		sb->domestic = 1;
		snprintf(sb->route, sizeof(sb->route), "domestic");
	} else {
		if (store_route_for(cli->store, r->hosting.country, sb->route,
		    sizeof(sb->route), err) == -1)
			return -1;
		if (sb->route[0] != '\0') {
			/* The exact bytes, fixed now (protocol.md §4). */
			if (util_uuid4(sb->message_id,
			    sizeof(sb->message_id)) == -1 ||
			    record_translate(rec, c->hotline_id, sb->route,
			    sb->message_id, now_ts, 1) == -1 ||
			    message_write(rec->msg, &xml, &len, &merr) == -1)
				return store_set_err(err, STORE_FAIL,
				    "cannot build the Referral");
			if (message_parse(sb->schema, xml, len,
			    c->max_message_bytes, &check, &merr) == -1) {
				store_set_err(err, merr.code ==
				    MSG_TOO_LARGE ? STORE_REFUSED : STORE_FAIL,
				    "the Referral does not pass its own "
				    "checks: %s: %s", message_code_name(merr.code),
				    merr.detail);
				goto out;
			}
			in.peer = sb->route;
			in.message_id = sb->message_id;
			in.body = xml;
			in.len = len;
		} else
			snprintf(sb->route, sizeof(sb->route), "unroutable");
	}
	rc = store_submit(cli->store, &in, err);
out:
	message_free(check);
	free(xml);
	free(doc);
	return rc;
}

/* One record: 0 stored or unchanged, 65 refused, other codes fatal. */
static int
submit_one(struct cli *cli, struct msg_schema *schema, const char *where,
    const char *buf, size_t len)
{
	struct submission sb;
	struct record rec;
	struct record_err rerr;
	struct store_err err;
	char *json = NULL, why[256];
	int rc;

	memset(&sb, 0, sizeof(sb));
	if (record_parse(buf, len, &rec, &rerr) == -1) {
		fprintf(stderr, "hlx: %s: %s\n", where, rerr.text);
		return EX_DATAERR;
	}
	if (strncmp(rec.case_id, cli->conf.case_prefix,
	    strlen(cli->conf.case_prefix)) == 0) {
		fprintf(stderr, "hlx: %s: case_id: must not start with the "
		    "prefix of received cases, %s\n", where,
		    cli->conf.case_prefix);
		record_free(&rec);
		return EX_DATAERR;
	}
	if ((json = strndup(buf, len)) == NULL ||
	    record_digest(buf, len, sb.digest) == -1) {
		free(json);
		record_free(&rec);
		fprintf(stderr, "hlx: %s: out of memory\n", where);
		return EX_SOFTWARE;
	}
	sb.where = where;
	sb.rec = &rec;
	sb.json = json;
	sb.schema = schema;
	memset(&err, 0, sizeof(err));
	rc = cli_write_quiet(cli, do_submit, &sb, &err);
	if (rc != 0) {
		fprintf(stderr, "hlx: %s: %s\n", where, err.msg);
		rc = err.rc == STORE_REFUSED || err.rc == STORE_NOTFOUND ?
		    EX_DATAERR : rc;
	} else {
		if (sb.domestic && !sb.same) {
			mkdir(cli->conf.handoff_dir, 0700);
			if (store_handoff_flush(cli->store,
			    cli->conf.handoff_dir, NULL, 0, why,
			    sizeof(why)) == -1)
				fprintf(stderr, "hlx: %s: the hand-off file "
				    "waits (hlxd writes it within seconds): %s\n",
				    where, why);
		}
		printf("%s %s %s\n", rec.case_id, sb.message_id[0] != '\0' ?
		    sb.message_id : "-", sb.route);
		fflush(stdout);
	}
	free(json);
	record_free(&rec);
	return rc;
}

static int
cmd_submit(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, CLI_OPT_HELP },
		{ NULL, 0, NULL, 0 },
	};
	struct msg_schema *schema = NULL;
	enum file_result fr;
	char *buf = NULL, *line = NULL, where[600];
	size_t len, cap = 0;
	ssize_t n;
	long lineno;
	int ch, i, rc, worst = 0;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			cli->conf_path = optarg;
			break;
		case CLI_OPT_HELP:
			return cli_usage("submit", 0);
		default:
			return cli_usage("submit", EX_USAGE);
		}
	}
	if (optind == argc) {
		fprintf(stderr, "hlx submit: expected FILE.json... or -\n");
		return cli_usage("submit", EX_USAGE);
	}
	if ((rc = cli_store(cli)) != 0 || (rc = setup_schema(&schema)) != 0)
		return rc;
	for (i = optind; i < argc; i++) {
		if (strcmp(argv[i], "-") != 0) {
			fr = file_read(argv[i], HLX_RECORD_MAX_BYTES, &buf,
			    &len);
			if ((rc = cli_read_fail(argv[i], fr, len,
			    HLX_RECORD_MAX_BYTES)) == 0)
				rc = submit_one(cli, schema, argv[i], buf, len);
			free(buf);
			buf = NULL;
		} else {
			/* JSON Lines: one record a line. */
			for (lineno = 1; (n = getline(&line, &cap, stdin)) !=
			    -1; lineno++) {
				snprintf(where, sizeof(where), "-:%ld", lineno);
				if ((size_t)n > HLX_RECORD_MAX_BYTES + 1) {
					fprintf(stderr, "hlx: %s: more than %ld "
					    "bytes\n", where,
					    (long)HLX_RECORD_MAX_BYTES);
					rc = EX_DATAERR;
				} else if (n <= 1)
					continue;	/* blank line */
				else
					rc = submit_one(cli, schema, where,
					    line, (size_t)n);
				if (rc != 0 && rc != EX_DATAERR)
					break;
				if (rc > worst)
					worst = rc;
			}
		}
		/* A bad record is reported and passed; a failing store or
		 * file is not a record's fault: stop there. */
		if (rc != 0 && rc != EX_DATAERR) {
			worst = rc;
			break;
		}
		if (rc > worst)
			worst = rc;
	}
	free(line);
	message_schema_free(schema);
	return worst;
}

struct list_opts {
	int		 json;
	const char	*state;
	const char	*peer;
};

static int
parse(struct cli *cli, const char *name, int argc, char **argv,
    struct list_opts *o, int nargs)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, CLI_OPT_HELP },
		{ "json", no_argument, NULL, CLI_OPT_JSON },
		{ "state", required_argument, NULL, CLI_OPT_STATE },
		{ "peer", required_argument, NULL, CLI_OPT_PEER },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const states[] = { "queued", "retrying",
		"delivered", "dead", "unroutable", "cancelled", NULL };
	int ch, k;

	memset(o, 0, sizeof(*o));
	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			cli->conf_path = optarg;
			break;
		case CLI_OPT_HELP:
			cli_usage(name, 0);
			return -1;
		case CLI_OPT_JSON:
			o->json = 1;
			break;
		case CLI_OPT_STATE:
			for (k = 0; states[k] != NULL; k++)
				if (strcmp(states[k], optarg) == 0)
					break;
			if (states[k] == NULL) {
				fprintf(stderr, "hlx: --state %s: one of queued "
				    "retrying delivered dead unroutable "
				    "cancelled\n", optarg);
				return EX_USAGE;
			}
			o->state = optarg;
			break;
		case CLI_OPT_PEER:
			o->peer = optarg;
			break;
		default:
			return cli_usage(name, EX_USAGE);
		}
	}
	if (strcmp(name, "outbox list") != 0 && (o->state || o->peer))
		return cli_usage(name, EX_USAGE);
	if (argc - optind != nargs) {
		fprintf(stderr, "hlx %s: expected %d argument%s, got %d\n", name,
		    nargs, nargs == 1 ? "" : "s", argc - optind);
		return cli_usage(name, EX_USAGE);
	}
	return 0;
}

#define PARSED(rc) ((rc) == -1 ? 0 : (rc))

static json_t *
str_or_null(const char *s)
{
	return s != NULL ? json_string(s) : json_null();
}

static json_t *
row_json(const struct store_outbox_row *r)
{
	char t[32];
	json_t *o = json_object();

	json_object_set_new(o, "id", json_integer(r->id));
	json_object_set_new(o, "message_id", str_or_null(r->message_id));
	json_object_set_new(o, "case", str_or_null(r->case_id));
	json_object_set_new(o, "peer", str_or_null(r->peer));
	json_object_set_new(o, "type", str_or_null(r->type));
	json_object_set_new(o, "version", json_integer(r->version));
	json_object_set_new(o, "state", str_or_null(r->state));
	json_object_set_new(o, "created_at", json_string(cli_time(
	    r->created_at, t, sizeof(t))));
	json_object_set_new(o, "attempts", json_integer(r->attempts));
	json_object_set_new(o, "next_attempt_at", r->next_attempt_at != 0 &&
	    strcmp(r->state, "delivered") != 0 ? json_string(cli_time(
	    r->next_attempt_at, t, sizeof(t))) : json_null());
	json_object_set_new(o, "delivered_at", r->delivered_at != 0 ?
	    json_string(cli_time(r->delivered_at, t, sizeof(t))) :
	    json_null());
	json_object_set_new(o, "last_status", r->last_status != 0 ?
	    json_integer(r->last_status) : json_null());
	json_object_set_new(o, "last_code", str_or_null(r->last_code));
	json_object_set_new(o, "last_detail", str_or_null(r->last_detail));
	json_object_set_new(o, "test", json_boolean(r->test));
	return o;
}

static void
row_line(const struct store_outbox_row *r)
{
	char t[32], esc[300];

	printf("%lld %s case=%s peer=%s type=%s version=%lld state=%s "
	    "attempts=%lld created=%s", (long long)r->id,
	    r->message_id != NULL ? r->message_id : "-", r->case_id,
	    r->peer != NULL ? r->peer : "-", r->type, (long long)r->version,
	    r->state, (long long)r->attempts, cli_time(r->created_at, t,
	    sizeof(t)));
	if (r->last_status != 0 || r->last_code != NULL)
		printf(" last=%lld/%s", (long long)r->last_status,
		    r->last_code != NULL ? r->last_code : "-");
	if (r->last_detail != NULL)
		printf(" detail=\"%s\"", log_escape(esc, sizeof(esc),
		    r->last_detail));
	printf("\n");
}

static int
cmd_outbox_list(struct cli *cli, int argc, char **argv)
{
	struct store_outbox_list l;
	struct store_err err;
	struct list_opts o;
	json_t *a;
	size_t i;
	int rc;

	if ((rc = parse(cli, "outbox list", argc, argv, &o, 0)) != 0)
		return PARSED(rc);
	if ((rc = cli_store(cli)) != 0)
		return rc;
	if (store_outbox_list(cli->store, o.state, o.peer, &l, &err) == -1)
		return cli_store_fail(&err);
	if (o.json) {
		a = json_array();
		for (i = 0; i < l.n; i++)
			json_array_append_new(a, row_json(&l.rows[i]));
		rc = cli_print_json(a);
	} else
		for (i = 0; i < l.n; i++)
			row_line(&l.rows[i]);
	store_outbox_list_free(&l);
	return rc;
}

static int
cmd_outbox_show(struct cli *cli, int argc, char **argv)
{
	struct store_outbox_list l;
	struct store_err err;
	struct list_opts o;
	char t1[32], t2[32], esc[300];
	json_t *j, *a, *e;
	size_t i;
	int rc;

	if ((rc = parse(cli, "outbox show", argc, argv, &o, 1)) != 0)
		return PARSED(rc);
	if ((rc = cli_store(cli)) != 0)
		return rc;
	if (store_outbox_show(cli->store, argv[optind], &l, &err) == -1)
		return cli_store_fail(&err);
	if (o.json) {
		j = row_json(&l.rows[0]);
		a = json_array();
		for (i = 0; i < l.nattempts; i++) {
			const struct store_attempt_row *r = &l.attempts[i];

			e = json_object();
			json_object_set_new(e, "started_at", json_string(
			    cli_time(r->started_at, t1, sizeof(t1))));
			json_object_set_new(e, "outcome",
			    str_or_null(r->outcome));
			json_object_set_new(e, "http_status", r->http_status ?
			    json_integer(r->http_status) : json_null());
			json_object_set_new(e, "code", str_or_null(r->code));
			json_object_set_new(e, "detail",
			    str_or_null(r->detail));
			json_array_append_new(a, e);
		}
		json_object_set_new(j, "attempt_list", a);
		rc = cli_print_json(j);
	} else {
		row_line(&l.rows[0]);
		for (i = 0; i < l.nattempts; i++) {
			const struct store_attempt_row *r = &l.attempts[i];

			printf("  attempt %zu started=%s finished=%s "
			    "outcome=%s status=%lld code=%s", i + 1,
			    cli_time(r->started_at, t1, sizeof(t1)),
			    cli_time(r->finished_at, t2, sizeof(t2)),
			    r->outcome != NULL ? r->outcome : "-",
			    (long long)r->http_status,
			    r->code != NULL ? r->code : "-");
			if (r->detail != NULL)
				printf(" detail=\"%s\"", log_escape(esc,
				    sizeof(esc), r->detail));
			printf("\n");
		}
	}
	store_outbox_list_free(&l);
	return rc;
}

static int
do_retry(struct cli *cli, void *arg, struct store_err *err)
{
	return store_outbox_retry(cli->store, arg, err);
}

static int
do_cancel(struct cli *cli, void *arg, struct store_err *err)
{
	return store_outbox_cancel(cli->store, arg, err);
}

static int
change(struct cli *cli, const char *name, int argc, char **argv,
    int (*f)(struct cli *, void *, struct store_err *), const char *done)
{
	struct list_opts o;
	int rc;

	if ((rc = parse(cli, name, argc, argv, &o, 1)) != 0)
		return PARSED(rc);
	if ((rc = cli_write(cli, f, argv[optind])) != 0)
		return rc;
	printf("%s: %s\n", argv[optind], done);
	return 0;
}

static int
cmd_outbox_retry(struct cli *cli, int argc, char **argv)
{
	return change(cli, "outbox retry", argc, argv, do_retry, "queued");
}

static int
cmd_outbox_cancel(struct cli *cli, int argc, char **argv)
{
	return change(cli, "outbox cancel", argc, argv, do_cancel,
	    "cancelled");
}
