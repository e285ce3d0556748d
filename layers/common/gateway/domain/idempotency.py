"""Idempotency keys: a retried request replays the first reply and creates nothing.

Claiming the key, doing the work and storing the reply happen in one transaction. While it runs,
a transaction-scoped advisory lock marks the key in flight; if the request crashes, the lock dies
with its transaction, so no key is ever blocked by a dead request.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from gateway.adapters import idempotency_store
from gateway.adapters.postgres import Tx, transaction
from gateway.domain import outbox
from gateway.domain.instruments import without_card_secrets
from gateway.errors import BadRequest, IdempotencyKeyInProgress, IdempotencyKeyReused

KEY_TTL_SECONDS = 24 * 3600
MAX_KEY_LENGTH = 255


class Request(NamedTuple):
    method: str
    path: str
    body: Any

    @property
    def fingerprint(self) -> str:
        """Tells a retry from a different request under the same key. Card secrets are left out, so
        the stored value says nothing about them: a retry that differs only in the card's expiry or
        CVV (same last four digits) replays the first reply."""
        canonical = json.dumps(without_card_secrets(self.body), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(f"{self.method}\n{self.path}\n{canonical}".encode()).hexdigest()


@dataclass(frozen=True)
class Outcome:
    """What a piece of work produced: the reply's JSON and the messages to send after commit."""

    data: dict[str, Any]
    messages: list[outbox.StagedMessage] = field(default_factory=list)
    # Calls to a third party once the work is committed (never with the transaction open), e.g. a
    # payment link's expiry schedule; not run for a replay.
    after_commit: list[Callable[[], None]] = field(default_factory=list)


class Reply(NamedTuple):
    status: int
    body: str
    replayed: bool = False


def validate_key(key: str | None) -> str | None:
    if key is None:
        return None
    if not 1 <= len(key) <= MAX_KEY_LENGTH or not key.isascii() or not key.isprintable():
        raise BadRequest(f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} printable ASCII characters")
    return key


def _compact(data: dict[str, Any]) -> str:
    return json.dumps(data, separators=(",", ":"), default=str)


def execute(merchant_id: str, key: str | None, request: Request, status: int, work: Callable[[Tx], Outcome]) -> Reply:
    with transaction() as tx:
        if key is not None:
            if not idempotency_store.try_lock_idempotency_key(tx, merchant_id, key):
                raise IdempotencyKeyInProgress("A request with this Idempotency-Key is still in progress")
            record = idempotency_store.idempotency_record(tx, merchant_id, key)
            if record is not None:
                if record.request_fingerprint != request.fingerprint:
                    raise IdempotencyKeyReused("Idempotency-Key was already used with a different request")
                return Reply(record.response_status, record.response_body, replayed=True)
        outcome = work(tx)
        body = _compact(outcome.data)
        if key is not None:
            idempotency_store.save_idempotency_record(
                tx, merchant_id, key, request.method, request.path, request.fingerprint, status, body, KEY_TTL_SECONDS
            )
    outbox.publish(outcome.messages)
    for call in outcome.after_commit:
        call()
    return Reply(status, body)
