-- Target write guard (options.guardTarget): status NONE/null, APPLYING, ACTIVE, LIFTING, LIFTING_FOR_CUTOVER, LIFTED.
-- guard_sealed holds the guard user's password and every guarded user's original command rules, sealed (AES-GCM);
-- it stays until the guard is lifted, so a crash at any point can still give the users their rules back.
ALTER TABLE migration ADD COLUMN guard_status        VARCHAR(30);
ALTER TABLE migration ADD COLUMN guard_sealed        TEXT;
ALTER TABLE migration ADD COLUMN guard_target_uri    VARCHAR(2100);
ALTER TABLE migration ADD COLUMN guard_target_sealed TEXT;
ALTER TABLE migration ADD COLUMN guard_detail        TEXT;
