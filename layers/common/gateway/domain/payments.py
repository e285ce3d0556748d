"""Orders and payments: creation by merchants and asynchronous processing by the consumer."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from aws_lambda_powertools import Logger

from gateway.adapters import store
from gateway.adapters.postgres import transaction
from gateway.domain import outbox, webhooks
from gateway.domain.instruments import validate_card, validate_vpa
from gateway.domain.merchants import Merchant
from gateway.errors import BadRequest, NotFound
from gateway.ids import new_id
from gateway.models import (
    CardPaymentRequest,
    CreateOrderRequest,
    Order,
    Payment,
    PaymentJob,
    UpiPaymentRequest,
)
from gateway.settings import Settings, get_settings

logger = Logger(child=True)


def create_order(merchant: Merchant, request: CreateOrderRequest) -> Order:
    with transaction() as tx:
        row = store.insert_order(
            tx, new_id("order_"), merchant.id, request.amount, request.currency, request.receipt, request.notes
        )
    return Order(**row)


def get_order(merchant: Merchant, order_id: str) -> Order:
    with transaction() as tx:
        row = store.order_of_merchant(tx, merchant.id, order_id)
    if row is None:
        raise NotFound("Order not found")
    return Order(**row)


def _instrument_fields(request: UpiPaymentRequest | CardPaymentRequest, today: date) -> dict[str, str | None]:
    if isinstance(request, UpiPaymentRequest):
        return {"vpa": validate_vpa(request.vpa), "card_network": None, "card_last4": None}
    card = request.card
    summary = validate_card(card.number, card.expiry_month, card.expiry_year, card.cvv, today)
    return {"vpa": None, "card_network": summary.network, "card_last4": summary.last4}


def create_payment(merchant: Merchant, request: UpiPaymentRequest | CardPaymentRequest) -> Payment:
    instrument = _instrument_fields(request, date.today())
    with transaction() as tx:
        # The order lock serialises payment attempts on one order.
        order = store.order_of_merchant(tx, merchant.id, request.order_id, for_update=True)
        if order is None:
            raise NotFound("Order not found")
        if order["status"] == "paid":
            raise BadRequest("Order is already paid")
        if store.live_payment_for_order(tx, order["id"]) is not None:
            raise BadRequest("Order already has a payment in progress")
        row = store.insert_payment(
            tx,
            {
                "id": new_id("pay_"),
                "order_id": order["id"],
                "merchant_id": merchant.id,
                "amount": order["amount"],
                "currency": order["currency"],
                "method": request.method,
                **instrument,
            },
        )
        if order["status"] == "created":
            store.set_order_status(tx, order["id"], "attempted")
        job = outbox.stage(tx, "payments", PaymentJob(payment_id=row["id"]))
    outbox.publish([job])
    return Payment(**row)


def get_payment(merchant: Merchant, payment_id: str) -> Payment:
    with transaction() as tx:
        row = store.payment_of_merchant(tx, merchant.id, payment_id)
    if row is None:
        raise NotFound("Payment not found")
    return Payment(**row)


# --- processing -------------------------------------------------------------------------------

SUCCESS_RATE = {"upi": 0.90, "card": 0.95}


@dataclass(frozen=True)
class ProcessingPolicy:
    """How long the simulated bank takes and whether it approves; injectable for tests."""

    delay_seconds: Callable[[], float]
    approves: Callable[[str], bool]

    @classmethod
    def from_settings(cls, settings: Settings, rng: random.Random | None = None) -> ProcessingPolicy:
        chance = rng or random.Random()
        if settings.test_mode:
            delay = settings.test_processing_delay / 1000
            outcome = settings.test_payment_success
            return cls(delay_seconds=lambda: delay, approves=lambda _method: outcome)
        return cls(
            delay_seconds=lambda: chance.uniform(5, 10),
            approves=lambda method: chance.random() < SUCCESS_RATE[method],
        )


def process_payment(job: PaymentJob, policy: ProcessingPolicy | None = None) -> str | None:
    """pending → processing → success/failed, once, however often the message is delivered.

    Returns the final status, or None when another delivery owns or finished the payment.
    """
    settings = get_settings()
    policy = policy or ProcessingPolicy.from_settings(settings)
    with transaction() as tx:
        claimed = store.claim_payment(tx, job.payment_id, settings.processing_lease_seconds)
    if claimed is None:
        logger.info("payment already claimed or final; message dropped", extra={"payment_id": job.payment_id})
        return None

    time.sleep(policy.delay_seconds())
    approved = policy.approves(claimed["method"])
    status = "success" if approved else "failed"
    error_code, error_description = (None, None) if approved else ("PAYMENT_FAILED", "Payment declined by the bank")

    with transaction() as tx:
        final = store.finish_payment(
            tx, job.payment_id, claimed["processing_started_at"], status, error_code, error_description
        )
        if final is None:
            logger.warning("payment claim lost to another consumer", extra={"payment_id": job.payment_id})
            return None
        if approved:
            store.set_order_status(tx, final["order_id"], "paid")
        merchant = store.merchant_by_id(tx, final["merchant_id"])
        assert merchant is not None
        event = webhooks.record_event(tx, merchant, f"payment.{status}", {"payment": Payment(**final).public_dict()})
    outbox.publish([event] if event else [])
    logger.info("payment processed", extra={"payment_id": job.payment_id, "status": status})
    return status
