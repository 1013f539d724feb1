/*
 * hlx_admin.c -- `hlx identity`, `hlx cert check`, `hlx audit list|verify`.
 *
 * SECURITY: reads the configuration, our own certificate ([tls] cert; the
 * key file's mode is checked, never its content) and the store.  Writes
 * nothing but the audit key on first use of the store.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include "cert.h"
#include "hlx_cli.h"
#include "log.h"

#define OWN_CERT_MAX	(64 * 1024)

static int cmd_identity(struct cli *, int, char **);
static int cmd_cert_check(struct cli *, int, char **);
static int cmd_audit_list(struct cli *, int, char **);
static int cmd_audit_verify(struct cli *, int, char **);

const struct cli_command cli_admin_commands[] = {
	{ "identity", cmd_identity,
	    "identity [--json]",
	    "This hotline's id, country, certificate subject, expiry and pin:\n"
	    "what a partner needs to register it.  Reads [tls] cert; refuses\n"
	    "a [tls] key that group or others may read.\n"
	    "Exit: 0; 65 not a certificate; 66 missing; 77 file modes; 78 "
	    "configuration." },
	{ "cert check", cmd_cert_check,
	    "cert check [--days N]",
	    "Lists our own certificate and every valid peer pin that expires\n"
	    "within N days (default 30) or has expired (a pin expires with the\n"
	    "certificate it was added from, or at its --expires), and every\n"
	    "valid pin with no known expiry, which does not count for the\n"
	    "exit status.\n"
	    "Exit: 0 none; 1 some; 64 usage." },
	{ "audit list", cmd_audit_list,
	    "audit list [--case ID] [--peer ID] [--json]",
	    "The audit trail, oldest first: time, actor, event, peer, case,\n"
	    "message id, pin, detail.\n"
	    "Exit: 0; 74/75 store I/O or busy." },
	{ "audit verify", cmd_audit_verify,
	    "audit verify",
	    "Checks every entry's HMAC chain under [storage] audit_key and the\n"
	    "stored tip; prints the count and the tip (record it elsewhere to\n"
	    "detect a rewind).\n"
	    "Exit: 0 whole; 1 at the first bad entry, which it names." },
	{ NULL, NULL, NULL, NULL },
};

struct opts {
	int		 json;
	long		 days;
	const char	*peer;
	const char	*hcase;
};

static int
parse(struct cli *cli, const char *name, int argc, char **argv,
    struct opts *o, int nargs)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, CLI_OPT_HELP },
		{ "json", no_argument, NULL, CLI_OPT_JSON },
		{ "days", required_argument, NULL, CLI_OPT_DAYS },
		{ "peer", required_argument, NULL, CLI_OPT_PEER },
		{ "case", required_argument, NULL, CLI_OPT_CASE },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	int ch;

	memset(o, 0, sizeof(*o));
	o->days = 30;
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
		case CLI_OPT_DAYS:
			errno = 0;
			o->days = strtol(optarg, &end, 10);
			if (errno != 0 || end == optarg || *end != '\0' ||
			    o->days < 0 || o->days > 36500) {
				fprintf(stderr, "hlx: --days %s: a whole number "
				    "from 0 to 36500\n", optarg);
				return EX_USAGE;
			}
			break;
		case CLI_OPT_PEER:
			o->peer = optarg;
			break;
		case CLI_OPT_CASE:
			o->hcase = optarg;
			break;
		default:
			return cli_usage(name, EX_USAGE);
		}
	}
	/* Options a command does not take are refused, not ignored. */
	if ((strcmp(name, "identity") != 0 && strcmp(name, "audit list") != 0 &&
	    o->json) || (strcmp(name, "cert check") != 0 && o->days != 30) ||
	    (strcmp(name, "audit list") != 0 && (o->peer || o->hcase)))
		return cli_usage(name, EX_USAGE);
	if (argc - optind != nargs) {
		fprintf(stderr, "hlx %s: expected no argument, got %d\n", name,
		    argc - optind);
		return cli_usage(name, EX_USAGE);
	}
	return 0;
}

