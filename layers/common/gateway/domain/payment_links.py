"""Payment links (issue 23, item 2; Razorpay's Payment Links): a page on the checkout origin
(`short_url`) where a customer pays an amount the merchant asked for, by UPI or card.

A link is backed by an order of its own (`order_id`): paying that order through the payment routes
pays the link. Without `accept_partial` the order takes one payment of its whole amount, as any
order does. With it, several payments may be live or successful at once (each of at least
`first_min_partial_amount` while nothing is paid): what they may add up to is checked under the
order's row lock, which every payment create takes, and **pending payments count against what is
left**, so two shoppers paying at once can never overpay; a failed payment frees its part. A payment
counts toward `amount_paid` when it succeeds, in the transaction that marks it a success, which also
moves the link `created → partially_paid → paid` and records `payment_link.partially_paid|paid`.

Expiry: a link with `expire_by` gets an EventBridge Scheduler one-time schedule (created after the
commit) that puts an expiry message on the payments queue; its consumer expires the link if it is
still open. A payment create refuses a link past its `expire_by` whether or not the schedule has
fired, and the relay expires links whose schedule was lost. A payment already pending when the link
expires or is cancelled still counts if it succeeds (the shopper's money was taken); the status stays.

The shopper is sent back to `callback_url` with `payment_id`, `payment_link_id`,
`payment_link_reference_id`, `payment_link_status` and `signature`: hex HMAC-SHA256, keyed with the
merchant's default webhook secret, of `payment_link_id|payment_link_reference_id|payment_link_status|payment_id`
(Razorpay's order of fields; README "Payment links" has the verification).
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

from aws_lambda_powertools import Logger

from gateway.adapters import endpoint_store, order_store, payment_link_store, scheduler, tracing
from gateway.adapters.order_store import OrderRow
from gateway.adapters.payment_link_store import NewPaymentLink, PaymentLinkRow
from gateway.adapters.payment_store import PaymentRow
from gateway.adapters.postgres import Tx, transaction
from gateway.domain import merchant_identity, outbox, webhook_fanout
from gateway.domain.idempotency import Outcome
from gateway.domain.merchant_identity import Merchant
from gateway.domain.paging import to_page
from gateway.domain.ports import SYSTEM_CLOCK, Clock
from gateway.errors import BadRequest, Conflict, NotFound, PaymentLinkNotPayable
from gateway.ids import new_id
from gateway.models.base import Page
from gateway.models.jobs import PaymentLinkExpiryJob
from gateway.models.payment_links import (
    CreatePaymentLinkRequest,
    PaymentLink,
    PaymentLinkListQuery,
    PublicPaymentLink,
)
from gateway.models.payments import Payment
from gateway.settings import get_settings

logger = Logger(child=True)

# Razorpay's bounds: a link lives at least 15 minutes; we also refuse one meant to outlive a year.
MIN_LIFETIME = timedelta(minutes=15)
MAX_LIFETIME = timedelta(days=365)
SHORT_PATH = "/l/"


def create_link(tx: Tx, merchant: Merchant, request: CreatePaymentLinkRequest, clock: Clock = SYSTEM_CLOCK) -> Outcome:
    """The link and its order, in `tx`; its expiry schedule is created after the commit."""
    expire_by = _expiry(request.expire_by, clock)
    if request.first_min_partial_amount is not None:
        if not request.accept_partial:
            raise BadRequest("first_min_partial_amount is allowed only with accept_partial")
        if request.first_min_partial_amount > request.amount:
            raise BadRequest("first_min_partial_amount must not exceed amount")
    callback_url = _callback_url(request.callback_url) if request.callback_url else None
    order = order_store.insert_order(
        tx, new_id("order_"), merchant.id, request.amount, request.currency, request.reference_id, None
    )
    row = payment_link_store.insert_payment_link(
        tx,
        NewPaymentLink(
            id=new_id("plink_"),
            merchant_id=merchant.id,
            order_id=order.id,
            amount=request.amount,
            currency=request.currency,
            description=request.description,
            customer=request.customer.model_dump(exclude_none=True) if request.customer else None,
            expire_by=expire_by,
            accept_partial=request.accept_partial,
            first_min_partial_amount=request.first_min_partial_amount,
            reference_id=request.reference_id,
            notes=request.notes,
            callback_url=callback_url,
        ),
    )
    if row is None:
        raise Conflict(f"A payment link with reference_id {request.reference_id!r} already exists")
    tracing.annotate(payment_link_id=row.id, order_id=order.id)
    after = [lambda: schedule_expiry(row.id, expire_by)] if expire_by else []
    return Outcome(_link(row).model_dump(mode="json"), after_commit=after)


def _expiry(expire_by: int | None, clock: Clock) -> datetime | None:
    if expire_by is None:
        return None
    now = clock.now()
    moment = datetime.fromtimestamp(expire_by, UTC)
    if moment < now + MIN_LIFETIME:
        raise BadRequest("expire_by must be at least 15 minutes in the future")
    if moment > now + MAX_LIFETIME:
        raise BadRequest("expire_by must be at most a year in the future")
    return moment


def _callback_url(url: str) -> str:
    """The URL guard webhook URLs pass (an http(s) URL resolving to a public address outside the
    local runtime): the checkout sends shoppers only where a merchant may receive webhooks."""
    from gateway.domain.merchants import validate_webhook_url  # the guard; loaded only by this create

    if urlsplit(url).fragment:
        raise BadRequest("callback_url must not have a fragment")
    return validate_webhook_url(url, "callback_url")


def schedule_expiry(link_id: str, at: datetime) -> None:
    """The one-time schedule that expires the link at `at`. If it cannot be created the relay's
    sweep expires the link (and a payment create refuses it past `at` meanwhile)."""
    settings = get_settings()
    if not settings.payment_link_schedule_group:
        return  # no Scheduler configured (unit and some integration tests): the sweep expires it
    try:
        scheduler.schedule_sqs_message(
            name=f"plink-expiry-{link_id}",
            at=at,
            group=settings.payment_link_schedule_group,
            queue_arn=settings.payments_queue_arn,
            role_arn=settings.payment_link_scheduler_role_arn,
            body=PaymentLinkExpiryJob(payment_link_id=link_id).model_dump_json(),
        )
    except scheduler.SchedulerUnavailable:
        logger.warning(
            "expiry schedule not created; the relay will expire the link", extra={"payment_link_id": link_id}
        )


# --- paying a link's order ---------------------------------------------------------------------


def admit_payment(tx: Tx, order: OrderRow, requested: int | None, clock: Clock = SYSTEM_CLOCK) -> tuple[int, bool]:
    """The amount a new payment of `order` takes and whether it is a partial one. The caller holds
    the order's row lock: it serialises every payment create of the order, so what is left cannot
    change between this check and the payment's insert."""
    link = payment_link_store.link_of_order(tx, order.id)
    if link is None:
        if requested is not None and requested != order.amount:
            raise BadRequest("amount must equal the order's amount")
        return order.amount, False
    if link.status in ("expired", "cancelled", "paid"):
        raise PaymentLinkNotPayable(f"Payment link is {link.status}")
    if link.expire_by is not None and link.expire_by <= clock.now():
        raise PaymentLinkNotPayable("Payment link has expired")
    if not link.accept_partial:
        if requested is not None and requested != link.amount:
            raise BadRequest("This payment link takes only its whole amount")
        return link.amount, False
    left = link.amount - payment_link_store.committed_to_order(tx, order.id)
    amount = left if requested is None else requested
    if left <= 0:
        raise BadRequest("Nothing is left to pay on this link while its pending payments are processed")
    if amount > left:
        raise BadRequest(f"amount must not exceed what is left to pay ({left} paise)")
    minimum = link.first_min_partial_amount if link.amount_paid == 0 else None
    if minimum is not None and amount < minimum:
        raise BadRequest(f"The first payment must be at least {minimum} paise")
    return amount, True


