"""50 concurrent refunds of 400 against a 10,000 payment, over HTTP through separate API workers."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx
import psycopg
import pytest

from tests.e2e_support import LocalStack
from tests.support import AUTH, wait_until

pytestmark = pytest.mark.e2e


def test_refund_storm_never_exceeds_the_amount(local_stack: LocalStack) -> None:
    client = httpx.Client(base_url=local_stack.url, headers=AUTH, timeout=30, limits=httpx.Limits(max_connections=50))
    order = client.post("/api/v1/orders", json={"amount": 10_000}).json()
    payment = client.post("/api/v1/payments", json={"order_id": order["id"], "method": "upi", "vpa": "a@okhdfc"}).json()
    assert wait_until(lambda: client.get(f"/api/v1/payments/{payment['id']}").json()["status"] == "success", timeout=30)

    def refund(_: int) -> httpx.Response:
        return client.post(f"/api/v1/payments/{payment['id']}/refunds", json={"amount": 400})

    with ThreadPoolExecutor(max_workers=50) as pool:
        responses = list(pool.map(refund, range(50)))

    statuses = Counter(response.status_code for response in responses)
    assert statuses == {201: 25, 400: 25}, statuses
    assert all(
        r.json()["error"]["description"] == "Refund amount exceeds available amount"
        for r in responses
        if r.status_code == 400
    )
    with psycopg.connect(local_stack.database_url) as conn:
        stored = conn.execute(
            "SELECT sum(amount), count(*) FROM refunds WHERE payment_id = %s", (payment["id"],)
        ).fetchone()
    assert stored == (10_000, 25)
    assert client.get(f"/api/v1/payments/{payment['id']}").json()["amount_refunded"] == 10_000
