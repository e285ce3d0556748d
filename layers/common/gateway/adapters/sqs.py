"""SQS adapter: one boto3 client per container; AWS_ENDPOINT_URL points it at an emulator locally."""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import lru_cache
from typing import TYPE_CHECKING, Any, TypedDict

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from gateway.adapters import failures, time_bounds
from gateway.errors import ServiceUnavailable

if TYPE_CHECKING:
    from aws_lambda_powertools import Logger


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


# --- a queue consumer's side: one SQS event, failures reported per item ------------------------


class ItemFailure(TypedDict):
    itemIdentifier: str


class BatchResponse(TypedDict):
    """What a function answers with `FunctionResponseTypes: [ReportBatchItemFailures]`."""

    batchItemFailures: list[ItemFailure]


def each_record(event: dict[str, Any], handle: Callable[[dict[str, Any]], object], logger: Logger) -> BatchResponse:
    """`handle` on each record of an SQS event (the record as Lambda sends it: messageId, body, …);
    a record whose handling raised is reported as failed (SQS delivers it again), and when every
    record failed the whole batch fails with Powertools' BatchProcessingError, as its
    process_partial_response does. Powertools' batch utility is not imported for this: its data
    classes cost ~25 ms of a cold start (its parser models ~130 ms once pydantic is loaded)."""
    records = event.get("Records")
    if not isinstance(records, list):
        raise ValueError("not an SQS event: no Records")
    failed: list[ItemFailure] = []
    for record in records:
        try:
            handle(record)
        except Exception as exc:
            failures.log_warning(logger, "record failed; SQS delivers it again", exc, message_id=record["messageId"])
            failed.append({"itemIdentifier": record["messageId"]})
    if records and len(failed) == len(records):
        from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

        # Without the records' exceptions: Powertools would print them whole (DETAIL lines and all)
        # in Lambda's error report; each is logged above, the one way.
        raise BatchProcessingError(f"All {len(records)} records failed processing.", [])
    return {"batchItemFailures": failed}
