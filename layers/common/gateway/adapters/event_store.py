"""SQL of events: each stored with a delivery to every endpoint subscribed to it, lists, the purge."""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from psycopg.rows import class_row

from gateway.adapters.endpoint_store import in_slow_lane
from gateway.adapters.list_pages import PageOf, filter_conditions, select_page_as
from gateway.adapters.postgres import Tx
from gateway.adapters.webhook_store import WEBHOOK_COLUMNS, WEBHOOK_LOG, WebhookLogRow


class EventRow(NamedTuple):
    """An event as _EVENT_COLUMNS selects it."""

    id: str
    type: str
    payment_id: str | None
    payload: str  # the exact bytes every delivery of it signs and sends
    created_at: datetime


class DeliveryRow(NamedTuple):
    """A delivery just created, and whether its endpoint is in the slow lane (its queue)."""

    id: str
    endpoint_id: str
    slow_lane: bool


class RedeliveryBucket(NamedTuple):
    tokens: float
    allowed: bool
    rate_limit: float
    period: float


_EVENT = class_row(EventRow)
_DELIVERY = class_row(DeliveryRow)
_BUCKET = class_row(RedeliveryBucket)

# The endpoints an event goes to, in one statement with the deliveries it creates: every enabled
# endpoint whose filter names the event, its family or `*` (the merchant's default endpoint takes
# `*`, and is disabled while it has no URL). Each delivery comes back with whether its endpoint is
# failing or slow (`slow_lane`: its queue lane).
_DELIVER_TO_TARGETS = (
    " targets AS (SELECT id AS endpoint_id, created_at,"
    f"  {in_slow_lane('webhook_endpoints')} AS slow_lane FROM webhook_endpoints"
    "  WHERE merchant_id = %(merchant_id)s AND NOT disabled AND deleted_at IS NULL"
    "  AND enabled_events && ARRAY['*', %(event)s, %(family)s]::text[]),"
    " inserted AS (INSERT INTO webhook_logs"
    "  (merchant_id, event_id, event, payload, payment_id, endpoint_id, created_at)"
    "  SELECT %(merchant_id)s, stored.id, %(event)s, %(payload)s, %(payment_id)s, targets.endpoint_id,"
    "  clock_timestamp()"
    "  FROM stored, targets ORDER BY targets.created_at, targets.endpoint_id RETURNING id, endpoint_id)"
    " SELECT inserted.id, inserted.endpoint_id, targets.slow_lane FROM inserted JOIN targets USING (endpoint_id)"
)


def insert_event(
    tx: Tx,
    merchant_id: str,
    event_id: str,
    event: str,
    payload: str,
    payment_id: str | None,
) -> list[DeliveryRow]:
    """Stores the event and a delivery to each endpoint subscribed to it, in one statement (one
    round trip on the hot path): the deliveries' `id`, `endpoint_id` and `slow_lane`."""
    # clock_timestamp: events of one transaction (payment.created, payment.pending) list in order.
    stored = (
        "WITH stored AS (INSERT INTO events (id, merchant_id, type, payload, payment_id, created_at)"
        " VALUES (%(event_id)s, %(merchant_id)s, %(event)s, %(payload)s, %(payment_id)s, clock_timestamp())"
        " RETURNING id),"
    )
    return tx.all_as(
        _DELIVERY, stored + _DELIVER_TO_TARGETS, _delivery_params(merchant_id, event_id, event, payload, payment_id)
    )


def insert_deliveries(tx: Tx, merchant_id: str, event: EventRow) -> list[DeliveryRow]:
    """New deliveries of a stored event to every endpoint subscribed to it now (a redelivery)."""
    return tx.all_as(
        _DELIVERY,
        "WITH stored AS (SELECT %(event_id)s::varchar AS id)," + _DELIVER_TO_TARGETS,
        _delivery_params(merchant_id, event.id, event.type, event.payload, event.payment_id),
    )


def _delivery_params(
    merchant_id: str, event_id: str, event: str, payload: str, payment_id: str | None
) -> dict[str, Any]:
    return {
        "merchant_id": merchant_id,
        "event_id": event_id,
        "event": event,
        "family": event.split(".")[0] + ".*",
        "payload": payload,
        "payment_id": payment_id,
    }


_EVENT_COLUMNS = "id, type, payment_id, payload, created_at"


def list_events(
    tx: Tx, merchant_id: str, filters: dict[str, Any], limit: int, offset: int, starting_after: str | None
) -> PageOf[EventRow] | None:
    """None when `starting_after` names no event of this merchant. A `type` ending in `.*` is a prefix."""
    where, params = filter_conditions(merchant_id, filters)
    event_type = filters.get("type")
    if event_type and event_type.endswith(".*"):
        where.append("type LIKE %s")
        params.append(event_type[:-1] + "%")  # types are [a-z_.]: no LIKE wildcard to escape
    elif event_type:
        where.append("type = %s")
        params.append(event_type)
    if filters.get("search"):
        where.append("(id = %s OR payment_id = %s)")
        params += [filters["search"], filters["search"]]
    return select_page_as(_EVENT, tx, "events", _EVENT_COLUMNS, where, params, limit, offset, starting_after)


def event_of_merchant(tx: Tx, merchant_id: str, event_id: str) -> EventRow | None:
    return tx.one_as(
        _EVENT, f"SELECT {_EVENT_COLUMNS} FROM events WHERE id = %s AND merchant_id = %s", (event_id, merchant_id)
    )


def deliveries_of_event(tx: Tx, merchant_id: str, event_id: str) -> list[WebhookLogRow]:
    return tx.all_as(
        WEBHOOK_LOG,
        f"SELECT {WEBHOOK_COLUMNS} FROM webhook_logs WHERE event_id = %s AND merchant_id = %s ORDER BY created_at",
        (event_id, merchant_id),
    )


def spend_redelivery_token(tx: Tx, merchant_id: str, limit: int, period_seconds: int) -> RedeliveryBucket:
    """Takes a token from the merchant's redelivery bucket (`limit` per `period_seconds`, refilled
    continuously, kept in rate_limit_buckets beside the request budgets as kind 'resend': one per
    merchant, whichever credential asked): its `tokens` left and whether this redelivery was
    `allowed` (a refused one takes none)."""
    row = tx.one_as(
        _BUCKET,
        "INSERT INTO rate_limit_buckets AS b (merchant_id, credential, kind, rate_limit, period, tokens, allowed,"
        " updated_at) VALUES (%(merchant_id)s, 'key', 'resend', %(limit)s, %(period)s, %(limit)s - 1, true,"
        " clock_timestamp())"
        " ON CONFLICT (merchant_id, credential, kind) DO UPDATE SET"
        "  tokens = {refilled} - CASE WHEN {refilled} >= 1 THEN 1 ELSE 0 END, allowed = {refilled} >= 1,"
        "  rate_limit = EXCLUDED.rate_limit, period = EXCLUDED.period, updated_at = EXCLUDED.updated_at"
        " RETURNING tokens, allowed, rate_limit, period".replace(
            "{refilled}",
            "rate_limit_refill(b.tokens, b.updated_at, EXCLUDED.updated_at, EXCLUDED.rate_limit, EXCLUDED.period)",
        ),
        {"merchant_id": merchant_id, "limit": float(limit), "period": float(period_seconds)},
    )
    assert row is not None
    return row


def purge_old_events(tx: Tx, older_than_days: int, limit: int) -> int:
    return tx.execute(
        "DELETE FROM events WHERE id IN (SELECT id FROM events"
        " WHERE created_at < now() - make_interval(days => %s) ORDER BY created_at LIMIT %s)",
        (older_than_days, limit),
    )
