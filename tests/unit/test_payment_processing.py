"""Payment processing's rules through its seams (gateway.domain.ports), without Postgres or SQS: the
claim, the bank's reply accepted or dropped, the final status, and what is published in which order.

The in-memory records keep payment_store's claim and finish conditions (the SQL decides them in
production, atomically; tests/integration/test_process_payment.py runs the same stories on Postgres),
with the fake clock as the database's.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from pydantic import BaseModel

from gateway.adapters.payment_store import PaymentRow
from gateway.domain.payments import PaymentProcessor, ProcessingPolicy, payment_instrument
from gateway.errors import ExpiredCard
from gateway.models.jobs import PaymentJob
from gateway.models.payments import CardDetails, CardPaymentRequest

LEASE_SECONDS = 60
START = datetime(2026, 12, 6, 10, 0, tzinfo=UTC)


@dataclasses.dataclass
class FakeClock:
    at: datetime

    def now(self) -> datetime:
        return self.at

    def advance(self, seconds: float) -> None:
        self.at += timedelta(seconds=seconds)


@dataclasses.dataclass
class RecordingPublisher:
    """Each publish_unsent call's outbox ids, in order."""

    calls: list[list[int]] = dataclasses.field(default_factory=list)

    def publish_unsent(self, outbox_ids: list[int]) -> int:
        self.calls.append(list(outbox_ids))
        return len(outbox_ids)


@dataclasses.dataclass(frozen=True)
class OutboxRow:
    queue: str
    body: Any
    delay_seconds: int = 0


class InMemoryRecords:
    """ProcessingRecords in memory; a transaction that raises leaves nothing behind."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.payments: dict[str, PaymentRow] = {}
        self.orders: dict[str, str] = {}
        self.outbox: list[OutboxRow] = []  # an outbox id is its position + 1
        self.events: list[tuple[str, dict[str, Any]]] = []
        self.fail_on_event = False

    @contextmanager
    def transaction(self) -> Iterator[InMemoryRecords]:
        saved = (dict(self.payments), dict(self.orders), list(self.outbox), list(self.events))
        try:
            yield self
        except BaseException:
            self.payments, self.orders, self.outbox, self.events = saved
            raise

    def _add(self, row: OutboxRow) -> int:
        self.outbox.append(row)
        return len(self.outbox)

    def claim_payment(self, payment_id: str, lease_seconds: int) -> PaymentRow | None:
        payment = self.payments.get(payment_id)
        now = self.clock.now()
        if payment is None:
            return None
        started = payment.processing_started_at
        lease_over = started is not None and started < now - timedelta(seconds=lease_seconds)
        if not (payment.status == "pending" or (payment.status == "processing" and lease_over)):
            return None
        return self._update(payment, status="processing", processing_started_at=now)

    def finish_payment(
        self,
        payment_id: str,
        claimed_at: datetime,
        status: str,
        error_code: str | None,
        error_description: str | None,
    ) -> PaymentRow | None:
        payment = self.payments.get(payment_id)
        if payment is None or payment.status != "processing" or payment.processing_started_at != claimed_at:
            return None
        return self._update(payment, status=status, error_code=error_code, error_description=error_description)

    def _update(self, payment: PaymentRow, **changes: Any) -> PaymentRow:
        updated = payment._replace(updated_at=self.clock.now(), **changes)
        self.payments[payment.id] = updated
        return updated

    def credit_order(self, payment: PaymentRow) -> list[int]:
        self.orders[payment.order_id] = "paid"  # an order without a payment link: no link event
        return []

    def record_event(self, merchant_id: str, event: str, data: dict[str, Any]) -> list[int]:
        if self.fail_on_event:
            raise ConnectionError("the database went away")
        self.events.append((event, data))
        return [self._add(OutboxRow("webhooks", event))]  # one endpoint: one delivery

    def stage(self, queue: str, message: BaseModel, delay_seconds: int) -> int:
        # As SQS would carry it: the JSON the outbox stores.
        return self._add(OutboxRow(queue, message.model_dump_json(exclude_defaults=True), delay_seconds))


class World:
    """Given: a merchant's pending UPI payment, with the created/pending events its request staged."""

    def __init__(self, *, bank_wait: int = 0, approves: bool = True, test_outcome: str | None = None) -> None:
        self.clock = FakeClock(START)
        self.records = InMemoryRecords(self.clock)
        self.publisher = RecordingPublisher()
        self.bank_wait = bank_wait
        self.approves = approves
        self.payment_id, self.order_id = "pay_1", "order_1"
        self.records.orders[self.order_id] = "attempted"
        self.records.payments[self.payment_id] = PaymentRow(
            id=self.payment_id,
            order_id=self.order_id,
            merchant_id="merchant_1",
            amount=50_000,
            currency="INR",
            method="upi",
            status="pending",
            vpa="shopper@okhdfc",
            card_network=None,
            card_last4=None,
            captured=False,
            captured_at=None,
            amount_refunded=0,
            error_code=None,
            error_description=None,
            processing_started_at=None,
            created_at=START,
            updated_at=START,
            test_outcome=test_outcome,
        )
        announced = [self.records._add(OutboxRow("webhooks", e)) for e in ("payment.created", "payment.pending")]
        self.request_job = PaymentJob(payment_id=self.payment_id, event_outbox_ids=announced)

    def deliver(self, job: PaymentJob) -> str | None:
        policy = ProcessingPolicy(delay_seconds=lambda: self.bank_wait, approves=lambda _method: self.approves)
        processor = PaymentProcessor(self.records.transaction, self.publisher, policy, LEASE_SECONDS)
        return processor.process(job)

    @property
    def payment(self) -> PaymentRow:
        return self.records.payments[self.payment_id]

    def staged_reply(self, outbox_id: int) -> PaymentJob:
        row = self.records.outbox[outbox_id - 1]
        assert row.queue == "payments" and row.delay_seconds == self.bank_wait
        return PaymentJob.model_validate_json(row.body)

    def event_names(self) -> list[str]:
        return [event for event, _ in self.records.events]


