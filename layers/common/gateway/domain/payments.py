"""Orders and payments: creation by merchants and asynchronous processing by the consumer."""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools import Logger
from pydantic import BaseModel

from gateway.adapters import metrics, order_store, payment_store, tracing
from gateway.adapters.order_store import OrderRow
from gateway.adapters.payment_store import PaymentRow
from gateway.adapters.postgres import Tx, transaction
from gateway.domain import ledger, merchant_identity, outbox, payment_links, test_values, webhook_fanout
from gateway.domain.idempotency import Outcome
from gateway.domain.instruments import validate_card, validate_vpa
from gateway.domain.merchant_identity import Merchant
from gateway.domain.paging import to_page
from gateway.domain.ports import SYSTEM_CLOCK, Clock, OutboxPublisher, ProcessingRecords, ProcessingTransactions
from gateway.errors import BadRequest, NotFound
from gateway.ids import new_id
from gateway.models.base import Page
from gateway.models.jobs import BankReply, PaymentJob
from gateway.models.orders import CreateOrderRequest, Order, OrderListQuery, PublicOrder
from gateway.models.payments import (
    CaptureRequest,
    CardPaymentRequest,
    Payment,
    PaymentListQuery,
    PublicPayment,
    UpiPaymentRequest,
)
from gateway.settings import Settings, get_settings

logger = Logger(child=True)  # the consumers put the record's id on each line (tracing.record_scope)


def create_order(tx: Tx, merchant: Merchant, request: CreateOrderRequest) -> Outcome:
    row = order_store.insert_order(
        tx, new_id("order_"), merchant.id, request.amount, request.currency, request.receipt, request.notes
    )
    tracing.annotate(order_id=row.id)
    return Outcome(_order(row).model_dump(mode="json"))


def get_order(merchant: Merchant, order_id: str) -> Order:
    with transaction() as tx:
        row = order_store.order_of_merchant(tx, merchant.id, order_id)
    if row is None:
        raise NotFound("Order not found")
    return _order(row)


def _order(row: OrderRow) -> Order:
    return Order.model_validate(row, from_attributes=True)


def get_public_order(merchant: Merchant, order_id: str) -> PublicOrder:
    order = get_order(merchant, order_id)
    return PublicOrder(
        id=order.id, amount=order.amount, currency=order.currency, status=order.status, merchant_name=merchant.name
    )


def payment_instrument(request: UpiPaymentRequest | CardPaymentRequest, clock: Clock) -> dict[str, str | None]:
    """What a payment keeps of its instrument, validated; a card's expiry is checked at `clock`'s now."""
    if isinstance(request, UpiPaymentRequest):
        return {"vpa": validate_vpa(request.vpa), "card_network": None, "card_last4": None}
    card = request.card
    # The card's month is checked against today's date in UTC, not the machine's or the clock's zone.
    today = clock.now().astimezone(UTC).date()
    summary = validate_card(card.number, card.expiry_month, card.expiry_year, card.cvv, today)
    return {"vpa": None, "card_network": summary.network, "card_last4": summary.last4}


def requested_test_outcome(request: UpiPaymentRequest | CardPaymentRequest) -> str | None:
    """The outcome a test value asks for (gateway.domain.test_values), read while the full card
    number is in hand: the payment keeps only this word. Call it in test mode only."""
    if isinstance(request, UpiPaymentRequest):
        return test_values.vpa_outcome(request.vpa)
    return test_values.card_outcome(request.card.number)


def create_payment(
    tx: Tx,
    merchant: Merchant,
    request: UpiPaymentRequest | CardPaymentRequest,
    *,
    public: bool = False,
    clock: Clock = SYSTEM_CLOCK,
) -> Outcome:
    """Creates a pending payment, its processing job and its created/pending events, in `tx`."""
    instrument = payment_instrument(request, clock)
    test_outcome = requested_test_outcome(request) if get_settings().test_mode else None
    # The order lock serialises payment attempts on one order.
    order = order_store.order_of_merchant(tx, merchant.id, request.order_id, for_update=True)
    if order is None:
        raise NotFound("Order not found")
    if order.status == "paid":
        raise BadRequest("Order is already paid")
    # A payment link's order may take part of what is left (payment_links.admit_payment).
    amount, partial = payment_links.admit_payment(tx, order, request.amount, clock)
    if not partial and payment_store.live_payment_for_order(tx, order.id) is not None:
        raise BadRequest("Order already has a payment in progress")
    row = payment_store.insert_payment(
        tx,
        payment_store.NewPayment(
            id=new_id("pay_"),
            order_id=order.id,
            merchant_id=merchant.id,
            amount=amount,
            currency=order.currency,
            method=request.method,
            vpa=instrument["vpa"],
            card_network=instrument["card_network"],
            card_last4=instrument["card_last4"],
            test_outcome=test_outcome,
            partial=partial,
        ),
    )
    if order.status == "created":
        order_store.set_order_status(tx, order.id, "attempted")
    payment = _payment(row)
    tracing.annotate(payment_id=payment.id, order_id=payment.order_id)
    # The created/pending events are committed here and sent by the consumer with the job's first
    # delivery: the request makes one queue call.
    events = [
        staged.outbox_id
        for event in ("payment.created", "payment.pending")
        for staged in webhook_fanout.record_event(tx, merchant, event, {"payment": payment.public_dict()})
    ]
    messages = [outbox.stage(tx, "payments", PaymentJob(payment_id=payment.id, event_outbox_ids=events))]
    data = public_payment(payment).model_dump(mode="json") if public else payment.public_dict()
    return Outcome(data, messages)


