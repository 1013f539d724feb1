-- store.sql -- the gateway's durable memory: schema version 1.
--
-- One SQLite database (operations.md §1 [storage] path), opened only by
-- src/store*.c: no other module issues SQL.  WAL mode, synchronous=FULL,
-- foreign_keys=ON and a busy timeout are set on every connection by
-- store.c; writers use BEGIN IMMEDIATE so that hlx and hlxd can share the
-- file.  PRAGMA user_version holds the schema version; store.c applies the
-- forward migrations and refuses a store newer than the program.
--
-- Conventions: times are integer seconds since the epoch (UTC) unless the
-- column holds a protocol timestamp, which is kept as the text received
-- (protocol.md §2.1: "kept as received").  Nothing is ever deleted that an
-- operator or an auditor may need: peers are tombstoned, messages keep
-- their exact bytes and every attempt.

-- Partners (protocol.md §1, §5; operations.md §3 "hlx peer ...").
CREATE TABLE peer (
	id		TEXT PRIMARY KEY,	-- hotline id, e.g. hotline-nl.example
	url		TEXT NOT NULL,		-- base URL, https://host[:port][/prefix]
	enabled		INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
	created_at	INTEGER NOT NULL,
	removed_at	INTEGER,		-- tombstone: history stays, the peer is gone
	-- what delivery learns, for `peer list` and the metrics
	last_success_at	INTEGER,
	last_error_at	INTEGER,
	last_error	TEXT,
	-- the peer's Capabilities (protocol.md §4: on first contact, daily)
	cap_versions	TEXT,			-- space-separated, e.g. "1.0"
	cap_max_bytes	INTEGER,
	cap_max_items	INTEGER,
	cap_fetched_at	INTEGER
);

-- The countries a peer is accepted as a sender for (several peers may share
-- a country).
CREATE TABLE peer_country (
	peer		TEXT NOT NULL REFERENCES peer(id),
	country		TEXT NOT NULL,
	PRIMARY KEY (peer, country)
);
CREATE INDEX peer_country_by_country ON peer_country(country);

-- One route per country: where a Referral for content hosted there goes.
-- country '*' is the default route (typically a network secretariat).
CREATE TABLE route (
	country		TEXT PRIMARY KEY,
	peer		TEXT NOT NULL REFERENCES peer(id)
);

-- SPKI pins (protocol.md §1).  A pin belongs to one peer only, forever:
-- retired pins stay as history and can never authenticate another peer.
CREATE TABLE pin (
	pin		TEXT PRIMARY KEY,	-- sha256//BASE64
	peer		TEXT NOT NULL REFERENCES peer(id),
	subject		TEXT,			-- when added from a certificate
	not_before	INTEGER,
	not_after	INTEGER,
	added_at	INTEGER NOT NULL,
	retired_at	INTEGER			-- NULL while the pin is valid
);
CREATE INDEX pin_by_peer ON pin(peer);

-- Cases: ours (referred abroad or domestic) and those partners referred to
-- us.  A case is named by its issuer and the issuer's number (CaseRef).
CREATE TABLE hcase (
	id		INTEGER PRIMARY KEY,
	issuer		TEXT NOT NULL,		-- CaseRef/@issuer
	number		TEXT NOT NULL,		-- CaseRef text
	origin		TEXT NOT NULL CHECK (origin IN ('ours', 'received')),
	our_number	TEXT UNIQUE,		-- our number for a received case (case_prefix...)
	partner		TEXT REFERENCES peer(id),	-- the other party, when there is one
	partner_number	TEXT,			-- PartnerCaseRef from the other party
	country		TEXT NOT NULL,		-- Hosting/Country
	record		TEXT,			-- the case record (JSON) as submitted or received
	record_sha256	TEXT,			-- for idempotent re-submission
	received_at	TEXT NOT NULL,		-- the record's received_at (statistics)
	state		TEXT,			-- protocol.md State, or NULL
	state_at	TEXT,
	closed_reason	TEXT,
	reroutes	INTEGER NOT NULL DEFAULT 0,
	test		INTEGER NOT NULL DEFAULT 0,
	created_at	INTEGER NOT NULL,
	UNIQUE (issuer, number)
);

-- Version counters (protocol.md §2.2): per case, per peer, per direction.
CREATE TABLE case_version (
	hcase		INTEGER NOT NULL REFERENCES hcase(id),
	peer		TEXT NOT NULL REFERENCES peer(id),
	direction	TEXT NOT NULL CHECK (direction IN ('in', 'out')),
	last_version	INTEGER NOT NULL,
	gaps		INTEGER NOT NULL DEFAULT 0,	-- versions skipped by the sender
	PRIMARY KEY (hcase, peer, direction)
);

