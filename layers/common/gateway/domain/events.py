"""The events list (Stripe's /v1/events): every business event a merchant's account produced in the
last 30 days, delivered or not, and a redelivery of any of them to the endpoints subscribed to it."""

from __future__ import annotations

import json

from gateway.adapters import event_store, tracing
from gateway.adapters.postgres import Tx, transaction
from gateway.domain import outbox, webhook_fanout
from gateway.domain.merchant_identity import Merchant
from gateway.domain.paging import to_page
from gateway.errors import NotFound
from gateway.models.base import Page
from gateway.models.events import Event, EventDetail, EventListQuery, EventRedelivery
from gateway.models.webhooks import WebhookLog

RETENTION_DAYS = 30


def list_events(merchant: Merchant, query: EventListQuery) -> Page:
    with transaction() as tx:
        result = event_store.list_events(
            tx, merchant.id, query.filters(), query.limit, query.offset, query.starting_after
        )
    return to_page(result, query.limit, query.offset, lambda row: _event(row).model_dump(mode="json"), "event")


def get_event(merchant: Merchant, event_id: str) -> EventDetail:
    with transaction() as tx:
        row = _event_row(tx, merchant, event_id)
        deliveries = event_store.deliveries_of_event(tx, merchant.id, event_id)
    return EventDetail(
        **_event(row).model_dump(),
        deliveries=[WebhookLog.model_validate(d, from_attributes=True) for d in deliveries],
    )


def redeliver(merchant: Merchant, event_id: str) -> EventRedelivery:
    """Spends one of the merchant's redeliveries (429 past the budget, nothing written) and queues
    the new deliveries on the slow lane (webhook_fanout.deliver_again)."""
    with transaction() as tx:
        row = _event_row(tx, merchant, event_id)
        tracing.annotate(event_id=event_id)
        # The caller's endpoint state was read with its credentials: no second read of the merchant.
        deliveries = webhook_fanout.deliver_again(tx, merchant, row)
    outbox.publish([staged for _, staged in deliveries])
    return EventRedelivery(
        event_id=event_id,
        delivery_ids=[delivery_id for delivery_id, _ in deliveries],
        status="pending",
        message="Redelivery queued",
    )


def purge_expired(limit: int = 10_000) -> int:
    with transaction() as tx:
        return event_store.purge_old_events(tx, RETENTION_DAYS, limit)


def _event_row(tx: Tx, merchant: Merchant, event_id: str) -> event_store.EventRow:
    row = event_store.event_of_merchant(tx, merchant.id, event_id) if len(event_id) <= 64 else None
    if row is None:
        raise NotFound("Event not found")
    return row


def _event(row: event_store.EventRow) -> Event:
    return Event(
        id=row.id,
        type=row.type,
        payment_id=row.payment_id,
        created_at=row.created_at,
        data=json.loads(row.payload)["data"],
    )
