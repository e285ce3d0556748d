"""Scheduled every minute: nothing committed to Postgres is lost on its way to SQS. Once a day its
second schedule's input ({"job": "settle"}) makes the run settle every merchant's available balance
instead (gateway/domain/settlements.py).

Re-sends outbox messages whose post-commit send failed, re-enqueues payments that no consumer is
working on and webhook retries whose message or schedule was lost, ends open disputes whose
deadline schedule never fired (gateway/domain/disputes.py), and purges, in bounded batches
(10,000 rows per table per run): idempotency keys past their 24 hours, events past their 30 days,
sent outbox rows past their 7 days, and final webhook deliveries with their attempts 30 days after
their last activity.
"""

from __future__ import annotations

# First: the collector waits until this module is built (init_gc.resume() at its end).
from gateway.adapters import init_gc

# isort: split
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from gateway.adapters import failures, idempotency_store, time_bounds, tracing
from gateway.adapters.postgres import transaction
from gateway.catalog import METRIC_NAMESPACE
from gateway.domain import disputes, events, outbox, payment_links, payments, rate_limits, webhook_delivery

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger(service="relay_outbox")
# CloudWatch EMF lines in the log: the outbox and stuck-payment alarms in template.yaml read them.
metrics = Metrics(service="relay_outbox", namespace=METRIC_NAMESPACE)
# The daily schedule's Input in template.yaml (EventBridge passes it as the event).
SETTLE_JOB = "settle"


@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
@failures.reported(logger)
@tracing.traced
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    if event.get("job") == SETTLE_JOB:
        from gateway.domain import settlements  # once a day: not in every minute's cold start

        settled = settlements.settle_all()
        logger.info("settlement run", extra=settled)
        return settled
    report = {
        # The backlog first, at the queue's speed, until the margin the other tasks need is left.
        "relayed": outbox.relay_unsent(
            budget_seconds=context.get_remaining_time_in_millis() / 1000 - time_bounds.RELAY_RESERVED_SECONDS
        ),
        "requeued_payments": payments.requeue_stuck_payments(),
        "requeued_webhooks": webhook_delivery.requeue_lost_retries(),
        # Links past expire_by whose one-time schedule was lost (or could not be created).
        "expired_payment_links": payment_links.expire_overdue(),
        # Open disputes past respond_by whose deadline schedule never fired.
        "ended_overdue_disputes": disputes.end_overdue(),
    }
    with transaction() as tx:
        report["purged_idempotency_keys"] = idempotency_store.purge_expired_idempotency_keys(tx, limit=10_000)
    report["purged_events"] = events.purge_expired()
    report["purged_rate_limit_buckets"] = rate_limits.purge_idle_buckets()
    report["purged_outbox"] = outbox.purge_sent()
    report["purged_webhook_logs"], report["purged_webhook_attempts"] = webhook_delivery.purge_expired()
    metrics.add_metric("OutboxOldestUnsentSeconds", MetricUnit.Seconds, outbox.oldest_unsent_age_seconds())
    metrics.add_metric("StuckPaymentsRequeued", MetricUnit.Count, report["requeued_payments"])
    if any(report.values()):
        logger.info("relay run", extra=report)
    return report


init_gc.resume()  # INIT is over
