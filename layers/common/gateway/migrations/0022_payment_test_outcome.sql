-- Test values (issue 23, item 1): in test mode a payment created with a test UPI address or card
-- number keeps the outcome it asks for, decided at creation when the full number is in hand:
-- 'success' or the bank's decline code, never the number. NULL for every other payment (and for
-- every payment outside test mode), which the simulated bank decides as before.
--
-- Safe to re-run: each step checks what is there.

ALTER TABLE payments ADD COLUMN IF NOT EXISTS test_outcome varchar(40);

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'payments_test_outcome_word') THEN
        -- A word, not a number: a card number can never be kept here by mistake.
        ALTER TABLE payments ADD CONSTRAINT payments_test_outcome_word
            CHECK (test_outcome IS NULL OR test_outcome ~ '^(success|[A-Z][A-Z_]*)$');
    END IF;
END $$;
