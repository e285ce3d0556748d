"""SQL of payments: creation, the processing claim and its lease, capture, lists."""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from psycopg.rows import class_row

from gateway.adapters.list_pages import PageOf, filter_conditions, select_page_as
from gateway.adapters.postgres import Tx


class PaymentRow(NamedTuple):
    """A payment as _PAYMENT_COLUMNS selects it."""

    id: str
    order_id: str
    merchant_id: str
    amount: int  # paise
    currency: str
    method: str
    status: str
    vpa: str | None
    card_network: str | None
    card_last4: str | None
    captured: bool
    captured_at: datetime | None
    amount_refunded: int  # paise
    error_code: str | None
    error_description: str | None
    processing_started_at: datetime | None  # the current claim's time (while processing)
    created_at: datetime
    updated_at: datetime
    # In test mode, the outcome a test value asked for (gateway.domain.test_values); never exposed.
    test_outcome: str | None = None


_PAYMENT_COLUMNS = (
    "id, order_id, merchant_id, amount, currency, method, status, vpa, card_network, card_last4,"
    " captured, captured_at, amount_refunded, error_code, error_description, processing_started_at,"
    " created_at, updated_at, test_outcome"
)
_PAYMENT = class_row(PaymentRow)


class NewPayment(NamedTuple):
    """A payment to create (pending); its instrument is a VPA or a card's network and last four."""

    id: str
    order_id: str
    merchant_id: str
    amount: int  # paise
    currency: str
    method: str
    vpa: str | None
    card_network: str | None
    card_last4: str | None
    test_outcome: str | None = None
    partial: bool = False  # one of a payment link's partial payments (several may be live at once)


def insert_payment(tx: Tx, payment: NewPayment) -> PaymentRow:
    row = tx.one_as(
        _PAYMENT,
        "INSERT INTO payments"
        " (id, order_id, merchant_id, amount, currency, method, vpa, card_network, card_last4, test_outcome, partial)"
        " VALUES (%(id)s, %(order_id)s, %(merchant_id)s, %(amount)s, %(currency)s, %(method)s,"
        f" %(vpa)s, %(card_network)s, %(card_last4)s, %(test_outcome)s, %(partial)s) RETURNING {_PAYMENT_COLUMNS}",
        payment._asdict(),
    )
    assert row is not None
    return row


def live_payment_for_order(tx: Tx, order_id: str) -> PaymentRow | None:
    return tx.one_as(
        _PAYMENT,
        f"SELECT {_PAYMENT_COLUMNS} FROM payments"
        " WHERE order_id = %s AND status IN ('pending', 'processing', 'success') AND NOT partial",
        (order_id,),
    )


def payment_of_merchant(tx: Tx, merchant_id: str, payment_id: str) -> PaymentRow | None:
    return tx.one_as(
        _PAYMENT,
        f"SELECT {_PAYMENT_COLUMNS} FROM payments WHERE id = %s AND merchant_id = %s",
        (payment_id, merchant_id),
    )


def claim_payment(tx: Tx, payment_id: str, lease_seconds: int) -> PaymentRow | None:
    """pending → processing; also takes over a `processing` claim whose consumer died (lease expired)."""
    return tx.one_as(
        _PAYMENT,
        "UPDATE payments SET status = 'processing', processing_started_at = clock_timestamp(), updated_at = now()"
        " WHERE id = %s AND (status = 'pending' OR (status = 'processing'"
        "   AND processing_started_at < clock_timestamp() - make_interval(secs => %s)))"
        f" RETURNING {_PAYMENT_COLUMNS}",
        (payment_id, lease_seconds),
    )


def finish_payment(
    tx: Tx, payment_id: str, claimed_at: datetime, status: str, error_code: str | None, error_description: str | None
) -> PaymentRow | None:
    """processing → success/failed, only for the consumer whose claim is still current."""
    return tx.one_as(
        _PAYMENT,
        "UPDATE payments SET status = %s, error_code = %s, error_description = %s, updated_at = now()"
        " WHERE id = %s AND status = 'processing' AND processing_started_at = %s"
        f" RETURNING {_PAYMENT_COLUMNS}",
        (status, error_code, error_description, payment_id, claimed_at),
    )


def capture_payment(tx: Tx, merchant_id: str, payment_id: str) -> PaymentRow | None:
    return tx.one_as(
        _PAYMENT,
        "UPDATE payments SET captured = true, captured_at = now(), updated_at = now()"
        " WHERE id = %s AND merchant_id = %s AND status = 'success' AND NOT captured"
        f" RETURNING {_PAYMENT_COLUMNS}",
        (payment_id, merchant_id),
    )


def stuck_payments(tx: Tx, stuck_after_seconds: int, lease_seconds: int, limit: int) -> list[str]:
    """Payments no consumer is working on: pending too long, or processing past the lease.

    Marks them re-enqueued (locked rows, skipped if another relay holds them).
    """
    rows = tx.all(
        "UPDATE payments SET requeued_at = now() WHERE id IN ("
        " SELECT p.id FROM payments p"
        " WHERE ((p.status = 'pending' AND GREATEST(p.created_at, p.requeued_at) < now() - make_interval(secs => %s))"
        "     OR (p.status = 'processing'"
        "         AND GREATEST(p.processing_started_at, p.requeued_at) < now() - make_interval(secs => %s)))"
        " ORDER BY p.created_at LIMIT %s FOR UPDATE SKIP LOCKED) RETURNING id",
        (stuck_after_seconds, lease_seconds, limit),
    )
    return [row["id"] for row in rows]


def list_payments(
    tx: Tx, merchant_id: str, filters: dict[str, Any], limit: int, offset: int, starting_after: str | None
) -> PageOf[PaymentRow] | None:
    """None when `starting_after` names no payment of this merchant."""
    where, params = filter_conditions(merchant_id, filters)
    if filters.get("search"):
        where.append("(id = %s OR order_id = %s)")
        params += [filters["search"], filters["search"]]
    return select_page_as(_PAYMENT, tx, "payments", _PAYMENT_COLUMNS, where, params, limit, offset, starting_after)


def lock_payment_of_merchant(tx: Tx, merchant_id: str, payment_id: str) -> PaymentRow | None:
    return tx.one_as(
        _PAYMENT,
        f"SELECT {_PAYMENT_COLUMNS} FROM payments WHERE id = %s AND merchant_id = %s FOR UPDATE",
        (payment_id, merchant_id),
    )
