/*
 * arena -- one allocation lifetime for everything a parsed message holds.
 *
 * A message with 1000 items has thousands of strings; they are born and die
 * together, so they come from one arena and go with one arena_free().  Pure:
 * no I/O.  Allocation failure returns NULL and leaves the arena usable.
 * The arena has a ceiling (max bytes) so that no input can make it grow
 * without bound.
 */
#ifndef HLX_ARENA_H
#define HLX_ARENA_H

#include <stddef.h>

struct arena;

/* max: the most bytes the arena may hold in all; 0 = no ceiling. */
struct arena	*arena_new(size_t max);
void		 arena_free(struct arena *);
void		*arena_alloc(struct arena *, size_t);	/* zeroed */
char		*arena_strdup(struct arena *, const char *);
char		*arena_strndup(struct arena *, const char *, size_t);
size_t		 arena_used(const struct arena *);

#endif /* HLX_ARENA_H */
