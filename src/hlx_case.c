/*
 * hlx_case.c -- `hlx case ...` and `hlx events`: the case system follows a
 * case after its Referral (operations.md §3; protocol.md §2.2-2.3, §5).
 *
 * Each command that sends builds its message here (lifecycle.c), checks
 * the bytes with the receiver's own parser, and stores it in the outbox in
 * the same transaction as the state, hand-off and audit changes it makes;
 * hlxd delivers it.  The rules -- who may send what, which state may
 * follow which -- are lifecycle.c's; refusals exit 65 with one line.
 *
 * SECURITY: reads the configuration, the store, and the JSON files named
 * on the command line (an assessment, an amended case record: untrusted
 * input through jansson with the record's limits); writes the store and
 * [handoff] dir.  Never contacts a partner and never reads a reported URL.
 */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>

#include "handoff.h"
#include "hlx_cli.h"
#include "lifecycle.h"
#include "log.h"
#include "record.h"
#include "setup.h"
#include "util.h"

static int cmd_show(struct cli *, int, char **);
static int cmd_assess(struct cli *, int, char **);
static int cmd_update(struct cli *, int, char **);
static int cmd_amend(struct cli *, int, char **);
static int cmd_withdraw(struct cli *, int, char **);
static int cmd_reroute(struct cli *, int, char **);
static int cmd_events(struct cli *, int, char **);

const struct cli_command cli_case_commands[] = {
	{ "case show", cmd_show,
	    "case show CASE_ID [--json]",
	    "The case's timeline: every message in and out with its time,\n"
	    "version, state and delivery result, and the states recorded.\n"
	    "CASE_ID: the case_id we submitted, or our number for a case a\n"
	    "partner referred.\nExit: 0; 65 no such case." },
	{ "case assess", cmd_assess,
	    "case assess CASE_ID FILE.json",
	    "Sends our Assessment of a case a partner referred to us.  FILE:\n"
	    "{\"assessed_at\", \"severity\", \"items\": [{\"content_url\",\n"
	    "\"national_verdict\": {\"jurisdiction\", \"status\", \"code\"?},\n"
	    "\"agrees_with_sender\"?}]}.  Prints CASE_ID MESSAGE_ID PEER.\n"
	    "Exit: 0; 65 bad input, not a received case, or closed; 66 no\n"
	    "file." },
	{ "case update", cmd_update,
	    "case update CASE_ID --state S [--at T] [--observed-by O] "
	    "[--reason R] [--content-url U]...",
	    "Records the case's state (T defaults to now, and is at most 10\n"
	    "minutes ahead of it), acknowledges its hand-off, and sends a\n"
	    "StatusUpdate to the other party if there is one.  The state must\n"
	    "be one that may follow the current one (see the README's state\n"
	    "table); an update older than the current state\n"
	    "is recorded and sent but does not move the case back.  Prints\n"
	    "CASE_ID MESSAGE_ID PEER, or CASE_ID - local.\n"
	    "Exit: 0; 64 usage; 65 refused." },
	{ "case amend", cmd_amend,
	    "case amend CASE_ID FILE.json",
	    "Sends the changed record of one of our cases as a Referral with\n"
	    "the next version (a domestic case: its hand-off file is rewritten\n"
	    "as amended).  The hosting country cannot change.  Prints CASE_ID\n"
	    "MESSAGE_ID ROUTE like submit; an unchanged record stores nothing.\n"
	    "Exit: 0; 65 refused; 66 no file." },
	{ "case withdraw", cmd_withdraw,
	    "case withdraw CASE_ID --reason R [--content-url U]...",
	    "Withdraws a case we referred (or only the items named): the\n"
	    "partner is sent a Withdraw and, for the whole case, our copy is\n"
	    "closed; naming every item still in the case is the whole case.\n"
	    "A Referral never delivered is cancelled instead of sending\n"
	    "anything.  Prints CASE_ID MESSAGE_ID PEER, or CASE_ID - cancelled\n"
	    "/ domestic.\nExit: 0; 64 usage; 65 refused." },
	{ "case reroute", cmd_reroute,
	    "case reroute CASE_ID --country CC --reason R [--ip IP]... "
	    "[--provider P] [--traced-at T]",
	    "Tells the hotline that referred the case that the content is\n"
	    "hosted elsewhere (T defaults to now); our copy is closed, reason\n"
	    "rerouted.  Our own countries and the case's own are refused.\n"
	    "Prints CASE_ID MESSAGE_ID PEER.\nExit: 0; 64 usage; 65 refused." },
	{ "events", cmd_events,
	    "events [--since CURSOR] [--json]",
	    "The feed for the case system: every Referral, Assessment,\n"
	    "StatusUpdate, Withdraw and Reroute received, every delivery and\n"
	    "dead message, in order, each with its cursor (stable across\n"
	    "restarts); --since returns only later ones.\n"
	    "Exit: 0; 64 usage." },
	{ NULL, NULL, NULL, NULL },
};

#define CASE_URLS_MAX	HLX_CONTENT_URLS_MAX

/* Every option of the case commands; each command says which it takes. */
struct case_opts {
	const char	*case_id;
	const char	*file;
	int		 json;
	const char	*state;
	const char	*at;
	const char	*observed_by;
	const char	*reason;
	const char	*urls[CASE_URLS_MAX + 1];
	size_t		 nurls;
	const char	*country;
	const char	*ips[HLX_IPS_MAX + 1];
	size_t		 nips;
	const char	*provider;
	const char	*traced_at;
	const char	*since;
};

/*
 * Parses argv for name; allowed holds the option numbers it takes.  0 to
 * go on, PARSE_HELP when --help was printed (exit 0), or the exit code
 * (usage printed).  nargs positional arguments: CASE_ID, then FILE.
 */
