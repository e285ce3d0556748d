"""SQL of refunds: the reservation against the payment's refundable amount, processing, lists."""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from psycopg.rows import class_row

from gateway.adapters.list_pages import PageOf, filter_conditions, select_page_as
from gateway.adapters.postgres import Tx


class RefundRow(NamedTuple):
    """A refund as _REFUND_COLUMNS selects it."""

    id: str
    payment_id: str
    merchant_id: str
    amount: int  # paise
    reason: str | None
    status: str
    created_at: datetime
    processed_at: datetime | None


class RefundTotals(NamedTuple):
    """Paise refunded against one payment: reserved (pending or processed) and processed."""

    reserved: int
    processed: int


_REFUND_COLUMNS = "id, payment_id, merchant_id, amount, reason, status, created_at, processed_at"
_REFUND = class_row(RefundRow)
_TOTALS = class_row(RefundTotals)


def reserve_refund(tx: Tx, payment_id: str, amount: int, held_by_disputes: int = 0) -> bool:
    """Adds to the payment's refunded total unless that, with what its disputes hold, would exceed
    the payment amount. `held_by_disputes` must be read under the payment's row lock."""
    return (
        tx.execute(
            "UPDATE payments SET amount_refunded = amount_refunded + %s, updated_at = now()"
            " WHERE id = %s AND amount_refunded + %s + %s <= amount",
            (amount, payment_id, amount, held_by_disputes),
        )
        == 1
    )


def insert_refund(
    tx: Tx, refund_id: str, payment_id: str, merchant_id: str, amount: int, reason: str | None
) -> RefundRow:
    row = tx.one_as(
        _REFUND,
        "INSERT INTO refunds (id, payment_id, merchant_id, amount, reason)"
        f" VALUES (%s, %s, %s, %s, %s) RETURNING {_REFUND_COLUMNS}",
        (refund_id, payment_id, merchant_id, amount, reason),
    )
    assert row is not None
    return row


def refund_totals(tx: Tx, payment_id: str) -> RefundTotals:
    # sum(bigint) is numeric in Postgres (a Decimal here): cast back to whole paise.
    row = tx.one_as(
        _TOTALS,
        "SELECT coalesce(sum(amount), 0)::bigint AS reserved,"
        " coalesce(sum(amount) FILTER (WHERE status = 'processed'), 0)::bigint AS processed"
        " FROM refunds WHERE payment_id = %s",
        (payment_id,),
    )
    assert row is not None
    return row


def refund_by_id(tx: Tx, refund_id: str) -> RefundRow | None:
    return tx.one_as(_REFUND, f"SELECT {_REFUND_COLUMNS} FROM refunds WHERE id = %s", (refund_id,))


def refund_of_merchant(tx: Tx, merchant_id: str, refund_id: str) -> RefundRow | None:
    return tx.one_as(
        _REFUND, f"SELECT {_REFUND_COLUMNS} FROM refunds WHERE id = %s AND merchant_id = %s", (refund_id, merchant_id)
    )


def mark_refund_processed(tx: Tx, refund_id: str) -> RefundRow | None:
    return tx.one_as(
        _REFUND,
        "UPDATE refunds SET status = 'processed', processed_at = now() WHERE id = %s AND status = 'pending'"
        f" RETURNING {_REFUND_COLUMNS}",
        (refund_id,),
    )


def list_refunds(
    tx: Tx, merchant_id: str, filters: dict[str, Any], limit: int, offset: int, starting_after: str | None
) -> PageOf[RefundRow] | None:
    where, params = filter_conditions(merchant_id, filters)
    if filters.get("search"):
        where.append("(id = %s OR payment_id = %s)")
        params += [filters["search"], filters["search"]]
    return select_page_as(_REFUND, tx, "refunds", _REFUND_COLUMNS, where, params, limit, offset, starting_after)
