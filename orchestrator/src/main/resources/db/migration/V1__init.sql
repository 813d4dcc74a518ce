-- dfmigrate orchestrator schema, version 1
CREATE TABLE migration (
    id                UUID PRIMARY KEY,
    name              VARCHAR(200)  NOT NULL,
    state             VARCHAR(32)   NOT NULL,
    run               INTEGER       NOT NULL DEFAULT 0,
    source_uri        VARCHAR(2100) NOT NULL,  -- masked, for display
    source_sealed     TEXT          NOT NULL,  -- AES-GCM sealed full URI
    target_uri        VARCHAR(2100) NOT NULL,
    target_sealed     TEXT          NOT NULL,
    options           TEXT          NOT NULL,  -- JSON
    validation        TEXT,                    -- JSON list of checks of the last validation
    keys_total        BIGINT,
    keys_copied       BIGINT        NOT NULL DEFAULT 0,
    keys_failed       BIGINT        NOT NULL DEFAULT 0,
    keys_deleted      BIGINT        NOT NULL DEFAULT 0,
    bytes_copied      BIGINT        NOT NULL DEFAULT 0,
    batches_total     BIGINT,
    batches_done      BIGINT        NOT NULL DEFAULT 0,
    error             TEXT,
    created_at        TIMESTAMPTZ   NOT NULL,
    updated_at        TIMESTAMPTZ   NOT NULL,
    validated_at      TIMESTAMPTZ,
    copy_started_at   TIMESTAMPTZ,
    copy_finished_at  TIMESTAMPTZ,
    ended_at          TIMESTAMPTZ,
    version           BIGINT        NOT NULL DEFAULT 0
);
CREATE INDEX migration_created_at ON migration (created_at DESC);

-- Idempotency: a status event id is applied at most once.
CREATE TABLE processed_event (
    event_id     VARCHAR(300) PRIMARY KEY,
    migration_id UUID         NOT NULL,
    processed_at TIMESTAMPTZ  NOT NULL
);

CREATE TABLE audit_entry (
    id           BIGSERIAL    PRIMARY KEY,
    event_id     UUID         NOT NULL UNIQUE,
    migration_id UUID         NOT NULL,
    time         TIMESTAMPTZ  NOT NULL,
    type         VARCHAR(100) NOT NULL,
    actor        VARCHAR(200) NOT NULL,
    action       VARCHAR(50)  NOT NULL,
    from_state   VARCHAR(32),
    to_state     VARCHAR(32),
    detail       TEXT
);
CREATE INDEX audit_entry_migration ON audit_entry (migration_id, id);