def test_without_a_bank_wait_the_first_delivery_finishes_and_publishes_events_in_order() -> None:
    world = World(bank_wait=0, approves=True)

    assert world.deliver(world.request_job) == "success"

    assert (world.payment.status, world.payment.error_code) == ("success", None)
    assert world.records.orders["order_1"] == "paid"
    assert world.event_names() == ["payment.success"]
    payload = world.records.events[0][1]["payment"]
    assert payload["status"] == "success" and payload["vpa"] == "shopper@okhdfc" and "card_last4" not in payload
    # One queue call: the request's created/pending events, then the outcome.
    assert world.publisher.calls == [[1, 2, 3]]


def test_a_declined_payment_fails_with_an_error_code_and_leaves_the_order_unpaid() -> None:
    world = World(bank_wait=0, approves=False)

    assert world.deliver(world.request_job) == "failed"

    assert (world.payment.status, world.payment.error_code) == ("failed", "PAYMENT_FAILED")
    assert world.payment.error_description
    assert world.records.orders["order_1"] == "attempted"
    assert world.event_names() == ["payment.failed"]
    assert world.publisher.calls == [[1, 2, 3]]


def test_with_a_bank_wait_the_first_delivery_claims_and_the_timed_reply_finishes() -> None:
    world = World(bank_wait=7, approves=True)

    # When the request's message is delivered, the payment is claimed and the bank's reply staged...
    assert world.deliver(world.request_job) is None
    assert (world.payment.status, world.payment.processing_started_at) == ("processing", START)
    assert world.publisher.calls == [[1, 2, 3]]  # created, pending, then the timed reply
    reply = world.staged_reply(3)
    assert reply.bank_reply is not None and reply.bank_reply.claimed_at == START and reply.bank_reply.approved
    assert world.event_names() == []
    # ...and when the reply arrives after its timer, it finishes the payment.
    world.clock.advance(7)
    assert world.deliver(reply) == "success"
    assert world.payment.status == "success" and world.event_names() == ["payment.success"]
    assert world.publisher.calls[-1] == [4]