-- Messages we send, with the exact bytes fixed when routed (protocol.md §4).
CREATE TABLE outbox (
	id		INTEGER PRIMARY KEY,
	message_id	TEXT UNIQUE,		-- NULL while unroutable
	hcase		INTEGER REFERENCES hcase(id),
	peer		TEXT REFERENCES peer(id),	-- NULL while unroutable
	type		TEXT NOT NULL,		-- Referral, Assessment, ...
	version		INTEGER,
	body		BLOB,			-- exact bytes sent on every attempt
	state		TEXT NOT NULL CHECK (state IN ('queued', 'retrying',
			    'delivered', 'dead', 'unroutable', 'cancelled')),
	created_at	INTEGER NOT NULL,
	next_attempt_at	INTEGER,
	attempts	INTEGER NOT NULL DEFAULT 0,
	delivered_at	INTEGER,
	last_status	INTEGER,		-- HTTP status of the last answer
	last_code	TEXT,			-- Error/Code of the last answer
	last_detail	TEXT,
	test		INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX outbox_by_state ON outbox(state, next_attempt_at);
CREATE INDEX outbox_by_peer ON outbox(peer, state);

-- Every delivery attempt and what came back.
CREATE TABLE attempt (
	id		INTEGER PRIMARY KEY,
	outbox		INTEGER NOT NULL REFERENCES outbox(id),
	started_at	INTEGER NOT NULL,
	finished_at	INTEGER,
	outcome		TEXT,			-- delivered, retry, dead
	http_status	INTEGER,
	code		TEXT,
	detail		TEXT,
	answer		BLOB			-- the answer's bytes, bounded
);
CREATE INDEX attempt_by_outbox ON attempt(outbox);

-- Messages partners sent us and we answered 202 (protocol.md §3).
CREATE TABLE inbox (
	id		INTEGER PRIMARY KEY,
	peer		TEXT NOT NULL REFERENCES peer(id),
	message_id	TEXT NOT NULL,
	hcase		INTEGER REFERENCES hcase(id),
	type		TEXT NOT NULL,
	version		INTEGER,
	body		BLOB NOT NULL,		-- exact bytes received
	body_sha256	TEXT NOT NULL,		-- same bytes -> duplicate, else 409
	received_at	TEXT NOT NULL,		-- Receipt/ReceivedAt
	test		INTEGER NOT NULL DEFAULT 0,
	UNIQUE (peer, message_id)
);

-- Hand-off files for the case system (operations.md §4, case-record.md).
-- file_state 'pending' = committed, file not yet written; hlxd rewrites
-- every pending hand-off at start-up before it listens.
CREATE TABLE handoff (
	hcase		INTEGER PRIMARY KEY REFERENCES hcase(id),
	kind		TEXT NOT NULL CHECK (kind IN ('referral', 'domestic')),
	revision	INTEGER NOT NULL,
	state		TEXT NOT NULL CHECK (state IN ('new', 'acknowledged',
			    'withdrawn', 'amended')),
	file_state	TEXT NOT NULL CHECK (file_state IN ('pending', 'written')),
	deadline_at	TEXT NOT NULL,
	document	TEXT NOT NULL,		-- the JSON written to the file
	updated_at	INTEGER NOT NULL
);

-- The feed for the case system (`hlx events`): the id is the cursor.
CREATE TABLE event (
	id		INTEGER PRIMARY KEY AUTOINCREMENT,
	at		INTEGER NOT NULL,
	kind		TEXT NOT NULL,
	hcase		INTEGER REFERENCES hcase(id),
	peer		TEXT,
	message_id	TEXT,
	data		TEXT			-- JSON
);

-- The audit trail (operations.md §5).  Each entry's mac is
-- HMAC-SHA256(audit_key, previous mac || encoding of the entry), see
-- src/audit.c; seq counts from 1 without gaps.  audit_tip holds the last
-- mac and the count, so that deleting the last entries is detected too.
CREATE TABLE audit (
	seq		INTEGER PRIMARY KEY,
	at		INTEGER NOT NULL,
	actor		TEXT NOT NULL,		-- hlxd, or the Unix user who ran hlx
	event		TEXT NOT NULL,
	peer		TEXT,
	hcase		TEXT,			-- issuer/number, or our number
	message_id	TEXT,
	pin		TEXT,
	detail		TEXT,
	mac		BLOB NOT NULL
);
CREATE INDEX audit_by_peer ON audit(peer);
CREATE INDEX audit_by_case ON audit(hcase);

CREATE TABLE audit_tip (
	id		INTEGER PRIMARY KEY CHECK (id = 1),
	count		INTEGER NOT NULL,
	mac		BLOB NOT NULL
);

-- Our own sequence of received-case numbers, per year (case_prefix +
-- year + "-" + six digits).
CREATE TABLE case_sequence (
	year		INTEGER PRIMARY KEY,
	last		INTEGER NOT NULL
);
