/*
 * store -- everything durable, behind one interface (STYLE.md): SQLite in
 * WAL mode with synchronous=FULL, the schema in schemas/store.sql.  No
 * other module issues SQL.
 *
 * Every write happens inside store_begin() .. store_commit(): BEGIN
 * IMMEDIATE, so that hlx and hlxd can share the file, and so that a
 * command's changes and their audit entries commit together or not at all
 * (store_rollback() on any failure).  The store_peer_* and store_audit_*
 * functions that change things write their own audit entries inside the
 * caller's transaction.
 *
 * Results: enum store_rc, mapped by the roles to exit codes (operations.md
 * §3): STORE_BUSY -> 75, STORE_IO -> 74, STORE_PERM -> 77, STORE_REFUSED and
 * STORE_NOTFOUND -> 65, STORE_FAIL and STORE_TOO_NEW -> 70.  Every failure
 * fills the caller's store_err with one line that says what and where.
 *
 * Ownership: struct store_peer_list and struct store_audit_list own their
 * memory (an arena); free them with the matching _free().
 */
#ifndef HLX_STORE_H
#define HLX_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "arena.h"
#include "audit.h"
#include "cert.h"
#include "conf.h"
#include "ingest.h"

#define STORE_SCHEMA_VERSION	3
#define STORE_BUSY_TIMEOUT_MS	5000
#define STORE_COUNTRIES_MAX	64	/* countries one peer serves */

enum store_rc {
	STORE_OK = 0,
	STORE_NOTFOUND,		/* no such peer, pin, ... */
	STORE_REFUSED,		/* a rule says no: last pin, pin of another peer */
	STORE_BUSY,		/* locked by another process: try again */
	STORE_IO,		/* disk full, I/O error */
	STORE_PERM,		/* file modes (operations.md §1) */
	STORE_TOO_NEW,		/* written by a newer hlx */
	STORE_FAIL,		/* anything else: corrupt, out of memory */
};

struct store_err {
	enum store_rc	rc;
	char		msg[320];
};

struct store;

/*
 * Opens (creating on first use, mode 0600) the store at path and reads or
 * creates (0600, 32 random bytes) the audit key at key_path.  actor names
 * who writes audit entries ("hlxd", or the Unix user).  Refuses files that
 * group or others may read or write (STORE_PERM).
 */
/* Fills err and returns -1 (also for callers that refuse inside a store
 * transaction). */
