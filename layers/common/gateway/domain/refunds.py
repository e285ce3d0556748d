"""Refunds: full or partial, never more than the payment, processed asynchronously.

Creating a refund locks the payment row, reserves the amount on it (`amount_refunded`, backed by a
CHECK constraint) and inserts the refund in one transaction, so concurrent requests cannot
over-refund; what the payment's disputes hold counts too, read under the same lock that opening a
dispute takes (gateway/domain/disputes.py). Processing marks it `processed` once, however often
its message is delivered.
"""

from __future__ import annotations

import random

from aws_lambda_powertools import Logger

from gateway.adapters import dispute_store, metrics, payment_store, refund_store, tracing
from gateway.adapters.postgres import Tx, transaction
from gateway.adapters.refund_store import RefundRow
from gateway.domain import ledger, merchant_identity, outbox, payments, webhook_fanout
from gateway.domain.idempotency import Outcome
from gateway.domain.merchant_identity import Merchant
from gateway.domain.paging import to_page
from gateway.errors import BadRequest, NotFound
from gateway.ids import new_id
from gateway.models.base import Page
from gateway.models.jobs import RefundJob
from gateway.models.refunds import CreateRefundRequest, Refund, RefundListQuery
from gateway.settings import get_settings

logger = Logger(child=True)  # the consumers put the record's id on each line (tracing.record_scope)


def create_refund(tx: Tx, merchant: Merchant, payment_id: str, request: CreateRefundRequest) -> Outcome:
    payment = payment_store.lock_payment_of_merchant(tx, merchant.id, payment_id)
    if payment is None:
        raise NotFound("Payment not found")
    if payment.status != "success":
        raise BadRequest("Payment not in refundable state")
    # Disputes hold part of the payment too; they are opened under this same row lock.
    held = dispute_store.disputed_amount(tx, payment_id)
    if not refund_store.reserve_refund(tx, payment_id, request.amount, held):
        raise BadRequest("Refund amount exceeds available amount")
    refund = _refund(
        refund_store.insert_refund(tx, new_id("rfnd_"), payment_id, merchant.id, request.amount, request.reason)
    )
    tracing.annotate(refund_id=refund.id, payment_id=payment_id)
    # The bank's wait passes on the queue (a message timer), not in the consumer.
    messages = [outbox.stage(tx, "refunds", RefundJob(refund_id=refund.id), refund_wait_seconds())]
    messages += webhook_fanout.record_event(tx, merchant, "refund.created", {"refund": refund.model_dump(mode="json")})
    return Outcome(refund.model_dump(mode="json"), messages)


def get_refund(merchant: Merchant, refund_id: str) -> Refund:
    with transaction() as tx:
        row = refund_store.refund_of_merchant(tx, merchant.id, refund_id)
    if row is None:
        raise NotFound("Refund not found")
    return _refund(row)


def _refund(row: RefundRow) -> Refund:
    return Refund.model_validate(row, from_attributes=True)


def list_refunds(merchant: Merchant, query: RefundListQuery) -> Page:
    with transaction() as tx:
        result = refund_store.list_refunds(
            tx, merchant.id, query.filters(), query.limit, query.offset, query.starting_after
        )
    return to_page(result, query.limit, query.offset, lambda row: _refund(row).model_dump(mode="json"), "refund")


def refunds_of_payment(merchant: Merchant, payment_id: str) -> Page:
    with transaction() as tx:
        if payment_store.payment_of_merchant(tx, merchant.id, payment_id) is None:
            raise NotFound("Payment not found")
    return list_refunds(merchant, RefundListQuery(payment_id=payment_id, limit=100))


class RefundInvariantBroken(Exception):
    """The refunded total exceeds the payment: never expected; the message is retried and parked in the DLQ."""


def refund_wait_seconds() -> int:
    """How long the simulated bank takes to process a refund, in whole seconds (an SQS message timer)."""
    settings = get_settings()
    if settings.test_mode:
        return payments.bank_wait_seconds(settings.test_processing_delay)
    return random.randint(3, 5)


def process_refund(job: RefundJob) -> str | None:
    """pending → processed once; returns "processed", or None when another delivery already did it.

    The message arrives after the bank's wait (its timer was set when the refund was created)."""
    with transaction() as tx:
        refund = refund_store.refund_by_id(tx, job.refund_id)
    if refund is None or refund.status != "pending":
        logger.info("refund unknown or already processed")
        return None
    with transaction() as tx:
        payment = payment_store.lock_payment_of_merchant(tx, refund.merchant_id, refund.payment_id)
        totals = refund_store.refund_totals(tx, refund.payment_id)
        if payment is None or payment.status != "success" or totals.reserved > payment.amount:
            raise RefundInvariantBroken(f"refund {job.refund_id}: payment no longer refundable")
        processed = refund_store.mark_refund_processed(tx, job.refund_id)
        if processed is None:
            return None
        ledger.book_refund(tx, payment, processed.id, processed.amount)
        merchant = merchant_identity.merchant_in(tx, refund.merchant_id)
        events = webhook_fanout.record_event(
            tx, merchant, "refund.processed", {"refund": _refund(processed).model_dump(mode="json")}
        )
    outbox.publish(events, background=True)
    logger.info("refund processed")
    metrics.emit("RefundsProcessed")
    return "processed"
