"""SQL of disputes: what a payment has disputed, the conditional state changes, evidence documents, lists.

Every state change is one `UPDATE … WHERE status = <the state it leaves>`: of two changes racing
(a contest arriving as the deadline fires), the row lock lets one through and the other finds the
row no longer in that state and changes nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from psycopg.rows import class_row

from gateway.adapters.list_pages import PageOf, filter_conditions, select_page_as
from gateway.adapters.postgres import Tx, as_json

# Disputes whose amount is taken from the payment: a won dispute gives it back.
ACTIVE_STATUSES = ("open", "under_review", "lost")


class DisputeRow(NamedTuple):
    """A dispute as _COLUMNS selects it."""

    id: str
    payment_id: str
    merchant_id: str
    amount: int  # paise
    currency: str
    reason: str
    status: str
    respond_by: datetime
    evidence: dict[str, Any] | None
    evidence_submitted_at: datetime | None
    closed_reason: str | None
    closed_at: datetime | None
    created_at: datetime


class DocumentRow(NamedTuple):
    id: str
    dispute_id: str
    merchant_id: str
    filename: str
    content_type: str
    size: int
    object_key: str
    created_at: datetime


_COLUMNS = (
    "id, payment_id, merchant_id::text AS merchant_id, amount, currency, reason, status, respond_by, evidence,"
    " evidence_submitted_at, closed_reason, closed_at, created_at"
)
_DISPUTE = class_row(DisputeRow)
_DOCUMENT_COLUMNS = (
    "id, dispute_id, merchant_id::text AS merchant_id, filename, content_type, size, object_key, created_at"
)
_DOCUMENT = class_row(DocumentRow)


def disputed_amount(tx: Tx, payment_id: str) -> int:
    """Paise of the payment held by its open, under-review and lost disputes. Read under the
    payment's row lock (payment_store.lock_payment_of_merchant), as refunds read it too."""
    row = tx.one(
        "SELECT coalesce(sum(amount), 0)::bigint AS held FROM disputes WHERE payment_id = %s AND status = ANY(%s)",
        (payment_id, list(ACTIVE_STATUSES)),
    )
    assert row is not None
    return int(row["held"])


def insert_dispute(
    tx: Tx,
    dispute_id: str,
    payment_id: str,
    merchant_id: str,
    amount: int,
    currency: str,
    reason: str,
    respond_in_seconds: int,
) -> DisputeRow:
    row = tx.one_as(
        _DISPUTE,
        "INSERT INTO disputes (id, payment_id, merchant_id, amount, currency, reason, respond_by)"
        " VALUES (%s, %s, %s, %s, %s, %s, now() + make_interval(secs => %s))"
        f" RETURNING {_COLUMNS}",
        (dispute_id, payment_id, merchant_id, amount, currency, reason, respond_in_seconds),
    )
    assert row is not None
    return row


def dispute_of_merchant(tx: Tx, merchant_id: str, dispute_id: str) -> DisputeRow | None:
    return tx.one_as(
        _DISPUTE, f"SELECT {_COLUMNS} FROM disputes WHERE id = %s AND merchant_id = %s", (dispute_id, merchant_id)
    )


def lock_dispute_of_merchant(tx: Tx, merchant_id: str, dispute_id: str) -> DisputeRow | None:
    return tx.one_as(
        _DISPUTE,
        f"SELECT {_COLUMNS} FROM disputes WHERE id = %s AND merchant_id = %s FOR UPDATE",
        (dispute_id, merchant_id),
    )


def dispute_by_id(tx: Tx, dispute_id: str) -> DisputeRow | None:
    return tx.one_as(_DISPUTE, f"SELECT {_COLUMNS} FROM disputes WHERE id = %s", (dispute_id,))


def submit_evidence(tx: Tx, merchant_id: str, dispute_id: str, evidence: dict[str, Any]) -> DisputeRow | None:
    """open → under_review, only before respond_by; None when the dispute is not open or is late."""
    return tx.one_as(
        _DISPUTE,
        "UPDATE disputes SET status = 'under_review', evidence = %s, evidence_submitted_at = now(), updated_at = now()"
        " WHERE id = %s AND merchant_id = %s AND status = 'open' AND respond_by > now()"
        f" RETURNING {_COLUMNS}",
        (as_json(evidence), dispute_id, merchant_id),
    )


