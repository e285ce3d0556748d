"""SQL of orders."""

from __future__ import annotations

from typing import Any

from gateway.adapters.list_pages import PageRows, filter_conditions, select_page
from gateway.adapters.postgres import Row, Tx, as_json

_ORDER_COLUMNS = "id, merchant_id, amount, currency, receipt, notes, status, created_at"


def insert_order(
    tx: Tx, order_id: str, merchant_id: str, amount: int, currency: str, receipt: str | None, notes: Any
) -> Row:
    row = tx.one(
        "INSERT INTO orders (id, merchant_id, amount, currency, receipt, notes)"
        f" VALUES (%s, %s, %s, %s, %s, %s) RETURNING {_ORDER_COLUMNS}",
        (order_id, merchant_id, amount, currency, receipt, as_json(notes)),
    )
    assert row is not None
    return row


def order_of_merchant(tx: Tx, merchant_id: str, order_id: str, *, for_update: bool = False) -> Row | None:
    lock = " FOR UPDATE" if for_update else ""
    return tx.one(
        f"SELECT {_ORDER_COLUMNS} FROM orders WHERE id = %s AND merchant_id = %s{lock}", (order_id, merchant_id)
    )


def set_order_status(tx: Tx, order_id: str, status: str) -> None:
    tx.execute("UPDATE orders SET status = %s, updated_at = now() WHERE id = %s", (status, order_id))


def list_orders(
    tx: Tx, merchant_id: str, filters: dict[str, Any], limit: int, offset: int, starting_after: str | None
) -> PageRows | None:
    where, params = filter_conditions(merchant_id, filters)
    if filters.get("search"):
        where.append("id = %s")
        params.append(filters["search"])
    return select_page(tx, "orders", _ORDER_COLUMNS, where, params, limit, offset, starting_after)
