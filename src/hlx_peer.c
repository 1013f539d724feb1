/*
 * hlx_peer.c -- `hlx peer ...`: partners, their countries, routes and pins
 * (operations.md §3, protocol.md §1 and §5).
 *
 * SECURITY: reads the configuration, the store and certificate files named
 * with --cert (PEM, at most PEER_CERT_MAX bytes, parsed by cert.c); writes
 * the store, each change with its audit entry in one transaction.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include "cert.h"
#include "hlx_cli.h"
#include "types.h"

#define PEER_CERT_MAX	(64 * 1024)	/* a PEM certificate file */

static int cmd_peer_add(struct cli *, int, char **);
static int cmd_peer_route(struct cli *, int, char **);
static int cmd_peer_list(struct cli *, int, char **);
static int cmd_peer_show(struct cli *, int, char **);
static int cmd_peer_rotate(struct cli *, int, char **);
static int cmd_peer_retire_pin(struct cli *, int, char **);
static int cmd_peer_disable(struct cli *, int, char **);
static int cmd_peer_enable(struct cli *, int, char **);
static int cmd_peer_remove(struct cli *, int, char **);

const struct cli_command cli_peer_commands[] = {
	{ "peer add", cmd_peer_add,
	    "peer add ID --url URL (--cert FILE | --pin PIN [--expires TIME]) "
	    "--country CC... [--route]",
	    "Registers a partner hotline for one or more countries (repeat\n"
	    "--country, or give a comma-separated list).  The first peer of a\n"
	    "country becomes its route; --route takes the route over.  --cert\n"
	    "records the certificate's pin, subject and expiry; --pin only the\n"
	    "pin (sha256//BASE64 of the DER SubjectPublicKeyInfo).  A pin stops\n"
	    "authenticating at its expiry, whatever certificate the peer then\n"
	    "presents: the --cert certificate's notAfter, or --expires TIME\n"
	    "(an HLX timestamp, 2027-06-30T00:00:00Z); a --pin without\n"
	    "--expires has no known expiry.  URL is the peer's base,\n"
	    "https://host[:port][/prefix].\n"
	    "Exit: 0; 64 usage; 65 bad value, existing peer, pin of another\n"
	    "peer; 66 certificate file missing; 74/75 store I/O or busy." },
	{ "peer route", cmd_peer_route,
	    "peer route CC ID",
	    "Makes peer ID the route for country CC (CC = * sets the default\n"
	    "route).  ID is then also accepted as a sender for CC.\n"
	    "Exit: 0; 64 usage; 65 no such peer or bad country." },
	{ "peer list", cmd_peer_list,
	    "peer list [--json]",
	    "Every peer: id, enabled, countries, routes, URL, valid pins and the\n"
	    "days until the first expires, outbox depth, last success and error.\n"
	    "Exit: 0; 74/75 store I/O or busy." },
	{ "peer show", cmd_peer_show,
	    "peer show ID [--json]",
	    "One peer with all its pins (valid and retired) and their expiry.\n"
	    "Exit: 0; 65 no such peer." },
	{ "peer rotate", cmd_peer_rotate,
	    "peer rotate ID (--cert FILE | --pin PIN [--expires TIME])",
	    "Adds a pin to a peer; the old pins stay valid until retired.\n"
	    "Expiry as for peer add.  A pin that is already valid is renewed\n"
	    "when it comes with --cert (a new certificate over the same key)\n"
	    "or --expires, and refused otherwise.\n"
	    "Exit: 0; 64 usage; 65 bad pin or time, pin of another peer, no\n"
	    "such peer." },
	{ "peer retire-pin", cmd_peer_retire_pin,
	    "peer retire-pin ID PIN",
	    "Retires one pin of a peer.  The last valid pin of an enabled peer\n"
	    "cannot be retired: rotate a new one in first.\n"
	    "Exit: 0; 65 refused." },
	{ "peer disable", cmd_peer_disable,
	    "peer disable ID",
	    "Stops accepting and delivering for ID; its pins and routes stay.\n"
	    "Exit: 0; 65 no such peer." },
	{ "peer enable", cmd_peer_enable,
	    "peer enable ID",
	    "Enables ID again (it needs a valid pin).\n"
	    "Exit: 0; 65 no such peer, or no valid pin." },
	{ "peer remove", cmd_peer_remove,
	    "peer remove ID",
	    "Removes ID: refused while messages to it are undelivered.  Its\n"
	    "routes go, its pins are retired; its history stays (a tombstone).\n"
	    "Exit: 0; 65 refused or no such peer." },
	{ NULL, NULL, NULL, NULL },
};

