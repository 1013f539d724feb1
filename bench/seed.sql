-- seed.sql -- fills a store with :n received Referrals for `make bench`
-- (bench/run.sh, item 6: hlxd's memory with 1,000,000 messages stored).
--
-- Run by the sqlite3 shell on a store that hlx has created (schema version
-- 2, peers registered), with the store of an earlier bench run attached as
-- src: every seeded message is a copy of the first message hlxd really
-- received there -- the same rows in hcase, case_version, inbox, handoff
-- and event that ingest writes (schemas/store.sql, store-2.sql), with its
-- own case number (SEED-i), our number (IN-2024-... and IN-2025-..., at
-- most 999,999 a year), MessageId (5eed0000-0000-4000-8000-i in hex) and
-- the same replaced inside the body, the record, the hand-off document and
-- the event.  Hand-offs are marked written (the files themselves are not
-- made: hlxd never reads a written one).  The audit trail is not seeded:
-- its entries are chained by HMAC under a key that SQL does not have, and
-- hlxd reads only its tip.
--
--   sqlite3 STORE -cmd ".parameter set :n 1000000" \
--       -cmd "ATTACH 'SRC' AS src" < bench/seed.sql

PRAGMA main.journal_mode = OFF;
PRAGMA main.synchronous = OFF;
PRAGMA main.cache_size = -262144;

BEGIN;

CREATE TEMP TABLE tm AS
SELECT i.peer AS peer, i.message_id AS mid, i.type AS type,
       i.version AS version, CAST(i.body AS TEXT) AS body,
       i.body_sha256 AS body_sha256, i.received_at AS i_received_at,
       c.issuer AS issuer, c.number AS number, c.our_number AS our_number,
       c.partner AS partner, c.country AS country, c.record AS record,
       c.received_at AS c_received_at, c.state AS state,
       c.state_at AS state_at, c.created_at AS created_at,
       h.kind AS kind, h.revision AS revision, h.state AS h_state,
       h.deadline_at AS deadline_at, h.document AS document,
       h.updated_at AS updated_at,
       e.at AS e_at, e.kind AS e_kind, e.data AS e_data
FROM src.inbox i
JOIN src.hcase c ON c.id = i.hcase
JOIN src.handoff h ON h.hcase = c.id
JOIN src.event e ON e.hcase = c.id AND e.message_id = i.message_id
WHERE i.id = (SELECT min(id) FROM src.inbox WHERE type = 'Referral');

CREATE TEMP TABLE s AS
WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < :n)
SELECT i,
       'SEED-' || i AS number,
       printf('IN-%d-%06d', 2024 + (i - 1) / 500000,
           (i - 1) % 500000 + 1) AS our_number,
       printf('5eed0000-0000-4000-8000-%012x', i) AS mid
FROM k;

INSERT INTO hcase (id, issuer, number, origin, our_number, partner,
    country, record, received_at, state, state_at, created_at)
SELECT s.i, tm.issuer, s.number, 'received', s.our_number, tm.partner,
       tm.country, replace(tm.record, tm.our_number, s.our_number),
       tm.c_received_at, tm.state, tm.state_at, tm.created_at
FROM s, tm;

INSERT INTO case_version (hcase, peer, direction, last_version, gaps)
SELECT s.i, tm.peer, 'in', tm.version, 0 FROM s, tm;

INSERT INTO inbox (id, peer, message_id, hcase, type, version, body,
    body_sha256, received_at, test)
SELECT s.i, tm.peer, s.mid, s.i, tm.type, tm.version,
       CAST(replace(replace(tm.body, tm.mid, s.mid),
           '>' || tm.number || '</CaseRef>',
           '>' || s.number || '</CaseRef>') AS BLOB),
       tm.body_sha256, tm.i_received_at, 0
FROM s, tm;

INSERT INTO handoff (hcase, kind, revision, state, file_state, deadline_at,
    document, updated_at)
SELECT s.i, tm.kind, tm.revision, tm.h_state, 'written', tm.deadline_at,
       replace(replace(replace(tm.document, tm.our_number, s.our_number),
           tm.mid, s.mid), '"' || tm.number || '"', '"' || s.number || '"'),
       tm.updated_at
FROM s, tm;

INSERT INTO event (at, kind, hcase, peer, message_id, data)
SELECT tm.e_at, tm.e_kind, s.i, tm.peer, s.mid,
       replace(tm.e_data, '"' || tm.number || '"', '"' || s.number || '"')
FROM s, tm;

-- Our numbers go on from the seeded ones in their years.
INSERT INTO case_sequence (year, last)
SELECT 2024 + (i - 1) / 500000, max((i - 1) % 500000 + 1) FROM s GROUP BY 1
ON CONFLICT (year) DO UPDATE SET last = max(last, excluded.last);

COMMIT;

PRAGMA main.journal_mode = WAL;
SELECT 'seeded=' || (SELECT count(*) FROM inbox) || ' bytes=' ||
       (SELECT page_count * page_size FROM pragma_page_count(),
           pragma_page_size());
