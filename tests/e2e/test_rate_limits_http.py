"""Rate limits over HTTP: one budget for the merchant however many API workers serve it."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx
import psycopg
import pytest

from tests.e2e_support import LocalStack
from tests.support import AUTH, TEST_MERCHANT_ID

pytestmark = pytest.mark.e2e


def test_concurrent_writes_through_many_workers_share_one_budget(local_stack: LocalStack) -> None:
    # Given a merchant allowed 5 writes an hour, and a stack running up to 8 API workers
    with psycopg.connect(local_stack.database_url, autocommit=True) as db:
        db.execute(
            "UPDATE merchants SET rate_limit_writes = 5, rate_limit_period_seconds = 3600 WHERE id = %s",
            (TEST_MERCHANT_ID,),
        )
        db.execute("DELETE FROM rate_limit_buckets WHERE merchant_id = %s", (TEST_MERCHANT_ID,))
    client = httpx.Client(base_url=local_stack.url, headers=AUTH, timeout=30, limits=httpx.Limits(max_connections=16))
    try:
        # When 24 orders are created at once
        with ThreadPoolExecutor(max_workers=16) as pool:
            replies = list(pool.map(lambda _: client.post("/api/v1/orders", json={"amount": 100}), range(24)))
        # Then exactly 5 were accepted, the rest refused with the headers a client needs to back off
        assert Counter(r.status_code for r in replies) == {201: 5, 429: 19}
        refused = next(r for r in replies if r.status_code == 429)
        assert refused.json()["error"]["code"] == "RATE_LIMITED"
        assert refused.headers["RateLimit-Limit"] == "5" and refused.headers["RateLimit-Remaining"] == "0"
        assert 700 <= int(refused.headers["Retry-After"]) <= 720  # one token every 12 minutes
        # Reads are a separate budget
        listed = client.get("/api/v1/orders")
        assert listed.status_code == 200 and listed.headers["RateLimit-Limit"] == "100"
    finally:
        with psycopg.connect(local_stack.database_url, autocommit=True) as db:
            db.execute(
                "UPDATE merchants SET rate_limit_writes = NULL, rate_limit_period_seconds = NULL WHERE id = %s",
                (TEST_MERCHANT_ID,),
            )
            db.execute("DELETE FROM rate_limit_buckets WHERE merchant_id = %s", (TEST_MERCHANT_ID,))
