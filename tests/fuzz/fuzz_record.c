/*
 * fuzz_record -- libFuzzer target for the JSON case-record parser, and for
 * what `hlx translate` promises: every record the parser accepts becomes a
 * message that passes the receiver's own checks (abort otherwise).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "record.h"
#include "schema_xsd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct msg_schema *schema;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct record rec;
	struct record_err err;
	struct message *back = NULL;
	struct msg_err merr;
	char why[256], *xml = NULL;
	size_t len;

	if (schema == NULL &&
	    (schema = message_schema_new(schema_xsd, schema_xsd_len, why,
	    sizeof(why))) == NULL)
		abort();
	if (record_parse((const char *)data, size, &rec, &err) != 0)
		return 0;
	if (record_translate(&rec, "hotline-be.example", "hotline-nl.example",
	    "00000000-0000-4000-8000-000000000001", "2026-11-28T12:00:00Z",
	    1) != 0 || message_write(rec.msg, &xml, &len, &merr) != 0)
		abort();
	if (message_parse(schema, xml, len, HLX_MAX_MESSAGE_BYTES, &back,
	    &merr) != 0) {
		fprintf(stderr, "accepted record fails its own message: %s: "
		    "%s\n", message_code_name(merr.code), merr.detail);
		abort();
	}
	message_free(back);
	free(xml);
	record_free(&rec);
	return 0;
}
