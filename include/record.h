/*
 * record -- the hotline's JSON case record (case-record.md) -> struct.
 *
 * Pure: parses a buffer, never a file; no exit.  Every rule of
 * case-record.md is checked: required members, vocabularies, the types of
 * protocol.md §2.1, 1-1000 items with distinct content URLs, integers only,
 * size and depth limits, unknown members and duplicate keys refused, null
 * only inside sender_actions.  The first problem is reported as one line that
 * names the member by its 0-based JSON path:
 *     items[3].hashes.sha256: expected 64 hex digits, got 12
 *
 * The record's `internal` member is kept apart, as compact JSON text in
 * record.internal, and never enters record.msg: the message layer cannot
 * send what it is never given.
 *
 * Ownership: record_parse() fills a caller's struct record; record_free()
 * releases everything in it, including msg unless the caller took it (set
 * msg to NULL after taking it).
 */
#ifndef HLX_RECORD_H
#define HLX_RECORD_H

#include <stddef.h>

#include "message.h"

struct record {
	struct message	*msg;		/* a Referral; header not yet set */
	const char	*case_id;	/* = msg->u.referral.caseref.number */
	int		 test;
	char		*internal;	/* compact JSON, or NULL; never sent */
};

struct record_err {
	char		text[512];
};

int	record_parse(const char *buf, size_t len, struct record *out,
	    struct record_err *err);
void	record_free(struct record *);

/*
 * Makes the record's message ready to send: header (sender, recipient,
 * message id, sent at, test) and CaseRef (issuer = sender, the given
 * version).  The values are checked by the caller; they are copied.
 * Returns -1 only when out of memory.
 */
int	record_translate(struct record *, const char *sender,
	    const char *recipient, const char *message_id,
	    const char *sent_at, unsigned version);

/*
 * The SHA-256 (lowercase hex) of the record's canonical JSON (keys sorted,
 * compact): two records that are equal as JSON have the same digest,
 * whatever their spacing or member order.  -1 when buf is not JSON.
 */
int	record_digest(const char *buf, size_t len, char out[65]);

#endif /* HLX_RECORD_H */
