-- The books (issue 22, item 1): one balance transaction per money movement, written in the
-- transaction that causes it (a capture, a processed refund; disputes and settlements later).
-- Amounts are signed paise: a credit to the merchant is positive, a debit negative.
--
-- Safe to re-run: each step checks what is there (the runner also records the version, and applies
-- all pending migrations in one transaction).

CREATE TABLE IF NOT EXISTS balance_transactions (
    id            varchar(64) PRIMARY KEY,
    merchant_id   uuid        NOT NULL REFERENCES merchants (id),
    type          varchar(20) NOT NULL
                  CHECK (type IN ('payment', 'refund', 'dispute', 'dispute_reversal', 'adjustment', 'settlement')),
    -- What moved the money: a payment, refund, dispute or settlement id (no one table to reference).
    source_id     varchar(64) NOT NULL,
    amount        bigint      NOT NULL,
    fee           bigint      NOT NULL,
    tax           bigint      NOT NULL,
    net           bigint      NOT NULL,
    currency      varchar(3)  NOT NULL,
    -- When the entry counts as available (may be settled); before that it is pending.
    available_on  timestamptz NOT NULL,
    -- The settlement that paid the entry out (item 2): the only column ever updated, once.
    settlement_id varchar(64),
    created_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT balance_transactions_net CHECK (net = amount - fee - tax),
    -- A captured payment credits its amount and is charged a fee and GST on it, never more than it.
    CONSTRAINT balance_transactions_payment CHECK (
        type <> 'payment' OR (amount > 0 AND fee >= 0 AND tax >= 0 AND net >= 0)),
    -- A refund debits its amount; the fee is not returned, and none is charged.
    CONSTRAINT balance_transactions_refund CHECK (type <> 'refund' OR (amount < 0 AND fee = 0 AND tax = 0))
);

-- A payment or a refund is booked once, whatever delivers its cause twice (an SQS redelivery, two
-- captures racing): the second insert conflicts here.
CREATE UNIQUE INDEX IF NOT EXISTS balance_transactions_once_key ON balance_transactions (type, source_id)
    WHERE type IN ('payment', 'refund');
-- The list, newest first, and its cursor (gateway.adapters.list_pages).
CREATE INDEX IF NOT EXISTS balance_transactions_merchant_created_idx
    ON balance_transactions (merchant_id, created_at DESC, id DESC);
-- The balance (and the settlement run) read only what is not settled yet.
CREATE INDEX IF NOT EXISTS balance_transactions_unsettled_idx
    ON balance_transactions (merchant_id, available_on) INCLUDE (net) WHERE settlement_id IS NULL;
CREATE INDEX IF NOT EXISTS balance_transactions_source_idx ON balance_transactions (source_id);
CREATE INDEX IF NOT EXISTS balance_transactions_settlement_idx
    ON balance_transactions (settlement_id) WHERE settlement_id IS NOT NULL;

-- Append-only: no entry is deleted, and the one change allowed is attaching a settlement to an
-- entry that has none (the books are corrected by new entries, such as an adjustment, never edits).
CREATE OR REPLACE FUNCTION balance_transactions_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.settlement_id IS NULL AND NEW.settlement_id IS NOT NULL
       AND to_jsonb(NEW) - 'settlement_id' = to_jsonb(OLD) - 'settlement_id' THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'balance transactions are append-only (only a settlement may be attached, once)'
        USING ERRCODE = 'check_violation', CONSTRAINT = 'balance_transactions_append_only';
END $$;
DROP TRIGGER IF EXISTS balance_transactions_append_only ON balance_transactions;
CREATE TRIGGER balance_transactions_append_only BEFORE UPDATE OR DELETE ON balance_transactions
    FOR EACH ROW EXECUTE FUNCTION balance_transactions_append_only();

-- Per merchant pricing, in basis points of the payment (NULL: the gateway's default, 200 for both,
-- gateway/domain/ledger.py). At most half the payment: the fee and its GST never exceed it.
ALTER TABLE merchants
    ADD COLUMN IF NOT EXISTS fee_bps_card integer CHECK (fee_bps_card BETWEEN 0 AND 5000),
    ADD COLUMN IF NOT EXISTS fee_bps_upi  integer CHECK (fee_bps_upi BETWEEN 0 AND 5000);

-- Payments captured before the books existed enter them as a capture now books one (the merchant's
-- pricing or 200 basis points, GST 18 % of the fee, each rounded half-up in integers), dated at the
-- capture and available two days later (the default SETTLEMENT_DELAY_SECONDS: a migration cannot
-- read the functions' settings); then their processed refunds, dated when both had happened. Ids
-- derive from the source, and a booked source conflicts: a second run adds nothing.
INSERT INTO balance_transactions
    (id, merchant_id, type, source_id, amount, fee, tax, net, currency, available_on, created_at)
SELECT 'txn_' || left(md5('payment:' || p.id), 16), p.merchant_id, 'payment', p.id,
       p.amount, c.fee, c.tax, p.amount - c.fee - c.tax, p.currency, p.captured_at + interval '2 days', p.captured_at
FROM payments p
JOIN merchants m ON m.id = p.merchant_id
CROSS JOIN LATERAL (
    SELECT (2 * p.amount * coalesce(CASE p.method WHEN 'card' THEN m.fee_bps_card ELSE m.fee_bps_upi END, 200)
            + 10000) / 20000 AS fee
) AS f
CROSS JOIN LATERAL (SELECT f.fee, (36 * f.fee + 100) / 200 AS tax) AS c
WHERE p.captured
ON CONFLICT (type, source_id) WHERE type IN ('payment', 'refund') DO NOTHING;

INSERT INTO balance_transactions
    (id, merchant_id, type, source_id, amount, fee, tax, net, currency, available_on, created_at)
SELECT 'txn_' || left(md5('refund:' || r.id), 16), r.merchant_id, 'refund', r.id,
       -r.amount, 0, 0, -r.amount, p.currency,
       greatest(r.processed_at, p.captured_at), greatest(r.processed_at, p.captured_at)
FROM refunds r
JOIN payments p ON p.id = r.payment_id
WHERE r.status = 'processed' AND p.captured
ON CONFLICT (type, source_id) WHERE type IN ('payment', 'refund') DO NOTHING;