def public_payment(payment: Payment) -> PublicPayment:
    return PublicPayment(
        id=payment.id,
        order_id=payment.order_id,
        amount=payment.amount,
        currency=payment.currency,
        method=payment.method,
        status=payment.status,
    )


def get_payment(merchant: Merchant, payment_id: str) -> Payment:
    with transaction() as tx:
        row = payment_store.payment_of_merchant(tx, merchant.id, payment_id)
    if row is None:
        raise NotFound("Payment not found")
    return _payment(row)


def _payment(row: PaymentRow) -> Payment:
    return Payment.model_validate(row, from_attributes=True)


def capture_payment(merchant: Merchant, payment_id: str, request: CaptureRequest) -> Payment:
    with transaction() as tx:
        current = payment_store.payment_of_merchant(tx, merchant.id, payment_id)
        if current is None:
            raise NotFound("Payment not found")
        if current.status != "success" or current.captured:
            raise BadRequest("Payment not in capturable state")
        if request.amount != current.amount:
            raise BadRequest("Capture amount must equal the payment amount")
        row = payment_store.capture_payment(tx, merchant.id, payment_id)
        if row is None:  # captured by a concurrent request between the read and the update
            raise BadRequest("Payment not in capturable state")
        ledger.book_capture(tx, row)  # the money enters the books with the capture, or neither happens
    return _payment(row)


def list_payments(merchant: Merchant, query: PaymentListQuery) -> Page:
    with transaction() as tx:
        result = payment_store.list_payments(
            tx, merchant.id, query.filters(), query.limit, query.offset, query.starting_after
        )
    return to_page(result, query.limit, query.offset, lambda row: _payment(row).public_dict(), "payment")


def list_orders(merchant: Merchant, query: OrderListQuery) -> Page:
    with transaction() as tx:
        result = order_store.list_orders(
            tx, merchant.id, query.filters(), query.limit, query.offset, query.starting_after
        )
    return to_page(result, query.limit, query.offset, lambda row: _order(row).model_dump(mode="json"), "order")


SUCCESS_RATE = {"upi": 0.90, "card": 0.95}
MAX_MESSAGE_TIMER_SECONDS = 900  # SQS DelaySeconds


def requeue_stuck_payments(limit: int = 100) -> int:
    """Re-enqueues payments no consumer is working on (their message was lost or dead-lettered)."""
    settings = get_settings()
    with transaction() as tx:
        stuck = payment_store.stuck_payments(tx, settings.stuck_after_seconds, settings.processing_lease_seconds, limit)
        messages = [outbox.stage(tx, "payments", PaymentJob(payment_id=payment_id)) for payment_id in stuck]
    outbox.publish(messages, background=True)
    if stuck:
        logger.warning("re-enqueued stuck payments", extra={"payment_ids": stuck})
    return len(stuck)


# --- processing -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProcessingPolicy:
    """How long the simulated bank takes (whole seconds: an SQS message timer's unit) and whether it
    approves; injectable for tests."""

    delay_seconds: Callable[[], int]
    approves: Callable[[str], bool]

    @classmethod
    def from_settings(cls, settings: Settings, rng: random.Random | None = None) -> ProcessingPolicy:
        chance = rng or random.Random()
        if settings.test_mode:
            delay = bank_wait_seconds(settings.test_processing_delay)
            outcome = settings.test_payment_success
            return cls(delay_seconds=lambda: delay, approves=lambda _method: outcome)
        return cls(
            delay_seconds=lambda: chance.randint(5, 10),
            approves=lambda method: chance.random() < SUCCESS_RATE[method],
        )


def bank_wait_seconds(milliseconds: int) -> int:
    """A configured wait as an SQS message timer: whole seconds, rounded up (never shorter than asked),
    at most the 15 minutes SQS allows."""
    return min(math.ceil(milliseconds / 1000), MAX_MESSAGE_TIMER_SECONDS)


def process_payment(job: PaymentJob, policy: ProcessingPolicy | None = None) -> str | None:
    """The consumer's entry: PaymentProcessor over Postgres and the outbox."""
    settings = get_settings()
    policy = policy or ProcessingPolicy.from_settings(settings)
    return PaymentProcessor(_in_postgres, outbox, policy, settings.processing_lease_seconds).process(job)


