"""Test values (issue 23, item 1) through the real API handler, Postgres, the payments queue and its
consumer: each documented value gives its status, code and description on the payment and in its
payment.success/failed event, and no card number reaches a row or a message."""

from __future__ import annotations

import json
from typing import Any

from gateway.domain import payments
from gateway.domain.test_values import TEST_VALUES, TestValue
from gateway.models.jobs import PaymentJob
from tests.support import Gateway

CARD = {"expiry_month": "12", "expiry_year": "2035", "cvv": "123"}


def _pay(gateway: Gateway, value: TestValue) -> dict[str, Any]:
    order = gateway.create_order()
    if value.method == "upi":
        return gateway.create_payment(order["id"], "upi", vpa=value.value)
    return gateway.create_payment(order["id"], "card", card={"number": value.value, **CARD})


def _everything_stored_and_queued(gateway: Gateway) -> str:
    """Every row a payment touches, and what the queues held, as one text."""
    tables = ("payments", "outbox", "events", "webhook_logs", "idempotency_keys")
    rows = [gateway.rows(f"SELECT * FROM {table}") for table in tables]
    return json.dumps(rows, default=str)


def test_each_test_value_gives_its_documented_outcome_and_event(gateway: Gateway, setting: Any) -> None:
    # The bank declines everything else: the approving test values approve all the same.
    setting("TEST_PAYMENT_SUCCESS", "false")
    gateway.set_webhook_url("http://127.0.0.1:9/hook")
    created = {value.value: _pay(gateway, value) for value in TEST_VALUES}

    processed = 0
    while processed < len(TEST_VALUES) and (ran := gateway.process_payment_jobs()):
        processed += ran
    assert processed == len(TEST_VALUES)

    for value in TEST_VALUES:
        payment_id = created[value.value]["id"]
        stored = gateway.api("GET", f"/api/v1/payments/{payment_id}").json
        assert (stored["status"], stored["error_code"], stored["error_description"]) == (
            value.status,
            value.error_code,
            value.error_description,
        ), value.value
        assert "test_outcome" not in stored  # the API never shows it
        [event] = gateway.rows(
            "SELECT type, payload FROM events WHERE payment_id = %s AND type IN ('payment.success', 'payment.failed')",
            (payment_id,),
        )
        assert event["type"] == f"payment.{value.status}", value.value
        data = json.loads(event["payload"])["data"]["payment"]
        assert (data["error_code"], data["error_description"]) == (value.error_code, value.error_description)
        [delivery] = gateway.rows(
            "SELECT payload FROM webhook_logs WHERE payment_id = %s AND event = %s", (payment_id, event["type"])
        )
        assert json.loads(delivery["payload"])["data"]["payment"]["error_code"] == value.error_code

    stored_text = _everything_stored_and_queued(gateway).replace(" ", "")
    for value in TEST_VALUES:
        if value.method == "card":
            assert value.value.replace(" ", "") not in stored_text


def test_outside_test_mode_test_values_are_ordinary_values(gateway: Gateway, setting: Any) -> None:
    setting("TEST_MODE", "false")
    for value in TEST_VALUES:
        _pay(gateway, value)

    assert gateway.rows("SELECT DISTINCT test_outcome FROM payments") == [{"test_outcome": None}]


def test_the_payment_keeps_the_outcome_word_so_a_requeued_job_still_gets_it(gateway: Gateway) -> None:
    declined = next(value for value in TEST_VALUES if value.error_code == "INCORRECT_CVC")
    payment = _pay(gateway, declined)
    assert gateway.rows("SELECT test_outcome FROM payments") == [{"test_outcome": "INCORRECT_CVC"}]
    # A job that names only the payment (the relay's re-enqueue of a lost message) finds it on the row.
    gateway.drain("PaymentsQueue")
    assert payments.process_payment(PaymentJob(payment_id=payment["id"])) == "failed"
    assert gateway.rows("SELECT error_code FROM payments") == [{"error_code": "INCORRECT_CVC"}]
