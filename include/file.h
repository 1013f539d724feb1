/*
 * file -- reading whole files with a ceiling, and the mode checks of
 * operations.md §1.  An adapter: the only module here that opens files for
 * the pure layers, which take buffers.
 */
#ifndef HLX_FILE_H
#define HLX_FILE_H

#include <stddef.h>
#include <sys/types.h>

enum file_result {
	FILE_OK = 0,
	FILE_MISSING,		/* ENOENT */
	FILE_TOO_LARGE,		/* more than max bytes; *len = its size */
	FILE_ERROR,		/* errno says why */
};

/*
 * Reads path ("-" = standard input) into a malloc'd, NUL-terminated buffer.
 * Never reads more than max + 1 bytes, so a huge file costs nothing.
 */
enum file_result file_read(const char *path, size_t max, char **out,
		    size_t *len);

/*
 * operations.md §1: a file that group or others can write, or (secret = 1)
 * read, is refused.  Returns 0 when fine or missing, 1 when too open (mode
 * in *mode), -1 when it cannot be examined (errno).
 */
int		 file_mode_too_open(const char *path, int secret,
		    mode_t *mode);

#endif /* HLX_FILE_H */
