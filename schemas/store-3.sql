-- store-3.sql -- schema version 3.
--
-- Applied by src/store.c after store-2.sql (version 2), to new and old
-- stores alike.

-- Issue 13 item 5: a pin outlives its certificate.  Whoever holds a
-- partner's key can mint a new certificate over it with any dates, so the
-- presented certificate's own dates prove nothing about how long the
-- operator meant to trust the key.  expires_at is when the pin stops
-- authenticating, whatever the peer presents: the notAfter of the
-- certificate it was registered from (`peer add|rotate --cert`), or what
-- the operator gave with `--pin PIN --expires DATE`; NULL for a bare pin
-- given without --expires ("no known expiry" in `hlx cert check`).
-- Pins registered from a certificate before this version take that
-- certificate's notAfter: from now on they expire with it.
ALTER TABLE pin ADD COLUMN expires_at INTEGER;
UPDATE pin SET expires_at = not_after WHERE not_after IS NOT NULL;

-- Issue 13 item 1: /healthz answers 503 when a hand-off has waited for its
-- file for a minute.  updated_at cannot tell how long: every new revision
-- (an amendment a minute) resets it while the directory stays unusable.
-- pending_since is when the file last became due: set when file_state
-- turns pending, kept through later revisions, NULL once written.
ALTER TABLE handoff ADD COLUMN pending_since INTEGER;
UPDATE handoff SET pending_since = updated_at WHERE file_state = 'pending';
