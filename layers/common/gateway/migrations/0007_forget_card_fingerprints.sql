-- Fingerprints stored before this release hashed whole request bodies, card number, expiry and CVV
-- included: a brute force over expiry and CVV recovers them. They are dropped. A retry of such a
-- request with its old key now creates nothing twice all the same: an order takes at most one live
-- or successful payment (payments_one_live_per_order_idx), so it is refused instead of replayed.
DELETE FROM idempotency_keys WHERE request_path IN ('/api/v1/payments', '/api/v1/payments/public');