int	store_set_err(struct store_err *, enum store_rc, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

int	store_open(struct store **out, const char *path, const char *key_path,
	    const char *actor, struct store_err *err);
void	store_close(struct store *);

int	store_begin(struct store *, struct store_err *);
int	store_commit(struct store *, struct store_err *);
void	store_rollback(struct store *);
/* One message of a group commit: kept, or undone alone (SAVEPOINT). */
int	store_savepoint(struct store *, struct store_err *);
int	store_release(struct store *, struct store_err *);
void	store_rollback_to(struct store *);
/* Changes when another connection commits (PRAGMA data_version). */
int	store_data_version(struct store *, int64_t *, struct store_err *);

/* Appends an audit entry (seq, at, actor and mac are filled in). */
int	store_audit(struct store *, const char *event, const char *peer,
	    const char *hcase, const char *message_id, const char *pin,
	    const char *detail, struct store_err *);

/* Peers ------------------------------------------------------------- */

struct store_pin {
	const char	*pin;
	const char	*subject;	/* NULL when added as a bare pin */
	time_t		 not_before;	/* 0 when unknown */
	time_t		 not_after;
	/* When the pin stops authenticating, whatever certificate the peer
	 * presents: the notAfter of the certificate it was added from (the
	 * store takes not_after when this is 0), or `--pin --expires`; 0 for
	 * a bare pin with no known expiry. */
	time_t		 expires_at;
	time_t		 added_at;
	time_t		 retired_at;	/* 0 while valid */
};

struct store_peer {
	const char	*id;
	const char	*url;
	int		 enabled;
	time_t		 created_at;
	time_t		 removed_at;	/* 0 unless tombstoned */
	const char	**countries;
	size_t		 ncountries;
	const char	**routes;	/* countries it is the route for; "*" */
	size_t		 nroutes;
	struct store_pin *pins;		/* valid ones first, then retired */
	size_t		 npins;
	int64_t		 outbox_depth;	/* messages not yet delivered */
	time_t		 last_success_at;
	time_t		 last_error_at;
	const char	*last_error;
};

struct store_peer_list {
	struct arena	*arena;
	struct store_peer *peers;
	size_t		 n;
};

/*
 * A new peer serving countries, with one pin (pin->pin set; subject and
 * dates when known).  It becomes the route of each of its countries that
 * has none, and of all of them with take_route.  A removed peer's id may
 * be added again: its history stays.
 */
int	store_peer_add(struct store *, const char *id, const char *url,
	    const char *const *countries, size_t ncountries,
	    const struct store_pin *pin, int take_route, struct store_err *);
/* country "*" is the default route.  Adds the country to the peer. */
int	store_peer_route(struct store *, const char *country, const char *id,
	    struct store_err *);
/*
 * A new pin for a peer.  A pin that is already valid is refused, unless it
 * comes with a certificate or an expiry: then it is renewed (a partner's
 * new certificate over the same key), taking the new dates and expiry.
 */
int	store_peer_pin_add(struct store *, const char *id,
	    const struct store_pin *pin, struct store_err *);
int	store_peer_pin_retire(struct store *, const char *id, const char *pin,
	    struct store_err *);
int	store_peer_set_enabled(struct store *, const char *id, int enabled,
	    struct store_err *);
int	store_peer_remove(struct store *, const char *id, struct store_err *);

/* id NULL: every peer not removed; else that one peer (removed or not). */
int	store_peer_list(struct store *, const char *id,
	    struct store_peer_list *out, struct store_err *);
void	store_peer_list_free(struct store_peer_list *);

/* Audit ------------------------------------------------------------- */

struct store_audit_row {
	int64_t		 seq;
	int64_t		 at;
	const char	*actor;
	const char	*event;
	const char	*peer;
	const char	*hcase;
	const char	*message_id;
	const char	*pin;
	const char	*detail;
};

struct store_audit_list {
	struct arena	*arena;
	struct store_audit_row *rows;
	size_t		 n;
};

/* peer / hcase NULL: no filter. */
int	store_audit_list(struct store *, const char *peer, const char *hcase,
	    struct store_audit_list *out, struct store_err *);
void	store_audit_list_free(struct store_audit_list *);

struct store_audit_verdict {
	int64_t		 count;		/* entries checked */
	unsigned char	 tip[AUDIT_MAC_LEN];
	int64_t		 bad_seq;	/* 0 when the chain is whole */
	char		 why[160];
};

/* The tip as stored (count 0 and zeros for an empty trail), without
 * checking the chain: what hlxd logs every hour (operations.md §5), so
 * that it can be recorded elsewhere. */
int	store_audit_tip(struct store *, int64_t *count,
	    unsigned char tip[AUDIT_MAC_LEN], struct store_err *);

/* Checks every entry against the key and the tip.  STORE_OK even when the
 * chain is broken: the verdict says so (bad_seq != 0). */
int	store_audit_verify(struct store *, struct store_audit_verdict *out,
	    struct store_err *);


/* Inbound (protocol.md §3 checks 15-19) ---------------------------- */


struct store_inbound {
	const struct message *m;	/* passed checks 7-14 */
	const char	*self;		/* this hotline's id */
	const char	*peer;		/* bound to the client certificate */
	const char	*pin;		/* that certificate's pin */
	const char	*body;		/* the exact bytes */
	size_t		 len;
	time_t		 now;
	const char	*case_prefix;	/* [hotline] case_prefix */
	const unsigned	*deadlines;	/* [handoff] deadline_* by severity */
	const struct conf *conf;	/* our countries (receive_for) */
};

/* A hand-off file to write after the commit (file_state pending). */
struct store_handoff {
	int64_t		 hcase;
	unsigned	 revision;
	char		 case_id[HLX_CASE_NUMBER_MAX + 1];
	char		*document;	/* malloc'd; NULL when none */
	size_t		 len;
};

/*
 * Inside the caller's transaction: checks 15-18, then stores the message,
 * its case (a new one gets our number), its audit entry and, for a
 * Referral, its hand-off row as pending with the document in *ho.  The
 * answer (Receipt or Error) is in *a; a refusal is STORE_OK with an Error
 * answer (nothing stored; the caller rolls back).  A 202 that depends on
 * a hand-off file (check 19) has ho->hcase set -- also a duplicate, with
 * ho->document NULL: the caller answers 202 only once that case's
 * hand-off is no longer pending.
 */
int	store_ingest(struct store *, const struct store_inbound *,
	    struct ingest_answer *a, struct store_handoff *ho,
	    struct store_err *);
/* After the file is on disk: file_state written, audit handoff_written. */
int	store_handoff_written(struct store *, const struct store_handoff *,
	    struct store_err *);
/*
 * Writes every pending hand-off (only those of the cases in only[], when
 * only is not NULL) into dir (handoff_write: temp, fsync,
 * rename, fsync of the directory) and marks each written, all in one
 * transaction that holds the write lock while the files are written, so
 * that the revision on disk never goes backwards, whoever writes.  -1
 * (with the last reason) if the store was busy or any file could not be
 * written: those stay pending.
 */
int	store_handoff_flush(struct store *, const char *dir,
	    const int64_t *only, size_t nonly, char *why, size_t whysz);
/* Is hcase's hand-off pending (committed, its file not yet written)? */
int	store_handoff_is_pending(struct store *, int64_t hcase, int *pending,
	    struct store_err *);
/* How many hand-offs are pending; since when the longest-waiting one has
 * waited for its file (pending_since, kept through later revisions; 0:
 * none) and its case number. */
int	store_handoff_backlog(struct store *, int64_t *n, time_t *oldest,
	    char *case_id, size_t case_idsz, struct store_err *);
/* Every pending hand-off (for the rewrite at start-up); *n of them. */
int	store_handoff_pending(struct store *, struct store_handoff **out,
	    size_t *n, struct store_err *);
void	store_handoff_free(struct store_handoff *, size_t n);

/* Received cases for `hlx inbox list`. */
struct store_inbox_row {
	const char	*our_number;
	const char	*issuer;
	const char	*number;
	const char	*partner;
	const char	*country;
	const char	*received_at;	/* when we stored the Referral */
	const char	*deadline_at;
	const char	*handoff_state;
	const char	*file_state;
	unsigned	 revision;
	int		 test;
	const char	*case_state;	/* NULL, received, ..., closed */
};

struct store_inbox_list {
	struct arena	*arena;
	struct store_inbox_row *rows;
	size_t		 n;
};

/* since: HLX timestamp or NULL. */
int	store_inbox_list(struct store *, const char *since,
	    struct store_inbox_list *out, struct store_err *);
void	store_inbox_list_free(struct store_inbox_list *);

/* Outbound: submit, route, the outbox (protocol.md §4-5) ------------- */

/* What an earlier submission of case_id left (for idempotent re-runs). */
struct store_submitted {
	int		 found;
	char		 record_sha256[65];
	char		 message_id[HLX_UUID_LEN + 1];	/* "" when none */
	char		 route[HLX_HOTLINE_ID_MAX + 1];	/* peer, domestic,
							 * unroutable */
};

int	store_submitted(struct store *, const char *self, const char *case_id,
	    struct store_submitted *out, struct store_err *);
/* The route for country: its own, else the default route "*"; "" none. */
int	store_route_for(struct store *, const char *country, char *peer,
	    size_t peersz, struct store_err *);

struct store_submit {
	const char	*self;		/* our hotline id: the CaseRef issuer */
	const char	*case_id;
	const char	*country;	/* Hosting/Country */
	const char	*received_at;	/* the record's, for statistics */
	const char	*record;	/* the JSON as submitted (with internal) */
	const char	*record_sha256;	/* of its canonical form */
	int		 test;
	time_t		 now;
	/* exactly one of: */
	const char	*peer;		/* routed: the message for it */
	const char	*message_id;
	const char	*body;		/* the exact bytes, fixed now */
	size_t		 len;
	int		 domestic;	/* our own country: a hand-off */
	const char	*handoff_doc;	/* its document */
	const char	*deadline_at;
	/* neither: unroutable, waiting for a route */
};

/* Inside the caller's transaction: the case, then its outbox row (queued
 * or unroutable) or its hand-off (pending), and the audit entry. */
int	store_submit(struct store *, const struct store_submit *,
	    struct store_err *);

struct store_outbox_row {
	int64_t		 id;
	const char	*message_id;	/* NULL while unroutable */
	const char	*case_id;	/* our case number (CaseRef) */
	const char	*peer;		/* NULL while unroutable */
	const char	*type;
	int64_t		 version;
	const char	*state;
	time_t		 created_at;
	time_t		 next_attempt_at;
	int64_t		 attempts;
	time_t		 delivered_at;
	int64_t		 last_status;	/* 0: none */
	const char	*last_code;
	const char	*last_detail;
	int		 test;
};

struct store_attempt_row {
	time_t		 started_at;
	time_t		 finished_at;
	const char	*outcome;
	int64_t		 http_status;
	const char	*code;
	const char	*detail;
};

struct store_outbox_list {
	struct arena	*arena;
	struct store_outbox_row *rows;
	size_t		 n;
	struct store_attempt_row *attempts;	/* store_outbox_show only */
	size_t		 nattempts;
};

/* state, peer NULL: no filter. */
int	store_outbox_list(struct store *, const char *state, const char *peer,
	    struct store_outbox_list *out, struct store_err *);
/* One message (by message id, or by row id as decimal) with its attempts. */
int	store_outbox_show(struct store *, const char *id,
	    struct store_outbox_list *out, struct store_err *);
void	store_outbox_list_free(struct store_outbox_list *);
/* dead -> queued (attempted at once); anything undelivered -> cancelled. */
int	store_outbox_retry(struct store *, const char *id, struct store_err *);
int	store_outbox_cancel(struct store *, const char *id, struct store_err *);

/* Delivery (hlxd) --------------------------------------------------- */

#define STORE_PINS_MAX		1024	/* "sha256//..;sha256//.." of a peer */

struct store_delivery {
	int64_t		 id;
	char		 message_id[HLX_UUID_LEN + 1];
	char		 peer[HLX_HOTLINE_ID_MAX + 1];
	char		 url[HLX_URL_MAX + 1];
	char		 pins[STORE_PINS_MAX];	/* valid pins, ';' between */
	/* The peer's other pins, only to say why its server's certificate
	 * was refused: retired ones, and those past their expiry (as of the
	 * query; not in pins).  Cut at STORE_PINS_MAX, never mid-pin. */
	char		 retired_pins[STORE_PINS_MAX];
	char		 expired_pins[STORE_PINS_MAX];
	char		 type[16];
	char		 case_id[HLX_CASE_NUMBER_MAX + 1];
	char		*body;			/* malloc'd exact bytes */
	size_t		 len;
	int64_t		 attempts;		/* before this one */
	time_t		 created_at;
};

/*
 * Messages due now, at most max: queued or retrying, next attempt passed,
 * to an enabled peer, and first of their case for that peer (one in
 * flight per peer and case, in version order; a dead one holds back the
 * later ones).  The caller frees with store_delivery_free().
 */
int	store_outbox_due(struct store *, time_t now, size_t max,
	    const int64_t *busy, size_t nbusy, struct store_delivery **out,
	    size_t *n, struct store_err *);
void	store_delivery_free(struct store_delivery *, size_t n);

struct store_attempt {
	time_t		 started_at;
	time_t		 finished_at;
	const char	*outcome;	/* delivered, retry, dead */
	int		 http_status;	/* 0: no answer */
	const char	*code;		/* Error/Code, or our name for it */
	const char	*detail;
	const char	*answer;	/* the answer's bytes, bounded */
	size_t		 answer_len;
	time_t		 next_attempt_at;	/* retry */
	const char	*partner_number;	/* from a Receipt */
	const char	*partner_issuer;
};

/* The attempt, the message's new state, the peer's last success or
 * error, and the audit entries, in one transaction of the caller. */
int	store_outbox_attempted(struct store *, const struct store_delivery *,
	    const struct store_attempt *, struct store_err *);

struct store_waiting {
	int64_t		 id;
	char		 case_id[HLX_CASE_NUMBER_MAX + 1];
	char		 country[3];
	char		*record;	/* malloc'd JSON as submitted */
};

/* Unroutable messages (at most max), for routing when a route appears. */
int	store_outbox_waiting(struct store *, size_t max,
	    struct store_waiting **out, size_t *n, struct store_err *);
void	store_waiting_free(struct store_waiting *, size_t n);
/* The version the waiting message id gets when sent to peer. */
int	store_outbox_next_version(struct store *, int64_t id, const char *peer,
	    unsigned *version, struct store_err *);
/* Routes a waiting message: its exact bytes, fixed now. */
int	store_outbox_route(struct store *, int64_t id, const char *case_id,
	    const char *peer, const char *message_id, unsigned version,
	    const char *body, size_t len, time_t now, struct store_err *);
/* Delivery attempts to each peer: last success and error (metrics). */

/* Peers whose Capabilities are unknown or a day old: at most max. */
int	store_caps_due(struct store *, time_t now, size_t max,
	    struct store_delivery **out, size_t *n, struct store_err *);
/* What a peer's Capabilities said (versions space-separated); ok = 0
 * records a failed fetch, tried again in an hour. */
int	store_caps_set(struct store *, const char *peer, int ok,
	    const char *versions, int64_t max_bytes, int64_t max_items,
	    time_t now, struct store_err *);

/* For the metrics: undelivered messages by peer ("-" unroutable) and
 * state, through outbox(); hand-offs past their deadline in *overdue. */
int	store_gauges(struct store *, time_t now,
	    void (*outbox)(const char *peer, const char *state, int64_t n,
	    void *), int64_t *overdue, void *arg, struct store_err *);

/* The case lifecycle (protocol.md §2.2-2.3, §5; src/store_case.c) ---- */

/* A case as `hlx case` and the events see it. */
struct store_case {
	int64_t		 id;
	int		 ours;			/* origin ours, else received */
	char		 case_id[HLX_CASE_NUMBER_MAX + 1];	/* our name */
	char		 issuer[HLX_HOTLINE_ID_MAX + 1];	/* CaseRef */
	char		 number[HLX_CASE_NUMBER_MAX + 1];
	char		 partner[HLX_HOTLINE_ID_MAX + 1];	/* "" none */
	char		 partner_number[HLX_CASE_NUMBER_MAX + 1]; /* "" */
	char		 country[3];
	char		 received_at[HLX_TIMESTAMP_MAX + 1];
	char		 state[32];			/* "" none yet */
	char		 state_at[HLX_TIMESTAMP_MAX + 1];
	char		 closed_reason[HLX_TEXT_MAX * 4 + 1];
	int64_t		 reroutes;
	int		 test;
	char		 record_sha256[65];
	/* its hand-off, when it has one */
	char		 handoff_kind[16];		/* "" none */
	char		 handoff_state[16];
	char		 handoff_file[16];		/* pending, written */
	char		 deadline_at[HLX_TIMESTAMP_MAX + 1];
	unsigned	 revision;
	/* its Referral to the partner */
	int		 delivered;		/* delivered at least once */
	int		 undelivered;		/* messages not yet delivered */
};

/* By our name for it: the case_id we submitted, or our number for a case
 * a partner referred.  STORE_NOTFOUND when there is none. */
int	store_case_find(struct store *, const char *self, const char *case_id,
	    struct store_case *out, struct store_err *);
int	store_case_get(struct store *, int64_t hcase, struct store_case *out,
	    struct store_err *);
/* The case's record (JSON, malloc'd; as submitted, with internal). */
int	store_case_record(struct store *, int64_t hcase, char **out,
	    struct store_err *);
/* The version the next message about hcase to peer gets. */
int	store_case_next_version(struct store *, int64_t hcase,
	    const char *peer, unsigned *version, struct store_err *);

/* A message about the case to peer, its exact bytes fixed now: queued,
 * numbered (case_version), audited. */
struct store_followup {
	int64_t		 hcase;
	const char	*case_id;
	const char	*peer;
	const char	*type;		/* Assessment, StatusUpdate, ... */
	unsigned	 version;
	const char	*message_id;
	const char	*body;
	size_t		 len;
	int		 test;
	time_t		 now;
};
int	store_case_queue(struct store *, const struct store_followup *,
	    struct store_err *);

/* A cancelled Referral of a withdrawn case came back delivered: queues
 * the Withdraw that tells the partner (nothing when the case is not
 * withdrawn). */
int	store_case_withdraw_late(struct store *, int64_t hcase,
	    const char *peer, time_t now, struct store_err *);
/* A new record for one of our cases (hlx case amend). */
int	store_case_set_record(struct store *, int64_t hcase,
	    const char *record, const char *sha256, struct store_err *);

/* A state in the case's history. */
struct store_state {
	const char	*state;
	const char	*state_at;
	int		 peer_sent;	/* from the other party, else ours */
	const char	*peer;		/* sender, or recipient of ours */
	const char	*message_id;	/* the StatusUpdate; NULL none */
	uint32_t	 version;
	const char	*observed_by;	/* NULL: absent */
	const char	*reason;
	const char	*content_urls;	/* JSON array; NULL: whole case */
	int		 force;		/* apply whatever its time (closing) */
	int		 test;		/* a test message about a real case:
					 * recorded, never applied */
	time_t		 now;
};
/*
 * Records st and applies it when the state table allows it after the
 * case's state and it is newer (lifecycle_newer); *applied says which.  A
 * closed state closes the case (closed_reason: the reason, else
 * "closed").  Audited when applied.
 */
int	store_case_state(struct store *, const struct store_case *,
	    const struct store_state *, int *applied, struct store_err *);
/* The hand-off acknowledged (no longer overdue); the file is not
 * rewritten: the case system itself said so. */
int	store_handoff_ack(struct store *, const struct store_case *, time_t now,
	    struct store_err *);
/*
 * The hand-off file replaced: the next revision with state (withdrawn,
 * amended), the items named in remove[] taken out; pending, so that the
 * caller writes it after the commit (*ho, document malloc'd).  doc: a
 * whole new document instead (its revision and state already set).
 */
int	store_handoff_revise(struct store *, const struct store_case *,
	    const char *state, const char *const *remove, size_t nremove,
	    const char *doc, time_t now, struct store_handoff *ho,
	    struct store_err *);
/* Cancels the case's undelivered messages (to peer; NULL: to anyone);
 * *n of them. */
int	store_case_cancel(struct store *, const struct store_case *,
	    const char *peer, const char *why, int64_t *n, struct store_err *);
/*
 * How many of the case's items -- those of its hand-off document, else of
 * its record -- are not among named[] (ContentUrls): 0 means a Withdraw
 * naming them takes out every item, which is the whole case (issue 13).
 * SIZE_MAX when the case has no readable list of items.
 */
int	store_case_items_left(struct store *, const struct store_case *,
	    const char *const *named, size_t nnamed, size_t *left,
	    struct store_err *);
/* The bytes of the Withdraws of hcase queued for peer (not cancelled)
 * since the latest Referral to it: the items it was told to take out.
 * malloc'd, freed by store_body_free. */
struct store_body {
	char		*body;
	size_t		 len;
};
int	store_case_withdraws(struct store *, int64_t hcase, const char *peer,
	    struct store_body **out, size_t *n, struct store_err *);
void	store_body_free(struct store_body *, size_t n);

/* The feed for the case system (`hlx events`): kinds below; data JSON. */
#define EVENT_REFERRAL		"referral_received"
#define EVENT_AMENDMENT		"amendment_received"
#define EVENT_ASSESSMENT	"assessment_received"
#define EVENT_STATUS		"status_received"
#define EVENT_WITHDRAW		"withdraw_received"
#define EVENT_REROUTE		"reroute_received"
#define EVENT_DELIVERED		"delivered"
#define EVENT_DEAD		"dead"

/* Appends an event; data is a JSON object (text), NULL for none. */
int	store_event(struct store *, const char *kind, int64_t hcase,
	    const char *peer, const char *message_id, const char *data,
	    time_t now, struct store_err *);

struct store_event_row {
	int64_t		 cursor;
	time_t		 at;
	const char	*kind;
	const char	*case_id;	/* our name for it */
	const char	*peer;
	const char	*message_id;
	const char	*data;		/* JSON object, or NULL */
};

struct store_event_list {
	struct arena	*arena;
	struct store_event_row *rows;
	size_t		 n;
};

/* Events after cursor since (0: from the first), at most max. */
int	store_events(struct store *, int64_t since, size_t max,
	    struct store_event_list *out, struct store_err *);
void	store_event_list_free(struct store_event_list *);

/* The timeline of `hlx case show`: every message in and out, and the
 * states our case system recorded without a message. */
struct store_timeline_row {
	time_t		 at;
	const char	*dir;		/* in, out, local */
	const char	*type;		/* message type, or "state" */
	const char	*peer;
	const char	*message_id;
	int64_t		 version;
	const char	*result;	/* out: outbox state; in: accepted */
	const char	*state;		/* a StatusUpdate's or a local state */
	const char	*state_at;
	int		 applied;	/* -1: no state */
	time_t		 delivered_at;
	int64_t		 last_status;
	const char	*last_code;
};

struct store_timeline {
	struct arena	*arena;
	struct store_timeline_row *rows;
	size_t		 n;
};

int	store_case_timeline(struct store *, int64_t hcase,
	    struct store_timeline *out, struct store_err *);
void	store_timeline_free(struct store_timeline *);

/* Statistics (operations.md §3 `hlx stats`; src/store_stats.c) ------ */

/* Seconds; n 0: nothing measured (median and p90 then 0). */
struct store_duration {
	int64_t		 n;
	int64_t		 median;	/* nearest rank */
	int64_t		 p90;
};

struct store_stats_partner {
	const char	*peer;
	int64_t		 sent;		/* routed to it: queued .. dead */
	int64_t		 delivered;
	int64_t		 dead;
	int64_t		 removals;	/* our cases it confirmed removed */
	struct store_duration to_removal;	/* our Referral delivered ->
						 * its content_removed StateAt */
	struct store_duration to_lea;	/* its Referral received -> our
					 * forwarded_to_lea StateAt */
};

struct store_stats_country {
	const char	*country;
	int64_t		 n;
};

struct store_stats_year {
	int		 year;
	int64_t		 submitted;	/* our cases */
	int64_t		 illegal;	/* any item baseline or illegal */
	int64_t		 domestic;	/* hosted in our own countries */
	struct store_stats_country *abroad;	/* by country, sorted */
	size_t		 nabroad;
	int64_t		 received;	/* referrals from partners */
	struct store_stats_partner *partners;	/* by peer id, sorted */
	size_t		 npartners;
};

struct store_stats {
	struct arena	*arena;
	struct store_stats_year *years;		/* ascending */
	size_t		 n;
};

/* Per calendar year (UTC) of the cases' received_at; test messages and
 * cases are counted nowhere.  year 0: every year that has a case; else
 * that year alone, even when empty. */
int	store_stats(struct store *, int year, struct store_stats *out,
	    struct store_err *);
void	store_stats_free(struct store_stats *);

#endif /* HLX_STORE_H */
