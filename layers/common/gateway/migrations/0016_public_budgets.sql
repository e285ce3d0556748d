-- Checkout (publishable-key) requests spend a budget too (issue 25, item 5): one per key
-- ('public') and one per caller address ('address:<ip>'), beside the API key's and the sessions'.
-- Address buckets come and go with shoppers; the relay deletes those idle for an hour (a bucket
-- idle that long is full again, so forgetting it changes nothing).
ALTER TABLE rate_limit_buckets DROP CONSTRAINT rate_limit_buckets_credential_check;
ALTER TABLE rate_limit_buckets ALTER COLUMN credential TYPE varchar(64);
ALTER TABLE rate_limit_buckets ADD CONSTRAINT rate_limit_buckets_credential_check
    CHECK (credential IN ('key', 'session', 'public') OR credential LIKE 'address:%');
CREATE INDEX rate_limit_buckets_idle_idx ON rate_limit_buckets (updated_at);
