-- A merchant whose endpoint failed its last delivery has its deliveries sent through the slow lane
-- (its own queue and consumers) until one succeeds, so a dead or slow endpoint cannot hold up other
-- merchants' webhooks. Set on a failed attempt, cleared on a successful one or a new URL.
ALTER TABLE merchants ADD COLUMN webhook_failing_since timestamptz;
ALTER TABLE outbox DROP CONSTRAINT outbox_queue_check,
                   ADD CONSTRAINT outbox_queue_check CHECK (queue IN ('payments', 'refunds', 'webhooks', 'webhooks_slow'));
