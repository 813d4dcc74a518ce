-- The last run whose temporary keys (dfm:tmp:<migration>:<run>:*, big keys being built) were swept from the target
-- after it ended; null: none yet.
ALTER TABLE migration ADD COLUMN tmp_swept_run INTEGER;