#define PARSE_HELP	(-1)
#define PARSE_EXIT(rc)	((rc) == PARSE_HELP ? 0 : (rc))
static int
parse(struct cli *cli, const char *name, int argc, char **argv,
    const int *allowed, int nargs, struct case_opts *o)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, CLI_OPT_HELP },
		{ "json", no_argument, NULL, CLI_OPT_JSON },
		{ "state", required_argument, NULL, CLI_OPT_STATE },
		{ "at", required_argument, NULL, CLI_OPT_AT },
		{ "observed-by", required_argument, NULL, CLI_OPT_OBSERVED_BY },
		{ "reason", required_argument, NULL, CLI_OPT_REASON },
		{ "content-url", required_argument, NULL, CLI_OPT_CONTENT_URL },
		{ "country", required_argument, NULL, CLI_OPT_COUNTRY },
		{ "ip", required_argument, NULL, CLI_OPT_IP },
		{ "provider", required_argument, NULL, CLI_OPT_PROVIDER },
		{ "traced-at", required_argument, NULL, CLI_OPT_TRACED_AT },
		{ "since", required_argument, NULL, CLI_OPT_SINCE },
		{ NULL, 0, NULL, 0 },
	};
	const int *a;
	int ch;

	memset(o, 0, sizeof(*o));
	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:", opts, NULL)) != -1) {
		if (ch == 'c') {
			cli->conf_path = optarg;
			continue;
		}
		if (ch == CLI_OPT_HELP) {
			cli_usage(name, 0);
			return PARSE_HELP;
		}
		for (a = allowed; *a != 0 && *a != ch; a++)
			;
		if (ch == '?' || *a == 0) {
			if (ch != '?')
				fprintf(stderr, "hlx %s: option %s is not one "
				    "of this command's\n", name,
				    argv[optind - 1]);
			return cli_usage(name, EX_USAGE);
		}
		switch (ch) {
		case CLI_OPT_JSON:
			o->json = 1;
			break;
		case CLI_OPT_STATE:
			o->state = optarg;
			break;
		case CLI_OPT_AT:
			o->at = optarg;
			break;
		case CLI_OPT_OBSERVED_BY:
			o->observed_by = optarg;
			break;
		case CLI_OPT_REASON:
			o->reason = optarg;
			break;
		case CLI_OPT_CONTENT_URL:
			if (o->nurls == CASE_URLS_MAX) {
				fprintf(stderr, "hlx %s: --content-url: more "
				    "than %d\n", name, CASE_URLS_MAX);
				return EX_USAGE;
			}
			o->urls[o->nurls++] = optarg;
			break;
		case CLI_OPT_COUNTRY:
			o->country = optarg;
			break;
		case CLI_OPT_IP:
			if (o->nips == HLX_IPS_MAX) {
				fprintf(stderr, "hlx %s: --ip: more than %d\n",
				    name, HLX_IPS_MAX);
				return EX_USAGE;
			}
			o->ips[o->nips++] = optarg;
			break;
		case CLI_OPT_PROVIDER:
			o->provider = optarg;
			break;
		case CLI_OPT_TRACED_AT:
			o->traced_at = optarg;
			break;
		case CLI_OPT_SINCE:
			o->since = optarg;
			break;
		default:
			return cli_usage(name, EX_USAGE);
		}
	}
	if (argc - optind != nargs) {
		fprintf(stderr, "hlx %s: expected %s\n", name, nargs == 0 ?
		    "no arguments" : nargs == 1 ? "CASE_ID" :
		    "CASE_ID FILE.json");
		return cli_usage(name, EX_USAGE);
	}
	if (nargs >= 1)
		o->case_id = argv[optind];
	if (nargs >= 2)
		o->file = argv[optind + 1];
	return 0;
}

/* What a sending command does, inside one transaction. */
enum action { ACT_ASSESS, ACT_UPDATE, ACT_AMEND, ACT_WITHDRAW, ACT_REROUTE };

struct job {
	enum action		 act;
	const struct case_opts	*o;
	struct msg_schema	*schema;
	const char		*input;		/* assessment JSON or record */
	size_t			 inlen;
	struct record		*rec;		/* amend */
	char			 digest[65];	/* amend: the record's */
	/* results */
	struct store_case	 c;
	char			 message_id[HLX_UUID_LEN + 1];
	char			 route[HLX_HOTLINE_ID_MAX + 1];
	const char		*note;		/* printed on stderr */
	struct store_handoff	 ho;		/* to write after the commit */
};

/* A rule says no: exit 65 with the line. */
#define refuse(err, ...)	store_set_err((err), STORE_REFUSED, __VA_ARGS__)

/* The header every message about c carries, to its other party. */
static void
head_for(const struct cli *cli, const struct store_case *c,
    struct lifecycle_head *h, const char *message_id, const char *now_ts,
    unsigned version)
{
	memset(h, 0, sizeof(*h));
	h->message_id = message_id;
	h->sent_at = now_ts;
	h->sender = cli->conf.hotline_id;
	h->recipient = c->partner;
	h->test = c->test;
	h->issuer = c->issuer;
	h->number = c->number;
	h->version = version;
	/* PartnerCaseRef: the number of the hotline the case was referred
	 * to -- ours for a received case, the partner's once known. */
	if (!c->ours) {
		h->partner_issuer = cli->conf.hotline_id;
		h->partner_number = c->case_id;
	} else if (c->partner_number[0] != '\0') {
		h->partner_issuer = c->partner;
		h->partner_number = c->partner_number;
	}
}