def test_a_duplicate_delivery_while_the_claim_is_live_changes_nothing() -> None:
    world = World(bank_wait=7)
    world.deliver(world.request_job)
    staged = len(world.records.outbox)

    world.clock.advance(LEASE_SECONDS - 1)
    assert world.deliver(world.request_job) is None

    assert (world.payment.status, world.payment.processing_started_at) == ("processing", START)
    assert len(world.records.outbox) == staged  # no second bank reply
    # The request's events are offered again (the real publisher skips rows already sent).
    assert world.publisher.calls[-1] == [1, 2]


def test_a_reply_to_a_claim_taken_over_is_dropped_and_the_current_claim_decides() -> None:
    world = World(bank_wait=7, approves=False)
    world.deliver(world.request_job)
    stale = world.staged_reply(3)
    # Given the claim's lease ran out (its reply was lost in a backlog) and the sweep's message re-claimed it...
    world.clock.advance(LEASE_SECONDS + 1)
    world.approves = True
    assert world.deliver(PaymentJob(payment_id=world.payment_id)) is None
    taken_over_at = world.clock.now()
    assert world.payment.processing_started_at == taken_over_at
    current = world.staged_reply(4)

    # ...when the first claim's reply arrives late, it changes nothing and announces nothing...
    assert world.deliver(stale) is None
    assert (world.payment.status, world.payment.processing_started_at) == ("processing", taken_over_at)
    assert world.event_names() == []
    assert world.publisher.calls[-1] == []
    # ...and the current claim's reply decides.
    assert world.deliver(current) == "success"
    assert world.payment.status == "success" and world.records.orders["order_1"] == "paid"
    assert world.event_names() == ["payment.success"]


def test_a_bank_reply_delivered_twice_finishes_the_payment_once() -> None:
    world = World(bank_wait=7)
    world.deliver(world.request_job)
    reply = world.staged_reply(3)

    assert world.deliver(reply) == "success"
    assert world.deliver(reply) is None

    assert world.event_names() == ["payment.success"]


def test_a_final_payment_is_not_claimed_again_even_after_the_lease() -> None:
    world = World(bank_wait=0)
    world.deliver(world.request_job)

    world.clock.advance(LEASE_SECONDS * 10)
    assert world.deliver(PaymentJob(payment_id=world.payment_id)) is None

    assert world.payment.status == "success" and world.event_names() == ["payment.success"]


def test_nothing_is_published_when_the_outcome_does_not_commit() -> None:
    world = World(bank_wait=7)
    world.deliver(world.request_job)
    reply = world.staged_reply(3)
    calls_before = list(world.publisher.calls)
    world.records.fail_on_event = True

    with pytest.raises(ConnectionError):
        world.deliver(reply)

    # The record is retried from its queue: the claim still stands, nothing went out.
    assert (world.payment.status, world.payment.processing_started_at) == ("processing", START)
    assert world.records.orders["order_1"] == "attempted" and world.event_names() == []
    assert world.publisher.calls == calls_before


# --- the clock: a card's expiry at a chosen time -------------------------------------------------


def _card_expiring(month: int, year: int) -> CardPaymentRequest:
    card = CardDetails(number="4111 1111 1111 1111", expiry_month=month, expiry_year=year, cvv="123")
    return CardPaymentRequest(order_id="order_1", method="card", card=card)


def test_a_card_is_valid_through_the_last_day_of_its_month_in_utc() -> None:
    # 00:30 on New Year's Day in India is still 31 December in UTC.
    india_new_year = datetime(2027, 1, 1, 0, 30, tzinfo=timezone(timedelta(hours=5, minutes=30)))

    instrument = payment_instrument(_card_expiring(12, 2026), FakeClock(india_new_year))

    assert instrument == {"vpa": None, "card_network": "visa", "card_last4": "1111"}


def test_a_card_expires_when_its_month_ends_in_utc() -> None:
    with pytest.raises(ExpiredCard):
        payment_instrument(_card_expiring(12, 2026), FakeClock(datetime(2027, 1, 1, tzinfo=UTC)))
