"""Refunds on the real Postgres and SQS endpoint: rules, money safety, processing once."""

from __future__ import annotations

import json
import re
from typing import Any

import process_refund_handler
import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.domain import payments, refunds
from gateway.models.jobs import PaymentJob, RefundJob
from tests.support import Gateway, fake_message, lambda_context

REFUND_ID = re.compile(r"^rfnd_[A-Za-z0-9]{16}$")


def _paid(gateway: Gateway, amount: int = 10_000) -> dict[str, Any]:
    payment = gateway.create_payment(gateway.create_order(amount)["id"])
    payments.process_payment(PaymentJob(payment_id=payment["id"]))
    return payment


def _refund(gateway: Gateway, payment_id: str, body: Any, **headers: str) -> Any:
    return gateway.api("POST", f"/api/v1/payments/{payment_id}/refunds", body, headers=headers or None)


def test_partial_refund_is_created_pending_and_enqueued(gateway: Gateway) -> None:
    gateway.set_webhook_url("http://127.0.0.1:9/hook")
    payment = _paid(gateway)
    response = _refund(gateway, payment["id"], {"amount": 2500, "reason": "damaged"})
    assert response.status == 201
    refund = response.json
    assert REFUND_ID.match(refund["id"])
    assert (refund["payment_id"], refund["amount"], refund["reason"], refund["status"]) == (
        payment["id"],
        2500,
        "damaged",
        "pending",
    )
    assert refund["created_at"]
    assert [json.loads(m["Body"]) for m in gateway.receive("RefundsQueue")] == [{"refund_id": refund["id"]}]
    assert "refund.created" in {r["event"] for r in gateway.rows("SELECT event FROM webhook_logs")}
    shown = gateway.api("GET", f"/api/v1/payments/{payment['id']}").json
    assert (shown["amount_refunded"], shown["refund_status"]) == (2500, "partial")


def test_the_banks_refund_wait_passes_on_the_queue(gateway: Gateway, setting: Any) -> None:
    """The refund's message carries the bank's wait as its timer: the consumer never sleeps."""
    payment = _paid(gateway)
    setting("TEST_PROCESSING_DELAY", "1000")
    refund = _refund(gateway, payment["id"], {"amount": 2500}).json
    assert gateway.receive("RefundsQueue", wait_seconds=0) == [], "the refund was visible before its timer"
    messages = gateway.receive("RefundsQueue", wait_seconds=3)
    assert [json.loads(m["Body"]) for m in messages] == [{"refund_id": refund["id"]}]
    process_refund_handler.lambda_handler(gateway.sqs_event("RefundsQueue", messages), lambda_context())
    assert gateway.rows("SELECT status FROM refunds") == [{"status": "processed"}]


def test_refunds_up_to_the_full_amount_then_no_more(gateway: Gateway) -> None:
    payment = _paid(gateway)
    assert _refund(gateway, payment["id"], {"amount": 6000}).status == 201
    too_much = _refund(gateway, payment["id"], {"amount": 4001})
    assert too_much.status == 400
    assert too_much.json == {
        "error": {"code": "BAD_REQUEST_ERROR", "description": "Refund amount exceeds available amount"}
    }
    assert _refund(gateway, payment["id"], {"amount": 4000}).status == 201
    shown = gateway.api("GET", f"/api/v1/payments/{payment['id']}").json
    assert (shown["amount_refunded"], shown["refund_status"]) == (10_000, "full")
    assert _refund(gateway, payment["id"], {"amount": 1}).status == 400


def test_only_successful_payments_are_refundable(gateway: Gateway) -> None:
    pending = gateway.create_payment(gateway.create_order()["id"])
    response = _refund(gateway, pending["id"], {"amount": 100})
    assert response.status == 400 and response.json["error"]["description"] == "Payment not in refundable state"
    assert gateway.count("refunds") == 0


@pytest.mark.parametrize("amount", [0, -5, 10.5, 100.0, "100", True, None])
def test_refund_amount_must_be_a_positive_integer(gateway: Gateway, amount: Any) -> None:
    payment = _paid(gateway)
    response = _refund(gateway, payment["id"], {"amount": amount})
    assert response.status == 400 and response.json["error"]["code"] == "BAD_REQUEST_ERROR"
    assert gateway.count("refunds") == 0


def test_unknown_or_foreign_payment_is_404(gateway: Gateway) -> None:
    payment = _paid(gateway)
    gateway.execute(
        "INSERT INTO merchants (name, email, api_key, api_secret_hash, webhook_secret)"
        " VALUES ('Other', 'o@example.com', 'key_o', encode(sha256('secret_o'), 'hex'), 'whsec_o')"
    )
    other = {"x-api-key": "key_o", "x-api-secret": "secret_o"}
    assert (
        gateway.api("POST", f"/api/v1/payments/{payment['id']}/refunds", {"amount": 100}, headers=other).status == 404
    )
    assert _refund(gateway, "pay_missing", {"amount": 100}).status == 404


