"""SQL of orders."""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from psycopg.rows import class_row

from gateway.adapters.list_pages import PageOf, filter_conditions, select_page_as
from gateway.adapters.postgres import Tx, as_json


class OrderRow(NamedTuple):
    """An order as _ORDER_COLUMNS selects it."""

    id: str
    merchant_id: str
    amount: int  # paise
    currency: str
    receipt: str | None
    notes: dict[str, Any] | None
    status: str
    created_at: datetime


_ORDER_COLUMNS = "id, merchant_id, amount, currency, receipt, notes, status, created_at"
_ORDER = class_row(OrderRow)


def insert_order(
    tx: Tx, order_id: str, merchant_id: str, amount: int, currency: str, receipt: str | None, notes: Any
) -> OrderRow:
    row = tx.one_as(
        _ORDER,
        "INSERT INTO orders (id, merchant_id, amount, currency, receipt, notes)"
        f" VALUES (%s, %s, %s, %s, %s, %s) RETURNING {_ORDER_COLUMNS}",
        (order_id, merchant_id, amount, currency, receipt, as_json(notes)),
    )
    assert row is not None
    return row


def order_of_merchant(tx: Tx, merchant_id: str, order_id: str, *, for_update: bool = False) -> OrderRow | None:
    lock = " FOR UPDATE" if for_update else ""
    return tx.one_as(
        _ORDER,
        f"SELECT {_ORDER_COLUMNS} FROM orders WHERE id = %s AND merchant_id = %s{lock}",
        (order_id, merchant_id),
    )


def set_order_status(tx: Tx, order_id: str, status: str) -> None:
    tx.execute("UPDATE orders SET status = %s, updated_at = now() WHERE id = %s", (status, order_id))


def list_orders(
    tx: Tx, merchant_id: str, filters: dict[str, Any], limit: int, offset: int, starting_after: str | None
) -> PageOf[OrderRow] | None:
    where, params = filter_conditions(merchant_id, filters)
    if filters.get("search"):
        where.append("id = %s")
        params.append(filters["search"])
    return select_page_as(_ORDER, tx, "orders", _ORDER_COLUMNS, where, params, limit, offset, starting_after)
