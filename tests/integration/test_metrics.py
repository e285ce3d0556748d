"""Metrics and logs: one payment's life, through the real handlers, leaves the EMF lines CloudWatch
reads; API log lines name the merchant."""

from __future__ import annotations

import json
from typing import Any

import deliver_webhook_handler
import process_payment_handler
import process_refund_handler
import pytest

from tests.support import TEST_MERCHANT_ID, Gateway, WebhookReceiver, function_logs, lambda_context


def _emf(output: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in output.splitlines() if line.startswith('{"_aws"')]


def _points(records: list[dict[str, Any]], name: str) -> list[tuple[float, dict[str, str]]]:
    found = []
    for record in records:
        directive = record["_aws"]["CloudWatchMetrics"][0]
        assert directive["Namespace"] == "PaymentGateway"
        if any(metric["Name"] == name for metric in directive["Metrics"]):
            dimensions = {key: record[key] for group in directive["Dimensions"] for key in group}
            found += [(float(value), dimensions) for value in record[name]]
    return found


def test_a_payments_life_is_counted_in_emf(
    gateway: Gateway, receiver: WebhookReceiver, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # As in AWS, where each function has its service name (Powertools would add it as a dimension,
    # and the dashboard's queries, which name none, would then match nothing).
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "api")
    gateway.set_webhook_url(receiver.url)
    capsys.readouterr()
    # Given a card payment created through the API, processed, refunded, and its events delivered
    payment = gateway.create_payment(gateway.create_order()["id"], method="card")
    process_payment_handler.lambda_handler(
        gateway.sqs_event("PaymentsQueue", gateway.receive("PaymentsQueue")), lambda_context()
    )
    assert gateway.api("POST", f"/api/v1/payments/{payment['id']}/refunds", {"amount": 100}).status == 201
    process_refund_handler.lambda_handler(
        gateway.sqs_event("RefundsQueue", gateway.receive("RefundsQueue")), lambda_context()
    )
    webhook_messages = gateway.receive("WebhooksQueue")
    assert len(webhook_messages) >= 3
    deliver_webhook_handler.lambda_handler(gateway.sqs_event("WebhooksQueue", webhook_messages), lambda_context())
    # Then the functions' output carries each metric, with its dimensions
    records = _emf(capsys.readouterr().out)
    assert _points(records, "PaymentsCreated") == [(1.0, {"method": "card"})]
    assert _points(records, "PaymentsSucceeded") == [(1.0, {"method": "card"})]
    assert _points(records, "PaymentsFailed") == []
    assert _points(records, "RefundsCreated") == [(1.0, {})]
    assert _points(records, "RefundsProcessed") == [(1.0, {})]
    attempts = _points(records, "WebhookAttempts")
    assert len(attempts) == len(webhook_messages) and {d["outcome"] for _, d in attempts} == {"success"}
    assert len(_points(records, "WebhookDeliveryLatency")) == len(webhook_messages)
    api = _points(records, "ApiLatency")
    assert {d["route"] for _, d in api} == {"orders", "payments"} and all(ms > 0 for ms, _ in api)


def test_a_replayed_create_is_not_counted_again(gateway: Gateway, capsys: pytest.CaptureFixture[str]) -> None:
    order = gateway.create_order()
    capsys.readouterr()
    body = {"order_id": order["id"], "method": "upi", "vpa": "a@okhdfc"}
    for _ in range(2):
        assert gateway.api("POST", "/api/v1/payments", body, headers={"idempotency-key": "once"}).status == 201
    assert _points(_emf(capsys.readouterr().out), "PaymentsCreated") == [(1.0, {"method": "upi"})]


def test_failed_and_retried_deliveries_are_counted_by_outcome(
    gateway: Gateway, receiver: WebhookReceiver, capsys: pytest.CaptureFixture[str]
) -> None:
    receiver.responses.extend([500] * 10)
    gateway.set_webhook_url(receiver.url)
    gateway.create_payment(gateway.create_order()["id"])
    process_payment_handler.lambda_handler(
        gateway.sqs_event("PaymentsQueue", gateway.receive("PaymentsQueue")), lambda_context()
    )
    capsys.readouterr()
    messages = gateway.receive("WebhooksQueue")
    assert messages
    deliver_webhook_handler.lambda_handler(gateway.sqs_event("WebhooksQueue", messages), lambda_context())
    outcomes = {d["outcome"] for _, d in _points(_emf(capsys.readouterr().out), "WebhookAttempts")}
    assert outcomes == {"retry"}


def test_api_log_lines_carry_the_merchant_after_authentication(gateway: Gateway) -> None:
    import api_handler  # its logger (and JSON formatter) exists before the capture starts

    level = api_handler.logger.log_level
    api_handler.logger.setLevel("INFO")  # the tests run at WARNING; "request" lines are INFO
    try:
        with function_logs("api") as logs:
            assert gateway.api("POST", "/api/v1/orders", {"amount": 5000}).status == 201
            assert gateway.api("GET", "/api/v1/orders", headers={"x-api-secret": "wrong"}).status == 401
    finally:
        api_handler.logger.setLevel(level)
    lines = [json.loads(line) for line in logs.getvalue().splitlines() if line.startswith("{")]
    requests = [line for line in lines if line["message"] == "request"]
    assert [(r["status"], r.get("merchant_id")) for r in requests] == [(201, TEST_MERCHANT_ID), (401, None)]
    assert all(r["correlation_id"] for r in requests)
