"""The reports queue consumer: each record is one report to write to S3 as CSV; failures are
reported per item (the report's claim makes a duplicate delivery a no-op)."""

from __future__ import annotations

# First: the collector waits until this module is built (init_gc.resume() at its end).
from gateway.adapters import init_gc

# isort: split
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger

from gateway.adapters import sqs, tracing
from gateway.domain import outbox, reports
from gateway.models.jobs import ReportJob

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger(service="generate_report")


def process_record(record: dict[str, Any]) -> None:
    job = ReportJob.model_validate_json(record["body"])
    with tracing.record_scope(logger, "generate report", report_id=job.report_id):
        reports.generate(job)


@logger.inject_lambda_context(clear_state=True)
@tracing.traced
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> sqs.BatchResponse:
    with outbox.sent_together():
        return sqs.each_record(event, process_record, logger)


init_gc.resume()  # INIT is over