def credit_payment(tx: Tx, payment: PaymentRow) -> list[outbox.StagedMessage]:
    """A payment that just succeeded, credited to its order: the order is paid, or, for a link's
    order, the link's amount_paid raised (the order paid once the link is), with its event."""
    credited = payment_link_store.credit_payment(tx, payment.order_id, payment.amount)
    if credited is None:
        order_store.set_order_status(tx, payment.order_id, "paid")
        return []
    link, previous = credited
    if link.amount_paid >= link.amount:
        order_store.set_order_status(tx, payment.order_id, "paid")
    if link.status == previous and link.status != "partially_paid":
        return []  # an expired or cancelled link's late payment: counted, no status event
    merchant = merchant_identity.merchant_in(tx, link.merchant_id)
    data = {
        "payment_link": _link(link).model_dump(mode="json"),
        "payment": Payment.model_validate(payment, from_attributes=True).public_dict(),
    }
    return webhook_fanout.record_event(tx, merchant, f"payment_link.{link.status}", data)


# --- expiry and cancellation -------------------------------------------------------------------


def expire(link_id: str) -> bool:
    """The expiry message's work: an open link past its expire_by becomes `expired` with its event;
    False when it is not due, or paid, cancelled or expired already (a duplicate does nothing)."""
    with transaction() as tx:
        row = payment_link_store.expire_link(tx, link_id)
        events = _status_event(tx, row) if row else []
    outbox.publish(events, background=True)
    if row:
        logger.info("payment link expired", extra={"payment_link_id": link_id})
    return row is not None


def expire_now(merchant: Merchant, link_id: str) -> PaymentLink:
    """Test mode's clock jump (POST /api/v1/test/payment_links/{id}/expire): the merchant's open link
    is due now, and expires as its schedule would expire it, with its event."""
    with transaction() as tx:
        current = payment_link_store.link_of_merchant(tx, merchant.id, link_id)
        if current is None:
            raise NotFound("Payment link not found")
        payment_link_store.bring_expiry_forward(tx, link_id)
        row = payment_link_store.expire_link(tx, link_id)
        if row is None:
            raise BadRequest(f"Only a created or partially paid link can expire; this one is {current.status}")
        events = _status_event(tx, row)
    outbox.publish(events, background=True)
    return _link(row)


