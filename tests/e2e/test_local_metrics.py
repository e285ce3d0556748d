"""`make dev` shows the gateway's metrics without AWS: a one-line summary per period in its output."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.e2e_support import LocalStack
from tests.support import AUTH, VALID_CARD, wait_until

pytestmark = pytest.mark.e2e


def test_the_local_runtime_prints_what_cloudwatch_would_graph(local_stack: LocalStack) -> None:
    client = httpx.Client(base_url=local_stack.url, headers=AUTH, timeout=30)
    order = client.post("/api/v1/orders", json={"amount": 10_000}).json()
    card_payment = {"order_id": order["id"], "method": "card", "card": VALID_CARD}
    payment = client.post("/api/v1/payments", json=card_payment).json()
    assert wait_until(lambda: client.get(f"/api/v1/payments/{payment['id']}").json()["status"] == "success", timeout=30)

    def summaries() -> list[str]:
        return [line for line in local_stack.log().splitlines() if "devstack | metrics (last 3 s):" in line]

    # The card payment's success shows up in a summary line, with the API's latency percentiles.
    assert wait_until(lambda: any(re.search(r"PaymentsSucceeded \d+ \(card", line) for line in summaries()), 15)
    assert any(re.search(r"ApiLatency p50 \d+ ms p99 \d+ ms \(n=\d+\)", line) for line in summaries())
    # The metric lines go to the summary's file, not into the terminal between the request lines.
    assert '{"_aws":{"Timestamp"' not in "\n".join(
        line for line in local_stack.log().splitlines() if "PaymentsCreated" in line
    )
