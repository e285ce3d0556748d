"""The webhooks queue consumer: a batch's deliveries in parallel, their bookkeeping batched.

The batch's due logs are claimed and read with one statement (committed: no transaction is open
while posting), posted in parallel (a slow or dead merchant endpoint, cut at its 5 s total deadline,
delays only its own post), and their attempts recorded together where the claim is still current
(webhook_delivery.deliver_batch). The records' queue (their event source) says which lane they came from:
the fast lane moves the deliveries of failing or slow endpoints to the slow lane instead of posting
them. Failures are reported per item: a delivery that the merchant refused is
not a failure here (it is recorded and retried on schedule); a malformed record fails alone; a
database failure fails the batch, and SQS delivers it again.
"""

from __future__ import annotations

# First: the collector waits until this module is built (init_gc.resume() at its end).
from gateway.adapters import init_gc

# isort: split
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger
from pydantic import ValidationError

from gateway.adapters import failures, sqs, tracing
from gateway.domain import webhook_delivery, webhook_fanout
from gateway.models.jobs import WebhookJob

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger(service="deliver_webhook")


def record_scope(webhook_log_id: str) -> AbstractContextManager[None]:
    return tracing.record_scope(logger, "deliver webhook", webhook_log_id=webhook_log_id)


@logger.inject_lambda_context(clear_state=True)
@tracing.traced
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> sqs.BatchResponse:
    jobs: dict[str, dict[str, WebhookJob]] = {}  # by lane, then by SQS message id
    failed: list[str] = []
    for record in event["Records"]:
        message_id = record["messageId"]
        try:
            job = WebhookJob.model_validate_json(record["body"])
        except ValidationError as exc:
            failures.log_warning(logger, "malformed webhook record", exc, message_id=message_id)
            failed.append(message_id)
            continue
        jobs.setdefault(webhook_fanout.lane_of_queue(record.get("eventSourceARN", "")), {})[message_id] = job
    for queue, lane_jobs in jobs.items():  # one lane per batch: one event-source mapping per queue
        try:
            webhook_delivery.deliver_batch(list(lane_jobs.values()), record_scope, queue=queue)
        except Exception as exc:
            failures.log_error(logger, "webhook batch not recorded; SQS delivers it again", exc)
            failed += list(lane_jobs)
    return {"batchItemFailures": [{"itemIdentifier": message_id} for message_id in failed]}


init_gc.resume()  # INIT is over
