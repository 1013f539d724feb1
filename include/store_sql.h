/*
 * store_sql -- schemas/store.sql (version 1) and the migrations after it
 * (store-N.sql: version N), compiled into the programs by the
 * Makefile (scripts/embed.sh).
 */
#ifndef HLX_STORE_SQL_H
#define HLX_STORE_SQL_H

#include <stddef.h>

extern const char	store_sql[];
extern const size_t	store_sql_len;
extern const char	store_sql_2[];
extern const size_t	store_sql_2_len;
extern const char	store_sql_3[];
extern const size_t	store_sql_3_len;

#endif /* HLX_STORE_SQL_H */
