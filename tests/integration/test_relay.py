"""The outbox relay: nothing committed is lost when SQS is down, stuck payments are re-enqueued."""

from __future__ import annotations

import json
import os
from typing import Any

import process_payment_handler
import relay_outbox_handler

from tests.conftest import reset_gateway_caches
from tests.support import Gateway, lambda_context


def _relay() -> dict[str, int]:
    return dict(relay_outbox_handler.lambda_handler({"detail-type": "Scheduled Event"}, lambda_context()))


def test_a_payment_created_while_sqs_is_down_is_processed_once_it_is_back(gateway: Gateway, aws_endpoint: str) -> None:
    order = gateway.create_order()
    # Given the SQS endpoint is down while the payment is created...
    os.environ["AWS_ENDPOINT_URL"] = "http://127.0.0.1:1"
    reset_gateway_caches()
    try:
        payment = gateway.create_payment(order["id"])
    finally:
        os.environ["AWS_ENDPOINT_URL"] = aws_endpoint
        reset_gateway_caches()
    # ...the API still answered 201, because the job is committed in the outbox, not yet sent.
    assert gateway.rows("SELECT count(*) AS n FROM outbox WHERE sent_at IS NULL") == [{"n": 1}]
    assert gateway.receive("PaymentsQueue", wait_seconds=0) == []

    # When SQS is back and the relay runs (after its grace period)...
    gateway.execute("UPDATE outbox SET created_at = now() - interval '1 minute'")
    assert _relay()["relayed"] == 1
    messages = gateway.receive("PaymentsQueue")
    assert [json.loads(m["Body"]) for m in messages] == [{"payment_id": payment["id"]}]
    process_payment_handler.lambda_handler(gateway.sqs_event("PaymentsQueue", messages), lambda_context())

    # ...the payment is processed, and a second relay run sends nothing again.
    assert gateway.api("GET", f"/api/v1/payments/{payment['id']}").json["status"] == "success"
    assert _relay()["relayed"] == 0


def test_the_relay_leaves_fresh_messages_to_the_api(gateway: Gateway, aws_endpoint: str) -> None:
    os.environ["AWS_ENDPOINT_URL"] = "http://127.0.0.1:1"
    reset_gateway_caches()
    try:
        gateway.create_order()
        gateway.api(
            "POST",
            "/api/v1/payments",
            {"order_id": gateway.rows("SELECT id FROM orders")[0]["id"], "method": "upi", "vpa": "a@b"},
        )
    finally:
        os.environ["AWS_ENDPOINT_URL"] = aws_endpoint
        reset_gateway_caches()
    assert _relay()["relayed"] == 0  # younger than the grace period


def test_a_payment_whose_message_was_lost_is_requeued_once_per_period(gateway: Gateway) -> None:
    payment = gateway.create_payment(gateway.create_order()["id"])
    lost = gateway.receive("PaymentsQueue")  # received and never deleted or processed: as good as lost
    assert len(lost) == 1
    gateway.execute("UPDATE payments SET created_at = now() - interval '5 minutes'")

    report: dict[str, Any] = _relay()
    assert report["requeued_payments"] == 1
    assert _relay()["requeued_payments"] == 0  # not again until the period has passed

    requeued = gateway.receive("PaymentsQueue")
    assert [json.loads(m["Body"]) for m in requeued] == [{"payment_id": payment["id"]}]
    process_payment_handler.lambda_handler(gateway.sqs_event("PaymentsQueue", requeued), lambda_context())
    assert gateway.rows("SELECT status FROM payments") == [{"status": "success"}]


def test_expired_idempotency_keys_are_purged(gateway: Gateway) -> None:
    gateway.api("POST", "/api/v1/orders", {"amount": 5000}, headers={"idempotency-key": "a"})
    gateway.api("POST", "/api/v1/orders", {"amount": 5000}, headers={"idempotency-key": "b"})
    gateway.execute("UPDATE idempotency_keys SET expires_at = now() - interval '1 hour' WHERE key = 'a'")
    assert _relay()["purged_idempotency_keys"] == 1
    assert [row["key"] for row in gateway.rows("SELECT key FROM idempotency_keys")] == ["b"]
