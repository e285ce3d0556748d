"""SQL of reports: the report row (its state and its claim) and the rows each type of report reads."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any, NamedTuple

from psycopg.rows import class_row

from gateway.adapters.list_pages import PageOf, filter_conditions, select_page_as
from gateway.adapters.postgres import Tx, streamed


class ReportRow(NamedTuple):
    id: str
    merchant_id: str
    type: str
    window_from: datetime
    window_to: datetime
    status: str
    attempts: int
    object_key: str | None
    row_count: int | None
    size_bytes: int | None
    failure_reason: str | None
    created_at: datetime
    completed_at: datetime | None


_COLUMNS = (
    "id, merchant_id::text AS merchant_id, type, window_from, window_to, status, attempts, object_key, row_count,"
    " size_bytes, failure_reason, created_at, completed_at"
)
_REPORT = class_row(ReportRow)


def insert_report(
    tx: Tx, report_id: str, merchant_id: str, report_type: str, window_from: datetime, window_to: datetime
) -> ReportRow:
    row = tx.one_as(
        _REPORT,
        "INSERT INTO reports (id, merchant_id, type, window_from, window_to)"
        f" VALUES (%s, %s, %s, %s, %s) RETURNING {_COLUMNS}",
        (report_id, merchant_id, report_type, window_from, window_to),
    )
    assert row is not None
    return row


def claim(tx: Tx, report_id: str, token: str, lease_seconds: int) -> ReportRow | None:
    """Takes a pending report, or one whose claim is older than the lease (its consumer died); None
    when it is ready, failed or being generated under a live claim (a duplicate delivery)."""
    return tx.one_as(
        _REPORT,
        "UPDATE reports SET status = 'generating', claimed_by = %s, claimed_at = now(), attempts = attempts + 1"
        " WHERE id = %s AND (status = 'pending'"
        " OR (status = 'generating' AND claimed_at < now() - make_interval(secs => %s)))"
        f" RETURNING {_COLUMNS}",
        (token, report_id, lease_seconds),
    )


def mark_ready(
    tx: Tx, report_id: str, token: str, object_key: str, row_count: int, size_bytes: int
) -> ReportRow | None:
    """None when the claim is no longer this consumer's (it lapsed and another took it over)."""
    return tx.one_as(
        _REPORT,
        "UPDATE reports SET status = 'ready', claimed_by = NULL, object_key = %s, row_count = %s, size_bytes = %s,"
        " completed_at = now() WHERE id = %s AND status = 'generating' AND claimed_by = %s"
        f" RETURNING {_COLUMNS}",
        (object_key, row_count, size_bytes, report_id, token),
    )


def mark_failed(tx: Tx, report_id: str, token: str, reason: str) -> ReportRow | None:
    return tx.one_as(
        _REPORT,
        "UPDATE reports SET status = 'failed', claimed_by = NULL, failure_reason = %s, completed_at = now()"
        f" WHERE id = %s AND status = 'generating' AND claimed_by = %s RETURNING {_COLUMNS}",
        (reason[:500], report_id, token),
    )


def release(tx: Tx, report_id: str, token: str) -> None:
    """Gives the claim back (a failure worth another attempt): pending again, for the redelivery."""
    tx.execute(
        "UPDATE reports SET status = 'pending', claimed_by = NULL, claimed_at = NULL"
        " WHERE id = %s AND status = 'generating' AND claimed_by = %s",
        (report_id, token),
    )


def report_of_merchant(tx: Tx, merchant_id: str, report_id: str) -> ReportRow | None:
    return tx.one_as(
        _REPORT, f"SELECT {_COLUMNS} FROM reports WHERE id = %s AND merchant_id = %s", (report_id, merchant_id)
    )


def list_reports(
    tx: Tx, merchant_id: str, filters: dict[str, Any], limit: int, offset: int, starting_after: str | None
) -> PageOf[ReportRow] | None:
    """None when `starting_after` names no report of this merchant."""
    where, params = filter_conditions(merchant_id, filters)
    if filters.get("type"):
        where.append("type = %s")
        params.append(filters["type"])
    if filters.get("search"):
        where.append("id = %s")
        params.append(filters["search"])
    return select_page_as(_REPORT, tx, "reports", _COLUMNS, where, params, limit, offset, starting_after)


# --- the rows of each type: a header and one SELECT each, oldest first ---------------------------
# Money columns are bigint paise (written as integers); times are timestamptz (UTC sessions).

_SOURCES: dict[str, tuple[tuple[str, ...], str]] = {
    "payments": (
        (
            "id", "order_id", "receipt", "amount", "currency", "method", "status", "vpa", "card_network",
            "card_last4", "captured", "captured_at", "amount_refunded", "error_code", "error_description",
            "created_at",
        ),
        "SELECT p.id, p.order_id, o.receipt, p.amount, p.currency, p.method, p.status, p.vpa, p.card_network,"
        " p.card_last4, p.captured, p.captured_at, p.amount_refunded, p.error_code, p.error_description, p.created_at"
        " FROM payments p JOIN orders o ON o.id = p.order_id"
        " WHERE p.merchant_id = %s AND p.created_at >= %s AND p.created_at < %s ORDER BY p.created_at, p.id",
    ),
    "refunds": (
        ("id", "payment_id", "amount", "reason", "status", "created_at", "processed_at"),
        "SELECT id, payment_id, amount, reason, status, created_at, processed_at FROM refunds"
        " WHERE merchant_id = %s AND created_at >= %s AND created_at < %s ORDER BY created_at, id",
    ),
    "balance_transactions": (
        (
            "id", "type", "source_id", "amount", "fee", "tax", "net", "currency", "available_on", "settlement_id",
            "created_at",
        ),
        "SELECT id, type, source_id, amount, fee, tax, net, currency, available_on, settlement_id, created_at"
        " FROM balance_transactions WHERE merchant_id = %s AND created_at >= %s AND created_at < %s"
        " ORDER BY created_at, id",
    ),
    "settlements": (
        ("id", "amount", "fees", "tax", "entries", "currency", "status", "created_at", "processed_at"),
        "SELECT id, amount, fees, tax, entries, currency, status, created_at, processed_at FROM settlements"
        " WHERE merchant_id = %s AND created_at >= %s AND created_at < %s ORDER BY created_at, id",
    ),
}  # fmt: skip


def header(report_type: str) -> tuple[str, ...]:
    return _SOURCES[report_type][0]


def stream_rows(
    report_type: str, merchant_id: str, window_from: datetime, window_to: datetime, chunk_rows: int
) -> Iterator[list[tuple[Any, ...]]]:
    """The report's rows in chunks of `chunk_rows`, in header order, through a server-side cursor
    (postgres.streamed: no transaction open meanwhile): one chunk held, whatever the window holds."""
    return streamed(_SOURCES[report_type][1], (merchant_id, window_from, window_to), chunk_rows)
