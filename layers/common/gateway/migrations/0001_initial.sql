-- The seed schema: merchants, orders, payments, refunds, webhook logs, idempotency keys,
-- and the outbox that carries queue messages across the Postgres/SQS boundary.

CREATE TABLE merchants (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name            text        NOT NULL,
    email           text        NOT NULL UNIQUE,
    api_key         text        NOT NULL UNIQUE,
    api_secret      text        NOT NULL,
    webhook_url     text,
    webhook_secret  text        NOT NULL,
    is_active       boolean     NOT NULL DEFAULT true,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE orders (
    id          varchar(64) PRIMARY KEY,
    merchant_id uuid        NOT NULL REFERENCES merchants (id),
    amount      bigint      NOT NULL CHECK (amount >= 100),
    currency    varchar(3)  NOT NULL DEFAULT 'INR',
    receipt     varchar(255),
    notes       jsonb,
    status      varchar(20) NOT NULL DEFAULT 'created' CHECK (status IN ('created', 'attempted', 'paid')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX orders_merchant_created_idx ON orders (merchant_id, created_at DESC, id DESC);

CREATE TABLE payments (
    id                    varchar(64) PRIMARY KEY,
    order_id              varchar(64) NOT NULL REFERENCES orders (id),
    merchant_id           uuid        NOT NULL REFERENCES merchants (id),
    amount                bigint      NOT NULL CHECK (amount > 0),
    currency              varchar(3)  NOT NULL,
    method                varchar(20) NOT NULL CHECK (method IN ('upi', 'card')),
    status                varchar(20) NOT NULL DEFAULT 'pending'
                          CHECK (status IN ('pending', 'processing', 'success', 'failed')),
    vpa                   varchar(255),
    card_network          varchar(20),
    card_last4            char(4),
    captured              boolean     NOT NULL DEFAULT false,
    error_code            varchar(50),
    error_description     text,
    processing_started_at timestamptz,
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now(),
    CHECK ((method = 'upi') = (vpa IS NOT NULL)),
    CHECK ((method = 'card') = (card_last4 IS NOT NULL AND card_network IS NOT NULL))
);
CREATE INDEX payments_merchant_created_idx ON payments (merchant_id, created_at DESC, id DESC);
CREATE INDEX payments_order_idx ON payments (order_id);
-- At most one payment per order may be live or successful: an order is never paid twice.
CREATE UNIQUE INDEX payments_one_live_per_order_idx ON payments (order_id)
    WHERE status IN ('pending', 'processing', 'success');
CREATE INDEX payments_status_idx ON payments (status) WHERE status IN ('pending', 'processing');

CREATE TABLE refunds (
    id           varchar(64) PRIMARY KEY,
    payment_id   varchar(64) NOT NULL REFERENCES payments (id),
    merchant_id  uuid        NOT NULL REFERENCES merchants (id),
    amount       bigint      NOT NULL CHECK (amount > 0),
    reason       text,
    status       varchar(20) NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'processed')),
    created_at   timestamptz NOT NULL DEFAULT now(),
    processed_at timestamptz
);
CREATE INDEX refunds_payment_idx ON refunds (payment_id);

CREATE TABLE webhook_logs (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    merchant_id     uuid        NOT NULL REFERENCES merchants (id),
    event           varchar(50) NOT NULL,
    -- The exact bytes that are signed and sent (text, not jsonb, which would reorder keys).
    payload         text        NOT NULL,
    status          varchar(20) NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'success', 'failed', 'skipped')),
    attempts        integer     NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    last_attempt_at timestamptz,
    next_retry_at   timestamptz,
    response_code   integer,
    response_body   text,
    last_error      text,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_logs_merchant_created_idx ON webhook_logs (merchant_id, created_at DESC);

CREATE TABLE idempotency_keys (
    merchant_id uuid        NOT NULL REFERENCES merchants (id),
    key         varchar(255) NOT NULL,
    response    jsonb,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    PRIMARY KEY (merchant_id, key)
);

-- Messages written in the same transaction as the state they announce; sent after commit.
CREATE TABLE outbox (
    id            bigserial PRIMARY KEY,
    queue         varchar(20) NOT NULL CHECK (queue IN ('payments', 'refunds', 'webhooks')),
    body          text        NOT NULL,
    delay_seconds integer     NOT NULL DEFAULT 0 CHECK (delay_seconds BETWEEN 0 AND 900),
    created_at    timestamptz NOT NULL DEFAULT now(),
    sent_at       timestamptz
);
CREATE INDEX outbox_unsent_idx ON outbox (created_at) WHERE sent_at IS NULL;
