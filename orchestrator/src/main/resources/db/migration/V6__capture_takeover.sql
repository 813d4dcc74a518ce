-- Capture takeover: which capture (id) on which replicator captures the run, when it last reported, a takeover asked for.
ALTER TABLE migration ADD COLUMN capture_id          VARCHAR(64);
ALTER TABLE migration ADD COLUMN capture_worker      VARCHAR(200);
ALTER TABLE migration ADD COLUMN capture_heard_at    TIMESTAMPTZ;
ALTER TABLE migration ADD COLUMN capture_takeover_at TIMESTAMPTZ;  -- first asked (null: no takeover pending)
ALTER TABLE migration ADD COLUMN capture_asked_at    TIMESTAMPTZ;  -- last asked (asked again every capture timeout)
ALTER TABLE migration ADD COLUMN capture_asks        INTEGER NOT NULL DEFAULT 0;
ALTER TABLE migration ADD COLUMN capture_takeovers   INTEGER NOT NULL DEFAULT 0;
-- Changes applied that the current capture saw (changes_captured counts that capture's too; the cutover drains on them).
ALTER TABLE migration ADD COLUMN capture_applied     BIGINT NOT NULL DEFAULT 0;
-- A capture gap seen during the copy: reconcile as soon as the copy is done.
ALTER TABLE migration ADD COLUMN capture_gap         TEXT;
