-- Transactional outbox: events are written with the state change that causes them and relayed to Kafka after commit.
CREATE TABLE outbox (
    id         BIGSERIAL     PRIMARY KEY,
    topic      VARCHAR(200)  NOT NULL,
    msg_key    VARCHAR(300)  NOT NULL,
    event_id   VARCHAR(300)  NOT NULL,
    type       VARCHAR(100)  NOT NULL,
    payload    TEXT          NOT NULL,
    actor      VARCHAR(200),                -- CloudEvents extension 'actor' of audit records
    created_at TIMESTAMPTZ   NOT NULL
);

-- When the orchestrator last heard from a worker about this migration (any status event of the current run).
ALTER TABLE migration ADD COLUMN last_report_at TIMESTAMPTZ;
