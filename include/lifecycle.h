/*
 * lifecycle -- the rules of a case after its Referral (protocol.md §2.2-2.3,
 * §5; operations.md §3): who may send what, which state may follow which,
 * how states are ordered, and the follow-up messages themselves.
 *
 * Pure: no I/O, no exit.  The store applies these rules inside its
 * transactions (src/store_case.c, src/store_ingest.c); `hlx case ...`
 * (src/hlx_case.c) builds its messages here.
 *
 * The state table (README "The case lifecycle" shows the same):
 *
 *   from                 may be followed by
 *   (none)               any state
 *   received             any state but received
 *   under_assessment     any state but received
 *   forwarded_to_lea     notice_sent_to_host content_removed content_online
 *                        closed
 *   notice_sent_to_host  forwarded_to_lea content_removed content_online
 *                        closed
 *   content_online       forwarded_to_lea notice_sent_to_host
 *                        content_removed closed
 *   content_removed      content_online closed
 *   not_illegal_here     under_assessment closed
 *   closed               nothing: a closed case takes no message
 *
 * A state may also repeat itself (a new observation), except closed.
 */
#ifndef HLX_LIFECYCLE_H
#define HLX_LIFECYCLE_H

#include <stddef.h>
#include <stdint.h>

#include "message.h"
#include "types.h"

#define LIFECYCLE_REROUTES_MAX	3	/* protocol.md §5 */

/* protocol.md §2.3: may the issuer (or, with 0, the recipient) of a case
 * send this body about it? */
int	lifecycle_role_allows(enum body_type, int sender_is_issuer);

/* The state table above; from -1: the case has no state yet. */
int	lifecycle_may_follow(int from, enum case_state to);
/* "content_online, closed": what may follow from, for error lines. */
const char *lifecycle_next_states(int from, char *buf, size_t bufsz);

/* An HLX/1 timestamp (fraction kept) as microseconds since the epoch. */
int	lifecycle_time_usec(const char *ts, int64_t *out);

/*
 * Is a state stamped (at, version) newer than the case's current one
 * (cur_at, cur_version)?  By StateAt first; at the same instant, from the
 * same sender (versions count per sender), the higher or equal version
 * wins; from another sender, the later arrival.  has_cur 0: the case has
 * no state yet.
 */
int	lifecycle_newer(int64_t at, uint32_t version, int has_cur,
	    int64_t cur_at, uint32_t cur_version, int same_sender);

/* What every follow-up message carries. */
struct lifecycle_head {
	const char	*message_id;
	const char	*sent_at;
	const char	*sender;
	const char	*recipient;
	int		 test;
	const char	*issuer;		/* CaseRef */
	const char	*number;
	uint32_t	 version;
	const char	*partner_issuer;	/* PartnerCaseRef; NULL: none */
	const char	*partner_number;
};

struct lifecycle_status {
	enum case_state	 state;
	const char	*state_at;
	int		 observed_by;		/* -1: absent */
	const char	*reason;		/* NULL: absent */
	const char *const *content_urls;
	size_t		 ncontent_urls;
};

/*
 * The messages; NULL with why filled when a value is not one the protocol
 * allows (the check names the option or member: "--reason: ...").  The
 * caller frees with message_free().
 */
struct message *lifecycle_status_update(const struct lifecycle_head *,
	    const struct lifecycle_status *, char *why, size_t whysz);
struct message *lifecycle_withdraw(const struct lifecycle_head *,
	    const char *reason, const char *const *content_urls, size_t n,
	    char *why, size_t whysz);
struct message *lifecycle_reroute(const struct lifecycle_head *,
	    const struct msg_hosting *, const char *reason, char *why,
	    size_t whysz);
/*
 * `hlx case assess`: the JSON {"assessed_at", "severity", "items":
 * [{"content_url", "national_verdict": {"jurisdiction", "status",
 * "code"?}, "agrees_with_sender"?}]} (operations.md §3) as an Assessment.
 * Errors name the member by its JSON path ("items[2].content_url: ...").
 */
struct message *lifecycle_assessment(const struct lifecycle_head *,
	    const char *json, size_t len, char *why, size_t whysz);

#endif /* HLX_LIFECYCLE_H */
