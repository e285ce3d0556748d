-- Fair delivery capacity (README, "Per-endpoint isolation"; issue 25, item 13).
--
-- An endpoint that answers, but slowly (over a second), goes to the slow lane like a failing one,
-- until it answers fast again. The flag names the URL that was slow: a new URL starts in the fast
-- lane without anyone clearing it, and failing_since keeps meaning "its last delivery failed".
ALTER TABLE merchants ADD COLUMN webhook_slow_url text;
ALTER TABLE webhook_endpoints ADD COLUMN slow_url text;

-- Per-endpoint in-flight cap: the claims of an endpoint whose lease is running are counted at each
-- claim (only claimed rows carry delivering_until, so this index stays small), and its backlog
-- (pending deliveries) spreads the waits of the deliveries put off.
CREATE INDEX webhook_logs_claimed_endpoint_idx ON webhook_logs (merchant_id, (coalesce(endpoint_id, '')))
    WHERE delivering_until IS NOT NULL;
CREATE INDEX webhook_logs_pending_endpoint_idx ON webhook_logs (merchant_id, (coalesce(endpoint_id, '')))
    WHERE status = 'pending';

-- Redeliveries (POST /api/v1/events/{id}/redeliver, POST /api/v1/webhooks/{id}/retry) spend a
-- per-merchant token bucket of their own, kept beside the request budgets: kind 'resend', one
-- bucket per merchant whichever credential asked (its row says credential 'key').
ALTER TABLE rate_limit_buckets
    DROP CONSTRAINT rate_limit_buckets_kind_check,
    ADD CONSTRAINT rate_limit_buckets_kind_check CHECK (kind IN ('read', 'write', 'resend'));
