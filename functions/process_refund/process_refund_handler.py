"""The refunds queue consumer: each record is one refund to process, or a dispute's deadline (what
its one-time schedule puts on this queue at respond_by); failures are reported per item."""

from __future__ import annotations

# First: the collector waits until this module is built (init_gc.resume() at its end).
from gateway.adapters import init_gc

# isort: split
import json
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger

from gateway.adapters import sqs, tracing
from gateway.domain import disputes, outbox, refunds
from gateway.models.jobs import DisputeDeadlineJob, RefundJob

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger(service="process_refund")


def process_record(record: dict[str, Any]) -> None:
    body = record["body"]
    if json.loads(body).get("job") == "dispute_deadline":
        deadline = DisputeDeadlineJob.model_validate_json(body)
        with tracing.record_scope(logger, "dispute deadline", dispute_id=deadline.dispute_id):
            disputes.end_unanswered(deadline)
        return
    job = RefundJob.model_validate_json(body)
    with tracing.record_scope(logger, "process refund", refund_id=job.refund_id):
        refunds.process_refund(job)


@logger.inject_lambda_context(clear_state=True)
@tracing.traced
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> sqs.BatchResponse:
    # What the records publish goes out at the batch's end: one call per queue, not a few per record.
    with outbox.sent_together():
        return sqs.each_record(event, process_record, logger)


init_gc.resume()  # INIT is over
