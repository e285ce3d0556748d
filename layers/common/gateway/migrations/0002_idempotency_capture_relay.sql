-- Idempotency records keep the exact reply; in-flight requests are tracked by advisory locks,
-- so a crashed request leaves nothing behind that could block its key.
ALTER TABLE idempotency_keys
    DROP COLUMN response,
    ADD COLUMN request_method      varchar(10) NOT NULL,
    ADD COLUMN request_path        text        NOT NULL,
    ADD COLUMN request_fingerprint char(64)    NOT NULL,
    ADD COLUMN response_status     integer     NOT NULL,
    ADD COLUMN response_body       text        NOT NULL;
CREATE INDEX idempotency_keys_expires_idx ON idempotency_keys (expires_at);

ALTER TABLE payments
    ADD COLUMN captured_at timestamptz,
    -- When the relay last re-enqueued a stuck payment (spaces out re-enqueues).
    ADD COLUMN requeued_at timestamptz,
    ADD CHECK (NOT captured OR (status = 'success' AND captured_at IS NOT NULL));

CREATE INDEX payments_merchant_order_idx ON payments (merchant_id, order_id);
CREATE INDEX orders_merchant_status_created_idx ON orders (merchant_id, status, created_at DESC, id DESC);
CREATE INDEX payments_merchant_status_created_idx ON payments (merchant_id, status, created_at DESC, id DESC);
