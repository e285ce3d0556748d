"""Health and job counts, read from the real database and queues."""

from __future__ import annotations

from datetime import UTC, datetime

from gateway.adapters import sqs, store
from gateway.adapters.postgres import DatabaseUnavailable, transaction
from gateway.models import Health, JobsStatus
from gateway.settings import get_settings


def health() -> Health:
    database = queue = "connected"
    try:
        with transaction() as tx:
            store.ping(tx)
    except DatabaseUnavailable:
        database = "disconnected"
    try:
        sqs.depth(get_settings().queue_url("payments"))
    except (sqs.QueueUnavailable, RuntimeError):
        queue = "disconnected"
    healthy = database == queue == "connected"
    return Health(
        status="healthy" if healthy else "unhealthy", database=database, queue=queue, timestamp=datetime.now(UTC)
    )


def jobs_status() -> JobsStatus:
    settings = get_settings()
    with transaction() as tx:
        counts = store.job_counts(tx)
    dead_letters = sum(
        sqs.depth(url)["visible"]
        for url in (settings.payments_dlq_url, settings.refunds_dlq_url, settings.webhooks_dlq_url)
        if url
    )
    return JobsStatus(
        pending=counts["pending"],
        processing=counts["processing"],
        completed=counts["completed"],
        failed=counts["failed"] + dead_letters,
        worker_status="running",
    )