/* Options shared by every peer command: -c, --help, and the command's. */
static int
parse(struct cli *cli, const char *name, int argc, char **argv,
    const struct option *extra, int (*opt)(int, void *), void *arg,
    int nargs)
{
	struct option opts[16];
	size_t n = 0, i;
	int ch, rc;

	opts[n++] = (struct option){ "config", required_argument, NULL, 'c' };
	opts[n++] = (struct option){ "help", no_argument, NULL, CLI_OPT_HELP };
	for (i = 0; extra != NULL && extra[i].name != NULL && n < 15; i++)
		opts[n++] = extra[i];
	opts[n] = (struct option){ NULL, 0, NULL, 0 };
	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:", opts, NULL)) != -1) {
		if (ch == 'c')
			cli->conf_path = optarg;
		else if (ch == CLI_OPT_HELP)
			return cli_usage(name, 0) - 1;
		else if (opt == NULL || ch == '?' ||
		    (rc = opt(ch, arg)) != 0)
			return ch == '?' || opt == NULL ?
			    cli_usage(name, EX_USAGE) : rc;
	}
	if (argc - optind != nargs) {
		fprintf(stderr, "hlx %s: expected %d argument%s, got %d\n", name,
		    nargs, nargs == 1 ? "" : "s", argc - optind);
		return cli_usage(name, EX_USAGE);
	}
	return 0;
}

/* parse() returns -1 for --help (done, exit 0). */
#define PARSED(rc) ((rc) == -1 ? 0 : (rc))

static int
check_id(struct cli *cli, const char *id)
{
	const char *why;
	int rc;

	if ((why = type_check_hotline_id(id)) != NULL) {
		fprintf(stderr, "hlx: peer id %s: %s\n", id, why);
		return EX_DATAERR;
	}
	if ((rc = cli_conf(cli)) != 0)
		return rc;
	if (strcmp(id, cli->conf.hotline_id) == 0) {
		fprintf(stderr, "hlx: %s is this hotline's own id, not a "
		    "partner's\n", id);
		return EX_DATAERR;
	}
	return 0;
}

static const char *
last_colon(const char *p, const char *end)
{
	const char *c = NULL;

	for (; p < end; p++)
		if (*p == ':')
			c = p;
	return c;
}

/* Digits from p to end, 1..65535. */
static int
port_ok(const char *p, const char *end)
{
	unsigned long v = 0;

	if (p == end || end - p > 5)
		return 0;
	for (; p < end; p++) {
		if (*p < '0' || *p > '9')
			return 0;
		v = v * 10 + (unsigned long)(*p - '0');
	}
	return v >= 1 && v <= 65535;
}

/* protocol.md §1: https://host[:port][/prefix], nothing more. */
static int
check_url(const char *url)
{
	const char *why = type_check_url(url), *host, *end, *port;
	size_t len = strlen(url);

	if (why == NULL && strncmp(url, "https://", 8) != 0)
		why = "must start with https://";
	if (why == NULL && strpbrk(url, "?#") != NULL)
		why = "must not have a query or a fragment";
	if (why == NULL) {
		host = url + 8;
		end = host + strcspn(host, "/");
		if (memchr(host, '@', (size_t)(end - host)) != NULL)
			why = "must not have user info";
		else if (url[len - 1] == '/')
			why = "must not end with a slash";
		else if ((port = last_colon(host, end)) != NULL &&
		    end[-1] != ']' && !port_ok(port + 1, end))
			why = "has no port from 1 to 65535 after its colon";
	}
	if (why != NULL) {
		fprintf(stderr, "hlx: --url %s: %s\n", url, why);
		return EX_DATAERR;
	}
	return 0;
}

