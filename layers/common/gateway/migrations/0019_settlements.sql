-- Settlements (issue 22, item 2): a merchant's available, unsettled entries paid out together. The
-- settlement's own ledger entry (type 'settlement', -amount) is booked in the same transaction and
-- carries its id as source_id and settlement_id, so it leaves the balance with the entries it pays.
--
-- Safe to re-run: each step checks what is there.

CREATE TABLE IF NOT EXISTS settlements (
    id           varchar(64) PRIMARY KEY,
    merchant_id  uuid        NOT NULL REFERENCES merchants (id),
    -- The sum of the settled entries' nets, and of their fees and GST; all in paise.
    amount       bigint      NOT NULL,
    fees         bigint      NOT NULL,
    tax          bigint      NOT NULL,
    entries      integer     NOT NULL,
    currency     varchar(3)  NOT NULL,
    status       varchar(20) NOT NULL DEFAULT 'created' CHECK (status IN ('created', 'processed')),
    created_at   timestamptz NOT NULL DEFAULT now(),
    processed_at timestamptz,
    -- A negative or empty balance is carried forward, never settled.
    CONSTRAINT settlements_positive CHECK (amount > 0 AND entries > 0),
    CONSTRAINT settlements_processed_at CHECK ((status = 'processed') = (processed_at IS NOT NULL))
);
-- The list, newest first, and its cursor (gateway.adapters.list_pages).
CREATE INDEX IF NOT EXISTS settlements_merchant_created_idx ON settlements (merchant_id, created_at DESC, id DESC);

-- A settlement's entry debits what it pays out, charges nothing, and is itself settled by it.
ALTER TABLE balance_transactions DROP CONSTRAINT IF EXISTS balance_transactions_settlement;
ALTER TABLE balance_transactions ADD CONSTRAINT balance_transactions_settlement CHECK (
    type <> 'settlement' OR (amount < 0 AND fee = 0 AND tax = 0 AND settlement_id IS NOT DISTINCT FROM source_id));
-- One entry per settlement, whatever runs twice.
CREATE UNIQUE INDEX IF NOT EXISTS balance_transactions_settlement_once_key ON balance_transactions (source_id)
    WHERE type = 'settlement';