#define PARSED(rc) ((rc) == -1 ? 0 : (rc))

/* Our certificate, with the key file's mode checked (operations.md §1). */
static int
own_cert(struct cli *cli, struct cert_info *info)
{
	char *buf = NULL, why[160];
	enum file_result fr;
	mode_t mode;
	size_t len;
	int rc;

	if ((rc = cli_conf(cli)) != 0)
		return rc;
	switch (file_mode_too_open(cli->conf.tls_key, 1, &mode)) {
	case 1:
		fprintf(stderr, "hlx: [tls] key %s: mode %04o is too open "
		    "(group or others may read or write it)\n",
		    cli->conf.tls_key, (unsigned)mode);
		return EX_NOPERM;
	case -1:
		fprintf(stderr, "hlx: [tls] key %s: %s\n", cli->conf.tls_key,
		    strerror(errno));
		return EX_NOPERM;
	}
	fr = file_read(cli->conf.tls_cert, OWN_CERT_MAX, &buf, &len);
	if ((rc = cli_read_fail(cli->conf.tls_cert, fr, len, OWN_CERT_MAX)) !=
	    0)
		return rc;
	rc = cert_info_from_pem(buf, len, info, why, sizeof(why));
	free(buf);
	if (rc == -1) {
		fprintf(stderr, "hlx: [tls] cert %s: %s\n", cli->conf.tls_cert,
		    why);
		return EX_DATAERR;
	}
	return 0;
}

static int
cmd_identity(struct cli *cli, int argc, char **argv)
{
	struct cert_info info;
	struct opts o;
	time_t now = time(NULL);
	char t[32];
	json_t *j;
	int rc;

	if ((rc = parse(cli, "identity", argc, argv, &o, 0)) != 0)
		return PARSED(rc);
	if ((rc = own_cert(cli, &info)) != 0)
		return rc;
	if (o.json) {
		j = json_object();
		json_object_set_new(j, "id", json_string(cli->conf.hotline_id));
		json_object_set_new(j, "country",
		    json_string(cli->conf.country));
		json_object_set_new(j, "subject", json_string(info.subject));
		json_object_set_new(j, "not_after", json_string(cli_time(
		    info.not_after, t, sizeof(t))));
		json_object_set_new(j, "days_left",
		    json_integer(cert_days_left(info.not_after, now)));
		json_object_set_new(j, "pin", json_string(info.pin));
		return cli_print_json(j);
	}
	printf("id: %s\ncountry: %s\nsubject: %s\nexpires: %s (%ld days "
	    "left)\npin: %s\n", cli->conf.hotline_id, cli->conf.country,
	    info.subject, cli_time(info.not_after, t, sizeof(t)),
	    cert_days_left(info.not_after, now), info.pin);
	return 0;
}

static int
cmd_cert_check(struct cli *cli, int argc, char **argv)
{
	struct store_peer_list l;
	struct store_err err;
	struct cert_info info;
	struct opts o;
	time_t now = time(NULL), limit;
	size_t i, k, found = 0;
	char t[32];
	long left;
	int rc;

	if ((rc = parse(cli, "cert check", argc, argv, &o, 0)) != 0)
		return PARSED(rc);
	limit = now + (time_t)o.days * 86400;
	if ((rc = own_cert(cli, &info)) != 0)
		return rc;
	if (info.not_after <= limit) {
		left = cert_days_left(info.not_after, now);
		printf("own %s %s %s (%ld days)\n", cli->conf.hotline_id,
		    left < 0 ? "expired" : "expires",
		    cli_time(info.not_after, t, sizeof(t)), left);
		found++;
	}
	if ((rc = cli_store(cli)) != 0)
		return rc;
	if (store_peer_list(cli->store, NULL, &l, &err) == -1)
		return cli_store_fail(&err);
	for (i = 0; i < l.n; i++) {
		for (k = 0; k < l.peers[i].npins; k++) {
			const struct store_pin *q = &l.peers[i].pins[k];

			if (q->retired_at != 0)
				continue;
			/* Listed, but not counted: nothing will expire
			 * that the operator could renew in time. */
			if (q->expires_at == 0) {
				printf("peer %s pin %s no known expiry\n",
				    l.peers[i].id, q->pin);
				continue;
			}
			if (q->expires_at > limit)
				continue;
			left = cert_days_left(q->expires_at, now);
			printf("peer %s pin %s %s %s (%ld days)\n",
			    l.peers[i].id, q->pin, left < 0 ? "expired" :
			    "expires", cli_time(q->expires_at, t, sizeof(t)),
			    left);
			found++;
		}
	}
	store_peer_list_free(&l);
	if (found == 0) {
		printf("no certificate expires within %ld days\n", o.days);
		return 0;
	}
	return 1;
}