struct pin_arg {
	const char	*cert_file;
	const char	*pin;
	const char	*expires;	/* --expires, with --pin only */
	struct cert_info info;
	struct store_pin sp;
};

/* --cert or --pin, exactly one, checked; fills a->sp. */
static int
load_pin(struct pin_arg *a)
{
	char *buf = NULL, why[160];
	const char *bad;
	enum file_result fr;
	size_t len;
	int rc;

	memset(&a->sp, 0, sizeof(a->sp));
	if ((a->cert_file == NULL) == (a->pin == NULL)) {
		fprintf(stderr, "hlx: give exactly one of --cert FILE and "
		    "--pin PIN\n");
		return EX_USAGE;
	}
	if (a->expires != NULL && a->pin == NULL) {
		fprintf(stderr, "hlx: --expires goes with --pin: a pin from "
		    "--cert expires with its certificate\n");
		return EX_USAGE;
	}
	if (a->pin != NULL) {
		if ((bad = cert_check_pin(a->pin)) != NULL) {
			fprintf(stderr, "hlx: --pin %s: %s\n", a->pin, bad);
			return EX_DATAERR;
		}
		a->sp.pin = a->pin;
		if (a->expires != NULL) {
			if ((bad = type_check_timestamp(a->expires)) != NULL ||
			    type_timestamp_parse(a->expires,
			    &a->sp.expires_at) == -1) {
				fprintf(stderr, "hlx: --expires %s: %s\n",
				    a->expires, bad != NULL ? bad :
				    "not a timestamp");
				return EX_DATAERR;
			}
			/* As for an expired certificate: nothing to add. */
			if (a->sp.expires_at <= time(NULL)) {
				fprintf(stderr, "hlx: --expires %s: in the "
				    "past\n", a->expires);
				return EX_DATAERR;
			}
		}
		return 0;
	}
	fr = file_read(a->cert_file, PEER_CERT_MAX, &buf, &len);
	if ((rc = cli_read_fail(a->cert_file, fr, len, PEER_CERT_MAX)) != 0)
		return rc;
	rc = cert_info_from_pem(buf, len, &a->info, why, sizeof(why));
	free(buf);
	if (rc == -1) {
		fprintf(stderr, "hlx: --cert %s: %s\n", a->cert_file, why);
		return EX_DATAERR;
	}
	/* A pin never excuses an expired certificate (protocol.md §1). */
	if (a->info.not_after < time(NULL)) {
		char t[32];

		fprintf(stderr, "hlx: --cert %s: expired on %s\n", a->cert_file,
		    cli_time(a->info.not_after, t, sizeof(t)));
		return EX_DATAERR;
	}
	a->sp.pin = a->info.pin;
	a->sp.subject = a->info.subject;
	a->sp.not_before = a->info.not_before;
	a->sp.not_after = a->info.not_after;
	return 0;
}

struct add_arg {
	struct pin_arg	 pin;
	const char	*id;
	const char	*url;
	char		 countries[STORE_COUNTRIES_MAX][3];
	const char	*cptr[STORE_COUNTRIES_MAX];
	size_t		 ncountries;
	int		 route;
	int		 bad;
};

static int
add_country_list(struct add_arg *a, const char *list)
{
	char buf[512], *p, *save = NULL, *tok;
	const char *why;
	size_t i;

	snprintf(buf, sizeof(buf), "%s", list);
	for (p = buf; (tok = strtok_r(p, ", ", &save)) != NULL; p = NULL) {
		if ((why = type_check_country(tok)) != NULL) {
			fprintf(stderr, "hlx: --country %s: %s\n", tok, why);
			return EX_DATAERR;
		}
		for (i = 0; i < a->ncountries; i++)
			if (strcmp(a->countries[i], tok) == 0)
				break;
		if (i < a->ncountries)
			continue;
		if (a->ncountries == STORE_COUNTRIES_MAX) {
			fprintf(stderr, "hlx: more than %d countries\n",
			    STORE_COUNTRIES_MAX);
			return EX_DATAERR;
		}
		memcpy(a->countries[a->ncountries], tok, 3);
		a->cptr[a->ncountries] = a->countries[a->ncountries];
		a->ncountries++;
	}
	return 0;
}

