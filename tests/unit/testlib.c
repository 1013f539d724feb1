/*
 * testlib.c -- see testlib.h.
 */
#include <stdio.h>
#include <stdlib.h>

#include "schema_xsd.h"
#include "testlib.h"

struct msg_schema *test_schema;

char *
test_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
	    fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n + 1)) != NULL) {
		if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		} else {
			buf[n] = '\0';
			*len = (size_t)n;
		}
	}
	fclose(f);
	return buf;
}

int
test_schema_setup(void **state)
{
	char why[256];

	(void)state;
	test_schema = message_schema_new(schema_xsd, schema_xsd_len, why,
	    sizeof(why));
	if (test_schema == NULL)
		fprintf(stderr, "schema: %s\n", why);
	return test_schema == NULL ? -1 : 0;
}

int
test_schema_teardown(void **state)
{
	(void)state;
	message_schema_free(test_schema);
	test_schema = NULL;
	return 0;
}
