"""Test values (issue 23, item 1) without Postgres: each documented value asks for its outcome at
creation, the payment keeps only that word, and processing gives the documented status, code and
description in the payment and its payment.success/failed event, whatever the simulated bank says."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.domain.instruments import validate_card
from gateway.domain.payments import requested_test_outcome
from gateway.domain.test_values import DECLINE_REASONS, TEST_VALUES, TestValue, decline_reason
from gateway.models.payments import CardDetails, CardPaymentRequest, UpiPaymentRequest
from tests.unit.test_payment_processing import START, World

DOCUMENTED = [
    ("success@test", "success", None, None),
    ("failure@test", "failed", "PAYMENT_FAILED", "Payment declined by the bank"),
    ("4111 1111 1111 1111", "success", None, None),
    ("4000 0000 0000 0002", "failed", "CARD_DECLINED", DECLINE_REASONS["CARD_DECLINED"]),
    ("4000 0000 0000 9995", "failed", "INSUFFICIENT_FUNDS", DECLINE_REASONS["INSUFFICIENT_FUNDS"]),
    ("4000 0000 0000 0069", "failed", "EXPIRED_CARD", DECLINE_REASONS["EXPIRED_CARD"]),
    ("4000 0000 0000 0127", "failed", "INCORRECT_CVC", DECLINE_REASONS["INCORRECT_CVC"]),
    ("4000 0000 0000 0119", "failed", "PROCESSING_ERROR", DECLINE_REASONS["PROCESSING_ERROR"]),
]


def _request(value: str) -> UpiPaymentRequest | CardPaymentRequest:
    if "@" in value:
        return UpiPaymentRequest(order_id="order_1", method="upi", vpa=value)
    card = CardDetails(number=value, expiry_month="12", expiry_year="2035", cvv="123")
    return CardPaymentRequest(order_id="order_1", method="card", card=card)


def test_the_table_is_the_documented_one() -> None:
    assert [(v.value, v.status, v.error_code, v.error_description) for v in TEST_VALUES] == DOCUMENTED
    assert all(description for description in DECLINE_REASONS.values())


@pytest.mark.parametrize("value", [v for v in TEST_VALUES if v.method == "card"], ids=lambda v: v.value)
def test_every_test_card_is_a_valid_card(value: TestValue) -> None:
    summary = validate_card(value.value, "12", "2035", "123", START.date())
    assert summary.network == "visa" and summary.last4 == value.value[-4:]


@pytest.mark.parametrize("value", TEST_VALUES, ids=lambda v: v.value)
def test_a_test_value_asks_for_its_outcome_as_a_word_never_the_number(value: TestValue) -> None:
    outcome = requested_test_outcome(_request(value.value))

    assert outcome == value.outcome
    assert outcome is not None and not any(char.isdigit() for char in outcome)


@pytest.mark.parametrize(
    ("written", "outcome"),
    [
        ("SUCCESS@TEST", "success"),
        ("Failure@Test", "PAYMENT_FAILED"),
        ("4000000000009995", "INSUFFICIENT_FUNDS"),
        ("4000-0000-0000-0002", "CARD_DECLINED"),
    ],
)
def test_a_test_value_is_recognised_however_it_is_written(written: str, outcome: str) -> None:
    assert requested_test_outcome(_request(written)) == outcome


@pytest.mark.parametrize("ordinary", ["shopper@okhdfc", "success@okaxis", "5555 5555 5555 4444", "4242424242424242"])
def test_other_values_ask_for_nothing(ordinary: str) -> None:
    assert requested_test_outcome(_request(ordinary)) is None


def test_an_unknown_or_absent_decline_code_is_the_bank_s_generic_decline() -> None:
    assert decline_reason(None) == ("PAYMENT_FAILED", "Payment declined by the bank")
    assert decline_reason("SOMETHING_NEW") == ("PAYMENT_FAILED", "Payment declined by the bank")
    assert decline_reason("INCORRECT_CVC") == ("INCORRECT_CVC", DECLINE_REASONS["INCORRECT_CVC"])


def _outcome_event(world: World) -> tuple[str, dict[str, Any]]:
    [(event, data)] = world.records.events
    return event, data["payment"]


@pytest.mark.parametrize("value", TEST_VALUES, ids=lambda v: v.value)
@pytest.mark.parametrize("bank_approves", [True, False], ids=["bank-approves", "bank-declines"])
def test_processing_gives_the_documented_outcome_whatever_the_bank_says(value: TestValue, bank_approves: bool) -> None:
    world = World(bank_wait=0, approves=bank_approves, test_outcome=value.outcome)

    assert world.deliver(world.request_job) == value.status

    payment = world.payment
    assert (payment.status, payment.error_code, payment.error_description) == (
        value.status,
        value.error_code,
        value.error_description,
    )
    event, payload = _outcome_event(world)
    assert event == f"payment.{value.status}"
    assert (payload["error_code"], payload["error_description"]) == (value.error_code, value.error_description)


def test_the_timed_bank_reply_carries_the_decline_code_only() -> None:
    world = World(bank_wait=7, approves=True, test_outcome="INSUFFICIENT_FUNDS")

    assert world.deliver(world.request_job) is None
    body = world.records.outbox[2].body
    reply = world.staged_reply(3)
    assert reply.bank_reply is not None and reply.bank_reply.error_code == "INSUFFICIENT_FUNDS"
    assert "9995" not in body

    world.clock.advance(7)
    assert world.deliver(reply) == "failed"
    assert (world.payment.error_code, world.payment.error_description) == (
        "INSUFFICIENT_FUNDS",
        "The card has insufficient funds",
    )


def test_without_a_test_value_the_bank_decides_as_before() -> None:
    world = World(bank_wait=0, approves=False, test_outcome=None)

    assert world.deliver(world.request_job) == "failed"
    assert (world.payment.error_code, world.payment.error_description) == (
        "PAYMENT_FAILED",
        "Payment declined by the bank",
    )


def test_the_readme_table_is_this_table() -> None:
    from tests.support import ROOT

    text = (ROOT / "README.md").read_text()
    section = text.split("### Test values", 1)[1].split("\n#", 1)[0]
    rows = [
        [cell.strip().strip("`") or None for cell in line.strip("|").split("|")]
        for line in section.splitlines()
        if line.startswith(("| UPI", "| card"))
    ]
    assert rows == [
        [{"upi": "UPI", "card": "card"}[v.method], v.value, v.status, v.error_code, v.error_description]
        for v in TEST_VALUES
    ]