static int
add_opt(int ch, void *arg)
{
	struct add_arg *a = arg;

	switch (ch) {
	case CLI_OPT_URL:
		a->url = optarg;
		return 0;
	case CLI_OPT_CERT:
		a->pin.cert_file = optarg;
		return 0;
	case CLI_OPT_PIN:
		a->pin.pin = optarg;
		return 0;
	case CLI_OPT_EXPIRES:
		a->pin.expires = optarg;
		return 0;
	case CLI_OPT_COUNTRY:
		return add_country_list(a, optarg);
	case CLI_OPT_ROUTE:
		a->route = 1;
		return 0;
	}
	return EX_USAGE;
}

static int
do_add(struct cli *cli, void *arg, struct store_err *err)
{
	struct add_arg *a = arg;

	(void)cli;
	return store_peer_add(cli->store, a->id, a->url, a->cptr,
	    a->ncountries, &a->pin.sp, a->route, err);
}

static int
cmd_peer_add(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "url", required_argument, NULL, CLI_OPT_URL },
		{ "cert", required_argument, NULL, CLI_OPT_CERT },
		{ "pin", required_argument, NULL, CLI_OPT_PIN },
		{ "expires", required_argument, NULL, CLI_OPT_EXPIRES },
		{ "country", required_argument, NULL, CLI_OPT_COUNTRY },
		{ "route", no_argument, NULL, CLI_OPT_ROUTE },
		{ NULL, 0, NULL, 0 },
	};
	struct add_arg a;
	int rc;

	memset(&a, 0, sizeof(a));
	if ((rc = parse(cli, "peer add", argc, argv, opts, add_opt, &a, 1)) !=
	    0)
		return PARSED(rc);
	a.id = argv[optind];
	if (a.url == NULL || a.ncountries == 0) {
		fprintf(stderr, "hlx: peer add needs --url and --country\n");
		return cli_usage("peer add", EX_USAGE);
	}
	if ((rc = check_id(cli, a.id)) != 0 || (rc = check_url(a.url)) != 0 ||
	    (rc = load_pin(&a.pin)) != 0 ||
	    (rc = cli_write(cli, do_add, &a)) != 0)
		return rc;
	printf("added %s (%s) with pin %s\n", a.id, a.url, a.pin.sp.pin);
	return 0;
}

struct route_arg {
	const char	*country;
	const char	*id;
};

static int
do_route(struct cli *cli, void *arg, struct store_err *err)
{
	struct route_arg *a = arg;

	return store_peer_route(cli->store, a->country, a->id, err);
}

static int
cmd_peer_route(struct cli *cli, int argc, char **argv)
{
	struct route_arg a;
	const char *why;
	int rc;

	if ((rc = parse(cli, "peer route", argc, argv, NULL, NULL, NULL, 2)) !=
	    0)
		return PARSED(rc);
	a.country = argv[optind];
	a.id = argv[optind + 1];
	if (strcmp(a.country, "*") != 0 &&
	    (why = type_check_country(a.country)) != NULL) {
		fprintf(stderr, "hlx: %s: %s (or * for the default route)\n",
		    a.country, why);
		return EX_DATAERR;
	}
	if ((rc = check_id(cli, a.id)) != 0 ||
	    (rc = cli_write(cli, do_route, &a)) != 0)
		return rc;
	printf("route %s: %s\n", a.country, a.id);
	return 0;
}

static int
json_opt(int ch, void *arg)
{
	if (ch != CLI_OPT_JSON)
		return EX_USAGE;
	*(int *)arg = 1;
	return 0;
}

static const struct option json_opts[] = {
	{ "json", no_argument, NULL, CLI_OPT_JSON },
	{ NULL, 0, NULL, 0 },
};

