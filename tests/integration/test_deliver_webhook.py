"""The deliver_webhook consumer posting to a real HTTP receiver on loopback."""

from __future__ import annotations

import json
import threading
from typing import Any

import deliver_webhook_handler
import process_payment_handler
import pytest

from tests.support import (
    DEFAULT_ENDPOINT_ID,
    TEST_MERCHANT_ID,
    WEBHOOK_SECRET,
    Gateway,
    WebhookReceiver,
    fake_message,
    hex_hmac,
    lambda_context,
)


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


def _pending_logs(gateway: Gateway, count: int) -> list[dict[str, Any]]:
    """Given `count` events pending delivery to the merchant's endpoint, their queue messages."""
    rows = gateway.rows(
        "INSERT INTO webhook_logs (merchant_id, endpoint_id, event_id, event, payload)"
        " SELECT %s, %s, 'evt_batch' || n, 'webhook.test', format('{\"n\":%%s}', n) FROM generate_series(1, %s) n"
        " RETURNING id::text AS id",
        (TEST_MERCHANT_ID, DEFAULT_ENDPOINT_ID, count),
    )
    return [fake_message(json.dumps({"webhook_log_id": row["id"]})) for row in rows]


def test_a_batch_is_posted_in_parallel_threads_that_never_touch_the_database(
    gateway: Gateway, receiver: WebhookReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gateway.adapters import postgres

    # Given ten deliveries due, five to each of two endpoints (an endpoint's cap of posts in flight),
    # and every database connection this process opens noted by thread
    gateway.set_webhook_url(receiver.url)
    messages = _pending_logs(gateway, 10)
    gateway.execute(
        "INSERT INTO webhook_endpoints (id, merchant_id, url, secret) VALUES ('we_parallel', %s, %s, %s)",
        (TEST_MERCHANT_ID, receiver.url, WEBHOOK_SECRET),
    )
    gateway.execute(
        "UPDATE webhook_logs SET endpoint_id = 'we_parallel' WHERE event_id IN (SELECT event_id"
        " FROM webhook_logs ORDER BY created_at, id LIMIT 5)"
    )
    opened_by: list[str] = []
    connect = postgres._connect

    def noted_connect() -> Any:
        opened_by.append(threading.current_thread().name)
        return connect()

    monkeypatch.setattr(postgres, "_connect", noted_connect)
    postgres.close_connection()
    # When they arrive as one batch
    assert _deliver(gateway, messages) == {"batchItemFailures": []}
    # Then all ten were posted, from more than one thread, and recorded on one connection
    assert len(receiver.wait_for(10)) == 10
    assert len({hook.json["n"] for hook in receiver.received}) == 10
    assert gateway.rows("SELECT DISTINCT status, attempts FROM webhook_logs") == [{"status": "success", "attempts": 1}]
    assert gateway.rows("SELECT count(*) AS n FROM webhook_attempts") == [{"n": 10}]
    assert opened_by == [threading.current_thread().name]


def test_a_duplicate_in_the_same_batch_sends_once(gateway: Gateway, receiver: WebhookReceiver) -> None:
    gateway.set_webhook_url(receiver.url)
    [message] = _pending_logs(gateway, 1)
    assert _deliver(gateway, [message, fake_message(message["Body"])]) == {"batchItemFailures": []}
    assert len(receiver.wait_for(2, timeout=1)) == 1
    assert gateway.rows("SELECT attempts FROM webhook_logs") == [{"attempts": 1}]


def test_a_record_naming_no_log_id_fails_alone(gateway: Gateway, receiver: WebhookReceiver) -> None:
    gateway.set_webhook_url(receiver.url)
    messages = _pending_logs(gateway, 2)
    poison = fake_message(json.dumps({"webhook_log_id": "not-a-uuid"}))
    assert _deliver(gateway, [*messages, poison]) == {"batchItemFailures": [{"itemIdentifier": poison["MessageId"]}]}
    assert len(receiver.wait_for(2)) == 2


def test_one_answer_in_a_batch_keeps_the_endpoint_in_the_fast_lane(gateway: Gateway, receiver: WebhookReceiver) -> None:
    # Given an endpoint that refuses one of a batch's two deliveries
    gateway.set_webhook_url(receiver.url)
    messages = _pending_logs(gateway, 2)
    receiver.responses.append(500)
    _deliver(gateway, messages)
    # Then it answers: not failing; the refused delivery is retried through the slow lane
    assert gateway.rows("SELECT failing_since FROM webhook_endpoints WHERE id = %s", (DEFAULT_ENDPOINT_ID,)) == [
        {"failing_since": None}
    ]
    assert sorted(row["status"] for row in gateway.rows("SELECT status FROM webhook_logs")) == ["pending", "success"]
    assert gateway.rows("SELECT queue, delay_seconds FROM outbox WHERE queue LIKE 'webhooks%%'") == [
        {"queue": "webhooks_slow", "delay_seconds": 60}
    ]
    # And when every delivery of a batch is refused, the endpoint is failing
    receiver.responses.extend([500, 500])
    _deliver(gateway, _pending_logs(gateway, 2))
    [endpoint] = gateway.rows("SELECT failing_since FROM webhook_endpoints WHERE id = %s", (DEFAULT_ENDPOINT_ID,))
    assert endpoint["failing_since"] is not None
