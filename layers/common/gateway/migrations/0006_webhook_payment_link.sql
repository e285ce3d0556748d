-- The dashboard shows a payment's webhook events: link each delivery to the payment it is about
-- (payment.* events carry the payment, refund.* events the refund's payment_id).
ALTER TABLE webhook_logs ADD COLUMN IF NOT EXISTS payment_id varchar(64);
UPDATE webhook_logs
   SET payment_id = coalesce(payload::jsonb #>> '{data,payment,id}', payload::jsonb #>> '{data,refund,payment_id}')
 WHERE payment_id IS NULL;
CREATE INDEX IF NOT EXISTS webhook_logs_merchant_payment_idx
    ON webhook_logs (merchant_id, payment_id, created_at DESC) WHERE payment_id IS NOT NULL;
