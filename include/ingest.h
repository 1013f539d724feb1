/*
 * ingest -- the receiver's checks of protocol.md §3 that need no store
 * (checks 7-14), and the answers (Receipt, Error) it sends.
 *
 * Pure: works on the bytes of a request already authenticated (check 1)
 * and within its size and time limits (2-6, the server's); the caller
 * passes the time and fresh message ids, so every decision here is
 * repeatable in a test.  Checks 15-19 need the store and run in the
 * writer's transaction (store_ingest.c).
 */
#ifndef HLX_INGEST_H
#define HLX_INGEST_H

#include <stddef.h>
#include <time.h>

#include "conf.h"
#include "message.h"

/* An answer: 202 with a Receipt, or a status with an Error. */
struct ingest_answer {
	int		 status;		/* HTTP status */
	const char	*code;			/* Error/Code; NULL for 202 */
	char		 detail[256];		/* Error/Detail */
	int		 retryable;
	long		 retry_after;		/* seconds; -1 none */
	int		 supported_versions;	/* list ours (UNSUPPORTED_VERSION) */
	/* Receipt (status 202) */
	int		 duplicate;
	char		 received_at[HLX_TIMESTAMP_MAX + 1];
	char		 partner_issuer[HLX_HOTLINE_ID_MAX + 1];
	char		 partner_number[HLX_CASE_NUMBER_MAX + 1];
	/* echoed in the answer's header */
	char		 in_reply_to[HLX_UUID_LEN + 1];
	int		 test;
};

/* Fills a as an Error answer. */
void	ingest_error(struct ingest_answer *a, int status, const char *code,
	    int retryable, const char *fmt, ...)
	    __attribute__((format(printf, 5, 6)));

/*
 * Checks 3 and 4 of protocol.md §3, on a request's head: the path and
 * method (POST /hlx/1/messages, GET /hlx/1/capabilities), the media type
 * (application/xml, charset UTF-8 if any) and no Content-Encoding.
 * content_type NULL: none.  0 to go on, or -1 with the answer in a.
 */
int	ingest_check_head(const char *method, const char *path,
	    const char *content_type, int content_encoding,
	    struct ingest_answer *a);

/*
 * Checks 7-14 of a message from peer (the id bound to its certificate).
 * Returns 0 with *out the parsed message (to be stored), or -1 with the
 * answer in a.
 */
int	ingest_check(const struct msg_schema *, const struct conf *,
	    const char *peer, const char *body, size_t len, time_t now,
	    struct message **out, struct ingest_answer *a);

/*
 * The answer as an HLX message from us to peer: Receipt for 202, else an
 * Error.  message_id and sent_at are fresh values from the caller.
 * Returns a malloc'd buffer (free()), or NULL when out of memory.
 */
char	*ingest_answer_xml(const struct conf *, const char *peer,
	    const struct ingest_answer *a, const char *message_id,
	    const char *sent_at, size_t *len);

/* Our Capabilities, from us to peer. */
char	*ingest_capabilities_xml(const struct conf *, const char *peer,
	    const char *message_id, const char *sent_at, size_t *len);

#endif /* HLX_INGEST_H */
