-- store-2.sql -- schema version 2: the case lifecycle.
--
-- Applied by src/store.c after store.sql (version 1), to new and old
-- stores alike.  Nothing here rewrites a row of version 1.

-- Every state a case went through: recorded by our case system (`hlx case
-- update`, source 'local') or sent by the other party (StatusUpdate,
-- source 'peer'); applied or not.  A state is applied when it is newer
-- than the case's current one: by StateAt, then by version (protocol.md
-- §2.2-2.3), so that an older update never moves a case back.  hcase.state
-- and hcase.state_at hold the applied one.
CREATE TABLE case_state (
	id		INTEGER PRIMARY KEY,
	hcase		INTEGER NOT NULL REFERENCES hcase(id),
	state		TEXT NOT NULL,
	state_at	TEXT NOT NULL,		-- StateAt, kept as sent
	state_usec	INTEGER NOT NULL,	-- the same, for ordering
	source		TEXT NOT NULL CHECK (source IN ('local', 'peer')),
	peer		TEXT,			-- who sent it, or whom we sent it to
	message_id	TEXT,			-- the StatusUpdate, when there is one
	version		INTEGER NOT NULL DEFAULT 0,
	observed_by	TEXT,
	reason		TEXT,
	content_urls	TEXT,			-- JSON array; NULL: the whole case
	applied		INTEGER NOT NULL CHECK (applied IN (0, 1)),
	test		INTEGER NOT NULL DEFAULT 0,	-- from a test message
	recorded_at	INTEGER NOT NULL
);
CREATE INDEX case_state_by_case ON case_state(hcase, state);

CREATE INDEX event_by_case ON event(hcase);
CREATE INDEX outbox_by_case ON outbox(hcase);
CREATE INDEX inbox_by_case ON inbox(hcase);

-- When the case was closed (closed_reason says why: withdrawn, rerouted,
-- or the Reason of the StatusUpdate that closed it).
ALTER TABLE hcase ADD COLUMN closed_at INTEGER;

-- Found by the benchmarks (BENCHMARKS.md): the pending hand-offs without
-- scanning every hand-off (the writer asks after each batch), and the due
-- messages in order without sorting the outbox.
CREATE INDEX handoff_pending ON handoff(hcase) WHERE file_state = 'pending';
CREATE INDEX outbox_due ON outbox(next_attempt_at, id)
    WHERE state IN ('queued', 'retrying');
