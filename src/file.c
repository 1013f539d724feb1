/*
 * file.c -- bounded whole-file reads and mode checks.  See file.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file.h"

enum file_result
file_read(const char *path, size_t max, char **out, size_t *len)
{
	enum file_result res = FILE_ERROR;
	struct stat st;
	size_t cap, n = 0;
	char *buf = NULL, *nb;
	ssize_t r;
	int fd = -1, saved;

	*out = NULL;
	*len = 0;
	if (strcmp(path, "-") == 0)
		fd = STDIN_FILENO;
	else if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1)
		return errno == ENOENT ? FILE_MISSING : FILE_ERROR;
	if (fstat(fd, &st) == -1)
		goto out;
	if (S_ISDIR(st.st_mode)) {
		errno = EISDIR;
		goto out;
	}
	if (S_ISREG(st.st_mode) && (uint64_t)st.st_size > max) {
		*len = (size_t)st.st_size;
		res = FILE_TOO_LARGE;
		goto out;
	}
	cap = S_ISREG(st.st_mode) ? (size_t)st.st_size + 1 : 64 * 1024;
	if ((buf = malloc(cap + 1)) == NULL)
		goto out;
	for (;;) {
		if (n == cap) {
			if (cap > max) {
				*len = n;
				res = FILE_TOO_LARGE;
				goto out;
			}
			cap = cap * 2 > max + 1 ? max + 1 : cap * 2;
			if ((nb = realloc(buf, cap + 1)) == NULL)
				goto out;
			buf = nb;
		}
		r = read(fd, buf + n, cap - n);
		if (r == -1) {
			if (errno == EINTR)
				continue;
			goto out;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	if (n > max) {
		*len = n;
		res = FILE_TOO_LARGE;
		goto out;
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	buf = NULL;
	res = FILE_OK;
out:
	saved = errno;
	free(buf);
	if (fd != STDIN_FILENO && fd != -1)
		close(fd);
	errno = saved;
	return res;
}

int
file_mode_too_open(const char *path, int secret, mode_t *mode)
{
	struct stat st;

	if (stat(path, &st) == -1)
		return errno == ENOENT ? 0 : -1;
	*mode = st.st_mode & 07777;
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		return 1;
	if (secret && (st.st_mode & (S_IRGRP | S_IROTH)))
		return 1;
	return 0;
}
