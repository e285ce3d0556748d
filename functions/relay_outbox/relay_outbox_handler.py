"""Scheduled every minute: nothing committed to Postgres is lost on its way to SQS.

Re-sends outbox messages whose post-commit send failed, re-enqueues payments that no consumer is
working on and webhook retries whose message or schedule was lost, and purges idempotency keys
past their 24 hours and events past their 30 days.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from gateway.adapters import store, tracing
from gateway.adapters.postgres import transaction
from gateway.domain import events, outbox, payments, webhooks

logger = Logger(service="relay_outbox")
# CloudWatch EMF lines in the log: the outbox and stuck-payment alarms in template.yaml read them.
metrics = Metrics(service="relay_outbox", namespace="PaymentGateway")


@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
@tracing.traced
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    report = {
        "relayed": outbox.relay_unsent(),
        "requeued_payments": payments.requeue_stuck_payments(),
        "requeued_webhooks": webhooks.requeue_lost_retries(),
    }
    with transaction() as tx:
        report["purged_idempotency_keys"] = store.purge_expired_idempotency_keys(tx, limit=10_000)
    report["purged_events"] = events.purge_expired()
    metrics.add_metric("OutboxOldestUnsentSeconds", MetricUnit.Seconds, outbox.oldest_unsent_age_seconds())
    metrics.add_metric("StuckPaymentsRequeued", MetricUnit.Count, report["requeued_payments"])
    if any(report.values()):
        logger.info("relay run", extra=report)
    return report