def test_refund_creation_is_idempotent(gateway: Gateway) -> None:
    payment = _paid(gateway)
    first = _refund(gateway, payment["id"], {"amount": 3000}, **{"idempotency-key": "r1"})
    again = _refund(gateway, payment["id"], {"amount": 3000}, **{"idempotency-key": "r1"})
    assert first.body == again.body and gateway.count("refunds") == 1


def test_the_database_refuses_an_over_refund_even_without_the_api(gateway: Gateway) -> None:
    import psycopg

    payment = _paid(gateway)
    with pytest.raises(psycopg.errors.CheckViolation):
        gateway.execute("UPDATE payments SET amount_refunded = amount + 1 WHERE id = %s", (payment["id"],))


def test_processing_marks_processed_once_and_emits_refund_processed(gateway: Gateway) -> None:
    gateway.set_webhook_url("http://127.0.0.1:9/hook")
    payment = _paid(gateway)
    refund = _refund(gateway, payment["id"], {"amount": 1000}).json
    messages = gateway.receive("RefundsQueue")
    event = gateway.sqs_event("RefundsQueue", messages)
    assert process_refund_handler.lambda_handler(event, lambda_context()) == {"batchItemFailures": []}
    duplicate = gateway.sqs_event("RefundsQueue", [fake_message(messages[0]["Body"])])
    assert process_refund_handler.lambda_handler(duplicate, lambda_context()) == {"batchItemFailures": []}

    shown = gateway.api("GET", f"/api/v1/refunds/{refund['id']}").json
    assert shown["status"] == "processed" and shown["processed_at"]
    assert gateway.rows("SELECT count(*) AS n FROM webhook_logs WHERE event = 'refund.processed'") == [{"n": 1}]


def test_a_refund_that_cannot_be_processed_stays_pending_and_is_retried(gateway: Gateway) -> None:
    payment = _paid(gateway)
    _refund(gateway, payment["id"], {"amount": 1000})
    gateway.execute("UPDATE payments SET status = 'failed' WHERE id = %s", (payment["id"],))  # should never happen
    messages = gateway.receive("RefundsQueue")
    # A batch whose every record failed raises: Lambda then retries the whole batch.
    with pytest.raises(BatchProcessingError):
        process_refund_handler.lambda_handler(gateway.sqs_event("RefundsQueue", messages), lambda_context())
    assert gateway.rows("SELECT status FROM refunds") == [{"status": "pending"}]


def test_refund_lists(gateway: Gateway) -> None:
    first, second = _paid(gateway), _paid(gateway)
    made = [
        _refund(gateway, first["id"], {"amount": 100}).json,
        _refund(gateway, second["id"], {"amount": 200}).json,
        _refund(gateway, first["id"], {"amount": 300}).json,
    ]
    all_refunds = gateway.api("GET", "/api/v1/refunds?limit=2").json
    assert all_refunds["total"] == 3 and all_refunds["has_more"] is True
    assert [r["id"] for r in all_refunds["data"]] == [made[2]["id"], made[1]["id"]]
    of_first = gateway.api("GET", f"/api/v1/payments/{first['id']}/refunds").json
    assert {r["id"] for r in of_first["data"]} == {made[0]["id"], made[2]["id"]}
    assert gateway.api("GET", "/api/v1/refunds?status=processed").json["total"] == 0
    assert gateway.api("GET", "/api/v1/refunds?status=done").status == 400
    assert gateway.api("GET", "/api/v1/refunds/rfnd_missing").status == 404
    assert gateway.api("GET", "/api/v1/payments/pay_missing/refunds").status == 404


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(st.one_of(st.integers(min_value=-50, max_value=12_000), st.just("process")), max_size=12))
def test_refund_sequences_never_exceed_the_amount(gateway: Gateway, steps: list[int | str]) -> None:
    """Random refund requests (some invalid) interleaved with consumer runs."""
    gateway.set_webhook_url("http://127.0.0.1:9/hook")
    payment = _paid(gateway, 10_000)
    accepted = 0
    for step in steps:
        if step == "process":
            for refund in gateway.rows("SELECT id FROM refunds WHERE payment_id = %s", (payment["id"],)):
                refunds.process_refund(RefundJob(refund_id=refund["id"]))
            continue
        assert isinstance(step, int)
        response = _refund(gateway, payment["id"], {"amount": step})
        if response.status == 201:
            accepted += step
        else:
            assert response.status == 400
        assert accepted <= 10_000

    stored = gateway.rows(
        "SELECT coalesce(sum(amount), 0) AS total FROM refunds WHERE payment_id = %s", (payment["id"],)
    )[0]["total"]
    shown = gateway.api("GET", f"/api/v1/payments/{payment['id']}").json["amount_refunded"]
    assert stored == shown == accepted <= 10_000
    processed = gateway.rows("SELECT id FROM refunds WHERE payment_id = %s AND status = 'processed'", (payment["id"],))
    events = gateway.rows("SELECT payload FROM webhook_logs WHERE event = 'refund.processed'")
    event_refund_ids = [json.loads(e["payload"])["data"]["refund"]["id"] for e in events]
    for refund in processed:
        assert event_refund_ids.count(refund["id"]) == 1
