-- API secrets are kept only as a SHA-256 hash (they are long and random: a fast hash cannot be
-- brute-forced, and a request's check costs microseconds, not Argon2's tens of milliseconds), with
-- their last four characters as a hint for the dashboard. A secret is shown once: on creation and on
-- rotation. Until every API container runs this release, old ones cannot authenticate.
ALTER TABLE merchants ADD COLUMN api_secret_hash text, ADD COLUMN api_secret_hint text;
UPDATE merchants SET api_secret_hash = encode(sha256(convert_to(api_secret, 'UTF8')), 'hex'),
                     api_secret_hint = right(api_secret, 4);
ALTER TABLE merchants ALTER COLUMN api_secret_hash SET NOT NULL,
                      ALTER COLUMN api_secret_hint SET NOT NULL,
                      ALTER COLUMN api_secret_hint SET DEFAULT '',
                      DROP COLUMN api_secret;
