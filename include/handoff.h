/*
 * handoff -- hand-off files for the case system (operations.md §4,
 * case-record.md "Hand-off files").
 *
 * handoff_document() is pure: it builds the JSON document (a case record
 * plus `referral` and `handoff` members) from a Referral's content.
 * handoff_write() is the adapter that puts it on disk so that the case
 * system never sees half a file: written to a temporary name in the same
 * directory, fsync'd, renamed over CASE_ID.json, and the directory fsync'd.
 *
 * Never: log, exit, or quote a value in a reason (the record's `internal`
 * member holds analysts' notes); write anywhere but [handoff] dir; leave a
 * temporary file behind.
 *
 * Ownership: handoff_document() returns a malloc'd, NUL-terminated buffer
 * the caller frees with free(); nothing else is allocated for the caller.
 */
#ifndef HLX_HANDOFF_H
#define HLX_HANDOFF_H

#include <stddef.h>
#include <time.h>

#include "message.h"

struct handoff_meta {
	const char	*kind;		/* "referral" or "domestic" */
	unsigned	 revision;	/* 1, then +1 each time it is replaced */
	const char	*state;		/* new, acknowledged, withdrawn, amended */
	const char	*deadline_at;	/* HLX timestamp */
	int		 test;		/* 0 or 1: the record is a test */
	/* kind "referral" only; NULL for a domestic hand-off */
	const char	*from;		/* the partner's hotline id */
	const char	*their_case_ref;
	const char	*message_id;
	const char	*received_at;	/* when we stored it (Receipt) */
};

/*
 * The hand-off document for case_id (our number for a received case, the
 * record's case_id for a domestic one) with the content of r.  internal is
 * compact JSON of the record's `internal` member (domestic only), or NULL.
 * Member order follows case-record.md and its hand-off example; jansson's
 * two-space indentation (JSON_INDENT(2)), so arrays and objects are always
 * written one member a line, and a final newline.  The top-level `test`
 * and handoff.test are both m->test.  On success *len is the length
 * (without the NUL).  Returns NULL, *len 0 and a reason in why (a JSON
 * path and what is wrong, never the value) when the meta data is bad
 * (unknown kind or state, revision 0, a referral without from,
 * their_case_ref, message_id or received_at, or a domestic one with any of
 * them), internal is given for a referral or is not a JSON object, case_id
 * is not a case number, r holds a value outside its vocabulary or a string
 * that is not UTF-8, or memory runs out.
 */
char	*handoff_document(const char *case_id, const struct msg_referral *r,
	    const char *internal, const struct handoff_meta *m, size_t *len,
	    char *why, size_t whysz);

/*
 * Writes doc as DIR/CASE_ID.json, atomically and durably (see above), mode
 * 0600 (the process umask is 077; a group for the case system is given to
 * the directory, not the file).  The temporary name is
 * DIR/.CASE_ID.json.tmp.XXXXXX, created O_EXCL; it is removed on every
 * failure.  case_id must be a case number not starting with '.' (so no
 * ".", "..", or a name among our temporary ones): otherwise -1, EINVAL.
 * Returns 0, or -1 with errno and a reason naming DIR/CASE_ID.json and the
 * step that failed.  A failure of the last step (fsync of the directory)
 * leaves the new file in place, not known to be durable: treat it as not
 * written and write it again.
 */
int	handoff_write(const char *dir, const char *case_id, const char *doc,
	    size_t len, char *why, size_t whysz);

/*
 * The deadline for a severity: [handoff] deadline_* seconds after from;
 * deadlines[] is indexed by enum severity (low, medium, high, critical).
 * A severity out of range (a caller's bug) gets the shortest of the four.
 */
time_t	handoff_deadline(time_t from, enum severity sev,
	    const unsigned deadlines[4]);

#endif /* HLX_HANDOFF_H */
