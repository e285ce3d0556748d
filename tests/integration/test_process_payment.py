"""The process_payment consumer with SQS batch events, on the real Postgres and SQS endpoint."""

from __future__ import annotations

import json
import threading
from typing import Any

import process_payment_handler

from gateway.domain import outbox, payments
from gateway.models.jobs import PaymentJob
from tests.support import VALID_CARD, Gateway, fake_message, lambda_context


def _run(gateway: Gateway, messages: list[dict[str, Any]]) -> dict[str, Any]:
    return dict(process_payment_handler.lambda_handler(gateway.sqs_event("PaymentsQueue", messages), lambda_context()))


OUTCOME_EVENTS = (
    "SELECT id, event, payload, status FROM webhook_logs WHERE event IN ('payment.success', 'payment.failed')"
)


def _pending_payment(
    gateway: Gateway, method: str = "upi", **instrument: Any
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Given a created payment, the real message the API put on the payments queue."""
    order = gateway.create_order()
    payment = gateway.create_payment(order["id"], method, **instrument)
    messages = gateway.receive("PaymentsQueue")
    assert len(messages) == 1
    return payment, messages


def test_payment_succeeds_and_a_payment_success_webhook_is_enqueued(gateway: Gateway) -> None:
    gateway.set_webhook_url("http://127.0.0.1:9/hook")
    payment, messages = _pending_payment(gateway)

    assert _run(gateway, messages) == {"batchItemFailures": []}

    stored = gateway.api("GET", f"/api/v1/payments/{payment['id']}").json
    assert stored["status"] == "success" and stored["error_code"] is None
    assert gateway.rows("SELECT status FROM orders") == [{"status": "paid"}]
    logs = gateway.rows(OUTCOME_EVENTS)
    assert [(log["event"], log["status"]) for log in logs] == [("payment.success", "pending")]
    payload = json.loads(logs[0]["payload"])
    assert list(payload) == ["id", "event", "timestamp", "data"] and payload["id"].startswith("evt_")
    assert payload["data"]["payment"]["id"] == payment["id"] and payload["data"]["payment"]["status"] == "success"
    queued = [json.loads(m["Body"]) for m in gateway.receive("WebhooksQueue")]
    assert {"webhook_log_id": str(logs[0]["id"])} in queued


def test_declined_payment_is_failed_with_an_error_code(gateway: Gateway, setting: Any) -> None:
    setting("TEST_PAYMENT_SUCCESS", "false")
    gateway.set_webhook_url("http://127.0.0.1:9/hook")
    # Not a test value (4111 1111 1111 1111 succeeds whatever TEST_PAYMENT_SUCCESS says).
    payment, messages = _pending_payment(gateway, "card", card={**VALID_CARD, "number": "5555 5555 5555 4444"})
    _run(gateway, messages)
    stored = gateway.api("GET", f"/api/v1/payments/{payment['id']}").json
    assert (stored["status"], stored["error_code"]) == ("failed", "PAYMENT_FAILED")
    assert stored["error_description"]
    assert gateway.rows("SELECT status FROM orders") == [{"status": "attempted"}]
    assert [r["event"] for r in gateway.rows(OUTCOME_EVENTS)] == ["payment.failed"]


def test_without_a_webhook_url_no_event_is_logged(gateway: Gateway) -> None:
    _, messages = _pending_payment(gateway)
    _run(gateway, messages)
    assert gateway.count("webhook_logs") == 0
    assert gateway.receive("WebhooksQueue", wait_seconds=0) == []


def test_a_duplicate_delivery_processes_the_payment_once(gateway: Gateway) -> None:
    gateway.set_webhook_url("http://127.0.0.1:9/hook")
    _, messages = _pending_payment(gateway)
    duplicate = [fake_message(messages[0]["Body"])]

    assert _run(gateway, messages) == {"batchItemFailures": []}
    assert _run(gateway, duplicate) == {"batchItemFailures": []}

    assert len(gateway.rows(OUTCOME_EVENTS)) == 1
    assert gateway.rows("SELECT status FROM payments") == [{"status": "success"}]


def test_concurrent_duplicate_deliveries_process_once(gateway: Gateway) -> None:
    """Four consumers (Lambda instances) get the same message at once: one processes it."""
    gateway.set_webhook_url("http://127.0.0.1:9/hook")
    _, messages = _pending_payment(gateway)
    job = PaymentJob.model_validate_json(messages[0]["Body"])
    results: list[str | None] = []
    threads = [threading.Thread(target=lambda: results.append(payments.process_payment(job))) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results, key=str) == [None, None, None, "success"]
    assert len(gateway.rows(OUTCOME_EVENTS)) == 1


def _bank_reply(gateway: Gateway) -> list[dict[str, Any]]:
    """The delayed message a claim left: invisible until its timer runs out (SQS DelaySeconds)."""
    assert gateway.receive("PaymentsQueue", wait_seconds=0) == [], "the bank's reply was visible before its timer"
    replies = gateway.receive("PaymentsQueue", wait_seconds=3)
    assert len(replies) == 1
    assert PaymentJob.model_validate_json(replies[0]["Body"]).bank_reply is not None
    return replies


def test_no_invocation_waits_for_the_bank(gateway: Gateway, setting: Any) -> None:
    """The bank's wait passes on the queue: the first delivery claims, a timed message finishes."""
    setting("TEST_PROCESSING_DELAY", "1000")
    gateway.set_webhook_url("http://127.0.0.1:9/hook")
    payment, messages = _pending_payment(gateway)

    # When the request's message is handled, the payment is claimed and announced, not finished...
    assert _run(gateway, messages) == {"batchItemFailures": []}
    assert gateway.rows("SELECT status FROM payments") == [{"status": "processing"}]
    announced = [json.loads(m["Body"]) for m in gateway.receive("WebhooksQueue")]
    assert len(announced) == 2 and gateway.rows(OUTCOME_EVENTS) == []
    # ...and the bank's reply arrives by itself after its timer and finishes it, once.
    replies = _bank_reply(gateway)
    assert _run(gateway, replies) == {"batchItemFailures": []}
    assert _run(gateway, [fake_message(replies[0]["Body"])]) == {"batchItemFailures": []}
    stored = gateway.api("GET", f"/api/v1/payments/{payment['id']}").json
    assert stored["status"] == "success"
    events = gateway.rows("SELECT event FROM webhook_logs ORDER BY created_at, event")
    assert [e["event"] for e in events].count("payment.success") == 1


def test_a_reply_to_a_claim_taken_over_is_dropped(gateway: Gateway, setting: Any) -> None:
    setting("TEST_PROCESSING_DELAY", "1000")
    setting("TEST_PAYMENT_SUCCESS", "false")
    gateway.set_webhook_url("http://127.0.0.1:9/hook")
    payment, messages = _pending_payment(gateway)
    _run(gateway, messages)
    stale = _bank_reply(gateway)
    # Given the claim's lease ran out (its reply was lost in a backlog) and the sweep's message re-claimed it...
    gateway.execute(
        "UPDATE payments SET processing_started_at = processing_started_at - interval '10 minutes' WHERE id = %s",
        (payment["id"],),
    )
    setting("TEST_PAYMENT_SUCCESS", "true")
    _run(gateway, [fake_message(PaymentJob(payment_id=payment["id"]).model_dump_json())])
    current = _bank_reply(gateway)
    # ...when the first claim's reply arrives late, it changes nothing; the current claim's reply decides.
    _run(gateway, stale)
    assert gateway.rows("SELECT status FROM payments") == [{"status": "processing"}]
    _run(gateway, current)
    assert gateway.rows("SELECT status FROM payments") == [{"status": "success"}]
    assert [r["event"] for r in gateway.rows(OUTCOME_EVENTS)] == ["payment.success"]


def test_one_bad_record_fails_alone(gateway: Gateway) -> None:
    first, first_messages = _pending_payment(gateway)
    second, second_messages = _pending_payment(gateway)
    poison = fake_message('{"not": "a payment job"}')
    batch = [first_messages[0], poison, second_messages[0]]

    result = _run(gateway, batch)

    assert result == {"batchItemFailures": [{"itemIdentifier": poison["MessageId"]}]}
    statuses = {r["id"]: r["status"] for r in gateway.rows("SELECT id, status FROM payments")}
    assert statuses == {first["id"]: "success", second["id"]: "success"}


def test_a_crashed_consumer_does_not_block_the_payment_forever(gateway: Gateway, setting: Any) -> None:
    payment, messages = _pending_payment(gateway)
    # Given a consumer that claimed the payment and died before finishing...
    gateway.execute(
        "UPDATE payments SET status = 'processing', processing_started_at = now() - interval '10 minutes'"
        " WHERE id = %s",
        (payment["id"],),
    )
    # ...when the message comes back after its visibility timeout, the payment is finished.
    _run(gateway, [fake_message(messages[0]["Body"])])
    assert gateway.rows("SELECT status FROM payments") == [{"status": "success"}]


def test_a_live_claim_is_not_stolen(gateway: Gateway) -> None:
    payment, messages = _pending_payment(gateway)
    gateway.execute(
        "UPDATE payments SET status = 'processing', processing_started_at = now() WHERE id = %s", (payment["id"],)
    )
    _run(gateway, messages)
    assert gateway.rows("SELECT status FROM payments") == [{"status": "processing"}]


def test_a_batch_sends_what_its_records_publish_together_at_its_end(gateway: Gateway) -> None:
    gateway.set_webhook_url("http://127.0.0.1:9/hook")
    jobs = [PaymentJob.model_validate_json(_pending_payment(gateway)[1][0]["Body"]) for _ in range(3)]
    with outbox.sent_together():
        assert [payments.process_payment(job) for job in jobs] == ["success"] * 3
        # Committed, not yet sent: nothing on the queue until the batch ends.
        assert gateway.receive("WebhooksQueue", wait_seconds=0) == []
    sent = gateway.receive("WebhooksQueue") + gateway.receive("WebhooksQueue") + gateway.receive("WebhooksQueue")
    assert len(sent) == 9  # created, pending and success for each payment
    assert gateway.rows("SELECT count(*) AS unsent FROM outbox WHERE sent_at IS NULL") == [{"unsent": 0}]
