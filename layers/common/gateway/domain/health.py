"""Health and job counts, read from the real database and queues."""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor, wait
from datetime import UTC, datetime

from gateway.adapters import health_store, sqs, time_bounds
from gateway.adapters.postgres import transaction
from gateway.models.operations import Health, JobsStatus
from gateway.settings import get_settings

# Long-lived, so each checker thread keeps its database connection; a check that hangs keeps its
# thread, and the next /health simply waits its bound and reports the dependency down.
_checkers = ThreadPoolExecutor(max_workers=4, thread_name_prefix="health-check")


def _ping_database() -> None:
    with transaction() as tx:
        health_store.ping(tx)


def _probe_queue() -> None:
    sqs.depth(get_settings().queue_url("payments"), bound=time_bounds.QUEUE_SEND_AFTER_COMMIT)


def _state(check: Future[None]) -> str:
    if not check.done() or check.exception() is not None:
        return "disconnected"
    return "connected"


def health() -> Health:
    """Database and queue, checked at once; an answer within HEALTH_CHECK_SECONDS whatever they do."""
    checks = {"database": _checkers.submit(_ping_database), "queue": _checkers.submit(_probe_queue)}
    wait(checks.values(), timeout=time_bounds.HEALTH_CHECK_SECONDS)
    database, queue = _state(checks["database"]), _state(checks["queue"])
    healthy = database == queue == "connected"
    return Health(
        status="healthy" if healthy else "unhealthy", database=database, queue=queue, timestamp=datetime.now(UTC)
    )


def jobs_status() -> JobsStatus:
    settings = get_settings()
    with transaction() as tx:
        counts = health_store.job_counts(tx)
    dead_letters = sum(
        sqs.depth(url)["visible"]
        for url in (settings.payments_dlq_url, settings.refunds_dlq_url, settings.webhooks_dlq_url)
        if url
    )
    return JobsStatus(
        pending=counts.pending,
        processing=counts.processing,
        completed=counts.completed,
        failed=counts.failed + dead_letters,
        worker_status="running",
    )
