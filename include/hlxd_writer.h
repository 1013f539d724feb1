/*
 * hlxd_writer -- the one thread that writes inbound messages to the store:
 * checks 15-19 of protocol.md §3 in its transaction, group commit, then
 * the hand-off files, then the answers back to the event loop.
 *
 * Role layer (hlxd).  Jobs are handed over whole: the writer owns a job
 * from writer_submit() until it passes it to the done callback on the loop
 * thread.
 */
#ifndef HLX_HLXD_WRITER_H
#define HLX_HLXD_WRITER_H

#include <stdint.h>
#include <time.h>

#include <event2/event.h>

#include "conf.h"
#include "ingest.h"
#include "message.h"
#include "store.h"

#define WRITER_BATCH_MAX	256	/* messages in one commit */
/* Pending hand-offs are written after every batch and, when idle, this
 * often (seconds). */
#define WRITER_HANDOFF_RETRY_SEC	5
#define WRITER_WHY_MAX		320	/* a reason for /healthz */

/* What the last flush left pending, for /healthz and /metrics. */
struct writer_backlog {
	int64_t		 pending;	/* hand-offs; -1 not counted yet */
	time_t		 oldest;	/* since when the longest-waiting
					   one has waited (pending_since) */
	char		 case_id[HLX_CASE_NUMBER_MAX + 1];	/* its case */
	char		 why[WRITER_WHY_MAX];	/* the last failure */
};

struct writer_job {
	void		*ctx;		/* the caller's (the server request) */
	struct message	*m;		/* NULL: only audit the error answer */
	char		 peer[64];
	char		 pin[64];	/* the certificate's, for the audit */
	char		*body;		/* a copy: the connection may go */
	size_t		 len;
	time_t		 now;
	struct ingest_answer ans;	/* in: the error to audit; out */
	int64_t		 hcase;		/* the case whose hand-off its 202
					   waits for (check 19), or 0 */
	struct writer_job *next;
};

struct writer;

/* st is the writer's own store connection (it takes it over). done runs
 * on base's loop thread with each finished job. */
struct writer	*writer_start(struct event_base *base, const struct conf *,
		    struct store *st,
		    void (*done)(struct writer_job *, void *), void *arg,
		    char *why, size_t whysz);
void		 writer_submit(struct writer *, struct writer_job *);
/* Writes every pending hand-off now (start-up); 0 or -1 with a reason. */
int		 writer_rewrite_pending(struct store *, const struct conf *,
		    char *why, size_t whysz);
/* A copy of the backlog (any thread). */
void		 writer_backlog(struct writer *, struct writer_backlog *);
/* Finishes the queue, stops the thread, closes its store. */
void		 writer_stop(struct writer *);
void		 writer_job_free(struct writer_job *);

#endif /* HLX_HLXD_WRITER_H */
