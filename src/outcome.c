/*
 * outcome.c -- what an attempt's answer means, and when to try again
 * (protocol.md §4).  See outcome.h.
 */
#include <stdio.h>
#include <string.h>

#include "outcome.h"

long
outcome_backoff(unsigned n, long min, long max, long retry_after,
    unsigned random)
{
	long hi = min, wait;
	unsigned i;

	/* attempt n waits in [min, min(max, min * 2^(n-1))] */
	for (i = 1; i < n && hi < max; i++)
		hi *= 2;
	if (hi > max)
		hi = max;
	wait = hi > min ? min + (long)(random % (unsigned long)(hi - min + 1)) :
	    min;
	/* Retry-After raises the wait to at least that, up to max. */
	if (retry_after > wait)
		wait = retry_after < max ? retry_after : max;
	return wait;
}

const char *
outcome_classify(const struct msg_schema *schema, const char *message_id,
    const char *type, const char *peer, const char *self, int curl_ok,
    int cert_fault, long status, const char *answer, size_t len,
    long header_retry_after, char *code, size_t codesz, char *detail,
    size_t detailsz, char *partner, long *retry_after)
{
	struct message *m = NULL;
	struct msg_err err;
	const char *outcome;
	int parsed;

	code[0] = detail[0] = partner[0] = '\0';
	*retry_after = header_retry_after;
	if (!curl_ok) {
		snprintf(code, codesz, "%s", cert_fault ? "SERVER_CERTIFICATE" :
		    "CONNECTION");
		return "retry";
	}
	parsed = len > 0 && message_parse(schema, answer, len,
	    OUTCOME_ANSWER_MAX, &m, &err) == 0;
	if (status == 202) {
		if (!parsed || m->type != BODY_RECEIPT ||
		    m->header.in_reply_to == NULL ||
		    strcmp(m->header.in_reply_to, message_id) != 0 ||
		    message_check_receipt(m, type_vocab_parse(VOCAB_BODY,
		    type) < 0 ? BODY_REFERRAL : (enum body_type)
		    type_vocab_parse(VOCAB_BODY, type), &err) == -1)
			snprintf(detail, detailsz, "202 without a valid Receipt "
			    "for this message");
		/*
		 * protocol.md §4: delivered means a Receipt from the peer the
		 * message went to, to us.  One that names another sender,
		 * another recipient or another hotline's case number is
		 * mismatched: not a delivery (whoever answered may not have
		 * stored it), and its PartnerCaseRef is not kept.
		 */
		else if (strcmp(m->header.sender, peer) != 0)
			snprintf(detail, detailsz, "202 with a Receipt whose "
			    "Header/Sender is %s, not %s", m->header.sender,
			    peer);
		else if (strcmp(m->header.recipient, self) != 0)
			snprintf(detail, detailsz, "202 with a Receipt whose "
			    "Header/Recipient is %s, not %s",
			    m->header.recipient, self);
		else if (m->u.receipt.partner.issuer != NULL &&
		    strcmp(m->u.receipt.partner.issuer, peer) != 0)
			snprintf(detail, detailsz, "202 with a Receipt whose "
			    "PartnerCaseRef/@issuer is %s, not %s",
			    m->u.receipt.partner.issuer, peer);
		else {
			if (m->u.receipt.partner.number != NULL)
				snprintf(partner, HLX_CASE_NUMBER_MAX + 1, "%s",
				    m->u.receipt.partner.number);
			snprintf(code, codesz, "%s", m->u.receipt.status ==
			    RECEIPT_DUPLICATE ? "duplicate" : "accepted");
			outcome = "delivered";
			goto out;
		}
		/* A protocol fault of the peer: try again. */
		snprintf(code, codesz, "BAD_RECEIPT");
		outcome = "retry";
		goto out;
	}
	if (parsed && m->type == BODY_ERROR) {
		snprintf(code, codesz, "%s", m->u.error.code);
		snprintf(detail, detailsz, "%s", m->u.error.detail);
		if (m->u.error.retry_after >= 0)
			*retry_after = (long)m->u.error.retry_after;
		/* Retryable decides, whatever the status. */
		outcome = m->u.error.retryable ? "retry" : "dead";
		goto out;
	}
	snprintf(code, codesz, "HTTP_%ld", status);
	snprintf(detail, detailsz, "HTTP %ld without an HLX Error", status);
	outcome = status == 408 || status == 429 || status == 500 ||
	    status == 502 || status == 503 || status == 504 ? "retry" : "dead";
out:
	message_free(m);
	return outcome;
}

