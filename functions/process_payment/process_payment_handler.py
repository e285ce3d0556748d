"""The payments queue consumer: each record is one payment to process, or a payment link to expire
(put there by the link's one-time schedule); failures are reported per item."""

from __future__ import annotations

# First: the collector waits until this module is built (init_gc.resume() at its end).
from gateway.adapters import init_gc

# isort: split
import json
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger

from gateway.adapters import sqs, tracing
from gateway.domain import outbox, payment_links, payments
from gateway.models.jobs import PaymentJob, PaymentLinkExpiryJob

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger(service="process_payment")


def process_record(record: dict[str, Any]) -> None:
    message = json.loads(record["body"])
    if isinstance(message, dict) and "payment_link_id" in message:
        expiry = PaymentLinkExpiryJob.model_validate(message)
        with tracing.record_scope(logger, "expire payment link", payment_link_id=expiry.payment_link_id):
            payment_links.expire(expiry.payment_link_id)
        return
    job = PaymentJob.model_validate(message)
    with tracing.record_scope(logger, "process payment", payment_id=job.payment_id):
        payments.process_payment(job)


@logger.inject_lambda_context(clear_state=True)
@tracing.traced
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> sqs.BatchResponse:
    # What the records publish goes out at the batch's end: one call per queue, not a few per record.
    with outbox.sent_together():
        return sqs.each_record(event, process_record, logger)


init_gc.resume()  # INIT is over
