-- The copy a copier took for the current run (scan or snapshot: options.copyMode, or what copyMode auto chose) and why,
-- from dfm.status.copy.scan-started.v1.
ALTER TABLE migration ADD COLUMN copy_mode TEXT;
ALTER TABLE migration ADD COLUMN copy_mode_reason TEXT;
