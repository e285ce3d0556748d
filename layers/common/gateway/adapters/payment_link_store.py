"""SQL of payment links: creation (reference_id unique per merchant), what a payment may add to
one, crediting a successful payment, expiry, cancellation, lists."""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from psycopg.rows import class_row

from gateway.adapters.list_pages import PageOf, filter_conditions, select_page_as
from gateway.adapters.postgres import Tx, as_json


class PaymentLinkRow(NamedTuple):
    """A payment link as _COLUMNS selects it."""

    id: str
    merchant_id: str
    order_id: str
    amount: int  # paise
    amount_paid: int  # paise: its successful payments
    currency: str
    description: str | None
    customer: dict[str, Any] | None
    expire_by: datetime | None
    accept_partial: bool
    first_min_partial_amount: int | None
    reference_id: str | None
    notes: dict[str, Any] | None
    callback_url: str | None
    status: str
    created_at: datetime
    updated_at: datetime


class NewPaymentLink(NamedTuple):
    id: str
    merchant_id: str
    order_id: str
    amount: int
    currency: str
    description: str | None
    customer: dict[str, Any] | None
    expire_by: datetime | None
    accept_partial: bool
    first_min_partial_amount: int | None
    reference_id: str | None
    notes: dict[str, Any] | None
    callback_url: str | None


class CommittedRow(NamedTuple):
    """What an order's payments hold: `committed` counts live (pending, processing) and successful ones."""

    committed: int  # paise


_COLUMNS = (
    "id, merchant_id, order_id, amount, amount_paid, currency, description, customer, expire_by, accept_partial,"
    " first_min_partial_amount, reference_id, notes, callback_url, status, created_at, updated_at"
)
_LINK = class_row(PaymentLinkRow)
_COMMITTED = class_row(CommittedRow)
OPEN_STATUSES = ("created", "partially_paid")


def insert_payment_link(tx: Tx, link: NewPaymentLink) -> PaymentLinkRow | None:
    """The new link; None when the merchant already has a link with its reference_id (the unique
    index decides, so two racing creates cannot both pass)."""
    values = link._asdict()
    values["customer"] = as_json(link.customer)
    values["notes"] = as_json(link.notes)
    return tx.one_as(
        _LINK,
        "INSERT INTO payment_links (id, merchant_id, order_id, amount, currency, description, customer, expire_by,"
        " accept_partial, first_min_partial_amount, reference_id, notes, callback_url) VALUES (%(id)s,"
        " %(merchant_id)s, %(order_id)s, %(amount)s, %(currency)s, %(description)s, %(customer)s, %(expire_by)s,"
        " %(accept_partial)s, %(first_min_partial_amount)s, %(reference_id)s, %(notes)s, %(callback_url)s)"
        " ON CONFLICT (merchant_id, reference_id) WHERE reference_id IS NOT NULL DO NOTHING"
        f" RETURNING {_COLUMNS}",
        values,
    )


def link_of_merchant(tx: Tx, merchant_id: str, link_id: str) -> PaymentLinkRow | None:
    return tx.one_as(
        _LINK, f"SELECT {_COLUMNS} FROM payment_links WHERE id = %s AND merchant_id = %s", (link_id, merchant_id)
    )


def link_of_order(tx: Tx, order_id: str) -> PaymentLinkRow | None:
    return tx.one_as(_LINK, f"SELECT {_COLUMNS} FROM payment_links WHERE order_id = %s", (order_id,))


def committed_to_order(tx: Tx, order_id: str) -> int:
    """Paise the order's live and successful payments hold (call with the order's row locked)."""
    row = tx.one_as(
        _COMMITTED,
        "SELECT coalesce(sum(amount), 0)::bigint AS committed FROM payments"
        " WHERE order_id = %s AND status IN ('pending', 'processing', 'success')",
        (order_id,),
    )
    assert row is not None
    return row.committed


def credit_payment(tx: Tx, order_id: str, amount: int) -> tuple[PaymentLinkRow, str] | None:
    """A successful payment of the link's order added to amount_paid; an open link becomes
    partially_paid or paid. The link as it is now and its status before; None: no link has this order."""
    before = tx.one("SELECT status FROM payment_links WHERE order_id = %s FOR UPDATE", (order_id,))
    if before is None:
        return None
    link = tx.one_as(
        _LINK,
        "UPDATE payment_links SET amount_paid = amount_paid + %(amount)s, updated_at = now(),"
        " status = CASE WHEN status NOT IN ('created', 'partially_paid') THEN status"
        "  WHEN amount_paid + %(amount)s >= amount THEN 'paid' ELSE 'partially_paid' END"
        f" WHERE order_id = %(order)s RETURNING {_COLUMNS}",
        {"order": order_id, "amount": amount},
    )
    assert link is not None
    return link, str(before["status"])


def expire_link(tx: Tx, link_id: str) -> PaymentLinkRow | None:
    """An open link whose expire_by has passed, expired; None if it is not (or no longer) so."""
    return tx.one_as(
        _LINK,
        "UPDATE payment_links SET status = 'expired', updated_at = now()"
        " WHERE id = %s AND status IN ('created', 'partially_paid') AND expire_by <= now()"
        f" RETURNING {_COLUMNS}",
        (link_id,),
    )


def bring_expiry_forward(tx: Tx, link_id: str) -> None:
    """An open link's expire_by moved to now (test mode's clock jump; never later than it was)."""
    tx.execute(
        "UPDATE payment_links SET expire_by = least(expire_by, now()), updated_at = now()"
        " WHERE id = %s AND status IN ('created', 'partially_paid')",
        (link_id,),
    )


def overdue_links(tx: Tx, limit: int) -> list[str]:
    """Open links past their expire_by (their schedule was lost or has not fired yet)."""
    rows = tx.all(
        "SELECT id FROM payment_links WHERE status IN ('created', 'partially_paid') AND expire_by <= now()"
        " ORDER BY expire_by LIMIT %s",
        (limit,),
    )
    return [row["id"] for row in rows]


def cancel_link(tx: Tx, merchant_id: str, link_id: str) -> PaymentLinkRow | None:
    return tx.one_as(
        _LINK,
        "UPDATE payment_links SET status = 'cancelled', updated_at = now()"
        " WHERE id = %s AND merchant_id = %s AND status IN ('created', 'partially_paid')"
        f" RETURNING {_COLUMNS}",
        (link_id, merchant_id),
    )


def list_links(
    tx: Tx, merchant_id: str, filters: dict[str, Any], limit: int, offset: int, starting_after: str | None
) -> PageOf[PaymentLinkRow] | None:
    """None when `starting_after` names no link of this merchant."""
    where, params = filter_conditions(merchant_id, filters)
    if filters.get("reference_id"):
        where.append("reference_id = %s")
        params.append(filters["reference_id"])
    if filters.get("search"):
        where.append("(id = %s OR order_id = %s)")
        params += [filters["search"], filters["search"]]
    return select_page_as(_LINK, tx, "payment_links", _COLUMNS, where, params, limit, offset, starting_after)