def expire_overdue(limit: int = 100) -> int:
    """The relay's backstop: links past expire_by whose schedule was lost, expired."""
    with transaction() as tx:
        due = payment_link_store.overdue_links(tx, limit)
    return sum(expire(link_id) for link_id in due)


def cancel(merchant: Merchant, link_id: str) -> PaymentLink:
    with transaction() as tx:
        row = payment_link_store.cancel_link(tx, merchant.id, link_id)
        if row is None:
            current = payment_link_store.link_of_merchant(tx, merchant.id, link_id)
            if current is None:
                raise NotFound("Payment link not found")
            raise BadRequest(f"Only a created or partially paid link can be cancelled; this one is {current.status}")
        events = _status_event(tx, row)
    outbox.publish(events, background=True)
    return _link(row)


def _status_event(tx: Tx, row: PaymentLinkRow) -> list[outbox.StagedMessage]:
    merchant = merchant_identity.merchant_in(tx, row.merchant_id)
    data = {"payment_link": _link(row).model_dump(mode="json")}
    return webhook_fanout.record_event(tx, merchant, f"payment_link.{row.status}", data)


# --- reading ---------------------------------------------------------------------------------------


def get_link(merchant: Merchant, link_id: str) -> PaymentLink:
    with transaction() as tx:
        row = payment_link_store.link_of_merchant(tx, merchant.id, link_id)
    if row is None:
        raise NotFound("Payment link not found")
    return _link(row)


def list_links(merchant: Merchant, query: PaymentLinkListQuery) -> Page:
    with transaction() as tx:
        result = payment_link_store.list_links(
            tx, merchant.id, query.filters(), query.limit, query.offset, query.starting_after
        )
    return to_page(result, query.limit, query.offset, lambda row: _link(row).model_dump(mode="json"), "payment link")


def public_link(
    merchant: Merchant, link_id: str, payment_id: str | None, clock: Clock = SYSTEM_CLOCK
) -> PublicPaymentLink:
    """What the checkout at short_url shows; with a successful payment of the link, the signed
    callback URL the shopper is sent to."""
    with transaction() as tx:
        row = payment_link_store.link_of_merchant(tx, merchant.id, link_id)
        if row is None:
            raise NotFound("Payment link not found")
        callback = _signed_callback(tx, row, payment_id) if payment_id and row.callback_url else None
        left = row.amount - (payment_link_store.committed_to_order(tx, row.order_id) if row.accept_partial else 0)
    status = row.status
    if status in payment_link_store.OPEN_STATUSES and row.expire_by is not None and row.expire_by <= clock.now():
        status = "expired"  # its schedule has not fired yet; a payment would be refused
    return PublicPaymentLink(
        id=row.id,
        status=status,  # type: ignore[arg-type]
        amount=row.amount,
        amount_paid=row.amount_paid,
        amount_due=max(0, min(left, row.amount - row.amount_paid)) if status in payment_link_store.OPEN_STATUSES else 0,
        currency=row.currency,
        description=row.description,
        merchant_name=merchant.name,
        order_id=row.order_id,
        key=merchant.api_key,
        accept_partial=row.accept_partial,
        first_min_partial_amount=row.first_min_partial_amount if row.amount_paid == 0 else None,
        expire_by=_unix(row.expire_by),
        has_callback=row.callback_url is not None,
        callback_url=callback,
    )


def _signed_callback(tx: Tx, row: PaymentLinkRow, payment_id: str) -> str | None:
    paid = tx.one(
        "SELECT 1 FROM payments WHERE id = %s AND order_id = %s AND status = 'success'", (payment_id, row.order_id)
    )
    endpoint = endpoint_store.default_endpoint(tx, row.merchant_id)
    if paid is None or endpoint is None or row.callback_url is None:
        return None
    params = {
        "payment_id": payment_id,
        "payment_link_id": row.id,
        "payment_link_reference_id": row.reference_id or "",
        "payment_link_status": row.status,
    }
    params["signature"] = callback_signature(endpoint.secret, **params)
    separator = "&" if urlsplit(row.callback_url).query else "?"
    return row.callback_url + separator + urlencode(params)


def callback_signature(
    secret: str, *, payment_id: str, payment_link_id: str, payment_link_reference_id: str, payment_link_status: str
) -> str:
    """Hex HMAC-SHA256 of `payment_link_id|payment_link_reference_id|payment_link_status|payment_id`
    keyed with the merchant's webhook secret string (as X-Webhook-Signature is)."""
    message = f"{payment_link_id}|{payment_link_reference_id}|{payment_link_status}|{payment_id}"
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def _unix(moment: datetime | None) -> int | None:
    return None if moment is None else int(moment.timestamp())


def short_url(link_id: str) -> str:
    origins = get_settings().checkout_origin_list
    return (origins[0] if origins else "") + SHORT_PATH + link_id


def _link(row: PaymentLinkRow) -> PaymentLink:
    data: dict[str, Any] = {
        field: getattr(row, field) for field in row._fields if field not in ("merchant_id", "expire_by")
    }
    return PaymentLink(**data, short_url=short_url(row.id), expire_by=_unix(row.expire_by))
