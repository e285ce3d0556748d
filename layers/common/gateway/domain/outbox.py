"""Transactional outbox: queue messages are written with the state they announce, sent after commit.

A send that fails after the commit leaves the row unsent, so the message is delayed, never lost.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from aws_lambda_powertools import Logger
from pydantic import BaseModel

from gateway.adapters import sqs, store, time_bounds
from gateway.adapters.postgres import Tx, transaction
from gateway.settings import get_settings

logger = Logger(child=True)


@dataclass(frozen=True)
class StagedMessage:
    outbox_id: int
    queue: str
    body: str
    delay_seconds: int = 0


def stage(tx: Tx, queue: str, message: BaseModel, delay_seconds: int = 0) -> StagedMessage:
    body = message.model_dump_json()
    return StagedMessage(store.add_outbox(tx, queue, body, delay_seconds), queue, body, delay_seconds)


_circuit = {"open_until": 0.0}


def close_circuit() -> None:
    """Sends go straight to the queue again (tests that changed the endpoint)."""
    _circuit["open_until"] = 0.0


def publish(messages: list[StagedMessage]) -> int:
    """Sends committed messages; returns how many went out. Unsent ones stay for the relay.

    Each send is one short try (time_bounds.QUEUE_SEND_AFTER_COMMIT). After a failure, sends are
    skipped for a few seconds (the circuit is open): the rows are committed, the relay sends them,
    and requests keep answering in their usual time while the queue endpoint hangs.
    """
    if not messages:
        return 0
    if time.monotonic() < _circuit["open_until"]:
        logger.info("queue circuit open; messages left to the relay", extra={"count": len(messages)})
        return 0
    settings = get_settings()
    sent: list[int] = []
    for message in messages:
        try:
            sqs.send(
                settings.queue_url(message.queue),
                message.body,
                message.delay_seconds,
                bound=time_bounds.QUEUE_SEND_AFTER_COMMIT,
            )
        except sqs.QueueUnavailable:
            _circuit["open_until"] = time.monotonic() + time_bounds.QUEUE_CIRCUIT_OPEN_SECONDS
            logger.warning("queue send failed; messages kept in the outbox", extra={"outbox_id": message.outbox_id})
            break
        sent.append(message.outbox_id)
    if sent:
        with transaction() as tx:
            store.mark_outbox_sent(tx, sent)
    return len(sent)


def relay_unsent(grace_seconds: int = 10, limit: int = 100) -> int:
    """Re-publishes messages whose post-commit send failed. Rows stay locked while sending, so two
    relays never send the same row; a send that fails again leaves the row for the next run."""
    settings = get_settings()
    with transaction() as tx:
        rows = store.lock_unsent_outbox(tx, grace_seconds, limit)
        sent = []
        for row in rows:
            try:
                sqs.send(settings.queue_url(row["queue"]), row["body"], row["delay_seconds"])
            except sqs.QueueUnavailable:
                logger.warning("relay: queue still unavailable", extra={"outbox_id": row["id"]})
                break
            sent.append(int(row["id"]))
        if sent:
            store.mark_outbox_sent(tx, sent)
    return len(sent)


def oldest_unsent_age_seconds() -> float:
    with transaction() as tx:
        return store.oldest_unsent_outbox_age_seconds(tx)
