-- Passwords given per ACL user for a target that takes no password hash (Dragonfly): a JSON object user → password,
-- sealed like the endpoints' credentials (SecretBox, role "user-passwords"); null when none was given.
ALTER TABLE migration ADD COLUMN user_passwords_sealed TEXT;
