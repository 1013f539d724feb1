/*
 * schema_xsd -- schemas/hlx-1.xsd, compiled into the programs by the
 * Makefile (scripts/embed.sh), so that they never look for it at run time.
 */
#ifndef HLX_SCHEMA_XSD_H
#define HLX_SCHEMA_XSD_H

#include <stddef.h>

extern const char	schema_xsd[];
extern const size_t	schema_xsd_len;

#endif /* HLX_SCHEMA_XSD_H */
