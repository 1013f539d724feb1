/*
 * hlx_stats.c -- `hlx stats`: the yearly figures a hotline reports to its
 * network and funders (operations.md §3).  What each figure counts is
 * defined once, in src/store_stats.c; this file only prints it.
 *
 * SECURITY: reads the configuration and the store; writes nothing (but
 * the audit key on first use of a new store).  Prints counts and peer ids
 * only: no case number, URL or record content.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <sysexits.h>

#include "hlx_cli.h"

#define STATS_YEAR_MIN	1970
#define STATS_YEAR_MAX	9999

static int cmd_stats(struct cli *, int, char **);

const struct cli_command cli_stats_commands[] = {
	{ "stats", cmd_stats,
	    "stats [--year Y] [--json]",
	    "Figures per calendar year (UTC) of the cases' received_at, every\n"
	    "year with a case, or only year Y (1970-9999, shown even when\n"
	    "empty).  Test cases and test messages are counted nowhere.\n"
	    "  cases submitted: our own cases;\n"
	    "  cases with illegal content: of those, any item baseline or\n"
	    "    nationally illegal;\n"
	    "  cases hosted in our countries: our cases handed off at home;\n"
	    "  cases referred abroad: the others, by hosting country;\n"
	    "  referrals received: cases partners referred to us.\n"
	    "Per partner, over that year's cases: messages sent (queued,\n"
	    "retrying, delivered or dead), delivered, dead, removals\n"
	    "confirmed (our cases it reported content_removed), and median\n"
	    "and 90th percentile (nearest rank) in seconds from our\n"
	    "Referral's delivery to its content_removed StateAt, and from its\n"
	    "Referral's arrival to our forwarded_to_lea StateAt.\n"
	    "Exit: 0; 64 usage; 74/75 store I/O or busy; 78 configuration." },
	{ NULL, NULL, NULL, NULL },
};

/* -1 unless s is a whole decimal year in range. */
static int
parse_year(const char *s, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (s[0] < '0' || s[0] > '9' || *end != '\0' || errno != 0 ||
	    v < STATS_YEAR_MIN || v > STATS_YEAR_MAX)
		return -1;
	*out = (int)v;
	return 0;
}

/*
 * jansson's setters take a NULL value (out of memory) and fail; one flag
 * collects every failure, so that a document with a hole is never
 * printed as if it were whole.
 */
static void
jset(json_t *o, const char *key, json_t *v, int *bad)
{
	if (json_object_set_new(o, key, v) == -1)
		*bad = 1;
}

static void
jappend(json_t *a, json_t *v, int *bad)
{
	if (json_array_append_new(a, v) == -1)
		*bad = 1;
}

static json_t *
duration_json(const struct store_duration *d, int *bad)
{
	json_t *o = json_object();

	jset(o, "n", json_integer(d->n), bad);
	jset(o, "median", d->n > 0 ? json_integer(d->median) : json_null(),
	    bad);
	jset(o, "p90", d->n > 0 ? json_integer(d->p90) : json_null(), bad);
	return o;
}

/* NULL when out of memory; cli_print_json says so. */
static json_t *
stats_json(const struct store_stats *s)
{
	json_t *top, *years, *o, *abroad, *partners, *p;
	size_t i, k;
	int bad = 0;

	top = json_object();
	years = json_array();
	for (i = 0; i < s->n; i++) {
		const struct store_stats_year *y = &s->years[i];

		o = json_object();
		jset(o, "year", json_integer(y->year), &bad);
		jset(o, "cases_submitted", json_integer(y->submitted), &bad);
		jset(o, "cases_illegal", json_integer(y->illegal), &bad);
		jset(o, "cases_domestic", json_integer(y->domestic), &bad);
		abroad = json_object();
		for (k = 0; k < y->nabroad; k++)
			jset(abroad, y->abroad[k].country,
			    json_integer(y->abroad[k].n), &bad);
		jset(o, "cases_abroad", abroad, &bad);
		jset(o, "referrals_received", json_integer(y->received),
		    &bad);
		partners = json_array();
		for (k = 0; k < y->npartners; k++) {
			const struct store_stats_partner *r = &y->partners[k];

			p = json_object();
			jset(p, "peer", json_string(r->peer), &bad);
			jset(p, "messages_sent", json_integer(r->sent), &bad);
			jset(p, "delivered", json_integer(r->delivered), &bad);
			jset(p, "dead", json_integer(r->dead), &bad);
			jset(p, "removals_confirmed", json_integer(r->removals),
			    &bad);
			jset(p, "delivery_to_removal_seconds",
			    duration_json(&r->to_removal, &bad), &bad);
			jset(p, "referral_to_lea_seconds",
			    duration_json(&r->to_lea, &bad), &bad);
			jappend(partners, p, &bad);
		}
		jset(o, "partners", partners, &bad);
		jappend(years, o, &bad);
	}
	jset(top, "years", years, &bad);
	if (bad) {
		json_decref(top);
		return NULL;
	}
	return top;
}

