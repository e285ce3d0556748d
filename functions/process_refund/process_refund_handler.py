"""The refunds queue consumer.

Refund processing arrives with the refunds API (issue 4). Until then every record is reported as
failed, so a stray message is retried and then parked in the DLQ instead of being dropped unseen.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from gateway.models import RefundJob

logger = Logger(service="process_refund")
processor = BatchProcessor(event_type=EventType.SQS)


class RefundProcessingUnavailable(Exception):
    pass


def process_record(record: SQSRecord) -> None:
    job = RefundJob.model_validate_json(record.body)
    raise RefundProcessingUnavailable(f"refund {job.refund_id}: refund processing is not implemented yet")


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=process_record, processor=processor, context=context)