/* m (freed here) written, checked as a receiver would, and queued. */
static int
queue(struct cli *cli, struct job *j, struct message *m, unsigned version,
    time_t now, struct store_err *err)
{
	struct store_followup f;
	struct message *check = NULL;
	struct msg_err merr;
	char *xml = NULL;
	size_t len = 0;
	int rc = -1;

	if (message_write(m, &xml, &len, &merr) == -1) {
		store_set_err(err, STORE_FAIL, "cannot build the message: %s",
		    merr.detail);
		goto out;
	}
	if (message_parse(j->schema, xml, len, cli->conf.max_message_bytes,
	    &check, &merr) == -1) {
		store_set_err(err, merr.code == MSG_TOO_LARGE ? STORE_REFUSED :
		    STORE_FAIL, "the message does not pass its own checks: "
		    "%s: %s", message_code_name(merr.code), merr.detail);
		goto out;
	}
	memset(&f, 0, sizeof(f));
	f.hcase = j->c.id;
	f.case_id = j->c.case_id;
	f.peer = j->c.partner;
	f.type = type_vocab_name(VOCAB_BODY, (int)m->type);
	f.version = version;
	f.message_id = j->message_id;
	f.body = xml;
	f.len = len;
	f.test = j->c.test;
	f.now = now;
	rc = store_case_queue(cli->store, &f, err);
	snprintf(j->route, sizeof(j->route), "%s", j->c.partner);
out:
	message_free(check);
	message_free(m);
	free(xml);
	return rc;
}

static int
record_state(struct cli *cli, struct job *j, const char *state,
    const char *at, const char *reason, const char *urls, int force,
    time_t now, int *applied, struct store_err *err)
{
	struct store_state ss;

	memset(&ss, 0, sizeof(ss));
	ss.state = state;
	ss.state_at = at;
	ss.peer = j->c.partner[0] != '\0' ? j->c.partner : NULL;
	ss.message_id = j->message_id[0] != '\0' ? j->message_id : NULL;
	ss.observed_by = j->o->observed_by;
	ss.reason = reason;
	ss.content_urls = urls;
	ss.force = force;
	ss.now = now;
	return store_case_state(cli->store, &j->c, &ss, applied, err);
}

/* A JSON array of the --content-url values; NULL for none. */
static char *
urls_text(const struct case_opts *o)
{
	json_t *a;
	char *s;
	size_t i;

	if (o->nurls == 0 || (a = json_array()) == NULL)
		return NULL;
	for (i = 0; i < o->nurls; i++)
		json_array_append_new(a, json_string(o->urls[i]));
	s = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	return s;
}

/*
 * protocol.md §2.4: a time that orders events (StateAt, AssessedAt) is at
 * most SentAt plus the skew of check 12.  Our SentAt is now, so a time
 * further ahead is refused here, with the option or member that gave it,
 * rather than by our own parser's check of the message.
 */
static int
too_far_ahead(int64_t at_usec, time_t now)
{
	return at_usec > ((int64_t)now + HLX_SENT_AT_MAX_AHEAD) * 1000000;
}

static int
do_update(struct cli *cli, struct job *j, const char *now_ts, time_t now,
    struct store_err *err)
{
	const struct case_opts *o = j->o;
	struct lifecycle_status ls;
	struct lifecycle_head h;
	struct message *m;
	char why[300], next[200], *urls = NULL;
	const char *at = o->at != NULL ? o->at : now_ts;
	unsigned version = 0;
	int64_t at_usec, cur_usec;
	int to, from, applied, rc, older;

	if ((to = type_vocab_parse(VOCAB_STATE, o->state)) == -1)
		return refuse(err, "--state: expected one of %s",
		    type_vocab_list(VOCAB_STATE));
	if (o->observed_by != NULL && type_vocab_parse(VOCAB_OBSERVED_BY,
	    o->observed_by) == -1)
		return refuse(err, "--observed-by: expected one of %s",
		    type_vocab_list(VOCAB_OBSERVED_BY));
	from = j->c.state[0] != '\0' ? type_vocab_parse(VOCAB_STATE,
	    j->c.state) : -1;
	if (lifecycle_time_usec(at, &at_usec) == -1)
		return refuse(err, "--at: %s", type_check_timestamp(at) !=
		    NULL ? type_check_timestamp(at) : "not a timestamp");
	/* A state dated ahead would make every later one "older" and
	 * freeze the case, here and at the other party. */
	if (too_far_ahead(at_usec, now))
		return refuse(err, "--at: %s is more than %ld minutes ahead of "
		    "now (%s)", at, HLX_SENT_AT_MAX_AHEAD / 60, now_ts);
	/* A state older than the current one is history: recorded and
	 * sent, not applied -- the table speaks of what comes next. */
	older = from >= 0 && lifecycle_time_usec(j->c.state_at, &cur_usec) ==
	    0 && at_usec < cur_usec;
	if (!older && !lifecycle_may_follow(from, (enum case_state)to)) {
		lifecycle_next_states(from, next, sizeof(next));
		return store_set_err(err, STORE_REFUSED, "case %s: %s cannot "
		    "follow %s (may follow: %s)", j->c.case_id, o->state,
		    from < 0 ? "a new case" : j->c.state, next);
	}
	/* Sent when there is another party; a domestic case, or one of
	 * ours not yet routed, only records it. */
	if (j->c.partner[0] != '\0') {
		memset(&ls, 0, sizeof(ls));
		ls.state = (enum case_state)to;
		ls.state_at = at;
		ls.observed_by = o->observed_by != NULL ? type_vocab_parse(
		    VOCAB_OBSERVED_BY, o->observed_by) : -1;
		ls.reason = o->reason;
		ls.content_urls = o->urls;
		ls.ncontent_urls = o->nurls;
		if (store_case_next_version(cli->store, j->c.id, j->c.partner,
		    &version, err) == -1 ||
		    util_uuid4(j->message_id, sizeof(j->message_id)) == -1)
			return -1;
		head_for(cli, &j->c, &h, j->message_id, now_ts, version);
		if ((m = lifecycle_status_update(&h, &ls, why, sizeof(why))) ==
		    NULL)
			return store_set_err(err, STORE_REFUSED, "%s", why);
		if (queue(cli, j, m, version, now, err) == -1)
			return -1;
	} else {
		/* Checked here as the message would have been. */
		if (o->reason != NULL && type_check_text(o->reason) != NULL)
			return refuse(err, "--reason: %s",
			    type_check_text(o->reason));
		snprintf(j->route, sizeof(j->route), "local");
	}
	urls = urls_text(o);
	rc = record_state(cli, j, o->state, at, o->reason, urls, 0, now,
	    &applied, err);
	free(urls);
	if (rc == -1 || store_handoff_ack(cli->store, &j->c, now, err) == -1)
		return -1;
	if (!applied)
		j->note = "recorded, not applied: older than the case's "
		    "current state";
	return 0;
}

