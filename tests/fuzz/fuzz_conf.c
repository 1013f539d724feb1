/*
 * fuzz_conf -- libFuzzer target for the hlx.conf parser (src/conf.c).
 *
 * The configuration is written by an administrator, but conf_parse() must
 * hold for any bytes: no read outside the buffer (it is not NUL-terminated
 * here, on purpose), no leak on any path, and the contract that a failure
 * leaves the struct empty and at least one error line behind.  A relative
 * base directory is used every other run so both path branches are reached.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct conf zero;
	struct conf_errors errs;
	struct conf c;
	char *buf;
	size_t i;
	int rc;

	/* An exact-size copy, so ASan sees any read past the end. */
	buf = malloc(size != 0 ? size : 1);
	if (buf == NULL)
		return 0;
	if (size != 0)
		memcpy(buf, data, size);
	rc = conf_parse(&c, "fuzz.conf", (size & 1) ? "/etc/hlx" : NULL, buf,
	    size, &errs);
	if (rc == 0) {
		if (errs.count != 0 || c.hotline_id == NULL)
			abort();
		(void)conf_receives_for(&c, c.country);
		conf_free(&c);
	} else {
		if (rc != -1 || errs.count == 0 || errs.total == 0 ||
		    errs.count > HLX_CONF_ERRORS_MAX + 1 ||
		    memcmp(&c, &zero, sizeof(c)) != 0)
			abort();
		for (i = 0; i < errs.count; i++)
			if (errs.lines[i] == NULL ||
			    strncmp(errs.lines[i], "fuzz.conf:", 10) != 0)
				abort();
	}
	conf_errors_free(&errs);
	free(buf);
	return 0;
}
