/*
 * hlxd_writer.c -- durability without slowness.  See hlxd_writer.h.
 *
 * SECURITY: writes the store and [handoff] dir; reads nothing from the
 * network itself (the jobs carry messages already parsed and checked).
 *
 * The order of operations is the promise of protocol.md §3 check 19 and
 * operations.md §4: commit (synchronous=FULL: the WAL is fsync'd) with the
 * hand-off pending; write the file (temp, fsync, rename, fsync of the
 * directory); mark it written; only then is the 202 handed to the loop.
 * Messages queued together share one commit: fsync is the cost, and one
 * fsync for a hundred messages is a hundred times cheaper.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit.h"
#include "handoff.h"
#include "hlxd_writer.h"
#include "log.h"

struct writer {
	pthread_t		 thread;
	pthread_mutex_t		 mu;
	pthread_cond_t		 cond;
	struct writer_job	*queue, **tail;
	struct writer_job	*done, **done_tail;
	int			 stopping;
	struct event		*done_ev;
	struct store		*st;
	const struct conf	*conf;
	void			(*done_cb)(struct writer_job *, void *);
	void			*arg;
	struct writer_backlog	 backlog;	/* under mu */
};

void
writer_job_free(struct writer_job *j)
{
	if (j == NULL)
		return;
	message_free(j->m);
	free(j->body);
	free(j);
}

static void
unavailable(struct writer_job *j, const char *why)
{
	ingest_error(&j->ans, 503, "UNAVAILABLE", 1, "the message could not "
	    "be stored: %s", why);
	j->ans.retry_after = 5;
}

int
writer_rewrite_pending(struct store *st, const struct conf *c, char *why,
    size_t whysz)
{
	return store_handoff_flush(st, c->handoff_dir, NULL, 0, why, whysz);
}

/*
 * Writes every pending hand-off and records the backlog that is left for
 * /healthz and /metrics.  Runs after every batch and every
 * WRITER_HANDOFF_RETRY_SEC when idle: a hand-off that could not be written
 * (a full disk, a directory gone) is written as soon as it can be, without
 * waiting for a retry or a restart.  Returns how many are left pending
 * (-1: not counted).
 */
static int64_t
flush(struct writer *w)
{
	struct store_err err;
	char why[WRITER_WHY_MAX], case_id[HLX_CASE_NUMBER_MAX + 1];
	int64_t n;
	time_t oldest;

	why[0] = '\0';
	/* Counted first: when nothing is pending (nearly always), the write
	 * lock is not taken at all. */
	if (store_handoff_backlog(w->st, &n, &oldest, case_id,
	    sizeof(case_id), &err) == -1)
		goto uncounted;
	if (n > 0) {
		/* What fails stays pending, and is counted below. */
		(void)store_handoff_flush(w->st, w->conf->handoff_dir, NULL, 0,
		    why, sizeof(why));
		if (store_handoff_backlog(w->st, &n, &oldest, case_id,
		    sizeof(case_id), &err) == -1)
			goto uncounted;
	}
	if (n == 0)
		why[0] = '\0';
	pthread_mutex_lock(&w->mu);
	w->backlog.pending = n;
	w->backlog.oldest = oldest;
	snprintf(w->backlog.case_id, sizeof(w->backlog.case_id), "%s",
	    case_id);
	snprintf(w->backlog.why, sizeof(w->backlog.why), "%s", why);
	pthread_mutex_unlock(&w->mu);
	return n;
uncounted:
	log_warnx("event=store_failed reason=\"%s\"", err.msg);
	pthread_mutex_lock(&w->mu);
	w->backlog.pending = -1;
	snprintf(w->backlog.why, sizeof(w->backlog.why), "%s", err.msg);
	pthread_mutex_unlock(&w->mu);
	return -1;
}

void
writer_backlog(struct writer *w, struct writer_backlog *b)
{
	pthread_mutex_lock(&w->mu);
	*b = w->backlog;
	pthread_mutex_unlock(&w->mu);
}

static void
audit_error(struct store *st, struct writer_job *j)
{
	struct store_err err;
	char detail[320];

	snprintf(detail, sizeof(detail), "%d %s: %s", j->ans.status,
	    j->ans.code, j->ans.detail);
	if (store_audit(st, AUDIT_ANSWERED_ERROR, j->peer, NULL,
	    j->ans.in_reply_to[0] != '\0' ? j->ans.in_reply_to : NULL,
	    j->pin[0] != '\0' ? j->pin : NULL, detail, &err) == -1)
		log_warnx("event=audit_failed peer=%s reason=\"%s\"", j->peer,
		    err.msg);
}

