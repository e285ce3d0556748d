"""Transactional outbox: queue messages are written with the state they announce, sent after commit.

A send that fails after the commit leaves the row unsent, so the message is delayed, never lost.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_lambda_powertools import Logger
from pydantic import BaseModel

from gateway.adapters import sqs, store
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


def publish(messages: list[StagedMessage]) -> int:
    """Sends committed messages; returns how many went out. Unsent ones stay in the outbox."""
    settings = get_settings()
    sent = 0
    for message in messages:
        try:
            sqs.send(settings.queue_url(message.queue), message.body, message.delay_seconds)
        except sqs.QueueUnavailable:
            logger.warning("queue send failed; message kept in outbox", extra={"outbox_id": message.outbox_id})
            continue
        with transaction() as tx:
            store.mark_outbox_sent(tx, message.outbox_id)
        sent += 1
    return sent
