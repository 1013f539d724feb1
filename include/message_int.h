/*
 * message_int.h -- what the message_*.c files share and nobody else sees.
 */
#ifndef HLX_MESSAGE_INT_H
#define HLX_MESSAGE_INT_H

#include <libxml/xmlschemas.h>

struct msg_schema {
	xmlSchemaPtr	schema;
};

#endif /* HLX_MESSAGE_INT_H */
