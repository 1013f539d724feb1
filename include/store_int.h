/*
 * store_int.h -- what the store_*.c files share and nobody else sees.
 */
#ifndef HLX_STORE_INT_H
#define HLX_STORE_INT_H

#include <sqlite3.h>

#include "store.h"

struct store {
	sqlite3		*db;
	char		*path;
	char		*actor;
	unsigned char	 key[AUDIT_KEY_LEN];
};

/*
 * Prepares sql and binds its parameters from fmt: 's' a string (NULL binds
 * NULL), 'i' an int64_t, 't' a time_t (0 binds NULL), 'b' a blob (pointer,
 * then size_t length).  Returns NULL with err filled on failure.
 */
sqlite3_stmt	*store_stmt(struct store *, struct store_err *, const char *sql,
		    const char *fmt, ...);
/* Prepares, binds, steps to the end, finalizes. */
int		 store_exec(struct store *, struct store_err *, const char *sql,
		    const char *fmt, ...);
/* Fills err from SQLite's last error on db, with what we were doing. */
int		 store_fail(struct store *, struct store_err *, int sqlite_rc,
		    const char *doing);
/*
 * The array v of n elements of size bytes, with room for one more: v
 * itself while n < *cap, else a copy in the arena twice as big (*cap
 * updated; the old one stays in the arena until it is freed).  NULL when
 * out of memory.  Lists of rows are read this way.
 */
void		*store_grow(struct arena *, void *v, size_t n, size_t *cap,
		    size_t size);
/* A column as text copied into an arena (NULL stays NULL). */
const char	*store_col_text(struct arena *, sqlite3_stmt *, int col);

#endif /* HLX_STORE_INT_H */
