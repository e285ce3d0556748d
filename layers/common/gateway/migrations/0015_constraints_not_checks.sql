-- Rules that Python used to check before writing, with nothing to stop two requests checking at
-- once (issue 25, item 7): the database enforces them now.

-- One email, one merchant, whatever its case (sign-in finds a merchant by lower(email)). Existing
-- duplicates cannot be merged by a migration: it stops and names how many there are.
DO $$
DECLARE
    duplicated integer;
BEGIN
    SELECT count(*) INTO duplicated FROM (
        SELECT lower(email) FROM merchants GROUP BY lower(email) HAVING count(*) > 1
    ) AS d;
    IF duplicated > 0 THEN
        RAISE EXCEPTION '% email address(es) belong to more than one merchant when case is ignored; '
            'give each merchant its own address, then deploy again', duplicated;
    END IF;
END $$;
CREATE UNIQUE INDEX merchants_email_lower_key ON merchants (lower(email));

-- At most 16 live webhook endpoints per merchant (Stripe's figure; domain/webhook_endpoints.py's
-- MAX_ENDPOINTS names it). Creations for one merchant wait for each other on the merchant's row (a
-- NO KEY UPDATE lock: orders and payments referencing the merchant are not held up), so each counts
-- the endpoints the one before it committed.
CREATE FUNCTION webhook_endpoints_within_cap() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM merchants WHERE id = NEW.merchant_id FOR NO KEY UPDATE;
    IF (SELECT count(*) FROM webhook_endpoints WHERE merchant_id = NEW.merchant_id AND deleted_at IS NULL) >= 16 THEN
        RAISE EXCEPTION 'a merchant may have at most 16 webhook endpoints'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'webhook_endpoints_per_merchant';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER webhook_endpoints_per_merchant BEFORE INSERT ON webhook_endpoints
    FOR EACH ROW EXECUTE FUNCTION webhook_endpoints_within_cap();
