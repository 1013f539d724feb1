/*
 * util -- small things every role needs: fresh message ids and the time.
 */
#ifndef HLX_UTIL_H
#define HLX_UTIL_H

#include <stddef.h>

/* A random (version 4) UUID in lowercase; buf holds at least 37 bytes. */
int	util_uuid4(char *buf, size_t bufsz);
/* Now as an HLX timestamp, whole seconds: "2026-11-29T08:00:00Z". */
int	util_now_timestamp(char *buf, size_t bufsz);

#endif /* HLX_UTIL_H */
