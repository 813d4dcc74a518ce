-- The target's own keys: with options.overwrite, the keys the target held when the migration first started (recorded
-- once, kept across restarts). They are not the source's, so the drift watch and the cutover leave the ones the source
-- does not have out of the target's key counts.
ALTER TABLE migration ADD COLUMN target_own_keys BIGINT;              -- null: not recorded (no start yet, or an empty target)
ALTER TABLE migration ADD COLUMN cutover_own_pending BOOLEAN NOT NULL DEFAULT FALSE; -- drained; the keeper counts them next
ALTER TABLE migration ADD COLUMN cutover_target_own TEXT;             -- JSON: db -> own keys without a TTL, sent with complete

CREATE TABLE target_own_key (
    id           BIGSERIAL PRIMARY KEY,
    migration_id UUID      NOT NULL REFERENCES migration (id) ON DELETE CASCADE,
    db           INTEGER   NOT NULL,
    key_bytes    BYTEA     NOT NULL
);
CREATE INDEX target_own_key_migration ON target_own_key (migration_id, db);