/* The first expiry among the valid pins; 0 = none known. */
static int
first_expiry(const struct store_peer *p, time_t *when)
{
	size_t i;

	*when = 0;
	for (i = 0; i < p->npins; i++)
		if (p->pins[i].retired_at == 0 && p->pins[i].expires_at != 0 &&
		    (*when == 0 || p->pins[i].expires_at < *when))
			*when = p->pins[i].expires_at;
	return *when != 0;
}

/* valid, expired (not retired, but authenticates nobody) or retired. */
static const char *
pin_state(const struct store_pin *q, time_t now)
{
	if (q->retired_at != 0)
		return "retired";
	return q->expires_at != 0 && now >= q->expires_at ? "expired" :
	    "valid";
}

static json_t *
strings_json(const char **v, size_t n)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

static json_t *
time_json(time_t t)
{
	char buf[32];

	return t == 0 ? json_null() : json_string(cli_time(t, buf,
	    sizeof(buf)));
}

static json_t *
peer_json(const struct store_peer *p, time_t now, int all_pins)
{
	json_t *o = json_object(), *pins = json_array();
	time_t first;
	size_t i;

	json_object_set_new(o, "id", json_string(p->id));
	json_object_set_new(o, "url", json_string(p->url));
	json_object_set_new(o, "enabled", json_boolean(p->enabled));
	if (p->removed_at != 0)
		json_object_set_new(o, "removed_at", time_json(p->removed_at));
	json_object_set_new(o, "countries", strings_json(p->countries,
	    p->ncountries));
	json_object_set_new(o, "routes", strings_json(p->routes, p->nroutes));
	for (i = 0; i < p->npins; i++) {
		const struct store_pin *q = &p->pins[i];
		json_t *j;

		if (!all_pins && q->retired_at != 0)
			continue;
		j = json_object();
		json_object_set_new(j, "pin", json_string(q->pin));
		json_object_set_new(j, "subject", q->subject != NULL ?
		    json_string(q->subject) : json_null());
		json_object_set_new(j, "state", json_string(pin_state(q,
		    now)));
		json_object_set_new(j, "not_before", time_json(q->not_before));
		json_object_set_new(j, "not_after", time_json(q->not_after));
		json_object_set_new(j, "expires_at", time_json(q->expires_at));
		json_object_set_new(j, "days_left", q->expires_at != 0 ?
		    json_integer(cert_days_left(q->expires_at, now)) :
		    json_null());
		json_object_set_new(j, "added_at", time_json(q->added_at));
		json_object_set_new(j, "retired_at", time_json(q->retired_at));
		json_array_append_new(pins, j);
	}
	json_object_set_new(o, "pins", pins);
	json_object_set_new(o, "days_left", first_expiry(p, &first) ?
	    json_integer(cert_days_left(first, now)) : json_null());
	json_object_set_new(o, "outbox_depth", json_integer(p->outbox_depth));
	json_object_set_new(o, "last_success_at",
	    time_json(p->last_success_at));
	json_object_set_new(o, "last_error_at", time_json(p->last_error_at));
	json_object_set_new(o, "last_error", p->last_error != NULL ?
	    json_string(p->last_error) : json_null());
	return o;
}

static void
print_list(const char *label, const char **v, size_t n)
{
	size_t i;

	printf(" %s=", label);
	if (n == 0)
		printf("-");
	for (i = 0; i < n; i++)
		printf("%s%s", i == 0 ? "" : ",", v[i]);
}

