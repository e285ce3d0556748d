"""Merchant → API over HTTP → Postgres + SQS → consumers → signed webhook at a real receiver."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.e2e_support import LocalStack
from tests.support import AUTH, VALID_CARD, WEBHOOK_SECRET, ReceivedWebhook, WebhookReceiver, hex_hmac, wait_until

pytestmark = pytest.mark.e2e


@pytest.fixture
def merchant(local_stack: LocalStack, receiver: WebhookReceiver) -> httpx.Client:
    client = httpx.Client(base_url=local_stack.url, headers=AUTH, timeout=10)
    response = client.put("/api/v1/merchant/webhook", json={"webhook_url": receiver.url})
    assert response.status_code == 200, response.text
    return client


@pytest.mark.parametrize(
    "instrument",
    [{"method": "upi", "vpa": "shopper@okaxis"}, {"method": "card", "card": VALID_CARD}],
    ids=["upi", "card"],
)
def test_a_payment_reaches_success_and_a_signed_webhook(
    merchant: httpx.Client, receiver: WebhookReceiver, instrument: dict[str, object]
) -> None:
    order = merchant.post("/api/v1/orders", json={"amount": 49_900, "receipt": "e2e"}).json()
    started = time.perf_counter()
    created = merchant.post("/api/v1/payments", json={"order_id": order["id"], **instrument})
    assert created.status_code == 201, created.text
    payment = created.json()
    assert payment["status"] == "pending"

    # The stack is shared: earlier tests' payments may also notify this receiver.
    def ours() -> list[ReceivedWebhook]:
        return [h for h in receiver.received if h.json["data"].get("payment", {}).get("id") == payment["id"]]

    hooks = wait_until(lambda: ours() if len(ours()) >= 3 else None, timeout=30) or ours()
    elapsed = time.perf_counter() - started
    events = {hook.json["event"]: hook for hook in hooks}
    assert sorted(events) == ["payment.created", "payment.pending", "payment.success"], "webhooks missing after 30 s"
    for hook in hooks:
        assert hook.headers["x-webhook-signature"] == hex_hmac(WEBHOOK_SECRET, hook.body)
        assert hook.json["data"]["payment"]["id"] == payment["id"]
    success = events["payment.success"]
    assert success.json["data"]["payment"]["amount"] == 49_900
    assert success.json["data"]["payment"]["status"] == "success"
    print(
        f"\n{instrument['method']}: create → signed payment.success received in {elapsed:.2f} s "
        "(TEST_PROCESSING_DELAY=500)"
    )

    final = merchant.get(f"/api/v1/payments/{payment['id']}").json()
    assert final["status"] == "success"
    assert merchant.get(f"/api/v1/orders/{order['id']}").json()["status"] == "paid"
    status = httpx.get(f"{merchant.base_url}/api/v1/test/jobs/status").json()
    assert status["worker_status"] == "running" and status["completed"] >= 2


def test_errors_over_http_use_the_envelope(local_stack: LocalStack) -> None:
    client = httpx.Client(base_url=local_stack.url, headers=AUTH, timeout=10)
    bad_json = client.post("/api/v1/orders", content=b"{oops", headers={"content-type": "application/json"})
    assert bad_json.status_code == 400 and bad_json.json()["error"]["code"] == "BAD_REQUEST_ERROR"
    no_auth = httpx.get(f"{local_stack.url}/api/v1/orders/order_x")
    assert no_auth.status_code == 401 and no_auth.json()["error"]["code"] == "AUTHENTICATION_ERROR"
    assert client.get("/api/v1/payments/pay_missing").status_code == 404


def test_health_and_seeded_merchant(local_stack: LocalStack) -> None:
    health = httpx.get(f"{local_stack.url}/health").json()
    assert (health["status"], health["database"], health["queue"]) == ("healthy", "connected", "connected")
    assert httpx.get(f"{local_stack.url}/api/v1/test/merchant").json()["seeded"] is True


def test_concurrent_requests_are_served_by_separate_workers(local_stack: LocalStack) -> None:
    """Concurrent requests must not share the handler's per-request state (one process per invocation)."""
    from concurrent.futures import ThreadPoolExecutor

    def create(amount: int) -> int:
        with httpx.Client(base_url=local_stack.url, headers=AUTH, timeout=20) as client:
            return int(client.post("/api/v1/orders", json={"amount": amount}).json()["amount"])

    amounts = list(range(1000, 1040))
    with ThreadPoolExecutor(8) as pool:
        assert list(pool.map(create, amounts)) == amounts
