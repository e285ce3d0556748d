-- Disputes (issue 22, item 4): a shopper's bank claws back (part of) a captured payment. The
-- merchant answers by a deadline (respond_by) with evidence, or accepts; the network decides.
-- open -> under_review -> won | lost; open -> lost (accepted, or unanswered at respond_by).
-- The books: -amount (type 'dispute') when opened, +amount ('dispute_reversal') when won, both in
-- the transaction of the state change; nothing when lost (the debit stands).
--
-- Safe to re-run: each step checks what is there.

CREATE TABLE IF NOT EXISTS disputes (
    id                    varchar(64) PRIMARY KEY,
    payment_id            varchar(64) NOT NULL REFERENCES payments (id),
    merchant_id           uuid        NOT NULL REFERENCES merchants (id),
    amount                bigint      NOT NULL CHECK (amount > 0),
    currency              varchar(3)  NOT NULL,
    reason                varchar(40) NOT NULL,
    status                varchar(20) NOT NULL DEFAULT 'open'
                          CHECK (status IN ('open', 'under_review', 'won', 'lost')),
    -- The merchant's deadline to contest; an EventBridge one-time schedule marks it lost then.
    respond_by            timestamptz NOT NULL,
    -- {"summary": ..., "documents": ["doc_...", ...]} as the merchant submitted it.
    evidence              jsonb,
    evidence_submitted_at timestamptz,
    -- How a closed dispute was closed: accepted by the merchant, unanswered at respond_by, or
    -- decided by the network after review.
    closed_reason         varchar(20) CHECK (closed_reason IN ('accepted', 'unanswered', 'decided')),
    closed_at             timestamptz,
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT disputes_closed CHECK (
        (status IN ('won', 'lost')) = (closed_at IS NOT NULL) AND (closed_at IS NULL) = (closed_reason IS NULL)),
    CONSTRAINT disputes_evidence CHECK ((evidence IS NULL) = (evidence_submitted_at IS NULL)),
    CONSTRAINT disputes_reviewed_with_evidence CHECK (status <> 'under_review' OR evidence IS NOT NULL)
);
-- The list, newest first, and its cursor (gateway.adapters.list_pages).
CREATE INDEX IF NOT EXISTS disputes_merchant_created_idx ON disputes (merchant_id, created_at DESC, id DESC);
-- What a payment has disputed (read under the payment's row lock by disputes and refunds alike).
CREATE INDEX IF NOT EXISTS disputes_payment_idx ON disputes (payment_id);
-- The relay's backstop: open disputes past their deadline whose schedule was lost.
CREATE INDEX IF NOT EXISTS disputes_open_respond_by_idx ON disputes (respond_by) WHERE status = 'open';

-- Evidence files: uploaded by the merchant with a presigned S3 PUT, named by a contest.
CREATE TABLE IF NOT EXISTS dispute_documents (
    id           varchar(64)  PRIMARY KEY,
    dispute_id   varchar(64)  NOT NULL REFERENCES disputes (id),
    merchant_id  uuid         NOT NULL REFERENCES merchants (id),
    filename     varchar(255) NOT NULL,
    content_type varchar(100) NOT NULL,
    size         bigint       NOT NULL CHECK (size > 0),
    object_key   varchar(512) NOT NULL UNIQUE,
    created_at   timestamptz  NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS dispute_documents_dispute_idx ON dispute_documents (dispute_id);

-- A dispute debits what it claws back, a won dispute returns it; neither charges a fee or GST.
ALTER TABLE balance_transactions DROP CONSTRAINT IF EXISTS balance_transactions_dispute;
ALTER TABLE balance_transactions ADD CONSTRAINT balance_transactions_dispute CHECK (
    type NOT IN ('dispute', 'dispute_reversal')
    OR (fee = 0 AND tax = 0 AND (amount < 0) = (type = 'dispute') AND amount <> 0));
-- One debit and at most one reversal per dispute, whatever is delivered twice.
CREATE UNIQUE INDEX IF NOT EXISTS balance_transactions_dispute_once_key ON balance_transactions (type, source_id)
    WHERE type IN ('dispute', 'dispute_reversal');
