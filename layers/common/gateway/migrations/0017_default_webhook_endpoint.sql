-- The merchant's default webhook endpoint becomes a webhook_endpoints row (issue 24, item 5): one
-- model of an endpoint, so every delivery names its endpoint and the lane, failing/slow flags,
-- in-flight cap and secret grace are decided one way. The default row (is_default) takes every
-- event, is never listed by /api/v1/webhook_endpoints nor counted against the 16-endpoint cap, and
-- a merchant without a default URL has one with no URL, disabled (so no delivery is created).
--
-- The merchants' webhook columns are KEPT by this migration, and no longer read or written by the
-- code; a later migration drops them with the bridge below. Why not drop them now: the Migrate
-- custom resource (DatabaseSchema) runs before the functions are updated (they DependsOn it), and
-- a rollback does not undo a migration, so the previous release's functions run on this schema
-- for the deploy's minutes, or until the next deploy after a rollback; they read those columns at
-- every authentication. Until then the bridge keeps both models in step: the columns mirror the
-- default row both ways, a merchant inserted with a webhook secret (the previous release's
-- onboarding, SQL in tools) gets its default row, and a delivery the previous release inserts with
-- no endpoint is sent to the default row (its fan-out statement also inserts one for the default
-- row, which it sees as an endpoint: that duplicate is dropped). What the previous release still
-- shows differently meanwhile: its endpoint list includes the default row (and fails for a merchant
-- with no default URL, whose row has none), and its delivery log names the default row's id.
--
-- Safe to re-run: each step checks what is there (the runner also records the version, and applies
-- all pending migrations in one transaction).

ALTER TABLE webhook_endpoints ADD COLUMN IF NOT EXISTS is_default boolean NOT NULL DEFAULT false;
ALTER TABLE webhook_endpoints ALTER COLUMN url DROP NOT NULL;
ALTER TABLE webhook_endpoints DROP CONSTRAINT IF EXISTS webhook_endpoints_url_check;
ALTER TABLE webhook_endpoints ADD CONSTRAINT webhook_endpoints_url_check
    CHECK (CASE WHEN is_default THEN disabled = (url IS NULL) ELSE url IS NOT NULL END);
CREATE UNIQUE INDEX IF NOT EXISTS webhook_endpoints_default_key ON webhook_endpoints (merchant_id) WHERE is_default;

-- The cap (0015) counts only the endpoints a merchant created.
CREATE OR REPLACE FUNCTION webhook_endpoints_within_cap() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.is_default THEN
        RETURN NEW;
    END IF;
    PERFORM 1 FROM merchants WHERE id = NEW.merchant_id FOR NO KEY UPDATE;
    IF (SELECT count(*) FROM webhook_endpoints
        WHERE merchant_id = NEW.merchant_id AND deleted_at IS NULL AND NOT is_default) >= 16 THEN
        RAISE EXCEPTION 'a merchant may have at most 16 webhook endpoints'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'webhook_endpoints_per_merchant';
    END IF;
    RETURN NEW;
END $$;

-- The merchant's default secret becomes optional: new merchants' is in their default row only.
ALTER TABLE merchants ALTER COLUMN webhook_secret DROP NOT NULL;

-- Backfill: a default row per merchant, from its columns (its secret, the previous one still in
-- its grace period, its failing and slow flags).
INSERT INTO webhook_endpoints (id, merchant_id, url, secret, secret_previous, secret_previous_until, enabled_events,
                               disabled, failing_since, slow_url, is_default, created_at, updated_at)
SELECT 'we_' || left(replace(gen_random_uuid()::text, '-', ''), 16), m.id, m.webhook_url, m.webhook_secret,
       m.webhook_secret_previous, m.webhook_secret_previous_until, '{*}', m.webhook_url IS NULL,
       m.webhook_failing_since, m.webhook_slow_url, true, m.created_at, now()
  FROM merchants m
 WHERE m.webhook_secret IS NOT NULL
   AND NOT EXISTS (SELECT 1 FROM webhook_endpoints e WHERE e.merchant_id = m.id AND e.is_default);

-- Every delivery names its endpoint: the default endpoint's, pending ones included, name its row.
UPDATE webhook_logs w SET endpoint_id = e.id
  FROM webhook_endpoints e
 WHERE w.endpoint_id IS NULL AND e.merchant_id = w.merchant_id AND e.is_default;

-- The previous release inserts a default-endpoint delivery with no endpoint: this trigger (the
-- bridge) runs before the NOT NULL check. A test event goes to the default row; any other is the
-- default-endpoint half of its fan-out statement, whose other half already targets the default row.
CREATE OR REPLACE FUNCTION webhook_logs_default_endpoint() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.event <> 'webhook.test' THEN
        RETURN NULL;
    END IF;
    SELECT id INTO NEW.endpoint_id FROM webhook_endpoints WHERE merchant_id = NEW.merchant_id AND is_default;
    RETURN NEW;
