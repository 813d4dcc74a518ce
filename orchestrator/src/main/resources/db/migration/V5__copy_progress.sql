-- Live copy progress: per copier instance, its latest dfm.status.copy.progress.v1 totals for the current run (JSON).
ALTER TABLE migration ADD COLUMN copy_live TEXT;
