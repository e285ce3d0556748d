-- Every business event is stored once, whether or not the merchant has a webhook endpoint
-- (GET /api/v1/events); a delivery (webhook_logs) names its event. Kept 30 days: the relay purges.
CREATE TABLE events (
    id          varchar(64) PRIMARY KEY,
    merchant_id uuid        NOT NULL REFERENCES merchants (id),
    type        varchar(50) NOT NULL,
    -- The exact bytes every delivery of this event signs and sends.
    payload     text        NOT NULL,
    payment_id  varchar(64),
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX events_merchant_created_idx ON events (merchant_id, created_at DESC, id DESC);
CREATE INDEX events_merchant_type_created_idx ON events (merchant_id, type, created_at DESC, id DESC);
CREATE INDEX events_created_idx ON events (created_at);

INSERT INTO events (id, merchant_id, type, payload, payment_id, created_at)
SELECT event_id, merchant_id, event, payload, payment_id, created_at
  FROM webhook_logs
 WHERE event <> 'webhook.test'
ON CONFLICT (id) DO NOTHING;

-- A redelivery is a new attempt series for the same event and webhook-id: an event may have several.
ALTER TABLE webhook_logs DROP CONSTRAINT webhook_logs_event_id_key;
CREATE INDEX webhook_logs_event_idx ON webhook_logs (event_id);
