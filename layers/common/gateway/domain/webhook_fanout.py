"""Fan-out: an event recorded with the state change that causes it, one delivery per subscribed
endpoint staged in the same transaction, and the lane each goes to; redeliveries and test events.

Redeliveries and manual retries spend a per-merchant budget (429 past it) and go through the slow
lane: a flood of them never queues in front of anyone's live events."""

from __future__ import annotations

import math
import time
from typing import Any

from gateway.adapters import (
    endpoint_store,
    event_store,
    webhook_store,
)
from gateway.adapters.postgres import Tx, transaction
from gateway.domain import outbox
from gateway.domain.merchant_identity import Merchant
from gateway.domain.webhook_signing import compact_json
from gateway.errors import BadRequest, RateLimited
from gateway.ids import new_id
from gateway.models.jobs import WebhookJob
from gateway.models.webhooks import WebhookRetryReply
from gateway.settings import get_settings

# Redeliveries (events/{id}/redeliver, webhooks/{id}/retry) per merchant: a bucket of 60, refilled at
# one a second. A merchant catching up after an outage gets 3,600 an hour; a flood is 429.
REDELIVERY_LIMIT = 60


REDELIVERY_PERIOD_SECONDS = 60


FAST_LANE, SLOW_LANE = "webhooks", "webhooks_slow"


def record_event(tx: Tx, merchant: Merchant, event: str, data: dict[str, Any]) -> list[outbox.StagedMessage]:
    """Stores the event (GET /api/v1/events) in the caller's transaction with a delivery to each
    endpoint subscribed to it; returns the deliveries' messages (none without an endpoint)."""
    event_id, payload = _new_event(event, data)
    deliveries = event_store.insert_event(tx, merchant.id, event_id, event, payload, _payment_of(data))
    return [_stage_delivery(tx, delivery) for delivery in deliveries]


def _new_event(event: str, data: dict[str, Any]) -> tuple[str, str]:
    """A new event's id and the exact bytes every delivery of it signs and sends."""
    event_id = new_id("evt_")
    return event_id, compact_json({"id": event_id, "event": event, "timestamp": int(time.time()), "data": data})


def deliver_again(tx: Tx, merchant: Merchant, event: event_store.EventRow) -> list[tuple[str, outbox.StagedMessage]]:
    """A new attempt series for a stored event to each endpoint subscribed to it now, with the
    event's own id (the same `webhook-id`, so a receiver that already has it dedupes). It spends one
    of the merchant's redeliveries (RateLimited past the budget) and goes through the slow lane."""
    deliveries = event_store.insert_deliveries(tx, merchant.id, event)
    if not deliveries:
        raise BadRequest("No webhook endpoint is subscribed to this event: configure one first")
    spend_redelivery(tx, merchant.id)
    return [(d.id, outbox.stage(tx, SLOW_LANE, WebhookJob(webhook_log_id=d.id))) for d in deliveries]


def spend_redelivery(tx: Tx, merchant_id: str) -> None:
    """Takes one of the merchant's redeliveries; past the budget, RateLimited (429 with Retry-After;
    the caller's transaction rolls back, so nothing is written)."""
    bucket = event_store.spend_redelivery_token(tx, merchant_id, REDELIVERY_LIMIT, REDELIVERY_PERIOD_SECONDS)
    if not bucket.allowed:
        seconds_per_token = REDELIVERY_PERIOD_SECONDS / REDELIVERY_LIMIT
        retry_after = max(1, math.ceil((1 - float(bucket.tokens)) * seconds_per_token))
        raise RateLimited(
            f"Too many redeliveries: {REDELIVERY_LIMIT} per {REDELIVERY_PERIOD_SECONDS} s allowed;"
            f" retry after {retry_after} s",
            headers={"Retry-After": str(retry_after)},
        )


def _stage_delivery(tx: Tx, delivery: event_store.DeliveryRow) -> outbox.StagedMessage:
    return outbox.stage(tx, lane(delivery.slow_lane), WebhookJob(webhook_log_id=delivery.id))


def lane(endpoint_in_slow_lane: bool) -> str:
    """The queue for an endpoint's deliveries: the slow lane while it is failing or slow, so a dead
    or slow endpoint uses the slow lane's bounded capacity and never delays other endpoints."""
    return SLOW_LANE if endpoint_in_slow_lane else FAST_LANE


def lane_of_queue(queue_arn: str) -> str:
    """The lane a consumer's record came from, by its queue's name (the ARN's last part, the URL's
    last path segment); anything but the fast queue is treated as the slow lane, which posts what
    it claims."""
    name = queue_arn.rsplit(":", 1)[-1]
    fast_url = get_settings().webhooks_queue_url.rstrip("/")
    return FAST_LANE if fast_url and fast_url.rsplit("/", 1)[-1] == name else SLOW_LANE


def _payment_of(data: dict[str, Any]) -> str | None:
    """The payment an event is about, so a payment's page can list its deliveries."""
    if "payment" in data:
        return str(data["payment"]["id"])
    for about in ("refund", "dispute"):
        if about in data:
            return str(data[about]["payment_id"])
    return None


def send_test_event(merchant: Merchant) -> WebhookRetryReply:
    """A test delivery to the merchant's default endpoint, on its endpoint's lane."""
    with transaction() as tx:
        default = endpoint_store.default_endpoint(tx, merchant.id)
        if default is None or not default.url:
            raise BadRequest("Configure a webhook URL first")
        # A test delivery, not a business event: it is not stored in the events list.
        event_id, payload = _new_event("webhook.test", {"message": "Test webhook from the payment gateway"})
        log_id = webhook_store.insert_webhook_log(tx, merchant.id, default.id, event_id, "webhook.test", payload, None)
        staged = outbox.stage(tx, lane(default.slow_lane), WebhookJob(webhook_log_id=log_id))
    outbox.publish([staged])
    return WebhookRetryReply(id=log_id, status="pending", message="Test webhook queued")
