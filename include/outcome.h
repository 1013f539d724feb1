/*
 * outcome -- the table of protocol.md §4: what an attempt's answer means
 * (delivered, retry, dead), and the back-off before the next attempt.
 *
 * Pure: decides from what came back; the delivery thread does the rest.
 */
#ifndef HLX_OUTCOME_H
#define HLX_OUTCOME_H

#include <stddef.h>

#include "message.h"

#define OUTCOME_ANSWER_MAX	(1024 * 1024)	/* bytes of an answer read */

/*
 * The answer to message_id (a body of type) sent to the hotline peer by
 * the hotline self.  curl_ok: a whole HTTP answer came back; cert_fault:
 * the server's certificate was refused (pin or dates).  Returns
 * "delivered" (a 202 whose Receipt answers message_id, from peer to self,
 * with peer's PartnerCaseRef), "retry" or "dead", and fills code, detail,
 * the Receipt's PartnerCaseRef into partner (HLX_CASE_NUMBER_MAX + 1
 * bytes) and *retry_after (seconds the answer asked for, from its Error or
 * else header_retry_after; -1 none).
 */
const char	*outcome_classify(const struct msg_schema *,
		    const char *message_id, const char *type,
		    const char *peer, const char *self, int curl_ok,
		    int cert_fault, long status, const char *answer,
		    size_t len, long header_retry_after, char *code,
		    size_t codesz, char *detail, size_t detailsz,
		    char *partner, long *retry_after);

/*
 * The wait after n attempts: a random time in [min, min(max, min *
 * 2^(n-1))], raised to retry_after (at most max) when the partner asked.
 */
long		 outcome_backoff(unsigned n, long min, long max,
		    long retry_after, unsigned random);

#endif /* HLX_OUTCOME_H */
