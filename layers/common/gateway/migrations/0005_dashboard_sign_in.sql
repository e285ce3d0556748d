-- Operators sign in to the dashboard with email and password; only an Argon2 hash is stored.
ALTER TABLE merchants ADD COLUMN password_hash text;
