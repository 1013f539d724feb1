/*
 * util.c -- see util.h.
 */
#include <errno.h>
#include <stdio.h>
#include <sys/random.h>
#include <time.h>

#include "types.h"
#include "util.h"

int
util_uuid4(char *buf, size_t bufsz)
{
	unsigned char b[16];
	size_t got = 0;
	ssize_t r;

	while (got < sizeof(b)) {
		r = getrandom(b + got, sizeof(b) - got, 0);
		if (r == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		got += (size_t)r;
	}
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);	/* version 4 */
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);	/* RFC 4122 variant */
	if (snprintf(buf, bufsz, "%02x%02x%02x%02x-%02x%02x-%02x%02x-"
	    "%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3], b[4],
	    b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
	    b[15]) >= (int)bufsz)
		return -1;
	return 0;
}

int
util_now_timestamp(char *buf, size_t bufsz)
{
	return type_timestamp_format(time(NULL), buf, bufsz);
}
