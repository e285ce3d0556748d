"""The webhooks queue consumer: one delivery attempt per record, the records of a batch in parallel.

A slow or dead merchant endpoint (up to the 5 s timeout) delays only its own records. Failures are
reported per item: a delivery that the merchant refused is not a failure here (it is recorded and
retried on schedule); an exception (say, the database is down) is, and SQS redelivers the record.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import AsyncBatchProcessor, EventType, async_process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from gateway.adapters import tracing
from gateway.domain import webhooks
from gateway.models import WebhookJob

logger = Logger(service="deliver_webhook")
processor = AsyncBatchProcessor(event_type=EventType.SQS)
# Lives with the container, so each thread keeps its database connection between invocations.
# Each thread holds one connection: deploy/connections.py counts them (10 threads x 10 containers).
WEBHOOK_SENDER_THREADS = 10
senders = ThreadPoolExecutor(max_workers=WEBHOOK_SENDER_THREADS, thread_name_prefix="webhook-sender")


def deliver_record(record: SQSRecord) -> None:
    job = WebhookJob.model_validate_json(record.body)
    with tracing.record_scope(logger, "deliver webhook", webhook_log_id=job.webhook_log_id):
        webhooks.deliver(job)


async def deliver_record_in_thread(record: SQSRecord) -> None:
    await asyncio.get_running_loop().run_in_executor(senders, deliver_record, record)


@logger.inject_lambda_context(clear_state=True)
@tracing.traced
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return async_process_partial_response(
        event=event, record_handler=deliver_record_in_thread, processor=processor, context=context
    )
