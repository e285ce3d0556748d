"""The seams domain rules are tested through without Postgres or SQS (tests/unit): the clock, the
outbox publisher, and the records payment processing reads and writes in one transaction.

Production passes the real ones (SYSTEM_CLOCK, the gateway.domain.outbox module, Postgres in
payments.process_payment); unit tests pass in-memory fakes. Only seams a unit test uses are here.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from pydantic import BaseModel

    from gateway.adapters.payment_store import PaymentRow


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


SYSTEM_CLOCK = SystemClock()


class OutboxPublisher(Protocol):
    """What the payment consumer sends after commit (the gateway.domain.outbox module is one)."""

    def publish_unsent(self, outbox_ids: list[int]) -> int: ...


class ProcessingRecords(Protocol):
    """What payment processing reads and writes, all in one transaction."""

    def claim_payment(self, payment_id: str, lease_seconds: int) -> PaymentRow | None:
        """pending → processing, or a `processing` claim older than the lease taken over; None otherwise."""
        ...

    def finish_payment(
        self,
        payment_id: str,
        claimed_at: datetime,
        status: str,
        error_code: str | None,
        error_description: str | None,
    ) -> PaymentRow | None:
        """processing → `status` if the claim made at `claimed_at` is still current; None otherwise."""
        ...

    def credit_order(self, payment: PaymentRow) -> list[int]:
        """A successful payment credited to its order (paid), or to its payment link (amount_paid,
        status; the order paid once the link is); the outbox ids of the link's event, if any."""
        ...

    def record_event(self, merchant_id: str, event: str, data: dict[str, Any]) -> list[int]:
        """The merchant's event recorded; the outbox ids of its deliveries (none without an endpoint)."""
        ...

    def stage(self, queue: str, message: BaseModel, delay_seconds: int) -> int:
        """A queue message written to the outbox; its outbox id."""
        ...


# Opens a transaction (committed when the block ends, rolled back if it raises).
ProcessingTransactions = Callable[[], AbstractContextManager[ProcessingRecords]]
