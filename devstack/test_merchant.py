"""The local test merchant: the row every local run (and the test suites) starts with, its API
credentials and its dashboard login. Local only: nothing here ships in the Lambda layer.

Its id comes from the layer (gateway.domain.merchants.TEST_MERCHANT_ID), where the local-only
/api/v1/test/merchant route reads the row by it."""

from __future__ import annotations

import psycopg

from gateway.adapters.passwords import hash_password
from gateway.domain.merchants import TEST_MERCHANT_ID

TEST_MERCHANT = {
    "id": TEST_MERCHANT_ID,
    "name": "Test Merchant",
    "email": "test@example.com",
    "api_key": "key_test_abc123",
    "api_secret": "secret_test_xyz789",
    "webhook_secret": "whsec_test_abc123",
}
# Its default webhook endpoint's id: never shown by the API (a default delivery names no endpoint).
TEST_MERCHANT_DEFAULT_ENDPOINT_ID = "we_testdefault000000"
TEST_MERCHANT_PASSWORD = "password123"  # noqa: S105 - the documented local test login


def seed_test_merchant(database_url: str) -> None:
    """Idempotent: the test merchant and its default webhook endpoint (no URL, the known secret)
    exist afterwards, whatever was there before."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        # Its known secret keeps working: the hash is SHA-256, as for every merchant.
        conn.execute(
            "INSERT INTO merchants (id, name, email, api_key, api_secret_hash, api_secret_hint)"
            " VALUES (%(id)s, %(name)s, %(email)s, %(api_key)s, encode(sha256(convert_to(%(api_secret)s, 'UTF8')),"
            " 'hex'), right(%(api_secret)s, 4))"
            " ON CONFLICT (id) DO NOTHING",
            TEST_MERCHANT,
        )
        conn.execute(
            "INSERT INTO webhook_endpoints (id, merchant_id, url, secret, enabled_events, disabled, is_default)"
            " VALUES (%(endpoint_id)s, %(id)s, NULL, %(webhook_secret)s, '{*}', true, true)"
            " ON CONFLICT (merchant_id) WHERE is_default DO NOTHING",
            {**TEST_MERCHANT, "endpoint_id": TEST_MERCHANT_DEFAULT_ENDPOINT_ID},
        )
        columns = {
            row[0]
            for row in conn.execute("SELECT column_name FROM information_schema.columns WHERE table_name = 'merchants'")
        }
        unhashed = (
            "password_hash" in columns
            and conn.execute(
                "SELECT 1 FROM merchants WHERE id = %s AND password_hash IS NULL", (TEST_MERCHANT["id"],)
            ).fetchone()
        )
        # Hashed only when missing: argon2 takes ~0.1 s of CPU, and each integration test seeds again.
        if unhashed:
            conn.execute(
                "UPDATE merchants SET password_hash = %s WHERE id = %s AND password_hash IS NULL",
                (hash_password(TEST_MERCHANT_PASSWORD), TEST_MERCHANT["id"]),
            )