static int
do_assess(struct cli *cli, struct job *j, const char *now_ts, time_t now,
    struct store_err *err)
{
	struct lifecycle_head h;
	struct message *m;
	char why[300];
	unsigned version;
	int64_t at_usec;

	if (j->c.ours)
		return refuse(err, "case %s is one of ours: only the hotline a "
		    "case was referred to assesses it", j->c.case_id);
	if (store_case_next_version(cli->store, j->c.id, j->c.partner,
	    &version, err) == -1 ||
	    util_uuid4(j->message_id, sizeof(j->message_id)) == -1)
		return -1;
	head_for(cli, &j->c, &h, j->message_id, now_ts, version);
	if ((m = lifecycle_assessment(&h, j->input, j->inlen, why,
	    sizeof(why))) == NULL)
		return store_set_err(err, STORE_REFUSED, "%s: %s", j->o->file,
		    why);
	if (lifecycle_time_usec(m->u.assessment.assessed_at, &at_usec) ==
	    -1 || too_far_ahead(at_usec, now)) {
		store_set_err(err, STORE_REFUSED, "%s: assessed_at: %s is more "
		    "than %ld minutes ahead of now (%s)", j->o->file,
		    m->u.assessment.assessed_at, HLX_SENT_AT_MAX_AHEAD / 60,
		    now_ts);
		message_free(m);
		return -1;
	}
	return queue(cli, j, m, version, now, err);
}

static int
do_amend(struct cli *cli, struct job *j, const char *now_ts, time_t now,
    struct store_err *err)
{
	const struct msg_referral *r = &j->rec->msg->u.referral;
	struct handoff_meta meta;
	struct message *m = j->rec->msg;
	char *doc, why[160];
	unsigned version;
	size_t len;
	int rc;

	if (!j->c.ours)
		return refuse(err, "case %s was referred to us: only its "
		    "issuer amends it", j->c.case_id);
	if (strcmp(j->rec->case_id, j->c.case_id) != 0)
		return refuse(err, "%s: case_id: %s is not the case amended",
		    j->o->file, j->rec->case_id);
	if (strcmp(r->hosting.country, j->c.country) != 0)
		return store_set_err(err, STORE_REFUSED, "%s: hosting.country: "
		    "%s is not the case's %s; a case moves by the partner's "
		    "Reroute, or is withdrawn and submitted anew", j->o->file,
		    r->hosting.country, j->c.country);
	if (strcmp(j->digest, j->c.record_sha256) == 0) {
		j->note = "unchanged: nothing stored";
		snprintf(j->route, sizeof(j->route), "unchanged");
		return 0;
	}
	if (store_case_set_record(cli->store, j->c.id, j->input, j->digest,
	    err) == -1)
		return -1;
	if (strcmp(j->c.handoff_kind, "domestic") == 0) {
		/* Hosted here: the hand-off file is rewritten, amended. */
		memset(&meta, 0, sizeof(meta));
		meta.kind = "domestic";
		meta.revision = j->c.revision + 1;
		meta.state = "amended";
		meta.deadline_at = j->c.deadline_at;
		meta.test = j->rec->test;
		if ((doc = handoff_document(j->c.case_id, r, j->rec->internal,
		    &meta, &len, why, sizeof(why))) == NULL)
			return store_set_err(err, STORE_FAIL, "hand-off of %s: "
			    "%s", j->c.case_id, why);
		rc = store_handoff_revise(cli->store, &j->c, "amended", NULL,
		    0, doc, now, &j->ho, err);
		free(doc);
		snprintf(j->route, sizeof(j->route), "domestic");
		return rc;
	}
	if (j->c.partner[0] == '\0') {
		/* Waiting for a route: it goes with the new content. */
		snprintf(j->route, sizeof(j->route), "unroutable");
		return 0;
	}
	if (store_case_next_version(cli->store, j->c.id, j->c.partner,
	    &version, err) == -1 ||
	    util_uuid4(j->message_id, sizeof(j->message_id)) == -1 ||
	    record_translate(j->rec, cli->conf.hotline_id, j->c.partner,
	    j->message_id, now_ts, version) == -1)
		return store_set_err(err, STORE_FAIL, "cannot build the "
		    "Referral");
	/* queue() frees what it is given: the record keeps its message. */
	j->rec->msg = NULL;
	return queue(cli, j, m, version, now, err);
}

/*
 * Whether --content-url names every item still in the case: those of its
 * record (or hand-off), less those our earlier Withdraws to the partner
 * took out since its latest Referral.  1 yes, 0 no, -1 error.
 */