static void
print_peer_line(const struct store_peer *p, time_t now)
{
	char t1[32], t2[32];
	size_t i, valid = 0, expired = 0;
	time_t first;

	for (i = 0; i < p->npins; i++) {
		valid += p->pins[i].retired_at == 0;
		expired += strcmp(pin_state(&p->pins[i], now), "expired") == 0;
	}
	printf("%s %s", p->id, p->removed_at != 0 ? "removed" :
	    p->enabled ? "enabled" : "disabled");
	print_list("countries", p->countries, p->ncountries);
	print_list("routes", p->routes, p->nroutes);
	printf(" url=%s pins=%zu", p->url, valid);
	if (expired > 0)
		printf(" expired_pins=%zu", expired);
	if (first_expiry(p, &first))
		printf(" days_left=%ld", cert_days_left(first, now));
	else
		printf(" days_left=-");
	printf(" outbox=%lld last_success=%s last_error=%s\n",
	    (long long)p->outbox_depth,
	    cli_time(p->last_success_at, t1, sizeof(t1)),
	    cli_time(p->last_error_at, t2, sizeof(t2)));
}

static int
cmd_peer_list(struct cli *cli, int argc, char **argv)
{
	struct store_peer_list l;
	struct store_err err;
	time_t now = time(NULL);
	json_t *a;
	size_t i;
	int json = 0, rc;

	if ((rc = parse(cli, "peer list", argc, argv, json_opts, json_opt,
	    &json, 0)) != 0)
		return PARSED(rc);
	if ((rc = cli_store(cli)) != 0)
		return rc;
	if (store_peer_list(cli->store, NULL, &l, &err) == -1)
		return cli_store_fail(&err);
	if (json) {
		a = json_array();
		for (i = 0; i < l.n; i++)
			json_array_append_new(a, peer_json(&l.peers[i], now, 0));
		rc = cli_print_json(a);
	} else {
		for (i = 0; i < l.n; i++)
			print_peer_line(&l.peers[i], now);
	}
	store_peer_list_free(&l);
	return rc;
}

static int
cmd_peer_show(struct cli *cli, int argc, char **argv)
{
	struct store_peer_list l;
	struct store_peer *p;
	struct store_err err;
	time_t now = time(NULL);
	char t1[32], t2[32];
	size_t i;
	int json = 0, rc;

	if ((rc = parse(cli, "peer show", argc, argv, json_opts, json_opt,
	    &json, 1)) != 0)
		return PARSED(rc);
	if ((rc = cli_store(cli)) != 0)
		return rc;
	if (store_peer_list(cli->store, argv[optind], &l, &err) == -1)
		return cli_store_fail(&err);
	p = &l.peers[0];
	if (json)
		rc = cli_print_json(peer_json(p, now, 1));
	else {
		printf("id: %s\nstate: %s\nurl: %s\n", p->id,
		    p->removed_at != 0 ? "removed" : p->enabled ? "enabled" :
		    "disabled", p->url);
		printf("countries:");
		for (i = 0; i < p->ncountries; i++)
			printf(" %s", p->countries[i]);
		printf("\nroutes:");
		for (i = 0; i < p->nroutes; i++)
			printf(" %s", p->routes[i]);
		printf("\noutbox: %lld undelivered\nlast success: %s\n"
		    "last error: %s%s%s\n", (long long)p->outbox_depth,
		    cli_time(p->last_success_at, t1, sizeof(t1)),
		    cli_time(p->last_error_at, t2, sizeof(t2)),
		    p->last_error != NULL ? " " : "",
		    p->last_error != NULL ? p->last_error : "");
		for (i = 0; i < p->npins; i++) {
			const struct store_pin *q = &p->pins[i];

			printf("pin: %s %s", q->pin, pin_state(q, now));
			if (q->expires_at != 0)
				printf(" expires=%s days_left=%ld",
				    cli_time(q->expires_at, t1, sizeof(t1)),
				    cert_days_left(q->expires_at, now));
			if (q->subject != NULL)
				printf(" subject=\"%s\"", q->subject);
			printf("\n");
		}
	}
	store_peer_list_free(&l);
	return rc;
}

struct rotate_arg {
	struct pin_arg	 pin;
	const char	*id;
};

static int
rotate_opt(int ch, void *arg)
{
	struct rotate_arg *a = arg;

	if (ch == CLI_OPT_CERT)
		a->pin.cert_file = optarg;
	else if (ch == CLI_OPT_PIN)
		a->pin.pin = optarg;
	else if (ch == CLI_OPT_EXPIRES)
		a->pin.expires = optarg;
	else
		return EX_USAGE;
	return 0;
}

