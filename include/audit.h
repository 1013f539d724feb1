/*
 * audit -- the tamper-evident chain of the audit trail (operations.md §5).
 *
 * Pure: computes MACs over entries; the store keeps them.  Each entry's
 * MAC is HMAC-SHA256(key, previous MAC || encoding(entry)); the first entry
 * chains from 32 zero bytes.  The encoding is explicit and unambiguous
 * (a version line, then every field as LENGTH ":" BYTES, "-" for NULL), so
 * that no two different entries encode alike.  Without the key nobody can
 * recompute a valid chain, so editing, inserting, deleting or reordering
 * entries is detected; the tip (last MAC and count), kept apart and logged,
 * catches truncation.
 */
#ifndef HLX_AUDIT_H
#define HLX_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#define AUDIT_MAC_LEN	32
#define AUDIT_KEY_LEN	32

/* Event names (operations.md §5). */
#define AUDIT_MESSAGE_STORED	"message_stored"
#define AUDIT_ATTEMPT		"attempt"
#define AUDIT_DELIVERED		"delivered"
#define AUDIT_DEAD		"dead"
#define AUDIT_CANCELLED		"cancelled"
#define AUDIT_RECEIVED		"received"
#define AUDIT_ANSWERED_ERROR	"answered_error"
#define AUDIT_HANDOFF_WRITTEN	"handoff_written"
#define AUDIT_CASE_STATE	"case_state_changed"
#define AUDIT_PEER_ADDED	"peer_added"
#define AUDIT_ROUTE_CHANGED	"route_changed"
#define AUDIT_PIN_ADDED		"pin_added"
#define AUDIT_PIN_RETIRED	"pin_retired"
#define AUDIT_PEER_ENABLED	"peer_enabled"
#define AUDIT_PEER_DISABLED	"peer_disabled"
#define AUDIT_PEER_REMOVED	"peer_removed"

struct audit_entry {
	int64_t		 seq;		/* 1, 2, 3, ... */
	int64_t		 at;		/* seconds since the epoch */
	const char	*actor;
	const char	*event;
	const char	*peer;		/* NULL when none */
	const char	*hcase;
	const char	*message_id;
	const char	*pin;
	const char	*detail;
};

/*
 * out = HMAC-SHA256(key, prev || encoding(e)); prev NULL for the first
 * entry.  Returns 0, or -1 when OpenSSL fails.
 */
int	audit_mac(const unsigned char *key, size_t keylen,
	    const unsigned char *prev, const struct audit_entry *e,
	    unsigned char out[AUDIT_MAC_LEN]);

/* Lowercase hex of a MAC; buf holds 2 * AUDIT_MAC_LEN + 1. */
void	audit_hex(const unsigned char mac[AUDIT_MAC_LEN], char *buf);

#endif /* HLX_AUDIT_H */