static int
names_every_item(struct cli *cli, struct job *j, struct store_err *err)
{
	const struct case_opts *o = j->o;
	struct store_body *b = NULL;
	struct message *m;
	struct msg_err merr;
	const char **named = NULL;
	size_t nb = 0, nn = 0, i, k, left = SIZE_MAX, cap = o->nurls;
	int rc = -1;

	if (j->c.partner[0] != '\0' && store_case_withdraws(cli->store,
	    j->c.id, j->c.partner, &b, &nb, err) == -1)
		return -1;
	/* Each body holds at most HLX_CONTENT_URLS_MAX ContentUrls. */
	cap += nb * HLX_CONTENT_URLS_MAX;
	if ((named = calloc(cap > 0 ? cap : 1, sizeof(*named))) == NULL) {
		store_set_err(err, STORE_FAIL, "out of memory");
		goto out;
	}
	for (i = 0; i < o->nurls; i++)
		named[nn++] = o->urls[i];
	/* Our own bytes, checked when they were queued: one that no
	 * longer parses is left out (its items count as still there). */
	for (i = 0; i < nb; i++) {
		if (message_parse(j->schema, b[i].body, b[i].len, SIZE_MAX, &m,
		    &merr) == -1)
			continue;
		for (k = 0; m->type == BODY_WITHDRAW &&
		    k < m->u.withdraw.ncontent_urls; k++)
			if ((named[nn++] = strdup(m->u.withdraw.content_urls[k]))
			    == NULL)
				nn--;
		message_free(m);
	}
	if (store_case_items_left(cli->store, &j->c, named, nn, &left,
	    err) == -1)
		goto out;
	rc = left == 0;
out:
	for (i = o->nurls; named != NULL && i < nn; i++)
		free((void *)(uintptr_t)named[i]);
	free(named);
	store_body_free(b, nb);
	return rc;
}

static int
do_withdraw(struct cli *cli, struct job *j, const char *now_ts, time_t now,
    struct store_err *err)
{
	const struct case_opts *o = j->o;
	struct lifecycle_head h;
	struct message *m;
	char why[300];
	unsigned version;
	size_t nurls = o->nurls;
	int64_t n;
	int applied, every;

	if (!j->c.ours)
		return refuse(err, "case %s was referred to us: only its "
		    "issuer withdraws it", j->c.case_id);
	/* Every item still in the case named: that is the whole case, sent
	 * as such (no ContentUrl), so that no side keeps an open case
	 * without items (issue 13). */
	if (nurls > 0) {
		if ((every = names_every_item(cli, j, err)) == -1)
			return -1;
		if (every) {
			nurls = 0;
			j->note = "every item still in the case named: the "
			    "whole case is withdrawn";
		}
	}
	if (strcmp(j->c.handoff_kind, "domestic") == 0 || j->c.partner[0] ==
	    '\0' || (!j->c.delivered && nurls == 0)) {
		if (nurls > 0)
			return refuse(err, "case %s: some items can be "
			    "withdrawn only from a partner; amend the case "
			    "instead", j->c.case_id);
		/* protocol.md §4: never delivered -> cancelled here; or
		 * ours alone: nothing to send. */
		if (type_check_text(o->reason) != NULL)
			return refuse(err, "--reason: %s",
			    type_check_text(o->reason));
		if (store_case_cancel(cli->store, &j->c, NULL, "withdrawn "
		    "before delivery", &n, err) == -1 ||
		    record_state(cli, j, "closed", now_ts, "withdrawn", NULL, 1,
		    now, &applied, err) == -1 ||
		    store_handoff_revise(cli->store, &j->c, "withdrawn", NULL, 0,
		    NULL, now, &j->ho, err) == -1)
			return -1;
		snprintf(j->route, sizeof(j->route), "%s",
		    j->c.handoff_kind[0] != '\0' ? "domestic" : "cancelled");
		return 0;
	}
	if (store_case_next_version(cli->store, j->c.id, j->c.partner,
	    &version, err) == -1 ||
	    util_uuid4(j->message_id, sizeof(j->message_id)) == -1)
		return -1;
	head_for(cli, &j->c, &h, j->message_id, now_ts, version);
	if ((m = lifecycle_withdraw(&h, o->reason, o->urls, nurls, why,
	    sizeof(why))) == NULL)
		return store_set_err(err, STORE_REFUSED, "%s", why);
	if (queue(cli, j, m, version, now, err) == -1)
		return -1;
	if (nurls > 0)
		return 0;
	return record_state(cli, j, "closed", now_ts, "withdrawn", NULL, 1,
	    now, &applied, err);
}

static int
do_reroute(struct cli *cli, struct job *j, const char *now_ts, time_t now,
    struct store_err *err)
{
	const struct case_opts *o = j->o;
	struct lifecycle_head h;
	struct msg_hosting hs;
	struct message *m;
	char why[300];
	unsigned version;
	size_t i;
	int applied;

	if (j->c.ours)
		return refuse(err, "case %s is one of ours: a case is rerouted "
		    "by the hotline it was referred to", j->c.case_id);
	if (conf_receives_for(&cli->conf, o->country))
		return refuse(err, "--country: %s is one of our own "
		    "countries; the case stays here (update it instead)",
		    o->country);
	if (strcmp(o->country, j->c.country) == 0)
		return refuse(err, "--country: %s is the case's own country",
		    o->country);
	memset(&hs, 0, sizeof(hs));
	hs.country = (char *)(uintptr_t)o->country;
	for (i = 0; i < o->nips; i++)
		hs.ips[i] = (char *)(uintptr_t)o->ips[i];
	hs.nips = o->nips;
	hs.provider = (char *)(uintptr_t)o->provider;
	hs.cdn = -1;
	hs.traced_at = (char *)(uintptr_t)(o->traced_at != NULL ?
	    o->traced_at : now_ts);
	if (store_case_next_version(cli->store, j->c.id, j->c.partner,
	    &version, err) == -1 ||
	    util_uuid4(j->message_id, sizeof(j->message_id)) == -1)
		return -1;
	head_for(cli, &j->c, &h, j->message_id, now_ts, version);
	if ((m = lifecycle_reroute(&h, &hs, o->reason, why, sizeof(why))) ==
	    NULL)
		return store_set_err(err, STORE_REFUSED, "%s", why);
	/* protocol.md §2.2: the party that rerouted leaves the case. */
	if (queue(cli, j, m, version, now, err) == -1 ||
	    record_state(cli, j, "closed", now_ts, "rerouted", NULL, 1, now,
	    &applied, err) == -1)
		return -1;
	return store_handoff_ack(cli->store, &j->c, now, err);
}

