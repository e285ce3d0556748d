"""The deliver_webhook consumer posting to a real HTTP receiver on loopback."""

from __future__ import annotations

import json
from typing import Any

import deliver_webhook_handler
import process_payment_handler

from tests.support import WEBHOOK_SECRET, Gateway, WebhookReceiver, fake_message, hex_hmac, lambda_context


def _deliver(gateway: Gateway, messages: list[dict[str, Any]]) -> dict[str, Any]:
    event = gateway.sqs_event("WebhooksQueue", messages)
    return dict(deliver_webhook_handler.lambda_handler(event, lambda_context()))


def _processed_payment(gateway: Gateway, url: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Given a processed payment, the real message its payment.success event put on the webhooks queue."""
    payment = gateway.create_payment(gateway.create_order()["id"])
    gateway.set_webhook_url(url)  # after creation: only payment.success is logged
    event = gateway.sqs_event("PaymentsQueue", gateway.receive("PaymentsQueue"))
    process_payment_handler.lambda_handler(event, lambda_context())
    messages = gateway.receive("WebhooksQueue")
    assert len(messages) == 1
    return payment, messages


def test_delivers_a_signed_payment_success(gateway: Gateway, receiver: WebhookReceiver) -> None:
    payment, messages = _processed_payment(gateway, receiver.url)

    assert _deliver(gateway, messages) == {"batchItemFailures": []}

    [hook] = receiver.wait_for(1)
    assert hook.path == "/webhooks"
    assert hook.headers["content-type"] == "application/json"
    assert hook.headers["x-webhook-signature"] == hex_hmac(WEBHOOK_SECRET, hook.body)
    assert hook.body == json.dumps(hook.json, separators=(",", ":"), ensure_ascii=False).encode()
    assert hook.json["event"] == "payment.success" and isinstance(hook.json["timestamp"], int)
    assert hook.json["data"]["payment"]["id"] == payment["id"]
    assert hook.json["data"]["payment"]["status"] == "success"
    [log] = gateway.rows("SELECT status, attempts, response_code, last_attempt_at FROM webhook_logs")
    assert (log["status"], log["attempts"], log["response_code"]) == ("success", 1, 200)
    assert log["last_attempt_at"] is not None


def test_a_non_2xx_answer_is_recorded_and_retried_in_a_minute(gateway: Gateway, receiver: WebhookReceiver) -> None:
    receiver.responses.append(500)
    _, messages = _processed_payment(gateway, receiver.url)
    _deliver(gateway, messages)
    [log] = gateway.rows(
        "SELECT status, attempts, response_code, response_body,"
        " extract(epoch FROM next_retry_at - last_attempt_at)::int AS wait FROM webhook_logs"
    )
    assert (log["status"], log["attempts"], log["response_code"], log["wait"]) == ("pending", 1, 500, 60)
    assert log["response_body"] == '{"ok":true}'


def test_an_unreachable_endpoint_is_recorded_with_its_error(gateway: Gateway) -> None:
    _, messages = _processed_payment(gateway, "http://127.0.0.1:9/closed")
    _deliver(gateway, messages)
    [log] = gateway.rows("SELECT status, attempts, response_code, last_error FROM webhook_logs")
    assert (log["status"], log["attempts"], log["response_code"]) == ("pending", 1, None)
    assert "ConnectError" in log["last_error"]


def test_a_duplicate_message_sends_once(gateway: Gateway, receiver: WebhookReceiver) -> None:
    _, messages = _processed_payment(gateway, receiver.url)
    _deliver(gateway, messages)
    _deliver(gateway, [fake_message(messages[0]["Body"])])
    assert len(receiver.wait_for(2, timeout=1)) == 1
    assert gateway.rows("SELECT attempts FROM webhook_logs") == [{"attempts": 1}]


def test_a_url_removed_before_sending_skips_the_event(gateway: Gateway, receiver: WebhookReceiver) -> None:
    _, messages = _processed_payment(gateway, receiver.url)
    gateway.set_webhook_url(None)
    _deliver(gateway, messages)
    assert receiver.received == []
    assert gateway.rows("SELECT status FROM webhook_logs") == [{"status": "skipped"}]


def test_a_malformed_record_fails_alone(gateway: Gateway, receiver: WebhookReceiver) -> None:
    _, messages = _processed_payment(gateway, receiver.url)
    poison = fake_message("not json")
    result = _deliver(gateway, [poison, *messages])
    assert result == {"batchItemFailures": [{"itemIdentifier": poison["MessageId"]}]}
    assert len(receiver.wait_for(1)) == 1
