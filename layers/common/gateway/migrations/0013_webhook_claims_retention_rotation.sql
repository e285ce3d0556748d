-- Webhook posts run with no transaction open: a consumer claims a delivery (a token and a lease,
-- committed), posts, and records the attempt only if its claim is still current. A duplicate
-- message finds the delivery claimed and posts nothing; a crashed consumer's claim expires.
ALTER TABLE webhook_logs
    ADD COLUMN delivery_claim   uuid,
    ADD COLUMN delivering_until timestamptz;

-- Retention (the relay purges in bounded batches): sent outbox rows after 7 days; final deliveries
-- and their attempts 30 days after their last activity, like events.
CREATE INDEX outbox_sent_idx ON outbox (sent_at) WHERE sent_at IS NOT NULL;
CREATE INDEX webhook_logs_final_idx ON webhook_logs ((coalesce(last_attempt_at, created_at)))
    WHERE status <> 'pending';

-- Secret rotation with a grace period: the previous secret also signs deliveries until it expires,
-- so a merchant can roll its receivers without dropping events (Standard Webhooks allows several
-- signatures in `webhook-signature`).
ALTER TABLE merchants
    ADD COLUMN webhook_secret_previous       varchar(100),
    ADD COLUMN webhook_secret_previous_until timestamptz;
ALTER TABLE webhook_endpoints
    ADD COLUMN secret_previous       varchar(100),
    ADD COLUMN secret_previous_until timestamptz;
