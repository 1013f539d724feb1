/*
 * fuzz_message -- libFuzzer target for the untrusted-XML message parser:
 * parse and check as a receiver does, and write back what it accepts (the
 * writer must take every message the parser hands out).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "message.h"
#include "schema_xsd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct msg_schema *schema;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct message *m = NULL;
	struct msg_err err;
	char why[256], *xml = NULL;
	size_t len;

	if (schema == NULL &&
	    (schema = message_schema_new(schema_xsd, schema_xsd_len, why,
	    sizeof(why))) == NULL)
		abort();
	if (message_parse(schema, (const char *)data, size,
	    HLX_DEFAULT_MAX_MESSAGE_BYTES, &m, &err) == 0) {
		if (message_write(m, &xml, &len, &err) != 0)
			abort();
		free(xml);
		message_free(m);
	}
	return 0;
}
