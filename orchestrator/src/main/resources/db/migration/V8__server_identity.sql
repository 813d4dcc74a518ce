-- The servers a started migration works on, by INFO server run_id (null when the server could not be asked at start):
-- at most one live migration per target server and one capture per source server, whatever names point at them.
ALTER TABLE migration ADD COLUMN source_server VARCHAR(64);
ALTER TABLE migration ADD COLUMN target_server VARCHAR(64);
