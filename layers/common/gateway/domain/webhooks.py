"""Webhook events: recorded with the state change that causes them, signed and delivered later."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

from aws_lambda_powertools import Logger

from gateway.adapters import store, webhook_http
from gateway.adapters.postgres import Row, Tx, transaction
from gateway.domain import outbox
from gateway.models import WebhookJob

logger = Logger(child=True)


def compact_json(value: Any) -> str:
    """The bytes we sign: no spaces, keys in insertion order, as Node's JSON.stringify writes them."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def hex_signature(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def record_event(tx: Tx, merchant: Row, event: str, data: dict[str, Any]) -> outbox.StagedMessage | None:
    """Logs the event for delivery in the caller's transaction; merchants without a URL get nothing."""
    if not merchant["webhook_url"]:
        return None
    payload = compact_json({"event": event, "timestamp": int(time.time()), "data": data})
    log_id = store.insert_webhook_log(tx, merchant["id"], event, payload)
    return outbox.stage(tx, "webhooks", WebhookJob(webhook_log_id=log_id))


def deliver(job: WebhookJob) -> None:
    """One delivery attempt. The row lock makes a duplicate SQS message a no-op."""
    with transaction() as tx:
        log = store.lock_pending_webhook(tx, job.webhook_log_id)
        if log is None:
            logger.info("webhook already delivered or in flight", extra={"webhook_log_id": job.webhook_log_id})
            return
        if not log["webhook_url"]:
            store.skip_webhook(tx, job.webhook_log_id, "merchant has no webhook URL")
            return
        body = log["payload"].encode()
        headers = {
            "Content-Type": "application/json",
            "X-Webhook-Signature": hex_signature(log["webhook_secret"], body),
        }
        result = webhook_http.post(log["webhook_url"], body, headers)
        status = "success" if result.succeeded else "failed"
        store.record_webhook_attempt(
            tx, job.webhook_log_id, status, result.status_code, result.response_body, result.error
        )
    logger.info(
        "webhook attempt",
        extra={
            "webhook_log_id": job.webhook_log_id,
            "event": log["event"],
            "status": status,
            "response_code": result.status_code,
            "latency_ms": result.latency_ms,
        },
    )
