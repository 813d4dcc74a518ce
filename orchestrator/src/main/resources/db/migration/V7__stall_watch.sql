-- Stall watch: a stall's reason while one lasts and since when; the appliers' last error; the apply rate
-- (applied changes per second over the last window of at least 5 s, and where that window began).
ALTER TABLE migration ADD COLUMN stalled          TEXT;
ALTER TABLE migration ADD COLUMN stalled_since    TIMESTAMPTZ;
ALTER TABLE migration ADD COLUMN apply_error      TEXT;
ALTER TABLE migration ADD COLUMN rate_at          TIMESTAMPTZ;
ALTER TABLE migration ADD COLUMN rate_applied     BIGINT;
ALTER TABLE migration ADD COLUMN apply_rate       DOUBLE PRECISION;
