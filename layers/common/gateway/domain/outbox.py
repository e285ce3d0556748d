"""Transactional outbox: queue messages are written with the state they announce, sent after commit.

A send that fails after the commit leaves the row unsent, so the message is delayed, never lost.
Messages for one queue go out together (SendMessageBatch, 10 at a time): one queue call where a
state change announces several things at once.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import NamedTuple

from aws_lambda_powertools import Logger
from pydantic import BaseModel

from gateway.adapters import outbox_store, sqs, time_bounds
from gateway.adapters.postgres import Tx, single_statement, transaction
from gateway.settings import get_settings

logger = Logger(child=True)


class StagedMessage(NamedTuple):
    outbox_id: int
    queue: str
    body: str
    delay_seconds: int = 0


def stage(tx: Tx, queue: str, message: BaseModel, delay_seconds: int = 0) -> StagedMessage:
    # Fields left at their defaults are left out: the smallest body that means the same.
    body = message.model_dump_json(exclude_defaults=True)
    return StagedMessage(outbox_store.add_outbox(tx, queue, body, delay_seconds), queue, body, delay_seconds)


_circuit = {"open_until": 0.0}

# Set by `sent_together`: background sends are collected here and made once, at its end.
_collected: ContextVar[list[int] | None] = ContextVar("outbox_collected", default=None)


@contextmanager
def sent_together() -> Iterator[None]:
    """A consumer's batch: what its records publish in the background (committed rows) goes out at
    the end, in one transaction and one queue call per queue, instead of a few per record. A crash
    before the end leaves the rows to the relay: delayed, never lost."""
    collected: list[int] = []
    token = _collected.set(collected)
    try:
        yield
    finally:
        _collected.reset(token)
        publish_unsent(collected)


def publish(messages: list[StagedMessage], *, background: bool = False) -> int:
    """Sends committed messages; returns how many went out. Unsent ones stay for the relay.

    On a request's path each queue call is one short try (time_bounds.QUEUE_SEND_AFTER_COMMIT).
    After a failure, sends are skipped for a few seconds (the circuit is open): the rows are
    committed, the relay sends them, and requests keep answering in their usual time while the
    queue endpoint hangs. Consumers and the relay (`background`) have nobody waiting: they use the
    background bound, with retries, so a slow moment does not leave a message for the next relay run.
    """
    if not messages:
        return 0
    if background:
        collected = _collected.get()
        if collected is not None:
            collected += [message.outbox_id for message in messages]
            return 0
        sent = _send_staged(messages)
        if sent:
            single_statement(lambda tx: outbox_store.mark_outbox_sent(tx, sent))
        return len(sent)
    if time.monotonic() < _circuit["open_until"]:
        logger.info("queue circuit open; messages left to the relay", extra={"count": len(messages)})
        return 0
    sent = []
    for batch in _batches(messages):
        try:
            sent += _send(batch, time_bounds.QUEUE_SEND_AFTER_COMMIT)
        except sqs.QueueUnavailable:
            _circuit["open_until"] = time.monotonic() + time_bounds.QUEUE_CIRCUIT_OPEN_SECONDS
            logger.warning("queue send failed; messages kept in the outbox", extra={"outbox_id": batch[0].outbox_id})
            break
    if sent:
        single_statement(lambda tx: outbox_store.mark_outbox_sent(tx, sent))
    return len(sent)


def publish_unsent(outbox_ids: list[int]) -> int:
    """Sends those of the given committed rows that nobody has sent yet (what a request left to its
    consumer); rows the relay holds or already sent are skipped. Within `sent_together`, later."""
    if not outbox_ids:
        return 0
    collected = _collected.get()
    if collected is not None:
        collected += outbox_ids
        return 0
    with transaction() as tx:
        rows = outbox_store.lock_unsent_outbox_rows(tx, outbox_ids)
        sent = _send_rows(rows)
        if sent:
            outbox_store.mark_outbox_sent(tx, sent)
    return len(sent)


def _batches(messages: list[StagedMessage]) -> Iterator[list[StagedMessage]]:
    """Messages grouped by queue (first-seen order kept within a queue), 10 to a call."""
    by_queue: dict[str, list[StagedMessage]] = {}
    for message in messages:
        by_queue.setdefault(message.queue, []).append(message)
    for group in by_queue.values():
        for start in range(0, len(group), sqs.SQS_BATCH_LIMIT):
            yield group[start : start + sqs.SQS_BATCH_LIMIT]


def _send(batch: list[StagedMessage], bound: time_bounds.Bound) -> list[int]:
    """One queue call for a batch of one queue's messages; the outbox ids SQS accepted."""
    url = get_settings().queue_url(batch[0].queue)
    if len(batch) == 1:
        sqs.send(url, batch[0].body, batch[0].delay_seconds, bound=bound)
        return [batch[0].outbox_id]
    entries = [(str(m.outbox_id), m.body, m.delay_seconds) for m in batch]
    return [int(entry_id) for entry_id in sqs.send_batch(url, entries, bound=bound)]


def _send_rows(rows: list[outbox_store.OutboxRow]) -> list[int]:
    """Sends locked outbox rows with the background bound, stopping at the first failed call."""
    return _send_staged([StagedMessage(r.id, r.queue, r.body, r.delay_seconds) for r in rows])


def _send_staged(staged: list[StagedMessage]) -> list[int]:
    sent: list[int] = []
    for batch in _batches(staged):
        try:
            sent += _send(batch, time_bounds.QUEUE_BACKGROUND)
        except sqs.QueueUnavailable:
            logger.warning("queue unavailable; messages kept for the relay", extra={"outbox_id": batch[0].outbox_id})
            break
    return sent


# Rows the relay locks, sends (ten SendMessageBatch calls) and marks per transaction.
RELAY_PAGE = 100


def relay_unsent(grace_seconds: int = 10, budget_seconds: float = 20.0) -> int:
    """Re-publishes messages whose post-commit send failed, at the queue's speed: a page of rows at
    a time, each page locked, sent ten to a call and marked sent in its own transaction, the next
    page at once while pages come back full and every row of the last one went out, until
    `budget_seconds` have passed (the caller's time left, less a margin). Rows stay locked while
    they are sent, so two relays never send the same row; a send that fails leaves its rows (and
    the rest of the backlog) for the next run."""
    deadline = time.monotonic() + budget_seconds
    relayed = 0
    while True:
        with transaction() as tx:
            rows = outbox_store.lock_unsent_outbox(tx, grace_seconds, RELAY_PAGE)
            sent = _send_rows(rows)
            if sent:
                outbox_store.mark_outbox_sent(tx, sent)
        relayed += len(sent)
        if len(rows) < RELAY_PAGE or len(sent) < len(rows) or time.monotonic() >= deadline:
            return relayed


# Sent rows are kept this long (what went out when, for an investigation), then the relay purges them.
SENT_RETENTION_DAYS = 7


def purge_sent(limit: int = 10_000) -> int:
    """At most `limit` rows sent more than SENT_RETENTION_DAYS ago; unsent rows stay, whatever their age."""
    with transaction() as tx:
        return outbox_store.purge_sent_outbox(tx, SENT_RETENTION_DAYS, limit)


def oldest_unsent_age_seconds() -> float:
    with transaction() as tx:
        return outbox_store.oldest_unsent_outbox_age_seconds(tx)
