/*
 * message.c -- the message object, its schema, and the answer codes.
 *
 * The schema is compiled once from the bytes compiled into the program
 * (see Makefile: schema_xsd.c) and then shared read-only: libxml2's xmlSchema
 * is immutable after parsing, and each validation gets its own context.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/xmlschemas.h>

#include "message.h"
#include "message_int.h"

/* A message's arena may hold at most this much: its own bytes several times
 * over is generous for strings and arrays, and bounds what a hostile
 * document can make us allocate. */
#define MESSAGE_ARENA_MAX	(4 * HLX_MAX_MESSAGE_BYTES)

static const char *const code_names[] = {
	[MSG_OK] = "OK",
	[MSG_TOO_LARGE] = "TOO_LARGE",
	[MSG_MALFORMED] = "MALFORMED",
	[MSG_UNSUPPORTED_VERSION] = "UNSUPPORTED_VERSION",
	[MSG_SCHEMA_INVALID] = "SCHEMA_INVALID",
	[MSG_INTERNAL] = "INTERNAL",
};

const char *
message_code_name(enum msg_code code)
{
	if ((unsigned)code >= sizeof(code_names) / sizeof(code_names[0]))
		return "INTERNAL";
	return code_names[code];
}

struct message *
message_new(enum body_type type)
{
	struct message *m = calloc(1, sizeof(*m));

	if (m == NULL)
		return NULL;
	if ((m->arena = arena_new(MESSAGE_ARENA_MAX)) == NULL) {
		free(m);
		return NULL;
	}
	m->type = type;
	m->version = HLX_VERSION;
	switch (type) {
	case BODY_REFERRAL:
		m->u.referral.site_type = -1;
		m->u.referral.hosting.cdn = -1;
		break;
	case BODY_STATUS_UPDATE:
		m->u.status.observed_by = -1;
		break;
	case BODY_REROUTE:
		m->u.reroute.hosting.cdn = -1;
		break;
	case BODY_ERROR:
		m->u.error.retry_after = -1;
		break;
	default:
		break;
	}
	return m;
}

void
message_free(struct message *m)
{
	if (m == NULL)
		return;
	arena_free(m->arena);
	free(m);
}

/*
 * Nothing we parse may reach outside the buffer it was given.  With no DTD
 * allowed this loader should never be called; it is the second lock on the
 * same door.
 */
static xmlParserInputPtr
deny_entity_loader(const char *url, const char *id, xmlParserCtxtPtr ctxt)
{
	(void)url;
	(void)id;
	(void)ctxt;
	return NULL;
}

/*
 * libxml2 2.9's settings are process globals: set once, before any thread
 * parses, whatever the number of schemas compiled (a reload compiles again).
 */
static pthread_once_t message_once = PTHREAD_ONCE_INIT;

static void
message_init_once(void)
{
	xmlInitParser();
	xmlSetExternalEntityLoader(deny_entity_loader);
	/* libxml2 refuses an element when more than this many are open, so
	 * one less makes HLX_XML_MAX_DEPTH the deepest element allowed.  It
	 * also bounds every other libxml2 user of the process: the XSD is
	 * far shallower. */
	xmlParserMaxDepth = HLX_XML_MAX_DEPTH - 1;
}

struct msg_schema *
message_schema_new(const char *xsd, size_t len, char *errbuf, size_t errsz)
{
	struct msg_schema *s = NULL;
	xmlSchemaParserCtxtPtr pctxt = NULL;

	if (pthread_once(&message_once, message_init_once) != 0) {
		snprintf(errbuf, errsz, "cannot initialise libxml2");
		return NULL;
	}
	if (len > (size_t)INT32_MAX) {
		snprintf(errbuf, errsz, "schema too large");
		return NULL;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		snprintf(errbuf, errsz, "out of memory");
		return NULL;
	}
	pctxt = xmlSchemaNewMemParserCtxt(xsd, (int)len);
	if (pctxt == NULL || (s->schema = xmlSchemaParse(pctxt)) == NULL) {
		snprintf(errbuf, errsz, "the compiled-in HLX/1 schema does "
		    "not compile");
		xmlSchemaFreeParserCtxt(pctxt);
		free(s);
		return NULL;
	}
	xmlSchemaFreeParserCtxt(pctxt);
	return s;
}

void
message_schema_free(struct msg_schema *s)
{
	if (s == NULL)
		return;
	xmlSchemaFree(s->schema);
	free(s);
}

int
message_check_receipt(const struct message *r, enum body_type request,
    struct msg_err *err)
{
	if (r->type != BODY_RECEIPT)
		return 0;
	if (request == BODY_REFERRAL && r->u.receipt.partner.issuer == NULL) {
		err->code = MSG_SCHEMA_INVALID;
		err->line = 0;
		snprintf(err->detail, sizeof(err->detail), "element Receipt: "
		    "a Receipt for a Referral must carry a PartnerCaseRef");
		return -1;
	}
	return 0;
}
