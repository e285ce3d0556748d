"""SQL of refunds: the reservation against the payment's refundable amount, processing, lists."""

from __future__ import annotations

from typing import Any

from gateway.adapters.list_pages import PageRows, filter_conditions, select_page
from gateway.adapters.postgres import Row, Tx

_REFUND_COLUMNS = "id, payment_id, merchant_id, amount, reason, status, created_at, processed_at"


def reserve_refund(tx: Tx, payment_id: str, amount: int) -> bool:
    """Adds to the payment's refunded total unless that would exceed the payment amount."""
    return (
        tx.execute(
            "UPDATE payments SET amount_refunded = amount_refunded + %s, updated_at = now()"
            " WHERE id = %s AND amount_refunded + %s <= amount",
            (amount, payment_id, amount),
        )
        == 1
    )


def insert_refund(tx: Tx, refund_id: str, payment_id: str, merchant_id: str, amount: int, reason: str | None) -> Row:
    row = tx.one(
        "INSERT INTO refunds (id, payment_id, merchant_id, amount, reason)"
        f" VALUES (%s, %s, %s, %s, %s) RETURNING {_REFUND_COLUMNS}",
        (refund_id, payment_id, merchant_id, amount, reason),
    )
    assert row is not None
    return row


def refund_totals(tx: Tx, payment_id: str) -> Row:
    row = tx.one(
        "SELECT coalesce(sum(amount), 0) AS reserved,"
        " coalesce(sum(amount) FILTER (WHERE status = 'processed'), 0) AS processed"
        " FROM refunds WHERE payment_id = %s",
        (payment_id,),
    )
    assert row is not None
    return row


def refund_by_id(tx: Tx, refund_id: str) -> Row | None:
    return tx.one(f"SELECT {_REFUND_COLUMNS} FROM refunds WHERE id = %s", (refund_id,))


def refund_of_merchant(tx: Tx, merchant_id: str, refund_id: str) -> Row | None:
    return tx.one(f"SELECT {_REFUND_COLUMNS} FROM refunds WHERE id = %s AND merchant_id = %s", (refund_id, merchant_id))


def mark_refund_processed(tx: Tx, refund_id: str) -> Row | None:
    return tx.one(
        "UPDATE refunds SET status = 'processed', processed_at = now() WHERE id = %s AND status = 'pending'"
        f" RETURNING {_REFUND_COLUMNS}",
        (refund_id,),
    )


def list_refunds(
    tx: Tx, merchant_id: str, filters: dict[str, Any], limit: int, offset: int, starting_after: str | None
) -> PageRows | None:
    where, params = filter_conditions(merchant_id, filters)
    if filters.get("search"):
        where.append("(id = %s OR payment_id = %s)")
        params += [filters["search"], filters["search"]]
    return select_page(tx, "refunds", _REFUND_COLUMNS, where, params, limit, offset, starting_after)