static void
duration_text(const char *what, const struct store_duration *d)
{
	if (d->n == 0)
		printf("    %s: none measured\n", what);
	else
		printf("    %s: median %lld s, p90 %lld s (%lld %s)\n", what,
		    (long long)d->median, (long long)d->p90, (long long)d->n,
		    d->n == 1 ? "case" : "cases");
}

static void
stats_text(const struct store_stats *s)
{
	size_t i, k;

	if (s->n == 0)
		printf("no cases\n");
	for (i = 0; i < s->n; i++) {
		const struct store_stats_year *y = &s->years[i];

		printf("year %d\n", y->year);
		printf("  cases submitted: %lld\n", (long long)y->submitted);
		printf("  cases with illegal content: %lld\n",
		    (long long)y->illegal);
		printf("  cases hosted in our countries: %lld\n",
		    (long long)y->domestic);
		printf("  cases referred abroad: %lld\n",
		    (long long)(y->submitted - y->domestic));
		for (k = 0; k < y->nabroad; k++)
			printf("    %s: %lld\n", y->abroad[k].country,
			    (long long)y->abroad[k].n);
		printf("  referrals received: %lld\n", (long long)y->received);
		for (k = 0; k < y->npartners; k++) {
			const struct store_stats_partner *p = &y->partners[k];

			printf("  partner %s\n", p->peer);
			printf("    messages sent: %lld\n", (long long)p->sent);
			printf("    delivered: %lld\n", (long long)p->delivered);
			printf("    dead: %lld\n", (long long)p->dead);
			printf("    removals confirmed: %lld\n",
			    (long long)p->removals);
			duration_text("delivery to removal", &p->to_removal);
			duration_text("referral to forwarded_to_lea",
			    &p->to_lea);
		}
	}
}

static int
cmd_stats(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, CLI_OPT_HELP },
		{ "json", no_argument, NULL, CLI_OPT_JSON },
		{ "year", required_argument, NULL, CLI_OPT_YEAR },
		{ NULL, 0, NULL, 0 },
	};
	struct store_stats s;
	struct store_err err;
	int ch, json = 0, year = 0, rc;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			cli->conf_path = optarg;
			break;
		case CLI_OPT_HELP:
			return cli_usage("stats", 0);
		case CLI_OPT_JSON:
			json = 1;
			break;
		case CLI_OPT_YEAR:
			if (parse_year(optarg, &year) == -1) {
				/* The value is the user's own: echoing it is
				 * safe, and bounded by the line buffer. */
				fprintf(stderr, "hlx: --year %.32s: not a year "
				    "from %d to %d\n", optarg, STATS_YEAR_MIN,
				    STATS_YEAR_MAX);
				return EX_USAGE;
			}
			break;
		default:
			return cli_usage("stats", EX_USAGE);
		}
	}
	if (optind != argc) {
		fprintf(stderr, "hlx stats: expected no argument, got %d\n",
		    argc - optind);
		return cli_usage("stats", EX_USAGE);
	}
	if ((rc = cli_store(cli)) != 0)
		return rc;
	if (store_stats(cli->store, year, &s, &err) == -1)
		return cli_store_fail(&err);
	if (json)
		rc = cli_print_json(stats_json(&s));
	else {
		stats_text(&s);
		if (fflush(stdout) == EOF || ferror(stdout)) {
			fprintf(stderr, "hlx: standard output: write error\n");
			rc = EX_IOERR;
		}
	}
	store_stats_free(&s);
	return rc;
}
