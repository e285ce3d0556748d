"""The merchant's delivery log: list, one delivery with its attempts, a manual retry."""

from __future__ import annotations

import json
import uuid
from dataclasses import asdict

from gateway.adapters import (
    webhook_store,
)
from gateway.adapters.postgres import Tx, transaction
from gateway.domain import outbox
from gateway.domain.merchant_identity import Merchant
from gateway.domain.paging import to_page
from gateway.domain.webhook_fanout import SLOW_LANE, spend_redelivery
from gateway.errors import BadRequest, NotFound
from gateway.models.base import Page
from gateway.models.jobs import WebhookJob
from gateway.models.webhooks import WebhookAttempt, WebhookListQuery, WebhookLog, WebhookLogDetail, WebhookRetryReply


def list_logs(merchant: Merchant, query: WebhookListQuery) -> Page:
    if query.starting_after is not None and not _is_uuid(query.starting_after):
        return to_page(None, query.limit, query.offset, dict, "log")  # names no log: a 400 like the others
    with transaction() as tx:
        result = webhook_store.list_webhook_logs(
            tx, merchant.id, query.filters(), query.limit, query.offset, query.starting_after
        )
    return to_page(
        result,
        query.limit,
        query.offset,
        lambda row: WebhookLog.model_validate(row, from_attributes=True).model_dump(mode="json"),
        "log",
    )


def get_log(merchant: Merchant, webhook_log_id: str) -> WebhookLogDetail:
    with transaction() as tx:
        row = _log_of(tx, merchant, webhook_log_id)
        attempts = webhook_store.webhook_attempts(tx, webhook_log_id)
    # The reply carries the payload as JSON, not the bytes that were signed.
    return WebhookLogDetail(
        **{**asdict(row), "payload": json.loads(row.payload)},
        attempt_history=[WebhookAttempt.model_validate(a, from_attributes=True) for a in attempts],
    )


def retry(merchant: Merchant, webhook_log_id: str) -> WebhookRetryReply:
    """A manual retry: one of the merchant's redeliveries (429 past the budget), through the slow lane."""
    with transaction() as tx:
        _log_of(tx, merchant, webhook_log_id)
        reset = webhook_store.reset_webhook_for_retry(tx, merchant.id, webhook_log_id)
        if reset is None:
            raise BadRequest("Webhook delivery is already pending")
        spend_redelivery(tx, merchant.id)
        staged = outbox.stage(tx, SLOW_LANE, WebhookJob(webhook_log_id=webhook_log_id))
    outbox.publish([staged])
    return WebhookRetryReply(id=webhook_log_id, status="pending", message="Webhook retry scheduled")


def _log_of(tx: Tx, merchant: Merchant, webhook_log_id: str) -> webhook_store.WebhookLogDetailRow:
    if not _is_uuid(webhook_log_id):
        raise NotFound("Webhook log not found")
    row = webhook_store.webhook_log_of_merchant(tx, merchant.id, webhook_log_id)
    if row is None:
        raise NotFound("Webhook log not found")
    return row


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True
