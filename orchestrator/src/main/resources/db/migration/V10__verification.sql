-- Verification (POST /api/migrations/{id}/verify): the latest one of the current run, on the migration row.
ALTER TABLE migration ADD COLUMN verify_number INTEGER NOT NULL DEFAULT 0;
ALTER TABLE migration ADD COLUMN verify_state VARCHAR(16);           -- RUNNING, DONE, FAILED; null: none yet
ALTER TABLE migration ADD COLUMN verify_request TEXT;                -- JSON: mode, sample, dbs, keyPattern, ttlToleranceMillis
ALTER TABLE migration ADD COLUMN verify_actor VARCHAR(200);
ALTER TABLE migration ADD COLUMN verify_keys_total BIGINT;           -- estimate from the scan's start
ALTER TABLE migration ADD COLUMN verify_batches_total BIGINT;        -- known when the scan is done
ALTER TABLE migration ADD COLUMN verify_batches_done BIGINT NOT NULL DEFAULT 0;
ALTER TABLE migration ADD COLUMN verify_keys_checked BIGINT NOT NULL DEFAULT 0;
ALTER TABLE migration ADD COLUMN verify_keys_differing BIGINT NOT NULL DEFAULT 0;
ALTER TABLE migration ADD COLUMN verify_reasons TEXT;                -- JSON: reason -> count
ALTER TABLE migration ADD COLUMN verify_error TEXT;
ALTER TABLE migration ADD COLUMN verify_started_at TIMESTAMPTZ;
ALTER TABLE migration ADD COLUMN verify_ended_at TIMESTAMPTZ;
ALTER TABLE migration ADD COLUMN verify_report_at TIMESTAMPTZ;       -- the last report of a verifier

-- Every differing key of the latest verification (up to dfm.orchestrator.verify-max-stored-differences), in report order.
CREATE TABLE verification_diff (
    id             BIGSERIAL    PRIMARY KEY,
    migration_id   UUID         NOT NULL REFERENCES migration (id) ON DELETE CASCADE,
    verify_number  INTEGER      NOT NULL,
    db             INTEGER      NOT NULL,
    key_bytes      BYTEA        NOT NULL,
    reason         VARCHAR(32)  NOT NULL,
    source_type    VARCHAR(32),
    source_ttl     BIGINT,
    source_length  BIGINT,
    target_type    VARCHAR(32),
    target_ttl     BIGINT,
    target_length  BIGINT
);
CREATE INDEX verification_diff_page ON verification_diff (migration_id, verify_number, id);
