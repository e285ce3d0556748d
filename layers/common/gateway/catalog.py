"""The names more than one part of the system must agree on, kept once: the business event types
(the API's enum, the webhook payloads, the dashboard's generated types), the queues (the outbox's
names, the settings' URLs, template.yaml's resources) and the metrics (what the functions emit, what
template.yaml's alarms and operations dashboard query). tests/unit/test_catalog.py checks template.yaml
against this module by reading its structure, and the metrics adapter refuses a metric it lacks."""

from __future__ import annotations

from typing import NamedTuple

EVENT_TYPES = (
    "payment.created",
    "payment.pending",
    "payment.success",
    "payment.failed",
    "refund.created",
    "refund.processed",
    "settlement.processed",
    "report.ready",
    "payment_link.partially_paid",
    "payment_link.paid",
    "payment_link.expired",
    "payment_link.cancelled",
    "dispute.created",
    "dispute.under_review",
    "dispute.won",
    "dispute.lost",
)

# The outbox's name of each queue -> its resource in template.yaml (its URL: Settings.<name>_queue_url).
QUEUES = {
    "payments": "PaymentsQueue",
    "refunds": "RefundsQueue",
    "webhooks": "WebhooksQueue",
    "webhooks_slow": "WebhooksSlowQueue",
    "reports": "ReportsQueue",
}

METRIC_NAMESPACE = "PaymentGateway"


class Metric(NamedTuple):
    unit: str
    dimensions: tuple[str, ...] = ()


METRICS = {
    "PaymentsCreated": Metric("Count", ("method",)),
    "PaymentsSucceeded": Metric("Count", ("method",)),
    "PaymentsFailed": Metric("Count", ("method",)),
    "RefundsCreated": Metric("Count"),
    "RefundsProcessed": Metric("Count"),
    "WebhookAttempts": Metric("Count", ("outcome",)),
    "WebhookDeliveryLatency": Metric("Milliseconds"),
    "ApiLatency": Metric("Milliseconds", ("route",)),
    # The relay's, through Powertools' Metrics, whose service name is a dimension.
    "OutboxOldestUnsentSeconds": Metric("Seconds", ("service",)),
    "StuckPaymentsRequeued": Metric("Count", ("service",)),
}
