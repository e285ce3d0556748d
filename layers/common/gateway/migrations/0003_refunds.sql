-- Refunds reserve their amount on the payment when created; the CHECK makes over-refunding
-- impossible whatever the application does.
ALTER TABLE payments
    ADD COLUMN amount_refunded bigint NOT NULL DEFAULT 0,
    ADD CONSTRAINT payments_refunds_within_amount CHECK (amount_refunded >= 0 AND amount_refunded <= amount);

ALTER TABLE refunds
    ADD CONSTRAINT refunds_processed_at_set CHECK ((status = 'processed') = (processed_at IS NOT NULL));

CREATE INDEX refunds_merchant_created_idx ON refunds (merchant_id, created_at DESC, id DESC);
