"""The refunds queue consumer: each record is one refund to process; failures are reported per item."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from gateway.adapters import tracing
from gateway.domain import refunds
from gateway.models import RefundJob

logger = Logger(service="process_refund")
processor = BatchProcessor(event_type=EventType.SQS)


def process_record(record: SQSRecord) -> None:
    job = RefundJob.model_validate_json(record.body)
    with tracing.record_scope(logger, "process refund", refund_id=job.refund_id):
        refunds.process_refund(job)


@logger.inject_lambda_context(clear_state=True)
@tracing.traced
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=process_record, processor=processor, context=context)
