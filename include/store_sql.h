/*
 * store_sql -- schemas/store.sql, compiled into the programs by the
 * Makefile (scripts/embed.sh).
 */
#ifndef HLX_STORE_SQL_H
#define HLX_STORE_SQL_H

#include <stddef.h>

extern const char	store_sql[];
extern const size_t	store_sql_len;

#endif /* HLX_STORE_SQL_H */
