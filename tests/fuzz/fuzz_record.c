/*
 * fuzz_record -- libFuzzer target for the JSON case-record parser, and for
 * the translation of whatever it accepts (record -> message -> XML).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct record rec;
	struct record_err err;
	struct msg_err merr;
	char *xml = NULL;
	size_t len;

	if (record_parse((const char *)data, size, &rec, &err) == 0) {
		if (record_translate(&rec, "hotline-be.example",
		    "hotline-nl.example",
		    "00000000-0000-4000-8000-000000000001",
		    "2026-11-28T12:00:00Z", 1) == 0 &&
		    message_write(rec.msg, &xml, &len, &merr) == 0)
			free(xml);
		record_free(&rec);
	}
	return 0;
}
