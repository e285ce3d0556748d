"""Webhook delivery: each attempt posted with no transaction open, recorded, retried on schedule.

Attempt 1 goes out at once; after a failure the next attempt waits 1 min, 5 min, 30 min, then 2 h
(5, 10, 15, 20 s with WEBHOOK_RETRY_INTERVALS_TEST); after 5 failed attempts the log is `failed`.
A wait of up to 15 minutes is an SQS message with DelaySeconds; a longer one is an EventBridge
Scheduler one-time schedule that puts the message on the webhooks queue. Postgres
(`next_retry_at`, `attempts`) stays the record of truth: the relay re-enqueues a retry whose
message or schedule was lost.

Fair capacity (issue 25, item 13): no endpoint, and no merchant's redeliveries, take more than a
share of the consumers. An endpoint whose last batch failed, or answered but slowly (a success over
SLOW_ENDPOINT_MS), is in the slow lane: its deliveries that were queued on the fast lane before it
failed or slowed are moved there when the fast lane's consumer claims them, unposted, so a backlog
leaves the fast lane at SQL speed instead of one 5 s post at a time. At most ENDPOINT_IN_FLIGHT_CAP
posts to one endpoint are in flight at once, whatever the lane and however many consumers: a claim
past the cap is put off on its own lane: a second when the endpoint answers fast, and when it is
failing or slow a wait spread over the time its backlog needs at a deadline per post. So a dead
endpoint holds at most that many consumers for a deadline, and a healthy burst waits a second
(whichever lane it is on) rather than going to the slow lane or waiting out a dead one's spread.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from datetime import datetime
from typing import NamedTuple

from aws_lambda_powertools import Logger

from gateway.adapters import (
    endpoint_store,
    metrics,
    scheduler,
    time_bounds,
    tracing,
    webhook_http,
    webhook_store,
)
from gateway.adapters.postgres import Tx, transaction
from gateway.domain import outbox
from gateway.domain.webhook_fanout import FAST_LANE, SLOW_LANE
from gateway.domain.webhook_signing import signed_headers
from gateway.models.jobs import WebhookJob
from gateway.settings import get_settings

logger = Logger(child=True)  # the consumers put the record's id on each line (tracing.record_scope)


MAX_ATTEMPTS = 5


# An attempt's metric outcome by the status it leaves its log in (pending: another attempt follows).
OUTCOME_OF_STATUS = {"success": "success", "pending": "retry", "failed": "failed"}


SQS_MAX_DELAY_SECONDS = 900


# An endpoint whose success took longer than this is slow: its deliveries go through the slow lane
# until it answers within it again. Receivers that answer at once answer in milliseconds; a second
# is what a consumer of the fast lane may spend on one post without holding up the others.
SLOW_ENDPOINT_MS = 1000


# Posts to one endpoint in flight at once, over both lanes and every consumer (the fast lane runs 10
# consumers of 10 posts, the slow one 2): a dead endpoint holds at most this many posts for a
# deadline; a healthy endpoint answering in 50 ms still gets 100 deliveries a second.
ENDPOINT_IN_FLIGHT_CAP = 5


# A delivery past its endpoint's cap waits this long on the fast lane (its endpoint is busy, not
# known to be slow), and at least this long on the slow lane (spread over the endpoint's backlog).
FAST_DEFER_SECONDS = 1


SLOW_DEFER_SECONDS = 2


def next_delay(attempts_made: int) -> int | None:
    """Seconds to wait before the next attempt, or None when the attempts are used up."""
    if attempts_made >= MAX_ATTEMPTS:
        return None
    return get_settings().webhook_retry_delays[attempts_made - 1]


def _no_scope(_webhook_log_id: str) -> AbstractContextManager[None]:
    return nullcontext()


class _Attempt(NamedTuple):
    log: webhook_store.ClaimedRow
    result: webhook_http.DeliveryResult
    delay: int | None  # seconds to the next attempt; None: no more attempts

    @property
    def status(self) -> str:
        return "success" if self.result.succeeded else ("pending" if self.delay is not None else "failed")


def deliver_batch(
    jobs: Sequence[WebhookJob],
    record_scope: Callable[[str], AbstractContextManager[None]] = _no_scope,
    queue: str = SLOW_LANE,
) -> dict[str, str | None]:
    """One delivery attempt for each job, a queue batch at a time; returns each log's new status,
    None where there was nothing to do.

    No transaction is open while posting. One short transaction claims the batch's due deliveries
    (a claim token with a lease, committed); the posts go out in parallel, each ended by its total
    deadline; a second transaction records each attempt only if its claim is still current. A
    duplicate message, or a second consumer, finds a delivery claimed (in flight) or recorded, and
    posts nothing; a message that arrives before its retry time (a stray duplicate) is dropped; a
    crashed consumer's claim expires after the lease, and the delivery goes out again then. A
    post's failure is its attempt's outcome, never an exception; a database failure raises, and then
    the attempts are not recorded: SQS delivers the batch again after its visibility timeout (longer
    than the lease), and a receiver may get a delivery twice, with the same `webhook-id`.
    `record_scope(webhook_log_id)` is entered around each record's own work after the posts (its
    trace annotations, retry schedule and log lines): the consumer's tracing.record_scope.

    `queue` is the lane the jobs came from. The claim also keeps each endpoint's fair share
    (webhook_store.claim_pending_webhooks): on the fast lane a delivery whose endpoint is failing or
    slow is moved to the slow lane unposted; past an endpoint's cap of posts in flight a delivery is
    put off. Both are outbox messages committed with the claim, so neither is lost."""
    statuses: dict[str, str | None] = dict.fromkeys(job.webhook_log_id for job in jobs)
    if not statuses:
        return statuses
    claim = str(uuid.uuid4())
    elsewhere: list[outbox.StagedMessage] = []  # moved to the slow lane, or put off
    with transaction() as tx:
        decided = webhook_store.claim_pending_webhooks(
            tx, list(statuses), claim, time_bounds.WEBHOOK_CLAIM_LEASE_SECONDS, _claim_rules(queue)
        )
        for log in decided:
            job = WebhookJob(webhook_log_id=log.id)
            if log.action == "skip":
                reason = "merchant has no webhook URL" if log.no_url else "endpoint disabled or deleted"
                webhook_store.skip_webhook(tx, log.id, reason)
                statuses[log.id] = "skipped"
            elif log.action == "move":
                elsewhere.append(outbox.stage(tx, SLOW_LANE, job))
            elif log.action == "defer":
                elsewhere.append(outbox.stage(tx, queue, job, delay_seconds=int(log.delay)))
    if elsewhere:
        outbox.publish(elsewhere, background=True)  # before the posts: the slow lane starts on them now
    _log_elsewhere(decided, record_scope)
    sendable = [log for log in decided if log.action == "post"]
    results = webhook_http.post_all([_signed_post(log) for log in sendable]) if sendable else []
    attempts = [_Attempt(log, result, _delay_after(log, result)) for log, result in zip(sendable, results, strict=True)]
    updated: dict[str, webhook_store.RecordedRow] = {}  # the attempts recorded (their claim was current), by log id
    recorded: list[_Attempt] = []
    retries: list[outbox.StagedMessage] = []
    if attempts:
        with transaction() as tx:
            updated = webhook_store.record_webhook_attempts(
                tx, claim, [_attempt_record(attempt) for attempt in attempts]
            )
            recorded = [attempt for attempt in attempts if attempt.log.id in updated]
            _mark_endpoints(tx, recorded)
            # A retry follows a failure: it goes through the slow lane.
            retries = [
                outbox.stage(tx, "webhooks_slow", WebhookJob(webhook_log_id=a.log.id), delay_seconds=a.delay)
                for a in recorded
                if a.delay is not None and a.delay <= SQS_MAX_DELAY_SECONDS
            ]
    _count(recorded)
    if retries:
        outbox.publish(retries, background=True)
    for attempt in attempts:
        log_id = attempt.log.id
        with record_scope(log_id):
            tracing.annotate(event_id=attempt.log.event_id, merchant_id=attempt.log.merchant_id)
            if log_id not in updated:
                # The claim outlived its lease and another consumer took the delivery over.
                logger.warning("webhook attempt not recorded: its claim expired", extra={"status": attempt.status})
                continue
            statuses[log_id] = attempt.status
            if attempt.delay is not None and attempt.delay > SQS_MAX_DELAY_SECONDS:
                retry_at = updated[log_id].next_retry_at
                assert retry_at is not None  # recorded with its delay
                _schedule_retry(log_id, updated[log_id].attempts, retry_at)
            _log_attempt(attempt, updated[log_id].attempts)
    for log_id, status in statuses.items():
        if status is None:
            with record_scope(log_id):
                logger.info("webhook not due, in flight or already handled")
    return statuses


def _claim_rules(queue: str) -> webhook_store.ClaimRules:
    return webhook_store.ClaimRules(
        fast_lane=queue == FAST_LANE,
        cap=ENDPOINT_IN_FLIGHT_CAP,
        fast_defer_seconds=FAST_DEFER_SECONDS,
        slow_defer_seconds=SLOW_DEFER_SECONDS,
        max_defer_seconds=SQS_MAX_DELAY_SECONDS,
        post_seconds=get_settings().webhook_timeout_seconds,
    )


def _log_elsewhere(
    decided: list[webhook_store.ClaimedRow], record_scope: Callable[[str], AbstractContextManager[None]]
) -> None:
    for log in decided:
        if log.action in ("move", "defer"):
            with record_scope(log.id):
                if log.action == "move":
                    logger.info("webhook moved to the slow lane: its endpoint is failing or slow")
                else:
                    logger.info(
                        "webhook put off: its endpoint has its cap of posts in flight", extra={"delay_s": log.delay}
                    )


def _signed_post(log: webhook_store.ClaimedRow) -> webhook_http.WebhookPost:
    body = log.payload.encode()
    headers = signed_headers(
        log.webhook_secret, log.event_id, body, int(time.time()), previous_secret=log.webhook_secret_previous
    )
    assert log.webhook_url is not None  # posted only when it has one ('post')
    return webhook_http.WebhookPost(log.webhook_url, body, headers)


def _delay_after(log: webhook_store.ClaimedRow, result: webhook_http.DeliveryResult) -> int | None:
    return None if result.succeeded else next_delay(log.attempts + 1)


def _attempt_record(attempt: _Attempt) -> webhook_store.WebhookAttemptRecord:
    result = attempt.result
    return webhook_store.WebhookAttemptRecord(
        attempt.log.id,
        attempt.status,
        attempt.delay,
        result.status_code,
        result.response_body,
        result.error,
        result.latency_ms,
    )


def _mark_endpoints(tx: Tx, attempts: list[_Attempt]) -> None:
    """Each endpoint the batch posted to is failing when none of its posts succeeded; when one did,
    it answers, and is slow if a success took over SLOW_ENDPOINT_MS: failing or slow, its next
    deliveries go through the slow lane; answering fast, through the fast lane again."""
    answered: dict[tuple[str, str], tuple[bool, bool]] = {}
    for attempt in attempts:
        assert attempt.log.webhook_url is not None  # an attempt was posted to it
        key = (attempt.log.endpoint_id, attempt.log.webhook_url)
        succeeded, slow = answered.get(key, (False, False))
        if attempt.result.succeeded:
            succeeded, slow = True, slow or attempt.result.latency_ms > SLOW_ENDPOINT_MS
        answered[key] = (succeeded, slow)
    for (endpoint_id, url), (succeeded, slow) in answered.items():
        endpoint_store.mark_endpoint(tx, endpoint_id, url, failing=not succeeded, slow=slow)


def _count(attempts: list[_Attempt]) -> None:
    for status, outcome in OUTCOME_OF_STATUS.items():
        points = [1.0 for attempt in attempts if attempt.status == status]
        metrics.emit_each("WebhookAttempts", points, dimensions={"outcome": outcome})
    metrics.emit_each("WebhookDeliveryLatency", [a.result.latency_ms for a in attempts], "Milliseconds")


def _log_attempt(attempt: _Attempt, attempts_made: int) -> None:
    logger.info(
        "webhook attempt",
        extra={
            "event": attempt.log.event,
            "attempt": attempts_made,
            "status": attempt.status,
            "response_code": attempt.result.status_code,
            "latency_ms": attempt.result.latency_ms,
            "retry_in_s": attempt.delay,
        },
    )


def _schedule_retry(webhook_log_id: str, attempts_made: int, at: datetime) -> None:
    settings = get_settings()
    try:
        scheduler.schedule_sqs_message(
            name=f"webhook-{webhook_log_id}-{attempts_made + 1}",
            at=at,
            group=settings.webhook_schedule_group,
            queue_arn=settings.webhooks_slow_queue_arn,
            role_arn=settings.webhook_scheduler_role_arn,
            body=WebhookJob(webhook_log_id=webhook_log_id).model_dump_json(),
        )
    except scheduler.SchedulerUnavailable:
        # next_retry_at is committed: the relay re-enqueues the retry once it is overdue.
        logger.warning(
            "retry schedule not created; the relay will re-enqueue", extra={"webhook_log_id": webhook_log_id}
        )


def requeue_lost_retries(limit: int = 100) -> int:
    with transaction() as tx:
        lost = webhook_store.lost_webhook_retries(tx, get_settings().stuck_after_seconds, limit)
        messages = [outbox.stage(tx, "webhooks_slow", WebhookJob(webhook_log_id=log_id)) for log_id in lost]
    outbox.publish(messages, background=True)
    return len(lost)


# Final deliveries (success, failed, skipped) and their attempts are kept this long after their last
# activity, as events are (gateway.domain.events.RETENTION_DAYS); pending ones are never purged.
RETENTION_DAYS = 30


def purge_expired(limit: int = 10_000) -> tuple[int, int]:
    """At most `limit` attempts of expired deliveries, then at most `limit` expired deliveries left
    with no attempt: (deliveries, attempts) purged. Bounded per table and per run; the relay runs it."""
    with transaction() as tx:
        attempts = webhook_store.purge_expired_webhook_attempts(tx, RETENTION_DAYS, limit)
        logs = webhook_store.purge_expired_webhook_logs(tx, RETENTION_DAYS, limit)
    return logs, attempts