static int
run_job(struct cli *cli, void *arg, struct store_err *err)
{
	struct job *j = arg;
	char now_ts[HLX_TIMESTAMP_MAX + 1];
	time_t now = time(NULL);

	if (store_case_find(cli->store, cli->conf.hotline_id, j->o->case_id,
	    &j->c, err) == -1)
		return -1;
	if (strcmp(j->c.state, "closed") == 0)
		return store_set_err(err, STORE_REFUSED, "case %s is closed "
		    "(%s)", j->c.case_id, j->c.closed_reason);
	if (type_timestamp_format(now, now_ts, sizeof(now_ts)) == -1)
		return store_set_err(err, STORE_FAIL, "time");
	switch (j->act) {
	case ACT_ASSESS:
		return do_assess(cli, j, now_ts, now, err);
	case ACT_UPDATE:
		return do_update(cli, j, now_ts, now, err);
	case ACT_AMEND:
		return do_amend(cli, j, now_ts, now, err);
	case ACT_WITHDRAW:
		return do_withdraw(cli, j, now_ts, now, err);
	case ACT_REROUTE:
		return do_reroute(cli, j, now_ts, now, err);
	}
	return store_set_err(err, STORE_FAIL, "no such action");
}

/* Store, schema, the transaction, the hand-off file, the line printed. */
static int
run(struct cli *cli, struct job *j)
{
	struct store_err err;
	char why[256];
	int rc;

	if ((rc = cli_store(cli)) != 0 || (rc = setup_schema(&j->schema)) != 0)
		return rc;
	memset(&err, 0, sizeof(err));
	rc = cli_write_quiet(cli, run_job, j, &err);
	if (rc != 0) {
		fprintf(stderr, "hlx: %s\n", err.msg);
		rc = err.rc == STORE_REFUSED || err.rc == STORE_NOTFOUND ?
		    EX_DATAERR : rc;
	} else {
		if (j->ho.document != NULL) {
			mkdir(cli->conf.handoff_dir, 0700);
			if (store_handoff_flush(cli->store,
			    cli->conf.handoff_dir, &j->ho.hcase, 1, why,
			    sizeof(why)) == -1)
				fprintf(stderr, "hlx: %s: the hand-off file "
				    "waits (hlxd writes it within seconds): %s\n",
				    j->c.case_id, why);
		}
		if (j->note != NULL)
			fprintf(stderr, "hlx: %s: %s\n", j->c.case_id, j->note);
		printf("%s %s %s\n", j->c.case_id, j->message_id[0] != '\0' ?
		    j->message_id : "-", j->route);
	}
	free(j->ho.document);
	message_schema_free(j->schema);
	return rc;
}

static int
cmd_assess(struct cli *cli, int argc, char **argv)
{
	static const int allowed[] = { 0 };
	struct case_opts o;
	struct job j;
	enum file_result fr;
	char *buf = NULL;
	size_t len = 0;
	int rc;

	if ((rc = parse(cli, "case assess", argc, argv, allowed, 2, &o)) != 0)
		return PARSE_EXIT(rc);
	fr = file_read(o.file, HLX_RECORD_MAX_BYTES, &buf, &len);
	if ((rc = cli_read_fail(o.file, fr, len, HLX_RECORD_MAX_BYTES)) != 0)
		return rc;
	memset(&j, 0, sizeof(j));
	j.act = ACT_ASSESS;
	j.o = &o;
	j.input = buf;
	j.inlen = len;
	rc = run(cli, &j);
	free(buf);
	return rc;
}

static int
cmd_update(struct cli *cli, int argc, char **argv)
{
	static const int allowed[] = { CLI_OPT_STATE, CLI_OPT_AT,
		CLI_OPT_OBSERVED_BY, CLI_OPT_REASON, CLI_OPT_CONTENT_URL, 0 };
	struct case_opts o;
	struct job j;
	int rc;

	if ((rc = parse(cli, "case update", argc, argv, allowed, 1, &o)) != 0)
		return PARSE_EXIT(rc);
	if (o.state == NULL) {
		fprintf(stderr, "hlx case update: --state is required\n");
		return cli_usage("case update", EX_USAGE);
	}
	memset(&j, 0, sizeof(j));
	j.act = ACT_UPDATE;
	j.o = &o;
	return run(cli, &j);
}

