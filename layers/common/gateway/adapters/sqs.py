"""SQS adapter: one boto3 client per container; AWS_ENDPOINT_URL points it at an emulator locally."""

from __future__ import annotations

import threading
from functools import lru_cache
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from gateway.adapters import time_bounds
from gateway.errors import ServiceUnavailable


class QueueUnavailable(ServiceUnavailable):
    code = "QUEUE_UNAVAILABLE"


_lock = threading.Lock()


@lru_cache(maxsize=2)
def _client(bound: time_bounds.Bound) -> Any:
    with _lock:
        return boto3.client("sqs", config=bound.boto_config())


def send(
    queue_url: str, body: str, delay_seconds: int = 0, bound: time_bounds.Bound = time_bounds.QUEUE_BACKGROUND
) -> str:
    try:
        response = _client(bound).send_message(QueueUrl=queue_url, MessageBody=body, DelaySeconds=delay_seconds)
    except (BotoCoreError, ClientError) as exc:
        raise QueueUnavailable(f"Queue send failed: {type(exc).__name__}") from exc
    return str(response["MessageId"])


SQS_BATCH_LIMIT = 10


def send_batch(
    queue_url: str, entries: list[tuple[str, str, int]], bound: time_bounds.Bound = time_bounds.QUEUE_BACKGROUND
) -> list[str]:
    """Up to 10 (id, body, delay_seconds) entries in one call; returns the ids SQS accepted (the
    others, if any, failed one by one and can be sent again)."""
    try:
        response = _client(bound).send_message_batch(
            QueueUrl=queue_url,
            Entries=[{"Id": entry_id, "MessageBody": body, "DelaySeconds": delay} for entry_id, body, delay in entries],
        )
    except (BotoCoreError, ClientError) as exc:
        raise QueueUnavailable(f"Queue send failed: {type(exc).__name__}") from exc
    return [str(item["Id"]) for item in response.get("Successful", [])]


def depth(queue_url: str, bound: time_bounds.Bound = time_bounds.QUEUE_BACKGROUND) -> dict[str, int]:
    """Visible, in-flight and delayed message counts (approximate, as SQS reports them)."""
    try:
        attributes = _client(bound).get_queue_attributes(
            QueueUrl=queue_url,
            AttributeNames=[
                "ApproximateNumberOfMessages",
                "ApproximateNumberOfMessagesNotVisible",
                "ApproximateNumberOfMessagesDelayed",
            ],
        )["Attributes"]
    except (BotoCoreError, ClientError) as exc:
        raise QueueUnavailable(f"Queue unavailable: {type(exc).__name__}") from exc
    return {
        "visible": int(attributes.get("ApproximateNumberOfMessages", 0)),
        "in_flight": int(attributes.get("ApproximateNumberOfMessagesNotVisible", 0)),
        "delayed": int(attributes.get("ApproximateNumberOfMessagesDelayed", 0)),
    }
