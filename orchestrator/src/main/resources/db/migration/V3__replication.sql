-- Change capture and replication counters.
ALTER TABLE migration ADD COLUMN capture_started_at     TIMESTAMPTZ;
ALTER TABLE migration ADD COLUMN source_notify_previous VARCHAR(100);  -- notify-keyspace-events before dfmigrate set it
ALTER TABLE migration ADD COLUMN changes_captured       BIGINT NOT NULL DEFAULT 0;
ALTER TABLE migration ADD COLUMN changes_applied        BIGINT NOT NULL DEFAULT 0;
ALTER TABLE migration ADD COLUMN lag_millis             BIGINT;
-- Cutover: null (none), PAUSING, DRAINING, VERIFYING, DONE, MISMATCH.
ALTER TABLE migration ADD COLUMN cutover_state          VARCHAR(20);
ALTER TABLE migration ADD COLUMN cutover_captured       BIGINT;
ALTER TABLE migration ADD COLUMN cutover_pause_millis   BIGINT;
ALTER TABLE migration ADD COLUMN cutover_detail         TEXT;

-- Keys the copy wrote by type (big keys, DUMP payloads the target refused).
ALTER TABLE migration ADD COLUMN keys_structural BIGINT NOT NULL DEFAULT 0;

-- Reconciliation: a rescan of source and target after capture may have missed changes.
ALTER TABLE migration ADD COLUMN reconcile_pass          INTEGER NOT NULL DEFAULT 0;
ALTER TABLE migration ADD COLUMN reconciling             BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE migration ADD COLUMN reconcile_batches_total BIGINT;
ALTER TABLE migration ADD COLUMN reconcile_batches_done  BIGINT NOT NULL DEFAULT 0;