static void
process(struct writer *w, struct writer_job *batch)
{
	const struct conf *c = w->conf;
	struct store_inbound in;
	struct store_handoff ho;
	struct store_err err;
	struct writer_job *j;
	int pending;

	if (store_begin(w->st, &err) == -1) {
		for (j = batch; j != NULL; j = j->next)
			if (j->m != NULL)
				unavailable(j, err.rc == STORE_BUSY ?
				    "the store is busy" : "store error");
		log_warnx("event=store_failed reason=\"%s\"", err.msg);
		return;
	}
	for (j = batch; j != NULL; j = j->next) {
		if (j->m == NULL) {
			audit_error(w->st, j);
			continue;
		}
		memset(&in, 0, sizeof(in));
		memset(&ho, 0, sizeof(ho));
		in.m = j->m;
		in.self = c->hotline_id;
		in.peer = j->peer;
		in.pin = j->pin[0] != '\0' ? j->pin : NULL;
		in.body = j->body;
		in.len = j->len;
		in.now = j->now;
		in.case_prefix = c->case_prefix;
		in.conf = c;
		in.deadlines = (const unsigned[]){ c->deadline_low,
		    c->deadline_medium, c->deadline_high,
		    c->deadline_critical };
		if (store_savepoint(w->st, &err) == -1 ||
		    store_ingest(w->st, &in, &j->ans, &ho, &err) == -1) {
			store_rollback_to(w->st);
			log_warnx("event=store_failed peer=%s message_id=%s "
			    "reason=\"%s\"", j->peer, j->m->header.message_id,
			    err.msg);
			unavailable(j, "store error");
			free(ho.document);
			continue;
		}
		j->hcase = ho.hcase;
		free(ho.document);	/* kept in the store as pending */
		if (j->ans.status != 202) {
			/* A refusal stores nothing but its audit entry. */
			store_rollback_to(w->st);
			audit_error(w->st, j);
			continue;
		}
		if (store_release(w->st, &err) == -1) {
			store_rollback_to(w->st);
			unavailable(j, "store error");
			continue;
		}
	}
	if (store_commit(w->st, &err) == -1) {
		log_warnx("event=commit_failed reason=\"%s\"", err.msg);
		for (j = batch; j != NULL; j = j->next)
			if (j->m != NULL && j->ans.status == 202)
				unavailable(j, "the commit failed");
		return;
	}
	/* Every pending hand-off, this batch's and any earlier one's, then
	 * check 19 for each 202: accepted or duplicate, it goes out only
	 * when the file it depends on is durable. */
	if (flush(w) == 0)
		return;		/* nothing pending: every file is on disk */
	for (j = batch; j != NULL; j = j->next) {
		if (j->m == NULL || j->ans.status != 202 || j->hcase == 0)
			continue;
		if (store_handoff_is_pending(w->st, j->hcase, &pending,
		    &err) == -1 || pending)
			unavailable(j, "the hand-off file could not be "
			    "written");
	}
}

static void *
run(void *arg)
{
	struct writer *w = arg;
	struct writer_job *batch, *j, *next;
	size_t n;

	struct timespec until;

	for (;;) {
		pthread_mutex_lock(&w->mu);
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_sec += WRITER_HANDOFF_RETRY_SEC;
		while (w->queue == NULL && !w->stopping)
			if (pthread_cond_timedwait(&w->cond, &w->mu,
			    &until) == ETIMEDOUT)
				break;
		if (w->queue == NULL && w->stopping) {
			pthread_mutex_unlock(&w->mu);
			break;
		}
		if (w->queue == NULL) {
			/* Idle: the hand-offs that are still pending. */
			pthread_mutex_unlock(&w->mu);
			(void)flush(w);
			continue;
		}
		/* Take what is queued, up to a batch. */
		batch = w->queue;
		for (n = 1, j = batch; j->next != NULL && n < WRITER_BATCH_MAX;
		    j = j->next, n++)
			;
		w->queue = j->next;
		if (w->queue == NULL)
			w->tail = &w->queue;
		j->next = NULL;
		pthread_mutex_unlock(&w->mu);

		process(w, batch);

		pthread_mutex_lock(&w->mu);
		for (j = batch; j != NULL; j = next) {
			next = j->next;
			j->next = NULL;
			*w->done_tail = j;
			w->done_tail = &j->next;
		}
		pthread_mutex_unlock(&w->mu);
		event_active(w->done_ev, EV_READ, 0);
	}
	return NULL;
}

/* On the loop thread: hand each finished job to its owner. */
static void
deliver(evutil_socket_t fd, short what, void *arg)
{
	struct writer *w = arg;
	struct writer_job *j, *next;

	(void)fd;
	(void)what;
	pthread_mutex_lock(&w->mu);
	j = w->done;
	w->done = NULL;
	w->done_tail = &w->done;
	pthread_mutex_unlock(&w->mu);
	for (; j != NULL; j = next) {
		next = j->next;
		j->next = NULL;
		w->done_cb(j, w->arg);
	}
}

struct writer *
writer_start(struct event_base *base, const struct conf *c, struct store *st,
    void (*done)(struct writer_job *, void *), void *arg, char *why,
    size_t whysz)
{
	struct writer *w = calloc(1, sizeof(*w));
	pthread_condattr_t ca;

	if (w == NULL) {
		snprintf(why, whysz, "out of memory");
		return NULL;
	}
	w->tail = &w->queue;
	w->done_tail = &w->done;
	w->st = st;
	w->conf = c;
	w->done_cb = done;
	w->arg = arg;
	w->backlog.pending = -1;	/* not counted yet */
	pthread_mutex_init(&w->mu, NULL);
	/* The retry timer must not jump with the wall clock. */
	if (pthread_condattr_init(&ca) != 0 ||
	    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) != 0 ||
	    pthread_cond_init(&w->cond, &ca) != 0) {
		snprintf(why, whysz, "cannot set up the writer's clock");
		pthread_mutex_destroy(&w->mu);
		free(w);
		return NULL;
	}
	pthread_condattr_destroy(&ca);
	if ((w->done_ev = event_new(base, -1, 0, deliver, w)) == NULL ||
	    pthread_create(&w->thread, NULL, run, w) != 0) {
		snprintf(why, whysz, "cannot start the writer thread");
		if (w->done_ev != NULL)
			event_free(w->done_ev);
		free(w);
		return NULL;
	}
	return w;
}

void
writer_submit(struct writer *w, struct writer_job *j)
{
	pthread_mutex_lock(&w->mu);
	j->next = NULL;
	*w->tail = j;
	w->tail = &j->next;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->mu);
}

void
writer_stop(struct writer *w)
{
	if (w == NULL)
		return;
	pthread_mutex_lock(&w->mu);
	w->stopping = 1;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
	deliver(-1, 0, w);	/* the last answers */
	event_free(w->done_ev);
	store_close(w->st);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cond);
	free(w);
}