static int
cmd_amend(struct cli *cli, int argc, char **argv)
{
	static const int allowed[] = { 0 };
	struct case_opts o;
	struct record rec;
	struct record_err rerr;
	struct job j;
	enum file_result fr;
	char *buf = NULL;
	size_t len = 0;
	int rc;

	if ((rc = parse(cli, "case amend", argc, argv, allowed, 2, &o)) != 0)
		return PARSE_EXIT(rc);
	fr = file_read(o.file, HLX_RECORD_MAX_BYTES, &buf, &len);
	if ((rc = cli_read_fail(o.file, fr, len, HLX_RECORD_MAX_BYTES)) != 0)
		return rc;
	memset(&j, 0, sizeof(j));
	if (record_parse(buf, len, &rec, &rerr) == -1) {
		fprintf(stderr, "hlx: %s: %s\n", o.file, rerr.text);
		free(buf);
		return EX_DATAERR;
	}
	if (record_digest(buf, len, j.digest) == -1) {
		fprintf(stderr, "hlx: %s: out of memory\n", o.file);
		rc = EX_SOFTWARE;
		goto out;
	}
	/* The record is stored as given (a NUL-terminated copy). */
	j.act = ACT_AMEND;
	j.o = &o;
	j.rec = &rec;
	j.input = buf;
	j.inlen = len;
	rc = run(cli, &j);
out:
	record_free(&rec);
	free(buf);
	return rc;
}

static int
cmd_withdraw(struct cli *cli, int argc, char **argv)
{
	static const int allowed[] = { CLI_OPT_REASON, CLI_OPT_CONTENT_URL, 0 };
	struct case_opts o;
	struct job j;
	int rc;

	if ((rc = parse(cli, "case withdraw", argc, argv, allowed, 1, &o)) !=
	    0)
		return PARSE_EXIT(rc);
	if (o.reason == NULL) {
		fprintf(stderr, "hlx case withdraw: --reason is required\n");
		return cli_usage("case withdraw", EX_USAGE);
	}
	memset(&j, 0, sizeof(j));
	j.act = ACT_WITHDRAW;
	j.o = &o;
	return run(cli, &j);
}

static int
cmd_reroute(struct cli *cli, int argc, char **argv)
{
	static const int allowed[] = { CLI_OPT_COUNTRY, CLI_OPT_REASON,
		CLI_OPT_IP, CLI_OPT_PROVIDER, CLI_OPT_TRACED_AT, 0 };
	struct case_opts o;
	struct job j;
	int rc;

	if ((rc = parse(cli, "case reroute", argc, argv, allowed, 1, &o)) != 0)
		return PARSE_EXIT(rc);
	if (o.country == NULL || o.reason == NULL) {
		fprintf(stderr, "hlx case reroute: --country and --reason are "
		    "required\n");
		return cli_usage("case reroute", EX_USAGE);
	}
	memset(&j, 0, sizeof(j));
	j.act = ACT_REROUTE;
	j.o = &o;
	return run(cli, &j);
}

/* show ------------------------------------------------------------- */

static json_t *
jstr(const char *s)
{
	return s != NULL && s[0] != '\0' ? json_string(s) : json_null();
}

static json_t *
jtime(time_t t)
{
	char buf[32];

	return t != 0 ? json_string(cli_time(t, buf, sizeof(buf))) :
	    json_null();
}

static int
show_json(const struct store_case *c, const struct store_timeline *t)
{
	json_t *o = json_object(), *a = json_array(), *r, *h;
	size_t i;

	json_object_set_new(o, "case", json_string(c->case_id));
	json_object_set_new(o, "origin", json_string(c->ours ? "ours" :
	    "received"));
	json_object_set_new(o, "issuer", json_string(c->issuer));
	json_object_set_new(o, "number", json_string(c->number));
	json_object_set_new(o, "partner", jstr(c->partner));
	json_object_set_new(o, "partner_number", jstr(c->partner_number));
	json_object_set_new(o, "country", json_string(c->country));
	json_object_set_new(o, "state", jstr(c->state));
	json_object_set_new(o, "state_at", jstr(c->state_at));
	json_object_set_new(o, "closed_reason", jstr(c->closed_reason));
	json_object_set_new(o, "reroutes", json_integer(c->reroutes));
	json_object_set_new(o, "test", json_boolean(c->test));
	if (c->handoff_kind[0] != '\0') {
		h = json_object();
		json_object_set_new(h, "kind", json_string(c->handoff_kind));
		json_object_set_new(h, "revision", json_integer(c->revision));
		json_object_set_new(h, "state", json_string(c->handoff_state));
		json_object_set_new(h, "file", json_string(c->handoff_file));
		json_object_set_new(h, "deadline_at",
		    json_string(c->deadline_at));
		json_object_set_new(o, "handoff", h);
	} else
		json_object_set_new(o, "handoff", json_null());
	for (i = 0; i < t->n; i++) {
		const struct store_timeline_row *x = &t->rows[i];

		r = json_object();
		json_object_set_new(r, "at", jtime(x->at));
		json_object_set_new(r, "direction", json_string(x->dir));
		json_object_set_new(r, "type", json_string(x->type));
		json_object_set_new(r, "peer", jstr(x->peer));
		json_object_set_new(r, "message_id", jstr(x->message_id));
		json_object_set_new(r, "version", x->version > 0 ?
		    json_integer(x->version) : json_null());
		json_object_set_new(r, "result", jstr(x->result));
		json_object_set_new(r, "state", jstr(x->state));
		json_object_set_new(r, "state_at", jstr(x->state_at));
		json_object_set_new(r, "applied", x->applied < 0 ?
		    json_null() : json_boolean(x->applied));
		json_object_set_new(r, "delivered_at", jtime(x->delivered_at));
		json_object_set_new(r, "last_status", x->last_status > 0 ?
		    json_integer(x->last_status) : json_null());
		json_object_set_new(r, "last_code", jstr(x->last_code));
		json_array_append_new(a, r);
	}
	json_object_set_new(o, "timeline", a);
	return cli_print_json(o);
}

static const char *
dash(const char *s)
{
	return s != NULL && s[0] != '\0' ? s : "-";
}

