-- Payment links (issue 23, item 2): a link a merchant sends a customer, backed by an order of its
-- own (payment_links.order_id), paid through the existing payment routes, in one payment or, with
-- accept_partial, in several. Its status moves created -> partially_paid -> paid as payments
-- succeed, or to expired (at expire_by) or cancelled.
--
-- Safe to re-run: each step checks what is there.

CREATE TABLE IF NOT EXISTS payment_links (
    id                       varchar(64)  PRIMARY KEY,
    merchant_id              uuid         NOT NULL REFERENCES merchants (id),
    order_id                 varchar(64)  NOT NULL UNIQUE REFERENCES orders (id),
    amount                   bigint       NOT NULL,
    -- The sum of the link's successful payments, raised in the transaction that marks each one a success.
    amount_paid              bigint       NOT NULL DEFAULT 0,
    currency                 varchar(3)   NOT NULL,
    description              text,
    customer                 jsonb,
    expire_by                timestamptz,
    accept_partial           boolean      NOT NULL DEFAULT false,
    first_min_partial_amount bigint,
    reference_id             varchar(40),
    notes                    jsonb,
    callback_url             text,
    status                   varchar(20)  NOT NULL DEFAULT 'created'
        CHECK (status IN ('created', 'partially_paid', 'paid', 'expired', 'cancelled')),
    created_at               timestamptz  NOT NULL DEFAULT now(),
    updated_at               timestamptz  NOT NULL DEFAULT now(),
    CONSTRAINT payment_links_amounts CHECK (amount > 0 AND amount_paid >= 0 AND amount_paid <= amount),
    CONSTRAINT payment_links_first_min CHECK (
        first_min_partial_amount IS NULL OR (accept_partial AND first_min_partial_amount BETWEEN 1 AND amount)),
    CONSTRAINT payment_links_paid_status CHECK ((status = 'paid') = (amount_paid = amount) OR status IN ('expired', 'cancelled'))
);
-- A merchant's reference_id names one link: a second create with it is refused (409), whatever races.
CREATE UNIQUE INDEX IF NOT EXISTS payment_links_reference_key ON payment_links (merchant_id, reference_id)
    WHERE reference_id IS NOT NULL;
-- The list, newest first, and its cursor (gateway.adapters.list_pages).
CREATE INDEX IF NOT EXISTS payment_links_merchant_created_idx ON payment_links (merchant_id, created_at DESC, id DESC);
-- The relay's sweep of links past expire_by whose schedule was lost.
CREATE INDEX IF NOT EXISTS payment_links_due_idx ON payment_links (expire_by)
    WHERE status IN ('created', 'partially_paid') AND expire_by IS NOT NULL;

-- A link that accepts partial payments takes several payments on its order, live and successful
-- ones side by side (what they may add up to is checked under the order's row lock,
-- gateway.domain.payment_links.admit_payment). Every other order keeps at most one.
ALTER TABLE payments ADD COLUMN IF NOT EXISTS partial boolean NOT NULL DEFAULT false;
DROP INDEX IF EXISTS payments_one_live_per_order_idx;
CREATE UNIQUE INDEX payments_one_live_per_order_idx ON payments (order_id)
    WHERE status IN ('pending', 'processing', 'success') AND NOT partial;