END $$;
DROP TRIGGER IF EXISTS webhook_logs_default_endpoint ON webhook_logs;
CREATE TRIGGER webhook_logs_default_endpoint BEFORE INSERT ON webhook_logs
    FOR EACH ROW WHEN (NEW.endpoint_id IS NULL) EXECUTE FUNCTION webhook_logs_default_endpoint();

ALTER TABLE webhook_logs ALTER COLUMN endpoint_id SET NOT NULL;

-- An endpoint's in-flight claims and backlog, keyed by its merchant and id (0014 keyed the default
-- endpoint by '' in place of its id).
DROP INDEX IF EXISTS webhook_logs_claimed_endpoint_idx;
DROP INDEX IF EXISTS webhook_logs_pending_endpoint_idx;
CREATE INDEX webhook_logs_claimed_endpoint_idx ON webhook_logs (merchant_id, endpoint_id)
    WHERE delivering_until IS NOT NULL;
CREATE INDEX webhook_logs_pending_endpoint_idx ON webhook_logs (merchant_id, endpoint_id)
    WHERE status = 'pending';

-- The bridge's mirror of the default row in the merchants' columns, both ways (each update only
-- writes what differs, so the two triggers stop after one round).
CREATE OR REPLACE FUNCTION merchants_webhook_columns_to_default_endpoint() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.webhook_secret IS NOT NULL THEN
            INSERT INTO webhook_endpoints (id, merchant_id, url, secret, secret_previous, secret_previous_until,
                                           enabled_events, disabled, failing_since, slow_url, is_default)
            VALUES ('we_' || left(replace(gen_random_uuid()::text, '-', ''), 16), NEW.id, NEW.webhook_url,
                    NEW.webhook_secret, NEW.webhook_secret_previous, NEW.webhook_secret_previous_until, '{*}',
                    NEW.webhook_url IS NULL, NEW.webhook_failing_since, NEW.webhook_slow_url, true)
            ON CONFLICT (merchant_id) WHERE is_default DO NOTHING;
        END IF;
        RETURN NULL;
    END IF;
    UPDATE webhook_endpoints SET url = NEW.webhook_url, disabled = NEW.webhook_url IS NULL,
           secret = coalesce(NEW.webhook_secret, secret), secret_previous = NEW.webhook_secret_previous,
           secret_previous_until = NEW.webhook_secret_previous_until, failing_since = NEW.webhook_failing_since,
           slow_url = NEW.webhook_slow_url, updated_at = now()
     WHERE merchant_id = NEW.id AND is_default
       AND (url, secret, secret_previous, secret_previous_until, failing_since, slow_url)
           IS DISTINCT FROM (NEW.webhook_url, coalesce(NEW.webhook_secret, secret), NEW.webhook_secret_previous,
                             NEW.webhook_secret_previous_until, NEW.webhook_failing_since, NEW.webhook_slow_url);
    RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS merchants_webhook_columns_inserted ON merchants;
CREATE TRIGGER merchants_webhook_columns_inserted AFTER INSERT ON merchants
    FOR EACH ROW EXECUTE FUNCTION merchants_webhook_columns_to_default_endpoint();
DROP TRIGGER IF EXISTS merchants_webhook_columns_updated ON merchants;
CREATE TRIGGER merchants_webhook_columns_updated
    AFTER UPDATE OF webhook_url, webhook_secret, webhook_secret_previous, webhook_secret_previous_until,
                    webhook_failing_since, webhook_slow_url ON merchants
    FOR EACH ROW EXECUTE FUNCTION merchants_webhook_columns_to_default_endpoint();

CREATE OR REPLACE FUNCTION default_endpoint_to_merchants_webhook_columns() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE merchants SET webhook_url = NEW.url, webhook_secret = NEW.secret,
           webhook_secret_previous = NEW.secret_previous, webhook_secret_previous_until = NEW.secret_previous_until,
           webhook_failing_since = NEW.failing_since, webhook_slow_url = NEW.slow_url
     WHERE id = NEW.merchant_id
       AND (webhook_url, webhook_secret, webhook_secret_previous, webhook_secret_previous_until,
            webhook_failing_since, webhook_slow_url)
           IS DISTINCT FROM (NEW.url, NEW.secret, NEW.secret_previous, NEW.secret_previous_until,
                             NEW.failing_since, NEW.slow_url);
    RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS default_endpoint_to_merchants ON webhook_endpoints;
CREATE TRIGGER default_endpoint_to_merchants AFTER INSERT OR UPDATE ON webhook_endpoints
    FOR EACH ROW WHEN (NEW.is_default) EXECUTE FUNCTION default_endpoint_to_merchants_webhook_columns();