static int
do_rotate(struct cli *cli, void *arg, struct store_err *err)
{
	struct rotate_arg *a = arg;

	return store_peer_pin_add(cli->store, a->id, &a->pin.sp, err);
}

static int
cmd_peer_rotate(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "cert", required_argument, NULL, CLI_OPT_CERT },
		{ "pin", required_argument, NULL, CLI_OPT_PIN },
		{ "expires", required_argument, NULL, CLI_OPT_EXPIRES },
		{ NULL, 0, NULL, 0 },
	};
	struct rotate_arg a;
	int rc;

	memset(&a, 0, sizeof(a));
	if ((rc = parse(cli, "peer rotate", argc, argv, opts, rotate_opt, &a,
	    1)) != 0)
		return PARSED(rc);
	a.id = argv[optind];
	if ((rc = check_id(cli, a.id)) != 0 || (rc = load_pin(&a.pin)) != 0 ||
	    (rc = cli_write(cli, do_rotate, &a)) != 0)
		return rc;
	printf("%s: added pin %s\n", a.id, a.pin.sp.pin);
	return 0;
}

struct id_arg {
	const char	*id;
	const char	*pin;
	int		 enable;
};

static int
do_retire(struct cli *cli, void *arg, struct store_err *err)
{
	struct id_arg *a = arg;

	return store_peer_pin_retire(cli->store, a->id, a->pin, err);
}

static int
cmd_peer_retire_pin(struct cli *cli, int argc, char **argv)
{
	struct id_arg a;
	const char *why;
	int rc;

	if ((rc = parse(cli, "peer retire-pin", argc, argv, NULL, NULL, NULL,
	    2)) != 0)
		return PARSED(rc);
	a.id = argv[optind];
	a.pin = argv[optind + 1];
	if ((why = cert_check_pin(a.pin)) != NULL) {
		fprintf(stderr, "hlx: %s: %s\n", a.pin, why);
		return EX_DATAERR;
	}
	if ((rc = check_id(cli, a.id)) != 0 ||
	    (rc = cli_write(cli, do_retire, &a)) != 0)
		return rc;
	printf("%s: retired pin %s\n", a.id, a.pin);
	return 0;
}

static int
do_enable(struct cli *cli, void *arg, struct store_err *err)
{
	struct id_arg *a = arg;

	return store_peer_set_enabled(cli->store, a->id, a->enable, err);
}

static int
set_enabled(struct cli *cli, const char *name, int argc, char **argv,
    int enable)
{
	struct id_arg a;
	int rc;

	if ((rc = parse(cli, name, argc, argv, NULL, NULL, NULL, 1)) != 0)
		return PARSED(rc);
	a.id = argv[optind];
	a.enable = enable;
	if ((rc = check_id(cli, a.id)) != 0 ||
	    (rc = cli_write(cli, do_enable, &a)) != 0)
		return rc;
	printf("%s: %s\n", a.id, enable ? "enabled" : "disabled");
	return 0;
}

static int
cmd_peer_disable(struct cli *cli, int argc, char **argv)
{
	return set_enabled(cli, "peer disable", argc, argv, 0);
}

static int
cmd_peer_enable(struct cli *cli, int argc, char **argv)
{
	return set_enabled(cli, "peer enable", argc, argv, 1);
}

static int
do_remove(struct cli *cli, void *arg, struct store_err *err)
{
	struct id_arg *a = arg;

	return store_peer_remove(cli->store, a->id, err);
}

static int
cmd_peer_remove(struct cli *cli, int argc, char **argv)
{
	struct id_arg a;
	int rc;

	if ((rc = parse(cli, "peer remove", argc, argv, NULL, NULL, NULL, 1)) !=
	    0)
		return PARSED(rc);
	a.id = argv[optind];
	if ((rc = check_id(cli, a.id)) != 0 ||
	    (rc = cli_write(cli, do_remove, &a)) != 0)
		return rc;
	printf("%s: removed (its history stays)\n", a.id);
	return 0;
}
