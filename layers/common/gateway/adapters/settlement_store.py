"""SQL of settlements: the per-merchant lock, the entries a run takes, the settlement row."""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from psycopg.rows import class_row

from gateway.adapters.list_pages import PageOf, filter_conditions, select_page_as
from gateway.adapters.postgres import Tx


class SettlementRow(NamedTuple):
    id: str
    merchant_id: str
    amount: int
    fees: int
    tax: int
    entries: int
    currency: str
    status: str
    created_at: datetime
    processed_at: datetime | None


class Settleable(NamedTuple):
    """The available, unsettled entries of a merchant: their ids and sums (paise)."""

    ids: list[str]
    net: int
    fees: int
    tax: int


_COLUMNS = (
    "id, merchant_id::text AS merchant_id, amount, fees, tax, entries, currency, status, created_at, processed_at"
)
_SETTLEMENT = class_row(SettlementRow)
# Settlement runs hold this transaction-scoped advisory lock per merchant (the first key: a namespace).
_LOCK_NAMESPACE = 22_002


def lock_merchant(tx: Tx, merchant_id: str) -> None:
    """Waits for any other settlement run of this merchant to commit or roll back; held until this
    transaction ends (RDS Proxy does not pin on xact advisory locks)."""
    tx.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", (_LOCK_NAMESPACE, merchant_id))


def take_available(tx: Tx, merchant_id: str, currency: str) -> Settleable:
    """Locks and sums the merchant's entries whose available_on has passed and that no settlement
    holds. Read after lock_merchant: in READ COMMITTED this statement sees what a previous run committed."""
    rows = tx.all(
        "SELECT id, net, fee, tax FROM balance_transactions"
        " WHERE merchant_id = %s AND currency = %s AND settlement_id IS NULL AND available_on <= now()"
        " ORDER BY id FOR UPDATE",
        (merchant_id, currency),
    )
    return Settleable(
        ids=[row["id"] for row in rows],
        net=sum(int(row["net"]) for row in rows),
        fees=sum(int(row["fee"]) for row in rows),
        tax=sum(int(row["tax"]) for row in rows),
    )


def insert_settlement(tx: Tx, settlement_id: str, merchant_id: str, taken: Settleable, currency: str) -> SettlementRow:
    row = tx.one_as(
        _SETTLEMENT,
        "INSERT INTO settlements (id, merchant_id, amount, fees, tax, entries, currency)"
        f" VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING {_COLUMNS}",
        (settlement_id, merchant_id, taken.net, taken.fees, taken.tax, len(taken.ids), currency),
    )
    assert row is not None
    return row


def attach(tx: Tx, settlement_id: str, entry_ids: list[str]) -> int:
    """Attaches the settlement to the entries (the append-only trigger allows null -> id, once)."""
    return tx.execute(
        "UPDATE balance_transactions SET settlement_id = %s WHERE id = ANY(%s) AND settlement_id IS NULL",
        (settlement_id, entry_ids),
    )


def mark_processed(tx: Tx, settlement_id: str) -> SettlementRow:
    row = tx.one_as(
        _SETTLEMENT,
        "UPDATE settlements SET status = 'processed', processed_at = now()"
        f" WHERE id = %s AND status = 'created' RETURNING {_COLUMNS}",
        (settlement_id,),
    )
    assert row is not None
    return row


def merchants_with_available(tx: Tx, currency: str) -> list[str]:
    rows = tx.all(
        "SELECT DISTINCT merchant_id FROM balance_transactions"
        " WHERE currency = %s AND settlement_id IS NULL AND available_on <= now() ORDER BY 1",
        (currency,),
    )
    return [row["merchant_id"] for row in rows]


def settlement_of_merchant(tx: Tx, merchant_id: str, settlement_id: str) -> SettlementRow | None:
    return tx.one_as(
        _SETTLEMENT,
        f"SELECT {_COLUMNS} FROM settlements WHERE id = %s AND merchant_id = %s",
        (settlement_id, merchant_id),
    )


def list_settlements(
    tx: Tx, merchant_id: str, filters: dict[str, Any], limit: int, offset: int, starting_after: str | None
) -> PageOf[SettlementRow] | None:
    """None when `starting_after` names no settlement of this merchant."""
    where, params = filter_conditions(merchant_id, filters)
    if filters.get("search"):
        where.append("id = %s")
        params.append(filters["search"])
    return select_page_as(_SETTLEMENT, tx, "settlements", _COLUMNS, where, params, limit, offset, starting_after)
