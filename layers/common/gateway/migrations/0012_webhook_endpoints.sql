-- Several webhook endpoints per merchant, each with its own URL, secret and event filter (Stripe,
-- Svix). The merchant's own webhook_url stays its default endpoint (every event). A delivery
-- names its endpoint (NULL: the default one); an endpoint failing sends its own deliveries, not
-- the merchant's others, through the slow lane. Deleted endpoints are kept (deleted_at) so their
-- delivery log still names them; their pending deliveries are skipped.
CREATE TABLE webhook_endpoints (
    id             varchar(64)  PRIMARY KEY,
    merchant_id    uuid         NOT NULL REFERENCES merchants (id),
    url            text         NOT NULL,
    secret         varchar(100) NOT NULL,
    enabled_events text[]       NOT NULL DEFAULT '{*}',
    description    varchar(256),
    disabled       boolean      NOT NULL DEFAULT false,
    failing_since  timestamptz,
    deleted_at     timestamptz,
    created_at     timestamptz  NOT NULL DEFAULT now(),
    updated_at     timestamptz  NOT NULL DEFAULT now()
);
CREATE INDEX webhook_endpoints_merchant_idx ON webhook_endpoints (merchant_id, created_at) WHERE deleted_at IS NULL;

ALTER TABLE webhook_logs ADD COLUMN endpoint_id varchar(64) REFERENCES webhook_endpoints (id);
CREATE INDEX webhook_logs_endpoint_idx ON webhook_logs (endpoint_id, created_at DESC) WHERE endpoint_id IS NOT NULL;
