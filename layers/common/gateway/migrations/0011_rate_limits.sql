-- Request budgets (README, "Rate limits"): a token bucket per merchant, credential kind (API key or
-- dashboard session) and kind of request (read or write), shared by every API container. UNLOGGED:
-- counting writes no WAL, so it costs a request no disk flush; a crash empties the buckets, which
-- only hands every caller a full budget again.
CREATE UNLOGGED TABLE rate_limit_buckets (
    merchant_id uuid             NOT NULL,
    credential  varchar(8)       NOT NULL CHECK (credential IN ('key', 'session')),
    kind        varchar(8)       NOT NULL CHECK (kind IN ('read', 'write')),
    -- The budget in force at the last request: `rate_limit` tokens, refilled over `period` seconds.
    rate_limit  double precision NOT NULL,
    period      double precision NOT NULL,
    tokens      double precision NOT NULL,
    -- Whether the last request got a token (a refused request takes none).
    allowed     boolean          NOT NULL,
    updated_at  timestamptz      NOT NULL,
    PRIMARY KEY (merchant_id, credential, kind)
);

-- A bucket's tokens at `at`: what it held, plus the refill since, up to the limit.
CREATE FUNCTION rate_limit_refill(tokens float8, updated_at timestamptz, at timestamptz, rate_limit float8, period float8)
RETURNS float8 LANGUAGE sql IMMUTABLE AS $$
    SELECT least(rate_limit, tokens + greatest(0, extract(epoch FROM at - updated_at)) * rate_limit / period)
$$;

-- Per merchant: requests allowed per period (NULL: the gateway's default, 100 per second).
ALTER TABLE merchants
    ADD COLUMN rate_limit_reads          integer CHECK (rate_limit_reads > 0),
    ADD COLUMN rate_limit_writes         integer CHECK (rate_limit_writes > 0),
    ADD COLUMN rate_limit_period_seconds integer CHECK (rate_limit_period_seconds BETWEEN 1 AND 3600);

-- Failed dashboard sign-ins per email and per source address; past the allowance the subject is
-- locked out for a while, right password or not.
CREATE TABLE sign_in_failures (
    subject         varchar(320) PRIMARY KEY,
    failures        integer      NOT NULL,
    first_failed_at timestamptz  NOT NULL,
    locked_until    timestamptz
);
