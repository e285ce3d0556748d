-- Webhook retries: a stable event id (the `webhook-id` receivers dedupe on), every attempt kept,
-- and when the relay last re-enqueued a retry whose message or schedule was lost.
ALTER TABLE webhook_logs
    ADD COLUMN event_id    varchar(64),
    ADD COLUMN requeued_at timestamptz;
UPDATE webhook_logs SET event_id = 'evt_' || replace(id::text, '-', '') WHERE event_id IS NULL;
ALTER TABLE webhook_logs
    ALTER COLUMN event_id SET NOT NULL,
    ADD CONSTRAINT webhook_logs_event_id_key UNIQUE (event_id),
    ADD CONSTRAINT webhook_logs_attempts_max CHECK (attempts <= 5);
CREATE INDEX webhook_logs_pending_due_idx ON webhook_logs (next_retry_at) WHERE status = 'pending';
CREATE INDEX webhook_logs_merchant_event_idx ON webhook_logs (merchant_id, event, created_at DESC);

CREATE TABLE webhook_attempts (
    id              bigserial PRIMARY KEY,
    webhook_log_id  uuid        NOT NULL REFERENCES webhook_logs (id) ON DELETE CASCADE,
    attempted_at    timestamptz NOT NULL DEFAULT now(),
    response_code   integer,
    latency_ms      integer     NOT NULL,
    error           text,
    response_body   text
);
CREATE INDEX webhook_attempts_log_idx ON webhook_attempts (webhook_log_id, id);
