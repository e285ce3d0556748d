"""SQL of the books: balance transactions (append-only), the balance, a merchant's pricing."""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from psycopg.rows import class_row

from gateway.adapters.list_pages import PageOf, filter_conditions, select_page_as
from gateway.adapters.postgres import Tx


class EntryRow(NamedTuple):
    """A balance transaction as _ENTRY_COLUMNS selects it (amounts in signed paise)."""

    id: str
    type: str
    source_id: str
    amount: int
    fee: int
    tax: int
    net: int
    currency: str
    available_on: datetime
    settlement_id: str | None
    created_at: datetime


class NewEntry(NamedTuple):
    """An entry to book: it becomes available `available_after_seconds` after now (the database's)."""

    id: str
    merchant_id: str
    type: str
    source_id: str
    amount: int
    fee: int
    tax: int
    net: int  # amount - fee - tax (the table's CHECK holds the domain to it)
    currency: str
    available_after_seconds: int
    settlement_id: str | None = None  # a settlement's own entry is settled by it as it is booked


class Pricing(NamedTuple):
    """A merchant's fee per method in basis points; None: the gateway's default."""

    fee_bps_card: int | None
    fee_bps_upi: int | None


class BalanceRow(NamedTuple):
    available: int
    pending: int


class ProcessedRefund(NamedTuple):
    id: str
    amount: int


_ENTRY_COLUMNS = "id, type, source_id, amount, fee, tax, net, currency, available_on, settlement_id, created_at"
_ENTRY = class_row(EntryRow)
_PRICING = class_row(Pricing)
_BALANCE = class_row(BalanceRow)
_REFUND = class_row(ProcessedRefund)


def book(tx: Tx, entry: NewEntry) -> EntryRow | None:
    """Inserts the entry; None when its payment or refund is booked already (the unique index)."""
    return tx.one_as(
        _ENTRY,
        "INSERT INTO balance_transactions"
        " (id, merchant_id, type, source_id, amount, fee, tax, net, currency, available_on, settlement_id)"
        " VALUES (%(id)s, %(merchant_id)s, %(type)s, %(source_id)s, %(amount)s, %(fee)s, %(tax)s,"
        " %(net)s, %(currency)s, now() + make_interval(secs => %(available_after_seconds)s), %(settlement_id)s)"
        " ON CONFLICT (type, source_id) WHERE type IN ('payment', 'refund') DO NOTHING"
        f" RETURNING {_ENTRY_COLUMNS}",
        entry._asdict(),
    )


def pricing_of(tx: Tx, merchant_id: str) -> Pricing:
    row = tx.one_as(_PRICING, "SELECT fee_bps_card, fee_bps_upi FROM merchants WHERE id = %s", (merchant_id,))
    assert row is not None  # the payment being booked references it
    return row


def processed_refunds(tx: Tx, payment_id: str) -> list[ProcessedRefund]:
    """The payment's refunds processed so far (booked at its capture if they came before it)."""
    return tx.all_as(
        _REFUND,
        "SELECT id, amount FROM refunds WHERE payment_id = %s AND status = 'processed' ORDER BY processed_at, id",
        (payment_id,),
    )


def balance(tx: Tx, merchant_id: str, currency: str) -> BalanceRow:
    # sum(bigint) is numeric in Postgres (a Decimal here): cast back to whole paise.
    row = tx.one_as(
        _BALANCE,
        "SELECT coalesce(sum(net) FILTER (WHERE available_on <= now()), 0)::bigint AS available,"
        " coalesce(sum(net) FILTER (WHERE available_on > now()), 0)::bigint AS pending"
        " FROM balance_transactions WHERE merchant_id = %s AND currency = %s AND settlement_id IS NULL",
        (merchant_id, currency),
    )
    assert row is not None
    return row


def list_entries(
    tx: Tx, merchant_id: str, filters: dict[str, Any], limit: int, offset: int, starting_after: str | None
) -> PageOf[EntryRow] | None:
    """None when `starting_after` names no entry of this merchant."""
    where, params = filter_conditions(merchant_id, filters)
    for column in ("type", "source_id", "settlement_id"):
        if filters.get(column) is not None:
            where.append(f"{column} = %s")
            params.append(filters[column])
    if filters.get("search"):
        where.append("(id = %s OR source_id = %s)")
        params += [filters["search"], filters["search"]]
    return select_page_as(
        _ENTRY, tx, "balance_transactions", _ENTRY_COLUMNS, where, params, limit, offset, starting_after
    )