def accept(tx: Tx, merchant_id: str, dispute_id: str) -> DisputeRow | None:
    """open → lost (the merchant concedes); None when the dispute is not open."""
    return tx.one_as(
        _DISPUTE,
        "UPDATE disputes SET status = 'lost', closed_reason = 'accepted', closed_at = now(), updated_at = now()"
        " WHERE id = %s AND merchant_id = %s AND status = 'open'"
        f" RETURNING {_COLUMNS}",
        (dispute_id, merchant_id),
    )


def expire(tx: Tx, dispute_id: str) -> DisputeRow | None:
    """open → lost once respond_by has passed; None when it was answered, closed, or is not due."""
    return tx.one_as(
        _DISPUTE,
        "UPDATE disputes SET status = 'lost', closed_reason = 'unanswered', closed_at = now(), updated_at = now()"
        " WHERE id = %s AND status = 'open' AND respond_by <= now()"
        f" RETURNING {_COLUMNS}",
        (dispute_id,),
    )


def overdue(tx: Tx, late_by_seconds: int, limit: int) -> list[str]:
    """Open disputes whose respond_by passed more than `late_by_seconds` ago: their schedule was lost."""
    rows = tx.all(
        "SELECT id FROM disputes WHERE status = 'open' AND respond_by < now() - make_interval(secs => %s)"
        " ORDER BY respond_by LIMIT %s",
        (late_by_seconds, limit),
    )
    return [row["id"] for row in rows]


def decide(tx: Tx, merchant_id: str, dispute_id: str, outcome: str) -> DisputeRow | None:
    """under_review → won | lost; None when the dispute is not under review."""
    return tx.one_as(
        _DISPUTE,
        "UPDATE disputes SET status = %s, closed_reason = 'decided', closed_at = now(), updated_at = now()"
        " WHERE id = %s AND merchant_id = %s AND status = 'under_review'"
        f" RETURNING {_COLUMNS}",
        (outcome, dispute_id, merchant_id),
    )


def list_disputes(
    tx: Tx, merchant_id: str, filters: dict[str, Any], limit: int, offset: int, starting_after: str | None
) -> PageOf[DisputeRow] | None:
    """None when `starting_after` names no dispute of this merchant."""
    where, params = filter_conditions(merchant_id, filters)
    if filters.get("search"):
        where.append("(id = %s OR payment_id = %s)")
        params += [filters["search"], filters["search"]]
    return select_page_as(_DISPUTE, tx, "disputes", _COLUMNS, where, params, limit, offset, starting_after)


def insert_document(
    tx: Tx,
    document_id: str,
    dispute_id: str,
    merchant_id: str,
    filename: str,
    content_type: str,
    size: int,
    object_key: str,
) -> DocumentRow:
    row = tx.one_as(
        _DOCUMENT,
        "INSERT INTO dispute_documents (id, dispute_id, merchant_id, filename, content_type, size, object_key)"
        f" VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING {_DOCUMENT_COLUMNS}",
        (document_id, dispute_id, merchant_id, filename, content_type, size, object_key),
    )
    assert row is not None
    return row


def documents_of_dispute(tx: Tx, dispute_id: str, document_ids: list[str]) -> list[DocumentRow]:
    """Those of `document_ids` that were uploaded for this dispute."""
    return tx.all_as(
        _DOCUMENT,
        f"SELECT {_DOCUMENT_COLUMNS} FROM dispute_documents WHERE dispute_id = %s AND id = ANY(%s)",
        (dispute_id, document_ids),
    )


def count_documents(tx: Tx, dispute_id: str) -> int:
    row = tx.one("SELECT count(*) AS n FROM dispute_documents WHERE dispute_id = %s", (dispute_id,))
    assert row is not None
    return int(row["n"])
