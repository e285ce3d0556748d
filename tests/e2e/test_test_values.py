"""Test values (issue 23, item 1) through the running stack: each documented UPI address and card
number gives its status, error code and description on the payment and in a signed
payment.success/failed webhook at a real receiver (the stack approves everything else:
TEST_PAYMENT_SUCCESS=true)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from gateway.domain.test_values import TEST_VALUES, TestValue
from tests.e2e_support import LocalStack
from tests.support import AUTH, VALID_CARD, WEBHOOK_SECRET, ReceivedWebhook, WebhookReceiver, hex_hmac

pytestmark = pytest.mark.e2e


def _instrument(value: TestValue) -> dict[str, Any]:
    if value.method == "upi":
        return {"method": "upi", "vpa": value.value}
    return {"method": "card", "card": {**VALID_CARD, "number": value.value}}


def test_each_test_value_gives_its_status_code_and_webhook(local_stack: LocalStack, receiver: WebhookReceiver) -> None:
    merchant = httpx.Client(base_url=local_stack.url, headers=AUTH, timeout=10)
    assert merchant.put("/api/v1/merchant/webhook", json={"webhook_url": receiver.url}).status_code == 200
    # The checkout's route (publishable key only) honours them too: the last value goes through it.
    checkout = httpx.Client(base_url=local_stack.url, headers={"x-api-key": AUTH["x-api-key"]}, timeout=10)
    created: dict[str, str] = {}
    for n, value in enumerate(TEST_VALUES):
        order = merchant.post("/api/v1/orders", json={"amount": 10_000 + n}).json()
        last = n == len(TEST_VALUES) - 1
        client, path = (checkout, "/api/v1/payments/public") if last else (merchant, "/api/v1/payments")
        response = client.post(path, json={"order_id": order["id"], **_instrument(value)})
        assert response.status_code == 201, response.text
        created[value.value] = response.json()["id"]

    def outcome_of(payment_id: str) -> ReceivedWebhook | None:
        return receiver.wait_for_match(
            lambda hook: (
                hook.json["event"] in ("payment.success", "payment.failed")
                and hook.json["data"]["payment"]["id"] == payment_id
            ),
            timeout=30,
        )

    for value in TEST_VALUES:
        hook = outcome_of(created[value.value])
        assert hook is not None, f"no payment.success/failed webhook for {value.value} within 30 s"
        assert hook.headers["x-webhook-signature"] == hex_hmac(WEBHOOK_SECRET, hook.body)
        sent = hook.json["data"]["payment"]
        assert (hook.json["event"], sent["status"], sent["error_code"], sent["error_description"]) == (
            f"payment.{value.status}",
            value.status,
            value.error_code,
            value.error_description,
        ), value.value
        stored = merchant.get(f"/api/v1/payments/{created[value.value]}").json()
        assert (stored["status"], stored["error_code"], stored["error_description"]) == (
            value.status,
            value.error_code,
            value.error_description,
        )
        print(f"\n{value.value:>20}: {value.status} {value.error_code or ''}", end="")
