"""200 concurrent creates sharing 20 idempotency keys, over HTTP, through separate API workers."""

from __future__ import annotations

import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor

import httpx
import psycopg
import pytest

from tests.e2e_support import LocalStack
from tests.support import AUTH

pytestmark = pytest.mark.e2e


def test_200_concurrent_creates_sharing_20_keys_make_exactly_20_payments(local_stack: LocalStack) -> None:
    """Clients retry 409 (still in flight) after a moment and 429 after its Retry-After, as documented;
    every final reply for a key is identical."""
    client = httpx.Client(base_url=local_stack.url, headers=AUTH, timeout=30, limits=httpx.Limits(max_connections=32))
    orders = [client.post("/api/v1/orders", json={"amount": 10_000 + n}).json()["id"] for n in range(20)]
    replies: dict[str, set[str]] = defaultdict(set)
    conflicts = 0

    def create(n: int) -> tuple[str, int, str, int]:
        # Ten consecutive requests share a key, so they race each other.
        key, body = f"concurrent-{n // 10}", {"order_id": orders[n // 10], "method": "upi", "vpa": "a@okhdfc"}
        retries = 0
        while True:
            response = client.post("/api/v1/payments", json=body, headers={"Idempotency-Key": key})
            if response.status_code == 429:
                # The merchant's write budget (100/s) is shared by every thread; a retry loop that
                # spins on 409 can spend it while a slow queue keeps the first request in flight.
                assert response.json()["error"]["code"] == "RATE_LIMITED"
                time.sleep(float(response.headers["Retry-After"]))
                continue
            if response.status_code != 409:
                return key, response.status_code, response.text, retries
            assert response.json()["error"]["code"] == "IDEMPOTENCY_KEY_IN_PROGRESS"
            retries += 1
            time.sleep(0.02)

    with ThreadPoolExecutor(max_workers=32) as pool:
        results = list(pool.map(create, range(200)))

    for key, status, body, retries in results:
        assert status == 201, body
        replies[key].add(body)
        conflicts += retries
    assert len(replies) == 20 and all(len(bodies) == 1 for bodies in replies.values())
    payment_ids = {next(iter(bodies)) for bodies in replies.values()}
    assert len(payment_ids) == 20
    with psycopg.connect(local_stack.database_url) as conn:
        count = conn.execute("SELECT count(*) FROM payments WHERE order_id = ANY(%s)", (orders,)).fetchone()
    assert count == (20,)
    print(f"\n200 creates on 20 keys: 20 payments, {conflicts} in-flight 409s retried by clients")