static const char *
dash(const char *s)
{
	return s != NULL ? s : "-";
}

static int
cmd_audit_list(struct cli *cli, int argc, char **argv)
{
	struct store_audit_list l;
	struct store_err err;
	struct opts o;
	char t[32], esc[512];
	json_t *a, *e;
	size_t i;
	int rc;

	if ((rc = parse(cli, "audit list", argc, argv, &o, 0)) != 0)
		return PARSED(rc);
	if ((rc = cli_store(cli)) != 0)
		return rc;
	if (store_audit_list(cli->store, o.peer, o.hcase, &l, &err) == -1)
		return cli_store_fail(&err);
	if (o.json) {
		a = json_array();
		for (i = 0; i < l.n; i++) {
			const struct store_audit_row *r = &l.rows[i];

			e = json_object();
			json_object_set_new(e, "seq", json_integer(r->seq));
			json_object_set_new(e, "at", json_string(cli_time(
			    (time_t)r->at, t, sizeof(t))));
			json_object_set_new(e, "actor", json_string(r->actor));
			json_object_set_new(e, "event", json_string(r->event));
			json_object_set_new(e, "peer", r->peer ?
			    json_string(r->peer) : json_null());
			json_object_set_new(e, "case", r->hcase ?
			    json_string(r->hcase) : json_null());
			json_object_set_new(e, "message_id", r->message_id ?
			    json_string(r->message_id) : json_null());
			json_object_set_new(e, "pin", r->pin ?
			    json_string(r->pin) : json_null());
			json_object_set_new(e, "detail", r->detail ?
			    json_string(r->detail) : json_null());
			json_array_append_new(a, e);
		}
		rc = cli_print_json(a);
	} else {
		for (i = 0; i < l.n; i++) {
			const struct store_audit_row *r = &l.rows[i];

			printf("%lld %s actor=%s event=%s peer=%s case=%s "
			    "message_id=%s pin=%s", (long long)r->seq,
			    cli_time((time_t)r->at, t, sizeof(t)), r->actor,
			    r->event, dash(r->peer), dash(r->hcase),
			    dash(r->message_id), dash(r->pin));
			/* Details may hold partner strings: escaped. */
			if (r->detail != NULL)
				printf(" detail=\"%s\"", log_escape(esc,
				    sizeof(esc), r->detail));
			printf("\n");
		}
	}
	store_audit_list_free(&l);
	return rc;
}

static int
cmd_audit_verify(struct cli *cli, int argc, char **argv)
{
	struct store_audit_verdict v;
	struct store_err err;
	struct opts o;
	char hex[2 * AUDIT_MAC_LEN + 1];
	int rc;

	if ((rc = parse(cli, "audit verify", argc, argv, &o, 0)) != 0)
		return PARSED(rc);
	if ((rc = cli_store(cli)) != 0)
		return rc;
	if (store_audit_verify(cli->store, &v, &err) == -1)
		return cli_store_fail(&err);
	if (v.bad_seq != 0) {
		fprintf(stderr, "hlx: audit entry %lld: %s\n",
		    (long long)v.bad_seq, v.why);
		printf("audit: BROKEN at entry %lld (%lld entries verified "
		    "before it)\n", (long long)v.bad_seq, (long long)v.count);
		return 1;
	}
	audit_hex(v.tip, hex);
	printf("audit: %lld entries verified, tip %s\n", (long long)v.count,
	    v.count > 0 ? hex : "-");
	return 0;
}
