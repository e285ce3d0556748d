-- Reports (issue 22, item 3): a merchant asks for the rows of one kind created in a window; a queue
-- consumer writes them to S3 as CSV. The row is the report's state and its claim: a consumer takes a
-- pending report (or one whose claim lapsed: its consumer died) by setting claimed_by, and only the
-- holder of the claim may mark it ready or failed, so a duplicate delivery writes nothing twice.
--
-- Safe to re-run: each step checks what is there.

CREATE TABLE IF NOT EXISTS reports (
    id            varchar(64)  PRIMARY KEY,
    merchant_id   uuid         NOT NULL REFERENCES merchants (id),
    type          varchar(32)  NOT NULL
                  CHECK (type IN ('payments', 'refunds', 'balance_transactions', 'settlements')),
    -- The window of created_at: from inclusive, to exclusive.
    window_from   timestamptz  NOT NULL,
    window_to     timestamptz  NOT NULL,
    status        varchar(20)  NOT NULL DEFAULT 'pending'
                  CHECK (status IN ('pending', 'generating', 'ready', 'failed')),
    -- The consumer generating it (a random token per claim) and since when; a claim older than the
    -- lease (gateway.domain.reports.CLAIM_LEASE_SECONDS) is taken over.
    claimed_by    varchar(64),
    claimed_at    timestamptz,
    attempts      integer      NOT NULL DEFAULT 0,
    object_key    varchar(255),
    row_count     bigint,
    size_bytes    bigint,
    failure_reason varchar(500),
    created_at    timestamptz  NOT NULL DEFAULT now(),
    completed_at  timestamptz,
    CONSTRAINT reports_window CHECK (window_from < window_to),
    CONSTRAINT reports_claimed CHECK ((status = 'generating') = (claimed_by IS NOT NULL)),
    CONSTRAINT reports_ready CHECK (
        (status = 'ready') = (object_key IS NOT NULL AND row_count IS NOT NULL AND size_bytes IS NOT NULL)),
    CONSTRAINT reports_failed CHECK ((status = 'failed') = (failure_reason IS NOT NULL)),
    CONSTRAINT reports_completed CHECK ((status IN ('ready', 'failed')) = (completed_at IS NOT NULL))
);
-- The list, newest first, and its cursor (gateway.adapters.list_pages).
CREATE INDEX IF NOT EXISTS reports_merchant_created_idx ON reports (merchant_id, created_at DESC, id DESC);
-- A report reads its rows oldest first through its source table's (merchant_id, created_at DESC, id DESC)
-- index, backwards: payments, refunds, balance_transactions and settlements have one each.

-- Report jobs go through the transactional outbox to their own queue.
ALTER TABLE outbox DROP CONSTRAINT IF EXISTS outbox_queue_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_queue_check
    CHECK (queue IN ('payments', 'refunds', 'webhooks', 'webhooks_slow', 'reports'));