static void
show_text(const struct store_case *c, const struct store_timeline *t)
{
	char b1[32], b2[32], esc[HLX_TEXT_MAX * 4 + 1];
	size_t i;

	printf("case %s (%s)\n", c->case_id, c->ours ? "ours" :
	    "received");
	printf("  reference: %s of %s\n", c->number, c->issuer);
	printf("  partner: %s", dash(c->partner));
	if (c->partner_number[0] != '\0')
		printf(" (their number %s)", c->partner_number);
	printf("\n  country: %s\n", c->country);
	printf("  state: %s%s%s", dash(c->state), c->state_at[0] ? " at " : "",
	    c->state_at);
	/* The reason may be a partner's text: escaped, it cannot forge a
	 * line of the timeline. */
	if (c->closed_reason[0] != '\0')
		printf(" (%s)", log_escape(esc, sizeof(esc),
		    c->closed_reason));
	printf("\n");
	if (c->reroutes > 0)
		printf("  rerouted: %lld times\n", (long long)c->reroutes);
	if (c->handoff_kind[0] != '\0')
		printf("  hand-off: %s revision %u, %s, file %s, deadline %s\n",
		    c->handoff_kind, c->revision, c->handoff_state,
		    c->handoff_file, c->deadline_at);
	if (c->test)
		printf("  test: true\n");
	printf("  timeline:\n");
	for (i = 0; i < t->n; i++) {
		const struct store_timeline_row *x = &t->rows[i];

		printf("    %s %-5s %-12s", cli_time(x->at, b1, sizeof(b1)),
		    x->dir, x->type);
		if (x->version > 0)
			printf(" v%lld", (long long)x->version);
		if (x->peer != NULL)
			printf(" %s %s", strcmp(x->dir, "in") == 0 ? "from" :
			    "to", x->peer);
		if (x->state != NULL)
			printf(" state=%s at %s%s", x->state, x->state_at,
			    x->applied == 0 ? " (not applied)" : "");
		if (x->result != NULL)
			printf(" %s", x->result);
		if (x->delivered_at != 0)
			printf(" %s", cli_time(x->delivered_at, b2,
			    sizeof(b2)));
		if (x->last_status > 0 && strcmp(dash(x->result),
		    "delivered") != 0)
			printf(" (last answer %lld %s)",
			    (long long)x->last_status, dash(x->last_code));
		if (x->message_id != NULL)
			printf(" %s", x->message_id);
		printf("\n");
	}
}

static int
cmd_show(struct cli *cli, int argc, char **argv)
{
	static const int allowed[] = { CLI_OPT_JSON, 0 };
	struct case_opts o;
	struct store_case c;
	struct store_timeline t;
	struct store_err err;
	int rc;

	if ((rc = parse(cli, "case show", argc, argv, allowed, 1, &o)) != 0 ||
	    (rc = cli_store(cli)) != 0)
		return PARSE_EXIT(rc);
	if (store_case_find(cli->store, cli->conf.hotline_id, o.case_id, &c,
	    &err) == -1 || store_case_timeline(cli->store, c.id, &t,
	    &err) == -1) {
		rc = cli_store_fail(&err);
		return err.rc == STORE_NOTFOUND ? EX_DATAERR : rc;
	}
	if (o.json)
		rc = show_json(&c, &t);
	else
		show_text(&c, &t);
	store_timeline_free(&t);
	return rc;
}

/* events ------------------------------------------------------------ */

#define EVENTS_PAGE	1000

static int
cmd_events(struct cli *cli, int argc, char **argv)
{
	static const int allowed[] = { CLI_OPT_SINCE, CLI_OPT_JSON, 0 };
	struct case_opts o;
	struct store_event_list l;
	struct store_err err;
	json_t *all = NULL, *r, *d;
	char buf[32], *end;
	long long since = 0;
	size_t i;
	int rc;

	if ((rc = parse(cli, "events", argc, argv, allowed, 0, &o)) != 0)
		return PARSE_EXIT(rc);
	if (o.since != NULL) {
		since = strtoll(o.since, &end, 10);
		if (o.since[0] < '0' || o.since[0] > '9' || *end != '\0' ||
		    since < 0) {
			fprintf(stderr, "hlx events: --since: expected a "
			    "cursor (a number from an earlier event)\n");
			return EX_USAGE;
		}
	}
	if ((rc = cli_store(cli)) != 0)
		return rc;
	if (o.json)
		all = json_array();
	/* Page by page from the store: the text feed streams in bounded
	 * memory; --json builds one document, so it holds the feed. */
	do {
		if (store_events(cli->store, since, EVENTS_PAGE, &l, &err) ==
		    -1) {
			json_decref(all);
			return cli_store_fail(&err);
		}
		for (i = 0; i < l.n; i++) {
			const struct store_event_row *e = &l.rows[i];

			since = e->cursor;
			if (!o.json) {
				printf("%lld %s %s %s %s %s %s\n",
				    (long long)e->cursor, cli_time(e->at, buf,
				    sizeof(buf)), e->kind, dash(e->case_id),
				    dash(e->peer), dash(e->message_id),
				    e->data != NULL ? e->data : "{}");
				continue;
			}
			r = json_object();
			json_object_set_new(r, "cursor",
			    json_integer(e->cursor));
			json_object_set_new(r, "at", jtime(e->at));
			json_object_set_new(r, "kind", json_string(e->kind));
			json_object_set_new(r, "case", jstr(e->case_id));
			json_object_set_new(r, "peer", jstr(e->peer));
			json_object_set_new(r, "message_id",
			    jstr(e->message_id));
			d = e->data != NULL ? json_loads(e->data, 0, NULL) :
			    NULL;
			json_object_set_new(r, "data", d != NULL ? d :
			    json_object());
			json_array_append_new(all, r);
		}
		i = l.n;
		store_event_list_free(&l);
	} while (i == EVENTS_PAGE);
	if (o.json)
		return cli_print_json(all);
	return 0;
}
