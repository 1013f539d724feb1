/*
 * peertab -- the live table of enabled peers, by pin: what the TLS layer
 * asks at every handshake and every request (protocol.md §1).
 *
 * Pure: built by the caller from the store, replaced as a whole when the
 * store changes (never edited in place), read by one thread.
 */
#ifndef HLX_PEERTAB_H
#define HLX_PEERTAB_H

#include <stddef.h>

struct peertab;

struct peertab	*peertab_new(void);
/* One valid pin of an enabled peer. 0, or -1 when out of memory. */
int		 peertab_add(struct peertab *, const char *pin, const char *id);
/* The peer id the pin belongs to, or NULL. */
const char	*peertab_find(const struct peertab *, const char *pin);
size_t		 peertab_count(const struct peertab *);
/* The same pins of the same peers (NULL is an empty table). */
int		 peertab_equal(const struct peertab *, const struct peertab *);
void		 peertab_free(struct peertab *);

#endif /* HLX_PEERTAB_H */
