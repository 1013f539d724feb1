/*
 * testlib -- what several unit tests share: reading a case file and the
 * compiled schema as a cmocka group fixture.
 */
#ifndef HLX_TESTLIB_H
#define HLX_TESTLIB_H

#include <stddef.h>

#include "message.h"

/* The whole file, NUL-terminated; NULL if it cannot be opened. */
char	*test_slurp(const char *path, size_t *len);

/* cmocka group setup/teardown: compile and free test_schema. */
extern struct msg_schema *test_schema;
int	test_schema_setup(void **state);
int	test_schema_teardown(void **state);

#endif /* HLX_TESTLIB_H */