@dataclass(frozen=True)
class PaymentProcessor:
    """Processing's rules, with what they touch passed in (gateway.domain.ports): Postgres and the
    outbox in production, in-memory fakes in tests/unit/test_payment_processing.py."""

    transaction: ProcessingTransactions
    publisher: OutboxPublisher
    policy: ProcessingPolicy
    lease_seconds: int

    def process(self, job: PaymentJob) -> str | None:
        """pending → processing → success/failed, once, however often either message is delivered.

        No invocation waits for the bank: the first message claims the payment and stages the bank's
        reply as a message with a timer (DelaySeconds = the bank's wait); the reply's delivery finishes
        the payment if its claim is still current. Returns the final status, or None when this delivery
        only claimed the payment, or when another delivery owns or finished it.
        """
        if job.bank_reply is not None:
            return self.finish(job.payment_id, job.bank_reply)
        delay = self.policy.delay_seconds()
        with self.transaction() as records:
            claimed = records.claim_payment(job.payment_id, self.lease_seconds)
            if claimed is not None:
                reply = self.bank_reply(claimed)
                later = PaymentJob(payment_id=job.payment_id, bank_reply=reply)
                timed = [records.stage("payments", later, delay)] if delay else []
        if claimed is None:
            self.publisher.publish_unsent(job.event_outbox_ids)
            logger.info("payment already claimed or final; message dropped")
            return None
        if timed:
            # The created/pending events and the timed reply go out now; the outcome when it is delivered.
            self.publisher.publish_unsent([*job.event_outbox_ids, timed[0]])
            logger.info("payment claimed; the bank answers in %d s", delay)
            return None
        # No wait (test mode): the outcome goes out in the same queue call as the created/pending events.
        return self.finish(job.payment_id, reply, announced=job.event_outbox_ids)

    def bank_reply(self, claimed: PaymentRow) -> BankReply:
        """The bank's answer to a claim: the outcome a test value asked for at creation, else the policy's."""
        assert claimed.processing_started_at is not None  # set by the claim
        if claimed.test_outcome is not None:
            approved = claimed.test_outcome == test_values.APPROVED
            code = None if approved else claimed.test_outcome
            return BankReply(claimed_at=claimed.processing_started_at, approved=approved, error_code=code)
        return BankReply(claimed_at=claimed.processing_started_at, approved=self.policy.approves(claimed.method))

    def finish(self, payment_id: str, reply: BankReply, announced: Sequence[int] = ()) -> str | None:
        """The bank's answer applied, if its claim is still current; `announced` are outbox rows that
        go out with the outcome (the created/pending events, when there was no wait)."""
        status = "success" if reply.approved else "failed"
        declined = (None, None) if reply.approved else test_values.decline_reason(reply.error_code)
        error_code, error_description = declined
        outcome_events: list[int] = []
        with self.transaction() as records:
            final = records.finish_payment(payment_id, reply.claimed_at, status, error_code, error_description)
            if final is not None:
                payload = {"payment": _payment(final).public_dict()}
                outcome_events = records.record_event(final.merchant_id, f"payment.{status}", payload)
                if reply.approved:  # after payment.success: a payment link's event follows it
                    outcome_events += records.credit_order(final)
        if final is None:
            logger.warning("payment claim lost to another consumer or already final; bank reply dropped")
            self.publisher.publish_unsent(list(announced))
            return None
        self.publisher.publish_unsent([*announced, *outcome_events])
        logger.info("payment processed", extra={"status": status})
        metrics.emit("PaymentsSucceeded" if reply.approved else "PaymentsFailed", dimensions={"method": final.method})
        return status


class _PostgresRecords:
    """ProcessingRecords over one Postgres transaction."""

    def __init__(self, tx: Tx) -> None:
        self._tx = tx

    def claim_payment(self, payment_id: str, lease_seconds: int) -> PaymentRow | None:
        return payment_store.claim_payment(self._tx, payment_id, lease_seconds)

    def finish_payment(
        self,
        payment_id: str,
        claimed_at: datetime,
        status: str,
        error_code: str | None,
        error_description: str | None,
    ) -> PaymentRow | None:
        return payment_store.finish_payment(self._tx, payment_id, claimed_at, status, error_code, error_description)

    def credit_order(self, payment: PaymentRow) -> list[int]:
        return [staged.outbox_id for staged in payment_links.credit_payment(self._tx, payment)]

    def record_event(self, merchant_id: str, event: str, data: dict[str, Any]) -> list[int]:
        merchant = merchant_identity.merchant_in(self._tx, merchant_id)
        return [staged.outbox_id for staged in webhook_fanout.record_event(self._tx, merchant, event, data)]

    def stage(self, queue: str, message: BaseModel, delay_seconds: int) -> int:
        return outbox.stage(self._tx, queue, message, delay_seconds).outbox_id


@contextmanager
def _in_postgres() -> Iterator[ProcessingRecords]:
    with transaction() as tx:
        yield _PostgresRecords(tx)
