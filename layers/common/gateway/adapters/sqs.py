"""SQS adapter: one boto3 client per container; AWS_ENDPOINT_URL points it at an emulator locally."""

from __future__ import annotations

import threading
from functools import lru_cache
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from gateway.errors import ServiceUnavailable


class QueueUnavailable(ServiceUnavailable):
    code = "QUEUE_UNAVAILABLE"


_lock = threading.Lock()


@lru_cache(maxsize=1)
def _client() -> Any:
    with _lock:
        return boto3.client(
            "sqs", config=Config(retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=2, read_timeout=10)
        )


def send(queue_url: str, body: str, delay_seconds: int = 0) -> str:
    try:
        response = _client().send_message(QueueUrl=queue_url, MessageBody=body, DelaySeconds=delay_seconds)
    except (BotoCoreError, ClientError) as exc:
        raise QueueUnavailable(f"Queue send failed: {type(exc).__name__}") from exc
    return str(response["MessageId"])


def depth(queue_url: str) -> dict[str, int]:
    """Visible, in-flight and delayed message counts (approximate, as SQS reports them)."""
    try:
        attributes = _client().get_queue_attributes(
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
